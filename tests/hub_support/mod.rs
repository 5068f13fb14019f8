//! A Hugging Face Hub on 127.0.0.1 for the push and model download tests: the endpoints
//! hf-hub 1.0 calls to create a dataset repo and commit to it, answered as the Hub answers
//! them (field names included), the xet CAS endpoints hf-xet uploads large files through,
//! and the two a model download uses (the revision's file listing, and `resolve`, HEAD and
//! GET, ranged when asked). It keeps what it receives: files sent inline in a commit, and
//! files sent through xet rebuilt from the xorbs and shards (decoded with
//! xet-core-structures), so a test compares bytes.
//!
//! Endpoints: `GET /api/datasets/O/N` (exists), `POST /api/repos/create`,
//! `GET .../revision/R`, `POST .../branch/B`, `GET .../tree/R?recursive=true`,
//! `GET .../refs?include_prs=1`, `POST .../preupload/R`, `GET .../xet-write-token/R`,
//! `POST /datasets/O/N.git/info/lfs/objects/batch`, `POST .../commit/R[?create_pr=1]`
//! (NDJSON: header, file, lfsFile, deletedFile); CAS: `POST /v1/xorbs/default/H`,
//! `POST /v1/shards`, and 404 for the optional ones (upload grants, v2 shards, global
//! dedup, telemetry), from which hf-xet falls back as it does against older servers.
//! Models ([`Hub::add_model`]): `GET /api/models/O/N/revision/R` (`sha`, `siblings`) and
//! `HEAD`/`GET /O/N/resolve/R/FILE` with `ETag` (the git blob id, or the SHA-256 of an LFS
//! file), `X-Repo-Commit`, and `206` with `Content-Range` for a `Range` request.
//! Faults: the next requests matching a method and path part get a chosen status.
// Each test binary uses a subset of the Hub (the push tests no models, the download
// tests no commits).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine;
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use xet_core_structures::metadata_shard::streaming_shard::MDBMinimalShard;
use xet_core_structures::xorb_object::{XorbObject, reconstruct_xorb_with_footer};

/// The token of the user `user`, who may create repos in `user/`.
pub const TOKEN: &str = "hf_localUserToken0123456789";
pub const USER: &str = "user";
const XET_TOKEN: &str = "xet-access-token";

/// A file as a revision holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub bytes: Vec<u8>,
    /// Sent through xet (an LFS pointer in git).
    pub lfs: bool,
}

/// A commit the Hub accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub revision: String,
    pub message: String,
    pub added: Vec<String>,
    pub deleted: Vec<String>,
}

/// One request as the Hub saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
}

#[derive(Debug, Default)]
struct Repo {
    private: bool,
    /// Branches and `refs/pr/N`, each a file tree.
    revisions: BTreeMap<String, BTreeMap<String, Stored>>,
    heads: BTreeMap<String, String>,
    pull_requests: u64,
}

struct Fault {
    method: String,
    path_part: String,
    status: u16,
    /// Matching requests let through before the fault starts.
    skip: usize,
    times: usize,
}

#[derive(Default)]
struct State {
    /// Dataset repos.
    repos: BTreeMap<String, Repo>,
    /// Model repos.
    models: BTreeMap<String, Repo>,
    xorbs: HashMap<String, Vec<u8>>,
    /// Files rebuilt from shards, by SHA-256 of their content.
    lfs: HashMap<String, Vec<u8>>,
    commits: Vec<Commit>,
    seen: Vec<Seen>,
    faults: Vec<Fault>,
    next_commit: u64,
}

pub struct Hub {
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hub {
    pub fn start() -> Hub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopped, base) = (Arc::clone(&state), Arc::clone(&stop), url.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, base) = (Arc::clone(&shared), base.clone());
                std::thread::spawn(move || serve(stream, &state, &base));
            }
        });
        Hub { url, state, stop, thread: Some(thread) }
    }

    /// The files of `repo` at `revision` (None: no such repo or revision).
    pub fn files(&self, repo: &str, revision: &str) -> Option<BTreeMap<String, Stored>> {
        let state = self.state.lock().expect("not poisoned");
        state.repos.get(repo)?.revisions.get(revision).cloned()
    }

    pub fn is_private(&self, repo: &str) -> Option<bool> {
        self.state.lock().expect("not poisoned").repos.get(repo).map(|r| r.private)
    }

    pub fn commits(&self) -> Vec<Commit> {
        self.state.lock().expect("not poisoned").commits.clone()
    }

    /// The requests so far, and forgets them.
    pub fn take_seen(&self) -> Vec<Seen> {
        std::mem::take(&mut self.state.lock().expect("not poisoned").seen)
    }

    /// The next `times` requests whose method is `method` and whose path contains
    /// `path_part`, after `skip` such requests, are answered `status`.
    pub fn fail(&self, method: &str, path_part: &str, status: u16, skip: usize, times: usize) {
        let fault = Fault { method: method.into(), path_part: path_part.into(), status, skip, times };
        self.state.lock().expect("not poisoned").faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.state.lock().expect("not poisoned").faults.clear();
    }

    /// Adds the public model repo `repo` whose `main` holds `files` (path, bytes); files
    /// the Hub would keep in LFS are marked so.
    pub fn add_model(&self, repo: &str, files: impl IntoIterator<Item = (String, Vec<u8>)>) {
        let mut state = self.state.lock().expect("not poisoned");
        let main = files
            .into_iter()
            .map(|(path, bytes)| {
                let lfs = is_lfs(&path, bytes.len() as u64, &bytes[..bytes.len().min(512)]);
                (path, Stored { bytes, lfs })
            })
            .collect();
        let mut entry = Repo::default();
        entry.revisions.insert("main".into(), main);
        state.next_commit += 1;
        entry.heads.insert("main".into(), commit_oid(state.next_commit));
        state.models.insert(repo.to_string(), entry);
    }

    /// Makes `repo` as the Hub makes one: a `main` with `.gitattributes`.
    pub fn create_repo(&self, repo: &str, private: bool) {
        create_repo(&mut self.state.lock().expect("not poisoned"), repo, private);
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

const GITATTRIBUTES: &str = "*.parquet filter=lfs diff=lfs merge=lfs -text\n*.wav filter=lfs diff=lfs merge=lfs -text\n";

fn create_repo(state: &mut State, repo: &str, private: bool) {
    let mut main = BTreeMap::new();
    main.insert(".gitattributes".to_string(), Stored { bytes: GITATTRIBUTES.as_bytes().to_vec(), lfs: false });
    let mut entry = Repo { private, ..Repo::default() };
    entry.revisions.insert("main".into(), main);
    state.next_commit += 1;
    entry.heads.insert("main".into(), commit_oid(state.next_commit));
    state.repos.insert(repo.to_string(), entry);
}

fn commit_oid(n: u64) -> String {
    format!("{n:040x}")
}

/// A request, read whole.
struct Request {
    method: String,
    path: String,
    query: String,
    authorization: Option<String>,
    /// The `Range` header's value.
    range: Option<String>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let (mut length, mut chunked, mut authorization, mut range) = (0usize, false, None, None);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().ok()?,
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "authorization" => authorization = Some(value.to_string()),
            "range" => range = Some(value.to_string()),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request { method, path: path.to_string(), query: query.to_string(), authorization, range, body })
}

struct Response {
    status: u16,
    body: Vec<u8>,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
}

fn json_response(status: u16, value: Value) -> Response {
    Response { status, body: value.to_string().into_bytes(), content_type: "application/json", headers: Vec::new() }
}

fn error(status: u16, message: &str) -> Response {
    json_response(status, json!({ "error": message }))
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, base: &str) {
    let Some(request) = read_request(&stream) else { return };
    let response = {
        let mut state = state.lock().expect("not poisoned");
        state.seen.push(Seen {
            method: request.method.clone(),
            path: request.path.clone(),
            authorization: request.authorization.clone(),
        });
        match injected_fault(&mut state, &request) {
            Some(status) => error(status, "injected fault"),
            None => route(&mut state, &request, base),
        }
    };
    let mut head = format!(
        "HTTP/1.1 {} Status\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    if request.method != "HEAD" {
        let _ = stream.write_all(&response.body);
    }
}

fn injected_fault(state: &mut State, request: &Request) -> Option<u16> {
    let fault = state
        .faults
        .iter_mut()
        .find(|f| f.method == request.method && request.path.contains(&f.path_part) && f.times > 0)?;
    if fault.skip > 0 {
        fault.skip -= 1;
        return None;
    }
    fault.times -= 1;
    Some(fault.status)
}

/// A path segment with its `%XX` escapes decoded (revisions such as `refs%2Fpr%2F1`).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Who the request's token belongs to: `Ok(None)` without a token, `Err` for a bad one.
fn caller(request: &Request) -> Result<Option<&'static str>, Response> {
    match request.authorization.as_deref() {
        None => Ok(None),
        Some(value) if value == format!("Bearer {TOKEN}") => Ok(Some(USER)),
        // A server that echoes what it was sent: prep must not print it back.
        Some(value) => Err(error(401, &format!("Invalid credentials in Authorization header ({value})"))),
    }
}

fn route(state: &mut State, request: &Request, base: &str) -> Response {
    if request.path.starts_with("/v1/") || request.path.starts_with("/v2/") {
        return cas(state, request);
    }
    let user = match caller(request) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let segments: Vec<String> = request.path.trim_start_matches('/').split('/').map(decode).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = request.method.as_str();
    match (method, segments.as_slice()) {
        ("POST", ["api", "repos", "create"]) => create(state, request, user, base),
        ("POST", ["datasets", owner, lfs_repo, "info", "lfs", "objects", "batch"]) => {
            let name = lfs_repo.trim_end_matches(".git");
            if user.is_none() {
                return error(401, "Authorization needed");
            }
            if !state.repos.contains_key(&format!("{owner}/{name}")) {
                return error(404, "Repository not found");
            }
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            json_response(200, json!({ "transfer": "xet", "objects": body["objects"], "hash_algo": "sha256" }))
        }
        ("GET", ["api", "models", owner, name, "revision", revision]) => {
            let id = format!("{owner}/{name}");
            let Some(repo) = state.models.get(&id) else { return error(404, "Repository not found") };
            match (repo.heads.get(*revision), repo.revisions.get(*revision)) {
                (Some(sha), Some(files)) => {
                    let siblings: Vec<Value> = files.keys().map(|path| json!({ "rfilename": path })).collect();
                    json_response(200, json!({ "_id": "1", "id": id, "modelId": id, "sha": sha, "private": false, "siblings": siblings }))
                }
                _ => error(404, &format!("Invalid rev id: {revision}")),
            }
        }
        ("GET" | "HEAD", [owner, name, "resolve", revision, file @ ..]) => {
            resolve(state, request, &format!("{owner}/{name}"), revision, &file.join("/"))
        }
        (_, ["api", "datasets", owner, name, rest @ ..]) => {
            let id = format!("{owner}/{name}");
            let visible = state.repos.get(&id).is_some_and(|repo| !repo.private || user == Some(*owner));
            if !visible {
                return error(404, "Repository not found");
            }
            let writes = matches!(rest, ["preupload", ..] | ["commit", ..] | ["branch", ..] | ["xet-write-token", ..]);
            if writes && user != Some(*owner) {
                return error(if user.is_none() { 401 } else { 403 }, "You don't have write access");
            }
            dataset(state, request, &id, rest, base)
        }
        _ => error(404, "Not found"),
    }
}

fn create(state: &mut State, request: &Request, user: Option<&str>, base: &str) -> Response {
    let Some(user) = user else { return error(401, "You must be authenticated to create a repo") };
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
    let owner = body["organization"].as_str().unwrap_or(user);
    let name = body["name"].as_str().unwrap_or_default();
    if body["type"] != "dataset" {
        return error(400, "only datasets here");
    }
    if owner != user {
        return error(403, &format!("You don't have the rights to create a dataset under the namespace \"{owner}\""));
    }
    let id = format!("{owner}/{name}");
    if state.repos.contains_key(&id) {
        return error(409, "You already created this dataset repo");
    }
    create_repo(state, &id, body["private"].as_bool().unwrap_or(false));
    json_response(200, json!({ "url": format!("{base}/datasets/{id}"), "name": id }))
}

fn dataset(state: &mut State, request: &Request, id: &str, rest: &[&str], base: &str) -> Response {
    let method = request.method.as_str();
    match (method, rest) {
        ("GET", []) => {
            let repo = &state.repos[id];
            let siblings: Vec<Value> =
                repo.revisions["main"].keys().map(|path| json!({ "rfilename": path })).collect();
            json_response(200, json!({ "_id": "1", "id": id, "sha": repo.heads["main"], "private": repo.private, "siblings": siblings }))
        }
        ("GET", ["revision", revision]) => match state.repos[id].heads.get(*revision) {
            Some(sha) => json_response(200, json!({ "id": id, "sha": sha })),
            None => error(404, &format!("Invalid rev id: {revision}")),
        },
        ("POST", ["branch", branch]) => {
            let repo = state.repos.get_mut(id).expect("visible");
            let files = repo.revisions["main"].clone();
            let head = repo.heads["main"].clone();
            repo.revisions.insert(branch.to_string(), files);
            repo.heads.insert(branch.to_string(), head);
            json_response(200, json!({}))
        }
        ("GET", ["tree", revision]) => match state.repos[id].revisions.get(*revision) {
            Some(files) => json_response(200, Value::Array(tree(files))),
            None => error(404, &format!("Invalid rev id: {revision}")),
        },
        ("GET", ["refs"]) => {
            let repo = &state.repos[id];
            let reference = |name: &str, git_ref: String| json!({ "name": name, "ref": git_ref, "targetCommit": repo.heads[name] });
            let branches: Vec<Value> = repo.heads.keys().filter(|n| !n.starts_with("refs/")).map(|n| reference(n, format!("refs/heads/{n}"))).collect();
            let prs: Vec<Value> = repo.heads.keys().filter(|n| n.starts_with("refs/pr/")).map(|n| reference(n, n.clone())).collect();
            let mut body = json!({ "branches": branches, "tags": [], "converts": [] });
            if request.query.contains("include_prs=1") {
                body["pullRequests"] = Value::Array(prs);
            }
            json_response(200, body)
        }
        ("POST", ["preupload", _revision]) => {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let files: Vec<Value> = body["files"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|file| {
                    let path = file["path"].as_str().unwrap_or_default();
                    let sample = base64::engine::general_purpose::STANDARD.decode(file["sample"].as_str().unwrap_or_default()).unwrap_or_default();
                    let size = file["size"].as_u64().unwrap_or_default();
                    let mode = if is_lfs(path, size, &sample) { "lfs" } else { "regular" };
                    json!({ "path": path, "uploadMode": mode, "shouldIgnore": false })
                })
                .collect();
            json_response(200, json!({ "files": files, "commitOid": state.repos[id].heads["main"] }))
        }
        ("GET", ["xet-write-token", _revision]) => json_response(
            200,
            json!({ "accessToken": XET_TOKEN, "exp": 4_102_444_800u64, "casUrl": base }),
        ),
        ("POST", ["commit", revision]) => commit(state, request, id, revision, base),
        _ => error(404, "Not found"),
    }
}

/// `/O/N/resolve/R/FILE` of a model: the file (the part a `Range: bytes=S-E` asks for,
/// with `206`), its `ETag` and the revision's commit.
fn resolve(state: &State, request: &Request, id: &str, revision: &str, file: &str) -> Response {
    let Some(repo) = state.models.get(id) else { return error(404, "Repository not found") };
    let (Some(commit), Some(files)) = (repo.heads.get(revision), repo.revisions.get(revision)) else {
        return error(404, &format!("Invalid rev id: {revision}"));
    };
    let Some(stored) = files.get(file) else { return error(404, "Entry not found") };
    let bytes = &stored.bytes;
    let etag = if stored.lfs { sha256_hex(bytes) } else { git_blob_oid(bytes) };
    let mut headers = vec![("ETag", format!("\"{etag}\"")), ("X-Repo-Commit", commit.clone())];
    let asked = request.range.as_deref().and_then(|range| range.strip_prefix("bytes=")).and_then(|range| {
        let (start, end) = range.split_once('-')?;
        let start: usize = start.parse().ok()?;
        let end = end.parse::<usize>().map_or(bytes.len(), |last| (last + 1).min(bytes.len()));
        (start < end).then_some((start, end))
    });
    let (status, body) = match asked {
        Some((start, end)) => {
            headers.push(("Content-Range", format!("bytes {start}-{}/{}", end - 1, bytes.len())));
            (206, bytes[start..end].to_vec())
        }
        None => (200, bytes.clone()),
    };
    Response { status, body, content_type: "application/octet-stream", headers }
}

/// The Hub's LFS rule: the default `.gitattributes` patterns, files over 10 MB, binary samples.
fn is_lfs(path: &str, size: u64, sample: &[u8]) -> bool {
    let lfs_extensions = [".parquet", ".arrow", ".wav", ".flac", ".mp3", ".ogg", ".npy", ".safetensors", ".bin", ".zip"];
    lfs_extensions.iter().any(|ext| path.ends_with(ext)) || size > 10_000_000 || sample.contains(&0)
}

fn git_blob_oid(bytes: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The tree as `GET /api/datasets/O/N/tree/R?recursive=true` lists it.
fn tree(files: &BTreeMap<String, Stored>) -> Vec<Value> {
    let mut folders = std::collections::BTreeSet::new();
    let mut entries = Vec::new();
    for (path, stored) in files {
        let mut parent = path.as_str();
        while let Some((folder, _)) = parent.rsplit_once('/') {
            folders.insert(folder.to_string());
            parent = folder;
        }
        let size = stored.bytes.len();
        if stored.lfs {
            let sha = sha256_hex(&stored.bytes);
            let pointer = format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {size}\n");
            entries.push(json!({
                "type": "file", "oid": git_blob_oid(pointer.as_bytes()), "size": size, "path": path,
                "lfs": { "oid": sha, "size": size, "pointerSize": pointer.len() },
                "xetHash": "0".repeat(64),
            }));
        } else {
            entries.push(json!({ "type": "file", "oid": git_blob_oid(&stored.bytes), "size": size, "path": path }));
        }
    }
    let folders = folders.into_iter().map(|path| json!({ "type": "directory", "oid": "0".repeat(40), "size": 0, "path": path }));
    folders.chain(entries).collect()
}

fn commit(state: &mut State, request: &Request, id: &str, revision: &str, base: &str) -> Response {
    let create_pr = request.query.split('&').any(|pair| pair == "create_pr=1" || pair == "create_pr=true");
    let Some(mut files) = state.repos[id].revisions.get(revision).cloned() else {
        return error(404, &format!("Invalid rev id: {revision}"));
    };
    let text = String::from_utf8_lossy(&request.body).into_owned();
    let (mut message, mut added, mut deleted) = (String::new(), Vec::new(), Vec::new());
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let Ok(entry) = serde_json::from_str::<Value>(line) else { return error(400, "commit: a line is not JSON") };
        let value = &entry["value"];
        let path = value["path"].as_str().unwrap_or_default().to_string();
        match entry["key"].as_str() {
            Some("header") => message = value["summary"].as_str().unwrap_or_default().to_string(),
            Some("file") => {
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value["content"].as_str().unwrap_or_default()) else {
                    return error(400, "commit: bad base64");
                };
                if is_lfs(&path, bytes.len() as u64, &bytes[..bytes.len().min(512)]) {
                    return error(400, &format!("Your push was rejected because it contains binary files ({path}): use xet"));
                }
                files.insert(path.clone(), Stored { bytes, lfs: false });
                added.push(path);
            }
            Some("lfsFile") => {
                let oid = value["oid"].as_str().unwrap_or_default();
                let Some(bytes) = state.lfs.get(oid) else {
                    return error(422, &format!("commit: LFS object {oid} of {path} was never uploaded"));
                };
                if value["size"].as_u64() != Some(bytes.len() as u64) {
                    return error(422, &format!("commit: size of {path} does not match its upload"));
                }
                files.insert(path.clone(), Stored { bytes: bytes.clone(), lfs: true });
                added.push(path);
            }
            Some("deletedFile") => {
                if files.remove(&path).is_none() {
                    return error(404, &format!("commit: cannot delete missing {path}"));
                }
                deleted.push(path);
            }
            _ => return error(400, "commit: unknown key"),
        }
    }
    state.next_commit += 1;
    let oid = commit_oid(state.next_commit);
    let repo = state.repos.get_mut(id).expect("visible");
    let (target, pr_url) = if create_pr {
        repo.pull_requests += 1;
        let number = repo.pull_requests;
        (format!("refs/pr/{number}"), Some(format!("{base}/datasets/{id}/discussions/{number}")))
    } else {
        (revision.to_string(), None)
    };
    repo.revisions.insert(target.clone(), files);
    repo.heads.insert(target.clone(), oid.clone());
    state.commits.push(Commit { revision: target, message: message.clone(), added, deleted });
    let mut body = json!({
        "success": true,
        "commitOid": oid,
        "commitUrl": format!("{base}/datasets/{id}/commit/{oid}"),
        "commitMessage": message,
        "commitDescription": "",
    });
    if let Some(url) = pr_url {
        body["pullRequestUrl"] = json!(url);
    }
    json_response(200, body)
}

/// The xet CAS: xorbs and shards stored, files rebuilt from them.
fn cas(state: &mut State, request: &Request) -> Response {
    if request.authorization.as_deref() != Some(&format!("Bearer {XET_TOKEN}")) {
        return error(401, "CAS: bad token");
    }
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "xorbs", _prefix, hash]) => {
            // The client sends the chunks; the CAS adds the footer and checks the hash.
            let mut stored = Vec::new();
            match reconstruct_xorb_with_footer(&mut stored, &request.body) {
                Ok((_, computed)) if computed.hex() == *hash => {}
                Ok((_, computed)) => return error(400, &format!("CAS: xorb hash is {computed}, not {hash}")),
                Err(e) => return error(400, &format!("CAS: not a xorb: {e}")),
            }
            let inserted = state.xorbs.insert(hash.to_string(), stored).is_none();
            json_response(200, json!({ "was_inserted": inserted }))
        }
        ("POST", ["v1", "shards"]) => match rebuild_files(state, &request.body) {
            Ok(()) => json_response(200, json!({ "result": 1 })),
            Err(message) => error(400, &format!("CAS: {message}")),
        },
        _ => error(404, "CAS: not offered here"),
    }
}

/// Rebuilds every file a shard describes from the xorbs it names, keyed by SHA-256. The
/// client sends the shard's sections without the footer (the CAS writes that).
fn rebuild_files(state: &mut State, shard: &[u8]) -> Result<(), String> {
    let shard = MDBMinimalShard::from_reader(&mut Cursor::new(shard), true, false).map_err(|e| format!("not a shard: {e}"))?;
    for index in 0..shard.num_files() {
        let file = shard.file(index).ok_or("a file section is missing")?;
        let mut bytes = Vec::new();
        for segment in (0..file.num_entries()).map(|i| file.entry(i)) {
            let key = segment.xorb_hash.hex();
            let xorb = state.xorbs.get(&key).ok_or_else(|| format!("xorb {key} was never uploaded"))?;
            let mut xorb_reader = Cursor::new(xorb);
            let object = XorbObject::deserialize(&mut xorb_reader).map_err(|e| format!("xorb {key}: {e}"))?;
            let part = object
                .get_bytes_by_chunk_range(&mut xorb_reader, segment.chunk_index_start, segment.chunk_index_end)
                .map_err(|e| format!("xorb {key}: {e}"))?;
            if part.len() != segment.unpacked_segment_bytes as usize {
                return Err(format!("xorb {key}: segment length mismatch"));
            }
            bytes.extend_from_slice(&part);
        }
        state.lfs.insert(sha256_hex(&bytes), bytes);
    }
    Ok(())
}
