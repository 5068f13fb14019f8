//! `prep eval` engraves its worst answers with abcm2ps: truth and answer as SVG with the
//! notes the pitch loss counted in colour, or, when abcm2ps is not on PATH, a report and
//! a console line that name the missing tool; engravings of an earlier report go.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use prep::eval::report::engrave::{MISSED, TOOL, WRONG};
use serde_json::json;

const PREP: &str = env!("CARGO_BIN_EXE_prep");

const TRUTH: &str = "X:1\nT:solo\nM:4/4\nL:1/8\nQ:1/4=90\nK:G\nV:1 name=\"Violin\"\nGABc d2B2|c2A2 G4|\n";
/// The truth with its second-to-last note, A, answered as B and the chord [GB] added.
const ANSWER: &str = "X:1\nT:solo\nM:4/4\nL:1/8\nQ:1/4=90\nK:G\nV:1 name=\"Violin\"\nGABc d2B2|c2B2 G4 [GB]2|\n";

/// Writes the truth and a predictions file with one answer, runs `prep eval` with `path`
/// as PATH under `umask 077`, and returns its output and the report folder.
fn evaluate(dir: &Path, path: &std::ffi::OsStr) -> (Output, std::path::PathBuf) {
    fs::write(dir.join("solo.abc"), TRUTH).expect("write truth");
    let answer = json!({"id": "solo", "run": 0, "text": format!("Here it is:\n```abc\n{ANSWER}```\n")});
    fs::write(dir.join("answers.jsonl"), format!("{answer}\n")).expect("write answers");
    let out = dir.join("report");
    let output = Command::new("/bin/sh")
        .args(["-c", "umask 077 && exec \"$0\" \"$@\"", PREP])
        .args(["eval", "solo.abc", "--predictions", "answers.jsonl", "--runs", "1", "-o", "report"])
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("prep runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (output, out)
}

/// The part of an abcm2ps SVG drawn in `colour`: the groups it opens with that colour.
fn drawn_in(svg: &str, colour: &str) -> Vec<String> {
    svg.split(&format!("style=\"color:{colour};"))
        .skip(1)
        .map(|g| g.split("</g>").next().unwrap_or("").to_string())
        .collect()
}

/// Note heads drawn in a piece of abcm2ps SVG (filled, open and whole heads).
fn heads(svg: &str) -> usize {
    ["#hd\"", "#Hd\"", "#HD\""].iter().map(|h| svg.matches(h).count()).sum()
}

#[test]
fn worst_answers_are_engraved_with_the_counted_notes_in_colour() {
    if Command::new(TOOL).arg("-V").output().is_err() {
        println!("skipped: {TOOL} is not installed (package abcm2ps)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, out) = evaluate(dir.path(), &std::env::var_os("PATH").unwrap_or_default());
    let report = fs::read_to_string(out.join("report.md")).expect("report");
    assert!(report.contains("Engraved with abcm2ps-"), "{report}");
    assert!(report.contains("<img src=\"worst/1-truth.svg\""), "{report}");
    assert!(report.contains("<img src=\"worst/1-answer.svg\""), "{report}");

    for file in ["report.md", "worst/1-truth.svg", "worst/1-answer.svg"] {
        let mode = fs::metadata(out.join(file)).expect("written").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} follows the umask");
    }
    let answer = fs::read_to_string(out.join("worst/1-answer.svg")).expect("answer engraved");
    let wrong = drawn_in(&answer, WRONG);
    // The B for A, then the added chord: two marked elements, three heads.
    assert_eq!(wrong.len(), 2, "{answer}");
    assert_eq!(wrong.iter().map(|g| heads(g)).collect::<Vec<_>>(), [1, 2], "{answer}");
    assert!(drawn_in(&answer, MISSED).is_empty());

    let truth = fs::read_to_string(out.join("worst/1-truth.svg")).expect("truth engraved");
    let missed = drawn_in(&truth, MISSED);
    assert_eq!(missed.iter().map(|g| heads(g)).collect::<Vec<_>>(), [1], "{truth}");
    assert!(drawn_in(&truth, WRONG).is_empty());
    // The truth's 9 notes and the quarter of its tempo mark, 1 of them in colour.
    assert_eq!(heads(&truth), 10, "{truth}");
}

#[test]
fn without_abcm2ps_the_report_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("no-tools");
    fs::create_dir(&empty).expect("mkdir");
    let (output, out) = evaluate(dir.path(), empty.as_os_str());
    let report = fs::read_to_string(out.join("report.md")).expect("report");
    assert!(
        report.contains("Not engraved as music: abcm2ps was not found on PATH. Install abcm2ps"),
        "{report}"
    );
    assert!(report.contains("<td><pre>Here it is:"), "the answers are still shown as text: {report}");
    assert!(!out.join("worst").exists());
    let console = String::from_utf8_lossy(&output.stderr);
    assert!(console.contains("abcm2ps was not found on PATH: the worst answers are shown as text only"), "{console}");
}

#[test]
fn a_report_without_worst_answers_removes_an_earlier_engraving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stale = dir.path().join("report/worst/3-answer.svg");
    fs::create_dir_all(stale.parent().expect("a folder")).expect("mkdir");
    fs::write(&stale, "<svg/>").expect("write");
    fs::write(dir.path().join("solo.abc"), TRUTH).expect("write truth");
    let output = Command::new(PREP)
        .args(["eval", "solo.abc", "--baseline", "oracle", "--runs", "1", "-o", "report"])
        .current_dir(dir.path())
        .output()
        .expect("prep runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!stale.exists(), "the report shows no worst answer, so no engraving may stay");
}
