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
//!   (`1` before the first, `S` of the last point after the table ends).
//! * **Median**: where the line through the grid points first reaches
//!   `0.5`: with `j` the first point where `S(t_j) ≤ 0.5`,
//!   `t_{j−1} + (S(t_{j−1}) − 0.5) / (S(t_{j−1}) − S(t_j)) · (t_j −
//!   t_{j−1})`, rounded to the nearest day; "not reached" when no point is
//!   at or below `0.5`.
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

/// A published survival curve: `S` at each grid point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridCurve {
    points: Vec<(u32, f64)>,
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
        survival *= 1.0 - ((e - e_prev) as f64 / exposed).min(1.0);
        points.push((t, survival));
        (e_prev, c_prev) = (e, c);
    }
    GridCurve { points }
}

impl GridCurve {
    /// `(day, S)` at each grid point of the table.
    pub fn points(&self) -> &[(u32, f64)] {
        &self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The share still waiting `t` days after sending.
    pub fn survival_at(&self, t: u32) -> f64 {
        self.points
            .iter()
            .take_while(|(day, _)| *day <= t)
            .last()
            .map_or(1.0, |(_, s)| *s)
    }

    /// The interpolated median, `None` when not reached.
    pub fn median(&self) -> Option<u32> {
        let mut before = (0u32, 1.0f64);
        for &(day, s) in &self.points {
            if s <= 0.5 {
                let (t0, s0) = before;
                let fraction = if s0 > s { (s0 - 0.5) / (s0 - s) } else { 1.0 };
                return Some((f64::from(t0) + fraction * f64::from(day - t0)).round() as u32);
            }
            before = (day, s);
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
        let points: Vec<(u32, f64)> = curve.points().to_vec();
        assert_eq!(points.len(), 3);
        assert_eq!(points[0], (30, 0.6));
        assert!((points[1].1 - 0.24).abs() < 1e-12);
        assert_eq!(points[2].0, 90);
        assert_eq!(curve.survival_at(29), 1.0);
        assert_eq!(curve.survival_at(59), 0.6);
        assert!((curve.survival_at(365) - 0.24).abs() < 1e-12);
        // 0.5 between (30, 0.6) and (60, 0.24): 30 + 0.1 / 0.36 · 30 ≈ 38.3.
        assert_eq!(curve.median(), Some(38));
    }

    #[test]
    fn a_curve_that_never_halves_has_no_median() {
        let curve = estimate(&[day(10, 1, 0), day(100, 0, 9)], 10);
        assert_eq!(curve.median(), None);
        assert!((curve.survival_at(365) - 0.9).abs() < 1e-12);
        assert!(estimate(&[], 0).is_empty());
    }

    #[test]
    fn no_one_at_risk_ends_the_table() {
        // The published N' (3) is below what the intervals remove.
        let curve = estimate(&[day(10, 3, 0), day(40, 2, 0)], 3);
        assert_eq!(curve.points(), &[(30, 0.0)]);
        assert_eq!(curve.median(), Some(15), "halfway from (0, 1) to (30, 0)");
    }
}
