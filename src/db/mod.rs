//! Database access for both backends through one connection type.
//!
//! The backend is chosen from the URL scheme. SQLite writes are funnelled
//! through a pool of one connection (see DESIGN.md "Performance targets": a
//! single writer beats busy-waiting for SQLite's write lock); PostgreSQL uses
//! one pool for everything. Every diesel call runs through [`Db::read`] or
//! [`Db::write`], which move it off the async workers.

pub mod alert_state;
pub mod events;
pub mod requests;
pub mod schema;
pub mod stats;
pub mod users;

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseSettings;
use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend. diesel's derive covers the SQL both
/// share; match on the variant where they differ.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgresql(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` or `postgresql://` → PostgreSQL; anything else is a
    /// SQLite file path, optionally prefixed with `sqlite://`.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        })
    }
}

/// The file path behind a SQLite URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

/// Opens connections of the backend the URL names, and prepares SQLite ones.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    pub fn new(url: &str) -> Manager {
        Manager {
            url: url.to_string(),
            backend: Backend::of_url(url),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => {
                let mut conn =
                    PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // diesel prepares every statement; a generic plan would not
                // know a LIKE pattern or a cursor value and could pick a
                // full scan. Planning each run with the real values is cheap.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan")
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgresql(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; NORMAL sync in WAL
                // mode survives a process crash (committed data is in the WAL).
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// The pools and the backend they talk to; cheap to clone.
#[derive(Clone)]
pub struct Db {
    reads: Pool,
    writes: Pool,
    /// Slow background work (mailing) that must not hold the SQLite writer:
    /// a connection of its own there, the shared pool on PostgreSQL.
    background: Pool,
    pub backend: Backend,
}

impl Db {
    /// Connects (creating the SQLite file and its folder if needed) and runs
    /// pending migrations.
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Db> {
        let backend = Backend::of_url(&settings.url);
        if backend == Backend::Sqlite {
            create_sqlite_folder(&settings.url)?;
        }
        let timeout = Duration::from_secs(settings.timeout_seconds);
        // No idle minimum and no reaper: r2d2 then has no background work
        // (it opens connections on demand), so nothing of it races the C
        // libraries' clean-up when the process exits.
        let build = |size: u32| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(0))
                .idle_timeout(None)
                .max_lifetime(None)
                .connection_timeout(timeout)
                .test_on_check_out(false)
                .build(Manager::new(&settings.url))
        };
        let reads = build(settings.pool_size)
            .map_err(|e| anyhow::anyhow!("cannot open the database (database.url): {e}"))?;
        let (writes, background) = match backend {
            Backend::Sqlite => {
                let one = || build(1).map_err(|e| anyhow::anyhow!("cannot open the database: {e}"));
                (one()?, one()?)
            }
            Backend::Postgres => (reads.clone(), reads.clone()),
        };
        let db = Db {
            reads,
            writes,
            background,
            backend,
        };
        let mut conn = db.writes.get()?;
        run_migrations(&mut conn)?;
        Ok(db)
    }

    /// Runs `job` on a pooled connection on the blocking thread pool.
    pub async fn read<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        run_blocking(self.reads.clone(), job).await
    }

    /// Like [`Db::read`], on the connection that may write.
    pub async fn write<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        run_blocking(self.writes.clone(), job).await
    }

    /// Like [`Db::write`], on the background connection.
    pub async fn background<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        run_blocking(self.background.clone(), job).await
    }

    /// A pooled connection for work outside the async runtime (start-up).
    pub fn blocking_conn(&self) -> Result<r2d2::PooledConnection<Manager>, ApiError> {
        self.writes.get().map_err(ApiError::from_pool)
    }
}

async fn run_blocking<T, F>(pool: Pool, job: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(ApiError::from_pool)?;
        job(&mut conn)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// One connection, migrated, without a pool: for command-line work, which
/// needs neither concurrency nor pool threads outliving `main`.
pub fn connect_once(settings: &DatabaseSettings) -> anyhow::Result<DbConnection> {
    if Backend::of_url(&settings.url) == Backend::Sqlite {
        create_sqlite_folder(&settings.url)?;
    }
    let mut conn = Manager::new(&settings.url)
        .connect()
        .map_err(|e| anyhow::anyhow!("cannot open the database (database.url): {e}"))?;
    run_migrations(&mut conn)?;
    Ok(conn)
}

fn create_sqlite_folder(url: &str) -> anyhow::Result<()> {
    if let Some(dir) = Path::new(sqlite_path(url)).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!("cannot create the database folder {}: {e}", dir.display())
        })?;
    }
    Ok(())
}

/// SQLite serves one instance at a time: `serve` holds an exclusive lock on
/// `<database>.lock` for its lifetime, and a second one stops at start-up
/// instead of racing the first (two schedulers, two mailers).
pub fn lock_single_instance(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    if Backend::of_url(url) != Backend::Sqlite {
        return Ok(None);
    }
    create_sqlite_folder(url)?;
    let path = format!("{}.lock", sqlite_path(url));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open {path}: {e}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another mla-tracker is serving the SQLite database {} (it holds {path}); SQLite \
             supports one instance: stop the other one, or use PostgreSQL to run several",
            sqlite_path(url)
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(anyhow::anyhow!("cannot lock {path}: {e}")),
    }
}

/// Applies the migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    let applied = match conn {
        DbConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    if applied > 0 {
        log::info!("applied {applied} migration(s)");
    }
    // Before anything appends: see events::backfill_chains.
    events::backfill_chains(conn)
        .map_err(|e| anyhow::anyhow!("hashing the existing history failed: {e}"))?;
    Ok(())
}

/// Now, at the precision both backends keep (microseconds), so a value reads
/// back exactly as it was written.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now)
}

/// Parses a value read back from the database; a failure means the row was
/// changed outside the application.
pub fn stored<T: std::str::FromStr>(column: &'static str, text: &str) -> QueryResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| {
        diesel::result::Error::DeserializationError(
            format!("unreadable {column} `{text}`: {e}").into(),
        )
    })
}
