//! `prep embed`'s model options (`--model`, `--layer`, `--weights`, `--dtype`, `--device`)
//! and how they become a loaded [`Embedder`]: options a model cannot honour are refused
//! before any audio is read, and weights are found locally or on the Hub
//! (`super::weights`) with only the tensors the model needs.

use std::fmt;
use std::fs;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use candle_core::DType as CandleDType;
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::Config as WhisperConfig;
use serde_json::Value;

use super::jukebox::checkpoint::{original_prior_name, original_vqvae_name};
use super::jukebox::{Jukebox, JukeboxConfig, JukeboxOptions, Window};
use super::weights::{self, HubSettings, Layout, Source, Wanted};
use super::whisper::{Whisper, WhisperOptions, encoder_prefix};
use super::{DType, Device, Embedder, LogMel, Pooling};

/// The models `prep embed --model` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Log-mel spectrogram, no weights.
    Mel,
    /// The Whisper encoder's last layer (Whisper-large-v3, Qwen2-Audio's audio tower).
    Whisper,
    /// A layer of OpenAI Jukebox's top-level prior (JukeMIR, LLark).
    Jukebox,
}

/// The Hub repo `--model whisper` loads when `--weights` is not given.
pub const WHISPER_DEFAULT_WEIGHTS: &str = "openai/whisper-large-v3";

/// The Jukebox layer embedded when `--layer` is not given (JukeMIR's and LLark's choice).
pub const JUKEBOX_DEFAULT_LAYER: u32 = 36;

/// OpenAI's original Jukebox checkpoint files (`torch.save({'model': state_dict, ...})`).
const OPENAI_VQVAE: &str = "vqvae.pth.tar";
const OPENAI_PRIOR: &str = "prior_level_2.pth.tar";
const OPENAI_STATE_KEY: &str = "model";

/// Everything that picks and configures an embedder: `prep embed`'s model options.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedderSpec {
    pub model: Model,
    /// The layer whose output is the embedding (models with layers; their default if None).
    pub layer: Option<u32>,
    pub pooling: Pooling,
    /// A local path or a Hub repo id (`owner/name[@revision]`), for models with weights.
    pub weights: Option<String>,
    pub dtype: DType,
    pub device: Device,
}

impl EmbedderSpec {
    /// The spec of `model` with every other option at its default.
    pub fn new(model: Model) -> Self {
        EmbedderSpec {
            model,
            layer: None,
            pooling: Pooling::default(),
            weights: None,
            dtype: DType::default(),
            device: Device::Cpu,
        }
    }

    /// The embedder, its weights loaded; options the model cannot honour are refused.
    pub fn build(&self) -> Result<Box<dyn Embedder>> {
        match self.model {
            Model::Mel => self.mel(),
            Model::Whisper => Ok(Box::new(self.whisper()?)),
            Model::Jukebox => Ok(Box::new(self.jukebox()?)),
        }
    }

    /// Jukebox from OpenAI's original files (a folder with `vqvae.pth.tar` and
    /// `prior_level_2.pth.tar`, and optionally a transformers `config.json` describing
    /// them; without it, the released 5B model's) or from a transformers-layout folder or
    /// Hub repo. Only the VQ-VAE and the prior's layers up to `--layer` are read (and, from
    /// a sharded Hub repo, downloaded).
    fn jukebox(&self) -> Result<Jukebox> {
        let Some(text) = &self.weights else {
            bail!(
                "--model jukebox needs --weights: a folder with OpenAI's {OPENAI_VQVAE} and \
                 {OPENAI_PRIOR} (the 5B model JukeMIR and LLark use), or a Jukebox in the \
                 transformers layout (a folder or a Hub repo id)"
            );
        };
        let source = Source::parse(text)?;
        let hub = HubSettings::from_env()?;
        let layer = self.layer.unwrap_or(JUKEBOX_DEFAULT_LAYER) as usize;
        let device = self.device.candle()?;
        let options = JukeboxOptions {
            layer,
            window: match self.pooling {
                Pooling::Llark => Window::Llark,
                Pooling::Exact => Window::Exact,
            },
            dtype: self.dtype,
            device: device.clone(),
        };
        let is_openai = matches!(&source, Source::Local(dir) if dir.join(OPENAI_PRIOR).is_file());
        if is_openai {
            let config = match source_config(&source, &hub)? {
                Some(text) => JukeboxConfig::from_json(&text)?,
                None => JukeboxConfig::openai_5b(),
            };
            let open = |file: &'static str| {
                let files = [file];
                let layout = Layout::Named { files: &files, state_key: Some(OPENAI_STATE_KEY) };
                weights::locate(&source, &Wanted::all(layout), &hub)?.var_builder(CandleDType::F32, &device)
            };
            let (vqvae, prior) = (open(OPENAI_VQVAE)?, open(OPENAI_PRIOR)?);
            let downs_t = config.vqvae.res_downs_t.clone();
            let vqvae = original_names(vqvae, "encoders.0.level_blocks.0.model.0.0.weight", move |name| {
                original_vqvae_name(name, &downs_t)
            });
            let prior = original_names(prior, "prior.x_emb.weight", original_prior_name);
            return Jukebox::new(config, vqvae, prior, options);
        }
        let text = source_config(&source, &hub)?
            .with_context(|| format!("{source}: no config.json, nor OpenAI's {OPENAI_PRIOR}"))?;
        let config = JukeboxConfig::from_json(&text)?;
        let prior_prefix = format!("priors.{}.", config.prior_index);
        let needed = |name: &str| {
            name.starts_with("vqvae.")
                || name.strip_prefix(&prior_prefix).is_some_and(|rest| {
                    match rest.strip_prefix("prior.transformer._attn_mods.") {
                        Some(layer_and_more) => layer_and_more
                            .split('.')
                            .next()
                            .and_then(|index| index.parse::<usize>().ok())
                            .is_some_and(|index| index < layer),
                        None => true,
                    }
                })
        };
        let wanted = Wanted { layout: Layout::Transformers, tensors: &needed };
        let vb = weights::locate(&source, &wanted, &hub)?.var_builder(CandleDType::F32, &device)?;
        let prior = vb.pp(format!("priors.{}", config.prior_index));
        Jukebox::new(config, vb.pp("vqvae"), prior, options)
    }

    fn mel(&self) -> Result<Box<dyn Embedder>> {
        if let Some(n) = self.layer {
            bail!("--layer {n}: the mel model is a spectrogram and has no layers");
        }
        if let Some(weights) = &self.weights {
            bail!("--weights {weights}: the mel model has no weights");
        }
        if self.device != Device::Cpu {
            bail!("--device {}: the mel model runs on the CPU only", self.device);
        }
        if self.dtype != DType::F32 {
            bail!("--dtype {}: the mel model computes in f32 only", self.dtype);
        }
        Ok(Box::new(LogMel::new()))
    }

    fn whisper(&self) -> Result<Whisper> {
        let device = self.device.candle()?;
        let text = self.weights.as_deref().unwrap_or(WHISPER_DEFAULT_WEIGHTS);
        let source = Source::parse(text)?;
        let is_encoder = |name: &str| {
            ["model.encoder.", "audio_tower."]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        };
        let wanted = Wanted {
            layout: Layout::Transformers,
            tensors: &is_encoder,
        };
        let files = weights::locate(&source, &wanted, &HubSettings::from_env()?)?;
        let config_path = files
            .config
            .as_ref()
            .with_context(|| format!("{source}: no config.json beside the weights"))?;
        let config = fs::read(config_path)
            .with_context(|| format!("reading {}", config_path.display()))
            .and_then(|bytes| whisper_config(&serde_json::from_slice(&bytes)?))
            .with_context(|| format!("{}", config_path.display()))?;
        if let Some(layer) = self.layer.filter(|&n| n as usize != config.encoder_layers) {
            bail!(
                "--layer {layer}: the whisper embedding is the encoder's last layer, {} here",
                config.encoder_layers
            );
        }
        let vb = files.var_builder(self.dtype.candle(), &device)?;
        let prefix = encoder_prefix(|name| vb.contains_tensor(name)).with_context(|| {
            format!("{source}: no Whisper encoder (model.encoder.* or audio_tower.*)")
        })?;
        let options = WhisperOptions {
            dtype: self.dtype,
            device,
        };
        Whisper::new(config, vb.pp(prefix), options)
    }
}

/// The text of the source's `config.json`, if it has one.
fn source_config(source: &Source, hub: &HubSettings) -> Result<Option<String>> {
    let path = match source {
        Source::Local(path) => Some(path.join(weights::CONFIG)).filter(|config| config.is_file()),
        Source::Hub { .. } => {
            let files = [weights::CONFIG];
            let layout = Layout::Named { files: &files, state_key: None };
            weights::locate(source, &Wanted::all(layout), hub)?.weights.into_iter().next()
        }
    };
    path.map(|path| fs::read_to_string(&path).with_context(|| format!("reading {}", path.display())))
        .transpose()
}

/// `vb` reading OpenAI's names for transformers' through `rename`; checkpoints saved from a
/// `DataParallel` model prefix every name with `module.` (OpenAI's loader strips it), which
/// `probe`, a name every such file has, detects.
fn original_names(
    vb: VarBuilder<'static>,
    probe: &str,
    rename: impl Fn(&str) -> String + Send + Sync + 'static,
) -> VarBuilder<'static> {
    let prefix = if !vb.contains_tensor(probe) && vb.contains_tensor(&format!("module.{probe}")) {
        "module."
    } else {
        ""
    };
    vb.rename_f(move |name| format!("{prefix}{}", rename(name)))
}

/// The encoder's configuration from a transformers `config.json`: a Whisper model's own
/// fields, or Qwen2-Audio's `audio_config`. Only encoder fields are read; the decoder
/// fields candle's `Config` carries are unused by the encoder and set to 0.
pub fn whisper_config(json: &Value) -> Result<WhisperConfig> {
    let encoder = json.get("audio_config").unwrap_or(json);
    let field = |name: &str| -> Result<usize> {
        encoder
            .get(name)
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .with_context(|| format!("`{name}` is missing or not a whole number"))
    };
    Ok(WhisperConfig {
        num_mel_bins: field("num_mel_bins")?,
        max_source_positions: field("max_source_positions")?,
        d_model: field("d_model")?,
        encoder_attention_heads: field("encoder_attention_heads")?,
        encoder_layers: field("encoder_layers")?,
        vocab_size: 0,
        max_target_positions: 0,
        decoder_attention_heads: 0,
        decoder_layers: 0,
        suppress_tokens: Vec::new(),
    })
}

impl FromStr for Model {
    type Err = anyhow::Error;

    fn from_str(name: &str) -> Result<Self> {
        match name {
            "mel" => Ok(Model::Mel),
            "whisper" => Ok(Model::Whisper),
            "jukebox" => Ok(Model::Jukebox),
            _ => bail!("unknown model `{name}`; known models: mel, whisper, jukebox"),
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Model::Mel => "mel",
            Model::Whisper => "whisper",
            Model::Jukebox => "jukebox",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whisper_config_reads_whisper_and_qwen2_audio_layouts() {
        let whisper = serde_json::json!({
            "num_mel_bins": 128, "max_source_positions": 1500, "d_model": 1280,
            "encoder_attention_heads": 20, "encoder_layers": 32, "vocab_size": 51866
        });
        let qwen = serde_json::json!({ "audio_config": whisper.clone(), "text_config": {} });
        for json in [whisper, qwen] {
            let config = whisper_config(&json).expect("a config");
            assert_eq!((config.d_model, config.encoder_layers), (1280, 32));
        }
        let broken = serde_json::json!({ "num_mel_bins": 128 });
        let error = format!("{:#}", whisper_config(&broken).expect_err("refused"));
        assert!(error.contains("max_source_positions"), "{error}");
    }
}
