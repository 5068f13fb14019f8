//! Cutting a time window out of a score, exactly as an audio clip of the same span is cut,
//! so that a clip's ABC describes what its audio contains and nothing else.
//!
//! A window keeps what sounds in `[start, end)`: notes crossing an edge are clipped to it,
//! parts silent in the window are dropped, times are shifted so `start` is tick 0, and the
//! tempo, metre and key in force at `start` become the window's first entries. The bar
//! grid stays the original's: a window starting mid-bar opens with a pickup.

use super::{KeyChange, Note, Part, Score, TempoChange, TempoMap, TimeSignature};

impl Score {
    /// The part of the score in `[start, end)` ticks, shifted to start at tick 0 (see the
    /// module documentation). An empty or reversed span gives a score without parts.
    pub fn window(&self, start: u64, end: u64) -> Score {
        let end = end.max(start);
        let next_bar_line = self.bar_lines(start).last().copied().unwrap_or(start);
        let tempo_changes =
            changes_window(self.tempo.changes(), start, end, |c| c.tick, |c, tick| TempoChange { tick, ..c });
        Score {
            title: self.title.clone(),
            ticks_per_quarter: self.ticks_per_quarter,
            tempo: TempoMap::from_changes(tempo_changes),
            time_signatures: changes_window(
                &self.time_signatures,
                start,
                end,
                |t| t.tick,
                |t, tick| TimeSignature { tick, ..t },
            ),
            key_signatures: changes_window(
                &self.key_signatures,
                start,
                end,
                |k| k.tick,
                |k, tick| KeyChange { tick, ..k },
            ),
            pickup_ticks: (next_bar_line - start).min(end - start),
            parts: self.parts.iter().filter_map(|part| part_window(part, start, end)).collect(),
        }
    }

    /// `window` between two times in seconds (each rounded to the nearest tick).
    pub fn window_seconds(&self, start_s: f64, end_s: f64) -> Score {
        self.window(self.tick_at(start_s), self.tick_at(end_s))
    }

    /// The ticks `[start, end)` of bars `first_bar..end_bar`, 0-based as in
    /// `Score::bar_lines` (bar 0 is the pickup when there is one). Indices past the bar
    /// that ends the last note are clamped to that bar's end; `end_bar < first_bar` gives
    /// an empty span.
    pub fn bar_span(&self, first_bar: usize, end_bar: usize) -> (u64, u64) {
        let bars = self.bar_lines(self.end_tick());
        let at = |index: usize| bars[index.min(bars.len() - 1)];
        (at(first_bar), at(end_bar.max(first_bar)))
    }
}

/// The part's notes sounding in `[start, end)`, clipped and shifted; `None` when silent.
fn part_window(part: &Part, start: u64, end: u64) -> Option<Part> {
    let mut notes: Vec<Note> = part
        .notes
        .iter()
        .filter(|n| n.start.max(start) < end && n.end() > start)
        .map(|n| {
            let onset = n.start.max(start);
            Note { start: onset - start, duration: n.end().min(end) - onset, ..*n }
        })
        .collect();
    if notes.is_empty() {
        return None;
    }
    // Notes clipped at `start` all begin at 0 and may now be out of pitch order.
    notes.sort_by_key(|n| (n.start, n.pitch));
    Some(Part {
        name: part.name.clone(),
        instrument: part.instrument.clone(),
        channel: part.channel,
        is_drum: part.is_drum,
        notes,
    })
}

/// The changes of a list sorted by tick that matter in `[start, end)`: the one in force at
/// `start`, moved to tick 0, and the later ones before `end`, shifted by `start`.
fn changes_window<T: Copy>(
    changes: &[T],
    start: u64,
    end: u64,
    tick: impl Fn(&T) -> u64,
    with_tick: impl Fn(T, u64) -> T,
) -> Vec<T> {
    let in_force = changes.iter().rposition(|c| tick(c) <= start).unwrap_or(0);
    let later = changes[in_force..].iter().skip(1).take_while(|c| tick(c) < end);
    changes[in_force..].iter().take(1).chain(later).map(|&c| with_tick(c, tick(&c).saturating_sub(start))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Instrument, Key, Mode};

    fn note(start: u64, duration: u64, pitch: u8) -> Note {
        Note { start, duration, pitch, velocity: 80 }
    }

    fn part(program: u8, notes: Vec<Note>) -> Part {
        Part { name: None, instrument: Instrument::from_program(program), channel: Some(0), is_drum: false, notes }
    }

    /// 4/4 at 120 BPM, 60 BPM from tick 1920, 3/4 in G major from tick 3840 (bars at 0,
    /// 1920, 3840, 5280).
    fn piece() -> Score {
        let mut score = Score::new(480);
        score.tempo = TempoMap::from_changes(vec![
            TempoChange { tick: 0, micros_per_quarter: 500_000 },
            TempoChange { tick: 1920, micros_per_quarter: 1_000_000 },
        ]);
        score.time_signatures.push(TimeSignature { tick: 3840, numerator: 3, denominator: 4 });
        score.key_signatures.push(KeyChange { tick: 3840, key: Key::new(1, Mode::Major) });
        score.parts = vec![
            part(
                0,
                vec![
                    note(0, 960, 60),
                    note(1440, 960, 64),
                    note(1600, 800, 55),
                    note(2400, 480, 67),
                    note(3840, 1440, 72),
                ],
            ),
            part(32, vec![note(0, 480, 36)]),
        ];
        score
    }

    #[test]
    fn a_window_starting_mid_bar_and_mid_note() {
        let window = piece().window(1680, 4320);
        let mut expected = Score::new(480);
        expected.tempo = TempoMap::from_changes(vec![
            TempoChange { tick: 0, micros_per_quarter: 500_000 },
            TempoChange { tick: 240, micros_per_quarter: 1_000_000 },
        ]);
        expected.time_signatures.push(TimeSignature { tick: 2160, numerator: 3, denominator: 4 });
        expected.key_signatures.push(KeyChange { tick: 2160, key: Key::new(1, Mode::Major) });
        expected.pickup_ticks = 240;
        // The bass is silent in the window; the notes sounding at 1680 are clipped to 0.
        expected.parts =
            vec![part(0, vec![note(0, 720, 55), note(0, 720, 64), note(720, 480, 67), note(2160, 480, 72)])];
        assert_eq!(window, expected);
        // The bar grid is the original's, shifted.
        assert_eq!(window.bar_lines(2640), vec![0, 240, 2160, 3600]);
    }

    #[test]
    fn a_window_in_seconds_keeps_the_times_of_what_it_cuts() {
        let piece = piece();
        // 1.75 s is tick 1680 (120 BPM); 7 s is tick 4320 (2 s + 5 quarters at 60 BPM).
        let window = piece.window_seconds(1.75, 7.0);
        assert_eq!(window, piece.window(1680, 4320));
        let onsets: Vec<f64> = window.parts[0].notes.iter().map(|n| window.seconds_at(n.start)).collect();
        let ends: Vec<f64> = window.parts[0].notes.iter().map(|n| window.seconds_at(n.end())).collect();
        assert_eq!(onsets, vec![0.0, 0.0, 1.25, 4.25]);
        assert_eq!(ends, vec![piece.seconds_at(2400) - 1.75, piece.seconds_at(2400) - 1.75, 2.25, 5.25]);
        assert_eq!(onsets[2], piece.seconds_at(2400) - 1.75);
        assert_eq!(onsets[3], piece.seconds_at(3840) - 1.75);
    }

    #[test]
    fn windows_on_bar_lines_have_no_pickup_and_short_ones_are_all_pickup() {
        let piece = piece();
        assert_eq!(piece.window(1920, 3840).pickup_ticks, 0);
        assert_eq!(piece.window(1680, 1800).pickup_ticks, 120);
        let mut with_pickup = piece.clone();
        with_pickup.pickup_ticks = 480;
        assert_eq!(with_pickup.window(0, 1000).pickup_ticks, 480);
        assert_eq!(with_pickup.window(100, 1000).pickup_ticks, 380);
        assert_eq!(with_pickup.window(480, 1000).pickup_ticks, 0);
        let empty = piece.window(500, 400);
        assert_eq!((empty.parts.len(), empty.pickup_ticks), (0, 0));
    }

    #[test]
    fn bar_spans_follow_the_bar_lines() {
        let piece = piece();
        assert_eq!(piece.bar_span(0, 1), (0, 1920));
        assert_eq!(piece.bar_span(1, 3), (1920, 5280));
        assert_eq!(piece.bar_span(2, 99), (3840, 5280));
        assert_eq!(piece.bar_span(3, 1), (5280, 5280));
        let mut with_pickup = piece;
        with_pickup.pickup_ticks = 480;
        assert_eq!(with_pickup.bar_span(0, 1), (0, 480));
        assert_eq!(with_pickup.bar_span(1, 2), (480, 2400));
    }
}
