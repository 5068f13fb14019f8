//! Beat tracking for performed MIDI: from note onsets in seconds (human timing, one
//! arbitrary file tempo) to a grid of sixteenths with known tempi and beat phase.
//!
//! The piece is cut into stretches of constant tempo, each fitted in four steps:
//! 1. tempo hypothesis: a histogram of inter-onset intervals over the pairs (up to 3.2 s
//!    apart) of its first `HEAD_SECONDS`, weighted by onset salience and smoothed by the
//!    expected timing jitter, is read as an autocorrelation. Each candidate beat period T
//!    scores its comb, T, 2T, T/2 and T/4 for simple metres or T, 2T, T/3 and T/6 for
//!    compound ones, times a log-normal prior around 100 BPM that picks the metrical
//!    level a reader calls "the beat". A later stretch keeps the family (simple or
//!    compound) of the first and looks for its beat within `LEVEL_OCTAVES` of the
//!    stretch before: a tempo changes there, the metrical level does not. Read alone, a
//!    stretch of denser notes took the beat a level faster (15 of the 50 performed
//!    Palestrina copies, 15 of Vienna's 66 performances, 17 of Batik's 36 had stretches
//!    1.7 or more times apart), and the tune was written at two scales of note values;
//! 2. the sixteenth grid (T/4, or T/6 in compound time) is sharpened by phase coherence,
//!    fitted by least squares to the onsets near it over windows doubling from 4 s, then
//!    extended 4 s at a time until a chunk leaves many more onsets off the grid than
//!    before: a tempo change, where the next stretch begins;
//! 3. the grid is doubled when onsets cluster halfway between its points (the beat was
//!    found at half speed), and a quarter-note tempo within rounding of a whole BPM is
//!    taken as that whole BPM (scores are written at one);
//! 4. the beat phase: the sixteenth class (mod 4, or 6) that carries the most salience.
//!
//! Stretches whose grid the previous one already explains are merged into it; the others
//! are joined at a beat line, so that the grid (and the ticks made from it) runs on
//! without a break. Gradual tempo drift (rubato) is followed only as far as it stays
//! within a fraction of a sixteenth of a straight line over each stretch.

/// A note onset for beat tracking: its time and how much it marks the beat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onset {
    pub seconds: f64,
    /// Salience (> 0): louder, longer and lower notes mark the beat more.
    pub weight: f64,
}

/// A fitted beat grid: beat lines at `origin + k * steps_per_beat * step` until the first
/// tempo change, then as each change says.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatGrid {
    /// Time in seconds of beat line 0 (the others follow every beat, both ways).
    pub origin: f64,
    /// Length of a sixteenth note in seconds: the grid step, up to the first change.
    pub step: f64,
    /// Sixteenths per beat: 4 in simple metres (quarter beat), 6 in compound (dotted quarter).
    pub steps_per_beat: u32,
    /// Later tempi, in time order; empty for a piece in one tempo.
    pub changes: Vec<GridChange>,
}

/// A tempo change of a beat grid: from beat line number `beat`, at `seconds`, on, a
/// sixteenth lasts `step` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridChange {
    pub seconds: f64,
    pub beat: i64,
    pub step: f64,
}

impl BeatGrid {
    /// A grid in one tempo.
    pub fn constant(origin: f64, step: f64, steps_per_beat: u32) -> Self {
        BeatGrid {
            origin,
            step,
            steps_per_beat,
            changes: Vec::new(),
        }
    }

    /// Length of a beat in seconds at the start.
    pub fn beat_seconds(&self) -> f64 {
        self.step * f64::from(self.steps_per_beat)
    }

    /// Tempo at the start, in quarter notes per minute.
    pub fn quarter_bpm(&self) -> f64 {
        60.0 / (4.0 * self.step)
    }

    /// True for compound metres (dotted-quarter beats divided in three).
    pub fn is_compound(&self) -> bool {
        self.steps_per_beat == 6
    }

    /// The beat number (fractional) of a time. A tempo change takes over half a step
    /// before its beat line, so that an early onset still snaps onto it.
    pub fn beat_at(&self, seconds: f64) -> f64 {
        let steps = f64::from(self.steps_per_beat);
        match self.change_at(seconds) {
            Some(c) => c.beat as f64 + (seconds - c.seconds) / (c.step * steps),
            None => (seconds - self.origin) / (self.step * steps),
        }
    }

    /// The time of a (fractional) beat number: the inverse of `beat_at`.
    pub fn seconds_at_beat(&self, beat: f64) -> f64 {
        let steps = f64::from(self.steps_per_beat);
        match self.changes.iter().rev().find(|c| beat >= c.beat as f64) {
            Some(c) => c.seconds + (beat - c.beat as f64) * c.step * steps,
            None => self.origin + beat * self.step * steps,
        }
    }

    /// Length of a beat in seconds in the tempo in force at `seconds`.
    pub fn beat_length_at(&self, seconds: f64) -> f64 {
        self.change_at(seconds).map_or(self.step, |c| c.step) * f64::from(self.steps_per_beat)
    }

    /// The last tempo change in force at `seconds` (from half a step before its line).
    fn change_at(&self, seconds: f64) -> Option<&GridChange> {
        self.changes.iter().rev().find(|c| seconds >= c.seconds - c.step / 2.0)
    }
}

/// Onsets closer than this are one event (a chord played with human spread).
pub(crate) const CHORD_SPREAD: f64 = 0.035;
/// Histogram bin width in seconds.
const BIN: f64 = 0.005;
/// Longest inter-onset interval counted.
const MAX_INTERVAL: f64 = 3.2;
/// Standard deviation of the smoothing kernel: the jitter of a difference of two onsets.
const INTERVAL_JITTER: f64 = 0.02;
/// Beat periods considered, in seconds (200 down to 40 beats per minute).
const MIN_BEAT: f64 = 0.3;
const MAX_BEAT: f64 = 1.5;
/// A later stretch's beat stays within this many octaves of the one before (a factor of
/// 1.41 either way): a tempo change, not another metrical level.
const LEVEL_OCTAVES: f64 = 0.5;
/// Centre and width (in octaves) of the prior on the beat period.
const PRIOR_BEAT: f64 = 0.6;
const PRIOR_OCTAVES: f64 = 0.8;
/// Onsets farther than this fraction of a step from the grid are left out of the fit
/// (triplets, ornaments, wrong guesses).
const INLIER: f64 = 0.3;
/// Seconds of onsets from which a segment's tempo is estimated.
const HEAD_SECONDS: f64 = 20.0;
/// A fit is extended over this many seconds at a time.
const CHUNK_SECONDS: f64 = 4.0;
/// A chunk with this much more of its events off the grid than before ends a segment...
const BREAK_SHARE: f64 = 0.3;
/// ... when it has at least this many events.
const MIN_BREAK_EVENTS: usize = 8;
/// Fewer events than this after a segment are left to it rather than fitted anew.
const MIN_SEGMENT_EVENTS: usize = 16;
/// How many more of a segment's events the next segment's grid may leave off the grid
/// for the two to be one tempo.
const SAME_GRID_SLACK: f64 = 0.05;
/// Relative range and increment of the search for the sharpest step.
const STEP_SEARCH: f64 = 0.02;
const STEP_INCREMENT: f64 = 0.0005;
/// Beat lines before a segment's first onset where its tempo change may lie.
const MAX_JOIN_BEATS: usize = 8;
/// Steps by which a tempo may be stretched to reach the next segment's first beat line.
const JOIN_SLACK: f64 = 0.25;
/// Share of split beats cut in two plain halves above which compound time is read as
/// simple time with triplets.
const DUPLET_BEATS: f64 = 0.25;
/// Share of onsets halfway between grid points, beyond what jitter explains, that makes a
/// level between them.
const BETWEEN_MARGIN: f64 = 0.05;
/// A whole-BPM tempo is kept when its fit is at most this much worse (seconds RMS).
const WHOLE_BPM_SLACK: f64 = 0.002;

/// Fits a beat grid to onsets (any order). None with fewer than two distinct onsets.
pub fn track_beat(onsets: &[Onset]) -> Option<BeatGrid> {
    let events = merge_chords(onsets);
    if events.len() < 2 {
        return None;
    }
    let first = fit_segment(&events, None, None)?;
    let steps_per_beat = first.grid.steps_per_beat;
    let mut next = first.covered;
    let mut segments = vec![first];
    while events.len() - next >= MIN_SEGMENT_EVENTS {
        let level = segments.last().map(|s| s.grid.beat_seconds());
        let Some(segment) = fit_segment(&events[next..], Some(steps_per_beat), level) else {
            break;
        };
        let first_index = next;
        next += segment.covered;
        let segment = Segment { first_index, ..segment };
        match segments.last_mut() {
            Some(last) if same_grid(&events, &last.grid, &segment) => merge(&events, last, &segment),
            _ => segments.push(segment),
        }
    }
    let later = segments.split_off(1);
    Some(join(segments.remove(0), later))
}

/// Whether the grid before a break explains the events of the segment after it (almost)
/// as well as that segment's own grid: the break was a passage off the grid (triplets,
/// ornaments, a burst of jitter), not a tempo change.
fn same_grid(events: &[Onset], before: &BeatGrid, segment: &Segment) -> bool {
    let own = &events[segment.first_index..segment.first_index + segment.covered];
    let outliers = |g: &BeatGrid| outlier_share(own, g.origin, g.step);
    outliers(before) <= outliers(&segment.grid) + SAME_GRID_SLACK
}

/// Extends `last` over the events of `next`, refitting its grid over both.
fn merge(events: &[Onset], last: &mut Segment, next: &Segment) {
    let span = &events[last.first_index..next.first_index + next.covered];
    let (mut origin, mut step) = (last.grid.origin, last.grid.step);
    for _ in 0..2 {
        if let Some(fit) = inlier_fit(span, origin, step) {
            (origin, step) = fit;
        }
    }
    let (origin, step) = prefer_whole_bpm(span, origin, step);
    last.grid = BeatGrid::constant(origin, step, last.grid.steps_per_beat);
    last.covered += next.covered;
    last.last_onset = next.last_onset;
}

/// A stretch of constant tempo: its grid (without changes), the index and time of its
/// first event, the time of its last, and how many events it covers.
struct Segment {
    grid: BeatGrid,
    first_index: usize,
    first_onset: f64,
    last_onset: f64,
    covered: usize,
}

/// Fits one constant tempo to the events from the first on, as far as it holds. The tempo
/// comes from the first `HEAD_SECONDS`; `family` forces the sixteenths per beat, and
/// `level` (the beat before, in seconds) the metrical level.
fn fit_segment(events: &[Onset], family: Option<u32>, level: Option<f64>) -> Option<Segment> {
    let start = events[0].seconds;
    let head = &events[..events.partition_point(|e| e.seconds <= start + HEAD_SECONDS)];
    let (beat, steps_per_beat) = best_period(&interval_histogram(head), family, level);
    let step = sharpest_step(head, beat / f64::from(steps_per_beat));
    let (anchor, step) = fit_grid(head, start, step)?;
    let (anchor, step, covered) = extend_until_break(events, head.len(), anchor, step);
    let fitted = &events[..covered];
    let (anchor, step) = double_if_too_coarse(fitted, anchor, step, steps_per_beat);
    let (anchor, step) = prefer_whole_bpm(fitted, anchor, step);
    let phase = beat_class(fitted, anchor, step, steps_per_beat);
    let grid = BeatGrid::constant(anchor + phase as f64 * step, step, steps_per_beat);
    let grid = if family.is_none() && grid.is_compound() {
        simple_if_duplets(fitted, grid)
    } else {
        grid
    };
    Some(Segment {
        grid,
        first_index: 0,
        first_onset: start,
        last_onset: fitted[covered - 1].seconds,
        covered,
    })
}

/// Extends a fit over the events after the first `covered`, `CHUNK_SECONDS` at a time,
/// refitting as it goes, until the share of a chunk's events off the grid exceeds the
/// share so far by `BREAK_SHARE`: the tempo changed there. Returns the fit and the number
/// of events it covers.
fn extend_until_break(events: &[Onset], covered: usize, anchor: f64, step: f64) -> (f64, f64, usize) {
    let (mut anchor, mut step, mut covered) = (anchor, step, covered);
    while covered < events.len() {
        let chunk_end = events[covered].seconds + CHUNK_SECONDS;
        let end = covered + events[covered..].partition_point(|e| e.seconds < chunk_end);
        let chunk = &events[covered..end];
        let usual = outlier_share(&events[..covered], anchor, step);
        if chunk.len() >= MIN_BREAK_EVENTS && outlier_share(chunk, anchor, step) > usual + BREAK_SHARE {
            break;
        }
        covered = end;
        if let Some(fit) = inlier_fit(&events[..covered], anchor, step) {
            (anchor, step) = fit;
        }
    }
    (anchor, step, covered)
}

/// Share of events farther than `INLIER` steps from the grid.
fn outlier_share(events: &[Onset], anchor: f64, step: f64) -> f64 {
    let off = grid_points(events, anchor, step).filter(|&(t, k, _)| (t - anchor - k * step).abs() >= INLIER * step);
    off.count() as f64 / events.len() as f64
}

/// The segments as one grid with tempo changes. A change goes on a beat line of the new
/// segment between the old segment's last onset and the new one's first: the latest that
/// continues the old beat lines within `JOIN_SLACK` steps (the old tempo is stretched to
/// reach it), or else the latest, the last old beat before it getting a tempo of its own.
fn join(first: Segment, later: Vec<Segment>) -> BeatGrid {
    let mut grid = first.grid;
    let mut last_onset = first.last_onset;
    let steps = f64::from(grid.steps_per_beat);
    // The tempo in force: the time of one of its beat lines, that beat's number, its step.
    let (mut start, mut start_beat, mut step) = (grid.origin, 0i64, grid.step);
    for segment in later {
        let new = &segment.grid;
        let (old_beat, new_beat) = (step * steps, new.step * steps);
        let beats_since = |t: f64| (t - start) / old_beat;
        let miss_steps = |t: f64| (beats_since(t) - beats_since(t).round()).abs() * steps;
        let latest = ((segment.first_onset + new.step / 2.0 - new.origin) / new_beat).floor();
        let candidates: Vec<f64> = (0..=MAX_JOIN_BEATS)
            .map(|m| new.origin + (latest - m as f64) * new_beat)
            .filter(|&t| t >= last_onset - new_beat && t > start + old_beat / 2.0)
            .collect();
        last_onset = segment.last_onset;
        let Some(&change) = candidates
            .iter()
            .find(|&&t| miss_steps(t) < JOIN_SLACK)
            .or(candidates.first())
        else {
            continue;
        };
        let continues = miss_steps(change) < JOIN_SLACK;
        let beats = beats_since(change).round().max(1.0);
        if continues || beats < 2.0 {
            set_last_step(&mut grid, (change - start) / (beats * steps));
        } else {
            let bridge = start + (beats - 1.0) * old_beat;
            let bridge_beat = start_beat + beats as i64 - 1;
            grid.changes.push(GridChange {
                seconds: bridge,
                beat: bridge_beat,
                step: (change - bridge) / steps,
            });
        }
        start_beat += beats as i64;
        (start, step) = (change, new.step);
        grid.changes.push(GridChange {
            seconds: change,
            beat: start_beat,
            step,
        });
    }
    grid
}

/// Sets the step of the tempo in force at the end of the grid.
fn set_last_step(grid: &mut BeatGrid, step: f64) {
    match grid.changes.last_mut() {
        Some(change) => change.step = step,
        None => grid.step = step,
    }
}

/// A compound grid (sixths of the beat) also holds halves of the beat, so simple time
/// with triplets fits it too. Real compound music rarely splits a beat in two halves and
/// nothing else; when more than `DUPLET_BEATS` of the beats with off-beat onsets do, the
/// beat is a quarter with triplets: the same beat on a grid of its quarters.
fn simple_if_duplets(events: &[Onset], grid: BeatGrid) -> BeatGrid {
    let mut positions: std::collections::BTreeMap<i64, [bool; 6]> = std::collections::BTreeMap::new();
    for (_, k, _) in grid_points(events, grid.origin, grid.step) {
        let k = k as i64;
        positions.entry(k.div_euclid(6)).or_default()[k.rem_euclid(6) as usize] = true;
    }
    let split: Vec<&[bool; 6]> = positions.values().filter(|p| p[1..].iter().any(|&on| on)).collect();
    let duplets = split
        .iter()
        .filter(|p| p[3] && !p[1] && !p[2] && !p[4] && !p[5])
        .count();
    if split.is_empty() || (duplets as f64) <= DUPLET_BEATS * split.len() as f64 {
        return grid;
    }
    let (origin, step) = prefer_whole_bpm(events, grid.origin, grid.step * 1.5);
    BeatGrid::constant(origin, step, 4)
}

/// Onsets sorted and merged into events: a chord's notes become one event at their mean
/// time carrying their summed weight.
pub(crate) fn merge_chords(onsets: &[Onset]) -> Vec<Onset> {
    let mut sorted: Vec<Onset> = onsets.iter().copied().filter(|o| o.seconds.is_finite()).collect();
    sorted.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let mut events: Vec<(f64, f64, f64, f64)> = Vec::new(); // (first, sum of times, count, weight)
    for o in sorted {
        match events.last_mut() {
            Some(e) if o.seconds - e.0 < CHORD_SPREAD => {
                e.1 += o.seconds;
                e.2 += 1.0;
                e.3 += o.weight;
            }
            _ => events.push((o.seconds, o.seconds, 1.0, o.weight)),
        }
    }
    events
        .into_iter()
        .map(|(_, sum, n, weight)| Onset {
            seconds: sum / n,
            weight,
        })
        .collect()
}

/// Salience-weighted histogram of inter-onset intervals (bins of `BIN` seconds up to
/// `MAX_INTERVAL`), smoothed with a Gaussian of `INTERVAL_JITTER`.
fn interval_histogram(events: &[Onset]) -> Vec<f64> {
    let bins = (MAX_INTERVAL / BIN) as usize + 1;
    let mut raw = vec![0.0; bins];
    for (i, a) in events.iter().enumerate() {
        for b in &events[i + 1..] {
            let interval = b.seconds - a.seconds;
            if interval > MAX_INTERVAL {
                break;
            }
            raw[(interval / BIN).round() as usize] += a.weight * b.weight;
        }
    }
    let radius = (3.0 * INTERVAL_JITTER / BIN) as isize;
    let kernel: Vec<f64> = (-radius..=radius)
        .map(|k| (-0.5 * (k as f64 * BIN / INTERVAL_JITTER).powi(2)).exp())
        .collect();
    (0..bins as isize)
        .map(|i| {
            (-radius..=radius)
                .filter_map(|k| {
                    raw.get(usize::try_from(i + k).ok()?)
                        .map(|v| v * kernel[(k + radius) as usize])
                })
                .sum()
        })
        .collect()
}

/// The beat period (seconds) and its sixteenths per beat (4 simple, 6 compound) whose
/// comb in the interval histogram, times the tempo prior, is largest; only those with
/// `family` sixteenths per beat, and within `LEVEL_OCTAVES` of the beat `level`, when
/// they are given.
fn best_period(histogram: &[f64], family: Option<u32>, level: Option<f64>) -> (f64, u32) {
    let at = |seconds: f64| -> f64 {
        let x = seconds / BIN;
        let i = x.floor() as usize;
        match (histogram.get(i), histogram.get(i + 1)) {
            (Some(a), Some(b)) => a + (b - a) * (x - i as f64),
            (Some(a), None) => *a,
            _ => 0.0,
        }
    };
    let mut best = (f64::NEG_INFINITY, PRIOR_BEAT, 4);
    let mut beat = MIN_BEAT;
    while beat <= MAX_BEAT {
        let prior = (-0.5 * ((beat / PRIOR_BEAT).log2() / PRIOR_OCTAVES).powi(2)).exp();
        let common = at(beat) + 0.5 * at(2.0 * beat);
        let simple = common + 0.5 * at(beat / 2.0) + 0.25 * at(beat / 4.0);
        let compound = common + 0.5 * at(beat / 3.0) + 0.25 * at(beat / 6.0);
        let near_level = level.is_none_or(|l| (beat / l).log2().abs() <= LEVEL_OCTAVES);
        for (score, steps) in [(simple, 4), (compound, 6)] {
            if near_level && family.is_none_or(|f| f == steps) && score * prior > best.0 {
                best = (score * prior, beat, steps);
            }
        }
        beat += BIN / 2.0;
    }
    (best.1, best.2)
}

/// The step within `STEP_SEARCH` of `step` (in relative increments of `STEP_INCREMENT`)
/// on which the onsets line up best: the largest phase coherence |sum of exp(2 pi i t / step)|.
/// The interval histogram's peak is too blunt to fit a grid from: 1% off slips a step in
/// 4 s at 180 BPM.
fn sharpest_step(events: &[Onset], step: f64) -> f64 {
    let coherence = |s: f64| {
        let (re, im) = events.iter().fold((0.0, 0.0), |(re, im), e| {
            let (sin, cos) = (std::f64::consts::TAU * e.seconds / s).sin_cos();
            (re + cos, im + sin)
        });
        re * re + im * im
    };
    let increments = (STEP_SEARCH / STEP_INCREMENT).round() as i32;
    // Each candidate's coherence once (a comparison of two would compute both again).
    (-increments..=increments)
        .map(|i| step * (1.0 + f64::from(i) * STEP_INCREMENT))
        .map(|s| (s, coherence(s)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(step, |(s, _)| s)
}

/// Least-squares fit of `t = anchor + k * step` to the events near the grid, over
/// windows doubling from 4 s. Returns the refined (anchor, step).
fn fit_grid(events: &[Onset], anchor: f64, step: f64) -> Option<(f64, f64)> {
    let start = events[0].seconds;
    let end = events[events.len() - 1].seconds;
    let (mut anchor, mut step) = (anchor, step);
    let mut window = 4.0;
    loop {
        let within = &events[..events.partition_point(|e| e.seconds <= start + window)];
        for _ in 0..2 {
            if let Some(fit) = inlier_fit(within, anchor, step) {
                (anchor, step) = fit;
            }
        }
        if start + window >= end {
            return (step > 0.0).then_some((anchor, step));
        }
        window *= 2.0;
    }
}

/// One least-squares refit of the grid to the events within `INLIER` steps of it.
fn inlier_fit(events: &[Onset], anchor: f64, step: f64) -> Option<(f64, f64)> {
    let inliers: Vec<(f64, f64)> = grid_points(events, anchor, step)
        .filter(|&(t, k, _)| (t - anchor - k * step).abs() < INLIER * step)
        .map(|(t, k, _)| (k, t))
        .collect();
    line_fit(&inliers).filter(|&(_, s)| s > 0.0)
}

/// The grid at twice the tempo when the onsets show a level between its points and the
/// doubled beat is still at least `MIN_BEAT`: the beat was taken at half its speed (a
/// 180 BPM piece with sixteenths read at 90, its sixteenths falling between the grid's).
fn double_if_too_coarse(events: &[Onset], anchor: f64, step: f64, steps_per_beat: u32) -> (f64, f64) {
    if step * f64::from(steps_per_beat) < 2.0 * MIN_BEAT || !has_level_between(events, anchor, step) {
        return (anchor, step);
    }
    fit_grid(events, anchor, step / 2.0).unwrap_or((anchor, step))
}

/// Whether onsets cluster halfway between grid points. Distances to the grid (in steps,
/// 0 to 1/2) of on-grid onsets fall off like their jitter; a level between the points adds
/// a cluster at 1/2, and triplets one at 1/3. The test: more than `BETWEEN_MARGIN` of the
/// onsets in the outer band (0.35 to 1/2 step), and more there than in the band inside it
/// (0.2 to 0.35), where triplets and jitter tails fall.
fn has_level_between(events: &[Onset], anchor: f64, step: f64) -> bool {
    let (mut outer, mut inner) = (0usize, 0usize);
    for (t, k, _) in grid_points(events, anchor, step) {
        let distance = (t - anchor - k * step).abs() / step;
        if distance >= 0.35 {
            outer += 1;
        } else if distance >= 0.2 {
            inner += 1;
        }
    }
    outer > inner && outer as f64 > BETWEEN_MARGIN * events.len() as f64
}

/// Each event as (time, nearest grid index, weight).
fn grid_points(events: &[Onset], anchor: f64, step: f64) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
    events
        .iter()
        .map(move |e| (e.seconds, ((e.seconds - anchor) / step).round(), e.weight))
}

/// Ordinary least squares `y = a + b x`; None when all x are equal.
fn line_fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| {
        let b = sxy / sxx;
        (my - b * mx, b)
    })
}

/// The grid with a whole quarter-note BPM when it fits (almost) as well as the free fit.
fn prefer_whole_bpm(events: &[Onset], anchor: f64, step: f64) -> (f64, f64) {
    let whole_step = 15.0 / (15.0 / step).round();
    let inliers: Vec<(f64, f64)> = grid_points(events, anchor, step)
        .filter(|&(t, k, _)| (t - anchor - k * step).abs() < INLIER * step)
        .map(|(t, k, _)| (k, t))
        .collect();
    if inliers.is_empty() || !whole_step.is_finite() {
        return (anchor, step);
    }
    let whole_anchor = inliers.iter().map(|&(k, t)| t - k * whole_step).sum::<f64>() / inliers.len() as f64;
    let rms = |a: f64, s: f64| {
        (inliers.iter().map(|&(k, t)| (t - a - k * s).powi(2)).sum::<f64>() / inliers.len() as f64).sqrt()
    };
    if rms(whole_anchor, whole_step) <= rms(anchor, step) + WHOLE_BPM_SLACK {
        (whole_anchor, whole_step)
    } else {
        (anchor, step)
    }
}

/// The sixteenth class (0..steps_per_beat) of the grid that carries the most salience:
/// where the beat lines are.
fn beat_class(events: &[Onset], anchor: f64, step: f64, steps_per_beat: u32) -> u32 {
    let mut salience = vec![0.0; steps_per_beat as usize];
    for (_, k, weight) in grid_points(events, anchor, step) {
        salience[(k as i64).rem_euclid(i64::from(steps_per_beat)) as usize] += weight;
    }
    (0..steps_per_beat)
        .max_by(|&a, &b| salience[a as usize].total_cmp(&salience[b as usize]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Half notes for 30 s at a quarter of 0.5 s, then eighths a little faster (a quarter
    /// of 0.47 s, accented every quarter). Read alone, the second stretch's beat is its
    /// quarter, a level faster than the first stretch's half note.
    fn slow_then_dense() -> Vec<Onset> {
        let mut onsets: Vec<Onset> = (0..30).map(|k| Onset { seconds: f64::from(k), weight: 4.0 }).collect();
        let start = 30.0;
        for k in 0..240 {
            let weight = if k % 2 == 0 { 4.0 } else { 1.5 };
            onsets.push(Onset { seconds: start + f64::from(k) * 0.235, weight });
        }
        onsets
    }

    /// With the level kept, the tempo change is found at the half note. Without it, the
    /// grid kept 1 s a beat through the faster stretch (this test, `LEVEL_OCTAVES` lifted).
    #[test]
    fn a_later_stretch_keeps_the_metrical_level_of_the_one_before() {
        let events = merge_chords(&slow_then_dense());
        let later = &events[events.partition_point(|e| e.seconds < 30.0)..];
        // Alone, the dense stretch is read at the quarter.
        let alone = fit_segment(later, Some(4), None).expect("a fit");
        assert!((alone.grid.beat_seconds() - 0.47).abs() < 0.02, "{}", alone.grid.beat_seconds());
        let grid = track_beat(&slow_then_dense()).expect("a grid");
        assert!((grid.beat_seconds() - 1.0).abs() < 0.02, "{}", grid.beat_seconds());
        for seconds in [40.0, 60.0, 80.0] {
            let beat = grid.beat_length_at(seconds);
            assert!((beat - 0.94).abs() < 0.03, "a beat of {beat} s at {seconds} s: {:?}", grid.changes);
        }
    }
}
