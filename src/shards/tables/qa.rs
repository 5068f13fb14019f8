//! The `qa` table: one row per `QaPair`.

use arrow_array::ArrayRef;

use super::{Row, split_names, strings, text_size};
use crate::datasets::Split;
use crate::qa::{QaKind, QaPair};
use crate::shards::schema::Table;

/// The `kind` column's spelling (the same as the JSONL's).
pub fn kind_name(kind: QaKind) -> &'static str {
    match kind {
        QaKind::Tempo => "tempo",
        QaKind::Metre => "metre",
        QaKind::Key => "key",
        QaKind::Instruments => "instruments",
        QaKind::InstrumentCount => "instrument_count",
        QaKind::Transcription => "transcription",
    }
}

impl Row for QaPair {
    const TABLE: Table = Table::Qa;

    fn split(&self) -> Split {
        self.split
    }

    fn size_estimate(&self) -> usize {
        [&self.id, &self.clip_id, &self.question, &self.answer]
            .iter()
            .map(|s| text_size(s))
            .sum::<usize>()
            + text_size(self.split.name())
            + text_size(kind_name(self.kind))
    }

    fn to_columns(rows: &[Self]) -> anyhow::Result<Vec<ArrayRef>> {
        Ok(vec![
            strings(rows.iter().map(|r| r.id.as_str())),
            strings(rows.iter().map(|r| r.clip_id.as_str())),
            split_names(rows),
            strings(rows.iter().map(|r| kind_name(r.kind))),
            strings(rows.iter().map(|r| r.question.as_str())),
            strings(rows.iter().map(|r| r.answer.as_str())),
        ])
    }
}
