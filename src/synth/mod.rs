//! A small built-in synthesizer, so that the demo corpus has audio without any download:
//! each note is a harmonic wavetable oscillator (equal temperament, A4 = 440 Hz) shaped
//! by an ADSR envelope, both chosen by the instrument's General MIDI family; velocity
//! sets the gain; the parts are summed and the mix is peak-normalised.
//!
//! It aims at audio that is recognisably pitched, rhythmic and instrument-dependent
//! for demos and tests, not at realism: no reverb, vibrato or velocity-dependent timbre,
//! and drum parts are not rendered. Output is deterministic (same score, same samples).

use std::io::Cursor;

use anyhow::{Context, Result};

use crate::score::{Family, Score};

/// The sample rate of rendered audio (Jukebox's and MusicNet's).
pub const SAMPLE_RATE: u32 = 44_100;
/// Peak level of the normalised mix (about -1 dBFS).
const PEAK: f32 = 0.89;
/// Samples in one cycle of a wavetable.
const TABLE_SIZE: usize = 2048;

/// How an instrument family sounds: relative harmonic amplitudes and an envelope
/// (seconds, and the sustain level as a fraction of the peak).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Timbre {
    harmonics: &'static [f32],
    attack: f32,
    decay: f32,
    sustain: f32,
    release: f32,
}

fn timbre(family: Family) -> Timbre {
    let shape = |harmonics, attack, decay, sustain, release| Timbre {
        harmonics,
        attack,
        decay,
        sustain,
        release,
    };
    match family {
        // Struck and plucked: fast attack, long decay, nothing sustained.
        Family::Keyboard | Family::ChromaticPercussion | Family::Guitar | Family::Ethnic => {
            shape(&[1.0, 0.5, 0.3, 0.15, 0.1, 0.05], 0.005, 1.2, 0.0, 0.3)
        }
        Family::Bass => shape(&[1.0, 0.6, 0.2, 0.1], 0.01, 0.8, 0.2, 0.2),
        // Bowed: slow attack, rich odd and even harmonics (sawtooth-like).
        Family::Strings | Family::Ensemble | Family::Voice | Family::Synth => {
            shape(&[1.0, 0.5, 0.33, 0.25, 0.2, 0.17, 0.14, 0.12], 0.08, 0.1, 0.85, 0.15)
        }
        Family::Brass => shape(&[1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.12], 0.05, 0.1, 0.8, 0.1),
        // Reeds and flutes: odd harmonics dominate (clarinet-like), or nearly pure.
        Family::Woodwind => shape(&[1.0, 0.1, 0.45, 0.05, 0.25, 0.03, 0.12], 0.04, 0.08, 0.85, 0.08),
        Family::Organ => shape(&[1.0, 0.7, 0.5, 0.0, 0.3, 0.0, 0.0, 0.2], 0.01, 0.05, 0.95, 0.05),
        Family::Percussion | Family::SoundEffects => shape(&[1.0], 0.002, 0.2, 0.0, 0.05),
    }
}

/// One cycle of a timbre's waveform, scaled to peak 1.
fn wavetable(harmonics: &[f32]) -> Vec<f32> {
    let mut table: Vec<f32> = (0..TABLE_SIZE)
        .map(|i| {
            let phase = i as f64 / TABLE_SIZE as f64 * std::f64::consts::TAU;
            harmonics
                .iter()
                .enumerate()
                .map(|(h, a)| f64::from(*a) * (phase * (h + 1) as f64).sin())
                .sum::<f64>() as f32
        })
        .collect();
    let peak = table.iter().fold(0.0f32, |m, x| m.max(x.abs())).max(f32::EPSILON);
    table.iter_mut().for_each(|x| *x /= peak);
    table
}

/// Envelope level `t` seconds after the onset of a note released at `off` seconds.
fn envelope(t: f32, off: f32, shape: &Timbre) -> f32 {
    let held = |t: f32| {
        if t < shape.attack {
            t / shape.attack
        } else {
            let d = (t - shape.attack) / shape.decay;
            if shape.sustain > 0.0 {
                shape.sustain + (1.0 - shape.sustain) * (1.0 - d).max(0.0)
            } else {
                (-3.0 * d).exp()
            }
        }
    };
    if t < off {
        held(t)
    } else {
        held(off) * (1.0 - (t - off) / shape.release).max(0.0)
    }
}

/// Frequency in Hz of a MIDI pitch in equal temperament.
pub fn frequency(pitch: u8) -> f32 {
    440.0 * 2f32.powf((f32::from(pitch) - 69.0) / 12.0)
}

/// Renders a score to mono samples at `sample_rate`, peak-normalised (silence stays 0).
/// The audio lasts until the last release ends.
pub fn render(score: &Score, sample_rate: u32) -> Vec<f32> {
    let rate = sample_rate as f32;
    let mut mix: Vec<f32> = Vec::new();
    for part in score.parts.iter().filter(|p| !p.is_drum) {
        let shape = timbre(part.instrument.family);
        let table = wavetable(shape.harmonics);
        for note in &part.notes {
            let start = (score.seconds_at(note.start) * f64::from(sample_rate)).round() as usize;
            let off = (score.seconds_at(note.end()) - score.seconds_at(note.start)) as f32;
            let length = ((off + shape.release) * rate).ceil() as usize;
            if mix.len() < start + length {
                mix.resize(start + length, 0.0);
            }
            let step = frequency(note.pitch) * TABLE_SIZE as f32 / rate;
            let gain = f32::from(note.velocity) / 127.0;
            let mut phase = 0.0f32;
            for (i, sample) in mix[start..start + length].iter_mut().enumerate() {
                let level = envelope(i as f32 / rate, off, &shape);
                *sample += table[phase as usize % TABLE_SIZE] * level * gain;
                phase = (phase + step) % TABLE_SIZE as f32;
            }
        }
    }
    let peak = mix.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if peak > 0.0 {
        mix.iter_mut().for_each(|x| *x *= PEAK / peak);
    }
    mix
}

/// Encodes mono samples in [-1, 1] as a 16-bit PCM WAV file.
pub fn wav_bytes(samples: &[f32], sample_rate: u32) -> Result<Vec<u8>> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).context("starting a WAV stream")?;
    for &x in samples {
        writer
            .write_sample((x.clamp(-1.0, 1.0) * 32767.0).round() as i16)
            .context("writing a WAV sample")?;
    }
    writer.finalize().context("finishing a WAV stream")?;
    Ok(bytes.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Instrument, Note, Part};

    #[test]
    fn equal_temperament() {
        assert_eq!(frequency(69), 440.0);
        assert!((frequency(60) - 261.6256).abs() < 1e-3);
    }

    #[test]
    fn a_note_sounds_for_its_length_plus_release_at_its_pitch() {
        let mut score = Score::new(480); // 120 BPM: a quarter is 0.5 s
        score.parts.push(Part {
            name: None,
            instrument: Instrument::from_program(73), // flute
            channel: None,
            is_drum: false,
            notes: vec![Note {
                start: 480,
                duration: 480,
                pitch: 69,
                velocity: 100,
            }],
        });
        let samples = render(&score, 8000);
        // Starts at 0.5 s, lasts 0.5 s, releases over 0.08 s.
        assert_eq!(samples.len(), 4000 + 4640);
        assert!(samples[..4000].iter().all(|x| *x == 0.0));
        assert_eq!(samples.iter().fold(0.0f32, |m, x| m.max(x.abs())), PEAK);
        // 440 Hz: 220 rising zero crossings in the 0.5 s note (one per cycle).
        let note = &samples[4000..8000];
        let rising = note.windows(2).filter(|w| w[0] <= 0.0 && w[1] > 0.0).count();
        assert!((219..=221).contains(&rising), "{rising} rising crossings");
        let bytes = wav_bytes(&samples, 8000).expect("encodes");
        assert_eq!(bytes.len(), 44 + 2 * samples.len());
    }
}
