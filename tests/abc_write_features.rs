//! The ABC writer, feature by feature, on hand-built scores: exact text expected.

mod abc_write_support;

use abc_write_support::*;
use prep::abc::write::{AbcOptions, Layout, Polyphony, to_abc};
use prep::score::{Score, TempoChange, TempoMap, TimeSignature};
use proptest::prelude::*;

fn abc(score: &Score) -> String {
    to_abc(score, &AbcOptions::default())
}

/// The text after the `K:` line of a score written with the default options.
fn body(score: &Score) -> String {
    body_of(&abc(score))
}

/// The text after the `K:` line.
fn body_of(text: &str) -> String {
    let k = text.find("\nK:").expect("a K: line");
    let after = &text[k + 1..];
    after[after.find('\n').expect("end of K: line") + 1..].to_string()
}

#[test]
fn header_fields_in_order() {
    assert_eq!(
        abc(&scale()),
        "X:1\nT:Scale\nM:4/4\nL:1/4\nQ:1/4=120\nV:1 name=\"Acoustic Grand Piano\" clef=treble\n\
         %%MIDI channel 1\n%%MIDI program 0\nK:C\n[V:1] CDEF|G2c2|]\n"
    );
}

#[test]
fn unit_is_the_shortest_or_the_given_one() {
    // Quarters and halves: L:1/4 writes the fewest digits.
    assert!(abc(&scale()).contains("\nL:1/4\n"));
    // Mostly eighths: L:1/8.
    assert!(abc(&accidentals_in_d()).contains("\nL:1/8\n"));
    let sixteenths = score(vec![part(0, &melody(0, &[(Q / 4, 60); 16]))]);
    assert_eq!(body(&sixteenths), "[V:1] CCCCCCCCCCCCCCCC|]\n");
    let options = AbcOptions { unit: Some((1, 8)), ..AbcOptions::default() };
    assert!(to_abc(&scale(), &options).ends_with(
        "\nL:1/8\nQ:1/4=120\nV:1 name=\"Acoustic Grand Piano\" clef=treble\n\
         %%MIDI channel 1\n%%MIDI program 0\nK:C\n[V:1] C2D2E2F2|G4c4|]\n"
    ));
}

#[test]
fn accidentals_follow_the_key_and_carry_through_the_bar() {
    // F# is in D major; F natural needs `=` once per bar. For the high F natural a
    // reader applying `=F` to all octaves is right but a same-octave reader plays F#,
    // so `=f`; then `^f`, and the low F# needs `^` again (its octave holds `=F`).
    assert_eq!(body(&accidentals_in_d()), "[V:1] F=FF=f^f^F^AA|=F8|]\n");
}

#[test]
fn chords_tie_across_bars_and_odd_lengths_split() {
    // The C-E chord crosses the bar line; the G lasts five eighths (4 + 1); the low C
    // lasts a bar and a sixteenth.
    assert_eq!(body(&chords_and_ties()), "[V:1] z6[CE]2-|[CE]2G4-GA/B/|C,8-|C,/z7z/|]\n");
}

#[test]
fn triplets_and_quintuplets() {
    // (3 over a quarter, (5:4:5 sixteenths in a quarter, quarter triplets split at the
    // bar line into two 3:2 tuplets of two notes each.
    assert_eq!(body(&tuplets()), "[V:1] (3cdef2(5:4:5C/D/E/F/G/(3:2:2C2D-|(3:2:2DE2z6|]\n");
}

#[test]
fn tuplets_start_and_end_inside_tied_notes() {
    // The D tied in from beat 2 is cut at beat 3, where its last third opens the
    // triplet; the F ending bar 2's triplet is cut at the beat and tied on; the B of
    // bar 3 is cut at the beat between two triplets (not into eighth-long ones).
    assert_eq!(body(&tuplets_inside_ties()), "[V:1] z2d2-(3ddc|c2(3def-f2|c2(3AgB-(3Bgf|]\n");
}

#[test]
fn pickup_is_a_short_first_bar() {
    assert_eq!(body(&pickup()), "[V:1] G|c2B|c3|]\n");
}

#[test]
fn pickup_tuplets_may_count_from_the_pickup_start() {
    assert_eq!(body(&pickup_triplets()), "[V:1] (3cde|f3|]\n");
}

#[test]
fn tempo_takes_the_coarsest_beat_that_keeps_the_timing() {
    // 69.503 BPM: 1/4=70 would play 0.7 % fast; 1/8=139 (69.5) is 43 ppm off. The
    // change to 900,000 us (66.667 BPM) has no shorter form within 50 ppm than 1/512,
    // but it lasts one bar (3.6 s) to the end: 1/32=533 leaves 2.3 ms of drift there,
    // within MAX_DRIFT_SECONDS (1/16=267 would leave 4.5 ms).
    let mut s = scale();
    s.tempo = TempoMap::from_changes(vec![
        TempoChange { tick: 0, micros_per_quarter: 863_272 },
        TempoChange { tick: 4 * Q, micros_per_quarter: 900_000 },
    ]);
    let text = abc(&s);
    assert!(text.contains("\nQ:1/8=139\n"), "{text}");
    assert!(body(&s).starts_with("[V:1] CDEF|[Q:1/32=533]G2c2|]"), "{text}");
}

#[test]
fn metre_key_and_tempo_change_inline() {
    // The tempo changes in the middle of the violin's B flat: it is split and tied
    // there; the tempo field goes to the first voice only, metre and key to both.
    assert_eq!(body(&changes()), "[V:1] c4|[M:3/4][K:F]B-[Q:1/4=90]B2|A3|]\n[V:2] C,4|[M:3/4][K:F]B,,F,2|F,,3|]\n");
}

#[test]
fn overlapping_notes_become_overlays_of_the_part_voice() {
    // The piano sounds three lines at once at beat 3 (G held, D, high C): one voice, two
    // overlays. The D continues the chord's line (nearest register), the F the G's line.
    let text = abc(&overlaps());
    assert!(!text.contains("%%score"));
    assert!(text.contains(
        "\nV:1 name=\"Acoustic Grand Piano\" clef=treble\n%%MIDI channel 1\n%%MIDI program 0\n\
         V:2 name=\"Cello\" clef=bass\n%%MIDI channel 2\n%%MIDI program 42\n"
    ));
    assert_eq!(body(&overlaps()), "[V:1] [CE]2Dz&zG2F&z2c2|]\n[V:2] C,,2G,,2|]\n");
}

#[test]
fn overlays_appear_only_in_bars_where_they_sound_and_keep_their_ties() {
    // A bass held over the bar line under a melody, then a bar of melody alone, then the
    // bass again: the overlay is written in bars 1, 2 and 4 only; bar 3 has no `&`.
    assert_eq!(body(&held_bass_under_melody()), "[V:1] cdef&z2C,2-|g4&C,2z2|f4|e4&G,,2z2|]\n");
}

#[test]
fn a_performance_writes_overlapping_notes_as_tied_chords_in_one_line() {
    // The notes of `overlaps` and `held_bass_under_melody`, as a performance's are
    // written: a chord at every onset and release, each note going on tied into the next
    // chord on its own (`[CEG-]`: C and E end, G goes on), the whole chord when all go
    // on, and no `&`.
    let tied = AbcOptions { polyphony: Polyphony::TiedChords, ..AbcOptions::default() };
    let body_as = |score: &Score| body_of(&to_abc(score, &tied));
    assert_eq!(body_as(&overlaps()), "[V:1] [CE]-[CEG-][DGc-][Fc]|]\n[V:2] C,,2G,,2|]\n");
    assert_eq!(body_as(&held_bass_under_melody()), "[V:1] cd[C,-e][C,-f]|[C,g-]2g2|f4|[G,,e-]2e2|]\n");
}

#[test]
fn overlays_state_a_metre_change_again() {
    // abc2midi keeps a metre per overlay: without `&[M:3/4]` it warns about every bar.
    assert_eq!(body(&overlay_across_metre_change()), "[V:1] cccc&C,4|[M:3/4]ddd&[M:3/4]G,,3|]\n");
    // Also where the overlay was stated in that metre before: abc2midi gave it the 3/4
    // of the bar it missed.
    assert_eq!(body(&overlay_missing_at_metre_change()), "[V:1] cc&C,2|[M:3/4]ddd|[M:2/4]ee&[M:2/4]G,,2|ff&C,2|]\n");
}

#[test]
fn voices_are_named_after_their_parts_and_get_a_channel_each() {
    let text = abc(&quartet());
    for (number, name) in ["Violin I", "Violin II", "Viola", "Cello"].iter().enumerate() {
        let channel = number + 1;
        assert!(text.contains(&format!("name=\"{name}\"")), "{text}");
        assert!(text.contains(&format!("%%MIDI channel {channel}\n%%MIDI program 48\n")), "{text}");
    }
    assert_eq!(text.matches("\nV:").count(), 4);
}

#[test]
fn overlays_are_spelled_in_the_key_the_bar_ends_in() {
    // The key changes to D at beat 3 in the main line; the overlay carries no field and
    // is spelled in D from its start (abc2midi's reading): F natural needs `=`, then F# `^`.
    assert_eq!(body(&key_change_under_overlay()), "[V:1] FF[K:D]FF&=F,2^F,2|]\n");
}

#[test]
fn layouts_voices_and_interleaved() {
    let long = score(vec![
        part(40, &melody(0, &[(4 * Q, 72), (4 * Q, 74), (4 * Q, 76)])),
        part(42, &melody(0, &[(4 * Q, 48), (4 * Q, 50)])),
    ]);
    let options =
        |layout| AbcOptions { layout, bars_per_line: 2, unit: Some((1, 4)), index: 3, polyphony: Polyphony::Overlays };
    let voices = to_abc(&long, &options(Layout::Voices));
    assert!(voices.starts_with("X:3\n"));
    assert!(voices.ends_with("K:C\nV:1\nc4|d4|\ne4|]\nV:2\nC,4|D,4|\nz4|]\n"));
    let interleaved = to_abc(&long, &options(Layout::Interleaved));
    assert!(interleaved.ends_with("K:C\n[V:1] c4|d4|\n[V:2] C,4|D,4|\n[V:1] e4|]\n[V:2] z4|]\n"));
}

#[test]
fn drums_use_channel_10_and_the_percussion_clef() {
    let text = abc(&drums());
    assert!(text.contains("\nV:1 name=\"Drums\" clef=perc\n%%MIDI channel 10\n"));
    // Channel 10 is the drums'; the bass takes the first free one.
    assert!(text.contains("\nV:2 name=\"Electric Bass (finger)\" clef=bass\n%%MIDI channel 1\n%%MIDI program 33\n"));
    assert_eq!(body(&drums()), "[V:1] [C,,^F,,]F,,[D,,F,,]F,,z4|]\n[V:2] E,,4G,,4|]\n");
}

#[test]
fn empty_score_is_one_bar_of_rest() {
    assert_eq!(abc(&score(vec![])), "X:1\nM:4/4\nL:1/8\nQ:1/4=120\nK:C\nz8|]\n");
}

#[test]
fn unquantized_notes_snap_to_sixty_fourths_and_none_is_lost() {
    // Every onset lands on the nearest 1/64 note (L:1/32 halves): the C, 7 ticks in, on
    // the downbeat; the 3-tick D keeps a 1/64; the G, held 14 ticks (under half a 1/64)
    // past the bar line, ends at it.
    assert_eq!(body(&unquantized()), "[V:1] C4D/E8-E7/2z/FG14-G/|z32|]\n");
}

#[test]
fn a_note_released_a_few_ticks_into_the_next_bar_ends_at_the_bar_line() {
    // A sequencer's whole note held 5 ticks into bar 2, whose note is played 5 ticks
    // late, then a chord 4 ticks late after a rest: no tie, no 1/64 sliver, and the
    // late notes start on their beats (5 ticks is under half a 1/64 note).
    let s = score(vec![part(0, &[(0, 4 * Q + 5, 60), (4 * Q + 5, 2 * Q - 5, 62), (7 * Q + 4, Q - 4, 64)])]);
    assert_eq!(body(&s), "[V:1] C4|D2zE|]\n");
}

#[test]
fn pickup_off_the_grid_is_written_rounded() {
    // A pickup of a third of a quarter (160 ticks, 5.33/64 of a whole) is written
    // rounded, as 5/64; bar 2, counted from its own start, is exact: a half-note
    // triplet, its last rest split at the half bar.
    let mut s = score(vec![part(0, &melody(0, &[(Q / 3, 60), (Q / 3, 62), (Q, 64)]))]);
    s.pickup_ticks = Q / 3;
    assert_eq!(body(&s), "[V:1] C/-C/8|(3:2:3DE3z2z4|]\n");
}

#[test]
fn inexpressible_title_characters_stay_on_one_line() {
    let mut s = scale();
    s.title = Some("Two\nlines ".into());
    assert!(abc(&s).starts_with("X:1\nT:Two lines\nM:4/4\n"));
}

/// A line of music without its `[M:..]`, `[K:..]`, `[Q:..]` fields.
fn without_inline_fields(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = ["[M:", "[K:", "[Q:"].iter().filter_map(|f| rest.find(f)).min() {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once(']').map_or("", |(_, after)| after);
    }
    out + rest
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary input (any resolution, off-grid notes, pickups, metre and tempo
    /// changes), written either way, never panics, gives every voice the same number of
    /// bars, and writes a note head for every note (chords count each pitch; ties add
    /// heads, never remove).
    #[test]
    fn arbitrary_scores_are_written_whole(
        tpq in prop::sample::select(vec![1u32, 3, 96, 100, 384, 480, 1000]),
        notes in prop::collection::vec((0u64..20_000, 1u64..3_000, 21u8..109), 0..60),
        pickup in 0u64..3_000,
        metre_change in 0u64..20_000,
        tempo_change in 0u64..20_000,
        polyphony in prop::sample::select(vec![Polyphony::Overlays, Polyphony::TiedChords]),
    ) {
        let scale = |t: u64| t * u64::from(tpq) / 480;
        let notes: Vec<(u64, u64, u8)> = notes.iter().map(|&(s, d, p)| (scale(s), scale(d).max(1), p)).collect();
        let mut s = score(vec![part(0, &notes), part(40, &notes[notes.len() / 2..])]);
        s.ticks_per_quarter = tpq;
        s.pickup_ticks = scale(pickup);
        s.time_signatures.push(TimeSignature { tick: scale(metre_change) + 1, numerator: 7, denominator: 8 });
        s.tempo = TempoMap::from_changes(vec![TempoChange { tick: scale(tempo_change), micros_per_quarter: 700_000 }]);
        let text = to_abc(&s, &AbcOptions { layout: Layout::Voices, polyphony, ..AbcOptions::default() });
        prop_assert!(text.ends_with("|]\n"));
        let body = &text[text.find("\nV:1\n").expect("voice 1") ..];
        let bars: Vec<usize> = body.split("\nV:").skip(1).map(|v| v.matches('|').count()).collect();
        prop_assert!(bars.windows(2).all(|w| w[0] == w[1]), "{bars:?}\n{text}");
        let music: String = body.lines().filter(|l| !l.starts_with("V:")).map(without_inline_fields).collect();
        let heads = music.chars().filter(|c| c.is_ascii_alphabetic() && *c != 'z').count();
        prop_assert!(heads >= notes.len() * 3 / 2, "{heads} heads for {} notes\n{text}", notes.len() * 3 / 2);
    }
}

#[test]
fn a_note_ending_inside_a_long_pickup_is_written() {
    // Found by `arbitrary_scores_are_written_whole`: a pickup of 1000 ticks at 384 per
    // quarter, one note ending off the binary grid from the downbeat but on it from the
    // pickup's start. The writer used to give it no group and write only rests.
    let mut s = score(vec![part(0, &[(254, 532, 21)]), part(40, &[(254, 532, 21)])]);
    s.ticks_per_quarter = 384;
    s.pickup_ticks = 1000;
    let text = to_abc(&s, &AbcOptions { layout: Layout::Voices, ..AbcOptions::default() });
    let body = &text[text.find("\nV:1\n").expect("voice 1")..];
    assert_eq!(body.matches("A,,,,").count(), 4, "{text}");
}
