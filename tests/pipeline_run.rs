//! `prep run`: pipeline files are checked with line numbers, the demo pipeline builds a
//! dataset, a re-run reuses finished pieces, and a run killed with SIGKILL at any moment
//! resumes to exactly the dataset a clean run makes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use prep::pipeline::Pipeline;

fn prep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prep")).args(args).output().expect("run prep")
}

/// A small demo pipeline writing to `out`.
fn demo_pipeline(dir: &Path, out: &Path) -> std::path::PathBuf {
    let path = dir.join("demo.yaml");
    let text = format!(
        "output: {}\nsource:\n  kind: demo\n  pieces: 4\n  seed: 3\nsplits:\n  seed: 1\n  test: 0.25\n  validation: 0.25\nclips:\n  length_s: 10\n",
        out.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Every file under `dir` (except the resumable work area) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .filter(|(name, _)| !name.starts_with(".prep"))
        .collect()
}

#[test]
fn unknown_keys_and_wrong_types_name_the_line() {
    let error = Pipeline::parse("output: x\nsource:\n  kind: demo\nclips:\n  length: 25\n").unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("unknown field `length`") && message.contains("line 5"), "{message}");

    let error = Pipeline::parse("output: x\nsource:\n  kind: demo\n  pieces: many\n").unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("invalid type") && message.contains("line 4"), "{message}");

    let error = Pipeline::parse("output: x\nsource:\n  kind: nope\n").unwrap_err();
    assert!(format!("{error:#}").contains("unknown variant `nope`") && format!("{error:#}").contains("line 3"));

    let error = Pipeline::parse("output: x\nsource:\n  kind: urmp\n  pieces: 3\n  path: u\n").unwrap_err();
    assert_eq!(format!("{error:#}"), "source.pieces only goes with kind demo, not urmp");
    let error = Pipeline::parse("output: x\nsource:\n  kind: folder\n").unwrap_err();
    assert_eq!(format!("{error:#}"), "source.path is required for kind folder");

    let error = Pipeline::parse("output: x\nsource:\n  kind: demo\nquantize: grid:0\n").unwrap_err();
    assert!(format!("{error:#}").contains("grid:N (N > 0)"), "{error:#}");

    let error = Pipeline::parse("output: x\nsource:\n  kind: demo\nclips:\n  length_s: 0\n").unwrap_err();
    assert!(format!("{error:#}").contains("length"), "{error:#}");
}

#[test]
fn a_bad_pipeline_file_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.yaml");
    std::fs::write(&path, "output: x\nsorce:\n  kind: demo\n").unwrap();
    let run = prep(&["run", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("typo.yaml") && stderr.contains("unknown field `sorce`"), "{stderr}");
}

#[test]
fn every_shipped_pipeline_parses() {
    for name in ["demo", "urmp", "musicnet", "folder"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines").join(format!("{name}.yaml"));
        Pipeline::load(&path).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    }
}

#[test]
fn the_demo_builds_a_dataset_and_a_rerun_reuses_every_piece() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let pipeline = demo_pipeline(dir.path(), &out);
    let first = prep(&["run", pipeline.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("run: 4 pieces (0 reused)") && stderr.contains("0 problems"), "{stderr}");
    let files = snapshot(&out);
    for name in [
        "README.md",
        "chat/train.jsonl",
        "chat/test.jsonl",
        "audio/clips/demo/00/0000.wav",
        "data/clips/train-00000-of-00001.parquet",
        "data/qa/test-00000-of-00001.parquet",
    ] {
        assert!(files.contains_key(name), "{name} missing from {:?}", files.keys().collect::<Vec<_>>());
    }
    // No absolute path but the recipe's `output:` as written: the folder can be moved (the
    // demo's audio is inside it).
    let root = dir.path().to_str().unwrap();
    for name in [".prep/clips.jsonl", ".prep/manifest.json", "README.md", "chat/train.jsonl"] {
        let text = std::fs::read_to_string(out.join(name)).unwrap().replace(&format!("output: {}", out.display()), "");
        assert!(!text.contains(root), "{name} names {root}");
    }
    let clips = std::fs::read_to_string(out.join(".prep/clips.jsonl")).unwrap();
    assert!(clips.contains(r#""audio":{"path":"../audio/00.wav","start_s":0.0"#), "{clips}");

    let second = prep(&["run", pipeline.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&second.stderr).contains("run: 4 pieces (4 reused)"));
    assert_eq!(snapshot(&out), files, "a re-run changes nothing");
}

#[test]
fn damaged_or_edited_stored_pieces_are_named_and_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let pipeline = demo_pipeline(dir.path(), &out);
    assert!(prep(&["run", pipeline.to_str().unwrap()]).status.success());
    let expected = snapshot(&out);
    let mut entries: Vec<_> = std::fs::read_dir(out.join(".prep/pieces")).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    // One entry cut short, one edited by hand (a clip's ABC changed), a stray temp file.
    let bytes = std::fs::read(&entries[0]).unwrap();
    std::fs::write(&entries[0], &bytes[..bytes.len() / 2]).unwrap();
    let mut edited = std::fs::read(&entries[1]).unwrap();
    let key = edited.windows(2).position(|w| w == b"K:").expect("a key field");
    edited[key + 2] = b'X';
    std::fs::write(&entries[1], edited).unwrap();
    std::fs::write(out.join("audio/.00.wav.prep-tmp-KILLED"), b"half a wav").unwrap();
    // What earlier prep versions left (tempfile's `.tmpXXXXXX`): removed from the folders
    // only prep writes, kept in the output folder itself, which may be the user's.
    let legacy = [out.join("audio/.tmpAb3xYz"), out.join(".prep/.tmp0q9W8e"), out.join(".prep/pieces/.tmpZZZZZZ")];
    for path in legacy.iter().chain([&out.join(".tmpRoot01")]) {
        std::fs::write(path, b"an old version's temporary file").unwrap();
    }

    let rerun = prep(&["run", pipeline.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert_eq!(rerun.status.code(), Some(0), "{stderr}");
    for entry in &entries[..2] {
        let note = format!("note: {}: damaged cache entry", entry.display());
        assert!(stderr.contains(&note), "{note} missing from {stderr}");
    }
    assert!(stderr.contains("run: 4 pieces (2 reused)"), "{stderr}");
    assert!(!out.join("audio/.00.wav.prep-tmp-KILLED").exists(), "a killed run's temp file is removed");
    for path in &legacy {
        assert!(!path.exists(), "{} is removed", path.display());
    }
    std::fs::remove_file(out.join(".tmpRoot01")).expect("the output folder's own .tmpXXXXXX is kept");
    assert_eq!(snapshot(&out), expected, "the damaged pieces are made again, identically");
}

#[test]
fn offline_without_the_model_fails_before_any_stage_with_a_runnable_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let path = dir.path().join("whisper.yaml");
    let yaml = format!(
        "output: {}\nsource:\n  kind: demo\n  pieces: 2\nembeddings:\n  model: whisper\n  weights: nobody/no-such-model\n",
        out.display()
    );
    std::fs::write(&path, yaml).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_prep"))
        .args(["run", path.to_str().unwrap()])
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HOME", dir.path().join("hf"))
        .env_remove("HF_HUB_CACHE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(!out.exists(), "no stage ran: {stderr}");
    assert!(stderr.contains("loading the embedding model"), "{stderr}");
    let command = stderr.split('`').nth(1).unwrap_or_default();
    assert!(command.starts_with("hf download nobody/no-such-model --revision main --include "), "{stderr}");
    assert!(!command.contains(','), "one argument per file: {command}");
}
