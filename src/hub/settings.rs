//! How prep reaches the Hugging Face Hub, read once from the environment the way
//! `huggingface_hub` reads it, and the one place an hf-hub client is built from it (model
//! downloads and dataset pushes share both).
//!
//! The token is a secret: [`redact`] removes it from any text prep prints, since a server's
//! error message may echo what it was sent.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use hf_hub::{HFClientBuilder, HFClientSync};

/// How to reach the Hub and where its files are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// The server, `https://huggingface.co` unless `HF_ENDPOINT` says otherwise.
    pub endpoint: String,
    /// The hub cache folder (`<cache_dir>/models--owner--name/...`).
    pub cache_dir: PathBuf,
    /// Sent as a bearer token (gated and private repos, uploads).
    pub token: Option<String>,
    /// No network at all: files come from the cache.
    pub offline: bool,
    /// Progress bars on stderr.
    pub progress: bool,
}

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// How often, and how patiently, a request answered 408/429/5xx or whose connection failed
/// is sent again (exponential backoff: 2, 4, 8, ... times `base_delay`, jittered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: usize,
    pub base_delay: Duration,
}

impl Default for Retry {
    /// Five retries over at most about a minute.
    fn default() -> Self {
        Retry { attempts: 5, base_delay: Duration::from_secs(1) }
    }
}

impl HubSettings {
    /// The settings from the environment: `HF_ENDPOINT`; `HF_HUB_CACHE`, else `HF_HOME/hub`,
    /// else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`; `HF_TOKEN`,
    /// else the token file `HF_TOKEN_PATH`, else `HF_HOME/token` (`hf auth login` writes it);
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
        let token_path = var("HF_TOKEN_PATH").map_or_else(|| hf_home.join("token"), PathBuf::from);
        let token = var("HF_TOKEN").or_else(|| token_file(&token_path));
        let offline = var("HF_HUB_OFFLINE").is_some_and(|value| is_true(&value));
        let endpoint = var("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let endpoint = endpoint.trim_end_matches('/').to_string();
        Ok(HubSettings { endpoint, cache_dir, token, offline, progress })
    }

    /// An hf-hub client for these settings. Without a token, hf-hub looks for one itself in
    /// the places [`HubSettings::from_env`] already looked, and finds none.
    pub fn client(&self, retry: Retry) -> Result<HFClientSync> {
        let mut builder = HFClientBuilder::new()
            .endpoint(self.endpoint.clone())
            .cache_dir(self.cache_dir.clone())
            .retry_max_attempts(retry.attempts)
            .retry_base_delay(retry.base_delay)
            .user_agent(format!("prep/{}", crate::version::BUILD));
        if let Some(token) = &self.token {
            builder = builder.token(token.clone());
        }
        builder
            .build_sync()
            .map_err(|error| anyhow::anyhow!(self.redact(&error.to_string())))
            .with_context(|| format!("cannot set up the Hugging Face Hub client for {}", self.endpoint))
    }

    /// `text` with the token replaced by `hf_***`.
    pub fn redact(&self, text: &str) -> String {
        redact(text, self.token.as_deref())
    }
}

/// `text` with every occurrence of `token` replaced by `hf_***`.
pub fn redact(text: &str, token: Option<&str>) -> String {
    match token.map(str::trim).filter(|token| !token.is_empty()) {
        Some(token) => text.replace(token, "hf_***"),
        None => text.to_string(),
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
    fn redaction_removes_every_copy_of_the_token() {
        let text = "401 for Bearer hf_secret (sent hf_secret)";
        assert_eq!(redact(text, Some("hf_secret")), "401 for Bearer hf_*** (sent hf_***)");
        assert_eq!(redact(text, None), text);
        assert_eq!(redact(text, Some("  ")), text);
    }
}
