//! `GET /stats/response-curves` and the SVG charts end to end: the curves
//! are `km::estimate` over hand-worked data entered through the API, the
//! published view hides what it must, and the charts are SVG documents that
//! state their period and leave out what the published view hides.

use crate::common;

use crate::common::hand_worked::{as_of, moved_on_day, sent};
use crate::common::{TestApp, query, spawn_app};
use mla_tracker::stats::km::{self, DayCount};
use serde_json::{Value, json};

/// Norway: 4 sent, answered on days 10 and 30 (execution started), 2 pending
/// (censored at 100), one of them acknowledged on day 5: an acknowledgement
/// is not an answer.
/// Japan: 2 sent, one withdrawn on day 5 (censored there), one pending.
/// Germany: 12 sent, 6 answered on day 20, 6 pending.
async fn portfolio(app: &TestApp) {
    for (i, answer) in [Some(10), Some(30), None, None].into_iter().enumerate() {
        let id = sent(app, "NO", &format!("NO-{i}")).await;
        if let Some(day) = answer {
            moved_on_day(app, &id, "in_execution", day).await;
        } else if i == 2 {
            moved_on_day(app, &id, "acknowledged", 5).await;
        }
    }
    let withdrawn = sent(app, "JP", "JP-0").await;
    moved_on_day(app, &withdrawn, "withdrawn", 5).await;
    sent(app, "JP", "JP-1").await;
    for i in 0..12 {
        let id = sent(app, "DE", &format!("DE-{i}")).await;
        if i < 6 {
            moved_on_day(app, &id, "additional_info_requested", 20).await;
        }
    }
}

async fn get_ok(app: &TestApp, path: &str, token: &str, extra: &[(&str, &str)]) -> common::Resp {
    let as_of = as_of().to_string();
    let mut pairs = vec![("as_of", as_of.as_str())];
    pairs.extend_from_slice(extra);
    get_published(app, path, token, &pairs).await
}

/// As [`get_ok`], without an `as_of`: the published view's default, the
/// latest release (by then every request of the portfolio is sent and
/// answered as it will be).
async fn get_published(
    app: &TestApp,
    path: &str,
    token: &str,
    pairs: &[(&str, &str)],
) -> common::Resp {
    let res = app
        .get(&format!("/api/v1/stats/{path}?{}", query(pairs)), token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res
}

fn entry<'a>(body: &'a Value, country: &str) -> &'a Value {
    body["countries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["country"] == country)
        .unwrap_or_else(|| panic!("no curve for {country}: {body}"))
}

/// The steps `km::estimate` gives for `counts`, as the API writes them.
fn expected(counts: &[DayCount]) -> Value {
    let curve = km::estimate(counts.iter().copied());
    Value::Array(
        curve
            .steps()
            .iter()
            .map(|s| {
                json!({"day": s.day, "survival": s.survival, "lower": s.lower,
                       "upper": s.upper, "at_risk": s.at_risk, "events": s.events})
            })
            .collect(),
    )
}

/// `actual` equals `expected`, floats to 1e-12 (serde_json's parser may be
/// one ulp off the written value).
fn assert_steps(actual: &Value, expected: &Value) {
    let (a, e) = (actual.as_array().unwrap(), expected.as_array().unwrap());
    assert_eq!(a.len(), e.len(), "{actual} vs {expected}");
    for (a, e) in a.iter().zip(e) {
        for field in ["day", "at_risk", "events"] {
            assert_eq!(a[field], e[field], "{field}: {a} vs {e}");
        }
        for field in ["survival", "lower", "upper"] {
            let (x, y) = (a[field].as_f64().unwrap(), e[field].as_f64().unwrap());
            assert!((x - y).abs() < 1e-12, "{field}: {a} vs {e}");
        }
    }
}

fn dc(day: u32, events: u64, censored: u64) -> DayCount {
    DayCount {
        day,
        events,
        censored,
    }
}

#[actix_web::test]
async fn exact_curves_are_the_kaplan_meier_estimates() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let body = get_ok(&app, "response-curves", &app.admin_token, &[])
        .await
        .body;
    assert_eq!(body["suppression"]["applied"], false);
    assert_eq!(body["as_of"], as_of().to_string());

    let no = entry(&body, "NO");
    assert_eq!(no["country_name"], "Norway");
    assert_eq!(no["suppressed"], json!([]));
    let steps = no["curve"].as_array().unwrap();
    // Hand-worked: S(10) = 3/4 with 4 at risk, S(30) = 1/2 with 3 at risk;
    // the two pending are censored on day 100.
    let summary: Vec<(u64, f64, u64, u64)> = steps
        .iter()
        .map(|s| {
            (
                s["day"].as_u64().unwrap(),
                s["survival"].as_f64().unwrap(),
                s["at_risk"].as_u64().unwrap(),
                s["events"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(10, 0.75, 4, 1), (30, 0.5, 3, 1), (100, 0.5, 2, 0)]
    );
    assert_steps(
        &no["curve"],
        &expected(&[dc(10, 1, 0), dc(30, 1, 0), dc(100, 0, 2)]),
    );
    assert!(steps[0]["lower"].as_f64().unwrap() < 0.75);
    assert!(steps[0]["upper"].as_f64().unwrap() > 0.75);

    assert_steps(
        &entry(&body, "JP")["curve"],
        &expected(&[dc(5, 0, 1), dc(100, 0, 1)]),
    );
    assert_steps(
        &entry(&body, "DE")["curve"],
        &expected(&[dc(20, 6, 0), dc(100, 0, 6)]),
    );
    let all = &body["all_countries"];
    assert_eq!(all["country_name"], "All countries");
    assert!(all.get("country").is_none(), "{all}");
    assert_steps(
        &all["curve"],
        &expected(&[
            dc(10, 1, 0),
            dc(30, 1, 0),
            dc(100, 0, 2),
            dc(5, 0, 1),
            dc(100, 0, 1),
            dc(20, 6, 0),
            dc(100, 0, 6),
        ]),
    );
}

#[actix_web::test]
async fn csv_has_one_row_per_country_and_step() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let res = get_ok(
        &app,
        "response-curves",
        &app.admin_token,
        &[("format", "csv")],
    )
    .await;
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let text = res.body.as_str().unwrap().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "country,country_name,day,survival,lower,upper,at_risk,events,suppressed"
    );
    // DE 2 steps, JP 2, NO 3, the pooled curve 5 (days 5, 10, 20, 30, 100).
    assert_eq!(lines.len(), 1 + 2 + 2 + 3 + 5, "{text}");
    assert!(lines[1].starts_with("DE,Germany,20,0.5,"), "{text}");
    assert!(lines[5].starts_with("NO,Norway,10,0.75,"), "{text}");
    assert!(lines[5].ends_with(",4,1,"), "{text}");
    assert!(lines[12].starts_with(",All countries,100,"), "{text}");
}

#[actix_web::test]
async fn the_published_view_hides_curves_over_hidden_counts() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let analyst = app.token_for("analyst").await;
    let body = get_published(&app, "response-curves", &analyst, &[("suppress", "false")])
        .await
        .body;
    assert_eq!(body["suppression"]["applied"], true);
    let table = get_published(&app, "countries", &analyst, &[]).await.body;
    for row in table["countries"].as_array().unwrap() {
        let curve = entry(&body, row["country"].as_str().unwrap());
        let publishable =
            row["requests"].as_u64().is_some_and(|n| n >= 5) && !row["answered"].is_null();
        if publishable {
            assert_eq!(
                curve["suppressed"],
                json!(["lower", "upper", "at_risk", "events"]),
                "{curve}"
            );
            for step in curve["curve"].as_array().unwrap() {
                let day = step["day"].as_u64().unwrap();
                assert!(day % 30 == 0 || day == 365, "grid days only: {curve}");
                assert!(step["at_risk"].is_null() && step["events"].is_null());
                assert!(step["lower"].is_null() && step["upper"].is_null());
                assert!(step["survival"].is_f64());
            }
        } else {
            assert_eq!(curve["curve"], Value::Null, "{curve} next to {row}");
            assert_eq!(curve["suppressed"], json!(["curve"]));
        }
    }
    // Japan's 2 are published as at most 4: hidden, whatever the noise.
    assert_eq!(entry(&body, "JP")["curve"], Value::Null);
    let totals_shown = table["totals"]["requests"].as_u64().is_some_and(|n| n >= 5)
        && !table["totals"]["answered"].is_null();
    assert_eq!(body["all_countries"]["curve"].is_array(), totals_shown);

    let for_admin = get_published(
        &app,
        "response-curves",
        &app.admin_token,
        &[("suppress", "true")],
    )
    .await
    .body;
    assert_eq!(for_admin, body, "suppress=true is the analysts' view");
    let csv = get_published(&app, "response-curves", &analyst, &[("format", "csv")]).await;
    let csv = csv.body.as_str().unwrap();
    assert!(csv.lines().any(|l| l == "JP,Japan,,,,,,,curve"), "{csv}");
}

/// The chart's text, after checking that it is XML with an `<svg>` root.
fn svg_texts(res: &common::Resp) -> String {
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("image/svg+xml; charset=utf-8")
    );
    let svg = res.body.as_str().expect("an SVG body");
    let doc = roxmltree::Document::parse(svg).expect("the chart is XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(
        doc.root_element().tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn the_response_rate_chart_is_svg_and_honours_suppression() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let as_of = as_of().to_string();
    let texts = svg_texts(&get_ok(&app, "charts/response-rates.svg", &app.admin_token, &[]).await);
    assert!(
        texts.contains(&format!("All requests sent, as of {as_of}")),
        "{texts}"
    );
    // Sent 100 days before the analysis date: no share after a year exists
    // yet, and the chart says so rather than drawing 0 % or 100 %.
    for label in ["Norway  2 / 4", "Japan  0 / 2", "Germany  6 / 12"] {
        assert!(!texts.contains(label), "{label}: {texts}");
    }
    assert!(texts.contains("share_unanswered_365"), "{texts}");
    assert!(
        texts.contains("3 countries left out: none of their requests has been followed for 365 days yet, so the share after a year cannot be estimated."),
        "{texts}"
    );
    assert!(!texts.contains("hidden in the published view"), "{texts}");

    let analyst = app.token_for("analyst").await;
    let latest = mla_tracker::stats::release::latest(common::office_today());
    let texts = svg_texts(&get_published(&app, "charts/response-rates.svg", &analyst, &[]).await);
    assert!(
        texts.contains(&format!("All requests sent, as of {latest}")),
        "{texts}"
    );
    assert!(!texts.contains("Japan"), "{texts}");
    assert!(texts.contains("left out"), "{texts}");
}

#[actix_web::test]
async fn the_response_curve_chart_is_svg_and_honours_suppression() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let as_of = as_of().to_string();
    let texts = svg_texts(
        &get_ok(
            &app,
            "charts/response-curves.svg",
            &app.admin_token,
            &[("country", "NO"), ("country", "DE")],
        )
        .await,
    );
    assert!(texts.contains(&format!("as of {as_of}")), "{texts}");
    assert!(texts.contains("Norway (4 requests)"), "{texts}");
    assert!(texts.contains("Germany (12 requests)"), "{texts}");
    assert!(texts.contains("Days since sending"), "{texts}");
    // By default the five with most requests: here all three.
    let texts = svg_texts(&get_ok(&app, "charts/response-curves.svg", &app.admin_token, &[]).await);
    assert!(texts.contains("Japan (2 requests)"), "{texts}");

    let analyst = app.token_for("analyst").await;
    let texts = svg_texts(
        &get_published(
            &app,
            "charts/response-curves.svg",
            &analyst,
            &[("country", "JP")],
        )
        .await,
    );
    assert!(!texts.contains("Japan ("), "{texts}");
    assert!(
        texts.contains("Left out, hidden in the published view"),
        "{texts}"
    );
    let texts = svg_texts(&get_published(&app, "charts/response-curves.svg", &analyst, &[]).await);
    assert!(!texts.contains("Japan"), "{texts}");
    let res = app
        .get(
            "/api/v1/stats/charts/response-curves.svg?country=NO&country=JP",
            &analyst,
        )
        .await;
    assert_eq!(
        res.status, 422,
        "one country at a time in the published view: {res:?}"
    );

    let res = app
        .get(
            "/api/v1/stats/charts/response-curves.svg?format=csv&country=XX",
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
}
