//! Emergencies (docs/DOMAIN.md §7.5): the `emergency` priority, the instant
//! a request left (`sent_time`), and the hour rules that count from it. The
//! emergency scan's schedule is in tests/api/scheduler.rs.

use crate::common::{self, TestApp, draft_body, id_of, office_today, sent_body, spawn_app};
use serde_json::{Value, json};

fn emergency(case: &str) -> Value {
    let mut body = draft_body(case);
    body["priority"] = json!("emergency");
    body
}

async fn create(app: &TestApp, body: &Value) -> common::Resp {
    app.post("/api/v1/requests", &app.admin_token, body).await
}

#[actix_web::test]
async fn an_emergency_sent_today_records_when_it_left() {
    let app = spawn_app().await;
    let today = office_today().to_string();
    // Logged as sent today without a time: now, the service's instant.
    let mut body = emergency("EMERGENCY-NOW");
    body["sent_at"] = json!(today);
    let res = create(&app, &body).await;
    assert_eq!(res.status, 201, "{res:?}");
    let now = common::test_now();
    let recorded: chrono::DateTime<chrono::Utc> =
        res.body["sent_time"].as_str().unwrap().parse().unwrap();
    assert_eq!(recorded, now);
    assert_eq!(res.body["priority"], "emergency");

    // A draft sent with an explicit time keeps it, in the history too.
    let draft = app.create_request(&emergency("EMERGENCY-DRAFT")).await;
    let id = id_of(&draft);
    let earlier = (now - chrono::Duration::minutes(20)).to_rfc3339();
    let earlier_day = common::test_clock()
        .today(chrono_tz::Europe::Paris)
        .date_of(earlier.parse().unwrap())
        .to_string();
    let res = app
        .transition(
            &id,
            &json!({"to": "sent", "effective_date": earlier_day, "sent_time": earlier}),
        )
        .await;
    if earlier_day == today {
        assert_eq!(res.status, 200, "{res:?}");
        let left: chrono::DateTime<chrono::Utc> =
            res.body["sent_time"].as_str().unwrap().parse().unwrap();
        assert_eq!(left.to_rfc3339(), earlier);
        let last = app.events(&id).await.pop().unwrap();
        assert!(last["changes"]["sent_time"]["new"].is_string(), "{last}");
    }

    // Not an emergency, sent in the past, no time given: none recorded.
    let res = create(&app, &sent_body("NORMAL", &common::days_ago(3))).await;
    assert_eq!(res.status, 201, "{res:?}");
    assert_eq!(res.body["sent_time"], Value::Null);
}

#[actix_web::test]
async fn a_sending_time_must_fall_on_the_day_it_was_sent_and_not_ahead() {
    let app = spawn_app().await;
    let now = common::test_now();
    let cases = [
        (
            json!({"sent_at": common::days_ago(3), "sent_time": now.to_rfc3339()}),
            "not on the day it was sent",
        ),
        (
            json!({"sent_at": office_today(), "sent_time": (now + chrono::Duration::hours(1)).to_rfc3339()}),
            "must not be in the future",
        ),
        (json!({"sent_time": now.to_rfc3339()}), "needs `sent_at`"),
        (
            json!({"sent_at": office_today(), "sent_time": "at dawn"}),
            "",
        ),
    ];
    for (extra, message) in cases {
        let mut body = emergency("EMERGENCY-BAD");
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = create(&app, &body).await;
        assert_eq!(res.status, 422, "{extra}: {res:?}");
        let said = res.body["error"]["fields"]["sent_time"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{extra}: names sent_time: {res:?}"));
        assert!(said.contains(message), "{extra}: {said}");
    }
    // Only a transition to `sent` takes one.
    let id = id_of(
        &app.create_request(&sent_body("SENT", &common::days_ago(3)))
            .await,
    );
    let res = app
        .transition(
            &id,
            &json!({"to": "acknowledged", "effective_date": office_today(),
                    "sent_time": now.to_rfc3339()}),
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert!(
        res.body["error"]["fields"]["sent_time"].is_array(),
        "{res:?}"
    );
    // And PATCH never does.
    let res = app
        .call_with(
            awc::http::Method::PATCH,
            &format!("/api/v1/requests/{id}"),
            Some(&app.admin_token),
            Some(&json!({"sent_time": now.to_rfc3339()})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert!(
        res.body["error"]["fields"]["sent_time"].is_array(),
        "{res:?}"
    );
}

#[actix_web::test]
async fn the_hour_rules_list_an_emergency_as_soon_as_its_hours_are_up() {
    let app = spawn_app().await;
    let now = common::test_now();
    let at = |hours_ago: i64| now - chrono::Duration::hours(hours_ago);
    let zone = common::test_clock().today(chrono_tz::Europe::Paris);
    let mut ids = Vec::new();
    for (case, hours_ago) in [("E-30H", 30), ("E-2H", 2)] {
        let left = at(hours_ago);
        let mut body = emergency(case);
        body["sent_at"] = json!(zone.date_of(left));
        body["sent_time"] = json!(left.to_rfc3339());
        ids.push(id_of(&app.create_request(&body).await));
    }
    let res = app.get("/api/v1/alerts/stalled", &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    let items = res.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{res:?}");
    assert_eq!(items[0]["request"]["id"], ids[0].as_str());
    let breach = items[0]["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["rule"] == "emergency-no-answer-24-hours")
        .unwrap_or_else(|| panic!("{res:?}"));
    assert_eq!(
        (
            &breach["after_hours"],
            &breach["overdue_hours"],
            &breach["level"]
        ),
        (&json!(24), &json!(6), &json!(3))
    );
    // Answered: off the list.
    app.move_to(&ids[0], "in_execution", &office_today().to_string())
        .await;
    let res = app.get("/api/v1/alerts/stalled", &app.admin_token).await;
    assert!(res.body["items"].as_array().unwrap().is_empty(), "{res:?}");
}
