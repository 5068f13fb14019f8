//! Deterministic generated corpora: the demo data, the benchmark corpora and the
//! round-trip property tests all draw their music from here.
//!
//! A piece is generated from a seed alone (ChaCha8, stable across platforms and
//! releases), so a corpus is reproducible from its seed range. Pieces are musically
//! plausible rather than random noise: a metre and key, per-instrument registers,
//! scale-wise melodies, beat-aligned rhythms, chords and a held bass line in keyboard
//! parts (overlapping notes one ABC voice cannot hold), optional triplets, pickups, ties
//! across bar lines and mid-piece metre, key and tempo changes. `performed` turns a
//! score into what a human performance recorded as MIDI looks like.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::score::{Instrument, Key, KeyChange, Mode, Note, Part, Score, TempoChange, TempoMap, TimeSignature};

/// What a generated piece may contain.
#[derive(Debug, Clone, PartialEq)]
pub struct PieceOptions {
    /// Number of full bars (a pickup bar comes on top).
    pub bars: usize,
    /// Up to this many instruments (at least one).
    pub max_parts: usize,
    /// Triplets inside beats.
    pub tuplets: bool,
    /// A pickup bar in some pieces.
    pub pickups: bool,
    /// Metre, key and tempo changes half-way through some pieces.
    pub changes: bool,
}

impl Default for PieceOptions {
    fn default() -> Self {
        PieceOptions { bars: 16, max_parts: 4, tuplets: true, pickups: true, changes: true }
    }
}

/// Resolution of generated scores: divisible by 3 and 5 for tuplets, and by 32.
pub const TICKS_PER_QUARTER: u32 = 480;

/// Instruments generated pieces draw from: GM program and register (lowest, highest pitch).
const ENSEMBLE: [(u8, u8, u8); 10] = [
    (40, 55, 88), // violin
    (41, 48, 79), // viola
    (42, 36, 67), // cello
    (73, 60, 93), // flute
    (71, 50, 84), // clarinet
    (68, 58, 86), // oboe
    (70, 34, 67), // bassoon
    (56, 55, 82), // trumpet
    (60, 41, 72), // horn
    (0, 36, 84),  // piano
];

const METRES: [(u8, u8); 6] = [(4, 4), (3, 4), (2, 4), (6, 8), (2, 2), (3, 8)];
const MAJOR_STEPS: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR_STEPS: [u8; 7] = [0, 2, 3, 5, 7, 8, 10];

/// Generates one score-like piece from a seed.
pub fn score_piece(seed: u64, options: &PieceOptions) -> Score {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tpq = TICKS_PER_QUARTER;
    let mut score = Score::new(tpq);
    score.title = Some(format!("Generated piece {seed}"));

    let (numerator, denominator) = METRES[rng.random_range(0..METRES.len())];
    let metre = TimeSignature { tick: 0, numerator, denominator };
    let key = Key::new(rng.random_range(-5..=5), if rng.random_bool(0.3) { Mode::Minor } else { Mode::Major });
    let bpm: u32 = rng.random_range(60..=160);
    score.time_signatures = vec![metre];
    score.key_signatures = vec![KeyChange { tick: 0, key }];
    let mut tempi = vec![TempoChange { tick: 0, micros_per_quarter: 60_000_000 / bpm }];

    let bar = metre.bar_ticks(tpq);
    let beat = beat_ticks(metre, tpq);
    if options.pickups && rng.random_bool(0.3) {
        // Whole beats, or whole 1/denominator units in a one-beat bar (3/8): less than a bar.
        let step = if bar / beat >= 2 { beat } else { bar / u64::from(numerator) };
        score.pickup_ticks = step * rng.random_range(1..bar / step);
    }

    // Half-way changes: a new metre at a bar line, a new key, a new tempo.
    let middle = score.pickup_ticks + bar * (options.bars as u64 / 2);
    if options.changes && options.bars >= 4 && rng.random_bool(0.4) {
        match rng.random_range(0..3) {
            0 => {
                let (n, d) = METRES[rng.random_range(0..METRES.len())];
                if (n, d) != (numerator, denominator) {
                    score.time_signatures.push(TimeSignature { tick: middle, numerator: n, denominator: d });
                }
            }
            1 => score.key_signatures.push(KeyChange { tick: middle, key: Key::new(key.fifths + 1, key.mode) }),
            _ => tempi.push(TempoChange { tick: middle, micros_per_quarter: 60_000_000 / (bpm * 3 / 4).max(40) }),
        }
    }
    score.tempo = TempoMap::from_changes(tempi);
    let end = piece_end(&score, options.bars.max(1));

    let parts = rng.random_range(1..=options.max_parts.max(1));
    let mut used = Vec::new();
    for index in 0..parts {
        let mut choice = rng.random_range(0..ENSEMBLE.len());
        while used.contains(&choice) {
            choice = (choice + 1) % ENSEMBLE.len();
        }
        used.push(choice);
        let (program, low, high) = ENSEMBLE[choice];
        let mut part = Part {
            name: Some(crate::score::gm_name(program).to_string()),
            instrument: Instrument::from_program(program),
            channel: Some(index as u8),
            is_drum: false,
            notes: Vec::new(),
        };
        let keyboard = program < 8;
        let line = Line { low, high, chords: keyboard, tuplets: options.tuplets };
        // A short piece can draw only rests: draw again, so that every part plays.
        for _ in 0..16 {
            line.generate(&mut rng, &score, end, &mut part.notes);
            if !part.notes.is_empty() {
                break;
            }
        }
        if keyboard {
            // The left hand: long bass notes under the right hand, overlapping it.
            let bass = Line { low, high: low + 16, chords: false, tuplets: false };
            let mut held = Vec::new();
            bass.generate_held(&mut rng, &score, end, &mut held);
            add_without_unison_overlaps(&mut part.notes, held);
        }
        part.notes.sort_by_key(|n| (n.start, n.pitch));
        part.notes.dedup_by_key(|n| (n.start, n.pitch));
        // Still only rests (16 draws): an instrument that never plays is no part (MIDI
        // files and the ABC drop it too), so the piece does not list it.
        if !part.notes.is_empty() {
            score.parts.push(part);
        }
    }
    score
}

/// Adds `extra` notes to `notes`, an octave lower where one would overlap a note of the
/// same pitch (which MIDI cannot represent unambiguously), or not at all below C1.
fn add_without_unison_overlaps(notes: &mut Vec<Note>, extra: Vec<Note>) {
    for mut note in extra {
        let (start, end) = (note.start, note.end());
        let clashes = |n: &Note, pitch: u8| n.pitch == pitch && n.start < end && start < n.end();
        while notes.iter().any(|n| clashes(n, note.pitch)) && note.pitch >= 36 {
            note.pitch -= 12;
        }
        if !notes.iter().any(|n| clashes(n, note.pitch)) {
            notes.push(note);
        }
    }
}

/// The end tick of `bars` full bars (plus pickup) under the score's metre changes.
fn piece_end(score: &Score, bars: usize) -> u64 {
    let mut end = score.pickup_ticks;
    for _ in 0..bars {
        end += score.time_signature_at(end).bar_ticks(score.ticks_per_quarter);
    }
    end
}

/// The beat of a metre in ticks: a dotted quarter in compound metres, else 1/denominator.
fn beat_ticks(metre: TimeSignature, tpq: u32) -> u64 {
    let unit = u64::from(tpq) * 4 / u64::from(metre.denominator);
    if metre.denominator == 8 && metre.numerator.is_multiple_of(3) { unit * 3 } else { unit }
}

/// A melodic line in a register.
struct Line {
    low: u8,
    high: u8,
    chords: bool,
    tuplets: bool,
}

impl Line {
    /// Fills [0, end) beat by beat with notes, chords and rests of a scale-wise melody,
    /// accented as players do (downbeats loudest, then beats) with tonic-triad downbeats.
    fn generate(&self, rng: &mut ChaCha8Rng, score: &Score, end: u64, notes: &mut Vec<Note>) {
        let tpq = score.ticks_per_quarter;
        let bar_lines = score.bar_lines(end);
        let mut degree: i32 = 7 + rng.random_range(0..7);
        let mut tick = 0;
        let mut previous: Option<usize> = None;
        while tick < end {
            let bar_end = *bar_lines.iter().find(|&&b| b > tick).unwrap_or(&end);
            let metre = score.time_signature_at(tick);
            let beat = beat_ticks(metre, tpq).min(bar_end - tick);
            let cells = self.rhythm(rng, beat, bar_end - tick);
            let on_beat = tick;
            for length in cells {
                degree = (degree + rng.random_range(-2..=2)).clamp(0, 30);
                let downbeat = bar_lines.binary_search(&tick).is_ok();
                if downbeat && !matches!(degree % 7, 0 | 2 | 4) {
                    degree -= 1; // downbeats land on the tonic triad
                }
                let accent = if downbeat { 100 } else if tick == on_beat { 82 } else { 64 };
                let velocity = accent + rng.random_range(0..8);
                if rng.random_bool(0.1) {
                    previous = None;
                } else if let Some(i) = previous.filter(|_| rng.random_bool(0.08)) {
                    // Tie into this cell: lengthen the previous note (across beats and bars).
                    let held = notes[i];
                    for n in notes.iter_mut().filter(|n| n.start == held.start && n.duration == held.duration) {
                        n.duration += length;
                    }
                } else {
                    let pitch = self.pitch(score.key_at(tick), degree, rng);
                    notes.push(Note { start: tick, duration: length, pitch, velocity });
                    if self.chords && rng.random_bool(0.3) && pitch >= self.low + 4 {
                        let below = pitch - rng.random_range(3..=4);
                        notes.push(Note { start: tick, duration: length, pitch: below, velocity });
                    }
                    previous = Some(notes.len() - 1);
                }
                tick += length;
            }
        }
    }

    /// Long notes (a bar or half a bar) that overlap whatever else the part plays.
    fn generate_held(&self, rng: &mut ChaCha8Rng, score: &Score, end: u64, notes: &mut Vec<Note>) {
        let bar_lines = score.bar_lines(end);
        for pair in bar_lines.windows(2).filter(|w| w[0] < end) {
            let (start, stop) = (pair[0], pair[1].min(end));
            let key = score.key_at(start);
            // Tonic, dominant or subdominant, as a bass line mostly is.
            let degree = [0, 0, 0, 0, 0, 4, 4, 4, 3, 3][rng.random_range(0..10)];
            let pitch = self.pitch(key, degree, rng);
            if rng.random_bool(0.5) && (stop - start) % 2 == 0 {
                let half = (stop - start) / 2;
                notes.push(Note { start, duration: half, pitch, velocity: 96 });
                notes.push(Note { start: start + half, duration: half, pitch: self.pitch(key, 4, rng), velocity: 76 });
            } else {
                notes.push(Note { start, duration: stop - start, pitch, velocity: 96 });
            }
        }
    }

    /// Splits one beat (or what is left of the bar) into note lengths.
    fn rhythm(&self, rng: &mut ChaCha8Rng, beat: u64, left_in_bar: u64) -> Vec<u64> {
        if beat.is_multiple_of(720) {
            // A compound beat (dotted quarter) divides into three.
            let third = beat / 3;
            return match rng.random_range(0..5) {
                0 => vec![beat],
                1 => vec![third * 2, third],
                2 => vec![third, third * 2],
                3 => vec![third / 2; 6],
                _ => vec![third; 3],
            };
        }
        match rng.random_range(0..10) {
            0..=2 => vec![beat],
            3..=4 if beat.is_multiple_of(2) => vec![beat / 2, beat / 2],
            5 if beat.is_multiple_of(4) => vec![beat / 4; 4],
            6 if beat.is_multiple_of(4) => vec![beat * 3 / 4, beat / 4],
            7 if self.tuplets && beat.is_multiple_of(3) && beat.is_multiple_of(2) && beat <= 480 => vec![beat / 3; 3],
            8 if left_in_bar >= 2 * beat => vec![beat * 2],
            _ => vec![beat],
        }
    }

    /// The pitch of a scale degree (0 = tonic in the lowest octave of the register).
    fn pitch(&self, key: Key, degree: i32, rng: &mut ChaCha8Rng) -> u8 {
        let steps = if key.mode == Mode::Minor { MINOR_STEPS } else { MAJOR_STEPS };
        let tonic = i32::from(key.tonic_pitch_class());
        let base = i32::from(self.low) - (i32::from(self.low) - tonic).rem_euclid(12);
        let mut pitch = base + 12 * degree.div_euclid(7) + i32::from(steps[degree.rem_euclid(7) as usize]);
        if rng.random_bool(0.05) {
            pitch += 1; // a chromatic neighbour
        }
        while pitch > i32::from(self.high) {
            pitch -= 12;
        }
        while pitch < i32::from(self.low) {
            pitch += 12;
        }
        pitch.clamp(0, 127) as u8
    }
}

/// What a human performance of `score` recorded as MIDI looks like: every onset and
/// offset moved by Gaussian jitter of `jitter_seconds` (standard deviation), written at
/// a constant 120 BPM with 960 ticks per quarter, with no metre or key information
/// (the time and key signatures are reset to the defaults).
pub fn performed(score: &Score, seed: u64, jitter_seconds: f64) -> Score {
    const TPQ: u32 = 960;
    let ticks_per_second = f64::from(TPQ) * 2.0; // 120 BPM
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_1e55);
    let mut out = Score::new(TPQ);
    out.title = score.title.clone();
    for part in &score.parts {
        let mut notes: Vec<Note> = part
            .notes
            .iter()
            .map(|n| {
                let on = (score.seconds_at(n.start) + jitter_seconds * gaussian(&mut rng)).max(0.0);
                let off = (score.seconds_at(n.end()) + jitter_seconds * gaussian(&mut rng)).max(on + 0.02);
                let start = (on * ticks_per_second).round() as u64;
                let end = ((off * ticks_per_second).round() as u64).max(start + 1);
                Note { start, duration: end - start, ..*n }
            })
            .collect();
        notes.sort_by_key(|n| (n.start, n.pitch));
        out.parts.push(Part { notes, ..part.clone() });
    }
    out
}

/// A standard normal sample (Box-Muller).
fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_reproducible_from_their_seed() {
        let options = PieceOptions::default();
        assert_eq!(score_piece(7, &options), score_piece(7, &options));
        assert_ne!(score_piece(7, &options), score_piece(8, &options));
    }

    #[test]
    fn notes_stay_inside_the_piece_and_on_the_grid() {
        let options = PieceOptions::default();
        for seed in 0..50 {
            let score = score_piece(seed, &options);
            assert!(!score.parts.is_empty());
            let end = score.bar_lines(score.end_tick()).last().copied().unwrap_or(0);
            let first_bar = score.time_signatures[0].bar_ticks(score.ticks_per_quarter);
            assert!(score.pickup_ticks < first_bar, "seed {seed}: pickup of a whole bar or more");
            for part in &score.parts {
                assert!(!part.notes.is_empty(), "seed {seed}: empty part");
                for note in &part.notes {
                    assert!(note.duration > 0 && note.end() <= end, "seed {seed}: {note:?}");
                    assert_eq!(note.start % 40, 0, "seed {seed}: off the triplet-sixteenth grid: {note:?}");
                }
            }
        }
    }

    #[test]
    fn performance_keeps_notes_and_moves_them_a_little() {
        let score = score_piece(3, &PieceOptions::default());
        let played = performed(&score, 3, 0.015);
        assert_eq!(played.note_count(), score.note_count());
        let original: Vec<f64> = score.all_notes().iter().map(|(_, n)| score.seconds_at(n.start)).collect();
        let moved: Vec<f64> = played.all_notes().iter().map(|(_, n)| played.seconds_at(n.start)).collect();
        let worst = original.iter().zip(&moved).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 0.2, "jitter too large: {worst}");
    }
}
