//! Users and their bearer tokens (stored only as SHA-256 hashes).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::DbConnection;
use super::schema::users;
use super::{now, stored};
use crate::credentials::{hash_token, new_token};
use crate::domain::{Language, Role};

/// A user as the API shows it; never carries the token or its hash.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub token_created_at: Option<DateTime<Utc>>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(super) struct UserRow {
    id: String,
    name: String,
    email: String,
    role: String,
    token_created_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    deactivated_at: Option<NaiveDateTime>,
}

impl UserRow {
    pub(super) fn into_user(self) -> QueryResult<User> {
        Ok(User {
            id: stored("users.id", &self.id)?,
            name: self.name,
            email: self.email,
            role: stored("users.role", &self.role)?,
            active: self.deactivated_at.is_none(),
            created_at: self.created_at.and_utc(),
            token_created_at: self.token_created_at.map(|t| t.and_utc()),
            deactivated_at: self.deactivated_at.map(|t| t.and_utc()),
        })
    }
}

/// Creates a user and its first token; the token is returned once, here.
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    email: &str,
    role: Role,
) -> QueryResult<(User, String)> {
    let id = crate::db::new_id();
    let token = new_token();
    let now = now();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id.to_string()),
            users::name.eq(name),
            users::email.eq(email),
            users::role.eq(role.as_str()),
            users::token_hash.eq(hash_token(&token)),
            users::token_created_at.eq(now),
            users::created_at.eq(now),
        ))
        .execute(conn)?;
    let user = get(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    Ok((user, token))
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> QueryResult<Option<User>> {
    users::table
        .find(id.to_string())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .order((users::created_at, users::id))
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(UserRow::into_user)
        .collect()
}

/// The user, active or not, with this email (stored lower-cased), if any.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

/// The active user whose token has this hash, if any.
pub fn find_by_token_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::token_hash.eq(hash))
        .filter(users::deactivated_at.is_null())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

/// Replaces the user's token; the old one stops working at once. `None`
/// when there is no active user with this id.
pub fn rotate_token(conn: &mut DbConnection, id: Uuid) -> QueryResult<Option<String>> {
    let token = new_token();
    let updated = diesel::update(
        users::table
            .find(id.to_string())
            .filter(users::deactivated_at.is_null()),
    )
    .set((
        users::token_hash.eq(hash_token(&token)),
        users::token_created_at.eq(now()),
    ))
    .execute(conn)?;
    Ok((updated > 0).then_some(token))
}

/// Deactivates a user and drops its token and password (its web sessions
/// are the caller's to end). History keeps naming the user.
pub fn deactivate(conn: &mut DbConnection, id: Uuid) -> QueryResult<User> {
    diesel::update(
        users::table
            .find(id.to_string())
            .filter(users::deactivated_at.is_null()),
    )
    .set((
        users::deactivated_at.eq(now()),
        users::token_hash.eq(None::<String>),
        users::password_hash.eq(None::<String>),
    ))
    .execute(conn)?;
    get(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

/// The active user with this email (stored lower-cased) and their stored
/// password hash, if they have one.
pub fn find_for_sign_in(
    conn: &mut DbConnection,
    email: &str,
) -> QueryResult<Option<(User, Option<String>)>> {
    users::table
        .filter(users::email.eq(email))
        .filter(users::deactivated_at.is_null())
        .select((UserRow::as_select(), users::password_hash))
        .first::<(UserRow, Option<String>)>(conn)
        .optional()?
        .map(|(row, hash)| Ok((row.into_user()?, hash)))
        .transpose()
}

/// Stores a new password hash for an active user. `false` when there is
/// no active user with this id.
pub fn set_password_hash(conn: &mut DbConnection, id: Uuid, hash: &str) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(id.to_string())
            .filter(users::deactivated_at.is_null()),
    )
    .set((
        users::password_hash.eq(hash),
        users::password_changed_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(updated > 0)
}

/// The user's chosen language, if they chose one.
pub fn language(conn: &mut DbConnection, id: Uuid) -> QueryResult<Option<Language>> {
    let code: Option<String> = users::table
        .find(id.to_string())
        .select(users::language)
        .first(conn)
        .optional()?
        .flatten();
    code.map(|c| stored("users.language", &c)).transpose()
}

/// The language chosen by the active user with this address, if any: the
/// language their emails are written in.
pub fn language_of_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Language>> {
    let code: Option<String> = users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .filter(users::deactivated_at.is_null())
        .select(users::language)
        .first(conn)
        .optional()?
        .flatten();
    code.map(|c| stored("users.language", &c)).transpose()
}

/// Saves the user's language.
pub fn set_language(conn: &mut DbConnection, id: Uuid, language: Language) -> QueryResult<()> {
    diesel::update(users::table.find(id.to_string()))
        .set(users::language.eq(language.code()))
        .execute(conn)?;
    Ok(())
}

pub fn email_taken(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    let n: i64 = users::table
        .filter(users::email.eq(email))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Counts active admins and, on PostgreSQL, locks their rows until the
/// transaction ends, so two admins deactivating each other at once cannot
/// both see "another admin remains" (write skew). SQLite writes are already
/// serialised through one connection.
pub fn lock_active_admins(conn: &mut DbConnection) -> QueryResult<usize> {
    let active = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::deactivated_at.is_null())
        .select(users::id);
    let ids: Vec<String> = match conn {
        DbConnection::Postgresql(pg) => active.for_update().load(pg)?,
        DbConnection::Sqlite(_) => active.load(conn)?,
    };
    Ok(ids.len())
}

/// Gives a user another role.
pub fn set_role(conn: &mut DbConnection, id: Uuid, role: Role) -> QueryResult<Option<User>> {
    diesel::update(users::table.find(id.to_string()))
        .set(users::role.eq(role.as_str()))
        .execute(conn)?;
    get(conn, id)
}

/// Every user, as [`list`] orders them, and whether each has a password
/// for the web pages.
pub fn list_with_password_flags(conn: &mut DbConnection) -> QueryResult<Vec<(User, bool)>> {
    users::table
        .order((users::created_at, users::id))
        .select((UserRow::as_select(), users::password_hash.is_not_null()))
        .load::<(UserRow, bool)>(conn)?
        .into_iter()
        .map(|(row, has)| Ok((row.into_user()?, has)))
        .collect()
}
