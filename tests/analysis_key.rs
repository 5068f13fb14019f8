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

fn correct(profile: &KeyProfile) -> usize {
    corpus()
        .iter()
        .filter(|(score, key)| estimate_key_with(score, profile) == *key)
        .count()
}

/// The measurement behind the default profile (see `analysis::key`): 93, 75 and 61 of 96.
#[test]
fn temperley_profile_names_most_generated_keys() {
    assert_eq!(correct(&TEMPERLEY_KOSTKA_PAYNE), 93);
    assert_eq!(correct(&ALBRECHT_SHANAHAN), 75);
    assert_eq!(correct(&KRUMHANSL_KESSLER), 61);
}

/// One piece per key (the first 24 of the corpus): at least 90% right with the default.
#[test]
fn default_names_at_least_22_of_24_keys() {
    let right = corpus()
        .iter()
        .take(24)
        .filter(|(score, key)| estimate_key(score) == *key)
        .count();
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
    let hits = (0..400).map(|i| Note {
        start: i * 120,
        duration: 2000,
        pitch: 37 + (i % 5) as u8,
        velocity: 100,
    });
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
