//! Clips: a piece cut into windows, each pairing an audio span with the ABC of exactly
//! that span (notes crossing the edges clipped, the tempo, metre and key in force at the
//! window start in the header), plus those facts as plain values for the `clips` table
//! and the Q&A pairs.
//!
//! Cutting never touches audio: the windows come from the score alone, and the audio
//! span of a clip is the same seconds of the piece's recording (the score's seconds are
//! the audio's, see `Piece::score`). Decoding, and padding the last clip, happen where
//! the audio is needed.
//!
//! `cut_piece` writes the piece's score as it is: it must already be on a notated grid
//! with its metre and key filled in, i.e. the pipeline runs `analysis::prepare(&score,
//! mode, piece.stated)` and puts the result in the `Piece` before cutting.
//!
//! Rules, all deliberate:
//! - The piece ends where its last note ends (the score's end, not the recording's:
//!   trailing silence or applause in a recording gets no clip).
//! - In seconds mode, window `i` starts at `i * hop_s` and lasts `length_s`, cut short at
//!   the piece end. Windows stop after the first one that reaches the piece end (later
//!   ones would lie inside it when `hop_s < length_s`).
//! - In bar mode (`at_bars`), a window is the run of whole bars whose length is nearest
//!   `length_s` (at least one bar), and the next window starts at the bar line nearest
//!   `hop_s` after this one's start (at least one bar later).
//! - In both modes a window shorter than `min_length_s` is dropped; only the last window
//!   of a piece can be, so a piece shorter than `min_length_s` gives no clip at all.
//! - A clip's ABC has no `T:` line: the piece title cannot be heard in the audio, so a
//!   transcription target must not contain it.

mod read;

use std::path::PathBuf;

use crate::abc::write::{AbcOptions, to_abc};
use crate::audio::{decode_span, encode_pcm16};
use crate::datasets::{Piece, Split};
use crate::score::{Score, part_name};

pub use read::{ReadError, clip_from_abc};

/// Where a clip's audio is: a file and a span of it, in seconds. Decoding (and padding
/// the last clip) happens where the audio is needed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AudioSpan {
    pub path: PathBuf,
    pub start_s: f64,
    pub end_s: f64,
}

impl AudioSpan {
    /// The span as mono 16-bit PCM WAV bytes at the file's sample rate (what the `clips`
    /// table's Audio column holds).
    pub fn wav(&self) -> anyhow::Result<Vec<u8>> {
        let audio = decode_span(&self.path, self.start_s, self.end_s)?;
        Ok(encode_pcm16(&audio))
    }
}

/// One row of the `clips` table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Clip {
    /// `{piece_id}/{index:04}`, e.g. `urmp/01_Jupiter_vn_vc/0003`.
    pub id: String,
    pub piece_id: String,
    pub source: String,
    pub split: Split,
    /// 0-based position of the clip in its piece.
    pub index: u32,
    pub start_s: f64,
    pub end_s: f64,
    pub audio: Option<AudioSpan>,
    /// The ABC of exactly [start_s, end_s).
    pub abc: String,
    /// Quarter-note BPM, metre (`3/4`), key (`F#m`) in force at the window start.
    pub tempo_bpm: f64,
    pub metre: String,
    pub key: String,
    /// Names of the instruments playing in the window, in voice order, as the ABC names
    /// its voices (`score::part_name`: the track name, else the General MIDI name, else
    /// `Drums` for General MIDI percussion).
    pub instruments: Vec<String>,
    pub note_count: u32,
}

/// How pieces are cut into clips (see the module documentation for the exact rules).
#[derive(Debug, Clone, PartialEq)]
pub struct ClipOptions {
    /// Length of a window in seconds (in bar mode, the target length).
    pub length_s: f64,
    /// Seconds from one window start to the next; equal to `length_s` for windows that
    /// touch, smaller for overlapping ones.
    pub hop_s: f64,
    /// Windows shorter than this (the piece's tail) are dropped.
    pub min_length_s: f64,
    /// Cut at bar lines: windows of whole bars of about `length_s`.
    pub at_bars: bool,
    pub abc: AbcOptions,
}

impl Default for ClipOptions {
    fn default() -> Self {
        ClipOptions {
            length_s: 25.0,
            hop_s: 25.0,
            min_length_s: 5.0,
            at_bars: false,
            abc: AbcOptions::default(),
        }
    }
}

/// Clip options that cannot cut anything.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    #[error("clip length must be a positive number of seconds, got {0}")]
    Length(f64),
    #[error("clip hop must be a positive number of seconds, got {0}")]
    Hop(f64),
    #[error("minimum clip length must be zero or a positive number of seconds, got {0}")]
    MinLength(f64),
}

impl ClipOptions {
    /// Checks that the lengths are finite and positive (zero allowed for the minimum).
    pub fn validate(&self) -> Result<(), OptionsError> {
        let positive = |s: f64| s.is_finite() && s > 0.0;
        if !positive(self.length_s) {
            return Err(OptionsError::Length(self.length_s));
        }
        if !positive(self.hop_s) {
            return Err(OptionsError::Hop(self.hop_s));
        }
        if !(self.min_length_s.is_finite() && self.min_length_s >= 0.0) {
            return Err(OptionsError::MinLength(self.min_length_s));
        }
        Ok(())
    }
}

/// A window of a score: ticks for cutting the notes, seconds for cutting the audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start_tick: u64,
    pub end_tick: u64,
    pub start_s: f64,
    pub end_s: f64,
}

impl Span {
    fn seconds(&self) -> f64 {
        self.end_s - self.start_s
    }
}

/// Cuts a piece into clips. The piece's score must already be prepared (quantized, metre
/// and key filled in: see the module documentation).
pub fn cut_piece(piece: &Piece, options: &ClipOptions) -> Result<Vec<Clip>, OptionsError> {
    let clips = spans(&piece.score, options)?
        .into_iter()
        .enumerate()
        .map(|(index, span)| {
            let mut window = piece.score.window(span.start_tick, span.end_tick);
            window.title = None;
            clip(piece, index as u32, span, &window, &options.abc)
        })
        .collect();
    Ok(clips)
}

/// The windows `cut_piece` cuts, in order.
pub fn spans(score: &Score, options: &ClipOptions) -> Result<Vec<Span>, OptionsError> {
    options.validate()?;
    let spans = if options.at_bars {
        bar_spans(score, options)
    } else {
        second_spans(score, options)
    };
    Ok(spans
        .into_iter()
        .filter(|s| s.seconds() >= options.min_length_s && s.end_tick > s.start_tick)
        .collect())
}

/// Windows of `length_s` every `hop_s`, the last cut short at the piece end.
fn second_spans(score: &Score, options: &ClipOptions) -> Vec<Span> {
    let piece_end = score.seconds_at(score.end_tick());
    let mut spans = Vec::new();
    // Starts are multiples of the hop, never sums of it, so that no rounding accumulates.
    for start_s in (0u32..)
        .map(|i| f64::from(i) * options.hop_s)
        .take_while(|&s| s < piece_end)
    {
        let end_s = (start_s + options.length_s).min(piece_end);
        spans.push(Span {
            start_tick: score.tick_at(start_s),
            end_tick: score.tick_at(end_s),
            start_s,
            end_s,
        });
        if end_s >= piece_end {
            break;
        }
    }
    spans
}

/// Windows of whole bars of about `length_s`, starting about every `hop_s`.
fn bar_spans(score: &Score, options: &ClipOptions) -> Vec<Span> {
    let end = score.end_tick();
    let mut lines = score.bar_lines(end);
    // The last bar line is at or after the last note: the piece ends at the last note.
    lines.retain(|&tick| tick < end);
    if end > 0 {
        lines.push(end);
    }
    let seconds: Vec<f64> = lines.iter().map(|&tick| score.seconds_at(tick)).collect();
    let mut spans = Vec::new();
    let mut first = 0;
    while first + 1 < lines.len() {
        let last = nearest_line(&seconds, first, seconds[first] + options.length_s);
        spans.push(Span {
            start_tick: lines[first],
            end_tick: lines[last],
            start_s: seconds[first],
            end_s: seconds[last],
        });
        if last + 1 == lines.len() {
            break;
        }
        first = nearest_line(&seconds, first, seconds[first] + options.hop_s);
    }
    spans
}

/// Index of the bar line after `from` whose time is nearest `target` (the earlier on a tie).
fn nearest_line(seconds: &[f64], from: usize, target: f64) -> usize {
    let after = from + 1;
    let above = after + seconds[after..].partition_point(|&s| s < target);
    match above {
        a if a >= seconds.len() => seconds.len() - 1,
        a if a == after => after,
        a if target - seconds[a - 1] <= seconds[a] - target => a - 1,
        a => a,
    }
}

/// One clip of `piece`: the window's ABC and the facts in force at its start.
fn clip(piece: &Piece, index: u32, span: Span, window: &Score, abc: &AbcOptions) -> Clip {
    let facts = Facts::of(window, window.parts.iter().map(|p| instrument_name(p, window.title.as_deref())).collect());
    Clip {
        id: format!("{}/{index:04}", piece.id),
        piece_id: piece.id.clone(),
        source: piece.source.clone(),
        split: piece.split,
        index,
        start_s: span.start_s,
        end_s: span.end_s,
        audio: piece.audio.as_ref().map(|path| AudioSpan {
            path: path.clone(),
            start_s: span.start_s,
            end_s: span.end_s,
        }),
        abc: to_abc(window, abc),
        tempo_bpm: facts.tempo_bpm,
        metre: facts.metre,
        key: facts.key,
        instruments: facts.instruments,
        note_count: facts.note_count,
    }
}

/// The name of a part's instrument, as its ABC voice is named (`score::part_name`).
fn instrument_name(part: &crate::score::Part, title: Option<&str>) -> String {
    part_name(part, title).to_string()
}

/// A tempo as clips state it: rounded to 1/1000 BPM. MIDI states a tempo in whole
/// microseconds per quarter note, so `60e6 / 521739` reads 115.0000287500072 BPM; the
/// rounding changes a tempo by at most 0.0005 BPM, far below any difference a score or
/// a listener makes, and gives the value the score meant (115). Applied where a clip's
/// facts are read and again where the `clips` table is written (for clips JSONL files
/// written by other tools).
pub fn stated_bpm(bpm: f64) -> f64 {
    (bpm * 1000.0).round() / 1000.0
}

/// What a clip states about its music, read from the clip's score.
struct Facts {
    tempo_bpm: f64,
    metre: String,
    key: String,
    instruments: Vec<String>,
    note_count: u32,
}

impl Facts {
    /// The tempo `score` states (`Score::stated_tempo`: after a lead-in of one sixteenth),
    /// its metre and key at tick 0; `instruments` as given.
    fn of(score: &Score, instruments: Vec<String>) -> Facts {
        let metre = score.time_signature_at(0);
        Facts {
            tempo_bpm: stated_bpm(score.stated_tempo().bpm()),
            metre: format!("{}/{}", metre.numerator, metre.denominator),
            key: score.key_at(0).abc_name(),
            instruments,
            note_count: u32::try_from(score.note_count()).unwrap_or(u32::MAX),
        }
    }
}
