//! A voice as the pitch loss sees it: one token per onset, the set of pitches struck.
//!
//! A single note and a chord are both a pitch set (octave included); a chord's notes
//! are unordered, so `[CEG]` and `[GEC]` are the same token. Rhythm is ignored here on
//! purpose (the recipe's definition); the onset F1 reports it separately.

use crate::score::Part;

/// The MIDI pitches struck at one onset, as a 128-bit set (bit p = pitch p).
pub type PitchSet = u128;

/// The voice's tokens in time order: notes starting at the same tick form one chord.
/// Relies on the `Part` invariant that notes are sorted by start.
pub fn voice_tokens(part: &Part) -> Vec<PitchSet> {
    let mut tokens = Vec::with_capacity(part.notes.len());
    let mut current: Option<(u64, PitchSet)> = None;
    for note in &part.notes {
        let bit = 1u128 << (note.pitch & 0x7f);
        current = match current {
            Some((start, set)) if start == note.start => Some((start, set | bit)),
            Some((_, set)) => {
                tokens.push(set);
                Some((note.start, bit))
            }
            None => Some((note.start, bit)),
        };
    }
    if let Some((_, set)) = current {
        tokens.push(set);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Instrument, Note};

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
    }
}
