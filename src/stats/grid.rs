//! The published view's survival estimates: a life table on a coarse grid
//! of days, built from perturbed counts only (docs/DOMAIN.md §9.3).
//!
//! # Specification
//!
//! The **grid** is days 30, 60, 90, … and day 365 (so that the shares at
//! 180 and 365 days fall on it): `t_1 = 30 < t_2 = 60 < … < t_12 = 360 <
//! t_13 = 365 < t_14 = 390 < …`, up to the first point at or after the
//! longest observed time. With `t_0 = 0`:
//!
//! * `E_j` is the [cell](super::cellkey::Cell) of the requests whose event
//!   (first response, or execution) came on a day `≤ t_j`, and `C_j` that
//!   of the requests censored on a day `≤ t_j`; `E'_j`, `C'_j` are their
//!   published values, made non-decreasing (`E'_j = max(E'_{j−1},
//!   published(E_j))`). When nothing happened in an interval the two cells
//!   hold the same requests, hence the same noise: the curve stays flat.
//! * `N'` is the published count of the group's requests (the table's
//!   `requests`, or the timeline's `sent`).
//! * In the interval `(t_{j−1}, t_j]`: events `d_j = E'_j − E'_{j−1}`,
//!   censorings `c_j = C'_j − C'_{j−1}`, at risk at its start `n_j = N' −
//!   E'_{j−1} − C'_{j−1}`, and — the actuarial convention, censored
//!   requests being at risk for half the interval — `S(t_j) = S(t_{j−1}) ·
//!   (1 − d_j / (n_j − c_j / 2))`, `S(0) = 1`, a ratio above 1 taken as 1.
//!   The table ends at the first interval with no one at risk
//!   (`n_j − c_j / 2 ≤ 0`).
//! * **Share still waiting at `t`**: `S` at the last grid point `≤ t`
//!   (`1` before the first); **not estimable** after the table's last
//!   point, unless `S` fell to 0 there: no request was followed that long.
//! * **95 % interval** of `S(t_j)`: Greenwood's variance of the actuarial
//!   table, `σ²_j = Σ_{i ≤ j, n'_i > d_i} d_i / (n'_i (n'_i − d_i))` with
//!   `n'_i = n_i − c_i / 2`, on the log(−log) scale as the exact view's
//!   ([`super::km`]): `S^exp(∓z·σ/ln S)`, `[1, 1]` at `S = 1` and `[0, 0]`
//!   at `S = 0`. Computed from the published counts alone, like `S`.
//! * **Median**: where the line through the grid points first reaches
//!   `0.5`: with `j` the first point where `S(t_j) ≤ 0.5`,
//!   `t_{j−1} + (S(t_{j−1}) − 0.5) / (S(t_{j−1}) − S(t_j)) · (t_j −
//!   t_{j−1})`, rounded to the nearest day; "not reached" when no point is
//!   at or below `0.5`.
//! * **Mean delay of the events**: `Σ d_j · (t_{j−1} + t_j) / 2 / Σ d_j`,
//!   each interval's events at its midpoint; `None` without any event.
//! * **95 % interval of the median**: the same interpolation on the band's
//!   lower bound and on its upper bound (where each first reaches `0.5`);
//!   either end "not reached" when that bound never does.
//!
//! No per-request day, no count below the grid, no at-risk figure leaves
//! this module: a published curve is its points alone.

use super::cellkey::Cell;

/// A group's requests last observed on one day after sending, counted and
/// keyed: those with their event that day and those censored that day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyedDay {
    pub day: u32,
    pub events: Cell,
    pub censored: Cell,
}

/// The grid point after `t`.
fn next_point(t: u32) -> u32 {
    let next = (t / 30 + 1) * 30;
    if t < 365 && next > 365 { 365 } else { next }
}

/// A published survival curve: `S` and its interval at each grid point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridCurve {
    points: Vec<GridPoint>,
    mean_event_day: Option<f64>,
}

/// `S` at one grid point, with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridPoint {
    pub day: u32,
    pub survival: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The life table of a group of `requests` (published) from its per-day
/// counts, in any order.
pub fn estimate(days: &[KeyedDay], requests: u64) -> GridCurve {
    let mut days = days.to_vec();
    days.sort_by_key(|d| d.day);
    let Some(last_day) = days.last().map(|d| d.day) else {
        return GridCurve::default();
    };
    let at_risk_total = requests as f64;
    let (mut events, mut censored) = (Cell::default(), Cell::default());
    let (mut e_prev, mut c_prev) = (0u64, 0u64);
    let mut survival = 1.0;
    let mut greenwood = 0.0;
    let (mut event_days, mut all_events) = (0.0, 0.0);
    let mut points = Vec::new();
    let mut next = days.iter().peekable();
    let mut t = 0;
    while t < last_day {
        t = next_point(t);
        while let Some(d) = next.next_if(|d| d.day <= t) {
            events = events.plus(d.events);
            censored = censored.plus(d.censored);
        }
        let e = events.published().max(e_prev);
        let c = censored.published().max(c_prev);
        let at_risk = at_risk_total - e_prev as f64 - c_prev as f64;
        let exposed = at_risk - (c - c_prev) as f64 / 2.0;
        if exposed <= 0.0 {
            break;
        }
        let events = (e - e_prev) as f64;
        let before = points.last().map_or(0, |p: &GridPoint| p.day);
        event_days += events * f64::from(before + t) / 2.0;
        all_events += events;
        survival *= 1.0 - (events / exposed).min(1.0);
        if exposed > events {
            greenwood += events / (exposed * (exposed - events));
        }
        let (lower, upper) = super::km::loglog_interval(survival, greenwood);
        points.push(GridPoint {
            day: t,
            survival,
            lower,
            upper,
        });
        (e_prev, c_prev) = (e, c);
    }
    GridCurve {
        points,
        mean_event_day: (all_events > 0.0).then(|| event_days / all_events),
    }
}

impl GridCurve {
    /// `S` and its interval at each grid point of the table.
    pub fn points(&self) -> &[GridPoint] {
        &self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The share still waiting `t` days after sending, with its interval:
    /// the last grid point at or before `t`; `None` after the table's end
    /// (not estimable) unless `S` fell to 0.
    pub fn share_at(&self, t: u32) -> Option<GridPoint> {
        let last = self.points.last()?;
        if t > last.day && last.survival > 0.0 {
            return None;
        }
        Some(
            self.points
                .iter()
                .take_while(|p| p.day <= t)
                .last()
                .copied()
                .unwrap_or(GridPoint {
                    day: 0,
                    survival: 1.0,
                    lower: 1.0,
                    upper: 1.0,
                }),
        )
    }

    /// The share still waiting `t` days after sending (`S` of the last
    /// point after the table ends): what a curve draws.
    pub fn survival_at(&self, t: u32) -> f64 {
        self.points
            .iter()
            .take_while(|p| p.day <= t)
            .last()
            .map_or(1.0, |p| p.survival)
    }

    /// The mean delay of the events, each at its interval's midpoint.
    pub fn mean_event_day(&self) -> Option<f64> {
        self.mean_event_day
    }

    /// The interpolated median, `None` when not reached.
    pub fn median(&self) -> Option<u32> {
        self.first_half(|p| p.survival)
    }

    /// The interval of the median: where the band's lower and upper bounds
    /// reach one half, interpolated as the median; `None` where never.
    pub fn median_interval(&self) -> (Option<u32>, Option<u32>) {
        (self.first_half(|p| p.lower), self.first_half(|p| p.upper))
    }

    /// Where the line through `(day, value(point))` first reaches `0.5`,
    /// from `(0, 1)`, rounded to the day.
    fn first_half(&self, value: fn(&GridPoint) -> f64) -> Option<u32> {
        let mut before = (0u32, 1.0f64);
        for p in &self.points {
            let s = value(p);
            if s <= 0.5 {
                let (t0, s0) = before;
                let fraction = if s0 > s { (s0 - 0.5) / (s0 - s) } else { 1.0 };
                return Some((f64::from(t0) + fraction * f64::from(p.day - t0)).round() as u32);
            }
            before = (p.day, s);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell whose noise is 0 (a key in the middle of the table's `0`).
    fn exact(count: u64) -> Cell {
        Cell {
            count,
            key: (super::super::cellkey::KEY_SPACE / 2) as u32,
        }
    }

    fn day(day: u32, events: u64, censored: u64) -> KeyedDay {
        KeyedDay {
            day,
            events: exact(events),
            censored: exact(censored),
        }
    }

    #[test]
    fn the_grid_has_365_between_360_and_390() {
        let mut t = 0;
        let mut grid = Vec::new();
        while t < 420 {
            t = next_point(t);
            grid.push(t);
        }
        assert_eq!(
            grid,
            [
                30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 360, 365, 390, 420
            ]
        );
    }

    #[test]
    fn a_hand_worked_life_table() {
        // 10 requests: 4 answered by day 30, 2 censored on day 40 and 3
        // answered on day 50, 1 censored on day 70.
        // (0, 30]: n = 10, d = 4 → S = 0.6.
        // (30, 60]: n = 6, c = 2, d = 3 → 3 / 5 → S = 0.24.
        // (60, 90]: n = 1, c = 1 → exposed 0.5, d = 0 → S = 0.24.
        let curve = estimate(
            &[day(70, 0, 1), day(30, 4, 0), day(40, 0, 2), day(50, 3, 0)],
            10,
        );
        let points: Vec<(u32, f64)> = curve.points().iter().map(|p| (p.day, p.survival)).collect();
        assert_eq!(points.len(), 3);
        assert_eq!(points[0], (30, 0.6));
        assert!((points[1].1 - 0.24).abs() < 1e-12);
        assert_eq!(points[2].0, 90);
        assert_eq!(curve.survival_at(29), 1.0);
        assert_eq!(curve.survival_at(59), 0.6);
        assert!((curve.survival_at(365) - 0.24).abs() < 1e-12);
        // 0.5 between (30, 0.6) and (60, 0.24): 30 + 0.1 / 0.36 · 30 ≈ 38.3.
        assert_eq!(curve.median(), Some(38));
        // 4 events at 15, 3 at 45: (60 + 135) / 7.
        assert_eq!(curve.mean_event_day(), Some(195.0 / 7.0));
        // Followed to day 90 at most: S(90) is read, S(180) is not estimable.
        assert!((curve.share_at(90).unwrap().survival - 0.24).abs() < 1e-12);
        assert_eq!(curve.share_at(180), None);
        assert_eq!(curve.share_at(10).unwrap().survival, 1.0);
    }

    /// Greenwood's variance of the hand-worked table, and the log(−log)
    /// band written out: σ²₁ = 4 / (10 · 6), σ²₂ = σ²₁ + 3 / (5 · 2).
    #[test]
    fn the_band_is_greenwoods_on_the_exposed_counts() {
        let curve = estimate(
            &[day(70, 0, 1), day(30, 4, 0), day(40, 0, 2), day(50, 3, 0)],
            10,
        );
        let band = |s: f64, var: f64| {
            let k = (super::super::km::Z_95 * var.sqrt() / s.ln()).exp();
            (s.powf(1.0 / k), s.powf(k))
        };
        let p = curve.points();
        let v1 = 4.0 / 60.0;
        let v2 = v1 + 3.0 / 10.0;
        for (point, (s, var)) in p.iter().zip([(0.6, v1), (0.24, v2), (0.24, v2)]) {
            let (lower, upper) = band(s, var);
            assert!((point.lower - lower).abs() < 1e-12, "{point:?}");
            assert!((point.upper - upper).abs() < 1e-12, "{point:?}");
            assert!(point.lower < point.survival && point.survival < point.upper);
        }
        // The lower bound crosses one half before the median, the upper
        // after it (or never).
        let (low, high) = curve.median_interval();
        assert!(low.unwrap() <= 38, "{low:?}");
        assert!(high.is_none_or(|h| h >= 38), "{high:?}");
    }

    #[test]
    fn a_curve_that_never_halves_has_no_median() {
        let curve = estimate(&[day(10, 1, 0), day(100, 0, 9)], 10);
        assert_eq!(curve.median(), None);
        assert!((curve.share_at(120).unwrap().survival - 0.9).abs() < 1e-12);
        assert_eq!(curve.share_at(121), None, "followed to day 100 only");
        assert_eq!(curve.median_interval().1, None);
        assert!(estimate(&[], 0).is_empty());
        assert_eq!(estimate(&[], 0).share_at(30), None);
    }

    #[test]
    fn no_one_at_risk_ends_the_table() {
        // The published N' (3) is below what the intervals remove.
        let curve = estimate(&[day(10, 3, 0), day(40, 2, 0)], 3);
        let points: Vec<(u32, f64, f64, f64)> = curve
            .points()
            .iter()
            .map(|p| (p.day, p.survival, p.lower, p.upper))
            .collect();
        assert_eq!(points, [(30, 0.0, 0.0, 0.0)]);
        assert_eq!(curve.median(), Some(15), "halfway from (0, 1) to (30, 0)");
        assert_eq!(curve.share_at(365).unwrap().survival, 0.0, "0 stays 0");
    }
}
