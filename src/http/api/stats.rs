//! `/stats/*`: cooperation-failure figures for the advocacy team, computed
//! by aggregation in the database. Analysts always get the published
//! (suppressed) view; other roles get exact figures unless they ask for the
//! published one with `suppress=true`. Tables come as JSON, or as CSV with
//! `format=csv` or `Accept: text/csv`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::json;

use crate::domain::{Channel, CountryCode, FieldErrors, LegalBasis, Offence};
use crate::http::auth::{Authorized, ReadStats};
use crate::http::error::ApiError;
use crate::http::extract::parsed;
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;
use crate::services::stats::View;
use crate::stats::aggregates::{Bucket, Closure, Population};
use crate::stats::{ShownRow, countries, reasons, timeline};

pub fn routes(r: &mut Routes) {
    r.add("/stats/countries", [routing::get(countries_table)])
        .add(
            "/stats/abandonment-reasons",
            [routing::get(abandonment_reasons_table)],
        )
        .add(
            "/stats/refusal-grounds",
            [routing::get(refusal_grounds_table)],
        )
        .add("/stats/timeline", [routing::get(timeline_table)]);
}

/// What every statistics endpoint takes.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsQuery {
    pub population: Population,
    /// `suppress=true`: the published view, whatever the role.
    pub suppress: bool,
    pub csv: bool,
}

/// Parses `sent_from`, `sent_to`, `as_of` (default `today`), the
/// repeatable (or comma-separated) filters `offence`, `legal_basis`,
/// `channel`, `country`, and `suppress`, `format`.
pub fn parse_query(query_string: &str, today: NaiveDate) -> Result<StatsQuery, ApiError> {
    parse_with(query_string, today, |_, _, _| false)
}

/// [`parse_query`] plus `bucket` (`year`, the default, `quarter`, `month`),
/// which only the timeline takes.
pub fn parse_timeline_query(
    query_string: &str,
    today: NaiveDate,
) -> Result<(StatsQuery, Bucket), ApiError> {
    let mut bucket = Bucket::default();
    let query = parse_with(query_string, today, |key, value, errors| {
        if key != "bucket" {
            return false;
        }
        if let Some(b) = parsed(errors, "bucket", value) {
            bucket = b;
        }
        true
    })?;
    Ok((query, bucket))
}

/// The common parameters, and whatever else `extra` takes: it is offered
/// every other key and says whether it was one of its own.
fn parse_with(
    query_string: &str,
    today: NaiveDate,
    mut extra: impl FnMut(&str, &str, &mut FieldErrors) -> bool,
) -> Result<StatsQuery, ApiError> {
    let mut errors = FieldErrors::default();
    let mut p = Population::as_of(today);
    let (mut suppress, mut csv) = (false, false);
    for (key, value) in form_urlencoded::parse(query_string.as_bytes()) {
        let value = value.trim();
        if value.contains('\0') || key.contains('\0') {
            errors.add(key.replace('\0', ""), "must not contain NUL characters");
            continue;
        }
        // An empty filter is refused rather than ignored, so a query the
        // document does not describe is never quietly answered (found by
        // fuzzing: `offence=` read as "no filter").
        if value.is_empty()
            && matches!(
                key.as_ref(),
                "offence" | "legal_basis" | "channel" | "country"
            )
        {
            errors.add(key.to_string(), "must not be empty");
            continue;
        }
        let parts = || value.split(',').map(str::trim).filter(|v| !v.is_empty());
        match key.as_ref() {
            "sent_from" => p.sent_from = parsed(&mut errors, "sent_from", value),
            "sent_to" => p.sent_to = parsed(&mut errors, "sent_to", value),
            "as_of" => {
                if let Some(d) = parsed(&mut errors, "as_of", value) {
                    p.as_of = d;
                }
            }
            "offence" => p
                .offences
                .extend(parts().filter_map(|v| parsed::<Offence>(&mut errors, "offence", v))),
            "legal_basis" => p.legal_bases.extend(
                parts().filter_map(|v| parsed::<LegalBasis>(&mut errors, "legal_basis", v)),
            ),
            "channel" => p
                .channels
                .extend(parts().filter_map(|v| parsed::<Channel>(&mut errors, "channel", v))),
            "country" => {
                for v in parts() {
                    match CountryCode::parse(v) {
                        Ok(c) => p.countries.push(c),
                        Err(e) => errors.add("country", e),
                    }
                }
            }
            "suppress" => match value {
                "true" => suppress = true,
                "false" => suppress = false,
                _ => errors.add("suppress", "must be true or false"),
            },
            "format" => match value {
                "csv" => csv = true,
                "json" => csv = false,
                _ => errors.add("format", "must be json or csv"),
            },
            other => {
                if !extra(other, value, &mut errors) {
                    errors.add(other, "is not a parameter of the statistics")
                }
            }
        }
    }
    if let (Some(from), Some(to)) = (p.sent_from, p.sent_to)
        && from > to
    {
        errors.add("sent_to", "must not be before sent_from");
    }
    if p.as_of > today {
        errors.add("as_of", format!("must not be after today ({today})"));
    }
    errors.into_result().map_err(ApiError::Validation)?;
    Ok(StatsQuery {
        population: p,
        suppress,
        csv,
    })
}

/// Whether the caller asked for CSV by its `Accept` header.
pub(super) fn accepts_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

pub(super) fn csv_response(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

/// A shown table as CSV (rows, then the totals, in `columns` order) or as
/// JSON: `{"as_of", "sent_from", "sent_to", "suppression", "<rows_key>":
/// [...], "totals"}`, the totals without the row label columns `label`.
#[allow(clippy::too_many_arguments)]
fn table_response(
    req: &HttpRequest,
    query: &StatsQuery,
    view: &View,
    name: &str,
    rows_key: &str,
    columns: &[&str],
    label: &[&str],
    rows: Vec<ShownRow>,
    mut totals: ShownRow,
) -> Result<HttpResponse, ApiError> {
    if query.csv || accepts_csv(req) {
        let mut all: Vec<&ShownRow> = rows.iter().collect();
        all.push(&totals);
        return Ok(csv_response(
            crate::stats::to_csv(columns, &all).map_err(ApiError::Internal)?,
            name,
        ));
    }
    for column in label {
        totals.remove(*column);
    }
    let p = &query.population;
    Ok(HttpResponse::Ok().json(json!({
        "as_of": p.as_of,
        "sent_from": p.sent_from,
        "sent_to": p.sent_to,
        "suppression": {"threshold": view.threshold, "applied": view.published},
        rows_key: rows,
        "totals": totals,
    })))
}

/// `GET /stats/countries`: per-country counts, response rate, Kaplan–Meier
/// medians and shares still unanswered at 180 and 365 days, and totals.
async fn countries_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = parse_query(req.query_string(), state.services.local_today())?;
    let view = state.services.stats_view(auth.user.role, query.suppress);
    let shown = state
        .services
        .country_table(&query.population, view)
        .await?;
    table_response(
        &req,
        &query,
        &view,
        "countries",
        "countries",
        &countries::COLUMNS,
        &["country", "country_name"],
        shown.rows,
        shown.totals,
    )
}

/// `GET /stats/abandonment-reasons`: per country, the requests abandoned by
/// `as_of` by reason, and totals.
async fn abandonment_reasons_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    reasons_table(state, auth, req, Closure::Abandoned, "abandonment-reasons").await
}

/// `GET /stats/refusal-grounds`: per country, the requests refused by
/// `as_of` by ground, and totals.
async fn refusal_grounds_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    reasons_table(state, auth, req, Closure::Refused, "refusal-grounds").await
}

async fn reasons_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
    closure: Closure,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let query = parse_query(req.query_string(), state.services.local_today())?;
    let view = state.services.stats_view(auth.user.role, query.suppress);
    let shown = state
        .services
        .reasons_table(&query.population, closure, view)
        .await?;
    table_response(
        &req,
        &query,
        &view,
        name,
        "countries",
        &reasons::columns(closure),
        &["country", "country_name"],
        shown.rows,
        shown.totals,
    )
}

/// `GET /stats/timeline`: per bucket of `sent_at` (`bucket=year|quarter|
/// month`), counts and the Kaplan–Meier median days to a first response.
async fn timeline_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (query, bucket) = parse_timeline_query(req.query_string(), state.services.local_today())?;
    let view = state.services.stats_view(auth.user.role, query.suppress);
    let shown = state
        .services
        .timeline_table(&query.population, bucket, view)
        .await?;
    table_response(
        &req,
        &query,
        &view,
        "timeline",
        "buckets",
        &timeline::COLUMNS,
        &["bucket"],
        shown.rows,
        shown.totals,
    )
}
