//! Scale-out on an existing engine: a corpus too big for one machine runs as a SLURM job
//! array or a Kubernetes Indexed Job, one task per shard, and `prep merge` assembles the
//! finished shards into the dataset a single process would have made.
//!
//! `partition` says which items a task does (a stable hash of the item's id) and where
//! the engine says which task this is; `staging` is each shard's own output folder and
//! its "done" marker; `merge` checks that every shard is there, finished and made with
//! the same settings, and renames the shards' Parquet files into the dataset. The job
//! scripts are in `deploy/` (see the README).

pub mod merge;
pub mod partition;
pub mod staging;

pub use merge::{MergeSummary, merge};
pub use partition::Partition;
pub use staging::{ShardRun, Stage};
