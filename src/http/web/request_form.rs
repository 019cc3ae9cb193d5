//! Recording a request (`/requests/new`) and editing one
//! (`/requests/{id}/edit`). The inputs are named as the API's fields
//! (`issuing_magistrate.name`), and a submitted form becomes the JSON body
//! the API would have received, for the same service method: one
//! vocabulary, one set of rules. An edit carries the version it was made
//! on; if the request changed meanwhile, nothing is written and the
//! conflict page shows what differs.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value};

use super::choice::Choice;
use super::error::{WebError, see_other};
use super::field_errors::by_field;
use super::i18n::{Tr, countries_by_name};
use super::layout::Chrome;
use super::session::{FormFields, SignedIn, Visitor};
use crate::domain::request::MlaRequest;
use crate::domain::{
    Channel, Facilitator, FieldErrors, Language, LegalBasis, Measure, Offence, Priority,
};
use crate::http::auth::WriteCases;
use crate::http::state::AppState;
use crate::services::Error;

/// How a field is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Widget {
    Text,
    Email,
    Date,
    Select,
    Checkboxes,
}

/// A message of the page, as a method of [`Tr`].
type Label = fn(&Tr) -> &'static str;
/// The choices of a select box or a group of checkboxes: (value, label).
type Options = fn(Language) -> Vec<(String, String)>;

/// One field of the form, as declared.
struct Spec {
    name: &'static str,
    label: Label,
    widget: Widget,
    required: bool,
    hint: Option<Label>,
    /// The choices of a select or a group of checkboxes: (value, label).
    options: Option<Options>,
    /// Shown on the edit form too (a request's sending date is a move, not an edit).
    editable: bool,
}

const fn field(name: &'static str, label: Label, widget: Widget) -> Spec {
    Spec {
        name,
        label,
        widget,
        required: false,
        hint: None,
        options: None,
        editable: true,
    }
}

fn vocabulary<T: Copy + 'static>(
    all: &'static [T],
    value: fn(T) -> &'static str,
    label: fn(T, Language) -> &'static str,
) -> impl Fn(Language) -> Vec<(String, String)> {
    move |l| {
        all.iter()
            .map(|&v| (value(v).to_string(), label(v, l).to_string()))
            .collect()
    }
}

fn countries(l: Language) -> Vec<(String, String)> {
    countries_by_name(l)
        .iter()
        .map(|(c, n)| (c.as_str().to_string(), n.clone()))
        .collect()
}
fn channels(l: Language) -> Vec<(String, String)> {
    vocabulary(Channel::ALL, Channel::as_str, Channel::label)(l)
}
fn bases(l: Language) -> Vec<(String, String)> {
    vocabulary(LegalBasis::ALL, LegalBasis::as_str, LegalBasis::label)(l)
}
fn priorities(l: Language) -> Vec<(String, String)> {
    vocabulary(Priority::ALL, Priority::as_str, Priority::label)(l)
}
fn offences(l: Language) -> Vec<(String, String)> {
    vocabulary(Offence::ALL, Offence::as_str, Offence::label)(l)
}
fn measures(l: Language) -> Vec<(String, String)> {
    vocabulary(Measure::ALL, Measure::as_str, Measure::label)(l)
}
fn facilitators(l: Language) -> Vec<(String, String)> {
    vocabulary(Facilitator::ALL, Facilitator::as_str, Facilitator::label)(l)
}

/// The form, group by group: (legend, fields).
fn groups() -> Vec<(Label, Vec<Spec>)> {
    use Widget::*;
    vec![
        (
            Tr::group_case,
            vec![
                Spec {
                    required: true,
                    hint: Some(Tr::hint_case_reference),
                    ..field("case_reference", Tr::field_case, Text)
                },
                Spec {
                    required: true,
                    ..field("title", Tr::field_title, Text)
                },
                Spec {
                    options: Some(priorities),
                    ..field("priority", Tr::field_priority, Select)
                },
            ],
        ),
        (
            Tr::group_magistrate,
            vec![
                Spec {
                    required: true,
                    ..field("issuing_magistrate.name", Tr::field_magistrate_name, Text)
                },
                field("issuing_magistrate.court", Tr::field_court, Text),
                field(
                    "issuing_magistrate.email",
                    Tr::field_magistrate_email,
                    Email,
                ),
            ],
        ),
        (
            Tr::group_destination,
            vec![
                Spec {
                    required: true,
                    options: Some(countries),
                    ..field("target_country", Tr::field_country, Select)
                },
                field("requested_authority", Tr::field_authority, Text),
                Spec {
                    options: Some(channels),
                    ..field("channel", Tr::field_channel, Select)
                },
                Spec {
                    options: Some(facilitators),
                    ..field("facilitators", Tr::field_facilitators, Checkboxes)
                },
                Spec {
                    options: Some(bases),
                    ..field("legal_basis", Tr::field_legal_basis, Select)
                },
                field("legal_basis_detail", Tr::field_legal_basis_detail, Text),
                field("foreign_reference", Tr::field_foreign_reference, Text),
                field("coordinator_email", Tr::field_coordinator, Email),
            ],
        ),
        (
            Tr::group_content,
            vec![
                Spec {
                    options: Some(offences),
                    ..field("offences", Tr::field_offences, Checkboxes)
                },
                Spec {
                    options: Some(measures),
                    ..field("measures", Tr::field_measures, Checkboxes)
                },
            ],
        ),
        (
            Tr::group_dates,
            vec![
                field("needed_by", Tr::field_needed_by, Date),
                Spec {
                    hint: Some(Tr::hint_sent_at),
                    editable: false,
                    ..field("sent_at", Tr::field_sent_at, Date)
                },
            ],
        ),
    ]
}

/// A field as the template shows it.
pub struct Shown {
    pub name: &'static str,
    /// Its element id (dots are not welcome in fragment links).
    pub id: String,
    pub label: &'static str,
    pub kind: &'static str,
    pub required: bool,
    pub hint: Option<&'static str>,
    pub value: String,
    pub options: Vec<Choice>,
    pub errors: Vec<&'static str>,
}

pub struct Group {
    pub legend: &'static str,
    pub fields: Vec<Shown>,
}

#[derive(Template)]
#[template(path = "request_form.html")]
struct FormPage {
    chrome: Chrome,
    action: String,
    cancel: String,
    version: Option<i32>,
    groups: Vec<Group>,
    /// (label, element id, messages) of each field in error, for the summary.
    summary: Vec<(&'static str, String, String)>,
}

/// The values a form shows: what was typed, or the record's.
type Values = BTreeMap<String, Vec<String>>;

fn shown_form(
    t: Tr,
    editing: bool,
    values: &Values,
    errors: &BTreeMap<String, Vec<&'static str>>,
) -> (Vec<Group>, Vec<(&'static str, String, String)>) {
    let mut summary = Vec::new();
    let groups = groups()
        .into_iter()
        .map(|(legend, specs)| Group {
            legend: legend(&t),
            fields: specs
                .into_iter()
                .filter(|s| s.editable || !editing)
                .map(|s| {
                    let given = values.get(s.name).cloned().unwrap_or_default();
                    let id = format!("field-{}", s.name.replace('.', "-"));
                    let errors = errors.get(s.name).cloned().unwrap_or_default();
                    if !errors.is_empty() {
                        summary.push(((s.label)(&t), id.clone(), errors.join(" ")));
                    }
                    Shown {
                        name: s.name,
                        label: (s.label)(&t),
                        kind: match s.widget {
                            Widget::Text => "text",
                            Widget::Email => "email",
                            Widget::Date => "date",
                            Widget::Select => "select",
                            Widget::Checkboxes => "checkboxes",
                        },
                        required: s.required,
                        hint: s.hint.map(|h| h(&t)),
                        value: given.first().cloned().unwrap_or_default(),
                        options: s
                            .options
                            .map(|o| o(t.language))
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(value, label)| Choice {
                                selected: given.contains(&value),
                                value,
                                label,
                            })
                            .collect(),
                        errors,
                        id,
                    }
                })
                .collect(),
        })
        .collect();
    (groups, summary)
}

/// What the form sent, by field.
fn typed(form: &FormFields) -> Values {
    let mut values = Values::new();
    for (name, value) in &form.0 {
        values.entry(name.clone()).or_default().push(value.clone());
    }
    values
}

/// The JSON body a submitted form stands for. On a new request, empty
/// fields are left out; on an edit, an emptied field is `null` (cleared),
/// as a merge patch says it.
fn body(form: &FormFields, editing: bool) -> Map<String, Value> {
    let mut body = Map::new();
    for (_, specs) in groups() {
        for spec in specs.iter().filter(|s| s.editable || !editing) {
            let value = if spec.widget == Widget::Checkboxes {
                let all: Vec<Value> = form
                    .all(spec.name)
                    .into_iter()
                    .map(|v| Value::String(v.into()))
                    .collect();
                if all.is_empty() && !editing {
                    continue;
                } else {
                    Value::Array(all)
                }
            } else {
                match form.get(spec.name).map(str::trim) {
                    Some(v) if !v.is_empty() => Value::String(v.to_string()),
                    _ if editing => Value::Null,
                    _ => continue,
                }
            };
            match spec.name.split_once('.') {
                Some((outer, inner)) => {
                    let nested = body
                        .entry(outer)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(nested) = nested {
                        nested.insert(inner.to_string(), value);
                    }
                }
                None => {
                    body.insert(spec.name.to_string(), value);
                }
            }
        }
    }
    if editing {
        // A magistrate's name is required: an emptied name is an empty
        // string the rules refuse, not a cleared object.
        if let Some(Value::Object(m)) = body.get_mut("issuing_magistrate")
            && m.get("name").is_some_and(Value::is_null)
        {
            m.insert("name".into(), Value::String(String::new()));
        }
    }
    body
}

/// The form values of a record.
fn values_of(request: &MlaRequest) -> Values {
    let mut values = Values::new();
    let mut record = serde_json::to_value(&request.fields).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut record {
        m.insert(
            "case_reference".into(),
            Value::String(request.case_reference.clone()),
        );
    }
    for (_, specs) in groups() {
        for spec in specs {
            let found = spec.name.split('.').try_fold(&record, |v, key| v.get(key));
            let texts: Vec<String> = match found {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(String::from))
                    .collect(),
                _ => continue,
            };
            values.insert(spec.name.to_string(), texts);
        }
    }
    values
}

fn form_page(
    visitor: &Visitor,
    status: StatusCode,
    editing: Option<(&MlaRequest, i32)>,
    values: &Values,
    errors: &FieldErrors,
) -> HttpResponse {
    let t = visitor.tr();
    let by_field = by_field(t, errors);
    let (groups, summary) = shown_form(t, editing.is_some(), values, &by_field);
    let (title, action, cancel, version) = match editing {
        Some((request, version)) => (
            format!("{} · {}", t.edit_request(), request.reference),
            format!("/requests/{}/edit", request.id),
            format!("/requests/{}", request.id),
            Some(version),
        ),
        None => (
            t.new_request().to_string(),
            "/requests/new".to_string(),
            "/requests".to_string(),
            None,
        ),
    };
    let page = FormPage {
        chrome: visitor.chrome(&title),
        action,
        cancel,
        version,
        groups,
        summary,
    };
    visitor.page(status, &page)
}

/// `GET /requests/new`.
pub async fn new_form(signed_in: SignedIn<WriteCases>) -> HttpResponse {
    let values = Values::from([("priority".to_string(), vec!["normal".to_string()])]);
    form_page(
        &signed_in.visitor,
        StatusCode::OK,
        None,
        &values,
        &FieldErrors::default(),
    )
}

/// `POST /requests/new`.
pub async fn create(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    match state
        .services
        .create_request(signed_in.user.id, body(&form, false))
        .await
    {
        Ok(created) => Ok(see_other(&format!("/requests/{}", created.id)).finish()),
        Err(Error::Validation(errors)) => Ok(form_page(
            visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            &typed(&form),
            &errors,
        )),
        Err(Error::Conflict(message)) => {
            let errors = FieldErrors::one("case_reference", message);
            Ok(form_page(
                visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &typed(&form),
                &errors,
            ))
        }
        Err(e) => Err(WebError::service(e, visitor.language)),
    }
}

async fn existing(state: &AppState, visitor: &Visitor, id: &str) -> Result<MlaRequest, WebError> {
    let t = visitor.tr();
    let not_found = || visitor.not_found();
    let id = id.parse::<uuid::Uuid>().map_err(|_| not_found())?;
    match state.services.get_request(id).await {
        Ok(request) => Ok(request),
        Err(Error::NotFound(_)) => Err(not_found()),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// `GET /requests/{id}/edit`.
pub async fn edit_form(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let request = existing(&state, visitor, &id).await?;
    let values = values_of(&request);
    Ok(form_page(
        visitor,
        StatusCode::OK,
        Some((&request, request.version)),
        &values,
        &FieldErrors::default(),
    ))
}

#[derive(Template)]
#[template(path = "conflict.html")]
struct ConflictPage {
    chrome: Chrome,
    id: String,
    /// (field, what was typed, what it is now) where they differ.
    differences: Vec<(&'static str, String, String)>,
}

/// `POST /requests/{id}/edit`.
pub async fn update(
    state: web::Data<AppState>,
    signed_in: SignedIn<WriteCases>,
    id: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let request = existing(&state, visitor, &id).await?;
    let Ok(version) = form.text("version").parse::<i32>() else {
        return Ok(form_page(
            visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((&request, request.version)),
            &typed(&form),
            &FieldErrors::one("version", "is required"),
        ));
    };
    let outcome = state
        .services
        .update_request(signed_in.user.id, request.id, version, body(&form, true))
        .await;
    match outcome {
        Ok(updated) => Ok(see_other(&format!("/requests/{}", updated.id)).finish()),
        Err(Error::Validation(errors)) => Ok(form_page(
            visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((&request, version)),
            &typed(&form),
            &errors,
        )),
        Err(Error::PreconditionFailed { .. }) => {
            let now = values_of(&request);
            let typed = typed(&form);
            let differences = groups()
                .into_iter()
                .flat_map(|(_, specs)| specs)
                .filter(|s| s.editable)
                .filter_map(|s| {
                    let yours = words(t, &s, typed.get(s.name));
                    let theirs = words(t, &s, now.get(s.name));
                    (yours != theirs).then(|| ((s.label)(&t), yours, theirs))
                })
                .collect();
            let page = ConflictPage {
                chrome: visitor.chrome(t.conflict_title()),
                id: request.id.to_string(),
                differences,
            };
            Ok(visitor.page(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// A field's values in words (labels for codes).
fn words(t: Tr, spec: &Spec, values: Option<&Vec<String>>) -> String {
    let values: Vec<&str> = values
        .map(|v| {
            v.iter()
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
                .collect()
        })
        .unwrap_or_default();
    let options = spec.options.map(|o| o(t.language)).unwrap_or_default();
    let said: Vec<String> = values
        .iter()
        .map(|v| {
            options
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(v))
                .map_or_else(|| v.to_string(), |(_, label)| label.clone())
        })
        .collect();
    if said.is_empty() {
        "—".into()
    } else {
        said.join(", ")
    }
}
