//! Hand-built scores shared by the ABC writer tests, one per feature.
// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

use prep::score::{Instrument, Key, KeyChange, Mode, Note, Part, Score, TempoChange, TempoMap, TimeSignature};

/// Ticks per quarter note in these scores.
pub const Q: u64 = 480;
const E: u64 = Q / 2;

pub fn part(program: u8, notes: &[(u64, u64, u8)]) -> Part {
    Part {
        name: None,
        instrument: Instrument::from_program(program),
        channel: Some(0),
        is_drum: false,
        notes: notes.iter().map(|&(start, duration, pitch)| Note { start, duration, pitch, velocity: 80 }).collect(),
    }
}

pub fn score(parts: Vec<Part>) -> Score {
    let mut score = Score::new(Q as u32);
    score.parts = parts;
    score
}

/// Notes one after another, (length, pitch), from tick `start`.
pub fn melody(start: u64, notes: &[(u64, u8)]) -> Vec<(u64, u64, u8)> {
    let mut at = start;
    notes
        .iter()
        .map(|&(length, pitch)| {
            at += length;
            (at - length, length, pitch)
        })
        .collect()
}

/// Quarters and halves of a C major scale, with a title.
pub fn scale() -> Score {
    let mut s = score(vec![part(0, &melody(0, &[(Q, 60), (Q, 62), (Q, 64), (Q, 65), (2 * Q, 67), (2 * Q, 72)]))]);
    s.title = Some("Scale".into());
    s
}

/// D major: diatonic F#, F natural carried through the bar, the octave case, A#.
pub fn accidentals_in_d() -> Score {
    let notes = [(E, 66), (E, 65), (E, 65), (E, 77), (E, 78), (E, 66), (E, 70), (E, 70), (4 * Q, 65)];
    let mut s = score(vec![part(40, &melody(0, &notes))]);
    s.key_signatures = vec![KeyChange { tick: 0, key: Key::new(2, Mode::Major) }];
    s
}

/// A chord tied across a bar line, a five-eighths note, sixteenths, a long low note.
pub fn chords_and_ties() -> Score {
    score(vec![part(
        0,
        &[
            (3 * Q, 2 * Q, 60),
            (3 * Q, 2 * Q, 64),
            (5 * Q, 5 * E, 67),
            (5 * Q + 5 * E, E / 2, 69),
            (5 * Q + 11 * E / 2, E / 2, 71),
            (8 * Q, 4 * Q + Q / 4, 48),
        ],
    )])
}

/// Eighth triplets, a quintuplet of sixteenths, quarter triplets across a bar line.
pub fn tuplets() -> Score {
    let (t, f) = (Q / 3, Q / 5);
    let notes = [
        (t, 72),
        (t, 74),
        (t, 76),
        (Q, 77),
        (f, 60),
        (f, 62),
        (f, 64),
        (f, 65),
        (f, 67),
        (2 * Q / 3, 60),
        (2 * Q / 3, 62),
        (2 * Q / 3, 64),
    ];
    score(vec![part(73, &melody(0, &notes))])
}

/// 3/4, eighth triplets on the last beat, then on the middle one, then on both: the
/// first triplet's first note is tied in from the beat before, the second one's last
/// note goes on through the next beat, the last two share a note across their beats.
pub fn tuplets_inside_ties() -> Score {
    let t = Q / 3;
    let notes = [(Q + t, 74), (t, 74), (t, 72), (Q, 72), (t, 74), (t, 76), (t + Q, 77)];
    let notes = [&notes[..], &[(Q, 72), (t, 69), (t, 79), (2 * t, 71), (t, 79), (t, 77)]].concat();
    let mut s = score(vec![part(56, &melody(Q, &notes))]);
    s.time_signatures = vec![TimeSignature { tick: 0, numerator: 3, denominator: 4 }];
    s
}

/// 3/4 with a one-beat pickup.
pub fn pickup() -> Score {
    let mut s = score(vec![part(71, &melody(0, &[(Q, 67), (2 * Q, 72), (Q, 71), (3 * Q, 72)]))]);
    s.time_signatures = vec![TimeSignature { tick: 0, numerator: 3, denominator: 4 }];
    s.pickup_ticks = Q;
    s
}

/// 3/8 with a quarter-long pickup filled by a quarter-note triplet: it starts on the
/// second eighth of the (virtual) bar, off any quarter counted from the downbeat.
pub fn pickup_triplets() -> Score {
    let t = Q / 3;
    let mut s = score(vec![part(68, &melody(0, &[(t, 72), (t, 74), (t, 76), (3 * E, 77)]))]);
    s.time_signatures = vec![TimeSignature { tick: 0, numerator: 3, denominator: 8 }];
    s.pickup_ticks = Q;
    s
}

/// 4/4 -> 3/4 and C -> F at bar 2; the tempo changes mid-note in bar 2, in both voices.
pub fn changes() -> Score {
    let upper = part(40, &melody(0, &[(4 * Q, 72), (3 * Q, 70), (3 * Q, 69)]));
    let lower = part(42, &melody(0, &[(4 * Q, 48), (Q, 46), (2 * Q, 53), (3 * Q, 41)]));
    let mut s = score(vec![upper, lower]);
    s.time_signatures = vec![
        TimeSignature { tick: 0, numerator: 4, denominator: 4 },
        TimeSignature { tick: 4 * Q, numerator: 3, denominator: 4 },
    ];
    s.key_signatures =
        vec![KeyChange { tick: 0, key: Key::default() }, KeyChange { tick: 4 * Q, key: Key::new(-1, Mode::Major) }];
    s.tempo = TempoMap::from_changes(vec![
        TempoChange { tick: 0, micros_per_quarter: 500_000 },
        TempoChange { tick: 5 * Q, micros_per_quarter: 666_667 },
    ]);
    s
}

/// A piano part whose notes overlap (three voices needed) and a cello.
pub fn overlaps() -> Score {
    let piano =
        part(0, &[(0, 2 * Q, 60), (0, 2 * Q, 64), (Q, 2 * Q, 67), (2 * Q, Q, 62), (2 * Q, 2 * Q, 72), (3 * Q, Q, 65)]);
    let cello = part(42, &melody(0, &[(2 * Q, 36), (2 * Q, 43)]));
    score(vec![piano, cello])
}

/// A drum part (channel 10) over eight bars of bass.
pub fn drums() -> Score {
    let mut kit = part(0, &[(0, E, 36), (0, E, 42), (E, E, 42), (Q, E, 38), (Q, E, 42), (3 * E, E, 42)]);
    kit.is_drum = true;
    kit.instrument = Instrument::drums();
    let bass = part(33, &melody(0, &[(2 * Q, 40), (2 * Q, 43)]));
    score(vec![kit, bass])
}

/// Unquantized timing: onsets off every grid.
pub fn unquantized() -> Score {
    score(vec![part(0, &[(7, 233, 60), (241, 3, 62), (251, 700, 64), (1003, 38, 65), (1044, 890, 67)])])
}

/// A piano melody over a bass held across the first bar line, a bar of melody alone,
/// then a short bass note again: one voice whose overlay sounds in bars 1, 2 and 4.
pub fn held_bass_under_melody() -> Score {
    let melody = melody(0, &[(Q, 72), (Q, 74), (Q, 76), (Q, 77), (4 * Q, 79), (4 * Q, 77), (4 * Q, 76)]);
    let bass = [(2 * Q, 4 * Q, 48), (12 * Q, 2 * Q, 43)];
    score(vec![part(0, &[&melody[..], &bass[..]].concat())])
}

/// A string quartet as notation programs export it: four tracks on channel 0, all on
/// String Ensemble 1, named after their parts, with double stops (equal and unequal
/// lengths) and held notes under moving ones, over the bar lines too.
pub fn quartet() -> Score {
    let named = |name: &str, notes: &[(u64, u64, u8)]| {
        let mut p = part(48, notes);
        p.name = Some(name.to_string());
        p
    };
    let violin_one = [
        &melody(0, &[(Q, 76), (Q, 77), (Q, 79), (Q, 81), (2 * Q, 83), (2 * Q, 84)])[..],
        &[(8 * Q, 2 * Q, 72), (8 * Q, 2 * Q, 76), (10 * Q, 2 * Q, 74), (10 * Q, Q, 79), (11 * Q, Q, 77)],
        &[(12 * Q, 4 * Q, 72), (12 * Q, Q, 79), (13 * Q, Q, 81), (14 * Q, 2 * Q, 79)],
    ]
    .concat();
    let violin_two = [
        &[(0, 6 * Q, 67)][..],
        &melody(0, &[(2 * Q, 72), (2 * Q, 71), (2 * Q, 69), (2 * Q, 67)]),
        &[(8 * Q, 4 * Q, 64), (12 * Q, 4 * Q, 67), (12 * Q, 4 * Q, 71)],
    ]
    .concat();
    let viola = [(0, 4 * Q, 60), (0, 4 * Q, 64), (4 * Q, 2 * Q, 62), (6 * Q, 2 * Q, 59), (8 * Q, 8 * Q, 55)];
    let cello = [
        &melody(0, &[(2 * Q, 48), (2 * Q, 43), (4 * Q, 45)])[..],
        &[(8 * Q, 8 * Q, 36), (8 * Q, 2 * Q, 48), (10 * Q, 2 * Q, 50), (12 * Q, 4 * Q, 43)],
    ]
    .concat();
    score(vec![
        named("Violin I", &violin_one),
        named("Violin II", &violin_two),
        named("Viola", &viola),
        named("Cello", &cello),
    ])
}

/// One part in two lines, the key changing from C to D at the bar's third beat: the
/// melody plays F then F#, the bass under it F then F# too.
pub fn key_change_under_overlay() -> Score {
    let notes = [(0, Q, 65), (Q, Q, 65), (2 * Q, Q, 66), (3 * Q, Q, 66), (0, 2 * Q, 53), (2 * Q, 2 * Q, 54)];
    let mut s = score(vec![part(0, &notes)]);
    s.key_signatures =
        vec![KeyChange { tick: 0, key: Key::default() }, KeyChange { tick: 2 * Q, key: Key::new(2, Mode::Major) }];
    s
}

/// Sixteen parts, each a held note under two moving ones, the last on the same program
/// as the second (so that it can share its MIDI channel).
pub fn sixteen_parts() -> Score {
    let parts = (0..16u8)
        .map(|i| {
            let program = if i == 15 { 5 } else { i * 5 };
            let low = 36 + 3 * i;
            part(program, &[(0, 4 * Q, low), (0, 2 * Q, low + 12), (2 * Q, 2 * Q, low + 14)])
        })
        .collect();
    score(parts)
}

/// A held bass under a melody in 4/4, then in 3/4.
/// 2/4 with a held bass (an overlay), one bar of 3/4 without it, back to 2/4 with it
/// (Liszt's Hungarian Rhapsody no. 9 on piano-midi.de).
pub fn overlay_missing_at_metre_change() -> Score {
    let notes = [
        &melody(0, &[(Q, 72), (Q, 72), (Q, 74), (Q, 74), (Q, 74), (Q, 76), (Q, 76), (Q, 77), (Q, 77)])[..],
        &[(0, 2 * Q, 48), (5 * Q, 2 * Q, 43), (7 * Q, 2 * Q, 48)],
    ];
    let mut s = score(vec![part(0, &notes.concat())]);
    s.time_signatures = vec![
        TimeSignature { tick: 0, numerator: 2, denominator: 4 },
        TimeSignature { tick: 2 * Q, numerator: 3, denominator: 4 },
        TimeSignature { tick: 5 * Q, numerator: 2, denominator: 4 },
    ];
    s
}

pub fn overlay_across_metre_change() -> Score {
    let notes = [&melody(0, &[(Q, 72); 4])[..], &melody(4 * Q, &[(Q, 74); 3]), &[(0, 4 * Q, 48), (4 * Q, 3 * Q, 43)]];
    let mut s = score(vec![part(0, &notes.concat())]);
    s.time_signatures = vec![
        TimeSignature { tick: 0, numerator: 4, denominator: 4 },
        TimeSignature { tick: 4 * Q, numerator: 3, denominator: 4 },
    ];
    s
}
