//! The reward: how far a model's ABC answer is from the true ABC, per component.
//!
//! Each component is a loss in [0, 1], lower is better: metre, tempo, pitch (note
//! sequences, voice by voice) and instrument, combined into a weighted `total`; an RL
//! loop uses `1 - total`. A field the prediction lacks gives its component the worst
//! loss and is listed in `parse`. Note onset F1 and key accuracy are reported beside
//! the losses, unweighted. `docs/reward.md` gives every formula and constant.
//!
//! [`score_parsed`] is pure and works on parsed tunes; [`score`] reads both texts first.
//! [`score_checked`] also refuses a truth that is not an ABC tune (no `K:` header field
//! or no notes), which [`score`] would silently compare against the reader's defaults.
//! Nothing here panics, whatever the input.

mod assignment;
mod config;
mod extract;
mod instrument;
mod key;
mod levenshtein;
mod metre;
mod onset;
mod pitch;
mod tempo;
mod voices;

use serde::Serialize;

pub use config::{
    ConfigError, InstrumentConfig, MetreConfig, OnsetConfig, Ramp, RewardConfig, TempoConfig, VoiceConfig, Weights,
};
pub use extract::abc_block;
pub use key::KeyScore;
pub use onset::{Onset, OnsetScores, PrecisionRecall, count_matches, onset_scores, onsets};
pub use voices::VoiceCounts;

use crate::abc::read::{ParsedAbc, parse};

/// A header field or body part the reward needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// `M:`
    Metre,
    /// `Q:`
    Tempo,
    /// `K:`
    Key,
    /// Any note, when the truth has some.
    Notes,
}

/// What the reader found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParseReport {
    /// The prediction had every field: not a parse failure.
    pub ok: bool,
    /// Fields the prediction lacks (their components score 1).
    pub missing: Vec<Field>,
    /// Fields the truth lacks (the reader's defaults were compared instead).
    pub truth_missing: Vec<Field>,
    /// Problems the reader reported in the prediction.
    pub diagnostics: usize,
}

/// The reward of one prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    pub metre: f64,
    pub tempo: f64,
    pub pitch: f64,
    pub instrument: f64,
    /// Weighted mean of the four losses.
    pub total: f64,
    /// `1 - total`, for a training loop.
    pub reward: f64,
    pub parse: ParseReport,
    pub voices: VoiceCounts,
    /// Unweighted: note onset precision, recall and F1 (mir_eval).
    pub onset: OnsetScores,
    /// Unweighted: key accuracy.
    pub key: KeyScore,
}

/// Scores a model's answer (prose and code fences allowed) against the true ABC.
pub fn score(prediction: &str, truth: &str, cfg: &RewardConfig) -> Breakdown {
    score_parsed(&parse(abc_block(prediction)), &parse(abc_block(truth)), cfg)
}

/// Why a truth cannot be scored against.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TruthError {
    #[error("the truth has no K: field, so it is not an ABC tune")]
    NoKey,
    #[error("the truth holds no notes, so there is nothing to compare the answer's notes with")]
    NoNotes,
}

/// Refuses a truth without a `K:` field (ABC's header ends with one) or without notes:
/// any answer would score against the reader's defaults, which measures nothing.
pub fn check_truth(truth: &ParsedAbc) -> Result<(), TruthError> {
    if !truth.found.key {
        Err(TruthError::NoKey)
    } else if truth.score.note_count() == 0 {
        Err(TruthError::NoNotes)
    } else {
        Ok(())
    }
}

/// [`score`] for a truth that passes [`check_truth`].
pub fn score_checked(prediction: &str, truth: &str, cfg: &RewardConfig) -> Result<Breakdown, TruthError> {
    let truth = parse(abc_block(truth));
    check_truth(&truth)?;
    Ok(score_parsed(&parse(abc_block(prediction)), &truth, cfg))
}

/// Scores a parsed prediction against a parsed truth. Metre, tempo and key are those in
/// force at the start of the clip.
pub fn score_parsed(predicted: &ParsedAbc, truth: &ParsedAbc, cfg: &RewardConfig) -> Breakdown {
    let missing = missing_fields(predicted, truth);
    let truth_missing = missing_fields(truth, predicted).into_iter().filter(|f| *f != Field::Notes).collect();
    let lacks = |field| missing.contains(&field);
    let (p, t) = (&predicted.score, &truth.score);

    let metre = if lacks(Field::Metre) {
        1.0
    } else {
        metre::metre_loss(p.time_signature_at(0), t.time_signature_at(0), &cfg.metre)
    };
    let tempo = if lacks(Field::Tempo) {
        1.0
    } else {
        tempo::tempo_loss(tempo::initial_bpm(p), tempo::initial_bpm(t), &cfg.tempo)
    };
    let voice = voices::voice_losses(p, t, cfg, &mut levenshtein::EditDistance::default());
    let (pitch, instrument) = if lacks(Field::Notes) { (1.0, 1.0) } else { (voice.pitch, voice.instrument) };
    let key = if lacks(Field::Key) {
        KeyScore { exact: false, weighted: 0.0 }
    } else {
        key::key_score(p.key_at(0), t.key_at(0))
    };
    let onset = onset_scores(&onset::onsets(p), &onset::onsets(t), cfg.onset.tolerance_s);
    let total = weighted_total(&cfg.weights, pitch, metre, tempo, instrument);
    Breakdown {
        metre,
        tempo,
        pitch,
        instrument,
        total,
        reward: 1.0 - total,
        parse: ParseReport {
            ok: missing.is_empty(),
            missing,
            truth_missing,
            diagnostics: predicted.diagnostics.len(),
        },
        voices: voice.counts,
        onset,
        key,
    }
}

/// Fields `abc` lacks; notes count as missing only when `other` has some.
fn missing_fields(abc: &ParsedAbc, other: &ParsedAbc) -> Vec<Field> {
    let found = &abc.found;
    let notes = abc.score.note_count() > 0 || other.score.note_count() == 0;
    [(Field::Metre, found.metre), (Field::Tempo, found.tempo), (Field::Key, found.key), (Field::Notes, notes)]
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(field, _)| field)
        .collect()
}

/// `sum(w_i * loss_i) / sum(w_i)`, negative weights counting as 0; in [0, 1]. With no
/// positive weight the plain mean is used.
fn weighted_total(weights: &Weights, pitch: f64, metre: f64, tempo: f64, instrument: f64) -> f64 {
    let terms =
        [(weights.pitch, pitch), (weights.metre, metre), (weights.tempo, tempo), (weights.instrument, instrument)];
    let positive = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
    let sum: f64 = terms.iter().map(|(w, _)| positive(*w)).sum();
    let total = if sum > 0.0 {
        terms.iter().map(|(w, loss)| positive(*w) * loss).sum::<f64>() / sum
    } else {
        terms.iter().map(|(_, loss)| loss).sum::<f64>() / terms.len() as f64
    };
    if total.is_nan() { 1.0 } else { total.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod truth_tests {
    use super::*;

    #[test]
    fn a_truth_that_is_not_abc_is_refused_and_a_tune_is_scored() {
        let cfg = RewardConfig::default();
        let tune = "X:1\nM:4/4\nL:1/4\nQ:1/4=120\nK:C\nCDEF|\n";
        for (truth, expected) in [
            ("", TruthError::NoKey),
            ("a", TruthError::NoKey),
            ("X:1\nM:4/4\nK:C\n", TruthError::NoNotes),
            ("X:1\nK:C\nz4|\n", TruthError::NoNotes),
        ] {
            assert_eq!(score_checked(tune, truth, &cfg), Err(expected), "truth {truth:?}");
        }
        let perfect = score_checked(tune, tune, &cfg).expect("a tune is a valid truth");
        assert_eq!(perfect.total, 0.0);
    }
}
