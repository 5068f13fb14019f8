//! Rows to Arrow columns, one module per table. Each row type knows its table, its split
//! (which shard set it goes to) and its in-memory size (which decides row-group flushes);
//! the column order and types must be those of `schemas/<table>.json`, which
//! `RecordBatch::try_new` checks on every flush.

pub mod clips;
pub mod embeddings;
pub mod qa;

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, Int32Array, StringArray};

use super::schema::Table;
use crate::datasets::Split;

/// A row of one of the tables.
pub trait Row: Sized {
    const TABLE: Table;
    fn split(&self) -> Split;
    /// Bytes the row adds to the Arrow buffers of a row group (values plus offsets);
    /// the writer flushes a row group before this sum passes its limit.
    fn size_estimate(&self) -> usize;
    /// The rows as columns, in the schema's column order.
    fn to_columns(rows: &[Self]) -> anyhow::Result<Vec<ArrayRef>>;
}

/// Bytes per variable-length value beyond its content: an i32 offset and a validity bit,
/// rounded up.
const OFFSET_BYTES: usize = 5;

fn text_size(s: &str) -> usize {
    s.len() + OFFSET_BYTES
}

fn strings<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn float64s(values: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(values))
}

fn int32s(values: impl Iterator<Item = i32>) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(values))
}

fn string_lists<'a, L>(lists: impl Iterator<Item = L>) -> ArrayRef
where
    L: IntoIterator<Item = &'a String>,
{
    let mut builder = ListBuilder::new(StringBuilder::new());
    for list in lists {
        for s in list {
            builder.values().append_value(s);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

fn split_names<'a, R: Row + 'a>(rows: &'a [R]) -> ArrayRef {
    strings(rows.iter().map(|r| r.split().name()))
}

/// A u32 count as the schema's int32, refusing values that do not fit.
fn to_i32(value: u32, what: &str) -> anyhow::Result<i32> {
    i32::try_from(value).map_err(|_| anyhow::anyhow!("{what} {value} does not fit the int32 column"))
}
