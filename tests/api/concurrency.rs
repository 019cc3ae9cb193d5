//! Concurrent writers: optimistic locking with ETag / If-Match, no lost
//! update, a gapless history, distinct generated references.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{
    Resp, TestApp, concurrently, draft_body, id_of, sent_body, spawn_app, transition_to,
};
use chrono::Datelike;
use serde_json::{Value, json};

/// The version an ETag names: `"3"` → 3.
fn etag_version(res: &Resp) -> i64 {
    res.header("etag")
        .and_then(|t| t.trim_matches('"').parse().ok())
        .unwrap_or_else(|| panic!("no version ETag: {res:?}"))
}

fn count(results: &[Resp], status: u16) -> usize {
    results.iter().filter(|r| r.status == status).count()
}

#[actix_web::test]
async fn one_patch_per_version_wins_the_others_get_412() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&sent_body("RACE", "2025-01-10")).await);
    let writers = 8;
    for version in 1..=4_i64 {
        let results = concurrently(
            (0..writers)
                .map(|w| {
                    let body = json!({"title": format!("Version {version} by writer {w}")});
                    let app = &app;
                    let id = &id;
                    async move { app.patch(id, &app.admin_token, Some(version), &body).await }
                })
                .collect(),
        )
        .await;
        assert_eq!(count(&results, 200), 1, "version {version}: {results:?}");
        assert_eq!(
            count(&results, 412),
            writers - 1,
            "version {version}: {results:?}"
        );
        for lost in results.iter().filter(|r| r.status == 412) {
            assert_eq!(lost.code(), "precondition_failed");
        }
        let winner = results.iter().find(|r| r.status == 200).unwrap();
        assert_eq!(winner.body["version"], version + 1);
        assert_eq!(etag_version(winner), version + 1);
        let stored = app.fetch(&id).await;
        assert_eq!(
            stored["title"], winner.body["title"],
            "the winner's title is kept"
        );
        assert_eq!(stored["version"], version + 1);
    }
    let events = app.events(&id).await;
    assert_eq!(events.len(), 5, "created + one update per version");
}

/// What a writer adds to on each save: a text field that collects tags,
/// and on a case a counter too.
#[derive(Clone, Copy)]
struct Counted {
    /// `/api/v1/requests` or `/api/v1/cases`.
    collection: &'static str,
    text: &'static str,
    counter: Option<&'static str>,
}

const REQUEST_NOTE: Counted = Counted {
    collection: "/api/v1/requests",
    text: "outcome_note",
    counter: None,
};

const CASE_VICTIMS: Counted = Counted {
    collection: "/api/v1/cases",
    text: "title",
    counter: Some("victims_identified"),
};

/// Reads the record, adds `tag` to its text field (and one to its counter,
/// if it has one), and saves with If-Match; on 412 starts again. Returns
/// the attempts.
async fn add_tag_until_saved(app: &TestApp, what: Counted, id: &str, tag: &str) -> usize {
    let path = format!("{}/{id}", what.collection);
    for attempt in 1..=200 {
        let current = app.get(&path, &app.admin_token).await;
        assert_eq!(current.status, 200, "{current:?}");
        let version = etag_version(&current);
        let text = current.body[what.text].as_str().unwrap_or("");
        let mut body = json!({ what.text: format!("{text}[{tag}]") });
        if let Some(counter) = what.counter {
            body[counter] = json!(current.body[counter].as_i64().unwrap() + 1);
        }
        let tag_header = format!("\"{version}\"");
        let res = app
            .call_with(
                awc::http::Method::PATCH,
                &path,
                Some(&app.admin_token),
                Some(&body),
                &[("If-Match", &tag_header)],
            )
            .await;
        match res.status {
            200 => return attempt,
            412 => continue,
            _ => panic!("{tag}: {res:?}"),
        }
    }
    panic!("{tag}: never saved in 200 attempts");
}

#[actix_web::test]
async fn writers_that_retry_on_412_lose_no_update() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("COUNTER", "2025-01-10"))
            .await,
    );
    let writers = 10;
    let tags: Vec<String> = (0..writers).map(|w| format!("w{w}")).collect();
    let attempts = concurrently(
        tags.iter()
            .map(|tag| add_tag_until_saved(&app, REQUEST_NOTE, &id, tag))
            .collect(),
    )
    .await;
    assert!(attempts.iter().all(|a| *a >= 1));

    let record = app.fetch(&id).await;
    assert_eq!(record["version"], 1 + writers as i64);
    let note = record["outcome_note"].as_str().unwrap();
    for tag in &tags {
        assert_eq!(
            note.matches(&format!("[{tag}]")).count(),
            1,
            "{tag} in {note}"
        );
    }

    let events = app.events(&id).await;
    assert_eq!(events.len(), 1 + writers);
    let updates: Vec<&Value> = events.iter().filter(|e| e["kind"] == "updated").collect();
    assert_eq!(updates.len(), writers);
    // Each update added one tag to where the previous one left the note.
    for (k, event) in updates.iter().enumerate() {
        let change = &event["changes"]["outcome_note"];
        let old = change["old"].as_str().unwrap_or("");
        let new = change["new"].as_str().unwrap();
        assert_eq!(old.matches('[').count(), k, "{event}");
        assert!(
            new.starts_with(old) && new.matches('[').count() == k + 1,
            "{event}"
        );
    }
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=1 + writers as i64).collect::<Vec<_>>());
}

/// The same race on a case: its victim count, which several clerks may
/// raise at once as children are identified, loses no increment.
#[actix_web::test]
async fn case_writers_that_retry_on_412_lose_no_victim() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/cases",
            &app.admin_token,
            &json!({"case_reference": "COUNTER-CASE", "title": "Counted",
                    "issuing_magistrate": {"name": "Juge Martin"}, "victims_identified": 0}),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    let id = id_of(&res.body);
    let writers = 10;
    let tags: Vec<String> = (0..writers).map(|w| format!("w{w}")).collect();
    concurrently(
        tags.iter()
            .map(|tag| add_tag_until_saved(&app, CASE_VICTIMS, &id, tag))
            .collect(),
    )
    .await;
    let case = app
        .get(&format!("/api/v1/cases/{id}"), &app.admin_token)
        .await;
    assert_eq!(case.body["victims_identified"], writers as i64);
    assert_eq!(case.body["version"], 1 + writers as i64);
    let events = app
        .get(&format!("/api/v1/cases/{id}/events"), &app.admin_token)
        .await;
    let events = events.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 1 + writers);
    for (k, event) in events.iter().skip(1).enumerate() {
        assert_eq!(
            event["changes"]["victims_identified"],
            json!({"old": k, "new": k + 1}),
            "{event}"
        );
    }
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=1 + writers as i64).collect::<Vec<_>>());
}

#[actix_web::test]
async fn concurrent_identical_transitions_let_exactly_one_through() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&sent_body("ACK", "2025-01-10")).await);
    let body = transition_to("acknowledged", "2025-02-01");
    let results = concurrently((0..8).map(|_| app.transition(&id, &body)).collect()).await;
    assert_eq!(count(&results, 200), 1, "{results:?}");
    assert_eq!(count(&results, 409), 7, "{results:?}");
    let record = app.fetch(&id).await;
    assert_eq!(record["status"], "acknowledged");
    assert_eq!(record["version"], 2);
    assert_eq!(app.events(&id).await.len(), 2);
}

#[actix_web::test]
async fn concurrent_transitions_with_the_same_if_match_let_one_through() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&sent_body("IFM", "2025-01-10")).await);
    let path = format!("/api/v1/requests/{id}/transitions");
    let targets = [
        "acknowledged",
        "in_execution",
        "partially_executed",
        "additional_info_requested",
        "executed",
        "withdrawn",
    ];
    let bodies: Vec<Value> = targets
        .iter()
        .map(|to| transition_to(to, "2025-02-01"))
        .collect();
    let results = concurrently(
        bodies
            .iter()
            .map(|body| {
                app.call_with(
                    awc::http::Method::POST,
                    &path,
                    Some(&app.admin_token),
                    Some(body),
                    &[("If-Match", "\"1\"")],
                )
            })
            .collect(),
    )
    .await;
    assert_eq!(count(&results, 200), 1, "{results:?}");
    assert_eq!(count(&results, 412), targets.len() - 1, "{results:?}");
    let winner = results.iter().find(|r| r.status == 200).unwrap();
    let record = app.fetch(&id).await;
    assert_eq!(record["status"], winner.body["status"]);
    assert_eq!(record["version"], 2);
    assert_eq!(app.events(&id).await.len(), 2);
}

/// Creates a request, trying again (a few times) when the server answers
/// 503: a saturated pool is its documented answer on a busy machine, and
/// nothing was created then.
async fn create_unless_saturated(app: &TestApp, body: &Value) -> Resp {
    for _ in 0..3 {
        let res = app.post("/api/v1/requests", &app.admin_token, body).await;
        if res.status != 503 {
            return res;
        }
        assert_eq!(res.code(), "unavailable", "{res:?}");
    }
    app.post("/api/v1/requests", &app.admin_token, body).await
}

#[actix_web::test]
async fn concurrent_creates_get_distinct_generated_references() {
    let app = spawn_app().await;
    let n = 20;
    let results = concurrently(
        (0..n)
            .map(|i| {
                let body = if i % 2 == 0 {
                    draft_body(&format!("PAR-{i}"))
                } else {
                    sent_body(&format!("PAR-{i}"), "2025-03-03")
                };
                let app = &app;
                async move { create_unless_saturated(app, &body).await }
            })
            .collect(),
    )
    .await;
    let mut references = BTreeSet::new();
    for res in &results {
        assert_eq!(res.status, 201, "{res:?}");
        let reference = res.body["reference"].as_str().unwrap().to_string();
        // The year of recording, on the services' clock.
        let created_year = common::test_now().year().to_string();
        let parts: Vec<&str> = reference.split('-').collect();
        assert_eq!(parts.len(), 3, "{reference}");
        assert_eq!(parts[0], "MLA", "{reference}");
        assert_eq!(parts[1], created_year, "{reference}");
        assert!(
            parts[2].len() >= 5 && parts[2].chars().all(|c| c.is_ascii_digit()),
            "{reference}"
        );
        assert!(
            references.insert(reference.clone()),
            "{reference} handed out twice"
        );
    }
    assert_eq!(references.len(), n);
    let listed = app.list_all("", 200).await;
    assert_eq!(listed.len(), n);
}

#[actix_web::test]
async fn simultaneous_creates_with_one_typed_reference_create_one_request() {
    let app = spawn_app().await;
    let mut body = draft_body("SAME-REF");
    body["reference"] = json!("PARQUET/2026:42");
    let results = concurrently(
        (0..6)
            .map(|_| app.post("/api/v1/requests", &app.admin_token, &body))
            .collect(),
    )
    .await;
    assert_eq!(count(&results, 201), 1, "{results:?}");
    assert_eq!(count(&results, 409), 5, "{results:?}");
    for res in results.iter().filter(|r| r.status == 409) {
        assert_eq!(res.code(), "conflict");
    }
    assert_eq!(app.list_all("", 50).await.len(), 1);
}

#[actix_web::test]
async fn simultaneous_creates_naming_one_new_case_open_it_once() {
    let app = spawn_app().await;
    let n = 8;
    let results = concurrently(
        (0..n)
            .map(|_| {
                let body = draft_body("PARQUET-SHARED-7");
                let app = &app;
                async move { create_unless_saturated(app, &body).await }
            })
            .collect(),
    )
    .await;
    let cases: BTreeSet<String> = results
        .iter()
        .map(|res| {
            assert_eq!(res.status, 201, "{res:?}");
            assert_eq!(res.body["case_reference"], "PARQUET-SHARED-7");
            res.body["case_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(cases.len(), 1, "filed under several cases: {cases:?}");
    let case = cases.first().unwrap();
    let read = app
        .get(&format!("/api/v1/cases/{case}"), &app.admin_token)
        .await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(read.body["requests"].as_array().unwrap().len(), n);
    assert_eq!(read.body["version"], 1, "the case was changed: {read:?}");
    let events = app
        .get(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await;
    let kinds: Vec<&Value> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["kind"])
        .collect();
    assert_eq!(kinds, [&json!("created")], "{events:?}");
}

#[actix_web::test]
async fn a_generated_reference_skips_one_typed_in_by_hand() {
    let app = spawn_app().await;
    let year = common::test_now().year();
    let mut typed = draft_body("TYPED");
    typed["reference"] = json!(format!("MLA-{year}-00002"));
    app.create_request(&typed).await;
    let bodies: Vec<Value> = (0..3).map(|i| draft_body(&format!("GEN-{i}"))).collect();
    let refs = concurrently(bodies.iter().map(|b| app.create_request(b)).collect()).await;
    let generated: BTreeSet<String> = refs
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(generated.len(), 3);
    assert!(
        !generated.contains(&format!("MLA-{year}-00002")),
        "{generated:?}"
    );
}

#[actix_web::test]
async fn notes_patches_and_transitions_in_parallel_keep_a_gapless_history() {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(&sent_body("BUSY", "2025-01-10")).await);
    let notes = 12;
    let note_path = format!("/api/v1/requests/{id}/notes");
    let note_bodies: Vec<Value> = (0..notes)
        .map(|i| json!({"text": format!("note {i}")}))
        .collect();
    let note_calls = async {
        concurrently(
            note_bodies
                .iter()
                .map(|b| app.post(&note_path, &app.admin_token, b))
                .collect(),
        )
        .await
    };
    let patch_calls = async {
        concurrently(
            (0..4)
                .map(|w| {
                    let tag = format!("p{w}");
                    let app = &app;
                    let id = &id;
                    async move { add_tag_until_saved(app, REQUEST_NOTE, id, &tag).await }
                })
                .collect(),
        )
        .await
    };
    let transition_calls = async {
        let a = app
            .transition(&id, &transition_to("acknowledged", "2025-02-01"))
            .await;
        let b = app
            .transition(&id, &transition_to("in_execution", "2025-03-01"))
            .await;
        (a, b)
    };
    let (note_results, _, (a, b)) =
        futures_util::future::join3(note_calls, patch_calls, transition_calls).await;
    for res in &note_results {
        assert_eq!(res.status, 201, "{res:?}");
    }
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(b.status, 200, "{b:?}");

    let events = app.events(&id).await;
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    let kinds = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(kinds("created"), 1);
    assert_eq!(kinds("note"), notes);
    assert_eq!(kinds("updated"), 4);
    assert_eq!(kinds("transition"), 2);
    let note_texts: BTreeSet<&str> = events
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| e["note"].as_str().unwrap())
        .collect();
    assert_eq!(note_texts.len(), notes);
    let ids: BTreeSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len());

    let record = app.fetch(&id).await;
    assert_eq!(record["status"], "in_execution");
    assert_eq!(
        record["outcome_note"]
            .as_str()
            .unwrap()
            .matches('[')
            .count(),
        4
    );
    // Notes do not make a new version; updates and transitions do.
    assert_eq!(record["version"], 1 + 4 + 2);
}

#[actix_web::test]
async fn a_patch_that_changes_nothing_keeps_the_version() {
    let app = spawn_app().await;
    let created = app.create_request(&draft_body("SAME")).await;
    let id = id_of(&created);
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"title": created["title"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["version"], 1);
    assert_eq!(etag_version(&res), 1);
    let res = app.patch(&id, &app.admin_token, Some(1), &json!({})).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(app.events(&id).await.len(), 1);
    // A real change still needs the current version.
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"title": "New title"}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["version"], 2);
    let res = app
        .patch(&id, &app.admin_token, Some(1), &json!({"title": "Newer"}))
        .await;
    assert_eq!(res.status, 412, "{res:?}");
    assert_eq!(res.body["error"]["current_version"], 2);
}
