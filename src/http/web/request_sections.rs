//! The sections of the request page beyond its fields and history: the
//! requests it is linked to, the case it belongs to with the case's other
//! requests, the dates of the requested state's acts (milestones), the
//! follow-ups, the snooze of its alerts and the data preserved for it —
//! each in words, with the state of its form (what was typed and what is
//! wrong with it, when the form was just refused).
//!
//! Follow-ups and snoozes are read from the history, where every one of
//! them is an event: the latest follow-ups are the `follow_up` events, and
//! the current snooze is what the `snoozed` and `unsnoozed` events set,
//! replayed in order (the same changes the alert state was written with).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::choice::{Choice, choices};
use super::i18n::{Tr, countries_by_name};
use crate::db::events::{Event, EventKind};
use crate::domain::FollowUpChannel;
use crate::domain::case::CaseDetail;
use crate::domain::link::{Direction, LinkKind};
use crate::domain::milestone::MilestoneKind;
use crate::domain::preservation::{Owner, PreservationBasis, PreservationState, PreservationView};
use crate::domain::request::MlaRequest;

/// How many follow-ups the page lists (the history has every one).
const FOLLOW_UPS_SHOWN: usize = 5;

/// Which form of the page was just refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    FollowUp,
    Snooze,
    Unsnooze,
    Milestone,
    Preservation,
    Renew(uuid::Uuid),
    Release(uuid::Uuid),
}

/// A refused form: which, what was typed, and what is wrong.
pub struct FormRefusal {
    pub form: Form,
    pub state: FormState,
}

/// A form's values and errors: the defaults, or what was typed when it
/// was refused.
#[derive(Default)]
pub struct FormState {
    pub values: HashMap<String, String>,
    /// What to do about each refused field, in the reader's language.
    pub errors: BTreeMap<String, Vec<&'static str>>,
    /// A refusal of the form as a whole: what to do instead.
    pub message: Option<&'static str>,
}

impl FormState {
    /// A form showing these values.
    pub fn with(values: &[(&str, String)]) -> FormState {
        FormState {
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            ..FormState::default()
        }
    }

    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub fn error(&self, field: &str) -> Option<String> {
        self.errors
            .get(field)
            .filter(|m| !m.is_empty())
            .map(|m| m.join(" "))
    }

    /// Whether it was refused (a `<details>` holding it stays open).
    pub fn refused(&self) -> bool {
        !self.errors.is_empty() || self.message.is_some()
    }

    /// The options of a select box, the typed value selected.
    fn options(&self, field: &str, mut all: Vec<Choice>) -> Vec<Choice> {
        for choice in &mut all {
            choice.selected = choice.value == self.value(field);
        }
        all
    }
}

/// A request linked to this one.
pub struct LinkLine {
    /// How it stands to this one: "Replaces", "Replaced by"…
    pub how: &'static str,
    pub id: String,
    pub reference: String,
}

/// Another request of the case.
pub struct CaseRequestLine {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub country: String,
    pub status: &'static str,
}

/// The case the request belongs to.
pub struct CaseShown {
    pub reference: String,
    pub fields: Vec<(&'static str, String)>,
    pub others: Vec<CaseRequestLine>,
    /// Data preserved for the case itself (not for one of its requests).
    pub preservations: Vec<PreservationLine>,
}

/// A follow-up, in words.
pub struct FollowUpLine {
    pub date: String,
    pub channel: &'static str,
    pub note: String,
    pub by: String,
}

/// The alerts' snooze in force.
pub struct SnoozeShown {
    pub until: String,
    pub reason: String,
}

/// A preservation, in words, with its renewal and release forms.
pub struct PreservationLine {
    pub id: String,
    pub version: i32,
    pub holder: String,
    pub country: String,
    pub basis: &'static str,
    pub sent: String,
    pub expires: String,
    /// Days left, or how long ago it expired.
    pub left: String,
    pub state: String,
    pub released: bool,
    pub renew: FormState,
    pub release: FormState,
}

impl PreservationLine {
    /// The element id of a field of one of its forms.
    pub fn field_id(&self, form: &str, field: &str) -> String {
        format!("{form}-{}-{field}", self.id)
    }

    /// Whether one of its forms was just refused.
    pub fn open(&self) -> bool {
        self.renew.refused() || self.release.refused()
    }
}

/// Everything these sections show.
pub struct Sections {
    pub links: Vec<LinkLine>,
    pub case: CaseShown,
    /// Whether the request was sent (nothing of the requested state's can
    /// be recorded before).
    pub sent: bool,
    pub milestone: FormState,
    pub milestone_kinds: Vec<Choice>,
    pub follow_ups: Vec<FollowUpLine>,
    pub follow_up: FormState,
    pub channels: Vec<Choice>,
    pub snooze: Option<SnoozeShown>,
    /// A closed request raises no alerts: nothing to snooze.
    pub closed: bool,
    pub snooze_form: FormState,
    pub unsnooze_form: FormState,
    pub preservations: Vec<PreservationLine>,
    pub preservation: FormState,
    pub holder_countries: Vec<Choice>,
    pub bases: Vec<Choice>,
}

/// What the sections need from the services.
pub struct Found<'a> {
    pub request: &'a MlaRequest,
    pub events: &'a [Event],
    pub preservations: Vec<PreservationView>,
    pub case: CaseDetail,
    pub today: NaiveDate,
}

/// The sections in words, the refused form (if any) with what was typed.
pub fn build(t: Tr, found: Found<'_>, refused: Option<FormRefusal>) -> Sections {
    let l = t.language;
    let today = found.today;
    let request = found.request;
    let (mut refused_form, mut refused_state) = match refused {
        Some(r) => (Some(r.form), Some(r.state)),
        None => (None, None),
    };
    // The refused form's state, or the defaults.
    let mut state_of = |form: Form, defaults: &[(&str, String)]| {
        if refused_form == Some(form) {
            refused_form = None;
            refused_state.take().unwrap_or_default()
        } else {
            FormState::with(defaults)
        }
    };
    let today_text = today.to_string();
    let milestone = state_of(
        Form::Milestone,
        &[
            ("kind", MilestoneKind::Received.as_str().to_string()),
            ("effective_date", today_text.clone()),
        ],
    );
    let follow_up = state_of(
        Form::FollowUp,
        &[
            ("channel", String::new()),
            ("effective_date", today_text.clone()),
        ],
    );
    let snooze_form = state_of(Form::Snooze, &[]);
    let unsnooze_form = state_of(Form::Unsnooze, &[]);
    let preservation = state_of(Form::Preservation, &[("sent_at", today_text.clone())]);
    let mut preservations: Vec<PreservationLine> = found
        .preservations
        .iter()
        .filter(|p| p.preservation.request_id == Some(request.id))
        .map(|p| {
            let id = p.preservation.id;
            let mut line = preservation_line(t, p);
            line.renew = state_of(Form::Renew(id), &[("effective_date", today_text.clone())]);
            line.release = state_of(Form::Release(id), &[("effective_date", today_text.clone())]);
            line
        })
        .collect();
    preservations.sort_by_key(|p| p.released);

    let milestone_kinds = milestone.options(
        "kind",
        choices(MilestoneKind::ALL, "", MilestoneKind::as_str, |k| {
            k.label(l).to_string()
        }),
    );
    let channels = follow_up.options(
        "channel",
        choices(FollowUpChannel::ALL, "", FollowUpChannel::as_str, |c| {
            c.label(l).to_string()
        }),
    );
    let holder_countries = preservation.options(
        "country",
        countries_by_name(l)
            .iter()
            .map(|(code, name)| Choice {
                value: code.as_str().to_string(),
                label: name.clone(),
                selected: false,
            })
            .collect(),
    );
    let bases = preservation.options(
        "legal_basis",
        choices(PreservationBasis::ALL, "", PreservationBasis::as_str, |b| {
            b.label(l).to_string()
        }),
    );
    Sections {
        links: links(t, request),
        case: case(t, request, found.case),
        sent: request.lifecycle.sent_at.is_some(),
        milestone,
        milestone_kinds,
        follow_ups: follow_ups(t, found.events),
        follow_up,
        channels,
        snooze: snooze(t, found.events, today),
        closed: request.lifecycle.status.closes(),
        snooze_form,
        unsnooze_form,
        preservations,
        preservation,
        holder_countries,
        bases,
    }
}

fn links(t: Tr, request: &MlaRequest) -> Vec<LinkLine> {
    request
        .links
        .iter()
        .map(|link| LinkLine {
            how: match link.direction {
                Direction::Outgoing => link.kind.label(t.language),
                Direction::Incoming => match link.kind {
                    LinkKind::Supplements => t.link_supplemented_by(),
                    LinkKind::Supersedes => t.link_replaced_by(),
                    LinkKind::ReissuedAfterRefusal => t.link_reissued_as(),
                    LinkKind::FollowUpOf => t.link_followed_up_by(),
                },
            },
            id: link.request_id.to_string(),
            reference: link.reference.clone(),
        })
        .collect()
}

fn case(t: Tr, request: &MlaRequest, detail: CaseDetail) -> CaseShown {
    let l = t.language;
    let f = &detail.case.fields;
    let offences: Vec<&str> = f.offences.iter().map(|o| o.label(l)).collect();
    let number = |n: Option<i32>| n.map_or("—".to_string(), |n| t.number(n.into()));
    let or_dash = |s: String| if s.is_empty() { "—".to_string() } else { s };
    let fields = vec![
        (t.field_title(), f.title.clone()),
        (t.field_magistrate(), f.issuing_magistrate.name.clone()),
        (
            t.field_court(),
            or_dash(f.issuing_magistrate.court.clone().unwrap_or_default()),
        ),
        (t.field_offences(), or_dash(offences.join(", "))),
        (t.field_trial_date(), t.date_or(&f.trial_date, "—")),
        (t.field_victims_identified(), number(f.victims_identified)),
        (t.field_victims_safeguarded(), number(f.victims_safeguarded)),
        (
            t.field_foreign_proceedings(),
            f.foreign_proceedings_opened.label(l).to_string(),
        ),
    ];
    CaseShown {
        reference: f.case_reference.clone(),
        fields,
        others: detail
            .requests
            .iter()
            .filter(|r| r.id != request.id)
            .map(|r| CaseRequestLine {
                id: r.id.to_string(),
                reference: r.reference.clone(),
                title: r.title.clone(),
                country: t.country(&r.target_country),
                status: r.status.label(l),
            })
            .collect(),
        preservations: detail
            .preservations
            .iter()
            .filter(|p| p.preservation.owner() == Owner::Case(detail.case.id))
            .map(|p| preservation_line(t, p))
            .collect(),
    }
}

fn follow_ups(t: Tr, events: &[Event]) -> Vec<FollowUpLine> {
    let mut found: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == EventKind::FollowUp)
        .collect();
    // The latest chase first, however late it was logged.
    found.sort_by_key(|e| std::cmp::Reverse((e.effective_date, e.seq)));
    found
        .into_iter()
        .take(FOLLOW_UPS_SHOWN)
        .map(|e| FollowUpLine {
            date: t.date(&e.effective_date),
            channel: e.changes["follow_up"]["new"]["channel"]
                .as_str()
                .and_then(FollowUpChannel::parse)
                .map_or("—", |c| c.label(t.language)),
            note: e.note.clone().unwrap_or_default(),
            by: e.actor.name.clone(),
        })
        .collect()
}

/// The snooze in force today: what the history's snoozes and their lifting
/// set, in order; none once its last day has passed.
fn snooze(t: Tr, events: &[Event], today: NaiveDate) -> Option<SnoozeShown> {
    let (mut until, mut reason): (Option<NaiveDate>, Option<String>) = (None, None);
    for e in events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Snoozed | EventKind::Unsnoozed))
    {
        let new = |field: &str| e.changes.get(field).map(|c| &c["new"]);
        if let Some(value) = new("snoozed_until") {
            until = value.as_str().and_then(|d| d.parse().ok());
        }
        if let Some(value) = new("snooze_reason") {
            reason = value.as_str().map(str::to_string);
        }
    }
    until.filter(|u| *u >= today).map(|u| SnoozeShown {
        until: t.date(&u),
        reason: reason.unwrap_or_default(),
    })
}

fn preservation_line(t: Tr, view: &PreservationView) -> PreservationLine {
    let p = &view.preservation;
    let state = match view.state {
        PreservationState::Active => t.preservation_active().to_string(),
        PreservationState::Expired => t.preservation_expired().to_string(),
        PreservationState::Released => format!(
            "{} {}",
            t.preservation_released_on(),
            t.date_or(&p.released_on, "—")
        ),
    };
    let left = match view.state {
        PreservationState::Released => "—".to_string(),
        _ if view.days_left >= 0 => format!("{} {}", t.days(view.days_left), t.days_left()),
        _ => format!("{} {}", t.expired_for(), t.days(-view.days_left)),
    };
    PreservationLine {
        id: p.id.to_string(),
        version: p.version,
        holder: p.holder.clone(),
        country: t.country(&p.country),
        basis: p.legal_basis.label(t.language),
        sent: t.date(&p.sent_at),
        expires: t.date(&p.expires_on),
        left,
        state,
        released: p.released_on.is_some(),
        renew: FormState::default(),
        release: FormState::default(),
    }
}

/// A form's fields as typed, to show them again.
pub fn typed(form: &super::session::FormFields, names: &[&str]) -> HashMap<String, String> {
    names
        .iter()
        .map(|&name| (name.to_string(), form.text(name)))
        .collect()
}
