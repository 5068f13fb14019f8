//! Interop: abc2midi (abcMIDI) must play the ABC we write as the score's notes.
//!
//! Each hand-built score is written to ABC, converted by `/usr/bin/abc2midi`, and the
//! MIDI notes it writes (read with midly) are compared with the score's: pitch, onset
//! and duration exactly, in our ticks. Skipped, with a printed reason, when abc2midi
//! is not installed.

mod abc_write_support;
mod abcmidi;

use std::path::Path;

use abc_write_support::*;
use abcmidi::{ABC2MIDI, abc2midi, score_notes};
use prep::abc::write::{AbcOptions, Layout, to_abc};
use prep::score::{Key, KeyChange, Mode, Score, TimeSignature};
use proptest::prelude::*;

/// Writes `score` in `layout`, plays it through abc2midi and compares the notes.
fn assert_plays_back(score: &Score, name: &str, layout: Layout) {
    if !Path::new(ABC2MIDI).exists() {
        println!("skipped: {ABC2MIDI} is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let abc = to_abc(score, &AbcOptions { layout, ..AbcOptions::default() });
    let (notes, messages) = abc2midi(&abc, dir.path(), name, Q);
    let complaints: Vec<&str> = messages.lines().filter(|l| l.contains("Error") || l.contains("Warning")).collect();
    assert!(complaints.is_empty(), "abc2midi complained about {name}:\n{}\n{abc}", complaints.join("\n"));
    assert_eq!(notes, score_notes(score, Q), "{name} plays back differently:\n{abc}");
}

#[test]
fn scale_plays_back() {
    assert_plays_back(&scale(), "scale", Layout::Interleaved);
}

#[test]
fn accidentals_play_back() {
    assert_plays_back(&accidentals_in_d(), "accidentals", Layout::Interleaved);
}

#[test]
fn chords_and_ties_play_back() {
    assert_plays_back(&chords_and_ties(), "chords", Layout::Voices);
}

#[test]
fn tuplets_play_back() {
    assert_plays_back(&tuplets(), "tuplets", Layout::Interleaved);
}

#[test]
fn tuplets_inside_ties_play_back() {
    assert_plays_back(&tuplets_inside_ties(), "tuplets_inside_ties", Layout::Interleaved);
}

#[test]
fn pickup_plays_back() {
    assert_plays_back(&pickup(), "pickup", Layout::Interleaved);
}

#[test]
fn pickup_triplets_play_back() {
    assert_plays_back(&pickup_triplets(), "pickup_triplets", Layout::Interleaved);
}

#[test]
fn changes_play_back() {
    assert_plays_back(&changes(), "changes", Layout::Voices);
}

#[test]
fn overlaps_play_back() {
    assert_plays_back(&overlaps(), "overlaps", Layout::Interleaved);
}

#[test]
fn unquantized_notes_all_play_back_snapped() {
    // Snapping moves notes, so only what is kept is compared: every pitch, in order,
    // on the 1/64-note grid.
    if !Path::new(ABC2MIDI).exists() {
        println!("skipped: {ABC2MIDI} is not installed");
        return;
    }
    let score = unquantized();
    let dir = tempfile::tempdir().expect("temp dir");
    let (notes, _) = abc2midi(&to_abc(&score, &AbcOptions::default()), dir.path(), "unquantized", Q);
    let mut by_onset = notes.clone();
    by_onset.sort_by_key(|n| n.1);
    let pitches: Vec<u8> = by_onset.iter().map(|n| n.0).collect();
    assert_eq!(pitches, vec![60, 62, 64, 65, 67]);
    assert!(notes.iter().all(|n| n.1 % (Q / 16) == 0 && n.2 % (Q / 16) == 0), "{notes:?}");
}

#[test]
fn overlays_play_back() {
    assert_plays_back(&held_bass_under_melody(), "overlays", Layout::Interleaved);
}

#[test]
fn quartet_on_one_channel_with_double_stops_plays_back() {
    // Four tracks on channel 0 and one program: before one voice per part, abc2midi
    // gave up on such files ("Channel limit exceeded").
    assert_plays_back(&quartet(), "quartet", Layout::Interleaved);
    assert_plays_back(&quartet(), "quartet_voices", Layout::Voices);
}

#[test]
fn overlay_after_a_mid_bar_key_change_plays_back() {
    assert_plays_back(&key_change_under_overlay(), "key_overlay", Layout::Interleaved);
}

#[test]
fn overlays_across_a_metre_change_play_back() {
    assert_plays_back(&overlay_across_metre_change(), "overlay_metre", Layout::Interleaved);
}

#[test]
fn an_overlay_missing_at_a_metre_change_plays_back() {
    assert_plays_back(&overlay_missing_at_metre_change(), "overlay_missing_metre", Layout::Interleaved);
}

#[test]
fn sixteen_parts_with_overlays_play_back() {
    assert_plays_back(&sixteen_parts(), "sixteen", Layout::Interleaved);
}

#[test]
fn drums_play_back() {
    assert_plays_back(&drums(), "drums", Layout::Interleaved);
}

/// Up to three monophonic lines in disjoint registers (so that MIDI note-offs pair up
/// unambiguously) on a sixteenth-note grid, with gaps and eighth-note triplets on the
/// beat (when bars are whole quarters from tick 0); lines may overlap in time.
fn random_score() -> impl Strategy<Value = Score> {
    let line = prop::collection::vec((0u64..4, 1u64..13, 0u8..13, prop::bool::weighted(0.2)), 1..24);
    let metres = prop::sample::select(vec![(4u8, 4u8), (3, 4), (6, 8), (2, 4), (5, 8)]);
    (prop::collection::vec(line, 1..4), metres, -6i8..7, 0u64..4).prop_map(|(lines, (n, d), fifths, pickup)| {
        let sixteenth = Q / 4;
        let triplets_fit = pickup == 0 && (n, d) != (5, 8);
        let mut notes = Vec::new();
        for (register, line) in lines.iter().enumerate() {
            let low = 40 + 15 * register as u8;
            let mut at = 0;
            for &(gap, length, step, triplet) in line {
                at += gap * sixteenth;
                if triplet && triplets_fit {
                    at = at.div_ceil(Q) * Q;
                    for k in 0..3 {
                        notes.push((at + k * Q / 3, Q / 3, low + step + k as u8));
                    }
                    at += Q;
                } else {
                    notes.push((at, length * sixteenth, low + step));
                    at += length * sixteenth;
                }
            }
        }
        notes.sort_unstable();
        let mut s = score(vec![part(0, &notes)]);
        s.time_signatures = vec![TimeSignature { tick: 0, numerator: n, denominator: d }];
        s.key_signatures = vec![KeyChange { tick: 0, key: Key::new(fifths, Mode::Major) }];
        s.pickup_ticks = pickup * Q / 2;
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_quantized_scores_play_back(score in random_score()) {
        assert_plays_back(&score, "random", Layout::Interleaved);
    }
}
