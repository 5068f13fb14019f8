//! A clip read back from its ABC alone, for `prep qa` on ABC made elsewhere (or by an
//! earlier run): the facts come from the tune's header and voices.
//!
//! The ABC must read without a diagnostic and state `M:`, `Q:` and `K:`, otherwise the
//! facts would be the reader's defaults (4/4, 120 BPM, C major) rather than the music's.
//! One instrument per staff group of the `%%score` directive (the writer gives the extra
//! voices of one instrument a shared staff: `%%score 1 (2 3)` is two instruments), one
//! per voice when there is no directive or it does not cover the voices exactly.
//! Such a clip has no piece: `piece_id` and `source` are empty, `index` and `start_s`
//! are 0, `end_s` is the length of the music and there is no audio span.

use super::{Clip, Facts, instrument_name};
use crate::abc::read::parse;
use crate::datasets::Split;

/// Why an ABC text cannot make a clip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}, column {column}: {message}")]
    Unreadable {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the tune states no {0} field")]
    Missing(&'static str),
}

/// The clip `id` of `split` whose ABC is `abc`, with its facts read from the ABC.
pub fn clip_from_abc(id: &str, split: Split, abc: &str) -> Result<Clip, ReadError> {
    let parsed = parse(abc);
    if let Some(d) = parsed.diagnostics.first() {
        return Err(ReadError::Unreadable {
            line: d.line,
            column: d.column,
            message: d.message.clone(),
        });
    }
    for (found, field) in [
        (parsed.found.metre, "M:"),
        (parsed.found.tempo, "Q:"),
        (parsed.found.key, "K:"),
    ] {
        if !found {
            return Err(ReadError::Missing(field));
        }
    }
    let score = &parsed.score;
    let voices: Vec<String> = score.parts.iter().map(|p| instrument_name(p, score.title.as_deref())).collect();
    let instruments = match staff_groups(abc) {
        Some(sizes) if sizes.iter().sum::<usize>() == voices.len() => {
            let mut first = 0;
            sizes
                .iter()
                .map(|size| {
                    let name = voices[first].clone();
                    first += size;
                    name
                })
                .collect()
        }
        _ => voices,
    };
    let facts = Facts::of(score, instruments);
    Ok(Clip {
        id: id.to_string(),
        piece_id: String::new(),
        source: String::new(),
        split,
        index: 0,
        start_s: 0.0,
        end_s: score.seconds_at(score.end_tick()),
        audio: None,
        abc: abc.to_string(),
        tempo_bpm: facts.tempo_bpm,
        metre: facts.metre,
        key: facts.key,
        instruments: facts.instruments,
        note_count: facts.note_count,
    })
}

/// The number of voices in each staff group of the first `%%score` (or `%%staves`)
/// directive: `%%score 1 (2 3) {4 5}` gives `[1, 2, 2]`. Brackets of either kind group
/// the voices of one instrument, however deeply nested; `|` and `*` are ignored.
fn staff_groups(abc: &str) -> Option<Vec<usize>> {
    let value = abc.lines().find_map(|l| {
        l.trim()
            .strip_prefix("%%score")
            .or_else(|| l.trim().strip_prefix("%%staves"))
    })?;
    let mut sizes = Vec::new();
    let mut depth = 0usize;
    let mut in_group = 0usize;
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
                if depth == 0 && in_group > 0 {
                    sizes.push(in_group);
                    in_group = 0;
                }
            }
            "|" | "*" => {}
            _ if depth > 0 => in_group += 1,
            _ => sizes.push(1),
        }
    }
    Some(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_groups_count_bracketed_voices_as_one() {
        assert_eq!(staff_groups("X:1\n%%score 1 (2 3) 4\nK:C\n"), Some(vec![1, 2, 1]));
        assert_eq!(staff_groups("%%staves {(1 2) (3 4)} | 5\n"), Some(vec![4, 1]));
        assert_eq!(staff_groups("X:1\nK:C\n"), None);
    }
}
