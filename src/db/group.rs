//! Group commit on SQLite: short, independent writes that arrive while the
//! writer is busy are run together in one transaction, each in a savepoint
//! of its own, and each caller is answered once that transaction has
//! committed.
//!
//! SQLite commits by appending every page a transaction changed to the
//! write-ahead log (and, with `synchronous = FULL`, flushing it). A create
//! changes a page of each of its tables and of each of their indexes, and
//! concurrent creates change the same pages (their ids and dates are
//! close), so creates committed together write each page once instead of
//! once apiece; the search index of the requests and cases a group
//! inserts is written once, at its end ([`super::bulk::deferring_search`]),
//! rather than a segment per create. A write that fails rolls back its
//! savepoint only; if the shared commit fails, every write of the group
//! gets its error, and none of them is stored.
//!
//! There is no waiting for company: the first write to arrive leads, runs
//! alone if it is alone, and whatever queued up meanwhile forms the next
//! group, so a lone write costs what it did. Each group is one checkout of
//! the writer: between groups, other writes (an alert run's slices, an
//! update) take their turn.

use std::sync::{Arc, Mutex, MutexGuard};

use diesel::Connection;

use super::DbConnection;
use super::error::Error;

/// What a grouped write hands back once run: it answers its caller with
/// the outcome of the group's commit.
type Answer = Box<dyn FnOnce(Result<(), &Error>) + Send>;

/// A write waiting for its group.
pub(super) type Job = Box<dyn FnOnce(&mut DbConnection) -> Answer + Send>;

/// The writes waiting for the writer, and whether a leader is running them.
#[derive(Default)]
pub(super) struct Group {
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    leading: bool,
}

impl Group {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `job`; `true` when the caller must start a leader (none runs).
    pub(super) fn push(&self, job: Job) -> bool {
        let mut queue = self.queue();
        queue.jobs.push(job);
        !std::mem::replace(&mut queue.leading, true)
    }

    /// The leader's work on one checkout of the writer: runs every write
    /// queued now as one group, answers them, and tells whether more have
    /// queued meanwhile (`true`: the lead stays taken, and the caller hands
    /// it to a new leader, which waits for the writer like any other write,
    /// so a steady stream of grouped writes never shuts the others out).
    /// The error is the failed commit's, so the pool can tell an outage.
    pub(super) fn lead_once(self: &Arc<Self>, conn: &mut DbConnection) -> (bool, Option<Error>) {
        let _done = Relinquish(self);
        let jobs = std::mem::take(&mut self.queue().jobs);
        let mut answers = Vec::with_capacity(jobs.len());
        let committed = conn.transaction::<(), Error, _>(|conn| {
            super::bulk::deferring_search(conn, |conn| {
                answers.extend(jobs.into_iter().map(|job| job(conn)));
                Ok::<_, Error>(())
            })
        });
        for answer in answers {
            answer(committed.as_ref().map(|_| ()));
        }
        let mut queue = self.queue();
        let more = !queue.jobs.is_empty();
        queue.leading = more;
        (more, committed.err())
    }

    /// No leader could start (no connection): the queued writes are
    /// dropped, and their callers answer that the database is unavailable.
    pub(super) fn drop_all(&self) {
        let mut queue = self.queue();
        queue.leading = false;
        queue.jobs.clear();
    }
}

/// Hands the lead back if the leader unwinds (a write panicked): the
/// writes still queued are dropped, so their callers get an error instead
/// of waiting for a leader that is gone.
struct Relinquish<'g>(&'g Arc<Group>);

impl Drop for Relinquish<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.queue();
            queue.leading = false;
            queue.jobs.clear();
        }
    }
}

/// Wraps `job` for a group: it runs in a savepoint, so its failure undoes
/// its own writes only, and its caller learns the outcome on `answer`
/// once the group's transaction has committed (or failed to).
pub(super) fn job<T, E, F>(job: F, answer: tokio::sync::oneshot::Sender<Result<T, E>>) -> Job
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + From<diesel::result::Error> + Send + 'static,
{
    Box::new(move |conn: &mut DbConnection| {
        let outcome = conn.transaction(job);
        Box::new(move |committed: Result<(), &Error>| {
            let _ = answer.send(match (outcome, committed) {
                (Err(e), _) => Err(e),
                (Ok(_), Err(e)) => Err(E::from(e.again())),
                (Ok(value), Ok(())) => Ok(value),
            });
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Text};

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// The schema (a group writes the search index at its end) and a table
    /// of names to write to.
    fn conn() -> DbConnection {
        let mut conn =
            DbConnection::Sqlite(diesel::SqliteConnection::establish(":memory:").unwrap());
        crate::db::migrate::run_migrations(&mut conn).unwrap();
        diesel::sql_query("CREATE TABLE t (name TEXT PRIMARY KEY NOT NULL)")
            .execute(&mut conn)
            .unwrap();
        conn
    }

    fn insert(name: &'static str) -> impl FnOnce(&mut DbConnection) -> Result<usize, Error> {
        move |conn| {
            Ok(diesel::sql_query("INSERT INTO t (name) VALUES (?)")
                .bind::<Text, _>(name)
                .execute(conn)?)
        }
    }

    fn names(conn: &mut DbConnection) -> i64 {
        diesel::sql_query("SELECT count(*) AS n FROM t")
            .get_result::<Count>(conn)
            .unwrap()
            .n
    }

    #[test]
    fn a_failed_write_undoes_only_its_own_changes_and_the_others_commit_together() {
        let group = Arc::new(Group::default());
        let mut answers = Vec::new();
        type Write = Box<dyn FnOnce(&mut DbConnection) -> Result<usize, Error> + Send>;
        let mut queue = |job: Write| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let lead = group.push(super::job(job, tx));
            answers.push(rx);
            lead
        };
        assert!(queue(Box::new(insert("a"))), "the first write leads");
        assert!(!queue(Box::new(insert("b"))), "the next ones wait for it");
        assert!(!queue(Box::new(|conn: &mut DbConnection| {
            insert("c")(conn)?;
            // A clash after a first write: both are undone.
            insert("a")(conn)
        })));
        assert!(!queue(Box::new(insert("d"))));
        let mut conn = conn();
        let (more, failed) = group.lead_once(&mut conn);
        assert!(!more && failed.is_none(), "the group committed");
        let outcomes: Vec<_> = answers
            .into_iter()
            .map(|mut rx| rx.try_recv().expect("every caller is answered"))
            .collect();
        assert!(matches!(outcomes[0], Ok(1)));
        assert!(matches!(outcomes[1], Ok(1)));
        assert!(matches!(outcomes[2], Err(Error::UniqueViolation(_))));
        assert!(matches!(outcomes[3], Ok(1)));
        assert_eq!(names(&mut conn), 3, "a, b and d; not c");
        assert!(group.push(super::job(insert("e"), tokio::sync::oneshot::channel().0)));
    }

    #[test]
    fn when_the_shared_commit_fails_every_caller_of_the_group_gets_the_error() {
        let group = Arc::new(Group::default());
        let mut conn = conn();
        let (tx, mut ok_first) = tokio::sync::oneshot::channel();
        group.push(super::job(insert("a"), tx));
        // A write that ends the transaction under the group's feet: the
        // group's own COMMIT then fails.
        let (tx, mut breaker) = tokio::sync::oneshot::channel();
        group.push(super::job(
            |conn: &mut DbConnection| -> Result<usize, Error> {
                Ok(diesel::sql_query("ROLLBACK").execute(conn)?)
            },
            tx,
        ));
        assert!(group.lead_once(&mut conn).1.is_some(), "the commit failed");
        assert!(
            ok_first.try_recv().unwrap().is_err(),
            "not stored, so not Ok"
        );
        assert!(breaker.try_recv().unwrap().is_err());
        assert_eq!(names(&mut conn), 0);
    }
}
