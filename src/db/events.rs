//! The histories: append-only events, each chained to the one before it by
//! a SHA-256 hash (docs/DOMAIN.md §6). Every request has its chain
//! (`request_events`), and so has every case (`case_events`): a [`Chain`]
//! names each kind, its tables and its scheme tag.
//!
//! Every event stores `prev_hash` (the previous event's `hash`, or
//! [`GENESIS`] for the first) and `hash`, the SHA-256 of [`Link::preimage`]:
//! its chain's scheme tag, then all its stored columns in a fixed order,
//! each length-prefixed, with the changes as canonical JSON. Editing,
//! deleting, inserting or reordering an event breaks the chain; the heads
//! tables (kept by triggers) hold the newest link of every chain, so
//! deleting the newest events is caught too. `crate::audit` walks the
//! chains.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::now;
use super::schema::{case_events, request_events, users};
use super::{DbConnection, stored};
use crate::domain::Status;
use crate::domain::request::Changes;

/// A kind of history kept as hash chains, one chain per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chain {
    /// A request's history: `request_events`, chained per request.
    Request,
    /// A case's history: `case_events`, chained per case.
    Case,
}

impl Chain {
    /// Every chain kind, in the order `audit verify` walks them.
    pub const ALL: [Chain; 2] = [Chain::Request, Chain::Case];

    /// The tag that starts every preimage of this chain's events: the same
    /// bytes can never hash alike in two kinds of chain.
    pub fn scheme(self) -> &'static str {
        match self {
            Chain::Request => SCHEME,
            Chain::Case => CASE_SCHEME,
        }
    }

    /// What a chain is the history of, in words.
    pub fn label(self) -> &'static str {
        match self {
            Chain::Request => "request",
            Chain::Case => "case",
        }
    }

    /// The table of its events.
    pub fn events_table(self) -> &'static str {
        match self {
            Chain::Request => "request_events",
            Chain::Case => "case_events",
        }
    }

    /// The column of its events that names the record.
    pub fn subject_column(self) -> &'static str {
        match self {
            Chain::Request => "request_id",
            Chain::Case => "case_id",
        }
    }

    /// The table of its newest links, keyed by [`Chain::subject_column`].
    pub fn heads_table(self) -> &'static str {
        match self {
            Chain::Request => "request_event_heads",
            Chain::Case => "case_event_heads",
        }
    }

    /// The table of the records it is the history of.
    pub fn subjects_table(self) -> &'static str {
        match self {
            Chain::Request => "requests",
            Chain::Case => "cases",
        }
    }

    /// The column of those records a person would look them up by.
    pub fn reference_column(self) -> &'static str {
        match self {
            Chain::Request => "reference",
            Chain::Case => "case_reference",
        }
    }

    /// Whether its events record a status change (a case has no status:
    /// its events' `from_status` and `to_status` are always NULL).
    pub fn has_statuses(self) -> bool {
        matches!(self, Chain::Request)
    }
}

/// What kind of change an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Updated,
    Transition,
    Milestone,
    Note,
    FollowUp,
    Snoozed,
    Unsnoozed,
    Linked,
    Unlinked,
    PreservationRecorded,
    PreservationRenewed,
    PreservationReleased,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Updated => "updated",
            EventKind::Transition => "transition",
            EventKind::Milestone => "milestone",
            EventKind::Note => "note",
            EventKind::FollowUp => "follow_up",
            EventKind::Snoozed => "snoozed",
            EventKind::Unsnoozed => "unsnoozed",
            EventKind::Linked => "linked",
            EventKind::Unlinked => "unlinked",
            EventKind::PreservationRecorded => "preservation_recorded",
            EventKind::PreservationRenewed => "preservation_renewed",
            EventKind::PreservationReleased => "preservation_released",
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
            "milestone" => EventKind::Milestone,
            "note" => EventKind::Note,
            "follow_up" => EventKind::FollowUp,
            "snoozed" => EventKind::Snoozed,
            "unsnoozed" => EventKind::Unsnoozed,
            "linked" => EventKind::Linked,
            "unlinked" => EventKind::Unlinked,
            "preservation_recorded" => EventKind::PreservationRecorded,
            "preservation_renewed" => EventKind::PreservationRenewed,
            "preservation_released" => EventKind::PreservationReleased,
            other => return Err(format!("unknown event kind {other}")),
        })
    }
}

/// An event to append.
#[derive(Clone, Copy)]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Actor {
    pub id: Uuid,
    pub name: String,
}

/// An event as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: Uuid,
    pub seq: i32,
    pub kind: EventKind,
    pub actor: Actor,
    pub recorded_at: DateTime<chrono::Utc>,
    pub effective_date: NaiveDate,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    /// Changed fields by name: `{"field": {"old": …, "new": …}}`.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub note: Option<String>,
}

/// A `request_events` row, as written.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = request_events, treat_none_as_default_value = false)]
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
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl EventRow {
    /// The row for `event` at position `seq`, recorded at `recorded_at`
    /// (cut to microseconds, the precision both backends keep, so that the
    /// hash of the row read back is the hash of the row written). It is not
    /// chained yet: see [`EventRow::link_to`] and [`chain`].
    pub fn new(event: &NewEvent<'_>, seq: i32, recorded_at: NaiveDateTime) -> EventRow {
        let recorded_at = micros(recorded_at);
        EventRow {
            id: crate::db::new_id().to_string(),
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
            prev_hash: None,
            hash: None,
        }
    }

    /// Chains the row after an event whose hash is `prev_hash` ([`GENESIS`]
    /// for a first event): sets `prev_hash` and `hash`.
    pub fn link_to(&mut self, prev_hash: &str) {
        let hash = self
            .link(prev_hash)
            .hash()
            .expect("changes written by serde_json are JSON");
        self.prev_hash = Some(prev_hash.to_string());
        self.hash = Some(hash);
    }

    fn link<'a>(&'a self, prev_hash: &'a str) -> Link<'a> {
        Link {
            scheme: SCHEME,
            id: &self.id,
            subject_id: &self.request_id,
            seq: self.seq,
            kind: self.kind,
            actor_id: &self.actor_id,
            recorded_at: self.recorded_at,
            effective_date: self.effective_date,
            from_status: self.from_status,
            to_status: self.to_status,
            changes: &self.changes,
            note: self.note.as_deref(),
            prev_hash,
        }
    }
}

/// Chains the rows of one request's history, oldest first, from [`GENESIS`]
/// (for bulk inserts, such as the seed's).
pub fn chain(rows: &mut [EventRow]) {
    let mut prev = GENESIS.to_string();
    for row in rows {
        row.link_to(&prev);
        prev = row.hash.clone().expect("just linked");
    }
}

/// The `prev_hash` of a chain's first event: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The tag that starts every preimage of a request's events; a new scheme
/// would get a new one.
pub const SCHEME: &str = "mla-tracker/event-chain/v1";

/// The tag that starts every preimage of a case's events.
pub const CASE_SCHEME: &str = "mla-tracker/case-event-chain/v1";

/// Every stored column of an event but its own hash, borrowed, with its
/// chain's scheme tag: what the chain hashes.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    /// [`Chain::scheme`].
    pub scheme: &'a str,
    pub id: &'a str,
    /// The request's id, or the case's.
    pub subject_id: &'a str,
    pub seq: i32,
    pub kind: &'a str,
    pub actor_id: &'a str,
    pub recorded_at: NaiveDateTime,
    pub effective_date: NaiveDate,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    /// As stored: JSON text, canonicalised before hashing.
    pub changes: &'a str,
    pub note: Option<&'a str>,
    pub prev_hash: &'a str,
}

impl Link<'_> {
    /// The bytes hashed: the scheme tag and a newline, then each field in
    /// the order below as `<length in bytes, decimal>:<UTF-8 bytes>\n`, or
    /// `-\n` for NULL. Length prefixes make the encoding unambiguous
    /// whatever a note contains. Fails only when `changes` is not JSON.
    ///
    /// Order: id, subject_id (the request's id, or the case's), seq
    /// (decimal), kind, actor_id, recorded_at
    /// (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, always six digits: both backends keep
    /// microseconds), effective_date (`YYYY-MM-DD`), from_status, to_status,
    /// changes ([`canonical_json`]), note, prev_hash (lowercase hex).
    pub fn preimage(&self) -> Result<Vec<u8>, serde_json::Error> {
        let seq = self.seq.to_string();
        let recorded_at = timestamp_text(self.recorded_at);
        let effective_date = self.effective_date.format("%Y-%m-%d").to_string();
        let changes = canonical_json(self.changes)?;
        let fields: [Option<&str>; 12] = [
            Some(self.id),
            Some(self.subject_id),
            Some(&seq),
            Some(self.kind),
            Some(self.actor_id),
            Some(&recorded_at),
            Some(&effective_date),
            self.from_status,
            self.to_status,
            Some(&changes),
            self.note,
            Some(self.prev_hash),
        ];
        let mut out = Vec::with_capacity(256 + changes.len());
        out.extend_from_slice(self.scheme.as_bytes());
        out.push(b'\n');
        for field in fields {
            match field {
                None => out.extend_from_slice(b"-\n"),
                Some(text) => {
                    out.extend_from_slice(text.len().to_string().as_bytes());
                    out.push(b':');
                    out.extend_from_slice(text.as_bytes());
                    out.push(b'\n');
                }
            }
        }
        Ok(out)
    }

    /// SHA-256 of the preimage, lowercase hex.
    pub fn hash(&self) -> Result<String, serde_json::Error> {
        let digest = Sha256::digest(self.preimage()?);
        Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// An instant as the chain writes it: UTC, microseconds, always six digits.
pub fn timestamp_text(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// JSON text in canonical form: no whitespace, object keys sorted by their
/// UTF-8 bytes (at every depth), strings escaped as serde_json does (only
/// `"`, `\\` and control characters; other characters as themselves).
/// Sorting here rather than relying on serde_json's map order keeps the hash
/// stable should a dependency ever turn on its `preserve_order` feature.
pub fn canonical_json(text: &str) -> Result<String, serde_json::Error> {
    let value: Value = serde_json::from_str(text)?;
    let mut out = String::with_capacity(text.len());
    write_canonical(&value, &mut out);
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Appends an event after the request's last one, chained to it.
///
/// Callers hold the request's row lock (they updated the row, or took
/// `requests::lock`, earlier in the same transaction), so on PostgreSQL no
/// two appends to one request interleave between reading the last link and
/// inserting the next: the chain cannot fork. On SQLite every write runs on
/// the one writer connection, inside a write transaction. Should that ever
/// be broken, `UNIQUE (request_id, seq)` turns the fork into a failed write.
pub fn append(conn: &mut DbConnection, event: NewEvent<'_>) -> QueryResult<()> {
    let last: Option<(i32, Option<String>)> = request_events::table
        .filter(request_events::request_id.eq(event.request_id.to_string()))
        .order(request_events::seq.desc())
        .select((request_events::seq, request_events::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = match last {
        None => (1, GENESIS.to_string()),
        // A NULL hash only exists before the backfill; `audit verify` would
        // report the link, so chain to an empty value rather than invent one.
        Some((seq, hash)) => (seq + 1, hash.unwrap_or_default()),
    };
    let mut row = EventRow::new(&event, seq, now());
    row.link_to(&prev_hash);
    diesel::insert_into(request_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Writes the whole history of a request that has none yet, oldest first:
/// chained in memory from [`GENESIS`] and inserted in one statement, where
/// [`append`] reads the chain's end back for each event.
pub fn append_first(conn: &mut DbConnection, events: &[NewEvent<'_>]) -> QueryResult<()> {
    let recorded_at = now();
    let mut rows: Vec<EventRow> = events
        .iter()
        .zip(1..)
        .map(|(event, seq)| EventRow::new(event, seq, recorded_at))
        .collect();
    chain(&mut rows);
    match (conn, rows.as_slice()) {
        // A create's history, one event: as a row of its own, a statement
        // diesel keeps prepared (it never keeps a multi-row insert).
        (conn, [only]) => diesel::insert_into(request_events::table)
            .values(only)
            .execute(conn)?,
        (DbConnection::Postgresql(c), _) => diesel::insert_into(request_events::table)
            .values(&rows)
            .execute(c)?,
        (DbConnection::Sqlite(c), _) => diesel::insert_into(request_events::table)
            .values(&rows)
            .execute(c)?,
    };
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

/// An instant cut to microseconds, the precision both backends keep, so
/// that the hash of a row read back is the hash of the row written.
fn micros(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(at.nanosecond() / 1000 * 1000)
        .unwrap_or(at)
}

/// An event to append to a case's history.
pub struct NewCaseEvent<'a> {
    pub case_id: Uuid,
    pub kind: EventKind,
    pub actor_id: Uuid,
    pub effective_date: NaiveDate,
    pub changes: &'a Changes,
    pub note: Option<&'a str>,
}

/// A case's event as the API returns it: a request's event without
/// statuses, which a case does not have.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseEvent {
    pub id: Uuid,
    pub seq: i32,
    pub kind: EventKind,
    pub actor: Actor,
    pub recorded_at: DateTime<chrono::Utc>,
    pub effective_date: NaiveDate,
    /// Changed fields by name: `{"field": {"old": …, "new": …}}`.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub note: Option<String>,
}

/// A `case_events` row, chained as it is made.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_events, treat_none_as_default_value = false)]
pub struct CaseEventRow {
    pub id: String,
    pub case_id: String,
    pub seq: i32,
    pub kind: &'static str,
    pub actor_id: String,
    pub recorded_at: NaiveDateTime,
    pub effective_date: NaiveDate,
    pub changes: String,
    pub note: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl CaseEventRow {
    /// The row for `event` at position `seq`, recorded at `recorded_at`,
    /// chained after an event whose hash is `prev_hash` ([`GENESIS`] for a
    /// first event).
    pub fn new(
        event: &NewCaseEvent<'_>,
        seq: i32,
        recorded_at: NaiveDateTime,
        prev_hash: &str,
    ) -> CaseEventRow {
        let mut row = CaseEventRow {
            id: crate::db::new_id().to_string(),
            case_id: event.case_id.to_string(),
            seq,
            kind: event.kind.as_str(),
            actor_id: event.actor_id.to_string(),
            recorded_at: micros(recorded_at),
            effective_date: event.effective_date,
            changes: serde_json::to_string(event.changes).expect("changes serialise"),
            note: event.note.map(str::to_owned),
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        row.hash = Link {
            scheme: CASE_SCHEME,
            id: &row.id,
            subject_id: &row.case_id,
            seq: row.seq,
            kind: row.kind,
            actor_id: &row.actor_id,
            recorded_at: row.recorded_at,
            effective_date: row.effective_date,
            from_status: None,
            to_status: None,
            changes: &row.changes,
            note: row.note.as_deref(),
            prev_hash,
        }
        .hash()
        .expect("changes written by serde_json are JSON");
        row
    }
}

/// Appends an event after the case's last one, chained to it. Callers hold
/// the case's row lock (they updated the row, or inserted it, earlier in
/// the same transaction), as for a request's events ([`append`]).
pub fn append_case(conn: &mut DbConnection, event: NewCaseEvent<'_>) -> QueryResult<()> {
    let last: Option<(i32, String)> = case_events::table
        .filter(case_events::case_id.eq(event.case_id.to_string()))
        .order(case_events::seq.desc())
        .select((case_events::seq, case_events::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = last.map_or((1, GENESIS.to_string()), |(seq, hash)| (seq + 1, hash));
    insert_case_event(conn, &event, seq, &prev_hash)
}

/// Writes the first event of a case inserted earlier in the same
/// transaction: chained from [`GENESIS`], with no chain to read back.
pub fn append_case_first(conn: &mut DbConnection, event: NewCaseEvent<'_>) -> QueryResult<()> {
    insert_case_event(conn, &event, 1, GENESIS)
}

/// Inserts `event` at position `seq` of its case's history, after the
/// event whose hash is `prev_hash`.
fn insert_case_event(
    conn: &mut DbConnection,
    event: &NewCaseEvent<'_>,
    seq: i32,
    prev_hash: &str,
) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values(CaseEventRow::new(event, seq, now(), prev_hash))
        .execute(conn)?;
    Ok(())
}

type LoadedCaseEvent = (
    String,
    i32,
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDate,
    String,
    Option<String>,
);

/// The history of a case, oldest first.
pub fn list_case(conn: &mut DbConnection, case_id: Uuid) -> QueryResult<Vec<CaseEvent>> {
    let rows: Vec<LoadedCaseEvent> = case_events::table
        .inner_join(users::table)
        .filter(case_events::case_id.eq(case_id.to_string()))
        .order(case_events::seq)
        .select((
            case_events::id,
            case_events::seq,
            case_events::kind,
            case_events::actor_id,
            users::name,
            case_events::recorded_at,
            case_events::effective_date,
            case_events::changes,
            case_events::note,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, seq, kind, actor_id, actor_name, recorded_at, effective_date, changes, note)| {
                Ok(CaseEvent {
                    id: stored("case_events.id", &id)?,
                    seq,
                    kind: stored("case_events.kind", &kind)?,
                    actor: Actor {
                        id: stored("case_events.actor_id", &actor_id)?,
                        name: actor_name,
                    },
                    recorded_at: recorded_at.and_utc(),
                    effective_date,
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

/// One stored event of any chain, every column the chain covers, read by
/// name (`crate::audit` selects them with the [`Chain`]'s table and column
/// names; a case's statuses are read as NULL).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ChainedEvent {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub subject_id: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub seq: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub actor_id: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub recorded_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub effective_date: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub from_status: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub to_status: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub changes: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub note: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub prev_hash: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub hash: Option<String>,
}

impl ChainedEvent {
    /// The link as `chain` hashes it, after an event whose hash is
    /// `prev_hash`.
    pub fn link<'a>(&'a self, chain: Chain, prev_hash: &'a str) -> Link<'a> {
        Link {
            scheme: chain.scheme(),
            id: &self.id,
            subject_id: &self.subject_id,
            seq: self.seq,
            kind: &self.kind,
            actor_id: &self.actor_id,
            recorded_at: self.recorded_at,
            effective_date: self.effective_date,
            from_status: self.from_status.as_deref(),
            to_status: self.to_status.as_deref(),
            changes: &self.changes,
            note: self.note.as_deref(),
            prev_hash,
        }
    }
}

/// A `request_events` row as stored, every column: what the chain covers.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = request_events)]
pub struct StoredEvent {
    pub id: String,
    pub request_id: String,
    pub seq: i32,
    pub kind: String,
    pub actor_id: String,
    pub recorded_at: NaiveDateTime,
    pub effective_date: NaiveDate,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub changes: String,
    pub note: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl StoredEvent {
    /// The link as the chain hashes it, after an event whose hash is
    /// `prev_hash`.
    pub fn link<'a>(&'a self, prev_hash: &'a str) -> Link<'a> {
        Link {
            scheme: SCHEME,
            id: &self.id,
            subject_id: &self.request_id,
            seq: self.seq,
            kind: &self.kind,
            actor_id: &self.actor_id,
            recorded_at: self.recorded_at,
            effective_date: self.effective_date,
            from_status: self.from_status.as_deref(),
            to_status: self.to_status.as_deref(),
            changes: &self.changes,
            note: self.note.as_deref(),
            prev_hash,
        }
    }
}

/// Requests per backfill transaction.
const BACKFILL_CHUNK: i64 = 1_000;

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Hashes the events written before the event chain existed, once.
///
/// Why here and not in the migration: SQLite has no SHA-256 function, and a
/// second implementation of the scheme in PL/pgSQL could drift from this
/// one; computing every hash in Rust, with the code that appends and
/// verifies, keeps one definition. Why robust: it runs right after the
/// migrations, before `serve` accepts a request (and from `migrate`); it
/// only fills rows whose hash is NULL, a chunk of requests per transaction,
/// so a crash resumes where it stopped; the hashes are deterministic, so
/// two instances starting together write the same values; and it runs only
/// while the migration's `event_chain_backfill` marker is there (the
/// append-only trigger allows exactly this update, then, and nothing once
/// the marker is gone), so a row inserted later without a hash is reported
/// by `audit verify`, never silently blessed.
pub fn backfill_chains(conn: &mut DbConnection) -> QueryResult<u64> {
    let pending: Pending =
        diesel::sql_query("SELECT COUNT(*) AS n FROM event_chain_backfill").get_result(conn)?;
    if pending.n == 0 {
        return Ok(0);
    }
    let requests: Pending =
        diesel::sql_query("SELECT COUNT(*) AS n FROM requests").get_result(conn)?;
    log::info!(
        "hashing the history of {} request(s) written before the event chain (once; \
         about two minutes per million events on 2 cores)",
        requests.n
    );
    let started = std::time::Instant::now();
    let mut reported = started;
    let mut after: Option<String> = None;
    let mut hashed = 0u64;
    let mut done = 0i64;
    loop {
        let (last, n) = conn.transaction(|conn| backfill_chunk(conn, after.as_deref()))?;
        hashed += n;
        match last {
            Some(last) => after = Some(last),
            None => break,
        }
        // Progress every 10 s: on a large register this takes minutes.
        done += BACKFILL_CHUNK;
        if reported.elapsed() >= std::time::Duration::from_secs(10) {
            reported = std::time::Instant::now();
            let share = (done.min(requests.n) as f64 / requests.n.max(1) as f64) * 100.0;
            log::info!(
                "hashed {hashed} event(s), {share:.0} % of the requests, in {} s",
                started.elapsed().as_secs()
            );
        }
    }
    diesel::sql_query("DELETE FROM event_chain_backfill").execute(conn)?;
    log::info!("hashed {hashed} event(s) written before the event chain");
    Ok(hashed)
}

/// Hashes the unhashed events of the next chunk of requests after `after`;
/// returns the chunk's last request id (None when there was none) and how
/// many events it hashed.
fn backfill_chunk(
    conn: &mut DbConnection,
    after: Option<&str>,
) -> QueryResult<(Option<String>, u64)> {
    use super::schema::requests;
    let mut ids = requests::table
        .select(requests::id)
        .order(requests::id)
        .limit(BACKFILL_CHUNK)
        .into_boxed();
    if let Some(after) = after {
        ids = ids.filter(requests::id.gt(after.to_string()));
    }
    let ids: Vec<String> = ids.load(conn)?;
    let Some(last) = ids.last().cloned() else {
        return Ok((None, 0));
    };
    let rows: Vec<StoredEvent> = request_events::table
        .filter(request_events::request_id.eq_any(&ids))
        .order((request_events::request_id, request_events::seq))
        .select(StoredEvent::as_select())
        .load(conn)?;
    // (id, prev_hash, hash) of every row still without a hash.
    let mut updates: Vec<(String, String, String)> = Vec::new();
    let mut current: Option<&str> = None;
    let mut prev = GENESIS.to_string();
    for row in &rows {
        if current != Some(row.request_id.as_str()) {
            current = Some(&row.request_id);
            prev = GENESIS.to_string();
        }
        let hash = match &row.hash {
            Some(hash) => hash.clone(),
            None => {
                let hash = row.link(&prev).hash().map_err(|e| {
                    diesel::result::Error::DeserializationError(
                        format!("event {}: unreadable changes: {e}", row.id).into(),
                    )
                })?;
                updates.push((row.id.clone(), prev.clone(), hash.clone()));
                hash
            }
        };
        prev = hash;
    }
    let hashed = updates.len() as u64;
    match conn {
        DbConnection::Postgresql(c) if !updates.is_empty() => update_unnested(c, &updates)?,
        DbConnection::Postgresql(_) => 0,
        DbConnection::Sqlite(c) => {
            for (id, prev, hash) in &updates {
                diesel::update(
                    request_events::table
                        .find(id)
                        .filter(request_events::hash.is_null()),
                )
                .set((
                    request_events::prev_hash.eq(prev),
                    request_events::hash.eq(hash),
                ))
                .execute(c)?;
            }
            0
        }
    };
    Ok((Some(last), hashed))
}

/// PostgreSQL: a chunk's hashes in one statement, bound as three arrays
/// (a statement per row made the backfill several times slower there).
fn update_unnested(
    conn: &mut diesel::PgConnection,
    updates: &[(String, String, String)],
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Text};
    let column = |pick: fn(&(String, String, String)) -> &String| -> Vec<&String> {
        updates.iter().map(pick).collect()
    };
    diesel::sql_query(
        "UPDATE request_events AS e SET prev_hash = u.prev_hash, hash = u.hash \
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u (id, prev_hash, hash) \
         WHERE e.id = u.id AND e.hash IS NULL",
    )
    .bind::<Array<Text>, _>(column(|u| &u.0))
    .bind::<Array<Text>, _>(column(|u| &u.1))
    .bind::<Array<Text>, _>(column(|u| &u.2))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(changes: &'a str, note: Option<&'a str>) -> Link<'a> {
        Link {
            scheme: SCHEME,
            id: "6f1c1b52-5b7e-4d5c-9a57-6e8a7f0c1d2e",
            subject_id: "0b7a2c9e-1f43-4d8e-8a3b-2f6c4d5e6f70",
            seq: 2,
            kind: "note",
            actor_id: "1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5",
            recorded_at: NaiveDate::from_ymd_opt(2026, 11, 29)
                .unwrap()
                .and_hms_micro_opt(7, 5, 9, 120)
                .unwrap(),
            effective_date: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            from_status: None,
            to_status: None,
            changes,
            note,
            prev_hash: GENESIS,
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_and_drops_whitespace() {
        assert_eq!(
            canonical_json("{ \"b\": \"é\\n\", \"a\": {\"y\": [true, null], \"x\": 1} }").unwrap(),
            r#"{"a":{"x":1,"y":[true,null]},"b":"é\n"}"#
        );
        // Keys sort by UTF-8 bytes: upper case before lower, ASCII before é.
        assert_eq!(
            canonical_json(r#"{"é":0,"b":0,"B":0,"a_":0,"a":0}"#).unwrap(),
            r#"{"B":0,"a":0,"a_":0,"b":0,"é":0}"#
        );
        // Escapes: only quote, backslash and control characters.
        assert_eq!(
            canonical_json(r#"["\u0001\t\"\\/\u00e9\u2028"]"#).unwrap(),
            "[\"\\u0001\\t\\\"\\\\/é\u{2028}\"]"
        );
        assert!(canonical_json("{not json").is_err());
    }

    /// The exact bytes, and a hash computed independently (Python's
    /// hashlib over the same bytes), so the README's scheme is what runs.
    #[test]
    fn the_preimage_is_the_documented_encoding() {
        let changes = r#"{"b": "é\n", "a": {"y": [true, null], "x": 1}}"#;
        let link = sample(changes, Some("Ligne 1\nligne 2 «ok»"));
        let expected = "mla-tracker/event-chain/v1\n\
             36:6f1c1b52-5b7e-4d5c-9a57-6e8a7f0c1d2e\n\
             36:0b7a2c9e-1f43-4d8e-8a3b-2f6c4d5e6f70\n\
             1:2\n\
             4:note\n\
             36:1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5\n\
             27:2026-11-29T07:05:09.000120Z\n\
             10:2026-11-28\n\
             -\n\
             -\n\
             40:{\"a\":{\"x\":1,\"y\":[true,null]},\"b\":\"é\\n\"}\n\
             22:Ligne 1\nligne 2 «ok»\n\
             64:0000000000000000000000000000000000000000000000000000000000000000\n";
        assert_eq!(
            String::from_utf8(link.preimage().unwrap()).unwrap(),
            expected
        );
        assert_eq!(
            link.hash().unwrap(),
            "6fc57a92c4fdd3e007f1ef6a30f13b4b8c7729e921f8e02bd43bf464af5e7d03"
        );
    }

    #[test]
    fn every_field_counts_and_null_is_not_empty() {
        let base = sample("{}", None).hash().unwrap();
        assert_ne!(sample("{}", Some("")).hash().unwrap(), base);
        // Same JSON, other spelling: same hash.
        assert_eq!(sample(" { } ", None).hash().unwrap(), base);
        let mut later = sample("{}", None);
        later.recorded_at += chrono::Duration::microseconds(1);
        assert_ne!(later.hash().unwrap(), base);
        let mut chained = sample("{}", None);
        chained.prev_hash = "1111111111111111111111111111111111111111111111111111111111111111";
        assert_ne!(chained.hash().unwrap(), base);
        // A field's bytes cannot slide into the next one.
        let mut a = sample("{}", Some("x"));
        a.kind = "note\n1:x";
        let mut b = sample("{}", Some("x"));
        b.kind = "note";
        assert_ne!(a.preimage().unwrap(), b.preimage().unwrap());
    }

    #[test]
    fn timestamps_always_carry_six_digits() {
        let at = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        assert_eq!(timestamp_text(at), "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn rows_are_cut_to_microseconds_and_chained_in_order() {
        let changes = Changes::new();
        let event = NewEvent {
            request_id: Uuid::new_v4(),
            kind: EventKind::Note,
            actor_id: Uuid::new_v4(),
            effective_date: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            from_status: None,
            to_status: None,
            changes: &changes,
            note: Some("n"),
        };
        let at = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_nano_opt(3, 4, 5, 123_456_789)
            .unwrap();
        let mut rows = vec![EventRow::new(&event, 1, at), EventRow::new(&event, 2, at)];
        assert_eq!(rows[0].recorded_at.nanosecond(), 123_456_000);
        chain(&mut rows);
        assert_eq!(rows[0].prev_hash.as_deref(), Some(GENESIS));
        assert_eq!(rows[1].prev_hash, rows[0].hash);
        assert_ne!(rows[0].hash, rows[1].hash);
    }
}
