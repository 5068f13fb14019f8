//! Instruments: the 128 General MIDI programs, their names and families, and the
//! dataset's own label when there is one (URMP's `vn`, MusicNet's program numbers).

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

/// The family of a 0-based General MIDI program.
pub fn gm_family(program: u8) -> Family {
    match program & 0x7f {
        0..=7 => Family::Keyboard,
        8..=15 => Family::ChromaticPercussion,
        16..=23 => Family::Organ,
        24..=31 => Family::Guitar,
        32..=39 => Family::Bass,
        40..=47 => Family::Strings,
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
    }
}
