//! A clip's audio at a model's rate, in sample-exact agreement with the clip's ABC window.
//!
//! A clip covers `[start_s, end_s)` of its recording. At the model's rate `r` that is the
//! samples `[round(start_s * r), round(end_s * r))`: both ends are rounded (rather than
//! the length), so clips that touch in seconds (`end_s` of one is `start_s` of the next)
//! tile the resampled recording without a gap or an overlap. A clip shorter than the
//! nominal clip length (the last of a piece, or one whose recording ends early) is padded
//! with zeros to `round(nominal_s * r)` samples, so every frame past its audio is of
//! silence; `ClipAudio::audio_samples` says how many samples are the recording's.
//!
//! Resampling a span on its own would treat the audio just outside it as silence and
//! smear the clip's edges. So the recording is decoded with `CONTEXT_S` of context on both
//! sides, starting on a source sample whose time is also on the model's sample grid (a
//! multiple of `rate_in / gcd(rate_in, r)` samples), resampled, and cut: the clip's
//! samples are then exactly the samples of the whole recording resampled in one go.
//! Memory is bounded by a clip plus its context, never by the file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use num_integer::gcd;

use super::resample::resample;
use crate::audio::decode_span;

/// Audio decoded on each side of a clip so its edges resample as inside the recording.
const CONTEXT_S: f64 = 0.1;

/// A clip's samples at a model rate: `[first, first + audio_len)` of the resampled
/// recording, padded to `padded_len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipWindow {
    pub first: u64,
    pub audio_len: usize,
    pub padded_len: usize,
}

/// The window of the clip `[start_s, end_s)` at `rate`, padded to `nominal_s`.
pub fn clip_window(start_s: f64, end_s: f64, nominal_s: f64, rate: u32) -> ClipWindow {
    let at = |s: f64| (s * f64::from(rate)).round().max(0.0) as u64;
    let (first, end) = (at(start_s), at(end_s));
    let audio_len = end.saturating_sub(first) as usize;
    ClipWindow {
        first,
        audio_len,
        padded_len: audio_len.max(at(nominal_s) as usize),
    }
}

/// A clip's samples at the model rate.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipAudio {
    /// `ClipWindow::padded_len` samples.
    pub samples: Vec<f32>,
    /// How many leading samples come from the recording (the rest are padding).
    pub audio_samples: usize,
}

/// Decodes the clip `[start_s, end_s)` of the recording at `path` as mono samples at
/// `rate`, padded to `nominal_s` (see the module documentation). A clip past the end of
/// the recording is all padding (`audio_samples` 0); the caller decides if that is wrong.
pub fn clip_audio(path: &Path, start_s: f64, end_s: f64, nominal_s: f64, rate: u32) -> Result<ClipAudio> {
    let window = clip_window(start_s, end_s, nominal_s, rate);
    let rate_in = decode_span(path, 0.0, 0.0)?.sample_rate;
    if rate_in == 0 {
        bail!("{}: the sample rate is 0", path.display());
    }
    let (rate_in, rate_out) = (u64::from(rate_in), u64::from(rate));
    // Source samples per step of the grid shared by both rates.
    let step = rate_in / gcd(rate_in, rate_out);
    let context = (CONTEXT_S * rate_in as f64).ceil() as u64;
    let first_in = (window.first * rate_in / rate_out).saturating_sub(context) / step * step;
    let end_in = (window.first + window.audio_len as u64) * rate_in / rate_out + 1 + context;
    let decoded = decode_span(path, first_in as f64 / rate_in as f64, end_in as f64 / rate_in as f64)?;
    let resampled = resample(&decoded.samples, decoded.sample_rate, rate)
        .with_context(|| format!("resampling {}", path.display()))?;
    // The resampled signal starts on the model grid at sample `first_in * rate / rate_in`.
    let skip = (window.first - first_in * rate_out / rate_in) as usize;
    let available = resampled.len().saturating_sub(skip).min(window.audio_len);
    // The clip's samples, in place (a copy of a whole recording costs as much as decoding).
    let mut samples = resampled;
    samples.drain(..skip.min(samples.len()));
    samples.truncate(available);
    samples.resize(window.padded_len, 0.0);
    Ok(ClipAudio {
        samples,
        audio_samples: available,
    })
}
