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

#[test]
fn extensions_match_in_any_case_and_colliding_files_are_refused_by_name() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    // Mixed-case extensions pair up; `.smf` is MIDI too.
    write(&root.join("Loud.MID"), midi(3));
    write(&root.join("Loud.Wav"), b"RIFF");
    write(&root.join("quiet.smf"), midi(2));
    write(&root.join("quiet.FLAC"), b"fLaC");
    // Two MIDI files with one id: neither is used, each names the other.
    write(&root.join("twin.mid"), midi(1));
    write(&root.join("twin.MID"), midi(1));
    write(&root.join("twin.wav"), b"RIFF");
    // Two recordings of one MIDI file: skipped, both named.
    write(&root.join("both.mid"), midi(1));
    write(&root.join("both.wav"), b"RIFF");
    write(&root.join("both.ogg"), b"OggS");
    let source = Folder::new(root, FolderOptions::default());
    let (pieces, problems) = source.list().expect("lists");
    let listed: Vec<(&str, &[std::path::PathBuf])> = pieces.iter().map(|p| (p.id.as_str(), p.files.as_slice())).collect();
    assert_eq!(
        listed,
        [
            ("Loud", &[root.join("Loud.MID"), root.join("Loud.Wav")][..]),
            ("quiet", &[root.join("quiet.smf"), root.join("quiet.FLAC")][..]),
        ]
    );
    let messages: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.item, p.message)).collect();
    let (twin_upper, twin_lower) = (root.join("twin.MID"), root.join("twin.mid"));
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages[0].starts_with(&format!("{}: \"twin\" is also the name of {}", twin_upper.display(), twin_lower.display())), "{}", messages[0]);
    assert!(messages[1].starts_with(&format!("{}: \"twin\" is also the name of {}", twin_lower.display(), twin_upper.display())), "{}", messages[1]);
    assert_eq!(
        messages[2],
        format!(
            "folder/both: {} and {} are recordings of {}: keep one (piece skipped)",
            root.join("both.ogg").display(),
            root.join("both.wav").display(),
            root.join("both.mid").display()
        )
    );
    assert_eq!(source.load(&pieces[0]).expect("loads").audio, Some(root.join("Loud.Wav")));
}

#[test]
fn a_link_loop_under_the_folder_is_an_error_naming_it() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    write(&root.join("a/song.mid"), midi(1));
    std::os::unix::fs::symlink(root.join("a"), root.join("a/again")).expect("link");
    let error = Folder::new(root, FolderOptions::default()).list().expect_err("a loop");
    assert!(format!("{error:#}").contains(&format!("listing {}", root.display())), "{error:#}");
}
