//! `prep push` against a Hub served on 127.0.0.1 (tests/hub_support): the repo is created,
//! every file arrives byte for byte (small ones inline, large ones through hf-xet's CAS
//! protocol), an unchanged folder makes no commit, an interrupted push resumes with only
//! what is missing, large folders go in commits of at most 50 files, and failures (bad
//! token, missing repo without rights, 500s) end with a message naming the repo, exit
//! status 2 (`prep::outcome`), and never the token.

mod hub_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use hub_support::{Hub, Stored, TOKEN};
use prep::hub::push::{DEFAULT_BRANCH, FILES_PER_COMMIT};

const REPO: &str = "user/music-abc";

/// Deterministic bytes (xorshift), incompressible enough to take several xet chunks.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn write(root: &Path, relative: &str, bytes: &[u8]) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("make the folder");
    std::fs::write(path, bytes).expect("write");
}

/// A dataset folder as `prep run` leaves it: card, shards of two configs, chat files per
/// split with their clips' audio inside the folder, plus what must not be pushed (resume
/// caches, a temporary file of an interrupted write, whole-piece audio no chat row refers
/// to, an unrelated file).
fn dataset(root: &Path, data_files: usize) {
    let card = "---\nconfigs:\n- config_name: clips\n  data_files:\n  - split: train\n    path: data/clips/train-*.parquet\n---\n# demo\n";
    write(root, "README.md", card.as_bytes());
    write(root, "data/clips/train-00000-of-00002.parquet", &noise(1, 3_000_000));
    write(root, "data/clips/train-00001-of-00002.parquet", &noise(2, 200_000));
    for i in 0..data_files {
        write(root, &format!("data/qa/train-{i:05}-of-{data_files:05}.parquet"), &noise(100 + i as u64, 300));
    }
    write(root, "audio/piece.wav", &noise(3, 50_000));
    write(root, "audio/clips/piece/0000.wav", &noise(4, 40_000));
    write(root, "audio/clips/piece/0001.wav", &noise(5, 40_000));
    let row = |clip: &str, question: &str| {
        format!(
            r#"{{"id":"piece/{clip}/key","clip_id":"piece/{clip}","kind":"key","audio":"audio/clips/piece/{clip}.wav","prompt":[{{"role":"user","content":"{question}"}}],"completion":[{{"role":"assistant","content":"D major"}}]}}"#
        )
    };
    write(root, "chat/train.jsonl", format!("{}\n", row("0000", "Which key?")).as_bytes());
    write(root, "chat/test.jsonl", format!("{}\n", row("0001", "Which key?")).as_bytes());
    write(root, ".prep/clips.jsonl", b"{}\n");
    write(root, "data/clips/.tmpXy12ab", b"half a shard");
    write(root, "notes.txt", b"private notes");
}

/// The files a push must put on the Hub, by repo path.
fn expected(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.expect("walk");
        let relative = entry.path().strip_prefix(root).expect("inside").to_string_lossy().replace('\\', "/");
        let hidden = relative.split('/').any(|part| part.starts_with('.'));
        if entry.file_type().is_file() && !hidden && relative != "notes.txt" && relative != "audio/piece.wav" {
            files.insert(relative, std::fs::read(entry.path()).expect("read"));
        }
    }
    files
}

/// The Hub's files at `revision` without the `.gitattributes` it starts a repo with.
fn on_hub(hub: &Hub, revision: &str) -> BTreeMap<String, Stored> {
    let mut files = hub.files(REPO, revision).expect("the revision exists");
    files.remove(".gitattributes");
    files
}

fn assert_same_bytes(hub: &Hub, revision: &str, root: &Path) {
    let hub_files = on_hub(hub, revision);
    let local = expected(root);
    assert_eq!(hub_files.keys().collect::<Vec<_>>(), local.keys().collect::<Vec<_>>());
    for (path, bytes) in &local {
        assert!(hub_files[path].bytes == *bytes, "{path} differs on the Hub");
    }
}

/// `prep push` as a user runs it, with the Hub's settings in the environment only.
fn prep_push(hub_url: &str, home: &Path, token: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_prep"));
    command
        .arg("push")
        .args(args)
        .env("HF_ENDPOINT", hub_url)
        .env("HF_HOME", home)
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .env("HF_XET_CLIENT_RETRY_MAX_ATTEMPTS", "1")
        .env("HF_XET_CLIENT_RETRY_BASE_DELAY", "10ms");
    if let Some(token) = token {
        command.env("HF_TOKEN", token);
    }
    command.output().expect("run prep")
}

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn commit_requests(hub: &Hub) -> usize {
    hub.take_seen().iter().filter(|seen| seen.method == "POST" && seen.path.contains("/commit/")).count()
}

#[test]
fn a_push_creates_the_repo_stores_every_file_and_a_second_push_sends_nothing() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 3);
    let dir = folder.path().to_str().unwrap();

    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO, "--private"]);
    let (_, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(hub.is_private(REPO), Some(true));
    assert_same_bytes(&hub, DEFAULT_BRANCH, folder.path());
    let hub_files = on_hub(&hub, DEFAULT_BRANCH);
    assert!(hub_files["data/clips/train-00000-of-00002.parquet"].lfs, "large shards go through xet");
    assert!(!hub_files["README.md"].lfs && !hub_files["chat/train.jsonl"].lfs, "text goes inline");
    assert_eq!(hub.commits().len(), 1);
    assert!(stderr.contains(&format!("created {}/datasets/{REPO}", hub.url)), "{stderr}");
    let seen = hub.take_seen();
    assert!(seen.iter().any(|s| s.path.starts_with("/v1/xorbs/")), "xorbs were uploaded");
    let hub_requests = seen.iter().filter(|s| !s.path.starts_with("/v1/") && !s.path.starts_with("/v2/"));
    assert!(hub_requests.clone().all(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));

    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO]);
    let (_, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("up to date"), "{stderr}");
    let seen = hub.take_seen();
    let writes: Vec<_> = seen.iter().filter(|s| s.method == "POST").collect();
    assert!(writes.is_empty(), "an unchanged folder sends nothing: {writes:?}");
    assert_eq!(hub.commits().len(), 1);
}

#[test]
fn only_changed_files_are_sent_and_stale_shards_chat_files_and_clips_are_removed() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 3);
    let dir = folder.path().to_str().unwrap();
    assert!(prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO]).status.success());

    // The next run writes two qa shards instead of three, and a new card.
    for i in 0..3 {
        std::fs::remove_file(folder.path().join(format!("data/qa/train-{i:05}-of-00003.parquet"))).unwrap();
    }
    for i in 0..2 {
        write(folder.path(), &format!("data/qa/train-{i:05}-of-00002.parquet"), &noise(200 + i, 300));
    }
    write(folder.path(), "README.md", b"---\n---\n# demo, second run\n");
    // ... and its test split lost the one clip it had.
    std::fs::remove_file(folder.path().join("chat/test.jsonl")).unwrap();
    std::fs::remove_file(folder.path().join("audio/clips/piece/0001.wav")).unwrap();
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO, "--message", "Second run"]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_same_bytes(&hub, DEFAULT_BRANCH, folder.path());
    let last = hub.commits().pop().expect("a commit");
    assert_eq!(last.message, "Second run");
    let mut added = last.added.clone();
    added.sort();
    assert_eq!(added, ["README.md", "data/qa/train-00000-of-00002.parquet", "data/qa/train-00001-of-00002.parquet"]);
    let mut deleted = last.deleted.clone();
    deleted.sort();
    let stale = [
        "audio/clips/piece/0001.wav",
        "chat/test.jsonl",
        "data/qa/train-00000-of-00003.parquet",
        "data/qa/train-00001-of-00003.parquet",
        "data/qa/train-00002-of-00003.parquet",
    ];
    assert_eq!(deleted, stale);
}

#[test]
fn an_interrupted_push_of_many_files_resumes_with_what_is_missing() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 110);
    let dir = folder.path().to_str().unwrap();
    // 110 + 2 shards + audio + chat + card = 115 files: three commits. The second fails.
    hub.fail("POST", "/commit/", 500, 1, usize::MAX);
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO, "--retries", "1"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    for part in [REPO, "commit 2 of 3", "500", "run the same command again"] {
        assert!(stderr.contains(part), "{part} missing from: {stderr}");
    }
    let first = hub.commits();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].added.len(), FILES_PER_COMMIT);
    assert!(!first[0].added.contains(&"README.md".to_string()), "the card goes last");

    hub.clear_faults();
    hub.take_seen();
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_same_bytes(&hub, DEFAULT_BRANCH, folder.path());
    let commits = hub.commits();
    assert_eq!(commits.len(), 3, "the resumed run needs two commits, not three");
    let resent: Vec<&String> = commits[1..].iter().flat_map(|c| &c.added).filter(|p| first[0].added.contains(p)).collect();
    assert!(resent.is_empty(), "files already on the Hub were sent again: {resent:?}");
    assert!(commits.iter().all(|c| c.added.len() + c.deleted.len() <= FILES_PER_COMMIT));
    assert_eq!(commits.last().unwrap().message, "Upload dataset with prep (part 00002-of-00002)");
    assert_eq!(commit_requests(&hub), 2);
}

#[test]
fn a_failed_xet_upload_is_reported_and_resumed() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 1);
    let dir = folder.path().to_str().unwrap();
    hub.fail("POST", "/v1/xorbs/", 500, 0, usize::MAX);
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO, "--retries", "0"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(REPO) && stderr.contains("committing"), "{stderr}");
    assert!(hub.commits().is_empty(), "nothing is committed without its data");

    hub.clear_faults();
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[dir, "--repo", REPO]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_same_bytes(&hub, DEFAULT_BRANCH, folder.path());
}

#[test]
fn a_refused_token_is_reported_clearly_and_never_printed() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 1);
    let secret = "hf_RevokedSecretToken42";
    let output = prep_push(&hub.url, home.path(), Some(secret), &[folder.path().to_str().unwrap(), "--repo", REPO]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(hub.take_seen().iter().any(|s| s.authorization.as_deref() == Some(&format!("Bearer {secret}"))));
    assert!(!stdout.contains(secret) && !stderr.contains(secret), "the token leaked: {stdout}{stderr}");
    for part in [REPO, "401", "refused the token"] {
        assert!(stderr.contains(part), "{part} missing from: {stderr}");
    }
    // Nor in any file the clients left under HF_HOME (caches, logs).
    for entry in walkdir::WalkDir::new(home.path()).into_iter().filter_map(Result::ok) {
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains(secret), "the token is in {}", entry.path().display());
        }
    }

    // The token file is read when HF_TOKEN is unset, and stays as secret.
    std::fs::write(home.path().join("token"), format!("{secret}\n")).unwrap();
    let output = prep_push(&hub.url, home.path(), None, &[folder.path().to_str().unwrap(), "--repo", REPO]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(!stdout.contains(secret) && !stderr.contains(secret), "the token leaked: {stdout}{stderr}");
    assert!(hub.take_seen().iter().all(|s| s.authorization.as_deref() == Some(&format!("Bearer {secret}"))));
}

#[test]
fn a_missing_repo_the_token_cannot_create_is_reported() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 1);
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[folder.path().to_str().unwrap(), "--repo", "someone-else/data"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for part in ["creating the missing dataset repo someone-else/data", "403", "no write access"] {
        assert!(stderr.contains(part), "{part} missing from: {stderr}");
    }
    assert!(!stderr.contains(TOKEN));

    let output = prep_push(&hub.url, home.path(), None, &[folder.path().to_str().unwrap(), "--repo", REPO]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no token was sent") && stderr.contains(REPO), "{stderr}");
}

#[test]
fn a_pull_request_takes_all_commits_and_leaves_the_branch_alone() {
    let hub = Hub::start();
    hub.create_repo(REPO, false);
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 60);
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[folder.path().to_str().unwrap(), "--repo", REPO, "--create-pr"]);
    let (_, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("pull request #1 {}/datasets/{REPO}/discussions/1", hub.url)), "{stderr}");
    assert!(on_hub(&hub, DEFAULT_BRANCH).is_empty(), "main is untouched");
    assert_same_bytes(&hub, "refs/pr/1", folder.path());
    assert!(hub.commits().iter().all(|c| c.revision == "refs/pr/1"), "one pull request for every commit");
    assert!(!stderr.contains("created"), "{stderr}");
}

#[test]
fn a_named_branch_is_created_and_pushed_to() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 1);
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[folder.path().to_str().unwrap(), "--repo", REPO, "--revision", "v2"]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_same_bytes(&hub, "v2", folder.path());
    assert!(on_hub(&hub, DEFAULT_BRANCH).is_empty());
}

#[test]
fn transient_server_errors_are_retried() {
    let hub = Hub::start();
    let (folder, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset(folder.path(), 1);
    hub.fail("POST", "/preupload/", 503, 0, 2);
    hub.fail("GET", "/tree/", 502, 0, 1);
    let output = prep_push(&hub.url, home.path(), Some(TOKEN), &[folder.path().to_str().unwrap(), "--repo", REPO, "--retries", "3"]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_same_bytes(&hub, DEFAULT_BRANCH, folder.path());
    let seen = hub.take_seen();
    assert_eq!(seen.iter().filter(|s| s.path.contains("/preupload/")).count(), 3, "two 503s, then the answer");
    assert_eq!(seen.iter().filter(|s| s.path.contains("/tree/")).count(), 2, "one 502, then the answer");
}

#[test]
fn usage_errors_and_a_folder_that_is_no_dataset_exit_with_2() {
    let home = tempfile::tempdir().unwrap();
    let output = prep_push("http://127.0.0.1:9", home.path(), Some(TOKEN), &[".", "--repo", "not-a-repo-id"]);
    assert_eq!(output.status.code(), Some(2));
    let empty = tempfile::tempdir().unwrap();
    let output = prep_push("http://127.0.0.1:9", home.path(), Some(TOKEN), &[empty.path().to_str().unwrap(), "--repo", REPO]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("not a dataset folder"));
}
