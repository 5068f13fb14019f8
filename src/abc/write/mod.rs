//! Score -> ABC 2.1 text, to the contract in `docs/abc-dialect.md`.
//!
//! The pipeline: each part is one voice, its overlapping notes split into lines
//! (`voices`); lay every line on the shared bar grid as tokens with lengths in whole
//! notes (`bars`, `tuplets`, `rhythm`), pick the unit `L:` from the lengths used, then
//! spell and print each line (`text`, `spelling`), join a voice's lines bar by bar with
//! `&` overlays, and arrange the voices (`layout`) under the header (`header`, with
//! `tempo` choosing the `Q:` values).

mod bars;
mod header;
mod layout;
mod rhythm;
mod spelling;
mod tempo;
mod text;
mod tuplets;
mod voices;

pub use voices::Polyphony;

use crate::score::Score;

/// How voices are laid out in the tune body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Each voice whole, one after another (`V:1` ... then `V:2` ...).
    Voices,
    /// Voices interleaved line by line: `bars_per_line` bars of V:1, then of V:2, ...
    #[default]
    Interleaved,
}

impl std::str::FromStr for Layout {
    type Err = String;

    /// `interleaved` or `voices`, as `--layout` and pipeline files write it.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "interleaved" => Ok(Layout::Interleaved),
            "voices" => Ok(Layout::Voices),
            _ => Err(format!("expected interleaved or voices, got {text:?}")),
        }
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layout::Interleaved => "interleaved",
            Layout::Voices => "voices",
        })
    }
}

/// Options of the ABC writer.
#[derive(Debug, Clone, PartialEq)]
pub struct AbcOptions {
    /// `X:` reference number.
    pub index: u32,
    /// Unit note length `L:` as (numerator, denominator); `None` picks the unit that
    /// makes the text shortest.
    pub unit: Option<(u32, u32)>,
    pub layout: Layout,
    /// Bars per line of text (per voice).
    pub bars_per_line: usize,
    /// How each voice writes the notes of its part that overlap: overlays for a score's
    /// notated voices, tied chords for a performance's held keys (`abc::convert::polyphony_of`).
    pub polyphony: Polyphony,
}

impl Default for AbcOptions {
    fn default() -> Self {
        AbcOptions {
            index: 1,
            unit: None,
            layout: Layout::default(),
            bars_per_line: 4,
            polyphony: Polyphony::default(),
        }
    }
}

/// Parses a unit note length like `1/8` or `1/16` (power-of-two denominator), as `L:`
/// and `--unit` write it.
pub fn parse_unit(text: &str) -> Result<(u32, u32), String> {
    let parsed = text.split_once('/').and_then(|(n, d)| Some((n.trim().parse().ok()?, d.trim().parse().ok()?)));
    match parsed {
        Some((n, d)) if n > 0 && u32::is_power_of_two(d) => Ok((n, d)),
        _ => Err(format!("expected a unit like 1/8 or 1/16 (power-of-two denominator), got {text:?}")),
    }
}

/// Writes a score (on a grid: see `analysis::quantize`) as one ABC tune.
///
/// Off-grid input is written too: positions that fit neither the binary grid nor a
/// tuplet are snapped to the nearest 1/64 note, moving notes but never dropping one.
/// A score without notes is a valid tune of one bar's rest.
pub fn to_abc(score: &Score, options: &AbcOptions) -> String {
    let timeline = bars::Timeline::new(score);
    let mut voices = voices::split_voices(score, &timeline.bars, options.polyphony);
    let mut histogram = [0u32; rhythm::HISTOGRAM_SIZE];
    // Where the lead line writes each tempo change (none: not written).
    let mut tempo_places: Vec<Option<u64>> = vec![None; score.tempo.later_changes().len()];
    // Tokens of every line, voice by voice.
    let mut tokens: Vec<Vec<Vec<bars::Token>>> = Vec::with_capacity(voices.len());
    for (number, voice) in voices.iter_mut().enumerate() {
        let mut voice_tokens = Vec::with_capacity(voice.lines.len());
        for (index, line) in voice.lines.iter_mut().enumerate() {
            let role = match (number, index) {
                (0, 0) => bars::LineRole::Lead,
                (_, 0) => bars::LineRole::Main,
                _ => bars::LineRole::Overlay,
            };
            let mut line_tokens = Vec::with_capacity(line.chords.len() * 2 + timeline.bar_count() * 2);
            bars::engrave(line, &timeline, role, &mut line_tokens, &mut histogram, &mut tempo_places);
            voice_tokens.push(line_tokens);
        }
        tokens.push(voice_tokens);
    }
    let (first_tempo, mut tempi) =
        tempo::written_tempi(&score.tempo, score.ticks_per_quarter, score.end_tick(), &tempo_places);
    let stated_tempo = state_after_lead_in(score, first_tempo, &mut tempi, &mut tokens);
    let unit = options.unit.unwrap_or_else(|| rhythm::shortest_unit(&histogram));
    let texts: Vec<text::VoiceText> = voices
        .iter()
        .zip(&tokens)
        .map(|(voice, lines)| {
            let rendered = voice.lines.iter().zip(lines);
            let texts = rendered.map(|(l, t)| text::render(t, &l.pitches, timeline.first_key, unit, &tempi)).collect();
            text::join_lines(texts, &timeline.metres)
        })
        .collect();
    let body_len: usize = texts.iter().map(|t| t.text.len() + t.bar_ends.len()).sum();
    let mut out = String::with_capacity(body_len + 256 + voices.len() * 64);
    header::write_header(&mut out, score, options.index, unit, &voices, &timeline, stated_tempo);
    let labelled = voices.iter().any(|v| v.part.is_some());
    layout::write_body(&mut out, &texts, labelled, options.layout, options.bars_per_line);
    out
}

/// The tempo the header states: the first written one, unless the map opens with a
/// lead-in (`TempoMap::stated_index`) written as a tempo of its own; then the header
/// states the tempo after it, and the lead line opens with the lead-in's `[Q:]` (the
/// timing is the same: a field at tick 0 overrides the header's tempo). A reader, a
/// model and the Q&A then see the music's tempo first, not a performance's first step
/// squeezed to place its first note.
fn state_after_lead_in(
    score: &Score,
    first: tempo::Tempo,
    tempi: &mut Vec<Option<tempo::Tempo>>,
    tokens: &mut [Vec<Vec<bars::Token>>],
) -> tempo::Tempo {
    if score.tempo.stated_index(score.ticks_per_quarter) == 0 {
        return first;
    }
    // The written tempo of the change after the lead-in (the map's second).
    let Some(&Some(stated)) = tempi.first().filter(|t| **t != Some(first)) else {
        return first;
    };
    let Some(lead_line) = tokens.first_mut().and_then(|voice| voice.first_mut()) else {
        return first;
    };
    lead_line.insert(0, bars::Token::Tempo(tempi.len() as u32));
    tempi.push(Some(first));
    stated
}
