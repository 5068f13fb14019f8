//! Musical inference on a Score: quantization to a notated grid, key and metre
//! estimation for performed MIDI that carries no such events.
//!
//! - `quantize`: the entry point, `prepare`, which snaps a score to a grid (exactly for
//!   score MIDI, after beat tracking for performances) and fills in metre and key;
//! - `beat`: tempo and beat-phase tracking from onsets in seconds;
//! - `rubato`: the beat followed line by line through rubato, and a compact tempo map
//!   that reproduces it;
//! - `metre`: time signature and pickup from note salience on a beat grid;
//! - `key`: key signature by the fewest accidentals, its mode by profile correlation.

pub mod beat;
pub mod key;
pub mod metre;
pub mod quantize;
pub mod rubato;

pub use beat::{BeatGrid, Onset, track_beat};
pub use key::{
    ALBRECHT_SHANAHAN, KRUMHANSL_KESSLER, KeyProfile, TEMPERLEY_KOSTKA_PAYNE, estimate_key, estimate_key_with,
};
pub use metre::{MetreEstimate, estimate_downbeat, estimate_metre};
pub use quantize::{QuantizeMode, QuantizeReport, SourceEvents, prepare};

/// Why a score could not be quantized as asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnalysisError {
    #[error(
        "note {pitch} of part {part} at tick {tick} is on no grid of up to 1/96 quarter \
         ({ticks_per_quarter} ticks per quarter): quantize as a performance or to a fixed grid instead"
    )]
    NotOnGrid {
        part: usize,
        pitch: u8,
        tick: u64,
        ticks_per_quarter: u32,
    },
    #[error("a grid needs at least one step per quarter note")]
    EmptyGrid,
    #[error("the grid needs {ticks_per_quarter} ticks per quarter, more than a score can hold")]
    Resolution { ticks_per_quarter: u64 },
}
