//! `/requests`: the register itself.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::events::Event;
use crate::db::requests::{Filters, SortKey};
use crate::domain::link::{NewLink, RequestLink};
use crate::domain::milestone::MilestoneCommand;
use crate::domain::request::MlaRequest;
use crate::domain::transition::TransitionCommand;
use crate::domain::{CountryCode, FieldErrors, LegalBasis, Priority, Status};
use crate::http::auth::{Authorized, ReadCases, WriteCases};
use crate::http::error::ApiError;
use crate::http::extract::{
    IfMatchOptional, IfMatchRequired, JsonBody, JsonObject, RecordId, etag, if_match, parse_id,
};
use crate::http::params::{Limit, ParamGroup, Params, from_str};
use crate::http::routing::{self as routing, Routes};
use crate::http::state::AppState;
use crate::services::requests::{ListQuery, NewNote, RequestPage};

pub fn routes(r: &mut Routes) {
    r.add("/requests", [routing::get(list), routing::post(create)])
        .add("/requests/{id}", [routing::get(get), routing::patch(patch)])
        .add("/requests/{id}/transitions", [routing::post(transition)])
        .add("/requests/{id}/milestones", [routing::post(milestone)])
        .add("/requests/{id}/notes", [routing::post(add_note)])
        .add("/requests/{id}/links", [routing::post(add_link)])
        .add(
            "/requests/{id}/links/{link_id}",
            [routing::delete(remove_link)],
        )
        .add("/requests/{id}/events", [routing::get(list_events)]);
}

fn record_response(
    mut response: actix_web::HttpResponseBuilder,
    record: &MlaRequest,
) -> HttpResponse {
    response.insert_header(etag(record.version)).json(record)
}

/// Register a request (a draft, or one already sent)
#[utoipa::path(
    post, path = "/api/v1/requests", operation_id = "createRequest", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    request_body(content = ref("#/components/schemas/NewRequest"),
                 content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = MlaRequest,
         headers(("ETag"), ("Location")),
         links(
            ("getRequest" = (operation_id = "getRequest", parameters(("id" = "$response.body#/id")))),
            ("patchRequest" = (operation_id = "patchRequest", parameters(
                ("id" = "$response.body#/id"), ("If-Match" = "$response.header.ETag")))),
            ("transitionRequest" = (operation_id = "transitionRequest", parameters(("id" = "$response.body#/id")))),
            ("recordMilestone" = (operation_id = "recordMilestone", parameters(("id" = "$response.body#/id")))),
            ("addNote" = (operation_id = "addNote", parameters(("id" = "$response.body#/id")))),
            ("addLink" = (operation_id = "addLink", parameters(("id" = "$response.body#/id")))),
            ("listEvents" = (operation_id = "listEvents", parameters(("id" = "$response.body#/id")))),
            ("getCase" = (operation_id = "getCase", parameters(("id" = "$response.body#/case_id")))),
            ("addFollowUp" = (operation_id = "addFollowUp", parameters(("id" = "$response.body#/id")))),
            ("snoozeRequest" = (operation_id = "snoozeRequest", parameters(("id" = "$response.body#/id")))),
            ("unsnoozeRequest" = (operation_id = "unsnoozeRequest", parameters(("id" = "$response.body#/id")))),
         )),
        (status = 409, description = "The reference is taken"),
    )
)]
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

/// One request
#[utoipa::path(
    get, path = "/api/v1/requests/{id}", operation_id = "getRequest", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    responses((status = 200, description = "The request", body = MlaRequest, headers(("ETag"))))
)]
async fn get(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let record = state.services.get_request(id).await?;
    Ok(record_response(HttpResponse::Ok(), &record))
}

/// Change descriptive fields (JSON merge patch)
#[utoipa::path(
    patch, path = "/api/v1/requests/{id}", operation_id = "patchRequest", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId, IfMatchRequired),
    request_body(content = ref("#/components/schemas/RequestPatch"),
                 content_type = "application/json"),
    responses(
        (status = 200, description = "The changed request", body = MlaRequest, headers(("ETag"))),
        (status = 400, description = "If-Match is not an ETag of this API"),
        (status = 412, description = "The record changed since that version: `error.current_version`"),
        (status = 428, description = "If-Match is missing"),
    )
)]
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

/// Move the request to another status
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/transitions", operation_id = "transitionRequest",
    tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId, IfMatchOptional),
    request_body = TransitionCommand,
    responses(
        (status = 200, description = "The moved request", body = MlaRequest, headers(("ETag"))),
        (status = 400, description = "If-Match is not an ETag of this API"),
        (status = 409, description = "The status table does not allow it: `error.allowed`"),
        (status = 412, description = "The record changed since the If-Match version"),
    )
)]
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

/// Record the requested state's receipt, recognition decision or extension
///
/// Dates its acts that do not change the status; the rules count from them
/// (an EIO's 30 days from receipt, 90 from recognition). Recording one
/// again corrects it; the history keeps both.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/milestones", operation_id = "recordMilestone",
    tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId, IfMatchOptional),
    request_body = MilestoneCommand,
    responses(
        (status = 200, description = "The request with the new date", body = MlaRequest, headers(("ETag"))),
        (status = 400, description = "If-Match is not an ETag of this API"),
        (status = 409, description = "The request has not been sent"),
        (status = 412, description = "The record changed since the If-Match version"),
    )
)]
async fn milestone(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<MilestoneCommand>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let expected = if_match(&req)?;
    let record = state
        .services
        .record_milestone(auth.user.id, id, expected, body.0)
        .await?;
    Ok(record_response(HttpResponse::Ok(), &record))
}

/// Add a note to the history
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/notes", operation_id = "addNote", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    request_body = NewNote,
    responses((status = 201, description = "The note's event", body = Event))
)]
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

/// Link the request to another
///
/// `{"kind": "supersedes", "to": B}`: this request supersedes B. At most
/// one link joins two requests; both histories record it.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/links", operation_id = "addLink", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    request_body = NewLink,
    responses(
        (status = 201, description = "The link, as this request shows it", body = RequestLink,
         links(
            ("removeLink" = (operation_id = "removeLink", parameters(
                ("id" = "$request.path.id"), ("link_id" = "$response.body#/id")))),
         )),
        (status = 409, description = "The two requests are already linked"),
    )
)]
async fn add_link(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    id: web::Path<String>,
    body: JsonBody<NewLink>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let link = state.services.add_link(auth.user.id, id, body.0).await?;
    Ok(HttpResponse::Created().json(link))
}

/// The `{id}` and `{link_id}` of a link's path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct LinkPath {
    /// The request's id (either end of the link)
    #[param(format = Uuid)]
    id: String,
    /// The link's id
    #[param(format = Uuid)]
    link_id: String,
}

/// Remove a link
///
/// From either end; both histories record it.
#[utoipa::path(
    delete, path = "/api/v1/requests/{id}/links/{link_id}", operation_id = "removeLink",
    tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(LinkPath),
    responses((status = 200, description = "This request's `unlinked` event", body = Event))
)]
async fn remove_link(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, link_id) = path.into_inner();
    let id = parse_id("request", &id)?;
    let link_id = parse_id("link", &link_id)?;
    let event = state
        .services
        .remove_link(auth.user.id, id, link_id)
        .await?;
    Ok(HttpResponse::Ok().json(event))
}

/// A request's history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EventList {
    /// Oldest first.
    pub items: Vec<Event>,
}

/// The request's history, oldest first
#[utoipa::path(
    get, path = "/api/v1/requests/{id}/events", operation_id = "listEvents", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    responses((status = 200, description = "The events", body = EventList))
)]
async fn list_events(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("request", &id)?;
    let items = state.services.request_events(id).await?;
    Ok(HttpResponse::Ok().json(EventList { items }))
}

/// The list's filters and order (the export takes them too).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilters {
    /// Only these statuses
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    status: Vec<Status>,
    /// Only this target country
    #[param(value_type = CountryCode, inline, required = false)]
    country: Option<CountryCode>,
    /// Only this priority
    #[param(value_type = Priority, inline, required = false)]
    priority: Option<Priority>,
    /// Only this legal basis
    #[param(value_type = LegalBasis, inline, required = false)]
    legal_basis: Option<LegalBasis>,
    /// Words in the reference, case reference, title or foreign reference
    #[param(value_type = String, required = false, max_length = 200, pattern = r"^[^\u0000]*$")]
    q: Option<SearchText>,
    /// Sent on or after
    #[param(value_type = String, format = Date, required = false)]
    sent_from: Option<NaiveDate>,
    /// Sent on or before (not before sent_from)
    #[param(value_type = String, format = Date, required = false)]
    sent_to: Option<NaiveDate>,
    /// Sort key, `-` for descending (default -created_at)
    #[param(value_type = Sort, inline, required = false)]
    sort: Option<Sort>,
}

/// The list's page: its size and where it starts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size (default 50)
    #[param(value_type = u32, minimum = 1, maximum = 200, required = false)]
    limit: Option<Limit<MAX_LIMIT>>,
    /// `next_cursor` of the previous page, same sort
    #[param(value_type = String, required = false, max_length = 1000, pattern = r"^[^\u0000]*$")]
    cursor: Option<String>,
}

/// The list's parameters: its filters and order, then its page.
pub type ListParams = (ListFilters, PageParams);

impl ListFilters {
    /// The filters, the sort key and whether it is descending.
    pub fn into_parts(self) -> (Filters, SortKey, bool) {
        let sort = self.sort.unwrap_or(Sort {
            key: SortKey::CreatedAt,
            descending: true,
        });
        let filters = Filters {
            statuses: self.status,
            country: self.country,
            priority: self.priority,
            legal_basis: self.legal_basis,
            q: self.q.map(|q| q.0).filter(|q| !q.is_empty()),
            sent_from: self.sent_from,
            sent_to: self.sent_to,
        };
        (filters, sort.key, sort.descending)
    }
}

/// The query the list service runs (also what the register page asks).
pub fn list_query((filters, page): ListParams) -> ListQuery {
    let (filters, sort, descending) = filters.into_parts();
    ListQuery {
        filters,
        sort,
        descending,
        limit: page.limit.map_or(DEFAULT_LIMIT, |l| l.0).into(),
        cursor: page.cursor,
    }
}

/// What a name neither group declares is told.
const NOT_A_FILTER: &str = "is not a filter of this list";

impl ParamGroup for ListFilters {
    const UNKNOWN: &'static str = NOT_A_FILTER;

    fn check(&self, _today: NaiveDate, errors: &mut FieldErrors) {
        if let (Some(from), Some(to)) = (self.sent_from, self.sent_to)
            && from > to
        {
            errors.add("sent_to", "must not be before sent_from");
        }
    }
}

impl ParamGroup for PageParams {
    const UNKNOWN: &'static str = NOT_A_FILTER;
}

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

/// Searched words: at most 200 characters, compared lower-cased.
#[derive(Debug, Clone)]
pub struct SearchText(pub String);

impl std::str::FromStr for SearchText {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.chars().count() > 200 {
            Err("must be at most 200 characters long")
        } else {
            Ok(SearchText(s.to_lowercase()))
        }
    }
}

/// A sort key, `-` in front for descending order.
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    key: SortKey,
    descending: bool,
}

impl std::str::FromStr for Sort {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, s),
        };
        serde_json::from_value::<SortKey>(serde_json::Value::String(name.to_string()))
            .map(|key| Sort { key, descending })
            .map_err(|_| {
                "must be one of status_since, sent_at, created_at, reference, optionally prefixed with -"
            })
    }
}

impl<'de> Deserialize<'de> for Sort {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

impl<'de> Deserialize<'de> for SearchText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

/// In the OpenAPI document: every key, ascending or descending.
impl utoipa::PartialSchema for Sort {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some([
                "status_since",
                "-status_since",
                "sent_at",
                "-sent_at",
                "created_at",
                "-created_at",
                "reference",
                "-reference",
            ]))
            .into()
    }
}

impl utoipa::ToSchema for Sort {}

/// A page of requests, filtered and sorted
#[utoipa::path(
    get, path = "/api/v1/requests", operation_id = "listRequests", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(ListFilters, PageParams),
    responses(
        (status = 200, description = "A page", body = RequestPage,
         links(
            ("getRequest" = (operation_id = "getRequest", parameters(("id" = "$response.body#/items/0/id")))),
            ("listEvents" = (operation_id = "listEvents", parameters(("id" = "$response.body#/items/0/id")))),
            ("addNote" = (operation_id = "addNote", parameters(("id" = "$response.body#/items/0/id")))),
            ("transitionRequest" = (operation_id = "transitionRequest", parameters(("id" = "$response.body#/items/0/id")))),
         )),
        (status = 400, description = "The cursor is malformed or belongs to another sort"),
    )
)]
async fn list(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    params: Params<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = list_query(params.0);
    let page = state.services.list_requests(query).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::params::parse;

    fn today() -> NaiveDate {
        "2026-06-15".parse().unwrap()
    }

    #[test]
    fn list_query_accepts_repeated_and_comma_separated_statuses() {
        let q: ListParams = parse(
            "status=sent&status=acknowledged,executed&country=ph&sort=-sent_at&limit=20",
            today(),
        )
        .unwrap();
        assert_eq!(
            q.0.status,
            vec![Status::Sent, Status::Acknowledged, Status::Executed]
        );
        assert_eq!(q.0.country.unwrap().as_str(), "PH");
        let sort = q.0.sort.unwrap();
        assert_eq!((sort.key, sort.descending), (SortKey::SentAt, true));
        assert_eq!(q.1.limit.map(|l| l.0), Some(20));
    }

    #[test]
    fn list_query_names_bad_parameters() {
        let e = parse::<ListParams>("status=lost&limit=500&colour=red&sort=title", today())
            .unwrap_err();
        let keys: Vec<_> = e.0.keys().cloned().collect();
        assert_eq!(keys, ["colour", "limit", "sort", "status"]);
    }
}
