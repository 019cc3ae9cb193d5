//! The calendar feed (docs/DOMAIN.md §7.6, `GET|POST|DELETE /me/calendar`,
//! `GET /calendar/{secret}`): each feed is read back by an independent
//! parser, Python's `icalendar` (`tests/calendar_read.py`), and must carry
//! the deadlines of the requests its owner follows — the magistrate's
//! `needed_by`, the EIO deadlines, preservation expiries, snooze ends —
//! on their days, with stable UIDs, a SEQUENCE that grows when a date
//! moves, a reminder and the request's page; the secret opens that feed
//! only, and a revoked one nothing.

use std::collections::BTreeMap;

use awc::http::Method;
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use crate::common::{self, Resp, TestApp, id_of, sent_body, spawn_app_with, transition_to};

const PUBLIC_URL: &str = "https://mla.example.org";

async fn app() -> TestApp {
    spawn_app_with(|s| s.server.public_url = PUBLIC_URL.into()).await
}

fn in_days(n: u64) -> NaiveDate {
    common::office_today() + Days::new(n)
}

/// Issues `token`'s owner a feed; returns the path of its URL.
async fn issue(app: &TestApp, token: &str) -> String {
    let res = app.post("/api/v1/me/calendar", token, &json!({})).await;
    assert_eq!(res.status, 201, "{res:?}");
    let url = res.body["url"].as_str().expect("a url");
    let path = url
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{url} is under server.public_url"));
    assert!(path.starts_with("/api/v1/calendar/mlacal_"), "{url}");
    assert_eq!(
        res.body["webcal_url"].as_str(),
        Some(format!("webcal://mla.example.org{path}").as_str())
    );
    path.to_string()
}

/// Fetches a feed as a calendar program does: no token.
async fn fetch(app: &TestApp, path: &str) -> Resp {
    app.call(Method::GET, path, None, None).await
}

/// The feed's text, checked to be served as RFC 5545 text.
async fn feed_text(app: &TestApp, path: &str) -> String {
    let res = fetch(app, path).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    let Value::String(text) = res.body else {
        panic!("a text body: {res:?}")
    };
    assert!(
        text.split_terminator("\r\n").all(|l| l.len() <= 75),
        "every line folded to 75 octets, ended by CRLF"
    );
    text
}

/// The feed as Python's `icalendar` reads it.
fn parsed(text: &str) -> Value {
    let file = std::env::temp_dir().join(format!("mla-feed-{}.ics", uuid::Uuid::new_v4()));
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/calendar_read.py"
        ))
        .arg(&file)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "icalendar could not read the feed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The events of the feed at `path`, by UID.
async fn events(app: &TestApp, path: &str) -> BTreeMap<String, Value> {
    let feed = parsed(&feed_text(app, path).await);
    assert_eq!(feed["version"], "2.0");
    assert!(feed["prodid"].as_str().is_some_and(|p| !p.is_empty()));
    let mut by_uid = BTreeMap::new();
    for event in feed["events"].as_array().unwrap() {
        let uid = event["uid"].as_str().unwrap().to_string();
        assert!(
            by_uid.insert(uid.clone(), event.clone()).is_none(),
            "{uid} twice"
        );
    }
    by_uid
}

fn uid(kind: &str, id: &str) -> String {
    format!("{kind}-{id}@mla.example.org")
}

/// The event `uid`, checked to be an all-day event on `day` that links to
/// request `request` and reminds at 09:00 `days_before` days before.
fn all_day<'a>(
    events: &'a BTreeMap<String, Value>,
    uid: &str,
    day: NaiveDate,
    request: &str,
    days_before: i64,
) -> &'a Value {
    let event = events
        .get(uid)
        .unwrap_or_else(|| panic!("no {uid} in {:#?}", events.keys()));
    assert_eq!(
        event["start"],
        json!({"kind": "date", "value": day.to_string()}),
        "{uid}"
    );
    assert_eq!(
        event["end"],
        json!({"kind": "date", "value": (day + Days::new(1)).to_string()}),
        "{uid}: the end of an all-day event is the next day, excluded"
    );
    let page = format!("{PUBLIC_URL}/requests/{request}");
    assert_eq!(event["url"], page.as_str(), "{uid}");
    assert!(
        event["description"].as_str().unwrap().contains(&page),
        "{uid}"
    );
    assert_eq!(event["class"], "PRIVATE", "{uid}");
    let alarms = event["alarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 1, "{uid}: one reminder");
    assert_eq!(alarms[0]["action"], "DISPLAY", "{uid}");
    assert_eq!(
        alarms[0]["trigger_seconds"].as_f64(),
        Some(((9 - 24 * days_before) * 3600) as f64),
        "{uid}: 09:00 {days_before} day(s) before"
    );
    event
}

/// Creates a request with `token`; returns it.
async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app.post("/api/v1/requests", token, body).await;
    assert_eq!(res.status, 201, "{res:?}");
    res.body
}

/// An EIO to Germany sent `days` days ago, needed by `needed_by`.
fn eio(case: &str, days: u64, needed_by: NaiveDate) -> Value {
    let mut body = sent_body(case, &common::days_ago(days));
    body["target_country"] = json!("DE");
    body["legal_basis"] = json!("eio_directive");
    body["channel"] = json!("direct_judicial");
    body["priority"] = json!("normal");
    body["needed_by"] = json!(needed_by.to_string());
    body
}

async fn post_ok(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let res = app.post(path, token, &body).await;
    assert!(res.status == 200 || res.status == 201, "{path}: {res:?}");
    res.body
}

/// Data preserved in Germany for `owner` (`request_id` or `case_id`, and
/// its id), asked for `sent_days_ago` days ago.
fn preservation(owner: (&str, &str), sent_days_ago: u64) -> Value {
    let mut body = json!({
        "holder": "Example Mail (fictitious)",
        "country": "DE",
        "legal_basis": "budapest_art29",
        "sent_at": common::days_ago(sent_days_ago),
    });
    body[owner.0] = json!(owner.1);
    body
}

fn day_of(value: &Value) -> NaiveDate {
    value.as_str().expect("a date").parse().expect("a date")
}

#[actix_web::test]
async fn a_clerks_feed_holds_the_deadlines_of_their_requests_on_their_days() {
    let app = app().await;
    let (_, clerk) = app.create_user("clerk").await;

    // A: sent ten days ago, received eight days ago: the acknowledgement
    // and recognition deadlines run; the magistrate needs it in 40 days.
    let a = create(&app, &clerk, &eio("CAL-A", 10, in_days(40))).await;
    let a_id = id_of(&a);
    let received = common::office_today() - Days::new(8);
    post_ok(
        &app,
        &format!("/api/v1/requests/{a_id}/milestones"),
        &clerk,
        json!({"kind": "received", "effective_date": received.to_string()}),
    )
    .await;
    // B: in execution for five days: the execution deadline runs.
    let b = create(&app, &clerk, &eio("CAL-B", 20, in_days(200))).await;
    let b_id = id_of(&b);
    let executing = common::office_today() - Days::new(5);
    let res = app
        .post(
            &format!("/api/v1/requests/{b_id}/transitions"),
            &clerk,
            &transition_to("in_execution", &executing.to_string()),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    // Data preserved for A, for A's case (Germany), and a released one for B.
    let kept = post_ok(
        &app,
        "/api/v1/preservations",
        &clerk,
        preservation(("request_id", &a_id), 3),
    )
    .await;
    let case_id = a["case_id"].as_str().unwrap().to_string();
    let kept_for_case = post_ok(
        &app,
        "/api/v1/preservations",
        &clerk,
        preservation(("case_id", &case_id), 2),
    )
    .await;
    let released = post_ok(
        &app,
        "/api/v1/preservations",
        &clerk,
        preservation(("request_id", &b_id), 1),
    )
    .await;
    post_ok(
        &app,
        &format!("/api/v1/preservations/{}/release", id_of(&released)),
        &clerk,
        json!({}),
    )
    .await;
    // A's alerts paused for 20 days.
    let until = in_days(20);
    post_ok(
        &app,
        &format!("/api/v1/requests/{a_id}/snooze"),
        &clerk,
        json!({"until": until.to_string(), "reason": "The DOJ asked for a month"}),
    )
    .await;
    // Someone else's request, and one of the clerk's that is closed.
    let other = app.create_request(&eio("CAL-OTHER", 10, in_days(30))).await;
    let closed = create(&app, &clerk, &eio("CAL-CLOSED", 30, in_days(50))).await;
    app.move_to(&id_of(&closed), "withdrawn", &common::days_ago(1))
        .await;

    let path = issue(&app, &clerk).await;
    let events = events(&app, &path).await;

    let kept_id = id_of(&kept);
    let kept_for_case_id = id_of(&kept_for_case);
    let expected = [
        ("needed-by", &a_id, in_days(40), &a_id, 7),
        (
            "eio-acknowledgement",
            &a_id,
            received + Days::new(7),
            &a_id,
            1,
        ),
        ("eio-recognition", &a_id, received + Days::new(30), &a_id, 1),
        ("snooze-end", &a_id, until, &a_id, 0),
        ("needed-by", &b_id, in_days(200), &b_id, 7),
        ("eio-execution", &b_id, executing + Days::new(90), &b_id, 1),
        (
            "preservation-expiry",
            &kept_id,
            day_of(&kept["expires_on"]),
            &a_id,
            3,
        ),
        (
            "preservation-expiry",
            &kept_for_case_id,
            day_of(&kept_for_case["expires_on"]),
            &a_id,
            3,
        ),
    ];
    for (kind, source, day, request, days_before) in expected {
        all_day(&events, &uid(kind, source), day, request, days_before);
    }
    assert_eq!(
        events.len(),
        8,
        "nothing else: not the released preservation, not another's request, not a closed one: {:#?}",
        events.keys()
    );
    let reference = a["reference"].as_str().unwrap();
    let summary = events[&uid("eio-recognition", &a_id)]["summary"]
        .as_str()
        .unwrap();
    assert!(
        summary.contains(reference) && summary.contains("EIO recognition"),
        "{summary}"
    );
    assert!(
        !summary.contains("Live-streamed"),
        "no title in a feed: {summary}"
    );
    // Another user's request, known by its id, is nowhere.
    let other_id = id_of(&other);
    assert!(events.keys().all(|uid| !uid.contains(&other_id)));

    // Fetched again: the same text, so the same UIDs, sequences and stamps.
    let again = feed_text(&app, &path).await;
    assert_eq!(again, feed_text(&app, &path).await);
    assert_eq!(
        events.keys().collect::<Vec<_>>(),
        self::events(&app, &path).await.keys().collect::<Vec<_>>()
    );

    // The magistrate's date moves: same UID, new day, higher SEQUENCE.
    let before = events[&uid("needed-by", &a_id)].clone();
    let version = app.fetch(&a_id).await["version"].as_i64();
    let res = app
        .patch(
            &a_id,
            &clerk,
            version,
            &json!({"needed_by": in_days(60).to_string()}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let moved = self::events(&app, &path).await;
    let after = all_day(&moved, &uid("needed-by", &a_id), in_days(60), &a_id, 7);
    assert!(
        after["sequence"].as_i64() > before["sequence"].as_i64(),
        "SEQUENCE grows: {before} then {after}"
    );
    assert!(after["dtstamp"].as_str() >= before["dtstamp"].as_str());
    // B did not change: its events keep their SEQUENCE.
    let b_uid = uid("eio-execution", &b_id);
    assert_eq!(moved[&b_uid]["sequence"], events[&b_uid]["sequence"]);
}

#[actix_web::test]
async fn admins_see_every_request_coordinators_theirs_and_analysts_none() {
    let app = app().await;
    let (_, clerk) = app.create_user("clerk").await;
    let res = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            &json!({"name": "Coordinator", "email": "claire.coord@test.example", "role": "coordinator"}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    let coordinator = res.body["token"].as_str().unwrap().to_string();

    // Coordinated by her (an address typed with capitals), by someone
    // else, and one she recorded herself.
    let mut hers = eio("CAL-HERS", 10, in_days(30));
    hers["coordinator_email"] = json!("Claire.Coord@test.example");
    let hers = id_of(&create(&app, &clerk, &hers).await);
    let theirs = id_of(&create(&app, &clerk, &eio("CAL-THEIRS", 10, in_days(31))).await);
    let recorded = id_of(&create(&app, &coordinator, &eio("CAL-REC", 10, in_days(32))).await);
    let admins = id_of(&app.create_request(&eio("CAL-ADMIN", 10, in_days(33))).await);

    let needed_by = |events: &BTreeMap<String, Value>| -> Vec<String> {
        let mut ids: Vec<String> = [&hers, &theirs, &recorded, &admins]
            .into_iter()
            .filter(|id| events.contains_key(&uid("needed-by", id)))
            .cloned()
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut ids: Vec<&String>| -> Vec<String> {
        ids.sort();
        ids.into_iter().cloned().collect()
    };

    let path = issue(&app, &coordinator).await;
    assert_eq!(
        needed_by(&events(&app, &path).await),
        sorted(vec![&hers, &recorded])
    );
    let path = issue(&app, &clerk).await;
    assert_eq!(
        needed_by(&events(&app, &path).await),
        sorted(vec![&hers, &theirs])
    );
    let path = issue(&app, &app.admin_token).await;
    assert_eq!(
        needed_by(&events(&app, &path).await),
        sorted(vec![&hers, &theirs, &recorded, &admins])
    );

    // Analysts read no case: no feed, and a JSON error that says so.
    let (_, analyst) = app.create_user("analyst").await;
    for method in [Method::GET, Method::POST, Method::DELETE] {
        let res = app
            .call(method.clone(), "/api/v1/me/calendar", Some(&analyst), None)
            .await;
        assert_eq!(res.status, 403, "{method}: {res:?}");
        assert_eq!(res.code(), "forbidden", "{method}: {res:?}");
    }
}

#[actix_web::test]
async fn the_secret_opens_the_feed_only_and_a_revoked_one_nothing() {
    let app = app().await;
    let (clerk_user, clerk) = app.create_user("clerk").await;
    let state = |res: Resp| {
        assert_eq!(res.status, 200, "{res:?}");
        res.body
    };
    let none = state(app.get("/api/v1/me/calendar", &clerk).await);
    assert_eq!(none, json!({"active": false, "issued_at": null}));

    let path = issue(&app, &clerk).await;
    let shown = state(app.get("/api/v1/me/calendar", &clerk).await);
    assert_eq!(shown["active"], true);
    assert!(shown["issued_at"].is_string(), "{shown}");
    assert!(shown.get("url").is_none(), "the URL is shown once: {shown}");
    feed_text(&app, &path).await;

    // The secret is no bearer token: it opens no other route.
    let secret = path.rsplit('/').next().unwrap().to_string();
    for route in [
        "/api/v1/requests",
        "/api/v1/me/calendar",
        "/api/v1/meta/vocabularies",
    ] {
        let res = app.get(route, &secret).await;
        assert_eq!(res.status, 401, "{route}: {res:?}");
    }
    // Nor does a token open a feed in its place.
    let res = fetch(&app, &format!("/api/v1/calendar/{clerk}")).await;
    assert_eq!(res.status, 404, "{res:?}");

    // A new URL replaces the old, which then answers 404.
    let replaced = issue(&app, &clerk).await;
    assert_ne!(replaced, path);
    let res = fetch(&app, &path).await;
    assert_eq!(res.status, 404, "{res:?}");
    assert_eq!(res.code(), "not_found");
    feed_text(&app, &replaced).await;

    // Revoked: 404, and no feed any more.
    let res = app
        .call(Method::DELETE, "/api/v1/me/calendar", Some(&clerk), None)
        .await;
    assert_eq!(res.status, 204, "{res:?}");
    let res = fetch(&app, &replaced).await;
    assert_eq!(res.status, 404, "{res:?}");
    assert_eq!(res.code(), "not_found");
    assert_eq!(
        state(app.get("/api/v1/me/calendar", &clerk).await)["active"],
        false
    );
    // Revoking again changes nothing and is no error.
    let res = app
        .call(Method::DELETE, "/api/v1/me/calendar", Some(&clerk), None)
        .await;
    assert_eq!(res.status, 204, "{res:?}");

    // A deactivated user's feed opens nothing.
    let path = issue(&app, &clerk).await;
    feed_text(&app, &path).await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}", id_of(&clerk_user)),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let res = fetch(&app, &path).await;
    assert_eq!(res.status, 404, "{res:?}");
}
