//! Kaplan–Meier estimator over counts aggregated per day.
//!
//! The service never loads one row per request: it asks the database for, per
//! day `t` after sending, how many requests got their first response on day
//! `t` (`events`) and how many were still unanswered when last observed on day
//! `t` (`censored`: pending at the analysis date, or withdrawn before any
//! response — see docs/DOMAIN.md §8.2). [`estimate`] turns those counts into
//! a [`Curve`].
//!
//! # Definitions (what an auditor can recompute)
//!
//! Let the distinct days with at least one request be `t_1 < t_2 < …`, with
//! `d_i` events and `c_i` censorings on `t_i`, and `N` requests in all.
//!
//! * **At risk** on `t_i`: `n_i = N − Σ_{j<i} (d_j + c_j)`. On a day with both
//!   events and censorings the events come first: requests censored on `t_i`
//!   are still at risk on `t_i` (the usual convention, and lifelines').
//! * **Survival**: `S(t) = Π_{t_i ≤ t} (n_i − d_i) / n_i`, a right-continuous
//!   step function, `1` before the first event. `S(t)` is the share of
//!   requests still without a first response `t` days after sending.
//! * **Median**: the smallest `t` with `S(t) ≤ 0.5`; `None` ("not reached")
//!   when `S` never falls to `0.5`. The comparison is exact: the product is
//!   also kept as a reduced fraction in `u128` while it fits (`num ≤ den / 2`), so a survival of
//!   exactly one half (e.g. 3 of 6 requests answered, no censoring) counts as
//!   reached. lifelines compares its floating-point `exp(Σ log)` instead, which
//!   can land one ulp above `0.5` and then reports the next day: there the
//!   definition above wins. Should the fraction outgrow `u128` (only with many
//!   censorings among many requests), the `f64` product is compared, which
//!   can only be wrong when the true `S` lies within about `1e-16` of `0.5`.
//! * **95 % confidence interval**, Greenwood's variance on the log(−log)
//!   scale ("exponential Greenwood", R's `conf.type = "log-log"`, lifelines'
//!   `KaplanMeierFitter.confidence_interval_` with `alpha = 0.05`):
//!
//!   ```text
//!   σ²(t)  = Σ_{t_i ≤ t, n_i > d_i} d_i / (n_i (n_i − d_i))
//!   v      = ln S(t)                        (negative)
//!   lower  = exp(−exp(ln(−v) − z·σ/v))      = S^exp(−z·σ/ln S)
//!   upper  = exp(−exp(ln(−v) + z·σ/v))      = S^exp(+z·σ/ln S)
//!   z      = Φ⁻¹(0.975) = 1.959963984540054
//!   ```
//!
//!   Edge cases, as lifelines: where `S = 1` (before any event) the formula
//!   is `0/0` and the interval is `[1, 1]`; where `S = 0` (every request still
//!   at risk got its response) it is `[0, 0]`. A day where `n_i = d_i` adds
//!   nothing to `σ²` (lifelines replaces that infinite term by 0).
//!
//! * **95 % interval of the median** (Brookmeyer–Crowley read off the band
//!   above, as lifelines' `median_survival_times(confidence_interval_)`):
//!   from the first day the band's lower bound is `≤ 0.5` to the first day
//!   its upper bound is; either end `None` ("not reached") when that bound
//!   never falls to one half. Both are compared in floating point, as
//!   lifelines does.
//!
//! The estimator has been checked against lifelines 0.30 on the data sets in
//! `tests/fixtures/km/` (made by `scripts/km-reference`; `tests/api/km_reference.rs`).

/// Requests last observed on one day after sending, as the SQL `GROUP BY`
/// returns them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayCount {
    /// Days after sending.
    pub day: u32,
    /// Requests whose first response came on `day`.
    pub events: u64,
    /// Requests still unanswered, observed up to `day` only (right-censored).
    pub censored: u64,
}

/// One row of the estimate: a day on which at least one request had an event
/// or was censored. Censor-only days are kept (survival and interval carried
/// over from the day before) so the at-risk table is complete; a curve with
/// no event has only such rows, all at `S = 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub day: u32,
    /// Requests still at risk at the start of `day` (including those
    /// censored on `day`).
    pub at_risk: u64,
    pub events: u64,
    pub censored: u64,
    /// `S(day)`, after this day's events.
    pub survival: f64,
    /// Lower bound of the 95 % log(−log) Greenwood interval of `S(day)`.
    pub lower: f64,
    /// Upper bound of the same interval.
    pub upper: f64,
}

/// A Kaplan–Meier survival curve; see the module documentation for the
/// formulas.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    steps: Vec<Step>,
    requests: u64,
    median: Option<u32>,
}

/// `Φ⁻¹(0.975)`, the normal quantile of a two-sided 95 % interval, as
/// `scipy.stats.norm.ppf(0.975)`.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Estimates the curve. The counts may come in any order and may repeat a
/// day (they are added up); entries with no request are ignored.
pub fn estimate(counts: impl IntoIterator<Item = DayCount>) -> Curve {
    let mut merged: Vec<DayCount> = counts
        .into_iter()
        .filter(|c| c.events != 0 || c.censored != 0)
        .collect();
    merged.sort_unstable_by_key(|c| c.day);
    merged.dedup_by(|later, kept| {
        if later.day == kept.day {
            kept.events += later.events;
            kept.censored += later.censored;
            true
        } else {
            false
        }
    });

    let requests: u64 = merged.iter().map(|c| c.events + c.censored).sum();
    let mut steps = Vec::with_capacity(merged.len());
    let mut at_risk = requests;
    // S as a reduced fraction while it fits in u128, and as an f64 product.
    let mut exact: Option<(u128, u128)> = Some((1, 1));
    let mut product = 1.0_f64;
    let mut greenwood = 0.0_f64;
    let (mut lower, mut upper) = (1.0, 1.0);
    let mut median = None;
    for c in merged {
        let n = at_risk;
        let d = c.events;
        if d > 0 {
            let left = n - d;
            exact = exact.and_then(|(num, den)| times(num, den, u128::from(left), u128::from(n)));
            product *= left as f64 / n as f64;
            if left > 0 {
                greenwood += d as f64 / (u128::from(n) * u128::from(left)) as f64;
            }
            let survival = survival_of(exact, product);
            (lower, upper) = loglog_interval(survival, greenwood);
            let reached = match exact {
                Some((num, den)) => num <= den / 2,
                None => product <= 0.5,
            };
            if median.is_none() && reached {
                median = Some(c.day);
            }
        }
        steps.push(Step {
            day: c.day,
            at_risk: n,
            events: d,
            censored: c.censored,
            survival: survival_of(exact, product),
            lower,
            upper,
        });
        at_risk = n - d - c.censored;
    }
    Curve {
        steps,
        requests,
        median,
    }
}

impl Curve {
    /// Requests behind the curve (events and censored).
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// One row per day with at least one request, ascending.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// `S(t)`: the share of requests still unanswered `t` days after sending
    /// (right-continuous: the events of day `t` are already counted; 1.0
    /// before the first event and for an empty curve).
    pub fn survival_at(&self, t: u32) -> f64 {
        self.step_at(t).map_or(1.0, |s| s.survival)
    }

    /// The 95 % interval `(lower, upper)` of `S(t)`, `(1.0, 1.0)` before the
    /// first event.
    pub fn interval_at(&self, t: u32) -> (f64, f64) {
        self.step_at(t).map_or((1.0, 1.0), |s| (s.lower, s.upper))
    }

    /// The smallest `t` with `S(t) ≤ 0.5`, compared exactly; `None` when the
    /// curve never falls to one half ("not reached").
    pub fn median(&self) -> Option<u32> {
        self.median
    }

    /// The average day of the events: the mean delay over the requests
    /// that had one, ignoring those still waiting (`None` without any).
    pub fn mean_event_day(&self) -> Option<f64> {
        let (mut days, mut events) = (0.0, 0u64);
        for s in &self.steps {
            days += f64::from(s.day) * s.events as f64;
            events += s.events;
        }
        (events > 0).then(|| days / events as f64)
    }

    /// The 95 % interval of the median: the first day the interval's lower
    /// bound falls to one half, and the first day its upper bound does;
    /// `None` where it never does.
    pub fn median_interval(&self) -> (Option<u32>, Option<u32>) {
        let first =
            |bound: fn(&Step) -> f64| self.steps.iter().find(|s| bound(s) <= 0.5).map(|s| s.day);
        (first(|s| s.lower), first(|s| s.upper))
    }

    fn step_at(&self, t: u32) -> Option<&Step> {
        let after = self.steps.partition_point(|s| s.day <= t);
        after.checked_sub(1).map(|i| &self.steps[i])
    }
}

fn survival_of(exact: Option<(u128, u128)>, product: f64) -> f64 {
    match exact {
        Some((num, den)) => num as f64 / den as f64,
        None => product,
    }
}

/// `num/den × a/b`, reduced, or `None` when it no longer fits in `u128`.
/// `num/den` is reduced, `0 ≤ a ≤ b`, `b > 0`.
fn times(num: u128, den: u128, a: u128, b: u128) -> Option<(u128, u128)> {
    if a == 0 || num == 0 {
        return Some((0, 1));
    }
    let g = gcd(a, b);
    let (mut a, mut b) = (a / g, b / g);
    let g = gcd(num, b);
    let num = num / g;
    b /= g;
    let g = gcd(a, den);
    a /= g;
    let den = den / g;
    Some((num.checked_mul(a)?, den.checked_mul(b)?))
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The log(−log) Greenwood interval of `survival` with Greenwood's sum
/// `greenwood` (σ² / S²), evaluated as lifelines does.
pub(super) fn loglog_interval(survival: f64, greenwood: f64) -> (f64, f64) {
    if survival >= 1.0 {
        return (1.0, 1.0);
    }
    if survival <= 0.0 {
        return (0.0, 0.0);
    }
    let v = survival.ln();
    let shift = Z_95 * greenwood.sqrt() / v;
    let lower = (-((-v).ln() - shift).exp()).exp();
    let upper = (-((-v).ln() + shift).exp()).exp();
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc(day: u32, events: u64, censored: u64) -> DayCount {
        DayCount {
            day,
            events,
            censored,
        }
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// The closed form `S^exp(∓z·σ/ln S)`, written independently of
    /// `interval`.
    fn loglog(s: f64, var: f64) -> (f64, f64) {
        let k = (Z_95 * var.sqrt() / s.ln()).exp();
        (s.powf(1.0 / k), s.powf(k))
    }

    #[test]
    fn empty_input() {
        let c = estimate(Vec::new());
        assert_eq!(c.requests(), 0);
        assert!(c.steps().is_empty());
        assert_eq!(c.median(), None);
        assert_eq!(c.survival_at(0), 1.0);
        assert_eq!(c.survival_at(365), 1.0);
        assert_eq!(c.interval_at(365), (1.0, 1.0));
        // Zero-count rows are no requests at all.
        assert_eq!(estimate([dc(4, 0, 0)]), c);
    }

    #[test]
    fn all_censored_stays_at_one() {
        // 5 requests, none answered: 3 pending since day 10, 2 since day 20.
        let c = estimate([dc(10, 0, 3), dc(20, 0, 2)]);
        assert_eq!(c.requests(), 5);
        assert_eq!(c.median(), None);
        let s = c.steps();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].day, s[0].at_risk, s[0].censored), (10, 5, 3));
        assert_eq!((s[1].day, s[1].at_risk, s[1].censored), (20, 2, 2));
        for step in s {
            assert_eq!((step.survival, step.lower, step.upper), (1.0, 1.0, 1.0));
        }
        assert_eq!(c.survival_at(1000), 1.0);
    }

    #[test]
    fn events_on_distinct_days() {
        // 4 requests answered on days 1, 2, 3, 4.
        // S: 3/4, 3/4·2/3 = 1/2, 1/2·1/2 = 1/4, 1/4·0/1 = 0.
        // σ²: 1/(4·3) = 1/12; + 1/(3·2) → 1/4; + 1/(2·1) → 3/4; day 4 has
        // n = d, adds nothing → 3/4.
        // Median: S(2) = 1/2 exactly ≤ 0.5 → day 2.
        let c = estimate([dc(1, 1, 0), dc(2, 1, 0), dc(3, 1, 0), dc(4, 1, 0)]);
        let s = c.steps();
        let expect = [(4, 0.75, 1.0 / 12.0), (3, 0.5, 0.25), (2, 0.25, 0.75)];
        for (step, &(n, surv, var)) in s.iter().zip(&expect) {
            assert_eq!(step.at_risk, n);
            assert_eq!(step.survival, surv);
            let (lo, up) = loglog(surv, var);
            assert!(close(step.lower, lo, 1e-12), "{step:?} vs {lo}");
            assert!(close(step.upper, up, 1e-12), "{step:?} vs {up}");
            assert!(step.lower < step.survival && step.survival < step.upper);
        }
        // At day 2: z·σ/|ln S| = 1.959964·0.5/0.693147 = 1.413806, so
        // lower = 0.5^e^1.413806 = 0.5^4.11157 = e^−2.84993 ≈ 0.05785,
        // upper = 0.5^e^−1.413806 = 0.5^0.243216 = e^−0.168583 ≈ 0.84486.
        assert!(close(s[1].lower, 0.05785, 1e-5), "{:?}", s[1]);
        assert!(close(s[1].upper, 0.84486, 1e-5), "{:?}", s[1]);
        assert_eq!(
            (s[3].at_risk, s[3].survival, s[3].lower, s[3].upper),
            (1, 0.0, 0.0, 0.0)
        );
        assert_eq!(c.median(), Some(2));
        assert_eq!(c.survival_at(0), 1.0);
        assert_eq!(c.survival_at(1), 0.75);
        assert_eq!(c.survival_at(2), 0.5);
        assert_eq!(c.survival_at(100), 0.0);
        assert_eq!(c.interval_at(0), (1.0, 1.0));
    }

    #[test]
    fn ties_events_before_censorings() {
        // 6 requests. Day 5: 2 answered, 1 censored; day 8: 1 answered,
        // 1 censored; day 12: 1 censored.
        // Day 5: n = 6 (the censored one still at risk), S = 4/6 = 2/3.
        //        (Censoring first would give n = 5, S = 3/5.)
        // Day 8: n = 6 − 3 = 3, S = 2/3 · 2/3 = 4/9 ≤ 0.5 → median 8.
        // Day 12: n = 1, censor only, S stays 4/9.
        // σ²: 2/(6·4) = 1/12, then + 1/(3·2) = 1/4.
        let c = estimate([dc(5, 2, 1), dc(8, 1, 1), dc(12, 0, 1)]);
        assert_eq!(c.requests(), 6);
        let s = c.steps();
        assert_eq!(s.iter().map(|s| s.at_risk).collect::<Vec<_>>(), [6, 3, 1]);
        assert!(close(s[0].survival, 2.0 / 3.0, 1e-15));
        assert!(close(s[1].survival, 4.0 / 9.0, 1e-15));
        assert_eq!(s[2].survival, s[1].survival);
        assert_eq!((s[2].lower, s[2].upper), (s[1].lower, s[1].upper));
        let (lo, up) = loglog(4.0 / 9.0, 0.25);
        assert!(close(s[1].lower, lo, 1e-12) && close(s[1].upper, up, 1e-12));
        assert_eq!(c.median(), Some(8));
        assert_eq!(c.survival_at(7), s[0].survival);
    }

    #[test]
    fn single_request() {
        // Answered on day 3: n = 1, d = 1, S = 0, interval [0, 0], median 3.
        let c = estimate([dc(3, 1, 0)]);
        assert_eq!(c.requests(), 1);
        assert_eq!(c.survival_at(2), 1.0);
        assert_eq!(c.survival_at(3), 0.0);
        assert_eq!(c.interval_at(3), (0.0, 0.0));
        assert_eq!(c.median(), Some(3));
        // Still pending on day 3: S = 1, not reached.
        let c = estimate([dc(3, 0, 1)]);
        assert_eq!(c.requests(), 1);
        assert_eq!(c.survival_at(3), 1.0);
        assert_eq!(c.interval_at(3), (1.0, 1.0));
        assert_eq!(c.median(), None);
    }

    #[test]
    fn unsorted_and_repeated_days_are_merged() {
        // The same data as `ties_events_before_censorings`, shuffled, split
        // and padded with an empty row.
        let c = estimate([
            dc(8, 1, 0),
            dc(5, 1, 1),
            dc(12, 0, 1),
            dc(3, 0, 0),
            dc(5, 1, 0),
            dc(8, 0, 1),
        ]);
        assert_eq!(c, estimate([dc(5, 2, 1), dc(8, 1, 1), dc(12, 0, 1)]));
        let s = c.steps();
        assert_eq!(
            s.iter()
                .map(|s| (s.day, s.events, s.censored))
                .collect::<Vec<_>>(),
            [(5, 2, 1), (8, 1, 1), (12, 0, 1)]
        );
    }

    #[test]
    fn exactly_one_half_reaches_the_median() {
        // 6 requests answered on days 1..=6: S(3) = 3/6 = 1/2 exactly. The
        // f64 product 5/6·4/5·3/4 and lifelines' exp(Σ log) both come out
        // at 0.5000000000000001; the exact "S(t) ≤ 0.5" of the median's
        // definition (docs/DOMAIN.md §8.3) holds at day 3.
        let c = estimate((1..=6).map(|d| dc(d, 1, 0)));
        assert_eq!(c.survival_at(3), 0.5);
        assert_eq!(c.median(), Some(3));
        // With censoring in between: 12 requests; day 1: 4 answered
        // (S = 8/12 = 2/3); day 2: 4 censored (n = 8); day 3: 1 of n = 4
        // answered, S = 2/3 · 3/4 = 1/2 exactly; day 5: 3 censored.
        let c = estimate([dc(1, 4, 0), dc(2, 0, 4), dc(3, 1, 0), dc(5, 0, 3)]);
        assert_eq!(c.steps()[2].at_risk, 4);
        assert_eq!(c.survival_at(3), 0.5);
        assert_eq!(c.median(), Some(3));
        // Above one half is not reached: 5 requests, 2 answered on day 1
        // (S = 3/5), the other 3 censored on day 9 → None.
        let c = estimate([dc(1, 2, 0), dc(9, 0, 3)]);
        assert_eq!(c.median(), None);
    }

    #[test]
    fn events_on_day_zero() {
        // Answered the day it was sent: S(0) already counts it.
        // 2 requests, one answered on day 0, one on day 4: S(0) = 1/2 → median 0.
        let c = estimate([dc(0, 1, 0), dc(4, 1, 0)]);
        assert_eq!(c.survival_at(0), 0.5);
        assert_eq!(c.median(), Some(0));
        assert_eq!(c.survival_at(4), 0.0);
    }

    #[test]
    fn beyond_u128_falls_back_to_the_product() {
        // 1,000 requests; each day 1 answered and 1 censored: the exact
        // fraction outgrows u128 after a few dozen days, the f64 product takes
        // over and still agrees with an independent f64 product.
        let c = estimate((1..=500).map(|d| dc(d, 1, 1)));
        let mut s = 1.0_f64;
        for (i, step) in c.steps().iter().enumerate() {
            let n = 1000 - 2 * i as u64;
            assert_eq!(step.at_risk, n);
            s *= (n - 1) as f64 / n as f64;
            assert!(close(step.survival, s, 1e-12), "{step:?} vs {s}");
            assert!(step.lower <= step.survival && step.survival <= step.upper);
        }
        let first_half = c.steps().iter().find(|s| s.survival <= 0.5).map(|s| s.day);
        assert_eq!(c.median(), first_half);
        assert!(c.median().is_some());
    }
}
