//! The fuzz targets on stable, in the normal test build, so that CI checks every reader
//! against bad input without cargo-fuzz (which needs nightly and a second, sanitizer
//! build of prep and all its dependencies: docs/robustness.md, "Fuzzing").
//!
//! Each target's body (tests/fuzz_support/) runs over:
//! - its committed corpus: tests/fixtures/fuzz/<target>/seeds/ and the repository's own
//!   files of that kind (the real-world MIDI fixtures, the pipelines);
//! - every input fuzzing found to fail: tests/fixtures/fuzz/<target>/regressions/, each
//!   file named after the bug it showed (also a named test in the reader's test file);
//! - a fixed number of mutants of those inputs (bit flips, byte changes, truncations,
//!   deletions, duplications, splices of two inputs, boundary numbers written over
//!   header fields), drawn from a PRNG seeded by the target's name, so every run and
//!   every machine replays the same inputs. A count, not a timer: the test's work does
//!   not depend on the machine's speed.
//!
//! A failure names the target, the input and the mutant, and leaves the failing bytes
//! in `target/fuzz-replay/` (CARGO_TARGET_TMPDIR) to turn into a regression file.

mod fuzz_support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One fuzz target as the replay runs it.
struct Target {
    name: &'static str,
    body: fn(&[u8]),
    /// Repository folders whose files are inputs besides the target's seeds.
    more_corpora: &'static [&'static str],
    /// Mutants run, in all (the body's cost sets it: the whole test stays near a few
    /// seconds in a debug build).
    mutants: usize,
}

/// A boundary number a header field may be set to (lengths, counts, rates).
const BOUNDARIES: [u32; 8] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF];

/// The committed inputs of `target`, by name, sorted.
fn corpus(target: &Target) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fuzz = root.join("tests/fixtures/fuzz").join(target.name);
    let folders = [fuzz.join("seeds"), fuzz.join("regressions")]
        .into_iter()
        .chain(target.more_corpora.iter().map(|folder| root.join(folder)));
    let mut inputs = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries {
            let path = entry.expect("a folder entry").path();
            if path.is_file() {
                let name = path.strip_prefix(root).unwrap_or(&path).display().to_string();
                inputs.push((name, std::fs::read(&path).expect("read an input")));
            }
        }
    }
    inputs.sort();
    inputs
}

/// `input` changed by one to four random edits, some taking bytes from `other`.
fn mutate(rng: &mut ChaCha8Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = bytes.len();
        let at = if len == 0 { 0 } else { rng.random_range(0..len) };
        match rng.random_range(0..8) {
            0 if len > 0 => bytes[at] ^= 1 << rng.random_range(0..8),
            1 if len > 0 => bytes[at] = [0, 0xFF, 0x7F, 0x80, b'0', b'\n', b'|', b'{'][rng.random_range(0..8)],
            2 => bytes.truncate(at),
            3 if len > 0 => {
                let end = rng.random_range(at..=len.min(at + 64));
                bytes.drain(at..end);
            }
            4 if len > 0 => {
                let end = rng.random_range(at..=len.min(at + 64));
                let copy = bytes[at..end].to_vec();
                let to = rng.random_range(0..=len);
                bytes.splice(to..to, copy);
            }
            5 if !other.is_empty() => {
                let from = rng.random_range(0..other.len());
                bytes.truncate(at);
                bytes.extend_from_slice(&other[from..]);
            }
            6 if len >= 4 => {
                let value = BOUNDARIES[rng.random_range(0..BOUNDARIES.len())];
                let at = rng.random_range(0..=len - 4);
                let field = if rng.random_bool(0.5) { value.to_be_bytes() } else { value.to_le_bytes() };
                bytes[at..at + 4].copy_from_slice(&field);
            }
            _ => {
                let count = rng.random_range(1..=16);
                let noise: Vec<u8> = (0..count).map(|_| rng.random()).collect();
                bytes.splice(at..at, noise);
            }
        }
    }
    bytes
}

/// Runs `target` on its corpus and its mutants; the first input that fails, named, with
/// where its bytes were kept.
fn replay(target: &Target) -> Result<(), String> {
    let inputs = corpus(target);
    if inputs.is_empty() {
        return Err(format!("{}: no committed inputs", target.name));
    }
    let run = |label: &str, bytes: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| (target.body)(bytes))).is_ok() {
            return Ok(());
        }
        let kept = failing_input_path(target.name, label);
        std::fs::write(&kept, bytes).expect("keep the failing input");
        Err(format!("fuzz target {}: {label} fails; its bytes are in {}", target.name, kept.display()))
    };
    for (name, bytes) in &inputs {
        run(name, bytes)?;
    }
    let seed = target.name.bytes().fold(0u64, |hash, b| hash.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for mutant in 0..target.mutants {
        let (name, input) = &inputs[mutant % inputs.len()];
        let other = &inputs[rng.random_range(0..inputs.len())].1;
        let bytes = mutate(&mut rng, input, other);
        run(&format!("mutant {mutant} (of {name})"), &bytes)?;
    }
    Ok(())
}

fn failing_input_path(target: &str, label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-replay");
    std::fs::create_dir_all(&dir).expect("a folder for failing inputs");
    let label: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    dir.join(format!("{target}-{label}"))
}

/// Every target, with its extra corpora and mutant count.
const TARGETS: [Target; 6] = [
    Target { name: "abc_read", body: fuzz_support::abc_read::run, more_corpora: &[], mutants: 3000 },
    Target { name: "reward", body: fuzz_support::reward::run, more_corpora: &[], mutants: 1000 },
    Target {
        name: "midi_read",
        body: fuzz_support::midi_read::run,
        more_corpora: &["tests/fixtures/realworld"],
        mutants: 1500,
    },
    Target { name: "audio_decode", body: fuzz_support::audio_decode::run, more_corpora: &[], mutants: 2000 },
    Target { name: "labels", body: fuzz_support::labels::run, more_corpora: &[], mutants: 3000 },
    Target { name: "pipeline_yaml", body: fuzz_support::pipeline_yaml::run, more_corpora: &["pipelines"], mutants: 5000 },
];

#[test]
fn every_target_survives_its_corpus_regressions_and_mutants() {
    // One thread per target: the targets are independent and their costs differ.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = TARGETS.iter().map(|target| scope.spawn(|| replay(target))).collect();
        runs.into_iter().filter_map(|run| run.join().expect("a replay thread").err()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutants_are_the_same_on_every_run() {
    let draw = || {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        (0..50).map(|_| mutate(&mut rng, b"MThd\0\0\0\x06\0\x01", b"X:1\nK:C\n")).collect::<Vec<_>>()
    };
    let first = draw();
    assert_eq!(first, draw());
    assert!(first.iter().filter(|m| m.as_slice() != b"MThd\0\0\0\x06\0\x01").count() > 40, "mutants differ from the input");
}

