//! The `clips` table: a `Clip` plus its audio span encoded as WAV bytes.

use std::sync::Arc;

use arrow_array::{ArrayRef, BinaryArray, StringArray, StructArray};
use arrow_buffer::NullBuffer;

use super::{OFFSET_BYTES, Row, float64s, int32s, split_names, string_lists, strings, text_size, to_i32};
use crate::clips::Clip;
use crate::datasets::Split;
use crate::shards::schema::{Table, audio_fields};

/// A clip and, when its audio exists, the WAV bytes of its span (see `crate::audio`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClipRow {
    pub clip: Clip,
    pub wav: Option<Vec<u8>>,
}

impl ClipRow {
    /// The Audio column's `path`: a name for the embedded bytes (`datasets` reads the
    /// bytes; the extension tells readers the format).
    pub fn audio_path(&self) -> String {
        format!("{}.wav", self.clip.id)
    }
}

impl Row for ClipRow {
    const TABLE: Table = Table::Clips;

    fn split(&self) -> Split {
        self.clip.split
    }

    fn size_estimate(&self) -> usize {
        let c = &self.clip;
        let texts = [&c.id, &c.piece_id, &c.source, &c.abc, &c.metre, &c.key];
        let audio = self
            .wav
            .as_ref()
            .map_or(0, |w| text_size(&self.audio_path()) + w.len() + OFFSET_BYTES);
        let instruments = c.instruments.iter().map(|s| text_size(s)).sum::<usize>() + OFFSET_BYTES;
        let numbers = 3 * 8 + 2 * 4; // start_s, end_s, tempo_bpm; index, note_count
        texts.iter().map(|s| text_size(s)).sum::<usize>() + text_size(c.split.name()) + instruments + numbers + audio
    }

    fn to_columns(rows: &[Self]) -> anyhow::Result<Vec<ArrayRef>> {
        let clips = || rows.iter().map(|r| &r.clip);
        let indices = clips()
            .map(|c| to_i32(c.index, "clip index"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let note_counts = clips()
            .map(|c| to_i32(c.note_count, "note count"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(vec![
            strings(clips().map(|c| c.id.as_str())),
            strings(clips().map(|c| c.piece_id.as_str())),
            strings(clips().map(|c| c.source.as_str())),
            split_names(rows),
            int32s(indices.into_iter()),
            float64s(clips().map(|c| c.start_s)),
            float64s(clips().map(|c| c.end_s)),
            audio_column(rows)?,
            strings(clips().map(|c| c.abc.as_str())),
            float64s(clips().map(|c| tempo_column(c.tempo_bpm))),
            strings(clips().map(|c| c.metre.as_str())),
            strings(clips().map(|c| c.key.as_str())),
            string_lists(clips().map(|c| &c.instruments)),
            int32s(note_counts.into_iter()),
        ])
    }
}

/// A tempo as the table stores it: rounded to 1/1000 BPM. MIDI states a tempo in whole
/// microseconds per quarter note, so `60e6 / 521739` reads 115.0000287500072 BPM; the
/// rounding changes a tempo by at most 0.0005 BPM, far below any difference a score or
/// a listener makes, and gives the value the score meant (115).
fn tempo_column(bpm: f64) -> f64 {
    (bpm * 1000.0).round() / 1000.0
}

/// The Audio struct column {bytes, path}, null where the clip has no audio.
fn audio_column(rows: &[ClipRow]) -> anyhow::Result<ArrayRef> {
    let bytes = BinaryArray::from_iter(rows.iter().map(|r| r.wav.as_deref()));
    let paths = StringArray::from_iter(rows.iter().map(|r| r.wav.as_ref().map(|_| r.audio_path())));
    let valid = NullBuffer::from_iter(rows.iter().map(|r| r.wav.is_some()));
    let array = StructArray::try_new(audio_fields(), vec![Arc::new(bytes), Arc::new(paths)], Some(valid))?;
    Ok(Arc::new(array))
}
