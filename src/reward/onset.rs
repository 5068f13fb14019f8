//! Note onset precision, recall and F1, as mir_eval's transcription metrics define them.
//!
//! The pitch loss ignores rhythm; this reports it (it is not weighted in the total).
//! Definition (mir_eval `transcription.precision_recall_f1_overlap` with
//! `offset_ratio=None`, and `onset_precision_recall_f1` without the pitch condition):
//! a predicted note matches a true note when their onsets, in seconds from each
//! score's own tempo map, differ by at most the tolerance after rounding to 7 decimals
//! (and, with pitch, they have the same MIDI pitch: mir_eval's 50-cent tolerance on
//! integer pitches); the matching is a maximum one-to-one matching; precision =
//! matches / predicted notes, recall = matches / true notes, and all three are 0 when
//! either side has no notes.
//!
//! On a line, "within a tolerance" is an interval relation, so taking each true note in
//! time order and matching it to the earliest unmatched predicted note in range gives a
//! maximum matching (an exchange argument) in O(n log n), where mir_eval runs a general
//! bipartite matching; `tests/reward_mir_eval.rs` checks the two agree.

use serde::Serialize;

use crate::score::Score;

/// Precision, recall and F1 of one matching.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrecisionRecall {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl PrecisionRecall {
    /// From the number of matches and of true and predicted notes (mir_eval's
    /// convention: all zero when either side is empty).
    pub fn from_counts(matches: usize, truth: usize, predicted: usize) -> Self {
        if truth == 0 || predicted == 0 {
            return PrecisionRecall { precision: 0.0, recall: 0.0, f1: 0.0 };
        }
        let precision = matches as f64 / predicted as f64;
        let recall = matches as f64 / truth as f64;
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        PrecisionRecall { precision, recall, f1 }
    }
}

/// Onset-only and onset-and-pitch scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OnsetScores {
    /// Onsets within tolerance, any pitch.
    pub onset: PrecisionRecall,
    /// Onsets within tolerance and the same pitch.
    pub onset_pitch: PrecisionRecall,
}

/// A note as the matching sees it: MIDI pitch and onset in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onset {
    pub pitch: u8,
    pub seconds: f64,
}

/// Every note of a score as an onset, sorted by time.
pub fn onsets(score: &Score) -> Vec<Onset> {
    let mut notes: Vec<(u64, u8)> =
        score.parts.iter().flat_map(|p| p.notes.iter().map(|n| (n.start, n.pitch))).collect();
    notes.sort_unstable();
    notes.into_iter().map(|(tick, pitch)| Onset { pitch, seconds: score.seconds_at(tick) }).collect()
}

/// Both onset scores of a prediction against the truth.
pub fn onset_scores(predicted: &[Onset], truth: &[Onset], tolerance_s: f64) -> OnsetScores {
    let count = |with_pitch| count_matches(truth, predicted, tolerance_s, with_pitch);
    let (nt, np) = (truth.len(), predicted.len());
    OnsetScores {
        onset: PrecisionRecall::from_counts(count(false), nt, np),
        onset_pitch: PrecisionRecall::from_counts(count(true), nt, np),
    }
}

/// mir_eval's hit test: the onset distance rounded to 7 decimals is within tolerance.
fn within(a: f64, b: f64, tolerance_s: f64) -> bool {
    ((a - b).abs() * 1e7).round_ties_even() / 1e7 <= tolerance_s
}

/// Size of a maximum one-to-one matching of `truth` to `predicted` onsets (any order).
pub fn count_matches(truth: &[Onset], predicted: &[Onset], tolerance_s: f64, with_pitch: bool) -> usize {
    let key = |o: &Onset| if with_pitch { o.pitch } else { 0 };
    let sorted = |onsets: &[Onset]| {
        let mut v: Vec<(u8, f64)> = onsets.iter().map(|o| (key(o), o.seconds)).collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        v
    };
    let (truth, predicted) = (sorted(truth), sorted(predicted));
    let mut matches = 0;
    let mut next = 0;
    for &(pitch, seconds) in &truth {
        // Skip predicted notes of lower pitch groups, or too early for this and every
        // later true note of the group.
        while let Some(&(p, s)) = predicted.get(next) {
            if p < pitch || (p == pitch && s < seconds && !within(s, seconds, tolerance_s)) {
                next += 1;
            } else {
                break;
            }
        }
        if let Some(&(p, s)) = predicted.get(next)
            && p == pitch
            && within(s, seconds, tolerance_s)
        {
            matches += 1;
            next += 1;
        }
    }
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn onset(pitch: u8, seconds: f64) -> Onset {
        Onset { pitch, seconds }
    }

    #[test]
    fn tolerance_is_inclusive_after_rounding() {
        let truth = [onset(60, 1.0)];
        assert_eq!(count_matches(&truth, &[onset(60, 1.05)], 0.05, true), 1);
        assert_eq!(count_matches(&truth, &[onset(60, 1.0500001)], 0.05, true), 0);
        assert_eq!(count_matches(&truth, &[onset(61, 1.0)], 0.05, true), 0);
        assert_eq!(count_matches(&truth, &[onset(61, 1.0)], 0.05, false), 1);
    }

    #[test]
    fn matching_is_maximum_not_first_come() {
        // Pairing 1.00 with its closest prediction (1.04) would leave 1.08 alone;
        // earliest-first pairs 1.00 with 0.96 and 1.08 with 1.04.
        let truth = [onset(60, 1.0), onset(60, 1.08)];
        let predicted = [onset(60, 1.04), onset(60, 0.96)];
        assert_eq!(count_matches(&truth, &predicted, 0.05, true), 2);
    }

    #[test]
    fn scores_follow_mir_eval_conventions() {
        let truth = [onset(60, 0.0), onset(62, 0.5), onset(64, 1.0), onset(65, 1.5)];
        let predicted = [onset(60, 0.01), onset(62, 0.5), onset(67, 1.0)];
        let scores = onset_scores(&predicted, &truth, 0.05);
        assert_eq!(scores.onset, PrecisionRecall { precision: 1.0, recall: 0.75, f1: 1.5 / 1.75 });
        assert_eq!(scores.onset_pitch.precision, 2.0 / 3.0);
        assert_eq!(scores.onset_pitch.recall, 0.5);
        assert_eq!(onset_scores(&[], &truth, 0.05).onset.f1, 0.0);
        assert_eq!(onset_scores(&[], &[], 0.05).onset.f1, 0.0);
    }
}
