//! Where one shard of a job array writes, and how it says it is finished.
//!
//! Shard `I` of `N` of a stage writes a whole dataset folder of its own,
//! `OUTPUT/.prep/shards/<stage>-IIII-of-NNNN/` (its Parquet files under `data/`, its
//! manifest, its JSONL records and its resume store under `.prep/`), so two tasks never
//! write the same file and a re-run task resumes from its own store. The last thing a
//! shard writes is `done.json` (atomically), holding the shard and the fingerprint of
//! every setting that shapes its output: a folder without it is a shard still running
//! or killed. Starting a shard removes its marker first. `prep merge` renames
//! `done.json` to `merged.json` once the shard's files are in the final dataset.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::Partition;
use crate::output::write_atomically;

/// The marker of a finished shard.
pub const DONE: &str = "done.json";
/// The marker of a shard whose files `prep merge` moved into the dataset.
pub const MERGED: &str = "merged.json";

/// The stages that run as job arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// `prep run PIPELINE --num-shards N`: pieces to clips, Q&A and (with an
    /// `embeddings` section) embeddings.
    Run,
    /// `prep embed DATASET --num-shards N`: the embeddings table of a dataset's clips.
    Embed,
}

impl Stage {
    pub const ALL: [Stage; 2] = [Stage::Run, Stage::Embed];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Run => "run",
            Stage::Embed => "embed",
        }
    }
}

/// What a shard's marker says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub stage: Stage,
    pub partition: Partition,
    /// blake3 of prep's build (`version::BUILD`) and every setting that shapes the stage's output.
    pub fingerprint: String,
    /// Pieces (run) or clips (embed) the shard did.
    pub items: usize,
}

/// `OUTPUT/.prep/shards`, where every stage's shards go.
pub fn shards_root(output: &Path) -> PathBuf {
    output.join(".prep").join("shards")
}

/// The folder of one shard of a stage.
pub fn shard_dir(output: &Path, stage: Stage, partition: Partition) -> PathBuf {
    shards_root(output).join(format!("{}-{partition}", stage.name()))
}

/// The stage and shard a folder under [`shards_root`] is named for, if it is one.
pub fn parse_shard_dir(name: &str) -> Option<(Stage, Partition)> {
    let (stage, rest) = name.split_once('-')?;
    let stage = Stage::ALL.into_iter().find(|s| s.name() == stage)?;
    let (index, count) = rest.split_once("-of-")?;
    let (index, count) = (index.parse().ok()?, count.parse().ok()?);
    (index < count).then_some((stage, Partition { index, count }))
}

/// A shard being written: its folder, and the marker it writes when finished.
#[derive(Debug, Clone)]
pub struct ShardRun {
    dir: PathBuf,
    marker: Marker,
}

impl ShardRun {
    /// Starts shard `partition` of `stage` in `output`: its folder is created and an
    /// earlier marker removed (the shard counts as running until [`ShardRun::finish`]).
    /// `settings` is everything that shapes the output; shards of one job must agree.
    pub fn begin(output: &Path, stage: Stage, partition: Partition, settings: &serde_json::Value) -> Result<ShardRun> {
        let dir = shard_dir(output, stage, partition);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for name in [DONE, MERGED] {
            let path = dir.join(name);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("removing {}", path.display()));
                }
                _ => {}
            }
        }
        let fingerprint = fingerprint(settings);
        Ok(ShardRun { dir, marker: Marker { stage, partition, fingerprint, items: 0 } })
    }

    /// The shard's own dataset folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the marker: the shard is finished and can be merged.
    pub fn finish(&self, items: usize) -> Result<()> {
        let marker = Marker { items, ..self.marker.clone() };
        write_atomically(&self.dir.join(DONE), &serde_json::to_vec_pretty(&marker)?)
    }
}

/// The fingerprint of a stage's settings, prep's build (`version::BUILD`) included.
pub fn fingerprint(settings: &serde_json::Value) -> String {
    let text = serde_json::json!({ "version": crate::version::BUILD, "settings": settings }).to_string();
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// The state of one shard folder: finished (`done.json`), already merged
/// (`merged.json`) or neither (running, or killed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardState {
    Done(Marker),
    Merged(Marker),
    Unfinished,
}

impl ShardState {
    /// The marker of a finished or merged shard.
    pub fn marker(&self) -> Option<&Marker> {
        match self {
            ShardState::Done(marker) | ShardState::Merged(marker) => Some(marker),
            ShardState::Unfinished => None,
        }
    }
}

/// Reads the marker of the shard folder `dir`.
pub fn shard_state(dir: &Path) -> Result<ShardState> {
    for (name, wrap) in [(DONE, ShardState::Done as fn(Marker) -> ShardState), (MERGED, ShardState::Merged)] {
        let path = dir.join(name);
        match fs::read(&path) {
            Ok(bytes) => {
                let marker: Marker =
                    serde_json::from_slice(&bytes).with_context(|| format!("{}: not a shard marker", path.display()))?;
                return Ok(wrap(marker));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    Ok(ShardState::Unfinished)
}

/// Marks a merged shard (`done.json` becomes `merged.json`).
pub fn mark_merged(dir: &Path) -> Result<()> {
    let (from, to) = (dir.join(DONE), dir.join(MERGED));
    if !from.exists() && to.exists() {
        return Ok(());
    }
    if !from.exists() {
        bail!("{}: the shard has no marker to mark merged", dir.display());
    }
    fs::rename(&from, &to).with_context(|| format!("renaming {} to {}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_folders_round_trip_their_names() {
        let partition = Partition::new(3, 8).expect("valid");
        let dir = shard_dir(Path::new("out"), Stage::Embed, partition);
        assert_eq!(dir, Path::new("out/.prep/shards/embed-0003-of-0008"));
        let name = dir.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(parse_shard_dir(name), Some((Stage::Embed, partition)));
        assert_eq!(parse_shard_dir("run-0008-of-0008"), None);
        assert_eq!(parse_shard_dir("pieces"), None);
    }

    #[test]
    fn a_shard_is_unfinished_until_its_marker_then_merged() {
        let out = tempfile::tempdir().expect("temp dir");
        let partition = Partition::new(0, 2).expect("valid");
        let settings = serde_json::json!({"a": 1});
        let shard = ShardRun::begin(out.path(), Stage::Run, partition, &settings).expect("begins");
        assert_eq!(shard_state(shard.dir()).expect("reads"), ShardState::Unfinished);
        shard.finish(5).expect("finishes");
        let ShardState::Done(marker) = shard_state(shard.dir()).expect("reads") else { panic!("not done") };
        assert_eq!((marker.items, marker.fingerprint.clone()), (5, fingerprint(&settings)));
        mark_merged(shard.dir()).expect("marks");
        mark_merged(shard.dir()).expect("idempotent");
        assert_eq!(shard_state(shard.dir()).expect("reads"), ShardState::Merged(marker));
        ShardRun::begin(out.path(), Stage::Run, partition, &settings).expect("begins again");
        assert_eq!(shard_state(shard.dir()).expect("reads"), ShardState::Unfinished);
    }
}
