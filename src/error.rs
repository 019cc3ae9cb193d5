//! The one place that maps errors to HTTP. Every error body is
//! `{"error": {"code", "message", "fields"?, "allowed"?}}`; causes are logged,
//! never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::domain::{FieldErrors, Status};

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
    #[error("the body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
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
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[source] anyhow::Error),
    /// The database answers but cannot store: nothing was written.
    #[error("{}", .0.message())]
    Storage(StorageFault, #[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Why the database could not store a change. Each is a 503 with its own
/// code, so whoever is paged knows what to fix; the change was rolled back
/// whole (one transaction), so retrying once the cause is gone is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    /// No space left (SQLITE_FULL; PostgreSQL's disk_full, "could not extend file").
    Full,
    /// The database file or its filesystem refuses writes (SQLITE_READONLY,
    /// or an I/O error on a file found not writable, e.g. `chattr +i`).
    ReadOnly,
    /// The operating system failed a read or write (SQLITE_IOERR).
    Io,
}

impl StorageFault {
    pub fn code(self) -> &'static str {
        match self {
            StorageFault::Full => "storage_full",
            StorageFault::ReadOnly => "storage_read_only",
            StorageFault::Io => "storage_io_error",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            StorageFault::Full => {
                "the database's disk is full: nothing was saved; try again once space is freed"
            }
            StorageFault::ReadOnly => {
                "the database is read-only: nothing was saved; try again once it is writable"
            }
            StorageFault::Io => {
                "the database's disk failed a read or write: nothing was saved; try again shortly"
            }
        }
    }
}

/// How a database error is an outage rather than a bug or a client's fault.
enum Outage {
    /// The server is gone or unreachable, the connection died, or SQLite is busy.
    Connection,
    Storage(StorageFault),
}

/// Classifies a diesel error as an outage. diesel only exposes SQLite's
/// primary code through its message (sqlite3_errmsg) and not PostgreSQL's
/// SQLSTATE, so the messages are matched; they are stable across versions.
fn outage_of(e: &diesel::result::Error) -> Option<Outage> {
    use diesel::result::{DatabaseErrorKind as Kind, Error};
    match e {
        Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
            Some(Outage::Connection)
        }
        Error::DatabaseError(Kind::ReadOnlyTransaction, _) => {
            Some(Outage::Storage(StorageFault::ReadOnly))
        }
        Error::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            let has = |needles: &[&str]| needles.iter().any(|n| message.contains(n));
            if has(&[
                "database or disk is full",
                "no space left",
                "could not extend file",
            ]) {
                Some(Outage::Storage(StorageFault::Full))
            } else if has(&["readonly database", "read-only file system"]) {
                Some(Outage::Storage(StorageFault::ReadOnly))
            } else if has(&["disk i/o error", "unable to open database file"]) {
                Some(Outage::Storage(StorageFault::Io))
            } else if has(&[
                // SQLite: another connection holds the lock past busy_timeout.
                "database is locked",
                "database table is locked",
                // PostgreSQL: shut down, restarting, or the link is gone.
                "terminating connection",
                "the database system is",
                "server closed the connection",
                "no connection to the server",
                "could not receive data from server",
                "could not send data to server",
                "connection to server",
                // database.statement_timeout_seconds elapsed.
                "canceling statement due to statement timeout",
            ]) {
                Some(Outage::Connection)
            } else {
                None
            }
        }
        // A transaction whose commit and rollback both failed: the link died.
        Error::RollbackErrorOnCommit {
            commit_error,
            rollback_error,
        } => outage_of(commit_error).or_else(|| outage_of(rollback_error)),
        // A rollback failed earlier on this connection; the pool drops it.
        Error::BrokenTransactionManager => Some(Outage::Connection),
        _ => None,
    }
}

impl ApiError {
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> ApiError {
        ApiError::NotFound(format!("no {what} with id `{id}`"))
    }

    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(FieldErrors::one(field, message))
    }

    /// No connection could be had: the database is down or saturated.
    pub fn from_pool(e: diesel::r2d2::PoolError) -> ApiError {
        ApiError::Unavailable(e.into())
    }

    /// The connection failed, not the request: the pool must not hand the
    /// connection out again (see `db::Db::run_blocking`).
    pub fn is_connection_outage(&self) -> bool {
        matches!(self, ApiError::Unavailable(_))
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
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::TooManyFailedAttempts { .. } => "too_many_failed_attempts",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Storage(fault, _) => fault.code(),
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match outage_of(&e) {
            Some(Outage::Connection) => return ApiError::Unavailable(e.into()),
            Some(Outage::Storage(fault)) => return ApiError::Storage(fault, e.into()),
            None => {}
        }
        match e {
            Error::NotFound => ApiError::NotFound("not found".into()),
            Error::DatabaseError(Kind::UniqueViolation, info) => {
                ApiError::Conflict(format!("already exists ({})", info.message()))
            }
            other => ApiError::Internal(other.into()),
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
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyFailedAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) | ApiError::Storage(..) => StatusCode::SERVICE_UNAVAILABLE,
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
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        match self {
            ApiError::Validation(fields) => error["fields"] = json!(fields),
            ApiError::TransitionNotAllowed { allowed, .. } => {
                error["allowed"] = json!(allowed);
                let list: Vec<_> = allowed.iter().map(|s| s.as_str()).collect();
                let hint = if list.is_empty() {
                    "none: the status is final".to_string()
                } else {
                    list.join(", ")
                };
                error["message"] = json!(format!("{self}; allowed from here: {hint}"));
            }
            ApiError::PreconditionFailed { current } => error["current_version"] = json!(current),
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
        response.json(json!({ "error": error }))
    }
}

/// Turns the framework's own error responses (unknown route, wrong method,
/// bad query string) into the JSON error shape, so clients see one format.
pub fn json_error_for_status(status: StatusCode) -> serde_json::Value {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    json!({"error": {"code": code, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind as Kind, Error};

    fn mapped(kind: Kind, message: &str) -> (StatusCode, &'static str) {
        let e = ApiError::from(Error::DatabaseError(kind, Box::new(message.to_string())));
        (e.status_code(), e.code())
    }

    #[test]
    fn database_outages_are_503s_naming_their_cause() {
        let unavailable = (StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        for (kind, message, expected) in [
            (Kind::Unknown, "database or disk is full", "storage_full"),
            (
                Kind::Unknown,
                "could not extend file \"base/1/2\": No space left on device",
                "storage_full",
            ),
            (
                Kind::Unknown,
                "attempt to write a readonly database",
                "storage_read_only",
            ),
            (
                Kind::ReadOnlyTransaction,
                "cannot execute INSERT in a read-only transaction",
                "storage_read_only",
            ),
            (Kind::Unknown, "disk I/O error", "storage_io_error"),
        ] {
            assert_eq!(
                mapped(kind, message),
                (StatusCode::SERVICE_UNAVAILABLE, expected),
                "{message}"
            );
        }
        for (kind, message) in [
            (Kind::Unknown, "database is locked"),
            (
                Kind::Unknown,
                "terminating connection due to administrator command",
            ),
            (
                Kind::Unknown,
                "FATAL:  the database system is shutting down",
            ),
            (
                Kind::Unknown,
                "canceling statement due to statement timeout",
            ),
            (
                Kind::ClosedConnection,
                "server closed the connection unexpectedly",
            ),
        ] {
            assert_eq!(mapped(kind, message), unavailable, "{message}");
        }
        let commit = Error::RollbackErrorOnCommit {
            commit_error: Box::new(Error::DatabaseError(
                Kind::Unknown,
                Box::new("database or disk is full".to_string()),
            )),
            rollback_error: Box::new(Error::DatabaseError(
                Kind::Unknown,
                Box::new("cannot rollback - no transaction is active".to_string()),
            )),
        };
        assert_eq!(ApiError::from(commit).code(), "storage_full");
        assert_eq!(
            mapped(Kind::Unknown, "no such column: x"),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        );
    }
}
