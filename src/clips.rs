//! Clips: a piece cut into fixed windows, each pairing an audio span with the ABC of
//! exactly that span (notes crossing the edges clipped, the tempo, metre and key in force
//! at the window start in the header).

use std::path::PathBuf;

use crate::datasets::Split;

/// Where a clip's audio is: a file and a span of it, in seconds. Decoding (and padding
/// the last clip) happens where the audio is needed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AudioSpan {
    pub path: PathBuf,
    pub start_s: f64,
    pub end_s: f64,
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
    /// General MIDI names of the instruments playing in the window, in voice order.
    pub instruments: Vec<String>,
    pub note_count: u32,
}
