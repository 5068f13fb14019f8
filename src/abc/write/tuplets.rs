//! Rhythm grouping within one bar: which segments are written plainly, which form a
//! tuplet, and what to do with rhythms that fit neither (unquantized input).
//!
//! A segment is plain when it ends on the binary grid (a multiple of a power-of-two
//! fraction of a whole note, counted from the downbeat). Otherwise the writer looks for
//! the shortest beat-aligned binary span (an eighth, a quarter, a half, ...) holding
//! that end, not reaching back into an earlier tuplet nor out of the bar, in which a
//! ratio `p:q` (3:2, 5:4, 7:4; 9:8, 11:8 and 13:8 for runs) turns every boundary into a
//! written position on the 1/64-note grid (written length = actual length * p / q), or
//! on the 1/256-note grid where snapping would move the boundary by more than
//! `MAX_SNAP_SECONDS` (a slow tempo). Segments crossing the span's ends are split there
//! and tied. Six in the time of four is a 3:2 tuplet of six notes. A rest or the tail of
//! a tied note shorter than half a 1/64 note (a chord played a few ticks late, a note
//! released a few ticks after a tempo field cut it) is not spelled: the next segment
//! starts in its place. Failing all that, the segment's end is snapped to the nearest
//! 1/64 note (or the finest binary position the resolution allows); segments swallowed
//! by the snap merge their pitches into it (but a note going on past the snapped end
//! starts there), so notes move but are never lost.

use std::ops::Range;

use super::voices::{is_held, pitch_of};

/// A stretch of one voice inside one bar: a chord (`pitches` indexes the voice's pitch
/// pool) or a rest (`None`); `tie` when the chord goes on in the next segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: u64,
    pub end: u64,
    pub pitches: Option<(u32, u32)>,
    pub tie: bool,
}

/// `p` notes in the time of `q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub p: u8,
    pub q: u8,
}

/// Consecutive segments written plainly (`tuplet: None`) or as one tuplet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub segments: Range<usize>,
    pub tuplet: Option<Ratio>,
}

/// The bar being grouped: its ticks and where its beats are counted from.
#[derive(Debug, Clone, Copy)]
pub struct BarGrid {
    pub start: u64,
    pub end: u64,
    /// Ticks from the (virtual) downbeat to `start`: non-zero only in a pickup bar.
    pub shift: u64,
    /// Ticks per whole note.
    pub whole: u64,
    /// Snapping grid for unquantized positions (ticks, binary).
    pub snap: u64,
    /// Seconds a tick lasts in this bar (on average), to judge how far snapping moves a
    /// boundary (see `MAX_SNAP_SECONDS`).
    pub tick_seconds: f64,
}

impl BarGrid {
    /// Ticks from the downbeat to `tick`.
    pub fn offset(&self, tick: u64) -> u64 {
        tick - self.start + self.shift
    }

    /// The point of the snapping grid (counted from the downbeat) nearest to `tick`.
    pub fn nearest_snap_point(&self, tick: u64) -> u64 {
        ((self.offset(tick) + self.snap / 2) / self.snap * self.snap + self.start).saturating_sub(self.shift)
    }

    /// True when `tick` lies on a power-of-two fraction of a whole note from the
    /// downbeat: its offset is a multiple of the odd part of `whole`.
    fn is_binary(&self, tick: u64) -> bool {
        self.offset(tick).is_multiple_of(self.odd_part())
    }

    fn odd_part(&self) -> u64 {
        self.whole >> self.whole.trailing_zeros()
    }

    /// True when `ticks` past a bar line are on no binary position and under half a
    /// snapping step: a sliver, as `vanish_sliver` takes one inside a bar.
    pub fn rounds_to_downbeat(&self, ticks: u64) -> bool {
        2 * ticks < self.snap && !ticks.is_multiple_of(self.odd_part())
    }
}

/// Deepest binary span tried for a tuplet: a whole note / 2^8.
const MAX_DEPTH: u32 = 8;
/// Tuplet sizes tried, in order of preference. Six in the time of four needs no entry:
/// it is a 3:2 tuplet of six notes.
/// The ratios from 9:8 on (the quantizer's hand-placed runs, see
/// `analysis::quantize::hand_placed_tuplets`) only where every boundary is one of the
/// span's p points (`RUN_RATIO`): a run, not an odd position that happens to fit.
const TUPLETS: [Ratio; 6] = [
    Ratio { p: 3, q: 2 },
    Ratio { p: 5, q: 4 },
    Ratio { p: 7, q: 4 },
    Ratio { p: 9, q: 8 },
    Ratio { p: 11, q: 8 },
    Ratio { p: 13, q: 8 },
];
/// The smallest `p` of a run's ratio (see `TUPLETS`).
const RUN_RATIO: u8 = 9;
/// Written lengths inside a tuplet are multiples of a 1/64 note (a trill of 20 notes a
/// quarter is quintuplet 64ths) ...
const WRITTEN_GRID: u64 = 64;
/// ... or, where no such tuplet writes a boundary and snapping it would move it by more
/// than `MAX_SNAP_SECONDS`, of a 1/256 note: every point of the finest score grids
/// (`analysis::quantize::SCORE_GRIDS`: 80 and 96 a quarter, where an ornamented score's
/// fioriture and hand-placed grace notes go) is a written position of a 5:4 or 3:2
/// tuplet of that grid.
const FINEST_WRITTEN_GRID: u64 = 256;
/// How far (seconds) snapping may move a boundary before finer tuplets are tried: half
/// the onset tolerance of transcription metrics. In a Lento (a quarter = 40, a 1/64 note
/// 94 ms) snapping moved piano-midi.de's fioriture by up to 60 ms; a sequencer's slop at
/// a quarter = 100 moves by less than 19 ms, and spelling it in 1/256 notes took a fifth
/// more text for no gain (POP909).
const MAX_SNAP_SECONDS: f64 = 0.025;

/// A tuplet found in a bar: the ticks it spans and its ratio.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
    ratio: Ratio,
}

impl Segment {
    /// Splits segment `index` of `segments` at `tick` (inside it); a chord is tied over.
    pub fn split(segments: &mut Vec<Segment>, index: usize, tick: u64) {
        let tail = Segment { start: tick, ..segments[index] };
        segments[index].end = tick;
        segments[index].tie = segments[index].pitches.is_some();
        segments.insert(index + 1, tail);
    }
}

/// Groups the segments of one bar (contiguous, covering the bar), snapping those that
/// fit no grid; merged pitches are appended to `pool`.
pub fn group_bar(segments: &mut Vec<Segment>, pool: &mut Vec<u8>, bar: &BarGrid, groups: &mut Vec<Group>) {
    groups.clear();
    // Tuplets start at or after the end of the previous one.
    let mut floor = bar.start;
    let mut i = 0;
    while i < segments.len() {
        if bar.is_binary(segments[i].end) {
            groups.push(Group { segments: i..i + 1, tuplet: None });
            i += 1;
        } else if vanish_sliver(segments, i, floor, bar) {
            // The next segment took its place: group it in the next round.
        } else if let Some(span) = tuplet(segments, i, floor, bar, WRITTEN_GRID).or_else(|| {
            let far = snap_move(segments, i, bar) as f64 * bar.tick_seconds > MAX_SNAP_SECONDS;
            far.then(|| tuplet(segments, i, floor, bar, FINEST_WRITTEN_GRID)).flatten()
        }) {
            i = place_tuplet(segments, groups, span);
            floor = span.end;
        } else if !snap(segments, i, pool, bar) {
            // The bar itself ends off the grid (an odd pickup): written as is, rounded.
            groups.push(Group { segments: i..i + 1, tuplet: None });
            i += 1;
        }
    }
    debug_assert!(
        groups.iter().flat_map(|g| g.segments.clone()).eq(0..segments.len()),
        "groups {groups:?} do not partition the bar's segments {segments:?}"
    );
}

/// Which segments a tuplet may cut at its ends (whatever crosses its start but the
/// segment calling for it is always cut there: that cut lies on the binary grid).
#[derive(Debug, Clone, Copy)]
struct Cuts {
    /// The segment whose end calls for the tuplet may start before it (tied in).
    into_first: bool,
    /// What may cross the tuplet's end and be cut there.
    out_of_last: CutOut,
}

/// What may cross a tuplet's end, from the least to the most cutting.
#[derive(Debug, Clone, Copy)]
enum CutOut {
    /// A rest whose rest ends on the binary grid.
    Rest,
    /// A rest or a note (then tied out) whose rest ends on the binary grid.
    OnGrid,
    /// Anything: what is left ends off the grid and needs a tuplet of its own
    /// (a note tied from one triplet into the next).
    Anything,
}

/// The cuts allowed, tried in this order: the fewest ties first, so that a triplet of
/// eighths is one quarter-long tuplet, not two eighth-long ones and a tie.
const CUTS: [Cuts; 6] = [
    Cuts { into_first: false, out_of_last: CutOut::Rest },
    Cuts { into_first: false, out_of_last: CutOut::OnGrid },
    Cuts { into_first: true, out_of_last: CutOut::Rest },
    Cuts { into_first: true, out_of_last: CutOut::OnGrid },
    Cuts { into_first: false, out_of_last: CutOut::Anything },
    Cuts { into_first: true, out_of_last: CutOut::Anything },
];

/// Where tuplet spans are counted from, as ticks from that point to the bar's start:
/// the (virtual) downbeat, then, in a pickup bar, the bar's own start (a pickup's
/// rhythm may be felt from where it begins: quarter triplets filling a quarter-long
/// pickup in 3/8).
fn alignments(bar: &BarGrid) -> impl Iterator<Item = u64> {
    std::iter::once(bar.shift).chain((bar.shift > 0).then_some(0))
}

/// The tuplet that writes the end of segment `index` with lengths on the 1/`written`
/// grid: the first `find_tuplet` finds over the cuts (fewest ties first) and alignments.
fn tuplet(segments: &[Segment], index: usize, floor: u64, bar: &BarGrid, written: u64) -> Option<Span> {
    CUTS.into_iter()
        .flat_map(|cuts| alignments(bar).map(move |shift| (shift, cuts)))
        .find_map(|(shift, cuts)| find_tuplet(segments, index, floor, bar, shift, cuts, written))
}

/// The shortest binary span aligned on a multiple of its length from `shift` ticks
/// before the bar's start, starting at or after `floor`, that holds the end of segment
/// `index`, cuts no more than `cuts` allows, and in which some ratio writes every
/// boundary exactly. When a note may be cut anywhere (`CutOut::Anything`), the span
/// whose chain of tuplets of its length ties the fewest notes, shortest on ties.
fn find_tuplet(
    segments: &[Segment],
    index: usize,
    floor: u64,
    bar: &BarGrid,
    shift: u64,
    cuts: Cuts,
    written: u64,
) -> Option<Span> {
    let (at, end) = (segments[index].start, segments[index].end);
    let mut best: Option<(usize, Span)> = None;
    for depth in (0..=MAX_DEPTH).rev() {
        if !bar.whole.is_multiple_of(1 << depth) {
            continue;
        }
        let length = bar.whole >> depth;
        // `end` is off the binary grid, so strictly inside the span; the segment may
        // start before it (then it is split and tied in). Aligned spans nest, so once
        // one reaches before `floor` or past the bar, every longer one does too. An end
        // on this span's grid (`end` may be binary from one alignment and not from the
        // other) lies between two spans of this length, in neither.
        let into_span = (end - bar.start + shift) % length;
        if into_span == 0 {
            continue;
        }
        let Some(start) = end.checked_sub(into_span) else { break };
        if start < floor || start + length > bar.end {
            break;
        }
        if start > at && !cuts.into_first {
            continue;
        }
        let Some(ratio) = exact_ratio(segments, start, start + length, bar, written) else { continue };
        let span = Span { start, end: start + length, ratio };
        let Some(closing) = closing(segments, span.end) else { continue };
        let fits = match cuts.out_of_last {
            _ if closing.end == span.end => true,
            CutOut::Rest => closing.pitches.is_none() && bar.is_binary(closing.end),
            CutOut::OnGrid => bar.is_binary(closing.end),
            CutOut::Anything => {
                let ties = chain_ties(segments, span, bar, written);
                if let Some(ties) = ties.filter(|&t| best.is_none_or(|(b, _)| t < b)) {
                    best = Some((ties, span));
                }
                false
            }
        };
        if fits {
            return Some(span);
        }
    }
    best.map(|(_, span)| span)
}

/// The first ratio that writes every segment boundary strictly inside `start..end` on
/// the written grid.
fn exact_ratio(segments: &[Segment], start: u64, end: u64, bar: &BarGrid, written: u64) -> Option<Ratio> {
    // Segments are contiguous: their ends ascend.
    let first = segments.partition_point(|s| s.end <= start);
    let boundaries = || segments[first..].iter().map(|s| s.end).take_while(|&e| e < end);
    let exact = |r: &Ratio| {
        let on_points = |e: u64| r.p < RUN_RATIO || ((e - start) * u64::from(r.p)).is_multiple_of(end - start);
        boundaries().all(|e| {
            on_points(e) && ((e - start) * u64::from(r.p) * written).is_multiple_of(u64::from(r.q) * bar.whole)
        })
    };
    TUPLETS.into_iter().find(exact)
}

/// The segment that ends at or crosses `tick`.
fn closing(segments: &[Segment], tick: u64) -> Option<&Segment> {
    segments.get(segments.partition_point(|s| s.end < tick))
}

/// The notes tied from one tuplet to the next when `span` is followed by tuplets of
/// its length until one closes on a segment boundary or a note whose rest ends on the
/// binary grid; `None` when the chain leaves the bar or meets an inexact span.
fn chain_ties(segments: &[Segment], span: Span, bar: &BarGrid, written: u64) -> Option<usize> {
    let length = span.end - span.start;
    let mut ties = 0;
    let mut end = span.end;
    loop {
        let last = closing(segments, end)?;
        if last.end == end || bar.is_binary(last.end) {
            return Some(ties);
        }
        ties += 1;
        if end + length > bar.end {
            return None;
        }
        exact_ratio(segments, end, end + length, bar, written)?;
        end += length;
    }
}

/// Cuts the segments at the ends of `span` and makes a tuplet group of those inside,
/// replacing the plain groups it overlaps; returns the index of the segment after it.
fn place_tuplet(segments: &mut Vec<Segment>, groups: &mut Vec<Group>, span: Span) -> usize {
    let mut first = segments.iter().rposition(|s| s.start <= span.start).unwrap_or(0);
    while groups.last().is_some_and(|g| g.segments.start >= first) {
        groups.pop();
    }
    if segments[first].start < span.start {
        Segment::split(segments, first, span.start);
        groups.push(Group { segments: first..first + 1, tuplet: None });
        first += 1;
    }
    let last = first + segments[first..].iter().position(|s| s.end >= span.end).unwrap_or(0);
    if segments[last].end > span.end {
        Segment::split(segments, last, span.end);
    }
    groups.push(Group { segments: first..last + 1, tuplet: Some(span.ratio) });
    last + 1
}

/// Removes segment `i` when it ends off the binary grid within half a snapping step of
/// where it starts and is a rest (a chord played a few ticks late) or the tail of a tied
/// note (released a few ticks after a tempo change cut it): the next segment starts in
/// its place, rather than a tuplet of 1/256 notes or a whole step later spelling a
/// sequencer's slop. What a tuplet cut (it starts at `floor`, where the last tuplet
/// ended) is part of the rhythm and stays. Returns whether it did.
fn vanish_sliver(segments: &mut Vec<Segment>, i: usize, floor: u64, bar: &BarGrid) -> bool {
    let end = segments[i].end;
    let tied_in = i > 0 && segments[i - 1].tie;
    let sliver = end < bar.end && bar.nearest_snap_point(end) <= segments[i].start;
    let cut_by_a_tuplet = floor > bar.start && segments[i].start == floor;
    if !sliver || cut_by_a_tuplet || (segments[i].pitches.is_some() && !tied_in) {
        return false;
    }
    let sliver = segments.remove(i);
    if tied_in {
        segments[i - 1].tie = sliver.tie;
    }
    segments[i].start = sliver.start;
    true
}

/// Where `snap` moves the end of `segment`: the nearest point of the snapping grid, one
/// step after its start at least; none when the segment ends the bar.
fn snap_target(segment: &Segment, bar: &BarGrid) -> Option<u64> {
    (segment.end < bar.end).then(|| bar.nearest_snap_point(segment.end).max(segment.start + bar.snap).min(bar.end))
}

/// How many ticks `snap` would move the end of segment `i` (0 at the bar's end).
fn snap_move(segments: &[Segment], i: usize, bar: &BarGrid) -> u64 {
    snap_target(&segments[i], bar).map_or(0, |target| target.abs_diff(segments[i].end))
}

/// Moves the end of segment `i` to the snapping grid; returns false when it cannot
/// move (it ends the bar, or its bar starts off the grid).
fn snap(segments: &mut Vec<Segment>, i: usize, pool: &mut Vec<u8>, bar: &BarGrid) -> bool {
    let end = segments[i].end;
    let Some(target) = snap_target(&segments[i], bar) else { return false };
    if target == end {
        // Already as close to the grid as it gets (a bar starting off the grid).
        return false;
    }
    if target < end {
        segments[i].end = target;
        segments[i + 1].start = target;
        return true;
    }
    segments[i].end = target;
    let mut next = i + 1;
    while next < segments.len() && segments[next].end <= target {
        // A note tied on from where the snapped end lands goes on from there: it starts
        // there (a note struck a few ticks before a bar line starts on it), rather than
        // sounding from the start of the segment that swallowed its head.
        let goes_on = segments[next].tie && segments[next].end == target;
        if let Some(pitches) = segments[next].pitches.filter(|_| !goes_on) {
            segments[i].pitches = Some(match segments[i].pitches {
                Some(own) => union(pool, own, pitches),
                None => pitches,
            });
            segments[i].tie = false;
        }
        next += 1;
    }
    segments.drain(i + 1..next);
    if let Some(following) = segments.get_mut(i + 1) {
        following.start = target;
    }
    true
}

/// Appends the union of two pitch ranges of `pool` to it, sorted by pitch; returns its
/// range. A pitch of `later` keeps its tie into the next chord (`voices::HELD`), one only
/// in `earlier` ends with the merged chord.
fn union(pool: &mut Vec<u8>, earlier: (u32, u32), later: (u32, u32)) -> (u32, u32) {
    let first = pool.len();
    pool.extend_from_within(earlier.0 as usize..earlier.1 as usize);
    for entry in &mut pool[first..] {
        *entry = pitch_of(*entry);
    }
    pool.extend_from_within(later.0 as usize..later.1 as usize);
    // Sorted by pitch, a later held entry before an earlier one of the same pitch.
    pool[first..].sort_unstable_by_key(|&p| (pitch_of(p), !is_held(p)));
    let mut merged = first;
    for k in first..pool.len() {
        if merged == first || pitch_of(pool[k]) != pitch_of(pool[merged - 1]) {
            pool[merged] = pool[k];
            merged += 1;
        }
    }
    pool.truncate(merged);
    (first as u32, merged as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(bounds: &[u64]) -> Vec<Segment> {
        bounds.windows(2).map(|w| Segment { start: w[0], end: w[1], pitches: Some((0, 1)), tie: false }).collect()
    }

    fn groups(segments: &mut Vec<Segment>, bar: &BarGrid) -> Vec<(Range<usize>, Option<u8>)> {
        let mut pool = vec![60];
        let mut out = Vec::new();
        group_bar(segments, &mut pool, bar, &mut out);
        out.into_iter().map(|g| (g.segments, g.tuplet.map(|r| r.p))).collect()
    }

    #[test]
    fn triplet_eighths_fill_a_quarter() {
        // Whole = 48 ticks: eighth triplets are 4 ticks, a quarter 12.
        let bar = BarGrid { start: 0, end: 48, shift: 0, whole: 48, snap: 3, tick_seconds: 0.001 };
        let mut s = segs(&[0, 4, 8, 12, 24, 48]);
        assert_eq!(groups(&mut s, &bar), vec![(0..3, Some(3)), (3..4, None), (4..5, None)]);
    }

    #[test]
    fn quarter_triplets_take_a_half_and_quintuplets_a_quarter() {
        let bar = BarGrid { start: 0, end: 240, shift: 0, whole: 240, snap: 15, tick_seconds: 0.001 };
        let mut s = segs(&[0, 40, 80, 120, 132, 144, 156, 168, 180, 240]);
        assert_eq!(groups(&mut s, &bar), vec![(0..3, Some(3)), (3..8, Some(5)), (8..9, None)]);
    }

    #[test]
    fn a_note_entering_a_triplet_is_split_at_its_beat() {
        // Whole = 96: a quarter is 24, triplet eighths 8. The first note (5/16) ends
        // inside the second beat, which holds a triplet: it is cut and tied at tick 24.
        let bar = BarGrid { start: 0, end: 48, shift: 0, whole: 96, snap: 3, tick_seconds: 0.001 };
        let mut s = segs(&[0, 30, 32, 40, 48]);
        assert_eq!(groups(&mut s, &bar), vec![(0..1, None), (1..5, Some(3))]);
        assert_eq!((s[0].end, s[0].tie, s[1].start), (24, true, 24));
    }

    #[test]
    fn an_end_binary_only_from_a_pickups_start_is_grouped() {
        // A pickup of 1000 ticks (whole = 1536): the note ends at 786, off the grid from
        // the virtual downbeat 536 ticks earlier but a multiple of 6 from the bar's start.
        // The tuplet search used to return the span starting at that end, leaving the note
        // in no group (not written).
        let bar = BarGrid { start: 0, end: 1000, shift: 536, whole: 1536, snap: 24, tick_seconds: 0.001 };
        let mut s = segs(&[0, 256, 786, 1000]);
        let grouped = groups(&mut s, &bar);
        assert_eq!(grouped.first().map(|g| g.0.start), Some(0));
        assert!(grouped.windows(2).all(|w| w[0].0.end == w[1].0.start), "{grouped:?}");
        assert_eq!(grouped.last().map(|g| g.0.end), Some(s.len()));
        assert!(s.iter().any(|seg| seg.start == 256), "{s:?}");
    }

    #[test]
    fn slivers_of_rest_and_of_tied_notes_vanish() {
        // 480 ticks a quarter, a 1/64 note is 30. A chord played 5 ticks late leaves a
        // 5-tick rest, and a note released 5 ticks after a field cut it a 5-tick tail:
        // neither is written as a 1/64 that pushes the next note late; the next segment
        // starts in its place and the cut note ends untied.
        let bar = BarGrid { start: 0, end: 1920, shift: 0, whole: 1920, snap: 30, tick_seconds: 0.001 };
        let mut pool = vec![60, 62];
        let mut s = vec![
            Segment { start: 0, end: 5, pitches: None, tie: false },
            Segment { start: 5, end: 480, pitches: Some((0, 1)), tie: true },
            Segment { start: 480, end: 485, pitches: Some((0, 1)), tie: false },
            Segment { start: 485, end: 1920, pitches: Some((1, 2)), tie: false },
        ];
        let mut out = Vec::new();
        group_bar(&mut s, &mut pool, &bar, &mut out);
        assert_eq!(
            s,
            vec![
                Segment { start: 0, end: 480, pitches: Some((0, 1)), tie: false },
                Segment { start: 480, end: 1920, pitches: Some((1, 2)), tie: false },
            ]
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn quintuplet_sixty_fourths_are_a_tuplet() {
        // A trill of twenty notes a quarter (24 ticks each at 480 a quarter).
        let bar = BarGrid { start: 0, end: 480, shift: 0, whole: 1920, snap: 30, tick_seconds: 0.001 };
        let mut s = segs(&(0..=20).map(|i| i * 24).collect::<Vec<_>>());
        let grouped = groups(&mut s, &bar);
        assert!(grouped.iter().all(|g| g.1 == Some(5)), "{grouped:?}");
        assert_eq!(s.len(), 20);
    }

    #[test]
    fn boundaries_snapping_would_move_far_are_written_on_finer_tuplets() {
        // An arpeggio whose notes an ornamented score puts on the 96th of a quarter (5
        // ticks at 480 a quarter) and the 80th (6 ticks), as piano-midi.de's Lento
        // nocturnes do. At a quarter = 30 (a tick is 4.2 ms) snapping 70 and 170 to 1/64
        // notes (30 ticks) would move them by 42 ms: they are written exactly, on 3:2 and
        // 5:4 tuplets of 1/256 notes. The others move by at most 25 ms, as at a quarter
        // = 120, where every boundary is snapped.
        let bounds = [0, 35, 70, 105, 138, 170, 205, 240, 480];
        let lento = BarGrid { start: 0, end: 480, shift: 0, whole: 1920, snap: 30, tick_seconds: 8.0 / 1920.0 };
        let mut s = segs(&bounds);
        let grouped = groups(&mut s, &lento);
        assert!(grouped.iter().any(|g| g.1.is_some()), "{grouped:?}");
        let kept = |s: &[Segment], bound: u64| s.iter().any(|seg| seg.end == bound);
        assert!(kept(&s, 70) && kept(&s, 170), "{s:?}");
        for bound in bounds {
            let nearest =
                s.iter().flat_map(|seg| [seg.start, seg.end]).map(|t| t.abs_diff(bound)).min().unwrap_or(u64::MAX);
            assert!(nearest as f64 * lento.tick_seconds <= MAX_SNAP_SECONDS, "{bound} moved: {s:?}");
        }
        let allegro = BarGrid { tick_seconds: 2.0 / 1920.0, ..lento };
        let mut s = segs(&bounds);
        let grouped = groups(&mut s, &allegro);
        assert!(grouped.iter().all(|g| g.1.is_none()) && !kept(&s, 70), "{grouped:?} {s:?}");
    }

    #[test]
    fn thirteen_notes_in_a_quarter_are_a_tuplet() {
        // A run of Liszt's (the quantizer puts a hand-placed 13-tuplet on its points: 32
        // ticks each at 416 a quarter): 13 thirty-seconds in the time of 8.
        let bar = BarGrid { start: 0, end: 416, shift: 0, whole: 1664, snap: 26, tick_seconds: 0.001 };
        let mut s = segs(&(0..=13).map(|i| i * 32).collect::<Vec<_>>());
        let grouped = groups(&mut s, &bar);
        assert_eq!(grouped, vec![(0..13, Some(13))]);
    }

    #[test]
    fn unquantized_ends_snap_and_merge_without_losing_pitches() {
        // Whole = 64 ticks, snap grid 1 tick is too fine: use 4 (a 1/16 note).
        let bar = BarGrid { start: 0, end: 64, shift: 0, whole: 64, snap: 4, tick_seconds: 0.001 };
        let mut pool = vec![60, 62, 64];
        let mut s = vec![
            Segment { start: 0, end: 1, pitches: Some((0, 1)), tie: false },
            Segment { start: 1, end: 2, pitches: Some((1, 2)), tie: false },
            Segment { start: 2, end: 64, pitches: Some((2, 3)), tie: false },
        ];
        let mut out = Vec::new();
        group_bar(&mut s, &mut pool, &bar, &mut out);
        // 0..1 and 1..2 are binary (1/64 and 1/32): nothing to snap.
        assert_eq!(out.len(), 3);
        let bar = BarGrid { start: 0, end: 60, shift: 0, whole: 60, snap: 15, tick_seconds: 0.001 };
        let mut s = vec![
            Segment { start: 0, end: 7, pitches: Some((0, 1)), tie: false },
            Segment { start: 7, end: 11, pitches: Some((1, 2)), tie: false },
            Segment { start: 11, end: 60, pitches: Some((2, 3)), tie: false },
        ];
        group_bar(&mut s, &mut pool, &bar, &mut out);
        assert_eq!(s[0], Segment { start: 0, end: 15, pitches: Some((3, 5)), tie: false });
        assert_eq!(&pool[3..5], &[60, 62]);
        assert_eq!(s[1].start, 15);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_note_struck_just_before_a_bar_line_starts_on_it() {
        // Schumann's op. 16 no. 3 (piano-midi.de, 480 ticks a quarter): after a rest, F3
        // struck 3 ticks before the bar line and held into the next bar. The rest's end
        // snaps to the bar line; the note's 3-tick head is not merged into the rest (an
        // F3 sounding from the rest's start, 477 ticks early): the next bar starts it.
        let bar = BarGrid { start: 0, end: 1920, shift: 0, whole: 1920, snap: 30, tick_seconds: 0.0015 };
        let mut pool = vec![53];
        let mut s = vec![
            Segment { start: 0, end: 1440, pitches: None, tie: false },
            Segment { start: 1440, end: 1917, pitches: None, tie: false },
            Segment { start: 1917, end: 1920, pitches: Some((0, 1)), tie: true },
        ];
        let mut out = Vec::new();
        group_bar(&mut s, &mut pool, &bar, &mut out);
        assert_eq!(
            s,
            vec![
                Segment { start: 0, end: 1440, pitches: None, tie: false },
                Segment { start: 1440, end: 1920, pitches: None, tie: false }
            ]
        );
    }
}
