//! The statistics page (`/stats`) over HTTP, against the JSON API on the
//! same seeded register: each table shows the API's figures for the same
//! query and role (the published view's hidden cells where the API's are
//! `null`), each CSV is the API's CSV, each chart is the API's SVG in the
//! reader's language, and refused queries are explained.

use chrono::Datelike;
use mla_tracker::credentials::password;
use mla_tracker::db::users;
use mla_tracker::domain::{AbandonmentReason, CountryCode, Language, RefusalGround};
use mla_tracker::http::web::i18n::Tr;
use mla_tracker::stats::aggregates::Closure;
use serde_json::Value;

use crate::common::{self, TestApp, spawn_app};
use crate::web::{Browser, PASSWORD, Page};

/// The register seeded with a portfolio spread over years and countries:
/// enough for exact figures everywhere and for some hidden cells in the
/// published view.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 800, 7, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    app
}

/// A user of `role` who can both sign in (a password) and call the API (a
/// token): the page and the API then answer the same person.
async fn person(app: &TestApp, role: &str, language: Option<&'static str>) -> (Browser, String) {
    let (user, token) = app.create_user(role).await;
    {
        let mut conn = app.db.blocking_conn().unwrap();
        let id = user["id"].as_str().unwrap().parse().unwrap();
        assert!(users::set_password_hash(&mut conn, id, &password::hash(PASSWORD)).unwrap());
    }
    let mut browser = Browser::new(app);
    browser.accept_language = language;
    let signed_in = browser
        .sign_in(user["email"].as_str().unwrap(), PASSWORD)
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    (browser, token)
}

async fn api(app: &TestApp, path: &str, token: &str) -> common::Resp {
    let res = app.get(&format!("/api/v1/stats/{path}"), token).await;
    assert_eq!(res.status, 200, "{path}: {res:?}");
    res
}

/// The table of the page with id `id`: its column heads, then each row of
/// its body and foot as the texts of its cells (the row's head first).
fn table(page: &Page, id: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let start = page
        .body
        .find(&format!(r#"<table class="stats" id="{id}">"#))
        .unwrap_or_else(|| panic!("no table {id} in {}", page.body));
    let end = start + page.body[start..].find("</table>").unwrap() + "</table>".len();
    let doc = roxmltree::Document::parse(&page.body[start..end]).expect("the table is well formed");
    let cells = |row: roxmltree::Node| -> Vec<String> {
        row.children()
            .filter(|c| c.has_tag_name("th") || c.has_tag_name("td"))
            .map(|c| c.text().unwrap_or_default().to_string())
            .collect()
    };
    let rows_of = |section: &str| -> Vec<Vec<String>> {
        doc.descendants()
            .filter(|n| n.has_tag_name(section))
            .flat_map(|s| s.children().filter(|r| r.has_tag_name("tr")))
            .map(cells)
            .collect()
    };
    let head = rows_of("thead").concat();
    let mut rows = rows_of("tbody");
    rows.extend(rows_of("tfoot"));
    (head, rows)
}

/// A count as the page writes it.
fn count(t: Tr, row: &Value, key: &str) -> String {
    row[key]
        .as_i64()
        .map_or_else(|| "hidden".to_string(), |n| t.number(n))
}

/// A share as the page writes it: hidden when the published view lists
/// it, else not estimable (no request followed that long).
fn share(t: Tr, row: &Value, key: &str) -> String {
    let listed = row["suppressed"]
        .as_array()
        .is_some_and(|s| s.iter().any(|f| f == key));
    match row[key].as_f64() {
        Some(r) => t.percent(r),
        None if listed => "hidden".to_string(),
        None => "not estimable".to_string(),
    }
}

fn median(t: Tr, row: &Value) -> String {
    match (
        row["median_days_to_response"].as_f64(),
        &row["median_response_not_reached"],
    ) {
        (Some(d), _) => t.number(d.round() as i64),
        (None, Value::Bool(true)) => "not reached".to_string(),
        _ => "hidden".to_string(),
    }
}

fn country(t: Tr, row: &Value) -> String {
    t.country(&CountryCode::parse(row["country"].as_str().unwrap()).unwrap())
}

/// `rows` (API rows, then the totals under `total`'s name) as the page
/// should show them, with `cells` for each, sorted as the page sorts
/// countries when `by_name`.
fn expected(
    body: &Value,
    rows_key: &str,
    total: &str,
    by_name: bool,
    label: impl Fn(&Value) -> String,
    cells: impl Fn(&Value) -> Vec<String>,
) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = body[rows_key]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| [vec![label(row)], cells(row)].concat())
        .collect();
    if by_name {
        rows.sort_by_cached_key(|r| mla_tracker::http::web::i18n::collation_key(&r[0]));
    }
    rows.push([vec![total.to_string()], cells(&body["totals"])].concat());
    rows
}

/// How many cells the API hides in a table (rows and totals).
fn nulls(body: &Value, rows_key: &str) -> usize {
    body[rows_key]
        .as_array()
        .unwrap()
        .iter()
        .chain([&body["totals"]])
        .map(|r| r["suppressed"].as_array().map_or(0, Vec::len))
        .sum()
}

fn quarter(bucket: &str) -> String {
    match bucket.split_once("-Q") {
        Some((year, "1")) => format!("1st quarter {year}"),
        Some((year, "2")) => format!("2nd quarter {year}"),
        Some((year, "3")) => format!("3rd quarter {year}"),
        Some((year, "4")) => format!("4th quarter {year}"),
        _ => bucket.to_string(),
    }
}

/// Each of the page's four tables against the API's answer to the same
/// query for the same person; returns how many cells the page hides.
async fn assert_tables_match_the_api(
    app: &TestApp,
    page: &Page,
    token: &str,
    api_query: &str,
    bucket: &str,
) -> usize {
    let t = Tr::new(Language::En);
    let mut hidden_in_api = 0;

    let countries = api(app, &format!("countries?{api_query}"), token)
        .await
        .body;
    let (head, rows) = table(page, "stats-countries-table");
    assert_eq!(
        head,
        [
            "Country",
            "Requests",
            "Answered",
            "Response rate",
            "Median days to an answer",
            "Unanswered after 180 days",
            "Unanswered after 365 days"
        ]
    );
    let want = expected(
        &countries,
        "countries",
        "All countries",
        true,
        |r| country(t, r),
        |r| {
            vec![
                count(t, r, "requests"),
                count(t, r, "answered"),
                share(t, r, "response_rate"),
                median(t, r),
                share(t, r, "share_unanswered_180"),
                share(t, r, "share_unanswered_365"),
            ]
        },
    );
    assert!(want.len() > 5, "a table worth checking: {want:?}");
    assert_eq!(rows, want, "the table by country");
    hidden_in_api += nulls(&countries, "countries");

    for (closure, path, id, sum) in [
        (
            Closure::Abandoned,
            "abandonment-reasons",
            "stats-abandoned-table",
            "All abandoned",
        ),
        (
            Closure::Refused,
            "refusal-grounds",
            "stats-refused-table",
            "All refused",
        ),
    ] {
        let body = api(app, &format!("{path}?{api_query}"), token).await.body;
        let codes = mla_tracker::stats::reasons::reasons(closure);
        let (head, rows) = table(page, id);
        let mut labels: Vec<String> = vec!["Country".into()];
        labels.extend(codes.iter().map(|code| {
            match closure {
                Closure::Abandoned => AbandonmentReason::ALL
                    .iter()
                    .find(|r| r.as_str() == *code)
                    .unwrap()
                    .label(Language::En)
                    .to_string(),
                Closure::Refused => RefusalGround::ALL
                    .iter()
                    .find(|r| r.as_str() == *code)
                    .unwrap()
                    .label(Language::En)
                    .to_string(),
            }
        }));
        labels.push(sum.into());
        assert_eq!(head, labels, "{path}");
        let want = expected(
            &body,
            "countries",
            "All countries",
            true,
            |r| country(t, r),
            |r| {
                codes
                    .iter()
                    .chain([&closure.status()])
                    .map(|c| count(t, r, c))
                    .collect()
            },
        );
        assert!(want.len() > 2, "{path}: {want:?}");
        assert_eq!(rows, want, "{path}");
        hidden_in_api += nulls(&body, "countries");
    }

    let timeline = api(app, &format!("timeline?{api_query}&bucket={bucket}"), token)
        .await
        .body;
    let (head, rows) = table(page, "stats-timeline-table");
    assert_eq!(
        head,
        [
            "Sent in",
            "Sent",
            "Answered",
            "Executed",
            "Refused",
            "Abandoned",
            "Median days to an answer"
        ]
    );
    let want = expected(
        &timeline,
        "buckets",
        "All periods",
        false,
        |r| {
            let label = quarter(r["bucket"].as_str().unwrap());
            if r["complete"] == false {
                format!("{label} (incomplete)")
            } else {
                label
            }
        },
        |r| {
            ["sent", "answered", "executed", "refused", "abandoned"]
                .iter()
                .map(|c| count(t, r, c))
                .chain([median(t, r)])
                .collect()
        },
    );
    assert!(want.len() > 1, "{want:?}");
    assert_eq!(rows, want, "the timeline");
    hidden_in_api += nulls(&timeline, "buckets");
    hidden_in_api
}

#[actix_web::test]
async fn the_office_sees_the_api_s_exact_figures_in_every_table() {
    let app = seeded().await;
    let (mut browser, token) = person(&app, "coordinator", None).await;
    let page = browser
        .get("/stats?period=2025&as_of=&bucket=quarter")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Exact figures"), "{}", page.body);
    let hidden = assert_tables_match_the_api(
        &app,
        &page,
        &token,
        "sent_from=2025-01-01&sent_to=2025-12-31",
        "quarter",
    )
    .await;
    assert_eq!(hidden, 0);
    assert!(!page.body.contains(">hidden<"));
    let (_, timeline) = table(&page, "stats-timeline-table");
    assert_eq!(timeline[0][0], "1st quarter 2025");

    // The whole register, by quarter: still a light page (the charts are
    // fetched apart).
    let all = browser.get("/stats?bucket=quarter").await;
    assert_eq!(all.status, 200);
    assert!(
        all.body.len() < 100_000,
        "the page weighs {} bytes",
        all.body.len()
    );
}

#[actix_web::test]
async fn an_analyst_sees_the_published_view_with_the_api_s_hidden_cells() {
    let app = seeded().await;
    let (mut browser, token) = person(&app, "analyst", None).await;
    let page = browser.get("/stats").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Published view"));
    // The API's published view: the default release, every request sent.
    let hidden_in_api = assert_tables_match_the_api(&app, &page, &token, "", "year").await;
    assert!(
        hidden_in_api > 0,
        "the seeded register should have small counts to hide"
    );
    // Asking the page for exact figures changes nothing for an analyst.
    let asked = browser.get("/stats?suppress=false").await;
    assert_eq!(asked.status, 200);
    assert_eq!(
        table(&asked, "stats-countries-table"),
        table(&page, "stats-countries-table")
    );
    // A year, by quarter, at the release before the latest.
    let release = (common::office_today().with_day(1).unwrap() - chrono::Days::new(1))
        .with_day(1)
        .unwrap()
        - chrono::Days::new(1);
    let page = browser
        .get(&format!(
            "/stats?period=2025&as_of={release}&bucket=quarter"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_tables_match_the_api(
        &app,
        &page,
        &token,
        &format!("sent_from=2025-01-01&sent_to=2025-12-31&as_of={release}"),
        "quarter",
    )
    .await;
}

#[actix_web::test]
async fn each_csv_is_the_api_s_csv_for_the_same_query() {
    let app = seeded().await;
    let (mut browser, token) = person(&app, "admin", None).await;
    let (mut french, _) = person(&app, "admin", Some("fr")).await;
    let today = common::office_today();
    let page = browser.get("/stats?period=2025&bucket=quarter").await;
    for (link, api_path, file) in [
        ("/stats/countries.csv", "countries", "countries"),
        (
            "/stats/reasons.csv?status=abandoned",
            "abandonment-reasons",
            "abandonment-reasons",
        ),
        (
            "/stats/reasons.csv?status=refused",
            "refusal-grounds",
            "refusal-grounds",
        ),
        ("/stats/timeline.csv", "timeline", "timeline"),
    ] {
        // The page links to it with its own query.
        let href = match link.split_once('?') {
            Some((path, first)) => format!("{path}?{first}&#38;period=2025&#38;bucket=quarter"),
            None => format!("{link}?period=2025&#38;bucket=quarter"),
        };
        assert!(
            page.body.contains(&format!(r#"href="{href}""#)),
            "{href} in {}",
            page.body
        );
        let sep = if link.contains('?') { '&' } else { '?' };
        let csv = browser
            .get(&format!("{link}{sep}period=2025&bucket=quarter"))
            .await;
        assert_eq!(csv.status, 200, "{link}: {}", csv.body);
        assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
        assert_eq!(
            csv.header("content-disposition"),
            format!("attachment; filename=\"{file}-{today}.csv\"")
        );
        let bucket = if api_path == "timeline" {
            "&bucket=quarter"
        } else {
            ""
        };
        let from_api = api(
            &app,
            &format!("{api_path}?sent_from=2025-01-01&sent_to=2025-12-31{bucket}&format=csv"),
            &token,
        )
        .await;
        let from_api = from_api.body.as_str().unwrap();
        let lines: Vec<&str> = csv.body.lines().collect();
        assert!(lines.len() > 2, "{link}: {}", csv.body);
        assert_eq!(lines[0], from_api.lines().next().unwrap(), "{link}: header");
        assert!(
            lines.last().unwrap().starts_with(','),
            "{link}: the totals last, without a country or a period: {}",
            lines.last().unwrap()
        );
        assert_eq!(csv.body, from_api, "{link}: the API's rows");
        // The CSV is data, as the API's: the same in a French session.
        let in_french = french
            .get(&format!("{link}{sep}period=2025&bucket=quarter"))
            .await;
        assert_eq!(in_french.body, csv.body, "{link} in French");
    }
    let header = browser.get("/stats/timeline.csv").await.body;
    assert!(
        header.starts_with("bucket,complete,sent,answered,executed,refused,abandoned,"),
        "{header}"
    );
    let header = browser.get("/stats/reasons.csv?status=refused").await.body;
    assert!(header.starts_with("country,country_name,"), "{header}");
    assert!(
        header
            .lines()
            .next()
            .unwrap()
            .ends_with(",refused,suppressed")
    );
    assert_eq!(browser.get("/stats/reasons.csv").await.status, 404);
    assert_eq!(
        browser
            .get("/stats/reasons.csv?status=withdrawn")
            .await
            .status,
        404
    );
}

/// The texts of an SVG document.
fn svg_texts(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("the chart is XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn charts_are_the_api_s_in_the_reader_s_language() {
    let app = seeded().await;
    let (mut english, token) = person(&app, "analyst", None).await;
    let (mut french, _) = person(&app, "analyst", Some("fr")).await;
    let page = english.get("/stats?period=2025").await;
    for (path, alt) in [
        ("response-rates.svg", "Bar chart: the countries ranked by"),
        ("response-curves.svg", "Line chart: the share of requests"),
    ] {
        assert!(
            page.body.contains(&format!(
                r#"<img src="/stats/charts/{path}?period=2025" alt="{alt}"#
            )),
            "{path}: {}",
            page.body
        );
        let chart = english
            .get(&format!("/stats/charts/{path}?period=2025"))
            .await;
        assert_eq!(chart.status, 200, "{}", chart.body);
        assert_eq!(chart.header("content-type"), "image/svg+xml; charset=utf-8");
        let from_api = app
            .get(
                &format!("/api/v1/stats/charts/{path}?sent_from=2025-01-01&sent_to=2025-12-31"),
                &token,
            )
            .await;
        assert_eq!(
            chart.body,
            from_api.body.as_str().unwrap(),
            "{path}: the API's chart"
        );
        assert!(svg_texts(&chart.body).contains("Requests sent 2025-01-01 – 2025-12-31"));
    }

    let rates = french
        .get("/stats/charts/response-rates.svg?period=2025")
        .await;
    assert_eq!(rates.status, 200);
    assert!(rates.header("content-type").starts_with("image/svg+xml"));
    let texts = svg_texts(&rates.body);
    for words in [
        "Demandes toujours sans réponse après un an, par pays",
        "Demandes envoyées du 1er janvier 2025 au 31 décembre 2025",
        "Encore sans réponse 365 jours après l'envoi",
        "Effectifs : demandes ayant reçu une réponse / demandes envoyées.",
        "pays non représenté",
        "(moins de 5 demandes",
    ] {
        assert!(texts.contains(words), "{words} missing from {texts}");
    }
    // Each country drawn, by its French name.
    let table = api(
        &app,
        "countries?sent_from=2025-01-01&sent_to=2025-12-31",
        &token,
    )
    .await
    .body;
    let drawn: Vec<String> = table["countries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["share_unanswered_365"].is_number())
        .map(|r| country(Tr::new(Language::Fr), r))
        .collect();
    assert!(!drawn.is_empty());
    for name in &drawn {
        assert!(
            texts.contains(&format!("{name}  ")),
            "{name} missing from {texts}"
        );
    }
    assert!(!texts.contains("Requests") && !texts.contains("Still unanswered"));

    let curves = french
        .get("/stats/charts/response-curves.svg?period=2025")
        .await;
    assert_eq!(curves.status, 200);
    assert!(curves.header("content-type").starts_with("image/svg+xml"));
    let texts = svg_texts(&curves.body);
    for words in [
        "Délai de première réponse : part des demandes encore sans réponse",
        "Jours depuis l'envoi",
        "Encore sans réponse",
        "Estimation de Kaplan-Meier",
        " demandes)",
    ] {
        assert!(texts.contains(words), "{words} missing from {texts}");
    }
    assert!(!texts.contains("Days since sending") && !texts.contains(" requests)"));

    // Signed out: to the sign-in page, as every page.
    let mut stranger = Browser::new(&app);
    let res = stranger.get("/stats/charts/response-rates.svg").await;
    assert_eq!(res.status, 303);
    assert!(res.location().starts_with("/login"), "{}", res.location());
}

#[actix_web::test]
async fn refused_queries_are_explained_and_download_nothing() {
    let app = spawn_app().await;
    let (mut french, _) = person(&app, "analyst", Some("fr")).await;
    let page = french.get("/stats?bucket=month").await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body
            .contains("Chronologie par — Choisissez des années ou des trimestres."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("stats-countries-table"));
    assert!(!page.body.contains("/stats/charts/"));
    let refused = french.get("/stats?period=2025-07").await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Choisissez une année ou un trimestre entier"),
        "{}",
        refused.body
    );
    for path in [
        "/stats/countries.csv",
        "/stats/reasons.csv?status=refused&",
        "/stats/timeline.csv",
        "/stats/charts/response-rates.svg",
        "/stats/charts/response-curves.svg",
    ] {
        let sep = if path.ends_with('&') { "" } else { "?" };
        let res = french.get(&format!("{path}{sep}bucket=month")).await;
        assert_eq!(res.status, 404, "{path}");
    }
    // A bucket of months is the office's to ask for, in the exact view.
    let (mut office, _) = person(&app, "coordinator", None).await;
    assert_eq!(office.get("/stats?bucket=month").await.status, 200);
}

#[actix_web::test]
async fn the_page_offers_the_report_in_the_reader_s_language() {
    let app = seeded().await;
    let (mut browser, _) = person(&app, "coordinator", Some("fr")).await;
    let page = browser.get("/stats?period=2025").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(r#"href="/stats/report.pdf?period=2025""#),
        "{}",
        page.body
    );
    let html = browser.get("/stats/report.html?period=2025").await;
    assert_eq!(html.status, 200);
    assert_eq!(html.header("content-type"), "text/html; charset=utf-8");
    assert!(html.body.contains("Comment lire ces chiffres"), "in French");
    assert!(
        html.body
            .contains("Demandes envoyées du 1er janvier 2025 au 31 décembre 2025"),
        "the page's period"
    );
    let pdf = browser.get("/stats/report.pdf?period=2025").await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    // The report is the published view: it takes no day that is no release.
    let refused = browser.get("/stats/report.html?as_of=2025-03-15").await;
    assert_eq!(refused.status, 404);
    // Signed out, no report.
    let mut stranger = Browser::new(&app);
    assert_eq!(stranger.get("/stats/report.pdf").await.status, 303);
}

/// Without a browser to print it, a PDF report is refused naming what is
/// missing and what works instead — on the page and in the API — never as a
/// database outage.
#[actix_web::test]
async fn without_chromium_the_pdf_is_refused_saying_so() {
    let app = common::spawn_app_with(|settings| {
        settings.stats.pdf_browser = Some("/nonexistent/chromium".into());
    })
    .await;
    let (mut browser, token) = person(&app, "coordinator", Some("fr")).await;
    let page = browser.get("/stats/report.pdf").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("il lui faut Chromium"), "{}", page.body);
    assert!(!page.body.contains("base de données"), "{}", page.body);
    assert_eq!(browser.get("/stats/report.html").await.status, 200);
    let api = app.get("/api/v1/stats/report?format=pdf", &token).await;
    assert_eq!(api.status, 503, "{api:?}");
    assert_eq!(api.body["error"]["code"], "pdf_unavailable", "{api:?}");
}
