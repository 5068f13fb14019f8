//! One module per subcommand: each runs its stage with typed options and turns the
//! stage's summary into an [`Outcome`](crate::outcome::Outcome) (the lines to print and
//! the exit status). Stage logic lives in the domain modules, never here.

pub mod embed;
pub mod eval;
pub mod generate;
pub mod merge;
pub mod midi2abc;
pub mod push;
pub mod qa;
pub mod reward;
pub mod run;
pub mod shards;
