//! `prep run PIPELINE.yaml`: a whole dataset from one file, resumable after a crash.
//!
//! Stages: list the source's pieces (cheap) -> per piece, in parallel: materialize (the
//! demo renders its audio), load, quantize (inferring what the source did not state),
//! cut into clips with their ABC, make Q&A pairs -> collect the per-piece records in
//! piece order -> write the Parquet shards, the chat export and the dataset card
//! (`shards`).
//!
//! The embedding model, when the pipeline has an `embeddings` section, is loaded before
//! any stage starts: missing weights (offline, say) fail the run in its first second,
//! not after the pieces and shards.
//!
//! Resuming: each piece's records are kept in the resume store (`crate::store`) under
//! `OUTPUT/.prep/pieces/`, keyed by the piece's input files (their bytes), its split and
//! every setting that shapes the records. A re-run, or a run after a SIGKILL at any
//! moment, skips pieces whose records are stored and sound and redoes the rest (a damaged
//! entry is named in a note and recomputed); files are written under temporary names and
//! renamed, and temporary files a killed run left behind are removed at the start.
//! Collecting and sharding are deterministic and cheap next to the per-piece work, so
//! they are simply redone; the result is byte for byte the dataset of a clean run.
//! Nothing here prints but the progress bar: the summary goes back to the caller.
//!
//! Sharded (`Pipeline::partition`, one task of a job array): the run lists every piece
//! (cheap; the split needs them all), keeps and materializes only those whose id hashes
//! to its shard, and writes everything (Parquet, chat files, clip audio, records, resume
//! store) into its own folder `OUTPUT/.prep/shards/run-IIII-of-NNNN/`, with a
//! `done.json` marker last; it cleans only its own folder, never the shared one. The
//! demo source's whole-piece audio still goes to the shared `OUTPUT/audio` (one file per
//! piece, so no two tasks write the same file), so the clip records point where a
//! single-process run's do. `prep merge` assembles the shards (`crate::scale`).

pub mod config;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use config::Pipeline;

use crate::analysis::prepare;
use crate::clips::{Clip, cut_piece};
use crate::datasets::demo::DemoSource;
use crate::datasets::folder::{Folder, FolderOptions};
use crate::datasets::musicnet::{MusicNet, MusicNetOptions};
use crate::datasets::split::SplitOptions;
use crate::datasets::urmp::{Urmp, UrmpOptions};
use crate::datasets::{PieceRef, Problem, Source};
use crate::embed::table::{self, EmbedOptions};
use crate::output::{Progress, TempFolder, remove_stale_temp_files, write_atomically};
use crate::qa::{QaPair, Templates, pairs_for_clip};
use crate::scale::{Partition, ShardRun, Stage};
use crate::shards::build::{self, ShardsOptions};
use crate::store::{Key, KeyHasher, Store, file_hash};
use config::SourceKind;

/// What a run did.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub pieces: usize,
    /// Pieces whose records were already there (resumed).
    pub reused: usize,
    pub clips: usize,
    pub pairs: usize,
    /// Rows of the embeddings table (0 without an `embeddings` section).
    pub embedded: usize,
    pub problems: Vec<Problem>,
    /// Damaged store entries that were recomputed.
    pub notes: Vec<String>,
    pub dataset: PathBuf,
}

/// One piece's records, as stored between stages.
#[derive(Debug, Serialize, Deserialize)]
struct PieceRecords {
    clips: Vec<Clip>,
    pairs: Vec<QaPair>,
}

/// Runs a pipeline; problems with single pieces are collected, not fatal.
pub fn run(pipeline: &Pipeline) -> Result<RunSummary> {
    let shard = pipeline.partition.map(|partition| shard_run(pipeline, partition)).transpose()?;
    let out = &shard.as_ref().map_or_else(|| pipeline.output.clone(), |shard| shard.dir().to_path_buf());
    let work = out.join(".prep");
    // The model first: weights that cannot be found stop the run before any work.
    let embedding = match &pipeline.embeddings {
        Some(embeddings) => {
            let options = EmbedOptions {
                input: work.join("clips.jsonl"),
                embedder: embeddings.spec(),
                out: Some(out.clone()),
                clip_length_s: pipeline.clips.length_s,
                batch_size: embeddings.batch_size.get(),
                shard: pipeline.shard_options(),
                partition: None,
            };
            table::check(&options)?;
            let embedder = options.embedder.build().context("loading the embedding model")?;
            Some((options, embedder))
        }
        None => None,
    };
    fs::create_dir_all(&work).with_context(|| format!("creating the output folder {}", work.display()))?;
    // What a killed run (of this version or an earlier one) was writing when it died.
    let folders = [
        (out.clone(), TempFolder::Shared),
        (work.clone(), TempFolder::PrepOnly),
        (work.join("pieces"), TempFolder::PrepOnly),
        (out.join("audio"), TempFolder::PrepOnly),
    ];
    for (dir, folder) in folders {
        remove_stale_temp_files(&dir, folder)?;
    }
    let source = open_source(pipeline)?;
    let (mut pieces, mut problems) = source.list().with_context(|| format!("listing the {} source", source.name()))?;
    pieces.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(partition) = pipeline.partition {
        pieces.retain(|piece| partition.contains(&piece.id));
    }
    let templates = Templates::load(pipeline.qa.templates.as_deref())?;
    let settings = settings_hash(pipeline)?;
    let store = Store::open(&work.join("pieces"))?;

    let progress = Progress::new(pieces.len() as u64, "pieces");
    let outcomes: Vec<Result<(Key, bool), Problem>> = pieces
        .par_iter()
        .map(|piece| {
            let outcome = source.materialize(piece).and_then(|()| piece_key(piece, &settings)).and_then(|key| {
                let reused = stored_records(&store, &key, &piece.id)?.is_some();
                if !reused {
                    let records = piece_records(source.as_ref(), piece, pipeline, &templates)?;
                    store.put(&key, &piece.id, serde_json::to_string(&records)?.as_bytes())?;
                }
                Ok((key, reused))
            });
            progress.inc();
            outcome.map_err(|error| Problem { item: format!("{}/{}", source.name(), piece.id), message: format!("{error:#}") })
        })
        .collect();
    progress.finish();

    let mut summary = RunSummary { pieces: pieces.len(), dataset: out.clone(), ..RunSummary::default() };
    let mut stored = Vec::new();
    for (piece, outcome) in pieces.iter().zip(outcomes) {
        match outcome {
            Ok((key, reused)) => {
                summary.reused += usize::from(reused);
                stored.push((key, piece.id.as_str()));
            }
            Err(problem) => problems.push(problem),
        }
    }
    let clips_path = work.join("clips.jsonl");
    let qa_path = work.join("qa.jsonl");
    let (clips, pairs) = collect(&store, &stored, &absolute(&pipeline.output)?, &clips_path, &qa_path)?;
    store.retain_used()?;
    summary.clips = clips;
    summary.pairs = pairs;
    summary.notes = store.take_notes();

    let options = ShardsOptions {
        clips: clips_path,
        qa: Some(qa_path),
        out: out.clone(),
        title: pipeline.title.clone(),
        recipe: Some(yaml_serde::to_string(pipeline).context("writing the pipeline as YAML for the card")?),
        shard: pipeline.shard_options(),
    };
    let written = build::run(&options)?;
    problems.extend(written.problems);
    // A shard can hold no piece at all (more shards than pieces): nothing to embed.
    if let Some((options, embedder)) = &embedding
        && summary.clips > 0
    {
        let embedded = table::run_with(embedder.as_ref(), options)?;
        summary.embedded = embedded.clips;
        problems.extend(embedded.problems);
        summary.notes.extend(embedded.notes);
    }
    summary.problems = problems;
    if let Some(shard) = &shard {
        shard.finish(summary.pieces)?;
    }
    Ok(summary)
}

/// Starts this task's shard of the job: its own output folder under the pipeline's, and
/// the fingerprint of every setting that shapes a shard (`crate::scale`).
fn shard_run(pipeline: &Pipeline, partition: Partition) -> Result<ShardRun> {
    let settings = serde_json::json!({
        "records": settings_hash(pipeline)?,
        "title": pipeline.title,
        "shards": pipeline.shards,
        "embeddings": pipeline.embeddings,
    });
    ShardRun::begin(&pipeline.output, Stage::Run, partition, &settings)
}

fn open_source(pipeline: &Pipeline) -> Result<Box<dyn Source>> {
    let splits = pipeline.splits;
    let split = SplitOptions { seed: splits.seed, test_fraction: splits.test, validation_fraction: splits.validation };
    let source = &pipeline.source;
    let path = || absolute(source.path.as_deref().unwrap_or(Path::new(".")));
    Ok(match source.kind {
        SourceKind::Demo => {
            let audio = absolute(&pipeline.output.join("audio"))?;
            let demo = DemoSource::new(source.pieces.unwrap_or(12), source.seed.unwrap_or(0), audio);
            Box::new(DemoSource { split, ..demo })
        }
        SourceKind::Urmp => Box::new(Urmp::new(
            path()?,
            UrmpOptions { seed: splits.seed, validation_fraction: splits.validation },
        )),
        SourceKind::Musicnet => Box::new(MusicNet::new(
            path()?,
            MusicNetOptions { seed: splits.seed, validation_fraction: splits.validation },
        )),
        SourceKind::Folder => Box::new(Folder::new(
            path()?,
            FolderOptions { split, allow_missing_audio: source.allow_missing_audio.unwrap_or(false) },
        )),
    })
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

/// Everything in the pipeline that shapes a piece's records, hashed with prep's build
/// (`version::BUILD`).
fn settings_hash(pipeline: &Pipeline) -> Result<String> {
    let shaping = serde_json::json!({
        "version": crate::version::BUILD,
        "source": pipeline.source,
        "splits": pipeline.splits,
        "quantize": pipeline.quantize.to_string(),
        "clips": pipeline.clips,
        "abc": pipeline.abc,
        "qa": pipeline.qa,
        "templates": match &pipeline.qa.templates {
            Some(path) => fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            None => String::new(),
        },
    });
    Ok(blake3::hash(shaping.to_string().as_bytes()).to_hex().to_string())
}

/// A piece's key in the store: the settings, the piece's id and split and the bytes of
/// its input files.
fn piece_key(piece: &PieceRef, settings: &str) -> Result<Key> {
    let mut key = KeyHasher::new("piece");
    key.text(settings).text(&piece.id).text(piece.split.name());
    for file in &piece.files {
        key.hash(&file_hash(file)?);
    }
    Ok(key.key())
}

/// A piece's stored records, when they are there and read (a note says when they do
/// not, and the piece is made again).
fn stored_records(store: &Store, key: &Key, id: &str) -> Result<Option<PieceRecords>> {
    let Some(bytes) = store.get(key, id)? else { return Ok(None) };
    match serde_json::from_slice(&bytes) {
        Ok(records) => Ok(Some(records)),
        Err(error) => {
            store.note(format!("piece {id}: its records in {} do not read ({error}); made again", store.dir().display()));
            Ok(None)
        }
    }
}

/// Loads, quantizes, cuts and questions one piece.
fn piece_records(source: &dyn Source, piece: &PieceRef, pipeline: &Pipeline, templates: &Templates) -> Result<PieceRecords> {
    let mut loaded = source.load(piece)?;
    let (score, report) = prepare(&loaded.score, pipeline.quantize, loaded.stated)?;
    loaded.score = score;
    let mut clip_options = pipeline.clip_options();
    clip_options.abc.polyphony = pipeline.abc.polyphony.resolve(&report);
    let clips = cut_piece(&loaded, &clip_options)?;
    let pairs = clips.iter().flat_map(|clip| pairs_for_clip(clip, templates, pipeline.qa.seed)).collect();
    Ok(PieceRecords { clips, pairs })
}

/// Concatenates the stored records, in piece order, into the clips and Q&A JSONL files
/// (each written atomically). Returns the numbers of clips and pairs. Audio inside the
/// dataset folder `root` (the demo's) is named relative to the clips file's folder
/// (`../audio/00.wav`, as its readers resolve it; from a shard's folder
/// `../../../../audio/00.wav`, which `prep merge` rebases), so the folder can be moved;
/// audio elsewhere (a URMP or MusicNet copy) keeps its absolute path.
fn collect(
    store: &Store,
    stored: &[(Key, &str)],
    root: &Path,
    clips_path: &Path,
    qa_path: &Path,
) -> Result<(usize, usize)> {
    let clips_dir = absolute(clips_path.parent().context("the clips file has a folder")?)?;
    let up: PathBuf = match clips_dir.strip_prefix(root) {
        Ok(below) => below.components().map(|_| Path::new("..")).collect(),
        Err(_) => bail!("{} is not inside the dataset folder {}", clips_dir.display(), root.display()),
    };
    let (mut clips, mut qa) = (Vec::new(), Vec::new());
    let (mut clip_count, mut pair_count) = (0, 0);
    for (key, id) in stored {
        let records = stored_records(store, key, id)?
            .with_context(|| format!("the records of piece {id} vanished from {}", store.dir().display()))?;
        for mut clip in records.clips.iter().cloned() {
            if let Some(audio) = &mut clip.audio
                && let Ok(inside) = audio.path.strip_prefix(root)
            {
                audio.path = up.join(inside);
            }
            writeln!(clips, "{}", serde_json::to_string(&clip)?)?;
        }
        for pair in &records.pairs {
            writeln!(qa, "{}", serde_json::to_string(pair)?)?;
        }
        clip_count += records.clips.len();
        pair_count += records.pairs.len();
    }
    write_atomically(clips_path, &clips)?;
    write_atomically(qa_path, &qa)?;
    Ok((clip_count, pair_count))
}
