//! Interop: a tune written by abcMIDI's `midi2abc` (from a MIDI file built here) reads
//! back to the notes of that file. Skipped, with the reason printed, when `midi2abc`
//! is not installed.

use std::path::Path;
use std::process::Command;

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use prep::abc::read::{ABC_TICKS_PER_QUARTER, parse};

const MIDI2ABC: &str = "/usr/bin/midi2abc";
const MIDI_TICKS_PER_QUARTER: u16 = 480;

/// The melody: (MIDI pitch, length in MIDI ticks), played one after another.
const MELODY: [(u8, u32); 9] =
    [(60, 480), (62, 480), (64, 480), (66, 480), (67, 240), (69, 240), (70, 480), (72, 960), (71, 960)];

fn event(delta: u32, kind: TrackEventKind<'static>) -> TrackEvent<'static> {
    TrackEvent { delta: u28::new(delta), kind }
}

fn note(key: u8, on: bool) -> TrackEventKind<'static> {
    let (key, vel) = (u7::new(key), u7::new(if on { 80 } else { 0 }));
    let message = if on { MidiMessage::NoteOn { key, vel } } else { MidiMessage::NoteOff { key, vel } };
    TrackEventKind::Midi { channel: u4::new(0), message }
}

/// A format-0 file: 4/4, 120 BPM, the melody.
fn melody_midi() -> Vec<u8> {
    let mut track = vec![
        event(0, TrackEventKind::Meta(MetaMessage::Tempo(u24::new(500_000)))),
        event(0, TrackEventKind::Meta(MetaMessage::TimeSignature(4, 2, 24, 8))),
    ];
    for (pitch, length) in MELODY {
        track.push(event(0, note(pitch, true)));
        track.push(event(length, note(pitch, false)));
    }
    track.push(event(0, TrackEventKind::Meta(MetaMessage::EndOfTrack)));
    let header = Header::new(Format::SingleTrack, Timing::Metrical(u15::new(MIDI_TICKS_PER_QUARTER)));
    let smf = Smf { header, tracks: vec![track] };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes).expect("writing MIDI to memory cannot fail");
    bytes
}

#[test]
fn midi2abc_output_reads_back_to_the_midi_notes() {
    if !Path::new(MIDI2ABC).exists() {
        println!("skipped: {MIDI2ABC} is not installed (package abcmidi)");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("melody.mid");
    std::fs::write(&path, melody_midi()).expect("write MIDI file");
    let output = Command::new(MIDI2ABC).arg(&path).output().expect("run midi2abc");
    assert!(output.status.success(), "midi2abc failed: {}", String::from_utf8_lossy(&output.stderr));
    let abc = String::from_utf8_lossy(&output.stdout);

    let parsed = parse(&abc);
    assert_eq!(parsed.diagnostics, vec![], "{abc}");
    assert!(parsed.found.metre && parsed.found.key && parsed.found.unit, "{abc}");
    assert_eq!(parsed.score.tempo.changes()[0].micros_per_quarter, 500_000, "{abc}");
    let scale = u64::from(ABC_TICKS_PER_QUARTER) / u64::from(MIDI_TICKS_PER_QUARTER);
    let mut start = 0;
    let expected: Vec<_> = MELODY
        .iter()
        .map(|&(pitch, length)| {
            let note = (pitch, start * scale, u64::from(length) * scale);
            start += u64::from(length);
            note
        })
        .collect();
    let read: Vec<_> =
        parsed.score.parts.iter().flat_map(|p| &p.notes).map(|n| (n.pitch, n.start, n.duration)).collect();
    assert_eq!(read, expected, "{abc}");
}
