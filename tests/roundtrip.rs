//! The symbolic core end to end: generated scores -> MIDI -> `prep midi2abc`'s path
//! (read, quantize, write ABC) -> back to notes, two ways on every case:
//! prep's own ABC reader, and abcMIDI's abc2midi (an independent implementation).
//! Both must give back exactly the notes (pitch, onset, duration) of the original, and
//! the reader the same metre, key and tempo changes. Every part is one `V:` voice whose
//! overlays (`&`) number exactly the part's polyphony: the most chords (notes of one
//! onset and end) it sounds at once; or, written as tied chords (a performance's way),
//! one line.

mod abcmidi;

use std::path::Path;

use abcmidi::{ABC2MIDI, abc2midi, score_notes};
use prep::abc::read::{ABC_TICKS_PER_QUARTER, parse};
use prep::abc::write::{AbcOptions, Layout, Polyphony, to_abc};
use prep::analysis::{QuantizeMode, prepare};
use prep::corpus::{PieceOptions, TICKS_PER_QUARTER, score_piece};
use prep::midi;
use prep::score::{Note, Part, Score};
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

/// Metre, key and tempo changes at the common resolution: (tick, numerator, denominator),
/// (tick, key), (tick, rounded BPM).
type Changes = (Vec<(u64, u8, u8)>, Vec<(u64, String)>, Vec<(u64, u64)>);

fn rescaled_changes(score: &Score) -> Changes {
    let scale = |tick: u64| tick * COMMON / u64::from(score.ticks_per_quarter);
    (
        score.time_signatures.iter().map(|t| (scale(t.tick), t.numerator, t.denominator)).collect(),
        score.key_signatures.iter().map(|k| (scale(k.tick), k.key.abc_name())).collect(),
        score.tempo.changes().iter().map(|c| (scale(c.tick), c.bpm().round() as u64)).collect(),
    )
}

/// The most chords (notes sharing onset and end) a part sounds at once.
fn polyphony(part: &Part) -> usize {
    let mut chords: Vec<(u64, u64)> = part.notes.iter().map(|n| (n.start, n.end())).collect();
    chords.sort_unstable();
    chords.dedup();
    chords.iter().map(|&(at, _)| chords.iter().filter(|c| c.0 <= at && at < c.1).count()).max().unwrap_or(1)
}

/// Per voice in order of the `V:` header lines, the most lines one of its bars holds
/// (1 + the number of `&` in the bar).
fn lines_per_voice(abc: &str) -> Vec<usize> {
    let (header, body) = abc.split_at(abc.find("\nK:").expect("a K: line") + 1);
    // A tune without `V:` lines (one unnamed voice) is one voice.
    let mut most = vec![1; header.lines().filter(|l| l.starts_with("V:")).count().max(1)];
    let mut current = 0;
    for line in body.lines().skip(1) {
        let mut music = line;
        if let Some(rest) = line.strip_prefix("[V:").or_else(|| line.strip_prefix("V:")) {
            let (id, after) = rest.split_once([']', ' ']).unwrap_or((rest, ""));
            current = id.trim().parse::<usize>().expect("numbered voices") - 1;
            music = after;
        }
        for bar in music.split('|') {
            most[current] = most[current].max(1 + bar.matches('&').count());
        }
    }
    most
}

/// Double stops and held notes, as string parts write them, added to the parts that are
/// not keyboards (those have chords and a held bass already): about one note in six
/// gets a third or a sixth below it, of the same length; about one in ten a note an
/// octave below held until the end of a later note. Never two overlapping notes of one
/// pitch, which MIDI cannot tell apart.
fn add_string_writing(score: &mut Score, seed: u64) {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for part in score.parts.iter_mut().filter(|p| p.instrument.program != 0 && !p.is_drum) {
        let melody = part.notes.clone();
        for (i, note) in melody.iter().enumerate() {
            let roll = next() % 60;
            let added = if roll < 10 {
                let below = if roll < 5 { 4 } else { 9 };
                Note { pitch: note.pitch.saturating_sub(below), ..*note }
            } else if roll < 16 {
                let Some(later) = melody.get(i + 1 + (next() % 3) as usize) else { continue };
                Note { pitch: note.pitch.saturating_sub(12), duration: later.end() - note.start, ..*note }
            } else {
                continue;
            };
            let clashes = part.notes.iter().any(|n| n.pitch == added.pitch && n.start < added.end() && added.start < n.end());
            if !clashes {
                part.notes.push(added);
            }
        }
        part.notes.sort_by_key(|n| (n.start, n.pitch));
    }
}

fn check_round_trip(seed: u64, options: &PieceOptions, abc_options: &AbcOptions, strings: bool) {
    let mut original = score_piece(seed, options);
    if strings {
        add_string_writing(&mut original, seed);
    }
    let abc = midi_to_abc(&original, abc_options);
    let polyphonies: Vec<usize> = match abc_options.polyphony {
        Polyphony::Overlays => original.parts.iter().map(polyphony).collect(),
        Polyphony::TiedChords => vec![1; original.parts.len()],
    };
    assert_eq!(lines_per_voice(&abc), polyphonies, "seed {seed}: one voice per part, overlays = polyphony\n{abc}");

    let parsed = parse(&abc);
    assert!(parsed.diagnostics.is_empty(), "seed {seed}: reader complained: {:?}\n{abc}", parsed.diagnostics);
    assert_eq!(score_notes(&parsed.score, COMMON), score_notes(&original, COMMON), "seed {seed}: reader\n{abc}");
    assert_eq!(parsed.score.pickup_ticks * COMMON / u64::from(ABC_TICKS_PER_QUARTER), original.pickup_ticks * 7);
    assert_eq!(rescaled_changes(&parsed.score), rescaled_changes(&original), "seed {seed}: changes\n{abc}");

    if Path::new(ABC2MIDI).exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (played, messages) = abc2midi(&abc, dir.path(), "piece", COMMON);
        assert!(!messages.contains("Error") && !messages.contains("Warning"), "seed {seed}: abc2midi: {messages}\n{abc}");
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
    /// tempo changes: every feature the generator has, at random; half the pieces with
    /// double stops and held notes in the melody parts too.
    #[test]
    fn generated_pieces_survive_midi_abc_and_back(
        seed in any::<u64>(),
        bars in 1usize..10,
        max_parts in 1usize..5,
        layout in prop::sample::select(vec![Layout::Interleaved, Layout::Voices]),
        unit in prop::sample::select(vec![None, Some((1, 16)), Some((1, 8))]),
        strings in any::<bool>(),
        polyphony in prop::sample::select(vec![Polyphony::Overlays, Polyphony::TiedChords]),
    ) {
        let options = PieceOptions { bars, max_parts, ..PieceOptions::default() };
        let abc_options = AbcOptions { layout, unit, polyphony, ..AbcOptions::default() };
        check_round_trip(seed, &options, &abc_options, strings);
    }
}

/// A one-bar piece whose viola first drew only rests (it made a part the MIDI and the ABC
/// drop, so the voices disagreed with the parts): every part of a generated piece plays.
#[test]
fn a_short_piece_lists_only_parts_that_play() {
    for layout in [Layout::Interleaved, Layout::Voices] {
        for unit in [None, Some((1, 16)), Some((1, 8))] {
            for strings in [false, true] {
                let options = PieceOptions { bars: 1, max_parts: 3, ..PieceOptions::default() };
                let abc_options = AbcOptions { layout, unit, ..AbcOptions::default() };
                check_round_trip(16531181628925387244, &options, &abc_options, strings);
            }
        }
    }
}

/// A triplet note held over two thirds of its beat and a triplet rest, after eighths (CI
/// once drew it): no onset needs the triplet grid, yet the end is a note value and comes
/// back as it went in.
#[test]
fn a_triplet_ending_in_a_rest_survives() {
    let options = PieceOptions { bars: 2, max_parts: 1, ..PieceOptions::default() };
    check_round_trip(17802449746872505253, &options, &AbcOptions::default(), false);
}
