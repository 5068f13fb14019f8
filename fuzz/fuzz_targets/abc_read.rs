//! The ABC reader on arbitrary text: it must never panic, and what it returns must keep
//! the `Score` invariants (notes of positive length, MIDI pitches, sorted by onset).
#![no_main]

use libfuzzer_sys::fuzz_target;
use prep::abc::read::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse(text);
    for part in &parsed.score.parts {
        assert!(part.notes.iter().all(|n| n.duration > 0 && n.pitch <= 127), "invalid note in {text:?}");
        assert!(part.notes.windows(2).all(|w| (w[0].start, w[0].pitch) <= (w[1].start, w[1].pitch)), "unsorted");
    }
});
