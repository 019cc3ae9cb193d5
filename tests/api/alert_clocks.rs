//! The shipped rules count from the dates the instruments name
//! (docs/DOMAIN.md §7.2): an acknowledgement does not restart the EIO
//! recognition clock, a recorded receipt or recognition moves it, an
//! extension defers it, and "no answer" runs from sending until a
//! substantive response.

use crate::common::{self, TestApp, id_of, sent_body, spawn_app};
use serde_json::{Value, json};

/// An urgent EIO to Germany sent `days` days ago.
async fn eio_sent(app: &TestApp, case: &str, days: u64) -> String {
    let mut body = sent_body(case, &common::days_ago(days));
    body["target_country"] = json!("DE");
    body["legal_basis"] = json!("eio_directive");
    body["channel"] = json!("direct_judicial");
    body["priority"] = json!("normal");
    id_of(&app.create_request(&body).await)
}

async fn milestone(app: &TestApp, id: &str, body: Value) -> Value {
    let res = app
        .post(
            &format!("/api/v1/requests/{id}/milestones"),
            &app.admin_token,
            &body,
        )
        .await;
    assert_eq!(res.status, 200, "{body}: {res:?}");
    res.body
}

/// The breach of `rule` by request `id` on the stalled list, if any.
async fn breach(app: &TestApp, id: &str, rule: &str) -> Option<Value> {
    let res = app.get("/api/v1/alerts/stalled", &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["request"]["id"] == id)
        .and_then(|item| {
            item["breaches"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["rule"] == rule)
                .cloned()
        })
}

fn episode_and_overdue(b: &Value) -> (String, i64) {
    (
        b["episode"].as_str().unwrap().to_string(),
        b["overdue_days"].as_i64().unwrap(),
    )
}

#[actix_web::test]
async fn an_acknowledgement_does_not_restart_the_eio_recognition_clock() {
    let app = spawn_app().await;
    let id = eio_sent(&app, "EIO-ACK", 40).await;
    // 40 days after sending, nothing received on record: 10 days overdue.
    let b = breach(&app, &id, "eio-no-recognition").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(40), 10));

    // Acknowledged 35 days ago: the clock runs from that receipt, not from
    // the status change (which would have made it 5 days old).
    let record = app
        .move_to(&id, "acknowledged", &common::days_ago(35))
        .await;
    assert_eq!(record["acknowledged_at"], common::days_ago(35).as_str());
    assert_eq!(record["first_response_at"], Value::Null);
    let b = breach(&app, &id, "eio-no-recognition").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(35), 5));
    assert!(
        breach(&app, &id, "no-answer-reminder").await.is_none(),
        "40 days: under the 60-day no-answer reminder"
    );

    // The transmission proof says it was received 38 days ago.
    let record = milestone(
        &app,
        &id,
        json!({"kind": "received", "effective_date": common::days_ago(38)}),
    )
    .await;
    assert_eq!(record["received_at"], common::days_ago(38).as_str());
    assert_eq!(record["status"], "acknowledged");
    let b = breach(&app, &id, "eio-no-recognition").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(38), 8));

    // Germany extends the recognition deadline (art. 12(5)): no breach
    // until the day after the new deadline.
    let until = (common::office_today() + chrono::Days::new(5)).to_string();
    let record = milestone(
        &app,
        &id,
        json!({"kind": "deadline_extended", "effective_date": common::days_ago(9),
               "extended_to": until, "reason": "Waiting for the court's decision"}),
    )
    .await;
    assert_eq!(record["deadline_extended_to"], until.as_str());
    assert!(breach(&app, &id, "eio-no-recognition").await.is_none());

    // Each milestone is in the history.
    let events = app.events(&id).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "transition", "milestone", "milestone"]);
    assert_eq!(
        events[2]["changes"]["received_at"],
        json!({"old": null, "new": common::days_ago(38)})
    );
    assert_eq!(events[3]["effective_date"], common::days_ago(9).as_str());
}

#[actix_web::test]
async fn the_eio_execution_clock_runs_from_recognition() {
    let app = spawn_app().await;
    let id = eio_sent(&app, "EIO-EXEC", 150).await;
    milestone(
        &app,
        &id,
        json!({"kind": "recognised", "effective_date": common::days_ago(100)}),
    )
    .await;
    // Execution started 20 days ago; the 90 days run from recognition.
    app.move_to(&id, "in_execution", &common::days_ago(20))
        .await;
    let b = breach(&app, &id, "eio-execution-overdue").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(100), 10));
    assert!(
        breach(&app, &id, "no-progress-reminder").await.is_none(),
        "20 days in execution: under the 90-day status clock"
    );

    // Without a recorded recognition, the clock runs from the status.
    let other = eio_sent(&app, "EIO-EXEC-2", 150).await;
    app.move_to(&other, "in_execution", &common::days_ago(95))
        .await;
    let b = breach(&app, &other, "eio-execution-overdue").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(95), 5));
}

#[actix_web::test]
async fn no_answer_runs_from_sending_until_a_substantive_response() {
    let app = spawn_app().await;
    let mut body = sent_body("SILENT", &common::days_ago(70));
    body["priority"] = json!("normal");
    let id = id_of(&app.create_request(&body).await);
    app.move_to(&id, "acknowledged", &common::days_ago(65))
        .await;
    let b = breach(&app, &id, "no-answer-reminder").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(70), 10));

    // They ask for more; we supply it: their move, and a status clock.
    app.move_to(&id, "additional_info_requested", &common::days_ago(60))
        .await;
    assert!(breach(&app, &id, "no-answer-reminder").await.is_none());
    let b = breach(&app, &id, "waiting-on-us").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(60), 46));
    let record = app
        .move_to(&id, "information_supplied", &common::days_ago(50))
        .await;
    assert_eq!(record["first_response_at"], common::days_ago(60).as_str());
    assert!(breach(&app, &id, "waiting-on-us").await.is_none());
    assert!(breach(&app, &id, "no-progress-reminder").await.is_none());

    // A postponement is an answer, chased by the no-progress rules.
    let mut body = sent_body("POSTPONED", &common::days_ago(200));
    body["priority"] = json!("normal");
    let other = id_of(&app.create_request(&body).await);
    let record = app
        .move_to(&other, "postponed", &common::days_ago(95))
        .await;
    assert_eq!(record["first_response_at"], common::days_ago(95).as_str());
    assert!(breach(&app, &other, "no-answer-reminder").await.is_none());
    let b = breach(&app, &other, "no-progress-reminder").await.unwrap();
    assert_eq!(episode_and_overdue(&b), (common::days_ago(95), 5));
}
