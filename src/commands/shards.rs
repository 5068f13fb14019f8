//! `prep shards`: the dataset folder from JSONL records (`crate::shards::build`).

use anyhow::Result;

use crate::outcome::Outcome;
use crate::shards::build::{self, ShardsOptions};

pub fn run(options: &ShardsOptions) -> Result<Outcome> {
    let summary = build::run(options)?;
    let line = format!(
        "shards: {} chat examples, {} problems, dataset card at {}",
        summary.chat_examples,
        summary.problems.len(),
        summary.card.display()
    );
    Ok(Outcome::new(line, summary.problems, Vec::new()))
}
