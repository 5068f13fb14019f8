//! Beat tracking for performed MIDI: from note onsets in seconds (human timing, one
//! arbitrary file tempo) to a grid of sixteenths with a known tempo and beat phase.
//!
//! The method, in three steps, all linear in the number of onsets:
//! 1. tempo hypothesis: a histogram of inter-onset intervals over all pairs up to 3.2 s
//!    (weighted by onset salience, smoothed by the expected timing jitter) is read as an
//!    autocorrelation. Each candidate beat period T scores its comb, T, 2T, T/2 and T/4
//!    for simple metres or T, 2T, T/3 and T/6 for compound ones, times a log-normal
//!    prior around 100 BPM that picks the metrical level a reader calls "the beat";
//! 2. the sixteenth grid (T/4, or T/6 in compound time) is fitted by least squares to
//!    the onsets that lie near it, over windows that double from 4 s to the whole piece,
//!    so a slightly wrong period never slips a grid step; a quarter-note tempo within
//!    rounding of a whole BPM is taken as that whole BPM (files are written at one);
//! 3. the beat phase: the sixteenth class (mod 4, or 6) that carries the most salience.
//!
//! It assumes one tempo for the whole piece: a performance that drifts by more than a
//! sixteenth over its length is snapped with growing error (see `QuantizeReport`).

/// A note onset for beat tracking: its time and how much it marks the beat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onset {
    pub seconds: f64,
    /// Salience (> 0): louder, longer and lower notes mark the beat more.
    pub weight: f64,
}

/// A fitted beat grid: beat lines at `origin + k * steps_per_beat * step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeatGrid {
    /// Time in seconds of one beat line (the others follow every beat, both ways).
    pub origin: f64,
    /// Length of a sixteenth note in seconds: the grid step.
    pub step: f64,
    /// Sixteenths per beat: 4 in simple metres (quarter beat), 6 in compound (dotted quarter).
    pub steps_per_beat: u32,
}

impl BeatGrid {
    /// Length of one beat in seconds.
    pub fn beat_seconds(&self) -> f64 {
        self.step * f64::from(self.steps_per_beat)
    }

    /// Tempo in quarter notes per minute.
    pub fn quarter_bpm(&self) -> f64 {
        60.0 / (4.0 * self.step)
    }

    /// True for compound metres (dotted-quarter beats divided in three).
    pub fn is_compound(&self) -> bool {
        self.steps_per_beat == 6
    }
}

/// Onsets closer than this are one event (a chord played with human spread).
const CHORD_SPREAD: f64 = 0.035;
/// Histogram bin width in seconds.
const BIN: f64 = 0.005;
/// Longest inter-onset interval counted.
const MAX_INTERVAL: f64 = 3.2;
/// Standard deviation of the smoothing kernel: the jitter of a difference of two onsets.
const INTERVAL_JITTER: f64 = 0.02;
/// Beat periods considered, in seconds (200 down to 40 beats per minute).
const MIN_BEAT: f64 = 0.3;
const MAX_BEAT: f64 = 1.5;
/// Centre and width (in octaves) of the prior on the beat period.
const PRIOR_BEAT: f64 = 0.6;
const PRIOR_OCTAVES: f64 = 0.8;
/// Onsets farther than this fraction of a step from the grid are left out of the fit
/// (triplets, ornaments, wrong guesses).
const INLIER: f64 = 0.3;
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
    let autocorrelation = interval_histogram(&events);
    let (beat, steps_per_beat) = best_period(&autocorrelation);
    let (anchor, step) = fit_grid(&events, events[0].seconds, beat / f64::from(steps_per_beat))?;
    let (anchor, step) = double_if_too_coarse(&events, anchor, step, steps_per_beat);
    let (anchor, step) = prefer_whole_bpm(&events, anchor, step);
    let phase = beat_class(&events, anchor, step, steps_per_beat);
    let grid = BeatGrid {
        origin: anchor + phase as f64 * step,
        step,
        steps_per_beat,
    };
    Some(if grid.is_compound() {
        simple_if_duplets(&events, grid)
    } else {
        grid
    })
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
    BeatGrid {
        origin,
        step,
        steps_per_beat: 4,
    }
}

/// Onsets sorted and merged into events: a chord's notes become one event at their mean
/// time carrying their summed weight.
fn merge_chords(onsets: &[Onset]) -> Vec<Onset> {
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
/// comb in the interval histogram, times the tempo prior, is largest.
fn best_period(histogram: &[f64]) -> (f64, u32) {
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
        for (score, steps) in [(simple, 4), (compound, 6)] {
            if score * prior > best.0 {
                best = (score * prior, beat, steps);
            }
        }
        beat += BIN / 2.0;
    }
    (best.1, best.2)
}

/// Least-squares fit of `t = anchor + k * step` to the events near the grid, over
/// windows doubling from 4 s. Returns the refined (anchor, step).
fn fit_grid(events: &[Onset], anchor: f64, step: f64) -> Option<(f64, f64)> {
    let start = events[0].seconds;
    let end = events[events.len() - 1].seconds;
    let (mut anchor, mut step) = (anchor, step);
    let mut window = 4.0;
    loop {
        for _ in 0..2 {
            let inliers: Vec<(f64, f64)> = grid_points(events, anchor, step)
                .filter(|&(t, k, _)| t <= start + window && (t - anchor - k * step).abs() < INLIER * step)
                .map(|(t, k, _)| (k, t))
                .collect();
            if let Some(fit) = line_fit(&inliers) {
                (anchor, step) = fit;
            }
        }
        if start + window >= end {
            return (step > 0.0).then_some((anchor, step));
        }
        window *= 2.0;
    }
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
/// a cluster at 1/2. The test: more onsets in the outer band (3/8 to 1/2) than in the band
/// inside it (1/4 to 3/8), plus `BETWEEN_MARGIN` of all onsets.
fn has_level_between(events: &[Onset], anchor: f64, step: f64) -> bool {
    let (mut outer, mut inner) = (0usize, 0usize);
    for (t, k, _) in grid_points(events, anchor, step) {
        let distance = (t - anchor - k * step).abs() / step;
        if distance >= 0.375 {
            outer += 1;
        } else if distance >= 0.25 {
            inner += 1;
        }
    }
    outer as f64 > inner as f64 + BETWEEN_MARGIN * events.len() as f64
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
