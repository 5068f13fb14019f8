//! Throughput of the reward, reader included, on one core: what an RL loop calling
//! `prep::reward::score` (or `prep reward --jsonl`) gets. Issue 5's target: at least
//! 10,000 scores/s for 25-second-clip-sized ABC.
//!
//! Truths: 25 s windows of 64 generated pieces (src/corpus.rs: 1-4 instruments, chords,
//! triplets), written as prep writes clip ABC. Predictions: the same clips through the
//! `perturbed:0.3` baseline (transposed, dropped notes, tempo and instrument errors).
//! Run with `cargo bench --bench reward`; prints the median of 5 passes.

use std::time::Instant;

use prep::abc::write::{AbcOptions, to_abc};
use prep::corpus::{PieceOptions, score_piece};
use prep::eval::baseline::perturb;
use prep::reward::{RewardConfig, score};

fn main() {
    let options = PieceOptions { bars: 24, ..PieceOptions::default() };
    let pairs: Vec<(String, String)> = (0..64u64)
        .map(|seed| {
            let clip = score_piece(seed, &options).window_seconds(0.0, 25.0);
            let truth = to_abc(&clip, &AbcOptions::default());
            let predicted = to_abc(&perturb(&clip, 0.3, seed), &AbcOptions::default());
            (truth, predicted)
        })
        .collect();
    let bytes: usize = pairs.iter().map(|(t, _)| t.len()).sum();
    let cfg = RewardConfig::default();
    let mut rates = Vec::new();
    let mut checksum = 0.0;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed().as_secs_f64() < 1.0 {
            for (truth, predicted) in &pairs {
                checksum += score(predicted, truth, &cfg).total;
                n += 1;
            }
        }
        rates.push(n as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "reward::score, reader included, 1 thread: median {:.0} scores/s over 5 passes (min {:.0}, max {:.0}); \
         truths average {} bytes of ABC; checksum {checksum:.3}",
        rates[2],
        rates[0],
        rates[4],
        bytes / pairs.len()
    );
}
