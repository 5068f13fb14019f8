//! `prep reward`: score one prediction file against its truth, or serve scores over
//! stdin/stdout as JSON lines for a training loop in another language.
//!
//! The JSON-lines mode is a long-lived subprocess: one request line in, one reply line
//! out, flushed at once; a malformed line gets an `{"error": ...}` reply and the loop
//! goes on. Scoring itself lives in `crate::reward`.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::reward::{Breakdown, RewardConfig, score};

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
    let cfg = load_config(options.config.as_deref())?;
    match options.mode {
        RewardMode::Files { truth, prediction, json } => {
            let read = |path: &Path| fs::read_to_string(path).with_context(|| format!("reading {}", path.display()));
            let breakdown = score(&read(&prediction)?, &read(&truth)?, &cfg);
            let text = if json { serde_json::to_string_pretty(&breakdown)? } else { table(&breakdown, &cfg) };
            println!("{text}");
        }
        RewardMode::Jsonl => {
            serve_jsonl(io::stdin().lock(), io::stdout().lock(), &cfg)
                .context("serving JSON lines on stdin/stdout")?;
        }
    }
    Ok(())
}

/// The default config, or the defaults overridden by a JSON file, validated.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<RewardConfig> {
    let cfg = match path {
        None => RewardConfig::default(),
        Some(path) => {
            let text =
                fs::read_to_string(path).with_context(|| format!("reading reward config {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("parsing reward config {}", path.display()))?
        }
    };
    cfg.validate()?;
    Ok(cfg)
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
struct ErrorReply {
    error: String,
    line: usize,
}

/// Answers each non-empty input line with one JSON line, flushed; returns the number of
/// lines answered. Only I/O errors stop it.
pub fn serve_jsonl(input: impl BufRead, mut output: impl Write, cfg: &RewardConfig) -> io::Result<usize> {
    let mut answered = 0;
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(request) => {
                let breakdown = score(&request.prediction, &request.truth, cfg);
                serde_json::to_string(&Reply { id: request.id.as_ref(), breakdown: &breakdown })
            }
            Err(err) => serde_json::to_string(&ErrorReply {
                error: format!("expected {{\"truth\": string, \"prediction\": string}}: {err}"),
                line: index + 1,
            }),
        }
        .map_err(io::Error::other)?;
        writeln!(output, "{reply}")?;
        output.flush()?;
        answered += 1;
    }
    Ok(answered)
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

    #[test]
    fn malformed_lines_get_error_replies_and_the_loop_goes_on() {
        let input = "not json\n\n{\"truth\": 1}\n";
        let mut output = Vec::new();
        let answered = serve_jsonl(input.as_bytes(), &mut output, &RewardConfig::default()).expect("in-memory I/O");
        assert_eq!(answered, 2);
        let lines: Vec<serde_json::Value> = String::from_utf8(output)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each reply is JSON"))
            .collect();
        assert_eq!(lines[0]["line"], 1);
        assert!(lines[0]["error"].as_str().is_some_and(|e| e.starts_with("expected {\"truth\"")));
        assert_eq!(lines[1]["line"], 3);
    }

    #[test]
    fn table_lists_losses_parse_status_and_reported_scores() {
        use crate::abc::read::{FoundFields, ParsedAbc};
        let truth = ParsedAbc {
            score: crate::score::Score::new(480),
            found: FoundFields { metre: true, tempo: true, key: true, ..FoundFields::default() },
            diagnostics: Vec::new(),
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
        assert_eq!(load_config(Some(&path)).expect("valid").weights.pitch, 2.0);
        fs::write(&path, r#"{"weights": {"pitch": -1.0}}"#).expect("write config");
        let err = load_config(Some(&path)).expect_err("negative weight");
        assert!(err.to_string().contains("weights.pitch = -1"), "{err}");
    }
}
