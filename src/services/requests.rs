//! The register: creating, reading, changing and moving requests, the case
//! each is filed under, their links, their notes and their history.

use base64::Engine;
use chrono::{Datelike, NaiveDate};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use super::cases::file_under;
use super::{Error, Result, Services};
use crate::db::events::{self, Event, EventKind, NewEvent};
use crate::db::links::{self, LinkRow};
use crate::db::requests::{self as store, After, Filters, PageQuery, Position, SortKey};
use crate::db::{Backend, DbConnection};
use crate::domain::link::{Direction, NewLink, RequestLink};
use crate::domain::milestone::{MilestoneCommand, MilestoneError, apply_milestone};
use crate::domain::request::{
    Change, Changes, MlaRequest, NewRequest, Patched, apply_patch, patch_errors,
};
use crate::domain::transition::{TransitionCommand, TransitionError, apply_transition};
use crate::domain::{FieldErrors, Today, check_date};

/// A note for a request's history.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NoteBody)]
pub struct NewNote {
    #[validate(length(min = 1, max = 10000))]
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// When what the note records happened; today when left out.
    #[serde(default)]
    pub effective_date: Option<NaiveDate>,
}

/// A list of the register: filters, order, page size and where to start.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filters: Filters,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: i64,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of requests and the cursor of the next one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Page)]
pub struct RequestPage {
    pub items: Vec<MlaRequest>,
    pub next_cursor: Option<String>,
}

/// What a cursor carries: the query's order, so that a cursor cannot be
/// replayed against another, and the position.
#[derive(Serialize, Deserialize)]
struct CursorData {
    sort: SortKey,
    desc: bool,
    #[serde(flatten)]
    position: Position,
}

const MALFORMED_CURSOR: &str = "the cursor is malformed; start again without it";

impl Services {
    /// Records a new request (a draft, or one already sent) with its
    /// `created` event; a reference is generated when none is given. It is
    /// filed under the case it names by id, or by reference — a case found,
    /// or opened with the request's description when no case has that
    /// reference.
    pub async fn create_request(
        &self,
        actor: Uuid,
        body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<MlaRequest> {
        let today = self.today();
        let new = NewRequest::from_json(body, today)?;
        let year = self.clock.now().year();
        self.db
            .write_grouped(move |conn| insert_request(conn, new, actor, year, today))
            .await
    }

    pub async fn get_request(&self, id: Uuid) -> Result<MlaRequest> {
        self.db.read(move |conn| existing(conn, id)).await
    }

    /// Applies a JSON merge patch of the descriptive fields if the record is
    /// still at version `expected`; a patch that changes nothing returns the
    /// record as it is, without a new version or event.
    pub async fn update_request(
        &self,
        actor: Uuid,
        id: Uuid,
        expected: i32,
        patch: serde_json::Map<String, serde_json::Value>,
    ) -> Result<MlaRequest> {
        let today = self.today();
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    let current = existing(conn, id)?;
                    patch_errors(&patch).into_result()?;
                    if current.version != expected {
                        return Err(Error::PreconditionFailed {
                            current: current.version,
                        });
                    }
                    patch_record(conn, current, patch, actor, today, None)
                })
            })
            .await
    }

    /// Moves a request to another status, checked against the record as it
    /// is when the change is written. With `expected`, a record at another
    /// version is refused.
    pub async fn transition_request(
        &self,
        actor: Uuid,
        id: Uuid,
        expected: Option<i32>,
        cmd: TransitionCommand,
    ) -> Result<MlaRequest> {
        // Field rules first: a malformed command is refused whatever the
        // version (a stale If-Match must not hide it).
        FieldErrors::of(&cmd).into_result()?;
        let today = self.today();
        self.change_lifecycle(id, expected, move |current| {
            let done = apply_transition(current, &cmd, today).map_err(|e| match e {
                TransitionError::NotAllowed { from, to, allowed } => {
                    Error::TransitionNotAllowed { from, to, allowed }
                }
                TransitionError::Invalid(fields) => Error::Validation(fields),
            })?;
            Ok(LifecycleChange {
                kind: EventKind::Transition,
                actor,
                effective_date: cmd.effective_date,
                to_status: Some(cmd.to),
                note: cmd.note.clone(),
                record: MlaRequest {
                    fields: done.fields,
                    lifecycle: done.lifecycle,
                    ..current.clone()
                },
                changes: done.changes,
            })
        })
        .await
    }

    /// Records a milestone (receipt, recognition, extension): dates of the
    /// requested state's acts that do not change the status.
    pub async fn record_milestone(
        &self,
        actor: Uuid,
        id: Uuid,
        expected: Option<i32>,
        cmd: MilestoneCommand,
    ) -> Result<MlaRequest> {
        FieldErrors::of(&cmd).into_result()?;
        let today = self.today();
        self.change_lifecycle(id, expected, move |current| {
            let (lifecycle, changes) =
                apply_milestone(current, &cmd, today).map_err(|e| match e {
                    MilestoneError::NotSent => Error::Conflict(
                        "the request has not been sent; record its sending first".into(),
                    ),
                    MilestoneError::Invalid(fields) => Error::Validation(fields),
                })?;
            Ok(LifecycleChange {
                kind: EventKind::Milestone,
                actor,
                effective_date: cmd.effective_date,
                to_status: None,
                note: cmd.note.clone(),
                record: MlaRequest {
                    lifecycle,
                    ..current.clone()
                },
                changes,
            })
        })
        .await
    }

    /// Saves what `change` makes of the record as it is when the change is
    /// written: a concurrent writer makes it re-read and re-check, never
    /// apply a change to a stale record. With `expected`, a record at
    /// another version is refused instead.
    async fn change_lifecycle(
        &self,
        id: Uuid,
        expected: Option<i32>,
        change: impl Fn(&MlaRequest) -> Result<LifecycleChange> + Send + 'static,
    ) -> Result<MlaRequest> {
        self.db
            .write(move |conn| {
                for _ in 0..CHANGE_ATTEMPTS {
                    if let Some(saved) =
                        conn.transaction(|conn| try_change(conn, id, expected, &change))?
                    {
                        return Ok(saved);
                    }
                }
                Err(Error::Conflict(
                    "the request is being changed by others; try again".into(),
                ))
            })
            .await
    }

    /// Appends a note to a request's history; the record does not change.
    pub async fn add_note(&self, actor: Uuid, id: Uuid, note: NewNote) -> Result<Event> {
        let today = self.today();
        let mut errors = FieldErrors::of(&note);
        if note.text.trim().is_empty() {
            errors.add("text", "must not be blank");
        }
        if let Some(Err(message)) = note.effective_date.map(|d| check_date(d, today)) {
            errors.add("effective_date", message);
        }
        errors.into_result()?;
        let date = note.effective_date.unwrap_or(today.date);
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    lock_existing(conn, id)?;
                    let event = NewEvent {
                        request_id: id,
                        kind: EventKind::Note,
                        actor_id: actor,
                        effective_date: date,
                        from_status: None,
                        to_status: None,
                        changes: &Changes::new(),
                        note: Some(&note.text),
                    };
                    Ok(events::append_and_read(conn, event)?)
                })
            })
            .await
    }

    /// Links request `id` to another (`{id} supersedes {to}`…), recorded in
    /// both histories; at most one link joins two requests.
    pub async fn add_link(&self, actor: Uuid, id: Uuid, link: NewLink) -> Result<RequestLink> {
        if link.to == id {
            return Err(Error::field("to", "a request cannot be linked to itself"));
        }
        let today = self.today();
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    lock_pair(conn, id, link.to)?;
                    if let Some(existing) = links::between(conn, id, link.to)? {
                        return Err(Error::Conflict(format!(
                            "the two requests are already linked ({}): remove that link \
                             (DELETE /api/v1/requests/{id}/links/{}) before making another",
                            describe(conn, &existing)?,
                            existing.id
                        )));
                    }
                    let row = LinkRow {
                        id: crate::db::new_id().to_string(),
                        from_request_id: id.to_string(),
                        to_request_id: link.to.to_string(),
                        kind: link.kind.as_str().to_string(),
                        created_by: actor.to_string(),
                        created_at: crate::db::now(),
                    };
                    links::insert(conn, &row)?;
                    record_link(conn, &row, EventKind::Linked, actor, today)?;
                    Ok(RequestLink {
                        id: stored_id(&row.id)?,
                        kind: link.kind,
                        direction: Direction::Outgoing,
                        request_id: link.to,
                        reference: reference_of(conn, link.to)?,
                    })
                })
            })
            .await
    }

    /// Removes a link of request `id` (either end), recorded in both
    /// histories; returns request `id`'s `unlinked` event.
    pub async fn remove_link(&self, actor: Uuid, id: Uuid, link_id: Uuid) -> Result<Event> {
        let today = self.today();
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    lock_existing(conn, id)?;
                    let row = links::get(conn, link_id)?
                        .filter(|row| {
                            row.from_request_id == id.to_string()
                                || row.to_request_id == id.to_string()
                        })
                        .ok_or_else(|| {
                            Error::NotFound(format!("request `{id}` has no link `{link_id}`"))
                        })?;
                    let other = if row.from_request_id == id.to_string() {
                        &row.to_request_id
                    } else {
                        &row.from_request_id
                    };
                    lock_existing(conn, stored_id(other)?)?;
                    links::delete(conn, link_id)?;
                    record_link(conn, &row, EventKind::Unlinked, actor, today)?;
                    Ok(events::list(conn, id)?
                        .pop()
                        .expect("an event was just appended"))
                })
            })
            .await
    }

    /// A request's history, oldest first.
    pub async fn request_events(&self, id: Uuid) -> Result<Vec<Event>> {
        self.db
            .read(move |conn| {
                existing(conn, id)?;
                Ok(events::list(conn, id)?)
            })
            .await
    }

    /// One page of the register.
    pub async fn list_requests(&self, query: ListQuery) -> Result<RequestPage> {
        let after = match &query.cursor {
            None => None,
            Some(text) => Some(decode_cursor(text, query.sort, query.descending)?),
        };
        let (sort, desc) = (query.sort, query.descending);
        let page = PageQuery {
            filters: query.filters,
            sort,
            descending: desc,
            limit: query.limit,
            after,
        };
        let (items, next) = self.db.read(move |conn| store::page(conn, &page)).await?;
        let next_cursor = next.map(|position| {
            let data = serde_json::to_vec(&CursorData {
                sort,
                desc,
                position,
            })
            .expect("cursors serialise");
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
        });
        Ok(RequestPage { items, next_cursor })
    }
}

/// Where the page after `cursor` starts; the cursor must be one this
/// service made for the same order.
fn decode_cursor(text: &str, sort: SortKey, descending: bool) -> Result<After> {
    let data: CursorData =
        super::cursor::decode(text).ok_or(Error::InvalidCursor(MALFORMED_CURSOR))?;
    if (data.sort, data.desc) != (sort, descending) {
        return Err(Error::InvalidCursor(
            "the cursor belongs to another sort order; start again without it",
        ));
    }
    if data.position.id.parse::<Uuid>().is_err() {
        return Err(Error::InvalidCursor(MALFORMED_CURSOR));
    }
    data.position.start(sort).ok_or(Error::InvalidCursor(
        "the cursor is not valid for this query; start again without it",
    ))
}

/// The request, or a 404 naming it.
fn existing(conn: &mut DbConnection, id: Uuid) -> Result<MlaRequest> {
    store::get(conn, id)?.ok_or_else(|| Error::not_found("request", id))
}

/// Takes the request's row lock, or a 404 naming it.
pub(super) fn lock_existing(conn: &mut DbConnection, id: Uuid) -> Result<()> {
    if store::lock(conn, id)? {
        Ok(())
    } else {
        Err(Error::not_found("request", id))
    }
}

/// Takes the row locks of two requests, in id order (so two linkers of the
/// same pair cannot deadlock): 404 for the request of the path, 422 naming
/// `to` for the other, as for any field that names a missing record.
fn lock_pair(conn: &mut DbConnection, id: Uuid, to: Uuid) -> Result<()> {
    for one in if id < to { [id, to] } else { [to, id] } {
        if !store::lock(conn, one)? {
            return Err(if one == id {
                Error::not_found("request", id)
            } else {
                Error::field("to", format!("no request with id `{to}`"))
            });
        }
    }
    Ok(())
}

fn stored_id(text: &str) -> Result<Uuid> {
    text.parse()
        .map_err(|e| Error::Internal(anyhow::anyhow!("a stored id `{text}`: {e}")))
}

fn reference_of(conn: &mut DbConnection, id: Uuid) -> Result<String> {
    Ok(existing(conn, id)?.reference)
}

/// `MLA-2026-00002 supersedes MLA-2026-00001`, for messages.
fn describe(conn: &mut DbConnection, row: &LinkRow) -> Result<String> {
    Ok(format!(
        "{} {} {}",
        reference_of(conn, stored_id(&row.from_request_id)?)?,
        row.kind,
        reference_of(conn, stored_id(&row.to_request_id)?)?
    ))
}

/// Appends a `linked` or `unlinked` event to both ends' histories: the
/// link as each end shows it, as the change.
fn record_link(
    conn: &mut DbConnection,
    row: &LinkRow,
    kind: EventKind,
    actor: Uuid,
    today: Today,
) -> Result<()> {
    let from = stored_id(&row.from_request_id)?;
    let to = stored_id(&row.to_request_id)?;
    let link_kind = row.kind()?;
    for (this, other, direction) in [
        (from, to, Direction::Outgoing),
        (to, from, Direction::Incoming),
    ] {
        let shown = serde_json::to_value(RequestLink {
            id: stored_id(&row.id)?,
            kind: link_kind,
            direction,
            request_id: other,
            reference: reference_of(conn, other)?,
        })
        .expect("links serialise");
        let change = match kind {
            EventKind::Linked => Change {
                old: serde_json::Value::Null,
                new: shown,
            },
            _ => Change {
                old: shown,
                new: serde_json::Value::Null,
            },
        };
        events::append(
            conn,
            NewEvent {
                request_id: this,
                kind,
                actor_id: actor,
                effective_date: today.date,
                from_status: None,
                to_status: None,
                changes: &Changes::from([("link".to_string(), change)]),
                note: None,
            },
        )?;
    }
    Ok(())
}

fn insert_request(
    conn: &mut DbConnection,
    new: NewRequest,
    actor: Uuid,
    year: i32,
    today: Today,
) -> Result<MlaRequest> {
    // A case named by id is checked before a reference is reserved, so a
    // refused creation spends no number (checked again when filing).
    if let Some(id) = new.case.id {
        super::cases::check_choice(conn, &new.case, id)?;
    }
    let reserved = match (&new.reference, conn.backend()) {
        (None, Backend::Postgres) => Some(store::reserve_reference(conn, year)?),
        _ => None,
    };
    conn.transaction(|conn| insert_record(conn, new, reserved, actor, year, today, None))
}

/// Writes a new request, its `created` event (with `note`) and, when its
/// case reference is new, its case; the caller holds the transaction. Its
/// reference is the one given, else `reserved`, else the next free one.
pub(super) fn insert_record(
    conn: &mut DbConnection,
    new: NewRequest,
    reserved: Option<String>,
    actor: Uuid,
    year: i32,
    today: Today,
    note: Option<&str>,
) -> Result<MlaRequest> {
    let record = numbered_and_filed(conn, new, reserved, actor, year, today)?;
    store::insert(conn, &record, note)?;
    Ok(record)
}

/// A new request as it will be written: its reference (the one given,
/// else `reserved`, else the next free one) and its case (found, or opened
/// now), not yet inserted; the caller holds the transaction.
pub(super) fn numbered_and_filed(
    conn: &mut DbConnection,
    new: NewRequest,
    reserved: Option<String>,
    actor: Uuid,
    year: i32,
    today: Today,
) -> Result<MlaRequest> {
    let reference = match (new.reference, reserved) {
        (Some(reference), _) => {
            if store::reference_taken(conn, &reference)? {
                return Err(Error::Conflict(format!(
                    "reference `{reference}` is already used"
                )));
            }
            reference
        }
        (None, Some(reserved)) => reserved,
        (None, None) => store::next_reference(conn, year)?,
    };
    let now = crate::db::now().and_utc();
    let mut record = MlaRequest {
        id: crate::db::new_id(),
        reference,
        case_id: Uuid::nil(),
        case_reference: String::new(),
        fields: new.fields,
        lifecycle: new.lifecycle,
        links: Vec::new(),
        version: 1,
        created_by: actor,
        created_at: now,
        updated_at: now,
    };
    let case = file_under(conn, &new.case, &record, actor, today)?;
    record.case_id = case.id;
    record.case_reference = case.fields.case_reference;
    Ok(record)
}

/// Applies a merge patch of the descriptive fields to `current` (read in
/// this transaction, its version checked by the caller) and saves it with
/// an `updated` event carrying `note`; a patch that changes nothing returns
/// the record as it is, without a new version or event.
pub(super) fn patch_record(
    conn: &mut DbConnection,
    current: MlaRequest,
    patch: serde_json::Map<String, serde_json::Value>,
    actor: Uuid,
    today: Today,
    note: Option<&str>,
) -> Result<MlaRequest> {
    let id = current.id;
    let expected = current.version;
    let Patched {
        fields,
        mut changes,
        move_to,
    } = apply_patch(&current, patch)?;
    let mut updated = MlaRequest {
        fields,
        ..current.clone()
    };
    if let Some(choice) = move_to {
        let case = file_under(conn, &choice, &updated, actor, today)?;
        let mut record_change = |name: &str, old: serde_json::Value, new: serde_json::Value| {
            if old != new {
                changes.insert(name.to_string(), Change { old, new });
            }
        };
        record_change(
            "case_id",
            serde_json::json!(current.case_id),
            serde_json::json!(case.id),
        );
        record_change(
            "case_reference",
            serde_json::json!(current.case_reference),
            serde_json::json!(case.fields.case_reference),
        );
        updated.case_id = case.id;
        updated.case_reference = case.fields.case_reference;
    }
    if changes.is_empty() {
        return Ok(current);
    }
    let event = NewEvent {
        request_id: id,
        kind: EventKind::Updated,
        actor_id: actor,
        effective_date: today.date,
        from_status: None,
        to_status: None,
        changes: &changes,
        note,
    };
    store::save(conn, &updated, expected, event)?.ok_or(Error::PreconditionFailed {
        current: expected + 1,
    })
}

/// How often a change is retried when another writer saved the record
/// between our read and our write (only possible on PostgreSQL).
const CHANGE_ATTEMPTS: usize = 3;

/// A checked change of a record's lifecycle, and its event.
struct LifecycleChange {
    kind: EventKind,
    actor: Uuid,
    effective_date: NaiveDate,
    to_status: Option<crate::domain::Status>,
    note: Option<String>,
    record: MlaRequest,
    changes: Changes,
}

/// One attempt: `None` when another writer saved the record first.
fn try_change(
    conn: &mut DbConnection,
    id: Uuid,
    expected: Option<i32>,
    change: &impl Fn(&MlaRequest) -> Result<LifecycleChange>,
) -> Result<Option<MlaRequest>> {
    let current = existing(conn, id)?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(Error::PreconditionFailed {
            current: current.version,
        });
    }
    let done = change(&current)?;
    let event = NewEvent {
        request_id: id,
        kind: done.kind,
        actor_id: done.actor,
        effective_date: done.effective_date,
        from_status: done.to_status.map(|_| current.lifecycle.status),
        to_status: done.to_status,
        changes: &done.changes,
        note: done.note.as_deref(),
    };
    Ok(store::save(conn, &done.record, current.version, event)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(sort: SortKey, desc: bool, value: Option<&str>, id: &str) -> String {
        let data = CursorData {
            sort,
            desc,
            position: Position {
                value: value.map(str::to_string),
                id: id.to_string(),
            },
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap())
    }

    #[test]
    fn a_cursor_serves_only_the_order_it_was_made_for() {
        let nil = Uuid::nil().to_string();
        let by_reference = cursor(SortKey::Reference, false, Some("A"), &nil);
        assert_eq!(
            decode_cursor(&by_reference, SortKey::Reference, false).unwrap(),
            After::Text("A".into(), nil.clone())
        );
        let invalid = |text: &str, sort, desc| {
            matches!(
                decode_cursor(text, sort, desc),
                Err(Error::InvalidCursor(_))
            )
        };
        assert!(
            invalid(&by_reference, SortKey::Reference, true),
            "another direction"
        );
        assert!(
            invalid("garbage", SortKey::Reference, false),
            "not base64 JSON"
        );
        let not_an_id = cursor(SortKey::Reference, false, Some("A"), "1; DROP TABLE");
        assert!(invalid(&not_an_id, SortKey::Reference, false));
        let not_a_date = cursor(SortKey::StatusSince, false, Some("soon"), &nil);
        assert!(invalid(&not_a_date, SortKey::StatusSince, false));
        let among_drafts = cursor(SortKey::SentAt, true, None, &nil);
        assert_eq!(
            decode_cursor(&among_drafts, SortKey::SentAt, true).unwrap(),
            After::Draft(nil)
        );
    }
}
