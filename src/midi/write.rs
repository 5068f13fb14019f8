//! `Score` -> format-1 MIDI bytes, encoded here directly (the format is small, and this
//! way writing cannot fail).
//!
//! Round trip: `read_bytes(&to_bytes(s))` equals `s` when `s` is in the form the reader
//! produces: every part named (its instrument the GM instrument of its program, labelled
//! with that name; drums `Instrument::drums()`), on a channel (9 exactly for drums), with
//! two notes of one pitch overlapping only when they end together (one note-off ends
//! both: see `read`); non-empty trimmed names; time signatures, key
//! signatures and tempi without repeats; a pickup shorter than the first bar; resolution
//! at most 32767 ticks per quarter. Otherwise:
//! - an unnamed part's track is named after its instrument; instrument labels and custom
//!   instrument names are not stored (the track name becomes the label on reading);
//! - modes other than major and minor are written as major (MIDI has no others);
//! - a finer resolution is scaled down to 32767 ticks per quarter (times rounded);
//! - tempi slower than the 24-bit limit (16.7 s per quarter) are clamped;
//! - velocities are clamped to 1..=127 (0 would be a note-off);
//! - parts beyond the 65535 tracks a file can hold are not written.

use crate::score::{Mode, Part, Score, SourceEvents};

use super::pickup;

/// The largest ticks-per-quarter a header can hold.
const MAX_DIVISION: u32 = 0x7fff;
/// The largest delta time (and meta length) a variable-length quantity can hold.
const MAX_VARIABLE_LENGTH: u64 = 0x0fff_ffff;
const DRUM_CHANNEL: u8 = 9;

/// Encodes a score; see the module documentation for what is kept. Time and key
/// signatures are written only where `stated` says the score really has them.
pub(super) fn to_bytes(score: &Score, stated: SourceEvents) -> Vec<u8> {
    let grid = Grid::new(score.ticks_per_quarter);
    let parts = &score.parts[..score.parts.len().min(usize::from(u16::MAX) - 1)];
    let mut tracks = vec![conductor(score, stated, &grid)];
    tracks.extend(parts.iter().zip(channels(parts)).map(|(part, channel)| part_track(part, channel, &grid)));

    let mut out = Vec::new();
    out.extend_from_slice(b"MThd");
    out.extend_from_slice(&6u32.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(tracks.len() as u16).to_be_bytes());
    out.extend_from_slice(&(grid.division as u16).to_be_bytes());
    for track in tracks {
        let bytes = track.encode();
        out.extend_from_slice(b"MTrk");
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// The score's tick grid mapped onto one a MIDI header can express.
struct Grid {
    ticks_per_quarter: u32,
    division: u32,
}

impl Grid {
    fn new(ticks_per_quarter: u32) -> Self {
        Grid { ticks_per_quarter, division: ticks_per_quarter.clamp(1, MAX_DIVISION) }
    }

    /// A score tick on the file's grid (identity unless the score's grid is too fine).
    fn tick(&self, tick: u64) -> u64 {
        if self.ticks_per_quarter <= self.division {
            return tick;
        }
        let (from, to) = (u128::from(self.ticks_per_quarter), u128::from(self.division));
        u64::try_from((u128::from(tick) * to + from / 2) / from).unwrap_or(u64::MAX)
    }
}

/// The first track: title, tempo map, time signatures and key signatures (the stated ones).
fn conductor(score: &Score, stated: SourceEvents, grid: &Grid) -> Track {
    let mut track = Track::default();
    if let Some(title) = &score.title {
        track.push(0, Order::Setup, Message::name(title));
    }
    for change in score.tempo.changes() {
        let micros = change.micros_per_quarter.clamp(1, 0x00ff_ffff).to_be_bytes();
        track.push(grid.tick(change.tick), Order::Setup, Message::Meta(0x51, micros[1..].to_vec()));
    }
    let metres = if stated.time_signature { &score.time_signatures[..] } else { &[] };
    for (tick, numerator, power) in pickup::join(metres, score.pickup_ticks, score.ticks_per_quarter) {
        // MIDI clocks (24 per quarter) per metronome click of one beat, and 8 32nds a quarter.
        let clocks = (96u32 >> power.min(5)) as u8;
        track.push(grid.tick(tick), Order::Setup, Message::Meta(0x58, vec![numerator, power, clocks, 8]));
    }
    let keys = if stated.key_signature { &score.key_signatures[..] } else { &[] };
    for change in keys {
        let minor = u8::from(change.key.mode == Mode::Minor);
        track.push(grid.tick(change.tick), Order::Setup, Message::Meta(0x59, vec![change.key.fifths as u8, minor]));
    }
    track
}

/// The channel of each part: drums on 9; others on their own channel when they have a
/// usable one, else on 0, 1, 2, ... skipping 9 (wrapping after 15).
fn channels(parts: &[Part]) -> Vec<u8> {
    let mut free = (0..16u8).filter(|&c| c != DRUM_CHANNEL).cycle();
    parts
        .iter()
        .map(|part| match part.channel {
            _ if part.is_drum => DRUM_CHANNEL,
            Some(channel) if channel < 16 && channel != DRUM_CHANNEL => channel,
            _ => free.next().unwrap_or(0),
        })
        .collect()
}

/// One part's track: name, program change, notes.
fn part_track(part: &Part, channel: u8, grid: &Grid) -> Track {
    let mut track = Track::default();
    track.push(0, Order::Setup, Message::name(part.name.as_deref().unwrap_or(&part.instrument.name)));
    if !part.is_drum {
        track.push(0, Order::Setup, Message::Program([0xc0 | channel, part.instrument.program & 0x7f]));
    }
    for note in &part.notes {
        let pitch = note.pitch & 0x7f;
        let velocity = note.velocity.clamp(1, 127);
        track.push(grid.tick(note.start), Order::NoteOn, Message::Note([0x90 | channel, pitch, velocity]));
        track.push(grid.tick(note.end()), Order::NoteOff, Message::Note([0x80 | channel, pitch, 64]));
    }
    track
}

/// Order of events at one tick: set-up first, then notes ending, then notes starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Order {
    Setup,
    NoteOff,
    NoteOn,
}

enum Message {
    /// Meta event type and data.
    Meta(u8, Vec<u8>),
    /// A program change: status and program.
    Program([u8; 2]),
    /// A note-on or note-off: status, pitch and velocity.
    Note([u8; 3]),
}

impl Message {
    fn name(text: &str) -> Message {
        Message::Meta(0x03, text.as_bytes().to_vec())
    }
}

/// A track's events, in any order until encoded.
#[derive(Default)]
struct Track {
    events: Vec<(u64, Order, Message)>,
}

impl Track {
    fn push(&mut self, tick: u64, order: Order, message: Message) {
        self.events.push((tick, order, message));
    }

    /// The track chunk's body: events sorted by (tick, order), stably, then end of track.
    fn encode(mut self) -> Vec<u8> {
        self.events.sort_by_key(|(tick, order, _)| (*tick, *order));
        let mut out = Vec::with_capacity(self.events.len() * 4 + 4);
        let mut last = 0;
        for (tick, _, message) in &self.events {
            write_delta(&mut out, tick - last);
            last = *tick;
            match message {
                Message::Meta(kind, data) => write_meta(&mut out, *kind, data),
                Message::Program(bytes) => out.extend_from_slice(bytes),
                Message::Note(bytes) => out.extend_from_slice(bytes),
            }
        }
        write_delta(&mut out, 0);
        write_meta(&mut out, 0x2f, &[]);
        out
    }
}

/// Writes a delta time; deltas too long for one quantity are bridged with empty text events.
fn write_delta(out: &mut Vec<u8>, mut delta: u64) {
    while delta > MAX_VARIABLE_LENGTH {
        write_variable_length(out, MAX_VARIABLE_LENGTH as u32);
        write_meta(out, 0x01, &[]);
        delta -= MAX_VARIABLE_LENGTH;
    }
    write_variable_length(out, delta as u32);
}

/// Writes a meta event (data beyond the format's length limit is cut).
fn write_meta(out: &mut Vec<u8>, kind: u8, data: &[u8]) {
    let data = &data[..data.len().min(MAX_VARIABLE_LENGTH as usize)];
    out.extend_from_slice(&[0xff, kind]);
    write_variable_length(out, data.len() as u32);
    out.extend_from_slice(data);
}

/// Writes a variable-length quantity (7 bits a byte, most significant first).
fn write_variable_length(out: &mut Vec<u8>, value: u32) {
    let mut shift = 21;
    while shift > 0 && value >> shift == 0 {
        shift -= 7;
    }
    while shift > 0 {
        out.push(0x80 | (value >> shift) as u8 & 0x7f);
        shift -= 7;
    }
    out.push(value as u8 & 0x7f);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variable_length(value: u32) -> Vec<u8> {
        let mut out = Vec::new();
        write_variable_length(&mut out, value);
        out
    }

    #[test]
    fn variable_length_quantities_match_the_standard_examples() {
        assert_eq!(variable_length(0), vec![0x00]);
        assert_eq!(variable_length(0x40), vec![0x40]);
        assert_eq!(variable_length(0x80), vec![0x81, 0x00]);
        assert_eq!(variable_length(0x2000), vec![0xc0, 0x00]);
        assert_eq!(variable_length(0x1f_ffff), vec![0xff, 0xff, 0x7f]);
        assert_eq!(variable_length(0x0fff_ffff), vec![0xff, 0xff, 0xff, 0x7f]);
    }

    #[test]
    fn long_deltas_are_bridged() {
        let mut out = Vec::new();
        write_delta(&mut out, MAX_VARIABLE_LENGTH + 5);
        assert_eq!(out, vec![0xff, 0xff, 0xff, 0x7f, 0xff, 0x01, 0x00, 0x05]);
    }

    #[test]
    fn fine_grids_are_scaled_to_the_header_limit() {
        let grid = Grid::new(65534);
        assert_eq!(grid.division, 32767);
        assert_eq!(grid.tick(65534), 32767);
        assert_eq!(grid.tick(3), 2);
        assert_eq!(Grid::new(480).tick(12345), 12345);
    }
}
