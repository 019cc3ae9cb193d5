//! Requests over time (`GET /stats/timeline`): per bucket of `sent_at`
//! (year, quarter or month), how many were sent, answered, executed, refused
//! and abandoned by `as_of`, and the Kaplan–Meier median of the days to a
//! first response within the bucket.

use std::collections::BTreeMap;

use serde::Serialize;

use super::aggregates::{BucketCounts, BucketDay};
use super::km::{self, DayCount};
use super::{ShownTable, Survival, grid};

/// One bucket's figures, exact; the totals have bucket `""`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketFigures {
    pub bucket: String,
    pub sent: u64,
    pub answered: u64,
    pub executed: u64,
    pub refused: u64,
    pub abandoned: u64,
    /// As in the country table: `None` with `median_response_not_reached`
    /// when fewer than half ever answered.
    pub median_days_to_response: Option<u32>,
    pub median_response_not_reached: bool,
}

/// Buckets in time order (those without any request left out), and totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub buckets: Vec<BucketFigures>,
    pub totals: BucketFigures,
}

/// The columns of a row, in the API's and the CSV's order.
pub const COLUMNS: [&str; 10] = [
    "bucket",
    "complete",
    "sent",
    "answered",
    "executed",
    "refused",
    "abandoned",
    "median_days_to_response",
    "median_response_not_reached",
    "suppressed",
];

/// Marks each period `complete` when every request sent in it has been
/// followed for a year by `as_of` (its last day, or `sent_to`, plus 365
/// days), and the totals when the latest period is: the counts of a recent
/// period still grow (answers, abandonments), and a fall in them is no
/// trend until it is complete. A fact of the parameters, never hidden.
pub fn mark_complete(shown: &mut ShownTable, frame: &super::cohorts::Frame) {
    let mut latest = None;
    for row in &mut shown.rows {
        let label = row
            .get("bucket")
            .and_then(|b| b.as_str())
            .unwrap_or_default()
            .to_string();
        row.insert("complete".into(), frame.complete(&label).into());
        latest = Some(label);
    }
    let totals = latest.map_or_else(|| frame.all_complete(), |label| frame.complete(&label));
    shown.totals.insert("complete".into(), totals.into());
}

/// Figures estimated from a bucket's requests: hidden with them.
const DERIVED: [&str; 2] = ["median_days_to_response", "median_response_not_reached"];

fn figures<S: Survival>(bucket: &str, c: &BucketCounts, response: Option<&S>) -> BucketFigures {
    let n = |v: i64| v.max(0) as u64;
    let response = response.filter(|k| k.observed());
    let median = response.and_then(|k| k.median());
    BucketFigures {
        bucket: bucket.to_string(),
        sent: n(c.sent),
        answered: n(c.answered),
        executed: n(c.executed),
        refused: n(c.refused),
        abandoned: n(c.abandoned),
        median_days_to_response: median,
        median_response_not_reached: response.is_some() && median.is_none(),
    }
}

/// Builds the exact table from what `db::stats` returned.
pub fn table(counts: Vec<BucketCounts>, response_days: Vec<BucketDay>) -> Timeline {
    let mut by_bucket: BTreeMap<String, Vec<DayCount>> = BTreeMap::new();
    let mut pooled = Vec::with_capacity(response_days.len());
    for d in response_days {
        pooled.push(d.count);
        by_bucket.entry(d.bucket).or_default().push(d.count);
    }
    let total = totals(&counts);
    let buckets = counts
        .iter()
        .map(|c| {
            let curve = by_bucket.remove(&c.bucket).map(km::estimate);
            figures(&c.bucket, c, curve.as_ref())
        })
        .collect();
    Timeline {
        buckets,
        totals: figures("", &total, Some(&km::estimate(pooled))),
    }
}

/// The sum of the buckets' counts (and of their cells).
fn totals(counts: &[BucketCounts]) -> BucketCounts {
    counts
        .iter()
        .fold(BucketCounts::default(), |total, c| total.plus(c))
}

/// The exact table as shown: every figure, nothing hidden.
pub fn exact(table: &Timeline) -> ShownTable {
    ShownTable {
        rows: table.buckets.iter().map(super::exact_row).collect(),
        totals: super::exact_row(&table.totals),
    }
}

/// The published view, as the country table's
/// ([`super::countries::published`]): counts perturbed (the totals as
/// cells of their own), each bucket's median read from the life table of
/// its perturbed counts, counts from 1 to `threshold` − 1 hidden, the other
/// counts and the median of a bucket hidden unless its `sent` is
/// [`super::large_enough`], and the median also when `answered` is hidden.
pub fn published(
    counts: &[BucketCounts],
    response_days: &[BucketDay],
    threshold: u64,
) -> ShownTable {
    let (by_bucket, pooled) = super::keyed_days(
        response_days
            .iter()
            .map(|d| (d.bucket.as_str(), d.keys.keyed(d.count))),
    );
    let row = |bucket: &str, counts: &BucketCounts, days: &[grid::KeyedDay]| {
        let p = counts.perturbed();
        let sent = p.sent.max(0) as u64;
        let curve = grid::estimate(days, sent);
        let mut row = super::exact_row(&figures(bucket, &p, Some(&curve)));
        let mut hidden = super::small_counts(&row, &BucketCounts::FIELDS, threshold);
        if !super::large_enough(sent, threshold) {
            hidden.extend(BucketCounts::FIELDS.iter().skip(1));
        }
        if hidden.contains(&"answered") {
            hidden.extend(DERIVED);
        }
        super::hide(&mut row, &COLUMNS, &hidden);
        row
    };
    let none = Vec::new();
    ShownTable {
        rows: counts
            .iter()
            .map(|c| row(&c.bucket, c, by_bucket.get(&c.bucket).unwrap_or(&none)))
            .collect(),
        totals: row("", &totals(counts), &pooled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::aggregates::DayKeys;
    use crate::stats::cellkey::Cell;

    fn counts(
        bucket: &str,
        [sent, answered, executed, refused, abandoned]: [i64; 5],
    ) -> BucketCounts {
        // Every cell keyed at u = 0.5 (noise 0 alone; sums move it).
        let cell = |n: i64| Cell::of(n, 1 << 31);
        BucketCounts::from_cells(
            bucket.into(),
            [sent, answered, executed, refused, abandoned].map(cell),
        )
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

    #[test]
    fn medians_per_bucket_and_pooled() {
        // 2024: 2 answered on days 10 and 20 of 3 → S(20) = 1/3, median 20.
        // 2025: 1 of 2 answered on day 5 → S(5) = 1/2, median 5.
        // Pooled: 5 at risk; day 5: S = 4/5; day 10: 3/4 → 3/5; day 20:
        // 2/3 → 2/5 ≤ 1/2, median 20.
        let t = table(
            vec![
                counts("2024", [3, 2, 1, 0, 1]),
                counts("2025", [2, 1, 0, 0, 0]),
            ],
            vec![
                day("2024", 10, 1, 0),
                day("2024", 20, 1, 0),
                day("2024", 30, 0, 1),
                day("2025", 5, 1, 0),
                day("2025", 40, 0, 1),
            ],
        );
        assert_eq!(t.buckets[0].median_days_to_response, Some(20));
        assert_eq!(t.buckets[1].median_days_to_response, Some(5));
        assert_eq!(t.totals.median_days_to_response, Some(20));
        assert_eq!((t.totals.sent, t.totals.answered), (5, 3));

        assert_eq!(exact(&t).totals["median_days_to_response"], 20);
    }

    #[test]
    fn the_published_view_perturbs_counts_and_hides_medians_of_small_buckets() {
        let mut counts_of_2023 = counts("2023", [40, 24, 10, 5, 3]);
        counts_of_2023.sent_key = 1 << 30; // u = 0.25: noise −1
        let buckets = vec![counts_of_2023.clone(), counts("2024", [3, 2, 1, 0, 1])];
        let days = vec![
            day("2023", 20, 24, 0),
            day("2023", 400, 0, 16),
            day("2024", 10, 2, 0),
            day("2024", 30, 0, 1),
        ];
        let shown = published(&buckets, &days, 5);
        let (old, small) = (&shown.rows[0], &shown.rows[1]);
        assert_eq!(old["sent"], 39, "40 with noise −1");
        assert_eq!(old["answered"], 24, "noise 0");
        // 24 of 39 answered within the first 30 days: S(30) = 15/39 ≤ 0.5,
        // the median interpolated on (0, 30]: 30 · 0.5 / (24/39) = 24.4.
        assert_eq!(old["median_days_to_response"], 24);
        assert!(small["sent"].is_null() && small["median_days_to_response"].is_null());
        assert_eq!(
            small["suppressed"],
            serde_json::json!([
                "sent",
                "answered",
                "executed",
                "refused",
                "abandoned",
                "median_days_to_response",
                "median_response_not_reached"
            ]),
            "a bucket of 3: every count hidden, its 0 refusals too"
        );
        let total = counts_of_2023.plus(&buckets[1]);
        assert_eq!(shown.totals["sent"], total.cells()[0].published());
    }

    #[test]
    fn a_bucket_without_answers_has_not_reached_its_median() {
        let t = table(
            vec![counts("2025-Q1", [6, 0, 0, 0, 0])],
            vec![day("2025-Q1", 40, 0, 6)],
        );
        assert_eq!(t.buckets[0].median_days_to_response, None);
        assert!(t.buckets[0].median_response_not_reached);
    }
}
