//! Scale-out without a scheduler: three shards of a demo pipeline run as plain processes
//! at once, each told its shard the way an engine tells it (SLURM array variables,
//! Kubernetes' JOB_COMPLETION_INDEX, the flags); `prep merge` then gives exactly the
//! dataset of a single-process run (tables, ABC, chat files, audio bytes, embeddings),
//! resumes when killed, and refuses missing, unfinished and mismatched shards.

mod scale_support;

use std::fs;
use std::path::Path;
use std::process::Child;

use scale_support::{assert_same_dataset, demo_pipeline, ok, prep};

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_prep"));
    command.args(args).args(["-j", "1"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    for name in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).spawn().expect("starts prep")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("entry");
        let target = to.join(entry.path().strip_prefix(from).expect("inside"));
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
        } else {
            fs::copy(entry.path(), &target).expect("copies");
        }
    }
}

fn merge_error(out: &Path) -> String {
    let output = prep(&["merge", out.to_str().expect("utf-8")], &[]);
    assert_eq!(output.status.code(), Some(2), "merge should refuse");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn three_shards_merge_into_the_single_process_dataset_and_bad_shards_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let pipeline = demo_pipeline(dir.path(), "demo.yaml", &out, 4, 0);
    let pipeline = pipeline.to_str().expect("utf-8");

    // The single-process run, moved aside: the shards then write to the same path, so
    // the audio paths in the JSONL records agree.
    ok(prep(&["run", pipeline], &[]));
    let single = dir.path().join("single");
    fs::rename(&out, &single).expect("moves the single run");

    let tasks = [
        spawn(&["run", pipeline], &[("SLURM_ARRAY_TASK_ID", "10"), ("SLURM_ARRAY_TASK_MIN", "10"), ("SLURM_ARRAY_TASK_COUNT", "3")]),
        spawn(&["run", pipeline, "--num-shards", "3"], &[("JOB_COMPLETION_INDEX", "1")]),
        spawn(&["run", pipeline, "--num-shards", "3", "--shard-index", "2"], &[]),
    ];
    let mut pieces = 0;
    for task in tasks {
        let stderr = ok(task.wait_with_output().expect("waits"));
        pieces += stderr.split("run: ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse::<usize>().ok()).expect("a count");
    }
    assert_eq!(pieces, 4, "every piece in exactly one shard");
    let shards = out.join(".prep/shards");
    let unmerged = dir.path().join("unmerged");
    copy_tree(&out, &unmerged);

    let stderr = ok(prep(&["merge", out.to_str().expect("utf-8")], &[]));
    assert!(stderr.contains("run (3 shards)"), "{stderr}");
    assert_same_dataset(&single, &out);
    let names: Vec<String> = fs::read_dir(out.join("data/qa")).expect("lists").map(|e| e.expect("e").file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| n.contains("-of-00")), "{names:?}");
    // Idempotent: a second merge changes nothing.
    let card = fs::read(out.join("README.md")).expect("card");
    let again = ok(prep(&["merge", out.to_str().expect("utf-8")], &[]));
    assert!(again.contains("already merged"), "{again}");
    assert_eq!(fs::read(out.join("README.md")).expect("card"), card);
    assert_same_dataset(&single, &out);
    assert!(shards.join("run-0000-of-0003/merged.json").is_file());

    // A merge killed at any moment resumes: the re-run gives the same dataset and leaves
    // no temporary file. (Where the kill lands varies; every outcome must be right.)
    for (attempt, delay_ms) in [0u64, 3, 10, 30, 80].into_iter().enumerate() {
        let killed = dir.path().join(format!("killed-{attempt}"));
        copy_tree(&unmerged, &killed);
        let mut merge = spawn(&["merge", killed.to_str().expect("utf-8")], &[]);
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        merge.kill().expect("kills the merge");
        merge.wait().expect("reaps it");
        ok(prep(&["merge", killed.to_str().expect("utf-8")], &[]));
        assert_same_dataset(&single, &killed);
        fs::remove_dir_all(&killed).expect("cleans up");
    }

    // Refusals, on copies of the unmerged shards.
    let missing = dir.path().join("missing");
    copy_tree(&unmerged, &missing);
    fs::remove_dir_all(missing.join(".prep/shards/run-0001-of-0003")).expect("removes a shard");
    let error = merge_error(&missing);
    assert!(error.contains("shard 1 of 3 missing"), "{error}");

    let running = dir.path().join("running");
    copy_tree(&unmerged, &running);
    fs::remove_file(running.join(".prep/shards/run-0002-of-0003/done.json")).expect("unmarks a shard");
    let error = merge_error(&running);
    assert!(error.contains("shard 2 of 3 still running or killed"), "{error}");
    assert!(!running.join("data").exists(), "a refused merge moves nothing");

    // Shard 2 again with another Q&A seed: other settings.
    let other = demo_pipeline(dir.path(), "other.yaml", &unmerged, 4, 1);
    ok(prep(&["run", other.to_str().expect("utf-8"), "--num-shards", "3", "--shard-index", "2"], &[]));
    let error = merge_error(&unmerged);
    assert!(error.contains("other settings") && error.contains("shard 0, 1 (settings") && error.contains("shard 2 (settings"), "{error}");

    // A shard of a job of another size.
    let sizes = dir.path().join("sizes");
    copy_tree(&missing, &sizes);
    fs::create_dir_all(sizes.join(".prep/shards/run-0001-of-0004")).expect("mkdir");
    let error = merge_error(&sizes);
    assert!(error.contains("jobs of 3 and 4 shards"), "{error}");
}
