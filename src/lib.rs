//! prep: turn music datasets into training data for audio-language models that
//! transcribe music to ABC notation, and evaluate those models.
//!
//! The crate is a library first (every stage is callable from Rust, and the reward from
//! a training loop) and the `prep` binary second. Data flows one way: sources -> `Score`
//! -> derived records (ABC, Q&A, embeddings) -> shards -> hub.

pub mod abc;
pub mod analysis;
pub mod audio;
pub mod cli;
pub mod clips;
pub mod commands;
pub mod corpus;
pub mod datasets;
pub mod embed;
pub mod eval;
pub mod hub;
pub mod inputs;
pub mod jsonl;
pub mod midi;
pub mod outcome;
pub mod output;
pub mod pipeline;
pub mod qa;
pub mod reward;
pub mod scale;
pub mod score;
pub mod shards;
pub mod store;
pub mod synth;
pub mod version;
