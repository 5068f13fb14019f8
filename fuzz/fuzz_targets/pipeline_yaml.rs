//! The pipeline loader on arbitrary text: it must never panic, and what it accepts is a
//! valid pipeline (its options build without errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use prep::pipeline::Pipeline;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(pipeline) = Pipeline::parse(text) else { return };
    assert!(pipeline.clip_options().validate().is_ok(), "accepted invalid clip options");
    assert!(pipeline.abc_options().bars_per_line > 0);
    let _ = pipeline.shard_options();
});
