//! Bringing a database to the current schema: the embedded migrations of
//! its backend, then the one-off hashing of history written before the
//! event chain existed.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;
use super::events;

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
    Ok(())
}
