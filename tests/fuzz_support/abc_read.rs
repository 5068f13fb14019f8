//! Fuzz body `abc_read`: the ABC reader on any UTF-8 text must never panic, and what it
//! returns keeps the `Score` invariants (notes of positive length, MIDI pitches, sorted
//! by onset) and names a part for every voice id.

use prep::abc::read::parse;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse(text);
    for part in &parsed.score.parts {
        assert!(part.notes.iter().all(|n| n.duration > 0 && n.pitch <= 127), "invalid note in {text:?}");
        assert!(part.notes.windows(2).all(|w| (w[0].start, w[0].pitch) <= (w[1].start, w[1].pitch)), "unsorted");
    }
    assert_eq!(parsed.voice_ids.len(), parsed.score.parts.len(), "a voice id per part");
    if let Some(groups) = parsed.part_groups() {
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), parsed.score.parts.len());
    }
}
