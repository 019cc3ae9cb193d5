//! Kaplan–Meier curves of the time to a first response
//! (`GET /stats/response-curves`, `GET /stats/charts/response-curves.svg`):
//! one per country and one pooled over all countries, from the per-day
//! counts the database aggregated ([`super::aggregates`]).
//!
//! # The published view
//!
//! Built from perturbed counts only (docs/DOMAIN.md §9.3): a curve is the
//! life table of [`grid`] — `S` at days 30, 60, 90, … and 365 — over the
//! published `requests`, never the per-day estimate. A country's curve is
//! shown only when its published `requests` are
//! [`large_enough`](super::large_enough) and its `answered` is not hidden; a hidden curve is `null` and its row lists
//! `curve` in `suppressed`; the pooled curve follows the same rule with the
//! totals. A shown curve has no interval bounds and no counts (`lower`,
//! `upper`, `at_risk` and `events` are `null` and listed in `suppressed`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::aggregates::Aggregates;
use super::countries::{self, CountryTable};
use super::grid;
use super::km::{self, DayCount};

/// One country's curve (or the pooled one, with an empty `country`).
#[derive(Debug, Clone, PartialEq)]
pub struct CountryCurve {
    pub country: String,
    pub country_name: String,
    pub curve: km::Curve,
}

/// The curves of a population, and the country table they go with (the
/// published view of the curves depends on it).
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    pub table: CountryTable,
    /// In the table's order (country code).
    pub countries: Vec<CountryCurve>,
    pub all: CountryCurve,
}

/// Builds the curves and the table from what the database aggregated.
pub fn of(a: Aggregates) -> Curves {
    let mut by_country: BTreeMap<String, Vec<DayCount>> = BTreeMap::new();
    let mut pooled = Vec::with_capacity(a.response_days.len());
    for d in &a.response_days {
        pooled.push(d.count);
        by_country
            .entry(d.country.clone())
            .or_default()
            .push(d.count);
    }
    let table = countries::of(a);
    let countries = table
        .countries
        .iter()
        .map(|row| CountryCurve {
            country: row.country.clone(),
            country_name: row.country_name.clone(),
            curve: km::estimate(by_country.remove(&row.country).unwrap_or_default()),
        })
        .collect();
    Curves {
        countries,
        all: CountryCurve {
            country: String::new(),
            country_name: "All countries".into(),
            curve: km::estimate(pooled),
        },
        table,
    }
}

/// A step as shown; the bounds and counts are `None` in the published view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShownStep {
    pub day: u32,
    pub survival: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub at_risk: Option<u64>,
    pub events: Option<u64>,
}

/// A curve as shown: `curve` is `None` when hidden (and `suppressed` then
/// names `curve`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShownCurve {
    pub country: String,
    pub country_name: String,
    pub curve: Option<Vec<ShownStep>>,
    pub suppressed: Vec<&'static str>,
}

/// The curves as shown to one caller, with the country table as shown to
/// the same caller (charts label curves with its published counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub countries: Vec<ShownCurve>,
    pub all: ShownCurve,
    pub table: super::ShownTable,
}

/// The exact curves: every step of [`km::estimate`], with its counts and
/// interval.
pub fn exact(curves: &Curves) -> Shown {
    let show = |c: &CountryCurve| ShownCurve {
        country: c.country.clone(),
        country_name: c.country_name.clone(),
        curve: Some(
            c.curve
                .steps()
                .iter()
                .map(|s| ShownStep {
                    day: s.day,
                    survival: s.survival,
                    lower: Some(s.lower),
                    upper: Some(s.upper),
                    at_risk: Some(s.at_risk),
                    events: Some(s.events),
                })
                .collect(),
        ),
        suppressed: Vec::new(),
    };
    Shown {
        countries: curves.countries.iter().map(show).collect(),
        all: show(&curves.all),
        table: countries::exact(&curves.table),
    }
}

/// The published view of the curves, described in the module
/// documentation.
pub fn published(a: &Aggregates, threshold: u64) -> Shown {
    let table = countries::published(a, threshold);
    let (by_country, pooled) = countries::keyed(&a.response_days);
    let show = |country: &str, name: &str, days: &[grid::KeyedDay], row: &super::ShownRow| {
        let requests = row.get("requests").and_then(|v| v.as_u64());
        let publishable = !row["answered"].is_null()
            && requests.is_some_and(|n| super::large_enough(n, threshold));
        ShownCurve {
            country: country.to_string(),
            country_name: name.to_string(),
            curve: publishable.then(|| {
                grid::estimate(days, requests.unwrap_or(0))
                    .points()
                    .iter()
                    .map(|p| ShownStep {
                        day: p.day,
                        survival: p.survival,
                        lower: None,
                        upper: None,
                        at_risk: None,
                        events: None,
                    })
                    .collect()
            }),
            suppressed: if publishable {
                vec!["lower", "upper", "at_risk", "events"]
            } else {
                vec!["curve"]
            },
        }
    };
    let none = Vec::new();
    Shown {
        countries: a
            .counts
            .iter()
            .zip(&table.rows)
            .map(|(c, row)| {
                let name = row["country_name"].as_str().unwrap_or("?");
                show(
                    &c.country,
                    name,
                    by_country.get(&c.country).unwrap_or(&none),
                    row,
                )
            })
            .collect(),
        all: show("", "All countries", &pooled, &table.totals),
        table,
    }
}

/// The CSV's columns, in order.
pub const COLUMNS: [&str; 9] = [
    "country",
    "country_name",
    "day",
    "survival",
    "lower",
    "upper",
    "at_risk",
    "events",
    "suppressed",
];

/// One CSV row per (country, step), countries in the JSON's order and the
/// pooled curve last (empty country code); a hidden curve is one row with
/// no step and `curve` in `suppressed`.
pub fn csv_rows(shown: &Shown) -> Vec<super::ShownRow> {
    let mut rows = Vec::new();
    for c in shown.countries.iter().chain([&shown.all]) {
        let base = |row: &mut super::ShownRow| {
            row.insert("country".into(), c.country.clone().into());
            row.insert("country_name".into(), c.country_name.clone().into());
            row.insert("suppressed".into(), c.suppressed.clone().into());
        };
        match &c.curve {
            None => {
                let mut row = super::ShownRow::new();
                base(&mut row);
                rows.push(row);
            }
            Some(steps) => {
                for s in steps {
                    let serde_json::Value::Object(mut row) =
                        serde_json::to_value(s).expect("steps serialize")
                    else {
                        unreachable!("a struct serializes to an object")
                    };
                    base(&mut row);
                    rows.push(row);
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::aggregates::{CountryCounts, CountryDay, DayKeys};

    /// Every count keyed at u = 0.5 (noise 0 alone; sums move it).
    fn counts(country: &str, requests: i64, answered: i64) -> CountryCounts {
        let mid = 1 << 31;
        CountryCounts {
            country: country.into(),
            requests,
            answered,
            pending: requests - answered,
            requests_key: mid,
            answered_key: mid,
            pending_key: mid,
            ..CountryCounts::default()
        }
    }

    fn day(country: &str, day: u32, events: u64, censored: u64) -> CountryDay {
        CountryDay {
            country: country.into(),
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

    /// Norway: 4 requests answered on days 10 and 30, 2 censored on 100;
    /// Germany: 12, 6 answered on day 20, 6 censored on 100; Japan: 2
    /// censored.
    fn sample() -> Aggregates {
        Aggregates {
            counts: vec![counts("DE", 12, 6), counts("JP", 2, 0), counts("NO", 4, 2)],
            response_days: vec![
                day("DE", 20, 6, 0),
                day("DE", 100, 0, 6),
                day("JP", 5, 0, 1),
                day("JP", 100, 0, 1),
                day("NO", 10, 1, 0),
                day("NO", 30, 1, 0),
                day("NO", 100, 0, 2),
            ],
            acknowledgement_days: Vec::new(),
            execution_days: Vec::new(),
        }
    }

    #[test]
    fn exact_curves_are_the_estimates_per_country_and_pooled() {
        let c = of(sample());
        let names: Vec<&str> = c.countries.iter().map(|c| c.country.as_str()).collect();
        assert_eq!(names, ["DE", "JP", "NO"]);
        let no = &c.countries[2];
        assert_eq!(no.country_name, "Norway");
        let steps = no.curve.steps();
        assert_eq!(
            steps
                .iter()
                .map(|s| (s.day, s.at_risk, s.events, s.survival))
                .collect::<Vec<_>>(),
            [(10, 4, 1, 0.75), (30, 3, 1, 0.5), (100, 2, 0, 0.5)]
        );
        assert_eq!(c.all.curve.requests(), 18);
        let shown = exact(&c);
        let no = &shown.countries[2];
        assert!(no.suppressed.is_empty());
        let first = &no.curve.as_ref().unwrap()[0];
        assert_eq!((first.at_risk, first.events), (Some(4), Some(1)));
        assert_eq!(no.curve.as_ref().unwrap().len(), 3);
    }

    #[test]
    fn the_published_view_shows_grid_curves_only_over_published_counts() {
        let published = published(&sample(), 5);
        for (curve, row) in published.countries.iter().zip(&published.table.rows) {
            let safe = row["requests"]
                .as_u64()
                .is_some_and(|n| crate::stats::large_enough(n, 5))
                && !row["answered"].is_null();
            assert_eq!(curve.curve.is_some(), safe, "{curve:?} {row:?}");
        }
        assert!(published.countries[2].curve.is_none(), "Norway's 4");
        assert!(published.countries[1].curve.is_none(), "Japan's 2");
        // Germany: 12 requests and 6 answered, each cell with noise 0; its
        // curve is the life table at days 30, 60, 90 and 120 only.
        let de = published.countries[0].curve.as_ref().expect("Germany's 12");
        assert_eq!(
            published.countries[0].suppressed,
            ["lower", "upper", "at_risk", "events"]
        );
        assert_eq!(
            de.iter().map(|s| s.day).collect::<Vec<_>>(),
            [30, 60, 90, 120]
        );
        assert_eq!(de[0].survival, 0.5);
        for s in de {
            assert_eq!(
                (s.lower, s.upper, s.at_risk, s.events),
                (None, None, None, None)
            );
        }
    }

    #[test]
    fn csv_has_one_row_per_step_and_a_row_per_hidden_curve() {
        let published = published(&sample(), 5);
        let rows = csv_rows(&published);
        let refs: Vec<&super::super::ShownRow> = rows.iter().collect();
        let text = super::super::to_csv(&COLUMNS, &refs).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "country,country_name,day,survival,lower,upper,at_risk,events,suppressed"
        );
        assert!(lines.contains(&"JP,Japan,,,,,,,curve"), "{text}");
        assert!(
            lines.contains(&"DE,Germany,30,0.5,,,,,lower;upper;at_risk;events"),
            "{text}"
        );
    }
}
