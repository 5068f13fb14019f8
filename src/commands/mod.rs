//! One module per subcommand: each turns typed options into work and a summary.

pub mod embed;
pub mod eval;
pub mod generate;
pub mod midi2abc;
pub mod push;
pub mod qa;
pub mod reward;
pub mod shards;
