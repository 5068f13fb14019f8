//! `prep shards` over the pipeline's JSONL: clips with audio spans relative to the JSONL,
//! missing audio reported (not fatal), qa pairs, the card written, bad lines located.

mod shards_support;

use std::fs::File;
use std::path::Path;

use arrow_array::{Array, StructArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use prep::clips::Clip;
use prep::shards::build::{ShardsOptions, run};
use prep::datasets::{Problem, Split};
use prep::qa::QaKind;
use prep::shards::ShardOptions;
use shards_support::{clip, qa, write_ramp_wav};

fn write_jsonl<T: serde::Serialize>(path: &Path, rows: &[T]) {
    let text: String = rows
        .iter()
        .map(|r| serde_json::to_string(r).expect("serializes") + "\n")
        .collect();
    std::fs::write(path, text).expect("writing JSONL");
}

fn options(dir: &Path, qa: bool) -> ShardsOptions {
    ShardsOptions {
        clips: dir.join("work/clips.jsonl"),
        qa: qa.then(|| dir.join("work/qa.jsonl")),
        out: dir.join("dataset"),
        title: "Demo".to_string(),
        recipe: None,
        shard: ShardOptions::default(),
    }
}

#[test]
fn jsonl_records_become_configs_and_a_card() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path().join("work");
    std::fs::create_dir_all(work.join("audio")).expect("dirs");
    write_ramp_wav(&work.join("audio"), "a.wav", 8000, 4.0);
    // Relative paths resolve against the JSONL's folder.
    let with_audio = clip("demo", "a", 0, Split::Train, Some(Path::new("audio/a.wav")));
    let missing = clip("demo", "b", 0, Split::Test, Some(Path::new("audio/b.wav")));
    let silent = clip("demo", "c", 1, Split::Validation, None);
    let clips = [with_audio.clone(), missing, silent];
    write_jsonl(&work.join("clips.jsonl"), &clips);
    let pairs: Vec<_> = clips
        .iter()
        .map(|c| qa(c, QaKind::Key, "Which key?", "D major"))
        .collect();
    write_jsonl(&work.join("qa.jsonl"), &pairs);

    let summary = run(&options(dir.path(), true)).expect("shards run");
    assert_eq!(
        summary.problems,
        vec![Problem {
            item: "demo/b/0000".to_string(),
            message: format!("audio file {} is missing", work.join("audio/b.wav").display()),
        }]
    );
    let configs: Vec<(&str, Vec<(Split, u64)>)> = summary
        .tables
        .iter()
        .map(|t| (t.config.as_str(), t.splits.iter().map(|(s, f)| (*s, f.rows)).collect()))
        .collect();
    let each = vec![(Split::Train, 1), (Split::Validation, 1), (Split::Test, 1)];
    assert_eq!(configs, vec![("clips", each.clone()), ("qa", each)]);
    assert_eq!(summary.card, dir.path().join("dataset/README.md"));
    let card = std::fs::read_to_string(&summary.card).expect("the card");
    assert!(card.contains("0.00 hours of audio"), "2 s of audio: {card}");
    // The chat export: only the clip whose audio was written, its WAV beside the card.
    assert_eq!(summary.chat_examples, 1);
    let chat = std::fs::read_to_string(dir.path().join("dataset/chat/train.jsonl")).expect("chat");
    let line: serde_json::Value = serde_json::from_str(chat.trim_end()).expect("JSON");
    assert_eq!(line["audio"], "audio/clips/demo/a/0000.wav");
    let clip_wav = std::fs::read(dir.path().join("dataset/audio/clips/demo/a/0000.wav")).expect("clip audio");
    assert_eq!(clip_wav.len(), 44 + 2 * 16000);
    assert!(!dir.path().join("dataset/chat/test.jsonl").exists());
    assert!(card.contains("| chat | train | 1 | 1 |"), "{card}");
    // The manifest names the shards relative to the dataset folder.
    let manifest = std::fs::read_to_string(dir.path().join("dataset/.prep/manifest.json")).expect("manifest");
    assert!(manifest.contains("\"data/clips/train-00000-of-00001.parquet\""), "{manifest}");
    assert!(!manifest.contains(&dir.path().display().to_string()), "{manifest}");

    // The train clip's audio is the 2 s span as a 16-bit mono WAV: 44 + 2 * 16000 bytes.
    let train = File::open(&summary.tables[0].splits[&Split::Train].files[0]).expect("shard");
    let mut reader = ParquetRecordBatchReaderBuilder::try_new(train)
        .expect("Parquet")
        .build()
        .expect("reader");
    let batch = reader.next().expect("a batch").expect("readable");
    let audio = batch
        .column_by_name("audio")
        .expect("audio")
        .as_any()
        .downcast_ref::<StructArray>()
        .expect("struct");
    let bytes = audio
        .column(0)
        .as_any()
        .downcast_ref::<arrow_array::BinaryArray>()
        .expect("binary");
    assert_eq!(bytes.value(0).len(), 44 + 2 * 16_000);
    let paths = audio
        .column(1)
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .expect("string");
    assert_eq!(paths.value(0), "demo/a/0000.wav");
}

#[test]
fn a_bad_jsonl_line_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("dirs");
    let good: Clip = clip("demo", "a", 0, Split::Train, None);
    let text = format!("{}\n\n{{\"id\": 3}}\n", serde_json::to_string(&good).expect("json"));
    std::fs::write(work.join("clips.jsonl"), text).expect("writing");
    let error = format!("{:#}", run(&options(dir.path(), false)).expect_err("a bad line"));
    let at = format!("{}:3: ", work.join("clips.jsonl").display());
    assert!(error.starts_with(&at), "{error}");
    assert!(
        error.contains("invalid type: integer `3`, expected a string"),
        "{error}"
    );
}
