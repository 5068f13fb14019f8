//! Kill tests: `prep run` and `prep embed` killed with SIGKILL at points spread over a
//! clean run's time (each kill on top of the leftovers of the ones before), then run to
//! the end, give byte for byte the clean run's result and leave no temporary file.
//!
//! The points are fractions of a clean run's wall time measured in the same test, so
//! they land in every stage however fast the machine is: 12 for `prep run` (listing,
//! pieces, collecting, shards, embeddings) and 10 for `prep embed`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn prep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_prep"))
}

/// Runs `args` to the end; returns its wall time.
fn complete(args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = prep().args(args).output().expect("run prep");
    assert!(output.status.success(), "prep {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    started.elapsed()
}

/// Starts `args` `points` times, killing each with SIGKILL after an even share of
/// `clean` (from 1/2 share to all but 1/2 share of it).
fn kill_repeatedly(args: &[&str], clean: Duration, points: u32) {
    for point in 0..points {
        let delay = clean.mul_f64((f64::from(point) + 0.5) / f64::from(points));
        let mut child = prep().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start prep");
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL"); // an error would mean it is gone already: the run finished
        child.wait().expect("reaped");
    }
}

/// Every file under `dir` with its bytes, the work area `.prep` left out when asked
/// (its entries hold absolute paths), and the paths of the one output folder made the
/// same as the other's.
fn snapshot(dir: &Path, with_work_area: bool, rename: (&str, &str)) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.expect("listable"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let name = entry.path().strip_prefix(dir).expect("under dir").to_string_lossy().into_owned();
            let bytes = std::fs::read(entry.path()).expect("readable");
            (name, bytes)
        })
        .filter(|(name, _)| with_work_area || !name.starts_with(".prep"))
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes.clone());
            let bytes = text.map_or(bytes, |text| text.replace(rename.0, rename.1).into_bytes());
            (name, bytes)
        })
        .collect()
}

/// Temporary files (`.<name>.prep-tmp-*` from atomic writes, `*.partial` shards) anywhere under `dir`.
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| {
            prep::output::is_temp_name(entry.file_name()) || entry.file_name().to_string_lossy().ends_with(".partial")
        })
        .map(|entry| entry.into_path())
        .collect()
}

fn assert_same(got: &BTreeMap<String, Vec<u8>>, expected: &BTreeMap<String, Vec<u8>>) {
    assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (name, bytes) in expected {
        assert!(got[name] == *bytes, "{name} differs from the clean run's");
    }
}

fn pipeline(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.yaml"));
    let text = format!(
        "output: {}\nsource:\n  kind: demo\n  pieces: 1\n  seed: 3\nclips:\n  length_s: 10\nembeddings:\n  model: mel\n",
        dir.join(name).display()
    );
    std::fs::write(&path, text).expect("write the pipeline");
    path
}

#[test]
fn prep_run_killed_at_12_points_resumes_to_the_clean_dataset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clean = pipeline(dir.path(), "clean");
    let clean_time = complete(&["run", clean.to_str().expect("UTF-8")]);
    let expected = snapshot(&dir.path().join("clean"), false, ("", ""));

    let killed = pipeline(dir.path(), "killed");
    let args = ["run", killed.to_str().expect("UTF-8")];
    kill_repeatedly(&args, clean_time, 12);
    complete(&args);
    let out = dir.path().join("killed");
    assert_eq!(temporary_files(&out), Vec::<PathBuf>::new());
    // The chat lines name the audio files, which live in each output folder.
    assert_same(&snapshot(&out, false, ("killed", "clean")), &expected);
    let entries = |root: &Path| std::fs::read_dir(root.join(".prep/pieces")).expect("pieces").count();
    assert_eq!(entries(&out), entries(&dir.path().join("clean")), "the store holds exactly the run's pieces");
}

#[test]
fn prep_embed_killed_at_10_points_resumes_to_the_clean_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A recording from the demo source, made by a short pipeline run.
    let source = pipeline(dir.path(), "source");
    complete(&["run", source.to_str().expect("UTF-8")]);
    let audio = dir.path().join("source/audio");

    let embed = |out: &Path| {
        let (audio, out) = (audio.to_str().expect("UTF-8"), out.to_str().expect("UTF-8"));
        ["embed", audio, "--clip-length", "5", "-o", out].map(String::from)
    };
    let clean_out = dir.path().join("clean");
    let clean_args = embed(&clean_out);
    let clean_time = complete(&clean_args.each_ref().map(String::as_str));
    let expected = snapshot(&clean_out, true, ("", ""));

    let out = dir.path().join("killed");
    let args = embed(&out);
    let args = args.each_ref().map(String::as_str);
    kill_repeatedly(&args, clean_time, 10);
    complete(&args);
    assert_eq!(temporary_files(&out), Vec::<PathBuf>::new());
    assert_same(&snapshot(&out, true, ("killed", "clean")), &expected);
}
