//! Options are typed once and checked by one parser whether they come from the command
//! line or a pipeline file: the same invalid value is refused by both, and the YAML
//! error names the key and the line.

use std::num::NonZeroUsize;
use std::process::Command;

use prep::abc::convert::PolyphonyChoice;
use prep::abc::write::{Layout, Polyphony};
use prep::analysis::QuantizeMode;
use prep::embed::{DType, Device, Model};
use prep::pipeline::Pipeline;

const HEAD: &str = "output: x\nsource:\n  kind: demo\n";

/// The error `Pipeline::parse` gives for `HEAD` followed by `tail`.
fn yaml_error(tail: &str) -> String {
    format!("{:#}", Pipeline::parse(&format!("{HEAD}{tail}")).expect_err(tail))
}

/// The stderr of `prep ARGS`, which must fail as a usage error.
fn cli_error(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_prep")).args(args).output().expect("run prep");
    assert_eq!(output.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn yaml_settings_are_typed_values() {
    let tail = "quantize: grid:12\nabc:\n  unit: 1/16\n  layout: voices\n  bars_per_line: 2\n  polyphony: tied-chords\n\
                embeddings:\n  model: whisper\n  dtype: bf16\n  device: cuda:1\n  batch_size: 8\n";
    let pipeline = Pipeline::parse(&format!("{HEAD}{tail}")).expect("valid");
    assert_eq!(pipeline.quantize, QuantizeMode::Grid(12));
    let abc = pipeline.abc_options();
    assert_eq!((abc.unit, abc.layout, abc.bars_per_line), (Some((1, 16)), Layout::Voices, 2));
    assert_eq!(pipeline.abc.polyphony, PolyphonyChoice::Always(Polyphony::TiedChords));
    let embeddings = pipeline.embeddings.expect("set");
    let spec = embeddings.spec();
    assert_eq!((spec.model, spec.dtype, spec.device), (Model::Whisper, DType::Bf16, Device::Cuda(1)));
    assert_eq!(embeddings.batch_size, NonZeroUsize::new(8).expect("8"));

    let defaults = Pipeline::parse(HEAD).expect("valid");
    assert_eq!((defaults.quantize, defaults.abc_options().bars_per_line), (QuantizeMode::Auto, 4));
    assert_eq!(defaults.abc.polyphony, PolyphonyChoice::Auto);
}

#[test]
fn invalid_yaml_values_name_the_key_and_the_line() {
    for (tail, key, line, problem) in [
        ("quantize: grid:0\n", "quantize", 4, "grid:N (N > 0)"),
        ("abc:\n  layout: diagonal\n", "abc.layout", 5, "expected interleaved or voices, got \"diagonal\""),
        ("abc:\n  bars_per_line: 0\n", "abc.bars_per_line", 5, "nonzero"),
        ("abc:\n  polyphony: merged\n", "abc.polyphony", 5, "expected auto, overlays or tied-chords, got \"merged\""),
        ("abc:\n  unit: 1/3\n", "abc.unit", 5, "power-of-two denominator"),
        ("shards:\n  row_group_mb: 0\n", "shards.row_group_mb", 5, "nonzero"),
        ("embeddings:\n  model: clap\n", "embeddings.model", 5, "unknown model `clap`"),
        ("embeddings:\n  model: mel\n  dtype: f8\n", "embeddings.dtype", 6, "f8"),
        ("embeddings:\n  model: mel\n  device: tpu\n", "embeddings.device", 6, "unknown device `tpu`"),
        ("embeddings:\n  model: mel\n  batch_size: 0\n", "embeddings.batch_size", 6, "nonzero"),
    ] {
        let message = yaml_error(tail);
        assert!(message.starts_with(&format!("{key}: ")), "{tail:?}: {message}");
        assert!(message.contains(&format!("line {line}")), "{tail:?}: {message}");
        assert!(message.contains(problem), "{tail:?}: {message}");
    }
}

#[test]
fn the_command_line_refuses_what_the_pipeline_file_refuses() {
    let midi = ["midi2abc", "unused.mid"];
    let message = cli_error(&[&midi[..], &["--bars-per-line", "0"]].concat());
    assert!(message.contains("--bars-per-line") && message.contains("zero"), "{message}");
    let message = cli_error(&[&midi[..], &["--layout", "diagonal"]].concat());
    assert!(message.contains("expected interleaved or voices, got \"diagonal\""), "{message}");
    let message = cli_error(&[&midi[..], &["--polyphony", "merged"]].concat());
    assert!(message.contains("expected auto, overlays or tied-chords, got \"merged\""), "{message}");
    let message = cli_error(&[&midi[..], &["--quantize", "grid:0"]].concat());
    assert!(message.contains("grid:N (N > 0)"), "{message}");
    let message = cli_error(&["embed", "unused", "--batch-size", "0"]);
    assert!(message.contains("--batch-size") && message.contains("zero"), "{message}");
    let message = cli_error(&["shards", "--clips", "c.jsonl", "-o", "out", "--row-group-mb", "0"]);
    assert!(message.contains("--row-group-mb") && message.contains("zero"), "{message}");
}
