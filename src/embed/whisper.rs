//! `whisper`: the last hidden state of Whisper's audio encoder, the encoder Qwen2-Audio
//! uses as its audio tower (Whisper-large-v3's size: 32 layers of width 1280).
//!
//! Three parts, each mirroring transformers 4.57.6:
//! - [`FeatureExtractor`]: `WhisperFeatureExtractor` (feature_extraction_whisper.py, the
//!   torch path `_torch_extract_fbank_features`): a clip of at most 30 s padded with zeros to
//!   30 s, our log-mel STFT and filterbank (`super::mel`) with reflection padding, the last
//!   STFT frame dropped, `log10(max(power, 1e-10))`, floored at the window's maximum minus 8,
//!   then `(x + 4) / 4`: 128 mel bins x 3000 frames.
//! - [`WhisperEncoder`]: `WhisperEncoder`, `WhisperEncoderLayer` and `WhisperAttention`
//!   (modeling_whisper.py), with the checkpoint's parameter names, so that one VarBuilder
//!   rooted at `model.encoder` (openai/whisper-*) or `audio_tower` (Qwen2-Audio) loads it.
//! - [`Whisper`]: the [`Embedder`]: clips cut into 30 s windows, the windows of a batch
//!   encoded in one forward pass, and of each window's 1500 frames (50 Hz) only those that
//!   cover the clip kept.
//!
//! candle-transformers' `models::whisper::model::AudioEncoder` is not used, only its
//! `Config`: its loader is private (the public one loads the decoder too, from
//! `model.decoder`, so it cannot read Qwen2-Audio), its GELU is the tanh approximation where
//! transformers uses the exact erf form, and it computes the positional table instead of
//! reading `embed_positions.weight` from the checkpoint.
//!
//! Qwen2-Audio's `Qwen2AudioEncoder` runs the same layers, then averages pairs of frames
//! (25 Hz) before the final layer norm, and its `Qwen2AudioForConditionalGeneration` masks
//! attention to the padding past the clip. Here attention is over the whole 30 s window,
//! as in Whisper, and the 50 Hz last hidden state (after the final layer norm) is returned;
//! `prep embed` pools it to 10 Hz like every other model.

use anyhow::{Context, Result, ensure};
use candle_core::{DType as TensorType, Device, Module, Tensor};
use candle_nn::{Conv1d, Conv1dConfig, LayerNorm, Linear, VarBuilder, conv1d, layer_norm};
use candle_transformers::models::whisper::Config;
use rayon::prelude::*;

use super::mel::{LogMel, N_MELS, Padding, SAMPLE_RATE, log_power};
use super::{DType, Embedder, FrameGrid, Frames};
use crate::embed::Provenance;

/// Samples in one 30 s window, the encoder's fixed input length.
pub const WINDOW_SAMPLES: usize = 30 * SAMPLE_RATE as usize;
/// Mel frames in one window (10 ms each).
pub const MEL_FRAMES: usize = 3000;
/// Encoder frames in one window (20 ms each: the second convolution has stride 2).
pub const ENCODER_FRAMES: usize = MEL_FRAMES / 2;
/// Input samples per encoder frame.
pub const HOP: usize = WINDOW_SAMPLES / ENCODER_FRAMES;
/// The decades of mel power kept below a window's maximum.
const DYNAMIC_RANGE_DECADES: f32 = 8.0;
/// transformers' `nn.LayerNorm` default.
const LAYER_NORM_EPS: f64 = 1e-5;

/// Where the encoder's tensors sit in the checkpoints we read: openai/whisper-* and
/// Qwen/Qwen2-Audio-7B(-Instruct).
const ENCODER_PREFIXES: [&str; 2] = ["model.encoder", "audio_tower"];

/// The prefix under which a checkpoint holds the Whisper encoder (`model.encoder` or
/// `audio_tower`), found by asking `has_tensor` for the first convolution's weight.
pub fn encoder_prefix(has_tensor: impl Fn(&str) -> bool) -> Option<&'static str> {
    ENCODER_PREFIXES
        .into_iter()
        .find(|prefix| has_tensor(&format!("{prefix}.conv1.weight")))
}

/// Whisper's log-mel input features (see the module documentation).
pub struct FeatureExtractor {
    stft: LogMel,
}

impl Default for FeatureExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl FeatureExtractor {
    pub fn new() -> Self {
        FeatureExtractor {
            stft: LogMel::with_padding(Padding::Reflect),
        }
    }

    /// `input_features` of one window of at most 30 s: `N_MELS` rows of `MEL_FRAMES` values
    /// (mel-major, the layout of `[128, 3000]`).
    pub fn input_features(&self, samples: &[f32]) -> Result<Vec<f32>> {
        ensure!(
            samples.len() <= WINDOW_SAMPLES,
            "a Whisper window holds at most {WINDOW_SAMPLES} samples (30 s); got {}",
            samples.len()
        );
        let mut window = samples.to_vec();
        window.resize(WINDOW_SAMPLES, 0.0);
        let power = self.stft.mel_power(&window)?;
        // The STFT's last frame (centred on the window's end) is dropped.
        let kept = &power.values[..MEL_FRAMES * N_MELS];
        let logs: Vec<f32> = kept.iter().map(|&p| log_power(p)).collect();
        let floor = logs.iter().copied().fold(f32::NEG_INFINITY, f32::max) - DYNAMIC_RANGE_DECADES;
        let mut features = vec![0f32; N_MELS * MEL_FRAMES];
        for (frame, bands) in logs.chunks_exact(N_MELS).enumerate() {
            for (band, &value) in bands.iter().enumerate() {
                features[band * MEL_FRAMES + frame] = (value.max(floor) + 4.0) / 4.0;
            }
        }
        Ok(features)
    }
}

/// `WhisperAttention` as the encoder uses it: self-attention, no mask, the query scaled by
/// `head_dim^-0.5` before the product, no bias on the key projection.
struct SelfAttention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    out_proj: Linear,
    heads: usize,
}

impl SelfAttention {
    fn load(width: usize, heads: usize, vb: VarBuilder) -> Result<Self> {
        Ok(SelfAttention {
            q_proj: candle_nn::linear(width, width, vb.pp("q_proj"))?,
            k_proj: candle_nn::linear_no_bias(width, width, vb.pp("k_proj"))?,
            v_proj: candle_nn::linear(width, width, vb.pp("v_proj"))?,
            out_proj: candle_nn::linear(width, width, vb.pp("out_proj"))?,
            heads,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (batch, time, width) = x.dims3()?;
        let head_width = width / self.heads;
        let split_heads = |y: Tensor| -> Result<Tensor> {
            Ok(y.reshape((batch, time, self.heads, head_width))?.transpose(1, 2)?.contiguous()?)
        };
        let scaling = (head_width as f64).powf(-0.5);
        let query = split_heads((self.q_proj.forward(x)? * scaling)?)?;
        let key = split_heads(self.k_proj.forward(x)?)?;
        let value = split_heads(self.v_proj.forward(x)?)?;
        let scores = query.matmul(&key.t()?.contiguous()?)?;
        // Softmax in float32 whatever the dtype, as torch accumulates it: candle's CPU softmax
        // sums in the tensor's own type, and a bfloat16 sum over 1500 keys stalls.
        let weights = candle_nn::ops::softmax_last_dim(&scores.to_dtype(TensorType::F32)?)?
            .to_dtype(scores.dtype())?;
        let heads = weights.matmul(&value)?.transpose(1, 2)?.reshape((batch, time, width))?;
        Ok(self.out_proj.forward(&heads)?)
    }
}

/// `WhisperEncoderLayer`: pre-norm self-attention and pre-norm feed-forward (erf GELU),
/// each added to its input.
struct EncoderLayer {
    self_attn_layer_norm: LayerNorm,
    self_attn: SelfAttention,
    final_layer_norm: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

impl EncoderLayer {
    fn load(config: &Config, vb: VarBuilder) -> Result<Self> {
        let width = config.d_model;
        // candle's Config has no `encoder_ffn_dim`: the checkpoint's fc1 says it.
        let fc1_weight = vb.pp("fc1").get_unchecked("weight")?;
        let (ffn_width, fc1_input) = fc1_weight.dims2()?;
        ensure!(fc1_input == width, "fc1 takes {fc1_input} inputs; d_model is {width}");
        let fc1_bias = vb.pp("fc1").get(ffn_width, "bias")?;
        let heads = config.encoder_attention_heads;
        Ok(EncoderLayer {
            self_attn_layer_norm: layer_norm(width, LAYER_NORM_EPS, vb.pp("self_attn_layer_norm"))?,
            self_attn: SelfAttention::load(width, heads, vb.pp("self_attn"))?,
            final_layer_norm: layer_norm(width, LAYER_NORM_EPS, vb.pp("final_layer_norm"))?,
            fc1: Linear::new(fc1_weight, Some(fc1_bias)),
            fc2: candle_nn::linear(ffn_width, width, vb.pp("fc2"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = (x + self.self_attn.forward(&self.self_attn_layer_norm.forward(x)?)?)?;
        let hidden = self.fc1.forward(&self.final_layer_norm.forward(&x)?)?.gelu_erf()?;
        let x = (&x + self.fc2.forward(&hidden)?)?;
        if x.dtype() == TensorType::F16 {
            // transformers keeps float16 activations finite the same way.
            let bound = f64::from(half::f16::MAX) - 1000.0;
            return Ok(x.clamp(-bound, bound)?);
        }
        Ok(x)
    }
}

/// `WhisperEncoder`: two GELU convolutions (the second with stride 2) over the mel frames,
/// the checkpoint's positional table added, the layers, a final layer norm.
pub struct WhisperEncoder {
    conv1: Conv1d,
    conv2: Conv1d,
    embed_positions: Tensor,
    layers: Vec<EncoderLayer>,
    layer_norm: LayerNorm,
}

impl WhisperEncoder {
    /// The encoder from `vb` rooted at its tensors (`conv1.weight`, `layers.0.fc1.weight`,
    /// ...), in `vb`'s dtype and on its device.
    pub fn load(config: &Config, vb: VarBuilder) -> Result<Self> {
        ensure!(
            config.num_mel_bins == N_MELS && config.max_source_positions == ENCODER_FRAMES,
            "this Whisper front end makes {N_MELS} mel bins for {ENCODER_FRAMES} positions; \
             the model's config has {} and {}",
            config.num_mel_bins,
            config.max_source_positions
        );
        ensure!(
            config.d_model.is_multiple_of(config.encoder_attention_heads),
            "d_model {} is not a multiple of the {} attention heads",
            config.d_model,
            config.encoder_attention_heads
        );
        let width = config.d_model;
        let conv = |stride| Conv1dConfig { padding: 1, stride, ..Default::default() };
        let layers = (0..config.encoder_layers)
            .map(|i| {
                EncoderLayer::load(config, vb.pp(format!("layers.{i}")))
                    .with_context(|| format!("loading encoder layer {i}"))
            })
            .collect::<Result<_>>()?;
        Ok(WhisperEncoder {
            conv1: conv1d(N_MELS, width, 3, conv(1), vb.pp("conv1"))?,
            conv2: conv1d(width, width, 3, conv(2), vb.pp("conv2"))?,
            embed_positions: vb.get((ENCODER_FRAMES, width), "embed_positions.weight")?,
            layers,
            layer_norm: layer_norm(width, LAYER_NORM_EPS, vb.pp("layer_norm"))?,
        })
    }

    /// The encoder's number of layers.
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Entry `index` of transformers' `hidden_states` for `features` `[batch, 128, 3000]`:
    /// 0 is the input to the first layer, `i` the output of layer `i - 1`, and
    /// `layer_count()` the last hidden state, after the final layer norm.
    /// Result: `[batch, 1500, d_model]`.
    pub fn hidden_state(&self, features: &Tensor, index: usize) -> Result<Tensor> {
        let layers = self.layers.len();
        ensure!(index <= layers, "hidden state {index} asked of an encoder with {layers} layers");
        let x = self.conv1.forward(features)?.gelu_erf()?;
        let x = self.conv2.forward(&x)?.gelu_erf()?;
        let mut x = x.transpose(1, 2)?.broadcast_add(&self.embed_positions)?;
        for layer in &self.layers[..index] {
            x = layer.forward(&x)?;
        }
        if index == layers {
            x = self.layer_norm.forward(&x)?;
        }
        Ok(x)
    }

    /// The last hidden state, `[batch, 1500, d_model]`.
    pub fn last_hidden_state(&self, features: &Tensor) -> Result<Tensor> {
        self.hidden_state(features, self.layers.len())
    }
}

/// Where the Whisper embedder runs and in which floating-point type.
#[derive(Debug, Clone)]
pub struct WhisperOptions {
    pub dtype: DType,
    pub device: Device,
}

/// The `whisper` embedder (see the module documentation).
pub struct Whisper {
    features: FeatureExtractor,
    encoder: WhisperEncoder,
    width: usize,
    options: WhisperOptions,
}

impl Whisper {
    /// The embedder for a model with `config`, its encoder's tensors under `encoder` (a
    /// VarBuilder rooted at `model.encoder` or `audio_tower`, see [`encoder_prefix`]).
    pub fn new(config: Config, encoder: VarBuilder, options: WhisperOptions) -> Result<Self> {
        let vb = encoder.set_dtype(options.dtype.candle()).set_device(options.device.clone());
        let encoder = WhisperEncoder::load(&config, vb).context("loading the Whisper encoder")?;
        Ok(Whisper {
            features: FeatureExtractor::new(),
            encoder,
            width: config.d_model,
            options,
        })
    }

    /// The last hidden state of each window, `ENCODER_FRAMES * width` values each.
    fn encode_windows(&self, windows: &[&[f32]]) -> Result<Vec<f32>> {
        let features = windows
            .par_iter()
            .map(|window| self.features.input_features(window))
            .collect::<Result<Vec<_>>>()?
            .concat();
        let shape = (windows.len(), N_MELS, MEL_FRAMES);
        let input = Tensor::from_vec(features, shape, &self.options.device)?
            .to_dtype(self.options.dtype.candle())?;
        let output = self.encoder.last_hidden_state(&input)?;
        Ok(output.to_dtype(TensorType::F32)?.flatten_all()?.to_vec1()?)
    }
}

impl Embedder for Whisper {
    fn name(&self) -> &str {
        "whisper"
    }

    fn layer(&self) -> u32 {
        self.encoder.layer_count() as u32
    }

    fn provenance(&self) -> Provenance {
        Provenance::ModelWeights
    }

    fn grid(&self) -> FrameGrid {
        FrameGrid {
            sample_rate: SAMPLE_RATE,
            hop: HOP as u32,
        }
    }

    fn width(&self) -> usize {
        self.width
    }

    fn embed(&self, samples: &[f32]) -> Result<Frames> {
        let mut frames = self.embed_batch(&[samples])?;
        Ok(frames.remove(0))
    }

    /// Every clip cut into consecutive 30 s windows, all windows encoded in one forward
    /// pass; a window keeps the `ceil(samples / 320)` frames that cover its samples.
    fn embed_batch(&self, clips: &[&[f32]]) -> Result<Vec<Frames>> {
        let mut windows = Vec::new();
        let mut owners = Vec::new();
        for (index, clip) in clips.iter().enumerate() {
            ensure!(!clip.is_empty(), "clip {index} of the batch has no samples to embed");
            for window in clip.chunks(WINDOW_SAMPLES) {
                windows.push(window);
                owners.push(index);
            }
        }
        let encoded = self.encode_windows(&windows)?;
        let mut frames: Vec<Frames> = clips
            .iter()
            .map(|_| Frames { dim: self.width, values: Vec::new() })
            .collect();
        let outputs = encoded.chunks_exact(ENCODER_FRAMES * self.width);
        for ((window, owner), output) in windows.iter().zip(owners).zip(outputs) {
            let kept = window.len().div_ceil(HOP) * self.width;
            frames[owner].values.extend_from_slice(&output[..kept]);
        }
        Ok(frames)
    }

    fn parallel_clips(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoder_prefix_is_found_for_whisper_and_qwen2_audio_checkpoints() {
        let whisper = |name: &str| name == "model.encoder.conv1.weight";
        let qwen2_audio = |name: &str| name.starts_with("audio_tower.");
        assert_eq!(encoder_prefix(whisper), Some("model.encoder"));
        assert_eq!(encoder_prefix(qwen2_audio), Some("audio_tower"));
        assert_eq!(encoder_prefix(|name: &str| name == "encoder.conv1.weight"), None);
    }
}
