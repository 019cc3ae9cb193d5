//! Storage of cases: insert (with the `created` event of their history),
//! read, save with optimistic locking, the requests of a case, the
//! keyset-paginated list, and the one-off writing of the `created` events
//! of the cases the migration to cases made.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use uuid::Uuid;

use super::error::Result;
use super::events::{self, CaseEventRow, EventKind, GENESIS, NewCaseEvent};
use super::now;
use super::schema::{case_history_backfill, cases, requests};
use super::sql::planned_with_values;
use super::{Backend, DbConnection, MultiBackend, stored};
use crate::domain::case::{Case, CaseFields, CaseRequest};
use crate::domain::request::{Change, Changes, Magistrate};
use crate::domain::{CountryCode, Offence};

/// A `cases` row, column for column.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = cases,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct CaseRow {
    pub id: String,
    pub case_reference: String,
    pub title: String,
    pub issuing_magistrate: String,
    pub offences: String,
    pub trial_date: Option<NaiveDate>,
    pub victims_identified: Option<i32>,
    pub victims_safeguarded: Option<i32>,
    pub foreign_proceedings_opened: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub search_text: String,
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("case fields serialise")
}

fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> QueryResult<T> {
    serde_json::from_str(text).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("unreadable cases.{column} `{text}`: {e}").into(),
        )
    })
}

impl CaseRow {
    pub fn from_case(c: &Case) -> CaseRow {
        let f = &c.fields;
        CaseRow {
            id: c.id.to_string(),
            case_reference: f.case_reference.clone(),
            title: f.title.clone(),
            issuing_magistrate: json(&f.issuing_magistrate),
            offences: json(&f.offences),
            trial_date: f.trial_date,
            victims_identified: f.victims_identified,
            victims_safeguarded: f.victims_safeguarded,
            foreign_proceedings_opened: f.foreign_proceedings_opened.as_str().to_string(),
            version: c.version,
            created_by: c.created_by.to_string(),
            created_at: c.created_at.naive_utc(),
            updated_at: c.updated_at.naive_utc(),
            search_text: search_text(f),
        }
    }

    pub fn into_case(self) -> QueryResult<Case> {
        let magistrate: Magistrate = from_json("issuing_magistrate", &self.issuing_magistrate)?;
        Ok(Case {
            id: stored("cases.id", &self.id)?,
            fields: CaseFields {
                case_reference: self.case_reference,
                title: self.title,
                issuing_magistrate: magistrate,
                offences: from_json("offences", &self.offences)?,
                trial_date: self.trial_date,
                victims_identified: self.victims_identified,
                victims_safeguarded: self.victims_safeguarded,
                foreign_proceedings_opened: stored(
                    "cases.foreign_proceedings_opened",
                    &self.foreign_proceedings_opened,
                )?,
            },
            version: self.version,
            created_by: stored("cases.created_by", &self.created_by)?,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// What `q` searches: case reference, title and magistrate, lower-cased in
/// Rust as for requests.
pub fn search_text(f: &CaseFields) -> String {
    [
        f.case_reference.as_str(),
        &f.title,
        &f.issuing_magistrate.name,
    ]
    .join("\n")
    .to_lowercase()
}

/// Keys of a serialised case that its history does not record: the
/// bookkeeping of the row.
pub const NOT_HISTORY: [&str; 3] = ["version", "created_at", "updated_at"];

/// Every field of `case` its history records, nulls included: what `audit
/// verify` compares with the replay of the history.
pub fn history_fields(case: &Case) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(mut map) = serde_json::to_value(case).expect("cases serialise")
    else {
        unreachable!("a case serialises to an object")
    };
    for key in NOT_HISTORY {
        map.remove(key);
    }
    map
}

/// The initial values of a new case, as changes from nothing.
pub fn creation_changes(case: &Case) -> Changes {
    history_fields(case)
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

/// The case with this id, if there is one.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<Case>> {
    cases::table
        .find(id.to_string())
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?
        .map(CaseRow::into_case)
        .transpose()
        .map_err(Into::into)
}

/// The case with this reference, if there is one.
pub fn find_by_reference(conn: &mut DbConnection, reference: &str) -> Result<Option<Case>> {
    cases::table
        .filter(cases::case_reference.eq(reference))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?
        .map(CaseRow::into_case)
        .transpose()
        .map_err(Into::into)
}

/// `case` inserted with its `created` event (dated `effective_date`, with
/// `note`); or, when a case already has its reference, that case, its row
/// lock held (so that a rename waits for whoever files under it), read as
/// it is.
///
/// PostgreSQL: one statement either way — an insert that, on conflict,
/// updates nothing and so takes the lock — where a lock and then an insert
/// took two round trips for each new case; a concurrent insert of the same
/// reference is waited for. SQLite has one writer, so there is no lock to
/// take and what this transaction reads stays true until it commits: a
/// read, then an insert, two statements kept prepared (its upsert, which
/// diesel never keeps, made creates slower, measured in PERFORMANCE).
pub fn opened_or_locked(
    conn: &mut DbConnection,
    case: &Case,
    effective_date: NaiveDate,
    note: Option<&str>,
) -> Result<Case> {
    let stored = match conn {
        DbConnection::Postgresql(c) => diesel::insert_into(cases::table)
            .values(CaseRow::from_case(case))
            .on_conflict(cases::case_reference)
            .do_update()
            .set(cases::version.eq(cases::version))
            .returning(CaseRow::as_returning())
            .get_result(c)?
            .into_case()?,
        DbConnection::Sqlite(_) => {
            if let Some(found) = find_by_reference(conn, &case.fields.case_reference)? {
                return Ok(found);
            }
            diesel::insert_into(cases::table)
                .values(CaseRow::from_case(case))
                .execute(conn)?;
            case.clone()
        }
    };
    if stored.id == case.id {
        append_created(conn, case, effective_date, note)?;
    }
    Ok(stored)
}

/// Inserts `case` and its `created` event (dated `effective_date`, with
/// `note`), unless a case already has its reference: then nothing is
/// written and `false` comes back. On PostgreSQL a concurrent insert of the
/// same reference is waited for, so the caller can then read it.
pub fn insert_unless_taken(
    conn: &mut DbConnection,
    case: &Case,
    effective_date: NaiveDate,
    note: Option<&str>,
) -> Result<bool> {
    let insert = diesel::insert_into(cases::table)
        .values(CaseRow::from_case(case))
        .on_conflict(cases::case_reference)
        .do_nothing();
    let inserted = match conn {
        DbConnection::Postgresql(c) => insert.execute(c)?,
        DbConnection::Sqlite(c) => insert.execute(c)?,
    };
    if inserted == 0 {
        return Ok(false);
    }
    append_created(conn, case, effective_date, note)?;
    Ok(true)
}

/// The `created` event of a case just inserted.
fn append_created(
    conn: &mut DbConnection,
    case: &Case,
    effective_date: NaiveDate,
    note: Option<&str>,
) -> QueryResult<()> {
    events::append_case_first(
        conn,
        NewCaseEvent {
            case_id: case.id,
            kind: EventKind::Created,
            actor_id: case.created_by,
            effective_date,
            changes: &creation_changes(case),
            note,
        },
    )
}

/// Writes `case` if the stored version is still `expected_version`, and
/// appends `event`; returns the saved case. `Ok(None)`: someone else saved
/// first (the caller answers 412).
pub fn save(
    conn: &mut DbConnection,
    case: &Case,
    expected_version: i32,
    event: NewCaseEvent<'_>,
) -> Result<Option<Case>> {
    let mut saved = case.clone();
    saved.version = expected_version + 1;
    saved.updated_at = now().and_utc();
    let updated = diesel::update(
        cases::table
            .find(case.id.to_string())
            .filter(cases::version.eq(expected_version)),
    )
    .set(CaseRow::from_case(&saved))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    events::append_case(conn, event)?;
    Ok(Some(saved))
}

/// Takes the case's row lock (PostgreSQL; SQLite has one writer), so that
/// events appended to its history by other operations than a PATCH (a
/// preservation's) are numbered one at a time. `false`: no such case.
pub fn lock(conn: &mut DbConnection, id: Uuid) -> Result<bool> {
    let n = diesel::update(cases::table.find(id.to_string()))
        .set(cases::version.eq(cases::version))
        .execute(conn)?;
    Ok(n > 0)
}

/// Whether another case than `except` has this reference.
pub fn reference_taken(conn: &mut DbConnection, reference: &str, except: Uuid) -> Result<bool> {
    let n: i64 = cases::table
        .filter(cases::case_reference.eq(reference))
        .filter(cases::id.ne(except.to_string()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

type SummaryRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

/// The requests of a case, in the order they were sent (drafts last, by
/// reference).
pub fn requests_of(conn: &mut DbConnection, case_id: Uuid) -> Result<Vec<CaseRequest>> {
    let rows: Vec<SummaryRow> = requests::table
        .filter(requests::case_id.eq(case_id.to_string()))
        .select((
            requests::id,
            requests::reference,
            requests::title,
            requests::target_country,
            requests::legal_basis,
            requests::status,
            requests::status_since,
            requests::sent_at,
            requests::first_response_at,
        ))
        .load(conn)?;
    let mut out = rows
        .into_iter()
        .map(
            |(id, reference, title, country, basis, status, since, sent_at, first)| {
                Ok(CaseRequest {
                    id: stored("requests.id", &id)?,
                    reference,
                    title,
                    target_country: CountryCode::parse(&country)
                        .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?,
                    legal_basis: basis
                        .map(|b| stored("requests.legal_basis", &b))
                        .transpose()?,
                    status: stored("requests.status", &status)?,
                    status_since: since,
                    sent_at,
                    first_response_at: first,
                })
            },
        )
        .collect::<QueryResult<Vec<_>>>()?;
    out.sort_by(|a, b| {
        (a.sent_at.is_none(), a.sent_at, &a.reference).cmp(&(
            b.sent_at.is_none(),
            b.sent_at,
            &b.reference,
        ))
    });
    Ok(out)
}

/// The list filters of `GET /cases`.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Already lower-cased.
    pub q: Option<String>,
    /// Cases with a request to this country.
    pub country: Option<CountryCode>,
    /// Cases about any of these offences.
    pub offences: Vec<Offence>,
    pub trial_from: Option<NaiveDate>,
    pub trial_to: Option<NaiveDate>,
}

/// Columns the list of cases can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    CreatedAt,
    CaseReference,
}

/// Where a page starts: past this sort value and id.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    /// `created_at`.
    Time(NaiveDateTime, String),
    /// `case_reference`.
    Text(String, String),
}

/// The format of a `created_at` in a cursor.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl After {
    /// Where the page after (`value`, `id`) starts under `sort`; `None` when
    /// the value cannot belong to that order.
    pub fn parse(sort: SortKey, value: &str, id: String) -> Option<After> {
        match sort {
            SortKey::CreatedAt => NaiveDateTime::parse_from_str(value, TIMESTAMP_FORMAT)
                .ok()
                .map(|t| After::Time(t, id)),
            SortKey::CaseReference => Some(After::Text(value.to_string(), id)),
        }
    }
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

type Boxed = cases::BoxedQuery<
    'static,
    MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<CaseRow, MultiBackend>>,
>;

fn filtered(f: &Filters, backend: Backend) -> Boxed {
    let mut query = cases::table
        .select(CaseRow::as_select())
        .filter(planned_with_values())
        .into_boxed();
    if let Some(country) = f.country {
        query = query.filter(
            cases::id.eq_any(
                requests::table
                    .filter(requests::target_country.eq(country.to_string()))
                    .select(requests::case_id),
            ),
        );
    }
    if !f.offences.is_empty() {
        let mut any = Box::new(sql::<Bool>("1 = 0"))
            as Box<dyn BoxableExpression<cases::table, MultiBackend, SqlType = Bool>>;
        for offence in &f.offences {
            // A JSON array of vocabulary words: `"word"` with its quotes
            // matches exactly one of them.
            any = Box::new(any.or(cases::offences.like(format!("%\"{offence}\"%"))));
        }
        query = query.filter(any);
    }
    if let Some(from) = f.trial_from {
        query = query.filter(cases::trial_date.ge(from));
    }
    if let Some(to) = f.trial_to {
        query = query.filter(cases::trial_date.le(to));
    }
    if let Some(q) = &f.q {
        query = search(query, q, backend);
    }
    query
}

/// Keeps the cases whose `search_text` contains `q` (already lower-case),
/// through the trigram index as `db::requests` does.
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
        (None, _) => query.filter(cases::search_text.like(whole).escape('\\')),
        (Some(anchor), Backend::Postgres) => query
            .filter(cases::search_text.like(format!("%{anchor}%")))
            .filter(cases::search_text.concat("").like(whole).escape('\\')),
        (Some(anchor), Backend::Sqlite) => query
            .filter(
                sql::<Bool>("row_key IN (SELECT rowid FROM cases_search WHERE cases_search MATCH ")
                    .bind::<Text, _>(format!("\"{anchor}\""))
                    .sql(")"),
            )
            .filter(cases::search_text.like(whole).escape('\\')),
    }
}

/// Seeks past `(value, id)` on `$col` and orders by `($col, id)`.
macro_rules! seek {
    ($query:expr, $col:expr, $after:expr, $desc:expr) => {{
        let mut query = $query;
        if let Some((value, id)) = $after {
            query = if $desc {
                query
                    .filter($col.le(value.clone()))
                    .filter($col.lt(value).or(cases::id.lt(id)))
            } else {
                query
                    .filter($col.ge(value.clone()))
                    .filter($col.gt(value).or(cases::id.gt(id)))
            };
        }
        if $desc {
            query.order(($col.desc(), cases::id.desc()))
        } else {
            query.order(($col.asc(), cases::id.asc()))
        }
    }};
}

/// Where the next page starts: the last case's sort value and id.
pub type Next = Option<(String, String)>;

/// One page of cases and where the next starts (`None` at the end).
pub fn page(conn: &mut DbConnection, query: &PageQuery) -> Result<(Vec<Case>, Next)> {
    let want = query.limit + 1;
    let desc = query.descending;
    let backend = conn.backend();
    let base = filtered(&query.filters, backend);
    let mismatched = |after: &After| {
        super::Error::Internal(anyhow::anyhow!(
            "page start {after:?} does not fit {:?}",
            query.sort
        ))
    };
    let mut rows: Vec<CaseRow> = match query.sort {
        SortKey::CreatedAt => {
            let after = match query.after.clone() {
                None => None,
                Some(After::Time(at, id)) => Some((at, id)),
                Some(other) => return Err(mismatched(&other)),
            };
            seek!(base, cases::created_at, after, desc)
                .limit(want)
                .load(conn)?
        }
        SortKey::CaseReference => {
            let after = match query.after.clone() {
                None => None,
                Some(After::Text(value, id)) => Some((value, id)),
                Some(other) => return Err(mismatched(&other)),
            };
            seek!(base, cases::case_reference, after, desc)
                .limit(want)
                .load(conn)?
        }
    };
    let next = if rows.len() as i64 > query.limit {
        rows.truncate(query.limit as usize);
        rows.last().map(|last| {
            let value = match query.sort {
                SortKey::CreatedAt => last.created_at.format(TIMESTAMP_FORMAT).to_string(),
                SortKey::CaseReference => last.case_reference.clone(),
            };
            (value, last.id.clone())
        })
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(CaseRow::into_case)
        .collect::<QueryResult<Vec<_>>>()?;
    Ok((items, next))
}

/// Cases per backfill transaction.
const BACKFILL_CHUNK: i64 = 1_000;

/// Writes the `created` event of every case the migration to cases made
/// (listed in `case_history_backfill`), once, right after the migrations.
///
/// Why here: the event is chained by its SHA-256, which SQLite cannot
/// compute, and one implementation of the hashing (in Rust) is safer than
/// two. Why robust: a chunk of cases per transaction, each chunk's rows
/// deleted from the list as its events are written, so a crash resumes
/// where it stopped; only the cases listed get an event, so a case whose
/// history was deleted later is reported by `audit verify`, never given a
/// new one. The event says where the case came from: its changes are the
/// case's first values, as for a case made through the API; its note names
/// the request its description was taken from, how many requests it
/// gathered and the victims each had recorded.
pub fn backfill_created_events(conn: &mut DbConnection) -> QueryResult<u64> {
    let pending: i64 = case_history_backfill::table.count().get_result(conn)?;
    if pending == 0 {
        return Ok(0);
    }
    log::info!(
        "writing the first event of the history of {pending} case(s) made from the requests"
    );
    let started = std::time::Instant::now();
    let mut written = 0u64;
    loop {
        let n = conn.transaction(backfill_chunk)?;
        if n == 0 {
            break;
        }
        written += n;
    }
    log::info!(
        "wrote the first event of {written} case(s) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(written)
}

type Pending = (String, String, i32, Option<String>);

fn backfill_chunk(conn: &mut DbConnection) -> QueryResult<u64> {
    let pending: Vec<Pending> = case_history_backfill::table
        .order(case_history_backfill::case_id)
        .limit(BACKFILL_CHUNK)
        .select((
            case_history_backfill::case_id,
            case_history_backfill::first_request,
            case_history_backfill::requests,
            case_history_backfill::victims_from,
        ))
        .load(conn)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&String> = pending.iter().map(|p| &p.0).collect();
    let rows: Vec<CaseRow> = cases::table
        .filter(cases::id.eq_any(&ids))
        .select(CaseRow::as_select())
        .load(conn)?;
    let mut by_id: std::collections::HashMap<String, Case> = rows
        .into_iter()
        .map(|row| Ok((row.id.clone(), row.into_case()?)))
        .collect::<QueryResult<_>>()?;
    let recorded_at = now();
    let mut events = Vec::with_capacity(pending.len());
    for (case_id, first_request, requests, victims_from) in &pending {
        let Some(case) = by_id.remove(case_id) else {
            continue;
        };
        let mut note = format!(
            "Made by the migration to cases from the {requests} request(s) filed under this \
             case reference; title, magistrate and offences from {first_request}, the first \
             recorded."
        );
        match victims_from {
            Some(from) => {
                note += &format!(
                    " Victims identified: the largest number its requests recorded ({from})."
                )
            }
            None => note += " No request had recorded victims.",
        }
        events.push(CaseEventRow::new(
            &NewCaseEvent {
                case_id: case.id,
                kind: EventKind::Created,
                actor_id: case.created_by,
                effective_date: case.created_at.date_naive(),
                changes: &creation_changes(&case),
                note: Some(&note),
            },
            1,
            recorded_at,
            GENESIS,
        ));
    }
    // Under SQLite's limit of bound parameters (11 per row).
    for chunk in events.chunks(500) {
        match conn {
            DbConnection::Postgresql(c) => diesel::insert_into(super::schema::case_events::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(super::schema::case_events::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    diesel::delete(
        case_history_backfill::table.filter(case_history_backfill::case_id.eq_any(&ids)),
    )
    .execute(conn)?;
    Ok(pending.len() as u64)
}

/// Whether cases made by the migration still wait for their first event.
pub fn backfill_pending(conn: &mut DbConnection) -> QueryResult<bool> {
    let n: i64 = case_history_backfill::table.count().get_result(conn)?;
    Ok(n > 0)
}
