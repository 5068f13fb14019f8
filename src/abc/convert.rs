//! MIDI files to ABC files (`prep midi2abc`): each file goes MIDI -> Score -> quantized
//! Score -> (window) -> ABC, in parallel.
//!
//! Folders are searched by `crate::inputs`' rules (links followed, extensions `.mid`,
//! `.midi`, `.smf` in any case, sorted). Files are independent: one that fails is a
//! problem naming its path and the others go on. Two inputs that would write the same
//! `.abc` (`a.mid` and `a.MID`) are both problems and neither is converted, rather than
//! one overwriting the other. Every output is written to a temporary name and renamed,
//! so an interrupted run never leaves a half-written `.abc` that looks complete, and
//! `skip_existing` resumes it. Nothing here prints: the ABC of a single input without an
//! output file is returned in the summary for the command to print.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::abc::write::{AbcOptions, Polyphony, to_abc};
use crate::analysis::quantize::{QuantizeMode, QuantizeReport, prepare};
use crate::datasets::Problem;
use crate::inputs::{self, MIDI_EXTENSIONS};
use crate::midi;
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

/// How one score becomes ABC.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// The writer's options; its `polyphony` is replaced by `polyphony`'s choice.
    pub abc: AbcOptions,
    pub quantize: QuantizeMode,
    pub polyphony: PolyphonyChoice,
    pub window: Option<Window>,
}

/// How the overlapping notes of a part are written (`--polyphony`, a pipeline's
/// `abc.polyphony`): as the preparation of each score says (`auto`, see `polyphony_of`),
/// or one way for every score (`overlays`, `tied-chords`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolyphonyChoice {
    #[default]
    Auto,
    Always(Polyphony),
}

impl PolyphonyChoice {
    /// The way a score prepared as `report` says is written.
    pub fn resolve(self, report: &QuantizeReport) -> Polyphony {
        match self {
            PolyphonyChoice::Auto => polyphony_of(report),
            PolyphonyChoice::Always(polyphony) => polyphony,
        }
    }
}

impl std::str::FromStr for PolyphonyChoice {
    type Err = String;

    /// `auto`, `overlays` or `tied-chords`, as `--polyphony` and pipeline files write it.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(PolyphonyChoice::Auto),
            "overlays" => Ok(PolyphonyChoice::Always(Polyphony::Overlays)),
            "tied-chords" => Ok(PolyphonyChoice::Always(Polyphony::TiedChords)),
            _ => Err(format!("expected auto, overlays or tied-chords, got {text:?}")),
        }
    }
}

impl std::fmt::Display for PolyphonyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PolyphonyChoice::Auto => "auto",
            PolyphonyChoice::Always(Polyphony::Overlays) => "overlays",
            PolyphonyChoice::Always(Polyphony::TiedChords) => "tied-chords",
        })
    }
}

/// Everything `prep midi2abc` needs, independent of the command line.
#[derive(Debug, Clone)]
pub struct Midi2AbcOptions {
    pub inputs: Vec<PathBuf>,
    /// A file (single input), a folder (several inputs), or the summary's `text` when
    /// `None`.
    pub output: Option<PathBuf>,
    pub convert: ConvertOptions,
    /// Leave outputs that already exist alone (resume an interrupted run).
    pub skip_existing: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Midi2AbcSummary {
    /// Input files, including those refused for sharing an output.
    pub files: usize,
    pub converted: usize,
    /// Outputs that existed already (`skip_existing`).
    pub skipped: usize,
    /// The ABC of the single input when no output file was given.
    pub text: Option<String>,
    /// Every file that failed, and why.
    pub problems: Vec<Problem>,
}

/// One conversion to do: a MIDI file and where its ABC goes (`None`: the summary).
#[derive(Debug, Clone, PartialEq)]
struct Job {
    input: PathBuf,
    output: Option<PathBuf>,
}

/// Converts one MIDI file to the text of one ABC tune.
pub fn convert_file(path: &Path, options: &ConvertOptions) -> Result<String> {
    let (score, stated) = midi::read_file_with_events(path)?;
    convert_score(&score, stated, options).with_context(|| path.display().to_string())
}

/// Quantizes (inferring the metre and key the source did not state), windows and writes
/// a score as ABC.
pub fn convert_score(score: &Score, stated: SourceEvents, options: &ConvertOptions) -> Result<String> {
    let (mut score, report) = prepare(score, options.quantize, stated)?;
    if let Some(window) = options.window {
        score = cut(&score, window)?;
    }
    Ok(to_abc(&score, &AbcOptions { polyphony: options.polyphony.resolve(&report), ..options.abc.clone() }))
}

/// How the ABC of a prepared score writes the overlapping notes of a part: a
/// performance's (its beat tracked) as tied chords, its keys held as played; any other
/// score's as overlays, the voices it was notated in (see `abc::write::Polyphony`).
pub fn polyphony_of(report: &QuantizeReport) -> Polyphony {
    if report.applied == QuantizeMode::Performed { Polyphony::TiedChords } else { Polyphony::Overlays }
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

/// Converts every input, writing each ABC to its output file (or returning the single
/// input's in the summary).
pub fn run(options: &Midi2AbcOptions) -> Result<Midi2AbcSummary> {
    let (jobs, problems) = plan(&options.inputs, options.output.as_deref())?;
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

    let mut summary = Midi2AbcSummary { files: jobs.len() + problems.len(), problems, ..Midi2AbcSummary::default() };
    for (job, outcome) in jobs.iter().zip(outcomes) {
        match outcome {
            JobOutcome::Converted(text) => {
                summary.converted += 1;
                summary.text = text;
            }
            JobOutcome::Skipped => summary.skipped += 1,
            JobOutcome::Failed(message) => {
                summary.problems.push(Problem { item: job.input.display().to_string(), message });
            }
        }
    }
    Ok(summary)
}

enum JobOutcome {
    /// Converted; the text when there is no output file.
    Converted(Option<String>),
    Skipped,
    Failed(String),
}

fn run_job(job: &Job, options: &Midi2AbcOptions) -> JobOutcome {
    if options.skip_existing && job.output.as_ref().is_some_and(|o| o.exists()) {
        return JobOutcome::Skipped;
    }
    let result = convert_file(&job.input, &options.convert).and_then(|text| match &job.output {
        Some(path) => write_atomically(path, text.as_bytes()).map(|()| None),
        None => Ok(Some(text)),
    });
    match result {
        Ok(text) => JobOutcome::Converted(text),
        // The problem is reported under the input's path: the message need not repeat it.
        Err(error) => {
            let message = format!("{error:#}");
            let input = format!("{}: ", job.input.display());
            JobOutcome::Failed(match message.strip_prefix(&input) {
                Some(rest) => rest.to_string(),
                None => message,
            })
        }
    }
}

/// Pairs every MIDI file under `inputs` with its output path, and reports the inputs
/// that would write the same output as another.
///
/// One input file: its ABC goes to `output` (a file, or the summary when `None`; when
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
    fn one_file_goes_to_the_summary_or_the_named_file() {
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

    /// A small MIDI file: four quarter notes of one flute.
    fn song() -> Vec<u8> {
        let mut score = Score::new(480);
        score.parts.push(crate::score::Part {
            name: Some("Flute".into()),
            instrument: crate::score::Instrument::from_program(73),
            channel: Some(0),
            is_drum: false,
            notes: (0..4).map(|i| crate::score::Note { start: i * 480, duration: 480, pitch: 72, velocity: 90 }).collect(),
        });
        midi::to_bytes(&score)
    }

    #[test]
    fn a_run_returns_its_summary_and_keeps_going_past_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let (input, out) = (dir.path().join("in"), dir.path().join("out"));
        fs::create_dir_all(&input).unwrap();
        fs::write(input.join("good.mid"), song()).unwrap();
        fs::write(input.join("bad.mid"), b"MThd but not MIDI").unwrap();
        let options = |inputs: Vec<PathBuf>, output: Option<PathBuf>, skip_existing| Midi2AbcOptions {
            inputs,
            output,
            convert: ConvertOptions::default(),
            skip_existing,
        };
        let summary = run(&options(vec![input.clone()], Some(out.clone()), false)).unwrap();
        assert_eq!((summary.files, summary.converted, summary.skipped, summary.text.as_ref()), (2, 1, 0, None));
        assert_eq!(summary.problems.len(), 1);
        assert_eq!(summary.problems[0].item, input.join("bad.mid").display().to_string());
        let written = fs::read_to_string(out.join("good.abc")).unwrap();
        assert!(written.contains("K:") && written.contains("Flute"), "{written}");

        let again = run(&options(vec![input.clone()], Some(out), true)).unwrap();
        assert_eq!((again.converted, again.skipped, again.problems.len()), (0, 1, 1));

        let single = run(&options(vec![input.join("good.mid")], None, false)).unwrap();
        assert_eq!(single.text.as_deref(), Some(written.as_str()));
    }
}
