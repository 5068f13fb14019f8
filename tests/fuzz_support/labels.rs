//! Fuzz body `labels`: the dataset label readers on any text, chosen by the first byte:
//! MusicNet's label CSV (then the score built from its labels) and URMP's `Notes_`
//! files. They must never panic; every record is a label, a reported bad row or the
//! header, and the score keeps the `Score` invariants.

use prep::datasets::{musicnet, urmp};

pub fn run(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    // CSV ends a record at `\n`, `\r` or `\r\n`; a URMP line at `\n`.
    let csv_lines = text.split(['\n', '\r']).count();
    if selector % 2 == 0 {
        if let Ok((labels, bad)) = musicnet::parse_labels(text) {
            let (score, _) = musicnet::labelled_score(&labels, None);
            assert!(score.parts.iter().flat_map(|p| &p.notes).all(|n| n.duration > 0 && n.pitch <= 127));
            assert!(labels.len() + bad.len() <= csv_lines, "more rows than lines");
        }
    } else {
        let (notes, bad) = urmp::parse_notes(text);
        assert!(notes.len() + bad.len() <= text.lines().count(), "more notes than lines");
    }
}
