//! `prep midi2abc` from the command line: folders, bad files among good ones, stdout,
//! windows, resuming, the polyphony choice.

mod abc_write_support;

use std::path::Path;
use std::process::{Command, Output};

use prep::corpus::{PieceOptions, score_piece};
use prep::midi;

fn prep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prep")).args(args).output().expect("run prep")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write_piece(path: &Path, seed: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, midi::to_bytes(&score_piece(seed, &PieceOptions::default()))).unwrap();
}

#[test]
fn a_folder_with_broken_files_converts_the_rest_and_fails_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_piece(&input.join("a.mid"), 1);
    write_piece(&input.join("sub/b.midi"), 2);
    let good = midi::to_bytes(&score_piece(3, &PieceOptions::default()));
    std::fs::write(input.join("truncated.mid"), &good[..good.len() / 2]).unwrap();
    std::fs::write(input.join("magic.mid"), b"RIFF\0\0\0\x06\0\x01\0\x01\x01\xe0").unwrap();
    std::fs::write(input.join("no-tracks.mid"), b"MThd\0\0\0\x06\0\x01\0\0\x01\xe0").unwrap();
    let mut huge = b"MThd\0\0\0\x06\0\x01\0\x01\x01\xe0MTrk".to_vec();
    huge.extend_from_slice(&0x7fff_fff0u32.to_be_bytes());
    std::fs::write(input.join("huge.mid"), huge).unwrap();
    let out = dir.path().join("out");

    let run = prep(&["midi2abc", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let messages = stderr(&run);
    assert!(!run.status.success(), "{messages}");
    for bad in ["truncated.mid", "magic.mid", "no-tracks.mid", "huge.mid"] {
        let line = messages.lines().find(|l| l.starts_with("error: ") && l.contains(bad));
        let line = line.unwrap_or_else(|| panic!("{bad} not named:\n{messages}"));
        assert_eq!(line.matches(bad).count(), 1, "the path once: {line}");
    }
    assert!(
        messages.contains("magic.mid: not a valid MIDI file: expected the 'MThd' magic, found 'RIFF'"),
        "{messages}"
    );
    assert!(messages.contains("converted 2 of 6 files (0 skipped, 4 failed)"), "{messages}");
    let mut written: Vec<String> = walk(&out);
    written.sort();
    assert_eq!(written, vec!["a.abc", "sub/b.abc"], "only complete outputs, no temporary files");
}

fn walk(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn one_file_goes_to_stdout_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.mid");
    write_piece(&file, 4);
    let run = prep(&["midi2abc", file.to_str().unwrap(), "--unit", "1/16"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(text.starts_with("X:1\nT:Generated piece 4\nM:"), "{text}");
    assert!(text.contains("\nL:1/16\n"), "{text}");
    assert_eq!(prep::abc::read::parse(&text).score.note_count(), score_piece(4, &PieceOptions::default()).note_count());
}

#[test]
fn a_window_cuts_the_music_like_an_audio_clip() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("piece.mid");
    write_piece(&file, 5);
    let score = score_piece(5, &PieceOptions::default());
    let run = prep(&["midi2abc", file.to_str().unwrap(), "--start", "2.5", "--end", "7.5"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let clip = prep::abc::read::parse(&String::from_utf8(run.stdout).unwrap()).score;
    let expected = score.window_seconds(2.5, 7.5);
    assert_eq!(clip.note_count(), expected.note_count());
    let (got, want) = (clip.seconds_at(clip.end_tick()), expected.seconds_at(expected.end_tick()));
    // ABC tempi are whole BPM: a tempo of 99.75 BPM is written as 100, 0.25 % faster.
    assert!((got - want).abs() < 0.005 * want, "clip ends at {got} s, the window at {want} s");
}

#[test]
fn skip_existing_resumes_without_rewriting() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_piece(&input.join("a.mid"), 6);
    write_piece(&input.join("b.mid"), 7);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("a.abc"), "kept").unwrap();
    let run = prep(&["midi2abc", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--skip-existing"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).contains("converted 1 of 2 files (1 skipped, 0 failed)"), "{}", stderr(&run));
    assert_eq!(std::fs::read_to_string(out.join("a.abc")).unwrap(), "kept");
    assert!(std::fs::read_to_string(out.join("b.abc")).unwrap().starts_with("X:1\n"));
}

#[test]
fn bad_options_are_refused_with_a_reason() {
    let run = prep(&["midi2abc", "x.mid", "--quantize", "grid:0"]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("grid:N (N > 0)"), "{}", stderr(&run));
    let run = prep(&["midi2abc", "missing-folder-or-file", "other", "-o", "out"]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("missing-folder-or-file: no such file or folder"), "{}", stderr(&run));
}

#[test]
fn a_short_file_without_a_time_signature_is_written_in_common_time() {
    // A real sequencer file (jazz-soft/test-midi-files, MIT) with no time-signature
    // event, a MIDI clock message and eight even quarters: 4/4, as the MIDI standard
    // assumes without one, in two whole bars (it came out in 3/4, ending on a partial bar,
    // when the beat classes the piece never reaches counted as silent).
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld/jazz-soft/test-illegal-message-f8.mid");
    let run = prep(&["midi2abc", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(text.contains("\nM:4/4\n"), "{text}");
    assert!(text.contains("CDEF|GABc|]"), "{text}");
}

#[test]
fn notes_a_sequencer_cut_short_are_written_at_their_values() {
    // Quarters, eighths and a half note each held for 90 % of its length, as sequencers
    // export them: without the release rule every note came out a quintuplet.
    let mut score = prep::score::Score::new(480);
    let (mut at, mut notes) = (0, Vec::new());
    for (pitch, length) in [(60u8, 480u64), (62, 480), (64, 240), (65, 240), (67, 960)] {
        notes.push(prep::score::Note { start: at, duration: length * 9 / 10, pitch, velocity: 80 });
        at += length;
    }
    score.parts.push(prep::score::Part {
        name: None,
        instrument: prep::score::Instrument::from_program(0),
        channel: Some(0),
        is_drum: false,
        notes,
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gated.mid");
    std::fs::write(&file, midi::to_bytes(&score)).unwrap();
    let run = prep(&["midi2abc", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(text.ends_with("[V:1] CDE/F/G-|Gz3|]\n"), "{text}");
}

/// The ABC that `prep midi2abc FILE ARGS` prints.
fn abc_of(file: &Path, args: &[&str]) -> String {
    let run = prep(&[&["midi2abc", file.to_str().unwrap()][..], args].concat());
    assert!(run.status.success(), "{}", stderr(&run));
    String::from_utf8(run.stdout).unwrap()
}

/// The tune body of `prep midi2abc FILE ARGS`: from the first `[V:1]` on.
fn body_of(file: &Path, args: &[&str]) -> String {
    let text = abc_of(file, args);
    text[text.find("\n[V:1]").expect("a body") + 1..].to_string()
}

#[test]
fn the_polyphony_choice_decides_how_overlapping_notes_are_written() {
    let dir = tempfile::tempdir().unwrap();
    // A score: a bass held under a melody is an overlay by default, tied chords on request.
    let score = dir.path().join("score.mid");
    std::fs::write(&score, midi::to_bytes(&abc_write_support::held_bass_under_melody())).unwrap();
    let overlays = "[V:1] cdef&z2C,2-|g4&C,2z2|f4|e4&G,,2z2|]\n";
    assert_eq!(body_of(&score, &[]), overlays);
    assert_eq!(body_of(&score, &["--polyphony", "auto"]), overlays);
    assert_eq!(body_of(&score, &["--polyphony", "tied-chords"]), "[V:1] cd[C,-e][C,-f]|[C,g-]2g2|f4|[G,,e-]2e2|]\n");
    // A real performance (Vienna 4x22, CC BY 4.0): tied chords by default, overlays on
    // request, the same notes either way.
    let performance =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld/vienna4x22/Chopin_op10_no3_p01.mid");
    let tied = abc_of(&performance, &[]);
    assert!(!tied.contains('&') && tied.contains("-]"), "{tied}");
    assert_eq!(abc_of(&performance, &["--polyphony", "tied-chords"]), tied);
    let overlaid = abc_of(&performance, &["--polyphony", "overlays"]);
    assert!(overlaid.contains('&'), "{overlaid}");
    let notes = |text: &str| prep::abc::read::parse(text).score.note_count();
    assert_eq!(notes(&overlaid), notes(&tied));
}
