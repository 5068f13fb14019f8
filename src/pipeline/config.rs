//! The pipeline file: one YAML document naming the source, the clip, ABC, Q&A and shard
//! settings, and the output folder. Unknown keys and wrong types are errors that name
//! the file, the line and the column; every setting has a documented default.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::abc::write::{AbcOptions, Layout};
use crate::analysis::QuantizeMode;
use crate::clips::ClipOptions;
use crate::embed::EmbedderSpec;
use crate::scale::Partition;
use crate::shards::ShardOptions;

/// A whole pipeline file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Title of the dataset card.
    #[serde(default = "default_title")]
    pub title: String,
    pub source: SourceConfig,
    /// Output folder (relative paths are relative to the current directory).
    pub output: PathBuf,
    #[serde(default)]
    pub splits: SplitsConfig,
    /// `auto`, `exact`, `performed`, `off` or `grid:N` (see `prep midi2abc --quantize`).
    #[serde(default = "default_quantize")]
    pub quantize: String,
    #[serde(default)]
    pub clips: ClipsConfig,
    #[serde(default)]
    pub abc: AbcConfig,
    #[serde(default)]
    pub qa: QaConfig,
    #[serde(default)]
    pub shards: ShardsConfig,
    /// The embeddings table, when set (`prep embed` with these options after the shards).
    #[serde(default)]
    pub embeddings: Option<EmbeddingsConfig>,
    /// The shard this task runs, when the job is an array (`crate::scale`); not a key
    /// of the file: it comes from the command line or the engine.
    #[serde(skip)]
    pub partition: Option<Partition>,
}

fn default_title() -> String {
    "prep dataset".to_string()
}

fn default_quantize() -> String {
    "auto".to_string()
}

/// Where the music comes from. (A flat struct rather than a tagged enum so that every
/// type error keeps its line number; `Pipeline::parse` checks which keys go with which kind.)
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub kind: SourceKind,
    /// urmp, musicnet, folder: the dataset folder.
    pub path: Option<PathBuf>,
    /// demo: number of generated pieces (default 12).
    pub pieces: Option<usize>,
    /// demo: the corpus seed (default 0).
    pub seed: Option<u64>,
    /// folder: list MIDI files without a recording too (their clips have no audio).
    pub allow_missing_audio: Option<bool>,
}

/// The kinds of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// The generated demo corpus, rendered by the built-in synthesizer into `OUTPUT/audio`.
    Demo,
    /// URMP in its published layout (one folder per piece).
    Urmp,
    /// MusicNet in its published layout (or the common re-packaged nesting).
    Musicnet,
    /// A folder of `name.mid` next to `name.wav|flac|mp3|ogg`.
    Folder,
}

impl SourceConfig {
    /// Refuses keys that do not go with the kind, and a missing `path`.
    fn check(&self) -> Result<()> {
        let kind = format!("{:?}", self.kind).to_lowercase();
        let misplaced = |key: &str, allowed: &str| anyhow::anyhow!("source.{key} only goes with kind {allowed}, not {kind}");
        if self.kind != SourceKind::Demo {
            if self.pieces.is_some() {
                return Err(misplaced("pieces", "demo"));
            }
            if self.seed.is_some() {
                return Err(misplaced("seed", "demo"));
            }
            if self.path.is_none() {
                bail!("source.path is required for kind {kind}");
            }
        } else if self.path.is_some() {
            return Err(misplaced("path", "urmp, musicnet or folder"));
        }
        if self.kind != SourceKind::Folder && self.allow_missing_audio.is_some() {
            return Err(misplaced("allow_missing_audio", "folder"));
        }
        Ok(())
    }
}

/// How pieces are split (always by piece). URMP and MusicNet keep their official test
/// sets and only carve validation out of train; other sources use both fractions.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitsConfig {
    pub seed: u64,
    pub validation: f64,
    pub test: f64,
}

impl Default for SplitsConfig {
    fn default() -> Self {
        SplitsConfig { seed: 0, validation: 0.1, test: 0.1 }
    }
}

/// How pieces are cut into clips.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClipsConfig {
    /// Window length in seconds.
    pub length_s: f64,
    /// Start-to-start distance in seconds (default: the length, no overlap).
    pub hop_s: Option<f64>,
    /// Windows shorter than this (the tail) are dropped.
    pub min_length_s: f64,
    /// Cut at bar lines: windows of whole bars of about `length_s`.
    pub at_bars: bool,
}

impl Default for ClipsConfig {
    fn default() -> Self {
        let defaults = ClipOptions::default();
        ClipsConfig {
            length_s: defaults.length_s,
            hop_s: None,
            min_length_s: defaults.min_length_s,
            at_bars: defaults.at_bars,
        }
    }
}

/// How ABC is written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AbcConfig {
    /// Unit note length like `1/16`; default: the one giving the shortest text.
    pub unit: Option<String>,
    /// `interleaved` or `voices`.
    pub layout: String,
    pub bars_per_line: usize,
}

impl Default for AbcConfig {
    fn default() -> Self {
        AbcConfig { unit: None, layout: "interleaved".to_string(), bars_per_line: 4 }
    }
}

/// How Q&A pairs are made.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct QaConfig {
    /// A templates YAML whose kinds replace the built-in phrasings.
    pub templates: Option<PathBuf>,
    pub seed: u64,
}

/// How shards are sized.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShardsConfig {
    pub target_size_mb: u64,
    pub row_group_mb: u64,
}

impl Default for ShardsConfig {
    fn default() -> Self {
        let defaults = ShardOptions::default();
        ShardsConfig {
            target_size_mb: defaults.target_shard_bytes / 1_000_000,
            row_group_mb: defaults.row_group_bytes as u64 / 1_000_000,
        }
    }
}

/// The embeddings table's model; the same options as `prep embed`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsConfig {
    /// mel, jukebox or whisper.
    pub model: String,
    pub layer: Option<u32>,
    /// exact or llark.
    #[serde(default = "default_pooling")]
    pub pooling: String,
    /// A local path or a Hub repo id.
    pub weights: Option<String>,
    /// f32, bf16 or f16.
    #[serde(default = "default_dtype")]
    pub dtype: String,
    /// cpu, cuda or cuda:N.
    #[serde(default = "default_device")]
    pub device: String,
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
}

fn default_pooling() -> String {
    "exact".to_string()
}

fn default_dtype() -> String {
    "f32".to_string()
}

fn default_device() -> String {
    "cpu".to_string()
}

fn default_batch_size() -> usize {
    4
}

impl EmbeddingsConfig {
    /// The embedder these settings describe; errors name the setting.
    pub fn spec(&self) -> Result<EmbedderSpec> {
        Ok(EmbedderSpec {
            model: self.model.parse().context("embeddings.model")?,
            layer: self.layer,
            pooling: self.pooling.parse().context("embeddings.pooling")?,
            weights: self.weights.clone(),
            dtype: self.dtype.parse().context("embeddings.dtype")?,
            device: self.device.parse().context("embeddings.device")?,
        })
    }
}

impl Pipeline {
    /// Reads and checks a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Pipeline::parse(&text).with_context(|| format!("{}", path.display()))
    }

    /// Parses and checks pipeline YAML (errors carry the line and column).
    pub fn parse(text: &str) -> Result<Pipeline> {
        let pipeline: Pipeline = yaml_serde::from_str(text)?;
        pipeline.source.check()?;
        pipeline.quantize_mode()?;
        pipeline.abc_options()?;
        pipeline.clip_options().validate()?;
        for (name, fraction) in [("splits.validation", pipeline.splits.validation), ("splits.test", pipeline.splits.test)] {
            if !(0.0..1.0).contains(&fraction) {
                bail!("{name} must be in [0, 1), got {fraction}");
            }
        }
        if pipeline.shards.target_size_mb == 0 || pipeline.shards.row_group_mb == 0 {
            bail!("shards.target_size_mb and shards.row_group_mb must be positive");
        }
        if let Some(embeddings) = &pipeline.embeddings {
            embeddings.spec()?;
            if embeddings.batch_size == 0 {
                bail!("embeddings.batch_size must be at least 1");
            }
        }
        Ok(pipeline)
    }

    pub fn quantize_mode(&self) -> Result<QuantizeMode> {
        QuantizeMode::parse(&self.quantize).map_err(anyhow::Error::msg).context("quantize")
    }

    pub fn abc_options(&self) -> Result<AbcOptions> {
        let layout = match self.abc.layout.as_str() {
            "interleaved" => Layout::Interleaved,
            "voices" => Layout::Voices,
            other => bail!("abc.layout: expected interleaved or voices, got {other:?}"),
        };
        let unit = match &self.abc.unit {
            None => None,
            Some(text) => Some(crate::abc::write::parse_unit(text).map_err(anyhow::Error::msg).context("abc.unit")?),
        };
        if self.abc.bars_per_line == 0 {
            bail!("abc.bars_per_line must be at least 1");
        }
        Ok(AbcOptions { unit, layout, bars_per_line: self.abc.bars_per_line, ..AbcOptions::default() })
    }

    pub fn clip_options(&self) -> ClipOptions {
        ClipOptions {
            length_s: self.clips.length_s,
            hop_s: self.clips.hop_s.unwrap_or(self.clips.length_s),
            min_length_s: self.clips.min_length_s,
            at_bars: self.clips.at_bars,
            abc: self.abc_options().unwrap_or_default(),
        }
    }

    pub fn shard_options(&self) -> ShardOptions {
        ShardOptions {
            target_shard_bytes: self.shards.target_size_mb * 1_000_000,
            row_group_bytes: (self.shards.row_group_mb * 1_000_000) as usize,
            ..ShardOptions::default()
        }
    }
}
