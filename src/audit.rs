//! `mla-tracker audit verify`: walks every event chain — each request's
//! and each case's history (see `db::events` and docs/DOMAIN.md §6) — and
//! reports where it breaks.
//!
//! Each kind of chain ([`Chain`]) is walked in turn, through its records in
//! id order, a chunk at a time, each chunk read in one transaction (a
//! snapshot, so a chain being appended to is seen whole), with that chunk's
//! events and chain heads. Memory stays bounded by the chunk, whatever the
//! size of the register. The tables and columns come from the [`Chain`], so
//! one walk serves every kind.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::events::{Chain, ChainedEvent, GENESIS};

/// Records per chunk: a few thousand events, read in a handful of queries.
pub const DEFAULT_CHUNK: i64 = 2_000;

/// How many breaks a report lists (it counts them all).
pub const LISTED: usize = 20;

/// Where a chain breaks: the first bad link of one record's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// Whose history: `request_id` or `case_id`, the record's id.
    #[serde(flatten)]
    pub subject: Subject,
    /// The request's reference or the case's; None when the record no
    /// longer exists (an orphan event or head).
    pub reference: Option<String>,
    /// The first event that does not check out; None when the record has
    /// no event at all.
    pub event_id: Option<String>,
    pub seq: Option<i32>,
    /// What differs, in words, with the values compared.
    pub what: String,
}

/// The record a chain is the history of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Subject {
    #[serde(rename = "request_id")]
    Request(String),
    #[serde(rename = "case_id")]
    Case(String),
}

impl Subject {
    fn of(chain: Chain, id: &str) -> Subject {
        match chain {
            Chain::Request => Subject::Request(id.to_string()),
            Chain::Case => Subject::Case(id.to_string()),
        }
    }
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.subject {
            Subject::Request(id) => write!(f, "request {id}")?,
            Subject::Case(id) => write!(f, "case {id}")?,
        }
        if let Some(reference) = &self.reference {
            write!(f, " ({reference})")?;
        }
        match (&self.event_id, self.seq) {
            (Some(event), Some(seq)) => write!(f, ", event {event} (seq {seq})")?,
            (Some(event), None) => write!(f, ", event {event}")?,
            _ => {}
        }
        write!(f, ": {}", self.what)
    }
}

/// The outcome of a walk.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub requests: u64,
    /// Events of the requests' histories.
    pub events: u64,
    pub cases: u64,
    pub case_events: u64,
    /// Chains with at least one bad link (and orphan events or heads).
    pub broken: u64,
    /// The first [`LISTED`] breaks, in walk order (requests, then cases;
    /// each by id).
    pub breaks: Vec<Break>,
}

impl Report {
    pub fn intact(&self) -> bool {
        self.broken == 0
    }

    fn add(&mut self, found: Break) {
        self.broken += 1;
        if self.breaks.len() < LISTED {
            self.breaks.push(found);
        }
    }

    /// Counts a record (and its events) of `chain`.
    fn count(&mut self, chain: Chain, records: u64, events: u64) {
        match chain {
            Chain::Request => {
                self.requests += records;
                self.events += events;
            }
            Chain::Case => {
                self.cases += records;
                self.case_events += events;
            }
        }
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How many records (requests and cases) a walk will visit (for a progress
/// bar).
pub fn count_records(conn: &mut DbConnection) -> QueryResult<i64> {
    let mut total = 0;
    for chain in Chain::ALL {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", chain.subjects_table());
        total += diesel::sql_query(sql).get_result::<Count>(conn)?.n;
    }
    Ok(total)
}

/// Walks every chain of every kind, `chunk` records at a time, calling
/// `progress` with the number of records checked so far after each chunk.
pub fn verify(
    conn: &mut DbConnection,
    chunk: i64,
    mut progress: impl FnMut(u64),
) -> QueryResult<Report> {
    let mut report = Report::default();
    for chain in Chain::ALL {
        let mut after: Option<String> = None;
        loop {
            let last = conn.transaction(|conn| {
                if let DbConnection::Postgresql(_) = conn {
                    // One snapshot for the chunk's three reads.
                    diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                        .execute(conn)?;
                }
                verify_chunk(conn, chain, after.as_deref(), chunk, &mut report)
            })?;
            progress(report.requests + report.cases);
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
    }
    Ok(report)
}

/// Placeholders for `n` values bound in order: `$1, $2…` or `?, ?…`.
struct Placeholders {
    postgres: bool,
    next: usize,
}

impl Placeholders {
    fn next(&mut self) -> String {
        self.next += 1;
        if self.postgres {
            format!("${}", self.next)
        } else {
            "?".to_string()
        }
    }
}

/// `column > after AND column <= until`, as far as each bound is given,
/// with the values to bind in order.
fn range(
    p: &mut Placeholders,
    column: &str,
    after: Option<&str>,
    until: Option<&str>,
) -> (String, Vec<String>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(after) = after {
        conditions.push(format!("{column} > {}", p.next()));
        values.push(after.to_string());
    }
    if let Some(until) = until {
        conditions.push(format!("{column} <= {}", p.next()));
        values.push(until.to_string());
    }
    if conditions.is_empty() {
        (String::new(), values)
    } else {
        (format!(" WHERE {}", conditions.join(" AND ")), values)
    }
}

fn load<T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static>(
    conn: &mut DbConnection,
    sql: &str,
    values: Vec<String>,
    limit: Option<i64>,
) -> QueryResult<Vec<T>> {
    match conn {
        DbConnection::Postgresql(c) => {
            let mut q = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
            for v in values {
                q = q.bind::<Text, _>(v);
            }
            if let Some(limit) = limit {
                q = q.bind::<diesel::sql_types::BigInt, _>(limit);
            }
            q.load(c)
        }
        DbConnection::Sqlite(c) => {
            let mut q = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
            for v in values {
                q = q.bind::<Text, _>(v);
            }
            if let Some(limit) = limit {
                q = q.bind::<diesel::sql_types::BigInt, _>(limit);
            }
            q.load(c)
        }
    }
}

#[derive(QueryableByName)]
struct Record {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    reference: String,
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = Text)]
    subject_id: String,
    #[diesel(sql_type = Integer)]
    seq: i32,
    #[diesel(sql_type = Text)]
    hash: String,
}

/// Checks the records of `chain` after `after` (a chunk of them) with their
/// events and heads. The last chunk also takes every event and head past
/// its last record, so an orphan anywhere is seen. Returns the last record
/// id, or None when this was the last chunk.
fn verify_chunk(
    conn: &mut DbConnection,
    chain: Chain,
    after: Option<&str>,
    chunk: i64,
    report: &mut Report,
) -> QueryResult<Option<String>> {
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    let mut p = Placeholders { postgres, next: 0 };
    let (filter, values) = range(&mut p, "id", after, None);
    let sql = format!(
        "SELECT id, {reference} AS reference FROM {table}{filter} ORDER BY id LIMIT {limit}",
        reference = chain.reference_column(),
        table = chain.subjects_table(),
        limit = p.next(),
    );
    let records: Vec<Record> = load(conn, &sql, values, Some(chunk))?;
    let until = (records.len() as i64 == chunk)
        .then(|| records.last().map(|r| r.id.clone()))
        .flatten();

    let subject = chain.subject_column();
    let statuses = if chain.has_statuses() {
        "from_status, to_status"
    } else {
        "CAST(NULL AS TEXT) AS from_status, CAST(NULL AS TEXT) AS to_status"
    };
    let mut p = Placeholders { postgres, next: 0 };
    let (filter, values) = range(&mut p, subject, after, until.as_deref());
    let sql = format!(
        "SELECT id, {subject} AS subject_id, seq, kind, actor_id, recorded_at, effective_date, \
                {statuses}, changes, note, prev_hash, hash \
         FROM {table}{filter} ORDER BY {subject}, seq",
        table = chain.events_table(),
    );
    let rows: Vec<ChainedEvent> = load(conn, &sql, values.clone(), None)?;
    let sql = format!(
        "SELECT {subject} AS subject_id, seq, hash FROM {table}{filter}",
        table = chain.heads_table(),
    );
    let heads: Vec<Head> = load(conn, &sql, values, None)?;
    report.count(chain, 0, rows.len() as u64);

    // Rows of one record are adjacent (ordered by its id, then seq).
    let mut chains: HashMap<String, Vec<ChainedEvent>> = HashMap::new();
    for row in rows {
        chains.entry(row.subject_id.clone()).or_default().push(row);
    }
    let mut heads: HashMap<String, (i32, String)> = heads
        .into_iter()
        .map(|h| (h.subject_id, (h.seq, h.hash)))
        .collect();
    for record in &records {
        report.count(chain, 1, 0);
        let events = chains.remove(&record.id).unwrap_or_default();
        if let Some(found) = check_chain(
            chain,
            &record.id,
            &events,
            heads.remove(&record.id).as_ref(),
        ) {
            report.add(Break {
                reference: Some(record.reference.clone()),
                ..found
            });
        }
    }
    // What is left belongs to no record of the range.
    let mut orphans: Vec<(String, Vec<ChainedEvent>)> = chains.into_iter().collect();
    orphans.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, events) in orphans {
        let first = &events[0];
        report.add(Break {
            subject: Subject::of(chain, &id),
            reference: None,
            event_id: Some(first.id.clone()),
            seq: Some(first.seq),
            what: format!(
                "{} event(s) of a {} that does not exist",
                events.len(),
                chain.label()
            ),
        });
    }
    let mut orphan_heads: Vec<(String, (i32, String))> = heads.into_iter().collect();
    orphan_heads.sort();
    for (id, (seq, _)) in orphan_heads {
        report.add(Break {
            subject: Subject::of(chain, &id),
            reference: None,
            event_id: None,
            seq: Some(seq),
            what: format!("a chain head for a {} that does not exist", chain.label()),
        });
    }
    Ok(until)
}

/// The first bad link of one record's chain (events in `seq` order), or
/// None when it checks out. `reference` is left for the caller to fill.
pub fn check_chain(
    chain: Chain,
    subject_id: &str,
    events: &[ChainedEvent],
    head: Option<&(i32, String)>,
) -> Option<Break> {
    let at = |event: &ChainedEvent, what: String| Break {
        subject: Subject::of(chain, subject_id),
        reference: None,
        event_id: Some(event.id.clone()),
        seq: Some(event.seq),
        what,
    };
    let Some(last) = events.last() else {
        return Some(Break {
            subject: Subject::of(chain, subject_id),
            reference: None,
            event_id: None,
            seq: None,
            what: match head {
                Some((seq, _)) => format!(
                    "the {} has no events, but its chain head records {seq}: \
                     the history was deleted",
                    chain.label()
                ),
                None => format!(
                    "the {} has no events (its `created` event is missing)",
                    chain.label()
                ),
            },
        });
    };
    let mut prev: &str = GENESIS;
    for (expected, event) in (1..).zip(events) {
        if event.seq != expected {
            return Some(at(
                event,
                if event.seq > expected {
                    format!(
                        "expected seq {expected} here, found seq {}: event(s) missing before it",
                        event.seq
                    )
                } else {
                    format!("expected seq {expected} here, found seq {}", event.seq)
                },
            ));
        }
        let (Some(stored_prev), Some(stored_hash)) = (&event.prev_hash, &event.hash) else {
            return Some(at(
                event,
                "no hash stored (prev_hash or hash is NULL)".into(),
            ));
        };
        if stored_prev != prev {
            return Some(at(
                event,
                format!(
                    "prev_hash {stored_prev} does not match {}: an event before it was \
                     changed, removed, inserted or reordered",
                    if expected == 1 {
                        format!("the chain's start value {GENESIS}")
                    } else {
                        format!("the previous event's hash {prev}")
                    }
                ),
            ));
        }
        match event.link(chain, stored_prev).hash() {
            Err(e) => return Some(at(event, format!("changes is not JSON ({e})"))),
            Ok(recomputed) if &recomputed != stored_hash => {
                return Some(at(
                    event,
                    format!(
                        "content differs from what was hashed: stored hash {stored_hash}, \
                         recomputed {recomputed}"
                    ),
                ));
            }
            Ok(_) => {}
        }
        prev = stored_hash;
    }
    match head {
        None => Some(at(last, "no chain head recorded".into())),
        Some((seq, hash)) if *seq != last.seq || Some(hash) != last.hash.as_ref() => Some(at(
            last,
            format!(
                "the chain head records seq {seq} with hash {hash}, but the chain ends here: \
                 newer events were deleted, or the head was altered"
            ),
        )),
        Some(_) => None,
    }
}
