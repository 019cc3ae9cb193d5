//! `GET /stats/countries` end to end: hand-worked Kaplan–Meier figures, the
//! published (suppressed) view and who gets it, CSV, and bad parameters.

use crate::common;

use crate::common::hand_worked::{as_of, moved_on_day, sent};
use crate::common::{TestApp, query, spawn_app};
use mla_tracker::stats::countries::{FROM_ACKNOWLEDGED, FROM_ANSWERED, FROM_EXECUTED};
use serde_json::Value;

/// Norway: 4 sent, answered on days 10 and 30 (execution started), 2 pending
/// (censored at 100), one of them acknowledged on day 5: an acknowledgement
/// is not an answer.
/// Japan: 2 sent, one withdrawn on day 5 (censored there), one pending.
/// Germany: 12 sent, none answered.
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
        sent(app, "DE", &format!("DE-{i}")).await;
    }
}

/// `[low, high]` within rounding of `expected`.
fn close_pair(got: &Value, expected: [f64; 2]) {
    let got: Vec<f64> = got
        .as_array()
        .unwrap_or_else(|| panic!("an interval: {got}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        (got[0] - expected[0]).abs() < 1e-12 && (got[1] - expected[1]).abs() < 1e-12,
        "{got:?} vs {expected:?}"
    );
}

async fn table(app: &TestApp, token: &str, extra: &[(&str, &str)]) -> Value {
    let as_of = as_of().to_string();
    let mut pairs = vec![("as_of", as_of.as_str())];
    pairs.extend_from_slice(extra);
    let res = app
        .get(&format!("/api/v1/stats/countries?{}", query(&pairs)), token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body
}

fn row<'a>(body: &'a Value, country: &str) -> &'a Value {
    body["countries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["country"] == country)
        .unwrap_or_else(|| panic!("no row for {country}: {body}"))
}

#[actix_web::test]
async fn exact_figures_follow_the_hand_worked_kaplan_meier_estimates() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let body = table(&app, &app.admin_token, &[]).await;
    assert_eq!(body["suppression"]["applied"], false);

    let no = row(&body, "NO");
    assert_eq!(no["country_name"], "Norway");
    assert_eq!(
        (no["requests"].as_u64(), no["answered"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(
        no["pending"], 4,
        "in execution or acknowledged is still pending: {no}"
    );
    assert_eq!(no["response_rate"], 0.5);
    // Wilson: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n) at 2 of 4.
    close_pair(
        &no["response_rate_ci"],
        [0.150_038_989_152_149_5, 0.849_961_010_847_850_6],
    );
    // S(10) = 3/4, S(30) = 3/4 × 2/3 = 1/2: the median is reached on day 30.
    assert_eq!(no["median_days_to_response"], 30);
    assert_eq!(no["median_response_not_reached"], false);
    // Greenwood on the log(−log) scale: at day 10, σ² = 1/(4·3), the lower
    // bound 0.128 ≤ 1/2; the upper bound is still 0.845 at day 30, when
    // σ² = 1/12 + 1/(3·2), and nothing follows but censoring.
    assert_eq!(
        no["median_days_to_response_ci"],
        serde_json::json!([10, null])
    );
    // The two pending requests are censored on day 100: S stays at 1/2
    // until then, and is not estimable after (nobody followed that long).
    assert_eq!(no["share_unanswered_90"], 0.5);
    close_pair(
        &no["share_unanswered_90_ci"],
        [0.057_847_082_995_144_55, 0.844_861_281_190_374],
    );
    assert_eq!(no["share_unanswered_180"], Value::Null);
    assert_eq!(no["share_unanswered_180_ci"], Value::Null);
    assert_eq!(no["share_unanswered_365"], Value::Null);
    // The official figure: the average over the two answered, (10 + 30) / 2.
    assert_eq!(no["mean_days_to_response_among_answered"], 20.0);
    // The acknowledgement: the first sign of receipt, by an acknowledgement
    // (day 5) or by the answer itself (days 10 and 30). S(5) = 3/4, S(10) =
    // 1/2: the median is day 10; its interval opens on day 5 (lower bound
    // 0.128) and never closes.
    assert_eq!(no["acknowledged"], 3);
    assert_eq!(no["median_days_to_acknowledgement"], 10);
    assert_eq!(no["median_acknowledgement_not_reached"], false);
    assert_eq!(
        no["median_days_to_acknowledgement_ci"],
        serde_json::json!([5, null])
    );
    assert_eq!(no["median_days_to_execution"], Value::Null);
    assert_eq!(no["median_execution_not_reached"], true);
    assert_eq!(no["suppressed"], serde_json::json!([]));

    let jp = row(&body, "JP");
    assert_eq!(
        (jp["requests"].as_u64(), jp["withdrawn"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(jp["answered"], 0);
    assert_eq!(jp["median_days_to_response"], Value::Null);
    assert_eq!(jp["median_response_not_reached"], true);
    assert_eq!(jp["share_unanswered_90"], 1.0);
    assert_eq!(jp["share_unanswered_90_ci"], serde_json::json!([1.0, 1.0]));
    assert_eq!(
        jp["median_days_to_response_ci"],
        serde_json::json!([null, null])
    );
    // 0 of 2: Wilson's interval still says how little two requests tell.
    close_pair(&jp["response_rate_ci"], [0.0, 0.657_619_772_493_346_9]);

    // Totals pool the 18 requests: Japan's withdrawal leaves on day 5, so
    // 17 are at risk on day 10 (S = 16/17) and 16 on day 30 (S = 15/17).
    let totals = &body["totals"];
    assert_eq!(totals["requests"], 18);
    assert_eq!(totals["answered"], 2);
    let s30: f64 = 16.0 / 17.0 * (15.0 / 16.0);
    assert!((totals["share_unanswered_90"].as_f64().unwrap() - s30).abs() < 1e-12);
    assert_eq!(
        totals["share_unanswered_365"],
        Value::Null,
        "followed 100 days"
    );
    assert_eq!(totals["median_response_not_reached"], true);
    assert!(totals.get("country").is_none(), "{totals}");
}

/// The count columns (docs/DOMAIN.md §8.4, §9.2).
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

fn listed(row: &Value, field: &str) -> bool {
    row["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == field)
}

/// The published view as of the latest release (its default): the last day
/// of the previous month, when the portfolio's requests (sent 100 days
/// before yesterday, answered within 30 days) are all sent and answered.
async fn published_table(app: &TestApp, token: &str, extra: &[(&str, &str)]) -> Value {
    let res = app
        .get(&format!("/api/v1/stats/countries?{}", query(extra)), token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let latest = mla_tracker::stats::release::latest(common::office_today());
    assert_eq!(res.body["as_of"], latest.to_string(), "the latest release");
    res.body
}

/// Every count is hidden (`null`, listed in `suppressed`) or shown as 0 or
/// at least 5; a row's estimates are hidden when its published requests
/// are fewer than 5.
fn assert_published(body: &Value) {
    assert_eq!(body["suppression"]["applied"], true, "{body}");
    let mut rows: Vec<&Value> = body["countries"].as_array().unwrap().iter().collect();
    rows.push(&body["totals"]);
    for row in &rows {
        for field in COUNTS {
            if let Some(n) = row[field].as_u64() {
                assert!(!(1..5).contains(&n), "{field} = {n} shown: {row}");
                assert!(!listed(row, field), "{field} shown and listed: {row}");
            } else {
                assert!(listed(row, field), "{field} is null but not listed: {row}");
            }
        }
        // Finding 3: a share or rate next to a hidden count gave it back.
        for (count, derived) in [
            ("answered", &FROM_ANSWERED[..]),
            ("acknowledged", &FROM_ACKNOWLEDGED[..]),
            ("executed", &FROM_EXECUTED[..]),
            ("refused", &["refusal_rate", "refusal_rate_ci"][..]),
            (
                "abandoned_no_response",
                &[
                    "abandoned_no_response_rate",
                    "abandoned_no_response_rate_ci",
                ][..],
            ),
        ] {
            if row[count].is_null() {
                for derived in derived {
                    assert!(
                        row[derived].is_null(),
                        "{derived} beside a hidden {count}: {row}"
                    );
                }
            }
        }
        if row["requests"].as_u64().is_none_or(|n| n < 5) {
            for derived in FROM_ANSWERED
                .iter()
                .chain(&FROM_ACKNOWLEDGED)
                .chain(&FROM_EXECUTED)
                .chain(&["victims_identified"])
            {
                assert!(
                    row[derived].is_null(),
                    "{derived} shown over hidden requests: {row}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn analysts_only_ever_get_the_published_view() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let analyst = app.token_for("analyst").await;

    for extra in [&[][..], &[("suppress", "false")][..]] {
        let body = published_table(&app, &analyst, extra).await;
        assert_published(&body);
        // 18 requests: the totals are a cell of their own, perturbed by at
        // most 2 (docs/DOMAIN.md §9.2).
        let total = body["totals"]["requests"].as_i64().unwrap();
        assert!((16..=20).contains(&total), "{total}");
    }
    let published_for_admin =
        published_table(&app, &app.admin_token, &[("suppress", "true")]).await;
    assert_eq!(
        published_for_admin,
        published_table(&app, &analyst, &[]).await,
        "suppress=true shows other roles exactly what analysts see"
    );
    for role in ["coordinator", "clerk"] {
        let token = app.token_for(role).await;
        let body = table(&app, &token, &[]).await;
        assert_eq!(body["suppression"]["applied"], false, "{role}");
        assert_eq!(row(&body, "NO")["requests"], 4, "{role}");
    }
    let res = app.get("/api/v1/stats/countries", "").await;
    assert_eq!(res.status, 401);
}

#[actix_web::test]
async fn csv_has_one_row_per_country_and_the_totals_in_a_stable_order() {
    let app = spawn_app().await;
    portfolio(&app).await;
    sent(&app, "TR", "TR-0").await;
    let as_of = as_of().to_string();
    let by_param = app
        .get(
            &format!("/api/v1/stats/countries?as_of={as_of}&format=csv"),
            &app.admin_token,
        )
        .await;
    assert_eq!(by_param.status, 200);
    assert_eq!(
        by_param.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let text = by_param.body.as_str().unwrap_or_default().to_string();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "country,country_name,requests,answered,acknowledged,pending,executed,partially_executed,refused,withdrawn,abandoned,abandoned_no_response,response_rate,response_rate_ci_low,response_rate_ci_high,refusal_rate,refusal_rate_ci_low,refusal_rate_ci_high,abandoned_no_response_rate,abandoned_no_response_rate_ci_low,abandoned_no_response_rate_ci_high,median_days_to_acknowledgement,median_days_to_acknowledgement_ci_low,median_days_to_acknowledgement_ci_high,median_acknowledgement_not_reached,median_days_to_response,median_days_to_response_ci_low,median_days_to_response_ci_high,median_response_not_reached,share_unanswered_90,share_unanswered_90_ci_low,share_unanswered_90_ci_high,share_unanswered_180,share_unanswered_180_ci_low,share_unanswered_180_ci_high,share_unanswered_365,share_unanswered_365_ci_low,share_unanswered_365_ci_high,mean_days_to_response_among_answered,median_days_to_execution,median_days_to_execution_ci_low,median_days_to_execution_ci_high,median_execution_not_reached,victims_identified,suppressed"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 5, "DE, JP, NO, TR and the totals: {text}");
    assert!(rows[0].starts_with("DE,Germany,12,0,0,12,"), "{text}");
    // An interval takes two numeric columns; a median's open end is empty.
    assert!(
        rows[2].contains(",0.5,0.15003898915214947,0.8499610108478506,"),
        "{text}"
    );
    assert!(rows[2].contains(",30,10,,false,"), "{text}");
    assert!(rows[3].starts_with("TR,Türkiye,1,"), "UTF-8 names: {text}");
    assert!(rows[4].starts_with(",All countries,19,2,"), "{text}");

    let analyst = app.token_for("analyst").await;
    let by_accept = app
        .call_with(
            awc::http::Method::GET,
            "/api/v1/stats/countries",
            Some(&analyst),
            None,
            &[("Accept", "text/csv")],
        )
        .await;
    assert_eq!(by_accept.status, 200);
    let published = by_accept.body.as_str().unwrap_or_default();
    let lines: Vec<&str> = published.lines().collect();
    assert_eq!(
        lines.len(),
        6,
        "the header, 4 countries, the totals: {published}"
    );
    for line in &lines[1..] {
        let requests = line.split(',').nth(2).unwrap();
        assert!(
            requests.is_empty() || requests == "0" || requests.parse::<u64>().unwrap() >= 5,
            "{line}"
        );
    }
}

#[actix_web::test]
async fn bad_parameters_are_named() {
    let app = spawn_app().await;
    let res = app
        .get(
            "/api/v1/stats/countries?offence=theft&country=ZZ&sent_from=2026-02-01&sent_to=2026-01-01&as_of=2999-01-01&bucket=year&suppress=maybe&format=xml",
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    let fields = &res.body["error"]["fields"];
    for field in [
        "offence", "country", "sent_to", "as_of", "bucket", "suppress", "format",
    ] {
        assert!(
            fields.get(field).is_some(),
            "{field} not named: {}",
            res.body
        );
    }
}

/// Finding 1 of the disclosure probe stepped `sent_to` and `as_of` one day
/// at a time and left one country out of a list. The published view takes
/// release dates, whole years or quarters and one value per filter: the
/// rest is a 422 naming each parameter and what is allowed.
#[actix_web::test]
async fn the_published_view_answers_releases_not_ad_hoc_queries() {
    let app = spawn_app().await;
    let analyst = app.token_for("analyst").await;
    let latest = mla_tracker::stats::release::latest(common::office_today());
    for (path, query, named) in [
        ("countries", "as_of=2026-05-30".to_string(), vec!["as_of"]),
        (
            "countries",
            format!("as_of={}", common::office_today()),
            vec!["as_of"],
        ),
        (
            "countries",
            "sent_from=2025-01-01&sent_to=2025-06-17".into(),
            vec!["sent_to"],
        ),
        (
            "countries",
            "sent_from=2025-01-02&sent_to=2025-12-31".into(),
            vec!["sent_from"],
        ),
        ("countries", "sent_from=2025-01-01".into(), vec!["sent_to"]),
        (
            "countries",
            "country=FR&country=DE&channel=central_authority&channel=diplomatic".into(),
            vec!["channel", "country"],
        ),
        ("timeline", "bucket=month".into(), vec!["bucket"]),
        (
            "abandonment-reasons",
            "offence=sexual_violence&offence=grooming_sextortion".into(),
            vec!["offence"],
        ),
        (
            "response-curves",
            "legal_basis=eio_directive&legal_basis=bilateral_treaty".into(),
            vec!["legal_basis"],
        ),
    ] {
        let res = app
            .get(&format!("/api/v1/stats/{path}?{query}"), &analyst)
            .await;
        assert_eq!(res.status, 422, "{path}?{query}: {res:?}");
        let fields = res.body["error"]["fields"].as_object().unwrap();
        let mut got: Vec<&str> = fields.keys().map(String::as_str).collect();
        got.sort();
        assert_eq!(got, named, "{path}?{query}: {}", res.body);
        if named == ["as_of"] {
            assert!(
                fields["as_of"][0]
                    .as_str()
                    .unwrap()
                    .contains(&latest.to_string())
            );
        }
    }
    for query in [
        String::new(),
        format!("as_of={latest}"),
        "as_of=2024-02-29&sent_from=2023-10-01&sent_to=2023-12-31".into(),
        "sent_from=2025-01-01&sent_to=2025-12-31&country=FR&offence=sexual_violence".into(),
    ] {
        let res = app
            .get(&format!("/api/v1/stats/countries?{query}"), &analyst)
            .await;
        assert_eq!(res.status, 200, "{query}: {res:?}");
    }
    // The same day-level query stays open for roles that see the cases.
    let res = app
        .get(
            "/api/v1/stats/countries?as_of=2026-05-30&country=FR&country=DE",
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
}

#[actix_web::test]
async fn the_command_line_prints_the_same_table_as_the_api() {
    let app = spawn_app().await;
    portfolio(&app).await;
    let as_of = as_of().to_string();
    // The exact view as of any day; the published one as of the latest
    // release, both sides' default.
    for (flags, query) in [
        (
            vec!["--as-of", as_of.as_str()],
            format!("format=csv&as_of={as_of}"),
        ),
        (vec!["--suppress"], "format=csv&suppress=true".to_string()),
    ] {
        let out = common::serve::bin()
            .env("DATABASE_URL", &app.database_url)
            .args(["stats", "countries", "--format", "csv"])
            .args(&flags)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let api = app
            .get(
                &format!("/api/v1/stats/countries?{query}"),
                &app.admin_token,
            )
            .await;
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            api.body.as_str().unwrap(),
            "{flags:?}"
        );
    }
    // The day before the latest release: never a month end.
    let not_a_release = (mla_tracker::stats::release::latest(common::office_today())
        - chrono::Days::new(1))
    .to_string();
    let out = common::serve::bin()
        .env("DATABASE_URL", &app.database_url)
        .args([
            "stats",
            "countries",
            "--suppress",
            "--as-of",
            &not_a_release,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--as-of: must be a release date"),
        "{stderr}"
    );
}

/// 999 values in a statistics filter made SQLite refuse the query
/// ("Expression tree is too large"): a 500. A list now takes at most 100
/// values (the document's `maxItems`), else a 422 naming the parameter and
/// the limit, on every list filter (they share one extractor); within the
/// limit, a repeated value counts once.
#[actix_web::test]
async fn a_list_filter_takes_at_most_a_hundred_values() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    let countries: Vec<String> = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').map(move |b| format!("{}{}", a as char, b as char)))
        .filter(|c| mla_tracker::domain::CountryCode::parse(c).is_ok())
        .collect();
    assert!(countries.len() > 200, "{countries:?}");
    let all: Vec<&str> = countries.iter().map(String::as_str).collect();
    let repeated = |name: &str, n: usize, values: &[&str]| {
        let pairs: Vec<(&str, &str)> = (0..n).map(|i| (name, values[i % values.len()])).collect();
        query(&pairs)
    };
    for (path, name, values) in [
        ("/api/v1/stats/countries", "country", &all[..]),
        (
            "/api/v1/stats/countries",
            "country",
            &["PH", "DE", "BR"][..],
        ),
        (
            "/api/v1/stats/countries",
            "legal_basis",
            &["untoc", "lanzarote"][..],
        ),
        (
            "/api/v1/stats/timeline",
            "offence",
            &["child_sexual_exploitation"][..],
        ),
        (
            "/api/v1/stats/response-curves",
            "channel",
            &["central_authority"][..],
        ),
        ("/api/v1/requests", "status", &["sent", "draft"][..]),
    ] {
        let res = app
            .get(&format!("{path}?{}", repeated(name, 999, values)), &token)
            .await;
        assert_eq!(res.status, 422, "{path} with 999 {name}: {res:?}");
        assert_eq!(
            res.body["error"]["fields"][name][0], "takes at most 100 values (999 given)",
            "{path}: {res:?}"
        );
        let res = app
            .get(&format!("{path}?{}", repeated(name, 100, values)), &token)
            .await;
        assert_eq!(res.status, 200, "{path} with 100 {name}: {res:?}");
    }
}
