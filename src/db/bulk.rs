//! One transaction of many small writes — an import's thousands of
//! requests — at the cost of its inserts, not of the transaction's length.
//!
//! On PostgreSQL that is any transaction. SQLite needs three things. Its
//! statement journals (what undoes one statement that fails halfway) go to
//! a temporary file once one outgrows 64 KiB, and every later statement of
//! the connection's transaction then writes its own there: a bulk write
//! runs on the writer, whose connections keep them in memory
//! ([`super::connect::Manager::writer`]), each holding only the pages one
//! statement changes. Its FTS5 search indexes write their pending terms to
//! disk at every statement of a transaction that has written to them, so
//! each insert pays a segment of its own and its merging: the requests and
//! cases the transaction inserts are indexed once, by one statement at its
//! end (migration `000017_search_deferred`). And a larger page cache for
//! the transaction's length ([`WIDE_CACHE_KIB`]: 100,000 imported requests
//! took 49 s with it, 53 s with the default), so that the pages of the
//! indexes it writes to stay in memory instead of going to the WAL and
//! coming back.

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};

use super::DbConnection;
use super::connect::{DEFAULT_CACHE_KIB, WIDE_CACHE_KIB, set_sqlite_cache};

/// Runs `write` in one transaction, committed if it returns `Ok`, as a
/// bulk write (see the module's documentation), on the writer. The search
/// index is complete again before the commit: no other connection sees it
/// otherwise.
pub fn transaction<T, E>(
    conn: &mut DbConnection,
    write: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if matches!(conn, DbConnection::Postgresql(_)) {
        return conn.transaction(write);
    }
    set_sqlite_cache(conn, WIDE_CACHE_KIB)?;
    let done = conn.transaction::<_, E, _>(|conn| deferring_search(conn, write));
    // What was committed stays committed, whatever this says: a connection
    // left with the wide cache only holds more memory.
    if let Err(e) = set_sqlite_cache(conn, DEFAULT_CACHE_KIB) {
        log::warn!("the connection keeps a bulk write's page cache: {e}");
    }
    done
}

/// Runs `write` inside the caller's SQLite transaction with the search
/// indexes of the requests and cases it inserts deferred to one statement
/// at its end (see the module's documentation): also what a group of
/// creates does ([`super::group`]), whose creates, each alone, would each
/// write a segment of the search index.
pub fn deferring_search<T, E>(
    conn: &mut DbConnection,
    write: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    diesel::sql_query(
        "INSERT INTO search_deferred (only_row, requests_after, cases_after) VALUES (1, \
         (SELECT COALESCE(MAX(row_key), 0) FROM requests), \
         (SELECT COALESCE(MAX(row_key), 0) FROM cases))",
    )
    .execute(conn)?;
    let out = write(conn)?;
    conn.batch_execute(
        "INSERT INTO requests_search (rowid, search_text) SELECT row_key, search_text \
         FROM requests WHERE row_key > (SELECT requests_after FROM search_deferred); \
         INSERT INTO cases_search (rowid, search_text) SELECT row_key, search_text \
         FROM cases WHERE row_key > (SELECT cases_after FROM search_deferred); \
         DELETE FROM search_deferred;",
    )?;
    Ok(out)
}
