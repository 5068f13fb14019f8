//! Tokens -> ABC text for one voice, in a chosen unit note length: pitch spelling,
//! length suffixes, ties, tuplet marks and inline fields.

use std::fmt::Write;

use super::bars::Token;
use super::rhythm::Suffix;
use super::spelling::Speller;
use crate::score::Key;

/// One voice's music as text, with the byte offset just after each bar's bar line.
#[derive(Debug, Clone, Default)]
pub struct VoiceText {
    pub text: String,
    pub bar_ends: Vec<usize>,
}

impl VoiceText {
    /// Text of bars `from..to` (each ending in its bar line).
    pub fn bars(&self, from: usize, to: usize) -> &str {
        let start = if from == 0 { 0 } else { self.bar_ends[from - 1] };
        &self.text[start..self.bar_ends[to - 1]]
    }
}

/// Renders the tokens of one voice; `pitches` is the voice's pitch pool.
pub fn render(tokens: &[Token], pitches: &[u8], key: Key, unit: (u32, u32)) -> VoiceText {
    let mut out = VoiceText { text: String::with_capacity(tokens.len() * 3), bar_ends: Vec::new() };
    let mut speller = Speller::new(key);
    let text = &mut out.text;
    for token in tokens {
        match *token {
            Token::Bar => {
                text.push('|');
                out.bar_ends.push(text.len());
                speller.bar_line();
            }
            Token::Metre(n, d) => {
                let _ = write!(text, "[M:{n}/{d}]");
            }
            Token::Key(key) => {
                let _ = write!(text, "[K:{key}]");
                speller.set_key(key);
            }
            Token::Tempo(bpm) => {
                let _ = write!(text, "[Q:1/4={bpm}]");
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
                let chord = &pitches[from as usize..to as usize];
                if chord.len() == 1 {
                    speller.write(chord[0], text);
                } else {
                    text.push('[');
                    for &pitch in chord {
                        speller.write(pitch, text);
                    }
                    text.push(']');
                }
                Suffix::new(len, unit).push_to(text);
                if tie {
                    text.push('-');
                }
            }
        }
    }
    out
}
