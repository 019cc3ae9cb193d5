//! `/requests`: the register itself.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, JsonObject, etag, if_match, parse_id, parsed};
use super::{self as routes, Routes};
use crate::auth::{Authorized, ReadCases, WriteCases};
use crate::db::events;
use crate::db::requests::{self as store, Filters, PageQuery, Position, SortKey};
use crate::db::stored;
use crate::domain::request::{MlaRequest, NewRequest};
use crate::domain::transition::TransitionCommand;
use crate::domain::{CountryCode, FieldErrors, LegalBasis, Priority, Status, check_date};
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(r: &mut Routes) {
    r.add("/requests", [routes::get(list), routes::post(create)])
        .add("/requests/{id}", [routes::get(get), routes::patch(patch)])
        .add("/requests/{id}/transitions", [routes::post(transition)])
        .add("/requests/{id}/notes", [routes::post(add_note)])
        .add("/requests/{id}/events", [routes::get(list_events)]);
}

fn record_response(
    mut response: actix_web::HttpResponseBuilder,
    record: &MlaRequest,
) -> HttpResponse {
    response.insert_header(etag(record.version)).json(record)
}

async fn create(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    body: JsonObject,
) -> Result<HttpResponse, ApiError> {
    let year = chrono::Datelike::year(&state.clock.now());
    let new = NewRequest::from_json(body.0, state.clock.today()).map_err(ApiError::Validation)?;
    let actor = auth.user.id;
    let record = state
        .db
        .write(move |conn| store::insert(conn, new, actor, year))
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header(("Location", format!("/api/v1/requests/{}", record.id)));
    Ok(record_response(response, &record))
}

async fn get(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let record = state.db.read(move |conn| store::get(conn, id)).await?;
    Ok(record_response(HttpResponse::Ok(), &record))
}

async fn patch(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonObject,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let expected = if_match(&req)?.ok_or(ApiError::PreconditionRequired)?;
    let actor = auth.user.id;
    let today = state.clock.today();
    let record = state
        .db
        .write(move |conn| store::update_fields(conn, id, expected, body.0, actor, today))
        .await?;
    Ok(record_response(HttpResponse::Ok(), &record))
}

async fn transition(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<TransitionCommand>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let expected = if_match(&req)?;
    let cmd = body.0;
    // Field rules first: a malformed command is a 422 whatever the version
    // (found by fuzzing: a stale If-Match used to hide it behind a 412).
    FieldErrors::of(&cmd)
        .into_result()
        .map_err(ApiError::Validation)?;
    let actor = auth.user.id;
    let today = state.clock.today();
    let record = state
        .db
        .write(move |conn| store::record_transition(conn, id, expected, &cmd, actor, today))
        .await?;
    Ok(record_response(HttpResponse::Ok(), &record))
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    #[validate(length(min = 1, max = 10000))]
    #[schema(min_length = 1, max_length = 10000)]
    text: String,
    /// When what the note records happened; today when left out.
    #[serde(default)]
    effective_date: Option<NaiveDate>,
}

async fn add_note(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
    body: JsonBody<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let note = body.0;
    let mut errors = FieldErrors::of(&note);
    if note.text.trim().is_empty() {
        errors.add("text", "must not be blank");
    }
    let today = state.clock.today();
    if let Some(Err(message)) = note.effective_date.map(|d| check_date(d, today)) {
        errors.add("effective_date", message);
    }
    errors.into_result().map_err(ApiError::Validation)?;
    let actor = auth.user.id;
    let date = note.effective_date.unwrap_or(today.earliest);
    let event = state
        .db
        .write(move |conn| store::add_note(conn, id, actor, date, &note.text))
        .await?;
    Ok(HttpResponse::Created().json(event))
}

async fn list_events(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let events = state
        .db
        .read(move |conn| {
            store::get(conn, id)?;
            Ok(events::list(conn, id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": events })))
}

/// A page of requests and the cursor of the next one.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Page {
    items: Vec<MlaRequest>,
    next_cursor: Option<String>,
}

/// What a cursor carries: the query's sort, so a cursor cannot be replayed
/// against another order, and the position.
#[derive(Serialize, Deserialize)]
struct CursorData {
    sort: SortKey,
    desc: bool,
    #[serde(flatten)]
    position: Position,
}

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

async fn list(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = parse_list_query(req.query_string())?;
    let (sort, desc) = (query.sort, query.descending);
    let (items, next) = state.db.read(move |conn| store::page(conn, &query)).await?;
    let next_cursor = next.map(|position| {
        let data = serde_json::to_vec(&CursorData {
            sort,
            desc,
            position,
        })
        .expect("cursors serialise");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
    });
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

fn parse_list_query(query_string: &str) -> Result<PageQuery, ApiError> {
    let mut errors = FieldErrors::default();
    let mut filters = Filters::default();
    let mut sort = (SortKey::CreatedAt, true);
    let mut limit = DEFAULT_LIMIT;
    let mut cursor = None;
    for (key, value) in form_urlencoded::parse(query_string.as_bytes()) {
        let value = value.trim();
        if value.contains('\0') || key.contains('\0') {
            errors.add(key.replace('\0', ""), "must not contain NUL characters");
            continue;
        }
        match key.as_ref() {
            "status" if value.is_empty() => errors.add("status", "must not be empty"),
            "status" => {
                for part in value.split(',').filter(|p| !p.is_empty()) {
                    if let Some(s) = parsed::<Status>(&mut errors, "status", part) {
                        filters.statuses.push(s);
                    }
                }
            }
            "country" => match CountryCode::parse(value) {
                Ok(c) => filters.country = Some(c),
                Err(e) => errors.add("country", e),
            },
            "priority" => filters.priority = parsed::<Priority>(&mut errors, "priority", value),
            "legal_basis" => {
                filters.legal_basis = parsed::<LegalBasis>(&mut errors, "legal_basis", value)
            }
            "q" => {
                if value.chars().count() > 200 {
                    errors.add("q", "must be at most 200 characters long");
                } else if !value.is_empty() {
                    filters.q = Some(value.to_lowercase());
                }
            }
            "sent_from" => filters.sent_from = parsed::<NaiveDate>(&mut errors, "sent_from", value),
            "sent_to" => filters.sent_to = parsed::<NaiveDate>(&mut errors, "sent_to", value),
            "sort" => {
                let (desc, name) = match value.strip_prefix('-') {
                    Some(name) => (true, name),
                    None => (false, value),
                };
                match serde_json::from_value::<SortKey>(Value::String(name.to_string())) {
                    Ok(key) => sort = (key, desc),
                    Err(_) => errors.add(
                        "sort",
                        "must be one of status_since, sent_at, created_at, reference, optionally prefixed with -",
                    ),
                }
            }
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => errors.add(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ),
            },
            "cursor" => cursor = Some(value.to_string()),
            other => errors.add(other, "is not a filter of this list"),
        }
    }
    if let (Some(from), Some(to)) = (filters.sent_from, filters.sent_to)
        && from > to
    {
        errors.add("sent_to", "must not be before sent_from");
    }
    errors.into_result().map_err(ApiError::Validation)?;
    let after = match cursor {
        None => None,
        Some(text) => {
            let data: CursorData = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text.as_bytes())
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or_else(|| {
                    ApiError::BadRequest("the cursor is malformed; start again without it".into())
                })?;
            if (data.sort, data.desc) != sort {
                return Err(ApiError::BadRequest(
                    "the cursor belongs to another sort order; start again without it".into(),
                ));
            }
            stored::<Uuid>("cursor", &data.position.id).map_err(|_| {
                ApiError::BadRequest("the cursor is malformed; start again without it".into())
            })?;
            Some(data.position)
        }
    };
    Ok(PageQuery {
        filters,
        sort: sort.0,
        descending: sort.1,
        limit,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_accepts_repeated_and_comma_separated_statuses() {
        let q = parse_list_query(
            "status=sent&status=acknowledged,executed&country=ph&sort=-sent_at&limit=20",
        )
        .unwrap();
        assert_eq!(
            q.filters.statuses,
            vec![Status::Sent, Status::Acknowledged, Status::Executed]
        );
        assert_eq!(q.filters.country.unwrap().as_str(), "PH");
        assert_eq!((q.sort, q.descending, q.limit), (SortKey::SentAt, true, 20));
    }

    #[test]
    fn list_query_names_bad_parameters() {
        let Err(ApiError::Validation(e)) =
            parse_list_query("status=lost&limit=500&colour=red&sort=title")
        else {
            panic!("expected a validation error")
        };
        let keys: Vec<_> = e.0.keys().cloned().collect();
        assert_eq!(keys, ["colour", "limit", "sort", "status"]);
    }

    #[test]
    fn cursor_must_match_the_sort() {
        let data = CursorData {
            sort: SortKey::Reference,
            desc: false,
            position: Position {
                value: Some("A".into()),
                id: Uuid::nil().to_string(),
            },
        };
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&data).unwrap());
        assert!(parse_list_query(&format!("sort=reference&cursor={cursor}")).is_ok());
        assert!(matches!(
            parse_list_query(&format!("sort=-reference&cursor={cursor}")),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_list_query("cursor=garbage"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
