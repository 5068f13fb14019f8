//! Instruments: the 128 General MIDI programs, their names and families, the
//! dataset's own label when there is one (URMP's `vn`, MusicNet's program numbers), and
//! the name a part goes by (`part_name`) with the family such a name implies
//! (`family_by_name`: "Violin II", "Horn in F", "Soprano").

use super::Part;

/// Coarse instrument family, used by the reward to give partial credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Keyboard,
    ChromaticPercussion,
    Organ,
    Guitar,
    Bass,
    Strings,
    Ensemble,
    Brass,
    Woodwind,
    Synth,
    Ethnic,
    Percussion,
    SoundEffects,
    /// Singing voices: soprano, alto, tenor, bass, choir (GM programs 52-54).
    Voice,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Keyboard => "keyboard",
            Family::ChromaticPercussion => "chromatic percussion",
            Family::Organ => "organ",
            Family::Guitar => "guitar",
            Family::Bass => "bass",
            Family::Strings => "strings",
            Family::Ensemble => "ensemble",
            Family::Brass => "brass",
            Family::Woodwind => "woodwind",
            Family::Synth => "synth",
            Family::Ethnic => "ethnic",
            Family::Percussion => "percussion",
            Family::SoundEffects => "sound effects",
            Family::Voice => "voice",
        }
    }
}

/// The General MIDI Level 1 program names, indexed by 0-based program number.
const GM_NAMES: [&str; 128] = [
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone",
    "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax",
    "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute",
    "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto",
    "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
];

/// The General MIDI name of a 0-based program number.
pub fn gm_name(program: u8) -> &'static str {
    GM_NAMES[usize::from(program & 0x7f)]
}

/// The family of a 0-based General MIDI program: GM's groups of eight, except that
/// Choir Aahs, Voice Oohs and Synth Voice (52-54) are voices rather than ensembles.
pub fn gm_family(program: u8) -> Family {
    match program & 0x7f {
        0..=7 => Family::Keyboard,
        8..=15 => Family::ChromaticPercussion,
        16..=23 => Family::Organ,
        24..=31 => Family::Guitar,
        32..=39 => Family::Bass,
        40..=47 => Family::Strings,
        52..=54 => Family::Voice,
        48..=55 => Family::Ensemble,
        56..=63 => Family::Brass,
        64..=79 => Family::Woodwind,
        80..=103 => Family::Synth,
        104..=111 => Family::Ethnic,
        112..=119 => Family::Percussion,
        _ => Family::SoundEffects,
    }
}

/// The program whose General MIDI name equals `name`, ignoring case and surrounding space.
pub fn gm_program_by_name(name: &str) -> Option<u8> {
    let name = name.trim();
    GM_NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|p| p as u8)
}

/// An instrument: General MIDI program, display name, family, and the source's own
/// label when the dataset has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Instrument {
    /// 0-based General MIDI program.
    pub program: u8,
    /// Display name (the GM name unless the source names it better).
    pub name: String,
    pub family: Family,
    /// The dataset's own label, e.g. URMP `vn` or a MIDI track name.
    pub label: Option<String>,
}

impl Instrument {
    /// The General MIDI instrument for a 0-based program.
    pub fn from_program(program: u8) -> Self {
        Instrument { program, name: gm_name(program).to_string(), family: gm_family(program), label: None }
    }

    /// General MIDI percussion (channel 10), which has no program of its own.
    pub fn drums() -> Self {
        Instrument { program: 0, name: "Drums".to_string(), family: Family::Percussion, label: None }
    }
}

/// The name a part goes by in the ABC (`V: name=`), the Q&A answers and the reward:
/// its own name (MIDI track name, dataset label) when that names the part, else its
/// instrument's name (the General MIDI program name, or "Drums"). A name does not name
/// the part when it is blank, a placeholder (`Track 3`, `Staff`, `Untitled`, `MIDI 01`,
/// ...), or the piece's `title` (the name of a format-0 file's only track).
pub fn part_name<'a>(part: &'a Part, title: Option<&str>) -> &'a str {
    let own = part.name.as_deref().map(str::trim).filter(|name| {
        !name.is_empty() && !is_placeholder(name) && title.is_none_or(|t| !t.trim().eq_ignore_ascii_case(name))
    });
    own.unwrap_or(&part.instrument.name)
}

/// Words that sequencers and notation programs give unnamed tracks, alone or numbered.
const PLACEHOLDERS: [&str; 10] =
    ["track", "staff", "untitled", "unnamed", "noname", "midi", "channel", "instrument", "part", "new"];

/// Whether a name is only what sequencers and notation programs call unnamed tracks.
pub fn is_placeholder(name: &str) -> bool {
    let words = name_words(name);
    words.is_empty() || words.iter().all(|w| PLACEHOLDERS.contains(&w.as_str()))
}

/// The words of a name, lower-cased, without punctuation and without numbering: arabic
/// numbers, roman numerals up to XII, `No.`, `Nr.`. "Violin II" and "violin 2" both give
/// `["violin"]`.
pub fn name_words(name: &str) -> Vec<String> {
    const NUMBERING: [&str; 14] =
        ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "no", "nr"];
    name.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()) && !NUMBERING.contains(&w.as_str()))
        .collect()
}

/// Instrument words and the family they imply, most specific first: a name takes the
/// family of the first entry whose words appear in it, in order, each word a prefix of a
/// word of the name ("violin" matches "Violini", "horn" matches "Horns"). Voice ranges
/// come last, so that "Alto Sax" is a woodwind and "Bass Trombone" brass.
const FAMILY_WORDS: &[(&[&str], Family)] = &[
    (&["english", "horn"], Family::Woodwind),
    (&["cor", "anglais"], Family::Woodwind),
    (&["double", "bass"], Family::Strings),
    (&["string", "bass"], Family::Strings),
    (&["contrabass"], Family::Strings),
    (&["kontrabass"], Family::Strings),
    (&["bass", "guitar"], Family::Bass),
    (&["electric", "bass"], Family::Bass),
    (&["acoustic", "bass"], Family::Bass),
    (&["bassoon"], Family::Woodwind),
    (&["contrabassoon"], Family::Woodwind),
    (&["fagott"], Family::Woodwind),
    (&["basson"], Family::Woodwind),
    (&["violoncell"], Family::Strings),
    (&["violin"], Family::Strings),
    (&["violon"], Family::Strings),
    (&["viola"], Family::Strings),
    (&["viole"], Family::Strings),
    (&["cello"], Family::Strings),
    (&["fiddle"], Family::Strings),
    (&["viol"], Family::Strings),
    (&["harpsichord"], Family::Keyboard),
    (&["cembalo"], Family::Keyboard),
    (&["clavichord"], Family::Keyboard),
    (&["clavier"], Family::Keyboard),
    (&["klavier"], Family::Keyboard),
    (&["piano"], Family::Keyboard),
    (&["keyboard"], Family::Keyboard),
    (&["harp"], Family::Strings),
    (&["timpani"], Family::Strings),
    (&["organ"], Family::Organ),
    (&["orgel"], Family::Organ),
    (&["accordion"], Family::Organ),
    (&["harmonica"], Family::Organ),
    (&["harmonium"], Family::Organ),
    (&["guitar"], Family::Guitar),
    (&["gitarre"], Family::Guitar),
    (&["lute"], Family::Guitar),
    (&["theorbo"], Family::Guitar),
    (&["mandolin"], Family::Guitar),
    (&["celesta"], Family::ChromaticPercussion),
    (&["glockenspiel"], Family::ChromaticPercussion),
    (&["vibraphone"], Family::ChromaticPercussion),
    (&["marimba"], Family::ChromaticPercussion),
    (&["xylophone"], Family::ChromaticPercussion),
    (&["bells"], Family::ChromaticPercussion),
    (&["chimes"], Family::ChromaticPercussion),
    (&["flute"], Family::Woodwind),
    (&["flaut"], Family::Woodwind),
    (&["flöte"], Family::Woodwind),
    (&["piccolo"], Family::Woodwind),
    (&["oboe"], Family::Woodwind),
    (&["oboi"], Family::Woodwind),
    (&["clarinet"], Family::Woodwind),
    (&["klarinette"], Family::Woodwind),
    (&["sax"], Family::Woodwind),
    (&["recorder"], Family::Woodwind),
    (&["blockflöte"], Family::Woodwind),
    (&["trumpet"], Family::Brass),
    (&["tromba"], Family::Brass),
    (&["trompete"], Family::Brass),
    (&["trombone"], Family::Brass),
    (&["posaune"], Family::Brass),
    (&["tuba"], Family::Brass),
    (&["horn"], Family::Brass),
    (&["corno"], Family::Brass),
    (&["corni"], Family::Brass),
    (&["cornet"], Family::Brass),
    (&["flugelhorn"], Family::Brass),
    (&["euphonium"], Family::Brass),
    (&["sackbut"], Family::Brass),
    (&["drum"], Family::Percussion),
    (&["percussion"], Family::Percussion),
    (&["snare"], Family::Percussion),
    (&["cymbal"], Family::Percussion),
    (&["strings"], Family::Ensemble),
    (&["orchestra"], Family::Ensemble),
    (&["ensemble"], Family::Ensemble),
    (&["soprano"], Family::Voice),
    (&["sopran"], Family::Voice),
    (&["mezzo"], Family::Voice),
    (&["alto"], Family::Voice),
    (&["altus"], Family::Voice),
    (&["contralto"], Family::Voice),
    (&["tenor"], Family::Voice),
    (&["baritone"], Family::Voice),
    (&["bariton"], Family::Voice),
    (&["bass"], Family::Voice),
    (&["cantus"], Family::Voice),
    (&["canto"], Family::Voice),
    (&["superius"], Family::Voice),
    (&["quintus"], Family::Voice),
    (&["sextus"], Family::Voice),
    (&["voice"], Family::Voice),
    (&["vox"], Family::Voice),
    (&["vocal"], Family::Voice),
    (&["choir"], Family::Voice),
    (&["chorus"], Family::Voice),
    (&["chor"], Family::Voice),
];

/// The family an instrument name implies: a General MIDI name's family, else that of
/// the first instrument words found in it (`FAMILY_WORDS`); `None` when it names no
/// instrument this table knows.
pub fn family_by_name(name: &str) -> Option<Family> {
    if let Some(program) = gm_program_by_name(name) {
        return Some(gm_family(program));
    }
    let words = name_words(name);
    FAMILY_WORDS.iter().find(|(phrase, _)| contains_phrase(&words, phrase)).map(|&(_, family)| family)
}

/// Whether `phrase` occurs in `words` as consecutive words, each a prefix of its word.
fn contains_phrase(words: &[String], phrase: &[&str]) -> bool {
    words.windows(phrase.len()).any(|window| window.iter().zip(phrase).all(|(word, p)| word.starts_with(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookups_agree() {
        assert_eq!(gm_name(40), "Violin");
        assert_eq!(gm_family(40), Family::Strings);
        assert_eq!(gm_program_by_name("violin"), Some(40));
        assert_eq!(gm_program_by_name("Gunshot"), Some(127));
        assert_eq!(gm_family(73), Family::Woodwind);
        assert_eq!(gm_family(60), Family::Brass);
        assert_eq!(gm_family(52), Family::Voice);
        assert_eq!(gm_family(55), Family::Ensemble);
    }

    #[test]
    fn names_imply_families() {
        let cases = [
            ("Violin I", Family::Strings),
            ("Violin II", Family::Strings),
            ("Violoncello", Family::Strings),
            ("Contrabass", Family::Strings),
            ("Double Bass", Family::Strings),
            ("Horn 2", Family::Brass),
            ("Horn in F", Family::Brass),
            ("English Horn", Family::Woodwind),
            ("Soprano", Family::Voice),
            ("Alto", Family::Voice),
            ("Tenor I", Family::Voice),
            ("Bass", Family::Voice),
            ("Alto Sax", Family::Woodwind),
            ("Bass Clarinet", Family::Woodwind),
            ("Bass Trombone", Family::Brass),
            ("Bassoon 1", Family::Woodwind),
            ("Piano (right hand)", Family::Keyboard),
            ("Harpsichord", Family::Keyboard),
            ("Flauti", Family::Woodwind),
            ("Electric Bass (finger)", Family::Bass),
            ("Choir Aahs", Family::Voice),
        ];
        for (name, family) in cases {
            assert_eq!(family_by_name(name), Some(family), "{name}");
        }
        assert_eq!(family_by_name("Melody"), None);
    }

    #[test]
    fn numbering_is_not_part_of_the_words() {
        assert_eq!(name_words("Violin II"), vec!["violin"]);
        assert_eq!(name_words("violin 2"), vec!["violin"]);
        assert_eq!(name_words("Horn No. 3 in F"), vec!["horn", "in", "f"]);
    }

    #[test]
    fn parts_go_by_their_own_name_unless_it_names_nothing() {
        let part = |name: Option<&str>| Part {
            name: name.map(str::to_string),
            instrument: Instrument::from_program(48),
            channel: Some(0),
            is_drum: false,
            notes: Vec::new(),
        };
        assert_eq!(part_name(&part(Some(" Violin I ")), Some("Quartet")), "Violin I");
        assert_eq!(part_name(&part(None), None), "String Ensemble 1");
        assert_eq!(part_name(&part(Some("Track 3")), None), "String Ensemble 1");
        assert_eq!(part_name(&part(Some("Staff-2")), None), "String Ensemble 1");
        assert_eq!(part_name(&part(Some("Quartet")), Some("quartet")), "String Ensemble 1");
    }
}
