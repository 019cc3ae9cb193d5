//! `/alerts` and the alert actions on a request: follow-ups and snoozes.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::alerts::outbox::DigestState;
use crate::domain::{CountryCode, FieldErrors};
use crate::http::auth::{Authorized, ReadCases, RunAlerts, WriteCases};
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, parse_id};
use crate::http::routing::{self as routes, Routes};
use crate::http::state::AppState;
use crate::services::alerts::{NewFollowUp, RunOrigin, Snooze, StalledQuery};

pub fn routes(r: &mut Routes) {
    r.add("/alerts/rules", [routes::get(rules)])
        .add("/alerts/stalled", [routes::get(stalled)])
        .add("/alerts/run", [routes::post(run)])
        .add("/alerts/notifications", [routes::get(notifications)])
        .add("/requests/{id}/follow-ups", [routes::post(add_follow_up)])
        .add(
            "/requests/{id}/snooze",
            [routes::post(snooze), routes::delete(unsnooze)],
        );
}

/// The effective rules, after every configuration layer.
async fn rules(state: web::Data<AppState>, _: Authorized<ReadCases>) -> HttpResponse {
    HttpResponse::Ok().json(state.services.alert_rules())
}

const DEFAULT_STALLED_LIMIT: usize = 200;
const MAX_STALLED_LIMIT: usize = 5000;

/// Stalled requests, most overdue first: filters `country`, `level` (the
/// minimum level), `include_snoozed`, `limit`.
async fn stalled(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let (mut country, mut level, mut include_snoozed, mut limit) =
        (None, 0u8, false, DEFAULT_STALLED_LIMIT);
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match key.as_ref() {
            "country" => match CountryCode::parse(&value) {
                Ok(c) => country = Some(c),
                Err(e) => errors.add("country", e),
            },
            "level" => match value.parse::<u8>() {
                Ok(n) if (1..=9).contains(&n) => level = n,
                _ => errors.add("level", "must be a level from 1 to 9"),
            },
            "include_snoozed" => match value.as_ref() {
                "true" => include_snoozed = true,
                "false" => include_snoozed = false,
                _ => errors.add("include_snoozed", "must be true or false"),
            },
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_STALLED_LIMIT).contains(&n) => limit = n,
                _ => errors.add(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_STALLED_LIMIT}"),
                ),
            },
            other => errors.add(other.replace('\0', ""), "is not a filter of this list"),
        }
    }
    errors.into_result().map_err(ApiError::Validation)?;
    let list = state
        .services
        .stalled(StalledQuery {
            country,
            level,
            include_snoozed,
            limit,
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// We chased the requested state: recorded in the history and shown in
/// alerts. It does not re-arm the clock: their silence is what is measured.
async fn add_follow_up(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
    body: JsonBody<NewFollowUp>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let event = state
        .services
        .add_follow_up(auth.user.id, id, body.0)
        .await?;
    Ok(HttpResponse::Created().json(event))
}

async fn snooze(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
    body: JsonBody<Snooze>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let event = state.services.snooze(auth.user.id, id, body.0).await?;
    Ok(HttpResponse::Created().json(event))
}

async fn unsnooze(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let event = state.services.unsnooze(auth.user.id, id).await?;
    Ok(HttpResponse::Ok().json(event))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    dry_run: bool,
}

/// Runs the scan now and sends what is due: the same as the schedule does.
async fn run(
    state: web::Data<AppState>,
    _: Authorized<RunAlerts>,
    body: JsonBody<RunBody>,
) -> Result<HttpResponse, ApiError> {
    let summary = state
        .services
        .run_alerts(RunOrigin::Api, body.0.dry_run)
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Notifications with their digest's delivery state: `state=pending|sent|failed`.
async fn notifications(
    state: web::Data<AppState>,
    _: Authorized<RunAlerts>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut wanted = None;
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match (key.as_ref(), value.as_ref()) {
            ("state", s) if s.parse::<DigestState>().is_ok() => wanted = s.parse().ok(),
            ("state", _) => {
                return Err(ApiError::field("state", "must be pending, sent or failed"));
            }
            (other, _) => {
                return Err(ApiError::field(
                    &other.replace('\0', ""),
                    "is not a filter of this list",
                ));
            }
        }
    }
    let items = state.services.notifications(wanted).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
