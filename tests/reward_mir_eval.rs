//! Onset precision/recall/F1 cross-checked against Python's mir_eval on random cases.
//! Runs tests/fixtures/reward/mir_eval_reference.py; skips (saying why) when python3 or
//! mir_eval is missing.

use std::io::Write;
use std::process::{Command, Stdio};

use prep::reward::{Onset, onset_scores};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reward/mir_eval_reference.py");

fn mir_eval_available() -> Result<(), String> {
    let status = Command::new("python3").args(["-c", "import mir_eval"]).stderr(Stdio::null()).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => Err("python3 cannot import mir_eval (pip install mir_eval)".into()),
        Err(e) => Err(format!("python3 not runnable: {e}")),
    }
}

/// Notes on a 10 ms grid over 2 s with 3 pitches: many onsets near the 50 ms edge and
/// many competing candidates, where a wrong matching would show.
fn random_notes(rng: &mut ChaCha8Rng) -> Vec<Onset> {
    let n = rng.random_range(0..25);
    (0..n)
        .map(|_| Onset { pitch: rng.random_range(60..63), seconds: f64::from(rng.random_range(0..200u32)) * 0.01 })
        .collect()
}

#[test]
fn onset_scores_match_mir_eval() {
    if let Err(reason) = mir_eval_available() {
        eprintln!("skipping the mir_eval cross-check: {reason}");
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let cases: Vec<(Vec<Onset>, Vec<Onset>)> =
        (0..300).map(|_| (random_notes(&mut rng), random_notes(&mut rng))).collect();
    let as_json = |notes: &[Onset]| notes.iter().map(|o| (o.seconds, o.pitch)).collect::<Vec<_>>();
    let request: Vec<serde_json::Value> = cases
        .iter()
        .map(|(truth, predicted)| serde_json::json!({"truth": as_json(truth), "predicted": as_json(predicted)}))
        .collect();

    let mut child = Command::new("python3")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the reference script");
    let input = serde_json::to_vec(&request).expect("cases serialise");
    child.stdin.take().expect("piped stdin").write_all(&input).expect("script reads its cases");
    let output = child.wait_with_output().expect("script finishes");
    assert!(output.status.success(), "reference script failed");
    let expected: Vec<[f64; 6]> = serde_json::from_slice(&output.stdout).expect("script prints JSON");

    assert_eq!(expected.len(), cases.len());
    for ((truth, predicted), want) in cases.iter().zip(&expected) {
        let got = onset_scores(predicted, truth, 0.05);
        let got = [
            got.onset.precision,
            got.onset.recall,
            got.onset.f1,
            got.onset_pitch.precision,
            got.onset_pitch.recall,
            got.onset_pitch.f1,
        ];
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() < 1e-12,
                "truth {truth:?}\npredicted {predicted:?}\nours {got:?}\nmir_eval {want:?}"
            );
        }
    }
}
