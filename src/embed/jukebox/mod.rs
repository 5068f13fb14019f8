//! `jukebox`: OpenAI Jukebox's top-level prior as a feature extractor, the way JukeMIR
//! (p-lambda/jukemir, `representations/jukebox/main.py`) and LLark
//! (spotify-research/llark, `jukebox/main.py`) use it. The VQ-VAE's top-level encoder
//! turns 44.1 kHz audio into tokens, one per 128 samples (344.5 per second); the top-level
//! prior, cut after layer `N`, runs over them with JukeMIR's conditioning (artist and
//! genre "unknown", a 62 s song), and layer `N`'s output is the embedding, one frame per
//! token.
//!
//! The model mirrors transformers' port (`models/deprecated/jukebox/modeling_jukebox.py`)
//! layer by layer: [`config`], [`vqvae`], [`conditioning`], [`attention`], [`prior`];
//! [`checkpoint`] maps its parameter names to OpenAI's original checkpoints. How a clip
//! meets the prior's context of `n_ctx` tokens is [`contexts`] ([`Window`]).
//!
//! Audio is peak-normalised per clip before the VQ-VAE (both recipes' `load_audio_from_file`;
//! a silent clip stays silent). This module reads no files: the caller builds the
//! `VarBuilder`s.

mod allocator;
pub mod attention;
pub mod checkpoint;
pub mod conditioning;
pub mod config;
pub mod contexts;
mod kernels;
pub mod prior;
pub mod vqvae;

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use candle_core::{DType as CandleDType, Tensor};
use candle_nn::VarBuilder;

use super::{DType, Embedder, FrameGrid, Frames};
use crate::embed::Provenance;
use conditioning::{Conditioning, Labels};
use contexts::ContextWindow;
use prior::Prior;
use vqvae::TopLevelVqvae;

pub use config::JukeboxConfig;

/// The song length JukeMIR's and LLark's conditioning states, in seconds (`get_cond`:
/// `sample_length_in_seconds = 62`).
pub const CONDITIONING_SECONDS: usize = 62;

/// How a clip meets the prior's context (see [`contexts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    /// LLark's recipe: only the first `n_ctx * hop` samples (1,048,576 for the 5B model,
    /// 23.78 s) are embedded, in one window at offset 0.
    Llark,
    /// The whole clip, in windows of `n_ctx` tokens, each conditioned on its own offset.
    #[default]
    Exact,
}

/// What [`Jukebox::new`] needs besides the weights.
#[derive(Debug, Clone)]
pub struct JukeboxOptions {
    /// The layer whose output is the embedding, `1..=num_layers`.
    pub layer: usize,
    pub window: Window,
    /// The prior's dtype (the VQ-VAE always runs in f32).
    pub dtype: DType,
    /// Where the model runs; the `VarBuilder`s must be on the same device.
    pub device: candle_core::Device,
}

/// The Jukebox embedder (see the module documentation).
pub struct Jukebox {
    vqvae: TopLevelVqvae,
    prior: Prior,
    layer: usize,
    window: Window,
    device: candle_core::Device,
    grid: FrameGrid,
    width: usize,
    n_ctx: usize,
    hop: usize,
    /// JukeMIR's labels at offset 0 (see [`jukemir_labels`]).
    labels: Labels,
}

impl Jukebox {
    /// Builds the embedder from `vqvae` rooted at the VQ-VAE and `prior` rooted at the
    /// top-level prior, both with transformers' parameter names (for OpenAI's original
    /// checkpoints, rename with [`checkpoint`]'s functions). Only the prior's layers
    /// `1..=options.layer` are read.
    pub fn new(
        config: JukeboxConfig,
        vqvae: VarBuilder,
        prior: VarBuilder,
        options: JukeboxOptions,
    ) -> Result<Self> {
        let num_layers = config.prior.num_layers;
        ensure!(
            (1..=num_layers).contains(&options.layer),
            "--layer {}: Jukebox's top-level prior has layers 1 to {num_layers}",
            options.layer
        );
        for (part, vb) in [("VQ-VAE", &vqvae), ("prior", &prior)] {
            ensure!(
                vb.device().same_device(&options.device),
                "the Jukebox {part} weights are on {:?}, the model is to run on {:?}",
                vb.device(),
                options.device
            );
        }
        let hop = config.hop();
        Ok(Jukebox {
            vqvae: TopLevelVqvae::load(&config.vqvae, vqvae).context("loading Jukebox's VQ-VAE")?,
            prior: Prior::load(&config.prior, options.layer, prior, options.dtype.candle())
                .context("loading Jukebox's top-level prior")?,
            layer: options.layer,
            window: options.window,
            device: options.device,
            grid: FrameGrid {
                sample_rate: config.prior.sampling_rate,
                hop: hop as u32,
            },
            width: config.prior.hidden_size,
            n_ctx: config.prior.n_ctx,
            hop,
            labels: jukemir_labels(&config, 0),
        })
    }

    /// The samples the VQ-VAE sees for `clip` and how many of its tokens are real audio:
    /// the peak-normalised clip, cut to one context and padded with silence to it for
    /// [`Window::Llark`].
    fn vqvae_input(&self, clip: &[f32]) -> (Vec<f32>, usize) {
        let mut audio = peak_normalised(clip);
        match self.window {
            Window::Exact => {
                let tokens = audio.len() / self.hop;
                (audio, tokens)
            }
            Window::Llark => {
                let samples = self.n_ctx * self.hop;
                let real = audio.len().min(samples);
                audio.resize(samples, 0.0);
                (audio, real / self.hop)
            }
        }
    }

    /// Each clip's tokens (`[tokens]`, u32), the VQ-VAE run once per group of clips of
    /// equal length; clips shorter than one token get none.
    fn tokens(&self, audio: &[Vec<f32>]) -> Result<Vec<Option<Tensor>>> {
        let mut tokens: Vec<Option<Tensor>> = vec![None; audio.len()];
        for (length, members) in group_by(audio.iter().map(Vec::len)) {
            if length < self.hop {
                continue;
            }
            let samples: Vec<f32> = members
                .iter()
                .flat_map(|&i| audio[i].iter().copied())
                .collect();
            let batch = Tensor::from_vec(samples, (members.len(), length), &self.device)?;
            let codes = self.vqvae.tokens(&batch).context("Jukebox VQ-VAE")?;
            for (row, &clip) in members.iter().enumerate() {
                tokens[clip] = Some(codes.get(row)?);
            }
        }
        Ok(tokens)
    }

    /// The windows of a clip with `tokens` tokens, `real` of them from real audio.
    fn windows(&self, tokens: usize, real: usize) -> Vec<ContextWindow> {
        match self.window {
            Window::Exact => contexts::exact(tokens, self.n_ctx),
            Window::Llark => contexts::llark(real, self.n_ctx),
        }
    }

    /// The conditioning of a window starting at token `start`.
    fn conditioning(&self, start: usize) -> Result<Conditioning> {
        let offset = start * self.hop;
        let labels = Labels {
            offset: offset as i64,
            ..self.labels.clone()
        };
        self.prior.conditioning(&labels).with_context(|| {
            format!(
                "conditioning the window at {:.2} s with JukeMIR's labels (a {} s song; a \
                 window must start before its end)",
                offset as f64 / f64::from(self.grid.sample_rate),
                CONDITIONING_SECONDS
            )
        })
    }
}

impl Embedder for Jukebox {
    fn name(&self) -> &str {
        "jukebox"
    }

    fn layer(&self) -> u32 {
        self.layer as u32
    }

    fn provenance(&self) -> Provenance {
        Provenance::ModelWeights
    }

    fn grid(&self) -> FrameGrid {
        self.grid
    }

    fn width(&self) -> usize {
        self.width
    }

    fn embed(&self, samples: &[f32]) -> Result<Frames> {
        let mut frames = self.embed_batch(&[samples])?;
        Ok(frames.remove(0))
    }

    /// The VQ-VAE runs once per group of equal-length clips, the prior once per group of
    /// equal-length windows (all of a batch's full contexts run in one forward).
    fn embed_batch(&self, clips: &[&[f32]]) -> Result<Vec<Frames>> {
        let (audio, real): (Vec<Vec<f32>>, Vec<usize>) =
            clips.iter().map(|clip| self.vqvae_input(clip)).unzip();
        let tokens = self.tokens(&audio)?;
        drop(audio);
        let mut outputs: Vec<Vec<f32>> = real.iter().map(|&n| vec![0.0; n * self.width]).collect();

        let mut runs: Vec<(usize, ContextWindow)> = Vec::new();
        for (clip, clip_tokens) in tokens.iter().enumerate() {
            if let Some(clip_tokens) = clip_tokens {
                let windows = self.windows(clip_tokens.dim(0)?, real[clip]);
                runs.extend(windows.into_iter().map(|window| (clip, window)));
            }
        }
        let lengths = runs
            .iter()
            .map(|(_, window)| self.prior.run_length(window.len));
        for (length, members) in group_by(lengths) {
            let mut rows = Vec::with_capacity(members.len());
            let mut conditioning = Vec::with_capacity(members.len());
            for &run in &members {
                let (clip, window) = &runs[run];
                let clip_tokens = tokens[*clip]
                    .as_ref()
                    .expect("windows come from tokenised clips");
                let window_tokens = clip_tokens.narrow(0, window.start, window.len)?;
                rows.push(window_tokens.pad_with_zeros(0, 0, length - window.len)?);
                conditioning.push(self.conditioning(window.start)?);
            }
            let hidden = self
                .prior
                .forward(&Tensor::stack(&rows, 0)?, &conditioning)
                .context("Jukebox top-level prior")?
                .to_dtype(CandleDType::F32)?;
            for (row, &run) in members.iter().enumerate() {
                let (clip, window) = &runs[run];
                let kept = hidden
                    .get(row)?
                    .narrow(0, window.keep.start, window.keep.len())?;
                let at = (window.start + window.keep.start) * self.width;
                let values = kept.flatten_all()?.to_vec1::<f32>()?;
                outputs[*clip][at..at + values.len()].copy_from_slice(&values);
            }
        }
        Ok(outputs
            .into_iter()
            .map(|values| Frames {
                dim: self.width,
                values,
            })
            .collect())
    }

    fn parallel_clips(&self) -> bool {
        false
    }
}

/// JukeMIR's label vector (`get_cond` in its `main.py`, then the prior's `get_y`) for a
/// window starting `offset` samples into the clip: artist and genre "unknown" (id 0 in
/// OpenAI's v2 tables, the other genre slots -1), a song of 62 s rounded down to whole
/// tokens, a window of `n_ctx` tokens.
pub fn jukemir_labels(config: &JukeboxConfig, offset: usize) -> Labels {
    let (sr, hop) = (config.prior.sampling_rate as usize, config.hop());
    Labels {
        total_length: (CONDITIONING_SECONDS * sr / hop * hop) as i64,
        offset: offset as i64,
        sample_length: (config.prior.n_ctx * hop) as i64,
        artist: 0,
        genres: (0..config.prior.max_nb_genres)
            .map(|slot| if slot == 0 { 0 } else { -1 })
            .collect(),
    }
}

/// `clip` divided by its largest absolute sample; a silent clip is returned as is.
fn peak_normalised(clip: &[f32]) -> Vec<f32> {
    let peak = clip
        .iter()
        .fold(0f32, |peak, sample| peak.max(sample.abs()));
    if peak > 0.0 {
        clip.iter().map(|sample| sample / peak).collect()
    } else {
        clip.to_vec()
    }
}

/// Indices grouped by key, keys in increasing order.
fn group_by(keys: impl Iterator<Item = usize>) -> BTreeMap<usize, Vec<usize>> {
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (index, key) in keys.enumerate() {
        groups.entry(key).or_default().push(index);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_normalisation_scales_to_one_and_leaves_silence_alone() {
        assert_eq!(peak_normalised(&[0.5, -0.25, 0.1]), [1.0, -0.5, 0.2]);
        assert_eq!(peak_normalised(&[0.0, 0.0]), [0.0, 0.0]);
    }

    #[test]
    fn the_built_in_5b_config_is_jukemir_s_model() {
        let config = JukeboxConfig::openai_5b();
        assert_eq!(config.prior.hidden_size, 4800);
        assert_eq!(config.prior.num_layers, 72);
        assert_eq!(config.prior.n_ctx, 8192);
        assert_eq!(config.hop(), 128);
        assert_eq!(config.prior_index, 0);
    }

    #[test]
    fn jukemir_labels_describe_a_62_s_song_by_an_unknown_artist() {
        let labels = jukemir_labels(&JukeboxConfig::openai_5b(), 0);
        assert_eq!(
            labels,
            Labels {
                total_length: 2_734_080,
                offset: 0,
                sample_length: 1_048_576,
                artist: 0,
                genres: vec![0, -1, -1, -1, -1]
            }
        );
    }
}
