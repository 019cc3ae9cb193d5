//! Web sign-in sessions, known by the SHA-256 of the secret the browser's
//! cookie holds (never by the secret). Whether a session has ended is the
//! caller's rule (idle and absolute limits from the settings); this module
//! stores, finds, touches and deletes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::DbConnection;
use super::schema::{users, web_sessions};
use super::users::UserRow;
use super::{now, stored};
use crate::db::users::User;
use crate::domain::Language;

/// A session and whose it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub language: Option<Language>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

/// Starts a session for `user_id`, known by `id_hash`.
pub fn create(conn: &mut DbConnection, id_hash: &str, user_id: Uuid) -> QueryResult<()> {
    let now = now();
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::id_hash.eq(id_hash),
            web_sessions::user_id.eq(user_id.to_string()),
            web_sessions::created_at.eq(now),
            web_sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session known by `id_hash`, if its user is active.
pub fn find(conn: &mut DbConnection, id_hash: &str) -> QueryResult<Option<Session>> {
    web_sessions::table
        .inner_join(users::table)
        .filter(web_sessions::id_hash.eq(id_hash))
        .filter(users::deactivated_at.is_null())
        .select((
            UserRow::as_select(),
            users::language,
            web_sessions::created_at,
            web_sessions::last_seen_at,
        ))
        .first::<(UserRow, Option<String>, NaiveDateTime, NaiveDateTime)>(conn)
        .optional()?
        .map(|(row, language, created_at, last_seen_at)| {
            Ok(Session {
                user: row.into_user()?,
                language: language.map(|c| stored("users.language", &c)).transpose()?,
                created_at,
                last_seen_at,
            })
        })
        .transpose()
}

/// Records that the session was used now.
pub fn touch(conn: &mut DbConnection, id_hash: &str) -> QueryResult<()> {
    diesel::update(web_sessions::table.find(id_hash))
        .set(web_sessions::last_seen_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// Ends one session.
pub fn delete(conn: &mut DbConnection, id_hash: &str) -> QueryResult<()> {
    diesel::delete(web_sessions::table.find(id_hash)).execute(conn)?;
    Ok(())
}

/// Ends every session of a user.
pub fn delete_for_user(conn: &mut DbConnection, user_id: Uuid) -> QueryResult<()> {
    diesel::delete(web_sessions::table.filter(web_sessions::user_id.eq(user_id.to_string())))
        .execute(conn)?;
    Ok(())
}

/// Deletes the sessions idle since before `idle_before` or started before
/// `started_before`: they can no longer be used.
pub fn delete_ended(
    conn: &mut DbConnection,
    idle_before: NaiveDateTime,
    started_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        web_sessions::table.filter(
            web_sessions::last_seen_at
                .lt(idle_before)
                .or(web_sessions::created_at.lt(started_before)),
        ),
    )
    .execute(conn)
}
