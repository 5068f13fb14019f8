//! The tune header: `X:`, `T:`, `M:`, `L:`, `Q:`, one `V:` per part (its name, clef,
//! `%%MIDI channel` and `%%MIDI program`), and `K:` last.

use std::fmt::Write;

use super::bars::Timeline;
use super::tempo::Tempo;
use super::voices::Voice;
use crate::score::{Score, part_name};

/// General MIDI program of the viola, the one instrument written in the alto clef.
const VIOLA: u8 = 41;
/// Voices whose median pitch is below G3 are written in the bass clef.
const BASS_CLEF_BELOW: u8 = 55;

/// Channels (1-based) for the parts that are not drums, in order; drums play on 10.
const CHANNELS: [u8; 15] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16];
const DRUM_CHANNEL: u8 = 10;

/// Writes the header of `score`, whose voices are `voices`, ending with the `K:` line.
pub fn write_header(
    out: &mut String,
    score: &Score,
    index: u32,
    unit: (u32, u32),
    voices: &[Voice],
    timeline: &Timeline,
    first_tempo: Tempo,
) {
    let _ = writeln!(out, "X:{index}");
    if let Some(title) = score.title.as_deref().map(one_line).filter(|t| !t.is_empty()) {
        let _ = writeln!(out, "T:{title}");
    }
    let (n, d) = timeline.metres[0];
    let _ = writeln!(out, "M:{n}/{d}");
    let _ = writeln!(out, "L:{}/{}", unit.0, unit.1);
    let _ = writeln!(out, "Q:{first_tempo}");
    let channels = midi_channels(score, voices);
    for (number, (voice, channel)) in voices.iter().zip(channels).enumerate() {
        let Some(part) = voice.part.and_then(|p| score.parts.get(p)) else {
            continue;
        };
        let name = one_line(part_name(part, score.title.as_deref())).replace('"', "'");
        let clef = if part.is_drum {
            "perc"
        } else if part.instrument.program == VIOLA {
            "alto"
        } else if median_pitch(voice).is_some_and(|m| m < BASS_CLEF_BELOW) {
            "bass"
        } else {
            "treble"
        };
        let _ = writeln!(out, "V:{} name=\"{name}\" clef={clef}", number + 1);
        let _ = writeln!(out, "%%MIDI channel {channel}");
        if !part.is_drum {
            let _ = writeln!(out, "%%MIDI program {}", part.instrument.program);
        }
    }
    let _ = writeln!(out, "K:{}", timeline.first_key);
}

/// The MIDI channel each voice plays on, its overlays included: drums on 10, the other
/// parts on 1-9 and 11-16 in order. Past 15 such parts a part shares the channel of an
/// earlier part with the same program, failing that the channels are reused in turn;
/// abc2midi refuses a tune whose voices need more than 16 channels.
fn midi_channels(score: &Score, voices: &[Voice]) -> Vec<u8> {
    let mut given: Vec<(u8, u8)> = Vec::new();
    let mut reused = 0;
    voices
        .iter()
        .map(|voice| {
            let Some(part) = voice.part.and_then(|p| score.parts.get(p)) else { return CHANNELS[0] };
            if part.is_drum {
                return DRUM_CHANNEL;
            }
            let program = part.instrument.program;
            let channel = if given.len() < CHANNELS.len() {
                CHANNELS[given.len()]
            } else if let Some(&(_, channel)) = given.iter().find(|g| g.0 == program) {
                channel
            } else {
                reused += 1;
                CHANNELS[(reused - 1) % CHANNELS.len()]
            };
            given.push((program, channel));
            channel
        })
        .collect()
}

/// Median pitch of a voice's notes (each chord note counted), `None` without notes.
fn median_pitch(voice: &Voice) -> Option<u8> {
    let mut counts = [0u32; 128];
    let mut total = 0usize;
    for pitch in voice.pitches() {
        counts[usize::from(pitch & 0x7f)] += 1;
        total += 1;
    }
    let middle = total.checked_sub(1)? / 2;
    let mut seen = 0usize;
    (0u8..128).find(|&p| {
        seen += counts[usize::from(p)] as usize;
        seen > middle
    })
}

/// A header value on one line.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}
