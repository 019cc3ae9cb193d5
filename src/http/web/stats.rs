//! `/stats`: cooperation by country, as the API's country table gives it —
//! the published view for analysts (and whoever asks for it), exact
//! figures for the office. Its filters are the API's statistics
//! parameters.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::Value;

use super::error::WebError;
use super::i18n::Tr;
use super::layout::Chrome;
use super::session::SignedIn;
use crate::domain::CountryCode;
use crate::http::api::stats::StatsFilters;
use crate::http::auth::ReadStats;
use crate::http::error::ApiError;
use crate::http::params;
use crate::http::state::AppState;
use crate::stats::ShownRow;
use crate::stats::countries;

use super::choice::Choice;
use chrono::{Datelike, Months, NaiveDate};

/// One country's line, in words.
pub struct Line {
    pub country: String,
    pub requests: String,
    pub answered: String,
    pub response_rate: String,
    pub median_days: String,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    chrome: Chrome,
    /// The period and release choices, the current ones selected.
    periods: Vec<Choice>,
    releases: Vec<Choice>,
    /// The CSV of the same table, same query.
    csv_link: String,
    published: bool,
    as_of: String,
    /// What to change, when the query was refused: (filter, what to do).
    errors: Vec<(&'static str, &'static str)>,
    lines: Vec<Line>,
    total: Option<Line>,
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

/// `GET /stats`.
pub async fn page(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let query = api_query(req.query_string());
    let given: std::collections::HashMap<String, String> =
        form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let chosen = |name: &str| given.get(name).cloned().unwrap_or_default();
    let services = &state.services;
    let today = services.today().date;
    let mut shown = StatsPage {
        chrome: visitor.chrome(t.stats_title()),
        periods: period_choices(t, today, &chosen("period")),
        releases: release_choices(
            t,
            today,
            services.stats_view(signed_in.user.role, false).published,
            &chosen("as_of"),
        ),
        csv_link: format!("/stats/countries.csv?{}", req.query_string()),
        published: !signed_in.user.role.reads_cases(),
        as_of: String::new(),
        errors: Vec::new(),
        lines: Vec::new(),
        total: None,
    };
    let scoped = params::parse::<StatsFilters>(&query, services.today().date)
        .map_err(ApiError::Validation)
        .and_then(|filters| filters.scope(services, signed_in.user.role, None));
    match scoped {
        Err(ApiError::Validation(errors)) => {
            shown.errors = errors
                .0
                .into_keys()
                .map(|field| match field.as_str() {
                    "as_of" => (t.stats_as_of_label(), t.stats_as_of_refused()),
                    "sent_from" | "sent_to" | "period" => {
                        (t.stats_period(), t.stats_period_refused())
                    }
                    _ => (t.filters(), t.error_check_value()),
                })
                .collect();
            shown.errors.dedup();
        }
        Err(_) => return Err(WebError::Internal(t.language)),
        Ok((population, view)) => {
            let table = services
                .country_table(&population, view)
                .await
                .map_err(|e| WebError::service(e, t.language))?;
            shown.published = view.published;
            shown.as_of = t.date(&population.as_of);
            shown.lines = table.rows.iter().map(|row| line(t, row)).collect();
            shown
                .lines
                .sort_by_cached_key(|l| super::i18n::collation_key(&l.country));
            shown.total = Some(Line {
                country: t.stats_all_countries().to_string(),
                ..line(t, &table.totals)
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

fn line(t: Tr, row: &ShownRow) -> Line {
    let count = |key: &str| match row.get(key) {
        Some(Value::Number(n)) => n.as_i64().map_or_else(String::new, |n| t.number(n)),
        _ => t.stats_hidden().to_string(),
    };
    let rate = match row.get("response_rate") {
        Some(Value::Number(n)) => n.as_f64().map_or_else(String::new, |r| t.percent(r)),
        _ => t.stats_hidden().to_string(),
    };
    let median = match (
        row.get("median_days_to_response"),
        row.get("median_response_not_reached"),
    ) {
        (Some(Value::Number(n)), _) => n
            .as_f64()
            .map_or_else(String::new, |d| t.number(d.round() as i64)),
        (_, Some(Value::Bool(true))) => t.stats_not_reached().to_string(),
        _ => t.stats_hidden().to_string(),
    };
    let country = row
        .get("country")
        .and_then(Value::as_str)
        .and_then(|code| CountryCode::parse(code).ok())
        .map_or_else(String::new, |code| t.country(&code));
    Line {
        country,
        requests: count("requests"),
        answered: count("answered"),
        response_rate: rate,
        median_days: median,
    }
}

/// `GET /stats/countries.csv`: the table of the page, as the API's CSV.
pub async fn csv(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let services = &state.services;
    let refused = || signed_in.visitor.not_found();
    let (population, view) =
        params::parse::<StatsFilters>(&api_query(req.query_string()), services.today().date)
            .map_err(ApiError::Validation)
            .and_then(|filters| filters.scope(services, signed_in.user.role, None))
            .map_err(|_| refused())?;
    let table = services
        .country_table(&population, view)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    let mut rows: Vec<&ShownRow> = table.rows.iter().collect();
    rows.push(&table.totals);
    let body = crate::stats::to_csv(&countries::COLUMNS, &rows)
        .map_err(|_| WebError::Internal(t.language))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"countries-{}.csv\"",
                population.as_of
            ),
        ))
        .body(body))
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
}
