//! A voice as the pitch loss sees it: one token per onset, the set of pitches struck.
//!
//! A single note and a chord are both a pitch set (octave included); a chord's notes
//! are unordered, so `[CEG]` and `[GEC]` are the same token. Rhythm is ignored here on
//! purpose (the recipe's definition); the onset F1 reports it separately.

use std::ops::Range;

use crate::score::{Note, Part};

/// The MIDI pitches struck at one onset, as a 128-bit set (bit p = pitch p).
pub type PitchSet = u128;

/// The voice's tokens in time order: notes starting at the same tick form one chord.
/// Relies on the `Part` invariant that notes are sorted by start.
pub fn voice_tokens(part: &Part) -> Vec<PitchSet> {
    onsets(part).map(|chord| chord.iter().fold(0, |set, note| set | (1u128 << (note.pitch & 0x7f)))).collect()
}

/// The notes of each token of [`voice_tokens`], as index ranges into `part.notes`.
pub fn token_notes(part: &Part) -> Vec<Range<usize>> {
    let mut start = 0;
    onsets(part)
        .map(|chord| {
            start += chord.len();
            start - chord.len()..start
        })
        .collect()
}

/// The part's notes grouped by start tick.
fn onsets(part: &Part) -> impl Iterator<Item = &[Note]> {
    part.notes.chunk_by(|a, b| a.start == b.start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Instrument;

    #[test]
    fn notes_with_one_onset_are_one_chord_token() {
        let note = |start, pitch| Note { start, duration: 10, pitch, velocity: 80 };
        let part = Part {
            name: None,
            instrument: Instrument::from_program(0),
            channel: None,
            is_drum: false,
            notes: vec![note(0, 60), note(0, 64), note(0, 67), note(10, 72), note(20, 127)],
        };
        let tokens = voice_tokens(&part);
        assert_eq!(tokens, vec![(1 << 60) | (1 << 64) | (1 << 67), 1 << 72, 1 << 127]);
        assert_eq!(token_notes(&part), [0..3, 3..4, 4..5]);
    }
}
