//! Cutting pieces into clips: exact window boundaries (touching, overlapping, the tail
//! rule, bar mode), the ABC of each clip (the writer's text of exactly the window, reading
//! back to exactly the window's notes) and the facts in force at each window start.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use prep::abc::read::{ABC_TICKS_PER_QUARTER, parse};
use prep::abc::write::to_abc;
use prep::clips::{AudioSpan, ClipOptions, OptionsError, clip_from_abc, cut_piece, spans};
use prep::datasets::{Piece, Split};
use prep::score::{
    Instrument, Key, KeyChange, Mode, Note, Part, Score, SourceEvents, TempoChange, TempoMap, TimeSignature,
};

const TPQ: u64 = 480;

fn part(program: u8, notes: Vec<Note>) -> Part {
    Part {
        name: None,
        instrument: Instrument::from_program(program),
        channel: Some(0),
        is_drum: false,
        notes,
    }
}

fn note(start: u64, duration: u64, pitch: u8) -> Note {
    Note {
        start,
        duration,
        pitch,
        velocity: 80,
    }
}

/// 25 s: five bars of 4/4 in C at 120 BPM (2 s a bar, 0..10 s), then five bars of 3/4 in
/// D major at 60 BPM (3 s a bar, 10..25 s). Bar lines at 0, 2, 4, 6, 8, 10, 13, 16, 19,
/// 22, 25 s. A violin plays a quarter note on every beat; a cello holds a note across
/// 8 s (7..9 s) and is silent after 10 s.
fn changing_score() -> Score {
    let mut score = Score::new(TPQ as u32);
    score.title = Some("Changes".to_string());
    score.tempo = TempoMap::from_changes(vec![
        TempoChange {
            tick: 0,
            micros_per_quarter: 500_000,
        },
        TempoChange {
            tick: 9600,
            micros_per_quarter: 1_000_000,
        },
    ]);
    score.time_signatures.push(TimeSignature {
        tick: 9600,
        numerator: 3,
        denominator: 4,
    });
    score.key_signatures.push(KeyChange {
        tick: 9600,
        key: Key::new(2, Mode::Major),
    });
    let violin = (0..35)
        .map(|beat| note(beat * TPQ, TPQ, 67 + (beat % 5) as u8))
        .collect();
    let cello = vec![note(0, 1920, 48), note(3840, 1920, 43), note(6720, 1920, 45)];
    score.parts = vec![part(40, violin), part(42, cello)];
    score
}

fn piece(score: Score) -> Piece {
    Piece {
        id: "test/changes".to_string(),
        source: "test".to_string(),
        split: Split::Validation,
        score,
        stated: SourceEvents {
            time_signature: true,
            key_signature: true,
        },
        audio: Some(PathBuf::from("audio/changes.wav")),
        metadata: BTreeMap::new(),
    }
}

fn options(length_s: f64, hop_s: f64, min_length_s: f64, at_bars: bool) -> ClipOptions {
    ClipOptions {
        length_s,
        hop_s,
        min_length_s,
        at_bars,
        ..ClipOptions::default()
    }
}

fn bounds(score: &Score, options: &ClipOptions) -> Vec<(f64, f64)> {
    spans(score, options)
        .expect("valid options")
        .iter()
        .map(|s| (s.start_s, s.end_s))
        .collect()
}

#[test]
fn touching_windows_drop_a_short_tail() {
    let score = changing_score();
    assert_eq!(
        bounds(&score, &options(8.0, 8.0, 5.0, false)),
        vec![(0.0, 8.0), (8.0, 16.0), (16.0, 24.0)]
    );
    assert_eq!(
        bounds(&score, &options(10.0, 10.0, 5.0, false)),
        vec![(0.0, 10.0), (10.0, 20.0), (20.0, 25.0)],
        "a 5 s tail is as long as the minimum: kept"
    );
    assert_eq!(
        bounds(&score, &options(8.0, 8.0, 0.0, false)),
        vec![(0.0, 8.0), (8.0, 16.0), (16.0, 24.0), (24.0, 25.0)]
    );
    assert_eq!(
        bounds(&score, &options(30.0, 30.0, 26.0, false)),
        vec![],
        "a piece shorter than the minimum"
    );
}

#[test]
fn overlapping_windows_stop_at_the_first_that_reaches_the_end() {
    let score = changing_score();
    assert_eq!(
        bounds(&score, &options(10.0, 5.0, 5.0, false)),
        vec![(0.0, 10.0), (5.0, 15.0), (10.0, 20.0), (15.0, 25.0)]
    );
    let ticks: Vec<(u64, u64)> = spans(&score, &options(10.0, 5.0, 5.0, false))
        .unwrap()
        .iter()
        .map(|s| (s.start_tick, s.end_tick))
        .collect();
    assert_eq!(ticks, vec![(0, 9600), (4800, 12000), (9600, 14400), (12000, 16800)]);
}

#[test]
fn windows_with_gaps_between_them() {
    assert_eq!(
        bounds(&changing_score(), &options(4.0, 10.0, 1.0, false)),
        vec![(0.0, 4.0), (10.0, 14.0), (20.0, 24.0)]
    );
}

#[test]
fn bar_windows_are_whole_bars_of_about_the_length() {
    let score = changing_score();
    assert_eq!(
        bounds(&score, &options(8.0, 8.0, 5.0, true)),
        vec![(0.0, 8.0), (8.0, 16.0), (16.0, 25.0)]
    );
    assert_eq!(
        bounds(&score, &options(8.0, 4.0, 5.0, true)),
        vec![(0.0, 8.0), (4.0, 13.0), (8.0, 16.0), (13.0, 22.0), (16.0, 25.0)]
    );
    assert_eq!(
        bounds(&score, &options(8.0, 8.0, 8.5, true)),
        vec![(16.0, 25.0)],
        "8 s windows under 8.5 s dropped"
    );
    let clips = cut_piece(&piece(score), &options(8.0, 4.0, 5.0, true)).expect("valid options");
    for clip in &clips {
        let parsed = parse(&clip.abc);
        assert_eq!(
            parsed.score.pickup_ticks, 0,
            "{} starts on a bar line:\n{}",
            clip.id, clip.abc
        );
    }
}

#[test]
fn invalid_options_are_errors() {
    let score = changing_score();
    assert_eq!(
        spans(&score, &options(0.0, 8.0, 5.0, false)),
        Err(OptionsError::Length(0.0))
    );
    assert_eq!(
        spans(&score, &options(8.0, -1.0, 5.0, false)),
        Err(OptionsError::Hop(-1.0))
    );
    assert!(matches!(
        spans(&score, &options(8.0, 8.0, f64::NAN, false)),
        Err(OptionsError::MinLength(_))
    ));
}

/// Notes as (pitch, onset, duration) at 3360 ticks per quarter, sorted.
fn notes(score: &Score) -> Vec<(u8, u64, u64)> {
    let q = u64::from(ABC_TICKS_PER_QUARTER);
    let tpq = u64::from(score.ticks_per_quarter);
    let mut notes: Vec<_> = score
        .parts
        .iter()
        .flat_map(|p| &p.notes)
        .map(|n| (n.pitch, n.start * q / tpq, n.duration * q / tpq))
        .collect();
    notes.sort_unstable();
    notes
}

#[test]
fn each_clip_is_the_abc_of_exactly_its_window() {
    let piece = piece(changing_score());
    let options = options(10.0, 5.0, 5.0, false);
    let clips = cut_piece(&piece, &options).expect("valid options");
    assert_eq!(clips.len(), 4);
    for (index, clip) in clips.iter().enumerate() {
        let mut window = piece.score.window_seconds(clip.start_s, clip.end_s);
        window.title = None;
        assert_eq!(clip.abc, to_abc(&window, &options.abc), "{}", clip.id);
        assert!(!clip.abc.contains("T:"), "no title in a clip:\n{}", clip.abc);
        let parsed = parse(&clip.abc);
        assert!(
            parsed.diagnostics.is_empty(),
            "{}: {:?}\n{}",
            clip.id,
            parsed.diagnostics,
            clip.abc
        );
        assert_eq!(notes(&parsed.score), notes(&window), "{}\n{}", clip.id, clip.abc);
        assert_eq!(clip.note_count as usize, window.note_count());
        assert_eq!(clip.id, format!("test/changes/{index:04}"));
        assert_eq!(
            (clip.index as usize, clip.split, clip.piece_id.as_str()),
            (index, Split::Validation, "test/changes")
        );
        let audio = AudioSpan {
            path: PathBuf::from("audio/changes.wav"),
            start_s: clip.start_s,
            end_s: clip.end_s,
        };
        assert_eq!(clip.audio, Some(audio));
    }
}

#[test]
fn the_header_states_what_is_in_force_at_the_window_start() {
    let clips = cut_piece(&piece(changing_score()), &options(10.0, 5.0, 5.0, false)).expect("valid options");
    let facts: Vec<(f64, &str, &str, Vec<&str>)> = clips
        .iter()
        .map(|c| {
            (
                c.tempo_bpm,
                c.metre.as_str(),
                c.key.as_str(),
                c.instruments.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        facts,
        vec![
            (120.0, "4/4", "C", vec!["Violin", "Cello"]),
            (120.0, "4/4", "C", vec!["Violin", "Cello"]),
            (60.0, "3/4", "D", vec!["Violin"]),
            (60.0, "3/4", "D", vec!["Violin"]),
        ]
    );
    // The second clip (5..15 s) starts mid-bar in 4/4 and changes to 3/4, D and 60 BPM at 10 s.
    let second = parse(&clips[1].abc).score;
    assert_eq!(second.pickup_ticks, u64::from(ABC_TICKS_PER_QUARTER) * 2);
    assert_eq!(
        second.time_signatures[0],
        TimeSignature {
            tick: 0,
            numerator: 4,
            denominator: 4
        }
    );
    let change = u64::from(ABC_TICKS_PER_QUARTER) * 10;
    assert_eq!(
        second.time_signatures[1],
        TimeSignature {
            tick: change,
            numerator: 3,
            denominator: 4
        }
    );
    assert_eq!(
        second.key_signatures[1],
        KeyChange {
            tick: change,
            key: Key::new(2, Mode::Major)
        }
    );
    assert_eq!(second.tempo.at(change).bpm(), 60.0);
    assert!(clips[2].abc.contains("M:3/4\n") && clips[2].abc.contains("Q:1/4=60\n") && clips[2].abc.contains("K:D\n"));
}

/// A performance's lead-in (its first sixteenth at a tempo of its own, squeezed to land
/// the first note where it was played) is not the clip's tempo: the first clip states the
/// music's 96 BPM, in its facts and in its header, as the later ones do.
#[test]
fn a_lead_in_is_not_the_clips_tempo() {
    let mut score = changing_score();
    score.tempo = TempoMap::from_changes(vec![
        TempoChange { tick: 0, micros_per_quarter: 100_000 },
        TempoChange { tick: TPQ / 4, micros_per_quarter: 625_000 },
    ]);
    let clips = cut_piece(&piece(score), &options(10.0, 10.0, 5.0, false)).expect("valid options");
    let tempi: Vec<f64> = clips.iter().map(|c| c.tempo_bpm).collect();
    assert_eq!(tempi, vec![96.0; clips.len()]);
    assert!(clips[0].abc.contains("\nQ:1/4=96\n"), "{}", clips[0].abc);
    assert!(clips[0].abc.contains("[Q:1/4=600]"), "{}", clips[0].abc);
}

#[test]
fn a_clip_read_back_from_its_abc_states_the_same_facts() {
    // A piano with a held bass under chords: one voice with an overlay, one instrument.
    let mut score = changing_score();
    let piano = vec![
        note(0, 3840, 36),
        note(0, 960, 60),
        note(0, 960, 64),
        note(960, 960, 62),
        note(1920, 1920, 65),
    ];
    score.parts.push(part(0, piano));
    let parts = score.parts.len();
    let clips = cut_piece(&piece(score), &options(8.0, 8.0, 5.0, false)).expect("valid options");
    let voices = clips[0].abc.lines().filter(|l| l.starts_with("V:")).count();
    assert!(voices == parts && clips[0].abc.contains('&'), "{}", clips[0].abc);
    for clip in &clips {
        let read = clip_from_abc(&clip.id, clip.split, &clip.abc).expect("our ABC reads");
        assert_eq!(
            (
                read.tempo_bpm,
                &read.metre,
                &read.key,
                &read.instruments,
                read.note_count
            ),
            (
                clip.tempo_bpm,
                &clip.metre,
                &clip.key,
                &clip.instruments,
                clip.note_count
            ),
            "{}",
            clip.abc
        );
        assert_eq!(read.end_s, clip.end_s - clip.start_s);
    }
    assert_eq!(clips[0].instruments, vec!["Violin", "Cello", "Acoustic Grand Piano"]);
}

#[test]
fn abc_without_a_stated_tempo_cannot_make_a_clip() {
    let error = clip_from_abc("x", Split::Train, "X:1\nM:4/4\nL:1/4\nK:C\nCDEF|\n").unwrap_err();
    assert_eq!(error.to_string(), "the tune states no Q: field");
}

/// A one-hour piece (two parts of eighth notes at 120 BPM in 4/4) cuts into 144 clips of
/// 25 s, fast: the windows in well under a millisecond, the ABC of all 144 in a second
/// even in a debug build.
#[test]
fn an_hour_long_piece_cuts_quickly() {
    let mut score = Score::new(TPQ as u32);
    let eighths = 2 * 3600 * 2;
    score.parts = (0..2)
        .map(|p| {
            part(
                40 + p,
                (0..eighths)
                    .map(|i| note(i * TPQ / 2, TPQ / 2, 60 + (i % 12) as u8 + p))
                    .collect(),
            )
        })
        .collect();
    let piece = piece(score);
    let started = Instant::now();
    let spans = spans(&piece.score, &ClipOptions::default()).expect("defaults are valid");
    let spans_time = started.elapsed();
    assert_eq!(spans.len(), 144);
    assert_eq!((spans[143].start_s, spans[143].end_s), (3575.0, 3600.0));
    let started = Instant::now();
    let clips = cut_piece(&piece, &ClipOptions::default()).expect("defaults are valid");
    let cut_time = started.elapsed();
    assert_eq!(clips.len(), 144);
    assert_eq!(clips.iter().map(|c| c.note_count).sum::<u32>(), 2 * eighths as u32);
    println!("1 h piece: windows in {spans_time:?}, 144 clips with ABC in {cut_time:?}");
    assert!(cut_time.as_secs_f64() < 10.0, "cutting took {cut_time:?}");
}

#[test]
fn a_tempo_in_whole_microseconds_is_stated_as_the_score_meant_it() {
    // 60e6 / 521739 = 115.0000287500072 BPM: MIDI's nearest tempo to 115.
    let mut score = changing_score();
    score.tempo = TempoMap::from_changes(vec![TempoChange { tick: 0, micros_per_quarter: 521_739 }]);
    let clips = cut_piece(&piece(score), &options(10.0, 10.0, 5.0, false)).expect("valid options");
    assert!(clips.iter().all(|c| c.tempo_bpm == 115.0), "{:?}", clips.iter().map(|c| c.tempo_bpm).collect::<Vec<_>>());
}
