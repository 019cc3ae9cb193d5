//! `/stats/response-curves` (Kaplan–Meier curves of the time to a first
//! response, JSON or CSV) and the SVG charts under `/stats/charts/`. They
//! take the parameters of `/stats/countries` (`routes::stats::parse_query`)
//! and the same role rule: analysts always get the published view, others
//! with `suppress=true`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::Routes;
use super::stats::{StatsQuery, View, accepts_csv, csv_response, parse_query, suppression_failed};
use crate::auth::{Authorized, ReadStats};
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::stats::countries::{self, Aggregates};
use crate::stats::{charts, curves};

pub fn routes(r: &mut Routes) {
    r.add("/stats/response-curves", [super::get(response_curves)])
        .add(
            "/stats/charts/response-rates.svg",
            [super::get(response_rates_chart)],
        )
        .add(
            "/stats/charts/response-curves.svg",
            [super::get(response_curves_chart)],
        );
}

/// The query and who sees what. Charts are SVG only: `format` is refused.
fn query_of(
    state: &AppState,
    auth: &Authorized<ReadStats>,
    req: &HttpRequest,
    chart: bool,
) -> Result<(StatsQuery, View), ApiError> {
    let today = state.clock.today_in(state.zone);
    if chart
        && form_urlencoded::parse(req.query_string().as_bytes()).any(|(key, _)| key == "format")
    {
        let mut errors = FieldErrors::default();
        errors.add("format", "charts are SVG only");
        return Err(ApiError::Validation(errors));
    }
    let query = parse_query(req.query_string(), today)?;
    let view = View::of(state, auth.user.role, &query);
    Ok((query, view))
}

async fn aggregates(state: &AppState, query: &StatsQuery) -> Result<Aggregates, ApiError> {
    Aggregates::fetch_concurrently(&state.db, &query.population).await
}

async fn shown_curves(
    state: &AppState,
    query: &StatsQuery,
    view: &View,
) -> Result<curves::Shown, ApiError> {
    let computed = curves::of(aggregates(state, query).await?);
    curves::shown(&computed, view.suppress_with()).map_err(suppression_failed)
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
    let (query, view) = query_of(&state, &auth, &req, false)?;
    let shown = shown_curves(&state, &query, &view).await?;
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
    let table = aggregates(&state, &query).await?.table();
    let shown = countries::shown(&table, view.suppress_with()).map_err(suppression_failed)?;
    let (bars, left_out) = charts::rate_bars(&shown);
    let svg = charts::response_rates_svg(&period(&query), &bars, left_out, view.suppress_with())
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
    let (query, view) = query_of(&state, &auth, &req, true)?;
    let shown = shown_curves(&state, &query, &view).await?;
    let (lines, notes) =
        charts::pick_curves(&shown, &query.population.countries, view.suppress_with());
    let svg =
        charts::response_curves_svg(&period(&query), &lines, &notes).map_err(ApiError::Internal)?;
    Ok(svg_response(svg))
}
