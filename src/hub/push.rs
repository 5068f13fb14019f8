//! `prep push`: a dataset folder to a dataset repo on the Hub, so that
//! `datasets.load_dataset("owner/name", CONFIG)` reads there what it reads locally.
//!
//! Steps: select and hash the local files ([`local`]); make the repo (and the branch) if
//! missing; list the remote tree; send what the Hub lacks ([`Plan`]) in commits of at most
//! 50 changes, as `datasets.push_to_hub` does; drop stale files under `data/`.
//!
//! Resumable and idempotent by construction: every run compares content hashes with the
//! remote tree first, so a run after an interruption sends only the commits that did not
//! land, and a run over an unchanged folder makes no commit at all. Requests answered
//! 408/429/5xx, or whose connection failed, are retried with exponential backoff (by
//! hf-hub, and by hf-xet for the xet transfer of large files).
//!
//! The transfer is hf-hub's: `create_commit` asks the Hub which files are LFS (preupload),
//! sends those through xet and the rest inline. It is wrapped where hf-hub 1.0 reads less
//! than the Hub answers (docs/hub.md): the tree's LFS fields (only the tree's top-level
//! `oid` is used) and the pull request a commit opened (found through the repo's refs).

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use hf_hub::progress::{ProgressEvent, ProgressHandler, UploadEvent};
use hf_hub::repository::{CommitInfo, CommitOperation, RepoTreeEntry, RepoTypeDataset};
use hf_hub::{HFError, HFRepositorySync};

use super::local::{self, Selection};
use super::plan::{Change, Plan, RemoteFile};
use super::{HubSettings, RepoId, Retry};
use crate::output::Progress;

/// `datasets.push_to_hub`'s limit of files per commit.
pub const FILES_PER_COMMIT: usize = 50;

/// The branch a push goes to when none is named.
pub const DEFAULT_BRANCH: &str = "main";

/// Everything a push needs besides the Hub settings.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// The dataset folder (`README.md`, `data/`, ...).
    pub dataset: PathBuf,
    pub repo: RepoId,
    /// Make the repo private when it has to be created (an existing repo keeps its visibility).
    pub private: bool,
    /// The branch to push to (made from `main` when missing).
    pub revision: String,
    /// Open a pull request with the changes instead of committing to the branch.
    pub create_pr: bool,
    /// The commit message (`Upload dataset with prep` when not given).
    pub message: Option<String>,
    pub files_per_commit: usize,
    pub retry: Retry,
}

/// A pull request the push opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub url: String,
}

/// What a push did.
#[derive(Debug, Clone, Default)]
pub struct PushSummary {
    /// The repo's page.
    pub url: String,
    /// The repo did not exist and was created.
    pub created: bool,
    /// Files the push covers (card, data, chat and its audio).
    pub files: usize,
    /// Of those, already on the Hub with the same content.
    pub unchanged: usize,
    pub uploaded: usize,
    pub uploaded_bytes: u64,
    /// Stale files in the mirrored folders (`local::MIRRORED`) removed from the Hub.
    pub deleted: usize,
    /// The commits made, by id (empty when the Hub was up to date).
    pub commits: Vec<String>,
    pub pull_request: Option<PullRequest>,
    /// Audio that a chat file refers to outside the folder, not pushed.
    pub outside_audio: Vec<String>,
}

/// Pushes the dataset folder; a bytes bar on stderr follows the upload.
pub fn push(options: &PushOptions, settings: &HubSettings) -> Result<PushSummary> {
    let Selection { files, outside_audio } = local::select(&options.dataset)?;
    let hub = Hub::connect(options, settings)?;
    let created = hub.ensure_repo(options.private)?;
    hub.ensure_branch(&options.revision)?;
    let plan = Plan::new(&files, &hub.tree(&options.revision)?);
    let mut summary = PushSummary {
        url: hub.url(),
        created,
        files: files.len(),
        unchanged: plan.unchanged,
        outside_audio,
        ..PushSummary::default()
    };
    let commits = plan.commits(options.files_per_commit);
    let progress = Progress::bytes(plan.bytes(), "push");
    let mut target = options.revision.clone();
    for (index, changes) in commits.iter().enumerate() {
        let message = commit_message(options.message.as_deref(), index, commits.len());
        let open_pr = options.create_pr && summary.pull_request.is_none();
        let sent_before = summary.uploaded_bytes;
        let info = hub.commit(changes, &message, &target, open_pr, &progress, sent_before).map_err(|error| {
            progress.finish();
            anyhow!(
                "{error:#}\ncommit {} of {} did not reach {} (the {index} before it did): run the same \
                 command again to send the rest (files already on the Hub are not sent again)",
                index + 1,
                commits.len(),
                options.repo,
            )
        })?;
        if open_pr {
            let pr = hub.pull_request(&info)?;
            target = format!("refs/pr/{}", pr.number);
            summary.pull_request = Some(pr);
        }
        summary.commits.push(info.commit_oid.or(info.commit_url).unwrap_or_default());
        for change in changes {
            match change {
                Change::Upload(file) => {
                    summary.uploaded += 1;
                    summary.uploaded_bytes += file.size;
                }
                Change::Delete(_) => summary.deleted += 1,
            }
        }
        progress.set_position(summary.uploaded_bytes);
    }
    progress.finish();
    Ok(summary)
}

/// `message`, numbered when the push takes several commits (as `datasets` numbers them).
fn commit_message(message: Option<&str>, index: usize, count: usize) -> String {
    let message = message.unwrap_or("Upload dataset with prep");
    if count > 1 { format!("{message} (part {:05}-of-{count:05})", index + 1) } else { message.to_string() }
}

/// The dataset repo through hf-hub, with errors that name the repo, the step and a remedy,
/// and never the token.
struct Hub<'a> {
    repo_id: &'a RepoId,
    settings: &'a HubSettings,
    client: hf_hub::HFClientSync,
    repo: HFRepositorySync<RepoTypeDataset>,
}

impl<'a> Hub<'a> {
    fn connect(options: &'a PushOptions, settings: &'a HubSettings) -> Result<Hub<'a>> {
        let client = settings.client(options.retry)?;
        let repo = client.dataset(options.repo.owner.clone(), options.repo.name.clone());
        Ok(Hub { repo_id: &options.repo, settings, client, repo })
    }

    fn url(&self) -> String {
        format!("{}/datasets/{}", self.settings.endpoint, self.repo_id)
    }

    /// Makes the repo if missing; whether it did.
    fn ensure_repo(&self, private: bool) -> Result<bool> {
        if self.repo.exists().send().map_err(|e| self.error("looking up", e))? {
            return Ok(false);
        }
        let id = self.repo_id.to_string();
        let created = self.client.create_repository().repo_id(&id).repo_type(RepoTypeDataset).private(private).exist_ok(true).send();
        created.map_err(|e| self.error("creating the missing", e))?;
        Ok(true)
    }

    /// Makes the branch from `main` if missing.
    fn ensure_branch(&self, branch: &str) -> Result<()> {
        if branch == DEFAULT_BRANCH {
            return Ok(());
        }
        let exists = self.repo.revision_exists().revision(branch).send();
        if !exists.map_err(|e| self.error(&format!("looking up branch {branch} of"), e))? {
            let made = self.repo.create_branch().branch(branch).send();
            made.map_err(|e| self.error(&format!("creating branch {branch} of"), e))?;
        }
        Ok(())
    }

    /// The files of the remote tree at `revision`.
    fn tree(&self, revision: &str) -> Result<Vec<RemoteFile>> {
        let entries = self.repo.list_tree().revision(revision.to_string()).recursive(true).send();
        let entries = entries.map_err(|e| self.error(&format!("listing the files at {revision} of"), e))?;
        Ok(entries
            .into_iter()
            .filter_map(|entry| match entry {
                RepoTreeEntry::File { path, oid, .. } => Some(RemoteFile { path, oid }),
                RepoTreeEntry::Directory { .. } => None,
            })
            .collect())
    }

    /// One commit of `changes` to `revision` (or a pull request against it); the progress bar
    /// moves from `sent_before` with the bytes hf-hub reports.
    fn commit(
        &self,
        changes: &[Change],
        message: &str,
        revision: &str,
        create_pr: bool,
        progress: &Progress,
        sent_before: u64,
    ) -> Result<CommitInfo> {
        let operations = changes
            .iter()
            .map(|change| match change {
                Change::Upload(file) => CommitOperation::add_file(file.repo_path.clone(), file.path.clone()),
                Change::Delete(path) => CommitOperation::delete(path.clone()),
            })
            .collect();
        let handler = BytesSent { progress: progress.clone(), sent_before };
        let commit = self
            .repo
            .create_commit()
            .operations(operations)
            .commit_message(message)
            .revision(revision.to_string())
            .create_pr(create_pr)
            .progress(handler)
            .send();
        let first = changes.first().map_or("", Change::path);
        commit.map_err(|e| {
            let what = format!("committing {} change(s) ({first}, ...) to {revision} of", changes.len());
            self.error(&what, e)
        })
    }

    /// The pull request a `create_pr` commit opened. hf-hub 1.0 reads `prUrl`/`prNum`, the
    /// Hub answers `pullRequestUrl`: the request is found by its commit among the repo's
    /// pull-request refs (`refs/pr/N`) instead.
    fn pull_request(&self, info: &CommitInfo) -> Result<PullRequest> {
        let number = match (info.pr_num, info.pr_url.as_deref().and_then(number_after_discussions)) {
            (Some(number), _) | (None, Some(number)) => number,
            (None, None) => {
                let refs = self.repo.list_refs().include_pull_requests(true).send();
                let refs = refs.map_err(|e| self.error("listing the pull requests of", e))?;
                let commit = info.commit_oid.as_deref().unwrap_or_default();
                refs.pull_requests
                    .iter()
                    .find(|pr| pr.target_commit == commit)
                    .and_then(|pr| pr.git_ref.strip_prefix("refs/pr/")?.parse().ok())
                    .with_context(|| format!("{} opened no pull request for commit {commit}", self.repo_id))?
            }
        };
        Ok(PullRequest { number, url: format!("{}/discussions/{number}", self.url()) })
    }

    /// An hf-hub error as prep reports it: what failed, on which repo, what to do, and never
    /// the token (a server may echo it).
    fn error(&self, what: &str, error: HFError) -> anyhow::Error {
        let remedy = match &error {
            HFError::AuthRequired { .. } => match self.settings.token {
                Some(_) => " (HTTP 401: the Hub refused the token: check HF_TOKEN or the token file, `hf auth login`)",
                None => " (HTTP 401: no token was sent: set HF_TOKEN or run `hf auth login`)",
            },
            HFError::Forbidden { .. } => " (HTTP 403: the token has no write access there)",
            HFError::RepoNotFound { .. } => {
                " (HTTP 404: a repo the token cannot see reads as missing: check the name and the token's access)"
            }
            _ => "",
        };
        let text = format!("{what} dataset repo {} at {} failed: {error}{remedy}", self.repo_id, self.settings.endpoint);
        anyhow!(self.settings.redact(&text))
    }
}

/// `N` in `.../discussions/N`.
fn number_after_discussions(url: &str) -> Option<u64> {
    url.trim_end_matches('/').rsplit_once("/discussions/")?.1.parse().ok()
}

/// hf-hub's upload events moving the bytes bar.
struct BytesSent {
    progress: Progress,
    sent_before: u64,
}

impl ProgressHandler for BytesSent {
    fn on_progress(&self, event: &ProgressEvent) {
        if let ProgressEvent::Upload(UploadEvent::Progress { bytes_completed, .. }) = event {
            self.progress.set_position(self.sent_before + bytes_completed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_commits_are_numbered() {
        assert_eq!(commit_message(None, 0, 1), "Upload dataset with prep");
        assert_eq!(commit_message(Some("v2"), 1, 3), "v2 (part 00002-of-00003)");
    }

    #[test]
    fn pull_request_numbers_come_from_discussion_urls() {
        assert_eq!(number_after_discussions("https://huggingface.co/datasets/a/b/discussions/7"), Some(7));
        assert_eq!(number_after_discussions("https://huggingface.co/datasets/a/b"), None);
    }
}
