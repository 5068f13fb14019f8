//! `Q:` values that reproduce a MIDI tempo: a beat of 1/4, 1/8, 1/16, ... note and an
//! integer number of beats per minute, the coarsest beat whose integer lands within
//! `MAX_RELATIVE_ERROR` of the MIDI tempo.
//!
//! Integer BPM because abc2midi reads `Q:1/4=69.5` as 69 (it stops at the decimal point);
//! a finer beat instead of a rounded quarter because 69.503 BPM written `Q:1/4=70` plays
//! 0.7 % fast, 0.4 s a minute, while `Q:1/8=139` (69.5 BPM) is 43 ppm off. Beats of
//! 3/8 or 1/2 add nothing: every tempo they write exactly, a binary beat writes too.

use std::fmt;

/// Largest relative difference between the written tempo and the MIDI tempo: 50 ppm,
/// 3 ms per minute of music (the target is 5 ms; abc2midi rounds the tempo it writes
/// to whole microseconds, far below this).
pub const MAX_RELATIVE_ERROR: f64 = 50e-6;

/// Finest beat tried: 1/2^16 note. Every tempo a MIDI file can state (at most
/// 2^24 - 1 us per quarter, 3.6 BPM) is within `MAX_RELATIVE_ERROR` before that; slower
/// ones get the closest this beat allows.
const FINEST_BEAT_EXPONENT: u32 = 16;

/// A written tempo: `per_minute` beats of a `1/beat` note per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tempo {
    /// Denominator of the beat note: 4 for quarter notes, 8 for eighths, ...
    pub beat: u32,
    pub per_minute: u32,
}

impl Tempo {
    /// The tempo to write for a MIDI tempo of `micros_per_quarter` microseconds per
    /// quarter note.
    pub fn from_micros(micros_per_quarter: u32) -> Tempo {
        let quarter_bpm = 60_000_000.0 / f64::from(micros_per_quarter.max(1));
        let mut best = Tempo { beat: 4, per_minute: 1 };
        let mut best_error = f64::INFINITY;
        for exponent in 2..=FINEST_BEAT_EXPONENT {
            let beat = 1u32 << exponent;
            // Beats of 1/beat per minute: a quarter holds beat / 4 of them.
            let exact = quarter_bpm * f64::from(beat) / 4.0;
            let per_minute = exact.round().clamp(1.0, f64::from(u32::MAX));
            let error = (per_minute / exact - 1.0).abs();
            if error < best_error {
                (best, best_error) = (Tempo { beat, per_minute: per_minute as u32 }, error);
            }
            if error <= MAX_RELATIVE_ERROR {
                break;
            }
        }
        best
    }
}

impl fmt::Display for Tempo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1/{}={}", self.beat, self.per_minute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(micros: u32) -> String {
        Tempo::from_micros(micros).to_string()
    }

    #[test]
    fn whole_quarter_note_tempi_stay_quarters() {
        assert_eq!(written(500_000), "1/4=120");
        assert_eq!(written(625_000), "1/4=96");
        // 130 BPM is 461,538.46 us: the rounded microseconds are 1 ppm off.
        assert_eq!(written(461_538), "1/4=130");
    }

    #[test]
    fn fractional_tempi_take_the_coarsest_beat_that_fits() {
        // MusicNet 2207: 69.503 BPM. 1/4=70 is 0.7 % fast; 1/8=139 is 43 ppm off.
        assert_eq!(written(863_272), "1/8=139");
        assert_eq!(written(960_000), "1/8=125");
        // 66.667 BPM (900,000 us) has no short binary form: 1/512=8533 is 39 ppm off.
        assert_eq!(written(900_000), "1/512=8533");
        // 99.75 BPM: 1/16=399.
        assert_eq!(written(601_504), "1/16=399");
    }

    #[test]
    fn every_tempo_is_within_the_tolerance() {
        for micros in (200_000..3_000_000).step_by(997).chain([1, 7, 16_777_215]) {
            let tempo = Tempo::from_micros(micros);
            let quarter_bpm = f64::from(tempo.per_minute) * 4.0 / f64::from(tempo.beat);
            let error = (quarter_bpm * f64::from(micros) / 60_000_000.0 - 1.0).abs();
            assert!(error <= MAX_RELATIVE_ERROR, "{micros} us -> {tempo}: {error}");
        }
    }
}
