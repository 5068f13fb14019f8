//! The ABC reader on what language models write: prose, code fences, several tunes,
//! broken constructs, pathological numbers, and arbitrary text (it must never panic).

use prep::abc::read::{Diagnostic, parse};
use proptest::prelude::*;

/// (pitch, start, duration) of every note of the first part.
fn notes(abc: &str) -> Vec<(u8, u64, u64)> {
    let parsed = parse(abc);
    parsed.score.parts.first().map_or(vec![], |p| p.notes.iter().map(|n| (n.pitch, n.start, n.duration)).collect())
}

/// (line, column) of every diagnostic, with the start of its message.
fn places(diagnostics: &[Diagnostic]) -> Vec<(usize, usize, String)> {
    diagnostics.iter().map(|d| (d.line, d.column, d.message.chars().take(24).collect())).collect()
}

const ANSWER: &str = "Sure! Here is the transcription of the piece:

```abc
X:1
M: 3/4
L:1/8
Q:1/4=90
K:G
GAB c2d | e6 |]
```

This piece is in G major and has a lively feel.
";

#[test]
fn prose_and_fences_around_the_tune_are_skipped_and_reported() {
    let parsed = parse(ANSWER);
    assert_eq!(
        notes(ANSWER),
        vec![(67, 0, 1680), (69, 1680, 1680), (71, 3360, 1680), (72, 5040, 3360), (74, 8400, 1680), (76, 10080, 10080)]
    );
    assert_eq!(parsed.score.time_signatures[0].numerator, 3);
    assert_eq!(parsed.score.tempo.changes()[0].micros_per_quarter, 666_667);
    assert!(parsed.found.metre && parsed.found.key && parsed.found.tempo);
    assert_eq!(
        places(&parsed.diagnostics),
        vec![
            (1, 1, "text before the tune skip".chars().take(24).collect()),
            (12, 1, "text after the tune skipp".chars().take(24).collect())
        ]
    );
}

#[test]
fn only_the_first_of_several_tunes_is_read() {
    let text = "X:1\nK:C\nC2|\n\nX:2\nK:D\nD2|\n";
    assert_eq!(notes(text), vec![(60, 0, 3360)]);
    let parsed = parse(text);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!((parsed.diagnostics[0].line, parsed.diagnostics[0].column), (5, 1));
    assert!(parsed.diagnostics[0].message.starts_with("text after the tune skipped (3 line(s))"));
}

#[test]
fn a_body_without_header_reads_with_defaults() {
    let text = "Here you go:\nABc d2 | e4 |]\n";
    let parsed = parse(text);
    assert_eq!(
        notes(text),
        vec![(69, 0, 1680), (71, 1680, 1680), (72, 3360, 1680), (74, 5040, 3360), (76, 8400, 6720)]
    );
    assert_eq!(parsed.found.voices, 1);
    assert!(!parsed.found.metre && !parsed.found.key);
    let messages: Vec<_> = parsed.diagnostics.iter().map(|d| (d.line, d.message.as_str())).collect();
    assert_eq!(
        messages,
        vec![
            (2, "no ABC header found: reading the music with default metre, key and tempo"),
            (1, "text before the tune skipped (1 line(s)): expected ABC")
        ]
    );
}

#[test]
fn text_without_music_gives_an_empty_score() {
    let parsed = parse("I cannot transcribe this audio, sorry.");
    assert!(parsed.score.parts.is_empty());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert!(parsed.diagnostics[0].message.starts_with("no ABC tune found"));
    assert_eq!(parse("").diagnostics, vec![]);
}

#[test]
fn prose_inside_the_tune_is_skipped() {
    let text = "X:1\nK:C\nC2 D2|\nNow the second phrase repeats the first one.\nE2 F2|";
    assert_eq!(notes(text), vec![(60, 0, 3360), (62, 3360, 3360), (64, 6720, 3360), (65, 10080, 3360)]);
    assert_eq!(places(&parse(text).diagnostics), vec![(4, 1, "prose inside the tune ski".chars().take(24).collect())]);
}

/// The single diagnostic of reading `body` after a minimal header (on line 3).
fn only_diagnostic(body: &str) -> (usize, usize, String) {
    let parsed = parse(&format!("X:1\nK:C\n{body}"));
    assert_eq!(parsed.diagnostics.len(), 1, "{body}: {:?}", parsed.diagnostics);
    let d = &parsed.diagnostics[0];
    (d.line, d.column, d.message.clone())
}

#[test]
fn broken_constructs_are_reported_with_line_column_and_expectation() {
    let unexpected = "unexpected ';': expected a note, rest, chord, bar line, tuplet or decoration";
    assert_eq!(only_diagnostic("A ; B"), (3, 3, unexpected.to_string()));
    let accidental = "accidental not followed by a note: expected a letter A-G or a-g";
    assert_eq!(only_diagnostic("A ^ B"), (3, 3, accidental.to_string()));
    let decoration = "unterminated decoration: expected a closing '!'";
    assert_eq!(only_diagnostic("A !trill B"), (3, 3, decoration.to_string()));
    let chord = "unclosed chord at the end of the line: expected ']'";
    assert_eq!(only_diagnostic("A [CE"), (3, 6, chord.to_string()));
    assert_eq!(only_diagnostic("é A"), (3, 1, unexpected.replace(';', "é")));
    let columns: Vec<_> = parse("X:1\nK:C\nü ;").diagnostics.iter().map(|d| d.column).collect();
    assert_eq!(columns, vec![1, 3]);
    assert_eq!(only_diagnostic("A ] B").2, "']' without an open chord: expected '[' before it");
    assert_eq!(only_diagnostic("> A").2, "broken rhythm '>' or '<' without a note before it");
    assert_eq!(only_diagnostic("(1 A").2, "tuplet (1: expected 2 to 64 notes");
    assert_eq!(only_diagnostic("A0").2, "zero length: expected a positive length, element skipped");
    let field = "unknown field 'J:' skipped: expected an ABC 2.1 field such as M:, K: or V:";
    assert_eq!(only_diagnostic("J:hello"), (3, 3, field.to_string()));
    assert_eq!(only_diagnostic("[M:7/5] A").0, 3);
    assert_eq!(only_diagnostic("[M:7/5] A").1, 4);
}

#[test]
fn broken_constructs_leave_the_rest_readable() {
    assert_eq!(
        notes("X:1\nK:C\nA ; B [CE | c"),
        vec![(69, 0, 1680), (71, 1680, 1680), (60, 3360, 1680), (64, 3360, 1680), (72, 5040, 1680)]
    );
    let with_extreme_octave = "X:1\nK:C\nc'''''''' A";
    assert_eq!(notes(with_extreme_octave), vec![(69, 1680, 1680)]);
}

#[test]
fn absurd_lengths_are_capped() {
    for body in ["A99999999", "Z99999999", "A99999/1 A99999/1 A99999/1", "z99999999999999999999"] {
        let parsed = parse(&format!("X:1\nK:C\n{body} B"));
        assert!(parsed.diagnostics.iter().any(|d| d.message.contains("beyond the cap")), "{body}");
        let last = parsed.score.parts[0].notes.last().copied();
        assert!(last.is_some_and(|n| n.pitch == 71 && n.end() <= 336_000_000), "{body}");
    }
    let tiny = parse("X:1\nK:C\nA/99999999 B");
    assert!(tiny.diagnostics.iter().any(|d| d.message.starts_with("length is not a whole number of ticks")));
    assert!(tiny.diagnostics.iter().any(|d| d.message.starts_with("zero length")));
}

#[test]
fn diagnostics_are_capped() {
    let parsed = parse(&format!("X:1\nK:C\n{}", ";".repeat(5000)));
    assert_eq!(parsed.diagnostics.len(), 1001);
    assert_eq!(parsed.diagnostics[1000].message, "4000 further problems not reported");
}

const VALID: &str = "X:1\nT:Test\nM:6/8\nL:1/8\nQ:3/8=60\nV:1 name=\"Flute\"\nV:2 name=\"Cello\"\nK:Bb\n\
V:1\n|: (3ABc d>e f2- | f3 [ce]2 z :|[1 !trill!g6 |]\nV:2\nB,,6 | _E,3 {c}D,3 & F,6 | Z2 |]";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let parsed = parse(&text);
        prop_assert_eq!(parsed.score.ticks_per_quarter, 3360);
    }

    #[test]
    fn abc_like_text_never_panics(text in "[A-Ga-gzxZX^_=,'/0-9\\[\\]|:()<>\\-&{}!+\"%.~ \nKMLQVTHuvy]{0,200}") {
        let parsed = parse(&text);
        for note in parsed.score.parts.iter().flat_map(|p| &p.notes) {
            prop_assert!(note.duration > 0 && note.pitch <= 127 && note.end() <= 336_000_000);
        }
    }

    #[test]
    fn mutated_tunes_never_panic(edits in prop::collection::vec(any::<(prop::sample::Index, char, bool)>(), 1..12)) {
        let mut text: Vec<char> = VALID.chars().collect();
        for (at, c, insert) in edits {
            let i = at.index(text.len());
            if insert { text.insert(i, c) } else { text[i] = c }
        }
        let text: String = text.into_iter().collect();
        let parsed = parse(&text);
        for d in &parsed.diagnostics {
            prop_assert!(d.line >= 1 && d.line <= text.split('\n').count() && d.column >= 1);
        }
    }
}

#[test]
fn the_valid_tune_behind_the_mutations_reads_cleanly() {
    let parsed = parse(VALID);
    assert_eq!(parsed.diagnostics, vec![]);
    assert_eq!(
        notes(VALID),
        vec![
            (69, 0, 1120),
            (70, 1120, 1120),
            (72, 2240, 1120),
            (74, 3360, 2520),
            (75, 5880, 840),
            (77, 6720, 8400),
            (72, 15120, 3360),
            (75, 15120, 3360),
            (79, 20160, 10080)
        ]
    );
    let cello: Vec<_> = parsed.score.parts[1].notes.iter().map(|n| (n.pitch, n.start, n.duration)).collect();
    assert_eq!(cello, vec![(46, 0, 10080), (51, 10080, 5040), (53, 10080, 10080), (50, 15120, 5040)]);
    assert_eq!(parsed.score.tempo.changes()[0].micros_per_quarter, 666_667);
}
