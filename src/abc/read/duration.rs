//! Note lengths as exact fractions of a whole note, and their conversion to ticks.
//!
//! ABC writes lengths relative to the unit `L:`, scaled by tuplets and broken rhythm;
//! all of these are small fractions, so a duration is the product of a few fractions
//! times the ticks of a whole note. The product is computed in 128-bit integers so it
//! stays exact; a result that is not a whole number of ticks is rounded and flagged.

use super::ABC_TICKS_PER_QUARTER;

/// Ticks in a whole note.
pub(crate) const WHOLE_TICKS: u64 = 4 * ABC_TICKS_PER_QUARTER as u64;

/// No voice may run past this tick: `score::MAX_QUARTER_NOTES` (about 14 hours at 120
/// BPM). Elements that would end later are skipped and reported, so pathological input
/// such as `Z99999999` cannot produce absurd times.
pub(crate) const MAX_TICKS: u64 = crate::score::MAX_QUARTER_NOTES * ABC_TICKS_PER_QUARTER as u64;

/// A fraction `num/den` (of the unit length, of a whole note, or a plain factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Length {
    pub num: u64,
    pub den: u64,
}

impl Length {
    pub const ONE: Length = Length { num: 1, den: 1 };

    pub fn new(num: u64, den: u64) -> Length {
        Length { num, den }
    }

    /// The product of two fractions (saturating; absurd values are caught by `MAX_TICKS`).
    pub fn times(self, other: Length) -> Length {
        Length { num: self.num.saturating_mul(other.num), den: self.den.saturating_mul(other.den) }
    }
}

/// A duration in ticks, and whether it was exact before rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticks {
    pub ticks: u64,
    pub exact: bool,
}

/// `WHOLE_TICKS` times the product of `factors`, rounded to the nearest tick. `None` when
/// a denominator is zero or the product does not fit (such a length is unusable anyway).
pub(crate) fn whole_fraction_ticks(factors: &[Length]) -> Option<Ticks> {
    let mut num = u128::from(WHOLE_TICKS);
    let mut den = 1u128;
    for f in factors {
        num = num.checked_mul(u128::from(f.num))?;
        den = den.checked_mul(u128::from(f.den))?;
    }
    if den == 0 {
        return None;
    }
    let rounded = (num + den / 2) / den;
    Some(Ticks { ticks: u64::try_from(rounded).ok()?, exact: num % den == 0 })
}

/// `ticks * factor`, rounded, for rescaling an already placed note (broken rhythm).
pub(crate) fn scale_ticks(ticks: u64, factor: Length) -> Option<Ticks> {
    whole_fraction_ticks(&[Length::new(ticks, WHOLE_TICKS), factor])
}

/// The length factors of broken rhythm with `marks` `>` (or `<`) signs: the longer note
/// gets `(2^(n+1) - 1) / 2^n`, the shorter `1 / 2^n` (`>` = 3/2 and 1/2, `>>` = 7/4 and 1/4).
pub(crate) fn broken_rhythm_factors(marks: u32) -> (Length, Length) {
    let den = 1u64 << marks.min(6);
    (Length::new(2 * den - 1, den), Length::new(1, den))
}

/// ABC 2.1's default `q` for a tuplet `(p`: the number of notes whose time `p` notes take.
/// For 5, 7 and 9 it depends on the metre: 3 in compound metre, else 2.
pub(crate) fn default_tuplet_q(p: u64, compound_metre: bool) -> u64 {
    match p {
        2 | 4 | 8 => 3,
        3 | 6 => 2,
        _ if compound_metre => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_of_a_whole_note() {
        let eighth = Length::new(1, 8);
        assert_eq!(whole_fraction_ticks(&[eighth]), Some(Ticks { ticks: 1680, exact: true }));
        let triplet = Length::new(2, 3);
        assert_eq!(whole_fraction_ticks(&[eighth, triplet]), Some(Ticks { ticks: 1120, exact: true }));
        let tiny = Length::new(1, 1 << 10);
        assert_eq!(whole_fraction_ticks(&[tiny]), Some(Ticks { ticks: 13, exact: false }));
        assert_eq!(whole_fraction_ticks(&[Length::new(1, 0)]), None);
    }

    #[test]
    fn broken_rhythm_and_tuplet_defaults() {
        assert_eq!(broken_rhythm_factors(1), (Length::new(3, 2), Length::new(1, 2)));
        assert_eq!(broken_rhythm_factors(2), (Length::new(7, 4), Length::new(1, 4)));
        assert_eq!(default_tuplet_q(3, false), 2);
        assert_eq!(default_tuplet_q(4, true), 3);
        assert_eq!(default_tuplet_q(5, false), 2);
        assert_eq!(default_tuplet_q(5, true), 3);
        assert_eq!(scale_ticks(1680, Length::new(3, 2)), Some(Ticks { ticks: 2520, exact: true }));
    }
}
