//! MIDI events -> `Score`: pairing note-ons with note-offs, splitting tracks into parts,
//! and collecting the tempo, metre and key changes.
//!
//! Rules worth knowing when reading real files:
//! - Notes are paired per (track, channel, pitch) as a synthesizer and pretty_midi pair
//!   them: a note-off releases the key, so it ends every note of that pitch sounding on
//!   the channel that started before it (a re-struck key sounds twice and both end at the
//!   one note-off); a note that starts at the note-off's own tick keeps sounding, so
//!   writers that put a repeated note's note-on before the previous note's note-off lose
//!   nothing. Only when nothing older sounds does the note-off end a note of its own tick
//!   (a zero-length note, dropped; pretty_midi would leave it open for the next note-off
//!   of the pitch). A note-off with nothing to end is ignored.
//! - One exception, a writer's rounding: a note-off exactly one tick after a re-strike of
//!   a key that an older note still holds ends the older note only, and the re-struck
//!   one sounds on to the next note-off of the pitch. music21 writes repeated triplet
//!   notes so (its triplet ticks are rounded, and a note's note-off falls one tick after
//!   the next note-on): read as a synthesizer reads them, the repeated notes lasted one
//!   tick (Weber's clarinet concertino, three times; Beethoven's op. 59 no. 2, ii, at 40
//!   BPM, 61 of 2,862 notes), too short for any ABC to keep.
//! - A note whose note-off never comes is dropped, as pretty_midi and mido-based readers
//!   drop it: it is a writer's defect, not a note of unknown length. music21 writes its
//!   zero-length notes (chord symbols, grace notes) as a note-off then a note-on at one
//!   tick, which leaves the note-on of the last one open; ending it with the track would
//!   add a chord lasting minutes. First in, first out pairing would instead pair every
//!   later note of that pitch with the next one's note-off.
//! - A part is a (track, channel, program): a note belongs to the program in force on its
//!   channel when it starts. Program changes on the drum channel (index 9) select drum
//!   kits, so all drum notes of a track form one part.
//! - Meta events count wherever they appear (format 1 files keep them in the first track by
//!   convention only); of two changes at one tick the later wins.
//! - Format 2 tracks are patterns played one after another, as the standard defines them
//!   (jazz-soft's test file says its two scales "must play sequentially"): each track
//!   starts where the one before it ended (its end-of-track event), its tempo, metre and
//!   key changes with it. A part is still a (track, channel, program).
//! - A track ends at its end-of-track event; bytes after it are ignored; a track without
//!   one ends with its chunk (unless the chunk's length overran the file: see `chunks`).
//! - Running status survives meta and sysex events. The standard says they cancel it, but
//!   writers carry it across them (MusicNet's score MIDIs 2570-2573 do, after a meta
//!   event), and mido, pretty_midi and MuseScore read such files. A data byte where a
//!   status byte is due has no other meaning, so this never changes how a file that
//!   follows the standard reads.
//! - System common and real-time messages (song position, MIDI clock, ...), which the
//!   standard keeps out of files but recording sequencers write, are skipped as mido skips
//!   them; running status survives them too. The undefined status bytes 0xF4, 0xF5, 0xF9
//!   and 0xFD make the file an error, as they do in mido.
//! - Track and instrument names are UTF-8 when valid, else Latin-1, up to a NUL (C
//!   writers store the terminator too), trimmed. A part is named by its track, or by the
//!   instrument name event where the track's name is missing or a placeholder.
//! - A note ending past `score::MAX_QUARTER_NOTES` (about 14 hours) makes the file an
//!   error: such a time comes from a damaged delta time, not from music.

use std::collections::VecDeque;

use midly::{EventIter, MetaMessage, MidiMessage, TrackEventKind};

use super::chunks::{Container, Division, TrackChunk};
use super::pickup;
use crate::score::{
    Instrument, Key, KeyChange, MAX_QUARTER_NOTES, Mode, Note, Part, Score, SourceEvents, TempoChange, TempoMap,
    TimeSignature, is_placeholder,
};

const CHANNELS: usize = 16;
const DRUM_CHANNEL: u8 = 9;

/// Interprets framed MIDI tracks as a Score.
/// Also says which of metre and key the file stated.
pub(super) fn score(container: &Container) -> Result<(Score, SourceEvents), String> {
    let (ticks_per_quarter, timecode_tempo) = timing(container.division);
    let mut changes = Changes::default();
    let mut title = None;
    let mut parts = Vec::new();
    // Where the next track starts: 0, or in format 2 where the track before it ended.
    let mut start = 0;
    for (index, chunk) in container.tracks.iter().enumerate() {
        let track = read_chunk(chunk, start, &mut changes).map_err(|reason| match chunk.overrun {
            Some(_) => reason,
            None => format!("track {index}: {reason}"),
        })?;
        if index == 0 {
            title.clone_from(&track.name);
        }
        if container.sequential {
            start = track.tick;
        }
        parts.extend(track.into_parts());
    }
    let last_end = parts.iter().flat_map(|part: &Part| &part.notes).map(Note::end).max().unwrap_or(0);
    let quarters = last_end / u64::from(ticks_per_quarter);
    if quarters >= MAX_QUARTER_NOTES {
        return Err(format!(
            "a note ends {quarters} quarter notes in, past the {MAX_QUARTER_NOTES} (about 14 hours at 120 BPM) \
             prep reads: a delta time is damaged"
        ));
    }
    let tempo = match timecode_tempo {
        Some(micros_per_quarter) => TempoMap::constant(micros_per_quarter),
        None => TempoMap::from_changes(changes.tempos),
    };
    let stated = SourceEvents { time_signature: !changes.metres.is_empty(), key_signature: !changes.keys.is_empty() };
    let default_metre = TimeSignature { tick: 0, numerator: 4, denominator: 4 };
    let metres = normalize(changes.metres, default_metre, |m| m.tick, |m| (m.numerator, m.denominator));
    let (pickup_ticks, time_signatures) = pickup::split(metres, ticks_per_quarter);
    let default_key = KeyChange { tick: 0, key: Key::default() };
    let key_signatures = normalize(changes.keys, default_key, |k| k.tick, |k| k.key);
    Ok((Score { title, ticks_per_quarter, tempo, time_signatures, key_signatures, pickup_ticks, parts }, stated))
}

/// Ticks per quarter note, and for SMPTE files the fixed tempo that makes those ticks
/// last as long as the timecode says: a quarter note is one second of frames (1.001 s
/// at 29.97 fps, whose frames are numbered as if at 30 fps).
fn timing(division: Division) -> (u32, Option<u32>) {
    match division {
        Division::Metrical(ticks) => (u32::from(ticks), None),
        Division::Timecode { frames_per_second: 29, subframes } => (30 * u32::from(subframes), Some(1_001_000)),
        Division::Timecode { frames_per_second, subframes } => {
            (u32::from(frames_per_second) * u32::from(subframes), Some(1_000_000))
        }
    }
}

/// Tempo, metre and key changes gathered from all tracks, in file order.
#[derive(Default)]
struct Changes {
    tempos: Vec<TempoChange>,
    metres: Vec<TimeSignature>,
    keys: Vec<KeyChange>,
}

/// Sorts changes by tick (the later of two at one tick wins), drops those that repeat the
/// value in force, and makes sure the first is at tick 0 (`default` when none is).
fn normalize<T: Copy, V: PartialEq>(
    mut changes: Vec<T>,
    default: T,
    tick: impl Fn(&T) -> u64,
    value: impl Fn(&T) -> V,
) -> Vec<T> {
    changes.sort_by_key(&tick);
    let mut out: Vec<T> = Vec::with_capacity(changes.len() + 1);
    for change in changes {
        match out.last_mut() {
            Some(last) if tick(last) == tick(&change) => *last = change,
            _ => out.push(change),
        }
    }
    if out.first().is_none_or(|first| tick(first) > 0) {
        out.insert(0, default);
    }
    out.dedup_by(|later, earlier| value(later) == value(earlier));
    out
}

/// A note waiting for its note-off.
struct Sounding {
    start: u64,
    velocity: u8,
    /// Index into `Track::drafts`.
    part: usize,
}

/// The notes of one (channel, program) of a track, while the track is read.
struct Draft {
    channel: u8,
    program: u8,
    notes: Vec<Note>,
}

/// The state of one track being read.
struct Track {
    tick: u64,
    name: Option<String>,
    /// The instrument name meta event's text, the part's name when the track has none.
    instrument_name: Option<String>,
    programs: [u8; CHANNELS],
    drafts: Vec<Draft>,
    /// Notes waiting for a note-off, per `channel * 128 + pitch` (`sounding_index`),
    /// oldest first; empty until the track's first note-on.
    sounding: Vec<VecDeque<Sounding>>,
}

/// Reads one track chunk. A chunk whose length overran the file is accepted only when
/// its events end with an end-of-track event; otherwise the file was cut short, and the
/// overrun is the error (whatever the half event at the cut looks like).
fn read_chunk(chunk: &TrackChunk, start: u64, changes: &mut Changes) -> Result<Track, String> {
    match (&chunk.overrun, read_track(chunk.bytes, start, changes)) {
        (None, read) => read.map(|(track, _)| track),
        (Some(_), Ok((track, true))) => Ok(track),
        (Some(overrun), _) => Err(overrun.clone()),
    }
}

/// Reads one track's events from tick `start`, adding its tempo, metre and key changes to
/// `changes`. Also says whether the track ended with a complete end-of-track event; the
/// track's `tick` is then its end.
fn read_track(bytes: &[u8], start: u64, changes: &mut Changes) -> Result<(Track, bool), String> {
    let mut track = Track {
        tick: start,
        name: None,
        instrument_name: None,
        programs: [0; CHANNELS],
        drafts: Vec::new(),
        sounding: Vec::new(),
    };
    let mut events = EventIter::new(bytes);
    let ended = loop {
        let offset = bytes.len() - events.unread().len();
        let running_status = events.running_status();
        match events.next() {
            Some(Ok(event)) => {
                track.tick += u64::from(event.delta.as_int());
                // Whatever follows the end of a track (padding, junk) is not part of it.
                if event.kind == TrackEventKind::Meta(MetaMessage::EndOfTrack) {
                    // Complete only with its length byte: midly forgives a meta event cut short.
                    let read = bytes.len() - events.unread().len();
                    break bytes[..read].ends_with(&[0xff, 0x2f, 0x00]);
                }
                // midly cancels running status at meta and sysex events; real files do not.
                if !matches!(event.kind, TrackEventKind::Midi { .. }) {
                    *events.running_status_mut() = running_status;
                }
                track.event(event.kind, changes);
            }
            Some(Err(error)) => return Err(format!("malformed event at byte {offset} of the track: {error}")),
            // midly ends a track early, without an error, when an event cannot be parsed:
            // a system message (skipped, as mido skips it) or a defect.
            None if offset < bytes.len() => match system_message(&bytes[offset..]) {
                Ok((delta, length)) => {
                    track.tick += u64::from(delta);
                    events = EventIter::new(&bytes[offset + length..]);
                    *events.running_status_mut() = running_status;
                }
                Err(Some(status)) => {
                    return Err(format!("undefined status byte {status:#04X} at byte {offset} of the track"));
                }
                Err(None) => return Err(format!("malformed or cut-short event at byte {offset} of the track")),
            },
            None => break false,
        }
    };
    // Notes still in `track.sounding` were never turned off: they are dropped.
    Ok((track, ended))
}

/// A system common or real-time message where an event is due (delta time, status byte,
/// data bytes): `(delta, bytes taken)`. Such messages belong on the wire, not in a file,
/// but sequencers that record everything they receive (MIDI clock, song position) write
/// them, and mido reads them; they carry nothing a score needs. The undefined status
/// bytes (0xF4, 0xF5, 0xF9, 0xFD), which mido refuses, are `Err(Some(status))`; anything
/// else is `Err(None)`.
fn system_message(bytes: &[u8]) -> Result<(u32, usize), Option<u8>> {
    let mut delta = 0u32;
    let mut taken = 0;
    loop {
        let &byte = bytes.get(taken).filter(|_| taken < 4).ok_or(None)?;
        delta = (delta << 7) | u32::from(byte & 0x7f);
        taken += 1;
        if byte < 0x80 {
            break;
        }
    }
    let &status = bytes.get(taken).ok_or(None)?;
    let data = match status {
        0xf2 => 2,
        0xf1 | 0xf3 => 1,
        0xf6 | 0xf8 | 0xfa | 0xfb | 0xfc | 0xfe => 0,
        0xf4 | 0xf5 | 0xf9 | 0xfd => return Err(Some(status)),
        _ => return Err(None),
    };
    let end = taken + 1 + data;
    let data_bytes = bytes.get(taken + 1..end).ok_or(None)?;
    if data_bytes.iter().any(|&b| b >= 0x80) {
        return Err(None);
    }
    Ok((delta, end))
}

impl Track {
    fn event(&mut self, kind: TrackEventKind, changes: &mut Changes) {
        match kind {
            TrackEventKind::Midi { channel, message } => self.message(channel.as_int(), message),
            TrackEventKind::Meta(meta) => self.meta(meta, changes),
            TrackEventKind::SysEx(_) | TrackEventKind::Escape(_) => {}
        }
    }

    fn message(&mut self, channel: u8, message: MidiMessage) {
        match message {
            MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => self.note_on(channel, key.as_int(), vel.as_int()),
            MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => self.note_off(channel, key.as_int()),
            MidiMessage::ProgramChange { program } => self.programs[usize::from(channel)] = program.as_int(),
            _ => {}
        }
    }

    fn meta(&mut self, meta: MetaMessage, changes: &mut Changes) {
        let tick = self.tick;
        match meta {
            MetaMessage::TrackName(bytes) if self.name.is_none() => self.name = decode_name(bytes),
            MetaMessage::InstrumentName(bytes) if self.instrument_name.is_none() => {
                self.instrument_name = decode_name(bytes);
            }
            MetaMessage::Tempo(micros) => {
                changes.tempos.push(TempoChange { tick, micros_per_quarter: micros.as_int() });
            }
            // Denominators beyond 1/128 do not fit the model; a zero numerator is no metre.
            MetaMessage::TimeSignature(numerator, power, _, _) if numerator > 0 && power <= 7 => {
                changes.metres.push(TimeSignature { tick, numerator, denominator: 1 << power });
            }
            MetaMessage::KeySignature(sharps, minor) => {
                let mode = if minor { Mode::Minor } else { Mode::Major };
                changes.keys.push(KeyChange { tick, key: Key::new(sharps, mode) });
            }
            _ => {}
        }
    }

    fn note_on(&mut self, channel: u8, pitch: u8, velocity: u8) {
        let program = if channel == DRUM_CHANNEL { 0 } else { self.programs[usize::from(channel)] };
        let part = match self.drafts.iter().position(|d| d.channel == channel && d.program == program) {
            Some(part) => part,
            None => {
                self.drafts.push(Draft { channel, program, notes: Vec::new() });
                self.drafts.len() - 1
            }
        };
        if self.sounding.is_empty() {
            self.sounding.resize_with(CHANNELS * 128, VecDeque::new);
        }
        self.sounding[sounding_index(channel, pitch)].push_back(Sounding { start: self.tick, velocity, part });
    }

    /// Ends the notes of `pitch` on `channel` that started before this tick; when there
    /// are none, the zero-length ones of this tick (see the module doc).
    fn note_off(&mut self, channel: u8, pitch: u8) {
        let tick = self.tick;
        let Some(queue) = self.sounding.get_mut(sounding_index(channel, pitch)) else { return };
        // Queued in start order: the older notes are a prefix.
        let older = queue.iter().take_while(|s| s.start < tick).count();
        if older == 0 {
            queue.clear();
            return;
        }
        // One tick after a re-strike, with an older note of the pitch sounding: the
        // writer's rounding ended the older note late; the re-struck one sounds on.
        let rounded_late = older >= 2 && queue[older - 1].start + 1 == tick;
        let ending = if rounded_late { older - 1 } else { older };
        for sounding in queue.drain(..ending) {
            finish(&mut self.drafts, sounding, pitch, tick);
        }
    }

    /// The track's parts, in order of their first note; parts without notes are dropped.
    /// Their name is the track's, or the instrument name's where the track's names nothing.
    fn into_parts(self) -> impl Iterator<Item = Part> {
        let name = match (self.name, self.instrument_name) {
            (None, instrument) => instrument,
            (Some(track), Some(instrument)) if is_placeholder(&track) => Some(instrument),
            (track, _) => track,
        };
        self.drafts.into_iter().filter(|d| !d.notes.is_empty()).map(move |mut draft| {
            draft.notes.sort_by_key(|n| (n.start, n.pitch));
            let is_drum = draft.channel == DRUM_CHANNEL;
            let instrument = if is_drum { Instrument::drums() } else { Instrument::from_program(draft.program) };
            Part {
                name: name.clone(),
                instrument: Instrument { label: name.clone(), ..instrument },
                channel: Some(draft.channel),
                is_drum,
                notes: draft.notes,
            }
        })
    }
}

/// Where the notes of `pitch` on `channel` wait in `Track::sounding`.
fn sounding_index(channel: u8, pitch: u8) -> usize {
    usize::from(channel) * 128 + usize::from(pitch)
}

/// Adds a note that ended at `end` to its part, unless it has no length.
fn finish(drafts: &mut [Draft], sounding: Sounding, pitch: u8, end: u64) {
    if end > sounding.start {
        let note = Note { start: sounding.start, duration: end - sounding.start, pitch, velocity: sounding.velocity };
        drafts[sounding.part].notes.push(note);
    }
}

/// A track name: UTF-8 when valid, else Latin-1; ended by its first NUL (writers in C
/// store the string's terminator too: "Piano\0"), other control characters read as
/// spaces; trimmed; `None` when blank.
fn decode_name(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.split(|&b| b == 0).next().unwrap_or_default();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}
