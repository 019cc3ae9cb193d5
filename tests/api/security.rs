//! Security properties (docs/SECURITY.md): the failed-authentication
//! throttle, security headers on every response, CORS closed unless
//! configured, slow clients cut off, and logs free of tokens and bodies.
//! Each test runs a real server (in-process, or the binary for the logs).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common::serve::{create_admin, mla, scratch_dir};
use crate::common::{Resp, TestApp, draft_body, fresh_test_database, spawn_app, spawn_app_with};
use awc::http::Method;
use serde_json::json;

/// A token of the right shape that belongs to nobody.
fn unknown_token(n: usize) -> String {
    format!("mla_{n:0>43}")
}

const VOCABULARIES: &str = "/api/v1/meta/vocabularies";

async fn with_token(app: &TestApp, token: &str, headers: &[(&str, &str)]) -> Resp {
    app.call_with(Method::GET, VOCABULARIES, Some(token), None, headers)
        .await
}

/// The seconds of a 429's `Retry-After`, checking the rest of the answer.
fn throttled(res: &Resp, window: u64) -> u64 {
    assert_eq!(res.status, 429, "{res:?}");
    assert_eq!(res.code(), "too_many_failed_attempts", "{res:?}");
    let seconds: u64 = res
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=window).contains(&seconds), "{seconds} s: {res:?}");
    seconds
}

#[actix_web::test]
async fn more_than_twenty_bad_tokens_in_a_window_are_throttled_even_for_valid_tokens() {
    const WINDOW: u64 = 5;
    let defaults = mla_tracker::config::Settings::defaults().auth;
    assert_eq!(defaults.max_failed_attempts, 20, "the documented default");
    let app = spawn_app_with(|s| {
        // The default limit (the harness raises it for the other tests); a
        // short window so the test can see it end.
        s.auth.max_failed_attempts = defaults.max_failed_attempts;
        s.auth.failed_attempts_window_seconds = WINDOW;
    })
    .await;
    let started = Instant::now();
    for n in 1..=20 {
        let res = with_token(&app, &unknown_token(n), &[]).await;
        assert_eq!(res.status, 401, "bad token {n}: {res:?}");
        assert_eq!(res.code(), "unauthorized");
    }
    let res = with_token(&app, &unknown_token(21), &[]).await;
    assert!(
        started.elapsed() < Duration::from_secs(WINDOW),
        "the 21 attempts took longer than the window; the test proves nothing"
    );
    throttled(&res, WINDOW);
    // A valid token from the same address is refused too: the 429 must not
    // tell a right guess from a wrong one.
    let retry_after = throttled(&with_token(&app, &app.admin_token, &[]).await, WINDOW);
    let res = app.call(Method::GET, VOCABULARIES, None, None).await;
    throttled(&res, WINDOW);
    // The probes need no token and stay open.
    let res = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(res.status, 200, "{res:?}");
    // Once the window has closed, the address is let in again.
    actix_web::rt::time::sleep(Duration::from_secs(retry_after)).await;
    let res = with_token(&app, &app.admin_token, &[]).await;
    assert_eq!(res.status, 200, "after Retry-After: {res:?}");
    let res = with_token(&app, &unknown_token(22), &[]).await;
    assert_eq!(res.status, 401, "a fresh window: {res:?}");
}

/// Before authentication ran ahead of the handlers' arguments, a bad body,
/// query or content type beat the token's lookup: an unknown token got
/// 400/415/422 and was never counted (80 of 80 answered 422 on PostgreSQL).
#[actix_web::test]
async fn bad_tokens_are_401_and_counted_whatever_the_body_query_or_path() {
    const LIMIT: u32 = 8;
    let app = spawn_app_with(|s| s.auth.max_failed_attempts = LIMIT).await;
    // A deactivated user's token and a rotated (revoked) one.
    let (deactivated, deactivated_token) = app.create_user("clerk").await;
    let id = deactivated["id"].as_str().unwrap();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert!(res.status < 300, "{res:?}");
    let (rotated, revoked_token) = app.create_user("coordinator").await;
    let id = rotated["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/users/{id}/tokens"),
            &app.admin_token,
            &json!({}),
        )
        .await;
    assert!(res.status < 300, "{res:?}");

    let bad_body = |n: usize| json!({"case_reference": format!("BOGUS-{n}"), "title": 7});
    let unknown = unknown_token(1);
    let json_type = "application/json";
    let attempts: Vec<(&str, Resp)> = vec![
        (
            "unknown token, invalid body",
            app.post("/api/v1/requests", &unknown, &bad_body(1)).await,
        ),
        (
            "unknown token, malformed JSON",
            app.send_raw(
                Method::POST,
                "/api/v1/requests",
                &unknown,
                json_type,
                b"{".to_vec(),
            )
            .await,
        ),
        (
            "unknown token, wrong content type",
            app.send_raw(
                Method::POST,
                "/api/v1/requests",
                &unknown,
                "text/plain",
                b"x".to_vec(),
            )
            .await,
        ),
        (
            "unknown token, bad query",
            app.get(
                "/api/v1/stats/countries?country=nowhere&colour=red",
                &unknown,
            )
            .await,
        ),
        (
            "unknown token, transition with a bad body",
            app.post(
                &format!("/api/v1/requests/{}/transitions", uuid::Uuid::new_v4()),
                &unknown,
                &json!({"to": 1}),
            )
            .await,
        ),
        (
            "revoked token, invalid body",
            app.post("/api/v1/requests", &revoked_token, &bad_body(2))
                .await,
        ),
        (
            "deactivated token, invalid body",
            app.post("/api/v1/requests", &deactivated_token, &bad_body(3))
                .await,
        ),
        (
            "deactivated token, a PATCH without If-Match",
            app.call(
                Method::PATCH,
                &format!("/api/v1/requests/{}", uuid::Uuid::new_v4()),
                Some(&deactivated_token),
                Some(&json!({"title": []})),
            )
            .await,
        ),
    ];
    assert_eq!(attempts.len(), LIMIT as usize);
    for (what, res) in &attempts {
        assert_eq!(res.status, 401, "{what}: {res:?}");
        assert_eq!(res.code(), "unauthorized", "{what}: {res:?}");
    }
    // One more, with a bad body again: the throttle has counted them all.
    throttled(
        &app.post("/api/v1/requests", &unknown, &bad_body(4)).await,
        60,
    );
    throttled(
        &app.post("/api/v1/requests", &app.admin_token, &draft_body("T"))
            .await,
        60,
    );
    let res = app.get("/api/v1/users", &app.admin_token).await;
    assert_eq!(res.status, 429, "refused while the window lasts: {res:?}");
}

#[actix_web::test]
async fn without_a_token_every_endpoint_is_401_before_reading_the_body() {
    let app = spawn_app().await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/requests",
            None,
            Some(&json!({"title": 7})),
        )
        .await;
    assert_eq!(res.status, 401, "{res:?}");
    let res = app
        .call(
            Method::GET,
            "/api/v1/stats/countries?colour=red",
            None,
            None,
        )
        .await;
    assert_eq!(res.status, 401, "{res:?}");
    // A valid token with a bad body is answered for the body, as before.
    let res = app
        .post("/api/v1/requests", &app.admin_token, &json!({"title": 7}))
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    // An analyst is refused for the role before the body is read.
    let analyst = app.token_for("analyst").await;
    let res = app
        .post("/api/v1/requests", &analyst, &json!({"title": 7}))
        .await;
    assert_eq!(res.status, 403, "{res:?}");
    // The anonymous routes stay anonymous; unknown paths and methods keep
    // their 404 and 405.
    let res = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(res.status, 200);
    let res = app.call(Method::GET, "/api/v1/nowhere", None, None).await;
    assert_eq!(res.status, 404, "{res:?}");
    let res = app.call(Method::PUT, "/api/v1/requests", None, None).await;
    assert_eq!(res.status, 405, "{res:?}");
}

#[actix_web::test]
async fn malformed_authorization_counts_but_no_authorization_does_not() {
    let app = spawn_app_with(|s| s.auth.max_failed_attempts = 3).await;
    for _ in 0..10 {
        let res = app.call(Method::GET, VOCABULARIES, None, None).await;
        assert_eq!(res.status, 401, "{res:?}");
    }
    let res = with_token(&app, &app.admin_token, &[]).await;
    assert_eq!(
        res.status, 200,
        "requests without a token guess nothing: {res:?}"
    );
    let basic = format!("Basic {}", app.admin_token);
    for value in ["Bearer", basic.as_str(), "Bearer x y"] {
        let res = app
            .call_with(
                Method::GET,
                VOCABULARIES,
                None,
                None,
                &[("Authorization", value)],
            )
            .await;
        assert_eq!(res.status, 401, "{value}: {res:?}");
    }
    let res = app
        .call_with(
            Method::GET,
            VOCABULARIES,
            None,
            None,
            &[("Authorization", "Bearer")],
        )
        .await;
    throttled(&res, 60);
}

#[actix_web::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app_with(|s| s.auth.max_failed_attempts = 3).await;
    // Untrusted peer: a different X-Forwarded-For on each try does not help.
    for n in 1..=3 {
        let xff = format!("203.0.113.{n}");
        let res = with_token(&app, &unknown_token(n), &[("X-Forwarded-For", &xff)]).await;
        assert_eq!(res.status, 401, "{res:?}");
    }
    let res = with_token(
        &app,
        &unknown_token(4),
        &[("X-Forwarded-For", "203.0.113.4")],
    )
    .await;
    throttled(&res, 60);
    let res = with_token(
        &app,
        &app.admin_token,
        &[("X-Forwarded-For", "203.0.113.5")],
    )
    .await;
    throttled(&res, 60);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_count() {
    let app = spawn_app_with(|s| {
        s.auth.max_failed_attempts = 3;
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    // The left-most entry is whatever the client wrote; the proxy appended
    // the real address on the right.
    let guesser = [("X-Forwarded-For", "198.51.100.1, 192.0.2.66")];
    for n in 1..=3 {
        assert_eq!(
            with_token(&app, &unknown_token(n), &guesser).await.status,
            401
        );
    }
    throttled(&with_token(&app, &unknown_token(4), &guesser).await, 60);
    throttled(&with_token(&app, &app.admin_token, &guesser).await, 60);
    let other = [("X-Forwarded-For", "192.0.2.67")];
    let res = with_token(&app, &app.admin_token, &other).await;
    assert_eq!(res.status, 200, "another client behind the proxy: {res:?}");
    let res = with_token(&app, &app.admin_token, &[("X-Forwarded-For", "192.0.2.66")]).await;
    throttled(&res, 60);
}

/// The headers every response must carry, with their values.
const SECURITY_HEADERS: [(&str, &str); 7] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("strict-transport-security", "max-age=31536000"),
    ("cross-origin-resource-policy", "same-origin"),
];

fn assert_security_headers(what: &str, res: &Resp) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            res.header(name).as_deref(),
            Some(value),
            "{what}: {name} on {res:?}"
        );
    }
}

#[actix_web::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app_with(|s| {
        s.auth.max_failed_attempts = 1;
        s.server.cors_allowed_origins = vec!["https://cases.example".into()];
    })
    .await;
    let analyst = app.token_for("analyst").await;
    let admin = app.admin_token.clone();
    let mut seen = Vec::new();
    let mut check = |what: &str, want: u16, res: Resp| {
        assert_eq!(res.status, want, "{what}: {res:?}");
        assert_security_headers(what, &res);
        seen.push(want);
    };
    check(
        "healthz",
        200,
        app.call(Method::GET, "/healthz", None, None).await,
    );
    check(
        "readyz",
        200,
        app.call(Method::GET, "/readyz", None, None).await,
    );
    check("list", 200, app.get("/api/v1/requests", &admin).await);
    let created = app
        .post("/api/v1/requests", &admin, &draft_body("SEC-1"))
        .await;
    check("create", 201, created);
    check("unknown route", 404, app.get("/nowhere", &admin).await);
    let res = app
        .call(Method::PUT, "/api/v1/requests", Some(&admin), None)
        .await;
    check("wrong method", 405, res);
    let res = app.call(Method::GET, VOCABULARIES, None, None).await;
    check("no token", 401, res);
    check("wrong role", 403, app.get("/api/v1/users", &analyst).await);
    let res = app
        .send_raw(
            Method::POST,
            "/api/v1/requests",
            &admin,
            "application/json",
            b"{".to_vec(),
        )
        .await;
    check("malformed JSON", 400, res);
    let res = app.post("/api/v1/requests", &admin, &json!({})).await;
    check("invalid body", 422, res);
    let preflight = [
        ("Origin", "https://cases.example"),
        ("Access-Control-Request-Method", "POST"),
    ];
    let res = app
        .call_with(Method::OPTIONS, "/api/v1/requests", None, None, &preflight)
        .await;
    check("granted preflight", 204, res);
    let res = with_token(&app, &unknown_token(1), &[]).await;
    check("bad token", 401, res);
    let res = with_token(&app, &unknown_token(2), &[]).await;
    check("throttled", 429, res);
    assert_eq!(seen.len(), 13);
}

#[actix_web::test]
async fn cors_is_closed_by_default() {
    let app = spawn_app().await;
    let origin = [("Origin", "https://elsewhere.example")];
    let res = with_token(&app, &app.admin_token, &origin).await;
    assert_eq!(res.status, 200);
    assert_no_cors(&res);
    let preflight = [
        ("Origin", "https://elsewhere.example"),
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization"),
    ];
    for path in [VOCABULARIES, "/api/v1/requests", "/healthz"] {
        let res = app
            .call_with(Method::OPTIONS, path, None, None, &preflight)
            .await;
        assert!(
            res.status >= 400,
            "{path}: a preflight is not granted: {res:?}"
        );
        assert_no_cors(&res);
    }
}

fn assert_no_cors(res: &Resp) {
    let cors: Vec<_> = res
        .headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "{cors:?} on {res:?}");
}

#[actix_web::test]
async fn configured_origins_and_only_those_get_cors() {
    let allowed = "https://cases.example";
    let app = spawn_app_with(|s| s.server.cors_allowed_origins = vec![allowed.into()]).await;
    let preflight = |origin| {
        [
            ("Origin", origin),
            ("Access-Control-Request-Method", "PATCH"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type, if-match",
            ),
        ]
    };
    let path = "/api/v1/requests/00000000-0000-0000-0000-000000000000";
    let res = app
        .call_with(Method::OPTIONS, path, None, None, &preflight(allowed))
        .await;
    assert_eq!(res.status, 204, "{res:?}");
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    let methods = res
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("PATCH"), "{methods}");
    let headers = res
        .header("access-control-allow-headers")
        .unwrap_or_default();
    for h in ["authorization", "content-type", "if-match"] {
        assert!(headers.contains(h), "{h} in {headers}");
    }
    assert!(res.header("access-control-allow-credentials").is_none());
    // A look-alike origin gets nothing.
    for other in ["https://cases.example.evil", "http://cases.example", "null"] {
        let res = app
            .call_with(Method::OPTIONS, path, None, None, &preflight(other))
            .await;
        assert!(res.status >= 400, "{other}: {res:?}");
        assert_no_cors(&res);
        let res = with_token(&app, &app.admin_token, &[("Origin", other)]).await;
        assert_eq!(res.status, 200);
        assert_no_cors(&res);
    }
    // The allowed origin's scripts may read answers, errors included.
    let res = with_token(&app, &app.admin_token, &[("Origin", allowed)]).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    assert!(
        res.header("vary").is_some_and(|v| v.contains("Origin")),
        "{res:?}"
    );
    let res = app
        .call_with(
            Method::GET,
            VOCABULARIES,
            None,
            None,
            &[("Origin", allowed)],
        )
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap_or_default();
    assert!(
        exposed.contains("retry-after") && exposed.contains("etag"),
        "{exposed}"
    );
}

/// Runs `talk` on a raw TCP connection to the app, off the test's runtime.
async fn raw<T: Send + 'static>(
    app: &TestApp,
    talk: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> T {
    let address = app.address.trim_start_matches("http://").to_string();
    actix_web::rt::task::spawn_blocking(move || {
        let stream = TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        talk(stream)
    })
    .await
    .expect("the raw client finished")
}

/// Reads until the server closes the connection (or 30 s pass, failing).
fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return String::from_utf8_lossy(&out).into_owned(),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return String::from_utf8_lossy(&out).into_owned();
            }
            Err(e) => panic!(
                "the server kept the connection open: {e}; read so far: {}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
}

#[actix_web::test]
async fn a_client_that_stalls_its_body_gets_408_and_the_connection_closed() {
    const TIMEOUT: u64 = 2;
    let app = spawn_app_with(|s| s.server.request_timeout_seconds = TIMEOUT).await;
    let token = app.admin_token.clone();
    let (elapsed, answer) = raw(&app, move |mut stream| {
        let head = format!(
            "POST /api/v1/requests HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"case_reference\": "
        );
        let started = Instant::now();
        stream.write_all(head.as_bytes()).unwrap();
        let answer = read_to_close(&mut stream);
        (started.elapsed(), answer)
    })
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {elapsed:?}: {answer}"
    );
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    assert!(
        answer.contains("x-content-type-options: nosniff"),
        "{answer}"
    );
    assert!(
        elapsed >= Duration::from_secs(TIMEOUT) && elapsed < Duration::from_secs(TIMEOUT + 3),
        "cut off after {elapsed:?}"
    );
    let list = app.get("/api/v1/requests", &app.admin_token).await;
    assert_eq!(list.body["items"], json!([]), "nothing was created");
    // A body that trickles in, byte by byte within the header timeout, is
    // cut off all the same.
    let token = app.admin_token.clone();
    let (elapsed, answer) = raw(&app, move |mut stream| {
        let head = format!(
            "POST /api/v1/requests HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        );
        let started = Instant::now();
        stream.write_all(head.as_bytes()).unwrap();
        let mut sent = 0;
        while started.elapsed() < Duration::from_secs(TIMEOUT + 2) && sent < 999 {
            if stream.write_all(b" ").is_err() {
                break;
            }
            sent += 1;
            std::thread::sleep(Duration::from_millis(200));
        }
        (started.elapsed(), read_to_close(&mut stream))
    })
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {elapsed:?}: {answer}"
    );
}

#[actix_web::test]
async fn slow_headers_and_idle_connections_are_closed() {
    let app = spawn_app_with(|s| {
        s.server.header_timeout_seconds = 1;
        s.server.keep_alive_seconds = 1;
    })
    .await;
    let (elapsed, answer) = raw(&app, |mut stream| {
        let started = Instant::now();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
            .unwrap();
        let answer = read_to_close(&mut stream);
        (started.elapsed(), answer)
    })
    .await;
    assert!(elapsed < Duration::from_secs(4), "headers held {elapsed:?}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    let (elapsed, answer) = raw(&app, |mut stream| {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            .unwrap();
        let started = Instant::now();
        let answer = read_to_close(&mut stream);
        (started.elapsed(), answer)
    })
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        elapsed < Duration::from_secs(4),
        "an idle connection was held {elapsed:?}"
    );
}

// ---------------------------------------------------------------------------
// Logs: the real binary at RUST_LOG=trace.
// ---------------------------------------------------------------------------

/// In every body, query and name the test sends; must never reach the log.
const MARKER: &str = "Zq7MarkerXv3";

struct Serve {
    child: Child,
    dir: PathBuf,
}

impl Serve {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[actix_web::test]
async fn logs_at_trace_hold_no_token_hash_or_body() {
    let database = fresh_test_database();
    let dir = scratch_dir("mla-sec");
    let admin = create_admin(&database.url);
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let child = mla(&dir, &database.url)
        .arg("serve")
        .env("RUST_LOG", "trace")
        .env("MLA__ALERTS__ENABLED", "false")
        .env(
            "MLA__MAIL__URL",
            format!("file://{}", dir.join("outbox").display()),
        )
        .env("MLA__SERVER__BIND", "127.0.0.1:0")
        .env("MLA__AUTH__MAX_FAILED_ATTEMPTS", "3")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let serve = Serve { child, dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    let port = loop {
        let log = serve.log();
        if let Some(rest) = log.split("listening on http://127.0.0.1:").nth(1) {
            break rest.split(' ').next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "serve did not start: {log}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::default();
    let send = |method: Method, path: &str, token: &str| {
        client
            .request(method, format!("{base}{path}"))
            .insert_header(("Authorization", format!("Bearer {token}")))
    };

    let mut body = draft_body(&format!("CASE-{MARKER}"));
    body["title"] = json!(format!("Title {MARKER}"));
    body["reference"] = json!(format!("REF-{MARKER}"));
    let mut res = send(Method::POST, "/api/v1/requests", &admin)
        .send_json(&body)
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let note = json!({"text": format!("note {MARKER}")});
    let res = send(
        Method::POST,
        &format!("/api/v1/requests/{id}/notes"),
        &admin,
    )
    .send_json(&note)
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let res = send(Method::GET, &format!("/api/v1/requests?q={MARKER}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = send(Method::POST, "/api/v1/requests", &admin)
        .insert_header(("Content-Type", "application/json"))
        .send_body(format!("{{\"title\": \"{MARKER}"))
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Values the API echoes in its error messages (422, 409).
    let mut invalid = draft_body(&format!("CASE-{MARKER}"));
    invalid["target_country"] = json!(MARKER);
    invalid["offences"] = json!([MARKER]);
    let res = send(Method::POST, "/api/v1/requests", &admin)
        .send_json(&invalid)
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = send(Method::POST, "/api/v1/requests", &admin)
        .send_json(&body)
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let new_user =
        json!({"name": format!("User {MARKER}"), "email": "u@test.example", "role": "clerk"});
    let mut res = send(Method::POST, "/api/v1/users", &admin)
        .send_json(&new_user)
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let user: serde_json::Value = res.json().await.unwrap();
    let clerk = user["token"].as_str().unwrap().to_string();
    let res = send(Method::GET, "/api/v1/requests", &clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A calendar feed: issued, read by a calendar program (no token), then
    // revoked and read again (404).
    let mut res = send(Method::POST, "/api/v1/me/calendar", &clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let issued: serde_json::Value = res.json().await.unwrap();
    let url = issued["url"].as_str().unwrap();
    let feed_secret = url.rsplit('/').next().unwrap().to_string();
    let feed = format!("{base}/api/v1/calendar/{feed_secret}");
    let res = client.get(&feed).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = send(Method::DELETE, "/api/v1/me/calendar", &clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = client.get(&feed).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Bad tokens, past the throttle (which logs the address).
    let bad = format!("mla_{MARKER}BadToken0000000000000000000000000");
    for _ in 0..4 {
        send(Method::GET, "/api/v1/requests", &bad)
            .send()
            .await
            .unwrap();
    }
    let res = send(Method::GET, "/api/v1/requests", &bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;

    let log = serve.log();
    // The capture works and really is at trace level.
    assert!(log.contains("POST /api/v1/requests 201"), "{log}");
    assert!(log.contains("too many failed authentications"), "{log}");
    assert!(
        log.contains("GET /api/v1/calendar/… 200") && log.contains("GET /api/v1/calendar/… 404"),
        "the feed's access lines, without its secret: {log}"
    );
    assert!(
        log.contains(" DEBUG ") || log.contains(" TRACE "),
        "RUST_LOG=trace took effect: {log}"
    );
    let secrets = [
        ("marker", MARKER.to_string()),
        ("admin token", admin[4..].to_string()),
        (
            "admin token hash",
            mla_tracker::credentials::hash_token(&admin),
        ),
        ("clerk token", clerk[4..].to_string()),
        (
            "clerk token hash",
            mla_tracker::credentials::hash_token(&clerk),
        ),
        ("bad token hash", mla_tracker::credentials::hash_token(&bad)),
        (
            "calendar feed secret",
            feed_secret["mlacal_".len()..].to_string(),
        ),
        (
            "calendar feed secret hash",
            mla_tracker::credentials::hash_token(&feed_secret),
        ),
    ];
    for (what, secret) in secrets {
        let leaks: Vec<&str> = log.lines().filter(|l| l.contains(&secret)).collect();
        assert!(
            leaks.is_empty(),
            "the {what} is in the log:\n{}",
            leaks.join("\n")
        );
    }
}
