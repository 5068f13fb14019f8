//! Properties of the reward on scores built directly (no ABC reader involved).

use prep::abc::read::{FoundFields, ParsedAbc};
use prep::reward::{Breakdown, Field, RewardConfig, score_parsed};
use prep::score::{Instrument, Key, KeyChange, Mode, Note, Part, Score, TempoMap, TimeSignature};
use proptest::prelude::*;

const TPQ: u32 = 480;

fn part(program: u8, pitches: &[u8]) -> Part {
    let notes = pitches
        .iter()
        .enumerate()
        .map(|(i, &pitch)| Note { start: i as u64 * 240, duration: 240, pitch, velocity: 80 })
        .collect();
    Part { name: None, instrument: Instrument::from_program(program), channel: None, is_drum: false, notes }
}

/// What the reader would return for a complete tune.
fn parsed(score: Score) -> ParsedAbc {
    let found =
        FoundFields { metre: true, tempo: true, key: true, unit: true, title: false, voices: score.parts.len() };
    ParsedAbc { score, found, diagnostics: Vec::new(), voice_ids: Vec::new(), staves: None }
}

fn quartet(bpm: f64, metre: (u8, u8)) -> Score {
    let mut score = Score::new(TPQ);
    score.tempo = TempoMap::constant((60_000_000.0 / bpm).round() as u32);
    score.time_signatures = vec![TimeSignature { tick: 0, numerator: metre.0, denominator: metre.1 }];
    score.key_signatures = vec![KeyChange { tick: 0, key: Key::new(2, Mode::Major) }];
    score.parts = vec![
        part(40, &[74, 76, 78, 79, 81, 83, 85, 86]),
        part(40, &[66, 67, 69, 71, 73, 74, 76, 78]),
        part(41, &[57, 59, 62, 64, 66, 67, 69, 71]),
        part(42, &[38, 43, 45, 50, 45, 43, 38, 50]),
    ];
    score
}

fn cfg() -> RewardConfig {
    RewardConfig::default()
}

#[test]
fn identical_scores_cost_nothing() {
    let truth = parsed(quartet(96.0, (3, 4)));
    let b = score_parsed(&truth, &truth, &cfg());
    assert_eq!([b.metre, b.tempo, b.pitch, b.instrument, b.total, b.reward], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert!(b.parse.ok);
    assert_eq!(b.onset.onset.f1, 1.0);
    assert_eq!(b.onset.onset_pitch.f1, 1.0);
    assert!(b.key.exact);
}

#[test]
fn total_is_the_weighted_sum() {
    let truth = parsed(quartet(120.0, (4, 4)));
    let mut predicted = quartet(125.0, (4, 4));
    predicted.parts[0].notes[0].pitch = 0;
    let b = score_parsed(&parsed(predicted), &truth, &cfg());
    assert_eq!(b.tempo, 0.1);
    assert_eq!(b.pitch, 1.0 / 8.0 / 4.0);
    assert!((b.total - (0.5 * b.pitch + 0.15 * b.tempo)).abs() < 1e-12);
}

#[test]
fn a_parse_failure_scores_the_worst() {
    let truth = parsed(quartet(96.0, (4, 4)));
    let garbage = ParsedAbc { score: Score::new(TPQ), found: FoundFields::default(), diagnostics: Vec::new(), voice_ids: Vec::new(), staves: None };
    let b = score_parsed(&garbage, &truth, &cfg());
    assert_eq!([b.metre, b.tempo, b.pitch, b.instrument, b.total, b.reward], [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
    assert!(!b.parse.ok);
    assert_eq!(b.parse.missing, vec![Field::Metre, Field::Tempo, Field::Key, Field::Notes]);
    assert!(!b.key.exact);
    assert_eq!(b.onset.onset.f1, 0.0);
}

#[test]
fn a_missing_field_costs_only_its_component() {
    let truth = parsed(quartet(96.0, (4, 4)));
    let mut predicted = truth.clone();
    predicted.found.tempo = false;
    let b = score_parsed(&predicted, &truth, &cfg());
    assert_eq!([b.metre, b.tempo, b.pitch, b.instrument], [0.0, 1.0, 0.0, 0.0]);
    assert_eq!(b.parse.missing, vec![Field::Tempo]);
    assert!((b.total - 0.15).abs() < 1e-12);
}

/// Strictly increasing, and within [0, 1].
fn assert_increasing(losses: &[f64]) {
    assert!(losses.iter().all(|l| (0.0..=1.0).contains(l)), "{losses:?}");
    assert!(losses.windows(2).all(|w| w[0] < w[1]), "not increasing: {losses:?}");
}

#[test]
fn tempo_loss_grows_with_the_offset() {
    let truth = parsed(quartet(100.0, (4, 4)));
    let losses: Vec<f64> = [0.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0]
        .iter()
        .map(|d| score_parsed(&parsed(quartet(100.0 + d, (4, 4))), &truth, &cfg()).tempo)
        .collect();
    assert_increasing(&losses);
    assert_eq!(losses[0], 0.0);
}

#[test]
fn metre_loss_grows_with_the_difference() {
    let truth = parsed(quartet(100.0, (4, 4)));
    let losses: Vec<f64> = (4..=12)
        .map(|numerator| score_parsed(&parsed(quartet(100.0, (numerator, 4))), &truth, &cfg()).metre)
        .collect();
    assert_increasing(&losses);
    let halved: Vec<f64> = [4u8, 8, 16, 32]
        .iter()
        .map(|&denominator| score_parsed(&parsed(quartet(100.0, (4, denominator))), &truth, &cfg()).metre)
        .collect();
    assert_increasing(&halved);
}

#[test]
fn pitch_loss_grows_with_the_number_of_wrong_notes() {
    let truth = parsed(quartet(100.0, (4, 4)));
    let losses: Vec<f64> = (0..=8)
        .map(|wrong| {
            let mut predicted = quartet(100.0, (4, 4));
            for note in predicted.parts[1].notes.iter_mut().take(wrong) {
                note.pitch = 0;
            }
            score_parsed(&parsed(predicted), &truth, &cfg()).pitch
        })
        .collect();
    assert_increasing(&losses);
    assert_eq!(losses[8], 0.25);
}

#[test]
fn voice_order_does_not_matter() {
    let truth = quartet(100.0, (4, 4));
    let mut predicted = quartet(104.0, (4, 4));
    predicted.parts[2].notes[3].pitch = 90;
    predicted.parts[3].instrument = Instrument::from_program(43);
    let reference = score_parsed(&parsed(predicted.clone()), &parsed(truth.clone()), &cfg());
    let mut reversed = predicted;
    reversed.parts.reverse();
    let mut truth_rotated = truth;
    truth_rotated.parts.rotate_left(1);
    let b = score_parsed(&parsed(reversed), &parsed(truth_rotated), &cfg());
    assert_eq!(b, reference);
    assert_eq!(reference.instrument, 0.5 / 4.0); // contrabass for cello: same family
}

#[test]
fn extra_and_missing_voices_are_penalised() {
    let truth = parsed(quartet(100.0, (4, 4)));
    let mut fewer = quartet(100.0, (4, 4));
    fewer.parts.truncate(3);
    let b = score_parsed(&parsed(fewer), &truth, &cfg());
    assert_eq!((b.pitch, b.instrument), (0.25, 0.25));
    let mut more = quartet(100.0, (4, 4));
    more.parts.push(part(0, &[60]));
    let b = score_parsed(&parsed(more), &truth, &cfg());
    assert_eq!((b.pitch, b.instrument), (0.2, 0.2));
}

fn arbitrary_part() -> impl Strategy<Value = Part> {
    let notes = prop::collection::vec((0u64..4000, 0u64..600, any::<u8>()), 0..40).prop_map(|raw| {
        let mut notes: Vec<Note> =
            raw.into_iter().map(|(start, duration, pitch)| Note { start, duration, pitch, velocity: 64 }).collect();
        notes.sort_by_key(|n| (n.start, n.pitch));
        notes
    });
    let name = prop::option::of(prop::sample::select(vec!["Violin", "violin", "Viola", "Flöte", "", "Drums"]));
    (notes, name, any::<u8>(), any::<bool>()).prop_map(|(notes, name, program, is_drum)| Part {
        name: name.map(str::to_string),
        instrument: Instrument::from_program(program),
        channel: None,
        is_drum,
        notes,
    })
}

fn arbitrary_parsed() -> impl Strategy<Value = ParsedAbc> {
    (
        prop::collection::vec(arbitrary_part(), 0..5),
        any::<u32>(),
        (any::<u8>(), any::<u8>()),
        (-7i8..=7, 0usize..7),
        any::<[bool; 3]>(),
    )
        .prop_map(|(parts, micros, (numerator, denominator), (fifths, mode), [metre, tempo, key])| {
            let mut score = Score::new(TPQ);
            score.parts = parts;
            score.tempo =
                TempoMap::from_changes(vec![prep::score::TempoChange { tick: 0, micros_per_quarter: micros }]);
            score.time_signatures = vec![TimeSignature { tick: 0, numerator, denominator }];
            let modes = Mode::ALL;
            score.key_signatures = vec![KeyChange { tick: 0, key: Key::new(fifths, modes[mode]) }];
            let found = FoundFields { metre, tempo, key, unit: true, title: false, voices: score.parts.len() };
            ParsedAbc { score, found, diagnostics: Vec::new(), voice_ids: Vec::new(), staves: None }
        })
}

fn assert_bounded(b: &Breakdown) {
    for (name, value) in [
        ("metre", b.metre),
        ("tempo", b.tempo),
        ("pitch", b.pitch),
        ("instrument", b.instrument),
        ("total", b.total),
        ("onset f1", b.onset.onset.f1),
        ("onset+pitch f1", b.onset.onset_pitch.f1),
        ("key", b.key.weighted),
    ] {
        assert!((0.0..=1.0).contains(&value), "{name} = {value}");
    }
}

proptest! {
    #[test]
    fn every_loss_is_bounded_and_nothing_panics(predicted in arbitrary_parsed(), truth in arbitrary_parsed()) {
        assert_bounded(&score_parsed(&predicted, &truth, &cfg()));
    }

    #[test]
    fn any_score_against_itself_has_zero_losses(truth in arbitrary_parsed()) {
        let mut complete = truth;
        complete.found = FoundFields { metre: true, tempo: true, key: true, ..complete.found };
        let b = score_parsed(&complete, &complete, &cfg());
        prop_assert_eq!([b.metre, b.tempo, b.pitch, b.instrument, b.total], [0.0; 5]);
    }

    #[test]
    fn abc_block_never_panics(text in ".{0,200}") {
        let block = prep::reward::abc_block(&text);
        prop_assert!(text.contains(block));
    }
}
