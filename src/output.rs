//! The edge where prep touches the terminal and the file system: progress bars and
//! atomic file writes. Logic modules never print or write files themselves.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
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

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename,
/// so a reader (or a resumed run) never sees a half-written file under the final name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| format!("creating folder {}", parent.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(parent)
        .with_context(|| format!("creating a temporary file in {}", parent.display()))?;
    temp.write_all(bytes).with_context(|| format!("writing {}", path.display()))?;
    temp.persist(path).with_context(|| format!("renaming the temporary file to {}", path.display()))?;
    Ok(())
}
