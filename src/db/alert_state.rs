//! Snoozes and follow-ups: the alert state kept beside a request, each change
//! recorded in its history.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::events::{self, Event, EventKind, NewEvent};
use super::now;
use super::schema::request_alert_state as state;
use super::{DbConnection, stored};
use crate::domain::FollowUpChannel;
use crate::domain::request::{Change, Changes};

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

/// A request's row of `request_alert_state`, as stored; all empty for a
/// request without one (it never had a snooze or a follow-up). Joins read
/// the four columns `.nullable()`, in this order.
#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = state)]
pub struct AlertColumns {
    snoozed_until: Option<NaiveDate>,
    snooze_reason: Option<String>,
    last_follow_up_on: Option<NaiveDate>,
    last_follow_up_channel: Option<String>,
}

/// Builds the state from its columns (also used by the stalled scan's and
/// the digests' joins).
pub fn from_columns(row: AlertColumns) -> QueryResult<AlertState> {
    let last_follow_up = match (row.last_follow_up_on, row.last_follow_up_channel) {
        (Some(date), Some(channel)) => Some(FollowUp {
            date,
            channel: stored("request_alert_state.last_follow_up_channel", &channel)?,
        }),
        _ => None,
    };
    Ok(AlertState {
        snoozed_until: row.snoozed_until,
        snooze_reason: row.snooze_reason,
        last_follow_up,
    })
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> QueryResult<AlertState> {
    let row = state::table
        .find(id.to_string())
        .select(AlertColumns::as_select())
        .first(conn)
        .optional()?;
    from_columns(row.unwrap_or_default())
}

/// Writes the state; the caller holds the request's lock.
pub fn put(conn: &mut DbConnection, id: Uuid, s: &AlertState) -> QueryResult<()> {
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

/// What a snooze (or lifting one) changes, for the history.
pub fn snooze_changes(
    current: &AlertState,
    until: Option<NaiveDate>,
    reason: Option<&str>,
) -> Changes {
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

/// Appends an alert event (no status change) to the request's history.
pub fn append(
    conn: &mut DbConnection,
    id: Uuid,
    actor: Uuid,
    kind: EventKind,
    effective_date: NaiveDate,
    changes: &Changes,
    note: Option<&str>,
) -> QueryResult<Event> {
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
    events::append_and_read(conn, event)
}
