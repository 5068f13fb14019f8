//! Shared helpers of the shards tests: WAV fixtures in the sample formats the decoder
//! supports, and small clip, qa and embedding rows.
// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use half::f16;
use prep::clips::{AudioSpan, Clip};
use prep::datasets::Split;
use prep::qa::{QaKind, QaPair};
use prep::embed::Provenance;
use prep::shards::EmbeddingRow;

/// A WAV sample encoding: (format tag, bits per sample).
#[derive(Debug, Clone, Copy)]
pub enum Encoding {
    Int16,
    Int24,
    Int32,
    Float32,
}

impl Encoding {
    fn tag_and_bits(self) -> (u16, u16) {
        match self {
            Encoding::Int16 => (1, 16),
            Encoding::Int24 => (1, 24),
            Encoding::Int32 => (1, 32),
            Encoding::Float32 => (3, 32),
        }
    }

    fn encode(self, sample: f64, out: &mut Vec<u8>) {
        match self {
            Encoding::Int16 => out.extend_from_slice(&((sample * 32768.0).round() as i16).to_le_bytes()),
            Encoding::Int24 => out.extend_from_slice(&((sample * 8_388_608.0).round() as i32).to_le_bytes()[..3]),
            Encoding::Int32 => out.extend_from_slice(&((sample * 2_147_483_648.0).round() as i32).to_le_bytes()),
            Encoding::Float32 => out.extend_from_slice(&(sample as f32).to_le_bytes()),
        }
    }
}

/// A WAV file's bytes: `frames[i][c]` is channel c of frame i, in [-1, 1).
pub fn wav_bytes(sample_rate: u32, encoding: Encoding, frames: &[Vec<f64>]) -> Vec<u8> {
    let channels = frames.first().map_or(1, Vec::len) as u16;
    let (tag, bits) = encoding.tag_and_bits();
    let mut data = Vec::new();
    for frame in frames {
        for &sample in frame {
            encoding.encode(sample, &mut data);
        }
    }
    let block = channels * bits / 8;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(block)).to_le_bytes());
    out.extend_from_slice(&block.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// Frame i of the test signal: exact multiples of 1/256 in [-0.5, 0.5), so every
/// encoding above represents it exactly.
pub fn ramp(i: usize) -> f64 {
    ((i % 256) as f64 - 128.0) / 256.0
}

/// Writes a mono 16-bit ramp of `seconds` at `sample_rate` and returns its path.
pub fn write_ramp_wav(dir: &Path, name: &str, sample_rate: u32, seconds: f64) -> PathBuf {
    let frames: Vec<Vec<f64>> = (0..(seconds * f64::from(sample_rate)) as usize)
        .map(|i| vec![ramp(i)])
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, wav_bytes(sample_rate, Encoding::Int16, &frames)).expect("writing a fixture WAV");
    path
}

/// Clip `index` of piece `piece` (25 s windows), with audio from `audio` if given.
pub fn clip(source: &str, piece: &str, index: u32, split: Split, audio: Option<&Path>) -> Clip {
    let start_s = f64::from(index) * 2.0;
    let end_s = start_s + 2.0;
    Clip {
        id: format!("{source}/{piece}/{index:04}"),
        piece_id: format!("{source}/{piece}"),
        source: source.to_string(),
        split,
        index,
        start_s,
        end_s,
        audio: audio.map(|path| AudioSpan {
            path: path.to_path_buf(),
            start_s,
            end_s,
        }),
        abc: format!("X:1\nT:{piece}\nM:3/4\nL:1/8\nQ:1/4=96\nK:D\nV:1\nABc d2e|\n"),
        tempo_bpm: 96.0,
        metre: "3/4".to_string(),
        key: "D".to_string(),
        instruments: vec!["Violin".to_string(), "Cello".to_string()],
        note_count: 4 + index,
    }
}

pub fn qa(clip: &Clip, kind: QaKind, question: &str, answer: &str) -> QaPair {
    let kind_name = serde_json::to_value(kind).expect("QaKind serializes");
    QaPair {
        id: format!("{}/{}", clip.id, kind_name.as_str().unwrap_or_default()),
        clip_id: clip.id.clone(),
        split: clip.split,
        kind,
        question: question.to_string(),
        answer: answer.to_string(),
    }
}

/// An embedding row of `frames` x `dim` whose value at (f, d) is f + d / 4.
pub fn embedding(clip: &Clip, frames: usize, dim: u32) -> EmbeddingRow {
    let values = (0..frames)
        .flat_map(|f| (0..dim).map(move |d| f16::from_f64(f as f64 + f64::from(d) / 4.0)))
        .collect();
    EmbeddingRow {
        clip_id: clip.id.clone(),
        split: clip.split,
        model: "mel".to_string(),
        layer: 0,
        frame_rate_hz: 50.0,
        dim,
        provenance: Provenance::LogMel,
        valid_frames: frames as u32,
        frames: values,
    }
}
