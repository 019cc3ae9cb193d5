//! `/stats/response-curves` (Kaplan–Meier curves of the time to a first
//! response, JSON or CSV) and the SVG charts under `/stats/charts/`. They
//! take the parameters of `/stats/countries` (`routes::stats::parse_query`)
//! and the same role rule: analysts always get the published view, others
//! with `suppress=true`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::stats::{StatsQuery, parse_query};
use crate::alerts::scan::today_in;
use crate::auth::{Authorized, ReadStats};
use crate::domain::{FieldErrors, Role};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::stats::{charts, countries, curves};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/stats/response-curves", web::get().to(response_curves))
        .route(
            "/stats/charts/response-rates.svg",
            web::get().to(response_rates_chart),
        )
        .route(
            "/stats/charts/response-curves.svg",
            web::get().to(response_curves_chart),
        );
}

/// The query, whether the published view applies, and its threshold.
fn query_of(
    state: &AppState,
    auth: &Authorized<ReadStats>,
    req: &HttpRequest,
    chart: bool,
) -> Result<(StatsQuery, Option<u64>), ApiError> {
    let today = today_in(state.zone, Utc::now());
    if chart
        && form_urlencoded::parse(req.query_string().as_bytes()).any(|(key, _)| key == "format")
    {
        let mut errors = FieldErrors::default();
        errors.add("format", "charts are SVG only");
        return Err(ApiError::Validation(errors));
    }
    let query = parse_query(req.query_string(), today)?;
    let published = auth.user.role == Role::Analyst || query.suppress;
    let threshold = state.settings.stats.suppression_threshold;
    Ok((query, published.then_some(threshold)))
}

async fn shown_curves(
    state: &AppState,
    query: &StatsQuery,
    threshold: Option<u64>,
) -> Result<curves::Shown, ApiError> {
    let population = query.population.clone();
    let computed = state
        .db
        .read(move |conn| Ok(curves::compute(conn, &population)?))
        .await?;
    curves::shown(&computed, threshold)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("suppression: {e}")))
}

fn period(query: &StatsQuery) -> charts::Period {
    charts::Period {
        sent_from: query.population.sent_from,
        sent_to: query.population.sent_to,
        as_of: query.population.as_of,
    }
}

fn svg_response(svg: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg)
}

/// `GET /stats/response-curves`: per country, and pooled, the
/// Kaplan–Meier steps of the time to a first response with their 95 %
/// interval.
async fn response_curves(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (query, threshold) = query_of(&state, &auth, &req, false)?;
    let shown = shown_curves(&state, &query, threshold).await?;
    let wants_csv = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")));
    if query.csv || wants_csv {
        let rows = curves::csv_rows(&shown);
        let refs: Vec<&crate::stats::ShownRow> = rows.iter().collect();
        let body = crate::stats::to_csv(&curves::COLUMNS, &refs).map_err(ApiError::Internal)?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"response-curves.csv\"",
            ))
            .body(body));
    }
    let mut all = serde_json::to_value(&shown.all).map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(all) = all.as_object_mut() {
        all.remove("country");
    }
    let p = &query.population;
    Ok(HttpResponse::Ok().json(json!({
        "as_of": p.as_of,
        "sent_from": p.sent_from,
        "sent_to": p.sent_to,
        "suppression": {"threshold": state.settings.stats.suppression_threshold,
                        "applied": threshold.is_some()},
        "countries": shown.countries,
        "all_countries": all,
    })))
}

/// `GET /stats/charts/response-rates.svg`: countries ranked by the share
/// still unanswered after 365 days.
async fn response_rates_chart(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (query, threshold) = query_of(&state, &auth, &req, true)?;
    let population = query.population.clone();
    let table = state
        .db
        .read(move |conn| Ok(countries::compute(conn, &population)?))
        .await?;
    let shown = countries::shown(&table, threshold)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("suppression: {e}")))?;
    let (bars, left_out) = charts::rate_bars(&shown);
    let svg = charts::response_rates_svg(&period(&query), &bars, left_out, threshold)
        .map_err(ApiError::Internal)?;
    Ok(svg_response(svg))
}

/// `GET /stats/charts/response-curves.svg?country=…`: the Kaplan–Meier
/// curves of the countries asked for, or of the five with most requests.
async fn response_curves_chart(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (query, threshold) = query_of(&state, &auth, &req, true)?;
    let shown = shown_curves(&state, &query, threshold).await?;
    let (lines, notes) = charts::pick_curves(&shown, &query.population.countries, threshold);
    let svg =
        charts::response_curves_svg(&period(&query), &lines, &notes).map_err(ApiError::Internal)?;
    Ok(svg_response(svg))
}
