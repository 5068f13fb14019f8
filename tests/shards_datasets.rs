//! Verified with the real client: a small dataset (clips with real WAV spans, qa pairs,
//! embeddings, the card) is loaded by Hugging Face `datasets` through
//! tests/fixtures/shards/load_with_datasets.py, both from the Parquet files and from the
//! folder's card, and every config must come back with the right rows and decoded types.
//! Skipped, saying why, when python3 cannot import `datasets` (.ci/run installs it).

mod shards_support;

use std::path::Path;
use std::process::{Command, Stdio};

use prep::clips::Clip;
use prep::datasets::Split;
use prep::qa::{QaKind, QaPair};
use prep::shards::card::{CardExtras, ClipStats, render};
use prep::shards::{ClipRow, EmbeddingRow, ShardOptions, ShardWriter};
use serde_json::{Value, json};
use shards_support::{clip, embedding, qa, ramp, write_ramp_wav};

const RATE: u32 = 16_000;

fn datasets_available() -> Result<(), String> {
    let status = Command::new("python3")
        .args(["-c", "import datasets, soundfile, librosa"])
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => Err("python3 cannot import datasets, soundfile and librosa (tests/fixtures/requirements.txt)".into()),
        Err(e) => Err(format!("python3 not runnable: {e}")),
    }
}

/// Writes the three configs and the card: 3 train clips with audio and 1 test clip
/// without, a qa pair per clip, and an embedding per clip.
fn write_dataset(root: &Path, audio_dir: &Path) {
    let wav = write_ramp_wav(audio_dir, "mix.wav", RATE, 8.0);
    let mut clips: Vec<Clip> = (0..3)
        .map(|i| clip("urmp", "01_Jupiter_vn_vc", i, Split::Train, Some(&wav)))
        .collect();
    clips.push(clip("musicnet", "1759", 0, Split::Test, None));

    let mut stats = ClipStats::default();
    let mut clip_writer = ShardWriter::<ClipRow>::new(root, ShardOptions::default()).expect("writer");
    let mut qa_writer = ShardWriter::<QaPair>::new(root, ShardOptions::default()).expect("writer");
    let mut embedding_writer = ShardWriter::<EmbeddingRow>::new(root, ShardOptions::default()).expect("writer");
    for c in &clips {
        let wav = c.audio.as_ref().map(|span| span.wav().expect("encoding the span"));
        stats.add(c, wav.as_deref());
        clip_writer.push(ClipRow { clip: c.clone(), wav }).expect("push");
        qa_writer
            .push(qa(c, QaKind::Tempo, "What is the tempo?", "96 BPM"))
            .expect("push");
        embedding_writer.push(embedding(c, 5, 8)).expect("push");
    }
    let tables = vec![
        clip_writer.finish().expect("clips"),
        qa_writer.finish().expect("qa"),
        embedding_writer.finish().expect("embeddings"),
    ];
    let card = render("Test set", &tables, &stats, &CardExtras::default()).expect("card");
    std::fs::write(root.join("README.md"), card).expect("writing the card");
}

fn load(root: &Path, cache: &Path) -> Value {
    let output = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shards/load_with_datasets.py"))
        .arg(root)
        .arg(cache)
        .output()
        .expect("python3 runs the loader");
    assert!(
        output.status.success(),
        "loader failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the loader prints JSON")
}

#[test]
fn every_config_loads_with_datasets_from_parquet_and_from_the_card() {
    if let Err(reason) = datasets_available() {
        eprintln!("skipping the datasets check: {reason}");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (root, audio, cache) = (
        dir.path().join("dataset"),
        dir.path().join("audio"),
        dir.path().join("cache"),
    );
    std::fs::create_dir_all(&audio).expect("audio dir");
    write_dataset(&root, &audio);
    let report = load(&root, &cache);

    let clip_features = json!({
        "id": "Value(string)", "piece_id": "Value(string)", "source": "Value(string)", "split": "Value(string)",
        "index": "Value(int32)", "start_s": "Value(float64)", "end_s": "Value(float64)", "audio": "Audio",
        "abc": "Value(string)", "tempo_bpm": "Value(float64)", "metre": "Value(string)", "key": "Value(string)",
        "instruments": "Sequence(Value(string))", "note_count": "Value(int32)",
    });
    let clip_columns = json!([
        "id",
        "piece_id",
        "source",
        "split",
        "index",
        "start_s",
        "end_s",
        "audio",
        "abc",
        "tempo_bpm",
        "metre",
        "key",
        "instruments",
        "note_count"
    ]);
    // Clip 0 of the train split is [0 s, 2 s) of the ramp: 32000 samples at 16 kHz.
    let first_audio = json!({"sampling_rate": RATE, "samples": 32000, "first": [ramp(0), ramp(1), ramp(2)]});
    for how in ["parquet", "folder"] {
        let clips = &report[how]["clips"];
        assert_eq!(clips["train"]["rows"], 3, "{how}");
        assert_eq!(clips["test"]["rows"], 1, "{how}");
        assert_eq!(clips["train"]["columns"], clip_columns, "{how}");
        assert_eq!(clips["train"]["features"], clip_features, "{how}");
        assert_eq!(clips["train"]["first"]["audio"], first_audio, "{how}");
        assert_eq!(
            clips["train"]["first"]["instruments"],
            json!(["Violin", "Cello"]),
            "{how}"
        );
        assert_eq!(clips["train"]["first"]["id"], "urmp/01_Jupiter_vn_vc/0000", "{how}");
        assert_eq!(clips["train"]["null_audio"], 0, "{how}");
        assert_eq!(clips["test"]["null_audio"], 1, "{how}");

        let pairs = &report[how]["qa"];
        assert_eq!(pairs["train"]["rows"], 3, "{how}");
        assert_eq!(pairs["train"]["first"]["kind"], "tempo", "{how}");
        assert_eq!(pairs["train"]["first"]["answer"], "96 BPM", "{how}");
        assert_eq!(pairs["test"]["first"]["clip_id"], "musicnet/1759/0000", "{how}");

        let embeddings = &report[how]["embeddings"];
        assert_eq!(embeddings["train"]["rows"], 3, "{how}");
        assert_eq!(
            embeddings["train"]["features"]["frames"], "Array2D([None, 8], float16)",
            "{how}"
        );
        // Frame 4, dim 7: 4 + 7/4; stored as float16, upcast by the numpy format.
        let frames = json!({
            "shape": [5, 8], "dtype": "float32", "last": 5.75, "storage": "list<item: list<item: halffloat>>"
        });
        assert_eq!(embeddings["train"]["first"]["frames"], frames, "{how}");
        assert_eq!(embeddings["train"]["first"]["provenance"], "log_mel", "{how}");
        assert_eq!(embeddings["train"]["first"]["dim"], 8, "{how}");
    }
}
