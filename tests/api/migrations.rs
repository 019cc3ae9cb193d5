//! Migrations carry a seeded register forward: a database seeded at the
//! newest schema is taken back one migration at a time (each `down.sql`,
//! run as an operator would) to the schema before a migration, then
//! `mla-tracker migrate` brings it forward again. The numbers of requests
//! and events do not change, the fields the migration derives equal what
//! each request's history implies (derived here, apart from the SQL), and
//! `audit verify` passes afterwards.
//!
//! `MLA_MIGRATION_REQUESTS` sets the size of the portfolio (default 400;
//! docs/PERFORMANCE.md reports a run at 100,000).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use crate::common::{self, fresh_test_database};
use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use mla_tracker::db::schema::{request_events, requests};
use mla_tracker::db::{Backend, DbConnection, sqlite_path};

fn direct(url: &str) -> DbConnection {
    match Backend::of_url(url) {
        Backend::Postgres => DbConnection::Postgresql(PgConnection::establish(url).unwrap()),
        Backend::Sqlite => {
            DbConnection::Sqlite(SqliteConnection::establish(sqlite_path(url)).unwrap())
        }
    }
}

fn mla(url: &str, args: &[&str]) -> std::process::Output {
    let out = common::serve::bin()
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mla-tracker {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The migrations of `backend`, oldest first.
fn migration_dirs(backend: Backend) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        });
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Runs the `down.sql` of the newest migration whose name contains `name`,
/// and everything newer, newest first, as `diesel migration revert` would.
fn revert_through(url: &str, name: &str) {
    let backend = Backend::of_url(url);
    let dirs = migration_dirs(backend);
    let from = dirs
        .iter()
        .position(|d| d.file_name().unwrap().to_string_lossy().contains(name))
        .unwrap_or_else(|| panic!("no migration named {name}"));
    let mut conn = direct(url);
    for dir in dirs[from..].iter().rev() {
        let down = std::fs::read_to_string(dir.join("down.sql")).unwrap();
        let version: String = dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split('_')
            .next()
            .unwrap()
            .replace('-', "");
        let forget = format!("DELETE FROM __diesel_schema_migrations WHERE version = '{version}';");
        conn.batch_execute(&format!("{down}\n{forget}"))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
}

fn counts(url: &str) -> (i64, i64) {
    let mut conn = direct(url);
    (
        requests::table.count().get_result(&mut conn).unwrap(),
        request_events::table.count().get_result(&mut conn).unwrap(),
    )
}

/// The statuses whose first entry is a substantive response
/// (docs/DOMAIN.md §4.1), written out here rather than taken from the code.
const SUBSTANTIVE: &[&str] = &[
    "additional_info_requested",
    "postponed",
    "in_execution",
    "partially_executed",
    "executed",
    "refused",
];

type Dates = (Option<NaiveDate>, Option<NaiveDate>);

/// `(acknowledged_at, first_response_at)` per request, from its history.
fn implied_by_history(url: &str) -> HashMap<String, Dates> {
    let rows: Vec<(String, String, Option<String>, NaiveDate)> = request_events::table
        .select((
            request_events::request_id,
            request_events::kind,
            request_events::to_status,
            request_events::effective_date,
        ))
        .order((request_events::request_id, request_events::seq))
        .load(&mut direct(url))
        .unwrap();
    let mut out: HashMap<String, Dates> = HashMap::new();
    for (request, kind, to, date) in rows {
        let dates = out.entry(request).or_default();
        if kind != "transition" {
            continue;
        }
        let to = to.unwrap();
        if to == "acknowledged" && dates.0.is_none() {
            dates.0 = Some(date);
        }
        if SUBSTANTIVE.contains(&to.as_str()) && dates.1.is_none() {
            dates.1 = Some(date);
        }
    }
    out
}

fn stored(url: &str) -> HashMap<String, Dates> {
    requests::table
        .select((
            requests::id,
            (requests::acknowledged_at, requests::first_response_at),
        ))
        .load::<(String, Dates)>(&mut direct(url))
        .unwrap()
        .into_iter()
        .collect()
}

/// The requests whose row the down migrations reverted through `name`
/// lose values their history records (each down.sql says what it drops):
/// the measure outcomes, and facilitators the old schema had no room for
/// (it keeps one, in `channel`, where the channel is `other`); through
/// `legal_dates` also the milestones' dates (receipt, recognition, an
/// extended deadline and its reason, which 000006 added), `sent_time` and
/// the priority `emergency` (made `urgent` by 000007's down.sql). Read
/// before reverting. Migrating up cannot bring them back, so the replay of
/// `audit verify` must find exactly these requests — and any edited by hand
/// in the old schema — differing from their history.
fn lost_by_reverting(url: &str, through_legal_dates: bool) -> std::collections::BTreeSet<String> {
    type Row = (
        String,
        String,
        Option<chrono::NaiveDateTime>,
        String,
        String,
        Option<String>,
        bool,
    );
    let rows: Vec<Row> = requests::table
        .select((
            requests::id,
            requests::priority,
            requests::sent_time,
            requests::measure_outcomes,
            requests::facilitators,
            requests::channel,
            requests::received_at
                .is_not_null()
                .or(requests::recognised_at
                    .is_not_null()
                    .or(requests::deadline_extended_to.is_not_null())),
        ))
        .load(&mut direct(url))
        .unwrap();
    rows.into_iter()
        .filter(
            |(_, priority, sent_time, outcomes, facilitators, channel, milestones)| {
                let facilitators: Vec<String> = serde_json::from_str(facilitators).unwrap();
                let kept = facilitators.is_empty()
                    || (facilitators.len() == 1 && channel.as_deref() == Some("other"));
                outcomes != "{}"
                    || !kept
                    || (through_legal_dates
                        && (priority == "emergency" || sent_time.is_some() || *milestones))
            },
        )
        .map(|row| row.0)
        .collect()
}

/// `audit verify --json` after a round trip: every chain checks out, and
/// the records differing from their history are exactly `lost`, each
/// named with one of the fields the round trip loses.
fn verify_round_trip(url: &str, lost: &std::collections::BTreeSet<String>) -> serde_json::Value {
    let out = common::serve::bin()
        .args(["audit", "verify", "--json"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(if lost.is_empty() { 0 } else { 1 }),
        "{report}"
    );
    assert_eq!(report["broken"], 0, "every chain checks out: {report}");
    assert_eq!(report["differing"], lost.len() as u64, "{report}");
    for found in report["differences"].as_array().unwrap() {
        let id = found["request_id"].as_str().unwrap_or_default();
        assert!(lost.contains(id), "{found}");
        assert!(
            [
                "measure_outcomes",
                "facilitators",
                "channel",
                "priority",
                "sent_time",
                "received_at",
                "recognised_at",
                "deadline_extended_to",
                "deadline_extension_reason",
            ]
            .contains(&found["field"].as_str().unwrap()),
            "{found}"
        );
    }
    report
}

#[test]
fn legal_dates_are_derived_from_each_history() {
    let db = fresh_test_database();
    let url = db.url.as_str();
    let n: String = std::env::var("MLA_MIGRATION_REQUESTS").unwrap_or_else(|_| "400".into());
    mla(url, &["seed", "--requests", &n, "--seed", "11"]);
    let before = counts(url);
    let lost = lost_by_reverting(url, true);
    assert!(
        !lost.is_empty(),
        "the portfolio has values a round trip loses"
    );
    revert_through(url, "legal_dates");
    // The old meaning is back: an acknowledgement was a first response.
    let acknowledged_only = implied_by_history(url)
        .values()
        .filter(|(ack, substantive)| ack.is_some() && substantive.is_none())
        .count();
    assert!(
        acknowledged_only > 0,
        "the portfolio has acknowledged-only requests"
    );

    let started = Instant::now();
    let out = mla(url, &["migrate"]);
    let took = started.elapsed();
    eprintln!(
        "migrated {} requests, {} events in {took:.1?}: {}",
        before.0,
        before.1,
        String::from_utf8_lossy(&out.stdout).trim()
    );

    assert_eq!(counts(url), before, "(requests, events)");
    let implied = implied_by_history(url);
    let stored = stored(url);
    assert_eq!(stored.len() as i64, before.0);
    let mut wrong = Vec::new();
    for (id, dates) in &stored {
        let want = implied.get(id).copied().unwrap_or_default();
        if *dates != want {
            wrong.push(format!("{id}: stored {dates:?}, history implies {want:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );

    // Every chain verifies; the replay finds what the round trip lost.
    verify_round_trip(url, &lost);
}

/// A request as the schema before cases held it, read by name (the
/// application's schema no longer has these columns).
#[derive(diesel::QueryableByName, Debug, Clone)]
struct OldRequest {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    reference: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    case_reference: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    issuing_magistrate: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    offences: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    channel: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    victims_identified: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    related_request_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    created_by: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    created_at: chrono::NaiveDateTime,
}

fn old_requests(url: &str) -> Vec<OldRequest> {
    diesel::sql_query(
        "SELECT id, reference, case_reference, title, issuing_magistrate, offences, channel, \
                victims_identified, related_request_id, created_by, created_at \
         FROM requests ORDER BY id",
    )
    .load(&mut direct(url))
    .unwrap()
}

const FACILITATORS: [&str; 4] = ["eurojust", "ejn", "liaison_magistrate", "interpol"];

/// The migration to cases, checked against what the old schema held, read
/// before migrating and compared after, by the rules of its up.sql
/// (docs/DECISIONS.md) written out again here: one case per case reference,
/// described by its earliest request, with the largest victim count; every
/// request filed under it; each `related_request_id` a `follow_up_of` link;
/// each facilitator channel a facilitator. Edge cases the seed does not
/// make are added by hand in the old schema first.
#[test]
fn cases_links_and_facilitators_are_made_from_the_requests() {
    use mla_tracker::db::schema::{case_events, cases, request_links};
    let db = fresh_test_database();
    let url = db.url.as_str();
    let n: String = std::env::var("MLA_MIGRATION_REQUESTS").unwrap_or_else(|_| "400".into());
    mla(url, &["seed", "--requests", &n, "--seed", "12"]);
    let mut lost = lost_by_reverting(url, false);
    revert_through(url, "cases");

    // Edges the old schema allowed: victims on two requests of one case
    // reference, two requests naming each other, a facilitator channel on
    // a draft, a self-reference (refused by the old API; skipped).
    let mut conn = direct(url);
    let old = old_requests(url);
    let mut by_reference: HashMap<&str, Vec<&OldRequest>> = HashMap::new();
    for r in &old {
        by_reference.entry(&r.case_reference).or_default().push(r);
    }
    let shared = by_reference
        .values()
        .find(|rs| rs.len() == 2)
        .expect("a case reference with two requests")
        .clone();
    let (a, b) = (shared[0].id.clone(), shared[1].id.clone());
    let single = by_reference
        .values()
        .find(|rs| rs.len() == 1 && rs[0].id != a && rs[0].id != b)
        .unwrap()[0]
        .id
        .clone();
    conn.batch_execute(&format!(
        "UPDATE requests SET victims_identified = 3 WHERE id = '{a}'; \
         UPDATE requests SET victims_identified = 5 WHERE id = '{b}'; \
         UPDATE requests SET related_request_id = '{b}' WHERE id = '{a}'; \
         UPDATE requests SET related_request_id = '{a}' WHERE id = '{b}'; \
         UPDATE requests SET channel = 'interpol' WHERE id = '{single}';"
    ))
    .unwrap();
    // Edited behind its history: it now differs from it (unless it went
    // through Interpol already, which the old schema held as this channel).
    if old
        .iter()
        .any(|r| r.id == single && r.channel.as_deref() != Some("interpol"))
    {
        lost.insert(single.clone());
    }
    let old = old_requests(url);
    let before = counts(url);
    let distinct: std::collections::BTreeSet<&str> =
        old.iter().map(|r| r.case_reference.as_str()).collect();
    assert!(
        old.iter().any(|r| r.related_request_id.is_some())
            && old.iter().any(|r| r
                .channel
                .as_deref()
                .is_some_and(|c| FACILITATORS.contains(&c)))
            && distinct.len() < old.len(),
        "the portfolio has relations, facilitator channels and shared cases"
    );

    let started = Instant::now();
    mla(url, &["migrate"]);
    let took = started.elapsed();
    eprintln!(
        "migrated {} requests ({} cases), {} events to cases in {took:.1?}",
        before.0,
        distinct.len(),
        before.1
    );

    assert_eq!(counts(url), before, "(requests, events)");
    let mut conn = direct(url);
    type CaseRow = (
        String,
        String,
        String,
        String,
        String,
        Option<i32>,
        String,
        chrono::NaiveDateTime,
    );
    let stored_cases: Vec<CaseRow> = cases::table
        .select((
            cases::id,
            cases::case_reference,
            cases::title,
            cases::issuing_magistrate,
            cases::offences,
            cases::victims_identified,
            cases::created_by,
            cases::created_at,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        stored_cases.len(),
        distinct.len(),
        "one case per case reference"
    );
    let case_by_reference: HashMap<&str, &CaseRow> =
        stored_cases.iter().map(|c| (c.1.as_str(), c)).collect();
    let mut by_reference: HashMap<&str, Vec<&OldRequest>> = HashMap::new();
    for r in &old {
        by_reference.entry(&r.case_reference).or_default().push(r);
    }
    for (reference, requests) in &by_reference {
        let case = case_by_reference[reference];
        let first = requests
            .iter()
            .min_by_key(|r| (r.created_at, r.id.clone()))
            .unwrap();
        assert_eq!(
            (&case.2, &case.3, &case.4, &case.6, case.7),
            (
                &first.title,
                &first.issuing_magistrate,
                &first.offences,
                &first.created_by,
                first.created_at
            ),
            "{reference}: described by its earliest request"
        );
        let victims = requests.iter().filter_map(|r| r.victims_identified).max();
        assert_eq!(case.5, victims, "{reference}: the largest count");
    }
    let ab_case = case_by_reference[shared[0].case_reference.as_str()];
    assert_eq!(ab_case.5, Some(5), "3 and 5 on one case: 5, not 8");

    let filed: Vec<(String, String, String, Option<String>, String)> = requests::table
        .select((
            requests::id,
            requests::case_id,
            requests::facilitators,
            requests::channel,
            requests::case_reference,
        ))
        .load(&mut conn)
        .unwrap();
    let old_by_id: HashMap<&str, &OldRequest> = old.iter().map(|r| (r.id.as_str(), r)).collect();
    for (id, case_id, facilitators, channel, case_reference) in &filed {
        let was = old_by_id[id.as_str()];
        assert_eq!(case_reference, &was.case_reference);
        assert_eq!(
            case_id,
            &case_by_reference[was.case_reference.as_str()].0,
            "{id}"
        );
        match was.channel.as_deref() {
            Some(c) if FACILITATORS.contains(&c) => {
                assert_eq!(channel.as_deref(), Some("other"), "{id}");
                assert_eq!(facilitators, &format!("[\"{c}\"]"), "{id}");
            }
            c => {
                assert_eq!(channel.as_deref(), c, "{id}");
                assert_eq!(facilitators, "[]", "{id}");
            }
        }
    }

    let links: std::collections::BTreeSet<(String, String, String)> = request_links::table
        .select((
            request_links::from_request_id,
            request_links::to_request_id,
            request_links::kind,
        ))
        .load(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    let mut expected = std::collections::BTreeSet::new();
    for r in &old {
        let Some(to) = &r.related_request_id else {
            continue;
        };
        let other = old_by_id[to.as_str()];
        let mutual_and_earlier = other.related_request_id.as_deref() == Some(r.id.as_str())
            && (other.created_at, &other.id) > (r.created_at, &r.id);
        if to != &r.id && !mutual_and_earlier {
            expected.insert((r.id.clone(), to.clone(), "follow_up_of".to_string()));
        }
    }
    assert_eq!(links, expected);
    assert_eq!(
        links
            .iter()
            .filter(|(f, t, _)| (f == &a && t == &b) || (f == &b && t == &a))
            .count(),
        1,
        "two requests naming each other: one link"
    );

    // Every case has its `created` event, saying where it came from.
    let events: Vec<(String, i32, String, Option<String>)> = case_events::table
        .select((
            case_events::case_id,
            case_events::seq,
            case_events::kind,
            case_events::note,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(events.len(), stored_cases.len());
    for (case_id, seq, kind, note) in &events {
        assert_eq!((*seq, kind.as_str()), (1, "created"), "{case_id}");
        assert!(
            note.as_deref()
                .unwrap()
                .starts_with("Made by the migration"),
            "{note:?}"
        );
    }
    let ab_note = events
        .iter()
        .find(|e| e.0 == ab_case.0)
        .unwrap()
        .3
        .clone()
        .unwrap();
    assert!(
        ab_note.contains(&format!("{}: 3", shared[0].reference))
            && ab_note.contains(&format!("{}: 5", shared[1].reference)),
        "{ab_note}"
    );

    // Every chain, requests' and cases', verifies; the cases agree with
    // their first event; the replay finds what the round trip lost.
    let report = verify_round_trip(url, &lost);
    assert_eq!(report["cases"], stored_cases.len() as u64, "{report}");
}

/// Migration 000010 gives every existing request a secret record key for
/// the published statistics: drawn at random in [0, 2³²) per request (not
/// one value for all, not zero), the register otherwise unchanged, every
/// history intact, and the published view computed over them.
#[test]
fn record_keys_are_drawn_for_every_existing_request() {
    let db = fresh_test_database();
    let url = db.url.as_str();
    mla(url, &["seed", "--requests", "300", "--seed", "5"]);
    revert_through(url, "record_keys");
    let before = counts(url);
    mla(url, &["migrate"]);
    assert_eq!(counts(url), before, "(requests, events)");

    let mut conn = direct(url);
    let keys: Vec<i64> = requests::table
        .select(requests::record_key)
        .load(&mut conn)
        .unwrap();
    assert_eq!(keys.len() as i64, before.0);
    assert!(
        keys.iter().all(|k| (0..1i64 << 32).contains(k)),
        "in [0, 2³²)"
    );
    let distinct: std::collections::BTreeSet<&i64> = keys.iter().collect();
    assert!(
        distinct.len() * 100 >= keys.len() * 99,
        "drawn per request: {} distinct of {}",
        distinct.len(),
        keys.len()
    );
    verify_round_trip(url, &Default::default());
    let out = mla(
        url,
        &["stats", "countries", "--suppress", "--format", "csv"],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).lines().count() > 2,
        "the published table over the migrated register"
    );
}
