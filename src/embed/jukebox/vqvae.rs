//! The part of Jukebox's VQ-VAE that turns audio into top-level tokens: the top level's
//! encoder and its bottleneck's nearest-code lookup. The decoders, the lower levels'
//! encoders and the codebook's training updates are not here.
//!
//! Mirrors transformers' `modeling_jukebox.py`: `TopEncoder` is
//! `JukeboxVQVAE.encoders[levels - 1]` (`JukeboxEncoder`), made of one
//! `EncoderConvBlock` (`JukeboxEncoderConvBlock`) per level, each a chain of strided
//! convolutions with dilated residual stacks (`JukeboxResnet1D` of
//! `ResConvBlock` = `JukeboxResConv1DBlock`) and an output projection; `Codebook` is
//! `JukeboxBottleneckBlock.encode` (`preprocess` + `quantise`). Parameter names are
//! transformers' (`encoders.<level>.level_blocks.<i>.downsample_block.<j>...`,
//! `bottleneck.level_blocks.<level>.codebook`).
//!
//! The VQ-VAE always computes in f32, whatever the prior's dtype: the reference casts the
//! audio to float (`JukeboxVQVAE._encode`: `raw_audio.permute(0, 2, 1).float()`) and
//! OpenAI's checkpoint holds it in f32.

use anyhow::{Context, Result};
use candle_core::{D, DType, Tensor};
use candle_nn::{Conv1d, Conv1dConfig, Module, VarBuilder, conv1d};

use super::config::VqvaeConfig;

/// `JukeboxResConv1DBlock`: `x + res_scale * conv_2(relu(conv_1(relu(x))))`, `conv_1` a
/// kernel-3 convolution dilated by `growth_rate^depth`, `conv_2` a 1x1 convolution.
struct ResConvBlock {
    conv1d_1: Conv1d,
    conv1d_2: Conv1d,
    res_scale: f64,
}

impl ResConvBlock {
    fn load(
        config: &VqvaeConfig,
        width: usize,
        depth: usize,
        res_scale: f64,
        vb: VarBuilder,
    ) -> Result<Self> {
        let hidden = config.res_convolution_multiplier * width;
        let dilation = config.res_dilation_growth_rate.pow(depth as u32);
        let dilated = Conv1dConfig {
            padding: dilation,
            dilation,
            ..Default::default()
        };
        Ok(ResConvBlock {
            conv1d_1: conv1d(width, hidden, 3, dilated, vb.pp("conv1d_1"))?,
            conv1d_2: conv1d(hidden, width, 1, Conv1dConfig::default(), vb.pp("conv1d_2"))?,
            res_scale,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.conv1d_1.forward(&x.relu()?)?.relu()?;
        let h = self.conv1d_2.forward(&h)?;
        let h = if self.res_scale == 1.0 {
            h
        } else {
            (h * self.res_scale)?
        };
        Ok((x + h)?)
    }
}

/// `JukeboxResnet1D`: `depth` residual blocks, block `d` dilated by
/// `growth_rate^(d mod dilation_cycle)`, scaled by `1/sqrt(depth)` when `conv_res_scale`.
fn load_resnet(
    config: &VqvaeConfig,
    width: usize,
    depth: usize,
    vb: VarBuilder,
) -> Result<Vec<ResConvBlock>> {
    let res_scale = if config.conv_res_scale {
        1.0 / (depth as f64).sqrt()
    } else {
        1.0
    };
    (0..depth)
        .map(|d| {
            let block_depth = config.res_dilation_cycle.map_or(d, |cycle| d % cycle);
            ResConvBlock::load(config, width, block_depth, res_scale, vb.pp(d))
        })
        .collect()
}

/// One downsampling step of `JukeboxEncoderConvBlock.downsample_block`: a convolution of
/// kernel `2 * stride`, stride `stride`, padding `stride / 2` (entry `2j`), then a
/// residual stack (entry `2j + 1`).
struct Downsample {
    conv: Conv1d,
    resnet: Vec<ResConvBlock>,
}

/// `JukeboxEncoderConvBlock`: `down_t` downsampling steps, then `proj_out`, a kernel-3
/// convolution to the codebook's width.
struct EncoderConvBlock {
    downsample: Vec<Downsample>,
    proj_out: Conv1d,
}

impl EncoderConvBlock {
    fn load(
        config: &VqvaeConfig,
        level: usize,
        input_width: usize,
        top: usize,
        vb: VarBuilder,
    ) -> Result<Self> {
        let (width, depth) = (
            config.res_conv_width * config.multiplier(top),
            config.res_conv_depth * config.multiplier(top),
        );
        let stride = config.res_strides_t[level];
        let strided = Conv1dConfig {
            padding: stride / 2,
            stride,
            ..Default::default()
        };
        let blocks = vb.pp("downsample_block");
        let downsample = (0..config.res_downs_t[level])
            .map(|j| {
                let input = if j == 0 { input_width } else { width };
                Ok(Downsample {
                    conv: conv1d(input, width, 2 * stride, strided, blocks.pp(2 * j))?,
                    resnet: load_resnet(
                        config,
                        width,
                        depth,
                        blocks.pp(2 * j + 1).pp("resnet_block"),
                    )?,
                })
            })
            .collect::<Result<_>>()?;
        let same = Conv1dConfig {
            padding: 1,
            ..Default::default()
        };
        let proj_out = conv1d(width, config.embed_dim, 3, same, vb.pp("proj_out"))?;
        Ok(EncoderConvBlock {
            downsample,
            proj_out,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for step in &self.downsample {
            x = step.conv.forward(&x)?;
            for block in &step.resnet {
                x = block.forward(&x)?;
            }
        }
        Ok(self.proj_out.forward(&x)?)
    }
}

/// `JukeboxVQVAE.encoders[levels - 1]`: the encoder whose output the top-level bottleneck
/// quantises, one [`EncoderConvBlock`] per level.
struct TopEncoder {
    level_blocks: Vec<EncoderConvBlock>,
}

/// `JukeboxBottleneckBlock` at inference: the codebook and its nearest-code lookup.
struct Codebook {
    /// `[width, codes]`, the transposed codebook the distance's matmul reads.
    codes_t: Tensor,
    /// `[1, codes]`: each code's squared norm.
    norms: Tensor,
}

impl Codebook {
    fn load(config: &VqvaeConfig, vb: VarBuilder) -> Result<Self> {
        let codes = vb.get((config.nb_discrete_codes, config.embed_dim), "codebook")?;
        let codes_t = codes.t()?.contiguous()?;
        let norms = codes_t.sqr()?.sum_keepdim(0)?;
        Ok(Codebook { codes_t, norms })
    }

    /// `JukeboxBottleneckBlock.encode`: `latents` `[batch, width, time]` -> the index of the
    /// nearest code of each time step, `[batch, time]` (u32). The squared distance is
    /// computed as the reference does, `|x|^2 - 2 x.c + |c|^2`, so that its rounding (and
    /// with it a near tie) goes the same way.
    fn quantise(&self, latents: &Tensor) -> Result<Tensor> {
        let (batch, width, time) = latents.dims3()?;
        let x = latents
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch * time, width))?;
        let distance = x
            .sqr()?
            .sum_keepdim(1)?
            .broadcast_sub(&(x.matmul(&self.codes_t)? * 2.0)?)?
            .broadcast_add(&self.norms)?;
        Ok(distance.argmin(D::Minus1)?.reshape((batch, time))?)
    }
}

/// The top level of the VQ-VAE: audio in, top-level tokens out.
pub struct TopLevelVqvae {
    encoder: TopEncoder,
    codebook: Codebook,
    hop: usize,
}

impl TopLevelVqvae {
    /// Loads the top level's encoder and codebook from `vb`, rooted at the VQ-VAE
    /// (transformers' `vqvae.` prefix removed), in f32.
    pub fn load(config: &VqvaeConfig, vb: VarBuilder) -> Result<Self> {
        let vb = vb.to_dtype(DType::F32);
        let top = config.levels - 1;
        let encoder_vb = vb.pp("encoders").pp(top).pp("level_blocks");
        let level_blocks = (0..config.levels)
            .map(|level| {
                let input = if level == 0 {
                    config.conv_input_shape
                } else {
                    config.embed_dim
                };
                EncoderConvBlock::load(config, level, input, top, encoder_vb.pp(level))
                    .with_context(|| format!("VQ-VAE encoder {top}, level block {level}"))
            })
            .collect::<Result<_>>()?;
        let codebook = Codebook::load(config, vb.pp("bottleneck").pp("level_blocks").pp(top))
            .context("VQ-VAE top-level codebook")?;
        Ok(TopLevelVqvae {
            encoder: TopEncoder { level_blocks },
            codebook,
            hop: config.hop(top),
        })
    }

    /// Input samples per token.
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// The top encoder's output for `audio` `[batch, samples]`: `[batch, width, tokens]`
    /// with `tokens = samples / hop` (rounded down).
    pub fn latents(&self, audio: &Tensor) -> Result<Tensor> {
        let mut x = audio.to_dtype(DType::F32)?.unsqueeze(1)?;
        for block in &self.encoder.level_blocks {
            x = block.forward(&x)?;
        }
        Ok(x)
    }

    /// The top-level tokens of `audio` `[batch, samples]`: `[batch, samples / hop]` (u32).
    pub fn tokens(&self, audio: &Tensor) -> Result<Tensor> {
        self.codebook.quantise(&self.latents(audio)?)
    }
}
