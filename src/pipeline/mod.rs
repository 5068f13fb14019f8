//! `prep run PIPELINE.yaml`: a whole dataset from one file, resumable after a crash.
//!
//! Stages: list the source's pieces (cheap) -> per piece, in parallel: load, quantize
//! (inferring what the source did not state), cut into clips with their ABC, make Q&A
//! pairs -> collect the per-piece records in piece order -> write the Parquet shards
//! and the dataset card (`shards`).
//!
//! Resuming: each piece's records are stored under `OUTPUT/.prep/pieces/` by a key
//! that hashes the piece's input files (their bytes), its split and every setting that
//! shapes the records. A re-run, or a run after a SIGKILL at any moment, skips pieces
//! whose records exist and redoes the rest; files are written under temporary names and
//! renamed, so a killed run leaves no record that looks complete and is not. Collecting
//! and sharding are deterministic and cheap next to the per-piece work, so they are
//! simply redone; the result is byte for byte the dataset of a clean run.

pub mod config;

use std::fs::{self, File};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use config::Pipeline;

use crate::analysis::prepare;
use crate::clips::{Clip, cut_piece};
use crate::commands::embed::{self, EmbedOptions};
use crate::commands::shards::{self, ShardsOptions};
use crate::datasets::demo::DemoSource;
use crate::datasets::folder::{Folder, FolderOptions};
use crate::datasets::musicnet::{MusicNet, MusicNetOptions};
use crate::datasets::split::SplitOptions;
use crate::datasets::urmp::{Urmp, UrmpOptions};
use crate::datasets::{PieceRef, Problem, Source};
use crate::output::{Progress, write_atomically};
use crate::qa::{QaPair, Templates, chat_jsonl_line, pairs_for_clip};
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
    let started = Instant::now();
    let out = &pipeline.output;
    let work = out.join(".prep");
    fs::create_dir_all(&work).with_context(|| format!("creating the output folder {}", work.display()))?;
    let source = open_source(pipeline)?;
    let (mut pieces, mut problems) = source.list().with_context(|| format!("listing the {} source", source.name()))?;
    pieces.sort_by(|a, b| a.id.cmp(&b.id));
    let templates = Templates::load(pipeline.qa.templates.as_deref())?;
    let settings = settings_hash(pipeline)?;

    let progress = Progress::new(pieces.len() as u64, "pieces");
    let outcomes: Vec<Result<(PathBuf, bool), Problem>> = pieces
        .par_iter()
        .map(|piece| {
            let outcome = records_path(&work, piece, &settings).and_then(|path| {
                let reused = path.exists();
                if !reused {
                    let records = piece_records(source.as_ref(), piece, pipeline, &templates)?;
                    write_atomically(&path, serde_json::to_string(&records)?.as_bytes())?;
                }
                Ok((path, reused))
            });
            progress.inc();
            outcome.map_err(|error| Problem { item: format!("{}/{}", source.name(), piece.id), message: format!("{error:#}") })
        })
        .collect();
    progress.finish();

    let mut summary = RunSummary { pieces: pieces.len(), dataset: out.clone(), ..RunSummary::default() };
    let mut stored = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok((path, reused)) => {
                summary.reused += usize::from(reused);
                stored.push(path);
            }
            Err(problem) => problems.push(problem),
        }
    }
    let clips_path = work.join("clips.jsonl");
    let qa_path = work.join("qa.jsonl");
    let (clips, pairs) = collect(&stored, &clips_path, &qa_path, &out.join("chat.jsonl"))?;
    remove_unreferenced(&work.join("pieces"), &stored)?;
    summary.clips = clips;
    summary.pairs = pairs;

    let options = ShardsOptions {
        clips: clips_path,
        qa: Some(qa_path),
        out: out.clone(),
        title: pipeline.title.clone(),
        shard: pipeline.shard_options(),
    };
    let written = shards::run(&options)?;
    problems.extend(written.problems);
    if let Some(embeddings) = &pipeline.embeddings {
        let options = EmbedOptions {
            input: work.join("clips.jsonl"),
            embedder: embeddings.spec(),
            out: Some(out.clone()),
            clip_length_s: pipeline.clips.length_s,
            batch_size: embeddings.batch_size.get(),
            shard: pipeline.shard_options(),
        };
        let embedded = embed::run(&options)?;
        summary.embedded = embedded.clips;
        problems.extend(embedded.problems);
    }
    summary.problems = problems;
    eprintln!(
        "run: {} pieces ({} reused), {} clips, {} Q&A pairs, {} embedded clips, {} problems, \
         dataset in {} ({:.1} s)",
        summary.pieces,
        summary.reused,
        summary.clips,
        summary.pairs,
        summary.embedded,
        summary.problems.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
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

/// Everything in the pipeline that shapes a piece's records, hashed with prep's version.
fn settings_hash(pipeline: &Pipeline) -> Result<String> {
    let shaping = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
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

/// Where a piece's records go: keyed by the settings, the piece's split and the bytes
/// of its input files.
fn records_path(work: &Path, piece: &PieceRef, settings: &str) -> Result<PathBuf> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(settings.as_bytes());
    hasher.update(piece.id.as_bytes());
    hasher.update(piece.split.name().as_bytes());
    for file in &piece.files {
        let mut reader = File::open(file).with_context(|| format!("opening {}", file.display()))?;
        hasher.update_reader(&mut reader).with_context(|| format!("reading {}", file.display()))?;
    }
    let safe_id: String = piece.id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    Ok(work.join("pieces").join(format!("{safe_id}-{}.json", &hasher.finalize().to_hex()[..16])))
}

/// Loads, quantizes, cuts and questions one piece.
fn piece_records(source: &dyn Source, piece: &PieceRef, pipeline: &Pipeline, templates: &Templates) -> Result<PieceRecords> {
    let mut loaded = source.load(piece)?;
    let (score, _report) = prepare(&loaded.score, pipeline.quantize, loaded.stated)?;
    loaded.score = score;
    let clips = cut_piece(&loaded, &pipeline.clip_options())?;
    let pairs = clips.iter().flat_map(|clip| pairs_for_clip(clip, templates, pipeline.qa.seed)).collect();
    Ok(PieceRecords { clips, pairs })
}

/// Concatenates the stored records, in piece order, into the clips, Q&A and chat JSONL
/// files (each written atomically). Returns the numbers of clips and pairs.
fn collect(stored: &[PathBuf], clips_path: &Path, qa_path: &Path, chat_path: &Path) -> Result<(usize, usize)> {
    let (mut clips, mut qa, mut chat) = (Vec::new(), Vec::new(), Vec::new());
    let (mut clip_count, mut pair_count) = (0, 0);
    for path in stored {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let records: PieceRecords =
            serde_json::from_reader(BufReader::new(file)).with_context(|| format!("reading {}", path.display()))?;
        for clip in &records.clips {
            writeln!(clips, "{}", serde_json::to_string(clip)?)?;
        }
        for pair in &records.pairs {
            writeln!(qa, "{}", serde_json::to_string(pair)?)?;
            let audio = records.clips.iter().find(|c| c.id == pair.clip_id).and_then(|c| c.audio.as_ref());
            if let Some(span) = audio {
                // A W3C media-fragment reference to the clip's span of the recording.
                let reference = format!("{}#t={:.3},{:.3}", span.path.display(), span.start_s, span.end_s);
                writeln!(chat, "{}", chat_jsonl_line(pair, &reference))?;
            }
        }
        clip_count += records.clips.len();
        pair_count += records.pairs.len();
    }
    write_atomically(clips_path, &clips)?;
    write_atomically(qa_path, &qa)?;
    write_atomically(chat_path, &chat)?;
    Ok((clip_count, pair_count))
}

/// Removes stored records no longer referenced (older settings or inputs).
fn remove_unreferenced(dir: &Path, keep: &[PathBuf]) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else { return Ok(()) };
    for entry in entries {
        let path = entry.with_context(|| format!("listing {}", dir.display()))?.path();
        if !keep.contains(&path) {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}
