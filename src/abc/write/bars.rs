//! Engraving: one line's chords -> a stream of `Token`s laid on the bar grid.
//!
//! Each bar is cut into contiguous segments (chords, and rests filling the gaps);
//! chords crossing a bar line, a key change (main lines), or a tempo change (the lead
//! line) are split there and tied. Segments are grouped into plain runs and tuplets
//! (`tuplets`), and each written length that is not a single notated length becomes
//! tied notes, longest first (`rhythm`). Tokens know lengths in whole notes, not in
//! `L:` units, so the unit can be chosen afterwards from their histogram.
//!
//! Overlay lines (`&`) carry no fields: metre, key and tempo belong to the voice's main
//! line. They are spelled in the key in force at the end of each bar, the key abc2midi
//! applies to an overlay after the main line's mid-bar `[K:]` (see docs/abc-dialect.md).

use super::rhythm::{self, HISTOGRAM_SIZE, Len};
use super::tempo::written_tempi;
use super::tuplets::{BarGrid, Ratio, Segment, group_bar};
use super::voices::{Chord, Line};
use crate::score::{Key, Score};

/// One written element of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// Bar line after a bar.
    Bar,
    /// `[M:n/d]` at the start of a bar.
    Metre(u8, u8),
    /// `[K:..]`.
    Key(Key),
    /// The key the following notes are spelled in, not written (overlay lines).
    KeyInForce(Key),
    /// `[Q:1/n=m]` for the tempo map's change with this index in
    /// `TempoMap::later_changes`, unless it writes the tempo already in force: see
    /// `tempo::written_tempi`. The index after the last is a lead-in's tempo, which opens
    /// the lead line (`state_after_lead_in`).
    Tempo(u32),
    /// `(p:q:r`: the next `r` notes and rests are a tuplet; `simple` when they are
    /// single notes and rests of one written length.
    Tuplet {
        ratio: Ratio,
        count: u8,
        simple: bool,
    },
    Rest(Len),
    /// A note or chord (`pitches` indexes the line's pitch pool); `tie` writes `-`.
    Note {
        pitches: (u32, u32),
        len: Len,
        tie: bool,
    },
}

/// Everything all lines share: bar lines, metres, key and tempo changes.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Ticks per whole note.
    pub whole: u64,
    /// Bar lines: the first at 0, the last ending the last bar.
    pub bars: Vec<u64>,
    /// (numerator, denominator) of each bar.
    pub metres: Vec<(u8, u8)>,
    pub first_key: Key,
    /// Key changes after tick 0 (each to a different key).
    pub keys: Vec<(u64, Key)>,
    /// Where the lead line tries to write the tempo changes after tick 0 that write a
    /// new tempo there (see `tempo_place`), with their indices among the map's changes.
    pub tempos: Vec<(u64, u32)>,
    /// Ticks from the virtual downbeat of a pickup bar to tick 0.
    pub pickup_shift: u64,
    /// Snapping grid for unquantized positions: a 1/64 note, or the finest binary
    /// length the resolution allows.
    pub snap: u64,
    /// Seconds a tick lasts in each bar, on average (`BarGrid::tick_seconds`).
    tick_seconds: Vec<f64>,
}

impl Timeline {
    pub fn new(score: &Score) -> Self {
        let whole = (u64::from(score.ticks_per_quarter) * 4).max(1);
        let first_metre = score.time_signature_at(0);
        let mut bars = score.bar_lines(score.end_tick());
        if bars.len() < 2 {
            bars.push(bars[0] + first_metre.bar_ticks(score.ticks_per_quarter).max(1));
        }
        let metres = bars[..bars.len() - 1]
            .iter()
            .map(|&b| score.time_signature_at(b))
            .map(|t| (t.numerator, t.denominator))
            .collect();
        let first_key = score.key_at(0);
        let mut keys: Vec<(u64, Key)> = Vec::new();
        for change in score.key_signatures.iter().filter(|k| k.tick > 0) {
            if keys.last().map_or(first_key, |k| k.1) != change.key {
                keys.push((change.tick, change.key));
            }
        }
        let nominal = first_metre.bar_ticks(score.ticks_per_quarter);
        let pickup_shift = if score.pickup_ticks > 0 { nominal.saturating_sub(score.pickup_ticks) } else { 0 };
        let snap = whole >> whole.trailing_zeros().min(6);
        let seconds = score.tempo.seconds_at_sorted(&bars, score.ticks_per_quarter);
        let tick_seconds =
            bars.windows(2).zip(seconds.windows(2)).map(|(b, t)| (t[1] - t[0]) / (b[1] - b[0]).max(1) as f64).collect();
        let mut timeline =
            Timeline { whole, bars, metres, first_key, keys, tempos: Vec::new(), pickup_shift, snap, tick_seconds };
        timeline.tempos = timeline.tempo_changes(score);
        timeline
    }

    /// The tempo changes after tick 0 that write a new tempo where the writer tries to
    /// put them (see `tempo_place`), with their indices among the map's changes.
    fn tempo_changes(&self, score: &Score) -> Vec<(u64, u32)> {
        let later = score.tempo.later_changes();
        if later.is_empty() {
            return Vec::new();
        }
        let mut onsets: Vec<u64> = score.parts.iter().flat_map(|p| p.notes.iter().map(|n| n.start)).collect();
        onsets.extend_from_slice(&self.bars);
        onsets.sort_unstable();
        onsets.dedup();
        let tried: Vec<Option<u64>> = (later.iter().zip(score.tempo.changes()))
            .map(|(change, before)| {
                let delta = change.micros_per_quarter.abs_diff(before.micros_per_quarter);
                let grid = self.bar_grid(self.bar_at(change.tick));
                Some(tempo_place(change.tick, delta, score.ticks_per_quarter, &grid, &onsets))
            })
            .collect();
        let (_, tempi) = written_tempi(&score.tempo, score.ticks_per_quarter, score.end_tick(), &tried);
        (tried.iter().zip(tempi).zip(0..))
            .filter_map(|((place, tempo), index)| Some(((*place)?, index)).filter(|_| tempo.is_some()))
            .collect()
    }

    /// The bar holding `tick` (the last one for ticks after the music).
    fn bar_at(&self, tick: u64) -> usize {
        self.bars.partition_point(|&b| b <= tick).saturating_sub(1).min(self.bar_count() - 1)
    }

    /// The grid of bar `bar`, as tuplets are found and positions snapped on it.
    fn bar_grid(&self, bar: usize) -> BarGrid {
        BarGrid {
            start: self.bars[bar],
            end: self.bars[bar + 1],
            shift: if bar == 0 { self.pickup_shift } else { 0 },
            whole: self.whole,
            snap: self.snap,
            tick_seconds: self.tick_seconds[bar],
        }
    }

    pub fn bar_count(&self) -> usize {
        self.bars.len() - 1
    }
}

/// How much a tempo change may move an onset when it is written at the nearest onset
/// instead of where it is: 1 ms, against the 3 ms the written tempi may drift.
const TEMPO_MOVE_SECONDS: f64 = 0.001;

/// Where the lead line tries to write a tempo change at `tick`, `delta_micros` from the
/// tempo before it: at the nearest of `onsets` (every part's onsets and the bar lines,
/// sorted), unless that would move the onsets on the way by more than
/// `TEMPO_MOVE_SECONDS` (the written stretch takes the average tempo of the map between
/// the places); else where it is when that is on the binary `snap` grid of its bar, else
/// at the nearest point of that grid. A change between onsets cuts a note or rest in the
/// lead line, and one off the grid cannot be written there at all: sequencers put tempo
/// changes there (piano-midi.de's agogic accents 14 ticks after the beat, at 480 per
/// quarter; its ritardandi, a change every few ticks, through triplets). Where the change
/// is written in the end (snapping may move it again) is what `engrave` records.
fn tempo_place(tick: u64, delta_micros: u32, ticks_per_quarter: u32, grid: &BarGrid, onsets: &[u64]) -> u64 {
    let after = onsets.partition_point(|&p| p < tick);
    let nearest = [after.checked_sub(1).map(|i| onsets[i]), onsets.get(after).copied()]
        .into_iter()
        .flatten()
        .min_by_key(|&p| p.abs_diff(tick));
    let moved_seconds =
        |to: u64| to.abs_diff(tick) as f64 / f64::from(ticks_per_quarter.max(1)) * f64::from(delta_micros) * 1e-6;
    if let Some(onset) = nearest.filter(|&p| moved_seconds(p) <= TEMPO_MOVE_SECONDS) {
        return onset;
    }
    grid.nearest_snap_point(tick).clamp(grid.start, grid.end)
}

/// What a line writes besides its notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRole {
    /// The main line of the first voice: metre, key and tempo changes.
    Lead,
    /// The main line of another voice: metre and key changes.
    Main,
    /// An overlay: no fields (see the module doc).
    Overlay,
}

/// Engraves `line` into `tokens` (one `Token::Bar` per bar) and counts every written
/// length in `histogram`. Pitches of chords merged by snapping are appended to
/// `line.pitches`. The lead line records in `tempo_places` the tick where it wrote each
/// tempo change (indexed as `Token::Tempo`; the others stay as they are).
pub fn engrave(
    line: &mut Line,
    timeline: &Timeline,
    role: LineRole,
    tokens: &mut Vec<Token>,
    histogram: &mut [u32; HISTOGRAM_SIZE],
    tempo_places: &mut [Option<u64>],
) {
    let mut segments = Vec::new();
    let mut groups = Vec::new();
    let mut splits = Vec::new();
    let mut fields = Vec::new();
    let (mut chord_cursor, mut key_cursor, mut tempo_cursor) = (0, 0, 0);
    for bar in 0..timeline.bar_count() {
        let (start, end) = (timeline.bars[bar], timeline.bars[bar + 1]);
        if role != LineRole::Overlay && bar > 0 && timeline.metres[bar] != timeline.metres[bar - 1] {
            let (n, d) = timeline.metres[bar];
            tokens.push(Token::Metre(n, d));
        }
        while line.chords.get(chord_cursor).is_some_and(|c| c.end <= start) {
            chord_cursor += 1;
        }
        fields.clear();
        take_changes(&timeline.keys, &mut key_cursor, end, Token::Key, &mut fields);
        if role == LineRole::Overlay {
            if let Some(&(_, Token::Key(key))) = fields.last() {
                tokens.push(Token::KeyInForce(key));
            }
            fields.clear();
        }
        if role == LineRole::Lead {
            take_changes(&timeline.tempos, &mut tempo_cursor, end, Token::Tempo, &mut fields);
            fields.sort_by_key(|f| f.0);
        }
        splits.clear();
        splits.extend(fields.iter().map(|f| f.0));
        let grid = timeline.bar_grid(bar);
        cut_bar(line, chord_cursor, &grid, &splits, &mut segments);
        group_bar(&mut segments, &mut line.pitches, &grid, &mut groups);
        let mut pending = fields.iter().peekable();
        for group in &groups {
            let tuplet_at = tokens.len();
            let ratio = group.tuplet.unwrap_or(Ratio { p: 1, q: 1 });
            if let Some(ratio) = group.tuplet {
                tokens.push(Token::Tuplet { ratio, count: 0, simple: true });
            }
            let mut count = 0usize;
            for segment in &segments[group.segments.clone()] {
                // Snapping may have moved the boundary cut at a field's tick: the field
                // goes to the nearest boundary, before this segment when it falls in
                // its first half.
                while let Some(field) = pending.next_if(|f| f.0 * 2 <= segment.start + segment.end) {
                    place_field(field.1, segment.start, tokens, tempo_places);
                }
                count += write_segment(segment, ratio, timeline.whole, tokens, histogram);
            }
            if group.tuplet.is_some() {
                let simple = single_notes_of_one_length(&tokens[tuplet_at + 1..]);
                if let Some(Token::Tuplet { count: count_slot, simple: simple_slot, .. }) = tokens.get_mut(tuplet_at) {
                    *count_slot = count.min(usize::from(u8::MAX)) as u8;
                    *simple_slot = simple;
                }
            }
        }
        for field in pending {
            place_field(field.1, end, tokens, tempo_places);
        }
        tokens.push(Token::Bar);
    }
}

/// Writes a field token at `tick`, recording where a tempo change went.
fn place_field(field: Token, tick: u64, tokens: &mut Vec<Token>, tempo_places: &mut [Option<u64>]) {
    if let Token::Tempo(index) = field
        && let Some(place) = tempo_places.get_mut(index as usize)
    {
        *place = Some(tick);
    }
    tokens.push(field);
}

/// True when `tokens` hold no chord and all their notes and rests have one length.
fn single_notes_of_one_length(tokens: &[Token]) -> bool {
    let mut lengths = tokens.iter().filter_map(|t| match t {
        Token::Note { pitches: (from, to), len, .. } => Some((to - from == 1).then_some(*len)),
        Token::Rest(len) => Some(Some(*len)),
        _ => None,
    });
    let first = lengths.next().flatten();
    first.is_some() && lengths.all(|len| len == first)
}

/// Moves the changes before `end` from `changes[*cursor..]` to `fields` as tokens.
fn take_changes<T: Copy>(
    changes: &[(u64, T)],
    cursor: &mut usize,
    end: u64,
    token: impl Fn(T) -> Token,
    fields: &mut Vec<(u64, Token)>,
) {
    while let Some(&(tick, value)) = changes.get(*cursor).filter(|c| c.0 < end) {
        fields.push((tick, token(value)));
        *cursor += 1;
    }
}

/// Cuts bar `grid` of a line into contiguous segments, split at `splits`. A chord that
/// ends a sliver past a bar line (see `BarGrid::rounds_to_downbeat`) ends at it: a
/// sequencer's note released a few ticks into the next bar, where a tied sliver would
/// be written a whole 1/64 note long and push the next note late.
fn cut_bar(line: &Line, first_chord: usize, grid: &BarGrid, splits: &[u64], out: &mut Vec<Segment>) {
    let (start, end) = (grid.start, grid.end);
    let ends_at_bar_line = |chord: &Chord, bar_line: u64| {
        chord.start < bar_line && chord.end > bar_line && grid.rounds_to_downbeat(chord.end - bar_line)
    };
    out.clear();
    let mut at = start;
    let chords = line.chords[first_chord..].iter().take_while(|c| c.start < end);
    for chord in chords.filter(|c| !ends_at_bar_line(c, start)) {
        let from = chord.start.max(start);
        if from > at {
            out.push(Segment { start: at, end: from, pitches: None, tie: false });
        }
        at = chord.end.min(end);
        let tie = chord.end > end && !ends_at_bar_line(chord, end);
        out.push(Segment { start: from, end: at, pitches: Some(chord.pitches), tie });
    }
    if at < end {
        out.push(Segment { start: at, end, pitches: None, tie: false });
    }
    for &tick in splits {
        if let Some(i) = out.iter().position(|s| s.start < tick && tick < s.end) {
            Segment::split(out, i, tick);
        }
    }
}

/// Writes one segment as tied notes (or rests) of single notated lengths; returns how
/// many it wrote. Inside a tuplet written lengths are actual lengths * p / q.
fn write_segment(
    segment: &Segment,
    ratio: Ratio,
    whole: u64,
    tokens: &mut Vec<Token>,
    histogram: &mut [u32; HISTOGRAM_SIZE],
) -> usize {
    let ticks = (segment.end - segment.start) * u64::from(ratio.p);
    let whole = whole * u64::from(ratio.q);
    let (num, k) = rhythm::dyadic(ticks, whole).unwrap_or_else(|| rounded(ticks, whole, segment.pitches.is_some()));
    let before = tokens.len();
    let mut pieces = rhythm::pieces(num, k).peekable();
    while let Some(len) = pieces.next() {
        histogram[len.histogram_slot()] += 1;
        tokens.push(match segment.pitches {
            Some(pitches) => Token::Note { pitches, len, tie: pieces.peek().is_some() || segment.tie },
            None => Token::Rest(len),
        });
    }
    tokens.len() - before
}

/// An off-grid length (only left by an odd bar length) rounded to 1/64 notes; notes
/// keep at least one 1/64 so that none disappears.
fn rounded(ticks: u64, whole: u64, is_note: bool) -> (u64, u32) {
    let sixty_fourths = (ticks * 64 + whole / 2) / whole;
    (if is_note { sixty_fourths.max(1) } else { sixty_fourths }, 6)
}
