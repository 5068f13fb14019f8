//! Key estimation on generated tonal pieces in known keys.

mod analysis_gen;

use analysis_gen::{PieceSpec, tonal_piece};
use prep::analysis::{
    ALBRECHT_SHANAHAN, KRUMHANSL_KESSLER, KeyProfile, TEMPERLEY_KOSTKA_PAYNE, estimate_key, estimate_key_with,
};
use prep::score::{Instrument, Key, Mode, Note, Part, Score};

/// 96 pieces: every major and minor key four times, in 4/4, 3/4, 6/8 and 2/4.
fn corpus() -> Vec<(Score, Key)> {
    const METRES: [(u8, u8); 4] = [(4, 4), (3, 4), (6, 8), (2, 4)];
    let mut pieces = Vec::new();
    for round in 0..4u64 {
        for tonic in 0..12u8 {
            for minor in [false, true] {
                let (numerator, denominator) = METRES[(round as usize + usize::from(tonic)) % 4];
                let spec = PieceSpec::new(tonic, minor, numerator, denominator);
                let seed = 1000 * round + 7 + 2 * u64::from(tonic) + u64::from(minor);
                pieces.push((tonal_piece(&spec, seed), spec.key()));
            }
        }
    }
    pieces
}

fn correct(profile: &KeyProfile, right: impl Fn(Key, Key) -> bool) -> usize {
    corpus().iter().filter(|(score, key)| right(estimate_key_with(score, profile), *key)).count()
}

/// The measurement behind the method and the default profile (see `analysis::key`): the
/// signature with the fewest accidentals is right on all 96 pieces with every profile, and
/// the mode, from the final and the raised leading tone, on 95 (the profile correlation
/// alone told the modes apart on 94, 87 and 83; the best of the 24 correlations, the
/// method before that, named 93, 75 and 61 keys).
#[test]
fn fewest_accidentals_give_every_signature_and_the_final_the_mode() {
    for profile in [&TEMPERLEY_KOSTKA_PAYNE, &ALBRECHT_SHANAHAN, &KRUMHANSL_KESSLER] {
        assert_eq!(correct(profile, |found, key| found.fifths == key.fifths), 96);
        assert_eq!(correct(profile, |found, key| found == key), 95);
    }
}

/// A melody in A harmonic minor with 3 G sharps, the most frequent note off C major: the
/// signature stays C major/A minor's (3 accidentals), not A major's, which would have to
/// mark 3 Cs and an F natural (4).
#[test]
fn a_raised_leading_tone_does_not_move_the_signature() {
    let pitches = [69, 72, 76, 69, 72, 76, 72, 77, 74, 71, 80, 80, 80, 81];
    assert_eq!(estimate_key(&melody(&pitches)), Key::new(0, Mode::Minor));
}

/// One crotchet per pitch, in one part, in 4/4.
fn melody(pitches: &[u8]) -> Score {
    let notes = pitches.iter().enumerate().map(|(i, &pitch)| Note {
        start: 480 * i as u64,
        duration: 480,
        pitch,
        velocity: 80,
    });
    let mut score = Score::new(480);
    score.parts.push(Part {
        name: None,
        instrument: Instrument::from_program(0),
        channel: Some(0),
        is_drum: false,
        notes: notes.collect(),
    });
    score
}

/// A hexatonic tune (D E F# G A B, no seventh degree) fits the signatures of D and G major
/// equally well: the final decides, as it does for the many folk tunes of that shape.
#[test]
fn the_final_breaks_a_tie_between_signatures() {
    let tune = [62, 66, 69, 71, 69, 66, 67, 64, 66, 69, 71, 69, 67, 66, 64, 62];
    assert_eq!(estimate_key(&melody(&tune)), Key::new(2, Mode::Major));
    let mut in_g = tune;
    in_g[12..].copy_from_slice(&[71, 69, 67, 67]);
    assert_eq!(estimate_key(&melody(&in_g)), Key::new(1, Mode::Major));
}

/// The closing note struck before the last bar line and held over it (a pickup estimated a
/// beat off puts it there too) is the final, not a note struck above it in the last bar:
/// a tune on C, D, E and G fits the signatures of C, F and G major equally well.
#[test]
fn a_closing_note_held_over_the_last_bar_line_is_the_final() {
    let tune = [64, 62, 60, 62, 64, 64, 64, 62, 62, 62, 64, 67, 67, 64, 62, 60];
    let mut score = melody(&tune);
    let notes = &mut score.parts[0].notes;
    notes.last_mut().expect("a tune").duration = 4 * 480;
    notes.push(Note { start: 16 * 480, duration: 480, pitch: 67, velocity: 80 });
    assert_eq!(estimate_key(&score), Key::new(0, Mode::Major));
}

/// A modal tune without a minor key's raised leading tone (A aeolian, ending on A, no G
/// sharp) is named by its signature's major key, as its sources and midi2abc name it; the
/// same tune with G sharps leading to its close is in A minor.
#[test]
fn minor_needs_the_raised_leading_tone() {
    let aeolian = [69, 72, 74, 76, 77, 76, 74, 72, 71, 67, 69, 72, 71, 74, 72, 69];
    assert_eq!(estimate_key(&melody(&aeolian)), Key::new(0, Mode::Major));
    let mut harmonic = aeolian;
    harmonic[9] = 68;
    harmonic[12] = 68;
    assert_eq!(estimate_key(&melody(&harmonic)), Key::new(0, Mode::Minor));
}

/// One piece per key (the first 24 of the corpus): at least 90% right with the default.
#[test]
fn default_names_at_least_22_of_24_keys() {
    let right = corpus().iter().take(24).filter(|(score, key)| estimate_key(score) == *key).count();
    assert!(right >= 22, "{right} of 24 keys");
}

#[test]
fn keys_are_spelled_with_fewest_accidentals() {
    // F# minor and B-flat major.
    let spec = PieceSpec::new(6, true, 4, 4);
    assert_eq!(estimate_key(&tonal_piece(&spec, 3)), Key::new(3, Mode::Minor));
    let spec = PieceSpec::new(10, false, 3, 4);
    assert_eq!(estimate_key(&tonal_piece(&spec, 5)), Key::new(-2, Mode::Major));
}

#[test]
fn drums_do_not_count() {
    let spec = PieceSpec::new(2, false, 4, 4);
    let mut score = tonal_piece(&spec, 9);
    let key = estimate_key(&score);
    let hits = (0..400).map(|i| Note { start: i * 120, duration: 2000, pitch: 37 + (i % 5) as u8, velocity: 100 });
    score.parts.push(Part {
        name: None,
        instrument: Instrument::drums(),
        channel: Some(9),
        is_drum: true,
        notes: hits.collect(),
    });
    assert_eq!(key, Key::new(2, Mode::Major));
    assert_eq!(estimate_key(&score), key);
}

#[test]
fn a_score_without_notes_is_in_c_major() {
    assert_eq!(estimate_key(&Score::new(480)), Key::new(0, Mode::Major));
}
