//! Metre estimation on generated pieces whose metre is known but not stated.

mod analysis_gen;

use analysis_gen::{PieceSpec, tonal_piece, written_metre};
use prep::analysis::{MetreEstimate, QuantizeMode, SourceEvents, estimate_metre, prepare};
use prep::score::{Score, TimeSignature};

/// The piece as a file without a time-signature event would read: 4/4, no pickup.
fn unstated(spec: &PieceSpec, seed: u64) -> Score {
    let mut score = tonal_piece(spec, seed);
    score.time_signatures = vec![TimeSignature {
        tick: 0,
        numerator: 4,
        denominator: 4,
    }];
    score.pickup_ticks = 0;
    score
}

fn metre(numerator: u8, denominator: u8, beat_ticks: u64, pickup_ticks: u64) -> MetreEstimate {
    MetreEstimate {
        numerator,
        denominator,
        beat_ticks,
        pickup_ticks,
    }
}

/// 2/4 is written as 4/4 and 12/8 as 6/8 (`written_metre`): the generated downbeats stay
/// downbeats, with every other one of 2/4 written mid-bar.
#[test]
fn simple_and_compound_metres_are_recognised() {
    let cases = [((4, 4), 480), ((3, 4), 480), ((2, 4), 480), ((6, 8), 720), ((9, 8), 720), ((12, 8), 720)];
    for ((numerator, denominator), beat_ticks) in cases {
        let (written_numerator, written_denominator) = written_metre(numerator, denominator);
        for seed in 0..4 {
            let spec = PieceSpec::new(7, seed % 2 == 1, numerator, denominator);
            let estimate = estimate_metre(&unstated(&spec, seed));
            let case = format!("{numerator}/{denominator} seed {seed}: {estimate:?}");
            assert_eq!(
                (estimate.numerator, estimate.denominator, estimate.beat_ticks),
                (written_numerator, written_denominator, beat_ticks),
                "{case}"
            );
            assert_eq!(estimate.pickup_ticks % spec.bar_ticks(), 0, "{case}");
        }
    }
}

#[test]
fn pickups_are_found() {
    for (numerator, denominator, eighths) in [(4, 4, 1), (4, 4, 2), (4, 4, 6), (3, 4, 2), (6, 8, 1), (6, 8, 2)] {
        let spec = PieceSpec {
            pickup_eighths: eighths,
            ..PieceSpec::new(0, false, numerator, denominator)
        };
        let beat = if denominator == 8 { 720 } else { 480 };
        let expected = metre(numerator, denominator, beat, eighths * 240);
        assert_eq!(
            estimate_metre(&unstated(&spec, 21)),
            expected,
            "{numerator}/{denominator} pickup {eighths}"
        );
    }
}

#[test]
fn prepare_fills_in_an_unstated_metre_and_keeps_a_stated_one() {
    let spec = PieceSpec {
        pickup_eighths: 2,
        ..PieceSpec::new(9, true, 3, 4)
    };
    let score = unstated(&spec, 4);
    let given = SourceEvents {
        time_signature: false,
        key_signature: true,
    };
    let (inferred, report) = prepare(&score, QuantizeMode::Auto, given).expect("score-like");
    assert_eq!(
        inferred.time_signatures,
        vec![TimeSignature {
            tick: 0,
            numerator: 3,
            denominator: 4
        }]
    );
    assert_eq!(inferred.pickup_ticks, 480);
    assert_eq!(report.metre, Some(metre(3, 4, 480, 480)));
    assert_eq!(report.key, None);

    let given = SourceEvents {
        time_signature: true,
        key_signature: true,
    };
    let (kept, report) = prepare(&score, QuantizeMode::Auto, given).expect("score-like");
    assert_eq!(kept.time_signatures, score.time_signatures);
    assert_eq!(kept.pickup_ticks, 0);
    assert_eq!(report.metre, None);
}

#[test]
fn a_score_without_notes_is_in_common_time() {
    assert_eq!(estimate_metre(&Score::new(480)), metre(4, 4, 480, 0));
}

#[test]
fn a_melody_shorter_than_the_beat_classes_is_not_pushed_into_three() {
    // 2 to 11 even quarters: no beat stands out, so common time; the beat classes the
    // piece never reaches (it is shorter than 12 beats) must not count as silent beats.
    for length in 2..12u64 {
        let mut score = Score::new(480);
        score.parts.push(prep::score::Part {
            name: None,
            instrument: prep::score::Instrument::from_program(0),
            channel: Some(0),
            is_drum: false,
            notes: (0..length)
                .map(|i| prep::score::Note { start: i * 480, duration: 480, pitch: 60 + i as u8, velocity: 100 })
                .collect(),
        });
        assert_eq!(estimate_metre(&score), metre(4, 4, 480, 0), "{length} quarters");
    }
}

/// Real tunes read as a file without its time signature would be: an Irish jig (6/8)
/// and Corelli's Grave (4/4), both from music21's public-domain corpus. Grouping by
/// four dotted quarters gave the jig's every other downbeat (its phrases come in pairs of
/// bars) more contrast than grouping by two, and the rule that let that contrast choose
/// wrote it in 12/8; the Grave's, by two quarters, wrote it in 2/4.
#[test]
fn real_tunes_without_a_time_signature_are_written_in_their_usual_metre() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld");
    for (file, expected) in [("oneills1850-0401-0486-435.mid", (6, 8)), ("corelli-1grave.mid", (4, 4))] {
        let (score, given) = prep::midi::read_file_with_events(&dir.join(file)).expect(file);
        assert!(given.time_signature, "{file} states its metre");
        let stated = score.time_signatures[0];
        assert_eq!((stated.numerator, stated.denominator), expected, "{file}");
        let unstated = SourceEvents {
            time_signature: false,
            ..given
        };
        let (inferred, report) = prepare(&score, QuantizeMode::Auto, unstated).expect(file);
        let first = inferred.time_signatures[0];
        assert_eq!((first.numerator, first.denominator), expected, "{file}: {report:?}");
    }
}
