//! The `embeddings` table of a dataset, one row per clip (`prep embed`, and `prep run`
//! with an `embeddings` section).
//!
//! Input (`crate::inputs`), one of:
//! - a dataset folder made by `prep run` (its `.prep/clips.jsonl` lists the clips and
//!   their audio spans), or a clips JSONL; the table goes in the dataset folder (the
//!   JSONL's folder, or the folder above `.prep/`). Clips without audio are skipped; a
//!   clip whose audio is a whole file is cut like an audio file, its windows named
//!   `<clip id>/<index:04>`;
//! - an audio file, or a folder searched for audio files (wav, flac, mp3, ogg): each
//!   file is cut into windows of the clip length from 0 s, clip ids `<relative path
//!   without the extension>/<index:04>`, all in the train split; the table goes in the
//!   folder (the file's folder) unless `out` says otherwise. Two files whose ids agree
//!   (`ok.wav` and `ok.flac`) are both reported and left out; a folder without audio is
//!   an error.
//!
//! Each clip's audio is cut at the model's rate in sample-exact agreement with its ABC
//! window (`crate::embed::window`), embedded, pooled and stored as float16.
//!
//! Resuming: each clip's pooled frames are kept in the resume store (`crate::store`)
//! under `OUT/.prep/embeddings/<model>-<layer>-<pooling>/`, keyed by the audio file's
//! bytes, the clip's id, split and span, and every setting that shapes the frames; a
//! re-run embeds only clips without a valid entry and rewrites the table from the store;
//! temporary files a killed run left in the dataset folder are removed first.
//! A clip whose audio is missing or does not decode is reported with the file's name and
//! left out; the run goes on. Nothing here prints.
//!
//! Sharded (`partition`, one GPU per task of a job array): only the clips whose id
//! hashes to the task's shard are embedded, into `OUT/.prep/shards/embed-IIII-of-NNNN/`
//! with its own store and a `done.json` marker written last; `prep merge OUT` renames the
//! shards' files into `OUT/data/embeddings/` (`crate::scale`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Result, anyhow, bail};
use half::f16;
use rayon::prelude::*;

use crate::audio::frame_count;
use crate::datasets::{Problem, Split};
use crate::embed::pool::Pooled;
use crate::embed::window::{ClipAudio, clip_audio};
use crate::embed::{Embedder, EmbedderSpec, Frames, Pooling, pool};
use crate::inputs::{self, AUDIO_EXTENSIONS, Audio, FileKind, Input};
use crate::output::{Progress, TempFolder, remove_stale_temp_files};
use crate::scale::{Partition, ShardRun, Stage};
use crate::shards::manifest::Manifest;
use crate::shards::{EmbeddingRow, ShardOptions, ShardWriter, TableFiles};
use crate::store::{Key, KeyHasher, Store, file_hash};

/// Everything the embeddings table needs.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// A dataset folder, a clips JSONL, an audio file or a folder of audio files.
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
    /// This task's shard of a job array: only the clips whose id hashes to it are
    /// embedded, into the shard's own folder (`crate::scale`), for `prep merge`.
    pub partition: Option<Partition>,
}

/// What `run` wrote and what went wrong per clip.
#[derive(Debug, Clone)]
pub struct EmbedSummary {
    pub table: TableFiles,
    pub clips: usize,
    /// Clips whose frames came from the store.
    pub reused: usize,
    pub problems: Vec<Problem>,
    /// Damaged store entries that were computed again.
    pub notes: Vec<String>,
}

/// Builds the model, then writes the embeddings table.
pub fn run(options: &EmbedOptions) -> Result<EmbedSummary> {
    check(options)?;
    let embedder = options.embedder.build()?;
    run_with(embedder.as_ref(), options)
}

/// Refuses options that cannot embed anything, before the model is loaded.
pub fn check(options: &EmbedOptions) -> Result<()> {
    if !(options.clip_length_s.is_finite() && options.clip_length_s > 0.0) {
        bail!("clip length must be a positive number of seconds, got {}", options.clip_length_s);
    }
    if options.batch_size == 0 {
        bail!("the batch size must be at least 1");
    }
    Ok(())
}

/// Writes the embeddings table with a model already built from `options.embedder`.
pub fn run_with(embedder: &dyn Embedder, options: &EmbedOptions) -> Result<EmbedSummary> {
    check(options)?;
    let (items, out, mut problems) = items(options)?;
    let mut jobs = jobs(&items, options.clip_length_s, &mut problems);
    let shard = match options.partition {
        Some(partition) => {
            jobs.retain(|job| partition.contains(&job.id));
            let settings = serde_json::json!({ "embedder": cache_settings(embedder, options), "input": options.input });
            Some(ShardRun::begin(&out, Stage::Embed, partition, &settings)?)
        }
        None => None,
    };
    // A shard writes only in its own folder; the shared one is the merge's.
    let out = shard.as_ref().map_or(out, |shard| shard.dir().to_path_buf());
    // What a killed run was writing when it died (the card, the manifest).
    for (dir, folder) in [(out.clone(), TempFolder::Shared), (out.join(".prep"), TempFolder::PrepOnly)] {
        remove_stale_temp_files(&dir, folder)?;
    }
    let cache = Cache::open(&out, embedder, options)?;
    let mut writer = ShardWriter::<EmbeddingRow>::new(&out, options.shard)?;
    let (mut clips, mut reused) = (0, 0);
    let progress = Progress::new(jobs.len() as u64, "embed");
    let chunk_size = if embedder.parallel_clips() { 2 * rayon::current_num_threads() } else { options.batch_size };
    for chunk in jobs.chunks(chunk_size) {
        for (job, outcome) in chunk.iter().zip(embed_chunk(chunk, embedder, &cache, options)) {
            progress.inc();
            match outcome {
                Ok((_, stored)) if stored.audio_samples == 0 => {
                    problems.push(problem(job, "the recording ends before the clip starts".into()));
                }
                Ok((was_cached, stored)) => {
                    clips += 1;
                    reused += usize::from(was_cached);
                    writer.push(row(job, embedder, stored))?;
                }
                Err(e) => problems.push(problem(job, format!("{e:#}"))),
            }
        }
    }
    progress.finish();
    cache.store.retain_used()?;
    let table = writer.finish()?;
    let mut manifest = Manifest::load_or_new(&out, "prep embeddings")?;
    manifest.record(&table);
    manifest.save(&out)?;
    if let Some(shard) = &shard {
        shard.finish(clips)?;
    }
    Ok(EmbedSummary { table, clips, reused, problems, notes: cache.store.take_notes() })
}

/// One unit of input.
enum Item {
    /// A span of a recording, from a clips JSONL.
    Span { id: String, split: Split, path: PathBuf, start_s: f64, end_s: f64 },
    /// An audio file to cut into windows.
    File { path: PathBuf, id: String, split: Split },
}

/// The work items, the dataset folder to write and the inputs that cannot be used.
fn items(options: &EmbedOptions) -> Result<(Vec<Item>, PathBuf, Vec<Problem>)> {
    let input = Input::detect(&options.input)?;
    let out = |default: &Path| options.out.clone().unwrap_or_else(|| default.to_path_buf());
    match &input {
        Input::Dataset(_) | Input::ClipsJsonl(_) => {
            let (clips, problems) = inputs::load_abc_clips(&input, Split::Train)?;
            let dataset = match &input {
                Input::Dataset(root) => root.clone(),
                _ => {
                    let base = options.input.parent().unwrap_or(Path::new("."));
                    match base.file_name() {
                        Some(name) if name == ".prep" => base.parent().unwrap_or(Path::new(".")).to_path_buf(),
                        _ => base.to_path_buf(),
                    }
                }
            };
            let items = clips
                .into_iter()
                .filter_map(|clip| match clip.audio? {
                    Audio::Span(span) => Some(Item::Span {
                        id: clip.id,
                        split: clip.split,
                        path: span.path,
                        start_s: span.start_s,
                        end_s: span.end_s,
                    }),
                    Audio::File(path) => Some(Item::File { path, id: clip.id, split: clip.split }),
                    Audio::Wav(_) | Audio::Url(_) => None,
                })
                .collect();
            Ok((items, out(&dataset), problems))
        }
        Input::Folder(dir) => {
            let found = inputs::files_under(dir, &AUDIO_EXTENSIONS)?;
            if found.is_empty() {
                bail!("no audio files ({}) under {}", AUDIO_EXTENSIONS.join(", "), dir.display());
            }
            let (found, problems) =
                inputs::unique_ids(found, |f| f.id().to_string(), |f| f.path.display().to_string());
            let items = found
                .into_iter()
                .map(|file| Item::File { id: file.id().to_string(), path: file.path, split: Split::Train })
                .collect();
            Ok((items, out(dir), problems))
        }
        Input::File(path, FileKind::Audio) => {
            let id = path.file_stem().map_or(String::new(), |stem| stem.to_string_lossy().into_owned());
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Ok((vec![Item::File { path: path.clone(), id, split: Split::Train }], out(folder), Vec::new()))
        }
        Input::File(path, _) => {
            bail!("{}: expected a dataset folder, a clips JSONL, an audio file or a folder of audio", path.display())
        }
    }
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
            Item::Span { id, split, path, start_s, end_s } => {
                Ok(vec![Job { id: id.clone(), split: *split, path: path.clone(), start_s: *start_s, end_s: *end_s }])
            }
            Item::File { path, id, split } => file_windows(path, id, *split, clip_length_s),
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
fn file_windows(path: &Path, id: &str, split: Split, clip_length_s: f64) -> Result<Vec<Job>, Problem> {
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
                split,
                path: path.to_path_buf(),
                start_s,
                end_s: start_s + clip_length_s,
            }
        })
        .collect())
}

fn row(job: &Job, embedder: &dyn Embedder, stored: Stored) -> EmbeddingRow {
    let frame_count = stored.frames.len() / stored.dim.max(1) as usize;
    EmbeddingRow {
        clip_id: job.id.clone(),
        split: job.split,
        model: embedder.name().to_string(),
        layer: embedder.layer(),
        frame_rate_hz: stored.rate_hz,
        dim: stored.dim,
        provenance: embedder.provenance(),
        valid_frames: valid_frames(frame_count, stored.rate_hz, stored.audio_samples, embedder.grid().sample_rate),
        frames: stored.frames,
    }
}

/// How many leading frames hold any of the clip's audio: frame `k` covers
/// `[k / rate_hz, (k + 1) / rate_hz)` seconds, and the clip's audio ends after
/// `audio_samples` samples at `sample_rate`; the frames after it cover only the zero
/// padding to the nominal clip length.
fn valid_frames(frame_count: usize, rate_hz: f64, audio_samples: u64, sample_rate: u32) -> u32 {
    let covered = (audio_samples as f64 * rate_hz / f64::from(sample_rate) - 1e-9).ceil().max(0.0);
    (covered as usize).min(frame_count) as u32
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
        .zip(jobs)
        .map(|(prepared, job)| match prepared? {
            Prepared::Cached(stored) => Ok((true, stored)),
            Prepared::Audio { audio, key } => {
                let native = embedded.next().unwrap_or_else(|| Err(anyhow!("no frames for the clip")))?;
                let stored = store(&native, &audio, embedder, options.embedder.pooling)?;
                cache.store.put(&key, &job.id, &stored.to_bytes())?;
                Ok((false, stored))
            }
        })
        .collect()
}

/// A job before the model runs: its cached frames, or its audio and where to cache them.
enum Prepared {
    Cached(Stored),
    Audio { audio: ClipAudio, key: Key },
}

fn prepare(job: &Job, embedder: &dyn Embedder, cache: &Cache, options: &EmbedOptions) -> Result<Prepared> {
    if !job.path.is_file() {
        bail!("the audio file is missing");
    }
    let key = cache.key(job)?;
    if let Some(stored) = cache.get(&key, job) {
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
    Ok(Prepared::Audio { audio, key })
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

/// Every setting that shapes a clip's frames.
fn cache_settings(embedder: &dyn Embedder, options: &EmbedOptions) -> serde_json::Value {
    let spec = &options.embedder;
    serde_json::json!({
        "model": embedder.name(),
        "layer": embedder.layer(),
        "pooling": format!("{:?}", spec.pooling).to_lowercase(),
        "weights": spec.weights,
        "dtype": spec.dtype.to_string(),
        "clip_length_s": options.clip_length_s,
    })
}

/// The per-clip store of one model, layer and pooling.
struct Cache {
    store: Store,
    settings: String,
    /// blake3 of each audio file's bytes, computed once per run.
    file_hashes: Mutex<HashMap<PathBuf, blake3::Hash>>,
}

impl Cache {
    fn open(out: &Path, embedder: &dyn Embedder, options: &EmbedOptions) -> Result<Self> {
        let pooling = format!("{:?}", options.embedder.pooling).to_lowercase();
        let name = format!("{}-{}-{pooling}", embedder.name(), embedder.layer());
        let settings = cache_settings(embedder, options);
        Ok(Cache {
            store: Store::open(&out.join(".prep").join("embeddings").join(name))?,
            settings: settings.to_string(),
            file_hashes: Mutex::default(),
        })
    }

    fn key(&self, job: &Job) -> Result<Key> {
        let file = self.file_hash(&job.path)?;
        let mut key = KeyHasher::new("embedding");
        key.text(&self.settings).hash(&file).text(&job.id).text(job.split.name());
        Ok(key.number(job.start_s).number(job.end_s).key())
    }

    /// The stored frames of `job`, when its entry is there and sound.
    fn get(&self, key: &Key, job: &Job) -> Option<Stored> {
        let bytes = self.store.get(key, &job.id).ok()??;
        let stored = Stored::from_bytes(&bytes);
        if stored.is_none() {
            self.store.note(format!("{}: the stored frames do not read; computed again", job.id));
        }
        stored
    }

    fn file_hash(&self, path: &Path) -> Result<blake3::Hash> {
        let known = self.file_hashes.lock().map_err(|_| anyhow!("a worker panicked"))?.get(path).copied();
        if let Some(hash) = known {
            return Ok(hash);
        }
        let hash = file_hash(path)?;
        if let Ok(mut hashes) = self.file_hashes.lock() {
            hashes.insert(path.to_path_buf(), hash);
        }
        Ok(hash)
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

    /// The frames in `bytes`, or `None` when they are not a `Stored`.
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let header = bytes.get(..HEADER_BYTES).filter(|h| h.starts_with(MAGIC))?;
        let word = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default());
        let dim = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default());
        let body = &bytes[HEADER_BYTES..];
        if !body.len().is_multiple_of(2) {
            return None;
        }
        Some(Stored {
            dim,
            rate_hz: f64::from_bits(word(12)),
            audio_samples: word(20),
            padded_samples: word(28),
            frames: body.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]])).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_frames;

    #[test]
    fn valid_frames_are_those_holding_audio() {
        // 25 s at 10 Hz (16 kHz, exact pooling): a full clip, 12.34 s of audio, none.
        assert_eq!(valid_frames(250, 10.0, 400_000, 16_000), 250);
        assert_eq!(valid_frames(250, 10.0, 197_440, 16_000), 124);
        assert_eq!(valid_frames(250, 10.0, 16_000, 16_000), 10);
        assert_eq!(valid_frames(250, 10.0, 16_001, 16_000), 11);
        assert_eq!(valid_frames(250, 10.0, 0, 16_000), 0);
        // LLark's Jukebox frames: runs of 34 tokens of 128 samples at 44.1 kHz; 240 frames
        // cover the context, a 25 s clip fills them, 10 s of audio fill 102 (101.3 frames).
        let rate = 44_100.0 / (34.0 * 128.0);
        assert_eq!(valid_frames(240, rate, 1_102_500, 44_100), 240);
        assert_eq!(valid_frames(240, rate, 441_000, 44_100), 102);
    }
}
