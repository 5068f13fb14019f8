//! `embed::whisper` against transformers 4.57.6: the front end against
//! `WhisperFeatureExtractor`, the encoder against `WhisperEncoder` on a tiny seeded model,
//! and the embedder's windows and frame counts. Fixtures: tests/fixtures/whisper/ (made by
//! make_fixtures.py there).

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{DType as CandleDType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::Config;
use prep::embed::whisper::{
    ENCODER_FRAMES, FeatureExtractor, MEL_FRAMES, Whisper, WhisperEncoder, WhisperOptions,
    encoder_prefix,
};
use prep::embed::{DType, Embedder};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/whisper").join(name)
}

fn golden() -> HashMap<String, Tensor> {
    candle_core::safetensors::load(fixture("golden.safetensors"), &Device::Cpu).unwrap()
}

fn config() -> Config {
    serde_json::from_slice(&std::fs::read(fixture("tiny/config.json")).unwrap()).unwrap()
}

fn checkpoint(dtype: CandleDType) -> VarBuilder<'static> {
    let path = fixture("tiny/model.safetensors");
    // SAFETY: the fixture is a committed file that nothing writes while the tests run.
    unsafe { VarBuilder::from_mmaped_safetensors(&[path], dtype, &Device::Cpu) }.unwrap()
}

/// The test clip as the model's input, int16 / 32768.
fn waveform(golden: &HashMap<String, Tensor>) -> Vec<f32> {
    let samples = golden["waveform_i16"].to_dtype(CandleDType::F32).unwrap();
    (samples / 32768.0).unwrap().to_vec1().unwrap()
}

/// All 3000 frames of the reference features: the stored head, then its last frame (the
/// silence floor) repeated, as make_fixtures.py asserts.
fn reference_features(golden: &HashMap<String, Tensor>) -> Tensor {
    let head = &golden["input_features_head"];
    let head_frames = head.dim(2).unwrap();
    let tail = head.narrow(2, head_frames - 1, 1).unwrap();
    let tail = tail.broadcast_as((1, 128, MEL_FRAMES - head_frames)).unwrap().contiguous().unwrap();
    Tensor::cat(&[head, &tail], 2).unwrap()
}

fn values(tensor: &Tensor) -> Vec<f32> {
    tensor.to_dtype(CandleDType::F32).unwrap().flatten_all().unwrap().to_vec1().unwrap()
}

/// `||ours - reference|| / ||reference||`.
fn norm_relative_error(ours: &[f32], reference: &[f32]) -> f64 {
    assert_eq!(ours.len(), reference.len());
    let (mut diff, mut norm) = (0f64, 0f64);
    for (&a, &b) in ours.iter().zip(reference) {
        diff += (f64::from(a) - f64::from(b)).powi(2);
        norm += f64::from(b).powi(2);
    }
    (diff / norm).sqrt()
}

fn embedder(dtype: DType) -> Whisper {
    let vb = checkpoint(CandleDType::F32);
    let prefix = encoder_prefix(|name| vb.contains_tensor(name)).unwrap();
    let options = WhisperOptions { dtype, device: Device::Cpu };
    Whisper::new(config(), vb.pp(prefix), options).unwrap()
}

#[test]
fn the_fixture_checkpoint_keeps_its_encoder_under_model_encoder() {
    let vb = checkpoint(CandleDType::F32);
    assert_eq!(encoder_prefix(|name| vb.contains_tensor(name)), Some("model.encoder"));
}

#[test]
fn front_end_matches_whisper_feature_extractor() {
    let golden = golden();
    let ours = FeatureExtractor::new().input_features(&waveform(&golden)).unwrap();
    let reference = values(&reference_features(&golden));
    let errors: Vec<f32> = ours.iter().zip(&reference).map(|(a, b)| (a - b).abs()).collect();
    let max_error = errors.iter().copied().fold(0f32, f32::max);
    let mean_error = errors.iter().map(|&e| f64::from(e)).sum::<f64>() / errors.len() as f64;
    // float32 STFTs differ most in the faintest bins, a few decades under the maximum.
    assert!(max_error < 1e-4 && mean_error < 1e-6, "abs error: max {max_error}, mean {mean_error}");
}

#[test]
fn encoder_hidden_states_match_transformers_in_f32() {
    let golden = golden();
    let encoder = WhisperEncoder::load(&config(), checkpoint(CandleDType::F32).pp("model.encoder"))
        .unwrap();
    let features = reference_features(&golden);
    let names = ["hidden_state_0", "hidden_state_1", "last_hidden_state"];
    for (index, name) in names.into_iter().enumerate() {
        let ours = values(&encoder.hidden_state(&features, index).unwrap());
        let error = norm_relative_error(&ours, &values(&golden[name]));
        assert!(error < 1e-5, "{name}: norm-relative error {error}");
    }
}

#[test]
fn encoder_in_bf16_and_f16_stays_within_a_percent() {
    let golden = golden();
    let reference = values(&golden["last_hidden_state"]);
    for dtype in [CandleDType::BF16, CandleDType::F16] {
        let vb = checkpoint(dtype).pp("model.encoder");
        let encoder = WhisperEncoder::load(&config(), vb).unwrap();
        let features = reference_features(&golden).to_dtype(dtype).unwrap();
        let ours = values(&encoder.last_hidden_state(&features).unwrap());
        let error = norm_relative_error(&ours, &reference);
        assert!(error < 1e-2, "{dtype:?}: norm-relative error {error}");
    }
}

#[test]
fn embedder_keeps_the_frames_covering_a_7_3_s_clip_and_matches_transformers() {
    let golden = golden();
    let whisper = embedder(DType::F32);
    let frames = whisper.embed(&waveform(&golden)).unwrap();
    assert_eq!(frames.count(), 365);
    assert_eq!(frames.dim, 64);
    let reference = golden["last_hidden_state"].narrow(1, 0, 365).unwrap();
    let error = norm_relative_error(&frames.values, &values(&reference));
    assert!(error < 1e-4, "norm-relative error {error}");
    assert_eq!((whisper.name(), whisper.layer(), whisper.width()), ("whisper", 2, 64));
    assert_eq!(whisper.grid().rate_hz(), 50.0);
    assert!(!whisper.parallel_clips());
}

#[test]
fn a_40_s_clip_is_two_windows_and_a_batch_matches_single_clips() {
    let golden = golden();
    let short = waveform(&golden);
    let long: Vec<f32> = short.iter().cycle().take(40 * 16_000).copied().collect();
    let whisper = embedder(DType::F32);
    let batch = whisper.embed_batch(&[&long, &short]).unwrap();
    assert_eq!(batch[0].count(), ENCODER_FRAMES + 500);
    assert_eq!(batch[1].count(), 365);
    let second_window = whisper.embed(&long[30 * 16_000..]).unwrap();
    let long_tail = &batch[0].values[ENCODER_FRAMES * 64..];
    assert!(norm_relative_error(long_tail, &second_window.values) < 1e-6);
    let reference = golden["last_hidden_state"].narrow(1, 0, 365).unwrap();
    assert!(norm_relative_error(&batch[1].values, &values(&reference)) < 1e-4);
}

#[test]
fn an_empty_clip_is_an_error() {
    let error = embedder(DType::F32).embed(&[]).unwrap_err().to_string();
    assert!(error.contains("no samples"), "{error}");
}
