//! Pitch spelling: MIDI pitch -> ABC note (`^F`, `_B,`, `c'`) in a key, with the bar's
//! accidental state.
//!
//! Diatonic pitches take the key's spelling; chromatic ones a natural letter when one
//! fits, else sharps in sharp keys and C, flats in flat keys. An accidental lasts until
//! the bar line. Readers disagree on whether it also covers the same letter in other
//! octaves, so an accidental is written whenever *either* reading (same octave only, or
//! all octaves) would otherwise give the wrong pitch.

use crate::score::{Key, LETTER_PITCH_CLASS, LETTERS};

/// No accidental written for this letter (and octave) in the current bar.
const NONE: i8 = i8::MIN;
/// Written before a mid-bar key change: readers disagree on what it means now.
const AMBIGUOUS: i8 = i8::MAX;
/// MIDI octaves -1..=11 (a `B#` or `Cb` can leave 0..=9).
const OCTAVES: usize = 13;

/// How one MIDI pitch is written in the current key.
#[derive(Debug, Clone, Copy, Default)]
struct Spelled {
    /// Index into `LETTERS`.
    letter: u8,
    alteration: i8,
    /// Alteration the key signature gives the letter.
    signature: i8,
    /// Index of (octave, letter) in `Speller::same_octave`.
    slot: u8,
    /// The note without accidental (`C,`, `c'`): a range of `Speller::names`.
    name: (u16, u16),
}

/// Spells pitches of one voice, bar by bar.
#[derive(Debug, Clone)]
pub struct Speller {
    /// Spelling of every MIDI pitch in the current key.
    pitches: [Spelled; 128],
    /// Note names of all pitches, concatenated.
    names: String,
    /// Alteration written in this bar, per (octave, letter).
    same_octave: [i8; OCTAVES * 7],
    /// Alteration last written in this bar for a letter, in any octave.
    any_octave: [i8; 7],
}

impl Speller {
    pub fn new(key: Key) -> Self {
        let mut speller = Speller {
            pitches: [Spelled::default(); 128],
            names: String::with_capacity(128 * 4),
            same_octave: [NONE; OCTAVES * 7],
            any_octave: [NONE; 7],
        };
        speller.spell_key(key);
        speller
    }

    /// Fills the per-pitch table for `key`.
    fn spell_key(&mut self, key: Key) {
        let classes = spelling_table(key);
        self.names.clear();
        for (pitch, spelled) in self.pitches.iter_mut().enumerate() {
            let (letter, alteration) = classes[pitch % 12];
            let octave = (pitch as i32 - i32::from(alteration)).div_euclid(12) - 1; // 60 is C4
            let from = self.names.len() as u16;
            let name = LETTERS[usize::from(letter)];
            if octave >= 5 {
                self.names.push(name.to_ascii_lowercase());
                self.names.extend(std::iter::repeat_n('\'', (octave - 5) as usize));
            } else {
                self.names.push(name);
                self.names.extend(std::iter::repeat_n(',', (4 - octave).max(0) as usize));
            }
            *spelled = Spelled {
                letter,
                alteration,
                signature: key.alteration(usize::from(letter)),
                slot: ((octave + 1).clamp(0, OCTAVES as i32 - 1) * 7 + i32::from(letter)) as u8,
                name: (from, self.names.len() as u16),
            };
        }
    }

    /// A bar line: accidentals end.
    pub fn bar_line(&mut self) {
        self.same_octave = [NONE; OCTAVES * 7];
        self.any_octave = [NONE; 7];
    }

    /// A key change. Accidentals already written in this bar become ambiguous (readers
    /// differ on whether a `K:` cancels them), so those letters get explicit ones.
    pub fn set_key(&mut self, key: Key) {
        self.spell_key(key);
        for state in self.same_octave.iter_mut().chain(self.any_octave.iter_mut()) {
            if *state != NONE {
                *state = AMBIGUOUS;
            }
        }
    }

    /// Appends the ABC spelling of `pitch` (accidental if needed, letter, octave marks).
    pub fn write(&mut self, pitch: u8, out: &mut String) {
        let spelled = self.pitches[usize::from(pitch & 0x7f)];
        let (slot, letter) = (usize::from(spelled.slot), usize::from(spelled.letter));
        let read_as = |state: i8| if state == NONE { spelled.signature } else { state };
        let alteration = spelled.alteration;
        if read_as(self.same_octave[slot]) != alteration || read_as(self.any_octave[letter]) != alteration {
            out.push(match alteration {
                1 => '^',
                -1 => '_',
                _ => '=',
            });
            self.same_octave[slot] = alteration;
            self.any_octave[letter] = alteration;
        }
        out.push_str(&self.names[usize::from(spelled.name.0)..usize::from(spelled.name.1)]);
    }
}

/// (letter, alteration) for each pitch class in `key`.
fn spelling_table(key: Key) -> [(u8, i8); 12] {
    let mut table = [(0u8, 0i8); 12];
    let chromatic = if key.fifths >= 0 { 1 } else { -1 };
    for (pitch_class, entry) in table.iter_mut().enumerate() {
        let sounds = |letter: usize, alteration: i8| {
            (i32::from(LETTER_PITCH_CLASS[letter]) + i32::from(alteration)).rem_euclid(12) as usize == pitch_class
        };
        let fits = |alteration: &dyn Fn(usize) -> i8| {
            (0..7).find(|&l| sounds(l, alteration(l))).map(|l| (l as u8, alteration(l)))
        };
        *entry =
            fits(&|l| key.alteration(l)).or_else(|| fits(&|_| 0)).or_else(|| fits(&|_| chromatic)).unwrap_or((0, 0));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Mode;

    fn spell(key: Key, pitches: &[u8]) -> String {
        let mut speller = Speller::new(key);
        let mut out = String::new();
        for &p in pitches {
            speller.write(p, &mut out);
            out.push(' ');
        }
        out
    }

    #[test]
    fn octaves_around_middle_c() {
        let c = Key::default();
        assert_eq!(spell(c, &[48, 60, 72, 84, 36, 71]), "C, C c c' C,, B ");
    }

    #[test]
    fn key_spelling_and_chromatic_notes() {
        assert_eq!(spell(Key::new(2, Mode::Major), &[66, 61, 65]), "F C =F ");
        assert_eq!(spell(Key::new(-3, Mode::Major), &[63, 66, 64]), "E _G =E ");
        assert_eq!(spell(Key::default(), &[61, 70]), "^C ^A ");
        // C# major spells C as B#, F as E#.
        assert_eq!(spell(Key::new(7, Mode::Major), &[60, 65]), "B, E ");
        // Cb major spells B as Cb, in the octave of the C.
        assert_eq!(spell(Key::new(-7, Mode::Major), &[59, 71]), "C c ");
    }

    #[test]
    fn accidentals_carry_through_the_bar_in_every_octave() {
        let c = Key::default();
        // Same octave: the second F# needs no sign, the F natural does.
        assert_eq!(spell(c, &[66, 66, 65]), "^F F =F ");
        // Other octave: F# then high F natural needs `=` (all-octaves reading), and a
        // high F# after that needs `^` again.
        assert_eq!(spell(c, &[66, 77, 78]), "^F =f ^f ");
        let mut speller = Speller::new(c);
        let mut out = String::new();
        speller.write(66, &mut out);
        speller.bar_line();
        speller.write(66, &mut out);
        assert_eq!(out, "^F^F");
    }

    #[test]
    fn mid_bar_key_change_makes_earlier_accidentals_explicit() {
        let mut speller = Speller::new(Key::default());
        let mut out = String::new();
        speller.write(66, &mut out); // ^F
        speller.set_key(Key::new(1, Mode::Major));
        speller.write(66, &mut out); // F# is diatonic in G, but ^F was written: explicit
        speller.write(66, &mut out);
        speller.write(61, &mut out); // C# chromatic
        assert_eq!(out, "^F^FF^C");
    }
}
