//! The alert rules as the API shows them.

mod common;

use common::{spawn_app, spawn_app_with};
use mla_tracker::config::RuleSettings;

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
    assert_eq!(reminder["statuses"], serde_json::json!(["sent"]));
    assert_eq!(reminder["after_days"], 60);
    assert_eq!(reminder["level"], 1);
    let eio = rules
        .iter()
        .find(|r| r["name"] == "eio-no-acknowledgement")
        .unwrap();
    assert_eq!(eio["legal_bases"], serde_json::json!(["eio_directive"]));
    assert_eq!(eio["after_days"], 7);
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
        s.alerts.rules = vec![RuleSettings {
            name: "philippines-30".into(),
            statuses: vec!["sent".into()],
            after_days: Some(30),
            days_before_needed_by: None,
            level: 2,
            notify: vec!["coordinator".into(), "desk@justice.example".into()],
            legal_bases: vec![],
            countries: vec!["ph".into()],
            priorities: vec![],
        }]
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
