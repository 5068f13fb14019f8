//! Fuzz body `audio_decode`: the audio reader (symphonia behind `prep::audio`) on any
//! bytes under each extension prep accepts (the first byte picks it: the extension steers
//! symphonia's probe). Reading the length and decoding two spans must never panic or
//! allocate without bound, and decoded samples are finite at a positive rate.

use prep::audio::{decode_span, frame_count};

const EXTENSIONS: [&str; 4] = ["wav", "flac", "mp3", "ogg"];

pub fn run(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let extension = EXTENSIONS[usize::from(selector) % EXTENSIONS.len()];
    // One file per process: the reader takes a path. A fuzzer runs one input at a time.
    let path = std::env::temp_dir().join(format!("prep-fuzz-{}.{extension}", std::process::id()));
    std::fs::write(&path, bytes).expect("write the input to a temporary file");
    let _ = frame_count(&path);
    for (start, end) in [(0.0, 0.5), (0.25, 0.3)] {
        if let Ok(audio) = decode_span(&path, start, end) {
            assert!(audio.sample_rate > 0, "rate 0 accepted");
            assert!(audio.samples.iter().all(|s| s.is_finite()), "a sample is not finite");
        }
    }
    let _ = std::fs::remove_file(&path);
}
