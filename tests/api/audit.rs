//! The tamper-evident history: histories written through the API verify;
//! each kind of edit made directly in the database (bypassing the
//! append-only triggers, as someone with the database's password could) is
//! caught by `mla-tracker audit verify`, which names the request and the
//! event; a database from before the event chain gets its hashes.

use crate::common;

use std::process::Command;

use crate::common::{TestApp, id_of, sent_body, spawn_app};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use mla_tracker::db::schema::request_events;
use mla_tracker::db::{Backend, DbConnection, sqlite_path};
use serde_json::{Value, json};

/// Runs `mla-tracker audit verify --json` on `url`: exit code and report.
fn verify(url: &str) -> (i32, Value, String) {
    let out = common::serve::bin()
        .args(["audit", "verify", "--json", "--chunk", "3"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), report, stderr)
}

/// A direct connection to the test's database, outside the application.
fn direct(app: &TestApp) -> DbConnection {
    match app.backend {
        Backend::Postgres => {
            DbConnection::Postgresql(PgConnection::establish(&app.database_url).unwrap())
        }
        Backend::Sqlite => DbConnection::Sqlite(
            SqliteConnection::establish(sqlite_path(&app.database_url)).unwrap(),
        ),
    }
}

/// Lifts the append-only guard, as an intruder with the database's
/// password would, so that rows can be edited.
fn lift_guard(conn: &mut DbConnection) {
    match conn {
        DbConnection::Postgresql(c) => c
            .batch_execute("ALTER TABLE request_events DISABLE TRIGGER request_events_append_only")
            .unwrap(),
        DbConnection::Sqlite(c) => c
            .batch_execute(
                "DROP TRIGGER request_events_no_update; DROP TRIGGER request_events_no_delete",
            )
            .unwrap(),
    }
}

/// A request with five events: created, note, transition, transition, note
/// (the notes with characters that test the encoding).
async fn request_with_history(app: &TestApp, case: &str) -> String {
    let id = id_of(&app.create_request(&sent_body(case, "2025-01-10")).await);
    let note = |text: &str| json!({"text": text, "effective_date": "2025-01-12"});
    let path = format!("/api/v1/requests/{id}/notes");
    let res = app
        .post(
            &path,
            &app.admin_token,
            &note("Called the «central authority»\nline 2: 5% \"quoted\" \\ tab\t"),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    app.move_to(&id, "acknowledged", "2025-02-01").await;
    app.move_to(&id, "in_execution", "2025-03-01").await;
    let res = app.post(&path, &app.admin_token, &note("ok")).await;
    assert_eq!(res.status, 201, "{res:?}");
    assert_eq!(app.events(&id).await.len(), 5);
    id
}

/// The id of event `seq` of request `id`.
fn event_id(conn: &mut DbConnection, id: &str, seq: i32) -> String {
    request_events::table
        .filter(request_events::request_id.eq(id))
        .filter(request_events::seq.eq(seq))
        .select(request_events::id)
        .first(conn)
        .unwrap()
}

fn recorded_at(conn: &mut DbConnection, event: &str) -> chrono::NaiveDateTime {
    request_events::table
        .find(event)
        .select(request_events::recorded_at)
        .first(conn)
        .unwrap()
}

/// The report's break for request `id`, if any.
fn break_of<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["request_id"] == id)
}

#[actix_web::test]
async fn every_direct_edit_of_the_history_is_caught_and_named() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(request_with_history(&app, &format!("AUDIT-{i}")).await);
    }
    let (code, report, stderr) = verify(&app.database_url);
    assert_eq!(code, 0, "{report} {stderr}");
    assert_eq!(report["requests"], 8);
    assert_eq!(report["events"], 40);
    assert_eq!(report["broken"], 0);

    let mut conn = direct(&app);
    // The guard holds until lifted.
    let blocked = diesel::sql_query("UPDATE request_events SET note = 'x'").execute(&mut conn);
    assert!(blocked.is_err(), "the append-only trigger refuses updates");
    lift_guard(&mut conn);

    // (request, SQL, the event the break is reported at, words in the report)
    let e = |conn: &mut DbConnection, i: usize, seq| event_id(conn, &ids[i], seq);
    let moved = e(&mut conn, 6, 4);
    let later = recorded_at(&mut conn, &moved);
    let cases: Vec<(usize, String, String, &str)> = vec![
        (
            0,
            format!(
                "UPDATE request_events SET note = 'nothing happened' WHERE id = '{}'",
                e(&mut conn, 0, 2)
            ),
            e(&mut conn, 0, 2),
            "content differs",
        ),
        (
            1,
            format!(
                "UPDATE request_events SET to_status = 'refused' WHERE id = '{}'",
                e(&mut conn, 1, 3)
            ),
            e(&mut conn, 1, 3),
            "content differs",
        ),
        (
            2,
            format!(
                "DELETE FROM request_events WHERE id = '{}'",
                e(&mut conn, 2, 3)
            ),
            e(&mut conn, 2, 4),
            "missing before it",
        ),
        (
            3,
            format!(
                "DELETE FROM request_events WHERE id = '{}'",
                e(&mut conn, 3, 5)
            ),
            e(&mut conn, 3, 4),
            "newer events were deleted",
        ),
        (
            4,
            format!(
                "UPDATE request_events SET hash = '{}' WHERE id = '{}'",
                "ab".repeat(32),
                e(&mut conn, 4, 2)
            ),
            e(&mut conn, 4, 2),
            "stored hash abab",
        ),
        (
            5,
            // Swap events 2 and 3.
            format!(
                "UPDATE request_events SET seq = -1 WHERE id = '{a}'; \
                 UPDATE request_events SET seq = 2 WHERE id = '{b}'; \
                 UPDATE request_events SET seq = 3 WHERE id = '{a}'",
                a = e(&mut conn, 5, 2),
                b = e(&mut conn, 5, 3)
            ),
            e(&mut conn, 5, 3),
            "does not match the previous event's hash",
        ),
        (
            6,
            // Recorded one microsecond later.
            format!(
                "UPDATE request_events SET recorded_at = '{}' WHERE id = '{}'",
                (later + chrono::Duration::microseconds(1)).format("%Y-%m-%d %H:%M:%S%.6f"),
                e(&mut conn, 6, 4)
            ),
            e(&mut conn, 6, 4),
            "content differs",
        ),
    ];
    for (n, (i, sql, at, words)) in cases.into_iter().enumerate() {
        conn.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let (code, report, stderr) = verify(&app.database_url);
        assert_eq!(code, 1, "case {n}: {report} {stderr}");
        assert_eq!(report["broken"], n as u64 + 1, "case {n}: {report}");
        let found = break_of(&report, &ids[i]).unwrap_or_else(|| panic!("case {n}: {report}"));
        assert_eq!(found["event_id"], at.as_str(), "case {n}: {found}");
        assert!(
            found["what"].as_str().unwrap().contains(words),
            "case {n}: {found}"
        );
        assert!(found["reference"].as_str().unwrap().starts_with("MLA-"));
        assert!(stderr.contains("does not verify"), "{stderr}");
    }
    // The untouched request still checks out.
    let report = verify(&app.database_url).1;
    assert!(break_of(&report, &ids[7]).is_none(), "{report}");

    // The text summary names the first broken link.
    let out = common::serve::bin()
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("first broken link: request "), "{stdout}");
}

#[actix_web::test]
async fn a_missing_history_and_an_unreachable_database_are_reported() {
    let app = spawn_app().await;
    let id = request_with_history(&app, "AUDIT-GONE").await;
    let mut conn = direct(&app);
    lift_guard(&mut conn);
    conn.batch_execute(&format!(
        "DELETE FROM request_events WHERE request_id = '{id}'"
    ))
    .unwrap();
    let (code, report, _) = verify(&app.database_url);
    assert_eq!(code, 1, "{report}");
    let found = break_of(&report, &id).unwrap();
    assert!(found["event_id"].is_null());
    assert!(
        found["what"]
            .as_str()
            .unwrap()
            .contains("the history was deleted"),
        "{found}"
    );

    // Exit code 2 when the walk cannot run at all.
    let (code, _, stderr) = verify("postgres://nobody@127.0.0.1:1/none");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot open the database"), "{stderr}");
}

/// The SQL of the event-chain migration, undone, as if the database had
/// been written by the version before it.
fn revert_event_chain(conn: &mut DbConnection) {
    let down = match conn {
        DbConnection::Postgresql(_) => {
            include_str!("../../migrations/postgres/2026-11-29-000005_event_chain/down.sql")
        }
        DbConnection::Sqlite(_) => {
            include_str!("../../migrations/sqlite/2026-11-29-000005_event_chain/down.sql")
        }
    };
    conn.batch_execute(down).unwrap();
    conn.batch_execute("DELETE FROM __diesel_schema_migrations WHERE version = '20261129000005'")
        .unwrap();
}

#[actix_web::test]
async fn a_database_from_before_the_chain_gets_the_same_hashes() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(request_with_history(&app, &format!("AUDIT-OLD-{i}")).await);
    }
    let mut conn = direct(&app);
    let hashes = |conn: &mut DbConnection| -> Vec<(String, Option<String>, Option<String>)> {
        request_events::table
            .order(request_events::id)
            .select((
                request_events::id,
                request_events::prev_hash,
                request_events::hash,
            ))
            .load(conn)
            .unwrap()
    };
    let before = hashes(&mut conn);
    assert!(before.iter().all(|(_, p, h)| p.is_some() && h.is_some()));
    revert_event_chain(&mut conn);

    let out = common::serve::bin()
        .arg("migrate")
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("hashed 15 event(s)"), "{stderr}");
    assert_eq!(
        hashes(&mut conn),
        before,
        "the backfill hashes as appends do"
    );
    let (code, report, stderr) = verify(&app.database_url);
    assert_eq!(code, 0, "{report} {stderr}");
    assert_eq!(report["events"], 15);

    // Once done, the guard is whole again: no update gets through.
    let blocked = diesel::sql_query("UPDATE request_events SET hash = NULL").execute(&mut conn);
    assert!(blocked.is_err());
    // And the service goes on chaining after the backfilled events.
    app.move_to(&ids[0], "executed", "2025-04-01").await;
    let (code, report, _) = verify(&app.database_url);
    assert_eq!((code, report["events"].as_u64()), (0, Some(16)), "{report}");
}

/// scripts/audit-check.py: the README's scheme implemented apart, in
/// Python's standard library; it agrees with the application's hashes and
/// catches the same edit.
fn python_check(url: &str) -> (i32, String) {
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/audit-check.py"
        ))
        .arg(url)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), format!("{stdout}{stderr}"))
}

#[actix_web::test]
async fn an_independent_checker_agrees_with_the_chain() {
    let app = spawn_app().await;
    let a = request_with_history(&app, "AUDIT-PY-A").await;
    let res = app
        .post(
            &format!("/api/v1/requests/{a}/snooze"),
            &app.admin_token,
            &json!({"until": common::office_today().succ_opt().unwrap(), "reason": "Zeugin «wartet»"}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    let b = request_with_history(&app, "AUDIT-PY-B").await;
    let (code, out) = python_check(&app.database_url);
    assert_eq!((code, out.trim()), (0, "intact: 13 events"));

    let mut conn = direct(&app);
    lift_guard(&mut conn);
    let event = event_id(&mut conn, &b, 3);
    conn.batch_execute(&format!(
        "UPDATE request_events SET effective_date = '2025-02-02' WHERE id = '{event}'"
    ))
    .unwrap();
    let (code, out) = python_check(&app.database_url);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!(
            "BROKEN request {b} event {event} seq 3: stored hash"
        )),
        "{out}"
    );
}

/// Lifts the append-only guard of the cases' history too.
fn lift_case_guard(conn: &mut DbConnection) {
    match conn {
        DbConnection::Postgresql(c) => c
            .batch_execute("ALTER TABLE case_events DISABLE TRIGGER case_events_append_only")
            .unwrap(),
        DbConnection::Sqlite(c) => c
            .batch_execute("DROP TRIGGER case_events_no_update; DROP TRIGGER case_events_no_delete")
            .unwrap(),
    }
}

/// A case with three events: created, and two changes of its victims.
async fn case_with_history(app: &TestApp, reference: &str) -> String {
    let request = app
        .create_request(&sent_body(reference, "2025-01-10"))
        .await;
    let case = request["case_id"].as_str().unwrap().to_string();
    for (version, victims) in [(1, 2), (2, 3)] {
        let tag = format!("\"{version}\"");
        let res = app
            .call_with(
                awc::http::Method::PATCH,
                &format!("/api/v1/cases/{case}"),
                Some(&app.admin_token),
                Some(&json!({"victims_identified": victims})),
                &[("If-Match", &tag)],
            )
            .await;
        assert_eq!(res.status, 200, "{res:?}");
    }
    case
}

fn case_event_id(conn: &mut DbConnection, case: &str, seq: i32) -> String {
    use mla_tracker::db::schema::case_events;
    case_events::table
        .filter(case_events::case_id.eq(case))
        .filter(case_events::seq.eq(seq))
        .select(case_events::id)
        .first(conn)
        .unwrap()
}

fn case_break_of<'a>(report: &'a Value, case: &str) -> Option<&'a Value> {
    report["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["case_id"] == case)
}

/// A case's history is a chain of its own: verified with the requests',
/// guarded the same way, and every kind of edit is caught and named by the
/// case and its reference — by `audit verify` and by the independent
/// checker alike.
#[actix_web::test]
async fn the_history_of_cases_is_chained_and_verified_too() {
    let app = spawn_app().await;
    let mut cases = Vec::new();
    for i in 0..5 {
        cases.push(case_with_history(&app, &format!("AUDIT-CASE-{i}")).await);
    }
    let (code, report, stderr) = verify(&app.database_url);
    assert_eq!(code, 0, "{report} {stderr}");
    assert_eq!(report["cases"], 5);
    assert_eq!(report["case_events"], 15);
    assert_eq!(report["requests"], 5);
    assert_eq!(report["events"], 5);
    let (code, out) = python_check(&app.database_url);
    assert_eq!((code, out.trim()), (0, "intact: 20 events"));

    let mut conn = direct(&app);
    for blocked in [
        "UPDATE case_events SET note = 'x'",
        "DELETE FROM case_events",
    ] {
        assert!(
            diesel::sql_query(blocked).execute(&mut conn).is_err(),
            "the append-only trigger refuses: {blocked}"
        );
    }
    lift_case_guard(&mut conn);

    let e = |conn: &mut DbConnection, i: usize, seq| case_event_id(conn, &cases[i], seq);
    let edits: Vec<(usize, String, String, &str)> = vec![
        (
            0,
            format!(
                "UPDATE case_events SET changes = '{{\"victims_identified\":{{\"old\":null,\"new\":20}}}}' \
                 WHERE id = '{}'",
                e(&mut conn, 0, 2)
            ),
            e(&mut conn, 0, 2),
            "content differs",
        ),
        (
            1,
            format!(
                "DELETE FROM case_events WHERE id = '{}'",
                e(&mut conn, 1, 3)
            ),
            e(&mut conn, 1, 2),
            "newer events were deleted",
        ),
        (
            2,
            format!(
                "DELETE FROM case_events WHERE id = '{}'",
                e(&mut conn, 2, 2)
            ),
            e(&mut conn, 2, 3),
            "missing before it",
        ),
        (
            3,
            format!(
                "UPDATE case_events SET effective_date = '2020-01-01' WHERE id = '{}'",
                e(&mut conn, 3, 1)
            ),
            e(&mut conn, 3, 1),
            "content differs",
        ),
    ];
    for (n, (i, sql, at, words)) in edits.into_iter().enumerate() {
        conn.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let (code, report, _) = verify(&app.database_url);
        assert_eq!(code, 1, "edit {n}: {report}");
        assert_eq!(report["broken"], n as u64 + 1, "edit {n}: {report}");
        let found =
            case_break_of(&report, &cases[i]).unwrap_or_else(|| panic!("edit {n}: {report}"));
        assert_eq!(found["event_id"], at.as_str(), "edit {n}: {found}");
        assert!(
            found["what"].as_str().unwrap().contains(words),
            "edit {n}: {found}"
        );
        assert_eq!(found["reference"], format!("AUDIT-CASE-{i}"), "{found}");
        assert!(found.get("request_id").is_none(), "{found}");
        let (code, out) = python_check(&app.database_url);
        assert_eq!(code, 1, "edit {n}: {out}");
        assert!(out.starts_with("BROKEN case "), "{out}");
    }
    // The untouched case still checks out; the text report names the case.
    let report = verify(&app.database_url).1;
    assert!(case_break_of(&report, &cases[4]).is_none(), "{report}");
    let out = common::serve::bin()
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("first broken link: case "), "{stdout}");
    assert!(stdout.contains("5 case(s) and"), "{stdout}");
}

/// A direct connection to a database by its URL.
fn direct_url(url: &str) -> DbConnection {
    match Backend::of_url(url) {
        Backend::Postgres => DbConnection::Postgresql(PgConnection::establish(url).unwrap()),
        Backend::Sqlite => {
            DbConnection::Sqlite(SqliteConnection::establish(sqlite_path(url)).unwrap())
        }
    }
}

/// The difference `audit verify --json` reports for the record `id`
/// (`request_id` or `case_id`).
fn difference_of<'a>(report: &'a Value, key: &str, id: &str) -> Option<&'a Value> {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d[key] == id)
}

/// The records' rows replayed: a seeded portfolio agrees with its
/// histories; each direct edit of a row — a request's status, a date, a
/// title, its version or its case, a case's victims — is caught and named
/// with the field, the stored value and the one the history leads to,
/// while every chain still checks out.
#[test]
fn a_row_edited_behind_the_history_is_caught_by_the_replay() {
    use mla_tracker::db::schema::{cases, requests};
    let db = common::fresh_test_database();
    let url = db.url.as_str();
    let out = common::serve::bin()
        .args(["seed", "--requests", "60", "--seed", "5"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (code, report, stderr) = verify(url);
    assert_eq!(code, 0, "{report} {stderr}");
    assert_eq!(report["requests"], 60);
    assert_eq!(
        (&report["broken"], &report["differing"]),
        (&json!(0), &json!(0))
    );

    let mut conn = direct_url(url);
    type Row = (
        String,
        String,
        String,
        Option<chrono::NaiveDate>,
        String,
        i32,
        String,
    );
    let rows: Vec<Row> = requests::table
        .select((
            requests::id,
            requests::reference,
            requests::status,
            requests::first_response_at,
            requests::title,
            requests::version,
            requests::case_id,
        ))
        .order(requests::id)
        .load(&mut conn)
        .unwrap();
    let answered: Vec<&Row> = rows.iter().filter(|r| r.3.is_some()).collect();
    assert!(answered.len() >= 5, "the portfolio has answered requests");
    let (a, b, c, d, e) = (
        answered[0],
        answered[1],
        answered[2],
        answered[3],
        answered[4],
    );
    let forged_status = if a.2 == "refused" {
        "executed"
    } else {
        "refused"
    };
    let other_case = rows
        .iter()
        .map(|r| &r.6)
        .find(|case| **case != e.6)
        .expect("two cases");
    let (case_id, victims): (String, Option<i32>) = cases::table
        .select((cases::id, cases::victims_identified))
        .order(cases::id)
        .first(&mut conn)
        .unwrap();
    let forged_victims = victims.unwrap_or(0) + 7;

    // (SQL, the record's key and id, field, stored, replayed)
    let edits: Vec<(String, &str, &str, &str, Value, Value)> = vec![
        (
            format!(
                "UPDATE requests SET status = '{forged_status}' WHERE id = '{}'",
                a.0
            ),
            "request_id",
            &a.0,
            "status",
            json!(forged_status),
            json!(a.2),
        ),
        (
            format!(
                "UPDATE requests SET first_response_at = '2020-01-02' WHERE id = '{}'",
                b.0
            ),
            "request_id",
            &b.0,
            "first_response_at",
            json!("2020-01-02"),
            json!(b.3),
        ),
        (
            format!(
                "UPDATE requests SET title = 'Nothing to see' WHERE id = '{}'",
                c.0
            ),
            "request_id",
            &c.0,
            "title",
            json!("Nothing to see"),
            json!(c.4),
        ),
        (
            format!(
                "UPDATE cases SET victims_identified = {forged_victims} WHERE id = '{case_id}'"
            ),
            "case_id",
            &case_id,
            "victims_identified",
            json!(forged_victims),
            json!(victims),
        ),
        (
            format!(
                "UPDATE requests SET version = version + 1 WHERE id = '{}'",
                d.0
            ),
            "request_id",
            &d.0,
            "version",
            json!(d.5 + 1),
            json!(d.5),
        ),
        (
            format!(
                "UPDATE requests SET case_id = '{other_case}' WHERE id = '{}'",
                e.0
            ),
            "request_id",
            &e.0,
            "case_id",
            json!(other_case),
            json!(e.6),
        ),
    ];
    for (n, (sql, key, id, field, stored, replayed)) in edits.into_iter().enumerate() {
        conn.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let (code, report, stderr) = verify(url);
        assert_eq!(code, 1, "edit {n}: {report} {stderr}");
        assert_eq!(report["broken"], 0, "edit {n}: the chains still check out");
        assert_eq!(report["differing"], n as u64 + 1, "edit {n}: {report}");
        let found = difference_of(&report, key, id).unwrap_or_else(|| panic!("edit {n}: {report}"));
        assert_eq!(
            (&found["field"], &found["stored"], &found["replayed"]),
            (&json!(field), &stored, &replayed),
            "edit {n}: {found}"
        );
        assert!(found["reference"].is_string(), "{found}");
        assert!(stderr.contains("does not verify"), "{stderr}");
    }
    // The untouched requests still agree; the text report names the first.
    let report = verify(url).1;
    assert_eq!(report["differences"].as_array().unwrap().len(), 6);
    let out = common::serve::bin()
        .args(["audit", "verify"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("DIFFERS: 6 record(s)") && stdout.contains("first difference: request "),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{} ({}): status is \"{forged_status}\" on record",
            a.0, a.1
        )),
        "{stdout}"
    );
}
