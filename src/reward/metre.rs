//! Metre loss: how far a predicted time signature is from the true one.
//!
//! Three differences are combined, as the recipe describes (numerator, denominator and
//! their ratio): the relative numerator difference, the denominator difference in
//! octaves and the bar-length difference in quarter notes. `6/8` vs `3/4` (same bar,
//! other grouping) thus costs less than `4/4` vs `12/8`.

use super::config::MetreConfig;
use crate::score::TimeSignature;

/// Loss in [0, 1] between two time signatures; 0 when they are equal.
pub fn metre_loss(predicted: TimeSignature, truth: TimeSignature, cfg: &MetreConfig) -> f64 {
    cfg.ramp.eval(metre_difference(predicted, truth, cfg))
}

/// The weighted difference the ramp is applied to (>= 0). Zero numerators or
/// denominators (never valid) count as infinitely far.
fn metre_difference(a: TimeSignature, b: TimeSignature, cfg: &MetreConfig) -> f64 {
    if (a.numerator, a.denominator) == (b.numerator, b.denominator) {
        return 0.0;
    }
    if a.numerator == 0 || a.denominator == 0 || b.numerator == 0 || b.denominator == 0 {
        return f64::INFINITY;
    }
    let (na, da) = (f64::from(a.numerator), f64::from(a.denominator));
    let (nb, db) = (f64::from(b.numerator), f64::from(b.denominator));
    let numerator = (na - nb).abs() / na.max(nb);
    let denominator = (da / db).log2().abs();
    let bar_length = 4.0 * (na / da - nb / db).abs();
    cfg.numerator * numerator + cfg.denominator * denominator + cfg.bar_length * bar_length
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(numerator: u8, denominator: u8) -> TimeSignature {
        TimeSignature { tick: 0, numerator, denominator }
    }

    #[test]
    fn differences_combine_numerator_denominator_and_bar_length() {
        let cfg = MetreConfig::default();
        assert_eq!(metre_difference(ts(4, 4), ts(4, 4), &cfg), 0.0);
        assert_eq!(metre_difference(ts(4, 4), ts(3, 4), &cfg), 0.25 + 0.0 + 1.0);
        assert_eq!(metre_difference(ts(6, 8), ts(3, 4), &cfg), 0.5 + 1.0 + 0.0);
        assert_eq!(metre_difference(ts(2, 2), ts(4, 4), &cfg), 0.5 + 1.0 + 0.0);
        assert_eq!(metre_difference(ts(0, 4), ts(4, 4), &cfg), f64::INFINITY);
    }

    #[test]
    fn loss_is_zero_for_equal_and_one_for_invalid() {
        let cfg = MetreConfig::default();
        assert_eq!(metre_loss(ts(3, 4), ts(3, 4), &cfg), 0.0);
        assert_eq!(metre_loss(ts(3, 0), ts(3, 4), &cfg), 1.0);
        // 4/4 vs 3/4: difference 1.25 beyond the knee at 1 (scale 7/3).
        let expected = 1.0 - 0.7 * (-0.25f64 / (7.0 / 3.0)).exp();
        assert!((metre_loss(ts(4, 4), ts(3, 4), &cfg) - expected).abs() < 1e-12);
    }
}
