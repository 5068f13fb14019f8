//! Reading MIDI files built byte by byte, so each test shows exactly what the reader sees:
//! interpretation of well-formed files, then rejection of corrupt ones; and a few real
//! files with quirks (tests/fixtures/realworld/jazz-soft).

use std::path::Path;

use prep::midi::{self, MidiError};
use prep::score::{Instrument, Key, KeyChange, Mode, Note, Part, Score, TempoChange, TempoMap, TimeSignature};
use proptest::prelude::*;

// ---- building files ----

fn variable_length(mut value: u32) -> Vec<u8> {
    let mut bytes = vec![(value & 0x7f) as u8];
    value >>= 7;
    while value > 0 {
        bytes.insert(0, 0x80 | (value & 0x7f) as u8);
        value >>= 7;
    }
    bytes
}

/// A track chunk from (delta, event bytes) pairs, closed by an end-of-track event.
fn track(events: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (delta, event) in events {
        body.extend(variable_length(*delta));
        body.extend(event);
    }
    body.extend([0x00, 0xff, 0x2f, 0x00]);
    chunk(b"MTrk", &body)
}

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut bytes = id.to_vec();
    bytes.extend((body.len() as u32).to_be_bytes());
    bytes.extend(body);
    bytes
}

fn header(format: u16, tracks: u16, division: u16) -> Vec<u8> {
    let mut body = format.to_be_bytes().to_vec();
    body.extend(tracks.to_be_bytes());
    body.extend(division.to_be_bytes());
    chunk(b"MThd", &body)
}

fn file(format: u16, division: u16, tracks: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = header(format, tracks.len() as u16, division);
    bytes.extend(tracks.concat());
    bytes
}

fn meta(kind: u8, data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xff, kind];
    bytes.extend(variable_length(data.len() as u32));
    bytes.extend(data);
    bytes
}

fn name(text: &str) -> Vec<u8> {
    meta(0x03, text.as_bytes())
}

fn tempo(micros: u32) -> Vec<u8> {
    meta(0x51, &micros.to_be_bytes()[1..])
}

fn metre(numerator: u8, power: u8) -> Vec<u8> {
    meta(0x58, &[numerator, power, 24, 8])
}

fn key(sharps: i8, minor: bool) -> Vec<u8> {
    meta(0x59, &[sharps as u8, u8::from(minor)])
}

fn on(channel: u8, pitch: u8, velocity: u8) -> Vec<u8> {
    vec![0x90 | channel, pitch, velocity]
}

fn off(channel: u8, pitch: u8) -> Vec<u8> {
    vec![0x80 | channel, pitch, 64]
}

fn program(channel: u8, program: u8) -> Vec<u8> {
    vec![0xc0 | channel, program]
}

fn read(bytes: &[u8]) -> Score {
    match midi::read_bytes(bytes, Path::new("test.mid")) {
        Ok(score) => score,
        Err(error) => panic!("expected a score, got {error}"),
    }
}

fn read_error(bytes: &[u8]) -> String {
    match midi::read_bytes(bytes, Path::new("bad.mid")) {
        Ok(score) => panic!("expected an error, got {score:?}"),
        Err(error) => error.to_string(),
    }
}

fn note(start: u64, duration: u64, pitch: u8, velocity: u8) -> Note {
    Note { start, duration, pitch, velocity }
}

fn part(name: Option<&str>, program: u8, channel: u8, notes: Vec<Note>) -> Part {
    let label = name.map(str::to_string);
    Part {
        name: label.clone(),
        instrument: Instrument { label, ..Instrument::from_program(program) },
        channel: Some(channel),
        is_drum: false,
        notes,
    }
}

// ---- interpretation ----

#[test]
fn format_0_with_running_status_and_velocity_0_note_offs() {
    let bytes = file(
        0,
        480,
        &[track(&[
            (0, name("Melody")),
            (0, tempo(400_000)),
            (0, metre(3, 2)),
            (0, key(-2, true)),
            (0, program(0, 40)),
            (0, on(0, 60, 100)),
            (0, vec![64, 90]),  // running status: another note-on
            (480, vec![60, 0]), // note-on with velocity 0 ends the first note
            (240, vec![64, 0]),
        ])],
    );
    let expected = Score {
        title: Some("Melody".to_string()),
        ticks_per_quarter: 480,
        tempo: TempoMap::constant(400_000),
        time_signatures: vec![TimeSignature { tick: 0, numerator: 3, denominator: 4 }],
        key_signatures: vec![KeyChange { tick: 0, key: Key::new(-2, Mode::Minor) }],
        pickup_ticks: 0,
        parts: vec![part(Some("Melody"), 40, 0, vec![note(0, 480, 60, 100), note(0, 720, 64, 90)])],
    };
    assert_eq!(read(&bytes), expected);
}

#[test]
fn format_1_conductor_gives_title_and_changes_and_channel_10_gives_drums() {
    let conductor = track(&[
        (0, name("Sonata")),
        (0, tempo(500_000)),
        (0, metre(4, 2)),
        (1920, tempo(600_000)),
        (0, metre(6, 3)),
        (0, key(1, false)),
    ]);
    let violin = track(&[(0, name(" Violin I ")), (0, program(0, 40)), (0, on(0, 76, 80)), (960, off(0, 76))]);
    let drums = track(&[(0, name("Kit")), (0, program(9, 25)), (0, on(9, 36, 127)), (120, off(9, 36))]);
    let score = read(&file(1, 480, &[conductor, violin, drums]));
    assert_eq!(score.title.as_deref(), Some("Sonata"));
    assert_eq!(
        score.tempo.changes(),
        &[
            TempoChange { tick: 0, micros_per_quarter: 500_000 },
            TempoChange { tick: 1920, micros_per_quarter: 600_000 }
        ]
    );
    assert_eq!(
        score.time_signatures,
        vec![
            TimeSignature { tick: 0, numerator: 4, denominator: 4 },
            TimeSignature { tick: 1920, numerator: 6, denominator: 8 }
        ]
    );
    assert_eq!(
        score.key_signatures,
        vec![KeyChange { tick: 0, key: Key::default() }, KeyChange { tick: 1920, key: Key::new(1, Mode::Major) }]
    );
    let drum_part = Part {
        name: Some("Kit".to_string()),
        instrument: Instrument { label: Some("Kit".to_string()), ..Instrument::drums() },
        channel: Some(9),
        is_drum: true,
        notes: vec![note(0, 120, 36, 127)],
    };
    assert_eq!(score.parts, vec![part(Some("Violin I"), 40, 0, vec![note(0, 960, 76, 80)]), drum_part]);
}

#[test]
fn a_program_change_starts_a_new_part_and_returning_rejoins_the_old_one() {
    let bytes = file(
        0,
        96,
        &[track(&[
            (0, on(2, 60, 70)),
            (96, off(2, 60)),
            (0, program(2, 73)),
            (0, on(2, 72, 71)),
            (96, off(2, 72)),
            (0, program(2, 0)),
            (0, on(2, 62, 72)),
            (96, off(2, 62)),
        ])],
    );
    let score = read(&bytes);
    assert_eq!(score.title, None);
    assert_eq!(
        score.parts,
        vec![
            part(None, 0, 2, vec![note(0, 96, 60, 70), note(192, 96, 62, 72)]),
            part(None, 73, 2, vec![note(96, 96, 72, 71)]),
        ]
    );
}

#[test]
fn channels_of_one_track_are_separate_parts_sorted_by_start_then_pitch() {
    let bytes = file(
        0,
        96,
        &[track(&[
            (0, on(1, 67, 50)),
            (0, on(0, 48, 51)),
            (0, on(1, 64, 52)),
            (96, off(1, 67)),
            (0, off(1, 64)),
            (0, off(0, 48)),
        ])],
    );
    assert_eq!(
        read(&bytes).parts,
        vec![
            part(None, 0, 1, vec![note(0, 96, 64, 52), note(0, 96, 67, 50)]),
            part(None, 0, 0, vec![note(0, 96, 48, 51)]),
        ]
    );
}

/// A note-off releases the key: it ends every note of its pitch sounding on its channel
/// (as a synthesizer and pretty_midi hear it), not only the oldest. First in, first out
/// pairing would end the first note at 200 and the second at 400, and leave the third open.
#[test]
fn a_note_off_ends_every_earlier_note_of_its_pitch() {
    let bytes = file(
        0,
        100,
        &[track(&[
            (0, on(0, 60, 10)),
            (100, on(0, 60, 20)),
            (100, off(0, 60)),
            (100, on(0, 60, 30)),
            (100, off(0, 60)),
            (0, off(0, 60)),
            (0, off(1, 60)),
        ])],
    );
    assert_eq!(read(&bytes).parts[0].notes, vec![note(0, 200, 60, 10), note(100, 100, 60, 20), note(300, 100, 60, 30)]);
}

/// A repeated note whose note-on comes before the previous note's note-off at the same
/// tick keeps sounding; a note-on and note-off at one tick with nothing older sounding is
/// a zero-length note, dropped.
#[test]
fn a_note_off_spares_the_note_that_starts_at_its_tick() {
    let bytes = file(
        0,
        480,
        &[track(&[
            (0, on(0, 60, 1)),
            (480, on(0, 60, 2)),
            (0, off(0, 60)),
            (480, off(0, 60)),
            (0, on(0, 62, 3)),
            (0, off(0, 62)),
        ])],
    );
    assert_eq!(read(&bytes).parts[0].notes, vec![note(0, 480, 60, 1), note(480, 480, 60, 2)]);
}

/// music21 rounds its triplet ticks, and writes a repeated triplet note's note-on one
/// tick before the previous note's note-off (Weber's clarinet concertino, the shipped
/// fixture: sixteenth triplets on C5 from tick 3054240 at 10080 ticks per quarter). The
/// note-off ends the older note only; the re-struck one lasts to the next note-off,
/// where a synthesizer's reading gave it one tick.
#[test]
fn a_note_off_one_tick_after_a_re_strike_ends_the_older_note_only() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld/weber-concertino_clarinet.mid");
    let score = midi::read_file(&path).unwrap();
    let clarinet = score.parts.iter().find(|p| p.name.as_deref() == Some("Bb Clarinet")).expect("clarinet part");
    let triplets: Vec<(u64, u64)> = clarinet
        .notes
        .iter()
        .filter(|n| n.pitch == 72 && (3054240..3084480).contains(&n.start))
        .map(|n| (n.start, n.end()))
        .collect();
    assert_eq!(
        triplets,
        vec![
            (3054240, 3057597),
            (3057597, 3060964),
            (3060963, 3064320),
            (3064320, 3067677),
            (3067677, 3071044),
            (3071043, 3074400),
            (3074400, 3077757),
            (3077757, 3081124),
            (3081123, 3084480),
        ]
    );
}

/// Notes never turned off are dropped, as pretty_midi drops them. music21 writes its
/// zero-length notes (chord symbols, grace notes) as a note-off, then a note-on, at one
/// tick: the note-off finds nothing, and the last such note-on stays open to the end (the
/// real-world fixture josquin-milleRegrets.mid has one, an F major chord).
#[test]
fn unfinished_notes_and_zero_length_notes_are_dropped() {
    let lead = track(&[
        (0, on(0, 60, 90)),
        (0, off(0, 60)),
        (0, on(0, 62, 91)),
        (0, off(0, 64)),
        (0, on(0, 64, 92)),
        (480, off(0, 62)),
        (480, meta(0x01, b"end")),
    ]);
    let silent = track(&[(0, on(1, 40, 90)), (0, off(1, 40))]);
    let score = read(&file(1, 480, &[lead, silent]));
    assert_eq!(score.parts, vec![part(None, 0, 0, vec![note(0, 480, 62, 91)])]);
}

#[test]
fn a_short_first_metre_is_a_pickup_and_off_grid_changes_are_kept() {
    let bytes = file(
        0,
        480,
        &[track(&[(0, metre(1, 2)), (480, metre(4, 2)), (2400, metre(3, 2)), (0, on(0, 60, 1)), (1, off(0, 60))])],
    );
    let score = read(&bytes);
    assert_eq!(score.pickup_ticks, 480);
    assert_eq!(
        score.time_signatures,
        vec![
            TimeSignature { tick: 0, numerator: 4, denominator: 4 },
            TimeSignature { tick: 2880, numerator: 3, denominator: 4 }
        ]
    );
    // 2880 is mid-bar (bars at 0, 480, 2400, 4320): the 3/4 applies from 4320.
    assert_eq!(score.bar_lines(6000), vec![0, 480, 2400, 4320, 5760, 7200]);
}

#[test]
fn missing_metre_key_and_tempo_default_and_the_later_of_two_at_one_tick_wins() {
    let bytes =
        file(0, 480, &[track(&[(0, on(0, 60, 1)), (0, key(3, false)), (0, key(-3, false)), (480, off(0, 60))])]);
    let score = read(&bytes);
    assert_eq!(score.tempo, TempoMap::constant(500_000));
    assert_eq!(score.time_signatures, vec![TimeSignature { tick: 0, numerator: 4, denominator: 4 }]);
    assert_eq!(score.key_signatures, vec![KeyChange { tick: 0, key: Key::new(-3, Mode::Major) }]);
}

#[test]
fn smpte_timecode_becomes_one_quarter_per_second_ignoring_tempo_events() {
    // 25 fps, 40 ticks per frame: 1000 ticks per second.
    let division = u16::from_be_bytes([(-25i8) as u8, 40]);
    let bytes = file(0, division, &[track(&[(0, tempo(250_000)), (1000, on(0, 60, 1)), (500, off(0, 60))])]);
    let score = read(&bytes);
    assert_eq!(score.ticks_per_quarter, 1000);
    assert_eq!(score.tempo, TempoMap::constant(1_000_000));
    assert_eq!(score.seconds_at(score.parts[0].notes[0].start), 1.0);

    let drop_frame = u16::from_be_bytes([(-29i8) as u8, 4]);
    let score = read(&file(0, drop_frame, &[track(&[(120, on(0, 60, 1)), (1, off(0, 60))])]));
    assert_eq!(score.ticks_per_quarter, 120);
    assert_eq!(score.tempo, TempoMap::constant(1_001_000));
}

#[test]
fn track_names_that_are_not_utf8_are_latin_1() {
    let bytes = file(0, 480, &[track(&[(0, meta(0x03, b"Fl\xfbte")), (0, on(0, 60, 1)), (1, off(0, 60))])]);
    assert_eq!(read(&bytes).parts[0].name.as_deref(), Some("Fl\u{fb}te"));
}

#[test]
fn a_track_name_ends_at_its_nul_and_control_characters_are_spaces() {
    let named = |bytes: &[u8]| {
        let score = read(&file(0, 480, &[track(&[(0, meta(0x03, bytes)), (0, on(0, 60, 1)), (1, off(0, 60))])]));
        score.parts[0].name.clone()
    };
    assert_eq!(named(b"Piano\0").as_deref(), Some("Piano"));
    assert_eq!(named(b"Piano\0\0\xff junk").as_deref(), Some("Piano"));
    assert_eq!(named(b"Lead\tVox\r\n").as_deref(), Some("Lead Vox"));
    assert_eq!(named(b"\0Piano"), None);
}

#[test]
fn a_real_file_whose_track_names_end_in_nul_names_its_parts_without_it() {
    // symusic's test file issue90.mid (MIT): two tracks, each named "Piano\0" (7 bytes).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld/symusic/issue90.mid");
    let score = midi::read_file(&path).unwrap();
    assert_eq!(score.title.as_deref(), Some("Piano"));
    let names: Vec<_> = score.parts.iter().map(|p| p.name.as_deref()).collect();
    assert_eq!(names, vec![Some("Piano"), Some("Piano")]);
}

#[test]
fn an_instrument_name_names_a_part_whose_track_name_does_not() {
    let instrument = |text: &str| meta(0x04, text.as_bytes());
    let part_named = |events: Vec<(u32, Vec<u8>)>| {
        let mut events = events;
        events.extend([(0, on(0, 60, 1)), (1, off(0, 60))]);
        read(&file(0, 480, &[track(&events)])).parts[0].name.clone()
    };
    assert_eq!(part_named(vec![(0, instrument("Violin"))]).as_deref(), Some("Violin"));
    assert_eq!(part_named(vec![(0, name("Track 3")), (0, instrument("Flute"))]).as_deref(), Some("Flute"));
    assert_eq!(part_named(vec![(0, name("Soprano")), (0, instrument("Voice"))]).as_deref(), Some("Soprano"));
    assert_eq!(part_named(vec![(0, name("Track 3"))]).as_deref(), Some("Track 3"));
}

#[test]
fn read_file_reads_from_disk_and_names_missing_files() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("one.mid");
    std::fs::write(&path, file(0, 480, &[track(&[(0, on(0, 60, 1)), (1, off(0, 60))])])).expect("write");
    assert_eq!(midi::read_file(&path).expect("readable").note_count(), 1);
    let missing = dir.path().join("missing.mid");
    assert!(matches!(midi::read_file(&missing), Err(MidiError::Io { path, .. }) if path == missing));
}

#[test]
fn a_large_file_reads_every_note() {
    let events: Vec<(u32, Vec<u8>)> = (0..40_000u32)
        .flat_map(|i| [(1, on((i % 8) as u8, (i % 88 + 21) as u8, 64)), (5, off((i % 8) as u8, (i % 88 + 21) as u8))])
        .collect();
    let tracks: Vec<Vec<u8>> = (0..4).map(|_| track(&events)).collect();
    let bytes = file(1, 480, &tracks);
    assert!(bytes.len() > 900_000, "{} bytes", bytes.len());
    let score = read(&bytes);
    assert_eq!(score.note_count(), 160_000);
    assert_eq!(score.parts.len(), 32);
}

// ---- corrupt input ----

fn valid_file() -> Vec<u8> {
    file(1, 480, &[track(&[(0, name("T")), (0, tempo(400_000))]), track(&[(0, on(0, 60, 1)), (10, off(0, 60))])])
}

#[test]
fn every_truncation_of_a_valid_file_is_an_error() {
    let bytes = valid_file();
    assert_eq!(read(&bytes).note_count(), 1);
    for length in 0..bytes.len() {
        let result = midi::read_bytes(&bytes[..length], Path::new("cut.mid"));
        assert!(matches!(result, Err(MidiError::Invalid { .. })), "prefix of {length} bytes: {result:?}");
    }
}

#[test]
fn truncation_errors_say_what_is_missing() {
    let bytes = valid_file();
    assert_eq!(
        read_error(&bytes[..bytes.len() - 2]),
        "bad.mid: not a valid MIDI file: chunk 'MTrk' at byte 38 declares 12 bytes but only 10 remain (truncated file?)"
    );
    assert_eq!(
        read_error(&bytes[..38]),
        "bad.mid: not a valid MIDI file: header declares 2 tracks but the file ends after 1 (truncated file?)"
    );
    assert_eq!(
        read_error(&bytes[..41]),
        "bad.mid: not a valid MIDI file: chunk header at byte 38 is cut short (truncated file?)"
    );
}

#[test]
fn wrong_magic_and_empty_input_are_rejected() {
    assert_eq!(read_error(b""), "bad.mid: not a valid MIDI file: expected the 'MThd' magic, found []");
    assert_eq!(read_error(b"RIFF...."), "bad.mid: not a valid MIDI file: expected the 'MThd' magic, found 'RIFF'");
    assert_eq!(
        read_error(b"\x00\x01\x02\x03garbage"),
        "bad.mid: not a valid MIDI file: expected the 'MThd' magic, found [00, 01, 02, 03]"
    );
}

#[test]
fn huge_length_fields_are_rejected_without_allocating() {
    let mut huge_header = b"MThd\x7f\xff\xff\xff".to_vec();
    huge_header.extend([0, 1, 0, 1, 1, 224]);
    assert_eq!(
        read_error(&huge_header),
        "bad.mid: not a valid MIDI file: chunk 'MThd' at byte 0 declares 2147483647 bytes but only 6 remain \
         (truncated file?)"
    );
    let mut bytes = header(0, 1, 480);
    bytes.extend(b"MTrk\x80\x00\x00\x00\x00\xff\x2f\x00");
    assert_eq!(
        read_error(&bytes),
        "bad.mid: not a valid MIDI file: chunk 'MTrk' at byte 14 declares 2147483648 bytes but only 4 remain \
         (truncated file?)"
    );
}

#[test]
fn bad_headers_are_rejected() {
    let track = track(&[]);
    let with_header = |header: Vec<u8>| [header, track.clone()].concat();
    let invalid = |reason: &str| format!("bad.mid: not a valid MIDI file: {reason}");
    assert_eq!(read_error(&with_header(header(0, 0, 480))), invalid("header declares zero tracks"));
    assert_eq!(read_error(&with_header(header(7, 1, 480))), invalid("unknown format 7"));
    assert_eq!(read_error(&with_header(header(0, 1, 0))), invalid("division of 0 ticks per quarter note"));
    assert_eq!(
        read_error(&with_header(header(0, 1, 0xe404))),
        invalid("SMPTE division with an unknown frame rate of 28 fps")
    );
    assert_eq!(read_error(&with_header(header(0, 1, 0xe700))), invalid("SMPTE division with 0 ticks per frame"));
    assert_eq!(
        read_error(&with_header(chunk(b"MThd", &[0, 0, 0, 1]))),
        invalid("header chunk has 4 bytes, expected at least 6")
    );
}

#[test]
fn malformed_events_are_rejected() {
    // A data byte with no running status to give it meaning.
    let bytes = [header(0, 1, 480), chunk(b"MTrk", &[0x00, 0x3c, 0x40])].concat();
    assert_eq!(
        read_error(&bytes),
        "bad.mid: not a valid MIDI file: track 0: malformed or cut-short event at byte 0 of the track"
    );
    // A note-on cut short by the end of its chunk.
    let bytes = [header(0, 1, 480), chunk(b"MTrk", &[0x00, 0x90, 0x3c])].concat();
    assert_eq!(
        read_error(&bytes),
        "bad.mid: not a valid MIDI file: track 0: malformed or cut-short event at byte 0 of the track"
    );
}

#[test]
fn system_common_and_real_time_messages_are_skipped_and_keep_running_status() {
    // A recording sequencer's MIDI clock, song position and the like between the notes:
    // the notes and their times read as without them, and the data bytes after them
    // continue the note-ons' running status.
    let plain =
        file(0, 480, &[track(&[(0, on(0, 60, 100)), (480, vec![60, 0]), (0, vec![62, 90]), (480, vec![62, 0])])]);
    let with_system = file(
        0,
        480,
        &[track(&[
            (0, on(0, 60, 100)),
            (120, vec![0xf8]),             // timing clock
            (120, vec![0xf2, 0x01, 0x02]), // song position
            (0, vec![0xf1, 0x7f]),         // time-code quarter frame
            (0, vec![0xf3, 0x05]),         // song select
            (0, vec![0xf6]),               // tune request
            (0, vec![0xfa]),               // start
            (0, vec![0xfb]),               // continue
            (0, vec![0xfc]),               // stop
            (0, vec![0xfe]),               // active sensing
            (240, vec![60, 0]),
            (0, vec![62, 90]),
            (480, vec![62, 0]),
        ])],
    );
    assert_eq!(read(&with_system), read(&plain));
    assert_eq!(read(&plain).parts[0].notes, vec![note(0, 480, 60, 100), note(480, 480, 62, 90)]);
}

#[test]
fn undefined_system_status_bytes_are_errors_that_say_which() {
    for status in [0xf4u8, 0xf5, 0xf9, 0xfd] {
        let bytes = file(0, 480, &[track(&[(0, on(0, 60, 100)), (480, vec![status]), (0, vec![60, 0])])]);
        assert_eq!(
            read_error(&bytes),
            format!(
                "bad.mid: not a valid MIDI file: track 0: undefined status byte {status:#04X} at byte 4 of the track"
            )
        );
    }
    // A system message cut short by the end of the track is a cut-short event.
    let bytes = [header(0, 1, 480), chunk(b"MTrk", &[0x00, 0xf2, 0x01])].concat();
    assert_eq!(
        read_error(&bytes),
        "bad.mid: not a valid MIDI file: track 0: malformed or cut-short event at byte 0 of the track"
    );
}

#[test]
fn real_files_with_system_messages_read_as_mido_reads_them() {
    // jazz-soft/test-midi-files (MIT): a C major scale in quarters at 96 ticks per quarter,
    // with a song position (0xF2) or a timing clock (0xF8) before the first note; the
    // undefined 0xF4 in the third file is refused, as mido refuses it.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld/jazz-soft");
    let scale: Vec<Note> =
        [60, 62, 64, 65, 67, 69, 71, 72].iter().enumerate().map(|(i, &p)| note(i as u64 * 96, 96, p, 127)).collect();
    for name in ["test-illegal-message-f2-xx-xx.mid", "test-illegal-message-f8.mid"] {
        let score = midi::read_file(&dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(score.parts.len(), 1, "{name}");
        assert_eq!(score.parts[0].notes, scale, "{name}");
    }
    let refused = midi::read_file(&dir.join("test-illegal-message-f4.mid")).expect_err("0xF4 is undefined");
    assert!(refused.to_string().ends_with("track 0: undefined status byte 0xF4 at byte 182 of the track"), "{refused}");
}

#[test]
fn format_2_tracks_play_one_after_another() {
    // jazz-soft/test-midi-files (MIT): "Two scales in two tracks must play sequentially."
    // A C major scale on channel 1, then one a semitone up on channel 2, each track a
    // quarter's rest, eight quarters and a quarter's rest (864 ticks at 96 per quarter).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld/jazz-soft");
    let score = midi::read_file(&dir.join("test-2-tracks-type-2.mid")).unwrap();
    let scale = |from: u64, pitches: [u8; 8]| -> Vec<Note> {
        pitches.iter().enumerate().map(|(i, &p)| note(from + 96 + i as u64 * 96, 96, p, 127)).collect()
    };
    assert_eq!(score.parts.len(), 2);
    assert_eq!(score.parts[0].notes, scale(0, [60, 62, 64, 65, 67, 69, 71, 72]));
    assert_eq!(score.parts[1].notes, scale(864, [61, 63, 65, 66, 68, 70, 72, 73]));
    // A tempo change in a later pattern starts with that pattern.
    let pattern = |tempo: u32| {
        let micros = tempo.to_be_bytes();
        track(&[(0, vec![0xff, 0x51, 0x03, micros[1], micros[2], micros[3]]), (0, on(0, 60, 90)), (480, off(0, 60))])
    };
    let bytes = [header(2, 2, 480), pattern(500_000), pattern(250_000)].concat();
    let score = read(&bytes);
    let starts: Vec<u64> = score.parts.iter().flat_map(|p| p.notes.iter().map(|n| n.start)).collect();
    assert_eq!(starts, vec![0, 480]);
    assert_eq!(score.tempo.at(480).micros_per_quarter, 250_000);
    assert_eq!(score.tempo.at(479).micros_per_quarter, 500_000);
}

#[test]
fn bytes_after_the_end_of_a_track_are_ignored() {
    let mut body = vec![0x00, 0x90, 60, 1, 0x10, 0x80, 60, 0, 0x20, 0xff, 0x2f, 0x00];
    body.extend([0x3c, 0x40, 0x00]);
    let score = read(&[header(0, 1, 480), chunk(b"MTrk", &body)].concat());
    assert_eq!(score.parts[0].notes, vec![note(0, 16, 60, 1)]);
}

#[test]
fn unknown_chunks_are_skipped_and_trailing_bytes_ignored() {
    let mut bytes = header(0, 1, 480);
    bytes.extend(chunk(b"XFIH", b"vendor data"));
    bytes.extend(track(&[(0, on(0, 60, 1)), (1, off(0, 60))]));
    bytes.extend(b"\x00\x00junk");
    assert_eq!(read(&bytes).note_count(), 1);
}

// ---- quirks of real files that common readers accept ----

/// MusicNet's score MIDIs 2570-2573 (Beethoven, violin sonata 7) stop other readers at
/// "byte 38" of track 1: the writer keeps using running status after a meta event (a
/// marker between notes here), though the standard says meta events cancel it. The same
/// writers do it after sysex events. mido, pretty_midi and MuseScore read such tracks.
#[test]
fn running_status_carries_across_meta_and_sysex_events() {
    let body = [
        &[0x00][..],
        &name("Violino"),
        &[0x00, 0xc0, 40],       // program change: running status C0
        &[0x00, 0x90, 67, 80],   // note-on with a status byte
        &[0x00, 0xff, 0x06, 0x01, b'A'], // marker meta event
        &[0x00, 71, 70],         // note-on by running status after the meta event
        &[0x60, 67, 0],          // velocity-0 note-off, still running status
        &[0x00, 0xf0, 0x03, 0x43, 0x10, 0xf7], // a sysex event
        &[0x60, 71, 0],          // running status after the sysex event
        &[0x00, 0xff, 0x2f, 0x00],
    ]
    .concat();
    let bytes = [header(0, 1, 96), chunk(b"MTrk", &body)].concat();
    let score = read(&bytes);
    assert_eq!(score.parts, vec![part(Some("Violino"), 40, 0, vec![note(0, 96, 67, 80), note(0, 192, 71, 70)])]);
}

/// Files from old sequencers end tracks without an end-of-track event; the chunk's length
/// ends the track.
#[test]
fn a_track_without_end_of_track_ends_with_its_chunk() {
    let body = [0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0];
    let bytes = [header(0, 1, 96), chunk(b"MTrk", &body)].concat();
    assert_eq!(read(&bytes).parts[0].notes, vec![note(0, 96, 60, 100)]);
}

/// A writer that counts the chunk header into the length: the last track declares 8 bytes
/// more than the file holds, but its events end with an end-of-track event, so nothing is
/// missing. Cut the track itself and it is the truncation error again; an overrun larger
/// than a chunk header is never taken for a miscount.
#[test]
fn a_last_track_length_overrunning_the_file_is_accepted_when_the_track_is_complete() {
    let body = [0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00];
    let mut miscounted = b"MTrk".to_vec();
    miscounted.extend((body.len() as u32 + 8).to_be_bytes());
    miscounted.extend(body);
    let bytes = [header(0, 1, 96), miscounted.clone()].concat();
    assert_eq!(read(&bytes).parts[0].notes, vec![note(0, 96, 60, 100)]);
    assert_eq!(
        read_error(&bytes[..bytes.len() - 1]),
        "bad.mid: not a valid MIDI file: chunk 'MTrk' at byte 14 declares 20 bytes but only 11 remain (truncated file?)"
    );
    let mut far = b"MTrk".to_vec();
    far.extend((body.len() as u32 + 9).to_be_bytes());
    far.extend(body);
    assert_eq!(
        read_error(&[header(0, 1, 96), far].concat()),
        "bad.mid: not a valid MIDI file: chunk 'MTrk' at byte 14 declares 21 bytes but only 12 remain (truncated file?)"
    );
}

/// A header that declares fewer tracks than the file holds (a format-0 header over a
/// format-1 body): the complete `MTrk` chunks after the declared ones are read too, as
/// mido does; a cut-short one after them is ignored like other trailing bytes.
#[test]
fn tracks_beyond_the_declared_count_are_read() {
    let mut bytes = header(1, 1, 96);
    bytes.extend(track(&[(0, tempo(500_000))]));
    bytes.extend(track(&[(0, on(0, 60, 1)), (96, off(0, 60))]));
    bytes.extend(track(&[(0, on(1, 64, 1)), (48, off(1, 64))]));
    assert_eq!(read(&bytes).note_count(), 2);
    let cut = track(&[(0, on(2, 67, 1)), (48, off(2, 67))]);
    bytes.extend(&cut[..cut.len() - 3]);
    assert_eq!(read(&bytes).note_count(), 2);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..200), tracks in 0u16..4) {
        let mut bytes = header(1, tracks, 96);
        bytes.extend(tail);
        let _ = midi::read_bytes(&bytes, Path::new("fuzz.mid"));
    }

    #[test]
    fn random_track_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let bytes = [header(0, 1, 96), chunk(b"MTrk", &body)].concat();
        let _ = midi::read_bytes(&bytes, Path::new("fuzz.mid"));
    }
}

#[test]
fn a_note_past_fourteen_hours_is_a_damaged_delta_time() {
    // Found by the `midi_read` fuzz target: one delta time of 2^28 - 1 ticks made a
    // 135-byte file 1.2 MB of ABC rests.
    let events = [(0, on(0, 60, 90)), (480, off(0, 60)), (0x0FFF_FFFF, on(0, 62, 90)), (480, off(0, 62))];
    let error = read_error(&file(0, 480, &[track(&events)]));
    assert_eq!(
        error,
        "bad.mid: not a valid MIDI file: a note ends 559242 quarter notes in, past the 100000 (about 14 hours at \
         120 BPM) prep reads: a delta time is damaged"
    );
    // Just under the limit reads.
    let events = [(0, on(0, 60, 90)), (99_999 * 480, off(0, 60))];
    assert_eq!(read(&file(0, 480, &[track(&events)])).parts[0].notes[0].duration, 99_999 * 480);
}
