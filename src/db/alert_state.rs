//! Snoozes and follow-ups: the alert state kept beside a request, each change
//! recorded in its history.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::events::{self, Event, EventKind, NewEvent};
use super::now;
use super::requests::{self, lock};
use super::schema::request_alert_state as state;
use super::{DbConnection, stored};
use crate::domain::request::{Change, Changes};
use crate::domain::{FollowUpChannel, Today};
use crate::error::ApiError;

/// The last time we chased the requested state.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FollowUp {
    pub date: NaiveDate,
    pub channel: FollowUpChannel,
}

/// A request's alert state; all empty when nothing was ever recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlertState {
    pub snoozed_until: Option<NaiveDate>,
    pub snooze_reason: Option<String>,
    pub last_follow_up: Option<FollowUp>,
}

type Row = (
    Option<NaiveDate>,
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
);

/// Builds the state from its columns (also used by the stalled scan's join).
pub fn from_columns(row: Row) -> QueryResult<AlertState> {
    let (snoozed_until, snooze_reason, follow_up_on, follow_up_channel) = row;
    let last_follow_up = match (follow_up_on, follow_up_channel) {
        (Some(date), Some(channel)) => Some(FollowUp {
            date,
            channel: stored("request_alert_state.last_follow_up_channel", &channel)?,
        }),
        _ => None,
    };
    Ok(AlertState {
        snoozed_until,
        snooze_reason,
        last_follow_up,
    })
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> QueryResult<AlertState> {
    let row: Option<Row> = state::table
        .find(id.to_string())
        .select((
            state::snoozed_until,
            state::snooze_reason,
            state::last_follow_up_on,
            state::last_follow_up_channel,
        ))
        .first(conn)
        .optional()?;
    row.map(from_columns)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Writes the state; the caller holds the request's lock.
fn put(conn: &mut DbConnection, id: Uuid, s: &AlertState) -> QueryResult<()> {
    let values = (
        state::snoozed_until.eq(s.snoozed_until),
        state::snooze_reason.eq(s.snooze_reason.as_deref()),
        state::last_follow_up_on.eq(s.last_follow_up.as_ref().map(|f| f.date)),
        state::last_follow_up_channel.eq(s.last_follow_up.as_ref().map(|f| f.channel.as_str())),
        state::updated_at.eq(now()),
    );
    let updated = diesel::update(state::table.find(id.to_string()))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(state::table)
            .values((state::request_id.eq(id.to_string()), values))
            .execute(conn)?;
    }
    Ok(())
}

/// Records that we chased the requested state. It does not re-arm any
/// alert: their silence is what is measured.
pub fn record_follow_up(
    conn: &mut DbConnection,
    id: Uuid,
    actor: Uuid,
    follow_up: FollowUp,
    note: Option<&str>,
) -> Result<Event, ApiError> {
    conn.transaction(|conn| {
        lock(conn, id)?;
        let mut current = get(conn, id)?;
        let old = json!(current.last_follow_up);
        // Logged late, an older chase does not hide a newer one.
        if current
            .last_follow_up
            .as_ref()
            .is_none_or(|last| last.date <= follow_up.date)
        {
            current.last_follow_up = Some(follow_up.clone());
            put(conn, id, &current)?;
        }
        let new = json!(current.last_follow_up);
        let mut changes = Changes::new();
        if old != new {
            changes.insert("last_follow_up".into(), Change { old, new });
        }
        let detail = json!({"channel": follow_up.channel});
        changes.insert(
            "follow_up".into(),
            Change {
                old: serde_json::Value::Null,
                new: detail,
            },
        );
        append(
            conn,
            id,
            actor,
            EventKind::FollowUp,
            follow_up.date,
            &changes,
            note,
        )
    })
}

/// Silences alerts on the request through `until` (inclusive).
pub fn snooze(
    conn: &mut DbConnection,
    id: Uuid,
    actor: Uuid,
    until: NaiveDate,
    reason: &str,
    today: Today,
) -> Result<Event, ApiError> {
    conn.transaction(|conn| {
        lock(conn, id)?;
        let record = requests::get(conn, id)?;
        if record.lifecycle.status.closes() {
            return Err(ApiError::Conflict(format!(
                "the request is `{}`: a closed request raises no alerts to silence",
                record.lifecycle.status
            )));
        }
        let mut current = get(conn, id)?;
        let changes = snooze_changes(&current, Some(until), Some(reason));
        current.snoozed_until = Some(until);
        current.snooze_reason = Some(reason.to_string());
        put(conn, id, &current)?;
        append(
            conn,
            id,
            actor,
            EventKind::Snoozed,
            today.earliest,
            &changes,
            Some(reason),
        )
    })
}

/// Lifts a snooze; 404 when the request is not snoozed.
pub fn unsnooze(
    conn: &mut DbConnection,
    id: Uuid,
    actor: Uuid,
    today: Today,
) -> Result<Event, ApiError> {
    conn.transaction(|conn| {
        lock(conn, id)?;
        let mut current = get(conn, id)?;
        if current.snoozed_until.is_none() {
            return Err(ApiError::NotFound(format!("request `{id}` is not snoozed")));
        }
        let changes = snooze_changes(&current, None, None);
        current.snoozed_until = None;
        current.snooze_reason = None;
        put(conn, id, &current)?;
        append(
            conn,
            id,
            actor,
            EventKind::Unsnoozed,
            today.earliest,
            &changes,
            None,
        )
    })
}

fn snooze_changes(current: &AlertState, until: Option<NaiveDate>, reason: Option<&str>) -> Changes {
    let mut changes = Changes::new();
    for (field, old, new) in [
        ("snoozed_until", json!(current.snoozed_until), json!(until)),
        ("snooze_reason", json!(current.snooze_reason), json!(reason)),
    ] {
        if old != new {
            changes.insert(field.into(), Change { old, new });
        }
    }
    changes
}

fn append(
    conn: &mut DbConnection,
    id: Uuid,
    actor: Uuid,
    kind: EventKind,
    effective_date: NaiveDate,
    changes: &Changes,
    note: Option<&str>,
) -> Result<Event, ApiError> {
    let event = NewEvent {
        request_id: id,
        kind,
        actor_id: actor,
        effective_date,
        from_status: None,
        to_status: None,
        changes,
        note,
    };
    Ok(events::append_and_read(conn, event)?)
}
