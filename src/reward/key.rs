//! Key accuracy (reported, not weighted): exact match and mir_eval's weighted score.
//!
//! The weighted score (MIREX key detection) gives 1 for the same key, 0.5 for a key a
//! perfect fifth above in the same mode, 0.3 for the relative major/minor, 0.2 for
//! the parallel key (same tonic, other mode), else 0. Church modes are compared as
//! modes of their own: only exact, fifth and parallel relations apply to them.

use serde::Serialize;

use crate::score::{Key, Mode};

/// How well the predicted key matches the true one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KeyScore {
    /// Same tonic (pitch class) and mode.
    pub exact: bool,
    /// mir_eval `key.weighted_score`.
    pub weighted: f64,
}

pub fn key_score(predicted: Key, truth: Key) -> KeyScore {
    let (p, t) = (predicted.tonic_pitch_class(), truth.tonic_pitch_class());
    let up = (12 + p - t) % 12;
    let weighted = match (predicted.mode, truth.mode) {
        (pm, tm) if pm == tm && up == 0 => 1.0,
        (pm, tm) if pm == tm && up == 7 => 0.5,
        (Mode::Minor, Mode::Major) if up == 9 => 0.3,
        (Mode::Major, Mode::Minor) if up == 3 => 0.3,
        _ if up == 0 => 0.2,
        _ => 0.0,
    };
    KeyScore { exact: weighted == 1.0, weighted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirex_weights() {
        let c = Key::new(0, Mode::Major);
        assert_eq!(key_score(c, c), KeyScore { exact: true, weighted: 1.0 });
        assert_eq!(key_score(Key::new(1, Mode::Major), c).weighted, 0.5); // G over C
        assert_eq!(key_score(Key::new(0, Mode::Minor), c).weighted, 0.3); // Am for C
        assert_eq!(key_score(Key::new(-3, Mode::Major), Key::new(0, Mode::Minor)).weighted, 0.0); // Eb for Am
        assert_eq!(key_score(Key::new(0, Mode::Major), Key::new(0, Mode::Minor)).weighted, 0.3); // C for Am
        assert_eq!(key_score(Key::new(-3, Mode::Minor), c).weighted, 0.2); // Cm for C
        assert_eq!(key_score(Key::new(-1, Mode::Major), c).weighted, 0.0); // F for C
    }
}
