//! The lifecycle of a request: statuses and the transitions between them
//! (docs/DOMAIN.md §3).

use super::vocab::vocabulary;

vocabulary!(
    /// Where a request stands; see docs/DOMAIN.md §3.1.
    Status, "status" {
        Draft => "draft",
        Sent => "sent",
        Acknowledged => "acknowledged",
        AdditionalInfoRequested => "additional_info_requested",
        InExecution => "in_execution",
        PartiallyExecuted => "partially_executed",
        Executed => "executed",
        Refused => "refused",
        Withdrawn => "withdrawn",
        Abandoned => "abandoned",
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
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            Acknowledged => &[
                AdditionalInfoRequested,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            AdditionalInfoRequested => &[
                Acknowledged,
                InExecution,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            InExecution => &[
                AdditionalInfoRequested,
                PartiallyExecuted,
                Executed,
                Refused,
                Withdrawn,
                Abandoned,
            ],
            PartiallyExecuted => &[InExecution, Executed, Withdrawn, Abandoned],
            Executed | Refused | Withdrawn => &[],
            // A late answer reopens an abandoned request.
            Abandoned => &[
                Acknowledged,
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
            Sent | Acknowledged | InExecution | PartiallyExecuted => WaitingOn::Them,
            Executed | Refused | Withdrawn | Abandoned => WaitingOn::Nobody,
        }
    }

    /// Executed, refused and withdrawn are the end; abandoned is not (it can reopen).
    pub fn is_final(self) -> bool {
        matches!(self, Status::Executed | Status::Refused | Status::Withdrawn)
    }

    /// Entering one of these is an answer from the requested state, which sets
    /// `first_response_at` the first time.
    pub fn is_response(self) -> bool {
        use Status::*;
        matches!(
            self,
            Acknowledged
                | AdditionalInfoRequested
                | InExecution
                | PartiallyExecuted
                | Executed
                | Refused
        )
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
    fn abandoned_reopens_only_on_an_answer() {
        for next in Status::Abandoned.allowed_next() {
            assert!(next.is_response(), "{next}");
        }
    }
}
