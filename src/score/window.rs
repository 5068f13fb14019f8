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
        .filter(|n| n.start < end && n.end() > start)
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
