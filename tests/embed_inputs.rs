//! `prep embed`'s inputs and exit statuses: a single audio file is audio (not a clips
//! JSONL), a folder without audio is an error, two files with one clip id are both
//! refused by name, and a damaged stored embedding is named and computed again.

use std::path::Path;
use std::process::{Command, Output};

use prep::audio::{MonoAudio, encode_pcm16};

fn prep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prep")).args(args).output().expect("run prep")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `seconds` of a 440 Hz tone at 16 kHz, as WAV bytes.
fn tone(seconds: f64) -> Vec<u8> {
    let samples = (0..(seconds * 16_000.0) as usize)
        .map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin() * 0.3)
        .collect();
    encode_pcm16(&MonoAudio { sample_rate: 16_000, samples })
}

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
fn a_single_audio_file_is_embedded_whatever_its_extension_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = dir.path().join("tone.wav");
    std::fs::write(&wav, tone(2.5)).expect("write");
    let out = dir.path().join("out");
    let run = prep(&["embed", s(&wav), "--clip-length", "1", "-o", s(&out)]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("embed: 3 clips (0 reused), 0 problems"), "{}", stderr(&run));

    // The same bytes without an extension: told by the RIFF header.
    let bare = dir.path().join("tone");
    std::fs::copy(&wav, &bare).expect("copy");
    let run = prep(&["embed", s(&bare), "--clip-length", "1", "-o", s(&dir.path().join("out2"))]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
}

#[test]
fn a_folder_without_audio_is_an_error_with_status_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "no audio here").expect("write");
    let run = prep(&["embed", s(dir.path())]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let expected = format!("no audio files (wav, flac, mp3, ogg) under {}", dir.path().display());
    assert!(stderr(&run).contains(&expected), "{}", stderr(&run));
    assert!(!dir.path().join("README.md").exists(), "no empty card");
}

#[test]
fn two_files_with_one_clip_id_are_both_refused_by_name_with_status_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let audio = dir.path().join("audio");
    std::fs::create_dir_all(&audio).expect("mkdir");
    std::fs::write(audio.join("ok.wav"), tone(1.0)).expect("write");
    std::fs::write(audio.join("ok.WAV"), tone(1.0)).expect("write");
    std::fs::write(audio.join("other.wav"), tone(1.0)).expect("write");
    let run = prep(&["embed", s(&audio), "--clip-length", "1", "-o", s(&dir.path().join("out"))]);
    let text = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{text}");
    for (name, other) in [("ok.WAV", "ok.wav"), ("ok.wav", "ok.WAV")] {
        let line = format!(
            "error: {}: \"ok\" is also the name of {}",
            audio.join(name).display(),
            audio.join(other).display()
        );
        assert!(text.contains(&line), "{line} missing from {text}");
    }
    assert!(text.contains("embed: 1 clips (0 reused), 2 problems"), "{text}");
}

#[test]
fn a_damaged_stored_embedding_is_named_and_computed_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let audio = dir.path().join("audio");
    std::fs::create_dir_all(&audio).expect("mkdir");
    std::fs::write(audio.join("a.wav"), tone(2.0)).expect("write");
    let out = dir.path().join("out");
    let args = ["embed", s(&audio), "--clip-length", "1", "-o", s(&out)];
    assert!(prep(&args).status.success());
    let table = out.join("data/embeddings/train-00000-of-00001.parquet");
    let clean = std::fs::read(&table).expect("the table");

    let store = out.join(".prep/embeddings/mel-0-exact");
    let mut entries: Vec<_> = std::fs::read_dir(&store).expect("store").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    let bytes = std::fs::read(&entries[0]).expect("read");
    std::fs::write(&entries[0], &bytes[..bytes.len() - 7]).expect("truncate");
    let run = prep(&args);
    let text = stderr(&run);
    assert_eq!(run.status.code(), Some(0), "{text}");
    assert!(text.contains(&format!("note: {}: damaged cache entry", entries[0].display())), "{text}");
    assert!(text.contains("embed: 2 clips (1 reused), 0 problems"), "{text}");
    assert_eq!(std::fs::read(&table).expect("the table"), clean, "the same table");
}
