//! `scores.csv`: one line per (clip, run), for spreadsheets and pandas.

use std::fmt::Write as _;

use anyhow::Result;

use crate::eval::report::{Export, Report};

pub struct Csv;

const HEADER: &str = "id,run,pitch,metre,tempo,instrument,total,parse_ok,missing,onset_f1,key_exact\n";

impl Export for Csv {
    fn file_name(&self) -> &'static str {
        "scores.csv"
    }

    fn render(&self, report: &Report) -> Result<String> {
        let mut out = String::from(HEADER);
        for r in &report.rows {
            let missing: Vec<String> = r.missing.iter().map(|f| format!("{f:?}").to_lowercase()).collect();
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                quoted(&r.id),
                r.run,
                r.pitch,
                r.metre,
                r.tempo,
                r.instrument,
                r.total,
                r.parse_ok,
                missing.join(";"),
                r.onset_f1,
                r.key_exact
            );
        }
        Ok(out)
    }
}

/// A field quoted per RFC 4180 when it holds a comma, a quote or a line break.
fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quoted("test/a"), "test/a");
        assert_eq!(quoted("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
