//! The per-country table (`GET /stats/countries`, `mla-tracker stats
//! countries`): the counts the database aggregated, and the survival figures
//! (medians, shares still unanswered) estimated from its per-day counts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Survival;
use super::aggregates::{Aggregates, CountryCounts, CountryDay};
use super::grid::{self, KeyedDay};
use super::km::{self, DayCount};
use super::wilson::wilson;
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
    pub acknowledged: u64,
    pub pending: u64,
    pub executed: u64,
    pub partially_executed: u64,
    pub refused: u64,
    pub withdrawn: u64,
    pub abandoned: u64,
    pub abandoned_no_response: u64,
    /// answered / requests, with its Wilson 95 % interval.
    pub response_rate: Option<f64>,
    pub response_rate_ci: Option<[f64; 2]>,
    /// refused / requests.
    pub refusal_rate: Option<f64>,
    pub refusal_rate_ci: Option<[f64; 2]>,
    /// abandoned_no_response / requests: given up for silence.
    pub abandoned_no_response_rate: Option<f64>,
    pub abandoned_no_response_rate_ci: Option<[f64; 2]>,
    /// The three clocks (docs/DOMAIN.md §8.2): Kaplan–Meier medians with
    /// the 95 % interval of the median (an end `None` when the band never
    /// falls to one half); `None` with `…_not_reached` when fewer than half
    /// ever got there.
    pub median_days_to_acknowledgement: Option<u32>,
    pub median_days_to_acknowledgement_ci: Option<[Option<u32>; 2]>,
    pub median_acknowledgement_not_reached: bool,
    pub median_days_to_response: Option<u32>,
    pub median_days_to_response_ci: Option<[Option<u32>; 2]>,
    pub median_response_not_reached: bool,
    /// S(90), S(180), S(365) of the time to a first response, with their
    /// intervals: the estimated share still unanswered that long after
    /// sending, pending requests counted as censored; `None` when no
    /// request was followed that long (not estimable).
    pub share_unanswered_90: Option<f64>,
    pub share_unanswered_90_ci: Option<[f64; 2]>,
    pub share_unanswered_180: Option<f64>,
    pub share_unanswered_180_ci: Option<[f64; 2]>,
    pub share_unanswered_365: Option<f64>,
    pub share_unanswered_365_ci: Option<[f64; 2]>,
    /// The average days to a first response over the answered requests
    /// only: what official reports quote. It flatters slow states, since
    /// the requests they never answer do not count.
    pub mean_days_to_response_among_answered: Option<f64>,
    pub median_days_to_execution: Option<u32>,
    pub median_days_to_execution_ci: Option<[Option<u32>; 2]>,
    pub median_execution_not_reached: bool,
    pub victims_identified: u64,
}

/// The whole table: one row per country (code order) and the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryTable {
    pub countries: Vec<CountryFigures>,
    pub totals: CountryFigures,
}

/// The curves of the three clocks of one group.
struct Clocks<'a, S> {
    acknowledgement: Option<&'a S>,
    response: Option<&'a S>,
    execution: Option<&'a S>,
}

/// The days of `waiting` per country, and pooled for the totals.
fn curves(days: &[CountryDay]) -> (BTreeMap<String, km::Curve>, km::Curve) {
    let mut by_country: BTreeMap<String, Vec<DayCount>> = BTreeMap::new();
    let mut pooled = Vec::with_capacity(days.len());
    for d in days {
        pooled.push(d.count);
        by_country
            .entry(d.country.clone())
            .or_default()
            .push(d.count);
    }
    let curves = by_country
        .into_iter()
        .map(|(country, counts)| (country, km::estimate(counts)))
        .collect();
    (curves, km::estimate(pooled))
}

/// `part / whole` and its Wilson interval (a published `part` may exceed
/// its published `whole`: the share is then 1).
fn rate(part: u64, whole: u64) -> (Option<f64>, Option<[f64; 2]>) {
    let interval = wilson(part, whole).map(|(low, high)| [low, high]);
    (
        (whole > 0).then(|| part.min(whole) as f64 / whole as f64),
        interval,
    )
}

/// A clock's median, its interval and whether it was not reached.
fn median<S: Survival>(curve: Option<&S>) -> (Option<u32>, Option<[Option<u32>; 2]>, bool) {
    match curve.filter(|k| k.observed()) {
        None => (None, None, false),
        Some(k) => {
            let (low, high) = k.median_interval();
            let median = k.median();
            (median, Some([low, high]), median.is_none())
        }
    }
}

/// S(t) and its interval, `None` when not estimable.
fn share<S: Survival>(curve: Option<&S>, t: u32) -> (Option<f64>, Option<[f64; 2]>) {
    match curve.filter(|k| k.observed()).and_then(|k| k.share_at(t)) {
        None => (None, None),
        Some(s) => (Some(s.value), Some([s.low, s.high])),
    }
}

/// A row from its counts and its three clocks' survival estimates (exact,
/// or the published view's, then from published counts).
fn figures<S: Survival>(
    country: &str,
    country_name: &str,
    c: &CountryCounts,
    clocks: Clocks<S>,
) -> CountryFigures {
    let n = |v: i64| v.max(0) as u64;
    let requests = n(c.requests);
    let (response_rate, response_rate_ci) = rate(n(c.answered), requests);
    let (refusal_rate, refusal_rate_ci) = rate(n(c.refused), requests);
    let (abandoned_no_response_rate, abandoned_no_response_rate_ci) =
        rate(n(c.abandoned_no_response), requests);
    let (ack, ack_ci, ack_not_reached) = median(clocks.acknowledgement);
    let (response, response_ci, response_not_reached) = median(clocks.response);
    let (execution, execution_ci, execution_not_reached) = median(clocks.execution);
    let (share_90, share_90_ci) = share(clocks.response, 90);
    let (share_180, share_180_ci) = share(clocks.response, 180);
    let (share_365, share_365_ci) = share(clocks.response, 365);
    CountryFigures {
        country: country.to_string(),
        country_name: country_name.to_string(),
        requests,
        answered: n(c.answered),
        acknowledged: n(c.acknowledged),
        pending: n(c.pending),
        executed: n(c.executed),
        partially_executed: n(c.partially_executed),
        refused: n(c.refused),
        withdrawn: n(c.withdrawn),
        abandoned: n(c.abandoned),
        abandoned_no_response: n(c.abandoned_no_response),
        response_rate,
        response_rate_ci,
        refusal_rate,
        refusal_rate_ci,
        abandoned_no_response_rate,
        abandoned_no_response_rate_ci,
        median_days_to_acknowledgement: ack,
        median_days_to_acknowledgement_ci: ack_ci,
        median_acknowledgement_not_reached: ack_not_reached,
        median_days_to_response: response,
        median_days_to_response_ci: response_ci,
        median_response_not_reached: response_not_reached,
        share_unanswered_90: share_90,
        share_unanswered_90_ci: share_90_ci,
        share_unanswered_180: share_180,
        share_unanswered_180_ci: share_180_ci,
        share_unanswered_365: share_365,
        share_unanswered_365_ci: share_365_ci,
        mean_days_to_response_among_answered: clocks
            .response
            .filter(|k| k.observed())
            .and_then(|k| k.mean_event_day()),
        median_days_to_execution: execution,
        median_days_to_execution_ci: execution_ci,
        median_execution_not_reached: execution_not_reached,
        victims_identified: n(c.victims_identified),
    }
}

/// The exact table of what the database aggregated.
pub fn of(a: Aggregates) -> CountryTable {
    let (acknowledgement, all_acknowledgement) = curves(&a.acknowledgement_days);
    let (response, all_response) = curves(&a.response_days);
    let (execution, all_execution) = curves(&a.execution_days);
    let total = totals(&a.counts);
    let countries = a
        .counts
        .iter()
        .map(|c| {
            let name = CountryCode::parse(&c.country).map_or("?", |code| code.name());
            let clocks = Clocks {
                acknowledgement: acknowledgement.get(&c.country),
                response: response.get(&c.country),
                execution: execution.get(&c.country),
            };
            figures(&c.country, name, c, clocks)
        })
        .collect();
    let pooled = Clocks {
        acknowledgement: Some(&all_acknowledgement),
        response: Some(&all_response),
        execution: Some(&all_execution),
    };
    CountryTable {
        countries,
        totals: figures("", "All countries", &total, pooled),
    }
}

/// The columns of a row, in the API's and the CSV's order.
pub const COLUMNS: [&str; 36] = [
    "country",
    "country_name",
    "requests",
    "answered",
    "acknowledged",
    "pending",
    "executed",
    "partially_executed",
    "refused",
    "withdrawn",
    "abandoned",
    "abandoned_no_response",
    "response_rate",
    "response_rate_ci",
    "refusal_rate",
    "refusal_rate_ci",
    "abandoned_no_response_rate",
    "abandoned_no_response_rate_ci",
    "median_days_to_acknowledgement",
    "median_days_to_acknowledgement_ci",
    "median_acknowledgement_not_reached",
    "median_days_to_response",
    "median_days_to_response_ci",
    "median_response_not_reached",
    "share_unanswered_90",
    "share_unanswered_90_ci",
    "share_unanswered_180",
    "share_unanswered_180_ci",
    "share_unanswered_365",
    "share_unanswered_365_ci",
    "mean_days_to_response_among_answered",
    "median_days_to_execution",
    "median_days_to_execution_ci",
    "median_execution_not_reached",
    "victims_identified",
    "suppressed",
];

/// Figures that give back `answered` with the published `requests` (rate ×
/// requests; 1 − the last share × requests): hidden with it.
pub const FROM_ANSWERED: [&str; 12] = [
    "response_rate",
    "response_rate_ci",
    "median_days_to_response",
    "median_days_to_response_ci",
    "median_response_not_reached",
    "share_unanswered_90",
    "share_unanswered_90_ci",
    "share_unanswered_180",
    "share_unanswered_180_ci",
    "share_unanswered_365",
    "share_unanswered_365_ci",
    "mean_days_to_response_among_answered",
];

/// Figures that give back `acknowledged` the same way: hidden with it.
pub const FROM_ACKNOWLEDGED: [&str; 3] = [
    "median_days_to_acknowledgement",
    "median_days_to_acknowledgement_ci",
    "median_acknowledgement_not_reached",
];

/// Figures that give back `executed` the same way: hidden with it.
pub const FROM_EXECUTED: [&str; 3] = [
    "median_days_to_execution",
    "median_days_to_execution_ci",
    "median_execution_not_reached",
];

/// A count and the rate that gives it back: hidden with it.
const RATES: [(&str, [&str; 2]); 3] = [
    ("answered", ["response_rate", "response_rate_ci"]),
    ("refused", ["refusal_rate", "refusal_rate_ci"]),
    (
        "abandoned_no_response",
        [
            "abandoned_no_response_rate",
            "abandoned_no_response_rate_ci",
        ],
    ),
];

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
    let acknowledgement = keyed(&a.acknowledgement_days);
    let response = keyed(&a.response_days);
    let execution = keyed(&a.execution_days);
    let none = Vec::new();
    let days = |(by_country, pooled): &(BTreeMap<String, Vec<KeyedDay>>, Vec<KeyedDay>),
                country: Option<&str>| {
        match country {
            Some(c) => by_country.get(c).unwrap_or(&none).clone(),
            None => pooled.clone(),
        }
    };
    let row = |country: Option<&str>, name: &str, counts: &CountryCounts| {
        let p = counts.perturbed();
        let requests = p.requests.max(0) as u64;
        let life_table = |keyed| grid::estimate(&days(keyed, country), requests);
        let (ack, response, execution) = (
            life_table(&acknowledgement),
            life_table(&response),
            life_table(&execution),
        );
        let clocks = Clocks {
            acknowledgement: Some(&ack),
            response: Some(&response),
            execution: Some(&execution),
        };
        let mut row = super::exact_row(&figures(country.unwrap_or(""), name, &p, clocks));
        let mut hidden = super::small_counts(&row, &CountryCounts::FIELDS, threshold);
        // A row that may hold fewer than the threshold shows none of its
        // counts but `requests`: with `answered`, `acknowledged` and
        // `executed` hidden, every estimate goes below.
        if !super::large_enough(requests, threshold) {
            hidden.extend(CountryCounts::FIELDS.iter().skip(1));
        }
        for (count, derived) in [
            ("answered", &FROM_ANSWERED[..]),
            ("acknowledged", &FROM_ACKNOWLEDGED[..]),
            ("executed", &FROM_EXECUTED[..]),
        ]
        .into_iter()
        .chain(RATES.iter().map(|(count, rates)| (*count, &rates[..])))
        {
            if hidden.contains(&count) {
                hidden.extend(derived);
            }
        }
        super::hide(&mut row, &COLUMNS, &hidden);
        row
    };
    ShownTable {
        rows: a
            .counts
            .iter()
            .map(|c| {
                let name = CountryCode::parse(&c.country).map_or("?", |code| code.name());
                row(Some(&c.country), name, c)
            })
            .collect(),
        totals: row(None, "All countries", &totals(&a.counts)),
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
        let share = |r: &ShownRow| r["share_unanswered_365"].as_f64().unwrap_or(-1.0);
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
            percent(row, "share_unanswered_365"),
        ));
    }
    out
}
