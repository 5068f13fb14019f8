//! Finds the ABC tune in a model's answer: inside a code fence when there is one that
//! looks like ABC, else from the first `X:` line on.
//!
//! The reader skips prose it cannot read, but prose lines such as `Key: D` or
//! `T: the title is ...` look like header fields; cutting them off first keeps the
//! reader's view to the tune. Header values are never matched here with patterns: they
//! come from the reader's parsed header.

/// The part of `text` the reader should see.
pub fn abc_block(text: &str) -> &str {
    fenced_blocks(text).find(|block| looks_like_abc(block)).unwrap_or_else(|| from_first_index_line(text))
}

/// Contents of the ``` fenced blocks, in order; an unclosed fence runs to the end.
fn fenced_blocks(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let open = rest.find("```")?;
        let after = &rest[open + 3..];
        // The info string (```abc) ends at the first newline.
        let body = after.find('\n').map_or("", |nl| &after[nl + 1..]);
        let (block, tail) = body.find("```").map_or((body, ""), |close| (&body[..close], &body[close + 3..]));
        rest = tail;
        Some(block)
    })
}

/// A block is ABC when one of its lines is an `X:` or `K:` field.
fn looks_like_abc(block: &str) -> bool {
    block.lines().any(|line| is_field(line, 'X') || is_field(line, 'K'))
}

fn is_field(line: &str, letter: char) -> bool {
    let mut chars = line.trim_start().chars();
    chars.next() == Some(letter) && chars.next() == Some(':')
}

/// The text from its first `X:` line, or all of it when there is none.
fn from_first_index_line(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if is_field(line, 'X') {
            return &text[offset..];
        }
        offset += line.len();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_fenced_tune() {
        let text = "Sure! Key: D major.\n```\nnot abc\n```\nHere:\n```abc\nX:1\nM: 4/4\nK:D\nabc|\n```\nDone.";
        assert_eq!(abc_block(text), "X:1\nM: 4/4\nK:D\nabc|\n");
    }

    #[test]
    fn unclosed_fence_runs_to_the_end() {
        assert_eq!(abc_block("```abc\nX:1\nK:C\nC"), "X:1\nK:C\nC");
    }

    #[test]
    fn without_fences_starts_at_the_index_line() {
        assert_eq!(abc_block("Key: C\nT: prose\nX:2\nK:C\nC|"), "X:2\nK:C\nC|");
        assert_eq!(abc_block("M:3/4\nK:G\nG|"), "M:3/4\nK:G\nG|");
        assert_eq!(abc_block(""), "");
        assert_eq!(abc_block("```"), "```");
    }
}
