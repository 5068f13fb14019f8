//! `prep qa`: Q&A pairs for clips given as ABC (`crate::qa::build`).

use std::time::Instant;

use anyhow::Result;

use crate::outcome::Outcome;
use crate::qa::build::{self, QaOptions};

pub fn run(options: &QaOptions) -> Result<Outcome> {
    let started = Instant::now();
    let summary = build::run(options)?;
    let line = format!(
        "qa: {} pairs for {} clips ({} chat lines, {} clips without audio, {} failed) in {:.2} s",
        summary.pairs,
        summary.clips,
        summary.chat_lines,
        summary.without_audio,
        summary.problems.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::new(line, summary.problems, Vec::new()))
}
