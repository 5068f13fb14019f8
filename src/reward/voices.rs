//! Voice matching: which predicted voice stands for which true voice, and the pitch and
//! instrument losses over that matching.
//!
//! The pitch distance of a pair is the normalised Levenshtein distance of their tokens.
//! Voices are paired by the minimum-cost assignment over a square matrix padded with
//! the costs of a missing (true voice unmatched) or extra (predicted voice unmatched)
//! voice, so the number of voices is penalised by the same optimisation. Both losses
//! are averaged over `max(predicted voices, true voices)`.

use serde::Serialize;

use super::assignment::min_cost_assignment;
use super::config::RewardConfig;
use super::instrument::instrument_loss;
use super::levenshtein::EditDistance;
use super::pitch::{PitchSet, voice_tokens};
use crate::score::{Part, Score};

/// Among assignments with the same pitch cost, prefer the one with the better
/// instruments (so doubled parts are paired independently of voice order). Small enough
/// never to outweigh one token of pitch difference in a clip.
const INSTRUMENT_TIE_BREAK: f64 = 1e-9;

/// Pitch and instrument losses over the best voice matching.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceLosses {
    pub pitch: f64,
    pub instrument: f64,
    pub counts: VoiceCounts,
    /// The paired voices: (index of the predicted part, index of the true part).
    pub pairs: Vec<(usize, usize)>,
}

/// How many voices each side had and how many were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VoiceCounts {
    pub predicted: usize,
    pub truth: usize,
    pub matched: usize,
}

/// Matches the voices (parts) of `predicted` to those of `truth`. Two scores without
/// voices have losses 0.
pub fn voice_losses(
    predicted: &Score,
    truth: &Score,
    cfg: &RewardConfig,
    edits: &mut EditDistance<PitchSet>,
) -> VoiceLosses {
    let (predicted, truth) = (voices_of(predicted), voices_of(truth));
    let (np, nt) = (predicted.len(), truth.len());
    let n = np.max(nt);
    let counts = VoiceCounts { predicted: np, truth: nt, matched: np.min(nt) };
    if n == 0 {
        return VoiceLosses { pitch: 0.0, instrument: 0.0, counts, pairs: Vec::new() };
    }
    let (missing, extra) = (cfg.voices.missing.max(0.0), cfg.voices.extra.max(0.0));
    let mut pitch = vec![0.0; n * n];
    let mut instrument = vec![0.0; n * n];
    let mut cost = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let k = i * n + j;
            (pitch[k], instrument[k]) = match (predicted.get(i), truth.get(j)) {
                (Some((p, p_tokens)), Some((t, t_tokens))) => {
                    (edits.normalized(p_tokens, t_tokens), instrument_loss(p, t, &cfg.instrument))
                }
                (None, Some(_)) => (missing, missing),
                (Some(_), None) => (extra, extra),
                (None, None) => (0.0, 0.0),
            };
            cost[k] = pitch[k] + INSTRUMENT_TIE_BREAK * instrument[k];
        }
    }
    let assignment = min_cost_assignment(&cost, n);
    let mean = |losses: &[f64]| {
        let sum: f64 = assignment.iter().enumerate().map(|(i, &j)| losses[i * n + j]).sum();
        (sum / n as f64).clamp(0.0, 1.0)
    };
    let pairs = assignment.iter().enumerate().filter(|&(i, &j)| i < np && j < nt).map(|(i, &j)| (i, j)).collect();
    VoiceLosses { pitch: mean(&pitch), instrument: mean(&instrument), counts, pairs }
}

/// Each part with its pitch tokens.
fn voices_of(score: &Score) -> Vec<(&Part, Vec<PitchSet>)> {
    score.parts.iter().map(|p| (p, voice_tokens(p))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Instrument, Note};

    fn part(program: u8, pitches: &[u8]) -> Part {
        let notes = pitches
            .iter()
            .enumerate()
            .map(|(i, &pitch)| Note { start: i as u64 * 480, duration: 480, pitch, velocity: 80 })
            .collect();
        Part { name: None, instrument: Instrument::from_program(program), channel: None, is_drum: false, notes }
    }

    fn score(parts: Vec<Part>) -> Score {
        Score { parts, ..Score::new(480) }
    }

    #[test]
    fn swapped_voices_are_matched_back() {
        let truth = score(vec![part(40, &[60, 62, 64, 65]), part(42, &[48, 50, 52, 53])]);
        let predicted = score(vec![part(42, &[48, 50, 52, 53]), part(40, &[60, 62, 64, 66])]);
        let losses = voice_losses(&predicted, &truth, &RewardConfig::default(), &mut EditDistance::default());
        assert_eq!(losses.pitch, 0.25 / 2.0);
        assert_eq!(losses.instrument, 0.0);
        assert_eq!(losses.counts, VoiceCounts { predicted: 2, truth: 2, matched: 2 });
        assert_eq!(losses.pairs, [(0, 1), (1, 0)]);
    }

    #[test]
    fn a_missing_voice_costs_its_share() {
        let truth = score(vec![part(40, &[60, 62]), part(42, &[48, 50])]);
        let predicted = score(vec![part(40, &[60, 62])]);
        let losses = voice_losses(&predicted, &truth, &RewardConfig::default(), &mut EditDistance::default());
        assert_eq!(losses.pitch, 0.5);
        assert_eq!(losses.instrument, 0.5);
        assert_eq!(losses.counts.matched, 1);
        assert_eq!(losses.pairs, [(0, 0)]);
    }
}
