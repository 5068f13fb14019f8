//! One voice's reading state: where it is in time, its unit length, metre and key, the
//! accidentals in force in the current bar, open ties, tuplets and broken rhythm. Each
//! voice keeps its own, so switching voices (`V:` lines, `[V:]`) resumes exactly where
//! that voice stopped.
//!
//! Methods return problems as messages; the builder attaches line and column.

use super::duration::{self, Length, MAX_TICKS, WHOLE_TICKS};
use super::fields::Metre;
use super::lexer::NoteToken;
use crate::score::{Key, LETTER_PITCH_CLASS, Note, TimeSignature};

/// Velocity given to every note read (ABC has dynamics marks, but this reader skips them).
pub(crate) const VELOCITY: u8 = 80;

/// Explicit accidentals seen in the current bar, per letter and octave (ABC 2.1: an
/// accidental applies to later notes of the same letter and octave until the bar line).
#[derive(Debug, Clone)]
pub(crate) struct BarAccidentals {
    /// Semitones per (octave + 1) * 7 + letter, for octaves -1..=9; `UNSET` when none.
    alterations: [i8; 77],
}

const UNSET: i8 = i8::MIN;

impl BarAccidentals {
    fn new() -> Self {
        BarAccidentals { alterations: [UNSET; 77] }
    }

    fn slot(letter: usize, octave: i32) -> Option<usize> {
        let row = usize::try_from(octave.checked_add(1)?).ok().filter(|r| *r <= 10)?;
        Some(row * 7 + letter)
    }

    fn get(&self, letter: usize, octave: i32) -> Option<i8> {
        Self::slot(letter, octave).map(|s| self.alterations[s]).filter(|a| *a != UNSET)
    }

    fn set(&mut self, letter: usize, octave: i32, alteration: i8) {
        if let Some(s) = Self::slot(letter, octave) {
            self.alterations[s] = alteration;
        }
    }

    fn clear(&mut self) {
        self.alterations = [UNSET; 77];
    }
}

/// A tuplet in progress: `remaining` more notes take `factor` of their written length.
#[derive(Debug, Clone, Copy)]
struct Tuplet {
    remaining: u64,
    factor: Length,
}

/// A chord being read between `[` and `]`.
#[derive(Debug, Clone, Default)]
struct Chord {
    pitches: Vec<u8>,
    tied: Vec<bool>,
    /// Length of the first note: ABC 2.1 gives the whole chord that length.
    first_length: Option<Length>,
}

/// The last note, chord or rest placed, for `-` and `>` that follow it.
#[derive(Debug, Clone, Copy)]
struct Placed {
    start: u64,
    ticks: u64,
}

/// One ABC voice being read.
#[derive(Debug, Clone)]
pub(crate) struct Voice {
    pub id: String,
    pub name: Option<String>,
    pub program: Option<u8>,
    pub drum: bool,
    /// Notes in the order read (sorted when the part is built).
    pub notes: Vec<Note>,
    pub time: u64,
    pub unit: Length,
    pub metre: Metre,
    pub key: Key,
    /// End of the first bar, once a bar line after tick 0 was read (for the pickup).
    pub first_bar_end: Option<u64>,
    bar_start: u64,
    /// Where the main line of the bar stopped when `&` went back to the bar's start.
    overlay_resume: Option<u64>,
    /// The key at the end of the bar's main line, which its overlays are read in.
    main_key: Option<Key>,
    /// Which line of the bar is being read: 0 the main line, 1 after the first `&`, ...
    line: usize,
    /// Per line: its notes tied over the last bar line, waiting for that line's next
    /// bar (abc2midi joins a tie to the same overlay line of the next bar).
    line_ties: Vec<Vec<usize>>,
    accidentals: BarAccidentals,
    /// Notes (indices into `notes`) tied to the next element.
    open_ties: Vec<usize>,
    /// Notes of the last element, which a following `-` ties or `>` rescales.
    last_notes: Vec<usize>,
    last: Option<Placed>,
    /// Factor for the next element's length from a preceding `>` or `<`.
    broken: Option<Length>,
    tuplet: Option<Tuplet>,
    chord: Option<Chord>,
}

impl Voice {
    pub fn new(id: &str, unit: Length, metre: Metre, key: Key) -> Self {
        Voice {
            id: id.to_string(),
            name: None,
            program: None,
            drum: false,
            notes: Vec::new(),
            time: 0,
            unit,
            metre,
            key,
            first_bar_end: None,
            bar_start: 0,
            overlay_resume: None,
            main_key: None,
            line: 0,
            line_ties: Vec::new(),
            accidentals: BarAccidentals::new(),
            open_ties: Vec::new(),
            last_notes: Vec::new(),
            last: None,
            broken: None,
            tuplet: None,
            chord: None,
        }
    }

    /// Ticks of one bar of the voice's metre (a whole note in free metre).
    pub fn bar_ticks(&self, ticks_per_quarter: u32) -> u64 {
        self.metre.map_or(WHOLE_TICKS, |(numerator, denominator)| {
            TimeSignature { tick: 0, numerator, denominator }.bar_ticks(ticks_per_quarter)
        })
    }

    /// The MIDI pitch of a note: its explicit accidental (which then holds for the bar),
    /// else the bar's accidental for that letter and octave, else the key signature.
    pub fn pitch(&mut self, note: &NoteToken) -> Result<u8, String> {
        let alteration = match note.accidental {
            Some(explicit) => {
                self.accidentals.set(note.letter, note.octave, explicit);
                explicit
            }
            None => self.accidentals.get(note.letter, note.octave).unwrap_or_else(|| self.key.alteration(note.letter)),
        };
        let midi =
            (i64::from(note.octave) + 1) * 12 + i64::from(LETTER_PITCH_CLASS[note.letter]) + i64::from(alteration);
        u8::try_from(midi)
            .ok()
            .filter(|p| *p <= 127)
            .ok_or_else(|| format!("note outside the MIDI range 0..=127 (pitch {midi}); expected a playable pitch"))
    }

    pub fn in_chord(&self) -> bool {
        self.chord.is_some()
    }

    pub fn open_chord(&mut self) -> Result<(), String> {
        if self.chord.is_some() {
            return Err("'[' inside a chord: expected notes or ']'".to_string());
        }
        self.chord = Some(Chord::default());
        Ok(())
    }

    /// Adds a note to the open chord; `pitch` is `None` when the note was unplayable (its
    /// length still counts when it is the first).
    pub fn add_to_chord(&mut self, pitch: Option<u8>, length: Length) {
        if let Some(chord) = &mut self.chord {
            chord.first_length.get_or_insert(length);
            if let Some(pitch) = pitch {
                chord.pitches.push(pitch);
                chord.tied.push(false);
            }
        }
    }

    /// Closes the open chord and places it with `multiplier` times its first note's length.
    pub fn close_chord(&mut self, multiplier: Length, budget: &mut usize, problems: &mut Vec<String>) {
        let Some(chord) = self.chord.take() else {
            problems.push("']' without an open chord: expected '[' before it".to_string());
            return;
        };
        let Some(first_length) = chord.first_length else {
            problems.push("empty chord '[]': expected notes inside".to_string());
            return;
        };
        self.place(&chord.pitches, &chord.tied, first_length.times(multiplier), budget, problems);
    }

    /// Places a note (one pitch), rest (no pitch) or chord at the voice's time, joining
    /// pitches to tied notes that end exactly here, and advances the time.
    pub fn place(
        &mut self,
        pitches: &[u8],
        tied: &[bool],
        length: Length,
        budget: &mut usize,
        problems: &mut Vec<String>,
    ) {
        let mut factors = [self.unit, length, Length::ONE, self.broken.take().unwrap_or(Length::ONE)];
        if let Some(tuplet) = &mut self.tuplet {
            factors[2] = tuplet.factor;
            tuplet.remaining -= 1;
            if tuplet.remaining == 0 {
                self.tuplet = None;
            }
        }
        let previous_ties = std::mem::take(&mut self.open_ties);
        self.last = None;
        self.last_notes.clear();
        let Some(ticks) = self.checked_ticks(duration::whole_fraction_ticks(&factors), problems) else { return };
        let start = self.time;
        for (&pitch, &tie) in pitches.iter().zip(tied) {
            let joined =
                previous_ties.iter().copied().find(|&i| self.notes[i].pitch == pitch && self.notes[i].end() == start);
            let index = match joined {
                Some(i) => {
                    self.notes[i].duration += ticks;
                    i
                }
                None if *budget == 0 => {
                    problems.push(format!("more than {} notes: note skipped", super::MAX_NOTES));
                    continue;
                }
                None => {
                    *budget -= 1;
                    self.notes.push(Note { start, duration: ticks, pitch, velocity: VELOCITY });
                    self.notes.len() - 1
                }
            };
            self.last_notes.push(index);
            if tie {
                self.open_ties.push(index);
            }
        }
        self.time = start + ticks;
        self.last = Some(Placed { start, ticks });
    }

    /// Validates a computed duration: non-zero, representable, within `MAX_TICKS`.
    fn checked_ticks(&self, ticks: Option<duration::Ticks>, problems: &mut Vec<String>) -> Option<u64> {
        let Some(ticks) = ticks else {
            problems.push("unreadable length (zero denominator or too large): element skipped".to_string());
            return None;
        };
        if !ticks.exact {
            problems.push(format!(
                "length is not a whole number of ticks at {} per quarter: rounded to {}",
                super::ABC_TICKS_PER_QUARTER,
                ticks.ticks
            ));
        }
        if ticks.ticks == 0 {
            problems.push("zero length: expected a positive length, element skipped".to_string());
            return None;
        }
        if self.time.checked_add(ticks.ticks).is_none_or(|end| end > MAX_TICKS) {
            problems.push(format!("music beyond the cap of {MAX_TICKS} ticks: element skipped"));
            return None;
        }
        Some(ticks.ticks)
    }

    /// `Z`/`X`: `bars` whole bars of silence.
    pub fn bar_rest(&mut self, bars: u64, ticks_per_quarter: u32, problems: &mut Vec<String>) {
        self.open_ties.clear();
        self.last = None;
        self.last_notes.clear();
        let ticks = bars.checked_mul(self.bar_ticks(ticks_per_quarter));
        let ticks = ticks.map(|ticks| duration::Ticks { ticks, exact: true });
        if let Some(ticks) = self.checked_ticks(ticks, problems) {
            self.time += ticks;
        }
    }

    /// `-`: ties the last note of an open chord, or every note of the last element.
    pub fn tie(&mut self) -> Result<(), String> {
        if let Some(chord) = &mut self.chord {
            return match chord.tied.last_mut() {
                Some(tied) => {
                    *tied = true;
                    Ok(())
                }
                None => Err("tie '-' at the start of a chord: expected a note before it".to_string()),
            };
        }
        if self.last_notes.is_empty() {
            return Err("tie '-' without a note before it".to_string());
        }
        for &index in &self.last_notes {
            if !self.open_ties.contains(&index) {
                self.open_ties.push(index);
            }
        }
        Ok(())
    }

    /// `>` or `<`: lengthens (or shortens) the last element and sets the factor for the next.
    pub fn broken_rhythm(&mut self, marks: u32, longer_first: bool, problems: &mut Vec<String>) {
        let Some(last) = self.last else {
            problems.push("broken rhythm '>' or '<' without a note before it".to_string());
            return;
        };
        if marks > 3 {
            problems.push(format!("{marks} broken-rhythm marks: expected at most 3, reading 3"));
        }
        let (longer, shorter) = duration::broken_rhythm_factors(marks.min(3));
        let (this, next) = if longer_first { (longer, shorter) } else { (shorter, longer) };
        let Some(ticks) = self.checked_ticks(duration::scale_ticks(last.ticks, this), problems) else { return };
        for &index in &self.last_notes {
            let note = &mut self.notes[index];
            note.duration = note.duration - last.ticks + ticks;
        }
        self.time = last.start + ticks;
        self.last = Some(Placed { start: last.start, ticks });
        self.broken = Some(next);
    }

    /// `(p:q:r`: the next `r` elements take `q/p` of their length. Missing `q` follows
    /// ABC 2.1's table (compound metre for 5, 7, 9); missing `r` is `p`.
    pub fn start_tuplet(&mut self, p: u64, q: Option<u64>, r: Option<u64>) -> Result<(), String> {
        if !(2..=64).contains(&p) {
            return Err(format!("tuplet ({p}: expected 2 to 64 notes"));
        }
        let compound = self.metre.is_some_and(|(n, _)| n % 3 == 0 && n > 3);
        let q = q.unwrap_or_else(|| duration::default_tuplet_q(p, compound));
        let r = r.unwrap_or(p);
        if q == 0 || r == 0 {
            return Err(format!("tuplet ({p}:{q}:{r}: expected non-zero counts"));
        }
        self.tuplet = Some(Tuplet { remaining: r, factor: Length::new(q, p) });
        Ok(())
    }

    /// A bar line: accidentals end, an overlay returns to the main line, and the first
    /// bar's end is remembered.
    pub fn bar_line(&mut self) {
        if let Some(resume) = self.overlay_resume.take() {
            self.time = self.time.max(resume);
        }
        self.main_key = None;
        self.switch_line(0);
        if self.first_bar_end.is_none() && self.time > 0 {
            self.first_bar_end = Some(self.time);
        }
        self.bar_start = self.time;
        self.accidentals.clear();
        self.last = None;
        self.last_notes.clear();
    }

    /// `&`: the following music overlays the current bar from its start, in this voice,
    /// as abc2midi reads it: in the key the main line ended the bar in, without the
    /// bar's accidentals, its ties continuing the same overlay line of the previous bar.
    pub fn overlay(&mut self) {
        self.overlay_resume = Some(self.overlay_resume.unwrap_or(0).max(self.time));
        self.time = self.bar_start;
        self.key = *self.main_key.get_or_insert(self.key);
        self.switch_line(self.line + 1);
        self.accidentals.clear();
        self.last = None;
        self.last_notes.clear();
        self.tuplet = None;
        self.broken = None;
    }

    /// Puts the current line's open ties aside and takes up those of line `line`.
    fn switch_line(&mut self, line: usize) {
        if self.line_ties.len() <= self.line.max(line) {
            self.line_ties.resize(self.line.max(line) + 1, Vec::new());
        }
        self.line_ties[self.line] = std::mem::take(&mut self.open_ties);
        self.open_ties = std::mem::take(&mut self.line_ties[line]);
        self.line = line;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_accidentals_are_per_letter_and_octave() {
        let mut bar = BarAccidentals::new();
        bar.set(3, 4, 1);
        assert_eq!(bar.get(3, 4), Some(1));
        assert_eq!(bar.get(3, 5), None);
        bar.set(0, 42, 1);
        assert_eq!(bar.get(0, 42), None);
        bar.clear();
        assert_eq!(bar.get(3, 4), None);
    }
}
