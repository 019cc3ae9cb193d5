//! The history a row describes: the transitions that take a request from
//! where the register has it to where the row says it is — sent,
//! acknowledged, answered, then the row's status — each on its date.

use chrono::NaiveDate;

use super::row::{Target, Trouble};
use crate::domain::request::Lifecycle;
use crate::domain::transition::{TransitionCommand, TransitionError};
use crate::domain::{AbandonmentReason, RefusalGround, Status};
use crate::sheet::columns::Column;

/// A lifecycle step the row describes and the register lacks: a
/// transition, and the column its date comes from.
pub(super) struct Step {
    pub(super) command: TransitionCommand,
    pub(super) column: Column,
}

/// A refused step, as a problem of the column its date or status came from.
pub(super) fn refusal(e: TransitionError, step: &Step, trouble: &mut Trouble) {
    match e {
        TransitionError::NotAllowed { from, to, allowed } => trouble.add(
            Some(Column::Status),
            format!(
                "the history this row describes would move the request from `{from}` to `{to}`, which the register does not allow (from `{from}`: {})",
                allowed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
        TransitionError::Invalid(fields) => trouble.fields(fields, Some(step.column)),
    }
}

/// The transitions that take a request from `current` to what the row
/// describes: sent, acknowledged, answered, then the row's status, each on
/// its date. A date the register already holds is kept; a row that gives
/// another is a problem.
pub(super) fn steps(
    current: &Lifecycle,
    t: &Target,
    note: &str,
    trouble: &mut Trouble,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for (given, recorded, column, what) in [
        (t.sent, current.sent_at, Column::SentAt, "sent"),
        (
            t.acknowledged,
            current.acknowledged_at,
            Column::AcknowledgedAt,
            "acknowledged",
        ),
        (
            t.answered,
            current.first_response_at,
            Column::AnsweredAt,
            "first answered",
        ),
    ] {
        if let (Some(given), Some(recorded)) = (given, recorded)
            && given != Some(recorded)
        {
            trouble.add(
                Some(column),
                format!(
                    "differs from the register, which records the request {what} on {recorded}: an import does not rewrite a request's history; correct it on the request's page"
                ),
            );
        }
    }
    if !trouble.found.is_empty() {
        return steps;
    }
    // A move to `abandoned` or `refused` carries the row's reason; one whose
    // reason is `other` says why with the row's outcome note, or that the
    // file does not say.
    let step = |to: Status, date: NaiveDate, column: Column| {
        let abandonment_reason = t.abandonment_reason.filter(|_| to == Status::Abandoned);
        let refusal_ground = t.refusal_ground.filter(|_| to == Status::Refused);
        let other = abandonment_reason == Some(AbandonmentReason::Other)
            || refusal_ground == Some(RefusalGround::Other);
        let note = match (&t.outcome_note, other) {
            (_, false) => note.to_string(),
            (Some(why), true) => format!("{note}: {why}"),
            (None, true) => format!("{note} (the reason is `other`; the file does not say why)"),
        };
        Step {
            command: TransitionCommand {
                to,
                effective_date: date,
                note: Some(note),
                abandonment_reason,
                refusal_ground,
                measure_outcomes: None,
                sent_time: None,
            },
            column,
        }
    };
    let mut status = current.status;
    if status == Status::Draft
        && let Some(Some(sent)) = t.sent
    {
        steps.push(step(Status::Sent, sent, Column::SentAt));
        status = Status::Sent;
    }
    if current.acknowledged_at.is_none()
        && let Some(Some(ack)) = t.acknowledged
    {
        steps.push(step(Status::Acknowledged, ack, Column::AcknowledgedAt));
        status = Status::Acknowledged;
    }
    let last = t.status.unwrap_or(status);
    let last_date = if last.closes() {
        t.closed.flatten()
    } else {
        t.status_since.flatten()
    };
    if last.closes() && last != current.status && last_date.is_none() {
        trouble.add(
            Some(Column::ClosedAt),
            format!("is needed: the date the request became `{last}`"),
        );
        return steps;
    }
    if current.first_response_at.is_none()
        && let Some(Some(answered)) = t.answered
    {
        let first = if last == Status::InformationSupplied {
            Status::AdditionalInfoRequested
        } else if last.is_substantive_response() && last_date.is_none_or(|d| d == answered) {
            last
        } else {
            Status::InExecution
        };
        steps.push(step(first, answered, Column::AnsweredAt));
        status = first;
    }
    if let Some(last) = t.status
        && last != status
    {
        let (date, column) = if last.closes() {
            (t.closed.flatten(), Column::ClosedAt)
        } else {
            (t.status_since.flatten(), Column::StatusSince)
        };
        let Some(date) = date else {
            trouble.add(
                Some(column),
                format!("is needed: the date the request became `{last}`"),
            );
            return steps;
        };
        steps.push(step(last, date, column));
    }
    for (given, column, status_wanted) in [
        (
            t.abandonment_reason.is_some(),
            Column::AbandonmentReason,
            Status::Abandoned,
        ),
        (
            t.refusal_ground.is_some(),
            Column::RefusalGround,
            Status::Refused,
        ),
    ] {
        if given && t.status.unwrap_or(current.status) != status_wanted {
            trouble.add(
                Some(column),
                format!("is given, but only a request whose status is `{status_wanted}` has one"),
            );
        }
    }
    steps
}
