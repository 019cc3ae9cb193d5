//! `/alerts` and the alert actions on a request: follow-ups and snoozes.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::alerts::outbox::{DigestState, NotificationView};
use crate::alerts::run::RunSummary;
use crate::db::events::Event;
use crate::domain::CountryCode;
use crate::http::auth::{Authorized, ReadCases, RunAlerts, WriteCases};
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, RecordId, parse_id};
use crate::http::params::{Flag, Limit, ParamGroup, Params, from_str};
use crate::http::routing::{self as routes, Routes};
use crate::http::state::AppState;
use crate::services::alerts::{
    AlertRules, NewFollowUp, RunOrigin, Snooze, StalledList, StalledQuery,
};

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

/// The effective alert rules
#[utoipa::path(
    get, path = "/api/v1/alerts/rules", operation_id = "getAlertRules", tag = "alerts",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    responses((status = 200, description = "The rules", body = AlertRules))
)]
async fn rules(state: web::Data<AppState>, _: Authorized<ReadCases>) -> HttpResponse {
    HttpResponse::Ok().json(state.services.alert_rules())
}

/// The stalled list's filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StalledParams {
    /// Only this target country
    #[param(value_type = CountryCode, inline, required = false)]
    country: Option<CountryCode>,
    /// At least this alert level
    #[param(value_type = u8, minimum = 1, maximum = 9, required = false)]
    level: Option<Level>,
    /// Include snoozed requests
    #[param(value_type = Flag, inline, required = false)]
    include_snoozed: Option<Flag>,
    /// At most this many (default 200)
    #[param(value_type = u32, minimum = 1, maximum = 5000, required = false)]
    limit: Option<Limit<MAX_STALLED_LIMIT>>,
}

impl ParamGroup for StalledParams {
    const UNKNOWN: &'static str = "is not a filter of this list";
}

const DEFAULT_STALLED_LIMIT: u32 = 200;
const MAX_STALLED_LIMIT: u32 = 5000;

/// An alert level, 1 to 9.
#[derive(Debug, Clone, Copy)]
pub struct Level(u8);

impl std::str::FromStr for Level {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<u8>() {
            Ok(n) if (1..=9).contains(&n) => Ok(Level(n)),
            _ => Err("must be a level from 1 to 9"),
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

/// Stalled requests, most overdue first
#[utoipa::path(
    get, path = "/api/v1/alerts/stalled", operation_id = "listStalled", tag = "alerts",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(StalledParams),
    responses((status = 200, description = "The stalled requests", body = StalledList))
)]
async fn stalled(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    params: Params<StalledParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.0;
    let list = state
        .services
        .stalled(StalledQuery {
            country: p.country,
            level: p.level.map_or(0, |l| l.0),
            include_snoozed: p.include_snoozed.is_some_and(|f| f.0),
            limit: p.limit.map_or(DEFAULT_STALLED_LIMIT, |l| l.0) as usize,
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Record that we chased the requested state
///
/// Recorded in the history and shown in alerts. It does not re-arm the
/// clock: their silence is what is measured.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/follow-ups", operation_id = "addFollowUp", tag = "alerts",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    request_body = NewFollowUp,
    responses((status = 201, description = "The follow-up's event", body = Event))
)]
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

/// Silence the request's alerts until a day
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/snooze", operation_id = "snoozeRequest", tag = "alerts",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    request_body = Snooze,
    responses(
        (status = 201, description = "The snooze's event", body = Event),
        (status = 409, description = "The request is closed"),
    )
)]
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

/// Lift a snooze
#[utoipa::path(
    delete, path = "/api/v1/requests/{id}/snooze", operation_id = "unsnoozeRequest",
    tag = "alerts",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 409, description = "The request is not snoozed"),
    )
)]
async fn unsnooze(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let event = state.services.unsnooze(auth.user.id, id).await?;
    Ok(HttpResponse::Ok().json(event))
}

/// Whether a run only counts.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    dry_run: bool,
}

/// Run the alert scan now and send what is due
///
/// The same as the schedule does.
#[utoipa::path(
    post, path = "/api/v1/alerts/run", operation_id = "runAlerts", tag = "alerts",
    security(("bearer" = ["admin", "coordinator"])),
    request_body = RunBody,
    responses((status = 200, description = "What the run found and did", body = RunSummary))
)]
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

/// The outbox's filter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Only notifications whose digest is in this state
    #[param(value_type = DigestState, inline, required = false)]
    #[serde(default, deserialize_with = "digest_state")]
    state: Option<DigestState>,
}

impl ParamGroup for NotificationParams {
    const UNKNOWN: &'static str = "is not a filter of this list";
}

fn digest_state<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DigestState>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    text.parse()
        .map(Some)
        .map_err(|_| serde::de::Error::custom("must be pending, sent or failed"))
}

/// The outbox.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    /// Newest first.
    pub items: Vec<NotificationView>,
}

/// Notifications with their delivery state
#[utoipa::path(
    get, path = "/api/v1/alerts/notifications", operation_id = "listNotifications",
    tag = "alerts",
    security(("bearer" = ["admin", "coordinator"])),
    params(NotificationParams),
    responses((status = 200, description = "The notifications", body = NotificationList))
)]
async fn notifications(
    state: web::Data<AppState>,
    _: Authorized<RunAlerts>,
    params: Params<NotificationParams>,
) -> Result<HttpResponse, ApiError> {
    let items = state.services.notifications(params.0.state).await?;
    Ok(HttpResponse::Ok().json(NotificationList { items }))
}
