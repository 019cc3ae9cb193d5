//! Typed links between requests (docs/DOMAIN.md §2.3): made from one end,
//! shown on both, recorded in both histories, one per pair, removable from
//! either end.

use awc::http::Method;
use serde_json::{Value, json};

use crate::common::{Resp, TestApp, id_of, sent_body, spawn_app};

const UNKNOWN_ID: &str = "6f1c2a3b-0000-4000-8000-00000000abcd";

async fn link(app: &TestApp, from: &str, body: &Value) -> Resp {
    app.post(
        &format!("/api/v1/requests/{from}/links"),
        &app.admin_token,
        body,
    )
    .await
}

async fn unlink(app: &TestApp, from: &str, link: &str) -> Resp {
    app.call(
        Method::DELETE,
        &format!("/api/v1/requests/{from}/links/{link}"),
        Some(&app.admin_token),
        None,
    )
    .await
}

#[actix_web::test]
async fn a_link_is_shown_and_recorded_at_both_ends() {
    let app = spawn_app().await;
    let refused = app.create_request(&sent_body("LINKS", "2025-01-10")).await;
    let refused_id = id_of(&refused);
    app.move_to(&refused_id, "refused", "2025-03-01").await;
    let reissue = app.create_request(&sent_body("LINKS", "2025-04-01")).await;
    let reissue_id = id_of(&reissue);

    let res = link(
        &app,
        &reissue_id,
        &json!({"kind": "reissued_after_refusal", "to": refused_id}),
    )
    .await;
    assert_eq!(res.status, 201, "{res:?}");
    let link_id = id_of(&res.body);
    assert_eq!(
        res.body,
        json!({"id": link_id, "kind": "reissued_after_refusal", "direction": "outgoing",
               "request_id": refused_id, "reference": refused["reference"]})
    );

    let from = app.fetch(&reissue_id).await;
    let to = app.fetch(&refused_id).await;
    assert_eq!(from["links"], json!([res.body]));
    assert_eq!(
        to["links"],
        json!([{"id": link_id, "kind": "reissued_after_refusal", "direction": "incoming",
                "request_id": reissue_id, "reference": reissue["reference"]}])
    );
    // A link is no edit of either record: no new version.
    assert_eq!(from["version"], 1);
    assert_eq!(to["version"], 2);
    // Lists show links too.
    let listed = app.list_all("q=links", 10).await;
    assert!(
        listed
            .iter()
            .all(|r| r["links"].as_array().unwrap().len() == 1)
    );

    for (id, direction) in [(&reissue_id, "outgoing"), (&refused_id, "incoming")] {
        let event = app.events(id).await.pop().unwrap();
        assert_eq!(event["kind"], "linked", "{event}");
        assert_eq!(event["changes"]["link"]["old"], Value::Null);
        assert_eq!(event["changes"]["link"]["new"]["direction"], direction);
        assert_eq!(event["changes"]["link"]["new"]["id"], link_id.as_str());
    }

    // Removed from the other end: gone from both, recorded in both.
    let res = unlink(&app, &refused_id, &link_id).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["kind"], "unlinked");
    assert_eq!(res.body["changes"]["link"]["new"], Value::Null);
    assert_eq!(res.body["changes"]["link"]["old"]["direction"], "incoming");
    assert_eq!(app.fetch(&reissue_id).await["links"], json!([]));
    assert_eq!(app.fetch(&refused_id).await["links"], json!([]));
    let event = app.events(&reissue_id).await.pop().unwrap();
    assert_eq!(event["kind"], "unlinked");
    // Gone is gone.
    let res = unlink(&app, &reissue_id, &link_id).await;
    assert_eq!((res.status, res.code()), (404, "not_found"), "{res:?}");
    // Once removed, the pair may be linked again, another way.
    let res = link(
        &app,
        &reissue_id,
        &json!({"kind": "supersedes", "to": refused_id}),
    )
    .await;
    assert_eq!(res.status, 201, "{res:?}");
}

#[actix_web::test]
async fn bad_links_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let a = id_of(
        &app.create_request(&sent_body("BAD-LINKS", "2025-01-10"))
            .await,
    );
    let b = id_of(
        &app.create_request(&sent_body("BAD-LINKS", "2025-02-10"))
            .await,
    );
    let c = id_of(
        &app.create_request(&sent_body("OTHER-CASE", "2025-02-10"))
            .await,
    );
    let res = link(&app, &a, &json!({"kind": "supplements", "to": b})).await;
    assert_eq!(res.status, 201, "{res:?}");
    let existing = id_of(&res.body);
    let events_before = (app.events(&a).await, app.events(&b).await);

    let refusals: Vec<(String, Value, u16, &str)> = vec![
        // The same pair, either way, whatever the kind.
        (
            a.clone(),
            json!({"kind": "supplements", "to": b}),
            409,
            "conflict",
        ),
        (
            b.clone(),
            json!({"kind": "supersedes", "to": a}),
            409,
            "conflict",
        ),
        (
            a.clone(),
            json!({"kind": "follow_up_of", "to": a}),
            422,
            "validation_failed",
        ),
        (
            a.clone(),
            json!({"kind": "follow_up_of", "to": UNKNOWN_ID}),
            422,
            "validation_failed",
        ),
        (
            UNKNOWN_ID.into(),
            json!({"kind": "follow_up_of", "to": a}),
            404,
            "not_found",
        ),
        (
            a.clone(),
            json!({"kind": "replaces", "to": b}),
            422,
            "validation_failed",
        ),
        (
            a.clone(),
            json!({"kind": "supplements", "to": "MLA-2026-00001"}),
            422,
            "validation_failed",
        ),
        (
            a.clone(),
            json!({"kind": "supplements"}),
            422,
            "validation_failed",
        ),
        (
            a.clone(),
            json!({"kind": "supplements", "to": c, "note": "x"}),
            422,
            "validation_failed",
        ),
    ];
    for (from, body, status, code) in refusals {
        let res = link(&app, &from, &body).await;
        assert_eq!(
            (res.status, res.code()),
            (status, code),
            "{from} {body}: {res:?}"
        );
    }
    let res = link(&app, &b, &json!({"kind": "supplements", "to": a})).await;
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&existing),
        "the conflict names the link to remove: {res:?}"
    );
    assert_eq!((app.events(&a).await, app.events(&b).await), events_before);
    // A link of other requests cannot be removed through this one.
    let res = unlink(&app, &c, &existing).await;
    assert_eq!(res.status, 404, "{res:?}");
    let res = unlink(&app, &a, "not-a-link").await;
    assert_eq!(res.status, 404, "{res:?}");
    assert_eq!(app.fetch(&a).await["links"].as_array().unwrap().len(), 1);
    // A link may cross cases.
    let res = link(&app, &c, &json!({"kind": "follow_up_of", "to": a})).await;
    assert_eq!(res.status, 201, "{res:?}");
}

#[actix_web::test]
async fn linkers_of_one_pair_at_once_make_one_link() {
    let app = spawn_app().await;
    let a = id_of(
        &app.create_request(&sent_body("RACE-LINK", "2025-01-10"))
            .await,
    );
    let b = id_of(
        &app.create_request(&sent_body("RACE-LINK", "2025-02-10"))
            .await,
    );
    let calls = (0..8).map(|i| {
        let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let app = &app;
        async move { link(app, from, &json!({"kind": "follow_up_of", "to": to})).await }
    });
    let results = crate::common::concurrently(calls.collect()).await;
    let made = results.iter().filter(|r| r.status == 201).count();
    let refused = results.iter().filter(|r| r.status == 409).count();
    assert_eq!((made, refused), (1, 7), "{results:?}");
    let linked = |events: Vec<Value>| events.iter().filter(|e| e["kind"] == "linked").count();
    assert_eq!(linked(app.events(&a).await), 1);
    assert_eq!(linked(app.events(&b).await), 1);
}
