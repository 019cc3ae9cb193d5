//! Data preservations: recording one for a request or a case, renewing
//! and releasing it, reading and listing them. Every change is an event in
//! the history of what the preservation belongs to.

use diesel::Connection;
use serde_json::json;
use uuid::Uuid;

use super::{Error, Result, Services};
use crate::db::DbConnection;
use crate::db::cases as cases_store;
use crate::db::events::EventKind;
use crate::db::preservations::{self as store, Filters, PreservationEvent};
use crate::db::requests as requests_store;
use crate::domain::FieldErrors;
use crate::domain::preservation::{
    NewPreservation, Owner, Preservation, PreservationView, Release, Renewal, RenewalRecord, Term,
    TermError, release, renew,
};

/// The most preservations one list returns.
pub const LIST_LIMIT: i64 = 1000;

impl Services {
    /// Records a preservation for a request or a case: 422 naming
    /// `request_id` or `case_id` when it names no existing one.
    pub async fn record_preservation(
        &self,
        actor: Uuid,
        body: NewPreservation,
    ) -> Result<PreservationView> {
        let today = self.today();
        let checked = body.check(today)?;
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    lock_owner(conn, checked.owner)?;
                    let now = crate::db::now().and_utc();
                    let (request_id, case_id) = match checked.owner {
                        Owner::Request(id) => (Some(id), None),
                        Owner::Case(id) => (None, Some(id)),
                    };
                    let p = Preservation {
                        id: crate::db::new_id(),
                        request_id,
                        case_id,
                        holder: body.holder.trim().to_string(),
                        country: body.country,
                        legal_basis: body.legal_basis,
                        sent_at: body.sent_at,
                        expires_on: checked.expires_on,
                        released_on: None,
                        version: 1,
                        created_by: actor,
                        created_at: now,
                        updated_at: now,
                    };
                    let changes = store::recorded_changes(&p);
                    store::insert(
                        conn,
                        &p,
                        PreservationEvent {
                            kind: EventKind::PreservationRecorded,
                            actor_id: actor,
                            effective_date: p.sent_at,
                            changes: &changes,
                            note: body.note.as_deref(),
                        },
                    )?;
                    Ok(PreservationView::of(p, Vec::new(), today.date))
                })
            })
            .await
    }

    /// Extends a preservation (history kept); with `expected`, a
    /// preservation at another version is refused (412).
    pub async fn renew_preservation(
        &self,
        actor: Uuid,
        id: Uuid,
        expected: Option<i32>,
        body: Renewal,
    ) -> Result<PreservationView> {
        FieldErrors::of(&body).into_result()?;
        let today = self.today();
        self.change_preservation(id, expected, move |p| {
            let term = renew(p.term(), &body, today).map_err(term_error)?;
            let record = RenewalRecord {
                effective_date: body.effective_date,
                previous_expires_on: p.expires_on,
                expires_on: term.expires_on,
                recorded_by: actor,
                recorded_at: crate::db::now().and_utc(),
            };
            Ok(Changed {
                term,
                renewal: Some(record),
                kind: EventKind::PreservationRenewed,
                actor,
                effective_date: body.effective_date,
                field: ("expires_on", json!(p.expires_on), json!(term.expires_on)),
                note: body.note.clone(),
            })
        })
        .await
    }

    /// Records that the holder may delete the data.
    pub async fn release_preservation(
        &self,
        actor: Uuid,
        id: Uuid,
        expected: Option<i32>,
        body: Release,
    ) -> Result<PreservationView> {
        FieldErrors::of(&body).into_result()?;
        let today = self.today();
        self.change_preservation(id, expected, move |p| {
            let term = release(p.term(), &body, today).map_err(term_error)?;
            let on = term.released_on.expect("released");
            Ok(Changed {
                term,
                renewal: None,
                kind: EventKind::PreservationReleased,
                actor,
                effective_date: on,
                field: ("released_on", json!(null), json!(on)),
                note: body.note.clone(),
            })
        })
        .await
    }

    pub async fn get_preservation(&self, id: Uuid) -> Result<PreservationView> {
        let today = self.today().date;
        self.db
            .read(move |conn| {
                let p = existing(conn, id)?;
                Ok(views(conn, vec![p], today)?.remove(0))
            })
            .await
    }

    /// Preservations, soonest expiry first; `expiring_within` days keeps
    /// those not released that expire by then (expired ones included).
    pub async fn list_preservations(
        &self,
        expiring_within: Option<u32>,
        request_id: Option<Uuid>,
        case_id: Option<Uuid>,
    ) -> Result<Vec<PreservationView>> {
        let today = self.today().date;
        let filters = Filters {
            expiring_by: expiring_within.map(|days| today + chrono::Days::new(days.into())),
            request_id,
            case_id,
        };
        self.db
            .read(move |conn| {
                let found = store::list(conn, &filters, LIST_LIMIT)?;
                views(conn, found, today)
            })
            .await
    }

    /// Saves what `change` makes of the preservation as it is when the
    /// change is written, with its event in the owner's history.
    async fn change_preservation(
        &self,
        id: Uuid,
        expected: Option<i32>,
        change: impl FnOnce(&Preservation) -> Result<Changed> + Send + 'static,
    ) -> Result<PreservationView> {
        let today = self.today().date;
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    let current = existing(conn, id)?;
                    lock_owner(conn, current.owner())?;
                    if expected.is_some_and(|v| v != current.version) {
                        return Err(Error::PreconditionFailed {
                            current: current.version,
                        });
                    }
                    let done = change(&current)?;
                    let (name, old, new) = done.field;
                    let changes = store::term_changes(current.id, name, old, new);
                    let updated = Preservation {
                        expires_on: done.term.expires_on,
                        released_on: done.term.released_on,
                        ..current.clone()
                    };
                    let saved = store::save(
                        conn,
                        &updated,
                        current.version,
                        done.renewal.as_ref(),
                        PreservationEvent {
                            kind: done.kind,
                            actor_id: done.actor,
                            effective_date: done.effective_date,
                            changes: &changes,
                            note: done.note.as_deref(),
                        },
                    )?
                    .ok_or(Error::PreconditionFailed {
                        current: current.version + 1,
                    })?;
                    let mut views = views(conn, vec![saved], today)?;
                    Ok(views.remove(0))
                })
            })
            .await
    }
}

/// The preservations of a case's detail: its own and its requests'.
pub(super) fn preservations_of_case(
    conn: &mut DbConnection,
    case_id: Uuid,
    today: chrono::NaiveDate,
) -> Result<Vec<PreservationView>> {
    let found = store::of_case(conn, case_id)?;
    views(conn, found, today)
}

/// A checked change of a preservation's term, and its event.
struct Changed {
    term: Term,
    renewal: Option<RenewalRecord>,
    kind: EventKind,
    actor: Uuid,
    effective_date: chrono::NaiveDate,
    /// The field the event shows changing: name, old, new.
    field: (&'static str, serde_json::Value, serde_json::Value),
    note: Option<String>,
}

fn term_error(e: TermError) -> Error {
    match e {
        TermError::Released(on) => Error::Conflict(format!(
            "the preservation was released on {on}; record a new one to preserve again"
        )),
        TermError::Invalid(fields) => Error::Validation(fields),
    }
}

fn existing(conn: &mut DbConnection, id: Uuid) -> Result<Preservation> {
    store::get(conn, id)?.ok_or_else(|| Error::not_found("preservation", id))
}

/// Locks what the preservation belongs to, so its history is appended one
/// event at a time; 422 naming the field when it does not exist.
fn lock_owner(conn: &mut DbConnection, owner: Owner) -> Result<()> {
    let found = match owner {
        Owner::Request(id) => requests_store::lock(conn, id)?,
        Owner::Case(id) => cases_store::lock(conn, id)?,
    };
    if found {
        Ok(())
    } else {
        Err(match owner {
            Owner::Request(id) => Error::field("request_id", format!("no request with id `{id}`")),
            Owner::Case(id) => Error::field("case_id", format!("no case with id `{id}`")),
        })
    }
}

fn views(
    conn: &mut DbConnection,
    found: Vec<Preservation>,
    today: chrono::NaiveDate,
) -> Result<Vec<PreservationView>> {
    let ids: Vec<String> = found.iter().map(|p| p.id.to_string()).collect();
    let mut renewals = store::renewals_of(conn, &ids)?;
    Ok(found
        .into_iter()
        .map(|p| {
            let r = renewals.remove(&p.id.to_string()).unwrap_or_default();
            PreservationView::of(p, r, today)
        })
        .collect())
}
