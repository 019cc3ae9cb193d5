//! Sends pending digests. A digest is marked sent only after the mail
//! server accepted it; a failure is retried with exponential backoff
//! (`alerts.retry_base_seconds`, doubling) until `alerts.max_attempts`, then
//! stays visible as `failed`. On PostgreSQL a digest is claimed with
//! `FOR UPDATE SKIP LOCKED`, so several instances never send the same one;
//! if the process dies mid-send the claim is released and the digest is sent
//! again later (at most the in-flight digest twice, same Message-ID).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use super::mail::{DigestLine, Mailer, Threshold, digest_message};
use super::outbox::DigestState;
use crate::config::{AlertSettings, MailSettings};
use crate::db::alert_state::{self, AlertColumns};
use crate::db::error::Result;
use crate::db::schema::{
    alert_digests as digests, alert_notifications as notes, request_alert_state as state, requests,
};
use crate::db::{DbConnection, stored};
use crate::domain::CountryCode;
use crate::domain::alert_rules::{Anchor, Trigger};

/// What delivery needs besides the database.
pub struct Delivery<'a> {
    pub mailer: &'a Mailer,
    pub mail: &'a MailSettings,
    /// The rules (for each line's threshold), the links' base, the retries.
    pub alerts: &'a AlertSettings,
    /// Today in the alerts' zone, for "days in status".
    pub today: NaiveDate,
}

/// Sends every digest due at `now`; returns (sent, failed attempts).
pub fn deliver_due(
    conn: &mut DbConnection,
    d: &Delivery<'_>,
    now: NaiveDateTime,
) -> Result<(usize, usize)> {
    let (mut sent, mut failed) = (0, 0);
    loop {
        let outcome = match conn {
            // Claimed under a row lock for the whole send: another instance
            // skips it; a crash releases it.
            DbConnection::Postgresql(_) => conn.transaction(|conn| -> Result<_> {
                let Some(due) = claim(conn, now, true)? else {
                    return Ok(None);
                };
                Ok(Some(send_and_mark(conn, d, now, &due)?))
            })?,
            // SQLite has one instance; no transaction is held while mailing.
            DbConnection::Sqlite(_) => match claim(conn, now, false)? {
                None => None,
                Some(due) => Some(send_and_mark(conn, d, now, &due)?),
            },
        };
        match outcome {
            None => return Ok((sent, failed)),
            Some(true) => sent += 1,
            Some(false) => failed += 1,
        }
    }
}

/// A digest due for sending.
#[derive(Queryable)]
struct Due {
    id: String,
    recipient: String,
    attempts: i32,
}

fn claim(conn: &mut DbConnection, now: NaiveDateTime, lock: bool) -> QueryResult<Option<Due>> {
    let due = digests::table
        .filter(digests::state.eq(DigestState::Pending.as_str()))
        .filter(digests::next_attempt_at.le(now))
        .order((digests::next_attempt_at, digests::id))
        .select((digests::id, digests::recipient, digests::attempts));
    match conn {
        DbConnection::Postgresql(pg) if lock => due.for_update().skip_locked().first(pg).optional(),
        _ => due.first(conn).optional(),
    }
}

/// Sends one digest and records the outcome; `Ok(true)` when accepted.
fn send_and_mark(
    conn: &mut DbConnection,
    d: &Delivery<'_>,
    now: NaiveDateTime,
    due: &Due,
) -> Result<bool> {
    let id = &due.id;
    let (lines, more) = digest_lines(conn, d, id)?;
    let result = digest_message(d.mail, &d.alerts.base_url, id, &due.recipient, &lines, more)
        .and_then(|message| d.mailer.send(&message));
    let attempts = due.attempts + 1;
    let row = digests::table.find(id);
    match result {
        Ok(()) => {
            diesel::update(row)
                .set((
                    digests::state.eq(DigestState::Sent.as_str()),
                    digests::attempts.eq(attempts),
                    digests::sent_at.eq(Some(now)),
                    digests::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
            Ok(true)
        }
        Err(error) => {
            log::warn!("alert digest {id}: attempt {attempts} failed: {error}");
            let give_up = attempts >= d.alerts.max_attempts as i32;
            let delay = d
                .alerts
                .retry_base_seconds
                .saturating_mul(1 << (attempts - 1).min(20));
            diesel::update(row)
                .set((
                    digests::state.eq(if give_up {
                        DigestState::Failed
                    } else {
                        DigestState::Pending
                    }
                    .as_str()),
                    digests::attempts.eq(attempts),
                    digests::next_attempt_at.eq(now + chrono::Duration::seconds(delay as i64)),
                    digests::last_error.eq(Some(error)),
                ))
                .execute(conn)?;
            Ok(false)
        }
    }
}

/// One notification of a digest, with what its line shows of the request.
#[derive(Queryable)]
struct LineRow {
    rule: String,
    request_id: String,
    level: i32,
    overdue_days: i32,
    episode: NaiveDate,
    reference: String,
    country: String,
    status: String,
    status_since: NaiveDate,
    needed_by: Option<NaiveDate>,
    alert: AlertColumns,
}

/// Requests listed in one email at most; the rest are counted ("and N
/// more") and the stalled list behind the link has them all. A first run
/// over a large backlog would otherwise mail a supervisor tens of thousands
/// of lines.
pub const DIGEST_MAX_LINES: i64 = 200;

/// The digest's most urgent requests (highest level, then most overdue),
/// each once at its highest level, and how many more it holds.
fn digest_lines(
    conn: &mut DbConnection,
    d: &Delivery<'_>,
    digest_id: &str,
) -> Result<(Vec<DigestLine>, usize)> {
    use diesel::dsl::{count, max};
    let requests_in_digest: i64 = notes::table
        .filter(notes::digest_id.eq(digest_id))
        .select(count(notes::request_id).aggregate_distinct())
        .first(conn)?;
    let most_urgent: Vec<String> = notes::table
        .filter(notes::digest_id.eq(digest_id))
        .group_by(notes::request_id)
        .select(notes::request_id)
        .order((
            max(notes::level).desc(),
            max(notes::overdue_days).desc(),
            notes::request_id,
        ))
        .limit(DIGEST_MAX_LINES)
        .load(conn)?;
    let rows: Vec<LineRow> = notes::table
        .inner_join(requests::table.left_join(state::table))
        .filter(notes::digest_id.eq(digest_id))
        .filter(notes::request_id.eq_any(&most_urgent))
        .select((
            notes::rule,
            notes::request_id,
            notes::level,
            notes::overdue_days,
            notes::episode,
            requests::reference,
            requests::target_country,
            requests::status,
            requests::status_since,
            requests::needed_by,
            (
                state::snoozed_until.nullable(),
                state::snooze_reason.nullable(),
                state::last_follow_up_on.nullable(),
                state::last_follow_up_channel.nullable(),
            ),
        ))
        .load(conn)?;
    let mut best: BTreeMap<String, DigestLine> = BTreeMap::new();
    for row in rows {
        let LineRow {
            rule,
            request_id,
            level,
            overdue_days,
            episode,
            reference,
            country,
            status,
            status_since,
            needed_by,
            alert,
        } = row;
        let level = level.clamp(0, 9) as u8;
        if best.get(&request_id).is_some_and(|l| l.level >= level) {
            continue;
        }
        let days_in_status = (d.today - status_since).num_days();
        let threshold = match d
            .alerts
            .rules
            .rules
            .iter()
            .find(|r| r.name == rule)
            .map(|r| r.trigger)
        {
            Some(Trigger::Deadline {
                days_before_needed_by,
            }) => Threshold::Deadline {
                days_before: days_before_needed_by.into(),
                needed_by: needed_by.unwrap_or(d.today),
            },
            Some(Trigger::Stalled { after_days, from }) => Threshold::Stalled {
                after_days: after_days.into(),
                from,
            },
            Some(Trigger::Hours { after_hours }) => Threshold::Hours {
                after_hours: after_hours.into(),
            },
            // The episode of a preservation rule is the expiry date.
            Some(Trigger::Preservation { .. }) => Threshold::Preservation {
                expires_on: episode,
                days_left: (episode - d.today).num_days(),
            },
            // The rule was removed from the configuration since.
            None => Threshold::Stalled {
                after_days: days_in_status - i64::from(overdue_days),
                from: Anchor::StatusSince,
            },
        };
        let country_name = CountryCode::parse(&country)
            .map(|c| c.name())
            .unwrap_or("?")
            .to_string();
        let line = DigestLine {
            request_id: stored::<Uuid>("request_id", &request_id)?,
            reference,
            country_name,
            status: stored("status", &status)?,
            days_in_status,
            rule,
            level,
            threshold,
            last_follow_up: alert_state::from_columns(alert)?.last_follow_up,
        };
        best.insert(request_id, line);
    }
    let mut lines: Vec<DigestLine> = best.into_values().collect();
    lines.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(b.days_in_status.cmp(&a.days_in_status))
    });
    let more = (requests_in_digest as usize).saturating_sub(lines.len());
    Ok((lines, more))
}
