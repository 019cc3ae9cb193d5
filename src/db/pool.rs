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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};

use super::connect::{DEFAULT_CACHE_KIB, Manager, WIDE_CACHE_KIB, set_sqlite_cache};
use super::error::{Error, Failure, StorageFault};
use super::group::{self, Group};
use super::open::{Open, OpenError, connect_once, not_writable, place};
use super::{Backend, DbConnection, sqlite_path};
use crate::config::DatabaseSettings;

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

/// A connection in one read transaction ([`Db::snapshot`]); the transaction
/// ends, and the connection goes back to its pool, when it is dropped.
pub struct Snapshot {
    conn: Option<r2d2::PooledConnection<Manager>>,
}

impl Snapshot {
    /// Runs `job` on the snapshot's connection off the async workers.
    pub async fn read<T, E, F>(&mut self, job: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure + Send + 'static,
    {
        let Some(mut conn) = self.conn.take() else {
            return Err(E::from(Error::Internal(anyhow::anyhow!(
                "a snapshot read after one that failed"
            ))));
        };
        let outcome = actix_web::web::block(move || {
            let mut result = job(&mut conn);
            if let Err(e) = &mut result
                && e.storage_error().is_some_and(|e| e.is_connection_outage())
            {
                conn.broken = true;
            }
            (conn, result)
        })
        .await;
        match outcome {
            Ok((conn, result)) => {
                self.conn = Some(conn);
                result
            }
            Err(e) => Err(E::from(Error::Internal(anyhow::anyhow!(
                "blocking task failed: {e}"
            )))),
        }
    }
}

impl Drop for Snapshot {
    /// Ends the read transaction before the connection goes back to its
    /// pool (one statement: nothing was written); a connection where that
    /// fails is dropped instead.
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let ended = diesel::sql_query("COMMIT")
            .execute(&mut conn.conn)
            .and_then(|_| set_sqlite_cache(&mut conn.conn, DEFAULT_CACHE_KIB));
        if let Err(e) = ended {
            log::warn!("could not end a snapshot's read transaction: {e}");
            conn.broken = true;
        }
    }
}

/// What the pools learn from a failed job: an outage is counted (pooled
/// connections are pinged before their next use), and an I/O error on a
/// SQLite file that is not writable is reported as read-only.
fn note_failure<E: Failure>(e: &mut E, outages: &AtomicU64, sqlite_file: Option<&std::path::Path>) {
    let Some(storage) = e.storage_error() else {
        return;
    };
    if storage.is_connection_outage() {
        outages.fetch_add(1, Ordering::AcqRel);
    } else if matches!(storage, Error::Storage(StorageFault::Io, _))
        && sqlite_file.is_some_and(not_writable)
    {
        let Error::Storage(fault, _) = storage else {
            unreachable!("matched a storage fault")
        };
        *fault = StorageFault::ReadOnly;
    }
}

/// Starts a leader of the grouped writes on the blocking pool: it waits for
/// the writer, runs one group, and hands the lead to a new leader if more
/// writes queued meanwhile. Started now and run to its end whether or not
/// the caller that started it still waits: the others' answers depend on it.
fn lead(pool: Pool, group: Arc<Group>) {
    drop(actix_web::web::block(move || match pool.get() {
        Ok(mut conn) => {
            let (more, failed) = group.lead_once(&mut conn);
            // The callers count the outage when they get the error.
            if failed.is_some_and(|e| e.is_connection_outage()) {
                conn.broken = true;
            }
            drop(conn);
            if more {
                lead(pool, group);
            }
        }
        Err(e) => {
            log::warn!("no connection for the grouped writes: {e}");
            group.drop_all();
        }
    }));
}

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
    /// SQLite: the writes waiting to be committed together
    /// ([`Db::write_grouped`]).
    group: Arc<Group>,
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
        let build = |size: u32, manager: &Manager| {
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
        let reads = build(settings.pool_size, &manager).map_err(failed)?;
        let (writes, background) = match backend {
            Backend::Sqlite => {
                let one = || build(1, &manager.writer()).map_err(failed);
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
            group: Arc::default(),
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

    /// Like [`Db::write`], for a short write that stands on its own (a
    /// create): on SQLite it may share a transaction with the writes that
    /// arrive meanwhile, each in a savepoint of its own, and is answered
    /// once that transaction has committed ([`super::group`]). On
    /// PostgreSQL, where concurrent writers each have a connection, it is
    /// [`Db::write`].
    pub async fn write_grouped<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure + From<diesel::result::Error> + Send + 'static,
    {
        if self.backend != Backend::Sqlite {
            return self.write(job).await;
        }
        let (answer, answered) = tokio::sync::oneshot::channel();
        if self.group.push(group::job(job, answer)) {
            lead(self.writes.clone(), self.group.clone());
        }
        let mut result = answered.await.unwrap_or_else(|_| {
            Err(E::from(Error::Unavailable(anyhow::anyhow!(
                "the database's writer could not be reached"
            ))))
        });
        if let Err(e) = &mut result {
            note_failure(e, &self.outages, self.sqlite_file.as_deref());
        }
        result
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

    /// A reading connection kept for a long walk over the register (an
    /// alert run's), in one read transaction: every chunk read sees the
    /// same snapshot, whatever is written meanwhile, and on SQLite the
    /// connection's page cache is widened to [`WIDE_CACHE_KIB`] and
    /// stays warm between chunks (another connection's commit empties a
    /// SQLite connection's cache at its next read transaction, so a walk
    /// reading each chunk in a transaction of its own would read its pages
    /// from the file again and again).
    pub async fn snapshot(&self) -> Result<Snapshot, Error> {
        let pool = self.reads.clone();
        let conn = actix_web::web::block(move || -> Result<_, Error> {
            let mut conn = pool.get()?;
            set_sqlite_cache(&mut conn.conn, WIDE_CACHE_KIB)?;
            let begin = match &mut conn.conn {
                DbConnection::Sqlite(c) => diesel::sql_query("BEGIN").execute(c),
                DbConnection::Postgresql(c) => {
                    diesel::sql_query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(c)
                }
            };
            if let Err(e) = begin {
                conn.broken = true;
                return Err(e.into());
            }
            Ok(conn)
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("blocking task failed: {e}")))??;
        Ok(Snapshot { conn: Some(conn) })
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
            if let Err(e) = &mut result {
                note_failure(e, &outages, sqlite_file.as_deref());
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
