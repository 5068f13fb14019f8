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

/// Text sizes in px: readable when a ~650 px chart is pasted into one column of a paper
/// (about 8 pt there), as a matplotlib figure's defaults would be.
const FONT: f64 = 14.0;
const TITLE_FONT: f64 = 16.0;
const SMALL_FONT: f64 = 12.0;

/// Plot area: room on the left for tick labels and the turned axis title, above for
/// the title and the legend line.
const LEFT: f64 = 84.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 66.0;
const HEIGHT: f64 = 300.0;
/// Room under the axis for horizontal labels.
const BOTTOM: f64 = 40.0;
/// Clip ids under the axis are cut to this many characters.
const LABEL_CHARS: usize = 24;
/// Average advance of a character, as a fraction of the font size (sans-serif).
const CHAR_WIDTH: f64 = 0.56;
/// Narrowest chart: room for the title.
const MIN_WIDTH: f64 = 520.0;

const DOT: &str = "#1f77b4";
const BOX: &str = "#d9e6f2";
const LINE: &str = "#555";

/// Box plot and dots of every component.
pub struct Distributions;

impl Export for Distributions {
    fn file_name(&self) -> &'static str {
        DISTRIBUTIONS
    }

    fn render(&self, report: &Report) -> Result<String> {
        let slot = 110.0;
        let axis = Axis::fitting(report.rows.iter().flat_map(|r| COMPONENTS.map(|name| r.component(name))));
        let title = format!("Loss per component ({} answers)", report.rows.len());
        let mut svg = Svg::new(LEFT + slot * COMPONENTS.len() as f64 + RIGHT, BOTTOM, &title, axis);
        svg.legend(&[
            Key::Box("quartiles"),
            Key::Median("median"),
            Key::Range("min to max"),
            Key::Dot("one answer"),
        ]);
        for (i, name) in COMPONENTS.iter().enumerate() {
            let centre = LEFT + slot * (i as f64 + 0.5);
            let mut values: Vec<f64> = report.rows.iter().map(|r| r.component(name)).collect();
            values.sort_by(f64::total_cmp);
            if let Some([q1, median, q3]) = quartiles(&values) {
                let (low, high) = (values[0], values[values.len() - 1]);
                let (y_low, y_high, y_q1, y_q3, y_median) = (svg.y(low), svg.y(high), svg.y(q1), svg.y(q3), svg.y(median));
                svg.line(centre, y_low, centre, y_high, LINE, 1.5);
                svg.rect(centre - 30.0, y_q3, 60.0, y_q1 - y_q3, BOX);
                svg.line(centre - 30.0, y_median, centre + 30.0, y_median, "#000", 2.0);
            }
            for (j, value) in values.iter().enumerate() {
                let y_value = svg.y(*value);
                svg.dot(centre + 40.0 * (jitter(j) - 0.5), y_value);
            }
            svg.text(centre, TOP + HEIGHT + 24.0, name, Anchor::Middle, FONT);
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
        let slot = ((MIN_WIDTH - LEFT - RIGHT) / count).max(24.0);
        let width = LEFT + slot * count + RIGHT;
        let axis = Axis::fitting(report.rows.iter().map(|r| r.total));
        let title = format!("Total loss per clip across runs ({} clips)", samples.len());
        let longest = samples.iter().map(|s| s.id.chars().take(LABEL_CHARS).count()).max().unwrap_or(0);
        // The turned labels' height (60 degrees: sin = 0.87), then the axis title.
        let labels = 14.0 + longest as f64 * SMALL_FONT * CHAR_WIDTH * 0.87 + SMALL_FONT;
        let mut svg = Svg::new(width, labels + FONT + 16.0, &title, axis);
        svg.legend(&[Key::Range("min to max"), Key::Median("mean"), Key::Dot("one run")]);
        for (i, sample) in samples.iter().enumerate() {
            let x = LEFT + slot * (i as f64 + 0.5);
            let (y_min, y_max, y_mean) = (svg.y(sample.min), svg.y(sample.max), svg.y(sample.mean));
            svg.line(x, y_min, x, y_max, LINE, 1.5);
            svg.line(x - 7.0, y_mean, x + 7.0, y_mean, "#000", 2.0);
            for row in report.rows.iter().filter(|r| r.id == sample.id) {
                let y_total = svg.y(row.total);
                svg.dot(x, y_total);
            }
            let label: String = sample.id.chars().take(LABEL_CHARS).collect();
            svg.turned_text(x + 4.0, TOP + HEIGHT + 14.0, &label, SMALL_FONT);
        }
        let title_y = TOP + HEIGHT + labels + FONT;
        svg.text(LEFT + (width - LEFT - RIGHT) / 2.0, title_y, "clip, sorted by mean total", Anchor::Middle, FONT);
        Ok(svg.finish())
    }
}

/// The loss axis: from 0 to `top` in ticks of `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    top: f64,
    step: f64,
}

/// Tick steps tried, smallest first: at most `MAX_TICKS` intervals up the axis.
const STEPS: [f64; 5] = [0.02, 0.05, 0.1, 0.2, 0.25];
const MAX_TICKS: f64 = 7.0;
/// The shortest axis: losses all 0 still get a readable scale.
const MIN_TOP: f64 = 0.1;

impl Axis {
    /// The smallest round axis holding `losses`: the finest step of [`STEPS`] that needs
    /// at most `MAX_TICKS` intervals, the top the largest loss rounded up to a step, in
    /// [0.1, 1] (a NaN counts as the worst loss, 1).
    fn fitting(losses: impl Iterator<Item = f64>) -> Axis {
        let largest = losses.map(|l| if l.is_nan() { 1.0 } else { l }).fold(0.0, f64::max).clamp(MIN_TOP, 1.0);
        let intervals = |step: f64| (largest / step - 1e-9).ceil();
        let step = STEPS.into_iter().find(|&step| intervals(step) <= MAX_TICKS).unwrap_or(0.25);
        Axis { top: (intervals(step) * step).min(1.0), step }
    }

    fn ticks(self) -> impl Iterator<Item = f64> {
        let count = (self.top / self.step + 1e-9).floor() as usize;
        (0..=count).map(move |i| i as f64 * self.step)
    }
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

/// One entry of a chart's legend: the mark as drawn in the chart, and its meaning.
enum Key {
    Box(&'static str),
    Median(&'static str),
    Range(&'static str),
    Dot(&'static str),
}

#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// A minimal SVG document with a loss axis.
struct Svg {
    out: String,
    axis: Axis,
    width: f64,
}

impl Svg {
    fn new(width: f64, bottom: f64, title: &str, axis: Axis) -> Self {
        let height = TOP + HEIGHT + bottom;
        let mut svg = Svg {
            axis,
            width,
            out: format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
                 viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\" \
                 font-size=\"{FONT}\">\n<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"
            ),
        };
        let _ = writeln!(
            svg.out,
            "<text x=\"{:.1}\" y=\"24\" text-anchor=\"middle\" font-size=\"{TITLE_FONT}\" font-weight=\"bold\">{}</text>",
            width / 2.0,
            escape(title)
        );
        for tick in axis.ticks() {
            let y_tick = svg.y(tick);
            svg.line(LEFT, y_tick, width - RIGHT, y_tick, "#e5e5e5", 1.0);
            svg.text(LEFT - 8.0, y_tick + 5.0, &format!("{tick:.2}"), Anchor::End, FONT);
        }
        svg.line(LEFT, TOP + HEIGHT, LEFT, TOP, LINE, 1.0);
        let _ = writeln!(
            svg.out,
            "<text x=\"22\" y=\"{y:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 22 {y:.1})\">\
             loss (lower is better)</text>",
            y = TOP + HEIGHT / 2.0
        );
        svg
    }

    /// The legend, one line under the title, centred: each mark drawn, then its meaning.
    fn legend(&mut self, keys: &[Key]) {
        let label_width = |text: &str| text.chars().count() as f64 * SMALL_FONT * CHAR_WIDTH;
        let entry_width = |text: &str| 22.0 + label_width(text) + 18.0;
        let text_of = |key: &Key| match key {
            Key::Box(t) | Key::Median(t) | Key::Range(t) | Key::Dot(t) => *t,
        };
        let total: f64 = keys.iter().map(|k| entry_width(text_of(k))).sum();
        let (mut x, y) = ((self.width - total) / 2.0, 46.0);
        for key in keys {
            match key {
                Key::Box(_) => self.rect(x, y - 7.0, 14.0, 14.0, BOX),
                Key::Median(_) => self.line(x, y, x + 14.0, y, "#000", 2.0),
                Key::Range(_) => self.line(x + 7.0, y - 8.0, x + 7.0, y + 8.0, LINE, 1.5),
                Key::Dot(_) => self.dot(x + 7.0, y),
            }
            self.text(x + 20.0, y + 4.0, text_of(key), Anchor::Start, SMALL_FONT);
            x += entry_width(text_of(key));
        }
    }

    /// Vertical position of a loss on the axis (clamped to it; NaN at the top).
    fn y(&self, loss: f64) -> f64 {
        let top = self.axis.top;
        let loss = if loss.is_nan() { top } else { loss.clamp(0.0, top) };
        TOP + HEIGHT * (1.0 - loss / top)
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, colour: &str, width: f64) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" \
             stroke=\"{colour}\" stroke-width=\"{width}\"/>"
        );
    }

    fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"{fill}\" stroke=\"{LINE}\"/>",
            height.max(1.0)
        );
    }

    fn dot(&mut self, x: f64, y: f64) {
        let _ = writeln!(self.out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{DOT}\" fill-opacity=\"0.7\"/>");
    }

    fn text(&mut self, x: f64, y: f64, text: &str, anchor: Anchor, size: f64) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = writeln!(
            self.out,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" font-size=\"{size}\">{}</text>",
            escape(text)
        );
    }

    /// Text ending at (x, y), turned 60 degrees down to the left (labels under an axis).
    fn turned_text(&mut self, x: f64, y: f64, text: &str, size: f64) {
        let _ = writeln!(
            self.out,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"end\" font-size=\"{size}\" \
             transform=\"rotate(-60 {x:.1} {y:.1})\">{}</text>",
            escape(text)
        );
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
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
        let svg = Svg::new(MIN_WIDTH, BOTTOM, "t", Axis { top: 0.4, step: 0.1 });
        assert_eq!(svg.y(0.4), TOP);
        assert_eq!(svg.y(0.0), TOP + HEIGHT);
        assert_eq!(svg.y(0.2), TOP + HEIGHT / 2.0);
        assert_eq!(svg.y(f64::NAN), TOP);
    }

    #[test]
    fn the_axis_is_the_largest_loss_rounded_up_to_a_round_step() {
        let fit = |losses: &[f64]| {
            let axis = Axis::fitting(losses.iter().copied());
            // In hundredths: the top, the step, and the ticks drawn.
            ((axis.top * 100.0).round(), (axis.step * 100.0).round(), axis.ticks().count())
        };
        assert_eq!(fit(&[0.05, 0.31]), (35.0, 5.0, 8));
        assert_eq!(fit(&[0.3]), (30.0, 5.0, 7));
        assert_eq!(fit(&[0.62]), (70.0, 10.0, 8));
        assert_eq!(fit(&[0.0]), (10.0, 2.0, 6));
        assert_eq!(fit(&[0.2, f64::NAN]), (100.0, 20.0, 6));
        assert_eq!(fit(&[0.93]), (100.0, 20.0, 6));
    }
}
