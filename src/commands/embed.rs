//! `prep embed`: the `embeddings` table of a dataset, one row per clip.
//!
//! Input, either:
//! - a dataset folder made by `prep run` (its `.prep/clips.jsonl` lists the clips and
//!   their audio spans), or that `clips.jsonl` itself; the table goes in the dataset
//!   folder. Clips without audio are skipped.
//! - any other folder: every audio file under it (wav, flac, mp3, ogg) is cut into
//!   windows of the clip length from 0 s, clip ids `<relative path>/<index:04>`, all in
//!   the train split; the table goes in that folder unless `out` says otherwise.
//!
//! Each clip's audio is cut at the model's rate in sample-exact agreement with its ABC
//! window (`crate::embed::window`), embedded, pooled and stored as float16.
//!
//! Resuming: each clip's pooled frames are cached under
//! `OUT/.prep/embeddings/<model>-<layer>-<pooling>/` by a key hashing the audio file's
//! bytes, the clip's id, split and span, and every setting that shapes the frames; a
//! re-run embeds only clips without a cache entry and rewrites the table from the cache.
//! A clip whose audio is missing or does not decode is reported with the file's name and
//! left out; the run goes on.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use half::f16;
use rayon::prelude::*;

use crate::clips::Clip;
use crate::datasets::{Problem, Split};
use crate::embed::pool::Pooled;
use crate::audio::frame_count;
use crate::embed::window::{ClipAudio, clip_audio};
use crate::embed::{Embedder, EmbedderSpec, Frames, Pooling, pool};
use crate::jsonl;
use crate::output::{Progress, write_atomically};
use crate::shards::manifest::Manifest;
use crate::shards::{EmbeddingRow, ShardOptions, ShardWriter, TableFiles};

/// Everything `prep embed` needs.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// A dataset folder, its `.prep/clips.jsonl`, or a folder of audio files.
    pub input: PathBuf,
    /// The model, its weights and where it runs.
    pub embedder: EmbedderSpec,
    /// The dataset folder to write `data/embeddings/` in (default: see the module docs).
    pub out: Option<PathBuf>,
    /// Nominal clip length: shorter clips are padded to it, audio files cut into it.
    pub clip_length_s: f64,
    /// Clips per forward pass, for models that batch (`Embedder::parallel_clips` false).
    pub batch_size: usize,
    pub shard: ShardOptions,
}

/// What `run` wrote and what went wrong per clip.
#[derive(Debug, Clone)]
pub struct EmbedSummary {
    pub table: TableFiles,
    pub clips: usize,
    /// Clips whose frames came from the cache.
    pub reused: usize,
    pub problems: Vec<Problem>,
}

/// Audio file extensions a folder input is searched for.
const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "flac", "mp3", "ogg"];

/// Writes the embeddings table.
pub fn run(options: &EmbedOptions) -> Result<EmbedSummary> {
    if !(options.clip_length_s.is_finite() && options.clip_length_s > 0.0) {
        bail!(
            "clip length must be a positive number of seconds, got {}",
            options.clip_length_s
        );
    }
    if options.batch_size == 0 {
        bail!("the batch size must be at least 1");
    }
    let embedder = options.embedder.build()?;
    let (items, out) = items(options)?;
    let mut problems = Vec::new();
    let jobs = jobs(&items, options.clip_length_s, &mut problems);
    let cache = Cache::new(&out, embedder.as_ref(), options)?;
    let mut writer = ShardWriter::<EmbeddingRow>::new(&out, options.shard)?;
    let (mut clips, mut reused) = (0, 0);
    let progress = Progress::new(jobs.len() as u64, "embed");
    let chunk_size = if embedder.parallel_clips() {
        2 * rayon::current_num_threads()
    } else {
        options.batch_size
    };
    for chunk in jobs.chunks(chunk_size) {
        for (job, outcome) in chunk.iter().zip(embed_chunk(chunk, embedder.as_ref(), &cache, options)) {
            progress.inc();
            match outcome {
                Ok((_, stored)) if stored.audio_samples == 0 => {
                    problems.push(problem(job, "the recording ends before the clip starts".into()));
                }
                Ok((was_cached, stored)) => {
                    clips += 1;
                    reused += usize::from(was_cached);
                    writer.push(row(job, embedder.as_ref(), stored))?;
                }
                Err(e) => problems.push(problem(job, format!("{e:#}"))),
            }
        }
    }
    progress.finish();
    cache.remove_unused()?;
    let table = writer.finish()?;
    let mut manifest = Manifest::load_or_new(&out, "prep embeddings")?;
    manifest.record(&table);
    manifest.save(&out)?;
    Ok(EmbedSummary {
        table,
        clips,
        reused,
        problems,
    })
}

/// One unit of input.
enum Item {
    /// A clip of a dataset, its audio path resolved.
    Clip(Clip),
    /// An audio file to cut into windows.
    File { path: PathBuf, id: String },
}

/// The work items and the dataset folder to write.
fn items(options: &EmbedOptions) -> Result<(Vec<Item>, PathBuf)> {
    let input = &options.input;
    let clips_file = if input.is_file() {
        Some(input.clone())
    } else {
        Some(input.join(".prep").join("clips.jsonl")).filter(|p| p.is_file())
    };
    match clips_file {
        Some(clips_file) => {
            let base = clips_file.parent().unwrap_or(Path::new(".")).to_path_buf();
            let dataset = match base.file_name() {
                Some(name) if name == ".prep" => base.parent().unwrap_or(Path::new(".")).to_path_buf(),
                _ => base.clone(),
            };
            let mut items = Vec::new();
            for clip in jsonl::records::<Clip>(&clips_file)? {
                let mut clip = clip?;
                if let Some(span) = clip.audio.as_mut() {
                    span.path = base.join(&span.path);
                    items.push(Item::Clip(clip));
                }
            }
            Ok((items, options.out.clone().unwrap_or(dataset)))
        }
        None if input.is_dir() => Ok((
            audio_files(input)?,
            options.out.clone().unwrap_or_else(|| input.clone()),
        )),
        None => bail!(
            "{} is neither a dataset folder, a clips.jsonl nor a folder of audio",
            input.display()
        ),
    }
}

/// The audio files under `dir`, sorted, with their ids (relative path, no extension).
fn audio_files(dir: &Path) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let path = entry.path();
        let is_audio = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if entry.file_type().is_file() && is_audio {
            let relative = path.strip_prefix(dir).unwrap_or(path).with_extension("");
            let id = relative.to_string_lossy().replace('\\', "/");
            items.push(Item::File {
                path: path.to_path_buf(),
                id,
            });
        }
    }
    Ok(items)
}

/// The clip to embed: where its audio is and what its row is called.
struct Job {
    id: String,
    split: Split,
    path: PathBuf,
    start_s: f64,
    end_s: f64,
}

/// The clips to embed: a dataset's clips as they are, each audio file's windows of
/// `clip_length_s` from 0 s (its length read from its header, in parallel). A file that
/// cannot be read or holds no audio is a problem, and the run goes on.
fn jobs(items: &[Item], clip_length_s: f64, problems: &mut Vec<Problem>) -> Vec<Job> {
    let per_item: Vec<Result<Vec<Job>, Problem>> = items
        .par_iter()
        .map(|item| match item {
            Item::Clip(clip) => Ok(clip
                .audio
                .iter()
                .map(|span| Job {
                    id: clip.id.clone(),
                    split: clip.split,
                    path: span.path.clone(),
                    start_s: span.start_s,
                    end_s: span.end_s,
                })
                .collect()),
            Item::File { path, id } => file_windows(path, id, clip_length_s),
        })
        .collect();
    let mut jobs = Vec::new();
    for item in per_item {
        match item {
            Ok(item_jobs) => jobs.extend(item_jobs),
            Err(p) => problems.push(p),
        }
    }
    jobs
}

/// The windows of one audio file: `<id>/0000`, `<id>/0001`, ...; the last one padded.
fn file_windows(path: &Path, id: &str, clip_length_s: f64) -> Result<Vec<Job>, Problem> {
    let fail = |message: String| Problem {
        item: format!("{id}/0000"),
        message: format!("{}: {message}", path.display()),
    };
    let (frames, rate) = frame_count(path).map_err(|e| fail(format!("{e:#}")))?;
    if frames == 0 || rate == 0 {
        return Err(fail("the file holds no audio".into()));
    }
    let duration_s = frames as f64 / f64::from(rate);
    // A hair of tolerance so a file of exactly k windows does not get an empty k+1-th.
    let windows = ((duration_s / clip_length_s) - 1e-9).ceil().max(1.0) as u32;
    Ok((0..windows)
        .map(|index| {
            let start_s = f64::from(index) * clip_length_s;
            Job {
                id: format!("{id}/{index:04}"),
                split: Split::Train,
                path: path.to_path_buf(),
                start_s,
                end_s: start_s + clip_length_s,
            }
        })
        .collect())
}

fn row(job: &Job, embedder: &dyn Embedder, stored: Stored) -> EmbeddingRow {
    EmbeddingRow {
        clip_id: job.id.clone(),
        split: job.split,
        model: embedder.name().to_string(),
        layer: embedder.layer(),
        frame_rate_hz: stored.rate_hz,
        dim: stored.dim,
        provenance: embedder.provenance(),
        frames: stored.frames,
    }
}

fn problem(job: &Job, message: String) -> Problem {
    Problem {
        item: job.id.clone(),
        message: format!("{}: {message}", job.path.display()),
    }
}

/// Each job's pooled frames (from the cache or fresh) and whether they were cached, in the
/// order of `jobs`. Audio is read and decoded on all cores; the model then embeds the
/// clips one per thread, or in one batch when it prefers batches.
fn embed_chunk(jobs: &[Job], embedder: &dyn Embedder, cache: &Cache, options: &EmbedOptions) -> Vec<Result<(bool, Stored)>> {
    let prepared: Vec<Result<Prepared>> = jobs
        .par_iter()
        .map(|job| prepare(job, embedder, cache, options))
        .collect();
    let fresh: Vec<&ClipAudio> = prepared
        .iter()
        .filter_map(|p| match p {
            Ok(Prepared::Audio { audio, .. }) => Some(audio),
            _ => None,
        })
        .collect();
    let mut embedded = embed_clips(&fresh, embedder).into_iter();
    prepared
        .into_iter()
        .map(|prepared| match prepared? {
            Prepared::Cached(stored) => Ok((true, stored)),
            Prepared::Audio { audio, cache_path } => {
                let native = embedded.next().unwrap_or_else(|| Err(anyhow!("no frames for the clip")))?;
                let stored = store(&native, &audio, embedder, options.embedder.pooling)?;
                write_atomically(&cache_path, &stored.to_bytes())?;
                cache.keep(cache_path);
                Ok((false, stored))
            }
        })
        .collect()
}

/// A job before the model runs: its cached frames, or its audio and where to cache them.
enum Prepared {
    Cached(Stored),
    Audio { audio: ClipAudio, cache_path: PathBuf },
}

fn prepare(job: &Job, embedder: &dyn Embedder, cache: &Cache, options: &EmbedOptions) -> Result<Prepared> {
    if !job.path.is_file() {
        bail!("the audio file is missing");
    }
    let cache_path = cache.path(job)?;
    if let Some(stored) = Stored::read(&cache_path)? {
        cache.keep(cache_path);
        return Ok(Prepared::Cached(stored));
    }
    let rate = embedder.grid().sample_rate;
    let audio = clip_audio(&job.path, job.start_s, job.end_s, options.clip_length_s, rate)?;
    if audio.audio_samples == 0 {
        // Nothing to embed and nothing worth caching: the caller reports it.
        return Ok(Prepared::Cached(Stored {
            dim: embedder.width() as u32,
            rate_hz: 0.0,
            audio_samples: 0,
            padded_samples: 0,
            frames: Vec::new(),
        }));
    }
    Ok(Prepared::Audio { audio, cache_path })
}

/// The native frames of each clip, in order. A batch that fails is retried clip by clip,
/// so one bad clip does not take the others' frames with it.
fn embed_clips(clips: &[&ClipAudio], embedder: &dyn Embedder) -> Vec<Result<Frames>> {
    let one = |clip: &&ClipAudio| embedder.embed(&clip.samples);
    if embedder.parallel_clips() {
        return clips.par_iter().map(one).collect();
    }
    if clips.is_empty() {
        return Vec::new();
    }
    let samples: Vec<&[f32]> = clips.iter().map(|clip| clip.samples.as_slice()).collect();
    match embedder.embed_batch(&samples) {
        Ok(frames) if frames.len() == clips.len() => frames.into_iter().map(Ok).collect(),
        _ => clips.iter().map(one).collect(),
    }
}

/// A clip's native frames pooled and converted to float16.
fn store(native: &Frames, audio: &ClipAudio, embedder: &dyn Embedder, pooling: Pooling) -> Result<Stored> {
    let Pooled {
        frames: Frames { dim, values },
        rate_hz,
    } = pool(native, embedder.grid(), audio.samples.len(), pooling)?;
    Ok(Stored {
        dim: dim as u32,
        rate_hz,
        audio_samples: audio.audio_samples as u64,
        padded_samples: audio.samples.len() as u64,
        frames: values.into_iter().map(f16::from_f32).collect(),
    })
}

/// The per-clip cache of one model, layer and pooling.
struct Cache {
    dir: PathBuf,
    settings: String,
    /// blake3 of each audio file's bytes, computed once per run.
    file_hashes: Mutex<HashMap<PathBuf, String>>,
    /// Entries used by this run (the rest are removed at the end).
    used: Mutex<Vec<PathBuf>>,
}

impl Cache {
    fn new(out: &Path, embedder: &dyn Embedder, options: &EmbedOptions) -> Result<Self> {
        let spec = &options.embedder;
        let pooling = format!("{:?}", spec.pooling).to_lowercase();
        let name = format!("{}-{}-{pooling}", embedder.name(), embedder.layer());
        let settings = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "model": embedder.name(),
            "layer": embedder.layer(),
            "pooling": pooling,
            "weights": spec.weights,
            "dtype": spec.dtype.to_string(),
            "clip_length_s": options.clip_length_s,
        });
        Ok(Cache {
            dir: out.join(".prep").join("embeddings").join(name),
            settings: settings.to_string(),
            file_hashes: Mutex::default(),
            used: Mutex::default(),
        })
    }

    fn path(&self, job: &Job) -> Result<PathBuf> {
        let file_hash = self.file_hash(&job.path)?;
        let mut hasher = blake3::Hasher::new();
        for part in [&self.settings, &file_hash, &job.id, job.split.name()] {
            hasher.update(part.as_bytes());
            hasher.update(&[0]);
        }
        hasher.update(&job.start_s.to_le_bytes());
        hasher.update(&job.end_s.to_le_bytes());
        let safe_id: String = job
            .id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Ok(self
            .dir
            .join(format!("{safe_id}-{}.bin", &hasher.finalize().to_hex()[..16])))
    }

    fn file_hash(&self, path: &Path) -> Result<String> {
        if let Some(hash) = self
            .file_hashes
            .lock()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))?
            .get(path)
        {
            return Ok(hash.clone());
        }
        let mut reader = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut hasher = blake3::Hasher::new();
        hasher
            .update_reader(&mut reader)
            .with_context(|| format!("reading {}", path.display()))?;
        let hash = hasher.finalize().to_hex().to_string();
        if let Ok(mut hashes) = self.file_hashes.lock() {
            hashes.insert(path.to_path_buf(), hash.clone());
        }
        Ok(hash)
    }

    fn keep(&self, path: PathBuf) {
        if let Ok(mut used) = self.used.lock() {
            used.push(path);
        }
    }

    /// Removes entries this run did not use (older settings, changed audio, gone clips).
    fn remove_unused(&self) -> Result<()> {
        let used = self.used.lock().map_err(|_| anyhow::anyhow!("a worker panicked"))?;
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Ok(());
        };
        for entry in entries {
            let path = entry.with_context(|| format!("listing {}", self.dir.display()))?.path();
            if !used.contains(&path) {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            }
        }
        Ok(())
    }
}

/// A clip's pooled frames as cached: `PREPEMB1`, dim (u32), rate (f64), audio and padded
/// sample counts (u64), then the float16 values, all little-endian.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    dim: u32,
    rate_hz: f64,
    audio_samples: u64,
    padded_samples: u64,
    frames: Vec<f16>,
}

const MAGIC: &[u8; 8] = b"PREPEMB1";
const HEADER_BYTES: usize = 8 + 4 + 8 + 8 + 8;

impl Stored {
    fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + 2 * self.frames.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&self.dim.to_le_bytes());
        bytes.extend_from_slice(&self.rate_hz.to_le_bytes());
        bytes.extend_from_slice(&self.audio_samples.to_le_bytes());
        bytes.extend_from_slice(&self.padded_samples.to_le_bytes());
        for v in &self.frames {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes
    }

    /// The entry at `path`, or `None` if there is none or it is not one of ours.
    fn read(path: &Path) -> Result<Option<Self>> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let Some(header) = bytes.get(..HEADER_BYTES).filter(|h| h.starts_with(MAGIC)) else {
            return Ok(None);
        };
        let word = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default());
        let dim = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default());
        let body = &bytes[HEADER_BYTES..];
        if !body.len().is_multiple_of(2) {
            return Ok(None);
        }
        Ok(Some(Stored {
            dim,
            rate_hz: f64::from_bits(word(12)),
            audio_samples: word(20),
            padded_samples: word(28),
            frames: body.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]])).collect(),
        }))
    }
}
