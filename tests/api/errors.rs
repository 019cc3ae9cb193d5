//! What the API says when a call is wrong: the JSON error shape for every
//! status, 422s that name each bad field, PATCH rules, and the promise that a
//! refused call changes nothing (and that nothing answers 500).

use std::collections::BTreeSet;

use crate::common::{
    Resp, TestApp, draft_body, id_of, query, sent_body, spawn_app, spawn_app_with,
};
use awc::http::Method;
use serde_json::{Value, json};

const UNKNOWN_ID: &str = "6f1c1d43-58a3-4a3b-9d2e-0d6f0b1d2c3e";

/// Checks the error shape: `{"error": {"code", "message"}}` served as JSON,
/// with the expected status and code.
fn assert_error(res: &Resp, status: u16, code: &str, context: &str) {
    assert_eq!(res.status, status, "{context}: {res:?}");
    assert_eq!(res.code(), code, "{context}: {res:?}");
    let message = res.body["error"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{context}: a message: {res:?}");
    let content_type = res.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{context}: served as JSON, not {content_type}"
    );
}

/// The fields a 422 names.
fn named_fields(res: &Resp) -> BTreeSet<String> {
    res.body["error"]["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("no fields in {res:?}"))
        .keys()
        .cloned()
        .collect()
}

/// Posts a create body and expects 422 naming at least `fields`, each with
/// a message.
async fn assert_create_names(app: &TestApp, body: &Value, fields: &[&str]) -> Resp {
    let res = app.post("/api/v1/requests", &app.admin_token, body).await;
    assert_error(&res, 422, "validation_failed", &body.to_string());
    let named = named_fields(&res);
    for field in fields {
        assert!(named.contains(*field), "{field} not named in {res:?}");
        let messages = res.body["error"]["fields"][field].as_array().unwrap();
        assert!(
            messages
                .iter()
                .all(|m| m.as_str().is_some_and(|m| !m.is_empty())),
            "{res:?}"
        );
    }
    res
}

async fn request_count(app: &TestApp) -> usize {
    app.list_all("", 200).await.len()
}

// ---------------------------------------------------------------------------
// 422: validation names its fields
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_bad_nested_field_is_named_by_its_path() {
    let app = spawn_app().await;
    let mut body = draft_body("NESTED");
    body["issuing_magistrate"]["email"] = json!("not-an-email");
    let res = assert_create_names(&app, &body, &["issuing_magistrate.email"]).await;
    assert_eq!(named_fields(&res).len(), 1, "{res:?}");

    let mut body = draft_body("NESTED");
    body["issuing_magistrate"] = json!({"court": "TJ Paris"});
    assert_create_names(&app, &body, &["issuing_magistrate.name"]).await;

    let mut body = draft_body("NESTED");
    body["issuing_magistrate"]["phone"] = json!("+33 1 00 00 00 00");
    assert_create_names(&app, &body, &["issuing_magistrate.phone"]).await;

    let mut body = draft_body("NESTED");
    body["issuing_magistrate"]["name"] = json!("   ");
    assert_create_names(&app, &body, &["issuing_magistrate.name"]).await;
    assert_eq!(request_count(&app).await, 0);
}

#[actix_web::test]
async fn every_bad_field_of_a_body_is_named_at_once() {
    let app = spawn_app().await;
    let mut body = draft_body("MANY");
    body["title"] = json!("x".repeat(201));
    body["issuing_magistrate"]["email"] = json!("nope");
    body["coordinator_email"] = json!("also nope");
    body["facilitators"] = json!(["eurojust", "europol"]);
    body["legal_basis_detail"] = json!("y".repeat(1001));
    let res = assert_create_names(
        &app,
        &body,
        &[
            "title",
            "issuing_magistrate.email",
            "coordinator_email",
            "facilitators[1]",
            "legal_basis_detail",
        ],
    )
    .await;
    assert_eq!(named_fields(&res).len(), 5, "{res:?}");

    // Values that do not even parse, several at once.
    let mut body = draft_body("MANY");
    body["target_country"] = json!("ZZ");
    body["channel"] = json!("carrier_pigeon");
    body["priority"] = json!("high");
    body["needed_by"] = json!("next week");
    let res = assert_create_names(
        &app,
        &body,
        &["target_country", "channel", "priority", "needed_by"],
    )
    .await;
    let named = named_fields(&res);
    assert_eq!(named.len(), 4, "{res:?}");
    let message = res.body["error"]["fields"]["channel"][0].as_str().unwrap();
    assert!(
        message.contains("central_authority"),
        "an unknown value lists the accepted ones: {message}"
    );
    assert_eq!(request_count(&app).await, 0);
}

#[actix_web::test]
async fn unknown_vocabulary_values_are_named() {
    let app = spawn_app().await;
    let cases = [
        ("channel", json!("telepathy")),
        ("legal_basis", json!("goodwill")),
        ("priority", json!("very_urgent")),
        ("target_country", json!("ZZ")),
        ("target_country", json!("PHL")),
        ("target_country", json!("")),
    ];
    for (field, value) in cases {
        let mut body = draft_body("VOCAB");
        body[field] = value;
        assert_create_names(&app, &body, &[field]).await;
    }
    for (list, value) in [("offences", "jaywalking"), ("measures", "mind_reading")] {
        let mut body = draft_body("VOCAB");
        body[list] = json!([value]);
        let res = app.post("/api/v1/requests", &app.admin_token, &body).await;
        assert_error(&res, 422, "validation_failed", list);
        assert!(
            named_fields(&res).iter().any(|f| f.starts_with(list)),
            "{list}: {res:?}"
        );
    }
    assert_eq!(request_count(&app).await, 0);
}

#[actix_web::test]
async fn required_fields_are_named_when_missing() {
    let app = spawn_app().await;
    let res = assert_create_names(
        &app,
        &json!({}),
        &[
            "case_reference",
            "title",
            "issuing_magistrate",
            "target_country",
        ],
    )
    .await;
    assert_eq!(res.status, 422);
    for field in ["case_reference", "title"] {
        let mut body = draft_body("REQ");
        body[field] = json!("");
        assert_create_names(&app, &body, &[field]).await;
        body[field] = Value::Null;
        assert_create_names(&app, &body, &[field]).await;
    }
}

#[actix_web::test]
async fn values_of_the_wrong_type_or_size_are_422_not_500() {
    let app = spawn_app().await;
    let cases = [
        ("title", json!(42)),
        ("title", json!(["a"])),
        ("facilitators", json!("eurojust")),
        ("measure_outcomes", json!(["executed"])),
        ("measure_outcomes", json!({"subscriber_data": "lost"})),
        ("needed_by", json!("2026-02-30")),
        ("offences", json!("fraud")),
        ("issuing_magistrate", json!("Juge Martin")),
        ("case_id", json!("MLA-2026-00001")),
        ("case_id", json!(42)),
        ("case_reference", json!("c".repeat(101))),
        ("case_reference", json!(7)),
        ("foreign_reference", json!("f".repeat(101))),
        ("requested_authority", json!("r".repeat(201))),
        ("outcome_note", json!("o".repeat(10_001))),
    ];
    for (field, value) in cases {
        let mut body = draft_body("TYPES");
        body[field] = value.clone();
        let res = app.post("/api/v1/requests", &app.admin_token, &body).await;
        assert_error(&res, 422, "validation_failed", &format!("{field}={value}"));
        assert!(
            named_fields(&res).iter().any(|f| f.starts_with(field)),
            "{field}: {res:?}"
        );
    }
    assert_eq!(request_count(&app).await, 0);
}

#[actix_web::test]
async fn lifecycle_fields_cannot_be_set_on_creation() {
    let app = spawn_app().await;
    let cases = [
        ("status", json!("executed")),
        ("closed_at", json!("2025-01-01")),
        ("first_response_at", json!("2025-01-01")),
        ("version", json!(7)),
        ("id", json!(UNKNOWN_ID)),
        ("abandonment_reason", json!("no_response")),
        ("created_at", json!("2025-01-01T00:00:00Z")),
    ];
    for (field, value) in cases {
        let mut body = draft_body("LIFE");
        body[field] = value;
        assert_create_names(&app, &body, &[field]).await;
    }
    let mut body = sent_body("LIFE", "2025-01-10");
    body["status"] = json!("draft");
    assert_create_names(&app, &body, &["sent_at"]).await;
    assert_eq!(request_count(&app).await, 0);
}

#[actix_web::test]
async fn a_request_logged_as_sent_needs_a_channel_and_a_legal_basis() {
    let app = spawn_app().await;
    let mut body = sent_body("SENT", "2025-01-10");
    body.as_object_mut().unwrap().remove("channel");
    body["legal_basis"] = Value::Null;
    assert_create_names(&app, &body, &["channel", "legal_basis"]).await;
    assert_eq!(request_count(&app).await, 0);
}

#[actix_web::test]
async fn countries_are_normalised_and_kosovo_is_accepted() {
    let app = spawn_app().await;
    for (given, stored) in [("ph", "PH"), ("Fr", "FR"), ("xk", "XK"), ("XK", "XK")] {
        let mut body = draft_body("COUNTRY");
        body["target_country"] = json!(given);
        let created = app.create_request(&body).await;
        assert_eq!(created["target_country"], stored, "{given}");
        assert_eq!(app.fetch(&id_of(&created)).await["target_country"], stored);
    }
}

// ---------------------------------------------------------------------------
// 409 and references
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_duplicate_reference_is_409_and_adds_nothing() {
    let app = spawn_app().await;
    let mut body = draft_body("DUP");
    body["reference"] = json!("PARQUET/2026:17");
    let first = app.create_request(&body).await;
    assert_eq!(first["reference"], "PARQUET/2026:17");
    let mut again = draft_body("DUP-2");
    again["reference"] = json!("PARQUET/2026:17");
    let res = app.post("/api/v1/requests", &app.admin_token, &again).await;
    assert_error(&res, 409, "conflict", "duplicate reference");
    let all = app.list_all("", 200).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["case_reference"], "DUP");

    let too_long = "R".repeat(65);
    for bad in [" PARQUET", "a\nb", "", "<script>", too_long.as_str()] {
        let mut body = draft_body("BADREF");
        body["reference"] = json!(bad);
        assert_create_names(&app, &body, &["reference"]).await;
    }
    // The reference cannot be changed afterwards.
    let id = id_of(&first);
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"reference": "OTHER"}),
        )
        .await;
    assert_error(&res, 422, "validation_failed", "patch reference");
    assert!(named_fields(&res).contains("reference"));
}

/// Fields that left the request (victims to the case, the relation to
/// typed links) and channel values that became facilitators are refused
/// with where they went, on creation, PATCH and transitions.
#[actix_web::test]
async fn fields_that_moved_say_where_they_went() {
    let app = spawn_app().await;
    let mut body = draft_body("MOVED");
    body["related_request_id"] = json!(UNKNOWN_ID);
    body["victims_identified"] = json!(2);
    body["channel"] = json!("eurojust");
    let res = app.post("/api/v1/requests", &app.admin_token, &body).await;
    assert_error(&res, 422, "validation_failed", "moved fields");
    let fields = &res.body["error"]["fields"];
    assert!(
        fields["related_request_id"][0]
            .as_str()
            .unwrap()
            .contains("/links"),
        "{res:?}"
    );
    assert!(
        fields["victims_identified"][0]
            .as_str()
            .unwrap()
            .contains("/cases/"),
        "{res:?}"
    );
    assert!(
        fields["channel"][0]
            .as_str()
            .unwrap()
            .contains("facilitators"),
        "{res:?}"
    );
    assert_eq!(request_count(&app).await, 0);

    let id = id_of(&app.create_request(&sent_body("MOVED", "2025-01-10")).await);
    for patch in [
        json!({"related_request_id": null}),
        json!({"victims_identified": 1}),
        json!({"channel": "liaison_magistrate"}),
    ] {
        let res = app.patch(&id, &app.admin_token, Some(1), &patch).await;
        assert_error(&res, 422, "validation_failed", &patch.to_string());
    }
    let res = app
        .transition(
            &id,
            &json!({"to": "executed", "effective_date": "2025-06-01", "victims_identified": 3}),
        )
        .await;
    assert_error(&res, 422, "validation_failed", "victims on a transition");
    assert!(
        res.body["error"]["fields"]["victims_identified"][0]
            .as_str()
            .unwrap()
            .contains("case"),
        "{res:?}"
    );
    assert_eq!(app.fetch(&id).await["version"], 1);
}

// ---------------------------------------------------------------------------
// 400, 404, 405, 413, 415
// ---------------------------------------------------------------------------

/// Every endpoint that takes a JSON body, on a fresh request.
async fn json_endpoints(app: &TestApp) -> Vec<(Method, String, Vec<(&'static str, &'static str)>)> {
    let id = id_of(&app.create_request(&sent_body("BODY", "2025-01-10")).await);
    vec![
        (Method::POST, "/api/v1/requests".into(), vec![]),
        (
            Method::PATCH,
            format!("/api/v1/requests/{id}"),
            vec![("If-Match", "\"1\"")],
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{id}/transitions"),
            vec![],
        ),
        (Method::POST, format!("/api/v1/requests/{id}/notes"), vec![]),
        (Method::POST, "/api/v1/users".into(), vec![]),
    ]
}

#[actix_web::test]
async fn malformed_bodies_are_400_on_every_endpoint() {
    let app = spawn_app().await;
    let endpoints = json_endpoints(&app).await;
    let bodies: [&[u8]; 6] = [
        b"{\"title\": ",
        b"{'title': 'single quotes'}",
        b"[1, 2, 3]",
        b"\"a string\"",
        b"",
        b"\xff\xfe not utf-8",
    ];
    for (method, path, headers) in &endpoints {
        for body in bodies {
            let res = app
                .send_raw_with(
                    method.clone(),
                    path,
                    &app.admin_token,
                    "application/json",
                    body.to_vec(),
                    headers,
                )
                .await;
            let context = format!("{method} {path} {}", String::from_utf8_lossy(body));
            assert_error(&res, 400, "bad_request", &context);
        }
    }
    // Nothing was created or changed by all that.
    assert_eq!(request_count(&app).await, 1);
    let only = &app.list_all("", 10).await[0];
    assert_eq!(only["version"], 1);
    assert_eq!(app.events(&id_of(only)).await.len(), 1);
}

#[actix_web::test]
async fn a_wrong_content_type_is_415_and_json_variants_are_accepted() {
    let app = spawn_app().await;
    let endpoints = json_endpoints(&app).await;
    let body = serde_json::to_vec(&json!({"text": "hello"})).unwrap();
    for (method, path, headers) in &endpoints {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/xml",
        ] {
            let res = app
                .send_raw_with(
                    method.clone(),
                    path,
                    &app.admin_token,
                    content_type,
                    body.clone(),
                    headers,
                )
                .await;
            assert_error(
                &res,
                415,
                "unsupported_media_type",
                &format!("{method} {path} as {content_type}"),
            );
        }
    }
    assert_eq!(request_count(&app).await, 1);

    let create = serde_json::to_vec(&draft_body("CHARSET")).unwrap();
    let res = app
        .send_raw(
            Method::POST,
            "/api/v1/requests",
            &app.admin_token,
            "application/json; charset=utf-8",
            create,
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    let id = id_of(&res.body);
    let patch =
        serde_json::to_vec(&json!({"requested_authority": "DOJ Office of Cybercrime"})).unwrap();
    let res = app
        .send_raw_with(
            Method::PATCH,
            &format!("/api/v1/requests/{id}"),
            &app.admin_token,
            "application/merge-patch+json",
            patch,
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["requested_authority"], "DOJ Office of Cybercrime");
}

#[actix_web::test]
async fn bodies_over_the_limit_are_413_whether_announced_or_streamed() {
    let app = spawn_app_with(|s| s.server.body_limit_bytes = 2048).await;
    let endpoints = json_endpoints(&app).await;
    let mut big = draft_body("BIG");
    big["outcome_note"] = json!("n".repeat(4000));
    let big = serde_json::to_vec(&big).unwrap();
    for (method, path, headers) in &endpoints {
        let res = app
            .send_raw_with(
                method.clone(),
                path,
                &app.admin_token,
                "application/json",
                big.clone(),
                headers,
            )
            .await;
        assert_error(&res, 413, "payload_too_large", &format!("{method} {path}"));
    }
    let res = app
        .send_chunked(Method::POST, "/api/v1/requests", &app.admin_token, big, 512)
        .await;
    assert_error(&res, 413, "payload_too_large", "chunked");
    assert_eq!(request_count(&app).await, 1);
}

/// A create body whose JSON is exactly `size` bytes long.
fn body_of_size(size: usize) -> Vec<u8> {
    let mut body = draft_body("EXACT");
    body["outcome_note"] = json!("");
    let base = serde_json::to_vec(&body).unwrap().len();
    body["outcome_note"] = json!("n".repeat(size - base));
    let bytes = serde_json::to_vec(&body).unwrap();
    assert_eq!(bytes.len(), size);
    bytes
}

#[actix_web::test]
async fn a_body_exactly_at_the_limit_is_accepted() {
    let app = spawn_app_with(|s| s.server.body_limit_bytes = 2048).await;
    let at_limit = app
        .send_raw(
            Method::POST,
            "/api/v1/requests",
            &app.admin_token,
            "application/json",
            body_of_size(2048),
        )
        .await;
    assert_eq!(at_limit.status, 201, "{at_limit:?}");
    let over = app
        .send_raw(
            Method::POST,
            "/api/v1/requests",
            &app.admin_token,
            "application/json",
            body_of_size(2049),
        )
        .await;
    assert_error(&over, 413, "payload_too_large", "one byte over");
    let streamed = app
        .send_chunked(
            Method::POST,
            "/api/v1/requests",
            &app.admin_token,
            body_of_size(2048),
            100,
        )
        .await;
    assert_eq!(streamed.status, 201, "{streamed:?}");
    assert_eq!(request_count(&app).await, 2);
}

#[actix_web::test]
async fn unknown_ids_are_404_whatever_they_look_like() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    for id in [
        UNKNOWN_ID,
        "not-a-uuid",
        "12345",
        "%20",
        "MLA-2026-00001",
        "%FF",
    ] {
        for path in [
            format!("/api/v1/requests/{id}"),
            format!("/api/v1/requests/{id}/events"),
        ] {
            let res = app.get(&path, &token).await;
            assert_error(&res, 404, "not_found", &path);
        }
        let res = app.patch(id, &token, Some(1), &json!({"title": "x"})).await;
        assert_error(&res, 404, "not_found", &format!("PATCH {id}"));
        let res = app
            .post(
                &format!("/api/v1/requests/{id}/notes"),
                &token,
                &json!({"text": "x"}),
            )
            .await;
        assert_error(&res, 404, "not_found", &format!("note {id}"));
    }
}

#[actix_web::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    for path in [
        "/api/v1/nothing",
        "/api/v2/requests",
        "/nothing",
        "/nothing/at/all",
        "/api/v1/requests/x/y/z",
    ] {
        for auth in [Some(token.as_str()), None] {
            let res = app.call(Method::GET, path, auth, None).await;
            assert_error(&res, 404, "not_found", path);
        }
    }
    let res = app
        .call(Method::DELETE, "/api/v1/requests", Some(&token), None)
        .await;
    assert_error(&res, 405, "method_not_allowed", "DELETE /requests");
    let res = app
        .call(Method::PUT, "/api/v1/meta/vocabularies", Some(&token), None)
        .await;
    assert!(res.status == 404 || res.status == 405, "{res:?}");
    assert!(res.body["error"]["code"].is_string(), "{res:?}");
}

// ---------------------------------------------------------------------------
// PATCH: preconditions and what it may touch
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn patch_needs_a_current_if_match() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&draft_body("ETAG")).await);
    let path = format!("/api/v1/requests/{id}");
    let body = json!({"title": "Changed"});

    let res = app.patch(&id, &app.admin_token, None, &body).await;
    assert_error(&res, 428, "precondition_required", "no If-Match");
    let res = app.patch(&id, &app.admin_token, Some(2), &body).await;
    assert_error(&res, 412, "precondition_failed", "future version");
    assert_eq!(res.body["error"]["current_version"], 1);
    for tag in ["*", "\"one\"", "W/", "\"99999999999\"", "\"-1\""] {
        let res = app
            .call_with(
                Method::PATCH,
                &path,
                Some(&app.admin_token),
                Some(&body),
                &[("If-Match", tag)],
            )
            .await;
        assert!(
            res.status == 400 || res.status == 412,
            "If-Match {tag}: {res:?}"
        );
        assert!(res.body["error"]["code"].is_string(), "{res:?}");
    }
    assert_eq!(app.fetch(&id).await["title"], draft_body("x")["title"]);

    // A weak tag never matches (If-Match compares strongly, RFC 9110), even
    // of the current version: refused for what it is, and nothing changes.
    let res = app
        .call_with(
            Method::PATCH,
            &path,
            Some(&app.admin_token),
            Some(&body),
            &[("If-Match", "W/\"1\"")],
        )
        .await;
    assert_error(&res, 400, "bad_request", "weak tag");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("If-Match needs a strong ETag"),
        "{res:?}"
    );
    assert_eq!(app.fetch(&id).await["version"], 1);
    let res = app.patch(&id, &app.admin_token, Some(1), &body).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.header("etag").as_deref(), Some("\"2\""));
    let res = app.patch(&id, &app.admin_token, Some(1), &body).await;
    assert_error(&res, 412, "precondition_failed", "stale");
    assert_eq!(res.body["error"]["current_version"], 2);
}

#[actix_web::test]
async fn patch_refuses_lifecycle_fields_and_changes_nothing() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("LIFECYCLE", "2025-01-10"))
            .await,
    );
    let before = app.fetch(&id).await;
    let cases = [
        ("status", json!("executed")),
        ("status_since", json!("2025-02-01")),
        ("sent_at", json!("2025-02-01")),
        ("first_response_at", json!("2025-02-01")),
        ("closed_at", json!("2025-02-01")),
        ("abandonment_reason", json!("no_response")),
        ("refusal_ground", json!("de_minimis")),
        ("version", json!(5)),
        ("id", json!(UNKNOWN_ID)),
        ("created_by", json!(UNKNOWN_ID)),
        ("created_at", json!("2025-01-01T00:00:00Z")),
        ("updated_at", json!("2025-01-01T00:00:00Z")),
        ("reference", json!("NEW-REF")),
    ];
    for (field, value) in cases {
        // Even next to a legitimate change, the whole PATCH is refused.
        let body = json!({field: value, "title": "Should not stick"});
        let res = app.patch(&id, &app.admin_token, Some(1), &body).await;
        assert_error(&res, 422, "validation_failed", field);
        assert!(named_fields(&res).contains(field), "{field}: {res:?}");
    }
    let res = app
        .patch(&id, &app.admin_token, Some(1), &json!({"colour": "red"}))
        .await;
    assert_error(&res, 422, "validation_failed", "unknown field");
    assert!(named_fields(&res).contains("colour"));
    assert_eq!(app.fetch(&id).await, before);
    assert_eq!(app.events(&id).await.len(), 1);
}

#[actix_web::test]
async fn patch_validates_the_result() {
    let app = spawn_app().await;
    let sent = id_of(&app.create_request(&sent_body("SENT", "2025-01-10")).await);
    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": null}), "title"),
        (json!({"target_country": "ZZ"}), "target_country"),
        (json!({"channel": null}), "channel"),
        (json!({"legal_basis": null}), "legal_basis"),
        (json!({"case_reference": null}), "case_reference"),
        (json!({"case_id": null}), "case_id"),
        (
            json!({"measure_outcomes": {"identify_victims": "executed"}}),
            "measure_outcomes",
        ),
    ] {
        let res = app.patch(&sent, &app.admin_token, Some(1), &body).await;
        assert_error(&res, 422, "validation_failed", &body.to_string());
        assert!(named_fields(&res).contains(field), "{body}: {res:?}");
    }
    assert_eq!(app.fetch(&sent).await["version"], 1);
    // A draft has not left yet: it may lose its channel.
    let draft = id_of(&app.create_request(&draft_body("DRAFT")).await);
    let res = app
        .patch(&draft, &app.admin_token, Some(1), &json!({"channel": null}))
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["channel"], Value::Null);
}

#[actix_web::test]
async fn patch_null_clears_optional_fields_and_absent_fields_stay() {
    let app = spawn_app().await;
    let mut body = draft_body("CLEAR");
    body["requested_authority"] = json!("DOJ Office of Cybercrime");
    body["foreign_reference"] = json!("PH-DOJ-2025-114");
    body["needed_by"] = json!("2027-01-31");
    body["legal_basis_detail"] = json!("UNTOC art. 18");
    let created = app.create_request(&body).await;
    let id = id_of(&created);
    let patch = json!({
        "requested_authority": null,
        "foreign_reference": null,
        "needed_by": null,
        "coordinator_email": null,
    });
    let res = app.patch(&id, &app.admin_token, Some(1), &patch).await;
    assert_eq!(res.status, 200, "{res:?}");
    let r = &res.body;
    for field in [
        "requested_authority",
        "foreign_reference",
        "needed_by",
        "coordinator_email",
    ] {
        assert_eq!(r[field], Value::Null, "{field} cleared");
    }
    for field in [
        "legal_basis_detail",
        "title",
        "case_reference",
        "offences",
        "measures",
        "issuing_magistrate",
        "priority",
        "channel",
    ] {
        assert_eq!(r[field], created[field], "{field} untouched");
    }
    let changes = &app.events(&id).await[1]["changes"];
    assert_eq!(
        changes["requested_authority"],
        json!({"old": "DOJ Office of Cybercrime", "new": null})
    );
    assert_eq!(changes.as_object().unwrap().len(), 4, "{changes}");
}

/// RFC 7396: `null` removes a member; a removed list is the empty list.
#[actix_web::test]
async fn patch_null_clears_list_fields() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&draft_body("LISTS")).await);
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"offences": null, "measures": null}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["offences"], json!([]));
    assert_eq!(res.body["measures"], json!([]));
}

/// RFC 7396: a patch object merges into the target object recursively, so
/// changing the magistrate's email keeps their name and court.
#[actix_web::test]
async fn patch_merges_nested_objects() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&draft_body("MERGE")).await);
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"issuing_magistrate": {"email": "new.address@justice.example"}}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.body["issuing_magistrate"],
        json!({"name": "Juge Martin", "court": "TJ Paris", "email": "new.address@justice.example"})
    );
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(2),
            &json!({"issuing_magistrate": {"court": null}}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["issuing_magistrate"]["court"], Value::Null);
    assert_eq!(res.body["issuing_magistrate"]["name"], "Juge Martin");
}

#[actix_web::test]
async fn a_patch_is_recorded_with_old_and_new_values() {
    let app = spawn_app().await;
    let (_, clerk) = app.create_user("clerk").await;
    let created = app.create_request(&draft_body("AUDIT")).await;
    let id = id_of(&created);
    let res = app
        .patch(
            &id,
            &clerk,
            Some(1),
            &json!({"title": "Identify the victims (second request)", "offences": ["child_sexual_exploitation", "trafficking_in_persons"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let event = &app.events(&id).await[1];
    assert_eq!(event["kind"], "updated");
    assert_eq!(event["actor"]["name"], "Test clerk");
    assert_eq!(event["from_status"], Value::Null);
    assert_eq!(
        event["changes"]["title"],
        json!({"old": created["title"], "new": "Identify the victims (second request)"})
    );
    assert_eq!(
        event["changes"]["offences"]["new"],
        json!(["child_sexual_exploitation", "trafficking_in_persons"])
    );
    assert_eq!(event["changes"].as_object().unwrap().len(), 2);
}

// ---------------------------------------------------------------------------
// Never 500
// ---------------------------------------------------------------------------

/// PostgreSQL text cannot hold U+0000; SQLite can. Either way the API must
/// answer 201 (and give the text back) or 422 naming the field, never 500.
#[actix_web::test]
async fn nul_characters_in_text_never_cause_a_500() {
    let app = spawn_app().await;
    let mut body = draft_body("NUL");
    body["title"] = json!("before\u{0}after");
    let res = app.post("/api/v1/requests", &app.admin_token, &body).await;
    match res.status {
        201 => assert_eq!(app.fetch(&id_of(&res.body)).await["title"], body["title"]),
        422 => assert!(named_fields(&res).contains("title"), "{res:?}"),
        _ => panic!("title with U+0000: {res:?}"),
    }

    let id = id_of(&app.create_request(&draft_body("NUL-NOTE")).await);
    let res = app
        .post(
            &format!("/api/v1/requests/{id}/notes"),
            &app.admin_token,
            &json!({"text": "a\u{0}b"}),
        )
        .await;
    assert!(
        res.status == 201 || res.status == 422,
        "note with U+0000: {res:?}"
    );

    let res = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            &json!({"name": "Nul\u{0}User", "email": "nul@test.example", "role": "clerk"}),
        )
        .await;
    assert!(
        res.status == 201 || res.status == 422,
        "user with U+0000: {res:?}"
    );
}

/// A search for a character finds only the requests that contain it.
#[actix_web::test]
async fn searching_for_a_nul_character_finds_nothing_else() {
    let app = spawn_app().await;
    app.create_request(&draft_body("PLAIN")).await;
    let res = app
        .get(
            &format!("/api/v1/requests?{}", query(&[("q", "\u{0}")])),
            &app.admin_token,
        )
        .await;
    match res.status {
        200 => assert_eq!(res.body["items"], json!([]), "q=U+0000 matched: {res:?}"),
        422 => assert!(named_fields(&res).contains("q"), "{res:?}"),
        _ => panic!("q=U+0000: {res:?}"),
    }
}

#[actix_web::test]
async fn odd_inputs_get_4xx_never_500() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&sent_body("ODD", "2025-01-10")).await);
    let token = app.admin_token.clone();
    let calls: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/api/v1/requests".into(),
            json!({"title": {"nested": [1, {"deep": null}]}}),
        ),
        (Method::POST, "/api/v1/requests".into(), json!({"": ""})),
        (
            Method::POST,
            format!("/api/v1/requests/{id}/transitions"),
            json!({"to": null, "effective_date": null}),
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{id}/transitions"),
            json!({"to": "acknowledged", "effective_date": "+275760-09-13"}),
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{id}/transitions"),
            json!({"to": 7, "effective_date": 20250101}),
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{id}/notes"),
            json!({"text": "x".repeat(10_001)}),
        ),
        (
            Method::POST,
            format!("/api/v1/requests/{id}/notes"),
            json!({"text": "x", "effective_date": "0000-00-00"}),
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({"name": "", "email": "", "role": ""}),
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({"name": "N", "email": "n@test.example", "role": "admin", "extra": 1}),
        ),
    ];
    for (method, path, body) in calls {
        let res = app
            .call(method.clone(), &path, Some(&token), Some(&body))
            .await;
        assert!(
            (400..500).contains(&res.status),
            "{method} {path} {body}: {res:?}"
        );
        assert!(res.body["error"]["code"].is_string(), "{res:?}");
    }
    for q in [
        "sort=",
        "limit=",
        "status=",
        "q=%25%25%25",
        "q=%5C",
        "sent_from=%2B275760-09-13",
        "cursor=",
        "country=%F0%9F%87%AB%F0%9F%87%B7",
    ] {
        let res = app.get(&format!("/api/v1/requests?{q}"), &token).await;
        assert!(
            res.status == 200 || (400..500).contains(&res.status),
            "?{q}: {res:?}"
        );
    }
    assert_eq!(app.fetch(&id).await["version"], 1);
}
