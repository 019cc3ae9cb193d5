//! The statistics' database aggregation (`db::stats`) against a plain
//! re-implementation of the definitions of docs/DOMAIN.md §8 over every
//! request, read back through the API, on a seeded portfolio — on SQLite and
//! PostgreSQL.

use crate::common;

use std::collections::BTreeMap;

use crate::common::spawn_app;
use chrono::NaiveDate;
use mla_tracker::db::stats;
use mla_tracker::domain::{Channel, CountryCode, LegalBasis, Offence};
use mla_tracker::stats::aggregates::{CountryCounts, Population, Waiting};
use serde_json::Value;

fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str().map(|s| s.parse().unwrap())
}

fn text<'a>(r: &'a Value, field: &str) -> &'a str {
    r[field].as_str().unwrap_or("")
}

/// Whether `r` belongs to the population, by the definitions.
fn in_population(r: &Value, p: &Population) -> bool {
    let Some(sent) = date(&r["sent_at"]) else {
        return false;
    };
    let offences: Vec<&str> = r["offences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    sent <= p.as_of
        && p.sent_from.is_none_or(|f| sent >= f)
        && p.sent_to.is_none_or(|t| sent <= t)
        && (p.offences.is_empty() || p.offences.iter().any(|o| offences.contains(&o.as_str())))
        && (p.legal_bases.is_empty()
            || p.legal_bases
                .iter()
                .any(|b| text(r, "legal_basis") == b.as_str()))
        && (p.channels.is_empty() || p.channels.iter().any(|c| text(r, "channel") == c.as_str()))
        && (p.countries.is_empty()
            || p.countries
                .iter()
                .any(|c| text(r, "target_country") == c.as_str()))
}

/// The status on `as_of`: the current one if reached by then, else waiting.
fn status_on(r: &Value, as_of: NaiveDate) -> &str {
    if date(&r["status_since"]).unwrap() <= as_of {
        text(r, "status")
    } else {
        "sent"
    }
}

/// Victims identified per country, by the definition (docs/DOMAIN.md §8.4):
/// each case's once, for the country of the request in the population,
/// executed or partially executed on `as_of`, that executed
/// `identify_victims`, else asked for it, else any; the first sent, then
/// the first recorded.
fn expected_victims(all: &[Value], cases: &[Value], p: &Population) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for case in cases {
        let victims = case["victims_identified"].as_i64().unwrap_or(0);
        if victims == 0 {
            continue;
        }
        let rank = |r: &Value| {
            if r["measure_outcomes"]["identify_victims"] == "executed" {
                0
            } else if r["measures"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == "identify_victims")
            {
                1
            } else {
                2
            }
        };
        let created =
            |r: &Value| chrono::DateTime::parse_from_rfc3339(text(r, "created_at")).unwrap();
        let taker = all
            .iter()
            .filter(|r| r["case_id"] == case["id"] && in_population(r, p))
            .filter(|r| matches!(status_on(r, p.as_of), "executed" | "partially_executed"))
            .min_by_key(|r| (rank(r), date(&r["sent_at"]), created(r)));
        if let Some(r) = taker {
            *out.entry(text(r, "target_country").to_string())
                .or_default() += victims;
        }
    }
    out
}

fn expected_counts(all: &[Value], cases: &[Value], p: &Population) -> Vec<CountryCounts> {
    let victims = expected_victims(all, cases, p);
    let mut by: BTreeMap<String, CountryCounts> = BTreeMap::new();
    for r in all.iter().filter(|r| in_population(r, p)) {
        let c = by
            .entry(text(r, "target_country").to_string())
            .or_insert_with(|| CountryCounts {
                country: text(r, "target_country").to_string(),
                ..CountryCounts::default()
            });
        c.requests += 1;
        if date(&r["first_response_at"]).is_some_and(|d| d <= p.as_of) {
            c.answered += 1;
        }
        let status = status_on(r, p.as_of);
        match status {
            "sent"
            | "acknowledged"
            | "additional_info_requested"
            | "information_supplied"
            | "postponed"
            | "in_execution" => c.pending += 1,
            "executed" => c.executed += 1,
            "partially_executed" => c.partially_executed += 1,
            "refused" => c.refused += 1,
            "withdrawn" => c.withdrawn += 1,
            "abandoned" => {
                c.abandoned += 1;
                if text(r, "abandonment_reason") == "no_response" {
                    c.abandoned_no_response += 1;
                }
            }
            other => panic!("a sent request in status {other}"),
        }
    }
    for (country, n) in victims {
        by.get_mut(&country)
            .expect("victims are counted for a country of the population")
            .victims_identified = n;
    }
    by.into_values().collect()
}

/// (country, day, event) → requests, by the definitions.
fn expected_days(
    all: &[Value],
    p: &Population,
    waiting: Waiting,
) -> BTreeMap<(String, u32, bool), u64> {
    let mut out = BTreeMap::new();
    for r in all.iter().filter(|r| in_population(r, p)) {
        let sent = date(&r["sent_at"]).unwrap();
        let closed = date(&r["closed_at"]).filter(|d| *d <= p.as_of);
        let status = text(r, "status");
        let (until, event) = match waiting {
            Waiting::FirstResponse => match date(&r["first_response_at"]) {
                Some(d) if d <= p.as_of => (d, true),
                _ if status == "withdrawn" && closed.is_some() => (closed.unwrap(), false),
                _ => (p.as_of, false),
            },
            Waiting::Execution => match closed {
                Some(d) if status == "executed" => (d, true),
                Some(d) if matches!(status, "refused" | "withdrawn" | "abandoned") => (d, false),
                _ => (p.as_of, false),
            },
        };
        let day = (until - sent).num_days() as u32;
        *out.entry((text(r, "target_country").to_string(), day, event))
            .or_default() += 1;
    }
    out
}

#[actix_web::test]
async fn database_aggregates_match_the_definitions_request_by_request() {
    let app = spawn_app().await;
    app.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 1500, 7, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    let all = app.list_all("", 200).await;
    assert!(all.len() >= 1500, "{}", all.len());
    let cases = app.list_all_cases(200).await;
    let with_victims: Vec<&Value> = cases
        .iter()
        .filter(|c| c["victims_identified"].as_i64().unwrap_or(0) > 0)
        .collect();
    // Some cases have victims and several requests, so the attribution to
    // one request is exercised.
    assert!(
        with_victims
            .iter()
            .any(|c| { all.iter().filter(|r| r["case_id"] == c["id"]).count() > 1 }),
        "a case with victims and several requests"
    );

    let today = common::office_today();
    let mut populations = vec![
        Population::as_of(today),
        // A past analysis date: later answers and closings do not count yet.
        Population::as_of(today - chrono::Days::new(400)),
        Population {
            sent_from: Some(today - chrono::Days::new(3 * 365)),
            sent_to: Some(today - chrono::Days::new(365)),
            ..Population::as_of(today)
        },
    ];
    populations.push(Population {
        offences: vec![
            Offence::ChildSexualExploitation,
            Offence::ChildSexualAbuseMaterial,
        ],
        ..Population::as_of(today)
    });
    populations.push(Population {
        legal_bases: vec![LegalBasis::EioDirective],
        channels: vec![Channel::ALL[0], Channel::ALL[1]],
        ..Population::as_of(today)
    });
    populations.push(Population {
        countries: vec![
            CountryCode::parse("PH").unwrap(),
            CountryCode::parse("DE").unwrap(),
        ],
        ..Population::as_of(today)
    });

    for p in populations {
        let expected = expected_counts(&all, &cases, &p);
        assert!(
            !expected.is_empty(),
            "an empty population proves nothing: {p:?}"
        );
        let q = p.clone();
        let counts = app
            .db
            .read(move |conn| Ok::<_, mla_tracker::db::Error>(stats::country_counts(conn, &q)?))
            .await
            .unwrap();
        assert_eq!(counts, expected, "{p:?}");

        for waiting in [Waiting::FirstResponse, Waiting::Execution] {
            let expected = expected_days(&all, &p, waiting);
            let q = p.clone();
            let days = app
                .db
                .read(move |conn| {
                    Ok::<_, mla_tracker::db::Error>(stats::waiting_days(conn, &q, waiting)?)
                })
                .await
                .unwrap();
            let mut got: BTreeMap<(String, u32, bool), u64> = BTreeMap::new();
            for d in days {
                if d.count.events > 0 {
                    *got.entry((d.country.clone(), d.count.day, true))
                        .or_default() += d.count.events;
                }
                if d.count.censored > 0 {
                    *got.entry((d.country, d.count.day, false)).or_default() += d.count.censored;
                }
            }
            assert_eq!(got, expected, "{waiting:?} {p:?}");
            assert!(
                expected.keys().any(|k| k.2) && expected.keys().any(|k| !k.2),
                "both events and censorings are exercised: {waiting:?} {p:?}"
            );
        }
    }
}
