//! The alert scheduler and delivery loop inside `serve`, and instances.

use crate::common;
use mla_tracker::config::SecretUrl;

use std::time::{Duration, Instant};

use crate::common::{TestApp, sent_body, spawn_app, spawn_app_with, test_settings};
use mla_tracker::db::Backend;
use mla_tracker::http::server::Application;

/// Waits until `app` has written `count` emails, or panics after `limit`.
async fn wait_for_emails(app: &TestApp, count: usize, limit: Duration) -> Vec<String> {
    let start = Instant::now();
    loop {
        let mails = app.emails();
        if mails.len() >= count || start.elapsed() > limit {
            return mails;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn the_scheduler_scans_and_mails_on_its_own() {
    let app = spawn_app_with(|s| {
        s.alerts.enabled = true;
        s.alerts.schedule = "* * * * * *".parse().unwrap(); // every second
    })
    .await;
    app.create_request(&sent_body("SCHEDULED", &common::days_ago(400)))
        .await;
    let mails = wait_for_emails(&app, 3, Duration::from_secs(20)).await;
    assert_eq!(
        mails.len(),
        3,
        "coordinator, magistrate and supervisors: {mails:?}"
    );
    // Later ticks find nothing new.
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.emails().len(), 3);
}

#[actix_web::test]
async fn sqlite_serves_one_instance_and_postgresql_several_without_duplicates() {
    // The first instance only records; the others scan every second.
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_request(&sent_body(&format!("TWO-{i}"), &common::days_ago(400)))
            .await;
    }
    let scanner = || {
        let mut s = test_settings(&app.database_url);
        s.alerts.enabled = true;
        s.alerts.schedule = "* * * * * *".parse().unwrap();
        s.mail.url = SecretUrl::new(format!("file://{}", app.outbox.display()));
        s
    };
    match app.backend {
        Backend::Sqlite => {
            let err = Application::build(scanner())
                .err()
                .expect("a second SQLite instance is refused");
            assert!(
                err.to_string()
                    .contains("another mla-tracker is using the SQLite database"),
                "{err}"
            );
        }
        Backend::Postgres => {
            for _ in 0..2 {
                let other = Application::build(scanner()).expect("more PostgreSQL instances start");
                actix_web::rt::spawn(other.run_until_stopped());
            }
            wait_for_emails(&app, 3, Duration::from_secs(20)).await;
            // Several more ticks of both schedulers and delivery loops.
            actix_web::rt::time::sleep(Duration::from_millis(3000)).await;
            let mails = app.emails();
            assert_eq!(
                mails.len(),
                3,
                "one digest per recipient across instances: {mails:?}"
            );
            for recipient in [
                "coord@justice.example",
                "martin@justice.example",
                "chef.bureau@example.org",
            ] {
                let to_them: Vec<_> = mails
                    .iter()
                    .filter(|m| m.contains(&format!("To: {recipient}")))
                    .collect();
                assert_eq!(to_them.len(), 1, "{recipient}");
                assert_eq!(
                    to_them[0]
                        .lines()
                        .filter(|l| l.contains(". MLA-") && l.contains(" — "))
                        .count(),
                    5,
                    "all five requests in one digest"
                );
            }
        }
    }
}

/// An emergency request past its 8-hour rule is mailed by the next
/// emergency scan on a Saturday, while a request stalled for a year waits
/// for the weekday morning scan. The service's clock is pinned on Saturday
/// 13 June 2026 at 12:00 in Paris; the emergency schedule ticks every
/// second of that pinned instant (the shipped one, every 15 minutes every
/// day, is checked in src/services/alerts.rs), the morning one stays as
/// shipped (08:00, Monday to Friday).
#[actix_web::test]
async fn an_emergency_is_mailed_by_the_emergency_scan_on_a_saturday() {
    let saturday: chrono::DateTime<chrono::Utc> = "2026-06-13T10:00:00Z".parse().unwrap();
    let app = spawn_app_with(|s| {
        s.clock = mla_tracker::domain::Clock::Pinned(saturday);
        s.alerts.enabled = true;
        s.alerts.emergency_schedule = "* * * * * *".parse().unwrap();
    })
    .await;
    let mut emergency = sent_body("EMERGENCY", "2026-06-13");
    emergency["priority"] = serde_json::json!("emergency");
    emergency["target_country"] = serde_json::json!("IE");
    emergency["legal_basis"] = serde_json::json!("e_evidence_regulation");
    emergency["channel"] = serde_json::json!("service_provider_direct");
    // Left at 01:30 UTC: 8 and a half hours ago.
    emergency["sent_time"] = serde_json::json!("2026-06-13T01:30:00Z");
    let emergency = app.create_request(&emergency).await;
    let forgotten = app
        .create_request(&sent_body("FORGOTTEN", "2025-05-01"))
        .await;

    let mails = wait_for_emails(&app, 3, Duration::from_secs(20)).await;
    assert_eq!(
        mails.len(),
        3,
        "coordinator, magistrate and supervisors: {mails:?}"
    );
    for mail in &mails {
        assert!(
            mail.contains(emergency["reference"].as_str().unwrap()),
            "{mail}"
        );
        assert!(
            mail.contains("Emergency: it left 8 hours ago, on 13 June 2026 at 01:30 UTC; the 8-hour threshold has just passed (alert level 3).")
                && mail.contains("To do: call the requested authority's contact point now"),
            "{mail}"
        );
        assert!(
            !mail.contains(forgotten["reference"].as_str().unwrap()),
            "the morning scan's business, on Monday: {mail}"
        );
    }
    // Later ticks find nothing new.
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.emails().len(), 3);
    let notifications = app
        .get("/api/v1/alerts/notifications", &app.admin_token)
        .await;
    let items = notifications.body["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|n| n["request_id"] == emergency["id"] && n["state"] == "sent"),
        "{notifications:?}"
    );
}
