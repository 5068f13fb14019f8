//! The evaluation report: one row per (clip, run) scored, the statistics over them, and
//! the files written from both.
//!
//! `stats` aggregates the rows with polars; each output file is one [`Export`] in its
//! own module (`markdown`, `csv`, `json`, `charts`), so adding a format is adding a
//! file. [`write_all`] writes every export atomically into the output folder.

mod charts;
mod csv;
mod json;
mod markdown;
mod stats;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::eval::sample::Chosen;
use crate::output::write_atomically;
use crate::reward::{Breakdown, Field};

pub use stats::{ComponentStats, SampleStats, Summary, summarize};

/// The scored components, in report order; `total` is their weighted mean.
pub const COMPONENTS: [&str; 5] = ["pitch", "metre", "tempo", "instrument", "total"];

/// The scores of one answer: a line of `scores.csv`, an object of `scores.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub id: String,
    pub run: u32,
    pub pitch: f64,
    pub metre: f64,
    pub tempo: f64,
    pub instrument: f64,
    pub total: f64,
    /// The answer had every field the reward needs.
    pub parse_ok: bool,
    /// The fields it lacked.
    pub missing: Vec<Field>,
    /// Note onset F1 (reported, not weighted).
    pub onset_f1: f64,
    pub key_exact: bool,
}

impl Row {
    pub fn new(id: &str, run: u32, b: &Breakdown) -> Self {
        Row {
            id: id.to_string(),
            run,
            pitch: b.pitch,
            metre: b.metre,
            tempo: b.tempo,
            instrument: b.instrument,
            total: b.total,
            parse_ok: b.parse.ok,
            missing: b.parse.missing.clone(),
            onset_f1: b.onset.onset.f1,
            key_exact: b.key.exact,
        }
    }

    /// The loss of a component named in [`COMPONENTS`].
    pub fn component(&self, name: &str) -> f64 {
        match name {
            "pitch" => self.pitch,
            "metre" => self.metre,
            "tempo" => self.tempo,
            "instrument" => self.instrument,
            _ => self.total,
        }
    }
}

/// A bad answer shown in full beside the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct WorstCase {
    pub id: String,
    pub run: u32,
    pub total: f64,
    pub truth: String,
    pub prediction: String,
}

/// Everything the exports render.
#[derive(Debug, Clone)]
pub struct Report {
    /// (name, value) lines describing the run: dataset, source of answers, seed, ...
    pub settings: Vec<(String, String)>,
    pub chosen: Vec<Chosen>,
    /// Sorted by (id, run).
    pub rows: Vec<Row>,
    pub summary: Summary,
    /// Highest total first.
    pub worst: Vec<WorstCase>,
}

/// One output file rendered from the report.
pub trait Export {
    fn file_name(&self) -> &'static str;
    fn render(&self, report: &Report) -> Result<String>;
}

/// Every export, in the order they are written.
pub fn exports() -> Vec<Box<dyn Export>> {
    vec![
        Box::new(markdown::Markdown),
        Box::new(csv::Csv),
        Box::new(json::Json),
        Box::new(charts::Distributions),
        Box::new(charts::RunSpread),
    ]
}

/// A fingerprint of the clips of `split` evaluated from: BLAKE3 over each clip's id and
/// true ABC, in id order, so two reports name the same data exactly when they agree.
pub fn fingerprint(clips: &[crate::eval::Clip], split: crate::datasets::Split) -> String {
    let mut chosen: Vec<&crate::eval::Clip> = clips.iter().filter(|c| c.split == split).collect();
    chosen.sort_by(|a, b| a.id.cmp(&b.id));
    let mut hasher = blake3::Hasher::new();
    for clip in chosen {
        for text in [&clip.id, &clip.abc] {
            hasher.update(&(text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
    }
    hasher.finalize().to_hex()[..16].to_string()
}

/// Writes every export into `dir`, each atomically; returns the paths written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    exports()
        .iter()
        .map(|export| {
            let path = dir.join(export.file_name());
            let text = export.render(report).with_context(|| format!("rendering {}", export.file_name()))?;
            write_atomically(&path, text.as_bytes())?;
            Ok(path)
        })
        .collect()
}

/// The `count` clips with the highest total above 0, each by its worst run (ties: by id,
/// then run), with their texts. One case per clip: three bad runs of one clip would
/// otherwise fill the list and hide the other clips.
pub fn worst_cases<'a>(
    rows: &[Row],
    count: usize,
    texts: impl Fn(&str, u32) -> Option<(&'a str, &'a str)>,
) -> Vec<WorstCase> {
    let mut order: Vec<&Row> = rows.iter().collect();
    order.sort_by(|a, b| b.total.total_cmp(&a.total).then_with(|| a.id.cmp(&b.id)).then(a.run.cmp(&b.run)));
    let mut seen = std::collections::BTreeSet::new();
    order
        .into_iter()
        .filter(|row| row.total > 0.0 && seen.insert(row.id.as_str()))
        .take(count)
        .filter_map(|row| {
            let (truth, prediction) = texts(&row.id, row.run)?;
            Some(WorstCase {
                id: row.id.clone(),
                run: row.run,
                total: row.total,
                truth: truth.to_string(),
                prediction: prediction.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, run: u32, total: f64) -> Row {
        Row {
            id: id.to_string(),
            run,
            pitch: 0.0,
            metre: 0.0,
            tempo: 0.0,
            instrument: 0.0,
            total,
            parse_ok: true,
            missing: Vec::new(),
            onset_f1: 1.0,
            key_exact: true,
        }
    }

    #[test]
    fn worst_cases_show_each_clip_once_by_its_worst_run() {
        let rows = [row("a", 0, 0.9), row("a", 1, 0.95), row("a", 2, 0.8), row("b", 0, 0.5), row("c", 0, 0.0)];
        let worst = worst_cases(&rows, 3, |_, _| Some(("truth", "answer")));
        let shown: Vec<(&str, u32)> = worst.iter().map(|w| (w.id.as_str(), w.run)).collect();
        assert_eq!(shown, [("a", 1), ("b", 0)], "c scored 0 and is not a bad case");
    }
}
