//! Short-form question/answer pairs per clip, from templates, seeded and checkable.

use crate::datasets::Split;

/// What a pair asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QaKind {
    Tempo,
    Metre,
    Key,
    Instruments,
    InstrumentCount,
    Transcription,
}

/// One row of the `qa` table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QaPair {
    /// `{clip_id}/{kind}`.
    pub id: String,
    pub clip_id: String,
    pub split: Split,
    pub kind: QaKind,
    pub question: String,
    pub answer: String,
}
