//! `/stats/response-curves` (Kaplan–Meier curves of the time to a first
//! response, JSON or CSV) and the SVG charts under `/stats/charts/`. They
//! take the statistics' filters ([`StatsFilters`]) and the same role rule:
//! analysts always get the published view, others with `suppress=true`.
//! The API takes no language: its charts are in English (the web pages
//! serve the same charts in the reader's language).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::stats::{StatsFilters, Suppression, TableFormat, csv_response};
use crate::domain::Language;
use crate::http::auth::{Authorized, ReadStats};
use crate::http::error::ApiError;
use crate::http::params::{ParamGroup, Params};
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;
use crate::stats::curves::{self, ShownCurve, ShownStep};

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

/// Charts are SVG only: `format` is refused, not ignored.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SvgOnly {}

impl ParamGroup for SvgOnly {
    const UNKNOWN: &'static str = "is not a parameter of the statistics";

    fn refused(name: &str) -> Option<&'static str> {
        (name == "format").then_some("charts are SVG only")
    }
}

fn svg_response(svg: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg)
}

/// The pooled curve: a [`ShownCurve`] without `country`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PooledCurve {
    pub country_name: String,
    pub curve: Option<Vec<ShownStep>>,
    pub suppressed: Vec<&'static str>,
}

/// The response curves as JSON.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ResponseCurves)]
pub struct CurvesBody {
    /// Every country together.
    pub all_countries: PooledCurve,
    pub as_of: NaiveDate,
    pub countries: Vec<ShownCurve>,
    pub sent_from: Option<NaiveDate>,
    pub sent_to: Option<NaiveDate>,
    pub suppression: Suppression,
}

/// Kaplan–Meier curves of the time to a first response
///
/// Per country, and pooled, the steps of the time to a first response with
/// their 95 % interval.
#[utoipa::path(
    get, path = "/api/v1/stats/response-curves", operation_id = "statsResponseCurves",
    tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters, TableFormat),
    responses((status = 200, description = "The curves", content(
        (CurvesBody = "application/json"), (String = "text/csv"))))
)]
async fn response_curves(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    params: Params<(StatsFilters, TableFormat)>,
) -> Result<HttpResponse, ApiError> {
    let (filters, format) = params.0;
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let shown = state.services.response_curves(&population, view).await?;
    if format.csv(&req) {
        let rows = curves::csv_rows(&shown);
        let refs: Vec<&crate::stats::ShownRow> = rows.iter().collect();
        let body = crate::stats::to_csv(&curves::COLUMNS, &refs).map_err(ApiError::Internal)?;
        return Ok(csv_response(body, "response-curves"));
    }
    let all = shown.all;
    Ok(HttpResponse::Ok().json(CurvesBody {
        all_countries: PooledCurve {
            country_name: all.country_name,
            curve: all.curve,
            suppressed: all.suppressed,
        },
        as_of: population.as_of,
        countries: shown.countries,
        sent_from: population.sent_from,
        sent_to: population.sent_to,
        suppression: view.into(),
    }))
}

/// Chart: countries by share unanswered after 365 days
#[utoipa::path(
    get, path = "/api/v1/stats/charts/response-rates.svg", operation_id = "chartResponseRates",
    tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters),
    responses((status = 200, description = "An SVG chart", content((String = "image/svg+xml"))))
)]
async fn response_rates_chart(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    params: Params<(StatsFilters, SvgOnly)>,
) -> Result<HttpResponse, ApiError> {
    let (filters, _) = params.0;
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let svg = state
        .services
        .response_rates_chart(&population, view, Language::En)
        .await?;
    Ok(svg_response(svg))
}

/// Chart: response curves of the countries asked for (or the five largest)
#[utoipa::path(
    get, path = "/api/v1/stats/charts/response-curves.svg", operation_id = "chartResponseCurves",
    tag = "statistics",
    security(("bearer" = [])),
    params(StatsFilters),
    responses((status = 200, description = "An SVG chart", content((String = "image/svg+xml"))))
)]
async fn response_curves_chart(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    params: Params<(StatsFilters, SvgOnly)>,
) -> Result<HttpResponse, ApiError> {
    let (filters, _) = params.0;
    let (population, view) = filters.scope(&state.services, auth.user.role, None)?;
    let svg = state
        .services
        .response_curves_chart(&population, view, Language::En)
        .await?;
    Ok(svg_response(svg))
}
