//! `GET /stats/victims` (docs/DOMAIN.md §8.4, §9) against a plain
//! re-implementation of its definitions over every request and case read
//! back through the API, on a seeded portfolio and hand-made cases that
//! sent requests to two countries of one region, two requests to one
//! country, or a draft elsewhere — exact as the admin, published as an
//! analyst, by country and by region, on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use chrono::Days;
use serde_json::{Value, json};

use crate::common::{self, TestApp, id_of, sent_body, spawn_app};
use crate::stats_chasing::{
    Asked, latest_release, record_keys, rows_by_label, seeded, table, text,
};
use mla_tracker::stats::cellkey::Cell;
use mla_tracker::stats::victims::CASES_SALT;
use mla_tracker::stats::wilson::wilson;

/// Files a case's requests (sent 200 days ago, or drafts where the country
/// is lower case) and records its victims.
async fn case(app: &TestApp, reference: &str, countries: &[&str], victims: Option<u64>) {
    let mut case_id = None;
    for country in countries {
        let mut body = sent_body(reference, &common::days_ago(200));
        if country.chars().all(|c| c.is_lowercase()) {
            body.as_object_mut().unwrap().remove("sent_at");
        }
        body["target_country"] = json!(country);
        let record = app.create_request(&body).await;
        id_of(&record);
        case_id = Some(record["case_id"].as_str().unwrap().to_string());
    }
    if let (Some(victims), Some(case_id)) = (victims, case_id) {
        app.set_case_victims(&case_id, victims).await;
    }
}

/// A seeded portfolio and four hand-made cases: one that identified
/// victims with requests to Germany, France (both Western Europe) and
/// Nigeria; one without victims to Germany and France; one with victims
/// that sent Germany two requests; one whose only request to Japan is a
/// draft (never sent), its other to Germany.
async fn portfolio(app: &TestApp) {
    seeded(app, 900, 5).await;
    case(app, "VIC-1", &["DE", "FR", "NG"], Some(3)).await;
    case(app, "VIC-2", &["DE", "FR"], None).await;
    case(app, "VIC-3", &["DE", "DE"], Some(1)).await;
    case(app, "VIC-4", &["jp", "DE"], Some(2)).await;
}

/// One case in one row: whether it identified victims, and the sum of the
/// record keys of its requests of the population in that row.
#[derive(Debug, Default, Clone, Copy)]
struct InRow {
    victims: bool,
    key: i64,
}

/// Per row (the totals under `""`), per case.
type Rows = BTreeMap<String, BTreeMap<String, InRow>>;

/// The cases of each row, by the definition: those with at least one
/// request of the population to the row's country (or one of its area's).
fn expected(all: &[Value], cases: &[Value], keys: &BTreeMap<String, i64>, asked: &Asked) -> Rows {
    let victims: BTreeMap<&str, bool> = cases
        .iter()
        .map(|c| {
            (
                text(c, "id"),
                c["victims_identified"].as_i64().unwrap_or(0) > 0,
            )
        })
        .collect();
    let mut rows = Rows::new();
    for r in all.iter().filter(|r| asked.admits(r)) {
        let case = text(r, "case_id");
        for row in [asked.row_of(text(r, "target_country")), String::new()] {
            let entry = rows
                .entry(row)
                .or_default()
                .entry(case.to_string())
                .or_default();
            entry.victims = victims[case];
            entry.key += keys[text(r, "id")];
        }
    }
    rows
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-12)
}

fn check_exact(label: &str, row: &Value, cases: &BTreeMap<String, InRow>) {
    let n = cases.len() as u64;
    let with = cases.values().filter(|c| c.victims).count() as u64;
    assert_eq!(row["cases"], n, "{label}: {row}");
    assert_eq!(row["cases_with_victims_identified"], with, "{label}: {row}");
    assert!(
        close(&row["share"], with as f64 / n as f64),
        "{label}: {row}"
    );
    let (low, high) = wilson(with, n).unwrap();
    assert!(
        close(&row["share_ci"][0], low) && close(&row["share_ci"][1], high),
        "{label}: {row}"
    );
    assert_eq!(row["suppressed"], json!([]), "{label}");
}

/// Every count within 2 of the truth and exactly its salted cell's
/// published value, small ones hidden, nothing but the cases in a row not
/// large enough, the share from the published counts.
fn check_published(label: &str, row: &Value, cases: &BTreeMap<String, InRow>, threshold: u64) {
    let cell = |keep: &dyn Fn(&InRow) -> bool| {
        let kept: Vec<&InRow> = cases.values().filter(|c| keep(c)).collect();
        Cell::of(kept.len() as i64, kept.iter().map(|c| c.key).sum()).salted(CASES_SALT)
    };
    let (all, with) = (cell(&|_| true), cell(&|c| c.victims));
    let (p_all, p_with) = (all.published(), with.published());
    assert!(p_all.abs_diff(all.count) <= 2 && p_with.abs_diff(with.count) <= 2);
    let mut suppressed = Vec::new();
    if (1..threshold).contains(&p_all) {
        assert!(row["cases"].is_null(), "{label}: {row}");
        suppressed.push("cases");
    } else {
        assert_eq!(row["cases"], p_all, "{label}: {row}");
    }
    if (1..threshold).contains(&p_with) || p_all < threshold + 2 {
        for field in ["cases_with_victims_identified", "share", "share_ci"] {
            assert!(row[field].is_null(), "{label}: {field}: {row}");
        }
        suppressed.extend(["cases_with_victims_identified", "share", "share_ci"]);
    } else {
        assert_eq!(
            row["cases_with_victims_identified"], p_with,
            "{label}: {row}"
        );
        assert!(
            close(&row["share"], p_with.min(p_all) as f64 / p_all as f64),
            "{label}: {row}"
        );
        let (low, high) = wilson(p_with, p_all).unwrap();
        assert!(
            close(&row["share_ci"][0], low) && close(&row["share_ci"][1], high),
            "{label}: {row}"
        );
    }
    assert_eq!(row["suppressed"], json!(suppressed), "{label}: {row}");
}

#[actix_web::test]
async fn cases_that_identified_victims_match_the_definitions() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let all = app.list_all("", 200).await;
    let cases = app.list_all_cases(200).await;
    let keys = record_keys(&app).await;
    let today = common::office_today();
    let asked = [
        Asked::as_of(today),
        Asked {
            group: Some("region"),
            ..Asked::as_of(today)
        },
        Asked::as_of(today - Days::new(400)),
        Asked {
            period: Some((today - Days::new(3 * 365), today - Days::new(365))),
            ..Asked::as_of(today)
        },
        Asked {
            offence: Some("child_sexual_abuse_material"),
            ..Asked::as_of(today)
        },
        Asked {
            country: Some("DE"),
            ..Asked::as_of(today)
        },
    ];
    for a in &asked {
        let truth = expected(&all, &cases, &keys, a);
        assert!(
            truth[""].values().any(|c| c.victims) && truth[""].values().any(|c| !c.victims),
            "cases with and without victims are exercised: {a:?}"
        );
        let body = table(
            &app,
            &app.admin_token,
            &format!("/api/v1/stats/victims?{}", a.query(true)),
        )
        .await;
        let got = rows_by_label(&body, a);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            truth.keys().collect::<Vec<_>>(),
            "the rows: {a:?}"
        );
        for (label, cases) in &truth {
            check_exact(&format!("{a:?} {label}"), &got[label], cases);
        }
        // The rows do not add up: a case that went to two countries counts
        // in both, once in the totals.
        if a.country.is_none() {
            let sum: usize = truth
                .iter()
                .filter(|(l, _)| !l.is_empty())
                .map(|(_, c)| c.len())
                .sum();
            assert!(
                sum > truth[""].len(),
                "a case in two rows is exercised: {a:?}"
            );
        }
    }

    // By hand: Germany has the four hand-made cases, Western Europe counts
    // the two that went to Germany and France once each.
    let by_country = table(&app, &app.admin_token, "/api/v1/stats/victims").await;
    let by_region = table(
        &app,
        &app.admin_token,
        "/api/v1/stats/victims?group=subregion",
    )
    .await;
    let row = |body: &Value, key: &str, label: &str, code: &str| {
        body[key]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[label] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code}: {body}"))
    };
    let cases_of = |body: &Value, key: &str, label: &str, code: &str| {
        row(body, key, label, code)["cases"].as_u64().unwrap()
    };
    let seeded_de = all
        .iter()
        .filter(|r| {
            text(r, "target_country") == "DE" && !text(r, "case_reference").starts_with("VIC-")
        })
        .filter(|r| !r["sent_at"].is_null())
        .map(|r| text(r, "case_id"))
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    assert_eq!(
        cases_of(&by_country, "countries", "country", "DE"),
        seeded_de + 4
    );
    let western = row(&by_region, "areas", "area", "155");
    assert_eq!(western["area_name"], "Western Europe");
    let countries_in_western: u64 = by_country["countries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            mla_tracker::domain::CountryCode::parse(text(r, "country"))
                .ok()
                .and_then(mla_tracker::stats::regions::subregion_of)
                .is_some_and(|a| a.code == "155")
        })
        .map(|r| r["cases"].as_u64().unwrap())
        .sum();
    assert!(
        western["cases"].as_u64().unwrap() <= countries_in_western - 2,
        "VIC-1 and VIC-2 count once in Western Europe: {western}"
    );
    // The draft to Japan puts VIC-4 in no Japanese row.
    let japan_sent = all
        .iter()
        .any(|r| text(r, "target_country") == "JP" && !r["sent_at"].is_null());
    let japan_shown = by_country["countries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["country"] == "JP");
    assert_eq!(japan_shown, japan_sent);
    assert_eq!(by_region["totals"], by_country["totals"]);

    // CSV.
    let csv = app
        .get(
            "/api/v1/stats/victims?country=DE&format=csv",
            &app.admin_token,
        )
        .await;
    let text = csv.body.as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "country,country_name,cases,cases_with_victims_identified,share,share_ci_low,share_ci_high,suppressed"
    );
    assert!(lines[1].starts_with("DE,Germany,"), "{text}");
    assert!(lines[2].starts_with(",All countries,"), "{text}");
}

#[actix_web::test]
async fn the_published_view_perturbs_the_cases_under_their_own_salt() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let all = app.list_all("", 200).await;
    let cases = app.list_all_cases(200).await;
    let keys = record_keys(&app).await;
    let analyst = app.token_for("analyst").await;
    let release = latest_release();
    let (mut small_rows, mut shown_shares) = (0, 0);
    for a in [
        Asked::as_of(release),
        Asked {
            group: Some("region"),
            ..Asked::as_of(release)
        },
        Asked {
            offence: Some("child_sexual_abuse_material"),
            ..Asked::as_of(release)
        },
    ] {
        let body = table(
            &app,
            &analyst,
            &format!("/api/v1/stats/victims?{}", a.query(false)),
        )
        .await;
        assert_eq!(
            body["suppression"],
            json!({"applied": true, "threshold": 5})
        );
        let truth = expected(&all, &cases, &keys, &a);
        let got = rows_by_label(&body, &a);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            truth.keys().collect::<Vec<_>>()
        );
        for (label, cases) in &truth {
            let row = &got[label];
            check_published(&format!("{a:?} {label}"), row, cases, 5);
            small_rows += usize::from(row["share"].is_null());
            shown_shares += usize::from(!row["share"].is_null());
        }
    }
    assert!(
        small_rows > 0 && shown_shares > 0,
        "{small_rows} {shown_shares}"
    );
}
