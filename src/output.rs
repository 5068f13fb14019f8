//! The edge where prep touches the terminal and the file system: progress bars, output
//! files written whole (`file`), results on stdout and diagnostics on stderr
//! (`streams`). Logic modules never print or write files themselves.

mod file;
mod streams;

pub use file::{TEMP_MARKER, TempFolder, is_temp_name, remove_stale_temp_files, write_atomically, write_atomically_with};
pub use streams::{OutputClosed, is_output_closed, write_diagnostic, write_error, write_stdout};

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar on stderr when stderr is a terminal, silent otherwise. Clones draw the
/// same bar.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` items of a stage.
    pub fn new(total: u64, stage: &str) -> Self {
        Progress::with_template(Some(total), stage, "{prefix:>10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
    }

    /// A counter for a stage whose item count is not known in advance (streamed input).
    pub fn counter(stage: &str) -> Self {
        Progress::with_template(None, stage, "{prefix:>10} {spinner} {pos} {per_sec}")
    }

    /// A bar for `total` bytes of a transfer.
    pub fn bytes(total: u64, stage: &str) -> Self {
        let template = "{prefix:>10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}";
        Progress::with_template(Some(total), stage, template)
    }

    fn with_template(total: Option<u64>, stage: &str, template: &str) -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(total, target);
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(stage.to_string());
        Progress { bar }
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Moves the bar to `position` (a transfer reports totals, not steps).
    pub fn set_position(&self, position: u64) {
        self.bar.set_position(position);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
