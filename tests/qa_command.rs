//! `prep qa` logic: ABC clips from a folder or a JSONL file in, `qa.jsonl`, the chat
//! export (`chat/<split>.jsonl`) and each clip's audio (`audio/clips/`) out; unreadable
//! clips reported and skipped.

use std::fs;
use std::path::Path;

use prep::datasets::{Problem, Split};
use prep::qa::build::{QaOptions, QaSummary, run};
use serde_json::Value;

const DUO: &str = "X:1\nM:3/4\nL:1/4\nQ:1/4=96\n%%score 1 2\nV:1 name=\"Violin\" clef=treble\n%%MIDI program 40\n\
V:2 name=\"Cello\" clef=bass\n%%MIDI program 42\nK:F#m\n[V:1] ABc|\n[V:2] A,,B,,C,|\n";
const SOLO: &str = "X:1\nM:6/8\nL:1/8\nQ:1/4=120\nV:1 name=\"Flute\"\n%%MIDI program 73\nK:D\ndef gab|\n";

fn options(input: &Path, out: &Path) -> QaOptions {
    QaOptions {
        input: input.to_path_buf(),
        out: out.to_path_buf(),
        templates: None,
        seed: 5,
        split: Split::Train,
    }
}

fn lines(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .expect("written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

#[test]
fn a_folder_of_abc_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("clips");
    fs::create_dir_all(input.join("duo")).expect("mkdir");
    fs::write(input.join("duo/0000.abc"), DUO).expect("write");
    fs::write(input.join("duo/0000.wav"), b"RIFF").expect("write");
    fs::write(input.join("solo.ABC"), SOLO).expect("write");
    fs::write(input.join("broken.abc"), "X:1\nK:C\nCDEF|\n").expect("write");
    let out = dir.path().join("out");

    let summary = run(&options(&input, &out)).expect("runs");
    let problems = vec![Problem { item: "broken".to_string(), message: "the tune states no M: field".to_string() }];
    assert_eq!(summary, QaSummary { clips: 2, pairs: 12, chat_lines: 6, without_audio: 1, problems });

    let qa = lines(&out.join("qa.jsonl"));
    let rows: Vec<(&str, &str, &str)> = qa
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or(""),
                r["split"].as_str().unwrap_or(""),
                r["answer"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("duo/0000/tempo", "train", "96 BPM"),
            ("duo/0000/metre", "train", "3/4"),
            ("duo/0000/key", "train", "F# minor"),
            ("duo/0000/instruments", "train", "Violin, Cello"),
            ("duo/0000/instrument_count", "train", "2"),
            ("duo/0000/transcription", "train", DUO),
            ("solo/tempo", "train", "120 BPM"),
            ("solo/metre", "train", "6/8"),
            ("solo/key", "train", "D major"),
            ("solo/instruments", "train", "Flute"),
            ("solo/instrument_count", "train", "1"),
            ("solo/transcription", "train", SOLO),
        ]
    );
    let chat = lines(&out.join("chat/train.jsonl"));
    assert_eq!(chat.len(), 6);
    assert!(!out.join("chat/test.jsonl").exists() && !out.join("chat.jsonl").exists());
    // The clip's audio is copied beside the chat files and named relative to the folder.
    assert!(chat.iter().all(|c| c["audio"] == "audio/clips/duo/0000.wav"));
    assert_eq!(fs::read(out.join("audio/clips/duo/0000.wav")).expect("copied"), b"RIFF");
    assert_eq!(chat[0]["prompt"][0]["content"], qa[0]["question"]);
    assert_eq!(chat[0]["completion"][0]["content"], "96 BPM");
}

#[test]
fn a_jsonl_of_clips_with_a_bad_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("clips.jsonl");
    let rows = [
        serde_json::json!({"id": "a/0001", "abc": DUO, "split": "test", "audio": "https://example.org/a.wav",
                           "start_s": 25.0}),
        serde_json::json!({"id": "b/0000", "abc": SOLO}),
    ];
    let text = format!("{}\n{{\"id\": 3}}\n\n{}\n", rows[0], rows[1]);
    fs::write(&input, text).expect("write");
    let out = dir.path().join("out");

    let summary = run(&options(&input, &out)).expect("runs");
    assert_eq!(
        (summary.clips, summary.pairs, summary.chat_lines, summary.without_audio),
        (2, 12, 6, 1)
    );
    assert_eq!(summary.problems.len(), 1);
    assert_eq!(summary.problems[0].item, format!("{} line 2", input.display()));
    assert!(summary.problems[0].message.starts_with("invalid type: integer `3`"), "{}", summary.problems[0].message);

    let qa = lines(&out.join("qa.jsonl"));
    let splits: Vec<&str> = qa.iter().map(|r| r["split"].as_str().unwrap_or("")).collect();
    assert_eq!(splits, [["test"; 6], ["train"; 6]].concat());
    // A URL is referenced as given; only the test clip has audio.
    let chat = lines(&out.join("chat/test.jsonl"));
    assert_eq!(chat.len(), 6);
    assert!(chat.iter().all(|c| c["audio"] == rows[0]["audio"]));
    assert!(!out.join("chat/train.jsonl").exists());
}

#[test]
fn a_missing_input_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = run(&options(&dir.path().join("nothing"), dir.path())).expect_err("no input");
    assert!(
        error.to_string().ends_with("nothing: no such file or folder"),
        "{error}"
    );
}
