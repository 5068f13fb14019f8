//! Scale-out on a real SLURM: the shipped `deploy/slurm/submit.sh` submits the shipped
//! `prep-array.sbatch` as a 4-task run array, a merge, a 4-task embed array (the GPU
//! stage, here without `--gres`: the test node has no GPU) and the final merge, on a
//! one-node cluster (`deploy/slurm/test-cluster.sh`, started if it is not running); the
//! result must equal a single-process run of the same demo pipeline. Needs root and
//! Debian's `slurm-wlm` + `munge` (`.ci/run` installs them); skipped otherwise.

mod scale_support;

use std::fs;
use std::path::Path;
use std::process::Command;

use scale_support::{assert_same_dataset, demo_pipeline, ok, prep};

fn installed(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn a_slurm_job_array_gives_the_single_process_dataset() {
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !is_root || !["sbatch", "slurmctld", "slurmd", "munged"].iter().all(|p| installed(p)) {
        println!("skipped: needs root and SLURM (packages slurm-wlm and munge) to run a one-node cluster");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cluster = Command::new(root.join("deploy/slurm/test-cluster.sh")).output().expect("runs test-cluster.sh");
    let said = String::from_utf8_lossy(&cluster.stdout).into_owned();
    assert!(cluster.status.success(), "the cluster did not start:\n{said}\n{}", String::from_utf8_lossy(&cluster.stderr));
    let slurm_conf = said.lines().last().and_then(|l| l.strip_prefix("SLURM_CONF=")).expect("SLURM_CONF").to_string();

    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let pipeline = demo_pipeline(dir.path(), "demo.yaml", &out, 4, 0);
    ok(prep(&["run", pipeline.to_str().expect("utf-8")], &[]));
    let single = dir.path().join("single");
    fs::rename(&out, &single).expect("moves the single run");

    let submitted = Command::new(root.join("deploy/slurm/submit.sh"))
        .args([pipeline.to_str().expect("utf-8"), out.to_str().expect("utf-8"), "4"])
        .current_dir(dir.path())
        .env("SLURM_CONF", &slurm_conf)
        .env("PREP", env!("CARGO_BIN_EXE_prep"))
        .env("PREP_EMBED_ARGS", "--model mel --clip-length 10")
        .env("PREP_EMBED_GRES", "")
        .env("PREP_SBATCH_ARGS", "--cpus-per-task=1")
        .env("PREP_WAIT", "1")
        .output()
        .expect("runs submit.sh");
    let logs: Vec<String> = fs::read_dir(dir.path())
        .expect("lists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| format!("== {}\n{}", p.display(), fs::read_to_string(&p).unwrap_or_default()))
        .collect();
    assert!(
        submitted.status.success(),
        "the SLURM job failed:\n{}\n{}\n{}",
        String::from_utf8_lossy(&submitted.stdout),
        String::from_utf8_lossy(&submitted.stderr),
        logs.join("\n")
    );
    let shards = out.join(".prep/shards");
    for stage in ["run", "embed"] {
        for index in 0..4 {
            let marker = shards.join(format!("{stage}-{index:04}-of-0004/merged.json"));
            assert!(marker.is_file(), "{} missing; logs:\n{}", marker.display(), logs.join("\n"));
        }
    }
    assert_same_dataset(&single, &out);
}
