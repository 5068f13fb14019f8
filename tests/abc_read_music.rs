//! The ABC reader on well-formed tunes: exact notes (pitch, start, duration in ticks at
//! 3360 per quarter) for each construct of the body, and the header fields.

use prep::abc::read::{ABC_TICKS_PER_QUARTER, FoundFields, parse};
use prep::score::{Key, KeyChange, Mode, TempoChange, TimeSignature};

/// A tune with a 4/4, L:1/8, C major header (one eighth = 1680 ticks) and `body`.
fn tune(body: &str) -> String {
    format!("X:1\nM:4/4\nL:1/8\nK:C\n{body}\n")
}

/// (pitch, start, duration) of every note of part `part` of `abc`.
fn notes(abc: &str, part: usize) -> Vec<(u8, u64, u64)> {
    let parsed = parse(abc);
    parsed.score.parts[part].notes.iter().map(|n| (n.pitch, n.start, n.duration)).collect()
}

/// Notes of the only part of `tune(body)`, asserting that nothing was reported.
fn clean_notes(body: &str) -> Vec<(u8, u64, u64)> {
    let parsed = parse(&tune(body));
    assert_eq!(parsed.diagnostics, vec![], "{body}");
    assert_eq!(parsed.score.parts.len(), 1, "{body}");
    parsed.score.parts[0].notes.iter().map(|n| (n.pitch, n.start, n.duration)).collect()
}

#[test]
fn resolution_is_the_documented_one() {
    assert_eq!(parse(&tune("C")).score.ticks_per_quarter, ABC_TICKS_PER_QUARTER);
}

#[test]
fn lengths() {
    assert_eq!(
        clean_notes("C D2 E/2 F/ G// A3/2 B/4 c1"),
        vec![
            (60, 0, 1680),
            (62, 1680, 3360),
            (64, 5040, 840),
            (65, 5880, 840),
            (67, 6720, 420),
            (69, 7140, 2520),
            (71, 9660, 420),
            (72, 10080, 1680),
        ]
    );
}

#[test]
fn octaves() {
    let starts = (0..6).map(|i| i * 1680);
    let pitches = [48, 36, 72, 84, 96, 59];
    let expected: Vec<_> = pitches.into_iter().zip(starts).map(|(p, s)| (p, s, 1680)).collect();
    assert_eq!(clean_notes("C, C,, c c' c'' B,"), expected);
}

/// Pitches of the only part, in order.
fn pitches(abc: &str) -> Vec<u8> {
    notes(abc, 0).into_iter().map(|n| n.0).collect()
}

#[test]
fn accidentals_last_until_the_bar_line() {
    assert_eq!(pitches(&tune("^F F =F _B ^^G __A | F")), vec![66, 66, 65, 70, 69, 67, 65]);
}

#[test]
fn accidentals_apply_to_one_octave_only() {
    assert_eq!(pitches(&tune("^f F f f' | f")), vec![78, 65, 78, 89, 77]);
}

#[test]
fn key_signature_applies_without_accidentals() {
    assert_eq!(pitches("K:D\nF c =F F | F C"), vec![66, 73, 65, 65, 66, 61]);
    assert_eq!(pitches("K:Bb\nB E A e"), vec![70, 63, 69, 75]);
    assert_eq!(pitches("K:Am\nF G c"), vec![65, 67, 72]);
    assert_eq!(pitches("K:F#m\nF G c B"), vec![66, 68, 73, 71]);
    assert_eq!(pitches("K:D dor\nF B c"), vec![65, 71, 72]);
    assert_eq!(pitches("K:Bb mix\nE A"), vec![63, 68]);
}

#[test]
fn rests_and_multi_bar_rests() {
    assert_eq!(clean_notes("z2 x A Z A Z2 B"), vec![(69, 5040, 1680), (69, 20160, 1680), (71, 48720, 1680)]);
    assert_eq!(notes("M:3/4\nL:1/8\nK:C\nZ A", 0), vec![(69, 10080, 1680)]);
}

#[test]
fn chords_take_the_first_note_length_times_the_outer_one() {
    assert_eq!(
        clean_notes("[CEG]2 [C2E2G2] [CE]/ [C2E]/"),
        vec![
            (60, 0, 3360),
            (64, 0, 3360),
            (67, 0, 3360),
            (60, 3360, 3360),
            (64, 3360, 3360),
            (67, 3360, 3360),
            (60, 6720, 840),
            (64, 6720, 840),
            (60, 7560, 1680),
            (64, 7560, 1680),
        ]
    );
}

#[test]
fn ties_join_notes_of_the_same_pitch_across_bar_lines() {
    assert_eq!(
        clean_notes("A2-|A2 B-B C-|D"),
        vec![(69, 0, 6720), (71, 6720, 3360), (60, 10080, 1680), (62, 11760, 1680)]
    );
    assert_eq!(clean_notes("[CE]2-|[CE]2"), vec![(60, 0, 6720), (64, 0, 6720)]);
    assert_eq!(clean_notes("[C-E]2 [CE]2"), vec![(60, 0, 6720), (64, 0, 3360), (64, 3360, 3360)]);
    assert_eq!(clean_notes("A-z A"), vec![(69, 0, 1680), (69, 3360, 1680)]);
}

#[test]
fn broken_rhythm() {
    assert_eq!(
        clean_notes("A>B C<D E>>F G<<A"),
        vec![
            (69, 0, 2520),
            (71, 2520, 840),
            (60, 3360, 840),
            (62, 4200, 2520),
            (64, 6720, 2940),
            (65, 9660, 420),
            (67, 10080, 420),
            (69, 10500, 2940),
        ]
    );
    assert_eq!(clean_notes("[CE]>G"), vec![(60, 0, 2520), (64, 0, 2520), (67, 2520, 840)]);
}

#[test]
fn tuplets_with_abc_default_counts() {
    assert_eq!(clean_notes("(3ABC D"), vec![(69, 0, 1120), (71, 1120, 1120), (60, 2240, 1120), (62, 3360, 1680)]);
    assert_eq!(clean_notes("(3:2:2 A2 B c"), vec![(69, 0, 2240), (71, 2240, 1120), (72, 3360, 1680)]);
    let five: Vec<_> = (0..5).map(|i| (69, i * 672, 672)).collect();
    assert_eq!(clean_notes("(5AAAAA"), five);
    let compound: Vec<_> = (0..5).map(|i| (69, i * 1008, 1008)).collect();
    assert_eq!(notes("M:6/8\nK:C\n(5AAAAA", 0), compound);
    assert_eq!(notes("M:6/8\nK:C\n(2AB", 0), vec![(69, 0, 2520), (71, 2520, 2520)]);
    assert_eq!(clean_notes("(3[CE]zE"), vec![(60, 0, 1120), (64, 0, 1120), (64, 2240, 1120)]);
}

#[test]
fn slurs_are_not_tuplets() {
    assert_eq!(
        clean_notes("(AB) (3A(BC)"),
        vec![(69, 0, 1680), (71, 1680, 1680), (69, 3360, 1120), (71, 4480, 1120), (60, 5600, 1120)]
    );
}

#[test]
fn bar_lines_repeats_and_endings_are_read_once() {
    let expected: Vec<_> = (0..6).map(|i| (60 + [0, 2, 4, 5, 7, 9][i as usize], i * 6720, 6720)).collect();
    assert_eq!(clean_notes("|: C4 D4 :|[1 E4 F4 :|2 G4 || A4 |]"), expected);
    assert_eq!(clean_notes("[| C4 | D4 :: E4 |1 F4 :|2 G4 [2 A4|]"), expected);
}

#[test]
fn skipped_constructs_take_no_time() {
    let scale: Vec<_> = [69, 71, 72, 62, 64, 65, 67, 69].iter().zip(0..).map(|(&p, i)| (p, i * 1680, 1680)).collect();
    assert_eq!(clean_notes("!trill!A .B ~c HD uE vF +fermata+G TA"), scale);
    assert_eq!(clean_notes("\"Am\"A {g}B {/ag}c \"^text\"D y E`F % G A B"), scale[..6].to_vec());
}

#[test]
fn line_continuation_joins_lines() {
    assert_eq!(clean_notes("A B \\\nc"), vec![(69, 0, 1680), (71, 1680, 1680), (72, 3360, 1680)]);
}

#[test]
fn voice_overlay_restarts_the_bar() {
    assert_eq!(
        clean_notes("A4 B4 & c8 | d8"),
        vec![(69, 0, 6720), (72, 0, 13440), (71, 6720, 6720), (74, 13440, 13440)]
    );
}

#[test]
fn overlay_lines_keep_their_own_ties_across_bar_lines() {
    // The overlay's C is tied into the next bar's overlay (as abc2midi reads it), not
    // into the main line's C that starts that bar.
    assert_eq!(
        clean_notes("c2d2e2f2&C8-|C4g4&C8|"),
        vec![
            (60, 0, 26880),
            (72, 0, 3360),
            (74, 3360, 3360),
            (76, 6720, 3360),
            (77, 10080, 3360),
            (60, 13440, 6720),
            (79, 20160, 6720)
        ]
    );
}

#[test]
fn overlays_start_without_the_bar_accidentals_in_the_key_the_main_line_ended_in() {
    // abc2midi: `&` clears the bar's accidentals ...
    assert_eq!(clean_notes("^F4F4&F8|"), vec![(65, 0, 13440), (66, 0, 6720), (66, 6720, 6720)]);
    // ... and reads the overlay in the key in force at the end of the main line.
    assert_eq!(
        clean_notes("C4[K:G]F4&F8|F8"),
        vec![(60, 0, 6720), (66, 0, 13440), (66, 6720, 6720), (66, 13440, 13440)]
    );
}

#[test]
fn voices_keep_their_own_time_and_accidentals() {
    let abc = "X:1\nM:4/4\nL:1/8\nK:C\nV:1\n^F A2-|\nV:2\nF C,2 D,|\nV:1\nA2 F|\n[V:2] E,|";
    assert_eq!(notes(abc, 0), vec![(66, 0, 1680), (69, 1680, 6720), (65, 8400, 1680)]);
    assert_eq!(notes(abc, 1), vec![(65, 0, 1680), (48, 1680, 3360), (50, 5040, 1680), (52, 6720, 1680)]);
}

#[test]
fn pickup_is_the_short_first_bar_of_the_first_voice() {
    let parsed = parse("X:1\nM:3/4\nL:1/8\nK:C\nC | D6 | E6 |]");
    assert_eq!(parsed.score.pickup_ticks, 1680);
    assert_eq!(parse("M:3/4\nL:1/8\nK:C\n|: D6 | E6 |]").score.pickup_ticks, 0);
    assert_eq!(parse("M:none\nL:1/8\nK:C\nC | D6 |").score.pickup_ticks, 0);
}

#[test]
fn inline_fields_change_metre_key_tempo_and_unit_where_they_occur() {
    let abc = "X:1\nM:4/4\nL:1/4\nQ:1/4=120\nK:C\nC4 | [M:3/4][K:D] F3 | [Q:1/4=60][L:1/8] F6 |]";
    let parsed = parse(abc);
    assert_eq!(parsed.diagnostics, vec![]);
    let score = &parsed.score;
    assert_eq!(
        score.time_signatures,
        vec![
            TimeSignature { tick: 0, numerator: 4, denominator: 4 },
            TimeSignature { tick: 13440, numerator: 3, denominator: 4 }
        ]
    );
    assert_eq!(
        score.key_signatures,
        vec![
            KeyChange { tick: 0, key: Key::new(0, Mode::Major) },
            KeyChange { tick: 13440, key: Key::new(2, Mode::Major) }
        ]
    );
    assert_eq!(
        score.tempo.changes(),
        [
            TempoChange { tick: 0, micros_per_quarter: 500_000 },
            TempoChange { tick: 23520, micros_per_quarter: 1_000_000 }
        ]
    );
    assert_eq!(notes(abc, 0), vec![(60, 0, 13440), (66, 13440, 10080), (66, 23520, 10080)]);
}

#[test]
fn field_lines_in_the_body_apply_to_the_current_voice() {
    let abc = "X:1\nL:1/8\nK:C\nV:1\nA2|\nM:3/4\nL:1/4\nB|\nK:G\nF|";
    assert_eq!(notes(abc, 0), vec![(69, 0, 3360), (71, 3360, 3360), (66, 6720, 3360)]);
    let metres: Vec<_> = parse(abc).score.time_signatures.iter().map(|t| (t.tick, t.numerator)).collect();
    assert_eq!(metres, vec![(0, 4), (3360, 3)]);
}

#[test]
fn metre_variants() {
    let metre = |m: &str| {
        let parsed = parse(&format!("X:1\nM:{m}\nK:C\nC"));
        let t = parsed.score.time_signatures[0];
        (t.numerator, t.denominator, parsed.found.metre)
    };
    assert_eq!(metre("6/8"), (6, 8, true));
    assert_eq!(metre(" 4/4"), (4, 4, true));
    assert_eq!(metre("C"), (4, 4, true));
    assert_eq!(metre("C|"), (2, 2, true));
    assert_eq!(metre("none"), (4, 4, false));
}

#[test]
fn default_unit_length_follows_abc_2_1() {
    assert_eq!(notes("M:2/4\nK:C\nA", 0), vec![(69, 0, 840)]);
    assert_eq!(notes("M:3/4\nK:C\nA", 0), vec![(69, 0, 1680)]);
    assert_eq!(notes("K:C\nA", 0), vec![(69, 0, 1680)]);
    assert_eq!(notes("M:2/4\nK:C\nL:1/4\nA", 0), vec![(69, 0, 3360)]);
}

#[test]
fn tempo_variants() {
    let tempo = |q: &str| parse(&format!("X:1\nQ:{q}\nK:C\nC")).score.tempo.changes()[0].micros_per_quarter;
    assert_eq!(tempo("1/4=96"), 625_000);
    assert_eq!(tempo("96"), 625_000);
    assert_eq!(tempo("3/8=60"), 666_667);
    assert_eq!(tempo("\"Allegro\" 1/4=120"), 500_000);
    assert_eq!(tempo("1/2=30"), 1_000_000);
}

#[test]
fn unknown_keys_read_as_c_major_with_a_diagnostic() {
    for key in ["none", "HP", "Q#"] {
        let parsed = parse(&format!("X:1\nK:{key}\n^F F"));
        assert_eq!(parsed.score.key_signatures, vec![KeyChange { tick: 0, key: Key::default() }]);
        assert!(!parsed.found.key);
        assert_eq!(parsed.diagnostics.len(), 1, "{key}");
        assert_eq!((parsed.diagnostics[0].line, parsed.diagnostics[0].column), (2, 3));
        assert_eq!(pitches(&format!("X:1\nK:{key}\n^F F")), vec![66, 66]);
    }
}

#[test]
fn key_parameters_are_ignored() {
    let parsed = parse("X:1\nK:Gm clef=bass middle=d\nB");
    assert_eq!(parsed.diagnostics, vec![]);
    assert_eq!(parsed.score.key_signatures[0].key, Key::new(-2, Mode::Minor));
}

#[test]
fn voices_become_named_parts_with_instruments() {
    let abc = "X:1\nT:Duet\nM:4/4\nL:1/8\nQ:1/4=100\n%%score (1 2 3)\n\
               V:1 name=\"Violin\" clef=treble\n%%MIDI program 40\n\
               V:2 nm=\"Cello\" clef=bass\nV:3 name=\"Drums\" clef=perc\n%%MIDI channel 10\nK:C\n\
               V:1\nc8|\nV:2\nC,8|\nV:3\nB,,8|";
    let parsed = parse(abc);
    assert_eq!(parsed.diagnostics, vec![]);
    assert_eq!(parsed.score.title.as_deref(), Some("Duet"));
    let parts = &parsed.score.parts;
    assert_eq!(parts.len(), 3);
    let summary: Vec<_> = parts
        .iter()
        .map(|p| (p.name.as_deref(), p.instrument.program, p.instrument.label.as_deref(), p.is_drum, p.notes[0].pitch))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some("Violin"), 40, Some("Violin"), false, 72),
            (Some("Cello"), 42, Some("Cello"), false, 48),
            (Some("Drums"), 0, Some("Drums"), true, 47)
        ]
    );
    assert_eq!(parsed.found, FoundFields { metre: true, tempo: true, key: true, unit: true, title: true, voices: 3 });
}

#[test]
fn midi_program_before_any_voice_goes_to_the_first_voice() {
    let parsed = parse("X:1\n%%MIDI program 73\nK:C\nA");
    assert_eq!(parsed.score.parts[0].instrument.program, 73);
    assert_eq!(parsed.score.parts[0].name, None);
    assert_eq!(parsed.found.voices, 1);
    let unnamed = parse("X:1\nK:C\nV:1 name=\"Lute\"\nA");
    assert_eq!(unnamed.score.parts[0].instrument.program, 0);
}

#[test]
fn missing_fields_leave_defaults_and_are_not_found() {
    let parsed = parse("X:1\nK:D\nA");
    assert_eq!(parsed.found, FoundFields { key: true, voices: 1, ..FoundFields::default() });
    assert_eq!(parsed.score.tempo.changes()[0].micros_per_quarter, 500_000);
    assert_eq!(parsed.score.time_signatures, vec![TimeSignature { tick: 0, numerator: 4, denominator: 4 }]);
}

#[test]
fn the_writer_dialect_reads_back_exactly() {
    let abc = "X:1\nT:Title\nM:3/4\nL:1/8\nQ:1/4=96\n%%score (1 2)\nV:1 name=\"Violin\" clef=treble\n\
               %%MIDI program 40\nV:2 name=\"Cello\" clef=bass\n%%MIDI program 42\nK:D\n\
               [V:1] d2 (3efg a2 | [M:2/4][Q:1/4=90] a2- a/b/ c'|]\n[V:2] D,6 | [M:2/4] A,,4 |]\n";
    let parsed = parse(abc);
    assert_eq!(parsed.diagnostics, vec![]);
    assert_eq!(
        notes(abc, 0),
        vec![
            (74, 0, 3360),
            (76, 3360, 1120),
            (78, 4480, 1120),
            (79, 5600, 1120),
            (81, 6720, 3360),
            (81, 10080, 4200),
            (83, 14280, 840),
            (85, 15120, 1680)
        ]
    );
    assert_eq!(notes(abc, 1), vec![(50, 0, 10080), (45, 10080, 6720)]);
    let score = &parsed.score;
    let metres: Vec<_> = score.time_signatures.iter().map(|t| (t.tick, t.numerator, t.denominator)).collect();
    assert_eq!(metres, vec![(0, 3, 4), (10080, 2, 4)]);
    let tempi: Vec<_> = score.tempo.changes().iter().map(|c| (c.tick, c.micros_per_quarter)).collect();
    assert_eq!(tempi, vec![(0, 625_000), (10080, 666_667)]);
    assert_eq!(score.pickup_ticks, 0);
    let programs: Vec<_> = score.parts.iter().map(|p| p.instrument.program).collect();
    assert_eq!(programs, vec![40, 42]);
}
