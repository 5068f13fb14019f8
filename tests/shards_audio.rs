//! The clips table's audio: spans of WAV files in every sample format decode to the
//! exact mono samples, and encode to a 16-bit WAV that round-trips them.

mod shards_support;

use prep::audio::{MonoAudio, decode_span, encode_pcm16, pcm16_duration_s};
use shards_support::{Encoding, ramp, wav_bytes};

const RATE: u32 = 8000;

/// Writes one second of a stereo signal (left = ramp, right = -ramp/2) and decodes a span.
fn decode_stereo(encoding: Encoding, start_s: f64, end_s: f64) -> MonoAudio {
    let dir = tempfile::tempdir().expect("temp dir");
    let frames: Vec<Vec<f64>> = (0..RATE as usize).map(|i| vec![ramp(i), -ramp(i) / 2.0]).collect();
    let path = dir.path().join("stereo.wav");
    std::fs::write(&path, wav_bytes(RATE, encoding, &frames)).expect("writing the fixture");
    decode_span(&path, start_s, end_s).expect("decoding the span")
}

/// The expected mono span: the channel mean, ramp(i) / 4, for frames [first, last).
fn expected(first: usize, last: usize) -> Vec<f32> {
    (first..last).map(|i| (ramp(i) / 4.0) as f32).collect()
}

#[test]
fn spans_decode_to_the_channel_mean_in_every_wav_encoding() {
    for encoding in [Encoding::Int16, Encoding::Int24, Encoding::Int32, Encoding::Float32] {
        let audio = decode_stereo(encoding, 0.25, 0.5);
        assert_eq!(audio.sample_rate, RATE, "{encoding:?}");
        assert_eq!(audio.samples, expected(2000, 4000), "{encoding:?}");
    }
}

#[test]
fn a_span_from_the_start_needs_no_seek() {
    let audio = decode_stereo(Encoding::Int16, 0.0, 0.125);
    assert_eq!(audio.samples, expected(0, 1000));
}

#[test]
fn a_span_past_the_end_is_cut_short_not_padded() {
    let audio = decode_stereo(Encoding::Int16, 0.75, 2.0);
    assert_eq!(audio.samples.len(), 2000);
    assert_eq!(audio.samples, expected(6000, 8000));
    assert_eq!(audio.duration_s(), 0.25);
}

#[test]
fn pcm16_wav_has_the_canonical_header_and_round_trips_16_bit_samples() {
    let audio = MonoAudio {
        sample_rate: 22050,
        samples: vec![0.0, 0.5, -0.5, -1.0, 1.5],
    };
    let bytes = encode_pcm16(&audio);
    let mut header = Vec::new();
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&46u32.to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&[16, 0, 0, 0, 1, 0, 1, 0]);
    header.extend_from_slice(&22050u32.to_le_bytes());
    header.extend_from_slice(&44100u32.to_le_bytes());
    header.extend_from_slice(&[2, 0, 16, 0]);
    header.extend_from_slice(b"data");
    header.extend_from_slice(&10u32.to_le_bytes());
    assert_eq!(&bytes[..44], header.as_slice());
    assert_eq!(pcm16_duration_s(&bytes), Some(5.0 / 22050.0));
    assert_eq!(pcm16_duration_s(&bytes[..40]), None);
    assert_eq!(
        pcm16_duration_s(b"RIFF....WAVEfmt not a header of ours at all......"),
        None
    );
    let samples: Vec<i16> = bytes[44..]
        .chunks(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(samples, vec![0, 16384, -16384, -32768, 32767]);

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("round.wav");
    std::fs::write(&path, &bytes).expect("writing");
    let decoded = decode_span(&path, 0.0, 1.0).expect("decoding our own WAV");
    assert_eq!(decoded.samples, vec![0.0, 0.5, -0.5, -1.0, 32767.0 / 32768.0]);
}

#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.wav");
    let error = format!("{:#}", decode_span(&missing, 0.0, 1.0).expect_err("a missing file"));
    assert!(
        error.starts_with(&format!("decoding {} [0 s, 1 s): opening the file", missing.display())),
        "{error}"
    );

    let garbage = dir.path().join("garbage.wav");
    std::fs::write(&garbage, b"not audio at all").expect("writing");
    let error = format!("{:#}", decode_span(&garbage, 0.0, 1.0).expect_err("not audio"));
    assert!(error.starts_with(&format!(
        "decoding {} [0 s, 1 s): not a supported audio format",
        garbage.display()
    )));
}

/// 0.5 sin(2 pi 300 t^2) at 16 kHz, as tests/fixtures/shards/write_encoded_audio.py writes it.
fn chirp(i: usize) -> f32 {
    let t = i as f64 / 16_000.0;
    (0.5 * (2.0 * std::f64::consts::PI * 300.0 * t * t).sin()) as f32
}

/// Normalised correlation of two equally long signals.
fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum::<f64>();
    dot(a, b) / (dot(a, a) * dot(b, b)).sqrt()
}

/// FLAC, OGG Vorbis and MP3 files written by libsndfile: the span [2.5 s, 3 s), reached by
/// seeking, has the right length and rate, is exact for FLAC and lines up with the source
/// for the lossy codecs (a misplaced chirp span does not correlate; without the decoder's
/// pre-roll the MP3 span starts with silence and correlates at 0.6). Skipped when python3
/// cannot import soundfile.
#[test]
fn flac_vorbis_and_mp3_spans_decode_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shards/write_encoded_audio.py");
    let output = match std::process::Command::new("python3")
        .arg(script)
        .arg(dir.path())
        .output()
    {
        Ok(output) if output.status.success() => output,
        _ => {
            eprintln!(
                "skipping the FLAC/OGG/MP3 check: python3 cannot run soundfile (tests/fixtures/requirements.txt)"
            );
            return;
        }
    };
    let written: Vec<String> = serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    assert!(written.contains(&"chirp.flac".to_string()), "{written:?}");
    let expected: Vec<f32> = (40_000..48_000).map(chirp).collect();
    for name in &written {
        let audio = decode_span(&dir.path().join(name), 2.5, 3.0).expect("decoding");
        assert_eq!((audio.sample_rate, audio.samples.len()), (16_000, 8000), "{name}");
        let r = correlation(&audio.samples, &expected);
        if name.ends_with(".flac") {
            let worst = audio
                .samples
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst <= 1.0 / 32768.0, "{name}: error {worst}");
        } else {
            assert!(r > 0.99, "{name}: correlation {r}");
        }
    }
}
