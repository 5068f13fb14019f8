//! The Q&A stage for clips given as ABC (`prep qa`): `qa.jsonl` (one `QaPair` per line:
//! id, clip_id, split, kind, question, answer) and, for clips that have audio, the chat
//! export of `qa::chat`: `chat/<split>.jsonl` and each clip's audio copied to
//! `audio/clips/<clip-id>.<ext>` (a span cut to exactly its window; a URL is referenced
//! as given).
//!
//! The input is read by `crate::inputs` (a folder of `.abc` files, a clips JSONL, a
//! dataset folder's `.prep/clips.jsonl`; see there for ids, splits and audio); clips that
//! state no split get `QaOptions::split`. The facts a question asks about are read from
//! each clip's ABC (`clips::clip_from_abc`). A clip that cannot be read is a problem
//! naming it; the others go on, and every file is written atomically. Nothing here prints.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use rayon::prelude::*;

use super::chat::{ChatFiles, clip_audio_path, remove_other_clip_audio};
use super::{QaPair, Templates, pairs_for_clip};
use crate::clips::clip_from_abc;
use crate::datasets::{Problem, Split};
use crate::inputs::{self, AbcClip, Audio, Input};
use crate::output::{Progress, write_atomically};

/// Everything the Q&A stage needs.
#[derive(Debug, Clone)]
pub struct QaOptions {
    /// A folder of `.abc` files, a clips JSONL or a dataset folder.
    pub input: PathBuf,
    /// Output folder for `qa.jsonl`, `chat/` and `audio/clips/`.
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

/// One clip's pairs and the chat export's reference to its audio, or why it failed.
type ClipOutcome = Result<(Vec<QaPair>, Option<String>), String>;

/// Reads the clips and writes `qa.jsonl`, the chat export and the clips' audio.
pub fn run(options: &QaOptions) -> Result<QaSummary> {
    let templates = Templates::load(options.templates.as_deref())?;
    let input = Input::detect(&options.input)?;
    let (clips, problems) = inputs::load_abc_clips(&input, options.split)?;
    let progress = Progress::new(clips.len() as u64, "qa");
    let outcomes: Vec<ClipOutcome> = clips
        .par_iter()
        .map(|clip| {
            let outcome = clip_from_abc(&clip.id, clip.split, &clip.abc)
                .map(|read| pairs_for_clip(&read, &templates, options.seed))
                .map_err(|error| error.to_string())
                .and_then(|pairs| Ok((pairs, clip_audio(clip, &options.out).map_err(|error| format!("{error:#}"))?)));
            progress.inc();
            outcome
        })
        .collect();
    progress.finish();

    let mut summary = QaSummary { problems, ..QaSummary::default() };
    let (mut qa, mut chat, mut audio_files) = (String::new(), ChatFiles::default(), BTreeSet::new());
    for (clip, outcome) in clips.iter().zip(outcomes) {
        let (pairs, audio) = match outcome {
            Ok(pairs) => pairs,
            Err(message) => {
                summary.problems.push(Problem { item: clip.id.clone(), message });
                continue;
            }
        };
        summary.clips += 1;
        summary.pairs += pairs.len();
        for pair in &pairs {
            qa.push_str(&serde_json::to_string(pair)?);
            qa.push('\n');
            if let Some(audio) = &audio {
                chat.push(pair, audio);
            }
        }
        summary.without_audio += usize::from(audio.is_none());
        audio_files.extend(audio);
    }
    summary.chat_lines = chat.len();
    write_atomically(&options.out.join("qa.jsonl"), qa.as_bytes())?;
    chat.write(&options.out)?;
    remove_other_clip_audio(&options.out, &audio_files)?;
    Ok(summary)
}

/// How the chat export refers to the clip's audio: a URL as given, else the path
/// (relative to `out`) of the copy written there, holding exactly the clip; `None`
/// without audio.
fn clip_audio(clip: &AbcClip, out: &Path) -> Result<Option<String>> {
    let Some(audio) = &clip.audio else { return Ok(None) };
    if let Audio::Url(url) = audio {
        return Ok(Some(url.clone()));
    }
    let (bytes, format) = audio.read()?;
    let path = clip_audio_path(&clip.id, &format)?;
    write_atomically(&out.join(&path), &bytes)?;
    Ok(Some(path))
}
