//! `/stats/response-curves` (Kaplan–Meier curves of the time to a first
//! response, JSON or CSV) and the SVG charts under `/stats/charts/`. They
//! take the parameters of `/stats/countries` (`routes::stats::parse_query`)
//! and the same role rule: analysts always get the published view, others
//! with `suppress=true`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::stats::{StatsQuery, accepts_csv, csv_response, parse_query};
use crate::domain::FieldErrors;
use crate::http::auth::{Authorized, ReadStats};
use crate::http::error::ApiError;
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;
use crate::services::stats::View;
use crate::stats::curves;

pub fn routes(r: &mut Routes) {
    r.add("/stats/response-curves", [routing::get(response_curves)])
        .add(
            "/stats/charts/response-rates.svg",
            [routing::get(response_rates_chart)],
        )
        .add(
            "/stats/charts/response-curves.svg",
            [routing::get(response_curves_chart)],
        );
}

/// The query and who sees what. Charts are SVG only: `format` is refused.
fn query_of(
    state: &AppState,
    auth: &Authorized<ReadStats>,
    req: &HttpRequest,
    chart: bool,
) -> Result<(StatsQuery, View), ApiError> {
    if chart
        && form_urlencoded::parse(req.query_string().as_bytes()).any(|(key, _)| key == "format")
    {
        let mut errors = FieldErrors::default();
        errors.add("format", "charts are SVG only");
        return Err(ApiError::Validation(errors));
    }
    let query = parse_query(req.query_string(), state.services.local_today())?;
    let view = state.services.stats_view(auth.user.role, query.suppress);
    Ok((query, view))
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
    let (query, view) = query_of(&state, &auth, &req, false)?;
    let shown = state
        .services
        .response_curves(&query.population, view)
        .await?;
    if query.csv || accepts_csv(&req) {
        let rows = curves::csv_rows(&shown);
        let refs: Vec<&crate::stats::ShownRow> = rows.iter().collect();
        let body = crate::stats::to_csv(&curves::COLUMNS, &refs).map_err(ApiError::Internal)?;
        return Ok(csv_response(body, "response-curves"));
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
        "suppression": {"threshold": view.threshold, "applied": view.published},
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
    let (query, view) = query_of(&state, &auth, &req, true)?;
    let svg = state
        .services
        .response_rates_chart(&query.population, view)
        .await?;
    Ok(svg_response(svg))
}

/// `GET /stats/charts/response-curves.svg?country=…`: the Kaplan–Meier
/// curves of the countries asked for, or of the five with most requests.
async fn response_curves_chart(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (query, view) = query_of(&state, &auth, &req, true)?;
    let svg = state
        .services
        .response_curves_chart(&query.population, view)
        .await?;
    Ok(svg_response(svg))
}
