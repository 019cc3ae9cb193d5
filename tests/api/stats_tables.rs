//! `GET /stats/abandonment-reasons`, `/stats/refusal-grounds` and
//! `/stats/timeline` end to end, on a seeded portfolio: the counts and
//! medians against a plain recount of every request read back through the
//! API, the bucket labels, the published view and who gets it, CSV, and bad
//! parameters — on SQLite and PostgreSQL.

use crate::common;

use std::collections::BTreeMap;

use crate::common::{TestApp, query, spawn_app};
use chrono::{Datelike, NaiveDate};
use serde_json::Value;

const ABANDONMENT_REASONS: [&str; 12] = [
    "no_response",
    "case_closed",
    "evidence_obtained_otherwise",
    "no_longer_needed",
    "limitation_period_expired",
    "suspect_deceased",
    "data_no_longer_available",
    "superseded_by_new_request",
    "tried_without_evidence",
    "proceedings_transferred",
    "requested_state_unreachable",
    "other",
];

const REFUSAL_GROUNDS: [&str; 18] = [
    "insufficient_information",
    "form_defect_or_language",
    "no_legal_basis_or_reciprocity",
    "dual_criminality",
    "measure_unavailable_domestically",
    "evidentiary_threshold_not_met",
    "territoriality",
    "sovereignty_public_order",
    "political_offence",
    "fiscal_offence",
    "ne_bis_in_idem",
    "death_penalty",
    "immunity_or_privilege",
    "fundamental_rights",
    "data_protection",
    "de_minimis",
    "bank_secrecy_invoked",
    "other",
];

const TIMELINE_COUNTS: [&str; 5] = ["sent", "answered", "executed", "refused", "abandoned"];

fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str().map(|s| s.parse().unwrap())
}

fn text<'a>(r: &'a Value, field: &str) -> &'a str {
    r[field].as_str().unwrap_or("")
}

fn today() -> NaiveDate {
    common::office_today()
}

/// A request's status on `as_of`: its current one if reached by then.
fn status_on(r: &Value, as_of: NaiveDate) -> &str {
    if date(&r["status_since"]).unwrap() <= as_of {
        text(r, "status")
    } else {
        "sent"
    }
}

/// The requests sent in `[from, as_of]`.
fn population(all: &[Value], from: Option<NaiveDate>, as_of: NaiveDate) -> Vec<&Value> {
    all.iter()
        .filter(|r| date(&r["sent_at"]).is_some_and(|s| s <= as_of && from.is_none_or(|f| s >= f)))
        .collect()
}

fn label(sent: NaiveDate, bucket: &str) -> String {
    match bucket {
        "year" => format!("{}", sent.year()),
        "quarter" => format!("{}-Q{}", sent.year(), sent.month0() / 3 + 1),
        "month" => format!("{}-{:02}", sent.year(), sent.month()),
        other => panic!("{other}"),
    }
}

/// Kaplan–Meier median of the days to a first response, by the
/// definitions, over whole requests: (median, not reached).
fn median_days_to_response(requests: &[&Value], as_of: NaiveDate) -> (Option<i64>, bool) {
    let mut times: Vec<(i64, bool)> = requests
        .iter()
        .map(|r| {
            let sent = date(&r["sent_at"]).unwrap();
            let closed = date(&r["closed_at"]).filter(|d| *d <= as_of);
            let until = match date(&r["first_response_at"]) {
                Some(d) if d <= as_of => return ((d - sent).num_days(), true),
                _ if text(r, "status") == "withdrawn" && closed.is_some() => closed.unwrap(),
                _ => as_of,
            };
            ((until - sent).num_days(), false)
        })
        .collect();
    times.sort();
    let mut at_risk = times.len() as f64;
    let mut survival = 1.0;
    let mut i = 0;
    while i < times.len() {
        let day = times[i].0;
        let same: Vec<_> = times[i..].iter().take_while(|t| t.0 == day).collect();
        let events = same.iter().filter(|t| t.1).count() as f64;
        survival *= (at_risk - events) / at_risk;
        if survival <= 0.5 + 1e-12 {
            return (Some(day), false);
        }
        at_risk -= same.len() as f64;
        i += same.len();
    }
    (None, true)
}

async fn get(app: &TestApp, path: &str, token: &str, pairs: &[(&str, &str)]) -> Value {
    let res = app
        .get(&format!("/api/v1/stats/{path}?{}", query(pairs)), token)
        .await;
    assert_eq!(res.status, 200, "{path}: {res:?}");
    res.body
}

async fn seeded() -> (TestApp, Vec<Value>) {
    let app = spawn_app().await;
    app.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 1500, 11, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    let all = app.list_all("", 200).await;
    assert!(all.len() >= 1500, "{}", all.len());
    (app, all)
}

/// The periods checked: everything as of 400 days ago (later answers and
/// closings do not count yet), and two years before that date.
fn periods() -> Vec<(Option<NaiveDate>, NaiveDate)> {
    let past = today() - chrono::Days::new(400);
    vec![(None, past), (Some(past - chrono::Days::new(730)), past)]
}

fn pairs<'a>(from: &'a Option<String>, as_of: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![("as_of", as_of)];
    if let Some(from) = from {
        out.push(("sent_from", from.as_str()));
    }
    out
}

#[actix_web::test]
async fn counts_and_medians_match_a_recount_of_every_request() {
    let (app, all) = seeded().await;
    for (from, as_of) in periods() {
        let pop = population(&all, from, as_of);
        let (from_s, as_of_s) = (from.map(|d| d.to_string()), as_of.to_string());
        let params = pairs(&from_s, &as_of_s);

        for (path, status, field, vocabulary) in [
            (
                "abandonment-reasons",
                "abandoned",
                "abandonment_reason",
                &ABANDONMENT_REASONS[..],
            ),
            (
                "refusal-grounds",
                "refused",
                "refusal_ground",
                &REFUSAL_GROUNDS[..],
            ),
        ] {
            let mut expected: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            for r in pop.iter().filter(|r| status_on(r, as_of) == status) {
                let reason = text(r, field);
                assert!(vocabulary.contains(&reason), "{reason}");
                *expected
                    .entry(text(r, "target_country").to_string())
                    .or_default()
                    .entry(reason.to_string())
                    .or_default() += 1;
            }
            assert!(expected.len() > 3, "too few countries to prove anything");
            let body = get(&app, path, &app.admin_token, &params).await;
            assert_eq!(body["suppression"]["applied"], false);
            assert_eq!(body["as_of"], as_of_s.as_str());
            let rows = body["countries"].as_array().unwrap();
            let countries: Vec<&str> = rows.iter().map(|r| text(r, "country")).collect();
            assert_eq!(
                countries,
                expected.keys().map(String::as_str).collect::<Vec<_>>(),
                "{path}: one row per country with any, in code order"
            );
            let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
            for row in rows {
                let want = &expected[text(row, "country")];
                assert!(!text(row, "country_name").is_empty(), "{row}");
                let mut sum = 0;
                for reason in vocabulary {
                    let n = want.get(*reason).copied().unwrap_or(0);
                    assert_eq!(row[*reason], n, "{path} {reason}: {row}");
                    *totals.entry(reason).or_default() += n;
                    sum += n;
                }
                assert_eq!(row[status], sum, "{path}: {row}");
                assert_eq!(row["suppressed"], serde_json::json!([]));
            }
            for reason in vocabulary {
                assert_eq!(body["totals"][*reason], totals[reason], "{path} {reason}");
            }
            assert_eq!(body["totals"][status], totals.values().sum::<u64>());
            assert!(body["totals"].get("country").is_none());
        }

        for bucket in ["year", "quarter", "month"] {
            let mut by: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
            for r in &pop {
                by.entry(label(date(&r["sent_at"]).unwrap(), bucket))
                    .or_default()
                    .push(r);
            }
            let mut params = params.clone();
            params.push(("bucket", bucket));
            let body = get(&app, "timeline", &app.admin_token, &params).await;
            let rows = body["buckets"].as_array().unwrap();
            let labels: Vec<&str> = rows.iter().map(|r| text(r, "bucket")).collect();
            assert_eq!(
                labels,
                by.keys().map(String::as_str).collect::<Vec<_>>(),
                "{bucket}: labels in time order"
            );
            let check = |row: &Value, requests: &[&Value], what: &str| {
                let count = |f: &dyn Fn(&Value) -> bool| requests.iter().filter(|r| f(r)).count();
                let status = |s: &'static str| move |r: &Value| status_on(r, as_of) == s;
                assert_eq!(row["sent"], requests.len(), "{what}: {row}");
                assert_eq!(
                    row["answered"],
                    count(&|r| date(&r["first_response_at"]).is_some_and(|d| d <= as_of)),
                    "{what}: {row}"
                );
                assert_eq!(row["executed"], count(&status("executed")), "{what}: {row}");
                assert_eq!(row["refused"], count(&status("refused")), "{what}: {row}");
                assert_eq!(
                    row["abandoned"],
                    count(&status("abandoned")),
                    "{what}: {row}"
                );
                let (median, not_reached) = median_days_to_response(requests, as_of);
                assert_eq!(
                    row["median_days_to_response"].as_i64(),
                    median,
                    "{what}: {row}"
                );
                assert_eq!(row["median_response_not_reached"], not_reached, "{what}");
            };
            for row in rows {
                let label = text(row, "bucket");
                check(row, &by[label], &format!("{bucket} {label}"));
            }
            check(&body["totals"], &pop, &format!("{bucket} totals"));
            assert!(body["totals"].get("bucket").is_none());
            assert!(
                rows.iter().any(|r| r["median_days_to_response"].is_u64()),
                "some median is reached: {body}"
            );
        }
    }
}

fn listed(row: &Value, field: &str) -> bool {
    row["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == field)
}

/// No count from 1 to 4 is visible and every hidden count is listed.
fn assert_published(body: &Value, rows_key: &str, counts: &[&str]) {
    assert_eq!(body["suppression"]["applied"], true, "{body}");
    let mut rows: Vec<&Value> = body[rows_key].as_array().unwrap().iter().collect();
    assert!(!rows.is_empty());
    rows.push(&body["totals"]);
    let mut hidden = 0;
    for row in &rows {
        for field in counts {
            if let Some(n) = row[*field].as_u64() {
                assert!(!(1..5).contains(&n), "{field} = {n} shown: {row}");
                assert!(!listed(row, field), "{field} shown and listed: {row}");
            } else {
                assert!(listed(row, field), "{field} is null but not listed: {row}");
                hidden += 1;
            }
        }
    }
    // Whole years hold hundreds of requests each: only the smaller rows
    // (countries, quarters) are sure to hide something.
    assert!(
        hidden > 0
            || body["buckets"][0]["bucket"]
                .as_str()
                .is_some_and(|b| b.len() == 4),
        "the portfolio has small cells: {body}"
    );
}

/// A release date (the published view's `as_of`) 400 days ago or just
/// before.
fn release_400_days_ago() -> String {
    mla_tracker::stats::release::latest(today() - chrono::Days::new(400)).to_string()
}

#[actix_web::test]
async fn analysts_only_ever_get_the_published_view() {
    let (app, _) = seeded().await;
    let analyst = app.token_for("analyst").await;
    let coordinator = app.token_for("coordinator").await;
    let as_of = release_400_days_ago();
    let mut abandoned: Vec<&str> = ABANDONMENT_REASONS.to_vec();
    abandoned.push("abandoned");
    let mut refused: Vec<&str> = REFUSAL_GROUNDS.to_vec();
    refused.push("refused");

    for (path, extra, rows_key, counts) in [
        ("abandonment-reasons", None, "countries", &abandoned[..]),
        ("refusal-grounds", None, "countries", &refused[..]),
        (
            "timeline",
            Some(("bucket", "year")),
            "buckets",
            &TIMELINE_COUNTS[..],
        ),
        (
            "timeline",
            Some(("bucket", "quarter")),
            "buckets",
            &TIMELINE_COUNTS[..],
        ),
    ] {
        let mut params = vec![("as_of", as_of.as_str())];
        params.extend(extra);
        for suppress in [None, Some("false")] {
            let mut p = params.clone();
            p.extend(suppress.map(|s| ("suppress", s)));
            let body = get(&app, path, &analyst, &p).await;
            assert_published(&body, rows_key, counts);
            if path == "timeline" {
                let mut rows: Vec<&Value> = body["buckets"].as_array().unwrap().iter().collect();
                rows.push(&body["totals"]);
                for row in rows {
                    let few = row["sent"].as_u64().is_none_or(|n| n < 5);
                    if few {
                        assert!(row["median_days_to_response"].is_null(), "{row}");
                        assert!(row["median_response_not_reached"].is_null(), "{row}");
                        assert!(listed(row, "median_days_to_response"), "{row}");
                    }
                }
            }
        }
        let mut p = params.clone();
        p.push(("suppress", "true"));
        assert_eq!(
            get(&app, path, &app.admin_token, &p).await,
            get(&app, path, &analyst, &params).await,
            "{path}: suppress=true shows other roles what analysts see"
        );
        let exact = get(&app, path, &coordinator, &params).await;
        assert_eq!(exact["suppression"]["applied"], false, "{path}");
        let rows = exact[rows_key].as_array().unwrap();
        // Whole years hold hundreds of requests: no small count to show.
        let years = extra == Some(("bucket", "year"));
        assert!(
            years
                || rows.iter().any(|r| counts
                    .iter()
                    .any(|c| r[*c].as_u64().is_some_and(|n| (1..5).contains(&n)))),
            "{path}: the exact view shows small counts"
        );
        let res = app.get(&format!("/api/v1/stats/{path}"), "").await;
        assert_eq!(res.status, 401);
    }
}

fn csv_header(columns: &[&str]) -> String {
    columns.join(",")
}

#[actix_web::test]
async fn csv_has_one_row_per_country_or_bucket_and_the_totals_last() {
    let (app, all) = seeded().await;
    let as_of = release_400_days_ago();
    let analyst = app.token_for("analyst").await;
    let mut abandoned = vec!["country", "country_name"];
    abandoned.extend(ABANDONMENT_REASONS);
    abandoned.extend(["abandoned", "suppressed"]);
    let mut refused = vec!["country", "country_name"];
    refused.extend(REFUSAL_GROUNDS);
    refused.extend(["refused", "suppressed"]);
    let timeline = [
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
    // The timeline as of the release at the end of a January: its last
    // (year) bucket holds one month's requests.
    let year = (today() - chrono::Days::new(400)).year();
    let timeline_as_of = chrono::NaiveDate::from_ymd_opt(year, 1, 31)
        .unwrap()
        .to_string();
    for (path, columns, rows_key, totals_prefix, as_of) in [
        (
            "abandonment-reasons",
            &abandoned[..],
            "countries",
            ",All countries,",
            &as_of,
        ),
        (
            "refusal-grounds",
            &refused[..],
            "countries",
            ",All countries,",
            &as_of,
        ),
        ("timeline", &timeline[..], "buckets", ",", &timeline_as_of),
    ] {
        let res = app
            .get(
                &format!("/api/v1/stats/{path}?as_of={as_of}&format=csv"),
                &app.admin_token,
            )
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        assert_eq!(
            res.header("content-type").as_deref(),
            Some("text/csv; charset=utf-8")
        );
        assert!(
            res.header("content-disposition")
                .is_some_and(|d| d.contains(&format!("{path}.csv"))),
            "{res:?}"
        );
        let text = res.body.as_str().unwrap().to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], csv_header(columns), "{path}");
        let json = get(&app, path, &app.admin_token, &[("as_of", as_of)]).await;
        let rows = json[rows_key].as_array().unwrap();
        assert_eq!(lines.len(), rows.len() + 2, "{path}: header, rows, totals");
        assert!(
            lines.last().unwrap().starts_with(totals_prefix),
            "{path}: {text}"
        );
        let first = text_of(&rows[0], columns[0]);
        assert!(lines[1].starts_with(&format!("{first},")), "{path}: {text}");

        let by_accept = app
            .call_with(
                awc::http::Method::GET,
                &format!("/api/v1/stats/{path}?as_of={as_of}"),
                Some(&analyst),
                None,
                &[("Accept", "text/csv")],
            )
            .await;
        assert_eq!(by_accept.status, 200);
        let published = by_accept.body.as_str().unwrap_or_default();
        assert_eq!(published.lines().next(), Some(csv_header(columns).as_str()));
        // Hidden cells are empty, and only they: the CSV is the JSON.
        let json = get(&app, path, &analyst, &[("as_of", as_of)]).await;
        let mut rows: Vec<&Value> = json[rows_key].as_array().unwrap().iter().collect();
        rows.push(&json["totals"]);
        let lines: Vec<&str> = published.lines().skip(1).collect();
        assert_eq!(lines.len(), rows.len(), "{path}: {published}");
        let mut hidden = 0;
        for (line, row) in lines.iter().zip(rows) {
            let cells: Vec<&str> = line.split(',').collect();
            for (column, cell) in columns.iter().zip(&cells) {
                if *column == "suppressed" || row.get(*column).is_none() {
                    continue;
                }
                assert_eq!(
                    cell.is_empty(),
                    row[*column].is_null(),
                    "{path} {column}: {line} {row}"
                );
                hidden += usize::from(row[*column].is_null());
            }
        }
        assert!(
            hidden > 0 || path == "timeline",
            "{path}: the portfolio has small cells: {published}"
        );
    }
    // Year buckets: from the first year sent to the year of `as_of`.
    let res = app
        .get(
            &format!("/api/v1/stats/timeline?as_of={as_of}&bucket=year&format=csv"),
            &app.admin_token,
        )
        .await;
    let text = res.body.as_str().unwrap().to_string();
    let years: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let first = all
        .iter()
        .filter_map(|r| date(&r["sent_at"]))
        .min()
        .unwrap()
        .year();
    assert_eq!(years.first(), Some(&first.to_string().as_str()), "{text}");
    assert_eq!(years.last(), Some(&""), "totals last: {text}");
}

fn text_of(row: &Value, column: &str) -> String {
    row[column].as_str().unwrap_or_default().to_string()
}

#[actix_web::test]
async fn bad_parameters_are_named() {
    let app = spawn_app().await;
    for (path, fields) in [
        (
            "abandonment-reasons?bucket=year&format=xml&offence=theft",
            &["bucket", "format", "offence"][..],
        ),
        (
            "refusal-grounds?bucket=month&suppress=maybe&country=ZZ",
            &["bucket", "suppress", "country"][..],
        ),
        (
            "timeline?bucket=week&as_of=2999-01-01&colour=red",
            &["bucket", "as_of", "colour"][..],
        ),
        (
            "timeline?bucket=&sent_from=yesterday",
            &["bucket", "sent_from"][..],
        ),
        ("countries?bucket=quarter", &["bucket"][..]),
    ] {
        let res = app
            .get(&format!("/api/v1/stats/{path}"), &app.admin_token)
            .await;
        assert_eq!(res.status, 422, "{path}: {res:?}");
        for field in fields {
            assert!(
                res.body["error"]["fields"].get(*field).is_some(),
                "{path}: {field} not named: {}",
                res.body
            );
        }
    }
    for bucket in ["year", "quarter", "month"] {
        let res = app
            .get(
                &format!("/api/v1/stats/timeline?bucket={bucket}"),
                &app.admin_token,
            )
            .await;
        assert_eq!(res.status, 200, "{bucket}: {res:?}");
        assert_eq!(res.body["buckets"], serde_json::json!([]), "no request yet");
        assert_eq!(res.body["totals"]["sent"], 0);
    }
}

/// The totals of `GET /stats/{table}` today, exact (the admin).
async fn totals_of(app: &TestApp, table: &str) -> Value {
    get(app, table, &app.admin_token, &[]).await["totals"].clone()
}

/// The statistics count a copy of the register held in memory, read once:
/// every table must still follow each change made after that first read —
/// a request sent, answered, executed, its case's victims — on both
/// backends.
#[actix_web::test]
async fn the_tables_follow_changes_made_after_their_first_read() {
    use common::hand_worked::{moved_on_day, sent};
    let app = spawn_app().await;
    let totals = totals_of(&app, "countries").await;
    assert_eq!(totals["requests"], 0, "{totals}");

    let id = sent(&app, "PH", "FRESH-1").await;
    let totals = totals_of(&app, "countries").await;
    assert_eq!(
        (&totals["requests"], &totals["pending"], &totals["answered"]),
        (&1.into(), &1.into(), &0.into()),
        "{totals}"
    );

    moved_on_day(&app, &id, "in_execution", 12).await;
    moved_on_day(&app, &id, "executed", 40).await;
    let totals = totals_of(&app, "countries").await;
    assert_eq!(
        (&totals["pending"], &totals["answered"], &totals["executed"]),
        (&0.into(), &1.into(), &1.into()),
        "{totals}"
    );
    assert_eq!(totals["victims_identified"], 0, "{totals}");
    assert_eq!(totals_of(&app, "victims").await["cases"], 1);

    let case_id = app
        .get(&format!("/api/v1/requests/{id}"), &app.admin_token)
        .await
        .body["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.set_case_victims(&case_id, 2).await;
    assert_eq!(totals_of(&app, "countries").await["victims_identified"], 2);
    let victims = totals_of(&app, "victims").await;
    assert_eq!(
        (&victims["cases"], &victims["cases_with_victims_identified"]),
        (&1.into(), &1.into()),
        "{victims}"
    );
}
