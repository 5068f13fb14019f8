//! The plain-folder reader: MIDI files next to their recordings.

use std::fs;
use std::path::Path;

use prep::datasets::{Folder, FolderOptions, Problem, Source, Split, SplitOptions};
use prep::score::{Instrument, Note, Part, Score};

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    fs::write(path, bytes).expect("write");
}

fn midi(notes: usize) -> Vec<u8> {
    let mut score = Score::new(480);
    score.parts.push(Part {
        name: Some("Flute".to_string()),
        instrument: Instrument::from_program(73),
        channel: Some(0),
        is_drum: false,
        notes: (0..notes as u64)
            .map(|i| Note {
                start: i * 480,
                duration: 480,
                pitch: 72,
                velocity: 90,
            })
            .collect(),
    });
    prep::midi::to_bytes(&score)
}

fn fixture(root: &Path) {
    write(&root.join("a/song.mid"), midi(4));
    write(&root.join("a/song.flac"), b"fLaC");
    write(&root.join("b/lonely.mid"), midi(2));
    write(&root.join("empty.mid"), midi(0));
    write(&root.join("orphan.wav"), b"RIFF");
    for i in 0..8 {
        write(&root.join(format!("c/take{i}.mid")), midi(1));
        write(&root.join(format!("c/take{i}.wav")), b"RIFF");
    }
}

#[test]
fn missing_audio_and_empty_midi_are_reported_and_skipped() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    fixture(root);
    let split = SplitOptions {
        seed: 5,
        test_fraction: 0.2,
        validation_fraction: 0.1,
    };
    let source = Folder::new(
        root,
        FolderOptions {
            split,
            allow_missing_audio: false,
        },
    );
    let (pieces, problems) = source.list().expect("lists");
    let ids: Vec<&str> = pieces.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "a/song", "c/take0", "c/take1", "c/take2", "c/take3", "c/take4", "c/take5", "c/take6", "c/take7"
        ]
    );
    assert_eq!(pieces[0].files, vec![root.join("a/song.mid"), root.join("a/song.flac")]);
    assert_eq!(
        problems,
        vec![
            Problem {
                item: "folder/b/lonely".to_string(),
                message: format!(
                    "no recording next to {} (.wav|flac|mp3|ogg; piece skipped)",
                    root.join("b/lonely.mid").display()
                ),
            },
            Problem {
                item: "folder/empty".to_string(),
                message: format!("{} has no notes (piece skipped)", root.join("empty.mid").display()),
            },
        ]
    );
    // 9 pieces: round(1.8) = 2 test, round(0.9) = 1 validation, reproducibly.
    let count = |split| pieces.iter().filter(|p| p.split == split).count();
    assert_eq!(
        (count(Split::Train), count(Split::Validation), count(Split::Test)),
        (6, 1, 2)
    );
    assert_eq!(source.list().expect("lists again").0, pieces);
    let piece = source.load(&pieces[0]).expect("loads");
    assert_eq!(piece.id, "folder/a/song");
    assert_eq!(piece.audio, Some(root.join("a/song.flac")));
    assert_eq!(piece.score.note_count(), 4);
    assert_eq!(piece.metadata.get("instruments").map(String::as_str), Some("Flute"));
}

#[test]
fn missing_audio_can_be_allowed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    fixture(root);
    let source = Folder::new(
        root,
        FolderOptions {
            split: SplitOptions::default(),
            allow_missing_audio: true,
        },
    );
    let (pieces, problems) = source.list().expect("lists");
    let lonely = pieces.iter().find(|p| p.id == "b/lonely").expect("listed");
    assert_eq!(lonely.files, vec![root.join("b/lonely.mid")]);
    assert_eq!(source.load(lonely).expect("loads").audio, None);
    assert_eq!(problems.len(), 2);
    assert_eq!(
        problems[0].message,
        format!(
            "no recording next to {} (listed without audio)",
            root.join("b/lonely.mid").display()
        )
    );
}
