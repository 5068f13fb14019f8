//! `prep midi2abc`: MIDI files to ABC (`crate::abc::convert`); a single input without
//! `-o` is printed on stdout.

use std::time::Instant;

use anyhow::Result;

use crate::abc::convert::{self, Midi2AbcOptions};
use crate::outcome::Outcome;

pub fn run(options: &Midi2AbcOptions) -> Result<Outcome> {
    let started = Instant::now();
    let summary = convert::run(options)?;
    if let Some(text) = &summary.text {
        crate::output::write_stdout(text.as_bytes())?;
    }
    let line = format!(
        "midi2abc: converted {} of {} files ({} skipped, {} failed) in {:.2} s",
        summary.converted,
        summary.files,
        summary.skipped,
        summary.problems.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::new(line, summary.problems, Vec::new()))
}
