//! Stall alerts: the stalled list, running the scan and sending the
//! digests, the outbox, and what a clerk records against an alert
//! (follow-ups, snoozes). The scheduler calls the same operations as
//! `POST /alerts/run` and `mla-tracker alerts run`: [`Services::run_alerts`]
//! scans and sends, [`Services::scan`] only scans and records, leaving the
//! digests to a delivery loop ([`Services::deliver_alerts`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use validator::Validate;

use super::requests::lock_existing;
use super::{Error, Result, Services};
use crate::alerts::deliver::{Delivery, deliver_due};
use crate::alerts::outbox::{self, NotificationView};
use crate::alerts::run::{self, Run, RunSummary, Start};
use crate::alerts::scan::{self, Scope, Stalled, Walk};
use crate::db::alert_state::{self, FollowUp};
use crate::db::events::{Event, EventKind};
use crate::db::{now, requests};
use crate::domain::alert_rules::Rule;
use crate::domain::request::{Change, Changes};
use crate::domain::{CountryCode, FieldErrors, FollowUpChannel, Today, check_date};

/// We chased the requested state.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FollowUpBody)]
pub struct NewFollowUp {
    pub channel: FollowUpChannel,
    pub effective_date: NaiveDate,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub note: Option<String>,
}

/// Silence a request's alerts through `until` (inclusive).
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SnoozeBody)]
pub struct Snooze {
    pub until: NaiveDate,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// The longest a request can be silenced at once.
const MAX_SNOOZE_DAYS: u64 = 366;

/// The effective alert rules, after every configuration layer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertRules<'a> {
    pub enabled: bool,
    /// The cron schedule of the scan, as configured.
    pub schedule: &'a str,
    /// The zone "today" and the schedule are read in.
    pub timezone: &'a str,
    /// Named lists of addresses rules can notify (`list:NAME`).
    pub lists: &'a std::collections::BTreeMap<String, Vec<String>>,
    pub rules: &'a [Rule],
}

/// What the stalled list shows: which requests, from what level.
#[derive(Debug, Clone, Copy, Default)]
pub struct StalledQuery {
    pub country: Option<CountryCode>,
    /// The lowest level listed (0: all).
    pub level: u8,
    pub include_snoozed: bool,
    pub limit: usize,
}

/// Stalled requests, most urgent first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StalledList {
    /// Today in the alerts' time zone.
    pub as_of: NaiveDate,
    /// How many requests are stalled in all (`items` is cut at `limit`).
    pub total: usize,
    pub items: Vec<Stalled>,
}

/// Who ran the scan, as recorded with the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOrigin {
    Schedule,
    /// The emergency schedule: emergency requests only, mailed at once.
    Emergency,
    Api,
    Cli,
}

impl RunOrigin {
    fn as_str(self) -> &'static str {
        match self {
            RunOrigin::Schedule => "schedule",
            RunOrigin::Emergency => "emergency",
            RunOrigin::Api => "api",
            RunOrigin::Cli => "cli",
        }
    }
}

impl Services {
    pub fn alert_rules(&self) -> AlertRules<'_> {
        let alerts = &self.settings.alerts;
        AlertRules {
            enabled: alerts.enabled,
            schedule: alerts.schedule.source(),
            timezone: self.settings.office.timezone.name(),
            lists: &alerts.lists,
            rules: &alerts.rules.rules,
        }
    }

    /// The requests stalled today, most overdue first.
    pub async fn stalled(&self, query: StalledQuery) -> Result<StalledList> {
        let today = self.today();
        let rules = self.settings.alerts.rules.clone();
        let scope = Scope {
            include_snoozed: query.include_snoozed,
            country: query.country,
            emergencies_only: false,
        };
        let (total, items) = self
            .db
            .read(move |conn| {
                Ok::<_, Error>(scan::most_urgent(
                    conn,
                    &rules,
                    today,
                    scope,
                    query.level,
                    query.limit,
                )?)
            })
            .await?;
        Ok(StalledList {
            as_of: today.date,
            total,
            items,
        })
    }

    /// Scans now and, unless it is a dry run, sends every digest due: what
    /// the schedule does ([`Services::scan`], then
    /// [`Services::deliver_alerts`]).
    pub async fn run_alerts(
        self: &Arc<Self>,
        origin: RunOrigin,
        dry_run: bool,
    ) -> Result<RunSummary> {
        let mut summary = self.scan(origin, dry_run).await?;
        if !dry_run {
            (summary.emails_sent, summary.emails_failed) = self.deliver_alerts().await?;
        }
        Ok(summary)
    }

    /// Scans and records the new notifications; a dry run records nothing.
    /// The scan is read from one snapshot of the register
    /// ([`crate::db::pool::Db::snapshot`]), chunk by chunk, and what each
    /// chunk plans is recorded on the writer a slice at a time, each slice
    /// a transaction of its own ([`crate::alerts::run`]), so a clerk's save
    /// waits at most for one slice. Sends nothing: the
    /// digests wait in the outbox for a delivery loop — the next step of
    /// the schedule, or, for `mla-tracker alerts run` beside a `serve` that
    /// holds the SQLite database, that service's loop.
    pub async fn scan(self: &Arc<Self>, origin: RunOrigin, dry_run: bool) -> Result<RunSummary> {
        let at = self.today();
        let emergencies_only = origin == RunOrigin::Emergency;
        let start = Start {
            at,
            origin: origin.as_str(),
            emergencies_only,
            dry_run,
            lease: chrono::Duration::seconds(self.settings.alerts.run_lease_seconds as i64),
        };
        let begun = self
            .db
            .write(move |conn| Ok::<_, Error>(run::begin(conn, &start)?))
            .await?;
        let Some(run) = begun else {
            return Ok(RunSummary {
                as_of: Some(at.date),
                skipped_busy: true,
                ..RunSummary::default()
            });
        };
        let id = run.id().to_string();
        let scope = Scope {
            emergencies_only,
            ..Scope::default()
        };
        match self.record_scan(run, at, scope).await {
            Ok(summary) => Ok(summary),
            Err(e) => {
                let released = self
                    .db
                    .write(move |conn| Ok::<_, Error>(run::release_after_failure(conn, &id)?))
                    .await;
                if let Err(release) = released {
                    log::warn!("a failed alert run left for the next run to finish: {release}");
                }
                Err(e)
            }
        }
    }

    /// Walks the scan chunk by chunk, recording each a slice at a time, then
    /// finishes the run.
    async fn record_scan(
        self: &Arc<Self>,
        mut run: Run,
        at: Today,
        scope: Scope,
    ) -> Result<RunSummary> {
        let mut walk = Walk::new(&self.settings.alerts.rules, at, scope);
        let mut snapshot = self.db.snapshot().await?;
        loop {
            let services = self.clone();
            let (walked, chunk) = snapshot
                .read(move |conn| {
                    let alerts = &services.settings.alerts;
                    let chunk = walk.next_chunk(conn, &alerts.rules)?.map(|stalled| {
                        (
                            stalled.len(),
                            run::plan(&stalled, &alerts.rules, &alerts.lists),
                        )
                    });
                    Ok::<_, Error>((walk, chunk))
                })
                .await?;
            walk = walked;
            let Some((mut stalled, mut planned)) = chunk else {
                break;
            };
            // Recorded a slice at a time, each slice a write of its own, so
            // other writes take turns with the run's.
            loop {
                let rest = planned.split_off(planned.len().min(run::SLICE));
                let slice = std::mem::replace(&mut planned, rest);
                let recorded;
                (run, recorded) = self
                    .db
                    .write(move |conn| {
                        let recorded = run::record(conn, &mut run, stalled, &slice)?;
                        Ok::<_, Error>((run, recorded))
                    })
                    .await?;
                stalled = 0;
                if recorded > 0 {
                    test_pause().await;
                }
                if planned.is_empty() {
                    break;
                }
            }
        }
        self.db
            .write(move |conn| Ok::<_, Error>(run::finish(conn, run)?))
            .await
    }

    /// Sends every due digest, one deliverer at a time in this process (on
    /// PostgreSQL, row locks also keep other instances off the same
    /// digest). Runs on the background connection, so a slow mail server
    /// never holds the SQLite writer. Returns (sent, failed attempts).
    pub async fn deliver_alerts(self: &Arc<Self>) -> Result<(usize, usize)> {
        let at = self.today();
        let services = self.clone();
        self.db
            .background(move |conn| {
                let _one_at_a_time = services
                    .delivering
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let delivery = Delivery {
                    mailer: &services.mailer,
                    mail: &services.settings.mail,
                    alerts: &services.settings.alerts,
                    public_url: &services.settings.server.public_url,
                    at,
                };
                Ok(deliver_due(conn, &delivery, now())?)
            })
            .await
    }

    /// Notifications with their digest's delivery state, newest first.
    pub async fn notifications(
        &self,
        state: Option<outbox::DigestState>,
    ) -> Result<Vec<NotificationView>> {
        self.db
            .read(move |conn| Ok(outbox::list(conn, state)?))
            .await
    }

    /// Records that we chased the requested state. It does not re-arm any
    /// alert: their silence is what is measured.
    pub async fn add_follow_up(&self, actor: Uuid, id: Uuid, body: NewFollowUp) -> Result<Event> {
        let mut errors = FieldErrors::of(&body);
        if let Err(message) = check_date(body.effective_date, self.today()) {
            errors.add("effective_date", message);
        }
        errors.into_result()?;
        let follow_up = FollowUp {
            date: body.effective_date,
            channel: body.channel,
        };
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    lock_existing(conn, id)?;
                    let mut current = alert_state::get(conn, id)?;
                    let old = json!(current.last_follow_up);
                    // Logged late, an older chase does not hide a newer one.
                    if current
                        .last_follow_up
                        .as_ref()
                        .is_none_or(|last| last.date <= follow_up.date)
                    {
                        current.last_follow_up = Some(follow_up.clone());
                        alert_state::put(conn, id, &current)?;
                    }
                    let new = json!(current.last_follow_up);
                    let mut changes = Changes::new();
                    if old != new {
                        changes.insert("last_follow_up".into(), Change { old, new });
                    }
                    changes.insert(
                        "follow_up".into(),
                        Change {
                            old: serde_json::Value::Null,
                            new: json!({"channel": follow_up.channel}),
                        },
                    );
                    Ok(alert_state::append(
                        conn,
                        id,
                        actor,
                        EventKind::FollowUp,
                        follow_up.date,
                        &changes,
                        body.note.as_deref(),
                    )?)
                })
            })
            .await
    }

    /// Silences alerts on an open request through `until` (inclusive).
    pub async fn snooze(&self, actor: Uuid, id: Uuid, body: Snooze) -> Result<Event> {
        let mut errors = FieldErrors::of(&body);
        if body.reason.trim().is_empty() && !errors.0.contains_key("reason") {
            errors.add("reason", "must not be blank");
        }
        let today = self.today();
        if body.until < today.date {
            errors.add("until", "must not be in the past");
        } else if body.until > today.date + Days::new(MAX_SNOOZE_DAYS) {
            errors.add(
                "until",
                format!("must be within {MAX_SNOOZE_DAYS} days; snooze again later if needed"),
            );
        }
        errors.into_result()?;
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    lock_existing(conn, id)?;
                    let record =
                        requests::get(conn, id)?.ok_or_else(|| Error::not_found("request", id))?;
                    if record.lifecycle.status.closes() {
                        return Err(Error::Conflict(format!(
                            "the request is `{}`: a closed request raises no alerts to silence",
                            record.lifecycle.status
                        )));
                    }
                    let mut current = alert_state::get(conn, id)?;
                    let changes =
                        alert_state::snooze_changes(&current, Some(body.until), Some(&body.reason));
                    current.snoozed_until = Some(body.until);
                    current.snooze_reason = Some(body.reason.clone());
                    alert_state::put(conn, id, &current)?;
                    Ok(alert_state::append(
                        conn,
                        id,
                        actor,
                        EventKind::Snoozed,
                        today.date,
                        &changes,
                        Some(&body.reason),
                    )?)
                })
            })
            .await
    }

    /// Lifts a snooze; a conflict when the request is not snoozed.
    pub async fn unsnooze(&self, actor: Uuid, id: Uuid) -> Result<Event> {
        let today = self.today();
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    lock_existing(conn, id)?;
                    let mut current = alert_state::get(conn, id)?;
                    if current.snoozed_until.is_none() {
                        return Err(Error::Conflict(format!(
                            "request `{id}` is not snoozed: there is no snooze to lift"
                        )));
                    }
                    let changes = alert_state::snooze_changes(&current, None, None);
                    current.snoozed_until = None;
                    current.snooze_reason = None;
                    alert_state::put(conn, id, &current)?;
                    Ok(alert_state::append(
                        conn,
                        id,
                        actor,
                        EventKind::Unsnoozed,
                        today.date,
                        &changes,
                        None,
                    )?)
                })
            })
            .await
    }
}

/// A seam for the test that a save goes through while a run is under way
/// (tests/api/alert_steps.rs); compiled into debug builds only. With
/// `MLA_TEST_ALERT_RUN_PAUSE` naming a folder, a run stops after each write
/// in which it recorded a notification: it creates `paused` there and waits
/// until `resume` exists.
async fn test_pause() {
    #[cfg(debug_assertions)]
    if let Some(folder) = std::env::var_os("MLA_TEST_ALERT_RUN_PAUSE") {
        let folder = std::path::PathBuf::from(folder);
        if let Err(e) = std::fs::write(folder.join("paused"), b"") {
            log::warn!("MLA_TEST_ALERT_RUN_PAUSE: {e}");
            return;
        }
        while !folder.join("resume").exists() {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// Starts, on the current runtime, the schedulers (when `alerts.enabled`):
/// the scan at `alerts.schedule` and the emergency scan at
/// `alerts.emergency_schedule`, both read in `office.timezone`, each
/// followed by a delivery; and the delivery loop, which sends due digests
/// every `alerts.delivery_interval_seconds` so retries go out without
/// waiting for the next scan.
pub fn spawn_background(services: Arc<Services>) {
    if services.settings.alerts.enabled {
        let alerts = &services.settings.alerts;
        actix_web::rt::spawn(scheduler(
            services.clone(),
            alerts.schedule.clone(),
            RunOrigin::Schedule,
        ));
        actix_web::rt::spawn(scheduler(
            services.clone(),
            alerts.emergency_schedule.clone(),
            RunOrigin::Emergency,
        ));
    }
    actix_web::rt::spawn(delivery_loop(services));
}

/// How long until `schedule`'s next tick after the service's now, read in
/// `zone`. The wait is measured on the service's clock, so a pinned clock
/// (a demo, a test) ticks as the schedule says of that instant: every
/// interval of an every-second schedule, never for a weekday schedule
/// pinned on a Saturday.
pub fn until_next(
    schedule: &cron::Schedule,
    zone: chrono_tz::Tz,
    now: chrono::DateTime<Utc>,
) -> Option<Duration> {
    let next = schedule.after(&now.with_timezone(&zone)).next()?;
    Some(
        (next.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
}

async fn scheduler(services: Arc<Services>, schedule: cron::Schedule, origin: RunOrigin) {
    let zone = services.settings.office.timezone;
    loop {
        let Some(wait) = until_next(&schedule, zone, services.clock.now()) else {
            return;
        };
        actix_web::rt::time::sleep(wait).await;
        match services.scan(origin, false).await {
            Ok(s) => log::info!(
                "alert scan ({}): {} stalled, {} new notification(s) in {} digest(s)",
                origin.as_str(),
                s.stalled,
                s.notifications_created,
                s.digests_created
            ),
            Err(e) => log::error!("alert scan ({}) failed: {e}", origin.as_str()),
        }
        if let Err(e) = services.deliver_alerts().await {
            log::error!("alert delivery failed: {e}");
        }
    }
}

async fn delivery_loop(services: Arc<Services>) {
    let every = Duration::from_secs(services.settings.alerts.delivery_interval_seconds);
    loop {
        actix_web::rt::time::sleep(every).await;
        if let Err(e) = services.deliver_alerts().await {
            log::error!("alert delivery failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn the_emergency_scan_runs_on_a_saturday_and_the_morning_scan_waits_for_monday() {
        let alerts = Settings::defaults().alerts;
        let paris = chrono_tz::Europe::Paris;
        // Saturday 13 June 2026, 12:07 in Paris.
        let saturday: chrono::DateTime<Utc> = "2026-06-13T10:07:00Z".parse().unwrap();
        let emergency = until_next(&alerts.emergency_schedule, paris, saturday).unwrap();
        assert_eq!(emergency, Duration::from_secs(8 * 60), "12:15 the same day");
        let morning = until_next(&alerts.schedule, paris, saturday).unwrap();
        // Monday 08:00 in Paris is 06:00 UTC: 1 day, 19 hours, 53 minutes on.
        assert_eq!(morning, Duration::from_secs(((24 + 19) * 60 + 53) * 60));
        // 00:50 on Saturday 26 December in Paris, a holiday in Alsace: the
        // next quarter hour all the same.
        let holiday: chrono::DateTime<Utc> = "2026-12-25T23:50:00Z".parse().unwrap();
        assert_eq!(
            until_next(&alerts.emergency_schedule, paris, holiday),
            Some(Duration::from_secs(10 * 60))
        );
    }
}
