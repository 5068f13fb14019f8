//! Following the beat through rubato: from a performance's onsets and its fitted beat
//! grid (`beat::track_beat`, stretches of constant tempo) to one time per beat line, beat
//! by beat, and a compact tempo map that reproduces those times.
//!
//! A grid of constant-tempo stretches cannot follow a player who slows and hurries from
//! beat to beat: once it drifts by half a sixteenth, notes snap to the wrong point, and no
//! tempo map written after snapping repairs that. So the beat is followed first, and notes
//! are snapped to positions between the followed beat lines:
//! 1. **Beat path** (dynamic programming, as Ellis 2007, "Beat tracking by dynamic
//!    programming", with a tempo-continuity cost as in the HMM trackers that followed):
//!    an onset envelope (each event a Gaussian bump of its salience) is sampled every
//!    `FRAME` seconds; a path of beat times maximises the envelope at its beats minus
//!    `CONTINUITY` x (log ratio of consecutive beat periods)^2 and `ANCHOR` x (log ratio
//!    of the period to the fitted grid's beat there)^2. The state is (frame, period), so
//!    the path follows gradual and beat-to-beat tempo changes within `PERIOD_RANGE` of
//!    the fitted grid's tempo, at the grid's metrical level. The table over every
//!    (frame, period) grows with the cube of the frame rate (frames, periods, and the
//!    steps into each cell), so it is filled on a raster `COARSE` frames apart (each
//!    coarse frame the envelope's highest point near it); then a second pass finds the
//!    best path at full resolution with each beat within `REACH` frames of a seed, a
//!    state per beat being its frame and its previous beat's, once around the coarse path
//!    and once around the fitted grid's lines, and keeps the better by the table's score.
//!    On one raster the second pass chooses the table's own path (tested). Elsewhere it
//!    is a search, not the same optimum (6 % of the beats of the tuning corpus's
//!    performed copies, 16 % of real piano performances' are elsewhere): 1.55x faster
//!    there, onset and offset F1 within 0.001 of the full table's or higher on every set
//!    measured, 10 % more `[Q:]` fields on generated steady-tempo performances
//!    (docs/benchmarks.md, "Coarse-to-fine beat path").
//! 2. **Refinement**: each beat line moves to the salience-weighted mean time of the
//!    events on it (within `INLIER` grid steps), off the path's `FRAME` raster.
//! 3. **Phase**: the path is shifted by the grid subdivision (sixteenth, or sixth of a
//!    compound beat) that carries the most salience, as `beat_class` does for the grid.
//! 4. **Written beats** (`written_beats`): a piecewise-constant tempo through the followed
//!    times, each piece as long as one tempo keeps every beat line within `TOLERANCE`
//!    seconds. Where the fitted grid runs along the followed lines (for `MIN_KEPT_RUN`
//!    beats within `KEEP_GRID` x `TOLERANCE` of their local trend, and `JITTER_TOLERANCE`
//!    of each), its lines and tempi are kept exactly: a performance in steady tempo comes
//!    out as the grid alone made it. A new tempo prefers the previous one, then a whole
//!    quarter-note BPM, so the `[Q:]` fields stay few and short.

use crate::analysis::beat::{BeatGrid, Onset};

/// Sampling period of the onset envelope and of beat times on the path (seconds).
const FRAME: f64 = 0.02;
/// The coarse pass of the beat path samples every this many frames ...
const COARSE: usize = 2;
/// ... and the fine pass moves each of its beats by at most this many frames.
const REACH: usize = 4;
/// Standard deviation of each event's bump in the envelope (seconds): human timing.
const ONSET_SPREAD: f64 = 0.025;
/// Largest ratio of a beat period to the fitted grid's beat period at that time.
const PERIOD_RANGE: f64 = 1.6;
/// Largest ratio of two consecutive beat periods considered.
const MAX_STEP_RATIO: f64 = 1.6;
/// Weight of the squared log ratio of consecutive beat periods.
const CONTINUITY: f64 = 10.0;
/// Weight of the squared log ratio of a beat period to the fitted grid's beat.
const ANCHOR: f64 = 1.0;
/// Largest path table (frames x periods); coarser frames beyond it.
const MAX_CELLS: usize = 30_000_000;
/// Beats either side of a beat line in its smoothed time.
const SMOOTH_BEATS: f64 = 2.0;
/// Events farther than this fraction of a grid step from their grid position are left
/// out of the refit (ornaments, tuplets, wrong guesses).
const INLIER: f64 = 0.3;
/// Largest distance in seconds of a written beat line from the followed one.
pub const TOLERANCE: f64 = 0.025;
/// A fitted grid line within this share of `TOLERANCE` of the smoothed followed line,
/// and within `JITTER_TOLERANCE` of the followed line itself, is kept ...
const KEEP_GRID: f64 = 0.6;
const JITTER_TOLERANCE: f64 = 0.04;
/// ... over at least this many consecutive beats.
const MIN_KEPT_RUN: usize = 4;
/// Largest distance (seconds) of a written line from a kept grid line that still counts
/// as on it: the written lines go on at the grid's tempo from there.
const REJOIN: f64 = 0.003;
/// Beats at either end of the path that a kept run reaching that close is extended over.
const END_BEATS: usize = 2;

/// The beat lines of a performance, one time per beat, following its rubato, at the
/// metrical level and phase of `grid`. `events` are note onsets merged into chords
/// (sorted); fewer than two give the grid's own lines. The lines cover the events.
pub fn follow_beat(events: &[Onset], grid: &BeatGrid) -> Vec<f64> {
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Vec::new();
    };
    if events.len() < 2 {
        return grid_lines(grid, first.seconds, last.seconds);
    }
    let path = beat_path(events, grid);
    if path.len() < 2 {
        return grid_lines(grid, first.seconds, last.seconds);
    }
    let steps = f64::from(grid.steps_per_beat);
    let mut refined = refine(events, &path, steps);
    // A refit may not reverse or crowd two lines: such a line keeps the path's beat length.
    for k in 1..refined.len() {
        let length = path[k] - path[k - 1];
        if refined[k] - refined[k - 1] < 0.5 * length {
            refined[k] = refined[k - 1] + length;
        }
    }
    let shift = best_phase(events, &refined, steps);
    (0..refined.len()).map(|k| interpolate(&refined, k as f64 + shift)).collect()
}

/// The grid's beat lines from the one at or before `from` to the one at or after `to`.
fn grid_lines(grid: &BeatGrid, from: f64, to: f64) -> Vec<f64> {
    let (a, b) = (grid.beat_at(from).floor() as i64, grid.beat_at(to).ceil() as i64);
    (a..=b.max(a + 1)).map(|k| grid.seconds_at_beat(k as f64)).collect()
}

/// Step 1: the beat path (see the module doc), coarse to fine: the path over every
/// (frame, period) on a raster `COARSE` frames apart, then the best path of `FRAME`
/// resolution with each beat within `REACH` frames of a seed's, the coarse path or the
/// fitted grid's lines.
fn beat_path(events: &[Onset], grid: &BeatGrid) -> Vec<f64> {
    let bounds = PathBounds::new(events, grid);
    let envelope = onset_envelope(events, bounds.origin, FRAME, bounds.frames(FRAME));
    let coarse = frame_path(&envelope, grid, &bounds, COARSE);
    // Around the coarse path, and around the fitted grid's lines (which a steady
    // performance's best path follows where the coarse raster may branch off): the
    // better of the two by the table's own score.
    let lines = grid_lines(grid, bounds.first, bounds.last);
    let seeded = [&lines, &coarse].map(|seed| fine_path(&envelope, grid, &bounds, seed));
    seeded.into_iter().flatten().max_by(|a, b| a.0.total_cmp(&b.0)).map_or(coarse, |(_, path)| path)
}

/// What both passes of the beat path share: the events' first and last times, the
/// shortest and longest beat period considered and the time of frame 0.
#[derive(Clone, Copy)]
struct PathBounds {
    first: f64,
    last: f64,
    shortest: f64,
    longest: f64,
    origin: f64,
}

impl PathBounds {
    fn new(events: &[Onset], grid: &BeatGrid) -> Self {
        let first = events[0].seconds;
        let last = events[events.len() - 1].seconds;
        let periods: Vec<f64> = std::iter::once(grid.beat_seconds())
            .chain(grid.changes.iter().map(|c| c.step * f64::from(grid.steps_per_beat)))
            .collect();
        let shortest = periods.iter().copied().fold(f64::INFINITY, f64::min) / PERIOD_RANGE;
        let longest = periods.iter().copied().fold(0.0, f64::max) * PERIOD_RANGE;
        PathBounds { first, last, shortest, longest, origin: first - longest }
    }

    /// Seconds from the origin to a longest period past the last event.
    fn span(&self) -> f64 {
        self.last - self.first + 2.0 * self.longest
    }

    /// Frames of `frame` seconds over the span.
    fn frames(&self, frame: f64) -> usize {
        (self.span() / frame).ceil() as usize + 1
    }

    /// The shortest and longest beat period in frames of `frame` seconds.
    fn period_frames(&self, frame: f64) -> (usize, usize) {
        (((self.shortest / frame).floor() as usize).max(2), (self.longest / frame).ceil() as usize)
    }

    /// The last frame a path may start at and the first it may end at, on frames `factor`
    /// x `FRAME` apart: the first and the last event, give or take two `FRAME`s (a beat
    /// bent to catch an off-beat first or last note would cost a tempo change only once),
    /// the same times on every raster, so that a coarse path ends where a fine one may.
    fn start_and_end(&self, factor: usize) -> (usize, usize) {
        let start_limit = ((self.first - self.origin) / FRAME).round() as usize + 2;
        let end_from = ((self.last - self.origin) / FRAME).round() as usize - 2;
        (start_limit / factor, end_from.div_ceil(factor))
    }
}

/// The coarse pass: dynamic programming over every (frame, period) on frames `factor` x
/// `FRAME` apart (more still beyond `MAX_CELLS`), each frame the highest point of the
/// fine `envelope` within half a coarse frame: an onset's peak is never missed between
/// two coarse frames.
fn frame_path(envelope: &[f64], grid: &BeatGrid, bounds: &PathBounds, factor: usize) -> Vec<f64> {
    let PathBounds { shortest, longest, origin, .. } = *bounds;
    let span = bounds.span();
    let mut factor = factor;
    while (span / (factor as f64 * FRAME)).powi(2) * (longest - shortest) / span > MAX_CELLS as f64 {
        factor += factor.div_ceil(2);
    }
    let frame = factor as f64 * FRAME;
    let frames = bounds.frames(frame);
    let time = |f: usize| origin + f as f64 * frame;
    let envelope: Vec<f64> = (0..frames)
        .map(|c| {
            // The last coarse frames may lie past the fine envelope's end: nothing there.
            let centre = c * factor;
            let end = (centre + factor / 2 + 1).min(envelope.len());
            envelope[centre.saturating_sub(factor / 2).min(end)..end].iter().copied().fold(0.0, f64::max)
        })
        .collect();
    let (d_min, d_max) = bounds.period_frames(frame);
    let width = d_max - d_min + 1;
    let (start_limit, end_from) = bounds.start_and_end(factor);
    let log_period: Vec<f64> = (0..width).map(|i| (((d_min + i) as f64) * frame).ln()).collect();
    let max_jump = MAX_STEP_RATIO.ln();
    // The previous periods within `MAX_STEP_RATIO` of each period (an index range), and
    // the continuity cost of each step from them.
    let jump_bounds: Vec<(usize, usize)> = (0..width)
        .map(|i| {
            let from = log_period.partition_point(|&l| log_period[i] - l > max_jump);
            let to = log_period.partition_point(|&l| l - log_period[i] <= max_jump);
            (from, to)
        })
        .collect();
    let jump_cost: Vec<f32> =
        (0..width * width).map(|ij| continuity_cost(log_period[ij / width], log_period[ij % width])).collect();

    // A path may start at a frame up to `start_limit`, worth 0 there.
    let start = |f: usize| if f <= start_limit { 0.0 } else { f32::NEG_INFINITY };
    let steps = Steps { width, d_min, jump_bounds, jump_cost };
    let mut score = vec![f32::NEG_INFINITY; frames * width];
    for (f, &level) in envelope.iter().enumerate() {
        let reference = grid.beat_length_at(time(f)).ln();
        // The periods within `PERIOD_RANGE` of the grid's beat here: an index range.
        let lowest = log_period.partition_point(|&l| reference - l > PERIOD_RANGE.ln());
        let highest = log_period.partition_point(|&l| l - reference <= PERIOD_RANGE.ln());
        let (rows, row) = score.split_at_mut(f * width);
        for i in lowest..highest {
            let best = match steps.before(rows, f, i) {
                Some((previous, costs, _)) => best_step(previous, costs).max(start(f)),
                None => start(f),
            };
            if best > f32::NEG_INFINITY {
                row[i] = beat_worth(level, log_period[i] - reference) + best;
            }
        }
    }
    // The back pass asks the few cells on the path again which step was best, with the
    // same arithmetic as the forward pass (the first of equal steps, a start on a tie).
    let best_from = |f: usize, i: usize| -> Option<usize> {
        let (previous, costs, from_j) = steps.before(&score[..f * width], f, i)?;
        let best = best_step(previous, costs);
        let first_best = previous.iter().zip(costs).position(|(&s, &c)| s - c == best);
        (best > start(f)).then(|| from_j + first_best.unwrap_or(0))
    };
    let Some((mut f, mut i)) = (end_from.min(frames - 1)..frames)
        .flat_map(|f| (0..width).map(move |i| (f, i)))
        .filter(|&(f, i)| score[f * width + i] > f32::NEG_INFINITY)
        .max_by(|a, b| score[a.0 * width + a.1].total_cmp(&score[b.0 * width + b.1]))
    else {
        return Vec::new();
    };
    let mut beats = vec![time(f)];
    while let Some(j) = best_from(f, i) {
        f -= d_min + i;
        i = j;
        beats.push(time(f));
    }
    beats.reverse();
    beats
}

/// The fine pass: the best path on frames `FRAME` apart, beat for beat along `seed`, each
/// beat within `REACH` frames of the seed's, scored as the coarse pass scores (envelope,
/// `ANCHOR`, `CONTINUITY`, the same period and step limits, the same start and end), with
/// its score. A state is a beat's frame and its previous beat's frame (which give its
/// period), so each beat costs (2 x `REACH` + 1)^3 steps whatever the tempo. None when no
/// path meets the limits within reach.
fn fine_path(envelope: &[f64], grid: &BeatGrid, bounds: &PathBounds, seed: &[f64]) -> Option<(f32, Vec<f64>)> {
    let n = seed.len();
    if n < 3 {
        return None;
    }
    let frame = FRAME;
    let frames = envelope.len();
    let (d_min, d_max) = bounds.period_frames(frame);
    let (start_limit, end_from) = bounds.start_and_end(1);
    let window = 2 * REACH + 1;
    // The frame of beat k's p-th candidate (None off the envelope).
    let centres: Vec<i64> = seed.iter().map(|&t| ((t - bounds.origin) / frame).round() as i64).collect();
    let candidate = |k: usize, p: usize| -> Option<usize> {
        usize::try_from(centres[k] - REACH as i64 + p as i64).ok().filter(|&f| f < frames)
    };
    let range = PERIOD_RANGE.ln();
    let max_jump = MAX_STEP_RATIO.ln();
    let log_length: Vec<f64> = (0..=d_max).map(|d| (d as f64 * frame).ln()).collect();
    // step[d * (d_max + 1) + e]: the cost of a beat period of d frames after one of e,
    // infinite beyond `MAX_STEP_RATIO` (the coarse pass's costs, by frame count).
    let lengths = d_max + 1;
    let step: Vec<f32> = (0..lengths * lengths)
        .map(|de| {
            let (log, log_before) = (log_length[de / lengths], log_length[de % lengths]);
            if (log - log_before).abs() <= max_jump { continuity_cost(log, log_before) } else { f32::INFINITY }
        })
        .collect();
    let reference = |f: usize| grid.beat_length_at(bounds.origin + f as f64 * frame).ln();
    // How far the log of a period of `d` frames is from `here` (the grid's log beat where
    // the period ends), where that period is allowed.
    let offset = |d: usize, here: f64| -> Option<f64> {
        let off = log_length.get(d).filter(|_| d >= d_min)? - here;
        (off.abs() <= range).then_some(off)
    };
    // period[cell(k, p, q)]: the period in frames of beat k at candidate p after beat k - 1
    // at candidate q (0 where that period is not allowed there), offset[..] its `offset`.
    let cell = |k: usize, p: usize, q: usize| (k * window + p) * window + q;
    let mut period = vec![0usize; n * window * window];
    let mut offsets = vec![0.0; n * window * window];
    for k in 1..n {
        for p in 0..window {
            let Some(f) = candidate(k, p) else { continue };
            let here = reference(f);
            for q in 0..window {
                let Some(d) = candidate(k - 1, q).and_then(|before| f.checked_sub(before)) else { continue };
                if let Some(off) = offset(d, here) {
                    (period[cell(k, p, q)], offsets[cell(k, p, q)]) = (d, off);
                }
            }
        }
    }
    // score[cell(k, p, q)]: the best path whose beat k is candidate p and beat k - 1
    // candidate q; from[..] the candidate of beat k - 2 on it. The arithmetic (f32 sums,
    // the first of equal steps) is the coarse pass's, so that on one raster both passes
    // choose the same path.
    let mut score = vec![f32::NEG_INFINITY; n * window * window];
    let mut from = vec![0u8; n * window * window];
    // Beat 1: the path's first beat (candidate q, up to the start limit) may take any
    // period, as a start cell of the coarse pass may.
    for p in 0..window {
        let Some(f) = candidate(1, p) else { continue };
        for q in 0..window {
            let d = period[cell(1, p, q)];
            let Some(before) = candidate(0, q).filter(|&b| b <= start_limit && d > 0) else { continue };
            let there = reference(before);
            let best = (d_min..=d_max)
                .filter_map(|e| Some(beat_worth(envelope[before], offset(e, there)?) - step[d * lengths + e]))
                .fold(f32::NEG_INFINITY, f32::max);
            score[cell(1, p, q)] = beat_worth(envelope[f], offsets[cell(1, p, q)]) + best;
        }
    }
    let last = n - 1;
    for k in 2..last {
        for p in 0..window {
            let Some(f) = candidate(k, p) else { continue };
            for q in 0..window {
                let d = period[cell(k, p, q)];
                if d == 0 {
                    continue;
                }
                let costs = &step[d * lengths..(d + 1) * lengths];
                let best = best_before(&score, &period, costs, cell(k - 1, q, 0));
                if best.0 > f32::NEG_INFINITY {
                    score[cell(k, p, q)] = beat_worth(envelope[f], offsets[cell(k, p, q)]) + best.0;
                    from[cell(k, p, q)] = best.1 as u8;
                }
            }
        }
    }
    // Where a path ends floats: the coarse raster may take one beat more than the fine
    // one, or end on the last event with a short beat where the fine one takes a whole
    // beat past it. So the path may end on beat `last - 1`, or on beat `last` anywhere
    // from its window to a longest period past it, at or after `end_from`. The best end
    // wins, the later of equal ones (the coarse pass's order); an end is its score, its
    // frame, the state of beat `last - 1` and the frame of beat `last` if any.
    let mut end: Option<(f32, usize, usize, usize, Option<usize>)> = None;
    let mut offer = |total: f32, f: usize, p: usize, q: usize, beyond: Option<usize>| {
        if total > f32::NEG_INFINITY && end.is_none_or(|e| total > e.0 || (total == e.0 && f >= e.1)) {
            end = Some((total, f, p, q, beyond));
        }
    };
    for p in 0..window {
        let Some(f) = candidate(last - 1, p).filter(|&f| f >= end_from) else { continue };
        for q in (0..window).rev() {
            offer(score[cell(last - 1, p, q)], f, p, q, None);
        }
    }
    let centre = centres[last].max(0) as usize;
    let ends = centre.saturating_sub(REACH).max(end_from)..centre + d_max + 1;
    for (f, &level) in envelope.iter().enumerate().take(ends.end).skip(ends.start) {
        let here = reference(f);
        for q in (0..window).rev() {
            let d = candidate(last - 1, q).and_then(|before| f.checked_sub(before));
            let Some((d, off)) = d.and_then(|d| Some((d, offset(d, here)?))) else { continue };
            let (best, r) = best_before(&score, &period, &step[d * lengths..(d + 1) * lengths], cell(last - 1, q, 0));
            offer(beat_worth(level, off) + best, f, q, r, Some(f));
        }
    }
    let (total, _, mut p, mut q, beyond) = end?;
    let mut beats: Vec<usize> = beyond.into_iter().collect();
    for k in (1..last).rev() {
        beats.push(candidate(k, p)?);
        (p, q) = (q, usize::from(from[cell(k, p, q)]));
    }
    beats.push(candidate(0, p)?);
    Some((total, beats.iter().rev().map(|&f| bounds.origin + f as f64 * frame).collect()))
}

/// The cost of a beat period after another, from their logarithms: the same arithmetic
/// in both passes, so that on one raster they choose the same path.
fn continuity_cost(log: f64, log_before: f64) -> f32 {
    (CONTINUITY * (log - log_before).powi(2)) as f32
}

/// What a beat adds to a path: the envelope's `level` at it, less the anchor cost of its
/// period's log being `off` from the grid's beat there (both passes).
fn beat_worth(level: f64, off: f64) -> f32 {
    (level - ANCHOR * off * off) as f32
}

/// The best step into a beat of the fine pass from the states of the beat before it
/// (`scores` and `periods` from index `first`, one per candidate of the beat before
/// that), with `costs` the step costs from each previous period: the value and the
/// candidate, latest first, as the coarse pass tries the shortest previous period first.
fn best_before(scores: &[f32], periods: &[usize], costs: &[f32], first: usize) -> (f32, usize) {
    let mut best = (f32::NEG_INFINITY, 0);
    for r in (0..2 * REACH + 1).rev() {
        // A state not allowed (period 0, score -inf) is never the best.
        let value = scores[first + r] - costs[periods[first + r]];
        if value > best.0 {
            best = (value, r);
        }
    }
    best
}

/// The steps between beats of the path table: which periods a beat may follow (an index
/// range per period index) and what each step costs.
struct Steps {
    width: usize,
    d_min: usize,
    jump_bounds: Vec<(usize, usize)>,
    jump_cost: Vec<f32>,
}

impl Steps {
    /// The scores of the beats before a beat at frame `f` of period index `i`, the cost
    /// of each step from them, and the period index of the first; `rows` holds the
    /// table's rows before `f`. None where the period reaches back before the first frame.
    fn before<'a>(&'a self, rows: &'a [f32], f: usize, i: usize) -> Option<(&'a [f32], &'a [f32], usize)> {
        let d = self.d_min + i;
        let (from, to) = self.jump_bounds[i];
        let row = f.checked_sub(d)? * self.width;
        Some((&rows[row + from..row + to], &self.jump_cost[i * self.width + from..i * self.width + to], from))
    }
}

/// The largest `previous[j] - costs[j]` (negative infinity for none), in lanes the
/// compiler turns into vector instructions: the inner loop of the beat path.
fn best_step(previous: &[f32], costs: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let (p_chunks, c_chunks) = (previous.chunks_exact(LANES), costs.chunks_exact(LANES));
    let tail = p_chunks.remainder().iter().zip(c_chunks.remainder()).map(|(&p, &c)| p - c);
    for (p, c) in p_chunks.zip(c_chunks) {
        for k in 0..LANES {
            let value = p[k] - c[k];
            lanes[k] = if value > lanes[k] { value } else { lanes[k] };
        }
    }
    lanes.into_iter().chain(tail).fold(f32::NEG_INFINITY, |a, b| if b > a { b } else { a })
}

/// The onset envelope at `frames` points `frame` seconds apart from `origin`: each event a
/// Gaussian bump (`ONSET_SPREAD`) of its salience relative to the mean salience.
fn onset_envelope(events: &[Onset], origin: f64, frame: f64, frames: usize) -> Vec<f64> {
    let mean = events.iter().map(|e| e.weight).sum::<f64>() / events.len() as f64;
    let mut envelope = vec![0.0; frames];
    let reach = (3.0 * ONSET_SPREAD / frame).ceil() as i64;
    for e in events {
        let centre = ((e.seconds - origin) / frame).round() as i64;
        for f in (centre - reach).max(0)..=(centre + reach).min(frames as i64 - 1) {
            let distance = origin + f as f64 * frame - e.seconds;
            envelope[f as usize] += e.weight / mean * (-0.5 * (distance / ONSET_SPREAD).powi(2)).exp();
        }
    }
    envelope
}

/// Step 2: each beat line of the path moved to the salience-weighted mean time of the
/// events on it (within `INLIER` grid steps), where there are any: the path's frames are
/// `FRAME` apart, the events are not.
fn refine(events: &[Onset], path: &[f64], steps: f64) -> Vec<f64> {
    let mut sums = vec![(0.0, 0.0); path.len()];
    for e in events {
        let x = position(path, e.seconds);
        let k = x.round();
        if (x - k).abs() * steps < INLIER && k >= 0.0 && (k as usize) < path.len() {
            let sum = &mut sums[k as usize];
            (sum.0, sum.1) = (sum.0 + e.seconds * e.weight, sum.1 + e.weight);
        }
    }
    path.iter().zip(&sums).map(|(&t, &(sum, weight))| if weight > 0.0 { sum / weight } else { t }).collect()
}

/// Each beat line as the least-squares line through its neighbours (`SMOOTH_BEATS`
/// either side) says: jitter averaged out, for comparing with a fitted grid.
fn smoothed(beats: &[f64]) -> Vec<f64> {
    let reach = SMOOTH_BEATS as usize;
    (0..beats.len())
        .map(|k| {
            let (from, to) = (k.saturating_sub(reach), (k + reach).min(beats.len() - 1));
            let points: Vec<(f64, f64, f64)> = (from..=to).map(|j| (j as f64, beats[j], 1.0)).collect();
            weighted_line(&points).map_or(beats[k], |(a, b)| a + b * k as f64)
        })
        .collect()
}

/// Step 3: the shift (in beats, a whole number of grid steps) that puts the beat lines on
/// the subdivision class carrying the most salience.
fn best_phase(events: &[Onset], beats: &[f64], steps: f64) -> f64 {
    let classes = steps as usize;
    let mut salience = vec![0.0; classes];
    for e in events {
        let k = (position(beats, e.seconds) * steps).round() as i64;
        salience[k.rem_euclid(classes as i64) as usize] += e.weight;
    }
    let best = (0..classes).max_by(|&a, &b| salience[a].total_cmp(&salience[b])).unwrap_or(0);
    // A class past the middle of the beat is reached earlier by shifting back.
    let shift = best as f64 / steps;
    if shift > 0.5 { shift - 1.0 } else { shift }
}

/// Weighted least squares `t = a + b x` over (x, t, weight); None without two distinct x.
fn weighted_line(points: &[(f64, f64, f64)]) -> Option<(f64, f64)> {
    let total: f64 = points.iter().map(|p| p.2).sum();
    if total <= 0.0 {
        return None;
    }
    let mx = points.iter().map(|p| p.0 * p.2).sum::<f64>() / total;
    let mt = points.iter().map(|p| p.1 * p.2).sum::<f64>() / total;
    let sxx: f64 = points.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxt: f64 = points.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - mt)).sum();
    (sxx > 1e-9 && points.len() >= 3).then(|| {
        let b = sxt / sxx;
        (mt - b * mx, b)
    })
}

/// The time of fractional beat `x` on beat lines `beats` (at least two), linear between
/// them and beyond them at the first or last beat's length.
pub fn interpolate(beats: &[f64], x: f64) -> f64 {
    let last = beats.len() - 1;
    let k = (x.floor().max(0.0) as usize).min(last - 1);
    beats[k] + (x - k as f64) * (beats[k + 1] - beats[k])
}

/// The fractional beat of time `t` on beat lines `beats` (at least two, increasing): the
/// inverse of `interpolate`.
pub fn position(beats: &[f64], t: f64) -> f64 {
    let last = beats.len() - 1;
    let k = beats.partition_point(|&b| b <= t).saturating_sub(1).min(last - 1);
    k as f64 + (t - beats[k]) / (beats[k + 1] - beats[k])
}

/// Step 4: beat lines to write for `followed` (one time per beat): piecewise-constant
/// tempo, every line within `TOLERANCE` of the followed one (see the module doc).
/// `quarters_per_beat` (1, or 1.5 for a dotted-quarter beat) turns a beat length into a
/// quarter-note tempo, which new pieces prefer whole.
pub fn written_beats(followed: &[f64], grid: &BeatGrid, quarters_per_beat: f64) -> Vec<f64> {
    let n = followed.len();
    if n < 2 {
        return followed.to_vec();
    }
    let kept = kept_grid_lines(followed, grid);
    let mut written = vec![0.0; n];
    written[0] = kept[0].unwrap_or(followed[0]);
    let mut previous: Option<f64> = None;
    let mut i = 0;
    while i + 1 < n {
        if let (Some(here), Some(next)) = (kept[i], kept[i + 1])
            && (written[i] - here).abs() <= REJOIN
        {
            written[i + 1] = written[i] + (next - here);
            previous = Some(next - here);
            i += 1;
            continue;
        }
        // The longest run of one tempo from line i, ending on the next kept grid line
        // when one tempo reaches it.
        let (mut low, mut high) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut end = i + 1;
        let mut rejoin = None;
        for k in i + 1..n {
            let beats = (k - i) as f64;
            if let Some(line) = kept[k] {
                // Back on the grid with a whole-BPM tempo that lands on its line.
                let slope = whole_bpm(((line - written[i]) / beats).max(1e-3), quarters_per_beat);
                let landing = written[i] + beats * slope;
                if slope >= low && slope <= high && (landing - line).abs() <= REJOIN {
                    rejoin = Some(slope);
                    end = k;
                    break;
                }
            }
            let (a, b) = (
                (followed[k] - TOLERANCE - written[i]) / beats,
                (followed[k] + TOLERANCE - written[i]) / beats,
            );
            if a.max(low) > b.min(high) {
                break;
            }
            (low, high, end) = (a.max(low), b.min(high), k);
        }
        let slope = rejoin.unwrap_or_else(|| choose_slope(low.max(1e-3), high, previous, quarters_per_beat));
        for k in i + 1..=end {
            written[k] = written[i] + (k - i) as f64 * slope;
        }
        previous = Some(slope);
        i = end;
    }
    written
}

/// For each followed beat line, the fitted grid's line for it where the grid stays within
/// `KEEP_GRID` x `TOLERANCE` of the followed lines for at least `MIN_KEPT_RUN`
/// consecutive beats.
fn kept_grid_lines(followed: &[f64], grid: &BeatGrid) -> Vec<Option<f64>> {
    let near: Vec<Option<(i64, f64)>> = followed
        .iter()
        .zip(smoothed(followed))
        .map(|(&t, smooth)| {
            let beat = grid.beat_at(smooth).round();
            let line = grid.seconds_at_beat(beat);
            let close = (line - smooth).abs() <= KEEP_GRID * TOLERANCE && (line - t).abs() <= JITTER_TOLERANCE;
            close.then_some((beat as i64, line))
        })
        .collect();
    let mut kept = vec![None; followed.len()];
    let mut run_start = 0;
    for k in 1..=near.len() {
        let continues = k < near.len() && matches!((near[k - 1], near[k]), (Some(a), Some(b)) if b.0 == a.0 + 1);
        if continues {
            continue;
        }
        if near[run_start].is_some() && k - run_start >= MIN_KEPT_RUN {
            for j in run_start..k {
                kept[j] = near[j].map(|(_, line)| line);
            }
        }
        run_start = k;
    }
    // The path's first and last beats are held by the notes on one side only: a kept run
    // within `END_BEATS` of an end runs on to it.
    let n = followed.len();
    if let Some(first) = kept.iter().position(Option::is_some).filter(|&k| k <= END_BEATS)
        && let Some((beat, _)) = near[first]
    {
        for (k, line) in kept[..first].iter_mut().enumerate() {
            *line = Some(grid.seconds_at_beat((beat - (first - k) as i64) as f64));
        }
    }
    if let Some(last) = kept.iter().rposition(Option::is_some).filter(|&k| k + END_BEATS + 1 >= n)
        && let Some((beat, _)) = near[last]
    {
        for (k, line) in kept.iter_mut().enumerate().skip(last + 1) {
            *line = Some(grid.seconds_at_beat((beat + (k - last) as i64) as f64));
        }
    }
    kept
}

/// The beat length of the whole quarter-note BPM nearest to `beat`'s.
fn whole_bpm(beat: f64, quarters_per_beat: f64) -> f64 {
    60.0 * quarters_per_beat / (60.0 * quarters_per_beat / beat).round().max(1.0)
}

/// A beat length in [low, high]: the previous one when it fits (no new tempo to write),
/// else the whole quarter-note BPM nearest the middle, else the middle.
fn choose_slope(low: f64, high: f64, previous: Option<f64>, quarters_per_beat: f64) -> f64 {
    if let Some(p) = previous.filter(|&p| p >= low && p <= high) {
        return p;
    }
    let middle = (low + high) / 2.0;
    let bpm = |beat: f64| 60.0 * quarters_per_beat / beat;
    let whole = bpm(middle).round();
    let slope = 60.0 * quarters_per_beat / whole;
    if whole >= 1.0 && slope >= low && slope <= high {
        return slope;
    }
    let (fast, slow) = (bpm(low).floor(), bpm(high).ceil());
    [fast, slow]
        .into_iter()
        .filter(|&b| b >= 1.0)
        .map(|b| 60.0 * quarters_per_beat / b)
        .filter(|&s| s >= low && s <= high)
        .min_by(|a, b| (a - middle).abs().total_cmp(&(b - middle).abs()))
        .unwrap_or(middle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_inverts_interpolate() {
        let beats = [1.0, 1.5, 2.2, 2.8];
        for x in [-1.0, 0.0, 0.25, 1.5, 2.99, 3.0, 4.5] {
            assert!((position(&beats, interpolate(&beats, x)) - x).abs() < 1e-12, "{x}");
        }
    }

    use crate::analysis::beat::{merge_chords, track_beat};

    /// Beat times of a tempo curve: `beats` beats from 0.5 s, the k-th lasting `period(k)`.
    fn curve(beats: usize, period: impl Fn(usize) -> f64) -> Vec<f64> {
        let mut times = vec![0.5];
        for k in 0..beats {
            times.push(times[k] + period(k));
        }
        times
    }

    /// A performance on beat lines `truth`: a bass note on each beat, eighths between them
    /// and sixteenths on every third beat, each onset off by up to `jitter` seconds (a fixed
    /// pseudo-random sequence).
    fn played(truth: &[f64], jitter: f64) -> Vec<Onset> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut noise = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2001) as f64 / 1000.0 - 1.0
        };
        let mut onsets = Vec::new();
        for k in 0..truth.len() - 1 {
            let (a, b) = (truth[k], truth[k + 1]);
            let subdivisions = if k % 3 == 2 { 4 } else { 2 };
            for s in 0..subdivisions {
                let weight = if s == 0 { 6.0 } else { 2.0 };
                let t = a + (b - a) * s as f64 / f64::from(subdivisions);
                onsets.push(Onset { seconds: t + jitter * noise(), weight });
            }
        }
        onsets.push(Onset { seconds: truth[truth.len() - 1], weight: 6.0 });
        onsets
    }

    /// Largest distance from each true beat line to the nearest followed one.
    fn worst_miss(followed: &[f64], truth: &[f64]) -> f64 {
        truth
            .iter()
            .map(|&t| followed.iter().map(|&f| (f - t).abs()).fold(f64::INFINITY, f64::min))
            .fold(0.0, f64::max)
    }

    fn follow(onsets: &[Onset]) -> (BeatGrid, Vec<f64>) {
        let grid = track_beat(onsets).expect("a grid");
        let followed = follow_beat(&merge_chords(onsets), &grid);
        (grid, followed)
    }

    /// Performances of three tempo curves: steady, wandering, and held back every bar.
    fn three_performances() -> Vec<Vec<Onset>> {
        let wandering = curve(96, |k| 0.5 * (1.0 + 0.15 * (std::f64::consts::TAU * k as f64 / 12.0).sin()));
        let held_back = curve(64, |k| if k % 4 == 3 { 0.75 } else { 0.6 });
        vec![played(&curve(64, |_| 0.6), 0.015), played(&wandering, 0.015), played(&held_back, 0.01)]
    }

    /// A performance's merged events, grid, path bounds and envelope, and the path of the
    /// table over every 20 ms frame.
    fn full_table_path(onsets: &[Onset]) -> (Vec<Onset>, BeatGrid, PathBounds, Vec<f64>, Vec<f64>) {
        let events = merge_chords(onsets);
        let grid = track_beat(onsets).expect("a grid");
        let bounds = PathBounds::new(&events, &grid);
        let envelope = onset_envelope(&events, bounds.origin, FRAME, bounds.frames(FRAME));
        let full = frame_path(&envelope, &grid, &bounds, 1);
        (events, grid, bounds, envelope, full)
    }

    #[test]
    fn the_fine_pass_keeps_the_full_tables_path_on_one_raster() {
        // Given the best path of the table over every frame, the fine pass (other states,
        // the same scores) must choose it again: each beat within reach, and no better one.
        for onsets in three_performances() {
            let (_, grid, bounds, envelope, full) = full_table_path(&onsets);
            assert!(full.len() > 60, "{} beats", full.len());
            assert_eq!(fine_path(&envelope, &grid, &bounds, &full).map(|(_, path)| path), Some(full));
        }
    }

    #[test]
    fn coarse_to_fine_finds_the_full_tables_beats() {
        for onsets in three_performances() {
            let (events, grid, bounds, envelope, full) = full_table_path(&onsets);
            let coarse = frame_path(&envelope, &grid, &bounds, COARSE);
            // The coarse raster alone misses beats by a frame or more; the fine pass not.
            let worst = coarse.iter().zip(&full).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(worst >= FRAME * 0.99, "{worst}");
            assert_eq!(beat_path(&events, &grid), full);
        }
    }

    #[test]
    fn any_coarse_raster_finds_a_path_over_the_piece() {
        // Rasters coarser than `COARSE` are what `MAX_CELLS` turns a very long piece's into.
        for onsets in three_performances() {
            let (_, grid, bounds, envelope, full) = full_table_path(&onsets);
            for factor in 2..=8 {
                let path = frame_path(&envelope, &grid, &bounds, factor);
                let span = full[full.len() - 1] - full[0];
                assert!((path[path.len() - 1] - path[0] - span).abs() < 2.0, "raster x{factor}");
            }
        }
    }

    #[test]
    fn a_wandering_tempo_is_followed_beat_by_beat() {
        // 120 BPM swaying by 15 % over 12 beats, then a ritardando to 70 BPM.
        let truth = curve(96, |k| {
            let sway = 0.5 * (1.0 + 0.15 * (std::f64::consts::TAU * k as f64 / 12.0).sin());
            if k < 80 { sway } else { sway * (1.0 + 0.045 * (k - 80) as f64) }
        });
        let (grid, followed) = follow(&played(&truth, 0.015));
        assert_eq!(grid.steps_per_beat, 4);
        let miss = worst_miss(&followed, &truth);
        assert!(miss < 0.03, "worst beat line {:.0} ms off", miss * 1000.0);
        let written = written_beats(&followed, &grid, 1.0);
        assert_eq!(written.len(), followed.len());
        // A line is within the tolerance, or a kept grid line within the jitter tolerance.
        for (w, f) in written.iter().zip(&followed) {
            assert!((w - f).abs() <= JITTER_TOLERANCE, "{w} vs {f}");
        }
        let within = written.iter().zip(&followed).filter(|(w, f)| (*w - *f).abs() <= TOLERANCE + 1e-9).count();
        assert!(within as f64 >= 0.9 * written.len() as f64, "{within} of {}", written.len());
    }

    #[test]
    fn sudden_rubato_within_a_bar_is_followed() {
        // Every fourth beat held back by 25 %, the next one hurried by 10 %.
        let truth = curve(64, |k| match k % 4 {
            3 => 0.75,
            0 => 0.54,
            _ => 0.6,
        });
        let (_, followed) = follow(&played(&truth, 0.01));
        let miss = worst_miss(&followed, &truth);
        assert!(miss < 0.03, "worst beat line {:.0} ms off", miss * 1000.0);
    }

    #[test]
    fn a_steady_tempo_keeps_the_fitted_grid_exactly() {
        let truth = curve(64, |_| 0.6);
        let onsets = played(&truth, 0.015);
        let (grid, followed) = follow(&onsets);
        assert!((grid.quarter_bpm() - 100.0).abs() < 1e-9, "{}", grid.quarter_bpm());
        let written = written_beats(&followed, &grid, 1.0);
        for w in &written {
            let beat = grid.beat_at(*w);
            assert!((beat - beat.round()).abs() < 1e-9, "{w} is off the grid");
        }
        let lengths: Vec<f64> = written.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(lengths.iter().all(|l| (l - 0.6).abs() < 1e-9), "{lengths:?}");
    }

    #[test]
    fn a_new_tempo_prefers_the_previous_then_a_whole_bpm() {
        assert_eq!(choose_slope(0.49, 0.51, Some(0.505), 1.0), 0.505);
        // 0.49..0.51 s per quarter: 117.6..122.4 BPM, 120 is whole.
        assert_eq!(choose_slope(0.49, 0.51, Some(0.6), 1.0), 0.5);
        // 0.5001..0.5004 holds no whole BPM: the middle.
        assert!((choose_slope(0.5001, 0.5004, None, 1.0) - 0.50025).abs() < 1e-12);
    }
}
