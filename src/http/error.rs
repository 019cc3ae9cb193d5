//! Errors, layer by layer, and where they become answers.
//!
//! - `domain` reports invalid input as [`FieldErrors`] (messages by field).
//! - `db` returns [`db::Error`]: not found, a uniqueness clash, an outage
//!   (`Unavailable`), a storage fault (`Storage`: disk full, read-only, I/O)
//!   or a bug. `alerts`, `audit` and `seed` pass it through.
//! - `services` return [`services::Error`]: the operation's own refusals
//!   (validation, not found, conflict, transition not allowed, stale
//!   version, bad cursor) or a storage error passed through.
//! - The front ends translate: here, [`ApiError`] is the one place that maps
//!   errors to HTTP statuses and the JSON body `{"error": {"code",
//!   "message", "fields"?, "allowed"?, "current_version"?}}`; the command
//!   line prints a sentence and exits non-zero. Causes (the database's own
//!   words) are logged, never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::db::{self, StorageFault};
use crate::domain::{FieldErrors, Status};
use crate::services;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("your role may not do this")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("cannot move from `{from}` to `{to}`")]
    TransitionNotAllowed {
        from: Status,
        to: Status,
        allowed: &'static [Status],
    },
    #[error(
        "the record changed since you read it (version {current} now); reload it and try again"
    )]
    PreconditionFailed { current: i32 },
    #[error("If-Match is required: send the ETag of the version you edited")]
    PreconditionRequired,
    #[error("the body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The body's Content-Type is not the one the operation reads (named).
    #[error("the body must be {0}")]
    UnsupportedMediaType(&'static str),
    /// The body did not arrive within `server.request_timeout_seconds`.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// Too many failed authentications from the caller's address; refused
    /// (even with a valid token) for `retry_after` more seconds.
    #[error(
        "too many failed authentication attempts from your address; try again in {retry_after} seconds"
    )]
    TooManyFailedAttempts { retry_after: u64 },
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    /// An uploaded file that cannot be read as what it should be.
    #[error("{0}")]
    UnreadableFile(String),
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[source] anyhow::Error),
    /// The database answers but cannot store: nothing was written.
    #[error("{}", .0.message())]
    Storage(StorageFault, #[source] anyhow::Error),
    /// A PDF was asked for and no browser can print it.
    #[error("{0}")]
    PdfUnavailable(&'static str),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> ApiError {
        ApiError::NotFound(format!("no {what} with id `{id}`"))
    }

    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(FieldErrors::one(field, message))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TransitionNotAllowed { .. } => "transition_not_allowed",
            ApiError::PreconditionFailed { .. } => "precondition_failed",
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::TooManyFailedAttempts { .. } => "too_many_failed_attempts",
            ApiError::Validation(_) => "validation_failed",
            ApiError::UnreadableFile(_) => "unreadable_file",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Storage(fault, _) => fault.code(),
            ApiError::PdfUnavailable(_) => "pdf_unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<db::Error> for ApiError {
    fn from(e: db::Error) -> ApiError {
        match e {
            db::Error::NotFound => ApiError::NotFound("not found".into()),
            db::Error::UniqueViolation(message) => {
                ApiError::Conflict(format!("already exists ({message})"))
            }
            db::Error::Unavailable(cause) => ApiError::Unavailable(cause),
            db::Error::Storage(fault, cause) => ApiError::Storage(fault, cause),
            db::Error::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<services::Error> for ApiError {
    fn from(e: services::Error) -> ApiError {
        use services::Error as E;
        match e {
            E::Validation(fields) => ApiError::Validation(fields),
            E::Password(problem) => ApiError::field("password", problem.to_string()),
            E::NotFound(message) => ApiError::NotFound(message),
            E::Conflict(message) => ApiError::Conflict(message),
            E::TransitionNotAllowed { from, to, allowed } => {
                ApiError::TransitionNotAllowed { from, to, allowed }
            }
            E::PreconditionFailed { current } => ApiError::PreconditionFailed { current },
            E::InvalidCursor(message) => ApiError::BadRequest(message.into()),
            E::Store(e) => e.into(),
            E::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::TransitionNotAllowed { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyFailedAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Validation(_) | ApiError::UnreadableFile(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unavailable(_) | ApiError::Storage(..) | ApiError::PdfUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Unavailable(cause) | ApiError::Storage(_, cause) => {
                log::warn!("503: {cause:#}")
            }
            ApiError::Internal(cause) => log::error!("500: {cause:#}"),
            _ => {}
        }
        let mut error = ErrorDetail::new(self.code(), self.to_string());
        match self {
            ApiError::Validation(fields) => error.fields = Some(fields.clone()),
            ApiError::TransitionNotAllowed { allowed, .. } => {
                error.allowed = Some(allowed);
                let list: Vec<_> = allowed.iter().map(|s| s.as_str()).collect();
                let hint = if list.is_empty() {
                    "none: the status is final".to_string()
                } else {
                    list.join(", ")
                };
                error.message = format!("{self}; allowed from here: {hint}");
            }
            ApiError::PreconditionFailed { current } => error.current_version = Some(*current),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if matches!(self, ApiError::Unavailable(_) | ApiError::Storage(..)) {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        if let ApiError::TooManyFailedAttempts { retry_after } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if matches!(self, ApiError::RequestTimeout) {
            // The rest of the body may still be on its way: start afresh.
            response.force_close();
        }
        response.json(ErrorBody { error })
    }
}

/// The body of every 4xx and 5xx answer. Its members come in the order the
/// API has always sent them (alphabetical).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// 409 `transition_not_allowed`: the statuses allowed from the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub allowed: Option<&'static [Status]>,
    /// Stable, machine-readable: `validation_failed`, `not_found`, …
    pub code: &'static str,
    /// 412: the record's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub current_version: Option<i32>,
    /// 422: messages per field (dotted path, e.g. `issuing_magistrate.email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, value_type = Option<std::collections::BTreeMap<String, Vec<String>>>)]
    pub fields: Option<FieldErrors>,
    /// For people; may change.
    pub message: String,
}

impl ErrorDetail {
    fn new(code: &'static str, message: String) -> ErrorDetail {
        ErrorDetail {
            allowed: None,
            code,
            current_version: None,
            fields: None,
            message,
        }
    }
}

/// Turns the framework's own error responses (unknown route, wrong method,
/// bad query string) into the JSON error shape, so clients see one format.
pub fn json_error_for_status(status: StatusCode) -> ErrorBody {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    ErrorBody {
        error: ErrorDetail::new(code, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_failures_are_503s_naming_their_cause() {
        for (fault, code) in [
            (StorageFault::Full, "storage_full"),
            (StorageFault::ReadOnly, "storage_read_only"),
            (StorageFault::Io, "storage_io_error"),
        ] {
            let e = ApiError::from(services::Error::Store(db::Error::Storage(
                fault,
                anyhow::anyhow!("cause"),
            )));
            assert_eq!(
                (e.status_code(), e.code()),
                (StatusCode::SERVICE_UNAVAILABLE, code)
            );
        }
        let e = ApiError::from(db::Error::Unavailable(anyhow::anyhow!("down")));
        assert_eq!(
            (e.status_code(), e.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        let e = ApiError::from(db::Error::Internal(anyhow::anyhow!("bug")));
        assert_eq!(
            (e.status_code(), e.code()),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        );
        let e = ApiError::from(services::Error::InvalidCursor("start again"));
        assert_eq!(
            (e.status_code(), e.code()),
            (StatusCode::BAD_REQUEST, "bad_request")
        );
    }
}
