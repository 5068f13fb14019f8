//! Every constant of the reward in one place, with defaults, loadable from JSON.
//!
//! The reference recipe published only the shapes of its loss curves and the weights;
//! the constants below are ours and `docs/reward.md` justifies each. Any of them can be
//! overridden from a JSON file holding only the fields to change.

use serde::{Deserialize, Serialize};

/// All tunable constants of the reward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RewardConfig {
    pub weights: Weights,
    pub metre: MetreConfig,
    pub tempo: TempoConfig,
    pub voices: VoiceConfig,
    pub instrument: InstrumentConfig,
    pub onset: OnsetConfig,
}

/// A constant outside the range its formula needs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("reward config: {field} = {value} is invalid: {expected}")]
pub struct ConfigError {
    pub field: &'static str,
    pub value: f64,
    pub expected: &'static str,
}

impl RewardConfig {
    /// The defaults, or the JSON file at `path` over them; checked.
    pub fn load(path: Option<&std::path::Path>) -> anyhow::Result<RewardConfig> {
        use anyhow::Context;
        let cfg: RewardConfig = match path {
            None => RewardConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading reward config {}", path.display()))?;
                serde_json::from_str(&text).with_context(|| format!("parsing reward config {}", path.display()))?
            }
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every constant. Scoring never panics with an invalid config (losses are
    /// clamped), but the numbers would not mean what `docs/reward.md` says.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let w = &self.weights;
        for (field, value) in [
            ("weights.pitch", w.pitch),
            ("weights.metre", w.metre),
            ("weights.tempo", w.tempo),
            ("weights.instrument", w.instrument),
        ] {
            check(field, value, value >= 0.0, "a weight >= 0")?;
        }
        let sum = w.pitch + w.metre + w.tempo + w.instrument;
        check("weights (sum)", sum, sum > 0.0, "at least one positive weight")?;
        for (name, ramp) in [("metre.ramp", self.metre.ramp), ("tempo.ramp", self.tempo.ramp)] {
            check(name, ramp.knee, ramp.knee > 0.0, "knee > 0")?;
            check(name, ramp.at_knee, ramp.at_knee > 0.0 && ramp.at_knee < 1.0, "at_knee in (0, 1)")?;
        }
        let m = &self.metre;
        for (field, value) in [
            ("metre.numerator", m.numerator),
            ("metre.denominator", m.denominator),
            ("metre.bar_length", m.bar_length),
        ] {
            check(field, value, value >= 0.0, "a weight >= 0")?;
        }
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        check("voices.missing", self.voices.missing, unit(self.voices.missing), "in [0, 1]")?;
        check("voices.extra", self.voices.extra, unit(self.voices.extra), "in [0, 1]")?;
        let same_family = self.instrument.same_family;
        check("instrument.same_family", same_family, unit(same_family), "in [0, 1]")?;
        let tolerance = self.onset.tolerance_s;
        check("onset.tolerance_s", tolerance, tolerance >= 0.0 && tolerance.is_finite(), "seconds >= 0")
    }
}

fn check(field: &'static str, value: f64, ok: bool, expected: &'static str) -> Result<(), ConfigError> {
    if ok && value.is_finite() { Ok(()) } else { Err(ConfigError { field, value, expected }) }
}

/// Weights of the components in the total. The total is divided by their sum, so it
/// stays in [0, 1] whatever the weights (the defaults sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub pitch: f64,
    pub metre: f64,
    pub tempo: f64,
    pub instrument: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { pitch: 0.5, metre: 0.15, tempo: 0.15, instrument: 0.2 }
    }
}

/// A loss curve: linear from 0 up to `at_knee` at `knee`, then an exponential approach
/// to 1 whose slope at the knee equals the linear slope (see [`Ramp::eval`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    /// Where the linear part ends, in the unit of the difference (> 0).
    pub knee: f64,
    /// Loss at the knee, in (0, 1).
    pub at_knee: f64,
}

impl Ramp {
    /// The loss of a difference `x >= 0`, in [0, 1]:
    /// `x <= knee`: `at_knee * x / knee`;
    /// beyond: `1 - (1 - at_knee) * exp(-(x - knee) / s)` with `s = knee * (1 - at_knee) / at_knee`,
    /// the scale that makes the curve's slope continuous at the knee.
    /// Degenerate constants (knee <= 0, at_knee outside (0, 1)) give a step: 0 for
    /// `x == 0`, 1 otherwise. A NaN difference is the worst loss.
    pub fn eval(&self, x: f64) -> f64 {
        let x = x.abs();
        if x.is_nan() {
            return 1.0;
        }
        let valid = self.knee > 0.0 && self.at_knee > 0.0 && self.at_knee < 1.0;
        if !valid {
            return if x == 0.0 { 0.0 } else { 1.0 };
        }
        if x <= self.knee {
            return self.at_knee * x / self.knee;
        }
        let scale = self.knee * (1.0 - self.at_knee) / self.at_knee;
        (1.0 - (1.0 - self.at_knee) * (-(x - self.knee) / scale).exp()).clamp(0.0, 1.0)
    }
}

/// Metre loss: `ramp(numerator * |dn| / max(n) + denominator * |d log2 den| + bar * |d bar length|)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetreConfig {
    /// Weight of the relative numerator difference `|n1 - n2| / max(n1, n2)`.
    pub numerator: f64,
    /// Weight of the denominator difference in octaves, `|log2(d1 / d2)|`.
    pub denominator: f64,
    /// Weight of the bar-length (ratio) difference in quarter notes, `4 |n1/d1 - n2/d2|`.
    pub bar_length: f64,
    pub ramp: Ramp,
}

impl Default for MetreConfig {
    fn default() -> Self {
        MetreConfig { numerator: 1.0, denominator: 1.0, bar_length: 1.0, ramp: Ramp { knee: 1.0, at_knee: 0.3 } }
    }
}

/// Tempo loss: `ramp(|predicted BPM - true BPM|)`, quarter-note BPM at the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TempoConfig {
    pub ramp: Ramp,
}

impl Default for TempoConfig {
    fn default() -> Self {
        TempoConfig { ramp: Ramp { knee: 10.0, at_knee: 0.2 } }
    }
}

/// Cost of voices left without a partner by the voice assignment (pitch and
/// instrument alike); a matched pair costs at most 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceConfig {
    /// A true voice the prediction lacks.
    pub missing: f64,
    /// A predicted voice the truth lacks.
    pub extra: f64,
}

impl Default for VoiceConfig {
    fn default() -> Self {
        VoiceConfig { missing: 1.0, extra: 1.0 }
    }
}

/// Instrument loss of one matched voice: 0 for the same name, `same_family` for the
/// same General MIDI family, else `same_family + (1 - same_family) * (1 - similarity)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstrumentConfig {
    pub same_family: f64,
}

impl Default for InstrumentConfig {
    fn default() -> Self {
        InstrumentConfig { same_family: 0.5 }
    }
}

/// Note onset matching (reported, not weighted), as mir_eval's transcription metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnsetConfig {
    /// Largest onset difference of a matched note pair, in seconds.
    pub tolerance_s: f64,
}

impl Default for OnsetConfig {
    fn default() -> Self {
        OnsetConfig { tolerance_s: 0.05 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_is_linear_then_slope_continuous_exponential() {
        let ramp = Ramp { knee: 10.0, at_knee: 0.2 };
        assert_eq!(ramp.eval(0.0), 0.0);
        assert_eq!(ramp.eval(5.0), 0.1);
        assert_eq!(ramp.eval(-5.0), 0.1);
        assert_eq!(ramp.eval(10.0), 0.2);
        // Scale 40: 1 - 0.8 * exp(-1).
        assert!((ramp.eval(50.0) - (1.0 - 0.8 * (-1.0f64).exp())).abs() < 1e-12);
        let slope_after = (ramp.eval(10.0 + 1e-6) - ramp.eval(10.0)) / 1e-6;
        assert!((slope_after - 0.02).abs() < 1e-6);
        assert_eq!(ramp.eval(f64::INFINITY), 1.0);
        assert_eq!(ramp.eval(f64::NAN), 1.0);
    }

    #[test]
    fn degenerate_ramp_is_a_step() {
        let ramp = Ramp { knee: 0.0, at_knee: 0.2 };
        assert_eq!(ramp.eval(0.0), 0.0);
        assert_eq!(ramp.eval(0.1), 1.0);
    }

    #[test]
    fn partial_json_overrides_only_what_it_names() {
        let cfg: RewardConfig =
            serde_json::from_str(r#"{"weights": {"pitch": 1.0}, "tempo": {"ramp": {"knee": 5, "at_knee": 0.5}}}"#)
                .expect("valid config");
        assert_eq!(cfg.weights.pitch, 1.0);
        assert_eq!(cfg.weights.metre, 0.15);
        assert_eq!(cfg.tempo.ramp, Ramp { knee: 5.0, at_knee: 0.5 });
        assert_eq!(cfg.metre, MetreConfig::default());
        assert!(serde_json::from_str::<RewardConfig>(r#"{"wieghts": {}}"#).is_err());
    }

    #[test]
    fn validation_names_the_bad_constant() {
        assert_eq!(RewardConfig::default().validate(), Ok(()));
        let mut cfg = RewardConfig::default();
        cfg.tempo.ramp.at_knee = 1.5;
        let err = cfg.validate().expect_err("at_knee 1.5 is out of range");
        assert_eq!(err.to_string(), "reward config: tempo.ramp = 1.5 is invalid: at_knee in (0, 1)");
    }
}
