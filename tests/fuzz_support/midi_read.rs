//! Fuzz body `midi_read`: the MIDI reader on any bytes must never panic; what it reads
//! keeps the `Score` invariants, writing it gives a file the reader accepts again, and
//! converting it to ABC as `prep midi2abc` does (quantize, infer metre and key, write)
//! either succeeds or fails with an error, never a panic.

use std::path::Path;

use prep::abc::convert::{ConvertOptions, convert_score};
use prep::midi::{read_bytes, read_bytes_with_events, to_bytes};

pub fn run(data: &[u8]) {
    let Ok((score, stated)) = read_bytes_with_events(data, Path::new("fuzz.mid")) else { return };
    for part in &score.parts {
        assert!(part.notes.iter().all(|n| n.duration > 0 && n.pitch <= 127), "invalid note");
    }
    let written = to_bytes(&score);
    if let Err(err) = read_bytes(&written, Path::new("rewritten.mid")) {
        panic!("a score read from MIDI does not read back after writing: {err}");
    }
    let _ = convert_score(&score, stated, &ConvertOptions::default());
}
