//! `/cases`: the proceedings the requests serve, and their history.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::cases::{Filters, SortKey};
use crate::db::events::CaseEvent;
use crate::domain::case::{Case, CaseDetail};
use crate::domain::{CountryCode, FieldErrors, Offence};
use crate::http::api::requests::SearchText;
use crate::http::auth::{Authorized, ReadCases, WriteCases};
use crate::http::error::ApiError;
use crate::http::extract::{IfMatchRequired, JsonObject, RecordId, etag, if_match, parse_id};
use crate::http::params::{Limit, ParamGroup, Params, from_str};
use crate::http::routing::{self as routing, Routes};
use crate::http::state::AppState;
use crate::services::cases::{CaseListQuery, CasePage};

pub fn routes(r: &mut Routes) {
    r.add("/cases", [routing::get(list), routing::post(create)])
        .add("/cases/{id}", [routing::get(get), routing::patch(patch)])
        .add("/cases/{id}/events", [routing::get(list_events)]);
}

/// Open a case
///
/// A request names its case by `case_id`, or by `case_reference`: a case
/// is also opened by the first request filed under a new reference.
#[utoipa::path(
    post, path = "/api/v1/cases", operation_id = "createCase", tag = "cases",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    request_body(content = ref("#/components/schemas/NewCase"),
                 content_type = "application/json"),
    responses(
        (status = 201, description = "Opened", body = Case,
         headers(("ETag"), ("Location")),
         links(
            ("getCase" = (operation_id = "getCase", parameters(("id" = "$response.body#/id")))),
            ("patchCase" = (operation_id = "patchCase", parameters(
                ("id" = "$response.body#/id"), ("If-Match" = "$response.header.ETag")))),
            ("listCaseEvents" = (operation_id = "listCaseEvents", parameters(("id" = "$response.body#/id")))),
         )),
        (status = 409, description = "Another case has this case reference"),
    )
)]
async fn create(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    body: JsonObject,
) -> Result<HttpResponse, ApiError> {
    let case = state.services.create_case(auth.user.id, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/cases/{}", case.id)))
        .insert_header(etag(case.version))
        .json(case))
}

/// One case, with its requests
#[utoipa::path(
    get, path = "/api/v1/cases/{id}", operation_id = "getCase", tag = "cases",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    responses((status = 200, description = "The case", body = CaseDetail, headers(("ETag"))))
)]
async fn get(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("case", &id)?;
    let detail = state.services.get_case(id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(detail.case.version))
        .json(detail))
}

/// Change a case (JSON merge patch), its victims among others
///
/// A new `case_reference` is carried to the case's requests, each of which
/// records it in its history.
#[utoipa::path(
    patch, path = "/api/v1/cases/{id}", operation_id = "patchCase", tag = "cases",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId, IfMatchRequired),
    request_body(content = ref("#/components/schemas/CasePatch"),
                 content_type = "application/json"),
    responses(
        (status = 200, description = "The changed case", body = Case, headers(("ETag"))),
        (status = 400, description = "If-Match is not an ETag of this API"),
        (status = 409, description = "Another case has this case reference"),
        (status = 412, description = "The case changed since that version: `error.current_version`"),
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
    let id = parse_id("case", &id)?;
    let expected = if_match(&req)?.ok_or(ApiError::PreconditionRequired)?;
    let case = state
        .services
        .update_case(auth.user.id, id, expected, body.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(case.version))
        .json(case))
}

/// A case's history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseEventList {
    /// Oldest first.
    pub items: Vec<CaseEvent>,
}

/// The case's history, oldest first
#[utoipa::path(
    get, path = "/api/v1/cases/{id}/events", operation_id = "listCaseEvents", tag = "cases",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    responses((status = 200, description = "The events", body = CaseEventList))
)]
async fn list_events(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("case", &id)?;
    let items = state.services.case_events(id).await?;
    Ok(HttpResponse::Ok().json(CaseEventList { items }))
}

/// The list's filters, order and page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words in the case reference, title or magistrate's name
    #[param(value_type = String, required = false, max_length = 200, pattern = r"^[^\u0000]*$")]
    q: Option<SearchText>,
    /// Only cases with a request to this country
    #[param(value_type = CountryCode, inline, required = false)]
    country: Option<CountryCode>,
    /// Only cases about any of these offences
    #[serde(default)]
    #[param(inline, style = Form, explode)]
    offence: Vec<Offence>,
    /// Trial set down on or after
    #[param(value_type = String, format = Date, required = false)]
    trial_from: Option<NaiveDate>,
    /// Trial set down on or before (not before trial_from)
    #[param(value_type = String, format = Date, required = false)]
    trial_to: Option<NaiveDate>,
    /// Sort key, `-` for descending (default -created_at)
    #[param(value_type = Sort, inline, required = false)]
    sort: Option<Sort>,
    /// Page size (default 50)
    #[param(value_type = u32, minimum = 1, maximum = 200, required = false)]
    limit: Option<Limit<MAX_LIMIT>>,
    /// `next_cursor` of the previous page, same sort
    #[param(value_type = String, required = false, max_length = 1000, pattern = r"^[^\u0000]*$")]
    cursor: Option<String>,
}

impl ParamGroup for ListParams {
    const UNKNOWN: &'static str = "is not a filter of this list";

    fn check(&self, _today: NaiveDate, errors: &mut FieldErrors) {
        if let (Some(from), Some(to)) = (self.trial_from, self.trial_to)
            && from > to
        {
            errors.add("trial_to", "must not be before trial_from");
        }
    }
}

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

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
            .map_err(|_| "must be one of created_at, case_reference, optionally prefixed with -")
    }
}

impl<'de> Deserialize<'de> for Sort {
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
                "created_at",
                "-created_at",
                "case_reference",
                "-case_reference",
            ]))
            .into()
    }
}

impl utoipa::ToSchema for Sort {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("CaseSort")
    }
}

/// A page of cases, filtered and sorted
#[utoipa::path(
    get, path = "/api/v1/cases", operation_id = "listCases", tag = "cases",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(ListParams),
    responses(
        (status = 200, description = "A page", body = CasePage,
         links(
            ("getCase" = (operation_id = "getCase", parameters(("id" = "$response.body#/items/0/id")))),
            ("listCaseEvents" = (operation_id = "listCaseEvents", parameters(("id" = "$response.body#/items/0/id")))),
         )),
        (status = 400, description = "The cursor is malformed or belongs to another sort"),
    )
)]
async fn list(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    params: Params<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.0;
    let sort = p.sort.unwrap_or(Sort {
        key: SortKey::CreatedAt,
        descending: true,
    });
    let query = CaseListQuery {
        filters: Filters {
            q: p.q.map(|q| q.0).filter(|q| !q.is_empty()),
            country: p.country,
            offences: p.offence,
            trial_from: p.trial_from,
            trial_to: p.trial_to,
        },
        sort: sort.key,
        descending: sort.descending,
        limit: p.limit.map_or(DEFAULT_LIMIT, |l| l.0).into(),
        cursor: p.cursor,
    };
    let page = state.services.list_cases(query).await?;
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
    fn list_query_names_bad_parameters() {
        let e = parse::<ListParams>(
            "offence=fraud,arson&trial_from=2026-02-01&trial_to=2026-01-01&sort=title&status=sent",
            today(),
        )
        .unwrap_err();
        let keys: Vec<_> = e.0.keys().cloned().collect();
        assert_eq!(keys, ["offence", "sort", "status", "trial_to"]);
        let q: ListParams = parse(
            "offence=fraud&offence=cybercrime&sort=-case_reference",
            today(),
        )
        .unwrap();
        assert_eq!(q.offence, [Offence::Fraud, Offence::Cybercrime]);
    }
}
