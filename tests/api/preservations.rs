//! Data preservation (docs/DOMAIN.md §2.4): recorded for a request or a
//! case with the expiry its legal basis gives, renewed and released through
//! the owner's history, refused with the field named, warned about 14 and 3
//! days before the holder may delete the data — unless the request was
//! executed, and again after a renewal.

use crate::common;

use awc::http::Method;
use serde_json::{Value, json};

use crate::common::{Resp, TestApp, id_of, sent_body, spawn_app};

const UNKNOWN_ID: &str = "6f1c2a3b-0000-4000-8000-00000000abcd";

/// The office's today plus `days` (negative: before).
fn day(days: i64) -> String {
    (common::office_today() + chrono::Duration::days(days)).to_string()
}

/// The same day as an email writes it (`25 June 2026`).
fn long_day(days: i64) -> String {
    mla_tracker::domain::Language::En.date(&(common::office_today() + chrono::Duration::days(days)))
}

/// A request to the Philippines sent two days ago: too young for any stall
/// rule, so every alert it raises is about its preserved data.
async fn young_request(app: &TestApp, case: &str) -> String {
    id_of(&app.create_request(&sent_body(case, &day(-2))).await)
}

fn preservation(request_id: &str, sent_at: &str) -> Value {
    json!({
        "request_id": request_id,
        "holder": "Example Telecom (fictitious)",
        "country": "PH",
        "legal_basis": "budapest_art29",
        "sent_at": sent_at,
    })
}

async fn record(app: &TestApp, token: &str, body: &Value) -> Resp {
    app.post("/api/v1/preservations", token, body).await
}

async fn recorded(app: &TestApp, body: &Value) -> Value {
    let res = record(app, &app.admin_token, body).await;
    assert_eq!(res.status, 201, "{body}: {res:?}");
    res.body
}

async fn act(app: &TestApp, id: &str, what: &str, if_match: Option<&str>, body: &Value) -> Resp {
    let headers: Vec<(&str, &str)> = if_match.map(|v| ("If-Match", v)).into_iter().collect();
    app.call_with(
        Method::POST,
        &format!("/api/v1/preservations/{id}/{what}"),
        Some(&app.admin_token),
        Some(body),
        &headers,
    )
    .await
}

fn fields(res: &Resp) -> Vec<String> {
    res.body["error"]["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

/// The preservation warnings on request `id` in `GET /alerts/stalled`:
/// (rule, days left).
async fn warnings(app: &TestApp, id: &str) -> Vec<(String, i64)> {
    let res = app.get("/api/v1/alerts/stalled", &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    let items = res.body["items"].as_array().unwrap();
    let Some(item) = items.iter().find(|item| item["request"]["id"] == id) else {
        return Vec::new();
    };
    item["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b.get("preservation").is_some())
        .map(|b| {
            (
                b["rule"].as_str().unwrap().to_string(),
                b["preservation"]["days_left"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn to_coordinator(app: &TestApp) -> Vec<String> {
    app.emails()
        .into_iter()
        .filter(|m| m.contains("To: coord@justice.example"))
        .collect()
}

#[actix_web::test]
async fn expiry_defaults_to_the_basis_period_and_renewals_and_release_are_in_the_history() {
    let app = spawn_app().await;
    let (_, clerk) = app.create_user("clerk").await;
    let id = young_request(&app, "PRESERVE-1").await;

    // Budapest art. 29: 60 days; 18 U.S.C. § 2703(f): 90 days.
    let res = record(&app, &clerk, &preservation(&id, &day(-10))).await;
    assert_eq!(res.status, 201, "{res:?}");
    let p = res.body.clone();
    assert_eq!(
        (
            p["expires_on"].as_str(),
            p["state"].as_str(),
            p["days_left"].as_i64()
        ),
        (Some(day(50).as_str()), Some("active"), Some(50))
    );
    assert_eq!(p["version"], 1);
    assert_eq!(res.header("etag"), Some("\"1\"".into()));
    let pid = p["id"].as_str().unwrap().to_string();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/preservations/{pid}"))
    );
    let mut us = preservation(&id, &day(-10));
    us["legal_basis"] = json!("us_2703f");
    us["holder"] = json!("Example Mail Inc. (fictitious)");
    us["country"] = json!("US");
    assert_eq!(recorded(&app, &us).await["expires_on"], day(80).as_str());
    // A domestic preservation has no period in law: its date is given.
    let mut domestic = preservation(&id, &day(-10));
    domestic["legal_basis"] = json!("domestic");
    domestic["expires_on"] = json!(day(20));
    assert_eq!(
        recorded(&app, &domestic).await["expires_on"],
        day(20).as_str()
    );

    // Renewed with If-Match: a new expiry, the previous one kept.
    let res = act(
        &app,
        &pid,
        "renewals",
        Some("\"1\""),
        &json!({"effective_date": day(0), "expires_on": day(110), "note": "Renewed by fax"}),
    )
    .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["expires_on"], day(110).as_str());
    assert_eq!(res.body["version"], 2);
    let renewals = res.body["renewals"].as_array().unwrap();
    assert_eq!(renewals.len(), 1);
    assert_eq!(
        (
            &renewals[0]["previous_expires_on"],
            &renewals[0]["expires_on"]
        ),
        (&json!(day(50)), &json!(day(110)))
    );
    // A stale version is refused, and changes nothing.
    let stale = act(
        &app,
        &pid,
        "renewals",
        Some("\"1\""),
        &json!({"effective_date": day(0), "expires_on": day(200)}),
    )
    .await;
    assert_eq!(stale.status, 412, "{stale:?}");

    // Released: its state says so; a second release or a renewal is 409.
    let res = act(
        &app,
        &pid,
        "release",
        None,
        &json!({"note": "Data produced"}),
    )
    .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        (res.body["state"].as_str(), res.body["released_on"].as_str()),
        (Some("released"), Some(day(0).as_str()))
    );
    for (what, body) in [
        ("release", json!({})),
        (
            "renewals",
            json!({"effective_date": day(0), "expires_on": day(300)}),
        ),
    ] {
        let res = act(&app, &pid, what, None, &body).await;
        assert_eq!(res.status, 409, "{what}: {res:?}");
        assert!(
            res.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&day(0)),
            "{res:?}"
        );
    }
    let res = app
        .get(&format!("/api/v1/preservations/{pid}"), &clerk)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["version"], 3);

    // Everything is in the request's history, in order.
    let events = app.events(&id).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "preservation_recorded",
            "preservation_recorded",
            "preservation_recorded",
            "preservation_renewed",
            "preservation_released",
        ]
    );
    assert_eq!(events[4]["note"], "Renewed by fax");
    assert_eq!(events[4]["effective_date"], day(0).as_str());

    // The request's case lists its requests' preservations.
    let request = app.fetch(&id).await;
    let case = app
        .get(
            &format!("/api/v1/cases/{}", request["case_id"].as_str().unwrap()),
            &app.admin_token,
        )
        .await;
    assert_eq!(case.status, 200, "{case:?}");
    assert_eq!(case.body["preservations"].as_array().unwrap().len(), 3);

    // The history chain, preservation events included, verifies.
    let out = common::serve::bin()
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[actix_web::test]
async fn the_list_filters_by_expiry_and_owner() {
    let app = spawn_app().await;
    let first = young_request(&app, "PRESERVE-LIST-1").await;
    let second = young_request(&app, "PRESERVE-LIST-2").await;
    // Expiring in 5, 20 and 50 days.
    for (request, sent) in [(&first, -55), (&first, -40), (&second, -10)] {
        recorded(&app, &preservation(request, &day(sent))).await;
    }
    let expiring = |query: String| {
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/preservations?{query}"), &app.admin_token)
                .await;
            assert_eq!(res.status, 200, "{query}: {res:?}");
            assert_eq!(res.body["as_of"], day(0).as_str());
            res.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["days_left"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(expiring("expiring_within=20".into()).await, [5, 20]);
    assert_eq!(
        expiring("expiring_within=4".into()).await,
        Vec::<i64>::new()
    );
    assert_eq!(expiring(String::new()).await, [5, 20, 50]);
    assert_eq!(expiring(format!("request_id={second}")).await, [50]);
    let res = app
        .get("/api/v1/preservations?expiring_within=-1", &app.admin_token)
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert_eq!(fields(&res), ["expiring_within"]);
}

#[actix_web::test]
async fn bad_preservations_are_refused_naming_the_field_and_write_nothing() {
    let app = spawn_app().await;
    let id = young_request(&app, "PRESERVE-BAD").await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = preservation(&id, &day(-10));
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("request_id");
            }),
            "request_id",
            "what the preserved data is for",
        ),
        (
            with(&|b| b["case_id"] = json!(UNKNOWN_ID)),
            "case_id",
            "not both",
        ),
        (
            with(&|b| b["legal_basis"] = json!("gdpr")),
            "legal_basis",
            "budapest_art29",
        ),
        (
            with(&|b| b["legal_basis"] = json!("other")),
            "expires_on",
            "no period in law",
        ),
        (
            with(&|b| b["expires_on"] = json!(day(-10))),
            "expires_on",
            "must be after `sent_at`",
        ),
        (
            with(&|b| b["sent_at"] = json!(day(1))),
            "sent_at",
            "in the future",
        ),
        (with(&|b| b["holder"] = json!("  ")), "holder", "blank"),
        (with(&|b| b["country"] = json!("XX")), "country", ""),
    ];
    for (body, field, words) in cases {
        let res = record(&app, &app.admin_token, &body).await;
        assert_eq!(res.status, 422, "{body}: {res:?}");
        assert_eq!(fields(&res), [field], "{body}: {res:?}");
        let message = res.body["error"]["fields"][field].to_string();
        assert!(message.contains(words), "{field}: {message}");
    }
    // An unknown owner is a field naming a missing record (422); an unknown
    // preservation is 404; a bad id is refused.
    for (body, field) in [
        (with(&|b| b["request_id"] = json!(UNKNOWN_ID)), "request_id"),
        (
            json!({"case_id": UNKNOWN_ID, "holder": "H", "country": "PH",
                   "legal_basis": "us_2703f", "sent_at": day(-1)}),
            "case_id",
        ),
    ] {
        let res = record(&app, &app.admin_token, &body).await;
        assert_eq!(res.status, 422, "{body}: {res:?}");
        assert_eq!(fields(&res), [field], "{res:?}");
        assert!(res.body.to_string().contains(UNKNOWN_ID), "{res:?}");
    }
    let res = app
        .get(
            &format!("/api/v1/preservations/{UNKNOWN_ID}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 404, "{res:?}");
    let res = act(&app, UNKNOWN_ID, "release", None, &json!({})).await;
    assert_eq!(res.status, 404, "{res:?}");
    let res = app
        .get("/api/v1/preservations/not-an-id", &app.admin_token)
        .await;
    assert!(matches!(res.status, 400 | 404), "{res:?}");

    // A renewal that does not extend, or dated before the preservation.
    let p = recorded(&app, &preservation(&id, &day(-10))).await;
    let pid = p["id"].as_str().unwrap();
    for (body, field) in [
        (
            json!({"effective_date": day(0), "expires_on": day(50)}),
            "expires_on",
        ),
        (
            json!({"effective_date": day(-20), "expires_on": day(90)}),
            "effective_date",
        ),
        (
            json!({"effective_date": day(1), "expires_on": day(90)}),
            "effective_date",
        ),
        (json!({"expires_on": day(90)}), "effective_date"),
    ] {
        let res = act(&app, pid, "renewals", None, &body).await;
        assert_eq!(res.status, 422, "{body}: {res:?}");
        assert!(fields(&res).contains(&field.to_string()), "{body}: {res:?}");
    }
    let res = act(
        &app,
        pid,
        "renewals",
        Some("\"x\""),
        &json!({"effective_date": day(0), "expires_on": day(90)}),
    )
    .await;
    assert_eq!(res.status, 400, "{res:?}");

    // Nothing of it was written.
    let list = app.get("/api/v1/preservations", &app.admin_token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.events(&id).await.len(), 2, "created, one recorded");
}

#[actix_web::test]
async fn analysts_reach_no_preservation() {
    let app = spawn_app().await;
    let id = young_request(&app, "PRESERVE-ROLES").await;
    let p = recorded(&app, &preservation(&id, &day(-10))).await;
    let pid = p["id"].as_str().unwrap();
    let analyst = app.token_for("analyst").await;
    for (method, path, body) in [
        (Method::GET, "/api/v1/preservations".to_string(), None),
        (Method::GET, format!("/api/v1/preservations/{pid}"), None),
        (
            Method::POST,
            "/api/v1/preservations".to_string(),
            Some(preservation(&id, &day(-1))),
        ),
        (
            Method::POST,
            format!("/api/v1/preservations/{pid}/renewals"),
            Some(json!({"effective_date": day(0), "expires_on": day(100)})),
        ),
        (
            Method::POST,
            format!("/api/v1/preservations/{pid}/release"),
            Some(json!({})),
        ),
    ] {
        let res = app
            .call_with(method.clone(), &path, Some(&analyst), body.as_ref(), &[])
            .await;
        assert_eq!(res.status, 403, "{method} {path}: {res:?}");
        assert!(!res.body.to_string().contains("Example Telecom"));
    }
    let res = app.get("/api/v1/preservations", "").await;
    assert_eq!(res.status, 401, "{res:?}");
}

#[actix_web::test]
async fn the_coordinator_is_warned_14_and_3_days_before_expiry_and_a_renewal_re_arms() {
    let app = spawn_app().await;
    let id = young_request(&app, "PRESERVE-ALERT").await;
    let reference = app.fetch(&id).await["reference"]
        .as_str()
        .unwrap()
        .to_string();
    // Budapest art. 29 asked 50 days ago: expires in 10 days.
    let p = recorded(&app, &preservation(&id, &day(-50))).await;
    let pid = p["id"].as_str().unwrap().to_string();
    assert_eq!(
        warnings(&app, &id).await,
        [("preservation-expires-in-14-days".to_string(), 10)]
    );
    let run = app.run_alerts(false).await;
    assert_eq!(run["emails_sent"], 1, "{run}");
    let mails = to_coordinator(&app);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains(&format!("1. {reference} — "))
            && mails[0].contains(&format!("expires on {}: 10 days left", long_day(10)))
            && mails[0].contains("To do: ask for the preservation to be extended"),
        "{}",
        mails[0]
    );
    // A second run sends nothing new: the episode is the expiry date.
    assert_eq!(app.run_alerts(false).await["notifications_created"], 0);

    // Renewed, but only for a few days more: a new episode, a new warning —
    // at both levels, 2 days before the new date.
    let res = act(
        &app,
        &pid,
        "renewals",
        None,
        &json!({"effective_date": day(0), "expires_on": day(2)}),
    )
    .await;
    assert_eq!(res.status, 422, "a renewal extends: {res:?}");
    let res = act(
        &app,
        &pid,
        "renewals",
        None,
        &json!({"effective_date": day(0), "expires_on": day(12)}),
    )
    .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        warnings(&app, &id).await,
        [("preservation-expires-in-14-days".to_string(), 12)]
    );
    let run = app.run_alerts(false).await;
    assert_eq!(run["notifications_created"], 1, "{run}");
    assert!(
        to_coordinator(&app)
            .iter()
            .any(|m| m.contains(&format!("expires on {}: 12 days left", long_day(12))))
    );

    // A second preservation 2 days from its end: both levels.
    recorded(&app, &preservation(&id, &day(-58))).await;
    let mut found = warnings(&app, &id).await;
    found.sort();
    assert_eq!(
        found,
        [
            ("preservation-expires-in-14-days".to_string(), 2),
            ("preservation-expires-in-14-days".to_string(), 12),
            ("preservation-expires-in-3-days".to_string(), 2),
        ]
    );

    // Released: no warning about it any more.
    let res = act(&app, &pid, "release", None, &json!({})).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(warnings(&app, &id).await.len(), 2);
}

#[actix_web::test]
async fn no_warning_once_the_request_is_executed_nor_for_a_snooze() {
    let app = spawn_app().await;
    let id = young_request(&app, "PRESERVE-EXECUTED").await;
    recorded(&app, &preservation(&id, &day(-58))).await;
    // A snooze promises an answer; the holder deletes the data anyway.
    let res = app
        .post(
            &format!("/api/v1/requests/{id}/snooze"),
            &app.admin_token,
            &json!({"until": day(30), "reason": "The central authority promised an answer"}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    assert_eq!(
        warnings(&app, &id).await.len(),
        2,
        "2 days left: both levels"
    );

    for (to, date) in [("in_execution", day(-1)), ("executed", day(0))] {
        let mut body = common::transition_to(to, &date);
        if to == "executed" {
            body["measure_outcomes"] =
                json!({"identify_victims": "executed", "subscriber_data": "executed"});
        }
        let res = app.transition(&id, &body).await;
        assert_eq!(res.status, 200, "{res:?}");
    }
    assert!(warnings(&app, &id).await.is_empty());
    let run = app.run_alerts(false).await;
    assert_eq!(run["notifications_created"], 0, "{run}");
}

#[actix_web::test]
async fn a_case_s_preservation_warns_through_its_requests_to_the_holder_s_country() {
    let app = spawn_app().await;
    let to_ph = young_request(&app, "PRESERVE-CASE").await;
    let mut to_de = sent_body("PRESERVE-CASE", &day(-2));
    to_de["target_country"] = json!("DE");
    to_de["legal_basis"] = json!("eio_directive");
    to_de["channel"] = json!("direct_judicial");
    let to_de = id_of(&app.create_request(&to_de).await);
    let case_id = app.fetch(&to_ph).await["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.fetch(&to_de).await["case_id"], case_id.as_str());

    let mut body = preservation(&to_ph, &day(-50));
    body.as_object_mut().unwrap().remove("request_id");
    body["case_id"] = json!(case_id);
    let p = recorded(&app, &body).await;
    assert_eq!(
        (p["case_id"].as_str(), &p["request_id"]),
        (Some(case_id.as_str()), &Value::Null)
    );
    assert_eq!(warnings(&app, &to_ph).await.len(), 1);
    assert!(
        warnings(&app, &to_de).await.is_empty(),
        "not the holder's country"
    );

    // Its events are in the case's history; the case lists it.
    let events = app
        .get(&format!("/api/v1/cases/{case_id}/events"), &app.admin_token)
        .await;
    let kinds: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"preservation_recorded"), "{kinds:?}");
    let case = app
        .get(&format!("/api/v1/cases/{case_id}"), &app.admin_token)
        .await;
    assert_eq!(case.body["preservations"][0]["id"], p["id"]);
    let listed = app
        .get(
            &format!("/api/v1/preservations?case_id={case_id}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
}
