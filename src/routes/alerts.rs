//! `/alerts` and the alert actions on a request: follow-ups and snoozes.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use super::extract::{JsonBody, parse_id};
use super::{self as routes, Routes};
use crate::alerts::scan;
use crate::alerts::{outbox, worker};
use crate::auth::{Authorized, ReadCases, RunAlerts, WriteCases};
use crate::db::alert_state::{self, FollowUp};
use crate::domain::{CountryCode, FieldErrors, FollowUpChannel, check_date};
use crate::error::ApiError;
use crate::startup::AppState;

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
    let alerts = &state.settings.alerts;
    HttpResponse::Ok().json(json!({
        "enabled": alerts.enabled,
        "schedule": alerts.schedule.source(),
        "timezone": alerts.timezone.name(),
        "lists": alerts.lists,
        "rules": alerts.rules.rules,
    }))
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
    let today = state.clock.today_in(state.zone);
    let app = state.clone();
    let scope = scan::Scope {
        include_snoozed,
        country,
    };
    let (total, items) = state
        .db
        .read(move |conn| {
            Ok(scan::most_urgent(
                conn, &app.rules, today, scope, level, limit,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"as_of": today, "total": total, "items": items})))
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FollowUpBody {
    channel: FollowUpChannel,
    effective_date: NaiveDate,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    note: Option<String>,
}

/// We chased the requested state: recorded in the history and shown in
/// alerts. It does not re-arm the clock: their silence is what is measured.
async fn add_follow_up(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
    body: JsonBody<FollowUpBody>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let body = body.0;
    let mut errors = FieldErrors::of(&body);
    if let Err(message) = check_date(body.effective_date, state.clock.today()) {
        errors.add("effective_date", message);
    }
    errors.into_result().map_err(ApiError::Validation)?;
    let actor = auth.user.id;
    let follow_up = FollowUp {
        date: body.effective_date,
        channel: body.channel,
    };
    let event = state
        .db
        .write(move |conn| {
            alert_state::record_follow_up(conn, id, actor, follow_up, body.note.as_deref())
        })
        .await?;
    Ok(HttpResponse::Created().json(event))
}

/// The longest a request can be silenced at once.
const MAX_SNOOZE_DAYS: u64 = 366;

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnoozeBody {
    until: NaiveDate,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
}

async fn snooze(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
    body: JsonBody<SnoozeBody>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let body = body.0;
    let mut errors = FieldErrors::of(&body);
    if body.reason.trim().is_empty() && !errors.0.contains_key("reason") {
        errors.add("reason", "must not be blank");
    }
    let today = state.clock.today();
    if body.until < today.earliest {
        errors.add("until", "must not be in the past");
    } else if body.until > today.latest + Days::new(MAX_SNOOZE_DAYS) {
        errors.add(
            "until",
            format!("must be within {MAX_SNOOZE_DAYS} days; snooze again later if needed"),
        );
    }
    errors.into_result().map_err(ApiError::Validation)?;
    let actor = auth.user.id;
    let event = state
        .db
        .write(move |conn| alert_state::snooze(conn, id, actor, body.until, &body.reason, today))
        .await?;
    Ok(HttpResponse::Created().json(event))
}

async fn unsnooze(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let actor = auth.user.id;
    let today = state.clock.today();
    let event = state
        .db
        .write(move |conn| alert_state::unsnooze(conn, id, actor, today))
        .await?;
    Ok(HttpResponse::Ok().json(event))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunBody {
    dry_run: bool,
}

/// Runs the scan now and sends what is due: the same as the schedule does.
async fn run(
    state: web::Data<AppState>,
    _: Authorized<RunAlerts>,
    body: JsonBody<RunBody>,
) -> Result<HttpResponse, ApiError> {
    let dry_run = body.0.dry_run;
    let mut summary = worker::scan(&state, "api", dry_run).await?;
    if !dry_run {
        (summary.emails_sent, summary.emails_failed) = worker::deliver(&state).await?;
    }
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
            ("state", s @ ("pending" | "sent" | "failed")) => wanted = Some(s.to_string()),
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
    let items = state
        .db
        .read(move |conn| Ok(outbox::list(conn, wanted.as_deref())?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
