//! The `Score`: the one in-memory model of symbolic music that every stage shares.
//!
//! MIDI files, ABC text and dataset label files are all read into a `Score`; the ABC
//! writer, the clip cutter and the reward all read from one. Time is kept in integer
//! ticks (exact, so ABC round trips are exact) on a `ticks_per_quarter` grid; seconds
//! are derived from the tempo map, never stored twice.
//!
//! This module holds data and small pure queries only: reading and writing formats
//! lives in `midi` and `abc`, musical inference (quantization, key, metre) in
//! `analysis`.

mod instrument;
mod key;
mod tempo;
mod window;

pub use instrument::{
    Family, Instrument, family_by_name, gm_family, gm_name, gm_program_by_name, is_placeholder, name_words, part_name,
};
pub use key::{Key, LETTER_PITCH_CLASS, LETTERS, Mode};
pub use tempo::{TempoChange, TempoMap};

/// The longest music the readers take: 100,000 quarter notes (about 14 hours at 120 BPM;
/// no piece comes near). The ABC reader skips elements past it; the MIDI reader refuses
/// a file with a note past it. So a few damaged bytes (a delta time of 2^28 ticks, a
/// `Z99999999` rest) cannot make megabytes of rests downstream.
pub const MAX_QUARTER_NOTES: u64 = 100_000;

/// A note: MIDI pitch, onset and duration in ticks, velocity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Note {
    /// Onset in ticks from the start of the score.
    pub start: u64,
    /// Duration in ticks (> 0).
    pub duration: u64,
    /// MIDI pitch number, 0..=127 (60 = middle C).
    pub pitch: u8,
    /// MIDI velocity, 1..=127.
    pub velocity: u8,
}

impl Note {
    /// Tick at which the note ends (exclusive).
    pub fn end(&self) -> u64 {
        self.start + self.duration
    }
}

/// A time-signature change: from `tick` on, bars have `numerator` beats of `1/denominator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSignature {
    pub tick: u64,
    pub numerator: u8,
    /// A power of two: 1, 2, 4, 8, 16, 32.
    pub denominator: u8,
}

impl TimeSignature {
    /// Length of one bar in ticks at the given resolution.
    pub fn bar_ticks(&self, ticks_per_quarter: u32) -> u64 {
        u64::from(self.numerator) * u64::from(ticks_per_quarter) * 4 / u64::from(self.denominator)
    }
}

/// A key-signature change: from `tick` on, the key is `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyChange {
    pub tick: u64,
    pub key: Key,
}

/// One instrument's line of music: a MIDI track+channel+program, a dataset instrument
/// stem, or an ABC voice. Notes may overlap (chords, several lines on one staff); the
/// ABC writer splits what one ABC voice cannot express.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Track or voice name as found in the source, if any.
    pub name: Option<String>,
    pub instrument: Instrument,
    /// MIDI channel (0-based) the notes came from, when read from MIDI.
    pub channel: Option<u8>,
    /// True for General MIDI percussion (channel 10): pitches are drum sounds.
    pub is_drum: bool,
    /// Notes sorted by (start, pitch).
    pub notes: Vec<Note>,
}

/// Which of metre and key the source stated (MIDI meta events, ABC fields). A `Score`
/// always holds a metre and a key (4/4 and C major when unknown); this says which of them
/// are real, so that `analysis` infers the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceEvents {
    pub time_signature: bool,
    pub key_signature: bool,
}

/// A piece (or a clip of one): parts, tempo map, metre and key changes, resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub title: Option<String>,
    /// Ticks per quarter note (MIDI "division").
    pub ticks_per_quarter: u32,
    pub tempo: TempoMap,
    /// Sorted by tick; the first entry is at tick 0. Never empty (4/4 when unknown).
    pub time_signatures: Vec<TimeSignature>,
    /// Sorted by tick; the first entry is at tick 0. Never empty (C major when unknown).
    pub key_signatures: Vec<KeyChange>,
    /// Length in ticks of an incomplete first bar (anacrusis); 0 when tick 0 is a downbeat.
    pub pickup_ticks: u64,
    pub parts: Vec<Part>,
}

impl Score {
    /// An empty score in 4/4, C major, 120 BPM.
    pub fn new(ticks_per_quarter: u32) -> Self {
        Score {
            title: None,
            ticks_per_quarter,
            tempo: TempoMap::constant(500_000),
            time_signatures: vec![TimeSignature { tick: 0, numerator: 4, denominator: 4 }],
            key_signatures: vec![KeyChange { tick: 0, key: Key::default() }],
            pickup_ticks: 0,
            parts: Vec::new(),
        }
    }

    /// Tick just after the last note ends (0 for a score without notes).
    pub fn end_tick(&self) -> u64 {
        self.parts.iter().flat_map(|p| p.notes.iter().map(Note::end)).max().unwrap_or(0)
    }

    /// The tempo the score states (`TempoMap::stated`: the first, or the one after a
    /// performance's lead-in): the ABC header's, a clip's and the reward's.
    pub fn stated_tempo(&self) -> TempoChange {
        self.tempo.stated(self.ticks_per_quarter)
    }

    /// Onset of a tick in seconds, from the tempo map.
    pub fn seconds_at(&self, tick: u64) -> f64 {
        self.tempo.seconds_at(tick, self.ticks_per_quarter)
    }

    /// The tick at a time in seconds (rounded to the nearest tick).
    pub fn tick_at(&self, seconds: f64) -> u64 {
        self.tempo.tick_at(seconds, self.ticks_per_quarter)
    }

    /// Total number of notes over all parts.
    pub fn note_count(&self) -> usize {
        self.parts.iter().map(|p| p.notes.len()).sum()
    }

    /// The time signature in force at `tick`.
    pub fn time_signature_at(&self, tick: u64) -> TimeSignature {
        *self.time_signatures.iter().rev().find(|t| t.tick <= tick).unwrap_or(&self.time_signatures[0])
    }

    /// The key in force at `tick`.
    pub fn key_at(&self, tick: u64) -> Key {
        self.key_signatures.iter().rev().find(|k| k.tick <= tick).unwrap_or(&self.key_signatures[0]).key
    }

    /// Bar line positions (ticks of each downbeat) up to and including the first at or
    /// after `end`. The first bar starts at 0; with a pickup the second starts at
    /// `pickup_ticks`. Time-signature changes take effect at the next bar line at or
    /// after their tick.
    pub fn bar_lines(&self, end: u64) -> Vec<u64> {
        let mut bars = vec![0];
        let mut tick = self.pickup_ticks;
        if tick > 0 {
            bars.push(tick);
        }
        loop {
            let bar = self.time_signature_at(tick).bar_ticks(self.ticks_per_quarter).max(1);
            if tick >= end {
                break;
            }
            tick += bar;
            bars.push(tick);
        }
        bars
    }

    /// All notes of all parts as (part index, note), sorted by onset then pitch.
    pub fn all_notes(&self) -> Vec<(usize, Note)> {
        let mut notes: Vec<(usize, Note)> =
            self.parts.iter().enumerate().flat_map(|(i, p)| p.notes.iter().map(move |n| (i, *n))).collect();
        notes.sort_by_key(|(i, n)| (n.start, n.pitch, *i));
        notes
    }
}
