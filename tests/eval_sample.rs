//! Sample selection: reproducible for a seed, one clip per equal-count complexity bin,
//! only from the split asked for.

use prep::datasets::Split;
use prep::eval::Clip;
use prep::eval::sample::{Complexity, choose};

/// A clip of `voices` voices, each playing `notes` quarter notes at 120 BPM.
fn clip(id: &str, split: Split, voices: usize, notes: usize) -> Clip {
    let mut abc = String::from("X:1\nM:4/4\nL:1/4\nQ:1/4=120\nK:C\n");
    for v in 1..=voices {
        abc.push_str(&format!("V:{v}\n{}|\n", "C".repeat(notes)));
    }
    Clip { id: id.to_string(), split, abc, audio: None, question: None }
}

/// 24 test clips of 1-4 voices and 2-12 notes each, and 4 train clips.
fn clips() -> Vec<Clip> {
    let mut clips: Vec<Clip> =
        (0..24).map(|i| clip(&format!("c{i:02}"), Split::Test, 1 + i % 4, 2 + (i * 5) % 11)).collect();
    clips.extend((0..4).map(|i| clip(&format!("t{i}"), Split::Train, 1, 2)));
    clips
}

#[test]
fn same_seed_same_choice_other_seed_other_choice() {
    let clips = clips();
    let ids = |seed| choose(&clips, Split::Test, 6, seed).into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(3), ids(3));
    assert_ne!(ids(3), ids(4));
    assert_eq!(ids(3).len(), 6);
}

#[test]
fn one_clip_from_each_equal_count_complexity_bin() {
    let clips = clips();
    let mut scores: Vec<(f64, String)> = clips
        .iter()
        .filter(|c| c.split == Split::Test)
        .map(|c| (Complexity::of(&prep::abc::read::parse(&c.abc).score).score, c.id.clone()))
        .collect();
    scores.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    for seed in 0..20 {
        let chosen = choose(&clips, Split::Test, 6, seed);
        let bins: Vec<usize> = chosen.iter().map(|c| c.bin).collect();
        assert_eq!(bins, [0, 1, 2, 3, 4, 5]);
        for c in &chosen {
            // 24 clips in 6 bins: bin b holds sorted positions 4b..4b+4.
            let position = scores.iter().position(|(_, id)| *id == c.id).expect("a test clip");
            assert_eq!(position / 4, c.bin, "seed {seed}: {} at position {position}", c.id);
            assert_eq!(clips[c.index].id, c.id);
        }
    }
}

#[test]
fn fewer_clips_than_samples_takes_them_all_in_complexity_order() {
    let clips = vec![clip("dense", Split::Test, 2, 8), clip("sparse", Split::Test, 1, 1), clip("other", Split::Train, 1, 1)];
    let chosen = choose(&clips, Split::Test, 30, 0);
    let ids: Vec<&str> = chosen.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["sparse", "dense"]);
    // 16 notes over 4 s: 4 notes per second, complexity 2 + 1.
    assert_eq!(chosen[1].complexity, Complexity { voices: 2, notes_per_second: 4.0, score: 3.0 });
    assert!(choose(&clips, Split::Validation, 30, 0).is_empty());
}
