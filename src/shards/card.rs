//! The dataset card, `README.md`: YAML front matter the Hub and `datasets` read (one
//! config per table with its data files per split, the features, the license) and a
//! generated summary for people (rows per split, hours of audio, instruments, citations).
//!
//! It renders text from what the writers report; it writes no file.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::features::card_features;
use super::writer::TableFiles;
use super::yaml::Yaml;
use crate::audio::pcm16_duration_s;
use crate::clips::Clip;

/// What the card says about the clips, gathered while they stream to the writer.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClipStats {
    /// Seconds of audio embedded in the clips table.
    pub audio_seconds: f64,
    /// Clips per General MIDI instrument name.
    pub instruments: BTreeMap<String, u64>,
    /// The sources the clips come from (`urmp`, `musicnet`, ...).
    pub sources: BTreeSet<String>,
}

impl ClipStats {
    /// Counts a clip and its embedded audio (a WAV from `crate::audio`), if any.
    pub fn add(&mut self, clip: &Clip, wav: Option<&[u8]>) {
        self.audio_seconds += wav.and_then(pcm16_duration_s).unwrap_or(0.0);
        for instrument in &clip.instruments {
            *self.instruments.entry(instrument.clone()).or_default() += 1;
        }
        self.sources.insert(clip.source.clone());
    }

    /// Adds the statistics of other clips (another shard's).
    pub fn absorb(&mut self, other: &ClipStats) {
        self.audio_seconds += other.audio_seconds;
        for (instrument, count) in &other.instruments {
            *self.instruments.entry(instrument.clone()).or_default() += count;
        }
        self.sources.extend(other.sources.iter().cloned());
    }
}

/// A source the card cites when its clips are present.
struct Citation {
    source: &'static str,
    text: &'static str,
    bibtex: &'static str,
}

const CITATIONS: [Citation; 2] = [
    Citation {
        source: "urmp",
        text: "Li, B., Liu, X., Dinesh, K., Duan, Z., Sharma, G. (2018). Creating a Multitrack Classical Music \
               Performance Dataset for Multimodal Music Analysis: Challenges, Insights, and Applications. \
               IEEE Transactions on Multimedia.",
        bibtex: "@article{li2018urmp,\n  title={Creating a Multitrack Classical Music Performance Dataset for \
                 Multimodal Music Analysis: Challenges, Insights, and Applications},\n  author={Li, Bochen and \
                 Liu, Xinzhao and Dinesh, Karthik and Duan, Zhiyao and Sharma, Gaurav},\n  journal={IEEE \
                 Transactions on Multimedia},\n  year={2018}\n}",
    },
    Citation {
        source: "musicnet",
        text: "Thickstun, J., Harchaoui, Z., Kakade, S. (2017). Learning Features of Music from Scratch. \
               International Conference on Learning Representations (ICLR).",
        bibtex: "@inproceedings{thickstun2017musicnet,\n  title={Learning Features of Music from Scratch},\n  \
                 author={Thickstun, John and Harchaoui, Zaid and Kakade, Sham},\n  booktitle={International \
                 Conference on Learning Representations (ICLR)},\n  year={2017}\n}",
    },
];

/// The card's text: front matter then summary. Tables without rows are left out.
pub fn render(title: &str, tables: &[TableFiles], stats: &ClipStats) -> Result<String> {
    let tables: Vec<&TableFiles> = tables
        .iter()
        .filter(|t| t.splits.values().any(|s| s.rows > 0))
        .collect();
    let front = front_matter(&tables)?;
    let mut card = format!("---\n{}---\n\n# {title}\n\n", front.to_block());
    card.push_str(
        "Music clips paired with the ABC notation of exactly what is heard, short question/answer pairs \
         about them, and (when computed) audio embeddings, prepared by `prep shards`.\n\n",
    );
    card.push_str(&rows_section(&tables));
    card.push_str(&audio_section(stats));
    card.push_str(&instruments_section(stats));
    card.push_str(
        "## License\n\nTODO: set the license. The clips derive from the source datasets below; their \
         licenses and terms of use apply.\n\n",
    );
    card.push_str(&citations_section(stats));
    Ok(card)
}

fn front_matter(tables: &[&TableFiles]) -> Result<Yaml> {
    let configs = tables
        .iter()
        .map(|t| {
            let files = t
                .splits
                .keys()
                .map(|split| {
                    let path = format!("data/{}/{split}-*.parquet", t.config);
                    Yaml::map([("split", Yaml::str(split.name())), ("path", Yaml::Str(path))])
                })
                .collect();
            Yaml::map([("config_name", Yaml::str(&t.config)), ("data_files", Yaml::List(files))])
        })
        .collect();
    let infos = tables
        .iter()
        .map(|t| {
            let splits = t
                .splits
                .iter()
                .map(|(split, files)| {
                    Yaml::map([
                        ("name", Yaml::str(split.name())),
                        ("num_examples", Yaml::Int(files.rows as i64)),
                    ])
                })
                .collect();
            Ok(Yaml::map([
                ("config_name", Yaml::str(&t.config)),
                ("features", Yaml::List(card_features(&t.schema, &t.dims)?)),
                ("splits", Yaml::List(splits)),
            ]))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Yaml::map([
        ("license", Yaml::str("other")),
        ("task_categories", Yaml::List(vec![Yaml::str("audio-to-text")])),
        ("tags", Yaml::List(vec![Yaml::str("music"), Yaml::str("abc-notation")])),
        ("configs", Yaml::List(configs)),
        ("dataset_info", Yaml::List(infos)),
    ]))
}

fn rows_section(tables: &[&TableFiles]) -> String {
    let mut out = String::from("## Configs\n\n| config | split | rows | files |\n| --- | --- | ---: | ---: |\n");
    for table in tables {
        for (split, files) in &table.splits {
            out.push_str(&format!(
                "| {} | {split} | {} | {} |\n",
                table.config,
                files.rows,
                files.files.len()
            ));
        }
    }
    out.push('\n');
    out
}

fn audio_section(stats: &ClipStats) -> String {
    format!(
        "## Audio\n\n{:.2} hours of audio in the clips table.\n\n",
        stats.audio_seconds / 3600.0
    )
}

/// Instruments by number of clips, most frequent first (ties by name).
fn instruments_section(stats: &ClipStats) -> String {
    let mut counts: Vec<(&String, &u64)> = stats.instruments.iter().collect();
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut out = String::from("## Instruments\n\n| instrument | clips |\n| --- | ---: |\n");
    for (name, count) in counts {
        out.push_str(&format!("| {name} | {count} |\n"));
    }
    out.push('\n');
    out
}

fn citations_section(stats: &ClipStats) -> String {
    let cited: Vec<&Citation> = CITATIONS.iter().filter(|c| stats.sources.contains(c.source)).collect();
    if cited.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Citations\n\nIf you use this dataset, please cite its sources:\n\n");
    for citation in cited {
        out.push_str(&format!(
            "- {}\n\n```bibtex\n{}\n```\n\n",
            citation.text, citation.bibtex
        ));
    }
    out
}
