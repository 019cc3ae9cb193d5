//! Bearer tokens and roles.
//!
//! Tokens are looked up by their hash ([`crate::credentials`]). Handlers state the permission
//! they need in their signature, `Authorized<ReadCases>`, so an endpoint
//! cannot forget to check. The token itself is checked earlier, by the
//! [`authenticate`] middleware of every route that needs one, before any
//! argument of the handler is read. Failed attempts are counted per client
//! address and throttled ([`super::throttle`]).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::error::ApiError;
use super::state::AppState;
use super::throttle;
use crate::credentials::hash_token;
use crate::db::users::User;
use crate::domain::Role;

/// Something a role may or may not do.
pub trait Permission {
    fn granted(role: Role) -> bool;
}

/// Read requests and their history.
pub struct ReadCases;
/// Create and change requests, record transitions and notes.
pub struct WriteCases;
/// Manage users and tokens.
pub struct ManageUsers;
/// Run the alert scan by hand, see what was notified.
pub struct RunAlerts;
/// Anything any signed-in user may see (vocabularies).
pub struct SignedIn;
/// Bring a spreadsheet register in: many requests at once, so only those
/// who answer for the portfolio.
pub struct ImportRequests;
/// Statistics: every role, but analysts only ever get the published
/// (suppressed) view, which the handlers enforce.
pub struct ReadStats;

impl Permission for ReadCases {
    fn granted(role: Role) -> bool {
        role.reads_cases()
    }
}
impl Permission for WriteCases {
    fn granted(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Coordinator | Role::Clerk)
    }
}
impl Permission for ManageUsers {
    fn granted(role: Role) -> bool {
        role == Role::Admin
    }
}
impl Permission for RunAlerts {
    fn granted(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Coordinator)
    }
}
impl Permission for ImportRequests {
    fn granted(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Coordinator)
    }
}
impl Permission for ReadStats {
    fn granted(_: Role) -> bool {
        true
    }
}
impl Permission for SignedIn {
    fn granted(_: Role) -> bool {
        true
    }
}

/// The signed-in user, holding permission `P`: 401 without a valid token,
/// 403 when the role lacks `P`, 429 while the client's address is throttled
/// for failed attempts (checked first, so even a valid token gets 429 then).
///
/// A failed attempt is an `Authorization` header that does not sign anyone
/// in: an unknown, revoked or deactivated token, or a malformed header. A
/// request with no `Authorization` header at all is 401 but not counted: it
/// guesses nothing (probes, a browser's first try).
pub struct Authorized<P> {
    pub user: User,
    permission: PhantomData<P>,
}

impl<P: Permission + 'static> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    /// The user [`authenticate`] signed in; on a route it does not guard
    /// (there is none today), the token is looked up here.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let signed_in = req.extensions().get::<SignedInUser>().map(|s| s.0.clone());
        let lookup = signed_in.is_none().then(|| sign_in(req));
        Box::pin(async move {
            let user = match (signed_in, lookup) {
                (Some(user), _) => user,
                (None, Some(lookup)) => lookup.await?,
                (None, None) => unreachable!("a lookup when no user is signed in"),
            };
            if !P::granted(user.role) {
                return Err(ApiError::Forbidden);
            }
            Ok(Authorized {
                user,
                permission: PhantomData,
            })
        })
    }
}

/// The user the [`authenticate`] middleware signed in for this request.
#[derive(Clone)]
struct SignedInUser(User);

/// Middleware of every route that needs a token (`super::routing` wraps
/// them): signs the caller in **before** the handler's arguments are
/// extracted, so that no body, query or path is read for a caller without
/// a valid token. Extracted beside the body instead, the token's lookup (a
/// database round trip for an unknown token) lost the race against a bad
/// body, which answered 400/422 and escaped the throttle.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    match sign_in(req.request()).await {
        Ok(user) => {
            req.extensions_mut().insert(SignedInUser(user));
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(refused) => Ok(req.error_response(refused).map_into_right_body()),
    }
}

/// Who the request's `Authorization` header signs in: 429 while the
/// client's address is throttled for failed attempts (checked first, so
/// even a valid token gets 429 then), 401 otherwise; a header that signs
/// no one in counts as a failed attempt, no header at all does not.
fn sign_in(req: &HttpRequest) -> impl Future<Output = Result<User, ApiError>> + 'static {
    let token = bearer_token(req);
    let sent_credentials = req.headers().contains_key(header::AUTHORIZATION);
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered");
    let client = throttle::client_address(req, &state.services.settings.server.trusted_proxies);
    async move {
        if let Some(retry_after) = state.failed_attempts.refused(client) {
            return Err(ApiError::TooManyFailedAttempts { retry_after });
        }
        let failed = || match state.failed_attempts.record_failure(client) {
            Some(retry_after) => ApiError::TooManyFailedAttempts { retry_after },
            None => ApiError::Unauthorized,
        };
        let Some(token) = token else {
            return Err(if sent_credentials {
                failed()
            } else {
                ApiError::Unauthorized
            });
        };
        let hash = hash_token(&token);
        if let Some(user) = state.tokens.get(&hash) {
            return Ok(user);
        }
        let user = state
            .services
            .user_by_token_hash(hash.clone())
            .await?
            .ok_or_else(failed)?;
        state.tokens.put(hash, user.clone());
        Ok(user)
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 256)
        .then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_legal_staff_read_cases() {
        assert!(ReadCases::granted(Role::Clerk));
        assert!(!ReadCases::granted(Role::Analyst));
        assert!(!ManageUsers::granted(Role::Coordinator));
        assert!(SignedIn::granted(Role::Analyst));
    }
}
