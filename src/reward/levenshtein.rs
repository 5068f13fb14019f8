//! Normalised Levenshtein distance between two token sequences, on one reused row.
//!
//! The reward computes one distance per (predicted voice, true voice) pair, thousands
//! of times a second, so the buffer is kept between calls and the common prefix and
//! suffix (the whole sequence for a perfect answer) are skipped before the O(n m) loop.

/// Computes edit distances, keeping its row buffer between calls.
#[derive(Debug, Default)]
pub struct EditDistance {
    row: Vec<u32>,
}

impl EditDistance {
    /// Unit-cost insertions, deletions and substitutions turning `a` into `b`.
    pub fn distance<T: PartialEq>(&mut self, a: &[T], b: &[T]) -> usize {
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[prefix..], &b[prefix..]);
        let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
        // Keep the row over the shorter sequence.
        let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
        if short.is_empty() {
            return long.len();
        }
        self.row.clear();
        self.row.extend(0..=short.len() as u32);
        for (i, x) in long.iter().enumerate() {
            let mut diagonal = self.row[0];
            self.row[0] = i as u32 + 1;
            for (j, y) in short.iter().enumerate() {
                let above = self.row[j + 1];
                let substitute = diagonal + u32::from(x != y);
                self.row[j + 1] = substitute.min(above + 1).min(self.row[j] + 1);
                diagonal = above;
            }
        }
        self.row[short.len()] as usize
    }

    /// The distance divided by the longer length: 0 for equal sequences (two empty ones
    /// included), 1 when nothing can be kept.
    pub fn normalized<T: PartialEq>(&mut self, a: &[T], b: &[T]) -> f64 {
        let longest = a.len().max(b.len());
        if longest == 0 {
            return 0.0;
        }
        self.distance(a, b) as f64 / longest as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook full-matrix recurrence, to check the optimised one against.
    fn reference(a: &[u8], b: &[u8]) -> usize {
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for j in 0..=b.len() {
            d[0][j] = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let substitute = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = substitute.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            }
        }
        d[a.len()][b.len()]
    }

    #[test]
    fn known_distances() {
        let mut ed = EditDistance::default();
        assert_eq!(ed.distance(b"kitten", b"sitting"), 3);
        assert_eq!(ed.distance(b"", b"abc"), 3);
        assert_eq!(ed.distance(b"abc", b"abc"), 0);
        assert_eq!(ed.distance(b"flaw", b"lawn"), 2);
        assert_eq!(ed.normalized::<u8>(&[], &[]), 0.0);
        assert_eq!(ed.normalized(b"abcd", b"abxd"), 0.25);
        assert_eq!(ed.normalized(b"ab", b"cdef"), 1.0);
    }

    proptest! {
        #[test]
        fn matches_the_full_matrix(a in prop::collection::vec(0u8..4, 0..12), b in prop::collection::vec(0u8..4, 0..12)) {
            let mut ed = EditDistance::default();
            prop_assert_eq!(ed.distance(&a, &b), reference(&a, &b));
            prop_assert_eq!(ed.distance(&b, &a), reference(&a, &b));
        }
    }
}
