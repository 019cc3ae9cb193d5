//! `mla-tracker audit verify`: walks every request's event chain (see
//! `db::events` and README "Tamper-evident history") and reports where it
//! breaks.
//!
//! The walk goes through the requests in id order, a chunk at a time, each
//! chunk read in one transaction (a snapshot, so a chain being appended to
//! is seen whole), with that chunk's events and chain heads. Memory stays
//! bounded by the chunk, whatever the size of the register.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::events::{GENESIS, StoredEvent};
use crate::db::schema::{request_event_heads, request_events, requests};

/// Requests per chunk: a few thousand events, read in a handful of queries.
pub const DEFAULT_CHUNK: i64 = 2_000;

/// How many breaks a report lists (it counts them all).
pub const LISTED: usize = 20;

/// Where a chain breaks: the first bad link of one request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    pub request_id: String,
    /// None when the request no longer exists (an orphan event or head).
    pub reference: Option<String>,
    /// The first event that does not check out; None when the request has
    /// no event at all.
    pub event_id: Option<String>,
    pub seq: Option<i32>,
    /// What differs, in words, with the values compared.
    pub what: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request {}", self.request_id)?;
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
    pub events: u64,
    /// Chains with at least one bad link (and orphan events or heads).
    pub broken: u64,
    /// The first [`LISTED`] breaks, in walk order (request id order).
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
}

/// How many requests a walk will visit (for a progress bar).
pub fn count_requests(conn: &mut DbConnection) -> QueryResult<i64> {
    requests::table.count().get_result(conn)
}

/// Walks every chain, `chunk` requests at a time, calling `progress` with
/// the number of requests checked so far after each chunk.
pub fn verify(
    conn: &mut DbConnection,
    chunk: i64,
    mut progress: impl FnMut(u64),
) -> QueryResult<Report> {
    let mut report = Report::default();
    let mut after: Option<String> = None;
    loop {
        let last = conn.transaction(|conn| {
            if let DbConnection::Postgresql(_) = conn {
                // One snapshot for the chunk's three reads.
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(conn)?;
            }
            verify_chunk(conn, after.as_deref(), chunk, &mut report)
        })?;
        progress(report.requests);
        match last {
            Some(last) => after = Some(last),
            None => return Ok(report),
        }
    }
}

/// Checks the requests after `after` (a chunk of them) with their events
/// and heads. The last chunk also takes every event and head past its last
/// request, so an orphan anywhere is seen. Returns the last request id, or
/// None when this was the last chunk.
fn verify_chunk(
    conn: &mut DbConnection,
    after: Option<&str>,
    chunk: i64,
    report: &mut Report,
) -> QueryResult<Option<String>> {
    let mut query = requests::table
        .select((requests::id, requests::reference))
        .order(requests::id)
        .limit(chunk)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(requests::id.gt(after.to_string()));
    }
    let chunk_requests: Vec<(String, String)> = query.load(conn)?;
    let until = (chunk_requests.len() as i64 == chunk)
        .then(|| chunk_requests.last().map(|(id, _)| id.clone()))
        .flatten();

    let mut events = request_events::table
        .select(StoredEvent::as_select())
        .order((request_events::request_id, request_events::seq))
        .into_boxed();
    let mut heads = request_event_heads::table
        .select((
            request_event_heads::request_id,
            request_event_heads::seq,
            request_event_heads::hash,
        ))
        .into_boxed();
    if let Some(after) = after {
        events = events.filter(request_events::request_id.gt(after.to_string()));
        heads = heads.filter(request_event_heads::request_id.gt(after.to_string()));
    }
    if let Some(until) = &until {
        events = events.filter(request_events::request_id.le(until.clone()));
        heads = heads.filter(request_event_heads::request_id.le(until.clone()));
    }
    let rows: Vec<StoredEvent> = events.load(conn)?;
    let heads: Vec<(String, i32, String)> = heads.load(conn)?;
    report.events += rows.len() as u64;

    // Rows of one request are adjacent (ordered by request id, then seq).
    let mut chains: HashMap<String, Vec<StoredEvent>> = HashMap::new();
    for row in rows {
        chains.entry(row.request_id.clone()).or_default().push(row);
    }
    let mut heads: HashMap<String, (i32, String)> = heads
        .into_iter()
        .map(|(request, seq, hash)| (request, (seq, hash)))
        .collect();
    for (id, reference) in &chunk_requests {
        report.requests += 1;
        let chain = chains.remove(id).unwrap_or_default();
        if let Some(found) = check_chain(id, &chain, heads.remove(id).as_ref()) {
            report.add(Break {
                reference: Some(reference.clone()),
                ..found
            });
        }
    }
    // What is left belongs to no request of the range.
    let mut orphans: Vec<(String, Vec<StoredEvent>)> = chains.into_iter().collect();
    orphans.sort_by(|a, b| a.0.cmp(&b.0));
    for (request_id, chain) in orphans {
        let first = &chain[0];
        report.add(Break {
            request_id,
            reference: None,
            event_id: Some(first.id.clone()),
            seq: Some(first.seq),
            what: format!("{} event(s) of a request that does not exist", chain.len()),
        });
    }
    let mut orphan_heads: Vec<(String, (i32, String))> = heads.into_iter().collect();
    orphan_heads.sort();
    for (request_id, (seq, _)) in orphan_heads {
        report.add(Break {
            request_id,
            reference: None,
            event_id: None,
            seq: Some(seq),
            what: "a chain head for a request that does not exist".into(),
        });
    }
    Ok(until)
}

/// The first bad link of one request's chain (events in `seq` order), or
/// None when it checks out. `reference` is left for the caller to fill.
pub fn check_chain(
    request_id: &str,
    chain: &[StoredEvent],
    head: Option<&(i32, String)>,
) -> Option<Break> {
    let at = |event: &StoredEvent, what: String| Break {
        request_id: request_id.to_string(),
        reference: None,
        event_id: Some(event.id.clone()),
        seq: Some(event.seq),
        what,
    };
    let Some(last) = chain.last() else {
        return Some(Break {
            request_id: request_id.to_string(),
            reference: None,
            event_id: None,
            seq: None,
            what: match head {
                Some((seq, _)) => format!(
                    "the request has no events, but its chain head records {seq}: \
                     the history was deleted"
                ),
                None => "the request has no events (its `created` event is missing)".into(),
            },
        });
    };
    let mut prev: &str = GENESIS;
    for (expected, event) in (1..).zip(chain) {
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
        match event.link(stored_prev).hash() {
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
        None => Some(at(last, "no chain head recorded for the request".into())),
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
