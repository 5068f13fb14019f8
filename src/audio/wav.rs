//! Mono 16-bit PCM WAV encoding: the canonical 44-byte RIFF header and little-endian
//! samples, readable by every audio library.

use super::MonoAudio;

const HEADER_BYTES: usize = 44;

/// The audio as a complete WAV file: mono, 16-bit PCM, samples clamped to full scale.
pub fn encode_pcm16(audio: &MonoAudio) -> Vec<u8> {
    let data_bytes = audio.samples.len() * 2;
    let mut out = Vec::with_capacity(HEADER_BYTES + data_bytes);
    let riff_size = (HEADER_BYTES - 8 + data_bytes) as u32;
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_size.to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // channels
    out.extend_from_slice(&audio.sample_rate.to_le_bytes());
    out.extend_from_slice(&(audio.sample_rate * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_bytes as u32).to_le_bytes());
    for &sample in &audio.samples {
        out.extend_from_slice(&to_i16(sample).to_le_bytes());
    }
    out
}

/// The duration of a WAV that `encode_pcm16` wrote, from its header; `None` for bytes that
/// are not one.
pub fn pcm16_duration_s(wav: &[u8]) -> Option<f64> {
    let field = |at: usize| Some(u32::from_le_bytes(wav.get(at..at + 4)?.try_into().ok()?));
    let is_ours = wav.starts_with(b"RIFF") && wav.get(8..16) == Some(b"WAVEfmt ") && wav.get(36..40) == Some(b"data");
    let (sample_rate, data_bytes) = (field(24)?, field(40)?);
    (is_ours && sample_rate > 0).then(|| f64::from(data_bytes) / 2.0 / f64::from(sample_rate))
}

/// The inverse of the decoders' `i16 / 32768`, so 16-bit sources pass through exactly.
fn to_i16(sample: f32) -> i16 {
    (sample * 32768.0)
        .round()
        .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}
