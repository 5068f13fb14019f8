//! The top-level prior's factored self-attention: one fused projection to queries, keys
//! and values, attention within blocks of `block_ctx` tokens (row), across blocks at the
//! same position (column) or from each block to the previous one, and an output
//! projection.
//!
//! Mirrors transformers' `JukeboxAttention` (`modeling_jukebox.py`: `factored_qkv`,
//! `block_attn`, `transpose_block_attn`, `prev_block_attn`, `_attn`, `get_mask`; OpenAI's
//! `FactoredAttention` in `jukebox/transformer/factored_attention.py`) on the
//! non-sampling path. Like the reference, each pattern runs as dense attention over
//! reshaped blocks, so memory is `O(tokens x block)`, never `O(tokens^2)`.
//!
//! Numerics as the reference: scores `q.k` in the model's dtype, scaled by
//! `head_dim^-1/2` after the product, then widened to f32 for the causal mask (masked
//! scores become -1e9) and the softmax, and narrowed back before multiplying the values.

use anyhow::Result;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use super::config::{AttentionKind, PriorConfig};
use super::kernels;

/// The score a masked position gets (`get_mask`'s use in `_attn`).
const MASKED: f32 = -1e9;

/// `JukeboxConv1D`: `x @ weight + bias` with `weight` `[in, out]`.
pub struct Projection {
    weight: Tensor,
    bias: Tensor,
}

impl Projection {
    pub fn load(input: usize, output: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Projection {
            weight: vb.get((input, output), "weight")?,
            bias: vb.get(output, "bias")?,
        })
    }

    /// `[batch, tokens, in]` -> `[batch, tokens, out]`, one matrix product over all tokens.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (batch, tokens, input) = x.dims3()?;
        let y = x.reshape((batch * tokens, input))?.matmul(&self.weight)?;
        Ok(kernels::add(y, &self.bias)?.reshape((batch, tokens, ()))?)
    }
}

/// One layer's `JukeboxAttention`.
pub struct Attention {
    c_attn: Projection,
    c_proj: Projection,
    kind: AttentionKind,
    heads: usize,
    width: usize,
    block_ctx: usize,
    causal: bool,
    /// `scale * scale` of the reference, applied to the scores.
    score_scale: f64,
}

impl Attention {
    pub fn load(config: &PriorConfig, kind: AttentionKind, vb: VarBuilder) -> Result<Self> {
        let width = config.attention_width();
        let head_dim = width / config.n_heads;
        let scale = (head_dim as f64).powf(-0.25);
        Ok(Attention {
            c_attn: Projection::load(config.hidden_size, 3 * width, vb.pp("c_attn"))?,
            c_proj: Projection::load(width, config.hidden_size, vb.pp("c_proj"))?,
            kind,
            heads: config.n_heads,
            width,
            block_ctx: config.block_ctx(),
            causal: config.mask,
            score_scale: scale * scale,
        })
    }

    /// `[batch, tokens, hidden]` -> `[batch, tokens, hidden]`; `tokens` is a multiple of
    /// `block_ctx`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let qkv = self.c_attn.forward(x)?;
        let w = self.width;
        let (q, k, v) = (
            qkv.narrow(2, 0, w)?,
            qkv.narrow(2, w, w)?,
            qkv.narrow(2, 2 * w, w)?,
        );
        let context = match self.kind {
            AttentionKind::Block => self.block_attn(&q, &k, &v)?,
            AttentionKind::TransposeBlock => self.transpose_block_attn(&q, &k, &v)?,
            AttentionKind::PrevBlock => self.prev_block_attn(&q, &k, &v)?,
        };
        self.c_proj.forward(&context)
    }

    /// `block_attn`: blocks of `block_ctx` consecutive tokens, causal within each block.
    fn block_attn(&self, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor> {
        let (batch, tokens, w) = q.dims3()?;
        let rows = batch * tokens / self.block_ctx;
        let blocks = |t: &Tensor| t.reshape((rows, self.block_ctx, w));
        let mask = self
            .causal
            .then(|| causal_bias(self.block_ctx, q.device()))
            .transpose()?;
        let context = self.dense(&blocks(q)?, &blocks(k)?, &blocks(v)?, mask.as_ref())?;
        Ok(context.reshape((batch, tokens, w))?)
    }

    /// `transpose_block_attn`: token `i` of every block attends to token `i` of the blocks
    /// up to its own, causal across blocks.
    fn transpose_block_attn(&self, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor> {
        let (batch, tokens, w) = q.dims3()?;
        let (n_blocks, block_ctx) = (tokens / self.block_ctx, self.block_ctx);
        let columns = |t: &Tensor| -> Result<Tensor> {
            Ok(t.reshape((batch, n_blocks, block_ctx, w))?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((batch * block_ctx, n_blocks, w))?)
        };
        let mask = self
            .causal
            .then(|| causal_bias(n_blocks, q.device()))
            .transpose()?;
        let context = self.dense(&columns(q)?, &columns(k)?, &columns(v)?, mask.as_ref())?;
        Ok(context
            .reshape((batch, block_ctx, n_blocks, w))?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch, tokens, w))?)
    }

    /// `prev_block_attn`: each block attends to the whole previous block, unmasked; block 0
    /// attends to a block of zeros.
    fn prev_block_attn(&self, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Tensor> {
        let (batch, tokens, w) = q.dims3()?;
        let (n_blocks, block_ctx) = (tokens / self.block_ctx, self.block_ctx);
        let rows = batch * n_blocks;
        let previous = |t: &Tensor| -> Result<Tensor> {
            let t = t
                .reshape((batch, n_blocks, block_ctx, w))?
                .narrow(1, 0, n_blocks - 1)?;
            Ok(t.pad_with_zeros(1, 1, 0)?.reshape((rows, block_ctx, w))?)
        };
        let context = self.dense(
            &q.reshape((rows, block_ctx, w))?,
            &previous(k)?,
            &previous(v)?,
            None,
        )?;
        Ok(context.reshape((batch, tokens, w))?)
    }

    /// `dense_attn` + `_attn` over `[rows, length, width]` queries, keys and values:
    /// heads split, scores scaled, masked and softmaxed in f32, values weighted, heads
    /// merged.
    fn dense(&self, q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let (rows, q_len, w) = q.dims3()?;
        let heads = |t: &Tensor| -> Result<Tensor> {
            let len = t.dim(1)?;
            Ok(t.reshape((rows, len, self.heads, w / self.heads))?
                .transpose(1, 2)?
                .contiguous()?)
        };
        let (q, k, v) = (heads(q)?, heads(k)?, heads(v)?);
        let dtype = q.dtype();
        let scores = kernels::scale(q.matmul(&k.t()?)?, self.score_scale)?.to_dtype(DType::F32)?;
        let scores = match mask {
            Some(bias) => kernels::add(scores, bias)?,
            None => scores,
        };
        let weights = candle_nn::ops::softmax_last_dim(&scores)?.to_dtype(dtype)?;
        let context = weights.matmul(&v)?;
        Ok(context
            .transpose(1, 2)?
            .contiguous()?
            .reshape((rows, q_len, w))?)
    }
}

/// `[n, n]` f32: 0 where a query may attend (key at or before it), -1e9 elsewhere
/// (`get_mask`'s `autoregressive` mask with equal query and key lengths).
fn causal_bias(n: usize, device: &Device) -> Result<Tensor> {
    let bias: Vec<f32> = (0..n * n)
        .map(|i| if i % n <= i / n { 0.0 } else { MASKED })
        .collect();
    Ok(Tensor::from_vec(bias, (n, n), device)?)
}
