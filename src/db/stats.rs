//! The two statistics tables still counted by the database, which read
//! few rows through an index: the reasons requests were abandoned or
//! refused for, and the e-Evidence orders. Every other table counts the
//! in-memory copy of the register (`crate::stats::register`, read by
//! `super::register`), where the definitions are written out.

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::deserialize::QueryableByName;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{Date, Text};

use super::DbConnection;
use crate::stats::aggregates::{Closure, Population, ReasonCount};
use crate::stats::eevidence;

/// The column holding why a request closed this way.
fn reason_column(closure: Closure) -> &'static str {
    match closure {
        Closure::Abandoned => "abandonment_reason",
        Closure::Refused => "refusal_ground",
    }
}

/// SQL text for one backend: its placeholders and its date arithmetic.
struct Dialect {
    postgres: bool,
    next_param: usize,
}

impl Dialect {
    /// The next numbered placeholder (`$n`, or SQLite's `?n`), so that a
    /// value can be used more than once and in any order in the text.
    fn param(&mut self) -> String {
        self.next_param += 1;
        let sign = if self.postgres { '$' } else { '?' };
        format!("{sign}{}", self.next_param)
    }

    /// The requests table, read through the covering `requests_stats` index.
    /// SQLite's planner, without statistics, prefers a narrower index that
    /// then fetches every row from the table (three times slower at
    /// 1,000,000 requests); PostgreSQL chooses well on its own.
    fn requests(&self) -> &'static str {
        if self.postgres {
            "requests"
        } else {
            "requests INDEXED BY requests_stats"
        }
    }

    /// [`Self::requests`] under the alias `r`.
    fn requests_as_r(&self) -> &'static str {
        if self.postgres {
            "requests AS r"
        } else {
            "requests AS r INDEXED BY requests_stats"
        }
    }

    /// Whole days from `from` to `to` (both dates).
    fn days(&self, to: &str, from: &str) -> String {
        if self.postgres {
            format!("({to} - {from})")
        } else {
            format!("CAST(julianday({to}) - julianday({from}) AS INTEGER)")
        }
    }
}

/// The status a request had on `as_of`, as far as the register knows: its
/// current one if reached by then, else "still waiting" (`pending`).
fn status_on(as_of: &str) -> String {
    format!("CASE WHEN status_since <= {as_of} THEN status ELSE 'sent' END")
}

/// The WHERE clause for `population`, the placeholder that holds `as_of`
/// (the first), and the values to bind, in placeholder order.
fn where_clause(d: &mut Dialect, p: &Population) -> (String, String, Vec<Value>) {
    where_clause_on(d, p, "")
}

/// [`where_clause`] over the columns of the table named `prefix` (`r.`).
fn where_clause_on(d: &mut Dialect, p: &Population, prefix: &str) -> (String, String, Vec<Value>) {
    let as_of = d.param();
    let mut sql = format!("{prefix}sent_at IS NOT NULL AND {prefix}sent_at <= {as_of}");
    let mut values = vec![Value::Date(p.as_of)];
    if let Some(from) = p.sent_from {
        sql += &format!(" AND {prefix}sent_at >= {}", d.param());
        values.push(Value::Date(from));
    }
    if let Some(to) = p.sent_to {
        sql += &format!(" AND {prefix}sent_at <= {}", d.param());
        values.push(Value::Date(to));
    }
    let mut any_of = |column: &str, items: Vec<String>, pattern: fn(String) -> String| {
        if items.is_empty() {
            return;
        }
        let tests: Vec<String> = items
            .into_iter()
            .map(|item| {
                values.push(Value::Text(pattern(item)));
                if matches!(column, "offences" | "measures" | "facilitators") {
                    format!("{prefix}{column} LIKE {}", d.param())
                } else {
                    format!("{prefix}{column} = {}", d.param())
                }
            })
            .collect();
        sql += &format!(" AND ({})", tests.join(" OR "));
    };
    // Offences, measures and facilitators are JSON arrays of vocabulary
    // words: `"word"` with its quotes matches exactly one of them.
    let in_array = |word: String| format!("%\"{word}\"%");
    any_of(
        "offences",
        p.offences.iter().map(|o| o.as_str().to_string()).collect(),
        in_array,
    );
    any_of(
        "measures",
        p.measures.iter().map(|m| m.as_str().to_string()).collect(),
        in_array,
    );
    any_of(
        "facilitators",
        p.facilitators
            .iter()
            .map(|f| f.as_str().to_string())
            .collect(),
        in_array,
    );
    any_of(
        "priority",
        p.priorities
            .iter()
            .map(|v| v.as_str().to_string())
            .collect(),
        |v| v,
    );
    any_of(
        "legal_basis",
        p.legal_bases
            .iter()
            .map(|b| b.as_str().to_string())
            .collect(),
        |b| b,
    );
    any_of(
        "channel",
        p.channels.iter().map(|c| c.as_str().to_string()).collect(),
        |c| c,
    );
    any_of(
        "target_country",
        p.countries.iter().map(|c| c.as_str().to_string()).collect(),
        |c| c,
    );
    (sql, as_of, values)
}

enum Value {
    Date(NaiveDate),
    Text(String),
}

fn bind_all<'a, DB>(
    mut query: BoxedSqlQuery<'a, DB, SqlQuery>,
    values: Vec<Value>,
) -> BoxedSqlQuery<'a, DB, SqlQuery>
where
    DB: Backend + diesel::sql_types::HasSqlType<Date> + diesel::sql_types::HasSqlType<Text>,
    NaiveDate: ToSql<Date, DB>,
    String: ToSql<Text, DB>,
{
    for value in values {
        query = match value {
            Value::Date(d) => query.bind::<Date, _>(d),
            Value::Text(t) => query.bind::<Text, _>(t),
        };
    }
    query
}

/// Runs `sql` with `values` on whichever backend `conn` is.
///
/// On PostgreSQL with [`PG_WORK_MEM`] for the statement: each statistics
/// query hashes the whole population by country and day (or by case), and
/// with the server's default 4 MB the planner sorted on disk instead, or
/// probed the cases with victims by a linear scan per request (over a
/// minute at 1,000,000 requests).
fn load<T>(conn: &mut DbConnection, sql: String, values: Vec<Value>) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    match conn {
        DbConnection::Postgresql(c) => c.transaction(|c| {
            diesel::connection::SimpleConnection::batch_execute(
                c,
                &format!("SET LOCAL work_mem = '{PG_WORK_MEM}'"),
            )?;
            bind_all(diesel::sql_query(sql).into_boxed(), values).load(c)
        }),
        DbConnection::Sqlite(c) => bind_all(diesel::sql_query(sql).into_boxed(), values).load(c),
    }
}

/// The memory PostgreSQL may use for each sort or hash of a statistics
/// query, on top of the server's setting for everything else: a few
/// statistics requests at once stay well within a server's means.
const PG_WORK_MEM: &str = "64MB";

fn dialect(conn: &DbConnection) -> Dialect {
    Dialect {
        postgres: matches!(conn, DbConnection::Postgresql(_)),
        next_param: 0,
    }
}

/// The sum of the record keys of the rows an aggregate counts (`filter`: a
/// `FILTER (WHERE …)` clause or nothing), `0` over none, as a `BIGINT` on
/// both backends (PostgreSQL sums `BIGINT`s into a `NUMERIC`). A sum stays
/// far inside 64 bits: 2³² per request.
fn key_sum(filter: &str) -> String {
    format!("CAST(COALESCE(SUM(record_key) {filter}, 0) AS BIGINT)")
}

/// Per country and reason, the requests whose status on `as_of` is the
/// closure's, in (country, reason) order. Countries without any are absent.
pub fn reason_counts(
    conn: &mut DbConnection,
    p: &Population,
    closure: Closure,
) -> QueryResult<Vec<ReasonCount>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause(&mut d, p);
    let requests = d.requests();
    let sql = format!(
        "SELECT country, reason, COUNT(*) AS requests, {keys} AS requests_key \
         FROM (SELECT target_country AS country, {status} AS s, {column} AS reason, \
                      record_key \
               FROM {requests} WHERE {filter}) AS population \
         WHERE s = '{closed}' \
         GROUP BY country, reason ORDER BY country, reason",
        status = status_on(&as_of),
        keys = key_sum(""),
        column = reason_column(closure),
        closed = closure.status(),
    );
    load(conn, sql, values)
}

/// The e-evidence orders of the population (`legal_basis =
/// e_evidence_regulation`, whatever else it filters on) counted in one
/// grouped pass by group — each data category an order asks for and
/// [`eevidence::ALL_ORDERS`] (every order once), or its addressee —,
/// emergency (by category), outcome on `as_of` and day: the days from
/// `sent_at` to data of a complied order (`closed_at` when executed,
/// `status_since` when partially executed), else to the day it was
/// censored (`closed_at` when refused, withdrawn or abandoned by `as_of`,
/// otherwise `as_of`), a negative value counting as 0. Definitions in
/// [`crate::stats::eevidence`].
pub fn eevidence_counts(
    conn: &mut DbConnection,
    p: &Population,
    by: eevidence::By,
) -> QueryResult<Vec<eevidence::OrderCount>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause_on(&mut d, p, "r.");
    // The categories as a derived table of literals (a VALUES list with
    // column names is not SQLite's), joined on the measures' JSON array.
    let (group, emergency, join) = match by {
        eevidence::By::Category => {
            let labels: Vec<String> = std::iter::once(eevidence::ALL_ORDERS)
                .chain(eevidence::CATEGORIES)
                .map(|c| format!("SELECT '{c}' AS category"))
                .collect();
            (
                "c.category",
                "CASE WHEN r.priority = 'emergency' THEN 1 ELSE 0 END",
                format!(
                    "JOIN ({}) AS c ON c.category = '{all}' \
                                       OR r.measures LIKE '%\"' || c.category || '\"%'",
                    labels.join(" UNION ALL "),
                    all = eevidence::ALL_ORDERS,
                ),
            )
        }
        eevidence::By::Addressee => ("COALESCE(r.requested_authority, '')", "0", String::new()),
    };
    let days = d.days("until", "sent_at");
    let sql = format!(
        "SELECT grp, emergency, outcome, CAST(CASE WHEN {days} < 0 THEN 0 ELSE {days} END AS INTEGER) AS day, \
                COUNT(*) AS orders, {keys} AS orders_key \
         FROM (SELECT grp, emergency, sent_at, record_key, \
                      CASE WHEN s IN ('executed', 'partially_executed') THEN '{complied}' \
                           WHEN s = 'refused' THEN '{not_complied}' \
                           ELSE '{pending}' END AS outcome, \
                      CASE WHEN s IN ('executed', 'partially_executed') \
                           THEN COALESCE(closed_at, status_since) \
                           WHEN s IN ('refused', 'withdrawn', 'abandoned') THEN closed_at \
                           ELSE {as_of} END AS until \
               FROM (SELECT {group} AS grp, CAST({emergency} AS INTEGER) AS emergency, \
                            {status} AS s, r.sent_at, r.closed_at, r.status_since, r.record_key \
                     FROM {requests} {join} \
                     WHERE {filter} AND r.legal_basis = '{basis}') AS orders) AS dated \
         GROUP BY grp, emergency, outcome, day",
        keys = key_sum(""),
        complied = eevidence::COMPLIED,
        not_complied = eevidence::NOT_COMPLIED,
        pending = eevidence::PENDING,
        status = status_on(&as_of),
        basis = crate::domain::LegalBasis::EEvidenceRegulation.as_str(),
        // Through the index, checking `legal_basis` there before reading a
        // row: read whole, the table took 7.4 s at 1,000,000 requests
        // holding no order, the index 0.5 s.
        requests = d.requests_as_r(),
    );
    load(conn, sql, values)
}
