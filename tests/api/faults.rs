//! Faults under load (docs/OPERATIONS.md, "Failure behaviour"): what the
//! service answers while its database or mail server fails, and what is left
//! once the fault is gone.
//!
//! - PostgreSQL stopped under traffic (a throwaway cluster of the test's own,
//!   `common::pg_cluster`): `/readyz` and writes answer a JSON 503 within the
//!   configured wait, never a 500 nor a hang; nothing half-written; once the
//!   server is back, traffic succeeds without restarting the service.
//! - `kill -9` of the real binary under concurrent creates and transitions:
//!   after a restart every request answered 201, and every transition
//!   answered 200, is in the history (SQLite, or PostgreSQL when
//!   `TEST_DATABASE_URL` is set).
//! - SQLite on a full disk (a small tmpfs) or with read-only files
//!   (`chattr +i`): JSON 503 naming the cause, nothing half-written,
//!   `PRAGMA integrity_check` ok, and writes succeed again once space or
//!   write access is back, without a restart.
//! - An SMTP server dropping the connection in the middle of DATA: the
//!   digest stays pending and goes once the server behaves (the refused
//!   connection and the server hanging mid-DATA are in tests/api/smtp.rs and
//!   tests/api/crash_delivery.rs).
//!
//! The disk and mount faults need root (mount, chattr); without it these
//! tests fail saying so, they never pass without causing their fault.

use crate::common;
use mla_tracker::config::SecretUrl;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::pg_cluster::PgCluster;
use crate::common::serve::{Serve, create_admin};
use crate::common::{
    Resp, SmtpServer, TestApp, fresh_test_database, id_of, query, sent_body, spawn_app_with,
    transition_to,
};
use awc::http::Method;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde_json::{Value, json};

/// The logged sending date of every request the tests create, and the
/// steps each then takes, one a month.
const SENT_ON: &str = "2025-01-10";
const CHAIN: [(&str, &str); 4] = [
    ("acknowledged", "2025-02-01"),
    ("in_execution", "2025-03-01"),
    ("partially_executed", "2025-04-01"),
    ("executed", "2025-05-01"),
];

// ---------------------------------------------------------------------------
// Shared checks.
// ---------------------------------------------------------------------------

/// Every request the API lists, following the cursor.
async fn all_requests(app: &TestApp) -> Vec<Value> {
    app.list_all("", 100).await
}

/// Nothing half-written: every stored request has its history, starting
/// with its `created` event, one event per version (the tests only create
/// and transition), ending in its current status.
async fn assert_whole(app: &TestApp) -> Vec<Value> {
    let requests = all_requests(app).await;
    for request in &requests {
        let id = id_of(request);
        let events = app.events(&id).await;
        assert_whole_history(request, &events);
    }
    requests
}

fn assert_whole_history(request: &Value, events: &[Value]) {
    assert_eq!(
        events.first().map(|e| e["kind"].clone()),
        Some(json!("created")),
        "{request}: {events:#?}"
    );
    assert_eq!(
        request["version"].as_u64(),
        Some(events.len() as u64),
        "one event per version: {request}: {events:#?}"
    );
    assert_eq!(
        events.last().unwrap()["to_status"],
        request["status"],
        "{request}: {events:#?}"
    );
}

/// A 503 in the API's JSON error shape, with `Retry-After`, coded `code`.
fn assert_503(res: &Resp, code: &str, what: &str) {
    assert_eq!(res.status, 503, "{what}: {res:?}");
    assert_eq!(res.code(), code, "{what}: {res:?}");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: {res:?}"
    );
    assert!(res.header("retry-after").is_some(), "{what}: {res:?}");
}

/// The requests whose case reference is exactly `case`.
async fn with_case(app: &TestApp, case: &str) -> Vec<Value> {
    app.list_all(&query(&[("q", case)]), 100)
        .await
        .into_iter()
        .filter(|r| r["case_reference"] == case)
        .collect()
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// `PRAGMA integrity_check` on a SQLite file, through a connection of its
/// own (WAL lets it read beside the service).
fn assert_sqlite_intact(path: &Path) {
    let mut conn = SqliteConnection::establish(&path.display().to_string()).unwrap();
    let rows: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .unwrap();
    let found: Vec<_> = rows.iter().map(|r| r.integrity_check.as_str()).collect();
    assert_eq!(found, ["ok"], "{}", path.display());
}

// ---------------------------------------------------------------------------
// PostgreSQL stopped under traffic.
// ---------------------------------------------------------------------------

/// `database.timeout_seconds` (and connect timeout) in the outage test: no
/// answer may take longer than this plus [`SLACK`].
const POOL_WAIT_SECONDS: u64 = 2;
const SLACK: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Up,
    Stopping,
    Down,
    Starting,
    Restarted,
    Done,
}

#[derive(Debug)]
struct Call {
    /// The phase when the call was sent.
    phase: Phase,
    /// The phase when its answer came.
    answered_in: Phase,
    what: String,
    res: Resp,
    elapsed: Duration,
    /// Sent after the first success in the `Restarted` phase.
    after_recovery: bool,
}

struct Traffic {
    phase: Phase,
    recovered: bool,
    calls: Vec<Call>,
}

type Shared = Rc<RefCell<Traffic>>;

async fn timed(shared: &Shared, what: String, call: impl Future<Output = Resp>) -> Resp {
    let (phase, after_recovery) = {
        let t = shared.borrow();
        (t.phase, t.recovered)
    };
    let started = Instant::now();
    let res = call.await;
    let elapsed = started.elapsed();
    let mut t = shared.borrow_mut();
    let answered_in = t.phase;
    if phase == Phase::Restarted && res.status < 300 {
        t.recovered = true;
    }
    t.calls.push(Call {
        phase,
        answered_in,
        what,
        res: Resp {
            status: res.status,
            headers: res.headers.clone(),
            body: res.body.clone(),
        },
        elapsed,
        after_recovery,
    });
    res
}

/// Creates requests and moves each one step, until the phase is `Done`.
async fn writer(app: Rc<TestApp>, shared: Shared, worker: usize) {
    for n in 0.. {
        if shared.borrow().phase == Phase::Done {
            return;
        }
        let case = format!("PGSTOP-{worker}-{n}");
        let body = sent_body(&case, SENT_ON);
        let create = app.post("/api/v1/requests", &app.admin_token, &body);
        let res = timed(&shared, format!("create {case}"), create).await;
        if res.status == 201 {
            let id = id_of(&res.body);
            let (to, on) = CHAIN[0];
            let body = transition_to(to, on);
            let step = app.transition(&id, &body);
            timed(&shared, format!("transition {id} -> {to}"), step).await;
        }
    }
}

/// Asks `/readyz` every 100 ms until the phase is `Done`.
async fn prober(app: Rc<TestApp>, shared: Shared) {
    while shared.borrow().phase != Phase::Done {
        let probe = app.call(Method::GET, "/readyz", None, None);
        timed(&shared, "readyz".into(), probe).await;
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn in_background<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    actix_web::rt::task::spawn_blocking(job).await.unwrap()
}

#[actix_web::test]
async fn postgres_stopped_under_traffic_answers_503_in_bounded_time_and_recovers_without_restart() {
    let cluster = Arc::new(PgCluster::start());
    let url = cluster.url();
    let app = Rc::new(
        spawn_app_with(move |s| {
            s.database.url = SecretUrl::new(url);
            s.database.timeout_seconds = POOL_WAIT_SECONDS;
            s.database.connect_timeout_seconds = POOL_WAIT_SECONDS;
        })
        .await,
    );
    let shared: Shared = Rc::new(RefCell::new(Traffic {
        phase: Phase::Up,
        recovered: false,
        calls: Vec::new(),
    }));
    let set = |phase| shared.borrow_mut().phase = phase;
    let mut tasks = Vec::new();
    for worker in 0..4 {
        tasks.push(actix_web::rt::spawn(writer(
            app.clone(),
            shared.clone(),
            worker,
        )));
    }
    tasks.push(actix_web::rt::spawn(prober(app.clone(), shared.clone())));

    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    set(Phase::Stopping);
    let server = cluster.clone();
    in_background(move || server.stop()).await;
    set(Phase::Down);
    actix_web::rt::time::sleep(Duration::from_secs(4)).await;
    set(Phase::Starting);
    let server = cluster.clone();
    in_background(move || server.start_again()).await;
    set(Phase::Restarted);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !shared.borrow().recovered && Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    set(Phase::Done);
    for task in tasks {
        task.await.unwrap();
    }

    let traffic = shared.replace(Traffic {
        phase: Phase::Done,
        recovered: false,
        calls: Vec::new(),
    });
    let calls = &traffic.calls;
    // Calls sent and answered within one phase.
    let in_phase = |phase| {
        calls
            .iter()
            .filter(move |c| c.phase == phase && c.answered_in == phase)
    };
    // Never a 500, never anything but success or a JSON 503; never a wait
    // past the configured one.
    for call in calls {
        assert!(
            call.elapsed <= Duration::from_secs(POOL_WAIT_SECONDS) + SLACK,
            "{} took {:?} in phase {:?}",
            call.what,
            call.elapsed,
            call.phase
        );
        if call.res.status >= 300 {
            assert_503(
                &call.res,
                "unavailable",
                &format!("{} ({:?})", call.what, call.phase),
            );
        }
    }
    // Before: all well. While down: every write and probe answered 503.
    assert!(in_phase(Phase::Up).count() > 4, "traffic before the stop");
    let failed = |calls: Vec<&Call>| -> Vec<String> {
        calls
            .iter()
            .filter(|c| c.res.status >= 300)
            .map(|c| {
                format!(
                    "{} ({:?} to {:?}): {:?}",
                    c.what, c.phase, c.answered_in, c.res
                )
            })
            .collect()
    };
    let before = failed(in_phase(Phase::Up).collect());
    assert!(before.is_empty(), "failures before the stop: {before:#?}");
    // Sent while the server was stopped (those answered once it was
    // starting again may have succeeded).
    let down: Vec<_> = calls.iter().filter(|c| c.phase == Phase::Down).collect();
    assert!(
        down.iter().any(|c| c.what.starts_with("create"))
            && down.iter().any(|c| c.what == "readyz"),
        "writes and probes while PostgreSQL was down: {down:#?}"
    );
    let succeeded: Vec<_> = down
        .iter()
        .filter(|c| c.answered_in == Phase::Down && c.res.status != 503)
        .collect();
    assert!(succeeded.is_empty(), "answered while down: {succeeded:#?}");
    // Back: traffic succeeds again, with no restart of the service, and
    // nothing fails after the first success.
    let restarted = failed(in_phase(Phase::Restarted).collect());
    assert!(
        traffic.recovered,
        "no success after the restart: {restarted:#?}"
    );
    let after: Vec<_> = calls.iter().filter(|c| c.after_recovery).collect();
    assert!(
        after.iter().any(|c| c.what.starts_with("create"))
            && after.iter().any(|c| c.what == "readyz"),
        "writes and probes after the recovery"
    );
    let after = failed(after);
    assert!(after.is_empty(), "failures after the recovery: {after:#?}");

    // Nothing half-written; every create answered 201 stored, every one
    // answered 503 either absent or whole (a commit may outrun the reply).
    let stored = assert_whole(&app).await;
    let cases: BTreeSet<&str> = stored
        .iter()
        .map(|r| r["case_reference"].as_str().unwrap())
        .collect();
    for call in calls {
        if let Some(case) = call.what.strip_prefix("create ")
            && call.res.status == 201
        {
            assert!(
                cases.contains(case),
                "{case} was answered 201 but is missing"
            );
        }
        if let Some(rest) = call.what.strip_prefix("transition ")
            && call.res.status == 200
        {
            let id = rest.split_whitespace().next().unwrap();
            let events = app.events(id).await;
            assert!(
                events
                    .iter()
                    .any(|e| e["to_status"] == CHAIN[0].0 && e["kind"] == "transition"),
                "{rest}: answered 200 but not in the history: {events:#?}"
            );
        }
    }
    let failed_creates = calls
        .iter()
        .filter(|c| c.what.starts_with("create") && c.res.status == 503)
        .count();
    println!(
        "PostgreSQL outage: {} calls, {failed_creates} creates answered 503, slowest answer {:?}",
        calls.len(),
        calls.iter().map(|c| c.elapsed).max().unwrap()
    );

    // A restart while nothing runs: the pooled connections die unseen, and
    // the next requests must not be served on them.
    let server = cluster.clone();
    in_background(move || {
        server.stop();
        std::thread::sleep(Duration::from_secs(1));
        server.start_again();
    })
    .await;
    for n in 0..5 {
        let ready = app.call(Method::GET, "/readyz", None, None).await;
        assert_eq!(ready.status, 200, "after an idle restart: {ready:?}");
        app.create_request(&sent_body(&format!("IDLE-{n}"), SENT_ON))
            .await;
    }
}

// ---------------------------------------------------------------------------
// kill -9 of the service under write load.
// ---------------------------------------------------------------------------

/// What the load saw answered before the kill.
#[derive(Default)]
struct Answered {
    /// Request id → case reference, for every create answered 201.
    created: BTreeMap<String, String>,
    /// (request id, status) of every transition answered 200.
    moved: Vec<(String, String)>,
    /// Requests cut off by the kill (no answer).
    cut_off: usize,
    /// Anything else: a fault of the service under plain load.
    unexpected: Vec<String>,
}

async fn kill_load_worker(serve: Rc<Serve>, answered: Rc<RefCell<Answered>>, worker: usize) {
    for n in 0.. {
        let case = format!("KILL-{worker}-{n}");
        let body = sent_body(&case, SENT_ON);
        let id = match serve
            .send(Method::POST, "/api/v1/requests", Some(&body))
            .await
        {
            Ok((201, record)) => {
                let id = id_of(&record);
                answered.borrow_mut().created.insert(id.clone(), case);
                id
            }
            Ok(other) => {
                answered
                    .borrow_mut()
                    .unexpected
                    .push(format!("create {case}: {other:?}"));
                continue;
            }
            Err(_) => {
                answered.borrow_mut().cut_off += 1;
                return;
            }
        };
        for (to, on) in CHAIN {
            let path = format!("/api/v1/requests/{id}/transitions");
            match serve
                .send(Method::POST, &path, Some(&transition_to(to, on)))
                .await
            {
                Ok((200, _)) => answered.borrow_mut().moved.push((id.clone(), to.into())),
                Ok(other) => {
                    answered
                        .borrow_mut()
                        .unexpected
                        .push(format!("{id} -> {to}: {other:?}"));
                    break;
                }
                Err(_) => {
                    answered.borrow_mut().cut_off += 1;
                    return;
                }
            }
        }
    }
}

/// How many creates answered 201 before the kill, at least.
const CREATED_BEFORE_KILL: usize = 30;
const WRITERS: usize = 8;

#[actix_web::test]
async fn a_kill_9_under_write_load_keeps_every_answered_request_and_its_history() {
    let db = fresh_test_database();
    let token = create_admin(&db.url);
    let first = Rc::new(Serve::start(&db.url, &token).await);
    let answered = Rc::new(RefCell::new(Answered::default()));
    let workers: Vec<_> = (0..WRITERS)
        .map(|w| actix_web::rt::spawn(kill_load_worker(first.clone(), answered.clone(), w)))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while answered.borrow().created.len() < CREATED_BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "only {} creates in 20 s; the log:\n{}",
            answered.borrow().created.len(),
            first.log()
        );
        assert!(
            answered.borrow().unexpected.is_empty(),
            "{:#?}",
            answered.borrow().unexpected
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill_9();
    for worker in workers {
        worker.await.unwrap();
    }
    let answered = answered.take();
    assert!(answered.unexpected.is_empty(), "{:#?}", answered.unexpected);
    assert!(
        answered.cut_off > 0,
        "the kill cut no request off: it was not under load"
    );

    // The same database, a new process (on SQLite, the killed one's
    // single-instance lock died with it).
    let second = Serve::start(&db.url, &token).await;
    for (id, case) in &answered.created {
        let request = second
            .expect(Method::GET, &format!("/api/v1/requests/{id}"), None, 200)
            .await;
        assert_eq!(request["case_reference"], case.as_str());
        let events = second
            .expect(
                Method::GET,
                &format!("/api/v1/requests/{id}/events"),
                None,
                200,
            )
            .await;
        let events = events["items"].as_array().unwrap().clone();
        assert_whole_history(&request, &events);
        for (_, to) in answered.moved.iter().filter(|(m, _)| m == id) {
            assert!(
                events
                    .iter()
                    .any(|e| e["kind"] == "transition" && e["to_status"] == to.as_str()),
                "{id} -> {to} was answered 200 but is not in the history: {events:#?}"
            );
        }
    }
    // Requests cut off by the kill: stored whole, or not at all.
    let mut cursor: Option<String> = None;
    let mut listed = 0;
    loop {
        let mut path = "/api/v1/requests?limit=100".to_string();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&{}", query(&[("cursor", cursor)])));
        }
        let page = second.expect(Method::GET, &path, None, 200).await;
        for request in page["items"].as_array().unwrap() {
            let id = id_of(request);
            let events = second
                .expect(
                    Method::GET,
                    &format!("/api/v1/requests/{id}/events"),
                    None,
                    200,
                )
                .await;
            assert_whole_history(request, events["items"].as_array().unwrap());
            listed += 1;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert!(listed >= answered.created.len());
    drop(second);
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        assert_sqlite_intact(Path::new(path));
    }
    println!(
        "kill -9: {} creates and {} transitions answered before the kill, {} cut off, {listed} stored",
        answered.created.len(),
        answered.moved.len(),
        answered.cut_off
    );
}

// ---------------------------------------------------------------------------
// SQLite: a full disk, read-only files.
// ---------------------------------------------------------------------------

/// A small tmpfs of the test's own, for a real ENOSPC. Unmounted on drop
/// (lazily: the test server may still hold the database open).
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = std::env::temp_dir().join(format!("mla-full-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        match out {
            Ok(out) if out.status.success() => Tmpfs { dir },
            other => panic!(
                "this test fills a small tmpfs to get a real `No space left on device`, and \
                 mounting one failed (it needs root, or CAP_SYS_ADMIN): {other:?}"
            ),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Fills the filesystem holding `dir` until it refuses a byte more.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling {}: {e}", dir.display()),
        }
    }
    // The last partial pages.
    while file.write(&[0u8; 1]).is_ok_and(|n| n == 1) {}
    path
}

/// A test server over the SQLite file `path`, whatever `TEST_DATABASE_URL`
/// says: these faults are SQLite's.
async fn sqlite_app(path: &Path) -> TestApp {
    let url = format!("sqlite://{}", path.display());
    spawn_app_with(move |s| s.database.url = SecretUrl::new(url)).await
}

#[actix_web::test]
async fn sqlite_on_a_full_disk_answers_503_storage_full_keeps_the_file_intact_and_recovers() {
    let fs = Tmpfs::mount("3m");
    let file = fs.dir.join("mla.db");
    let app = sqlite_app(&file).await;
    let before = app.create_request(&sent_body("FULL-BEFORE", SENT_ON)).await;
    let filler = fill(&fs.dir);

    // Writes fail once SQLite needs a page it cannot get; rows already in
    // pages it holds may still go in (each answered 201, and kept).
    let mut stored = vec!["FULL-BEFORE".to_string()];
    let mut refused = Vec::new();
    for n in 0..400 {
        let case = format!("FULL-{n}");
        let res = app
            .post(
                "/api/v1/requests",
                &app.admin_token,
                &sent_body(&case, SENT_ON),
            )
            .await;
        match res.status {
            201 => stored.push(case),
            _ => {
                assert_503(&res, "storage_full", &case);
                refused.push(case);
                if refused.len() == 5 {
                    break;
                }
            }
        }
    }
    assert_eq!(refused.len(), 5, "the disk never filled up: {stored:?}");
    let step = app
        .transition(&id_of(&before), &transition_to(CHAIN[0].0, CHAIN[0].1))
        .await;
    if step.status != 200 {
        assert_503(&step, "storage_full", "a transition on a full disk");
    }
    // Reads still work.
    assert_eq!(
        app.fetch(&id_of(&before)).await["case_reference"],
        "FULL-BEFORE"
    );
    assert_eq!(
        app.call(Method::GET, "/readyz", None, None).await.status,
        200
    );

    // Space is back: writes succeed again, no restart.
    std::fs::remove_file(filler).unwrap();
    let after = app.create_request(&sent_body("FULL-AFTER", SENT_ON)).await;
    app.move_to(&id_of(&after), CHAIN[0].0, CHAIN[0].1).await;
    stored.push("FULL-AFTER".into());

    let requests = assert_whole(&app).await;
    let cases: BTreeSet<&str> = requests
        .iter()
        .map(|r| r["case_reference"].as_str().unwrap())
        .collect();
    for case in &stored {
        assert!(
            cases.contains(case.as_str()),
            "{case} answered 201 but missing"
        );
    }
    for case in &refused {
        assert!(
            with_case(&app, case).await.is_empty(),
            "{case} was answered 503 but stored"
        );
    }
    assert_sqlite_intact(&file);
    println!(
        "disk full: {} creates answered 201 after the disk filled, before the first 503",
        stored.len() - 2
    );
}

/// Makes files immutable (`chattr +i`: even root cannot write them) until
/// dropped.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: Vec<PathBuf>) -> Immutable {
        for path in &paths {
            assert!(path.exists(), "{} does not exist", path.display());
        }
        let out = std::process::Command::new("chattr")
            .arg("+i")
            .args(&paths)
            .output();
        match out {
            Ok(out) if out.status.success() => Immutable(paths),
            other => panic!(
                "this test makes the database's files read-only with `chattr +i` (root ignores \
                 permission bits), which failed (it needs root and a filesystem with the \
                 immutable flag, e.g. ext4 or tmpfs): {other:?}"
            ),
        }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .args(&self.0)
            .status();
    }
}

#[actix_web::test]
async fn sqlite_with_read_only_files_answers_503_storage_read_only_and_recovers() {
    let dir = common::serve::scratch_dir("mla-readonly");
    let file = dir.join("mla.db");
    let app = sqlite_app(&file).await;
    let before = app.create_request(&sent_body("RO-BEFORE", SENT_ON)).await;

    // The database and its write-ahead log. (Not the `-shm` index: SQLite
    // maps it into memory, and a write to an immutable mapping kills the
    // process with SIGBUS, inside SQLite, before any error can be returned.)
    let wal = PathBuf::from(format!("{}-wal", file.display()));
    let read_only = Immutable::set(vec![file.clone(), wal]);
    for n in 0..3 {
        let case = format!("RO-{n}");
        let res = app
            .post(
                "/api/v1/requests",
                &app.admin_token,
                &sent_body(&case, SENT_ON),
            )
            .await;
        assert_503(&res, "storage_read_only", &case);
    }
    let step = app
        .transition(&id_of(&before), &transition_to(CHAIN[0].0, CHAIN[0].1))
        .await;
    assert_503(
        &step,
        "storage_read_only",
        "a transition on a read-only database",
    );
    assert_eq!(app.fetch(&id_of(&before)).await["version"], 1);

    drop(read_only);
    let after = app.create_request(&sent_body("RO-AFTER", SENT_ON)).await;
    app.move_to(&id_of(&before), CHAIN[0].0, CHAIN[0].1).await;
    let requests = assert_whole(&app).await;
    let cases: BTreeSet<&str> = requests
        .iter()
        .map(|r| r["case_reference"].as_str().unwrap())
        .collect();
    assert_eq!(cases, BTreeSet::from(["RO-BEFORE", "RO-AFTER"]), "{after}");
    assert_sqlite_intact(&file);
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------
// SMTP dropping the connection mid-DATA.
// ---------------------------------------------------------------------------

/// A TCP relay in front of a real SMTP server that, while `dropping`, cuts
/// every connection once the client has sent `DATA` and the first bytes of
/// the message: the server sees a connection lost mid-message (and keeps
/// nothing), the client an error before any reply to its message.
struct DroppingRelay {
    port: u16,
    dropping: Arc<AtomicBool>,
    dropped: Arc<AtomicUsize>,
}

impl DroppingRelay {
    fn start(upstream: u16) -> DroppingRelay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let dropping = Arc::new(AtomicBool::new(true));
        let dropped = Arc::new(AtomicUsize::new(0));
        let (flag, count) = (dropping.clone(), dropped.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (flag, count) = (flag.clone(), count.clone());
                std::thread::spawn(move || relay(client, server, &flag, &count));
            }
        });
        DroppingRelay {
            port,
            dropping,
            dropped,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }
}

/// Copies both ways; client to server watches for `DATA` and, while
/// dropping, shuts both connections down 64 bytes into the message.
fn relay(
    client: std::net::TcpStream,
    server: std::net::TcpStream,
    dropping: &AtomicBool,
    dropped: &AtomicUsize,
) {
    use std::io::{Read, Write};
    let (mut from_server, mut to_client) =
        (server.try_clone().unwrap(), client.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
    });
    let (mut from_client, mut to_server) = (client, server);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // Bytes of the message still to pass before the cut, once DATA is seen.
    let mut budget: Option<usize> = None;
    loop {
        let n = match from_client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        if budget.is_none() && dropping.load(Ordering::SeqCst) {
            seen.extend_from_slice(chunk);
            if seen.windows(6).any(|w| w.eq_ignore_ascii_case(b"DATA\r\n")) {
                // DATA is a command of its own: the message follows the 354.
                budget = Some(64);
                let _ = to_server.write_all(chunk);
                continue;
            }
        }
        if let Some(left) = budget.as_mut() {
            let pass = chunk.len().min(*left);
            *left -= pass;
            chunk = &chunk[..pass];
            let _ = to_server.write_all(chunk);
            if *left == 0 {
                dropped.fetch_add(1, Ordering::SeqCst);
                let _ = to_server.shutdown(std::net::Shutdown::Both);
                let _ = from_client.shutdown(std::net::Shutdown::Both);
                return;
            }
            continue;
        }
        if to_server.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to_server.shutdown(std::net::Shutdown::Both);
}

async fn notifications(app: &TestApp, state: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/alerts/notifications?state={state}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn smtp_dropping_the_connection_mid_data_loses_no_digest() {
    let smtp = SmtpServer::start();
    let relay = DroppingRelay::start(smtp.port);
    let url = relay.url();
    let app = spawn_app_with(move |s| {
        s.mail.url = SecretUrl::new(url);
        s.alerts.retry_base_seconds = 1;
    })
    .await;
    let today = common::office_today();
    let sent_at = (today - chrono::Days::new(400)).to_string();
    app.create_request(&sent_body("DROP", &sent_at)).await;

    let first = app.run_alerts(false).await;
    let digests = first["digests_created"].as_u64().unwrap();
    assert!(digests > 0, "{first}");
    assert_eq!(first["emails_sent"], 0, "{first}");
    assert_eq!(first["emails_failed"].as_u64(), Some(digests), "{first}");
    assert!(
        relay.dropped.load(Ordering::SeqCst) as u64 >= digests,
        "each attempt was cut mid-DATA"
    );
    assert!(
        smtp.messages().is_empty(),
        "a message cut mid-DATA was accepted"
    );
    let pending = notifications(&app, "pending").await;
    assert!(!pending.is_empty());
    assert!(
        pending
            .iter()
            .all(|n| n["attempts"] == 1 && n["last_error"].as_str().is_some_and(|e| !e.is_empty())),
        "{pending:#?}"
    );

    relay.dropping.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !notifications(&app, "pending").await.is_empty() {
        assert!(Instant::now() < deadline, "still pending after 30 s");
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        app.run_alerts(false).await;
    }
    assert!(notifications(&app, "failed").await.is_empty());
    let messages = smtp.messages();
    assert_eq!(
        messages.len() as u64,
        digests,
        "each digest once: {messages:#?}"
    );
    let recipients: BTreeSet<String> = messages
        .iter()
        .map(|m| {
            m.lines()
                .next()
                .unwrap()
                .trim_start_matches("X-Envelope-Recipients: ")
                .to_string()
        })
        .collect();
    assert_eq!(recipients.len() as u64, digests, "{recipients:?}");
}
