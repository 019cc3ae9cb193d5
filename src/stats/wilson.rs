//! The Wilson score interval of a proportion: what the published rates
//! (share answered, refused, abandoned for silence) carry as their 95 %
//! interval.
//!
//! # Definition
//!
//! For `x` successes among `n` trials, `p = x / n` and
//! `z = Φ⁻¹(0.975) = 1.959963984540054`:
//!
//! ```text
//! centre = (p + z² / 2n) / (1 + z² / n)
//! half   = z · √(p (1 − p) / n + z² / 4n²) / (1 + z² / n)
//! [low, high] = [centre − half, centre + half]  (exactly 0 at x = 0, 1 at x = n)
//! ```
//!
//! Unlike the normal ("Wald") interval it never leaves [0, 1] and does not
//! collapse to a point at 0 % or 100 %: 0 of 5 reads `[0 %, 43 %]`, which is
//! what a reader of a small count must be told. It is statsmodels'
//! `proportion_confint(method="wilson")` and scipy's
//! `binomtest(...).proportion_ci(method="wilson")`; `scripts/wilson-reference`
//! writes statsmodels' values to `tests/fixtures/wilson.json`, which
//! `tests/api/stats_reference.rs` compares with this.

/// `Φ⁻¹(0.975)`, the two-sided 95 % normal quantile.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The 95 % Wilson interval `(low, high)` of `successes / trials`; `None`
/// without a trial (nothing to estimate).
pub fn wilson(successes: u64, trials: u64) -> Option<(f64, f64)> {
    if trials == 0 {
        return None;
    }
    let x = successes.min(trials) as f64;
    let n = trials as f64;
    let p = x / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    // At 0 % and 100 % the bound is exactly 0 or 1 (the terms cancel);
    // rounding would leave it a hair inside.
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if x == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn textbook_values() {
        // Newcombe (1998), table I, 81 of 263: 0.2553 to 0.3662.
        let (low, high) = wilson(81, 263).unwrap();
        assert!((low - 0.2553).abs() < 5e-5 && (high - 0.3662).abs() < 5e-5);
        // 15 of 148: 0.0624 to 0.1605.
        let (low, high) = wilson(15, 148).unwrap();
        assert!((low - 0.0624).abs() < 5e-5 && (high - 0.1605).abs() < 5e-5);
    }

    #[test]
    fn the_ends_stay_inside_zero_and_one_without_collapsing() {
        let (low, high) = wilson(0, 5).unwrap();
        assert_eq!(low, 0.0);
        assert!((high - 0.4345).abs() < 1e-4, "{high}");
        let (low, high) = wilson(5, 5).unwrap();
        assert_eq!(high, 1.0);
        assert!(close(low, 1.0 - wilson(0, 5).unwrap().1));
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn symmetric_around_one_half() {
        for n in [1, 2, 7, 100, 10_001] {
            for x in 0..=n.min(50) {
                let (low, high) = wilson(x, n).unwrap();
                let (mirror_low, mirror_high) = wilson(n - x, n).unwrap();
                assert!(close(low, 1.0 - mirror_high) && close(high, 1.0 - mirror_low));
                assert!(low <= x as f64 / n as f64 && x as f64 / n as f64 <= high);
            }
        }
    }
}
