//! What can go wrong in storage, told apart by what the caller should do
//! about it: a row that is not there, a uniqueness clash, an outage that may
//! heal (retry later), a storage fault someone must fix, or a bug.
//!
//! diesel only exposes SQLite's primary code through its message
//! (sqlite3_errmsg) and not PostgreSQL's SQLSTATE, so outages are recognised
//! by their messages; they are stable across versions.

/// A storage error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No row matched.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write (the database's message).
    #[error("already exists ({0})")]
    UniqueViolation(String),
    /// No connection could be had, or it died: the server is down,
    /// restarting or saturated, or SQLite is locked past its timeout.
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[source] anyhow::Error),
    /// The database answers but cannot store: nothing was written.
    #[error("{}", .0.message())]
    Storage(StorageFault, #[source] anyhow::Error),
    /// Anything else: a bug, or a row changed outside the application.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why the database could not store a change. The change was rolled back
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

impl Error {
    /// The connection failed, not the request: the pool must not hand the
    /// connection out again (see `pool::Db`).
    pub fn is_connection_outage(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }
}

/// An error type the pool can run jobs for: made from storage errors, and
/// telling which of its values are storage errors (so the pool can drop a
/// dead connection, and name a read-only file).
pub trait Failure: From<Error> {
    fn storage_error(&mut self) -> Option<&mut Error>;
}

impl Failure for Error {
    fn storage_error(&mut self) -> Option<&mut Error> {
        Some(self)
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    /// No connection within `database.timeout_seconds`.
    fn from(e: diesel::r2d2::PoolError) -> Error {
        Error::Unavailable(e.into())
    }
}

impl Error {
    /// The same failure again, for another caller: the writes of a group
    /// commit ([`super::group`]) share one outcome.
    pub fn again(&self) -> Error {
        let cause = match std::error::Error::source(self) {
            Some(source) => anyhow::anyhow!("{source}"),
            None => anyhow::anyhow!("{self}"),
        };
        match self {
            Error::NotFound => Error::NotFound,
            Error::UniqueViolation(message) => Error::UniqueViolation(message.clone()),
            Error::Unavailable(_) => Error::Unavailable(cause),
            Error::Storage(fault, _) => Error::Storage(*fault, cause),
            Error::Internal(_) => Error::Internal(cause),
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        use diesel::result::{DatabaseErrorKind as Kind, Error as Diesel};
        match outage_of(&e) {
            Some(Outage::Connection) => return Error::Unavailable(e.into()),
            Some(Outage::Storage(fault)) => return Error::Storage(fault, e.into()),
            None => {}
        }
        match e {
            Diesel::NotFound => Error::NotFound,
            Diesel::DatabaseError(Kind::UniqueViolation, info) => {
                Error::UniqueViolation(info.message().to_string())
            }
            other => Error::Internal(other.into()),
        }
    }
}

/// How a database error is an outage rather than a bug or a client's fault.
enum Outage {
    /// The server is gone or unreachable, the connection died, or SQLite is busy.
    Connection,
    Storage(StorageFault),
}

fn outage_of(e: &diesel::result::Error) -> Option<Outage> {
    use diesel::result::{DatabaseErrorKind as Kind, Error as Diesel};
    match e {
        Diesel::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
            Some(Outage::Connection)
        }
        Diesel::DatabaseError(Kind::ReadOnlyTransaction, _) => {
            Some(Outage::Storage(StorageFault::ReadOnly))
        }
        Diesel::DatabaseError(_, info) => {
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
        Diesel::RollbackErrorOnCommit {
            commit_error,
            rollback_error,
        } => outage_of(commit_error).or_else(|| outage_of(rollback_error)),
        // A rollback failed earlier on this connection; the pool drops it.
        Diesel::BrokenTransactionManager => Some(Outage::Connection),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind as Kind, Error as Diesel};

    fn classified(kind: Kind, message: &str) -> Error {
        Error::from(Diesel::DatabaseError(kind, Box::new(message.to_string())))
    }

    #[test]
    fn outages_are_told_apart_by_their_cause() {
        for (kind, message, expected) in [
            (
                Kind::Unknown,
                "database or disk is full",
                StorageFault::Full,
            ),
            (
                Kind::Unknown,
                "could not extend file \"base/1/2\": No space left on device",
                StorageFault::Full,
            ),
            (
                Kind::Unknown,
                "attempt to write a readonly database",
                StorageFault::ReadOnly,
            ),
            (
                Kind::ReadOnlyTransaction,
                "cannot execute INSERT in a read-only transaction",
                StorageFault::ReadOnly,
            ),
            (Kind::Unknown, "disk I/O error", StorageFault::Io),
        ] {
            assert!(
                matches!(classified(kind, message), Error::Storage(fault, _) if fault == expected),
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
            assert!(
                classified(kind, message).is_connection_outage(),
                "{message}"
            );
        }
        let commit = Diesel::RollbackErrorOnCommit {
            commit_error: Box::new(Diesel::DatabaseError(
                Kind::Unknown,
                Box::new("database or disk is full".to_string()),
            )),
            rollback_error: Box::new(Diesel::DatabaseError(
                Kind::Unknown,
                Box::new("cannot rollback - no transaction is active".to_string()),
            )),
        };
        assert!(matches!(
            Error::from(commit),
            Error::Storage(StorageFault::Full, _)
        ));
        assert!(matches!(
            classified(Kind::Unknown, "no such column: x"),
            Error::Internal(_)
        ));
        assert!(matches!(
            classified(Kind::UniqueViolation, "UNIQUE constraint failed"),
            Error::UniqueViolation(_)
        ));
        assert!(matches!(Error::from(Diesel::NotFound), Error::NotFound));
    }
}
