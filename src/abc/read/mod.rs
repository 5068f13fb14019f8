//! ABC text -> Score, forgiving: reads what it can and reports what it could not.
//!
//! Two users: the round-trip check (every ABC string our writer emits must read back to
//! the same notes, tick for tick) and the evaluation reward, which reads what language
//! models write: prose around the tune, code fences, several tunes, broken lines.
//!
//! The reading runs in three steps: `source` finds the tune's lines in the text,
//! `lexer` turns each line of music into tokens, and `builder` (with one `voice` state
//! per ABC voice) interprets fields and tokens into a `Score`. Field values are read by
//! `fields`, lengths computed exactly by `duration`.
//!
//! Choices where ABC 2.1 leaves room or where we simplify, all deliberate:
//! - `%%score` (and `%%staves`) is read into [`Staves`] but does not merge voices: every
//!   voice stays its own part, and [`ParsedAbc::part_groups`] says which share a staff
//!   group. Only the first such directive counts.
//! - `Q:96` (a bare number) means quarter = 96 BPM.
//! - Repeats (`|:` `:|` `::`) and endings (`[1` `[2`) are played once, not expanded.
//! - `M:none` and `K:none` leave the defaults (4/4, C major) and `FoundFields` false.
//! - Decorations, grace notes, chord symbols, annotations, slurs and dynamics are
//!   skipped; every note gets velocity 80.
//! - `&` overlays go into the same part as their voice and are read as abc2midi reads
//!   them: from the bar's start, without the bar's accidentals, in the key the main line
//!   ended the bar in, each overlay's ties continuing in the same overlay of the next bar.
//! - `Q:` with any beat: `Q:1/8=139` and `Q:1/4=69.5` are the same tempo.
//! - Caps on pathological input: no voice runs past `duration::MAX_TICKS` (100,000
//!   quarter notes), at most `MAX_NOTES` notes are created and `MAX_DIAGNOSTICS`
//!   diagnostics kept. The reader is a single pass, linear in the input.

mod builder;
mod duration;
mod fields;
mod lexer;
mod source;
mod voice;

use crate::score::Score;

/// A problem found while reading ABC: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line and column (in characters) in the input text.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Which header fields the text actually contained with a readable value (the reward
/// counts missing ones as parse failures; the `Score` alone cannot tell a default from a
/// value found). `M:none` and `K:none` do not count as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FoundFields {
    pub metre: bool,
    pub tempo: bool,
    pub key: bool,
    pub unit: bool,
    pub title: bool,
    /// Number of distinct voices seen (1 when the tune has no `V:` field but has notes).
    pub voices: usize,
}

/// The result of reading one ABC tune.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedAbc {
    pub score: Score,
    pub found: FoundFields,
    pub diagnostics: Vec<Diagnostic>,
    /// The id of each part's voice (`V:1` is `"1"`, `""` for music before any `V:`), in
    /// the order of `score.parts`.
    pub voice_ids: Vec<String>,
    /// The tune's first `%%score` (or `%%staves`) directive, when it has one.
    pub staves: Option<Staves>,
}

/// A `%%score` (or `%%staves`) directive: how the voices are laid out on staves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Staves {
    /// The voice ids of each staff group, in order: a bracketed group (`(2 3)`, `{4 5}`,
    /// `[6 7]`, however nested) is one group, a voice outside brackets a group of its own.
    pub groups: Vec<Vec<String>>,
}

impl ParsedAbc {
    /// The parts of each staff group of the `%%score` directive (indices into
    /// `score.parts`), when the directive names every voice of the tune exactly once;
    /// `None` when there is no directive or it does not match the voices.
    pub fn part_groups(&self) -> Option<Vec<Vec<usize>>> {
        let staves = self.staves.as_ref()?;
        let mut named = vec![false; self.voice_ids.len()];
        let mut groups = Vec::with_capacity(staves.groups.len());
        for group in &staves.groups {
            let mut parts = Vec::with_capacity(group.len());
            for id in group {
                let part = self.voice_ids.iter().position(|voice| voice == id)?;
                if std::mem::replace(&mut named[part], true) {
                    return None;
                }
                parts.push(part);
            }
            groups.push(parts);
        }
        named.iter().all(|&n| n).then_some(groups)
    }
}

/// Where an element (a note, or a chord with its length) was written: the 1-based line
/// of the text and the byte range in that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// A note of the score (`score.parts[part].notes[note]`) and one place it was written; a
/// note tied across elements has one per element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteSource {
    pub part: usize,
    pub note: usize,
    pub at: Written,
}

/// Resolution of scores read from ABC: divisible by 2^5, 3, 5 and 7 so that every
/// tuplet and unit length up to 1/128 lands on a whole tick.
pub const ABC_TICKS_PER_QUARTER: u32 = 3360;

/// At most this many notes are read from one text; further notes are reported and skipped.
pub(crate) const MAX_NOTES: usize = 1_000_000;

/// At most this many diagnostics are kept; one last diagnostic counts the rest.
const MAX_DIAGNOSTICS: usize = 1000;

/// Reads the first tune in `text`. Never fails and never panics: what cannot be read
/// is skipped and reported in `diagnostics`.
pub fn parse(text: &str) -> ParsedAbc {
    parse_with_sources(text).0
}

/// [`parse`], and where in `text` each note was written, part by part in reading order
/// (the evaluation report marks notes in the text it engraves).
pub fn parse_with_sources(text: &str) -> (ParsedAbc, Vec<NoteSource>) {
    let mut report = Reporter::default();
    let lines = source::tune_lines(text, &mut report);
    let mut builder = builder::Builder::new(report);
    for line in lines {
        builder.line(line);
    }
    builder.finish()
}

/// Collects diagnostics, turning byte offsets into 1-based character columns.
#[derive(Debug, Default)]
pub(crate) struct Reporter {
    diagnostics: Vec<Diagnostic>,
    dropped: usize,
}

impl Reporter {
    /// Reports `message` at byte `offset` of `text`, which is line `line` of the input.
    pub fn at(&mut self, line: usize, text: &str, offset: usize, message: String) {
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            self.dropped += 1;
            return;
        }
        let column = text.get(..offset).map_or(offset, |before| before.chars().count()) + 1;
        self.diagnostics.push(Diagnostic { line, column, message });
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        if let Some(last) = self.diagnostics.last().filter(|_| self.dropped > 0) {
            let message = format!("{} further problems not reported", self.dropped);
            self.diagnostics.push(Diagnostic { line: last.line, column: last.column, message });
        }
        self.diagnostics
    }
}
