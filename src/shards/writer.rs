//! Streaming Parquet shards for one table: rows come in one at a time (`push`), are
//! buffered until a row group's worth (by in-memory size, not row count), and go to the
//! current shard of their split; a shard is closed once its file reaches the target size.
//!
//! Memory is bounded by one row group per split, never by the table. Shards are written
//! under temporary `.partial` names and renamed to their final
//! `<split>-00000-of-000NN.parquet` names only in `finish`, when NN is known, so a crash
//! never leaves a half-written file under a name the dataset card's globs match.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arrow_array::{Array, Int32Array, RecordBatch};
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::{FileReader, SerializedFileReader};

use super::features::{self, ArrayDims};
use super::schema::TableSchema;
use super::tables::Row;
use crate::datasets::Split;

/// Sizes of shards and row groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardOptions {
    /// A shard is closed once its file reaches this many bytes (it can pass it by up to
    /// one compressed row group).
    pub target_shard_bytes: u64,
    /// A row group is flushed before the in-memory size of its rows would pass this; a
    /// single row larger than it makes a row group of its own.
    pub row_group_bytes: usize,
    /// zstd level (1 to 22).
    pub zstd_level: i32,
}

impl Default for ShardOptions {
    fn default() -> Self {
        ShardOptions {
            target_shard_bytes: 500_000_000,
            row_group_bytes: 100_000_000,
            zstd_level: 3,
        }
    }
}

/// The files, row count and sizes of one split of a finished table.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SplitFiles {
    pub rows: u64,
    pub files: Vec<PathBuf>,
    /// Bytes of the uncompressed column data (the row groups' `total_byte_size`): the
    /// card's `num_bytes`, what the split takes once decoded.
    #[serde(default)]
    pub num_bytes: u64,
    /// Bytes of the Parquet files: what a download of the split fetches.
    #[serde(default)]
    pub download_bytes: u64,
}

impl SplitFiles {
    /// The split's files with their sizes read from their Parquet footers.
    pub fn measured(rows: u64, files: Vec<PathBuf>) -> Result<SplitFiles> {
        let (mut num_bytes, mut download_bytes) = (0, 0);
        for path in &files {
            let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            download_bytes += file.metadata().with_context(|| format!("reading {}", path.display()))?.len();
            let reader = SerializedFileReader::new(file).with_context(|| format!("reading the footer of {}", path.display()))?;
            let row_groups = reader.metadata().row_groups();
            num_bytes += row_groups.iter().map(|group| u64::try_from(group.total_byte_size()).unwrap_or(0)).sum::<u64>();
        }
        Ok(SplitFiles { rows, files, num_bytes, download_bytes })
    }
}

/// What `ShardWriter::finish` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFiles {
    pub config: String,
    pub schema: TableSchema,
    /// Inner dimensions of the Array2D columns, from the rows (empty without rows).
    pub dims: ArrayDims,
    pub splits: BTreeMap<Split, SplitFiles>,
}

/// Writes the shards of one table under `dataset/data/<config>/`.
pub struct ShardWriter<R: Row> {
    dir: PathBuf,
    options: ShardOptions,
    schema: TableSchema,
    /// Set by the first flushed row group: Array2D dims and the Arrow schema carrying them.
    fixed: Option<(ArrayDims, SchemaRef)>,
    splits: BTreeMap<Split, SplitShards<R>>,
}

struct SplitShards<R> {
    buffer: Vec<R>,
    buffered_bytes: usize,
    open: Option<(ArrowWriter<File>, PathBuf)>,
    closed: Vec<PathBuf>,
    rows: u64,
}

impl<R> Default for SplitShards<R> {
    fn default() -> Self {
        SplitShards {
            buffer: Vec::new(),
            buffered_bytes: 0,
            open: None,
            closed: Vec::new(),
            rows: 0,
        }
    }
}

const PARTIAL_SUFFIX: &str = ".parquet.partial";

impl<R: Row> ShardWriter<R> {
    /// A writer for `R`'s table under `dataset_dir/data/<config>/`. Leftover `.partial`
    /// files of an interrupted run are removed.
    pub fn new(dataset_dir: &Path, options: ShardOptions) -> Result<Self> {
        let dir = config_dir(dataset_dir, R::TABLE.config_name());
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for path in files_in(&dir)? {
            if file_name(&path).ends_with(PARTIAL_SUFFIX) {
                fs::remove_file(&path).with_context(|| format!("removing stale {}", path.display()))?;
            }
        }
        Ok(ShardWriter {
            dir,
            options,
            schema: R::TABLE.schema()?,
            fixed: None,
            splits: BTreeMap::new(),
        })
    }

    /// Adds a row; flushes its split's buffered rows first if the row would take them
    /// past the row-group limit.
    pub fn push(&mut self, row: R) -> Result<()> {
        let split = row.split();
        let size = row.size_estimate();
        let shards = self.splits.entry(split).or_default();
        if !shards.buffer.is_empty() && shards.buffered_bytes + size > self.options.row_group_bytes {
            self.flush(split)?;
        }
        let shards = self.splits.entry(split).or_default();
        shards.buffered_bytes += size;
        shards.buffer.push(row);
        Ok(())
    }

    /// Flushes and closes every shard, then gives them their final names (and removes
    /// final-named files of an earlier run that this run did not write).
    pub fn finish(mut self) -> Result<TableFiles> {
        let splits: Vec<Split> = self.splits.keys().copied().collect();
        let mut files = BTreeMap::new();
        for split in splits {
            self.flush(split)?;
            let shards = self.splits.entry(split).or_default();
            if let Some((writer, path)) = shards.open.take() {
                writer.close().with_context(|| format!("closing {}", path.display()))?;
                shards.closed.push(path);
            }
            let finals = rename_final(&self.dir, split, &shards.closed)?;
            files.insert(split, SplitFiles::measured(shards.rows, finals)?);
        }
        remove_stale(&self.dir, &files)?;
        Ok(TableFiles {
            config: R::TABLE.config_name().to_string(),
            schema: self.schema,
            dims: self.fixed.map(|(dims, _)| dims).unwrap_or_default(),
            splits: files,
        })
    }

    /// Writes a split's buffered rows as one row group, opening or rolling its shard.
    fn flush(&mut self, split: Split) -> Result<()> {
        let shards = self.splits.entry(split).or_default();
        if shards.buffer.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut shards.buffer);
        shards.buffered_bytes = 0;
        let columns = R::to_columns(&rows)?;
        let dims = array_dims(&self.schema, &columns)?;
        let arrow_schema = match &self.fixed {
            Some((fixed, arrow_schema)) => {
                if *fixed != dims {
                    bail!(
                        "{}: Array2D dimensions {dims:?} differ from the table's {fixed:?}; \
                         write one config per model",
                        self.dir.display()
                    );
                }
                arrow_schema.clone()
            }
            None => {
                let arrow_schema = features::arrow_schema(&self.schema, &dims)?;
                self.fixed = Some((dims, arrow_schema.clone()));
                arrow_schema
            }
        };
        let batch = RecordBatch::try_new(arrow_schema.clone(), columns)
            .with_context(|| format!("rows do not match schemas/{}.json", R::TABLE.config_name()))?;

        let shards = self.splits.entry(split).or_default();
        if shards.open.is_none() {
            let path = self
                .dir
                .join(format!("{split}-{:05}{PARTIAL_SUFFIX}", shards.closed.len()));
            let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            let writer = ArrowWriter::try_new(file, arrow_schema, Some(writer_properties(&self.options)?))?;
            shards.open = Some((writer, path));
        }
        if let Some((writer, path)) = shards.open.as_mut() {
            writer
                .write(&batch)
                .with_context(|| format!("writing {}", path.display()))?;
            writer.flush().with_context(|| format!("writing {}", path.display()))?;
            shards.rows += rows.len() as u64;
            if writer.bytes_written() as u64 >= self.options.target_shard_bytes
                && let Some((writer, path)) = shards.open.take()
            {
                writer.close().with_context(|| format!("closing {}", path.display()))?;
                shards.closed.push(path);
            }
        }
        Ok(())
    }
}

/// `dataset/data/<config>`.
pub fn config_dir(dataset_dir: &Path, config: &str) -> PathBuf {
    dataset_dir.join("data").join(config)
}

/// The final name of shard `index` of `count`: `train-00000-of-00003.parquet`.
pub fn shard_name(split: Split, index: usize, count: usize) -> String {
    format!("{split}-{index:05}-of-{count:05}.parquet")
}

/// zstd, page-level statistics (which makes the writer emit the column and offset page
/// index), and no row-count cap: row groups are cut by size in `ShardWriter::push`.
fn writer_properties(options: &ShardOptions) -> Result<WriterProperties> {
    let level = ZstdLevel::try_new(options.zstd_level)
        .with_context(|| format!("zstd level {} is not in 1..=22", options.zstd_level))?;
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(None)
        .set_max_row_group_bytes(None)
        .build())
}

/// The inner dimension of each Array2D column, read from its dimension column, which
/// must hold one value across the batch.
fn array_dims(schema: &TableSchema, columns: &[arrow_array::ArrayRef]) -> Result<ArrayDims> {
    let mut dims = ArrayDims::new();
    for (array_column, dim_column) in schema.array_dim_columns() {
        let position = schema.columns.iter().position(|c| c.name == dim_column);
        let values = position
            .and_then(|i| columns.get(i))
            .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
            .with_context(|| format!("column `{dim_column}` is not an int32 column"))?;
        let mut distinct: Vec<i32> = values.iter().flatten().collect();
        distinct.sort_unstable();
        distinct.dedup();
        match distinct.as_slice() {
            [dim] if *dim > 0 => dims.insert(array_column.to_string(), *dim as usize),
            _ => bail!("column `{dim_column}` must hold one positive value per table, found {distinct:?}"),
        };
    }
    Ok(dims)
}

fn rename_final(dir: &Path, split: Split, partials: &[PathBuf]) -> Result<Vec<PathBuf>> {
    partials
        .iter()
        .enumerate()
        .map(|(index, partial)| {
            let target = dir.join(shard_name(split, index, partials.len()));
            fs::rename(partial, &target)
                .with_context(|| format!("renaming {} to {}", partial.display(), target.display()))?;
            Ok(target)
        })
        .collect()
}

/// Removes `<split>-*-of-*.parquet` files that this run did not write, so the card's
/// globs see exactly this run's shards.
fn remove_stale(dir: &Path, written: &BTreeMap<Split, SplitFiles>) -> Result<()> {
    let keep: Vec<&PathBuf> = written.values().flat_map(|s| &s.files).collect();
    for path in files_in(dir)? {
        let name = file_name(&path);
        let is_shard = name.ends_with(".parquet") && name.contains("-of-");
        if is_shard && !keep.contains(&&path) {
            fs::remove_file(&path).with_context(|| format!("removing stale {}", path.display()))?;
        }
    }
    Ok(())
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(entry.with_context(|| format!("listing {}", dir.display()))?.path());
    }
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
