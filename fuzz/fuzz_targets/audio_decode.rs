//! cargo-fuzz target `audio_decode`: its body (what is checked) is tests/fuzz_support/audio_decode.rs,
//! which tests/fuzz_replay.rs also runs on stable over the committed corpus.
#![no_main]

#[path = "../../tests/fuzz_support/audio_decode.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
