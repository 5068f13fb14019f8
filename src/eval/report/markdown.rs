//! `report.md`: what a person reads first. Settings, the summary table per component,
//! parse failures, the chosen samples with their run spread, the charts, and the worst
//! answers beside their truth.

use std::fmt::Write as _;

use anyhow::Result;

use crate::eval::report::{Export, Report, charts, stats};

pub struct Markdown;

impl Export for Markdown {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn render(&self, report: &Report) -> Result<String> {
        let mut out = String::from("# Evaluation report\n\n| setting | value |\n| --- | --- |\n");
        for (name, value) in &report.settings {
            let _ = writeln!(out, "| {name} | {} |", cell(value));
        }
        summary(&mut out, report);
        samples(&mut out, report);
        worst(&mut out, report);
        Ok(out)
    }
}

fn summary(out: &mut String, report: &Report) {
    let s = &report.summary;
    let _ = write!(
        out,
        "\n## Summary\n\nLosses in [0, 1], lower is better; `total` is their weighted mean (docs/reward.md). \
         95 % CI: percentile bootstrap of the mean over clips ({} resamples, fixed seed; a clip's runs stay \
         together). Run spread: the mean over samples of the standard deviation across a sample's runs.\n\n\
         | component | mean | 95 % CI | median | std | run spread |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
        stats::BOOTSTRAP_RESAMPLES
    );
    for c in &s.components {
        let ci = c.ci95.map_or("n/a".to_string(), |(low, high)| format!("[{low:.4}, {high:.4}]"));
        let _ = writeln!(
            out,
            "| {} | {:.4} | {ci} | {:.4} | {} | {} |",
            c.name,
            c.mean,
            c.median,
            opt(c.std),
            opt(c.run_spread)
        );
    }
    let missing: Vec<String> =
        s.missing.iter().map(|(f, n)| format!("{} {n}", format!("{f:?}").to_lowercase())).collect();
    let _ = write!(
        out,
        "\n{} answers; parse failures: {} (missing fields: {}).\n\
         Reported, not weighted: mean note onset F1 {:.4}, key accuracy {:.1}%.\n\n\
         Box plots: the box spans the first to the third quartile (linear interpolation), the line is the \
         median, the whiskers run from the minimum to the maximum (no outlier rule), and each dot is one \
         answer.\n\n\
         ![Distribution of each component]({})\n\n![Total per sample across runs]({})\n",
        s.answers,
        s.parse_failures,
        missing.join(", "),
        s.mean_onset_f1,
        100.0 * s.key_accuracy,
        charts::DISTRIBUTIONS,
        charts::RUN_SPREAD,
    );
}

fn samples(out: &mut String, report: &Report) {
    out.push_str(
        "\n## Samples\n\nChosen one per complexity bin (complexity = voices + notes per second / 4).\n\n\
         | bin | clip | voices | notes/s | complexity | runs | mean total | min | max | std |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for chosen in &report.chosen {
        let stats = report.summary.samples.iter().find(|s| s.id == chosen.id);
        let c = &chosen.complexity;
        let _ = write!(
            out,
            "| {} | {} | {} | {:.2} | {:.2} |",
            chosen.bin,
            cell(&chosen.id),
            c.voices,
            c.notes_per_second,
            c.score
        );
        let _ = match stats {
            Some(s) => writeln!(out, " {} | {:.4} | {:.4} | {:.4} | {} |", s.runs, s.mean, s.min, s.max, opt(s.std)),
            None => writeln!(out, " 0 | | | | |"),
        };
    }
}

fn worst(out: &mut String, report: &Report) {
    out.push_str("\n## Worst answers\n");
    if report.worst.is_empty() {
        let perfect = report.rows.iter().all(|r| r.total <= 0.0);
        out.push_str(if perfect { "\nNone: every answer scored 0.\n" } else { "\nNone requested.\n" });
    }
    for case in &report.worst {
        let _ = write!(
            out,
            "\n### {} run {}: total {:.4}\n\n<table>\n<tr><th>truth</th><th>prediction</th></tr>\n\
             <tr><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>\n</table>\n",
            case.id,
            case.run,
            case.total,
            html(&case.truth),
            html(&case.prediction)
        );
    }
}

/// A value for a table cell: pipes escaped, line breaks as spaces.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Text safe inside `<pre>`.
fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn opt(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_for_tables_and_html() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(html("<a & b>"), "&lt;a &amp; b&gt;");
        assert_eq!(opt(None), "n/a");
        assert_eq!(opt(Some(0.5)), "0.5000");
    }
}
