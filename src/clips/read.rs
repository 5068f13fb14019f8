//! A clip read back from its ABC alone, for `prep qa` on ABC made elsewhere (or by an
//! earlier run): the facts come from the tune's header and voices.
//!
//! The ABC must read without a diagnostic and state `M:`, `Q:` and `K:`, otherwise the
//! facts would be the reader's defaults (4/4, 120 BPM, C major) rather than the music's.
//! One instrument per staff group of the `%%score` directive (ABC made elsewhere, or by
//! prep before overlays, gives the voices of one instrument a shared staff: `%%score 1
//! (2 3)` is two instruments; see `abc::read::Staves`), one per voice when there is no
//! directive or it does not name every voice exactly once.
//! Such a clip has no piece: `piece_id` and `source` are empty, `index` and `start_s`
//! are 0, `end_s` is the length of the music and there is no audio span.

use super::{Clip, Facts, instrument_name};
use crate::abc::read::parse;
use crate::datasets::Split;

/// Why an ABC text cannot make a clip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}, column {column}: {message}")]
    Unreadable {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the tune states no {0} field")]
    Missing(&'static str),
}

/// The clip `id` of `split` whose ABC is `abc`, with its facts read from the ABC.
pub fn clip_from_abc(id: &str, split: Split, abc: &str) -> Result<Clip, ReadError> {
    let parsed = parse(abc);
    if let Some(d) = parsed.diagnostics.first() {
        return Err(ReadError::Unreadable {
            line: d.line,
            column: d.column,
            message: d.message.clone(),
        });
    }
    for (found, field) in [
        (parsed.found.metre, "M:"),
        (parsed.found.tempo, "Q:"),
        (parsed.found.key, "K:"),
    ] {
        if !found {
            return Err(ReadError::Missing(field));
        }
    }
    let score = &parsed.score;
    let voices: Vec<String> = score.parts.iter().map(|p| instrument_name(p, score.title.as_deref())).collect();
    // One instrument per staff group, named after its first voice.
    let instruments = match parsed.part_groups() {
        Some(groups) => groups.iter().filter_map(|group| group.first().map(|&part| voices[part].clone())).collect(),
        None => voices,
    };
    let facts = Facts::of(score, instruments);
    Ok(Clip {
        id: id.to_string(),
        piece_id: String::new(),
        source: String::new(),
        split,
        index: 0,
        start_s: 0.0,
        end_s: score.seconds_at(score.end_tick()),
        audio: None,
        abc: abc.to_string(),
        tempo_bpm: facts.tempo_bpm,
        metre: facts.metre,
        key: facts.key,
        instruments: facts.instruments,
        note_count: facts.note_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "X:1\nM:4/4\nL:1/4\nQ:1/4=100\n";

    fn instruments(abc: &str) -> Vec<String> {
        clip_from_abc("c", Split::Train, abc).expect("a clip").instruments
    }

    #[test]
    fn each_staff_group_of_score_is_one_instrument_named_by_its_first_voice() {
        let voices = "V:1 name=\"Flute\"\nV:2 name=\"Violin\"\nV:3 name=\"Violin II\"\nK:C\nV:1\nC4|\nV:2\nE4|\nV:3\nG4|\n";
        assert_eq!(instruments(&format!("{HEADER}%%score 1 (2 3)\n{voices}")), ["Flute", "Violin"]);
        // Groups by voice id, not by position: the directive may list voices in any order.
        assert_eq!(instruments(&format!("{HEADER}%%staves (3 2) 1\n{voices}")), ["Violin II", "Flute"]);
        // No directive, one naming a voice the tune lacks, or one leaving a voice out:
        // one instrument per voice.
        for score in ["", "%%score 1 (2 4)\n", "%%score (1 2)\n"] {
            assert_eq!(instruments(&format!("{HEADER}{score}{voices}")), ["Flute", "Violin", "Violin II"], "{score:?}");
        }
    }
}
