//! The symbolic core end to end: generated scores -> MIDI -> `prep midi2abc`'s path
//! (read, quantize, write ABC) -> back to notes, two ways on every case:
//! prep's own ABC reader, and abcMIDI's abc2midi (an independent implementation).
//! Both must give back exactly the notes (pitch, onset, duration) of the original, and
//! the reader the same metre, key and tempo changes.

mod abcmidi;

use std::path::Path;

use abcmidi::{ABC2MIDI, abc2midi, score_notes};
use prep::abc::read::{ABC_TICKS_PER_QUARTER, parse};
use prep::abc::write::{AbcOptions, Layout, to_abc};
use prep::analysis::{QuantizeMode, prepare};
use prep::corpus::{PieceOptions, TICKS_PER_QUARTER, score_piece};
use prep::midi;
use prep::score::Score;
use proptest::prelude::*;

/// A common resolution for comparing: both 480 (generated) and 3360 (read ABC) divide it.
const COMMON: u64 = ABC_TICKS_PER_QUARTER as u64;

/// MIDI bytes -> Score -> quantized Score -> ABC, as `prep midi2abc` does.
fn midi_to_abc(score: &Score, options: &AbcOptions) -> String {
    let bytes = midi::to_bytes(score);
    let (read, stated) = midi::read_bytes_with_events(&bytes, Path::new("generated.mid")).expect("read back");
    let (quantized, _) = prepare(&read, QuantizeMode::Auto, stated).expect("score MIDI is on a grid");
    assert_eq!(quantized.note_count(), score.note_count());
    to_abc(&quantized, options)
}

/// Metre (tick, numerator, denominator), key (tick, name) and tempo (tick, BPM) changes.
type Changes = (Vec<(u64, u8, u8)>, Vec<(u64, String)>, Vec<(u64, u64)>);

fn rescaled_changes(score: &Score) -> Changes {
    let scale = |tick: u64| tick * COMMON / u64::from(score.ticks_per_quarter);
    (
        score.time_signatures.iter().map(|t| (scale(t.tick), t.numerator, t.denominator)).collect(),
        score.key_signatures.iter().map(|k| (scale(k.tick), k.key.abc_name())).collect(),
        score.tempo.changes().iter().map(|c| (scale(c.tick), c.bpm().round() as u64)).collect(),
    )
}

fn check_round_trip(seed: u64, options: &PieceOptions, abc_options: &AbcOptions) {
    let original = score_piece(seed, options);
    let abc = midi_to_abc(&original, abc_options);

    let parsed = parse(&abc);
    assert!(parsed.diagnostics.is_empty(), "seed {seed}: reader complained: {:?}\n{abc}", parsed.diagnostics);
    assert_eq!(score_notes(&parsed.score, COMMON), score_notes(&original, COMMON), "seed {seed}: reader\n{abc}");
    assert_eq!(parsed.score.pickup_ticks * COMMON / u64::from(ABC_TICKS_PER_QUARTER), original.pickup_ticks * 7);
    assert_eq!(rescaled_changes(&parsed.score), rescaled_changes(&original), "seed {seed}: changes\n{abc}");

    if Path::new(ABC2MIDI).exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (played, messages) = abc2midi(&abc, dir.path(), "piece", COMMON);
        assert!(!messages.contains("Error"), "seed {seed}: abc2midi: {messages}\n{abc}");
        assert_eq!(played, score_notes(&original, COMMON), "seed {seed}: abc2midi\n{abc}");
    }
}

#[test]
fn abc2midi_is_present_or_the_skip_is_said() {
    if !Path::new(ABC2MIDI).exists() {
        println!("skipped the abc2midi half of the round trips: {ABC2MIDI} is not installed");
    }
    assert_eq!(TICKS_PER_QUARTER as u64 * 7, COMMON);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Several voices, chords, held bass notes, ties, triplets, pickups, metre, key and
    /// tempo changes: every feature the generator has, at random.
    #[test]
    fn generated_pieces_survive_midi_abc_and_back(
        seed in any::<u64>(),
        bars in 1usize..10,
        max_parts in 1usize..5,
        layout in prop::sample::select(vec![Layout::Interleaved, Layout::Voices]),
        unit in prop::sample::select(vec![None, Some((1, 16)), Some((1, 8))]),
    ) {
        let options = PieceOptions { bars, max_parts, ..PieceOptions::default() };
        let abc_options = AbcOptions { layout, unit, ..AbcOptions::default() };
        check_round_trip(seed, &options, &abc_options);
    }
}
