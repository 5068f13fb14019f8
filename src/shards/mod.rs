//! Shards: the prepared dataset as Hugging Face-ready Parquet files plus a dataset card.
//!
//! Each table (`clips`, `qa`, `embeddings`) is one config, its schema data in
//! `schemas/<table>.json` (`schema`), its rows converted to Arrow per table (`tables`),
//! written as size-capped zstd shards with a page index and the `huggingface` features
//! metadata (`writer`, `features`), and summarised in `README.md` (`card`).
//!
//! `build` is the stage that writes the `clips` and `qa` configs and the card from the
//! pipeline's JSONL records. Audio is decoded by `crate::audio`.

pub mod build;
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
pub use tables::embeddings::EmbeddingRow;
pub use writer::{ShardOptions, ShardWriter, SplitFiles, TableFiles};
