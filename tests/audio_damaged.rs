//! Damaged audio files are errors naming the file and what is wrong, never silence: a
//! truncated FLAC or MP3 (the fixtures, cut short here), a WAV whose header states a
//! sample rate of 0, a WAV whose data chunk declares more than the file holds, a float
//! WAV holding NaN or infinity (found by the `audio_decode` fuzz target).

use std::path::{Path, PathBuf};

use prep::audio::{decode_span, frame_count};

/// `tests/fixtures/audio/<name>` (1 s at 16 kHz; see write_fixtures.py there) cut to
/// `fraction` of its bytes, in `dir`.
fn cut(dir: &Path, name: &str, fraction: f64) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio").join(name);
    let bytes = std::fs::read(&source).expect("fixture");
    let path = dir.join(name);
    std::fs::write(&path, &bytes[..(bytes.len() as f64 * fraction) as usize]).expect("write");
    path
}

#[test]
fn whole_fixtures_decode_to_their_declared_length() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["chirp.flac", "chirp.mp3"] {
        let path = cut(dir.path(), name, 1.0);
        assert_eq!(frame_count(&path).expect("header"), (16_000, 16_000), "{name}");
        assert_eq!(decode_span(&path, 0.0, 1.0).expect("decode").samples.len(), 16_000, "{name}");
        assert_eq!(decode_span(&path, 0.5, 1.0).expect("decode").samples.len(), 8_000, "{name}");
    }
}

#[test]
fn truncated_flac_and_mp3_are_errors_naming_the_file_and_the_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["chirp.flac", "chirp.mp3"] {
        let path = cut(dir.path(), name, 0.6);
        let error = format!("{:#}", decode_span(&path, 0.0, 1.0).expect_err("truncated"));
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("but the header declares 1.000 s: the file is truncated or damaged"), "{error}");
        // A span before the cut still decodes.
        assert_eq!(decode_span(&path, 0.0, 0.25).expect("before the cut").samples.len(), 4_000, "{name}");
    }
}

/// A 16-bit mono PCM WAV header for `data_bytes` of samples at `rate`, and `actual` bytes of data.
fn wav(rate: u32, data_bytes: u32, actual: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_bytes.to_le_bytes());
    out.extend(std::iter::repeat_n(0u8, actual));
    out
}

#[test]
fn a_wav_with_sample_rate_0_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("zero.wav");
    std::fs::write(&path, wav(0, 3200, 3200)).expect("write");
    for error in [
        format!("{:#}", frame_count(&path).expect_err("rate 0")),
        format!("{:#}", decode_span(&path, 0.0, 0.1).expect_err("rate 0")),
    ] {
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("sample rate of 0"), "{error}");
    }
}

#[test]
fn a_float_wav_holding_nan_or_infinity_is_damaged_at_that_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    for (name, bad) in [("nan.wav", f32::NAN), ("inf.wav", f32::INFINITY)] {
        let path = dir.path().join(name);
        let mut writer = hound::WavWriter::create(&path, spec).expect("create");
        for frame in 0..800 {
            // Frame 400 (0.050 s) is bad in the right channel only.
            writer.write_sample(0.25f32).expect("left");
            writer.write_sample(if frame == 400 { bad } else { -0.25 }).expect("right");
        }
        writer.finalize().expect("finalize");
        let error = format!("{:#}", decode_span(&path, 0.0, 0.1).expect_err("not finite"));
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("the sample at 0.050 s is not a number (NaN or infinite): the file is damaged"), "{error}");
        assert_eq!(decode_span(&path, 0.0, 0.04).expect("before the bad sample").samples.len(), 320);
    }
}

#[test]
fn a_wav_shorter_than_its_data_chunk_is_truncated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("short.wav");
    // Declares 1 s at 16 kHz, holds 0.25 s.
    std::fs::write(&path, wav(16_000, 32_000, 8_000)).expect("write");
    let error = format!("{:#}", decode_span(&path, 0.0, 1.0).expect_err("truncated"));
    assert!(error.contains("the audio stops at 0.250 s but the header declares 1.000 s"), "{error}");
}

#[test]
fn a_damaged_packet_inside_the_span_is_an_error_with_its_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = cut(dir.path(), "chirp.flac", 1.0);
    let mut bytes = std::fs::read(&path).expect("read");
    // Scramble a stretch in the middle of the audio frames (the frame CRCs catch it).
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 64] {
        *byte ^= 0x5a;
    }
    std::fs::write(&path, &bytes).expect("write");
    let error = format!("{:#}", decode_span(&path, 0.0, 1.0).expect_err("damaged"));
    assert!(error.contains(&path.display().to_string()), "{error}");
    assert!(error.contains("a damaged stretch of the file was skipped"), "{error}");
}
