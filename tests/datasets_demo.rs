//! The demo source: deterministic, varied, and audible.

use std::collections::BTreeSet;

use prep::datasets::{DemoSource, PieceRef, Problem, Source, Split};

/// RMS of 16-bit samples in [start, end) seconds of a 44.1 kHz mono WAV file.
fn rms(path: &std::path::Path, start: f64, end: f64) -> f64 {
    let mut reader = hound::WavReader::open(path).expect("a WAV file");
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (1, 44_100, 16));
    let samples: Vec<f64> = reader
        .samples::<i16>()
        .map(|s| f64::from(s.expect("sample")) / 32768.0)
        .collect();
    let window = &samples[(start * 44_100.0) as usize..((end * 44_100.0) as usize).min(samples.len())];
    (window.iter().map(|x| x * x).sum::<f64>() / window.len() as f64).sqrt()
}

/// The source's pieces, each materialized (its audio rendered).
fn listed(source: &DemoSource) -> (Vec<PieceRef>, Vec<Problem>) {
    let (pieces, problems) = source.list().expect("lists");
    for piece in &pieces {
        source.materialize(piece).expect("renders");
    }
    (pieces, problems)
}

#[test]
fn listing_renders_nothing_until_a_piece_is_materialized() {
    let temp = tempfile::tempdir().expect("temp dir");
    let source = DemoSource::new(10_000, 1, temp.path());
    let (pieces, _) = source.list().expect("lists");
    assert_eq!(pieces.len(), 10_000);
    assert!(pieces.iter().all(|piece| !piece.files[0].exists()), "listing rendered audio");
    source.materialize(&pieces[17]).expect("renders");
    assert!(pieces[17].files[0].is_file());
    assert_eq!(std::fs::read_dir(temp.path()).expect("lists").count(), 1);
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let (a, b) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let (first, _) = listed(&DemoSource::new(3, 42, a.path()));
    let (second, _) = listed(&DemoSource::new(3, 42, b.path()));
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(x.id, y.id);
        assert_eq!(x.split, y.split);
        let (bx, by) = (
            std::fs::read(&x.files[0]).expect("wav"),
            std::fs::read(&y.files[0]).expect("wav"),
        );
        assert!(bx == by, "{} differs between runs", x.id);
    }
    let (other, _) = listed(&DemoSource::new(3, 43, a.path()));
    assert_ne!(
        std::fs::read(&other[0].files[0]).expect("wav"),
        std::fs::read(&second[0].files[0]).expect("wav")
    );
}

#[test]
fn twelve_pieces_are_varied_split_by_piece_and_audible() {
    let temp = tempfile::tempdir().expect("temp dir");
    let source = DemoSource::new(12, 7, temp.path());
    let (pieces, problems) = listed(&source);
    assert!(problems.is_empty());
    let ids: Vec<String> = pieces.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, (0..12).map(|i| format!("{i:02}")).collect::<Vec<_>>());
    let count = |split| pieces.iter().filter(|p| p.split == split).count();
    assert_eq!(
        (count(Split::Train), count(Split::Validation), count(Split::Test)),
        (10, 1, 1)
    );
    let mut metres = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for reference in &pieces {
        let piece = source.load(reference).expect("loads");
        assert_eq!(piece.split, reference.split);
        let score = &piece.score;
        assert!(
            (2..=4).contains(&score.parts.len()),
            "{}: {} parts",
            piece.id,
            score.parts.len()
        );
        let seconds = score.seconds_at(score.end_tick());
        assert!((45.0..=60.0).contains(&seconds), "{}: {seconds} s", piece.id);
        metres.extend(score.time_signatures.iter().map(|t| (t.numerator, t.denominator)));
        keys.extend(score.key_signatures.iter().map(|k| k.key.abc_name()));
        let audio = piece.audio.expect("demo pieces have audio");
        for start in [0.0, 25.0] {
            let level = rms(&audio, start, start + 5.0);
            assert!(level > 0.01, "{}: silent clip at {start} s (RMS {level})", piece.id);
        }
    }
    assert!(metres.len() >= 3, "metres {metres:?}");
    assert!(keys.len() >= 4, "keys {keys:?}");
}
