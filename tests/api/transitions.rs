//! The lifecycle of a request: the transition table, the reasons and dates a
//! transition needs, the dates the server maintains (docs/DOMAIN.md §3, §4),
//! and the history each transition leaves (§6).

use std::collections::BTreeSet;

use crate::common::{
    TestApp, draft_body, id_of, office_today, sent_body, spawn_app, transition_to,
};
use awc::http::Method;
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

/// The transition table of docs/DOMAIN.md §3.2, copied by hand from the
/// document.
const TABLE: &[(&str, &[&str])] = &[
    ("draft", &["sent", "withdrawn"]),
    (
        "sent",
        &[
            "acknowledged",
            "additional_info_requested",
            "postponed",
            "in_execution",
            "partially_executed",
            "executed",
            "refused",
            "withdrawn",
            "abandoned",
        ],
    ),
    (
        "acknowledged",
        &[
            "additional_info_requested",
            "postponed",
            "in_execution",
            "partially_executed",
            "executed",
            "refused",
            "withdrawn",
            "abandoned",
        ],
    ),
    (
        "additional_info_requested",
        &[
            "information_supplied",
            "acknowledged",
            "in_execution",
            "partially_executed",
            "executed",
            "refused",
            "withdrawn",
            "abandoned",
        ],
    ),
    (
        "information_supplied",
        &[
            "additional_info_requested",
            "postponed",
            "in_execution",
            "partially_executed",
            "executed",
            "refused",
            "withdrawn",
            "abandoned",
        ],
    ),
    (
        "postponed",
        &[
            "additional_info_requested",
            "in_execution",
            "partially_executed",
            "executed",
            "refused",
            "withdrawn",
            "abandoned",
        ],
    ),
    (
        "in_execution",
        &[
            "additional_info_requested",
            "postponed",
            "partially_executed",
            "executed",
            "refused",
            "withdrawn",
            "abandoned",
        ],
    ),
    (
        "partially_executed",
        &["in_execution", "executed", "withdrawn", "abandoned"],
    ),
    ("executed", &[]),
    ("refused", &[]),
    ("withdrawn", &[]),
    (
        "abandoned",
        &[
            "acknowledged",
            "postponed",
            "in_execution",
            "partially_executed",
            "executed",
            "refused",
        ],
    ),
];

/// Entering one of these is a substantive answer from abroad (sets
/// `first_response_at`); an acknowledgement is not one.
const SUBSTANTIVE: &[&str] = &[
    "additional_info_requested",
    "postponed",
    "in_execution",
    "partially_executed",
    "executed",
    "refused",
];

/// Entering one of these sets `closed_at`.
const CLOSING: &[&str] = &["executed", "refused", "withdrawn", "abandoned"];

fn allowed_from(status: &str) -> &'static [&'static str] {
    TABLE
        .iter()
        .find(|(from, _)| *from == status)
        .map(|(_, next)| *next)
        .unwrap_or_else(|| panic!("{status} is not in the table"))
}

fn all_statuses() -> Vec<&'static str> {
    TABLE.iter().map(|(s, _)| *s).collect()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The dates the server maintains (docs/DOMAIN.md §4.1), computed from the
/// steps.
#[derive(Debug, Default, Clone, PartialEq)]
struct Dates {
    sent_at: Option<String>,
    acknowledged_at: Option<String>,
    first_response_at: Option<String>,
    closed_at: Option<String>,
}

impl Dates {
    fn after(&self, to: &str, date: &str) -> Dates {
        let mut next = self.clone();
        if to == "sent" {
            next.sent_at = Some(date.to_string());
        }
        if to == "acknowledged" && next.acknowledged_at.is_none() {
            next.acknowledged_at = Some(date.to_string());
        }
        if SUBSTANTIVE.contains(&to) && next.first_response_at.is_none() {
            next.first_response_at = Some(date.to_string());
        }
        next.closed_at = CLOSING.contains(&to).then(|| date.to_string());
        next
    }

    fn assert_on(&self, record: &Value, context: &str) {
        let actual = Dates {
            sent_at: record["sent_at"].as_str().map(str::to_owned),
            acknowledged_at: record["acknowledged_at"].as_str().map(str::to_owned),
            first_response_at: record["first_response_at"].as_str().map(str::to_owned),
            closed_at: record["closed_at"].as_str().map(str::to_owned),
        };
        assert_eq!(&actual, self, "{context}: {record}");
    }
}

/// A request brought to `status` through allowed transitions, with the
/// dates expected so far and the number of transitions made.
struct Driven {
    id: String,
    dates: Dates,
    transitions: i64,
    /// The date of the last change: later steps use this date or a later one.
    since: String,
}

const SENT_ON: &str = "2025-01-10";
const REACHED_ON: &str = "2025-03-01";

/// The shortest way from `sent` to `status` through the table.
fn path_from_sent(status: &str) -> Vec<&'static str> {
    let mut paths: Vec<Vec<&'static str>> = vec![vec!["sent"]];
    let mut seen = BTreeSet::from(["sent"]);
    while !paths.is_empty() {
        let mut longer = Vec::new();
        for path in paths {
            let last = *path.last().unwrap();
            if last == status {
                return path[1..].to_vec();
            }
            for next in allowed_from(last) {
                if seen.insert(next) {
                    longer.push([path.clone(), vec![*next]].concat());
                }
            }
        }
        paths = longer;
    }
    panic!("{status} cannot be reached from sent")
}

/// Brings a fresh request to `status`. A draft is created as one; anything
/// else starts from a request logged as sent on [`SENT_ON`] and, unless it is
/// `sent`, takes the shortest way the table allows from `sent`, every step
/// on [`REACHED_ON`].
async fn drive_to(app: &TestApp, status: &str) -> Driven {
    if status == "draft" {
        let record = app.create_request(&draft_body("DRIVE-DRAFT")).await;
        assert_eq!(record["status"], "draft");
        return Driven {
            id: id_of(&record),
            dates: Dates::default(),
            transitions: 0,
            since: record["status_since"].as_str().unwrap().to_string(),
        };
    }
    let record = app
        .create_request(&sent_body(&format!("DRIVE-{status}"), SENT_ON))
        .await;
    let id = id_of(&record);
    let mut driven = Driven {
        id,
        dates: Dates::default().after("sent", SENT_ON),
        transitions: 0,
        since: SENT_ON.into(),
    };
    for step in path_from_sent(status) {
        let record = app.move_to(&driven.id, step, REACHED_ON).await;
        assert_eq!(record["status"], step);
        driven.dates = driven.dates.after(step, REACHED_ON);
        driven.transitions += 1;
        driven.since = REACHED_ON.into();
    }
    driven
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn vocabularies_publish_the_transition_table_and_lists() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/meta/vocabularies", &app.admin_token).await;
    assert_eq!(res.status, 200, "{res:?}");
    let v = &res.body;
    assert_eq!(strings(&v["statuses"]), set(&all_statuses()));
    for (from, next) in TABLE {
        assert_eq!(strings(&v["transitions"][from]), set(next), "from {from}");
    }
    let expected_waiting = [
        ("draft", "us"),
        ("sent", "them"),
        ("acknowledged", "them"),
        ("additional_info_requested", "us"),
        ("information_supplied", "them"),
        ("postponed", "them"),
        ("in_execution", "them"),
        ("partially_executed", "them"),
    ];
    for (status, who) in expected_waiting {
        assert_eq!(v["waiting_on"][status], who, "{status}");
    }
    let sizes = [
        ("channels", 8),
        ("facilitators", 4),
        ("follow_up_channels", 14),
        ("measure_outcomes", 4),
        ("foreign_proceedings", 3),
        ("link_kinds", 4),
        ("legal_bases", 15),
        ("offences", 14),
        ("measures", 19),
        ("abandonment_reasons", 12),
        ("refusal_grounds", 18),
        ("priorities", 3),
        ("roles", 4),
        ("countries", 250),
    ];
    for (list, size) in sizes {
        assert_eq!(v[list].as_array().map(Vec::len), Some(size), "{list}");
    }
    assert!(strings(&v["abandonment_reasons"]).contains("no_response"));
    assert!(strings(&v["refusal_grounds"]).contains("bank_secrecy_invoked"));
    let kosovo = v["countries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "XK");
    assert!(kosovo.is_some(), "XK is listed");
}

#[actix_web::test]
async fn every_allowed_transition_succeeds_and_maintains_the_dates() {
    let app = spawn_app().await;
    let mut checked = 0;
    for (from, next) in TABLE {
        for to in *next {
            let driven = drive_to(&app, from).await;
            // A draft's clock starts today; everything else was dated in 2025.
            let date = if *from == "draft" {
                office_today().to_string()
            } else {
                "2025-05-01".to_string()
            };
            assert!(
                date >= driven.since,
                "test setup: {date} < {}",
                driven.since
            );
            let res = app.transition(&driven.id, &transition_to(to, &date)).await;
            let context = format!("{from} -> {to}");
            assert_eq!(res.status, 200, "{context}: {res:?}");
            let record = &res.body;
            assert_eq!(record["status"], *to, "{context}");
            assert_eq!(record["status_since"], date.as_str(), "{context}");
            assert_eq!(record["version"], driven.transitions + 2, "{context}");
            assert_eq!(
                res.header("etag"),
                Some(format!("\"{}\"", driven.transitions + 2)),
                "{context}"
            );
            driven.dates.after(to, &date).assert_on(record, &context);
            let reason = if *to == "abandoned" {
                json!("no_response")
            } else {
                Value::Null
            };
            assert_eq!(record["abandonment_reason"], reason, "{context}");
            let ground = if *to == "refused" {
                json!("dual_criminality")
            } else {
                Value::Null
            };
            assert_eq!(record["refusal_ground"], ground, "{context}");
            // What the response said is what is stored.
            assert_eq!(&app.fetch(&driven.id).await, record, "{context}");
            let events = app.events(&driven.id).await;
            assert_eq!(events.len() as i64, driven.transitions + 2, "{context}");
            let last = events.last().unwrap();
            assert_eq!(last["kind"], "transition", "{context}");
            assert_eq!(last["from_status"], *from, "{context}");
            assert_eq!(last["to_status"], *to, "{context}");
            assert_eq!(last["effective_date"], date.as_str(), "{context}");
            assert_eq!(
                last["changes"]["status"],
                json!({"old": from, "new": to}),
                "{context}"
            );
            checked += 1;
        }
    }
    // 2 + 9 + 8 + 8 + 8 + 7 + 7 + 4 + 6 moves in the table of
    // docs/DOMAIN.md §3.2.
    assert_eq!(checked, 59);
}

#[actix_web::test]
async fn every_forbidden_transition_is_refused_with_the_allowed_list() {
    let app = spawn_app().await;
    for (from, allowed) in TABLE {
        let driven = drive_to(&app, from).await;
        let before = app.fetch(&driven.id).await;
        let events_before = app.events(&driven.id).await.len();
        let date = office_today().to_string();
        for to in all_statuses() {
            if allowed.contains(&to) {
                continue;
            }
            let res = app.transition(&driven.id, &transition_to(to, &date)).await;
            let context = format!("{from} -> {to}");
            assert_eq!(res.status, 409, "{context}: {res:?}");
            assert_eq!(res.code(), "transition_not_allowed", "{context}");
            assert_eq!(
                strings(&res.body["error"]["allowed"]),
                set(allowed),
                "{context}"
            );
            assert!(
                res.body["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains(to),
                "{context}: the message names the refused status: {res:?}"
            );
        }
        assert_eq!(app.fetch(&driven.id).await, before, "{from}: unchanged");
        assert_eq!(app.events(&driven.id).await.len(), events_before, "{from}");
    }
}

// ---------------------------------------------------------------------------
// Reasons and notes
// ---------------------------------------------------------------------------

/// Posts `body` as a transition and expects 422 naming exactly `fields`.
async fn expect_invalid(app: &TestApp, id: &str, body: Value, fields: &[&str]) {
    let res = app.transition(id, &body).await;
    assert_eq!(res.status, 422, "{body}: {res:?}");
    assert_eq!(res.code(), "validation_failed", "{body}");
    let named: BTreeSet<String> = res.body["error"]["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("no fields in {res:?}"))
        .keys()
        .cloned()
        .collect();
    assert_eq!(named, set(fields), "{body}: {res:?}");
    for field in fields {
        let messages = &res.body["error"]["fields"][field];
        assert!(
            messages.as_array().is_some_and(|m| !m.is_empty()),
            "{field} has a message: {res:?}"
        );
    }
}

#[actix_web::test]
async fn abandoning_needs_a_reason_and_other_needs_a_note() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    let date = "2025-06-01";
    expect_invalid(
        &app,
        &id,
        json!({"to": "abandoned", "effective_date": date}),
        &["abandonment_reason"],
    )
    .await;
    expect_invalid(
        &app,
        &id,
        json!({"to": "abandoned", "effective_date": date, "abandonment_reason": "gave_up"}),
        &["abandonment_reason"],
    )
    .await;
    let other = json!({"to": "abandoned", "effective_date": date, "abandonment_reason": "other"});
    expect_invalid(&app, &id, other.clone(), &["note"]).await;
    let mut blank = other.clone();
    blank["note"] = json!("   ");
    expect_invalid(&app, &id, blank, &["note"]).await;
    assert_eq!(app.fetch(&id).await["status"], "sent");

    let mut explained = other;
    explained["note"] = json!("The victims were identified through a joint investigation team");
    let res = app.transition(&id, &explained).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["status"], "abandoned");
    assert_eq!(res.body["abandonment_reason"], "other");
    let last = app.events(&id).await.pop().unwrap();
    assert_eq!(last["note"], explained["note"]);
}

#[actix_web::test]
async fn refusing_needs_a_ground_and_other_needs_a_note() {
    let app = spawn_app().await;
    let id = drive_to(&app, "acknowledged").await.id;
    let date = "2025-06-01";
    expect_invalid(
        &app,
        &id,
        json!({"to": "refused", "effective_date": date}),
        &["refusal_ground"],
    )
    .await;
    expect_invalid(
        &app,
        &id,
        json!({"to": "refused", "effective_date": date, "refusal_ground": "no_reason"}),
        &["refusal_ground"],
    )
    .await;
    let other = json!({"to": "refused", "effective_date": date, "refusal_ground": "other"});
    expect_invalid(&app, &id, other.clone(), &["note"]).await;
    let mut blank = other.clone();
    blank["note"] = json!("\n\t ");
    expect_invalid(&app, &id, blank, &["note"]).await;
    assert_eq!(app.fetch(&id).await["status"], "acknowledged");

    let mut explained = other;
    explained["note"] = json!("The requested state says the platform is out of its reach");
    let res = app.transition(&id, &explained).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["status"], "refused");
    assert_eq!(res.body["refusal_ground"], "other");
    assert_eq!(res.body["closed_at"], date);
}

#[actix_web::test]
async fn reasons_belong_only_to_their_own_status() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    let date = "2025-06-01";
    expect_invalid(
        &app,
        &id,
        json!({"to": "acknowledged", "effective_date": date, "refusal_ground": "de_minimis"}),
        &["refusal_ground"],
    )
    .await;
    expect_invalid(
        &app,
        &id,
        json!({"to": "refused", "effective_date": date, "refusal_ground": "de_minimis",
               "abandonment_reason": "no_response"}),
        &["abandonment_reason"],
    )
    .await;
    expect_invalid(
        &app,
        &id,
        json!({"to": "abandoned", "effective_date": date, "abandonment_reason": "no_response",
               "refusal_ground": "de_minimis"}),
        &["refusal_ground"],
    )
    .await;
    assert_eq!(app.fetch(&id).await["version"], 1);
}

#[actix_web::test]
async fn a_transition_body_names_its_bad_fields() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    let cases = [
        (json!({"effective_date": "2025-06-01"}), "to"),
        (json!({"to": "acknowledged"}), "effective_date"),
        (
            json!({"to": "answered", "effective_date": "2025-06-01"}),
            "to",
        ),
        (
            json!({"to": "acknowledged", "effective_date": "01/06/2025"}),
            "effective_date",
        ),
        (
            json!({"to": "acknowledged", "effective_date": "2025-02-30"}),
            "effective_date",
        ),
        (
            json!({"to": "acknowledged", "effective_date": "2025-06-01", "colour": "red"}),
            "colour",
        ),
        (
            json!({"to": "executed", "effective_date": "2025-06-01",
                   "measure_outcomes": {"bank_records": "executed"}}),
            "measure_outcomes.bank_records",
        ),
        (
            json!({"to": "executed", "effective_date": "2025-06-01",
                   "measure_outcomes": {"identify_victims": "maybe"}}),
            "measure_outcomes.identify_victims",
        ),
        (
            json!({"to": "acknowledged", "effective_date": "2025-06-01",
                   "measure_outcomes": {"identify_victims": "executed"}}),
            "measure_outcomes",
        ),
    ];
    for (body, field) in cases {
        expect_invalid(&app, &id, body, &[field]).await;
    }
    assert_eq!(app.fetch(&id).await["version"], 1);
    assert_eq!(app.events(&id).await.len(), 1);
}

#[actix_web::test]
async fn sending_a_draft_needs_a_channel_and_a_legal_basis() {
    let app = spawn_app().await;
    let mut body = draft_body("NO-CHANNEL");
    body.as_object_mut().unwrap().remove("channel");
    body.as_object_mut().unwrap().remove("legal_basis");
    let draft = app.create_request(&body).await;
    let id = id_of(&draft);
    let date = office_today().to_string();
    expect_invalid(
        &app,
        &id,
        transition_to("sent", &date),
        &["channel", "legal_basis"],
    )
    .await;
    // Withdrawing a draft does not need them.
    let record = app.move_to(&id, "withdrawn", &date).await;
    assert_eq!(record["sent_at"], Value::Null);
    assert_eq!(record["closed_at"], date.as_str());
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn effective_dates_may_not_be_after_the_office_today() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    // The office's today is in Europe/Paris: with the suite's second
    // instant (23:30 UTC on 28 February) it is already 1 March there.
    let tomorrow = (office_today() + Duration::days(1)).to_string();
    let res = app
        .transition(&id, &transition_to("acknowledged", &tomorrow))
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    let message = res.body["error"]["fields"]["effective_date"][0]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        message,
        format!(
            "must not be in the future (today is {} in Europe/Paris)",
            office_today()
        )
    );
    assert_eq!(app.fetch(&id).await["status"], "sent");
    let far = (office_today() + Duration::days(2)).to_string();

    let today = office_today().to_string();
    let record = app.move_to(&id, "acknowledged", &today).await;
    assert_eq!(record["acknowledged_at"], today.as_str());

    // Notes obey the same rule.
    let res = app
        .post(
            &format!("/api/v1/requests/{id}/notes"),
            &app.admin_token,
            &json!({"text": "Phoned the central authority", "effective_date": far}),
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert!(res.body["error"]["fields"]["effective_date"].is_array());
}

#[actix_web::test]
async fn a_request_cannot_be_logged_as_sent_in_the_future() {
    let app = spawn_app().await;
    let far = (office_today() + Duration::days(2)).to_string();
    let res = app
        .post(
            "/api/v1/requests",
            &app.admin_token,
            &sent_body("FUTURE", &far),
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert!(res.body["error"]["fields"]["sent_at"].is_array(), "{res:?}");
    let today = office_today().to_string();
    let record = app.create_request(&sent_body("TODAY", &today)).await;
    assert_eq!(record["sent_at"], today.as_str());
    assert_eq!(record["status_since"], today.as_str());
}

#[actix_web::test]
async fn effective_dates_may_not_precede_the_previous_change_but_the_same_day_is_fine() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    let day_before = (day(SENT_ON) - Duration::days(1)).to_string();
    let res = app
        .transition(&id, &transition_to("acknowledged", &day_before))
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    let message = res.body["error"]["fields"]["effective_date"][0]
        .as_str()
        .unwrap_or("");
    assert!(
        message.contains(SENT_ON),
        "names the previous change: {message}"
    );

    // Same day as the previous change, twice in a row.
    app.move_to(&id, "acknowledged", SENT_ON).await;
    app.move_to(&id, "in_execution", SENT_ON).await;
    // The bound moves with each change.
    let res = app
        .transition(&id, &transition_to("executed", "2025-01-09"))
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    app.move_to(&id, "partially_executed", "2025-04-01").await;
    let res = app
        .transition(&id, &transition_to("executed", "2025-03-31"))
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    let record = app.move_to(&id, "executed", "2025-04-01").await;
    assert_eq!(record["sent_at"], SENT_ON);
    assert_eq!(record["acknowledged_at"], SENT_ON);
    assert_eq!(
        record["first_response_at"], SENT_ON,
        "entering in_execution"
    );
    assert_eq!(record["closed_at"], "2025-04-01");
}

/// A clerk logs a draft and sends it the same day, dating the transition
/// with the office's date: the draft's `status_since` is that same date, so
/// "before the previous change" does not refuse it.
#[actix_web::test]
async fn a_draft_created_today_can_be_sent_dated_today() {
    let app = spawn_app().await;
    let draft = app.create_request(&draft_body("SAME-DAY")).await;
    let today = office_today().to_string();
    assert_eq!(draft["status_since"], today.as_str());
    let id = id_of(&draft);
    let res = app.transition(&id, &transition_to("sent", &today)).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["sent_at"], today.as_str());
}

// ---------------------------------------------------------------------------
// Maintained dates and history
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn reopening_an_abandoned_request_clears_its_closing_and_keeps_its_dates() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;

    let r = app.move_to(&id, "abandoned", "2025-06-01").await;
    assert_eq!(
        (
            &r["closed_at"],
            &r["first_response_at"],
            &r["abandonment_reason"]
        ),
        (&json!("2025-06-01"), &Value::Null, &json!("no_response"))
    );

    // A late acknowledgement reopens the request, but is not an answer.
    let r = app.move_to(&id, "acknowledged", "2025-07-01").await;
    assert_eq!(r["status"], "acknowledged");
    assert_eq!(r["closed_at"], Value::Null);
    assert_eq!(r["abandonment_reason"], Value::Null);
    assert_eq!(r["acknowledged_at"], "2025-07-01");
    assert_eq!(r["first_response_at"], Value::Null);
    assert_eq!(r["sent_at"], SENT_ON);

    // Given up on a second time, for another reason.
    let again = json!({"to": "abandoned", "effective_date": "2025-08-01",
                       "abandonment_reason": "case_closed"});
    let res = app.transition(&id, &again).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["closed_at"], "2025-08-01");
    assert_eq!(res.body["abandonment_reason"], "case_closed");
    assert_eq!(res.body["first_response_at"], Value::Null);

    // Then executed after all: closed again, on the execution date.
    let done = json!({"to": "executed", "effective_date": "2025-09-01",
                      "measure_outcomes": {"identify_victims": "executed"}});
    let res = app.transition(&id, &done).await;
    assert_eq!(res.status, 200, "{res:?}");
    let r = &res.body;
    assert_eq!(r["status"], "executed");
    assert_eq!(r["closed_at"], "2025-09-01");
    assert_eq!(r["abandonment_reason"], Value::Null);
    assert_eq!(r["first_response_at"], "2025-09-01");
    assert_eq!(r["acknowledged_at"], "2025-07-01");
    assert_eq!(r["sent_at"], SENT_ON);
    assert_eq!(
        r["measure_outcomes"],
        json!({"identify_victims": "executed"})
    );
    assert_eq!(r["version"], 5);

    // Reopened straight into a refusal: first response and closing that day.
    let id = drive_to(&app, "abandoned").await.id;
    let r = app.move_to(&id, "refused", "2025-10-01").await;
    assert_eq!(r["first_response_at"], "2025-10-01");
    assert_eq!(r["closed_at"], "2025-10-01");
    assert_eq!(r["abandonment_reason"], Value::Null);
    assert_eq!(r["refusal_ground"], "dual_criminality");
}

#[actix_web::test]
async fn withdrawing_before_any_answer_closes_without_a_first_response() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    let r = app.move_to(&id, "withdrawn", "2025-02-01").await;
    assert_eq!(r["first_response_at"], Value::Null);
    assert_eq!(r["closed_at"], "2025-02-01");
    assert_eq!(r["sent_at"], SENT_ON);
}

#[actix_web::test]
async fn a_sent_draft_takes_its_sent_at_from_the_transition() {
    let app = spawn_app().await;
    let draft = app.create_request(&draft_body("TO-SEND")).await;
    assert_eq!(draft["sent_at"], Value::Null);
    let id = id_of(&draft);
    let date = office_today().to_string();
    let r = app.move_to(&id, "sent", &date).await;
    assert_eq!(r["sent_at"], date.as_str());
    assert_eq!(r["status_since"], date.as_str());
    assert_eq!(r["first_response_at"], Value::Null);
    assert_eq!(r["closed_at"], Value::Null);
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

#[actix_web::test]
async fn history_records_each_transition_with_old_and_new_values() {
    let app = spawn_app().await;
    let (clerk, clerk_token) = app.create_user("clerk").await;
    let created = app.create_request(&sent_body("HISTORY", SENT_ON)).await;
    let id = id_of(&created);
    let path = format!("/api/v1/requests/{id}/transitions");

    let res = app
        .post(
            &path,
            &clerk_token,
            &json!({"to": "acknowledged", "effective_date": "2025-02-03",
                    "note": "Acknowledged by the DOJ Office of Cybercrime"}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    app.transition(
        &id,
        &json!({"to": "abandoned", "effective_date": "2025-09-30",
                "abandonment_reason": "no_response"}),
    )
    .await;
    let res = app
        .transition(
            &id,
            &json!({"to": "executed", "effective_date": "2025-11-15",
                    "measure_outcomes": {"identify_victims": "executed",
                                         "subscriber_data": "data_not_held"}}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");

    let events = app.events(&id).await;
    let kinds: Vec<_> = events.iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(
        kinds,
        [
            json!("created"),
            json!("transition"),
            json!("transition"),
            json!("transition")
        ]
    );
    let seqs: Vec<_> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);

    let created_event = &events[0];
    assert_eq!(created_event["to_status"], "sent");
    assert_eq!(created_event["effective_date"], SENT_ON);
    assert_eq!(created_event["actor"]["name"], "Test Admin");

    let ack = &events[1];
    assert_eq!(ack["actor"]["id"], clerk["id"]);
    assert_eq!(ack["actor"]["name"], "Test clerk");
    assert_eq!(ack["from_status"], "sent");
    assert_eq!(ack["to_status"], "acknowledged");
    assert_eq!(ack["effective_date"], "2025-02-03");
    assert_eq!(ack["note"], "Acknowledged by the DOJ Office of Cybercrime");
    assert_eq!(
        keys(&ack["changes"]),
        set(&["status", "status_since", "acknowledged_at"])
    );
    assert_eq!(
        ack["changes"]["status_since"],
        json!({"old": SENT_ON, "new": "2025-02-03"})
    );
    assert_eq!(
        ack["changes"]["acknowledged_at"],
        json!({"old": null, "new": "2025-02-03"})
    );

    let abandon = &events[2];
    assert_eq!(
        keys(&abandon["changes"]),
        set(&["status", "status_since", "closed_at", "abandonment_reason"])
    );
    assert_eq!(
        abandon["changes"]["status"],
        json!({"old": "acknowledged", "new": "abandoned"})
    );
    assert_eq!(
        abandon["changes"]["abandonment_reason"],
        json!({"old": null, "new": "no_response"})
    );
    assert_eq!(abandon["note"], Value::Null);

    let execute = &events[3];
    assert_eq!(
        keys(&execute["changes"]),
        set(&[
            "status",
            "status_since",
            "closed_at",
            "abandonment_reason",
            "first_response_at",
            "measure_outcomes"
        ])
    );
    assert_eq!(
        execute["changes"]["first_response_at"],
        json!({"old": null, "new": "2025-11-15"})
    );
    assert_eq!(
        execute["changes"]["closed_at"],
        json!({"old": "2025-09-30", "new": "2025-11-15"})
    );
    assert_eq!(
        execute["changes"]["abandonment_reason"],
        json!({"old": "no_response", "new": null})
    );
    assert_eq!(
        execute["changes"]["measure_outcomes"],
        json!({"old": {}, "new": {"identify_victims": "executed", "subscriber_data": "data_not_held"}})
    );
    for event in &events {
        assert!(
            event["id"].is_string() && event["recorded_at"].is_string(),
            "{event}"
        );
    }
}

/// Extra request headers.
type Headers<'a> = &'a [(&'a str, &'a str)];

#[actix_web::test]
async fn a_failed_transition_changes_nothing() {
    let app = spawn_app().await;
    let id = drive_to(&app, "in_execution").await.id;
    let before = app.fetch(&id).await;
    let events_before = app.events(&id).await;
    let path = format!("/api/v1/requests/{id}/transitions");
    let stale = [("If-Match", "\"1\"")];
    let attempts: Vec<(Value, Headers, u16)> = vec![
        (transition_to("sent", "2025-05-01"), &[], 409),
        (transition_to("draft", "2025-05-01"), &[], 409),
        (
            json!({"to": "abandoned", "effective_date": "2025-05-01"}),
            &[],
            422,
        ),
        (
            json!({"to": "refused", "effective_date": "2025-05-01", "refusal_ground": "other"}),
            &[],
            422,
        ),
        (transition_to("executed", "2025-02-28"), &[], 422),
        (
            json!({"to": "executed", "effective_date": "2025-05-01",
                   "measure_outcomes": {"teleport": "executed"}}),
            &[],
            422,
        ),
        (transition_to("executed", "2025-05-01"), &stale, 412),
    ];
    for (body, headers, status) in attempts {
        let res = app
            .call_with(
                Method::POST,
                &path,
                Some(&app.admin_token),
                Some(&body),
                headers,
            )
            .await;
        assert_eq!(res.status, status, "{body}: {res:?}");
        assert_eq!(app.fetch(&id).await, before, "{body}: record unchanged");
        assert_eq!(
            app.events(&id).await,
            events_before,
            "{body}: history unchanged"
        );
    }
}

#[actix_web::test]
async fn if_match_on_a_transition_guards_against_stale_reads() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    let path = format!("/api/v1/requests/{id}/transitions");
    let body = transition_to("acknowledged", "2025-02-01");
    let res = app
        .call_with(
            Method::POST,
            &path,
            Some(&app.admin_token),
            Some(&body),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.header("etag").as_deref(), Some("\"2\""));
    let next = transition_to("in_execution", "2025-03-01");
    let res = app
        .call_with(
            Method::POST,
            &path,
            Some(&app.admin_token),
            Some(&next),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(res.status, 412, "{res:?}");
    assert_eq!(res.code(), "precondition_failed");
    assert_eq!(app.fetch(&id).await["status"], "acknowledged");
    let res = app
        .call_with(
            Method::POST,
            &path,
            Some(&app.admin_token),
            Some(&next),
            &[("If-Match", "\"2\"")],
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["version"], 3);
}

#[actix_web::test]
async fn transitions_and_notes_on_unknown_requests_are_404() {
    let app = spawn_app().await;
    for id in ["6f1c1d43-58a3-4a3b-9d2e-0d6f0b1d2c3e", "MLA-2026-00001"] {
        let res = app
            .transition(id, &transition_to("acknowledged", "2025-02-01"))
            .await;
        assert_eq!(res.status, 404, "{res:?}");
        assert_eq!(res.code(), "not_found");
        let res = app
            .post(
                &format!("/api/v1/requests/{id}/notes"),
                &app.admin_token,
                &json!({"text": "anything"}),
            )
            .await;
        assert_eq!(res.status, 404, "{res:?}");
    }
}

#[actix_web::test]
async fn notes_join_the_history_without_changing_the_status() {
    let app = spawn_app().await;
    let id = drive_to(&app, "sent").await.id;
    let res = app
        .post(
            &format!("/api/v1/requests/{id}/notes"),
            &app.admin_token,
            &json!({"text": "Reminder sent through the liaison magistrate", "effective_date": "2025-03-03"}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    assert_eq!(res.body["kind"], "note");
    assert_eq!(
        res.body["note"],
        "Reminder sent through the liaison magistrate"
    );
    assert_eq!(res.body["effective_date"], "2025-03-03");
    assert_eq!(res.body["seq"], 2);
    let events = app.events(&id).await;
    assert_eq!(events.last().unwrap(), &res.body);
    let record = app.fetch(&id).await;
    assert_eq!(record["status"], "sent");
    assert_eq!(record["status_since"], SENT_ON);
    for bad in [json!({"text": ""}), json!({"text": "   "}), json!({})] {
        let res = app
            .post(
                &format!("/api/v1/requests/{id}/notes"),
                &app.admin_token,
                &bad,
            )
            .await;
        assert_eq!(res.status, 422, "{bad}: {res:?}");
        assert!(res.body["error"]["fields"]["text"].is_array(), "{res:?}");
    }
    assert_eq!(app.events(&id).await.len(), 2);
}

/// The register, the alerts and the statistics read one today: the
/// office's (docs/DOMAIN.md §4.2). Under the suite's second instant (23:30
/// UTC on 28 February) it is already 1 March in Paris for all three.
#[actix_web::test]
async fn the_register_the_alerts_and_the_statistics_share_one_today() {
    let app = spawn_app().await;
    let today = office_today().to_string();
    let record = app.create_request(&sent_body("ONE-TODAY", &today)).await;
    assert_eq!(record["sent_at"], today.as_str());
    let stalled = app.get("/api/v1/alerts/stalled", &app.admin_token).await;
    assert_eq!(stalled.body["as_of"], today.as_str(), "{stalled:?}");
    let stats = app.get("/api/v1/stats/countries", &app.admin_token).await;
    assert_eq!(stats.body["as_of"], today.as_str(), "{stats:?}");
    let tomorrow = (office_today() + Duration::days(1)).to_string();
    let res = app
        .get(
            &format!("/api/v1/stats/countries?as_of={tomorrow}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    let res = app
        .post(
            "/api/v1/requests",
            &app.admin_token,
            &sent_body("TOMORROW", &tomorrow),
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
}
