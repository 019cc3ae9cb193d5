//! The lifecycle of a request: statuses and the transitions between them
//! (docs/DOMAIN.md §3).

use super::vocab::vocabulary;

vocabulary!(
    /// Where a request stands; see docs/DOMAIN.md §3.1.
    Status, "status" {
        Draft => "draft" ["Draft", "Brouillon"],
        Sent => "sent" ["Sent", "Envoyée"],
        Acknowledged => "acknowledged" ["Acknowledged", "Accusé de réception"],
        AdditionalInfoRequested => "additional_info_requested" ["Additional information requested", "Complément d'information demandé"],
        InformationSupplied => "information_supplied" ["Information supplied", "Complément fourni"],
        Postponed => "postponed" ["Postponed", "Différée"],
        InExecution => "in_execution" ["In execution", "En cours d'exécution"],
        PartiallyExecuted => "partially_executed" ["Partially executed", "Partiellement exécutée"],
        Executed => "executed" ["Executed", "Exécutée"],
        Refused => "refused" ["Refused", "Refusée"],
        Withdrawn => "withdrawn" ["Withdrawn", "Retirée"],
        Abandoned => "abandoned" ["Abandoned", "Abandonnée"],
    }
);

/// Whose move it is: the alert rules treat "waiting on us" differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitingOn {
    Us,
    Them,
    Nobody,
}

impl Status {
    /// The statuses this one may move to: the transition table of
    /// docs/DOMAIN.md §3.2, row for row.
    pub fn allowed_next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Draft => &[Sent, Withdrawn],
            Sent => &[
                Acknowledged,
                AdditionalInfoRequested,
                Postponed,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            Acknowledged => &[
                AdditionalInfoRequested,
                Postponed,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            // `acknowledged` stays allowed for registers that recorded the
            // information supplied that way before `information_supplied`.
            AdditionalInfoRequested => &[
                InformationSupplied,
                Acknowledged,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            InformationSupplied => &[
                AdditionalInfoRequested,
                Postponed,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            Postponed => &[
                AdditionalInfoRequested,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            InExecution => &[
                AdditionalInfoRequested,
                Postponed,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            PartiallyExecuted => &[InExecution, Executed, Withdrawn, Abandoned],
            Executed | Refused | Withdrawn => &[],
            // A late reply reopens an abandoned request.
            Abandoned => &[
                Acknowledged,
                Postponed,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
            ],
        }
    }

    pub fn can_move_to(self, next: Status) -> bool {
        self.allowed_next().contains(&next)
    }

    pub fn waiting_on(self) -> WaitingOn {
        use Status::*;
        match self {
            Draft | AdditionalInfoRequested => WaitingOn::Us,
            Sent | Acknowledged | InformationSupplied | Postponed | InExecution
            | PartiallyExecuted => WaitingOn::Them,
            Executed | Refused | Withdrawn | Abandoned => WaitingOn::Nobody,
        }
    }

    /// Executed, refused and withdrawn are the end; abandoned is not (it can reopen).
    pub fn is_final(self) -> bool {
        matches!(self, Status::Executed | Status::Refused | Status::Withdrawn)
    }

    /// Entering one of these is a substantive response from the requested
    /// state — it asked for more, postponed, started, executed or refused —
    /// which sets `first_response_at` the first time. An acknowledgement of
    /// receipt is not one: a state that acknowledges and then falls silent
    /// has not answered.
    pub fn is_substantive_response(self) -> bool {
        use Status::*;
        matches!(
            self,
            AdditionalInfoRequested
                | Postponed
                | InExecution
                | PartiallyExecuted
                | Executed
                | Refused
        )
    }

    /// Anything the requested state does: a substantive response, or an
    /// acknowledgement of receipt.
    pub fn is_reply(self) -> bool {
        self == Status::Acknowledged || self.is_substantive_response()
    }

    /// Entering one of these sets `closed_at`.
    pub fn closes(self) -> bool {
        self.is_final() || self == Status::Abandoned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_statuses_have_no_way_out() {
        for s in Status::ALL {
            assert_eq!(s.is_final(), s.allowed_next().is_empty(), "{s}");
        }
    }

    #[test]
    fn nothing_goes_back_to_draft_or_sent() {
        for s in Status::ALL {
            assert!(!s.can_move_to(Status::Draft), "{s}");
            assert_eq!(s.can_move_to(Status::Sent), *s == Status::Draft, "{s}");
        }
    }

    #[test]
    fn abandoned_reopens_only_on_a_reply() {
        for next in Status::Abandoned.allowed_next() {
            assert!(next.is_reply(), "{next}");
        }
    }
}
