//! A crash in the middle of alert delivery loses nothing: after `serve` is
//! killed (SIGKILL) while a digest is on the wire, the next `serve` on the
//! same database delivers every digest still pending, and no digest reaches
//! a mail server more than twice — only the one that was in flight may.
//!
//! The real binary runs over a fresh database (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set) holding stalled requests with distinct
//! coordinators, so that one alert run records a digest for each of six
//! recipients:
//!
//! 1. `serve` mails to an SMTP server that accepts the first message and
//!    never answers the second, keeping a copy of it (a server may have taken
//!    in a message whose reply was lost). A run is started with
//!    `POST /alerts/run`; once the server holds the second message, `serve`
//!    is killed with SIGKILL: one digest sent, one in flight, four pending.
//! 2. `serve` starts again over the same database (on SQLite, its
//!    single-instance lock must have died with the killed process), mailing
//!    to a healthy SMTP server, its delivery loop every second, until no
//!    digest is pending.
//! 3. Every digest recorded by the run was accepted by a server at least
//!    once, for its own recipient, under its stable `Message-ID`; counting
//!    the copy the hung server kept, only the in-flight digest arrived twice
//!    and none more; nothing is pending or failed.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use awc::http::Method;

use crate::common::serve::{Serve, create_admin};
use crate::common::{SmtpServer, fresh_test_database, sent_body};
use serde_json::{Value, json};

/// How long anything may take: a start-up, the run reaching the hung
/// server, the redelivery.
const DEADLINE: Duration = Duration::from_secs(30);

/// Stalled requests, each with its own coordinator.
const COORDINATORS: usize = 4;
/// Notified of every request too (`common::draft_body`, `config/default.toml`).
const MAGISTRATE: &str = "martin@justice.example";
const SUPERVISOR: &str = "chef.bureau@example.org";

/// The hung server accepts message 1 and never answers message 2.
const HANG_ON: u32 = 2;

/// Polls `probe` every 100 ms until it yields a value; past [`DEADLINE`],
/// panics with `failure()`.
async fn eventually<T>(
    failure: impl Fn() -> String,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "not within {DEADLINE:?}: {}",
            failure()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `serve` of the real binary ([`Serve`]) mailing to `smtp`, with the
/// alert scheduler off and the delivery loop every second.
async fn start(database_url: &str, token: &str, smtp: &SmtpServer) -> Serve {
    let url = smtp.url();
    Serve::start_with(database_url, token, |command| {
        command
            .env("MLA__MAIL__URL", url)
            .env("MLA__ALERTS__DELIVERY_INTERVAL_SECONDS", "1");
    })
    .await
}

/// `GET /alerts/notifications[?state=…]`.
async fn notifications(serve: &Serve, state: Option<&str>) -> Vec<Value> {
    let query = state.map_or(String::new(), |s| format!("?state={s}"));
    let path = format!("/api/v1/alerts/notifications{query}");
    let body = serve.expect(Method::GET, &path, None, 200).await;
    body["items"].as_array().expect("items").clone()
}

/// Every digest, by id: its recipient and delivery state, read from the
/// notifications (one digest per recipient and run).
async fn digests_of(serve: &Serve) -> BTreeMap<String, Digest> {
    let mut out = BTreeMap::new();
    for n in notifications(serve, None).await {
        let digest = Digest {
            recipient: text(&n["recipient"]),
            state: text(&n["state"]),
        };
        let previous = out.insert(text(&n["digest_id"]), digest.clone());
        assert!(previous.is_none_or(|p| p == digest), "{n}");
    }
    out
}

/// Starts `POST /alerts/run`: the scan records the digests, then the
/// request waits for delivery, which hangs; so it is not awaited.
fn start_run(serve: &Serve) {
    let request = awc::Client::default()
        .post(format!("{}/api/v1/alerts/run", serve.address))
        .bearer_auth(&serve.token);
    actix_web::rt::spawn(async move {
        let _ = request.send_json(&json!({"dry_run": false})).await;
    });
}

#[derive(Debug, Clone, PartialEq)]
struct Digest {
    recipient: String,
    state: String,
}

/// A JSON string or number as text (ids may be either).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not an id or a name: {other}"),
    }
}

/// The value of header `name` in `mail`, if present (the headers we read
/// are short, never folded).
fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// A message as the SMTP server got it: envelope recipient and Message-ID,
/// after checking that the envelope has one recipient, named in `To`.
fn envelope_and_id(mail: &str) -> (String, String) {
    let recipient = header(mail, "X-Envelope-Recipients").expect("the envelope line");
    assert!(!recipient.contains(','), "one recipient per digest: {mail}");
    assert_eq!(header(mail, "To"), Some(recipient.clone()), "{mail}");
    let id = header(mail, "Message-ID").unwrap_or_else(|| panic!("no Message-ID: {mail}"));
    (recipient, id)
}

/// The `Message-ID` a digest carries.
fn message_id(digest_id: &str) -> String {
    format!("<digest-{digest_id}@mla-tracker>")
}

/// Creates the stalled requests; returns who the run will notify.
async fn create_stalled_requests(serve: &Serve) -> BTreeSet<String> {
    let mut recipients: BTreeSet<String> = [MAGISTRATE, SUPERVISOR].map(String::from).into();
    for i in 0..COORDINATORS {
        let coordinator = format!("coord{i}@justice.example");
        let mut body = sent_body(&format!("CRASH-{i}"), &common::days_ago(400));
        body["coordinator_email"] = json!(coordinator);
        serve
            .expect(Method::POST, "/api/v1/requests", Some(&body), 201)
            .await;
        recipients.insert(coordinator);
    }
    recipients
}

#[actix_web::test]
async fn a_kill_mid_delivery_loses_no_digest_and_repeats_at_most_the_one_in_flight() {
    let db = fresh_test_database();
    let token = create_admin(&db.url);

    // 1. The run, and the kill while the second digest is on the wire.
    let hung = SmtpServer::start_hanging_on(HANG_ON);
    let first = start(&db.url, &token, &hung).await;
    let recipients = create_stalled_requests(&first).await;
    start_run(&first);
    let in_flight = eventually(
        || format!("the hung server to get message {HANG_ON}"),
        async || hung.hung_message(),
    )
    .await;
    let (_, in_flight) = envelope_and_id(&in_flight);
    let digests = digests_of(&first).await;
    first.kill_9();

    let by_recipient: BTreeMap<&str, &str> = digests
        .iter()
        .map(|(id, d)| (d.recipient.as_str(), id.as_str()))
        .collect();
    assert_eq!(by_recipient.len(), digests.len(), "{digests:#?}");
    assert_eq!(
        by_recipient.keys().copied().collect::<BTreeSet<_>>(),
        recipients.iter().map(String::as_str).collect(),
        "one digest per recipient: {digests:#?}"
    );
    // At the kill: the accepted message's digest sent, every other pending
    // (the in-flight one included: it was never accepted).
    let accepted_before: BTreeSet<String> = hung
        .messages()
        .iter()
        .map(|m| envelope_and_id(m).1)
        .collect();
    assert_eq!(accepted_before.len(), HANG_ON as usize - 1);
    for (id, digest) in &digests {
        let expected = if accepted_before.contains(&message_id(id)) {
            "sent"
        } else {
            "pending"
        };
        assert_eq!(
            digest.state, expected,
            "digest {id} at the kill: {digests:#?}"
        );
    }
    assert!(
        digests.keys().any(|id| message_id(id) == in_flight),
        "the message in flight ({in_flight}) is one of the digests: {digests:#?}"
    );

    // 2. The restart, on the same database, to a healthy server.
    let healthy = SmtpServer::start();
    let second = start(&db.url, &token, &healthy).await;
    eventually(
        || {
            format!(
                "nothing pending after the restart; its log:\n{}",
                second.log()
            )
        },
        async || {
            let pending = notifications(&second, Some("pending")).await;
            pending.is_empty().then_some(())
        },
    )
    .await;

    // 3. Nothing lost, nothing failed, nothing new recorded.
    assert!(notifications(&second, Some("failed")).await.is_empty());
    let after = digests_of(&second).await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        digests.keys().collect::<Vec<_>>(),
        "the same digests: {after:#?}"
    );
    assert!(
        after.values().all(|d| d.state == "sent"),
        "all sent: {after:#?}"
    );

    // Every digest accepted by a server, for its own recipient.
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for mail in hung.messages().iter().chain(&healthy.messages()) {
        let (recipient, id) = envelope_and_id(mail);
        let digest = by_recipient
            .get(recipient.as_str())
            .unwrap_or_else(|| panic!("a message to {recipient}, who has no digest: {mail}"));
        assert_eq!(id, message_id(digest), "{recipient}'s digest: {mail}");
        *accepted.entry(id).or_default() += 1;
    }
    for id in digests.keys() {
        assert!(
            accepted.contains_key(&message_id(id)),
            "digest {id} never accepted: {accepted:#?}"
        );
    }

    // Counting the copy the hung server took in, only the digest in flight
    // arrived twice, and none more often.
    let mut arrived = accepted;
    *arrived.entry(in_flight.clone()).or_default() += 1;
    let repeated: BTreeMap<&String, &usize> = arrived.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.keys().all(|id| **id == in_flight) && repeated.values().all(|n| **n == 2),
        "only the digest in flight ({in_flight}) may arrive twice: {arrived:#?}"
    );
}
