//! The shards stage (`prep shards`, and `prep run` after its pieces): the pipeline's JSONL
//! records into the Hugging Face dataset folder (`data/<config>/<split>-NNNNN-of-NNNNN.parquet`
//! plus `README.md`), and the chat export beside them (`qa::chat`: each clip's audio as
//! `audio/clips/<clip-id>.wav`, the pairs of clips with audio as `chat/<split>.jsonl`). It
//! returns a summary and never prints.
//!
//! Input, one JSON object per line:
//! - `clips.jsonl`: a `Clip` (`crate::clips`) per line, fields as named there, `split` in
//!   lowercase, `audio` either null or `{"path": ..., "start_s": ..., "end_s": ...}`;
//!   a relative audio path is resolved against the folder of `clips.jsonl`.
//! - `qa.jsonl` (optional): a `QaPair` (`crate::qa`) per line, `kind` in snake_case.
//!
//! Clips stream through in chunks (audio spans decoded in parallel within a chunk, each
//! clip's WAV written to its own file as it is encoded), so memory holds a chunk of clips
//! and one row group per split, never the dataset. A clip
//! whose audio is missing or does not decode keeps a null audio and is reported as a
//! problem; it does not stop the run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use rayon::prelude::*;

use crate::clips::Clip;
use crate::datasets::Problem;
use crate::jsonl;
use crate::output::{Progress, write_atomically};
use crate::qa::QaPair;
use crate::qa::chat::{ChatFiles, clip_audio_path, remove_other_clip_audio};
use super::card::ClipStats;
use super::manifest::Manifest;
use super::{ClipRow, ShardOptions, ShardWriter, TableFiles};

/// Everything `prep shards` needs.
#[derive(Debug, Clone)]
pub struct ShardsOptions {
    pub clips: PathBuf,
    pub qa: Option<PathBuf>,
    /// The dataset folder to write (`data/` and `README.md` go in it).
    pub out: PathBuf,
    /// The card's title.
    pub title: String,
    /// The pipeline file the records come from (YAML), for the card's recipe section.
    pub recipe: Option<String>,
    pub shard: ShardOptions,
}

/// What `run` wrote and what went wrong per item.
#[derive(Debug, Clone)]
pub struct ShardsSummary {
    pub tables: Vec<TableFiles>,
    pub card: PathBuf,
    /// The chat files written (`chat/<split>.jsonl`).
    pub chat: Vec<PathBuf>,
    /// Examples in the chat files.
    pub chat_examples: usize,
    pub problems: Vec<Problem>,
}

/// Writes the clips and qa configs, the chat export and the card.
pub fn run(options: &ShardsOptions) -> Result<ShardsSummary> {
    let mut stats = ClipStats::default();
    let mut problems = Vec::new();
    let mut with_audio = BTreeSet::new();
    let mut tables = vec![write_clips(options, &mut stats, &mut with_audio, &mut problems)?];
    let audio_files = with_audio.iter().map(|id| clip_audio_path(id, "wav")).collect::<Result<_>>()?;
    remove_other_clip_audio(&options.out, &audio_files)?;
    let mut chat = ChatFiles::default();
    if let Some(qa) = &options.qa {
        let mut writer = ShardWriter::<QaPair>::new(&options.out, options.shard)?;
        for pair in jsonl::records::<QaPair>(qa)? {
            let pair = pair?;
            if with_audio.contains(&pair.clip_id) {
                chat.push(&pair, &clip_audio_path(&pair.clip_id, "wav")?);
            }
            writer.push(pair)?;
        }
        tables.push(writer.finish()?);
    }
    let chat_examples = chat.len();
    let chat_counts = chat.counts();
    let chat = chat.write(&options.out)?;
    // Tables other commands wrote into the folder (embeddings) stay on the card.
    let mut manifest = Manifest::load_or_new(&options.out, &options.title)?;
    manifest.title.clone_from(&options.title);
    manifest.stats = stats;
    manifest.extras.chat = chat_counts;
    if options.recipe.is_some() {
        manifest.extras.recipe.clone_from(&options.recipe);
    }
    for table in &tables {
        manifest.record(table);
    }
    let card = manifest.save(&options.out)?;
    Ok(ShardsSummary { tables, card, chat, chat_examples, problems })
}

/// Writes the clips table and each clip's audio file; `with_audio` gets the ids of the
/// clips whose audio was written.
fn write_clips(
    options: &ShardsOptions,
    stats: &mut ClipStats,
    with_audio: &mut BTreeSet<String>,
    problems: &mut Vec<Problem>,
) -> Result<TableFiles> {
    let base = options.clips.parent().unwrap_or(Path::new("."));
    let mut writer = ShardWriter::<ClipRow>::new(&options.out, options.shard)?;
    // Clips decoded together: enough to keep every thread busy, few enough that memory
    // holds only a few clips' audio.
    let chunk_size = 2 * rayon::current_num_threads();
    let mut clips = jsonl::records::<Clip>(&options.clips)?.peekable();
    let progress = Progress::counter("clips");
    while clips.peek().is_some() {
        let chunk = clips.by_ref().take(chunk_size).collect::<Result<Vec<Clip>>>()?;
        let rows: Vec<(ClipRow, Option<Problem>)> =
            chunk.into_par_iter().map(|clip| clip_row(clip, base, &options.out)).collect();
        for (row, problem) in rows {
            stats.add(&row.clip, row.wav.as_deref());
            if row.wav.is_some() {
                with_audio.insert(row.clip.id.clone());
            }
            problems.extend(problem);
            writer.push(row)?;
            progress.inc();
        }
    }
    progress.finish();
    writer.finish()
}

/// The clip with its audio span encoded (and written to its own file under `out`), or
/// with null audio and the reason.
fn clip_row(mut clip: Clip, base: &Path, out: &Path) -> (ClipRow, Option<Problem>) {
    let Some(span) = clip.audio.as_mut() else {
        return (ClipRow { clip, wav: None }, None);
    };
    span.path = base.join(&span.path);
    let problem = |message: String| {
        Some(Problem {
            item: clip.id.clone(),
            message,
        })
    };
    let (wav, problem) = if !span.path.is_file() {
        (None, problem(format!("audio file {} is missing", span.path.display())))
    } else {
        let written = span.wav().and_then(|wav| {
            let path = out.join(clip_audio_path(&clip.id, "wav")?);
            write_atomically(&path, &wav)?;
            Ok(wav)
        });
        match written {
            Ok(wav) => (Some(wav), None),
            Err(e) => (None, problem(format!("{e:#}"))),
        }
    };
    (ClipRow { clip, wav }, problem)
}
