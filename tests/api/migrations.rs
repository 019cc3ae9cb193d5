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

#[test]
fn legal_dates_are_derived_from_each_history() {
    let db = fresh_test_database();
    let url = db.url.as_str();
    let n: String = std::env::var("MLA_MIGRATION_REQUESTS").unwrap_or_else(|_| "400".into());
    mla(url, &["seed", "--requests", &n, "--seed", "11"]);
    let before = counts(url);
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

    // Exits 0 only when every chain verifies.
    mla(url, &["audit", "verify"]);
}
