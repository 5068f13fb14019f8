//! Laying the voices' bars out as lines of text: each voice whole (`V:1` then its
//! bars), or interleaved blocks (`[V:1] ...` then `[V:2] ...` for the same bars).

use std::fmt::Write;

use super::Layout;
use super::text::VoiceText;

/// Appends the tune body. `labelled` is false only for the single unnamed voice of an
/// empty score, which needs no `V:` label. The last bar line of each voice is `|]`.
pub fn write_body(out: &mut String, voices: &[VoiceText], labelled: bool, layout: Layout, bars_per_line: usize) {
    let bars = voices.first().map_or(0, |v| v.bar_ends.len());
    let per_line = bars_per_line.max(1);
    let lines = bars.div_ceil(per_line);
    let line = |out: &mut String, voice: &VoiceText, index: usize| {
        let from = index * per_line;
        let to = (from + per_line).min(bars);
        out.push_str(voice.bars(from, to));
        if to == bars {
            out.push(']');
        }
        out.push('\n');
    };
    match layout {
        Layout::Voices => {
            for (number, voice) in voices.iter().enumerate() {
                if labelled {
                    let _ = writeln!(out, "V:{}", number + 1);
                }
                for index in 0..lines {
                    line(out, voice, index);
                }
            }
        }
        Layout::Interleaved => {
            for index in 0..lines {
                for (number, voice) in voices.iter().enumerate() {
                    if labelled {
                        let _ = write!(out, "[V:{}] ", number + 1);
                    }
                    line(out, voice, index);
                }
            }
        }
    }
}
