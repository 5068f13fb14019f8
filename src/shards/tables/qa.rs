//! The `qa` table: one row per `QaPair`.

use arrow_array::ArrayRef;

use super::{Row, split_names, strings, text_size};
use crate::datasets::Split;
use crate::qa::QaPair;
use crate::shards::schema::Table;


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
            + text_size(self.kind.name())
    }

    fn to_columns(rows: &[Self]) -> anyhow::Result<Vec<ArrayRef>> {
        Ok(vec![
            strings(rows.iter().map(|r| r.id.as_str())),
            strings(rows.iter().map(|r| r.clip_id.as_str())),
            split_names(rows),
            strings(rows.iter().map(|r| r.kind.name())),
            strings(rows.iter().map(|r| r.question.as_str())),
            strings(rows.iter().map(|r| r.answer.as_str())),
        ])
    }
}
