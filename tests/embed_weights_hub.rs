//! Model files from a Hub repo served on 127.0.0.1 (the files of
//! tests/fixtures/weights/sharded/ as `fixture/tiny`): only the shards holding needed
//! tensors are downloaded, a second run is served by the cache, and offline mode never
//! touches the network. Each test has its own server and cache, and passes its settings
//! explicitly, so the tests run in parallel.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use candle_core::{DType, Device};
use prep::embed::weights::{HubSettings, Layout, ModelFiles, Source, Wanted, locate};
use serde_json::json;

const REPO: &str = "fixture/tiny";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const TOKEN: &str = "hf_test_token";
const SHARD_1: &str = "model-00001-of-00002.safetensors";
const SHARD_2: &str = "model-00002-of-00002.safetensors";

fn repo_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/weights/sharded")
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    path: String,
    authorization: Option<String>,
}

/// A Hub serving the files of `repo_folder()` as `fixture/tiny` at `main`: the file listing
/// (`/api/models/...`) and downloads (`/fixture/tiny/resolve/main/FILE`, HEAD and GET, ranged
/// when asked) with the headers hf-hub reads (etag, x-repo-commit, Content-Range).
struct Hub {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hub {
    fn start() -> Hub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                answer(stream.expect("a connection"), &log);
            }
        });
        Hub { url, seen, stop, thread: Some(thread) }
    }

    /// The paths requested so far, and forgets them.
    fn take(&self) -> Vec<String> {
        let mut seen = self.seen.lock().expect("not poisoned");
        let bearer = format!("Bearer {TOKEN}");
        assert!(seen.iter().all(|s| s.authorization.as_deref() == Some(bearer.as_str())));
        seen.drain(..).map(|s| s.path).collect()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(mut stream: TcpStream, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut request_line = String::new();
    reader.read_line(&mut request_line).expect("request line");
    let method = request_line.split_whitespace().next().unwrap_or_default().to_string();
    let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
    let (mut range, mut authorization) = (None, None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("header line") == 0 || line == "\r\n" {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        match name.to_ascii_lowercase().as_str() {
            "range" => range = Some(value.trim().to_string()),
            "authorization" => authorization = Some(value.trim().to_string()),
            _ => {}
        }
    }
    log.lock().expect("not poisoned").push(Seen { path: path.clone(), authorization });
    let response = respond(&path, range.as_deref());
    // A HEAD answer is the GET answer's head, without its body.
    let end_of_head = response.windows(4).position(|w| w == b"\r\n\r\n").map_or(response.len(), |i| i + 4);
    let response = if method == "HEAD" { &response[..end_of_head] } else { &response[..] };
    let _ = stream.write_all(response);
}

fn respond(path: &str, range: Option<&str>) -> Vec<u8> {
    if path == format!("/api/models/{REPO}/revision/main") {
        let mut names: Vec<String> = std::fs::read_dir(repo_folder())
            .expect("fixture folder")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let siblings: Vec<_> = names.iter().map(|name| json!({"rfilename": name})).collect();
        let body = json!({"id": REPO, "sha": COMMIT, "siblings": siblings}).to_string();
        return http(200, &[("Content-Type", "application/json".into())], body.as_bytes());
    }
    let file = path.strip_prefix(&format!("/{REPO}/resolve/main/")).map(|f| repo_folder().join(f));
    let Some(Ok(bytes)) = file.map(std::fs::read) else { return http(404, &[], b"not found") };
    let start: usize = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split('-').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let end = match range.and_then(|r| r.split('-').nth(1)).and_then(|e| e.parse::<usize>().ok()) {
        Some(last) => usize::min(last + 1, bytes.len()),
        None => bytes.len(),
    };
    let headers = [
        ("ETag", format!("\"{}\"", blake3::hash(&bytes).to_hex())),
        ("X-Repo-Commit", COMMIT.to_string()),
        ("Content-Range", format!("bytes {start}-{}/{}", end - 1, bytes.len())),
    ];
    http(206, &headers, &bytes[start..end])
}

fn http(status: u16, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} Status\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    [head.as_bytes(), body].concat()
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
    let hub = Hub::start();
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
    assert_eq!(hub.take(), expected);
    let vb = files.var_builder(DType::F32, &Device::Cpu).expect("var builder");
    let bias = vb.get(3, "encoder.dense.bias").unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(bias, [1.0e-8, -3.25, 65504.0]);

    assert_eq!(encoder_only(&online).expect("located again"), files);
    assert_eq!(hub.take(), Vec::<String>::new(), "the second run is served by the cache");

    let everything = locate(&tiny(), &Wanted::all(Layout::Transformers), &online).expect("all");
    assert_eq!(everything.weights.len(), 2);
    assert_eq!(hub.take(), download(SHARD_2), "only the shard not yet cached");
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

    let hub = Hub::start();
    let warm = encoder_only(&settings(&hub.url, cache.path(), false)).expect("downloaded");
    drop(hub);
    assert_eq!(encoder_only(&offline).expect("from the cache"), warm);
    let error = locate(&tiny(), &Wanted::all(Layout::Transformers), &offline).unwrap_err();
    assert!(error.to_string().contains(SHARD_2), "{error}");
}

#[test]
fn a_repo_without_the_files_says_what_it_lacks() {
    let hub = Hub::start();
    let cache = tempfile::tempdir().expect("temp dir");
    let named = Layout::Named { files: &["vqvae.pth.tar"], state_key: Some("model") };
    let error = locate(&tiny(), &Wanted::all(named), &settings(&hub.url, cache.path(), false))
        .unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("vqvae.pth.tar"), "{message}");
    assert!(message.contains("fixture/tiny@main"), "{message}");
}
