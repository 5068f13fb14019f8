//! cargo-fuzz target `pipeline_yaml`: its body (what is checked) is tests/fuzz_support/pipeline_yaml.rs,
//! which tests/fuzz_replay.rs also runs on stable over the committed corpus.
#![no_main]

#[path = "../../tests/fuzz_support/pipeline_yaml.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
