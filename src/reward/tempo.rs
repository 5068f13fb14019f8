//! Tempo loss: the predicted stated tempo against the true one, in quarter-note BPM.
//!
//! The reader turns both `Q:96` and `Q:1/4=96` into a tempo map, so this module only
//! compares numbers; it never looks at the text (the recipe's regexes missed one form).

use super::config::TempoConfig;
use crate::score::Score;

/// Quarter-note BPM the score states: in force at its start, or after a lead-in of one
/// sixteenth note (`Score::stated_tempo`).
pub fn initial_bpm(score: &Score) -> f64 {
    score.stated_tempo().bpm()
}

/// Loss in [0, 1] between two tempi in BPM; 0 when they are equal.
pub fn tempo_loss(predicted_bpm: f64, true_bpm: f64, cfg: &TempoConfig) -> f64 {
    cfg.ramp.eval(predicted_bpm - true_bpm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{TempoChange, TempoMap};

    #[test]
    fn linear_up_to_ten_bpm() {
        let cfg = TempoConfig::default();
        assert_eq!(tempo_loss(96.0, 96.0, &cfg), 0.0);
        assert_eq!(tempo_loss(101.0, 96.0, &cfg), 0.1);
        assert_eq!(tempo_loss(86.0, 96.0, &cfg), 0.2);
        // 60 BPM off: 1 - 0.8 * exp(-50 / 40).
        assert!((tempo_loss(60.0, 120.0, &cfg) - (1.0 - 0.8 * (-1.25f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn initial_bpm_reads_the_tempo_map() {
        let mut score = Score::new(480);
        score.tempo = TempoMap::constant(625_000);
        assert_eq!(initial_bpm(&score), 96.0);
    }

    #[test]
    fn a_lead_in_of_one_sixteenth_is_not_the_stated_tempo() {
        let mut score = Score::new(480);
        let lead = |tick| {
            TempoMap::from_changes(vec![
                TempoChange { tick: 0, micros_per_quarter: 85_000 },
                TempoChange { tick, micros_per_quarter: 625_000 },
            ])
        };
        score.tempo = lead(120);
        assert_eq!(initial_bpm(&score), 96.0);
        // A first tempo that lasts longer or shorter than a sixteenth is the piece's.
        for tick in [80, 121] {
            score.tempo = lead(tick);
            assert!((initial_bpm(&score) - 60_000_000.0 / 85_000.0).abs() < 1e-9, "{tick}");
        }
    }
}
