//! The command line: clap definitions, and their translation into each command's typed
//! options. Nothing below this module sees clap.

use std::num::{NonZeroU64, NonZeroUsize};
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use anyhow::{Result, bail};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::abc::write::{AbcOptions, Layout};
use crate::analysis::quantize::QuantizeMode;
use crate::commands::generate::{self, GenerateOptions};
use crate::abc::convert::{ConvertOptions, Midi2AbcOptions, PolyphonyChoice, Window};
use crate::commands::midi2abc;
use crate::commands::push;
use crate::commands::reward::{self, RewardMode, RewardOptions};
use crate::commands::{embed, eval, merge, qa, shards};
use crate::corpus::PieceOptions;
use crate::datasets::Split;
use crate::embed::pool::Pooling;
use crate::embed::table::EmbedOptions;
use crate::embed::{DType, Device, EmbedderSpec, Model};
use crate::eval::baseline::Baseline;
use crate::eval::endpoint::{AudioPart, EndpointConfig, Sampling};
use crate::eval::evaluate::{self, EvalOptions};
use crate::inputs::split_named;
use crate::outcome::{self, Outcome};
use crate::hub::push::{FILES_PER_COMMIT, PushOptions};
use crate::hub::{RepoId, Retry};
use crate::pipeline::Pipeline;
use crate::qa::build::QaOptions;
use crate::scale::Partition;
use crate::shards::ShardOptions;
use crate::shards::build::ShardsOptions;

#[derive(Debug, Parser)]
#[command(name = "prep", version = crate::version::BUILD, about = "Music datasets -> ABC training data for audio-language models")]
pub struct Cli {
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, global = true)]
    pub jobs: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert MIDI files or folders (recursively) to ABC notation.
    Midi2abc(Midi2AbcArgs),
    /// Make Q&A pairs (`qa.jsonl`, `chat/<split>.jsonl`) for ABC clips.
    Qa(QaArgs),
    /// Audio embeddings of clips (the embeddings table): log-mel, the Whisper encoder or
    /// Jukebox's prior at --layer N, on the CPU or CUDA (docs/embeddings.md).
    Embed(EmbedArgs),
    /// Score a model's ABC answer against the true ABC (see docs/reward.md).
    Reward(RewardArgs),
    /// Evaluate a model's ABC answers on dataset clips and write a report (see docs/eval.md).
    Eval(Box<EvalArgs>),
    /// Write a deterministic generated MIDI corpus (for benchmarks and tests).
    Generate(GenerateArgs),
    /// Build a dataset from a pipeline file (e.g. pipelines/demo.yaml); resumable.
    Run {
        /// The pipeline YAML.
        pipeline: PathBuf,
        /// Output folder, overriding the file's `output`.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        shards: ShardArgs,
    },
    /// Assemble the finished shards of a job array (`--num-shards`) into the dataset:
    /// renames their Parquet files and clip audio, merges the chat files, writes one card
    /// and manifest; refuses while a shard is missing, unfinished or made with other
    /// settings. Resumes when killed; a second merge changes nothing.
    Merge {
        /// The output folder the shards were written in.
        output: PathBuf,
    },
    /// Write the Hugging Face dataset folder (Parquet shards + README.md card) from
    /// clips/qa JSONL.
    Shards(ShardsArgs),
    /// Upload a dataset folder to a Hugging Face Hub dataset repo (created if missing):
    /// only what the Hub lacks, resumable; HF_TOKEN or the token file, HF_ENDPOINT.
    Push(PushArgs),
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The dataset folder: README.md and data/ (and `chat/<split>.jsonl` with the clip audio
    /// under audio/clips/ it refers to); never .prep/ or hidden temporary files.
    pub dataset: PathBuf,
    /// The dataset repo, owner/name.
    #[arg(long, value_parser = str::parse::<RepoId>)]
    pub repo: RepoId,
    /// Create the repo private (an existing repo keeps its visibility).
    #[arg(long)]
    pub private: bool,
    /// The branch to push to (created from main when missing).
    #[arg(long, default_value = "main")]
    pub revision: String,
    /// Open a pull request with the changes instead of committing to the branch.
    #[arg(long)]
    pub create_pr: bool,
    /// The commit message.
    #[arg(long)]
    pub message: Option<String>,
    /// Retries of a request answered 408, 429 or 5xx or whose connection failed (backoff
    /// 2 s, doubling, jittered).
    #[arg(long, default_value_t = 5)]
    pub retries: usize,
}

impl PushArgs {
    fn options(self) -> PushOptions {
        PushOptions {
            dataset: self.dataset,
            repo: self.repo,
            private: self.private,
            revision: self.revision,
            create_pr: self.create_pr,
            message: self.message,
            files_per_commit: FILES_PER_COMMIT,
            retry: Retry { attempts: self.retries, ..Retry::default() },
        }
    }
}

#[derive(Debug, Args)]
pub struct Midi2AbcArgs {
    /// MIDI files or folders.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output: a file for one input (default stdout), a folder for several.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub abc: AbcArgs,
    /// Quantization: auto (exact for score MIDI, beat tracking for performed MIDI), exact
    /// (fail if off-grid), performed, grid:N (N steps per quarter at the file's tempo), off.
    #[arg(long, default_value = "auto", value_parser = str::parse::<QuantizeMode>)]
    pub quantize: QuantizeMode,
    /// Window start in seconds (clip the music as an audio clip would be cut).
    #[arg(long, conflicts_with = "start_bar")]
    pub start: Option<f64>,
    /// Window end in seconds.
    #[arg(long, conflicts_with = "end_bar")]
    pub end: Option<f64>,
    /// Window start as a 0-based bar index (the pickup, if any, is bar 0).
    #[arg(long)]
    pub start_bar: Option<usize>,
    /// Window end as a 0-based bar index (exclusive).
    #[arg(long)]
    pub end_bar: Option<usize>,
    /// Keep outputs that already exist (resume an interrupted run).
    #[arg(long)]
    pub skip_existing: bool,
}

/// How the ABC text is written.
#[derive(Debug, Args)]
pub struct AbcArgs {
    /// Unit note length L:, e.g. 1/16 (the reference recipe's); default: the shortest text.
    #[arg(long, value_parser = crate::abc::write::parse_unit)]
    pub unit: Option<(u32, u32)>,
    /// Voice layout: interleaved (blocks of bars, voice by voice) or voices (each voice whole).
    #[arg(long, default_value = "interleaved", value_parser = str::parse::<Layout>)]
    pub layout: Layout,
    /// Bars per line of text (at least 1).
    #[arg(long, default_value = "4")]
    pub bars_per_line: NonZeroUsize,
    /// Overlapping notes of a part: auto (tied chords for a performance, `&` overlays for
    /// a score), overlays or tied-chords.
    #[arg(long, default_value = "auto", value_parser = str::parse::<PolyphonyChoice>)]
    pub polyphony: PolyphonyChoice,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// A dataset folder written by `prep run`, its `.prep/clips.jsonl`, an audio file or a
    /// folder of audio files (each cut into clips of --clip-length seconds).
    pub input: PathBuf,
    /// The embedding model: mel (log-mel spectrogram, no weights), whisper (the Whisper
    /// encoder's last layer; weights default to openai/whisper-large-v3) or jukebox (a
    /// layer of OpenAI Jukebox's top-level prior; needs --weights).
    #[arg(long, default_value = "mel", value_parser = str::parse::<Model>)]
    pub model: Model,
    /// The layer whose output is the embedding (jukebox: 1-72, default 36).
    #[arg(long)]
    pub layer: Option<u32>,
    /// exact (mean over exact 100 ms windows; jukebox covers the whole clip) or llark (the
    /// LLark recipe: runs of floor(rate / 10) frames; jukebox embeds the first 8192 tokens).
    #[arg(long, default_value = "exact", value_parser = str::parse::<Pooling>)]
    pub pooling: Pooling,
    /// The model's weights: a local folder or file, or a Hugging Face Hub repo id
    /// (`owner/name[@revision]`; `HF_HUB_OFFLINE=1` uses the local cache only).
    #[arg(long)]
    pub weights: Option<String>,
    /// Floating-point type of the model's weights and activations: f32, bf16 or f16 (the
    /// table stores float16 either way).
    #[arg(long, default_value = "f32", value_parser = str::parse::<DType>)]
    pub dtype: DType,
    /// Dataset folder to write data/embeddings/ in (default: the input dataset).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// `cpu`, or `cuda[:N]` (needs a build with the `cuda` feature).
    #[arg(long, default_value = "cpu", value_parser = str::parse::<Device>)]
    pub device: Device,
    /// Clips per forward pass, for the learned models (at least 1).
    #[arg(long, default_value = "4")]
    pub batch_size: NonZeroUsize,
    #[command(flatten)]
    pub shards: ShardArgs,
    /// Nominal clip length in seconds: shorter clips are padded to it.
    #[arg(long, default_value_t = 25.0)]
    pub clip_length: f64,
}

impl EmbedArgs {
    fn options(self) -> Result<EmbedOptions> {
        Ok(EmbedOptions {
            input: self.input,
            embedder: EmbedderSpec {
                model: self.model,
                layer: self.layer,
                pooling: self.pooling,
                weights: self.weights,
                dtype: self.dtype,
                device: self.device,
            },
            out: self.out,
            clip_length_s: self.clip_length,
            batch_size: self.batch_size.get(),
            shard: ShardOptions::default(),
            partition: self.shards.partition()?,
        })
    }
}

/// Which shard of a job array this task is (`crate::scale`).
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// Split the work into N shards, one per task of a job array (SLURM, Kubernetes);
    /// `prep merge` assembles them. Default: SLURM_ARRAY_TASK_COUNT in a SLURM array.
    #[arg(long)]
    pub num_shards: Option<usize>,
    /// This task's shard, 0 to N-1. Default: the SLURM array task's position
    /// (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) or JOB_COMPLETION_INDEX (Kubernetes).
    #[arg(long)]
    pub shard_index: Option<usize>,
}

impl ShardArgs {
    fn partition(&self) -> Result<Option<Partition>> {
        Partition::resolve(self.num_shards, self.shard_index, |name| std::env::var(name).ok())
    }
}

#[derive(Debug, Args)]
pub struct ShardsArgs {
    /// clips.jsonl (one clip per line; relative audio paths resolve against its folder).
    #[arg(long)]
    pub clips: PathBuf,
    /// qa.jsonl (one Q&A pair per line).
    #[arg(long)]
    pub qa: Option<PathBuf>,
    /// Dataset folder to write.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Title of the dataset card.
    #[arg(long, default_value = "prep dataset")]
    pub title: String,
    /// Target shard size in MB (at least 1).
    #[arg(long, default_value = "500")]
    pub shard_mb: NonZeroU64,
    /// Row-group cap (in-memory size) in MB; the Hub's viewer refuses row groups over ~286 MiB.
    #[arg(long, default_value = "100")]
    pub row_group_mb: NonZeroUsize,
    /// zstd level (1 to 22).
    #[arg(long, default_value_t = 3)]
    pub zstd_level: i32,
}

impl ShardsArgs {
    fn options(self) -> ShardsOptions {
        let shard = ShardOptions {
            target_shard_bytes: self.shard_mb.get().saturating_mul(1_000_000),
            row_group_bytes: self.row_group_mb.get().saturating_mul(1_000_000),
            zstd_level: self.zstd_level,
        };
        ShardsOptions { clips: self.clips, qa: self.qa, out: self.out, title: self.title, recipe: None, shard }
    }
}

#[derive(Debug, Args)]
pub struct QaArgs {
    /// A folder of .abc files, a clips .jsonl file or a dataset folder.
    pub input: PathBuf,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Templates YAML whose kinds replace the built-in phrasings.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Seed of the phrasing choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Split of clips that state none.
    #[arg(long, value_enum, default_value = "train")]
    pub split: SplitArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SplitArg {
    Train,
    Validation,
    Test,
}

impl From<SplitArg> for Split {
    fn from(split: SplitArg) -> Split {
        match split {
            SplitArg::Train => Split::Train,
            SplitArg::Validation => Split::Validation,
            SplitArg::Test => Split::Test,
        }
    }
}

impl QaArgs {
    fn options(self) -> QaOptions {
        QaOptions { input: self.input, out: self.out, templates: self.templates, seed: self.seed, split: self.split.into() }
    }
}

/// Either one pair of files (`--truth` with `--pred`, `--json` optional) or `--jsonl`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("files").args(["truth", "pred"]).multiple(true).conflicts_with("jsonl")))]
pub struct RewardArgs {
    /// The true ABC.
    #[arg(long, requires = "pred", required_unless_present = "jsonl")]
    pub truth: Option<PathBuf>,
    /// The model's answer (prose and code fences around the ABC are fine).
    #[arg(long, requires = "truth")]
    pub pred: Option<PathBuf>,
    /// Print the breakdown as JSON instead of a table (with --truth and --pred).
    #[arg(long, requires = "truth", conflicts_with = "jsonl")]
    pub json: bool,
    /// Serve: read {"truth", "prediction"[, "id"]} lines on stdin, write one reply line
    /// per input line (docs/reward.md).
    #[arg(long)]
    pub jsonl: bool,
    /// JSON file overriding the reward's weights and constants.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl RewardArgs {
    fn options(self) -> RewardOptions {
        let mode = match (self.jsonl, self.truth, self.pred) {
            (false, Some(truth), Some(prediction)) => RewardMode::Files { truth, prediction, json: self.json },
            _ => RewardMode::Jsonl,
        };
        RewardOptions { mode, config: self.config }
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["predictions", "endpoint", "baseline"])))]
pub struct EvalArgs {
    /// Clips: a dataset folder written by `prep run` (data/clips/*.parquet, questions from
    /// data/qa/), a folder of .abc files (audio beside them) or a JSON-lines file of
    /// {"id", "abc", "split"?, "audio"?, "question"?} (see docs/eval.md).
    pub dataset: PathBuf,
    /// Report folder (report.md, scores.csv, scores.json, charts).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Clips to evaluate, one per complexity bin.
    #[arg(long, default_value_t = 30)]
    pub samples: usize,
    /// Answers per clip.
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// Seeds the choice of clips, the baselines' errors and the endpoint's sampling (seed + run).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Answers from a JSON-lines file of {"id", "run", "text"} (runs count from 0).
    #[arg(long)]
    pub predictions: Option<PathBuf>,
    /// Answers from an OpenAI-compatible chat-completions server (base URL or .../chat/completions).
    #[arg(long, requires = "model")]
    pub endpoint: Option<String>,
    /// Model name sent to the endpoint.
    #[arg(long)]
    pub model: Option<String>,
    /// Answers from a reference model: oracle, or perturbed:S with S in [0, 1].
    #[arg(long, value_parser = str::parse::<Baseline>)]
    pub baseline: Option<Baseline>,
    #[arg(long, default_value_t = 0.7)]
    pub temperature: f64,
    /// Nucleus sampling mass, in (0, 1].
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f64,
    #[arg(long, default_value_t = 2048)]
    pub max_tokens: u32,
    /// How the audio is sent: input-audio (OpenAI's input_audio part) or audio-url (a data: URL).
    #[arg(long, default_value = "input-audio", value_parser = str::parse::<AudioPart>)]
    pub audio_part: AudioPart,
    /// Ask for streamed (server-sent events) replies.
    #[arg(long)]
    pub stream: bool,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Retries of a request answered 429 or 5xx or whose connection failed (backoff 1 s, doubling).
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Seconds a request may take, reply included.
    #[arg(long, default_value_t = 300.0)]
    pub timeout: f64,
    /// Folder of cached endpoint answers (default OUT/cache).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// JSON file overriding the reward's weights and constants.
    #[arg(long)]
    pub reward_config: Option<PathBuf>,
    /// Worst answers shown beside their truth in report.md.
    #[arg(long, default_value_t = 5)]
    pub worst: usize,
}

impl EvalArgs {
    fn options(self) -> Result<EvalOptions> {
        let Some(split) = split_named(&self.split) else {
            bail!("--split {}: expected train, validation or test", self.split);
        };
        let source = match (self.predictions, self.endpoint, self.baseline) {
            (Some(path), _, _) => evaluate::Source::Predictions(path),
            (_, _, Some(baseline)) => evaluate::Source::Baseline(baseline),
            (_, url, _) => {
                if !(self.timeout > 0.0 && self.timeout.is_finite()) {
                    bail!("--timeout must be a positive number of seconds, got {}", self.timeout);
                }
                evaluate::Source::Endpoint(EndpointConfig {
                    url: url.unwrap_or_default(),
                    model: self.model.unwrap_or_default(),
                    sampling: Sampling { temperature: self.temperature, top_p: self.top_p, max_tokens: self.max_tokens },
                    seed: self.seed,
                    audio_part: self.audio_part,
                    stream: self.stream,
                    concurrency: self.concurrency,
                    max_retries: self.retries,
                    backoff: Duration::from_secs(1),
                    timeout: Duration::from_secs_f64(self.timeout),
                    api_key: std::env::var("OPENAI_API_KEY").ok(),
                    cache: Some(self.cache.unwrap_or_else(|| self.out.join("cache"))),
                })
            }
        };
        Ok(EvalOptions {
            dataset: self.dataset,
            split,
            samples: self.samples,
            runs: self.runs,
            seed: self.seed,
            source,
            out: self.out,
            reward_config: self.reward_config,
            worst: self.worst,
        })
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Number of pieces.
    #[arg(long, default_value_t = 200)]
    pub pieces: usize,
    /// Seed of the first piece (piece i uses seed + i).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Full bars per piece.
    #[arg(long, default_value_t = 16)]
    pub bars: usize,
    /// Most instruments per piece.
    #[arg(long, default_value_t = 4)]
    pub max_parts: usize,
    /// Also write performed variants with this onset jitter (standard deviation, ms):
    /// score-like pieces go to OUT/score, performed ones to OUT/performed.
    #[arg(long)]
    pub performed_jitter_ms: Option<f64>,
}

impl AbcArgs {
    fn options(&self) -> AbcOptions {
        AbcOptions {
            unit: self.unit,
            layout: self.layout,
            bars_per_line: self.bars_per_line.get(),
            ..AbcOptions::default()
        }
    }
}

impl Midi2AbcArgs {
    fn options(self) -> Midi2AbcOptions {
        let window = match (self.start, self.end, self.start_bar, self.end_bar) {
            (None, None, None, None) => None,
            (None, None, start, end) if start.is_some() || end.is_some() => {
                Some(Window::Bars { start: start.unwrap_or(0), end })
            }
            (start, end, _, _) => Some(Window::Seconds { start: start.unwrap_or(0.0), end }),
        };
        Midi2AbcOptions {
            inputs: self.inputs,
            output: self.output,
            convert: ConvertOptions {
                abc: self.abc.options(),
                quantize: self.quantize,
                polyphony: self.abc.polyphony,
                window,
            },
            skip_existing: self.skip_existing,
        }
    }
}

impl GenerateArgs {
    fn options(self) -> GenerateOptions {
        GenerateOptions {
            out: self.out,
            pieces: self.pieces,
            seed: self.seed,
            piece: PieceOptions { bars: self.bars, max_parts: self.max_parts, ..PieceOptions::default() },
            performed_jitter: self.performed_jitter_ms.map(|ms| ms / 1000.0),
        }
    }
}

/// Parses the command line, runs the command, prints its outcome and exits with the
/// status of the contract in `crate::outcome` (0 done, 1 some items failed, 2 nothing
/// done; clap's usage errors are 2 as well).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(jobs) = cli.jobs {
        // Only fails when a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(jobs).build_global();
    }
    match run(cli.command) {
        Ok(outcome) => {
            for line in outcome.lines() {
                crate::output::write_diagnostic(&line);
            }
            ExitCode::from(outcome.status())
        }
        // The reader of stdout went away (`| head`): nothing is wrong, stop quietly.
        Err(error) if crate::output::is_output_closed(&error) => ExitCode::SUCCESS,
        Err(error) => {
            crate::output::write_diagnostic(&format!("error: {error:#}"));
            ExitCode::from(outcome::ERROR)
        }
    }
}

fn run(command: Command) -> Result<Outcome> {
    match command {
        Command::Midi2abc(args) => midi2abc::run(&args.options()),
        Command::Qa(args) => qa::run(&args.options()),
        Command::Reward(args) => {
            reward::run(args.options())?;
            Ok(Outcome::default())
        }
        Command::Eval(args) => eval::run(&args.options()?),
        Command::Generate(args) => generate::run(&args.options()),
        Command::Run { pipeline, output, shards } => {
            let mut pipeline = Pipeline::load(&pipeline)?;
            if let Some(output) = output {
                pipeline.output = output;
            }
            pipeline.partition = shards.partition()?;
            crate::commands::run::run(&pipeline)
        }
        Command::Embed(args) => embed::run(&args.options()?),
        Command::Merge { output } => merge::run(&output),
        Command::Shards(args) => shards::run(&args.options()),
        Command::Push(args) => push::run(&args.options()),
    }
}
