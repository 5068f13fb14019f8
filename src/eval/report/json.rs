//! `scores.json`: a list with one object per (clip, run): clip id, run, each component,
//! total, parse status, and the unweighted onset F1 and key match.

use anyhow::Result;

use crate::eval::report::{Export, Report};

pub struct Json;

impl Export for Json {
    fn file_name(&self) -> &'static str {
        "scores.json"
    }

    fn render(&self, report: &Report) -> Result<String> {
        Ok(serde_json::to_string_pretty(&report.rows)? + "\n")
    }
}
