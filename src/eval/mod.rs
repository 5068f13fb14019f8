//! Evaluation of a transcription model: choose clips, get the model's answers (from a
//! file, a chat-completions server or a built-in baseline), score every answer with the
//! reward, and write a report people can read.
//!
//! Each concern is one module: `dataset` loads clips (`parquet_clips` from a dataset
//! folder written by prep, `crate::inputs` for the other inputs), `sample` picks a
//! reproducible, complexity-spread subset, `predictions`, `endpoint` and `baseline` are
//! the three sources of answers, `report` aggregates the scores and writes the files, and
//! `evaluate` runs the whole (`prep eval`). Nothing here scores text itself: that is
//! `crate::reward`.

pub mod baseline;
pub mod dataset;
pub mod endpoint;
pub mod evaluate;
pub mod parquet_clips;
pub mod predictions;
pub mod report;
pub mod sample;

use sha2::{Digest, Sha256};

pub use crate::inputs::{AbcClip as Clip, Audio};
pub use dataset::Dataset;

/// One answer to score: the clip, the run (0-based) and the model's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub id: String,
    pub run: u32,
    pub text: String,
}

/// A seed for one (clip, run) derived from the user's seed, stable across platforms and
/// Rust versions (SHA-256, not `std`'s hasher), so a baseline's errors do not depend on
/// the order or the number of the clips chosen.
pub fn clip_seed(seed: u64, id: &str, run: u32) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(run.to_le_bytes());
    hasher.update(id.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_seed_is_stable_and_depends_on_every_input() {
        // The first 8 bytes (little-endian) of SHA-256(7u64 LE, 0u32 LE, "a"), as Python's hashlib gives.
        let base = clip_seed(7, "a", 0);
        assert_eq!(base, 2_857_495_638_836_892_034);
        assert_ne!(base, clip_seed(8, "a", 0));
        assert_ne!(base, clip_seed(7, "b", 0));
        assert_ne!(base, clip_seed(7, "a", 1));
    }
}
