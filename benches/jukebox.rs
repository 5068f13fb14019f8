//! Speed of Jukebox's truncated top-level prior against transformers' on the same machine
//! in the same run: random weights, JukeMIR's conditioning, one context of tokens.
//!
//!     cargo bench --bench jukebox                      # issue 4's CPU case: 4 layers,
//!                                                      # width 1024, 8192 tokens, f32
//!     cargo bench --features cuda --bench jukebox -- --layers 36 --width 4800 \
//!         --dtype bf16 --device cuda                   # the GPU case: the real 5B prior to 36
//!
//! Options: `--layers N --width N --heads N --n-ctx N --dtype f32|bf16|f16 --device
//! cpu|cuda[:i] --repeats N --python PATH` (PATH: a Python with torch 2.9.1 and
//! transformers 4.57.6, e.g. `tests/fixtures/jukebox/requirements.txt`; default `python3`;
//! `--python none` skips the reference). Prints the median of `--repeats` forwards after
//! a warm-up for each side, the ratio, and the projections' matmul rate (2 x tokens x layer
//! parameters per forward; attention scores excluded, so a lower bound).

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use candle_core::Tensor;
use candle_nn::{VarBuilder, VarMap};
use prep::embed::jukebox::prior::Prior;
use prep::embed::jukebox::{JukeboxConfig, jukemir_labels};
use prep::embed::{DType, Device};

struct Options {
    layers: usize,
    width: usize,
    heads: usize,
    n_ctx: usize,
    dtype: DType,
    device: Device,
    repeats: usize,
    python: String,
}

fn options() -> Result<Options> {
    let mut options = Options {
        layers: 4,
        width: 1024,
        heads: 8,
        n_ctx: 8192,
        dtype: DType::F32,
        device: Device::Cpu,
        repeats: 5,
        python: "python3".into(),
    };
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(name) = args.next() {
        let value = args.next().with_context(|| format!("{name} needs a value"))?;
        match name.as_str() {
            "--layers" => options.layers = value.parse()?,
            "--width" => options.width = value.parse()?,
            "--heads" => options.heads = value.parse()?,
            "--n-ctx" => options.n_ctx = value.parse()?,
            "--dtype" => options.dtype = value.parse()?,
            "--device" => options.device = value.parse()?,
            "--repeats" => options.repeats = value.parse()?,
            "--python" => options.python = value,
            _ => bail!("unknown option {name}"),
        }
    }
    Ok(options)
}

fn median(mut seconds: Vec<f64>) -> f64 {
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}

/// Our forward times (seconds) and the parameters of the transformer layers.
fn ours(options: &Options) -> Result<(Vec<f64>, usize)> {
    let mut config = JukeboxConfig::openai_5b();
    config.prior.hidden_size = options.width;
    config.prior.num_layers = options.layers;
    config.prior.n_heads = options.heads;
    config.prior.n_ctx = options.n_ctx;
    let device = options.device.candle()?;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, options.dtype.candle(), &device);
    let prior = Prior::load(&config.prior, options.layers, vb, options.dtype.candle())?;
    let mut layer_parameters = 0;
    for (name, var) in varmap.data().lock().expect("the varmap").iter() {
        let random = Tensor::randn(0f32, 0.02, var.shape(), &device)?.to_dtype(var.dtype())?;
        var.set(&random)?;
        if name.contains("_attn_mods") {
            layer_parameters += var.elem_count();
        }
    }
    let tokens: Vec<u32> = (0..options.n_ctx as u32)
        .map(|i: u32| i.wrapping_mul(2_654_435_761) % 2048)
        .collect();
    let tokens = Tensor::from_vec(tokens, (1, options.n_ctx), &device)?;
    let labels = jukemir_labels(&config, 0);
    let forward = || -> Result<f32> {
        let conditioning = prior.conditioning(&labels)?;
        let hidden = prior.forward(&tokens, &[conditioning])?;
        // Reading a value back waits for the device.
        Ok(hidden.sum_all()?.to_dtype(candle_core::DType::F32)?.to_scalar::<f32>()?)
    };
    forward()?;
    let mut seconds = Vec::new();
    for _ in 0..options.repeats {
        let start = Instant::now();
        let checksum = forward()?;
        seconds.push(start.elapsed().as_secs_f64());
        if !checksum.is_finite() {
            bail!("the forward pass gave a non-finite output");
        }
    }
    Ok((seconds, layer_parameters))
}

/// transformers' forward times on the same case, or None when skipped.
fn reference(options: &Options) -> Result<Option<Vec<f64>>> {
    if options.python == "none" {
        return Ok(None);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jukebox/reference_forward.py");
    let device = match options.device {
        Device::Cpu => "cpu",
        Device::Cuda(_) => "cuda",
    };
    let dtype = match options.dtype {
        DType::F32 => "fp32",
        DType::Bf16 => "bf16",
        DType::F16 => "fp16",
    };
    let threads = candle_core::utils::get_num_threads().to_string();
    let output = Command::new(&options.python)
        .arg(script)
        .args(["--layers", &options.layers.to_string(), "--width", &options.width.to_string()])
        .args(["--heads", &options.heads.to_string(), "--n-ctx", &options.n_ctx.to_string()])
        .args(["--device", device, "--dtype", dtype, "--threads", &threads])
        .args(["--repeats", &options.repeats.to_string()])
        .output()
        .with_context(|| format!("running {} {script}", options.python))?;
    if !output.status.success() {
        bail!("the reference failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let seconds = report["seconds_all"]
        .as_array()
        .context("no seconds_all in the reference's report")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    Ok(Some(seconds))
}

fn main() -> Result<()> {
    let options = options()?;
    let (seconds, layer_parameters) = ours(&options)?;
    let ours_s = median(seconds);
    let flop = 2.0 * options.n_ctx as f64 * layer_parameters as f64;
    println!(
        "jukebox prior: {} layers, width {}, {} tokens, {}, {}, {} threads",
        options.layers,
        options.width,
        options.n_ctx,
        options.dtype,
        options.device,
        candle_core::utils::get_num_threads()
    );
    println!(
        "prep        median {ours_s:.3} s  {:>9.0} tokens/s  {:.2} TFLOP/s (projections)",
        options.n_ctx as f64 / ours_s,
        flop / ours_s / 1e12
    );
    if let Some(seconds) = reference(&options)? {
        let reference_s = median(seconds);
        println!(
            "transformers median {reference_s:.3} s  {:>9.0} tokens/s  {:.2} TFLOP/s (projections)",
            options.n_ctx as f64 / reference_s,
            flop / reference_s / 1e12
        );
        println!("prep is {:.2}x the reference's throughput", reference_s / ours_s);
    }
    Ok(())
}
