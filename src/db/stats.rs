//! The statistics' raw material, aggregated by the database: counts per
//! country, and per-day event/censoring counts for the Kaplan–Meier curves
//! (`crate::stats::km`). Never one row per request, so the cost stays a
//! grouped scan however large the register.
//!
//! Definitions (DESIGN.md, "Statistics"), as of the analysis date `as_of`:
//! - population: requests with a `sent_at` in the period asked, on or before
//!   `as_of`;
//! - a request's status counts if it was reached on or before `as_of`
//!   (`status_since <= as_of`); one reached later counts as pending, since
//!   on `as_of` it was still waiting;
//! - answered: `first_response_at <= as_of`;
//! - time to first response: the days from `sent_at` to `first_response_at`;
//!   without a response by `as_of` the request is censored at `as_of` — also
//!   when it was abandoned for silence, which is no answer, not a lost
//!   record — except when it was withdrawn before any response, censored at
//!   the withdrawal (`closed_at`);
//! - time to execution: the days from `sent_at` to `closed_at` of an
//!   `executed` request; one closed otherwise (refused, withdrawn, abandoned)
//!   is censored when it closed, an open one at `as_of`.

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::deserialize::QueryableByName;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Date, Integer, Text};

use super::DbConnection;
use crate::domain::{Channel, CountryCode, LegalBasis, Offence};
use crate::stats::km::DayCount;

/// Which requests the figures cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub as_of: NaiveDate,
    pub sent_from: Option<NaiveDate>,
    pub sent_to: Option<NaiveDate>,
    /// Any of these (empty: all).
    pub offences: Vec<Offence>,
    pub legal_bases: Vec<LegalBasis>,
    pub channels: Vec<Channel>,
    pub countries: Vec<CountryCode>,
}

impl Population {
    pub fn as_of(as_of: NaiveDate) -> Population {
        Population {
            as_of,
            sent_from: None,
            sent_to: None,
            offences: Vec::new(),
            legal_bases: Vec::new(),
            channels: Vec::new(),
            countries: Vec::new(),
        }
    }
}

/// One country's counts. Every request is in exactly one of `pending`,
/// `executed`, `partially_executed`, `refused`, `withdrawn`, `abandoned`.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct CountryCounts {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    #[diesel(sql_type = BigInt)]
    pub answered: i64,
    /// Sent, acknowledged, waiting for our additional information, or in
    /// execution.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub executed: i64,
    #[diesel(sql_type = BigInt)]
    pub partially_executed: i64,
    #[diesel(sql_type = BigInt)]
    pub refused: i64,
    #[diesel(sql_type = BigInt)]
    pub withdrawn: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned_no_response: i64,
    #[diesel(sql_type = BigInt)]
    pub victims_identified: i64,
}

/// Which waiting time a curve measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// From `sent_at` to the first response.
    FirstResponse,
    /// From `sent_at` to `executed`.
    Execution,
}

/// A country's requests last observed on one day after sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryDay {
    pub country: String,
    pub count: DayCount,
}

/// A bucket of `sent_at`'s requests last observed on one day after sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDay {
    pub bucket: String,
    pub count: DayCount,
}

/// The period a timeline groups `sent_at` by; labels sort in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bucket {
    /// `2025`.
    #[default]
    Year,
    /// `2025-Q3`.
    Quarter,
    /// `2025-07`.
    Month,
}

impl std::str::FromStr for Bucket {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "year" => Ok(Bucket::Year),
            "quarter" => Ok(Bucket::Quarter),
            "month" => Ok(Bucket::Month),
            _ => Err("must be year, quarter or month"),
        }
    }
}

/// One bucket's counts: `sent` requests, `answered` by `as_of`, and three of
/// the statuses on `as_of` (the others — pending, partially executed,
/// withdrawn — make up the rest of `sent`).
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct BucketCounts {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    #[diesel(sql_type = BigInt)]
    pub sent: i64,
    #[diesel(sql_type = BigInt)]
    pub answered: i64,
    #[diesel(sql_type = BigInt)]
    pub executed: i64,
    #[diesel(sql_type = BigInt)]
    pub refused: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned: i64,
}

/// A closing status whose reason the register records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// `abandoned`, with an `abandonment_reason`.
    Abandoned,
    /// `refused`, with a `refusal_ground`.
    Refused,
}

impl Closure {
    pub fn status(self) -> &'static str {
        match self {
            Closure::Abandoned => "abandoned",
            Closure::Refused => "refused",
        }
    }

    fn reason_column(self) -> &'static str {
        match self {
            Closure::Abandoned => "abandonment_reason",
            Closure::Refused => "refusal_ground",
        }
    }
}

/// The requests of one country in the closure's status on `as_of`, with
/// one reason (`None`: none recorded, which the API does not allow).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ReasonCount {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
}

#[derive(QueryableByName)]
struct DayRow {
    /// The country, or the bucket.
    #[diesel(sql_type = Text)]
    grp: String,
    #[diesel(sql_type = Integer)]
    day: i32,
    #[diesel(sql_type = Integer)]
    event: i32,
    #[diesel(sql_type = BigInt)]
    requests: i64,
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

    /// Whole days from `from` to `to` (both dates).
    fn days(&self, to: &str, from: &str) -> String {
        if self.postgres {
            format!("({to} - {from})")
        } else {
            format!("CAST(julianday({to}) - julianday({from}) AS INTEGER)")
        }
    }

    /// The label of `date`'s bucket: `2025`, `2025-Q3` or `2025-07`, which
    /// sort in time order as text.
    fn bucket(&self, bucket: Bucket, date: &str) -> String {
        match (bucket, self.postgres) {
            (Bucket::Year, true) => format!("to_char({date}, 'YYYY')"),
            (Bucket::Quarter, true) => format!(
                "to_char({date}, 'YYYY') || '-Q' || CAST(extract(quarter FROM {date}) AS INTEGER)"
            ),
            (Bucket::Month, true) => format!("to_char({date}, 'YYYY-MM')"),
            (Bucket::Year, false) => format!("strftime('%Y', {date})"),
            (Bucket::Quarter, false) => format!(
                "strftime('%Y', {date}) || '-Q' || \
                 ((CAST(strftime('%m', {date}) AS INTEGER) + 2) / 3)"
            ),
            (Bucket::Month, false) => format!("strftime('%Y-%m', {date})"),
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
    let as_of = d.param();
    let mut sql = format!("sent_at IS NOT NULL AND sent_at <= {as_of}");
    let mut values = vec![Value::Date(p.as_of)];
    if let Some(from) = p.sent_from {
        sql += &format!(" AND sent_at >= {}", d.param());
        values.push(Value::Date(from));
    }
    if let Some(to) = p.sent_to {
        sql += &format!(" AND sent_at <= {}", d.param());
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
                if column == "offences" {
                    format!("offences LIKE {}", d.param())
                } else {
                    format!("{column} = {}", d.param())
                }
            })
            .collect();
        sql += &format!(" AND ({})", tests.join(" OR "));
    };
    // Offences are a JSON array of vocabulary words: `"word"` with its
    // quotes matches exactly one of them.
    any_of(
        "offences",
        p.offences.iter().map(|o| o.as_str().to_string()).collect(),
        |o| format!("%\"{o}\"%"),
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
fn load<T>(conn: &mut DbConnection, sql: String, values: Vec<Value>) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    match conn {
        DbConnection::Postgresql(c) => {
            bind_all(diesel::sql_query(sql).into_boxed(), values).load(c)
        }
        DbConnection::Sqlite(c) => bind_all(diesel::sql_query(sql).into_boxed(), values).load(c),
    }
}

fn dialect(conn: &DbConnection) -> Dialect {
    Dialect {
        postgres: matches!(conn, DbConnection::Postgresql(_)),
        next_param: 0,
    }
}

/// Counts per country, in country-code order.
pub fn country_counts(conn: &mut DbConnection, p: &Population) -> QueryResult<Vec<CountryCounts>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause(&mut d, p);
    let status = status_on(&as_of);
    let count = |statuses: &[&str]| {
        let list: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
        format!(
            "SUM(CASE WHEN s IN ({}) THEN 1 ELSE 0 END)",
            list.join(", ")
        )
    };
    let requests = d.requests();
    let sql = format!(
        "SELECT country, COUNT(*) AS requests, \
                SUM(CASE WHEN first_response_at <= {as_of} THEN 1 ELSE 0 END) AS answered, \
                {pending} AS pending, {executed} AS executed, \
                {partial} AS partially_executed, {refused} AS refused, \
                {withdrawn} AS withdrawn, {abandoned} AS abandoned, \
                SUM(CASE WHEN s = 'abandoned' AND abandonment_reason = 'no_response' \
                         THEN 1 ELSE 0 END) AS abandoned_no_response, \
                SUM(CASE WHEN s IN ('executed', 'partially_executed') \
                          AND status_since <= {as_of} \
                         THEN COALESCE(victims_identified, 0) ELSE 0 END) AS victims_identified \
         FROM (SELECT target_country AS country, {status} AS s, first_response_at, \
                      abandonment_reason, status_since, victims_identified \
               FROM {requests} WHERE {filter}) AS population \
         GROUP BY country ORDER BY country",
        pending = count(&[
            "sent",
            "acknowledged",
            "additional_info_requested",
            "in_execution"
        ]),
        executed = count(&["executed"]),
        partial = count(&["partially_executed"]),
        refused = count(&["refused"]),
        withdrawn = count(&["withdrawn"]),
        abandoned = count(&["abandoned"]),
    );
    load(conn, sql, values)
}

/// Per-country, per-day counts of events and censorings for one waiting
/// time, in (country, day) order.
pub fn waiting_days(
    conn: &mut DbConnection,
    p: &Population,
    waiting: Waiting,
) -> QueryResult<Vec<CountryDay>> {
    Ok(days_by(conn, p, waiting, |_| "target_country".to_string())?
        .into_iter()
        .map(|(country, count)| CountryDay { country, count })
        .collect())
}

/// Per-bucket (of `sent_at`), per-day counts of events and censorings for
/// one waiting time, in (bucket, day) order.
pub fn bucket_waiting_days(
    conn: &mut DbConnection,
    p: &Population,
    waiting: Waiting,
    bucket: Bucket,
) -> QueryResult<Vec<BucketDay>> {
    Ok(days_by(conn, p, waiting, |d| d.bucket(bucket, "sent_at"))?
        .into_iter()
        .map(|(bucket, count)| BucketDay { bucket, count })
        .collect())
}

/// Per-group, per-day counts of events and censorings for one waiting time,
/// grouped by the SQL expression `group` gives, in (group, day) order.
fn days_by(
    conn: &mut DbConnection,
    p: &Population,
    waiting: Waiting,
    group: impl Fn(&Dialect) -> String,
) -> QueryResult<Vec<(String, DayCount)>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause(&mut d, p);
    let (event, until) = match waiting {
        Waiting::FirstResponse => (
            format!("first_response_at IS NOT NULL AND first_response_at <= {as_of}"),
            format!(
                "CASE WHEN first_response_at IS NOT NULL AND first_response_at <= {as_of} \
                      THEN first_response_at \
                      WHEN status = 'withdrawn' AND closed_at <= {as_of} THEN closed_at \
                      ELSE {as_of} END"
            ),
        ),
        Waiting::Execution => (
            format!("status = 'executed' AND closed_at <= {as_of}"),
            format!(
                "CASE WHEN status IN ('executed', 'refused', 'withdrawn', 'abandoned') \
                       AND closed_at <= {as_of} THEN closed_at \
                      ELSE {as_of} END"
            ),
        ),
    };
    let requests = d.requests();
    let sql = format!(
        "SELECT grp, day, event, COUNT(*) AS requests \
         FROM (SELECT {group} AS grp, {days} AS day, \
                      CASE WHEN {event} THEN 1 ELSE 0 END AS event \
               FROM {requests} WHERE {filter}) AS observed \
         GROUP BY grp, day, event ORDER BY grp, day",
        group = group(&d),
        days = d.days(&until, "sent_at"),
    );
    let rows: Vec<DayRow> = load(conn, sql, values)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (events, censored) = if r.event == 1 {
                (r.requests as u64, 0)
            } else {
                (0, r.requests as u64)
            };
            let count = DayCount {
                day: r.day.max(0) as u32,
                events,
                censored,
            };
            (r.grp, count)
        })
        .collect())
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
        "SELECT country, reason, COUNT(*) AS requests \
         FROM (SELECT target_country AS country, {status} AS s, {column} AS reason \
               FROM {requests} WHERE {filter}) AS population \
         WHERE s = '{closed}' \
         GROUP BY country, reason ORDER BY country, reason",
        status = status_on(&as_of),
        column = closure.reason_column(),
        closed = closure.status(),
    );
    load(conn, sql, values)
}

/// Counts per bucket of `sent_at`, in time order. Buckets without any
/// request are absent.
pub fn bucket_counts(
    conn: &mut DbConnection,
    p: &Population,
    bucket: Bucket,
) -> QueryResult<Vec<BucketCounts>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause(&mut d, p);
    let count = |status: &str| format!("SUM(CASE WHEN s = '{status}' THEN 1 ELSE 0 END)");
    let requests = d.requests();
    let sql = format!(
        "SELECT bucket, COUNT(*) AS sent, \
                SUM(CASE WHEN first_response_at <= {as_of} THEN 1 ELSE 0 END) AS answered, \
                {executed} AS executed, {refused} AS refused, {abandoned} AS abandoned \
         FROM (SELECT {label} AS bucket, {status} AS s, first_response_at \
               FROM {requests} WHERE {filter}) AS population \
         GROUP BY bucket ORDER BY bucket",
        label = d.bucket(bucket, "sent_at"),
        status = status_on(&as_of),
        executed = count("executed"),
        refused = count("refused"),
        abandoned = count("abandoned"),
    );
    load(conn, sql, values)
}
