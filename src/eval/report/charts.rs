//! The report's charts, as SVG written by hand: a box plot with every answer as a dot,
//! per component, and each sample's total across its runs.
//!
//! Hand-written rather than plotters: two chart types need about 150 lines, add no
//! dependency (no font or image crates, nothing to build on CI), and produce the same
//! bytes on every machine, so they can be checked like any other output.

use std::fmt::Write as _;

use anyhow::Result;

use crate::eval::report::{COMPONENTS, Export, Report};

pub const DISTRIBUTIONS: &str = "distributions.svg";
pub const RUN_SPREAD: &str = "run_spread.svg";

/// Plot area: margins around a [0, 1] loss axis.
const LEFT: f64 = 60.0;
const TOP: f64 = 40.0;
const HEIGHT: f64 = 300.0;
/// Room under the axis for horizontal labels, and for labels turned 60 degrees.
const BOTTOM: f64 = 40.0;
const BOTTOM_TURNED: f64 = 130.0;
/// Narrowest chart: room for the title.
const MIN_WIDTH: f64 = 480.0;

const DOT: &str = "#1f77b4";
const BOX: &str = "#d9e6f2";

/// Box plot and dots of every component.
pub struct Distributions;

impl Export for Distributions {
    fn file_name(&self) -> &'static str {
        DISTRIBUTIONS
    }

    fn render(&self, report: &Report) -> Result<String> {
        let slot = 110.0;
        let mut svg =
            Svg::new(LEFT + slot * COMPONENTS.len() as f64 + 20.0, BOTTOM, "Loss per component (every answer)");
        for (i, name) in COMPONENTS.iter().enumerate() {
            let centre = LEFT + slot * (i as f64 + 0.5);
            let mut values: Vec<f64> = report.rows.iter().map(|r| r.component(name)).collect();
            values.sort_by(f64::total_cmp);
            if let Some([q1, median, q3]) = quartiles(&values) {
                let (low, high) = (values[0], values[values.len() - 1]);
                svg.line(centre, y(low), centre, y(high), "#555");
                svg.rect(centre - 30.0, y(q3), 60.0, y(q1) - y(q3), BOX);
                svg.line(centre - 30.0, y(median), centre + 30.0, y(median), "#000");
            }
            for (j, value) in values.iter().enumerate() {
                svg.dot(centre + 40.0 * (jitter(j) - 0.5), y(*value), DOT);
            }
            svg.text(centre, TOP + HEIGHT + 20.0, name, "middle", 0.0);
        }
        Ok(svg.finish())
    }
}

/// Each sample's total across runs: a bar from min to max, a dot per run, sorted by mean.
pub struct RunSpread;

impl Export for RunSpread {
    fn file_name(&self) -> &'static str {
        RUN_SPREAD
    }

    fn render(&self, report: &Report) -> Result<String> {
        let slot = 24.0;
        let mut samples: Vec<_> = report.summary.samples.iter().collect();
        samples.sort_by(|a, b| a.mean.total_cmp(&b.mean).then_with(|| a.id.cmp(&b.id)));
        let width = (LEFT + slot * samples.len() as f64 + 20.0).max(MIN_WIDTH);
        let mut svg = Svg::new(width, BOTTOM_TURNED, "Total loss per sample across runs (sorted by mean)");
        for (i, sample) in samples.iter().enumerate() {
            let x = LEFT + slot * (i as f64 + 0.5);
            svg.line(x, y(sample.min), x, y(sample.max), "#555");
            svg.line(x - 6.0, y(sample.mean), x + 6.0, y(sample.mean), "#000");
            for row in report.rows.iter().filter(|r| r.id == sample.id) {
                svg.dot(x, y(row.total), DOT);
            }
            let label: String = sample.id.chars().take(24).collect();
            svg.text(x, TOP + HEIGHT + 12.0, &label, "end", -60.0);
        }
        Ok(svg.finish())
    }
}

/// Vertical position of a loss in [0, 1] (clamped).
fn y(loss: f64) -> f64 {
    TOP + HEIGHT * (1.0 - if loss.is_nan() { 1.0 } else { loss.clamp(0.0, 1.0) })
}

/// A fixed spread in [0, 1) for the j-th dot (golden-ratio sequence): dots of equal
/// value do not hide each other, and the picture is the same on every run.
fn jitter(j: usize) -> f64 {
    (j as f64 * 0.618_033_988_749_895).fract()
}

/// First quartile, median and third quartile of sorted values (linear interpolation
/// between closest ranks, as numpy's default).
fn quartiles(sorted: &[f64]) -> Option<[f64; 3]> {
    let last = sorted.len().checked_sub(1)?;
    let at = |q: f64| {
        let position = q * last as f64;
        let (below, fraction) = (position.floor() as usize, position.fract());
        let above = (below + 1).min(last);
        sorted[below] + fraction * (sorted[above] - sorted[below])
    };
    Some([at(0.25), at(0.5), at(0.75)])
}

/// A minimal SVG document with a [0, 1] loss axis.
struct Svg {
    out: String,
}

impl Svg {
    fn new(width: f64, bottom: f64, title: &str) -> Self {
        let height = TOP + HEIGHT + bottom;
        let mut svg = Svg {
            out: format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
                 viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
                 <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"
            ),
        };
        svg.text(width / 2.0, 22.0, title, "middle", 0.0);
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg.line(LEFT, y(tick), width - 20.0, y(tick), "#e5e5e5");
            svg.text(LEFT - 8.0, y(tick) + 4.0, &format!("{tick:.2}"), "end", 0.0);
        }
        svg.text(16.0, TOP + HEIGHT / 2.0, "loss", "middle", -90.0);
        svg
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, colour: &str) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" \
             stroke=\"{colour}\" stroke-width=\"1.5\"/>"
        );
    }

    fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"{fill}\" stroke=\"#555\"/>",
            height.max(1.0)
        );
    }

    fn dot(&mut self, x: f64, y: f64, fill: &str) {
        let _ =
            writeln!(self.out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{fill}\" fill-opacity=\"0.7\"/>");
    }

    fn text(&mut self, x: f64, y: f64, text: &str, anchor: &str, rotate: f64) {
        let text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let _ = writeln!(
            self.out,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" \
             transform=\"rotate({rotate} {x:.1} {y:.1})\">{text}</text>"
        );
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_like_numpy() {
        assert_eq!(quartiles(&[0.0, 1.0, 2.0, 3.0, 4.0]), Some([1.0, 2.0, 3.0]));
        assert_eq!(quartiles(&[0.0, 1.0]), Some([0.25, 0.5, 0.75]));
        assert_eq!(quartiles(&[0.5]), Some([0.5, 0.5, 0.5]));
        assert_eq!(quartiles(&[]), None);
    }

    #[test]
    fn loss_axis_runs_top_down() {
        assert_eq!(y(1.0), TOP);
        assert_eq!(y(0.0), TOP + HEIGHT);
        assert_eq!(y(f64::NAN), TOP);
    }
}
