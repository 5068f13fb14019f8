//! Loading recordings for an embedding model, prep against librosa: decode, downmix to mono
//! and resample 48 kHz -> 44.1 kHz, as JukeMIR does with `librosa.load(path, sr=44100,
//! mono=True)`. Issue target: prep at least 3x faster. Run with
//! `PYTHON=/work/pyref/bin/python cargo bench --bench audio_load [-- FILES RUNS CHANNELS]`
//! (PYTHON: one with librosa; defaults: 20 files, 5 runs, 2 channels); results and the
//! machine go into docs/benchmarks.md.
//!
//! The corpus: FILES URMP-like WAVs (48 kHz, 16-bit, like URMP's mixes), each a generated
//! 64-bar piece (src/corpus.rs, seeds 1..) rendered by the built-in synthesizer, about
//! two minutes long; with two channels the right one is a "performed" rendering (15 ms
//! onset jitter), so the channels differ. Each side loads every file in its own process
//! (so peak RSS is its own): prep through `embed::window::clip_audio`, the path `prep
//! embed` takes, over the whole recording, one file after the other and spread over all
//! cores (as `prep embed` spreads clips); librosa one after the other, as JukeMIR runs it.
//! The times exclude process start and Python's imports (librosa's lazy ones too: one
//! second of a file is loaded before the clock starts); RSS includes them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use prep::corpus::{PieceOptions, performed, score_piece};
use prep::embed::window::clip_audio;
use prep::synth::render;
use rayon::prelude::*;

/// URMP's sample rate.
const SOURCE_RATE: u32 = 48_000;
/// Jukebox's sample rate, which JukeMIR loads at.
const TARGET_RATE: u32 = 44_100;
const PIECE_BARS: usize = 64;
/// The child modes of this binary, each timed by `/usr/bin/time` in its own process: files
/// one after the other, or spread over all cores as `prep embed` spreads clips.
const LOAD_WITH_PREP: &str = "load-with-prep";
const LOAD_WITH_PREP_PARALLEL: &str = "load-with-prep-on-all-cores";
const LIBROSA_LOAD: &str = r#"
import inspect, sys, time
import librosa
paths = sys.argv[1:]
# librosa imports its audio modules on first use (seconds): not part of loading a file.
librosa.load(paths[0], sr=44100, mono=True, duration=1.0)
start = time.perf_counter()
samples = sum(librosa.load(p, sr=44100, mono=True)[0].size for p in paths)
seconds = time.perf_counter() - start
res_type = inspect.signature(librosa.load).parameters["res_type"].default
print(seconds, samples, f"librosa {librosa.__version__} res_type={res_type}")
"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    match args.first().map(String::as_str) {
        Some(LOAD_WITH_PREP) => return load_with_prep(&args[1..], false),
        Some(LOAD_WITH_PREP_PARALLEL) => return load_with_prep(&args[1..], true),
        _ => {}
    }
    let files = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    let runs = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let channels = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2);
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let librosa = Command::new(&python).args(["-c", "import librosa"]).status();
    if !librosa.is_ok_and(|s| s.success()) {
        println!("skipped: {python} cannot import librosa (set PYTHON to one that can)");
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let paths: Vec<PathBuf> =
        (1..=files as u64).map(|seed| write_recording(work.path(), seed, channels)).collect();
    let audio_s: f64 = paths.iter().map(|p| duration_s(p)).sum();
    println!(
        "corpus: {files} files, {channels} channel(s), {SOURCE_RATE} Hz 16-bit, {:.1} min of \
         audio; {runs} timed runs; {} cores",
        audio_s / 60.0,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let me = std::env::current_exe().expect("this bench's path");
    let (mut serial_runs, mut parallel_runs) = (Vec::new(), Vec::new());
    let mut librosa_runs = Vec::new();
    for _ in 0..runs {
        let prep = |mode| timed(Command::new(&me).arg(mode).args(&paths), work.path());
        serial_runs.push(prep(LOAD_WITH_PREP));
        parallel_runs.push(prep(LOAD_WITH_PREP_PARALLEL));
        let mut librosa = Command::new(&python);
        librosa_runs.push(timed(librosa.args(["-c", LIBROSA_LOAD]).args(&paths), work.path()));
    }
    let (serial, parallel) = (summary(&serial_runs), summary(&parallel_runs));
    let librosa = summary(&librosa_runs);
    println!("librosa side: {}", librosa_runs[0].note);
    println!(
        "\n| loader | median (s) | min (s) | max (s) | x real time | peak RSS (MiB) | samples out |"
    );
    println!("|---|---|---|---|---|---|---|");
    let loaders = [
        ("prep, one file after the other", &serial),
        ("prep, files on all cores", &parallel),
        ("librosa.load(sr=44100, mono=True), one after the other", &librosa),
    ];
    for (name, s) in loaders {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.0}x | {:.0} | {} |",
            s.median,
            s.min,
            s.max,
            audio_s / s.median,
            s.peak_rss_mib,
            s.samples
        );
    }
    println!(
        "\nratio (librosa / prep, medians): {:.1}x one file after the other, {:.1}x on all cores",
        librosa.median / serial.median,
        librosa.median / parallel.median
    );
}

/// The child: loads every file as `prep embed` loads a clip, and prints seconds and samples.
fn load_with_prep(paths: &[String], parallel: bool) {
    let load = |path: &String| {
        let (path, seconds) = (Path::new(path), duration_s(Path::new(path)));
        let clip = clip_audio(path, 0.0, seconds, seconds, TARGET_RATE).expect("prep loads it");
        clip.samples.len()
    };
    let start = Instant::now();
    let samples: usize = match parallel {
        true => paths.par_iter().map(load).sum(),
        false => paths.iter().map(load).sum(),
    };
    println!("{} {samples}", start.elapsed().as_secs_f64());
}

/// Writes the recording of piece `seed` and returns its path.
fn write_recording(dir: &Path, seed: u64, channels: u16) -> PathBuf {
    let score = score_piece(seed, &PieceOptions { bars: PIECE_BARS, ..PieceOptions::default() });
    let left = render(&score, SOURCE_RATE);
    let right = match channels {
        1 => Vec::new(),
        _ => render(&performed(&score, seed, 0.015), SOURCE_RATE),
    };
    let spec = hound::WavSpec {
        channels,
        sample_rate: SOURCE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let path = dir.join(format!("AuMix_{seed:02}.wav"));
    let mut writer = hound::WavWriter::create(&path, spec).expect("create a WAV file");
    let pcm = |x: Option<&f32>| (x.map_or(0.0, |x| x.clamp(-1.0, 1.0)) * 32767.0).round() as i16;
    for i in 0..left.len().max(right.len()) {
        writer.write_sample(pcm(left.get(i))).expect("write a sample");
        if channels > 1 {
            writer.write_sample(pcm(right.get(i))).expect("write a sample");
        }
    }
    writer.finalize().expect("finish a WAV file");
    path
}

fn duration_s(path: &Path) -> f64 {
    let reader = hound::WavReader::open(path).expect("read a WAV header");
    f64::from(reader.duration()) / f64::from(reader.spec().sample_rate)
}

/// One child's run: its own timing line, and its peak RSS from `/usr/bin/time`.
struct Run {
    seconds: f64,
    samples: usize,
    peak_rss_kib: f64,
    note: String,
}

fn timed(command: &mut Command, work: &Path) -> Run {
    let rss_file = work.join("rss");
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(program)
        .args(args)
        .output()
        .expect("run /usr/bin/time");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stdout}{stderr}");
    let mut fields = stdout.trim().splitn(3, ' ');
    let mut next = || fields.next().unwrap_or_default().to_string();
    let (seconds, samples, note) = (next(), next(), next());
    let rss = std::fs::read_to_string(&rss_file).expect("/usr/bin/time's output");
    Run {
        seconds: seconds.parse().expect("seconds"),
        samples: samples.parse().expect("samples"),
        peak_rss_kib: rss.trim().parse().expect("peak RSS in KiB"),
        note,
    }
}

struct Summary {
    median: f64,
    min: f64,
    max: f64,
    peak_rss_mib: f64,
    samples: usize,
}

fn summary(runs: &[Run]) -> Summary {
    let mut seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    Summary {
        median: seconds[seconds.len() / 2],
        min: seconds[0],
        max: seconds[seconds.len() - 1],
        peak_rss_mib: runs.iter().map(|r| r.peak_rss_kib).fold(0.0, f64::max) / 1024.0,
        samples: runs[0].samples,
    }
}
