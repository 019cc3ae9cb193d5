//! `/users`: accounts and tokens. Tokens are shown once, rotate and
//! deactivate revoke them at once, and the last active admin stays.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{TestApp, concurrently, id_of, sent_body, spawn_app};
use awc::http::Method;
use mla_tracker::db::users;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const UNKNOWN_ID: &str = "6f1c1d43-58a3-4a3b-9d2e-0d6f0b1d2c3e";

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn list_users(app: &TestApp) -> (Vec<Value>, String) {
    let res = app.get("/api/v1/users", &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    let text = res.body.to_string();
    (res.body["items"].as_array().unwrap().clone(), text)
}

/// Asserts a listing carries no secret: no token field, no token, no hash.
fn assert_no_secrets(items: &[Value], text: &str, tokens: &[&str]) {
    for user in items {
        let keys: BTreeSet<&str> = user
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert!(
            !keys
                .iter()
                .any(|k| k.contains("token") && *k != "token_created_at"),
            "{user}"
        );
        assert!(
            !keys.contains("token_hash") && !keys.contains("hash"),
            "{user}"
        );
    }
    for token in tokens {
        assert!(!text.contains(token), "a token is listed");
        assert!(!text.contains(&sha256_hex(token)), "a token hash is listed");
    }
}

async fn delete_user(app: &TestApp, id: &str, token: &str) -> common::Resp {
    app.call(
        Method::DELETE,
        &format!("/api/v1/users/{id}"),
        Some(token),
        None,
    )
    .await
}

async fn rotate(app: &TestApp, id: &str, token: &str) -> common::Resp {
    app.call(
        Method::POST,
        &format!("/api/v1/users/{id}/tokens"),
        Some(token),
        None,
    )
    .await
}

/// The status a token gets on an endpoint every active user may call.
async fn token_status(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/meta/vocabularies", token).await.status
}

#[actix_web::test]
async fn a_new_user_gets_a_working_token_shown_only_once() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            &json!({"name": "Claire Coordinator", "email": "Claire.C@Justice.example", "role": "coordinator"}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    let user = &res.body["user"];
    let token = res.body["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 32, "a long random token: {token}");
    assert_eq!(user["name"], "Claire Coordinator");
    assert_eq!(user["email"], "claire.c@justice.example");
    assert_eq!(user["role"], "coordinator");
    assert_eq!(user["active"], true);
    assert!(user["created_at"].is_string());
    let id = id_of(user);
    assert_eq!(
        res.header("location").as_deref(),
        Some(format!("/api/v1/users/{id}").as_str())
    );
    assert_no_secrets(
        std::slice::from_ref(user),
        &res.body["user"].to_string(),
        &[&token],
    );

    // The token works, with the rights of its role.
    assert_eq!(app.get("/api/v1/requests", &token).await.status, 200);
    assert_eq!(app.get("/api/v1/users", &token).await.status, 403);

    let (items, text) = list_users(&app).await;
    assert_eq!(items.len(), 2, "the test admin and Claire");
    let listed = items.iter().find(|u| u["id"] == id.as_str()).unwrap();
    assert_eq!(listed, user);
    assert_no_secrets(&items, &text, &[&token, &app.admin_token]);
}

#[actix_web::test]
async fn two_users_never_share_a_token_or_an_email() {
    let app = spawn_app().await;
    let (_, a) = app.create_user("clerk").await;
    let (_, b) = app.create_user("clerk").await;
    assert_ne!(a, b);
    let res = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            &json!({"name": "Alice", "email": "alice@justice.example", "role": "clerk"}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    for email in ["alice@justice.example", "ALICE@Justice.Example"] {
        let res = app
            .post(
                "/api/v1/users",
                &app.admin_token,
                &json!({"name": "Alice Again", "email": email, "role": "analyst"}),
            )
            .await;
        assert_eq!(res.status, 409, "{email}: {res:?}");
        assert_eq!(res.code(), "conflict");
    }
    let (items, _) = list_users(&app).await;
    let alices = items
        .iter()
        .filter(|u| u["email"] == "alice@justice.example")
        .count();
    assert_eq!(alices, 1);
    assert_eq!(items.len(), 4);
}

#[actix_web::test]
async fn simultaneous_sign_ups_with_one_email_create_one_user() {
    let app = spawn_app().await;
    let body = json!({"name": "Dup", "email": "dup@justice.example", "role": "clerk"});
    let results = concurrently(
        (0..6)
            .map(|_| app.post("/api/v1/users", &app.admin_token, &body))
            .collect(),
    )
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    let (items, _) = list_users(&app).await;
    assert_eq!(items.len(), 2);
}

#[actix_web::test]
async fn user_bodies_are_validated_field_by_field() {
    let app = spawn_app().await;
    let good = json!({"name": "Bob", "email": "bob@justice.example", "role": "clerk"});
    let cases = [
        ("role", json!("superuser")),
        ("role", json!(null)),
        ("email", json!("bob")),
        ("email", json!("")),
        ("name", json!("")),
        ("name", json!("   ")),
        ("name", json!("n".repeat(201))),
    ];
    for (field, value) in cases {
        let mut body = good.clone();
        body[field] = value.clone();
        let res = app.post("/api/v1/users", &app.admin_token, &body).await;
        assert_eq!(res.status, 422, "{field}={value}: {res:?}");
        assert_eq!(res.code(), "validation_failed");
        assert!(
            res.body["error"]["fields"][field].is_array(),
            "{field}: {res:?}"
        );
    }
    for missing in ["name", "email", "role"] {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(missing);
        let res = app.post("/api/v1/users", &app.admin_token, &body).await;
        assert_eq!(res.status, 422, "without {missing}: {res:?}");
        assert!(res.body["error"]["fields"][missing].is_array(), "{res:?}");
    }
    let mut body = good.clone();
    body["token"] = json!("mla_chosen_by_the_client");
    let res = app.post("/api/v1/users", &app.admin_token, &body).await;
    assert_eq!(res.status, 422, "a client cannot choose its token: {res:?}");
    let (items, _) = list_users(&app).await;
    assert_eq!(items.len(), 1, "nothing was created");
}

#[actix_web::test]
async fn rotating_a_token_revokes_the_old_one_at_once() {
    let app = spawn_app().await;
    let (user, old) = app.create_user("clerk").await;
    let id = id_of(&user);
    let res = rotate(&app, &id, &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    let new = res.body["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(token_status(&app, &old).await, 401);
    assert_eq!(token_status(&app, &new).await, 200);

    let (items, text) = list_users(&app).await;
    assert_no_secrets(&items, &text, &[&old, &new]);
    let listed = items.iter().find(|u| u["id"] == id.as_str()).unwrap();
    assert_eq!(listed["active"], true);

    // Rotating again revokes the second token too.
    let newer = rotate(&app, &id, &app.admin_token).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(token_status(&app, &new).await, 401);
    assert_eq!(token_status(&app, &newer).await, 200);
}

#[actix_web::test]
async fn an_admin_can_rotate_their_own_token() {
    let app = spawn_app().await;
    let (items, _) = list_users(&app).await;
    let me = id_of(&items[0]);
    let res = rotate(&app, &me, &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    let new = res.body["token"].as_str().unwrap();
    assert_eq!(token_status(&app, &app.admin_token).await, 401);
    assert_eq!(app.get("/api/v1/users", new).await.status, 200);
}

#[actix_web::test]
async fn unknown_users_are_404() {
    let app = spawn_app().await;
    for id in [UNKNOWN_ID, "nobody", "12"] {
        let res = rotate(&app, id, &app.admin_token).await;
        assert_eq!(res.status, 404, "{id}: {res:?}");
        assert_eq!(res.code(), "not_found");
        let res = delete_user(&app, id, &app.admin_token).await;
        assert_eq!(res.status, 404, "{id}: {res:?}");
        assert_eq!(res.code(), "not_found");
    }
}

#[actix_web::test]
async fn deactivating_a_user_revokes_access_and_keeps_their_history() {
    let app = spawn_app().await;
    let (clerk, token) = app.create_user("clerk").await;
    let clerk_id = id_of(&clerk);
    let res = app
        .post(
            "/api/v1/requests",
            &token,
            &sent_body("BY-CLERK", "2025-01-10"),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    let request = id_of(&res.body);

    let res = delete_user(&app, &clerk_id, &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["active"], false);
    assert!(res.body["deactivated_at"].is_string(), "{res:?}");
    for path in ["/api/v1/requests", "/api/v1/meta/vocabularies"] {
        let res = app.get(path, &token).await;
        assert_eq!(res.status, 401, "{path}: {res:?}");
    }
    let (items, _) = list_users(&app).await;
    let listed = items.iter().find(|u| u["id"] == clerk_id.as_str()).unwrap();
    assert_eq!(listed["active"], false);

    // The history still names who did what.
    let events = app.events(&request).await;
    assert_eq!(events[0]["actor"]["id"], clerk_id.as_str());
    assert_eq!(events[0]["actor"]["name"], "Test clerk");
    assert_eq!(app.fetch(&request).await["created_by"], clerk_id.as_str());

    // A deactivated user cannot be handed a working token.
    let res = rotate(&app, &clerk_id, &app.admin_token).await;
    if res.status == 200 {
        let token = res.body["token"].as_str().unwrap();
        assert_eq!(token_status(&app, token).await, 401, "{res:?}");
    } else {
        assert!((400..500).contains(&res.status), "{res:?}");
    }
}

#[actix_web::test]
async fn the_last_active_admin_cannot_be_deactivated() {
    let app = spawn_app().await;
    let (items, _) = list_users(&app).await;
    let first = id_of(&items[0]);
    let res = delete_user(&app, &first, &app.admin_token).await;
    assert_eq!(res.status, 409, "{res:?}");
    assert_eq!(res.code(), "conflict");
    assert_eq!(token_status(&app, &app.admin_token).await, 200);

    // Non-admins can always go.
    let (clerk, _) = app.create_user("clerk").await;
    assert_eq!(
        delete_user(&app, &id_of(&clerk), &app.admin_token)
            .await
            .status,
        200
    );

    // With a second admin the first may go; then the second is the last.
    let (second, second_token) = app.create_user("admin").await;
    let second = id_of(&second);
    let res = delete_user(&app, &first, &second_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(token_status(&app, &app.admin_token).await, 401);
    let res = delete_user(&app, &second, &second_token).await;
    assert_eq!(res.status, 409, "{res:?}");
    assert_eq!(token_status(&app, &second_token).await, 200);
    let res = app
        .call(Method::GET, "/api/v1/users", Some(&second_token), None)
        .await;
    let active_admins = res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "admin" && u["active"] == true)
        .count();
    assert_eq!(active_admins, 1);
}

fn active_admins(app: &TestApp) -> i64 {
    let mut conn = app.db.blocking_conn().expect("a connection");
    users::lock_active_admins(&mut conn).expect("the count") as i64
}

/// Admins deactivating one another at the same moment must not lock
/// everyone out: the last-admin check has to hold against concurrent
/// deactivations, not only sequential ones.
#[actix_web::test]
async fn concurrent_deactivations_always_leave_an_active_admin() {
    for round in 0..5 {
        let app = spawn_app().await;
        let (items, _) = list_users(&app).await;
        let mut admins = vec![(id_of(&items[0]), app.admin_token.clone())];
        for _ in 0..5 {
            let (user, token) = app.create_user("admin").await;
            admins.push((id_of(&user), token));
        }
        // Each admin deactivates the next one round the ring.
        let results = concurrently(
            (0..admins.len())
                .map(|i| {
                    let (_, token) = &admins[i];
                    let (target, _) = &admins[(i + 1) % admins.len()];
                    delete_user(&app, target, token)
                })
                .collect(),
        )
        .await;
        for res in &results {
            assert!(
                [200, 401, 409].contains(&res.status),
                "round {round}: {res:?}"
            );
        }
        let left = active_admins(&app);
        assert!(
            left >= 1,
            "round {round}: no active admin left; answers: {:?}",
            results.iter().map(|r| r.status).collect::<Vec<_>>()
        );
    }
}
