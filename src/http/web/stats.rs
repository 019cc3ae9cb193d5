//! `/stats`: the cooperation statistics as the API gives them — the table
//! by country with its two charts, why requests ended (abandonment reasons,
//! refusal grounds) and the timeline by period of sending — each with its
//! CSV. The published view for analysts (and whoever asks for it), exact
//! figures for the office, exactly as the API decides. Every address of the
//! page takes the same query (the API's statistics parameters, the form's
//! `period`, and the timeline's `bucket`), so one query string serves the
//! page, its downloads and its charts.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;

use super::choice::Choice;
use super::error::WebError;
use super::i18n::Tr;
use super::layout::Chrome;
use super::session::SignedIn;
use crate::domain::{AbandonmentReason, CountryCode, Language, RefusalGround, Role};
use crate::http::api::stats::{StatsFilters, TimelineBucket};
use crate::http::auth::ReadStats;
use crate::http::error::ApiError;
use crate::http::params::{self, ParamGroup, QueryParams};
use crate::http::state::AppState;
use crate::services::Services;
use crate::services::stats::View;
use crate::stats::aggregates::{Bucket, Closure, Population};
use crate::stats::regions::Grouping;
use crate::stats::{ShownRow, ShownTable, countries, reasons, timeline};
use chrono::{Datelike, Months, NaiveDate};

/// One country's line, in words.
pub struct Line {
    pub country: String,
    pub requests: String,
    pub answered: String,
    pub response_rate: String,
    pub median_days: String,
    pub unanswered_180: String,
    pub unanswered_365: String,
}

/// A table of reasons (abandonment or refusal) in words: a column per
/// reason of the vocabulary, then their sum.
pub struct ReasonsTable {
    /// `abandoned` or `refused`: the HTML ids and the CSV's `status`.
    pub status: &'static str,
    pub caption: &'static str,
    pub csv_label: &'static str,
    pub csv_link: String,
    pub empty: &'static str,
    /// The reasons' labels, then the sum's.
    pub heads: Vec<&'static str>,
    pub lines: Vec<ReasonLine>,
    pub total: ReasonLine,
}

pub struct ReasonLine {
    pub country: String,
    /// One per head.
    pub cells: Vec<String>,
}

/// One period of sending, in words.
pub struct PeriodLine {
    pub period: String,
    pub sent: String,
    pub answered: String,
    pub executed: String,
    pub refused: String,
    pub abandoned: String,
    pub median_days: String,
}

/// What the page shows once its query is accepted.
struct Figures {
    as_of: String,
    countries_csv: String,
    report_pdf: String,
    report_html: String,
    lines: Vec<Line>,
    total: Line,
    rates_chart: String,
    curves_chart: String,
    reasons: [ReasonsTable; 2],
    timeline_csv: String,
    periods: Vec<PeriodLine>,
    periods_total: PeriodLine,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    chrome: Chrome,
    /// The period, release and timeline choices, the current ones selected.
    periods: Vec<Choice>,
    releases: Vec<Choice>,
    buckets: Vec<Choice>,
    published: bool,
    /// What to change, when the query was refused: (filter, what to do).
    errors: Vec<(&'static str, &'static str)>,
    figures: Option<Figures>,
}

/// The form's `period` (`2025`, `2025-Q2`) as the API's `sent_from` and
/// `sent_to`: whole years and quarters, the periods the published view
/// allows.
fn period_bounds(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, quarter) = match period.split_once("-Q") {
        Some((y, q)) => (
            y.parse::<i32>().ok()?,
            Some(q.parse::<u32>().ok().filter(|q| (1..=4).contains(q))?),
        ),
        None => (period.parse::<i32>().ok()?, None),
    };
    let (first, months) = match quarter {
        Some(q) => ((q - 1) * 3 + 1, 3),
        None => (1, 12),
    };
    let from = NaiveDate::from_ymd_opt(year, first, 1)?;
    let to = (from + Months::new(months)).pred_opt()?;
    Some((from, to))
}

/// The page's query as the API's: `period` becomes `sent_from` and
/// `sent_to`; empty fields are left out.
fn api_query(raw: &str) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        if value.trim().is_empty() {
            continue;
        }
        match (key.as_ref(), period_bounds(&value)) {
            ("period", Some((from, to))) => {
                out.append_pair("sent_from", &from.to_string());
                out.append_pair("sent_to", &to.to_string());
            }
            _ => {
                out.append_pair(&key, &value);
            }
        }
    }
    out.finish()
}

/// Years back to the oldest a report would cover, and the last eight
/// quarters, newest first.
fn period_choices(t: Tr, today: NaiveDate, chosen: &str) -> Vec<Choice> {
    let mut values: Vec<(String, String)> =
        vec![(String::new(), t.stats_all_periods().to_string())];
    let year = today.year();
    for back in 0..8 {
        let quarter_start = NaiveDate::from_ymd_opt(year, (today.month0() / 3) * 3 + 1, 1)
            .map(|d| d - Months::new(3 * back))
            .expect("a quarter's first day");
        let q = quarter_start.month0() / 3 + 1;
        values.push((
            format!("{}-Q{q}", quarter_start.year()),
            format!("{} {} {}", ordinal(t, q), t.quarter(), quarter_start.year()),
        ));
    }
    for y in (year - 15..=year).rev() {
        values.push((y.to_string(), y.to_string()));
    }
    values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == chosen,
            value,
            label,
        })
        .collect()
}

fn ordinal(t: Tr, n: u32) -> String {
    match (t.language, n) {
        (crate::domain::Language::En, 1) => "1st".into(),
        (crate::domain::Language::En, 2) => "2nd".into(),
        (crate::domain::Language::En, 3) => "3rd".into(),
        (crate::domain::Language::En, n) => format!("{n}th"),
        (crate::domain::Language::Fr, 1) => "1er".into(),
        (crate::domain::Language::Fr, n) => format!("{n}e"),
    }
}

/// The default date of the figures (the latest release in the published
/// view, today in the exact one), then the last 24 release dates (ends of
/// past months), newest first.
fn release_choices(t: Tr, today: NaiveDate, published: bool, chosen: &str) -> Vec<Choice> {
    let default = crate::stats::release::default_as_of(published, today);
    let mut all = vec![Choice {
        value: String::new(),
        label: t.date(&default),
        selected: chosen.is_empty(),
    }];
    let mut release = crate::stats::release::latest(today);
    if published {
        release = release
            .with_day(1)
            .and_then(|d| d.pred_opt())
            .expect("an earlier month");
    }
    for _ in 0..24 {
        all.push(Choice {
            value: release.to_string(),
            label: t.date(&release),
            selected: release.to_string() == chosen,
        });
        release = release
            .with_day(1)
            .and_then(|d| d.pred_opt())
            .expect("an earlier month");
    }
    all
}

/// The timeline's choices: by year (the default) or by quarter, the two the
/// published view allows.
fn bucket_choices(t: Tr, chosen: &str) -> Vec<Choice> {
    [
        ("", t.stats_bucket_year()),
        ("quarter", t.stats_bucket_quarter()),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        selected: value == chosen || (value.is_empty() && chosen == "year"),
        value: value.to_string(),
        label: label.to_string(),
    })
    .collect()
}

/// No parameter beyond the page's.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct NoMore {}

impl ParamGroup for NoMore {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";
}

/// Which table of reasons a download is: `abandoned` or `refused`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Ended {
    status: Option<String>,
}

impl ParamGroup for Ended {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";
}

/// What the figures cover and for whom, from the page's query.
struct Scope {
    population: Population,
    view: View,
    bucket: Bucket,
}

/// The page's query (plus `E`'s parameters) as the API reads it, and the
/// population and view the API would answer with for `role`: the same
/// [`StatsFilters::scope`], so the same refusals.
fn scope<E: QueryParams + 'static>(
    services: &Services,
    role: Role,
    raw: &str,
) -> Result<(Scope, E), ApiError> {
    let (filters, (bucket, extra)) = params::parse::<(StatsFilters, (TimelineBucket, E))>(
        &api_query(raw),
        services.today().date,
    )
    .map_err(ApiError::Validation)?;
    let (population, view) = filters.scope(services, role, bucket.bucket())?;
    let scope = Scope {
        population,
        view,
        bucket: bucket.bucket().unwrap_or_default(),
    };
    Ok((scope, extra))
}

/// `path` with the page's query, and `first` before it if given.
fn link(path: &str, first: Option<(&str, &str)>, raw: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some((key, value)) = first {
        query.append_pair(key, value);
    }
    query.extend_pairs(form_urlencoded::parse(raw.as_bytes()));
    match query.finish() {
        q if q.is_empty() => path.to_string(),
        q => format!("{path}?{q}"),
    }
}

/// `GET /stats`.
pub async fn page(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let raw = req.query_string();
    let given: std::collections::HashMap<String, String> = form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let chosen = |name: &str| given.get(name).cloned().unwrap_or_default();
    let services = &state.services;
    let role = signed_in.user.role;
    let today = services.today().date;
    let mut shown = StatsPage {
        chrome: visitor.chrome(t.stats_title()),
        periods: period_choices(t, today, &chosen("period")),
        releases: release_choices(
            t,
            today,
            services.stats_view(role, false).published,
            &chosen("as_of"),
        ),
        buckets: bucket_choices(t, &chosen("bucket")),
        published: !role.reads_cases(),
        errors: Vec::new(),
        figures: None,
    };
    match scope::<NoMore>(services, role, raw) {
        Err(ApiError::Validation(errors)) => {
            shown.errors = errors
                .0
                .into_keys()
                .map(|field| match field.as_str() {
                    "as_of" => (t.stats_as_of_label(), t.stats_as_of_refused()),
                    "sent_from" | "sent_to" | "period" => {
                        (t.stats_period(), t.stats_period_refused())
                    }
                    "bucket" => (t.stats_bucket(), t.stats_bucket_refused()),
                    _ => (t.filters(), t.error_check_value()),
                })
                .collect();
            shown.errors.dedup();
        }
        Err(_) => return Err(WebError::Internal(t.language)),
        Ok((scope, NoMore {})) => {
            let Scope {
                population,
                view,
                bucket,
            } = &scope;
            let (by_country, abandoned, refused, by_period) = futures_util::future::try_join4(
                services.country_table(population, *view, Grouping::Country),
                services.reasons_table(population, Closure::Abandoned, *view, Grouping::Country),
                services.reasons_table(population, Closure::Refused, *view, Grouping::Country),
                services.timeline_table(population, *bucket, *view),
            )
            .await
            .map_err(|e| WebError::service(e, t.language))?;
            shown.published = view.published;
            let mut lines: Vec<Line> = by_country.rows.iter().map(|row| line(t, row)).collect();
            lines.sort_by_cached_key(|l| super::i18n::collation_key(&l.country));
            shown.figures = Some(Figures {
                as_of: t.date(&population.as_of),
                countries_csv: link("/stats/countries.csv", None, raw),
                report_pdf: link("/stats/report.pdf", None, raw),
                report_html: link("/stats/report.html", None, raw),
                lines,
                total: Line {
                    country: t.stats_all_countries().to_string(),
                    ..line(t, &by_country.totals)
                },
                rates_chart: link("/stats/charts/response-rates.svg", None, raw),
                curves_chart: link("/stats/charts/response-curves.svg", None, raw),
                reasons: [
                    reasons_table(t, Closure::Abandoned, &abandoned, raw),
                    reasons_table(t, Closure::Refused, &refused, raw),
                ],
                timeline_csv: link("/stats/timeline.csv", None, raw),
                periods: by_period
                    .rows
                    .iter()
                    .map(|row| period_line(t, row))
                    .collect(),
                periods_total: PeriodLine {
                    period: t.stats_all_periods_total().to_string(),
                    ..period_line(t, &by_period.totals)
                },
            });
        }
    }
    let status = if shown.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(visitor.page(status, &shown))
}

/// A count as shown: grouped digits, or "hidden".
fn count(t: Tr, row: &ShownRow, key: &str) -> String {
    match row.get(key) {
        Some(Value::Number(n)) => n.as_i64().map_or_else(String::new, |n| t.number(n)),
        _ => t.stats_hidden().to_string(),
    }
}

/// A share as shown: a percentage; "hidden" where the published view hid
/// it; else "not estimable" (no request was followed that long).
fn share(t: Tr, row: &ShownRow, key: &str) -> String {
    let listed = row
        .get("suppressed")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|f| f == key));
    match row.get(key) {
        Some(Value::Number(n)) => n.as_f64().map_or_else(String::new, |r| t.percent(r)),
        _ if listed => t.stats_hidden().to_string(),
        _ => t.stats_not_estimable().to_string(),
    }
}

/// A median as shown: whole days, "not reached", or "hidden".
fn median(t: Tr, row: &ShownRow, days: &str, not_reached: &str) -> String {
    match (row.get(days), row.get(not_reached)) {
        (Some(Value::Number(n)), _) => n
            .as_f64()
            .map_or_else(String::new, |d| t.number(d.round() as i64)),
        (_, Some(Value::Bool(true))) => t.stats_not_reached().to_string(),
        _ => t.stats_hidden().to_string(),
    }
}

/// The row's country in the reader's language.
fn country(t: Tr, row: &ShownRow) -> String {
    row.get("country")
        .and_then(Value::as_str)
        .and_then(|code| CountryCode::parse(code).ok())
        .map_or_else(String::new, |code| t.country(&code))
}

fn line(t: Tr, row: &ShownRow) -> Line {
    Line {
        country: country(t, row),
        requests: count(t, row, "requests"),
        answered: count(t, row, "answered"),
        response_rate: share(t, row, "response_rate"),
        median_days: median(
            t,
            row,
            "median_days_to_response",
            "median_response_not_reached",
        ),
        unanswered_180: share(t, row, "share_unanswered_180"),
        unanswered_365: share(t, row, "share_unanswered_365"),
    }
}

/// A reason's code in the reader's words.
fn reason_label(closure: Closure, code: &str, language: Language) -> &'static str {
    let found = match closure {
        Closure::Abandoned => AbandonmentReason::ALL
            .iter()
            .find(|r| r.as_str() == code)
            .map(|r| r.label(language)),
        Closure::Refused => RefusalGround::ALL
            .iter()
            .find(|r| r.as_str() == code)
            .map(|r| r.label(language)),
    };
    found.unwrap_or("?")
}

fn reasons_table(t: Tr, closure: Closure, shown: &ShownTable, raw: &str) -> ReasonsTable {
    let codes = reasons::reasons(closure);
    let mut heads: Vec<&'static str> = codes
        .iter()
        .map(|code| reason_label(closure, code, t.language))
        .collect();
    let cells = |row: &ShownRow| -> Vec<String> {
        codes
            .iter()
            .copied()
            .chain([closure.status()])
            .map(|key| count(t, row, key))
            .collect()
    };
    let mut lines: Vec<ReasonLine> = shown
        .rows
        .iter()
        .map(|row| ReasonLine {
            country: country(t, row),
            cells: cells(row),
        })
        .collect();
    lines.sort_by_cached_key(|l| super::i18n::collation_key(&l.country));
    let total = ReasonLine {
        country: t.stats_all_countries().to_string(),
        cells: cells(&shown.totals),
    };
    let status = closure.status();
    let (caption, csv_label, empty, sum) = match closure {
        Closure::Abandoned => (
            t.stats_abandoned_caption(),
            t.stats_csv_abandoned(),
            t.stats_none_abandoned(),
            t.stats_all_abandoned(),
        ),
        Closure::Refused => (
            t.stats_refused_caption(),
            t.stats_csv_refused(),
            t.stats_none_refused(),
            t.stats_all_refused(),
        ),
    };
    heads.push(sum);
    ReasonsTable {
        status,
        caption,
        csv_label,
        csv_link: link("/stats/reasons.csv", Some(("status", status)), raw),
        empty,
        heads,
        lines,
        total,
    }
}

/// A timeline bucket (`2025`, `2025-Q3`, `2025-07`) in words: the year, or
/// "3rd quarter 2025"; a month stays as the API writes it.
fn bucket_label(t: Tr, bucket: &str) -> String {
    match bucket.split_once("-Q") {
        Some((year, q)) => match q.parse::<u32>() {
            Ok(q) => format!("{} {} {year}", ordinal(t, q), t.quarter()),
            Err(_) => bucket.to_string(),
        },
        None => bucket.to_string(),
    }
}

fn period_line(t: Tr, row: &ShownRow) -> PeriodLine {
    PeriodLine {
        period: {
            let label = bucket_label(t, row.get("bucket").and_then(Value::as_str).unwrap_or(""));
            // The totals' period is named apart; a period is marked when its
            // requests have not all had a year (DOMAIN §8.4).
            match row.get("bucket").map(|_| row.get("complete")) {
                Some(Some(Value::Bool(false))) => format!("{label} {}", t.stats_incomplete()),
                _ => label,
            }
        },
        sent: count(t, row, "sent"),
        answered: count(t, row, "answered"),
        executed: count(t, row, "executed"),
        refused: count(t, row, "refused"),
        abandoned: count(t, row, "abandoned"),
        median_days: median(
            t,
            row,
            "median_days_to_response",
            "median_response_not_reached",
        ),
    }
}

/// A table as the API's CSV (its columns, rows then the totals), named
/// `{name}-{as_of}.csv`.
fn csv_download(
    t: Tr,
    name: &str,
    columns: &[&str],
    table: &ShownTable,
    as_of: NaiveDate,
) -> Result<HttpResponse, WebError> {
    let mut rows: Vec<&ShownRow> = table.rows.iter().collect();
    rows.push(&table.totals);
    let body = crate::stats::to_csv(columns, &rows).map_err(|_| WebError::Internal(t.language))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-{as_of}.csv\""),
        ))
        .body(body))
}

/// The scope of a download or a chart: a refused query names nothing to
/// download (the page itself says what to change).
fn download_scope<E: QueryParams + 'static>(
    state: &AppState,
    signed_in: &SignedIn<ReadStats>,
    req: &HttpRequest,
) -> Result<(Scope, E), WebError> {
    scope::<E>(&state.services, signed_in.user.role, req.query_string())
        .map_err(|_| signed_in.visitor.not_found())
}

/// `GET /stats/report.pdf` and `/stats/report.html`: the report of the
/// page's period in the reader's language — always the published view, as
/// the API's `GET /stats/report` (so of a release: the page's, or the
/// latest).
pub async fn report(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
    pdf: bool,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let (scope, NoMore {}) = scope::<NoMore>(&state.services, Role::Analyst, req.query_string())
        .map_err(|_| signed_in.visitor.not_found())?;
    let browser = if pdf {
        Some(
            crate::report::pdf::browser(state.services.settings.stats.pdf_browser.as_deref())
                .ok_or(WebError::NoPdf(t.language))?,
        )
    } else {
        None
    };
    let gathered = crate::report::gather(
        &state.services,
        &scope.population,
        Grouping::Country,
        t.language,
    )
    .await
    .map_err(|e| WebError::service(e, t.language))?;
    let html =
        crate::report::html::render(&gathered).map_err(|_| WebError::Internal(t.language))?;
    let Some(browser) = browser else {
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                crate::report::html::CONTENT_SECURITY_POLICY,
            ))
            .body(html));
    };
    let pdf = web::block(move || crate::report::pdf::print(&html, &browser))
        .await
        .map_err(|_| WebError::Internal(t.language))?
        .map_err(|e| {
            log::error!("the report could not be printed: {e:#}");
            WebError::Internal(t.language)
        })?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"mla-report-{}-{}.pdf\"",
                scope.population.as_of,
                t.language.code()
            ),
        ))
        .body(pdf))
}

/// `GET /stats/countries.csv`: the table by country, as the API's CSV.
pub async fn countries_csv(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let (scope, NoMore {}) = download_scope(&state, &signed_in, &req)?;
    let table = state
        .services
        .country_table(&scope.population, scope.view, Grouping::Country)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    csv_download(
        t,
        "countries",
        &countries::COLUMNS,
        &table,
        scope.population.as_of,
    )
}

/// `GET /stats/reasons.csv?status=abandoned|refused`: the abandonment
/// reasons or the refusal grounds, as the API's CSV (named as the API's
/// endpoints are).
pub async fn reasons_csv(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let (scope, ended) = download_scope::<Ended>(&state, &signed_in, &req)?;
    let (closure, name) = match ended.status.as_deref() {
        Some("abandoned") => (Closure::Abandoned, "abandonment-reasons"),
        Some("refused") => (Closure::Refused, "refusal-grounds"),
        _ => return Err(signed_in.visitor.not_found()),
    };
    let table = state
        .services
        .reasons_table(&scope.population, closure, scope.view, Grouping::Country)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    csv_download(
        t,
        name,
        &reasons::columns(closure),
        &table,
        scope.population.as_of,
    )
}

/// `GET /stats/timeline.csv`: the table by period of sending (`bucket`), as
/// the API's CSV.
pub async fn timeline_csv(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let (scope, NoMore {}) = download_scope(&state, &signed_in, &req)?;
    let table = state
        .services
        .timeline_table(&scope.population, scope.bucket, scope.view)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    csv_download(
        t,
        "timeline",
        &timeline::COLUMNS,
        &table,
        scope.population.as_of,
    )
}

fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(body)
}

/// `GET /stats/charts/response-rates.svg`: the API's chart of the countries
/// by share still unanswered after a year, in the reader's language.
pub async fn response_rates_chart(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let (scope, NoMore {}) = download_scope(&state, &signed_in, &req)?;
    let chart = state
        .services
        .response_rates_chart(&scope.population, scope.view, t.language)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    Ok(svg(chart))
}

/// `GET /stats/charts/response-curves.svg`: the API's chart of the response
/// curves, in the reader's language.
pub async fn response_curves_chart(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let (scope, NoMore {}) = download_scope(&state, &signed_in, &req)?;
    let chart = state
        .services
        .response_curves_chart(&scope.population, scope.view, t.language)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    Ok(svg(chart))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_whole_years_and_quarters() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            period_bounds("2025"),
            Some((d("2025-01-01"), d("2025-12-31")))
        );
        assert_eq!(
            period_bounds("2024-Q1"),
            Some((d("2024-01-01"), d("2024-03-31")))
        );
        assert_eq!(
            period_bounds("2024-Q4"),
            Some((d("2024-10-01"), d("2024-12-31")))
        );
        assert_eq!(period_bounds("2024-Q5"), None);
        assert_eq!(period_bounds("soon"), None);
        assert_eq!(
            api_query("period=2025&as_of=&country=PH"),
            "sent_from=2025-01-01&sent_to=2025-12-31&country=PH"
        );
    }

    #[test]
    fn downloads_and_charts_carry_the_page_s_query() {
        assert_eq!(link("/stats/timeline.csv", None, ""), "/stats/timeline.csv");
        assert_eq!(
            link(
                "/stats/reasons.csv",
                Some(("status", "refused")),
                "period=2025-Q1&as_of="
            ),
            "/stats/reasons.csv?status=refused&period=2025-Q1&as_of="
        );
    }

    #[test]
    fn periods_of_the_timeline_in_words() {
        let (en, fr) = (Tr::new(Language::En), Tr::new(Language::Fr));
        assert_eq!(bucket_label(en, "2025"), "2025");
        assert_eq!(bucket_label(en, "2025-Q3"), "3rd quarter 2025");
        assert_eq!(bucket_label(fr, "2025-Q1"), "1er trimestre 2025");
        assert_eq!(bucket_label(fr, "2025-07"), "2025-07");
    }
}
