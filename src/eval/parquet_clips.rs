//! Evaluation clips from a dataset folder written by `prep run` or `prep shards`, so a
//! model can be evaluated on exactly the data it will be trained beside.
//!
//! The folder holds `data/clips/<split>-0000i-of-0000N.parquet` (schemas/clips.json) and
//! optionally `data/qa/<split>-*.parquet` (schemas/qa.json). Only the shards of the split
//! asked for are opened and only the columns eval uses are decoded: `id`, `split`, `abc`
//! and `audio.bytes` of the clips; `clip_id`, `kind` and `question` of the Q&A pairs. The
//! reader decodes one row group at a time. A clip's question is its `transcription`
//! pair's, so the model is asked what the dataset asks; without one, the default prompt.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use arrow_array::cast::AsArray;
use arrow_array::{Array, BinaryArray, RecordBatch, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::datasets::Split;
use crate::inputs::{AbcClip, Audio, split_named};

/// The Q&A kind whose question a clip is asked.
const TRANSCRIPTION: &str = "transcription";

/// Whether `path` is a dataset folder written by prep (it has `data/clips/`).
pub fn is_dataset_folder(path: &Path) -> bool {
    clips_dir(path).is_dir()
}

/// The clips of `split`, in shard order, with their audio and transcription question.
pub fn load(root: &Path, split: Split) -> Result<Vec<AbcClip>> {
    let mut questions = transcription_questions(root, split)?;
    let mut clips = Vec::new();
    for shard in shards(&clips_dir(root), split)? {
        read_batches(&shard, &["id", "split", "abc", "audio.bytes"], |batch| {
            let (ids, splits, abcs) = (strings(batch, "id")?, strings(batch, "split")?, strings(batch, "abc")?);
            let audio = audio_bytes(batch)?;
            for (row, audio) in audio.into_iter().enumerate() {
                let id = ids.value(row).to_string();
                let named = splits.value(row);
                let split = split_named(named).ok_or_else(|| anyhow!("clip {id:?}: unknown split {named:?}"))?;
                clips.push(AbcClip {
                    split,
                    abc: abcs.value(row).to_string(),
                    audio: audio.map(|bytes| Audio::Wav(bytes.to_vec())),
                    question: questions.remove(&id),
                    id,
                });
            }
            Ok(())
        })?;
    }
    Ok(clips)
}

/// The splits that have clip shards, from the shards' file names, sorted.
pub fn splits(root: &Path) -> Result<Vec<Split>> {
    let names = parquet_files(&clips_dir(root))?;
    let mut splits: Vec<Split> = names
        .iter()
        .filter_map(|path| path.file_name()?.to_str()?.split_once('-').and_then(|(split, _)| split_named(split)))
        .collect();
    splits.sort_unstable();
    splits.dedup();
    Ok(splits)
}

fn clips_dir(root: &Path) -> PathBuf {
    root.join("data").join("clips")
}

/// Clip id -> the question of its `transcription` pair, for the clips of `split`.
fn transcription_questions(root: &Path, split: Split) -> Result<HashMap<String, String>> {
    let dir = root.join("data").join("qa");
    let mut questions = HashMap::new();
    if !dir.is_dir() {
        return Ok(questions);
    }
    for shard in shards(&dir, split)? {
        read_batches(&shard, &["clip_id", "kind", "question"], |batch| {
            let (clip_ids, kinds, texts) =
                (strings(batch, "clip_id")?, strings(batch, "kind")?, strings(batch, "question")?);
            for row in (0..batch.num_rows()).filter(|&row| kinds.value(row) == TRANSCRIPTION) {
                questions.insert(clip_ids.value(row).to_string(), texts.value(row).to_string());
            }
            Ok(())
        })?;
    }
    Ok(questions)
}

/// The `.parquet` files of `dir` whose name starts with `<split>-`, sorted.
fn shards(dir: &Path, split: Split) -> Result<Vec<PathBuf>> {
    let prefix = format!("{split}-");
    let mut files = parquet_files(dir)?;
    files.retain(|path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix)));
    Ok(files)
}

fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry.with_context(|| format!("listing {}", dir.display()))?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "parquet") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Calls `each` on the record batches of the named columns (dotted paths for nested
/// fields) of the Parquet file at `path`.
fn read_batches(path: &Path, columns: &[&str], mut each: impl FnMut(&RecordBatch) -> Result<()>) -> Result<()> {
    let context = || format!("reading {}", path.display());
    let file = File::open(path).with_context(context)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).with_context(context)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    for batch in builder.with_projection(mask).build().with_context(context)? {
        each(&batch.with_context(context)?).with_context(context)?;
    }
    Ok(())
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray> {
    batch
        .column_by_name(name)
        .ok_or_else(|| anyhow!("no column {name:?}"))?
        .as_string_opt::<i32>()
        .ok_or_else(|| anyhow!("column {name:?} is not a string column"))
}

/// Each row's audio bytes; `None` where the audio is null or the shard has no audio.
fn audio_bytes(batch: &RecordBatch) -> Result<Vec<Option<&[u8]>>> {
    let Some(audio) = batch.column_by_name("audio") else { return Ok(vec![None; batch.num_rows()]) };
    let audio = audio.as_struct_opt().ok_or_else(|| anyhow!("column \"audio\" is not a struct"))?;
    let bytes: &BinaryArray = audio
        .column_by_name("bytes")
        .and_then(|bytes| bytes.as_binary_opt::<i32>())
        .ok_or_else(|| anyhow!("column \"audio\" has no binary field \"bytes\""))?;
    Ok((0..batch.num_rows())
        .map(|row| (audio.is_valid(row) && bytes.is_valid(row)).then(|| bytes.value(row)))
        .collect())
}
