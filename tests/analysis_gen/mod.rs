//! A small seeded generator of tonal pieces and their "performances", shared by the
//! analysis tests: a melody over a bass-and-chord part in a known key and metre, with
//! downbeats marked the way real music marks them (louder, longer, bass notes), and the
//! same piece played with Gaussian timing jitter at 120 BPM, 960 ticks per quarter, with
//! no metre or key events (how the benchmark makes its performed corpus).
// Each test crate uses a different part of the generator.
#![allow(dead_code)]

use prep::score::{Instrument, Key, KeyChange, Mode, Note, Part, Score, TempoChange, TempoMap, TimeSignature};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The time signature prep writes for a generated metre that no event states: a bar of
/// two quarter beats as one of four, a bar of four dotted-quarter beats as one of two
/// (`prep::analysis::metre`).
pub fn written_metre(numerator: u8, denominator: u8) -> (u8, u8) {
    match (numerator, denominator) {
        (2, 4) => (4, 4),
        (12, 8) => (6, 8),
        other => other,
    }
}

/// What to generate. Ticks are at 480 per quarter.
#[derive(Debug, Clone, Copy)]
pub struct PieceSpec {
    pub tonic: u8,
    pub minor: bool,
    pub numerator: u8,
    pub denominator: u8,
    pub bars: usize,
    /// Quarter-note tempo.
    pub bpm: u32,
    /// Length of the pickup in eighths (0: the piece starts on a downbeat).
    pub pickup_eighths: u64,
}

pub const TPQ: u64 = 480;
const MAJOR: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR: [u8; 7] = [0, 2, 3, 5, 7, 8, 10];
/// Rhythms of one beat, in ticks: quarter beats and dotted-quarter beats.
const SIMPLE_RHYTHMS: [&[u64]; 6] = [
    &[480],
    &[240, 240],
    &[360, 120],
    &[120, 120, 240],
    &[240, 120, 120],
    &[120; 4],
];
const COMPOUND_RHYTHMS: [&[u64]; 5] = [&[720], &[480, 240], &[240, 240, 240], &[360, 120, 240], &[240, 480]];

impl PieceSpec {
    pub fn new(tonic: u8, minor: bool, numerator: u8, denominator: u8) -> Self {
        PieceSpec {
            tonic,
            minor,
            numerator,
            denominator,
            bars: 16,
            bpm: 100,
            pickup_eighths: 0,
        }
    }

    pub fn key(&self) -> Key {
        Key::from_tonic(self.tonic, if self.minor { Mode::Minor } else { Mode::Major })
    }

    fn compound(&self) -> bool {
        self.denominator == 8
    }

    fn beat_ticks(&self) -> u64 {
        if self.compound() { 3 * TPQ / 2 } else { TPQ }
    }

    fn beats_per_bar(&self) -> u64 {
        if self.compound() {
            u64::from(self.numerator) / 3
        } else {
            u64::from(self.numerator)
        }
    }

    /// Length of one generated bar in ticks.
    pub fn bar_ticks(&self) -> u64 {
        self.beat_ticks() * self.beats_per_bar()
    }

    /// Pitch class of a scale degree (0-based, any integer), with the leading tone raised
    /// in minor when `leading` is set.
    fn degree_pitch(&self, degree: i64, leading: bool) -> i64 {
        let scale = if self.minor { MINOR } else { MAJOR };
        let d = degree.rem_euclid(7) as usize;
        let raise = i64::from(self.minor && leading && d == 6);
        12 * degree.div_euclid(7) + i64::from(scale[d]) + raise + i64::from(self.tonic)
    }
}

/// A tonal piece as a notation program would export it: on the grid, with its metre, key
/// and pickup stated.
pub fn tonal_piece(spec: &PieceSpec, seed: u64) -> Score {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let beat = spec.beat_ticks();
    let bar = spec.bar_ticks();
    let pickup = spec.pickup_eighths * TPQ / 2;
    let mut melody = Vec::new();
    let mut bass = Vec::new();
    let mut degree: i64 = 7;
    for i in 0..spec.pickup_eighths {
        degree += rng.random_range(-1..=1);
        melody.push(note(i * TPQ / 2, TPQ / 2, 60 + spec.degree_pitch(degree, false), 70));
    }
    for b in 0..spec.bars {
        let bar_start = pickup + b as u64 * bar;
        let root: i64 = if b + 1 == spec.bars || b == 0 {
            0
        } else {
            [0, 3, 4, 5, 1, 4][rng.random_range(0..6)]
        };
        let dominant = root == 4;
        let pitch = |d: i64| spec.degree_pitch(d, dominant);
        // Oom-pah: the root low and long on the downbeat under the chord, the chord alone
        // (softer) on the other beats.
        bass.push(note(
            bar_start,
            beat * (spec.beats_per_bar() / 2).max(1),
            36 + pitch(root),
            96,
        ));
        for k in 0..spec.beats_per_bar() {
            let velocity = match k {
                0 => 90,
                2 if spec.beats_per_bar() == 4 => 76,
                _ => 62,
            };
            for d in [root + 2, root + 4] {
                bass.push(note(bar_start + k * beat, beat, 48 + pitch(d), velocity));
            }
        }
        for k in 0..spec.beats_per_bar() {
            let rhythms: &[&[u64]] = if spec.compound() {
                &COMPOUND_RHYTHMS
            } else {
                &SIMPLE_RHYTHMS
            };
            let rhythm = rhythms[rng.random_range(0..rhythms.len())];
            let mut t = bar_start + k * beat;
            for (i, &length) in rhythm.iter().enumerate() {
                degree = if i == 0 {
                    // On the beat: a chord tone near the last note.
                    let chord = [root, root + 2, root + 4].map(|c| c + 7 * ((degree - c) as f64 / 7.0).round() as i64);
                    *chord
                        .iter()
                        .min_by_key(|c| (*c - degree).abs() + rng.random_range(0..3))
                        .unwrap_or(&root)
                } else {
                    degree + [-1, 1, -2, 2][rng.random_range(0..4)]
                }
                .clamp(2, 12);
                let velocity = match (k, i) {
                    (0, 0) => 104,
                    (_, 0) if spec.beats_per_bar() == 4 && k == 2 => 92,
                    (_, 0) => 82,
                    _ => 66,
                } + rng.random_range(0..6);
                melody.push(note(t, length, 60 + pitch(degree), velocity));
                t += length;
            }
        }
    }
    let mut score = Score::new(TPQ as u32);
    score.tempo = TempoMap::constant(60_000_000 / spec.bpm);
    score.time_signatures = vec![TimeSignature {
        tick: 0,
        numerator: spec.numerator,
        denominator: spec.denominator,
    }];
    score.key_signatures = vec![KeyChange {
        tick: 0,
        key: spec.key(),
    }];
    score.pickup_ticks = pickup;
    score.parts = vec![part("Melody", melody), part("Accompaniment", bass)];
    score
}

fn note(start: u64, duration: u64, pitch: i64, velocity: u8) -> Note {
    Note {
        start,
        duration,
        pitch: pitch.clamp(0, 127) as u8,
        velocity,
    }
}

fn part(name: &str, mut notes: Vec<Note>) -> Part {
    notes.sort_by_key(|n| (n.start, n.pitch));
    Part {
        name: Some(name.to_string()),
        instrument: Instrument::from_program(0),
        channel: Some(0),
        is_drum: false,
        notes,
    }
}

/// Seconds at which each note of `score` starts and ends, part by part, sorted by onset.
pub fn note_seconds(score: &Score) -> Vec<Vec<(f64, f64)>> {
    score
        .parts
        .iter()
        .map(|p| {
            let mut times: Vec<(f64, f64)> = p
                .notes
                .iter()
                .map(|n| (score.seconds_at(n.start), score.seconds_at(n.end())))
                .collect();
            times.sort_by(|a, b| a.0.total_cmp(&b.0));
            times
        })
        .collect()
}

/// The piece played: onsets and ends jittered by N(0, sigma) seconds, written at 120 BPM
/// and 960 ticks per quarter, without metre, key or pickup.
pub fn perform(score: &Score, sigma: f64, seed: u64) -> Score {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut gaussian = move || {
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
        sigma * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let ticks = |seconds: f64| (seconds.max(0.0) * 1920.0).round() as u64;
    let mut performed = Score::new(960);
    performed.parts = score
        .parts
        .iter()
        .map(|p| {
            let notes = p.notes.iter().map(|n| {
                let on = score.seconds_at(n.start) + gaussian();
                let off = (score.seconds_at(n.end()) + gaussian()).max(on + 0.02);
                Note {
                    start: ticks(on),
                    duration: ticks(off) - ticks(on),
                    ..*n
                }
            });
            part(p.name.as_deref().unwrap_or(""), notes.collect())
        })
        .collect();
    performed
}

/// The score with an expressive tempo map, as notation programs export a score whose
/// playback was shaped by hand or by a recording it was aligned to: a new tempo on every
/// beat, wandering smoothly within 25% of the score's, slowing into the last bar.
pub fn expressive(score: &Score, seed: u64) -> Score {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let base = f64::from(score.tempo.at(0).micros_per_quarter);
    let end = score.parts.iter().flat_map(|p| &p.notes).map(Note::end).max().unwrap_or(0);
    let mut factor = 1.0f64;
    let mut changes = Vec::new();
    let mut tick = 0;
    while tick < end {
        factor = (factor + rng.random_range(-0.06..0.06)).clamp(0.8, 1.25);
        let ritardando = if tick + 4 * TPQ >= end { 1.3 } else { 1.0 };
        changes.push(TempoChange {
            tick,
            micros_per_quarter: (base * factor * ritardando).round() as u32,
        });
        tick += TPQ;
    }
    Score {
        tempo: TempoMap::from_changes(changes),
        ..score.clone()
    }
}

/// Where `ornamented` put notes off every grid: (part, start tick) of each grace note.
pub type Ornaments = Vec<(usize, u64)>;

/// The score with ornaments as notation programs export them: a grace note (a step
/// above, 13 ticks long: off every grid up to 1/96 quarter) before one melody note on a
/// beat in `every`, and one beat of the melody as a septuplet (its notes on no grid or on
/// a fine one by chance). Returns the places of both; the other notes are untouched.
pub fn ornamented(score: &Score, every: usize, seed: u64) -> (Score, Ornaments) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = score.clone();
    let melody = &mut out.parts[0].notes;
    let on_beat: Vec<Note> = melody
        .iter()
        .filter(|n| n.start >= TPQ && n.start.is_multiple_of(TPQ))
        .copied()
        .collect();
    let mut places = Vec::new();
    for main in on_beat.iter().filter(|_| rng.random_range(0..every) == 0) {
        let grace = Note {
            start: main.start - 13,
            duration: 13,
            pitch: main.pitch.saturating_add(2).min(127),
            velocity: 60,
        };
        places.push((0, grace.start));
        melody.push(grace);
    }
    // A septuplet on the second beat of the second bar (the bar's ticks are at least 2 beats).
    let beat = if score.time_signatures[0].denominator == 8 { 3 * TPQ / 2 } else { TPQ };
    let bar = 4 * TPQ * u64::from(score.time_signatures[0].numerator) / u64::from(score.time_signatures[0].denominator);
    let start = score.pickup_ticks + bar + beat;
    melody.retain(|n| n.start < start || n.start >= start + beat);
    for k in 0..7 {
        let tick = start + k * beat / 7;
        melody.push(note(tick, start + (k + 1) * beat / 7 - tick, 72 + k as i64, 70));
        places.push((0, tick));
    }
    melody.sort_by_key(|n| (n.start, n.pitch));
    (out, places)
}
