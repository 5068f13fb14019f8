//! Pitch spelling: MIDI pitch -> ABC note (`^F`, `_B,`, `c'`) in a key, with the bar's
//! accidental state.
//!
//! Diatonic pitches take the key's spelling; chromatic ones a natural letter when one
//! fits, else sharps in sharp keys and C, flats in flat keys. An accidental lasts until
//! the bar line. Readers disagree on whether it also covers the same letter in other
//! octaves, so an accidental is written whenever *either* reading (same octave only, or
//! all octaves) would otherwise give the wrong pitch.
//!
//! A chord gives each note a letter and octave of its own where it can (a G-flat with a
//! G is `[^fg]`), and a tied note keeps the letter it was tied from: abc2midi 4.84 joins
//! a tie to the first note of the same letter and octave in the next chord, whatever its
//! accidental, so `[_g=g]` after a tied `=g` plays its `_g` as a G (see `write_chord`).

use super::voices::pitch_of;
use crate::score::{Key, LETTER_PITCH_CLASS, LETTERS};

/// No accidental written for this letter (and octave) in the current bar.
const NONE: i8 = i8::MIN;
/// Written before a mid-bar key change: readers disagree on what it means now.
const AMBIGUOUS: i8 = i8::MAX;
/// MIDI octaves -1..=11 (a `B#` or `Cb` can leave 0..=9).
const OCTAVES: usize = 13;

/// Spells pitches of one voice, bar by bar.
#[derive(Debug, Clone)]
pub struct Speller {
    /// Spelling of every MIDI pitch in the current key.
    pitches: [Written; 128],
    /// Alteration written in this bar, per (octave, letter).
    same_octave: [i8; OCTAVES * 7],
    /// Alteration last written in this bar for a letter, in any octave.
    any_octave: [i8; 7],
    /// Alteration the key signature gives each letter.
    signature: [i8; 7],
    /// How the notes tied into the next element were written (`write_chord`).
    tied: Vec<Written>,
    /// Scratch: the spellings of the chord being written, the order they go in, and
    /// which of them are tied on.
    plan: Vec<Written>,
    order: Vec<usize>,
    ties: Vec<bool>,
}

impl Speller {
    pub fn new(key: Key) -> Self {
        let mut speller = Speller {
            pitches: [Written::new(0, 0, 0); 128],
            same_octave: [NONE; OCTAVES * 7],
            any_octave: [NONE; 7],
            signature: [0; 7],
            tied: Vec::new(),
            plan: Vec::new(),
            order: Vec::new(),
            ties: Vec::new(),
        };
        speller.spell_key(key);
        speller
    }

    /// Fills the per-pitch table for `key`.
    fn spell_key(&mut self, key: Key) {
        let classes = spelling_table(key);
        self.signature = std::array::from_fn(|letter| key.alteration(letter));
        for (pitch, spelled) in self.pitches.iter_mut().enumerate() {
            let (letter, alteration) = classes[pitch % 12];
            *spelled = Written::new(pitch as u8, letter, alteration);
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

    /// Appends the notes of a chord (MIDI pitches, ascending; one note is a chord of one)
    /// and the ties of those that `tied_out` says go on into the next element, spelled as
    /// the key and the bar's accidentals ask, except:
    /// - a note tied in from the last element keeps the letter it was written with there,
    ///   as readers join a tie only between notes of one letter;
    /// - where two notes fall on one letter in one octave, the fewest notes not tied in
    ///   move to a neighbouring letter so that every note has a letter of its own (see the
    ///   module documentation); where no spelling does that, the tied-in note is written
    ///   first among its letter, and of two tied-out notes on one letter only the first
    ///   is tied (the other is struck again: abc2midi cannot tell two ties on one letter
    ///   apart).
    ///
    /// The ties are written after each note (`[C-EG-]`), or, when every note is tied on
    /// (a single tied note among them), left to the caller to write after the chord's
    /// length (`[CEG]2-`): then it returns true.
    pub fn write_chord(&mut self, pitches: &[u8], out: &mut String, tied_out: impl Fn(usize) -> bool) -> bool {
        let tied_in = std::mem::take(&mut self.tied);
        let mut plan = std::mem::take(&mut self.plan);
        plan.clear();
        for &entry in pitches {
            let pitch = pitch_of(entry);
            let kept = tied_in.iter().find(|w| w.pitch == pitch).copied();
            plan.push(kept.map_or(self.pitches[usize::from(pitch)], |w| Written { fixed: true, ..w }));
        }
        let shared_letters = |plan: &[Written]| plan.windows(2).any(|w| w[0].slot >= w[1].slot);
        if shared_letters(&plan) {
            distinct_letters(&mut plan);
        }
        // abc2midi joins a tie to the first note of its letter and octave in the next
        // chord: where a tied-in note shares its slot with a struck one, it goes first.
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..plan.len());
        let mut ties = std::mem::take(&mut self.ties);
        ties.clear();
        ties.extend((0..plan.len()).map(&tied_out));
        if shared_letters(&plan) {
            order.sort_by_key(|&i| (plan[i].slot, !plan[i].fixed));
            for (k, &index) in order.iter().enumerate().skip(1) {
                if order[..k].iter().any(|&j| plan[j].slot == plan[index].slot && ties[j]) {
                    ties[index] = false;
                }
            }
        }
        let whole = ties.iter().all(|&t| t);
        for &index in &order {
            let written = &plan[index];
            self.write_accidental(written, out);
            push_name(written, out);
            if ties[index] {
                self.tied.push(Written { fixed: false, ..*written });
                if !whole {
                    out.push('-');
                }
            }
        }
        self.plan = plan;
        self.order = order;
        self.ties = ties;
        whole
    }

    /// Writes the accidental `written` needs after what this bar has written, and
    /// records it.
    fn write_accidental(&mut self, written: &Written, out: &mut String) {
        let (slot, letter) = (usize::from(written.slot), usize::from(written.letter));
        let read_as = |state: i8| if state == NONE { self.signature[letter] } else { state };
        let alteration = written.alteration;
        if read_as(self.same_octave[slot]) != alteration || read_as(self.any_octave[letter]) != alteration {
            out.push_str(match alteration {
                2 => "^^",
                1 => "^",
                -1 => "_",
                -2 => "__",
                _ => "=",
            });
            self.same_octave[slot] = alteration;
            self.any_octave[letter] = alteration;
        }
    }
}

/// Appends the note name of `written` (letter and octave marks, no accidental: `C,`,
/// `c'`).
fn push_name(written: &Written, out: &mut String) {
    let octave = octave_of(written.pitch, written.alteration);
    let name = LETTERS[usize::from(written.letter)];
    if octave >= 5 {
        out.push(name.to_ascii_lowercase());
        out.extend(std::iter::repeat_n('\'', (octave - 5) as usize));
    } else {
        out.push(name);
        out.extend(std::iter::repeat_n(',', (4 - octave).max(0) as usize));
    }
}

/// Whether the notes of a chord (MIDI pitches, ascending) can each take a letter and
/// octave of their own, ascending, within two sharps or flats, whatever the key: each in
/// turn takes the lowest letter above the last one's that reaches it (optimal, as the
/// letters reaching a pitch are consecutive). Seven semitones in a row cannot.
pub fn letters_suffice(pitches: impl Iterator<Item = u8>) -> bool {
    // Letters counted from C of MIDI octave -1; the natural pitch of letter `l`.
    let natural = |l: i32| 12 * l.div_euclid(7) + i32::from(LETTER_PITCH_CLASS[l.rem_euclid(7) as usize]);
    let mut last = -1;
    for pitch in pitches.map(i32::from) {
        let mut letter = last + 1;
        while natural(letter) < pitch - 2 {
            letter += 1;
        }
        if natural(letter) > pitch + 2 {
            return false;
        }
        last = letter;
    }
    true
}

/// Respells the notes of a chord (ascending pitches) that are not tied in so that each
/// takes a letter and octave of its own, ascending, at the least cost (see `search`);
/// leaves the chord as it is when no such spelling exists (or the chord is too large to
/// search).
fn distinct_letters(plan: &mut [Written]) {
    const LARGEST_SEARCHED: usize = 8;
    if plan.len() > LARGEST_SEARCHED {
        return;
    }
    let options: Vec<Vec<Written>> = plan
        .iter()
        .map(|w| if w.fixed { vec![*w] } else { std::iter::once(*w).chain(neighbour_spellings(w.pitch)).collect() })
        .collect();
    // Depth-first over the notes, each option in order of preference (its own spelling
    // first), keeping the cheapest spelling: a note moved to another letter costs 1, one
    // needing a double sharp or flat 3, so that two plain respellings (E-sharp, F-sharp)
    // come before one double flat.
    fn search(
        options: &[Vec<Written>],
        chosen: &mut Vec<Written>,
        cost: usize,
        best: &mut Option<(usize, Vec<Written>)>,
    ) {
        if best.as_ref().is_some_and(|(cheapest, _)| cost >= *cheapest) {
            return;
        }
        let Some(choices) = options.get(chosen.len()) else {
            *best = Some((cost, chosen.clone()));
            return;
        };
        for (rank, &option) in choices.iter().enumerate() {
            if chosen.last().is_none_or(|last| last.slot < option.slot) {
                let moved = match (rank, option.alteration.abs()) {
                    (0, _) => 0,
                    (_, 2) => 3,
                    _ => 1,
                };
                chosen.push(option);
                search(options, chosen, cost + moved, best);
                chosen.pop();
            }
        }
    }
    let mut best = None;
    search(&options, &mut Vec::with_capacity(plan.len()), 0, &mut best);
    if let Some((_, spelling)) = best {
        plan.copy_from_slice(&spelling);
    }
}

/// A pitch spelled on other letters, within two sharps or flats: one away first (G-flat
/// as F-sharp, C as B-sharp), then two (G as A-double-flat), for the chords whose notes
/// need a letter each (four or five semitones in a row).
fn neighbour_spellings(pitch: u8) -> impl Iterator<Item = Written> {
    let class = i32::from(pitch % 12);
    let alteration =
        move |letter: u8| (class - i32::from(LETTER_PITCH_CLASS[usize::from(letter)]) + 6).rem_euclid(12) - 6;
    [1, 2].into_iter().flat_map(move |away| {
        (0..7u8).filter(move |&l| alteration(l).abs() == away).map(move |l| Written::new(pitch, l, alteration(l) as i8))
    })
}

/// A pitch as it is written: on a letter (index into `LETTERS`) with an alteration, and
/// the (octave, letter) slot that takes in `Speller::same_octave`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Written {
    pitch: u8,
    letter: u8,
    alteration: i8,
    slot: u8,
    /// Tied in: the spelling cannot change.
    fixed: bool,
}

impl Written {
    fn new(pitch: u8, letter: u8, alteration: i8) -> Self {
        Written { pitch, letter, alteration, slot: slot_of(pitch, letter, alteration), fixed: false }
    }
}

/// The MIDI octave (-1 for pitches 0..12; 60 is C4) of `pitch` written with `alteration`:
/// a B-sharp sits in the octave below its C.
fn octave_of(pitch: u8, alteration: i8) -> i32 {
    (i32::from(pitch) - i32::from(alteration)).div_euclid(12) - 1
}

/// The (octave, letter) slot of `pitch` spelled as `letter` with `alteration`.
fn slot_of(pitch: u8, letter: u8, alteration: i8) -> u8 {
    ((octave_of(pitch, alteration) + 1).clamp(0, OCTAVES as i32 - 1) * 7 + i32::from(letter)) as u8
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

    /// One note, tied to nothing.
    fn note(speller: &mut Speller, pitch: u8, out: &mut String) {
        speller.write_chord(&[pitch], out, |_| false);
    }

    fn spell(key: Key, pitches: &[u8]) -> String {
        let mut speller = Speller::new(key);
        let mut out = String::new();
        for &p in pitches {
            note(&mut speller, p, &mut out);
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
        note(&mut speller, 66, &mut out);
        speller.bar_line();
        note(&mut speller, 66, &mut out);
        assert_eq!(out, "^F^F");
    }

    /// Chords in one bar, each `(pitches, indices of the notes tied on)`, written in `key`.
    fn chords(key: Key, chords: &[(&[u8], &[usize])]) -> String {
        let mut speller = Speller::new(key);
        let mut out = String::new();
        for &(pitches, tied) in chords {
            out.push('[');
            let whole = speller.write_chord(pitches, &mut out, |i| tied.contains(&i));
            out.push(']');
            if whole {
                out.push('-');
            }
        }
        out
    }

    #[test]
    fn a_chord_holds_no_letter_twice_in_an_octave() {
        // F major: G-flat and G sound together; the G-flat is written F-sharp. G and
        // G-sharp: the G-sharp is written A-flat. F, F-sharp and G: the F-sharp has no free
        // letter (G-flat would meet the G), so the F is written E-sharp.
        let f = Key::new(-1, Mode::Major);
        assert_eq!(chords(f, &[(&[78, 79], &[])]), "[^fg]");
        assert_eq!(chords(f, &[(&[79, 80], &[])]), "[g_a]");
        assert_eq!(chords(f, &[(&[77, 78, 79], &[])]), "[^e^fg]");
    }

    #[test]
    fn a_tied_note_keeps_its_letter() {
        let c = Key::default();
        // A G held (tied) while a G-flat is struck, which moves to F-sharp; then the
        // F-sharp held while the G sounds on.
        assert_eq!(chords(c, &[(&[72, 79], &[1]), (&[78, 79], &[0]), (&[78, 79], &[])]), "[cg-][^f-g][fg]");
        // F, F-sharp and G with the F tied on, spelled E-sharp; then E, F and F-sharp: the
        // F stays E-sharp (`e`, after `^e` in the bar), so the E below it takes the letter
        // below, D-double-sharp.
        assert_eq!(chords(c, &[(&[77, 78, 79], &[0]), (&[76, 77, 78], &[])]), "[^e-^fg][^^def]");
    }

    #[test]
    fn two_ties_on_one_letter_keep_only_the_first() {
        // Seven semitones held together, C to F-sharp: seven letters cannot take them
        // within two sharps or flats, so two notes share one, and only the first of them
        // is tied on. A chord whose notes all go on is tied as a whole.
        let all: &[usize] = &[0, 1, 2, 3, 4, 5, 6];
        let written = chords(Key::default(), &[(&[60, 61, 62, 63, 64, 65, 66], all), (&[72, 76], &[0, 1])]);
        assert_eq!(written, "[C-^CD-^DE-F-^F][=ce]-");
    }

    #[test]
    fn letters_suffice_for_six_semitones_in_a_row_not_seven() {
        assert!(letters_suffice(60..66));
        assert!(!letters_suffice(60..67));
        // A scale of two octaves, and a cluster of a second and a third apart.
        assert!(letters_suffice([60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81, 83].into_iter()));
        assert!(letters_suffice([76, 77, 78, 79, 81].into_iter()));
    }

    #[test]
    fn mid_bar_key_change_makes_earlier_accidentals_explicit() {
        let mut speller = Speller::new(Key::default());
        let mut out = String::new();
        note(&mut speller, 66, &mut out); // ^F
        speller.set_key(Key::new(1, Mode::Major));
        note(&mut speller, 66, &mut out); // F# is diatonic in G, but ^F was written: explicit
        note(&mut speller, 66, &mut out);
        note(&mut speller, 61, &mut out); // C# chromatic
        assert_eq!(out, "^F^FF^C");
    }
}
