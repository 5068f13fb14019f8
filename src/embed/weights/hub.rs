//! Model files from the Hugging Face Hub, through hf-hub's client (`crate::hub`) and its
//! cache (the layout `huggingface_hub` shares: `<cache>/models--owner--name/snapshots/...`).
//!
//! The settings ([`HubSettings`]: endpoint, cache, token, offline) are gathered once from the
//! environment and passed explicitly, tests included. Offline, nothing touches the network:
//! files come from the cache or are reported missing with the command that fetches them.
//!
//! A cached file is used as is, without asking the Hub whether the revision moved on.

use std::cell::OnceCell;
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use hf_hub::progress::{DownloadEvent, ProgressEvent, ProgressHandler};
use hf_hub::progress::Progress as HubProgress;
use hf_hub::repository::RepoTypeModel;
use hf_hub::{HFError, HFRepositorySync};

use super::Store;
use crate::hub::{HubSettings, Retry};
use crate::output::Progress;

/// One revision of a Hub model repo, seen through the cache first.
pub(super) struct HubRepo {
    id: String,
    revision: String,
    settings: HubSettings,
    repo: HFRepositorySync<RepoTypeModel>,
    /// The repo's file names, asked for at most once.
    listing: OnceCell<Vec<String>>,
}

impl HubRepo {
    pub(super) fn new(settings: &HubSettings, id: &str, revision: &str) -> Result<HubRepo> {
        let (owner, name) = id.split_once('/').ok_or_else(|| anyhow!("`{id}` is not a Hub repo id (owner/name)"))?;
        let repo = settings.client(Retry::default())?.model(owner, name);
        Ok(HubRepo {
            id: id.to_string(),
            revision: revision.to_string(),
            settings: settings.clone(),
            repo,
            listing: OnceCell::new(),
        })
    }

    fn listing(&self) -> Result<&[String]> {
        if let Some(names) = self.listing.get() {
            return Ok(names);
        }
        let info = self.repo.info().revision(self.revision.clone()).send().map_err(|error| {
            self.error(
                &format!(
                    "cannot list the files of {} at {} (`{}` is not a local file or folder, so it was \
                     taken for a Hub repo)",
                    self.describe(),
                    self.settings.endpoint,
                    self.id
                ),
                error,
            )
        })?;
        let names = info.siblings.unwrap_or_default().into_iter().map(|sibling| sibling.rfilename).collect();
        Ok(self.listing.get_or_init(|| names))
    }

    /// `what` failed because of `error`; where no token was sent, how to send one, for gated
    /// and private repos. Never the token itself.
    fn error(&self, what: &str, error: HFError) -> anyhow::Error {
        let hint = match self.settings.token {
            Some(_) => "",
            None => " (no token was sent: gated and private repos need HF_TOKEN or `hf auth login`)",
        };
        anyhow!(self.settings.redact(&format!("{what}: {error}{hint}")))
    }
}

impl Store for HubRepo {
    fn describe(&self) -> String {
        format!("Hub repo {}@{}", self.id, self.revision)
    }

    fn present(&self, name: &str) -> Option<PathBuf> {
        let cached = self.repo.download_file().filename(name).revision(self.revision.clone()).local_files_only(true);
        cached.send().ok()
    }

    fn offers(&self, name: &str) -> Result<bool> {
        if self.settings.offline {
            return Ok(false);
        }
        Ok(self.listing()?.iter().any(|file| file == name))
    }

    fn fetch(&self, name: &str) -> Result<PathBuf> {
        if let Some(path) = self.present(name) {
            return Ok(path);
        }
        if self.settings.offline {
            return Err(self.missing(&[name]));
        }
        let progress = self.settings.progress.then(|| HubProgress::from(BytesReceived::default()));
        let download = self.repo.download_file().filename(name).revision(self.revision.clone());
        download.maybe_progress(progress).send().map_err(|error| {
            let (repo, endpoint) = (self.describe(), &self.settings.endpoint);
            self.error(&format!("cannot download {name} of {repo} from {endpoint}"), error)
        })
    }

    fn missing(&self, names: &[&str]) -> anyhow::Error {
        if self.settings.offline {
            anyhow!(
                "{} of {} is not in the Hugging Face cache {} and HF_HUB_OFFLINE=1 forbids \
                 downloading: run once without HF_HUB_OFFLINE, or fetch it with \
                 `{}`",
                names.join(", "),
                self.describe(),
                self.settings.cache_dir.display(),
                download_command(&self.id, &self.revision, names)
            )
        } else {
            anyhow!("{} at {} has none of: {}", self.describe(), self.settings.endpoint, names.join(", "))
        }
    }
}

/// A shell command that puts `names` (those of them the repo has, and the shards an
/// index names) and `config.json` in the cache: `huggingface_hub`'s `hf download` takes
/// glob patterns after `--include`, and a pattern that matches no file is no error.
fn download_command(repo: impl std::fmt::Display, revision: &str, names: &[&str]) -> String {
    let mut patterns = vec![super::CONFIG.to_string()];
    for name in names {
        patterns.push(name.to_string());
        // `model.safetensors.index.json` names shards `model-00001-of-00002.safetensors`.
        if let Some((base, extension)) = name.strip_suffix(".index.json").and_then(|stem| stem.rsplit_once('.')) {
            patterns.push(format!("'{base}-*.{extension}'"));
        }
    }
    patterns.dedup();
    format!("hf download {repo} --revision {revision} --include {}", patterns.join(" "))
}

/// hf-hub's download events drawing a bytes bar (single-file downloads: `Progress` events
/// carry the file's bytes so far, `AggregateProgress` the xet transfer's).
#[derive(Default)]
struct BytesReceived {
    bar: OnceLock<Progress>,
}

impl ProgressHandler for BytesReceived {
    fn on_progress(&self, event: &ProgressEvent) {
        let ProgressEvent::Download(event) = event else { return };
        match event {
            DownloadEvent::Start { total_bytes, .. } => {
                self.bar.get_or_init(|| Progress::bytes(*total_bytes, "download"));
            }
            DownloadEvent::Progress { files } => {
                if let Some(bar) = self.bar.get() {
                    bar.set_position(files.iter().map(|file| file.bytes_completed).sum());
                }
            }
            DownloadEvent::AggregateProgress { bytes_completed, .. } => {
                if let Some(bar) = self.bar.get() {
                    bar.set_position(*bytes_completed);
                }
            }
            DownloadEvent::Complete => {
                if let Some(bar) = self.bar.get() {
                    bar.finish();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_download_command_has_one_argument_per_pattern() {
        let names = ["model.safetensors.index.json", "model.safetensors"];
        assert_eq!(
            download_command("openai/whisper-large-v3", "main", &names),
            "hf download openai/whisper-large-v3 --revision main --include config.json \
             model.safetensors.index.json 'model-*.safetensors' model.safetensors"
        );
    }
}
