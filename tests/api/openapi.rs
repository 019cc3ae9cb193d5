//! The OpenAPI document: served without a token, covering every route actix
//! was given (read from the router's own registry, not a list kept here),
//! and structurally sound: every `$ref` resolves, every path parameter is
//! declared, every operation states its security (none only for the
//! probes and the document), and every authenticated operation documents
//! 401 and 429 with `Retry-After`. Then the regressions Schemathesis found
//! (scripts/fuzz), each reproduced by hand.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{draft_body, id_of, spawn_app, transition_to};
use awc::http::Method;
use serde_json::{Value, json};

/// Operations without a bearer token: the probes, this document, and a
/// calendar feed (the secret in its path opens it).
const PUBLIC: [&str; 4] = ["healthz", "readyz", "getOpenApi", "calendarFeed"];
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn served_document() -> (common::TestApp, Value) {
    let app = spawn_app().await;
    let res = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        res.headers
    );
    (app, res.body)
}

/// Every `(METHOD, path)` the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_string(), path.clone(), op));
            }
        }
    }
    out
}

#[actix_web::test]
async fn the_document_covers_every_route_the_router_serves() {
    let (_app, doc) = served_document().await;
    let routes: BTreeSet<(String, String)> = mla_tracker::http::routing::registered()
        .into_iter()
        .collect();
    // The registry was filled by the running server's own route setup.
    assert!(
        routes.contains(&("POST".into(), "/api/v1/requests/{id}/transitions".into())),
        "{routes:?}"
    );
    assert!(
        routes.contains(&("GET".into(), "/healthz".into())),
        "{routes:?}"
    );
    let documented = documented(&doc);
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(missing.is_empty(), "routes the document lacks: {missing:?}");
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "documented operations no route serves: {stale:?}"
    );
    assert_eq!(
        documented,
        mla_tracker::http::openapi::documented_operations()
            .into_iter()
            .collect()
    );
}

/// Every `$ref` in `value`, with where it was found.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if key == "$ref" {
                    out.push((at.clone(), item.as_str().expect("a $ref is a string")));
                } else {
                    refs(item, format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refs(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[actix_web::test]
async fn the_document_is_structurally_valid_openapi_3_1() {
    let (_app, doc) = served_document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "mla_<base64url>",
               "description": "A user's token (`mla-tracker user add`, `POST /users`)"})
    );

    let mut found = Vec::new();
    refs(&doc, String::new(), &mut found);
    assert!(
        found.len() > 50,
        "expected many references, found {}",
        found.len()
    );
    for (at, target) in found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: external $ref {target}"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{at}: $ref {target} does not resolve"
        );
    }

    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let name = format!("{method} {path}");
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no operationId"));
        assert!(ids.insert(id.to_string()), "{name}: operationId {id} twice");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: no summary"
        );

        // Path parameters: each template variable is declared, required.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .inspect(|p| assert_eq!(p["required"], true, "{name}: {p}"))
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(declared, templated, "{name}: path parameters");
        for p in op["parameters"].as_array().into_iter().flatten() {
            assert!(
                ["path", "query", "header"].contains(&p["in"].as_str().unwrap_or("")),
                "{name}: {p}"
            );
            assert!(p["schema"].is_object(), "{name}: {p} has no schema");
        }

        // Responses: described; errors carry the error body.
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{name}: no success response"
        );
        for (status, response) in responses {
            assert!(response["description"].is_string(), "{name} {status}");
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{name} {status}"
                );
            }
        }
        assert!(!responses.contains_key("500"), "{name}: documents a 500");
        if op["requestBody"].is_object() {
            for status in ["400", "413", "415", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{name}: body but no {status}"
                );
            }
        }

        // Security: public operations say so; the rest need the bearer
        // token and document 401, and 429 with Retry-After (throttling).
        if PUBLIC.contains(&id) {
            assert_eq!(op["security"], json!([]), "{name}");
        } else {
            // The bearer token, with the roles admitted (none listed: any).
            let security = op["security"].as_array().expect("a security list");
            assert_eq!(security.len(), 1, "{name}: {security:?}");
            let roles = security[0]["bearer"].as_array().expect("the bearer scheme");
            for role in roles {
                assert!(
                    ["admin", "coordinator", "clerk", "analyst"]
                        .contains(&role.as_str().unwrap_or("")),
                    "{name}: unknown role {role}"
                );
            }
            assert!(responses.contains_key("401"), "{name}: no 401");
            assert_eq!(
                responses["429"]["headers"]["Retry-After"]["required"], true,
                "{name}: 429 without Retry-After"
            );
        }
    }
    for id in PUBLIC {
        assert!(ids.contains(id), "{id} is not documented");
    }
}

#[actix_web::test]
async fn the_documented_statuses_of_a_role_limited_operation_include_403() {
    let (_app, doc) = served_document().await;
    let op = &doc["paths"]["/api/v1/requests"]["get"];
    let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
    assert_eq!(
        statuses,
        ["200", "400", "401", "403", "422", "429", "503"],
        "{op}"
    );
    // Vocabularies and statistics are for every role: no 403.
    assert!(doc["paths"]["/api/v1/stats/countries"]["get"]["responses"]["403"].is_null());
    // The statistics answer JSON or CSV; the charts SVG.
    let content = &doc["paths"]["/api/v1/stats/countries"]["get"]["responses"]["200"]["content"];
    assert!(content["application/json"].is_object() && content["text/csv"].is_object());
    let chart = &doc["paths"]["/api/v1/stats/charts/response-rates.svg"]["get"]["responses"]["200"]
        ["content"];
    assert!(chart["image/svg+xml"].is_object(), "{chart}");
}

// --- Found by fuzzing (scripts/fuzz) -------------------------------------------

/// A malformed transition used to answer 412 when its If-Match was stale,
/// hiding the field error; field rules now come first.
#[actix_web::test]
async fn a_malformed_transition_is_422_even_with_a_stale_version() {
    let app = spawn_app().await;
    let record = app.create_request(&draft_body("FUZZ-1")).await;
    let id = id_of(&record);
    let mut body = transition_to("withdrawn", "2025-01-01");
    body["measure_outcomes"] = json!({"identify_victims": 7});
    let res = app
        .call_with(
            Method::POST,
            &format!("/api/v1/requests/{id}/transitions"),
            Some(&app.admin_token),
            Some(&body),
            &[("If-Match", "\"7\"")],
        )
        .await;
    assert_eq!(res.status, 422, "{:?}", res.body);
    assert!(res.body["error"]["fields"]["measure_outcomes.identify_victims"].is_array());
}

/// A malformed patch used to answer 412 when its If-Match was stale; the
/// patch is now checked on its own first.
#[actix_web::test]
async fn a_malformed_patch_is_422_even_with_a_stale_version() {
    let app = spawn_app().await;
    let record = app.create_request(&draft_body("FUZZ-2")).await;
    let id = id_of(&record);
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(7),
            &json!({"facilitators": "many"}),
        )
        .await;
    assert_eq!(res.status, 422, "{:?}", res.body);
    assert!(res.body["error"]["fields"]["facilitators"].is_array());
    // A well-formed patch with the stale version is still a 412.
    let res = app
        .patch(&id, &app.admin_token, Some(7), &json!({"title": "New"}))
        .await;
    assert_eq!(res.status, 412, "{:?}", res.body);
    // Merging into the magistrate without its name is fine (merge patch).
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"issuing_magistrate": {"court": "TJ"}}),
        )
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["issuing_magistrate"]["court"], "TJ");
}

/// References are ASCII, as the document's pattern says.
#[actix_web::test]
async fn a_reference_outside_the_documented_pattern_is_refused() {
    let app = spawn_app().await;
    let mut body = draft_body("FUZZ-3");
    body["reference"] = json!("RÉF-1");
    let res = app
        .call(
            Method::POST,
            "/api/v1/requests",
            Some(&app.admin_token),
            Some(&body),
        )
        .await;
    assert_eq!(res.status, 422, "{:?}", res.body);
    assert!(res.body["error"]["fields"]["reference"].is_array());
}

/// An empty list filter was read as "no filter"; it is refused, as the
/// document's enums say.
#[actix_web::test]
async fn an_empty_list_filter_is_422() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/stats/countries?offence=",
        "/api/v1/stats/response-curves?country=&channel=untoc",
        "/api/v1/requests?status=",
    ] {
        let res = app.get(path, &app.admin_token).await;
        assert_eq!(res.status, 422, "{path}: {:?}", res.body);
    }
    let res = app
        .get(
            "/api/v1/stats/countries?offence=fraud,cybercrime",
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
}

/// A method a path does not answer is 405 with `Allow` and the JSON error
/// body (it used to be 404 on some paths).
#[actix_web::test]
async fn an_unsupported_method_is_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (Method::PUT, "/api/v1/requests", "GET, POST"),
        (Method::POST, "/api/v1/alerts/rules", "GET"),
        (Method::DELETE, "/api/v1/stats/countries", "GET"),
        (Method::POST, "/healthz", "GET"),
    ] {
        let res = app
            .call(method.clone(), path, Some(&app.admin_token), None)
            .await;
        assert_eq!(res.status, 405, "{method} {path}: {:?}", res.body);
        assert_eq!(
            res.header("allow").as_deref(),
            Some(allow),
            "{method} {path}"
        );
        assert_eq!(res.code(), "method_not_allowed", "{method} {path}");
    }
}
