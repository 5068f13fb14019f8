//! Voices and their lines: every part is one ABC voice (`V:`), and the notes of a part
//! that overlap are written in one of two ways (`Polyphony`).
//!
//! **Overlays** (scores). A line is a sequence of chords and rests that never overlap.
//! Notes of a part with the same onset and end form a chord (a double stop stays one
//! chord). Chords go, in onset order, to a line of their part that is free at their
//! onset, and to a new line only when none is: the interval partitioning that needs
//! exactly as many lines as the most chords sounding at once, the part's polyphony. Among
//! the free lines a chord takes the one that continues its register (see `line_cost`), so
//! that a melody stays on one line and a held bass on another. Then, bar by bar, the lines
//! that sound in a bar move to the lowest places where no note crosses the bar line
//! (`compact`): the main line is silent only when a tied note holds an overlay's place,
//! and an overlay that is silent in a bar is not written there. A score's notes overlap
//! where its composer wrote voices, and the lines bring them back.
//!
//! **Tied chords** (performances). A player's notes overlap where a key is held past the
//! next onset (legato, a bass held under a melody, a finger pedal), not where a voice was
//! notated, and lines made from them are voices no one wrote: a performed piano part came
//! out with five overlays a bar, each note in whichever line was free. Here the part is
//! one line: each stretch between consecutive onsets and releases is a chord of the notes
//! sounding in it, and a note going on into the next stretch is tied into it on its own
//! (`[C,-E-G]2[C,EA]2`: C and E held, G released, A struck). abc2midi and the reader join
//! the ties, so the notes and their lengths are those of the overlays. Only a note struck
//! while its own pitch still sounds in the part (a unison, which a chord cannot hold
//! twice) goes to an overlay line, as above; and a part that sounds more notes at once
//! than letters can spell keeps its overlays (see `tied_chord_lines`).
//!
//! No note is ever dropped.

use super::spelling::letters_suffice;
use crate::score::Score;

/// Notes sounding together from `start` to `end` (ticks); `pitches` indexes
/// `Line::pitches`, sorted ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub start: u64,
    pub end: u64,
    pub pitches: (u32, u32),
}

/// How a voice writes the notes of its part that overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Polyphony {
    /// Lines of their own, written as `&` overlays (the notes of a score).
    #[default]
    Overlays,
    /// One line of chords, a note held into the next chord tied on its own (the notes of
    /// a performance).
    TiedChords,
}

/// Bit of a pitch-pool entry that ties the note into the line's next chord, where it
/// goes on (tied chords only; the low 7 bits are the MIDI pitch).
pub const HELD: u8 = 0x80;

/// The MIDI pitch of a pitch-pool entry.
pub fn pitch_of(entry: u8) -> u8 {
    entry & !HELD
}

/// Whether a pitch-pool entry's note goes on, tied, into the line's next chord.
pub fn is_held(entry: u8) -> bool {
    entry & HELD != 0
}

/// One line of a voice: its chords in onset order, none overlapping another.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    pub chords: Vec<Chord>,
    /// Pitch pool the chords index into: entries as `pitch_of` and `is_held` read them.
    pub pitches: Vec<u8>,
}

impl Line {
    /// Tick at which the last chord ends.
    fn free_from(&self) -> u64 {
        self.chords.last().map_or(0, |c| c.end)
    }

    /// Mean pitch of the last chord, `None` before the first.
    fn last_pitch(&self) -> Option<f64> {
        let chord = self.chords.last()?;
        Some(mean_pitch(self.pitches[chord.pitches.0 as usize..chord.pitches.1 as usize].iter().map(|&p| pitch_of(p))))
    }

    fn push(&mut self, start: u64, end: u64, pitches: impl Iterator<Item = u8>) {
        let first = self.pitches.len() as u32;
        self.pitches.extend(pitches);
        self.chords.push(Chord { start, end, pitches: (first, self.pitches.len() as u32) });
    }
}

/// One ABC voice: the part it came from and its lines (the first is the voice's main
/// line, the others its overlays). Every voice has at least one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// Index into `Score::parts`; `None` for the rest-only voice of an empty score.
    pub part: Option<usize>,
    pub lines: Vec<Line>,
}

impl Voice {
    /// Every pitch of the voice, each chord note counted (a note tied on through several
    /// chords once in each).
    pub fn pitches(&self) -> impl Iterator<Item = u8> + '_ {
        self.lines.iter().flat_map(|l| l.pitches.iter().map(|&p| pitch_of(p)))
    }
}

/// The voices of a score, one per part, on the bar lines `bars` (the first at tick 0),
/// their overlapping notes written as `polyphony` says. A score without parts gives one
/// rest-only voice.
pub fn split_voices(score: &Score, bars: &[u64], polyphony: Polyphony) -> Vec<Voice> {
    let mut voices: Vec<Voice> = Vec::with_capacity(score.parts.len());
    let mut notes = Vec::new();
    let whole = u64::from(score.ticks_per_quarter) * 4;
    for (index, part) in score.parts.iter().enumerate() {
        notes.clear();
        // Zero-length notes (invalid, but possible in broken input) last one tick.
        notes.extend(part.notes.iter().map(|n| (n.start, n.start + n.duration.max(1), n.pitch)));
        notes.sort_unstable();
        let lines = match polyphony {
            Polyphony::Overlays => split_lines(&notes, whole),
            Polyphony::TiedChords => tied_chord_lines(&notes, whole),
        };
        voices.push(Voice { part: Some(index), lines: compact(lines, bars) });
    }
    if voices.is_empty() {
        voices.push(Voice { part: None, lines: vec![Line::default()] });
    }
    voices
}

/// The lines of a part's notes, `(start, end, pitch)` sorted: as many as the most chords
/// it sounds at once (at least one).
fn split_lines(notes: &[(u64, u64, u8)], whole: u64) -> Vec<Line> {
    let mut lines = vec![Line::default()];
    let mut i = 0;
    while i < notes.len() {
        let (start, end, _) = notes[i];
        // A chord: same onset and end, distinct pitches (a repeated pitch starts a new
        // chord, which then lands on another line).
        let mut j = i + 1;
        while j < notes.len() && notes[j].0 == start && notes[j].1 == end && notes[j].2 != notes[j - 1].2 {
            j += 1;
        }
        let pitch = mean_pitch(notes[i..j].iter().map(|n| n.2));
        let free = (0..lines.len()).filter(|&l| lines[l].free_from() <= start);
        let target = free.min_by(|&a, &b| {
            let cost = |l: usize| line_cost(&lines[l], l, start, pitch, whole);
            cost(a).total_cmp(&cost(b))
        });
        let target = target.unwrap_or_else(|| {
            lines.push(Line::default());
            lines.len() - 1
        });
        lines[target].push(start, end, notes[i..j].iter().map(|n| n.2));
        i = j;
    }
    lines
}

/// A part's notes, `(start, end, pitch)` sorted, as one line of tied chords (see the
/// module documentation), followed by the overlay lines of the notes struck while their
/// pitch still sounds. A part that sounds more notes at once than letters can spell (a
/// chromatic run held down, seven semitones in a row) is written in overlays instead:
/// one chord cannot give each note a letter, and ties join notes by letter.
fn tied_chord_lines(notes: &[(u64, u64, u8)], whole: u64) -> Vec<Line> {
    let mut sounding_until = [0u64; 128];
    let (mut chorded, mut unisons) = (Vec::with_capacity(notes.len()), Vec::new());
    for &note in notes {
        let until = &mut sounding_until[usize::from(note.2 & 0x7f)];
        if *until > note.0 {
            unisons.push(note);
        } else {
            *until = note.1;
            chorded.push(note);
        }
    }
    let mut bounds: Vec<u64> = chorded.iter().flat_map(|n| [n.0, n.1]).collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut line = Line::default();
    let mut sounding: Vec<(u64, u64, u8)> = Vec::new();
    let mut next = 0;
    for stretch in bounds.windows(2) {
        let (from, to) = (stretch[0], stretch[1]);
        sounding.retain(|n| n.1 > from);
        while let Some(&note) = chorded.get(next).filter(|n| n.0 == from) {
            sounding.push(note);
            next += 1;
        }
        if !sounding.is_empty() {
            sounding.sort_unstable_by_key(|n| n.2);
            if !letters_suffice(sounding.iter().map(|n| n.2)) {
                return split_lines(notes, whole);
            }
            line.push(from, to, sounding.iter().map(|n| if n.1 > to { n.2 | HELD } else { n.2 }));
        }
    }
    let mut lines = vec![line];
    if !unisons.is_empty() {
        lines.extend(split_lines(&unisons, whole));
    }
    lines
}

/// Moves, bar by bar, the lines that sound in the bar to the lowest places free at its
/// start (no note of theirs crossing the bar line), in their present order, and the
/// silent ones after them. A line's music keeps its place while a note crosses a bar
/// line, so that ties stay within one overlay, as abc2midi reads them.
fn compact(lines: Vec<Line>, bars: &[u64]) -> Vec<Line> {
    if lines.len() < 2 {
        return lines;
    }
    // Place of each line of `lines` in the output, and where each one stands.
    let mut place: Vec<usize> = (0..lines.len()).collect();
    let mut next = vec![0usize; lines.len()];
    let mut busy_until = vec![0u64; lines.len()];
    let mut out = vec![Line::default(); lines.len()];
    let mut free: Vec<(bool, usize, usize)> = Vec::with_capacity(lines.len());
    let mut free_places = Vec::with_capacity(lines.len());
    for (bar, &start) in bars.iter().enumerate() {
        let end = bars.get(bar + 1).copied().unwrap_or(u64::MAX);
        free.clear();
        for (l, line) in lines.iter().enumerate() {
            if busy_until[l] <= start {
                let sounds = line.chords.get(next[l]).is_some_and(|c| c.start < end);
                free.push((!sounds, place[l], l));
            }
        }
        free_places.clear();
        free_places.extend(free.iter().map(|f| f.1));
        free_places.sort_unstable();
        free.sort_unstable();
        for (&(_, _, l), &p) in free.iter().zip(&free_places) {
            place[l] = p;
        }
        for (l, line) in lines.iter().enumerate() {
            while let Some(chord) = line.chords.get(next[l]).filter(|c| c.start < end) {
                let pitches = &line.pitches[chord.pitches.0 as usize..chord.pitches.1 as usize];
                out[place[l]].push(chord.start, chord.end, pitches.iter().copied());
                busy_until[l] = chord.end;
                next[l] += 1;
            }
        }
    }
    out
}

/// How badly a chord at `start` with mean pitch `pitch` continues free line `index`
/// (lower is better): a line whose last chord ends right at `start` costs the interval
/// leapt; after a rest shorter than a whole note, an octave more; a line unused for a
/// whole note or longer (or never) has lost its register and costs two octaves plus its
/// index, so that music after a long rest returns to the main line.
fn line_cost(line: &Line, index: usize, start: u64, pitch: f64, whole: u64) -> f64 {
    const OCTAVE: f64 = 12.0;
    match line.last_pitch() {
        Some(last) if line.free_from() == start => (pitch - last).abs(),
        Some(last) if start - line.free_from() < whole => OCTAVE + (pitch - last).abs(),
        _ => 2.0 * OCTAVE + index as f64,
    }
}

fn mean_pitch(pitches: impl Iterator<Item = u8>) -> f64 {
    let (sum, count) = pitches.fold((0.0, 0usize), |(sum, count), p| (sum + f64::from(p), count + 1));
    sum / count.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Instrument, Note, Part};

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

    fn lines_of(notes: &[(u64, u64, u8)]) -> Vec<Line> {
        lines_as(notes, Polyphony::Overlays)
    }

    fn lines_as(notes: &[(u64, u64, u8)], polyphony: Polyphony) -> Vec<Line> {
        let mut score = Score::new(4);
        score.parts.push(part(notes));
        let bars: Vec<u64> = (0..=8).map(|b| b * 16).collect();
        let mut voices = split_voices(&score, &bars, polyphony);
        assert_eq!(voices.len(), 1, "one voice per part");
        voices.remove(0).lines
    }

    /// A chord as the tests spell it: (start, end, [(pitch, held)]).
    type ChordNotes = (u64, u64, Vec<(u8, bool)>);

    /// Every chord of a line.
    fn chords_of(line: &Line) -> Vec<ChordNotes> {
        let entries = |c: &Chord| line.pitches[c.pitches.0 as usize..c.pitches.1 as usize].to_vec();
        line.chords
            .iter()
            .map(|c| (c.start, c.end, entries(c).into_iter().map(|e| (pitch_of(e), is_held(e))).collect()))
            .collect()
    }

    #[test]
    fn tied_chords_hold_a_bass_under_a_melody_in_one_line() {
        // A bass held for two beats under a melody of quarters, the second melody note
        // held a little into the third (a legato overlap): one line, a chord at every
        // onset and release, the notes that go on held into the next chord.
        let lines = lines_as(&[(0, 8, 48), (0, 4, 72), (4, 6, 74), (8, 4, 76)], Polyphony::TiedChords);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            chords_of(&lines[0]),
            vec![
                (0, 4, vec![(48, true), (72, false)]),
                (4, 8, vec![(48, false), (74, true)]),
                (8, 10, vec![(74, false), (76, true)]),
                (10, 12, vec![(76, false)]),
            ]
        );
    }

    #[test]
    fn tied_chords_leave_gaps_as_rests_and_restruck_keys_untied() {
        // C4 twice in a row (the second strike is no tie), a rest, then a chord.
        let lines = lines_as(&[(0, 4, 60), (4, 4, 60), (12, 4, 60), (12, 4, 64)], Polyphony::TiedChords);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            chords_of(&lines[0]),
            vec![(0, 4, vec![(60, false)]), (4, 8, vec![(60, false)]), (12, 16, vec![(60, false), (64, false)])]
        );
    }

    #[test]
    fn a_part_holding_more_notes_than_letters_keeps_its_overlays() {
        // A chromatic run from C with each key held to the end: at the seventh note, seven
        // semitones sound at once, which no chord spells; the part takes overlay lines.
        let run: Vec<(u64, u64, u8)> = (0..7u8).map(|k| (u64::from(k), 8 - u64::from(k), 60 + k)).collect();
        assert_eq!(lines_as(&run, Polyphony::TiedChords).len(), 7);
        assert_eq!(lines_as(&run[..6], Polyphony::TiedChords).len(), 1);
    }

    #[test]
    fn a_unison_struck_while_its_pitch_sounds_goes_to_an_overlay() {
        // Two players' C4 in one part, the second struck while the first still sounds: a
        // chord cannot hold it twice, so it takes an overlay line; nothing is lost.
        let lines = lines_as(&[(0, 8, 60), (0, 8, 67), (4, 8, 60)], Polyphony::TiedChords);
        assert_eq!(lines.len(), 2);
        assert_eq!(chords_of(&lines[0]), vec![(0, 8, vec![(60, false), (67, false)])]);
        assert_eq!(chords_of(&lines[1]), vec![(4, 12, vec![(60, false)])]);
    }

    #[test]
    fn chords_and_overlaps() {
        // C-E chord (0..4), G overlapping (2..6), then D (4..8) fits line 1 again.
        let lines = lines_of(&[(0, 4, 60), (0, 4, 64), (2, 4, 67), (4, 4, 62)]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].chords.len(), 2);
        assert_eq!(lines[0].chords[0].pitches, (0, 2));
        assert_eq!(lines[0].pitches, vec![60, 64, 62]);
        assert_eq!(lines[0].chords[1], Chord { start: 4, end: 8, pitches: (2, 3) });
        assert_eq!(lines[1].chords, vec![Chord { start: 2, end: 6, pitches: (0, 1) }]);
    }

    #[test]
    fn a_held_note_under_moving_ones_takes_one_line_for_the_whole_piece() {
        // Bar after bar: a whole-note bass under four quarters (16 ticks per whole note
        // at 4 per quarter), and a double stop in the upper line.
        let mut notes = Vec::new();
        for bar in 0..8u64 {
            notes.push((bar * 16, 16, 48));
            for beat in 0..4 {
                notes.push((bar * 16 + beat * 4, 4, 72 + beat as u8));
            }
            notes.push((bar * 16 + 12, 4, 67));
        }
        let lines = lines_of(&notes);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].pitches.iter().all(|&p| p >= 67), "upper line: {:?}", lines[0].pitches);
        assert!(lines[1].pitches.iter().all(|&p| p == 48), "bass line: {:?}", lines[1].pitches);
    }

    #[test]
    fn lines_follow_the_register_when_both_are_free() {
        // Two lines end together at 8; the low note continues the low line even though
        // it comes first in onset order.
        let lines = lines_of(&[(0, 8, 72), (0, 4, 48), (4, 4, 50), (8, 4, 52), (8, 6, 74)]);
        assert_eq!(lines.len(), 2);
        let [upper, lower] = [&lines[0], &lines[1]].map(|l| l.pitches.clone());
        let (upper, lower) = if upper[0] > lower[0] { (upper, lower) } else { (lower, upper) };
        assert_eq!(upper, vec![72, 74]);
        assert_eq!(lower, vec![48, 50, 52]);
    }

    #[test]
    fn a_melody_after_a_long_rest_returns_to_the_main_line() {
        // The low half note takes line 0 and the high whole note line 1; after two whole
        // notes of rest the melody (nearer the high note) goes back to line 0.
        let lines = lines_of(&[(0, 16, 72), (0, 8, 50), (48, 4, 66), (52, 4, 67)]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].pitches, vec![50, 66, 67]);
    }

    #[test]
    fn sounding_lines_move_to_the_lowest_free_places_at_bar_lines() {
        // Bar 1: a short upper note over a held low one (the low one takes line 1); the
        // melody goes on in line 1, and from bar 2 on, alone, moves to line 0.
        let lines = lines_of(&[(0, 4, 72), (0, 8, 60), (8, 8, 62), (16, 16, 64), (32, 16, 65)]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].pitches, vec![72, 64, 65]);
        assert_eq!(lines[1].pitches, vec![60, 62]);
        // A note tied over a bar line keeps its line for the next bar: the D crosses into
        // bar 2, so the E after it stays on line 1; bar 3's F moves to line 0.
        let lines = lines_of(&[(0, 4, 72), (0, 8, 60), (8, 16, 62), (24, 8, 64), (32, 8, 65)]);
        assert_eq!(lines[0].pitches, vec![72, 65]);
        assert_eq!(lines[1].pitches, vec![60, 62, 64]);
    }

    #[test]
    fn repeated_pitch_goes_to_another_line() {
        let lines = lines_of(&[(0, 4, 60), (0, 4, 60)]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].pitches, vec![60]);
    }

    #[test]
    fn empty_score_has_one_rest_voice() {
        let voices = split_voices(&Score::new(480), &[0, 1920], Polyphony::Overlays);
        assert_eq!(voices, vec![Voice { part: None, lines: vec![Line::default()] }]);
    }
}
