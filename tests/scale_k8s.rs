//! The Kubernetes manifest: valid against the batch/v1 Job schema (`kubernetes-validate`
//! from PyPI, offline; skipped when it is not installed), its shard count stated
//! consistently, and its pods' shard taken by the same code path as SLURM's
//! (`JOB_COMPLETION_INDEX` read by prep's `Partition::resolve`, checked against
//! `--num-shards`): the pods' own args run every shard of a small demo, the merge Job's
//! wait script sees them finish and its args merge them. No Kubernetes cluster runs.

mod scale_support;

use std::path::Path;
use std::process::Command;

use scale_support::prep;

fn manifest() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s/prep-indexed-job.yaml")
}

#[test]
fn the_manifest_validates_against_the_job_schema() {
    let validate = |path: &Path| Command::new("kubernetes-validate").args(["--strict", "-k", "1.29.0"]).arg(path).output();
    let Ok(valid) = validate(&manifest()) else {
        println!("skipped: kubernetes-validate is not installed (pip install kubernetes-validate)");
        return;
    };
    let said = String::from_utf8_lossy(&valid.stdout).into_owned() + &String::from_utf8_lossy(&valid.stderr);
    assert!(valid.status.success() && said.matches("passed").count() == 2, "{said}");
    // The validator does reject a misspelt field.
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.yaml");
    let text = std::fs::read_to_string(manifest()).expect("reads").replace("  parallelism:", "  paralelism:");
    std::fs::write(&broken, text).expect("writes");
    assert!(!validate(&broken).expect("runs").status.success());
}

#[test]
fn the_shard_count_agrees_and_pods_take_their_index_like_slurm_tasks() {
    let text = std::fs::read_to_string(manifest()).expect("reads");
    let documents: Vec<&str> = text.split("\n---\n").collect();
    assert_eq!(documents.len(), 2);
    let job: serde_json::Value = yaml_serde::from_str(documents[0]).expect("the run Job parses");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let completions = spec["completions"].as_u64().expect("completions");
    assert_eq!(spec["parallelism"].as_u64(), Some(completions));
    let args: Vec<String> = spec["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string").to_string())
        .collect();
    let at = args.iter().position(|a| a == "--num-shards").expect("--num-shards");
    assert_eq!(args[at + 1], completions.to_string());
    assert!(!args.iter().any(|a| a == "--shard-index"), "the index must come from JOB_COMPLETION_INDEX");
    let merge: serde_json::Value = yaml_serde::from_str(documents[1]).expect("the merge Job parses");
    let wait = &merge["spec"]["template"]["spec"]["initContainers"][0]["env"][0];
    assert_eq!((wait["name"].as_str(), wait["value"].as_str()), (Some("SHARDS"), Some(completions.to_string().as_str())));

    // The pods' command line, as prep reads it: an index past the Job's completions is refused.
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let pipeline = dir.path().join("pipeline.yaml");
    std::fs::write(&pipeline, "output: x\nsource:\n  kind: demo\n").expect("writes");
    args[1] = pipeline.to_str().expect("utf-8");
    let output = prep(&args, &[("JOB_COMPLETION_INDEX", &completions.to_string())]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("shard index {completions} is not below the number of shards {completions}")), "{stderr}");

    // Every pod, as the Job starts it (its args, JOB_COMPLETION_INDEX 0..completions), on a
    // small demo; the merge Job's wait script then finds every done marker, and its
    // `prep merge` assembles the shards.
    let out = dir.path().join("out");
    std::fs::write(&pipeline, format!("output: {}\nsource:\n  kind: demo\n  pieces: 2\nclips:\n  length_s: 10\n", out.display()))
        .expect("writes");
    let at_output = args.iter().position(|a| *a == "--output").expect("--output") + 1;
    let out_text = out.to_str().expect("utf-8").to_string();
    args[at_output] = &out_text;
    for index in 0..completions {
        scale_support::ok(prep(&args, &[("JOB_COMPLETION_INDEX", &index.to_string())]));
    }
    let init = &merge["spec"]["template"]["spec"]["initContainers"][0];
    let script = init["args"][0].as_str().expect("the wait script").replace("/data/out", &out_text);
    let waited = Command::new("timeout")
        .args(["10", "sh", "-c", &script])
        .env("SHARDS", completions.to_string())
        .status()
        .expect("runs the wait script");
    assert!(waited.success(), "the merge Job's wait script does not see the shards' done markers");
    let merge_args: Vec<String> = merge["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string").replace("/data/out", &out_text))
        .collect();
    let merge_args: Vec<&str> = merge_args.iter().map(String::as_str).collect();
    let merged = scale_support::ok(prep(&merge_args, &[]));
    assert!(merged.contains(&format!("run ({completions} shards)")), "{merged}");
    assert!(out.join("data/clips").is_dir() && out.join("chat").is_dir());
}
