//! `prep midi2abc` against abcMIDI's `midi2abc`, side by side in one run:
//! wall time over a generated corpus, files each tool fails on, and round-trip
//! fidelity (each tool's ABC rendered back to MIDI by abc2midi and compared with the
//! input). Run with `cargo bench --bench midi2abc [-- PIECES RUNS]`; results and the
//! machine go into docs/benchmarks.md.
//!
//! The corpus: PIECES generated multi-voice pieces (src/corpus.rs, seeds 1..), as
//! score MIDI and as "performed" MIDI (the same notes with 15 ms Gaussian onset/offset
//! jitter, at a constant 120 BPM, without metre or key events). abcMIDI is run as
//! people run it: one process per file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use prep::abc::read::parse;
use prep::commands::generate::{self, GenerateOptions};
use prep::corpus::PieceOptions;
use prep::midi;
use prep::reward::{PrecisionRecall, onset_scores, onsets};
use prep::score::{Key, Score};

const PREP: &str = env!("CARGO_BIN_EXE_prep");
const VARIANTS: [&str; 2] = ["score", "performed"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let pieces = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let runs = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    for tool in ["midi2abc", "abc2midi"] {
        if Command::new(tool).arg("-ver").output().is_err() {
            println!("skipped: abcMIDI's {tool} is not installed (apt-get install abcmidi)");
            return;
        }
    }
    let work = tempfile::tempdir().expect("temp dir");
    let corpus = work.path().join("corpus");
    let options = GenerateOptions {
        out: corpus.clone(),
        pieces,
        seed: 1,
        piece: PieceOptions::default(),
        performed_jitter: Some(0.015),
    };
    generate::run(&options).expect("generate the corpus");
    println!("corpus: {pieces} pieces x {VARIANTS:?}, {runs} timed runs each, {} cores", cores());

    println!("\n| corpus | prep midi2abc DIR (s) | midi2abc, 1 process per file (s) | midi2abc, {} in parallel (s) | ratio (serial) | ratio (parallel) | midi2abc failures | prep failures |", cores());
    println!("|---|---|---|---|---|---|---|---|");
    for variant in VARIANTS {
        let input = corpus.join(variant);
        let files = midi_files(&input);
        let prep_out = work.path().join("prep").join(variant);
        let prep_time = median((0..runs).map(|_| time(|| run_prep(&input, &prep_out))).collect());
        let abcmidi_out = work.path().join("midi2abc").join(variant);
        let serial = median((0..runs).map(|_| time(|| run_midi2abc(&files, &abcmidi_out, &[], 1))).collect());
        let parallel = median((0..runs).map(|_| time(|| run_midi2abc(&files, &abcmidi_out, &[], cores()))).collect());
        let failures = run_midi2abc(&files, &abcmidi_out, &[], cores());
        let prep_failures = files.iter().filter(|f| !prep_out.join(abc_name(f)).exists()).count();
        println!(
            "| {variant} | {prep_time:.3} | {serial:.3} | {parallel:.3} | {:.1}x | {:.1}x | {failures} of {} | {prep_failures} |",
            serial / prep_time,
            parallel / prep_time,
            files.len()
        );
    }

    println!("\n| corpus | tool | onset F1 (50 ms) | offset F1 | metre accuracy | key accuracy | files scored |");
    println!("|---|---|---|---|---|---|---|");
    for variant in VARIANTS {
        let input = corpus.join(variant);
        let files = midi_files(&input);
        let truth_dir = corpus.join("score");
        let tools: [(&str, PathBuf); 3] = [
            ("prep", work.path().join("prep").join(variant)),
            ("midi2abc", work.path().join("midi2abc").join(variant)),
            ("midi2abc -ga -gk", work.path().join("midi2abc-guess").join(variant)),
        ];
        run_midi2abc(&files, &tools[2].1, &["-ga", "-gk"], cores());
        for (tool, abc_dir) in &tools {
            let fidelity = Fidelity::measure(&files, &truth_dir, abc_dir, &work.path().join("render").join(tool));
            println!(
                "| {variant} | {tool} | {:.4} | {:.4} | {:.3} | {:.3} | {} of {} |",
                fidelity.onset_f1, fidelity.offset_f1, fidelity.metre, fidelity.key, fidelity.scored, files.len()
            );
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn time(mut f: impl FnMut() -> usize) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn midi_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).expect("corpus folder").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files
}

fn abc_name(midi: &Path) -> PathBuf {
    PathBuf::from(midi.file_stem().expect("file name")).with_extension("abc")
}

/// Runs `prep midi2abc` on a folder; returns the number of files it failed on.
fn run_prep(input: &Path, out: &Path) -> usize {
    let _ = std::fs::remove_dir_all(out);
    let status = Command::new(PREP).arg("midi2abc").arg(input).arg("-o").arg(out).output().expect("run prep");
    usize::from(!status.status.success())
}

/// Runs abcMIDI's midi2abc once per file, `workers` processes at a time; returns the
/// number of files it failed on (non-zero exit, or no ABC notes written).
fn run_midi2abc(files: &[PathBuf], out: &Path, flags: &[&str], workers: usize) -> usize {
    std::fs::create_dir_all(out).expect("output folder");
    let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(workers).max(1)).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter(|file| {
                            let target = out.join(abc_name(file));
                            let run = Command::new("midi2abc").arg("-f").arg(file).args(flags).arg("-o").arg(&target).output();
                            let ok = run.is_ok_and(|r| r.status.success());
                            !(ok && std::fs::read_to_string(&target).is_ok_and(|t| t.contains("K:")))
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker")).sum()
    })
}

/// Mean per-file fidelity of one tool's ABC.
struct Fidelity {
    onset_f1: f64,
    offset_f1: f64,
    metre: f64,
    key: f64,
    scored: usize,
}

impl Fidelity {
    /// Renders each ABC file with abc2midi and compares its notes with the input MIDI's
    /// (in seconds), its M: with the generated metre, its K: with the generated key. A
    /// file the tool did not convert, or abc2midi cannot render, scores 0.
    fn measure(inputs: &[PathBuf], truth_dir: &Path, abc_dir: &Path, render_dir: &Path) -> Fidelity {
        std::fs::create_dir_all(render_dir).expect("render folder");
        let (mut onset, mut offset, mut metre, mut key, mut scored) = (0.0, 0.0, 0.0, 0.0, 0);
        for input in inputs {
            let played = midi::read_file(input).expect("input MIDI");
            let truth = midi::read_file(&truth_dir.join(input.file_name().expect("name"))).expect("score MIDI");
            let abc_path = abc_dir.join(abc_name(input));
            let Ok(abc) = std::fs::read_to_string(&abc_path) else { continue };
            let rendered = render_dir.join(input.file_name().expect("name"));
            let ok = Command::new("abc2midi").arg(&abc_path).arg("-o").arg(&rendered).output().is_ok_and(|r| r.status.success());
            let Some(heard) = ok.then(|| midi::read_file(&rendered).ok()).flatten() else { continue };
            scored += 1;
            onset += onset_scores(&onsets(&heard), &onsets(&played), 0.05).onset_pitch.f1;
            offset += offset_f1(&offsets(&heard), &offsets(&played));
            let header = parse(&abc).score;
            let (m, t) = (header.time_signatures[0], truth.time_signatures[0]);
            metre += f64::from(u8::from((m.numerator, m.denominator) == (t.numerator, t.denominator)));
            key += f64::from(u8::from(same_key(header.key_signatures[0].key, truth.key_signatures[0].key)));
        }
        let n = inputs.len().max(1) as f64;
        Fidelity { onset_f1: onset / n, offset_f1: offset / n, metre: metre / n, key: key / n, scored }
    }
}

fn same_key(a: Key, b: Key) -> bool {
    a.tonic_pitch_class() == b.tonic_pitch_class() && a.mode == b.mode
}

/// (pitch, offset seconds, duration seconds) of every note.
fn offsets(score: &Score) -> Vec<(u8, f64, f64)> {
    let mut notes: Vec<(u8, f64, f64)> = score
        .parts
        .iter()
        .flat_map(|p| p.notes.iter())
        .map(|n| {
            let (on, off) = (score.seconds_at(n.start), score.seconds_at(n.end()));
            (n.pitch, off, off - on)
        })
        .collect();
    notes.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    notes
}

/// mir_eval's offset F1 (`offset_precision_recall_f1`, pitch-matched): a prediction hits
/// a true note of the same pitch when its offset lies within max(50 ms, 20 % of the true
/// note's duration). Each true note is an interval and each prediction a point, so
/// taking true notes by right end and giving each the earliest free point in range is a
/// maximum matching.
fn offset_f1(predicted: &[(u8, f64, f64)], truth: &[(u8, f64, f64)]) -> f64 {
    let mut windows: Vec<(u8, f64, f64)> =
        truth.iter().map(|&(p, off, dur)| (p, off - (0.2 * dur).max(0.05), off + (0.2 * dur).max(0.05))).collect();
    windows.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.total_cmp(&b.2)));
    let mut used = vec![false; predicted.len()];
    let mut matches = 0;
    for (pitch, low, high) in windows {
        let first = predicted.partition_point(|q| (q.0, q.1) < (pitch, low));
        let hit = (first..predicted.len()).take_while(|&i| predicted[i].0 == pitch && predicted[i].1 <= high).find(|&i| !used[i]);
        if let Some(i) = hit {
            used[i] = true;
            matches += 1;
        }
    }
    PrecisionRecall::from_counts(matches, truth.len(), predicted.len()).f1
}

