//! `POST /requests/{id}/milestones` (docs/DOMAIN.md §4.1): who may record
//! one, what is refused and why, and that a refusal writes nothing.

use crate::common::{TestApp, draft_body, id_of, sent_body, spawn_app};
use serde_json::{Value, json};

const SENT_ON: &str = "2025-01-10";

async fn post(app: &TestApp, id: &str, token: &str, body: &Value) -> crate::common::Resp {
    app.post(&format!("/api/v1/requests/{id}/milestones"), token, body)
        .await
}

#[actix_web::test]
async fn milestones_set_their_dates_in_the_history_and_correct_them() {
    let app = spawn_app().await;
    let (_, clerk) = app.create_user("clerk").await;
    let id = id_of(&app.create_request(&sent_body("MILESTONES", SENT_ON)).await);
    let res = post(
        &app,
        &id,
        &clerk,
        &json!({"kind": "received", "effective_date": "2025-01-14", "note": "Fax receipt"}),
    )
    .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["received_at"], "2025-01-14");
    assert_eq!(
        (res.body["status"].as_str(), res.body["version"].as_i64()),
        (Some("sent"), Some(2))
    );
    assert_eq!(res.header("etag"), Some("\"2\"".into()));
    // A correction: the history keeps both values.
    let res = post(
        &app,
        &id,
        &clerk,
        &json!({"kind": "received", "effective_date": "2025-01-13"}),
    )
    .await;
    assert_eq!(res.status, 200, "{res:?}");
    let events = app.events(&id).await;
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "milestone");
    assert_eq!(last["from_status"], Value::Null);
    assert_eq!(
        last["changes"],
        json!({"received_at": {"old": "2025-01-14", "new": "2025-01-13"}})
    );
    assert_eq!(events[1]["note"], "Fax receipt");
    assert_eq!(app.fetch(&id).await, res.body);
}

#[actix_web::test]
async fn bad_milestones_are_refused_naming_the_field_and_write_nothing() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("BAD-MILESTONES", SENT_ON))
            .await,
    );
    app.move_to(&id, "acknowledged", "2025-01-20").await;
    let before = app.fetch(&id).await;
    let events_before = app.events(&id).await.len();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"kind": "received", "effective_date": "2025-01-09"}),
            "effective_date",
        ),
        (
            json!({"kind": "received", "effective_date": "2025-01-21"}),
            "effective_date",
        ),
        (
            json!({"kind": "received", "effective_date": "2999-01-01"}),
            "effective_date",
        ),
        (
            json!({"kind": "recognised", "effective_date": "2025-02-01", "extended_to": "2025-03-01"}),
            "extended_to",
        ),
        (
            json!({"kind": "recognised", "effective_date": "2025-02-01", "reason": "why"}),
            "reason",
        ),
        (
            json!({"kind": "deadline_extended", "effective_date": "2025-02-01", "reason": "Witness abroad"}),
            "extended_to",
        ),
        (
            json!({"kind": "deadline_extended", "effective_date": "2025-02-01", "extended_to": "2025-01-31", "reason": "x"}),
            "extended_to",
        ),
        (
            json!({"kind": "deadline_extended", "effective_date": "2025-02-01", "extended_to": "2025-03-01"}),
            "reason",
        ),
        (json!({"kind": "received"}), "effective_date"),
        (
            json!({"kind": "reception", "effective_date": "2025-01-15"}),
            "kind",
        ),
        (
            json!({"kind": "received", "effective_date": "2025-01-15", "by": "fax"}),
            "by",
        ),
    ];
    for (body, field) in cases {
        let res = post(&app, &id, &app.admin_token, &body).await;
        assert_eq!(res.status, 422, "{body}: {res:?}");
        assert!(
            res.body["error"]["fields"][field].is_array(),
            "{body} names {field}: {res:?}"
        );
    }
    assert_eq!(app.fetch(&id).await, before);
    assert_eq!(app.events(&id).await.len(), events_before);
}

#[actix_web::test]
async fn milestones_need_a_sent_request_a_writer_and_a_current_version() {
    let app = spawn_app().await;
    let draft = id_of(&app.create_request(&draft_body("MILESTONE-DRAFT")).await);
    let body = json!({"kind": "received", "effective_date": "2025-01-15"});
    let res = post(&app, &draft, &app.admin_token, &body).await;
    assert_eq!(res.status, 409, "{res:?}");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not been sent")
    );

    let id = id_of(
        &app.create_request(&sent_body("MILESTONE-ROLES", SENT_ON))
            .await,
    );
    let analyst = app.token_for("analyst").await;
    assert_eq!(post(&app, &id, &analyst, &body).await.status, 403);
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        post(&app, unknown, &app.admin_token, &body).await.status,
        404
    );

    let path = format!("/api/v1/requests/{id}/milestones");
    let stale = app
        .call_with(
            awc::http::Method::POST,
            &path,
            Some(&app.admin_token),
            Some(&body),
            &[("If-Match", "\"7\"")],
        )
        .await;
    assert_eq!(stale.status, 412, "{stale:?}");
    let current = app
        .call_with(
            awc::http::Method::POST,
            &path,
            Some(&app.admin_token),
            Some(&body),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(current.status, 200, "{current:?}");
}
