//! What every handler can reach.

use std::sync::Arc;

use crate::http::throttle::FailedAttempts;
use crate::http::token_cache::TokenCache;
use crate::services::Services;

/// The services and what the HTTP front end keeps beside them.
pub struct AppState {
    pub services: Arc<Services>,
    /// Recently verified tokens.
    pub tokens: TokenCache,
    /// Failed authentications per client address (`auth.max_failed_attempts`).
    pub failed_attempts: FailedAttempts,
}
