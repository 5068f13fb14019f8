//! The top-level prior, truncated: the input path of the autoregressive transformer
//! (token embedding shifted one step right behind the start embedding, positional
//! embedding, timing conditioning) and its first `layers` residual blocks. The blocks
//! past `layers`, the output projection to token logits and sampling are not built, and
//! their weights are never read.
//!
//! Mirrors transformers' `modeling_jukebox.py`: [`Prior`] is `JukeboxPrior` +
//! `JukeboxConditionalAutoregressive.forward` up to and including its transformer,
//! `Block` is `JukeboxBlock` (`JukeboxLayerNorm`, `JukeboxAttention`, `JukeboxMLP`); OpenAI's
//! `ConditionalAutoregressive2D` and `ResAttnBlock` in `jukebox/prior/autoregressive.py`
//! and `jukebox/transformer/transformer.py`. Parameter names are transformers'
//! (`prior.embed_tokens.weight`, `prior.transformer._attn_mods.<l>.attn.c_attn.weight`,
//! `metadata_embedding.artist_emb.weight`, ...), rooted at `priors.<i>`.
//!
//! Precision: the residual stream, the projections and the attention run in the chosen
//! dtype; layer norms widen to f32 and narrow back (OpenAI's `LayerNorm.forward`:
//! `input.float()`), softmaxes run in f32 (`_attn`: `attention_weight.float()`), and the
//! embedding tables are read in f32 and summed in f32 before the stream is narrowed.

use anyhow::{Context, Result, ensure};
use candle_core::{D, DType, Tensor};
use candle_nn::VarBuilder;

use super::allocator;
use super::attention::{Attention, Projection};
use super::conditioning::{Conditioning, LabelConditioner, Labels};
use super::config::PriorConfig;
use super::kernels;

/// `JukeboxLayerNorm` (eps 1e-5), computed in f32 whatever the stream's dtype.
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    fn load(width: usize, vb: VarBuilder) -> Result<Self> {
        let vb = vb.to_dtype(DType::F32);
        Ok(LayerNorm {
            weight: vb.get(width, "weight")?,
            bias: vb.get(width, "bias")?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let normed =
            candle_nn::ops::layer_norm(&x.to_dtype(DType::F32)?, &self.weight, &self.bias, 1e-5)?;
        Ok(normed.to_dtype(x.dtype())?)
    }
}

/// `JukeboxMLP`: `c_proj(quick_gelu(c_fc(x)))`, `quick_gelu(x) = x * sigmoid(1.702 x)`.
struct Mlp {
    c_fc: Projection,
    c_proj: Projection,
}

impl Mlp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = kernels::quick_gelu(self.c_fc.forward(x)?)?;
        self.c_proj.forward(&h)
    }
}

/// `JukeboxBlock`: `a = attn(ln_0(x))`, `m = mlp(ln_1(x + a))`, out `x + a + m` (or
/// `x + res_scale * (a + m)` with `attn_res_scale`).
struct Block {
    layer_norm_0: LayerNorm,
    attn: Attention,
    layer_norm_1: LayerNorm,
    mlp: Mlp,
    res_scale: f64,
}

impl Block {
    fn load(config: &PriorConfig, depth: usize, vb: VarBuilder) -> Result<Self> {
        let width = config.hidden_size;
        let kind = config.attention_kind(depth)?;
        let mlp_vb = vb.pp("mlp");
        Ok(Block {
            layer_norm_0: LayerNorm::load(width, vb.pp("layer_norm_0"))?,
            attn: Attention::load(config, kind, vb.pp("attn"))?,
            layer_norm_1: LayerNorm::load(width, vb.pp("layer_norm_1"))?,
            mlp: Mlp {
                c_fc: Projection::load(width, config.mlp_width(), mlp_vb.pp("c_fc"))?,
                c_proj: Projection::load(config.mlp_width(), width, mlp_vb.pp("c_proj"))?,
            },
            res_scale: if config.attn_res_scale {
                1.0 / config.num_layers as f64
            } else {
                1.0
            },
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let a = self.attn.forward(&self.layer_norm_0.forward(x)?)?;
        if self.res_scale == 1.0 {
            let h = kernels::add(a, x)?;
            let m = self.mlp.forward(&self.layer_norm_1.forward(&h)?)?;
            kernels::add(m, &h)
        } else {
            let m = self.mlp.forward(&self.layer_norm_1.forward(&(x + &a)?)?)?;
            Ok((x + ((a + m)? * self.res_scale)?)?)
        }
    }
}

/// What stands at position 0 of the shifted input and what is added to every position.
enum StartEmbedding {
    /// `metadata_conditioning`: the label conditioner gives both.
    Labels(LabelConditioner),
    /// No metadata: a learned start token, nothing added.
    Token(Tensor),
}

/// The truncated top-level prior (see the module documentation).
pub struct Prior {
    embed_tokens: Tensor,
    pos_emb: Tensor,
    start: StartEmbedding,
    blocks: Vec<Block>,
    add_cond_after_transformer: bool,
    dtype: DType,
    block_ctx: usize,
    n_ctx: usize,
    causal: bool,
}

impl Prior {
    /// Loads the input path and blocks `1..=layers` from `vb` (rooted at the prior,
    /// `priors.<i>` in transformers' layout), to run in `dtype`. `layers` 0 gives the
    /// input embedding itself.
    pub fn load(config: &PriorConfig, layers: usize, vb: VarBuilder, dtype: DType) -> Result<Self> {
        ensure!(
            layers <= config.num_layers,
            "layer {layers} does not exist: the prior has {} layers",
            config.num_layers
        );
        if vb.device().is_cpu() {
            allocator::retain_freed_memory();
        }
        let width = config.hidden_size;
        let tables = vb.to_dtype(DType::F32);
        let prior = tables.pp("prior");
        let embed_tokens = prior.get((config.music_vocab_size, width), "embed_tokens.weight")?;
        let pos_emb = prior.get((config.n_ctx, width), "pos_emb.pos_emb")?;
        let start = if config.metadata_conditioning {
            StartEmbedding::Labels(
                LabelConditioner::load(config, tables.pp("metadata_embedding"))
                    .context("metadata conditioning")?,
            )
        } else {
            StartEmbedding::Token(prior.get((1, width), "start_token")?.squeeze(0)?)
        };
        let stack = vb
            .to_dtype(dtype)
            .pp("prior")
            .pp("transformer")
            .pp("_attn_mods");
        let blocks = (0..layers)
            .map(|depth| {
                Block::load(config, depth, stack.pp(depth))
                    .with_context(|| format!("prior layer {}", depth + 1))
            })
            .collect::<Result<_>>()?;
        Ok(Prior {
            embed_tokens,
            pos_emb,
            start,
            blocks,
            add_cond_after_transformer: !config.merged_decoder,
            dtype,
            block_ctx: config.block_ctx(),
            n_ctx: config.n_ctx,
            causal: config.mask,
        })
    }

    /// The conditioning of a window with label vector `labels` (`JukeboxPrior.get_cond`).
    pub fn conditioning(&self, labels: &Labels) -> Result<Conditioning> {
        match &self.start {
            StartEmbedding::Labels(conditioner) => conditioner.forward(labels),
            StartEmbedding::Token(token) => Ok(Conditioning {
                start: token.clone(),
                positions: None,
            }),
        }
    }

    /// How many tokens a window of `tokens` tokens runs as: whole blocks when attention is
    /// causal (then the padding, at the end, cannot change the real tokens' outputs), the
    /// whole context otherwise, as the reference pads a short sequence (`get_alignment`).
    pub fn run_length(&self, tokens: usize) -> usize {
        if self.causal {
            tokens.next_multiple_of(self.block_ctx)
        } else {
            self.n_ctx
        }
    }

    /// The input of layer 1 for `tokens` `[batch, length]` (u32, `length <= n_ctx` a
    /// multiple of `block_ctx`), one conditioning per row: token `t - 1`'s embedding at
    /// position `t`, the start embedding at position 0, plus the positional embedding and
    /// the timing conditioning of positions `0..length` (`JukeboxConditionalAutoregressive.
    /// forward` before its transformer), `[batch, length, width]` in f32.
    pub fn input(&self, tokens: &Tensor, conditioning: &[Conditioning]) -> Result<Tensor> {
        let (batch, length) = tokens.dims2()?;
        ensure!(
            length >= 1 && length <= self.n_ctx,
            "a window of {length} tokens (context {})",
            self.n_ctx
        );
        ensure!(
            conditioning.len() == batch,
            "{} conditionings for {batch} windows",
            conditioning.len()
        );
        let width = self.embed_tokens.dim(1)?;
        let previous = tokens.narrow(1, 0, length - 1)?.flatten_all()?;
        let shifted =
            self.embed_tokens
                .index_select(&previous, 0)?
                .reshape((batch, length - 1, width))?;
        let starts = Tensor::stack(
            &conditioning.iter().map(|c| &c.start).collect::<Vec<_>>(),
            0,
        )?;
        let x = Tensor::cat(&[&starts.unsqueeze(1)?, &shifted], 1)?;
        let x = x.broadcast_add(&self.pos_emb.narrow(0, 0, length)?)?;
        match self.positions(conditioning, length)? {
            Some(positions) => Ok((x + positions)?),
            None => Ok(x),
        }
    }

    /// The timing conditioning of positions `0..length`, `[batch, length, width]`.
    fn positions(&self, conditioning: &[Conditioning], length: usize) -> Result<Option<Tensor>> {
        let rows: Option<Vec<&Tensor>> =
            conditioning.iter().map(|c| c.positions.as_ref()).collect();
        let Some(rows) = rows else { return Ok(None) };
        Ok(Some(Tensor::stack(&rows, 0)?.narrow(1, 0, length)?))
    }

    /// The output of the last loaded layer for `tokens` (see [`Prior::input`]),
    /// `[batch, length, width]` in the prior's dtype. Like
    /// `JukeboxConditionalAutoregressive.forward` on a stack cut after that layer (JukeMIR's
    /// recipe), a prior that is not a merged decoder adds the timing conditioning again
    /// after the last layer.
    pub fn forward(&self, tokens: &Tensor, conditioning: &[Conditioning]) -> Result<Tensor> {
        let mut x = self.input(tokens, conditioning)?.to_dtype(self.dtype)?;
        for block in &self.blocks {
            x = block.forward(&x)?;
        }
        if self.add_cond_after_transformer
            && let Some(positions) = self.positions(conditioning, tokens.dim(D::Minus1)?)?
        {
            x = (x + positions.to_dtype(self.dtype)?)?;
        }
        Ok(x)
    }
}
