//! `/alerts`: the stalled list a coordinator works through — theirs by
//! default, or all — with a follow-up recorded from each row.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::choice::Choice;
use super::error::{WebError, see_other};
use super::i18n::Tr;
use super::layout::Chrome;
use super::session::{FormFields, SignedIn, Visitor};
use crate::alerts::scan::Stalled;
use crate::domain::{FollowUpChannel, Role};
use crate::http::auth::{ReadCases, WriteCases};
use crate::http::state::AppState;
use crate::services::Error;
use crate::services::alerts::{NewFollowUp, StalledQuery};

/// The most rows the page lists.
const LIMIT: usize = 200;

/// One stalled request, in words.
pub struct Line {
    pub id: String,
    pub reference: String,
    pub country: String,
    pub status: String,
    pub level: String,
    pub overdue: String,
    pub last_follow_up: String,
    pub preservation: String,
    pub channels: Vec<Choice>,
    /// The follow-up form's values and errors when it was just refused.
    pub date: String,
    pub note: String,
    pub errors: HashMap<&'static str, &'static str>,
}

impl Line {
    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.get(field).copied()
    }
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    mine: bool,
    notice: Option<&'static str>,
    total: String,
    lines: Vec<Line>,
}

#[derive(serde::Deserialize)]
pub struct AlertsQuery {
    scope: Option<String>,
    recorded: Option<String>,
}

/// `GET /alerts`.
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn<ReadCases>,
    query: web::Query<AlertsQuery>,
) -> Result<HttpResponse, WebError> {
    let mine = wants_mine(&signed_in, query.scope.as_deref());
    let notice = query
        .recorded
        .is_some()
        .then(|| signed_in.visitor.tr().follow_up_recorded());
    render(&state, &signed_in, mine, notice, None).await
}

/// A coordinator sees their own requests unless they ask for all.
fn wants_mine<P>(signed_in: &SignedIn<P>, scope: Option<&str>) -> bool {
    match scope {
        Some("all") => false,
        Some("mine") => true,
        _ => signed_in.user.role == Role::Coordinator,
    }
}

/// A refused follow-up: which row, what was typed, what is wrong.
struct Refused {
    id: String,
    date: String,
    note: String,
    errors: HashMap<&'static str, &'static str>,
}

async fn render<P>(
    state: &AppState,
    signed_in: &SignedIn<P>,
    mine: bool,
    notice: Option<&'static str>,
    refused: Option<Refused>,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let list = state
        .services
        .stalled(StalledQuery {
            country: None,
            level: 0,
            include_snoozed: false,
            limit: LIMIT,
        })
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    let today = list.as_of;
    let email = signed_in.user.email.to_lowercase();
    let mut lines: Vec<Line> = list
        .items
        .iter()
        .filter(|s| {
            !mine
                || s.request
                    .coordinator_email
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase() == email)
        })
        .map(|s| line(t, today, s))
        .collect();
    let status = match refused {
        Some(refused) => {
            if let Some(line) = lines.iter_mut().find(|l| l.id == refused.id) {
                line.date = refused.date;
                line.note = refused.note;
                line.errors = refused.errors;
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
    let page = AlertsPage {
        chrome: visitor.chrome(t.alerts_title()),
        mine,
        notice,
        total: t.number(list.total as i64),
        lines,
    };
    Ok(visitor.page(status, &page))
}

fn line(t: Tr, today: NaiveDate, s: &Stalled) -> Line {
    let l = t.language;
    let r = &s.request;
    let overdue = s.breaches.iter().map(|b| b.overdue_days).max().unwrap_or(0);
    let mut preserved: Vec<String> = s
        .breaches
        .iter()
        .filter_map(|b| b.preservation.as_ref())
        .map(|p| {
            format!(
                "{} ({} {})",
                p.preservation.holder,
                t.expires_on(),
                t.date(&p.preservation.expires_on)
            )
        })
        .collect();
    // Two rules can warn of the same preserved data.
    let mut seen = std::collections::HashSet::new();
    preserved.retain(|p| seen.insert(p.clone()));
    let preservation = preserved.join("; ");
    Line {
        id: r.id.to_string(),
        reference: r.reference.clone(),
        country: t.country(&r.target_country),
        status: format!("{} ({})", r.status.label(l), t.days(s.days_in_status)),
        level: format!("{} {}", t.level_n(), s.level()),
        overdue: t.days(overdue),
        last_follow_up: s.last_follow_up.as_ref().map_or_else(
            || t.no_follow_up().to_string(),
            |f| format!("{} ({})", t.date(&f.date), f.channel.label(l)),
        ),
        preservation: if preservation.is_empty() {
            "—".into()
        } else {
            preservation
        },
        channels: FollowUpChannel::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str().to_string(),
                label: c.label(l).to_string(),
                selected: false,
            })
            .collect(),
        date: today.to_string(),
        note: String::new(),
        errors: HashMap::new(),
    }
}

/// `POST /alerts/follow-ups`: the service of `POST
/// /requests/{id}/follow-ups`; back to the list, which says it was done.
pub async fn follow_up(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let scope = form.text("scope");
    let mine = wants_mine(&signed_in, Some(scope.as_str()));
    let id_text = form.text("request_id");
    let id: uuid::Uuid = id_text.parse().map_err(|_| visitor.not_found())?;
    match record_follow_up(&state, visitor, signed_in.user.id, id, &form).await? {
        Ok(()) => {
            let scope = if mine { "mine" } else { "all" };
            Ok(see_other(&format!("/alerts?scope={scope}&recorded=1")).finish())
        }
        Err(errors) => {
            let refused = Refused {
                id: id_text,
                date: form.text("effective_date"),
                note: form.text("note"),
                errors,
            };
            render(&state, &signed_in, mine, None, Some(refused)).await
        }
    }
}

/// A follow-up form (`channel`, `effective_date`, `note`) recorded on
/// request `id` through the service of `POST /requests/{id}/follow-ups`:
/// what the stalled list and the request page both send. `Ok(Err(..))`
/// holds what to say beside each refused field, in the reader's language.
pub async fn record_follow_up(
    state: &AppState,
    visitor: &Visitor,
    actor: uuid::Uuid,
    id: uuid::Uuid,
    form: &FormFields,
) -> Result<Result<(), HashMap<&'static str, &'static str>>, WebError> {
    let t = visitor.tr();
    let (date, note) = (form.text("effective_date"), form.text("note"));
    let mut body = json!({"channel": form.text("channel"), "effective_date": date});
    if !note.trim().is_empty() {
        body["note"] = Value::String(note);
    }
    let parsed: Result<NewFollowUp, _> = serde_json::from_value(body);
    let outcome = match parsed {
        Err(_) => Err(Error::Validation(Default::default())),
        Ok(follow_up) => state.services.add_follow_up(actor, id, follow_up).await,
    };
    match outcome {
        Ok(_) => Ok(Ok(())),
        Err(Error::NotFound(_)) => Err(visitor.not_found()),
        Err(Error::Validation(fields)) => {
            let mut errors = HashMap::new();
            let channel_ok = form.text("channel").parse::<FollowUpChannel>().is_ok();
            if !channel_ok {
                errors.insert("channel", t.choose_from_list());
            }
            if fields.0.contains_key("note") {
                errors.insert("note", t.note_too_long());
            }
            if errors.is_empty() || fields.0.contains_key("effective_date") {
                errors.insert("effective_date", t.follow_up_date_error());
            }
            Ok(Err(errors))
        }
        Err(Error::Conflict(_)) => Ok(Err(HashMap::from([(
            "effective_date",
            t.follow_up_closed(),
        )]))),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}
