//! The calendar feed (docs/DOMAIN.md §7.6): the deadlines a person follows,
//! as the RFC 5545 events a calendar program subscribes to. Whose requests a
//! feed holds ([`Scope`]), the events a request or a preservation gives
//! ([`of_request`], [`of_preservation`]), and the feed's text ([`render`]).
//! No I/O: the services read the rows and the settings.
//!
//! Each event has a UID that names what it is and the record it comes from
//! (`needed-by-<request id>@<host>`), so a calendar updates it in place; its
//! `SEQUENCE` counts the changes of the record it comes from (the request's
//! history, the preservation's version), so it grows whenever the date can
//! have moved; its `DTSTAMP` is when that record last changed. Dates are
//! all-day events (`VALUE=DATE`, the day after as the exclusive end); the one
//! deadline set in hours, an emergency production order's, is an instant in
//! UTC, falling on its day in the office's time zone. Events carry the
//! request's reference and country and the kind of deadline, never a title,
//! a magistrate or a victim: a feed ends up in third-party calendars.

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use icalendar::{Alarm, Calendar, Class, Component, EventLike, Property, Trigger};
use uuid::Uuid;

use super::alert_rules::Candidate;
use super::legal_deadline::{LegalClock, legal_deadlines};
use super::preservation::Preservation;
use super::request::MlaRequest;
use super::{Language, Role};

/// Whose requests a feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every request: an admin's feed.
    All,
    /// The requests this user recorded: a clerk's feed.
    RecordedBy(Uuid),
    /// The requests whose `coordinator_email` is this address (compared
    /// lower-cased), and those the user recorded: a coordinator's feed.
    Coordinating { user: Uuid, email: String },
}

impl Scope {
    /// The feed of a user of `role`; `None` for an analyst, who reads no
    /// case (§1) and so has no deadline to follow.
    pub fn of(role: Role, user: Uuid, email: &str) -> Option<Scope> {
        match role {
            Role::Admin => Some(Scope::All),
            Role::Coordinator => Some(Scope::Coordinating {
                user,
                email: email.to_lowercase(),
            }),
            Role::Clerk => Some(Scope::RecordedBy(user)),
            Role::Analyst => None,
        }
    }
}

/// An open request as the feed reads it.
#[derive(Debug, Clone)]
pub struct FeedRequest {
    pub request: MlaRequest,
    /// How many events its history holds: every change of the request, of
    /// its snooze or of its preservations adds one.
    pub history_len: i32,
    /// When the newest of them was recorded.
    pub changed_at: DateTime<Utc>,
    pub snoozed_until: Option<NaiveDate>,
}

/// A preservation not released, with the request of the feed whose page
/// its event links to: the request it serves or, for a case's
/// preservation, one of the case's requests to the holder's country.
#[derive(Debug, Clone)]
pub struct FeedPreservation {
    pub preservation: Preservation,
    pub request_id: Uuid,
    pub reference: String,
}

/// What falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The issuing magistrate's `needed_by`.
    NeededBy,
    /// A deadline of the law (§7.2).
    Law(LegalClock),
    /// The holder may delete the preserved data after this day (§2.4).
    PreservationExpiry,
    /// The last day of a snooze: the alerts resume the day after (§7.3).
    SnoozeEnd,
}

impl Deadline {
    /// The first part of the event's UID.
    fn slug(self) -> &'static str {
        match self {
            Deadline::NeededBy => "needed-by",
            Deadline::Law(LegalClock::EioAcknowledgement) => "eio-acknowledgement",
            Deadline::Law(LegalClock::EioRecognition) => "eio-recognition",
            Deadline::Law(LegalClock::EioExecution) => "eio-execution",
            Deadline::Law(LegalClock::Production) => "production-order",
            Deadline::Law(LegalClock::EmergencyProduction) => "emergency-production-order",
            Deadline::PreservationExpiry => "preservation-expiry",
            Deadline::SnoozeEnd => "snooze-end",
        }
    }

    /// When the calendar reminds: for a day, from its start (midnight where
    /// the calendar is read), at 09:00 a number of days before — a week
    /// before the magistrate's date (as `needed-by-7-days` warns), three
    /// days before an expiry (the last call), the day before a deadline of
    /// the law, on the day a snooze ends; an hour before an instant.
    fn reminder(self, instant: bool) -> Trigger {
        if instant {
            return Trigger::before_start(Duration::hours(1));
        }
        let days_before = match self {
            Deadline::NeededBy => 7,
            Deadline::PreservationExpiry => 3,
            Deadline::Law(_) => 1,
            Deadline::SnoozeEnd => 0,
        };
        Trigger::after_start(Duration::hours(9) - Duration::days(days_before))
    }
}

/// One event of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    pub deadline: Deadline,
    /// The record it comes from: the request, or the preservation.
    pub source: Uuid,
    /// The request whose page it links to.
    pub request_id: Uuid,
    /// The day it falls on, in the office's time zone.
    pub day: NaiveDate,
    /// The instant, for a deadline in hours.
    pub at: Option<DateTime<Utc>>,
    pub sequence: u32,
    pub stamp: DateTime<Utc>,
    pub summary: String,
    pub description: String,
}

impl FeedEvent {
    /// Its UID: what it is, the record's id, the host of the pages.
    pub fn uid(&self, host: &str) -> String {
        format!("{}-{}@{host}", self.deadline.slug(), self.source)
    }
}

/// The events of an open request: its `needed_by`, the deadlines of the law
/// running for it where it stands (`legal_deadline::legal_deadlines`), and
/// the end of its snooze.
pub fn of_request(r: &FeedRequest, language: Language, zone: Tz) -> Vec<FeedEvent> {
    let request = &r.request;
    if request.lifecycle.status.closes() {
        return Vec::new();
    }
    let event = |deadline: Deadline, day: NaiveDate, at: Option<DateTime<Utc>>| FeedEvent {
        deadline,
        source: request.id,
        request_id: request.id,
        day,
        at,
        sequence: counter(r.history_len),
        stamp: r.changed_at,
        summary: summary(deadline, &request.reference, request, language),
        description: description(deadline, day, language),
    };
    let mut events = Vec::new();
    if let Some(day) = request.fields.needed_by {
        events.push(event(Deadline::NeededBy, day, None));
    }
    let law = legal_deadlines(
        &Candidate::of(request),
        &request.fields.measures,
        request.fields.priority,
    );
    for due in law {
        let day = due
            .due_at
            .map_or(due.due, |at| at.with_timezone(&zone).date_naive());
        events.push(event(Deadline::Law(due.clock), day, due.due_at));
    }
    if let Some(day) = r.snoozed_until {
        events.push(event(Deadline::SnoozeEnd, day, None));
    }
    events
}

/// The expiry of a preservation not released.
pub fn of_preservation(p: &FeedPreservation, language: Language) -> Option<FeedEvent> {
    let kept = &p.preservation;
    if kept.released_on.is_some() {
        return None;
    }
    let deadline = Deadline::PreservationExpiry;
    let (holder, country) = (&kept.holder, kept.country.as_str().to_uppercase());
    let summary = match language {
        Language::En => format!(
            "{}: preserved data at {holder} ({country}) expires",
            p.reference
        ),
        Language::Fr => format!(
            "{} : fin de la conservation chez {holder} ({country})",
            p.reference
        ),
    };
    Some(FeedEvent {
        deadline,
        source: kept.id,
        request_id: p.request_id,
        day: kept.expires_on,
        at: None,
        sequence: counter(kept.version),
        stamp: kept.updated_at,
        summary,
        description: description(deadline, kept.expires_on, language),
    })
}

/// A count that starts at 1 (a history's length, a version) as a SEQUENCE,
/// which starts at 0.
fn counter(n: i32) -> u32 {
    u32::try_from(n.saturating_sub(1)).unwrap_or(0)
}

fn summary(
    deadline: Deadline,
    reference: &str,
    request: &MlaRequest,
    language: Language,
) -> String {
    let country = request.fields.target_country.as_str().to_uppercase();
    let what = match (deadline, language) {
        (Deadline::NeededBy, Language::En) => "needed by the magistrate".to_string(),
        (Deadline::NeededBy, Language::Fr) => "date voulue par le magistrat".to_string(),
        (Deadline::Law(clock), Language::En) => format!("{} due", clock.label(language)),
        (Deadline::Law(clock), Language::Fr) => format!("échéance {}", clock.label(language)),
        (Deadline::SnoozeEnd, Language::En) => "last day the alerts are paused".to_string(),
        (Deadline::SnoozeEnd, Language::Fr) => "dernier jour de suspension des alertes".to_string(),
        (Deadline::PreservationExpiry, _) => {
            unreachable!("a preservation's summary names its holder")
        }
    };
    match language {
        Language::En => format!("{reference} ({country}): {what}"),
        Language::Fr => format!("{reference} ({country}) : {what}"),
    }
}

fn description(deadline: Deadline, day: NaiveDate, language: Language) -> String {
    let date = language.date(&day);
    let next = day
        .checked_add_days(Days::new(1))
        .map_or_else(String::new, |d| language.date(&d));
    match (deadline, language) {
        (Deadline::NeededBy, Language::En) => {
            format!("The issuing magistrate needs the answer by {date}.")
        }
        (Deadline::NeededBy, Language::Fr) => {
            format!("Le magistrat mandant attend la réponse pour le {date}.")
        }
        (Deadline::Law(clock), _) => {
            let law = clock.describe(language);
            match language {
                Language::En => format!("The requested state's deadline: {law}."),
                Language::Fr => format!("Délai de l'État requis : {law}."),
            }
        }
        (Deadline::PreservationExpiry, Language::En) => format!(
            "The holder may delete the data after {date}: renew the preservation or release it."
        ),
        (Deadline::PreservationExpiry, Language::Fr) => format!(
            "Le détenteur peut effacer les données après le {date} : renouvelez ou levez la conservation."
        ),
        (Deadline::SnoozeEnd, Language::En) => {
            format!("The alerts are paused through {date} and resume on {next}.")
        }
        (Deadline::SnoozeEnd, Language::Fr) => {
            format!("Les alertes sont suspendues jusqu'au {date} inclus et reprennent le {next}.")
        }
    }
}

/// What a feed says of itself.
#[derive(Debug, Clone, Copy)]
pub struct FeedHeader<'a> {
    /// The host of the pages (`server.public_url`), the UIDs' domain.
    pub host: &'a str,
    /// `server.public_url`, without a trailing `/`.
    pub public_url: &'a str,
    pub language: Language,
}

/// The web page of a request.
pub fn request_page(public_url: &str, id: Uuid) -> String {
    format!("{}/requests/{id}", public_url.trim_end_matches('/'))
}

/// How often a calendar should fetch the feed again.
const REFRESH: Duration = Duration::hours(1);

/// The feed's text (RFC 5545): the events soonest first, then by summary
/// (the request's reference first) and UID, so the same register gives the
/// same text.
pub fn render(header: FeedHeader<'_>, mut events: Vec<FeedEvent>) -> String {
    events.sort_by_cached_key(|e| (e.day, e.summary.clone(), e.uid(header.host)));
    let name = match header.language {
        Language::En => "MLA deadlines",
        Language::Fr => "Échéances d'entraide",
    };
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//mla-tracker//calendar feed//EN"),
        ("CALSCALE", "GREGORIAN"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    calendar.name(name).ttl(&REFRESH);
    for e in &events {
        let url = request_page(header.public_url, e.request_id);
        let mut event = icalendar::Event::new();
        event
            .uid(&e.uid(header.host))
            .timestamp(e.stamp)
            .last_modified(e.stamp)
            .sequence(e.sequence)
            .summary(&e.summary)
            .description(&format!("{}\n{url}", e.description))
            .url(&url)
            .class(Class::Private)
            .add_property("TRANSP", "TRANSPARENT");
        match e.at {
            Some(at) => event.starts(at),
            None => event.starts(e.day).ends(e.day + Days::new(1)),
        };
        // Given their UID (RFC 9074) and stamp: the crate would make up
        // fresh ones on every fetch.
        event.alarm(
            Alarm::display(&e.summary, e.deadline.reminder(e.at.is_some()))
                .uid(&format!("reminder-{}", e.uid(header.host)))
                .timestamp(e.stamp)
                .done(),
        );
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysts_have_no_feed_and_coordinators_are_matched_lower_cased() {
        let id = Uuid::nil();
        assert_eq!(Scope::of(Role::Analyst, id, "a@x.example"), None);
        assert_eq!(Scope::of(Role::Admin, id, "a@x.example"), Some(Scope::All));
        assert_eq!(
            Scope::of(Role::Clerk, id, "a@x.example"),
            Some(Scope::RecordedBy(id))
        );
        assert_eq!(
            Scope::of(Role::Coordinator, id, "Coord@X.example"),
            Some(Scope::Coordinating {
                user: id,
                email: "coord@x.example".into()
            })
        );
    }

    #[test]
    fn reminders_fall_at_nine_the_days_before() {
        let shown = |t: Trigger| match t {
            Trigger::Duration(d, _) => d,
            Trigger::DateTime(_) => panic!("relative"),
        };
        assert_eq!(
            shown(Deadline::NeededBy.reminder(false)),
            Duration::hours(9 - 7 * 24)
        );
        assert_eq!(
            shown(Deadline::SnoozeEnd.reminder(false)),
            Duration::hours(9)
        );
        assert_eq!(
            shown(Deadline::Law(LegalClock::EmergencyProduction).reminder(true)),
            Duration::hours(-1)
        );
    }

    #[test]
    fn a_feed_is_rfc_5545_with_dates_uids_sequences_and_alarms() {
        let day: NaiveDate = "2026-07-01".parse().unwrap();
        let stamp: DateTime<Utc> = "2026-06-15T08:30:00Z".parse().unwrap();
        let id: Uuid = "01960000-0000-7000-8000-000000000001".parse().unwrap();
        let event = FeedEvent {
            deadline: Deadline::NeededBy,
            source: id,
            request_id: id,
            day,
            at: None,
            sequence: 3,
            stamp,
            summary: "MLA-2026-00001 (PH): needed by the magistrate".into(),
            description: "The issuing magistrate needs the answer by 1 July 2026.".into(),
        };
        let text = render(
            FeedHeader {
                host: "mla.example.org",
                public_url: "https://mla.example.org/",
                language: Language::En,
            },
            vec![event],
        );
        for line in [
            "BEGIN:VCALENDAR\r\n",
            "VERSION:2.0\r\n",
            "PRODID:-//mla-tracker//calendar feed//EN\r\n",
            "UID:needed-by-01960000-0000-7000-8000-000000000001@mla.example.org\r\n",
            "DTSTAMP:20260615T083000Z\r\n",
            "SEQUENCE:3\r\n",
            "DTSTART;VALUE=DATE:20260701\r\n",
            "DTEND;VALUE=DATE:20260702\r\n",
            "URL:https://mla.example.org/requests/01960000-0000-7000-8000-000000000001\r\n",
            "CLASS:PRIVATE\r\n",
            "BEGIN:VALARM\r\n",
            "ACTION:DISPLAY\r\n",
            "END:VCALENDAR\r\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        assert!(
            text.lines().all(|l| l.len() <= 75),
            "lines are folded:\n{text}"
        );
    }
}
