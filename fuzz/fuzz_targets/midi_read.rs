//! The MIDI reader on arbitrary bytes: it must never panic; what it reads keeps the
//! `Score` invariants, and writing it back gives a file the reader accepts.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use prep::midi::{read_bytes, read_bytes_with_events, to_bytes};

fuzz_target!(|data: &[u8]| {
    let Ok((score, _stated)) = read_bytes_with_events(data, Path::new("fuzz.mid")) else { return };
    for part in &score.parts {
        assert!(part.notes.iter().all(|n| n.duration > 0 && n.pitch <= 127), "invalid note");
    }
    let written = to_bytes(&score);
    if let Err(err) = read_bytes(&written, Path::new("rewritten.mid")) {
        panic!("a score read from MIDI does not read back after writing: {err}");
    }
});
