//! Note lengths: which lengths ABC writes as one note, how other lengths split into
//! tied notes (longest first), and the length suffix (`2`, `/`, `3/2`) for a unit `L:`.
//!
//! Lengths here are exact fractions of a whole note; ticks are converted by the caller.

use num_integer::gcd;

/// A single notated length: `n * 2^exp` whole notes with `n` in {1, 3, 7}
/// (plain, dotted, double-dotted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Len {
    pub n: u8,
    pub exp: i8,
}

impl Len {
    /// Index of this length in a histogram of `HISTOGRAM_SIZE` slots.
    pub fn histogram_slot(self) -> usize {
        let n_index = usize::from(self.n / 3); // 1 -> 0, 3 -> 1, 7 -> 2
        let exp = (i32::from(self.exp) + EXP_OFFSET).clamp(0, EXP_SLOTS as i32 - 1) as usize;
        n_index * EXP_SLOTS + exp
    }

    /// The length stored in histogram slot `slot` (inverse of `histogram_slot`).
    pub fn from_histogram_slot(slot: usize) -> Len {
        let n = [1, 3, 7][slot / EXP_SLOTS];
        Len { n, exp: ((slot % EXP_SLOTS) as i32 - EXP_OFFSET) as i8 }
    }
}

const EXP_OFFSET: i32 = 64;
const EXP_SLOTS: usize = 80;
/// Number of slots a length histogram needs (see `Len::histogram_slot`).
pub const HISTOGRAM_SIZE: usize = 3 * EXP_SLOTS;

/// The single notated lengths, longest first, whose sum is `num / 2^k` whole notes.
///
/// Greedy on the binary digits of `num`: the leading `111` is a double-dotted note,
/// a leading `11` a dotted one, else the leading `1` alone.
pub fn pieces(num: u64, k: u32) -> impl Iterator<Item = Len> {
    let mut rest = num;
    std::iter::from_fn(move || {
        if rest == 0 {
            return None;
        }
        let high = 63 - rest.leading_zeros();
        let bit = |i: u32| (rest >> i) & 1 == 1;
        let (n, low) = if high >= 2 && bit(high - 1) && bit(high - 2) {
            (7u8, high - 2)
        } else if high >= 1 && bit(high - 1) {
            (3u8, high - 1)
        } else {
            (1u8, high)
        };
        rest -= u64::from(n) << low;
        Some(Len { n, exp: (i64::from(low) - i64::from(k)) as i8 })
    })
}

/// A length in whole notes as `num / 2^k`, when its denominator is a power of two.
pub fn dyadic(num: u64, den: u64) -> Option<(u64, u32)> {
    if den == 0 {
        return None;
    }
    let g = gcd(num, den);
    let (num, den) = (num / g, den / g);
    den.is_power_of_two().then(|| (num, den.trailing_zeros()))
}

/// The suffix after a note for `len` with unit note length `unit` = (num, den) of a
/// whole note: `""` for one unit, `2`, `/` (half), `/4`, `3/2`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suffix {
    num: u64,
    den: u64,
}

impl Suffix {
    pub fn new(len: Len, unit: (u32, u32)) -> Suffix {
        // len / unit = n * 2^exp * unit_den / unit_num
        let mut num = u64::from(len.n) * u64::from(unit.1);
        let mut den = u64::from(unit.0.max(1));
        let shift = u32::from(len.exp.unsigned_abs()).min(40);
        if len.exp >= 0 {
            num <<= shift;
        } else {
            den <<= shift;
        }
        let g = gcd(num, den);
        Suffix { num: num / g, den: den / g }
    }

    /// Appends the suffix (faster than `Display` on a hot path).
    pub fn push_to(self, out: &mut String) {
        match (self.num, self.den) {
            (1, 1) => {}
            (n, 1) => push_number(n, out),
            (1, 2) => out.push('/'),
            (1, d) => {
                out.push('/');
                push_number(d, out);
            }
            (n, d) => {
                push_number(n, out);
                out.push('/');
                push_number(d, out);
            }
        }
    }

    /// Number of characters the suffix takes.
    pub fn text_len(self) -> usize {
        match (self.num, self.den) {
            (1, 1) => 0,
            (n, 1) => digits(n),
            (1, 2) => 1,
            (1, d) => 1 + digits(d),
            (n, d) => digits(n) + 1 + digits(d),
        }
    }
}

fn push_number(n: u64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut rest = n;
    let mut count = 0;
    loop {
        digits[count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits[..count].iter().rev().map(|&d| char::from(d)));
}

/// Unit note lengths `L:` tried when none is given, in order of preference on ties.
pub const UNIT_CANDIDATES: [(u32, u32); 4] = [(1, 8), (1, 16), (1, 4), (1, 32)];

/// The candidate unit that makes the length suffixes of `histogram` (counts of written
/// lengths by `Len::histogram_slot`) shortest. Everything else in the text does not
/// depend on the unit, so this is the unit giving the shortest tune.
pub fn shortest_unit(histogram: &[u32; HISTOGRAM_SIZE]) -> (u32, u32) {
    let cost = |unit: (u32, u32)| -> u64 {
        let used = histogram.iter().enumerate().filter(|(_, count)| **count > 0);
        used.map(|(slot, &count)| {
            u64::from(count) * Suffix::new(Len::from_histogram_slot(slot), unit).text_len() as u64
        })
        .sum()
    };
    UNIT_CANDIDATES.into_iter().min_by_key(|&unit| cost(unit)).unwrap_or((1, 8))
}

fn digits(mut n: u64) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(num: u64, k: u32) -> Vec<(u8, i8)> {
        pieces(num, k).map(|l| (l.n, l.exp)).collect()
    }

    #[test]
    fn lengths_split_longest_first() {
        assert_eq!(split(1, 2), vec![(1, -2)]); // quarter
        assert_eq!(split(3, 3), vec![(3, -3)]); // dotted quarter
        assert_eq!(split(7, 4), vec![(7, -4)]); // double-dotted quarter
        assert_eq!(split(5, 3), vec![(1, -1), (1, -3)]); // half + eighth
        assert_eq!(split(15, 4), vec![(7, -3), (1, -4)]);
        assert_eq!(split(11, 4), vec![(1, -1), (3, -4)]);
        assert_eq!(split(0, 0), vec![]);
    }

    #[test]
    fn suffixes_follow_abc() {
        let eighth = (1, 8);
        let text = |n, exp| {
            let mut out = String::new();
            Suffix::new(Len { n, exp }, eighth).push_to(&mut out);
            out
        };
        assert_eq!(text(1, -3), "");
        assert_eq!(text(1, -2), "2");
        assert_eq!(text(3, -3), "3");
        assert_eq!(text(3, -4), "3/2");
        assert_eq!(text(1, -4), "/");
        assert_eq!(text(1, -5), "/4");
        assert_eq!(text(7, -5), "7/4");
        assert_eq!(text(3, -1), "12");
        assert_eq!(Suffix::new(Len { n: 3, exp: -1 }, eighth).text_len(), 2);
        assert_eq!(Suffix::new(Len { n: 7, exp: -5 }, eighth).text_len(), 3);
    }

    #[test]
    fn histogram_slots_round_trip() {
        for len in [Len { n: 1, exp: -3 }, Len { n: 7, exp: 2 }, Len { n: 3, exp: -10 }] {
            assert_eq!(Len::from_histogram_slot(len.histogram_slot()), len);
        }
    }

    #[test]
    fn shortest_unit_counts_suffix_characters() {
        let mut histogram = [0; HISTOGRAM_SIZE];
        // Two quarters and one eighth: L:1/8 writes "2", "2", "" (2 chars), L:1/4 writes
        // "", "", "/" (1 char).
        histogram[Len { n: 1, exp: -2 }.histogram_slot()] = 2;
        histogram[Len { n: 1, exp: -3 }.histogram_slot()] = 1;
        assert_eq!(shortest_unit(&histogram), (1, 4));
        histogram[Len { n: 1, exp: -4 }.histogram_slot()] = 10;
        assert_eq!(shortest_unit(&histogram), (1, 16));
        assert_eq!(shortest_unit(&[0; HISTOGRAM_SIZE]), (1, 8));
    }

    #[test]
    fn dyadic_fractions() {
        assert_eq!(dyadic(480, 1920), Some((1, 2)));
        assert_eq!(dyadic(160, 1920), None);
        assert_eq!(dyadic(0, 1920), Some((0, 0)));
    }
}
