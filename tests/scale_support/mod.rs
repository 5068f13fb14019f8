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

/// The `num_examples` lines of a card's front matter, in order.
pub fn card_counts(dataset: &Path) -> Vec<String> {
    let card = fs::read_to_string(dataset.join("README.md")).expect("reads the card");
    card.lines().filter(|line| line.contains("num_examples") || line.contains("config_name")).map(str::to_string).collect()
}

/// Asserts that `merged` holds exactly the dataset `single` holds.
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
    for relative in ["chat.jsonl", ".prep/clips.jsonl", ".prep/qa.jsonl"] {
        let read = |root: &Path| fs::read(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
        assert!(read(single) == read(merged), "{relative} differs");
    }
    assert_eq!(card_counts(single), card_counts(merged));
}
