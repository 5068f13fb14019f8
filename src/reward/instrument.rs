//! Instrument loss of one matched voice pair: same instrument, same family, or how
//! alike the names are.
//!
//! A voice's name is the one the ABC writer gives it (`score::part_name`): what its
//! `V:` line says (`name="Violin I"`), or the General MIDI name of its program when the
//! line names nothing. Its family comes from the name (`score::family_by_name`: GM
//! names, and common instrument and voice names such as "Horn 2" or "Soprano"), else
//! from the program the reader resolved; drum voices are percussion.

use super::config::InstrumentConfig;
use crate::score::{Family, Part, family_by_name, name_words, part_name};

fn family(part: &Part, label: &str) -> Family {
    if part.is_drum {
        return Family::Percussion;
    }
    family_by_name(label).unwrap_or(part.instrument.family)
}

/// Loss in [0, 1]: 0 for the same instrument (names equal once case, punctuation and
/// numbering are set aside: "Violin II" is a "violin 1"), `same_family` for the same
/// family, else `same_family + (1 - same_family) * (1 - s)` with `s` the normalised
/// Levenshtein similarity of the lower-cased names, so a different family never costs
/// less than the same family.
pub fn instrument_loss(predicted: &Part, truth: &Part, cfg: &InstrumentConfig) -> f64 {
    let (a, b) = (part_name(predicted, None), part_name(truth, None));
    if a.trim().eq_ignore_ascii_case(b.trim()) || name_words(a) == name_words(b) {
        return 0.0;
    }
    let same_family = cfg.same_family.clamp(0.0, 1.0);
    if family(predicted, a) == family(truth, b) {
        return same_family;
    }
    let similarity = strsim::normalized_levenshtein(&a.to_lowercase(), &b.to_lowercase());
    (same_family + (1.0 - same_family) * (1.0 - similarity)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Instrument;

    fn part(name: Option<&str>, program: u8) -> Part {
        Part {
            name: name.map(str::to_string),
            instrument: Instrument::from_program(program),
            channel: None,
            is_drum: false,
            notes: Vec::new(),
        }
    }

    #[test]
    fn exact_family_and_similarity() {
        let cfg = InstrumentConfig::default();
        assert_eq!(instrument_loss(&part(Some("violin "), 0), &part(Some("Violin"), 40), &cfg), 0.0);
        assert_eq!(instrument_loss(&part(None, 40), &part(Some("Violin"), 40), &cfg), 0.0);
        // Viola and Violin: both strings, by their GM names.
        assert_eq!(instrument_loss(&part(Some("Viola"), 0), &part(Some("Violin"), 40), &cfg), 0.5);
        // Flute (woodwind) vs Trumpet (brass): "flute" -> "trumpet" is 5 edits of 7.
        let expected = 0.5 + 0.5 * (5.0 / 7.0);
        assert!(
            (instrument_loss(&part(Some("Flute"), 73), &part(Some("Trumpet"), 56), &cfg) - expected).abs() < 1e-12
        );
    }

    #[test]
    fn part_names_with_numbers_and_voice_ranges() {
        let cfg = InstrumentConfig::default();
        // The same instrument, numbered differently.
        assert_eq!(instrument_loss(&part(Some("Violin I"), 48), &part(Some("violin 2"), 48), &cfg), 0.0);
        assert_eq!(instrument_loss(&part(Some("Violin"), 40), &part(Some("Violin I"), 48), &cfg), 0.0);
        // Same family, from the names alone (both parts on String Ensemble 1).
        assert_eq!(instrument_loss(&part(Some("Viola"), 48), &part(Some("Violin I"), 48), &cfg), 0.5);
        assert_eq!(instrument_loss(&part(Some("Horn 2"), 0), &part(Some("French Horn"), 60), &cfg), 0.5);
        assert_eq!(instrument_loss(&part(Some("Soprano"), 0), &part(Some("Alto"), 0), &cfg), 0.5);
        assert_eq!(instrument_loss(&part(Some("Tenor"), 0), &part(Some("Choir Aahs"), 52), &cfg), 0.5);
        // A soprano is no soprano sax.
        assert!(instrument_loss(&part(Some("Soprano"), 52), &part(Some("Soprano Sax"), 64), &cfg) > 0.5);
        // A placeholder track name goes by its program.
        assert_eq!(instrument_loss(&part(Some("Track 2"), 40), &part(Some("Violin"), 40), &cfg), 0.0);
    }

    #[test]
    fn drums_are_percussion() {
        let cfg = InstrumentConfig::default();
        let mut drums = part(Some("Drums"), 0);
        drums.is_drum = true;
        assert_eq!(instrument_loss(&drums, &part(Some("Taiko Drum"), 116), &cfg), 0.5);
    }
}
