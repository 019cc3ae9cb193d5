//! `/meta/vocabularies` and the health probes.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::domain::{
    AbandonmentReason, Channel, CountryCode, LegalBasis, Measure, Offence, Priority, RefusalGround,
    Role, Status,
};
use crate::http::auth::{Authorized, SignedIn};
use crate::http::error::ApiError;
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;

pub fn routes(r: &mut Routes) {
    r.add("/meta/vocabularies", [routing::get(vocabularies)]);
}

/// Every vocabulary and the transition table, for clients and the web UI.
async fn vocabularies(_: Authorized<SignedIn>) -> HttpResponse {
    let transitions: serde_json::Map<String, Value> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(s.allowed_next())))
        .collect();
    let waiting_on: serde_json::Map<String, Value> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(s.waiting_on())))
        .collect();
    let countries: Vec<Value> = CountryCode::all()
        .map(|c| json!({"code": c, "name": c.name()}))
        .collect();
    HttpResponse::Ok().json(json!({
        "statuses": Status::names(),
        "transitions": transitions,
        "waiting_on": waiting_on,
        "channels": Channel::names(),
        "legal_bases": LegalBasis::names(),
        "offences": Offence::names(),
        "measures": Measure::names(),
        "abandonment_reasons": AbandonmentReason::names(),
        "refusal_grounds": RefusalGround::names(),
        "priorities": Priority::names(),
        "roles": Role::names(),
        "countries": countries,
    }))
}

/// Liveness: the process answers. Touches nothing else.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the database answers within `database.timeout_seconds`.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.services.check_database().await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": state.services.db.backend})))
}
