//! Aligning a score's beats to a recording's seconds: pairing score notes with performed
//! notes, and fitting a tempo map through (tick, seconds) anchors.
//!
//! Datasets whose annotations are aligned to the audio (URMP's performed notes, MusicNet's
//! labels) but whose rhythm lives in a score need a `Score` where ticks follow the score
//! and seconds follow the recording. The tempo map does that: it changes at *knots*,
//! anchors that fall on a bar line of the score (plus the first and last anchor), and is
//! constant between them, so bar lines land exactly where they are heard and one ABC
//! tempo field per bar at most describes the performance. Notes between knots sit at
//! their score position, which is off the heard time by the rubato inside the bar.
//!
//! Deliberately not done: smoothing the tempo (a fermata shows as one slow bar), or
//! more than one tempo per bar.

use crate::score::{TempoChange, TempoMap};

/// A score position heard at a time of the recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    pub tick: u64,
    pub seconds: f64,
}

/// A fitted tempo map, for a score shifted right by `lead_in` ticks of rest so that the
/// silence before its first note fits in whole bars.
#[derive(Debug, Clone, PartialEq)]
pub struct TempoFit {
    pub tempo: TempoMap,
    pub lead_in: u64,
}

/// Fits a tempo map through the anchors (ticks before any lead-in) at the bar lines of
/// the score (`bar_lines`, sorted ticks; `full_bar` the length of a full first bar).
///
/// Anchors are cleaned first: those at one tick are merged to their median time, then,
/// in tick order, any anchor not later than the previous kept one is dropped (a wrong
/// match, or notes the player rushed past). The recording's time 0 must be tick 0: when
/// the first knot is at tick 0 but heard later, the score gets a lead-in of the whole
/// number of bars nearest to that silence at the first bar's tempo; under half a bar the
/// knot is dropped instead (its notes then sound that much earlier than heard).
///
/// `None` when fewer than two distinct usable times remain.
pub fn fit_tempo(anchors: &[Anchor], bar_lines: &[u64], full_bar: u64, ticks_per_quarter: u32) -> Option<TempoFit> {
    let cleaned = clean(anchors);
    let mut knots: Vec<Anchor> = cleaned
        .iter()
        .enumerate()
        .filter(|(i, a)| *i == 0 || *i + 1 == cleaned.len() || bar_lines.binary_search(&a.tick).is_ok())
        .map(|(_, a)| *a)
        .collect();
    let mut lead_in = 0;
    match knots.first().copied() {
        Some(first) if first.tick == 0 && first.seconds > 0.0 => {
            let next = knots.get(1)?;
            let seconds_per_tick = (next.seconds - first.seconds) / (next.tick as f64);
            let bars = (first.seconds / (full_bar.max(1) as f64 * seconds_per_tick)).round() as u64;
            if bars == 0 {
                knots[0].seconds = 0.0;
            } else {
                lead_in = bars * full_bar;
                knots.iter_mut().for_each(|k| k.tick += lead_in);
                knots.insert(0, Anchor { tick: 0, seconds: 0.0 });
            }
        }
        Some(first) if first.tick > 0 => knots.insert(0, Anchor { tick: 0, seconds: 0.0 }),
        Some(_) => {}
        None => return None,
    }
    if knots.len() < 2 {
        return None;
    }
    let tpq = f64::from(ticks_per_quarter);
    let changes = knots
        .windows(2)
        .map(|pair| {
            let quarters = (pair[1].tick - pair[0].tick) as f64 / tpq;
            let micros = ((pair[1].seconds - pair[0].seconds) * 1e6 / quarters).round();
            TempoChange {
                tick: pair[0].tick,
                micros_per_quarter: micros.clamp(1.0, f64::from(u32::MAX)) as u32,
            }
        })
        .collect();
    Some(TempoFit {
        tempo: TempoMap::from_changes(changes),
        lead_in,
    })
}

/// Merges anchors at one tick to their median time and keeps a strictly increasing run.
fn clean(anchors: &[Anchor]) -> Vec<Anchor> {
    let mut sorted: Vec<Anchor> = anchors
        .iter()
        .copied()
        .filter(|a| a.seconds.is_finite() && a.seconds >= 0.0)
        .collect();
    sorted.sort_by(|a, b| a.tick.cmp(&b.tick).then(a.seconds.total_cmp(&b.seconds)));
    let mut kept: Vec<Anchor> = Vec::new();
    for group in sorted.chunk_by(|a, b| a.tick == b.tick) {
        let median = Anchor {
            tick: group[0].tick,
            seconds: group[group.len() / 2].seconds,
        };
        if kept.last().is_none_or(|last| median.seconds > last.seconds) {
            kept.push(median);
        }
    }
    kept
}

/// A note reduced to what matching needs: when it starts and its pitch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onset {
    pub seconds: f64,
    pub pitch: u8,
}

/// Largest time difference (after normalisation) at which two notes may be paired.
const MATCH_WINDOW_SECONDS: f64 = 5.0;

/// Pairs score notes with performed notes of one instrument, both sorted by onset:
/// the monotonic pairing of equal pitches with the most pairs, closer pairs preferred.
///
/// Score times are first mapped onto the performance by the affine map that takes the
/// first and last score onsets to the first and last performed onsets; pairs must lie
/// within `MATCH_WINDOW_SECONDS` of each other after that. Returns (score index,
/// performed index) pairs in order. Quadratic in time and memory (a few thousand notes
/// per instrument is fine).
pub fn match_notes(score: &[Onset], performed: &[Onset]) -> Vec<(usize, usize)> {
    let (n, m) = (score.len(), performed.len());
    let (Some(s0), Some(s1), Some(p0), Some(p1)) = (score.first(), score.last(), performed.first(), performed.last())
    else {
        return Vec::new();
    };
    let span = s1.seconds - s0.seconds;
    let scale = if span > 0.0 {
        (p1.seconds - p0.seconds) / span
    } else {
        1.0
    };
    let mapped = |s: &Onset| p0.seconds + (s.seconds - s0.seconds) * scale;
    let gain = |i: usize, j: usize| {
        let distance = (mapped(&score[i]) - performed[j].seconds).abs();
        (score[i].pitch == performed[j].pitch && distance < MATCH_WINDOW_SECONDS)
            .then(|| 1.0 + (1.0 - distance / MATCH_WINDOW_SECONDS) * 0.5)
    };
    // best[i][j]: best total over score[..i] and performed[..j].
    let width = m + 1;
    let mut best = vec![0.0f64; (n + 1) * width];
    for i in 1..=n {
        for j in 1..=m {
            let skip = best[(i - 1) * width + j].max(best[i * width + j - 1]);
            let pair = gain(i - 1, j - 1).map_or(f64::MIN, |g| best[(i - 1) * width + j - 1] + g);
            best[i * width + j] = skip.max(pair);
        }
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let here = best[i * width + j];
        if here == best[(i - 1) * width + j] {
            i -= 1;
        } else if here == best[i * width + j - 1] {
            j -= 1;
        } else {
            pairs.push((i - 1, j - 1));
            i -= 1;
            j -= 1;
        }
    }
    pairs.reverse();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knots_at_bar_lines_reproduce_their_times() {
        // 4/4 at 480 tpq: bars every 1920 ticks; the player slows down in bar 2.
        let anchors = [
            Anchor { tick: 0, seconds: 0.0 },
            Anchor {
                tick: 960,
                seconds: 1.0,
            },
            Anchor {
                tick: 1920,
                seconds: 2.0,
            },
            Anchor {
                tick: 3840,
                seconds: 5.0,
            },
        ];
        let fit = fit_tempo(&anchors, &[0, 1920, 3840], 1920, 480).expect("fit");
        assert_eq!(fit.lead_in, 0);
        let changes: Vec<(u64, u32)> = fit
            .tempo
            .changes()
            .iter()
            .map(|c| (c.tick, c.micros_per_quarter))
            .collect();
        assert_eq!(changes, vec![(0, 500_000), (1920, 750_000)]);
        assert_eq!(fit.tempo.seconds_at(3840, 480), 5.0);
    }

    #[test]
    fn silence_before_the_first_downbeat_becomes_whole_bars_of_lead_in() {
        // First note at tick 0 heard at 2.1 s; bars last 2 s: one bar of lead-in.
        let anchors = [
            Anchor { tick: 0, seconds: 2.1 },
            Anchor {
                tick: 1920,
                seconds: 4.1,
            },
        ];
        let fit = fit_tempo(&anchors, &[0, 1920], 1920, 480).expect("fit");
        assert_eq!(fit.lead_in, 1920);
        assert_eq!(fit.tempo.seconds_at(1920, 480), 2.1);
        assert_eq!(fit.tempo.seconds_at(3840, 480), 4.1);
        // Under half a bar of silence: no lead-in, the first knot moves to time 0.
        let short = [
            Anchor { tick: 0, seconds: 0.3 },
            Anchor {
                tick: 1920,
                seconds: 2.3,
            },
        ];
        let fit = fit_tempo(&short, &[0, 1920], 1920, 480).expect("fit");
        assert_eq!(fit.lead_in, 0);
        assert_eq!(fit.tempo.seconds_at(1920, 480), 2.3);
    }

    #[test]
    fn inconsistent_anchors_are_dropped_and_one_time_is_not_enough() {
        let anchors = [
            Anchor {
                tick: 1920,
                seconds: 2.0,
            },
            Anchor {
                tick: 1920,
                seconds: 2.2,
            },
            Anchor {
                tick: 1920,
                seconds: 2.1,
            },
            Anchor {
                tick: 2880,
                seconds: 1.5,
            },
            Anchor {
                tick: 3840,
                seconds: 4.1,
            },
        ];
        assert_eq!(
            clean(&anchors),
            vec![
                Anchor {
                    tick: 1920,
                    seconds: 2.1
                },
                Anchor {
                    tick: 3840,
                    seconds: 4.1
                }
            ]
        );
        assert_eq!(fit_tempo(&[Anchor { tick: 0, seconds: 1.0 }], &[0], 1920, 480), None);
    }

    #[test]
    fn matching_pairs_equal_pitches_in_order_and_skips_extra_notes() {
        let onset = |seconds, pitch| Onset { seconds, pitch };
        let score = [onset(0.0, 60), onset(1.0, 62), onset(2.0, 64), onset(3.0, 65)];
        // Played slower, with a wrong extra note and the 62 missing.
        let played = [onset(0.5, 60), onset(1.2, 70), onset(3.3, 64), onset(4.5, 65)];
        assert_eq!(match_notes(&score, &played), vec![(0, 0), (2, 2), (3, 3)]);
        assert_eq!(match_notes(&[], &played), Vec::new());
    }
}
