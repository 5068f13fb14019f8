//! Fuzz body `pipeline_yaml`: the pipeline loader on any text must never panic, and what
//! it accepts is a valid pipeline (its options build without errors).

use prep::pipeline::Pipeline;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(pipeline) = Pipeline::parse(text) else { return };
    assert!(pipeline.clip_options().validate().is_ok(), "accepted invalid clip options");
    assert!(pipeline.abc_options().bars_per_line > 0);
    let _ = pipeline.shard_options();
}
