//! Jukebox's configuration, read from a transformers `JukeboxConfig` `config.json`
//! (`configuration_jukebox.py`): the VQ-VAE's `vqvae_config` and the top-level prior's
//! entry of `prior_config_list` (or `prior_<i>`, the older spelling). Only the fields this
//! port uses are read; a missing field takes transformers' default, as
//! `JukeboxVQVAEConfig.__init__` / `JukeboxPriorConfig.__init__` do (transformers saves
//! only the fields that differ from them).
//!
//! `JukeboxConfig::validate` refuses what the port does not implement (lyrics, audio
//! conditioning from an upper level, attention patterns other than dense / row / column /
//! previous-row), naming the offending field.

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;
use serde_json::Value;

/// The real 5B model of JukeMIR and LLark (OpenAI's `5b` top-level prior `prior_5b`, no
/// lyrics), in transformers' layout.
const OPENAI_5B_JSON: &str = include_str!("openai_5b.json");

/// The fields of `JukeboxVQVAEConfig` the top-level encoder and bottleneck use.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VqvaeConfig {
    #[serde(default = "defaults::conv_input_shape")]
    pub conv_input_shape: usize,
    #[serde(default)]
    pub conv_res_scale: bool,
    #[serde(default = "defaults::embed_dim")]
    pub embed_dim: usize,
    #[serde(default = "defaults::levels")]
    pub levels: usize,
    #[serde(default = "defaults::multipliers")]
    pub multipliers: Option<Vec<usize>>,
    #[serde(default = "defaults::nb_discrete_codes")]
    pub nb_discrete_codes: usize,
    #[serde(default = "defaults::vqvae_res_conv_depth")]
    pub res_conv_depth: usize,
    #[serde(default = "defaults::vqvae_res_conv_width")]
    pub res_conv_width: usize,
    #[serde(default = "defaults::one")]
    pub res_convolution_multiplier: usize,
    #[serde(default)]
    pub res_dilation_cycle: Option<usize>,
    #[serde(default = "defaults::vqvae_dilation_growth_rate")]
    pub res_dilation_growth_rate: usize,
    #[serde(default = "defaults::res_downs_t")]
    pub res_downs_t: Vec<usize>,
    #[serde(default = "defaults::res_strides_t")]
    pub res_strides_t: Vec<usize>,
}

impl VqvaeConfig {
    /// Input samples per token at `level` and all levels below it (`hop_lengths`).
    pub fn hop(&self, level: usize) -> usize {
        (0..=level)
            .map(|l| self.res_strides_t[l].pow(self.res_downs_t[l] as u32))
            .product()
    }

    /// Width and depth multiplier of `level`'s encoder (`multipliers`, 1 when absent).
    pub fn multiplier(&self, level: usize) -> usize {
        self.multipliers.as_ref().map_or(1, |m| m[level])
    }
}

/// The fields of `JukeboxPriorConfig` the top-level prior uses. The six fields without a
/// default are the shared ones, always filled from the top level of the config.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriorConfig {
    #[serde(default = "defaults::act_fn")]
    pub act_fn: String,
    #[serde(default = "defaults::attention_multiplier")]
    pub attention_multiplier: f64,
    #[serde(default = "defaults::attention_pattern")]
    pub attention_pattern: String,
    #[serde(default)]
    pub attn_res_scale: bool,
    #[serde(default = "defaults::blocks")]
    pub blocks: Option<usize>,
    #[serde(default = "defaults::num_layers")]
    pub num_layers: usize,
    #[serde(default = "defaults::hidden_size")]
    pub hidden_size: usize,
    #[serde(default = "defaults::yes")]
    pub is_encoder_decoder: bool,
    #[serde(default)]
    pub mask: bool,
    pub max_duration: f64,
    pub max_nb_genres: usize,
    #[serde(default = "defaults::yes")]
    pub merged_decoder: bool,
    pub metadata_conditioning: bool,
    #[serde(default = "defaults::metadata_dims")]
    pub metadata_dims: Vec<usize>,
    pub min_duration: f64,
    #[serde(default = "defaults::mlp_multiplier")]
    pub mlp_multiplier: f64,
    #[serde(default = "defaults::nb_discrete_codes")]
    pub music_vocab_size: usize,
    #[serde(default = "defaults::n_ctx")]
    pub n_ctx: usize,
    #[serde(default = "defaults::n_heads")]
    pub n_heads: usize,
    #[serde(default = "defaults::nb_relevant_lyric_tokens")]
    pub nb_relevant_lyric_tokens: usize,
    pub sampling_rate: u32,
    pub timing_dims: usize,
}

impl PriorConfig {
    /// Width of the attention's queries, keys and values (`JukeboxAttention.hidden_dim`).
    pub fn attention_width(&self) -> usize {
        (self.attention_multiplier * self.hidden_size as f64) as usize
    }

    /// Width of the MLP's hidden layer (`JukeboxMLP`'s `hidden_dim`).
    pub fn mlp_width(&self) -> usize {
        (self.mlp_multiplier * self.hidden_size as f64) as usize
    }

    /// Tokens per attention block (`JukeboxAttention.block_ctx`), the whole context when
    /// the model has no blocks.
    pub fn block_ctx(&self) -> usize {
        self.blocks.map_or(self.n_ctx, |blocks| self.n_ctx / blocks)
    }

    /// The attention function of layer `depth` (0-based), from `attention_pattern` as
    /// `ATTENTION_PATTERNS` in `configuration_jukebox.py` picks it.
    pub fn attention_kind(&self, depth: usize) -> Result<AttentionKind> {
        match self.attention_pattern.as_str() {
            "raw_column_previous_row_attention" => Ok([
                AttentionKind::Block,
                AttentionKind::TransposeBlock,
                AttentionKind::PrevBlock,
            ][depth % 3]),
            other => bail!(
                "attention_pattern `{other}` is not supported: only \
                 raw_column_previous_row_attention (the top-level prior without lyrics) is; \
                 full_dense_attention names a function transformers does not define and the \
                 other patterns attend to lyrics"
            ),
        }
    }
}

/// The attention functions of `JukeboxAttention` a prior without lyrics uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttentionKind {
    /// `block_attn`: each block of `block_ctx` tokens attends to itself (causal).
    Block,
    /// `transpose_block_attn`: each token attends to the same position of every block up to
    /// its own (causal).
    TransposeBlock,
    /// `prev_block_attn`: each block attends to the whole previous block (block 0 to zeros).
    PrevBlock,
}

/// The parts of a `JukeboxConfig` this port uses.
#[derive(Debug, Clone, PartialEq)]
pub struct JukeboxConfig {
    pub vqvae: VqvaeConfig,
    /// The top-level prior's configuration.
    pub prior: PriorConfig,
    /// The top-level prior's index among the model's priors: its weights are under
    /// `priors.<prior_index>` in transformers' layout.
    pub prior_index: usize,
}

impl JukeboxConfig {
    /// Reads and validates a transformers `config.json` (`model_type` `jukebox`).
    pub fn from_json(text: &str) -> Result<Self> {
        let root: Value = serde_json::from_str(text).context("Jukebox config.json is not JSON")?;
        let vqvae: VqvaeConfig = match root.get("vqvae_config") {
            Some(value) => serde_json::from_value(value.clone()).context("vqvae_config")?,
            None => serde_json::from_value(Value::Object(Default::default()))?,
        };
        let nb_priors = match root.get("nb_priors") {
            Some(value) => value.as_u64().context("nb_priors is not a whole number")? as usize,
            None => defaults::levels(),
        };
        let priors = prior_entries(&root, nb_priors)?;
        let prior_index = top_prior_index(nb_priors)?;
        let (field, entry) = &priors[prior_index];
        let prior: PriorConfig = serde_json::from_value(with_shared_params(&root, entry))
            .with_context(|| field.clone())?;
        let config = JukeboxConfig {
            vqvae,
            prior,
            prior_index,
        };
        config.validate(field)?;
        Ok(config)
    }

    /// The 5B model JukeMIR and LLark embed with (see `openai_5b.json`).
    pub fn openai_5b() -> Self {
        Self::from_json(OPENAI_5B_JSON).expect("the built-in Jukebox 5B config is valid")
    }

    /// Input samples per top-level token (`raw_to_tokens` of the top prior).
    pub fn hop(&self) -> usize {
        self.vqvae.hop(self.vqvae.levels - 1)
    }

    /// Refuses configurations this port does not implement; `prior_field` names the
    /// top-level prior's entry in the JSON.
    fn validate(&self, prior_field: &str) -> Result<()> {
        let v = &self.vqvae;
        ensure!(v.levels >= 1, "vqvae_config.levels must be at least 1");
        for (name, list) in [
            ("res_downs_t", &v.res_downs_t),
            ("res_strides_t", &v.res_strides_t),
        ] {
            ensure!(
                list.len() >= v.levels,
                "vqvae_config.{name} has {} entries for {} levels",
                list.len(),
                v.levels
            );
        }
        if let Some(multipliers) = &v.multipliers {
            ensure!(
                multipliers.len() >= v.levels,
                "vqvae_config.multipliers has {} entries for {} levels",
                multipliers.len(),
                v.levels
            );
        }
        for (level, &stride) in v.res_strides_t.iter().take(v.levels).enumerate() {
            ensure!(
                stride >= 2 && stride.is_multiple_of(2),
                "vqvae_config.res_strides_t[{level}] is {stride}: strides must be even so that \
                 a token stands for exactly `hop` samples"
            );
        }
        ensure!(
            v.conv_input_shape == 1,
            "vqvae_config.conv_input_shape must be 1 (mono audio)"
        );
        ensure!(
            v.res_dilation_cycle != Some(0),
            "vqvae_config.res_dilation_cycle must not be 0"
        );

        let p = &self.prior;
        let field = |name: &str| format!("{prior_field}.{name}");
        ensure!(
            !p.is_encoder_decoder && p.nb_relevant_lyric_tokens == 0,
            "{} and {}: priors with lyrics are not supported (the embedder runs without lyrics)",
            field("is_encoder_decoder"),
            field("nb_relevant_lyric_tokens")
        );
        ensure!(
            p.act_fn == "quick_gelu",
            "{} must be quick_gelu, got {}",
            field("act_fn"),
            p.act_fn
        );
        ensure!(
            p.num_layers >= 1,
            "{} must be at least 1",
            field("num_layers")
        );
        ensure!(p.n_heads >= 1, "{} must be at least 1", field("n_heads"));
        ensure!(
            p.attention_width().is_multiple_of(p.n_heads) && p.attention_width() > 0,
            "{} x {} = {} must be a positive multiple of {} ({})",
            field("attention_multiplier"),
            field("hidden_size"),
            p.attention_width(),
            field("n_heads"),
            p.n_heads
        );
        ensure!(
            p.mlp_width() > 0,
            "{} gives an empty MLP",
            field("mlp_multiplier")
        );
        match p.blocks {
            Some(blocks) => ensure!(
                blocks > 0 && p.n_ctx.is_multiple_of(blocks),
                "{} ({}) must be a multiple of {} ({blocks})",
                field("n_ctx"),
                p.n_ctx,
                field("blocks")
            ),
            None => bail!("{} must be set for block attention", field("blocks")),
        }
        ensure!(p.n_ctx > 0, "{} must be positive", field("n_ctx"));
        for depth in 0..p.num_layers {
            p.attention_kind(depth)
                .with_context(|| field("attention_pattern"))?;
        }
        ensure!(
            p.music_vocab_size == v.nb_discrete_codes,
            "{} ({}) must equal vqvae_config.nb_discrete_codes ({})",
            field("music_vocab_size"),
            p.music_vocab_size,
            v.nb_discrete_codes
        );
        ensure!(
            p.metadata_dims.len() == 2,
            "{} must list [genres, artists]",
            field("metadata_dims")
        );
        ensure!(
            p.timing_dims > 0,
            "{} must be positive",
            field("timing_dims")
        );
        ensure!(
            p.max_duration > p.min_duration,
            "{} must exceed {}",
            field("max_duration"),
            field("min_duration")
        );
        Ok(())
    }
}

/// The top-level prior's index: `JukeboxModel` builds `priors[i]` at level `i`, and level 0
/// is the one without audio conditioning from a level above (`JukeboxPrior.__init__`:
/// `audio_conditioning = level != 0`), i.e. the top level (`convert_jukebox.py` stores
/// OpenAI's `prior_level_2` as `priors.0`).
pub fn top_prior_index(nb_priors: usize) -> Result<usize> {
    ensure!(nb_priors >= 1, "nb_priors must be at least 1");
    Ok(0)
}

/// `entry` with the fields `JukeboxModel.set_shared_params` copies from the top level of
/// the config into every prior (the top level's value, or its default, wins).
fn with_shared_params(root: &Value, entry: &Value) -> Value {
    let shared = [
        ("sampling_rate", Value::from(defaults::sampling_rate())),
        ("timing_dims", Value::from(defaults::timing_dims())),
        ("min_duration", Value::from(0.0)),
        ("max_duration", Value::from(defaults::max_duration())),
        ("max_nb_genres", Value::from(defaults::max_nb_genres())),
        ("metadata_conditioning", Value::from(true)),
    ];
    let mut entry = entry.clone();
    if let Value::Object(fields) = &mut entry {
        for (name, default) in shared {
            fields.insert(name.to_string(), root.get(name).cloned().unwrap_or(default));
        }
    }
    entry
}

/// `(JSON field, entry)` of every prior: `prior_config_list[i]` or `prior_<i>`.
fn prior_entries(root: &Value, nb_priors: usize) -> Result<Vec<(String, Value)>> {
    let entries: Vec<(String, Value)> = match root.get("prior_config_list") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, entry)| (format!("prior_config_list[{i}]"), entry.clone()))
            .collect(),
        Some(_) => bail!("prior_config_list is not a list"),
        None => (0..nb_priors)
            .map(|i| {
                let name = format!("prior_{i}");
                let entry = root
                    .get(&name)
                    .cloned()
                    .unwrap_or(Value::Object(Default::default()));
                (name, entry)
            })
            .collect(),
    };
    ensure!(
        entries.len() == nb_priors,
        "the config lists {} priors but nb_priors is {nb_priors}",
        entries.len()
    );
    Ok(entries)
}

/// transformers' defaults (`configuration_jukebox.py`).
mod defaults {
    pub fn one() -> usize {
        1
    }
    pub fn yes() -> bool {
        true
    }
    pub fn conv_input_shape() -> usize {
        1
    }
    pub fn embed_dim() -> usize {
        64
    }
    pub fn levels() -> usize {
        3
    }
    pub fn multipliers() -> Option<Vec<usize>> {
        Some(vec![2, 1, 1])
    }
    pub fn nb_discrete_codes() -> usize {
        2048
    }
    pub fn vqvae_res_conv_depth() -> usize {
        4
    }
    pub fn vqvae_res_conv_width() -> usize {
        32
    }
    pub fn vqvae_dilation_growth_rate() -> usize {
        3
    }
    pub fn res_downs_t() -> Vec<usize> {
        vec![3, 2, 2]
    }
    pub fn res_strides_t() -> Vec<usize> {
        vec![2, 2, 2]
    }
    pub fn act_fn() -> String {
        "quick_gelu".to_string()
    }
    pub fn attention_multiplier() -> f64 {
        0.25
    }
    pub fn attention_pattern() -> String {
        "enc_dec_with_lyrics".to_string()
    }
    pub fn blocks() -> Option<usize> {
        Some(64)
    }
    pub fn num_layers() -> usize {
        72
    }
    pub fn hidden_size() -> usize {
        2048
    }
    pub fn max_duration() -> f64 {
        600.0
    }
    pub fn metadata_dims() -> Vec<usize> {
        vec![604, 7898]
    }
    pub fn mlp_multiplier() -> f64 {
        1.0
    }
    pub fn n_ctx() -> usize {
        6144
    }
    pub fn n_heads() -> usize {
        2
    }
    pub fn nb_relevant_lyric_tokens() -> usize {
        384
    }
    pub fn sampling_rate() -> u32 {
        44100
    }
    pub fn timing_dims() -> usize {
        64
    }
    /// `JukeboxConfig`'s, not `JukeboxPriorConfig`'s (1): it is a shared field.
    pub fn max_nb_genres() -> usize {
        5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_json(prior: &str) -> String {
        format!(
            r#"{{"model_type": "jukebox", "nb_priors": 1,
                "vqvae_config": {{"levels": 1, "res_downs_t": [2], "res_strides_t": [2],
                                  "multipliers": [1], "nb_discrete_codes": 16}},
                "prior_config_list": [{prior}]}}"#
        )
    }

    const TINY_PRIOR: &str = r#"{"attention_pattern": "raw_column_previous_row_attention",
        "blocks": 4, "n_ctx": 16, "hidden_size": 8, "n_heads": 2, "num_layers": 3,
        "is_encoder_decoder": false, "nb_relevant_lyric_tokens": 0, "music_vocab_size": 16}"#;

    #[test]
    fn a_tiny_config_parses_with_transformers_defaults_for_missing_fields() {
        let config = JukeboxConfig::from_json(&tiny_json(TINY_PRIOR)).unwrap();
        assert_eq!(config.prior_index, 0);
        assert_eq!(config.hop(), 4);
        assert_eq!(config.prior.block_ctx(), 4);
        assert_eq!(config.prior.attention_width(), 2);
        assert_eq!(config.prior.timing_dims, 64);
        assert_eq!(config.prior.max_nb_genres, 5);
        assert_eq!(config.vqvae.res_dilation_growth_rate, 3);
        let kinds: Vec<_> = (0..4)
            .map(|d| config.prior.attention_kind(d).unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                AttentionKind::Block,
                AttentionKind::TransposeBlock,
                AttentionKind::PrevBlock,
                AttentionKind::Block
            ]
        );
    }

    #[test]
    fn the_top_level_shared_fields_override_the_prior_s() {
        let json = tiny_json(&TINY_PRIOR.replace("{", "{\"timing_dims\": 16, ")).replace(
            "\"nb_priors\": 1",
            "\"nb_priors\": 1, \"timing_dims\": 128, \"min_duration\": 60.0",
        );
        let config = JukeboxConfig::from_json(&json).unwrap();
        assert_eq!(config.prior.timing_dims, 128);
        assert_eq!(config.prior.min_duration, 60.0);
    }

    #[test]
    fn the_older_prior_n_spelling_is_read_too() {
        let json = tiny_json(TINY_PRIOR).replace("\"prior_config_list\": [", "\"prior_0\": ");
        let json = json.replace("}]}", "}}");
        let config = JukeboxConfig::from_json(&json).unwrap();
        assert_eq!(config.prior.n_ctx, 16);
    }

    #[test]
    fn unsupported_settings_are_refused_naming_the_field() {
        let cases = [
            (
                TINY_PRIOR.replace("\"blocks\": 4", "\"blocks\": 5"),
                "prior_config_list[0].blocks",
            ),
            (
                TINY_PRIOR.replace("false", "true"),
                "prior_config_list[0].is_encoder_decoder",
            ),
            (
                TINY_PRIOR.replace("raw_column_previous_row_attention", "enc_dec_with_lyrics"),
                "prior_config_list[0].attention_pattern",
            ),
            (
                TINY_PRIOR.replace("\"music_vocab_size\": 16", "\"music_vocab_size\": 32"),
                "prior_config_list[0].music_vocab_size",
            ),
            (
                TINY_PRIOR.replace("\"n_heads\": 2", "\"n_heads\": 3"),
                "prior_config_list[0].n_heads",
            ),
        ];
        for (prior, field) in cases {
            let error = format!(
                "{:#}",
                JukeboxConfig::from_json(&tiny_json(&prior)).unwrap_err()
            );
            assert!(error.contains(field), "{field}: {error}");
        }
        let odd = tiny_json(TINY_PRIOR).replace("\"res_strides_t\": [2]", "\"res_strides_t\": [3]");
        let error = format!("{:#}", JukeboxConfig::from_json(&odd).unwrap_err());
        assert!(error.contains("vqvae_config.res_strides_t[0]"), "{error}");
        let count = tiny_json(TINY_PRIOR).replace("\"nb_priors\": 1", "\"nb_priors\": 2");
        assert!(JukeboxConfig::from_json(&count).is_err());
    }
}
