//! The dataset label readers on arbitrary text: MusicNet's label CSV (then the score
//! built from its labels) and URMP's `Notes_` files, chosen by the first byte. They must
//! never panic; every line is a label, a reported bad row, or the header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prep::datasets::{musicnet, urmp};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if selector % 2 == 0 {
        if let Ok((labels, bad)) = musicnet::parse_labels(text) {
            let (score, _) = musicnet::labelled_score(&labels, None);
            assert!(score.parts.iter().flat_map(|p| &p.notes).all(|n| n.duration > 0 && n.pitch <= 127));
            assert!(labels.len() + bad.len() <= text.lines().count().max(1), "more rows than lines");
        }
    } else {
        let (notes, bad) = urmp::parse_notes(text);
        assert!(notes.len() + bad.len() <= text.lines().count(), "more notes than lines");
    }
});
