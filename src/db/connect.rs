//! Opening one connection to either backend, prepared for use: PostgreSQL
//! with its timeouts and planner setting, SQLite with its pragmas (WAL,
//! busy timeout, foreign keys).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2;
use diesel::{PgConnection, SqliteConnection};

use super::{Backend, DbConnection, sqlite_path};
use crate::config::DatabaseSettings;

/// Opens connections of the backend the URL names, and prepares SQLite ones.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    pub(super) backend: Backend,
    /// PostgreSQL `statement_timeout`, set on every connection (0: none).
    statement_timeout_seconds: u64,
    /// Outages seen so far by any pool of this database (shared by clones).
    pub(super) outages: Arc<AtomicU64>,
    /// SQLite: the connections are the writer's ([`Manager::writer`]).
    writer: bool,
}

impl Manager {
    /// A manager for `url` with no timeouts of its own (command-line work).
    pub fn new(url: &str) -> Manager {
        Manager {
            url: url.to_string(),
            backend: Backend::of_url(url),
            statement_timeout_seconds: 0,
            outages: Arc::default(),
            writer: false,
        }
    }

    /// The same, for SQLite's writer connections: they keep their
    /// temporary files in memory (`temp_store`). A transaction of many
    /// small writes — a group of creates, each in a savepoint
    /// ([`super::group`]), or an import — journals the pages each
    /// savepoint or statement changes, and past 64 KiB SQLite spills that
    /// journal to a temporary file, which every later write of the
    /// transaction then goes through: a tenth of a create's time. Held in
    /// memory, the journal holds only the pages of one savepoint or
    /// statement, dropped when it ends. Reads, which may sort large
    /// results into temporary tables, keep them on disk.
    pub(super) fn writer(&self) -> Manager {
        Manager {
            writer: true,
            ..self.clone()
        }
    }

    /// A manager with the settings' connect and statement timeouts.
    pub(super) fn for_serving(settings: &DatabaseSettings) -> Manager {
        Manager {
            statement_timeout_seconds: settings.statement_timeout_seconds,
            ..Manager::for_commands(settings)
        }
    }

    /// A manager with the settings' connect timeout (an unreachable server
    /// costs a bounded wait) and no statement timeout (migrations,
    /// command-line work).
    pub(super) fn for_commands(settings: &DatabaseSettings) -> Manager {
        match Backend::of_url(settings.url.expose()) {
            Backend::Postgres => Manager::new(&with_connect_timeout(
                settings.url.expose(),
                settings.connect_timeout_seconds,
            )),
            Backend::Sqlite => Manager::new(settings.url.expose()),
        }
    }

    /// A new connection, outside any pool.
    pub fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => {
                let mut conn =
                    PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // PostgreSQL's own choice of plan caching: a statement diesel
                // keeps prepared (its text never varies: lookups by key) gets
                // a generic plan after five runs, and stops being planned at
                // every run, half the cost of a read by id. Statements whose
                // best plan depends on the values (a LIKE pattern, a cursor)
                // carry `sql::planned_with_values`, are never kept, and so
                // are planned with their values at each run (DECISIONS
                // "PostgreSQL plans once what never varies").
                conn.batch_execute(&format!(
                    "SET statement_timeout = '{}s'",
                    self.statement_timeout_seconds
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgresql(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; FULL flushes the
                // WAL at every commit, so a write that was answered survives
                // a power cut too (a group of creates shares one flush).
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                if self.writer {
                    conn.batch_execute("PRAGMA temp_store = MEMORY")
                        .map_err(r2d2::Error::QueryError)?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Adds libpq's `connect_timeout` to a PostgreSQL URL that has none.
fn with_connect_timeout(url: &str, seconds: u64) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={seconds}")
}

/// SQLite's page cache of one connection, in KiB (`PRAGMA cache_size` takes
/// it negated): its default, and the wide one a connection gets for a long
/// piece of work over much of the file (an alert run's writer, its
/// snapshot, a bulk write), given back when the work ends.
pub const DEFAULT_CACHE_KIB: i32 = 2000;
pub const WIDE_CACHE_KIB: i32 = 64 * 1024;

/// Sets a SQLite connection's page cache to `kib`; nothing on PostgreSQL.
pub fn set_sqlite_cache(conn: &mut DbConnection, kib: i32) -> diesel::QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        diesel::RunQueryDsl::execute(diesel::sql_query(format!("PRAGMA cache_size = -{kib}")), c)?;
    }
    Ok(())
}
