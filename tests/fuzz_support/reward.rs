//! Fuzz body `reward`: the reward on any (prediction, truth) pair, split at the first NUL
//! byte, must never panic, and every loss is a number in [0, 1].

use prep::reward::{RewardConfig, score};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (prediction, truth) = text.split_once('\0').unwrap_or((text, ""));
    let b = score(prediction, truth, &RewardConfig::default());
    for loss in [b.metre, b.tempo, b.pitch, b.instrument, b.total] {
        assert!((0.0..=1.0).contains(&loss), "loss {loss} out of [0, 1] for {prediction:?} vs {truth:?}");
    }
}
