//! `GET /stats/cohorts` end to end, on a seeded portfolio: each cohort's
//! `sent`, `answered_within`, `complete` and share against a recount of
//! every request read back through the API, by the definitions of
//! docs/DOMAIN.md §8.4 (Wilson for complete cohorts, 1 − S(horizon) of a
//! Kaplan–Meier curve over per-request days otherwise); the database's
//! counts and key sums; bad parameters; and the published view analysts
//! get — on SQLite and PostgreSQL.

use crate::common;

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde_json::{Value, json};

use crate::common::{TestApp, query, spawn_app};
use mla_tracker::stats::aggregates::{Bucket, CohortCounts, Population};
use mla_tracker::stats::km::{self, DayCount};
use mla_tracker::stats::wilson::wilson;

const HORIZONS: [u32; 3] = [90, 180, 365];

fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str().map(|s| s.parse().unwrap())
}

fn text<'a>(r: &'a Value, field: &str) -> &'a str {
    r[field].as_str().unwrap_or("")
}

fn today() -> NaiveDate {
    common::office_today()
}

/// A period asked: requests sent in `[from, to]` (either end open), as of
/// `as_of`.
#[derive(Debug, Clone, Copy)]
struct Period {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    as_of: NaiveDate,
}

impl Period {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("as_of", self.as_of.to_string())];
        out.extend(self.from.map(|d| ("sent_from", d.to_string())));
        out.extend(self.to.map(|d| ("sent_to", d.to_string())));
        out
    }

    fn population(&self) -> Population {
        Population {
            sent_from: self.from,
            sent_to: self.to,
            ..Population::as_of(self.as_of)
        }
    }

    fn holds(&self, r: &Value) -> bool {
        date(&r["sent_at"]).is_some_and(|s| {
            s <= self.as_of && self.from.is_none_or(|f| s >= f) && self.to.is_none_or(|t| s <= t)
        })
    }
}

/// The cohort of a request sent on `sent`, and the last day of its period.
fn cohort_of(sent: NaiveDate, bucket: &str) -> (String, NaiveDate) {
    let first_after = |start: NaiveDate, months: u32| {
        (start + Months::new(months))
            .pred_opt()
            .expect("a day before")
    };
    let ymd = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
    match bucket {
        "year" => (
            sent.year().to_string(),
            first_after(ymd(sent.year(), 1), 12),
        ),
        "quarter" => (
            format!("{}-Q{}", sent.year(), sent.month0() / 3 + 1),
            first_after(ymd(sent.year(), sent.month0() / 3 * 3 + 1), 3),
        ),
        "month" => (
            format!("{}-{:02}", sent.year(), sent.month()),
            first_after(ymd(sent.year(), sent.month()), 1),
        ),
        other => panic!("{other}"),
    }
}

/// A request's time to a first response (docs/DOMAIN.md §8.2): the day of
/// its first response by `as_of`, else censored when withdrawn by then
/// without one, else at `as_of`; negative days count as 0.
fn waiting(r: &Value, as_of: NaiveDate) -> (u32, bool) {
    let sent = date(&r["sent_at"]).unwrap();
    let closed = date(&r["closed_at"]).filter(|d| *d <= as_of);
    let (until, event) = match date(&r["first_response_at"]) {
        Some(d) if d <= as_of => (d, true),
        _ if text(r, "status") == "withdrawn" && closed.is_some() => (closed.unwrap(), false),
        _ => (as_of, false),
    };
    ((until - sent).num_days().max(0) as u32, event)
}

/// Whether a request was answered within `horizon` days, by `as_of`.
fn answered_within(r: &Value, as_of: NaiveDate, horizon: u32) -> bool {
    let sent = date(&r["sent_at"]).unwrap();
    date(&r["first_response_at"])
        .is_some_and(|d| d <= as_of && (d - sent).num_days().max(0) <= i64::from(horizon))
}

/// One cohort's expected figures.
#[derive(Debug)]
struct Expected {
    sent: u64,
    answered_within: u64,
    complete: bool,
    /// (share, low, high), `None` when not estimable.
    share: Option<(f64, f64, f64)>,
}

/// A cohort's figures by the definitions, from its requests and the last
/// day of its period (already cut at `sent_to`).
fn expected(requests: &[&Value], last_day: NaiveDate, as_of: NaiveDate, horizon: u32) -> Expected {
    let sent = requests.len() as u64;
    let within = requests
        .iter()
        .filter(|r| answered_within(r, as_of, horizon))
        .count() as u64;
    let complete = last_day + Days::new(u64::from(horizon)) <= as_of;
    let share = if complete {
        wilson(within, sent).map(|(low, high)| (within as f64 / sent as f64, low, high))
    } else {
        let curve = km::estimate(requests.iter().map(|r| {
            let (day, event) = waiting(r, as_of);
            DayCount {
                day,
                events: u64::from(event),
                censored: u64::from(!event),
            }
        }));
        // Not estimable when no request was followed that long, unless
        // every one had its response before.
        let last = curve.steps().last();
        match last {
            Some(last) if horizon <= last.day || last.survival == 0.0 => {
                let s = curve.survival_at(horizon);
                let (lower, upper) = curve.interval_at(horizon);
                Some((1.0 - s, 1.0 - upper, 1.0 - lower))
            }
            _ => None,
        }
    };
    Expected {
        sent,
        answered_within: within,
        complete,
        share,
    }
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-12)
}

/// Compares a row of the exact view with what the definitions give.
fn check(row: &Value, want: &Expected, what: &str) {
    assert_eq!(row["sent"], want.sent, "{what}: {row}");
    assert_eq!(
        row["answered_within"], want.answered_within,
        "{what}: {row}"
    );
    assert_eq!(row["complete"], want.complete, "{what}: {row}");
    match want.share {
        Some((share, low, high)) => {
            assert!(close(&row["share"], share), "{what}: {row} ≠ {share}");
            assert!(close(&row["ci_low"], low), "{what}: {row} ≠ {low}");
            assert!(close(&row["ci_high"], high), "{what}: {row} ≠ {high}");
        }
        None => {
            for field in ["share", "ci_low", "ci_high"] {
                assert!(row[field].is_null(), "{what}: {field} not estimable: {row}");
            }
        }
    }
    assert_eq!(row["suppressed"], json!([]), "{what}");
}

async fn get(app: &TestApp, token: &str, pairs: &[(&str, String)]) -> Value {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app
        .get(&format!("/api/v1/stats/cohorts?{}", query(&pairs)), token)
        .await;
    assert_eq!(res.status, 200, "{pairs:?}: {res:?}");
    res.body
}

async fn seeded() -> (TestApp, Vec<Value>) {
    let app = spawn_app().await;
    app.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 1500, 23, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    let all = app.list_all("", 200).await;
    assert!(all.len() >= 1500, "{}", all.len());
    (app, all)
}

#[actix_web::test]
async fn cohorts_match_a_recount_of_every_request() {
    let (app, all) = seeded().await;
    let past = today() - Days::new(400);
    let periods = [
        // Everything sent: the latest cohorts incomplete, the newest not
        // followed for a whole horizon.
        Period {
            from: None,
            to: None,
            as_of: today(),
        },
        // As of a past day: later answers do not count yet.
        Period {
            from: None,
            to: None,
            as_of: past,
        },
        // Cut by `sent_to` more than a year back: every cohort complete.
        Period {
            from: Some(past - Days::new(900)),
            to: Some(past),
            as_of: today(),
        },
    ];
    // What the checks exercised, over all queries.
    let (mut complete, mut estimated, mut not_estimable) = (0, 0, 0);
    for period in periods {
        let population: Vec<&Value> = all.iter().filter(|r| period.holds(r)).collect();
        for bucket in ["year", "quarter", "month"] {
            let mut by: BTreeMap<String, (NaiveDate, Vec<&Value>)> = BTreeMap::new();
            for r in &population {
                let (label, end) = cohort_of(date(&r["sent_at"]).unwrap(), bucket);
                let last = period.to.map_or(end, |to| end.min(to)).min(period.as_of);
                by.entry(label).or_insert((last, Vec::new())).1.push(r);
            }
            for horizon in HORIZONS {
                let mut pairs = period.pairs();
                pairs.push(("bucket", bucket.to_string()));
                pairs.push(("horizon", horizon.to_string()));
                let body = get(&app, &app.admin_token, &pairs).await;
                let what = format!("{period:?} {bucket} {horizon}");
                assert_eq!(body["suppression"]["applied"], false);
                assert_eq!(body["as_of"], period.as_of.to_string());
                assert_eq!(
                    (&body["bucket"], &body["horizon"]),
                    (&json!(bucket), &json!(horizon))
                );
                let rows = body["cohorts"].as_array().unwrap();
                let labels: Vec<&str> = rows.iter().map(|r| text(r, "cohort")).collect();
                assert_eq!(
                    labels,
                    by.keys().map(String::as_str).collect::<Vec<_>>(),
                    "{what}: one row per cohort with requests, in time order"
                );
                for row in rows {
                    let label = text(row, "cohort");
                    let (last, requests) = &by[label];
                    let want = expected(requests, *last, period.as_of, horizon);
                    check(row, &want, &format!("{what} {label}"));
                    match (want.complete, want.share) {
                        (true, _) => complete += 1,
                        (false, Some(_)) => estimated += 1,
                        (false, None) => not_estimable += 1,
                    }
                }
                // The totals: every cohort pooled, complete when the latest
                // is.
                let last = by.values().last().map_or(period.as_of, |(last, _)| *last);
                let want = expected(&population, last, period.as_of, horizon);
                check(&body["totals"], &want, &format!("{what} totals"));
                assert!(body["totals"].get("cohort").is_none());
            }
        }
    }
    assert!(
        complete > 20 && estimated > 10 && not_estimable > 5,
        "each case is exercised: {complete} complete, {estimated} estimated, \
         {not_estimable} not estimable"
    );

    // The database's counts and the sums of their record keys, which the
    // published view's cells are made of.
    let keys: BTreeMap<String, i64> = app
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
    for (period, bucket, horizon) in [
        (periods[1], Bucket::Quarter, 90),
        (periods[0], Bucket::Year, 365),
    ] {
        let mut want: BTreeMap<String, CohortCounts> = BTreeMap::new();
        for r in all.iter().filter(|r| period.holds(r)) {
            let (label, _) = cohort_of(date(&r["sent_at"]).unwrap(), bucket.as_str());
            let c = want.entry(label.clone()).or_insert_with(|| CohortCounts {
                bucket: label,
                ..CohortCounts::default()
            });
            let key = keys[text(r, "id")];
            c.sent += 1;
            c.sent_key += key;
            if answered_within(r, period.as_of, horizon) {
                c.answered_within += 1;
                c.answered_within_key += key;
            }
        }
        let p = period.population();
        let got = app
            .db
            .read(move |conn| {
                let (register, _) = mla_tracker::db::register::read_all(conn)?;
                Ok::<_, mla_tracker::db::Error>(register.cohort_counts(&p, bucket, horizon))
            })
            .await
            .unwrap();
        assert_eq!(
            got,
            want.into_values().collect::<Vec<_>>(),
            "{period:?} {bucket:?}"
        );
    }
}

#[actix_web::test]
async fn bad_horizons_and_buckets_are_named() {
    let app = spawn_app().await;
    for (q, fields) in [
        ("horizon=42", &["horizon"][..]),
        ("horizon=365.0", &["horizon"][..]),
        ("horizon=", &["horizon"][..]),
        ("horizon=ninety&bucket=week", &["bucket", "horizon"][..]),
        ("horizon=90&colour=red", &["colour"][..]),
    ] {
        let res = app
            .get(&format!("/api/v1/stats/cohorts?{q}"), &app.admin_token)
            .await;
        assert_eq!(res.status, 422, "{q}: {res:?}");
        let named = res.body["error"]["fields"].as_object().unwrap();
        let mut got: Vec<&str> = named.keys().map(String::as_str).collect();
        got.sort();
        assert_eq!(got, fields, "{q}: {}", res.body);
        if let Some(why) = named.get("horizon") {
            assert_eq!(why, &json!(["must be 90, 180 or 365 (days)"]), "{q}");
        }
    }
    // Only the cohorts take a horizon.
    let res = app
        .get("/api/v1/stats/timeline?horizon=90", &app.admin_token)
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert!(res.body["error"]["fields"].get("horizon").is_some());

    // The defaults, stated in the body; no request yet.
    let body = get(&app, &app.admin_token, &[]).await;
    assert_eq!(
        (&body["bucket"], &body["horizon"]),
        (&json!("year"), &json!(365))
    );
    assert_eq!(body["cohorts"], json!([]));
    assert_eq!(body["totals"]["sent"], 0);
    assert!(body["totals"]["share"].is_null());
    for bucket in ["year", "quarter", "month"] {
        for horizon in HORIZONS {
            let body = get(
                &app,
                &app.admin_token,
                &[("bucket", bucket.into()), ("horizon", horizon.to_string())],
            )
            .await;
            assert_eq!(
                (&body["bucket"], &body["horizon"]),
                (&json!(bucket), &json!(horizon))
            );
        }
    }
    let res = app.get("/api/v1/stats/cohorts", "").await;
    assert_eq!(res.status, 401);
}

fn listed(row: &Value, field: &str) -> bool {
    row["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == field)
}

#[actix_web::test]
async fn analysts_get_the_published_view_only() {
    let (app, all) = seeded().await;
    let analyst = app.token_for("analyst").await;
    let as_of = mla_tracker::stats::release::latest(today() - Days::new(400));
    // A country with a few dozen requests: quarters of a few requests each.
    let mut per_country: BTreeMap<&str, usize> = BTreeMap::new();
    for r in all
        .iter()
        .filter(|r| date(&r["sent_at"]).is_some_and(|s| s <= as_of))
    {
        *per_country.entry(text(r, "target_country")).or_default() += 1;
    }
    let small = per_country
        .iter()
        .filter(|(_, n)| (15..=60).contains(*n))
        .map(|(c, _)| *c)
        .next()
        .expect("a country with a few dozen requests");

    let mut hidden = 0;
    let mut shown_shares = 0;
    for (bucket, horizon, country) in [
        ("year", 365, None),
        ("quarter", 90, None),
        ("quarter", 180, Some(small)),
        ("year", 90, Some(small)),
    ] {
        let mut pairs = vec![
            ("as_of", as_of.to_string()),
            ("bucket", bucket.to_string()),
            ("horizon", horizon.to_string()),
        ];
        pairs.extend(country.map(|c| ("country", c.to_string())));
        let what = format!("{bucket} {horizon} {country:?}");
        let published = get(&app, &analyst, &pairs).await;
        assert_eq!(published["suppression"]["applied"], true, "{what}");
        // Asking again draws no new noise; staff asking for the published
        // view get the analysts' answer.
        assert_eq!(get(&app, &analyst, &pairs).await, published, "{what}");
        let mut asked = pairs.clone();
        asked.push(("suppress", "true".into()));
        assert_eq!(
            get(&app, &app.admin_token, &asked).await,
            published,
            "{what}"
        );
        let exact = get(&app, &app.admin_token, &pairs).await;
        assert_eq!(exact["suppression"]["applied"], false, "{what}");

        // The cohorts' `sent` are the timeline's cells: the same requests,
        // the same published counts.
        let timeline = {
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .filter(|(k, _)| *k != "horizon")
                .map(|(k, v)| (*k, v.as_str()))
                .collect();
            let res = app
                .get(
                    &format!("/api/v1/stats/timeline?{}", query(&pairs)),
                    &analyst,
                )
                .await;
            assert_eq!(res.status, 200, "{res:?}");
            res.body
        };

        let count = |body: &Value, key: &str| body[key].as_array().unwrap().len();
        assert_eq!(
            count(&published, "cohorts"),
            count(&exact, "cohorts"),
            "{what}"
        );
        assert_eq!(
            count(&published, "cohorts"),
            count(&timeline, "buckets"),
            "{what}"
        );
        let mut rows: Vec<(&Value, &Value, &Value)> = published["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .zip(exact["cohorts"].as_array().unwrap())
            .zip(timeline["buckets"].as_array().unwrap())
            .map(|((p, e), t)| (p, e, t))
            .collect();
        rows.push((&published["totals"], &exact["totals"], &timeline["totals"]));
        for (p, e, t) in rows {
            let what = format!("{what} {}", text(e, "cohort"));
            assert_eq!(p["cohort"], e["cohort"], "{what}");
            assert_eq!(p["sent"], t["sent"], "{what}: the timeline's cell");
            assert_eq!(
                p["complete"], e["complete"],
                "{what}: a fact of the parameters"
            );
            for field in ["sent", "answered_within"] {
                let truth = e[field].as_i64().unwrap();
                match p[field].as_i64() {
                    Some(n) => {
                        assert!((n - truth).abs() <= 2, "{what} {field}: {n} for {truth}");
                        assert!(!(1..5).contains(&n), "{what} {field} = {n} shown");
                        assert!(!listed(p, field), "{what}: {field} shown and listed");
                    }
                    None => {
                        assert!(listed(p, field), "{what}: {field} null, not listed: {p}");
                        hidden += 1;
                    }
                }
            }
            let sent = p["sent"].as_u64();
            if sent.is_none_or(|s| s < 7) {
                // A cohort that may hold fewer than 5 requests shows
                // nothing but its `sent` (a 0 or hidden).
                for field in ["answered_within", "share", "ci_low", "ci_high"] {
                    assert!(
                        p[field].is_null() && listed(p, field),
                        "{what}: {field}: {p}"
                    );
                }
            }
            if p["answered_within"].is_null() {
                for field in ["share", "ci_low", "ci_high"] {
                    assert!(
                        p[field].is_null() && listed(p, field),
                        "{what}: {field}: {p}"
                    );
                }
            }
            if p["share"].is_null() {
                continue;
            }
            shown_shares += 1;
            let (share, low, high) = (
                p["share"].as_f64().unwrap(),
                p["ci_low"].as_f64().unwrap(),
                p["ci_high"].as_f64().unwrap(),
            );
            assert!((0.0..=1.0).contains(&low) && low <= share && share <= high && high <= 1.0);
            if p["complete"] == true {
                // Wilson on the published counts.
                let (a, s) = (p["answered_within"].as_u64().unwrap(), sent.unwrap());
                assert!(
                    close(&p["share"], a.min(s) as f64 / s as f64),
                    "{what}: {p}"
                );
                let (l, h) = wilson(a, s).unwrap();
                assert!(
                    close(&p["ci_low"], l) && close(&p["ci_high"], h),
                    "{what}: {p}"
                );
            } else if let Some(exact) = e["share"]
                .as_f64()
                .filter(|_| e["sent"].as_u64() >= Some(100))
            {
                // In a large cohort, the life table's estimate is near the
                // exact Kaplan–Meier one.
                assert!((share - exact).abs() < 0.1, "{what}: {share} for {exact}");
            }
        }
    }
    assert!(hidden > 0, "the portfolio has small cohorts");
    assert!(shown_shares > 5, "{shown_shares} shares shown");

    // The published view groups by year or quarter only.
    let res = app
        .get(
            &format!("/api/v1/stats/cohorts?bucket=month&as_of={as_of}"),
            &analyst,
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert_eq!(
        res.body["error"]["fields"]["bucket"],
        json!(["must be year or quarter in the published view"])
    );
    let res = app
        .get(
            &format!("/api/v1/stats/cohorts?bucket=month&as_of={as_of}&suppress=true"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    let res = app
        .get(
            &format!("/api/v1/stats/cohorts?bucket=month&as_of={as_of}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 200, "staff: the exact view by month");
    // And answers releases: no day that does not end a past month.
    let res = app
        .get(
            &format!("/api/v1/stats/cohorts?as_of={}", as_of - Days::new(1)),
            &analyst,
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert!(res.body["error"]["fields"].get("as_of").is_some());
}

#[actix_web::test]
async fn csv_has_one_row_per_cohort_and_the_totals_last() {
    let (app, _) = seeded().await;
    let analyst = app.token_for("analyst").await;
    let as_of = mla_tracker::stats::release::latest(today() - Days::new(400)).to_string();
    let header = "cohort,sent,answered_within,share,ci_low,ci_high,complete,suppressed";
    for (token, extra) in [
        (&app.admin_token, None),
        (&analyst, Some(("country", "PH"))),
    ] {
        let mut pairs = vec![("as_of", as_of.clone()), ("bucket", "quarter".into())];
        pairs.extend(extra.map(|(k, v)| (k, v.to_string())));
        let json_body = get(&app, token, &pairs).await;
        pairs.push(("format", "csv".into()));
        let pairs_ref: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app
            .get(
                &format!("/api/v1/stats/cohorts?{}", query(&pairs_ref)),
                token,
            )
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        assert_eq!(
            res.header("content-type").as_deref(),
            Some("text/csv; charset=utf-8")
        );
        assert!(
            res.header("content-disposition")
                .is_some_and(|d| d.contains("cohorts.csv"))
        );
        let csv = res.body.as_str().unwrap().to_string();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], header);
        let mut rows: Vec<&Value> = json_body["cohorts"].as_array().unwrap().iter().collect();
        rows.push(&json_body["totals"]);
        assert_eq!(lines.len(), rows.len() + 1, "{csv}");
        assert!(lines.last().unwrap().starts_with(','), "totals last: {csv}");
        for (line, row) in lines[1..].iter().zip(rows) {
            let cells: Vec<&str> = line.split(',').collect();
            let columns: Vec<&str> = header.split(',').collect();
            for (column, cell) in columns.iter().zip(&cells) {
                match *column {
                    "suppressed" => {}
                    "cohort" => assert_eq!(*cell, text(row, "cohort")),
                    _ if row[*column].is_null() => assert!(cell.is_empty(), "{column}: {line}"),
                    "complete" => assert_eq!(*cell, row["complete"].to_string(), "{line}"),
                    // The same number (the test's JSON parser may round
                    // the last digit differently).
                    _ => {
                        let value = row[*column].as_f64().unwrap();
                        let cell: f64 = cell.parse().unwrap();
                        assert!((cell - value).abs() <= 1e-15, "{column}: {line}");
                    }
                }
            }
        }
    }
}
