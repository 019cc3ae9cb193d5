//! `GET /stats/chasing` (docs/DOMAIN.md §8.4, §9) against a plain
//! re-implementation of its definitions over every request and history read
//! back through the API, on a seeded portfolio with follow-ups recorded on
//! its requests abandoned for silence and hand-made requests around the
//! edges (a follow-up on the day of the abandonment, one after it, another
//! abandonment reason, more follow-ups than the histogram's cap) — exact as
//! the admin, published as an analyst, by country and by region, on SQLite
//! and PostgreSQL.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde_json::{Value, json};

use crate::common::{self, TestApp, id_of, query, sent_body, spawn_app};
use mla_tracker::domain::CountryCode;
use mla_tracker::stats::cellkey::Cell;
use mla_tracker::stats::chasing::CAP;
use mla_tracker::stats::regions::region_of;
use mla_tracker::stats::wilson::wilson;

// ---------------------------------------------------------------------------
// Shared with tests/api/stats_victims.rs: the population by the definitions.
// ---------------------------------------------------------------------------

pub(crate) fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str().map(|s| s.parse().expect("a date"))
}

pub(crate) fn text<'a>(r: &'a Value, field: &str) -> &'a str {
    r[field].as_str().unwrap_or("")
}

/// A population as the query asks for it (docs/DOMAIN.md §8.1), with the
/// filters these tests use.
#[derive(Debug, Clone)]
pub(crate) struct Asked {
    pub as_of: NaiveDate,
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub offence: Option<&'static str>,
    pub country: Option<&'static str>,
    /// `None`: by country; else `subregion` or `region`.
    pub group: Option<&'static str>,
}

impl Asked {
    pub fn as_of(as_of: NaiveDate) -> Asked {
        Asked {
            as_of,
            period: None,
            offence: None,
            country: None,
            group: None,
        }
    }

    /// The query string (`as_of` left out when `with_as_of` is false: the
    /// published view's default, the latest release).
    pub fn query(&self, with_as_of: bool) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if with_as_of {
            pairs.push(("as_of", self.as_of.to_string()));
        }
        if let Some((from, to)) = self.period {
            pairs.push(("sent_from", from.to_string()));
            pairs.push(("sent_to", to.to_string()));
        }
        if let Some(o) = self.offence {
            pairs.push(("offence", o.to_string()));
        }
        if let Some(c) = self.country {
            pairs.push(("country", c.to_string()));
        }
        if let Some(g) = self.group {
            pairs.push(("group", g.to_string()));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        query(&pairs)
    }

    /// Whether request `r` is in the population.
    pub fn admits(&self, r: &Value) -> bool {
        let Some(sent) = date(&r["sent_at"]) else {
            return false;
        };
        sent <= self.as_of
            && self.period.is_none_or(|(f, t)| f <= sent && sent <= t)
            && self.offence.is_none_or(|o| {
                r["offences"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|have| have == o)
            })
            && self.country.is_none_or(|c| text(r, "target_country") == c)
    }

    /// The row a country's requests count in: the country, or its area.
    pub fn row_of(&self, country: &str) -> String {
        let code = CountryCode::parse(country).unwrap();
        match self.group {
            None => country.to_string(),
            Some("region") => region_of(code).map_or("", |a| a.code).to_string(),
            Some(other) => panic!("grouping {other} not used here"),
        }
    }

    /// The rows' key and label column in JSON.
    pub fn rows_key(&self) -> (&'static str, &'static str) {
        match self.group {
            None => ("countries", "country"),
            Some(_) => ("areas", "area"),
        }
    }
}

/// The status on `as_of`: the current one if reached by then, else waiting.
pub(crate) fn status_on(r: &Value, as_of: NaiveDate) -> &str {
    if date(&r["status_since"]).unwrap() <= as_of {
        text(r, "status")
    } else {
        "sent"
    }
}

/// Each request's secret record key, by id (from the database: the API
/// never shows them).
pub(crate) async fn record_keys(app: &TestApp) -> BTreeMap<String, i64> {
    app.db
        .read(|conn| {
            use diesel::prelude::*;
            use mla_tracker::db::schema::requests;
            let rows: Vec<(String, i64)> = requests::table
                .select((requests::id, requests::record_key))
                .load(conn)?;
            Ok::<_, mla_tracker::db::Error>(rows.into_iter().collect())
        })
        .await
        .unwrap()
}

/// Seeds a fictitious portfolio of `n` requests.
pub(crate) async fn seeded(app: &TestApp, n: u64, seed: u64) {
    app.db
        .write(move |conn| {
            mla_tracker::seed::run(conn, n, seed, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
}

/// The latest release date: the last day of the month before today's.
pub(crate) fn latest_release() -> NaiveDate {
    common::office_today()
        .with_day(1)
        .unwrap()
        .pred_opt()
        .unwrap()
}

pub(crate) async fn table(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(path, token).await;
    assert_eq!(res.status, 200, "{path}: {res:?}");
    res.body
}

/// The rows of a table by their label, the totals under `""`.
pub(crate) fn rows_by_label(body: &Value, asked: &Asked) -> BTreeMap<String, Value> {
    let (key, label) = asked.rows_key();
    let mut out: BTreeMap<String, Value> = body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {body}"))
        .iter()
        .map(|r| (text(r, label).to_string(), r.clone()))
        .collect();
    out.insert(String::new(), body["totals"].clone());
    out
}

// ---------------------------------------------------------------------------
// The fixture.
// ---------------------------------------------------------------------------

async fn follow_up(app: &TestApp, id: &str, on: NaiveDate) {
    let res = app
        .post(
            &format!("/api/v1/requests/{id}/follow-ups"),
            &app.admin_token,
            &json!({"channel": "phone", "effective_date": on.to_string()}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
}

/// A request to `country` sent `sent_ago` days ago, chased `chased` times
/// (every 20 days from its sending), abandoned `closed_ago` days ago for
/// `reason`, then chased once more after that when `late`.
async fn hand_made(
    app: &TestApp,
    name: &str,
    country: &str,
    (sent_ago, chased, closed_ago): (u64, u64, u64),
    reason: &str,
    late: bool,
) {
    let today = common::office_today();
    let sent = today - Days::new(sent_ago);
    let mut body = sent_body(name, &sent.to_string());
    body["target_country"] = country.into();
    let id = id_of(&app.create_request(&body).await);
    let closed = today - Days::new(closed_ago);
    for i in 1..=chased {
        follow_up(app, &id, (sent + Days::new(20 * i)).min(closed)).await;
    }
    let res = app
        .transition(
            &id,
            &json!({"to": "abandoned", "effective_date": closed.to_string(),
                    "abandonment_reason": reason, "note": "given up"}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    if late {
        follow_up(app, &id, closed + Days::new(1)).await;
    }
}

/// A seeded portfolio, follow-ups recorded on a third of its requests
/// abandoned for silence (up to four, the last on the day of the
/// abandonment, sometimes one the day after), and hand-made requests: six
/// Philippine ones chased 0 to 5 times (some chased again after), one
/// chased 12 times (beyond the cap), one given up for another reason after
/// three follow-ups, and one abandoned five days ago.
async fn portfolio(app: &TestApp) {
    seeded(app, 900, 11).await;
    let today = common::office_today();
    let all = app.list_all("", 200).await;
    let silent: Vec<&Value> = all
        .iter()
        .filter(|r| {
            text(r, "status") == "abandoned" && text(r, "abandonment_reason") == "no_response"
        })
        .collect();
    assert!(silent.len() >= 30, "{} abandoned for silence", silent.len());
    for (i, r) in silent.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let id = text(r, "id");
        let sent = date(&r["sent_at"]).unwrap();
        let closed = date(&r["closed_at"]).unwrap();
        let chased = (i / 3) % 5;
        for j in 1..=chased {
            let on = if j == chased {
                closed
            } else {
                (sent + Days::new(30 * j as u64)).min(closed)
            };
            follow_up(app, id, on).await;
        }
        if i % 2 == 0 && closed < today {
            follow_up(app, id, closed + Days::new(1)).await;
        }
    }
    for i in 0..6 {
        hand_made(
            app,
            &format!("CHASE-PH-{i}"),
            "PH",
            (300, i, 100),
            "no_response",
            i % 2 == 0,
        )
        .await;
    }
    hand_made(
        app,
        "CHASE-NG-12",
        "NG",
        (400, 12, 120),
        "no_response",
        false,
    )
    .await;
    hand_made(
        app,
        "CHASE-NG-OTHER",
        "NG",
        (400, 3, 120),
        "case_closed",
        false,
    )
    .await;
    hand_made(
        app,
        "CHASE-PH-LATE",
        "PH",
        (200, 2, 5),
        "no_response",
        false,
    )
    .await;
}

// ---------------------------------------------------------------------------
// The definitions, request by request.
// ---------------------------------------------------------------------------

/// One request abandoned for silence on `as_of`: where it counts, its
/// follow-ups before the abandonment, its record key.
struct Abandoned {
    row: String,
    follow_ups: usize,
    key: i64,
}

/// The requests of the population abandoned on `as_of` with reason
/// `no_response`, with their follow-ups dated on or before `closed_at`.
fn abandoned(
    all: &[Value],
    events: &BTreeMap<String, Vec<Value>>,
    keys: &BTreeMap<String, i64>,
    asked: &Asked,
) -> Vec<Abandoned> {
    all.iter()
        .filter(|r| asked.admits(r))
        .filter(|r| status_on(r, asked.as_of) == "abandoned")
        .filter(|r| text(r, "abandonment_reason") == "no_response")
        .map(|r| {
            let closed = date(&r["closed_at"]).unwrap();
            let id = text(r, "id");
            let follow_ups = events[id]
                .iter()
                .filter(|e| e["kind"] == "follow_up")
                .filter(|e| date(&e["effective_date"]).unwrap() <= closed)
                .count();
            Abandoned {
                row: asked.row_of(text(r, "target_country")),
                follow_ups,
                key: keys[id],
            }
        })
        .collect()
}

/// Requests per row (the totals under `""`).
fn by_row(requests: &[Abandoned]) -> BTreeMap<String, Vec<&Abandoned>> {
    let mut out: BTreeMap<String, Vec<&Abandoned>> = BTreeMap::new();
    for r in requests {
        out.entry(r.row.clone()).or_default().push(r);
        out.entry(String::new()).or_default().push(r);
    }
    out
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-12)
}

/// The exact row, checked figure by figure.
fn check_exact(label: &str, row: &Value, requests: &[&Abandoned]) {
    let n = requests.len();
    let at_least = |k: usize| requests.iter().filter(|r| r.follow_ups >= k).count();
    let (followed, twice) = (at_least(1), at_least(2));
    let mut counts: Vec<usize> = requests.iter().map(|r| r.follow_ups.min(CAP)).collect();
    counts.sort();
    // The lower middle value: of 0, 0, 1, 1, the second.
    let median = counts[(n - 1) / 2];
    assert_eq!(row["abandoned_no_response"], n, "{label}: {row}");
    assert_eq!(row["followed_up"], followed, "{label}: {row}");
    assert_eq!(row["chased_twice"], twice, "{label}: {row}");
    assert_eq!(row["median_follow_ups"], median, "{label}: {row}");
    assert!(
        close(&row["share_chased_twice"], twice as f64 / n as f64),
        "{label}: {row}"
    );
    let (low, high) = wilson(twice as u64, n as u64).unwrap();
    let ci = &row["share_chased_twice_ci"];
    assert!(close(&ci[0], low) && close(&ci[1], high), "{label}: {row}");
    assert_eq!(row["suppressed"], json!([]), "{label}");
}

/// The published row, checked against the cells of its requests: every
/// count within 2 of the truth and exactly its cell's published value,
/// small ones hidden, nothing but the total in a row not large enough,
/// the median and the share from the published counts.
fn check_published(label: &str, row: &Value, requests: &[&Abandoned], threshold: u64) {
    let cell = |keep: &dyn Fn(&Abandoned) -> bool| {
        let kept: Vec<&&Abandoned> = requests.iter().filter(|r| keep(r)).collect();
        Cell::of(kept.len() as i64, kept.iter().map(|r| r.key).sum())
    };
    let total = cell(&|_| true);
    let followed = cell(&|r| r.follow_ups >= 1);
    let twice = cell(&|r| r.follow_ups >= 2);
    let published_total = total.published();
    let large = published_total >= threshold + 2;
    let mut suppressed = Vec::new();
    for (field, c, detail) in [
        ("abandoned_no_response", total, false),
        ("followed_up", followed, true),
        ("chased_twice", twice, true),
    ] {
        let p = c.published();
        assert!(
            p.abs_diff(c.count) <= 2,
            "{label} {field}: {p} for {}",
            c.count
        );
        if (1..threshold).contains(&p) || (detail && !large) {
            assert!(row[field].is_null(), "{label}: {field} shown: {row}");
            suppressed.push(field);
        } else {
            assert_eq!(row[field], p, "{label}: {field}: {row}");
        }
    }
    let estimates = [
        "median_follow_ups",
        "share_chased_twice",
        "share_chased_twice_ci",
    ];
    if !large {
        for field in estimates {
            assert!(
                row[field].is_null(),
                "{label}: {field} in a small row: {row}"
            );
        }
        suppressed.extend([
            "median_follow_ups",
            "share_chased_twice",
            "share_chased_twice_ci",
        ]);
    } else {
        let at_most = |k: usize| cell(&|r| r.follow_ups.min(CAP) <= k).published();
        let median = (0..=CAP)
            .find(|&k| 2 * at_most(k) >= published_total)
            .unwrap();
        assert_eq!(row["median_follow_ups"], median, "{label}: {row}");
        if suppressed.contains(&"chased_twice") {
            assert!(row["share_chased_twice"].is_null(), "{label}: {row}");
            assert!(row["share_chased_twice_ci"].is_null(), "{label}: {row}");
            suppressed.extend(["share_chased_twice", "share_chased_twice_ci"]);
        } else {
            let p = twice.published();
            let share = p.min(published_total) as f64 / published_total as f64;
            assert!(close(&row["share_chased_twice"], share), "{label}: {row}");
            let (low, high) = wilson(p, published_total).unwrap();
            let ci = &row["share_chased_twice_ci"];
            assert!(close(&ci[0], low) && close(&ci[1], high), "{label}: {row}");
        }
    }
    let order = [
        "abandoned_no_response",
        "followed_up",
        "chased_twice",
        "median_follow_ups",
        "share_chased_twice",
        "share_chased_twice_ci",
    ];
    let expected: Vec<&str> = order
        .into_iter()
        .filter(|f| suppressed.contains(f))
        .collect();
    assert_eq!(row["suppressed"], json!(expected), "{label}: {row}");
}

/// Every history of a request that is, or was, abandoned for silence.
async fn histories(app: &TestApp, all: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    for r in all.iter().filter(|r| text(r, "status") == "abandoned") {
        let id = text(r, "id").to_string();
        out.insert(id.clone(), app.events(&id).await);
    }
    out
}

#[actix_web::test]
async fn follow_ups_before_abandoning_match_the_definitions() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let all = app.list_all("", 200).await;
    let events = histories(&app, &all).await;
    let keys = record_keys(&app).await;
    let today = common::office_today();

    let mut asked = vec![
        Asked::as_of(today),
        Asked {
            group: Some("region"),
            ..Asked::as_of(today)
        },
        // Before the late abandonment and some of the seeded ones.
        Asked::as_of(today - Days::new(30)),
        Asked::as_of(today - Days::new(400)),
        Asked {
            period: Some((today - Days::new(3 * 365), today - Days::new(365))),
            ..Asked::as_of(today)
        },
        Asked {
            offence: Some("child_sexual_exploitation"),
            ..Asked::as_of(today)
        },
    ];
    asked.push(Asked {
        country: Some("PH"),
        ..Asked::as_of(today)
    });
    let mut capped = false;
    for a in &asked {
        let truth = abandoned(&all, &events, &keys, a);
        assert!(
            truth.iter().any(|r| r.follow_ups >= 2) && truth.iter().any(|r| r.follow_ups == 0),
            "both chased and unchased requests are exercised: {a:?}"
        );
        capped |= truth.iter().any(|r| r.follow_ups > CAP);
        let expected = by_row(&truth);
        let body = table(
            &app,
            &app.admin_token,
            &format!("/api/v1/stats/chasing?{}", a.query(true)),
        )
        .await;
        assert_eq!(body["suppression"]["applied"], false);
        let got = rows_by_label(&body, a);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "the rows: {a:?}"
        );
        for (label, requests) in &expected {
            check_exact(&format!("{a:?} {label}"), &got[label], requests);
        }
    }
    assert!(capped, "a request beyond the cap is exercised");

    // A region's row is named, and the totals are the same whatever the rows.
    let by_region = table(
        &app,
        &app.admin_token,
        &format!("/api/v1/stats/chasing?{}", asked[1].query(true)),
    )
    .await;
    let by_country = table(
        &app,
        &app.admin_token,
        &format!("/api/v1/stats/chasing?{}", asked[0].query(true)),
    )
    .await;
    assert_eq!(by_region["totals"], by_country["totals"]);
    assert!(by_region["totals"].get("area").is_none());
    let asia = by_region["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area"] == "142")
        .expect("Asia: the Philippines");
    assert_eq!(asia["area_name"], "Asia");

    // CSV: the columns in order, the interval in two, the totals last.
    let csv = app
        .get(
            &format!("/api/v1/stats/chasing?{}&format=csv", asked[6].query(true)),
            &app.admin_token,
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.body.as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "country,country_name,abandoned_no_response,followed_up,chased_twice,median_follow_ups,\
         share_chased_twice,share_chased_twice_ci_low,share_chased_twice_ci_high,suppressed"
    );
    assert!(lines[1].starts_with("PH,Philippines,"), "{text}");
    assert!(lines[2].starts_with(",All countries,"), "{text}");
    assert_eq!(lines.len(), 3, "{text}");
}

#[actix_web::test]
async fn the_published_view_perturbs_every_count_and_estimates_from_them() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let all = app.list_all("", 200).await;
    let events = histories(&app, &all).await;
    let keys = record_keys(&app).await;
    let analyst = app.token_for("analyst").await;
    let release = latest_release();
    let mut small_rows = 0;
    let mut hidden_counts = 0;
    for a in [
        Asked::as_of(release),
        Asked {
            group: Some("region"),
            ..Asked::as_of(release)
        },
        Asked {
            offence: Some("child_sexual_exploitation"),
            ..Asked::as_of(release)
        },
    ] {
        let body = table(
            &app,
            &analyst,
            &format!("/api/v1/stats/chasing?{}", a.query(false)),
        )
        .await;
        assert_eq!(body["as_of"], release.to_string());
        assert_eq!(
            body["suppression"],
            json!({"applied": true, "threshold": 5})
        );
        let truth = abandoned(&all, &events, &keys, &a);
        let expected = by_row(&truth);
        let got = rows_by_label(&body, &a);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        );
        for (label, requests) in &expected {
            let row = &got[label];
            check_published(&format!("{a:?} {label}"), row, requests, 5);
            small_rows += usize::from(row["median_follow_ups"].is_null());
            hidden_counts += usize::from(row["abandoned_no_response"].is_null());
        }
    }
    assert!(
        small_rows > 0 && hidden_counts > 0,
        "small rows and hidden totals are exercised ({small_rows}, {hidden_counts})"
    );
    // Staff asking for the published view get the same table.
    let staff = table(
        &app,
        &app.admin_token,
        "/api/v1/stats/chasing?suppress=true",
    )
    .await;
    let again = table(&app, &analyst, "/api/v1/stats/chasing").await;
    assert_eq!(staff, again);
}

/// Both tables: a token needed, every role admitted (analysts in the
/// published view, its closed query space enforced), the statistics'
/// parameters and no other.
#[actix_web::test]
async fn the_new_tables_take_the_statistics_parameters_and_every_role() {
    let app = spawn_app().await;
    let analyst = app.token_for("analyst").await;
    let clerk = app.token_for("clerk").await;
    for endpoint in ["chasing", "victims"] {
        let path = format!("/api/v1/stats/{endpoint}");
        let res = app.call(awc::http::Method::GET, &path, None, None).await;
        assert_eq!(res.status, 401, "{res:?}");
        let res = app.get(&path, &clerk).await;
        assert_eq!(res.status, 200, "{res:?}");
        assert_eq!(res.body["suppression"]["applied"], false);
        let res = app.get(&path, &analyst).await;
        assert_eq!(res.body["suppression"]["applied"], true, "{res:?}");
        let res = app
            .get(&format!("{path}?as_of={}", common::days_ago(0)), &analyst)
            .await;
        assert_eq!(res.status, 422, "{res:?}");
        assert!(res.body["error"]["fields"]["as_of"].is_array(), "{res:?}");
        let res = app
            .get(
                &format!("{path}?group=continent&colour=red"),
                &app.admin_token,
            )
            .await;
        assert_eq!(res.status, 422, "{res:?}");
        assert_eq!(
            res.body["error"]["fields"]["group"][0],
            "must be country, subregion or region"
        );
        assert!(res.body["error"]["fields"]["colour"].is_array(), "{res:?}");
        let res = app
            .get(&format!("{path}?bucket=year"), &app.admin_token)
            .await;
        assert_eq!(res.status, 422, "only the timeline has buckets: {res:?}");
    }
}
