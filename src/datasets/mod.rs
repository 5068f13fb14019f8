//! Dataset sources: each reader turns a dataset folder in its published layout into
//! `Piece`s (a `Score` plus where its audio is), and reports, per item, what is missing
//! or malformed without stopping.
//!
//! Listing is cheap and loading is per piece (`Source::list` then `Source::load`), so
//! a run over a terabyte dataset holds one piece at a time, and splits are decided from
//! the listing alone (by piece, never by clip).

pub mod align;
pub mod demo;
pub mod folder;
pub mod musicnet;
pub mod split;
pub mod urmp;

pub use demo::DemoSource;
pub use folder::{Folder, FolderOptions};
pub use musicnet::{MusicNet, MusicNetOptions};
pub use split::SplitOptions;
pub use urmp::{Urmp, UrmpOptions};

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::score::{Score, SourceEvents};

/// A dataset split. Splits are assigned by piece, never by clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One listed item of a dataset, before loading: enough to name it, split it and load it.
#[derive(Debug, Clone, PartialEq)]
pub struct PieceRef {
    /// Unique within the source, stable across runs, e.g. `01_Jupiter_vn_vc` or `1727`.
    pub id: String,
    pub split: Split,
    /// The files the piece is made from (score/labels first, then audio), for error
    /// messages and for content hashing by resumable pipelines.
    pub files: Vec<PathBuf>,
}

/// A loaded piece: its music, its audio, and what the dataset says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// `source/id`, e.g. `urmp/01_Jupiter_vn_vc`: unique across sources.
    pub id: String,
    /// The reader that made it: `urmp`, `musicnet`, `folder`, `demo`.
    pub source: String,
    pub split: Split,
    /// The notes, aligned to the audio (seconds of the score's tempo map = seconds of audio).
    pub score: Score,
    /// Which of metre and key the source stated (the rest is inferred downstream).
    pub stated: SourceEvents,
    /// The mixture recording, if the piece has one.
    pub audio: Option<PathBuf>,
    /// Free-form metadata from the dataset (composer, ensemble, ...), sorted by key.
    pub metadata: BTreeMap<String, String>,
}

/// Something wrong with one item, reported without stopping the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The item (piece id, or a path when no id could be formed).
    pub item: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.item, self.message)
    }
}

/// A dataset reader.
pub trait Source: Send + Sync {
    /// The source's name as it appears in piece ids (`urmp`, ...).
    fn name(&self) -> &str;
    /// Every piece found, with its split, and the problems found while listing. Cheap:
    /// a source that generates its files makes them in [`Source::materialize`].
    fn list(&self) -> anyhow::Result<(Vec<PieceRef>, Vec<Problem>)>;
    /// Makes the listed piece's `files` exist, for a source that generates them (the
    /// demo's rendered audio); nothing for a source that reads a dataset. A run calls it
    /// for the pieces it processes only (one shard's, in a job array), before hashing them.
    fn materialize(&self, _piece: &PieceRef) -> anyhow::Result<()> {
        Ok(())
    }
    /// Loads one listed piece.
    fn load(&self, piece: &PieceRef) -> anyhow::Result<Piece>;
}
