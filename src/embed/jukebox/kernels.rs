//! Fused elementwise steps of the prior's hot path, done in place on the CPU.
//!
//! Each tensor candle makes is a fresh allocation; at 8192 tokens x 1024-4800 channels
//! that is 32-160 MB a step, mapped and faulted in page by page, which costs as much as
//! the arithmetic of a bias add or an activation. The projections' outputs are fresh and
//! owned by the caller, so their bias, activation and residual sums are written into them
//! instead, in parallel over contiguous chunks. On other devices (or a non-contiguous
//! tensor) the same results come from candle's ordinary ops.
//!
//! The arithmetic is the reference's: `a + b`, `a * s`, `x * sigmoid(1.702 x)` with
//! `sigmoid(t) = 1 / (1 + exp(-t))`, in f32 (half-precision values are widened, computed
//! and rounded once).

use anyhow::Result;
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, Layout, Tensor};
use half::{bf16, f16};
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 1 << 16;

/// `dst + src`, `src` repeated along `dst`'s leading dimensions (a bias `[n]` over
/// `[.., n]`, a mask `[q, k]` over `[.., q, k]`, or a tensor of `dst`'s own shape);
/// `dst` is consumed and, on the CPU, reused.
pub fn add(dst: Tensor, src: &Tensor) -> Result<Tensor> {
    if in_place(&dst) && src.is_contiguous() && dst.elem_count().is_multiple_of(src.elem_count()) {
        dst.inplace_op2(src, &AddRepeated)?;
        Ok(dst)
    } else {
        Ok(dst.broadcast_add(src)?)
    }
}

/// `dst * factor`, in place on the CPU.
pub fn scale(dst: Tensor, factor: f64) -> Result<Tensor> {
    if in_place(&dst) {
        dst.inplace_op1(&Scale(factor as f32))?;
        Ok(dst)
    } else {
        Ok((dst * factor)?)
    }
}

/// `x * sigmoid(1.702 x)` (`quick_gelu`), in place on the CPU.
pub fn quick_gelu(x: Tensor) -> Result<Tensor> {
    if in_place(&x) {
        x.inplace_op1(&QuickGelu)?;
        Ok(x)
    } else {
        Ok((&x * candle_nn::ops::sigmoid(&(&x * 1.702)?)?)?)
    }
}

fn in_place(t: &Tensor) -> bool {
    t.device().is_cpu() && t.is_contiguous()
}

/// The contiguous elements of a storage under `layout`.
fn elements<'a, T>(data: &'a [T], layout: &Layout) -> &'a [T] {
    &data[layout.start_offset()..layout.start_offset() + layout.shape().elem_count()]
}

fn elements_mut<'a, T>(data: &'a mut [T], layout: &Layout) -> &'a mut [T] {
    &mut data[layout.start_offset()..layout.start_offset() + layout.shape().elem_count()]
}

/// Applies `f` to every element of `dst`, in parallel chunks.
fn map<T: Copy + Send + Sync>(dst: &mut [T], f: impl Fn(T) -> T + Sync) {
    dst.par_chunks_mut(CHUNK)
        .for_each(|chunk| chunk.iter_mut().for_each(|v| *v = f(*v)));
}

/// `dst[i] = f(dst[i], src[i % src.len()])`, in parallel chunks.
fn zip_repeated<T: Copy + Send + Sync>(dst: &mut [T], src: &[T], f: impl Fn(T, T) -> T + Sync) {
    let period = src.len();
    let chunk = if period >= CHUNK {
        CHUNK
    } else {
        period * CHUNK.div_ceil(period)
    };
    dst.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(index, mut rest)| {
            let mut at = (index * chunk) % period;
            while !rest.is_empty() {
                let n = (period - at).min(rest.len());
                let (head, tail) = rest.split_at_mut(n);
                head.iter_mut()
                    .zip(&src[at..at + n])
                    .for_each(|(a, &b)| *a = f(*a, b));
                rest = tail;
                at = 0;
            }
        });
}

/// Widens to f32, applies `f`, rounds back.
fn via_f32<T: Copy>(
    to: fn(T) -> f32,
    from: fn(f32) -> T,
    f: impl Fn(f32) -> f32,
) -> impl Fn(T) -> T {
    move |v| from(f(to(v)))
}

fn via_f32_2<T: Copy>(
    to: fn(T) -> f32,
    from: fn(f32) -> T,
    f: impl Fn(f32, f32) -> f32,
) -> impl Fn(T, T) -> T {
    move |a, b| from(f(to(a), to(b)))
}

/// Runs a unary f32 function over a float storage of any of the prior's dtypes.
fn unary(
    storage: &mut CpuStorage,
    layout: &Layout,
    f: impl Fn(f32) -> f32 + Sync,
    name: &str,
) -> candle_core::Result<()> {
    match storage {
        CpuStorage::F32(data) => map(elements_mut(data, layout), f),
        CpuStorage::BF16(data) => map(
            elements_mut(data, layout),
            via_f32(bf16::to_f32, bf16::from_f32, f),
        ),
        CpuStorage::F16(data) => map(
            elements_mut(data, layout),
            via_f32(f16::to_f32, f16::from_f32, f),
        ),
        other => candle_core::bail!("{name}: unsupported dtype {:?}", other.dtype()),
    }
    Ok(())
}

struct AddRepeated;

impl candle_core::InplaceOp2 for AddRepeated {
    fn name(&self) -> &'static str {
        "add-repeated"
    }

    fn cpu_fwd(
        &self,
        dst: &mut CpuStorage,
        dst_l: &Layout,
        src: &CpuStorage,
        src_l: &Layout,
    ) -> candle_core::Result<()> {
        let add = |a: f32, b: f32| a + b;
        match (dst, src) {
            (CpuStorage::F32(d), CpuStorage::F32(s)) => {
                zip_repeated(elements_mut(d, dst_l), elements(s, src_l), add)
            }
            (CpuStorage::BF16(d), CpuStorage::BF16(s)) => zip_repeated(
                elements_mut(d, dst_l),
                elements(s, src_l),
                via_f32_2(bf16::to_f32, bf16::from_f32, add),
            ),
            (CpuStorage::F16(d), CpuStorage::F16(s)) => zip_repeated(
                elements_mut(d, dst_l),
                elements(s, src_l),
                via_f32_2(f16::to_f32, f16::from_f32, add),
            ),
            (d, s) => {
                candle_core::bail!("add-repeated: dtypes {:?} and {:?}", d.dtype(), s.dtype())
            }
        }
        Ok(())
    }
}

struct Scale(f32);

impl candle_core::InplaceOp1 for Scale {
    fn name(&self) -> &'static str {
        "scale"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let factor = self.0;
        unary(storage, layout, move |v| v * factor, self.name())
    }
}

struct QuickGelu;

impl candle_core::InplaceOp1 for QuickGelu {
    fn name(&self) -> &'static str {
        "quick-gelu"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        unary(
            storage,
            layout,
            |x| x * (1.0 / (1.0 + (-(1.702 * x)).exp())),
            self.name(),
        )
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device};

    use super::*;

    fn values(t: &Tensor) -> Vec<f32> {
        t.to_dtype(DType::F32)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    #[test]
    fn in_place_results_equal_candle_s_ops() {
        let x = Tensor::randn(0f32, 1.0, (3, 70_000), &Device::Cpu).unwrap();
        let bias = Tensor::randn(0f32, 1.0, 70_000, &Device::Cpu).unwrap();
        let expected = x.broadcast_add(&bias).unwrap();
        assert_eq!(
            values(&add(x.copy().unwrap(), &bias).unwrap()),
            values(&expected)
        );
        let expected = (&x + &x).unwrap();
        assert_eq!(
            values(&add(x.copy().unwrap(), &x).unwrap()),
            values(&expected)
        );
        let expected = (&x * 0.125).unwrap();
        assert_eq!(
            values(&scale(x.copy().unwrap(), 0.125).unwrap()),
            values(&expected)
        );
        let expected = (&x * candle_nn::ops::sigmoid(&(&x * 1.702).unwrap()).unwrap()).unwrap();
        let ours = values(&quick_gelu(x.copy().unwrap()).unwrap());
        for (a, b) in ours.iter().zip(values(&expected)) {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn a_small_period_repeats_across_chunks() {
        let x = Tensor::zeros((5000, 3, 7), DType::BF16, &Device::Cpu).unwrap();
        let mask = Tensor::arange(0f32, 21.0, &Device::Cpu)
            .unwrap()
            .reshape((3, 7))
            .unwrap();
        let mask = mask.to_dtype(DType::BF16).unwrap();
        let ours = values(&add(x.copy().unwrap(), &mask).unwrap());
        assert_eq!(ours, values(&x.broadcast_add(&mask).unwrap()));
    }
}
