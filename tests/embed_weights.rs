//! Weight files of every format read back exactly, and model files found in local folders.
//! Fixtures: tests/fixtures/weights/make_fixtures.py (torch 2.9.1 wrote them); its
//! expected.json has every tensor's dtype, shape and values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use prep::embed::weights::{
    HubSettings, Layout, ModelFiles, Source, TRANSFORMERS_FILES, Wanted, Weights, locate,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    dtype: String,
    shape: Vec<usize>,
    values: Vec<serde_json::Number>,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/weights")
}

fn expected() -> BTreeMap<String, BTreeMap<String, Expected>> {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn candle_dtype(name: &str) -> DType {
    match name {
        "float32" => DType::F32,
        "float16" => DType::F16,
        "bfloat16" => DType::BF16,
        "int64" => DType::I64,
        other => panic!("no fixture dtype {other}"),
    }
}

/// Local settings that reach no server: local sources never use them.
fn no_hub() -> HubSettings {
    let cache = std::env::temp_dir().join("prep-weights-test-unused-cache");
    HubSettings {
        endpoint: "http://127.0.0.1:9".into(),
        cache_dir: cache,
        token: None,
        offline: true,
        progress: false,
    }
}

fn files(weights: &[&str], state_key: Option<&str>) -> ModelFiles {
    ModelFiles {
        config: None,
        weights: weights.iter().map(|file| fixtures().join(file)).collect(),
        state_key: state_key.map(String::from),
    }
}

/// Compares `tensor` with the expected values exactly.
fn assert_tensor(file: &str, name: &str, tensor: &Tensor, expected: &Expected) {
    let what = format!("{file}: {name}");
    assert_eq!(tensor.dtype(), candle_dtype(&expected.dtype), "{what}");
    assert_eq!(tensor.dims(), expected.shape.as_slice(), "{what}");
    let flat = tensor.flatten_all().expect("flatten");
    if tensor.dtype() == DType::I64 {
        let values = flat.to_vec1::<i64>().expect("i64 values");
        let wanted: Vec<i64> = expected.values.iter().map(|v| v.as_i64().expect("int")).collect();
        assert_eq!(values, wanted, "{what}");
    } else {
        // Every fixture float is an f32 (f16 and bf16 widen exactly); serde_json may miss the
        // f64 of a decimal by an ulp, which rounding to f32 cannot notice.
        let values = flat.to_dtype(DType::F32).and_then(|t| t.to_vec1::<f32>()).expect("values");
        let wanted: Vec<f32> =
            expected.values.iter().map(|v| v.as_f64().expect("float") as f32).collect();
        assert_eq!(values, wanted, "{what}");
    }
}

#[test]
fn every_format_reads_back_every_tensor_exactly() {
    let expected = expected();
    assert_eq!(expected.len(), 6, "fixture files");
    for (file, tensors) in &expected {
        let state_key = file.starts_with("openai/").then_some("model");
        let vb = files(&[file], state_key).var_builder(DType::F32, &Device::Cpu).expect(file);
        for (name, wanted) in tensors {
            assert!(vb.contains_tensor(name), "{file}: {name}");
            let tensor = vb.get_unchecked_dtype(name, candle_dtype(&wanted.dtype)).expect(name);
            assert_tensor(file, name, &tensor, wanted);
        }
        let weights = Weights::open(&[fixtures().join(file)], state_key).expect(file);
        assert_eq!(weights.names().count(), tensors.len(), "{file}: no other tensors");
    }
}

#[test]
fn the_var_builder_converts_to_its_dtype_and_checks_shapes() {
    let vb = files(&["bin/pytorch_model.bin"], None).var_builder(DType::F32, &Device::Cpu).unwrap();
    let half = vb.get((2, 3), "half").expect("f16 read as f32");
    assert_eq!(half.dtype(), DType::F32);
    assert_eq!(half.to_vec2::<f32>().unwrap()[0], [0.5, -1.0, 2.0]);
    let strided = vb.pp("shared").get(6, "b").expect("a view at storage offset 5");
    assert_eq!(strided.to_vec1::<f32>().unwrap(), [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]);

    let error = format!("{:#}", vb.get((4, 3), "dense.weight").unwrap_err());
    assert!(error.contains("dense.weight") && error.contains("pytorch_model.bin"), "{error}");
    assert!(error.contains("[3, 4]") && error.contains("[4, 3]"), "{error}");
    let error = format!("{:#}", vb.get(3, "absent").unwrap_err());
    assert!(error.contains("absent") && error.contains("pytorch_model.bin"), "{error}");
}

#[test]
fn several_files_make_one_var_builder() {
    let both = files(&["openai/vqvae.pth.tar", "openai/prior_level_2.pth.tar"], Some("model"));
    let vb = both.var_builder(DType::F32, &Device::Cpu).expect("legacy and zip together");
    assert!(vb.contains_tensor("vqvae.dense.weight") && vb.contains_tensor("prior.dense.weight"));
    let weights = Weights::open(&both.weights, Some("model")).unwrap();
    assert!(weights.file_of("prior.half").unwrap().ends_with("prior_level_2.pth.tar"));

    let twice = files(&["single/model.safetensors", "bin/pytorch_model.bin"], None);
    let error = format!("{:#}", twice.var_builder(DType::F32, &Device::Cpu).err().unwrap());
    assert!(error.contains("is in both"), "{error}");
}

#[test]
fn a_state_key_that_is_absent_lists_the_entries() {
    for file in ["openai/vqvae.pth.tar", "openai/prior_level_2.pth.tar"] {
        let error = Weights::open(&[fixtures().join(file)], Some("ema")).err().unwrap();
        let error = format!("{error:#}");
        assert!(error.contains(file) && error.contains("no entry `ema`"), "{error}");
        assert!(error.contains("\"model\"") && error.contains("\"hps\""), "{error}");
    }
}

#[test]
fn a_file_that_is_no_checkpoint_is_named() {
    let error = Weights::open(&[fixtures().join("bin/config.json")], None).err().unwrap();
    let error = format!("{error:#}");
    assert!(error.contains("bin/config.json") && error.contains("magic"), "{error}");
}

fn local(path: &str, wanted: &Wanted) -> anyhow::Result<ModelFiles> {
    locate(&Source::Local(fixtures().join(path)), wanted, &no_hub())
}

#[test]
fn local_folders_in_each_layout() {
    let all = Wanted::all(Layout::Transformers);
    let single = local("single", &all).unwrap();
    assert_eq!(single.config, Some(fixtures().join("single/config.json")));
    assert_eq!(single.weights, [fixtures().join("single/model.safetensors")]);
    let bin = local("bin", &all).unwrap();
    assert_eq!(bin.weights, [fixtures().join("bin/pytorch_model.bin")]);

    let sharded = local("sharded", &all).unwrap();
    assert_eq!(sharded.weights.len(), 2);
    let encoder = |name: &str| name.starts_with("encoder.");
    let wanted = Wanted { layout: Layout::Transformers, tensors: &encoder };
    let partial = local("sharded", &wanted).unwrap();
    assert_eq!(partial.weights, [fixtures().join("sharded/model-00001-of-00002.safetensors")]);
    let vb = partial.var_builder(DType::F32, &Device::Cpu).unwrap();
    assert!(vb.contains_tensor("encoder.dense.bias") && !vb.contains_tensor("decoder.dense.bias"));
    let index = local("sharded/model.safetensors.index.json", &wanted).unwrap();
    assert_eq!(index, partial);

    let jukebox = Layout::Named {
        files: &["vqvae.pth.tar", "prior_level_2.pth.tar"],
        state_key: Some("model"),
    };
    let openai = local("openai", &Wanted::all(jukebox)).unwrap();
    assert_eq!((openai.config.as_ref(), openai.weights.len()), (None, 2));
    assert_eq!(openai.state_key.as_deref(), Some("model"));
    let one = local("openai/vqvae.pth.tar", &Wanted::all(jukebox)).unwrap();
    assert_eq!(one.weights, [fixtures().join("openai/vqvae.pth.tar")]);
}

#[test]
fn missing_local_files_name_the_folder_and_the_files() {
    let error = local("openai", &Wanted::all(Layout::Transformers)).unwrap_err().to_string();
    assert!(error.contains("openai"), "{error}");
    for name in TRANSFORMERS_FILES {
        assert!(error.contains(name), "{error}");
    }
    let files = ["vqvae.pth.tar", "prior_level_1.pth.tar"];
    let named = Layout::Named { files: &files, state_key: None };
    let error = local("openai", &Wanted::all(named)).unwrap_err().to_string();
    assert!(error.contains("openai") && error.contains("has no prior_level_1.pth.tar"), "{error}");
    let nothing = |_: &str| false;
    let wanted = Wanted { layout: Layout::Transformers, tensors: &nothing };
    let error = local("sharded", &wanted).unwrap_err().to_string();
    assert!(error.contains("none of the 20 tensors"), "{error}");
}
