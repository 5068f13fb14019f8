//! The fuzz targets' bodies, each in one file that both `fuzz/fuzz_targets/<name>.rs`
//! (cargo-fuzz, coverage-guided, nightly) and tests/fuzz_replay.rs (stable, in CI)
//! include, so the checks exist once. Each body takes arbitrary bytes and panics only on
//! a bug: a panic in prep, or an invariant of what a reader accepted that does not hold.

pub mod abc_read;
pub mod audio_decode;
pub mod labels;
pub mod midi_read;
pub mod pipeline_yaml;
pub mod reward;
