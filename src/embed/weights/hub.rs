//! Model files from the Hugging Face Hub, through hf-hub's synchronous client and its
//! cache (the layout `huggingface_hub` shares: `<cache>/models--owner--name/snapshots/...`).
//!
//! hf-hub 0.4.3's `ApiBuilder::from_env` reads only `HF_HOME` and `HF_ENDPOINT`, takes the
//! token from the `token` file beside the cache, and knows no offline mode. So the settings
//! are gathered here, once, into [`HubSettings`] (`HF_ENDPOINT`, `HF_HOME`, `HF_HUB_CACHE`,
//! `HF_TOKEN`, `HF_HUB_OFFLINE`, as `huggingface_hub` reads them), and the rest of the code,
//! tests included, passes them explicitly. Offline, nothing touches the network: files
//! come from the cache or are reported missing with the command that fetches them.
//!
//! A cached file is used as is, without asking the Hub whether the revision moved on.

use std::cell::OnceCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use hf_hub::api::sync::{ApiBuilder, ApiRepo};
use hf_hub::{Cache, CacheRepo, Repo, RepoType};

use super::Store;

/// How to reach the Hub and where its files are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// The server, `https://huggingface.co` unless `HF_ENDPOINT` says otherwise.
    pub endpoint: String,
    /// The hub cache folder (`<cache_dir>/models--owner--name/...`).
    pub cache_dir: PathBuf,
    /// Sent as a bearer token (gated and private repos).
    pub token: Option<String>,
    /// No network at all: files come from the cache.
    pub offline: bool,
    /// Download progress bars on stderr.
    pub progress: bool,
}

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

impl HubSettings {
    /// The settings from the environment: `HF_ENDPOINT`; `HF_HUB_CACHE`, else `HF_HOME/hub`,
    /// else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`; `HF_TOKEN`,
    /// else the token file `HF_HOME/token` (`huggingface-cli login` writes it);
    /// `HF_HUB_OFFLINE` = 1/true/yes/on. Progress bars only when stderr is a terminal.
    pub fn from_env() -> Result<HubSettings> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        HubSettings::from_vars(var, std::io::stderr().is_terminal())
    }

    /// [`HubSettings::from_env`] with the variables looked up by `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>, progress: bool) -> Result<HubSettings> {
        let hf_home = if let Some(home) = var("HF_HOME") {
            PathBuf::from(home)
        } else if let Some(cache) = var("XDG_CACHE_HOME") {
            Path::new(&cache).join("huggingface")
        } else if let Some(home) = var("HOME") {
            Path::new(&home).join(".cache").join("huggingface")
        } else {
            anyhow::bail!("no home folder for the Hugging Face cache: set HF_HOME")
        };
        let cache_dir = var("HF_HUB_CACHE").map_or_else(|| hf_home.join("hub"), PathBuf::from);
        let token = var("HF_TOKEN").or_else(|| token_file(&hf_home.join("token")));
        let offline = var("HF_HUB_OFFLINE").is_some_and(|value| is_true(&value));
        let endpoint = var("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let endpoint = endpoint.trim_end_matches('/').to_string();
        Ok(HubSettings { endpoint, cache_dir, token, offline, progress })
    }
}

fn token_file(path: &Path) -> Option<String> {
    let token = std::fs::read_to_string(path).ok()?;
    Some(token.trim().to_string()).filter(|token| !token.is_empty())
}

/// `huggingface_hub`'s reading of a boolean variable.
fn is_true(value: &str) -> bool {
    matches!(value.trim().to_ascii_uppercase().as_str(), "1" | "ON" | "YES" | "TRUE")
}

/// One revision of a Hub model repo, seen through the cache first.
pub(super) struct HubRepo {
    id: String,
    revision: String,
    settings: HubSettings,
    cache: CacheRepo,
    /// `None` offline.
    api: Option<ApiRepo>,
    /// The repo's file names, asked for at most once.
    listing: OnceCell<Vec<String>>,
}

impl HubRepo {
    pub(super) fn new(settings: &HubSettings, id: &str, revision: &str) -> Result<HubRepo> {
        let repo = Repo::with_revision(id.to_string(), RepoType::Model, revision.to_string());
        let cache = Cache::new(settings.cache_dir.clone()).repo(repo.clone());
        let api = if settings.offline {
            None
        } else {
            let api = ApiBuilder::from_cache(Cache::new(settings.cache_dir.clone()))
                .with_endpoint(settings.endpoint.clone())
                .with_token(settings.token.clone())
                .with_progress(settings.progress)
                .build()
                .context("cannot set up the Hugging Face Hub client")?;
            Some(api.repo(repo))
        };
        Ok(HubRepo {
            id: id.to_string(),
            revision: revision.to_string(),
            settings: settings.clone(),
            cache,
            api,
            listing: OnceCell::new(),
        })
    }

    fn listing(&self, api: &ApiRepo) -> Result<&[String]> {
        if let Some(names) = self.listing.get() {
            return Ok(names);
        }
        let info = api.info().with_context(|| {
            format!(
                "cannot list the files of {} at {} (`{}` is not a local file or folder, so it \
                 was taken for a Hub repo){}",
                self.describe(),
                self.settings.endpoint,
                self.id,
                self.token_hint()
            )
        })?;
        let names = info.siblings.into_iter().map(|sibling| sibling.rfilename).collect();
        Ok(self.listing.get_or_init(|| names))
    }

    /// Where no token was sent: how to send one, for gated and private repos.
    fn token_hint(&self) -> &'static str {
        match self.settings.token {
            Some(_) => "",
            None => " (no token was sent: gated and private repos need HF_TOKEN or \
                      `huggingface-cli login`)",
        }
    }
}

impl Store for HubRepo {
    fn describe(&self) -> String {
        format!("Hub repo {}@{}", self.id, self.revision)
    }

    fn present(&self, name: &str) -> Option<PathBuf> {
        self.cache.get(name)
    }

    fn offers(&self, name: &str) -> Result<bool> {
        match &self.api {
            None => Ok(false),
            Some(api) => Ok(self.listing(api)?.iter().any(|file| file == name)),
        }
    }

    fn fetch(&self, name: &str) -> Result<PathBuf> {
        if let Some(path) = self.present(name) {
            return Ok(path);
        }
        let Some(api) = &self.api else { return Err(self.missing(&[name])) };
        api.download(name).with_context(|| {
            let (repo, endpoint) = (self.describe(), &self.settings.endpoint);
            format!("cannot download {name} of {repo} from {endpoint}{}", self.token_hint())
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
/// index names) and `config.json` in the cache: `huggingface_hub`'s CLI takes glob
/// patterns after `--include`, and a pattern that matches no file is no error.
fn download_command(repo: &str, revision: &str, names: &[&str]) -> String {
    let mut patterns = vec![super::CONFIG.to_string()];
    for name in names {
        patterns.push(name.to_string());
        // `model.safetensors.index.json` names shards `model-00001-of-00002.safetensors`.
        if let Some((base, extension)) = name.strip_suffix(".index.json").and_then(|stem| stem.rsplit_once('.')) {
            patterns.push(format!("'{base}-*.{extension}'"));
        }
    }
    patterns.dedup();
    format!("huggingface-cli download {repo} --revision {revision} --include {}", patterns.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> HubSettings {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        HubSettings::from_vars(|name| vars.get(name).cloned(), false).expect("settings")
    }

    #[test]
    fn defaults_follow_huggingface_hub() {
        let s = settings(&[("HOME", "/home/u")]);
        assert_eq!(s.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(s.cache_dir, PathBuf::from("/home/u/.cache/huggingface/hub"));
        assert_eq!((s.token, s.offline), (None, false));
        let s = settings(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/xdg")]);
        assert_eq!(s.cache_dir, PathBuf::from("/xdg/huggingface/hub"));
    }

    #[test]
    fn variables_override_the_defaults() {
        let s = settings(&[
            ("HOME", "/home/u"),
            ("HF_HOME", "/hf"),
            ("HF_ENDPOINT", "http://127.0.0.1:9/"),
            ("HF_TOKEN", "hf_abc"),
            ("HF_HUB_OFFLINE", "True"),
        ]);
        assert_eq!(s.endpoint, "http://127.0.0.1:9");
        assert_eq!(s.cache_dir, PathBuf::from("/hf/hub"));
        assert_eq!(s.token.as_deref(), Some("hf_abc"));
        assert!(s.offline);
        let s = settings(&[("HF_HOME", "/hf"), ("HF_HUB_CACHE", "/c"), ("HF_HUB_OFFLINE", "0")]);
        assert_eq!(s.cache_dir, PathBuf::from("/c"));
        assert!(!s.offline);
    }

    #[test]
    fn the_token_file_beside_the_cache_is_read_when_hf_token_is_unset() {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::write(home.path().join("token"), "hf_from_file\n").expect("write token");
        let s = settings(&[("HF_HOME", home.path().to_str().expect("utf-8"))]);
        assert_eq!(s.token.as_deref(), Some("hf_from_file"));
    }

    #[test]
    fn the_download_command_has_one_argument_per_pattern() {
        let names = ["model.safetensors.index.json", "model.safetensors"];
        assert_eq!(
            download_command("openai/whisper-large-v3", "main", &names),
            "huggingface-cli download openai/whisper-large-v3 --revision main --include config.json \
             model.safetensors.index.json 'model-*.safetensors' model.safetensors"
        );
    }
}
