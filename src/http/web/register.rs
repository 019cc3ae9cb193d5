//! The register: the list of requests with its filters (`/requests`), and
//! one request with its history (`/requests/{id}`; the sections below its
//! fields are built in `request_sections`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::choice::{Choice, choices};
use super::error::WebError;
use super::i18n::{Tr, countries_by_name};
use super::layout::Chrome;
use super::request_sections::{self, FormRefusal, Found, Sections};
use super::session::SignedIn;
use crate::db::events::{Event, EventKind};
use crate::domain::legal_deadline::next_deadline;
use crate::domain::request::MlaRequest;
use crate::domain::{AbandonmentReason, LegalBasis, Priority, RefusalGround, Status};
use crate::http::api::export::{ExportParams, download};
use crate::http::api::requests::{ListFilters, ListParams, list_query};
use crate::http::auth::ReadCases;
use crate::http::params;
use crate::http::state::AppState;
use crate::services;

/// One line of the register.
pub struct Row {
    pub id: String,
    pub reference: String,
    pub case_reference: String,
    pub title: String,
    pub country: String,
    pub status: &'static str,
    pub in_status: String,
    pub sent: String,
    /// The soonest deadline, the law's or the magistrate's, and whose.
    pub next_deadline: Option<(String, &'static str)>,
    /// It has passed.
    pub deadline_missed: bool,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    /// The filters as typed, to show them again.
    given: HashMap<String, String>,
    statuses: Vec<Choice>,
    countries: Vec<Choice>,
    priorities: Vec<Choice>,
    legal_bases: Vec<Choice>,
    sorts: Vec<Choice>,
    /// When some filters are invalid: (label, anchor, messages) each.
    errors: Vec<(String, String, Vec<String>)>,
    /// The message beside each invalid filter, by parameter name.
    field_errors: HashMap<String, String>,
    rows: Vec<Row>,
    /// The link to the next page, if there is one.
    next_page: Option<String>,
    /// Whether this is a page after the first.
    later_page: bool,
    /// The export's links, CSV then XLSX, with these filters.
    export_links: (String, String),
}

impl RegisterPage {
    fn given(&self, name: &str) -> &str {
        self.given.get(name).map_or("", String::as_str)
    }

    fn error_of(&self, name: &str) -> Option<String> {
        self.field_errors.get(name).cloned()
    }
}

/// The sort orders offered, as the API spells them.
const SORTS: [&str; 5] = [
    "-created_at",
    "sent_at",
    "-sent_at",
    "status_since",
    "reference",
];

fn sort_label(t: Tr, sort: &str) -> &'static str {
    match sort {
        "sent_at" => t.sort_sent_asc(),
        "-sent_at" => t.sort_sent_desc(),
        "status_since" => t.sort_status_since_asc(),
        "reference" => t.sort_reference(),
        _ => t.sort_created_desc(),
    }
}

/// `GET /requests`: the filters are the API's list parameters, so a link
/// to a filtered register and a filtered API call read the same.
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadCases>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let language = t.language;
    let (given, query) = filled_in(&req);
    let export = |format: &str| {
        let filters = given.iter().filter(|(k, _)| k != "cursor");
        let filters = filters.map(|(k, v)| (k.as_str(), v.as_str()));
        link(
            "/requests/export",
            [("format", format)].into_iter().chain(filters),
        )
    };
    let export_links = (export("csv"), export("xlsx"));
    let given: HashMap<String, String> = given.into_iter().collect();
    let chosen = |name: &str| given.get(name).cloned().unwrap_or_default();
    let today = state.services.today();
    let mut register = RegisterPage {
        chrome: visitor.chrome(t.register_title()),
        statuses: choices(Status::ALL, &chosen("status"), Status::as_str, |s| {
            s.label(language).to_string()
        }),
        countries: {
            let chosen = chosen("country").to_uppercase();
            countries_by_name(language)
                .iter()
                .map(|(code, name)| Choice {
                    selected: code.as_str() == chosen,
                    value: code.as_str().to_string(),
                    label: name.clone(),
                })
                .collect()
        },
        priorities: choices(Priority::ALL, &chosen("priority"), Priority::as_str, |p| {
            p.label(language).to_string()
        }),
        legal_bases: choices(
            LegalBasis::ALL,
            &chosen("legal_basis"),
            LegalBasis::as_str,
            |b| b.label(language).to_string(),
        ),
        sorts: SORTS
            .iter()
            .map(|&s| Choice {
                value: s.to_string(),
                label: sort_label(t, s).to_string(),
                selected: chosen("sort") == s,
            })
            .collect(),
        later_page: given.contains_key("cursor"),
        given,
        errors: Vec::new(),
        field_errors: HashMap::new(),
        rows: Vec::new(),
        next_page: None,
        export_links,
    };
    match params::parse::<ListParams>(&query, today.date) {
        Err(errors) => {
            register.errors = errors
                .0
                .into_keys()
                .map(|field| {
                    let message = filter_error(t, &field, &register.given);
                    (
                        filter_label(t, &field).to_string(),
                        format!("filter-{field}"),
                        vec![message.to_string()],
                    )
                })
                .collect();
            register.field_errors = register
                .errors
                .iter()
                .map(|(_, anchor, messages)| {
                    (
                        anchor.trim_start_matches("filter-").to_string(),
                        messages.join(" "),
                    )
                })
                .collect();
        }
        Ok(params) => {
            let found = state.services.list_requests(list_query(params)).await;
            let found = match found {
                Ok(found) => found,
                Err(services::Error::InvalidCursor(_)) => {
                    return Ok(super::error::see_other("/requests").finish());
                }
                Err(e) => return Err(WebError::service(e, language)),
            };
            register.rows = found.items.iter().map(|r| row(t, today.date, r)).collect();
            register.next_page = found.next_cursor.map(|cursor| {
                let mut next = form_urlencoded::Serializer::new(String::from("/requests?"));
                for (k, v) in register.given.iter().filter(|(k, _)| *k != "cursor") {
                    next.append_pair(k, v);
                }
                next.append_pair("cursor", &cursor);
                next.finish()
            });
        }
    }
    let status = if register.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(visitor.page(status, &register))
}

/// The query's filled-in fields (a form sends its empty fields too; empty
/// means "any"), and the query again without the empty ones.
fn filled_in(req: &HttpRequest) -> (Vec<(String, String)>, String) {
    let given: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(given.iter())
        .finish();
    (given, query)
}

/// `path?` then the pairs, percent-encoded.
fn link<'a>(path: &str, pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let start = format!("{path}?");
    let len = start.len();
    form_urlencoded::Serializer::for_suffix(start, len)
        .extend_pairs(pairs)
        .finish()
}

/// `GET /requests/export?format=csv|xlsx&…`: the register as a file, as
/// the register's filters select it, in the visitor's language (unless
/// `lang` says otherwise) — the API's export, for a signed-in browser.
/// Invalid filters go back to the register, which names them.
pub async fn export(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadCases>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let language = signed_in.visitor.language;
    let (given, query) = filled_in(&req);
    let today = state.services.today().date;
    match params::parse::<(ExportParams, ListFilters)>(&query, today) {
        Ok((asked, filters)) => download(
            state.services.clone(),
            filters,
            asked.format.unwrap_or_default(),
            asked.lang.unwrap_or(language),
        )
        .await
        .map_err(|e| WebError::service(e, language)),
        Err(_) => {
            let filters = given.iter().filter(|(k, _)| k != "format" && k != "lang");
            let back = link("/requests", filters.map(|(k, v)| (k.as_str(), v.as_str())));
            Ok(super::error::see_other(&back).finish())
        }
    }
}

/// A filter's name as its label reads.
fn filter_label(t: Tr, field: &str) -> &str {
    match field {
        "status" => t.filter_status(),
        "country" => t.filter_country(),
        "priority" => t.filter_priority(),
        "legal_basis" => t.filter_legal_basis(),
        "q" => t.filter_text(),
        "sent_from" => t.filter_sent_from(),
        "sent_to" => t.filter_sent_to(),
        "sort" => t.filter_sort(),
        other => other,
    }
}

/// What to do about an invalid filter, in the reader's language (the
/// API's messages, in English, name the same problems).
fn filter_error(t: Tr, field: &str, given: &HashMap<String, String>) -> &'static str {
    let is_date = |name: &str| {
        given
            .get(name)
            .is_some_and(|v| v.parse::<chrono::NaiveDate>().is_ok())
    };
    match field {
        "sent_to" if is_date("sent_to") => t.sent_to_before_from(),
        "sent_from" | "sent_to" => t.invalid_date(),
        "status" | "country" | "priority" | "legal_basis" | "sort" => t.choose_from_list(),
        "q" => t.search_too_long(),
        _ => t.unknown_filter(),
    }
}

fn row(t: Tr, today: chrono::NaiveDate, r: &MlaRequest) -> Row {
    let life = &r.lifecycle;
    let next = next_deadline(r);
    Row {
        id: r.id.to_string(),
        reference: r.reference.clone(),
        case_reference: r.case_reference.clone(),
        title: r.fields.title.clone(),
        country: t.country(&r.fields.target_country),
        status: life.status.label(t.language),
        in_status: t.days((today - life.status_since).num_days()),
        sent: t.date_or(&life.sent_at, t.not_sent()),
        next_deadline: next.map(|(day, whose)| (t.date(&day), whose.label(t.language))),
        deadline_missed: next.is_some_and(|(day, _)| day < today),
    }
}

/// One event of the history, in words.
pub struct HistoryLine {
    pub effective: String,
    pub recorded: String,
    pub what: String,
    pub by: String,
    pub note: String,
}

/// A labelled value of the request.
pub struct Field {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    chrome: Chrome,
    id: String,
    reference: String,
    version: i32,
    fields: Vec<Field>,
    history: Vec<HistoryLine>,
    moves: Vec<Move>,
    reasons: Vec<Choice>,
    grounds: Vec<Choice>,
    /// A message above everything (the record changed meanwhile).
    alert: Option<&'static str>,
    /// The note form's errors.
    note_errors: Vec<&'static str>,
    /// Links, case, milestones, follow-ups, snooze, preservations.
    s: Sections,
}

/// One allowed move, as a form.
pub struct Move {
    pub to: &'static str,
    pub label: &'static str,
    pub needs_reason: bool,
    pub needs_ground: bool,
    /// Open, with its errors and values, when it was just refused.
    pub open: bool,
    pub errors: std::collections::BTreeMap<String, Vec<&'static str>>,
    pub date: String,
    pub note: String,
}

impl Move {
    fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|m| m.join(" "))
    }
}

/// What a refused form on the request page brings back.
#[derive(Default)]
pub struct Refused {
    pub to: Option<String>,
    pub errors: crate::domain::FieldErrors,
    pub date: String,
    pub note: String,
    pub alert: Option<&'static str>,
    pub note_form: bool,
    /// One of the forms of `request_sections`, refused.
    pub form: Option<FormRefusal>,
}

/// `GET /requests/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    request_page(
        &state,
        &signed_in.visitor,
        &id,
        StatusCode::OK,
        Refused::default(),
    )
    .await
}

/// The request page, with a refused form's errors when there is one.
pub async fn request_page(
    state: &AppState,
    visitor: &super::session::Visitor,
    id: &str,
    status: StatusCode,
    refused: Refused,
) -> Result<HttpResponse, WebError> {
    let t = visitor.tr();
    let not_found = || visitor.not_found();
    let id = id.parse::<uuid::Uuid>().map_err(|_| not_found())?;
    let found = state.services.get_request(id).await;
    let request = match found {
        Ok(request) => request,
        Err(services::Error::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(WebError::service(e, t.language)),
    };
    let events = state
        .services
        .request_events(id)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    let preservations = state
        .services
        .list_preservations(None, Some(id), None)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    let case = state
        .services
        .get_case(request.case_id)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    let today_date = state.services.today().date;
    let today = today_date.to_string();
    let errors = super::field_errors::by_field(t, &refused.errors);
    let moves = request
        .lifecycle
        .status
        .allowed_next()
        .iter()
        .map(|&to| {
            let open = refused.to.as_deref() == Some(to.as_str());
            Move {
                to: to.as_str(),
                label: to.label(t.language),
                needs_reason: to == Status::Abandoned,
                needs_ground: to == Status::Refused,
                open,
                errors: if open {
                    errors.clone()
                } else {
                    Default::default()
                },
                date: if open {
                    refused.date.clone()
                } else {
                    today.clone()
                },
                note: if open {
                    refused.note.clone()
                } else {
                    String::new()
                },
            }
        })
        .collect();
    let shown = RequestPage {
        chrome: visitor.chrome(&format!("{} · {}", request.reference, request.fields.title)),
        id: request.id.to_string(),
        reference: request.reference.clone(),
        version: request.version,
        fields: fields(t, &request),
        history: events.iter().map(|e| history_line(t, e)).collect(),
        moves,
        reasons: choices(AbandonmentReason::ALL, "", AbandonmentReason::as_str, |r| {
            r.label(t.language).to_string()
        }),
        grounds: choices(RefusalGround::ALL, "", RefusalGround::as_str, |g| {
            g.label(t.language).to_string()
        }),
        alert: refused.alert,
        note_errors: if refused.note_form {
            errors.values().flatten().copied().collect()
        } else {
            Vec::new()
        },
        s: request_sections::build(
            t,
            Found {
                request: &request,
                events: &events,
                preservations,
                case,
                today: today_date,
            },
            refused.form,
        ),
    };
    Ok(visitor.page(status, &shown))
}

fn fields(t: Tr, r: &MlaRequest) -> Vec<Field> {
    let l = t.language;
    let f = &r.fields;
    let life = &r.lifecycle;
    let list = |labels: Vec<&'static str>| {
        if labels.is_empty() {
            "—".to_string()
        } else {
            labels.join(", ")
        }
    };
    let mut shown = vec![
        (t.field_title(), f.title.clone()),
        (t.field_case(), r.case_reference.clone()),
        (t.field_status(), life.status.label(l).to_string()),
        (t.field_status_since(), t.date(&life.status_since)),
        (t.field_priority(), f.priority.label(l).to_string()),
        (t.field_country(), t.country(&f.target_country)),
        (t.field_magistrate(), f.issuing_magistrate.name.clone()),
        (
            t.field_court(),
            f.issuing_magistrate.court.clone().unwrap_or_default(),
        ),
        (
            t.field_authority(),
            f.requested_authority.clone().unwrap_or_default(),
        ),
        (
            t.field_legal_basis(),
            f.legal_basis
                .map_or(String::new(), |b| b.label(l).to_string()),
        ),
        (
            t.field_channel(),
            f.channel.map_or(String::new(), |c| c.label(l).to_string()),
        ),
        (
            t.field_facilitators(),
            list(f.facilitators.iter().map(|x| x.label(l)).collect()),
        ),
        (
            t.field_offences(),
            list(f.offences.iter().map(|x| x.label(l)).collect()),
        ),
        (
            t.field_measures(),
            list(f.measures.iter().map(|x| x.label(l)).collect()),
        ),
        (t.field_sent(), t.date_or(&life.sent_at, t.not_sent())),
        (t.field_received(), t.date_or(&life.received_at, "—")),
        (t.field_recognised(), t.date_or(&life.recognised_at, "—")),
        (
            t.field_acknowledged(),
            t.date_or(&life.acknowledged_at, "—"),
        ),
        (
            t.field_first_response(),
            t.date_or(&life.first_response_at, "—"),
        ),
        (t.field_needed_by(), t.date_or(&f.needed_by, "—")),
        (
            t.field_foreign_reference(),
            f.foreign_reference.clone().unwrap_or_default(),
        ),
        (
            t.field_coordinator(),
            f.coordinator_email.clone().unwrap_or_default(),
        ),
        (t.field_closed(), t.date_or(&life.closed_at, "—")),
    ];
    if let Some(to) = &life.deadline_extended_to {
        shown.push((t.field_deadline_extended_to(), t.date(to)));
        shown.push((
            t.field_deadline_extension_reason(),
            life.deadline_extension_reason.clone().unwrap_or_default(),
        ));
    }
    if let Some(reason) = life.abandonment_reason {
        shown.push((t.field_abandonment_reason(), reason.label(l).to_string()));
    }
    if let Some(ground) = life.refusal_ground {
        shown.push((t.field_refusal_ground(), ground.label(l).to_string()));
    }
    if let Some(note) = &f.outcome_note {
        shown.push((t.field_outcome_note(), note.clone()));
    }
    shown
        .into_iter()
        .map(|(label, value)| Field {
            label,
            value: if value.is_empty() {
                "—".into()
            } else {
                value
            },
        })
        .collect()
}

fn history_line(t: Tr, e: &Event) -> HistoryLine {
    let kind = match e.kind {
        EventKind::Created => t.event_created(),
        EventKind::Updated => t.event_updated(),
        EventKind::Transition => t.event_transition(),
        EventKind::Milestone => t.event_milestone(),
        EventKind::Note => t.event_note(),
        EventKind::FollowUp => t.event_follow_up(),
        EventKind::Snoozed => t.event_snoozed(),
        EventKind::Unsnoozed => t.event_unsnoozed(),
        EventKind::Linked => t.event_linked(),
        EventKind::Unlinked => t.event_unlinked(),
        EventKind::PreservationRecorded => t.event_preservation_recorded(),
        EventKind::PreservationRenewed => t.event_preservation_renewed(),
        EventKind::PreservationReleased => t.event_preservation_released(),
    };
    let colon = t.colon();
    let what = match (e.from_status, e.to_status) {
        (Some(from), Some(to)) if from != to => {
            format!(
                "{kind}{colon} {} → {}",
                from.label(t.language),
                to.label(t.language)
            )
        }
        (None, Some(to)) if e.kind == EventKind::Created => {
            format!("{kind}{colon} {}", to.label(t.language))
        }
        _ => kind.to_string(),
    };
    let recorded = e.recorded_at.date_naive();
    HistoryLine {
        effective: t.date(&e.effective_date),
        recorded: format!(
            "{} {}",
            t.date(&recorded),
            e.recorded_at.format("%H:%M UTC")
        ),
        what,
        by: e.actor.name.clone(),
        note: e.note.clone().unwrap_or_default(),
    }
}
