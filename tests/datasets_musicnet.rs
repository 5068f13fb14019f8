//! The MusicNet reader on small trees in its published layout and in the common nested
//! re-packaging.

use std::fs;
use std::path::Path;

use prep::analysis::{QuantizeMode, prepare};
use prep::clips::{ClipOptions, cut_piece};
use prep::datasets::{MusicNet, MusicNetOptions, Piece, Problem, Source, Split};
use prep::qa::{QaKind, Templates, pairs_for_clip};
use prep::score::{Instrument, Key, KeyChange, Mode, Note, Part, Score, SourceEvents, TimeSignature};

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

/// A label file from (start beat, length in beats, `note_value`, heard at second, pitch)
/// rows, for one violin.
fn label_rows(rows: &[(f64, f64, &str, f64, u8)]) -> String {
    let body: String = rows
        .iter()
        .map(|&(beat, beats, value, second, pitch)| {
            let start = (second * 44_100.0) as u64;
            format!("{start},{},41,{pitch},{beat},{beats},{value}\n", start + 15_000)
        })
        .collect();
    format!("{HEADER}{body}")
}

/// A one-part score MIDI (violin, 480 ticks per quarter) with the given metres, pickup
/// and keys, stating only what `stated` says.
fn score_midi(metres: Vec<TimeSignature>, pickup_ticks: u64, keys: Vec<KeyChange>, stated: SourceEvents) -> Vec<u8> {
    let mut written = Score::new(480);
    written.time_signatures = metres;
    written.pickup_ticks = pickup_ticks;
    written.key_signatures = keys;
    written.parts.push(Part {
        name: Some("Violin".to_string()),
        instrument: Instrument::from_program(40),
        channel: Some(0),
        is_drum: false,
        notes: vec![Note {
            start: 0,
            duration: 240,
            pitch: 62,
            velocity: 64,
        }],
    });
    prep::midi::to_bytes_stating(&written, stated)
}

fn metre(tick: u64, numerator: u8, denominator: u8) -> TimeSignature {
    TimeSignature {
        tick,
        numerator,
        denominator,
    }
}

/// A D major tune in quarter-note beats, one beat every 0.5 s from time 0.
fn d_major_rows() -> Vec<(f64, f64, &'static str, f64, u8)> {
    let pitches = [62u8, 66, 69, 74, 69, 66, 62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62, 69, 62, 62];
    pitches
        .iter()
        .enumerate()
        .map(|(i, &pitch)| (i as f64, 1.0, "Quarter", i as f64 * 0.5, pitch))
        .collect()
}

fn load_one(root: &Path, id: &str) -> Piece {
    let source = MusicNet::new(root, MusicNetOptions::default());
    let (pieces, problems) = source.list().expect("lists");
    assert_eq!(problems, Vec::new());
    let piece = pieces.iter().find(|p| p.id == id).expect("listed");
    source.load(piece).expect("loads")
}

#[test]
fn only_what_the_score_midi_states_is_stated_and_the_rest_is_inferred() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    let d_major = KeyChange {
        tick: 0,
        key: Key::new(2, Mode::Major),
    };
    // 2303: a time signature (3/4) and no key signature, as 65 of MusicNet's MIDIs.
    write(&root.join("musicnet_metadata.csv"), METADATA);
    write(&root.join("test_data/2303.wav"), wav());
    write(&root.join("test_labels/2303.csv"), label_rows(&d_major_rows()));
    let metre_only = SourceEvents {
        time_signature: true,
        key_signature: false,
    };
    write(
        &root.join("musicnet_midis/Bach/2303_prelude5.mid"),
        score_midi(vec![metre(0, 3, 4)], 0, vec![d_major], metre_only),
    );
    // 2304: a key signature and no time signature.
    write(&root.join("test_data/2304.wav"), wav());
    write(&root.join("test_labels/2304.csv"), label_rows(&d_major_rows()));
    let key_only = SourceEvents {
        time_signature: false,
        key_signature: true,
    };
    write(
        &root.join("musicnet_midis/Bach/2304_prelude6.mid"),
        score_midi(vec![metre(0, 3, 4)], 0, vec![d_major], key_only),
    );

    let piece = load_one(root, "2303");
    assert_eq!(piece.stated, metre_only);
    assert_eq!(piece.score.time_signatures, vec![metre(0, 3, 4)]);
    // The key is left to inference, which finds D major rather than a stated C major.
    let (prepared, report) = prepare(&piece.score, QuantizeMode::Auto, piece.stated).expect("prepares");
    assert_eq!(report.key, Some(Key::new(2, Mode::Major)));
    assert_eq!(prepared.key_at(0), Key::new(2, Mode::Major));
    assert_eq!(prepared.time_signatures, vec![metre(0, 3, 4)]);

    let piece = load_one(root, "2304");
    assert_eq!(piece.stated, key_only);
    assert_eq!(piece.score.key_at(0), Key::new(2, Mode::Major));
    let (_, report) = prepare(&piece.score, QuantizeMode::Auto, piece.stated).expect("prepares");
    assert!(report.metre.is_some(), "the metre is inferred");
    assert_eq!(report.key, None, "the stated key is kept");
}

#[test]
fn a_broken_score_midi_is_reported_and_the_piece_is_read_from_its_labels() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    write(&root.join("musicnet_metadata.csv"), METADATA);
    write(&root.join("train_data/2570.wav"), wav());
    write(&root.join("train_labels/2570.csv"), labels(12));
    // A header chunk that promises a track, and the track cut short.
    let broken = root.join("musicnet_midis/Beethoven/2570_vs7_1.mid");
    write(&broken, b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x00\x40\x00\x90\x3c");
    let source = MusicNet::new(root, MusicNetOptions::default());
    let (pieces, problems) = source.list().expect("lists");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].item, "musicnet/2570");
    let message = &problems[0].message;
    assert!(message.starts_with(&format!("{}: ", broken.display())), "{message}");
    assert!(
        message.ends_with("(score MIDI not used: the piece is read from its labels alone)"),
        "{message}"
    );
    assert_eq!(
        pieces[0].files,
        vec![root.join("train_labels/2570.csv"), root.join("train_data/2570.wav")]
    );
    let piece = source.load(&pieces[0]).expect("loads from the labels");
    assert_eq!(piece.stated, SourceEvents::default());
    assert_eq!(piece.score.note_count(), 12);
}

#[test]
fn a_one_eighth_pickup_bar_is_a_pickup_and_clip_0_is_in_the_real_metre() {
    let stated = SourceEvents {
        time_signature: true,
        key_signature: true,
    };
    let g_major = vec![KeyChange {
        tick: 0,
        key: Key::new(1, Mode::Major),
    }];
    // 1919 as MIDI exporters spell it: a 1/8 bar, then 3/4. Spelled exactly (one eighth
    // under 1/8), and with a quarter-note upbeat under the 1/8 signature (two "bars" of
    // 1/8, which the MIDI reader alone keeps as bars).
    for (upbeat_ticks, midi) in [
        (240, score_midi(vec![metre(0, 3, 4)], 240, g_major.clone(), stated)),
        (
            480,
            score_midi(vec![metre(0, 1, 8), metre(480, 3, 4)], 0, g_major.clone(), stated),
        ),
    ] {
        let temp = tempfile::tempdir().expect("temp dir");
        let root = temp.path();
        write(&root.join("musicnet_metadata.csv"), METADATA);
        write(&root.join("train_data/1919.wav"), wav());
        write(&root.join("musicnet_midis/Beethoven/1919_sonata.mid"), midi);
        // The upbeat, then 4 bars of quarters; a quarter beat every 0.5 s from time 0.
        let upbeat = upbeat_ticks as f64 / 480.0;
        let (value, upbeat_value) = ("Quarter", if upbeat_ticks == 240 { "Eighth" } else { "Quarter" });
        let mut rows = vec![(0.0, upbeat, upbeat_value, 0.0, 67u8)];
        rows.extend((0..12).map(|i| {
            let beat = upbeat + f64::from(i);
            (beat, 1.0, value, beat * 0.5, 67 + (i % 5) as u8)
        }));
        write(&root.join("train_labels/1919.csv"), label_rows(&rows));

        let mut piece = load_one(root, "1919");
        assert_eq!(piece.stated, stated);
        assert_eq!(piece.score.time_signatures, vec![metre(0, 3, 4)], "upbeat {upbeat_ticks}");
        assert_eq!(piece.score.pickup_ticks, upbeat_ticks);
        let (prepared, _) = prepare(&piece.score, QuantizeMode::Auto, piece.stated).expect("prepares");
        piece.score = prepared;
        let options = ClipOptions {
            length_s: 2.0,
            hop_s: 2.0,
            min_length_s: 0.5,
            ..ClipOptions::default()
        };
        let clips = cut_piece(&piece, &options).expect("cuts");
        assert_eq!(clips[0].metre, "3/4");
        assert!(clips[0].abc.contains("M:3/4"), "{}", clips[0].abc);
        assert!(!clips[0].abc.contains("M:1/8"), "{}", clips[0].abc);
        let templates = Templates::load(None).expect("default templates");
        let answer = pairs_for_clip(&clips[0], &templates, 0)
            .into_iter()
            .find(|pair| pair.kind == QaKind::Metre)
            .map(|pair| pair.answer);
        assert_eq!(answer.as_deref(), Some("3/4"));
    }
}

#[test]
fn labels_counting_half_note_beats_are_read_in_half_notes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    write(&root.join("musicnet_metadata.csv"), METADATA);
    write(&root.join("train_data/2209.wav"), wav());
    // A 2/2 piece: quarters last half a beat, a half note one beat; a quarter every 0.5 s.
    let mut rows: Vec<(f64, f64, &str, f64, u8)> =
        (0..8).map(|i| (f64::from(i) * 0.5, 0.5, "Quarter", f64::from(i) * 0.5, 60 + i as u8)).collect();
    rows.push((4.0, 1.0, "Half", 4.0, 72));
    rows.push((5.0, 0.75, "Dotted Quarter", 5.0, 71));
    write(&root.join("train_labels/2209.csv"), label_rows(&rows));
    let alla_breve = SourceEvents {
        time_signature: true,
        key_signature: true,
    };
    write(
        &root.join("musicnet_midis/Bach/2209_fugue4.mid"),
        score_midi(vec![metre(0, 2, 2)], 0, vec![KeyChange { tick: 0, key: Key::default() }], alla_breve),
    );
    let piece = load_one(root, "2209");
    let notes: Vec<(u64, u64)> = piece.score.parts[0].notes.iter().map(|n| (n.start, n.duration)).collect();
    let mut expected: Vec<(u64, u64)> = (0..8).map(|i| (480 * i, 480)).collect();
    expected.extend([(3840, 960), (4800, 720)]);
    assert_eq!(notes, expected);
    // Bars of 2/2 (1920 ticks) are heard every 2 s.
    assert_eq!(piece.score.time_signatures, vec![metre(0, 2, 2)]);
    assert!((piece.score.seconds_at(1920) - 2.0).abs() < 1e-5);
    assert!((piece.score.seconds_at(3840) - 4.0).abs() < 1e-5);
}
