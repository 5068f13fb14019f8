//! The chat (SFT) export of the Q&A pairs: `chat/<split>.jsonl` in a dataset folder, one
//! training example per line, each referring to its clip's own audio file
//! `audio/clips/<clip-id>.wav` by a path relative to the dataset folder.
//!
//! ```json
//! {"id": "demo/03/0001/key", "clip_id": "demo/03/0001", "kind": "key",
//!  "audio": "audio/clips/demo/03/0001.wav",
//!  "prompt": [{"role": "user", "content": "What key is this music in?"}],
//!  "completion": [{"role": "assistant", "content": "D major"}]}
//! ```
//!
//! Why this form:
//! - One file per split: `load_dataset("json", data_files={"train": "chat/train.jsonl",
//!   ...})` (or the card's `chat` config) gives the three splits, never test clips in
//!   train.
//! - TRL's conversational prompt/completion layout ("Dataset formats"): the trainer's
//!   completion-only loss covers exactly the answer.
//! - Every `content` is a plain string, and the audio is its own column. Content given
//!   as typed parts (`[{"type": "audio", "audio": ...}, {"type": "text", "text": ...}]`)
//!   does not survive `datasets` 3.x: Arrow unifies the parts into one struct, so every
//!   text part comes back with `audio: None`, and Qwen2-Audio's chat template, which
//!   tests `'audio' in part`, then renders an audio placeholder for each part and drops
//!   the question and the answer. Strings come back as written under every version; the
//!   training script puts the audio part in front of the question
//!   (`examples/train_qwen2_audio.py`), which renders one placeholder, the question and
//!   the answer (tested in `tests/qa_chat.rs`).
//! - The audio file holds exactly the clip's window, so no media fragment or offset is
//!   needed, and the relative path stays valid when the folder is moved or uploaded.
//!
//! The audio is referenced, not embedded (the `clips` Parquet config embeds it). Nothing
//! here prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::QaPair;
use crate::datasets::Split;
use crate::output::write_atomically;

/// The folder of the chat files in a dataset folder.
pub const CHAT_DIR: &str = "chat";
/// The folder of the per-clip audio files in a dataset folder.
pub const CLIP_AUDIO_DIR: &str = "audio/clips";

/// The path, relative to the dataset folder and `/`-separated, of the clip's own audio
/// file with extension `extension`: `audio/clips/<clip-id>.<extension>`. A clip id that
/// would leave the folder (an empty, `.` or `..` component, a backslash) is an error.
pub fn clip_audio_path(clip_id: &str, extension: &str) -> Result<String> {
    let safe = |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains(['\\', '\0']);
    if !clip_id.split('/').all(safe) {
        bail!("clip id {clip_id:?} cannot name a file under {CLIP_AUDIO_DIR}/");
    }
    Ok(format!("{CLIP_AUDIO_DIR}/{clip_id}.{extension}"))
}

/// Removes every file under `dataset/audio/clips/` whose path (relative to `dataset`, as
/// [`clip_audio_path`] gives it) is not in `keep`: the clips of an earlier run and the
/// temporary files of a killed one, so the folder holds exactly this run's clips.
pub fn remove_other_clip_audio(dataset: &Path, keep: &BTreeSet<String>) -> Result<()> {
    let root = dataset.join(CLIP_AUDIO_DIR);
    if !root.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.with_context(|| format!("listing {}", root.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(dataset).unwrap_or(entry.path());
        let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if !keep.contains(&name) {
            fs::remove_file(entry.path()).with_context(|| format!("removing the stale {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The pair as one line of the chat export (without the trailing newline); `audio` is
/// the clip's audio as a path relative to the dataset folder, or a URL.
pub fn chat_line(pair: &QaPair, audio: &str) -> String {
    json!({
        "id": pair.id,
        "clip_id": pair.clip_id,
        "kind": pair.kind.name(),
        "audio": audio,
        "prompt": [{"role": "user", "content": pair.question}],
        "completion": [{"role": "assistant", "content": pair.answer}],
    })
    .to_string()
}

/// The chat examples of a dataset, gathered by split, then written in one go.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChatFiles {
    lines: BTreeMap<Split, String>,
}

impl ChatFiles {
    /// Adds the example of `pair`, whose clip's audio is at `audio` (see [`chat_line`]).
    pub fn push(&mut self, pair: &QaPair, audio: &str) {
        let text = self.lines.entry(pair.split).or_default();
        text.push_str(&chat_line(pair, audio));
        text.push('\n');
    }

    /// Number of examples gathered.
    pub fn len(&self) -> usize {
        self.counts().values().sum::<u64>() as usize
    }

    /// Number of examples per split.
    pub fn counts(&self) -> BTreeMap<Split, u64> {
        self.lines.iter().map(|(split, text)| (*split, text.lines().count() as u64)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Writes `chat/<split>.jsonl` under `dataset` for every split with examples, each
    /// atomically, and removes the file of a split that has none now (left by an earlier
    /// run), so the folder holds exactly this run's examples. Returns the files written.
    pub fn write(&self, dataset: &Path) -> Result<Vec<PathBuf>> {
        let dir = dataset.join(CHAT_DIR);
        let mut written = Vec::new();
        for split in [Split::Train, Split::Validation, Split::Test] {
            let path = dir.join(format!("{split}.jsonl"));
            match self.lines.get(&split) {
                Some(text) => {
                    write_atomically(&path, text.as_bytes())?;
                    written.push(path);
                }
                None => match fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).with_context(|| format!("removing the stale {}", path.display()));
                    }
                    _ => {}
                },
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_audio_paths_stay_inside_the_folder() {
        assert_eq!(clip_audio_path("demo/03/0001", "wav").unwrap(), "audio/clips/demo/03/0001.wav");
        for bad in ["", "a//b", "../x", "a/./b", "a\\b", "/abs"] {
            assert!(clip_audio_path(bad, "wav").is_err(), "{bad:?} was accepted");
        }
    }
}
