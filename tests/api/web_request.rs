//! The request page's own forms over HTTP: follow-ups, snoozes, milestones
//! and preservations, the case and the links it shows. Each form is
//! checked as a browser without JavaScript sends it: what it records shows
//! on the page and in the JSON API; each kind of bad input comes back
//! beside its field (422) and writes nothing; a form without its CSRF
//! token, or from a role that may not write, changes nothing (403).

use serde_json::{Value, json};

use crate::common::{TestApp, days_ago, id_of, office_today, sent_body, spawn_app};
use crate::web::{Browser, PASSWORD, Page, form_value, user_with_password};

/// A clerk's browser on the page of a request made with `body`.
async fn clerk_on(body: &Value) -> (TestApp, Browser, String, Page) {
    let app = spawn_app().await;
    let id = id_of(&app.create_request(body).await);
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let page = browser.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    (app, browser, id, page)
}

/// The form was refused with `message` beside the field `id` (its element
/// id), the field marked invalid and described by the message.
pub(crate) fn refused_beside(page: &Page, id: &str, message: &str) {
    assert_eq!(page.status, 422, "{id}: {}", page.body);
    let marker = format!(r#"<p class="field-error" id="{id}-error">"#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no error beside {id}: {}", page.body))
        + marker.len();
    let end = page.body[start..].find("</p>").unwrap();
    let said = &page.body[start..start + end];
    assert!(said.contains(message), "{id}: `{said}`, not `{message}`");
    let field = page
        .body
        .find(&format!(r#" id="{id}" "#))
        .unwrap_or_else(|| panic!("no field {id}"));
    let tag = &page.body[field..field + page.body[field..].find('>').unwrap()];
    assert!(
        tag.contains(r#"aria-invalid="true""#) && tag.contains(&format!("{id}-error")),
        "{tag}"
    );
}

/// The events of `kind` in the request's history, through the API.
async fn events_of(app: &TestApp, id: &str, kind: &str) -> Vec<Value> {
    app.events(id)
        .await
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// The request's preservations, through the API.
async fn preservations(app: &TestApp, id: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/preservations?request_id={id}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    res.body["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn a_follow_up_from_the_request_page() {
    let (app, mut browser, id, page) = clerk_on(&sent_body("CASE-WR-FU", &days_ago(60))).await;
    assert!(page.body.contains("No follow-up recorded yet."));
    let csrf = page.csrf();
    let path = format!("/requests/{id}/follow-ups");
    let today = office_today().to_string();
    let tomorrow = (office_today() + chrono::Days::new(1)).to_string();
    for (form, field, message) in [
        (
            vec![
                ("channel", "eurojust"),
                ("effective_date", tomorrow.as_str()),
            ],
            "fu-date",
            "Enter the date of the follow-up",
        ),
        (
            vec![("channel", "pigeon"), ("effective_date", today.as_str())],
            "fu-channel",
            "Choose a value from the list.",
        ),
        (
            vec![("channel", ""), ("effective_date", today.as_str())],
            "fu-channel",
            "Choose a value from the list.",
        ),
    ] {
        let mut form = form;
        form.push(("csrf_token", &csrf));
        form.push(("note", "Typed and kept"));
        let refused = browser.post(&path, &form).await;
        refused_beside(&refused, field, message);
        assert!(refused.body.contains("Typed and kept</textarea>"));
    }
    let unsigned = browser
        .post(
            &path,
            &[("channel", "eurojust"), ("effective_date", today.as_str())],
        )
        .await;
    assert_eq!(unsigned.status, 403);
    assert!(events_of(&app, &id, "follow_up").await.is_empty());

    let recorded = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("channel", "eurojust"),
                ("effective_date", &days_ago(2)),
                ("note", "Reminder through the Eurojust desk"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    assert_eq!(recorded.location(), format!("/requests/{id}#follow-ups"));
    let follow_ups = events_of(&app, &id, "follow_up").await;
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(follow_ups[0]["note"], "Reminder through the Eurojust desk");
    assert_eq!(follow_ups[0]["effective_date"], days_ago(2));
    let page = browser.get(&format!("/requests/{id}")).await;
    let section = section(&page, "follow-ups");
    for shown in ["<td>Eurojust</td>", "Reminder through the Eurojust desk"] {
        assert!(section.contains(shown), "{shown}: {section}");
    }
}

/// `good` with `changes` made (a field emptied is sent empty).
fn with(good: &[(&str, &str)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = good
        .iter()
        .filter(|(k, _)| changes.iter().all(|(c, _)| c != k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    form.extend(changes.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    form
}

/// The HTML of the page's section `id`.
fn section<'a>(page: &'a Page, id: &str) -> &'a str {
    let start = page
        .body
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = page.body[start..].find("</section>").unwrap();
    &page.body[start..start + end]
}

#[actix_web::test]
async fn alerts_are_snoozed_and_resumed_from_the_request_page() {
    let (app, mut browser, id, page) = clerk_on(&sent_body("CASE-WR-SNOOZE", &days_ago(60))).await;
    assert!(section(&page, "alerts").contains("Alerts are not paused."));
    let csrf = page.csrf();
    let path = format!("/requests/{id}/snooze");
    let in_a_month = (office_today() + chrono::Days::new(30)).to_string();
    let too_far = (office_today() + chrono::Days::new(400)).to_string();
    let yesterday = days_ago(1);
    for (until, reason, field, message) in [
        (
            "",
            "Waiting for the trial",
            "snooze-until",
            "Fill in this field.",
        ),
        (
            "31/12/2026",
            "Waiting for the trial",
            "snooze-until",
            "Enter a date as YYYY-MM-DD",
        ),
        (
            yesterday.as_str(),
            "Waiting for the trial",
            "snooze-until",
            "This date has passed",
        ),
        (
            too_far.as_str(),
            "Waiting for the trial",
            "snooze-until",
            "too far ahead",
        ),
        (
            in_a_month.as_str(),
            "  ",
            "snooze-reason",
            "Fill in this field.",
        ),
    ] {
        let refused = browser
            .post(
                &path,
                &[("csrf_token", &csrf), ("until", until), ("reason", reason)],
            )
            .await;
        refused_beside(&refused, field, message);
    }
    let unsigned = browser
        .post(&path, &[("until", &in_a_month), ("reason", "Trial")])
        .await;
    assert_eq!(unsigned.status, 403);
    assert!(events_of(&app, &id, "snoozed").await.is_empty());

    let snoozed = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("until", &in_a_month),
                ("reason", "Waiting for the trial date"),
            ],
        )
        .await;
    assert_eq!(snoozed.status, 303, "{}", snoozed.body);
    assert_eq!(snoozed.location(), format!("/requests/{id}#alerts"));
    let events = events_of(&app, &id, "snoozed").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["changes"]["snoozed_until"]["new"], in_a_month);
    let page = browser.get(&format!("/requests/{id}")).await;
    let alerts = section(&page, "alerts");
    let until_words =
        mla_tracker::domain::Language::En.date(&(office_today() + chrono::Days::new(30)));
    assert!(
        alerts.contains(&format!("Alerts are paused until {until_words}.")),
        "{alerts}"
    );
    assert!(alerts.contains("Waiting for the trial date"));
    assert!(alerts.contains(&format!(r#"action="/requests/{id}/unsnooze""#)));

    let unsnooze = format!("/requests/{id}/unsnooze");
    assert_eq!(browser.post(&unsnooze, &[]).await.status, 403);
    let resumed = browser.post(&unsnooze, &[("csrf_token", &csrf)]).await;
    assert_eq!(resumed.status, 303, "{}", resumed.body);
    assert_eq!(resumed.location(), format!("/requests/{id}#alerts"));
    assert_eq!(events_of(&app, &id, "unsnoozed").await.len(), 1);
    let page = browser.get(&format!("/requests/{id}")).await;
    assert!(section(&page, "alerts").contains("Alerts are not paused."));
    // Lifted already: a message, not an error page; nothing written.
    let again = browser.post(&unsnooze, &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("The alerts were not paused"));
    assert_eq!(events_of(&app, &id, "unsnoozed").await.len(), 1);
}

#[actix_web::test]
async fn a_closed_request_says_why_it_cannot_be_snoozed() {
    let (app, mut browser, id, page) = clerk_on(&sent_body("CASE-WR-CLOSED", &days_ago(60))).await;
    let csrf = page.csrf();
    app.move_to(&id, "abandoned", &days_ago(1)).await;
    let page = browser.get(&format!("/requests/{id}")).await;
    let alerts = section(&page, "alerts");
    assert!(alerts.contains("This request is closed"), "{alerts}");
    assert!(!alerts.contains(r#"name="until""#), "no snooze form");
    let in_a_month = (office_today() + chrono::Days::new(30)).to_string();
    let refused = browser
        .post(
            &format!("/requests/{id}/snooze"),
            &[
                ("csrf_token", &csrf),
                ("until", &in_a_month),
                ("reason", "Trial"),
            ],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(section(&refused, "alerts").contains("This request is closed: it raises no alerts"));
    assert!(events_of(&app, &id, "snoozed").await.is_empty());
}

#[actix_web::test]
async fn milestones_are_recorded_on_the_version_shown() {
    let sent = days_ago(60);
    let (app, mut browser, id, page) = clerk_on(&sent_body("CASE-WR-MS", &sent)).await;
    let csrf = page.csrf();
    let version = form_value(&page, "version");
    let path = format!("/requests/{id}/milestones");
    let before_sent = days_ago(61);
    let tomorrow = (office_today() + chrono::Days::new(1)).to_string();
    let received = days_ago(55);
    for (form, field, message) in [
        (
            vec![("kind", ""), ("effective_date", received.as_str())],
            "ms-kind",
            "Fill in this field.",
        ),
        (
            vec![("kind", "lost"), ("effective_date", received.as_str())],
            "ms-kind",
            "Choose a value from the list.",
        ),
        (
            vec![("kind", "received"), ("effective_date", "")],
            "ms-date",
            "Fill in this field.",
        ),
        (
            vec![
                ("kind", "received"),
                ("effective_date", before_sent.as_str()),
            ],
            "ms-date",
            "before the request was sent",
        ),
        (
            vec![("kind", "received"), ("effective_date", tomorrow.as_str())],
            "ms-date",
            "after today",
        ),
        (
            vec![
                ("kind", "received"),
                ("effective_date", received.as_str()),
                ("extended_to", tomorrow.as_str()),
            ],
            "ms-extended-to",
            "Leave this empty unless the deadline was extended.",
        ),
        (
            vec![
                ("kind", "deadline_extended"),
                ("effective_date", received.as_str()),
            ],
            "ms-extended-to",
            "Fill in this field.",
        ),
        (
            vec![
                ("kind", "deadline_extended"),
                ("effective_date", received.as_str()),
                ("extended_to", received.as_str()),
                ("reason", "Witness abroad"),
            ],
            "ms-extended-to",
            "This date is too early",
        ),
    ] {
        let mut form = form;
        form.extend([("csrf_token", csrf.as_str()), ("version", version.as_str())]);
        let refused = browser.post(&path, &form).await;
        refused_beside(&refused, field, message);
    }
    let without_reason = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("kind", "deadline_extended"),
                ("effective_date", &received),
                ("extended_to", &tomorrow),
            ],
        )
        .await;
    refused_beside(&without_reason, "ms-reason", "Fill in this field.");
    let unsigned = browser
        .post(
            &path,
            &[
                ("version", &version),
                ("kind", "received"),
                ("effective_date", &received),
            ],
        )
        .await;
    assert_eq!(unsigned.status, 403);
    let record = app.fetch(&id).await;
    assert_eq!(record["received_at"], Value::Null, "nothing written");
    assert_eq!(record["version"].to_string(), version);

    let recorded = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("kind", "received"),
                ("effective_date", &received),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    assert_eq!(recorded.location(), format!("/requests/{id}#milestones"));
    assert_eq!(app.fetch(&id).await["received_at"], received);
    let received_words = mla_tracker::domain::Language::En.date(&received.parse().unwrap());
    let page = browser.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains(&format!(
        "<dt>Received by the requested state</dt><dd>{received_words}</dd>"
    )));

    // The version shown is now stale: nothing is recorded.
    let stale = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("kind", "recognised"),
                ("effective_date", &days_ago(50)),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("nothing was recorded"));
    assert_eq!(app.fetch(&id).await["recognised_at"], Value::Null);

    let version = form_value(&page, "version");
    let extended = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("kind", "deadline_extended"),
                ("effective_date", &days_ago(10)),
                ("extended_to", &tomorrow),
                ("reason", "Witness abroad until the summer"),
            ],
        )
        .await;
    assert_eq!(extended.status, 303, "{}", extended.body);
    let record = app.fetch(&id).await;
    assert_eq!(record["deadline_extended_to"], tomorrow);
    let page = browser.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains("<dt>Deadline extended to</dt>"));
    assert!(page.body.contains("Witness abroad until the summer"));
}

#[actix_web::test]
async fn a_draft_asks_for_its_sending_before_any_milestone() {
    let (app, mut browser, id, page) = clerk_on(&crate::common::draft_body("CASE-WR-DRAFT")).await;
    let milestones = section(&page, "milestones");
    assert!(milestones.contains("This request has not been sent"));
    assert!(!milestones.contains("<form"), "no form before sending");
    let refused = browser
        .post(
            &format!("/requests/{id}/milestones"),
            &[
                ("csrf_token", &page.csrf()),
                ("version", "1"),
                ("kind", "received"),
                ("effective_date", &days_ago(1)),
            ],
        )
        .await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("record its sending first"));
    assert_eq!(app.fetch(&id).await["version"], 1);
}

#[actix_web::test]
async fn preservations_are_recorded_renewed_and_released() {
    let (app, mut browser, id, page) = clerk_on(&sent_body("CASE-WR-PRES", &days_ago(60))).await;
    assert!(
        page.body
            .contains("No preservation recorded for this request.")
    );
    let csrf = page.csrf();
    let path = format!("/requests/{id}/preservations");
    let asked = days_ago(10);
    let tomorrow = (office_today() + chrono::Days::new(1)).to_string();
    let good = [
        ("holder", "Meta Platforms"),
        ("country", "US"),
        ("legal_basis", "us_2703f"),
        ("sent_at", asked.as_str()),
    ];
    for (form, field, message) in [
        (
            with(&good, &[("holder", " ")]),
            "pr-holder",
            "Fill in this field.",
        ),
        (
            with(&good, &[("country", "ZZ")]),
            "pr-country",
            "Choose a value from the list.",
        ),
        (
            with(&good, &[("legal_basis", "")]),
            "pr-basis",
            "Fill in this field.",
        ),
        (
            with(&good, &[("legal_basis", "domestic")]),
            "pr-expires",
            "sets no period",
        ),
        (
            with(&good, &[("sent_at", tomorrow.as_str())]),
            "pr-sent",
            "after today",
        ),
        (
            with(&good, &[("expires_on", "2020-01-01")]),
            "pr-expires",
            "This date is too early",
        ),
    ] {
        let mut form: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        form.push(("csrf_token", &csrf));
        let refused = browser.post(&path, &form).await;
        refused_beside(&refused, field, message);
        assert!(refused.body.contains(r#"value="US" selected"#) || field == "pr-country");
    }
    assert_eq!(browser.post(&path, &good).await.status, 403);
    assert!(preservations(&app, &id).await.is_empty(), "nothing written");

    let mut form = good.to_vec();
    form.push(("csrf_token", &csrf));
    let recorded = browser.post(&path, &form).await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    assert_eq!(recorded.location(), format!("/requests/{id}#preservations"));
    let found = preservations(&app, &id).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["holder"], "Meta Platforms");
    assert_eq!(found[0]["days_left"], 80, "90 days from the date asked");
    let pid = found[0]["id"].as_str().unwrap().to_string();
    let page = browser.get(&format!("/requests/{id}")).await;
    let shown = section(&page, "preservations");
    for text in [
        "<th scope=\"row\">Meta Platforms</th>",
        "<td>United States</td>",
        "80 days left",
        "Active",
    ] {
        assert!(shown.contains(text), "{text}: {shown}");
    }

    let renew = format!("/requests/{id}/preservations/{pid}/renew");
    let version = found[0]["version"].to_string();
    let current_expiry = found[0]["expires_on"].as_str().unwrap().to_string();
    let refused = browser
        .post(
            &renew,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("effective_date", &days_ago(1)),
                ("expires_on", &current_expiry),
            ],
        )
        .await;
    refused_beside(
        &refused,
        &format!("renew-{pid}-expires"),
        "The new expiry date must be after the current one.",
    );
    assert!(
        refused
            .body
            .contains("<details class=\"preservation-actions\" open>")
    );
    assert_eq!(
        browser
            .post(
                &renew,
                &[("version", &version), ("effective_date", &days_ago(1))]
            )
            .await
            .status,
        403
    );
    let later = (office_today() + chrono::Days::new(170)).to_string();
    let renewed = browser
        .post(
            &renew,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("effective_date", &days_ago(1)),
                ("expires_on", &later),
            ],
        )
        .await;
    assert_eq!(renewed.status, 303, "{}", renewed.body);
    let found = preservations(&app, &id).await;
    assert_eq!(found[0]["expires_on"], later);
    assert!(
        section(
            &browser.get(&format!("/requests/{id}")).await,
            "preservations"
        )
        .contains("170 days left")
    );

    let release = format!("/requests/{id}/preservations/{pid}/release");
    let stale = browser
        .post(&release, &[("csrf_token", &csrf), ("version", &version)])
        .await;
    assert_eq!(stale.status, 409, "the version shown is stale");
    assert!(
        stale
            .body
            .contains("The preservation changed while you were on this page")
    );
    let version = found[0]["version"].to_string();
    let refused = browser
        .post(
            &release,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("effective_date", &days_ago(11)),
            ],
        )
        .await;
    refused_beside(
        &refused,
        &format!("release-{pid}-date"),
        "before the preservation was asked for",
    );
    let released = browser
        .post(
            &release,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("effective_date", &office_today().to_string()),
                ("note", "Data produced"),
            ],
        )
        .await;
    assert_eq!(released.status, 303, "{}", released.body);
    let found = preservations(&app, &id).await;
    assert_eq!(found[0]["released_on"], office_today().to_string());
    let page = browser.get(&format!("/requests/{id}")).await;
    let shown = section(&page, "preservations");
    assert!(shown.contains("Released on"), "{shown}");
    assert!(!shown.contains(&renew), "no renewal of a released one");
    let again = browser
        .post(
            &release,
            &[
                ("csrf_token", &csrf),
                ("version", &found[0]["version"].to_string()),
            ],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(
        again
            .body
            .contains("This preservation was released already")
    );

    // Another request's preservation is not reached through this page.
    let other = id_of(
        &app.create_request(&sent_body("CASE-WR-PRES-2", &days_ago(5)))
            .await,
    );
    let elsewhere = browser
        .post(
            &format!("/requests/{other}/preservations/{pid}/renew"),
            &[
                ("csrf_token", &csrf),
                ("effective_date", &days_ago(1)),
                ("expires_on", &later),
            ],
        )
        .await;
    assert_eq!(elsewhere.status, 404);
}

#[actix_web::test]
async fn the_page_shows_the_case_its_other_requests_and_the_links() {
    let app = spawn_app().await;
    let first = app
        .create_request(&sent_body("CASE-WR-CASE", &days_ago(90)))
        .await;
    let mut body = sent_body("CASE-WR-CASE", &days_ago(30));
    body["title"] = json!("A second request of the case");
    let second = app.create_request(&body).await;
    let (first_id, second_id) = (id_of(&first), id_of(&second));
    let linked = app
        .post(
            &format!("/api/v1/requests/{second_id}/links"),
            &app.admin_token,
            &json!({"kind": "supersedes", "to": first_id}),
        )
        .await;
    assert_eq!(linked.status, 201, "{linked:?}");
    let email = user_with_password(&app, "coordinator").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;

    let page = browser.get(&format!("/requests/{first_id}")).await;
    let case = section(&page, "case");
    assert!(case.contains("The case CASE-WR-CASE"), "{case}");
    assert!(case.contains(&format!(
        r#"<a href="/requests/{second_id}">{}</a>"#,
        second["reference"].as_str().unwrap()
    )));
    assert!(case.contains("A second request of the case"));
    assert!(case.contains("<dt>Victims identified</dt>"));
    let links = section(&page, "links");
    assert!(links.contains("<td>Replaced by</td>"), "{links}");
    assert!(links.contains(&format!(r#"href="/requests/{second_id}""#)));

    let page = browser.get(&format!("/requests/{second_id}")).await;
    assert!(section(&page, "links").contains("<td>Replaces</td>"));
    assert!(section(&page, "case").contains(&format!(r#"href="/requests/{first_id}""#)));
}

#[actix_web::test]
async fn an_analyst_sees_no_request_and_records_nothing() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("CASE-WR-ANALYST", &days_ago(60)))
            .await,
    );
    let pid = {
        let res = app
            .post(
                "/api/v1/preservations",
                &app.admin_token,
                &json!({"request_id": id, "holder": "Google", "country": "US",
                        "legal_basis": "us_2703f", "sent_at": days_ago(5)}),
            )
            .await;
        assert_eq!(res.status, 201, "{res:?}");
        res.body["id"].as_str().unwrap().to_string()
    };
    let email = user_with_password(&app, "analyst").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let page = browser.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, 403);
    assert!(!page.body.contains(r#"action="/requests/"#), "no form");
    // The token of any of their pages: the CSRF check is passed, the role is not.
    let csrf = browser.get("/stats").await.csrf();
    let today = office_today().to_string();
    let in_a_month = (office_today() + chrono::Days::new(30)).to_string();
    for (path, form) in [
        (
            format!("/requests/{id}/follow-ups"),
            vec![("channel", "eurojust"), ("effective_date", today.as_str())],
        ),
        (
            format!("/requests/{id}/snooze"),
            vec![("until", in_a_month.as_str()), ("reason", "Trial")],
        ),
        (format!("/requests/{id}/unsnooze"), vec![]),
        (
            format!("/requests/{id}/milestones"),
            vec![("kind", "received"), ("effective_date", today.as_str())],
        ),
        (
            format!("/requests/{id}/preservations"),
            vec![
                ("holder", "Meta"),
                ("country", "US"),
                ("legal_basis", "us_2703f"),
                ("sent_at", today.as_str()),
            ],
        ),
        (
            format!("/requests/{id}/preservations/{pid}/renew"),
            vec![
                ("effective_date", today.as_str()),
                ("expires_on", "2030-01-01"),
            ],
        ),
        (
            format!("/requests/{id}/preservations/{pid}/release"),
            vec![],
        ),
    ] {
        let mut form = form;
        form.push(("csrf_token", &csrf));
        let denied = browser.post(&path, &form).await;
        assert_eq!(denied.status, 403, "{path}");
        assert!(denied.body.contains("Access denied"), "{path}");
    }
    let kinds: Vec<Value> = app
        .events(&id)
        .await
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("created"), json!("preservation_recorded")]);
    assert_eq!(app.fetch(&id).await["received_at"], Value::Null);
    let found = preservations(&app, &id).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["released_on"], Value::Null);
}

#[actix_web::test]
async fn errors_are_told_in_the_reader_s_language() {
    let (_app, mut browser, id, page) = clerk_on(&sent_body("CASE-WR-FR", &days_ago(60))).await;
    let csrf = page.csrf();
    let switched = browser
        .post(
            "/account/language",
            &[("csrf_token", &csrf), ("language", "fr")],
        )
        .await;
    assert_eq!(switched.status, 303, "{}", switched.body);
    let page = browser.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains("Relances") && page.body.contains("Données conservées"));
    let refused = browser
        .post(
            &format!("/requests/{id}/snooze"),
            &[
                ("csrf_token", &csrf),
                ("until", &days_ago(1)),
                ("reason", "Procès"),
            ],
        )
        .await;
    refused_beside(&refused, "snooze-until", "Cette date est passée");
}
