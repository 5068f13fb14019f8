//! `prep eval` on a dataset folder built by the real pipeline: the oracle scores 0 on
//! clips of the split asked for, an empty split is refused naming the splits there are,
//! and the endpoint is sent each clip's WAV bytes and the
//! dataset's transcription question.

mod eval_support;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use base64::Engine as _;
use eval_support::{Reply, Server, completion, config};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use prep::datasets::Split;
use prep::eval::evaluate::{EvalOptions, Source, run};
use prep::pipeline::{self, Pipeline};
use serde_json::Value;

/// Builds a 3-piece demo dataset (one test piece, the rest train) under `dir`.
fn build_dataset(dir: &Path) -> PathBuf {
    let out = dir.join("dataset");
    let yaml = format!(
        "output: {}\nsource: {{kind: demo, pieces: 3, seed: 1}}\nsplits: {{test: 0.34, validation: 0}}\n\
         clips: {{length_s: 10}}\n",
        out.display()
    );
    pipeline::run(&Pipeline::parse(&yaml).expect("a valid pipeline")).expect("the pipeline runs");
    out
}

/// Every record batch of the one shard of `table` for the test split.
fn test_shard(dataset: &Path, table: &str) -> Vec<RecordBatch> {
    let path = dataset.join("data").join(table).join("test-00000-of-00001.parquet");
    let file = File::open(&path).expect("the test shard");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet").build().expect("a reader");
    reader.map(|batch| batch.expect("a batch")).collect()
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<String> {
    let column = batch.column_by_name(name).expect("the column").as_string::<i32>();
    column.iter().map(|value| value.expect("not null").to_string()).collect()
}

/// The test clips' ids, with their WAV bytes and their transcription question.
fn test_clips(dataset: &Path) -> HashMap<String, (Vec<u8>, String)> {
    let mut questions = HashMap::new();
    for batch in test_shard(dataset, "qa") {
        let rows = strings(&batch, "clip_id").into_iter().zip(strings(&batch, "kind")).zip(strings(&batch, "question"));
        questions.extend(rows.filter(|((_, kind), _)| kind == "transcription").map(|((id, _), q)| (id, q)));
    }
    let mut clips = HashMap::new();
    for batch in test_shard(dataset, "clips") {
        let audio = batch.column_by_name("audio").expect("audio").as_struct();
        let bytes = audio.column_by_name("bytes").expect("audio.bytes").as_binary::<i32>();
        for (row, id) in strings(&batch, "id").into_iter().enumerate() {
            let question = questions.remove(&id).expect("every clip has a transcription question");
            clips.insert(id, (bytes.value(row).to_vec(), question));
        }
    }
    clips
}

#[test]
fn the_oracle_scores_zero_on_test_clips_of_a_dataset_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dataset = build_dataset(dir.path());
    let test = test_clips(&dataset);
    assert!(test.len() >= 2, "the test piece gives {} clips", test.len());
    let report = dir.path().join("report");
    let eval = |split: &str| {
        let args = ["--baseline", "oracle", "--samples", "2", "--runs", "2", "--split", split, "--out"];
        Command::new(env!("CARGO_BIN_EXE_prep")).arg("eval").arg(&dataset).args(args).arg(&report).output()
    };
    let output = eval("test").expect("run prep");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let scores: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(report.join("scores.json")).expect("scores.json")).expect("JSON");
    assert_eq!(scores.len(), 4);
    for row in &scores {
        for loss in ["pitch", "metre", "tempo", "instrument", "total"] {
            assert_eq!(row[loss], 0.0, "{loss} of {row}");
        }
    }
    let mut ids: Vec<&str> = scores.iter().map(|row| row["id"].as_str().expect("an id")).collect();
    ids.dedup();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.iter().all(|id| test.contains_key(*id)), "{ids:?} are not all test clips of {:?}", test.keys());

    let refused = eval("validation").expect("run prep");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("has no clip in split \"validation\" (splits found: [\"test\", \"train\"])"), "{stderr}");
}

#[test]
fn the_endpoint_gets_the_wav_bytes_and_the_dataset_question() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dataset = build_dataset(dir.path());
    let test = test_clips(&dataset);
    let server = Server::start((0..4).map(|_| Reply::Json(200, completion("X:1\nK:C\nC|"))).collect());
    let options = EvalOptions {
        dataset,
        split: Split::Test,
        samples: 2,
        runs: 2,
        seed: 0,
        source: Source::Endpoint(config(&server.url)),
        out: dir.path().join("report"),
        reward_config: None,
        worst: 0,
    };
    assert_eq!(run(&options).expect("eval runs").answers, 4);

    let mut asked: Vec<&str> = server
        .finish()
        .iter()
        .map(|body| {
            let content = &body["messages"][0]["content"];
            let data = content[0]["input_audio"]["data"].as_str().expect("base64 audio");
            let wav = base64::engine::general_purpose::STANDARD.decode(data).expect("valid base64");
            let (id, (_, question)) = test.iter().find(|(_, (bytes, _))| *bytes == wav).expect("a test clip's WAV");
            assert_eq!(content[1]["text"], question.as_str(), "the question of {id}");
            id.as_str()
        })
        .collect();
    asked.sort_unstable();
    asked.dedup();
    assert_eq!(asked.len(), 2, "two clips, two runs each: {asked:?}");
}
