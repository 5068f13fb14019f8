//! Choosing the evaluation samples: reproducible for a seed, and spread over complexity
//! so a 30-clip evaluation sees solos and ensembles, sparse and dense passages alike.
//!
//! Each clip of the split gets a complexity score, `voices + notes_per_second /
//! DENSITY_PER_VOICE`: one more voice and four more notes a second count the same (a
//! single melodic line plays about four notes a second). The clips, sorted by score,
//! are cut into as many equal-count bins as samples are wanted, and one clip is drawn
//! uniformly from each bin with a ChaCha8 generator seeded by the user's seed. The
//! draw is stratified: every part of the complexity range is represented.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::abc::read::parse;
use crate::datasets::Split;
use crate::eval::Clip;
use crate::score::Score;

/// Notes per second that weigh as much as one voice in the complexity score.
pub const DENSITY_PER_VOICE: f64 = 4.0;

/// How hard a clip is to transcribe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Complexity {
    /// Parts with at least one note.
    pub voices: usize,
    /// Notes per second over the clip's length.
    pub notes_per_second: f64,
    /// `voices + notes_per_second / DENSITY_PER_VOICE`.
    pub score: f64,
}

impl Complexity {
    pub fn of(score: &Score) -> Self {
        let voices = score.parts.iter().filter(|p| !p.notes.is_empty()).count();
        let seconds = score.seconds_at(score.end_tick());
        let notes_per_second = if seconds > 0.0 { score.note_count() as f64 / seconds } else { 0.0 };
        Complexity { voices, notes_per_second, score: voices as f64 + notes_per_second / DENSITY_PER_VOICE }
    }
}

/// A chosen clip: its index in the loaded clips, complexity and bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    pub index: usize,
    pub id: String,
    pub complexity: Complexity,
    /// 0-based complexity bin, from simplest to most complex.
    pub bin: usize,
}

/// Picks `samples` clips of `split` (all of them when the split has fewer), one from
/// each equal-count complexity bin, in order of complexity. The same clips and seed
/// always give the same choice.
pub fn choose(clips: &[Clip], split: Split, samples: usize, seed: u64) -> Vec<Chosen> {
    let mut candidates: Vec<(usize, Complexity)> = clips
        .iter()
        .enumerate()
        .filter(|(_, clip)| clip.split == split)
        .map(|(index, clip)| (index, Complexity::of(&parse(&clip.abc).score)))
        .collect();
    candidates.sort_by(|(ia, a), (ib, b)| a.score.total_cmp(&b.score).then_with(|| clips[*ia].id.cmp(&clips[*ib].id)));
    let bins = samples.min(candidates.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..bins)
        .map(|bin| {
            let (start, end) = bin_bounds(bin, bins, candidates.len());
            let (index, complexity) = candidates[rng.random_range(start..end)];
            Chosen { index, id: clips[index].id.clone(), complexity, bin }
        })
        .collect()
}

/// What the user should hear when the split holds fewer clips than were asked for
/// (every clip is then evaluated); `None` when there were enough.
pub fn shortfall(split: Split, chosen: usize, asked: usize) -> Option<String> {
    (chosen < asked).then(|| {
        format!("the {split} split has only {chosen} clips: evaluated all {chosen} of the {asked} samples asked for")
    })
}

/// The half-open range of sorted positions in bin `bin` of `bins` over `n` items; sizes
/// differ by at most one and every bin is non-empty when `bins <= n`.
fn bin_bounds(bin: usize, bins: usize, n: usize) -> (usize, usize) {
    (bin * n / bins, (bin + 1) * n / bins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_everything_once() {
        let bounds: Vec<(usize, usize)> = (0..3).map(|b| bin_bounds(b, 3, 10)).collect();
        assert_eq!(bounds, [(0, 3), (3, 6), (6, 10)]);
        assert_eq!(bin_bounds(0, 1, 1), (0, 1));
    }

    #[test]
    fn a_shortfall_is_named_only_when_there_is_one() {
        assert_eq!(
            shortfall(Split::Test, 4, 30).as_deref(),
            Some("the test split has only 4 clips: evaluated all 4 of the 30 samples asked for")
        );
        assert_eq!(shortfall(Split::Test, 30, 30), None);
    }

    #[test]
    fn complexity_counts_voices_and_density() {
        // Two voices, six notes over 1.5 s at 120 BPM: 4 notes/s, score 2 + 1.
        let text = "X:1\nM:3/4\nL:1/4\nQ:1/4=120\nK:C\nV:1\nCDE|\nV:2\nC,D,E,|\n";
        let complexity = Complexity::of(&parse(text).score);
        assert_eq!(complexity, Complexity { voices: 2, notes_per_second: 4.0, score: 3.0 });
    }
}
