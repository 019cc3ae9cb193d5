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
    published: bool,
    as_of: String,
    errors: Vec<(String, Vec<String>)>,
    lines: Vec<Line>,
    total: Option<Line>,
}

/// `GET /stats`.
pub async fn page(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form_urlencoded::parse(req.query_string().as_bytes())
                .filter(|(_, v)| !v.trim().is_empty()),
        )
        .finish();
    let services = &state.services;
    let mut shown = StatsPage {
        chrome: visitor.chrome(t.stats_title()),
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
        Err(ApiError::Validation(errors)) => shown.errors = errors.0.into_iter().collect(),
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
                .sort_by_cached_key(|l| super::i18n::sort_key(&l.country));
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
