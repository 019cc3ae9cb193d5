//! What the request page records besides moves and notes: a follow-up, a
//! snooze of its alerts and its lifting, a milestone (receipt,
//! recognition, an extended deadline), a preservation with its renewals
//! and release. Each form goes to the service its JSON API operation
//! calls, with the same permission; on success the browser goes back to
//! the page at the form's section (303), on a refusal the page comes back
//! with the errors beside the fields (422), or with what to do instead when
//! the record does not allow it (409).

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;

use super::alerts::record_follow_up;
use super::error::{WebError, see_other};
use super::field_errors::by_field;
use super::register::{Refused, request_page};
use super::request_sections::{Form, FormRefusal, FormState, typed};
use super::session::{FormFields, SignedIn, Visitor};
use crate::domain::milestone::{MilestoneCommand, MilestoneKind};
use crate::domain::preservation::{NewPreservation, PreservationBasis, Release, Renewal};
use crate::domain::{CountryCode, FieldErrors};
use crate::http::auth::WriteCases;
use crate::http::state::AppState;
use crate::services::Error;
use crate::services::alerts::Snooze;

/// Reads a form's fields into the typed values of a service's input,
/// noting by field what cannot be read, in the services' words (which
/// `field_errors` tells in the reader's language).
struct Reader<'a> {
    form: &'a FormFields,
    errors: FieldErrors,
}

impl<'a> Reader<'a> {
    fn new(form: &'a FormFields) -> Reader<'a> {
        Reader {
            form,
            errors: FieldErrors::default(),
        }
    }

    /// The field without its surrounding spaces; `None` when empty.
    fn text(&self, name: &str) -> Option<String> {
        let value = self.form.get(name)?.trim();
        (!value.is_empty()).then(|| value.to_string())
    }

    fn required_text(&mut self, name: &str) -> String {
        self.text(name).unwrap_or_else(|| {
            self.errors.add(name, "is required");
            String::new()
        })
    }

    fn date(&mut self, name: &str) -> Option<NaiveDate> {
        let text = self.text(name)?;
        match text.parse() {
            Ok(date) => Some(date),
            Err(_) => {
                self.errors.add(name, "invalid date: expected YYYY-MM-DD");
                None
            }
        }
    }

    fn required_date(&mut self, name: &str) -> Option<NaiveDate> {
        if self.text(name).is_none() {
            self.errors.add(name, "is required");
        }
        self.date(name)
    }

    /// A value of a vocabulary (or a country), required.
    fn choice<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let Some(text) = self.text(name) else {
            self.errors.add(name, "is required");
            return None;
        };
        parse(&text)
            .map_err(|message| self.errors.add(name, message))
            .ok()
    }

    /// The typed values, or the errors when any field could not be read.
    fn finish<T>(self, value: Option<T>) -> Result<T, FieldErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.errors),
        }
    }
}

/// The request of the path, or the 404 page.
fn request_id(visitor: &Visitor, id: &str) -> Result<uuid::Uuid, WebError> {
    id.parse().map_err(|_| visitor.not_found())
}

/// Back to the page, at the section of the form just recorded.
fn back(id: uuid::Uuid, section: &str) -> HttpResponse {
    see_other(&format!("/requests/{id}#{section}")).finish()
}

/// The page again, with `form` refused.
async fn refuse(
    state: &AppState,
    visitor: &Visitor,
    id: uuid::Uuid,
    status: StatusCode,
    form: Form,
    refused: FormState,
) -> Result<HttpResponse, WebError> {
    let refused = Refused {
        form: Some(FormRefusal {
            form,
            state: refused,
        }),
        ..Refused::default()
    };
    request_page(state, visitor, &id.to_string(), status, refused).await
}

/// A refusal by field (422): what was typed, what is wrong beside it.
async fn invalid(
    state: &AppState,
    visitor: &Visitor,
    id: uuid::Uuid,
    form: Form,
    fields: &FormFields,
    names: &[&str],
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let refused = FormState {
        values: typed(fields, names),
        errors: by_field(visitor.tr(), errors),
        message: None,
    };
    refuse(
        state,
        visitor,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        refused,
    )
    .await
}

/// A refusal of the whole form (409): what to do instead.
async fn conflict(
    state: &AppState,
    visitor: &Visitor,
    id: uuid::Uuid,
    form: Form,
    message: &'static str,
) -> Result<HttpResponse, WebError> {
    let refused = FormState {
        message: Some(message),
        ..FormState::default()
    };
    refuse(state, visitor, id, StatusCode::CONFLICT, form, refused).await
}

/// `POST /requests/{id}/follow-ups`: the stalled list's follow-up form,
/// from the request page.
pub async fn follow_up(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let id = request_id(visitor, &id)?;
    match record_follow_up(&state, visitor, signed_in.user.id, id, &form).await? {
        Ok(()) => Ok(back(id, "follow-ups")),
        Err(errors) => {
            let refused = FormState {
                values: typed(&form, &["channel", "effective_date", "note"]),
                errors: errors
                    .into_iter()
                    .map(|(field, message)| (field.to_string(), vec![message]))
                    .collect(),
                message: None,
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            refuse(&state, visitor, id, status, Form::FollowUp, refused).await
        }
    }
}

/// `POST /requests/{id}/snooze`.
pub async fn snooze(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let id = request_id(visitor, &id)?;
    let names = ["until", "reason"];
    let mut r = Reader::new(&form);
    let until = r.required_date("until");
    let reason = r.required_text("reason");
    let body = match r.finish(until.map(|until| Snooze { until, reason })) {
        Ok(body) => body,
        Err(errors) => {
            return invalid(&state, visitor, id, Form::Snooze, &form, &names, &errors).await;
        }
    };
    match state.services.snooze(signed_in.user.id, id, body).await {
        Ok(_) => Ok(back(id, "alerts")),
        Err(Error::Validation(errors)) => {
            invalid(&state, visitor, id, Form::Snooze, &form, &names, &errors).await
        }
        Err(Error::Conflict(_)) => {
            conflict(&state, visitor, id, Form::Snooze, t.snooze_closed()).await
        }
        Err(Error::NotFound(_)) => Err(visitor.not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// `POST /requests/{id}/unsnooze`.
pub async fn unsnooze(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let id = request_id(visitor, &id)?;
    match state.services.unsnooze(signed_in.user.id, id).await {
        Ok(_) => Ok(back(id, "alerts")),
        Err(Error::Conflict(_)) => {
            conflict(&state, visitor, id, Form::Unsnooze, t.unsnooze_none()).await
        }
        Err(Error::NotFound(_)) => Err(visitor.not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// `POST /requests/{id}/milestones`, on the version the page showed.
pub async fn milestone(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let id = request_id(visitor, &id)?;
    let names = ["kind", "effective_date", "extended_to", "reason", "note"];
    let version = form.text("version").parse::<i32>().ok();
    let mut r = Reader::new(&form);
    let kind = r.choice("kind", MilestoneKind::from_str);
    let effective_date = r.required_date("effective_date");
    let extended_to = r.date("extended_to");
    let (reason, note) = (r.text("reason"), r.text("note"));
    let command = kind
        .zip(effective_date)
        .map(|(kind, effective_date)| MilestoneCommand {
            kind,
            effective_date,
            extended_to,
            reason,
            note,
        });
    let command = match r.finish(command) {
        Ok(command) => command,
        Err(errors) => {
            return invalid(&state, visitor, id, Form::Milestone, &form, &names, &errors).await;
        }
    };
    let outcome = state
        .services
        .record_milestone(signed_in.user.id, id, version, command)
        .await;
    match outcome {
        Ok(_) => Ok(back(id, "milestones")),
        Err(Error::Validation(errors)) => {
            invalid(&state, visitor, id, Form::Milestone, &form, &names, &errors).await
        }
        Err(Error::Conflict(message)) if message.contains("not been sent") => {
            conflict(&state, visitor, id, Form::Milestone, t.milestone_not_sent()).await
        }
        Err(Error::Conflict(_) | Error::PreconditionFailed { .. }) => {
            conflict(&state, visitor, id, Form::Milestone, t.move_conflict()).await
        }
        Err(Error::NotFound(_)) => Err(visitor.not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// `POST /requests/{id}/preservations`: a preservation for this request.
pub async fn preservation(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let id = request_id(visitor, &id)?;
    let names = [
        "holder",
        "country",
        "legal_basis",
        "sent_at",
        "expires_on",
        "note",
    ];
    let mut r = Reader::new(&form);
    let holder = r.required_text("holder");
    let country = r.choice("country", CountryCode::parse);
    let legal_basis = r.choice("legal_basis", PreservationBasis::from_str);
    let sent_at = r.required_date("sent_at");
    let expires_on = r.date("expires_on");
    let note = r.text("note");
    let body = country
        .zip(legal_basis)
        .zip(sent_at)
        .map(|((country, legal_basis), sent_at)| NewPreservation {
            request_id: Some(id),
            case_id: None,
            holder,
            country,
            legal_basis,
            sent_at,
            expires_on,
            note,
        });
    let form_kind = Form::Preservation;
    let body = match r.finish(body) {
        Ok(body) => body,
        Err(errors) => {
            return invalid(&state, visitor, id, form_kind, &form, &names, &errors).await;
        }
    };
    match state
        .services
        .record_preservation(signed_in.user.id, body)
        .await
    {
        Ok(_) => Ok(back(id, "preservations")),
        // The request named is gone.
        Err(Error::Validation(errors)) if errors.0.contains_key("request_id") => {
            Err(visitor.not_found())
        }
        Err(Error::Validation(errors)) => {
            invalid(&state, visitor, id, form_kind, &form, &names, &errors).await
        }
        Err(Error::NotFound(_)) => Err(visitor.not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// The request and the preservation of the path, the preservation being
/// this request's; else the 404 page.
async fn preservation_of(
    state: &AppState,
    visitor: &Visitor,
    path: &(String, String),
) -> Result<(uuid::Uuid, uuid::Uuid), WebError> {
    let id = request_id(visitor, &path.0)?;
    let pid: uuid::Uuid = path.1.parse().map_err(|_| visitor.not_found())?;
    match state.services.get_preservation(pid).await {
        Ok(view) if view.preservation.request_id == Some(id) => Ok((id, pid)),
        Ok(_) | Err(Error::NotFound(_)) => Err(visitor.not_found()),
        Err(e) => Err(WebError::service(e, visitor.language)),
    }
}

/// `POST /requests/{id}/preservations/{pid}/renew`, on the version shown.
pub async fn renew(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    path: web::Path<(String, String)>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let (id, pid) = preservation_of(&state, visitor, &path).await?;
    let names = ["effective_date", "expires_on", "note"];
    let version = form.text("version").parse::<i32>().ok();
    let mut r = Reader::new(&form);
    let effective_date = r.required_date("effective_date");
    let expires_on = r.required_date("expires_on");
    let note = r.text("note");
    let body = effective_date
        .zip(expires_on)
        .map(|(effective_date, expires_on)| Renewal {
            effective_date,
            expires_on,
            note,
        });
    let form_kind = Form::Renew(pid);
    let body = match r.finish(body) {
        Ok(body) => body,
        Err(errors) => {
            return invalid(&state, visitor, id, form_kind, &form, &names, &errors).await;
        }
    };
    let outcome = state
        .services
        .renew_preservation(signed_in.user.id, pid, version, body)
        .await;
    term_outcome(
        &state,
        visitor,
        id,
        form_kind,
        &form,
        &names,
        outcome.map(drop),
    )
    .await
}

/// `POST /requests/{id}/preservations/{pid}/release`, on the version shown.
pub async fn release(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    path: web::Path<(String, String)>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let (id, pid) = preservation_of(&state, visitor, &path).await?;
    let names = ["effective_date", "note"];
    let version = form.text("version").parse::<i32>().ok();
    let mut r = Reader::new(&form);
    let effective_date = r.date("effective_date");
    let note = r.text("note");
    let form_kind = Form::Release(pid);
    let body = match r.finish(Some(Release {
        effective_date,
        note,
    })) {
        Ok(body) => body,
        Err(errors) => {
            return invalid(&state, visitor, id, form_kind, &form, &names, &errors).await;
        }
    };
    let outcome = state
        .services
        .release_preservation(signed_in.user.id, pid, version, body)
        .await;
    term_outcome(
        &state,
        visitor,
        id,
        form_kind,
        &form,
        &names,
        outcome.map(drop),
    )
    .await
}

/// What a renewal or a release came to, as the page shows it.
async fn term_outcome(
    state: &AppState,
    visitor: &Visitor,
    id: uuid::Uuid,
    form_kind: Form,
    form: &FormFields,
    names: &[&str],
    outcome: Result<(), Error>,
) -> Result<HttpResponse, WebError> {
    let t = visitor.tr();
    match outcome {
        Ok(()) => Ok(back(id, "preservations")),
        Err(Error::Validation(errors)) => {
            invalid(state, visitor, id, form_kind, form, names, &errors).await
        }
        Err(Error::Conflict(_)) => {
            let message = t.preservation_released_already();
            conflict(state, visitor, id, form_kind, message).await
        }
        Err(Error::PreconditionFailed { .. }) => {
            let message = t.preservation_changed();
            conflict(state, visitor, id, form_kind, message).await
        }
        Err(Error::NotFound(_)) => Err(visitor.not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}
