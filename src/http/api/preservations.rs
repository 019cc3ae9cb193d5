//! `/preservations`: data a holder was asked to keep for a request or a
//! case, its expiry, renewals and release.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::preservation::{NewPreservation, PreservationView, Release, Renewal};
use crate::http::auth::{Authorized, ReadCases, WriteCases};
use crate::http::error::ApiError;
use crate::http::extract::{IfMatchOptional, JsonBody, RecordId, etag, if_match, parse_id};
use crate::http::params::{ParamGroup, Params, from_str};
use crate::http::routing::{self as routing, Routes};
use crate::http::state::AppState;

pub fn routes(r: &mut Routes) {
    r.add(
        "/preservations",
        [routing::get(list), routing::post(create)],
    )
    .add("/preservations/{id}", [routing::get(get)])
    .add("/preservations/{id}/renewals", [routing::post(renew)])
    .add("/preservations/{id}/release", [routing::post(release)]);
}

fn view_response(
    mut response: actix_web::HttpResponseBuilder,
    view: &PreservationView,
) -> HttpResponse {
    response
        .insert_header(etag(view.preservation.version))
        .json(view)
}

/// Record a preservation for a request or a case
///
/// `expires_on` defaults to the period of the legal basis: 90 days for
/// `us_2703f`, 60 for `budapest_art29` and `e_evidence_preservation_order`;
/// give it for `domestic` and `other`. The event goes into the history of
/// the request or the case.
#[utoipa::path(
    post, path = "/api/v1/preservations", operation_id = "recordPreservation",
    tag = "preservations",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    request_body = NewPreservation,
    responses(
        (status = 201, description = "Recorded", body = PreservationView,
         headers(("ETag"), ("Location")),
         links(
            ("getPreservation" = (operation_id = "getPreservation", parameters(("id" = "$response.body#/id")))),
            ("renewPreservation" = (operation_id = "renewPreservation", parameters(("id" = "$response.body#/id")))),
            ("releasePreservation" = (operation_id = "releasePreservation", parameters(("id" = "$response.body#/id")))),
         )),
    )
)]
async fn create(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    body: JsonBody<NewPreservation>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .services
        .record_preservation(auth.user.id, body.0)
        .await?;
    let location = format!("/api/v1/preservations/{}", view.preservation.id);
    Ok(view_response(
        HttpResponse::Created()
            .insert_header(("Location", location))
            .take(),
        &view,
    ))
}

/// One preservation, with its renewals
#[utoipa::path(
    get, path = "/api/v1/preservations/{id}", operation_id = "getPreservation",
    tag = "preservations",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId),
    responses((status = 200, description = "The preservation", body = PreservationView, headers(("ETag"))))
)]
async fn get(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("preservation", &id)?;
    let view = state.services.get_preservation(id).await?;
    Ok(view_response(HttpResponse::Ok(), &view))
}

/// Renew a preservation: the holder keeps the data until a later date
#[utoipa::path(
    post, path = "/api/v1/preservations/{id}/renewals", operation_id = "renewPreservation",
    tag = "preservations",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId, IfMatchOptional),
    request_body = Renewal,
    responses(
        (status = 200, description = "The renewed preservation", body = PreservationView, headers(("ETag"))),
        (status = 400, description = "If-Match is not an ETag of this API"),
        (status = 409, description = "The preservation was released"),
        (status = 412, description = "The preservation changed since the If-Match version"),
    )
)]
async fn renew(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<Renewal>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("preservation", &id)?;
    let expected = if_match(&req)?;
    let view = state
        .services
        .renew_preservation(auth.user.id, id, expected, body.0)
        .await?;
    Ok(view_response(HttpResponse::Ok(), &view))
}

/// Release a preservation: the holder may delete the data
#[utoipa::path(
    post, path = "/api/v1/preservations/{id}/release", operation_id = "releasePreservation",
    tag = "preservations",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(RecordId, IfMatchOptional),
    request_body = Release,
    responses(
        (status = 200, description = "The released preservation", body = PreservationView, headers(("ETag"))),
        (status = 400, description = "If-Match is not an ETag of this API"),
        (status = 409, description = "Released already"),
        (status = 412, description = "The preservation changed since the If-Match version"),
    )
)]
async fn release(
    state: web::Data<AppState>,
    auth: Authorized<WriteCases>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<Release>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("preservation", &id)?;
    let expected = if_match(&req)?;
    let view = state
        .services
        .release_preservation(auth.user.id, id, expected, body.0)
        .await?;
    Ok(view_response(HttpResponse::Ok(), &view))
}

/// The list's filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only those not released that expire within this many days (expired
    /// ones included), soonest first
    #[param(value_type = u32, minimum = 0, maximum = 3650, required = false)]
    expiring_within: Option<DaysParam>,
    /// Only those of this request
    #[param(value_type = String, format = Uuid, required = false)]
    request_id: Option<IdParam>,
    /// Only those of this case (not its requests')
    #[param(value_type = String, format = Uuid, required = false)]
    case_id: Option<IdParam>,
}

impl ParamGroup for ListParams {
    const UNKNOWN: &'static str = "is not a filter of this list";
}

/// A number of days, 0 to 3650.
#[derive(Debug, Clone, Copy)]
pub struct DaysParam(u32);

impl std::str::FromStr for DaysParam {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<u32>() {
            Ok(n) if n <= 3650 => Ok(DaysParam(n)),
            _ => Err("must be a whole number of days from 0 to 3650"),
        }
    }
}

/// A record's id in a query.
#[derive(Debug, Clone, Copy)]
pub struct IdParam(Uuid);

impl std::str::FromStr for IdParam {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse()
            .map(IdParam)
            .map_err(|_| "must be an id (a UUID such as 0b7a2c9e-1f43-4d8e-8a3b-2f6c4d5e6f70)")
    }
}

impl<'de> Deserialize<'de> for DaysParam {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

impl<'de> Deserialize<'de> for IdParam {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

/// Preservations, soonest expiry first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PreservationList {
    pub as_of: NaiveDate,
    /// At most 1,000.
    pub items: Vec<PreservationView>,
}

/// Preservations, soonest expiry first
#[utoipa::path(
    get, path = "/api/v1/preservations", operation_id = "listPreservations",
    tag = "preservations",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(ListParams),
    responses(
        (status = 200, description = "The preservations", body = PreservationList,
         links(
            ("getPreservation" = (operation_id = "getPreservation", parameters(("id" = "$response.body#/items/0/id")))),
         )),
    )
)]
async fn list(
    state: web::Data<AppState>,
    _: Authorized<ReadCases>,
    params: Params<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.0;
    let items = state
        .services
        .list_preservations(
            p.expiring_within.map(|d| d.0),
            p.request_id.map(|id| id.0),
            p.case_id.map(|id| id.0),
        )
        .await?;
    Ok(HttpResponse::Ok().json(PreservationList {
        as_of: state.services.today().date,
        items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::params::parse;

    #[test]
    fn list_query_names_bad_parameters() {
        let today: NaiveDate = "2026-06-15".parse().unwrap();
        let e =
            parse::<ListParams>("expiring_within=-1&request_id=nope&sort=x", today).unwrap_err();
        let keys: Vec<_> = e.0.keys().cloned().collect();
        assert_eq!(keys, ["expiring_within", "request_id", "sort"]);
        let ok: ListParams = parse("expiring_within=14", today).unwrap();
        assert_eq!(ok.expiring_within.map(|d| d.0), Some(14));
    }
}
