//! The pipeline file: one YAML document naming the source, the clip, ABC, Q&A and shard
//! settings, and the output folder. Unknown keys and wrong types are errors that name
//! the file, the line and the column; every setting has a documented default.
//!
//! Settings are typed as they are read: `quantize`, `abc.layout`, `abc.polyphony`, `abc.unit`,
//! `embeddings.model`... deserialize through the same `FromStr` the command line's
//! `value_parser`s use, and counts that must be positive are `NonZero*`, so a value the
//! CLI refuses is refused here too, with the key and the line, and nothing downstream
//! parses a string again.

use std::num::{NonZeroU64, NonZeroUsize};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::abc::convert::PolyphonyChoice;
use crate::abc::write::{AbcOptions, Layout};
use crate::analysis::QuantizeMode;
use crate::clips::ClipOptions;
use crate::embed::pool::Pooling;
use crate::embed::{DType, Device, EmbedderSpec, Model};
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
    #[serde(default, with = "text")]
    pub quantize: QuantizeMode,
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
    #[serde(with = "unit_text")]
    pub unit: Option<(u32, u32)>,
    /// `interleaved` or `voices`.
    #[serde(with = "text")]
    pub layout: Layout,
    pub bars_per_line: NonZeroUsize,
    /// `auto` (tied chords for a performance, overlays for a score), `overlays` or
    /// `tied-chords`.
    #[serde(with = "text")]
    pub polyphony: PolyphonyChoice,
}

impl Default for AbcConfig {
    fn default() -> Self {
        let defaults = AbcOptions::default();
        AbcConfig {
            unit: defaults.unit,
            layout: defaults.layout,
            bars_per_line: NonZeroUsize::new(defaults.bars_per_line).unwrap_or(NonZeroUsize::MIN),
            polyphony: PolyphonyChoice::default(),
        }
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
    pub target_size_mb: NonZeroU64,
    pub row_group_mb: NonZeroU64,
}

impl Default for ShardsConfig {
    fn default() -> Self {
        let defaults = ShardOptions::default();
        let mb = |bytes: u64| NonZeroU64::new(bytes / 1_000_000).unwrap_or(NonZeroU64::MIN);
        ShardsConfig {
            target_size_mb: mb(defaults.target_shard_bytes),
            row_group_mb: mb(defaults.row_group_bytes as u64),
        }
    }
}

/// The embeddings table's model; the same options as `prep embed`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsConfig {
    /// mel, jukebox or whisper.
    #[serde(with = "text")]
    pub model: Model,
    pub layer: Option<u32>,
    /// exact or llark.
    #[serde(default, with = "text")]
    pub pooling: Pooling,
    /// A local path or a Hub repo id.
    pub weights: Option<String>,
    /// f32, bf16 or f16.
    #[serde(default, with = "text")]
    pub dtype: DType,
    /// cpu, cuda or cuda:N.
    #[serde(default = "default_device", with = "text")]
    pub device: Device,
    #[serde(default = "default_batch_size")]
    pub batch_size: NonZeroUsize,
}

fn default_device() -> Device {
    Device::Cpu
}

fn default_batch_size() -> NonZeroUsize {
    NonZeroUsize::new(4).unwrap_or(NonZeroUsize::MIN)
}

impl EmbeddingsConfig {
    /// The embedder these settings describe.
    pub fn spec(&self) -> EmbedderSpec {
        EmbedderSpec {
            model: self.model,
            layer: self.layer,
            pooling: self.pooling,
            weights: self.weights.clone(),
            dtype: self.dtype,
            device: self.device,
        }
    }
}

impl Pipeline {
    /// Reads and checks a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Pipeline::parse(&text).with_context(|| format!("{}", path.display()))
    }

    /// Parses and checks pipeline YAML (errors carry the key, the line and the column).
    /// What typing cannot say (which source keys go together, clip lengths, split
    /// fractions) is checked here, once.
    pub fn parse(text: &str) -> Result<Pipeline> {
        let pipeline: Pipeline = yaml_serde::from_str(text)?;
        pipeline.source.check()?;
        pipeline.clip_options().validate().context("clips")?;
        for (name, fraction) in [("splits.validation", pipeline.splits.validation), ("splits.test", pipeline.splits.test)] {
            if !(0.0..1.0).contains(&fraction) {
                bail!("{name} must be in [0, 1), got {fraction}");
            }
        }
        Ok(pipeline)
    }

    pub fn abc_options(&self) -> AbcOptions {
        AbcOptions {
            unit: self.abc.unit,
            layout: self.abc.layout,
            bars_per_line: self.abc.bars_per_line.get(),
            ..AbcOptions::default()
        }
    }

    pub fn clip_options(&self) -> ClipOptions {
        ClipOptions {
            length_s: self.clips.length_s,
            hop_s: self.clips.hop_s.unwrap_or(self.clips.length_s),
            min_length_s: self.clips.min_length_s,
            at_bars: self.clips.at_bars,
            abc: self.abc_options(),
        }
    }

    pub fn shard_options(&self) -> ShardOptions {
        let bytes = |mb: NonZeroU64| mb.get().saturating_mul(1_000_000);
        ShardOptions {
            target_shard_bytes: bytes(self.shards.target_size_mb),
            row_group_bytes: usize::try_from(bytes(self.shards.row_group_mb)).unwrap_or(usize::MAX),
            ..ShardOptions::default()
        }
    }
}

/// A setting written as text: read through its type's `FromStr` (the one the command
/// line uses), written back through `Display` (for the settings hash). The text is
/// parsed inside the YAML deserializer's visit of the scalar, so its errors carry the
/// setting's key and line like any type error.
mod text {
    use std::fmt::{self, Display};
    use std::marker::PhantomData;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer, de};

    /// `T` parsed from a string scalar.
    pub struct Text<T>(pub T);

    impl<'de, T> Deserialize<'de> for Text<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(TextVisitor(PhantomData)).map(Text)
        }
    }

    struct TextVisitor<T>(PhantomData<T>);

    impl<T> de::Visitor<'_> for TextVisitor<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
            text.parse().map_err(|err| E::custom(format!("{err:#}")))
        }
    }

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        Text::deserialize(deserializer).map(|text| text.0)
    }

    pub fn serialize<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }
}

/// `abc.unit`: absent, or a length like `1/16` read by `abc::write::parse_unit`.
mod unit_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::text::Text;

    /// A unit note length as `parse_unit` reads it.
    struct Unit((u32, u32));

    impl std::str::FromStr for Unit {
        type Err = String;

        fn from_str(text: &str) -> Result<Self, String> {
            crate::abc::write::parse_unit(text).map(Unit)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<(u32, u32)>, D::Error> {
        Ok(Option::<Text<Unit>>::deserialize(deserializer)?.map(|unit| unit.0.0))
    }

    pub fn serialize<S: Serializer>(unit: &Option<(u32, u32)>, serializer: S) -> Result<S::Ok, S::Error> {
        match unit {
            None => serializer.serialize_none(),
            Some((n, d)) => serializer.collect_str(&format_args!("{n}/{d}")),
        }
    }
}
