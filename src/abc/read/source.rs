//! Finding the tune in a model's answer: the lines of the first ABC tune, without the
//! prose, code fences and further tunes around it.
//!
//! The tune starts at the first header-looking line (`X:`, `T:`, `M:`, `L:`, `Q:`, `K:`
//! or `V:` at the start of a line); when there is none, at the first line of music that
//! has a bar line. It ends at a code fence, or at the next `X:` (a second tune). Inside
//! it, lines that read as English prose are dropped. Every dropped line is reported.

use super::Reporter;

/// One line of the tune and its 1-based line number in the whole text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SourceLine<'a> {
    pub number: usize,
    pub text: &'a str,
}

/// The lines of the first tune in `text`.
pub(crate) fn tune_lines<'a>(text: &'a str, report: &mut Reporter) -> Vec<SourceLine<'a>> {
    let lines: Vec<SourceLine<'a>> = text
        .split('\n')
        .enumerate()
        .map(|(i, line)| SourceLine { number: i + 1, text: line.strip_suffix('\r').unwrap_or(line) })
        .collect();
    let start = lines
        .iter()
        .position(|l| is_header_line(l.text))
        .or_else(|| lines.iter().position(|l| !is_fence(l.text) && l.text.contains('|') && !looks_like_prose(l.text)));
    let Some(start) = start else {
        if !text.trim().is_empty() {
            report.at(1, "", 0, "no ABC tune found: expected header fields (X:, M:, K:, ...) or bars of music".into());
        }
        return Vec::new();
    };
    if !is_header_line(lines[start].text) {
        let message = "no ABC header found: reading the music with default metre, key and tempo";
        report.at(lines[start].number, lines[start].text, 0, message.to_string());
    }
    report_skipped_block(&lines[..start], "text before the tune", report);
    let mut tune = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(start) {
        let trimmed = line.text.trim_start();
        if is_fence(trimmed) || (i > start && trimmed.starts_with("X:")) {
            report_skipped_block(&lines[i..], "text after the tune", report);
            break;
        }
        if looks_like_prose(line.text) && !is_field_line(trimmed) && !trimmed.starts_with('%') {
            report.at(line.number, line.text, 0, "prose inside the tune skipped: expected ABC music".into());
            continue;
        }
        tune.push(*line);
    }
    tune
}

/// Reports a run of dropped lines once, at its first non-blank line.
fn report_skipped_block(lines: &[SourceLine<'_>], what: &str, report: &mut Reporter) {
    let mut content = lines.iter().filter(|l| !l.text.trim().is_empty() && !is_fence(l.text));
    if let Some(first) = content.next() {
        let count = 1 + content.count();
        report.at(first.number, first.text, 0, format!("{what} skipped ({count} line(s)): expected ABC"));
    }
}

fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```")
}

/// `L:` etc.: a letter and a colon at the start of a line.
fn is_field_line(trimmed: &str) -> bool {
    let bytes = trimmed.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// A field that starts a tune's header.
fn is_header_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    is_field_line(trimmed) && matches!(trimmed.as_bytes()[0], b'X' | b'T' | b'M' | b'L' | b'Q' | b'K' | b'V')
}

/// Letters that in music appear only as rare decorations but fill English words.
fn is_prose_letter(byte: u8) -> bool {
    matches!(byte.to_ascii_lowercase(), b'h'..=b't' | b'w')
}

/// English prose, not music: a word with two or more letters that music rarely uses
/// (`the`, `piece`, `Here`), twice on a line with bar lines, once on a line without.
/// Quoted text (`"Am"`), `!decorations!`, `+decorations+` and `[K:EMix]` do not count.
pub(crate) fn looks_like_prose(line: &str) -> bool {
    let music = line.split('%').next().unwrap_or_default().as_bytes();
    let mut prose_words = 0;
    let mut prose_letters = 0;
    // The byte closing the quoted text, decoration or inline field being skipped.
    let mut skipping_to: Option<u8> = None;
    for (i, &byte) in music.iter().chain(std::iter::once(&b' ')).enumerate() {
        if let Some(closer) = skipping_to {
            skipping_to = (byte != closer).then_some(closer);
            continue;
        }
        if byte.is_ascii_alphabetic() || byte == b'\'' {
            prose_letters += usize::from(is_prose_letter(byte));
            continue;
        }
        prose_words += usize::from(prose_letters >= 2);
        prose_letters = 0;
        skipping_to = match byte {
            b'"' | b'!' | b'+' => Some(byte),
            b'[' if music.get(i + 1).is_some_and(u8::is_ascii_alphabetic) && music.get(i + 2) == Some(&b':') => {
                Some(b']')
            }
            _ => None,
        };
    }
    let needed = if music.contains(&b'|') { 2 } else { 1 };
    prose_words >= needed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_and_music_are_told_apart() {
        assert!(looks_like_prose("Here is the transcription of the piece:"));
        assert!(looks_like_prose("Enjoy!"));
        assert!(!looks_like_prose("|: TA2 Bc d2 \"Am\"e2 :| !trill!c4 |"));
        assert!(!looks_like_prose("[CEG]2 uA vB ^f/g/ z2 |]"));
        assert!(!looks_like_prose("abc def | gab c'2"));
        assert!(!looks_like_prose("[V:2] [K:EMix] [Q:\"Moderato\" 1/4=90] A2 [K:ADor] B2"));
    }
}
