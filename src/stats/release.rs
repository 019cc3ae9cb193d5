//! The published view's closed query space (docs/DOMAIN.md §9.1): the
//! figures analysts get are releases, not answers to ad-hoc queries.
//!
//! A published table is computed as of a **release date** — the last day of
//! a month before the current one (by default the latest) — over all
//! requests sent, or those sent in **one calendar year or one quarter**,
//! with **at most one value** per filter (offence, measure, facilitator,
//! legal basis, channel, priority, country), and a timeline by year or quarter. Day-by-day steps of a
//! period or of `as_of`, lists of countries that leave one out, and months
//! are what differencing attacks are made of; the perturbation
//! ([`super::cellkey`]) protects each cell, and this space keeps the
//! number of cells an attacker can combine small.

use chrono::{Datelike, Months, NaiveDate};

use super::aggregates::{Bucket, Population};
use crate::domain::FieldErrors;

/// The latest release date on `today`: the last day of the previous month.
pub fn latest(today: NaiveDate) -> NaiveDate {
    today
        .with_day(1)
        .expect("day 1 exists")
        .pred_opt()
        .expect("a day before")
}

/// The `as_of` of a query that names none: the latest release in the
/// published view, today in the exact one.
pub fn default_as_of(published: bool, today: NaiveDate) -> NaiveDate {
    if published { latest(today) } else { today }
}

/// Whether `date` is the last day of its month.
fn month_end(date: NaiveDate) -> bool {
    date.succ_opt().is_some_and(|next| next.day() == 1)
}

/// The first day of `date`'s quarter.
fn quarter_start(date: NaiveDate) -> NaiveDate {
    let month = (date.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(date.year(), month, 1).expect("a quarter's first day")
}

/// The last day of the period of `months` months starting on `from`.
fn period_end(from: NaiveDate, months: u32) -> NaiveDate {
    (from + Months::new(months))
        .pred_opt()
        .expect("a day before")
}

/// Adds to `errors` what the published view refuses in `population` and
/// `bucket` (the timeline's, if any), each under its parameter's name, with
/// what is allowed.
pub fn check(
    population: &Population,
    bucket: Option<Bucket>,
    today: NaiveDate,
    errors: &mut FieldErrors,
) {
    let latest = latest(today);
    if !(month_end(population.as_of) && population.as_of <= latest) {
        errors.add(
            "as_of",
            format!(
                "must be a release date in the published view: the last day of a past month \
                 (the latest is {latest})"
            ),
        );
    }
    match (population.sent_from, population.sent_to) {
        (None, None) => {}
        (Some(_), None) => errors.add(
            "sent_to",
            "must be given with sent_from in the published view",
        ),
        (None, Some(_)) => errors.add(
            "sent_from",
            "must be given with sent_to in the published view",
        ),
        (Some(from), Some(to)) => {
            if from != quarter_start(from) {
                errors.add(
                    "sent_from",
                    "must be the first day of a year or of a quarter in the published view \
                     (e.g. 2025-01-01 or 2025-07-01)",
                );
            } else if to != period_end(from, 3)
                && !(from.month() == 1 && to == period_end(from, 12))
            {
                errors.add(
                    "sent_to",
                    format!(
                        "must end the year or the quarter sent_from starts in the published view \
                         ({} or {})",
                        period_end(from, 3),
                        if from.month() == 1 {
                            period_end(from, 12).to_string()
                        } else {
                            "a year starts on 1 January".to_string()
                        }
                    ),
                );
            }
        }
    }
    for (field, values) in [
        ("offence", population.offences.len()),
        ("legal_basis", population.legal_bases.len()),
        ("channel", population.channels.len()),
        ("country", population.countries.len()),
        ("measure", population.measures.len()),
        ("priority", population.priorities.len()),
        ("facilitator", population.facilitators.len()),
    ] {
        if values > 1 {
            errors.add(field, "takes at most one value in the published view");
        }
    }
    if bucket == Some(Bucket::Month) {
        errors.add("bucket", "must be year or quarter in the published view");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CountryCode, Facilitator, Measure, Priority};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn refused(p: &Population, bucket: Option<Bucket>) -> Vec<String> {
        let mut errors = FieldErrors::default();
        check(p, bucket, d("2026-06-15"), &mut errors);
        errors.0.keys().cloned().collect()
    }

    fn period(from: &str, to: &str) -> Population {
        Population {
            sent_from: Some(d(from)),
            sent_to: Some(d(to)),
            ..Population::as_of(d("2026-05-31"))
        }
    }

    #[test]
    fn releases_are_ends_of_past_months() {
        assert_eq!(latest(d("2026-06-15")), d("2026-05-31"));
        assert_eq!(latest(d("2028-03-01")), d("2028-02-29"));
        for ok in ["2026-05-31", "2024-02-29", "2019-12-31"] {
            assert!(refused(&Population::as_of(d(ok)), None).is_empty(), "{ok}");
        }
        for bad in [
            "2026-06-30",
            "2026-05-30",
            "2026-06-15",
            "2023-02-27",
            "2025-12-01",
        ] {
            assert_eq!(
                refused(&Population::as_of(d(bad)), None),
                ["as_of"],
                "{bad}"
            );
        }
    }

    #[test]
    fn periods_are_one_year_or_one_quarter() {
        for (from, to) in [
            ("2025-01-01", "2025-12-31"),
            ("2025-01-01", "2025-03-31"),
            ("2025-07-01", "2025-09-30"),
            ("2025-10-01", "2025-12-31"),
        ] {
            assert!(refused(&period(from, to), None).is_empty(), "{from} {to}");
        }
        assert_eq!(
            refused(&period("2025-01-02", "2025-12-31"), None),
            ["sent_from"]
        );
        assert_eq!(
            refused(&period("2025-02-01", "2025-04-30"), None),
            ["sent_from"]
        );
        assert_eq!(
            refused(&period("2025-01-01", "2025-12-30"), None),
            ["sent_to"]
        );
        assert_eq!(
            refused(&period("2024-01-01", "2025-12-31"), None),
            ["sent_to"]
        );
        assert_eq!(
            refused(&period("2025-04-01", "2025-12-31"), None),
            ["sent_to"]
        );
        let mut half = period("2025-01-01", "2025-12-31");
        half.sent_to = None;
        assert_eq!(refused(&half, None), ["sent_to"]);
    }

    #[test]
    fn one_value_per_filter_and_no_months() {
        let mut p = Population::as_of(d("2026-05-31"));
        p.countries = vec![CountryCode::parse("FR").unwrap()];
        assert!(refused(&p, Some(Bucket::Quarter)).is_empty());
        p.countries.push(CountryCode::parse("DE").unwrap());
        assert_eq!(refused(&p, Some(Bucket::Month)), ["bucket", "country"]);
        let mut p = Population::as_of(d("2026-05-31"));
        p.measures = vec![Measure::IdentifyVictims];
        p.priorities = vec![Priority::Urgent];
        p.facilitators = vec![Facilitator::ALL[0]];
        assert!(refused(&p, None).is_empty());
        p.measures.push(Measure::ALL[0]);
        p.priorities.push(Priority::ALL[0]);
        p.facilitators.push(Facilitator::ALL[1]);
        assert_eq!(refused(&p, None), ["facilitator", "measure", "priority"]);
    }
}
