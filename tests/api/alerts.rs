//! The alert rules as the API shows them.

use crate::common;

use crate::common::{spawn_app, spawn_app_with};
use mla_tracker::domain::alert_rules::{RuleSet, RuleSpec};

#[actix_web::test]
async fn the_shipped_rules_are_served() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/alerts/rules", &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["timezone"], "Europe/Paris");
    let rules = res.body["rules"].as_array().unwrap();
    let reminder = rules
        .iter()
        .find(|r| r["name"] == "no-answer-reminder")
        .unwrap();
    assert_eq!(
        reminder["statuses"],
        serde_json::json!(["sent", "acknowledged"])
    );
    assert_eq!(reminder["after_days"], 60);
    assert_eq!(reminder["from"], "sent");
    assert_eq!(reminder["extendable"], false);
    assert_eq!(reminder["level"], 1);
    let eio = rules
        .iter()
        .find(|r| r["name"] == "eio-no-acknowledgement")
        .unwrap();
    assert_eq!(eio["legal_bases"], serde_json::json!(["eio_directive"]));
    assert_eq!(eio["after_days"], 7);
    assert_eq!(eio["from"], "received");
    let recognition = rules
        .iter()
        .find(|r| r["name"] == "eio-no-recognition")
        .unwrap();
    assert_eq!(
        (
            &recognition["after_days"],
            &recognition["from"],
            &recognition["extendable"]
        ),
        (
            &serde_json::json!(30),
            &serde_json::json!("received"),
            &serde_json::json!(true)
        )
    );
    let deadline = rules
        .iter()
        .find(|r| r["name"] == "needed-by-7-days")
        .unwrap();
    assert_eq!(deadline["days_before_needed_by"], 7);
    assert!(deadline.get("after_days").is_none());
}

#[actix_web::test]
async fn configured_rules_replace_the_shipped_ones() {
    let app = spawn_app_with(|s| {
        let spec = RuleSpec {
            name: "philippines-30".into(),
            statuses: vec!["sent".into()],
            after_days: Some(30),
            after_hours: None,
            from: None,
            extendable: false,
            days_before_needed_by: None,
            days_before_expiry: None,
            level: 2,
            notify: vec!["coordinator".into(), "desk@justice.example".into()],
            legal_bases: vec![],
            countries: vec!["ph".into()],
            priorities: vec![],
        };
        s.alerts.rules = RuleSet::from_specs(&[spec], &s.alerts.lists).unwrap();
    })
    .await;
    let res = app.get("/api/v1/alerts/rules", &app.admin_token).await;
    let rules = res.body["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["countries"], serde_json::json!(["PH"]));
    assert_eq!(
        rules[0]["notify"],
        serde_json::json!([{"kind": "coordinator"}, {"kind": "address", "value": "desk@justice.example"}])
    );
}

use crate::common::{TestApp, draft_body, id_of, sent_body};
use serde_json::{Value, json};

/// Today where the alerts read it (the default zone, Europe/Paris).
async fn stalled(app: &TestApp, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/alerts/stalled{query}"), &app.admin_token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["request"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn stalled_lists_the_requests_past_a_threshold_most_overdue_first() {
    let app = spawn_app().await;
    let ancient = id_of(
        &app.create_request(&sent_body("OLD", &common::days_ago(400)))
            .await,
    );
    let middling = id_of(
        &app.create_request(&sent_body("MID", &common::days_ago(70)))
            .await,
    );
    let mut german = sent_body("DE", &common::days_ago(200));
    german["target_country"] = json!("DE");
    german["priority"] = json!("normal");
    let german = id_of(&app.create_request(&german).await);
    let _recent = app
        .create_request(&sent_body("NEW", &common::days_ago(3)))
        .await;
    let _draft = app.create_request(&draft_body("DRAFT")).await;

    let body = stalled(&app, "").await;
    assert_eq!(
        ids(&body),
        [ancient.clone(), german.clone(), middling.clone()]
    );
    assert_eq!(body["total"], 3);
    let first = &body["items"][0];
    assert_eq!(first["days_in_status"], 400);
    assert_eq!(first["request"]["country_name"], "Philippines");
    // Highest level first: the 365-day flag, then the 180-day escalation, …
    let rules: Vec<&str> = first["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules[0], "no-answer-flag");
    assert!(
        rules.contains(&"urgent-no-answer") && rules.contains(&"no-answer-reminder"),
        "{rules:?}"
    );
    let flag = &first["breaches"][0];
    assert_eq!(
        (
            flag["level"].as_u64(),
            flag["after_days"].as_u64(),
            flag["overdue_days"].as_u64()
        ),
        (Some(3), Some(365), Some(35))
    );

    assert_eq!(
        ids(&stalled(&app, "?country=de").await),
        vec![german.clone()]
    );
    assert_eq!(ids(&stalled(&app, "?level=3").await), vec![ancient.clone()]);
    let res = app
        .get(
            "/api/v1/alerts/stalled?level=0&colour=red",
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body["error"]["fields"]["level"].is_array()
            && res.body["error"]["fields"]["colour"].is_array()
    );
}

#[actix_web::test]
async fn a_status_change_re_arms_and_closing_silences() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("REARM", &common::days_ago(100)))
            .await,
    );
    assert_eq!(ids(&stalled(&app, "").await), vec![id.clone()]);
    let res = app
        .transition(
            &id,
            &json!({"to": "acknowledged", "effective_date": common::days_ago(5)}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let still = stalled(&app, "").await;
    assert_eq!(
        ids(&still),
        vec![id.clone()],
        "an acknowledgement is not an answer: the clock runs from sending"
    );
    let breaches = still["items"][0]["breaches"].as_array().unwrap();
    let reminder = breaches
        .iter()
        .find(|b| b["rule"] == "no-answer-reminder")
        .unwrap_or_else(|| panic!("{still}"));
    assert_eq!(reminder["episode"], common::days_ago(100).as_str());
    let res = app
        .transition(
            &id,
            &json!({"to": "additional_info_requested", "effective_date": common::days_ago(3)}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert!(
        ids(&stalled(&app, "").await).is_empty(),
        "an answer stops it; our move now, with a new clock"
    );
    let res = app
        .transition(
            &id,
            &json!({"to": "executed", "effective_date": common::days_ago(0)}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert!(ids(&stalled(&app, "").await).is_empty());
}

#[actix_web::test]
async fn follow_ups_are_shown_and_recorded_but_do_not_re_arm() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("CHASED", &common::days_ago(90)))
            .await,
    );
    let path = format!("/api/v1/requests/{id}/follow-ups");
    let res = app
        .post(&path, &app.admin_token, &json!({"channel": "diplomatic", "effective_date": common::days_ago(10), "note": "Note verbale no. 17"}))
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    assert_eq!(res.body["kind"], "follow_up");
    assert_eq!(res.body["note"], "Note verbale no. 17");
    // An older chase logged afterwards does not hide the newer one.
    let res = app
        .post(
            &path,
            &app.admin_token,
            &json!({"channel": "phone", "effective_date": common::days_ago(30)}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");

    let body = stalled(&app, "").await;
    assert_eq!(
        ids(&body),
        vec![id.clone()],
        "still stalled: their silence is what counts"
    );
    assert_eq!(
        body["items"][0]["last_follow_up"],
        json!({"date": common::days_ago(10), "channel": "diplomatic"})
    );
    let events = app
        .get(&format!("/api/v1/requests/{id}/events"), &app.admin_token)
        .await
        .body["items"]
        .clone();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "follow_up", "follow_up"]);

    let res = app
        .post(
            &path,
            &app.admin_token,
            &json!({"channel": "pigeon", "effective_date": "2999-01-01"}),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body["error"]["fields"]["channel"].is_array(), "{res:?}");
}

#[actix_web::test]
async fn snoozed_requests_are_silent_until_the_snooze_is_lifted() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("SNOOZE", &common::days_ago(90)))
            .await,
    );
    let path = format!("/api/v1/requests/{id}/snooze");
    let until = (common::office_today() + chrono::Days::new(30)).to_string();

    for (body, field) in [
        (
            json!({"until": common::days_ago(2), "reason": "x"}),
            "until",
        ),
        (json!({"until": until, "reason": "  "}), "reason"),
        (json!({"until": "2999-01-01", "reason": "forever"}), "until"),
    ] {
        let res = app.post(&path, &app.admin_token, &body).await;
        assert_eq!(res.status, 422, "{body}");
        assert!(res.body["error"]["fields"][field].is_array(), "{res:?}");
    }
    let res = app
        .call(
            awc::http::Method::DELETE,
            &path,
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(res.status, 409, "not snoozed: {res:?}");

    let res = app
        .post(
            &path,
            &app.admin_token,
            &json!({"until": until, "reason": "Answer promised by the liaison magistrate"}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    assert_eq!(res.body["changes"]["snoozed_until"]["new"], until.as_str());
    assert!(ids(&stalled(&app, "").await).is_empty());
    let listed = stalled(&app, "?include_snoozed=true").await;
    assert_eq!(ids(&listed), vec![id.clone()]);
    assert_eq!(listed["items"][0]["snoozed_until"], until.as_str());

    let res = app
        .call(
            awc::http::Method::DELETE,
            &path,
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["kind"], "unsnoozed");
    assert_eq!(ids(&stalled(&app, "").await), vec![id.clone()]);

    // A closed request has nothing to silence.
    let res = app
        .transition(
            &id,
            &json!({"to": "executed", "effective_date": common::days_ago(0)}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = app
        .post(
            &path,
            &app.admin_token,
            &json!({"until": until, "reason": "x"}),
        )
        .await;
    assert_eq!(res.status, 409, "{res:?}");
}
