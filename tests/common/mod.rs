//! Test harness: each test gets its own database (a fresh SQLite file, or a
//! fresh PostgreSQL database when `TEST_DATABASE_URL` names a server) and a
//! real HTTP server on a random port, with helpers to call it.
#![allow(dead_code)]

use std::time::Duration;

use awc::http::Method;
use awc::http::header::HeaderMap;
use diesel::{Connection, PgConnection, RunQueryDsl};
use mla_tracker::config::Settings;
use mla_tracker::db::{Backend, Db, users};
use mla_tracker::domain::Role;
use mla_tracker::startup::Application;
use serde_json::{Value, json};
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
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
fn with_database(url: &str, name: &str) -> String {
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
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.database.url = database_url.to_string();
    settings.database.pool_size = 4;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with settings adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, cleanup) = fresh_database();
    let mut settings = test_settings(&url);
    adjust(&mut settings);
    let app = Application::build(settings).expect("the test server builds");
    let port = app.port();
    let db = app.db().clone();
    let backend = db.backend;
    actix_web::rt::spawn(app.run_until_stopped());
    let mut conn = db.blocking_conn().expect("a connection");
    let (_, admin_token) =
        users::create(&mut conn, "Test Admin", "admin@test.example", Role::Admin).unwrap();
    drop(conn);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        admin_token,
        db,
        backend,
        client,
        cleanup,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
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

impl TestApp {
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
        let bytes = res.body().limit(64 << 20).await.expect("a body");
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
        let bytes = res.body().limit(64 << 20).await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Creates a user of `role` through the API and returns its token.
    pub async fn token_for(&self, role: &str) -> String {
        let email = format!("{role}-{}@test.example", Uuid::new_v4().simple());
        let res = self
            .post(
                "/api/v1/users",
                &self.admin_token,
                &json!({"name": format!("Test {role}"), "email": email, "role": role}),
            )
            .await;
        assert_eq!(res.status, 201, "{res:?}");
        res.body["token"].as_str().unwrap().to_string()
    }

    /// Creates a request from `body` with the admin token; panics unless 201.
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
