//! ABC notation (standard 2.1): the text our models learn to emit.
//!
//! `write` turns a `Score` into ABC; `read` parses ABC (ours, or a model's half-broken
//! output) back into a `Score`. They are inverses, tested as such. `convert` is the
//! MIDI -> ABC stage of `prep midi2abc`.

pub mod convert;
pub mod read;
pub mod write;
