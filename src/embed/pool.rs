//! Pooling native model frames to the `embeddings` table's rate.
//!
//! - `Exact` (the default): one output frame per 100 ms of input, the mean of the native
//!   frames weighted by how many input samples of each fall inside that 100 ms. Frame `j`
//!   of a model stands for samples `[j * hop, (j + 1) * hop)` (`FrameGrid`), so the
//!   weights are integer sample counts and the pooling is exact whatever the native rate:
//!   for a 100 Hz model it is the plain mean of 10 frames, for Jukebox's 44100/128 Hz
//!   tokens a token straddling a boundary is split between the two windows. A clip of
//!   25 s gives exactly 250 frames; a last partial 100 ms gives a frame of its own.
//! - `Llark`: what LLark's published recipe does, for comparability with it: averages of
//!   consecutive runs of `floor(native_rate / 10)` native frames, a trailing partial run
//!   dropped. For Jukebox (344.53 Hz) that is runs of 34 tokens, so 8192 tokens give 240
//!   frames of 98.7 ms at 10.13 Hz, covering 23.68 s. The input length plays no part.

use anyhow::{Result, bail};

use super::{FrameGrid, Frames};

/// Output frames per second of `Pooling::Exact`.
pub const TARGET_RATE_HZ: u32 = 10;

/// How native frames become table frames (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooling {
    #[default]
    Exact,
    Llark,
}

impl std::str::FromStr for Pooling {
    type Err = anyhow::Error;

    fn from_str(name: &str) -> Result<Self> {
        match name {
            "exact" => Ok(Pooling::Exact),
            "llark" => Ok(Pooling::Llark),
            _ => bail!("unknown pooling `{name}`; expected exact or llark"),
        }
    }
}

impl std::fmt::Display for Pooling {
    /// The name `from_str` reads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pooling::Exact => "exact",
            Pooling::Llark => "llark",
        })
    }
}

/// Pooled frames and their rate in Hz (the `frame_rate_hz` column).
#[derive(Debug, Clone, PartialEq)]
pub struct Pooled {
    pub frames: Frames,
    pub rate_hz: f64,
}

/// Pools `frames` (on `grid`) of an input of `input_samples` samples.
pub fn pool(frames: &Frames, grid: FrameGrid, input_samples: usize, pooling: Pooling) -> Result<Pooled> {
    match pooling {
        Pooling::Exact => exact(frames, grid, input_samples),
        Pooling::Llark => llark(frames, grid),
    }
}

fn exact(frames: &Frames, grid: FrameGrid, input_samples: usize) -> Result<Pooled> {
    if !grid.sample_rate.is_multiple_of(TARGET_RATE_HZ) || grid.hop == 0 {
        bail!(
            "exact pooling needs 100 ms to be a whole number of samples and a positive hop; \
             got {} Hz with hop {}",
            grid.sample_rate,
            grid.hop
        );
    }
    let window = (grid.sample_rate / TARGET_RATE_HZ) as usize;
    let hop = grid.hop as usize;
    let outputs = input_samples.div_ceil(window);
    let mut values = Vec::with_capacity(outputs * frames.dim);
    for k in 0..outputs {
        let (start, end) = (k * window, ((k + 1) * window).min(input_samples));
        let mut sum = vec![0f64; frames.dim];
        let mut total = 0usize;
        for j in start / hop..end.div_ceil(hop).min(frames.count()) {
            let weight = end.min((j + 1) * hop) - start.max(j * hop);
            for (s, &v) in sum.iter_mut().zip(frames.frame(j)) {
                *s += weight as f64 * f64::from(v);
            }
            total += weight;
        }
        if total == 0 {
            bail!(
                "{} native frames do not reach {:.1} s of the {:.1} s input",
                frames.count(),
                start as f64 / f64::from(grid.sample_rate),
                input_samples as f64 / f64::from(grid.sample_rate)
            );
        }
        values.extend(sum.iter().map(|s| (s / total as f64) as f32));
    }
    Ok(Pooled {
        frames: Frames {
            dim: frames.dim,
            values,
        },
        rate_hz: f64::from(TARGET_RATE_HZ),
    })
}

fn llark(frames: &Frames, grid: FrameGrid) -> Result<Pooled> {
    let run = (grid.rate_hz() / f64::from(TARGET_RATE_HZ)).floor() as usize;
    if run == 0 {
        bail!(
            "llark pooling needs a native rate of at least 10 Hz, got {} Hz",
            grid.rate_hz()
        );
    }
    let values = (0..frames.count() / run)
        .flat_map(|k| {
            (0..frames.dim).map(move |d| {
                let sum: f64 = (k * run..(k + 1) * run).map(|j| f64::from(frames.frame(j)[d])).sum();
                (sum / run as f64) as f32
            })
        })
        .collect();
    Ok(Pooled {
        frames: Frames {
            dim: frames.dim,
            values,
        },
        rate_hz: grid.rate_hz() / run as f64,
    })
}
