//! The history of a request: append-only events.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::now;
use super::schema::{request_events, users};
use super::{DbConnection, stored};
use crate::domain::Status;
use crate::domain::request::Changes;

/// What kind of change an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Updated,
    Transition,
    Note,
    FollowUp,
    Snoozed,
    Unsnoozed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Updated => "updated",
            EventKind::Transition => "transition",
            EventKind::Note => "note",
            EventKind::FollowUp => "follow_up",
            EventKind::Snoozed => "snoozed",
            EventKind::Unsnoozed => "unsnoozed",
        }
    }
}

impl std::str::FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "created" => EventKind::Created,
            "updated" => EventKind::Updated,
            "transition" => EventKind::Transition,
            "note" => EventKind::Note,
            "follow_up" => EventKind::FollowUp,
            "snoozed" => EventKind::Snoozed,
            "unsnoozed" => EventKind::Unsnoozed,
            other => return Err(format!("unknown event kind {other}")),
        })
    }
}

/// An event to append.
pub struct NewEvent<'a> {
    pub request_id: Uuid,
    pub kind: EventKind,
    pub actor_id: Uuid,
    pub effective_date: NaiveDate,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub changes: &'a Changes,
    pub note: Option<&'a str>,
}

/// Who acted, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    pub id: Uuid,
    pub name: String,
}

/// An event as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: Uuid,
    pub seq: i32,
    pub kind: EventKind,
    pub actor: Actor,
    pub recorded_at: DateTime<chrono::Utc>,
    pub effective_date: NaiveDate,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub changes: Value,
    pub note: Option<String>,
}

/// A `request_events` row, as written.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = request_events)]
pub struct EventRow {
    pub id: String,
    pub request_id: String,
    pub seq: i32,
    pub kind: &'static str,
    pub actor_id: String,
    pub recorded_at: NaiveDateTime,
    pub effective_date: NaiveDate,
    pub from_status: Option<&'static str>,
    pub to_status: Option<&'static str>,
    pub changes: String,
    pub note: Option<String>,
}

impl EventRow {
    /// The row for `event` at position `seq`, recorded at `recorded_at`.
    pub fn new(event: &NewEvent<'_>, seq: i32, recorded_at: NaiveDateTime) -> EventRow {
        EventRow {
            id: Uuid::new_v4().to_string(),
            request_id: event.request_id.to_string(),
            seq,
            kind: event.kind.as_str(),
            actor_id: event.actor_id.to_string(),
            recorded_at,
            effective_date: event.effective_date,
            from_status: event.from_status.map(Status::as_str),
            to_status: event.to_status.map(Status::as_str),
            changes: serde_json::to_string(event.changes).expect("changes serialise"),
            note: event.note.map(str::to_owned),
        }
    }
}

/// Appends an event after the request's last one. Callers hold the request's
/// row (they updated it in the same transaction), so `seq` cannot race.
pub fn append(conn: &mut DbConnection, event: NewEvent<'_>) -> QueryResult<()> {
    let last: Option<i32> = request_events::table
        .filter(request_events::request_id.eq(event.request_id.to_string()))
        .select(diesel::dsl::max(request_events::seq))
        .first(conn)?;
    diesel::insert_into(request_events::table)
        .values(EventRow::new(&event, last.unwrap_or(0) + 1, now()))
        .execute(conn)?;
    Ok(())
}

/// Appends an event and reads it back as the API shows it.
pub fn append_and_read(conn: &mut DbConnection, event: NewEvent<'_>) -> QueryResult<Event> {
    let request_id = event.request_id;
    append(conn, event)?;
    let mut all = list(conn, request_id)?;
    Ok(all.pop().expect("the event was just appended"))
}

type LoadedEvent = (
    String,
    i32,
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDate,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
);

/// The timeline of a request, oldest first.
pub fn list(conn: &mut DbConnection, request_id: Uuid) -> QueryResult<Vec<Event>> {
    let rows: Vec<LoadedEvent> = request_events::table
        .inner_join(users::table)
        .filter(request_events::request_id.eq(request_id.to_string()))
        .order(request_events::seq)
        .select((
            request_events::id,
            request_events::seq,
            request_events::kind,
            request_events::actor_id,
            users::name,
            request_events::recorded_at,
            request_events::effective_date,
            request_events::from_status,
            request_events::to_status,
            request_events::changes,
            request_events::note,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(
                id,
                seq,
                kind,
                actor_id,
                actor_name,
                recorded_at,
                effective_date,
                from,
                to,
                changes,
                note,
            )| {
                Ok(Event {
                    id: stored("request_events.id", &id)?,
                    seq,
                    kind: stored("request_events.kind", &kind)?,
                    actor: Actor {
                        id: stored("request_events.actor_id", &actor_id)?,
                        name: actor_name,
                    },
                    recorded_at: recorded_at.and_utc(),
                    effective_date,
                    from_status: from
                        .map(|s| stored("request_events.from_status", &s))
                        .transpose()?,
                    to_status: to
                        .map(|s| stored("request_events.to_status", &s))
                        .transpose()?,
                    changes: serde_json::from_str(&changes).map_err(|e| {
                        diesel::result::Error::DeserializationError(
                            format!("unreadable changes: {e}").into(),
                        )
                    })?,
                    note,
                })
            },
        )
        .collect()
}
