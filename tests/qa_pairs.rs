//! Q&A pairs: exact answers for known clips, seeded phrasing (deterministic, order-free,
//! seed-dependent), and the chat JSONL structure.

use prep::clips::Clip;
use prep::datasets::Split;
use prep::qa::chat::chat_line;
use prep::qa::{QaKind, QaPair, Templates, pairs_for_clip};
use serde_json::{Value, json};

fn clip(id: &str, tempo_bpm: f64, metre: &str, key: &str, instruments: &[&str]) -> Clip {
    Clip {
        id: id.to_string(),
        piece_id: "test/piece".to_string(),
        source: "test".to_string(),
        split: Split::Test,
        index: 0,
        start_s: 0.0,
        end_s: 25.0,
        audio: None,
        abc: format!("X:1\nM:{metre}\nL:1/8\nQ:1/4={tempo_bpm}\nK:{key}\nCDEF|\n"),
        tempo_bpm,
        metre: metre.to_string(),
        key: key.to_string(),
        instruments: instruments.iter().map(|s| s.to_string()).collect(),
        note_count: 4,
    }
}

fn templates() -> Templates {
    Templates::embedded().expect("the embedded templates load")
}

fn answers(pairs: &[QaPair]) -> Vec<(QaKind, &str)> {
    pairs.iter().map(|p| (p.kind, p.answer.as_str())).collect()
}

#[test]
fn answers_are_exact() {
    let duo = clip("test/piece/0003", 96.4, "3/4", "F#m", &["Violin", "Cello"]);
    let pairs = pairs_for_clip(&duo, &templates(), 7);
    assert_eq!(
        answers(&pairs),
        vec![
            (QaKind::Tempo, "96 BPM"),
            (QaKind::Metre, "3/4"),
            (QaKind::Key, "F# minor"),
            (QaKind::Instruments, "Violin, Cello"),
            (QaKind::InstrumentCount, "2"),
            (QaKind::Transcription, duo.abc.as_str()),
        ]
    );
    let ids: Vec<&str> = pairs.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids[4], "test/piece/0003/instrument_count");
    assert!(pairs.iter().all(|p| p.clip_id == duo.id && p.split == Split::Test));

    let major = clip("c", 120.0, "6/8", "D", &["Flute"]);
    assert_eq!(
        answers(&pairs_for_clip(&major, &templates(), 7))[..3],
        [
            (QaKind::Tempo, "120 BPM"),
            (QaKind::Metre, "6/8"),
            (QaKind::Key, "D major")
        ]
    );
}

#[test]
fn a_silent_clip_gets_no_instrument_questions() {
    let silent = clip("s", 60.0, "4/4", "Bb", &[]);
    let kinds: Vec<QaKind> = pairs_for_clip(&silent, &templates(), 1)
        .iter()
        .map(|p| p.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![QaKind::Tempo, QaKind::Metre, QaKind::Key, QaKind::Transcription]
    );
}

fn many_clips() -> Vec<Clip> {
    (0..40)
        .map(|i| clip(&format!("test/piece/{i:04}"), 100.0, "4/4", "C", &["Oboe"]))
        .collect()
}

fn questions(clips: &[Clip], seed: u64) -> Vec<String> {
    clips
        .iter()
        .flat_map(|c| pairs_for_clip(c, &templates(), seed))
        .map(|p| p.question)
        .collect()
}

#[test]
fn phrasing_is_seeded_and_independent_of_order() {
    let clips = many_clips();
    let first = questions(&clips, 42);
    assert_eq!(first, questions(&clips, 42));
    let mut reversed = clips.clone();
    reversed.reverse();
    let backwards = questions(&reversed, 42);
    // Reversing the clips reverses the blocks of six pairs, not the pairs within a block.
    let mut forwards: Vec<Vec<String>> = first.chunks(6).map(<[String]>::to_vec).collect();
    forwards.reverse();
    assert_eq!(backwards, forwards.concat());
    let other = questions(&clips, 43);
    assert_ne!(first, other);
    // Every phrasing is one of the templates of its kind, and all of them get used.
    let templates = templates();
    for kind in QaKind::ALL {
        let used: Vec<String> = clips
            .iter()
            .flat_map(|c| pairs_for_clip(c, &templates, 42))
            .filter(|p| p.kind == kind)
            .map(|p| p.question)
            .collect();
        let phrasings = templates.phrasings(kind);
        assert!(used.iter().all(|q| phrasings.contains(q)));
        assert!(
            phrasings.iter().all(|p| used.contains(p)),
            "{kind:?}: some phrasing never picked in 40 clips"
        );
    }
}

#[test]
fn chat_lines_have_the_exact_trl_prompt_completion_structure() {
    let duo = clip("test/piece/0003", 96.0, "3/4", "F#m", &["Violin", "Cello"]);
    let pairs = pairs_for_clip(&duo, &templates(), 7);
    let key = &pairs[2];
    let line = chat_line(key, "audio/clips/test/piece/0003.wav");
    assert!(!line.contains('\n'));
    let parsed: Value = serde_json::from_str(&line).expect("a chat line is JSON");
    assert_eq!(
        parsed,
        json!({
            "id": "test/piece/0003/key",
            "clip_id": "test/piece/0003",
            "kind": "key",
            "audio": "audio/clips/test/piece/0003.wav",
            "prompt": [{"role": "user", "content": key.question}],
            "completion": [{"role": "assistant", "content": "F# minor"}],
        })
    );
    // The transcription answer keeps its newlines inside one JSON line.
    let transcription = chat_line(&pairs[5], "https://example.org/a.flac");
    let parsed: Value = serde_json::from_str(&transcription).expect("JSON");
    assert_eq!(parsed["completion"][0]["content"], Value::String(duo.abc.clone()));
    assert_eq!(parsed["audio"], "https://example.org/a.flac");
}

#[test]
fn qa_rows_serialize_with_snake_case_kinds() {
    let pairs = pairs_for_clip(&clip("c", 90.0, "2/2", "Eb", &["Horn"]), &templates(), 3);
    let row: Value = serde_json::to_value(&pairs[4]).expect("serializable");
    assert_eq!(
        row,
        json!({"id": "c/instrument_count", "clip_id": "c", "split": "test", "kind": "instrument_count",
               "question": pairs[4].question, "answer": "1"})
    );
}
