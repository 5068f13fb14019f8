//! Resampling a clip's mono samples to a model's rate, with rubato.
//!
//! The resampler is rubato's `Async` sinc resampler at a fixed ratio: a 256-tap windowed
//! sinc (Blackman-Harris squared, cutoff just below the lower Nyquist frequency chosen by
//! rubato for that length), tabulated 256 times per input sample interval with cubic
//! interpolation between table points.
//!
//! Timing is exact. The sinc is centred `SINC_DELAY` input samples after the point it
//! computes, a delay that is generally not a whole number of output samples (128 taps at
//! 48 kHz -> 44.1 kHz is 116.68 output samples), and rubato's `process_all` trims only a
//! whole number of them, which would shift the output by a fraction of a sample. So the
//! input is preceded by just enough silence that the delay becomes a whole number `M` of
//! output samples, the raw output is kept untrimmed, and output sample `k` is raw sample
//! `k + M`: it is the input's value at time `k / rate_out`. `tests/embed_reference.rs`
//! checks this against soxr's HQ preset.

use anyhow::{Context, Result};
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType, WindowFunction};

/// Taps of the windowed sinc.
const SINC_LEN: usize = 256;
/// Raw output sample `m` of rubato's `Async` sinc resampler is the input's value at input
/// sample position `(m + 1) / ratio - SINC_DELAY`: it starts one output step in, with the
/// sinc's centre `SINC_LEN / 2` input samples back (rubato's `init_last_index` and
/// `make_sincs`).
const SINC_DELAY: u64 = SINC_LEN as u64 / 2;
/// Sinc table points per input sample interval (cubic interpolation between them).
const OVERSAMPLING: usize = 1024;
/// Input samples per call.
const CHUNK: usize = 4096;

/// `samples` at `rate_in` resampled to `rate_out`: `ceil(len * rate_out / rate_in)`
/// samples, output sample `k` at time `k / rate_out`, the signal past both ends taken as
/// silence.
pub fn resample(samples: &[f32], rate_in: u32, rate_out: u32) -> Result<Vec<f32>> {
    if rate_in == rate_out || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let context = || {
        format!(
            "resampling {} samples from {rate_in} Hz to {rate_out} Hz",
            samples.len()
        )
    };
    let (rate_in64, rate_out64) = (u64::from(rate_in), u64::from(rate_out));
    // Leading silence that makes the delay a whole number of output samples.
    let step = rate_in64 / gcd(rate_in64, rate_out64);
    let lead = (step - SINC_DELAY % step) % step;
    // Raw output `delay_out - 1 + k` is at input position `lead + k / ratio`, i.e. at
    // time `k / rate_out` of `samples`.
    let delay_out = ((SINC_DELAY + lead) * rate_out64 / rate_in64) as usize - 1;
    let wanted = (samples.len() as u64 * rate_out64).div_ceil(rate_in64) as usize;

    let mut padded = vec![0f32; lead as usize];
    padded.extend_from_slice(samples);
    padded.resize(padded.len() + SINC_LEN, 0.0);

    let parameters = SincInterpolationParameters::new(SINC_LEN, WindowFunction::BlackmanHarris2)
        .oversampling_factor(OVERSAMPLING)
        .interpolation(SincInterpolationType::Cubic);
    let ratio = f64::from(rate_out) / f64::from(rate_in);
    let mut resampler =
        Async::<f32>::new_sinc(ratio, 1.0, &parameters, CHUNK, 1, FixedAsync::Input).with_context(context)?;
    let input = InterleavedSlice::new(&padded, 1, padded.len()).with_context(context)?;
    let output = resampler
        .process_all(&input, padded.len(), None)
        .with_context(context)?
        .take_data();
    // `process_all` dropped its own (rounded) delay; the rest of ours is still there.
    let skip = delay_out
        .checked_sub(resampler.output_delay())
        .with_context(|| format!("{}: the resampler's delay is longer than expected", context()))?;
    output
        .get(skip..skip + wanted)
        .map(<[f32]>::to_vec)
        .with_context(|| format!("{}: the resampler returned too few samples", context()))
}

/// Greatest common divisor.
pub fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}
