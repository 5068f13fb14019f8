//! Tempo loss: the predicted starting tempo against the true one, in quarter-note BPM.
//!
//! The reader turns both `Q:96` and `Q:1/4=96` into a tempo map, so this module only
//! compares numbers; it never looks at the text (the recipe's regexes missed one form).

use super::config::TempoConfig;
use crate::score::Score;

/// Quarter-note BPM in force at the start of a score.
pub fn initial_bpm(score: &Score) -> f64 {
    score.tempo.at(0).bpm()
}

/// Loss in [0, 1] between two tempi in BPM; 0 when they are equal.
pub fn tempo_loss(predicted_bpm: f64, true_bpm: f64, cfg: &TempoConfig) -> f64 {
    cfg.ramp.eval(predicted_bpm - true_bpm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::TempoMap;

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
}
