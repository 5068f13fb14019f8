//! Interpretation: the tune's lines -> `Score`. Routes header fields, directives and
//! body tokens to the right voice, decides whether a field is global (header, or before
//! any music) or belongs to the current voice at its current time, and assembles the
//! parts, metre, key and tempo timelines at the end.

use super::duration::Length;
use super::fields::{self, Metre, MidiDirective, VoiceField};
use super::lexer::{Lexer, Token, TokenKind};
use super::source::SourceLine;
use super::voice::Voice;
use super::{ABC_TICKS_PER_QUARTER, FoundFields, MAX_NOTES, NoteSource, ParsedAbc, Reporter, Staves, Written};
use crate::score::{Instrument, Key, KeyChange, Part, Score, TempoChange, TempoMap, TimeSignature, gm_program_by_name};

/// Values a voice starts with: the header's, or those set before any music.
#[derive(Debug, Clone, Copy)]
struct Defaults {
    unit: Length,
    metre: Metre,
    key: Key,
}

/// The metre assumed when the text has no `M:` field.
const DEFAULT_METRE: Metre = Some((4, 4));

/// Builds a `Score` from the lines of one tune.
pub(crate) struct Builder {
    score: Score,
    found: FoundFields,
    report: Reporter,
    voices: Vec<Voice>,
    current: Option<usize>,
    in_header: bool,
    music_started: bool,
    /// A `V:` field was read after the header: later fields belong to that voice.
    body_voice_selected: bool,
    defaults: Defaults,
    /// `%%MIDI` settings read before any voice, for the next voice created.
    pending_program: Option<u8>,
    pending_drum: bool,
    /// The first `%%score` (or `%%staves`) directive.
    staves: Option<Staves>,
    metres: Vec<(u64, Metre)>,
    keys: Vec<(u64, Key)>,
    tempi: Vec<TempoChange>,
    /// Notes that may still be created (see `MAX_NOTES`).
    budget: usize,
    /// Problems reported by the current voice operation, positioned by `token`.
    problems: Vec<String>,
    /// Byte offset of the open chord's `[` in its line.
    chord_start: usize,
}

impl Builder {
    pub fn new(report: Reporter) -> Self {
        Builder {
            score: Score::new(ABC_TICKS_PER_QUARTER),
            found: FoundFields::default(),
            report,
            voices: Vec::new(),
            current: None,
            in_header: true,
            music_started: false,
            body_voice_selected: false,
            defaults: Defaults { unit: default_unit(DEFAULT_METRE), metre: DEFAULT_METRE, key: Key::default() },
            pending_program: None,
            pending_drum: false,
            staves: None,
            metres: Vec::new(),
            keys: Vec::new(),
            tempi: Vec::new(),
            budget: MAX_NOTES,
            problems: Vec::new(),
            chord_start: 0,
        }
    }

    /// Reads one line of the tune.
    pub fn line(&mut self, line: SourceLine<'_>) {
        let trimmed = line.text.trim_start();
        let indent = line.text.len() - trimmed.len();
        if let Some(directive) = trimmed.strip_prefix("%%") {
            self.directive(directive, line, indent + 2);
            return;
        }
        let text = line.text.split('%').next().unwrap_or_default();
        let trimmed = text.trim_start();
        let bytes = trimmed.as_bytes();
        if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
            self.field(bytes[0], &trimmed[2..], line, indent + 2);
        } else if !trimmed.trim().is_empty() {
            self.music(text, line);
        }
    }

    /// `%%MIDI program`, `%%MIDI channel` and the first `%%score` (or `%%staves`); other
    /// directives carry no notes.
    fn directive(&mut self, directive: &str, line: SourceLine<'_>, offset: usize) {
        let word_end = directive.find(char::is_whitespace).unwrap_or(directive.len());
        if matches!(&directive[..word_end], "score" | "staves") {
            self.staves.get_or_insert_with(|| fields::parse_staves(&directive[word_end..]));
            return;
        }
        let Some(midi) = directive.strip_prefix("MIDI") else { return };
        match fields::parse_midi(midi) {
            Ok(Some(MidiDirective::Program(program))) => match self.current {
                Some(i) => self.voices[i].program = Some(program),
                None => self.pending_program = Some(program),
            },
            Ok(Some(MidiDirective::Channel(channel))) => {
                let drum = channel == 10;
                match self.current {
                    Some(i) => self.voices[i].drum = drum,
                    None => self.pending_drum = drum,
                }
            }
            Ok(None) => {}
            Err(message) => self.report.at(line.number, line.text, offset, message),
        }
    }

    /// An information field, on its own line or inline (`[K:D]`).
    fn field(&mut self, letter: u8, value: &str, line: SourceLine<'_>, offset: usize) {
        let result = match letter {
            b'T' => {
                let title = value.trim();
                if self.score.title.is_none() && !title.is_empty() {
                    self.score.title = Some(title.to_string());
                    self.found.title = true;
                }
                Ok(())
            }
            b'M' => fields::parse_metre(value).map(|metre| {
                self.found.metre |= metre.is_some();
                self.set_metre(metre);
            }),
            b'L' => fields::parse_unit(value).map(|unit| {
                self.found.unit = true;
                self.set_unit(unit);
            }),
            b'Q' => fields::parse_tempo(value).map(|micros| {
                self.found.tempo = true;
                self.set_tempo(micros);
            }),
            b'K' => {
                let key = fields::parse_key(value);
                self.found.key |= key.is_ok();
                self.set_key(key.clone().unwrap_or_default());
                self.end_header();
                key.map(|_| ())
            }
            b'V' => fields::parse_voice(value).map(|voice| self.select_voice(voice)),
            // Fields of ABC 2.1 that carry no notes: reference, composer, lyrics, ...
            b'A' | b'B' | b'C' | b'D' | b'F' | b'G' | b'H' | b'I' | b'N' | b'O' | b'P' | b'R' | b'S' | b'U' | b'W'
            | b'X' | b'Z' | b'm' | b'r' | b's' | b'w' => Ok(()),
            _ => Err(format!(
                "unknown field '{}:' skipped: expected an ABC 2.1 field such as M:, K: or V:",
                letter as char
            )),
        };
        if let Err(message) = result {
            self.report.at(line.number, line.text, offset, message);
        }
    }

    /// Where a field applies: `None` for the whole tune (header, or before any music
    /// and any body `V:`), else the current voice.
    fn field_voice(&mut self) -> Option<usize> {
        if self.in_header || (!self.music_started && !self.body_voice_selected) {
            None
        } else {
            Some(self.current_voice())
        }
    }

    fn set_metre(&mut self, metre: Metre) {
        match self.field_voice() {
            None => {
                self.defaults.metre = metre;
                self.voices.iter_mut().for_each(|v| v.metre = metre);
                self.metres.push((0, metre));
            }
            Some(i) => {
                self.voices[i].metre = metre;
                self.metres.push((self.voices[i].time, metre));
            }
        }
    }

    fn set_unit(&mut self, unit: Length) {
        match self.field_voice() {
            None => {
                self.defaults.unit = unit;
                self.voices.iter_mut().for_each(|v| v.unit = unit);
            }
            Some(i) => self.voices[i].unit = unit,
        }
    }

    fn set_key(&mut self, key: Key) {
        match self.field_voice() {
            None => {
                self.defaults.key = key;
                self.voices.iter_mut().for_each(|v| v.key = key);
                self.keys.push((0, key));
            }
            Some(i) => {
                self.voices[i].key = key;
                self.keys.push((self.voices[i].time, key));
            }
        }
    }

    fn set_tempo(&mut self, micros_per_quarter: u32) {
        let tick = self.field_voice().map_or(0, |i| self.voices[i].time);
        self.tempi.push(TempoChange { tick, micros_per_quarter });
    }

    /// The header ends at `K:` or at the first music. Without `L:`, the unit follows
    /// ABC 2.1: 1/16 when the metre is below 3/4, else 1/8.
    fn end_header(&mut self) {
        if !self.in_header {
            return;
        }
        self.in_header = false;
        if !self.found.unit {
            self.defaults.unit = default_unit(self.defaults.metre);
            let unit = self.defaults.unit;
            self.voices.iter_mut().for_each(|v| v.unit = unit);
        }
        self.current = if self.voices.is_empty() { None } else { Some(0) };
    }

    /// `V:` selects a voice, creating it on first appearance.
    fn select_voice(&mut self, field: VoiceField<'_>) {
        let index = match self.voices.iter().position(|v| v.id == field.id) {
            Some(i) => i,
            None => self.new_voice(field.id),
        };
        if let Some(name) = field.name {
            self.voices[index].name = Some(name.to_string());
        }
        self.current = Some(index);
        self.body_voice_selected |= !self.in_header;
    }

    fn new_voice(&mut self, id: &str) -> usize {
        let mut voice = Voice::new(id, self.defaults.unit, self.defaults.metre, self.defaults.key);
        voice.program = self.pending_program.take();
        voice.drum = std::mem::take(&mut self.pending_drum);
        self.voices.push(voice);
        self.voices.len() - 1
    }

    /// The voice music goes to: the current one, else an unnamed voice.
    fn current_voice(&mut self) -> usize {
        match self.current {
            Some(i) => i,
            None => {
                let i = self.new_voice("");
                self.current = Some(i);
                i
            }
        }
    }

    /// A line of music.
    fn music(&mut self, text: &str, line: SourceLine<'_>) {
        self.end_header();
        self.music_started = true;
        for token in Lexer::new(text) {
            self.token(token, line);
        }
        if let Some(i) = self.current.filter(|&i| self.voices[i].in_chord()) {
            self.problems.push("unclosed chord at the end of the line: expected ']'".to_string());
            self.voices[i].close_chord(Length::ONE, &mut self.budget, &mut self.problems);
            self.voices[i].written_at(Written { line: line.number, start: self.chord_start, end: text.len() });
            self.flush_problems(line, text.len());
        }
    }

    fn token(&mut self, token: Token<'_>, line: SourceLine<'_>) {
        let voice = match token.kind {
            TokenKind::InlineField { letter, value } => return self.field(letter, value, line, token.offset + 3),
            TokenKind::Invalid(message) => return self.report.at(line.number, line.text, token.offset, message),
            _ => self.current_voice(),
        };
        let voice = &mut self.voices[voice];
        let problems = &mut self.problems;
        let budget = &mut self.budget;
        let written = Written { line: line.number, start: token.offset, end: token.end };
        match token.kind {
            TokenKind::Note(note) => {
                let pitch = voice.pitch(&note).map_err(|m| problems.push(m)).ok();
                if voice.in_chord() {
                    voice.add_to_chord(pitch, note.length);
                } else {
                    voice.place(pitch.as_slice(), &[false], note.length, budget, problems);
                    voice.written_at(written);
                }
            }
            TokenKind::Rest(_) | TokenKind::BarRest(_) if voice.in_chord() => {
                problems.push("rest inside a chord skipped: expected notes".to_string());
            }
            TokenKind::Rest(length) => voice.place(&[], &[], length, budget, problems),
            TokenKind::BarRest(bars) => voice.bar_rest(bars, ABC_TICKS_PER_QUARTER, problems),
            TokenKind::ChordStart => {
                voice.open_chord().unwrap_or_else(|m| problems.push(m));
                self.chord_start = token.offset;
            }
            TokenKind::ChordEnd(multiplier) => {
                voice.close_chord(multiplier, budget, problems);
                voice.written_at(Written { start: self.chord_start, ..written });
            }
            TokenKind::Tie => voice.tie().unwrap_or_else(|m| problems.push(m)),
            TokenKind::Broken { marks, longer_first } => voice.broken_rhythm(marks, longer_first, problems),
            TokenKind::Tuplet { p, q, r } => voice.start_tuplet(p, q, r).unwrap_or_else(|m| problems.push(m)),
            TokenKind::BarLine => {
                if voice.in_chord() {
                    problems.push("bar line inside a chord: expected ']' first".to_string());
                    voice.close_chord(Length::ONE, budget, problems);
                    voice.written_at(Written { start: self.chord_start, end: token.offset, ..written });
                }
                voice.bar_line();
            }
            TokenKind::Overlay => voice.overlay(),
            TokenKind::InlineField { .. } | TokenKind::Invalid(_) => {}
        }
        self.flush_problems(line, token.offset);
    }

    fn flush_problems(&mut self, line: SourceLine<'_>, offset: usize) {
        for message in self.problems.drain(..) {
            self.report.at(line.number, line.text, offset, message);
        }
    }

    /// The score: parts in order of first appearance, timelines, pickup.
    pub fn finish(mut self) -> (ParsedAbc, Vec<NoteSource>) {
        let initial_metre = self.metres.iter().rev().find(|(tick, _)| *tick == 0).map_or(DEFAULT_METRE, |m| m.1);
        let metres = self.metres.iter().filter_map(|&(tick, metre)| metre.map(|m| (tick, m))).collect();
        self.score.time_signatures = timeline(metres, (4, 4))
            .into_iter()
            .map(|(tick, (numerator, denominator))| TimeSignature { tick, numerator, denominator })
            .collect();
        self.score.key_signatures = timeline(std::mem::take(&mut self.keys), Key::default())
            .into_iter()
            .map(|(tick, key)| KeyChange { tick, key })
            .collect();
        self.score.tempo = TempoMap::from_changes(std::mem::take(&mut self.tempi));
        if let (Some(_), Some(first)) = (initial_metre, self.voices.first()) {
            let bar = self.score.time_signatures[0].bar_ticks(ABC_TICKS_PER_QUARTER);
            self.score.pickup_ticks = first.first_bar_end.filter(|end| *end < bar).unwrap_or(0);
        }
        self.found.voices = self.voices.len();
        let voice_ids = self.voices.iter().map(|voice| voice.id.clone()).collect();
        let mut sources = Vec::new();
        for (part, voice) in self.voices.into_iter().enumerate() {
            let (built, written) = into_part(voice);
            sources.extend(written.into_iter().map(|(note, at)| NoteSource { part, note, at }));
            self.score.parts.push(built);
        }
        let diagnostics = self.report.finish();
        (ParsedAbc { score: self.score, found: self.found, diagnostics, voice_ids, staves: self.staves }, sources)
    }
}

/// ABC 2.1's default unit length for a metre.
fn default_unit(metre: Metre) -> Length {
    match metre {
        Some((numerator, denominator)) if 4 * u32::from(numerator) < 3 * u32::from(denominator) => Length::new(1, 16),
        _ => Length::new(1, 8),
    }
}

/// Changes sorted by tick (the last one read wins at a tick), without repeats, starting
/// at tick 0 with `initial` unless a change is there.
fn timeline<T: Copy + PartialEq>(mut changes: Vec<(u64, T)>, initial: T) -> Vec<(u64, T)> {
    changes.sort_by_key(|(tick, _)| *tick);
    let mut out: Vec<(u64, T)> = Vec::with_capacity(changes.len() + 1);
    out.push((0, initial));
    for (tick, value) in changes {
        match out.last_mut() {
            Some(last) if last.0 == tick => last.1 = value,
            _ => out.push((tick, value)),
        }
    }
    out.dedup_by(|later, earlier| later.1 == earlier.1);
    out
}

/// A voice's part (notes sorted by start, then pitch) and where its notes were written,
/// by their index in the part. Instrument from `%%MIDI program`, else from its name, else
/// program 0.
fn into_part(mut voice: Voice) -> (Part, Vec<(usize, Written)>) {
    let key = |n: &crate::score::Note| (n.start, n.pitch);
    if !voice.notes.is_sorted_by_key(key) {
        let mut order: Vec<usize> = (0..voice.notes.len()).collect();
        order.sort_by_key(|&i| key(&voice.notes[i]));
        let mut moved_to = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            moved_to[old] = new;
        }
        voice.notes = order.iter().map(|&i| voice.notes[i]).collect();
        voice.written.iter_mut().for_each(|(note, _)| *note = moved_to[*note]);
    }
    let mut instrument = if voice.drum {
        Instrument::drums()
    } else {
        let program = voice.program.or_else(|| voice.name.as_deref().and_then(gm_program_by_name));
        Instrument::from_program(program.unwrap_or(0))
    };
    instrument.label = voice.name.clone();
    let part =
        Part { name: voice.name, instrument, channel: voice.drum.then_some(9), is_drum: voice.drum, notes: voice.notes };
    (part, voice.written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelines_keep_the_last_change_per_tick_and_drop_repeats() {
        let changes = vec![(960, 'b'), (0, 'a'), (960, 'c'), (1920, 'c'), (2880, 'a')];
        assert_eq!(timeline(changes, 'x'), vec![(0, 'a'), (960, 'c'), (2880, 'a')]);
        assert_eq!(timeline(vec![(480, 'b')], 'x'), vec![(0, 'x'), (480, 'b')]);
    }

    #[test]
    fn every_note_knows_where_it_was_written() {
        let text = "X:1\nL:1/8\nK:C\nV:1\nB2 [EC]- [CE] | G>A\nV:2\n[Bd\n";
        let (parsed, sources) = super::super::parse_with_sources(text);
        let at = |line, start, end| Written { line, start, end };
        let placed: Vec<(usize, u8, Written)> =
            sources.iter().map(|s| (s.part, parsed.score.parts[s.part].notes[s.note].pitch, s.at)).collect();
        assert_eq!(
            placed,
            [
                (0, 71, at(5, 0, 2)),
                // Sorted into the part by pitch, the chord's notes keep their element; the tie's
                // second chord sounds the same notes.
                (0, 64, at(5, 3, 7)),
                (0, 60, at(5, 3, 7)),
                (0, 60, at(5, 9, 13)),
                (0, 64, at(5, 9, 13)),
                (0, 67, at(5, 16, 17)),
                (0, 69, at(5, 18, 19)),
                // An unclosed chord runs to the end of its line.
                (1, 71, at(7, 0, 3)),
                (1, 74, at(7, 0, 3)),
            ]
        );
    }

    #[test]
    fn default_unit_follows_the_metre() {
        assert_eq!(default_unit(Some((2, 4))), Length::new(1, 16));
        assert_eq!(default_unit(Some((3, 4))), Length::new(1, 8));
        assert_eq!(default_unit(Some((6, 8))), Length::new(1, 8));
        assert_eq!(default_unit(None), Length::new(1, 8));
    }
}
