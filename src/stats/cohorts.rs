//! Cohorts at a fixed horizon (`GET /stats/cohorts`, docs/DOMAIN.md §8.4):
//! per bucket of `sent_at` (a cohort), how many requests were sent, how many
//! had a first substantive response within the horizon (90, 180 or 365
//! days), and the share answered within it with its 95 % interval.
//!
//! A cohort is **complete** when every one of its requests could be
//! observed for the whole horizon: the last day of its period (or
//! `sent_to`, if earlier) plus the horizon is on or before `as_of`. That is
//! a fact of the parameters, not of the data. A complete cohort's share is
//! `answered_within / sent` with its Wilson interval ([`super::wilson`]); an
//! incomplete one's is `1 − S(horizon)` of the Kaplan–Meier curve of the
//! days to a first response (its interval `[1 − upper, 1 − lower]` of
//! `S`'s), or not estimable — `null`, never 0 % or 100 % — when none of its
//! requests was followed that long.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::aggregates::{Bucket, BucketDay, CohortCounts, Horizon, Population};
use super::km::{self, DayCount};
use super::wilson::wilson;
use super::{ShownRow, ShownTable, Survival, grid};

/// What decides which cohorts are complete: the analysis date, the end of
/// the period asked, the buckets and the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub as_of: NaiveDate,
    pub sent_to: Option<NaiveDate>,
    pub bucket: Bucket,
    pub horizon: Horizon,
}

impl Frame {
    pub fn of(population: &Population, bucket: Bucket, horizon: Horizon) -> Frame {
        Frame {
            as_of: population.as_of,
            sent_to: population.sent_to,
            bucket,
            horizon,
        }
    }

    /// The last day a request of the population can have been sent:
    /// `sent_to`, or `as_of` if earlier or without one.
    fn last_sent(&self) -> NaiveDate {
        self.sent_to.map_or(self.as_of, |to| to.min(self.as_of))
    }

    /// The last day a request of the cohort `label` can have been sent: the
    /// last day of its period, or [`Self::last_sent`] if earlier; `None`
    /// for a label that names no period.
    pub fn last_day(&self, label: &str) -> Option<NaiveDate> {
        period_end(self.bucket, label).map(|end| end.min(self.last_sent()))
    }

    /// Whether every request sent on or before `last_day` was observed for
    /// the whole horizon by `as_of`.
    fn complete_after(&self, last_day: NaiveDate) -> bool {
        last_day
            .checked_add_days(Days::new(u64::from(self.horizon.days())))
            .is_some_and(|end| end <= self.as_of)
    }

    /// Whether the cohort `label` is complete (an unreadable label is not).
    pub fn complete(&self, label: &str) -> bool {
        self.last_day(label)
            .is_some_and(|day| self.complete_after(day))
    }

    /// Whether every cohort the population may hold is complete, whatever
    /// the data: then no survival curve is needed.
    pub fn all_complete(&self) -> bool {
        self.complete_after(self.last_sent())
    }

    /// Whether the totals — the cohorts pooled — are complete: when the
    /// latest cohort is (then every one is); without any cohort, when the
    /// population's last possible day of sending is.
    fn totals_complete(&self, latest: Option<&str>) -> bool {
        latest.map_or_else(|| self.all_complete(), |label| self.complete(label))
    }
}

/// The last day of the period a bucket label names: `2025` (a year),
/// `2025-Q3` (a quarter) or `2025-07` (a month), as the database writes
/// them.
pub fn period_end(bucket: Bucket, label: &str) -> Option<NaiveDate> {
    let (year, rest) = match label.split_once('-') {
        Some((year, rest)) => (year.parse::<i32>().ok()?, Some(rest)),
        None => (label.parse::<i32>().ok()?, None),
    };
    let last_month = match (bucket, rest) {
        (Bucket::Year, None) => 12,
        (Bucket::Quarter, Some(q)) => match q.strip_prefix('Q')?.parse::<u32>().ok()? {
            q @ 1..=4 => q * 3,
            _ => return None,
        },
        (Bucket::Month, Some(m)) => match m.parse::<u32>().ok()? {
            m @ 1..=12 => m,
            _ => return None,
        },
        _ => return None,
    };
    let first_after = if last_month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, last_month + 1, 1)?
    };
    first_after.pred_opt()
}

/// One cohort's figures, exact; the totals have cohort `""`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortFigures {
    pub cohort: String,
    pub sent: u64,
    pub answered_within: u64,
    /// The share answered within the horizon and its 95 % interval: Wilson
    /// when `complete`, `1 − S(horizon)` of Kaplan–Meier otherwise; `None`
    /// when not estimable.
    pub share: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub complete: bool,
}

/// Cohorts in time order (buckets without any request left out), and the
/// totals (every cohort pooled).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohorts {
    pub cohorts: Vec<CohortFigures>,
    pub totals: CohortFigures,
}

/// The columns of a row, in the API's and the CSV's order.
pub const COLUMNS: [&str; 8] = [
    "cohort",
    "sent",
    "answered_within",
    "share",
    "ci_low",
    "ci_high",
    "complete",
    "suppressed",
];

/// The estimate and its interval: with the published `sent` they give
/// `answered_within` back, so they are hidden with it.
const DERIVED: [&str; 3] = ["share", "ci_low", "ci_high"];

/// A row from its counts (exact, or published) and, for an incomplete
/// cohort, the survival curve of its days to a first response.
fn figures<S: Survival>(
    cohort: &str,
    c: &CohortCounts,
    complete: bool,
    response: Option<&S>,
    horizon: Horizon,
) -> CohortFigures {
    let n = |v: i64| v.max(0) as u64;
    let (sent, answered_within) = (n(c.sent), n(c.answered_within));
    let estimate = if complete {
        // A published `answered_within` may exceed its published `sent`:
        // the share is then 1.
        wilson(answered_within, sent)
            .map(|(low, high)| (answered_within.min(sent) as f64 / sent as f64, low, high))
    } else {
        response
            .filter(|k| k.observed())
            .and_then(|k| k.share_at(horizon.days()))
            .map(|s| (1.0 - s.value, 1.0 - s.high, 1.0 - s.low))
    };
    CohortFigures {
        cohort: cohort.to_string(),
        sent,
        answered_within,
        share: estimate.map(|e| e.0),
        ci_low: estimate.map(|e| e.1),
        ci_high: estimate.map(|e| e.2),
        complete,
    }
}

/// The sum of the cohorts' counts (and of their cells).
fn totals(counts: &[CohortCounts]) -> CohortCounts {
    counts
        .iter()
        .fold(CohortCounts::default(), |total, c| total.plus(c))
}

/// Builds the exact table from what `db::stats` returned: the counts per
/// cohort and, unless every cohort is complete, the per-day counts of the
/// days to a first response per cohort.
pub fn table(counts: Vec<CohortCounts>, response_days: Vec<BucketDay>, frame: Frame) -> Cohorts {
    let mut by_bucket: std::collections::BTreeMap<String, Vec<DayCount>> = Default::default();
    let mut pooled = Vec::with_capacity(response_days.len());
    for d in response_days {
        pooled.push(d.count);
        by_bucket.entry(d.bucket).or_default().push(d.count);
    }
    let cohorts = counts
        .iter()
        .map(|c| {
            let complete = frame.complete(&c.bucket);
            let curve = by_bucket.remove(&c.bucket).map(km::estimate);
            figures(&c.bucket, c, complete, curve.as_ref(), frame.horizon)
        })
        .collect();
    let complete = frame.totals_complete(counts.last().map(|c| c.bucket.as_str()));
    Cohorts {
        cohorts,
        totals: figures(
            "",
            &totals(&counts),
            complete,
            Some(&km::estimate(pooled)),
            frame.horizon,
        ),
    }
}

/// The exact table as shown: every figure, nothing hidden.
pub fn exact(table: &Cohorts) -> ShownTable {
    ShownTable {
        rows: table.cohorts.iter().map(super::exact_row).collect(),
        totals: super::exact_row(&table.totals),
    }
}

/// The published view (docs/DOMAIN.md §9), as the timeline's
/// ([`super::timeline::published`]): `sent` and `answered_within` perturbed
/// by their cell keys (the totals as cells of their own); a complete
/// cohort's share and Wilson interval from those published counts, an
/// incomplete one's `1 − S(horizon)` and its band from the life table of
/// its perturbed per-day counts ([`grid`]) with the published `sent` at
/// risk; then counts from 1 to `threshold` − 1 hidden, `answered_within`
/// and the estimate hidden unless the published `sent` is
/// [`super::large_enough`], and the estimate also when `answered_within`
/// is hidden. `complete` is a fact of the parameters: always shown.
pub fn published(
    counts: &[CohortCounts],
    response_days: &[BucketDay],
    frame: Frame,
    threshold: u64,
) -> ShownTable {
    let (by_bucket, pooled) = super::keyed_days(
        response_days
            .iter()
            .map(|d| (d.bucket.as_str(), d.keys.keyed(d.count))),
    );
    let row = |cohort: &str, counts: &CohortCounts, days: &[grid::KeyedDay], complete: bool| {
        let p = counts.perturbed();
        let sent = p.sent.max(0) as u64;
        let curve = (!complete).then(|| grid::estimate(days, sent));
        let mut row: ShownRow = super::exact_row(&figures(
            cohort,
            &p,
            complete,
            curve.as_ref(),
            frame.horizon,
        ));
        let mut hidden = super::small_counts(&row, &CohortCounts::FIELDS, threshold);
        if !super::large_enough(sent, threshold) {
            hidden.extend(CohortCounts::FIELDS.iter().skip(1));
        }
        if hidden.contains(&"answered_within") {
            hidden.extend(DERIVED);
        }
        super::hide(&mut row, &COLUMNS, &hidden);
        row
    };
    let none = Vec::new();
    let complete = frame.totals_complete(counts.last().map(|c| c.bucket.as_str()));
    ShownTable {
        rows: counts
            .iter()
            .map(|c| {
                let days = by_bucket.get(&c.bucket).unwrap_or(&none);
                row(&c.bucket, c, days, frame.complete(&c.bucket))
            })
            .collect(),
        totals: row("", &totals(counts), &pooled, complete),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::aggregates::DayKeys;
    use crate::stats::cellkey::Cell;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn frame(as_of: &str, bucket: Bucket, horizon: Horizon) -> Frame {
        Frame {
            as_of: d(as_of),
            sent_to: None,
            bucket,
            horizon,
        }
    }

    /// Counts whose cells are keyed at u = 0.5 (noise 0 alone).
    fn counts(bucket: &str, sent: i64, answered_within: i64) -> CohortCounts {
        let cell = |n: i64| Cell::of(n, 1 << 31);
        CohortCounts::from_cells(bucket.into(), [cell(sent), cell(answered_within)])
    }

    fn day(bucket: &str, day: u32, events: u64, censored: u64) -> BucketDay {
        BucketDay {
            bucket: bucket.into(),
            count: DayCount {
                day,
                events,
                censored,
            },
            keys: DayKeys {
                events: 1 << 31,
                censored: 1 << 31,
            },
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    /// The log(−log) band of `S` with Greenwood's sum `var`, written out
    /// as in `km`'s tests: `S^(1/k)`, `S^k` with `k = exp(z·σ / ln S)`.
    fn band(s: f64, var: f64) -> (f64, f64) {
        let k = (km::Z_95 * var.sqrt() / s.ln()).exp();
        (s.powf(1.0 / k), s.powf(k))
    }

    #[test]
    fn periods_end_on_their_last_day() {
        assert_eq!(period_end(Bucket::Year, "2024"), Some(d("2024-12-31")));
        assert_eq!(
            period_end(Bucket::Quarter, "2024-Q1"),
            Some(d("2024-03-31"))
        );
        assert_eq!(
            period_end(Bucket::Quarter, "2024-Q4"),
            Some(d("2024-12-31"))
        );
        assert_eq!(period_end(Bucket::Month, "2024-02"), Some(d("2024-02-29")));
        for (bucket, bad) in [
            (Bucket::Year, "2024-Q1"),
            (Bucket::Quarter, "2024-Q5"),
            (Bucket::Quarter, "2024"),
            (Bucket::Month, "2024-13"),
            (Bucket::Month, "x-01"),
        ] {
            assert_eq!(period_end(bucket, bad), None, "{bad}");
        }
    }

    #[test]
    fn a_cohort_is_complete_once_its_last_day_is_a_horizon_old() {
        let f = frame("2025-12-31", Bucket::Year, Horizon::Days365);
        // 2024-12-31 + 365 days = 2025-12-31.
        assert!(f.complete("2024"));
        assert!(!frame("2025-12-30", Bucket::Year, Horizon::Days365).complete("2024"));
        assert!(!f.complete("2025"));
        // A quarter: 2025-09-30 + 90 days = 2025-12-29.
        let q = frame("2025-12-29", Bucket::Quarter, Horizon::Days90);
        assert!(q.complete("2025-Q3") && !q.complete("2025-Q4"));
        // `sent_to` ends the last cohort early: 2025-03-31 + 180 = 2025-09-27.
        let early = Frame {
            sent_to: Some(d("2025-03-31")),
            ..frame("2025-09-27", Bucket::Year, Horizon::Days180)
        };
        assert!(early.complete("2025") && early.all_complete());
        assert!(!f.all_complete(), "without sent_to, requests sent on as_of");
        assert!(!f.complete("nonsense"));
    }

    #[test]
    fn a_complete_cohort_takes_wilson_on_its_counts() {
        // 2024 as of 2026-05-31 with a 365-day horizon: complete. 7 of 10
        // answered within it: 0.7, Wilson [0.3968, 0.8922] (Newcombe).
        let f = frame("2026-05-31", Bucket::Year, Horizon::Days365);
        let t = table(vec![counts("2024", 10, 7)], Vec::new(), f);
        let row = &t.cohorts[0];
        assert!(row.complete);
        assert_eq!((row.sent, row.answered_within), (10, 7));
        assert!(close(row.share, 0.7));
        assert!((row.ci_low.unwrap() - 0.3968).abs() < 5e-5, "{row:?}");
        assert!((row.ci_high.unwrap() - 0.8922).abs() < 5e-5, "{row:?}");
        let (low, high) = wilson(7, 10).unwrap();
        assert_eq!((row.ci_low, row.ci_high), (Some(low), Some(high)));
        assert_eq!(
            t.totals,
            CohortFigures {
                cohort: String::new(),
                ..row.clone()
            }
        );
    }

    #[test]
    fn an_incomplete_cohort_takes_kaplan_meier() {
        // 2026-Q1 as of 2026-05-31 with a 90-day horizon: 2026-03-31 + 90
        // is 2026-06-29, later: incomplete. Five requests: answered on days
        // 10 and 40, one withdrawn on day 70, two waiting since day 100.
        // Day 10: 5 at risk, S = 4/5; day 40: 4 at risk, S = 3/5.
        // S(90) = 0.6: 40 % answered within 90 days; Greenwood's sum
        // 1 / (5 · 4) + 1 / (4 · 3).
        let f = frame("2026-05-31", Bucket::Quarter, Horizon::Days90);
        let days = vec![
            day("2026-Q1", 10, 1, 0),
            day("2026-Q1", 40, 1, 0),
            day("2026-Q1", 70, 0, 1),
            day("2026-Q1", 100, 0, 2),
        ];
        let t = table(vec![counts("2026-Q1", 5, 2)], days, f);
        let row = &t.cohorts[0];
        assert!(!row.complete);
        assert!(close(row.share, 0.4), "{row:?}");
        let (lower, upper) = band(0.6, 1.0 / 20.0 + 1.0 / 12.0);
        assert!(close(row.ci_low, 1.0 - upper), "{row:?}");
        assert!(close(row.ci_high, 1.0 - lower), "{row:?}");
        assert!(row.ci_low < row.share && row.share < row.ci_high);
        // Not Wilson: 2 of 5 would read 0.4 too, with another interval.
        assert_ne!(row.ci_low, wilson(2, 5).map(|w| w.0));
    }

    #[test]
    fn a_cohort_followed_less_than_the_horizon_is_not_estimable() {
        // 2026-Q2 as of 2026-05-31: its requests are followed 60 days at
        // most. One answered on day 5, two waiting since day 20: S(90) is
        // not estimable, so nothing — never 0 % or 100 %.
        let f = frame("2026-05-31", Bucket::Quarter, Horizon::Days90);
        let t = table(
            vec![counts("2026-Q2", 3, 1)],
            vec![day("2026-Q2", 5, 1, 0), day("2026-Q2", 20, 0, 2)],
            f,
        );
        let row = &t.cohorts[0];
        assert!(!row.complete);
        assert_eq!((row.share, row.ci_low, row.ci_high), (None, None, None));
        assert_eq!(row.answered_within, 1);
        let shown = exact(&t);
        assert!(shown.rows[0]["share"].is_null() && shown.rows[0]["ci_low"].is_null());
        assert_eq!(shown.rows[0]["suppressed"], serde_json::json!([]));
        // Every request answered before the horizon: estimable, and 100 %.
        let t = table(
            vec![counts("2026-Q2", 2, 2)],
            vec![day("2026-Q2", 5, 2, 0)],
            f,
        );
        assert_eq!(t.cohorts[0].share, Some(1.0));
    }

    #[test]
    fn totals_pool_the_cohorts_and_are_complete_when_the_latest_is() {
        let f = frame("2026-05-31", Bucket::Year, Horizon::Days365);
        let days = vec![
            day("2024", 30, 6, 0),
            day("2024", 500, 0, 4),
            day("2025", 100, 1, 0),
            day("2025", 400, 0, 1),
        ];
        let t = table(vec![counts("2024", 10, 6), counts("2025", 2, 1)], days, f);
        assert!(t.cohorts[0].complete && !t.cohorts[1].complete);
        assert!(!t.totals.complete);
        assert_eq!((t.totals.sent, t.totals.answered_within), (12, 7));
        // Pooled Kaplan–Meier: day 30, 12 at risk, 6 answered → 1/2; day
        // 100, 6 at risk, 1 answered → 5/12; 7/12 answered within 365 days.
        assert!(close(t.totals.share, 7.0 / 12.0), "{:?}", t.totals);
        // 2025 alone: 1 − 1/2 (day 100, 2 at risk).
        assert!(close(t.cohorts[1].share, 0.5));
        let none = table(Vec::new(), Vec::new(), f);
        assert_eq!(none.totals.share, None);
        assert!(!none.totals.complete);
    }

    #[test]
    fn the_published_view_perturbs_counts_and_hides_small_cohorts() {
        let f = frame("2026-05-31", Bucket::Year, Horizon::Days365);
        let mut old = counts("2024", 40, 24);
        old.sent_key = 1 << 30; // u = 0.25: noise −1
        // 2025 is incomplete: 20 requests, 8 answered by day 30, 12 waiting
        // since day 400. Its life table: (0, 30]: 20 at risk, 8 answered,
        // S = 0.6, flat to 390, where the 12 are censored.
        let cohorts = vec![old.clone(), counts("2025", 20, 8), counts("2026", 3, 1)];
        let days = vec![
            day("2024", 20, 24, 0),
            day("2024", 600, 0, 16),
            day("2025", 30, 8, 0),
            day("2025", 400, 0, 12),
            day("2026", 10, 1, 0),
            day("2026", 40, 0, 2),
        ];
        let shown = published(&cohorts, &days, f, 5);
        let [y2024, y2025, y2026] = [&shown.rows[0], &shown.rows[1], &shown.rows[2]];
        assert_eq!(y2024["sent"], 39, "40 with noise −1");
        assert_eq!(y2024["answered_within"], 24);
        assert_eq!(y2024["complete"], true);
        let (low, high) = wilson(24, 39).unwrap();
        assert_eq!(
            y2024["share"],
            24.0 / 39.0,
            "Wilson on the published counts"
        );
        assert_eq!(
            (y2024["ci_low"].as_f64(), y2024["ci_high"].as_f64()),
            (Some(low), Some(high))
        );

        assert_eq!(y2025["complete"], false);
        assert!(
            (y2025["share"].as_f64().unwrap() - 0.4).abs() < 1e-12,
            "{y2025:?}"
        );
        let (lower, upper) = band(0.6, 8.0 / (20.0 * 12.0));
        assert!((y2025["ci_low"].as_f64().unwrap() - (1.0 - upper)).abs() < 1e-12);
        assert!((y2025["ci_high"].as_f64().unwrap() - (1.0 - lower)).abs() < 1e-12);

        // Three requests: every count and the estimate hidden, `complete`
        // shown (a fact of the parameters).
        assert!(y2026["sent"].is_null() && y2026["share"].is_null());
        assert_eq!(y2026["complete"], false);
        assert_eq!(
            y2026["suppressed"],
            serde_json::json!(["sent", "answered_within", "share", "ci_low", "ci_high"])
        );
        let total = totals(&cohorts);
        assert_eq!(shown.totals["sent"], total.cells()[0].published());
        assert_eq!(
            shown.totals["answered_within"],
            total.cells()[1].published()
        );
        assert_eq!(shown.totals["complete"], false);
    }

    #[test]
    fn a_hidden_answered_within_hides_the_share() {
        // 30 sent, 2 answered within 365 days, a complete cohort: the share
        // with the published `sent` would give the hidden count back.
        let f = frame("2026-05-31", Bucket::Year, Horizon::Days365);
        let shown = published(&[counts("2023", 30, 2)], &[], f, 5);
        let row = &shown.rows[0];
        assert_eq!(row["sent"], 30);
        assert!(row["answered_within"].is_null() && row["share"].is_null());
        assert_eq!(
            row["suppressed"],
            serde_json::json!(["answered_within", "share", "ci_low", "ci_high"])
        );
        assert_eq!(row["complete"], true);
    }
}
