//! Keys: a key signature (sharps or flats) plus a mode, and how ABC spells them.

use std::fmt;

/// The mode of a key. ABC allows all seven church modes; MIDI only major and minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    #[default]
    Major,
    Minor,
    Dorian,
    Phrygian,
    Lydian,
    Mixolydian,
    Locrian,
}

impl Mode {
    /// Every mode, major and minor first.
    pub const ALL: [Mode; 7] =
        [Mode::Major, Mode::Minor, Mode::Dorian, Mode::Phrygian, Mode::Lydian, Mode::Mixolydian, Mode::Locrian];

    /// Scale degree (0-based, in the major scale of the signature) that is this mode's tonic.
    fn degree(self) -> usize {
        match self {
            Mode::Major => 0,
            Mode::Dorian => 1,
            Mode::Phrygian => 2,
            Mode::Lydian => 3,
            Mode::Mixolydian => 4,
            Mode::Minor => 5,
            Mode::Locrian => 6,
        }
    }

    /// The suffix ABC writes after the tonic (`m` for minor, `Dor` for Dorian, ...).
    pub fn abc_suffix(self) -> &'static str {
        match self {
            Mode::Major => "",
            Mode::Minor => "m",
            Mode::Dorian => "Dor",
            Mode::Phrygian => "Phr",
            Mode::Lydian => "Lyd",
            Mode::Mixolydian => "Mix",
            Mode::Locrian => "Loc",
        }
    }
}

/// Letters in scale order, starting from C.
pub const LETTERS: [char; 7] = ['C', 'D', 'E', 'F', 'G', 'A', 'B'];
/// Pitch class of each natural letter in `LETTERS`.
pub const LETTER_PITCH_CLASS: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];

/// A key: signature as a count of fifths (-7 = 7 flats .. 7 = 7 sharps) and a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Key {
    pub fifths: i8,
    pub mode: Mode,
}

impl Key {
    pub fn new(fifths: i8, mode: Mode) -> Self {
        Key { fifths: fifths.clamp(-7, 7), mode }
    }

    /// Alteration (-1 flat, 0, +1 sharp) the signature gives a letter (index into `LETTERS`).
    pub fn alteration(&self, letter: usize) -> i8 {
        // Sharps are added in the order F C G D A E B, flats in the reverse order.
        const SHARP_ORDER: [usize; 7] = [3, 0, 4, 1, 5, 2, 6];
        let rank = SHARP_ORDER.iter().position(|&l| l == letter).unwrap_or(0) as i8;
        if self.fifths > 0 && rank < self.fifths {
            1
        } else if self.fifths < 0 && 6 - rank < -self.fifths {
            -1
        } else {
            0
        }
    }

    /// Letter index and alteration of the tonic.
    pub fn tonic(&self) -> (usize, i8) {
        // The major tonic of the signature moves a fifth (4 letters) per sharp.
        let major_letter = (self.fifths as i32 * 4).rem_euclid(7) as usize;
        let letter = (major_letter + self.mode.degree()) % 7;
        (letter, self.alteration(letter))
    }

    /// Pitch class (0 = C) of the tonic.
    pub fn tonic_pitch_class(&self) -> u8 {
        let (letter, alteration) = self.tonic();
        (i16::from(LETTER_PITCH_CLASS[letter]) + i16::from(alteration)).rem_euclid(12) as u8
    }

    /// The key as an ABC `K:` value, e.g. `D`, `Bbm`, `F#m`, `EDor`.
    pub fn abc_name(&self) -> String {
        let (letter, alteration) = self.tonic();
        let accidental = match alteration {
            1 => "#",
            -1 => "b",
            _ => "",
        };
        format!("{}{}{}", LETTERS[letter], accidental, self.mode.abc_suffix())
    }

    /// The key with this tonic pitch class and mode that has the fewest accidentals.
    pub fn from_tonic(pitch_class: u8, mode: Mode) -> Key {
        (-7..=7)
            .map(|f| Key::new(f, mode))
            .filter(|k| k.tonic_pitch_class() == pitch_class % 12)
            .min_by_key(|k| k.fifths.abs())
            .unwrap_or_default()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.abc_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_circle_of_fifths() {
        assert_eq!(Key::new(0, Mode::Major).abc_name(), "C");
        assert_eq!(Key::new(2, Mode::Major).abc_name(), "D");
        assert_eq!(Key::new(-2, Mode::Minor).abc_name(), "Gm");
        assert_eq!(Key::new(3, Mode::Minor).abc_name(), "F#m");
        assert_eq!(Key::new(-7, Mode::Major).abc_name(), "Cb");
        assert_eq!(Key::new(-1, Mode::Major).abc_name(), "F");
        assert_eq!(Key::new(0, Mode::Dorian).abc_name(), "DDor");
    }

    #[test]
    fn signature_alterations() {
        let d = Key::new(2, Mode::Major);
        assert_eq!(d.alteration(3), 1); // F#
        assert_eq!(d.alteration(0), 1); // C#
        assert_eq!(d.alteration(4), 0); // G
        let e_flat = Key::new(-3, Mode::Major);
        assert_eq!(e_flat.alteration(6), -1); // Bb
        assert_eq!(e_flat.alteration(2), -1); // Eb
        assert_eq!(e_flat.alteration(5), -1); // Ab
        assert_eq!(e_flat.alteration(1), 0); // D
    }

    #[test]
    fn from_tonic_prefers_fewer_accidentals() {
        assert_eq!(Key::from_tonic(9, Mode::Minor), Key::new(0, Mode::Minor));
        assert_eq!(Key::from_tonic(10, Mode::Major), Key::new(-2, Mode::Major));
        assert_eq!(Key::from_tonic(6, Mode::Minor), Key::new(3, Mode::Minor));
    }
}
