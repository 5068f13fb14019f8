//! `prep reward`: score one prediction file against its truth, or serve scores over
//! stdin/stdout as JSON lines for a training loop in another language.
//!
//! The JSON-lines mode is a long-lived subprocess with a lock-step contract: every input
//! line (empty, whitespace-only and invalid UTF-8 lines included) gets exactly one reply
//! line, in order, flushed at once, so a training loop that writes a request and reads
//! a reply never waits forever. A line that cannot be scored gets
//! `{"id"?, "error", "line"}` (the request's `id` when one can be read from it) and the
//! loop goes on; only failing to read stdin or write stdout ends it.
//! Scoring itself lives in `crate::reward`.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::output::{write_error, write_stdout};
use crate::reward::{Breakdown, RewardConfig, score_checked};

/// What `prep reward` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardOptions {
    pub mode: RewardMode,
    /// JSON file overriding constants of the reward (see docs/reward.md).
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RewardMode {
    /// Score one prediction file; a table, or JSON when `json`.
    Files { truth: PathBuf, prediction: PathBuf, json: bool },
    /// Read `{"truth", "prediction"[, "id"]}` lines on stdin, write one breakdown per line.
    Jsonl,
}

pub fn run(options: RewardOptions) -> anyhow::Result<()> {
    let cfg = RewardConfig::load(options.config.as_deref())?;
    match options.mode {
        RewardMode::Files { truth, prediction, json } => {
            let read = |path: &Path| fs::read_to_string(path).with_context(|| format!("reading {}", path.display()));
            let breakdown = score_checked(&read(&prediction)?, &read(&truth)?, &cfg)
                .with_context(|| format!("{}: not a truth to score against", truth.display()))?;
            let text = if json { serde_json::to_string_pretty(&breakdown)? } else { table(&breakdown, &cfg) };
            write_stdout(format!("{text}\n").as_bytes())?;
        }
        RewardMode::Jsonl => {
            serve_jsonl(io::stdin().lock(), io::stdout().lock(), &cfg)?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct Request {
    truth: String,
    prediction: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Reply<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    #[serde(flatten)]
    breakdown: &'a Breakdown,
}

#[derive(Serialize)]
struct ErrorReply<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    error: String,
    line: usize,
}

/// Answers every input line with one JSON line, flushed; returns the number of lines
/// answered. Only failing to read `input` or to write `output` stops it (a closed
/// output is `OutputClosed`).
pub fn serve_jsonl(mut input: impl BufRead, mut output: impl Write, cfg: &RewardConfig) -> anyhow::Result<usize> {
    let mut bytes = Vec::new();
    let mut answered = 0;
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes).context("reading requests from stdin")? == 0 {
            return Ok(answered);
        }
        answered += 1;
        let reply = answer(&bytes, answered, cfg);
        writeln!(output, "{reply}")
            .and_then(|()| output.flush())
            .map_err(|err| write_error(err, "stdout"))?;
    }
}

/// The reply to input line number `line` (its bytes, newline included).
fn answer(bytes: &[u8], line: usize, cfg: &RewardConfig) -> String {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let error = |id: Option<&serde_json::Value>, error: String| {
        serde_json::to_string(&ErrorReply { id, error, line }).unwrap_or_default()
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let id = recover_id(&String::from_utf8_lossy(bytes));
            return error(id.as_ref(), format!("the line is not valid UTF-8 ({err})"));
        }
    };
    if text.trim().is_empty() {
        return error(None, "empty line: expected {\"truth\": string, \"prediction\": string}".to_string());
    }
    let request = match serde_json::from_str::<Request>(text) {
        Ok(request) => request,
        Err(err) => {
            let id = recover_id(text);
            return error(id.as_ref(), format!("expected {{\"truth\": string, \"prediction\": string}}: {err}"));
        }
    };
    match score_checked(&request.prediction, &request.truth, cfg) {
        Ok(breakdown) => serde_json::to_string(&Reply { id: request.id.as_ref(), breakdown: &breakdown })
            .unwrap_or_else(|err| error(request.id.as_ref(), format!("encoding the reply: {err}"))),
        Err(err) => error(request.id.as_ref(), format!("truth: {err}")),
    }
}

/// The `id` of a line that is a JSON object but not a valid request.
fn recover_id(text: &str) -> Option<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(mut object)) => object.remove("id"),
        _ => None,
    }
}

/// The breakdown as a table a person reads.
pub fn table(b: &Breakdown, cfg: &RewardConfig) -> String {
    let w = &cfg.weights;
    let mut out = String::from("component   loss    weight\n");
    for (name, loss, weight) in [
        ("pitch", b.pitch, w.pitch),
        ("metre", b.metre, w.metre),
        ("tempo", b.tempo, w.tempo),
        ("instrument", b.instrument, w.instrument),
    ] {
        let _ = writeln!(out, "{name:<11} {loss:.4}  {weight:.2}");
    }
    let _ = writeln!(out, "{:<11} {:.4}\n{:<11} {:.4}", "total", b.total, "reward", b.reward);
    let names = |fields: &[crate::reward::Field]| {
        fields.iter().map(|f| format!("{f:?}").to_lowercase()).collect::<Vec<_>>().join(", ")
    };
    if b.parse.ok {
        let _ = writeln!(out, "\nparse: ok ({} reader diagnostics)", b.parse.diagnostics);
    } else {
        let _ = writeln!(
            out,
            "\nparse: FAILED, missing {} ({} reader diagnostics)",
            names(&b.parse.missing),
            b.parse.diagnostics
        );
    }
    if !b.parse.truth_missing.is_empty() {
        let _ = writeln!(out, "truth lacks: {} (reader defaults compared)", names(&b.parse.truth_missing));
    }
    let v = &b.voices;
    let _ = writeln!(out, "voices: {} predicted, {} true, {} matched", v.predicted, v.truth, v.matched);
    let (o, op) = (&b.onset.onset, &b.onset.onset_pitch);
    let _ = writeln!(out, "onset F1 {:.3} (P {:.3}, R {:.3})", o.f1, o.precision, o.recall);
    let _ = writeln!(out, "onset+pitch F1 {:.3} (P {:.3}, R {:.3})", op.f1, op.precision, op.recall);
    let _ = write!(out, "key: {}, weighted {:.1}", if b.key.exact { "exact" } else { "wrong" }, b.key.weighted);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TUNE: &str = "X:1\\nM:4/4\\nL:1/4\\nQ:1/4=120\\nK:C\\nCDEF|\\n";

    /// The replies to `input`, one per line.
    fn replies(input: &[u8]) -> Vec<serde_json::Value> {
        let mut output = Vec::new();
        let answered = serve_jsonl(input, &mut output, &RewardConfig::default()).expect("in-memory I/O");
        let lines: Vec<serde_json::Value> = String::from_utf8(output)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each reply is JSON"))
            .collect();
        assert_eq!(lines.len(), answered);
        lines
    }

    #[test]
    fn every_line_gets_one_reply_and_errors_keep_the_id() {
        let good = format!(r#"{{"id": 7, "truth": "{TUNE}", "prediction": "{TUNE}"}}"#);
        let mut input = Vec::new();
        input.extend_from_slice(b"not json\n");
        input.extend_from_slice(b"   \n");
        input.extend_from_slice(b"{\"id\": \"a\", \"truth\": 1}\n");
        input.extend_from_slice(b"{\"id\": [1], \"truth\": \"\xff\xfe\", \"prediction\": \"\"}\n");
        input.extend_from_slice(b"{\"id\": 3, \"truth\": \"a\", \"prediction\": \"a\"}\r\n");
        input.extend_from_slice(good.as_bytes());
        let lines = replies(&input);
        assert_eq!(lines.len(), 6, "{lines:?}");
        for (index, reply) in lines.iter().take(5).enumerate() {
            assert_eq!(reply["line"], index + 1, "{reply}");
            assert!(reply["error"].is_string(), "{reply}");
        }
        assert!(lines[0]["error"].as_str().is_some_and(|e| e.starts_with("expected {\"truth\"")));
        assert!(lines[1]["error"].as_str().is_some_and(|e| e.starts_with("empty line")));
        assert_eq!(lines[2]["id"], "a");
        assert!(lines[3]["error"].as_str().is_some_and(|e| e.contains("not valid UTF-8")));
        assert_eq!(lines[3]["id"], serde_json::json!([1]));
        assert_eq!(lines[4]["id"], 3);
        assert!(lines[4]["error"].as_str().is_some_and(|e| e.starts_with("truth: the truth has no K: field")));
        assert_eq!(lines[5]["id"], 7);
        assert_eq!(lines[5]["total"], 0.0);
    }

    #[test]
    fn table_lists_losses_parse_status_and_reported_scores() {
        use crate::abc::read::{FoundFields, ParsedAbc};
        let truth = ParsedAbc {
            score: crate::score::Score::new(480),
            found: FoundFields { metre: true, tempo: true, key: true, ..FoundFields::default() },
            diagnostics: Vec::new(),
            voice_ids: Vec::new(),
            staves: None,
        };
        let predicted = ParsedAbc { found: FoundFields { tempo: false, ..truth.found }, ..truth.clone() };
        let cfg = RewardConfig::default();
        let text = table(&crate::reward::score_parsed(&predicted, &truth, &cfg), &cfg);
        let expected = "component   loss    weight\npitch       0.0000  0.50\nmetre       0.0000  0.15\n\
tempo       1.0000  0.15\ninstrument  0.0000  0.20\ntotal       0.1500\nreward      0.8500\n\n\
parse: FAILED, missing tempo (0 reader diagnostics)\nvoices: 0 predicted, 0 true, 0 matched\n\
onset F1 0.000 (P 0.000, R 0.000)\nonset+pitch F1 0.000 (P 0.000, R 0.000)\nkey: exact, weighted 1.0";
        assert_eq!(text, expected);
    }

    #[test]
    fn config_file_overrides_and_is_validated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("reward.json");
        fs::write(&path, r#"{"weights": {"pitch": 2.0}}"#).expect("write config");
        assert_eq!(RewardConfig::load(Some(&path)).expect("valid").weights.pitch, 2.0);
        fs::write(&path, r#"{"weights": {"pitch": -1.0}}"#).expect("write config");
        let err = RewardConfig::load(Some(&path)).expect_err("negative weight");
        assert!(err.to_string().contains("weights.pitch = -1"), "{err}");
    }
}
