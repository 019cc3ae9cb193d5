//! `GET /api/v1/stats/report` and `mla-tracker report` (docs/DOMAIN.md
//! §8.5): the PDF printed by a real Chromium, read back with poppler's
//! `pdftotext`, carries the numbers the published tables of the API give
//! for the same parameters, in English and in French; whoever asks gets the
//! published view; the parameters obey the release rules.

use std::process::Command;

use crate::common::{self, TestApp, serve, spawn_app};
use mla_tracker::domain::{CountryCode, Language};
use serde_json::Value;

async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 1500, 7, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    app
}

/// GET `path` as raw bytes: status, content type, body.
async fn get_bytes(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let mut res = awc::Client::default()
        .get(format!("{}{path}", app.address))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .timeout(std::time::Duration::from_secs(180))
        .send()
        .await
        .expect("the server answers");
    let body = res.body().limit(64 << 20).await.expect("a body").to_vec();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (res.status().as_u16(), content_type, body)
}

/// The text of a PDF, laid out as on the page (`pdftotext -layout`), its
/// no-break spaces made plain.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("mla-report-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed: scripts/test installs it");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    plain(&String::from_utf8(out.stdout).expect("UTF-8 text"))
}

/// Spaces of any width as one plain space, and none before `%`: the
/// text layout may or may not keep the thin space of `42 %`.
fn plain(text: &str) -> String {
    text.replace(['\u{202f}', '\u{a0}'], " ").replace(" %", "%")
}

/// A count as the report writes it.
fn count(row: &Value, key: &str, language: Language, words: (&str, &str)) -> String {
    match row[key].as_i64() {
        Some(n) => language.number(n),
        None if listed(row, key) => words.0.to_string(),
        None => words.1.to_string(),
    }
}

fn listed(row: &Value, key: &str) -> bool {
    row["suppressed"]
        .as_array()
        .is_some_and(|s| s.iter().any(|f| f == key))
}

/// `14 % (7–24)`: a share and its interval, in whole percents.
fn share(row: &Value, key: &str, words: (&str, &str)) -> String {
    let Some(value) = row[key].as_f64() else {
        return if listed(row, key) { words.0 } else { words.1 }.to_string();
    };
    let ci = &row[format!("{key}_ci")];
    match (ci[0].as_f64(), ci[1].as_f64()) {
        (Some(low), Some(high)) => format!(
            "{:.0} % ({}–{})",
            value * 100.0,
            (low * 100.0).round(),
            (high * 100.0).round()
        ),
        _ => format!("{:.0} %", value * 100.0),
    }
}

/// `65 (30–88)`, `not reached (30–…)`: a median in days and its interval.
fn median(
    row: &Value,
    key: &str,
    not_reached: &str,
    language: Language,
    words: (&str, &str, &str),
) -> String {
    let value = match (row[key].as_i64(), &row[not_reached]) {
        (Some(days), _) => language.number(days),
        (None, Value::Bool(true)) => words.2.to_string(),
        _ => return if listed(row, key) { words.0 } else { words.1 }.to_string(),
    };
    let ci = &row[format!("{key}_ci")];
    let end = |v: &Value| v.as_i64().map_or("…".to_string(), |d| language.number(d));
    match ci.as_array() {
        Some(ends) if !(ends[0].is_null() && ends[1].is_null()) => {
            format!("{value} ({}–{})", end(&ends[0]), end(&ends[1]))
        }
        _ => value,
    }
}

/// The cells of the three clocks' table for one API row, as the report
/// should print them.
fn clock_cells(row: &Value, language: Language) -> Vec<String> {
    let (hidden, not_estimable, not_reached) = match language {
        Language::En => ("hidden", "not estimable", "not reached"),
        Language::Fr => ("masqué", "non estimable", "non atteinte"),
    };
    let words = (hidden, not_estimable);
    let median_words = (hidden, not_estimable, not_reached);
    vec![
        count(row, "requests", language, words),
        share(row, "response_rate", words),
        median(
            row,
            "median_days_to_acknowledgement",
            "median_acknowledgement_not_reached",
            language,
            median_words,
        ),
        median(
            row,
            "median_days_to_response",
            "median_response_not_reached",
            language,
            median_words,
        ),
        share(row, "share_unanswered_90", words),
        share(row, "share_unanswered_365", words),
        median(
            row,
            "median_days_to_execution",
            "median_execution_not_reached",
            language,
            median_words,
        ),
    ]
    .into_iter()
    .map(|cell| plain(&cell))
    .collect()
}

/// The cells of the official figures' table: requests, answered, the
/// share answered (no interval), the mean days over the answered only.
fn official_cells(row: &Value, language: Language) -> Vec<String> {
    let words = match language {
        Language::En => ("hidden", "not estimable"),
        Language::Fr => ("masqué", "non estimable"),
    };
    let rate = match row["response_rate"].as_f64() {
        Some(r) => format!("{:.0} %", r * 100.0),
        None => count(row, "response_rate", language, words),
    };
    let mean = match row["mean_days_to_response_among_answered"].as_f64() {
        Some(d) => language.number(d.round() as i64),
        None => count(row, "mean_days_to_response_among_answered", language, words),
    };
    vec![
        count(row, "requests", language, words),
        count(row, "answered", language, words),
        rate,
        mean,
    ]
    .into_iter()
    .map(|cell| plain(&cell))
    .collect()
}

/// The chasing table's cells: the counts, the median, the share.
fn chasing_cells(row: &Value, language: Language) -> Vec<String> {
    let words = match language {
        Language::En => ("hidden", "not estimable"),
        Language::Fr => ("masqué", "non estimable"),
    };
    [
        count(row, "abandoned_no_response", language, words),
        count(row, "followed_up", language, words),
        count(row, "chased_twice", language, words),
        count(row, "median_follow_ups", language, words),
        share(row, "share_chased_twice", words),
    ]
    .iter()
    .map(|c| plain(c))
    .collect()
}

/// The victims table's cells.
fn victims_cells(row: &Value, language: Language) -> Vec<String> {
    let words = match language {
        Language::En => ("hidden", "not estimable"),
        Language::Fr => ("masqué", "non estimable"),
    };
    [
        count(row, "cases", language, words),
        count(row, "cases_with_victims_identified", language, words),
        share(row, "share", words),
    ]
    .iter()
    .map(|c| plain(c))
    .collect()
}

/// Whether `line` holds `cells` in this order, each a whole cell (with
/// spaces around it).
fn holds_in_order(line: &str, cells: &[String]) -> bool {
    let mut rest = format!(" {line} ");
    for cell in cells {
        match rest.find(&format!(" {cell} ")) {
            Some(at) => rest = rest[at + 1 + cell.len()..].to_string(),
            None => return false,
        }
    }
    true
}

#[actix_web::test]
async fn the_pdf_carries_the_api_s_published_numbers_in_english_and_french() {
    let app = seeded().await;
    let analyst = app.token_for("analyst").await;
    let table = app.get("/api/v1/stats/countries", &analyst).await;
    assert_eq!(table.status, 200, "{table:?}");
    assert_eq!(table.body["suppression"]["applied"], true);
    let cohorts = app
        .get("/api/v1/stats/cohorts?bucket=year&horizon=365", &analyst)
        .await;
    assert_eq!(cohorts.status, 200, "{cohorts:?}");
    let chasing = app.get("/api/v1/stats/chasing", &analyst).await;
    let victims = app.get("/api/v1/stats/victims", &analyst).await;
    assert_eq!((chasing.status, victims.status), (200, 200));
    for language in [Language::En, Language::Fr] {
        let (status, content_type, pdf) = get_bytes(
            &app,
            &format!("/api/v1/stats/report?format=pdf&lang={}", language.code()),
            &analyst,
        )
        .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
        assert_eq!(content_type, "application/pdf");
        assert!(pdf.starts_with(b"%PDF-"), "a PDF");
        let text = pdf_text(&pdf);
        let (clocks, official, outcomes) = match language {
            Language::En => (
                "Three clocks, and the requests still unanswered",
                "The figures official reports use",
                "Where the requests stand",
            ),
            Language::Fr => (
                "Trois délais, et les demandes encore sans réponse",
                "Les chiffres des rapports officiels",
                "Où en sont les demandes",
            ),
        };
        let section = |from: &str, to: &str| -> Vec<String> {
            let start = text.find(from).unwrap_or_else(|| panic!("{from}:\n{text}"));
            let end = start + text[start..].find(to).unwrap_or_else(|| panic!("{to}"));
            text[start..end].lines().map(str::to_string).collect()
        };
        let (chased, cases, abandoned) = match language {
            Language::En => (
                "Were they chased?",
                "The cases behind the requests",
                "Why requests were abandoned",
            ),
            Language::Fr => (
                "Ont-elles été relancées ?",
                "Les affaires derrière les demandes",
                "Pourquoi des demandes ont été abandonnées",
            ),
        };
        for (name, lines, api, cells_of, at_least) in [
            (
                "clocks",
                section(clocks, official),
                &table.body,
                clock_cells as fn(&Value, Language) -> Vec<String>,
                20,
            ),
            (
                "official",
                section(official, outcomes),
                &table.body,
                official_cells,
                20,
            ),
            (
                "chasing",
                section(chased, cases),
                &chasing.body,
                chasing_cells,
                5,
            ),
            (
                "victims",
                section(cases, abandoned),
                &victims.body,
                victims_cells,
                20,
            ),
        ] {
            let mut checked = 0;
            for row in api["countries"].as_array().unwrap() {
                let country = CountryCode::parse(row["country"].as_str().unwrap())
                    .unwrap()
                    .name_in(language);
                // A name too long for its column wraps, and is left out.
                let Some(line) = lines
                    .iter()
                    .find(|l| l.trim_start().starts_with(&format!("{country} ")))
                else {
                    continue;
                };
                let cells = cells_of(row, language);
                assert!(
                    holds_in_order(line, &cells),
                    "{language:?} {name} {country}: {cells:?} not in\n{line}"
                );
                checked += 1;
            }
            assert!(
                checked >= at_least,
                "{language:?} {name}: only {checked} rows checked:\n{text}"
            );
        }
        // The cohorts: the share answered within a year, per year.
        let cohorts_heading = match language {
            Language::En => "Year by year: answered within a year",
            Language::Fr => "Année par année : réponse dans l'année",
        };
        let lines_of_cohorts = section(cohorts_heading, outcomes);
        let words = match language {
            Language::En => ("hidden", "not estimable"),
            Language::Fr => ("masqué", "non estimable"),
        };
        let mut years = 0;
        for row in cohorts.body["cohorts"].as_array().unwrap() {
            let label = row["cohort"].as_str().unwrap();
            let share = match (
                row["share"].as_f64(),
                row["ci_low"].as_f64(),
                row["ci_high"].as_f64(),
            ) {
                (Some(s), Some(low), Some(high)) => format!(
                    "{:.0} % ({}–{})",
                    s * 100.0,
                    (low * 100.0).round(),
                    (high * 100.0).round()
                ),
                _ => count(row, "share", language, words),
            };
            let cells: Vec<String> = [
                count(row, "sent", language, words),
                count(row, "answered_within", language, words),
                share,
            ]
            .iter()
            .map(|c| plain(c))
            .collect();
            let line = lines_of_cohorts
                .iter()
                .find(|l| l.trim_start().starts_with(&format!("{label} ")))
                .unwrap_or_else(|| panic!("{language:?}: no line for {label}:\n{text}"));
            assert!(
                holds_in_order(line, &cells),
                "{language:?} {label}: {cells:?} not in\n{line}"
            );
            years += 1;
        }
        assert!(years >= 5, "{years} years");
        let lines: Vec<&str> = text.lines().collect();
        // The totals, and the period on the pages.
        let totals = clock_cells(&table.body["totals"], language);
        let all = match language {
            Language::En => "All countries",
            Language::Fr => "Tous pays",
        };
        assert!(
            lines
                .iter()
                .any(|l| l.trim_start().starts_with(all) && holds_in_order(l, &totals)),
            "{language:?} totals {totals:?}:\n{text}"
        );
        let as_of = table.body["as_of"].as_str().unwrap();
        let period = match language {
            Language::En => format!("All requests sent, as of {as_of}"),
            Language::Fr => {
                let date: chrono::NaiveDate = as_of.parse().unwrap();
                format!("chiffres au {}", plain(&Language::Fr.date(&date)))
            }
        };
        let pages = text.split('\u{c}').filter(|p| !p.trim().is_empty()).count();
        let with_period = text.split('\u{c}').filter(|p| p.contains(&period)).count();
        assert!(pages >= 4, "{pages} pages");
        assert_eq!(
            with_period, pages,
            "the period on every page: {period}\n{text}"
        );
        // Every word in the report's language.
        let (method, not_in) = match language {
            Language::En => ("How to read these figures", "Comment lire"),
            Language::Fr => ("Comment lire ces chiffres", "How to read"),
        };
        assert!(text.contains(method), "{text}");
        // The annex: the demo portfolio has no European Production Order.
        let annex = match language {
            Language::En => {
                "No order was recorded under the e-Evidence Regulation for this period."
            }
            Language::Fr => "Aucune injonction n'a été émise au titre du règlement sur les preuves",
        };
        assert!(text.contains(annex), "{text}");
        assert!(!text.contains(not_in), "{text}");
    }
}

#[actix_web::test]
async fn whoever_asks_gets_the_published_view_as_one_html_page() {
    let app = seeded().await;
    let analyst = app.token_for("analyst").await;
    let (status, content_type, for_analyst) =
        get_bytes(&app, "/api/v1/stats/report?format=html&lang=fr", &analyst).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    let (_, _, for_admin) = get_bytes(
        &app,
        "/api/v1/stats/report?format=html&lang=fr",
        &app.admin_token,
    )
    .await;
    assert_eq!(
        for_admin, for_analyst,
        "the same published report for everyone"
    );
    let html = String::from_utf8(for_analyst).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#"<html lang="fr">"#));
    // Self-contained: no script, nothing fetched.
    for outside in ["<script", "src=\"http", "href=\"http", "<link"] {
        assert!(!html.contains(outside), "{outside}");
    }
    assert!(html.contains("<svg"), "the charts inline");
    // Regions on request.
    let (status, _, by_region) = get_bytes(
        &app,
        "/api/v1/stats/report?format=html&lang=en&group=region",
        &analyst,
    )
    .await;
    assert_eq!(status, 200);
    let by_region = String::from_utf8(by_region).unwrap();
    assert!(by_region.contains("Region (UN M49)") && by_region.contains(">Europe<"));
}

#[actix_web::test]
async fn report_parameters_follow_the_release_rules_and_name_what_is_wrong() {
    let app = spawn_app().await;
    for (query, field) in [
        ("lang=de", "lang"),
        ("format=docx", "format"),
        ("as_of=2026-03-15", "as_of"),
        ("sent_from=2025-01-01&sent_to=2025-05-31", "sent_to"),
        ("group=continent", "group"),
        ("country=FR&country=DE", "country"),
    ] {
        let res = app
            .get(&format!("/api/v1/stats/report?{query}"), &app.admin_token)
            .await;
        assert_eq!(res.status, 422, "{query}: {res:?}");
        assert!(
            res.body["error"]["fields"][field].is_array(),
            "{query}: {res:?}"
        );
    }
}

#[test]
fn the_command_line_writes_the_report_and_refuses_a_day_that_is_no_release() {
    let dir = serve::scratch_dir("mla-report-cli");
    let url = format!("sqlite://{}", dir.join("mla.db").display());
    let run = |args: &[&str]| serve::mla(&dir, &url).args(args).output().unwrap();
    assert!(run(&["migrate"]).status.success());
    assert!(run(&["seed", "--requests", "200"]).status.success());
    let out = dir.join("report.html");
    let done = run(&[
        "report",
        "--format",
        "html",
        "--lang",
        "fr",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(done.status.success(), "{done:?}");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(stderr.contains("wrote "), "{stderr}");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("Comment lire ces chiffres"));

    let refused = run(&["report", "--as-of", "2026-03-15", "--out", "x.pdf"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--as-of: must be a release date"),
        "{stderr}"
    );
    assert!(!dir.join("x.pdf").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
