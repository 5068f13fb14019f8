//! `Q:` values that reproduce a MIDI tempo: a beat of 1/4, 1/8, 1/16, ... note and an
//! integer number of beats per minute, the coarsest beat whose integer lands within
//! `MAX_RELATIVE_ERROR` of the MIDI tempo.
//!
//! Integer BPM because abc2midi reads `Q:1/4=69.5` as 69 (it stops at the decimal point);
//! a finer beat instead of a rounded quarter because 69.503 BPM written `Q:1/4=70` plays
//! 0.7 % fast, 0.4 s a minute, while `Q:1/8=139` (69.5 BPM) is 43 ppm off. Beats of
//! 3/8 or 1/2 add nothing: every tempo they write exactly, a binary beat writes too.
//!
//! A tempo map that changes often (a performance's rubato, followed beat by beat) is
//! written by error feedback instead: each stretch's tempo is rounded so that the time
//! written so far stays within `MAX_DRIFT_SECONDS` of the map's, the rounding of one
//! stretch made up in the next. Short stretches then take plain quarter-note tempi
//! (`[Q:1/4=344]`, 1.5 ms off over a one-second stretch, where 50 ppm asked for
//! `[Q:1/64=5495]`), and the drift never adds up; a long stretch, where a rounded quarter
//! would drift beyond the bound, still takes the finer beat that `MAX_RELATIVE_ERROR` asks.
//!
//! A change is written where the writer can put it (see `written_tempi`'s `places`): a
//! change a few ticks off the notes' grid moves onto it, and the stretches on either side
//! take the time the map gives them between the places. The notes, all on the grid, keep
//! their seconds. The tempi are chosen twice: before the lead line is engraved, from
//! where the writer tries to put each change (to leave out the changes that would repeat
//! the tempo in force), and after, from where it put them.

use std::fmt;

use crate::score::TempoMap;

/// Largest relative difference between the written tempo and the MIDI tempo: 50 ppm,
/// 3 ms per minute of music (the target is 5 ms; abc2midi rounds the tempo it writes
/// to whole microseconds, far below this).
pub const MAX_RELATIVE_ERROR: f64 = 50e-6;

/// Finest beat tried: 1/2^16 note. Every tempo a MIDI file can state (at most
/// 2^24 - 1 us per quarter, 3.6 BPM) is within `MAX_RELATIVE_ERROR` before that; slower
/// ones get the closest this beat allows.
const FINEST_BEAT_EXPONENT: u32 = 16;

/// Largest gap, in seconds, that written tempi may leave between the time they have played
/// and the tempo map's at the end of any stretch: 3 ms, below what a listener or the
/// 50 ms onset tolerance of transcription metrics can tell.
pub const MAX_DRIFT_SECONDS: f64 = 0.003;

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

    /// Quarter notes per minute.
    fn quarter_bpm(self) -> f64 {
        f64::from(self.per_minute) * 4.0 / f64::from(self.beat)
    }

    /// The tempo to write for a stretch of `quarters` quarter notes that the map plays
    /// in `seconds` (`micros_per_quarter` on average), when the time written before it
    /// runs `drift` seconds ahead of the map: the coarsest beat whose rounded tempo,
    /// aimed at making up the drift, leaves at most `MAX_DRIFT_SECONDS` at the stretch's
    /// end, else `from_micros`'s. Returns it with the drift it leaves at the stretch's end.
    fn for_stretch(micros_per_quarter: u32, quarters: f64, seconds: f64, drift: f64) -> (Tempo, f64) {
        let drift_after = |tempo: Tempo| drift + (60.0 * quarters / tempo.quarter_bpm() - seconds);
        let exact = Tempo::from_micros(micros_per_quarter);
        let aimed = seconds - drift;
        if quarters <= 0.0 || aimed <= 0.0 {
            return (exact, drift_after(exact));
        }
        let aimed_bpm = 60.0 * quarters / aimed;
        for exponent in 2..=FINEST_BEAT_EXPONENT {
            let beat = 1u32 << exponent;
            if beat >= exact.beat {
                break;
            }
            let per_minute = (aimed_bpm * f64::from(beat) / 4.0).round().clamp(1.0, f64::from(u32::MAX));
            let tempo = Tempo { beat, per_minute: per_minute as u32 };
            let after = drift_after(tempo);
            if after.abs() <= MAX_DRIFT_SECONDS {
                return (tempo, after);
            }
        }
        (exact, drift_after(exact))
    }
}

/// The tempi to write for a tempo map: the first, and for each later change (the map's
/// changes after tick 0, in order) the tempo written there, `None` where it would repeat
/// the tempo in force or is not written (see the module doc). `places` holds the tick
/// where each change is written, `None` for one that is not (its tempo then counts in
/// the stretch it falls in): the writer's grid, when a sequencer put a change a few ticks
/// off the notes'. Each written stretch plays the time the map takes between the places,
/// so the timing at every place is the map's, wherever the change was moved from. `end`
/// is the tick where the music ends, the end of the last stretch.
pub fn written_tempi(
    map: &TempoMap,
    ticks_per_quarter: u32,
    end: u64,
    places: &[Option<u64>],
) -> (Tempo, Vec<Option<Tempo>>) {
    // (written tick, the map's tempo there, index of the change; None for the first).
    let mut stretches = vec![(0, map.at(0).micros_per_quarter, None)];
    for (change, (place, index)) in map.later_changes().iter().zip(places.iter().zip(0..)) {
        if let Some(place) = *place {
            let at = place.max(stretches.last().map_or(0, |s| s.0));
            stretches.push((at, change.micros_per_quarter, Some(index)));
        }
    }
    let tpq = ticks_per_quarter.max(1);
    let bounds: Vec<u64> =
        stretches.iter().map(|s| s.0).chain([end.max(stretches.last().map_or(0, |s| s.0))]).collect();
    let clock = map.seconds_at_sorted(&bounds, tpq);
    let mut first = None;
    let mut written = vec![None; places.len()];
    let mut in_force = None;
    let mut drift = 0.0;
    for (i, &(tick, micros, index)) in stretches.iter().enumerate() {
        let next = bounds[i + 1];
        // A change written where the next one is has no stretch: the next one is in force.
        if next == tick && i + 1 < stretches.len() {
            continue;
        }
        let quarters = (next - tick) as f64 / f64::from(tpq);
        let seconds = clock[i + 1] - clock[i];
        let average = if quarters > 0.0 { (seconds * 1e6 / quarters).round() as u32 } else { micros };
        let tempo;
        (tempo, drift) = Tempo::for_stretch(average, quarters, seconds, drift);
        match index {
            _ if in_force == Some(tempo) => {}
            Some(index) if first.is_some() => written[index] = Some(tempo),
            _ => first = Some(tempo),
        }
        in_force = Some(tempo);
    }
    (first.unwrap_or_else(|| Tempo::from_micros(map.at(0).micros_per_quarter)), written)
}

impl fmt::Display for Tempo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1/{}={}", self.beat, self.per_minute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::TempoChange;

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

    /// Where each change after tick 0 is, as the places of changes written where they are.
    fn ticks_of_changes(map: &TempoMap) -> Vec<Option<u64>> {
        map.later_changes().iter().map(|c| Some(c.tick)).collect()
    }

    /// Changes 14 ticks after the beat (480 per quarter), written on the beat: the
    /// stretches between the written places play the map's time, so every beat, where
    /// the notes are, keeps its second within `MAX_DRIFT_SECONDS`.
    #[test]
    fn moved_changes_keep_the_time_at_their_places() {
        let mut changes = Vec::new();
        for beat in 0..200u64 {
            let micros = if beat % 2 == 0 { 362_319 } else { 380_711 };
            changes.push(TempoChange { tick: beat * 480 + if beat == 0 { 0 } else { 14 }, micros_per_quarter: micros });
        }
        let map = TempoMap::from_changes(changes);
        let places: Vec<Option<u64>> = (1..200u64).map(|beat| Some(beat * 480)).collect();
        let (first, later) = written_tempi(&map, 480, 200 * 480, &places);
        let (mut tempo, mut written) = (first, 0.0);
        for beat in 0..200u64 {
            if let Some(Some(next)) = beat.checked_sub(1).map(|i| later[i as usize]) {
                tempo = next;
            }
            written += 60.0 / tempo.quarter_bpm();
            let truth = map.seconds_at((beat + 1) * 480, 480);
            assert!((written - truth).abs() <= MAX_DRIFT_SECONDS + 1e-9, "beat {beat}: {written} vs {truth}");
        }
    }

    /// A performance's rubato, one tempo per beat around 344 BPM (quarter), for a minute:
    /// every change is written as a quarter-note tempo, and the written time never drifts
    /// more than `MAX_DRIFT_SECONDS` from the map's at any change.
    #[test]
    fn rubato_takes_quarter_tempi_without_drift() {
        let tpq = 960u32;
        let micros: Vec<u32> = (0..344u32).map(|i| 174_418 + (i * 7919 % 23_000)).collect();
        let changes =
            micros.iter().zip(0u64..).map(|(&m, i)| TempoChange { tick: i * u64::from(tpq), micros_per_quarter: m });
        let map = TempoMap::from_changes(changes.collect());
        let end = micros.len() as u64 * u64::from(tpq);
        let (first, later) = written_tempi(&map, tpq, end, &ticks_of_changes(&map));
        let mut all = vec![(0, first)];
        all.extend(later.iter().zip(1u64..).filter_map(|(t, beat)| Some((beat * u64::from(tpq), (*t)?))));
        assert!(all.iter().all(|(_, t)| t.beat == 4), "{all:?}");
        let (mut written, mut truth) = (0.0, 0.0);
        for (beat, &m) in micros.iter().enumerate() {
            let tempo = all.iter().rev().find(|(tick, _)| *tick <= beat as u64 * u64::from(tpq)).unwrap().1;
            written += 60.0 / tempo.quarter_bpm();
            truth += f64::from(m) * 1e-6;
            assert!((written - truth).abs() <= MAX_DRIFT_SECONDS + 1e-9, "beat {beat}: {written} vs {truth}");
        }
    }

    /// One long stretch cannot make up a rounded quarter: it keeps the exact form.
    #[test]
    fn one_long_stretch_keeps_the_exact_beat() {
        let map = TempoMap::constant(863_272);
        assert_eq!(written_tempi(&map, 480, 480 * 400, &[]).0.to_string(), "1/8=139");
        assert_eq!(written_tempi(&TempoMap::constant(500_000), 480, 480 * 400, &[]).0.to_string(), "1/4=120");
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
