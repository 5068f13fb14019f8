//! Standard MIDI files <-> `Score`.
//!
//! Reading goes bytes -> chunks (`chunks`: a truncated file is an error) -> events
//! (midly, with running status carried across meta and sysex events as real files need)
//! -> meaning (`read`: notes, parts, tempo, metre, key). Writing (`write`) produces a format-1 file that `read_bytes` turns back into the
//! same `Score`; the one convention both sides share, how a pickup bar is spelled with
//! time signatures, lives in `pickup`.
//!
//! Deliberately not handled: RIFF-wrapped `.rmi` files, controllers, pitch bend and lyrics
//! (ignored).

mod chunks;
mod pickup;
mod read;
mod write;

use std::path::{Path, PathBuf};

use crate::score::{Score, SourceEvents};

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
    read_file_with_events(path).map(|(score, _)| score)
}

/// Reads a MIDI file into a Score, and says whether it stated its metre and key (a
/// `Score` holds 4/4 and C major where the file has no such events).
pub fn read_file_with_events(path: &Path) -> Result<(Score, SourceEvents), MidiError> {
    let bytes = std::fs::read(path).map_err(|source| MidiError::Io { path: path.to_path_buf(), source })?;
    read_bytes_with_events(&bytes, path)
}

/// Reads MIDI bytes; `path` only names the source in errors.
///
/// Interpretation (see `read` for the details):
/// - formats 0 and 1, and format 2 with its tracks played one after another; truncated
///   or malformed files are errors; the quirks of
///   real files that common readers accept are accepted too: running status across meta
///   and sysex events, system common and real-time messages (skipped), a missing
///   end-of-track event, a last track's length overrunning the
///   file by a few bytes when its events are complete, more tracks than the header says;
/// - a note-on with velocity 0 is a note-off; a note-off ends every note of its pitch and
///   channel that started before it (a re-struck key: both notes end there); a note never
///   turned off is dropped, as are zero-length notes;
/// - one part per (track, channel, program): a program change starts a new part for the
///   notes after it; channel 10 (index 9) gives drum parts; parts without notes are dropped;
/// - the title is the name of the first track; a track's name names its parts and labels
///   their instruments;
/// - a first time signature shorter than one bar of the second is a pickup (see `pickup`);
/// - SMPTE timecode files are converted: one quarter note is one second (or 1.001 s at
///   29.97 fps) and tempo events are ignored, since they do not affect timecode timing.
pub fn read_bytes(bytes: &[u8], path: &Path) -> Result<Score, MidiError> {
    read_bytes_with_events(bytes, path).map(|(score, _)| score)
}

/// `read_bytes`, also saying which of metre and key the file stated.
pub fn read_bytes_with_events(bytes: &[u8], path: &Path) -> Result<(Score, SourceEvents), MidiError> {
    let invalid = |reason| MidiError::Invalid { path: path.to_path_buf(), reason };
    let container = chunks::split(bytes).map_err(invalid)?;
    read::score(&container).map_err(invalid)
}

/// Writes a score as a format-1 MIDI file (one track per part, a conductor track first).
///
/// The conductor track holds the title (as its name), the tempo map, the time signatures
/// (a pickup as a first, short signature) and the key signatures. Each part's track holds
/// its name (the part name, else the instrument name), a program change and its notes on
/// the part's channel; parts without a usable channel get 0, 1, 2, ... (skipping 9), drum
/// parts always channel 9.
///
/// What survives a round trip through `read_bytes` is described in `write`.
pub fn to_bytes(score: &Score) -> Vec<u8> {
    write::to_bytes(score, SourceEvents { time_signature: true, key_signature: true })
}

/// `to_bytes`, writing time and key signatures only where `stated` says the score has
/// them (a performance recorded as MIDI has neither: its `Score` holds placeholders).
pub fn to_bytes_stating(score: &Score, stated: SourceEvents) -> Vec<u8> {
    write::to_bytes(score, stated)
}
