//! The demo source: a small corpus generated from a seed and rendered by the built-in
//! synthesizer, so that the whole pipeline runs with no download.
//!
//! Piece `i` is drawn from `corpus::score_piece` with seeds derived from (seed, i): the
//! first draw whose piece has 2 to 4 instruments and lasts 45 to 60 s is kept (its
//! length in bars is chosen to aim at 50 s from the piece's own metre and tempo), so
//! that every piece gives two clips of the recipe's 25 s (the second at least 20 s long):
//! the number of test clips is twice the number of test pieces. Metre,
//! key, tempo and their mid-piece changes vary as the generator varies them. `list` only
//! names the pieces and splits them (cheap: a shard of a job array lists 10,000 pieces
//! in milliseconds); `materialize` renders one piece's mixture as `<out_dir>/<id>.wav`
//! (44.1 kHz mono 16-bit, written atomically; the same seed gives the same bytes), so
//! the listed file exists and can be hashed; `load` regenerates the score, which is
//! exactly what was rendered.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::split::{SplitOptions, assign};
use super::{Piece, PieceRef, Problem, Source, Split};
use crate::corpus::{PieceOptions, score_piece};
use crate::output::write_atomically;
use crate::score::{Score, SourceEvents};
use crate::synth;

/// Length the generated pieces aim at, and the range accepted.
const TARGET_SECONDS: f64 = 50.0;
const SECONDS: std::ops::RangeInclusive<f64> = 45.0..=60.0;
const PARTS: std::ops::RangeInclusive<usize> = 2..=4;
/// Draws tried per piece before the last one is kept whatever it is.
const ATTEMPTS: u64 = 64;

/// The demo source.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSource {
    pub pieces: usize,
    pub seed: u64,
    /// Where the rendered WAV files go.
    pub out_dir: PathBuf,
    pub split: SplitOptions,
}

impl DemoSource {
    /// `pieces` pieces from `seed`, rendered into `out_dir`, split 10% test, 10% validation.
    pub fn new(pieces: usize, seed: u64, out_dir: impl Into<PathBuf>) -> Self {
        DemoSource {
            pieces,
            seed,
            out_dir: out_dir.into(),
            split: SplitOptions {
                seed,
                ..SplitOptions::default()
            },
        }
    }

    fn id(index: usize) -> String {
        format!("{index:02}")
    }

    fn index(id: &str) -> Result<usize> {
        id.parse().with_context(|| format!("`{id}` is not a demo piece id"))
    }

    fn audio_path(&self, id: &str) -> PathBuf {
        self.out_dir.join(format!("{id}.wav"))
    }

    /// The score of piece `index` (see the module doc).
    pub fn score(&self, index: usize) -> Score {
        let mut last = Score::new(crate::corpus::TICKS_PER_QUARTER);
        for attempt in 0..ATTEMPTS {
            let seed = self
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add((index as u64) << 16 | attempt);
            // The metre and tempo are drawn before the length matters: probe, then size.
            let probe = score_piece(
                seed,
                &PieceOptions {
                    bars: 8,
                    ..PieceOptions::default()
                },
            );
            let bar = probe.time_signatures[0].bar_ticks(probe.ticks_per_quarter);
            let bar_seconds = probe.seconds_at(probe.pickup_ticks + bar) - probe.seconds_at(probe.pickup_ticks);
            let bars = (TARGET_SECONDS / bar_seconds).round().clamp(4.0, 400.0) as usize;
            last = score_piece(
                seed,
                &PieceOptions {
                    bars,
                    ..PieceOptions::default()
                },
            );
            last.title = Some(format!("Demo piece {}", Self::id(index)));
            let seconds = last.seconds_at(last.end_tick());
            if PARTS.contains(&last.parts.len()) && SECONDS.contains(&seconds) {
                break;
            }
        }
        last
    }
}

impl Source for DemoSource {
    fn name(&self) -> &str {
        "demo"
    }

    fn list(&self) -> Result<(Vec<PieceRef>, Vec<Problem>)> {
        let mut pieces: Vec<PieceRef> = (0..self.pieces)
            .map(|index| {
                let id = Self::id(index);
                let files = vec![self.audio_path(&id)];
                PieceRef { id, split: Split::Train, files }
            })
            .collect();
        assign(&mut pieces, &self.split);
        Ok((pieces, Vec::new()))
    }

    fn materialize(&self, piece: &PieceRef) -> Result<()> {
        let samples = synth::render(&self.score(Self::index(&piece.id)?), synth::SAMPLE_RATE);
        write_atomically(&self.audio_path(&piece.id), &synth::wav_bytes(&samples, synth::SAMPLE_RATE)?)
    }

    fn load(&self, piece: &PieceRef) -> Result<Piece> {
        let index = Self::index(&piece.id)?;
        let score = self.score(index);
        let mut metadata = BTreeMap::new();
        metadata.insert("seed".to_string(), self.seed.to_string());
        let names: Vec<&str> = score.parts.iter().map(|p| p.instrument.name.as_str()).collect();
        metadata.insert("instruments".to_string(), names.join(", "));
        Ok(Piece {
            id: format!("demo/{}", piece.id),
            source: "demo".to_string(),
            split: piece.split,
            score,
            stated: SourceEvents {
                time_signature: true,
                key_signature: true,
            },
            audio: Some(self.audio_path(&piece.id)),
            metadata,
        })
    }
}
