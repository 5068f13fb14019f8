//! Standard MIDI files <-> Score, with midly.

use std::path::{Path, PathBuf};

use crate::score::Score;

/// Why a MIDI file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MidiError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid MIDI file: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// Reads a MIDI file into a Score.
pub fn read_file(path: &Path) -> Result<Score, MidiError> {
    let _ = path;
    todo!("MIDI reader")
}

/// Reads MIDI bytes; `path` only names the source in errors.
pub fn read_bytes(bytes: &[u8], path: &Path) -> Result<Score, MidiError> {
    let _ = (bytes, path);
    todo!("MIDI reader")
}

/// Writes a score as a format-1 MIDI file (one track per part, a conductor track first).
pub fn to_bytes(score: &Score) -> Vec<u8> {
    let _ = score;
    todo!("MIDI writer")
}
