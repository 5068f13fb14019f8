//! The tensors of several weight files under one set of names, as a candle
//! [`SimpleBackend`] so that model code loads them through a `VarBuilder` with
//! `vb.pp("layer").get(shape, "weight")` whatever the files' formats.
//!
//! Safetensors files are memory-mapped (candle's [`MmapedSafetensors`]); PyTorch
//! checkpoints are indexed and read tensor by tensor ([`Checkpoint`]). Nothing is read
//! before a tensor is asked for, and a tensor is read again each time it is asked for:
//! model code takes each weight once. Every error names the tensor and its file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;

use super::pytorch::Checkpoint;

/// One weight file, opened.
enum Reader {
    Safetensors(MmapedSafetensors),
    PyTorch(Checkpoint),
}

struct WeightFile {
    path: PathBuf,
    reader: Reader,
}

/// The tensors of several weight files by name.
pub struct Weights {
    files: Vec<WeightFile>,
    /// Tensor name -> index into `files`.
    owners: HashMap<String, usize>,
}

impl Weights {
    /// Opens `paths` (`*.safetensors`: safetensors; anything else: a torch.save
    /// checkpoint, whose state dict is its entry `state_key` when given). A tensor name
    /// found in two files is an error.
    pub fn open(paths: &[PathBuf], state_key: Option<&str>) -> Result<Weights> {
        let mut files = Vec::with_capacity(paths.len());
        let mut owners: HashMap<String, usize> = HashMap::new();
        for path in paths {
            let reader = open_reader(path, state_key)?;
            let names: Vec<String> = match &reader {
                Reader::Safetensors(st) => st.tensors().into_iter().map(|(name, _)| name).collect(),
                Reader::PyTorch(checkpoint) => checkpoint.names().map(String::from).collect(),
            };
            for name in names {
                if let Some(&other) = owners.get(&name) {
                    let first: &WeightFile = &files[other];
                    bail!(
                        "tensor `{name}` is in both {} and {}",
                        first.path.display(),
                        path.display()
                    );
                }
                owners.insert(name, files.len());
            }
            files.push(WeightFile { path: path.clone(), reader });
        }
        Ok(Weights { files, owners })
    }

    /// The names of all tensors, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.owners.keys().map(String::as_str)
    }

    /// The file holding tensor `name`.
    pub fn file_of(&self, name: &str) -> Option<&Path> {
        self.owners.get(name).map(|&index| self.files[index].path.as_path())
    }

    /// Tensor `name` in its stored dtype, on `device`.
    pub fn read(&self, name: &str, device: &Device) -> candle_core::Result<Tensor> {
        let file = self.owner(name)?;
        let tensor = match &file.reader {
            Reader::Safetensors(st) => st.load(name, device),
            Reader::PyTorch(checkpoint) => match checkpoint.read(name, device) {
                Ok(Some(tensor)) => Ok(tensor),
                Ok(None) => Err(candle_core::Error::Msg("not in the file".to_string())),
                Err(error) => Err(candle_core::Error::Msg(format!("{error:#}"))),
            },
        };
        tensor.map_err(|error| in_file(name, &file.path, error))
    }

    fn owner(&self, name: &str) -> candle_core::Result<&WeightFile> {
        match self.owners.get(name) {
            Some(&index) => Ok(&self.files[index]),
            None => {
                let paths: Vec<String> =
                    self.files.iter().map(|f| f.path.display().to_string()).collect();
                Err(candle_core::Error::Msg(format!(
                    "tensor `{name}` is in none of the weight files: {}",
                    paths.join(", ")
                )))
            }
        }
    }
}

fn open_reader(path: &Path, state_key: Option<&str>) -> Result<Reader> {
    let is_safetensors = path.extension().is_some_and(|extension| extension == "safetensors");
    if is_safetensors {
        // SAFETY: the mapping is valid as long as nobody truncates or rewrites the file while
        // it is loaded; weight files (a model folder, the Hub cache) are written once.
        let st = unsafe { MmapedSafetensors::new(path) }
            .with_context(|| format!("cannot read the safetensors file {}", path.display()))?;
        Ok(Reader::Safetensors(st))
    } else {
        Ok(Reader::PyTorch(Checkpoint::open(path, state_key)?))
    }
}

fn in_file(name: &str, path: &Path, error: candle_core::Error) -> candle_core::Error {
    candle_core::Error::Msg(format!("tensor `{name}` in {}: {error}", path.display()))
}

impl SimpleBackend for Weights {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.read(name, device)?;
        if tensor.shape() != &shape {
            let path = self.owner(name)?.path.display();
            return Err(candle_core::Error::Msg(format!(
                "tensor `{name}` in {path} has shape {:?}, the model expects {:?}",
                tensor.dims(),
                shape.dims()
            )));
        }
        self.convert(name, tensor, dtype)
    }

    fn get_unchecked(
        &self,
        name: &str,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let tensor = self.read(name, device)?;
        self.convert(name, tensor, dtype)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.owners.contains_key(name)
    }
}

impl Weights {
    fn convert(&self, name: &str, tensor: Tensor, dtype: DType) -> candle_core::Result<Tensor> {
        let stored = tensor.dtype();
        tensor.to_dtype(dtype).map_err(|error| {
            let path = self.file_of(name).map(|p| p.display().to_string()).unwrap_or_default();
            candle_core::Error::Msg(format!(
                "tensor `{name}` in {path}: cannot convert {stored:?} to {dtype:?}: {error}"
            ))
        })
    }
}
