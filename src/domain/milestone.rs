//! Milestones: dates the requested state's acts set without changing where
//! the request stands — its receipt, its recognition decision, an extension
//! of the deadline (docs/DOMAIN.md §4.2). Each is recorded in the history
//! with its effective date, like a transition.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use super::request::{Change, Changes, Lifecycle, MlaRequest};
use super::vocab::vocabulary;
use super::{FieldErrors, Today, check_date};

vocabulary!(
    /// What a milestone records: `received` (the requested state's receipt,
    /// from its acknowledgement or the transmission proof), `recognised`
    /// (the recognition decision of an EIO, art. 12(4)), `deadline_extended`
    /// (the requested state extends its deadline, art. 12(5)–(6)).
    MilestoneKind, "milestone" {
        Received => "received" ["Received by the executing authority", "Reçue par l'autorité d'exécution"],
        Recognised => "recognised" ["Recognised", "Reconnue"],
        DeadlineExtended => "deadline_extended" ["Deadline extended", "Délai prolongé"],
    }
);

/// A `POST /requests/{id}/milestones` body.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneCommand {
    pub kind: MilestoneKind,
    /// The date it happened (of the letter or the decision), not today.
    pub effective_date: NaiveDate,
    /// `deadline_extended` only: the new deadline.
    #[serde(default)]
    pub extended_to: Option<NaiveDate>,
    /// `deadline_extended` only: why, as the requested state gave it.
    #[serde(default)]
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub note: Option<String>,
}

/// Why a milestone cannot be recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum MilestoneError {
    /// The request has not been sent: nothing of the requested state's can
    /// have happened (409).
    NotSent,
    /// A date or reason is missing or wrong (422).
    Invalid(FieldErrors),
}

/// Checks `cmd` against the record; the new lifecycle and what changed.
/// Recording a milestone again corrects it: the history keeps both.
pub fn apply_milestone(
    record: &MlaRequest,
    cmd: &MilestoneCommand,
    today: Today,
) -> Result<(Lifecycle, Changes), MilestoneError> {
    let old = &record.lifecycle;
    let Some(sent_at) = old.sent_at else {
        return Err(MilestoneError::NotSent);
    };
    let mut errors = FieldErrors::of(cmd);
    let date = cmd.effective_date;
    if let Err(message) = check_date(date, today) {
        errors.add("effective_date", message);
    }
    if date < sent_at {
        errors.add(
            "effective_date",
            format!("must not be before the request was sent ({sent_at})"),
        );
    }
    let extension = cmd.kind == MilestoneKind::DeadlineExtended;
    let has_reason = cmd.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
    match (extension, cmd.extended_to) {
        (true, None) => errors.add("extended_to", "is required to record an extension"),
        (true, Some(to)) if to <= date => errors.add(
            "extended_to",
            format!("must be after the effective date ({date})"),
        ),
        (false, Some(_)) => errors.add("extended_to", "applies only to `deadline_extended`"),
        _ => {}
    }
    match (extension, has_reason) {
        (true, false) => errors.add("reason", "is required to record an extension"),
        (false, true) => errors.add("reason", "applies only to `deadline_extended`"),
        _ => {}
    }
    let mut lifecycle = old.clone();
    match cmd.kind {
        MilestoneKind::Received => {
            // The acknowledgement or the first response proves receipt.
            let proof = [old.acknowledged_at, old.first_response_at]
                .into_iter()
                .flatten()
                .min();
            if let Some(proof) = proof.filter(|p| date > *p) {
                errors.add(
                    "effective_date",
                    format!("must not be after the requested state's first reply ({proof})"),
                );
            }
            lifecycle.received_at = Some(date);
        }
        MilestoneKind::Recognised => {
            if let Some(received) = old.received_at.filter(|r| date < *r) {
                errors.add(
                    "effective_date",
                    format!("must not be before the request was received ({received})"),
                );
            }
            lifecycle.recognised_at = Some(date);
        }
        MilestoneKind::DeadlineExtended => {
            lifecycle.deadline_extended_to = cmd.extended_to;
            lifecycle.deadline_extension_reason = cmd.reason.as_ref().map(|r| r.trim().into());
        }
    }
    errors.into_result().map_err(MilestoneError::Invalid)?;
    let mut changes = Changes::new();
    let mut note_change = |field: &str, old: serde_json::Value, new: serde_json::Value| {
        if old != new {
            changes.insert(field.to_string(), Change { old, new });
        }
    };
    note_change(
        "received_at",
        json!(old.received_at),
        json!(lifecycle.received_at),
    );
    note_change(
        "recognised_at",
        json!(old.recognised_at),
        json!(lifecycle.recognised_at),
    );
    note_change(
        "deadline_extended_to",
        json!(old.deadline_extended_to),
        json!(lifecycle.deadline_extended_to),
    );
    note_change(
        "deadline_extension_reason",
        json!(old.deadline_extension_reason),
        json!(lifecycle.deadline_extension_reason),
    );
    Ok((lifecycle, changes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use crate::domain::request::NewRequest;
    use chrono::Utc;
    use uuid::Uuid;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn today() -> Today {
        Today::on(day("2026-06-01"))
    }

    fn sent_on(date: Option<&str>) -> MlaRequest {
        let mut body = json!({"case_reference": "C", "title": "T", "issuing_magistrate": {"name": "J"},
            "target_country": "DE", "channel": "direct_judicial", "legal_basis": "eio_directive"});
        if let Some(date) = date {
            body["sent_at"] = json!(date);
        }
        let new = NewRequest::from_json(body.as_object().unwrap().clone(), today()).unwrap();
        MlaRequest {
            id: Uuid::nil(),
            reference: "R".into(),
            case_id: Uuid::nil(),
            case_reference: "C".into(),
            fields: new.fields,
            lifecycle: new.lifecycle,
            links: Vec::new(),
            version: 1,
            created_by: Uuid::nil(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn cmd(kind: MilestoneKind, date: &str) -> MilestoneCommand {
        MilestoneCommand {
            kind,
            effective_date: day(date),
            extended_to: None,
            reason: None,
            note: None,
        }
    }

    fn invalid(r: &MlaRequest, c: MilestoneCommand) -> FieldErrors {
        match apply_milestone(r, &c, today()) {
            Err(MilestoneError::Invalid(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn receipt_and_recognition_set_their_dates_only() {
        let mut r = sent_on(Some("2026-01-05"));
        let (l, changes) =
            apply_milestone(&r, &cmd(MilestoneKind::Received, "2026-01-07"), today()).unwrap();
        assert_eq!(l.received_at, Some(day("2026-01-07")));
        assert_eq!(
            (l.status, l.status_since),
            (Status::Sent, day("2026-01-05"))
        );
        assert_eq!(changes.keys().collect::<Vec<_>>(), ["received_at"]);
        r.lifecycle = l;
        let (l, _) =
            apply_milestone(&r, &cmd(MilestoneKind::Recognised, "2026-02-01"), today()).unwrap();
        assert_eq!(l.recognised_at, Some(day("2026-02-01")));
        assert_eq!(l.received_at, Some(day("2026-01-07")));
        r.lifecycle = l;
        let e = invalid(&r, cmd(MilestoneKind::Recognised, "2026-01-06"));
        assert!(
            e.0["effective_date"][0].contains("received (2026-01-07)"),
            "{e:?}"
        );
    }

    #[test]
    fn an_extension_needs_a_later_date_and_a_reason() {
        let r = sent_on(Some("2026-01-05"));
        let e = invalid(&r, cmd(MilestoneKind::DeadlineExtended, "2026-02-01"));
        assert!(
            e.0.contains_key("extended_to") && e.0.contains_key("reason"),
            "{e:?}"
        );
        let mut c = cmd(MilestoneKind::DeadlineExtended, "2026-02-01");
        c.extended_to = Some(day("2026-02-01"));
        c.reason = Some("  ".into());
        let e = invalid(&r, c.clone());
        assert!(e.0["extended_to"][0].contains("after the effective date"));
        assert!(e.0.contains_key("reason"));
        c.extended_to = Some(day("2026-03-31"));
        c.reason = Some(" Witness abroad ".into());
        let (l, changes) = apply_milestone(&r, &c, today()).unwrap();
        assert_eq!(l.deadline_extended_to, Some(day("2026-03-31")));
        assert_eq!(
            l.deadline_extension_reason.as_deref(),
            Some("Witness abroad")
        );
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn dates_follow_the_history() {
        let mut r = sent_on(Some("2026-01-05"));
        let e = invalid(&r, cmd(MilestoneKind::Received, "2026-01-04"));
        assert!(e.0["effective_date"][0].contains("before the request was sent"));
        let e = invalid(&r, cmd(MilestoneKind::Received, "2026-06-02"));
        assert!(e.0["effective_date"][0].contains("future"));
        r.lifecycle.acknowledged_at = Some(day("2026-01-10"));
        let e = invalid(&r, cmd(MilestoneKind::Received, "2026-01-11"));
        assert!(e.0["effective_date"][0].contains("first reply (2026-01-10)"));
        let mut c = cmd(MilestoneKind::Received, "2026-01-09");
        c.extended_to = Some(day("2026-03-01"));
        assert!(invalid(&r, c).0.contains_key("extended_to"));
    }

    #[test]
    fn nothing_happens_abroad_before_sending() {
        let r = sent_on(None);
        assert_eq!(
            apply_milestone(&r, &cmd(MilestoneKind::Received, "2026-01-04"), today()),
            Err(MilestoneError::NotSent)
        );
    }
}
