//! Interop: abc2midi (abcMIDI) must play the ABC we write as the score's notes.
//!
//! Each hand-built score is written to ABC, converted by `/usr/bin/abc2midi`, and the
//! MIDI notes it writes (read with midly) are compared with the score's: pitch, onset
//! and duration exactly, in our ticks. Skipped, with a printed reason, when abc2midi
//! is not installed.

mod abc_write_support;

use std::path::Path;
use std::process::Command;

use abc_write_support::*;
use midly::{MidiMessage, Smf, Timing, TrackEventKind};
use prep::abc::write::{AbcOptions, Layout, to_abc};
use prep::score::{Key, KeyChange, Mode, Score, TimeSignature};
use proptest::prelude::*;

const ABC2MIDI: &str = "/usr/bin/abc2midi";

/// (pitch, onset, duration) in our ticks, sorted.
type Notes = Vec<(u8, u64, u64)>;

fn score_notes(score: &Score) -> Notes {
    let mut notes: Notes =
        score.parts.iter().flat_map(|p| p.notes.iter().map(|n| (n.pitch, n.start, n.duration))).collect();
    notes.sort_unstable();
    notes
}

/// Notes of a MIDI file, rescaled to `Q` ticks per quarter.
///
/// abc2midi starts every note one MIDI tick late (it leaves a tick between the
/// previous note-off and the next note-on) and ends it on time: that tick is given
/// back here, so the comparison is exact.
fn midi_notes(bytes: &[u8]) -> Notes {
    let smf = Smf::parse(bytes).expect("abc2midi writes valid MIDI");
    let Timing::Metrical(tpq) = smf.header.timing else { panic!("abc2midi writes metrical timing") };
    let tpq = u64::from(tpq.as_int());
    let mut notes = Notes::new();
    for track in &smf.tracks {
        let mut now = 0u64;
        let mut sounding: Vec<(u8, u8, u64)> = Vec::new();
        for event in track {
            now += u64::from(event.delta.as_int());
            let TrackEventKind::Midi { channel, message } = event.kind else { continue };
            let channel = channel.as_int();
            match message {
                MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => sounding.push((channel, key.as_int(), now)),
                MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                    if let Some(i) = sounding.iter().position(|s| s.0 == channel && s.1 == key.as_int()) {
                        let (_, pitch, start) = sounding.remove(i);
                        notes.push((pitch, (start - 1) * Q / tpq, (now - start + 1) * Q / tpq));
                    }
                }
                _ => {}
            }
        }
    }
    notes.sort_unstable();
    notes
}

/// Runs abc2midi on `abc`; returns its notes and its messages.
fn abc2midi(abc: &str, dir: &Path, name: &str) -> (Notes, String) {
    let input = dir.join(format!("{name}.abc"));
    let output = dir.join(format!("{name}.mid"));
    std::fs::write(&input, abc).expect("write the ABC file");
    let run = Command::new(ABC2MIDI).arg(&input).arg("-o").arg(&output).output().expect("run abc2midi");
    let messages = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    let bytes =
        std::fs::read(&output).unwrap_or_else(|e| panic!("abc2midi wrote no MIDI for {name} ({e}): {messages}"));
    (midi_notes(&bytes), messages)
}

/// Writes `score` in `layout`, plays it through abc2midi and compares the notes.
fn assert_plays_back(score: &Score, name: &str, layout: Layout) {
    if !Path::new(ABC2MIDI).exists() {
        println!("skipped: {ABC2MIDI} is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let abc = to_abc(score, &AbcOptions { layout, ..AbcOptions::default() });
    // abc2midi staggers the notes of a chord by 10 ticks each ("chordattack"), a
    // performance effect that this setting turns off.
    let played = abc.replacen('\n', "\n%%MIDI chordattack 0\n", 1);
    let (notes, messages) = abc2midi(&played, dir.path(), name);
    let complaints: Vec<&str> = messages.lines().filter(|l| l.contains("Error") || l.contains("Warning")).collect();
    assert!(complaints.is_empty(), "abc2midi complained about {name}:\n{}\n{abc}", complaints.join("\n"));
    assert_eq!(notes, score_notes(score), "{name} plays back differently:\n{abc}");
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
fn pickup_plays_back() {
    assert_plays_back(&pickup(), "pickup", Layout::Interleaved);
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
    let (notes, _) = abc2midi(&to_abc(&score, &AbcOptions::default()), dir.path(), "unquantized");
    let mut by_onset = notes.clone();
    by_onset.sort_by_key(|n| n.1);
    let pitches: Vec<u8> = by_onset.iter().map(|n| n.0).collect();
    assert_eq!(pitches, vec![60, 62, 64, 65, 67]);
    assert!(notes.iter().all(|n| n.1 % (Q / 16) == 0 && n.2 % (Q / 16) == 0), "{notes:?}");
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
