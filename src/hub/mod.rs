//! The Hugging Face Hub: where model weights come from (`crate::embed::weights`) and where
//! a finished dataset goes (`prep push`). Both go through one client, the official `hf-hub`
//! crate, built in one place ([`HubSettings::client`]).
//!
//! - [`settings`]: endpoint, token, cache from the environment; the client; redaction.
//! - [`local`]: which files of a dataset folder are pushed, and their content hashes.
//! - [`plan`]: what the Hub lacks, from the local files and the remote tree (pure).
//! - [`push`]: the push itself: repo, branch, tree, commits of at most 50 files.
//!
//! Where hf-hub 1.0 falls short of what the Hub sends, [`push`] wraps it; docs/hub.md says
//! what upstream would need.

pub mod local;
pub mod plan;
pub mod push;
pub mod settings;

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};

pub use settings::{DEFAULT_ENDPOINT, HubSettings, Retry, redact};

/// A repo id, `owner/name`: two non-empty parts of letters, digits, `-`, `_` and `.`, not
/// starting with a dot (so `../x` is never taken for one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId {
    pub owner: String,
    pub name: String,
}

impl FromStr for RepoId {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<RepoId> {
        let valid = |part: &str| {
            !part.is_empty() && !part.starts_with('.') && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        match text.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => {
                Ok(RepoId { owner: owner.to_string(), name: name.to_string() })
            }
            _ => bail!("`{text}` is not a Hub repo id (owner/name: letters, digits, `-`, `_`, `.`)"),
        }
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_are_owner_slash_name() {
        let id: RepoId = "user/my-data.v2".parse().expect("valid");
        assert_eq!((id.owner.as_str(), id.name.as_str()), ("user", "my-data.v2"));
        assert_eq!(id.to_string(), "user/my-data.v2");
        for bad in ["name", "a/b/c", "../x", "a/", "/b", "a b/c", "a/.git"] {
            assert!(bad.parse::<RepoId>().is_err(), "{bad}");
        }
    }
}
