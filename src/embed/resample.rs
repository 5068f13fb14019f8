//! Resampling a clip's mono samples to a model's rate: a windowed-sinc low-pass at the exact
//! rational ratio of the two rates, applied by FFT (overlap-save).
//!
//! Reduced by their greatest common divisor, the rates are a ratio `up / down` (48 kHz ->
//! 44.1 kHz is 147/160). The input is cut into overlapping segments of `down * n` samples;
//! each is transformed, multiplied by the filter's spectrum, cut (or zero-padded) to the
//! output rate's band and transformed back at `up * n` points, which evaluates the filtered
//! segment on the output grid. Samples near a segment's start, where the circular
//! convolution wraps around, are dropped, and the segments overlap by the filter's length.
//! This is the exact form of a sinc resampler for a fixed ratio (nothing is interpolated
//! from a table), at a few FFT operations per output sample instead of one multiply-add per
//! filter tap.
//!
//! The filter: a windowed sinc with rubato's design (`rubato::sinc::make_sincs`): squared
//! Blackman-Harris window, cutoff from rubato's fit for that window and length
//! (`rubato::windows::calculate_cutoff`), scaled to the lower of the two Nyquist
//! frequencies, unit DC gain. It is at least 256 samples long at the lower of the two rates
//! (so its transition band ends below the output's Nyquist frequency), and centred on a whole
//! number of output samples, so timing is exact: output sample `k` is the input's value at
//! time `k / rate_out`. The signal past both ends is taken as silence.
//! `tests/embed_reference.rs` checks the result against soxr's HQ preset.

use std::f64::consts::PI;
use std::sync::Arc;

use anyhow::{Result, bail};
use num_integer::gcd;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// The filter spans at least this many samples on each side of its centre, at the lower of
/// the two rates.
const MIN_HALF_TAPS: u64 = 128;
/// Input samples a segment advances by, at least (a multiple of `down`): long segments
/// spend less of each transform on the overlap.
const MIN_HOP: u64 = 8192;

/// `samples` at `rate_in` resampled to `rate_out`: `ceil(len * rate_out / rate_in)`
/// samples, output sample `k` at time `k / rate_out`, the signal past both ends taken as
/// silence.
pub fn resample(samples: &[f32], rate_in: u32, rate_out: u32) -> Result<Vec<f32>> {
    if rate_in == 0 || rate_out == 0 {
        bail!("resampling from {rate_in} Hz to {rate_out} Hz: a sample rate of 0");
    }
    if rate_in == rate_out || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let divisor = gcd(u64::from(rate_in), u64::from(rate_out));
    let (up, down) = (u64::from(rate_out) / divisor, u64::from(rate_in) / divisor);
    let wanted = (samples.len() as u64 * up).div_ceil(down) as usize;
    Ok(Resampler::new(up, down).run(samples, wanted))
}

/// One ratio's filter and transforms. All lengths are in samples.
struct Resampler {
    /// The filter's centre, in input samples after its first tap: a multiple of `down`, so
    /// the filter delays the signal by a whole number of output samples.
    centre: usize,
    /// Input samples a segment advances by (a multiple of `down`), and the outputs per
    /// segment.
    hop_in: usize,
    hop_out: usize,
    /// The filter's spectrum at the input segment's length, scaled by 1 / length.
    filter: Vec<Complex<f32>>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
}

impl Resampler {
    fn new(up: u64, down: u64) -> Resampler {
        // Downsampling, the filter's length is counted at the output rate: its transition
        // band must end below the output's Nyquist frequency, where the band is cut.
        let ratio = (up as f64 / down as f64).min(1.0);
        let half_taps = (MIN_HALF_TAPS as f64 / ratio).ceil() as u64;
        let centre = half_taps.div_ceil(down) * down;
        // An even number of `down` steps, so both segment lengths are even.
        let steps = (MIN_HOP.max(4 * centre).div_ceil(down)).next_multiple_of(2);
        let (taps, hop_in) = (2 * centre as usize, (steps * down) as usize);
        let length_in = hop_in + taps;
        let length_out = length_in * up as usize / down as usize;
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(length_in);
        let inverse = planner.plan_fft_inverse(length_out);

        let cutoff = rubato_cutoff(taps as f64 * ratio) * ratio;
        let mut impulse = windowed_sinc(taps, cutoff);
        impulse.resize(length_in, 0.0);
        let mut filter = forward.make_output_vec();
        forward
            .process(&mut impulse, &mut filter)
            .expect("the filter has the transform's length");
        filter.iter_mut().for_each(|bin| *bin /= length_in as f32);
        Resampler {
            centre: centre as usize,
            hop_in,
            hop_out: (steps * up) as usize,
            filter,
            forward,
            inverse,
        }
    }

    /// The first `wanted` output samples.
    fn run(&self, samples: &[f32], wanted: usize) -> Vec<f32> {
        let taps = 2 * self.centre;
        let (length_in, length_out) = (self.hop_in + taps, self.inverse.len());
        // The filter delays by `delay` output samples: they are computed and dropped.
        let delay = self.centre * self.hop_out / self.hop_in;
        let segments = (delay + wanted).div_ceil(self.hop_out);
        let mut segment = self.forward.make_input_vec();
        let mut spectrum = self.forward.make_output_vec();
        let mut band = self.inverse.make_input_vec();
        let mut evaluated = self.inverse.make_output_vec();
        // Bins below both Nyquist frequencies; the rest of `band` is 0.
        let shared = (length_in / 2).min(length_out / 2);
        let mut output = Vec::with_capacity(wanted);
        for index in 0..segments {
            // The segment starts `taps` samples before input sample `index * hop_in`.
            fill_segment(&mut segment, samples, (index * self.hop_in) as i64 - taps as i64);
            self.forward
                .process(&mut segment, &mut spectrum)
                .expect("segments have the transform's length");
            for ((out, bin), gain) in band[..shared].iter_mut().zip(&spectrum).zip(&self.filter) {
                *out = bin * gain;
            }
            // The inverse transform uses its input as scratch space.
            band[shared..].fill(Complex::default());
            self.inverse
                .process(&mut band, &mut evaluated)
                .expect("the band has the transform's length and real end bins");
            // The segment's last `hop_out` outputs are past the wrap-around of the filter;
            // of those, the ones after the delay and before the end are wanted.
            let first = index * self.hop_out;
            let valid = &evaluated[length_out - self.hop_out..];
            let skip = delay.saturating_sub(first).min(valid.len());
            let take = (delay + wanted).saturating_sub(first + skip).min(valid.len() - skip);
            output.extend_from_slice(&valid[skip..skip + take]);
        }
        output
    }
}

/// `segment` = `samples[start..start + segment.len()]`, silence where that is outside.
fn fill_segment(segment: &mut [f32], samples: &[f32], start: i64) {
    segment.fill(0.0);
    let end = start + segment.len() as i64;
    let (from, to) = (start.max(0), end.min(samples.len() as i64));
    if from < to {
        let offset = (from - start) as usize;
        let (from, to) = (from as usize, to as usize);
        segment[offset..offset + (to - from)].copy_from_slice(&samples[from..to]);
    }
}

/// The filter's `taps` taps, centred on tap `taps / 2`, normalised to sum 1.
fn windowed_sinc(taps: usize, cutoff: f64) -> Vec<f32> {
    let centre = (taps / 2) as f64;
    let raw: Vec<f64> = (0..taps)
        .map(|i| {
            let t = i as f64 - centre;
            sinc(cutoff * t) * window(i as f64 / taps as f64)
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|&tap| (tap / sum) as f32).collect()
}

/// rubato's fitted cutoff, as a fraction of the Nyquist frequency, for a squared
/// Blackman-Harris sinc of `n` taps (0.947 for 256).
fn rubato_cutoff(n: f64) -> f64 {
    let (k1, k2, k3) = (13.745202940783823, 121.73532586374934, 5964.163279612051);
    1.0 / (1.0 + k1 / n + k2 / (n * n) + k3 / (n * n * n))
}

/// sin(pi x) / (pi x).
fn sinc(x: f64) -> f64 {
    if x == 0.0 { 1.0 } else { (PI * x).sin() / (PI * x) }
}

/// The squared Blackman-Harris window at `x` in [0, 1] (peak 1 at 0.5).
fn window(x: f64) -> f64 {
    let blackman_harris = 0.35875 - 0.48829 * (2.0 * PI * x).cos() + 0.14128 * (4.0 * PI * x).cos()
        - 0.01168 * (6.0 * PI * x).cos();
    blackman_harris * blackman_harris
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signal-to-error ratio in dB of `ours` against `truth`.
    fn snr_db(ours: &[f32], truth: &[f64]) -> f64 {
        let signal: f64 = truth.iter().map(|x| x * x).sum();
        let error: f64 = ours.iter().zip(truth).map(|(&o, t)| (f64::from(o) - t).powi(2)).sum();
        10.0 * (signal / error).log10()
    }

    #[test]
    fn a_sine_lands_on_the_output_grid() {
        let tone = |rate: u32, n: usize| {
            let t = n as f64 / f64::from(rate);
            0.6 * (2.0 * PI * 1000.0 * t + 0.4).sin()
        };
        let input: Vec<f32> = (0..48_000).map(|n| tone(48_000, n) as f32).collect();
        for rate_out in [44_100, 16_000, 96_000] {
            let ours = resample(&input, 48_000, rate_out).unwrap();
            assert_eq!(ours.len(), (48_000u64 * u64::from(rate_out)).div_ceil(48_000) as usize);
            // Away from the ends, where the silence outside smears the cut.
            let interior = 1_000..ours.len() - 1_000;
            let truth: Vec<f64> = interior.clone().map(|k| tone(rate_out, k)).collect();
            let snr = snr_db(&ours[interior], &truth);
            assert!(snr > 100.0, "48000 -> {rate_out} Hz: SNR {snr:.1} dB");
        }
    }

    #[test]
    fn lengths_follow_the_rate_ratio_and_rates_of_zero_are_refused() {
        assert_eq!(resample(&[0.5; 160], 48_000, 44_100).unwrap().len(), 147);
        assert_eq!(resample(&[0.5; 161], 48_000, 44_100).unwrap().len(), 148);
        assert_eq!(resample(&[0.5; 7], 16_000, 16_000).unwrap(), vec![0.5; 7]);
        assert!(resample(&[0.5; 7], 0, 16_000).is_err());
    }
}
