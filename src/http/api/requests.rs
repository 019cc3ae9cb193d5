//! `/requests`: the register itself.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::json;

use crate::db::requests::{Filters, SortKey};
use crate::domain::request::MlaRequest;
use crate::domain::transition::TransitionCommand;
use crate::domain::{CountryCode, FieldErrors, LegalBasis, Priority, Status};
use crate::http::auth::{Authorized, ReadCases, WriteCases};
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, JsonObject, etag, if_match, parse_id, parsed};
use crate::http::routing::{self as routing, Routes};
use crate::http::state::AppState;
use crate::services::requests::{ListQuery, NewNote};

pub fn routes(r: &mut Routes) {
    r.add("/requests", [routing::get(list), routing::post(create)])
        .add("/requests/{id}", [routing::get(get), routing::patch(patch)])
        .add("/requests/{id}/transitions", [routing::post(transition)])
        .add("/requests/{id}/notes", [routing::post(add_note)])
        .add("/requests/{id}/events", [routing::get(list_events)]);
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
    let record = state.services.create_request(auth.user.id, body.0).await?;
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
    let record = state.services.get_request(id).await?;
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
    let record = state
        .services
        .update_request(auth.user.id, id, expected, body.0)
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
    let record = state
        .services
        .transition_request(auth.user.id, id, expected, body.0)
        .await?;
    Ok(record_response(HttpResponse::Ok(), &record))
}

async fn add_note(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
    body: JsonBody<NewNote>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let event = state.services.add_note(auth.user.id, id, body.0).await?;
    Ok(HttpResponse::Created().json(event))
}

async fn list_events(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let events = state.services.request_events(id).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": events })))
}

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

async fn list(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = parse_list_query(req.query_string())?;
    let page = state.services.list_requests(query).await?;
    Ok(HttpResponse::Ok().json(page))
}

fn parse_list_query(query_string: &str) -> Result<ListQuery, ApiError> {
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
                match serde_json::from_value::<SortKey>(serde_json::Value::String(name.to_string())) {
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
    Ok(ListQuery {
        filters,
        sort: sort.0,
        descending: sort.1,
        limit,
        cursor,
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
}
