//! The deadlines the law itself sets for the requested side
//! (docs/DOMAIN.md §7.2), as a reminder names them: which one runs for a
//! request where it stands, and on which day it falls.
//!
//! Only two instruments set them. The European Investigation Order
//! (Directive 2014/41/EU): receipt acknowledged within a week (art. 16(1)),
//! recognition decided within 30 days of receipt (art. 12(3)), the measure
//! carried out within 90 days of that decision (art. 12(4)), both
//! extendable by the executing state with reasons (art. 12(5)–(6)). The
//! European Production Order (Regulation (EU) 2023/1543): the data within
//! 10 days of receipt (art. 10(2)), within 8 hours in an emergency
//! (art. 10(4)); a Preservation Order alone has no answer to wait for.
//! Traditional mutual assistance sets none: its thresholds are office
//! policy, and the alert rules say so.
//!
//! The clocks start where the default rules of §7.2 start theirs, so a
//! reminder and the deadline it names agree: receipt is `received_at`,
//! else the acknowledgement, else sending; recognition is `recognised_at`,
//! else entering execution.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::alert_rules::{Anchor, Candidate};
use super::{Language, LegalBasis, Measure, Priority, Status};

/// One of the deadlines of the law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalClock {
    /// EIO: acknowledge receipt within a week, on the Annex B form.
    EioAcknowledgement,
    /// EIO: decide on recognition within 30 days of receipt.
    EioRecognition,
    /// EIO: carry out the measure within 90 days of recognition.
    EioExecution,
    /// European Production Order: the data within 10 days of receipt.
    Production,
    /// European Production Order in an emergency: within 8 hours.
    EmergencyProduction,
}

impl LegalClock {
    /// Days from the clock's start to the deadline (0: the same day).
    fn days(self) -> u64 {
        match self {
            LegalClock::EioAcknowledgement => 7,
            LegalClock::EioRecognition => 30,
            LegalClock::EioExecution => 90,
            LegalClock::Production => 10,
            LegalClock::EmergencyProduction => 0,
        }
    }

    /// Where its clock starts.
    fn from(self) -> Anchor {
        match self {
            LegalClock::EioExecution => Anchor::Recognised,
            _ => Anchor::Received,
        }
    }

    /// Whether the requested state may extend it (EIO art. 12(5)–(6)).
    fn extendable(self) -> bool {
        matches!(self, LegalClock::EioRecognition | LegalClock::EioExecution)
    }

    /// Its short name, for a column of the register.
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (LegalClock::EioAcknowledgement, Language::En) => "EIO acknowledgement",
            (LegalClock::EioAcknowledgement, Language::Fr) => "accusé de réception DEI",
            (LegalClock::EioRecognition, Language::En) => "EIO recognition",
            (LegalClock::EioRecognition, Language::Fr) => "reconnaissance DEI",
            (LegalClock::EioExecution, Language::En) => "EIO execution",
            (LegalClock::EioExecution, Language::Fr) => "exécution DEI",
            (LegalClock::Production, Language::En) => "production order",
            (LegalClock::Production, Language::Fr) => "injonction de production",
            (LegalClock::EmergencyProduction, Language::En) => "emergency production order",
            (LegalClock::EmergencyProduction, Language::Fr) => {
                "injonction de production en urgence"
            }
        }
    }

    /// What the law asks and where it says so, as a reader of `language`
    /// cites it.
    pub fn describe(self, language: Language) -> &'static str {
        match (self, language) {
            (LegalClock::EioAcknowledgement, Language::En) => {
                "acknowledgement of receipt within a week (Directive 2014/41/EU, art. 16(1))"
            }
            (LegalClock::EioAcknowledgement, Language::Fr) => {
                "accusé de réception sous une semaine (directive 2014/41/UE, art. 16, § 1)"
            }
            (LegalClock::EioRecognition, Language::En) => {
                "recognition decided within 30 days of receipt (Directive 2014/41/EU, art. 12(3))"
            }
            (LegalClock::EioRecognition, Language::Fr) => {
                "décision de reconnaissance dans les 30 jours de la réception (directive 2014/41/UE, art. 12, § 3)"
            }
            (LegalClock::EioExecution, Language::En) => {
                "execution within 90 days of recognition (Directive 2014/41/EU, art. 12(4))"
            }
            (LegalClock::EioExecution, Language::Fr) => {
                "exécution dans les 90 jours de la reconnaissance (directive 2014/41/UE, art. 12, § 4)"
            }
            (LegalClock::Production, Language::En) => {
                "the data within 10 days of receipt (Regulation (EU) 2023/1543, art. 10(2))"
            }
            (LegalClock::Production, Language::Fr) => {
                "les données dans les 10 jours de la réception (règlement (UE) 2023/1543, art. 10, § 2)"
            }
            (LegalClock::EmergencyProduction, Language::En) => {
                "the data within 8 hours of receipt, an emergency (Regulation (EU) 2023/1543, art. 10(4))"
            }
            (LegalClock::EmergencyProduction, Language::Fr) => {
                "les données dans les 8 heures de la réception, en urgence (règlement (UE) 2023/1543, art. 10, § 4)"
            }
        }
    }
}

/// A deadline of the law that runs for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegalDeadline {
    pub clock: LegalClock,
    /// The last day allowed: the clock's start plus its days, or the day
    /// the requested state extended it to when that is later.
    pub due: NaiveDate,
    /// For a deadline in hours, the instant, when the instant the request
    /// left is recorded (`sent_time`; a provider receives an order sent
    /// to it directly at once).
    pub due_at: Option<DateTime<Utc>>,
    /// The requested state extended it.
    pub extended: bool,
}

/// The deadlines of the law running for a request in its present state,
/// soonest first; none for a basis without deadlines, a closed request, a
/// draft, or a request waiting on us.
pub fn legal_deadlines(
    request: &Candidate,
    measures: &[Measure],
    priority: Priority,
) -> Vec<LegalDeadline> {
    use Status::*;
    let status = request.status;
    let clocks: &[LegalClock] = match request.legal_basis {
        Some(LegalBasis::EioDirective) => match status {
            Sent => &[LegalClock::EioAcknowledgement, LegalClock::EioRecognition],
            Acknowledged | InformationSupplied => &[LegalClock::EioRecognition],
            InExecution | PartiallyExecuted => &[LegalClock::EioExecution],
            _ => &[],
        },
        Some(LegalBasis::EEvidenceRegulation)
            if matches!(status, Sent | Acknowledged)
                && measures.iter().any(|m| *m != Measure::DataPreservation) =>
        {
            if priority == Priority::Emergency {
                &[LegalClock::EmergencyProduction]
            } else {
                &[LegalClock::Production]
            }
        }
        _ => &[],
    };
    let mut found: Vec<LegalDeadline> = clocks
        .iter()
        .filter_map(|&clock| {
            if clock == LegalClock::EmergencyProduction
                && let Some(left) = request.sent_time
                && request.received_at.is_none()
            {
                let due_at = left + chrono::Duration::hours(8);
                return Some(LegalDeadline {
                    clock,
                    due: due_at.date_naive(),
                    due_at: Some(due_at),
                    extended: false,
                });
            }
            let start = request.anchor(clock.from())?;
            let due = start.checked_add_days(Days::new(clock.days()))?;
            Some(match request.deadline_extended_to {
                Some(extended) if clock.extendable() && extended > due => LegalDeadline {
                    clock,
                    due: extended,
                    due_at: None,
                    extended: true,
                },
                _ => LegalDeadline {
                    clock,
                    due,
                    due_at: None,
                    extended: false,
                },
            })
        })
        .collect();
    found.sort_by_key(|d| d.due);
    found
}

/// Whose deadline a request's next one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextDeadline {
    /// One of the law's.
    Law(LegalClock),
    /// The issuing magistrate's `needed_by`.
    NeededBy,
}

impl NextDeadline {
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (NextDeadline::Law(clock), _) => clock.label(language),
            (NextDeadline::NeededBy, Language::En) => "magistrate's date",
            (NextDeadline::NeededBy, Language::Fr) => "date du magistrat",
        }
    }
}

/// The soonest deadline an open request has to meet, the law's or the
/// magistrate's `needed_by`, and whose it is; `None` when none runs. A
/// deadline already passed still counts: it is the one missed.
pub fn next_deadline(request: &super::request::MlaRequest) -> Option<(NaiveDate, NextDeadline)> {
    if request.lifecycle.status.closes() {
        return None;
    }
    let law = legal_deadlines(
        &Candidate::of(request),
        &request.fields.measures,
        request.fields.priority,
    )
    .into_iter()
    .map(|d| (d.due, NextDeadline::Law(d.clock)));
    let magistrate = request
        .fields
        .needed_by
        .map(|day| (day, NextDeadline::NeededBy));
    law.chain(magistrate).min_by_key(|(day, _)| *day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CountryCode;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn eio(status: Status) -> Candidate {
        Candidate {
            status,
            status_since: day("2026-03-01"),
            sent_at: Some(day("2026-01-10")),
            sent_time: None,
            received_at: None,
            acknowledged_at: None,
            recognised_at: None,
            deadline_extended_to: None,
            preservations: Vec::new(),
            needed_by: None,
            legal_basis: Some(LegalBasis::EioDirective),
            country: CountryCode::parse("PT").unwrap(),
            priority: Priority::Normal,
            snoozed_until: None,
        }
    }

    fn dues(c: &Candidate, measures: &[Measure], p: Priority) -> Vec<(LegalClock, String, bool)> {
        legal_deadlines(c, measures, p)
            .into_iter()
            .map(|d| (d.clock, d.due.to_string(), d.extended))
            .collect()
    }

    #[test]
    fn an_eio_sent_awaits_its_acknowledgement_and_its_recognition_from_sending() {
        assert_eq!(
            dues(&eio(Status::Sent), &[], Priority::Normal),
            [
                (LegalClock::EioAcknowledgement, "2026-01-17".into(), false),
                (LegalClock::EioRecognition, "2026-02-09".into(), false),
            ]
        );
    }

    #[test]
    fn receipt_moves_the_recognition_clock_and_an_extension_moves_it_further() {
        let mut c = eio(Status::Acknowledged);
        c.acknowledged_at = Some(day("2026-01-20"));
        assert_eq!(
            dues(&c, &[], Priority::Normal),
            [(LegalClock::EioRecognition, "2026-02-19".into(), false)]
        );
        c.received_at = Some(day("2026-01-15"));
        assert_eq!(
            legal_deadlines(&c, &[], Priority::Normal)[0].due,
            day("2026-02-14")
        );
        // An extension earlier than the deadline changes nothing.
        c.deadline_extended_to = Some(day("2026-02-01"));
        assert!(!legal_deadlines(&c, &[], Priority::Normal)[0].extended);
        c.deadline_extended_to = Some(day("2026-03-16"));
        assert_eq!(
            dues(&c, &[], Priority::Normal),
            [(LegalClock::EioRecognition, "2026-03-16".into(), true)]
        );
    }

    #[test]
    fn execution_counts_from_recognition_else_from_entering_execution() {
        let mut c = eio(Status::PartiallyExecuted);
        assert_eq!(
            dues(&c, &[], Priority::Normal),
            [(LegalClock::EioExecution, "2026-05-30".into(), false)]
        );
        c.recognised_at = Some(day("2024-02-29"));
        assert_eq!(
            dues(&c, &[], Priority::Normal),
            [(LegalClock::EioExecution, "2024-05-29".into(), false)]
        );
    }

    #[test]
    fn no_deadline_runs_while_it_waits_on_us_is_postponed_or_closed() {
        for status in [
            Status::Draft,
            Status::AdditionalInfoRequested,
            Status::Postponed,
            Status::Executed,
            Status::Abandoned,
        ] {
            assert!(
                dues(&eio(status), &[], Priority::Normal).is_empty(),
                "{status}"
            );
        }
    }

    #[test]
    fn conventions_and_treaties_set_no_deadline() {
        let mut c = eio(Status::Sent);
        for basis in [LegalBasis::Ecmla1959, LegalBasis::BilateralTreaty] {
            c.legal_basis = Some(basis);
            assert!(dues(&c, &[], Priority::Urgent).is_empty(), "{basis}");
        }
        c.legal_basis = None;
        assert!(dues(&c, &[], Priority::Urgent).is_empty());
    }

    #[test]
    fn a_production_order_has_ten_days_or_eight_hours_and_a_preservation_order_none() {
        let mut c = eio(Status::Sent);
        c.legal_basis = Some(LegalBasis::EEvidenceRegulation);
        let data = [Measure::SubscriberData, Measure::DataPreservation];
        assert_eq!(
            dues(&c, &data, Priority::Urgent),
            [(LegalClock::Production, "2026-01-20".into(), false)]
        );
        assert_eq!(
            dues(&c, &data, Priority::Emergency),
            [(LegalClock::EmergencyProduction, "2026-01-10".into(), false)]
        );
        assert!(dues(&c, &[Measure::DataPreservation], Priority::Normal).is_empty());
        // Sent at a known instant: eight hours from it.
        c.sent_time = Some("2026-01-10T20:30:00Z".parse().unwrap());
        let emergency = legal_deadlines(&c, &data, Priority::Emergency);
        assert_eq!(
            emergency[0].due_at,
            Some("2026-01-11T04:30:00Z".parse().unwrap())
        );
        assert_eq!(emergency[0].due, day("2026-01-11"));
        c.status = Status::InExecution;
        assert!(dues(&c, &data, Priority::Normal).is_empty());
    }

    #[test]
    fn the_next_deadline_is_the_soonest_of_the_law_and_the_magistrate() {
        use crate::domain::request::{Lifecycle, MlaRequest, parse_fields};
        let fields = parse_fields(serde_json::json!({
            "title": "t",
            "issuing_magistrate": {"name": "M"}, "target_country": "PT",
            "legal_basis": "eio_directive", "offences": ["child_sexual_exploitation"],
            "measures": ["identify_victims"], "needed_by": "2026-06-20"
        }))
        .unwrap();
        let sent = day("2026-06-01");
        let at = "2026-06-01T10:00:00Z".parse().unwrap();
        let mut request = MlaRequest {
            id: uuid::Uuid::nil(),
            reference: "MLA-2026-00001".into(),
            case_id: uuid::Uuid::nil(),
            case_reference: "JI-1".into(),
            fields,
            lifecycle: Lifecycle::starting(Status::Sent, sent, Some(sent)),
            links: Vec::new(),
            version: 1,
            created_by: uuid::Uuid::nil(),
            created_at: at,
            updated_at: at,
        };
        assert_eq!(
            next_deadline(&request),
            Some((
                day("2026-06-08"),
                NextDeadline::Law(LegalClock::EioAcknowledgement)
            ))
        );
        request.fields.legal_basis = None;
        assert_eq!(
            next_deadline(&request),
            Some((day("2026-06-20"), NextDeadline::NeededBy))
        );
        request.lifecycle.status = Status::Executed;
        assert_eq!(next_deadline(&request), None);
    }

    #[test]
    fn every_clock_is_described_in_both_languages_with_its_article() {
        use LegalClock::*;
        for clock in [
            EioAcknowledgement,
            EioRecognition,
            EioExecution,
            Production,
            EmergencyProduction,
        ] {
            let en = clock.describe(Language::En);
            let fr = clock.describe(Language::Fr);
            assert!(en.contains("art. ") && fr.contains("art. "), "{clock:?}");
            assert_ne!(en, fr);
        }
    }
}
