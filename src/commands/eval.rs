//! `prep eval`: a model's answers scored and reported (`crate::eval::evaluate`).

use anyhow::Result;

use crate::eval::evaluate::{self, EvalOptions};
use crate::outcome::Outcome;

pub fn run(options: &EvalOptions) -> Result<Outcome> {
    let summary = evaluate::run(options)?;
    let line = format!(
        "eval: {} answers for {} clips, mean total {:.4}, {} parse failures; report in {}",
        summary.answers,
        summary.samples,
        summary.mean_total,
        summary.parse_failures,
        options.out.display()
    );
    Ok(Outcome::new(line, Vec::new(), summary.notes))
}
