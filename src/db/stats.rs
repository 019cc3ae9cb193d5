//! The statistics' raw material, aggregated by the database into the types
//! of [`crate::stats::aggregates`]: counts per country, and per-day
//! event/censoring counts for the Kaplan–Meier curves (`crate::stats::km`).
//! Never one row per request, so the cost stays a grouped scan however
//! large the register.
//!
//! Definitions (docs/DOMAIN.md, "Statistics"), as of the analysis date `as_of`:
//! - population: requests with a `sent_at` in the period asked, on or before
//!   `as_of`;
//! - a request's status counts if it was reached on or before `as_of`
//!   (`status_since <= as_of`); one reached later counts as pending, since
//!   on `as_of` it was still waiting;
//! - answered: `first_response_at <= as_of`;
//! - time to acknowledgement: the days from `sent_at` to the first of
//!   `acknowledged_at` and `first_response_at`, censored as the next;
//! - time to first response: the days from `sent_at` to `first_response_at`;
//!   without a response by `as_of` the request is censored at `as_of` — also
//!   when it was abandoned for silence, which is no answer, not a lost
//!   record — except when it was withdrawn before any response, censored at
//!   the withdrawal (`closed_at`);
//! - time to execution: the days from `sent_at` to `closed_at` of an
//!   `executed` request; one closed otherwise (refused, withdrawn, abandoned)
//!   is censored when it closed, an open one at `as_of`;
//! - victims identified: each case's `victims_identified` once, for the
//!   country of one of its requests in the population executed or partially
//!   executed on `as_of` — the first sent of those whose `identify_victims`
//!   measure was executed, else of those that asked for it, else of them
//!   all (ties: the first recorded) — so the column still adds up to its
//!   total;
//! - follow-ups before abandoning (the chasing table): of a request
//!   abandoned on `as_of` with reason `no_response`, its `follow_up` events
//!   whose effective date is on or before its `closed_at`;
//! - cases (the victims table): the distinct cases with at least one
//!   request of the population in the row, those with
//!   `victims_identified > 0` among them, whatever became of the requests.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::deserialize::QueryableByName;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text};

use super::DbConnection;
use crate::stats::aggregates::{
    Bucket, BucketCounts, BucketDay, Closure, CohortCounts, CountryCounts, CountryDay, DayKeys,
    Population, ReasonCount, Waiting,
};
use crate::stats::chasing::{self, FollowUpCount};
use crate::stats::eevidence;
use crate::stats::km::DayCount;
use crate::stats::regions::{self, Grouping};
use crate::stats::victims::CaseCounts;

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

    /// The requests table for a pass that reads a column the covering
    /// index lacks (`case_id`). Without statistics SQLite walks an index on
    /// `sent_at` or the country for a filter that keeps every request, then
    /// fetches each row from the table (twice as slow as reading the table
    /// at 300,000 requests); so it reads the table unless the population is
    /// narrowed by country or by period, where those indexes pay.
    fn whole_rows(&self, p: &Population) -> &'static str {
        if self.postgres || !p.countries.is_empty() || p.sent_from.is_some() || p.sent_to.is_some()
        {
            "requests"
        } else {
            "requests NOT INDEXED"
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

    /// A join in the order written. SQLite's planner, without statistics,
    /// starts the victims' attribution from the requests' status index and
    /// fetches half the register row by row (3.9 s at 1,000,000 requests);
    /// from the few cases with victims through `requests_case` it takes
    /// 0.9 s. SQLite keeps the order of a `CROSS JOIN`; PostgreSQL plans
    /// well on its own and takes no `ON` after one.
    fn join_in_order(&self) -> &'static str {
        if self.postgres { "JOIN" } else { "CROSS JOIN" }
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

/// Counts per country, victims included, in country-code order: the
/// [`request_counts`] with the [`victims_by_country`] (which the service
/// runs at once instead).
pub fn country_counts(conn: &mut DbConnection, p: &Population) -> QueryResult<Vec<CountryCounts>> {
    let counts = request_counts(conn, p)?;
    Ok(with_victims(counts, victims_by_country(conn, p)?))
}

/// `counts` with each country's victims identified.
pub fn with_victims(
    mut counts: Vec<CountryCounts>,
    victims: Vec<CountryVictims>,
) -> Vec<CountryCounts> {
    let victims: BTreeMap<String, CountryVictims> = victims
        .into_iter()
        .map(|v| (v.country.clone(), v))
        .collect();
    for row in &mut counts {
        if let Some(v) = victims.get(&row.country) {
            row.victims_identified = v.victims;
            row.victims_key = v.victims_key;
        }
    }
    counts
}

/// Counts per country in country-code order, victims apart (0: see
/// [`victims_by_country`]).
///
/// One pass over the covering index, grouped in its order (no sort), with
/// `COUNT(*) FILTER (WHERE …)` per column: SQLite evaluates a filter far
/// faster than a `SUM(CASE …)` (at 1,000,000 requests the query went from
/// 1.0 s to 0.45 s), and PostgreSQL reads it as well. `pending` is what is
/// left once the final statuses reached by `as_of` are counted.
pub fn request_counts(conn: &mut DbConnection, p: &Population) -> QueryResult<Vec<CountryCounts>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause(&mut d, p);
    let on_as_of = |condition: &str| format!("status_since <= {as_of} AND {condition}");
    // Each count `name` and `name_key`, the sum of its requests' record keys.
    let counted = |name: &str, condition: &str| {
        format!(
            "COUNT(*) FILTER (WHERE {condition}) AS {name}, \
             {} AS {name}_key",
            key_sum(&format!("FILTER (WHERE {condition})"))
        )
    };
    let status = |status: &str| counted(status, &on_as_of(&format!("status = '{status}'")));
    let requests = d.requests();
    let sql = format!(
        "SELECT country, requests, answered, acknowledged, \
                requests - executed - partially_executed - refused - withdrawn - abandoned \
                    AS pending, \
                executed, partially_executed, refused, withdrawn, abandoned, \
                abandoned_no_response, CAST(0 AS BIGINT) AS victims_identified, \
                requests_key, answered_key, acknowledged_key, \
                requests_key - executed_key - partially_executed_key - refused_key \
                    - withdrawn_key - abandoned_key AS pending_key, \
                executed_key, partially_executed_key, refused_key, withdrawn_key, \
                abandoned_key, abandoned_no_response_key, CAST(0 AS BIGINT) AS victims_key \
         FROM (SELECT target_country AS country, COUNT(*) AS requests, \
                      {all_keys} AS requests_key, \
                      {answered}, {acknowledged}, {executed}, {partial}, {refused}, {withdrawn}, {abandoned}, \
                      {no_response} \
               FROM {requests} WHERE {filter} \
               GROUP BY target_country) AS per_country \
         ORDER BY country",
        all_keys = key_sum(""),
        answered = counted("answered", &format!("first_response_at <= {as_of}")),
        acknowledged = counted(
            "acknowledged",
            &format!("(acknowledged_at <= {as_of} OR first_response_at <= {as_of})")
        ),
        executed = status("executed"),
        partial = status("partially_executed"),
        refused = status("refused"),
        withdrawn = status("withdrawn"),
        abandoned = status("abandoned"),
        no_response = counted(
            "abandoned_no_response",
            &on_as_of("status = 'abandoned' AND abandonment_reason = 'no_response'")
        ),
    );
    load(conn, sql, values)
}

/// The sum of the record keys of the rows an aggregate counts (`filter`: a
/// `FILTER (WHERE …)` clause or nothing), `0` over none, as a `BIGINT` on
/// both backends (PostgreSQL sums `BIGINT`s into a `NUMERIC`). A sum stays
/// far inside 64 bits: 2³² per request.
fn key_sum(filter: &str) -> String {
    format!("CAST(COALESCE(SUM(record_key) {filter}, 0) AS BIGINT)")
}

/// Victims identified per country, each case's once (see the module
/// documentation for the request that takes them), with the sums of the
/// record keys of the requests that took them. Countries without are
/// absent.
///
/// Driven from the cases that have victims (an index holds exactly them
/// and how many), then their requests: victims are rare beside requests,
/// so this reads few rows however large the register.
pub fn victims_by_country(
    conn: &mut DbConnection,
    p: &Population,
) -> QueryResult<Vec<CountryVictims>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause_on(&mut d, p, "r.");
    let sql = format!(
        "SELECT country, CAST(SUM(victims) AS BIGINT) AS victims, \
                CAST(SUM(record_key) AS BIGINT) AS victims_key \
         FROM (SELECT r.target_country AS country, c.victims_identified AS victims, \
                      r.record_key, \
                      ROW_NUMBER() OVER ( \
                          PARTITION BY c.id \
                          ORDER BY CASE WHEN r.measure_outcomes LIKE '%\"identify_victims\":\"executed\"%' \
                                        THEN 0 \
                                        WHEN r.measures LIKE '%\"identify_victims\"%' THEN 1 \
                                        ELSE 2 END, \
                                   r.sent_at, r.created_at, r.id) AS pick \
               FROM cases AS c {join} requests AS r ON r.case_id = c.id \
               WHERE c.victims_identified > 0 AND r.status_since <= {as_of} \
                 AND r.status IN ('executed', 'partially_executed') AND {filter}) AS attributed \
         WHERE pick = 1 \
         GROUP BY country",
        join = d.join_in_order(),
    );
    load(conn, sql, values)
}

/// One country's victims identified, from [`victims_by_country`].
#[derive(Debug, Clone, QueryableByName)]
pub struct CountryVictims {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = BigInt)]
    pub victims: i64,
    #[diesel(sql_type = BigInt)]
    pub victims_key: i64,
}

/// Per-country, per-day counts of events and censorings for each of the
/// three clocks ([`Waiting::ALL`], in that order), each in (country, day)
/// order, from one pass over the population: the three read the same rows,
/// so one scan serves them (a pass each made the country table 2.2 s at
/// 1,000,000 requests on SQLite).
pub fn clock_days(conn: &mut DbConnection, p: &Population) -> QueryResult<[Vec<CountryDay>; 3]> {
    let [acknowledgement, response, execution] =
        days_by(conn, p, &Waiting::ALL, |_| "target_country".to_string())?
            .try_into()
            .expect("one list per clock asked");
    let by_country = |days: Vec<(String, DayCount, DayKeys)>| {
        days.into_iter()
            .map(|(country, count, keys)| CountryDay {
                country,
                count,
                keys,
            })
            .collect()
    };
    Ok([
        by_country(acknowledgement),
        by_country(response),
        by_country(execution),
    ])
}

/// Per-bucket (of `sent_at`), per-day counts of events and censorings for
/// one waiting time, in (bucket, day) order.
pub fn bucket_waiting_days(
    conn: &mut DbConnection,
    p: &Population,
    waiting: Waiting,
    bucket: Bucket,
) -> QueryResult<Vec<BucketDay>> {
    let days = days_by(conn, p, &[waiting], |d| d.bucket(bucket, "sent_at"))?;
    Ok(days
        .into_iter()
        .flatten()
        .map(|(bucket, count, keys)| BucketDay {
            bucket,
            count,
            keys,
        })
        .collect())
}

/// The SQL of one waiting time: the condition that its event happened by
/// `as_of`, and the date the request was last observed (the event's, or
/// the censoring's).
fn clock(waiting: Waiting, as_of: &str) -> (String, String) {
    match waiting {
        Waiting::Acknowledgement => {
            // The first of the acknowledgement and the first response.
            let receipt = "CASE WHEN acknowledged_at IS NOT NULL \
                                AND (first_response_at IS NULL OR acknowledged_at <= first_response_at) \
                           THEN acknowledged_at ELSE first_response_at END";
            (
                format!("{receipt} <= {as_of}"),
                format!(
                    "CASE WHEN {receipt} <= {as_of} THEN {receipt} \
                          WHEN status = 'withdrawn' AND closed_at <= {as_of} THEN closed_at \
                          ELSE {as_of} END"
                ),
            )
        }
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
    }
}

/// For each of `clocks` (at most [`CLOCKS_PER_PASS`]), per-group, per-day
/// counts of events and censorings with the sums of their record keys,
/// grouped by the SQL expression `group` gives, in (group, day) order — all
/// from one pass over the population.
fn days_by(
    conn: &mut DbConnection,
    p: &Population,
    clocks: &[Waiting],
    group: impl Fn(&Dialect) -> String,
) -> QueryResult<Vec<Vec<(String, DayCount, DayKeys)>>> {
    assert!(
        (1..=CLOCKS_PER_PASS).contains(&clocks.len()),
        "one to {CLOCKS_PER_PASS} clocks per pass"
    );
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause(&mut d, p);
    // Per clock, its day (never below 0: a response dated before sending
    // counts on day 0) and whether it is an event (1) or a censoring (0).
    let observed: Vec<(String, String)> = clocks
        .iter()
        .map(|&waiting| {
            let (event, until) = clock(waiting, &as_of);
            (
                d.days(&until, "sent_at"),
                format!("CASE WHEN {event} THEN 1 ELSE 0 END"),
            )
        })
        .collect();
    let requests = d.requests();
    let group = group(&d);
    // Both backends return one histogram per group and clock, as
    // `DayHistogram` text: a few dozen rows instead of one per group and day.
    let rows: Vec<HistogramRow> = match conn {
        DbConnection::Postgresql(_) => {
            // One scan feeding one hash table per clock (a grouping set
            // each): each request's (day, event) once per clock, told apart
            // by which columns the set grouped. One request three times
            // over through a `LATERAL (VALUES …)` took three times as long.
            let columns: Vec<String> = observed
                .iter()
                .enumerate()
                .map(|(i, (day, event))| {
                    format!("GREATEST({day}, 0) AS day_{i}, {event} AS event_{i}")
                })
                .collect();
            let sets: Vec<String> = (0..clocks.len())
                .map(|i| format!("(grp, day_{i}, event_{i})"))
                .collect();
            let which: Vec<String> = (0..clocks.len())
                .map(|i| format!("WHEN GROUPING(day_{i}) = 0 THEN {i}"))
                .collect();
            let day: Vec<String> = (0..clocks.len()).map(|i| format!("day_{i}")).collect();
            let event: Vec<String> = (0..clocks.len()).map(|i| format!("event_{i}")).collect();
            let sql = format!(
                "SELECT grp, clock, string_agg(day || ':' || events || ':' || censored \
                                        || ':' || event_keys || ':' || censored_keys, ' ' \
                                        ORDER BY day) AS days \
                 FROM (SELECT grp, clock, day, \
                              CAST(COALESCE(SUM(n) FILTER (WHERE event = 1), 0) AS BIGINT) AS events, \
                              CAST(COALESCE(SUM(n) FILTER (WHERE event = 0), 0) AS BIGINT) AS censored, \
                              CAST(COALESCE(SUM(keys) FILTER (WHERE event = 1), 0) AS BIGINT) \
                                  AS event_keys, \
                              CAST(COALESCE(SUM(keys) FILTER (WHERE event = 0), 0) AS BIGINT) \
                                  AS censored_keys \
                       FROM (SELECT grp, CASE {which} END AS clock, \
                                    COALESCE({day}) AS day, COALESCE({event}) AS event, \
                                    COUNT(*) AS n, SUM(record_key) AS keys \
                             FROM (SELECT {group} AS grp, {columns}, record_key \
                                   FROM {requests} WHERE {filter}) AS observed \
                             GROUP BY GROUPING SETS ({sets})) AS per_clock \
                       GROUP BY grp, clock, day) AS per_day \
                 GROUP BY grp, clock ORDER BY grp, clock",
                which = which.join(" "),
                day = day.join(", "),
                event = event.join(", "),
                columns = columns.join(", "),
                sets = sets.join(", "),
            );
            load(conn, sql, values)?
        }
        DbConnection::Sqlite(c) => {
            km_days_utils::register_impl::<GroupHistograms, _, _, _, _, _, _, _, _>(c)?;
            // Unused slots of the aggregate are NULL, and stay empty.
            let mut arguments: Vec<String> = observed
                .into_iter()
                .map(|(day, event)| format!("{day}, {event}"))
                .collect();
            arguments.resize(CLOCKS_PER_PASS, "NULL, NULL".to_string());
            let sql = format!(
                "SELECT km_days({group}, {arguments}, record_key) AS text \
                 FROM {requests} WHERE {filter}",
                arguments = arguments.join(", "),
            );
            GroupHistograms::parse(&aggregate_text(c, sql, values)?, clocks.len())?
        }
    };
    let mut counts = vec![Vec::new(); clocks.len()];
    for row in rows {
        let clock = usize::try_from(row.clock)
            .ok()
            .filter(|&i| i < clocks.len())
            .ok_or_else(|| {
                diesel::result::Error::DeserializationError(
                    format!("histogram of clock {} of {}", row.clock, clocks.len()).into(),
                )
            })?;
        for (count, keys) in DayHistogram::parse(&row.days)? {
            counts[clock].push((row.grp.clone(), count, keys));
        }
    }
    Ok(counts)
}

/// How many clocks one pass can count ([`days_by`]): the arity of SQLite's
/// `km_days`.
const CLOCKS_PER_PASS: usize = 3;

/// The one row of a query over one of SQLite's Rust aggregates
/// (`km_days`, `tally_cases`): its text, `AS text`.
#[derive(QueryableByName)]
struct AggregateText {
    #[diesel(sql_type = Text)]
    text: String,
}

/// Runs `sql`, a query of one row over one of SQLite's Rust aggregates, and
/// returns its text.
fn aggregate_text(
    conn: &mut diesel::sqlite::SqliteConnection,
    sql: String,
    values: Vec<Value>,
) -> QueryResult<String> {
    let rows: Vec<AggregateText> =
        bind_all(diesel::sql_query(sql).into_boxed(), values).load(conn)?;
    Ok(rows
        .into_iter()
        .next()
        .map(|row| row.text)
        .unwrap_or_default())
}

/// One group's histogram of one clock (its index in the clocks asked).
#[derive(QueryableByName)]
struct HistogramRow {
    #[diesel(sql_type = Text)]
    grp: String,
    #[diesel(sql_type = Integer)]
    clock: i32,
    #[diesel(sql_type = Text)]
    days: String,
}

diesel::define_sql_function! {
    /// SQLite only (`GroupHistograms`): the requests counted by group, then
    /// by (`day`, `event`) for each of up to three clocks (unused ones
    /// NULL), their record keys summed, as text.
    #[aggregate]
    #[allow(clippy::too_many_arguments)]
    fn km_days(
        grp: Text,
        day_1: Nullable<Integer>,
        event_1: Nullable<Integer>,
        day_2: Nullable<Integer>,
        event_2: Nullable<Integer>,
        day_3: Nullable<Integer>,
        event_3: Nullable<Integer>,
        record_key: BigInt
    ) -> Text;
}

/// The histograms of up to three clocks of each group, built in one walk
/// over the population in whatever order it comes: grouped in SQL by a
/// period of sending, SQLite sorted the million requests first (1.1 s of
/// the 1.5 s a timeline's curve took).
#[derive(Default)]
struct GroupHistograms(BTreeMap<String, [DayHistogram; CLOCKS_PER_PASS]>);

type ClockArguments = (
    String,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    i64,
);

impl diesel::sqlite::SqliteAggregateFunction<ClockArguments> for GroupHistograms {
    type Output = String;

    fn step(
        &mut self,
        (group, day_1, event_1, day_2, event_2, day_3, event_3, key): ClockArguments,
    ) {
        let histograms = self.0.entry(group).or_default();
        for (histogram, observed) in
            histograms
                .iter_mut()
                .zip([day_1.zip(event_1), day_2.zip(event_2), day_3.zip(event_3)])
        {
            if let Some((day, event)) = observed {
                histogram.count(day, event, key);
            }
        }
    }

    /// A line per group in its order: the group, a tab, then each clock's
    /// `DayHistogram` text separated by `|` (a group may be empty: outside
    /// every area).
    fn finalize(groups: Option<Self>) -> String {
        let GroupHistograms(groups) = groups.unwrap_or_default();
        groups
            .iter()
            .map(|(group, histograms)| {
                let texts: Vec<String> = histograms.iter().map(DayHistogram::text).collect();
                format!("{group}\t{}", texts.join("|"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl GroupHistograms {
    /// Reads back what `finalize` wrote, as one row per group and clock
    /// for the first `clocks` clocks.
    fn parse(text: &str, clocks: usize) -> QueryResult<Vec<HistogramRow>> {
        let mut rows = Vec::new();
        for line in text.lines() {
            let (group, histograms) = line.split_once('\t').ok_or_else(|| {
                diesel::result::Error::DeserializationError(
                    format!("km_days returned {line:?}, not group<TAB>histograms").into(),
                )
            })?;
            for (clock, days) in histograms.split('|').take(clocks).enumerate() {
                rows.push(HistogramRow {
                    grp: group.to_string(),
                    clock: clock as i32,
                    days: days.to_string(),
                });
            }
        }
        Ok(rows)
    }
}

/// The per-day counts of one group and clock, built inside SQLite as it
/// walks the group's rows: `GROUP BY grp, day, event` made SQLite sort every
/// request (0.8 s of the 1.1 s a curve took at 1,000,000 requests), whereas
/// grouped by country alone it streams in the covering index's order, and
/// `km_days` keeps one counter pair per day. PostgreSQL hash-aggregates by
/// day and writes the same text with `string_agg`.
#[derive(Default)]
struct DayHistogram {
    /// Index: the day; value: (events, censored, their key sums).
    days: Vec<[u64; 4]>,
}

impl DayHistogram {
    /// Counts one request on `day` (0 if earlier), as an event if `event`
    /// is 1, else as a censoring.
    fn count(&mut self, day: i32, event: i32, key: i64) {
        let day = day.max(0) as usize;
        if self.days.len() <= day {
            self.days.resize(day + 1, [0; 4]);
        }
        let counts = &mut self.days[day];
        let (count, keys) = if event == 1 { (0, 2) } else { (1, 3) };
        counts[count] += 1;
        counts[keys] += key.max(0) as u64;
    }

    /// `day:events:censored:event_keys:censored_keys` for each day with a
    /// request, in day order, separated by spaces.
    fn text(&self) -> String {
        let mut text = String::new();
        for (day, &[events, censored, event_keys, censored_keys]) in self.days.iter().enumerate() {
            if events + censored > 0 {
                if !text.is_empty() {
                    text.push(' ');
                }
                text += &format!("{day}:{events}:{censored}:{event_keys}:{censored_keys}");
            }
        }
        text
    }

    /// Reads back what [`Self::text`] wrote.
    fn parse(text: &str) -> QueryResult<Vec<(DayCount, DayKeys)>> {
        let bad = || {
            diesel::result::Error::DeserializationError(
                format!("km_days returned {text:?}, not day:events:censored:keys:keys").into(),
            )
        };
        text.split_whitespace()
            .map(|entry| {
                let parts: Vec<u64> = entry
                    .split(':')
                    .map(str::parse::<u64>)
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad())?;
                let &[day, events, censored, event_keys, censored_keys] = parts.as_slice() else {
                    return Err(bad());
                };
                let key = |sum: u64| i64::try_from(sum).map_err(|_| bad());
                Ok((
                    DayCount {
                        day: u32::try_from(day).map_err(|_| bad())?,
                        events,
                        censored,
                    },
                    DayKeys {
                        events: key(event_keys)?,
                        censored: key(censored_keys)?,
                    },
                ))
            })
            .collect()
    }
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

/// Per country and number of follow-ups (capped at [`chasing::CAP`]: that
/// many or more), the requests abandoned on `as_of` with reason
/// `no_response`, counting the follow-ups dated on or before the
/// abandonment (`closed_at`), in (country, follow-ups) order. Countries
/// without such a request are absent.
///
/// The follow-ups of each abandoned request are counted through the
/// `(request_id, seq)` index of its history: requests abandoned for silence
/// are few beside the population, and their events fewer still.
pub fn follow_up_counts(
    conn: &mut DbConnection,
    p: &Population,
) -> QueryResult<Vec<FollowUpCount>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause_on(&mut d, p, "r.");
    let cap = chasing::CAP;
    let sql = format!(
        "SELECT country, follow_ups, COUNT(*) AS requests, {keys} AS requests_key \
         FROM (SELECT r.target_country AS country, r.record_key, \
                      (SELECT CASE WHEN COUNT(*) >= {cap} THEN {cap} ELSE COUNT(*) END \
                       FROM request_events AS e \
                       WHERE e.request_id = r.id AND e.kind = 'follow_up' \
                         AND e.effective_date <= r.closed_at) AS follow_ups \
               FROM requests AS r \
               WHERE {filter} AND r.status = 'abandoned' AND r.status_since <= {as_of} \
                 AND r.abandonment_reason = 'no_response') AS abandoned \
         GROUP BY country, follow_ups ORDER BY country, follow_ups",
        keys = key_sum(""),
    );
    load(conn, sql, values)
}

/// The SQL expression of the row a request of `column`'s country counts
/// in: the country itself, or its M49 area's code (`''` outside every area,
/// as [`Grouping::group_of`]). The codes are the register's own constants,
/// written into the text.
fn group_expression(grouping: Grouping, column: &str) -> String {
    let area_of = match grouping {
        Grouping::Country => return column.to_string(),
        Grouping::Subregion => regions::subregion_of,
        Grouping::Region => regions::region_of,
    };
    let mut by_area: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for country in crate::domain::CountryCode::all() {
        if let Some(area) = area_of(country) {
            by_area
                .entry(area.code)
                .or_default()
                .push(format!("'{}'", country.as_str()));
        }
    }
    let arms: Vec<String> = by_area
        .into_iter()
        .map(|(area, countries)| {
            format!("WHEN {column} IN ({}) THEN '{area}'", countries.join(", "))
        })
        .collect();
    format!("CASE {} ELSE '' END", arms.join(" "))
}

/// The label of the totals' row in [`case_counts`]' query: no country's
/// code nor any area's.
const ALL_CASES: &str = "*";

/// Per row of `grouping` (its country's code, or its M49 area's), in code
/// order, then for the totals: the distinct cases with at least one request
/// of the population in the row, and those whose `victims_identified` is
/// above 0, each count with the sum of the record keys of the cases'
/// requests in the row.
///
/// One pass over the population, grouped by (row, case) so that a case
/// with requests to two countries of one area counts once in the area's
/// row; the totals regroup those by case. Whether a case identified victims
/// is read once per case, from the index that holds exactly the cases with
/// victims.
pub fn case_counts(
    conn: &mut DbConnection,
    p: &Population,
    grouping: Grouping,
) -> QueryResult<(Vec<CaseCounts>, CaseCounts)> {
    let mut d = dialect(conn);
    let (filter, _, values) = where_clause(&mut d, p);
    let group = group_expression(grouping, "target_country");
    let counts = "COUNT(*) AS cases, \
                  CAST(COALESCE(SUM(key_total), 0) AS BIGINT) AS cases_key, \
                  COUNT(*) FILTER (WHERE victims = 1) AS with_victims, \
                  CAST(COALESCE(SUM(key_total) FILTER (WHERE victims = 1), 0) AS BIGINT) \
                      AS with_victims_key";
    let requests = d.whole_rows(p);
    let all = match conn {
        DbConnection::Sqlite(c) => sqlite_case_counts(c, &group, requests, &filter, values)?,
        DbConnection::Postgresql(_) => {
            let sql = format!(
                "WITH per_row AS ( \
             SELECT {group} AS grp, case_id, CAST(SUM(record_key) AS BIGINT) AS key_total \
             FROM {requests} WHERE {filter} GROUP BY 1, 2), \
         flagged AS ( \
             SELECT grp, case_id, key_total, \
                    CASE WHEN c.id IS NULL THEN 0 ELSE 1 END AS victims \
             FROM per_row \
             LEFT JOIN cases AS c ON c.id = per_row.case_id AND c.victims_identified > 0) \
         SELECT grp AS country, {counts} FROM flagged GROUP BY grp \
         UNION ALL \
         SELECT '{ALL_CASES}' AS country, {counts} \
         FROM (SELECT case_id, SUM(key_total) AS key_total, MAX(victims) AS victims \
               FROM flagged GROUP BY case_id) AS per_case \
         ORDER BY country"
            );
            load::<CaseCounts>(conn, sql, values)?
        }
    };
    let (totals, rows): (Vec<CaseCounts>, Vec<CaseCounts>) =
        all.into_iter().partition(|c| c.country == ALL_CASES);
    let totals = totals.into_iter().next().unwrap_or_default();
    Ok((
        rows,
        CaseCounts {
            country: String::new(),
            ..totals
        },
    ))
}

/// SQLite's [`case_counts`], the rows in code order then the totals (as
/// [`ALL_CASES`]): one walk over the population (`requests`, filtered by
/// `filter`) counting the distinct cases of each row (`group`) and in all
/// in `tally_cases`, with no sort. Grouped by row and case in SQL, SQLite
/// sorted the million requests twice and looked each one's case up among
/// those with victims (2.5 s at 1,000,000 requests); here the cases with
/// victims are read once, through their index, into a set
/// (`case_has_victims`), in the same read transaction as the walk.
fn sqlite_case_counts(
    conn: &mut diesel::sqlite::SqliteConnection,
    group: &str,
    requests: &str,
    filter: &str,
    values: Vec<Value>,
) -> QueryResult<Vec<CaseCounts>> {
    use crate::db::schema::cases;
    conn.transaction(|conn| {
        let with_victims: std::collections::HashSet<String> = cases::table
            .filter(cases::victims_identified.gt(0))
            .select(cases::id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        case_has_victims_utils::register_impl(conn, move |case_id: String| {
            with_victims.contains(&case_id)
        })?;
        tally_cases_utils::register_impl::<CaseTally, _, _, _, _>(conn)?;
        let sql = format!(
            "SELECT tally_cases({group}, case_id, case_has_victims(case_id), record_key) \
                 AS text \
             FROM {requests} WHERE {filter}"
        );
        CaseTally::parse(&aggregate_text(conn, sql, values)?)
    })
}

diesel::define_sql_function! {
    /// SQLite only (`sqlite_case_counts`): whether the case identified
    /// victims, from the set read before the walk.
    fn case_has_victims(case_id: Text) -> Bool;
}

diesel::define_sql_function! {
    /// SQLite only (`CaseTally`): the distinct cases per row and in all,
    /// and those with victims, with their requests' key sums, as text.
    #[aggregate]
    fn tally_cases(grp: Text, case_id: Text, victims: Bool, record_key: BigInt) -> Text;
}

/// The cases of each row and of the whole population, as SQLite walks the
/// requests: a case is counted in a row at its first request there, and in
/// the totals at its first request at all; every request adds its record
/// key to its row's sums and to the totals'.
#[derive(Default)]
struct CaseTally {
    /// Row label → its counts (the label not yet set).
    rows: BTreeMap<String, CaseCounts>,
    totals: CaseCounts,
    /// The (row, case) pairs already counted, the row by its label's
    /// index in `labels`.
    in_row: std::collections::HashSet<(usize, CaseKey)>,
    in_all: std::collections::HashSet<CaseKey>,
    labels: std::collections::HashMap<String, usize>,
}

/// A case's identifier, held as the 128 bits of its UUID when it is one in
/// its canonical text (every case's is), or as its text otherwise: a
/// million requests' cases take a fraction of the memory, and two texts
/// are one key only when they are one text, as in SQL.
#[derive(Clone, PartialEq, Eq, Hash)]
enum CaseKey {
    Uuid(u128),
    Text(String),
}

impl CaseKey {
    fn of(case_id: String) -> CaseKey {
        let mut canonical = uuid::Uuid::encode_buffer();
        match uuid::Uuid::try_parse(&case_id) {
            Ok(uuid) if *uuid.hyphenated().encode_lower(&mut canonical) == *case_id => {
                CaseKey::Uuid(uuid.as_u128())
            }
            _ => CaseKey::Text(case_id),
        }
    }
}

impl diesel::sqlite::SqliteAggregateFunction<(String, String, bool, i64)> for CaseTally {
    type Output = String;

    fn step(&mut self, (row, case_id, victims, key): (String, String, bool, i64)) {
        let next = self.labels.len();
        let index = *self.labels.entry(row.clone()).or_insert(next);
        let case = CaseKey::of(case_id);
        let new_in_row = self.in_row.insert((index, case.clone()));
        let new_in_all = self.in_all.insert(case);
        for (counts, new) in [
            (self.rows.entry(row).or_default(), new_in_row),
            (&mut self.totals, new_in_all),
        ] {
            counts.cases += i64::from(new);
            counts.cases_key += key;
            if victims {
                counts.with_victims += i64::from(new);
                counts.with_victims_key += key;
            }
        }
    }

    /// One line per row in label order, then the totals' labelled
    /// [`ALL_CASES`]: `label cases cases_key with_victims with_victims_key`,
    /// tab-separated (a label may be empty: outside every area).
    fn finalize(tally: Option<Self>) -> String {
        let tally = tally.unwrap_or_default();
        tally
            .rows
            .iter()
            .chain([(&ALL_CASES.to_string(), &tally.totals)])
            .map(|(label, c)| {
                format!(
                    "{label}\t{}\t{}\t{}\t{}",
                    c.cases, c.cases_key, c.with_victims, c.with_victims_key
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl CaseTally {
    /// Reads back what `finalize` wrote.
    fn parse(text: &str) -> QueryResult<Vec<CaseCounts>> {
        let bad = || {
            diesel::result::Error::DeserializationError(
                format!("tally_cases returned {text:?}").into(),
            )
        };
        text.lines()
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                let &[label, cases, cases_key, with_victims, with_victims_key] = fields.as_slice()
                else {
                    return Err(bad());
                };
                let number = |field: &str| field.parse::<i64>().map_err(|_| bad());
                Ok(CaseCounts {
                    country: label.to_string(),
                    cases: number(cases)?,
                    cases_key: number(cases_key)?,
                    with_victims: number(with_victims)?,
                    with_victims_key: number(with_victims_key)?,
                })
            })
            .collect()
    }
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
    let status = |status: &str| format!("status_since <= {as_of} AND status = '{status}'");
    let counts = [
        ("sent", "TRUE".to_string()),
        ("answered", format!("first_response_at <= {as_of}")),
        ("executed", status("executed")),
        ("refused", status("refused")),
        ("abandoned", status("abandoned")),
    ];
    load(conn, per_bucket(&d, bucket, &filter, &counts), values)
}

/// Per cohort (bucket of `sent_at`), in time order: the requests sent and
/// those answered within `horizon_days` — a first response on or before
/// `as_of`, at most that many days after sending (a response dated before
/// sending counts as day 0) — with the sums of their record keys. Buckets
/// without any request are absent.
pub fn cohort_counts(
    conn: &mut DbConnection,
    p: &Population,
    bucket: Bucket,
    horizon_days: u32,
) -> QueryResult<Vec<CohortCounts>> {
    let mut d = dialect(conn);
    let (filter, as_of, values) = where_clause(&mut d, p);
    let within = format!(
        "first_response_at <= {as_of} AND {} <= {horizon_days}",
        d.days("first_response_at", "sent_at")
    );
    let counts = [("sent", "TRUE".to_string()), ("answered_within", within)];
    load(conn, per_bucket(&d, bucket, &filter, &counts), values)
}

/// The SQL counting, per bucket of `sent_at` in time order, the requests
/// of the population (`filter`) that meet each condition of `counts`,
/// each count `name` with `name_key`, the sum of their record keys.
///
/// Counted first per country and day of sending, then summed per bucket:
/// grouped by its covering index's first two columns SQLite walks the
/// index with no sort, and then sorts a few thousand days rather than the
/// million requests (3.0 s for the timeline's counts at 1,000,000
/// requests, 1.3 s this way).
fn per_bucket(d: &Dialect, bucket: Bucket, filter: &str, counts: &[(&str, String)]) -> String {
    let per_day: Vec<String> = counts
        .iter()
        .map(|(name, condition)| {
            let filter = format!("FILTER (WHERE {condition})");
            format!(
                "COUNT(*) {filter} AS {name}, {keys} AS {name}_key",
                keys = key_sum(&filter)
            )
        })
        .collect();
    let summed: Vec<String> = counts
        .iter()
        .map(|(name, _)| {
            format!(
                "CAST(SUM({name}) AS BIGINT) AS {name}, \
                 CAST(SUM({name}_key) AS BIGINT) AS {name}_key"
            )
        })
        .collect();
    format!(
        "SELECT {label} AS bucket, {summed} \
         FROM (SELECT sent_at, {per_day} \
               FROM {requests} WHERE {filter} \
               GROUP BY target_country, sent_at) AS per_day \
         GROUP BY bucket ORDER BY bucket",
        label = d.bucket(bucket, "sent_at"),
        summed = summed.join(", "),
        per_day = per_day.join(", "),
        requests = d.requests(),
    )
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

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::sqlite::SqliteConnection;

    use super::*;

    #[test]
    fn the_sqlite_histogram_counts_events_and_censorings_per_day() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(
            "CREATE TABLE t (g TEXT, day INTEGER, event INTEGER, day2 INTEGER, event2 INTEGER, \
                             k INTEGER); \
             INSERT INTO t VALUES ('B', 10, 0, 12, 0, 5), ('A', 3, 1, 5, 0, 1), \
                                  ('A', 3, 1, 5, 1, 4294967295), ('A', 3, 0, 5, 1, 7), \
                                  ('', 4, 1, 4, 1, 9), ('A', 0, 0, 1, 0, 2), \
                                  ('A', -2, 1, 1, 1, 3);",
        )
        .unwrap();
        km_days_utils::register_impl::<GroupHistograms, _, _, _, _, _, _, _, _>(&mut conn).unwrap();
        let walked: Vec<AggregateText> = diesel::sql_query(
            "SELECT km_days(g, day, event, day2, event2, NULL, NULL, k) AS text FROM t",
        )
        .load(&mut conn)
        .unwrap();
        // Groups in their order whatever the rows' (the empty one: outside
        // every area); a day before sending (a response dated earlier)
        // counts on day 0; each clock has its histogram, an unused one is
        // empty.
        assert_eq!(
            walked[0].text,
            "\t4:1:0:9:0|4:1:0:9:0|\n\
             A\t0:1:1:3:2 3:2:1:4294967296:7|1:1:1:3:2 5:2:1:4294967302:1|\n\
             B\t10:0:1:0:5|12:0:1:0:5|"
        );
        let rows = GroupHistograms::parse(&walked[0].text, 2).unwrap();
        let texts: Vec<(&str, i32, &str)> =
            rows.iter().map(|r| (&*r.grp, r.clock, &*r.days)).collect();
        assert_eq!(
            texts,
            [
                ("", 0, "4:1:0:9:0"),
                ("", 1, "4:1:0:9:0"),
                ("A", 0, "0:1:1:3:2 3:2:1:4294967296:7"),
                ("A", 1, "1:1:1:3:2 5:2:1:4294967302:1"),
                ("B", 0, "10:0:1:0:5"),
                ("B", 1, "12:0:1:0:5"),
            ]
        );
        assert!(GroupHistograms::parse("A 1:1:0:0:0", 1).is_err());
        let day = |day, events, censored| DayCount {
            day,
            events,
            censored,
        };
        let keys = |events, censored| DayKeys { events, censored };
        assert_eq!(
            DayHistogram::parse("0:1:1:3:2 3:2:1:4294967296:7").unwrap(),
            [
                (day(0, 1, 1), keys(3, 2)),
                (day(3, 2, 1), keys(4294967296, 7))
            ]
        );
        assert!(DayHistogram::parse("").unwrap().is_empty());
        for bad in ["3:2:1:0", "3:2:1:0:0:0", "x:1:1:0:0", "-1:1:1:0:0"] {
            assert!(DayHistogram::parse(bad).is_err(), "{bad}");
        }
    }
    #[test]
    fn the_sqlite_case_tally_counts_each_case_once_per_row_and_in_all() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(
            "CREATE TABLE t (g TEXT, c TEXT, v INTEGER, k INTEGER); \
             INSERT INTO t VALUES \
                 ('FR', '6f9619ff-8b86-d011-b42d-00c04fc964ff', 1, 1), \
                 ('FR', '6F9619FF-8B86-D011-B42D-00C04FC964FF', 1, 2), \
                 ('', '6f9619ff-8b86-d011-b42d-00c04fc964ff', 1, 4), \
                 ('', 'not-a-uuid', 0, 8), ('BE', 'not-a-uuid', 0, 16);",
        )
        .unwrap();
        tally_cases_utils::register_impl::<CaseTally, _, _, _, _>(&mut conn).unwrap();
        let tallied: Vec<AggregateText> =
            diesel::sql_query("SELECT tally_cases(g, c, v, k) AS text FROM t")
                .load(&mut conn)
                .unwrap();
        let row = |country: &str, cases, cases_key, with_victims, with_victims_key| CaseCounts {
            country: country.to_string(),
            cases,
            cases_key,
            with_victims,
            with_victims_key,
        };
        // A case is its text, as in SQL (the same UUID in capitals is
        // another); a row outside every area has the empty label; the
        // totals count each case once.
        assert_eq!(
            CaseTally::parse(&tallied[0].text).unwrap(),
            [
                row("", 2, 12, 1, 4),
                row("BE", 1, 16, 0, 0),
                row("FR", 2, 3, 2, 3),
                row(ALL_CASES, 3, 31, 2, 7),
            ]
        );
        let empty: Vec<AggregateText> =
            diesel::sql_query("SELECT tally_cases(g, c, v, k) AS text FROM t WHERE 0")
                .load(&mut conn)
                .unwrap();
        assert_eq!(
            CaseTally::parse(&empty[0].text).unwrap(),
            [row(ALL_CASES, 0, 0, 0, 0)]
        );
        assert!(CaseTally::parse("FR\t1\t2\t3").is_err());
    }
}
