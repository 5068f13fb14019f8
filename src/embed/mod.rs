//! Embeddings: models that turn a clip's audio into a [frames x dim] array, and the shared
//! code around them: cutting the clip's samples out of its recording at the model's rate
//! (`window`, `resample`) and pooling the model's native frames to the table's 10 Hz
//! (`pool`).
//!
//! Every model sits behind [`Embedder`], so `prep embed` does not know which one it runs:
//! `mel` (a log-mel spectrogram, no weights, labelled `Provenance::LogMel` in the table so
//! nobody mistakes it for a learned representation), `whisper` (`whisper`) and `jukebox`
//! (`jukebox`). `spec` turns the command's options into one, its weights found by
//! `weights`; `device` says where it runs.
//!
//! `table` is the stage that writes a dataset's embeddings table with one of them. The
//! models write no files and decode nothing themselves (`crate::audio` does).

pub mod device;
pub mod jukebox;
pub mod mel;
pub mod pool;
pub mod resample;
pub mod spec;
pub mod table;
pub mod weights;
pub mod whisper;
pub mod window;

use anyhow::Result;

pub use device::{DType, Device};
pub use mel::LogMel;
pub use pool::{Pooling, pool};
pub use spec::{EmbedderSpec, Model};

/// Where a row's features come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Activations of a real pretrained model.
    ModelWeights,
    /// Log-mel spectrogram frames (the model-free fallback).
    LogMel,
}

impl Provenance {
    pub fn name(self) -> &'static str {
        match self {
            Provenance::ModelWeights => "model_weights",
            Provenance::LogMel => "log_mel",
        }
    }
}

/// Frames of an embedding, row-major: frame 0's `dim` values, then frame 1's, and so on.
#[derive(Debug, Clone, PartialEq)]
pub struct Frames {
    pub dim: usize,
    pub values: Vec<f32>,
}

impl Frames {
    /// Number of frames (rows).
    pub fn count(&self) -> usize {
        self.values.len() / self.dim.max(1)
    }

    /// Frame `index` as a slice of `dim` values.
    pub fn frame(&self, index: usize) -> &[f32] {
        &self.values[index * self.dim..(index + 1) * self.dim]
    }
}

/// A model's native frame grid: frame `j` stands for input samples
/// `[j * hop, (j + 1) * hop)` at `sample_rate`, so the frame rate is `sample_rate / hop` Hz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameGrid {
    pub sample_rate: u32,
    pub hop: u32,
}

impl FrameGrid {
    pub fn rate_hz(&self) -> f64 {
        f64::from(self.sample_rate) / f64::from(self.hop)
    }
}

/// A model that embeds mono audio at its own sample rate.
pub trait Embedder: Send + Sync {
    /// The `model` column, e.g. `mel`.
    fn name(&self) -> &str;
    /// The `layer` column: the layer whose output is the embedding (0 for layerless models).
    fn layer(&self) -> u32;
    /// What the features are (learned activations or a spectrogram).
    fn provenance(&self) -> Provenance;
    /// The native frame grid (and with it the input sample rate).
    fn grid(&self) -> FrameGrid;
    /// Values per frame.
    fn width(&self) -> usize;
    /// The native frames of `samples` (mono, at `grid().sample_rate`). Frames past the end
    /// of the input, if the model makes any, are ignored by pooling.
    fn embed(&self, samples: &[f32]) -> Result<Frames>;
    /// The native frames of several clips at once (one forward pass for models that batch);
    /// the result is in the order of `clips`.
    fn embed_batch(&self, clips: &[&[f32]]) -> Result<Vec<Frames>> {
        clips.iter().map(|clip| self.embed(clip)).collect()
    }
    /// Whether `prep embed` should embed clips on several threads at once. Models whose
    /// forward pass already uses every core (or a GPU) say no and get batches instead.
    fn parallel_clips(&self) -> bool {
        true
    }
}
