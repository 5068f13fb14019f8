//! Normalised Levenshtein distance between two token sequences, bit-parallel.
//!
//! The reward computes one distance per (predicted voice, true voice) pair, thousands
//! of times a second. After skipping the common prefix and suffix (the whole sequence
//! for a perfect answer), the distance is computed with Hyyrö's (2003) bit-vector form
//! of Myers' algorithm: one column of the edit matrix is held as vertical +1/-1 deltas,
//! 64 rows per machine word, so a pair costs O(ceil(m / 64) n) word operations instead
//! of O(m n) cell updates. All buffers are kept between calls.
//!
//! [`alignment`] says which tokens an optimal edit keeps, from the full O(m n) table: for
//! reports showing a few answers, not for the reward's inner loop.

/// Computes edit distances, keeping its buffers between calls.
#[derive(Debug)]
pub struct EditDistance<T> {
    /// Distinct tokens of the shorter sequence, sorted.
    symbols: Vec<T>,
    /// For each symbol, one bit per position of the shorter sequence where it occurs
    /// (`words` u64 per symbol).
    masks: Vec<u64>,
    /// Vertical positive and negative deltas of the current column, per word.
    positive: Vec<u64>,
    negative: Vec<u64>,
}

impl<T> Default for EditDistance<T> {
    fn default() -> Self {
        EditDistance { symbols: Vec::new(), masks: Vec::new(), positive: Vec::new(), negative: Vec::new() }
    }
}

impl<T: Ord + Copy> EditDistance<T> {
    /// Unit-cost insertions, deletions and substitutions turning `a` into `b`.
    pub fn distance(&mut self, a: &[T], b: &[T]) -> usize {
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[prefix..], &b[prefix..]);
        let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
        // The shorter sequence is the one held in bits (fewer words).
        let (text, pattern) = if a.len() >= b.len() { (a, b) } else { (b, a) };
        if pattern.is_empty() {
            return text.len();
        }
        let words = pattern.len().div_ceil(64);
        self.prepare(pattern, words);
        let last_bit = 1u64 << ((pattern.len() - 1) % 64);
        let mut distance = pattern.len();
        for token in text {
            let symbol = self.symbols.binary_search(token).ok();
            // Row 0 of the matrix grows by one per column: a +1 horizontal delta enters.
            let (mut positive_in, mut negative_in) = (1u64, 0u64);
            for w in 0..words {
                let matches = symbol.map_or(0, |s| self.masks[s * words + w]);
                let (vp, vn) = (self.positive[w], self.negative[w]);
                let x = matches | negative_in;
                let diagonal_zero = ((x & vp).wrapping_add(vp) ^ vp) | x | vn;
                let hp = vn | !(diagonal_zero | vp);
                let hn = diagonal_zero & vp;
                let (positive_out, negative_out) = if w + 1 < words {
                    (hp >> 63, hn >> 63)
                } else {
                    (u64::from(hp & last_bit != 0), u64::from(hn & last_bit != 0))
                };
                let hp = (hp << 1) | positive_in;
                let hn = (hn << 1) | negative_in;
                self.positive[w] = hn | !(diagonal_zero | hp);
                self.negative[w] = hp & diagonal_zero;
                (positive_in, negative_in) = (positive_out, negative_out);
            }
            // The horizontal delta leaving the last row is the change of the distance.
            distance = distance + positive_in as usize - negative_in as usize;
        }
        distance
    }

    /// Builds the match masks of `pattern` and the first column (all +1 deltas).
    fn prepare(&mut self, pattern: &[T], words: usize) {
        self.symbols.clear();
        self.symbols.extend_from_slice(pattern);
        self.symbols.sort_unstable();
        self.symbols.dedup();
        self.masks.clear();
        self.masks.resize(self.symbols.len() * words, 0);
        for (i, token) in pattern.iter().enumerate() {
            if let Ok(s) = self.symbols.binary_search(token) {
                self.masks[s * words + i / 64] |= 1 << (i % 64);
            }
        }
        self.positive.clear();
        self.positive.resize(words, !0);
        self.negative.clear();
        self.negative.resize(words, 0);
    }

    /// The distance divided by the longer length: 0 for equal sequences (two empty ones
    /// included), 1 when nothing can be kept.
    pub fn normalized(&mut self, a: &[T], b: &[T]) -> f64 {
        let longest = a.len().max(b.len());
        if longest == 0 {
            return 0.0;
        }
        self.distance(a, b) as f64 / longest as f64
    }
}

/// One step of an alignment turning `a` into `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// `a`'s token equals `b`'s.
    Keep,
    /// `a`'s token replaced by `b`'s.
    Substitute,
    /// `a`'s token dropped.
    Delete,
    /// `b`'s token added.
    Insert,
}

/// An alignment of `a` with `b` with the fewest substitutions, deletions and insertions
/// (as many as [`EditDistance::distance`]), in sequence order. Among optimal alignments
/// it keeps a token whenever it can, then prefers a substitution to a deletion and a
/// deletion to an insertion, so the result depends on nothing but the two sequences.
pub fn alignment<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Edit> {
    let columns = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * columns];
    let at = |i: usize, j: usize| i * columns + j;
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            table[at(i, j)] = match (i, j) {
                (0, _) => j as u32,
                (_, 0) => i as u32,
                _ => {
                    let diagonal = table[at(i - 1, j - 1)] + u32::from(a[i - 1] != b[j - 1]);
                    diagonal.min(table[at(i - 1, j)] + 1).min(table[at(i, j - 1)] + 1)
                }
            };
        }
    }
    let mut edits = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 || j > 0 {
        let here = table[at(i, j)];
        let edit = if i > 0 && j > 0 && a[i - 1] == b[j - 1] && here == table[at(i - 1, j - 1)] {
            Edit::Keep
        } else if i > 0 && j > 0 && here == table[at(i - 1, j - 1)] + 1 {
            Edit::Substitute
        } else if i > 0 && here == table[at(i - 1, j)] + 1 {
            Edit::Delete
        } else {
            Edit::Insert
        };
        match edit {
            Edit::Keep | Edit::Substitute => (i, j) = (i - 1, j - 1),
            Edit::Delete => i -= 1,
            Edit::Insert => j -= 1,
        }
        edits.push(edit);
    }
    edits.reverse();
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook full-matrix recurrence, to check the bit-parallel one against.
    fn reference(a: &[u8], b: &[u8]) -> usize {
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        d[0] = (0..=b.len()).collect();
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
        let mut ed = EditDistance::<u8>::default();
        assert_eq!(ed.distance(b"kitten", b"sitting"), 3);
        assert_eq!(ed.distance(b"", b"abc"), 3);
        assert_eq!(ed.distance(b"abc", b"abc"), 0);
        assert_eq!(ed.distance(b"flaw", b"lawn"), 2);
        assert_eq!(ed.normalized(&[], &[]), 0.0);
        assert_eq!(ed.normalized(b"abcd", b"abxd"), 0.25);
        assert_eq!(ed.normalized(b"ab", b"cdef"), 1.0);
    }

    #[test]
    fn sequences_longer_than_a_word() {
        let a: Vec<u8> = (0..200).map(|i| (i * 7 % 13) as u8).collect();
        let mut b = a.clone();
        b[10] = 99;
        b.remove(70);
        b.insert(150, 98);
        let mut ed = EditDistance::default();
        assert_eq!(ed.distance(&a, &b), 3);
        // The substitution at 10 plus 136 deletions.
        assert_eq!(ed.distance(&a, &b[..64]), 137);
        assert_eq!(reference(&a, &b[..64]), 137);
    }

    #[test]
    fn alignment_keeps_what_it_can() {
        use Edit::*;
        assert_eq!(alignment(b"kitten", b"sitting"), [Substitute, Keep, Keep, Keep, Substitute, Keep, Insert]);
        assert_eq!(alignment(b"abc", b"ac"), [Keep, Delete, Keep]);
        assert_eq!(alignment::<u8>(b"", b"ab"), [Insert, Insert]);
        assert!(alignment::<u8>(&[], &[]).is_empty());
    }

    proptest! {
        #[test]
        fn an_alignment_is_optimal_and_spells_b_from_a(
            a in prop::collection::vec(0u8..4, 0..40),
            b in prop::collection::vec(0u8..4, 0..40),
        ) {
            let edits = alignment(&a, &b);
            let cost = edits.iter().filter(|e| **e != Edit::Keep).count();
            prop_assert_eq!(cost, EditDistance::default().distance(&a, &b));
            let (mut i, mut j, mut spelled) = (0, 0, Vec::new());
            for edit in edits {
                match edit {
                    Edit::Keep => {
                        prop_assert_eq!(a[i], b[j]);
                        spelled.push(a[i]);
                        (i, j) = (i + 1, j + 1);
                    }
                    Edit::Substitute => {
                        spelled.push(b[j]);
                        (i, j) = (i + 1, j + 1);
                    }
                    Edit::Delete => i += 1,
                    Edit::Insert => {
                        spelled.push(b[j]);
                        j += 1;
                    }
                }
            }
            prop_assert_eq!(i, a.len());
            prop_assert_eq!(spelled, b);
        }

        #[test]
        fn matches_the_full_matrix(
            a in prop::collection::vec(0u8..4, 0..12),
            b in prop::collection::vec(0u8..4, 0..12),
        ) {
            let mut ed = EditDistance::default();
            prop_assert_eq!(ed.distance(&a, &b), reference(&a, &b));
            prop_assert_eq!(ed.distance(&b, &a), reference(&a, &b));
        }

        #[test]
        fn matches_the_full_matrix_across_words(
            a in prop::collection::vec(0u8..6, 0..300),
            b in prop::collection::vec(0u8..6, 0..300),
        ) {
            let mut ed = EditDistance::default();
            prop_assert_eq!(ed.distance(&a, &b), reference(&a, &b));
        }
    }
}
