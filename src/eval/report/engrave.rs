//! The worst answers as music: the truth and the answer engraved side by side as SVG by
//! abcm2ps, with the notes the pitch loss counted against the answer marked in colour.
//!
//! abcm2ps is optional: when it cannot be run, [`Engraving::Missing`] says why and the
//! report names the tool and how to install it (the answers are still shown as text).
//! The marks come from the reward ([`note_marks`]); they are written into the ABC as
//! inline `[I:voicecolor ...]` fields around each marked element (a note, or a whole
//! chord, the pitch loss's unit), which abcm2ps 8.x renders as coloured heads, stems and
//! beams. abcm2ps runs in secure mode (`-S`, no file inclusion from a model's text) and
//! reads stdin and writes stdout; each SVG is then written atomically like every output.

use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::abc::read::{NoteSource, parse_with_sources};
use crate::eval::report::WorstCase;
use crate::output::write_atomically;
use crate::reward::{RewardConfig, abc_block, note_marks};

/// The engraver, looked up on `PATH`.
pub const TOOL: &str = "abcm2ps";
/// The report's subfolder holding the engraved SVGs.
pub const FOLDER: &str = "worst";
/// Notes of the answer not matched in the truth (wrong or extra). Both colours survive
/// abcm2ps's conversion through floating point unchanged (`#d62728` comes out `#d62628`),
/// so the SVG can be searched for them.
pub const WRONG: &str = "#cc0000";
/// Notes of the truth the answer did not match (wrong or missing).
pub const MISSED: &str = "#0066cc";
/// The colour outside marks.
const PLAIN: &str = "black";

/// What was engraved for the report's worst answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Engraving {
    /// No worst answer to show.
    Nothing,
    /// abcm2ps could not be run: the reason.
    Missing(String),
    /// abcm2ps's version line, and one pair per worst answer, in order.
    Engraved { version: String, cases: Vec<EngravedCase> },
}

/// The SVGs of one worst answer: each a path relative to the report folder, or why that
/// side could not be engraved.
#[derive(Debug, Clone, PartialEq)]
pub struct EngravedCase {
    pub truth: Result<PathBuf, String>,
    pub answer: Result<PathBuf, String>,
}

impl Engraving {
    /// Every SVG written, relative to the report folder.
    pub fn files(&self) -> Vec<&Path> {
        match self {
            Engraving::Engraved { cases, .. } => cases
                .iter()
                .flat_map(|c| [&c.truth, &c.answer])
                .filter_map(|side| side.as_ref().ok().map(PathBuf::as_path))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Engraves each worst case into `dir/worst/<rank>-truth.svg` and `<rank>-answer.svg`
/// (rank from 1), and removes the engravings an earlier report left there that this one
/// did not write. Fails only when a file cannot be written or removed; a tune abcm2ps
/// refuses is recorded in its case.
pub fn engrave(worst: &[WorstCase], cfg: &RewardConfig, dir: &Path) -> Result<Engraving> {
    let engraving = engrave_cases(worst, cfg, dir)?;
    let kept: Vec<PathBuf> = engraving.files().into_iter().map(|f| dir.join(f)).collect();
    remove_stale(&dir.join(FOLDER), &kept)?;
    Ok(engraving)
}

/// Removes the SVGs in `folder` that are not `kept`; a missing folder holds none.
fn remove_stale(folder: &Path, kept: &[PathBuf]) -> Result<()> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err).with_context(|| format!("listing {}", folder.display())),
    };
    for entry in entries {
        let path = entry.with_context(|| format!("listing {}", folder.display()))?.path();
        if path.extension().is_some_and(|e| e == "svg") && !kept.contains(&path) {
            std::fs::remove_file(&path).with_context(|| format!("removing the stale {}", path.display()))?;
        }
    }
    Ok(())
}

fn engrave_cases(worst: &[WorstCase], cfg: &RewardConfig, dir: &Path) -> Result<Engraving> {
    if worst.is_empty() {
        return Ok(Engraving::Nothing);
    }
    let version = match version() {
        Ok(version) => version,
        Err(reason) => return Ok(Engraving::Missing(reason)),
    };
    let mut cases = Vec::with_capacity(worst.len());
    for (rank, case) in (1..).zip(worst) {
        let [truth, answer] = marked_pair(case, cfg);
        let side = |name: &str, abc: Result<String, String>| -> Result<Result<PathBuf, String>> {
            let svg = match abc.and_then(|abc| render(&abc)) {
                Ok(svg) => svg,
                Err(message) => return Ok(Err(message)),
            };
            let relative = Path::new(FOLDER).join(format!("{rank}-{name}.svg"));
            write_atomically(&dir.join(&relative), svg.as_bytes())?;
            Ok(Ok(relative))
        };
        cases.push(EngravedCase { truth: side("truth", truth)?, answer: side("answer", answer)? });
    }
    Ok(Engraving::Engraved { version, cases })
}

/// The truth with the notes the answer missed in [`MISSED`] and the answer with its wrong
/// notes in [`WRONG`], each ready for abcm2ps; a side without notes is an error.
fn marked_pair(case: &WorstCase, cfg: &RewardConfig) -> [Result<String, String>; 2] {
    let (truth_text, answer_text) = (abc_block(&case.truth), abc_block(&case.prediction));
    let (truth, truth_sources) = parse_with_sources(truth_text);
    let (answer, answer_sources) = parse_with_sources(answer_text);
    let marks = note_marks(&answer.score, &truth.score, cfg);
    let side = |name: &str, text: &str, notes: usize, sources: &[NoteSource], marked: &[Vec<bool>], colour: &str| {
        if notes == 0 {
            Err(format!("the {name} holds no notes to engrave"))
        } else {
            Ok(engravable(&coloured(text, sources, marked, colour)))
        }
    };
    [
        side("truth", truth_text, truth.score.note_count(), &truth_sources, &marks.truth, MISSED),
        side("answer", answer_text, answer.score.note_count(), &answer_sources, &marks.predicted, WRONG),
    ]
}

/// `text` with every element holding a marked note wrapped in `[I:voicecolor colour]` ...
/// `[I:voicecolor black]`. Lines and everything else stay as written.
pub fn coloured(text: &str, sources: &[NoteSource], marked: &[Vec<bool>], colour: &str) -> String {
    let is_marked = |s: &NoteSource| marked.get(s.part).and_then(|p| p.get(s.note)).copied().unwrap_or(false);
    // (line, start, end) of each marked element, once, from the end of the text backwards
    // so that inserting leaves the offsets still to come valid.
    let mut elements: Vec<(usize, usize, usize)> =
        sources.iter().filter(|s| is_marked(s)).map(|s| (s.at.line, s.at.start, s.at.end)).collect();
    elements.sort_unstable();
    elements.dedup();
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for &(line, start, end) in elements.iter().rev() {
        let Some(text) = lines.get_mut(line.wrapping_sub(1)) else { continue };
        if end <= text.len() && text.is_char_boundary(start) && text.is_char_boundary(end) && start < end {
            text.insert_str(end, &format!("[I:voicecolor {PLAIN}]"));
            text.insert_str(start, &format!("[I:voicecolor {colour}]"));
        }
    }
    lines.join("\n")
}

/// The first tune of `text` as abcm2ps needs it: starting with an `X:` field (one is
/// added before the first field when missing: abcm2ps skips text outside tunes) and
/// without the tunes after it (one SVG per tune).
fn engravable(text: &str) -> String {
    let is_field = |line: &str, letter: u8| {
        let bytes = line.trim_start().as_bytes();
        bytes.len() >= 2 && bytes[1] == b':' && (bytes[0] == letter || letter == 0 && bytes[0].is_ascii_alphabetic())
    };
    let lines: Vec<&str> = text.lines().collect();
    let first_x = lines.iter().position(|l| is_field(l, b'X'));
    let start = first_x.or_else(|| lines.iter().position(|l| is_field(l, 0))).unwrap_or(0);
    let end = lines.iter().skip(start + 1).position(|l| is_field(l, b'X')).map_or(lines.len(), |n| start + 1 + n);
    let mut tune = if first_x.is_some() { String::new() } else { "X:1\n".to_string() };
    for line in &lines[start..end] {
        tune.push_str(line);
        tune.push('\n');
    }
    tune
}

/// abcm2ps's version line (`abcm2ps-8.14.14 (2022-12-19)`), or why it cannot be run.
fn version() -> Result<String, String> {
    match Command::new(TOOL).arg("-V").output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(if out.stdout.is_empty() { &out.stderr } else { &out.stdout });
            Ok(text.lines().next().unwrap_or(TOOL).trim().to_string())
        }
        Err(err) if err.kind() == ErrorKind::NotFound => Err(format!("{TOOL} was not found on PATH")),
        Err(err) => Err(format!("{TOOL} could not be run: {err}")),
    }
}

/// One tune engraved as SVG: `abcm2ps -g -S -q - -O -`.
fn render(abc: &str) -> Result<String, String> {
    let mut child = Command::new(TOOL)
        .args(["-g", "-S", "-q", "-", "-O", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("{TOOL} could not be run: {err}"))?;
    // Written from a thread: abcm2ps may fill its output pipe before reading all input.
    let input = abc.as_bytes().to_vec();
    let mut stdin = child.stdin.take().ok_or_else(|| format!("{TOOL}: no stdin"))?;
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|err| format!("{TOOL} failed: {err}"))?;
    let written = writer.join().map_err(|_| format!("{TOOL}: writing its input panicked"))?;
    let svg = String::from_utf8_lossy(&out.stdout);
    if svg.trim_start().starts_with("<svg") && written.is_ok() {
        return Ok(svg.into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = stderr.lines().filter(|l| !l.trim().is_empty()).take(3).collect::<Vec<_>>().join("; ");
    Err(format!(
        "{TOOL} wrote no SVG (exit {}){}",
        out.status.code().map_or("by signal".to_string(), |c| c.to_string()),
        if why.is_empty() { String::new() } else { format!(": {why}") }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_elements_are_wrapped_in_colour_fields() {
        let text = "X:1\nK:C\nC [EG]2 A|\nB|";
        let (parsed, sources) = parse_with_sources(text);
        assert_eq!(parsed.score.parts[0].notes.len(), 5);
        // Marks by note index: C, E, G, A, B; E alone marks its whole chord once.
        let marked = vec![vec![false, true, false, true, true]];
        assert_eq!(
            coloured(text, &sources, &marked, "red"),
            "X:1\nK:C\nC [I:voicecolor red][EG]2[I:voicecolor black] [I:voicecolor red]A[I:voicecolor black]|\n\
             [I:voicecolor red]B[I:voicecolor black]|"
        );
    }

    #[test]
    fn the_first_tune_is_kept_and_given_an_x_field() {
        assert_eq!(engravable("M:4/4\nK:C\nCD|"), "X:1\nM:4/4\nK:C\nCD|\n");
        assert_eq!(engravable("X:3\nK:C\nCD|\nX:4\nK:D\nEF|"), "X:3\nK:C\nCD|\n");
        assert_eq!(engravable("CD|"), "X:1\nCD|\n");
    }
}
