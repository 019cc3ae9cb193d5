//! What the request page records: a move to another status (with exactly
//! what that move needs: a reason to abandon, a ground to refuse) and a
//! note. Each goes through the service the API's `POST
//! /requests/{id}/transitions` and `/notes` call, on the version the page
//! showed: if the request changed meanwhile, nothing is recorded.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value};

use super::error::{WebError, see_other};
use super::register::{Refused, request_page};
use super::session::{FormFields, SignedIn};
use crate::domain::FieldErrors;
use crate::domain::transition::TransitionCommand;
use crate::http::auth::WriteCases;
use crate::http::state::AppState;
use crate::services::Error;
use crate::services::requests::NewNote;

/// A form's non-empty fields among `names`, as a JSON object.
fn object(form: &FormFields, names: &[&str]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|&name| {
            let value = form.get(name)?.trim();
            (!value.is_empty()).then(|| (name.to_string(), Value::String(value.to_string())))
        })
        .collect()
}

/// What a body that does not even parse says, by field: each required
/// field that is missing, and otherwise the field serde names.
fn parse_errors(form: &FormFields, required: &[&str], e: &serde_json::Error) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for name in required {
        if form.get(name).is_none_or(|v| v.trim().is_empty()) {
            errors.add(*name, "is required");
        }
    }
    if errors.is_empty() {
        let message = e.to_string();
        let field = [
            "effective_date",
            "abandonment_reason",
            "refusal_ground",
            "to",
        ]
        .into_iter()
        .find(|f| message.contains(f))
        .unwrap_or("effective_date");
        errors.add(field, message);
    }
    errors
}

/// `POST /requests/{id}/transitions`.
pub async fn transition(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let not_found = || visitor.not_found();
    let request_id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    let version = form.text("version").parse::<i32>().ok();
    let fields = [
        "to",
        "effective_date",
        "note",
        "abandonment_reason",
        "refusal_ground",
    ];
    let refused = |errors: FieldErrors| Refused {
        to: Some(form.text("to")),
        errors,
        date: form.text("effective_date"),
        note: form.text("note"),
        ..Refused::default()
    };
    let command =
        match serde_json::from_value::<TransitionCommand>(Value::Object(object(&form, &fields))) {
            Ok(command) => command,
            Err(e) => {
                let errors = parse_errors(&form, &["effective_date"], &e);
                return request_page(
                    &state,
                    visitor,
                    &id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    refused(errors),
                )
                .await;
            }
        };
    let outcome = state
        .services
        .transition_request(signed_in.user.id, request_id, version, command)
        .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/requests/{request_id}#history")).finish()),
        Err(Error::Validation(errors)) => {
            request_page(
                &state,
                visitor,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused(errors),
            )
            .await
        }
        Err(
            Error::PreconditionFailed { .. }
            | Error::TransitionNotAllowed { .. }
            | Error::Conflict(_),
        ) => {
            let changed = Refused {
                alert: Some(t.move_conflict()),
                ..Refused::default()
            };
            request_page(&state, visitor, &id, StatusCode::CONFLICT, changed).await
        }
        Err(Error::NotFound(_)) => Err(not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// `POST /requests/{id}/notes`.
pub async fn note(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let not_found = || visitor.not_found();
    let request_id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    let refused = |errors: FieldErrors| Refused {
        errors,
        note_form: true,
        ..Refused::default()
    };
    let note = match serde_json::from_value::<NewNote>(Value::Object(object(&form, &["text"]))) {
        Ok(note) => note,
        Err(e) => {
            let errors = parse_errors(&form, &["text"], &e);
            return request_page(
                &state,
                visitor,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused(errors),
            )
            .await;
        }
    };
    match state
        .services
        .add_note(signed_in.user.id, request_id, note)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/requests/{request_id}#history")).finish()),
        Err(Error::Validation(errors)) => {
            request_page(
                &state,
                visitor,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused(errors),
            )
            .await
        }
        Err(Error::NotFound(_)) => Err(not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}
