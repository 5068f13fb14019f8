//! Voice splitting: an ABC voice is a sequence of chords and rests that never overlap,
//! while a MIDI part may hold overlapping notes. Notes with the same onset and duration
//! form a chord; chords go, in onset order, to the first voice of their part that is
//! free at their onset (greedy interval partitioning), and to a new voice of the same
//! instrument when none is. No note is ever dropped.

use crate::score::{Part, Score};

/// Notes sounding together from `start` to `end` (ticks); `pitches` indexes
/// `Voice::pitches`, sorted ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub start: u64,
    pub end: u64,
    pub pitches: (u32, u32),
}

/// One ABC voice: the part it came from and its chords in onset order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// Index into `Score::parts`; `None` for the rest-only voice of an empty score.
    pub part: Option<usize>,
    pub chords: Vec<Chord>,
    /// Pitch pool the chords index into.
    pub pitches: Vec<u8>,
}

impl Voice {
    fn new(part: Option<usize>) -> Self {
        Voice { part, chords: Vec::new(), pitches: Vec::new() }
    }

    /// Tick at which the last chord ends.
    fn free_from(&self) -> u64 {
        self.chords.last().map_or(0, |c| c.end)
    }

    fn push(&mut self, start: u64, end: u64, pitches: impl Iterator<Item = u8>) {
        let first = self.pitches.len() as u32;
        self.pitches.extend(pitches);
        self.chords.push(Chord { start, end, pitches: (first, self.pitches.len() as u32) });
    }
}

/// The voices of a score, part by part (every part gives at least one voice). A score
/// without parts gives one rest-only voice.
pub fn split_voices(score: &Score) -> Vec<Voice> {
    let mut voices = Vec::with_capacity(score.parts.len());
    let mut notes = Vec::new();
    for (index, part) in score.parts.iter().enumerate() {
        split_part(index, part, &mut notes, &mut voices);
    }
    if voices.is_empty() {
        voices.push(Voice::new(None));
    }
    voices
}

fn split_part(index: usize, part: &Part, notes: &mut Vec<(u64, u64, u8)>, voices: &mut Vec<Voice>) {
    let first_voice = voices.len();
    voices.push(Voice::new(Some(index)));
    notes.clear();
    // Zero-length notes (invalid, but possible in broken input) last one tick.
    notes.extend(part.notes.iter().map(|n| (n.start, n.start + n.duration.max(1), n.pitch)));
    notes.sort_unstable();
    let mut i = 0;
    while i < notes.len() {
        let (start, end, _) = notes[i];
        // A chord: same onset and end, distinct pitches (a repeated pitch starts a new
        // chord, which then lands in another voice).
        let mut j = i + 1;
        while j < notes.len() && notes[j].0 == start && notes[j].1 == end && notes[j].2 != notes[j - 1].2 {
            j += 1;
        }
        let target = (first_voice..voices.len()).find(|&v| voices[v].free_from() <= start).unwrap_or_else(|| {
            voices.push(Voice::new(Some(index)));
            voices.len() - 1
        });
        voices[target].push(start, end, notes[i..j].iter().map(|n| n.2));
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Instrument, Note};

    fn part(notes: &[(u64, u64, u8)]) -> Part {
        Part {
            name: None,
            instrument: Instrument::from_program(0),
            channel: None,
            is_drum: false,
            notes: notes
                .iter()
                .map(|&(start, duration, pitch)| Note { start, duration, pitch, velocity: 80 })
                .collect(),
        }
    }

    #[test]
    fn chords_and_overlaps() {
        let mut score = Score::new(4);
        // C-E chord (0..4), G overlapping (2..6), then D (4..8) fits voice 1 again.
        score.parts.push(part(&[(0, 4, 60), (0, 4, 64), (2, 4, 67), (4, 4, 62)]));
        let voices = split_voices(&score);
        assert_eq!(voices.len(), 2);
        assert_eq!(voices[0].chords.len(), 2);
        assert_eq!(voices[0].chords[0].pitches, (0, 2));
        assert_eq!(voices[0].pitches, vec![60, 64, 62]);
        assert_eq!(voices[0].chords[1], Chord { start: 4, end: 8, pitches: (2, 3) });
        assert_eq!(voices[1].chords, vec![Chord { start: 2, end: 6, pitches: (0, 1) }]);
    }

    #[test]
    fn repeated_pitch_goes_to_another_voice() {
        let mut score = Score::new(4);
        score.parts.push(part(&[(0, 4, 60), (0, 4, 60)]));
        let voices = split_voices(&score);
        assert_eq!(voices.len(), 2);
        assert_eq!(voices[1].pitches, vec![60]);
    }

    #[test]
    fn empty_score_has_one_rest_voice() {
        let voices = split_voices(&Score::new(480));
        assert_eq!(voices, vec![Voice::new(None)]);
    }
}
