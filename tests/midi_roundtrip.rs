//! Writing MIDI: the exact bytes for a small score, what the writer normalises, and the
//! round trip `read_bytes(to_bytes(s)) == s` over random scores in the reader's form
//! (see `src/midi/write.rs` for that form).

use std::path::Path;

use prep::midi;
use prep::score::{Instrument, Key, KeyChange, Mode, Note, Part, Score, TempoChange, TempoMap, TimeSignature};
use proptest::prelude::*;

fn read_back(score: &Score) -> Score {
    match midi::read_bytes(&midi::to_bytes(score), Path::new("written.mid")) {
        Ok(score) => score,
        Err(error) => panic!("the writer's output does not read back: {error}"),
    }
}

fn note(start: u64, duration: u64, pitch: u8, velocity: u8) -> Note {
    Note { start, duration, pitch, velocity }
}

fn unnamed_part(program: u8, channel: Option<u8>, notes: Vec<Note>) -> Part {
    Part { name: None, instrument: Instrument::from_program(program), channel, is_drum: false, notes }
}

/// One key struck twice: doubled (two note-ons at one tick) and again while it sounds,
/// each pair ended by one note-off, then struck once more where they end.
#[test]
fn doubled_and_restruck_keys_read_back() {
    let mut score = Score::new(480);
    let notes = vec![note(0, 480, 60, 90), note(0, 480, 60, 80), note(240, 240, 60, 70), note(480, 480, 60, 60)];
    let instrument = Instrument { label: Some("Pf".to_string()), ..Instrument::from_program(0) };
    score.parts = vec![Part { name: Some("Pf".to_string()), instrument, ..unnamed_part(0, Some(0), notes) }];
    assert_eq!(read_back(&score), score);
}

#[test]
fn a_small_score_is_written_byte_for_byte() {
    let mut score = Score::new(96);
    score.title = Some("Hi".to_string());
    score.pickup_ticks = 48;
    score.parts = vec![Part {
        name: Some("Fl".to_string()),
        instrument: Instrument { label: Some("Fl".to_string()), ..Instrument::from_program(73) },
        ..unnamed_part(73, Some(3), vec![note(0, 48, 72, 100), note(48, 96, 72, 90)])
    }];
    #[rustfmt::skip]
    let expected: Vec<u8> = [
        &b"MThd"[..], &[0, 0, 0, 6, 0, 1, 0, 2, 0, 96],
        b"MTrk", &[0, 0, 0, 39],
        &[0x00, 0xff, 0x03, 2], b"Hi",
        &[0x00, 0xff, 0x51, 3, 0x07, 0xa1, 0x20],     // 500000 us per quarter
        &[0x00, 0xff, 0x58, 4, 1, 3, 12, 8],          // pickup of one eighth: 1/8
        &[0x00, 0xff, 0x59, 2, 0, 0],                 // C major
        &[0x30, 0xff, 0x58, 4, 4, 2, 24, 8],          // 4/4 from tick 48
        &[0x00, 0xff, 0x2f, 0],
        b"MTrk", &[0, 0, 0, 29],
        &[0x00, 0xff, 0x03, 2], b"Fl",
        &[0x00, 0xc3, 73],
        &[0x00, 0x93, 72, 100],
        &[0x30, 0x83, 72, 64],                        // the note-off comes before the
        &[0x00, 0x93, 72, 90],                        // note-on at the same tick
        &[0x60, 0x83, 72, 64],
        &[0x00, 0xff, 0x2f, 0],
    ]
    .concat();
    assert_eq!(midi::to_bytes(&score), expected);
    assert_eq!(read_back(&score), score);
}

#[test]
fn unnamed_parts_take_their_instrument_name_and_free_channels() {
    let mut score = Score::new(480);
    let drums =
        Part { instrument: Instrument::drums(), is_drum: true, ..unnamed_part(0, None, vec![note(0, 10, 36, 100)]) };
    let on_drum_channel = unnamed_part(42, Some(9), vec![note(0, 10, 48, 100)]);
    score.parts = vec![
        unnamed_part(0, None, vec![note(0, 10, 60, 100)]),
        drums,
        on_drum_channel,
        unnamed_part(40, Some(12), vec![note(0, 10, 76, 100)]),
    ];
    let parts = read_back(&score).parts;
    let names: Vec<_> = parts.iter().map(|p| (p.name.as_deref(), p.instrument.label.as_deref())).collect();
    assert_eq!(
        names,
        vec![
            (Some("Acoustic Grand Piano"), Some("Acoustic Grand Piano")),
            (Some("Drums"), Some("Drums")),
            (Some("Cello"), Some("Cello")),
            (Some("Violin"), Some("Violin"))
        ]
    );
    let channels: Vec<_> = parts.iter().map(|p| (p.channel, p.is_drum)).collect();
    assert_eq!(channels, vec![(Some(0), false), (Some(9), true), (Some(1), false), (Some(12), false)]);
}

#[test]
fn church_modes_are_written_as_major_and_velocities_clamped() {
    let mut score = Score::new(480);
    score.key_signatures = vec![KeyChange { tick: 0, key: Key::new(0, Mode::Dorian) }];
    score.parts = vec![unnamed_part(0, Some(0), vec![note(0, 10, 60, 0), note(10, 10, 62, 200)])];
    let back = read_back(&score);
    assert_eq!(back.key_signatures, vec![KeyChange { tick: 0, key: Key::new(0, Mode::Major) }]);
    assert_eq!(back.parts[0].notes, vec![note(0, 10, 60, 1), note(10, 10, 62, 127)]);
}

#[test]
fn resolutions_beyond_the_header_limit_are_scaled() {
    let mut score = Score::new(65534);
    score.tempo = TempoMap::from_changes(vec![
        TempoChange { tick: 0, micros_per_quarter: 500_000 },
        TempoChange { tick: 65534, micros_per_quarter: 250_000 },
    ]);
    score.parts = vec![unnamed_part(0, Some(0), vec![note(65534, 131068, 60, 100)])];
    let back = read_back(&score);
    assert_eq!(back.ticks_per_quarter, 32767);
    assert_eq!(back.parts[0].notes, vec![note(32767, 65534, 60, 100)]);
    assert_eq!(back.seconds_at(back.parts[0].notes[0].end()), score.seconds_at(score.parts[0].notes[0].end()));
}

// ---- random scores in the reader's form ----

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 ]{0,10}[a-z0-9]"
}

/// Drops from `changes` (sorted by tick) those repeating the value before them, and
/// all but the last at one tick.
fn canonical<T: Copy, V: PartialEq>(mut changes: Vec<T>, tick: fn(&T) -> u64, value: fn(&T) -> V) -> Vec<T> {
    changes.sort_by_key(tick);
    changes.reverse();
    changes.dedup_by_key(|c| tick(c));
    changes.reverse();
    changes.dedup_by(|later, earlier| value(later) == value(earlier));
    changes
}

/// Notes sorted by (start, pitch) where two of one pitch overlap only when they end
/// together (a key struck again while it sounds, or twice at once: one note-off ends both).
fn playable(mut notes: Vec<Note>) -> Vec<Note> {
    notes.sort_by_key(|n| (n.start, n.pitch));
    let mut free_from = [0u64; 128];
    notes.retain(|n| {
        let free = &mut free_from[usize::from(n.pitch)];
        let keep = n.start >= *free || n.end() == *free;
        if keep {
            *free = n.end();
        }
        keep
    });
    notes
}

fn part() -> impl Strategy<Value = Part> {
    let notes = proptest::collection::vec((0u64..4000, 1u64..1500, 0u8..128, 1u8..128), 1..25);
    (name(), 0u8..128, 0u8..15, prop::bool::weighted(0.2), notes).prop_map(|(name, program, channel, drum, notes)| {
        let instrument = if drum { Instrument::drums() } else { Instrument::from_program(program) };
        Part {
            name: Some(name.clone()),
            instrument: Instrument { label: Some(name), ..instrument },
            // Channels 0..=15 without 9, which is for drums only.
            channel: Some(if drum { 9 } else { channel + u8::from(channel >= 9) }),
            is_drum: drum,
            notes: playable(notes.into_iter().map(|(s, d, p, v)| note(s, d, p, v)).collect()),
        }
    })
}

fn metre() -> impl Strategy<Value = (u8, u8)> {
    (1u8..=12, 0u32..=5).prop_map(|(numerator, power)| (numerator, 1 << power))
}

fn key() -> impl Strategy<Value = Key> {
    (-7i8..=7, prop::bool::ANY)
        .prop_map(|(fifths, minor)| Key::new(fifths, if minor { Mode::Minor } else { Mode::Major }))
}

prop_compose! {
    fn score()(
        ticks_per_quarter in 24u32..2000,
        title in proptest::option::of(name()),
        tempi in proptest::collection::vec((0u64..8000, 1u32..0x0100_0000), 0..4),
        first_metre in metre(),
        pickup_fraction in 0.0f64..1.0,
        with_pickup in prop::bool::ANY,
        metre_changes in proptest::collection::vec((0u64..8000, metre()), 0..3),
        keys in proptest::collection::vec((0u64..8000, key()), 1..4),
        parts in proptest::collection::vec(part(), 0..4),
    ) -> Score {
        let tempo = TempoMap::from_changes(
            tempi.into_iter().map(|(tick, micros_per_quarter)| TempoChange { tick, micros_per_quarter }).collect(),
        );
        let (numerator, denominator) = first_metre;
        let first = TimeSignature { tick: 0, numerator, denominator };
        let bar = first.bar_ticks(ticks_per_quarter);
        let pickup_ticks = if with_pickup { ((bar as f64 * pickup_fraction) as u64).max(1) } else { 0 };
        // Later changes come after a longest possible bar (12/1), so none reads as a pickup.
        let longest_bar = 48 * u64::from(ticks_per_quarter);
        let later = metre_changes.into_iter().map(|(offset, (numerator, denominator))| TimeSignature {
            tick: pickup_ticks + longest_bar + offset,
            numerator,
            denominator,
        });
        let time_signatures =
            canonical(std::iter::once(first).chain(later).collect(), |t| t.tick, |t| (t.numerator, t.denominator));
        let mut key_signatures: Vec<KeyChange> = keys.into_iter().map(|(tick, key)| KeyChange { tick, key }).collect();
        key_signatures[0].tick = 0;
        Score {
            title,
            ticks_per_quarter,
            tempo,
            time_signatures,
            key_signatures: canonical(key_signatures, |k| k.tick, |k| k.key),
            pickup_ticks,
            parts,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn scores_survive_a_round_trip(score in score()) {
        prop_assert_eq!(read_back(&score), score);
    }
}
