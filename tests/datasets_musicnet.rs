//! The MusicNet reader on small trees in its published layout and in the common nested
//! re-packaging.

use std::fs;
use std::path::Path;

use prep::datasets::{MusicNet, MusicNetOptions, Problem, Source, Split};
use prep::score::{Key, KeyChange, Mode, Note, Part, Score, SourceEvents, TimeSignature};

const HEADER: &str = "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n";
const METADATA: &str = "id,composer,composition,movement,ensemble,source,transcriber,catalog_name,seconds\n\
    1727,Schubert,\"Piano Quintet in A major\",2. Andante,Piano Quintet,European Archive,tirolmusic,OP114,447\n\
    2303,Bach,\"Partita, No. 2\",1. Allemande,Solo Violin,Museopen,Hans,BWV1004,120\n";

/// Labels for one violin (instrument 41) playing a note on each beat, one beat heard
/// every 0.5 s from 1 s in; beats 0..count.
fn labels(count: u32) -> String {
    let rows: String = (0..count)
        .map(|beat| {
            let start = 44_100 + u64::from(beat) * 22_050;
            format!(
                "{start},{},41,{},{beat}.0,1.0,Quarter\n",
                start + 20_000,
                60 + beat % 12
            )
        })
        .collect();
    format!("{HEADER}{rows}")
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    fs::write(path, bytes).expect("write");
}

fn wav() -> Vec<u8> {
    prep::synth::wav_bytes(&[0.0; 16], 44_100).expect("wav")
}

#[test]
fn the_published_layout_lists_both_splits_and_reports_bad_rows_with_their_line() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    write(&root.join("train_data/1727.wav"), wav());
    write(
        &root.join("train_labels/1727.csv"),
        format!("{}1,2,41,60,x,1.0,Quarter\n", labels(12)),
    );
    write(&root.join("test_data/2303.wav"), wav());
    write(&root.join("test_labels/2303.csv"), labels(8));
    write(&root.join("train_labels/1728.csv"), labels(4));
    write(&root.join("musicnet_metadata.csv"), METADATA);
    let source = MusicNet::new(root, MusicNetOptions::default());
    let (pieces, problems) = source.list().expect("lists");
    let listed: Vec<(&str, Split)> = pieces.iter().map(|p| (p.id.as_str(), p.split)).collect();
    assert_eq!(listed, vec![("1727", Split::Train), ("2303", Split::Test)]);
    let bad = root.join("train_labels/1727.csv");
    assert_eq!(
        problems,
        vec![
            Problem {
                item: "musicnet/1727".to_string(),
                message: format!(
                    "{}:14: start_beat `x` is not a number of the expected kind (row skipped)",
                    bad.display()
                ),
            },
            Problem {
                item: "musicnet/1728".to_string(),
                message: "no audio in train_data (piece skipped)".to_string(),
            },
        ]
    );
    let piece = source.load(&pieces[1]).expect("loads");
    assert_eq!(piece.id, "musicnet/2303");
    assert_eq!(
        piece.metadata.get("composition").map(String::as_str),
        Some("Partita, No. 2")
    );
    assert_eq!(piece.metadata.get("instruments").map(String::as_str), Some("Violin"));
    assert_eq!(piece.stated, SourceEvents::default());
    assert_eq!(piece.audio, Some(root.join("test_data/2303.wav")));
    // 1 s of silence before beat 0 is half a 4/4 bar at 120 BPM: a one-bar lead-in.
    let score = &piece.score;
    assert_eq!(
        score.parts[0].notes[0],
        Note {
            start: 1920,
            duration: 480,
            pitch: 60,
            velocity: 80
        }
    );
    assert_eq!(score.seconds_at(1920), 1.0);
    assert_eq!(score.seconds_at(1920 * 2), 3.0);
}

#[test]
fn the_nested_repackaging_and_its_midi_scores_give_the_metre() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    let data = root.join("musicnet/musicnet");
    write(&data.join("train_data/1727.wav"), wav());
    write(&data.join("train_labels/1727.csv"), labels(12));
    write(&root.join("musicnet_metadata.csv"), METADATA);
    // The score: 3/4 in D major at 960 tpq.
    let mut written = Score::new(960);
    written.time_signatures = vec![TimeSignature {
        tick: 0,
        numerator: 3,
        denominator: 4,
    }];
    written.key_signatures = vec![KeyChange {
        tick: 0,
        key: Key::new(2, Mode::Major),
    }];
    written.parts.push(Part {
        name: None,
        instrument: prep::score::Instrument::from_program(40),
        channel: None,
        is_drum: false,
        notes: vec![Note {
            start: 0,
            duration: 960,
            pitch: 62,
            velocity: 64,
        }],
    });
    let midi = root.join("musicnet_midis/musicnet_midis/Schubert/1727_schubert_op114_2.mid");
    write(&midi, prep::midi::to_bytes(&written));
    let source = MusicNet::new(root, MusicNetOptions::default());
    let (pieces, problems) = source.list().expect("lists");
    assert_eq!(problems, Vec::new());
    assert_eq!(pieces.len(), 1);
    assert_eq!(
        pieces[0].files,
        vec![
            data.join("train_labels/1727.csv"),
            data.join("train_data/1727.wav"),
            midi
        ]
    );
    let piece = source.load(&pieces[0]).expect("loads");
    assert_eq!(
        piece.stated,
        SourceEvents {
            time_signature: true,
            key_signature: true
        }
    );
    assert_eq!(piece.metadata.get("composer").map(String::as_str), Some("Schubert"));
    let score = &piece.score;
    assert_eq!(
        score.time_signatures,
        vec![TimeSignature {
            tick: 0,
            numerator: 3,
            denominator: 4
        }]
    );
    assert_eq!(score.key_at(0), Key::new(2, Mode::Major));
    // 1 s before beat 0 is two thirds of a 3/4 bar at 120 BPM: one bar of lead-in.
    assert_eq!(score.parts[0].notes[0].start, 1440);
    // Tempi are whole microseconds per quarter: a third of a second is 333_333 us.
    assert_eq!(score.tempo.at(0).micros_per_quarter, 333_333);
    assert!((score.seconds_at(1440) - 1.0).abs() < 1e-5);
    assert!((score.seconds_at(1440 * 3) - 4.0).abs() < 1e-5);
}

#[test]
fn validation_is_carved_from_train_by_piece_and_reproducibly() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    for id in ["1727", "1728", "1729", "1730", "1731"] {
        write(&root.join(format!("train_data/{id}.wav")), wav());
        write(&root.join(format!("train_labels/{id}.csv")), labels(4));
    }
    write(&root.join("test_data/2303.wav"), wav());
    write(&root.join("test_labels/2303.csv"), labels(4));
    let source = MusicNet::new(
        root,
        MusicNetOptions {
            seed: 11,
            validation_fraction: 0.4,
        },
    );
    let (pieces, _) = source.list().expect("lists");
    let count = |split| pieces.iter().filter(|p| p.split == split).count();
    assert_eq!(
        (count(Split::Train), count(Split::Validation), count(Split::Test)),
        (3, 2, 1)
    );
    assert_eq!(
        pieces.iter().find(|p| p.id == "2303").map(|p| p.split),
        Some(Split::Test)
    );
    assert_eq!(source.list().expect("lists again").0, pieces);
}
