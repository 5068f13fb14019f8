//! The report's charts, as SVG written by hand: a box plot with every answer as a dot,
//! per component, and each sample's total across its runs. Each chart is sized to its
//! data: the loss axis runs from 0 to the largest loss shown, rounded up to a tenth, and
//! the samples of the run-spread chart share its whole width.
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
        let top = axis_top(report.rows.iter().flat_map(|r| COMPONENTS.map(|name| r.component(name))));
        let mut svg =
            Svg::new(LEFT + slot * COMPONENTS.len() as f64 + 20.0, BOTTOM, "Loss per component (every answer)", top);
        for (i, name) in COMPONENTS.iter().enumerate() {
            let centre = LEFT + slot * (i as f64 + 0.5);
            let mut values: Vec<f64> = report.rows.iter().map(|r| r.component(name)).collect();
            values.sort_by(f64::total_cmp);
            if let Some([q1, median, q3]) = quartiles(&values) {
                let (low, high) = (values[0], values[values.len() - 1]);
                let (y_low, y_high, y_q1, y_q3, y_median) = (svg.y(low), svg.y(high), svg.y(q1), svg.y(q3), svg.y(median));
                svg.line(centre, y_low, centre, y_high, "#555");
                svg.rect(centre - 30.0, y_q3, 60.0, y_q1 - y_q3, BOX);
                svg.line(centre - 30.0, y_median, centre + 30.0, y_median, "#000");
            }
            for (j, value) in values.iter().enumerate() {
                let y_value = svg.y(*value);
                svg.dot(centre + 40.0 * (jitter(j) - 0.5), y_value, DOT);
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
        let mut samples: Vec<_> = report.summary.samples.iter().collect();
        samples.sort_by(|a, b| a.mean.total_cmp(&b.mean).then_with(|| a.id.cmp(&b.id)));
        let count = samples.len().max(1) as f64;
        // 24 px per sample at least; fewer samples share the narrowest chart's width.
        let slot = ((MIN_WIDTH - LEFT - 20.0) / count).max(24.0);
        let width = LEFT + slot * count + 20.0;
        let top = axis_top(report.rows.iter().map(|r| r.total));
        let mut svg = Svg::new(width, BOTTOM_TURNED, "Total loss per sample across runs (sorted by mean)", top);
        for (i, sample) in samples.iter().enumerate() {
            let x = LEFT + slot * (i as f64 + 0.5);
            let (y_min, y_max, y_mean) = (svg.y(sample.min), svg.y(sample.max), svg.y(sample.mean));
            svg.line(x, y_min, x, y_max, "#555");
            svg.line(x - 6.0, y_mean, x + 6.0, y_mean, "#000");
            for row in report.rows.iter().filter(|r| r.id == sample.id) {
                let y_total = svg.y(row.total);
                svg.dot(x, y_total, DOT);
            }
            let label: String = sample.id.chars().take(24).collect();
            svg.text(x, TOP + HEIGHT + 12.0, &label, "end", -60.0);
        }
        Ok(svg.finish())
    }
}

/// The top of the loss axis for `losses`: the largest, rounded up to a tenth, in
/// [0.1, 1] (a NaN counts as the worst loss, 1).
fn axis_top(losses: impl Iterator<Item = f64>) -> f64 {
    let largest = losses.map(|l| if l.is_nan() { 1.0 } else { l }).fold(0.0, f64::max);
    ((largest * 10.0 - 1e-9).ceil() / 10.0).clamp(0.1, 1.0)
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

/// A minimal SVG document with a [0, `top`] loss axis.
struct Svg {
    out: String,
    top: f64,
}

impl Svg {
    fn new(width: f64, bottom: f64, title: &str, top: f64) -> Self {
        let height = TOP + HEIGHT + bottom;
        let mut svg = Svg {
            top,
            out: format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
                 viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
                 <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"
            ),
        };
        svg.text(width / 2.0, 22.0, title, "middle", 0.0);
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0].map(|f| f * top) {
            let y_tick = svg.y(tick);
            svg.line(LEFT, y_tick, width - 20.0, y_tick, "#e5e5e5");
            svg.text(LEFT - 8.0, y_tick + 4.0, &format!("{tick:.3}"), "end", 0.0);
        }
        svg.text(16.0, TOP + HEIGHT / 2.0, "loss", "middle", -90.0);
        svg
    }

    /// Vertical position of a loss on the axis (clamped to it; NaN at the top).
    fn y(&self, loss: f64) -> f64 {
        let loss = if loss.is_nan() { self.top } else { loss.clamp(0.0, self.top) };
        TOP + HEIGHT * (1.0 - loss / self.top)
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
    fn loss_axis_runs_top_down_to_the_largest_loss() {
        let svg = Svg::new(MIN_WIDTH, BOTTOM, "t", 0.4);
        assert_eq!(svg.y(0.4), TOP);
        assert_eq!(svg.y(0.0), TOP + HEIGHT);
        assert_eq!(svg.y(0.2), TOP + HEIGHT / 2.0);
        assert_eq!(svg.y(f64::NAN), TOP);
    }

    #[test]
    fn the_axis_top_is_the_largest_loss_rounded_up_to_a_tenth() {
        assert_eq!(axis_top([0.05, 0.31].into_iter()), 0.4);
        assert_eq!(axis_top([0.3].into_iter()), 0.3);
        assert_eq!(axis_top([0.0].into_iter()), 0.1);
        assert_eq!(axis_top([0.2, f64::NAN].into_iter()), 1.0);
    }
}
