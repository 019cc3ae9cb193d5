//! Test harness: each test gets its own database (a fresh SQLite file, or a
//! fresh PostgreSQL database when `TEST_DATABASE_URL` names a server) and a
//! real HTTP server on a random port, with helpers to call it.
#![allow(dead_code)]

pub mod hand_worked;
pub mod pg_cluster;
pub mod serve;

use std::time::Duration;

use awc::http::Method;
use awc::http::header::HeaderMap;
use diesel::{Connection, PgConnection, RunQueryDsl};
use mla_tracker::config::{SecretUrl, Settings};
use mla_tracker::db::pool::Db;
use mla_tracker::db::{Backend, users};
use mla_tracker::domain::Role;
use mla_tracker::http::server::Application;
use serde_json::{Value, json};
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    /// The test's own database, for running the binary against it.
    pub database_url: String,
    /// Where the test server's emails are written (mail.url = file://…).
    pub outbox: std::path::PathBuf,
    pub admin_token: String,
    pub db: Db,
    pub backend: Backend,
    client: awc::Client,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { server_url: String, name: String },
}

/// A response, with its body parsed as JSON (`Value::Null` when empty).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// The PostgreSQL server tests run against, if any. Set by `scripts/test`.
pub fn postgres_server_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh database URL and what to remove afterwards.
fn fresh_database() -> (String, Cleanup) {
    match postgres_server_url() {
        Some(server_url) => {
            let name = format!("mla_test_{}", Uuid::new_v4().simple());
            let mut conn = PgConnection::establish(&server_url).unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL cannot be reached ({e}); refusing to skip")
            });
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            (
                with_database(&server_url, &name),
                Cleanup::PostgresDatabase { server_url, name },
            )
        }
        None => {
            let path =
                std::env::temp_dir().join(format!("mla-test-{}.db", Uuid::new_v4().simple()));
            (
                format!("sqlite://{}", path.display()),
                Cleanup::SqliteFile(path),
            )
        }
    }
}

/// Settings for a test server on a random port over `database_url`.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::defaults();
    settings.server.bind = "127.0.0.1:0".parse().expect("an address");
    settings.server.workers = 2;
    settings.database.url = SecretUrl::new(database_url);
    settings.database.pool_size = 4;
    settings.clock = test_clock();
    // Alerts run when a test asks (POST /alerts/run), not on a clock.
    settings.alerts.enabled = false;
    settings.alerts.delivery_interval_seconds = 86_400;
    // Role and error tests send many bad tokens from 127.0.0.1; the throttle
    // has its own tests (tests/api/security.rs), which set their own limits.
    settings.auth.max_failed_attempts = 100_000;
    settings.mail.url = SecretUrl::new(format!(
        "file://{}",
        std::env::temp_dir()
            .join(format!("mla-outbox-{}", Uuid::new_v4().simple()))
            .display()
    ));
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with settings adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, cleanup) = fresh_database();
    let database_url = url.clone();
    let mut settings = test_settings(&url);
    adjust(&mut settings);
    let outbox = std::path::PathBuf::from(settings.mail.url.expose().trim_start_matches("file://"));
    let app = Application::build(settings).expect("the test server builds");
    let port = app.port();
    let db = app.db().clone();
    let backend = db.backend;
    actix_web::rt::spawn(app.run_until_stopped());
    let mut conn = db.blocking_conn().expect("a connection");
    let (_, admin_token) =
        users::create(&mut conn, "Test Admin", "admin@test.example", Role::Admin).unwrap();
    drop(conn);
    // Idle connections are dropped after 2 s, before the server's 5-second
    // keep-alive closes them: reusing one the server is closing at that
    // moment fails the request (`Connect(Disconnected)`), as it did after a
    // test slept through a throttle window.
    let client = awc::Client::builder()
        .connector(awc::Connector::new().conn_keep_alive(Duration::from_secs(2)))
        .timeout(Duration::from_secs(60))
        .finish();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        database_url,
        outbox,
        admin_token,
        db,
        backend,
        client,
        cleanup,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.outbox);
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm", ".lock"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { server_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(server_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn);
                }
            }
        }
    }
}

/// A fresh database of the test's backend (as [`spawn_app`] would use) with
/// no server on it, for tests that run the binary's own `serve` over it: a
/// test server would hold SQLite's single-instance lock for the whole test.
/// The SQLite file is created by whatever opens it first. Removed on drop.
pub struct TestDatabase {
    pub url: String,
    _cleanup: Cleanup,
}

pub fn fresh_test_database() -> TestDatabase {
    let (url, cleanup) = fresh_database();
    TestDatabase {
        url,
        _cleanup: cleanup,
    }
}

impl TestApp {
    /// Every email written to the outbox so far, with quoted-printable
    /// bodies decoded (the digests are ASCII in English). A file still
    /// empty is one the transport has created but not yet written (it
    /// writes each message in one call): it is not counted yet.
    pub fn emails(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else {
            return Vec::new();
        };
        let mut mails: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| std::fs::read_to_string(e.path()).expect("an email file"))
            .filter(|raw| !raw.is_empty())
            .map(|raw| decode_quoted_printable(&raw))
            .collect();
        mails.sort();
        mails
    }

    /// Sends a request; `token` None sends no Authorization header.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut res = match body {
            Some(body) => req.send_json(body).await,
            None => req.send().await,
        }
        .expect("the server answers");
        Self::into_resp(&mut res).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let mut res = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .send_body(body)
            .await
            .expect("the server answers");
        Self::into_resp(&mut res).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Creates a user of `role` through the API and returns its token.
    pub async fn token_for(&self, role: &str) -> String {
        self.create_user(role).await.1
    }

    /// Creates a request from `body` with the admin token; panics unless 201.
    /// Gives every request a record key derived from its reference (FNV-1a),
    /// so that a scripted scenario publishes the same perturbed statistics
    /// on every run: real keys are drawn at random (docs/DOMAIN.md §9.2).
    pub async fn pin_record_keys(&self) {
        self.db
            .write(|conn| {
                use diesel::prelude::*;
                use mla_tracker::db::schema::requests;
                let rows: Vec<(String, String)> = requests::table
                    .select((requests::id, requests::reference))
                    .load(conn)?;
                for (id, reference) in rows {
                    let key = reference.bytes().fold(0x811c_9dc5u32, |h, b| {
                        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
                    });
                    diesel::update(requests::table.find(id))
                        .set(requests::record_key.eq(i64::from(key)))
                        .execute(conn)?;
                }
                Ok::<_, mla_tracker::db::Error>(())
            })
            .await
            .expect("record keys pinned");
    }

    /// `POST /alerts/run` as the admin; panics unless it answers 200.
    pub async fn run_alerts(&self, dry_run: bool) -> Value {
        let res = self
            .post(
                "/api/v1/alerts/run",
                &self.admin_token,
                &json!({ "dry_run": dry_run }),
            )
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        res.body
    }

    pub async fn create_request(&self, body: &Value) -> Value {
        let res = self.post("/api/v1/requests", &self.admin_token, body).await;
        assert_eq!(res.status, 201, "{res:?}");
        res.body
    }

    /// Records a transition with the admin token.
    pub async fn transition(&self, id: &str, body: &Value) -> Resp {
        self.post(
            &format!("/api/v1/requests/{id}/transitions"),
            &self.admin_token,
            body,
        )
        .await
    }
}

/// Undoes quoted-printable: soft line breaks and `=XX` escapes.
pub fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A valid draft body; `case` goes into the case reference (handy for `q`).
pub fn draft_body(case: &str) -> Value {
    json!({
        "case_reference": case,
        "title": "Live-streamed abuse: identify the victims",
        "issuing_magistrate": {"name": "Juge Martin", "court": "TJ Paris", "email": "martin@justice.example"},
        "target_country": "ph",
        "channel": "central_authority",
        "legal_basis": "untoc",
        "offences": ["child_sexual_exploitation"],
        "measures": ["identify_victims", "subscriber_data"],
        "priority": "urgent",
        "coordinator_email": "coord@justice.example"
    })
}

/// A valid body for a request logged as sent on `sent_at`.
pub fn sent_body(case: &str, sent_at: &str) -> Value {
    let mut body = draft_body(case);
    body["sent_at"] = json!(sent_at);
    body
}

// ---------------------------------------------------------------------------
// Helpers shared by the themed test files. Everything above is the harness.
// ---------------------------------------------------------------------------

/// The instant every service under test takes as "now" (`clock.pinned`),
/// so the suite gives the same answers on any calendar day:
/// `MLA_TEST_NOW` (RFC 3339) when set — scripts/test runs the date-sensitive
/// tests under a second instant — else 10:00 UTC on 15 June 2026.
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    match std::env::var("MLA_TEST_NOW") {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|e| panic!("MLA_TEST_NOW `{text}` is not an RFC 3339 instant: {e}")),
        Err(_) => "2026-06-15T10:00:00Z".parse().expect("a valid instant"),
    }
}

/// The clock of the services under test.
pub fn test_clock() -> mla_tracker::domain::Clock {
    mla_tracker::domain::Clock::Pinned(test_now())
}

/// The office's today (`office.timezone`, Europe/Paris by default): the one
/// "today" of the register, the alerts and the statistics.
pub fn office_today() -> chrono::NaiveDate {
    test_clock().today(chrono_tz::Europe::Paris).date
}

/// The office's present: [`office_today`] with the instant and the zone.
pub fn office_present() -> mla_tracker::domain::Today {
    test_clock().today(chrono_tz::Europe::Paris)
}

/// `n` days before [`office_today`], as the API writes dates.
pub fn days_ago(n: u64) -> String {
    (office_today() - chrono::Days::new(n)).to_string()
}

/// A URL query string from pairs, percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        out.append_pair(key, value);
    }
    out.finish()
}

/// Runs all futures concurrently and returns their outputs in order.
pub async fn concurrently<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    futures_util::future::join_all(futures).await
}

/// A transition body to `to` on `date`, carrying the reason that `abandoned`
/// and `refused` require (never `other`, so no note is needed).
pub fn transition_to(to: &str, date: &str) -> Value {
    let mut body = json!({"to": to, "effective_date": date});
    match to {
        "abandoned" => body["abandonment_reason"] = json!("no_response"),
        "refused" => body["refusal_ground"] = json!("dual_criminality"),
        _ => {}
    }
    body
}

/// The id of a record returned by the API.
pub fn id_of(record: &Value) -> String {
    record["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {record}"))
        .to_string()
}

impl TestApp {
    /// Records, as the admin, that case `case_id` identified `victims`
    /// victims.
    pub async fn set_case_victims(&self, case_id: &str, victims: u64) {
        let path = format!("/api/v1/cases/{case_id}");
        let version = self.get(&path, &self.admin_token).await.body["version"].clone();
        let res = self
            .call_with(
                awc::http::Method::PATCH,
                &path,
                Some(&self.admin_token),
                Some(&serde_json::json!({ "victims_identified": victims })),
                &[("If-Match", &format!("\"{version}\""))],
            )
            .await;
        assert_eq!(res.status, 200, "{res:?}");
    }

    /// Like [`TestApp::send_raw`], with extra headers (e.g. `If-Match`).
    pub async fn send_raw_with(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type));
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut res = req.send_body(body).await.expect("the server answers");
        Self::into_resp(&mut res).await
    }

    /// Sends `body` as a chunked stream (no Content-Length), in `chunk`-byte
    /// pieces, so the server cannot know its size up front.
    pub async fn send_chunked(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Vec<u8>,
        chunk: usize,
    ) -> Resp {
        let pieces: Vec<Result<actix_web::web::Bytes, std::io::Error>> = body
            .chunks(chunk)
            .map(|c| Ok(actix_web::web::Bytes::copy_from_slice(c)))
            .collect();
        let mut res = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/json"))
            .send_stream(futures_util::stream::iter(pieces))
            .await
            .expect("the server answers");
        Self::into_resp(&mut res).await
    }

    async fn into_resp<S>(res: &mut awc::ClientResponse<S>) -> Resp
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        let bytes = res.body().limit(64 << 20).await.unwrap_or_default();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body,
        }
    }

    /// `PATCH /requests/{id}` with `If-Match: "<version>"` when given.
    pub async fn patch(&self, id: &str, token: &str, version: Option<i64>, body: &Value) -> Resp {
        let path = format!("/api/v1/requests/{id}");
        match version {
            Some(v) => {
                let tag = format!("\"{v}\"");
                self.call_with(
                    Method::PATCH,
                    &path,
                    Some(token),
                    Some(body),
                    &[("If-Match", &tag)],
                )
                .await
            }
            None => {
                self.call(Method::PATCH, &path, Some(token), Some(body))
                    .await
            }
        }
    }

    /// The request as the API returns it now (admin token); panics unless 200.
    pub async fn fetch(&self, id: &str) -> Value {
        let res = self
            .get(&format!("/api/v1/requests/{id}"), &self.admin_token)
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        res.body
    }

    /// The history of a request, oldest first; panics unless 200.
    pub async fn events(&self, id: &str) -> Vec<Value> {
        let res = self
            .get(&format!("/api/v1/requests/{id}/events"), &self.admin_token)
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        res.body["items"].as_array().expect("items").clone()
    }

    /// Records a transition and panics unless it succeeds; returns the record.
    pub async fn move_to(&self, id: &str, to: &str, date: &str) -> Value {
        let res = self.transition(id, &transition_to(to, date)).await;
        assert_eq!(res.status, 200, "{id} -> {to} on {date}: {res:?}");
        res.body
    }

    /// Creates a user of `role` through the API; returns its record and token.
    pub async fn create_user(&self, role: &str) -> (Value, String) {
        let email = format!("{role}-{}@test.example", Uuid::new_v4().simple());
        let res = self
            .post(
                "/api/v1/users",
                &self.admin_token,
                &json!({"name": format!("Test {role}"), "email": email, "role": role}),
            )
            .await;
        assert_eq!(res.status, 201, "{res:?}");
        (
            res.body["user"].clone(),
            res.body["token"].as_str().unwrap().to_string(),
        )
    }

    /// Every item of `GET /requests?<query>`, following `next_cursor` with
    /// pages of `limit`. Checks that pages are never over `limit`, that a page
    /// with a next cursor is full, and that the walk ends.
    pub async fn list_all(&self, query: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let page = self.list_page(query, limit, cursor.as_deref()).await;
            assert_eq!(page.status, 200, "{query}: {page:?}");
            let got = page.body["items"].as_array().expect("items").clone();
            assert!(
                got.len() <= limit,
                "{query}: page of {} > {limit}",
                got.len()
            );
            let next = page.body["next_cursor"].as_str().map(str::to_owned);
            if next.is_some() {
                assert_eq!(got.len(), limit, "{query}: a page before the end is full");
            }
            items.extend(got);
            match next {
                Some(next) => cursor = Some(next),
                None => return items,
            }
        }
        panic!("{query}: the walk does not end");
    }

    /// Every case, following `next_cursor` with pages of `limit`.
    pub async fn list_all_cases(&self, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let mut path = format!("/api/v1/cases?limit={limit}");
            if let Some(cursor) = &cursor {
                path.push('&');
                path.push_str(&self::query(&[("cursor", cursor)]));
            }
            let page = self.get(&path, &self.admin_token).await;
            assert_eq!(page.status, 200, "{page:?}");
            items.extend(page.body["items"].as_array().expect("items").clone());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return items,
            }
        }
        panic!("the walk over the cases does not end");
    }

    /// One page of `GET /requests?<query>&limit=<limit>[&cursor=…]`.
    pub async fn list_page(&self, query: &str, limit: usize, cursor: Option<&str>) -> Resp {
        let mut path = format!("/api/v1/requests?limit={limit}");
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        if let Some(cursor) = cursor {
            path.push('&');
            path.push_str(&self::query(&[("cursor", cursor)]));
        }
        self.get(&path, &self.admin_token).await
    }
}

// ---------------------------------------------------------------------------
// A real SMTP server for the delivery tests.
// ---------------------------------------------------------------------------

/// How long the SMTP server may take to start listening.
const SMTP_START_TIMEOUT: Duration = Duration::from_secs(30);

/// A real SMTP server (aiosmtpd, through `tests/smtp_sink.py`) on 127.0.0.1,
/// private to one test: every message it accepts is kept as a file, exactly
/// as received, under a temporary directory. It can be stopped (connections
/// are then refused) and restarted on the same port; it is killed on drop.
/// Needs `python3` with `aiosmtpd`, which `scripts/test` installs: without
/// it [`SmtpServer::start`] panics, it never skips.
pub struct SmtpServer {
    pub port: u16,
    root: std::path::PathBuf,
    child: Option<std::process::Child>,
    /// `--hang-on N`: the Nth message is never answered.
    hang_on: Option<u32>,
}

impl SmtpServer {
    /// Starts a server on a free port and waits until it accepts connections.
    pub fn start() -> SmtpServer {
        SmtpServer::start_with(None)
    }

    fn start_with(hang_on: Option<u32>) -> SmtpServer {
        let root = std::env::temp_dir().join(format!("mla-smtp-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(root.join("mail")).expect("a directory for the SMTP server");
        let mut server = SmtpServer {
            port: 0,
            root,
            child: None,
            hang_on,
        };
        server.spawn(0);
        server
    }

    /// Like [`SmtpServer::start`], but the `n`th message (counted from 1,
    /// over all connections) is never answered: the server takes it in,
    /// keeps a copy (see [`SmtpServer::hung_message`]) and then waits
    /// forever, like a server whose reply never reached the client. That
    /// message is not among [`SmtpServer::messages`]; the others are
    /// accepted as usual. A [`SmtpServer::restart`] starts counting again.
    pub fn start_hanging_on(n: u32) -> SmtpServer {
        assert!(n >= 1, "messages are counted from 1");
        SmtpServer::start_with(Some(n))
    }

    /// The message the server is hanging on (see
    /// [`SmtpServer::start_hanging_on`]), quoted-printable decoded and
    /// starting with its `X-Envelope-Recipients:` line, once the server has
    /// received all of it; `None` until then. Does not wait: poll it.
    pub fn hung_message(&self) -> Option<String> {
        let raw = std::fs::read(self.root.join("mail").join("hanging")).ok()?;
        Some(decode_quoted_printable(&String::from_utf8_lossy(&raw)))
    }

    /// The `mail.url` that reaches this server in plain SMTP (no TLS).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message accepted so far, in order of arrival, quoted-printable
    /// decoded. Each starts with an `X-Envelope-Recipients:` line naming
    /// the SMTP envelope's recipients, then the message as sent.
    pub fn messages(&self) -> Vec<String> {
        let dir = self.root.join("mail");
        let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let raw = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                decode_quoted_printable(&String::from_utf8_lossy(&raw))
            })
            .collect()
    }

    /// Stops the server: connections to its port are refused until
    /// [`SmtpServer::restart`]. Messages already received are kept.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        assert!(
            std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_err(),
            "the SMTP server on port {} was stopped but the port still accepts connections",
            self.port
        );
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn(self.port);
    }

    /// Spawns the server on `port` (0: a free one) and waits until it
    /// accepts connections; panics, saying why, if it does not.
    fn spawn(&mut self, port: u16) {
        use std::io::BufRead;
        let log_path = self.root.join("server.log");
        let log = std::fs::File::create(&log_path).expect("the SMTP server's log file");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
        let mut command = std::process::Command::new("python3");
        command
            .arg(script)
            .arg(port.to_string())
            .arg(self.root.join("mail"));
        if let Some(n) = self.hang_on {
            command.arg("--hang-on").arg(n.to_string());
        }
        let mut child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run python3 for the test SMTP server ({e}): run scripts/test, \
                     which installs what the tests need"
                )
            });
        let stdout = child.stdout.take().expect("the server's stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep draining until the process ends.
            for _ in lines {}
        });
        let ready = rx.recv_timeout(SMTP_START_TIMEOUT);
        let bound = match ready {
            Ok(Some(Ok(line))) => line
                .strip_prefix("listening ")
                .and_then(|p| p.trim().parse::<u16>().ok()),
            _ => None,
        };
        let Some(bound) = bound else {
            let _ = child.kill();
            let status = child.wait().ok();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            if status.and_then(|s| s.code()) == Some(3) {
                panic!(
                    "the test SMTP server needs Python's aiosmtpd, which is not installed: \
                     run scripts/test (it installs it) or `python3 -m pip install aiosmtpd`\n{log}"
                );
            }
            panic!(
                "the test SMTP server did not start on port {port} \
                 (status {status:?}; needs python3 with aiosmtpd: run scripts/test or \
                 `python3 -m pip install aiosmtpd`); its log:\n{log}"
            );
        };
        self.port = bound;
        self.child = Some(child);
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], bound));
        let deadline = std::time::Instant::now() + SMTP_START_TIMEOUT;
        while std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the test SMTP server said it listens on port {bound} but refuses connections"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
