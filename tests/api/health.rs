use crate::common;

use crate::common::{draft_body, spawn_app};
use awc::http::Method;

#[actix_web::test]
async fn health_needs_no_token_and_ready_checks_the_database() {
    let app = spawn_app().await;
    let res = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(res.status, 200);
    let res = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(res.status, 200, "{res:?}");
    let expected = if common::postgres_server_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(res.body["database"], expected);
}

#[actix_web::test]
async fn a_created_request_reads_back() {
    let app = spawn_app().await;
    let created = app.create_request(&draft_body("CASE-1")).await;
    let id = created["id"].as_str().unwrap();
    let res = app
        .get(&format!("/api/v1/requests/{id}"), &app.admin_token)
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, created);
    assert_eq!(res.header("etag").as_deref(), Some("\"1\""));
}
