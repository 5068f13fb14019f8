//! Shards: the prepared dataset as Hugging Face-ready Parquet files plus a dataset card.
//!
//! Each table (`clips`, `qa`, `embeddings`) is one config, its schema data in
//! `schemas/<table>.json` (`schema`), its rows converted to Arrow per table (`tables`),
//! written as size-capped zstd shards with a page index and the `huggingface` features
//! metadata (`writer`, `features`), and summarised in `README.md` (`card`).
//!
//! This module does not decode audio (`crate::audio` does) nor read JSONL
//! (`crate::commands::shards` does).

pub mod card;
pub mod features;
pub mod manifest;
pub mod schema;
pub mod tables;
pub mod writer;
pub mod yaml;

pub use schema::Table;
pub use tables::Row;
pub use tables::clips::ClipRow;
pub use tables::embeddings::{EmbeddingRow, Provenance};
pub use writer::{ShardOptions, ShardWriter, SplitFiles, TableFiles};
