//! `prep push DATASET_DIR --repo OWNER/NAME`: the Hub settings from the environment, then
//! `crate::hub::push`, and the summary as the command prints it. A push that fails
//! stops with an error (status 2 of `crate::outcome`); re-running it sends what is missing.

use anyhow::{Result, bail};

use crate::hub::HubSettings;
use crate::hub::push::{self, PushOptions, PushSummary};
use crate::outcome::Outcome;

/// Pushes with the settings of the environment (`HF_ENDPOINT`, `HF_TOKEN` or the token file).
pub fn run(options: &PushOptions) -> Result<Outcome> {
    let settings = HubSettings::from_env()?;
    if settings.offline {
        bail!("HF_HUB_OFFLINE forbids network access: unset it to push to {}", options.repo);
    }
    let summary = push::push(options, &settings)?;
    Ok(Outcome::new(report(&summary).join("\n"), Vec::new(), Vec::new()))
}

/// The summary's lines, as `prep push` prints them.
pub fn report(summary: &PushSummary) -> Vec<String> {
    let mut lines = Vec::new();
    if summary.created {
        lines.push(format!("push: created {}", summary.url));
    }
    for audio in &summary.outside_audio {
        lines.push(format!("push: a chat file refers to {audio}, outside the dataset folder: not pushed"));
    }
    if summary.commits.is_empty() {
        lines.push(format!("push: {} is up to date ({} files, nothing sent)", summary.url, summary.files));
    } else {
        lines.push(format!(
            "push: {} files ({} bytes) sent, {} unchanged, {} stale removed, in {} commit(s) to {}",
            summary.uploaded,
            summary.uploaded_bytes,
            summary.unchanged,
            summary.deleted,
            summary.commits.len(),
            summary.url
        ));
    }
    if let Some(pr) = &summary.pull_request {
        lines.push(format!("push: pull request #{} {}", pr.number, pr.url));
    }
    lines
}
