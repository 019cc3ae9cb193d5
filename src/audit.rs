//! `mla-tracker audit verify`: walks every event chain — each request's
//! and each case's history (see `db::events` and docs/DOMAIN.md §6) — and
//! reports where it breaks; then replays each history that checks out
//! ([`replay`]) and compares it with the stored record ([`compare`]), so a
//! row edited behind its history is reported too, by its first differing
//! field.
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
    /// Records whose chain checks out but whose row is not what the
    /// history replays to.
    pub differing: u64,
    /// The first [`LISTED`] of them, in walk order, each with its first
    /// differing field.
    pub differences: Vec<Difference>,
}

impl Report {
    pub fn intact(&self) -> bool {
        self.broken == 0 && self.differing == 0
    }

    fn differ(&mut self, found: Difference) {
        self.differing += 1;
        if self.differences.len() < LISTED {
            self.differences.push(found);
        }
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

/// A record of the chunk, with what its history must replay to.
struct Record {
    id: String,
    reference: String,
    /// Its fields as `history_fields` gives them, or why the row cannot be
    /// read as a record (a value no longer of its vocabulary…).
    fields: Result<serde_json::Map<String, serde_json::Value>, String>,
    version: i32,
    /// A request's `case_id`, and the id of the case carrying its case
    /// reference (None: no case does).
    case: Option<(String, Option<String>)>,
}

/// The chunk's records of `chain`: the first `chunk` after `after`, by id.
fn load_records(
    conn: &mut DbConnection,
    chain: Chain,
    after: Option<&str>,
    chunk: i64,
) -> QueryResult<Vec<Record>> {
    use crate::db::cases::{self as case_store, CaseRow};
    use crate::db::requests::{self as request_store, RequestRow};
    use crate::db::schema::{cases, requests};
    match chain {
        Chain::Request => {
            let mut query = requests::table
                .left_join(cases::table.on(cases::case_reference.eq(requests::case_reference)))
                .select((RequestRow::as_select(), cases::id.nullable()))
                .order(requests::id)
                .limit(chunk)
                .into_boxed();
            if let Some(after) = after {
                query = query.filter(requests::id.gt(after.to_string()));
            }
            let rows: Vec<(RequestRow, Option<String>)> = query.load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(row, case_of_reference)| Record {
                    id: row.id.clone(),
                    reference: row.reference.clone(),
                    version: row.version,
                    case: Some((row.case_id.clone(), case_of_reference)),
                    fields: row
                        .into_record()
                        .map(|r| request_store::history_fields(&r))
                        .map_err(|e| e.to_string()),
                })
                .collect())
        }
        Chain::Case => {
            let mut query = cases::table
                .select(CaseRow::as_select())
                .order(cases::id)
                .limit(chunk)
                .into_boxed();
            if let Some(after) = after {
                query = query.filter(cases::id.gt(after.to_string()));
            }
            let rows: Vec<CaseRow> = query.load(conn)?;
            Ok(rows
                .into_iter()
                .map(|row| Record {
                    id: row.id.clone(),
                    reference: row.case_reference.clone(),
                    version: row.version,
                    case: None,
                    fields: row
                        .into_case()
                        .map(|c| case_store::history_fields(&c))
                        .map_err(|e| e.to_string()),
                })
                .collect())
        }
    }
}

/// The first difference between `record` and the replay of its history
/// (`events`, a chain that checks out), if any.
fn check_record(chain: Chain, record: &Record, events: &[ChainedEvent]) -> Option<Difference> {
    use serde_json::Value;
    let differs = |field: &str, stored: Value, replayed: Value| Difference {
        subject: Subject::of(chain, &record.id),
        reference: record.reference.clone(),
        field: field.to_string(),
        stored,
        replayed,
    };
    let fields = match &record.fields {
        Ok(fields) => fields,
        Err(e) => {
            return Some(differs(
                "(row)",
                Value::String(format!("unreadable: {e}")),
                Value::Null,
            ));
        }
    };
    let replayed = match replay(chain, events) {
        Ok(replayed) => replayed,
        Err(e) => return Some(differs("(history)", Value::Null, Value::String(e))),
    };
    if let Some((field, stored, want)) = compare(fields, record.version, &replayed) {
        return Some(differs(&field, stored, want));
    }
    // The case reference agrees with the history: the case must be the one
    // carrying it.
    match &record.case {
        Some((case_id, of_reference)) if Some(case_id) != of_reference.as_ref() => Some(differs(
            "case_id",
            Value::String(case_id.clone()),
            of_reference.clone().map_or(Value::Null, Value::String),
        )),
        _ => None,
    }
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
    let records = load_records(conn, chain, after, chunk)?;
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
        match check_chain(
            chain,
            &record.id,
            &events,
            heads.remove(&record.id).as_ref(),
        ) {
            Some(found) => report.add(Break {
                reference: Some(record.reference.clone()),
                ..found
            }),
            // Only a chain that checks out is worth replaying.
            None => {
                if let Some(difference) = check_record(chain, record, &events) {
                    report.differ(difference);
                }
            }
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

// ---------------------------------------------------------------------------
// The replay: a history folded into the record it describes.

/// Event kinds that change the record a history describes (and bump its
/// `version`): `created`, `updated`, `transition`, `milestone`. The others
/// change something kept elsewhere, or nothing: `note` (the record does not
/// change), `follow_up`, `snoozed`, `unsnoozed` (`request_alert_state`),
/// `linked`, `unlinked` (`request_links`), `preservation_*`
/// (`preservations`); their `changes` name no field of the record.
pub fn changes_the_record(kind: &str) -> bool {
    matches!(kind, "created" | "updated" | "transition" | "milestone")
}

/// The record as its history tells it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replayed {
    /// Every field any record-changing event set, at the last value set
    /// (`changes[field].new`, `null` included).
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// How many events changed the record, the `created` event included:
    /// the `version` the row must have.
    pub versions: i32,
}

/// Replays one record's history (events in `seq` order, of a chain that
/// checks out): every record-changing event's `changes[field].new` folded
/// over an empty record, oldest first.
///
/// For a request, what migrations derived without writing an event is
/// derived here by the same rules, so a history written before them
/// replays to the record they made:
/// - `acknowledged_at` and `first_response_at` are the effective dates of
///   its first transition to `acknowledged`, and to a substantive response
///   (docs/DOMAIN.md §4): what every transition records and what migration
///   000006 re-derived (before it, `first_response_at` also counted an
///   acknowledgement, and no event recorded `acknowledged_at`);
/// - a history that never records `facilitators` predates migration 000008:
///   a facilitator channel (`eurojust`, `ejn`, `liaison_magistrate`,
///   `interpol`) becomes that facilitator and the channel `other`, as the
///   migration did; `facilitators` and `measure_outcomes` that no event
///   records are `[]` and `{}`, the values the migration gave.
///
/// Fields a history records that the record no longer has (a request's
/// `victims_identified`, `related_request_id`) are left in the result;
/// [`compare`] only looks at the record's fields. `Err` names an event
/// whose `changes` is not a JSON object.
pub fn replay(chain: Chain, events: &[ChainedEvent]) -> Result<Replayed, String> {
    use serde_json::Value;
    let mut out = Replayed::default();
    let mut acknowledged: Option<Value> = None;
    let mut first_response: Option<Value> = None;
    for event in events {
        if !changes_the_record(&event.kind) {
            continue;
        }
        out.versions += 1;
        let changes: serde_json::Map<String, Value> = serde_json::from_str(&event.changes)
            .map_err(|e| format!("event seq {}: changes is not an object ({e})", event.seq))?;
        for (field, change) in changes {
            let new = change.get("new").cloned().unwrap_or(Value::Null);
            out.fields.insert(field, new);
        }
        if chain == Chain::Request && event.kind == "transition" {
            let to = event
                .to_status
                .as_deref()
                .and_then(|s| s.parse::<crate::domain::Status>().ok());
            let date = Value::String(event.effective_date.format("%Y-%m-%d").to_string());
            if to == Some(crate::domain::Status::Acknowledged) && acknowledged.is_none() {
                acknowledged = Some(date.clone());
            }
            if to.is_some_and(|s| s.is_substantive_response()) && first_response.is_none() {
                first_response = Some(date);
            }
        }
    }
    if chain == Chain::Request {
        let f = &mut out.fields;
        f.insert(
            "acknowledged_at".into(),
            acknowledged.unwrap_or(Value::Null),
        );
        f.insert(
            "first_response_at".into(),
            first_response.unwrap_or(Value::Null),
        );
        if !f.contains_key("facilitators") {
            let facilitator = f
                .get("channel")
                .and_then(Value::as_str)
                .filter(|c| ["eurojust", "ejn", "liaison_magistrate", "interpol"].contains(c))
                .map(str::to_owned);
            match facilitator {
                Some(c) => {
                    f.insert("facilitators".into(), Value::Array(vec![Value::String(c)]));
                    f.insert("channel".into(), Value::String("other".into()));
                }
                None => {
                    f.insert("facilitators".into(), Value::Array(Vec::new()));
                }
            }
        }
        f.entry("measure_outcomes")
            .or_insert_with(|| Value::Object(Default::default()));
    }
    Ok(out)
}

/// The first field where a stored record and its replayed history differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// `request_id` or `case_id`, the record's id.
    #[serde(flatten)]
    pub subject: Subject,
    /// The request's reference or the case's.
    pub reference: String,
    pub field: String,
    /// The row's value, as the API would show it.
    pub stored: serde_json::Value,
    /// The value its history leads to.
    pub replayed: serde_json::Value,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.subject {
            Subject::Request(id) => write!(f, "request {id}")?,
            Subject::Case(id) => write!(f, "case {id}")?,
        }
        write!(
            f,
            " ({}): {} is {} on record, {} by its history",
            self.reference, self.field, self.stored, self.replayed
        )
    }
}

/// Whether a stored value is the replayed one. Instants are compared to
/// the microsecond, the precision both backends keep: an event may record
/// the instant to the nanosecond that the row keeps to the microsecond.
fn same(stored: &serde_json::Value, replayed: &serde_json::Value) -> bool {
    if stored == replayed {
        return true;
    }
    let instant = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_micros())
    };
    matches!((instant(stored), instant(replayed)), (Some(a), Some(b)) if a == b)
}

/// The first field (in name order) where `stored` — a record's fields as
/// `db::requests::history_fields` or `db::cases::history_fields` give them:
/// everything its history records, without the row's bookkeeping
/// (`version`, `created_at`, `updated_at`) or a request's links — differs
/// from `replayed`, as `(field, stored, replayed)`; a field no event
/// recorded must be null. Then `version`, which must count the
/// record-changing events (each of them saves the row with its version
/// plus one; a `created` event writes version 1). A request's `case_id` is
/// not compared here: the migration to cases drew new ids for cases its
/// requests' histories never named, so the walk checks instead that it
/// names the case carrying the request's (replayed) case reference.
pub fn compare(
    stored: &serde_json::Map<String, serde_json::Value>,
    version: i32,
    replayed: &Replayed,
) -> Option<(String, serde_json::Value, serde_json::Value)> {
    let null = serde_json::Value::Null;
    for (field, value) in stored {
        if field == "case_id" {
            continue;
        }
        let want = replayed.fields.get(field).unwrap_or(&null);
        if !same(value, want) {
            return Some((field.clone(), value.clone(), want.clone()));
        }
    }
    (version != replayed.versions).then(|| {
        (
            "version".to_string(),
            version.into(),
            replayed.versions.into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn event(seq: i32, kind: &str, to: Option<&str>, date: &str, changes: Value) -> ChainedEvent {
        ChainedEvent {
            id: format!("e{seq}"),
            subject_id: "r1".into(),
            seq,
            kind: kind.into(),
            actor_id: "u1".into(),
            recorded_at: chrono::NaiveDateTime::default(),
            effective_date: date.parse().unwrap(),
            from_status: None,
            to_status: to.map(str::to_owned),
            changes: changes.to_string(),
            note: None,
            prev_hash: None,
            hash: None,
        }
    }

    /// `{field: {old: null, new: value}}` for each pair.
    fn created(values: &Value) -> Value {
        let mut out = serde_json::Map::new();
        for (k, v) in values.as_object().unwrap() {
            out.insert(k.clone(), json!({"old": null, "new": v}));
        }
        Value::Object(out)
    }

    fn initial() -> Value {
        json!({
            "id": "r1", "reference": "MLA-2026-00001", "case_id": "c1",
            "case_reference": "PR-1", "title": "Images", "target_country": "DE",
            "issuing_magistrate": {"name": "A. Judge", "court": null, "email": null},
            "channel": "central_authority", "facilitators": ["eurojust"],
            "legal_basis": "eio_directive", "offences": ["csam_distribution"],
            "measures": ["subscriber_data"], "measure_outcomes": {}, "priority": "normal",
            "status": "sent", "status_since": "2026-01-05", "sent_at": "2026-01-05",
            "sent_time": "2026-01-05T09:30:00.123456789Z", "created_by": "u1"
        })
    }

    /// A sent request, acknowledged, renamed, given a receipt date, then
    /// executed; a note, a link and a follow-up on the way.
    fn history() -> Vec<ChainedEvent> {
        vec![
            event(
                1,
                "created",
                Some("sent"),
                "2026-01-05",
                created(&initial()),
            ),
            event(2, "note", None, "2026-01-06", json!({})),
            event(
                3,
                "transition",
                Some("acknowledged"),
                "2026-01-10",
                json!({"status": {"old": "sent", "new": "acknowledged"},
                       "status_since": {"old": "2026-01-05", "new": "2026-01-10"},
                       "acknowledged_at": {"old": null, "new": "2026-01-10"}}),
            ),
            event(
                4,
                "linked",
                None,
                "2026-01-11",
                json!({"link": {"old": null, "new": {"kind": "supplements"}}}),
            ),
            event(
                5,
                "updated",
                None,
                "2026-01-12",
                json!({"title": {"old": "Images", "new": "Images and chats"}}),
            ),
            event(
                6,
                "milestone",
                None,
                "2026-01-08",
                json!({"received_at": {"old": null, "new": "2026-01-08"}}),
            ),
            event(
                7,
                "follow_up",
                None,
                "2026-02-01",
                json!({"last_follow_up": {"old": null, "new": "2026-02-01"}}),
            ),
            event(
                8,
                "transition",
                Some("executed"),
                "2026-03-01",
                json!({"status": {"old": "acknowledged", "new": "executed"},
                       "status_since": {"old": "2026-01-10", "new": "2026-03-01"},
                       "first_response_at": {"old": null, "new": "2026-03-01"},
                       "closed_at": {"old": null, "new": "2026-03-01"},
                       "measure_outcomes": {"old": {}, "new": {"subscriber_data": "executed"}}}),
            ),
        ]
    }

    /// The row that history leads to, with the fields it never set null.
    fn stored() -> serde_json::Map<String, Value> {
        let mut record = initial();
        let r = record.as_object_mut().unwrap();
        for (k, v) in [
            ("title", json!("Images and chats")),
            ("status", json!("executed")),
            ("status_since", json!("2026-03-01")),
            ("acknowledged_at", json!("2026-01-10")),
            ("first_response_at", json!("2026-03-01")),
            ("closed_at", json!("2026-03-01")),
            ("received_at", json!("2026-01-08")),
            ("measure_outcomes", json!({"subscriber_data": "executed"})),
            // The row keeps microseconds.
            ("sent_time", json!("2026-01-05T09:30:00.123456Z")),
        ] {
            r.insert(k.into(), v);
        }
        for k in [
            "requested_authority",
            "legal_basis_detail",
            "coordinator_email",
            "outcome_note",
            "foreign_reference",
            "needed_by",
            "recognised_at",
            "deadline_extended_to",
            "deadline_extension_reason",
            "abandonment_reason",
            "refusal_ground",
        ] {
            r.insert(k.into(), Value::Null);
        }
        r.clone()
    }

    #[test]
    fn a_record_and_its_history_agree() {
        let replayed = replay(Chain::Request, &history()).unwrap();
        assert_eq!(
            replayed.versions, 5,
            "created, 2 transitions, update, milestone"
        );
        assert_eq!(compare(&stored(), 5, &replayed), None);
    }

    #[test]
    fn each_kind_of_field_that_differs_is_named_with_both_values() {
        let replayed = replay(Chain::Request, &history()).unwrap();
        for (field, forged) in [
            ("status", json!("refused")),
            ("first_response_at", json!("2026-02-01")),
            ("sent_time", json!("2026-01-05T09:31:00Z")),
            ("refusal_ground", json!("dual_criminality")),
            ("title", json!("Nothing")),
            ("measure_outcomes", json!({})),
            (
                "issuing_magistrate",
                json!({"name": "B", "court": null, "email": null}),
            ),
            ("needed_by", json!("2026-05-01")),
        ] {
            let mut row = stored();
            let replayed_value = replayed.fields.get(field).cloned().unwrap_or(Value::Null);
            row.insert(field.into(), forged.clone());
            assert_eq!(
                compare(&row, 5, &replayed),
                Some((field.to_string(), forged, replayed_value)),
                "{field}"
            );
        }
        // A version that does not count the changes.
        assert_eq!(
            compare(&stored(), 7, &replayed),
            Some(("version".into(), json!(7), json!(5)))
        );
        // The case id is the walk's to check, by the case reference.
        let mut row = stored();
        row.insert("case_id".into(), json!("c2"));
        assert_eq!(compare(&row, 5, &replayed), None);
    }

    #[test]
    fn the_first_differing_field_is_named() {
        let replayed = replay(Chain::Request, &history()).unwrap();
        let mut row = stored();
        row.insert("title".into(), json!("Forged"));
        row.insert("status".into(), json!("refused"));
        row.insert("closed_at".into(), json!("2026-01-01"));
        let (field, _, _) = compare(&row, 5, &replayed).unwrap();
        assert_eq!(field, "closed_at", "in name order");
    }

    #[test]
    fn a_history_from_before_the_migrations_replays_to_what_they_made() {
        // Before 000006 an acknowledgement was a first response and no event
        // recorded `acknowledged_at`; before 000008 Eurojust was a channel,
        // victims were the request's, and nothing named a case id.
        let old = vec![
            event(
                1,
                "created",
                Some("sent"),
                "2025-01-05",
                created(&json!({"id": "r1", "reference": "MLA-2025-00001",
                                "case_reference": "PR-1", "title": "Old",
                                "channel": "eurojust", "victims_identified": 4,
                                "status": "sent", "status_since": "2025-01-05"})),
            ),
            event(
                2,
                "transition",
                Some("acknowledged"),
                "2025-01-10",
                json!({"status": {"old": "sent", "new": "acknowledged"},
                       "first_response_at": {"old": null, "new": "2025-01-10"}}),
            ),
            event(
                3,
                "transition",
                Some("in_execution"),
                "2025-02-10",
                json!({"status": {"old": "acknowledged", "new": "in_execution"}}),
            ),
        ];
        let replayed = replay(Chain::Request, &old).unwrap();
        let row = json!({"id": "r1", "reference": "MLA-2025-00001", "case_id": "c9",
                         "case_reference": "PR-1", "title": "Old", "channel": "other",
                         "facilitators": ["eurojust"], "measure_outcomes": {},
                         "status": "in_execution", "status_since": "2025-01-05",
                         "acknowledged_at": "2025-01-10", "first_response_at": "2025-02-10",
                         "sent_time": null});
        assert_eq!(compare(row.as_object().unwrap(), 3, &replayed), None);
    }

    #[test]
    fn a_case_replays_its_victims() {
        let events = vec![
            event(
                1,
                "created",
                None,
                "2026-01-01",
                created(&json!({"id": "c1", "case_reference": "PR-1", "victims_identified": 2})),
            ),
            event(
                2,
                "preservation_recorded",
                None,
                "2026-01-02",
                json!({"preservation": {"old": null, "new": {"id": "p1"}}}),
            ),
            event(
                3,
                "updated",
                None,
                "2026-01-03",
                json!({"victims_identified": {"old": 2, "new": 3},
                       "trial_date": {"old": null, "new": "2026-09-01"}}),
            ),
        ];
        let replayed = replay(Chain::Case, &events).unwrap();
        let mut row = json!({"id": "c1", "case_reference": "PR-1", "victims_identified": 3,
                             "victims_safeguarded": null, "trial_date": "2026-09-01"});
        assert_eq!(compare(row.as_object().unwrap(), 2, &replayed), None);
        row["victims_identified"] = json!(30);
        assert_eq!(
            compare(row.as_object().unwrap(), 2, &replayed),
            Some(("victims_identified".into(), json!(30), json!(3)))
        );
        row["victims_identified"] = json!(3);
        row["victims_safeguarded"] = json!(1);
        assert_eq!(
            compare(row.as_object().unwrap(), 2, &replayed),
            Some(("victims_safeguarded".into(), json!(1), Value::Null))
        );
    }
}
