//! Where a model's weights come from (`--weights SOURCE`), and a candle `VarBuilder` over
//! them.
//!
//! A [`Source`] is a local folder or file, or a Hugging Face Hub repo (`owner/name`,
//! optionally `@revision`). [`locate`] finds the model's files there: its `config.json` if
//! it has one, and its weight files in the [`Layout`] the model asks for. When an index
//! (`*.index.json`) maps tensors to shards, only the shards holding tensors the model
//! needs are taken (and, from the Hub, downloaded): a 36-layer run of a 72-layer model
//! does not fetch the shards of the deeper layers. [`ModelFiles::var_builder`] then reads
//! the files lazily: safetensors memory-mapped, PyTorch checkpoints (zip or legacy
//! torch.save format) tensor by tensor.
//!
//! This module only finds and reads files; which tensors a model needs, and what they
//! mean, is the model's business (`crate::embed::<model>`).

mod backend;
mod hub;
mod pytorch;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use candle_nn::VarBuilder;
use serde::Deserialize;

pub use backend::Weights;
pub use crate::hub::{DEFAULT_ENDPOINT, HubSettings};

/// A model's configuration file, beside its weights.
pub const CONFIG: &str = "config.json";

/// Hugging Face transformers' weight files, in order of preference: the index of sharded
/// safetensors, one safetensors file, the index of sharded pickles, one pickle.
pub const TRANSFORMERS_FILES: [&str; 4] = [
    "model.safetensors.index.json",
    "model.safetensors",
    "pytorch_model.bin.index.json",
    "pytorch_model.bin",
];

/// Where the weights are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder of model files, or one weights file (or index).
    Local(PathBuf),
    /// A model repo on the Hugging Face Hub.
    Hub { repo: String, revision: String },
}

impl Source {
    /// A local path when `text` names an existing file or folder; otherwise a Hub repo id,
    /// `owner/name` or `owner/name@revision` (revision `main` when not given).
    pub fn parse(text: &str) -> Result<Source> {
        let path = Path::new(text);
        if path.exists() {
            return Ok(Source::Local(path.to_path_buf()));
        }
        let (repo, revision) = text.split_once('@').unwrap_or((text, "main"));
        if is_repo_id(repo) && !revision.is_empty() {
            return Ok(Source::Hub { repo: repo.to_string(), revision: revision.to_string() });
        }
        bail!(
            "`{text}` is neither an existing file or folder nor a Hub repo id \
             (owner/name or owner/name@revision)"
        )
    }
}

/// `owner/name` ([`crate::hub::RepoId`]; `../x` stays a path).
fn is_repo_id(text: &str) -> bool {
    text.parse::<crate::hub::RepoId>().is_ok()
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Local(path) => write!(f, "{}", path.display()),
            Source::Hub { repo, revision } => write!(f, "{repo}@{revision}"),
        }
    }
}

/// Which weight files a model has.
#[derive(Debug, Clone, Copy)]
pub enum Layout<'a> {
    /// Hugging Face transformers' files: the first of [`TRANSFORMERS_FILES`] present.
    Transformers,
    /// These files, e.g. OpenAI Jukebox's `vqvae.pth.tar` and `prior_level_2.pth.tar`.
    /// `state_key`: the entry of a torch checkpoint's top-level dict holding its state
    /// dict (Jukebox's `torch.save({'model': state_dict, ...})`: `model`); `None` when the
    /// checkpoint is the state dict itself.
    Named { files: &'a [&'a str], state_key: Option<&'a str> },
}

/// What a model asks for: its layout, and which tensors it needs. The tensor predicate
/// decides which shards of an index are taken; files without an index are taken whole.
#[derive(Clone, Copy)]
pub struct Wanted<'a> {
    pub layout: Layout<'a>,
    pub tensors: &'a dyn Fn(&str) -> bool,
}

impl<'a> Wanted<'a> {
    /// Every tensor of the files of `layout`.
    pub fn all(layout: Layout<'a>) -> Wanted<'a> {
        Wanted { layout, tensors: &|_| true }
    }
}

/// A model's files on the local disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// `config.json`, when the source has one.
    pub config: Option<PathBuf>,
    /// The weight files, safetensors or PyTorch checkpoints.
    pub weights: Vec<PathBuf>,
    /// Where torch checkpoints keep their state dict (see [`Layout::Named`]).
    pub state_key: Option<String>,
}

impl ModelFiles {
    /// A VarBuilder over all weight files together, giving tensors in `dtype` on `device`.
    /// Tensors are read when the model asks for them; a wrong shape is an error naming the
    /// tensor and its file.
    pub fn var_builder(
        &self,
        dtype: candle_core::DType,
        device: &candle_core::Device,
    ) -> Result<VarBuilder<'static>> {
        let weights = Weights::open(&self.weights, self.state_key.as_deref())?;
        Ok(VarBuilder::from_backend(Box::new(weights), dtype, device.clone()))
    }
}

/// Finds the files of `wanted` in `source`, downloading from the Hub what the cache lacks
/// (unless `hub.offline`). A missing file is an error naming where it was looked for and
/// the file names looked for.
pub fn locate(source: &Source, wanted: &Wanted, hub: &HubSettings) -> Result<ModelFiles> {
    match source {
        Source::Local(path) if path.is_dir() => locate_in(&Folder(path.clone()), wanted),
        Source::Local(path) => locate_file(path, wanted),
        Source::Hub { repo, revision } => {
            locate_in(&hub::HubRepo::new(hub, repo, revision)?, wanted)
        }
    }
}

/// A place holding a model's files by name: a local folder, or a Hub repo and its cache.
trait Store {
    /// The place, for messages.
    fn describe(&self) -> String;
    /// The local path of `name` when it is already on disk.
    fn present(&self, name: &str) -> Option<PathBuf>;
    /// Whether `name` could be fetched (asking the Hub, if need be).
    fn offers(&self, name: &str) -> Result<bool>;
    /// The local path of `name`, downloaded if need be.
    fn fetch(&self, name: &str) -> Result<PathBuf>;
    /// The error for files that are not there.
    fn missing(&self, names: &[&str]) -> anyhow::Error;
}

/// A local folder of model files.
struct Folder(PathBuf);

impl Store for Folder {
    fn describe(&self) -> String {
        format!("folder {}", self.0.display())
    }

    fn present(&self, name: &str) -> Option<PathBuf> {
        Some(self.0.join(name)).filter(|path| path.is_file())
    }

    fn offers(&self, _name: &str) -> Result<bool> {
        Ok(false)
    }

    fn fetch(&self, name: &str) -> Result<PathBuf> {
        self.present(name).ok_or_else(|| self.missing(&[name]))
    }

    fn missing(&self, names: &[&str]) -> anyhow::Error {
        match names {
            [name] => anyhow!("{} has no {name}", self.describe()),
            _ => anyhow!("{} has none of: {}", self.describe(), names.join(", ")),
        }
    }
}

fn locate_in(store: &dyn Store, wanted: &Wanted) -> Result<ModelFiles> {
    let (weights, state_key) = match wanted.layout {
        Layout::Named { files, state_key } => {
            let paths = files.iter().map(|name| store.fetch(name)).collect::<Result<_>>()?;
            (paths, state_key)
        }
        Layout::Transformers => {
            let chosen = choose(store, &TRANSFORMERS_FILES)?;
            let paths = if chosen.ends_with(".index.json") {
                let index = store.fetch(chosen)?;
                let shards = needed_shards(&index, wanted.tensors)?;
                shards.iter().map(|shard| store.fetch(shard)).collect::<Result<_>>()?
            } else {
                vec![store.fetch(chosen)?]
            };
            (paths, None)
        }
    };
    let config = match store.present(CONFIG) {
        Some(path) => Some(path),
        None if store.offers(CONFIG)? => Some(store.fetch(CONFIG)?),
        None => None,
    };
    Ok(ModelFiles { config, weights, state_key: state_key.map(String::from) })
}

/// The first of `names` already on disk, else the first the store offers.
fn choose<'n>(store: &dyn Store, names: &[&'n str]) -> Result<&'n str> {
    if let Some(name) = names.iter().find(|name| store.present(name).is_some()) {
        return Ok(name);
    }
    for name in names {
        if store.offers(name)? {
            return Ok(name);
        }
    }
    Err(store.missing(names))
}

/// One weights file, or an index naming shards beside it.
fn locate_file(path: &Path, wanted: &Wanted) -> Result<ModelFiles> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => Folder(parent.to_path_buf()),
        _ => Folder(PathBuf::from(".")),
    };
    let is_index = path.to_string_lossy().ends_with(".index.json");
    let weights = if is_index {
        let shards = needed_shards(path, wanted.tensors)?;
        shards.iter().map(|shard| folder.fetch(shard)).collect::<Result<_>>()?
    } else {
        vec![path.to_path_buf()]
    };
    let state_key = match wanted.layout {
        Layout::Named { state_key, .. } => state_key.map(String::from),
        Layout::Transformers => None,
    };
    Ok(ModelFiles { config: folder.present(CONFIG), weights, state_key })
}

/// A sharded checkpoint's index (transformers' `*.index.json`).
#[derive(Debug, Deserialize)]
struct ShardIndex {
    weight_map: std::collections::BTreeMap<String, String>,
}

/// The shards of the index at `path` that hold at least one needed tensor, in file-name
/// order.
fn needed_shards(path: &Path, needed: &dyn Fn(&str) -> bool) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the shard index {}", path.display()))?;
    let index: ShardIndex = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a shard index with a weight_map", path.display()))?;
    let shards = select_shards(&index, needed);
    if shards.is_empty() {
        bail!(
            "none of the {} tensors listed in {} is one the model needs",
            index.weight_map.len(),
            path.display()
        );
    }
    Ok(shards)
}

fn select_shards(index: &ShardIndex, needed: &dyn Fn(&str) -> bool) -> Vec<String> {
    let shards: std::collections::BTreeSet<&String> = index
        .weight_map
        .iter()
        .filter(|(tensor, _)| needed(tensor))
        .map(|(_, shard)| shard)
        .collect();
    shards.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_and_revisions_parse() {
        assert_eq!(
            Source::parse("openai/whisper-large-v3@refs/pr/7").unwrap(),
            Source::Hub { repo: "openai/whisper-large-v3".into(), revision: "refs/pr/7".into() }
        );
        assert_eq!(
            Source::parse("openai/jukebox-5b-lyrics").unwrap().to_string(),
            "openai/jukebox-5b-lyrics@main"
        );
        for not_a_source in ["../nowhere", "nowhere", "a/b/c/none", "a/b@", "/absent/x"] {
            let error = Source::parse(not_a_source).unwrap_err().to_string();
            assert!(error.contains("neither an existing file"), "{not_a_source}: {error}");
        }
        assert!(matches!(Source::parse("src").unwrap(), Source::Local(_)));
    }

    #[test]
    fn only_shards_with_needed_tensors_are_selected() {
        let index = ShardIndex {
            weight_map: [
                ("layers.0.w", "b.safetensors"),
                ("layers.1.w", "b.safetensors"),
                ("layers.40.w", "c.safetensors"),
                ("embed", "a.safetensors"),
            ]
            .into_iter()
            .map(|(tensor, shard)| (tensor.to_string(), shard.to_string()))
            .collect(),
        };
        let shallow = |name: &str| name != "layers.40.w";
        assert_eq!(select_shards(&index, &shallow), ["a.safetensors", "b.safetensors"]);
        assert_eq!(select_shards(&index, &|_| true).len(), 3);
        assert!(select_shards(&index, &|_| false).is_empty());
    }
}
