//! Alert runs end to end: scan, outbox, digests written by the mail transport.

use crate::common;

use crate::common::{TestApp, id_of, sent_body, spawn_app};
use serde_json::json;

/// The emails sent to `address`.
fn to(app: &TestApp, address: &str) -> Vec<String> {
    app.emails()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {address}")))
        .collect()
}

#[actix_web::test]
async fn a_run_sends_each_recipient_one_digest_and_a_second_run_nothing_new() {
    let app = spawn_app().await;
    let young = app
        .create_request(&sent_body("YOUNG", &common::days_ago(100)))
        .await;
    let old = app
        .create_request(&sent_body("OLD", &common::days_ago(400)))
        .await;
    let _fresh = app
        .create_request(&sent_body("FRESH", &common::days_ago(2)))
        .await;

    let dry = app.run_alerts(true).await;
    assert_eq!(
        (dry["stalled"].as_u64(), dry["emails_sent"].as_u64()),
        (Some(2), Some(0))
    );
    assert!(dry["notifications_created"].as_u64().unwrap() > 0);
    assert!(app.emails().is_empty(), "a dry run sends nothing");

    let first = app.run_alerts(false).await;
    assert_eq!(first["stalled"], 2);
    assert_eq!(first["notifications_created"], dry["notifications_created"]);
    assert_eq!(first["digests_created"], 3, "{first}");
    assert_eq!(
        (
            first["emails_sent"].as_u64(),
            first["emails_failed"].as_u64()
        ),
        (Some(3), Some(0))
    );

    let coordinator = to(&app, "coord@justice.example");
    assert_eq!(coordinator.len(), 1, "one digest per recipient");
    let mail = &coordinator[0];
    for record in [&young, &old] {
        let reference = record["reference"].as_str().unwrap();
        assert_eq!(
            mail.matches(&format!(". {reference} — ")).count(),
            1,
            "each request once: {mail}"
        );
    }
    assert!(
        mail.contains("Subject: [mla-tracker] 2 requests to follow up (highest alert level 3)"),
        "{mail}"
    );
    assert!(
        mail.contains(&format!(
            "   http://127.0.0.1:8080/requests/{}\r\n",
            id_of(&old)
        )),
        "a link to the request's page: {mail}"
    );
    assert!(
        !mail.contains("/api/v1/"),
        "no link to the JSON API: {mail}"
    );
    assert!(
        mail.contains("Waiting 400 days since it was sent on ")
            && mail.contains(": 35 days past the 365-day threshold (alert level 3)."),
        "{mail}"
    );
    assert!(
        mail.contains(": 86 days past the 14-day threshold (alert level 2)."),
        "the urgent one, at its highest level: {mail}"
    );
    assert_eq!(to(&app, "martin@justice.example").len(), 1);
    let supervisors = to(&app, "chef.bureau@example.org");
    assert_eq!(supervisors.len(), 1);
    assert!(
        !supervisors[0].contains(young["reference"].as_str().unwrap()),
        "only the escalated one"
    );

    let second = app.run_alerts(false).await;
    assert_eq!(
        (
            second["notifications_created"].as_u64(),
            second["emails_sent"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(app.emails().len(), 3);
    let rehearsal = app.run_alerts(true).await;
    assert_eq!(
        rehearsal["notifications_created"], 0,
        "a dry run agrees: {rehearsal}"
    );

    let res = app
        .get("/api/v1/alerts/notifications?state=sent", &app.admin_token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.body["items"].as_array().unwrap().len(),
        first["notifications_created"].as_u64().unwrap() as usize
    );
    let pending = app
        .get(
            "/api/v1/alerts/notifications?state=pending",
            &app.admin_token,
        )
        .await;
    assert!(pending.body["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn a_status_change_re_arms_and_a_snooze_silences() {
    let app = spawn_app().await;
    let chased = id_of(
        &app.create_request(&sent_body("CHASED", &common::days_ago(100)))
            .await,
    );
    let snoozed = id_of(
        &app.create_request(&sent_body("SNOOZED", &common::days_ago(100)))
            .await,
    );
    let until = (common::office_today() + chrono::Days::new(10)).to_string();
    let res = app
        .post(
            &format!("/api/v1/requests/{snoozed}/snooze"),
            &app.admin_token,
            &json!({"until": until, "reason": "Answer promised"}),
        )
        .await;
    assert_eq!(res.status, 201);

    let first = app.run_alerts(false).await;
    assert_eq!(
        first["stalled"], 1,
        "the snoozed request is silent: {first}"
    );
    let mails = app.emails();
    assert!(
        mails
            .iter()
            .all(|m| !m.contains("SNOOZED") && !m.contains(&snoozed)),
        "{mails:?}"
    );

    // In execution since 95 days ago: a new episode, past the no-progress
    // thresholds.
    let res = app
        .transition(
            &chased,
            &json!({"to": "in_execution", "effective_date": common::days_ago(95)}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let second = app.run_alerts(false).await;
    assert!(
        second["notifications_created"].as_u64().unwrap() > 0,
        "re-armed: {second}"
    );
    let latest = to(&app, "coord@justice.example");
    assert_eq!(latest.len(), 2);
    // Shown once, at its highest level: the urgent no-progress rule.
    let reported = "Waiting 95 days without a change of status since ";
    let level = ": 65 days past the 30-day threshold (alert level 2).";
    assert!(
        latest.iter().any(|m| m.contains(reported)
            && m.contains(level)
            && m.contains("In execution (since")),
        "{latest:?}"
    );
}

#[actix_web::test]
async fn only_coordinators_and_admins_run_alerts() {
    let app = spawn_app().await;
    for (role, want) in [("coordinator", 200), ("clerk", 403), ("analyst", 403)] {
        let token = app.token_for(role).await;
        let res = app
            .post("/api/v1/alerts/run", &token, &json!({"dry_run": true}))
            .await;
        assert_eq!(res.status, want, "{role}: {res:?}");
        let res = app.get("/api/v1/alerts/notifications", &token).await;
        assert_eq!(res.status, want, "{role}: {res:?}");
    }
    let res = app
        .post(
            "/api/v1/alerts/run",
            &app.admin_token,
            &json!({"dry_run": "yes"}),
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
}

#[actix_web::test]
async fn a_large_digest_lists_the_most_urgent_and_counts_the_rest() {
    let app = spawn_app().await;
    let mut oldest = Vec::new();
    for i in 0..2 {
        let record = app
            .create_request(&sent_body(&format!("OLDEST-{i}"), &common::days_ago(400)))
            .await;
        oldest.push(record["reference"].as_str().unwrap().to_string());
    }
    let cap = mla_tracker::alerts::deliver::DIGEST_MAX_LINES as usize;
    for i in 0..cap + 1 {
        app.create_request(&sent_body(&format!("OLD-{i}"), &common::days_ago(100)))
            .await;
    }
    let summary = app.run_alerts(false).await;
    assert_eq!(summary["stalled"], cap + 3, "{summary}");

    let coordinator = to(&app, "coord@justice.example");
    assert_eq!(coordinator.len(), 1);
    let mail = &coordinator[0];
    let text = mail.split("Content-Type: text/html").next().unwrap();
    let entry = |l: &&str| {
        l.split_once(". ")
            .is_some_and(|(n, rest)| n.parse::<usize>().is_ok() && rest.contains(" — "))
    };
    assert_eq!(text.lines().filter(entry).count(), cap, "{text}");
    for reference in &oldest {
        assert!(
            text.contains(&format!(". {reference} — ")),
            "the most urgent are listed: {text}"
        );
    }
    assert!(
        mail.contains(&format!(
            "Subject: [mla-tracker] {} requests to follow up (highest alert level 3)",
            cap + 3
        )),
        "{mail}"
    );
    assert!(
        text.contains("…and 3 more: the full list is at http://127.0.0.1:8080/alerts"),
        "{text}"
    );
}
