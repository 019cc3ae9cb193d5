//! The background side of alerts inside `serve`: the scheduler runs the scan
//! at `alerts.schedule` (read in `alerts.timezone`), and the delivery loop
//! sends due digests every `alerts.delivery_interval_seconds`, so retries go
//! out without waiting for the next scan.

use std::time::Duration;

use actix_web::web;
use chrono::Utc;

use super::deliver::{Delivery, deliver_due};
use super::run::{RunSummary, run};
use crate::db::now;
use crate::error::ApiError;
use crate::startup::AppState;

/// Starts the scheduler (when `alerts.enabled`) and the delivery loop on the
/// current runtime.
pub fn spawn(state: web::Data<AppState>) {
    if state.settings.alerts.enabled {
        actix_web::rt::spawn(scheduler(state.clone()));
    }
    actix_web::rt::spawn(delivery_loop(state));
}

async fn scheduler(state: web::Data<AppState>) {
    let alerts = &state.settings.alerts;
    loop {
        let Some(next) = alerts.schedule.upcoming(alerts.timezone).next() else {
            return;
        };
        let wait = (next.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or_default();
        actix_web::rt::time::sleep(wait).await;
        match scan(&state, "schedule", false).await {
            Ok(s) => log::info!(
                "alert scan: {} stalled, {} new notification(s) in {} digest(s)",
                s.stalled,
                s.notifications_created,
                s.digests_created
            ),
            Err(e) => log::error!("alert scan failed: {e}"),
        }
        if let Err(e) = deliver(&state).await {
            log::error!("alert delivery failed: {e}");
        }
    }
}

async fn delivery_loop(state: web::Data<AppState>) {
    let every = Duration::from_secs(state.settings.alerts.delivery_interval_seconds);
    loop {
        actix_web::rt::time::sleep(every).await;
        if let Err(e) = deliver(&state).await {
            log::error!("alert delivery failed: {e}");
        }
    }
}

/// Scans now (on the writer: the decision is one write transaction).
pub async fn scan(
    state: &web::Data<AppState>,
    origin: &'static str,
    dry_run: bool,
) -> Result<RunSummary, ApiError> {
    let today = state.clock.today_in(state.zone);
    let app = state.clone();
    state
        .db
        .write(move |conn| {
            run(
                conn,
                &app.rules,
                &app.settings.alerts.lists,
                today,
                origin,
                dry_run,
            )
        })
        .await
}

/// Sends every due digest, one deliverer at a time in this process (on
/// PostgreSQL, row locks also keep other instances off the same digest).
/// Runs on the background connection, so a slow mail server never holds the
/// SQLite writer.
pub async fn deliver(state: &web::Data<AppState>) -> Result<(usize, usize), ApiError> {
    let today = state.clock.today_in(state.zone);
    let app = state.clone();
    state
        .db
        .background(move |conn| {
            let _one_at_a_time = app
                .delivering
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let delivery = Delivery {
                mailer: &app.mailer,
                mail: &app.settings.mail,
                alerts: &app.settings.alerts,
                rules: &app.rules,
                today,
            };
            deliver_due(conn, &delivery, now())
        })
        .await
}
