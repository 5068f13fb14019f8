//! `prep merge OUTPUT`: the finished shards of a job array assembled into the dataset a
//! single process would have written.
//!
//! For each stage found under `OUTPUT/.prep/shards/` (`run`, then `embed`), the merge
//! refuses, naming the shards, when one is missing, still running (no `done.json`) or was
//! made with other settings (another fingerprint) or another number of shards. Otherwise:
//! - every Parquet file of every shard is **renamed** (never rewritten) to
//!   `OUTPUT/data/<config>/<split>-KKKKK-of-NNNNN.parquet`, numbered across the shards in
//!   shard order; final-named files of an earlier run or merge that are not part of this
//!   one are removed, so the card's globs see exactly the merged files;
//! - (run) each clip's audio file `audio/clips/<clip id>.wav` is renamed into
//!   `OUTPUT/audio/clips/`, and clip audio of an earlier run that no shard made is
//!   removed; the demo source's whole-piece audio is already in `OUTPUT/audio/`, where
//!   every shard renders it;
//! - (run) `chat/<split>.jsonl`, `.prep/clips.jsonl` and `.prep/qa.jsonl` are merged
//!   line by line in piece order (each shard's lines are in piece order, and a piece
//!   lives in one shard), which is the order and the bytes of a single-process run; a
//!   chat split that no shard has is removed;
//! - the manifest (`.prep/manifest.json`, paths relative to `OUTPUT`) gets the merged
//!   tables (rows, `num_bytes` and download sizes summed: a rename keeps the bytes), the
//!   summed clip statistics and chat counts and the shards' recipe, and the one card is
//!   rendered from it;
//! - each shard's `done.json` becomes `merged.json`.
//!
//! Idempotent: a stage whose shards are all merged is left as it is. A merge killed at
//! any moment resumes: the planned renames and the shards' markers are written to
//! `.prep/merge-<stage>.json` before the first rename; a re-run that finds this journal
//! for the same shards follows it (a file already at its target is done), rewrites the
//! merged files (each through a temporary name), removes the temporary files a killed
//! merge left and the journal last. The row order inside the Parquet files is the
//! shards' (shard 0's pieces first): the same rows as a single-process run, compared by
//! id.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, ErrorKind, Lines};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use super::Partition;
use super::staging::{Marker, ShardState, Stage, mark_merged, parse_shard_dir, shard_state, shards_root};
use crate::clips::Clip;
use crate::datasets::Split;
use crate::output::{TempFolder, remove_stale_temp_files, write_atomically, write_atomically_with};
use crate::qa::chat::{CHAT_DIR, CLIP_AUDIO_DIR, remove_other_clip_audio};
use crate::shards::card::ClipStats;
use crate::shards::manifest::Manifest;
use crate::shards::writer::{config_dir, shard_name};
use crate::shards::{SplitFiles, TableFiles};

/// What a merge did, per stage.
#[derive(Debug, Clone, Default)]
pub struct MergeSummary {
    pub stages: Vec<StageMerge>,
    /// The dataset's card.
    pub card: PathBuf,
}

/// One stage of a merge.
#[derive(Debug, Clone)]
pub struct StageMerge {
    pub stage: Stage,
    pub shards: usize,
    /// Every shard had been merged before: nothing was done.
    pub already_merged: bool,
    /// Files renamed into the dataset (Parquet files and clip audio).
    pub files: usize,
    /// Rows per table (config name), all splits.
    pub rows: BTreeMap<String, u64>,
}

/// Merges every stage of the shards under `output` (see the module documentation).
pub fn merge(output: &Path) -> Result<MergeSummary> {
    let found = find_shards(output)?;
    if found.is_empty() {
        bail!(
            "no shards under {}: run `prep run PIPELINE --num-shards N` (or `prep embed ... --num-shards N`) first",
            shards_root(output).display()
        );
    }
    let mut summary = MergeSummary { card: output.join("README.md"), ..MergeSummary::default() };
    for (stage, shards) in found {
        let journal_path = journal_path(output, stage);
        let journal = read_journal(&journal_path)?;
        let states = checked_states(output, stage, &shards, journal.as_ref())?;
        let markers: Vec<Marker> = states.iter().filter_map(ShardState::marker).cloned().collect();
        let journal = journal.filter(|journal| journal.shards == markers);
        let dirs: Vec<PathBuf> = shards.into_iter().map(|(_, dir)| dir).collect();
        if journal.is_none() && states.iter().all(|state| matches!(state, ShardState::Merged(_))) {
            remove_if_present(&journal_path)?;
            summary.stages.push(StageMerge {
                stage,
                shards: dirs.len(),
                already_merged: true,
                files: 0,
                rows: BTreeMap::new(),
            });
            continue;
        }
        summary.stages.push(merge_stage(output, stage, &dirs, markers, journal)?);
    }
    Ok(summary)
}

/// The shard folders under `output`, by stage, each stage's in index order.
fn find_shards(output: &Path) -> Result<BTreeMap<Stage, Vec<(Partition, PathBuf)>>> {
    let root = shards_root(output);
    let entries = match fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", root.display())),
    };
    let mut found: BTreeMap<Stage, Vec<(Partition, PathBuf)>> = BTreeMap::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", root.display()))?;
        let parsed = entry.file_name().to_str().and_then(parse_shard_dir);
        if let Some((stage, partition)) = parsed
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            found.entry(stage).or_default().push((partition, entry.path()));
        }
    }
    for shards in found.values_mut() {
        shards.sort_by_key(|(partition, _)| (partition.count, partition.index));
    }
    Ok(found)
}

/// The state of each shard of a stage, once the stage is known to be complete and
/// consistent; otherwise why not, naming the shards. Some shards merged and others not
/// is a merge killed half way when `journal` lists exactly these shards.
fn checked_states(
    output: &Path,
    stage: Stage,
    shards: &[(Partition, PathBuf)],
    journal: Option<&Journal>,
) -> Result<Vec<ShardState>> {
    let cannot = format!("cannot merge the {} stage of {}", stage.name(), output.display());
    let counts: BTreeSet<usize> = shards.iter().map(|(p, _)| p.count).collect();
    if counts.len() > 1 {
        let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
        bail!(
            "{cannot}: it holds shards of jobs of {} shards under {}; remove the folders of the job you do not want",
            counts.join(" and "),
            shards_root(output).display()
        );
    }
    let count = shards[0].0.count;
    let present: BTreeSet<usize> = shards.iter().map(|(p, _)| p.index).collect();
    let missing: Vec<String> = (0..count).filter(|i| !present.contains(i)).map(|i| i.to_string()).collect();
    let states = shards.iter().map(|(_, dir)| shard_state(dir)).collect::<Result<Vec<_>>>()?;
    let unfinished: Vec<String> = shards
        .iter()
        .zip(&states)
        .filter(|(_, state)| **state == ShardState::Unfinished)
        .map(|((p, _), _)| p.index.to_string())
        .collect();
    let mut reasons = Vec::new();
    if !missing.is_empty() {
        reasons.push(format!("shard {} of {count} missing (never started?)", missing.join(", ")));
    }
    if !unfinished.is_empty() {
        reasons.push(format!(
            "shard {} of {count} still running or killed (no done.json in its folder under {})",
            unfinished.join(", "),
            shards_root(output).display()
        ));
    }
    if !reasons.is_empty() {
        bail!("{cannot}: {}", reasons.join("; "));
    }
    let mut by_fingerprint: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for marker in states.iter().filter_map(ShardState::marker) {
        by_fingerprint.entry(&marker.fingerprint).or_default().push(marker.partition.index.to_string());
    }
    if by_fingerprint.len() > 1 {
        let groups: Vec<String> = by_fingerprint
            .iter()
            .map(|(fingerprint, shards)| format!("shard {} (settings {})", shards.join(", "), &fingerprint[..12]))
            .collect();
        bail!(
            "{cannot}: its shards were made with other settings or another prep build: {}; \
             re-run the odd ones with the job's pipeline",
            groups.join(" vs ")
        );
    }
    let merged = states.iter().filter(|s| matches!(s, ShardState::Merged(_))).count();
    let markers: Vec<Marker> = states.iter().filter_map(ShardState::marker).cloned().collect();
    let resuming = journal.is_some_and(|journal| journal.shards == markers);
    if merged > 0 && merged < states.len() && !resuming {
        let rerun: Vec<String> = states
            .iter()
            .filter_map(|s| match s {
                ShardState::Done(marker) => Some(marker.partition.index.to_string()),
                _ => None,
            })
            .collect();
        bail!(
            "{cannot}: shard {} of {count} ran again after the others were merged; their files are in the dataset \
             now, so run every shard again (each resumes from its store) and merge",
            rerun.join(", ")
        );
    }
    Ok(states)
}

/// One rename of a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Move {
    from: PathBuf,
    to: PathBuf,
}

/// What a merge is doing, written before its first rename: the shards it merges (their
/// markers) and every rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Journal {
    shards: Vec<Marker>,
    moves: Vec<Move>,
}

fn journal_path(output: &Path, stage: Stage) -> PathBuf {
    output.join(".prep").join(format!("merge-{}.json", stage.name()))
}

/// A journal left by a merge that did not finish; one that does not read is ignored.
fn read_journal(path: &Path) -> Result<Option<Journal>> {
    match fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn merge_stage(
    output: &Path,
    stage: Stage,
    dirs: &[PathBuf],
    markers: Vec<Marker>,
    journal: Option<Journal>,
) -> Result<StageMerge> {
    let manifests = dirs
        .iter()
        .map(|dir| {
            Manifest::load(dir)?.ok_or_else(|| anyhow!("{}: a finished shard without .prep/manifest.json", dir.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut tables: BTreeMap<String, Vec<(usize, TableFiles)>> = BTreeMap::new();
    for (shard, manifest) in manifests.iter().enumerate() {
        for table in manifest.tables()? {
            tables.entry(table.config.clone()).or_default().push((shard, table));
        }
    }
    let mut merged_tables = Vec::new();
    let mut planned = Vec::new();
    for (config, parts) in &tables {
        let (table, table_moves) = plan_table(output, config, parts, dirs)?;
        planned.extend(table_moves);
        merged_tables.push(table);
    }
    let resuming = journal.is_some();
    let journal = match journal {
        // A killed merge moved some clip audio already: its plan, not the folders, says
        // what goes where.
        Some(journal) => journal,
        None => {
            if stage == Stage::Run {
                planned.extend(plan_clip_audio(output, dirs)?);
            }
            Journal { shards: markers, moves: planned }
        }
    };
    let journal_path = journal_path(output, stage);
    write_atomically(&journal_path, &serde_json::to_vec_pretty(&journal)?)?;
    for step in &journal.moves {
        apply(step, resuming)?;
    }
    for table in &merged_tables {
        remove_stale(&config_dir(output, &table.config), table)?;
    }
    let mut manifest = Manifest::load_or_new(output, &manifests[0].title)?;
    if stage == Stage::Run {
        let keep: BTreeSet<String> = journal
            .moves
            .iter()
            .filter_map(|step| step.to.strip_prefix(output).ok())
            .filter(|relative| relative.starts_with(CLIP_AUDIO_DIR))
            .map(|relative| relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
            .collect();
        remove_other_clip_audio(output, &keep)?;
        merge_records(output, dirs)?;
        manifest.title.clone_from(&manifests[0].title);
        manifest.stats = manifests.iter().fold(ClipStats::default(), |mut stats, m| {
            stats.absorb(&m.stats);
            stats
        });
        manifest.extras.chat = BTreeMap::new();
        for shard in &manifests {
            for (split, examples) in &shard.extras.chat {
                *manifest.extras.chat.entry(*split).or_default() += examples;
            }
        }
        manifest.extras.recipe.clone_from(&manifests[0].extras.recipe);
    }
    for table in &merged_tables {
        manifest.record(table);
    }
    manifest.save(output)?;
    // What a killed merge (or a killed shard, for the shared audio folder) was writing.
    let mut touched = vec![
        (output.to_path_buf(), TempFolder::Shared),
        (output.join(".prep"), TempFolder::PrepOnly),
        (output.join("audio"), TempFolder::PrepOnly),
        (output.join(CHAT_DIR), TempFolder::Shared),
    ];
    touched.extend(merged_tables.iter().map(|table| (config_dir(output, &table.config), TempFolder::Shared)));
    for (dir, folder) in touched {
        remove_stale_temp_files(&dir, folder)?;
    }
    for dir in dirs {
        mark_merged(dir)?;
    }
    remove_if_present(&journal_path)?;
    let rows = merged_tables.iter().map(|t| (t.config.clone(), t.splits.values().map(|s| s.rows).sum())).collect();
    Ok(StageMerge { stage, shards: dirs.len(), already_merged: false, files: journal.moves.len(), rows })
}

/// The merged table of one config and the renames that make it: files numbered across
/// the shards, split by split, in shard order; sizes summed.
fn plan_table(output: &Path, config: &str, parts: &[(usize, TableFiles)], dirs: &[PathBuf]) -> Result<(TableFiles, Vec<Move>)> {
    let with_rows: Vec<&TableFiles> =
        parts.iter().map(|(_, t)| t).filter(|t| t.splits.values().any(|s| s.rows > 0)).collect();
    let dims = with_rows.first().map(|t| t.dims.clone()).unwrap_or_default();
    if let Some(odd) = with_rows.iter().find(|t| t.dims != dims) {
        bail!("table {config}: shards disagree on the Array2D dimensions ({:?} vs {dims:?})", odd.dims);
    }
    let splits: BTreeSet<Split> = parts.iter().flat_map(|(_, t)| t.splits.keys().copied()).collect();
    let target_dir = config_dir(output, config);
    let mut moves = Vec::new();
    let mut merged = BTreeMap::new();
    for split in splits {
        let mut sources = Vec::new();
        let mut sizes = SplitFiles::default();
        for (shard, table) in parts {
            let Some(files) = table.splits.get(&split) else { continue };
            sizes.rows += files.rows;
            sizes.num_bytes += files.num_bytes;
            sizes.download_bytes += files.download_bytes;
            for file in &files.files {
                let name = file.file_name().with_context(|| format!("{}: not a file name", file.display()))?;
                sources.push(config_dir(&dirs[*shard], config).join(name));
            }
        }
        let total = sources.len();
        let targets: Vec<PathBuf> = (0..total).map(|k| target_dir.join(shard_name(split, k, total))).collect();
        moves.extend(sources.into_iter().zip(&targets).map(|(from, to)| Move { from, to: to.clone() }));
        merged.insert(split, SplitFiles { files: targets, ..sizes });
    }
    let first = &parts[0].1;
    Ok((TableFiles { config: config.to_string(), schema: first.schema.clone(), dims, splits: merged }, moves))
}

/// Renames of every shard's clip audio files to the same place under `output`.
fn plan_clip_audio(output: &Path, dirs: &[PathBuf]) -> Result<Vec<Move>> {
    let mut moves = Vec::new();
    for dir in dirs {
        let root = dir.join(CLIP_AUDIO_DIR);
        if !root.is_dir() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.with_context(|| format!("listing {}", root.display()))?;
            if !entry.file_type().is_file() || crate::output::is_temp_name(entry.file_name()) {
                continue;
            }
            let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            moves.push(Move { from: entry.path().to_path_buf(), to: output.join(relative) });
        }
    }
    Ok(moves)
}

/// Renames one file into the dataset; when resuming, a file already at its target is
/// done.
fn apply(step: &Move, resuming: bool) -> Result<()> {
    if step.from.is_file() {
        if let Some(parent) = step.to.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        return fs::rename(&step.from, &step.to)
            .with_context(|| format!("renaming {} to {}", step.from.display(), step.to.display()));
    }
    if resuming && step.to.is_file() {
        return Ok(());
    }
    bail!("{}: missing, though its shard is marked done; run that shard again", step.from.display())
}

/// Removes the Parquet files in a table's folder that the merge did not put there.
fn remove_stale(dir: &Path, table: &TableFiles) -> Result<()> {
    let keep: BTreeSet<&PathBuf> = table.splits.values().flat_map(|s| &s.files).collect();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    for entry in entries {
        let path = entry.with_context(|| format!("listing {}", dir.display()))?.path();
        let is_parquet = path.extension().is_some_and(|e| e == "parquet");
        if is_parquet && !keep.contains(&path) {
            fs::remove_file(&path).with_context(|| format!("removing stale {}", path.display()))?;
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e).with_context(|| format!("removing {}", path.display())),
        _ => Ok(()),
    }
}

/// Reads the id of the piece a JSONL record belongs to.
type PieceOf = fn(&serde_json::Value) -> Option<String>;

/// Rewrites a record read from the shard folder `shard` for the dataset folder `output`.
type Rebase = fn(line: String, shard: &Path, output: &Path) -> Result<String>;

/// A record kept as the shard wrote it.
fn as_written(line: String, _: &Path, _: &Path) -> Result<String> {
    Ok(line)
}

/// A clip record whose audio a shard named relative to its own `.prep/` folder
/// (`../../../../audio/00.wav`), named relative to the dataset's `.prep/` folder instead,
/// as a single-process run names it (`../audio/00.wav`); written as the run writes it.
fn rebase_clip_audio(line: String, shard: &Path, output: &Path) -> Result<String> {
    let mut clip: Clip = serde_json::from_str(&line).context("a clip record that is not a clip")?;
    let Some(audio) = clip.audio.as_mut().filter(|audio| audio.path.is_relative()) else { return Ok(line) };
    let mut resolved = shard.join(".prep");
    for part in audio.path.components() {
        match part {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    let inside = resolved.strip_prefix(output).with_context(|| {
        format!("clip {}: its audio {} lies outside {}", clip.id, audio.path.display(), output.display())
    })?;
    audio.path = Path::new("..").join(inside);
    Ok(serde_json::to_string(&clip)?)
}

/// The run stage's JSONL records, merged in piece order: the clips and Q&A records a
/// later `prep embed OUTPUT` reads, and the chat export, split by split.
fn merge_records(output: &Path, dirs: &[PathBuf]) -> Result<()> {
    let piece_of_clip: PieceOf = |line| line["piece_id"].as_str().map(str::to_string);
    let piece_of_pair: PieceOf = |line| line["clip_id"].as_str().and_then(parent_id);
    let mut records: Vec<(PathBuf, PieceOf, Rebase, bool)> =
        vec![(PathBuf::from(".prep/clips.jsonl"), piece_of_clip, rebase_clip_audio, true)];
    records.push((PathBuf::from(".prep/qa.jsonl"), piece_of_pair, as_written, true));
    for split in [Split::Train, Split::Validation, Split::Test] {
        records.push((Path::new(CHAT_DIR).join(format!("{split}.jsonl")), piece_of_pair, as_written, false));
    }
    for (relative, piece_of, rebase, always) in records {
        let inputs: Vec<PathBuf> = dirs.iter().map(|dir| dir.join(&relative)).filter(|path| path.is_file()).collect();
        let out = output.join(&relative);
        if inputs.is_empty() && !always {
            // No shard has examples of this split: neither has the dataset.
            remove_if_present(&out)?;
            continue;
        }
        merge_sorted_lines(&inputs, piece_of, |line, input| rebase(line, shard_of(input, &relative), output), &out)?;
    }
    Ok(())
}

/// The shard folder of `input`, a file at `relative` inside it.
fn shard_of<'a>(input: &'a Path, relative: &Path) -> &'a Path {
    input.ancestors().nth(relative.components().count()).unwrap_or(input)
}

/// The piece id of a clip id (`demo/03/0001` -> `demo/03`).
fn parent_id(id: &str) -> Option<String> {
    id.rsplit_once('/').map(|(parent, _)| parent.to_string())
}

/// One input of a merge: its lines, and the line in hand with its piece.
struct Input<'a> {
    path: &'a Path,
    lines: Lines<BufReader<File>>,
    current: Option<String>,
}

impl Input<'_> {
    /// The next non-empty line and its piece, if any.
    fn advance(&mut self, key: PieceOf) -> Result<Option<String>> {
        for line in self.lines.by_ref() {
            let line = line.with_context(|| format!("reading {}", self.path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(&line)
                .with_context(|| format!("{}: a line that is not JSON", self.path.display()))?;
            let piece = key(&value).with_context(|| format!("{}: a line without its piece's id", self.path.display()))?;
            self.current = Some(line);
            return Ok(Some(piece));
        }
        self.current = None;
        Ok(None)
    }
}

/// Merges JSONL files each sorted by `key` into `out` (atomically), streaming: a line
/// per input in memory, each rewritten by `rebase` (given its input file). Equal keys keep
/// input order.
fn merge_sorted_lines(
    inputs: &[PathBuf],
    key: PieceOf,
    rebase: impl Fn(String, &Path) -> Result<String>,
    out: &Path,
) -> Result<()> {
    let mut inputs = inputs
        .iter()
        .map(|path| {
            let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            Ok(Input { path, lines: BufReader::new(file).lines(), current: None })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut heap = BinaryHeap::new();
    for (index, input) in inputs.iter_mut().enumerate() {
        if let Some(piece) = input.advance(key)? {
            heap.push(Reverse((piece, index)));
        }
    }
    write_atomically_with(out, |writer| {
        while let Some(Reverse((_, index))) = heap.pop() {
            if let Some(line) = inputs[index].current.take() {
                let path = inputs[index].path;
                let line = rebase(line, path).with_context(|| format!("{}", path.display()))?;
                writeln!(writer, "{line}")?;
            }
            if let Some(piece) = inputs[index].advance(key)? {
                heap.push(Reverse((piece, index)));
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_of_ids() {
        assert_eq!(parent_id("demo/03/0001").as_deref(), Some("demo/03"));
        assert_eq!(parent_id("folder/a/b/0001").as_deref(), Some("folder/a/b"));
        assert_eq!(parent_id("x"), None);
    }

    #[test]
    fn sorted_lines_merge_in_key_order_keeping_runs_together() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, pieces: &[&str]| {
            let path = dir.path().join(name);
            let lines: Vec<String> = pieces.iter().map(|p| format!("{{\"piece_id\":\"{p}\"}}")).collect();
            fs::write(&path, lines.join("\n") + "\n").expect("writes");
            path
        };
        let inputs = [write("a", &["p1", "p1", "p4"]), write("b", &["p2", "p3", "p3"]), write("c", &[])];
        let out = dir.path().join("out.jsonl");
        let piece_of: PieceOf = |v| v["piece_id"].as_str().map(str::to_string);
        merge_sorted_lines(&inputs, piece_of, |line, _| Ok(line), &out).expect("merges");
        let merged: Vec<String> = fs::read_to_string(&out)
            .expect("reads")
            .lines()
            .map(|l| l.trim_start_matches("{\"piece_id\":\"").trim_end_matches("\"}").to_string())
            .collect();
        assert_eq!(merged, ["p1", "p1", "p2", "p3", "p3", "p4"]);
        let names: Vec<String> =
            fs::read_dir(dir.path()).expect("lists").map(|e| e.expect("entry").file_name().to_string_lossy().into()).collect();
        assert!(names.iter().all(|name| !name.contains(crate::output::TEMP_MARKER)), "{names:?}");
    }

    #[test]
    fn a_shards_clip_audio_is_named_from_the_datasets_clips_file() {
        let output = Path::new("/data/out");
        let shard = output.join(".prep/shards/run-0001-of-0004");
        assert_eq!(shard_of(&shard.join(".prep/clips.jsonl"), Path::new(".prep/clips.jsonl")), shard);
        let clip = |audio: &str| {
            format!(
                r#"{{"id":"demo/03/0001","piece_id":"demo/03","source":"demo","split":"train","index":1,"start_s":25.0,"end_s":50.0,"audio":{{"path":"{audio}","start_s":25.0,"end_s":50.0}},"abc":"X:1","tempo_bpm":120.0,"metre":"4/4","key":"C","instruments":["Violin"],"note_count":3}}"#
            )
        };
        let path_of = |line: &str| serde_json::from_str::<Clip>(line).expect("a clip").audio.expect("audio").path;
        let rebased = rebase_clip_audio(clip("../../../../audio/03.wav"), &shard, output).expect("rebased");
        assert_eq!(path_of(&rebased), Path::new("../audio/03.wav"));
        let elsewhere = clip("/corpora/urmp/03.wav");
        assert_eq!(rebase_clip_audio(elsewhere.clone(), &shard, output).expect("kept"), elsewhere);
        let error = rebase_clip_audio(clip("../../../../../x.wav"), &shard, output).unwrap_err();
        assert!(format!("{error:#}").contains("outside /data/out"), "{error:#}");
    }
}
