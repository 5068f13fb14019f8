//! Loading evaluation clips: the true ABC of each clip, its split, and optionally its
//! audio and the question to ask about it.
//!
//! Inputs are told apart by `crate::inputs` and read by its rules, as `prep qa` reads
//! them, with one addition and one default:
//! - a dataset folder with Parquet shards (`data/clips/`, written by `prep run` or
//!   `prep shards`) is read from its shards: audio as WAV bytes, the question from the
//!   clip's `transcription` Q&A pair (see `parquet_clips`);
//! - a folder of `.abc` files or a clips JSONL: clips that state no split are `test`
//!   clips (what an evaluation reads by default).
//!
//! Evaluation is strict where `prep qa` is lenient: an input line or file that cannot be
//! read, or two clips with one id, is an error, since scoring part of a dataset would
//! not be comparable with scoring all of it. Only the clips of one split are returned,
//! sorted by id, so everything downstream is independent of the order the file system
//! lists them in.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::parquet_clips;
use crate::datasets::{Problem, Split};
use crate::inputs::{self, AbcClip, Input};

/// The split of clips that state none.
const DEFAULT_SPLIT: Split = Split::Test;

/// Where clips come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dataset {
    /// A dataset folder written by prep: Parquet shards under `data/clips/` (and `data/qa/`).
    Parquet(PathBuf),
    /// Any other input `crate::inputs` reads clips from.
    Clips(Input),
}

impl Dataset {
    /// The layout of `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if parquet_clips::is_dataset_folder(path) {
            return Ok(Dataset::Parquet(path.to_path_buf()));
        }
        Ok(Dataset::Clips(Input::detect(path)?))
    }

    /// The clips of `split`, sorted by id. Ids must be unique.
    pub fn load(&self, split: Split) -> Result<Vec<AbcClip>> {
        let mut clips = self.all(Some(split))?;
        clips.retain(|clip| clip.split == split);
        clips.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = clips.windows(2).find(|pair| pair[0].id == pair[1].id) {
            bail!("clip id {:?} appears twice in {}", pair[0].id, self.path().display());
        }
        Ok(clips)
    }

    /// The splits that have clips, sorted (to tell the user what there is).
    pub fn splits(&self) -> Result<Vec<Split>> {
        let mut splits = match self {
            Dataset::Parquet(root) => parquet_clips::splits(root)?,
            Dataset::Clips(_) => self.all(None)?.into_iter().map(|clip| clip.split).collect(),
        };
        splits.sort_unstable();
        splits.dedup();
        Ok(splits)
    }

    /// Every clip (of `split` only, where the layout can choose).
    fn all(&self, split: Option<Split>) -> Result<Vec<AbcClip>> {
        match (self, split) {
            (Dataset::Parquet(root), Some(split)) => parquet_clips::load(root, split),
            (Dataset::Parquet(root), None) => {
                let mut clips = Vec::new();
                for split in parquet_clips::splits(root)? {
                    clips.extend(parquet_clips::load(root, split)?);
                }
                Ok(clips)
            }
            (Dataset::Clips(input), _) => {
                let (clips, problems) = inputs::load_abc_clips(input, DEFAULT_SPLIT)?;
                refuse(&problems)?;
                Ok(clips)
            }
        }
    }

    fn path(&self) -> &Path {
        match self {
            Dataset::Parquet(path)
            | Dataset::Clips(Input::Dataset(path) | Input::ClipsJsonl(path) | Input::File(path, _) | Input::Folder(path)) => {
                path
            }
        }
    }
}

/// An error listing the problems, if there are any.
fn refuse(problems: &[Problem]) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    bail!("{} clips cannot be read:\n  {}", problems.len(), listed.join("\n  "))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::inputs::Audio;

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
        let clips = dataset.load(Split::Test).expect("loads");
        let summary: Vec<(&str, Split, bool)> =
            clips.iter().map(|c| (c.id.as_str(), c.split, c.audio.is_some())).collect();
        assert_eq!(summary, [("loose/c", Split::Test, false), ("test/b", Split::Test, true)]);
        assert_eq!(clips[1].abc, "X:1\nK:C\nC|");
        assert_eq!(clips[1].audio, Some(Audio::File(root.join("test/b.flac"))));
        let train: Vec<String> = dataset.load(Split::Train).expect("loads").into_iter().map(|c| c.id).collect();
        assert_eq!(train, ["train/a"]);
        assert_eq!(dataset.splits().expect("lists"), [Split::Train, Split::Test]);
    }

    #[test]
    fn jsonl_layout_resolves_audio_and_rejects_duplicates() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("clips.jsonl");
        let lines = "{\"id\": \"z\", \"abc\": \"X:1\", \"audio\": \"z.wav\", \"question\": \"Q?\"}\n\n\
                     {\"id\": \"y\", \"abc\": \"X:2\", \"split\": \"validation\"}\n";
        fs::write(&path, lines).expect("write");
        let dataset = Dataset::open(&path).expect("a jsonl file");
        assert_eq!(dataset.splits().expect("lists"), [Split::Validation, Split::Test]);
        let validation = dataset.load(Split::Validation).expect("loads");
        assert_eq!((validation[0].id.as_str(), validation.len()), ("y", 1));
        let test = dataset.load(Split::Test).expect("loads");
        assert_eq!(test[0].audio, Some(Audio::File(dir.path().join("z.wav"))));
        assert_eq!(test[0].question.as_deref(), Some("Q?"));

        fs::write(&path, "{\"id\": \"z\", \"abc\": \"\"}\n{\"id\": \"z\", \"abc\": \"\"}\n").expect("write");
        let err = Dataset::open(&path).expect("a jsonl file").load(Split::Test).expect_err("duplicate id");
        assert!(err.to_string().contains("\"z\" is also the name of"), "{err}");
        fs::write(&path, "{\"id\": 3}\n").expect("write");
        let err = Dataset::open(&path).expect("a jsonl file").load(Split::Test).expect_err("bad line");
        assert!(format!("{err:#}").contains("clips.jsonl line 1: invalid type"), "{err:#}");
    }
}
