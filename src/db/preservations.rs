//! Storage of data preservations: insert, read, save with optimistic
//! locking, their renewals (append-only), the list by expiry, and what the
//! alert scan asks — the preservations its requests watch. Each change's
//! event goes into the history of what the preservation belongs to.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use super::error::Result;
use super::events::{self, EventKind, NewCaseEvent, NewEvent};
use super::schema::{preservation_renewals, preservations};
use super::{DbConnection, now, stored};
use crate::domain::CountryCode;
use crate::domain::alert_rules::PreservationDue;
use crate::domain::preservation::{Owner, Preservation, RenewalRecord};
use crate::domain::request::Change;
use crate::domain::request::Changes;

/// A `preservations` row, column for column.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = preservations,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct PreservationRow {
    pub id: String,
    pub request_id: Option<String>,
    pub case_id: Option<String>,
    pub holder: String,
    pub country: String,
    pub legal_basis: String,
    pub sent_at: NaiveDate,
    pub expires_on: NaiveDate,
    pub released_on: Option<NaiveDate>,
    pub version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl PreservationRow {
    pub fn from_record(p: &Preservation) -> PreservationRow {
        PreservationRow {
            id: p.id.to_string(),
            request_id: p.request_id.map(|id| id.to_string()),
            case_id: p.case_id.map(|id| id.to_string()),
            holder: p.holder.clone(),
            country: p.country.to_string(),
            legal_basis: p.legal_basis.as_str().to_string(),
            sent_at: p.sent_at,
            expires_on: p.expires_on,
            released_on: p.released_on,
            version: p.version,
            created_by: p.created_by.to_string(),
            created_at: p.created_at.naive_utc(),
            updated_at: p.updated_at.naive_utc(),
        }
    }

    pub fn into_record(self) -> QueryResult<Preservation> {
        let id = |column: &'static str, value: Option<String>| {
            value.map(|v| stored::<Uuid>(column, &v)).transpose()
        };
        Ok(Preservation {
            id: stored("preservations.id", &self.id)?,
            request_id: id("preservations.request_id", self.request_id)?,
            case_id: id("preservations.case_id", self.case_id)?,
            holder: self.holder,
            country: country(&self.country)?,
            legal_basis: stored("preservations.legal_basis", &self.legal_basis)?,
            sent_at: self.sent_at,
            expires_on: self.expires_on,
            released_on: self.released_on,
            version: self.version,
            created_by: stored("preservations.created_by", &self.created_by)?,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// A `preservation_renewals` row: the `seq`-th renewal of a preservation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = preservation_renewals)]
pub struct RenewalRow {
    pub preservation_id: String,
    pub seq: i32,
    pub effective_date: NaiveDate,
    pub previous_expires_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

impl RenewalRow {
    pub fn from_record(preservation_id: Uuid, seq: i32, r: &RenewalRecord) -> RenewalRow {
        RenewalRow {
            preservation_id: preservation_id.to_string(),
            seq,
            effective_date: r.effective_date,
            previous_expires_on: r.previous_expires_on,
            expires_on: r.expires_on,
            recorded_by: r.recorded_by.to_string(),
            recorded_at: r.recorded_at.naive_utc(),
        }
    }

    pub fn into_record(self) -> QueryResult<RenewalRecord> {
        Ok(RenewalRecord {
            effective_date: self.effective_date,
            previous_expires_on: self.previous_expires_on,
            expires_on: self.expires_on,
            recorded_by: stored("preservation_renewals.recorded_by", &self.recorded_by)?,
            recorded_at: self.recorded_at.and_utc(),
        })
    }
}

/// What the `preservation_recorded` event shows changing: the new
/// preservation, from nothing.
pub fn recorded_changes(p: &Preservation) -> Changes {
    Changes::from([(
        "preservation".to_string(),
        Change {
            old: serde_json::Value::Null,
            new: serde_json::json!({
                "id": p.id, "holder": p.holder, "country": p.country,
                "legal_basis": p.legal_basis, "sent_at": p.sent_at,
                "expires_on": p.expires_on,
            }),
        },
    )])
}

/// What a `preservation_renewed` or `preservation_released` event shows
/// changing: the preservation's id (unchanged, to say which) and `field`.
pub fn term_changes(
    id: Uuid,
    field: &str,
    old: serde_json::Value,
    new: serde_json::Value,
) -> Changes {
    Changes::from([
        (
            "preservation_id".to_string(),
            Change {
                old: serde_json::json!(id),
                new: serde_json::json!(id),
            },
        ),
        (field.to_string(), Change { old, new }),
    ])
}

fn country(code: &str) -> QueryResult<CountryCode> {
    CountryCode::parse(code).map_err(|e| diesel::result::Error::DeserializationError(e.into()))
}

/// An event of a preservation, for the history of what it belongs to.
pub struct PreservationEvent<'a> {
    pub kind: EventKind,
    pub actor_id: Uuid,
    pub effective_date: NaiveDate,
    pub changes: &'a Changes,
    pub note: Option<&'a str>,
}

/// Appends `event` to the chain of `owner`.
fn append_event(conn: &mut DbConnection, owner: Owner, event: PreservationEvent<'_>) -> Result<()> {
    match owner {
        Owner::Request(request_id) => events::append(
            conn,
            NewEvent {
                request_id,
                kind: event.kind,
                actor_id: event.actor_id,
                effective_date: event.effective_date,
                from_status: None,
                to_status: None,
                changes: event.changes,
                note: event.note,
            },
        )?,
        Owner::Case(case_id) => events::append_case(
            conn,
            NewCaseEvent {
                case_id,
                kind: event.kind,
                actor_id: event.actor_id,
                effective_date: event.effective_date,
                changes: event.changes,
                note: event.note,
            },
        )?,
    }
    Ok(())
}

/// Inserts `p` and its event.
pub fn insert(
    conn: &mut DbConnection,
    p: &Preservation,
    event: PreservationEvent<'_>,
) -> Result<()> {
    diesel::insert_into(preservations::table)
        .values(PreservationRow::from_record(p))
        .execute(conn)?;
    append_event(conn, p.owner(), event)
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Preservation>> {
    preservations::table
        .find(id.to_string())
        .select(PreservationRow::as_select())
        .first(conn)
        .optional()?
        .map(PreservationRow::into_record)
        .transpose()
        .map_err(Into::into)
}

/// Writes `p` if the stored version is still `expected`, with its event
/// and, for a renewal, the renewal's row; `Ok(None)`: someone saved first.
pub fn save(
    conn: &mut DbConnection,
    p: &Preservation,
    expected: i32,
    renewal: Option<&RenewalRecord>,
    event: PreservationEvent<'_>,
) -> Result<Option<Preservation>> {
    let mut saved = p.clone();
    saved.version = expected + 1;
    saved.updated_at = now().and_utc();
    let updated = diesel::update(
        preservations::table
            .find(p.id.to_string())
            .filter(preservations::version.eq(expected)),
    )
    .set(PreservationRow::from_record(&saved))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    if let Some(r) = renewal {
        let seq: i64 = preservation_renewals::table
            .filter(preservation_renewals::preservation_id.eq(p.id.to_string()))
            .count()
            .get_result(conn)?;
        diesel::insert_into(preservation_renewals::table)
            .values(RenewalRow::from_record(p.id, seq as i32 + 1, r))
            .execute(conn)?;
    }
    append_event(conn, p.owner(), event)?;
    Ok(Some(saved))
}

/// The renewals of each of `ids`, oldest first.
pub fn renewals_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<RenewalRecord>>> {
    let rows: Vec<RenewalRow> = preservation_renewals::table
        .filter(preservation_renewals::preservation_id.eq_any(ids))
        .order((
            preservation_renewals::preservation_id,
            preservation_renewals::seq,
        ))
        .select(RenewalRow::as_select())
        .load(conn)?;
    let mut out: HashMap<String, Vec<RenewalRecord>> = HashMap::new();
    for row in rows {
        let id = row.preservation_id.clone();
        out.entry(id).or_default().push(row.into_record()?);
    }
    Ok(out)
}

/// Which preservations a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Not released, expiring on or before this date (expired included).
    pub expiring_by: Option<NaiveDate>,
    pub request_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
}

/// Preservations, soonest expiry first, at most `limit`.
pub fn list(conn: &mut DbConnection, filters: &Filters, limit: i64) -> Result<Vec<Preservation>> {
    let mut query = preservations::table
        .select(PreservationRow::as_select())
        .order((preservations::expires_on, preservations::id))
        .limit(limit)
        .into_boxed();
    if let Some(by) = filters.expiring_by {
        query = query
            .filter(preservations::released_on.is_null())
            .filter(preservations::expires_on.le(by));
    }
    if let Some(id) = filters.request_id {
        query = query.filter(preservations::request_id.eq(id.to_string()));
    }
    if let Some(id) = filters.case_id {
        query = query.filter(preservations::case_id.eq(id.to_string()));
    }
    query
        .load(conn)?
        .into_iter()
        .map(|row| row.into_record().map_err(Into::into))
        .collect()
}

/// The preservations a case's detail shows: its own and its requests',
/// soonest to expire first. Two queries, one per index: joined by `OR`,
/// neither backend could use them, and each page read every preservation.
pub fn of_case(conn: &mut DbConnection, case_id: Uuid) -> Result<Vec<Preservation>> {
    use super::schema::requests;
    let own_requests = requests::table
        .filter(requests::case_id.eq(case_id.to_string()))
        .select(requests::id.nullable());
    let mut rows = preservations::table
        .filter(preservations::case_id.eq(case_id.to_string()))
        .select(PreservationRow::as_select())
        .load(conn)?;
    rows.extend(
        preservations::table
            .filter(preservations::request_id.eq_any(own_requests))
            .select(PreservationRow::as_select())
            .load(conn)?,
    );
    rows.sort_by(|a, b| (a.expires_on, &a.id).cmp(&(b.expires_on, &b.id)));
    rows.into_iter()
        .map(|row| row.into_record().map_err(Into::into))
        .collect()
}

/// A scanned request, as the preservations it watches are matched to it.
pub struct Watcher<'a> {
    pub request_id: &'a str,
    pub case_id: &'a str,
    pub country: &'a str,
}

/// For each of `watchers`, the preservations not released that expire on or
/// before `by`: its own, and its case's for its country.
pub fn due_for(
    conn: &mut DbConnection,
    watchers: &[Watcher<'_>],
    by: NaiveDate,
) -> QueryResult<HashMap<String, Vec<PreservationDue>>> {
    let mut out: HashMap<String, Vec<PreservationDue>> = HashMap::new();
    if watchers.is_empty() {
        return Ok(out);
    }
    let request_ids: Vec<&str> = watchers.iter().map(|w| w.request_id).collect();
    let case_ids: Vec<&str> = watchers.iter().map(|w| w.case_id).collect();
    // One query for each partial index (a preservation is a request's or a
    // case's, never both): with an `OR`, the database would walk every
    // unreleased preservation by expiry instead.
    let unreleased = || {
        preservations::table
            .filter(preservations::released_on.is_null())
            .filter(preservations::expires_on.le(by))
            .select(PreservationRow::as_select())
    };
    let mut rows: Vec<PreservationRow> = unreleased()
        .filter(preservations::request_id.is_not_null())
        .filter(preservations::request_id.eq_any(&request_ids))
        .load(conn)?;
    rows.extend(
        unreleased()
            .filter(preservations::case_id.is_not_null())
            .filter(preservations::case_id.eq_any(&case_ids))
            .load::<PreservationRow>(conn)?,
    );
    let by_request: HashMap<&str, &Watcher> = watchers.iter().map(|w| (w.request_id, w)).collect();
    let mut by_case: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for w in watchers {
        by_case
            .entry((w.case_id, w.country))
            .or_default()
            .push(w.request_id);
    }
    for row in rows {
        let due = PreservationDue {
            id: stored("preservations.id", &row.id)?,
            holder: row.holder.clone(),
            country: country(&row.country)?,
            expires_on: row.expires_on,
        };
        let mut watching: Vec<&str> = Vec::new();
        if let Some(w) = row.request_id.as_deref().and_then(|id| by_request.get(id)) {
            watching.push(w.request_id);
        }
        if let Some(case) = row.case_id.as_deref()
            && let Some(ids) = by_case.get(&(case, row.country.as_str()))
        {
            watching.extend(ids);
        }
        for id in watching {
            out.entry(id.to_string()).or_default().push(due.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.expires_on.cmp(&b.expires_on).then(a.id.cmp(&b.id)));
    }
    Ok(out)
}
