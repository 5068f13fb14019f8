//! `prep qa`: Q&A pairs for clips given as ABC, written as `qa.jsonl` (one `QaPair` per
//! line: id, clip_id, split, kind, question, answer) and `chat.jsonl` (the chat format of
//! `qa::chat`, for clips that have audio).
//!
//! Input, one of:
//! - a folder of `.abc` files, searched recursively: a clip's id is the file's path
//!   under the folder without the extension (`piece/0003.abc` -> `piece/0003`), its
//!   split is `QaOptions::split`, and its audio is the file next to it with the same
//!   name and a `.wav`, `.flac`, `.mp3` or `.ogg` extension, if there is one;
//! - a JSONL file (`.jsonl`), one clip per line: `{"id": ..., "abc": ..., "split":
//!   "train"|"validation"|"test" (optional: `QaOptions::split`), "audio": path or URL
//!   (optional)}`; other keys (such as the `clips` table's columns) are ignored.
//!
//! The facts a question asks about are read from each clip's ABC (`clips::clip_from_abc`).
//! A clip that cannot be read is reported with its id and skipped; the run goes on, and
//! both files are written atomically at the end.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::clips::clip_from_abc;
use crate::datasets::Split;
use crate::jsonl;
use crate::output::{Progress, write_atomically};
use crate::qa::{QaPair, Templates, chat_jsonl_line, pairs_for_clip};

/// Audio extensions looked for next to an `.abc` file, in this order.
const AUDIO_EXTENSIONS: [&str; 4] = ["wav", "flac", "mp3", "ogg"];

/// Everything `prep qa` needs, independent of the command line.
#[derive(Debug, Clone)]
pub struct QaOptions {
    /// A folder of `.abc` files or a clips `.jsonl` file.
    pub input: PathBuf,
    /// Output folder for `qa.jsonl` and `chat.jsonl`.
    pub out: PathBuf,
    /// A templates YAML whose kinds replace the embedded phrasings.
    pub templates: Option<PathBuf>,
    /// Seed of the phrasing choice.
    pub seed: u64,
    /// Split of clips that do not state one.
    pub split: Split,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub clips: usize,
    pub pairs: usize,
    pub chat_lines: usize,
    /// Clips without audio: in `qa.jsonl` only.
    pub without_audio: usize,
    /// Every clip that was skipped.
    pub failed: Vec<Failure>,
}

/// A skipped clip: its id (or the input line that held it) and why.
pub type Failure = (String, String);

/// One input clip.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct ClipRecord {
    id: String,
    abc: String,
    split: Option<Split>,
    audio: Option<String>,
}

/// Runs `prep qa`: reads the clips, writes both files, prints failures and a summary on
/// stderr.
pub fn run(options: &QaOptions) -> Result<Summary> {
    let started = Instant::now();
    let templates = Templates::load(options.templates.as_deref())?;
    let (records, mut failed) = read_input(&options.input)?;
    let progress = Progress::new(records.len() as u64, "qa");
    let outcomes: Vec<Result<Vec<QaPair>, String>> = records
        .par_iter()
        .map(|record| {
            let split = record.split.unwrap_or(options.split);
            let outcome = clip_from_abc(&record.id, split, &record.abc)
                .map(|clip| pairs_for_clip(&clip, &templates, options.seed))
                .map_err(|error| error.to_string());
            progress.inc();
            outcome
        })
        .collect();
    progress.finish();

    let mut summary = Summary::default();
    let (mut qa, mut chat) = (String::new(), String::new());
    for (record, outcome) in records.iter().zip(outcomes) {
        let pairs = match outcome {
            Ok(pairs) => pairs,
            Err(message) => {
                failed.push((record.id.clone(), message));
                continue;
            }
        };
        summary.clips += 1;
        summary.pairs += pairs.len();
        for pair in &pairs {
            qa.push_str(&serde_json::to_string(pair)?);
            qa.push('\n');
            if let Some(audio) = &record.audio {
                chat.push_str(&chat_jsonl_line(pair, audio));
                chat.push('\n');
                summary.chat_lines += 1;
            }
        }
        summary.without_audio += usize::from(record.audio.is_none());
    }
    write_atomically(&options.out.join("qa.jsonl"), qa.as_bytes())?;
    write_atomically(&options.out.join("chat.jsonl"), chat.as_bytes())?;

    for (item, message) in &failed {
        eprintln!("error: {item}: {message}");
    }
    summary.failed = failed;
    eprintln!(
        "qa: {} pairs for {} clips ({} chat lines, {} clips without audio, {} failed) in {:.2} s",
        summary.pairs,
        summary.clips,
        summary.chat_lines,
        summary.without_audio,
        summary.failed.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

/// The clips of a folder of `.abc` files or of a JSONL file, and the lines of the JSONL
/// that could not be read.
fn read_input(input: &Path) -> Result<(Vec<ClipRecord>, Vec<Failure>)> {
    if input.is_dir() {
        return Ok((abc_folder(input)?, Vec::new()));
    }
    if !input.is_file() {
        bail!("{}: no such file or folder", input.display());
    }
    let mut records = Vec::new();
    let mut failed = Vec::new();
    for (line, record) in jsonl::numbered::<ClipRecord>(input)? {
        match record {
            Ok(record) => records.push(record),
            Err(error) => failed.push((format!("{} line {line}", input.display()), error.to_string())),
        }
    }
    Ok((records, failed))
}

/// Every `.abc` file under `folder` (any case, sorted) as a clip, with its audio if found.
fn abc_folder(folder: &Path) -> Result<Vec<ClipRecord>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(folder).sort_by_file_name() {
        let entry = entry.with_context(|| format!("listing {}", folder.display()))?;
        let is_abc = entry.path().extension().is_some_and(|e| e.eq_ignore_ascii_case("abc"));
        if entry.file_type().is_file() && is_abc {
            files.push(entry.into_path());
        }
    }
    files
        .into_iter()
        .map(|path| {
            let abc = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let relative = path.strip_prefix(folder).unwrap_or(&path).with_extension("");
            let id = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let audio = AUDIO_EXTENSIONS
                .iter()
                .map(|extension| path.with_extension(extension))
                .find(|candidate| candidate.is_file())
                .map(|found| found.display().to_string());
            Ok(ClipRecord {
                id,
                abc,
                split: None,
                audio,
            })
        })
        .collect()
}
