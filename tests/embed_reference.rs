//! The log-mel embedder and the resampler against independent references: librosa's
//! filterbank and mel spectrogram, and soxr's HQ resampler, on the deterministic signal
//! of `tests/fixtures/embed/test_signal.py` (fixtures made by the scripts beside it).

use prep::embed::mel::{HOP, LogMel, N_FFT, N_MELS, SAMPLE_RATE, slaney_filterbank};
use prep::embed::resample::resample;
use serde_json::Value;

/// `test_signal.py`'s signal: three sines, computed in f64, stored as f32.
fn test_signal(rate: u32, samples: usize) -> Vec<f32> {
    use std::f64::consts::PI;
    (0..samples)
        .map(|n| {
            let t = n as f64 / f64::from(rate);
            let x = 0.5 * (2.0 * PI * 440.0 * t).sin()
                + 0.25 * (2.0 * PI * 3000.5 * t + 0.3).sin()
                + 0.1 * (2.0 * PI * 6100.0 * t + 1.0).sin();
            x as f32
        })
        .collect()
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/embed/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture readable")).expect("fixture is JSON")
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

fn relative_error(ours: f64, theirs: f64) -> f64 {
    (ours - theirs).abs() / theirs.abs()
}

#[test]
fn filterbank_matches_librosa() {
    let reference = fixture("mel_reference.json");
    let bands = slaney_filterbank(SAMPLE_RATE, N_FFT, N_MELS);
    let expected = reference["bands"].as_array().expect("bands");
    assert_eq!(bands.len(), expected.len());
    for (band, want) in bands.iter().zip(expected) {
        assert_eq!(band.first_bin as u64, want["first_bin"].as_u64().expect("first_bin"));
        let weights = floats(&want["weights"]);
        assert_eq!(band.weights.len(), weights.len());
        for (&ours, &theirs) in band.weights.iter().zip(&weights) {
            assert!(relative_error(f64::from(ours), theirs) < 1e-4, "{ours} vs {theirs}");
        }
    }
}

#[test]
fn mel_power_matches_librosa() {
    let reference = fixture("mel_reference.json");
    let samples = reference["samples"].as_u64().expect("samples") as usize;
    assert_eq!(
        (reference["n_fft"].as_u64(), reference["hop"].as_u64()),
        (Some(N_FFT as u64), Some(HOP as u64))
    );
    let ours = LogMel::new()
        .mel_power(&test_signal(SAMPLE_RATE, samples))
        .expect("mel power");
    let frames = reference["mel_power"].as_array().expect("frames");
    assert_eq!(ours.count(), frames.len());
    assert_eq!(ours.count(), 1 + samples / HOP);
    // The signal is three sines, so most bands hold only window leakage, down where f32
    // and f64 FFTs disagree; values within 70 dB of the peak are compared.
    let reference: Vec<Vec<f64>> = frames.iter().map(floats).collect();
    let floor = 1e-7 * reference.iter().flatten().fold(0f64, |m, &v| m.max(v));
    let (mut worst, mut compared) = (0f64, 0);
    for (index, frame) in reference.iter().enumerate() {
        for (&o, &t) in ours.frame(index).iter().zip(frame).filter(|(_, t)| **t >= floor) {
            worst = worst.max(relative_error(f64::from(o), t));
            compared += 1;
        }
    }
    eprintln!("mel power: {compared} values compared, worst relative error {worst:.2e}");
    assert!(compared >= 1000, "only {compared} values compared");
    assert!(worst < 1e-4, "worst relative error {worst}");
}

/// Signal-to-noise ratio of `ours` against `theirs` in dB, over `range`.
fn snr_db(ours: &[f32], theirs: &[f64], range: std::ops::Range<usize>) -> f64 {
    let (mut signal, mut noise) = (0f64, 0f64);
    for i in range {
        signal += theirs[i] * theirs[i];
        noise += (f64::from(ours[i]) - theirs[i]).powi(2);
    }
    10.0 * (signal / noise).log10()
}

#[test]
fn resampling_matches_soxr_hq() {
    let reference = fixture("resample_reference.json");
    let rate_in = reference["rate_in"].as_u64().expect("rate_in") as u32;
    let input = test_signal(rate_in, reference["samples"].as_u64().expect("samples") as usize);
    for case in reference["cases"].as_array().expect("cases") {
        let rate_out = case["rate_out"].as_u64().expect("rate_out") as u32;
        let theirs = floats(&case["samples"]);
        let ours = resample(&input, rate_in, rate_out).expect("resampled");
        assert_eq!(ours.len(), theirs.len(), "{rate_in} -> {rate_out} Hz");
        // Both treat the signal outside as silence, but smear the cut differently: the
        // interior (10 ms in from each end) is where they must agree.
        let edge = rate_out as usize / 100;
        let whole = snr_db(&ours, &theirs, 0..theirs.len());
        let interior = snr_db(&ours, &theirs, edge..theirs.len() - edge);
        eprintln!("{rate_in} -> {rate_out} Hz vs soxr HQ: SNR {whole:.1} dB whole, {interior:.1} dB interior");
        // Both are sinc filters at the exact ratio with passbands past 6.1 kHz: measured
        // 131 dB for both rates; soxr itself is within 130 dB of the analytic signal.
        assert!(
            interior > 120.0,
            "{rate_in} -> {rate_out} Hz: interior SNR {interior:.1} dB"
        );
    }
}
