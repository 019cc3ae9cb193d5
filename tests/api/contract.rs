//! The API's contract, recorded: one scenario on one fresh server calls every
//! route (its main success and its characteristic errors) and writes each
//! exchange — method, path, role, request body; status, the headers that
//! matter, body — as text. The text is compared with the golden files in
//! `tests/golden/api/` (one per area, plus `openapi.json`); any difference
//! fails the test with a unified diff of the first differing exchanges.
//!
//! ```sh
//! cargo test --test api contract                      # compare with the golden files
//! UPDATE_GOLDEN=1 cargo test --test api contract      # rewrite them from today's answers
//! TEST_DATABASE_URL=postgres://… cargo test --test api contract   # same golden on PostgreSQL
//! ```
//!
//! Rewrite the golden files only for an intended change of the API, and
//! review their diff before committing it. The same files hold on SQLite and
//! on PostgreSQL.
//!
//! What is normalised, and nothing else (see [`Normaliser`]):
//! - UUIDs become `<uuid-1>`, `<uuid-2>`… numbered by first appearance over
//!   the whole scenario, so that the same record keeps its number;
//! - bearer tokens (`mla_` + 43 base64url characters) become `<token>`;
//! - timestamps taken from the real clock (`created_at`, `updated_at`,
//!   `recorded_at`, `token_created_at`, `deactivated_at`, delivery times…)
//!   become `<time>`: any date-time string lying between the start of the
//!   scenario and now (its format is kept where it is deterministic: see
//!   [`Normaliser::real_time`]). The service's "today" is pinned ([`NOW`]),
//!   so dates derived from it are kept verbatim (and would fail if they
//!   drifted);
//! - list cursors are opaque base64 of JSON holding a UUID and, for the
//!   default sort, a real-clock `created_at`: they are shown decoded, as
//!   `<cursor {…}>`, normalised like the rest;
//! - `GET /readyz` names the backend; its `database` is checked to be the
//!   backend under test, then shown as `<backend>`;
//! - the notifications of one alert run are numbered (`id`, a database
//!   sequence) and listed in the order of the random UUIDs of their
//!   requests. The ids are checked to be unique and the listing to follow
//!   them (created_at descending, then id; one run, so one created_at);
//!   the listing is then shown sorted by reference, rule and recipient, with
//!   `id` replaced by `<id>`. (The ids also differ between backends: a dry
//!   run rolls back its rows, which gives SQLite's ids back but not
//!   PostgreSQL's identity values, so the same scenario numbers them from 1
//!   on SQLite and from 45 on PostgreSQL.)
//!
//! JSON bodies are shown pretty-printed with their keys sorted; CSV and SVG
//! as text, with each `\r` shown as `\r`. Besides the golden files, the
//! test checks that every route the server registered
//! (`routes::registered`) answered 2xx at least once in the scenario, so a
//! route added later must be added here too.
//!
//! The data is entered through the API with dates chosen so that no list
//! sorted by a date holds two requests with the same date (nor two without
//! one): the API breaks such ties by the requests' UUIDs, which are random.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::{Resp, TestApp, draft_body, id_of, sent_body, spawn_app_with, transition_to};
use awc::http::{Method, StatusCode};
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value, json};

/// The instant the service takes as "now" in this test, whatever
/// `MLA_TEST_NOW` says: the golden files hold dates derived from it.
const NOW: &str = "2026-06-15T10:00:00Z";

/// Where the golden files live.
fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/api")
}

/// The response headers recorded, in this order, when present.
const HEADERS: [&str; 8] = [
    "content-type",
    "location",
    "etag",
    "allow",
    "retry-after",
    "www-authenticate",
    "content-disposition",
    "cache-control",
];

/// A request body as sent.
enum Body {
    None,
    Json(Value),
    /// Raw bytes with their content type, and how the golden file shows them
    /// (`None`: as text).
    Raw {
        content_type: &'static str,
        bytes: Vec<u8>,
        shown: Option<String>,
    },
}

/// A UUID no record has.
const UNKNOWN_ID: &str = "6f1c2a3b-0000-4000-8000-00000000abcd";

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

/// Replaces what legitimately differs from one run to the next, and nothing
/// else (see the module documentation).
struct Normaliser {
    uuids: HashMap<String, usize>,
    /// The real clock when the scenario started: real-clock timestamps are
    /// at or after it.
    started: DateTime<Utc>,
}

impl Normaliser {
    fn new() -> Normaliser {
        Normaliser {
            uuids: HashMap::new(),
            started: Utc::now() - chrono::Duration::seconds(1),
        }
    }

    /// How a date-time from the real clock is shown, or None if `text` is
    /// not one: `<time>` for RFC 3339 in UTC with `Z` (the fraction's length
    /// is left out: chrono writes 0, 3, 6 or 9 digits depending on the
    /// value), `<time+01:00>` with an offset, and `<naive time.ffffff>` (one
    /// `f` per digit) without a zone, so a change of format still shows.
    fn real_time(&self, text: &str) -> Option<String> {
        if text.len() < 19 || !text.as_bytes()[0].is_ascii_digit() {
            return None;
        }
        let (at, shown) = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            let shown = if text.ends_with('Z') {
                "<time>".to_string()
            } else {
                format!("<time{}>", &text[text.len() - 6..])
            };
            (t.with_timezone(&Utc), shown)
        } else {
            let (format, separator) =
                [("%Y-%m-%dT%H:%M:%S%.f", 'T'), ("%Y-%m-%d %H:%M:%S%.f", ' ')]
                    .into_iter()
                    .find(|(f, _)| NaiveDateTime::parse_from_str(text, f).is_ok())?;
            let at = NaiveDateTime::parse_from_str(text, format).ok()?.and_utc();
            let fraction = text.split_once('.').map_or(0, |(_, f)| f.len());
            let sep = if separator == 'T' { "" } else { " (space)" };
            (at, format!("<naive time{sep}.{}>", "f".repeat(fraction)))
        };
        let now = Utc::now() + chrono::Duration::seconds(1);
        (at >= self.started && at <= now).then_some(shown)
    }

    /// Sorts keys; replaces real-clock timestamps, tokens and cursors.
    fn value(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for key in keys {
                    let item = &map[key];
                    let shown = match (key.as_str(), item) {
                        ("next_cursor", Value::String(cursor)) => match self.cursor(cursor) {
                            Some(decoded) => Value::String(decoded),
                            None => item.clone(),
                        },
                        _ => self.value(item),
                    };
                    out.insert(key.clone(), shown);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::String(text) if is_token(text) => Value::String("<token>".into()),
            Value::String(text) => match self.real_time(text) {
                Some(shown) => Value::String(shown),
                None => value.clone(),
            },
            other => other.clone(),
        }
    }

    /// A list cursor, decoded: `<cursor {…}>`, or None if it is not one.
    fn cursor(&self, cursor: &str) -> Option<String> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.as_bytes())
            .ok()?;
        let decoded: Value = serde_json::from_slice(&bytes).ok()?;
        decoded.as_object()?;
        Some(format!("<cursor {}>", self.value(&decoded)))
    }

    /// The path with any `cursor=` shown decoded.
    fn path(&self, path: &str) -> String {
        let Some((base, query)) = path.split_once('?') else {
            return path.to_string();
        };
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.strip_prefix("cursor=") {
                Some(raw) => {
                    let raw: String = form_urlencoded::parse(format!("c={raw}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    match self.cursor(&raw) {
                        Some(decoded) => format!("cursor={decoded}"),
                        None => pair.to_string(),
                    }
                }
                None => pair.to_string(),
            })
            .collect();
        format!("{base}?{}", pairs.join("&"))
    }

    /// Numbers every UUID in `text` by first appearance.
    fn uuids(&mut self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut copied = 0;
        while i + 36 <= bytes.len() {
            if is_uuid(&bytes[i..i + 36])
                && (i == 0 || !bytes[i - 1].is_ascii_hexdigit())
                && bytes.get(i + 36).is_none_or(|b| !b.is_ascii_hexdigit())
            {
                out.push_str(&text[copied..i]);
                let next = self.uuids.len() + 1;
                let n = *self
                    .uuids
                    .entry(text[i..i + 36].to_string())
                    .or_insert(next);
                write!(out, "<uuid-{n}>").unwrap();
                i += 36;
                copied = i;
            } else {
                i += 1;
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

fn is_uuid(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
    })
}

/// Every calendar feed secret (`mlacal_` and 43 base64url characters) in
/// `text` shown as `<calendar-secret>`.
fn calendar_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("mlacal_") {
        out.push_str(&rest[..at]);
        let secret = &rest[at + 7..];
        let len = secret
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .count();
        if len == 43 {
            out.push_str("<calendar-secret>");
            rest = &secret[len..];
        } else {
            out.push_str("mlacal_");
            rest = secret;
        }
    }
    out.push_str(rest);
    out
}

/// A calendar feed as the golden file shows it: its lines unfolded (so a
/// UUID is never cut in two) and the real-clock stamps (`DTSTAMP`,
/// `LAST-MODIFIED`, when a record last changed) shown as `<time>`.
fn show_feed(norm: &Normaliser, text: &str) -> String {
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<String> = unfolded
        .split("\r\n")
        .map(|line| {
            let stamp = line
                .split_once(':')
                .filter(|(name, _)| matches!(*name, "DTSTAMP" | "LAST-MODIFIED"))
                .and_then(|(name, value)| {
                    let at = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ").ok()?;
                    let rfc3339 = at
                        .and_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    norm.real_time(&rfc3339).map(|_| format!("{name}:<time>"))
                });
            stamp.unwrap_or_else(|| line.to_string())
        })
        .collect();
    show_text(&lines.join("\r\n"))
}

/// A bearer token as `auth::new_token` makes them.
fn is_token(text: &str) -> bool {
    text.strip_prefix("mla_").is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON prints")
}

fn show_text(text: &str) -> String {
    text.replace('\r', "\\r").replace('\u{feff}', "\\u{feff}")
}

// ---------------------------------------------------------------------------
// The recorder
// ---------------------------------------------------------------------------

struct Scenario {
    app: TestApp,
    /// Tokens by the label the golden files show.
    tokens: BTreeMap<String, String>,
    area: &'static str,
    /// The exchanges of each area, as text.
    files: BTreeMap<&'static str, String>,
    openapi: Option<String>,
    norm: Normaliser,
    updating: bool,
    exchanges: BTreeMap<&'static str, usize>,
    /// Every call made: method, path without its query, status.
    calls: Vec<(Method, String, u16)>,
}

impl Scenario {
    fn token(&self, who: &str) -> Option<String> {
        match who {
            "no token" => None,
            "bad token" => Some(format!("mla_{}", "A".repeat(43))),
            other => Some(
                self.tokens
                    .get(other)
                    .unwrap_or_else(|| panic!("no token for `{other}`"))
                    .clone(),
            ),
        }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        who: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Resp {
        let token = self.token(who);
        let res = match &body {
            Body::None => {
                self.app
                    .call_with(method.clone(), path, token.as_deref(), None, headers)
                    .await
            }
            Body::Json(value) => {
                self.app
                    .call_with(method.clone(), path, token.as_deref(), Some(value), headers)
                    .await
            }
            Body::Raw {
                content_type,
                bytes,
                ..
            } => {
                let token = token.expect("raw bodies are sent with a token");
                self.app
                    .send_raw_with(
                        method.clone(),
                        path,
                        &token,
                        content_type,
                        bytes.clone(),
                        headers,
                    )
                    .await
            }
        };
        self.record(&method, path, who, headers, &body, &res);
        let route = path.split('?').next().unwrap_or(path).to_string();
        self.calls.push((method, route, res.status));
        res
    }

    fn record(
        &mut self,
        method: &Method,
        path: &str,
        who: &str,
        headers: &[(&str, &str)],
        body: &Body,
        res: &Resp,
    ) {
        let n = &self.norm;
        let mut text = format!("### {method} {} ({who})\n", n.path(path));
        for (name, value) in headers {
            writeln!(text, "> {name}: {value}").unwrap();
        }
        match body {
            Body::None => {}
            Body::Json(value) => {
                text.push_str(">\n");
                for line in pretty(&n.value(value)).lines() {
                    writeln!(text, "> {line}").unwrap();
                }
            }
            Body::Raw {
                content_type,
                bytes,
                shown,
            } => {
                writeln!(text, "> Content-Type: {content_type}").unwrap();
                text.push_str(">\n");
                let shown = shown
                    .clone()
                    .unwrap_or_else(|| show_text(&String::from_utf8_lossy(bytes)));
                for line in shown.lines() {
                    writeln!(text, "> {line}").unwrap();
                }
            }
        }
        let status = StatusCode::from_u16(res.status).expect("a status");
        writeln!(
            text,
            "< {} {}",
            res.status,
            status.canonical_reason().unwrap_or("")
        )
        .unwrap();
        for name in HEADERS {
            for value in res.headers.get_all(name) {
                writeln!(text, "< {name}: {}", value.to_str().unwrap_or("<not text>")).unwrap();
            }
        }
        text.push('\n');
        let is_json = res
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"));
        let body = self.shown_body(method, path, res, is_json);
        text.push_str(&body);
        if !body.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        let text = self.norm.uuids(&calendar_secrets(&text));
        self.files.entry(self.area).or_default().push_str(&text);
        *self.exchanges.entry(self.area).or_default() += 1;
    }

    fn shown_body(&mut self, method: &Method, path: &str, res: &Resp, is_json: bool) -> String {
        let route = path.split('?').next().unwrap_or(path);
        if route == "/api/v1/openapi.json" && res.status == 200 {
            self.openapi = Some(pretty(&self.norm.value(&res.body)) + "\n");
            return "(the document: see openapi.json)".into();
        }
        if route == "/api/v1/stats/report" && res.status == 200 {
            // A PDF carries the time it was printed; tests/api/report.rs
            // reads both forms.
            return "(the report: see tests/api/report.rs)".into();
        }
        let is_xlsx = res
            .header("content-type")
            .is_some_and(|t| t.contains("spreadsheetml"));
        if route == "/api/v1/requests/export" && is_xlsx {
            // A workbook carries the time it was written; tests/api/export.rs
            // reads it with openpyxl.
            return "(the workbook: see tests/api/export.rs)".into();
        }
        match &res.body {
            Value::Null => "(empty body)".into(),
            Value::String(text) if !is_json && route.starts_with("/api/v1/calendar/") => {
                show_feed(&self.norm, text)
            }
            Value::String(text) if !is_json => show_text(text),
            body => {
                let mut body = self.norm.value(body);
                if route == "/readyz" && res.status == 200 {
                    let backend = serde_json::to_value(self.app.backend).unwrap();
                    assert_eq!(body["database"], backend, "GET /readyz names the backend");
                    body["database"] = json!("<backend>");
                }
                if route == "/api/v1/alerts/notifications"
                    && *method == Method::GET
                    && res.status == 200
                {
                    body = notifications_in_stable_order(body);
                }
                pretty(&body)
            }
        }
    }

    /// Panics when updating the golden files and `res` is not `status`: a
    /// golden file is never written from a scenario that went off course.
    /// When comparing, the difference shows in the diff instead.
    fn expect(&self, res: &Resp, status: u16) {
        if self.updating {
            assert_eq!(
                res.status, status,
                "the scenario went off course in area {}: {res:?}",
                self.area
            );
        }
    }

    async fn get(&mut self, path: &str, who: &str) -> Resp {
        self.send(Method::GET, path, who, Body::None, &[]).await
    }

    async fn post(&mut self, path: &str, who: &str, body: Value) -> Resp {
        self.send(Method::POST, path, who, Body::Json(body), &[])
            .await
    }

    async fn delete(&mut self, path: &str, who: &str) -> Resp {
        self.send(Method::DELETE, path, who, Body::None, &[]).await
    }

    async fn patch(&mut self, path: &str, who: &str, if_match: &str, body: Value) -> Resp {
        self.send(
            Method::PATCH,
            path,
            who,
            Body::Json(body),
            &[("If-Match", if_match)],
        )
        .await
    }

    async fn raw(
        &mut self,
        method: Method,
        path: &str,
        content_type: &'static str,
        bytes: &[u8],
    ) -> Resp {
        let body = Body::Raw {
            content_type,
            bytes: bytes.to_vec(),
            shown: None,
        };
        self.send(method, path, "admin", body, &[]).await
    }

    /// Creates a request; returns its id (or a placeholder, so that a broken
    /// scenario still runs to the comparison).
    async fn create(&mut self, who: &str, body: Value) -> String {
        let res = self.post("/api/v1/requests", who, body).await;
        self.expect(&res, 201);
        id(&res)
    }

    async fn transition(&mut self, id: &str, who: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/requests/{id}/transitions"), who, body)
            .await
    }
}

/// The `id` of a record in a response.
fn id(res: &Resp) -> String {
    res.body["id"].as_str().unwrap_or("no-id").to_string()
}

/// `user.id` of a created user, and its token.
fn user_of(res: &Resp) -> (String, String) {
    (
        res.body["user"]["id"]
            .as_str()
            .unwrap_or("no-id")
            .to_string(),
        res.body["token"].as_str().unwrap_or("no-token").to_string(),
    )
}

/// The notifications listing, in an order that does not depend on random
/// UUIDs. The service lists them by `created_at` descending then `id`, and a
/// run numbers its rows in (recipient, request UUID, rule) order, so within
/// one run the order (and the ids) follow the requests' random UUIDs. This
/// checks the listing rule on the ids, then sorts by (created_at is equal
/// within a run) reference, rule, recipient and hides the ids.
fn notifications_in_stable_order(mut body: Value) -> Value {
    let Some(items) = body["items"].as_array_mut() else {
        return body;
    };
    let ids: Vec<i64> = items.iter().filter_map(|i| i["id"].as_i64()).collect();
    assert_eq!(ids.len(), items.len(), "every notification has an id");
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        ids.len(),
        "notification ids are unique: {ids:?}"
    );
    // One run in the scenario: the rows share one created_at, so the
    // listing is in id order.
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "notifications of one run are listed by id: {ids:?}"
    );
    for item in items.iter_mut() {
        item["id"] = json!("<id>");
    }
    let key = |v: &Value| {
        (
            v["reference"].as_str().unwrap_or("").to_string(),
            v["rule"].as_str().unwrap_or("").to_string(),
            v["recipient"].as_str().unwrap_or("").to_string(),
        )
    };
    items.sort_by_key(key);
    body
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

/// Splits a golden text into its exchanges (each starting at `### `); the
/// text before the first is the header.
fn exchanges(text: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = text.match_indices("\n### ").map(|(i, _)| i + 1).collect();
    if text.starts_with("### ") {
        starts.insert(0, 0);
    }
    let mut out = Vec::new();
    let mut previous = 0;
    for start in starts {
        out.push(&text[previous..start]);
        previous = start;
    }
    out.push(&text[previous..]);
    out
}

/// A unified-style diff of two texts, with three lines of context.
fn unified_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    // (tag, line): ' ' both, '-' golden only, '+' actual only.
    let mut ops: Vec<(char, &str)> = a[..prefix].iter().map(|l| (' ', *l)).collect();
    if ma.len() * mb.len() <= 4_000_000 {
        let mut lcs = vec![vec![0u32; mb.len() + 1]; ma.len() + 1];
        for i in (0..ma.len()).rev() {
            for j in (0..mb.len()).rev() {
                lcs[i][j] = if ma[i] == mb[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < ma.len() || j < mb.len() {
            if i < ma.len() && j < mb.len() && ma[i] == mb[j] {
                ops.push((' ', ma[i]));
                i += 1;
                j += 1;
            } else if i < ma.len() && (j == mb.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push(('-', ma[i]));
                i += 1;
            } else {
                ops.push(('+', mb[j]));
                j += 1;
            }
        }
    } else {
        ops.extend(ma.iter().map(|l| ('-', *l)));
        ops.extend(mb.iter().map(|l| ('+', *l)));
    }
    ops.extend(a[a.len() - suffix..].iter().map(|l| (' ', *l)));

    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut out = String::new();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CONTEXT + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let line_a = ops[..start].iter().filter(|o| o.0 != '+').count() + 1;
        let line_b = ops[..start].iter().filter(|o| o.0 != '-').count() + 1;
        let len_a = ops[start..end].iter().filter(|o| o.0 != '+').count();
        let len_b = ops[start..end].iter().filter(|o| o.0 != '-').count();
        writeln!(out, "@@ -{line_a},{len_a} +{line_b},{len_b} @@").unwrap();
        for (tag, line) in &ops[start..end] {
            writeln!(out, "{tag}{line}").unwrap();
        }
    }
    out
}

/// How many differing exchanges a failure shows in full.
const SHOWN_DIFFERENCES: usize = 3;

/// Compares one golden file with what the scenario produced; returns a
/// report of the differences, if any.
fn compare(name: &str, expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    if !expected.contains("\n### ") && !actual.contains("\n### ") {
        return Some(format!(
            "{name} differs\n--- golden   {name}\n+++ this run {name}\n{}",
            unified_diff(expected, actual)
        ));
    }
    let (old, new) = (exchanges(expected), exchanges(actual));
    let heading = |text: &str| text.lines().next().unwrap_or("").to_string();
    let differing: Vec<usize> = (0..old.len().max(new.len()))
        .filter(|&i| old.get(i) != new.get(i))
        .collect();
    let mut report = format!(
        "{name}: {} of {} exchange(s) differ (golden has {}, this run {})\n",
        differing.len(),
        old.len().max(new.len()).saturating_sub(1),
        old.len().saturating_sub(1),
        new.len().saturating_sub(1),
    );
    for &i in differing.iter().take(SHOWN_DIFFERENCES) {
        let (a, b) = (
            old.get(i).copied().unwrap_or(""),
            new.get(i).copied().unwrap_or(""),
        );
        writeln!(
            report,
            "--- golden   {name} #{i}: {}\n+++ this run {name} #{i}: {}",
            heading(a),
            heading(b)
        )
        .unwrap();
        report.push_str(&unified_diff(a, b));
    }
    if differing.len() > SHOWN_DIFFERENCES {
        writeln!(
            report,
            "… and {} more differing exchange(s) in {name}",
            differing.len() - SHOWN_DIFFERENCES
        )
        .unwrap();
    }
    Some(report)
}

fn file_header(area: &str) -> String {
    format!(
        "# The API's answers, area `{area}`: recorded by tests/api/contract.rs and compared by it.\n\
         # Do not edit by hand: `UPDATE_GOLDEN=1 cargo test --test api contract` rewrites this file.\n\
         # `>` lines: what was sent (headers, body); `<` lines: status and headers; then the body.\n\n"
    )
}

/// Compares every golden file (or rewrites them all with `UPDATE_GOLDEN=1`).
fn check_golden(files: &BTreeMap<String, String>, updating: bool) {
    let dir = golden_dir();
    if updating {
        std::fs::create_dir_all(&dir).expect("the golden directory");
        for entry in std::fs::read_dir(&dir).expect("the golden directory") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !files.contains_key(&name) {
                std::fs::remove_file(&path).expect("remove a stale golden file");
            }
        }
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write a golden file");
        }
        eprintln!(
            "rewrote {} golden file(s) in {}",
            files.len(),
            dir.display()
        );
        return;
    }
    let mut reports = Vec::new();
    for (name, actual) in files {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(expected) => reports.extend(compare(name, &expected, actual)),
            Err(e) => reports.push(format!(
                "{name}: no golden file ({e}); run `UPDATE_GOLDEN=1 cargo test --test api contract`\n"
            )),
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !files.contains_key(&name) {
                reports.push(format!(
                    "{name}: a golden file this scenario no longer produces\n"
                ));
            }
        }
    }
    assert!(
        reports.is_empty(),
        "the API's answers differ from the golden files in tests/golden/api/ \
         (if the change is intended, rewrite them with `UPDATE_GOLDEN=1 cargo test --test api contract` \
         and review their diff):\n\n{}",
        reports.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_api_answers_as_recorded() {
    let started = std::time::Instant::now();
    // Before the server exists: its first user's timestamps are real-clock.
    let norm = Normaliser::new();
    let app = spawn_app_with(|s| {
        s.clock = mla_tracker::domain::Clock::Pinned(NOW.parse().expect("an instant"))
    })
    .await;
    let mut tokens = BTreeMap::new();
    tokens.insert("admin".to_string(), app.admin_token.clone());
    let mut s = Scenario {
        app,
        tokens,
        area: "meta",
        files: BTreeMap::new(),
        openapi: None,
        norm,
        updating: std::env::var("UPDATE_GOLDEN").is_ok_and(|v| !v.is_empty() && v != "0"),
        exchanges: BTreeMap::new(),
        calls: Vec::new(),
    };

    meta(&mut s).await;
    users(&mut s).await;
    let ids = requests(&mut s).await;
    cases(&mut s).await;
    preservations(&mut s, &ids).await;
    portfolio(&mut s).await;
    list(&mut s).await;
    export(&mut s).await;
    alerts(&mut s, &ids).await;
    calendar(&mut s).await;
    s.app.pin_record_keys().await;
    stats(&mut s).await;
    charts(&mut s).await;
    cohorts(&mut s).await;
    report(&mut s).await;
    eevidence(&mut s).await;
    imports(&mut s).await;

    let mut files: BTreeMap<String, String> = s
        .files
        .iter()
        .map(|(area, text)| (format!("{area}.txt"), file_header(area) + text))
        .collect();
    files.insert(
        "openapi.json".into(),
        s.openapi.clone().expect("the OpenAPI document was fetched"),
    );
    eprintln!(
        "contract on {:?}: {} exchange(s) ({}) in {:.1} s",
        s.app.backend,
        s.exchanges.values().sum::<usize>(),
        s.exchanges
            .iter()
            .map(|(area, n)| format!("{area} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );
    check_every_route_succeeded(&s.calls);
    check_golden(&files, s.updating);
}

/// Whether `path` is an instance of the route `template` (`{name}` matches
/// one segment).
fn matches_route(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p)
}

/// Every operation the server registered was called, and answered 2xx at
/// least once: a route added later fails here until the scenario covers it.
fn check_every_route_succeeded(calls: &[(Method, String, u16)]) {
    let registered = mla_tracker::http::routing::registered();
    assert!(!registered.is_empty(), "the server registered its routes");
    let missing: Vec<String> = registered
        .iter()
        .filter(|(method, template)| {
            !calls.iter().any(|(m, path, status)| {
                m.as_str() == method && matches_route(template, path) && (200..300).contains(status)
            })
        })
        .map(|(method, template)| format!("{method} {template}"))
        .collect();
    assert!(
        missing.is_empty(),
        "the contract scenario never called these routes successfully; add them to tests/api/contract.rs: {missing:?}"
    );
}

/// The import: a dry run that finds a misspelt country, the corrected file
/// imported, refused to a clerk. The rows are drafts, which no statistic
/// counts.
async fn imports(s: &mut Scenario) {
    s.area = "imports";
    let boundary = "contract-boundary";
    let form = |csv: &str, dry_run: bool| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n{dry_run}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"register.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        )
        .into_bytes()
    };
    let head = "Reference;Case reference;Title;Magistrate;Requested country;Status\r\n";
    let misspelt =
        format!("{head}CRI-2026-900;PARQ-26-0900;Imported;Judge C. Petit;Philipines;Draft\r\n");
    let right = misspelt.replace("Philipines", "Philippines");
    for (who, bytes) in [
        ("admin", form(&misspelt, true)),
        ("admin", form(&right, false)),
        ("clerk", form(&right, true)),
    ] {
        let body = Body::Raw {
            content_type: "multipart/form-data; boundary=contract-boundary",
            bytes,
            shown: None,
        };
        s.send(Method::POST, "/api/v1/imports", who, body, &[])
            .await;
    }
}

/// The calendar feed: the clerk's, issued, read, refused to an analyst,
/// revoked.
async fn calendar(s: &mut Scenario) {
    s.area = "calendar";
    s.get("/api/v1/me/calendar", "clerk").await;
    let res = s
        .send(
            Method::POST,
            "/api/v1/me/calendar",
            "clerk",
            Body::None,
            &[],
        )
        .await;
    s.expect(&res, 201);
    let url = res.body["url"].as_str().unwrap_or_default();
    let path = url
        .find("/api/v1/calendar/")
        .map_or("/api/v1/calendar/none", |at| &url[at..])
        .to_string();
    s.get(&path, "no token").await;
    s.get("/api/v1/me/calendar", "clerk").await;
    s.get("/api/v1/me/calendar", "analyst").await;
    s.get("/api/v1/me/calendar", "no token").await;
    s.delete("/api/v1/me/calendar", "clerk").await;
    s.get(&path, "no token").await;
}

/// Probes, the document, the vocabularies, unknown routes.
async fn meta(s: &mut Scenario) {
    s.area = "meta";
    s.get("/healthz", "no token").await;
    s.get("/readyz", "no token").await;
    s.send(Method::POST, "/healthz", "no token", Body::None, &[])
        .await;
    let res = s.get("/api/v1/openapi.json", "no token").await;
    s.expect(&res, 200);
    s.get("/api/v1/meta/vocabularies", "admin").await;
    s.get("/api/v1/meta/vocabularies", "no token").await;
    s.get("/api/v1/meta/vocabularies", "bad token").await;
    s.send(
        Method::PUT,
        "/api/v1/meta/vocabularies",
        "admin",
        Body::None,
        &[],
    )
    .await;
    s.get("/api/v1/nothing", "admin").await;
    s.get("/nothing", "no token").await;
}

/// Accounts and tokens.
async fn users(s: &mut Scenario) {
    s.area = "users";
    let res = s.get("/api/v1/users", "admin").await;
    let admin_id = res.body["items"][0]["id"]
        .as_str()
        .unwrap_or("no-id")
        .to_string();
    // The only admin cannot be deactivated.
    s.delete(&format!("/api/v1/users/{admin_id}"), "admin")
        .await;

    for (label, name, email, role) in [
        (
            "coordinator",
            "Claire Coordinator",
            "coordinator@contract.example",
            "coordinator",
        ),
        ("clerk", "Colin Clerk", "Clerk@Contract.Example", "clerk"),
        (
            "analyst",
            "Ana Analyst",
            "analyst@contract.example",
            "analyst",
        ),
    ] {
        let res = s
            .post(
                "/api/v1/users",
                "admin",
                json!({"name": name, "email": email, "role": role}),
            )
            .await;
        s.expect(&res, 201);
        s.tokens.insert(label.to_string(), user_of(&res).1);
    }
    // The analyst can read the vocabularies (every role can).
    s.get("/api/v1/meta/vocabularies", "analyst").await;
    s.post(
        "/api/v1/users",
        "admin",
        json!({"name": "Clerk Again", "email": "clerk@contract.example", "role": "clerk"}),
    )
    .await;
    s.post(
        "/api/v1/users",
        "admin",
        json!({"name": "  ", "email": "not-an-email", "role": "clerk"}),
    )
    .await;
    s.post(
        "/api/v1/users",
        "admin",
        json!({"name": "Judge", "email": "judge@contract.example", "role": "judge"}),
    )
    .await;
    s.post(
        "/api/v1/users",
        "admin",
        json!({"name": "Extra", "email": "extra@contract.example", "role": "clerk", "team": "b"}),
    )
    .await;
    s.raw(
        Method::POST,
        "/api/v1/users",
        "application/json",
        b"{\"name\": ",
    )
    .await;
    s.get("/api/v1/users", "clerk").await;
    s.get("/api/v1/users", "coordinator").await;
    s.post(
        "/api/v1/users",
        "coordinator",
        json!({"name": "Self Made", "email": "self@contract.example", "role": "admin"}),
    )
    .await;
    s.get("/api/v1/users", "no token").await;
    s.get("/api/v1/users", "bad token").await;
    s.send(Method::PUT, "/api/v1/users", "admin", Body::None, &[])
        .await;

    // Rotation: the old token stops working, the new one works.
    let res = s
        .post(
            "/api/v1/users",
            "admin",
            json!({"name": "Temporary Clerk", "email": "temp@contract.example", "role": "clerk"}),
        )
        .await;
    s.expect(&res, 201);
    let (temp_id, old_token) = user_of(&res);
    s.tokens.insert("temp clerk".into(), old_token);
    s.get("/api/v1/requests", "temp clerk").await;
    let res = s
        .send(
            Method::POST,
            &format!("/api/v1/users/{temp_id}/tokens"),
            "admin",
            Body::None,
            &[],
        )
        .await;
    s.expect(&res, 200);
    let new_token = res.body["token"].as_str().unwrap_or("").to_string();
    let old = s.tokens.insert("temp clerk".into(), new_token).unwrap();
    s.tokens.insert("temp clerk, old token".into(), old);
    s.get("/api/v1/requests", "temp clerk, old token").await;
    s.get("/api/v1/requests", "temp clerk").await;
    s.send(
        Method::POST,
        &format!("/api/v1/users/{temp_id}/tokens"),
        "clerk",
        Body::None,
        &[],
    )
    .await;
    s.send(
        Method::POST,
        &format!("/api/v1/users/{UNKNOWN_ID}/tokens"),
        "admin",
        Body::None,
        &[],
    )
    .await;
    s.send(
        Method::GET,
        &format!("/api/v1/users/{temp_id}/tokens"),
        "admin",
        Body::None,
        &[],
    )
    .await;

    // Deactivation: the token stops working; the user stays listed.
    let res = s.delete(&format!("/api/v1/users/{temp_id}"), "admin").await;
    s.expect(&res, 200);
    s.get("/api/v1/requests", "temp clerk").await;
    s.delete(&format!("/api/v1/users/{temp_id}"), "admin").await;
    s.send(
        Method::POST,
        &format!("/api/v1/users/{temp_id}/tokens"),
        "admin",
        Body::None,
        &[],
    )
    .await;
    s.delete(&format!("/api/v1/users/{UNKNOWN_ID}"), "admin")
        .await;
    s.delete("/api/v1/users/not-a-uuid", "admin").await;
    s.delete(&format!("/api/v1/users/{admin_id}"), "clerk")
        .await;
    s.get(&format!("/api/v1/users/{admin_id}"), "admin").await;
    s.get("/api/v1/users", "admin").await;
}

/// The requests the alerts area works on.
struct Ids {
    /// Sent on 2025-03-14, refused.
    refused: String,
    /// A draft, sent, then answered and executed.
    executed: String,
    /// Sent 2024-11-04, abandoned.
    abandoned: String,
}

/// One request's life: create, read, edit, move, annotate, and the errors.
async fn requests(s: &mut Scenario) -> Ids {
    s.area = "requests";
    let draft = s.create("clerk", draft_body("CONTRACT-DRAFT")).await;
    let mut typed = sent_body("CONTRACT-SENT", "2025-03-14");
    typed["reference"] = json!("PARQUET/2025:412");
    typed["target_country"] = json!("vn");
    typed["priority"] = json!("normal");
    typed["legal_basis"] = json!("bilateral_treaty");
    let refused = s.create("coordinator", typed).await;

    // Creation errors.
    let mut again = draft_body("CONTRACT-DUPLICATE");
    again["reference"] = json!("PARQUET/2025:412");
    s.post("/api/v1/requests", "clerk", again).await;
    s.post(
        "/api/v1/requests",
        "clerk",
        json!({
            "case_reference": "",
            "title": "x",
            "issuing_magistrate": {"name": "Juge", "court": "TJ Lyon", "email": "not-an-email"},
            "target_country": "zz",
            "channel": "carrier_pigeon",
            "offences": ["child_sexual_exploitation", "jaywalking"],
            "measures": "identify_victims",
            "priority": "urgent",
            "status": "sent",
            "colour": "red"
        }),
    )
    .await;
    s.post(
        "/api/v1/requests",
        "clerk",
        json!({"case_reference": "CONTRACT-MISSING", "sent_at": "2026-07-01"}),
    )
    .await;
    s.raw(
        Method::POST,
        "/api/v1/requests",
        "application/json",
        b"{\"title\": ",
    )
    .await;
    s.raw(
        Method::POST,
        "/api/v1/requests",
        "application/json",
        b"[1, 2, 3]",
    )
    .await;
    s.raw(Method::POST, "/api/v1/requests", "application/json", b"")
        .await;
    s.raw(
        Method::POST,
        "/api/v1/requests",
        "text/plain",
        b"{\"title\": \"x\"}",
    )
    .await;
    let limit = 1_048_576;
    let mut big = draft_body("CONTRACT-BIG");
    big["outcome_note"] = json!("");
    let base = serde_json::to_vec(&big).unwrap().len();
    big["outcome_note"] = json!("n".repeat(limit + 1 - base));
    let bytes = serde_json::to_vec(&big).unwrap();
    assert_eq!(bytes.len(), limit + 1);
    s.send(
        Method::POST,
        "/api/v1/requests",
        "admin",
        Body::Raw {
            content_type: "application/json",
            bytes,
            shown: Some(format!(
                "(a valid creation body of {} bytes, one over server.body_limit_bytes)",
                limit + 1
            )),
        },
        &[],
    )
    .await;
    s.post("/api/v1/requests", "no token", draft_body("CONTRACT-ANON"))
        .await;
    s.post(
        "/api/v1/requests",
        "analyst",
        draft_body("CONTRACT-ANALYST"),
    )
    .await;

    // Reading.
    let path = format!("/api/v1/requests/{draft}");
    s.get(&path, "clerk").await;
    s.get(&path, "analyst").await;
    s.get(&path, "bad token").await;
    s.get(&format!("/api/v1/requests/{UNKNOWN_ID}"), "clerk")
        .await;
    s.get("/api/v1/requests/not-a-uuid", "clerk").await;
    s.get(&format!("/api/v1/requests/{UNKNOWN_ID}/events"), "clerk")
        .await;
    s.delete("/api/v1/requests", "admin").await;
    s.send(Method::PUT, &path, "admin", Body::None, &[]).await;
    s.delete(&path, "admin").await;
    s.get(&format!("{path}/transitions"), "admin").await;

    // Editing.
    s.send(
        Method::PATCH,
        &path,
        "clerk",
        Body::Json(json!({"title": "Changed"})),
        &[],
    )
    .await;
    let res = s
        .patch(
            &path,
            "coordinator",
            "\"1\"",
            json!({
                "title": "Live-streamed abuse: identify the victims and the buyers",
                "requested_authority": "DOJ Office of Cybercrime",
                "needed_by": "2026-07-10",
                "measures": ["identify_victims", "subscriber_data", "bank_records"]
            }),
        )
        .await;
    s.expect(&res, 200);
    s.patch(&path, "clerk", "\"1\"", json!({"title": "Stale"}))
        .await;
    s.patch(&path, "clerk", "*", json!({"title": "Any"})).await;
    s.patch(
        &path,
        "clerk",
        "\"2\"",
        json!({"priority": "whenever", "victims_identified": -1, "reference": "OTHER", "status": "sent"}),
    )
    .await;
    s.patch(&path, "analyst", "\"2\"", json!({"title": "Analyst"}))
        .await;
    s.patch(
        &format!("/api/v1/requests/{UNKNOWN_ID}"),
        "clerk",
        "\"1\"",
        json!({"title": "Nobody"}),
    )
    .await;
    // A weak tag never matches (If-Match compares strongly): 400.
    for tag in ["W/\"2\"", "\"2\""] {
        s.send(
            Method::PATCH,
            &path,
            "clerk",
            Body::Raw {
                content_type: "application/merge-patch+json",
                bytes: br#"{"foreign_reference": "DOJ-OOC-2026-117"}"#.to_vec(),
                shown: None,
            },
            &[("If-Match", tag)],
        )
        .await;
    }

    // Transitions.
    let moves = format!("{path}/transitions");
    let res = s
        .transition(&draft, "clerk", transition_to("sent", "2026-06-15"))
        .await;
    s.expect(&res, 200);
    s.transition(&draft, "clerk", transition_to("draft", "2026-06-15"))
        .await;
    s.transition(&draft, "clerk", transition_to("acknowledged", "2027-01-01"))
        .await;
    s.transition(
        &draft,
        "clerk",
        json!({"to": "abandoned", "effective_date": "2026-06-15"}),
    )
    .await;
    s.transition(
        &draft,
        "clerk",
        json!({"to": "lost", "effective_date": "2026-13-01", "why": "no"}),
    )
    .await;
    s.send(
        Method::POST,
        &moves,
        "clerk",
        Body::Json(transition_to("acknowledged", "2026-06-15")),
        &[("If-Match", "\"1\"")],
    )
    .await;
    let res = s
        .send(
            Method::POST,
            &moves,
            "clerk",
            Body::Json(transition_to("acknowledged", "2026-06-15")),
            &[("If-Match", "\"4\"")],
        )
        .await;
    s.expect(&res, 200);
    s.transition(
        &draft,
        "coordinator",
        json!({"to": "in_execution", "effective_date": "2026-06-15",
               "note": "The DOJ opened a case file"}),
    )
    .await;
    s.transition(
        &draft,
        "coordinator",
        json!({"to": "executed", "effective_date": "2026-06-15",
               "measure_outcomes": {"identify_victims": "executed", "bank_records": "data_not_held"},
               "note": "Three children identified"}),
    )
    .await;
    s.transition(
        &draft,
        "coordinator",
        transition_to("in_execution", "2026-06-15"),
    )
    .await;
    s.transition(&draft, "analyst", transition_to("withdrawn", "2026-06-15"))
        .await;
    s.transition(UNKNOWN_ID, "clerk", transition_to("sent", "2026-06-15"))
        .await;
    s.raw(
        Method::POST,
        &moves,
        "application/json",
        b"{\"to\": \"sent\",",
    )
    .await;
    s.raw(Method::POST, &moves, "application/xml", b"<to>sent</to>")
        .await;

    // Milestones: the requested state's receipt, recognition, extension.
    let milestones = format!("{path}/milestones");
    let res = s
        .post(
            &milestones,
            "clerk",
            json!({"kind": "received", "effective_date": "2026-06-15",
                   "note": "Receipt stamped on the transmission proof"}),
        )
        .await;
    s.expect(&res, 200);
    s.post(
        &milestones,
        "clerk",
        json!({"kind": "received", "effective_date": "2026-06-13"}),
    )
    .await;
    let res = s
        .post(
            &milestones,
            "coordinator",
            json!({"kind": "recognised", "effective_date": "2026-06-15"}),
        )
        .await;
    s.expect(&res, 200);
    s.post(
        &milestones,
        "clerk",
        json!({"kind": "deadline_extended", "effective_date": "2026-06-15",
               "extended_to": "2026-06-01", "note": 7}),
    )
    .await;
    s.post(
        &milestones,
        "clerk",
        json!({"kind": "recognized", "effective_date": "2026-06-15", "when": "now"}),
    )
    .await;
    let res = s
        .send(
            Method::POST,
            &milestones,
            "coordinator",
            Body::Json(
                json!({"kind": "deadline_extended", "effective_date": "2026-06-15",
                              "extended_to": "2026-09-15",
                              "reason": "The witness is abroad until September"}),
            ),
            &[("If-Match", "\"9\"")],
        )
        .await;
    s.expect(&res, 200);
    s.send(
        Method::POST,
        &milestones,
        "coordinator",
        Body::Json(json!({"kind": "received", "effective_date": "2026-06-15"})),
        &[("If-Match", "\"3\"")],
    )
    .await;
    s.post(
        &milestones,
        "analyst",
        json!({"kind": "received", "effective_date": "2026-06-15"}),
    )
    .await;
    s.post(
        &format!("/api/v1/requests/{UNKNOWN_ID}/milestones"),
        "clerk",
        json!({"kind": "received", "effective_date": "2026-06-15"}),
    )
    .await;

    s.transition(
        &refused,
        "coordinator",
        json!({"to": "refused", "effective_date": "2025-09-01",
               "refusal_ground": "dual_criminality",
               "note": "Not an offence under the requested state's law"}),
    )
    .await;

    let mut body = sent_body("CONTRACT-ABANDON", "2024-11-04");
    body["target_country"] = json!("NG");
    body["priority"] = json!("normal");
    let abandoned = s.create("clerk", body).await;
    s.transition(
        &abandoned,
        "clerk",
        json!({"to": "abandoned", "effective_date": "2026-06-02", "abandonment_reason": "other"}),
    )
    .await;
    s.transition(
        &abandoned,
        "clerk",
        json!({"to": "abandoned", "effective_date": "2026-06-02",
               "abandonment_reason": "no_response",
               "note": "No answer after three reminders through the embassy"}),
    )
    .await;

    let withdrawn = s.create("clerk", draft_body("CONTRACT-WITHDRAWN")).await;
    s.transition(
        &withdrawn,
        "clerk",
        transition_to("withdrawn", "2026-06-15"),
    )
    .await;

    // Notes.
    let notes = format!("{path}/notes");
    s.post(
        &notes,
        "clerk",
        json!({"text": "Called the central authority: they confirm receipt."}),
    )
    .await;
    s.post(
        &notes,
        "coordinator",
        json!({"text": "Liaison magistrate briefed.", "effective_date": "2026-06-02"}),
    )
    .await;
    s.post(&notes, "clerk", json!({"text": "   "})).await;
    s.post(
        &notes,
        "clerk",
        json!({"text": "Later", "effective_date": "2030-01-01"}),
    )
    .await;
    s.post(&notes, "clerk", json!({"text": "Pinned", "pinned": true}))
        .await;
    s.post(&notes, "clerk", json!({})).await;
    s.post(&notes, "analyst", json!({"text": "Analyst note"}))
        .await;
    s.post(
        &format!("/api/v1/requests/{UNKNOWN_ID}/notes"),
        "clerk",
        json!({"text": "Nobody"}),
    )
    .await;
    s.raw(Method::POST, &notes, "application/json", b"\"just text\"")
        .await;

    // Histories.
    s.get(&format!("{path}/events"), "coordinator").await;
    s.get(&format!("/api/v1/requests/{refused}/events"), "clerk")
        .await;
    s.get(&format!("/api/v1/requests/{abandoned}/events"), "admin")
        .await;
    s.get(&format!("{path}/events"), "analyst").await;
    s.get(&path, "admin").await;

    Ids {
        refused,
        executed: draft,
        abandoned,
    }
}

/// `PATCH path` with `If-Match` when given.
async fn patch_maybe(
    s: &mut Scenario,
    path: &str,
    who: &str,
    if_match: Option<&str>,
    body: Value,
) -> Resp {
    let headers: Vec<(&str, &str)> = if_match.map(|v| ("If-Match", v)).into_iter().collect();
    s.send(Method::PATCH, path, who, Body::Json(body), &headers)
        .await
}

/// Cases: opened on their own and by a request, requests filed under them
/// by id and by reference, moved, linked; the victims recorded on the case.
/// Every request here is sent in 2022 (dates no other area uses) and
/// closed, so the lists, alerts and statistics stay in a stable order.
async fn cases(s: &mut Scenario) {
    s.area = "cases";
    let res = s
        .post(
            "/api/v1/cases",
            "clerk",
            json!({"case_reference": "CONTRACT-CASE-1",
                   "title": "Live-streamed abuse ordered from Lyon",
                   "issuing_magistrate": {"name": "Juge B. Durand", "court": "Tribunal judiciaire de Lyon"},
                   "offences": ["livestreamed_child_sexual_abuse"],
                   "trial_date": "2027-03-15"}),
        )
        .await;
    s.expect(&res, 201);
    let case = id(&res);
    let path = format!("/api/v1/cases/{case}");
    // Refusals: the same reference, bad fields, an analyst.
    s.post(
        "/api/v1/cases",
        "clerk",
        json!({"case_reference": "CONTRACT-CASE-1", "title": "Again",
               "issuing_magistrate": {"name": "Juge"}}),
    )
    .await;
    s.post(
        "/api/v1/cases",
        "clerk",
        json!({"case_reference": " ", "issuing_magistrate": {}, "offences": ["arson"],
               "victims_identified": -1, "victims_safeguarded": 2,
               "foreign_proceedings_opened": "perhaps", "version": 2}),
    )
    .await;
    s.post(
        "/api/v1/cases",
        "analyst",
        json!({"case_reference": "CONTRACT-ANALYST", "title": "x",
               "issuing_magistrate": {"name": "x"}}),
    )
    .await;

    // Requests filed under it: by id, then by reference.
    let mut body = sent_body("ignored", "2022-03-07");
    body.as_object_mut().unwrap().remove("case_reference");
    body["case_id"] = json!(case);
    body["measures"] = json!(["identify_victims", "subscriber_data"]);
    let first = s.create("clerk", body).await;
    let mut body = sent_body("CONTRACT-CASE-1", "2022-05-16");
    body["target_country"] = json!("US");
    body["legal_basis"] = json!("bilateral_treaty");
    body["channel"] = json!("central_authority");
    body["facilitators"] = json!(["liaison_magistrate"]);
    body["priority"] = json!("normal");
    let second = s.create("coordinator", body).await;
    // The case and the reference must agree; a facilitator is no channel.
    let mut body = sent_body("CONTRACT-CASE-9", "2022-05-16");
    body["case_id"] = json!(case);
    s.post("/api/v1/requests", "clerk", body).await;
    let mut body = sent_body("CONTRACT-CASE-1", "2022-05-16");
    body["channel"] = json!("eurojust");
    s.post("/api/v1/requests", "clerk", body).await;
    let mut body = draft_body("x");
    body.as_object_mut().unwrap().remove("case_reference");
    body["case_id"] = json!(UNKNOWN_ID);
    s.post("/api/v1/requests", "clerk", body).await;

    // A third, filed under a new reference (which opens a case), then moved.
    let mut body = sent_body("CONTRACT-CASE-2", "2022-10-03");
    body["target_country"] = json!("US");
    body["legal_basis"] = json!("bilateral_treaty");
    body["channel"] = json!("central_authority");
    body["priority"] = json!("normal");
    let third = s.create("clerk", body).await;
    let res = s.get(&format!("/api/v1/requests/{third}"), "clerk").await;
    let opened = res.body["case_id"].as_str().unwrap_or("no-id").to_string();
    s.get(&format!("/api/v1/cases/{opened}/events"), "clerk")
        .await;
    let res = s
        .patch(
            &format!("/api/v1/requests/{third}"),
            "clerk",
            "\"1\"",
            json!({"case_reference": "CONTRACT-CASE-1", "facilitators": ["interpol"]}),
        )
        .await;
    s.expect(&res, 200);
    s.patch(
        &format!("/api/v1/requests/{third}"),
        "clerk",
        "\"2\"",
        json!({"case_id": null}),
    )
    .await;

    // Their fates: executed with what became of each measure, refused.
    let res = s
        .transition(
            &first,
            "coordinator",
            json!({"to": "executed", "effective_date": "2022-09-01",
                   "measure_outcomes": {"identify_victims": "executed",
                                        "subscriber_data": "data_not_held"}}),
        )
        .await;
    s.expect(&res, 200);
    s.transition(
        &second,
        "coordinator",
        json!({"to": "refused", "effective_date": "2022-08-01",
               "refusal_ground": "evidentiary_threshold_not_met"}),
    )
    .await;
    s.transition(
        &third,
        "coordinator",
        json!({"to": "executed", "effective_date": "2022-12-12",
               "measure_outcomes": {"bank_records": "executed"}}),
    )
    .await;
    let res = s
        .transition(
            &third,
            "coordinator",
            json!({"to": "executed", "effective_date": "2022-12-12",
                   "measure_outcomes": {"identify_victims": "executed"}}),
        )
        .await;
    s.expect(&res, 200);
    s.patch(
        &format!("/api/v1/requests/{third}"),
        "clerk",
        "\"3\"",
        json!({"measure_outcomes": {"identify_victims": "refused"}}),
    )
    .await;

    // Links: the third reissues the refused second.
    let links = format!("/api/v1/requests/{third}/links");
    let res = s
        .post(
            &links,
            "clerk",
            json!({"kind": "reissued_after_refusal", "to": second}),
        )
        .await;
    s.expect(&res, 201);
    s.post(
        &format!("/api/v1/requests/{second}/links"),
        "clerk",
        json!({"kind": "supersedes", "to": third}),
    )
    .await;
    s.post(
        &links,
        "clerk",
        json!({"kind": "follow_up_of", "to": third}),
    )
    .await;
    s.post(
        &links,
        "clerk",
        json!({"kind": "follow_up_of", "to": UNKNOWN_ID}),
    )
    .await;
    s.post(&links, "clerk", json!({"kind": "replaces", "to": "MLA-1"}))
        .await;
    s.post(
        &links,
        "analyst",
        json!({"kind": "follow_up_of", "to": first}),
    )
    .await;
    // One made by mistake, then removed from its other end.
    let res = s
        .post(
            &format!("/api/v1/requests/{second}/links"),
            "coordinator",
            json!({"kind": "follow_up_of", "to": first}),
        )
        .await;
    s.expect(&res, 201);
    let mistake = id(&res);
    let res = s
        .delete(
            &format!("/api/v1/requests/{first}/links/{mistake}"),
            "clerk",
        )
        .await;
    s.expect(&res, 200);
    s.delete(
        &format!("/api/v1/requests/{first}/links/{mistake}"),
        "clerk",
    )
    .await;
    s.delete(
        &format!("/api/v1/requests/{second}/links/{mistake}"),
        "analyst",
    )
    .await;
    s.get(&format!("/api/v1/requests/{third}"), "clerk").await;
    s.get(&format!("/api/v1/requests/{second}/events"), "clerk")
        .await;

    // The victims, on the case, once.
    patch_maybe(s, &path, "clerk", None, json!({"victims_identified": 3})).await;
    patch_maybe(
        s,
        &path,
        "clerk",
        Some("*"),
        json!({"victims_identified": 3}),
    )
    .await;
    patch_maybe(
        s,
        &path,
        "clerk",
        Some("\"1\""),
        json!({"victims_identified": 3, "victims_safeguarded": 4}),
    )
    .await;
    let res = patch_maybe(
        s,
        &path,
        "clerk",
        Some("\"1\""),
        json!({"victims_identified": 3, "victims_safeguarded": 3,
               "foreign_proceedings_opened": "yes"}),
    )
    .await;
    s.expect(&res, 200);
    patch_maybe(s, &path, "clerk", Some("\"1\""), json!({"title": "Stale"})).await;
    patch_maybe(
        s,
        &path,
        "coordinator",
        Some("\"2\""),
        json!({"case_reference": "CONTRACT-CASE-2"}),
    )
    .await;
    patch_maybe(
        s,
        &path,
        "analyst",
        Some("\"2\""),
        json!({"title": "Analyst"}),
    )
    .await;
    patch_maybe(
        s,
        &format!("/api/v1/cases/{UNKNOWN_ID}"),
        "clerk",
        Some("\"1\""),
        json!({"title": "Nobody"}),
    )
    .await;

    // Reading.
    s.get(&path, "clerk").await;
    s.get(&path, "analyst").await;
    s.get(&format!("{path}/events"), "coordinator").await;
    s.get(&format!("{path}/events"), "analyst").await;
    s.get(&format!("/api/v1/cases/{UNKNOWN_ID}"), "clerk").await;
    s.get("/api/v1/cases/not-a-uuid", "clerk").await;
    s.get("/api/v1/cases?sort=case_reference", "clerk").await;
    let res = s
        .get("/api/v1/cases?sort=case_reference&limit=2", "admin")
        .await;
    let cursor = res.body["next_cursor"].as_str().unwrap_or("").to_string();
    s.get(
        &format!(
            "/api/v1/cases?sort=case_reference&limit=2&{}",
            common::query(&[("cursor", &cursor)])
        ),
        "admin",
    )
    .await;
    s.get(
        "/api/v1/cases?country=us&offence=livestreamed_child_sexual_abuse&q=lyon",
        "coordinator",
    )
    .await;
    s.get(
        "/api/v1/cases?trial_from=2027-01-01&trial_to=2027-12-31",
        "clerk",
    )
    .await;
    s.get(
        "/api/v1/cases?sort=title&offence=arson&trial_from=2027-02-01&trial_to=2027-01-01&status=sent",
        "clerk",
    )
    .await;
    s.get("/api/v1/cases?cursor=garbage", "clerk").await;
    s.get("/api/v1/cases", "analyst").await;
    s.send(Method::PUT, &path, "admin", Body::None, &[]).await;
}

/// A portfolio entered through the API for the statistics and the alerts:
/// (case, country, priority, legal basis, sent_at, moves as (status, date,
/// reason or ground)).
type Move = (&'static str, &'static str, Option<&'static str>);
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [Move],
);
const PORTFOLIO: &[Case] = &[
    (
        "PF-PH-1",
        "PH",
        "normal",
        "untoc",
        "2023-02-10",
        &[
            ("acknowledged", "2023-03-01", None),
            ("executed", "2023-09-15", None),
        ],
    ),
    (
        "PF-PH-2",
        "PH",
        "normal",
        "untoc",
        "2023-06-05",
        &[("abandoned", "2025-01-10", Some("no_response"))],
    ),
    (
        "PF-PH-3",
        "PH",
        "normal",
        "untoc",
        "2024-01-22",
        &[
            ("acknowledged", "2024-02-16", None),
            ("in_execution", "2024-05-02", None),
        ],
    ),
    ("PF-PH-4", "PH", "normal", "untoc", "2024-07-01", &[]),
    (
        "PF-PH-5",
        "PH",
        "normal",
        "bilateral_treaty",
        "2025-02-03",
        &[("refused", "2025-04-10", Some("insufficient_information"))],
    ),
    ("PF-PH-6", "PH", "urgent", "untoc", "2025-09-12", &[]),
    ("PF-PH-7", "PH", "normal", "untoc", "2026-03-02", &[]),
    ("PF-PH-8", "PH", "urgent", "untoc", "2026-05-20", &[]),
    (
        "PF-NG-1",
        "NG",
        "normal",
        "uncac",
        "2023-04-11",
        &[("abandoned", "2024-10-01", Some("case_closed"))],
    ),
    (
        "PF-NG-2",
        "NG",
        "normal",
        "uncac",
        "2023-11-30",
        &[
            ("acknowledged", "2024-03-04", None),
            ("refused", "2024-06-03", Some("fiscal_offence")),
        ],
    ),
    ("PF-NG-3", "NG", "normal", "uncac", "2024-05-06", &[]),
    (
        "PF-NG-4",
        "NG",
        "normal",
        "reciprocity",
        "2025-01-15",
        &[("additional_info_requested", "2025-03-03", None)],
    ),
    (
        "PF-NG-5",
        "NG",
        "normal",
        "uncac",
        "2025-10-01",
        &[("acknowledged", "2025-10-21", None)],
    ),
    (
        "PF-NG-6",
        "NG",
        "normal",
        "uncac",
        "2026-01-12",
        &[("withdrawn", "2026-02-02", None)],
    ),
    (
        "PF-DE-1",
        "DE",
        "normal",
        "eio_directive",
        "2023-01-09",
        &[
            ("acknowledged", "2023-01-20", None),
            ("executed", "2023-03-01", None),
        ],
    ),
    (
        "PF-DE-2",
        "DE",
        "normal",
        "eio_directive",
        "2023-08-14",
        &[("executed", "2023-10-02", None)],
    ),
    (
        "PF-DE-3",
        "DE",
        "normal",
        "eio_directive",
        "2024-03-18",
        &[
            ("acknowledged", "2024-03-26", None),
            ("partially_executed", "2024-07-01", None),
        ],
    ),
    (
        "PF-DE-4",
        "DE",
        "normal",
        "eio_directive",
        "2024-10-07",
        &[
            ("in_execution", "2024-10-21", None),
            ("executed", "2025-01-31", None),
        ],
    ),
    (
        "PF-DE-5",
        "DE",
        "urgent",
        "eio_directive",
        "2025-06-02",
        &[
            ("acknowledged", "2025-06-10", None),
            ("executed", "2025-08-20", None),
        ],
    ),
    (
        "PF-DE-6",
        "DE",
        "normal",
        "eio_directive",
        "2026-04-01",
        &[("acknowledged", "2026-04-08", None)],
    ),
    (
        "PF-US-1",
        "US",
        "normal",
        "bilateral_treaty",
        "2023-05-22",
        &[
            ("acknowledged", "2023-07-03", None),
            ("executed", "2024-01-15", None),
        ],
    ),
    (
        "PF-US-2",
        "US",
        "normal",
        "bilateral_treaty",
        "2024-09-09",
        &[("refused", "2024-12-02", Some("insufficient_information"))],
    ),
    (
        "PF-US-3",
        "US",
        "normal",
        "budapest_convention",
        "2025-11-17",
        &[],
    ),
    (
        "PF-BR-1",
        "BR",
        "normal",
        "untoc",
        "2024-02-12",
        &[("abandoned", "2025-06-30", Some("no_longer_needed"))],
    ),
    ("PF-BR-2", "BR", "normal", "untoc", "2025-05-05", &[]),
];

/// Preserved data: recorded, listed, renewed, released; the refusals.
async fn preservations(s: &mut Scenario, ids: &Ids) {
    s.area = "preservations";
    // Budapest art. 29 asked on 2026-04-20: kept 60 days, until 2026-06-19.
    let res = s
        .post(
            "/api/v1/preservations",
            "clerk",
            json!({"request_id": ids.abandoned, "holder": "Example Telecom (fictitious)",
                   "country": "PH", "legal_basis": "budapest_art29", "sent_at": "2026-04-20",
                   "note": "Subscriber and traffic data of two accounts"}),
        )
        .await;
    s.expect(&res, 201);
    let kept = id(&res);
    let res = s
        .post(
            "/api/v1/preservations",
            "coordinator",
            json!({"request_id": ids.refused, "holder": "Example Mail Inc. (fictitious)",
                   "country": "US", "legal_basis": "us_2703f", "sent_at": "2026-05-02"}),
        )
        .await;
    s.expect(&res, 201);
    let released = id(&res);
    // Left alone: the alerts area warns that it expires on 2026-06-24.
    let res = s
        .post(
            "/api/v1/preservations",
            "clerk",
            json!({"request_id": ids.abandoned, "holder": "Example Host (fictitious)",
                   "country": "PH", "legal_basis": "budapest_art29", "sent_at": "2026-04-25"}),
        )
        .await;
    s.expect(&res, 201);
    // Refusals: no owner and no period in law, an unknown request, an analyst.
    s.post(
        "/api/v1/preservations",
        "clerk",
        json!({"holder": " ", "country": "PH", "legal_basis": "domestic",
               "sent_at": "2026-06-16"}),
    )
    .await;
    s.post(
        "/api/v1/preservations",
        "clerk",
        json!({"request_id": UNKNOWN_ID, "holder": "H", "country": "PH",
               "legal_basis": "budapest_art29", "sent_at": "2026-06-01"}),
    )
    .await;
    s.post(
        "/api/v1/preservations",
        "analyst",
        json!({"request_id": ids.refused, "holder": "H", "country": "PH",
               "legal_basis": "budapest_art29", "sent_at": "2026-06-01"}),
    )
    .await;

    let res = s
        .get("/api/v1/preservations?expiring_within=30", "coordinator")
        .await;
    s.expect(&res, 200);
    s.get(
        &format!("/api/v1/preservations?request_id={}", ids.refused),
        "clerk",
    )
    .await;
    s.get("/api/v1/preservations?expiring_within=soon", "clerk")
        .await;
    let res = s
        .get(&format!("/api/v1/preservations/{kept}"), "clerk")
        .await;
    s.expect(&res, 200);
    s.get(&format!("/api/v1/preservations/{UNKNOWN_ID}"), "clerk")
        .await;
    s.get(&format!("/api/v1/preservations/{kept}"), "analyst")
        .await;

    // Renewed with If-Match; the same version again is stale.
    let renewal = json!({"effective_date": "2026-06-15", "expires_on": "2026-08-18",
                         "note": "Renewal asked by the 24/7 network"});
    let path = format!("/api/v1/preservations/{kept}/renewals");
    let res = s
        .send(
            Method::POST,
            &path,
            "clerk",
            Body::Json(renewal.clone()),
            &[("If-Match", "\"1\"")],
        )
        .await;
    s.expect(&res, 200);
    s.send(
        Method::POST,
        &path,
        "clerk",
        Body::Json(renewal),
        &[("If-Match", "\"1\"")],
    )
    .await;
    s.post(
        &path,
        "clerk",
        json!({"effective_date": "2026-06-15", "expires_on": "2026-06-01"}),
    )
    .await;

    // Released, then released again.
    let path = format!("/api/v1/preservations/{released}/release");
    let res = s
        .post(
            &path,
            "coordinator",
            json!({"note": "The request was refused"}),
        )
        .await;
    s.expect(&res, 200);
    s.post(&path, "coordinator", json!({})).await;
}

async fn portfolio(s: &mut Scenario) {
    s.area = "portfolio";
    for (i, (case, country, priority, basis, sent_at, moves)) in PORTFOLIO.iter().enumerate() {
        let mut body = sent_body(case, sent_at);
        body["target_country"] = json!(country);
        body["priority"] = json!(priority);
        body["legal_basis"] = json!(basis);
        if *basis == "eio_directive" {
            body["channel"] = json!("direct_judicial");
        }
        // Alternate who enters them, so `created_by` and the creators'
        // alerts vary.
        let who = ["clerk", "coordinator", "admin"][i % 3];
        let id = s.create(who, body).await;
        for (to, date, why) in moves.iter() {
            let mut body = transition_to(to, date);
            match (*to, why) {
                ("abandoned", Some(reason)) => body["abandonment_reason"] = json!(reason),
                ("refused", Some(ground)) => body["refusal_ground"] = json!(ground),
                _ => {}
            }
            let res = s.transition(&id, who, body).await;
            s.expect(&res, 200);
        }
    }
    // One request left as a draft. Only one request of each priority may
    // lack a `sent_at`: lists sorted by `sent_at` put those last by id,
    // which is random.
    let mut body = draft_body("PF-DRAFT");
    body["target_country"] = json!("BR");
    body["priority"] = json!("normal");
    s.create("clerk", body).await;
}

/// `GET /requests`: filters, sorts, pages, and bad queries.
async fn list(s: &mut Scenario) {
    s.area = "list";
    let res = s.get("/api/v1/requests?limit=4", "clerk").await;
    let cursor = res.body["next_cursor"].as_str().unwrap_or("").to_string();
    s.get(
        &format!(
            "/api/v1/requests?limit=4&{}",
            common::query(&[("cursor", &cursor)])
        ),
        "clerk",
    )
    .await;
    // Every request by reference, in pages of 12.
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut path = "/api/v1/requests?sort=reference&limit=12".to_string();
        if let Some(c) = &cursor {
            path.push('&');
            path.push_str(&common::query(&[("cursor", c)]));
        }
        let res = s.get(&path, "admin").await;
        match res.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let reference_cursor = cursor.unwrap_or_default();
    for query in [
        "status=sent&country=ph",
        "status=acknowledged,in_execution&status=partially_executed&sort=status_since",
        "priority=urgent&sort=-sent_at",
        "legal_basis=eio_directive&sort=sent_at&limit=3",
        "q=contract&sort=reference",
        "q=PF-NG&sent_from=2024-01-01&sent_to=2025-12-31&sort=-status_since",
        "sent_from=2026-01-01&sort=sent_at",
        "status=draft,withdrawn&sort=-reference",
        "country=JP",
    ] {
        s.get(&format!("/api/v1/requests?{query}"), "coordinator")
            .await;
    }
    for query in [
        "status=lost&limit=500&colour=red&sort=title&country=XX&priority=",
        "sent_from=2025-01-01&sent_to=2024-01-01&legal_basis=napoleonic_code",
        "limit=0&q=",
        "status=&sent_from=yesterday",
    ] {
        s.get(&format!("/api/v1/requests?{query}"), "clerk").await;
    }
    s.get("/api/v1/requests?cursor=garbage", "clerk").await;
    s.get(
        &format!(
            "/api/v1/requests?sort=-reference&{}",
            common::query(&[("cursor", &reference_cursor)])
        ),
        "clerk",
    )
    .await;
    s.get("/api/v1/requests", "analyst").await;
    s.get("/api/v1/requests", "no token").await;
}

/// The register as a file: CSV as text (the XLSX is read in
/// tests/api/export.rs), in either language, and the refusals.
async fn export(s: &mut Scenario) {
    s.area = "export";
    let path = "/api/v1/requests/export";
    s.get(
        &format!("{path}?format=csv&status=sent&country=ph&sort=reference&lang=fr"),
        "clerk",
    )
    .await;
    s.get(&format!("{path}?country=JP&lang=en"), "coordinator")
        .await;
    s.get(
        &format!("{path}?format=xlsx&status=sent&country=ph"),
        "admin",
    )
    .await;
    s.get(
        &format!("{path}?format=pdf&limit=5&sent_from=2025-01-01&sent_to=2024-01-01"),
        "clerk",
    )
    .await;
    s.get(path, "analyst").await;
    s.get(path, "no token").await;
}

/// Rules, the stalled list, follow-ups, snoozes, runs and notifications.
async fn alerts(s: &mut Scenario, ids: &Ids) {
    s.area = "alerts";
    s.get("/api/v1/alerts/rules", "clerk").await;
    s.get("/api/v1/alerts/rules", "analyst").await;
    s.get("/api/v1/alerts/stalled", "clerk").await;
    s.get("/api/v1/alerts/stalled?country=ph&level=2", "coordinator")
        .await;
    s.get("/api/v1/alerts/stalled?limit=3", "coordinator").await;
    s.get(
        "/api/v1/alerts/stalled?level=0&include_snoozed=maybe&limit=0&country=XX&colour=red",
        "clerk",
    )
    .await;
    s.get("/api/v1/alerts/stalled", "analyst").await;
    s.send(
        Method::POST,
        "/api/v1/alerts/stalled",
        "admin",
        Body::None,
        &[],
    )
    .await;

    // A follow-up on the stalled, unanswered PF-PH-4, found through the list.
    let res = s.get("/api/v1/requests?q=PF-PH-4&limit=1", "clerk").await;
    let chased = res.body["items"][0]["id"]
        .as_str()
        .unwrap_or("no-id")
        .to_string();
    let follow = format!("/api/v1/requests/{chased}/follow-ups");
    let res = s
        .post(
            &follow,
            "clerk",
            json!({"channel": "diplomatic", "effective_date": "2026-06-01",
                   "note": "Reminder sent through the embassy"}),
        )
        .await;
    s.expect(&res, 201);
    s.post(
        &follow,
        "clerk",
        json!({"channel": "email", "effective_date": "2026-06-12"}),
    )
    .await;
    s.post(
        &follow,
        "clerk",
        json!({"channel": "carrier_pigeon", "effective_date": "2026-06-01"}),
    )
    .await;
    s.post(
        &follow,
        "clerk",
        json!({"channel": "phone", "effective_date": "2027-01-01", "note": ""}),
    )
    .await;
    s.post(&follow, "clerk", json!({"channel": "phone"})).await;
    s.post(
        &follow,
        "analyst",
        json!({"channel": "phone", "effective_date": "2026-06-01"}),
    )
    .await;
    s.post(
        &format!("/api/v1/requests/{UNKNOWN_ID}/follow-ups"),
        "clerk",
        json!({"channel": "phone", "effective_date": "2026-06-01"}),
    )
    .await;

    // A snooze on the stalled PF-NG-3.
    let res = s.get("/api/v1/requests?q=PF-NG-3&limit=1", "clerk").await;
    let snoozed = res.body["items"][0]["id"]
        .as_str()
        .unwrap_or("no-id")
        .to_string();
    let snooze = format!("/api/v1/requests/{snoozed}/snooze");
    let res = s
        .post(
            &snooze,
            "coordinator",
            json!({"until": "2026-07-15",
                   "reason": "The liaison magistrate announced an answer for July"}),
        )
        .await;
    s.expect(&res, 201);
    s.post(
        &snooze,
        "coordinator",
        json!({"until": "2026-01-01", "reason": "  "}),
    )
    .await;
    s.post(
        &snooze,
        "coordinator",
        json!({"until": "2027-12-31", "reason": "Much later"}),
    )
    .await;
    s.post(&snooze, "coordinator", json!({"reason": "No date"}))
        .await;
    s.post(
        &snooze,
        "analyst",
        json!({"until": "2026-07-15", "reason": "Analyst"}),
    )
    .await;
    s.post(
        &format!("/api/v1/requests/{UNKNOWN_ID}/snooze"),
        "coordinator",
        json!({"until": "2026-07-15", "reason": "Nobody"}),
    )
    .await;
    s.get(&snooze, "coordinator").await;
    s.get("/api/v1/alerts/stalled?country=NG", "clerk").await;
    s.get(
        "/api/v1/alerts/stalled?country=NG&include_snoozed=true",
        "clerk",
    )
    .await;

    // Runs: a dry run changes nothing; a real run notifies once.
    s.post("/api/v1/alerts/run", "clerk", json!({"dry_run": true}))
        .await;
    s.post("/api/v1/alerts/run", "coordinator", json!({})).await;
    s.post(
        "/api/v1/alerts/run",
        "coordinator",
        json!({"dry_run": "yes"}),
    )
    .await;
    let res = s
        .post(
            "/api/v1/alerts/run",
            "coordinator",
            json!({"dry_run": true}),
        )
        .await;
    s.expect(&res, 200);
    s.get("/api/v1/alerts/notifications", "admin").await;
    let res = s
        .post("/api/v1/alerts/run", "admin", json!({"dry_run": false}))
        .await;
    s.expect(&res, 200);
    s.get("/api/v1/alerts/notifications", "coordinator").await;
    s.get("/api/v1/alerts/notifications?state=pending", "admin")
        .await;
    s.get("/api/v1/alerts/notifications?state=failed", "admin")
        .await;
    s.get("/api/v1/alerts/notifications?state=lost", "admin")
        .await;
    s.get("/api/v1/alerts/notifications?colour=red", "admin")
        .await;
    s.get("/api/v1/alerts/notifications", "clerk").await;
    s.post("/api/v1/alerts/run", "admin", json!({"dry_run": false}))
        .await;

    // Lifting the snooze.
    let res = s.delete(&snooze, "coordinator").await;
    s.expect(&res, 200);
    s.delete(&snooze, "coordinator").await;
    s.delete(&format!("/api/v1/requests/{UNKNOWN_ID}/snooze"), "clerk")
        .await;
    s.delete(&snooze, "analyst").await;
    s.get("/api/v1/alerts/stalled?country=NG", "clerk").await;

    // The requests of the first area, as the alerts left them.
    for id in [&ids.executed, &ids.refused, &ids.abandoned, &chased] {
        s.get(&format!("/api/v1/requests/{id}/events"), "clerk")
            .await;
    }
}

/// The statistics tables, exact (admin) and published (analyst).
async fn stats(s: &mut Scenario) {
    s.area = "stats";
    for table in [
        "countries",
        "abandonment-reasons",
        "refusal-grounds",
        "timeline",
    ] {
        let path = format!("/api/v1/stats/{table}");
        s.get(&path, "admin").await;
        s.get(&format!("{path}?format=csv"), "admin").await;
        s.get(&path, "analyst").await;
        s.get(&format!("{path}?format=csv"), "analyst").await;
    }
    s.get("/api/v1/stats/timeline?bucket=quarter", "coordinator")
        .await;
    s.get("/api/v1/stats/timeline?bucket=month&format=csv", "clerk")
        .await;
    s.get("/api/v1/stats/timeline?bucket=quarter", "analyst")
        .await;
    s.get("/api/v1/stats/countries?suppress=true", "admin")
        .await;
    s.send(
        Method::GET,
        "/api/v1/stats/countries",
        "coordinator",
        Body::None,
        &[("Accept", "text/csv")],
    )
    .await;
    s.get(
        "/api/v1/stats/countries?sent_from=2024-01-01&sent_to=2025-12-31&as_of=2025-12-31",
        "admin",
    )
    .await;
    s.get(
        "/api/v1/stats/countries?country=PH,NG&legal_basis=untoc&legal_basis=uncac&format=json",
        "analyst",
    )
    .await;
    s.get(
        "/api/v1/stats/countries?offence=child_sexual_exploitation&channel=direct_judicial",
        "admin",
    )
    .await;
    s.get(
        "/api/v1/stats/abandonment-reasons?as_of=2025-01-31&format=csv",
        "admin",
    )
    .await;
    // Bad parameters.
    s.get(
        "/api/v1/stats/countries?country=ZZ&offence=&format=xml&bucket=year&as_of=2027-01-01&suppress=maybe",
        "admin",
    )
    .await;
    s.get(
        "/api/v1/stats/timeline?bucket=week&sent_from=2025-01-01&sent_to=2024-01-01",
        "analyst",
    )
    .await;
    s.get(
        "/api/v1/stats/refusal-grounds?channel=pigeon&colour=red",
        "admin",
    )
    .await;
    s.get("/api/v1/stats/countries", "no token").await;
    s.get("/api/v1/stats/countries", "bad token").await;
    s.send(
        Method::POST,
        "/api/v1/stats/countries",
        "admin",
        Body::None,
        &[],
    )
    .await;
    // Were they chased before being given up; which cases identified
    // victims.
    for table in ["chasing", "victims"] {
        let path = format!("/api/v1/stats/{table}");
        s.get(&path, "admin").await;
        s.get(&format!("{path}?format=csv"), "admin").await;
        s.get(&path, "analyst").await;
        s.get(&format!("{path}?group=region"), "coordinator").await;
    }
}

/// The cohorts at fixed horizons, exact and published, and their bad
/// parameters.
async fn cohorts(s: &mut Scenario) {
    s.area = "cohorts";
    let path = "/api/v1/stats/cohorts";
    s.get(path, "admin").await;
    s.get(&format!("{path}?format=csv"), "admin").await;
    s.get(path, "analyst").await;
    s.get(&format!("{path}?bucket=quarter&horizon=90"), "coordinator")
        .await;
    s.get(
        &format!("{path}?bucket=quarter&horizon=180&format=csv"),
        "analyst",
    )
    .await;
    s.get(
        &format!("{path}?bucket=month&horizon=365&sent_from=2025-01-01&sent_to=2025-12-31"),
        "clerk",
    )
    .await;
    // Bad parameters.
    s.get(&format!("{path}?horizon=30&bucket=week"), "admin")
        .await;
    s.get(&format!("{path}?bucket=month&horizon=90"), "analyst")
        .await;
    s.get(path, "no token").await;
}

/// The e-Evidence Regulation's art. 28 table, by category and by
/// addressee, exact and published, and a bad `by`. Its orders are filed
/// last, outside the recorded exchanges (so that no other area changes),
/// and their record keys pinned like the rest.
async fn eevidence(s: &mut Scenario) {
    s.area = "e-evidence";
    let orders = [
        (
            "EEV-1",
            "IE",
            "normal",
            "Provider A",
            &["subscriber_data"][..],
            Some(("executed", "2025-03-12")),
        ),
        (
            "EEV-2",
            "DE",
            "emergency",
            "Provider A",
            &["subscriber_data", "traffic_data"][..],
            Some(("executed", "2025-03-03")),
        ),
        (
            "EEV-3",
            "FR",
            "normal",
            "Provider \"B\", Ltd",
            &["content_data", "data_preservation"][..],
            Some(("refused", "2025-04-01")),
        ),
        ("EEV-4", "NL", "normal", "", &["traffic_data"][..], None),
        (
            "EEV-5",
            "IE",
            "urgent",
            "Provider A",
            &["subscriber_data"][..],
            Some(("partially_executed", "2025-03-20")),
        ),
        (
            "EEV-6",
            "DE",
            "normal",
            "Provider \"B\", Ltd",
            &["data_preservation"][..],
            Some(("withdrawn", "2025-03-15")),
        ),
    ];
    for (case, country, priority, addressee, measures, moved) in orders {
        let mut body = sent_body(case, "2025-03-01");
        body["target_country"] = json!(country);
        body["priority"] = json!(priority);
        body["legal_basis"] = json!("e_evidence_regulation");
        body["channel"] = json!("service_provider_direct");
        body["measures"] = json!(measures);
        if !addressee.is_empty() {
            body["requested_authority"] = json!(addressee);
        }
        let id = id_of(&s.app.create_request(&body).await);
        if let Some((to, date)) = moved {
            s.app.move_to(&id, to, date).await;
        }
    }
    s.app.pin_record_keys().await;
    let path = "/api/v1/stats/e-evidence";
    s.get(path, "admin").await;
    s.get(&format!("{path}?by=addressee&format=csv"), "admin")
        .await;
    s.get(&format!("{path}?by=addressee"), "coordinator").await;
    s.get(path, "analyst").await;
    s.get(&format!("{path}?format=csv&by=category"), "analyst")
        .await;
    // Bad parameters.
    s.get(&format!("{path}?by=nonsense"), "admin").await;
    s.get(path, "no token").await;
}

/// The report, as HTML and PDF, and a parameter outside the releases.
async fn report(s: &mut Scenario) {
    s.area = "report";
    let path = "/api/v1/stats/report";
    s.get(&format!("{path}?format=html&lang=fr"), "coordinator")
        .await;
    s.get(path, "analyst").await;
    s.get(&format!("{path}?format=odt&as_of=2026-03-15"), "admin")
        .await;
    s.get(path, "no token").await;
}

/// Response curves and the SVG charts.
async fn charts(s: &mut Scenario) {
    s.area = "charts";
    let curves = "/api/v1/stats/response-curves";
    s.get(curves, "admin").await;
    s.get(&format!("{curves}?format=csv"), "admin").await;
    s.get(curves, "analyst").await;
    s.get(&format!("{curves}?format=csv"), "analyst").await;
    s.get(
        &format!("{curves}?country=DE&as_of=2025-06-30"),
        "coordinator",
    )
    .await;
    s.get(&format!("{curves}?bucket=year"), "admin").await;
    let rates = "/api/v1/stats/charts/response-rates.svg";
    s.get(rates, "admin").await;
    s.get(rates, "analyst").await;
    s.get(&format!("{rates}?format=csv"), "admin").await;
    let lines = "/api/v1/stats/charts/response-curves.svg";
    s.get(lines, "admin").await;
    s.get(&format!("{lines}?country=PH&country=NG"), "coordinator")
        .await;
    s.get(lines, "analyst").await;
    s.get(&format!("{lines}?country=QQ"), "admin").await;
    s.get(lines, "no token").await;
    s.send(Method::DELETE, lines, "admin", Body::None, &[])
        .await;
}
