//! Statistics over the scored rows, computed with polars: per component over every
//! answer, per sample across its runs, and the parse failures.
//!
//! Standard deviations are sample standard deviations (ddof = 1); with a single value
//! there is none (`None`, shown as "n/a"). The run spread of a component is the mean
//! over samples of the standard deviation across a sample's runs: how much the model's
//! answers vary for the same clip, apart from how hard the clips are.
//!
//! The 95 % confidence interval of a component's mean is a percentile bootstrap over
//! clips (runs stay with their clip, since answers to one clip are not independent):
//! [`BOOTSTRAP_RESAMPLES`] resamples of the clips with replacement, drawn by a ChaCha8
//! generator with a fixed seed, so the same scores always give the same interval.
//!
//! The per-sample aggregations use polars' eager `GroupBy` methods, which polars marks
//! deprecated in favour of its lazy API; the lazy API would add the query planner and
//! engine crates, several minutes of build on a 2-core CI machine, for four numbers.

use anyhow::Result;
use polars::prelude::*;

use crate::eval::report::{COMPONENTS, Row};
use crate::reward::Field;

/// One component over every answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentStats {
    pub name: String,
    pub mean: f64,
    pub median: f64,
    pub std: Option<f64>,
    /// Mean over samples of the standard deviation across runs.
    pub run_spread: Option<f64>,
    /// 95 % confidence interval of the mean, bootstrapped over clips; `None` with fewer
    /// than two clips.
    pub ci95: Option<(f64, f64)>,
}

/// Resamples of the clips behind each confidence interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
/// The bootstrap's generator seed (fixed: the interval is a function of the scores).
const BOOTSTRAP_SEED: u64 = 0x5eed_b007;

/// The percentile-bootstrap 95 % interval of the mean of per-answer values grouped by
/// clip: each resample draws as many clips as there are, with replacement, and takes the
/// mean over all their answers. `None` with fewer than two clips.
pub fn bootstrap_ci95(clips: &[Vec<f64>]) -> Option<(f64, f64)> {
    use rand::{RngExt, SeedableRng};
    if clips.len() < 2 {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let (mut sum, mut count) = (0.0, 0usize);
            for _ in 0..clips.len() {
                let clip = &clips[rng.random_range(0..clips.len())];
                sum += clip.iter().sum::<f64>();
                count += clip.len();
            }
            sum / count.max(1) as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * (means.len() - 1) as f64).round() as usize).min(means.len() - 1)];
    Some((at(0.025), at(0.975)))
}

/// Each clip's values of component `name`, clips in id order.
fn by_clip(rows: &[Row], name: &str) -> Vec<Vec<f64>> {
    let mut clips: std::collections::BTreeMap<&str, Vec<f64>> = std::collections::BTreeMap::new();
    for row in rows {
        clips.entry(row.id.as_str()).or_default().push(row.component(name));
    }
    clips.into_values().collect()
}

/// One sample's total across its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleStats {
    pub id: String,
    pub runs: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub std: Option<f64>,
}

/// Everything the report says about the rows as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub answers: usize,
    pub components: Vec<ComponentStats>,
    /// Sorted by id.
    pub samples: Vec<SampleStats>,
    pub parse_failures: usize,
    /// How often each field was missing, in the order of [`Field`]'s variants.
    pub missing: Vec<(Field, usize)>,
    pub mean_onset_f1: f64,
    /// Share of answers with the exact key.
    pub key_accuracy: f64,
}

/// The rows as a DataFrame: id, run, one column per component.
fn frame(rows: &[Row]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        Column::new("id".into(), rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>()),
        Column::new("run".into(), rows.iter().map(|r| r.run).collect::<Vec<_>>()),
        Column::new("onset_f1".into(), rows.iter().map(|r| r.onset_f1).collect::<Vec<_>>()),
        Column::new("key_exact".into(), rows.iter().map(|r| f64::from(u8::from(r.key_exact))).collect::<Vec<_>>()),
    ];
    for name in COMPONENTS {
        columns.push(Column::new(name.into(), rows.iter().map(|r| r.component(name)).collect::<Vec<_>>()));
    }
    DataFrame::new(rows.len(), columns)
}

/// The statistics of `rows` (at least one).
pub fn summarize(rows: &[Row]) -> Result<Summary> {
    let df = frame(rows).map_err(|e| anyhow::anyhow!("building the scores table: {e}"))?;
    let per_sample = per_sample(&df).map_err(|e| anyhow::anyhow!("aggregating per sample: {e}"))?;
    let mut components = Vec::with_capacity(COMPONENTS.len());
    for name in COMPONENTS {
        let values = df.column(name)?.f64()?;
        let spread = per_sample.column(&format!("{name}_agg_std"))?.f64()?;
        components.push(ComponentStats {
            name: name.to_string(),
            mean: values.mean().unwrap_or(f64::NAN),
            median: values.median().unwrap_or(f64::NAN),
            std: values.std(1),
            run_spread: spread.mean(),
            ci95: bootstrap_ci95(&by_clip(rows, name)),
        });
    }
    let ids = per_sample.column("id")?.str()?;
    let total = |suffix: &str| per_sample.column(&format!("total{suffix}"));
    let (means, mins, maxs, stds) =
        (total("_mean")?.f64()?, total("_min")?.f64()?, total("_max")?.f64()?, total("_agg_std")?.f64()?);
    let counts = total("_count")?.cast(&DataType::UInt64)?;
    let counts = counts.u64()?;
    let mut samples: Vec<SampleStats> = (0..per_sample.height())
        .map(|i| SampleStats {
            id: ids.get(i).unwrap_or_default().to_string(),
            runs: counts.get(i).unwrap_or(0) as usize,
            mean: means.get(i).unwrap_or(f64::NAN),
            min: mins.get(i).unwrap_or(f64::NAN),
            max: maxs.get(i).unwrap_or(f64::NAN),
            std: stds.get(i),
        })
        .collect();
    samples.sort_by(|a, b| a.id.cmp(&b.id));
    let missing = [Field::Metre, Field::Tempo, Field::Key, Field::Notes]
        .into_iter()
        .map(|field| (field, rows.iter().filter(|r| r.missing.contains(&field)).count()))
        .collect();
    Ok(Summary {
        answers: rows.len(),
        components,
        samples,
        parse_failures: rows.iter().filter(|r| !r.parse_ok).count(),
        missing,
        mean_onset_f1: df.column("onset_f1")?.f64()?.mean().unwrap_or(f64::NAN),
        key_accuracy: df.column("key_exact")?.f64()?.mean().unwrap_or(f64::NAN),
    })
}

/// Per sample: every component's std across runs, and the total's mean, min, max, count.
#[allow(deprecated)] // eager GroupBy aggregations: see the module documentation
fn per_sample(df: &DataFrame) -> PolarsResult<DataFrame> {
    let std = df.group_by_stable(["id"])?.select(COMPONENTS).std(1)?;
    let total = || df.group_by_stable(["id"]).map(|g| g.select(["total"]));
    let mut out = std;
    for part in [total()?.mean()?, total()?.min()?, total()?.max()?, total()?.count()?] {
        for column in part.columns().iter().filter(|c| c.name() != "id") {
            out.with_column(column.clone())?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, run: u32, total: f64, parse_ok: bool) -> Row {
        Row {
            id: id.to_string(),
            run,
            pitch: total,
            metre: 0.0,
            tempo: 0.0,
            instrument: 0.0,
            total,
            parse_ok,
            missing: if parse_ok { Vec::new() } else { vec![Field::Tempo] },
            onset_f1: 1.0 - total,
            key_exact: parse_ok,
        }
    }

    #[test]
    fn statistics_per_component_and_per_sample() {
        let rows = [row("a", 0, 0.0, true), row("a", 1, 0.5, true), row("b", 0, 0.25, false), row("b", 1, 0.25, true)];
        let summary = summarize(&rows).expect("valid rows");
        let total = &summary.components[4];
        assert_eq!(total.name, "total");
        assert_eq!(total.mean, 0.25);
        assert_eq!(total.median, 0.25);
        // Sample std of [0, 0.5, 0.25, 0.25]: sqrt(0.125 / 3).
        assert!((total.std.expect("4 values") - (0.125f64 / 3.0).sqrt()).abs() < 1e-12);
        // Std across runs: a: sqrt(0.125), b: 0; mean over samples.
        assert!((total.run_spread.expect("2 runs") - 0.125f64.sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(summary.components[1].run_spread, Some(0.0));
        assert_eq!(
            summary.samples[0],
            SampleStats { id: "a".to_string(), runs: 2, mean: 0.25, min: 0.0, max: 0.5, std: Some(0.125f64.sqrt()) }
        );
        assert_eq!(summary.parse_failures, 1);
        assert_eq!(summary.missing, [(Field::Metre, 0), (Field::Tempo, 1), (Field::Key, 0), (Field::Notes, 0)]);
        assert_eq!(summary.mean_onset_f1, 0.75);
        assert_eq!(summary.key_accuracy, 0.75);
    }

    #[test]
    fn one_run_has_no_spread() {
        let summary = summarize(&[row("a", 0, 0.5, true)]).expect("valid rows");
        assert_eq!(summary.components[4].std, None);
        assert_eq!(summary.components[4].run_spread, None);
        assert_eq!(summary.samples[0].std, None);
    }
}

#[cfg(test)]
mod bootstrap_tests {
    use super::*;

    #[test]
    fn the_bootstrap_interval_brackets_the_mean_and_is_reproducible() {
        let clips: Vec<Vec<f64>> = (0..30).map(|i| vec![f64::from(i) / 30.0; 3]).collect();
        let (low, high) = bootstrap_ci95(&clips).expect("30 clips");
        let mean = 29.0 / 60.0;
        assert!(low < mean && mean < high, "{low} {mean} {high}");
        // The standard error of the mean of 30 uniform values on [0, 1) is about 0.053:
        // the interval is about 4 of them wide.
        assert!((0.15..0.28).contains(&(high - low)), "{low} {high}");
        assert_eq!(bootstrap_ci95(&clips), Some((low, high)));
        assert_eq!(bootstrap_ci95(&clips[..1]), None);
    }
}
