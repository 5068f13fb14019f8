//! Shared helpers of the scale-out tests: a small demo pipeline, and the comparison of a
//! merged dataset with a single-process run's (every table's rows by id, the JSONL
//! records byte for byte, the card's counts).
// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::{Array, ArrayRef, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Runs the prep binary with `env` set and the engines' variables cleared.
pub fn prep(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_prep"));
    command.args(args).args(["-j", "1"]);
    for name in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).output().expect("runs prep")
}

/// Panics with prep's stderr unless it exited 0.
pub fn ok(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "prep failed ({}):\n{stderr}", output.status);
    stderr
}

/// A demo pipeline of `pieces` pieces with the mel embeddings table, writing to `out`.
pub fn demo_pipeline(dir: &Path, name: &str, out: &Path, pieces: usize, qa_seed: u64) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "output: {}\nsource:\n  kind: demo\n  pieces: {pieces}\n  seed: 5\nsplits:\n  seed: 1\n  test: 0.34\n  \
         validation: 0.34\nclips:\n  length_s: 10\nqa:\n  seed: {qa_seed}\nembeddings:\n  model: mel\n",
        out.display()
    );
    fs::write(&path, text).expect("writes the pipeline");
    path
}

/// Every row of every table of a dataset folder, by (config, split, id): each row as
/// its one-row column slices, compared with Arrow's equality (bytes of audio included).
pub fn tables(dataset: &Path) -> BTreeMap<(String, String, String), Vec<ArrayRef>> {
    let mut rows = BTreeMap::new();
    let data = dataset.join("data");
    for config in fs::read_dir(&data).expect("lists data/") {
        let config = config.expect("entry").path();
        let name = config.file_name().expect("name").to_string_lossy().into_owned();
        for file in fs::read_dir(&config).expect("lists a config") {
            let file = file.expect("entry").path();
            assert!(file.extension().is_some_and(|e| e == "parquet"), "{}: not a shard", file.display());
            let split = file.file_name().expect("name").to_string_lossy().split('-').next().expect("split").to_string();
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).expect("opens"))
                .expect("a Parquet file")
                .build()
                .expect("reads");
            for batch in reader {
                let batch = batch.expect("a batch");
                let id_column = if name == "embeddings" { "clip_id" } else { "id" };
                let ids = batch.column_by_name(id_column).expect("id column");
                let ids = ids.as_any().downcast_ref::<StringArray>().expect("string ids");
                for row in 0..batch.num_rows() {
                    let slices = batch.columns().iter().map(|column| column.slice(row, 1)).collect();
                    let key = (name.clone(), split.clone(), ids.value(row).to_string());
                    assert!(rows.insert(key.clone(), slices).is_none(), "{key:?} twice");
                }
            }
        }
    }
    rows
}

/// The card with its byte sizes and file counts masked: a merged table has a file per
/// shard, and Parquet files cut elsewhere hold the same rows in other row groups, so
/// `num_bytes` and the download sizes may differ by a few bytes.
pub fn card_without_sizes(dataset: &Path) -> String {
    let card = fs::read_to_string(dataset.join("README.md")).expect("reads the card");
    let sized = ["num_bytes", "download_size", "dataset_size", "MB", "kB", "bytes"];
    card.lines()
        .filter(|line| !sized.iter().any(|word| line.contains(word)))
        .map(|line| match line.strip_suffix(" |").and_then(|rest| rest.rsplit_once(" | ")) {
            // A row of the configs table: `| config | split | rows | files |`.
            Some((row, files)) if line.matches('|').count() == 5 && files.parse::<u32>().is_ok() => format!("{row} |"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every file under `dir` (recursively), relative to `root`, with its bytes.
pub fn files_under(root: &Path, dir: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    let base = root.join(dir);
    if !base.exists() {
        return BTreeMap::new();
    }
    walkdir::WalkDir::new(&base)
        .into_iter()
        .map(|entry| entry.expect("entry"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry.path().strip_prefix(root).expect("inside").to_path_buf();
            (relative, fs::read(entry.path()).expect("reads"))
        })
        .collect()
}

/// Panics if a temporary file of prep's output writer is left anywhere under `dir`.
pub fn assert_no_temporary_files(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy();
        assert!(!name.contains(".prep-tmp-") && !name.ends_with(".partial"), "left behind: {}", entry.path().display());
    }
}

/// Asserts that `merged` holds exactly the dataset `single` holds: every table's rows
/// by id (ABC, audio bytes and embeddings included), the chat export and the JSONL
/// records byte for byte, every clip's and piece's audio file, the card (sizes aside)
/// and a manifest of relative paths.
pub fn assert_same_dataset(single: &Path, merged: &Path) {
    let (expected, actual) = (tables(single), tables(merged));
    assert!(!expected.is_empty());
    let configs: std::collections::BTreeSet<&str> = expected.keys().map(|(config, _, _)| config.as_str()).collect();
    assert_eq!(configs.into_iter().collect::<Vec<_>>(), ["clips", "embeddings", "qa"]);
    assert_eq!(expected.keys().collect::<Vec<_>>(), actual.keys().collect::<Vec<_>>(), "different rows");
    for (key, row) in &expected {
        let other = &actual[key];
        for (column, (a, b)) in row.iter().zip(other).enumerate() {
            assert!(a.as_ref() == b.as_ref(), "{key:?}: column {column} differs");
        }
    }
    for dir in ["chat", "audio"] {
        let (a, b) = (files_under(single, dir), files_under(merged, dir));
        assert!(!a.is_empty(), "the single run wrote nothing under {dir}/");
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "other files under {dir}/");
        for (path, bytes) in &a {
            assert!(bytes == &b[path], "{} differs", path.display());
        }
    }
    for relative in [".prep/clips.jsonl", ".prep/qa.jsonl"] {
        let read = |root: &Path| fs::read(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
        assert!(read(single) == read(merged), "{relative} differs");
    }
    assert_eq!(card_without_sizes(single), card_without_sizes(merged));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(merged.join(".prep/manifest.json")).expect("a manifest")).expect("JSON");
    let tables = manifest["tables"].as_object().expect("tables");
    assert_eq!(tables.len(), 3);
    for (config, table) in tables {
        for (split, files) in table["splits"].as_object().expect("splits") {
            let files = files["files"].as_array().expect("files");
            for (k, file) in files.iter().enumerate() {
                let expected = format!("data/{config}/{split}-{k:05}-of-{:05}.parquet", files.len());
                assert_eq!(file.as_str(), Some(expected.as_str()), "the manifest's paths are relative, renumbered");
            }
        }
    }
    assert_no_temporary_files(merged);
}
