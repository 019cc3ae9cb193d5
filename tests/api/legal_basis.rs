//! The legal basis checked against the country (docs/DOMAIN.md §5.4) on
//! creation, PATCH and sending, and the vocabularies' newer codes accepted
//! and listed — on SQLite and PostgreSQL.

use diesel::prelude::*;
use mla_tracker::db::schema::requests;
use serde_json::{Value, json};

use crate::common::{Resp, TestApp, draft_body, id_of, sent_body, spawn_app, transition_to};

const EIO_RULE: &str =
    "an EIO can only be sent to an EU member state bound by Directive 2014/41/EU; ";
const E_EVIDENCE_RULE: &str = "a European Production or Preservation Order can only be sent \
     to a service provider in an EU member state bound by Regulation (EU) 2023/1543; ";

fn eio_draft(case: &str, country: &str) -> Value {
    let mut body = draft_body(case);
    body["target_country"] = json!(country);
    body["legal_basis"] = json!("eio_directive");
    body["channel"] = json!("direct_judicial");
    body
}

/// A 422 naming `legal_basis` alone, with `message`.
fn assert_refused(res: &Resp, message: &str, context: &str) {
    assert_eq!(res.status, 422, "{context}: {res:?}");
    assert_eq!(res.code(), "validation_failed", "{context}: {res:?}");
    assert_eq!(
        res.body["error"]["fields"],
        json!({"legal_basis": [message]}),
        "{context}"
    );
}

/// The latest date an effective date may carry: a draft recorded today can
/// be sent on it.
fn today() -> String {
    crate::common::office_today().to_string()
}

async fn request_count(app: &TestApp) -> usize {
    app.list_all("", 200).await.len()
}

#[actix_web::test]
async fn an_eio_to_denmark_or_the_philippines_is_refused_on_creation() {
    let app = spawn_app().await;
    let cases = [
        (
            "dk",
            "Denmark (DK) took no part in it and is not bound by it (recital 45)",
        ),
        ("PH", "Philippines (PH) is not an EU member state"),
    ];
    for (country, why) in cases {
        let message = format!("{EIO_RULE}{why}");
        let draft = eio_draft("EIO-REFUSED", country);
        let res = app.post("/api/v1/requests", &app.admin_token, &draft).await;
        assert_refused(&res, &message, &format!("a draft to {country}"));

        let mut sent = draft.clone();
        sent["sent_at"] = json!("2026-03-02");
        let res = app.post("/api/v1/requests", &app.admin_token, &sent).await;
        assert_refused(&res, &message, &format!("logged as sent to {country}"));
    }
    // Ireland, the other member state the Directive does not bind.
    let res = app
        .post(
            "/api/v1/requests",
            &app.admin_token,
            &eio_draft("EIO-IE", "IE"),
        )
        .await;
    assert_refused(
        &res,
        &format!("{EIO_RULE}Ireland (IE) took no part in it and is not bound by it (recital 44)"),
        "a draft to Ireland",
    );
    assert_eq!(request_count(&app).await, 0, "nothing was recorded");
}

#[actix_web::test]
async fn an_eio_to_germany_is_accepted_as_a_draft_and_as_sent() {
    let app = spawn_app().await;
    let draft = app.create_request(&eio_draft("EIO-DE-1", "de")).await;
    assert_eq!(draft["target_country"], "DE");
    assert_eq!(draft["legal_basis"], "eio_directive");
    assert_eq!(draft["status"], "draft");

    let mut sent = eio_draft("EIO-DE-2", "DE");
    sent["sent_at"] = json!("2026-03-02");
    let sent = app.create_request(&sent).await;
    assert_eq!(sent["status"], "sent");

    // And a draft to Germany can be sent.
    let moved = app.move_to(&id_of(&draft), "sent", &today()).await;
    assert_eq!(moved["status"], "sent");
}

#[actix_web::test]
async fn a_patch_that_makes_the_basis_and_the_country_disagree_is_refused() {
    let app = spawn_app().await;
    // Under UNTOC to the Philippines; switching to an EIO is refused.
    let ph = app.create_request(&draft_body("PATCH-PH")).await;
    let id = id_of(&ph);
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"legal_basis": "eio_directive"}),
        )
        .await;
    assert_refused(
        &res,
        &format!("{EIO_RULE}Philippines (PH) is not an EU member state"),
        "PATCH legal_basis",
    );
    let unchanged = app.fetch(&id).await;
    assert_eq!(unchanged["legal_basis"], "untoc");
    assert_eq!(unchanged["version"], 1);
    assert_eq!(app.events(&id).await.len(), 1, "no event for a refusal");

    // An EIO to Germany cannot be moved to Denmark, even once sent.
    let mut body = eio_draft("PATCH-DE", "DE");
    body["sent_at"] = json!("2026-03-02");
    let de = app.create_request(&body).await;
    let id = id_of(&de);
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"target_country": "DK"}),
        )
        .await;
    assert_refused(
        &res,
        &format!("{EIO_RULE}Denmark (DK) took no part in it and is not bound by it (recital 45)"),
        "PATCH target_country",
    );
    // Changing the legal basis with the country is accepted.
    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"target_country": "DK", "legal_basis": "eu_mla_convention_2000"}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["target_country"], "DK");
    assert_eq!(res.body["version"], 2);
}

#[actix_web::test]
async fn an_e_evidence_order_goes_to_ireland_but_not_to_denmark() {
    let app = spawn_app().await;
    let mut body = draft_body("E-EVIDENCE");
    body["legal_basis"] = json!("e_evidence_regulation");
    body["channel"] = json!("service_provider_direct");
    body["measures"] = json!(["data_preservation", "content_data"]);
    body["target_country"] = json!("IE");
    let ie = app.create_request(&body).await;
    assert_eq!(ie["legal_basis"], "e_evidence_regulation");

    body["target_country"] = json!("DK");
    let res = app.post("/api/v1/requests", &app.admin_token, &body).await;
    assert_refused(
        &res,
        &format!(
            "{E_EVIDENCE_RULE}Denmark (DK) took no part in it and is not bound by it (recital 97)"
        ),
        "an e-evidence order to Denmark",
    );
    body["target_country"] = json!("US");
    let res = app.post("/api/v1/requests", &app.admin_token, &body).await;
    assert_refused(
        &res,
        &format!("{E_EVIDENCE_RULE}United States of America (US) is not an EU member state"),
        "an e-evidence order to the United States",
    );
}

/// A draft stored before the rule existed (written here straight into the
/// database) cannot be sent until its basis or country is corrected.
#[actix_web::test]
async fn a_draft_recorded_before_the_rule_cannot_be_sent() {
    let app = spawn_app().await;
    let draft = app.create_request(&eio_draft("LEGACY", "DE")).await;
    let id = id_of(&draft);
    {
        let mut conn = app.db.blocking_conn().unwrap();
        let updated = diesel::update(requests::table.filter(requests::id.eq(&id)))
            .set(requests::target_country.eq("PH"))
            .execute(&mut **conn)
            .unwrap();
        assert_eq!(updated, 1);
    }
    let res = app.transition(&id, &transition_to("sent", &today())).await;
    assert_refused(
        &res,
        &format!("{EIO_RULE}Philippines (PH) is not an EU member state"),
        "sending",
    );
    assert_eq!(app.fetch(&id).await["status"], "draft");

    let res = app
        .patch(
            &id,
            &app.admin_token,
            Some(1),
            &json!({"legal_basis": "untoc"}),
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    app.move_to(&id, "sent", &today()).await;
}

/// The codes the vocabularies gained, in the lists they belong to.
const NEW_CODES: [(&str, &[&str]); 6] = [
    (
        "channels",
        &[
            "police_cooperation",
            "network_24_7",
            "service_provider_direct",
        ],
    ),
    (
        "legal_bases",
        &[
            "e_evidence_regulation",
            "budapest_second_protocol",
            "eu_us_mla_agreement",
            "un_cybercrime_convention",
            "lanzarote",
            "provider_voluntary",
        ],
    ),
    (
        "measures",
        &[
            "data_preservation",
            "traffic_data",
            "content_data",
            "locate_person",
            "videoconference_hearing",
            "victim_safeguarding",
            "forensic_child_interview",
            "provisional_measures",
        ],
    ),
    (
        "refusal_grounds",
        &[
            "form_defect_or_language",
            "no_legal_basis_or_reciprocity",
            "measure_unavailable_domestically",
            "evidentiary_threshold_not_met",
            "territoriality",
        ],
    ),
    (
        "abandonment_reasons",
        &[
            "superseded_by_new_request",
            "tried_without_evidence",
            "proceedings_transferred",
            "requested_state_unreachable",
        ],
    ),
    (
        "offences",
        &["livestreamed_child_sexual_abuse", "grooming_sextortion"],
    ),
];

#[actix_web::test]
async fn the_new_codes_are_listed_with_other_last() {
    let app = spawn_app().await;
    let analyst = app.token_for("analyst").await;
    let res = app.get("/api/v1/meta/vocabularies", &analyst).await;
    assert_eq!(res.status, 200, "{res:?}");
    for (list, codes) in NEW_CODES {
        let listed: Vec<&str> = res.body[list]
            .as_array()
            .unwrap_or_else(|| panic!("no {list}"))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for code in codes {
            assert!(listed.contains(code), "{code} not in {list}: {listed:?}");
        }
        assert_eq!(listed.last(), Some(&"other"), "{list}");
    }
}

#[actix_web::test]
async fn the_new_codes_are_accepted_on_requests_and_transitions() {
    let app = spawn_app().await;
    let codes = |list: &str| -> &'static [&'static str] {
        NEW_CODES.iter().find(|(l, _)| *l == list).unwrap().1
    };
    // Every new channel, legal basis (none of them limited to the EU, but
    // for the e-evidence Regulation: to Germany), offence and measure.
    for (i, channel) in codes("channels").iter().enumerate() {
        for (j, basis) in codes("legal_bases").iter().enumerate() {
            if (i + j) % 2 == 1 {
                continue;
            }
            let mut body = sent_body(&format!("NEW-{i}-{j}"), "2026-03-02");
            body["target_country"] = json!("DE");
            body["channel"] = json!(channel);
            body["legal_basis"] = json!(basis);
            body["offences"] = json!(codes("offences"));
            body["measures"] = json!(codes("measures"));
            let record = app.create_request(&body).await;
            assert_eq!(record["channel"], *channel);
            assert_eq!(record["legal_basis"], *basis);
            assert_eq!(record["offences"], json!(codes("offences")));
            assert_eq!(record["measures"], json!(codes("measures")));
        }
    }
    // Every new refusal ground and abandonment reason.
    for (i, ground) in codes("refusal_grounds").iter().enumerate() {
        let record = app
            .create_request(&sent_body(&format!("REFUSED-{i}"), "2026-03-02"))
            .await;
        let mut body = transition_to("refused", "2026-04-01");
        body["refusal_ground"] = json!(ground);
        let res = app.transition(&id_of(&record), &body).await;
        assert_eq!(res.status, 200, "{ground}: {res:?}");
        assert_eq!(res.body["refusal_ground"], *ground);
    }
    for (i, reason) in codes("abandonment_reasons").iter().enumerate() {
        let record = app
            .create_request(&sent_body(&format!("ABANDONED-{i}"), "2026-03-02"))
            .await;
        let mut body = transition_to("abandoned", "2026-04-01");
        body["abandonment_reason"] = json!(reason);
        let res = app.transition(&id_of(&record), &body).await;
        assert_eq!(res.status, 200, "{reason}: {res:?}");
        assert_eq!(res.body["abandonment_reason"], *reason);
    }
    // And the reason tables count them, in their own columns.
    let res = app
        .get("/api/v1/stats/refusal-grounds", &app.admin_token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    for ground in codes("refusal_grounds") {
        assert_eq!(res.body["totals"][ground], 1, "{ground}");
    }
    let res = app
        .get("/api/v1/stats/abandonment-reasons", &app.admin_token)
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    for reason in codes("abandonment_reasons") {
        assert_eq!(res.body["totals"][reason], 1, "{reason}");
    }
}
