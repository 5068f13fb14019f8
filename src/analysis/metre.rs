//! Metre estimation: the time signature and the downbeat phase (pickup) of a piece on a
//! tick grid that carries no time-signature event (performed MIDI after beat tracking,
//! sequencer files without a meta event).
//!
//! Two questions are answered from the notes alone, in ticks:
//! 1. the beat: a quarter note (simple metre) or a dotted quarter (compound metre), and
//!    where the beat lines fall. The hypothesis whose beat lines collect the most note
//!    salience, relative to the share expected by chance, wins;
//! 2. the bar: three beats or an even number, and which beat is the downbeat. Downbeats
//!    are where salience (onsets, longer notes, louder notes, bass notes) peaks. Three
//!    beats win where grouping by three gives a stronger downbeat contrast than grouping
//!    by two and by four; otherwise the bar is 4/4 or 6/8.
//!
//! Candidates are 3/4, 4/4, 6/8 and 9/8. A bar of two beats and one of four are not told
//! apart: in real music the downbeat of every other bar is as strong as the bar's own
//! (phrases come in pairs of bars), so the contrast of grouping by four against grouping
//! by two is distributed alike for tunes written in 2/4 and in 4/4, and for 6/8 and 12/8
//! (docs/benchmarks.md, "A bar of two beats or four"). The more usual notation is written:
//! 4/4, and 6/8. Alla breve (2/2), 2/4, 3/8 and 12/8 differ from these only in notation.

use std::collections::BTreeMap;

use crate::score::{Note, Score};

/// An inferred metre: `numerator/denominator`, its beat, and the first downbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetreEstimate {
    pub numerator: u8,
    pub denominator: u8,
    /// Length of one beat in ticks (a quarter in simple metres, a dotted quarter in compound).
    pub beat_ticks: u64,
    /// Tick of the first downbeat, in `0..bar length`: the length of the pickup bar.
    pub pickup_ticks: u64,
}

impl MetreEstimate {
    /// Length of one bar in ticks.
    pub fn bar_ticks(&self, ticks_per_quarter: u32) -> u64 {
        u64::from(self.numerator) * u64::from(ticks_per_quarter) * 4 / u64::from(self.denominator)
    }
}

/// Estimates the metre of a score from its notes (drums included: a kick marks downbeats).
/// A score without notes is in 4/4 with no pickup.
pub fn estimate_metre(score: &Score) -> MetreEstimate {
    let tpq = u64::from(score.ticks_per_quarter);
    let accents = onset_accents(score);
    let quarter = (tpq, beat_lift(&accents, tpq, 2));
    let dotted = (tpq * 3 / 2, beat_lift(&accents, tpq * 3 / 2, 3));
    let ((beat_ticks, (_, phase)), compound) = if dotted.1.0 > quarter.1.0 * 1.05 {
        (dotted, true)
    } else {
        (quarter, false)
    };
    metre_on_beats(score, beat_ticks, phase, compound)
}

/// Where the bars of a stated time signature start in a score whose ticks say nothing
/// about it (a performance brought onto a beat grid): the beat is the signature's (a
/// dotted quarter for 6/8, 9/8, 12/8, else one `1/denominator`), its lines where the most
/// salience falls, and the downbeat the beat class of strongest salience, as in
/// `estimate_metre`. The signature itself is returned as given.
pub fn estimate_downbeat(score: &Score, numerator: u8, denominator: u8) -> MetreEstimate {
    let tpq = u64::from(score.ticks_per_quarter);
    let compound = denominator == 8 && numerator > 3 && numerator.is_multiple_of(3);
    let (beat_ticks, beats, eighths_per_beat) = if compound {
        (tpq * 3 / 2, u64::from(numerator / 3), 3)
    } else {
        let beat = (tpq * 4 / u64::from(denominator.max(1))).max(1);
        (beat, u64::from(numerator.max(1)), (2 * beat / tpq).max(1))
    };
    let accents = onset_accents(score);
    let (_, beat_phase) = beat_lift(&accents, beat_ticks, eighths_per_beat);
    let bar = beats * beat_ticks;
    // Salience on each beat class; the classes hold equally many beats, give or take one.
    let mut salience = vec![0.0; beats as usize];
    for (&t, &a) in &accents {
        if (t + beat_ticks - beat_phase).is_multiple_of(beat_ticks) {
            salience[((t + bar - beat_phase) / beat_ticks % beats) as usize] += a;
        }
    }
    let downbeat = (0..beats).max_by(|&a, &b| salience[a as usize].total_cmp(&salience[b as usize])).unwrap_or(0);
    MetreEstimate { numerator, denominator, beat_ticks, pickup_ticks: (beat_phase + downbeat * beat_ticks) % bar }
}

/// The metre of a score whose beat is known: beats of `beat_ticks` (a quarter, or a
/// dotted quarter when `compound`) with a beat line at tick `beat_phase`.
fn metre_on_beats(score: &Score, beat_ticks: u64, beat_phase: u64, compound: bool) -> MetreEstimate {
    let accents = onset_accents(score);
    let (beats, phase) = bar_grouping(&accents, beat_ticks, beat_phase, compound);
    let (numerator, denominator) = if compound { (3 * beats, 8) } else { (beats, 4) };
    let bar = u64::from(beats) * beat_ticks;
    MetreEstimate {
        numerator,
        denominator,
        beat_ticks,
        pickup_ticks: (beat_phase + phase * beat_ticks) % bar,
    }
}

/// How much a note marks a beat or a downbeat: 1, plus three times its velocity (0..3:
/// dynamic accents are the clearest cue in a lone melody), its length in quarters (up to
/// 2) and 1 when it is a bass note (below G3).
pub(crate) fn note_salience(note: &Note, quarters: f64) -> f64 {
    let bass = if note.pitch < 55 { 1.0 } else { 0.0 };
    1.0 + 3.0 * f64::from(note.velocity) / 127.0 + quarters.clamp(0.0, 2.0) + bass
}

/// Summed salience of the notes starting at each onset tick.
fn onset_accents(score: &Score) -> BTreeMap<u64, f64> {
    let tpq = f64::from(score.ticks_per_quarter.max(1));
    let mut accents = BTreeMap::new();
    for note in score.parts.iter().flat_map(|p| &p.notes) {
        *accents.entry(note.start).or_insert(0.0) += note_salience(note, note.duration as f64 / tpq);
    }
    accents
}

/// For beats of `beat` ticks: the best (lift, phase) over beat phases on a sixteenth grid,
/// where lift is the share of salience on beat lines divided by the share expected when
/// onsets fall on any of the `eighths_per_beat` eighth positions.
fn beat_lift(accents: &BTreeMap<u64, f64>, beat: u64, eighths_per_beat: u64) -> (f64, u64) {
    let total: f64 = accents.values().sum();
    if total == 0.0 || beat == 0 {
        return (0.0, 0);
    }
    let sixteenth = (beat / (2 * eighths_per_beat)).max(1);
    let mut best = (f64::NEG_INFINITY, 0);
    for phase in (0..beat).step_by(sixteenth as usize) {
        let on_beat: f64 = accents
            .iter()
            .filter(|&(&t, _)| (t + beat - phase).is_multiple_of(beat))
            .map(|(_, a)| a)
            .sum();
        let lift = on_beat / total * eighths_per_beat as f64;
        if lift > best.0 {
            best = (lift, phase);
        }
    }
    best
}

/// Beats per bar (3, or 4 in simple time and 2 in compound time) and the beat class
/// (0-based, counted from the beat line at `beat_phase`) of the downbeat.
fn bar_grouping(accents: &BTreeMap<u64, f64>, beat: u64, beat_phase: u64, compound: bool) -> (u8, u64) {
    // Mean salience of each beat class modulo 12 (divisible by 2, 3 and 4).
    let mut sum = [0.0; 12];
    let mut count = [0.0f64; 12];
    let (Some(&first), Some(&last)) = (accents.keys().next(), accents.keys().next_back()) else {
        return (if compound { 2 } else { 4 }, 0);
    };
    let beat_index = |t: u64| (t + 12 * beat - beat_phase % beat) / beat;
    for (&t, &a) in accents {
        if (t + beat - beat_phase % beat).is_multiple_of(beat) {
            sum[(beat_index(t) % 12) as usize] += a;
        }
    }
    for k in beat_index(first)..=beat_index(last) {
        count[(k % 12) as usize] += 1.0;
    }
    // Classes no beat of the piece falls in (a piece shorter than 12 beats) say nothing:
    // counted as silent, they would make a 2-bar melody of 8 even notes look like 3/4.
    let present: Vec<usize> = (0..12).filter(|&c| count[c] > 0.0).collect();
    let class: Vec<f64> = (0..12).map(|c| if count[c] > 0.0 { sum[c] / count[c] } else { 0.0 }).collect();
    let mean = |cs: &[usize]| cs.iter().map(|&c| class[c]).sum::<f64>() / cs.len() as f64;
    let mean_all = mean(&present);
    if mean_all == 0.0 {
        return (if compound { 2 } else { 4 }, 0);
    }
    let contrast = |beats: usize| -> (f64, u64) {
        (0..beats)
            .map(|p| {
                let (down, other): (Vec<usize>, Vec<usize>) = present.iter().partition(|&&c| c % beats == p);
                if down.is_empty() || other.is_empty() {
                    return (0.0, p as u64);
                }
                ((mean(&down) - mean(&other)) / mean_all, p as u64)
            })
            .fold((f64::NEG_INFINITY, 0), |best, c| if c.0 > best.0 { c } else { best })
    };
    let (two, three, four) = (contrast(2), contrast(3), contrast(4));
    if three.0 > two.0.max(four.0) {
        (3, three.1)
    } else if compound {
        (2, two.1)
    } else {
        (4, four.1)
    }
}
