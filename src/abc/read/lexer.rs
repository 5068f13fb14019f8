//! The body lexer: one line of ABC music -> tokens, in a single pass over bytes.
//!
//! It knows the shape of each construct (a note is accidentals, a letter, octave marks
//! and a length) but nothing of time, keys or voices: that is the builder's job. What
//! carries no notes (decorations, grace notes, chord symbols, slurs, spacers, repeat
//! endings) is consumed here and never reaches the builder; unreadable text becomes an
//! `Invalid` token carrying a message naming what was expected.

use super::duration::Length;

/// Numbers in the body (lengths, tuplet counts, bar counts) are clamped to this; lengths
/// that large exceed `duration::MAX_TICKS` and are reported there.
const MAX_NUMBER: u64 = 1_000_000;

/// A note as written: accidental, letter, octave and length multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoteToken {
    /// Explicit accidental in semitones (`^` = 1, `__` = -2, `=` = 0), if any.
    pub accidental: Option<i8>,
    /// Index into `score::key::LETTERS` (C = 0 .. B = 6).
    pub letter: usize,
    /// Scientific octave: `C` is 4 (middle C), `c` is 5, each `'` adds one, `,` takes one.
    pub octave: i32,
    /// Multiple of the unit length.
    pub length: Length,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    Note(NoteToken),
    /// `z` or `x` (x is invisible; both take time), length in units.
    Rest(Length),
    /// `Z` or `X` with a number of whole bars.
    BarRest(u64),
    ChordStart,
    /// `]` closing a chord, with the multiplier written after it.
    ChordEnd(Length),
    /// `-`.
    Tie,
    /// `>` (`longer_first`) or `<`, repeated `marks` times.
    Broken {
        marks: u32,
        longer_first: bool,
    },
    /// `(p:q:r`, with `q` and `r` when written.
    Tuplet {
        p: u64,
        q: Option<u64>,
        r: Option<u64>,
    },
    /// Any bar line or repeat sign.
    BarLine,
    /// `[M:6/8]` and friends: the field letter and its value.
    InlineField {
        letter: u8,
        value: &'a str,
    },
    /// `&` voice overlay.
    Overlay,
    /// Unreadable text, skipped; the message says what was expected.
    Invalid(String),
}

/// A token and the byte range it covers in its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub offset: usize,
    /// Just past the token's last byte (a note's length included).
    pub end: usize,
    pub kind: TokenKind<'a>,
}

/// Tokens of one line of music.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Lexer { text, bytes: text.as_bytes(), pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip_while(&mut self, keep: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
    }

    /// A decimal number, clamped to `MAX_NUMBER`; `None` when no digit comes next.
    fn number(&mut self) -> Option<u64> {
        let start = self.pos;
        let mut value = 0u64;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = (value * 10 + u64::from(digit - b'0')).min(MAX_NUMBER);
            self.pos += 1;
        }
        (self.pos > start).then_some(value)
    }

    /// A length multiplier: `2`, `3/2`, `/2`, `/`, `//`, or nothing (1).
    fn length(&mut self) -> Length {
        let num = self.number().unwrap_or(1);
        let mut den = 1u64;
        while self.eat(b'/') {
            den = den.saturating_mul(self.number().unwrap_or(2));
        }
        Length::new(num, den)
    }

    /// Skips to just after `closer`; an `Invalid` token when the line ends first.
    fn skip_past(&mut self, closer: u8, what: &str) -> Option<TokenKind<'a>> {
        match self.bytes[self.pos..].iter().position(|&b| b == closer) {
            Some(at) => {
                self.pos += at + 1;
                None
            }
            None => {
                self.pos = self.bytes.len();
                Some(TokenKind::Invalid(format!("unterminated {what}: expected a closing '{}'", closer as char)))
            }
        }
    }

    /// Repeat-ending numbers after a bar line or `[`: `1`, `2`, `1,3`, `1-2`.
    fn skip_ending(&mut self) {
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.skip_while(|b| b.is_ascii_digit() || b == b',' || b == b'-');
        }
    }

    /// The rest of a bar line whose first byte was consumed: `||`, `|]`, `|:`, `:|`, `::`.
    fn bar_line(&mut self) -> TokenKind<'a> {
        self.skip_while(|b| matches!(b, b'|' | b':' | b']'));
        self.skip_ending();
        TokenKind::BarLine
    }

    /// A note whose letter is `letter` (accidental already read).
    fn note(&mut self, accidental: Option<i8>, letter: u8) -> TokenKind<'a> {
        let upper = letter.to_ascii_uppercase();
        let letter_index = (usize::from(upper - b'A') + 5) % 7;
        let mut octave: i32 = if letter.is_ascii_lowercase() { 5 } else { 4 };
        loop {
            if self.eat(b'\'') {
                octave = octave.saturating_add(1);
            } else if self.eat(b',') {
                octave = octave.saturating_sub(1);
            } else {
                break;
            }
        }
        let length = self.length();
        TokenKind::Note(NoteToken { accidental, letter: letter_index, octave, length })
    }

    /// `^`, `^^`, `_`, `__` or `=` (first byte consumed), then the note.
    fn accidental_note(&mut self, first: u8) -> TokenKind<'a> {
        let accidental = match first {
            b'^' if self.eat(b'^') => 2,
            b'^' => 1,
            b'_' if self.eat(b'_') => -2,
            b'_' => -1,
            _ => 0,
        };
        match self.peek() {
            Some(letter @ (b'A'..=b'G' | b'a'..=b'g')) => {
                self.pos += 1;
                self.note(Some(accidental), letter)
            }
            _ => TokenKind::Invalid("accidental not followed by a note: expected a letter A-G or a-g".to_string()),
        }
    }

    /// After `[`: an inline field, a repeat ending, a `[|` bar line, or a chord.
    fn open_bracket(&mut self) -> Option<TokenKind<'a>> {
        match (self.peek(), self.peek_at(1)) {
            (Some(letter), Some(b':')) if letter.is_ascii_alphabetic() => {
                let value_start = self.pos + 2;
                match self.bytes[value_start..].iter().position(|&b| b == b']') {
                    Some(len) => {
                        self.pos = value_start + len + 1;
                        Some(TokenKind::InlineField { letter, value: &self.text[value_start..value_start + len] })
                    }
                    None => {
                        self.pos = self.bytes.len();
                        Some(TokenKind::Invalid("unterminated inline field: expected a closing ']'".to_string()))
                    }
                }
            }
            (Some(b'0'..=b'9'), _) => {
                self.skip_ending();
                None
            }
            (Some(b'|'), _) => Some(self.bar_line()),
            _ => Some(TokenKind::ChordStart),
        }
    }

    /// After `(`: a tuplet `(p:q:r` or, when no digit follows, a slur (skipped).
    fn open_paren(&mut self) -> Option<TokenKind<'a>> {
        let p = self.number()?;
        let mut q = None;
        let mut r = None;
        if self.eat(b':') {
            q = self.number();
            if self.eat(b':') {
                r = self.number();
            }
        }
        Some(TokenKind::Tuplet { p, q, r })
    }

    /// The token starting at `self.pos`, or `None` when the bytes there carry no notes.
    fn token_kind(&mut self) -> Option<TokenKind<'a>> {
        let byte = self.peek()?;
        self.pos += 1;
        match byte {
            b' ' | b'\t' | b'\r' | b'\\' | b'`' | b'y' | b'$' | b'.' | b'~' | b')' => None,
            b'H'..=b'W' | b'h'..=b'w' => None,
            b'"' => self.skip_past(b'"', "chord symbol or annotation"),
            b'!' => self.skip_past(b'!', "decoration"),
            b'+' => self.skip_past(b'+', "decoration"),
            b'{' => self.skip_past(b'}', "grace notes"),
            b'^' | b'_' | b'=' => Some(self.accidental_note(byte)),
            b'A'..=b'G' | b'a'..=b'g' => Some(self.note(None, byte)),
            b'z' | b'x' => Some(TokenKind::Rest(self.length())),
            b'Z' | b'X' => Some(TokenKind::BarRest(self.number().unwrap_or(1))),
            b'[' => self.open_bracket(),
            b']' => Some(TokenKind::ChordEnd(self.length())),
            b'|' => Some(self.bar_line()),
            b':' if matches!(self.peek(), Some(b':' | b'|')) => Some(self.bar_line()),
            b'(' => self.open_paren(),
            b'-' => Some(TokenKind::Tie),
            b'>' | b'<' => {
                let start = self.pos;
                self.skip_while(|b| b == byte);
                let marks = u32::try_from(self.pos - start + 1).unwrap_or(u32::MAX);
                Some(TokenKind::Broken { marks, longer_first: byte == b'>' })
            }
            b'&' => Some(TokenKind::Overlay),
            _ => Some(self.unexpected()),
        }
    }

    /// An `Invalid` token for the character starting just before `self.pos`.
    fn unexpected(&mut self) -> TokenKind<'a> {
        let start = self.pos - 1;
        let character = self.text[start..].chars().next().unwrap_or('?');
        self.pos = start + character.len_utf8();
        TokenKind::Invalid(format!(
            "unexpected {character:?}: expected a note, rest, chord, bar line, tuplet or decoration"
        ))
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        while self.pos < self.bytes.len() {
            let offset = self.pos;
            if let Some(kind) = self.token_kind() {
                return Some(Token { offset, end: self.pos, kind });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind<'_>> {
        Lexer::new(text).map(|t| t.kind).collect()
    }

    #[test]
    fn notes_with_accidentals_octaves_and_lengths() {
        let note = |accidental, letter, octave, num, den| {
            TokenKind::Note(NoteToken { accidental, letter, octave, length: Length::new(num, den) })
        };
        assert_eq!(
            kinds("^c'2 __B,,/ =E3/2 a//"),
            vec![
                note(Some(1), 0, 6, 2, 1),
                note(Some(-2), 6, 2, 1, 2),
                note(Some(0), 2, 4, 3, 2),
                note(None, 5, 5, 1, 4)
            ]
        );
    }

    #[test]
    fn a_token_ends_after_its_length() {
        let spans: Vec<(usize, usize)> = Lexer::new("^c'2 [CE]3/2 z").map(|t| (t.offset, t.end)).collect();
        assert_eq!(spans, [(0, 4), (5, 6), (6, 7), (7, 8), (8, 12), (13, 14)]);
    }

    #[test]
    fn skipped_constructs_leave_no_tokens() {
        assert_eq!(kinds("!trill! +fermata+ .~Tuv \"Am\" {gab} ( ) y ` \\"), vec![]);
        assert_eq!(kinds("[1 [2,3"), vec![]);
    }

    #[test]
    fn structural_tokens() {
        assert_eq!(
            kinds("|: [M:6/8] (3:2:3 > << & - :| [| Z4 x/"),
            vec![
                TokenKind::BarLine,
                TokenKind::InlineField { letter: b'M', value: "6/8" },
                TokenKind::Tuplet { p: 3, q: Some(2), r: Some(3) },
                TokenKind::Broken { marks: 1, longer_first: true },
                TokenKind::Broken { marks: 2, longer_first: false },
                TokenKind::Overlay,
                TokenKind::Tie,
                TokenKind::BarLine,
                TokenKind::BarLine,
                TokenKind::BarRest(4),
                TokenKind::Rest(Length::new(1, 2)),
            ]
        );
    }

    #[test]
    fn unreadable_text_is_reported_with_its_offset() {
        let tokens: Vec<_> = Lexer::new("A é \"open").collect();
        assert_eq!(tokens.len(), 3);
        assert_eq!((tokens[0].offset, tokens[0].end), (0, 1));
        assert_eq!(tokens[1].offset, 2);
        assert!(matches!(&tokens[1].kind, TokenKind::Invalid(m) if m.starts_with("unexpected 'é'")));
        assert!(matches!(&tokens[2].kind, TokenKind::Invalid(m) if m.contains("closing '\"'")));
    }
}
