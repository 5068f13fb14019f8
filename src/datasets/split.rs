//! Seeded splits by piece: which pieces go to test and validation.
//!
//! A piece's place is decided from its id and the seed alone: pieces are ranked by a
//! keyed hash of their id and the first `count` move. The result does not depend on the
//! order the file system lists pieces in, and the same seed always gives the same split.
//! Clips inherit their piece's split, so no piece is ever in two splits.

use super::{PieceRef, Split};

/// How a source without an official split divides its pieces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitOptions {
    pub seed: u64,
    /// Fraction of all pieces that go to test (rounded to the nearest piece).
    pub test_fraction: f64,
    /// Fraction of all pieces that go to validation (rounded to the nearest piece).
    pub validation_fraction: f64,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            seed: 0,
            test_fraction: 0.1,
            validation_fraction: 0.1,
        }
    }
}

/// Number of pieces a fraction of `total` stands for, rounded to the nearest piece.
pub fn count_of(total: usize, fraction: f64) -> usize {
    ((total as f64 * fraction.clamp(0.0, 1.0)).round() as usize).min(total)
}

/// Splits pieces that all start in train: test and validation pieces are carved out
/// by the fractions of `options`, each of the total.
pub fn assign(pieces: &mut [PieceRef], options: &SplitOptions) {
    let total = pieces.len();
    carve(
        pieces,
        Split::Test,
        count_of(total, options.test_fraction),
        options.seed,
    );
    carve(
        pieces,
        Split::Validation,
        count_of(total, options.validation_fraction),
        options.seed,
    );
}

/// Carves validation out of the train pieces of a source with an official test set:
/// `fraction` of the train pieces, chosen by `carve`.
pub fn carve_validation(pieces: &mut [PieceRef], fraction: f64, seed: u64) {
    let train = pieces.iter().filter(|p| p.split == Split::Train).count();
    carve(pieces, Split::Validation, count_of(train, fraction), seed);
}

/// Moves `count` train pieces (fewer if there are not that many) to split `to`: those
/// ranked first by the keyed hash of (seed, `to`, id).
pub fn carve(pieces: &mut [PieceRef], to: Split, count: usize, seed: u64) {
    let mut ranked: Vec<(u64, usize)> = pieces
        .iter()
        .enumerate()
        .filter(|(_, p)| p.split == Split::Train)
        .map(|(i, p)| (rank(seed, to, &p.id), i))
        .collect();
    ranked.sort_unstable();
    for &(_, i) in ranked.iter().take(count) {
        pieces[i].split = to;
    }
}

/// A keyed 64-bit hash (FNV-1a over the id, then SplitMix64 finalisation with the seed
/// and split mixed in): stable across platforms and releases, unlike `std`'s hasher.
fn rank(seed: u64, to: Split, id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in to.name().bytes().chain([0]).chain(id.bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = hash ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(n: usize) -> Vec<PieceRef> {
        (0..n)
            .map(|i| PieceRef {
                id: format!("p{i:02}"),
                split: Split::Train,
                files: Vec::new(),
            })
            .collect()
    }

    fn count(pieces: &[PieceRef], split: Split) -> usize {
        pieces.iter().filter(|p| p.split == split).count()
    }

    #[test]
    fn counts_follow_the_fractions_and_the_seed_decides_which() {
        let options = SplitOptions {
            seed: 7,
            test_fraction: 0.2,
            validation_fraction: 0.1,
        };
        let mut a = pieces(25);
        assign(&mut a, &options);
        assert_eq!(
            (
                count(&a, Split::Train),
                count(&a, Split::Validation),
                count(&a, Split::Test)
            ),
            (17, 3, 5)
        );
        let mut reversed = pieces(25);
        reversed.reverse();
        assign(&mut reversed, &options);
        reversed.reverse();
        assert_eq!(a, reversed, "the listing order must not matter");
        let mut other = pieces(25);
        assign(&mut other, &SplitOptions { seed: 8, ..options });
        assert_ne!(a, other);
    }

    #[test]
    fn carving_only_takes_train_pieces() {
        let mut a = pieces(4);
        a[0].split = Split::Test;
        carve(&mut a, Split::Validation, 10, 1);
        assert_eq!((count(&a, Split::Test), count(&a, Split::Validation)), (1, 3));
        assert_eq!(count_of(35, 0.1), 4);
        assert_eq!(count_of(3, 2.0), 3);
    }
}
