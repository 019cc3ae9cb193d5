//! What the published view costs in accuracy, measured on the demo data
//! (`mla-tracker seed --requests 3000`, seed 42, on 15 June 2026) and
//! written in docs/DISCLOSURE.md: for the country table, the timeline and
//! the abandonment reasons as of the release of 31 May 2026, how many
//! counts the perturbation changed and by how much, how many are hidden,
//! and how far the medians, shares and rates moved; then the published
//! table beside the exact one for the largest countries.
//!
//! The figures are computed here, through the API (exact as admin, the
//! published view with `suppress=true`), and compared with the document's
//! block between `<!-- utility:begin -->` and `<!-- utility:end -->`:
//! `UPDATE_DOCS=1` rewrites the block from this run. The demo's record keys
//! come from the seed, so the figures are the same on every run and both
//! backends.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::spawn_app_with;
use mla_tracker::stats::aggregates::{BucketCounts, CountryCounts};

/// The day the demo is seeded and read, whatever the suite's clock: the
/// documented figures are this day's.
const NOW: &str = "2026-06-15T10:00:00Z";
const RELEASE: &str = "2026-05-31";
const BEGIN: &str = "<!-- utility:begin -->";
const END: &str = "<!-- utility:end -->";

/// Exact and published rows (the totals last), matched by position.
struct Pair {
    exact: Vec<Value>,
    published: Vec<Value>,
}

impl Pair {
    fn of(exact: &Value, published: &Value, rows_key: &str) -> Pair {
        let rows = |body: &Value| {
            let mut rows: Vec<Value> = body[rows_key].as_array().unwrap().clone();
            rows.push(body["totals"].clone());
            rows
        };
        let pair = Pair {
            exact: rows(exact),
            published: rows(published),
        };
        assert_eq!(pair.exact.len(), pair.published.len());
        pair
    }

    /// The count cells: (exact, published or `None` when hidden).
    fn cells(&self, counts: &[&str]) -> Vec<(i64, Option<i64>)> {
        self.exact
            .iter()
            .zip(&self.published)
            .flat_map(|(e, p)| {
                counts
                    .iter()
                    .map(move |c| (e[*c].as_i64().expect("an exact count"), p[*c].as_i64()))
            })
            .collect()
    }

    /// A figure's (exact, published) where both are given.
    fn figures(&self, field: &str) -> Vec<(f64, f64)> {
        self.exact
            .iter()
            .zip(&self.published)
            .filter_map(|(e, p)| Some((e[field].as_f64()?, p[field].as_f64()?)))
            .collect()
    }
}

/// One line of the counts' summary.
fn counts_line(table: &str, cells: &[(i64, Option<i64>)]) -> String {
    let shown: Vec<(i64, i64)> = cells
        .iter()
        .filter_map(|(e, p)| Some((*e, (*p)?)))
        .collect();
    let changed = shown.iter().filter(|(e, p)| e != p).count();
    let hidden = cells.len() - shown.len();
    let mean_change =
        shown.iter().map(|(e, p)| (e - p).abs()).sum::<i64>() as f64 / shown.len() as f64;
    let max_change = shown.iter().map(|(e, p)| (e - p).abs()).max().unwrap_or(0);
    let percent = |n: usize| 100.0 * n as f64 / cells.len() as f64;
    format!(
        "| {table} | {} | {:.0} % | {:.0} % | {mean_change:.2} | {max_change} |",
        cells.len(),
        percent(changed),
        percent(hidden),
    )
}

/// One line of the derived figures' summary; `scale` turns a share into
/// percentage points.
fn figures_line(name: &str, unit: &str, scale: f64, pairs: &[(f64, f64)]) -> String {
    let diffs: Vec<f64> = pairs.iter().map(|(e, p)| ((e - p) * scale).abs()).collect();
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let mut sorted = diffs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let max = sorted.last().copied().unwrap_or(0.0);
    format!(
        "| {name} | {} | {mean:.1} {unit} | {median:.1} {unit} | {max:.1} {unit} |",
        pairs.len()
    )
}

fn cell(v: &Value, percent: bool) -> String {
    match v {
        Value::Null => "–".into(),
        v if percent => format!("{:.0} %", v.as_f64().unwrap() * 100.0),
        v => v.to_string(),
    }
}

#[actix_web::test]
async fn the_documented_utility_figures_are_measured() {
    let clock = mla_tracker::domain::Clock::Pinned(NOW.parse().expect("an instant"));
    let present = clock.today(chrono_tz::Europe::Paris);
    let app = spawn_app_with(|s| s.clock = clock).await;
    app.db
        .write(move |conn| {
            mla_tracker::seed::run(conn, 3000, 42, present).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    let get = |path: String| {
        let app = &app;
        async move {
            let res = app.get(&path, &app.admin_token).await;
            assert_eq!(res.status, 200, "{path}: {res:?}");
            res.body
        }
    };
    let both = |table: &'static str, extra: &'static str| {
        let get = &get;
        async move {
            let exact = get(format!("/api/v1/stats/{table}?as_of={RELEASE}{extra}")).await;
            let published = get(format!(
                "/api/v1/stats/{table}?as_of={RELEASE}{extra}&suppress=true"
            ))
            .await;
            assert_eq!(published["suppression"]["applied"], true);
            (exact, published)
        }
    };
    let (countries_exact, countries_published) = both("countries", "").await;
    let countries = Pair::of(&countries_exact, &countries_published, "countries");
    let (timeline_exact, timeline_published) = both("timeline", "&bucket=quarter").await;
    let timeline = Pair::of(&timeline_exact, &timeline_published, "buckets");
    let (reasons_exact, reasons_published) = both("abandonment-reasons", "").await;
    let reasons = Pair::of(&reasons_exact, &reasons_published, "countries");
    let reason_columns: Vec<String> = reasons_exact["totals"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "suppressed")
        .cloned()
        .collect();
    let reason_columns: Vec<&str> = reason_columns.iter().map(String::as_str).collect();

    let mut out = String::new();
    out += &format!(
        "Measured by `tests/api/disclosure_utility.rs` on the demo data (3,000 requests, \
         seed 42, seeded on 2026-06-15), as of the release of {RELEASE}.\n\n"
    );
    out += "| table | count cells | changed | hidden | mean change of a shown count | largest change |\n";
    out += "|---|---:|---:|---:|---:|---:|\n";
    out += &counts_line(
        "countries (35 countries and the totals)",
        &countries.cells(&CountryCounts::FIELDS),
    );
    out += "\n";
    out += &counts_line(
        "timeline by quarter",
        &timeline.cells(&BucketCounts::FIELDS),
    );
    out += "\n";
    out += &counts_line("abandonment reasons", &reasons.cells(&reason_columns));
    out += "\n\n";
    out += "| figure (country table and totals) | rows published | mean change | median change | largest change |\n";
    out += "|---|---:|---:|---:|---:|\n";
    for (name, field, unit, scale) in [
        (
            "median days to a first response",
            "median_days_to_response",
            "days",
            1.0,
        ),
        (
            "median days to execution",
            "median_days_to_execution",
            "days",
            1.0,
        ),
        (
            "share unanswered after 180 days",
            "share_unanswered_180",
            "pt",
            100.0,
        ),
        (
            "share unanswered after 365 days",
            "share_unanswered_365",
            "pt",
            100.0,
        ),
        ("response rate", "response_rate", "pt", 100.0),
    ] {
        out += &figures_line(name, unit, scale, &countries.figures(field));
        out += "\n";
    }
    out += "\nThe eight countries with most requests, exact → published (– hidden):\n\n";
    out += "| country | requests | answered | abandoned | median days to a first response | unanswered after 365 days |\n";
    out += "|---|---:|---:|---:|---:|---:|\n";
    let mut order: Vec<usize> = (0..countries.exact.len() - 1).collect();
    order.sort_by_key(|&i| {
        (
            -countries.exact[i]["requests"].as_i64().unwrap(),
            countries.exact[i]["country"].as_str().unwrap().to_string(),
        )
    });
    for i in order.into_iter().take(8).chain([countries.exact.len() - 1]) {
        let (e, p) = (&countries.exact[i], &countries.published[i]);
        let pair = |field: &str, percent: bool| {
            format!(
                "{} → {}",
                cell(&e[field], percent),
                cell(&p[field], percent)
            )
        };
        out += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            e["country_name"].as_str().unwrap_or("All countries"),
            pair("requests", false),
            pair("answered", false),
            pair("abandoned", false),
            pair("median_days_to_response", false),
            pair("share_unanswered_365", true),
        );
    }

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/DISCLOSURE.md");
    let doc = std::fs::read_to_string(&path).expect("docs/DISCLOSURE.md");
    let (start, end) = (
        doc.find(BEGIN).expect("the utility block's start marker") + BEGIN.len(),
        doc.find(END).expect("the utility block's end marker"),
    );
    let documented = doc[start..end].trim();
    if std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1") {
        let updated = format!("{}\n{}\n{}", &doc[..start], out.trim(), &doc[end..]);
        std::fs::write(&path, updated).unwrap();
    } else {
        assert_eq!(
            documented,
            out.trim(),
            "docs/DISCLOSURE.md's figures are not this run's: review, then UPDATE_DOCS=1"
        );
    }
}
