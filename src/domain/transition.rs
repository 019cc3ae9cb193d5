//! A status change, checked against the rules of a transition
//! (docs/DOMAIN.md §3.3) and applied to a record, with the dates it
//! maintains (§4.1).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use std::collections::BTreeMap;

use super::request::{
    Change, Changes, Lifecycle, MlaRequest, RequestFields, check_outcomes, check_ready_to_send,
    records_outcomes, sending_time,
};
use super::{
    AbandonmentReason, FieldErrors, Measure, MeasureOutcome, RefusalGround, Status, Today,
    check_date,
};

/// A `POST /requests/{id}/transitions` body.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionCommand {
    pub to: Status,
    /// The date it really happened (the date of the letter), not today.
    pub effective_date: NaiveDate,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub note: Option<String>,
    #[serde(default)]
    pub abandonment_reason: Option<AbandonmentReason>,
    #[serde(default)]
    pub refusal_ground: Option<RefusalGround>,
    /// On a move to `executed` or `partially_executed`: what became of
    /// each measure, merged onto those recorded (`null` removes one).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub measure_outcomes: Option<BTreeMap<Measure, Option<MeasureOutcome>>>,
    /// `sent` only: the instant it left (UTC), on the effective date in the
    /// office's zone. For an emergency sent today, now when left out.
    #[serde(default)]
    pub sent_time: Option<DateTime<Utc>>,
}

/// Why a transition cannot be made.
#[derive(Debug, Clone, PartialEq)]
pub enum TransitionError {
    /// The status table does not allow it (409).
    NotAllowed {
        from: Status,
        to: Status,
        allowed: &'static [Status],
    },
    /// A reason, note or date is missing or wrong (422).
    Invalid(FieldErrors),
}

/// The record after a transition, and what changed, for the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Transitioned {
    pub fields: RequestFields,
    pub lifecycle: Lifecycle,
    pub changes: Changes,
}

/// Checks `cmd` against the record and computes the new state.
pub fn apply_transition(
    record: &MlaRequest,
    cmd: &TransitionCommand,
    today: Today,
) -> Result<Transitioned, TransitionError> {
    let from = record.lifecycle.status;
    if !from.can_move_to(cmd.to) {
        return Err(TransitionError::NotAllowed {
            from,
            to: cmd.to,
            allowed: from.allowed_next(),
        });
    }
    let mut errors = FieldErrors::of(&cmd);
    check_dates(record, cmd, today, &mut errors);
    check_reasons(cmd, &mut errors);
    let mut sent_time = record.lifecycle.sent_time;
    if cmd.to == Status::Sent {
        errors.merge(check_ready_to_send(&record.fields));
        match sending_time(
            cmd.sent_time,
            cmd.effective_date,
            record.fields.priority,
            today,
        ) {
            Ok(at) => sent_time = at,
            Err(message) => errors.add("sent_time", message),
        }
    } else if cmd.sent_time.is_some() {
        errors.add("sent_time", "applies only to a transition to `sent`");
    }
    let mut fields = record.fields.clone();
    if let Some(outcomes) = &cmd.measure_outcomes {
        if records_outcomes(cmd.to) {
            for (measure, outcome) in outcomes {
                match outcome {
                    Some(outcome) => fields.measure_outcomes.insert(*measure, *outcome),
                    None => fields.measure_outcomes.remove(measure),
                };
            }
            errors.merge(check_outcomes(&fields, cmd.to, true));
        } else {
            errors.add(
                "measure_outcomes",
                "apply only to a transition to `executed` or `partially_executed`",
            );
        }
    }
    errors.into_result().map_err(TransitionError::Invalid)?;

    let old = &record.lifecycle;
    let date = cmd.effective_date;
    let lifecycle = Lifecycle {
        status: cmd.to,
        status_since: date,
        sent_at: if cmd.to == Status::Sent {
            Some(date)
        } else {
            old.sent_at
        },
        sent_time,
        acknowledged_at: old
            .acknowledged_at
            .or((cmd.to == Status::Acknowledged).then_some(date)),
        first_response_at: old
            .first_response_at
            .or(cmd.to.is_substantive_response().then_some(date)),
        // Reopening an abandoned request clears its closing date and reason.
        closed_at: cmd.to.closes().then_some(date),
        abandonment_reason: cmd.abandonment_reason,
        refusal_ground: cmd.refusal_ground,
        ..old.clone()
    };

    let mut changes = Changes::new();
    let mut note_change = |name: &str, old: serde_json::Value, new: serde_json::Value| {
        if old != new {
            changes.insert(name.to_string(), Change { old, new });
        }
    };
    note_change("status", json!(old.status), json!(lifecycle.status));
    note_change(
        "status_since",
        json!(old.status_since),
        json!(lifecycle.status_since),
    );
    note_change("sent_at", json!(old.sent_at), json!(lifecycle.sent_at));
    note_change(
        "sent_time",
        json!(old.sent_time),
        json!(lifecycle.sent_time),
    );
    note_change(
        "acknowledged_at",
        json!(old.acknowledged_at),
        json!(lifecycle.acknowledged_at),
    );
    note_change(
        "first_response_at",
        json!(old.first_response_at),
        json!(lifecycle.first_response_at),
    );
    note_change(
        "closed_at",
        json!(old.closed_at),
        json!(lifecycle.closed_at),
    );
    note_change(
        "abandonment_reason",
        json!(old.abandonment_reason),
        json!(lifecycle.abandonment_reason),
    );
    note_change(
        "refusal_ground",
        json!(old.refusal_ground),
        json!(lifecycle.refusal_ground),
    );
    note_change(
        "measure_outcomes",
        json!(record.fields.measure_outcomes),
        json!(fields.measure_outcomes),
    );
    Ok(Transitioned {
        fields,
        lifecycle,
        changes,
    })
}

fn check_dates(
    record: &MlaRequest,
    cmd: &TransitionCommand,
    today: Today,
    errors: &mut FieldErrors,
) {
    if let Err(message) = check_date(cmd.effective_date, today) {
        errors.add("effective_date", message);
    }
    let since = record.lifecycle.status_since;
    if cmd.effective_date < since {
        errors.add(
            "effective_date",
            format!(
                "must not be before the previous status change ({since}, `{}`)",
                record.lifecycle.status
            ),
        );
    }
}

fn check_reasons(cmd: &TransitionCommand, errors: &mut FieldErrors) {
    let has_note = cmd.note.as_deref().is_some_and(|n| !n.trim().is_empty());
    match (cmd.to, cmd.abandonment_reason) {
        (Status::Abandoned, None) => {
            errors.add("abandonment_reason", "is required to abandon a request")
        }
        (Status::Abandoned, Some(AbandonmentReason::Other)) if !has_note => {
            errors.add("note", "is required when the abandonment reason is `other`")
        }
        (Status::Abandoned, Some(_)) | (_, None) => {}
        (_, Some(_)) => errors.add(
            "abandonment_reason",
            "applies only to a transition to `abandoned`",
        ),
    }
    match (cmd.to, cmd.refusal_ground) {
        (Status::Refused, None) => errors.add("refusal_ground", "is required to record a refusal"),
        (Status::Refused, Some(RefusalGround::Other)) if !has_note => {
            errors.add("note", "is required when the refusal ground is `other`")
        }
        (Status::Refused, Some(_)) | (_, None) => {}
        (_, Some(_)) => errors.add(
            "refusal_ground",
            "applies only to a transition to `refused`",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::NewRequest;
    use chrono::Utc;
    use uuid::Uuid;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sent_on(date: &str) -> MlaRequest {
        let body = json!({"case_reference": "C", "title": "T", "issuing_magistrate": {"name": "J"},
            "target_country": "PH", "channel": "diplomatic", "legal_basis": "reciprocity",
            "measures": ["identify_victims", "subscriber_data"], "sent_at": date});
        let new = NewRequest::from_json(
            body.as_object().unwrap().clone(),
            Today::on(day("2026-06-01")),
        )
        .unwrap();
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

    fn to(status: Status, date: &str) -> TransitionCommand {
        TransitionCommand {
            to: status,
            effective_date: day(date),
            note: None,
            abandonment_reason: None,
            refusal_ground: None,
            measure_outcomes: None,
            sent_time: None,
        }
    }

    fn step(r: &mut MlaRequest, cmd: TransitionCommand) -> Changes {
        let t = apply_transition(r, &cmd, Today::on(day("2026-06-01"))).unwrap();
        r.fields = t.fields;
        r.lifecycle = t.lifecycle;
        t.changes
    }

    #[test]
    fn an_acknowledgement_is_not_an_answer() {
        let mut r = sent_on("2025-01-01");
        let changes = step(&mut r, to(Status::Acknowledged, "2025-02-01"));
        assert_eq!(r.lifecycle.acknowledged_at, Some(day("2025-02-01")));
        assert_eq!(r.lifecycle.first_response_at, None);
        assert!(changes.contains_key("acknowledged_at"));
        assert!(!changes.contains_key("first_response_at"));
        // They ask for more: the first substantive response.
        step(&mut r, to(Status::AdditionalInfoRequested, "2025-03-01"));
        assert_eq!(r.lifecycle.first_response_at, Some(day("2025-03-01")));
        // We supply it: our move, not theirs; their move again.
        step(&mut r, to(Status::InformationSupplied, "2025-03-10"));
        assert_eq!(r.lifecycle.first_response_at, Some(day("2025-03-01")));
        assert_eq!(
            r.lifecycle.status.waiting_on(),
            crate::domain::WaitingOn::Them
        );
        step(&mut r, to(Status::Postponed, "2025-04-01"));
        step(&mut r, to(Status::InExecution, "2025-05-01"));
        assert_eq!(r.lifecycle.acknowledged_at, Some(day("2025-02-01")));
    }

    #[test]
    fn a_postponement_is_a_substantive_response() {
        let mut r = sent_on("2025-01-01");
        step(&mut r, to(Status::Postponed, "2025-02-15"));
        assert_eq!(r.lifecycle.first_response_at, Some(day("2025-02-15")));
        assert_eq!(r.lifecycle.acknowledged_at, None);
    }

    #[test]
    fn first_response_is_kept_and_closing_is_dated() {
        let mut r = sent_on("2025-01-01");
        step(&mut r, to(Status::Acknowledged, "2025-02-01"));
        step(&mut r, to(Status::InExecution, "2025-03-01"));
        let mut done = to(Status::Executed, "2025-04-01");
        done.measure_outcomes = Some(BTreeMap::from([
            (Measure::IdentifyVictims, Some(MeasureOutcome::Executed)),
            (Measure::SubscriberData, Some(MeasureOutcome::DataNotHeld)),
        ]));
        let changes = step(&mut r, done);
        assert_eq!(r.lifecycle.first_response_at, Some(day("2025-03-01")));
        assert_eq!(r.lifecycle.closed_at, Some(day("2025-04-01")));
        assert_eq!(r.fields.measure_outcomes.len(), 2);
        assert_eq!(
            changes["measure_outcomes"].new,
            json!({"identify_victims": "executed", "subscriber_data": "data_not_held"})
        );
        assert_eq!(changes["status"].new, json!("executed"));
    }

    #[test]
    fn outcomes_come_with_an_execution_and_name_the_measures() {
        let mut r = sent_on("2025-01-01");
        let invalid = |r: &MlaRequest, cmd: TransitionCommand| match apply_transition(
            r,
            &cmd,
            Today::on(day("2026-06-01")),
        ) {
            Err(TransitionError::Invalid(e)) => e,
            other => panic!("{other:?}"),
        };
        let mut early = to(Status::InExecution, "2025-02-01");
        early.measure_outcomes = Some(BTreeMap::from([(
            Measure::SubscriberData,
            Some(MeasureOutcome::Executed),
        )]));
        assert!(invalid(&r, early).0.contains_key("measure_outcomes"));
        let mut partly = to(Status::PartiallyExecuted, "2025-02-01");
        partly.measure_outcomes = Some(BTreeMap::from([(
            Measure::BankRecords,
            Some(MeasureOutcome::Refused),
        )]));
        assert!(
            invalid(&r, partly.clone())
                .0
                .contains_key("measure_outcomes.bank_records")
        );
        partly.measure_outcomes = Some(BTreeMap::from([(
            Measure::SubscriberData,
            Some(MeasureOutcome::Executed),
        )]));
        step(&mut r, partly);
        // The rest follows; null takes one back.
        let mut done = to(Status::Executed, "2025-03-01");
        done.measure_outcomes = Some(BTreeMap::from([
            (Measure::SubscriberData, None),
            (Measure::IdentifyVictims, Some(MeasureOutcome::NotExecuted)),
        ]));
        step(&mut r, done);
        assert_eq!(
            r.fields.measure_outcomes,
            BTreeMap::from([(Measure::IdentifyVictims, MeasureOutcome::NotExecuted)])
        );
    }

    #[test]
    fn a_late_answer_reopens_an_abandoned_request() {
        let mut r = sent_on("2024-01-01");
        let mut give_up = to(Status::Abandoned, "2025-06-01");
        give_up.abandonment_reason = Some(AbandonmentReason::NoResponse);
        step(&mut r, give_up);
        assert_eq!(r.lifecycle.closed_at, Some(day("2025-06-01")));
        assert_eq!(r.lifecycle.first_response_at, None);
        step(&mut r, to(Status::InExecution, "2025-09-01"));
        assert_eq!(r.lifecycle.closed_at, None);
        assert_eq!(r.lifecycle.abandonment_reason, None);
        assert_eq!(r.lifecycle.first_response_at, Some(day("2025-09-01")));
    }

    #[test]
    fn forbidden_transition_lists_the_allowed_ones() {
        let r = sent_on("2025-01-01");
        let err = apply_transition(
            &r,
            &to(Status::Draft, "2025-02-01"),
            Today::on(day("2026-06-01")),
        )
        .unwrap_err();
        match err {
            TransitionError::NotAllowed { from, allowed, .. } => {
                assert_eq!(from, Status::Sent);
                assert!(allowed.contains(&Status::Acknowledged));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reasons_and_notes_are_required() {
        let r = sent_on("2025-01-01");
        let invalid =
            |cmd: TransitionCommand| match apply_transition(&r, &cmd, Today::on(day("2026-06-01")))
            {
                Err(TransitionError::Invalid(e)) => e,
                other => panic!("{other:?}"),
            };
        assert!(
            invalid(to(Status::Abandoned, "2025-02-01"))
                .0
                .contains_key("abandonment_reason")
        );
        assert!(
            invalid(to(Status::Refused, "2025-02-01"))
                .0
                .contains_key("refusal_ground")
        );
        let mut other = to(Status::Refused, "2025-02-01");
        other.refusal_ground = Some(RefusalGround::Other);
        assert!(invalid(other.clone()).0.contains_key("note"));
        other.note = Some("  ".into());
        assert!(invalid(other.clone()).0.contains_key("note"));
        other.note = Some("Requested state cites a new statute".into());
        assert!(apply_transition(&r, &other, Today::on(day("2026-06-01"))).is_ok());
        let mut misplaced = to(Status::Acknowledged, "2025-02-01");
        misplaced.refusal_ground = Some(RefusalGround::DeMinimis);
        assert!(invalid(misplaced).0.contains_key("refusal_ground"));
    }

    #[test]
    fn dates_may_be_neither_future_nor_before_the_last_change() {
        let r = sent_on("2025-01-01");
        let e = |d: &str| {
            apply_transition(
                &r,
                &to(Status::Acknowledged, d),
                Today::on(day("2026-06-01")),
            )
        };
        assert!(matches!(e("2026-06-02"), Err(TransitionError::Invalid(_))));
        assert!(matches!(e("2024-12-31"), Err(TransitionError::Invalid(_))));
        assert!(e("2025-01-01").is_ok());
        assert!(e("2026-06-01").is_ok());
    }
}
