//! The URMP reader on a small tree in URMP's exact layout.

use std::fs;
use std::path::Path;

use prep::datasets::{Problem, Source, Split, Urmp, UrmpOptions};
use prep::score::{Note, Part, Score, TempoMap};

/// Frequency of a MIDI pitch, as URMP's Notes files give it.
fn f0(pitch: u8) -> f64 {
    440.0 * 2f64.powf((f64::from(pitch) - 69.0) / 12.0)
}

/// A score part of quarter notes at 480 tpq.
fn quarters(pitches: &[u8]) -> Part {
    let notes = pitches.iter().enumerate().map(|(i, &pitch)| Note {
        start: 480 * i as u64,
        duration: 480,
        pitch,
        velocity: 90,
    });
    Part {
        name: None,
        instrument: prep::score::Instrument::from_program(0),
        channel: None,
        is_drum: false,
        notes: notes.collect(),
    }
}

/// Writes a piece folder: the score (4/4, 120 BPM, quarters), the mixture, and for each
/// part a Notes file whose k-th note is heard at `first_onset + k` seconds (60 BPM);
/// `file_codes` are the codes the file names use; `extra` lines go to part 1's file.
fn write_piece(root: &Path, folder: &str, file_codes: &[&str], parts: &[&[u8]], first_onset: f64, extra: &str) {
    let dir = root.join(folder);
    fs::create_dir_all(&dir).expect("piece folder");
    let mut score = Score::new(480);
    score.tempo = TempoMap::constant(500_000);
    score.parts = parts.iter().map(|p| quarters(p)).collect();
    fs::write(dir.join(format!("Sco_{folder}.mid")), prep::midi::to_bytes(&score)).expect("score");
    let mix = prep::synth::wav_bytes(&[0.0; 16], 48_000).expect("wav");
    fs::write(dir.join(format!("AuMix_{folder}.wav")), mix).expect("mix");
    let mut fields = folder.split('_');
    let (number, title) = (fields.next().expect("number"), fields.next().expect("title"));
    for (k, (code, pitches)) in file_codes.iter().zip(parts).enumerate() {
        let mut text: String = pitches
            .iter()
            .enumerate()
            .map(|(i, &p)| format!("{:.4}\t{:.4}\t{:.4}\n", first_onset + i as f64, f0(p), 0.9))
            .collect();
        if k == 0 {
            text.push_str(extra);
        }
        fs::write(dir.join(format!("Notes_{}_{code}_{number}_{title}.txt", k + 1)), text).expect("notes");
        fs::write(dir.join(format!("AuSep_{}_{code}_{number}_{title}.wav", k + 1)), b"").expect("stem");
    }
}

fn fixture() -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    // Heard 4 s late at 60 BPM; an ornament (pitch 90) at 5.5 s that the score lacks.
    let melody: &[u8] = &[72, 74, 76, 77, 79, 77, 76, 74];
    let bass: &[u8] = &[48, 50, 52, 53, 55, 53, 52, 50];
    write_piece(
        root,
        "01_Jupiter_vn_vc",
        &["vn", "vc"],
        &[melody, bass],
        4.0,
        "5.5000\t1479.9777\t0.2500\n",
    );
    write_piece(root, "03_Dance_fl_cl", &["fl", "cl"], &[melody, melody], 0.0, "oops\n");
    write_piece(
        root,
        "15_Surprise_tpt_tpt_tbn",
        &["tpt", "tpt", "tpt"],
        &[melody, melody, bass],
        0.0,
        "",
    );
    write_piece(root, "05_Missing_vn_vc", &["vn", "vc"], &[melody, bass], 0.0, "");
    fs::remove_file(root.join("05_Missing_vn_vc/AuMix_05_Missing_vn_vc.wav")).expect("remove mix");
    // The extra-material folder as published (`Supplementary_Files`), with piece folders
    // and videos inside, and as some re-packagings name it.
    for supplementary in ["Supplementary_Files", "Supplementary"] {
        fs::create_dir_all(root.join(supplementary).join("01_Jupiter_vn_vc")).expect("supplementary");
    }
    temp
}

#[test]
fn listing_reports_problems_skips_supplementary_and_splits_like_mt3() {
    let temp = fixture();
    let root = temp.path();
    let urmp = Urmp::new(
        root,
        UrmpOptions {
            seed: 3,
            validation_fraction: 0.5,
        },
    );
    let (pieces, problems) = urmp.list().expect("lists");
    let ids: Vec<&str> = pieces.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["01_Jupiter_vn_vc", "03_Dance_fl_cl", "15_Surprise_tpt_tpt_tbn"]
    );
    assert_eq!(pieces[0].split, Split::Test);
    let mut train_like: Vec<Split> = pieces[1..].iter().map(|p| p.split).collect();
    train_like.sort();
    assert_eq!(train_like, vec![Split::Train, Split::Validation]);
    let dance = root.join("03_Dance_fl_cl/Notes_1_fl_03_Dance.txt");
    let missing = root.join("05_Missing_vn_vc/AuMix_05_Missing_vn_vc.wav");
    assert_eq!(
        problems,
        vec![
            Problem {
                item: "urmp/03_Dance_fl_cl".to_string(),
                message: format!(
                    "{}:9: expected `onset f0 duration` (s, Hz > 0, s > 0), got `oops` (line skipped)",
                    dance.display()
                ),
            },
            Problem {
                item: "urmp/05_Missing_vn_vc".to_string(),
                message: format!("missing {} (piece skipped)", missing.display()),
            },
        ]
    );
    assert_eq!(urmp.list().expect("lists again").0, pieces, "the split is reproducible");
}

#[test]
fn loading_puts_the_score_bars_where_the_performance_is_heard() {
    let temp = fixture();
    let urmp = Urmp::new(temp.path(), UrmpOptions::default());
    let (pieces, _) = urmp.list().expect("lists");
    let piece = urmp.load(&pieces[0]).expect("loads");
    assert_eq!(piece.id, "urmp/01_Jupiter_vn_vc");
    assert_eq!(
        piece.audio,
        Some(temp.path().join("01_Jupiter_vn_vc/AuMix_01_Jupiter_vn_vc.wav"))
    );
    assert_eq!(
        piece.metadata.get("instruments").map(String::as_str),
        Some("Violin, Cello")
    );
    let score = &piece.score;
    // 4 s of silence is one bar at the heard 60 BPM: a one-bar lead-in, one tempo.
    let tempi: Vec<(u64, u32)> = score
        .tempo
        .changes()
        .iter()
        .map(|c| (c.tick, c.micros_per_quarter))
        .collect();
    assert_eq!(tempi, vec![(0, 1_000_000)]);
    let violin = &score.parts[0];
    assert_eq!(
        (violin.instrument.program, violin.instrument.label.as_deref()),
        (40, Some("vn"))
    );
    let expected: Vec<Note> = [72u8, 74, 76, 77]
        .iter()
        .enumerate()
        .map(|(i, &pitch)| Note {
            start: 1920 + 480 * i as u64,
            duration: 480,
            pitch,
            velocity: 80,
        })
        .chain([Note {
            start: 2640,
            duration: 120,
            pitch: 90,
            velocity: 80,
        }])
        .chain([79u8, 77, 76, 74].iter().enumerate().map(|(i, &pitch)| Note {
            start: 3840 + 480 * i as u64,
            duration: 480,
            pitch,
            velocity: 80,
        }))
        .collect();
    let mut expected = expected;
    expected.sort_by_key(|n| (n.start, n.pitch));
    assert_eq!(violin.notes, expected);
    assert_eq!(score.seconds_at(violin.notes[0].start), 4.0);
    assert_eq!(score.parts[1].instrument.program, 42);
}

#[test]
fn the_override_table_makes_part_three_of_piece_15_a_trombone() {
    let temp = fixture();
    let urmp = Urmp::new(temp.path(), UrmpOptions::default());
    let (pieces, _) = urmp.list().expect("lists");
    let surprise = pieces
        .iter()
        .find(|p| p.id == "15_Surprise_tpt_tpt_tbn")
        .expect("listed");
    let piece = urmp.load(surprise).expect("loads");
    let programs: Vec<(u8, Option<&str>)> = piece
        .score
        .parts
        .iter()
        .map(|p| (p.instrument.program, p.instrument.label.as_deref()))
        .collect();
    assert_eq!(programs, vec![(56, Some("tpt")), (56, Some("tpt")), (57, Some("tbn"))]);
    assert_eq!(piece.score.parts[2].notes.len(), 8);
}
