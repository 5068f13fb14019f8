//! Tokens -> ABC text for one line, in a chosen unit note length: pitch spelling,
//! length suffixes, ties, tuplet marks and inline fields; then a voice's lines joined
//! bar by bar into one text with `&` overlays.

use std::fmt::Write;

use super::bars::Token;
use super::rhythm::Suffix;
use super::spelling::Speller;
use super::tempo::Tempo;
use super::voices::is_held;
use crate::score::Key;

/// One line's (or voice's) music as text, with the byte offset just after each bar's
/// bar line.
#[derive(Debug, Clone, Default)]
pub struct VoiceText {
    pub text: String,
    pub bar_ends: Vec<usize>,
    /// Per bar: whether it holds a note (an overlay bar of rests is left out).
    pub sounding: Vec<bool>,
}

impl VoiceText {
    /// Text of bars `from..to` (each ending in its bar line).
    pub fn bars(&self, from: usize, to: usize) -> &str {
        let start = if from == 0 { 0 } else { self.bar_ends[from - 1] };
        &self.text[start..self.bar_ends[to - 1]]
    }
}

/// Renders the tokens of one line; `pitches` is the line's pitch pool, `tempi` the
/// tempo written at each change (`tempo::written_tempi`).
pub fn render(tokens: &[Token], pitches: &[u8], key: Key, unit: (u32, u32), tempi: &[Option<Tempo>]) -> VoiceText {
    let mut out =
        VoiceText { text: String::with_capacity(tokens.len() * 3), bar_ends: Vec::new(), sounding: Vec::new() };
    let mut speller = Speller::new(key);
    let mut sounding = false;
    let text = &mut out.text;
    for token in tokens {
        match *token {
            Token::Bar => {
                text.push('|');
                out.bar_ends.push(text.len());
                out.sounding.push(std::mem::take(&mut sounding));
                speller.bar_line();
            }
            Token::Metre(n, d) => {
                let _ = write!(text, "[M:{n}/{d}]");
            }
            Token::Key(key) => {
                let _ = write!(text, "[K:{key}]");
                speller.set_key(key);
            }
            Token::KeyInForce(key) => speller.set_key(key),
            Token::Tempo(index) => {
                if let Some(Some(tempo)) = tempi.get(index as usize) {
                    let _ = write!(text, "[Q:{tempo}]");
                }
            }
            Token::Tuplet { ratio, count, simple } => {
                // abc2midi warns about a bare `(3` over chords or unequal lengths.
                if ratio.p == 3 && ratio.q == 2 && count == 3 && simple {
                    text.push_str("(3");
                } else {
                    let _ = write!(text, "({}:{}:{}", ratio.p, ratio.q, count);
                }
            }
            Token::Rest(len) => {
                text.push('z');
                Suffix::new(len, unit).push_to(text);
            }
            Token::Note { pitches: (from, to), len, tie } => {
                sounding = true;
                let chord = &pitches[from as usize..to as usize];
                // Held notes (tied chords) tie on one by one, or as the whole chord
                // after its length.
                let tied_out = |index: usize| tie || is_held(chord[index]);
                let whole = if chord.len() == 1 {
                    speller.write_chord(chord, text, tied_out)
                } else {
                    text.push('[');
                    let whole = speller.write_chord(chord, text, tied_out);
                    text.push(']');
                    whole
                };
                Suffix::new(len, unit).push_to(text);
                if whole {
                    text.push('-');
                }
            }
        }
    }
    out
}

/// Joins the lines of one voice bar by bar: each bar of the main line, then `&` and the
/// same bar of each overlay, up to the last overlay that holds a note in that bar (an
/// overlay of rests before it is written, to keep every overlay on its own line).
/// `metres` gives each bar's metre: an overlay states a metre change again (`&[M:3/4]`)
/// in the bar of the change and the first time it is written after it, since abc2midi
/// keeps a metre per overlay (and, in an overlay missing from the bar of a change, takes
/// the main line's metre at its next bar line, not the change after it).
pub fn join_lines(mut lines: Vec<VoiceText>, metres: &[(u8, u8)]) -> VoiceText {
    if lines.len() == 1 {
        return lines.pop().unwrap_or_default();
    }
    let bars = lines.first().map_or(0, |l| l.bar_ends.len());
    let capacity = lines.iter().map(|l| l.text.len()).sum();
    let mut out = VoiceText { text: String::with_capacity(capacity), bar_ends: Vec::new(), sounding: Vec::new() };
    let mut stated = vec![metres.first().copied(); lines.len()];
    for bar in 0..bars {
        let overlays = lines.iter().rposition(|l| l.sounding[bar]).unwrap_or(0);
        for (index, line) in lines[..=overlays].iter().enumerate() {
            if index > 0 {
                out.text.push('&');
                let metre = metres.get(bar).copied();
                let changes = bar > 0 && metres.get(bar - 1).copied() != metre;
                if stated[index] != metre || changes {
                    if let Some((n, d)) = metre {
                        let _ = write!(out.text, "[M:{n}/{d}]");
                    }
                    stated[index] = metre;
                }
            }
            let text = line.bars(bar, bar + 1);
            out.text.push_str(&text[..text.len() - 1]);
        }
        out.text.push('|');
        out.bar_ends.push(out.text.len());
        out.sounding.push(lines.iter().any(|l| l.sounding[bar]));
    }
    out
}
