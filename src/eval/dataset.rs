//! Loading evaluation clips: the true ABC of each clip, its split, and optionally its
//! audio and the question to ask about it.
//!
//! Three layouts are read, behind the [`Dataset`] enum:
//! - a dataset folder written by `prep run` or `prep shards` (it has `data/clips/`): the
//!   Parquet shards of the split asked for, audio as WAV bytes, the question from the
//!   clip's `transcription` Q&A pair (see `parquet_clips`);
//! - a folder of `.abc` files: the clip id is the path relative to the folder without
//!   its extension; the split is the first folder component when it is `train`,
//!   `validation` or `test`, else `test`; audio is the file with the same stem and a
//!   `.wav`, `.flac`, `.mp3` or `.ogg` extension, when there is one;
//! - a JSON-lines file of `{"id", "abc", "split"?, "audio"?, "question"?}`, audio paths
//!   relative to the file's folder.
//!
//! Only the clips of one split are returned; clips come back sorted by id, so everything downstream is independent of the order
//! the file system lists them in.

use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::eval::parquet_clips;
use crate::jsonl;

/// The splits a folder layout recognises as its first path component.
pub const SPLITS: [&str; 3] = ["train", "validation", "test"];

/// Extensions of the audio files looked for next to an `.abc` file, in this order.
pub const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "flac", "mp3", "ogg"];

/// One evaluation clip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    pub id: String,
    pub split: String,
    /// The true ABC.
    pub abc: String,
    /// The clip's audio, when the dataset has one.
    pub audio: Option<Audio>,
    /// The question to ask the model; `None` means the default transcription prompt.
    pub question: Option<String>,
}

/// A clip's audio: a file, or bytes read from a dataset's shards.
#[derive(Clone, PartialEq, Eq)]
pub enum Audio {
    /// A file; its extension names the format.
    File(PathBuf),
    /// A WAV file's bytes.
    Wav(Vec<u8>),
}

impl Audio {
    /// The audio's bytes and format: `wav`, or the file's extension in lower case.
    pub fn read(&self) -> Result<(Cow<'_, [u8]>, String)> {
        match self {
            Audio::File(path) => {
                let bytes = fs::read(path).with_context(|| format!("reading audio {}", path.display()))?;
                let format = path.extension().and_then(|e| e.to_str()).unwrap_or("wav").to_ascii_lowercase();
                Ok((Cow::Owned(bytes), format))
            }
            Audio::Wav(bytes) => Ok((Cow::Borrowed(bytes), "wav".to_string())),
        }
    }
}

/// Names the file or counts the bytes, rather than printing megabytes of samples.
impl fmt::Debug for Audio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audio::File(path) => f.debug_tuple("File").field(path).finish(),
            Audio::Wav(bytes) => write!(f, "Wav({} bytes)", bytes.len()),
        }
    }
}

/// Where clips come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dataset {
    /// A dataset folder written by prep: Parquet shards under `data/clips/` (and `data/qa/`).
    Parquet(PathBuf),
    /// A folder of `.abc` files (and audio beside them).
    AbcFolder(PathBuf),
    /// A JSON-lines file of clips.
    Jsonl(PathBuf),
}

impl Dataset {
    /// The layout of `path`: a dataset folder written by prep, another folder, or a
    /// `.jsonl` file.
    pub fn open(path: &Path) -> Result<Self> {
        if parquet_clips::is_dataset_folder(path) {
            Ok(Dataset::Parquet(path.to_path_buf()))
        } else if path.is_dir() {
            Ok(Dataset::AbcFolder(path.to_path_buf()))
        } else if path.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
            Ok(Dataset::Jsonl(path.to_path_buf()))
        } else if path.exists() {
            bail!("{}: expected a folder of .abc files or a .jsonl file of clips", path.display())
        } else {
            bail!("{}: no such file or folder", path.display())
        }
    }

    /// The clips of `split`, sorted by id. Ids must be unique.
    pub fn load(&self, split: &str) -> Result<Vec<Clip>> {
        let mut clips = match self {
            Dataset::Parquet(root) => parquet_clips::load(root, split)?,
            Dataset::AbcFolder(root) => load_folder(root)?,
            Dataset::Jsonl(path) => load_jsonl(path)?,
        };
        clips.retain(|clip| clip.split == split);
        clips.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = clips.windows(2).find(|pair| pair[0].id == pair[1].id) {
            bail!("clip id {:?} appears twice in {}", pair[0].id, self.path().display());
        }
        Ok(clips)
    }

    /// The splits that have clips, sorted (to tell the user what there is).
    pub fn splits(&self) -> Result<Vec<String>> {
        let mut splits = match self {
            Dataset::Parquet(root) => parquet_clips::splits(root)?,
            Dataset::AbcFolder(root) => load_folder(root)?.into_iter().map(|clip| clip.split).collect(),
            Dataset::Jsonl(path) => load_jsonl(path)?.into_iter().map(|clip| clip.split).collect(),
        };
        splits.sort_unstable();
        splits.dedup();
        Ok(splits)
    }

    fn path(&self) -> &Path {
        match self {
            Dataset::Parquet(path) | Dataset::AbcFolder(path) | Dataset::Jsonl(path) => path,
        }
    }
}

fn load_folder(root: &Path) -> Result<Vec<Clip>> {
    let mut clips = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        let entry = entry.with_context(|| format!("listing {}", root.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "abc") {
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(path).with_extension("");
        let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let split = match parts.first() {
            Some(first) if parts.len() > 1 && SPLITS.contains(&first.as_str()) => first.clone(),
            _ => "test".to_string(),
        };
        let abc = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let audio = AUDIO_EXTENSIONS.iter().map(|ext| path.with_extension(ext)).find(|p| p.is_file()).map(Audio::File);
        clips.push(Clip { id: parts.join("/"), split, abc, audio, question: None });
    }
    Ok(clips)
}

/// A line of the JSON-lines layout; other fields (answers of other questions, metadata)
/// are ignored.
#[derive(Deserialize)]
struct JsonlClip {
    id: String,
    abc: String,
    #[serde(default)]
    split: Option<String>,
    #[serde(default)]
    audio: Option<PathBuf>,
    #[serde(default)]
    question: Option<String>,
}

fn load_jsonl(path: &Path) -> Result<Vec<Clip>> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut clips = Vec::new();
    for (line, clip) in jsonl::numbered::<JsonlClip>(path)? {
        let clip = clip.with_context(|| {
            format!(
                "{} line {line}: expected {{\"id\", \"abc\", \"split\"?, \"audio\"?, \"question\"?}}",
                path.display()
            )
        })?;
        clips.push(Clip {
            id: clip.id,
            split: clip.split.unwrap_or_else(|| "test".to_string()),
            abc: clip.abc,
            audio: clip.audio.map(|audio| Audio::File(folder.join(audio))),
            question: clip.question,
        });
    }
    Ok(clips)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_layout_gives_ids_splits_and_audio() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for (path, text) in [("test/b.abc", "X:1\nK:C\nC|"), ("train/a.abc", "X:2"), ("loose/c.abc", "X:3")] {
            fs::create_dir_all(root.join(path).parent().expect("parent")).expect("mkdir");
            fs::write(root.join(path), text).expect("write");
        }
        fs::write(root.join("test/b.flac"), b"fLaC").expect("write audio");
        fs::write(root.join("notes.txt"), "ignored").expect("write");
        let dataset = Dataset::open(root).expect("a folder");
        let clips = dataset.load("test").expect("loads");
        let summary: Vec<(&str, &str, bool)> =
            clips.iter().map(|c| (c.id.as_str(), c.split.as_str(), c.audio.is_some())).collect();
        assert_eq!(summary, [("loose/c", "test", false), ("test/b", "test", true)]);
        assert_eq!(clips[1].abc, "X:1\nK:C\nC|");
        assert_eq!(clips[1].audio, Some(Audio::File(root.join("test/b.flac"))));
        let train: Vec<String> = dataset.load("train").expect("loads").into_iter().map(|c| c.id).collect();
        assert_eq!(train, ["train/a"]);
        assert_eq!(dataset.splits().expect("lists"), ["test", "train"]);
    }

    #[test]
    fn jsonl_layout_resolves_audio_and_rejects_duplicates() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("clips.jsonl");
        let lines = "{\"id\": \"z\", \"abc\": \"X:1\", \"audio\": \"z.wav\", \"question\": \"Q?\"}\n\n\
                     {\"id\": \"y\", \"abc\": \"X:2\", \"split\": \"validation\"}\n";
        fs::write(&path, lines).expect("write");
        let dataset = Dataset::open(&path).expect("a jsonl file");
        assert_eq!(dataset.splits().expect("lists"), ["test", "validation"]);
        let validation = dataset.load("validation").expect("loads");
        assert_eq!((validation[0].id.as_str(), validation.len()), ("y", 1));
        let test = dataset.load("test").expect("loads");
        assert_eq!(test[0].audio, Some(Audio::File(dir.path().join("z.wav"))));
        assert_eq!(test[0].question.as_deref(), Some("Q?"));

        fs::write(&path, "{\"id\": \"z\", \"abc\": \"\"}\n{\"id\": \"z\", \"abc\": \"\"}\n").expect("write");
        let err = Dataset::open(&path).expect("a jsonl file").load("test").expect_err("duplicate id");
        assert!(err.to_string().starts_with("clip id \"z\" appears twice"), "{err}");
        fs::write(&path, "{\"id\": 3}\n").expect("write");
        let err = Dataset::open(&path).expect("a jsonl file").load("test").expect_err("bad line");
        assert!(format!("{err:#}").contains("clips.jsonl line 1: expected"), "{err:#}");
    }
}
