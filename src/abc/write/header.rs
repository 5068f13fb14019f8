//! The tune header: `X:`, `T:`, `M:`, `L:`, `Q:`, `%%score`, one `V:` (with its clef
//! and `%%MIDI` program or drum channel) per voice, and `K:` last.

use std::fmt::Write;

use super::bars::Timeline;
use super::voices::Voice;
use crate::score::Score;

/// General MIDI program of the viola, the one instrument written in the alto clef.
const VIOLA: u8 = 41;
/// Voices whose median pitch is below G3 are written in the bass clef.
const BASS_CLEF_BELOW: u8 = 55;

/// Writes the header of `score`, whose voices are `voices`, ending with the `K:` line.
pub fn write_header(
    out: &mut String,
    score: &Score,
    index: u32,
    unit: (u32, u32),
    voices: &[Voice],
    timeline: &Timeline,
) {
    let _ = writeln!(out, "X:{index}");
    if let Some(title) = score.title.as_deref().map(one_line).filter(|t| !t.is_empty()) {
        let _ = writeln!(out, "T:{title}");
    }
    let (n, d) = timeline.metres[0];
    let _ = writeln!(out, "M:{n}/{d}");
    let _ = writeln!(out, "L:{}/{}", unit.0, unit.1);
    let _ = writeln!(out, "Q:1/4={}", timeline.first_bpm);
    if voices.len() > 1 {
        write_score_directive(out, voices);
    }
    for (number, voice) in voices.iter().enumerate() {
        let Some(part) = voice.part.and_then(|p| score.parts.get(p)) else {
            continue;
        };
        let name = one_line(&part.instrument.name).replace('"', "'");
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
        if part.is_drum {
            out.push_str("%%MIDI channel 10\n");
        } else {
            let _ = writeln!(out, "%%MIDI program {}", part.instrument.program);
        }
    }
    let _ = writeln!(out, "K:{}", timeline.first_key);
}

/// `%%score 1 (2 3) 4`: one staff per part, the extra voices of a part sharing its staff.
fn write_score_directive(out: &mut String, voices: &[Voice]) {
    out.push_str("%%score");
    let mut first = 0;
    while first < voices.len() {
        let count = voices[first..].iter().take_while(|v| v.part == voices[first].part).count();
        out.push(' ');
        if count > 1 {
            out.push('(');
        }
        for number in first + 1..=first + count {
            let _ = write!(out, "{number}");
            if number < first + count {
                out.push(' ');
            }
        }
        if count > 1 {
            out.push(')');
        }
        first += count;
    }
    out.push('\n');
}

/// Median pitch of a voice's notes (each chord note counted), `None` without notes.
fn median_pitch(voice: &Voice) -> Option<u8> {
    let mut counts = [0u32; 128];
    for &pitch in &voice.pitches {
        counts[usize::from(pitch & 0x7f)] += 1;
    }
    let middle = voice.pitches.len().checked_sub(1)? / 2;
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
