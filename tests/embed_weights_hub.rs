//! Model files from a Hub repo served on 127.0.0.1 by tests/hub_support (the files of
//! tests/fixtures/weights/sharded/ as the model `fixture/tiny`): only the shards holding
//! needed tensors are downloaded, a second run is served by the cache, and offline mode
//! never touches the network. Each test has its own server and cache, and passes its
//! settings explicitly, so the tests run in parallel.

mod hub_support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use hub_support::{Hub, TOKEN};
use prep::embed::weights::{HubSettings, Layout, ModelFiles, Source, Wanted, locate};

const REPO: &str = "fixture/tiny";
const SHARD_1: &str = "model-00001-of-00002.safetensors";
const SHARD_2: &str = "model-00002-of-00002.safetensors";

fn repo_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/weights/sharded")
}

/// A Hub serving the files of `repo_folder()` as the model `fixture/tiny`.
fn hub() -> Hub {
    let hub = Hub::start();
    let files = std::fs::read_dir(repo_folder()).expect("fixture folder").map(|entry| {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("a name").to_string_lossy().into_owned();
        (name, std::fs::read(&path).expect("read the fixture"))
    });
    hub.add_model(REPO, files);
    hub
}

/// The paths requested so far (every one with the token), and forgets them.
fn take(hub: &Hub) -> Vec<String> {
    let seen = hub.take_seen();
    let bearer = format!("Bearer {TOKEN}");
    assert!(seen.iter().all(|s| s.authorization.as_deref() == Some(bearer.as_str())), "{seen:?}");
    seen.into_iter().map(|s| s.path).collect()
}

fn settings(endpoint: &str, cache: &Path, offline: bool) -> HubSettings {
    HubSettings {
        endpoint: endpoint.to_string(),
        cache_dir: cache.to_path_buf(),
        token: Some(TOKEN.to_string()),
        offline,
        progress: false,
    }
}

fn tiny() -> Source {
    Source::parse(REPO).expect("a repo id")
}

fn encoder_only(settings: &HubSettings) -> anyhow::Result<ModelFiles> {
    let encoder = |name: &str| name.starts_with("encoder.");
    locate(&tiny(), &Wanted { layout: Layout::Transformers, tensors: &encoder }, settings)
}

/// A port nobody listens on.
fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    format!("http://{}", listener.local_addr().expect("local address"))
}

fn download(file: &str) -> Vec<String> {
    let url = format!("/{REPO}/resolve/main/{file}");
    // hf-hub asks for the headers (HEAD: size, etag, commit), then for the file.
    vec![url.clone(), url]
}

#[test]
fn only_the_needed_shard_is_downloaded_and_a_second_run_uses_the_cache() {
    let hub = hub();
    let cache = tempfile::tempdir().expect("temp dir");
    let online = settings(&hub.url, cache.path(), false);

    let files = encoder_only(&online).expect("located");
    assert_eq!(files.weights.len(), 1);
    assert!(files.weights[0].ends_with(SHARD_1), "{:?}", files.weights);
    assert!(files.weights[0].starts_with(cache.path()));
    let config = files.config.as_ref().expect("a config");
    let served = std::fs::read(repo_folder().join("config.json")).unwrap();
    assert_eq!(std::fs::read(config).unwrap(), served);
    let listing = format!("/api/models/{REPO}/revision/main");
    let expected: Vec<String> = [vec![listing], download("model.safetensors.index.json")]
        .into_iter()
        .chain([download(SHARD_1), download("config.json")])
        .flatten()
        .collect();
    assert_eq!(take(&hub), expected);
    let vb = files.var_builder(DType::F32, &Device::Cpu).expect("var builder");
    let bias = vb.get(3, "encoder.dense.bias").unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(bias, [1.0e-8, -3.25, 65504.0]);

    assert_eq!(encoder_only(&online).expect("located again"), files);
    assert_eq!(take(&hub), Vec::<String>::new(), "the second run is served by the cache");

    let everything = locate(&tiny(), &Wanted::all(Layout::Transformers), &online).expect("all");
    assert_eq!(everything.weights.len(), 2);
    assert_eq!(take(&hub), download(SHARD_2), "only the shard not yet cached");
}

#[test]
fn offline_mode_reads_the_cache_and_never_the_network() {
    let cache = tempfile::tempdir().expect("temp dir");
    let offline = settings(&dead_endpoint(), cache.path(), true);
    let error = encoder_only(&offline).unwrap_err().to_string();
    let parts = [
        "model.safetensors.index.json",
        "fixture/tiny@main",
        "not in the Hugging Face cache",
        "HF_HUB_OFFLINE",
        "hf download",
    ];
    for part in parts {
        assert!(error.contains(part), "{error}");
    }

    let hub = hub();
    let warm = encoder_only(&settings(&hub.url, cache.path(), false)).expect("downloaded");
    drop(hub);
    assert_eq!(encoder_only(&offline).expect("from the cache"), warm);
    let error = locate(&tiny(), &Wanted::all(Layout::Transformers), &offline).unwrap_err();
    assert!(error.to_string().contains(SHARD_2), "{error}");
}

#[test]
fn a_repo_without_the_files_says_what_it_lacks() {
    let hub = hub();
    let cache = tempfile::tempdir().expect("temp dir");
    let named = Layout::Named { files: &["vqvae.pth.tar"], state_key: Some("model") };
    let error = locate(&tiny(), &Wanted::all(named), &settings(&hub.url, cache.path(), false))
        .unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("vqvae.pth.tar"), "{message}");
    assert!(message.contains("fixture/tiny@main"), "{message}");
}
