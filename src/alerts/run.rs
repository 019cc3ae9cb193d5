//! One alert run: scan, decide which breaches are new, and write them to the
//! outbox.
//!
//! A run is recorded in steps ([`begin`], [`record`] for each slice of at
//! most [`SLICE`] notifications the scan plans, [`finish`]), each step a
//! transaction of its own, so that on SQLite a run over a large register
//! never holds the single writer for longer than a slice: a clerk's save
//! waits for a slice, not for the scan.
//! Its digests are "assembling" — delivery does not see them — until
//! [`finish`] releases them, so a digest never goes out half-written.
//!
//! A run that crashed stays unfinished; once it has been silent for longer
//! than `alerts.run_lease_seconds`, the next run finishes it ([`begin`]):
//! what it recorded was never sent, so it is sent then, once, and the breaches
//! it had not reached are recorded by the run that found it. Nothing is sent
//! twice: a notification is recorded once ever (its unique key), in one
//! digest, and a run that was taken over can no longer add to its digests.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::outbox::DigestState;
use super::scan::Stalled;
use crate::db::DbConnection;
use crate::db::connect::{DEFAULT_CACHE_KIB, WIDE_CACHE_KIB, set_sqlite_cache};
use crate::db::error::{Error, Result};
use crate::db::now;
use crate::db::schema::{alert_digests, alert_notifications, alert_runs};
use crate::domain::Today;
use crate::domain::alert_rules::{Recipient, RuleSet};

/// One notification to record: a recipient learns of a breach.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planned {
    pub recipient: String,
    pub request_id: Uuid,
    pub rule: String,
    pub level: u8,
    pub episode: NaiveDate,
    pub overdue_days: i64,
}

/// What a run found and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub as_of: Option<NaiveDate>,
    pub dry_run: bool,
    pub stalled: usize,
    pub notifications_created: usize,
    pub digests_created: usize,
    pub emails_sent: usize,
    pub emails_failed: usize,
    /// Another instance was scanning (PostgreSQL); this run did nothing.
    pub skipped_busy: bool,
}

/// The key of the PostgreSQL advisory lock under which runs begin ("MLA\0"
/// as an integer), so that two instances never both find a kind free.
const SCAN_LOCK: i64 = 0x4d4c_4100;

/// The addresses a breach of each stalled request goes to.
pub fn plan(
    items: &[Stalled],
    rules: &RuleSet,
    lists: &BTreeMap<String, Vec<String>>,
) -> Vec<Planned> {
    let mut planned = BTreeSet::new();
    for item in items {
        for breach in &item.breaches {
            let Some(rule) = rules.rules.iter().find(|r| r.name == breach.rule) else {
                continue;
            };
            for recipient in &rule.notify {
                let addresses: Vec<String> = match recipient {
                    Recipient::Coordinator => item.contacts.coordinator.iter().cloned().collect(),
                    Recipient::IssuingMagistrate => {
                        item.contacts.issuing_magistrate.iter().cloned().collect()
                    }
                    Recipient::Creator => vec![item.contacts.creator.clone()],
                    Recipient::List(name) => lists.get(name).cloned().unwrap_or_default(),
                    Recipient::Address(address) => vec![address.clone()],
                };
                for address in addresses {
                    planned.insert(Planned {
                        recipient: address.to_lowercase(),
                        request_id: item.request.id,
                        rule: breach.rule.clone(),
                        level: breach.level,
                        episode: breach.episode,
                        overdue_days: breach.overdue_days,
                    });
                }
            }
        }
    }
    planned.into_iter().collect()
}

/// A run in progress: what its chunks need to record, and what it found.
/// It is passed from chunk to chunk, each chunk on whichever connection the
/// caller has, so a run holds no connection (and, on SQLite, not the
/// single writer) between chunks.
pub struct Run {
    id: String,
    started: chrono::NaiveDateTime,
    dry_run: bool,
    /// Each recipient's digest in this run, created the first time a chunk
    /// names them (a dry run's are rolled back with each chunk).
    digest_of: BTreeMap<String, String>,
    /// The recipients that received at least one new notification.
    notified: BTreeSet<String>,
    summary: RunSummary,
}

impl Run {
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// How a run is begun.
pub struct Start<'a> {
    /// The office's present.
    pub at: Today,
    /// `schedule`, `emergency`, `api`, `cli`: kept with the run.
    pub origin: &'a str,
    /// Only requests of priority `emergency` (the emergency scan).
    pub emergencies_only: bool,
    /// Computes and counts everything as for real, and keeps nothing.
    pub dry_run: bool,
    /// See [`crate::config::AlertSettings::run_lease_seconds`].
    pub lease: chrono::Duration,
}

/// Why a chunk was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "the alert run {0} was finished by another run after `alerts.run_lease_seconds` without \
     progress; what it recorded is sent, and the next run records the rest"
)]
pub struct TakenOver(pub String);

impl From<TakenOver> for Error {
    fn from(e: TakenOver) -> Error {
        Error::Internal(e.into())
    }
}

/// Begins a run: finishes the runs that crashed (unfinished, and silent
/// for longer than the lease: their digests were never sent, so they are
/// sent now, once), then records this one as started. `None` when a run of
/// the same kind (the emergency scan, or any other) is still alive: it will
/// record whatever this one would have, so this one does nothing. A dry run
/// claims nothing and records nothing here.
pub fn begin(conn: &mut DbConnection, start: &Start) -> Result<Option<Run>> {
    let started = now();
    let run = Run {
        id: crate::db::new_id().to_string(),
        started,
        dry_run: start.dry_run,
        digest_of: BTreeMap::new(),
        notified: BTreeSet::new(),
        summary: RunSummary {
            as_of: Some(start.at.date),
            dry_run: start.dry_run,
            ..RunSummary::default()
        },
    };
    set_sqlite_cache(conn, WIDE_CACHE_KIB)?;
    if start.dry_run {
        return Ok(Some(run));
    }
    conn.transaction(|conn| {
        if let DbConnection::Postgresql(pg) = conn {
            // Two instances begin one after the other, so only one of them
            // finds the kind free.
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(SCAN_LOCK)
                .execute(pg)?;
        }
        let crashed: Vec<String> = alert_runs::table
            .filter(alert_runs::finished_at.is_null())
            .filter(alert_runs::alive_at.lt(started - start.lease))
            .select(alert_runs::id)
            .load(conn)?;
        for id in &crashed {
            let digests = close(conn, id, started)?.unwrap_or_default();
            log::warn!(
                "alert run {id} stopped without finishing; its {digests} digest(s) are released \
                 for delivery"
            );
        }
        let unfinished = alert_runs::table
            .filter(alert_runs::finished_at.is_null())
            .into_boxed();
        let same_kind = if start.emergencies_only {
            unfinished.filter(alert_runs::origin.eq(EMERGENCY_ORIGIN))
        } else {
            unfinished.filter(alert_runs::origin.ne(EMERGENCY_ORIGIN))
        };
        let alive: i64 = same_kind.count().get_result(conn)?;
        if alive > 0 {
            return Ok(None);
        }
        insert_run(conn, &run.id, start.at.date, start.origin, started)?;
        Ok(Some(run))
    })
}

/// The origin of the emergency scan's runs: a kind of its own, which runs
/// beside the daily scan instead of waiting for it.
const EMERGENCY_ORIGIN: &str = "emergency";

fn insert_run(
    conn: &mut DbConnection,
    id: &str,
    as_of: NaiveDate,
    origin: &str,
    started: chrono::NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(alert_runs::table)
        .values((
            alert_runs::id.eq(id),
            alert_runs::started_at.eq(started),
            alert_runs::as_of.eq(as_of),
            alert_runs::origin.eq(origin),
            alert_runs::stalled.eq(0),
            alert_runs::notifications_created.eq(0),
            alert_runs::alive_at.eq(started),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finishes run `id` if it is not finished yet: drops its digests that
/// received nothing, and releases the others for delivery. Returns how many
/// it released, or `None` when the run was finished already (by another).
fn close(
    conn: &mut DbConnection,
    id: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<Option<usize>> {
    diesel::delete(
        alert_digests::table
            .filter(alert_digests::run_id.eq(id))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                alert_notifications::table
                    .filter(alert_notifications::digest_id.eq(alert_digests::id)),
            ))),
    )
    .execute(conn)?;
    let closed = diesel::update(
        alert_runs::table
            .find(id)
            .filter(alert_runs::finished_at.is_null()),
    )
    .set(alert_runs::finished_at.eq(at))
    .execute(conn)?;
    if closed == 0 {
        return Ok(None);
    }
    alert_digests::table
        .filter(alert_digests::run_id.eq(id))
        .count()
        .get_result::<i64>(conn)
        .map(|n| Some(n as usize))
}

/// The most notifications one transaction of a run records: a chunk of the
/// scan plans thousands (over 10,000 per 5,000 requests for a first run over
/// a backlog), and on SQLite every other write waits while one is recorded.
pub const SLICE: usize = 500;

/// Records a slice of at most [`SLICE`] planned notifications in a
/// transaction of its own, counting `stalled` more stalled requests: the
/// recipients' digests (created the first time a slice names them) and the
/// new notifications. A breach already notified in this episode (same
/// request, rule, `status_since`/`needed_by` and recipient) is never
/// recorded twice, whoever runs the scan and however often: the unique key
/// decides, and the conflicting rows are skipped. A dry run's slice is
/// rolled back, so its counts are exactly what a real run would have done.
/// Returns how many notifications went in.
pub fn record(
    conn: &mut DbConnection,
    run: &mut Run,
    stalled: usize,
    planned: &[Planned],
) -> Result<usize> {
    if planned.is_empty() && stalled == 0 {
        return Ok(0);
    }
    let outcome = conn.transaction::<Vec<String>, Stop, _>(|conn| {
        if run.dry_run {
            let at = run.summary.as_of.unwrap_or(run.started.date());
            insert_run(conn, &run.id, at, "dry run", run.started)?;
        }
        for p in planned {
            if !run.digest_of.contains_key(&p.recipient) {
                let id = new_digest(conn, &run.id, &p.recipient, run.started)?;
                run.digest_of.insert(p.recipient.clone(), id);
            }
        }
        let rows: Vec<NewNotification> = planned
            .iter()
            .map(|p| NewNotification {
                digest_id: &run.digest_of[&p.recipient],
                request_id: p.request_id.to_string(),
                rule: p.rule.clone(),
                level: i32::from(p.level),
                episode: p.episode,
                recipient: p.recipient.clone(),
                overdue_days: p.overdue_days as i32,
                created_at: run.started,
            })
            .collect();
        let inserted = match conn {
            DbConnection::Postgresql(c) => insert_unnested(c, &rows)?,
            DbConnection::Sqlite(c) => insert_from_json(c, &rows, run.started)?,
        };
        if run.dry_run {
            return Err(Stop::Rehearsed(inserted));
        }
        // Counted, and the run shown alive, unless another run finished it
        // meanwhile: then this slice is undone.
        let alive = diesel::update(
            alert_runs::table
                .find(&run.id)
                .filter(alert_runs::finished_at.is_null()),
        )
        .set((
            alert_runs::alive_at.eq(now()),
            alert_runs::stalled.eq(alert_runs::stalled + stalled as i32),
            alert_runs::notifications_created
                .eq(alert_runs::notifications_created + inserted.len() as i32),
        ))
        .execute(conn)?;
        if alive == 0 {
            return Err(Stop::TakenOver);
        }
        Ok(inserted)
    });
    let inserted = match outcome {
        Ok(inserted) => inserted,
        Err(Stop::Rehearsed(inserted)) => {
            // Rolled back with the chunk: the next chunk creates its own.
            run.digest_of.clear();
            inserted
        }
        Err(Stop::TakenOver) => return Err(TakenOver(run.id.clone()).into()),
        Err(Stop::Failed(e)) => return Err(e),
    };
    run.summary.stalled += stalled;
    let count = inserted.len();
    run.summary.notifications_created += count;
    run.notified.extend(inserted);
    Ok(count)
}

/// Ends a run: its digests that received something are released for
/// delivery, the others dropped, in one transaction.
pub fn finish(conn: &mut DbConnection, run: Run) -> Result<RunSummary> {
    set_sqlite_cache(conn, DEFAULT_CACHE_KIB)?;
    let digests_created = run.notified.len();
    let summary = RunSummary {
        digests_created,
        ..run.summary
    };
    if run.dry_run {
        return Ok(summary);
    }
    match conn.transaction(|conn| close(conn, &run.id, now()))? {
        Some(_) => Ok(summary),
        None => Err(TakenOver(run.id).into()),
    }
}

/// After a run failed part way: releases what it recorded, as the next run
/// would once the lease is over (a dry run recorded nothing), and gives the
/// writer its cache back. Best effort: when the database is what failed,
/// the next run does it.
pub fn release_after_failure(conn: &mut DbConnection, id: &str) -> Result<()> {
    set_sqlite_cache(conn, DEFAULT_CACHE_KIB)?;
    conn.transaction(|conn| close(conn, id, now()))?;
    Ok(())
}

/// Why a chunk's transaction ends without committing.
enum Stop {
    /// A dry run: the chunk was recorded as for real (these recipients
    /// were notified), then rolled back.
    Rehearsed(Vec<String>),
    /// Another run finished this one (see [`TakenOver`]).
    TakenOver,
    Failed(Error),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Stop {
        Stop::Failed(e.into())
    }
}

/// A notification row, as the run writes it.
#[derive(Insertable)]
#[diesel(table_name = alert_notifications)]
struct NewNotification<'a> {
    digest_id: &'a str,
    request_id: String,
    rule: String,
    level: i32,
    episode: NaiveDate,
    recipient: String,
    overdue_days: i32,
    created_at: chrono::NaiveDateTime,
}

/// The recipient of a notification that went in.
#[derive(QueryableByName)]
struct Inserted {
    #[diesel(sql_type = diesel::sql_types::Text)]
    recipient: String,
}

/// PostgreSQL: one statement per chunk, its rows bound as eight arrays.
/// Parsing and planning a multi-row `VALUES` with thousands of parameters
/// cost more than inserting the rows; `unnest` keeps the statement small
/// and the same for every chunk. Returns the recipients of the rows that
/// went in (conflicts, breaches already notified, are skipped).
fn insert_unnested(
    conn: &mut diesel::PgConnection,
    rows: &[NewNotification],
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Date, Integer, Text, Timestamp};
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    fn column<'r, 'd, T>(
        rows: &'r [NewNotification<'d>],
        field: impl Fn(&'r NewNotification<'d>) -> T,
    ) -> Vec<T> {
        rows.iter().map(field).collect()
    }
    diesel::sql_query(
        "INSERT INTO alert_notifications \
         (digest_id, request_id, rule, level, episode, recipient, overdue_days, created_at) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::date[], \
                              $6::text[], $7::int4[], $8::timestamp[]) \
         ON CONFLICT DO NOTHING RETURNING recipient",
    )
    .bind::<Array<Text>, _>(column(rows, |r| r.digest_id))
    .bind::<Array<Text>, _>(column(rows, |r| r.request_id.as_str()))
    .bind::<Array<Text>, _>(column(rows, |r| r.rule.as_str()))
    .bind::<Array<Integer>, _>(column(rows, |r| r.level))
    .bind::<Array<Date>, _>(column(rows, |r| r.episode))
    .bind::<Array<Text>, _>(column(rows, |r| r.recipient.as_str()))
    .bind::<Array<Integer>, _>(column(rows, |r| r.overdue_days))
    .bind::<Array<Timestamp>, _>(column(rows, |r| r.created_at))
    .load::<Inserted>(conn)
    .map(recipients)
}

fn recipients(rows: Vec<Inserted>) -> Vec<String> {
    rows.into_iter().map(|r| r.recipient).collect()
}

/// SQLite: the chunk's rows as one JSON array, unpacked by `json_each` —
/// one small statement instead of a thousand-row `VALUES` per thousand rows
/// (a dry run over the 1,000,000-request benchmark backlog: 12.7 s with
/// those, 8.6 s with this).
fn insert_from_json(
    conn: &mut diesel::SqliteConnection,
    rows: &[NewNotification],
    created_at: chrono::NaiveDateTime,
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Text, Timestamp};
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let packed: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.digest_id,
                &r.request_id,
                &r.rule,
                r.level,
                r.episode,
                &r.recipient,
                r.overdue_days,
            )
        })
        .collect();
    let json = serde_json::to_string(&packed)
        .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    diesel::sql_query(
        "INSERT OR IGNORE INTO alert_notifications \
         (digest_id, request_id, rule, level, episode, recipient, overdue_days, created_at) \
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
                value ->> 6, ? \
         FROM json_each(?) \
         RETURNING recipient",
    )
    .bind::<Timestamp, _>(created_at)
    .bind::<Text, _>(json)
    .load::<Inserted>(conn)
    .map(recipients)
}

/// A pending digest for `recipient` in this run; returns its id.
fn new_digest(
    conn: &mut DbConnection,
    run_id: &str,
    recipient: &str,
    started: chrono::NaiveDateTime,
) -> QueryResult<String> {
    let id = crate::db::new_id().to_string();
    diesel::insert_into(alert_digests::table)
        .values((
            alert_digests::id.eq(&id),
            alert_digests::run_id.eq(run_id),
            alert_digests::recipient.eq(recipient),
            alert_digests::state.eq(DigestState::Pending.as_str()),
            alert_digests::attempts.eq(0),
            alert_digests::next_attempt_at.eq(started),
            alert_digests::created_at.eq(started),
        ))
        .execute(conn)?;
    Ok(id)
}
