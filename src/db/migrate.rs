//! Bringing a database to the current schema: the embedded migrations of
//! its backend, then the one-off steps that need the application's hashing
//! (hashing the history written before the event chain existed, writing the
//! first event of the cases the migration to cases made); and telling,
//! without changing anything, whether a database is already there
//! ([`schema_state`]).

use diesel::QueryableByName;
use diesel::RunQueryDsl;
use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;
use super::{cases, events};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

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
    cases::backfill_created_events(conn).map_err(|e| {
        anyhow::anyhow!("writing the first event of the cases made from the requests failed: {e}")
    })?;
    Ok(())
}

/// How a database stands against this version's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    /// No mla-tracker migration was ever applied: an empty database, or
    /// another application's.
    Missing,
    /// Migrations of this version not applied yet (their versions), or a
    /// one-off step after them not done yet (empty list): the history
    /// written before the event chain not hashed, or the cases made from
    /// the requests without their first event.
    Behind(Vec<String>),
    /// Everything this version expects is there.
    Current,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Reads, and never writes, how far the database is migrated: diesel's own
/// `applied_migrations` would create its bookkeeping table in a database
/// that has none.
pub fn schema_state(conn: &mut DbConnection) -> diesel::QueryResult<SchemaState> {
    let has_table = |conn: &mut DbConnection, table: &str| -> diesel::QueryResult<bool> {
        let sql = match conn {
            DbConnection::Postgresql(_) => {
                "SELECT COUNT(*) AS n FROM pg_catalog.pg_tables \
                 WHERE tablename = $1 AND schemaname = ANY (current_schemas(false))"
            }
            DbConnection::Sqlite(_) => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?"
            }
        };
        let found: Count = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(table)
            .get_result(conn)?;
        Ok(found.n > 0)
    };
    if !has_table(conn, "__diesel_schema_migrations")? {
        return Ok(SchemaState::Missing);
    }
    let applied: Vec<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load::<Version>(conn)?
        .into_iter()
        .map(|v| v.version)
        .collect();
    let known = known_versions(conn);
    if !known.first().is_some_and(|first| applied.contains(first)) {
        return Ok(SchemaState::Missing);
    }
    let pending: Vec<String> = known.into_iter().filter(|v| !applied.contains(v)).collect();
    if !pending.is_empty() {
        return Ok(SchemaState::Behind(pending));
    }
    // The chain's backfill runs right after the migrations (run_migrations).
    let unhashed: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM event_chain_backfill").get_result(conn)?;
    Ok(if unhashed.n > 0 || cases::backfill_pending(conn)? {
        SchemaState::Behind(Vec::new())
    } else {
        SchemaState::Current
    })
}

/// The versions of this binary's migrations for the connection's backend,
/// oldest first.
fn known_versions(conn: &DbConnection) -> Vec<String> {
    fn versions<DB: diesel::backend::Backend>(source: &dyn MigrationSource<DB>) -> Vec<String> {
        let mut out: Vec<String> = source
            .migrations()
            .expect("embedded migrations list themselves")
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
        out.sort();
        out
    }
    match conn {
        DbConnection::Postgresql(_) => versions::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(_) => versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection;
    use diesel::connection::SimpleConnection;

    fn memory() -> DbConnection {
        DbConnection::Sqlite(diesel::SqliteConnection::establish(":memory:").unwrap())
    }

    #[test]
    fn the_state_is_read_without_writing() {
        let mut conn = memory();
        assert_eq!(schema_state(&mut conn).unwrap(), SchemaState::Missing);
        // Reading created nothing, not even diesel's bookkeeping table.
        assert_eq!(schema_state(&mut conn).unwrap(), SchemaState::Missing);
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        c.batch_execute("CREATE TABLE other_app (x INTEGER)")
            .unwrap();
        assert_eq!(schema_state(&mut conn).unwrap(), SchemaState::Missing);

        run_migrations(&mut conn).unwrap();
        assert_eq!(schema_state(&mut conn).unwrap(), SchemaState::Current);

        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        c.batch_execute("DELETE FROM __diesel_schema_migrations WHERE version = '20261129000005'")
            .unwrap();
        assert_eq!(
            schema_state(&mut conn).unwrap(),
            SchemaState::Behind(vec!["20261129000005".into()])
        );
    }

    #[test]
    fn another_applications_migrations_are_not_a_schema() {
        let mut conn = memory();
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        c.batch_execute(
            "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY, \
             run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); \
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20200101000000');",
        )
        .unwrap();
        assert_eq!(schema_state(&mut conn).unwrap(), SchemaState::Missing);
    }
}
