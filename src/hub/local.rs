//! What of a dataset folder goes to the Hub, and the content hashes the Hub's tree is
//! compared with.
//!
//! Pushed: the card `README.md`, every file under `data/` (the Parquet shards its configs
//! name), the chat export `chat/<split>.jsonl` when present, and the audio files its rows'
//! `audio` column refers to (`audio/clips/<clip id>.wav`) when they lie inside the folder.
//! Never pushed: `.prep/` (resume caches), hidden files (the temporary names of an
//! interrupted atomic write), and anything else in the folder. Audio a chat row refers to
//! outside the folder cannot be pushed under the same reference; it is reported, not
//! uploaded.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::qa::chat::{CHAT_DIR, CLIP_AUDIO_DIR};

/// The card, which the Hub and `datasets` read the configs from.
pub const CARD: &str = "README.md";
/// The folder of the Parquet shards.
pub const DATA: &str = "data";
/// The folders a push mirrors: their remote files with no local counterpart are deleted.
pub const MIRRORED: [&str; 3] = [DATA, CHAT_DIR, CLIP_AUDIO_DIR];

/// One local file to be pushed, with the hashes that identify its content on the Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Its path in the repo: relative to the dataset folder, `/`-separated.
    pub repo_path: String,
    pub path: PathBuf,
    pub size: u64,
    pub hashes: ContentHashes,
}

/// The two object ids the Hub's tree may list for a file's content: the git blob id of the
/// bytes (a regular file) or of the LFS pointer that stands for them (an LFS or xet file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHashes {
    /// SHA-256 of the content, hex (the LFS oid).
    pub sha256: String,
    /// Git blob SHA-1 of the content, hex.
    pub blob_oid: String,
    /// Git blob SHA-1 of the content's LFS pointer, hex.
    pub pointer_oid: String,
}

impl ContentHashes {
    /// Hashes `reader`'s bytes (`size` of them) in one pass.
    pub fn of_reader(mut reader: impl Read, size: u64) -> std::io::Result<ContentHashes> {
        let mut sha256 = Sha256::new();
        let mut blob = Sha1::new();
        blob.update(format!("blob {size}\0").as_bytes());
        let mut buffer = vec![0u8; 1 << 20];
        let mut seen = 0u64;
        loop {
            let n = reader.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            sha256.update(&buffer[..n]);
            blob.update(&buffer[..n]);
            seen += n as u64;
        }
        if seen != size {
            let message = format!("read {seen} bytes where {size} were expected (file changed while read?)");
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, message));
        }
        let sha256 = hex(&sha256.finalize());
        let pointer = lfs_pointer(&sha256, size);
        let mut pointer_blob = Sha1::new();
        pointer_blob.update(format!("blob {}\0", pointer.len()).as_bytes());
        pointer_blob.update(pointer.as_bytes());
        Ok(ContentHashes { sha256, blob_oid: hex(&blob.finalize()), pointer_oid: hex(&pointer_blob.finalize()) })
    }

    /// Whether a tree entry with object id `oid` holds this content.
    pub fn matches(&self, oid: &str) -> bool {
        oid.eq_ignore_ascii_case(&self.blob_oid) || oid.eq_ignore_ascii_case(&self.pointer_oid)
    }
}

/// The pointer git-lfs stores in place of a file (git-lfs spec v1).
pub fn lfs_pointer(sha256: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The files of a dataset folder that a push sends, and what it left out and why.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Sorted by repo path.
    pub files: Vec<LocalFile>,
    /// Audio that a chat file refers to outside the folder (not pushed).
    pub outside_audio: Vec<String>,
}

/// Selects and hashes the files of `dataset` that a push sends.
pub fn select(dataset: &Path) -> Result<Selection> {
    if !dataset.join(CARD).is_file() || !dataset.join(DATA).is_dir() {
        bail!(
            "{} is not a dataset folder: it needs {CARD} and {DATA}/ (`prep run` or `prep shards` write them)",
            dataset.display()
        );
    }
    let mut paths = BTreeSet::from([PathBuf::from(CARD)]);
    paths.extend(files_under(dataset, DATA)?);
    let chat_files: Vec<PathBuf> =
        files_under(dataset, CHAT_DIR)?.into_iter().filter(|path| path.extension().is_some_and(|e| e == "jsonl")).collect();
    let mut outside_audio = Vec::new();
    for chat in chat_files {
        for reference in chat_audio(&dataset.join(&chat))? {
            match inside(dataset, &reference) {
                Some(relative) if dataset.join(&relative).is_file() && !is_hidden(&relative) => {
                    paths.insert(relative);
                }
                _ => outside_audio.push(reference),
            }
        }
        paths.insert(chat);
    }
    outside_audio.sort();
    outside_audio.dedup();
    let files = paths.iter().map(|relative| local_file(dataset, relative)).collect::<Result<_>>()?;
    Ok(Selection { files, outside_audio })
}

/// The files under `dataset/folder` (links followed), relative to `dataset`, hidden ones
/// left out; none when the folder does not exist.
fn files_under(dataset: &Path, folder: &str) -> Result<Vec<PathBuf>> {
    let root = dataset.join(folder);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in WalkDir::new(&root).follow_links(true) {
        let entry = entry.with_context(|| format!("listing {}", root.display()))?;
        let relative = entry.path().strip_prefix(dataset).unwrap_or(entry.path());
        if entry.file_type().is_file() && !is_hidden(relative) {
            files.push(relative.to_path_buf());
        }
    }
    Ok(files)
}

fn local_file(dataset: &Path, relative: &Path) -> Result<LocalFile> {
    let path = dataset.join(relative);
    let repo_path = repo_path(relative)?;
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().with_context(|| format!("reading the size of {}", path.display()))?.len();
    let hashes = ContentHashes::of_reader(BufReader::new(file), size)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(LocalFile { repo_path, path, size, hashes })
}

/// `relative` as a repo path: `/`-separated UTF-8.
fn repo_path(relative: &Path) -> Result<String> {
    let parts = relative
        .components()
        .map(|part| match part {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect::<Option<Vec<&str>>>();
    match parts {
        Some(parts) => Ok(parts.join("/")),
        None => bail!("{} cannot be a path on the Hub (not plain UTF-8 names)", relative.display()),
    }
}

/// A name starting with a dot somewhere in the path: caches, and the temporary files of
/// writes that were interrupted (`output::write_atomically` writes `.tmpXXXX` files).
fn is_hidden(relative: &Path) -> bool {
    relative.components().any(|part| part.as_os_str().to_string_lossy().starts_with('.'))
}

/// `reference` (a chat row's audio path) as a path relative to `dataset`, when it lies inside.
fn inside(dataset: &Path, reference: &str) -> Option<PathBuf> {
    let path = Path::new(reference);
    let relative = if path.is_absolute() {
        let dataset = dataset.canonicalize().ok()?;
        path.canonicalize().ok()?.strip_prefix(dataset).ok()?.to_path_buf()
    } else {
        path.to_path_buf()
    };
    relative.components().all(|part| matches!(part, Component::Normal(_))).then_some(relative)
}

/// The audio paths a chat file's rows refer to (their `audio` column), in order of first
/// appearance. URLs are not files and are skipped.
fn chat_audio(chat: &Path) -> Result<Vec<String>> {
    let file = File::open(chat).with_context(|| format!("opening {}", chat.display()))?;
    let mut seen = BTreeSet::new();
    let mut references = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", chat.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not JSON", chat.display(), number + 1))?;
        if let Some(path) = record.get("audio").and_then(|audio| audio.as_str())
            && !path.contains("://")
            && seen.insert(path.to_string())
        {
            references.push(path.to_string());
        }
    }
    Ok(references)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_git_and_git_lfs() {
        // `printf 'hello\n' | git hash-object --stdin`, and sha256sum.
        let hashes = ContentHashes::of_reader(&b"hello\n"[..], 6).expect("hashed");
        assert_eq!(hashes.blob_oid, "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(hashes.sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        // `git lfs pointer --file=hello` piped to `git hash-object --stdin`.
        let pointer = lfs_pointer(&hashes.sha256, 6);
        let expected = ContentHashes::of_reader(pointer.as_bytes(), pointer.len() as u64).expect("hashed");
        assert_eq!(hashes.pointer_oid, expected.blob_oid);
        assert!(hashes.matches(&hashes.pointer_oid.to_uppercase()));
        assert!(!hashes.matches(&hashes.sha256));
    }

    #[test]
    fn a_short_read_is_an_error() {
        assert!(ContentHashes::of_reader(&b"abc"[..], 4).is_err());
    }

    #[test]
    fn selection_takes_card_data_chat_and_its_audio_inside_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let write = |relative: &str, bytes: &[u8]| {
            let path = root.join(relative);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
            std::fs::write(path, bytes).expect("write");
        };
        write("README.md", b"---\n---\n");
        write("data/clips/train-00000-of-00001.parquet", b"PAR1");
        write("data/clips/.tmpA1b2", b"half");
        write(".prep/manifest.json", b"{}");
        write("notes.txt", b"private");
        write("audio/clips/a/0000.wav", b"RIFF");
        write("audio/clips/a/0001.wav", b"RIFF");
        write("audio/clips/unreferenced.wav", b"RIFF");
        let row = |audio: &str| format!(r#"{{"id":"x","audio":"{audio}","prompt":[],"completion":[]}}"#);
        let train = [row("audio/clips/a/0000.wav"), row("/elsewhere/b.wav"), row("audio/clips/a/0000.wav")];
        write("chat/train.jsonl", train.join("\n").as_bytes());
        write("chat/test.jsonl", [row("audio/clips/a/0001.wav"), row("../c.wav")].join("\n").as_bytes());
        write("chat/.test.jsonl.prep-tmp-Ab12", b"half");
        let selection = select(root).expect("selected");
        let paths: Vec<&str> = selection.files.iter().map(|f| f.repo_path.as_str()).collect();
        let expected = [
            "README.md",
            "audio/clips/a/0000.wav",
            "audio/clips/a/0001.wav",
            "chat/test.jsonl",
            "chat/train.jsonl",
            "data/clips/train-00000-of-00001.parquet",
        ];
        assert_eq!(paths, expected);
        assert_eq!(selection.outside_audio, ["../c.wav", "/elsewhere/b.wav"]);
        assert_eq!(selection.files[0].size, 8);
    }

    #[test]
    fn a_folder_without_card_or_data_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = select(dir.path()).unwrap_err().to_string();
        assert!(error.contains("not a dataset folder") && error.contains("README.md"), "{error}");
    }
}
