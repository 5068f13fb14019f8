//! Jukebox against transformers' port (`modeling_jukebox.py`, transformers 4.57.6, itself
//! checked against OpenAI's code by the fixture script) on tiny random models:
//! - `tests/fixtures/jukebox/tiny` (`make_fixtures.py`, README.md there): tokens, the top
//!   encoder's output, the label conditioning and every layer of the prior, f32 and bf16;
//! - `tests/fixtures/jukebox/tiny-openai`: the same weights under OpenAI's original names;
//! - `tests/fixtures/jukebox/windows` (`make_windows.py`): the whole embedder, LLark's
//!   window and the time-exact windows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use prep::embed::jukebox::checkpoint::{original_prior_name, original_vqvae_name};
use prep::embed::jukebox::conditioning::Labels;
use prep::embed::jukebox::prior::Prior;
use prep::embed::jukebox::vqvae::TopLevelVqvae;
use prep::embed::jukebox::{Jukebox, JukeboxConfig, JukeboxOptions, Window};
use prep::embed::{self, Embedder, Frames};

fn fixture(path: &str) -> String {
    format!(
        "{}/tests/fixtures/jukebox/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn config(dir: &str) -> JukeboxConfig {
    let text =
        std::fs::read_to_string(fixture(&format!("{dir}/config.json"))).expect("config.json");
    JukeboxConfig::from_json(&text).expect("the fixture's config parses")
}

fn golden(dir: &str) -> HashMap<String, Tensor> {
    candle_core::safetensors::load(fixture(&format!("{dir}/golden.safetensors")), &Device::Cpu)
        .expect("golden.safetensors")
}

fn weights(dir: &str) -> VarBuilder<'static> {
    let path = fixture(&format!("{dir}/model.safetensors"));
    unsafe { VarBuilder::from_mmaped_safetensors(&[path], DType::F32, &Device::Cpu) }
        .expect("weights")
}

/// `||ours - theirs|| / ||theirs||`.
fn relative_error(ours: &Tensor, theirs: &Tensor) -> f32 {
    let ours = ours.to_dtype(DType::F32).unwrap().flatten_all().unwrap();
    let theirs = theirs.to_dtype(DType::F32).unwrap().flatten_all().unwrap();
    assert_eq!(ours.dims(), theirs.dims());
    let norm = |t: &Tensor| {
        t.sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .sqrt()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    norm(&(&ours - &theirs).unwrap()) / norm(&theirs)
}

fn integers(tensor: &Tensor) -> Vec<i64> {
    tensor
        .flatten_all()
        .unwrap()
        .to_dtype(DType::I64)
        .unwrap()
        .to_vec1::<i64>()
        .unwrap()
}

/// A golden label row `[total_length, offset, sample_length, artist, genre...]`.
fn labels(row: &Tensor) -> Labels {
    let row = integers(row);
    Labels {
        total_length: row[0],
        offset: row[1],
        sample_length: row[2],
        artist: row[3],
        genres: row[4..].to_vec(),
    }
}

fn top_prior(
    config: &JukeboxConfig,
    vb: VarBuilder<'static>,
    layers: usize,
    dtype: DType,
) -> Prior {
    Prior::load(
        &config.prior,
        layers,
        vb.pp(format!("priors.{}", config.prior_index)),
        dtype,
    )
    .unwrap()
}

#[test]
fn tokens_and_encoder_output_match() {
    let (config, golden) = (config("tiny"), golden("tiny"));
    let vqvae = TopLevelVqvae::load(&config.vqvae, weights("tiny").pp("vqvae")).unwrap();
    for case in ["", "_odd"] {
        let audio = &golden[&format!("audio{case}")];
        let error = relative_error(
            &vqvae.latents(audio).unwrap(),
            &golden[&format!("encoder_out{case}")],
        );
        assert!(error < 1e-4, "encoder output{case}: {error}");
        let tokens = vqvae.tokens(audio).unwrap().to_dtype(DType::I64).unwrap();
        assert_eq!(
            integers(&tokens),
            integers(&golden[&format!("tokens{case}")]),
            "tokens{case}"
        );
    }
}

#[test]
fn conditioning_matches_for_both_label_cases() {
    let (config, golden) = (config("tiny"), golden("tiny"));
    let prior = top_prior(&config, weights("tiny"), 0, DType::F32);
    for case in ["", "_offset"] {
        let conditioning = prior
            .conditioning(&labels(&golden[&format!("labels{case}")]))
            .unwrap();
        let start = relative_error(&conditioning.start, &golden[&format!("y_cond{case}")]);
        let positions = conditioning
            .positions
            .as_ref()
            .expect("metadata conditioning");
        let positions = relative_error(positions, &golden[&format!("x_cond{case}")]);
        assert!(
            start < 1e-6 && positions < 1e-6,
            "labels{case}: start {start}, positions {positions}"
        );
    }
}

/// Every `hidden{case}.k` from a prior truncated after layer `k`, in `dtype`.
fn check_layers(dtype: DType, tolerance: f32) {
    let (config, golden) = (config("tiny"), golden("tiny"));
    let n_ctx = config.prior.n_ctx;
    let window = golden["tokens"]
        .narrow(1, 0, n_ctx)
        .unwrap()
        .to_dtype(DType::U32)
        .unwrap();
    for layers in 0..=config.prior.num_layers {
        let prior = top_prior(&config, weights("tiny"), layers, dtype);
        for case in ["", "_offset"] {
            let conditioning = prior
                .conditioning(&labels(&golden[&format!("labels{case}")]))
                .unwrap();
            let hidden = prior.forward(&window, &[conditioning]).unwrap();
            let error = relative_error(&hidden, &golden[&format!("hidden{case}.{layers}")]);
            assert!(
                error < tolerance,
                "{dtype:?}, labels{case}, layer {layers}: {error}"
            );
        }
    }
}

#[test]
fn every_layer_matches_in_f32() {
    check_layers(DType::F32, 1e-4);
}

#[test]
fn every_layer_matches_in_bf16() {
    check_layers(DType::BF16, 1e-2);
}

/// The names the model asks its `VarBuilder` for, truncated after `layers`, without the
/// `vqvae.` / `priors.<i>.` prefixes.
fn names_read(config: &JukeboxConfig, layers: usize) -> (Vec<String>, Vec<String>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let vb = weights("tiny").rename_f(move |name| {
        record.lock().unwrap().push(name.to_string());
        name.to_string()
    });
    TopLevelVqvae::load(&config.vqvae, vb.pp("vqvae")).unwrap();
    top_prior(config, vb, layers, DType::F32);
    let names = seen.lock().unwrap().clone();
    let prior = format!("priors.{}.", config.prior_index);
    let strip = |prefix: &str| -> Vec<String> {
        names
            .iter()
            .filter_map(|n| n.strip_prefix(prefix).map(str::to_string))
            .collect()
    };
    (strip("vqvae."), strip(&prior))
}

/// Whether `name` is a string of the pickle in `bytes` (protocol 2 `BINUNICODE`: `X`, a
/// 4-byte little-endian length, the UTF-8 bytes).
fn pickles_string(bytes: &[u8], name: &str) -> bool {
    let mut needle = vec![b'X'];
    needle.extend((name.len() as u32).to_le_bytes());
    needle.extend(name.as_bytes());
    bytes.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn every_name_read_has_its_original_in_openai_s_checkpoints() {
    let config = config("tiny");
    let (vqvae, prior) = names_read(&config, config.prior.num_layers);
    assert!(
        vqvae.len() > 10 && prior.len() > 10,
        "{} + {} names",
        vqvae.len(),
        prior.len()
    );
    let vqvae_file = std::fs::read(fixture("tiny-openai/vqvae.pth.tar")).unwrap();
    for name in &vqvae {
        let original = original_vqvae_name(name, &config.vqvae.res_downs_t);
        assert!(
            pickles_string(&vqvae_file, &original),
            "{name} -> {original}"
        );
    }
    let prior_file = std::fs::read(fixture("tiny-openai/prior_level_2.pth.tar")).unwrap();
    for name in &prior {
        let original = original_prior_name(name);
        assert!(
            pickles_string(&prior_file, &original),
            "{name} -> {original}"
        );
    }
}

#[test]
fn a_truncated_prior_reads_no_deeper_layer() {
    let config = config("tiny");
    let (_, prior) = names_read(&config, 2);
    assert!(prior.iter().any(|name| name.contains("_attn_mods.1.")));
    assert!(
        !prior
            .iter()
            .any(|name| name.contains("_attn_mods.2.") || name.contains("_attn_mods.3."))
    );
}

/// The embedder (layer 3 of 4, JukeMIR's labels) on the windows fixture's clips.
fn embed(window: Window, dtype: embed::DType, samples: &[&[f32]]) -> Vec<Frames> {
    let config = config("windows");
    let prior = weights("windows").pp(format!("priors.{}", config.prior_index));
    let options = JukeboxOptions {
        layer: 3,
        window,
        dtype,
        device: Device::Cpu,
    };
    let jukebox = Jukebox::new(config, weights("windows").pp("vqvae"), prior, options).unwrap();
    jukebox.embed_batch(samples).unwrap()
}

fn frames_error(frames: &Frames, expected: &Tensor) -> f32 {
    assert_eq!((frames.count(), frames.dim), expected.dims2().unwrap());
    relative_error(
        &Tensor::new(frames.values.as_slice(), &Device::Cpu).unwrap(),
        expected,
    )
}

#[test]
fn exact_windows_cover_the_clip_as_the_reference_would() {
    let golden = golden("windows");
    let samples = golden["audio"].to_vec1::<f32>().unwrap();
    let short = &samples[..40 * 128 + 50];
    let frames = embed(Window::Exact, embed::DType::F32, &[&samples, short]);
    let whole = frames_error(&frames[0], &golden["exact"]);
    let part = frames_error(&frames[1], &golden["exact_short"]);
    assert!(
        whole < 1e-4 && part < 1e-4,
        "whole clip {whole}, short clip {part}"
    );
}

#[test]
fn llark_windows_embed_the_first_context() {
    let golden = golden("windows");
    let samples = golden["audio"].to_vec1::<f32>().unwrap();
    let frames = embed(Window::Llark, embed::DType::F32, &[&samples]);
    let error = frames_error(&frames[0], &golden["llark"]);
    assert!(error < 1e-4, "{error}");
}

#[test]
fn bf16_embeddings_stay_close() {
    let golden = golden("windows");
    let samples = golden["audio"].to_vec1::<f32>().unwrap();
    for dtype in [embed::DType::Bf16, embed::DType::F16] {
        let frames = embed(Window::Exact, dtype, &[&samples]);
        let error = frames_error(&frames[0], &golden["exact"]);
        assert!(error < 1e-2, "{dtype}: {error}");
    }
}
