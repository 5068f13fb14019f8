//! PyTorch checkpoints (`torch.save` files: `.bin`, `.pt`, `.pth`, `.pth.tar`) read lazily:
//! opening one unpickles only its small object tree and notes, for every tensor, where its
//! bytes lie in the file; a tensor's bytes are read when it is asked for. A 72-layer model
//! truncated at 36 layers thus never reads the deeper layers.
//!
//! Both of torch.save's formats are read (PyTorch's `torch/serialization.py` writes them):
//! - zip (torch >= 1.6): `<name>/data.pkl` is the pickled object, whose tensors refer by
//!   persistent id to the storages `<name>/data/<key>`, each an uncompressed zip entry
//!   (`_save` / `_load`);
//! - legacy (torch < 1.6, what OpenAI's 2020 Jukebox checkpoints may be): five pickles in a
//!   row (the magic number, the protocol version 1001, a dict of system facts, the object,
//!   the sorted list of storage keys), then each storage of that list in turn: its element
//!   count as a little-endian i64 and its raw little-endian bytes (`_legacy_save` /
//!   `_legacy_load`).
//!
//! Unpickling is candle's ([`candle_core::pickle::Stack`]); this module interprets the
//! resulting [`Object`] tree: the state dict (optionally nested under a key such as
//! `model`), each tensor's `_rebuild_tensor_v2` arguments (storage, storage offset, size,
//! stride), and the storages' places. Tensors may be strided views and may share storages;
//! reading one gathers its elements into a contiguous tensor. Not read: TorchScript
//! archives, the pre-0.4 tar format, big-endian files, quantized and complex tensors.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use candle_core::pickle::{Object, Stack};
use candle_core::{DType, Device, Tensor};

/// The first pickle of a legacy file: protocol 2, the magic number 0x1950a86a20f9469cfc6c
/// as a 10-byte LONG1, STOP.
const LEGACY_MAGIC: [u8; 15] =
    [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
const LEGACY_PROTOCOL: i64 = 1001;
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// A storage as a tensor's persistent id names it.
#[derive(Debug, Clone, PartialEq)]
struct StorageRef {
    key: String,
    kind: StorageKind,
    /// Elements skipped from the start of the root storage (legacy storage views only).
    view_offset: usize,
}

/// A torch storage class (`torch.FloatStorage`, ...): its element size, and the candle
/// dtype of its elements where candle has one.
#[derive(Debug, Clone, Copy, PartialEq)]
struct StorageKind {
    element_size: usize,
    dtype: Option<DType>,
}

fn storage_kind(class_name: &str) -> Result<StorageKind> {
    let (element_size, dtype) = match class_name {
        "DoubleStorage" => (8, Some(DType::F64)),
        "FloatStorage" => (4, Some(DType::F32)),
        "HalfStorage" => (2, Some(DType::F16)),
        "BFloat16Storage" => (2, Some(DType::BF16)),
        "LongStorage" => (8, Some(DType::I64)),
        "IntStorage" => (4, Some(DType::I32)),
        "ShortStorage" => (2, Some(DType::I16)),
        "ByteStorage" | "BoolStorage" => (1, Some(DType::U8)),
        "CharStorage" => (1, None),
        "ComplexFloatStorage" => (8, None),
        "ComplexDoubleStorage" => (16, None),
        other => bail!("unknown storage type {other}"),
    };
    Ok(StorageKind { element_size, dtype })
}

/// A tensor as the pickle describes it: a strided view of a storage.
#[derive(Debug, Clone, PartialEq)]
struct TensorRef {
    storage: StorageRef,
    /// In elements, from the start of the storage.
    offset: usize,
    shape: Vec<usize>,
    stride: Vec<usize>,
}

/// Where a storage's bytes are in the file.
#[derive(Debug, Clone, Copy)]
struct StoragePlace {
    start: u64,
    elements: u64,
}

/// A tensor ready to be read: its dtype and view, and where its storage is.
#[derive(Debug, Clone)]
struct Entry {
    dtype: Option<DType>,
    kind: StorageKind,
    view: TensorRef,
    place: StoragePlace,
}

/// One torch.save file, its tensors indexed and not yet read.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    entries: HashMap<String, Entry>,
}

impl Checkpoint {
    /// Indexes the tensors of the state dict in `path`: the file's object itself, or its
    /// entry `state_key` (e.g. `model` for `torch.save({'model': state_dict, ...})`).
    pub fn open(path: &Path, state_key: Option<&str>) -> Result<Checkpoint> {
        let entries = index(path, state_key)
            .with_context(|| format!("cannot read the PyTorch checkpoint {}", path.display()))?;
        Ok(Checkpoint { path: path.to_path_buf(), entries })
    }

    /// The names of its tensors.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Reads tensor `name` in its stored dtype; `None` when the checkpoint has no such tensor.
    pub fn read(&self, name: &str, device: &Device) -> Result<Option<Tensor>> {
        let Some(entry) = self.entries.get(name) else { return Ok(None) };
        read_entry(&self.path, entry, device).map(Some)
    }
}

fn index(path: &Path, state_key: Option<&str>) -> Result<HashMap<String, Entry>> {
    let mut head = [0u8; LEGACY_MAGIC.len()];
    let read = File::open(path)?.read(&mut head)?;
    if head[..read].starts_with(&ZIP_MAGIC) {
        zip_index(path, state_key)
    } else if head[..read] == LEGACY_MAGIC {
        legacy_index(path, state_key)
    } else {
        bail!("neither torch.save's zip format nor its legacy format (wrong magic bytes)")
    }
}

/// The zip format: `<prefix>data.pkl` and storages `<prefix>data/<key>`.
fn zip_index(path: &Path, state_key: Option<&str>) -> Result<HashMap<String, Entry>> {
    let mut archive = zip::ZipArchive::new(BufReader::new(File::open(path)?))?;
    let pickle_name = archive
        .file_names()
        .filter_map(std::result::Result::ok)
        .find(|name| name.ends_with("data.pkl"))
        .context("no data.pkl in the zip archive (a TorchScript file?)")?
        .to_string();
    let prefix = pickle_name.trim_end_matches("data.pkl").to_string();
    if let Ok(mut byteorder) = archive.by_name(&format!("{prefix}byteorder")) {
        let mut order = String::new();
        byteorder.read_to_string(&mut order)?;
        ensure!(order.trim() == "little", "the storages are {order}-endian; only little is read");
    }
    let object = unpickle(&mut BufReader::new(archive.by_name(&pickle_name)?))?;
    let tensors = state_dict_tensors(object, state_key)?;
    let mut places = HashMap::new();
    let mut entries = HashMap::with_capacity(tensors.len());
    for (name, view) in tensors {
        let key = &view.storage.key;
        if !places.contains_key(key) {
            let entry_name = format!("{prefix}data/{key}");
            let entry = archive
                .by_name(&entry_name)
                .with_context(|| format!("storage {entry_name} of tensor `{name}` is missing"))?;
            ensure!(
                entry.compression() == zip::CompressionMethod::Stored,
                "storage {entry_name} is compressed; torch.save stores storages uncompressed"
            );
            let start = entry.data_start().context("zip entry without a data offset")?;
            let elements = entry.size() / view.storage.kind.element_size as u64;
            places.insert(key.clone(), StoragePlace { start, elements });
        }
        let place = places[key];
        entries.insert(name, entry_for(view, place));
    }
    Ok(entries)
}

/// The legacy format: five pickles, then the storages in the order of the key list.
fn legacy_index(path: &Path, state_key: Option<&str>) -> Result<HashMap<String, Entry>> {
    let mut reader = BufReader::new(File::open(path)?);
    reader.seek(SeekFrom::Start(LEGACY_MAGIC.len() as u64))?;
    let protocol = unpickle(&mut reader)?.int_or_long().map_err(unexpected("the protocol"))?;
    ensure!(protocol == LEGACY_PROTOCOL, "legacy protocol {protocol}, expected {LEGACY_PROTOCOL}");
    let little_endian = unpickle(&mut reader)?
        .dict()
        .map_err(unexpected("the system facts"))?
        .into_iter()
        .find(|(key, _)| *key == Object::Unicode("little_endian".into()))
        .map(|(_, value)| value);
    ensure!(
        little_endian != Some(Object::Bool(false)),
        "written on a big-endian machine; only little-endian storages are read"
    );
    let object = unpickle(&mut reader)?;
    let keys: Vec<String> = match unpickle(&mut reader)? {
        Object::List(keys) => keys
            .into_iter()
            .map(String::try_from)
            .collect::<std::result::Result<_, _>>()
            .map_err(unexpected("a storage key"))?,
        other => bail!("expected the list of storage keys, found {other:?}"),
    };
    let mut kinds = HashMap::new();
    storage_kinds(&object, &mut kinds)?;
    let mut places = HashMap::with_capacity(keys.len());
    let mut position = reader.stream_position()?;
    let file_length = reader.get_ref().metadata()?.len();
    for key in keys {
        let kind = kinds.get(&key).with_context(|| format!("storage {key} has no type"))?;
        reader.seek(SeekFrom::Start(position))?;
        let mut count = [0u8; 8];
        reader.read_exact(&mut count).with_context(|| format!("storage {key} is cut short"))?;
        let elements = u64::from_le_bytes(count);
        let start = position + 8;
        position = elements
            .checked_mul(kind.element_size as u64)
            .and_then(|bytes| start.checked_add(bytes))
            .filter(|end| *end <= file_length)
            .with_context(|| format!("storage {key} of {elements} elements runs past the end"))?;
        places.insert(key, StoragePlace { start, elements });
    }
    state_dict_tensors(object, state_key)?
        .into_iter()
        .map(|(name, view)| {
            let key = &view.storage.key;
            let place = *places
                .get(key)
                .with_context(|| format!("storage {key} of `{name}` is not in the file"))?;
            Ok((name, entry_for(view, place)))
        })
        .collect()
}

fn entry_for(view: TensorRef, place: StoragePlace) -> Entry {
    Entry { dtype: view.storage.kind.dtype, kind: view.storage.kind, view, place }
}

fn unpickle<R: BufRead>(reader: &mut R) -> Result<Object> {
    let mut stack = Stack::empty();
    stack.read_loop(reader)?;
    Ok(stack.finalize()?)
}

/// An error for an object that is not what the format has at that place.
fn unexpected(what: &'static str) -> impl Fn(Object) -> anyhow::Error {
    move |object| anyhow::anyhow!("unexpected object for {what}: {object:?}")
}

/// The tensors of the state dict: `object` itself or its entry `state_key`. Entries that
/// are not tensors (metadata, counters) are skipped.
fn state_dict_tensors(object: Object, state_key: Option<&str>) -> Result<Vec<(String, TensorRef)>> {
    let state_dict = match state_key {
        None => object,
        Some(key) => {
            let entries = object.dict().map_err(|_| {
                anyhow::anyhow!("the checkpoint is not a dict, so it has no entry `{key}`")
            })?;
            let keys: Vec<String> = entries.iter().map(|(k, _)| format!("{k:?}")).collect();
            entries
                .into_iter()
                .find(|(k, _)| *k == Object::Unicode(key.to_string()))
                .map(|(_, value)| value)
                .with_context(|| format!("no entry `{key}`; its entries: {}", keys.join(", ")))?
        }
    };
    let entries = state_dict.dict().map_err(|object| {
        anyhow::anyhow!("the state dict is not a dict: {}", short_debug(&object))
    })?;
    let mut tensors = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        let Object::Unicode(name) = name else { continue };
        if let Some(view) = tensor_ref(value).with_context(|| format!("tensor `{name}`"))? {
            tensors.push((name, view));
        }
    }
    Ok(tensors)
}

fn short_debug(object: &Object) -> String {
    let text = format!("{object:?}");
    text.chars().take(200).collect()
}

/// A tensor's view of its storage, from the call that rebuilds it; `None` for objects that
/// are not tensors.
fn tensor_ref(object: Object) -> Result<Option<TensorRef>> {
    let Object::Reduce { callable, args } = object else { return Ok(None) };
    let Object::Class { module_name, class_name } = *callable else { return Ok(None) };
    let mut args = args.tuple().map_err(unexpected("rebuild arguments"))?;
    match (module_name.as_str(), class_name.as_str()) {
        ("torch._utils", "_rebuild_tensor_v2") => rebuild_tensor_args(args).map(Some),
        // A Parameter wraps its data tensor (the first argument).
        ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => {
            ensure!(!args.is_empty(), "a parameter without data");
            tensor_ref(args.swap_remove(0))
        }
        // A tensor subclass: (function, type, the function's arguments, state).
        ("torch._tensor", "_rebuild_from_type_v2") => {
            ensure!(args.len() >= 3, "_rebuild_from_type_v2 with {} arguments", args.len());
            let inner = args.swap_remove(2);
            let function = args.swap_remove(0);
            tensor_ref(Object::Reduce { callable: Box::new(function), args: Box::new(inner) })
        }
        _ => Ok(None),
    }
}

/// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks, ...)`.
fn rebuild_tensor_args(args: Vec<Object>) -> Result<TensorRef> {
    let mut args = args.into_iter();
    let mut next = |what: &'static str| args.next().with_context(|| format!("no {what}"));
    let storage = next("storage")?.persistent_load().map_err(unexpected("a storage"))?;
    let offset = index_value(next("storage offset")?)?;
    let shape = index_tuple(next("size")?)?;
    let stride = index_tuple(next("stride")?)?;
    ensure!(shape.len() == stride.len(), "size {shape:?} and stride {stride:?} differ in rank");
    Ok(TensorRef { storage: storage_ref(storage)?, offset, shape, stride })
}

fn index_value(object: Object) -> Result<usize> {
    let value = object.int_or_long().map_err(unexpected("an integer"))?;
    usize::try_from(value).with_context(|| format!("negative size, stride or offset {value}"))
}

fn index_tuple(object: Object) -> Result<Vec<usize>> {
    object.tuple().map_err(unexpected("a tuple"))?.into_iter().map(index_value).collect()
}

/// A storage's persistent id: `('storage', class, key, location, numel)` in the zip
/// format, with a sixth item in the legacy one: `None`, or `(view key, offset, size)` for a
/// view of the root storage `key`.
fn storage_ref(id: Object) -> Result<StorageRef> {
    let mut items = id.tuple().map_err(unexpected("a storage id"))?.into_iter();
    let tag = items.next().map(String::try_from);
    ensure!(matches!(tag, Some(Ok(ref t)) if t == "storage"), "a persistent id not of a storage");
    let (_, class_name) = items
        .next()
        .context("storage id without a type")?
        .class()
        .map_err(unexpected("a storage type"))?;
    let key = String::try_from(items.next().context("storage id without a key")?)
        .map_err(unexpected("a storage key"))?;
    let view_offset = match items.nth(2) {
        Some(Object::Tuple(view)) if view.len() == 3 => index_value(view[1].clone())?,
        _ => 0,
    };
    Ok(StorageRef { key, kind: storage_kind(&class_name)?, view_offset })
}

/// The type of every storage that `object` refers to, tensor of the state dict or not: the
/// legacy format's storages can be stepped over only knowing their element sizes.
fn storage_kinds(object: &Object, kinds: &mut HashMap<String, StorageKind>) -> Result<()> {
    match object {
        Object::PersistentLoad(id) => {
            if let Ok(storage) = storage_ref((**id).clone()) {
                kinds.insert(storage.key, storage.kind);
            }
        }
        Object::Tuple(items) | Object::List(items) => {
            for item in items {
                storage_kinds(item, kinds)?;
            }
        }
        Object::Dict(pairs) => {
            for (key, value) in pairs {
                storage_kinds(key, kinds)?;
                storage_kinds(value, kinds)?;
            }
        }
        Object::Reduce { callable, args } | Object::Build { callable, args } => {
            storage_kinds(callable, kinds)?;
            storage_kinds(args, kinds)?;
        }
        _ => {}
    }
    Ok(())
}

/// Reads the elements of `entry`'s view into a contiguous tensor.
fn read_entry(path: &Path, entry: &Entry, device: &Device) -> Result<Tensor> {
    let view = &entry.view;
    let dtype = entry.dtype.with_context(|| {
        format!("storage of {} bytes per element: no candle dtype", entry.kind.element_size)
    })?;
    let element_size = entry.kind.element_size;
    let first = view.storage.view_offset + view.offset;
    let span = element_span(&view.shape, &view.stride);
    ensure!(
        (first + span) as u64 <= entry.place.elements,
        "its view (offset {first}, size {:?}, stride {:?}) runs past its storage of {} elements",
        view.shape,
        view.stride,
        entry.place.elements
    );
    let mut bytes = vec![0u8; span * element_size];
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(entry.place.start + (first * element_size) as u64))?;
    file.read_exact(&mut bytes)?;
    let contiguous = if is_contiguous(&view.shape, &view.stride) {
        bytes
    } else {
        gather(&bytes, &view.shape, &view.stride, element_size)
    };
    Ok(Tensor::from_raw_buffer(&contiguous, dtype, &view.shape, device)?)
}

/// How many storage elements a view spans from its first one: 0 for an empty view.
fn element_span(shape: &[usize], stride: &[usize]) -> usize {
    if shape.contains(&0) {
        return 0;
    }
    1 + shape.iter().zip(stride).map(|(size, step)| (size - 1) * step).sum::<usize>()
}

/// Whether a view's elements are its storage's in row-major order (dimensions of size 1
/// may have any stride).
fn is_contiguous(shape: &[usize], stride: &[usize]) -> bool {
    let mut expected = 1;
    for (size, step) in shape.iter().zip(stride).rev() {
        if *size != 1 && *step != expected {
            return false;
        }
        expected *= size;
    }
    true
}

/// The elements of a strided view, in row-major order, from the storage bytes starting at
/// its first element.
fn gather(bytes: &[u8], shape: &[usize], stride: &[usize], element_size: usize) -> Vec<u8> {
    let count: usize = shape.iter().product();
    let mut out = Vec::with_capacity(count * element_size);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..count {
        let element: usize = index.iter().zip(stride).map(|(i, step)| i * step).sum();
        out.extend_from_slice(&bytes[element * element_size..(element + 1) * element_size]);
        for dim in (0..shape.len()).rev() {
            index[dim] += 1;
            if index[dim] < shape[dim] {
                break;
            }
            index[dim] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_contiguity_of_views() {
        assert_eq!(element_span(&[4, 3], &[6, 2]), 1 + 3 * 6 + 2 * 2);
        assert_eq!(element_span(&[], &[]), 1);
        assert_eq!(element_span(&[2, 0], &[1, 1]), 0);
        assert!(is_contiguous(&[2, 3], &[3, 1]));
        assert!(is_contiguous(&[2, 1, 3], &[3, 7, 1]));
        assert!(!is_contiguous(&[3, 2], &[1, 3]));
        assert!(is_contiguous(&[], &[]));
    }

    #[test]
    fn gather_walks_a_transpose_in_row_major_order() {
        // Storage 0..6 as a 2x3 matrix; its transpose is 3x2 with stride (1, 3).
        let bytes: Vec<u8> = (0..6).collect();
        assert_eq!(gather(&bytes, &[3, 2], &[1, 3], 1), [0, 3, 1, 4, 2, 5]);
        // Every second element of 0..6.
        assert_eq!(gather(&bytes, &[3], &[2], 1), [0, 2, 4]);
    }

    #[test]
    fn storage_ids_of_both_formats() {
        let class = |name: &str| Object::Class {
            module_name: "torch".into(),
            class_name: name.into(),
        };
        let zip_id = Object::Tuple(vec![
            Object::Unicode("storage".into()),
            class("HalfStorage"),
            Object::Unicode("0".into()),
            Object::Unicode("cpu".into()),
            Object::Int(6),
        ]);
        let storage = storage_ref(zip_id).unwrap();
        assert_eq!((storage.key.as_str(), storage.view_offset), ("0", 0));
        assert_eq!(storage.kind, StorageKind { element_size: 2, dtype: Some(DType::F16) });
        let legacy_view = Object::Tuple(vec![
            Object::Unicode("storage".into()),
            class("FloatStorage"),
            Object::Unicode("1234".into()),
            Object::Unicode("cuda:0".into()),
            Object::Int(100),
            Object::Tuple(vec![Object::Unicode("5678".into()), Object::Int(10), Object::Int(20)]),
        ]);
        let storage = storage_ref(legacy_view).unwrap();
        assert_eq!((storage.key.as_str(), storage.view_offset), ("1234", 10));
    }
}
