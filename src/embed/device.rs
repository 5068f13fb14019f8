//! Where a model runs (`--device cpu|cuda[:i]`) and in which floating-point type its
//! weights and activations are held (`--dtype f32|bf16|f16`), and their candle forms.
//!
//! CUDA exists only in builds with the `cuda` cargo feature; without it `cuda:N` is refused
//! with a message saying how to get it, before any audio is read.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};

/// Where a model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Cpu,
    /// A CUDA GPU by index (`cuda` is `cuda:0`).
    Cuda(usize),
}

impl Device {
    /// The candle device; fails for CUDA when this build has no CUDA or the GPU is absent.
    pub fn candle(self) -> Result<candle_core::Device> {
        match self {
            Device::Cpu => Ok(candle_core::Device::Cpu),
            Device::Cuda(index) => cuda(index),
        }
    }
}

#[cfg(feature = "cuda")]
fn cuda(index: usize) -> Result<candle_core::Device> {
    use anyhow::Context;
    candle_core::Device::new_cuda(index).with_context(|| {
        format!(
            "--device cuda:{index}: cannot open CUDA device {index}; `nvidia-smi -L` lists the \
             GPUs this machine's NVIDIA driver sees (none, or no driver: use --device cpu)"
        )
    })
}

#[cfg(not(feature = "cuda"))]
fn cuda(index: usize) -> Result<candle_core::Device> {
    bail!(
        "--device cuda:{index}: this prep was built without CUDA; rebuild with \
         `cargo build --release --features cuda` (scripts/cuda-toolchain.sh installs the CUDA \
         compiler) or use --device cpu"
    )
}

impl FromStr for Device {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => match text.strip_prefix("cuda:").map(str::parse) {
                Some(Ok(index)) => Ok(Device::Cuda(index)),
                _ => bail!("unknown device `{text}`; expected cpu, cuda or cuda:N"),
            },
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(index) => write!(f, "cuda:{index}"),
        }
    }
}

/// The floating-point type a model computes in. The table stores float16 whatever this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DType {
    #[default]
    F32,
    Bf16,
    F16,
}

impl DType {
    pub fn candle(self) -> candle_core::DType {
        match self {
            DType::F32 => candle_core::DType::F32,
            DType::Bf16 => candle_core::DType::BF16,
            DType::F16 => candle_core::DType::F16,
        }
    }
}

impl FromStr for DType {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "f32" | "fp32" | "float32" => Ok(DType::F32),
            "bf16" | "bfloat16" => Ok(DType::Bf16),
            "f16" | "fp16" | "float16" => Ok(DType::F16),
            _ => bail!("unknown dtype `{text}`; expected f32, bf16 or f16"),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DType::F32 => "f32",
            DType::Bf16 => "bf16",
            DType::F16 => "f16",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_dtypes_parse_and_print_back() {
        for text in ["cpu", "cuda:0", "cuda:3"] {
            assert_eq!(text.parse::<Device>().unwrap().to_string(), text);
        }
        assert_eq!("cuda".parse::<Device>().unwrap(), Device::Cuda(0));
        assert!("gpu".parse::<Device>().is_err());
        assert!("cuda:x".parse::<Device>().is_err());
        for text in ["f32", "bf16", "f16"] {
            assert_eq!(text.parse::<DType>().unwrap().to_string(), text);
        }
        assert!("f8".parse::<DType>().is_err());
    }

    /// No machine has a GPU at this index, so this fails on every machine (here with
    /// candle's own error: no device, no driver, or the link stub as the driver).
    #[cfg(feature = "cuda")]
    #[test]
    fn a_missing_cuda_device_is_named_with_a_way_out() {
        let error = format!("{:#}", Device::Cuda(999).candle().unwrap_err());
        assert!(error.contains("--device cuda:999") && error.contains("--device cpu"), "{error}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_is_refused_without_the_feature_with_a_way_out() {
        let error = Device::Cuda(1).candle().unwrap_err().to_string();
        assert!(error.contains("--features cuda"), "{error}");
    }
}
