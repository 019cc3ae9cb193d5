//! `/me/calendar`: the caller's calendar feed — whether they have one, a new
//! secret URL, revoking it — and `/calendar/{secret}`, the feed itself
//! (RFC 5545), which needs no token: calendar programs fetch it alone. The
//! secret opens that one feed and nothing else (it is no bearer token), and
//! the access log never writes it (`server::logged_path`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::http::auth::{Authorized, ReadCases};
use crate::http::error::ApiError;
use crate::http::routing::{self, API_PREFIX, Routes};
use crate::http::state::AppState;

/// Where the feeds are, under [`API_PREFIX`]; the secret follows.
pub const FEED_PATH: &str = "/calendar/";

pub fn routes(r: &mut Routes) {
    r.add(
        "/me/calendar",
        [
            routing::get(state),
            routing::post(issue),
            routing::delete(revoke),
        ],
    )
    .add("/calendar/{secret}", [routing::get_anonymous(feed)]);
}

/// Whether the caller has a calendar feed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarFeedState {
    /// A feed URL was issued and not revoked.
    pub active: bool,
    /// When it was issued; its URL was shown then, and only then.
    pub issued_at: Option<DateTime<Utc>>,
}

/// A new calendar feed URL, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedCalendarFeed {
    /// The feed's address, to subscribe to in a calendar program: it holds
    /// the secret that opens it, so keep it as you would a password.
    pub url: String,
    /// The same, with the `webcal` scheme that makes a click open a
    /// calendar program.
    pub webcal_url: String,
    pub issued_at: DateTime<Utc>,
}

/// Whether you have a calendar feed
#[utoipa::path(
    get, path = "/api/v1/me/calendar", operation_id = "getCalendarFeed", tag = "calendar",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    responses((status = 200, description = "Whether a feed URL was issued, and when (the URL itself is shown only when issued)", body = CalendarFeedState))
)]
async fn state(
    state: web::Data<AppState>,
    auth: Authorized<ReadCases>,
) -> Result<HttpResponse, ApiError> {
    let issued_at = state.services.calendar_feed_issued(&auth.user).await?;
    Ok(HttpResponse::Ok().json(CalendarFeedState {
        active: issued_at.is_some(),
        issued_at,
    }))
}

/// Issue a new calendar feed URL (the previous one stops working)
#[utoipa::path(
    post, path = "/api/v1/me/calendar", operation_id = "issueCalendarFeed", tag = "calendar",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    responses((status = 201, description = "The new feed URL, shown this once", body = IssuedCalendarFeed,
               headers(("Location"))))
)]
async fn issue(
    state: web::Data<AppState>,
    auth: Authorized<ReadCases>,
) -> Result<HttpResponse, ApiError> {
    let issued = state.services.issue_calendar_feed(&auth.user).await?;
    let public_url = state
        .services
        .settings
        .server
        .public_url
        .trim_end_matches('/');
    let url = format!("{public_url}{API_PREFIX}{FEED_PATH}{}", issued.secret);
    let webcal_url = match url.split_once("://") {
        Some((_, rest)) => format!("webcal://{rest}"),
        None => url.clone(),
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{API_PREFIX}/me/calendar")))
        .json(IssuedCalendarFeed {
            url,
            webcal_url,
            issued_at: issued.created_at,
        }))
}

/// Revoke your calendar feed URL
#[utoipa::path(
    delete, path = "/api/v1/me/calendar", operation_id = "revokeCalendarFeed", tag = "calendar",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    responses((status = 204, description = "The feed URL no longer opens anything (nor did it, if none was issued)"))
)]
async fn revoke(
    state: web::Data<AppState>,
    auth: Authorized<ReadCases>,
) -> Result<HttpResponse, ApiError> {
    state.services.revoke_calendar_feed(&auth.user).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The secret of a feed's URL.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct FeedSecret {
    /// The last segment of the URL `POST /me/calendar` issued
    secret: String,
}

/// A calendar feed: the deadlines its owner follows (no token: the URL's secret opens it)
#[utoipa::path(
    get, path = "/api/v1/calendar/{secret}", operation_id = "calendarFeed", tag = "calendar",
    security(()),
    params(FeedSecret),
    responses(
        (status = 200, description = "The feed, RFC 5545", content((String = "text/calendar"))),
        (status = 404, description = "No feed at this address: revoked, replaced, or its owner deactivated or without case access", body = crate::http::error::ErrorBody),
    )
)]
async fn feed(
    state: web::Data<AppState>,
    secret: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    match state.services.calendar_feed(secret.into_inner()).await? {
        Some(text) => Ok(HttpResponse::Ok()
            .content_type("text/calendar; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "inline; filename=\"mla-deadlines.ics\"",
            ))
            .body(text)),
        None => Err(ApiError::NotFound(
            "no calendar feed at this address: it was revoked or replaced, or never issued".into(),
        )),
    }
}
