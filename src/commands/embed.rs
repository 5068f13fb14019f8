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

use anyhow::{Context, Result, bail};
use half::f16;
use rayon::prelude::*;

use crate::clips::Clip;
use crate::datasets::{Problem, Split};
use crate::embed::pool::Pooled;
use crate::embed::window::clip_audio;
use crate::embed::{Device, Embedder, Frames, Model, Pooling, pool};
use crate::jsonl;
use crate::output::{Progress, write_atomically};
use crate::shards::{EmbeddingRow, ShardOptions, ShardWriter, TableFiles};

/// Everything `prep embed` needs.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// A dataset folder, its `.prep/clips.jsonl`, or a folder of audio files.
    pub input: PathBuf,
    pub model: Model,
    /// The layer, for models that have layers.
    pub layer: Option<u32>,
    pub pooling: Pooling,
    /// The dataset folder to write `data/embeddings/` in (default: see the module docs).
    pub out: Option<PathBuf>,
    pub device: Device,
    /// Nominal clip length: shorter clips are padded to it, audio files cut into it.
    pub clip_length_s: f64,
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
    if options.model == Model::Mel && options.device != Device::Cpu {
        bail!("--device {}: the mel model runs on the CPU only (use --device cpu)", options.device);
    }
    if !(options.clip_length_s.is_finite() && options.clip_length_s > 0.0) {
        bail!(
            "clip length must be a positive number of seconds, got {}",
            options.clip_length_s
        );
    }
    let embedder = options.model.build(options.layer)?;
    let (items, out) = items(options)?;
    let cache = Cache::new(&out, embedder.as_ref(), options)?;
    let mut writer = ShardWriter::<EmbeddingRow>::new(&out, options.shard)?;
    let (mut clips, mut reused, mut problems) = (0, 0, Vec::new());
    let progress = Progress::new(items.len() as u64, "embed");
    let chunk_size = 2 * rayon::current_num_threads();
    for chunk in items.chunks(chunk_size) {
        let done: Vec<Summary> = chunk
            .par_iter()
            .map(|item| {
                let done = embed_item(item, embedder.as_ref(), &cache, options);
                progress.inc();
                done
            })
            .collect();
        for item in done {
            clips += item.rows.len();
            reused += item.reused;
            problems.extend(item.problems);
            for row in item.rows {
                writer.push(row)?;
            }
        }
    }
    progress.finish();
    cache.remove_unused()?;
    Ok(EmbedSummary {
        table: writer.finish()?,
        clips,
        reused,
        problems,
    })
}

/// One unit of parallel work.
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

/// Rows made, clips reused, problems met.
#[derive(Default)]
struct Summary {
    rows: Vec<EmbeddingRow>,
    reused: usize,
    problems: Vec<Problem>,
}

/// The clip to embed: where its audio is and what its row is called.
struct Job<'a> {
    id: String,
    split: Split,
    path: &'a Path,
    start_s: f64,
    end_s: f64,
}

fn embed_item(item: &Item, embedder: &dyn Embedder, cache: &Cache, options: &EmbedOptions) -> Summary {
    let mut done = Summary::default();
    match item {
        Item::Clip(clip) => {
            let Some(span) = &clip.audio else { return done };
            let job = Job {
                id: clip.id.clone(),
                split: clip.split,
                path: &span.path,
                start_s: span.start_s,
                end_s: span.end_s,
            };
            match embed_job(&job, embedder, cache, options) {
                Ok((_, stored)) if stored.audio_samples == 0 => {
                    done.problems
                        .push(problem(&job, "the recording ends before the clip starts".into()));
                }
                Ok((reused, stored)) => done.push(&job, embedder, stored, reused),
                Err(e) => done.problems.push(problem(&job, format!("{e:#}"))),
            }
        }
        Item::File { path, id } => {
            for index in 0u32.. {
                let start_s = f64::from(index) * options.clip_length_s;
                let id = format!("{id}/{index:04}");
                let job = Job {
                    id,
                    split: Split::Train,
                    path,
                    start_s,
                    end_s: start_s + options.clip_length_s,
                };
                match embed_job(&job, embedder, cache, options) {
                    Ok((_, stored)) if stored.audio_samples == 0 => {
                        if index == 0 {
                            done.problems.push(problem(&job, "the file holds no audio".into()));
                        }
                        break;
                    }
                    Ok((reused, stored)) => {
                        let is_last = stored.audio_samples < stored.padded_samples;
                        done.push(&job, embedder, stored, reused);
                        if is_last {
                            break;
                        }
                    }
                    Err(e) => {
                        done.problems.push(problem(&job, format!("{e:#}")));
                        break;
                    }
                }
            }
        }
    }
    done
}

impl Summary {
    fn push(&mut self, job: &Job, embedder: &dyn Embedder, stored: Stored, reused: bool) {
        self.reused += usize::from(reused);
        self.rows.push(EmbeddingRow {
            clip_id: job.id.clone(),
            split: job.split,
            model: embedder.name().to_string(),
            layer: embedder.layer(),
            frame_rate_hz: stored.rate_hz,
            dim: stored.dim,
            provenance: embedder.provenance(),
            frames: stored.frames,
        });
    }
}

fn problem(job: &Job, message: String) -> Problem {
    Problem {
        item: job.id.clone(),
        message: format!("{}: {message}", job.path.display()),
    }
}

/// One clip's pooled frames (from the cache or fresh) and whether they were cached.
fn embed_job(job: &Job, embedder: &dyn Embedder, cache: &Cache, options: &EmbedOptions) -> Result<(bool, Stored)> {
    if !job.path.is_file() {
        bail!("the audio file is missing");
    }
    let path = cache.path(job)?;
    if let Some(stored) = Stored::read(&path)? {
        cache.keep(path);
        return Ok((true, stored));
    }
    let rate = embedder.grid().sample_rate;
    let audio = clip_audio(job.path, job.start_s, job.end_s, options.clip_length_s, rate)?;
    let stored = if audio.audio_samples == 0 {
        Stored {
            dim: embedder.width() as u32,
            rate_hz: 0.0,
            audio_samples: 0,
            padded_samples: 0,
            frames: Vec::new(),
        }
    } else {
        let native = embedder.embed(&audio.samples)?;
        let Pooled {
            frames: Frames { dim, values },
            rate_hz,
        } = pool(&native, embedder.grid(), audio.samples.len(), options.pooling)?;
        Stored {
            dim: dim as u32,
            rate_hz,
            audio_samples: audio.audio_samples as u64,
            padded_samples: audio.samples.len() as u64,
            frames: values.into_iter().map(f16::from_f32).collect(),
        }
    };
    write_atomically(&path, &stored.to_bytes())?;
    cache.keep(path);
    Ok((false, stored))
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
        let pooling = format!("{:?}", options.pooling).to_lowercase();
        let name = format!("{}-{}-{pooling}", embedder.name(), embedder.layer());
        let settings = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "model": embedder.name(),
            "layer": embedder.layer(),
            "pooling": pooling,
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
        let file_hash = self.file_hash(job.path)?;
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
