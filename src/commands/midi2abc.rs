//! `prep midi2abc`: convert MIDI files and folders to ABC, in parallel.
//!
//! Each file goes MIDI -> Score -> quantized Score -> (window) -> ABC. Files are
//! independent: one that fails is reported with its path and the run goes on; the
//! summary says how many failed and the exit status is non-zero only then. Every
//! output is written to a temporary name and renamed, so an interrupted run never
//! leaves a half-written `.abc` that looks complete, and `--skip-existing` resumes it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::abc::write::{AbcOptions, to_abc};
use crate::analysis::quantize::{QuantizeMode, prepare};
use crate::output::{Progress, write_atomically};
use crate::midi;
use crate::score::{Score, SourceEvents};

/// A time window to cut every piece to, as an audio clip would be cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// From `start` seconds to `end` seconds (to the end of the piece when `None`).
    Seconds { start: f64, end: Option<f64> },
    /// From bar `start` (0-based, the pickup is bar 0 when there is one) to bar `end`, exclusive.
    Bars { start: usize, end: Option<usize> },
}

/// Everything `prep midi2abc` needs, independent of the command line.
#[derive(Debug, Clone)]
pub struct Midi2AbcOptions {
    pub inputs: Vec<PathBuf>,
    /// A file (single input), a folder (several inputs), or stdout when `None`.
    pub output: Option<PathBuf>,
    pub abc: AbcOptions,
    pub quantize: QuantizeMode,
    pub window: Option<Window>,
    /// Leave outputs that already exist alone (resume an interrupted run).
    pub skip_existing: bool,
}

/// One conversion to do: a MIDI file and where its ABC goes (`None` = stdout).
#[derive(Debug, Clone, PartialEq)]
struct Job {
    input: PathBuf,
    output: Option<PathBuf>,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub converted: usize,
    pub skipped: usize,
    pub failed: Vec<(PathBuf, String)>,
}

/// Converts one MIDI file to the text of one ABC tune.
pub fn convert_file(path: &Path, options: &Midi2AbcOptions) -> Result<String> {
    let (score, stated) = midi::read_file_with_events(path)?;
    convert_score(&score, stated, options).with_context(|| path.display().to_string())
}

/// Quantizes (inferring the metre and key the source did not state), windows and writes
/// a score as ABC.
pub fn convert_score(score: &Score, stated: SourceEvents, options: &Midi2AbcOptions) -> Result<String> {
    let (mut score, _report) = prepare(score, options.quantize, stated)?;
    if let Some(window) = options.window {
        score = cut(&score, window)?;
    }
    Ok(to_abc(&score, &options.abc))
}

fn cut(score: &Score, window: Window) -> Result<Score> {
    match window {
        Window::Seconds { start, end } => {
            let end = end.unwrap_or_else(|| score.seconds_at(score.end_tick()));
            if !(start >= 0.0 && end > start) {
                bail!("empty or negative time window {start} s .. {end} s");
            }
            Ok(score.window_seconds(start, end))
        }
        Window::Bars { start, end } => {
            let bars = score.bar_lines(score.end_tick()).len().saturating_sub(1);
            let end = end.unwrap_or(bars);
            if end <= start {
                bail!("empty bar window {start} .. {end}");
            }
            let (from, to) = score.bar_span(start, end);
            Ok(score.window(from, to))
        }
    }
}

/// Runs `prep midi2abc`: converts every input, prints failures and a summary on stderr.
pub fn run(options: &Midi2AbcOptions) -> Result<Summary> {
    let started = Instant::now();
    let jobs = plan(&options.inputs, options.output.as_deref())?;
    let progress = Progress::new(jobs.len() as u64, "midi2abc");
    let outcomes: Vec<Outcome> = jobs
        .par_iter()
        .map(|job| {
            let outcome = run_job(job, options);
            progress.inc();
            outcome
        })
        .collect();
    progress.finish();

    let mut summary = Summary::default();
    for (job, outcome) in jobs.iter().zip(outcomes) {
        match outcome {
            Outcome::Converted(Some(text)) => {
                crate::output::write_stdout(text.as_bytes())?;
                summary.converted += 1;
            }
            Outcome::Converted(None) => summary.converted += 1,
            Outcome::Skipped => summary.skipped += 1,
            Outcome::Failed(message) => {
                eprintln!("error: {message:#}");
                summary.failed.push((job.input.clone(), message));
            }
        }
    }
    eprintln!(
        "midi2abc: converted {} of {} files ({} skipped, {} failed) in {:.2} s",
        summary.converted,
        jobs.len(),
        summary.skipped,
        summary.failed.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

enum Outcome {
    /// Converted; the text when it goes to stdout.
    Converted(Option<String>),
    Skipped,
    Failed(String),
}

fn run_job(job: &Job, options: &Midi2AbcOptions) -> Outcome {
    if options.skip_existing && job.output.as_ref().is_some_and(|o| o.exists()) {
        return Outcome::Skipped;
    }
    let result = convert_file(&job.input, options).and_then(|text| match &job.output {
        Some(path) => write_atomically(path, text.as_bytes()).map(|()| None),
        None => Ok(Some(text)),
    });
    match result {
        Ok(text) => Outcome::Converted(text),
        Err(error) => Outcome::Failed(format!("{error:#}")),
    }
}

/// Pairs every MIDI file under `inputs` with its output path.
///
/// One input file: its ABC goes to `output` (a file, or stdout when `None`; when
/// `output` is an existing folder, into it). Otherwise `output` is a folder and each
/// file keeps its path relative to the folder it was found under.
fn plan(inputs: &[PathBuf], output: Option<&Path>) -> Result<Vec<Job>> {
    if inputs.is_empty() {
        bail!("no input given: name MIDI files or folders");
    }
    if let [single] = inputs
        && !single.is_dir()
    {
        let output = match output {
            Some(dir) if dir.is_dir() => Some(dir.join(abc_name(single))),
            other => other.map(Path::to_path_buf),
        };
        return Ok(vec![Job { input: single.clone(), output }]);
    }
    let Some(out_dir) = output else {
        bail!("several inputs need an output folder: add -o DIR");
    };
    let mut jobs = Vec::new();
    for input in inputs {
        if input.is_dir() {
            for file in midi_files_under(input)? {
                let relative = file.strip_prefix(input).unwrap_or(&file).with_extension("abc");
                jobs.push(Job { output: Some(out_dir.join(relative)), input: file });
            }
        } else if input.exists() {
            jobs.push(Job { output: Some(out_dir.join(abc_name(input))), input: input.clone() });
        } else {
            bail!("{}: no such file or folder", input.display());
        }
    }
    Ok(jobs)
}

fn abc_name(midi: &Path) -> PathBuf {
    PathBuf::from(midi.file_stem().unwrap_or(midi.as_os_str())).with_extension("abc")
}

/// MIDI files (`.mid`, `.midi`, `.smf`, any case) under a folder, recursively, sorted.
fn midi_files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.with_context(|| format!("reading folder {}", dir.display()))?;
        let is_midi = entry.path().extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["mid", "midi", "smf"].iter().any(|m| e.eq_ignore_ascii_case(m))
        });
        if entry.file_type().is_file() && is_midi {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn a_folder_keeps_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/x.MID"), b"").unwrap();
        fs::write(dir.path().join("a/y.mid"), b"").unwrap();
        fs::write(dir.path().join("a/notes.txt"), b"").unwrap();
        let jobs = plan(&[dir.path().join("a")], Some(Path::new("out"))).unwrap();
        let outputs: Vec<_> = jobs.iter().map(|j| j.output.clone().unwrap()).collect();
        assert_eq!(outputs, vec![PathBuf::from("out/b/x.abc"), PathBuf::from("out/y.abc")]);
    }

    #[test]
    fn one_file_goes_to_stdout_or_the_named_file() {
        let jobs = plan(&[PathBuf::from("song.mid")], None).unwrap();
        assert_eq!(jobs, vec![Job { input: "song.mid".into(), output: None }]);
        let jobs = plan(&[PathBuf::from("song.mid")], Some(Path::new("x.abc"))).unwrap();
        assert_eq!(jobs[0].output, Some(PathBuf::from("x.abc")));
    }

    #[test]
    fn several_inputs_need_a_folder() {
        let error = plan(&["a.mid".into(), "b.mid".into()], None).unwrap_err();
        assert!(error.to_string().contains("-o DIR"), "{error}");
    }
}
