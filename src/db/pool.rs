//! Pools of connections, and running work on them off the async workers.
//!
//! SQLite writes are funnelled through a pool of one connection (a single
//! writer beats busy-waiting for SQLite's write lock: docs/PERFORMANCE.md);
//! PostgreSQL uses one pool for everything. Every diesel call of the service
//! runs through [`Db::read`], [`Db::write`] or [`Db::background`].
//!
//! Outages are bounded and heal without a restart: waiting for a connection
//! is limited by `database.timeout_seconds`, opening one by
//! `connect_timeout_seconds`, a PostgreSQL statement by
//! `statement_timeout_seconds`. A connection on which a job failed with an
//! outage error is dropped instead of returned to the pool, and after any
//! outage, or an idle second, a pooled connection is pinged before its next
//! use, so connections killed by a database restart are replaced, not served.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};

use super::error::{Error, Failure, StorageFault};
use super::migrate::{SchemaState, run_migrations, schema_state};
use super::{Backend, DbConnection, sqlite_path};
use crate::config::{DatabaseSettings, SecretUrl};

/// Opens connections of the backend the URL names, and prepares SQLite ones.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
    /// PostgreSQL `statement_timeout`, set on every connection (0: none).
    statement_timeout_seconds: u64,
    /// Outages seen so far by any pool of this database (shared by clones).
    outages: Arc<AtomicU64>,
}

impl Manager {
    /// A manager for `url` with no timeouts of its own (command-line work).
    pub fn new(url: &str) -> Manager {
        Manager {
            url: url.to_string(),
            backend: Backend::of_url(url),
            statement_timeout_seconds: 0,
            outages: Arc::default(),
        }
    }

    /// A manager with the settings' connect and statement timeouts.
    fn for_serving(settings: &DatabaseSettings) -> Manager {
        Manager {
            statement_timeout_seconds: settings.statement_timeout_seconds,
            ..Manager::for_commands(settings)
        }
    }

    /// A manager with the settings' connect timeout (an unreachable server
    /// costs a bounded wait) and no statement timeout (migrations,
    /// command-line work).
    fn for_commands(settings: &DatabaseSettings) -> Manager {
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
                // diesel prepares every statement; a generic plan would not
                // know a LIKE pattern or a cursor value and could pick a
                // full scan. Planning each run with the real values is cheap.
                conn.batch_execute(&format!(
                    "SET plan_cache_mode = force_custom_plan; SET statement_timeout = '{}s'",
                    self.statement_timeout_seconds
                ))
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
}

/// Adds libpq's `connect_timeout` to a PostgreSQL URL that has none.
fn with_connect_timeout(url: &str, seconds: u64) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={seconds}")
}

/// A pooled connection with what the pool needs to know of its health.
pub struct PoolConn {
    conn: DbConnection,
    /// A job on it failed with an outage error: r2d2 drops it on return.
    broken: bool,
    /// The outage count when it last proved alive; behind the current count,
    /// it is pinged before its next use.
    checked_at: u64,
    /// When it was last handed out: one idle longer than [`IDLE_PING`] is
    /// pinged first (the database may have restarted in the meantime).
    last_checkout: Instant,
}

/// Connections idle for longer are pinged before use. Under load they are
/// reused within milliseconds and never pinged; when traffic is sparse a
/// round trip costs nothing noticeable.
const IDLE_PING: Duration = Duration::from_secs(1);

impl Deref for PoolConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = PoolConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConn, r2d2::Error> {
        let checked_at = self.outages.load(Ordering::Acquire);
        Ok(PoolConn {
            conn: self.open()?,
            broken: false,
            checked_at,
            last_checkout: Instant::now(),
        })
    }

    /// Pings only a connection that sat idle or lived through an outage: a
    /// connection the database dropped meanwhile (restart, failover) is found
    /// dead here and replaced instead of failing a request, while under load
    /// a checkout costs no round trip.
    fn is_valid(&self, conn: &mut PoolConn) -> Result<(), r2d2::Error> {
        let outages = self.outages.load(Ordering::Acquire);
        let now = Instant::now();
        if conn.checked_at != outages || now.duration_since(conn.last_checkout) > IDLE_PING {
            conn.conn.ping().map_err(r2d2::Error::QueryError)?;
            conn.checked_at = outages;
        }
        conn.last_checkout = now;
        Ok(())
    }

    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        conn.broken || conn.conn.is_broken()
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
    /// Shared with the pools' managers: bumped on every outage error.
    outages: Arc<AtomicU64>,
    /// The SQLite file, to tell a read-only file from other I/O errors.
    sqlite_file: Option<std::path::PathBuf>,
}

impl Db {
    /// Connects (creating the SQLite file and its folder if needed) and runs
    /// pending migrations: what `serve` does.
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Db> {
        Ok(Db::open(settings, Open::Create)?)
    }

    /// Connects to the database of `settings`, which may be created and
    /// migrated ([`Open::Create`]) or must be found ready ([`Open::Existing`]).
    pub fn open(settings: &DatabaseSettings, open: Open) -> Result<Db, OpenError> {
        let backend = Backend::of_url(settings.url.expose());
        // Migrations (or the check) first, on a connection without the
        // statement timeout (building an index on a large table may take
        // longer).
        drop(connect_once(settings, open)?);
        let timeout = Duration::from_secs(settings.timeout_seconds);
        let manager = Manager::for_serving(settings);
        let outages = manager.outages.clone();
        // No idle minimum and no reaper: r2d2 then has no background work
        // (it opens connections on demand), so nothing of it races the C
        // libraries' clean-up when the process exits. Checkouts are tested,
        // but `Manager::is_valid` only pings after an outage.
        let build = |size: u32| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(0))
                .idle_timeout(None)
                .max_lifetime(None)
                .connection_timeout(timeout)
                .test_on_check_out(true)
                .build(manager.clone())
        };
        let failed = |e: r2d2::PoolError| OpenError::Failed {
            place: place(&settings.url),
            cause: e.to_string(),
        };
        let reads = build(settings.pool_size).map_err(failed)?;
        let (writes, background) = match backend {
            Backend::Sqlite => {
                let one = || build(1).map_err(failed);
                (one()?, one()?)
            }
            Backend::Postgres => (reads.clone(), reads.clone()),
        };
        Ok(Db {
            reads,
            writes,
            background,
            backend,
            outages,
            sqlite_file: (backend == Backend::Sqlite)
                .then(|| sqlite_path(settings.url.expose()).into()),
        })
    }

    /// Runs `job` on a pooled connection on the blocking thread pool.
    pub async fn read<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure + Send + 'static,
    {
        self.run_blocking(&self.reads, job).await
    }

    /// Like [`Db::read`], on the connection that may write.
    pub async fn write<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure + Send + 'static,
    {
        self.run_blocking(&self.writes, job).await
    }

    /// Like [`Db::write`], on the background connection.
    pub async fn background<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure + Send + 'static,
    {
        self.run_blocking(&self.background, job).await
    }

    /// A pooled connection for work outside the async runtime (start-up).
    pub fn blocking_conn(&self) -> Result<r2d2::PooledConnection<Manager>, Error> {
        Ok(self.writes.get()?)
    }

    /// Runs `job` on a connection of `pool` off the async workers. An outage
    /// error drops the connection (see the module documentation); an I/O
    /// error on a SQLite file that is not writable is reported as read-only.
    async fn run_blocking<T, E, F>(&self, pool: &Pool, job: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure + Send + 'static,
    {
        let pool = pool.clone();
        let outages = self.outages.clone();
        let sqlite_file = self.sqlite_file.clone();
        let outcome = actix_web::web::block(move || {
            let mut result = match pool.get() {
                Err(e) => Err(E::from(Error::from(e))),
                Ok(mut conn) => {
                    let mut result = job(&mut conn);
                    if let Err(e) = &mut result
                        && e.storage_error().is_some_and(|e| e.is_connection_outage())
                    {
                        conn.broken = true;
                    }
                    result
                }
            };
            if let Err(e) = &mut result
                && let Some(storage) = e.storage_error()
            {
                if storage.is_connection_outage() {
                    outages.fetch_add(1, Ordering::AcqRel);
                } else if matches!(storage, Error::Storage(StorageFault::Io, _))
                    && sqlite_file.as_deref().is_some_and(not_writable)
                {
                    let Error::Storage(fault, _) = storage else {
                        unreachable!("matched a storage fault")
                    };
                    *fault = StorageFault::ReadOnly;
                }
            }
            result
        })
        .await;
        match outcome {
            Ok(result) => result,
            Err(e) => Err(E::from(Error::Internal(anyhow::anyhow!(
                "blocking task failed: {e}"
            )))),
        }
    }
}

/// Whether the operating system refuses to open `file` (or its WAL) for
/// writing: a read-only filesystem, an immutable file (`chattr +i`), or a
/// permission missing (ignored for root).
fn not_writable(file: &Path) -> bool {
    let wal = format!("{}-wal", file.display());
    [file, Path::new(&wal)].iter().any(|path| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .is_err_and(|e| {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                )
            })
    })
}

/// Whether opening a database may create it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// Create a missing SQLite file (and its folder) and apply pending
    /// migrations: `serve`, `migrate`, `seed` and `user add`.
    Create,
    /// The database must be there with this version's schema; nothing is
    /// created or changed, anything else is an [`OpenError`]: the commands
    /// that read, report or copy, for which a new empty database would
    /// answer "nothing to report".
    Existing,
}

/// Why a database could not be opened, in terms an operator can act on:
/// SQLite paths are absolute, PostgreSQL servers are named by host and
/// port, and no password is ever shown.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no SQLite database at {}", .0.display())]
    NoSqliteFile(PathBuf),
    #[error(
        "the PostgreSQL server at {server} has no database `{name}`: create it with \
         `createdb {name}` (as a user allowed to create databases), then run this again"
    )]
    NoPostgresDatabase { server: String, name: String },
    /// The database is there but holds no mla-tracker schema.
    #[error("{0} holds no mla-tracker schema")]
    NoSchema(String),
    /// Migrations of this version (or the chain's hashing) not applied yet.
    #[error("{place} is not up to date with this version of mla-tracker ({what})")]
    Behind { place: String, what: String },
    #[error(
        "cannot create the folder {} for the SQLite database: {}",
        .folder.display(), .cause
    )]
    NoFolder { folder: PathBuf, cause: String },
    #[error(
        "cannot {} the SQLite database {}: its folder {} is not writable by this process{}",
        if *.exists { "open" } else { "create" },
        .database.display(),
        .folder.display(),
        if *.exists {
            ", and SQLite writes its journal files (-wal, -shm) beside the database; make the \
             folder writable, or move the database to one that is"
        } else {
            "; make it writable, or set database.url to a folder that is"
        }
    )]
    ReadOnlyFolder {
        database: PathBuf,
        folder: PathBuf,
        /// Whether the database file is there (else it was to be created).
        exists: bool,
    },
    #[error(
        "cannot open the SQLite database {}: the file is not writable by this process",
        .0.display()
    )]
    ReadOnlyFile(PathBuf),
    #[error(
        "cannot open the database: no PostgreSQL server answers at {server} ({cause}); is it \
         running there, and is database.url right?"
    )]
    Unreachable { server: String, cause: String },
    #[error("cannot open {place}: {cause}")]
    Failed { place: String, cause: String },
    #[error(transparent)]
    Migrations(anyhow::Error),
}

/// One connection without a pool, for command-line work, which needs
/// neither concurrency nor pool threads outliving `main`: created and
/// migrated, or checked, as `open` says.
pub fn connect_once(settings: &DatabaseSettings, open: Open) -> Result<DbConnection, OpenError> {
    let url = &settings.url;
    let mut created = None;
    if Backend::of_url(url.expose()) == Backend::Sqlite {
        let file = absolute(sqlite_path(url.expose()));
        match open {
            Open::Existing if !file.exists() => return Err(OpenError::NoSqliteFile(file)),
            Open::Existing if !file.is_file() => {
                return Err(OpenError::Failed {
                    place: place(url),
                    cause: "it is a folder, not a database file".into(),
                });
            }
            Open::Existing => {}
            Open::Create => {
                create_sqlite_folder(&file)?;
                created = (!file.exists()).then_some(file);
            }
        }
    }
    let mut conn = Manager::for_commands(settings)
        .open()
        .map_err(|e| diagnose(url, &e.to_string()))?;
    match open {
        Open::Create => {
            if let Some(file) = created {
                log::info!("created the SQLite database {}", file.display());
            }
            run_migrations(&mut conn).map_err(OpenError::Migrations)?;
        }
        Open::Existing => {
            let state = schema_state(&mut conn).map_err(|e| diagnose(url, &e.to_string()))?;
            match state {
                SchemaState::Current => {}
                SchemaState::Missing => return Err(OpenError::NoSchema(place(url))),
                SchemaState::Behind(pending) => {
                    return Err(OpenError::Behind {
                        place: place(url),
                        what: match pending.len() {
                            0 => "the history written before the event chain is not hashed yet"
                                .into(),
                            n => format!("{n} migration(s) to apply"),
                        },
                    });
                }
            }
        }
    }
    Ok(conn)
}

/// The database a URL names, for messages: `the SQLite database /abs/path`
/// or `the PostgreSQL database `name` on host:port`.
pub fn place(url: &SecretUrl) -> String {
    match Backend::of_url(url.expose()) {
        Backend::Sqlite => format!(
            "the SQLite database {}",
            absolute(sqlite_path(url.expose())).display()
        ),
        Backend::Postgres => {
            let target = PgTarget::of(url.expose());
            match target.database {
                Some(name) => format!("the PostgreSQL database `{name}` on {}", target.server),
                None => format!("the default PostgreSQL database on {}", target.server),
            }
        }
    }
}

/// `path` made absolute against the current folder (not resolving links),
/// so that a message shows which folder a relative `database.url` meant.
fn absolute(path: &str) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path))
}

/// What went wrong opening the database at `url`, from the driver's
/// message and, for SQLite, a look at the file and its folder.
fn diagnose(url: &SecretUrl, message: &str) -> OpenError {
    match Backend::of_url(url.expose()) {
        Backend::Postgres => diagnose_postgres(url, message),
        Backend::Sqlite => {
            let database = absolute(sqlite_path(url.expose()));
            let folder = database
                .parent()
                .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
            // What SQLite says when it cannot open or write its files.
            let refused = ["unable to open database file", "readonly database"]
                .iter()
                .any(|m| message.contains(m));
            if !refused {
                OpenError::Failed {
                    place: place(url),
                    cause: message.trim().to_string(),
                }
            } else if !folder_writable(&folder) {
                let exists = database.exists();
                OpenError::ReadOnlyFolder {
                    database,
                    folder,
                    exists,
                }
            } else if database.exists() && not_writable(&database) {
                OpenError::ReadOnlyFile(database)
            } else {
                OpenError::Failed {
                    place: place(url),
                    cause: message.trim().to_string(),
                }
            }
        }
    }
}

/// libpq's messages: `connection to server at "h", port p failed: CAUSE`,
/// where CAUSE is `FATAL: …` when the server answered, else why it could
/// not be reached; or `could not translate host name …`.
fn diagnose_postgres(url: &SecretUrl, message: &str) -> OpenError {
    let target = PgTarget::of(url.expose());
    let first = message.lines().next().unwrap_or_default().trim();
    let cause = first
        .split_once(" failed: ")
        .map_or(first, |(_, cause)| cause)
        .trim();
    if let Some(fatal) = cause.strip_prefix("FATAL:") {
        let fatal = fatal.trim();
        if let Some(name) = fatal
            .strip_prefix("database \"")
            .and_then(|rest| rest.strip_suffix("\" does not exist"))
        {
            return OpenError::NoPostgresDatabase {
                server: target.server,
                name: name.to_string(),
            };
        }
        return OpenError::Failed {
            place: place(url),
            cause: fatal.to_string(),
        };
    }
    const UNREACHABLE: [&str; 7] = [
        "Connection refused",
        "could not translate host name",
        "timeout expired",
        "Connection timed out",
        "No route to host",
        "Network is unreachable",
        "No such file or directory",
    ];
    if UNREACHABLE.iter().any(|u| cause.contains(u)) {
        return OpenError::Unreachable {
            server: target.server,
            cause: cause.to_string(),
        };
    }
    OpenError::Failed {
        place: place(url),
        cause: cause.to_string(),
    }
}

/// Where a PostgreSQL URL points, without its credentials.
#[derive(Debug, PartialEq)]
struct PgTarget {
    /// `host:port`, or the local socket.
    server: String,
    /// The database named in the URL; libpq's default (the user's name)
    /// otherwise.
    database: Option<String>,
}

impl PgTarget {
    /// `postgres://[user[:password]@][host][:port][/dbname][?host=…&port=…&dbname=…]`.
    fn of(url: &str) -> PgTarget {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (mut host, mut port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host.to_string(), port.to_string()),
            _ => (hostport.to_string(), String::new()),
        };
        let mut database = (!path.is_empty()).then(|| path.to_string());
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("host", value)) => host = value.to_string(),
                Some(("port", value)) => port = value.to_string(),
                Some(("dbname", value)) => database = Some(value.to_string()),
                _ => {}
            }
        }
        let port = if port.is_empty() { "5432".into() } else { port };
        let server = if host.is_empty() || host.starts_with('/') {
            format!("the local socket (port {port})")
        } else {
            format!("{host}:{port}")
        };
        PgTarget { server, database }
    }
}

/// Whether a file can be created in `folder` (tried, then removed): false
/// for a read-only filesystem, an immutable folder (`chattr +i`) or a
/// missing permission. Called only once something failed.
fn folder_writable(folder: &Path) -> bool {
    let probe = folder.join(format!(
        ".mla-tracker-probe-{}",
        uuid::Uuid::new_v4().simple()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    }
}

/// Creates the folder of a SQLite database; an error names the folder that
/// refused it.
fn create_sqlite_folder(database: &Path) -> Result<(), OpenError> {
    let Some(folder) = database.parent() else {
        return Ok(());
    };
    std::fs::create_dir_all(folder).map_err(|e| {
        let refusing = folder.ancestors().find(|a| a.exists());
        OpenError::NoFolder {
            folder: folder.to_path_buf(),
            cause: match refusing {
                Some(parent)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::PermissionDenied
                            | std::io::ErrorKind::ReadOnlyFilesystem
                    ) =>
                {
                    format!("{} is not writable by this process ({e})", parent.display())
                }
                _ => e.to_string(),
            },
        }
    })
}

/// What holds the single-instance lock of a SQLite database, as the lock
/// file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// `serve`, for its lifetime: it scans on schedule and its delivery loop
    /// sends due digests.
    Serve,
    /// `alerts run`, while it scans and sends.
    AlertsRun,
}

impl Holder {
    fn as_str(self) -> &'static str {
        match self {
            Holder::Serve => "serve",
            Holder::AlertsRun => "alerts run",
        }
    }
}

/// The outcome of [`claim_single_instance`].
#[derive(Debug)]
pub enum Claim {
    /// PostgreSQL: instances coordinate in the database; no lock.
    Shared,
    /// This process holds the lock until the file is dropped.
    Held(std::fs::File),
    /// Another process holds it; `None` when its lock file does not say who
    /// (a version from before holders were recorded: a `serve`).
    Busy(Option<Holder>),
}

/// SQLite serves one instance at a time, so that two processes never send
/// the same digest: whoever sends (`serve` for its lifetime, `alerts run`
/// while it runs) holds an exclusive lock on `<database>.lock`, and writes
/// what it is into it. Does not create the lock file's folder.
pub fn claim_single_instance(url: &str, me: Holder) -> anyhow::Result<Claim> {
    if Backend::of_url(url) != Backend::Sqlite {
        return Ok(Claim::Shared);
    }
    let path = lock_path(url);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| {
            let folder = path.parent().unwrap_or(Path::new("/"));
            if folder_writable(folder) {
                anyhow::anyhow!("cannot open the lock file {}: {e}", path.display())
            } else {
                anyhow::anyhow!(
                    "cannot create the lock file {}: its folder {} is not writable by this \
                     process ({e})",
                    path.display(),
                    folder.display()
                )
            }
        })?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::Write;
            // Who holds it, for whoever finds it busy.
            let said = file.set_len(0).and_then(|()| {
                writeln!(file, "{} {}", me.as_str(), std::process::id())?;
                file.flush()
            });
            if let Err(e) = said {
                log::warn!("cannot write to the lock file {}: {e}", path.display());
            }
            Ok(Claim::Held(file))
        }
        Err(std::fs::TryLockError::WouldBlock) => Ok(Claim::Busy(holder_of(&path))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::anyhow!("cannot lock {}: {e}", path.display()))
        }
    }
}

/// `serve`'s claim: creates the database's folder if needed, and stops
/// start-up when another process holds the lock.
pub fn lock_single_instance(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    if Backend::of_url(url) == Backend::Sqlite {
        create_sqlite_folder(&absolute(sqlite_path(url)))?;
    }
    match claim_single_instance(url, Holder::Serve)? {
        Claim::Shared => Ok(None),
        Claim::Held(file) => Ok(Some(file)),
        Claim::Busy(holder) => anyhow::bail!(
            "another mla-tracker{} is using the SQLite database {} (it holds {}); SQLite \
             supports one serving instance: stop the other one, or use PostgreSQL to run several",
            match holder {
                Some(Holder::AlertsRun) => " (`alerts run`, sending digests)",
                _ => "",
            },
            absolute(sqlite_path(url)).display(),
            lock_path(url).display()
        ),
    }
}

fn lock_path(url: &str) -> PathBuf {
    absolute(&format!("{}.lock", sqlite_path(url)))
}

/// What the lock file says holds it.
fn holder_of(path: &Path) -> Option<Holder> {
    let said = std::fs::read_to_string(path).ok()?;
    if said.starts_with("serve ") {
        Some(Holder::Serve)
    } else if said.starts_with("alerts run ") {
        Some(Holder::AlertsRun)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_name_their_server_and_database_without_the_password() {
        let t = PgTarget::of("postgres://mla:s3cret@db.example:6543/cases?sslmode=require");
        assert_eq!(t.server, "db.example:6543");
        assert_eq!(t.database.as_deref(), Some("cases"));
        let t = PgTarget::of("postgresql://postgres@127.0.0.1/postgres");
        assert_eq!(t.server, "127.0.0.1:5432");
        let t = PgTarget::of("postgres://u@[::1]:5433/x");
        assert_eq!(t.server, "[::1]:5433");
        let t = PgTarget::of("postgres:///mla?host=/var/run/postgresql");
        assert_eq!(t.server, "the local socket (port 5432)");
        assert_eq!(t.database.as_deref(), Some("mla"));
        assert_eq!(PgTarget::of("postgres://u:p@h").database, None);
    }

    #[test]
    fn libpq_messages_become_causes() {
        let url = SecretUrl::new("postgres://u:s3cret@127.0.0.1:5499/x");
        let e = diagnose(
            &url,
            "connection to server at \"127.0.0.1\", port 5499 failed: Connection refused\n\t\
             Is the server running on that host and accepting TCP/IP connections?\n",
        );
        assert_eq!(
            e.to_string(),
            "cannot open the database: no PostgreSQL server answers at 127.0.0.1:5499 \
             (Connection refused); is it running there, and is database.url right?"
        );
        let e = diagnose(
            &url,
            "connection to server at \"127.0.0.1\", port 5499 failed: FATAL:  database \"x\" \
             does not exist\n",
        );
        assert!(
            matches!(&e, OpenError::NoPostgresDatabase { name, .. } if name == "x"),
            "{e}"
        );
        assert!(e.to_string().contains("`createdb x`"), "{e}");
        let e = diagnose(
            &url,
            "connection to server at \"127.0.0.1\", port 5499 failed: FATAL:  password \
             authentication failed for user \"u\"\n",
        );
        assert_eq!(
            e.to_string(),
            "cannot open the PostgreSQL database `x` on 127.0.0.1:5499: password authentication \
             failed for user \"u\""
        );
        let e = diagnose(
            &url,
            "could not translate host name \"nohost\" to address: Name or service not known\n",
        );
        assert!(matches!(e, OpenError::Unreachable { .. }), "{e}");
        assert!(!format!("{e} {e:?}").contains("s3cret"));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_named_with_sqlites_words() {
        let dir = std::env::temp_dir().join(format!("mla-pool-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("notes.txt");
        std::fs::write(
            &file,
            "not a database, but long enough to have a header ".repeat(10),
        )
        .unwrap();
        let mut settings = crate::config::Settings::defaults().database;
        settings.url = SecretUrl::new(file.display().to_string());
        let e = connect_once(&settings, Open::Existing).err().unwrap();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot open the SQLite database {}: file is not a database",
                file.display()
            )
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_sqlite_file_is_refused_and_not_created() {
        let dir = std::env::temp_dir().join(format!("mla-pool-{}", uuid::Uuid::new_v4().simple()));
        let file = dir.join("data/mla.db");
        let mut settings = crate::config::Settings::defaults().database;
        settings.url = SecretUrl::new(format!("sqlite://{}", file.display()));
        let e = connect_once(&settings, Open::Existing).err().unwrap();
        assert!(
            matches!(&e, OpenError::NoSqliteFile(f) if *f == file),
            "{e}"
        );
        assert!(!dir.exists(), "nothing created");

        connect_once(&settings, Open::Create).unwrap();
        assert!(file.is_file());
        connect_once(&settings, Open::Existing).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
