//! The statistics' counting (`stats::register`, over the copy of the
//! register `db::register` reads) against a plain re-implementation of the
//! definitions of docs/DOMAIN.md §8 over every request, read back through
//! the API, on a seeded portfolio — on SQLite and PostgreSQL, for a copy
//! read whole and for one kept current from the change log.

use crate::common;

use std::collections::BTreeMap;

use crate::common::{hand_worked, spawn_app};
use chrono::NaiveDate;
use mla_tracker::db::register;
use mla_tracker::domain::{
    Channel, CountryCode, Facilitator, LegalBasis, Measure, Offence, Priority,
};
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
    let words = |field: &str| -> Vec<String> {
        r[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap().to_string())
            .collect()
    };
    let (offences, measures, facilitators) =
        (words("offences"), words("measures"), words("facilitators"));
    let any = |asked: Vec<&str>, have: &[String]| {
        asked.is_empty() || asked.iter().any(|a| have.iter().any(|h| h == a))
    };
    sent <= p.as_of
        && p.sent_from.is_none_or(|f| sent >= f)
        && p.sent_to.is_none_or(|t| sent <= t)
        && any(p.offences.iter().map(|o| o.as_str()).collect(), &offences)
        && any(p.measures.iter().map(|m| m.as_str()).collect(), &measures)
        && any(
            p.facilitators.iter().map(|f| f.as_str()).collect(),
            &facilitators,
        )
        && (p.priorities.is_empty()
            || p.priorities
                .iter()
                .any(|v| text(r, "priority") == v.as_str()))
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
fn expected_victims(
    all: &[Value],
    cases: &[Value],
    p: &Population,
    keys: &Keys,
) -> BTreeMap<String, (i64, i64)> {
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
            let entry: &mut (i64, i64) = out
                .entry(text(r, "target_country").to_string())
                .or_default();
            entry.0 += victims;
            entry.1 += keys[text(r, "id")];
        }
    }
    out
}

/// Each request's secret record key, by id (read from the database: the
/// API never shows them).
type Keys = BTreeMap<String, i64>;

fn expected_counts(
    all: &[Value],
    cases: &[Value],
    p: &Population,
    keys: &Keys,
) -> Vec<CountryCounts> {
    let victims = expected_victims(all, cases, p, keys);
    let mut by: BTreeMap<String, CountryCounts> = BTreeMap::new();
    for r in all.iter().filter(|r| in_population(r, p)) {
        let c = by
            .entry(text(r, "target_country").to_string())
            .or_insert_with(|| CountryCounts {
                country: text(r, "target_country").to_string(),
                ..CountryCounts::default()
            });
        let key = keys[text(r, "id")];
        let count = |n: &mut i64, sum: &mut i64| {
            *n += 1;
            *sum += key;
        };
        count(&mut c.requests, &mut c.requests_key);
        if date(&r["first_response_at"]).is_some_and(|d| d <= p.as_of) {
            count(&mut c.answered, &mut c.answered_key);
        }
        if receipt(r).is_some_and(|d| d <= p.as_of) {
            count(&mut c.acknowledged, &mut c.acknowledged_key);
        }
        let status = status_on(r, p.as_of);
        match status {
            "sent"
            | "acknowledged"
            | "additional_info_requested"
            | "information_supplied"
            | "postponed"
            | "in_execution" => count(&mut c.pending, &mut c.pending_key),
            "executed" => count(&mut c.executed, &mut c.executed_key),
            "partially_executed" => count(&mut c.partially_executed, &mut c.partially_executed_key),
            "refused" => count(&mut c.refused, &mut c.refused_key),
            "withdrawn" => count(&mut c.withdrawn, &mut c.withdrawn_key),
            "abandoned" => {
                count(&mut c.abandoned, &mut c.abandoned_key);
                if text(r, "abandonment_reason") == "no_response" {
                    count(
                        &mut c.abandoned_no_response,
                        &mut c.abandoned_no_response_key,
                    );
                }
            }
            other => panic!("a sent request in status {other}"),
        }
    }
    for (country, (n, key)) in victims {
        let c = by
            .get_mut(&country)
            .expect("victims are counted for a country of the population");
        c.victims_identified = n;
        c.victims_key = key;
    }
    by.into_values().collect()
}

/// The first sign of receipt: the acknowledgement, or the first response if
/// it came first.
fn receipt(r: &Value) -> Option<NaiveDate> {
    match (date(&r["acknowledged_at"]), date(&r["first_response_at"])) {
        (Some(a), Some(f)) => Some(a.min(f)),
        (a, f) => a.or(f),
    }
}

/// (country, day, event) → requests and the sum of their keys, by the
/// definitions.
fn expected_days(
    all: &[Value],
    p: &Population,
    waiting: Waiting,
    keys: &Keys,
) -> BTreeMap<(String, u32, bool), (u64, i64)> {
    let mut out = BTreeMap::new();
    for r in all.iter().filter(|r| in_population(r, p)) {
        let sent = date(&r["sent_at"]).unwrap();
        let closed = date(&r["closed_at"]).filter(|d| *d <= p.as_of);
        let status = text(r, "status");
        let (until, event) = match waiting {
            Waiting::Acknowledgement => match receipt(r) {
                Some(d) if d <= p.as_of => (d, true),
                _ if status == "withdrawn" && closed.is_some() => (closed.unwrap(), false),
                _ => (p.as_of, false),
            },
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
        let entry: &mut (u64, i64) = out
            .entry((text(r, "target_country").to_string(), day, event))
            .or_default();
        entry.0 += 1;
        entry.1 += keys[text(r, "id")];
    }
    out
}

#[actix_web::test]
async fn database_aggregates_match_the_definitions_request_by_request() {
    let app = spawn_app().await;
    // A copy read before anything is recorded, then kept current from the
    // change log alone.
    let (kept, mark) = app
        .db
        .read(|conn| Ok::<_, mla_tracker::db::Error>(register::read_all(conn)?))
        .await
        .unwrap();
    assert!(kept.is_empty());
    app.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 1500, 7, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    // The demo portfolio has no livestreamed abuse: three such requests,
    // one answered and executed, so that the filter is exercised.
    for i in 0..3 {
        let mut body =
            common::sent_body(&format!("LIVE-{i}"), &hand_worked::days_before_as_of(100));
        body["target_country"] = "PH".into();
        body["offences"] = serde_json::json!(["livestreamed_child_sexual_abuse"]);
        let id = common::id_of(&app.create_request(&body).await);
        if i == 0 {
            hand_worked::moved_on_day(&app, &id, "in_execution", 12).await;
            hand_worked::moved_on_day(&app, &id, "executed", 40).await;
        }
    }
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
        measures: vec![Measure::IdentifyVictims],
        priorities: vec![Priority::Urgent, Priority::Emergency],
        ..Population::as_of(today)
    });
    populations.push(Population {
        facilitators: Facilitator::ALL.to_vec(),
        ..Population::as_of(today)
    });
    populations.push(Population {
        offences: vec![Offence::LivestreamedChildSexualAbuse],
        ..Population::as_of(today)
    });
    populations.push(Population {
        countries: vec![
            CountryCode::parse("PH").unwrap(),
            CountryCode::parse("DE").unwrap(),
        ],
        ..Population::as_of(today)
    });

    let keys: Keys = app
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use mla_tracker::db::schema::requests;
            let rows: Vec<(String, i64)> = requests::table
                .select((requests::id, requests::record_key))
                .load(conn)?;
            Ok::<_, mla_tracker::db::Error>(rows.into_iter().collect())
        })
        .await
        .unwrap();
    assert!(
        keys.values().all(|k| (0..1 << 32).contains(k)) && keys.values().any(|k| *k > 0),
        "record keys are drawn in [0, 2³²)"
    );

    let (kept, fresh) = app
        .db
        .read(move |conn| {
            let mut kept = kept;
            register::read_changes(conn, &mut kept, mark)?;
            let (fresh, _) = register::read_all(conn)?;
            Ok::<_, mla_tracker::db::Error>((kept, fresh))
        })
        .await
        .unwrap();
    let sent = all.iter().filter(|r| !r["sent_at"].is_null()).count();
    assert_eq!(kept.len(), sent);
    assert_eq!(fresh.len(), sent);

    for (copy, p) in populations.iter().flat_map(|p| [(&kept, p), (&fresh, p)]) {
        let expected = expected_counts(&all, &cases, p, &keys);
        assert!(
            !expected.is_empty(),
            "an empty population proves nothing: {p:?}"
        );
        assert_eq!(copy.country_counts(p), expected, "{p:?}");

        for (waiting, days) in Waiting::ALL.into_iter().zip(copy.clock_days(p)) {
            let expected = expected_days(&all, p, waiting, &keys);
            let mut got: BTreeMap<(String, u32, bool), (u64, i64)> = BTreeMap::new();
            for d in days {
                if d.count.events > 0 {
                    let entry = got
                        .entry((d.country.clone(), d.count.day, true))
                        .or_default();
                    entry.0 += d.count.events;
                    entry.1 += d.keys.events;
                }
                if d.count.censored > 0 {
                    let entry = got.entry((d.country, d.count.day, false)).or_default();
                    entry.0 += d.count.censored;
                    entry.1 += d.keys.censored;
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
