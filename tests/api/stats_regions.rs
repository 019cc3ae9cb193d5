//! `group=subregion|region` on the tables by country (docs/DOMAIN.md §8.4):
//! an area's row is its countries' requests pooled, its label the UN M49
//! code and name; and where the published view hides each small country,
//! their sub-region can still be published. On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use crate::common::hand_worked::{as_of, moved_on_day, sent};
use crate::common::{TestApp, query, spawn_app};
use mla_tracker::domain::CountryCode;
use mla_tracker::stats::regions::{region_of, subregion_of};
use serde_json::Value;

/// Four South-eastern Asian countries with 3 requests each (one answered
/// on day 20), too few to publish any of them; Germany and France with 8
/// each (four answered on day 40); one Nigerian request.
async fn portfolio(app: &TestApp) {
    for country in ["PH", "VN", "KH", "ID"] {
        for i in 0..3 {
            let id = sent(app, country, &format!("{country}-{i}")).await;
            if i == 0 {
                moved_on_day(app, &id, "in_execution", 20).await;
            }
        }
    }
    for country in ["DE", "FR"] {
        for i in 0..8 {
            let id = sent(app, country, &format!("{country}-{i}")).await;
            if i < 4 {
                moved_on_day(app, &id, "in_execution", 40).await;
            }
        }
    }
    let ng = sent(app, "NG", "NG-0").await;
    moved_on_day(app, &ng, "abandoned", 60).await;
}

async fn stats(app: &TestApp, token: &str, table: &str, pairs: &[(&str, &str)]) -> Value {
    let res = app
        .get(&format!("/api/v1/stats/{table}?{}", query(pairs)), token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body
}

/// The counts of a table's rows by country, summed per area by the M49
/// table itself (not the service's grouping).
fn summed_by_area(
    countries: &Value,
    area_of: fn(CountryCode) -> Option<&'static mla_tracker::stats::regions::Area>,
    fields: &[&str],
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for row in countries["countries"].as_array().unwrap() {
        let code = CountryCode::parse(row["country"].as_str().unwrap()).unwrap();
        let area = area_of(code).unwrap().code.to_string();
        for field in fields {
            *out.entry(area.clone())
                .or_default()
                .entry(field.to_string())
                .or_default() += row[*field].as_u64().unwrap();
        }
    }
    out
}

const COUNTS: [&str; 11] = [
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
    "victims_identified",
];

#[actix_web::test]
async fn an_area_pools_its_countries_exactly() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let as_of = as_of().to_string();
    let by_country = stats(&app, &app.admin_token, "countries", &[("as_of", &as_of)]).await;
    for (group, area_of) in [
        ("subregion", subregion_of as fn(_) -> _),
        ("region", region_of as fn(_) -> _),
    ] {
        let by_area = stats(
            &app,
            &app.admin_token,
            "countries",
            &[("as_of", &as_of), ("group", group)],
        )
        .await;
        assert!(by_area.get("countries").is_none(), "{by_area}");
        let want = summed_by_area(&by_country, area_of, &COUNTS);
        let rows = by_area["areas"].as_array().unwrap();
        let got: BTreeMap<String, BTreeMap<String, u64>> = rows
            .iter()
            .map(|r| {
                let counts = COUNTS
                    .iter()
                    .map(|f| (f.to_string(), r[*f].as_u64().unwrap()))
                    .collect();
                (r["area"].as_str().unwrap().to_string(), counts)
            })
            .collect();
        assert_eq!(got, want, "{group}");
        // The totals pool the same requests whatever the rows.
        assert_eq!(by_area["totals"], by_country["totals"], "{group}");
        assert!(by_area["totals"].get("area").is_none());
    }
    let by_subregion = stats(
        &app,
        &app.admin_token,
        "countries",
        &[("as_of", &as_of), ("group", "subregion")],
    )
    .await;
    let sea = by_subregion["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area"] == "035")
        .unwrap();
    assert_eq!(sea["area_name"], "South-eastern Asia");
    // 12 requests, 4 answered on day 20: S(20) = 8/12, never below one half.
    assert_eq!(
        (sea["requests"].as_u64(), sea["answered"].as_u64()),
        (Some(12), Some(4))
    );
    assert_eq!(sea["median_response_not_reached"], true);
    let s = sea["share_unanswered_90"].as_f64().unwrap();
    assert!((s - 8.0 / 12.0).abs() < 1e-12, "{sea}");

    // The reasons tables group the same way.
    let reasons = stats(
        &app,
        &app.admin_token,
        "abandonment-reasons",
        &[("as_of", &as_of), ("group", "region")],
    )
    .await;
    let africa = &reasons["areas"][0];
    assert_eq!(
        (africa["area"].as_str(), africa["area_name"].as_str()),
        (Some("002"), Some("Africa"))
    );
    assert_eq!(africa["abandoned"], 1);

    // CSV: the label columns say what the rows are.
    let csv = app
        .get(
            &format!(
                "/api/v1/stats/countries?{}",
                query(&[("as_of", &as_of), ("group", "region"), ("format", "csv")])
            ),
            &app.admin_token,
        )
        .await;
    let text = csv.body.as_str().unwrap();
    assert!(text.starts_with("area,area_name,requests,"), "{text}");
    assert!(text.contains("\n142,Asia,12,4,"), "{text}");
    assert!(text.contains("\n,All countries,29,12,"), "{text}");
}

#[actix_web::test]
async fn a_region_is_published_where_each_of_its_countries_is_hidden() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let analyst = app.token_for("analyst").await;
    let by_country = stats(&app, &analyst, "countries", &[]).await;
    assert_eq!(by_country["suppression"]["applied"], true);
    for code in ["PH", "VN", "KH", "ID"] {
        let row = by_country["countries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["country"] == code)
            .unwrap();
        // 3 requests, published from 1 to 5: never enough to show a figure.
        assert!(row["answered"].is_null(), "{row}");
        assert!(row["share_unanswered_90"].is_null(), "{row}");
    }
    let by_subregion = stats(&app, &analyst, "countries", &[("group", "subregion")]).await;
    let sea = by_subregion["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area"] == "035")
        .unwrap();
    // 12 requests published within 2: enough to show the region's figures.
    let requests = sea["requests"].as_i64().unwrap();
    assert!((10..=14).contains(&requests), "{sea}");
    let answered = sea["answered"].as_i64();
    assert!(
        answered.is_none_or(|a| (2..=6).contains(&a)),
        "the truth within 2: {sea}"
    );
    if answered.is_some_and(|a| a >= 5) {
        assert!(sea["share_unanswered_90"].as_f64().is_some(), "{sea}");
    } else {
        assert!(sea["share_unanswered_90"].is_null(), "{sea}");
    }
    // The region's cell is one of its own: the same requests, the same
    // published figure whatever the grouping.
    let by_region = stats(&app, &analyst, "countries", &[("group", "region")]).await;
    let asia = by_region["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area"] == "142")
        .unwrap();
    assert_eq!(
        asia["requests"], sea["requests"],
        "Asia is South-eastern Asia here"
    );
    assert_eq!(by_region["totals"], by_country["totals"]);
}

#[actix_web::test]
async fn an_unknown_grouping_is_refused_with_the_allowed_ones() {
    let app = spawn_app().await;
    for table in ["countries", "abandonment-reasons", "refusal-grounds"] {
        let res = app
            .get(
                &format!("/api/v1/stats/{table}?group=continent"),
                &app.admin_token,
            )
            .await;
        assert_eq!(res.status, 422, "{res:?}");
        assert_eq!(
            res.body["error"]["fields"]["group"][0], "must be country, subregion or region",
            "{res:?}"
        );
    }
    let res = app
        .get("/api/v1/stats/timeline?group=region", &app.admin_token)
        .await;
    assert_eq!(res.status, 422, "the timeline is by period: {res:?}");
}
