//! Storage for both backends through one connection type.
//!
//! The backend is chosen from the URL scheme. [`pool::Db`] hands out
//! connections off the async workers; the modules beside it read and write
//! one kind of record each, returning storage errors ([`error::Error`]) and
//! leaving business rules to the services. [`migrate`] brings a database to
//! the current schema.

pub mod alert_state;
pub mod bulk;
pub mod calendar_feeds;
pub mod cases;
pub mod connect;
pub mod error;
pub mod events;
mod group;
pub mod instance;
pub mod invitations;
pub mod links;
pub mod migrate;
pub mod open;
pub mod pool;
pub mod preservations;
pub mod private_files;
pub mod register;
pub mod requests;
pub mod schema;
pub mod sessions;
pub mod stats;
pub mod users;

use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

pub use error::{Error, StorageFault};

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

/// A new record's id: a UUID that begins with the time it was made
/// (version 7), so that each index on ids grows at its end, where a
/// random id (version 4) lands on a page of its own in every one of them.
/// At 100,000 imported requests that was a sixth of the import's time.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// `column IN (ids)` with the ids bound as one JSON array, so the statement
/// reads the same whatever their number and each connection prepares it
/// once. diesel's `eq_any` binds each id, and a statement with a varying
/// number of binds is never cached: SQLite parsed and planned it again at
/// every call, a quarter of the time of a read by id.
pub fn one_of<C>(column: C, ids: &[String]) -> OneOf<C> {
    OneOf {
        column,
        ids: serde_json::to_string(ids).expect("strings serialise"),
    }
}

/// See [`one_of`].
#[derive(Debug, Clone)]
pub struct OneOf<C> {
    column: C,
    /// The ids, as a JSON array of strings.
    ids: String,
}

mod one_of_sql {
    use diesel::expression::{AppearsOnTable, Expression, ValidGrouping};
    use diesel::pg::Pg;
    use diesel::query_builder::{AstPass, QueryFragment, QueryId};
    use diesel::sql_types::{Bool, Text};
    use diesel::sqlite::Sqlite;
    use diesel::QueryResult;

    use super::OneOf;
    use super::MultiBackend;

    impl<C: Expression<SqlType = Text>> Expression for OneOf<C> {
        type SqlType = Bool;
    }

    impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for OneOf<C> where Self: Expression {}

    impl<C: ValidGrouping<G>, G> ValidGrouping<G> for OneOf<C> {
        type IsAggregate = C::IsAggregate;
    }

    /// The text of the statement depends on the column alone: it may be
    /// cached under the column's type.
    impl<C: QueryId> QueryId for OneOf<C> {
        type QueryId = OneOf<C::QueryId>;
        const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
    }

    impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for OneOf<C> {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
            self.column.walk_ast(out.reborrow())?;
            out.push_sql(" IN (SELECT value FROM json_each(");
            out.push_bind_param::<Text, _>(&self.ids)?;
            out.push_sql("))");
            Ok(())
        }
    }

    impl<C: QueryFragment<Pg>> QueryFragment<Pg> for OneOf<C> {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            self.column.walk_ast(out.reborrow())?;
            out.push_sql(" IN (SELECT jsonb_array_elements_text(CAST(");
            out.push_bind_param::<Text, _>(&self.ids)?;
            out.push_sql(" AS jsonb)))");
            Ok(())
        }
    }

    impl<C> QueryFragment<MultiBackend> for OneOf<C>
    where
        Self: QueryFragment<Pg> + QueryFragment<Sqlite>,
    {
        fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
            MultiBackend::walk_variant_ast(self, pass)
        }
    }
}
