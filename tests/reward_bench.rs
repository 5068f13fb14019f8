//! Throughput of the reward on 25-second-clip-sized tunes. Benchmarks, so ignored by
//! default; run them optimised:
//! `cargo test --release --test reward_bench -- --ignored --nocapture`
//! Target (issue 5): >= 10,000 scores/s on one core, reader included.

use std::time::Instant;

use prep::abc::read::{FoundFields, ParsedAbc};
use prep::reward::{RewardConfig, score, score_parsed};
use prep::score::{Instrument, Note, Part, Score};

const TPQ: u32 = 480;

/// A 25 s clip at 96 BPM (40 beats): four voices of eighth notes, every fourth onset a
/// triad, 80 onsets per voice; the prediction differs in every seventh onset.
fn clip(shift_every: usize) -> ParsedAbc {
    let mut score = Score::new(TPQ);
    score.parts = (0..4u8)
        .map(|voice| {
            let mut notes = Vec::new();
            for i in 0..80usize {
                let root = 48 + voice * 7 + ((i * 5) % 12) as u8 + u8::from(shift_every > 0 && i % shift_every == 0);
                let chord: &[u8] = if i % 4 == 0 { &[0, 4, 7] } else { &[0] };
                for interval in chord {
                    notes.push(Note { start: i as u64 * 240, duration: 240, pitch: root + interval, velocity: 80 });
                }
            }
            Part { name: None, instrument: Instrument::from_program(40 + voice), channel: None, is_drum: false, notes }
        })
        .collect();
    let found = FoundFields { metre: true, tempo: true, key: true, unit: true, title: false, voices: 4 };
    ParsedAbc { score, found, diagnostics: Vec::new() }
}

fn report(name: &str, n: usize, seconds: f64) {
    eprintln!("{name}: {n} scores in {seconds:.3} s = {:.0} scores/s", n as f64 / seconds);
}

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn bench_score_parsed() {
    let (truth, predicted, cfg) = (clip(0), clip(7), RewardConfig::default());
    let n = 20_000;
    let start = Instant::now();
    let mut checksum = 0.0;
    for _ in 0..n {
        checksum += score_parsed(&predicted, &truth, &cfg).total;
    }
    report("score_parsed (4 voices x 80 onsets)", n, start.elapsed().as_secs_f64());
    assert!(checksum > 0.0);
}

#[test]
#[ignore = "benchmark, and needs the ABC reader (todo!() until it is merged)"]
fn bench_score_text() {
    let truth = prep::abc::write::to_abc(&clip(0).score, &Default::default());
    let predicted = prep::abc::write::to_abc(&clip(7).score, &Default::default());
    let cfg = RewardConfig::default();
    let n = 10_000;
    let start = Instant::now();
    let mut checksum = 0.0;
    for _ in 0..n {
        checksum += score(&predicted, &truth, &cfg).total;
    }
    report("score (text, reader included)", n, start.elapsed().as_secs_f64());
    assert!(checksum > 0.0);
}
