//! `/alerts`: the stall rules in force.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::auth::{Authorized, ReadCases};
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/alerts/rules", web::get().to(rules));
}

/// The effective rules, after every configuration layer.
async fn rules(state: web::Data<AppState>, _: Authorized<ReadCases>) -> HttpResponse {
    let alerts = &state.settings.alerts;
    HttpResponse::Ok().json(json!({
        "enabled": alerts.enabled,
        "schedule": alerts.schedule,
        "timezone": alerts.timezone,
        "lists": alerts.lists,
        "rules": state.rules.rules,
    }))
}
