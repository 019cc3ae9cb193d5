//! The role matrix: every endpoint, called by every kind of caller.
//!
//! Expected rights (from the API description): admins everything;
//! coordinators and clerks requests, transitions, notes and vocabularies but
//! not users; analysts only vocabularies; no, unknown, revoked or deactivated
//! tokens nothing (401). Health probes need no token at all.

use crate::common;

use crate::common::{TestApp, id_of, sent_body, spawn_app};
use awc::http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Admin,
    Coordinator,
    Clerk,
    Analyst,
    NoToken,
    UnknownToken,
    RevokedToken,
    DeactivatedUser,
    NotBearer,
}

const CALLERS: [Caller; 9] = [
    Caller::Admin,
    Caller::Coordinator,
    Caller::Clerk,
    Caller::Analyst,
    Caller::NoToken,
    Caller::UnknownToken,
    Caller::RevokedToken,
    Caller::DeactivatedUser,
    Caller::NotBearer,
];

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Right {
    /// Any signed-in user.
    SignedIn,
    /// Legal staff: admin, coordinator, clerk.
    Cases,
    /// Admins only.
    Users,
    /// Admins and coordinators: run the alerts, read the outbox.
    Alerts,
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    ListRequests,
    CreateRequest,
    GetRequest,
    PatchRequest,
    Transition,
    AddNote,
    ListEvents,
    AddLink,
    RemoveLink,
    ListCases,
    CreateCase,
    GetCase,
    PatchCase,
    ListCaseEvents,
    ListPreservations,
    RecordPreservation,
    GetPreservation,
    RenewPreservation,
    ReleasePreservation,
    Vocabularies,
    AlertRules,
    StalledRequests,
    FollowUp,
    Snooze,
    Unsnooze,
    RunAlerts,
    AlertNotifications,
    CountryStats,
    ResponseCurves,
    ResponseRatesChart,
    ResponseCurvesChart,
    AbandonmentStats,
    RefusalStats,
    TimelineStats,
    CohortStats,
    CreateUser,
    ListUsers,
    RotateToken,
    DeactivateUser,
}

/// The table: endpoint, who may call it, the status on success.
const MATRIX: [(Endpoint, Right, u16); 39] = [
    (Endpoint::ListRequests, Right::Cases, 200),
    (Endpoint::CreateRequest, Right::Cases, 201),
    (Endpoint::GetRequest, Right::Cases, 200),
    (Endpoint::PatchRequest, Right::Cases, 200),
    (Endpoint::Transition, Right::Cases, 200),
    (Endpoint::AddNote, Right::Cases, 201),
    (Endpoint::ListEvents, Right::Cases, 200),
    (Endpoint::AddLink, Right::Cases, 201),
    (Endpoint::RemoveLink, Right::Cases, 200),
    // Cases are case-level data: never for analysts.
    (Endpoint::ListCases, Right::Cases, 200),
    (Endpoint::CreateCase, Right::Cases, 201),
    (Endpoint::GetCase, Right::Cases, 200),
    (Endpoint::PatchCase, Right::Cases, 200),
    (Endpoint::ListCaseEvents, Right::Cases, 200),
    // So is the data preserved for them.
    (Endpoint::ListPreservations, Right::Cases, 200),
    (Endpoint::RecordPreservation, Right::Cases, 201),
    (Endpoint::GetPreservation, Right::Cases, 200),
    (Endpoint::RenewPreservation, Right::Cases, 200),
    (Endpoint::ReleasePreservation, Right::Cases, 200),
    (Endpoint::Vocabularies, Right::SignedIn, 200),
    (Endpoint::AlertRules, Right::Cases, 200),
    (Endpoint::StalledRequests, Right::Cases, 200),
    (Endpoint::FollowUp, Right::Cases, 201),
    (Endpoint::Snooze, Right::Cases, 201),
    (Endpoint::Unsnooze, Right::Cases, 200),
    (Endpoint::RunAlerts, Right::Alerts, 200),
    (Endpoint::AlertNotifications, Right::Alerts, 200),
    // Every role; analysts get the published view (tests/api/stats.rs).
    (Endpoint::CountryStats, Right::SignedIn, 200),
    (Endpoint::ResponseCurves, Right::SignedIn, 200),
    (Endpoint::ResponseRatesChart, Right::SignedIn, 200),
    (Endpoint::ResponseCurvesChart, Right::SignedIn, 200),
    (Endpoint::AbandonmentStats, Right::SignedIn, 200),
    (Endpoint::RefusalStats, Right::SignedIn, 200),
    (Endpoint::TimelineStats, Right::SignedIn, 200),
    (Endpoint::CohortStats, Right::SignedIn, 200),
    (Endpoint::CreateUser, Right::Users, 201),
    (Endpoint::ListUsers, Right::Users, 200),
    (Endpoint::RotateToken, Right::Users, 200),
    (Endpoint::DeactivateUser, Right::Users, 200),
];

fn expected_status(caller: Caller, right: Right, success: u16) -> u16 {
    let granted = match (caller, right) {
        (Caller::Admin, _) => true,
        (Caller::Coordinator | Caller::Clerk, Right::Cases | Right::SignedIn) => true,
        (Caller::Coordinator | Caller::Clerk, Right::Users) => false,
        (Caller::Coordinator, Right::Alerts) => true,
        (Caller::Clerk, Right::Alerts) => false,
        (Caller::Analyst, Right::SignedIn) => true,
        (Caller::Analyst, _) => false,
        // Not signed in at all.
        _ => return 401,
    };
    if granted { success } else { 403 }
}

/// The Authorization header value each caller sends (None: no header).
struct Credentials {
    admin: String,
    coordinator: String,
    clerk: String,
    analyst: String,
    revoked: String,
    deactivated: String,
}

impl Credentials {
    async fn make(app: &TestApp) -> Credentials {
        // A second admin whose token is then replaced: the old one is revoked.
        let (admin2, revoked) = app.create_user("admin").await;
        let res = app
            .post(
                &format!("/api/v1/users/{}/tokens", id_of(&admin2)),
                &app.admin_token,
                &json!({}),
            )
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        let (gone, deactivated) = app.create_user("coordinator").await;
        let res = app
            .call(
                Method::DELETE,
                &format!("/api/v1/users/{}", id_of(&gone)),
                Some(&app.admin_token),
                None,
            )
            .await;
        assert_eq!(res.status, 200, "{res:?}");
        Credentials {
            admin: app.admin_token.clone(),
            coordinator: app.token_for("coordinator").await,
            clerk: app.token_for("clerk").await,
            analyst: app.token_for("analyst").await,
            revoked,
            deactivated,
        }
    }

    fn header(&self, caller: Caller) -> Option<String> {
        let bearer = |t: &str| Some(format!("Bearer {t}"));
        match caller {
            Caller::Admin => bearer(&self.admin),
            Caller::Coordinator => bearer(&self.coordinator),
            Caller::Clerk => bearer(&self.clerk),
            Caller::Analyst => bearer(&self.analyst),
            Caller::NoToken => None,
            Caller::UnknownToken => bearer("mla_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Caller::RevokedToken => bearer(&self.revoked),
            Caller::DeactivatedUser => bearer(&self.deactivated),
            // The admin's own token, in the wrong scheme.
            Caller::NotBearer => Some(format!("Basic {}", self.admin)),
        }
    }
}

/// A call ready to send: a fresh target is prepared for each one, so a
/// successful call never depends on an earlier one.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
    /// The request the call targets, to check that a refused call left it alone.
    target: Option<String>,
}

/// A preservation for request `id`, kept until 2025-03-11 (60 days).
fn preservation(id: &str) -> Value {
    json!({"request_id": id, "holder": "Example Telecom (fictitious)", "country": "PH",
           "legal_basis": "budapest_art29", "sent_at": "2025-01-10"})
}

async fn prepare(app: &TestApp, endpoint: Endpoint) -> Call {
    let new_request =
        || async { id_of(&app.create_request(&sent_body("ROLES", "2025-01-10")).await) };
    let new_user = || async { id_of(&app.create_user("clerk").await.0) };
    let call = |method, path: String, body: Option<Value>| Call {
        method,
        path,
        body,
        headers: Vec::new(),
        target: None,
    };
    match endpoint {
        Endpoint::ListRequests => call(Method::GET, "/api/v1/requests".into(), None),
        Endpoint::CreateRequest => call(
            Method::POST,
            "/api/v1/requests".into(),
            Some(sent_body("ROLES-NEW", "2025-01-10")),
        ),
        Endpoint::GetRequest => {
            let id = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(Method::GET, format!("/api/v1/requests/{id}"), None)
            }
        }
        Endpoint::PatchRequest => {
            let id = new_request().await;
            Call {
                headers: vec![("If-Match", "\"1\"".into())],
                target: Some(id.clone()),
                ..call(
                    Method::PATCH,
                    format!("/api/v1/requests/{id}"),
                    Some(json!({"title": "Changed by the role matrix"})),
                )
            }
        }
        Endpoint::Transition => {
            let id = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::POST,
                    format!("/api/v1/requests/{id}/transitions"),
                    Some(json!({"to": "acknowledged", "effective_date": "2025-02-01"})),
                )
            }
        }
        Endpoint::AddNote => {
            let id = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::POST,
                    format!("/api/v1/requests/{id}/notes"),
                    Some(json!({"text": "Called the liaison magistrate"})),
                )
            }
        }
        Endpoint::ListEvents => {
            let id = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(Method::GET, format!("/api/v1/requests/{id}/events"), None)
            }
        }
        Endpoint::AddLink => {
            let id = new_request().await;
            let to = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::POST,
                    format!("/api/v1/requests/{id}/links"),
                    Some(json!({"kind": "supplements", "to": to})),
                )
            }
        }
        Endpoint::RemoveLink => {
            let id = new_request().await;
            let to = new_request().await;
            let res = app
                .post(
                    &format!("/api/v1/requests/{id}/links"),
                    &app.admin_token,
                    &json!({"kind": "follow_up_of", "to": to}),
                )
                .await;
            assert_eq!(res.status, 201, "{res:?}");
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::DELETE,
                    format!("/api/v1/requests/{id}/links/{}", id_of(&res.body)),
                    None,
                )
            }
        }
        Endpoint::ListCases => call(Method::GET, "/api/v1/cases".into(), None),
        Endpoint::CreateCase => call(
            Method::POST,
            "/api/v1/cases".into(),
            Some(
                json!({"case_reference": format!("ROLES-{}", Uuid::new_v4().simple()),
                        "title": "Role matrix", "issuing_magistrate": {"name": "Juge Martin"}}),
            ),
        ),
        Endpoint::GetCase | Endpoint::PatchCase | Endpoint::ListCaseEvents => {
            // A case of its own, so that each call finds it at version 1.
            let body = sent_body(&format!("ROLES-{}", Uuid::new_v4().simple()), "2025-01-10");
            let case = app.create_request(&body).await["case_id"]
                .as_str()
                .unwrap()
                .to_string();
            match endpoint {
                Endpoint::GetCase => call(Method::GET, format!("/api/v1/cases/{case}"), None),
                Endpoint::ListCaseEvents => {
                    call(Method::GET, format!("/api/v1/cases/{case}/events"), None)
                }
                _ => Call {
                    headers: vec![("If-Match", "\"1\"".into())],
                    ..call(
                        Method::PATCH,
                        format!("/api/v1/cases/{case}"),
                        Some(json!({"victims_identified": 2})),
                    )
                },
            }
        }
        Endpoint::ListPreservations => call(Method::GET, "/api/v1/preservations".into(), None),
        Endpoint::RecordPreservation => {
            let id = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::POST,
                    "/api/v1/preservations".into(),
                    Some(preservation(&id)),
                )
            }
        }
        Endpoint::GetPreservation | Endpoint::RenewPreservation | Endpoint::ReleasePreservation => {
            // A preservation of its own, so that each call finds it active.
            let id = new_request().await;
            let res = app
                .post(
                    "/api/v1/preservations",
                    &app.admin_token,
                    &preservation(&id),
                )
                .await;
            assert_eq!(res.status, 201, "{res:?}");
            let path = format!("/api/v1/preservations/{}", id_of(&res.body));
            let with_target = |c: Call| Call {
                target: Some(id.clone()),
                ..c
            };
            match endpoint {
                Endpoint::GetPreservation => call(Method::GET, path, None),
                Endpoint::RenewPreservation => with_target(call(
                    Method::POST,
                    format!("{path}/renewals"),
                    Some(json!({"effective_date": "2025-02-01", "expires_on": "2025-06-01"})),
                )),
                _ => with_target(call(
                    Method::POST,
                    format!("{path}/release"),
                    Some(json!({"effective_date": "2025-02-01"})),
                )),
            }
        }
        Endpoint::Vocabularies => call(Method::GET, "/api/v1/meta/vocabularies".into(), None),
        Endpoint::AlertRules => call(Method::GET, "/api/v1/alerts/rules".into(), None),
        Endpoint::StalledRequests => call(Method::GET, "/api/v1/alerts/stalled".into(), None),
        Endpoint::RunAlerts => call(
            Method::POST,
            "/api/v1/alerts/run".into(),
            Some(json!({"dry_run": true})),
        ),
        Endpoint::AlertNotifications => {
            call(Method::GET, "/api/v1/alerts/notifications".into(), None)
        }
        Endpoint::CountryStats => call(Method::GET, "/api/v1/stats/countries".into(), None),
        Endpoint::ResponseCurves => call(Method::GET, "/api/v1/stats/response-curves".into(), None),
        Endpoint::ResponseRatesChart => call(
            Method::GET,
            "/api/v1/stats/charts/response-rates.svg".into(),
            None,
        ),
        Endpoint::ResponseCurvesChart => call(
            Method::GET,
            "/api/v1/stats/charts/response-curves.svg?country=NO".into(),
            None,
        ),
        Endpoint::AbandonmentStats => call(
            Method::GET,
            "/api/v1/stats/abandonment-reasons".into(),
            None,
        ),
        Endpoint::RefusalStats => call(Method::GET, "/api/v1/stats/refusal-grounds".into(), None),
        Endpoint::TimelineStats => call(
            Method::GET,
            "/api/v1/stats/timeline?bucket=quarter".into(),
            None,
        ),
        Endpoint::CohortStats => call(
            Method::GET,
            "/api/v1/stats/cohorts?bucket=quarter&horizon=180".into(),
            None,
        ),
        Endpoint::FollowUp => {
            let id = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::POST,
                    format!("/api/v1/requests/{id}/follow-ups"),
                    Some(json!({"channel": "email", "effective_date": "2025-03-01"})),
                )
            }
        }
        Endpoint::Snooze => {
            let id = new_request().await;
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::POST,
                    format!("/api/v1/requests/{id}/snooze"),
                    Some(
                        json!({"until": common::office_today().to_string(), "reason": "Answer promised by phone"}),
                    ),
                )
            }
        }
        Endpoint::Unsnooze => {
            let id = new_request().await;
            let res = app
                .post(
                    &format!("/api/v1/requests/{id}/snooze"),
                    &app.admin_token,
                    &json!({"until": common::office_today().to_string(), "reason": "Answer promised"}),
                )
                .await;
            assert_eq!(res.status, 201, "{res:?}");
            Call {
                target: Some(id.clone()),
                ..call(
                    Method::DELETE,
                    format!("/api/v1/requests/{id}/snooze"),
                    None,
                )
            }
        }
        Endpoint::CreateUser => call(
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({"name": "New Clerk", "email": format!("{}@test.example", Uuid::new_v4().simple()), "role": "clerk"}),
            ),
        ),
        Endpoint::ListUsers => call(Method::GET, "/api/v1/users".into(), None),
        Endpoint::RotateToken => {
            let id = new_user().await;
            call(Method::POST, format!("/api/v1/users/{id}/tokens"), None)
        }
        Endpoint::DeactivateUser => {
            let id = new_user().await;
            call(Method::DELETE, format!("/api/v1/users/{id}"), None)
        }
    }
}

async fn send(app: &TestApp, call: &Call, authorization: Option<&str>) -> common::Resp {
    let mut headers: Vec<(&str, &str)> =
        call.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    if let Some(value) = authorization {
        headers.push(("Authorization", value));
    }
    app.call_with(
        call.method.clone(),
        &call.path,
        None,
        call.body.as_ref(),
        &headers,
    )
    .await
}

#[actix_web::test]
async fn every_endpoint_answers_every_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let credentials = Credentials::make(&app).await;
    let mut failures = Vec::new();
    for (endpoint, right, success) in MATRIX {
        for caller in CALLERS {
            let call = prepare(&app, endpoint).await;
            let before = match &call.target {
                Some(id) => Some((app.fetch(id).await, app.events(id).await)),
                None => None,
            };
            let res = send(&app, &call, credentials.header(caller).as_deref()).await;
            let want = expected_status(caller, right, success);
            if res.status != want {
                failures.push(format!(
                    "{endpoint:?} as {caller:?}: expected {want}, got {} {}",
                    res.status, res.body
                ));
                continue;
            }
            match want {
                401 => {
                    assert_eq!(res.code(), "unauthorized", "{endpoint:?} {caller:?}");
                    assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer"));
                }
                403 => assert_eq!(res.code(), "forbidden", "{endpoint:?} {caller:?}"),
                _ => {}
            }
            if let (Some(id), Some(before), true) = (&call.target, before, want >= 400) {
                assert_eq!(app.fetch(id).await, before.0, "{endpoint:?} {caller:?}");
                assert_eq!(app.events(id).await, before.1, "{endpoint:?} {caller:?}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[actix_web::test]
async fn refused_callers_create_nothing() {
    let app = spawn_app().await;
    let credentials = Credentials::make(&app).await;
    let users_before = app.get("/api/v1/users", &app.admin_token).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    for caller in [Caller::Analyst, Caller::NoToken, Caller::RevokedToken] {
        let create = prepare(&app, Endpoint::CreateRequest).await;
        let res = send(&app, &create, credentials.header(caller).as_deref()).await;
        assert!(
            res.status == 401 || res.status == 403,
            "{caller:?}: {res:?}"
        );
        let user = prepare(&app, Endpoint::CreateUser).await;
        let res = send(&app, &user, credentials.header(caller).as_deref()).await;
        assert!(
            res.status == 401 || res.status == 403,
            "{caller:?}: {res:?}"
        );
    }
    for caller in [Caller::Coordinator, Caller::Clerk] {
        let user = prepare(&app, Endpoint::CreateUser).await;
        let res = send(&app, &user, credentials.header(caller).as_deref()).await;
        assert_eq!(res.status, 403, "{caller:?}: {res:?}");
    }
    assert!(app.list_all("", 200).await.is_empty());
    let users_after = app.get("/api/v1/users", &app.admin_token).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(users_after, users_before);
}

#[actix_web::test]
async fn analysts_learn_nothing_about_cases_even_from_unknown_ids() {
    let app = spawn_app().await;
    let analyst = app.token_for("analyst").await;
    let existing = app.create_request(&sent_body("SECRET", "2025-01-10")).await;
    let case = existing["case_id"].as_str().unwrap().to_string();
    let existing = id_of(&existing);
    for id in [
        existing.as_str(),
        case.as_str(),
        "6f1c1d43-58a3-4a3b-9d2e-0d6f0b1d2c3e",
        "nope",
    ] {
        for path in [
            format!("/api/v1/requests/{id}"),
            format!("/api/v1/requests/{id}/events"),
            format!("/api/v1/cases/{id}"),
            format!("/api/v1/cases/{id}/events"),
        ] {
            let res = app.get(&path, &analyst).await;
            assert_eq!(res.status, 403, "{path}: {res:?}");
            let text = res.body.to_string();
            assert!(!text.contains("SECRET"), "{text}");
        }
    }
    for path in ["/api/v1/requests?q=secret", "/api/v1/cases?q=secret"] {
        let res = app.get(path, &analyst).await;
        assert_eq!(res.status, 403, "{res:?}");
    }
}

#[actix_web::test]
async fn health_probes_answer_whoever_asks() {
    let app = spawn_app().await;
    let credentials = Credentials::make(&app).await;
    for path in ["/healthz", "/readyz"] {
        for caller in CALLERS {
            let res = app
                .call_with(
                    Method::GET,
                    path,
                    None,
                    None,
                    &credentials
                        .header(caller)
                        .as_deref()
                        .map(|h| vec![("Authorization", h)])
                        .unwrap_or_default(),
                )
                .await;
            assert_eq!(res.status, 200, "{path} as {caller:?}: {res:?}");
        }
    }
}

#[actix_web::test]
async fn the_bearer_scheme_is_case_insensitive_but_required() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    let path = "/api/v1/meta/vocabularies";
    let accepted = [format!("bearer {token}"), format!("BEARER {token}")];
    for value in &accepted {
        let res = app
            .call_with(Method::GET, path, None, None, &[("Authorization", value)])
            .await;
        assert_eq!(res.status, 200, "{value}: {res:?}");
    }
    let refused = [
        token.clone(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        format!("Token {token}"),
        format!("Bearer {token}x"),
        format!("Bearer {}", &token[..token.len() - 1]),
        format!("Bearer {}", "A".repeat(5000)),
    ];
    for value in &refused {
        let res = app
            .call_with(Method::GET, path, None, None, &[("Authorization", value)])
            .await;
        assert_eq!(res.status, 401, "{value}: {res:?}");
        assert_eq!(res.code(), "unauthorized");
    }
}
