//! `prep run`: a dataset from a pipeline file (`crate::pipeline`).

use std::time::Instant;

use anyhow::Result;

use crate::outcome::Outcome;
use crate::pipeline::{self, Pipeline};

pub fn run(pipeline: &Pipeline) -> Result<Outcome> {
    let started = Instant::now();
    let summary = pipeline::run(pipeline)?;
    let line = format!(
        "run: {} pieces ({} reused), {} clips, {} Q&A pairs, {} embedded clips, {} problems, \
         dataset in {} ({:.1} s)",
        summary.pieces,
        summary.reused,
        summary.clips,
        summary.pairs,
        summary.embedded,
        summary.problems.len(),
        summary.dataset.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::new(line, summary.problems, summary.notes))
}
