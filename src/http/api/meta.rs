//! `/meta/vocabularies` and the health probes.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::db::Backend;
use crate::domain::link::LinkKind;
use crate::domain::{
    AbandonmentReason, Channel, CountryCode, Facilitator, FollowUpChannel, ForeignProceedings,
    LegalBasis, Measure, MeasureOutcome, Offence, Priority, RefusalGround, Role, Status, WaitingOn,
};
use crate::http::auth::{Authorized, SignedIn};
use crate::http::error::ApiError;
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;

pub fn routes(r: &mut Routes) {
    r.add("/meta/vocabularies", [routing::get(vocabularies)]);
}

/// A country as the vocabularies list it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CountryEntry {
    code: CountryCode,
    name: &'static str,
}

/// Every vocabulary and the transition table.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Vocabularies {
    abandonment_reasons: &'static [AbandonmentReason],
    channels: &'static [Channel],
    countries: Vec<CountryEntry>,
    facilitators: &'static [Facilitator],
    follow_up_channels: &'static [FollowUpChannel],
    /// A case's `foreign_proceedings_opened`.
    foreign_proceedings: &'static [ForeignProceedings],
    legal_bases: &'static [LegalBasis],
    link_kinds: &'static [LinkKind],
    measure_outcomes: &'static [MeasureOutcome],
    measures: &'static [Measure],
    offences: &'static [Offence],
    priorities: &'static [Priority],
    refusal_grounds: &'static [RefusalGround],
    roles: &'static [Role],
    statuses: &'static [Status],
    /// Per status, the statuses it may move to.
    transitions: BTreeMap<&'static str, &'static [Status]>,
    /// Per status, whose move it is.
    waiting_on: BTreeMap<&'static str, WaitingOn>,
}

/// Every vocabulary and the transition table
#[utoipa::path(
    get, path = "/api/v1/meta/vocabularies", operation_id = "getVocabularies", tag = "meta",
    security(("bearer" = [])),
    responses((status = 200, description = "The vocabularies", body = Vocabularies))
)]
async fn vocabularies(_: Authorized<SignedIn>) -> HttpResponse {
    HttpResponse::Ok().json(Vocabularies {
        abandonment_reasons: AbandonmentReason::ALL,
        channels: Channel::ALL,
        countries: CountryCode::all()
            .map(|code| CountryEntry {
                code,
                name: code.name(),
            })
            .collect(),
        facilitators: Facilitator::ALL,
        follow_up_channels: FollowUpChannel::ALL,
        foreign_proceedings: ForeignProceedings::ALL,
        legal_bases: LegalBasis::ALL,
        link_kinds: LinkKind::ALL,
        measure_outcomes: MeasureOutcome::ALL,
        measures: Measure::ALL,
        offences: Offence::ALL,
        priorities: Priority::ALL,
        refusal_grounds: RefusalGround::ALL,
        roles: Role::ALL,
        statuses: Status::ALL,
        transitions: Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.allowed_next()))
            .collect(),
        waiting_on: Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.waiting_on()))
            .collect(),
    })
}

/// The liveness probe's answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    #[schema(pattern = "^ok$")]
    status: &'static str,
}

/// Liveness: the process answers
///
/// Touches nothing else.
#[utoipa::path(
    get, path = "/healthz", operation_id = "healthz", tag = "health", security(()),
    responses((status = 200, description = "Alive", body = Health))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The readiness probe's answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Ready {
    #[schema(pattern = "^ready$")]
    status: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(value_type = String)]
    database: Backend,
}

/// Readiness: the database answers
///
/// Within `database.timeout_seconds`.
#[utoipa::path(
    get, path = "/readyz", operation_id = "readyz", tag = "health", security(()),
    responses((status = 200, description = "Ready", body = Ready))
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.services.check_database().await?;
    Ok(HttpResponse::Ok().json(Ready {
        status: "ready",
        database: state.services.db.backend,
    }))
}
