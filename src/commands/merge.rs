//! `prep merge`: a job array's shards into one dataset (`crate::scale::merge`).

use std::path::Path;

use anyhow::Result;

use crate::outcome::Outcome;
use crate::scale;

pub fn run(output: &Path) -> Result<Outcome> {
    let summary = scale::merge(output)?;
    let stages: Vec<String> = summary
        .stages
        .iter()
        .map(|stage| {
            if stage.already_merged {
                return format!("{} ({} shards): already merged", stage.stage.name(), stage.shards);
            }
            let rows: Vec<String> = stage.rows.iter().map(|(config, rows)| format!("{rows} {config}")).collect();
            format!("{} ({} shards): {} files, {} rows", stage.stage.name(), stage.shards, stage.files, rows.join(", "))
        })
        .collect();
    let line = format!("merge: {}; dataset card at {}", stages.join("; "), summary.card.display());
    Ok(Outcome::new(line, Vec::new(), Vec::new()))
}
