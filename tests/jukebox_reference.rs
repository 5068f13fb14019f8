//! Jukebox against transformers' port (`modeling_jukebox.py`, transformers 4.57.6) on a
//! tiny random model: tokens, the top encoder's output, the label conditioning and every
//! layer's output of the prior (fixtures in `tests/fixtures/jukebox/`, made by the script
//! there).

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use prep::embed::jukebox::conditioning::Labels;
use prep::embed::jukebox::prior::Prior;
use prep::embed::jukebox::vqvae::TopLevelVqvae;
use prep::embed::jukebox::{Jukebox, JukeboxConfig, JukeboxOptions, Window};
use prep::embed::{self, Embedder};

fn dir() -> String {
    format!("{}/tests/fixtures/jukebox/tiny", env!("CARGO_MANIFEST_DIR"))
}

fn config() -> JukeboxConfig {
    let text = std::fs::read_to_string(format!("{}/config.json", dir())).expect("config.json");
    JukeboxConfig::from_json(&text).expect("the tiny config parses")
}

fn golden() -> HashMap<String, Tensor> {
    candle_core::safetensors::load(format!("{}/golden.safetensors", dir()), &Device::Cpu).expect("golden")
}

fn weights(dtype: DType) -> VarBuilder<'static> {
    let path = format!("{}/model.safetensors", dir());
    unsafe { VarBuilder::from_mmaped_safetensors(&[path], dtype, &Device::Cpu) }.expect("weights")
}

/// `||ours - theirs|| / ||theirs||`.
fn relative_error(ours: &Tensor, theirs: &Tensor) -> f32 {
    let ours = ours.to_dtype(DType::F32).unwrap().flatten_all().unwrap();
    let theirs = theirs.to_dtype(DType::F32).unwrap().flatten_all().unwrap();
    assert_eq!(ours.dims(), theirs.dims());
    let norm = |t: &Tensor| t.sqr().unwrap().sum_all().unwrap().sqrt().unwrap().to_scalar::<f32>().unwrap();
    norm(&(&ours - &theirs).unwrap()) / norm(&theirs)
}

fn audio(golden: &HashMap<String, Tensor>) -> Tensor {
    golden["audio"].unsqueeze(0).unwrap()
}

fn tokens(golden: &HashMap<String, Tensor>) -> Vec<u32> {
    golden["tokens"].flatten_all().unwrap().to_dtype(DType::I64).unwrap().to_vec1::<i64>().unwrap()
        .into_iter().map(|t| t as u32).collect()
}

fn labels(golden: &HashMap<String, Tensor>, case: &str) -> Labels {
    let row = golden[&format!("labels_{case}")].flatten_all().unwrap().to_vec1::<i64>().unwrap();
    Labels { total_length: row[0], offset: row[1], sample_length: row[2], artist: row[3], genres: row[4..].to_vec() }
}

#[test]
fn tokens_and_encoder_output_match() {
    let (config, golden) = (config(), golden());
    let vqvae = TopLevelVqvae::load(&config.vqvae, weights(DType::F32).pp("vqvae")).unwrap();
    let latents = vqvae.latents(&audio(&golden)).unwrap();
    let error = relative_error(&latents, &golden["encoder_out"]);
    assert!(error < 1e-4, "encoder output: {error}");
    let ours = vqvae.tokens(&audio(&golden)).unwrap().flatten_all().unwrap().to_vec1::<u32>().unwrap();
    assert_eq!(ours, tokens(&golden));
}

#[test]
fn conditioning_matches_for_both_label_cases() {
    let (config, golden) = (config(), golden());
    let vb = weights(DType::F32).pp(format!("priors.{}", config.prior_index));
    let prior = Prior::load(&config.prior, 0, vb, DType::F32).unwrap();
    for case in ["a", "b"] {
        let conditioning = prior.conditioning(&labels(&golden, case)).unwrap();
        let start = relative_error(&conditioning.start, &golden[&format!("start_{case}")]);
        let positions = conditioning.positions.as_ref().expect("metadata conditioning");
        let positions = relative_error(positions, &golden[&format!("positions_{case}")]);
        assert!(start < 1e-6 && positions < 1e-6, "{case}: start {start}, positions {positions}");
    }
}

fn check_layers(dtype: DType, tolerance: f32) {
    let (config, golden) = (config(), golden());
    let n_ctx = config.prior.n_ctx;
    let window = Tensor::new(&tokens(&golden)[..n_ctx], &Device::Cpu).unwrap().unsqueeze(0).unwrap();
    for layers in 0..=config.prior.num_layers {
        let vb = weights(DType::F32).pp(format!("priors.{}", config.prior_index));
        let prior = Prior::load(&config.prior, layers, vb, dtype).unwrap();
        let conditioning = prior.conditioning(&labels(&golden, "a")).unwrap();
        let hidden = prior.forward(&window, &[conditioning]).unwrap().squeeze(0).unwrap();
        let error = relative_error(&hidden, &golden[&format!("hidden.{layers}")]);
        assert!(error < tolerance, "{dtype:?}, layer {layers}: {error}");
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

fn windows_fixture() -> (JukeboxConfig, HashMap<String, Tensor>, String) {
    let dir = format!("{}/tests/fixtures/jukebox/windows", env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(format!("{dir}/config.json")).expect("config.json");
    let golden = candle_core::safetensors::load(format!("{dir}/golden.safetensors"), &Device::Cpu);
    (JukeboxConfig::from_json(&config).unwrap(), golden.expect("golden"), format!("{dir}/model.safetensors"))
}

/// The embedder (layer 3 of 4, JukeMIR's labels) on the windows fixture's clip.
fn embed(window: Window, dtype: embed::DType, samples: &[&[f32]]) -> Vec<prep::embed::Frames> {
    let (config, _, model) = windows_fixture();
    let vb = || unsafe { VarBuilder::from_mmaped_safetensors(&[&model], DType::F32, &Device::Cpu) }.unwrap();
    let prior = vb().pp(format!("priors.{}", config.prior_index));
    let options = JukeboxOptions { layer: 3, window, dtype, device: Device::Cpu };
    let jukebox = Jukebox::new(config, vb().pp("vqvae"), prior, options).unwrap();
    jukebox.embed_batch(samples).unwrap()
}

fn frames_error(frames: &prep::embed::Frames, expected: &Tensor) -> f32 {
    assert_eq!((frames.count(), frames.dim), expected.dims2().unwrap());
    relative_error(&Tensor::new(frames.values.as_slice(), &Device::Cpu).unwrap(), expected)
}

#[test]
fn exact_windows_cover_the_clip_as_the_reference_would() {
    let (_, golden, _) = windows_fixture();
    let samples = golden["audio"].to_vec1::<f32>().unwrap();
    let short = &samples[..40 * 128 + 50];
    let frames = embed(Window::Exact, embed::DType::F32, &[&samples, short]);
    let whole = frames_error(&frames[0], &golden["exact"]);
    let part = frames_error(&frames[1], &golden["exact_short"]);
    assert!(whole < 1e-4 && part < 1e-4, "whole clip {whole}, short clip {part}");
}

#[test]
fn llark_windows_embed_the_first_context() {
    let (_, golden, _) = windows_fixture();
    let samples = golden["audio"].to_vec1::<f32>().unwrap();
    let frames = embed(Window::Llark, embed::DType::F32, &[&samples]);
    let error = frames_error(&frames[0], &golden["llark"]);
    assert!(error < 1e-4, "{error}");
}

#[test]
fn bf16_embeddings_stay_close() {
    let (_, golden, _) = windows_fixture();
    let samples = golden["audio"].to_vec1::<f32>().unwrap();
    for dtype in [embed::DType::Bf16, embed::DType::F16] {
        let frames = embed(Window::Exact, dtype, &[&samples]);
        let error = frames_error(&frames[0], &golden["exact"]);
        assert!(error < 1e-2, "{dtype}: {error}");
    }
}
