//! Which commands may create a database, and what the others say when the
//! database they are pointed at is not the service's.
//!
//! `serve`, `migrate`, `seed` and `user add` create a missing SQLite file
//! and migrate ([`Open::Create`]). Every other command works on what is
//! there ([`Open::Existing`]): run from the wrong folder, a new empty
//! database would answer "0 stalled" or "intact", a false all-clear, so
//! they refuse, naming the database and what to do.

use crate::config::{DatabaseSettings, Settings};
use crate::db::open::{Open, OpenError, connect_once};
use crate::db::pool::Db;
use crate::db::{DbConnection, sqlite_path};
use crate::services::Services;

/// How to point a command at the service's database: a relative SQLite
/// path is read from the current folder; any URL comes from the layers.
const FROM_ITS_FOLDER: &str = "run it from the service's folder, ";
const POINT_AT_IT: &str = "pass --config with the service's configuration file, or set \
     DATABASE_URL (or MLA__DATABASE__URL) to the service's database";

/// The services over the configured database, for `command`.
pub fn services(settings: Settings, open: Open, command: &str) -> anyhow::Result<Services> {
    let db = Db::open(&settings.database, open)
        .map_err(|e| refusal(&settings.database, open, command, e))?;
    Services::new(settings, db)
}

/// One connection to the configured database, for `command`.
pub fn connection(
    settings: &DatabaseSettings,
    open: Open,
    command: &str,
) -> anyhow::Result<DbConnection> {
    connect_once(settings, open).map_err(|e| refusal(settings, open, command, e))
}

/// An [`OpenError`] with what to do about it, for `command`: a command
/// that needs an existing database says how to reach the service's.
fn refusal(settings: &DatabaseSettings, open: Open, command: &str, e: OpenError) -> anyhow::Error {
    let url = settings.url.expose();
    if open == Open::Create {
        return e.into();
    }
    match e {
        OpenError::NoSqliteFile(path) => {
            let relative = !std::path::Path::new(sqlite_path(url)).is_absolute();
            anyhow::anyhow!(
                "no SQLite database at {}{}. `{command}` works on an existing database and \
                 creates none: {FROM_ITS_FOLDER}{POINT_AT_IT}; `mla-tracker migrate` creates a \
                 new one",
                path.display(),
                if relative {
                    format!(
                        " (database.url `{}` is relative to the current folder)",
                        settings.url
                    )
                } else {
                    String::new()
                }
            )
        }
        OpenError::NoPostgresDatabase { server, name } => anyhow::anyhow!(
            "the PostgreSQL server at {server} has no database `{name}`. `{command}` works on an \
             existing database and creates none: {POINT_AT_IT}; to start a new one, `createdb \
             {name}`, then `mla-tracker migrate`"
        ),
        OpenError::NoSchema(place) => anyhow::anyhow!(
            "{place} holds no mla-tracker schema: run `mla-tracker migrate` first to make it \
             one, or point `{command}` at the service's database ({})",
            "--config, DATABASE_URL or MLA__DATABASE__URL"
        ),
        OpenError::Behind { .. } => {
            anyhow::anyhow!("{e}: run `mla-tracker migrate` first (starting `serve` does it too)")
        }
        other => other.into(),
    }
}
