//! Instrument loss of one matched voice pair: same name, same family, or how alike the
//! names are.
//!
//! A voice's name is what its `V:` line says (`name="Violin"`), falling back to the
//! General MIDI name of its program. Its family comes from the name when that is a GM
//! name, else from the program the reader resolved; drum voices are percussion.

use super::config::InstrumentConfig;
use crate::score::{Family, Part, gm_family, gm_program_by_name};

/// The name the voice is known by.
fn label(part: &Part) -> &str {
    part.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&part.instrument.name)
}

fn family(part: &Part, label: &str) -> Family {
    if part.is_drum {
        return Family::Percussion;
    }
    gm_program_by_name(label).map_or(part.instrument.family, gm_family)
}

/// Loss in [0, 1]: 0 for the same name (ignoring case and surrounding space),
/// `same_family` for the same family, else `same_family + (1 - same_family) * (1 - s)`
/// with `s` the normalised Levenshtein similarity of the lower-cased names, so a
/// different family never costs less than the same family.
pub fn instrument_loss(predicted: &Part, truth: &Part, cfg: &InstrumentConfig) -> f64 {
    let (a, b) = (label(predicted), label(truth));
    if a.trim().eq_ignore_ascii_case(b.trim()) {
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
    fn drums_are_percussion() {
        let cfg = InstrumentConfig::default();
        let mut drums = part(Some("Drums"), 0);
        drums.is_drum = true;
        assert_eq!(instrument_loss(&drums, &part(Some("Taiko Drum"), 116), &cfg), 0.5);
    }
}
