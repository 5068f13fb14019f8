//! How the binary writes: files get `0666 & !umask` whatever they are (ABC, README.md,
//! chat.jsonl, audio, the resumable work area, Parquet), `-o` onto a symbolic link writes
//! its target, a full disk on stdout is an error and a closed stdout a quiet exit 0, a
//! closed or full stderr never a panic, an output folder that cannot be made is named in
//! the message, and `--version` names the build (`prep::version::BUILD`).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PREP: &str = env!("CARGO_BIN_EXE_prep");

fn prep(args: &[&str]) -> Output {
    Command::new(PREP).args(args).output().expect("run prep")
}

/// `prep ARGS` under `umask MASK`, through sh so that the mask is set in the child only.
fn prep_under_umask(mask: &str, args: &[&str]) -> Output {
    let script = format!("umask {mask} && exec \"$0\" \"$@\"");
    Command::new("sh").arg("-c").arg(script).arg(PREP).args(args).output().expect("run sh")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A generated MIDI file in `dir`.
fn midi_file(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("gen");
    let output = prep(&["generate", "-o", out.to_str().expect("utf-8"), "--pieces", "1", "--bars", "4"]);
    assert!(output.status.success(), "{}", stderr(&output));
    out.join("piece-0000.mid")
}

/// The permission bits of every file under `dir`, by relative path.
fn modes(dir: &Path) -> BTreeMap<String, u32> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let mode = e.metadata().expect("stat").permissions().mode() & 0o777;
            (e.path().strip_prefix(dir).expect("under dir").to_string_lossy().into_owned(), mode)
        })
        .collect()
}

#[test]
fn every_file_of_a_pipeline_run_follows_the_umask() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (mask, expected) in [("022", 0o644), ("077", 0o600)] {
        let out = dir.path().join(format!("out{mask}"));
        let pipeline = dir.path().join("demo.yaml");
        let text = format!(
            "output: {}\nsource:\n  kind: demo\n  pieces: 2\n  seed: 3\nclips:\n  length_s: 10\n",
            out.display()
        );
        std::fs::write(&pipeline, text).expect("write pipeline");
        let output = prep_under_umask(mask, &["run", pipeline.to_str().expect("utf-8")]);
        assert!(output.status.success(), "{}", stderr(&output));
        let modes = modes(&out);
        for name in ["README.md", "chat/train.jsonl", ".prep/clips.jsonl", ".prep/qa.jsonl", "audio/00.wav"] {
            assert!(modes.contains_key(name), "{name} missing from {modes:?}");
        }
        assert!(modes.keys().any(|name| name.ends_with(".parquet")), "{modes:?}");
        let wrong: Vec<_> = modes.iter().filter(|(_, mode)| **mode != expected).collect();
        assert!(wrong.is_empty(), "umask {mask}: expected {expected:o}, got {wrong:?}");
    }
}

#[test]
fn output_onto_a_symlink_writes_its_target_and_replacing_a_file_takes_the_umask() {
    let dir = tempfile::tempdir().expect("temp dir");
    let midi = midi_file(dir.path());
    let target = dir.path().join("t.abc");
    std::fs::write(&target, "old").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = dir.path().join("l.abc");
    std::os::unix::fs::symlink("t.abc", &link).expect("symlink");

    let output = prep_under_umask("022", &["midi2abc", midi.to_str().expect("utf-8"), "-o", link.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(std::fs::symlink_metadata(&link).expect("lstat").file_type().is_symlink());
    let text = std::fs::read_to_string(&target).expect("read");
    assert!(text.starts_with("X:1\n"), "{text}");
    // The replaced file is a new file: the umask's mode, not the old 0600.
    assert_eq!(std::fs::metadata(&target).expect("stat").permissions().mode() & 0o777, 0o644);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("list").map(|e| e.expect("entry").file_name()).collect();
    assert!(names.iter().all(|name| !prep::output::is_temp_name(name)), "{names:?}");

    let output = prep(&["midi2abc", midi.to_str().expect("utf-8"), "-o", "/dev/null"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_full_stdout_is_an_error_and_a_closed_one_a_quiet_exit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let midi = midi_file(dir.path());
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("open /dev/full");
    let output = Command::new(PREP)
        .args(["midi2abc", midi.to_str().expect("utf-8")])
        .stdout(full)
        .output()
        .expect("run prep");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("error: writing to stdout: No space left on device"), "{}", stderr(&output));

    // `-o /dev/stdout` with stdout a pipe: written through the pipe, not renamed over.
    let output = prep(&["midi2abc", midi.to_str().expect("utf-8"), "-o", "/dev/stdout"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("X:1\n"), "{}", stderr(&output));

    // The reader of stdout is gone before the first reply: exit 0, nothing on stderr.
    let mut child = Command::new(PREP)
        .args(["reward", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn prep");
    drop(child.stdout.take());
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        // The child may already have exited on the broken pipe: ignore errors here.
        let _ = stdin.write_all(b"{\"truth\": \"\", \"prediction\": \"\"}\n");
    }
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
}

#[test]
fn a_closed_or_full_stderr_never_makes_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let midi = midi_file(dir.path());
    let abc = dir.path().join("x.abc");
    let (midi, abc) = (midi.to_str().expect("utf-8"), abc.to_str().expect("utf-8"));
    let missing = dir.path().join("missing.mid");
    // A success (the summary goes to stderr) and an error (the message goes to stderr).
    let runs: [(&[&str], i32); 2] = [(&["midi2abc", midi, "-o", abc], 0), (&["midi2abc", missing.to_str().expect("utf-8")], 2)];
    for (args, status) in runs {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("open /dev/full");
        let output = Command::new(PREP).args(args).stderr(full).output().expect("run prep");
        assert_eq!(output.status.code(), Some(status), "stderr on /dev/full: {args:?}");
        // `2>&-`: the descriptor is closed, not redirected.
        let output =
            Command::new("sh").arg("-c").arg("exec \"$0\" \"$@\" 2>&-").arg(PREP).args(args).output().expect("run sh");
        assert_eq!(output.status.code(), Some(status), "stderr closed: {args:?}");
    }
    assert!(std::fs::read_to_string(abc).expect("read").contains("K:"));
}

#[test]
fn an_output_folder_that_cannot_be_made_is_named_with_the_os_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A file where a folder should be (permissions cannot be used: the tests may run as root).
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").expect("write");
    let pipeline = dir.path().join("demo.yaml");
    std::fs::write(&pipeline, "output: unused\nsource:\n  kind: demo\n  pieces: 1\n").expect("write");
    let out = blocker.join("out");
    let output = prep(&["run", pipeline.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(&format!("creating the output folder {}", out.join(".prep").display())), "{message}");
    assert!(message.contains("Not a directory (os error 20)"), "{message}");
    assert!(!message.contains("listing the demo source"), "{message}");
}

#[test]
fn the_version_names_the_build_that_keys_caches_and_fingerprints() {
    let output = prep(&["--version"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(printed.trim_end(), format!("prep {}", prep::version::BUILD));
}
