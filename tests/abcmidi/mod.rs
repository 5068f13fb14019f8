//! abcMIDI's abc2midi as an independent referee: run it on ABC text and read the notes
//! of the MIDI it writes with midly (not with prep's own reader).
// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use midly::{MidiMessage, Smf, Timing, TrackEventKind};
use prep::score::Score;

pub const ABC2MIDI: &str = "/usr/bin/abc2midi";

/// (pitch, onset, duration) in ticks at a common resolution, sorted.
pub type Notes = Vec<(u8, u64, u64)>;

/// A score's notes in the same form, rescaled to `q` ticks per quarter.
pub fn score_notes(score: &Score, q: u64) -> Notes {
    let tpq = u64::from(score.ticks_per_quarter);
    let mut notes: Notes = score
        .parts
        .iter()
        .flat_map(|p| p.notes.iter().map(|n| (n.pitch, n.start * q / tpq, n.duration * q / tpq)))
        .collect();
    notes.sort_unstable();
    notes
}

/// Notes of a MIDI file, rescaled to `q` ticks per quarter.
///
/// abc2midi starts every note one MIDI tick late (it leaves a tick between the
/// previous note-off and the next note-on) and ends it on time: that tick is given
/// back here, so the comparison is exact.
pub fn midi_notes(bytes: &[u8], q: u64) -> Notes {
    let smf = Smf::parse(bytes).expect("abc2midi writes valid MIDI");
    let Timing::Metrical(tpq) = smf.header.timing else { panic!("abc2midi writes metrical timing") };
    let tpq = u64::from(tpq.as_int());
    let mut notes = Notes::new();
    for track in &smf.tracks {
        let mut now = 0u64;
        let mut sounding: Vec<(u8, u8, u64)> = Vec::new();
        for event in track {
            now += u64::from(event.delta.as_int());
            let TrackEventKind::Midi { channel, message } = event.kind else { continue };
            let channel = channel.as_int();
            match message {
                MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => sounding.push((channel, key.as_int(), now)),
                MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                    if let Some(i) = sounding.iter().position(|s| s.0 == channel && s.1 == key.as_int()) {
                        let (_, pitch, start) = sounding.remove(i);
                        notes.push((pitch, (start - 1) * q / tpq, (now - start + 1) * q / tpq));
                    }
                }
                _ => {}
            }
        }
    }
    notes.sort_unstable();
    notes
}

/// Runs abc2midi on `abc` (in `dir`, files named `name`); returns its notes at `q` ticks
/// per quarter and its messages.
pub fn abc2midi(abc: &str, dir: &Path, name: &str, q: u64) -> (Notes, String) {
    let (bytes, messages) = render(abc, dir, name);
    let bytes = bytes.unwrap_or_else(|| panic!("abc2midi wrote no MIDI for {name}: {messages}"));
    (midi_notes(&bytes, q), messages)
}

/// Runs abc2midi on `abc` (in `dir`, files named `name`); returns the MIDI it wrote, if
/// any, and its messages.
pub fn render(abc: &str, dir: &Path, name: &str) -> (Option<Vec<u8>>, String) {
    let input = dir.join(format!("{name}.abc"));
    let output = dir.join(format!("{name}.mid"));
    // abc2midi staggers the notes of a chord by 10 ticks each ("chordattack"), a
    // performance effect that this setting turns off.
    let played = abc.replacen('\n', "\n%%MIDI chordattack 0\n", 1);
    std::fs::write(&input, played).expect("write the ABC file");
    let run = Command::new(ABC2MIDI).arg(&input).arg("-o").arg(&output).output().expect("run abc2midi");
    let messages = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    (std::fs::read(&output).ok(), messages)
}

/// (pitch, onset in seconds) of every note of a MIDI file, through its tempo map
/// (format 1: tempo events of every track apply to all), sorted by onset. abc2midi's
/// one-tick-late start is given back, as in `midi_notes`.
pub fn midi_onset_seconds(bytes: &[u8]) -> Vec<(u8, f64)> {
    let smf = Smf::parse(bytes).expect("abc2midi writes valid MIDI");
    let Timing::Metrical(tpq) = smf.header.timing else { panic!("abc2midi writes metrical timing") };
    let tpq = f64::from(tpq.as_int());
    let mut tempos: Vec<(u64, u32)> = Vec::new();
    let mut onsets: Vec<(u8, u64)> = Vec::new();
    for track in &smf.tracks {
        let mut now = 0u64;
        for event in track {
            now += u64::from(event.delta.as_int());
            match event.kind {
                TrackEventKind::Meta(midly::MetaMessage::Tempo(micros)) => tempos.push((now, micros.as_int())),
                TrackEventKind::Midi { message: MidiMessage::NoteOn { key, vel }, .. } if vel.as_int() > 0 => {
                    onsets.push((key.as_int(), now.saturating_sub(1)));
                }
                _ => {}
            }
        }
    }
    // Stable and by tick alone: of two tempi at one tick, the later in the file is in force.
    tempos.sort_by_key(|t| t.0);
    let seconds = |tick: u64| {
        let (mut at, mut micros, mut total) = (0u64, 500_000u32, 0.0);
        for &(change, value) in tempos.iter().take_while(|t| t.0 <= tick) {
            total += (change - at) as f64 * f64::from(micros) / tpq / 1e6;
            (at, micros) = (change, value);
        }
        total + (tick - at) as f64 * f64::from(micros) / tpq / 1e6
    };
    let mut out: Vec<(u8, f64)> = onsets.into_iter().map(|(pitch, tick)| (pitch, seconds(tick))).collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    out
}
