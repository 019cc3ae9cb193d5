//! Storage of requests: insert, read, save with optimistic locking, and the
//! keyset-paginated list.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use super::error::Result;
use super::events::{self, EventKind, NewEvent};
use super::links;
use super::now;
use super::schema::{reference_counters, requests};
use super::sql::planned_with_values;
use super::{Backend, DbConnection, MultiBackend, stored};
use crate::domain::request::{Change, Changes, Lifecycle, Magistrate, MlaRequest, RequestFields};
use crate::domain::{CountryCode, LegalBasis, Priority, Status};
use diesel::dsl::sql;
use diesel::sql_types::{Bool, Text};

/// A `requests` row, column for column. An absent value is inserted as
/// NULL, not as `DEFAULT` (no nullable column has a default): the insert then
/// reads the same whatever the row, and diesel keeps it prepared instead of
/// parsing and planning it at every create. The other row types do the same.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = requests,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct RequestRow {
    pub id: String,
    pub reference: String,
    pub case_reference: String,
    pub title: String,
    pub issuing_magistrate: String,
    pub target_country: String,
    pub requested_authority: Option<String>,
    pub channel: Option<String>,
    pub legal_basis: Option<String>,
    pub legal_basis_detail: Option<String>,
    pub offences: String,
    pub measures: String,
    pub priority: String,
    pub coordinator_email: Option<String>,
    pub status: String,
    pub status_since: NaiveDate,
    pub sent_at: Option<NaiveDate>,
    pub first_response_at: Option<NaiveDate>,
    pub closed_at: Option<NaiveDate>,
    pub received_at: Option<NaiveDate>,
    pub acknowledged_at: Option<NaiveDate>,
    pub recognised_at: Option<NaiveDate>,
    pub deadline_extended_to: Option<NaiveDate>,
    pub deadline_extension_reason: Option<String>,
    pub sent_time: Option<NaiveDateTime>,
    pub abandonment_reason: Option<String>,
    pub refusal_ground: Option<String>,
    pub outcome_note: Option<String>,
    pub foreign_reference: Option<String>,
    pub needed_by: Option<NaiveDate>,
    pub case_id: String,
    pub facilitators: String,
    pub measure_outcomes: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub search_text: String,
    /// The secret record key the published statistics perturb with
    /// (`stats::cellkey`): drawn once at insertion, never updated.
    #[diesel(skip_update)]
    pub record_key: i64,
}

/// A fresh secret record key, uniform in [0, 2^32) (what a save writes
/// is ignored: the column is never updated).
pub fn draw_record_key() -> i64 {
    i64::from(getrandom::u32().expect("the operating system's random source"))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("vocabulary values serialise")
}

fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> QueryResult<T> {
    serde_json::from_str(text).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("unreadable {column} `{text}`: {e}").into(),
        )
    })
}

/// Parses an optional stored value.
fn opt<T: std::str::FromStr>(column: &'static str, value: Option<String>) -> QueryResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    value.map(|s| stored(column, &s)).transpose()
}

impl RequestRow {
    pub fn from_record(r: &MlaRequest) -> RequestRow {
        let f = &r.fields;
        let l = &r.lifecycle;
        RequestRow {
            id: r.id.to_string(),
            reference: r.reference.clone(),
            case_reference: r.case_reference.clone(),
            title: f.title.clone(),
            issuing_magistrate: json(&f.issuing_magistrate),
            target_country: f.target_country.to_string(),
            requested_authority: f.requested_authority.clone(),
            channel: f.channel.map(|c| c.as_str().to_string()),
            legal_basis: f.legal_basis.map(|c| c.as_str().to_string()),
            legal_basis_detail: f.legal_basis_detail.clone(),
            offences: json(&f.offences),
            measures: json(&f.measures),
            priority: f.priority.as_str().to_string(),
            coordinator_email: f.coordinator_email.clone(),
            status: l.status.as_str().to_string(),
            status_since: l.status_since,
            sent_at: l.sent_at,
            first_response_at: l.first_response_at,
            closed_at: l.closed_at,
            received_at: l.received_at,
            acknowledged_at: l.acknowledged_at,
            recognised_at: l.recognised_at,
            deadline_extended_to: l.deadline_extended_to,
            deadline_extension_reason: l.deadline_extension_reason.clone(),
            sent_time: l.sent_time.map(|t| t.naive_utc()),
            abandonment_reason: l.abandonment_reason.map(|c| c.as_str().to_string()),
            refusal_ground: l.refusal_ground.map(|c| c.as_str().to_string()),
            outcome_note: f.outcome_note.clone(),
            foreign_reference: f.foreign_reference.clone(),
            needed_by: f.needed_by,
            case_id: r.case_id.to_string(),
            facilitators: json(&f.facilitators),
            measure_outcomes: json(&f.measure_outcomes),
            version: r.version,
            created_by: r.created_by.to_string(),
            created_at: r.created_at.naive_utc(),
            updated_at: r.updated_at.naive_utc(),
            search_text: search_text(&r.reference, &r.case_reference, f),
            record_key: draw_record_key(),
        }
    }

    /// The record, without its links (see [`get`] and [`page`], which add
    /// them).
    pub fn into_record(self) -> QueryResult<MlaRequest> {
        let magistrate: Magistrate = from_json("issuing_magistrate", &self.issuing_magistrate)?;
        Ok(MlaRequest {
            id: stored("id", &self.id)?,
            reference: self.reference,
            case_id: stored("case_id", &self.case_id)?,
            case_reference: self.case_reference,
            fields: RequestFields {
                title: self.title,
                issuing_magistrate: magistrate,
                target_country: CountryCode::parse(&self.target_country)
                    .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?,
                requested_authority: self.requested_authority,
                channel: opt("channel", self.channel)?,
                facilitators: from_json("facilitators", &self.facilitators)?,
                legal_basis: opt("legal_basis", self.legal_basis)?,
                legal_basis_detail: self.legal_basis_detail,
                offences: from_json("offences", &self.offences)?,
                measures: from_json("measures", &self.measures)?,
                measure_outcomes: from_json("measure_outcomes", &self.measure_outcomes)?,
                priority: stored("priority", &self.priority)?,
                coordinator_email: self.coordinator_email,
                outcome_note: self.outcome_note,
                foreign_reference: self.foreign_reference,
                needed_by: self.needed_by,
            },
            lifecycle: Lifecycle {
                status: stored("status", &self.status)?,
                status_since: self.status_since,
                sent_at: self.sent_at,
                sent_time: self.sent_time.map(|t| t.and_utc()),
                received_at: self.received_at,
                acknowledged_at: self.acknowledged_at,
                recognised_at: self.recognised_at,
                first_response_at: self.first_response_at,
                deadline_extended_to: self.deadline_extended_to,
                deadline_extension_reason: self.deadline_extension_reason,
                closed_at: self.closed_at,
                abandonment_reason: opt("abandonment_reason", self.abandonment_reason)?,
                refusal_ground: opt("refusal_ground", self.refusal_ground)?,
            },
            links: Vec::new(),
            version: self.version,
            created_by: stored("created_by", &self.created_by)?,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// What `q` searches: reference, case reference, title and magistrate,
/// lower-cased in Rust so both backends match the same way (SQLite's
/// `lower()` knows only ASCII).
pub fn search_text(reference: &str, case_reference: &str, f: &RequestFields) -> String {
    [
        reference,
        case_reference,
        &f.title,
        &f.issuing_magistrate.name,
    ]
    .join("\n")
    .to_lowercase()
}

/// The request with this id, if there is one, with its links.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<MlaRequest>> {
    let Some(mut record) = requests::table
        .find(id.to_string())
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?
        .map(RequestRow::into_record)
        .transpose()?
    else {
        return Ok(None);
    };
    record.links = links::of_requests(conn, &[id.to_string()])?
        .remove(&id.to_string())
        .unwrap_or_default();
    Ok(Some(record))
}

/// The requests of a case, oldest first, without their links.
pub fn of_case(conn: &mut DbConnection, case_id: Uuid) -> Result<Vec<MlaRequest>> {
    requests::table
        .filter(requests::case_id.eq(case_id.to_string()))
        .order((requests::created_at, requests::id))
        .select(RequestRow::as_select())
        .load(conn)?
        .into_iter()
        .map(RequestRow::into_record)
        .collect::<QueryResult<_>>()
        .map_err(Into::into)
}

/// The request with this reference, if there is one, with its links.
pub fn by_reference(conn: &mut DbConnection, reference: &str) -> Result<Option<MlaRequest>> {
    let id: Option<String> = requests::table
        .filter(requests::reference.eq(reference))
        .select(requests::id)
        .first(conn)
        .optional()?;
    match id.map(|id| stored::<Uuid>("id", &id)).transpose()? {
        Some(id) => get(conn, id),
        None => Ok(None),
    }
}

/// The ids of the requests with this foreign reference (the requested
/// state's own number, which nothing keeps unique).
pub fn ids_by_foreign_reference(conn: &mut DbConnection, foreign: &str) -> Result<Vec<Uuid>> {
    requests::table
        .filter(requests::foreign_reference.eq(foreign))
        .select(requests::id)
        .load::<String>(conn)?
        .iter()
        .map(|id| stored::<Uuid>("id", id).map_err(Into::into))
        .collect()
}

/// Inserts a new request and its `created` event (with `note`, if any); the
/// caller holds the transaction.
pub fn insert(conn: &mut DbConnection, record: &MlaRequest, note: Option<&str>) -> Result<()> {
    insert_with_history(conn, record, note, record, &[])
}

/// Inserts a request as it stands after `later` — its `created` event (of
/// the record as it was created, `created`, with `note`), then each event
/// of `later` in order — writing the row once, as it ends (`last`); the
/// caller holds the transaction. What a request created and then moved
/// event by event would leave, without rewriting its row at each move.
pub fn insert_with_history(
    conn: &mut DbConnection,
    created: &MlaRequest,
    note: Option<&str>,
    last: &MlaRequest,
    later: &[NewEvent<'_>],
) -> Result<()> {
    diesel::insert_into(requests::table)
        .values(RequestRow::from_record(last))
        .execute(conn)?;
    let changes = creation_changes(created);
    let first = NewEvent {
        request_id: created.id,
        kind: EventKind::Created,
        actor_id: created.created_by,
        effective_date: created.lifecycle.status_since,
        from_status: None,
        to_status: Some(created.lifecycle.status),
        changes: &changes,
        note,
    };
    let history: Vec<NewEvent> = std::iter::once(first)
        .chain(later.iter().copied())
        .collect();
    events::append_first(conn, &history)?;
    Ok(())
}

/// Keys of a serialised request that its history does not record: the
/// bookkeeping of the row (`version`, `created_at`, `updated_at`) and its
/// links, which live in `request_links` (their events are in the history,
/// but as `link`, not as a field of the record).
pub const NOT_HISTORY: [&str; 4] = ["version", "created_at", "updated_at", "links"];

/// Every field of `record` its history records, by name as the API shows
/// it, nulls included: what `audit verify` compares with the replay of the
/// history.
pub fn history_fields(record: &MlaRequest) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(mut map) =
        serde_json::to_value(record).expect("records serialise")
    else {
        unreachable!("a record serialises to an object")
    };
    for key in NOT_HISTORY {
        map.remove(key);
    }
    map
}

/// The initial values of a new record, as changes from nothing.
pub fn creation_changes(record: &MlaRequest) -> Changes {
    history_fields(record)
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, new)| {
            (
                key,
                Change {
                    old: serde_json::Value::Null,
                    new,
                },
            )
        })
        .collect()
}

/// Whether a request has this id.
pub fn exists(conn: &mut DbConnection, id: Uuid) -> Result<bool> {
    let found: i64 = requests::table
        .filter(requests::id.eq(id.to_string()))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Whether a request carries this reference.
pub fn reference_taken(conn: &mut DbConnection, reference: &str) -> Result<bool> {
    let n: i64 = requests::table
        .filter(requests::reference.eq(reference))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Takes the next number in a transaction of its own (PostgreSQL; the
/// caller holds no transaction). Inside the creating transaction, the
/// counter row's lock would be held through that transaction's WAL flush
/// and queue every writer behind it; here it is committed without waiting
/// for the flush (`synchronous_commit` off for this one statement's own
/// transaction, set by the statement itself: one round trip, where
/// `BEGIN`, `SET LOCAL`, the increment and `COMMIT` took four). If the
/// server crashes before that flush the number is simply handed out again:
/// no request can have been committed with it, since its own commit flushes
/// the WAL past the reservation. A creation that fails afterwards leaves a
/// gap in the numbering, which is harmless.
pub fn reserve_reference(conn: &mut DbConnection, year: i32) -> Result<String> {
    first_free(conn, year, |conn| match conn {
        DbConnection::Postgresql(pg) => Ok(Reservation { year }.get_result(pg)?),
        DbConnection::Sqlite(_) => Err(super::error::Error::Internal(anyhow::anyhow!(
            "references are reserved ahead on PostgreSQL only"
        ))),
    })
}

/// The first `MLA-YYYY-NNNNN` whose number `advance` hands out (moving the
/// year's counter on) that nobody typed in by hand.
fn first_free(
    conn: &mut DbConnection,
    year: i32,
    mut advance: impl FnMut(&mut DbConnection) -> Result<i32>,
) -> Result<String> {
    loop {
        let number = advance(conn)?;
        let reference = crate::domain::request::generated_reference(year, number.into());
        if !reference_taken(conn, &reference)? {
            return Ok(reference);
        }
    }
}

/// The statement of [`reserve_reference`]: the year's counter moved on (or
/// started) and read back, the flush of its own commit turned off first
/// (`FROM unflushed` makes the setting part of the statement, before the
/// row is written). A type of its own rather than a `sql_query`, which
/// diesel never keeps prepared: this one is parsed and planned once per
/// connection.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct Reservation {
    year: i32,
}

impl diesel::query_builder::Query for Reservation {
    type SqlType = diesel::sql_types::Integer;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for Reservation {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql(
            "WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true)) \
             INSERT INTO reference_counters (year, last) SELECT ",
        );
        out.push_bind_param::<diesel::sql_types::Integer, _>(&self.year)?;
        out.push_sql(
            ", 1 FROM unflushed \
             ON CONFLICT (year) DO UPDATE SET last = reference_counters.last + 1 \
             RETURNING last",
        );
        Ok(())
    }
}

impl RunQueryDsl<diesel::PgConnection> for Reservation {}

/// The next free `MLA-YYYY-NNNNN`. One statement starts the year's counter
/// or moves it on, and reads it back; the counter row stays locked until
/// the transaction ends, so concurrent creators on PostgreSQL get distinct
/// numbers. A number someone already typed in by hand is skipped.
pub fn next_reference(conn: &mut DbConnection, year: i32) -> Result<String> {
    first_free(conn, year, |conn| {
        let advance = diesel::insert_into(reference_counters::table)
            .values((
                reference_counters::year.eq(year),
                reference_counters::last.eq(1),
            ))
            .on_conflict(reference_counters::year)
            .do_update()
            .set(reference_counters::last.eq(reference_counters::last + 1))
            .returning(reference_counters::last);
        Ok(match conn {
            DbConnection::Postgresql(c) => advance.get_result(c)?,
            DbConnection::Sqlite(c) => advance.get_result(c)?,
        })
    })
}

/// Writes `record` if the stored version is still `expected_version`, and
/// appends `event`; returns the saved record. `Ok(None)`: someone else saved
/// first (the caller answers 412 or retries).
pub fn save(
    conn: &mut DbConnection,
    record: &MlaRequest,
    expected_version: i32,
    event: NewEvent<'_>,
) -> Result<Option<MlaRequest>> {
    let mut saved = record.clone();
    saved.version = expected_version + 1;
    saved.updated_at = now().and_utc();
    let updated = diesel::update(
        requests::table
            .find(record.id.to_string())
            .filter(requests::version.eq(expected_version)),
    )
    .set(RequestRow::from_record(&saved))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    events::append(conn, event)?;
    Ok(Some(saved))
}

/// Takes the request's row lock (a no-op update) so an event can be appended
/// without racing a concurrent writer; `false` when there is no such request.
pub fn lock(conn: &mut DbConnection, id: Uuid) -> Result<bool> {
    let n = diesel::update(requests::table.find(id.to_string()))
        .set(requests::version.eq(requests::version))
        .execute(conn)?;
    Ok(n > 0)
}

/// The list filters of `GET /requests`.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub statuses: Vec<Status>,
    pub country: Option<CountryCode>,
    pub priority: Option<Priority>,
    pub legal_basis: Option<LegalBasis>,
    /// Already lower-cased.
    pub q: Option<String>,
    pub sent_from: Option<NaiveDate>,
    pub sent_to: Option<NaiveDate>,
}

/// Columns a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    StatusSince,
    SentAt,
    CreatedAt,
    Reference,
}

/// Where the previous page ended: the last row's sort value and id.
/// `value: None` on `sent_at` means the page ended among drafts (no
/// `sent_at`), which always come after every dated request.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub value: Option<String>,
    pub id: String,
}

impl Position {
    /// Where the page after this position starts under `sort`; `None` when
    /// the value cannot belong to that order (a cursor made for another
    /// query, or forged).
    pub fn start(&self, sort: SortKey) -> Option<After> {
        let id = self.id.clone();
        match (sort, self.value.as_deref()) {
            (SortKey::SentAt, None) => Some(After::Draft(id)),
            (SortKey::StatusSince | SortKey::SentAt, Some(v)) => {
                v.parse().ok().map(|d| After::Date(d, id))
            }
            (SortKey::CreatedAt, Some(v)) => NaiveDateTime::parse_from_str(v, TIMESTAMP_FORMAT)
                .ok()
                .map(|t| After::Time(t, id)),
            (SortKey::Reference, Some(v)) => Some(After::Text(v.to_string(), id)),
            (_, None) => None,
        }
    }
}

/// Where a page starts: past this sort value and id.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    /// `status_since` or `sent_at`.
    Date(NaiveDate, String),
    /// `created_at`.
    Time(NaiveDateTime, String),
    /// `reference`.
    Text(String, String),
    /// In `sent_at` order, among the drafts (which come after every dated
    /// request).
    Draft(String),
}

/// A page request.
#[derive(Debug, Clone)]
pub struct PageQuery {
    pub filters: Filters,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: i64,
    pub after: Option<After>,
}

type Boxed = requests::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<RequestRow, MultiBackend>>,
>;

fn filtered(f: &Filters, backend: Backend) -> Boxed {
    let mut query = requests::table
        .select(RequestRow::as_select())
        .filter(planned_with_values())
        .into_boxed();
    // One status is an equality, so the (status, sort key) indexes can hand
    // rows over in order; PostgreSQL cannot do that for `= ANY(array)`.
    match f.statuses.as_slice() {
        [] => {}
        [one] => query = query.filter(requests::status.eq(one.as_str())),
        many => {
            query = query.filter(
                requests::status.eq_any(many.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
            )
        }
    }
    if let Some(country) = f.country {
        query = query.filter(requests::target_country.eq(country.to_string()));
    }
    if let Some(p) = f.priority {
        query = query.filter(requests::priority.eq(p.as_str()));
    }
    if let Some(b) = f.legal_basis {
        query = query.filter(requests::legal_basis.eq(b.as_str()));
    }
    if let Some(q) = &f.q {
        query = search(query, q, backend);
    }
    if let Some(from) = f.sent_from {
        query = query.filter(requests::sent_at.ge(from));
    }
    if let Some(to) = f.sent_to {
        query = query.filter(requests::sent_at.le(to));
    }
    query
}

/// Keeps the rows whose `search_text` contains `q` (already lower-case).
///
/// A trigram index finds candidates by the longest alphanumeric run of `q`
/// (in `fict-2022-70414`, `70414`): the rare trigrams of that run narrow a
/// million rows to a handful, where asking for every trigram of `q` would
/// also walk those shared by nearly every row (`fic`, `-20`). The whole `q`
/// is then checked on the candidates. pg_trgm's GIN index serves LIKE; on
/// SQLite the FTS5 trigram table serves a phrase MATCH. Runs shorter than a
/// trigram fall back to a scan, which short, unselective searches need anyway.
fn search(query: Boxed, q: &str, backend: Backend) -> Boxed {
    let whole = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let anchor = q
        .split(|c: char| !c.is_alphanumeric())
        .max_by_key(|run| run.chars().count())
        .filter(|run| run.chars().count() >= 3);
    match (anchor, backend) {
        (None, _) => query.filter(requests::search_text.like(whole).escape('\\')),
        (Some(anchor), Backend::Postgres) => query
            .filter(requests::search_text.like(format!("%{anchor}%")))
            // An expression the index does not cover: checked on candidates only.
            .filter(requests::search_text.concat("").like(whole).escape('\\')),
        (Some(anchor), Backend::Sqlite) => query
            .filter(
                sql::<Bool>(
                    "row_key IN (SELECT rowid FROM requests_search WHERE requests_search MATCH ",
                )
                .bind::<Text, _>(format!("\"{anchor}\""))
                .sql(")"),
            )
            .filter(requests::search_text.like(whole).escape('\\')),
    }
}

/// Seeks past `(value, id)` on `$col` and orders by `($col, id)`: the
/// `>=` bound lets the index scan start at the cursor instead of the top.
macro_rules! seek {
    ($query:expr, $col:expr, $after:expr, $desc:expr) => {{
        let mut query = $query;
        if let Some((value, id)) = $after {
            query = if $desc {
                query
                    .filter($col.le(value.clone()))
                    .filter($col.lt(value).or(requests::id.lt(id)))
            } else {
                query
                    .filter($col.ge(value.clone()))
                    .filter($col.gt(value).or(requests::id.gt(id)))
            };
        }
        if $desc {
            query.order(($col.desc(), requests::id.desc()))
        } else {
            query.order(($col.asc(), requests::id.asc()))
        }
    }};
}

/// A start of another order than the page's: a caller's bug, since
/// [`Position::start`] reads a position for one order.
fn mismatched(after: &After, sort: SortKey) -> super::Error {
    super::Error::Internal(anyhow::anyhow!(
        "page start {after:?} does not fit {sort:?}"
    ))
}

const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// One page and where the next starts (`None` at the end).
pub fn page(
    conn: &mut DbConnection,
    query: &PageQuery,
) -> Result<(Vec<MlaRequest>, Option<Position>)> {
    let want = query.limit + 1;
    let desc = query.descending;
    let backend = conn.backend();
    let sort = query.sort;
    let mut rows: Vec<RequestRow> = match sort {
        SortKey::StatusSince => {
            let after = match query.after.clone() {
                None => None,
                Some(After::Date(d, id)) => Some((d, id)),
                Some(other) => return Err(mismatched(&other, sort)),
            };
            seek!(
                filtered(&query.filters, backend),
                requests::status_since,
                after,
                desc
            )
            .limit(want)
            .load(conn)?
        }
        SortKey::CreatedAt => {
            let after = match query.after.clone() {
                None => None,
                Some(After::Time(at, id)) => Some((at, id)),
                Some(other) => return Err(mismatched(&other, sort)),
            };
            seek!(
                filtered(&query.filters, backend),
                requests::created_at,
                after,
                desc
            )
            .limit(want)
            .load(conn)?
        }
        SortKey::Reference => {
            let after = match query.after.clone() {
                None => None,
                Some(After::Text(value, id)) => Some((value, id)),
                Some(other) => return Err(mismatched(&other, sort)),
            };
            seek!(
                filtered(&query.filters, backend),
                requests::reference,
                after,
                desc
            )
            .limit(want)
            .load(conn)?
        }
        SortKey::SentAt => {
            // Two segments: dated requests in order, then drafts by id.
            let mut rows = Vec::new();
            let draft_after = match &query.after {
                Some(After::Draft(id)) => Some(id.clone()),
                _ => None,
            };
            if draft_after.is_none() {
                let after = match query.after.clone() {
                    None => None,
                    Some(After::Date(d, id)) => Some((d, id)),
                    Some(other) => return Err(mismatched(&other, sort)),
                };
                let base =
                    filtered(&query.filters, backend).filter(requests::sent_at.is_not_null());
                rows = seek!(base, requests::sent_at, after, desc)
                    .limit(want)
                    .load(conn)?;
            }
            let dated_filter = query.filters.sent_from.is_some() || query.filters.sent_to.is_some();
            if (rows.len() as i64) < want && !dated_filter {
                let mut drafts =
                    filtered(&query.filters, backend).filter(requests::sent_at.is_null());
                if let Some(id) = draft_after {
                    drafts = if desc {
                        drafts.filter(requests::id.lt(id))
                    } else {
                        drafts.filter(requests::id.gt(id))
                    };
                }
                drafts = if desc {
                    drafts.order(requests::id.desc())
                } else {
                    drafts.order(requests::id.asc())
                };
                rows.extend(drafts.limit(want - rows.len() as i64).load(conn)?);
            }
            rows
        }
    };
    let next = if rows.len() as i64 > query.limit {
        rows.truncate(query.limit as usize);
        rows.last().map(|last| Position {
            value: match query.sort {
                SortKey::StatusSince => Some(last.status_since.to_string()),
                SortKey::SentAt => last.sent_at.map(|d| d.to_string()),
                SortKey::CreatedAt => Some(last.created_at.format(TIMESTAMP_FORMAT).to_string()),
                SortKey::Reference => Some(last.reference.clone()),
            },
            id: last.id.clone(),
        })
    } else {
        None
    };
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut links = links::of_requests(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let links = links.remove(&row.id).unwrap_or_default();
            row.into_record()
                .map(|record| MlaRequest { links, ..record })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    Ok((items, next))
}
