//! The per-country table (`GET /stats/countries`, `mla-tracker stats
//! countries`): the counts the database aggregated, and the survival figures
//! (medians, shares still unanswered) estimated from its per-day counts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Survival;
use super::aggregates::{Aggregates, CountryCounts, CountryDay};
use super::grid::{self, KeyedDay};
use super::km::{self, DayCount};
use crate::domain::CountryCode;

/// One row of the table, exact. `None` in a figure means it does not exist
/// (no request answered, so no median), never that it was hidden: hiding is
/// the published view's business (see [`published`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryFigures {
    pub country: String,
    pub country_name: String,
    pub requests: u64,
    pub answered: u64,
    pub pending: u64,
    pub executed: u64,
    pub partially_executed: u64,
    pub refused: u64,
    pub withdrawn: u64,
    pub abandoned: u64,
    pub abandoned_no_response: u64,
    /// answered / requests.
    pub response_rate: Option<f64>,
    /// Kaplan–Meier median of the days to a first response; `None` with
    /// `median_response_not_reached` when fewer than half ever answered.
    pub median_days_to_response: Option<u32>,
    pub median_response_not_reached: bool,
    /// S(180) and S(365): the estimated share still unanswered that long
    /// after sending, pending requests counted as censored.
    pub unanswered_share_180: Option<f64>,
    pub unanswered_share_365: Option<f64>,
    pub median_days_to_execution: Option<u32>,
    pub median_execution_not_reached: bool,
    pub victims_identified: u64,
}

/// The whole table: one row per country (code order) and the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryTable {
    pub countries: Vec<CountryFigures>,
    pub totals: CountryFigures,
}

/// The days of `waiting` per country, and pooled for the totals.
fn curves(days: Vec<CountryDay>) -> (BTreeMap<String, km::Curve>, km::Curve) {
    let mut by_country: BTreeMap<String, Vec<DayCount>> = BTreeMap::new();
    let mut pooled = Vec::with_capacity(days.len());
    for d in days {
        pooled.push(d.count);
        by_country.entry(d.country).or_default().push(d.count);
    }
    let curves = by_country
        .into_iter()
        .map(|(country, counts)| (country, km::estimate(counts)))
        .collect();
    (curves, km::estimate(pooled))
}

/// A row from its counts and its two survival estimates (exact, or the
/// published view's, then from published counts).
fn figures<S: Survival>(
    country: &str,
    country_name: &str,
    c: &CountryCounts,
    response: Option<&S>,
    execution: Option<&S>,
) -> CountryFigures {
    let n = |v: i64| v.max(0) as u64;
    let requests = n(c.requests);
    // A curve over no request says nothing; over some, S(t) is defined.
    let response = response.filter(|k| k.observed());
    let execution = execution.filter(|k| k.observed());
    let response_median = response.and_then(|k| k.median());
    let execution_median = execution.and_then(|k| k.median());
    CountryFigures {
        country: country.to_string(),
        country_name: country_name.to_string(),
        requests,
        answered: n(c.answered),
        pending: n(c.pending),
        executed: n(c.executed),
        partially_executed: n(c.partially_executed),
        refused: n(c.refused),
        withdrawn: n(c.withdrawn),
        abandoned: n(c.abandoned),
        abandoned_no_response: n(c.abandoned_no_response),
        response_rate: (requests > 0).then(|| n(c.answered) as f64 / requests as f64),
        median_days_to_response: response_median,
        median_response_not_reached: response.is_some() && response_median.is_none(),
        unanswered_share_180: response.map(|k| k.survival_at(180)),
        unanswered_share_365: response.map(|k| k.survival_at(365)),
        median_days_to_execution: execution_median,
        median_execution_not_reached: execution.is_some() && execution_median.is_none(),
        victims_identified: n(c.victims_identified),
    }
}

/// The exact table of what the database aggregated.
pub fn of(a: Aggregates) -> CountryTable {
    table(a.counts, a.response_days, a.execution_days)
}

/// Builds the exact table from what `db::stats` returned.
pub fn table(
    counts: Vec<CountryCounts>,
    response_days: Vec<CountryDay>,
    execution_days: Vec<CountryDay>,
) -> CountryTable {
    let (response, all_response) = curves(response_days);
    let (execution, all_execution) = curves(execution_days);
    let total = totals(&counts);
    let countries = counts
        .iter()
        .map(|c| {
            let name = CountryCode::parse(&c.country).map_or("?", |code| code.name());
            figures(
                &c.country,
                name,
                c,
                response.get(&c.country),
                execution.get(&c.country),
            )
        })
        .collect();
    CountryTable {
        countries,
        totals: figures(
            "",
            "All countries",
            &total,
            Some(&all_response),
            Some(&all_execution),
        ),
    }
}

/// The columns of a row, in the API's and the CSV's order.
pub const COLUMNS: [&str; 20] = [
    "country",
    "country_name",
    "requests",
    "answered",
    "pending",
    "executed",
    "partially_executed",
    "refused",
    "withdrawn",
    "abandoned",
    "abandoned_no_response",
    "response_rate",
    "median_days_to_response",
    "median_response_not_reached",
    "unanswered_share_180",
    "unanswered_share_365",
    "median_days_to_execution",
    "median_execution_not_reached",
    "victims_identified",
    "suppressed",
];

/// Figures that give back `answered` with the published `requests` (rate ×
/// requests; 1 − the last share × requests): hidden with it.
const FROM_ANSWERED: [&str; 5] = [
    "response_rate",
    "median_days_to_response",
    "median_response_not_reached",
    "unanswered_share_180",
    "unanswered_share_365",
];

/// Figures that give back `executed` the same way: hidden with it.
const FROM_EXECUTED: [&str; 2] = ["median_days_to_execution", "median_execution_not_reached"];

/// A row as shown: every column of [`COLUMNS`], hidden values `null` and
/// named in `suppressed`.
pub use super::{ShownRow, ShownTable};

/// Per-day counts with their keys, per country and pooled.
pub(super) fn keyed(days: &[CountryDay]) -> (BTreeMap<String, Vec<KeyedDay>>, Vec<KeyedDay>) {
    super::keyed_days(
        days.iter()
            .map(|d| (d.country.as_str(), d.keys.keyed(d.count))),
    )
}

/// The sum of the countries' counts (and of their cells).
fn totals(counts: &[CountryCounts]) -> CountryCounts {
    counts
        .iter()
        .fold(CountryCounts::default(), |total, c| total.plus(c))
}

/// The exact table as shown: every figure, nothing hidden.
pub fn exact(table: &CountryTable) -> ShownTable {
    ShownTable {
        rows: table.countries.iter().map(super::exact_row).collect(),
        totals: super::exact_row(&table.totals),
    }
}

/// The published view (docs/DOMAIN.md §9): every count perturbed by its
/// cell key ([`super::cellkey`]) — the totals too, as cells of their own —,
/// the medians and shares read from life tables of perturbed counts
/// ([`grid`]), the rate from the published counts; then counts from 1 to
/// `threshold` − 1 hidden, every other count and every estimate of a row
/// hidden unless its requests are [`super::large_enough`], and the figures
/// that would give back a hidden `answered` or `executed` with them.
pub fn published(a: &Aggregates, threshold: u64) -> ShownTable {
    let (response, all_response) = keyed(&a.response_days);
    let (execution, all_execution) = keyed(&a.execution_days);
    let row =
        |country: &str, name: &str, counts: &CountryCounts, r: &[KeyedDay], e: &[KeyedDay]| {
            let p = counts.perturbed();
            let requests = p.requests.max(0) as u64;
            let (r, e) = (grid::estimate(r, requests), grid::estimate(e, requests));
            let mut row = super::exact_row(&figures(country, name, &p, Some(&r), Some(&e)));
            let mut hidden = super::small_counts(&row, &CountryCounts::FIELDS, threshold);
            // A row that may hold fewer than the threshold shows none of its
            // counts but `requests`: with `answered` and `executed` hidden,
            // every estimate goes below.
            if !super::large_enough(requests, threshold) {
                hidden.extend(CountryCounts::FIELDS.iter().skip(1));
            }
            if hidden.contains(&"answered") {
                hidden.extend(FROM_ANSWERED);
            }
            if hidden.contains(&"executed") {
                hidden.extend(FROM_EXECUTED);
            }
            super::hide(&mut row, &COLUMNS, &hidden);
            row
        };
    let none = Vec::new();
    ShownTable {
        rows: a
            .counts
            .iter()
            .map(|c| {
                let name = CountryCode::parse(&c.country).map_or("?", |code| code.name());
                row(
                    &c.country,
                    name,
                    c,
                    response.get(&c.country).unwrap_or(&none),
                    execution.get(&c.country).unwrap_or(&none),
                )
            })
            .collect(),
        totals: row(
            "",
            "All countries",
            &totals(&a.counts),
            &all_response,
            &all_execution,
        ),
    }
}

/// A terminal summary of the table: one line per country, most unanswered
/// first (the share still unanswered after 365 days), then the totals.
pub fn summary(shown: &ShownTable, as_of: chrono::NaiveDate) -> String {
    let number = |row: &ShownRow, field: &str| match &row[field] {
        serde_json::Value::Null => "–".to_string(),
        v => v.to_string(),
    };
    let percent = |row: &ShownRow, field: &str| {
        row[field]
            .as_f64()
            .map_or("–".to_string(), |v| format!("{:.0} %", v * 100.0))
    };
    let median = |row: &ShownRow| match (
        &row["median_days_to_response"],
        &row["median_response_not_reached"],
    ) {
        (serde_json::Value::Null, serde_json::Value::Bool(true)) => "not reached".to_string(),
        (serde_json::Value::Null, _) => "–".to_string(),
        (v, _) => format!("{v} d"),
    };
    let mut rows: Vec<&ShownRow> = shown.rows.iter().collect();
    rows.sort_by(|a, b| {
        let share = |r: &ShownRow| r["unanswered_share_365"].as_f64().unwrap_or(-1.0);
        share(b).total_cmp(&share(a))
    });
    let mut out = format!(
        "As of {as_of}. Unanswered: share still without a first response after 365 days (Kaplan–Meier).\n\n{:<32} {:>8} {:>8} {:>9} {:>12} {:>11}\n",
        "country", "requests", "answered", "abandoned", "median reply", "unanswered"
    );
    rows.push(&shown.totals);
    for row in rows {
        let name = row
            .get("country_name")
            .and_then(|n| n.as_str())
            .unwrap_or("All countries");
        let name: String = name.chars().take(32).collect();
        out.push_str(&format!(
            "{:<32} {:>8} {:>8} {:>9} {:>12} {:>11}\n",
            name,
            number(row, "requests"),
            number(row, "answered"),
            number(row, "abandoned"),
            median(row),
            percent(row, "unanswered_share_365"),
        ));
    }
    out
}
