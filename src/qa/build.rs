//! The Q&A stage for clips given as ABC (`prep qa`): `qa.jsonl` (one `QaPair` per line:
//! id, clip_id, split, kind, question, answer) and `chat.jsonl` (the chat format of
//! `qa::chat`, for clips that have audio).
//!
//! The input is read by `crate::inputs` (a folder of `.abc` files, a clips JSONL, a
//! dataset folder's `.prep/clips.jsonl`; see there for ids, splits and audio); clips that
//! state no split get `QaOptions::split`. The facts a question asks about are read from
//! each clip's ABC (`clips::clip_from_abc`). A clip that cannot be read is a problem
//! naming it; the others go on, and both files are written atomically at the end. Nothing
//! here prints.

use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;

use super::{QaPair, Templates, chat_jsonl_line, pairs_for_clip};
use crate::clips::clip_from_abc;
use crate::datasets::{Problem, Split};
use crate::inputs::{self, Input};
use crate::output::{Progress, write_atomically};

/// Everything the Q&A stage needs.
#[derive(Debug, Clone)]
pub struct QaOptions {
    /// A folder of `.abc` files, a clips JSONL or a dataset folder.
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
pub struct QaSummary {
    pub clips: usize,
    pub pairs: usize,
    pub chat_lines: usize,
    /// Clips without audio: in `qa.jsonl` only.
    pub without_audio: usize,
    /// Every clip (or input line) that was skipped, and why.
    pub problems: Vec<Problem>,
}

/// Reads the clips and writes both files.
pub fn run(options: &QaOptions) -> Result<QaSummary> {
    let templates = Templates::load(options.templates.as_deref())?;
    let input = Input::detect(&options.input)?;
    let (clips, problems) = inputs::load_abc_clips(&input, options.split)?;
    let progress = Progress::new(clips.len() as u64, "qa");
    let outcomes: Vec<Result<Vec<QaPair>, String>> = clips
        .par_iter()
        .map(|clip| {
            let outcome = clip_from_abc(&clip.id, clip.split, &clip.abc)
                .map(|read| pairs_for_clip(&read, &templates, options.seed))
                .map_err(|error| error.to_string());
            progress.inc();
            outcome
        })
        .collect();
    progress.finish();

    let mut summary = QaSummary { problems, ..QaSummary::default() };
    let (mut qa, mut chat) = (String::new(), String::new());
    for (clip, outcome) in clips.iter().zip(outcomes) {
        let pairs = match outcome {
            Ok(pairs) => pairs,
            Err(message) => {
                summary.problems.push(Problem { item: clip.id.clone(), message });
                continue;
            }
        };
        summary.clips += 1;
        summary.pairs += pairs.len();
        let reference = clip.audio.as_ref().and_then(inputs::Audio::reference);
        for pair in &pairs {
            qa.push_str(&serde_json::to_string(pair)?);
            qa.push('\n');
            if let Some(reference) = &reference {
                chat.push_str(&chat_jsonl_line(pair, reference));
                chat.push('\n');
                summary.chat_lines += 1;
            }
        }
        summary.without_audio += usize::from(reference.is_none());
    }
    write_atomically(&options.out.join("qa.jsonl"), qa.as_bytes())?;
    write_atomically(&options.out.join("chat.jsonl"), chat.as_bytes())?;
    Ok(summary)
}
