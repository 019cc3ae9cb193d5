//! Cases (docs/DOMAIN.md §2.2): opened on their own or by the first request
//! filed under a new case reference, listed and filtered, changed with
//! If-Match, with a history of their own; requests filed under them, moved
//! between them, renamed with them; victims counted once per case.

use crate::common;

use awc::http::Method;
use serde_json::{Value, json};

use crate::common::{Resp, TestApp, draft_body, id_of, sent_body, spawn_app};

const UNKNOWN_ID: &str = "6f1c2a3b-0000-4000-8000-00000000abcd";

fn new_case(reference: &str) -> Value {
    json!({
        "case_reference": reference,
        "title": "Live-streamed abuse ordered from France",
        "issuing_magistrate": {"name": "Juge A. Martin", "court": "Tribunal judiciaire de Paris"},
        "offences": ["livestreamed_child_sexual_abuse", "child_sexual_abuse_material"],
    })
}

async fn open_case(app: &TestApp, body: &Value) -> Value {
    let res = app.post("/api/v1/cases", &app.admin_token, body).await;
    assert_eq!(res.status, 201, "{res:?}");
    res.body
}

async fn get_case(app: &TestApp, id: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/cases/{id}"), &app.admin_token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body
}

async fn case_events(app: &TestApp, id: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/cases/{id}/events"), &app.admin_token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body["items"].as_array().unwrap().clone()
}

async fn patch_case(app: &TestApp, id: &str, if_match: Option<&str>, body: &Value) -> Resp {
    let headers: Vec<(&str, &str)> = if_match.map(|v| ("If-Match", v)).into_iter().collect();
    app.call_with(
        Method::PATCH,
        &format!("/api/v1/cases/{id}"),
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

#[actix_web::test]
async fn a_case_is_opened_read_changed_and_remembered() {
    let app = spawn_app().await;
    let case = open_case(&app, &new_case("PARQUET-2026-0412")).await;
    let id = id_of(&case);
    assert_eq!(case["version"], 1);
    assert_eq!(case["victims_identified"], Value::Null);
    assert_eq!(case["foreign_proceedings_opened"], "unknown");
    assert_eq!(case["trial_date"], Value::Null);

    let read = get_case(&app, &id).await;
    assert_eq!(read["case_reference"], "PARQUET-2026-0412");
    assert_eq!(read["requests"], json!([]));

    // If-Match: required, checked, and a malformed patch is 422 first.
    let change = json!({"victims_identified": 3, "victims_safeguarded": 2,
                        "foreign_proceedings_opened": "yes", "trial_date": "2027-03-15"});
    let res = patch_case(&app, &id, None, &change).await;
    assert_eq!((res.status, res.code()), (428, "precondition_required"));
    let res = patch_case(&app, &id, Some("*"), &change).await;
    assert_eq!(res.status, 400, "{res:?}");
    let res = patch_case(&app, &id, Some("\"7\""), &change).await;
    assert_eq!((res.status, res.code()), (412, "precondition_failed"));
    assert_eq!(res.body["error"]["current_version"], 1);
    let res = patch_case(&app, &id, Some("\"7\""), &json!({"victims_identified": -1})).await;
    assert_eq!(res.status, 422, "{res:?}");
    let res = patch_case(&app, &id, Some("\"1\""), &change).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(res.body["victims_identified"], 3);
    assert_eq!(res.body["victims_safeguarded"], 2);

    // More safeguarded than identified is impossible.
    let res = patch_case(&app, &id, Some("\"2\""), &json!({"victims_safeguarded": 4})).await;
    assert_eq!(res.status, 422, "{res:?}");
    assert_eq!(fields(&res), ["victims_safeguarded"]);
    // Nothing changed: no version, no event.
    let res = patch_case(&app, &id, Some("\"2\""), &json!({"victims_identified": 3})).await;
    assert_eq!((res.status, res.body["version"].as_i64()), (200, Some(2)));

    let events = case_events(&app, &id).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["kind"], "created");
    assert_eq!(events[0]["seq"], 1);
    assert_eq!(
        events[0]["changes"]["case_reference"],
        json!({"old": null, "new": "PARQUET-2026-0412"})
    );
    assert_eq!(events[0]["actor"]["name"], "Test Admin");
    assert!(events[0].get("from_status").is_none(), "{}", events[0]);
    assert_eq!(events[1]["kind"], "updated");
    assert_eq!(
        events[1]["changes"]["victims_identified"],
        json!({"old": null, "new": 3})
    );
    assert_eq!(
        events[1]["changes"]["foreign_proceedings_opened"],
        json!({"old": "unknown", "new": "yes"})
    );
    assert_eq!(
        events[1]["effective_date"],
        common::office_today().to_string()
    );
}

#[actix_web::test]
async fn bad_case_bodies_name_every_field_and_duplicates_conflict() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/cases",
            &app.admin_token,
            &json!({"case_reference": "", "title": 5, "issuing_magistrate": {"email": "x"},
                    "offences": ["fraud", "arson"], "trial_date": "2026-02-30",
                    "victims_identified": -1, "foreign_proceedings_opened": "perhaps",
                    "id": UNKNOWN_ID, "colour": "red"}),
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert_eq!(
        fields(&res),
        [
            "case_reference",
            "colour",
            "foreign_proceedings_opened",
            "id",
            "issuing_magistrate.name",
            "offences[1]",
            "title",
            "trial_date",
            "victims_identified"
        ]
    );
    let res = app
        .post("/api/v1/cases", &app.admin_token, &json!({}))
        .await;
    assert_eq!(
        fields(&res),
        ["case_reference", "issuing_magistrate", "title"],
        "{res:?}"
    );

    let first = open_case(&app, &new_case("DUP-1")).await;
    let res = app
        .post("/api/v1/cases", &app.admin_token, &new_case("DUP-1"))
        .await;
    assert_eq!((res.status, res.code()), (409, "conflict"), "{res:?}");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(first["id"].as_str().unwrap())
    );
    // Renaming onto another case's reference is refused the same way.
    open_case(&app, &new_case("DUP-2")).await;
    let res = patch_case(
        &app,
        &id_of(&first),
        Some("\"1\""),
        &json!({"case_reference": "DUP-2"}),
    )
    .await;
    assert_eq!(res.status, 409, "{res:?}");
    for bad in [
        json!({"case_reference": null}),
        json!({"version": 9}),
        json!({"requests": []}),
        json!({"victims_identified": "3"}),
        json!({"related_request_id": null}),
    ] {
        let res = patch_case(&app, &id_of(&first), Some("\"1\""), &bad).await;
        assert_eq!(res.status, 422, "{bad}: {res:?}");
    }
    assert_eq!(get_case(&app, &id_of(&first)).await["version"], 1);

    for path in [
        format!("/api/v1/cases/{UNKNOWN_ID}"),
        format!("/api/v1/cases/{UNKNOWN_ID}/events"),
        "/api/v1/cases/not-an-id".to_string(),
    ] {
        let res = app.get(&path, &app.admin_token).await;
        assert_eq!((res.status, res.code()), (404, "not_found"), "{path}");
    }
    let res = patch_case(&app, UNKNOWN_ID, Some("\"1\""), &json!({"title": "x"})).await;
    assert_eq!(res.status, 404, "{res:?}");
}

#[actix_web::test]
async fn a_request_is_filed_under_its_case_by_reference_or_id() {
    let app = spawn_app().await;
    // A new reference opens the case, from the request's description.
    let first = app
        .create_request(&sent_body("PARQUET-7", "2025-01-10"))
        .await;
    let case_id = first["case_id"].as_str().unwrap().to_string();
    assert_eq!(first["case_reference"], "PARQUET-7");
    let case = get_case(&app, &case_id).await;
    assert_eq!(case["title"], first["title"]);
    assert_eq!(case["issuing_magistrate"], first["issuing_magistrate"]);
    assert_eq!(case["offences"], first["offences"]);
    let events = case_events(&app, &case_id).await;
    assert_eq!(events.len(), 1);
    assert!(
        events[0]["note"]
            .as_str()
            .unwrap()
            .contains(first["reference"].as_str().unwrap()),
        "{}",
        events[0]
    );
    // The request's own history says where it was filed.
    let created = &app.events(&id_of(&first)).await[0];
    assert_eq!(created["changes"]["case_id"]["new"], case_id.as_str());

    // The same reference joins it; so does its id.
    let mut second = sent_body("PARQUET-7", "2025-02-10");
    second["target_country"] = json!("US");
    second["legal_basis"] = json!("bilateral_treaty");
    let second = app.create_request(&second).await;
    assert_eq!(second["case_id"], case_id.as_str());
    let mut third = draft_body("ignored");
    third.as_object_mut().unwrap().remove("case_reference");
    third["case_id"] = json!(case_id);
    let third = app.create_request(&third).await;
    assert_eq!(third["case_reference"], "PARQUET-7");
    // Both, if they agree.
    let mut both = draft_body("PARQUET-7");
    both["case_id"] = json!(case_id);
    app.create_request(&both).await;

    let case = get_case(&app, &case_id).await;
    let listed: Vec<&str> = case["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 4);
    // Sent ones first, in the order they were sent; drafts last.
    assert_eq!(
        listed[..2],
        [
            first["reference"].as_str().unwrap(),
            second["reference"].as_str().unwrap()
        ]
    );
    assert_eq!(case["requests"][1]["target_country"], "US");
    assert_eq!(case["requests"][1]["status"], "sent");
    // The case itself was opened once, never rewritten by its requests.
    assert_eq!(case["version"], 1);
    assert_eq!(case_events(&app, &case_id).await.len(), 1);

    // Refusals: an unknown case id, a reference that is not the case's.
    let mut unknown = draft_body("x");
    unknown.as_object_mut().unwrap().remove("case_reference");
    unknown["case_id"] = json!(UNKNOWN_ID);
    let res = app
        .post("/api/v1/requests", &app.admin_token, &unknown)
        .await;
    assert_eq!(
        (res.status, fields(&res)),
        (422, vec!["case_id".to_string()])
    );
    let mut disagree = draft_body("PARQUET-8");
    disagree["case_id"] = json!(case_id);
    let res = app
        .post("/api/v1/requests", &app.admin_token, &disagree)
        .await;
    assert_eq!(
        (res.status, fields(&res)),
        (422, vec!["case_reference".to_string()])
    );
    let mut neither = draft_body("x");
    neither.as_object_mut().unwrap().remove("case_reference");
    let res = app
        .post("/api/v1/requests", &app.admin_token, &neither)
        .await;
    assert_eq!(
        (res.status, fields(&res)),
        (422, vec!["case_reference".to_string()])
    );
    // None of the refusals opened a case.
    assert_eq!(app.list_all_cases(50).await.len(), 1);
}

#[actix_web::test]
async fn a_request_moves_to_another_case_and_follows_a_renamed_one() {
    let app = spawn_app().await;
    let request = app
        .create_request(&sent_body("WRONG-CASE", "2025-01-10"))
        .await;
    let id = id_of(&request);
    let wrong = request["case_id"].as_str().unwrap().to_string();
    let right = id_of(&open_case(&app, &new_case("RIGHT-CASE")).await);

    // Moved by id; its history records both the id and the reference.
    let res = app
        .patch(&id, &app.admin_token, Some(1), &json!({"case_id": right}))
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["case_reference"], "RIGHT-CASE");
    assert_eq!(res.body["version"], 2);
    let updated = app.events(&id).await.pop().unwrap();
    assert_eq!(
        updated["changes"]["case_id"],
        json!({"old": wrong, "new": right})
    );
    assert_eq!(
        updated["changes"]["case_reference"],
        json!({"old": "WRONG-CASE", "new": "RIGHT-CASE"})
    );
    assert_eq!(get_case(&app, &wrong).await["requests"], json!([]));
    // Naming its own case again changes nothing.
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(2),
            &json!({"case_reference": "RIGHT-CASE"}),
        )
        .await;
    assert_eq!(res.body["version"], 2, "{res:?}");
    // Moved by reference to a case that does not exist yet: opened.
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(2),
            &json!({"case_reference": "THIRD-CASE"}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let third = res.body["case_id"].as_str().unwrap().to_string();
    assert_eq!(get_case(&app, &third).await["title"], request["title"]);

    // The case is renamed: its requests carry the new reference, each
    // recording it in its history.
    let sibling = id_of(&app.create_request(&draft_body("THIRD-CASE")).await);
    let res = patch_case(
        &app,
        &third,
        Some("\"1\""),
        &json!({"case_reference": "THIRD-CASE-BIS"}),
    )
    .await;
    assert_eq!(res.status, 200, "{res:?}");
    for (request, version) in [(&id, 4), (&sibling, 2)] {
        let record = app.fetch(request).await;
        assert_eq!(record["case_reference"], "THIRD-CASE-BIS");
        assert_eq!(record["version"], version);
        let event = app.events(request).await.pop().unwrap();
        assert_eq!(
            event["changes"],
            json!({"case_reference": {"old": "THIRD-CASE", "new": "THIRD-CASE-BIS"}})
        );
        assert!(
            event["note"].as_str().unwrap().contains("renamed"),
            "{event}"
        );
    }
    // `q` finds them by the new reference.
    let found = app.list_all("q=third-case-bis", 10).await;
    assert_eq!(found.len(), 2);
}

#[actix_web::test]
async fn the_list_of_cases_is_filtered_sorted_and_paged() {
    let app = spawn_app().await;
    for (i, country) in ["PH", "DE", "PH", "US", "BR"].iter().enumerate() {
        let mut body = sent_body(&format!("LIST-{i}"), "2025-01-10");
        body["target_country"] = json!(country);
        if *country == "DE" {
            body["legal_basis"] = json!("eio_directive");
            body["channel"] = json!("direct_judicial");
        }
        if i == 3 {
            body["offences"] = json!(["fraud"]);
        }
        app.create_request(&body).await;
    }
    let mut trial = new_case("LIST-TRIAL");
    trial["trial_date"] = json!("2027-01-20");
    trial["offences"] = json!(["fraud", "money_laundering"]);
    open_case(&app, &trial).await;

    let list = |query: &str| {
        let app = &app;
        let query = query.to_string();
        async move {
            let res = app
                .get(&format!("/api/v1/cases?{query}"), &app.admin_token)
                .await;
            assert_eq!(res.status, 200, "{query}: {res:?}");
            res.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["case_reference"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list("country=ph&sort=case_reference").await,
        ["LIST-0", "LIST-2"]
    );
    assert_eq!(
        list("offence=fraud&sort=-case_reference").await,
        ["LIST-TRIAL", "LIST-3"]
    );
    assert_eq!(list("trial_from=2027-01-01").await, ["LIST-TRIAL"]);
    assert_eq!(list("q=list-4").await, ["LIST-4"]);
    assert_eq!(list("q=juge%20a.%20martin").await, ["LIST-TRIAL"]);
    assert_eq!(list("").await.len(), 6);
    assert_eq!(list("").await[0], "LIST-TRIAL", "newest first by default");

    // Pages of 4, in both sorts, cover every case once.
    for sort in ["case_reference", "-created_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/cases?limit=4&sort={sort}");
            if let Some(c) = &cursor {
                path += &format!("&{}", common::query(&[("cursor", c)]));
            }
            let res = app.get(&path, &app.admin_token).await;
            assert_eq!(res.status, 200, "{res:?}");
            seen.extend(res.body["items"].as_array().unwrap().clone());
            match res.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6, "{sort}");
        if sort == "case_reference" {
            let references: Vec<&str> = seen
                .iter()
                .map(|c| c["case_reference"].as_str().unwrap())
                .collect();
            let mut sorted = references.clone();
            sorted.sort();
            assert_eq!(references, sorted);
        }
    }
    // Bad queries are named; a cursor of another sort is refused.
    let res = app
        .get(
            "/api/v1/cases?sort=title&offence=arson&trial_from=2027-02-01&trial_to=2027-01-01&status=sent&limit=0",
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert_eq!(
        fields(&res),
        ["limit", "offence", "sort", "status", "trial_to"]
    );
    let page = app.get("/api/v1/cases?limit=1", &app.admin_token).await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let res = app
        .get(
            &format!(
                "/api/v1/cases?sort=case_reference&{}",
                common::query(&[("cursor", cursor)])
            ),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 400, "{res:?}");
}

#[actix_web::test]
async fn facilitators_and_measure_outcomes_are_recorded_on_requests() {
    let app = spawn_app().await;
    let mut body = sent_body("FACILITATED", "2025-01-10");
    body["channel"] = json!("direct_judicial");
    body["target_country"] = json!("RO");
    body["legal_basis"] = json!("eio_directive");
    body["facilitators"] = json!(["ejn", "eurojust", "ejn"]);
    body["measures"] = json!(["identify_victims", "subscriber_data", "bank_records"]);
    let request = app.create_request(&body).await;
    let id = id_of(&request);
    assert_eq!(request["facilitators"], json!(["ejn", "eurojust"]));
    assert_eq!(request["measure_outcomes"], json!({}));

    // Outcomes come with the execution, for the request's measures only.
    let res = app
        .transition(
            &id,
            &json!({"to": "partially_executed", "effective_date": "2025-03-01",
                    "measure_outcomes": {"subscriber_data": "data_not_held",
                                         "identify_victims": "executed"}}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.body["measure_outcomes"],
        json!({"identify_victims": "executed", "subscriber_data": "data_not_held"})
    );
    // PATCH merges them key by key; null takes one back.
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(2),
            &json!({"measure_outcomes": {"bank_records": "refused", "subscriber_data": null}}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(
        res.body["measure_outcomes"],
        json!({"bank_records": "refused", "identify_victims": "executed"})
    );
    // Dropping a measure while its outcome stays is refused.
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(3),
            &json!({"measures": ["identify_victims", "subscriber_data"]}),
        )
        .await;
    assert_eq!(res.status, 422, "{res:?}");
    assert_eq!(fields(&res), ["measure_outcomes.bank_records"]);
    // Then the rest is executed: the remaining outcomes merge in.
    let res = app
        .transition(
            &id,
            &json!({"to": "executed", "effective_date": "2025-04-01",
                    "measure_outcomes": {"bank_records": "executed", "subscriber_data": "executed"}}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["measure_outcomes"].as_object().unwrap().len(), 3);

    // A request not executed cannot carry outcomes.
    let open = id_of(
        &app.create_request(&sent_body("NOT-YET", "2025-01-10"))
            .await,
    );
    let res = app
        .patch(
            &open,
            &app.admin_token,
            Some(1),
            &json!({"measure_outcomes": {"identify_victims": "executed"}}),
        )
        .await;
    assert_eq!(
        (res.status, fields(&res)),
        (422, vec!["measure_outcomes".to_string()])
    );
}

/// Two requests of one case to two countries both help identify the same
/// children: the statistics count them once, for one country.
#[actix_web::test]
async fn victims_are_counted_once_per_case() {
    let app = spawn_app().await;
    let execute = |id: String, date: &'static str, outcome: &'static str| {
        let app = &app;
        async move {
            let res = app
                .transition(
                    &id,
                    &json!({"to": "executed", "effective_date": date,
                            "measure_outcomes": {"identify_victims": outcome}}),
                )
                .await;
            assert_eq!(res.status, 200, "{res:?}");
        }
    };
    // Sent first to the Philippines, which did not find them; then to the
    // United States, whose provider data did.
    let ph = app
        .create_request(&sent_body("VICTIMS-1", "2025-01-10"))
        .await;
    let mut us = sent_body("VICTIMS-1", "2025-02-10");
    us["target_country"] = json!("US");
    us["legal_basis"] = json!("bilateral_treaty");
    let us = app.create_request(&us).await;
    execute(id_of(&ph), "2025-05-01", "not_executed").await;
    execute(id_of(&us), "2025-06-01", "executed").await;
    let case = ph["case_id"].as_str().unwrap();
    let res = patch_case(&app, case, Some("\"1\""), &json!({"victims_identified": 3})).await;
    assert_eq!(res.status, 200, "{res:?}");
    // Another case, one request to the Philippines: its own 2 victims.
    let other = app
        .create_request(&sent_body("VICTIMS-2", "2025-03-10"))
        .await;
    execute(id_of(&other), "2025-07-01", "executed").await;
    let other_case = other["case_id"].as_str().unwrap();
    patch_case(
        &app,
        other_case,
        Some("\"1\""),
        &json!({"victims_identified": 2}),
    )
    .await;
    // A case with victims but no executed request counts nowhere.
    let pending = app
        .create_request(&sent_body("VICTIMS-3", "2025-03-10"))
        .await;
    patch_case(
        &app,
        pending["case_id"].as_str().unwrap(),
        Some("\"1\""),
        &json!({"victims_identified": 9}),
    )
    .await;

    let table = app.get("/api/v1/stats/countries", &app.admin_token).await;
    assert_eq!(table.status, 200, "{table:?}");
    let victims = |country: &str| {
        table.body["countries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["country"] == country)
            .map(|r| r["victims_identified"].clone())
            .unwrap()
    };
    assert_eq!(
        victims("US"),
        3,
        "the request that executed identify_victims"
    );
    assert_eq!(victims("PH"), 2, "only the other case's");
    assert_eq!(
        table.body["totals"]["victims_identified"], 5,
        "not 8, nor 14"
    );

    // Within the Philippines alone, the first case's victims fall to its
    // request there, the only one in that population.
    let ph_only = app
        .get("/api/v1/stats/countries?country=PH", &app.admin_token)
        .await;
    assert_eq!(ph_only.body["totals"]["victims_identified"], 5);

    // The published view hides the victims of a row unless it certainly
    // holds 5 requests (published as 7 or more): here no row does, nor the
    // totals — a handful of requests, published as at most 2 more.
    let published = app
        .get("/api/v1/stats/countries?suppress=true", &app.admin_token)
        .await;
    let mut rows: Vec<&Value> = published.body["countries"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    rows.push(&published.body["totals"]);
    for row in rows {
        assert!(row["requests"].as_u64().is_none_or(|n| n < 7), "{row}");
        assert_eq!(row["victims_identified"], Value::Null, "{row}");
    }
}
