//! Audio for the clips table: decode a span of a recording (WAV, FLAC, MP3, OGG Vorbis,
//! via symphonia), downmix it to mono, and encode it as 16-bit PCM WAV bytes at the
//! source sample rate, the form the Parquet Audio column embeds.
//!
//! It pads nothing (a span past the end of the file is cut short) and does not resample;
//! consumers that need a fixed length or rate (the embedding models) do that themselves.
//! Every error names the file.

pub mod decode;
pub mod wav;

pub use decode::{decode_span, frame_count};
pub use wav::{encode_pcm16, pcm16_duration_s};

/// Mono samples in [-1, 1] at `sample_rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct MonoAudio {
    pub sample_rate: u32,
    pub samples: Vec<f32>,
}

impl MonoAudio {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}
