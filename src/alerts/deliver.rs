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

use super::mail::{Digest, DigestLine, Mailer, Wait, digest_message};
use super::outbox::DigestState;
use crate::config::{AlertSettings, MailSettings};
use crate::db::alert_state;
use crate::db::error::Result;
use crate::db::preservations::{self, Watcher};
use crate::db::schema::{alert_digests as digests, alert_notifications as notes, alert_runs};
use crate::db::{DbConnection, requests, stored, users};
use crate::domain::Today;
use crate::domain::alert_rules::{Anchor, Candidate, Trigger};
use crate::domain::legal_deadline::legal_deadlines;
use crate::domain::request::MlaRequest;

/// What delivery needs besides the database.
pub struct Delivery<'a> {
    pub mailer: &'a Mailer,
    pub mail: &'a MailSettings,
    /// The rules (for each line's threshold) and the retries.
    pub alerts: &'a AlertSettings,
    /// Where the pages the emails link to are (`server.public_url`).
    pub public_url: &'a str,
    /// The office's present, for waits and days left.
    pub at: Today,
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
        // A run's digests are still being written until it has finished.
        .filter(diesel::dsl::exists(
            alert_runs::table
                .filter(alert_runs::id.eq(digests::run_id))
                .filter(alert_runs::finished_at.is_not_null()),
        ))
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
    let language = users::language_of_email(conn, &due.recipient)?.unwrap_or(d.mail.language);
    let digest = Digest {
        language,
        public_url: d.public_url,
        today: d.at.date,
        now: d.at.now,
        lines: &lines,
        more,
    };
    let result = digest_message(d.mail, &digest, id, &due.recipient)
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

/// One notification of a digest.
#[derive(Queryable)]
struct NoteRow {
    rule: String,
    request_id: String,
    level: i32,
    overdue_days: i32,
    episode: NaiveDate,
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
    let rows: Vec<NoteRow> = notes::table
        .filter(notes::digest_id.eq(digest_id))
        .filter(notes::request_id.eq_any(&most_urgent))
        .select((
            notes::rule,
            notes::request_id,
            notes::level,
            notes::overdue_days,
            notes::episode,
        ))
        .load(conn)?;
    let mut best: BTreeMap<String, NoteRow> = BTreeMap::new();
    for row in rows {
        // The highest level; among its rules, the most overdue.
        if best
            .get(&row.request_id)
            .is_none_or(|kept| (kept.level, kept.overdue_days) < (row.level, row.overdue_days))
        {
            best.insert(row.request_id.clone(), row);
        }
    }
    let mut lines = Vec::with_capacity(best.len());
    for note in best.into_values() {
        if let Some(line) = digest_line(conn, d, note)? {
            lines.push(line);
        }
    }
    lines.sort_by(|a, b| b.level.cmp(&a.level).then(b.wait_days.cmp(&a.wait_days)));
    let more = (requests_in_digest as usize).saturating_sub(lines.len());
    Ok((lines.into_iter().map(|l| l.line).collect(), more))
}

/// A line with what it is sorted by.
struct Ranked {
    line: DigestLine,
    level: u8,
    wait_days: i64,
}

/// The line of one notification, from the request as it stands now;
/// `None` if the request is gone.
fn digest_line(conn: &mut DbConnection, d: &Delivery<'_>, note: NoteRow) -> Result<Option<Ranked>> {
    let id = stored::<Uuid>("request_id", &note.request_id)?;
    let Some(request) = requests::get(conn, id)? else {
        return Ok(None);
    };
    let last_follow_up = alert_state::get(conn, id)?.last_follow_up;
    let candidate = Candidate::of(&request);
    let life = &request.lifecycle;
    let rule = d.alerts.rules.rules.iter().find(|r| r.name == note.rule);
    let wait = match rule.map(|r| (r, r.trigger)) {
        Some((rule, Trigger::Stalled { after_days, from })) => {
            let stall = rule.stall_threshold(&candidate);
            let since = stall.map_or(note.episode, |s| s.anchor);
            Wait::Days {
                from,
                since,
                after_days: after_days.into(),
                due: stall.map_or(since + chrono::Days::new(after_days.into()), |s| {
                    s.threshold
                }),
            }
        }
        Some((_, Trigger::Hours { after_hours })) => Wait::Hours {
            since: life
                .sent_time
                .unwrap_or_else(|| d.at.start_of(life.sent_at.unwrap_or(note.episode))),
            after_hours: after_hours.into(),
        },
        Some((_, Trigger::Deadline { .. })) => Wait::NeededBy {
            needed_by: request.fields.needed_by.unwrap_or(note.episode),
        },
        // The episode of a preservation rule is the expiry date.
        Some((_, Trigger::Preservation { .. })) => Wait::Preservation {
            holder: preserved_by(conn, &request, note.episode)?,
            expires_on: note.episode,
        },
        // The rule was removed from the configuration since.
        None => {
            let after_days =
                (d.at.date - life.status_since).num_days() - i64::from(note.overdue_days);
            Wait::Days {
                from: Anchor::StatusSince,
                since: life.status_since,
                after_days,
                due: life.status_since + chrono::Days::new(after_days.max(0) as u64),
            }
        }
    };
    let wait_days = match &wait {
        Wait::Days { since, .. } => (d.at.date - *since).num_days(),
        Wait::Hours { since, .. } => (d.at.now - *since).num_days(),
        Wait::NeededBy { needed_by } => (d.at.date - *needed_by).num_days(),
        Wait::Preservation { expires_on, .. } => (d.at.date - *expires_on).num_days(),
    };
    let level = note.level.clamp(0, 9) as u8;
    let line = DigestLine {
        request_id: id,
        legal_deadlines: legal_deadlines(
            &candidate,
            &request.fields.measures,
            request.fields.priority,
        ),
        reference: request.reference,
        case_reference: request.case_reference,
        title: request.fields.title,
        magistrate: request.fields.issuing_magistrate,
        priority: request.fields.priority,
        country: request.fields.target_country,
        status: life.status,
        status_since: life.status_since,
        sent_at: life.sent_at,
        level,
        wait,
        last_follow_up,
    };
    Ok(Some(Ranked {
        line,
        level,
        wait_days,
    }))
}

/// Who holds the data that expires on `expires_on` for the request (its
/// own preservation or its case's for its country).
fn preserved_by(
    conn: &mut DbConnection,
    request: &MlaRequest,
    expires_on: NaiveDate,
) -> Result<String> {
    let (id, case_id) = (request.id.to_string(), request.case_id.to_string());
    let watcher = Watcher {
        request_id: &id,
        case_id: &case_id,
        country: request.fields.target_country.as_str(),
    };
    let due = preservations::due_for(conn, &[watcher], expires_on)?;
    Ok(due
        .get(&id)
        .and_then(|all| all.iter().find(|p| p.expires_on == expires_on))
        .map(|p| p.holder.clone())
        .unwrap_or_else(|| "?".into()))
}
