//! Built-in reference models, so a report means something without a GPU: `oracle`
//! answers the truth itself (every loss 0), `perturbed:S` answers the truth with
//! controlled errors at strength S in [0, 1].
//!
//! The errors of `perturbed:S`, each scaled by S:
//! - pitch: each note, with probability `SHIFT_RATE * S`, moves by one or two semitones;
//! - dropped notes: each note, with probability `DROP_RATE * S`, is left out;
//! - tempo: every tempo is played `TEMPO_OFFSET * S` faster (x1.5 at S = 1);
//! - instrument: each part, with probability S, becomes another General MIDI program;
//! - metre: the numerator grows by `round(METRE_STEPS * S)` beats.
//!
//! The random draws are the same for every S (only the thresholds move), so the errors
//! at a larger S include those at a smaller one: the loss grows with S clip by clip,
//! not only on average. Draws are seeded per clip and run (`eval::clip_seed`).

use std::str::FromStr;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::abc::read::parse;
use crate::abc::write::{AbcOptions, to_abc};
use crate::score::{Instrument, Score, TempoChange, TempoMap};

/// Probability, at S = 1, that a note moves by one or two semitones.
pub const SHIFT_RATE: f64 = 0.5;
/// Probability, at S = 1, that a note is dropped.
pub const DROP_RATE: f64 = 0.25;
/// Relative tempo increase at S = 1.
pub const TEMPO_OFFSET: f64 = 0.5;
/// Beats added to the metre's numerator at S = 1.
pub const METRE_STEPS: f64 = 2.0;

/// A reference model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Baseline {
    Oracle,
    /// Strength in [0, 1].
    Perturbed(f64),
}

impl FromStr for Baseline {
    type Err = String;

    /// `oracle` or `perturbed:S` with S in [0, 1].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "oracle" {
            return Ok(Baseline::Oracle);
        }
        match text.strip_prefix("perturbed:").map(str::parse::<f64>) {
            Some(Ok(s)) if (0.0..=1.0).contains(&s) => Ok(Baseline::Perturbed(s)),
            Some(_) => Err(format!("perturbed:S needs a strength S in [0, 1], got {text:?}")),
            None => Err(format!("expected oracle or perturbed:S (S in [0, 1]), got {text:?}")),
        }
    }
}

impl Baseline {
    /// The baseline's answer for a clip whose true ABC is `truth`.
    pub fn answer(&self, truth: &str, seed: u64) -> String {
        match *self {
            Baseline::Oracle => truth.to_string(),
            Baseline::Perturbed(strength) => {
                let score = perturb(&parse(truth).score, strength, seed);
                to_abc(&score, &AbcOptions::default())
            }
        }
    }
}

/// The score with the errors of strength `strength` (clamped to [0, 1]).
pub fn perturb(score: &Score, strength: f64, seed: u64) -> Score {
    let s = if strength.is_nan() { 0.0 } else { strength.clamp(0.0, 1.0) };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = score.clone();
    for part in &mut out.parts {
        let replace = rng.random::<f64>() < s;
        let other = (part.instrument.program + 1 + rng.random_range(0..127u8)) % 128;
        if replace && !part.is_drum {
            part.instrument = Instrument::from_program(other);
        }
        let mut notes = Vec::with_capacity(part.notes.len());
        for note in &part.notes {
            let shift = rng.random::<f64>() < SHIFT_RATE * s;
            let step: i16 = if rng.random_bool(0.5) { 1 } else { 2 };
            let step = if rng.random_bool(0.5) { step } else { -step };
            let drop = rng.random::<f64>() < DROP_RATE * s;
            if drop {
                continue;
            }
            let mut note = *note;
            if shift {
                note.pitch = shifted(note.pitch, step);
            }
            notes.push(note);
        }
        notes.sort_by_key(|n| (n.start, n.pitch));
        notes.dedup_by_key(|n| (n.start, n.pitch));
        part.notes = notes;
    }
    let faster = 1.0 + TEMPO_OFFSET * s;
    let changes = out.tempo.changes().iter().map(|c| TempoChange {
        tick: c.tick,
        micros_per_quarter: (f64::from(c.micros_per_quarter) / faster).round().max(1.0) as u32,
    });
    out.tempo = TempoMap::from_changes(changes.collect());
    let extra_beats = (METRE_STEPS * s).round() as u8;
    for signature in &mut out.time_signatures {
        signature.numerator = signature.numerator.saturating_add(extra_beats);
    }
    out
}

/// `pitch + step`, or `pitch - step` when that would leave the MIDI range.
fn shifted(pitch: u8, step: i16) -> u8 {
    let up = i16::from(pitch) + step;
    let value = if (0..=127).contains(&up) { up } else { i16::from(pitch) - step };
    value.clamp(0, 127) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_baseline_names() {
        assert_eq!("oracle".parse::<Baseline>(), Ok(Baseline::Oracle));
        assert_eq!("perturbed:0.25".parse::<Baseline>(), Ok(Baseline::Perturbed(0.25)));
        assert_eq!(
            "perturbed:1.5".parse::<Baseline>(),
            Err("perturbed:S needs a strength S in [0, 1], got \"perturbed:1.5\"".to_string())
        );
        assert!("random".parse::<Baseline>().is_err());
    }

    #[test]
    fn shifted_stays_in_the_midi_range() {
        assert_eq!(shifted(60, 2), 62);
        assert_eq!(shifted(127, 1), 126);
        assert_eq!(shifted(0, -2), 2);
    }

    #[test]
    fn zero_strength_changes_nothing_and_full_strength_changes_tempo_and_metre() {
        let score = parse("X:1\nM:4/4\nL:1/4\nQ:1/4=100\nK:C\nV:1 name=\"Violin\"\nCDEF|GABc|\n").score;
        assert_eq!(perturb(&score, 0.0, 3), score);
        let full = perturb(&score, 1.0, 3);
        assert_eq!(full.tempo.at(0).micros_per_quarter, 400_000);
        assert_eq!(full.time_signatures[0].numerator, 6);
    }
}
