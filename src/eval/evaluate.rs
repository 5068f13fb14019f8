//! The evaluation stage (`prep eval`): choose samples of a dataset, get a model's answers
//! for several runs, score them with the reward and write the report folder.
//!
//! This module only orchestrates; each step is a sibling module (loading, sampling, the
//! sources of answers, the report) and scoring is `crate::reward`'s. The report is all or
//! nothing: when a request fails, nothing is scored (a report over part of the sample
//! would not be comparable), and the answers received stay in the cache for the re-run.
//! Nothing here prints.

use std::path::PathBuf;

use anyhow::{Result, bail, ensure};
use rayon::prelude::*;

use super::baseline::Baseline;
use super::endpoint::{Client, EndpointConfig};
use super::report::engrave::Engraving;
use super::report::{self, Report, Row};
use super::sample::{self, Chosen};
use super::{Answer, Clip, Dataset, clip_seed, predictions};
use crate::datasets::Split;
use crate::output::Progress;
use crate::reward::{RewardConfig, score};

/// What `prep eval` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// A dataset folder written by prep, a folder of `.abc` files or a JSON-lines file of
    /// clips (see `eval::dataset`).
    pub dataset: PathBuf,
    pub split: Split,
    /// Clips to evaluate (fewer when the split has fewer).
    pub samples: usize,
    /// Answers per clip.
    pub runs: u32,
    /// Seeds the choice of samples, the baselines' errors and the endpoint's sampling.
    pub seed: u64,
    pub source: Source,
    /// The report folder.
    pub out: PathBuf,
    /// JSON file overriding the reward's constants.
    pub reward_config: Option<PathBuf>,
    /// Worst answers shown in full in the report.
    pub worst: usize,
}

/// Where the answers come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A JSON-lines file of `{"id", "run", "text"}`.
    Predictions(PathBuf),
    /// An OpenAI-compatible chat-completions server.
    Endpoint(EndpointConfig),
    Baseline(Baseline),
}

/// What was evaluated and where the report is.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalSummary {
    pub samples: usize,
    pub answers: usize,
    pub parse_failures: usize,
    pub mean_total: f64,
    pub files: Vec<PathBuf>,
    /// Damaged cache entries asked again, and fewer clips in the split than asked for.
    pub notes: Vec<String>,
}

pub fn run(options: &EvalOptions) -> Result<EvalSummary> {
    ensure!(options.samples > 0, "--samples must be at least 1");
    ensure!(options.runs > 0, "--runs must be at least 1");
    if let Source::Endpoint(cfg) = &options.source {
        cfg.sampling.validate()?;
    }
    let cfg = RewardConfig::load(options.reward_config.as_deref())?;
    let dataset = Dataset::open(&options.dataset)?;
    let clips = dataset.load(options.split)?;
    let chosen = sample::choose(&clips, options.split, options.samples, options.seed);
    if chosen.is_empty() {
        let mut splits: Vec<&str> = dataset.splits()?.into_iter().map(Split::name).collect();
        splits.sort_unstable();
        bail!(
            "{} has no clip in split {:?} (splits found: {splits:?})",
            options.dataset.display(),
            options.split.name()
        );
    }
    let jobs: Vec<(&Clip, u32)> = chosen
        .iter()
        .flat_map(|c| {
            let clip = &clips[c.index];
            (0..options.runs).map(move |run| (clip, run))
        })
        .collect();
    let (answers, mut notes) = answers(options, &chosen, &jobs)?;
    notes.extend(sample::shortfall(options.split, chosen.len(), options.samples));

    let mut rows: Vec<Row> = answers
        .par_iter()
        .zip(&jobs)
        .map(|(answer, (clip, _))| Row::new(&answer.id, answer.run, &score(&answer.text, &clip.abc, &cfg)))
        .collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id).then(a.run.cmp(&b.run)));
    let summary = report::summarize(&rows)?;
    let text_of = |id: &str, run: u32| {
        let truth = clips.iter().find(|c| c.id == id)?;
        let answer = answers.iter().find(|a| a.id == id && a.run == run)?;
        Some((truth.abc.as_str(), answer.text.as_str()))
    };
    let worst = report::worst_cases(&rows, options.worst, text_of);
    let settings = settings(options, chosen.len(), &report::fingerprint(&clips, options.split), question(&chosen, &clips));
    let engraving = report::engrave::engrave(&worst, &cfg, &options.out)?;
    if let Engraving::Missing(reason) = &engraving {
        notes.push(format!("{reason}: the worst answers are shown as text only, not engraved (install abcm2ps)"));
    }
    let report = Report { settings, chosen, rows, summary, worst, engraving };
    let mut files = report::write_all(&report, &options.out)?;
    files.extend(report.engraving.files().into_iter().map(|f| options.out.join(f)));
    let total = report.summary.components.iter().find(|c| c.name == "total").map_or(f64::NAN, |c| c.mean);
    Ok(EvalSummary {
        samples: report.chosen.len(),
        answers: report.rows.len(),
        parse_failures: report.summary.parse_failures,
        mean_total: total,
        files,
        notes,
    })
}

/// One answer per job, in the jobs' order (chosen clips, then runs), and notes about the
/// cache.
fn answers(options: &EvalOptions, chosen: &[Chosen], jobs: &[(&Clip, u32)]) -> Result<(Vec<Answer>, Vec<String>)> {
    let answer = |clip: &Clip, run, text| Answer { id: clip.id.clone(), run, text };
    match &options.source {
        Source::Predictions(path) => {
            let ids: Vec<&str> = chosen.iter().map(|c| c.id.as_str()).collect();
            Ok((predictions::select(&predictions::load(path)?, &ids, options.runs)?, Vec::new()))
        }
        Source::Baseline(baseline) => Ok((
            jobs.par_iter()
                .map(|(clip, run)| {
                    answer(clip, *run, baseline.answer(&clip.abc, clip_seed(options.seed, &clip.id, *run)))
                })
                .collect(),
            Vec::new(),
        )),
        Source::Endpoint(cfg) => {
            let silent: Vec<&str> = jobs
                .iter()
                .filter(|(clip, run)| *run == 0 && clip.audio.is_none())
                .map(|(c, _)| c.id.as_str())
                .collect();
            ensure!(silent.is_empty(), "clips without audio cannot be sent to the endpoint: {}", silent.join(", "));
            // One seed for the whole evaluation: run r asks the server for seed `--seed + r`.
            let client = Client::new(EndpointConfig { seed: options.seed, ..cfg.clone() })?;
            let progress = Progress::new(jobs.len() as u64, "eval");
            let results = client.answer_all(jobs, &|| progress.inc());
            progress.finish();
            let failed: Vec<String> =
                results.iter().filter_map(|r| r.as_ref().err()).map(|e| format!("{e:#}")).collect();
            if !failed.is_empty() {
                let retry = if cfg.cache.is_some() {
                    "; the answers received are cached, a re-run asks only for these"
                } else {
                    ""
                };
                bail!("{} of {} requests failed{retry}:\n  {}", failed.len(), jobs.len(), failed.join("\n  "));
            }
            let texts = results.into_iter().filter_map(Result::ok);
            let answers = texts.zip(jobs).map(|(text, (clip, run))| answer(clip, *run, text)).collect();
            Ok((answers, client.take_notes()))
        }
    }
}

/// The question the chosen clips are asked: the clips' own when they all bring the same,
/// else the default one (endpoint answers only; files and baselines ask nothing).
fn question<'a>(chosen: &[Chosen], clips: &'a [Clip]) -> Option<&'a str> {
    let mut asked = chosen.iter().map(|c| clips[c.index].question.as_deref().unwrap_or(super::endpoint::DEFAULT_QUESTION));
    let first = asked.next()?;
    asked.all(|q| q == first).then_some(first)
}

/// The settings listed at the top of the report.
fn settings(options: &EvalOptions, chosen: usize, fingerprint: &str, question: Option<&str>) -> Vec<(String, String)> {
    let source = match &options.source {
        Source::Predictions(path) => format!("predictions {}", path.display()),
        Source::Baseline(Baseline::Oracle) => "baseline oracle".to_string(),
        Source::Baseline(Baseline::Perturbed(strength)) => format!("baseline perturbed:{strength}"),
        Source::Endpoint(cfg) => format!(
            "endpoint {} model {} (temperature {}, top_p {}, max_tokens {}, seed + run)",
            cfg.url, cfg.model, cfg.sampling.temperature, cfg.sampling.top_p, cfg.sampling.max_tokens
        ),
    };
    let reward = options.reward_config.as_ref().map_or("default".to_string(), |p| p.display().to_string());
    let prompt = match (&options.source, question) {
        (Source::Endpoint(_), Some(question)) => question.to_string(),
        (Source::Endpoint(_), None) => "each clip's own question".to_string(),
        _ => "none (answers not asked of a model)".to_string(),
    };
    [
        ("prep version", crate::version::BUILD.to_string()),
        ("dataset", options.dataset.display().to_string()),
        ("dataset fingerprint", format!("{fingerprint} (BLAKE3 of the split's clip ids and ABC)")),
        ("split", options.split.name().to_string()),
        ("samples", format!("{chosen} (asked {})", options.samples)),
        ("runs", options.runs.to_string()),
        ("seed", options.seed.to_string()),
        ("answers from", source),
        ("prompt", prompt),
        ("reward config", reward),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}
