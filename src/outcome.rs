//! What a command did, and the exit status that says it: one contract for every
//! subcommand, so a script or a scheduler can tell "done", "done but some items failed"
//! and "nothing done" apart without reading stderr.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | every item was done |
//! | 1 | some items failed (each named on stderr); the others were written and the summary printed |
//! | 2 | nothing could be done: a usage error, a bad option or config file, an input that does not exist, an output that cannot be written |
//!
//! (A crash would be 101, Rust's panic status: a bug, to be reported.) Every command
//! returns an [`Outcome`] to `cli`, which prints it and exits with [`Outcome::status`];
//! an error that stops the command before its summary exits 2. Stages themselves never
//! print: they return their summary, and `commands` turns it into an `Outcome`.

use crate::datasets::Problem;

/// Every item was done.
pub const SUCCESS: u8 = 0;
/// Some items failed; the others were written.
pub const ITEMS_FAILED: u8 = 1;
/// Nothing could be done (usage, options, I/O on the output).
pub const ERROR: u8 = 2;

/// A finished command: its one-line summary, the items that failed and notes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// What was done, e.g. `qa: 12 pairs for 2 clips ...`.
    pub summary: String,
    /// Items that failed, each with why.
    pub problems: Vec<Problem>,
    /// What the user should know that did not fail anything (a damaged cache entry
    /// recomputed, an input skipped on purpose).
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn new(summary: String, problems: Vec<Problem>, notes: Vec<String>) -> Self {
        Outcome { summary, problems, notes }
    }

    /// The exit status of the contract (see the module documentation).
    pub fn status(&self) -> u8 {
        if self.problems.is_empty() { SUCCESS } else { ITEMS_FAILED }
    }

    /// The lines to print on stderr: notes, problems, then the summary (if any).
    pub fn lines(&self) -> Vec<String> {
        let notes = self.notes.iter().map(|note| format!("note: {note}"));
        let problems = self.problems.iter().map(|problem| format!("error: {problem}"));
        let summary = Some(self.summary.clone()).filter(|line| !line.is_empty());
        notes.chain(problems).chain(summary).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_make_status_one_and_are_printed_before_the_summary() {
        let done = Outcome::new("x: 2 done".into(), Vec::new(), vec!["cache repaired".into()]);
        assert_eq!(done.status(), SUCCESS);
        assert_eq!(done.lines(), ["note: cache repaired", "x: 2 done"]);
        let problem = Problem { item: "a.mid".into(), message: "not MIDI".into() };
        let failed = Outcome::new("x: 1 done".into(), vec![problem], Vec::new());
        assert_eq!(failed.status(), ITEMS_FAILED);
        assert_eq!(failed.lines(), ["error: a.mid: not MIDI", "x: 1 done"]);
    }
}
