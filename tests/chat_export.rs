//! The dataset as a trainer meets it, checked with the real Python stack on a small demo
//! dataset made here by `prep run`:
//! - every config of the card loads with no warning, and the chat export
//!   (`chat/<split>.jsonl`) comes back row for row as written, its audio files holding each
//!   clip's own seconds, under the pinned `datasets` (python3, tests/fixtures/requirements.txt)
//!   and the current one (the interpreter in `PREP_EXAMPLES_PYTHON`, examples/requirements.txt),
//!   which also renders each row with Qwen2-Audio's chat template (one audio placeholder, the
//!   question and the answer);
//! - examples/train_qwen2_audio.py runs a few optimizer steps of TRL SFT on a tiny
//!   random-weight Qwen2-Audio built from a config, and the loss is finite.
//!
//! Each check is skipped, saying why, when its interpreter lacks the packages (.ci/run
//! installs both).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The interpreter of the examples' environment: `PREP_EXAMPLES_PYTHON`, else python3.
fn examples_python() -> String {
    std::env::var("PREP_EXAMPLES_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Ok when `python` imports every module of `modules`.
fn imports(python: &str, modules: &str) -> Result<(), String> {
    let status = Command::new(python).args(["-c", &format!("import {modules}")]).stderr(Stdio::null()).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => Err(format!("{python} cannot import {modules}")),
        Err(e) => Err(format!("{python} is not runnable: {e}")),
    }
}

/// A demo dataset of 4 pieces cut into 10 s clips, written by the prep binary.
fn small_dataset(dir: &Path) -> PathBuf {
    let out = dir.join("dataset");
    let pipeline = dir.join("small.yaml");
    let text = format!(
        "title: small\noutput: {}\nsource:\n  kind: demo\n  pieces: 4\n  seed: 3\nsplits:\n  seed: 1\n  test: 0.25\n  \
         validation: 0.25\nclips:\n  length_s: 10\n",
        out.display()
    );
    std::fs::write(&pipeline, text).expect("pipeline");
    let run = Command::new(env!("CARGO_BIN_EXE_prep")).arg("run").arg(&pipeline).output().expect("prep runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    out
}

fn run_python(python: &str, args: &[&Path]) -> Value {
    let output = Command::new(python).args(args).output().expect("python runs");
    assert!(output.status.success(), "{python} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{python} printed no JSON ({e}):\n{stdout}"))
}

#[test]
fn the_card_and_the_chat_export_load_without_warnings_under_pinned_and_current_datasets() {
    let interpreters = [("python3".to_string(), "3.6.0"), (examples_python(), "")];
    let ready: Vec<&(String, &str)> = interpreters
        .iter()
        .filter(|(python, _)| match imports(python, "datasets, soundfile, yaml") {
            Ok(()) => true,
            Err(reason) => {
                eprintln!("skipping the datasets check with {python}: {reason}");
                false
            }
        })
        .collect();
    if ready.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let dataset = small_dataset(dir.path());
    let script = repo().join("tests/fixtures/shards/check_loads.py");
    let clips = std::fs::read_to_string(dataset.join(".prep/clips.jsonl")).expect("clips.jsonl");
    let windows: std::collections::BTreeMap<String, f64> = clips
        .lines()
        .map(|line| {
            let clip: Value = serde_json::from_str(line).expect("a clip");
            let length = clip["end_s"].as_f64().unwrap_or(0.0) - clip["start_s"].as_f64().unwrap_or(0.0);
            (clip["id"].as_str().unwrap_or_default().to_string(), length)
        })
        .collect();
    let mut versions = Vec::new();
    for (index, (python, pinned)) in ready.into_iter().enumerate() {
        let cache = dir.path().join(format!("cache-{index}"));
        let report = run_python(python, &[&script, &dataset, &cache]);
        let version = report["datasets_version"].as_str().unwrap_or_default().to_string();
        if !pinned.is_empty() && version != *pinned {
            eprintln!("note: {python} has datasets {version}, not the pinned {pinned}");
        }
        assert_eq!(report["warnings"], serde_json::json!([]), "datasets {version} warned");
        assert_eq!(report["configs"]["clips"]["train"], 10, "datasets {version}: {report}");
        assert_eq!(report["configs"]["qa"]["test"], 30, "datasets {version}: {report}");
        for split in ["train", "validation", "test"] {
            let chat = &report["chat"][split];
            assert_eq!(chat["problems"], serde_json::json!([]), "datasets {version}, {split}");
            // Six questions per clip; each clip's file holds exactly its window's seconds.
            let seconds = chat["seconds"].as_object().expect("seconds per clip");
            assert_eq!(chat["rows"].as_u64(), Some(6 * seconds.len() as u64), "datasets {version}, {split}");
            for (id, got) in seconds {
                let want = windows.get(id.as_str()).unwrap_or_else(|| panic!("{id} is not a clip"));
                let got = got.as_f64().unwrap_or(f64::NAN);
                assert!((got - want).abs() < 1e-3, "{id}: {got} s of audio for a {want} s window");
            }
        }
        versions.push((version, report["rendered"] == true));
    }
    eprintln!("checked with datasets (version, template rendered): {versions:?}");
}

#[test]
fn the_training_example_runs_tiny_qwen2_audio_sft_steps_with_a_finite_loss() {
    let python = examples_python();
    if let Err(reason) = imports(&python, "torch, transformers, trl, datasets, soundfile, soxr") {
        eprintln!("skipping the training example: {reason} (examples/requirements.txt)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let dataset = small_dataset(dir.path());
    let output = Command::new(&python)
        .arg(repo().join("examples/train_qwen2_audio.py"))
        .args(["--tiny", "--max-steps", "3", "--dataset"])
        .arg(&dataset)
        .arg("--output-dir")
        .arg(dir.path().join("run"))
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("python runs");
    assert!(output.status.success(), "the example failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("a JSON summary");
    assert_eq!(report["steps"], 3, "{report}");
    let losses: Vec<f64> = report["losses"].as_array().expect("losses").iter().filter_map(Value::as_f64).collect();
    assert_eq!(losses.len(), 3, "{report}");
    // A random model over a 512-token vocabulary starts near ln 512 = 6.24.
    assert!(losses.iter().all(|l| l.is_finite() && *l > 0.0 && *l < 20.0), "{losses:?}");
}
