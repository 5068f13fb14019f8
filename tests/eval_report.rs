//! `prep eval` end to end on folders of ABC written here: the oracle scores 0 everywhere
//! with exact files, the perturbed baseline's loss rises with its strength, predictions
//! files are scored, and bad sampling settings are refused.

use std::fs;
use std::path::Path;

use prep::abc::write::{AbcOptions, to_abc};
use prep::datasets::Split;
use prep::eval::evaluate::{EvalOptions, EvalSummary, Source, run};
use prep::corpus::{PieceOptions, score_piece};
use prep::eval::baseline::Baseline;
use prep::eval::endpoint::{AudioPart, EndpointConfig, Sampling};
use serde_json::{Value, json};

const SOLO: &str = "X:1\nT:solo\nM:4/4\nL:1/8\nQ:1/4=90\nK:G\nV:1 name=\"Violin\"\nGABc d2B2|c2A2 G4|\n";
const DUO: &str = "X:1\nT:duo\nM:3/4\nL:1/8\nQ:1/4=120\nK:D\nV:1 name=\"Flute\"\nd2 e2 f2|a4 f2|\n\
                   V:2 name=\"Cello\"\nD,4 A,,2|D,6|\n";

fn options(dataset: &Path, out: &Path, source: Source, runs: u32) -> EvalOptions {
    EvalOptions {
        dataset: dataset.to_path_buf(),
        split: Split::Test,
        samples: 30,
        runs,
        seed: 7,
        source,
        out: out.to_path_buf(),
        reward_config: None,
        worst: 2,
    }
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

#[test]
fn oracle_scores_zero_and_writes_every_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, out) = (dir.path().join("data"), dir.path().join("report"));
    write(&data, "test/solo.abc", SOLO);
    write(&data, "test/duo.abc", DUO);
    write(&data, "train/left-out.abc", SOLO);

    let summary = run(&options(&data, &out, Source::Baseline(Baseline::Oracle), 2)).expect("eval runs");
    let files: Vec<String> =
        summary.files.iter().map(|p| p.file_name().expect("a file").to_string_lossy().into_owned()).collect();
    assert_eq!(files, ["report.md", "scores.csv", "scores.json", "distributions.svg", "run_spread.svg"]);
    assert_eq!(
        summary,
        EvalSummary {
            samples: 2,
            answers: 4,
            parse_failures: 0,
            mean_total: 0.0,
            files: summary.files.clone(),
            notes: vec!["the test split has only 2 clips: evaluated all 2 of the 30 samples asked for".to_string()]
        }
    );

    let scores: Value =
        serde_json::from_str(&fs::read_to_string(out.join("scores.json")).expect("read")).expect("json");
    let row = |id: &str, run: u32| {
        json!({"id": id, "run": run, "pitch": 0.0, "metre": 0.0, "tempo": 0.0, "instrument": 0.0, "total": 0.0,
               "parse_ok": true, "missing": [], "onset_f1": 1.0, "key_exact": true})
    };
    assert_eq!(scores, json!([row("test/duo", 0), row("test/duo", 1), row("test/solo", 0), row("test/solo", 1)]));

    let csv = fs::read_to_string(out.join("scores.csv")).expect("read");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,run,pitch,metre,tempo,instrument,total,parse_ok,missing,onset_f1,key_exact");
    assert_eq!(lines[1], "test/duo,0,0,0,0,0,0,true,,1,true");
    assert_eq!(lines.len(), 5);

    let report = fs::read_to_string(out.join("report.md")).expect("read");
    assert!(report.contains("| total | 0.0000 | [0.0000, 0.0000] | 0.0000 | 0.0000 | 0.0000 |\n"), "{report}");
    assert!(report.contains("4 answers; parse failures: 0 (missing fields: metre 0, tempo 0, key 0, notes 0)."));
    // Both test clips listed by complexity: solo 1 voice, 9 notes in 16/3 s; duo 2 voices, 8 notes in 3 s.
    assert!(
        report.contains(
            "| 0 | test/solo | 1 | 1.69 | 1.42 | 2 | 0.0000 | 0.0000 | 0.0000 | 0.0000 |\n\
                             | 1 | test/duo | 2 | 2.67 | 2.67 | 2 |"
        ),
        "{report}"
    );
    assert!(report.ends_with("## Worst answers\n\nNone: every answer scored 0.\n"), "{report}");
    assert!(!report.contains("left-out"));
    for chart in ["distributions.svg", "run_spread.svg"] {
        let svg = fs::read_to_string(out.join(chart)).expect("read");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>\n"));
        // One dot per answer.
        assert_eq!(svg.matches("<circle").count(), if chart == "run_spread.svg" { 4 } else { 4 * 5 });
    }
}

#[test]
fn perturbed_loss_rises_with_strength() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let piece = PieceOptions { bars: 8, max_parts: 3, ..PieceOptions::default() };
    for seed in 0..8 {
        write(&data, &format!("piece{seed}.abc"), &to_abc(&score_piece(seed, &piece), &AbcOptions::default()));
    }
    let totals: Vec<f64> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|&s| {
            let out = dir.path().join(format!("report-{s}"));
            run(&options(&data, &out, Source::Baseline(Baseline::Perturbed(s)), 2)).expect("eval runs").mean_total
        })
        .collect();
    assert_eq!(totals[0], 0.0, "strength 0 is the truth: {totals:?}");
    assert!(totals.windows(2).all(|w| w[0] < w[1]), "not rising: {totals:?}");
}

#[test]
fn predictions_file_is_scored_and_failures_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, out) = (dir.path().join("data"), dir.path().join("report"));
    write(&data, "solo.abc", SOLO);
    let predictions = dir.path().join("predictions.jsonl");
    let lines = [
        json!({"id": "solo", "run": 0, "text": format!("Here you go:\n```abc\n{SOLO}```")}),
        json!({"id": "solo", "run": 1, "text": "I cannot transcribe audio."}),
    ];
    fs::write(&predictions, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).expect("write");

    let summary = run(&options(&data, &out, Source::Predictions(predictions), 2)).expect("eval runs");
    assert_eq!((summary.answers, summary.parse_failures, summary.mean_total), (2, 1, 0.5));
    let report = fs::read_to_string(out.join("report.md")).expect("read");
    assert!(report.contains("parse failures: 1 (missing fields: metre 1, tempo 1, key 1, notes 1)"), "{report}");
    let worst = report.split("## Worst answers").nth(1).expect("worst section");
    assert!(worst.starts_with("\n\n### solo run 1: total 1.0000\n"), "{worst}");
    assert!(worst.contains("<td><pre>I cannot transcribe audio.</pre></td>"));
}

#[test]
fn top_p_above_one_is_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("temp dir");
    let endpoint = EndpointConfig {
        url: "http://127.0.0.1:9".to_string(),
        model: "m".to_string(),
        sampling: Sampling { top_p: 1.2, ..Sampling::default() },
        seed: 0,
        audio_part: AudioPart::InputAudio,
        stream: false,
        concurrency: 1,
        max_retries: 0,
        backoff: std::time::Duration::ZERO,
        timeout: std::time::Duration::from_secs(1),
        api_key: None,
        cache: None,
    };
    let missing = dir.path().join("no-such-dataset");
    let err = run(&options(&missing, dir.path(), Source::Endpoint(endpoint), 1)).expect_err("1.2 is refused");
    assert_eq!(
        err.to_string(),
        "top_p must be in (0, 1] (it is the probability mass of the tokens sampled from), got 1.2"
    );
}

#[test]
fn an_empty_split_is_an_error_naming_the_splits_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    write(&data, "train/a.abc", SOLO);
    let err = run(&options(&data, dir.path(), Source::Baseline(Baseline::Oracle), 1)).expect_err("no test clip");
    assert!(err.to_string().ends_with("has no clip in split \"test\" (splits found: [\"train\"])"), "{err}");
}
