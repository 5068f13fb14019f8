//! `prep reward` as a training loop uses it: a child process fed one request at a time,
//! each reply read before the next request is written, bad lines included; and the
//! file mode's errors (a truth that is not ABC, `--json` alone).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const PREP: &str = env!("CARGO_BIN_EXE_prep");
const TUNE: &str = "X:1\\nM:4/4\\nL:1/4\\nQ:1/4=120\\nK:C\\nCDEF|\\n";

#[test]
fn every_request_line_gets_its_reply_in_lock_step() {
    let mut child = Command::new(PREP)
        .args(["reward", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn prep");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut replies = BufReader::new(child.stdout.take().expect("stdout"));
    let good = format!("{{\"id\": \"ok\", \"truth\": \"{TUNE}\", \"prediction\": \"{TUNE}\"}}\n");
    let requests: Vec<Vec<u8>> = vec![
        good.clone().into_bytes(),
        b"{\"id\": 41, \"truth\": \"\xff\xfe\", \"prediction\": \"x\"}\n".to_vec(),
        b"\n".to_vec(),
        b" \t \n".to_vec(),
        b"{\"id\": 42, \"truth\": \"a\", \"prediction\": \"a\"}\n".to_vec(),
        b"[1, 2]\n".to_vec(),
        good.into_bytes(),
    ];
    let mut answers = Vec::new();
    for request in &requests {
        stdin.write_all(request).expect("write a request");
        stdin.flush().expect("flush");
        let mut line = String::new();
        replies.read_line(&mut line).expect("read a reply");
        answers.push(serde_json::from_str::<serde_json::Value>(&line).expect("a JSON reply"));
    }
    drop(stdin);
    assert!(child.wait().expect("wait").success());

    assert_eq!((answers[0]["id"].as_str(), answers[0]["total"].as_f64()), (Some("ok"), Some(0.0)));
    assert_eq!(answers[1]["id"], 41);
    assert!(answers[1]["error"].as_str().is_some_and(|e| e.contains("not valid UTF-8")), "{}", answers[1]);
    for (index, reply) in answers.iter().enumerate().skip(1).take(5) {
        assert_eq!(reply["line"], index + 1, "{reply}");
        assert!(reply["error"].is_string(), "{reply}");
    }
    assert_eq!(answers[4]["id"], 42);
    assert!(answers[4]["error"].as_str().is_some_and(|e| e.starts_with("truth: ")), "{}", answers[4]);
    assert_eq!(answers[6]["id"], "ok");
}

#[test]
fn a_truth_that_is_not_abc_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prediction = dir.path().join("pred.abc");
    std::fs::write(&prediction, TUNE.replace("\\n", "\n")).expect("write");
    for (name, text) in [("empty.abc", ""), ("a.abc", "a")] {
        let truth = dir.path().join(name);
        std::fs::write(&truth, text).expect("write");
        let output = Command::new(PREP)
            .args(["reward", "--truth", truth.to_str().expect("utf-8"), "--pred", prediction.to_str().expect("utf-8")])
            .output()
            .expect("run prep");
        // Nothing could be scored: status 2 (crate::outcome).
        assert_eq!(output.status.code(), Some(2));
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(&truth.display().to_string()) && message.contains("K: field"), "{message}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn json_alone_asks_for_the_files() {
    let output = Command::new(PREP).args(["reward", "--json"]).output().expect("run prep");
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("--truth <TRUTH>") && message.contains("--pred <PRED>"), "{message}");
    assert!(!message.contains("--jsonl"), "{message}");
}
