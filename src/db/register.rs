//! Reads the register into the statistics' copy of it
//! ([`crate::stats::register::Register`]): all of it once, then the
//! requests and cases the change log (`stats_changes`, migration 000014)
//! says changed since.
//!
//! A [`Mark`] says how far a copy has read. It is taken before the rows are
//! read, so that anything committed while they are read is read again next
//! time rather than missed: putting a request in twice changes nothing.
//! - SQLite writes one transaction at a time, so the log's `seq` grows in
//!   commit order: the mark is the last `seq`, and the next read takes
//!   what comes after it.
//! - PostgreSQL commits in any order: the mark is the oldest transaction
//!   still running (`pg_snapshot_xmin`), and the next read takes every
//!   entry written by it or a newer one — all a copy may not have seen.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};

use super::DbConnection;
use crate::stats::register::{Columns, Register};

/// How far a copy has read the change log (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(i64);

/// Requests fetched at a time from PostgreSQL's cursor.
const CHUNK: i64 = 20_000;

/// The whole register, and the mark to read its changes from.
pub fn read_all(conn: &mut DbConnection) -> QueryResult<(Register, Mark)> {
    let mark = mark(conn)?;
    let mut register = Register::default();
    read_requests(conn, &mut register, None)?;
    let cases: Vec<CaseRow> = query(
        conn,
        "SELECT id, CAST(victims_identified AS BIGINT) AS victims_identified \
         FROM cases WHERE victims_identified > 0",
    )?;
    for case in cases {
        register.put_case(&case.id, case.victims_identified);
    }
    Ok((register, mark))
}

/// Brings `register` up to date with what changed since `since`; returns
/// the new mark.
pub fn read_changes(
    conn: &mut DbConnection,
    register: &mut Register,
    since: Mark,
) -> QueryResult<Mark> {
    let mark = mark(conn)?;
    read_requests(conn, register, Some(since))?;
    let cases: Vec<CaseRow> = query(
        conn,
        &format!(
            "SELECT id, CAST(victims_identified AS BIGINT) AS victims_identified \
             FROM cases WHERE id IN (SELECT id FROM stats_changes WHERE kind = 'case' AND {})",
            changed_since(conn, since)
        ),
    )?;
    for case in cases {
        register.put_case(&case.id, case.victims_identified);
    }
    Ok(mark)
}

fn mark(conn: &mut DbConnection) -> QueryResult<Mark> {
    let sql = match conn {
        DbConnection::Postgresql(_) => {
            "SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT) AS mark"
        }
        DbConnection::Sqlite(_) => "SELECT COALESCE(MAX(seq), 0) AS mark FROM stats_changes",
    };
    let rows: Vec<MarkRow> = query(conn, sql)?;
    Ok(Mark(rows.first().map_or(0, |row| row.mark)))
}

/// The condition on the log's entries a copy marked `mark` has not seen.
/// The mark is an integer of ours, written into the text: PostgreSQL takes
/// no parameters in a cursor's declaration.
fn changed_since(conn: &DbConnection, Mark(mark): Mark) -> String {
    match conn {
        DbConnection::Postgresql(_) => format!("xact >= {mark}"),
        DbConnection::Sqlite(_) => format!("seq > {mark}"),
    }
}

/// Reads the requests sent (`since`: `None`) or those changed since the
/// mark into `register`, in one pass over the table in its own order; a
/// changed request no longer sent is taken out.
///
/// The rows stream in, so that a million are never held as text at once
/// (several hundred megabytes): on SQLite one statement stepped row by
/// row, on PostgreSQL (reading it whole) a cursor fetched [`CHUNK`] rows
/// at a time. Read in identifier order a chunk at a time instead,
/// PostgreSQL fetched the table's pages in random order (37 s at 1,000,000
/// requests).
fn read_requests(
    conn: &mut DbConnection,
    register: &mut Register,
    since: Option<Mark>,
) -> QueryResult<()> {
    // A request's follow-ups matter only once it is abandoned (the chasing
    // table), so only then are they counted.
    let columns = "r.id, r.case_id, r.record_key, r.created_at, r.target_country, r.sent_at, \
                   r.status, r.status_since, r.acknowledged_at, r.first_response_at, \
                   r.closed_at, r.abandonment_reason, r.priority, r.legal_basis, r.channel, \
                   r.offences, r.measures, r.facilitators, r.measure_outcomes, \
                   CASE WHEN r.status = 'abandoned' THEN \
                       (SELECT COUNT(*) FROM request_events AS e \
                        WHERE e.request_id = r.id AND e.kind = 'follow_up' \
                          AND e.effective_date <= r.closed_at) \
                   ELSE 0 END AS follow_ups";
    let which = match since {
        None => "r.sent_at IS NOT NULL".to_string(),
        Some(mark) => format!(
            "r.id IN (SELECT id FROM stats_changes WHERE kind = 'request' AND {})",
            changed_since(conn, mark)
        ),
    };
    let sql = format!("SELECT {columns} FROM requests AS r WHERE {which}");
    let mut put = |row: RequestRow| -> QueryResult<()> {
        let columns = row.sent_at.map(|sent_at| Columns {
            id: &row.id,
            case_id: &row.case_id,
            record_key: row.record_key,
            created_at: row.created_at,
            target_country: &row.target_country,
            sent_at,
            status: &row.status,
            status_since: row.status_since,
            acknowledged_at: row.acknowledged_at,
            first_response_at: row.first_response_at,
            closed_at: row.closed_at,
            abandonment_reason: row.abandonment_reason.as_deref(),
            priority: &row.priority,
            legal_basis: row.legal_basis.as_deref(),
            channel: row.channel.as_deref(),
            offences: &row.offences,
            measures: &row.measures,
            facilitators: &row.facilitators,
            measure_outcomes: &row.measure_outcomes,
            follow_ups: row.follow_ups,
        });
        register
            .put(&row.id, columns.as_ref())
            .map_err(|e| diesel::result::Error::DeserializationError(e.into()))
    };
    match conn {
        DbConnection::Sqlite(c) => {
            use diesel::connection::DefaultLoadingMode;
            for row in diesel::sql_query(&sql).load_iter::<RequestRow, DefaultLoadingMode>(c)? {
                put(row?)?;
            }
            Ok(())
        }
        // A few changed rows: a cursor's plan, made to start fast, read
        // the whole table to find them (0.3 s at 1,000,000 requests).
        DbConnection::Postgresql(c) if since.is_some() => {
            for row in diesel::sql_query(&sql).load::<RequestRow>(c)? {
                put(row)?;
            }
            Ok(())
        }
        DbConnection::Postgresql(c) => c.transaction(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&format!("DECLARE stats_rows NO SCROLL CURSOR FOR {sql}"))?;
            loop {
                let rows: Vec<RequestRow> =
                    diesel::sql_query(format!("FETCH {CHUNK} FROM stats_rows")).load(c)?;
                let done = (rows.len() as i64) < CHUNK;
                for row in rows {
                    put(row)?;
                }
                if done {
                    return Ok(());
                }
            }
        }),
    }
}

/// Runs `sql`, without parameters, on either backend.
fn query<T>(conn: &mut DbConnection, sql: &str) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(sql).load(c),
        DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
    }
}

#[derive(QueryableByName)]
struct MarkRow {
    #[diesel(sql_type = BigInt)]
    mark: i64,
}

#[derive(QueryableByName)]
struct CaseRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    victims_identified: Option<i64>,
}

#[derive(QueryableByName)]
struct RequestRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = BigInt)]
    record_key: i64,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    target_country: String,
    #[diesel(sql_type = Nullable<Date>)]
    sent_at: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Date)]
    status_since: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    acknowledged_at: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    first_response_at: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    closed_at: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    abandonment_reason: Option<String>,
    #[diesel(sql_type = Text)]
    priority: String,
    #[diesel(sql_type = Nullable<Text>)]
    legal_basis: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    channel: Option<String>,
    #[diesel(sql_type = Text)]
    offences: String,
    #[diesel(sql_type = Text)]
    measures: String,
    #[diesel(sql_type = Text)]
    facilitators: String,
    #[diesel(sql_type = Text)]
    measure_outcomes: String,
    #[diesel(sql_type = BigInt)]
    follow_ups: i64,
}
