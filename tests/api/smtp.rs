//! Alert digests through a real SMTP server (aiosmtpd, started per test by
//! `common::SmtpServer`): who receives what, SMTP outages and retries, the
//! give-up after `alerts.max_attempts`, and concurrent runs.

use crate::common;
use mla_tracker::config::SecretUrl;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::{SmtpServer, TestApp, concurrently, id_of, sent_body, spawn_app_with};
use mla_tracker::config::Settings;
use mla_tracker::db::{Backend, users};
use mla_tracker::domain::{Language, Role};
use mla_tracker::http::server::Application;
use serde_json::{Value, json};

/// How long a test waits for a backoff to elapse and a retry to go through.
const RETRY_DEADLINE: Duration = Duration::from_secs(30);

const COORDINATOR: &str = "coord@justice.example";
const MAGISTRATE: &str = "martin@justice.example";
const SUPERVISOR: &str = "chef.bureau@example.org";

/// A test server whose emails go to `smtp`, with settings adjusted by `adjust`.
/// The URL is `smtp://127.0.0.1:PORT?tls=none`: plain SMTP, as to a local
/// relay (docs/OPERATIONS.md, "Mail"), since the test server offers no TLS.
async fn app_mailing_to(smtp: &SmtpServer, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let url = smtp.url();
    spawn_app_with(move |s| {
        s.mail.url = SecretUrl::new(url);
        adjust(s);
    })
    .await
}

fn count(summary: &Value, key: &str) -> u64 {
    summary[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no `{key}` in {summary}"))
}

/// `GET /alerts/notifications[?state=…]`.
async fn notifications(app: &TestApp, state: Option<&str>) -> Vec<Value> {
    let path = match state {
        Some(state) => format!("/api/v1/alerts/notifications?state={state}"),
        None => "/api/v1/alerts/notifications".to_string(),
    };
    let res = app.get(&path, &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body["items"].as_array().expect("items").clone()
}

/// The value of header `name` in `mail` (unfolded), if present.
fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\r\n\r\n").next().unwrap_or("");
    let mut found: Option<String> = None;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(value) = found.as_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((_, value)) = line
            .split_once(':')
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        {
            found = Some(value.trim().to_string());
        }
    }
    found
}

/// The messages the server received, by envelope recipient; checks that
/// each message has one envelope recipient and names it in `To`.
fn by_recipient(smtp: &SmtpServer) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for mail in smtp.messages() {
        let envelope = header(&mail, "X-Envelope-Recipients").expect("the envelope line");
        assert!(!envelope.contains(','), "one recipient per digest: {mail}");
        assert_eq!(
            header(&mail, "To").as_deref(),
            Some(envelope.as_str()),
            "{mail}"
        );
        out.entry(envelope).or_default().push(mail);
    }
    out
}

/// The `Message-ID` a digest must carry.
fn message_id(digest_id: &str) -> String {
    format!("<digest-{digest_id}@mla-tracker>")
}

/// The digest id of each recipient's notifications (one digest each).
async fn digest_of(app: &TestApp) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for n in notifications(app, None).await {
        let recipient = n["recipient"].as_str().unwrap().to_string();
        let digest = n["digest_id"].as_str().unwrap().to_string();
        let previous = out.insert(recipient.clone(), digest.clone());
        assert!(
            previous.is_none_or(|p| p == digest),
            "{recipient} has notifications in two digests"
        );
    }
    out
}

fn reference(record: &Value) -> &str {
    record["reference"].as_str().expect("a reference")
}

/// Runs until no digest is pending, each run after a short pause (so past
/// a 1-second backoff); returns the runs' summaries. Panics past the
/// deadline.
async fn run_until_nothing_pending(app: &TestApp) -> Vec<Value> {
    let deadline = Instant::now() + RETRY_DEADLINE;
    let mut runs = Vec::new();
    loop {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        runs.push(app.run_alerts(false).await);
        if notifications(app, Some("pending")).await.is_empty() {
            return runs;
        }
        assert!(
            Instant::now() < deadline,
            "still pending after {RETRY_DEADLINE:?}: {runs:?}\n{:?}",
            notifications(app, Some("pending")).await
        );
    }
}

#[actix_web::test]
async fn each_recipient_gets_one_digest_through_smtp_and_a_second_run_sends_nothing() {
    let smtp = SmtpServer::start();
    let app = app_mailing_to(&smtp, |_| {}).await;
    // The magistrate is a user who reads French.
    let mut conn = app.db.blocking_conn().unwrap();
    let (magistrate, _) = users::create(&mut conn, "Juge Martin", MAGISTRATE, Role::Clerk).unwrap();
    users::set_language(&mut conn, magistrate.id, Language::Fr).unwrap();
    drop(conn);
    let young = app
        .create_request(&sent_body("YOUNG", &common::days_ago(100)))
        .await;
    let old = app
        .create_request(&sent_body("OLD", &common::days_ago(400)))
        .await;
    let fresh = app
        .create_request(&sent_body("FRESH", &common::days_ago(2)))
        .await;

    let first = app.run_alerts(false).await;
    assert_eq!(first["stalled"], 2, "{first}");
    assert_eq!(
        (
            count(&first, "digests_created"),
            count(&first, "emails_sent"),
            count(&first, "emails_failed")
        ),
        (3, 3, 0),
        "{first}"
    );

    let mails = by_recipient(&smtp);
    assert_eq!(
        mails.keys().map(String::as_str).collect::<Vec<_>>(),
        [SUPERVISOR, COORDINATOR, MAGISTRATE],
        "{mails:#?}"
    );
    assert!(mails.values().all(|m| m.len() == 1), "{mails:#?}");
    let digests = digest_of(&app).await;
    let mut ids = BTreeSet::new();
    for (recipient, mail) in &mails {
        let mail = &mail[0];
        assert_eq!(
            header(mail, "Message-ID"),
            Some(message_id(&digests[recipient])),
            "{mail}"
        );
        ids.insert(header(mail, "Message-ID"));
        assert_eq!(
            header(mail, "From").as_deref(),
            Some("mla-tracker <no-reply@mla-tracker.invalid>"),
            "{mail}"
        );
        assert!(
            !mail.contains(reference(&fresh)) && !mail.contains(&id_of(&fresh)),
            "the fresh request is not stalled: {mail}"
        );
    }
    assert_eq!(ids.len(), 3, "one Message-ID per digest");

    // The coordinator and the magistrate hear of both stalled requests, the
    // supervisors only of the one past the escalation thresholds.
    for recipient in [COORDINATOR, MAGISTRATE] {
        let mail = &mails[recipient][0];
        for record in [&young, &old] {
            assert_eq!(
                mail.matches(&format!(". {} — ", reference(record))).count(),
                1,
                "each request once: {mail}"
            );
            assert!(
                mail.contains(&format!("/requests/{}\r\n", id_of(record)))
                    && !mail.contains("/api/v1/"),
                "a link to the request's page: {mail}"
            );
        }
    }
    // In the language each recipient chose: the magistrate reads French.
    let english = &mails[COORDINATOR][0];
    assert_eq!(
        header(english, "Subject").as_deref(),
        Some("[mla-tracker] 2 requests to follow up (highest alert level 3)"),
        "{english}"
    );
    assert!(
        english.contains(": 35 days past the 365-day threshold (alert level 3)."),
        "{english}"
    );
    let french = &mails[MAGISTRATE][0];
    assert!(
        french.contains(": 35 jours au-delà du seuil de 365 jours (niveau d'alerte 3)."),
        "{french}"
    );
    assert!(
        french.contains("Philippines · Envoyée (depuis le ")
            && french.contains("   Dernière relance\u{a0}: aucune enregistrée"),
        "{french}"
    );
    assert!(!french.contains(" days "), "{french}");
    let supervisor = &mails[SUPERVISOR][0];
    assert_eq!(
        header(supervisor, "Subject").as_deref(),
        Some("[mla-tracker] 1 request to follow up (alert level 3)"),
        "{supervisor}"
    );
    assert!(
        supervisor.contains(&format!("1. {} — ", reference(&old))),
        "{supervisor}"
    );
    assert!(!supervisor.contains(reference(&young)), "{supervisor}");

    let second = app.run_alerts(false).await;
    assert_eq!(
        (
            count(&second, "notifications_created"),
            count(&second, "emails_sent"),
            count(&second, "emails_failed")
        ),
        (0, 0, 0),
        "{second}"
    );
    assert_eq!(smtp.messages().len(), 3, "nothing new was sent");
    assert_eq!(
        notifications(&app, Some("sent")).await.len() as u64,
        count(&first, "notifications_created")
    );
    assert!(notifications(&app, Some("pending")).await.is_empty());
    assert!(notifications(&app, Some("failed")).await.is_empty());
}

#[actix_web::test]
async fn smtp_down_loses_nothing_and_everything_goes_once_it_is_back() {
    let mut smtp = SmtpServer::start();
    let app = app_mailing_to(&smtp, |s| s.alerts.retry_base_seconds = 1).await;
    let old = app
        .create_request(&sent_body("OLD", &common::days_ago(400)))
        .await;
    smtp.stop();

    let down = app.run_alerts(false).await;
    let created = count(&down, "notifications_created");
    assert!(created > 0, "{down}");
    assert_eq!(
        (
            count(&down, "digests_created"),
            count(&down, "emails_sent"),
            count(&down, "emails_failed")
        ),
        (3, 0, 3),
        "{down}"
    );
    let pending = notifications(&app, Some("pending")).await;
    assert_eq!(pending.len() as u64, created, "nothing lost: {pending:?}");
    for n in &pending {
        assert_eq!(n["attempts"], 1, "{n}");
        assert!(
            n["last_error"].as_str().is_some_and(|e| !e.is_empty()),
            "{n}"
        );
        assert!(n["sent_at"].is_null(), "{n}");
    }
    assert!(notifications(&app, Some("sent")).await.is_empty());
    assert!(notifications(&app, Some("failed")).await.is_empty());
    let digests = digest_of(&app).await;

    smtp.restart();
    assert!(smtp.messages().is_empty());
    let runs = run_until_nothing_pending(&app).await;
    let sent: u64 = runs.iter().map(|r| count(r, "emails_sent")).sum();
    assert_eq!(sent, 3, "{runs:?}");
    assert!(
        runs.iter()
            .all(|r| count(r, "emails_failed") == 0 && count(r, "notifications_created") == 0),
        "{runs:?}"
    );

    let mails = by_recipient(&smtp);
    assert_eq!(
        mails.keys().map(String::as_str).collect::<Vec<_>>(),
        [SUPERVISOR, COORDINATOR, MAGISTRATE],
        "{mails:#?}"
    );
    for (recipient, mail) in &mails {
        assert_eq!(mail.len(), 1, "delivered once: {mail:#?}");
        assert_eq!(
            header(&mail[0], "Message-ID"),
            Some(message_id(&digests[recipient])),
            "the digest recorded while SMTP was down is the one sent"
        );
        assert!(
            mail[0].contains(&format!(". {} — ", reference(&old))),
            "{}",
            mail[0]
        );
    }
    let delivered = notifications(&app, Some("sent")).await;
    assert_eq!(delivered.len() as u64, created);
    assert!(
        delivered
            .iter()
            .all(|n| n["attempts"] == 2 && n["last_error"].is_null() && n["sent_at"].is_string()),
        "{delivered:?}"
    );

    let again = app.run_alerts(false).await;
    assert_eq!(count(&again, "emails_sent"), 0, "{again}");
    assert_eq!(smtp.messages().len(), 3, "nothing sent twice");
}

#[actix_web::test]
async fn after_max_attempts_a_digest_is_failed_and_listed() {
    let mut smtp = SmtpServer::start();
    let app = app_mailing_to(&smtp, |s| {
        s.alerts.retry_base_seconds = 1;
        s.alerts.max_attempts = 2;
    })
    .await;
    app.create_request(&sent_body("OLD", &common::days_ago(400)))
        .await;
    smtp.stop();

    let first = app.run_alerts(false).await;
    assert_eq!(count(&first, "emails_failed"), 3, "{first}");
    let created = count(&first, "notifications_created");
    let runs = run_until_nothing_pending(&app).await;
    let failed_attempts: u64 = runs.iter().map(|r| count(r, "emails_failed")).sum();
    assert_eq!(failed_attempts, 3, "one more attempt each: {runs:?}");
    assert!(
        runs.iter().all(|r| count(r, "emails_sent") == 0),
        "{runs:?}"
    );

    let failed = notifications(&app, Some("failed")).await;
    assert_eq!(failed.len() as u64, created, "{failed:?}");
    for n in &failed {
        assert_eq!(n["attempts"], 2, "{n}");
        assert!(
            n["last_error"].as_str().is_some_and(|e| !e.is_empty()),
            "{n}"
        );
        assert!(n["sent_at"].is_null(), "{n}");
    }
    assert!(notifications(&app, Some("sent")).await.is_empty());
    let recipients: BTreeSet<&str> = failed
        .iter()
        .map(|n| n["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(
        recipients.into_iter().collect::<Vec<_>>(),
        [SUPERVISOR, COORDINATOR, MAGISTRATE]
    );

    // A failed digest stays failed: with the server back and well past the
    // backoff the next attempt would have had (2 s), a run sends nothing.
    smtp.restart();
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let later = app.run_alerts(false).await;
    assert_eq!(
        (count(&later, "emails_sent"), count(&later, "emails_failed")),
        (0, 0),
        "{later}"
    );
    assert!(smtp.messages().is_empty());
    assert_eq!(
        notifications(&app, Some("failed")).await.len() as u64,
        created
    );
}

/// Requests each with its own coordinator, all stalled past a year: with the
/// magistrate and the supervisors, `n + 2` recipients.
async fn stalled_requests(app: &TestApp, n: usize) -> BTreeSet<String> {
    let mut recipients: BTreeSet<String> = [MAGISTRATE, SUPERVISOR].map(String::from).into();
    for i in 0..n {
        let mut body = sent_body(&format!("CASE-{i}"), &common::days_ago(400));
        let coordinator = format!("coord{i}@justice.example");
        body["coordinator_email"] = json!(coordinator);
        app.create_request(&body).await;
        recipients.insert(coordinator);
    }
    recipients
}

/// Checks that each of `recipients` got exactly one message, and nobody else.
fn assert_one_each(smtp: &SmtpServer, recipients: &BTreeSet<String>) {
    let mails = by_recipient(smtp);
    assert_eq!(
        mails.keys().collect::<BTreeSet<_>>(),
        recipients.iter().collect::<BTreeSet<_>>(),
        "{mails:#?}"
    );
    for (recipient, mail) in &mails {
        assert_eq!(mail.len(), 1, "{recipient} got {} digests", mail.len());
    }
    let ids: BTreeSet<Option<String>> = smtp
        .messages()
        .iter()
        .map(|m| header(m, "Message-ID"))
        .collect();
    assert_eq!(ids.len(), recipients.len(), "{ids:?}");
}

const CONCURRENT_RUNS: usize = 8;

/// The base addresses to fire runs at: the test's server and, on
/// PostgreSQL, a second instance on the same database mailing to the same
/// server, so that row claims between instances are exercised too (SQLite
/// serves one instance).
fn instances(app: &TestApp, smtp: &SmtpServer) -> Vec<String> {
    let mut out = vec![app.address.clone()];
    if app.backend == Backend::Postgres {
        let mut settings = common::test_settings(&app.database_url);
        settings.mail.url = SecretUrl::new(smtp.url());
        settings.alerts.retry_base_seconds = 1;
        let other = Application::build(settings).expect("a second instance on PostgreSQL");
        out.push(format!("http://127.0.0.1:{}", other.port()));
        actix_web::rt::spawn(other.run_until_stopped());
    }
    out
}

/// `POST {address}/api/v1/alerts/run` with the admin token; panics unless 200.
async fn run_at(address: &str, token: &str) -> Value {
    let mut res = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish()
        .post(format!("{address}/api/v1/alerts/run"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send_json(&json!({"dry_run": false}))
        .await
        .expect("the server answers");
    let body: Value = res.json().await.expect("a JSON summary");
    assert_eq!(res.status(), 200, "{address}: {body}");
    body
}

/// [`CONCURRENT_RUNS`] runs at once, spread over `instances`.
async fn runs_at_once(app: &TestApp, instances: &[String]) -> Vec<Value> {
    concurrently(
        (0..CONCURRENT_RUNS)
            .map(|i| run_at(&instances[i % instances.len()], &app.admin_token))
            .collect(),
    )
    .await
}

#[actix_web::test]
async fn concurrent_runs_never_send_a_digest_twice() {
    let smtp = SmtpServer::start();
    let app = app_mailing_to(&smtp, |_| {}).await;
    let instances = instances(&app, &smtp);
    let recipients = stalled_requests(&app, 5).await;

    let runs = runs_at_once(&app, &instances).await;
    let total = |key: &str| runs.iter().map(|r| count(r, key)).sum::<u64>();
    assert_eq!(
        total("digests_created"),
        recipients.len() as u64,
        "{runs:?}"
    );
    assert_eq!(total("emails_sent"), recipients.len() as u64, "{runs:?}");
    assert_eq!(total("emails_failed"), 0, "{runs:?}");
    assert_one_each(&smtp, &recipients);
    assert_eq!(
        notifications(&app, Some("sent")).await.len() as u64,
        total("notifications_created")
    );
    assert!(notifications(&app, Some("pending")).await.is_empty());
}

#[actix_web::test]
async fn concurrent_runs_deliver_a_backlog_once() {
    let mut smtp = SmtpServer::start();
    let app = app_mailing_to(&smtp, |s| s.alerts.retry_base_seconds = 1).await;
    let instances = instances(&app, &smtp);
    let recipients = stalled_requests(&app, 5).await;
    smtp.stop();
    let down = app.run_alerts(false).await;
    assert_eq!(
        count(&down, "emails_failed"),
        recipients.len() as u64,
        "{down}"
    );
    smtp.restart();

    // Every digest is pending until its backoff ends; fire the runs together
    // until none is left.
    let deadline = Instant::now() + RETRY_DEADLINE;
    let mut runs = Vec::new();
    while !notifications(&app, Some("pending")).await.is_empty() {
        assert!(Instant::now() < deadline, "still pending: {runs:?}");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        runs.extend(runs_at_once(&app, &instances).await);
    }
    let sent: u64 = runs.iter().map(|r| count(r, "emails_sent")).sum();
    assert_eq!(sent, recipients.len() as u64, "{runs:?}");
    assert!(
        runs.iter().all(|r| count(r, "emails_failed") == 0),
        "{runs:?}"
    );
    assert_one_each(&smtp, &recipients);
}
