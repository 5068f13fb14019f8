//! `mel`: the model-free embedding, a log-mel spectrogram.
//!
//! Whisper's front end with librosa's defaults, so it can be checked against librosa
//! number for number: 16 kHz input, a 400-sample (25 ms) periodic Hann window every 160
//! samples (10 ms, so 100 frames per second and exactly 10 per 100 ms), STFT centred with
//! zero padding (`librosa.stft(center=True, pad_mode="constant")`), power spectrum, 128
//! mel bands from 0 Hz to 8 kHz on the Slaney scale with Slaney area normalisation
//! (`librosa.filters.mel(htk=False, norm="slaney")`), then `log10(max(power, 1e-10))`.
//!
//! The log is the plain base-10 log of the power, not decibels relative to the clip's
//! maximum and not Whisper's clamp to the top 8 decades: a frame's values do not depend on
//! the rest of the clip. It carries no learned information and is labelled `log_mel` in
//! the table.
//!
//! The same STFT and filterbank, with the ends padded by reflection instead of zeros
//! ([`Padding::Reflect`]), are the first half of Whisper's front end (`super::whisper`).

use std::sync::Arc;

use anyhow::{Context, Result, ensure};
use realfft::{RealFftPlanner, RealToComplex};

use super::{Embedder, FrameGrid, Frames};
use crate::embed::Provenance;

pub const SAMPLE_RATE: u32 = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const N_MELS: usize = 128;
/// The floor under the mel power before the log.
pub const POWER_FLOOR: f32 = 1e-10;

/// How the centred STFT extends the signal by `N_FFT / 2` samples at each end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// Zeros (`librosa.stft(pad_mode="constant")`): the `mel` model.
    Zeros,
    /// The signal mirrored about its first and last samples, which are not repeated
    /// (`torch.stft`'s default `pad_mode="reflect"`): Whisper's feature extractor.
    Reflect,
}

/// One triangular mel filter: its weights on consecutive FFT bins from `first_bin`.
#[derive(Debug, Clone, PartialEq)]
pub struct MelBand {
    pub first_bin: usize,
    pub weights: Vec<f32>,
}

/// The log-mel embedder (see the module documentation).
pub struct LogMel {
    padding: Padding,
    bands: Vec<MelBand>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl Default for LogMel {
    fn default() -> Self {
        Self::new()
    }
}

impl LogMel {
    /// The `mel` model: zero padding.
    pub fn new() -> Self {
        Self::with_padding(Padding::Zeros)
    }

    pub fn with_padding(padding: Padding) -> Self {
        LogMel {
            padding,
            bands: slaney_filterbank(SAMPLE_RATE, N_FFT, N_MELS),
            window: hann(N_FFT),
            fft: RealFftPlanner::new().plan_fft_forward(N_FFT),
        }
    }

    /// The mel power spectrogram (before the log), `1 + samples.len() / HOP` frames of
    /// `N_MELS` values, as `librosa.feature.melspectrogram` computes it. Reflection needs
    /// more than `N_FFT / 2` samples.
    pub fn mel_power(&self, samples: &[f32]) -> Result<Frames> {
        let padded = pad(samples, self.padding)?;
        let count = 1 + samples.len() / HOP;
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut power = vec![0f32; spectrum.len()];
        let mut values = Vec::with_capacity(count * N_MELS);
        for frame in 0..count {
            let segment = &padded[frame * HOP..frame * HOP + N_FFT];
            for ((x, &s), &w) in input.iter_mut().zip(segment).zip(&self.window) {
                *x = s * w;
            }
            self.fft
                .process(&mut input, &mut spectrum)
                .context("computing a short-time Fourier transform")?;
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            values.extend(self.bands.iter().map(|band| {
                let bins = &power[band.first_bin..band.first_bin + band.weights.len()];
                bins.iter().zip(&band.weights).map(|(p, w)| p * w).sum::<f32>()
            }));
        }
        Ok(Frames { dim: N_MELS, values })
    }
}

impl Embedder for LogMel {
    fn name(&self) -> &str {
        "mel"
    }

    fn layer(&self) -> u32 {
        0
    }

    fn provenance(&self) -> Provenance {
        Provenance::LogMel
    }

    fn grid(&self) -> FrameGrid {
        FrameGrid {
            sample_rate: SAMPLE_RATE,
            hop: HOP as u32,
        }
    }

    fn width(&self) -> usize {
        N_MELS
    }

    fn embed(&self, samples: &[f32]) -> Result<Frames> {
        let mut frames = self.mel_power(samples)?;
        for v in &mut frames.values {
            *v = log_power(*v);
        }
        Ok(frames)
    }
}

/// `log10(max(power, 1e-10))`.
pub fn log_power(power: f32) -> f32 {
    power.max(POWER_FLOOR).log10()
}

/// `samples` with `N_FFT / 2` samples more at each end.
fn pad(samples: &[f32], padding: Padding) -> Result<Vec<f32>> {
    let half = N_FFT / 2;
    let mut padded = vec![0f32; samples.len() + N_FFT];
    padded[half..half + samples.len()].copy_from_slice(samples);
    if padding == Padding::Reflect {
        ensure!(
            samples.len() > half,
            "reflection padding needs more than {half} samples; the input has {}",
            samples.len()
        );
        let last = samples.len() - 1;
        for i in 1..=half {
            padded[half - i] = samples[i];
            padded[half + last + i] = samples[last - i];
        }
    }
    Ok(padded)
}

/// The periodic Hann window of length `n` (`scipy.signal.get_window("hann", n)`).
fn hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32)
        .collect()
}

/// `librosa.filters.mel(sr, n_fft, n_mels, fmin=0, fmax=sr/2, htk=False, norm="slaney")`,
/// computed in f64 like librosa and stored as f32, each band as its non-zero run of bins.
pub fn slaney_filterbank(sample_rate: u32, n_fft: usize, n_mels: usize) -> Vec<MelBand> {
    let nyquist = f64::from(sample_rate) / 2.0;
    let bins = 1 + n_fft / 2;
    let fft_hz: Vec<f64> = linspace(0.0, nyquist, bins);
    let edges: Vec<f64> = linspace(hz_to_mel(0.0), hz_to_mel(nyquist), n_mels + 2)
        .into_iter()
        .map(mel_to_hz)
        .collect();
    (0..n_mels)
        .map(|m| {
            let (low, centre, high) = (edges[m], edges[m + 1], edges[m + 2]);
            let norm = 2.0 / (high - low);
            let weights: Vec<f32> = fft_hz
                .iter()
                .map(|&f| {
                    let rising = (f - low) / (centre - low);
                    let falling = (high - f) / (high - centre);
                    (rising.min(falling).max(0.0) * norm) as f32
                })
                .collect();
            let first_bin = weights.iter().position(|&w| w > 0.0).unwrap_or(0);
            let end = weights.iter().rposition(|&w| w > 0.0).map_or(first_bin, |i| i + 1);
            MelBand {
                first_bin,
                weights: weights[first_bin..end].to_vec(),
            }
        })
        .collect()
}

/// `numpy.linspace(start, stop, n)`, last point exactly `stop`.
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    let step = (stop - start) / (n - 1) as f64;
    (0..n)
        .map(|i| if i + 1 == n { stop } else { start + i as f64 * step })
        .collect()
}

/// Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above.
const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflection_mirrors_about_the_end_samples_without_repeating_them() {
        let ramp: Vec<f32> = (0..300).map(|i| i as f32).collect();
        let padded = pad(&ramp, Padding::Reflect).unwrap();
        assert_eq!(padded.len(), 300 + N_FFT);
        // numpy.pad(ramp, 200, mode="reflect") starts 200, 199, ... and ends ..., 99, 98.
        assert_eq!(&padded[..3], &[200.0, 199.0, 198.0]);
        assert_eq!(&padded[198..202], &[2.0, 1.0, 0.0, 1.0]);
        assert_eq!(&padded[498..502], &[298.0, 299.0, 298.0, 297.0]);
        assert_eq!(padded[699], 99.0);
        assert_eq!(&pad(&ramp, Padding::Zeros).unwrap()[..201], &[0.0; 201]);
        assert!(pad(&ramp[..200], Padding::Reflect).is_err());
    }
}
