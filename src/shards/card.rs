//! The dataset card, `README.md`: YAML front matter the Hub and `datasets` read (a pretty
//! name, the license of the sources present, Hub task and size categories, one config
//! per table with its data files per split, the features and the sizes in bytes) and a
//! body for people: rows per split, how each table and the
//! splits were made, hours of audio, instruments, the recipe, the licenses and the
//! citations.
//!
//! It renders text from what the writers report; it writes no file.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::features::card_features;
use super::writer::TableFiles;
use super::yaml::Yaml;
use crate::audio::pcm16_duration_s;
use crate::clips::Clip;
use crate::datasets::Split;
use crate::qa::chat::{CHAT_DIR, CLIP_AUDIO_DIR};

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

/// What the card says beyond the tables and the clip statistics.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CardExtras {
    /// Examples per split of the chat export (`chat/<split>.jsonl`); empty without one.
    #[serde(default)]
    pub chat: BTreeMap<Split, u64>,
    /// The pipeline file the dataset was made from (YAML), when `prep run` made it.
    #[serde(default)]
    pub recipe: Option<String>,
}

/// The Hub task categories of the dataset (ids of the Hub's task list,
/// `huggingface.js` `packages/tasks/src/pipelines.ts`). `audio-text-to-text` is exactly
/// the task (audio and a question in, text out); `audio-classification` is listed too,
/// because the metre, key and instrument questions are classification tasks and
/// because the Hub's dataset filters do not show `audio-text-to-text`. Not
/// `automatic-speech-recognition`: the audio is music, not speech.
pub const TASK_CATEGORIES: [&str; 2] = ["audio-text-to-text", "audio-classification"];

/// The card's text: front matter then summary. Tables without rows are left out.
pub fn render(title: &str, tables: &[TableFiles], stats: &ClipStats, extras: &CardExtras) -> Result<String> {
    let tables: Vec<&TableFiles> = tables
        .iter()
        .filter(|t| t.splits.values().any(|s| s.rows > 0))
        .collect();
    let licenses = licenses(stats);
    let front = front_matter(title, &tables, &licenses, extras)?;
    let mut card = format!("---\n{}---\n\n# {title}\n\n", front.to_block());
    card.push_str(
        "Music clips paired with the ABC notation of exactly what is heard, short question/answer pairs \
         about them, a chat export for supervised fine-tuning, and (when computed) audio embeddings, \
         prepared by prep.\n\n",
    );
    card.push_str(&rows_section(&tables, extras));
    card.push_str(&tables_section(&tables, extras));
    card.push_str(&splits_section());
    card.push_str(&audio_section(stats));
    card.push_str(&instruments_section(stats));
    card.push_str(&recipe_section(extras));
    card.push_str(&license_section(&licenses));
    card.push_str(&citations_section(stats));
    Ok(card)
}

/// The license of one source's material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SourceLicense {
    source: &'static str,
    /// A Hub license id.
    id: &'static str,
    /// For `other`: the name and link the Hub asks for.
    other: Option<(&'static str, &'static str)>,
    terms: &'static str,
    /// Where the source states these terms, for the reader to check.
    stated_at: Option<&'static str>,
}

const SOURCE_LICENSES: [SourceLicense; 3] = [
    SourceLicense {
        source: "demo",
        id: "cc0-1.0",
        other: None,
        terms: "The demo corpus is generated from a seed by prep's own score generator and synthesizer; it \
                contains no third-party material and is dedicated to the public domain (CC0 1.0).",
        stated_at: None,
    },
    SourceLicense {
        source: "musicnet",
        id: "cc-by-4.0",
        other: None,
        terms: "MusicNet (Thickstun et al.) is released under the Creative Commons Attribution 4.0 \
                International license: credit its authors (see Citations).",
        stated_at: Some("https://zenodo.org/records/5120004"),
    },
    SourceLicense {
        source: "urmp",
        id: "other",
        other: Some(("urmp-terms", "https://labsites.rochester.edu/air/projects/URMP.html")),
        terms: "URMP (Li et al.) states no open license; it is distributed by the University of Rochester \
                for research, under the terms of its web page. Check them before redistributing clips.",
        stated_at: Some("https://labsites.rochester.edu/air/projects/URMP.html"),
    },
];

/// Material of an unknown source (a user's folder): its owner's terms apply.
const FOLDER_LICENSE: SourceLicense = SourceLicense {
    source: "folder",
    id: "unknown",
    other: None,
    terms: "Clips from a folder of MIDI and audio files carry the license of those files, which prep \
            cannot know: set it here before publishing.",
    stated_at: None,
};

/// The licenses of the sources present, in source order.
fn licenses(stats: &ClipStats) -> Vec<SourceLicense> {
    stats
        .sources
        .iter()
        .map(|source| {
            SOURCE_LICENSES
                .iter()
                .find(|l| l.source == source)
                .copied()
                .unwrap_or(FOLDER_LICENSE)
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The Hub's size category of `rows` examples.
pub fn size_category(rows: u64) -> &'static str {
    const BOUNDS: [(u64, &str); 10] = [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
        (1_000_000_000, "100M<n<1B"),
        (10_000_000_000, "1B<n<10B"),
        (100_000_000_000, "10B<n<100B"),
        (1_000_000_000_000, "100B<n<1T"),
    ];
    BOUNDS.iter().find(|(bound, _)| rows < *bound).map_or("n>1T", |(_, name)| name)
}

fn front_matter(title: &str, tables: &[&TableFiles], licenses: &[SourceLicense], extras: &CardExtras) -> Result<Yaml> {
    let configs: Vec<Yaml> = tables
        .iter()
        .map(|t| {
            let files = t
                .splits
                .keys()
                .map(|split| data_file(*split, format!("data/{}/{split}-*.parquet", t.config)))
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
                        ("num_bytes", Yaml::Int(files.num_bytes as i64)),
                        ("num_examples", Yaml::Int(files.rows as i64)),
                    ])
                })
                .collect();
            let download: u64 = t.splits.values().map(|s| s.download_bytes).sum();
            let size: u64 = t.splits.values().map(|s| s.num_bytes).sum();
            Ok(Yaml::map([
                ("config_name", Yaml::str(&t.config)),
                ("features", Yaml::List(card_features(&t.schema, &t.dims)?)),
                ("splits", Yaml::List(splits)),
                ("download_size", Yaml::Int(download as i64)),
                ("dataset_size", Yaml::Int(size as i64)),
            ]))
        })
        .collect::<Result<Vec<_>>>()?;
    let largest = tables
        .iter()
        .map(|t| t.splits.values().map(|s| s.rows).sum::<u64>())
        .chain([extras.chat.values().sum()])
        .max()
        .unwrap_or(0);
    let mut entries = vec![("pretty_name".to_string(), Yaml::str(title))];
    entries.extend(license_entries(licenses));
    entries.extend([
        ("task_categories".to_string(), Yaml::List(TASK_CATEGORIES.iter().map(|t| Yaml::str(*t)).collect())),
        ("tags".to_string(), Yaml::List(["music", "abc-notation", "music-transcription"].map(Yaml::str).to_vec())),
        ("size_categories".to_string(), Yaml::List(vec![Yaml::str(size_category(largest))])),
        ("configs".to_string(), Yaml::List(configs)),
        ("dataset_info".to_string(), Yaml::List(infos)),
    ]);
    Ok(Yaml::Map(entries))
}

fn data_file(split: Split, path: String) -> Yaml {
    Yaml::map([("split", Yaml::str(split.name())), ("path", Yaml::Str(path))])
}

/// `license` (one id, or a list when sources differ), and `license_name` /
/// `license_link` when a source's license is `other`.
fn license_entries(licenses: &[SourceLicense]) -> Vec<(String, Yaml)> {
    let ids: BTreeSet<&str> = licenses.iter().map(|l| l.id).collect();
    let license = match ids.len() {
        0 => Yaml::str("unknown"),
        1 => Yaml::str(*ids.iter().next().unwrap_or(&"unknown")),
        _ => Yaml::List(ids.iter().map(|id| Yaml::str(*id)).collect()),
    };
    let mut entries = vec![("license".to_string(), license)];
    if let Some((name, link)) = licenses.iter().find_map(|l| l.other) {
        entries.push(("license_name".to_string(), Yaml::str(name)));
        entries.push(("license_link".to_string(), Yaml::str(link)));
    }
    entries
}

fn rows_section(tables: &[&TableFiles], extras: &CardExtras) -> String {
    let mut out = String::from("## Configs\n\n| config | split | rows | files |\n| --- | --- | ---: | ---: |\n");
    for table in tables {
        for (split, files) in &table.splits {
            out.push_str(&format!("| {} | {split} | {} | {} |\n", table.config, files.rows, files.files.len()));
        }
    }
    for (split, examples) in &extras.chat {
        out.push_str(&format!("| {CHAT_DIR} | {split} | {examples} | 1 |\n"));
    }
    out.push('\n');
    out
}

/// How each table was made, for the tables present.
fn tables_section(tables: &[&TableFiles], extras: &CardExtras) -> String {
    let mut out = String::from("## How each table was made\n\n");
    for table in tables {
        let text = match table.config.as_str() {
            "clips" => {
                "`clips`: each piece's score is read (MIDI, or the source's note labels), quantized to a \
                 beat grid (inferring the metre, key and tempo the source does not state), and cut into \
                 windows; each clip's ABC is exactly the notes sounding in its window (tempo and metre \
                 changes included) and is checked to parse back to the same notes. `audio` holds the \
                 window's samples (mono 16-bit WAV at the recording's rate), cut from the same seconds."
            }
            "qa" => {
                "`qa`: per clip, one question per kind (tempo, metre, key, instruments, instrument count, \
                 transcription), its phrasing picked by a seeded generator from templates, its answer in a \
                 fixed, checkable format derived from the clip (the transcription's answer is the clip's ABC)."
            }
            "embeddings" => {
                "`embeddings`: per clip, the named model's features (`model`, `layer`), pooled to \
                 `frame_rate_hz`, stored as float16 `[frames x dim]`; `provenance` says whether they come \
                 from real weights or the log-mel default. Every clip has the frames of the nominal clip \
                 length: a shorter clip (the last of a piece) is padded with zeros, and `valid_frames` counts \
                 the leading frames that hold its audio (mask the rest)."
            }
            other => other,
        };
        out.push_str(&format!("- {text}\n"));
    }
    if !extras.chat.is_empty() {
        out.push_str(&format!(
            "- `{CHAT_DIR}`: the `qa` pairs of clips with audio, one JSON line each in TRL's conversational \
             prompt/completion form (`prompt`, `completion`, each content a plain string) with an `audio` \
             column naming the clip's own WAV file (`{CLIP_AUDIO_DIR}/<clip-id>.wav`, exactly the clip's \
             window) relative to this folder. It is not a config of this card (`datasets` reads one \
             format per repository, here Parquet): load it with `load_dataset(\"json\", data_files={{\"train\": \
             \"chat/train.jsonl\", \"validation\": \"chat/validation.jsonl\", \"test\": \"chat/test.jsonl\"}})`. \
             A trainer puts the audio part before the question for the model's chat template (see prep's \
             `examples/train_qwen2_audio.py`).\n"
        ));
    }
    out.push('\n');
    out
}

fn splits_section() -> String {
    "## Splits\n\nSplits are by piece, never by clip: no piece has clips in two splits. URMP and MusicNet \
     keep their official test pieces and carve validation out of their training pieces; other sources \
     are split by a keyed hash of the piece id and the seed, so the same seed always gives the same \
     split.\n\n"
        .to_string()
}

fn recipe_section(extras: &CardExtras) -> String {
    match &extras.recipe {
        Some(recipe) => format!(
            "## Recipe\n\nMade by `prep run` (prep {}) from this pipeline file; the same file and \
             inputs give the same dataset, byte for byte:\n\n```yaml\n{}\n```\n\n",
            crate::version::BUILD,
            recipe.trim_end()
        ),
        None => format!(
            "## Recipe\n\nMade by `prep shards` (prep {}) from clips and Q&A records.\n\n",
            crate::version::BUILD
        ),
    }
}

fn license_section(licenses: &[SourceLicense]) -> String {
    let mut out = String::from("## License\n\n");
    if licenses.is_empty() {
        out.push_str("No clips, so no source license applies.\n\n");
    }
    for license in licenses {
        let source = license.stated_at.map_or(String::new(), |url| format!(" Terms as stated at <{url}>."));
        out.push_str(&format!("- `{}` ({}): {}{source}\n", license.source, license.id, license.terms));
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
