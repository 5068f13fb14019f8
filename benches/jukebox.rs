//! Speed of Jukebox's truncated top-level prior on the CPU: issue 4's mid-size config
//! (the 5B prior's structure with width 1024 and 4 layers, one context of 8192 tokens),
//! conditioning included, random weights. The reference number is transformers' prior on
//! the same machine: `tests/fixtures/jukebox/reference_forward.py --layers 4 --width 1024
//! --heads 8 --n-ctx 8192 --blocks 128 --device cpu --dtype fp32`.
//! Run with `cargo bench --bench jukebox`; prints the best of 3 forwards after a warm-up.

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use prep::embed::jukebox::prior::Prior;
use prep::embed::jukebox::{JukeboxConfig, jukemir_labels};

fn main() -> anyhow::Result<()> {
    let mut config = JukeboxConfig::openai_5b();
    config.prior.hidden_size = 1024;
    config.prior.num_layers = 4;
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let prior = Prior::load(&config.prior, config.prior.num_layers, vb, DType::F32)?;
    for var in varmap.all_vars() {
        var.set(&Tensor::randn(0f32, 0.02, var.shape(), &device)?)?;
    }
    let n_ctx = config.prior.n_ctx;
    let tokens: Vec<u32> = (0..n_ctx as u32)
        .map(|i: u32| i.wrapping_mul(2_654_435_761) % 2048)
        .collect();
    let tokens = Tensor::from_vec(tokens, (1, n_ctx), &device)?;
    let labels = jukemir_labels(&config, 0);

    let forward = || -> anyhow::Result<f32> {
        let conditioning = prior.conditioning(&labels)?;
        let hidden = prior.forward(&tokens, &[conditioning])?;
        Ok(hidden.sum_all()?.to_scalar::<f32>()?)
    };
    forward()?;
    let mut seconds = Vec::new();
    let mut checksum = 0.0;
    for _ in 0..3 {
        let start = Instant::now();
        checksum += forward()?;
        seconds.push(start.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    println!(
        "jukebox prior, width 1024, 4 layers, {n_ctx} tokens, f32, {} threads: best {:.3} s \
         ({:.0} tokens/s; all {seconds:.3?}); checksum {checksum:.3}",
        candle_core::utils::get_num_threads(),
        seconds[0],
        n_ctx as f64 / seconds[0]
    );
    Ok(())
}
