//! `prep embed`: the embeddings table (`crate::embed::table`).

use anyhow::Result;

use crate::embed::table::{self, EmbedOptions};
use crate::outcome::Outcome;

pub fn run(options: &EmbedOptions) -> Result<Outcome> {
    let summary = table::run(options)?;
    let line = format!(
        "embed: {} clips ({} reused), {} problems",
        summary.clips,
        summary.reused,
        summary.problems.len()
    );
    Ok(Outcome::new(line, summary.problems, summary.notes))
}
