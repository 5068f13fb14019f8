//! Values of information fields (`M:`, `L:`, `Q:`, `K:`, `V:`), `%%MIDI` and `%%score`:
//! text -> typed value. Pure functions; where in time a value applies is decided by the
//! builder. Errors are messages naming what was expected, positioned by the caller.

use super::Staves;
use super::duration::Length;
use crate::score::{Key, Mode};

/// A metre: `Some((numerator, denominator))`, or `None` for free metre (`M:none`).
pub(crate) type Metre = Option<(u8, u8)>;

/// Reads `M:` (`6/8`, ` 4/4`, `C`, `C|`, `none`, `2+3/8`).
pub(crate) fn parse_metre(value: &str) -> Result<Metre, String> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match value {
        "C" => return Ok(Some((4, 4))),
        "C|" => return Ok(Some((2, 2))),
        _ => {}
    }
    let expected = || format!("expected a metre such as 3/4, C, C| or none, found {value:?}");
    let (top, bottom) = value.split_once('/').ok_or_else(expected)?;
    let top = top.trim().trim_start_matches('(').trim_end_matches(')');
    let numerator = top.split('+').try_fold(0u32, |sum, n| Some(sum + n.trim().parse::<u32>().ok()?.min(256)));
    let numerator = numerator.and_then(|n| u8::try_from(n).ok()).filter(|n| *n > 0).ok_or_else(expected)?;
    let denominator = bottom.trim().parse::<u8>().ok().filter(|d| d.is_power_of_two() && *d <= 64);
    let denominator =
        denominator.ok_or_else(|| format!("expected a metre denominator 1, 2, 4 .. 64, found {value:?}"))?;
    Ok(Some((numerator, denominator)))
}

/// Reads `L:` (`1/8`, `1/16`, `1`).
pub(crate) fn parse_unit(value: &str) -> Result<Length, String> {
    let value = value.trim();
    let expected = || format!("expected a unit note length such as 1/8, found {value:?}");
    let (num, den) = value.split_once('/').unwrap_or((value, "1"));
    let num = num.trim().parse::<u64>().ok().filter(|n| (1..=1024).contains(n)).ok_or_else(expected)?;
    let den = den.trim().parse::<u64>().ok().filter(|d| (1..=1024).contains(d)).ok_or_else(expected)?;
    Ok(Length::new(num, den))
}

/// Reads `Q:` into microseconds per quarter note. Accepts `1/4=96`, `3/8=60`,
/// `1/8=139` (the same tempo as `1/4=69.5`), `1/512=8533`, `"Allegro" 1/4=120`,
/// `1/8 1/4=60` (beats summed) and a bare `96`, which this reader takes as quarter = 96
/// (ABC 2.1 deprecates the bare form and reads it in units of `L:`; language models
/// mean quarter notes by it, and so does the reference data).
pub(crate) fn parse_tempo(value: &str) -> Result<u32, String> {
    let unquoted = remove_quoted(value);
    let text = unquoted.trim();
    let expected = || format!("expected a tempo such as 1/4=96 or 96, found {:?}", value.trim());
    let (beats, bpm) = match text.split_once('=') {
        Some((beats, bpm)) => (beats.trim(), bpm.trim()),
        None => ("1/4", text),
    };
    let bpm = bpm.split_whitespace().next().and_then(|b| b.parse::<f64>().ok());
    let bpm = bpm.filter(|b| b.is_finite() && *b >= 1.0 && *b <= 100_000_000.0).ok_or_else(expected)?;
    let mut beat = 0.0;
    for fraction in beats.split_whitespace() {
        let (num, den) = fraction.split_once('/').ok_or_else(expected)?;
        let num = num.parse::<u32>().ok().filter(|n| (1..=64).contains(n)).ok_or_else(expected)?;
        let den = den.parse::<u32>().ok().filter(|d| (1..=65_536).contains(d)).ok_or_else(expected)?;
        beat += f64::from(num) / f64::from(den);
    }
    if beat <= 0.0 {
        return Err(expected());
    }
    // A beat of `beat` whole notes at `bpm` per minute; a quarter is 1/4 whole note.
    let micros = 60_000_000.0 * 0.25 / (bpm * beat);
    Ok(micros.round().clamp(1.0, f64::from(u32::MAX)) as u32)
}

/// `value` without the text of `"..."` strings (tempo and voice names in quotes).
fn remove_quoted(value: &str) -> String {
    value.split('"').step_by(2).collect::<Vec<_>>().join(" ")
}

/// Reads `K:` (`D`, `F#m`, `Bb Dor`, `A minor`, `C clef=bass`). `K:none`, unknown tonics
/// and unknown modes are errors (the caller falls back to C major); parameters
/// (`clef=`, `middle=`, ...) and explicit accidentals are ignored.
pub(crate) fn parse_key(value: &str) -> Result<Key, String> {
    let value = value.trim();
    let bytes = value.as_bytes();
    let Some(&tonic) = bytes.first() else {
        return Err("expected a key such as D, F#m or Bb, found an empty K: field".to_string());
    };
    if value.get(..4).is_some_and(|v| v.eq_ignore_ascii_case("none")) {
        return Err("K:none gives no key; expected a key such as D or F#m (using C major)".to_string());
    }
    const MAJOR_FIFTHS: [i32; 7] = [0, 2, 4, -1, 1, 3, 5];
    let letter = match tonic.to_ascii_uppercase() {
        l @ b'A'..=b'G' => (usize::from(l - b'A') + 5) % 7,
        _ => return Err(format!("expected a key tonic A-G, found {value:?} (using C major)")),
    };
    let mut fifths = MAJOR_FIFTHS[letter];
    let mut rest = &value[1..];
    match rest.as_bytes().first() {
        Some(b'#') => (fifths, rest) = (fifths + 7, &rest[1..]),
        Some(b'b') => (fifths, rest) = (fifths - 7, &rest[1..]),
        _ => {}
    }
    let mode = parse_mode(rest.trim_start())?;
    fifths += match mode {
        Mode::Major => 0,
        Mode::Lydian => 1,
        Mode::Mixolydian => -1,
        Mode::Dorian => -2,
        Mode::Minor => -3,
        Mode::Phrygian => -4,
        Mode::Locrian => -5,
    };
    // Keys beyond 7 sharps or flats (G# major) are read as their enharmonic equivalent.
    if fifths > 7 {
        fifths -= 12;
    } else if fifths < -7 {
        fifths += 12;
    }
    Ok(Key::new(fifths as i8, mode))
}

/// The mode word after the tonic: only its first three letters count, case-insensitive;
/// a word followed by `=` is a parameter, not a mode.
fn parse_mode(text: &str) -> Result<Mode, String> {
    let word_len = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let word = &text[..word_len];
    if word.is_empty() || text[word_len..].starts_with('=') {
        return Ok(Mode::Major);
    }
    let prefix = word.get(..3).unwrap_or(word).to_ascii_lowercase();
    match prefix.as_str() {
        "maj" | "ion" => Ok(Mode::Major),
        "m" | "min" | "aeo" => Ok(Mode::Minor),
        "dor" => Ok(Mode::Dorian),
        "phr" => Ok(Mode::Phrygian),
        "lyd" => Ok(Mode::Lydian),
        "mix" => Ok(Mode::Mixolydian),
        "loc" => Ok(Mode::Locrian),
        _ => Err(format!("expected a mode (m, min, maj, dor, phr, lyd, mix, loc, aeo, ion), found {word:?}")),
    }
}

/// A `V:` field: the voice id and its name (`name=` or `nm=`), other parameters ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VoiceField<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
}

/// Reads `V:1 name="Violin" clef=treble`.
pub(crate) fn parse_voice(value: &str) -> Result<VoiceField<'_>, String> {
    let value = value.trim();
    let id_len = value.find(|c: char| c.is_whitespace()).unwrap_or(value.len());
    let id = &value[..id_len];
    if id.is_empty() || id.contains('=') {
        return Err(format!("expected a voice id after V:, found {value:?}"));
    }
    let name = parameters(&value[id_len..])
        .find(|(key, _)| key.eq_ignore_ascii_case("name") || key.eq_ignore_ascii_case("nm"))
        .map(|(_, name)| name)
        .filter(|name| !name.is_empty());
    Ok(VoiceField { id, name })
}

/// `key=value` pairs of a field; values may be quoted. Bare words are skipped.
fn parameters(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                return None;
            }
            let key_len = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
            let key = &rest[..key_len];
            rest = &rest[key_len..];
            let Some(after) = rest.strip_prefix('=') else { continue };
            let (value, remainder) = match after.strip_prefix('"') {
                Some(quoted) => quoted.split_once('"').unwrap_or((quoted, "")),
                None => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
            };
            rest = remainder;
            return Some((key, value));
        }
    })
}

/// A `%%MIDI` directive this reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MidiDirective {
    /// `%%MIDI program [channel] n`: 0-based General MIDI program.
    Program(u8),
    /// `%%MIDI channel n`: 1-based channel (10 = drums).
    Channel(u8),
}

/// Reads the text after `%%MIDI`; `Ok(None)` for directives that do not matter here.
pub(crate) fn parse_midi(value: &str) -> Result<Option<MidiDirective>, String> {
    let mut words = value.split_whitespace();
    let command = words.next().unwrap_or_default();
    let last_number = || words.clone().last().and_then(|n| n.parse::<u8>().ok());
    if command.eq_ignore_ascii_case("program") {
        let program = last_number().filter(|p| *p <= 127);
        program
            .map(|p| Some(MidiDirective::Program(p)))
            .ok_or_else(|| format!("expected %%MIDI program followed by a program 0-127, found {:?}", value.trim()))
    } else if command.eq_ignore_ascii_case("channel") {
        let channel = last_number().filter(|c| (1..=16).contains(c));
        channel
            .map(|c| Some(MidiDirective::Channel(c)))
            .ok_or_else(|| format!("expected %%MIDI channel followed by a channel 1-16, found {:?}", value.trim()))
    } else {
        Ok(None)
    }
}

/// Reads the text after `%%score` (or `%%staves`): `1 (2 3) {4 5}` is the staff groups
/// `[1] [2 3] [4 5]`. Brackets of any kind group the voices inside them, however deeply
/// nested (`{(1 2) (3 4)}` is one group); `|` (bar lines drawn across staves) and `*`
/// (floating voices) are drawn differently but group nothing, so they are skipped. Read
/// leniently, never failing: a closing bracket without its opening one ends nothing, a
/// group still open at the end of the line is closed there.
pub(crate) fn parse_staves(value: &str) -> Staves {
    let mut groups = Vec::new();
    let mut depth = 0usize;
    let mut group: Vec<String> = Vec::new();
    let mut spaced = String::with_capacity(value.len() * 2);
    for c in value.chars() {
        if "(){}[]|*".contains(c) {
            spaced.extend([' ', c, ' ']);
        } else {
            spaced.push(c);
        }
    }
    for token in spaced.split_whitespace() {
        match token {
            "(" | "{" | "[" => depth += 1,
            ")" | "}" | "]" => {
                depth = depth.saturating_sub(1);
                if depth == 0 && !group.is_empty() {
                    groups.push(std::mem::take(&mut group));
                }
            }
            "|" | "*" => {}
            voice if depth > 0 => group.push(voice.to_string()),
            voice => groups.push(vec![voice.to_string()]),
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    Staves { groups }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metres() {
        assert_eq!(parse_metre("6/8"), Ok(Some((6, 8))));
        assert_eq!(parse_metre(" 4/4"), Ok(Some((4, 4))));
        assert_eq!(parse_metre("C"), Ok(Some((4, 4))));
        assert_eq!(parse_metre("C|"), Ok(Some((2, 2))));
        assert_eq!(parse_metre("none"), Ok(None));
        assert_eq!(parse_metre("2+3/8"), Ok(Some((5, 8))));
        assert!(parse_metre("3/5").is_err());
        assert!(parse_metre("fast").is_err());
    }

    #[test]
    fn tempi() {
        assert_eq!(parse_tempo("1/4=96"), Ok(625_000));
        assert_eq!(parse_tempo("96"), Ok(625_000));
        assert_eq!(parse_tempo("3/8=60"), Ok(666_667));
        assert_eq!(parse_tempo("\"Allegro\" 1/4=120"), Ok(500_000));
        // Equivalent forms give the same tempo.
        assert_eq!(parse_tempo("1/8=139"), parse_tempo("1/4=69.5"));
        assert_eq!(parse_tempo("1/8=139"), Ok(863_309));
        assert_eq!(parse_tempo("1/512=8533"), Ok(900_035));
        assert!(parse_tempo("\"Allegro\"").is_err());
    }

    #[test]
    fn keys() {
        assert_eq!(parse_key("D"), Ok(Key::new(2, Mode::Major)));
        assert_eq!(parse_key("F#m"), Ok(Key::new(3, Mode::Minor)));
        assert_eq!(parse_key("Bb"), Ok(Key::new(-2, Mode::Major)));
        assert_eq!(parse_key("A minor"), Ok(Key::new(0, Mode::Minor)));
        assert_eq!(parse_key("EDOR"), Ok(Key::new(2, Mode::Dorian)));
        assert_eq!(parse_key("C clef=bass"), Ok(Key::new(0, Mode::Major)));
        assert_eq!(parse_key("C#"), Ok(Key::new(7, Mode::Major)));
        assert_eq!(parse_key("G#"), Ok(Key::new(-4, Mode::Major)));
        assert!(parse_key("none").is_err());
        assert!(parse_key("HP").is_err());
    }

    #[test]
    fn voices_and_midi() {
        let v = parse_voice("1 name=\"Violin I\" clef=treble");
        assert_eq!(v, Ok(VoiceField { id: "1", name: Some("Violin I") }));
        assert_eq!(parse_voice("T2 clef=bass nm=Cello"), Ok(VoiceField { id: "T2", name: Some("Cello") }));
        assert!(parse_voice(" ").is_err());
        assert_eq!(parse_midi(" program 40"), Ok(Some(MidiDirective::Program(40))));
        assert_eq!(parse_midi(" program 2 41"), Ok(Some(MidiDirective::Program(41))));
        assert_eq!(parse_midi(" channel 10"), Ok(Some(MidiDirective::Channel(10))));
        assert_eq!(parse_midi(" transpose 2"), Ok(None));
        assert!(parse_midi(" program x").is_err());
    }

    #[test]
    fn staves_group_bracketed_voices_however_nested() {
        let groups = |value: &str| parse_staves(value).groups;
        assert_eq!(groups(" 1 (2 3) 4"), [vec!["1"], vec!["2", "3"], vec!["4"]]);
        assert_eq!(groups(" {(S A) (T B)} | Pno"), [vec!["S", "A", "T", "B"], vec!["Pno"]]);
        assert_eq!(groups("[1 2]*3"), [vec!["1", "2"], vec!["3"]]);
        // Unbalanced brackets: a stray `)` ends nothing, an open group ends with the line.
        assert_eq!(groups(") 1 (2 3"), [vec!["1"], vec!["2", "3"]]);
        assert!(groups("").is_empty());
    }
}
