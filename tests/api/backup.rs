//! `mla-tracker backup --to FILE` on a live service: the backup is taken
//! while clients keep writing, restored (SQLite: the file is the database;
//! PostgreSQL: `pg_restore` into a fresh database), served by the
//! application, and compared with the original as of the backup: every
//! request (as the API returns it) and every event (every stored column).

use crate::common;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{TestApp, fresh_test_database, id_of, sent_body, spawn_app, test_settings};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use mla_tracker::db::events::StoredEvent;
use mla_tracker::db::schema::{request_events, requests};
use mla_tracker::db::{Backend, DbConnection, sqlite_path};
use mla_tracker::http::server::Application;
use serde_json::Value;

fn mla(database_url: &str) -> Command {
    let mut cmd = common::serve::bin();
    cmd.env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    cmd
}

fn direct(url: &str) -> DbConnection {
    match Backend::of_url(url) {
        Backend::Postgres => DbConnection::Postgresql(PgConnection::establish(url).unwrap()),
        Backend::Sqlite => {
            DbConnection::Sqlite(SqliteConnection::establish(sqlite_path(url)).unwrap())
        }
    }
}

/// Every event of the database, every column, by request, in `seq` order.
fn all_events(url: &str) -> HashMap<String, Vec<StoredEvent>> {
    let rows: Vec<StoredEvent> = request_events::table
        .select(StoredEvent::as_select())
        .order((request_events::request_id, request_events::seq))
        .load(&mut direct(url))
        .unwrap();
    let mut by_request: HashMap<String, Vec<StoredEvent>> = HashMap::new();
    for row in rows {
        by_request
            .entry(row.request_id.clone())
            .or_default()
            .push(row);
    }
    by_request
}

/// One write answered by the service: when the answer came, and the record.
struct Answered {
    at: Instant,
    record: Value,
}

/// Creates requests and moves them on, recording every answer, until
/// `stop` is set.
async fn writer(app: &TestApp, n: usize, stop: &Cell<bool>, answers: &RefCell<Vec<Answered>>) {
    let mut i = 0;
    while !stop.get() {
        let record = app
            .create_request(&sent_body(&format!("LOAD-{n}-{i}"), "2025-01-10"))
            .await;
        let id = id_of(&record);
        answers.borrow_mut().push(Answered {
            at: Instant::now(),
            record,
        });
        for (to, date) in [
            ("acknowledged", "2025-02-01"),
            ("in_execution", "2025-03-01"),
        ] {
            let record = app.move_to(&id, to, date).await;
            answers.borrow_mut().push(Answered {
                at: Instant::now(),
                record,
            });
        }
        i += 1;
    }
}

/// `GET path` on a server at `address`.
async fn get(client: &awc::Client, address: &str, path: &str, token: &str) -> (u16, Value) {
    let mut res = client
        .get(format!("{address}{path}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    let body = res.body().limit(16 << 20).await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// Restores `file` into `target` (a fresh database URL).
fn restore(file: &std::path::Path, target: &str) {
    match Backend::of_url(target) {
        Backend::Sqlite => {
            std::fs::copy(file, sqlite_path(target)).unwrap();
        }
        Backend::Postgres => {
            let out = Command::new("pg_restore")
                .arg("--no-owner")
                .arg("--exit-on-error")
                .arg(format!("--dbname={target}"))
                .arg(file)
                .output()
                .expect("pg_restore is installed (PostgreSQL client tools)");
            assert!(
                out.status.success(),
                "pg_restore: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[actix_web::test]
async fn a_backup_under_write_load_restores_every_request_and_event_as_of_the_backup() {
    let app = spawn_app().await;
    // A register big enough that the backup takes a moment.
    let out = mla(&app.database_url)
        .args(["seed", "--requests", "1500", "--seed", "3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = std::env::temp_dir().join(format!("mla-backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mla.backup");

    let stop = Cell::new(false);
    let answers = RefCell::new(Vec::new());
    let backup = async {
        // Let the writers get going first.
        while answers.borrow().len() < 30 {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        let (url, to) = (app.database_url.clone(), file.clone());
        let started = Instant::now();
        let out = actix_web::rt::task::spawn_blocking(move || {
            mla(&url)
                .arg("backup")
                .arg("--to")
                .arg(&to)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let ended = Instant::now();
        // And keep writing a little after it.
        let after = answers.borrow().len() + 30;
        while answers.borrow().len() < after {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        stop.set(true);
        (out, started, ended)
    };
    let ((out, started, ended), ..) = futures_util::future::join4(
        backup,
        writer(&app, 0, &stop, &answers),
        writer(&app, 1, &stop, &answers),
        writer(&app, 2, &stop, &answers),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("backed up"), "{stdout}");
    let answers = answers.into_inner();
    let during = answers
        .iter()
        .filter(|a| a.at > started && a.at < ended)
        .count();
    eprintln!(
        "{} writes answered, {during} of them while the backup ran",
        answers.len()
    );

    // Restore, and serve the copy.
    let restored = fresh_test_database();
    restore(&file, &restored.url);
    let copy = Application::build(test_settings(&restored.url)).expect("the copy serves");
    let copy_address = format!("http://127.0.0.1:{}", copy.port());
    actix_web::rt::spawn(copy.run_until_stopped());
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();

    // The history of the copy verifies on its own.
    let verified = mla(&restored.url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    // Every version any writer was answered, by request.
    let mut versions: HashMap<String, HashMap<i64, &Value>> = HashMap::new();
    for a in &answers {
        versions
            .entry(id_of(&a.record))
            .or_default()
            .insert(a.record["version"].as_i64().unwrap(), &a.record);
    }
    let original_events = all_events(&app.database_url);
    let copy_events = all_events(&restored.url);
    let copy_ids: Vec<String> = requests::table
        .select(requests::id)
        .order(requests::id)
        .load(&mut direct(&restored.url))
        .unwrap();
    let original_count: i64 = requests::table
        .count()
        .get_result(&mut direct(&app.database_url))
        .unwrap();
    assert!(copy_ids.len() >= 1500 && copy_ids.len() as i64 <= original_count);
    assert_eq!(
        copy_events.len(),
        copy_ids.len(),
        "every request of the copy has its history, and no event is orphaned"
    );

    let token = &app.admin_token; // users came along with the copy
    let mut written_under_load = 0;
    for id in &copy_ids {
        let (status, record) = get(
            &client,
            &copy_address,
            &format!("/api/v1/requests/{id}"),
            token,
        )
        .await;
        assert_eq!(status, 200, "{record}");
        let version = record["version"].as_i64().unwrap();
        match versions.get(id) {
            // Written during the test: the copy holds one of its answered
            // versions, exactly.
            Some(answered) => {
                written_under_load += 1;
                assert_eq!(Some(&&record), answered.get(&version), "{id}");
            }
            // Unchanged since before the backup: as the original is now.
            None => assert_eq!(record, app.fetch(id).await, "{id}"),
        }
        // The events: a prefix of the original's, every column equal; for
        // a request written here, exactly as many as the record's version
        // (one per write), and for a seeded one all of them (its links
        // added events without a version).
        let events = &copy_events[id];
        let original = &original_events[id];
        if versions.contains_key(id) {
            assert_eq!(events.len() as i64, version, "{id}");
        } else {
            assert_eq!(events.len(), original.len(), "{id}");
        }
        assert_eq!(events[..], original[..events.len()], "{id}");
    }
    // Every write answered before the backup began is in the copy.
    for a in answers.iter().filter(|a| a.at < started) {
        let id = id_of(&a.record);
        assert!(
            copy_events.get(&id).map_or(0, Vec::len) as i64
                >= a.record["version"].as_i64().unwrap(),
            "{id} lost a write answered before the backup"
        );
    }
    assert!(written_under_load > 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn a_backup_never_overwrites_unless_forced() {
    let app = spawn_app().await;
    app.create_request(&sent_body("FORCE", "2025-01-10")).await;
    let dir = std::env::temp_dir().join(format!("mla-backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("existing");
    std::fs::write(&file, "keep me").unwrap();

    let out = mla(&app.database_url)
        .arg("backup")
        .arg("--to")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");

    let out = mla(&app.database_url)
        .args(["backup", "--force", "--to"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(std::fs::read(&file).unwrap(), b"keep me");
    // Nothing but the backup is left in the folder (no partial file).
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // A missing SQLite database is an error, not an empty backup.
    if app.backend == Backend::Sqlite {
        let out = mla("sqlite:///nonexistent/mla.db")
            .arg("backup")
            .arg("--to")
            .arg(dir.join("other"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no SQLite database"));
    }
    std::fs::remove_dir_all(dir).unwrap();
}
