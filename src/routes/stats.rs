//! `/stats/*`: cooperation-failure figures for the advocacy team, computed
//! by aggregation in the database. Analysts always get the published
//! (suppressed) view; other roles get exact figures unless they ask for the
//! published one with `suppress=true`. Tables come as JSON, or as CSV with
//! `format=csv` or `Accept: text/csv`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde_json::json;

use super::extract::parsed;
use crate::alerts::scan::today_in;
use crate::auth::{Authorized, ReadStats};
use crate::db::stats::Population;
use crate::domain::{Channel, CountryCode, FieldErrors, LegalBasis, Offence, Role};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::stats::countries;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/stats/countries", web::get().to(countries_table));
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
    let mut errors = FieldErrors::default();
    let mut p = Population::as_of(today);
    let (mut suppress, mut csv) = (false, false);
    for (key, value) in form_urlencoded::parse(query_string.as_bytes()) {
        let value = value.trim();
        if value.contains('\0') || key.contains('\0') {
            errors.add(key.replace('\0', ""), "must not contain NUL characters");
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
            other => errors.add(other, "is not a parameter of the statistics"),
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
fn accepts_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

fn csv_response(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

/// `GET /stats/countries`: per-country counts, response rate, Kaplan–Meier
/// medians and shares still unanswered at 180 and 365 days, and totals.
async fn countries_table(
    state: web::Data<AppState>,
    auth: Authorized<ReadStats>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let today = today_in(state.zone, Utc::now());
    let query = parse_query(req.query_string(), today)?;
    let published = auth.user.role == Role::Analyst || query.suppress;
    let threshold = state.settings.stats.suppression_threshold;
    let population = query.population.clone();
    let table = state
        .db
        .read(move |conn| Ok(countries::compute(conn, &population)?))
        .await?;
    let shown = countries::shown(&table, published.then_some(threshold))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("suppression: {e}")))?;
    if query.csv || accepts_csv(&req) {
        let mut rows: Vec<&countries::ShownRow> = shown.countries.iter().collect();
        rows.push(&shown.totals);
        return Ok(csv_response(
            crate::stats::to_csv(&countries::COLUMNS, &rows).map_err(ApiError::Internal)?,
            "countries",
        ));
    }
    let mut totals = shown.totals;
    totals.remove("country");
    totals.remove("country_name");
    let p = &query.population;
    Ok(HttpResponse::Ok().json(json!({
        "as_of": p.as_of,
        "sent_from": p.sent_from,
        "sent_to": p.sent_to,
        "suppression": {"threshold": threshold, "applied": published},
        "countries": shown.countries,
        "totals": totals,
    })))
}
