//! Why an operation did not happen, in the terms of the operation: invalid
//! input (by field), a record that is not there, a rule of the register
//! that forbids it, a stale version — or a storage failure passed through.
//! Front ends turn these into their own answers (`http::error::ApiError`
//! for the API, a message and an exit code for the command line).

use crate::credentials::password::PasswordProblem;
use crate::db;
use crate::domain::{FieldErrors, Status};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Some fields are invalid; each message is meant for the person who
    /// typed the value.
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    /// A new password breaks a rule ([`crate::credentials::password`]).
    #[error("password {0}")]
    Password(PasswordProblem),
    #[error("{0}")]
    NotFound(String),
    /// The change clashes with the register as it is (a duplicate, the last
    /// admin, a closed request…).
    #[error("{0}")]
    Conflict(String),
    #[error("cannot move from `{from}` to `{to}`")]
    TransitionNotAllowed {
        from: Status,
        to: Status,
        allowed: &'static [Status],
    },
    /// The record changed since the caller read it.
    #[error(
        "the record changed since you read it (version {current} now); reload it and try again"
    )]
    PreconditionFailed { current: i32 },
    /// A list cursor that is not one this service made for the query it
    /// came with (the message says which and what to do).
    #[error("{0}")]
    InvalidCursor(&'static str),
    #[error(transparent)]
    Store(#[from] db::Error),
    /// A bug: something the service should always be able to do failed.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Error {
        Error::NotFound(format!("no {what} with id `{id}`"))
    }

    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Error {
        Error::Validation(FieldErrors::one(field, message))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        Error::Store(e.into())
    }
}

impl From<PasswordProblem> for Error {
    fn from(problem: PasswordProblem) -> Error {
        Error::Password(problem)
    }
}

impl From<FieldErrors> for Error {
    fn from(fields: FieldErrors) -> Error {
        Error::Validation(fields)
    }
}

impl db::error::Failure for Error {
    fn storage_error(&mut self) -> Option<&mut db::Error> {
        match self {
            Error::Store(e) => Some(e),
            _ => None,
        }
    }
}
