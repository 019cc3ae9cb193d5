//! An alert run records its scan chunk by chunk and holds no connection
//! between chunks, so a clerk's save never waits for the scan; its digests
//! go out only once it has finished, and a run that crashed is finished by
//! the next one: what it recorded is sent once, nothing twice.
//!
//! The real binary runs with `MLA_TEST_ALERT_RUN_PAUSE` (honoured by debug
//! builds only): after each chunk in which it recorded a notification, a
//! run creates `paused` in that folder and waits for `resume`. The few
//! requests here are all in one chunk, so a run stops there: recorded, not
//! finished.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::{Value, json};

use crate::common::serve::{Serve, create_admin, scratch_dir};
use crate::common::{SmtpServer, fresh_test_database, sent_body};

/// How long anything may take (a start-up, a run reaching its pause).
const DEADLINE: Duration = Duration::from_secs(30);

/// Waits until `path` exists; past [`DEADLINE`], panics with `serve`'s log.
async fn wait_for(path: &Path, serve: &Serve) {
    let deadline = Instant::now() + DEADLINE;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} did not appear within {DEADLINE:?}; the log:\n{}",
            path.display(),
            serve.log()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates requests sent 400 days ago (stalled under the default rules),
/// each with its own coordinator; returns their references.
async fn create_stalled(serve: &Serve, prefix: &str, n: usize) -> Vec<String> {
    let mut references = Vec::new();
    for i in 0..n {
        let mut body = sent_body(&format!("{prefix}-{i}"), &common::days_ago(400));
        body["coordinator_email"] = json!(format!("coord{i}@justice.example"));
        let created = serve
            .expect(Method::POST, "/api/v1/requests", Some(&body), 201)
            .await;
        references.push(created["reference"].as_str().unwrap().to_string());
    }
    references
}

/// Starts `POST /alerts/run` without waiting for it; the answer is the
/// task's.
fn start_run(serve: &Serve) -> actix_web::rt::task::JoinHandle<Result<(u16, Value), String>> {
    let request = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish()
        .post(format!("{}/api/v1/alerts/run", serve.address))
        .bearer_auth(&serve.token);
    actix_web::rt::spawn(async move {
        let mut res = request
            .send_json(&json!({"dry_run": false}))
            .await
            .map_err(|e| e.to_string())?;
        let body: Value = res.json().await.map_err(|e| e.to_string())?;
        Ok((res.status().as_u16(), body))
    })
}

/// Each notification's digest state, by digest id.
async fn digest_states(serve: &Serve) -> BTreeMap<String, String> {
    let body = serve
        .expect(Method::GET, "/api/v1/alerts/notifications", None, 200)
        .await;
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| {
            (
                n["digest_id"].as_str().unwrap().to_string(),
                n["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_save_made_while_a_run_is_under_way_completes_before_the_run_ends() {
    let db = fresh_test_database();
    let token = create_admin(&db.url);
    let pause = scratch_dir("mla-run-pause");
    let serve = Serve::start_with(&db.url, &token, |command| {
        command.env("MLA_TEST_ALERT_RUN_PAUSE", &pause);
    })
    .await;
    create_stalled(&serve, "STEP", 3).await;

    let answer = start_run(&serve);
    wait_for(&pause.join("paused"), &serve).await;

    // The run has recorded its chunk and not finished: its digests are
    // assembling, and none is due for delivery.
    let states = digest_states(&serve).await;
    assert!(!states.is_empty(), "the chunk is recorded");
    assert!(
        states.values().all(|s| s == "assembling"),
        "nothing is released before the run ends: {states:?}"
    );
    let pending = serve
        .expect(
            Method::GET,
            "/api/v1/alerts/notifications?state=pending",
            None,
            200,
        )
        .await;
    assert_eq!(pending["items"], json!([]), "{pending}");

    // Clerks save new requests: each completes while the run is still
    // under way.
    for i in 0..2 {
        let body = sent_body(&format!("DURING-RUN-{i}"), &common::days_ago(1));
        serve
            .expect(Method::POST, "/api/v1/requests", Some(&body), 201)
            .await;
    }
    assert!(
        !answer.is_finished(),
        "the run must still be under way after the saves"
    );

    std::fs::write(pause.join("resume"), b"").unwrap();
    let (status, summary) = tokio_timeout(answer).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["stalled"], 3, "{summary}");
    assert_eq!(summary["digests_created"], states.len(), "{summary}");
    let after = digest_states(&serve).await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        states.keys().collect::<Vec<_>>()
    );
    assert!(
        after.values().all(|s| s != "assembling"),
        "released when the run ended: {after:?}"
    );
}

#[actix_web::test]
async fn a_run_killed_part_way_is_finished_by_the_next_and_nothing_goes_out_twice() {
    let db = fresh_test_database();
    let token = create_admin(&db.url);
    let pause = scratch_dir("mla-run-pause");
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let settings = |command: &mut std::process::Command| {
        command
            .env("MLA__MAIL__URL", &url)
            .env("MLA__ALERTS__RUN_LEASE_SECONDS", "1")
            .env("MLA__ALERTS__DELIVERY_INTERVAL_SECONDS", "1");
    };

    // 1. A run records its one chunk, and the process dies before it ends.
    let first = Serve::start_with(&db.url, &token, |command| {
        settings(command);
        command.env("MLA_TEST_ALERT_RUN_PAUSE", &pause);
    })
    .await;
    create_stalled(&first, "CRASH", 3).await;
    let _answer = start_run(&first);
    wait_for(&pause.join("paused"), &first).await;
    let recorded = digest_states(&first).await;
    assert!(recorded.values().all(|s| s == "assembling"), "{recorded:?}");
    first.kill_9();

    // 2. The next process sends none of them while they are assembling
    // (its delivery loop runs every second)...
    let second = Serve::start_with(&db.url, &token, settings).await;
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        smtp.messages(),
        Vec::<String>::new(),
        "nothing released yet"
    );
    assert_eq!(digest_states(&second).await, recorded);

    // 3. ...until a run finds the crashed one silent past the lease (one
    // second, and more than that has passed): it releases its digests, and
    // records nothing new, every breach having been recorded already.
    let (status, summary) = second
        .send(
            Method::POST,
            "/api/v1/alerts/run",
            Some(&json!({"dry_run": false})),
        )
        .await
        .expect("the run's answer");
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["skipped_busy"], false, "{summary}");
    assert_eq!(summary["notifications_created"], 0, "{summary}");
    assert_eq!(summary["emails_sent"], recorded.len(), "{summary}");
    let sent = digest_states(&second).await;
    assert_eq!(
        sent.keys().collect::<Vec<_>>(),
        recorded.keys().collect::<Vec<_>>()
    );
    assert!(sent.values().all(|s| s == "sent"), "{sent:?}");

    // 4. Each digest reached the mail server once, and a further run sends
    // nothing.
    let again = second
        .expect(
            Method::POST,
            "/api/v1/alerts/run",
            Some(&json!({"dry_run": false})),
            200,
        )
        .await;
    assert_eq!(again["emails_sent"], 0, "{again}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), recorded.len(), "{messages:#?}");
    for digest in recorded.keys() {
        let id = format!("<digest-{digest}@mla-tracker>");
        assert_eq!(
            messages.iter().filter(|m| m.contains(&id)).count(),
            1,
            "digest {digest} once: {messages:#?}"
        );
    }
}

/// The run's answer, within [`DEADLINE`].
async fn tokio_timeout(
    answer: actix_web::rt::task::JoinHandle<Result<(u16, Value), String>>,
) -> (u16, Value) {
    actix_web::rt::time::timeout(DEADLINE, answer)
        .await
        .expect("the run answers once resumed")
        .expect("the run's task")
        .expect("the run's answer")
}
