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
//! - (run) `chat.jsonl`, `.prep/clips.jsonl` and `.prep/qa.jsonl` are merged line by line
//!   in piece order (each shard's lines are in piece order, and a piece lives in one
//!   shard), which is the order and the bytes of a single-process run;
//! - the manifest gets the merged tables (rows summed, clip statistics summed) and the
//!   card is rendered from it;
//! - each shard's `done.json` becomes `merged.json`.
//!
//! Idempotent: a stage whose shards are all merged is left as it is. A merge killed half
//! way resumes: the planned renames are written to `.prep/merge-<stage>.json` before the
//! first one, and a re-run with the same plan accepts files already at their target.
//! The row order inside the Parquet files is the shards' (shard 0's pieces first): the
//! same rows as a single-process run, compared by id.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use super::Partition;
use super::staging::{ShardState, Stage, mark_merged, parse_shard_dir, shard_state, shards_root};
use crate::datasets::Split;
use crate::output::write_atomically;
use crate::shards::card::ClipStats;
use crate::shards::manifest::Manifest;
use crate::shards::writer::{config_dir, shard_name};
use crate::shards::{SplitFiles, TableFiles};
use crate::store::remove_temporary_files;

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
    /// Parquet files renamed into the dataset.
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
        let states = checked_states(output, stage, &shards)?;
        let dirs: Vec<PathBuf> = shards.into_iter().map(|(_, dir)| dir).collect();
        if states.iter().all(|state| matches!(state, ShardState::Merged(_))) {
            summary.stages.push(StageMerge {
                stage,
                shards: dirs.len(),
                already_merged: true,
                files: 0,
                rows: BTreeMap::new(),
            });
            continue;
        }
        summary.stages.push(merge_stage(output, stage, &dirs)?);
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
/// consistent; otherwise why not, naming the shards.
fn checked_states(output: &Path, stage: Stage, shards: &[(Partition, PathBuf)]) -> Result<Vec<ShardState>> {
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
    for state in &states {
        if let ShardState::Done(marker) | ShardState::Merged(marker) = state {
            by_fingerprint.entry(&marker.fingerprint).or_default().push(marker.partition.index.to_string());
        }
    }
    if by_fingerprint.len() > 1 {
        let groups: Vec<String> = by_fingerprint
            .iter()
            .map(|(fingerprint, shards)| format!("shard {} (settings {})", shards.join(", "), &fingerprint[..12]))
            .collect();
        bail!(
            "{cannot}: its shards were made with other settings or another prep version: {}; \
             re-run the odd ones with the job's pipeline",
            groups.join(" vs ")
        );
    }
    let merged = states.iter().filter(|s| matches!(s, ShardState::Merged(_))).count();
    if merged > 0 && merged < states.len() {
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

fn merge_stage(output: &Path, stage: Stage, dirs: &[PathBuf]) -> Result<StageMerge> {
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
    let mut moves = Vec::new();
    let mut merged_tables = Vec::new();
    for (config, parts) in &tables {
        let (table, table_moves) = plan_table(output, config, parts, dirs)?;
        moves.extend(table_moves);
        merged_tables.push(table);
    }
    let journal = output.join(".prep").join(format!("merge-{}.json", stage.name()));
    let resuming = read_journal(&journal)?.is_some_and(|planned| planned == moves);
    write_atomically(&journal, &serde_json::to_vec_pretty(&moves)?)?;
    for step in &moves {
        apply(step, resuming)?;
    }
    for table in &merged_tables {
        remove_stale(&config_dir(output, &table.config), table)?;
    }
    if stage == Stage::Run {
        merge_records(output, dirs)?;
        remove_temporary_files(&output.join("audio"))?;
    }
    let title = manifests.first().map(|m| m.title.clone()).unwrap_or_default();
    let mut manifest = Manifest::load_or_new(output, &title)?;
    if stage == Stage::Run {
        manifest.title = title;
        manifest.stats = manifests.iter().fold(ClipStats::default(), |mut stats, m| {
            stats.absorb(&m.stats);
            stats
        });
    }
    for table in &merged_tables {
        manifest.record(table);
    }
    manifest.save(output)?;
    for dir in dirs {
        mark_merged(dir)?;
    }
    fs::remove_file(&journal).with_context(|| format!("removing {}", journal.display()))?;
    let rows = merged_tables.iter().map(|t| (t.config.clone(), t.splits.values().map(|s| s.rows).sum())).collect();
    Ok(StageMerge { stage, shards: dirs.len(), already_merged: false, files: moves.len(), rows })
}

/// The merged table of one config and the renames that make it: files numbered across
/// the shards, split by split, in shard order.
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
        let mut rows = 0;
        for (shard, table) in parts {
            let Some(files) = table.splits.get(&split) else { continue };
            rows += files.rows;
            for file in &files.files {
                let name = file.file_name().with_context(|| format!("{}: not a file name", file.display()))?;
                sources.push(config_dir(&dirs[*shard], config).join(name));
            }
        }
        let total = sources.len();
        let targets: Vec<PathBuf> = (0..total).map(|k| target_dir.join(shard_name(split, k, total))).collect();
        moves.extend(sources.into_iter().zip(&targets).map(|(from, to)| Move { from, to: to.clone() }));
        merged.insert(split, SplitFiles { rows, files: targets });
    }
    let first = &parts[0].1;
    Ok((TableFiles { config: config.to_string(), schema: first.schema.clone(), dims, splits: merged }, moves))
}

fn read_journal(path: &Path) -> Result<Option<Vec<Move>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Renames one file into the dataset; when resuming the same plan, a file already at its
/// target is fine.
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

/// Reads the id of the piece a JSONL record belongs to.
type PieceOf = fn(&serde_json::Value) -> Option<String>;

/// The run stage's JSONL records, merged in piece order.
fn merge_records(output: &Path, dirs: &[PathBuf]) -> Result<()> {
    let records: [(&str, PieceOf); 3] = [
        (".prep/clips.jsonl", |line| line["piece_id"].as_str().map(str::to_string)),
        (".prep/qa.jsonl", |line| line["clip_id"].as_str().and_then(|id| parent_id(id, 1))),
        ("chat.jsonl", |line| line["id"].as_str().and_then(|id| parent_id(id, 2))),
    ];
    for (relative, piece_of) in records {
        let inputs: Vec<PathBuf> = dirs.iter().map(|dir| dir.join(relative)).collect();
        merge_sorted_lines(&inputs, piece_of, &output.join(relative))?;
    }
    Ok(())
}

/// `id` without its last `levels` `/`-separated parts (`a/b/0001/kind`, 2 -> `a/b`).
fn parent_id(id: &str, levels: usize) -> Option<String> {
    let mut id = id;
    for _ in 0..levels {
        id = id.rsplit_once('/')?.0;
    }
    Some(id.to_string())
}

/// Merges JSONL files each sorted by `key` into `out` (atomically), streaming: a line
/// per input in memory. Equal keys keep input order.
fn merge_sorted_lines(inputs: &[PathBuf], key: PieceOf, out: &Path) -> Result<()> {
    let mut readers = inputs
        .iter()
        .map(|path| File::open(path).map(|f| BufReader::new(f).lines()).with_context(|| format!("opening {}", path.display())))
        .collect::<Result<Vec<_>>>()?;
    let mut current: Vec<Option<String>> = vec![None; inputs.len()];
    let mut heap = BinaryHeap::new();
    let mut advance = |index: usize, heap: &mut BinaryHeap<Reverse<(String, usize)>>, current: &mut Vec<Option<String>>| -> Result<()> {
        let path = &inputs[index];
        for line in readers[index].by_ref() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value =
                serde_json::from_str(&line).with_context(|| format!("{}: a line that is not JSON", path.display()))?;
            let piece = key(&value).with_context(|| format!("{}: a line without its piece's id", path.display()))?;
            heap.push(Reverse((piece, index)));
            current[index] = Some(line);
            break;
        }
        Ok(())
    };
    for index in 0..inputs.len() {
        advance(index, &mut heap, &mut current)?;
    }
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let temp = tempfile::NamedTempFile::new_in(parent).with_context(|| format!("creating a file in {}", parent.display()))?;
    let mut writer = BufWriter::new(temp);
    while let Some(Reverse((_, index))) = heap.pop() {
        if let Some(line) = current[index].take() {
            writeln!(writer, "{line}").with_context(|| format!("writing {}", out.display()))?;
        }
        advance(index, &mut heap, &mut current)?;
    }
    let temp = writer.into_inner().map_err(|e| anyhow!("writing {}: {}", out.display(), e.error()))?;
    temp.persist(out).with_context(|| format!("renaming the temporary file to {}", out.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_of_ids() {
        assert_eq!(parent_id("demo/03/0001", 1).as_deref(), Some("demo/03"));
        assert_eq!(parent_id("folder/a/b/0001/transcribe", 2).as_deref(), Some("folder/a/b"));
        assert_eq!(parent_id("x", 1), None);
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
        merge_sorted_lines(&inputs, |v| v["piece_id"].as_str().map(str::to_string), &out).expect("merges");
        let merged: Vec<String> = fs::read_to_string(&out)
            .expect("reads")
            .lines()
            .map(|l| l.trim_start_matches("{\"piece_id\":\"").trim_end_matches("\"}").to_string())
            .collect();
        assert_eq!(merged, ["p1", "p1", "p2", "p3", "p3", "p4"]);
    }
}
