//! The `embeddings` table: per clip, model and layer, a [frames x dim] float16 array.

use std::sync::Arc;

use anyhow::bail;
use arrow_array::ArrayRef;
use arrow_array::builder::{Float16Builder, ListBuilder};
use half::f16;

use super::{OFFSET_BYTES, Row, float64s, int32s, split_names, strings, text_size, to_i32};
use crate::datasets::Split;
use crate::embed::Provenance;
use crate::shards::schema::Table;

/// One row of the `embeddings` table. `frames` is row-major: frame 0's `dim` values,
/// then frame 1's, and so on.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingRow {
    pub clip_id: String,
    pub split: Split,
    pub model: String,
    pub layer: u32,
    pub frame_rate_hz: f64,
    pub dim: u32,
    pub provenance: Provenance,
    /// Leading frames that hold any of the clip's audio; the rest cover the zero padding
    /// of a clip shorter than the nominal length.
    pub valid_frames: u32,
    pub frames: Vec<f16>,
}

/// The `dtype` column: frames are always stored as float16.
pub const FRAMES_DTYPE: &str = "float16";

impl EmbeddingRow {
    /// Number of frames (rows of the array).
    pub fn frame_count(&self) -> usize {
        self.frames.len() / self.dim.max(1) as usize
    }
}

impl Row for EmbeddingRow {
    const TABLE: Table = Table::Embeddings;

    fn split(&self) -> Split {
        self.split
    }

    fn size_estimate(&self) -> usize {
        let texts = [
            self.clip_id.as_str(),
            &self.model,
            self.split.name(),
            FRAMES_DTYPE,
            self.provenance.name(),
        ];
        let numbers = 8 + 3 * 4; // frame_rate_hz; layer, dim, valid_frames
        let frames = self.frames.len() * 2 + (self.frame_count() + 1) * OFFSET_BYTES;
        texts.iter().map(|s| text_size(s)).sum::<usize>() + numbers + frames
    }

    fn to_columns(rows: &[Self]) -> anyhow::Result<Vec<ArrayRef>> {
        let mut layers = Vec::with_capacity(rows.len());
        let mut dims = Vec::with_capacity(rows.len());
        let mut valid = Vec::with_capacity(rows.len());
        for row in rows {
            if row.dim == 0 || row.frames.len() % row.dim as usize != 0 {
                bail!(
                    "{}: {} values are not whole frames of dim {}",
                    row.clip_id,
                    row.frames.len(),
                    row.dim
                );
            }
            if row.valid_frames as usize > row.frame_count() {
                bail!("{}: {} valid frames of {}", row.clip_id, row.valid_frames, row.frame_count());
            }
            layers.push(to_i32(row.layer, "layer")?);
            dims.push(to_i32(row.dim, "dim")?);
            valid.push(to_i32(row.valid_frames, "valid_frames")?);
        }
        Ok(vec![
            strings(rows.iter().map(|r| r.clip_id.as_str())),
            split_names(rows),
            strings(rows.iter().map(|r| r.model.as_str())),
            int32s(layers.into_iter()),
            float64s(rows.iter().map(|r| r.frame_rate_hz)),
            int32s(dims.into_iter()),
            strings(rows.iter().map(|_| FRAMES_DTYPE)),
            strings(rows.iter().map(|r| r.provenance.name())),
            int32s(valid.into_iter()),
            frames_column(rows),
        ])
    }
}

/// list<list<float16>>: one outer list per row, one inner list per frame.
fn frames_column(rows: &[EmbeddingRow]) -> ArrayRef {
    let mut builder = ListBuilder::new(ListBuilder::new(Float16Builder::new()));
    for row in rows {
        for frame in row.frames.chunks(row.dim as usize) {
            builder.values().values().append_slice(frame);
            builder.values().append(true);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}
