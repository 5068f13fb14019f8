//! `prep midi2abc`: convert MIDI files and folders to ABC, in parallel.
//!
//! Each file goes MIDI -> Score -> quantized Score -> (window) -> ABC. Folders are
//! searched by `crate::inputs`' rules (links followed, extensions `.mid`, `.midi`, `.smf`
//! in any case, sorted). Files are independent: one that fails is reported with its path
//! and the run goes on; the summary says how many failed and the exit status is 1 then
//! (`crate::outcome`). Two inputs that would write the same `.abc` (`a.mid` and `a.MID`)
//! are both reported and neither is converted, rather than one overwriting the other.
//! Every output is written to a temporary name and renamed, so an interrupted run never
//! leaves a half-written `.abc` that looks complete, and `--skip-existing` resumes it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::abc::write::{AbcOptions, to_abc};
use crate::analysis::quantize::{QuantizeMode, prepare};
use crate::datasets::Problem;
use crate::inputs::{self, MIDI_EXTENSIONS};
use crate::midi;
use crate::outcome::Outcome;
use crate::output::{Progress, write_atomically};
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

/// Runs `prep midi2abc`: converts every input (ABC for stdout printed there), and says
/// what was done.
pub fn run(options: &Midi2AbcOptions) -> Result<Outcome> {
    let started = Instant::now();
    let (jobs, mut problems) = plan(&options.inputs, options.output.as_deref())?;
    // Inputs refused for sharing an output count as files that failed.
    let total = jobs.len() + problems.len();
    let progress = Progress::new(jobs.len() as u64, "midi2abc");
    let outcomes: Vec<JobOutcome> = jobs
        .par_iter()
        .map(|job| {
            let outcome = run_job(job, options);
            progress.inc();
            outcome
        })
        .collect();
    progress.finish();

    let (mut converted, mut skipped) = (0, 0);
    for (job, outcome) in jobs.iter().zip(outcomes) {
        match outcome {
            JobOutcome::Converted(Some(text)) => {
                crate::output::write_stdout(text.as_bytes())?;
                converted += 1;
            }
            JobOutcome::Converted(None) => converted += 1,
            JobOutcome::Skipped => skipped += 1,
            JobOutcome::Failed(message) => {
                problems.push(Problem { item: job.input.display().to_string(), message });
            }
        }
    }
    let line = format!(
        "midi2abc: converted {converted} of {total} files ({skipped} skipped, {} failed) in {:.2} s",
        problems.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::new(line, problems, Vec::new()))
}

enum JobOutcome {
    /// Converted; the text when it goes to stdout.
    Converted(Option<String>),
    Skipped,
    Failed(String),
}

fn run_job(job: &Job, options: &Midi2AbcOptions) -> JobOutcome {
    if options.skip_existing && job.output.as_ref().is_some_and(|o| o.exists()) {
        return JobOutcome::Skipped;
    }
    let result = convert_file(&job.input, options).and_then(|text| match &job.output {
        Some(path) => write_atomically(path, text.as_bytes()).map(|()| None),
        None => Ok(Some(text)),
    });
    match result {
        Ok(text) => JobOutcome::Converted(text),
        Err(error) => JobOutcome::Failed(format!("{error:#}")),
    }
}

/// Pairs every MIDI file under `inputs` with its output path, and reports the inputs
/// that would write the same output as another.
///
/// One input file: its ABC goes to `output` (a file, or stdout when `None`; when
/// `output` is an existing folder, into it). Otherwise `output` is a folder and each
/// file keeps its path relative to the folder it was found under.
fn plan(inputs: &[PathBuf], output: Option<&Path>) -> Result<(Vec<Job>, Vec<Problem>)> {
    if inputs.is_empty() {
        bail!("no input given: name MIDI files or folders");
    }
    if let [single] = inputs
        && !single.is_dir()
    {
        if !single.exists() {
            bail!("{}: no such file or folder", single.display());
        }
        let output = match output {
            Some(dir) if dir.is_dir() => Some(dir.join(abc_name(single))),
            other => other.map(Path::to_path_buf),
        };
        return Ok((vec![Job { input: single.clone(), output }], Vec::new()));
    }
    let Some(out_dir) = output else {
        bail!("several inputs need an output folder: add -o DIR");
    };
    let mut jobs = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let found = inputs::files_under(input, &MIDI_EXTENSIONS)?;
            if found.is_empty() {
                bail!("no MIDI files ({}) under {}", MIDI_EXTENSIONS.join(", "), input.display());
            }
            for file in found {
                jobs.push(Job { output: Some(out_dir.join(format!("{}.abc", file.id()))), input: file.path });
            }
        } else if input.exists() {
            jobs.push(Job { output: Some(out_dir.join(abc_name(input))), input: input.clone() });
        } else {
            bail!("{}: no such file or folder", input.display());
        }
    }
    let output_of = |job: &Job| job.output.as_ref().map_or(String::new(), |o| o.display().to_string());
    Ok(inputs::unique_ids(jobs, output_of, |job| job.input.display().to_string()))
}

fn abc_name(midi: &Path) -> PathBuf {
    PathBuf::from(midi.file_stem().unwrap_or(midi.as_os_str())).with_extension("abc")
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
        let (jobs, problems) = plan(&[dir.path().join("a")], Some(Path::new("out"))).unwrap();
        let outputs: Vec<_> = jobs.iter().map(|j| j.output.clone().unwrap()).collect();
        assert_eq!(outputs, vec![PathBuf::from("out/b/x.abc"), PathBuf::from("out/y.abc")]);
        assert!(problems.is_empty());
    }

    #[test]
    fn inputs_writing_one_output_are_refused_naming_each_other() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.mid", "a.midi", "a.MID", "b.mid"] {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        let (jobs, problems) = plan(&[dir.path().to_path_buf()], Some(Path::new("out"))).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].output, Some(PathBuf::from("out/b.abc")));
        assert_eq!(problems.len(), 3);
        let a_mid = dir.path().join("a.mid").display().to_string();
        assert_eq!(problems[1].item, a_mid);
        assert!(problems[1].message.contains("a.MID") && problems[1].message.contains("a.midi"), "{}", problems[1].message);
    }

    #[test]
    fn an_empty_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = plan(&[dir.path().to_path_buf()], Some(Path::new("out"))).unwrap_err();
        assert!(error.to_string().starts_with("no MIDI files"), "{error}");
    }

    #[test]
    fn one_file_goes_to_stdout_or_the_named_file() {
        let dir = tempfile::tempdir().unwrap();
        let song = dir.path().join("song.mid");
        fs::write(&song, b"").unwrap();
        let (jobs, _) = plan(std::slice::from_ref(&song), None).unwrap();
        assert_eq!(jobs, vec![Job { input: song.clone(), output: None }]);
        let (jobs, _) = plan(std::slice::from_ref(&song), Some(Path::new("x.abc"))).unwrap();
        assert_eq!(jobs[0].output, Some(PathBuf::from("x.abc")));
    }

    #[test]
    fn several_inputs_need_a_folder() {
        let error = plan(&["a.mid".into(), "b.mid".into()], None).unwrap_err();
        assert!(error.to_string().contains("-o DIR"), "{error}");
    }
}
