//! `prep generate`: write a deterministic generated MIDI corpus (benchmarks, tests).

use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;

use crate::corpus::{PieceOptions, performed, score_piece};
use crate::midi;
use crate::outcome::Outcome;
use crate::output::write_atomically;
use crate::score::SourceEvents;

/// Everything `prep generate` needs.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub out: PathBuf,
    pub pieces: usize,
    pub seed: u64,
    pub piece: PieceOptions,
    /// Also write performed variants (onset jitter, standard deviation in seconds)
    /// under `out/performed/`, the score-like pieces going under `out/score/`.
    pub performed_jitter: Option<f64>,
}

/// Writes the corpus and says how many pieces.
pub fn run(options: &GenerateOptions) -> Result<Outcome> {
    let written = write_pieces(options)?;
    Ok(Outcome::new(format!("generate: wrote {} pieces", written.len()), Vec::new(), Vec::new()))
}

/// Writes `pieces` generated MIDI files (`piece-0000.mid`, ...) and returns their paths.
pub fn write_pieces(options: &GenerateOptions) -> Result<Vec<PathBuf>> {
    let score_dir = match options.performed_jitter {
        Some(_) => options.out.join("score"),
        None => options.out.clone(),
    };
    (0..options.pieces)
        .into_par_iter()
        .map(|i| {
            let seed = options.seed.wrapping_add(i as u64);
            let score = score_piece(seed, &options.piece);
            let name = format!("piece-{i:04}.mid");
            let path = score_dir.join(&name);
            write_atomically(&path, &midi::to_bytes(&score))?;
            if let Some(jitter) = options.performed_jitter {
                let played = performed(&score, seed, jitter);
                let bytes = midi::to_bytes_stating(&played, SourceEvents::default());
                write_atomically(&options.out.join("performed").join(&name), &bytes)?;
            }
            Ok(path)
        })
        .collect()
}
