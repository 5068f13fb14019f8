//! Pooling on constructed frames, clip windows against the recording, and `prep embed`
//! end to end on a folder of audio.

use std::f64::consts::PI;
use std::path::Path;

use prep::embed::table::{EmbedOptions, run};
use prep::embed::pool::{Pooling, pool};
use prep::embed::window::{clip_audio, clip_window};
use prep::embed::{DType, Device, EmbedderSpec, FrameGrid, Frames, Model};
use prep::shards::ShardOptions;

/// Frames whose single value is the frame index.
fn ramp(count: usize) -> Frames {
    Frames {
        dim: 1,
        values: (0..count).map(|j| j as f32).collect(),
    }
}

#[test]
fn exact_pooling_of_a_100_hz_model_averages_ten_frames() {
    let grid = FrameGrid {
        sample_rate: 16_000,
        hop: 160,
    };
    let samples = 25 * 16_000;
    // 1 + n / hop frames, as a centred STFT gives; the last lies past the input.
    let pooled = pool(&ramp(2501), grid, samples, Pooling::Exact).expect("pooled");
    assert_eq!(pooled.frames.count(), 250);
    assert_eq!(pooled.rate_hz, 10.0);
    assert_eq!(pooled.frames.frame(0), [4.5]);
    assert_eq!(pooled.frames.frame(249), [2494.5]);
}

#[test]
fn exact_pooling_splits_frames_that_straddle_a_boundary() {
    // Jukebox's grid: 128 samples per token at 44.1 kHz; 100 ms is 4410 samples.
    let grid = FrameGrid {
        sample_rate: 44_100,
        hop: 128,
    };
    let pooled = pool(&ramp(8614), grid, 25 * 44_100, Pooling::Exact).expect("pooled");
    assert_eq!(pooled.frames.count(), 250);
    // Window 0 is samples [0, 4410): tokens 0..=33 whole (4352 samples), 58 of token 34.
    let want = (128.0 * (0..34).sum::<i32>() as f64 + 58.0 * 34.0) / 4410.0;
    assert_eq!(pooled.frames.frame(0), [want as f32]);
}

#[test]
fn exact_pooling_gives_a_last_partial_window_its_own_frame() {
    let grid = FrameGrid {
        sample_rate: 16_000,
        hop: 160,
    };
    let pooled = pool(&ramp(11), grid, 1_650, Pooling::Exact).expect("pooled");
    assert_eq!(pooled.frames.count(), 2);
    // Samples [1600, 1650): 50 samples of frame 10.
    assert_eq!(pooled.frames.frame(1), [10.0]);
}

#[test]
fn exact_pooling_refuses_frames_that_stop_short() {
    let grid = FrameGrid {
        sample_rate: 16_000,
        hop: 160,
    };
    assert!(pool(&ramp(5), grid, 16_000, Pooling::Exact).is_err());
}

#[test]
fn llark_pooling_gives_240_frames_for_8192_tokens() {
    let grid = FrameGrid {
        sample_rate: 44_100,
        hop: 128,
    };
    let pooled = pool(&ramp(8192), grid, 1_048_576, Pooling::Llark).expect("pooled");
    assert_eq!(pooled.frames.count(), 240);
    assert_eq!(pooled.rate_hz, 44_100.0 / 128.0 / 34.0);
    assert_eq!(pooled.frames.frame(0), [16.5]);
    assert_eq!(pooled.frames.frame(239), [(239.0 * 34.0 + 16.5) as f32]);
}

#[test]
fn clip_windows_round_both_ends_and_tile() {
    let rate = 44_100;
    let bounds = [0.0, 0.300_001, 25.123_457, 50.0, 61.7];
    let windows: Vec<_> = bounds.windows(2).map(|b| clip_window(b[0], b[1], 25.0, rate)).collect();
    for (window, b) in windows.iter().zip(bounds.windows(2)) {
        assert_eq!(window.first, (b[0] * 44_100.0f64).round() as u64);
    }
    for pair in windows.windows(2) {
        assert_eq!(pair[0].first + pair[0].audio_len as u64, pair[1].first);
    }
    assert_eq!(windows[3].audio_len, 515_970);
    assert_eq!(windows[3].padded_len, 1_102_500);
}

/// Writes `seconds` of a 440 Hz + 3 kHz tone at 48 kHz as 32-bit float mono WAV.
fn write_tone(path: &Path, seconds: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).expect("wav created");
    for n in 0..(seconds * 48_000.0) as usize {
        writer
            .write_sample(tone(n as f64 / 48_000.0) as f32)
            .expect("sample written");
    }
    writer.finalize().expect("wav finished");
}

fn tone(t: f64) -> f64 {
    0.5 * (2.0 * PI * 440.0 * t).sin() + 0.25 * (2.0 * PI * 3000.0 * t).sin()
}

#[test]
fn clip_audio_is_the_recording_at_the_model_rate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tone.wav");
    write_tone(&path, 3.0);
    let clip = clip_audio(&path, 1.234_567, 2.0, 0.5, 16_000).expect("clip");
    let first = (1.234_567f64 * 16_000.0).round();
    assert_eq!(clip.audio_samples, 32_000 - first as usize);
    assert_eq!(clip.samples.len(), clip.audio_samples);
    // Sample k is the tone at (first + k) / 16 kHz: no offset, not even a fraction.
    let worst = (0..clip.audio_samples)
        .map(|k| (f64::from(clip.samples[k]) - tone((first + k as f64) / 16_000.0)).abs())
        .fold(0f64, f64::max);
    assert!(worst < 2e-3, "worst error {worst}");

    // The last clip: 1 s of audio, padded with silence to the nominal 2 s.
    let last = clip_audio(&path, 2.0, 3.0, 2.0, 16_000).expect("last clip");
    assert_eq!((last.audio_samples, last.samples.len()), (16_000, 32_000));
    assert!(last.samples[16_000..].iter().all(|&s| s == 0.0));
}

fn options(input: &Path) -> EmbedOptions {
    EmbedOptions {
        input: input.to_path_buf(),
        embedder: EmbedderSpec::new(Model::Mel),
        out: None,
        clip_length_s: 25.0,
        batch_size: 4,
        shard: ShardOptions::default(),
        partition: None,
    }
}

#[test]
fn embed_a_folder_resumes_and_reports_bad_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_tone(&dir.path().join("tone.wav"), 30.0);
    std::fs::write(dir.path().join("broken.wav"), b"RIFF not really").expect("written");

    let first = run(&options(dir.path())).expect("first run");
    assert_eq!((first.clips, first.reused), (2, 0));
    assert_eq!(first.problems.len(), 1);
    assert_eq!(first.problems[0].item, "broken/0000");
    assert!(
        first.problems[0].message.contains("broken.wav"),
        "{}",
        first.problems[0].message
    );
    assert_eq!(first.table.dims.get("frames"), Some(&128));
    let train = &first.table.splits[&prep::datasets::Split::Train];
    assert_eq!(train.rows, 2);

    let card = std::fs::read_to_string(dir.path().join("README.md")).expect("a card");
    assert!(card.contains("config_name: \"embeddings\""), "{card}");

    let second = run(&options(dir.path())).expect("second run");
    assert_eq!((second.clips, second.reused), (2, 2));
}

#[test]
fn options_mel_cannot_honour_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refused = |change: fn(&mut EmbedderSpec), expected: &str| {
        let mut options = options(dir.path());
        change(&mut options.embedder);
        let error = format!("{:#}", run(&options).expect_err("refused"));
        assert!(error.contains(expected), "{error}");
    };
    refused(|spec| spec.layer = Some(36), "no layers");
    refused(|spec| spec.device = Device::Cuda(1), "CPU only");
    refused(|spec| spec.weights = Some("openai/whisper-large-v3".into()), "no weights");
    refused(|spec| spec.dtype = DType::Bf16, "f32 only");
}

#[test]
fn whisper_embeds_a_folder_with_local_weights_and_refuses_other_layers() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_tone(&dir.path().join("tone.wav"), 3.0);
    let weights = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/whisper/tiny");
    let mut options = options(dir.path());
    options.clip_length_s = 3.0;
    options.embedder = EmbedderSpec {
        weights: Some(weights.into()),
        ..EmbedderSpec::new(Model::Whisper)
    };
    let summary = run(&options).expect("embedded");
    assert_eq!((summary.clips, summary.problems.len()), (1, 0));
    assert_eq!(summary.table.dims.get("frames"), Some(&64));

    options.embedder.layer = Some(1);
    let error = format!("{:#}", run(&options).expect_err("refused"));
    assert!(error.contains("last layer, 2 here"), "{error}");
}

/// The frames of every row of the embeddings table under `dataset`.
fn embedding_frames(dataset: &Path) -> Vec<Vec<f32>> {
    use arrow_array::{Array, Float16Array, ListArray};
    let mut rows = Vec::new();
    let dir = dataset.join("data").join("embeddings");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("shards").map(|e| e.expect("entry").path()).collect();
    files.sort();
    for file in files {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
            std::fs::File::open(&file).expect("shard"),
            1024,
        )
        .expect("a parquet file");
        for batch in reader {
            let batch = batch.expect("a batch");
            let frames = batch.column_by_name("frames").expect("frames");
            let frames = frames.as_any().downcast_ref::<ListArray>().expect("a list");
            for i in 0..frames.len() {
                let row = frames.value(i);
                let row = row.as_any().downcast_ref::<ListArray>().expect("a list of frames");
                let values = row.values();
                let values = values.as_any().downcast_ref::<Float16Array>().expect("f16");
                rows.push(values.values().iter().map(|v| v.to_f32()).collect());
            }
        }
    }
    rows
}

#[test]
fn jukebox_embeds_from_transformers_and_openai_layouts_alike() {
    let dir = tempfile::tempdir().expect("temp dir");
    let audio = dir.path().join("audio");
    std::fs::create_dir(&audio).expect("audio dir");
    write_tone(&audio.join("tone.wav"), 2.5);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jukebox");
    // OpenAI's files with the tiny model's config beside them (without one, the 5B's).
    let openai = dir.path().join("openai");
    std::fs::create_dir(&openai).expect("openai dir");
    for (from, name) in [
        (fixtures.join("tiny-openai/vqvae.pth.tar"), "vqvae.pth.tar"),
        (fixtures.join("tiny-openai/prior_level_2.pth.tar"), "prior_level_2.pth.tar"),
        (fixtures.join("tiny/config.json"), "config.json"),
    ] {
        std::fs::copy(from, openai.join(name)).expect("copied");
    }
    let embed = |weights: &Path, out: &str, layer: Option<u32>| {
        let mut options = options(&audio);
        options.clip_length_s = 2.5;
        options.out = Some(dir.path().join(out));
        options.embedder = EmbedderSpec {
            weights: Some(weights.to_string_lossy().into_owned()),
            layer,
            ..EmbedderSpec::new(Model::Jukebox)
        };
        run(&options)
    };
    let transformers = embed(&fixtures.join("tiny"), "a", Some(3)).expect("transformers layout");
    assert_eq!((transformers.clips, transformers.problems.len()), (1, 0));
    assert_eq!(transformers.table.dims.get("frames"), Some(&64));
    embed(&openai, "b", Some(3)).expect("OpenAI layout");
    let (a, b) = (embedding_frames(&dir.path().join("a")), embedding_frames(&dir.path().join("b")));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].len(), 25 * 64, "2.5 s at 10 Hz, 64 wide");
    assert_eq!(a, b);

    let too_deep = format!("{:#}", embed(&fixtures.join("tiny"), "c", None).expect_err("refused"));
    assert!(too_deep.contains("--layer 36") && too_deep.contains("1 to 4"), "{too_deep}");
    let mut options = options(&audio);
    options.embedder = EmbedderSpec::new(Model::Jukebox);
    let no_weights = format!("{:#}", run(&options).expect_err("refused"));
    assert!(no_weights.contains("needs --weights"), "{no_weights}");
}
