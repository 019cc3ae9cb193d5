//! One-time links to set a password, known by the SHA-256 of their secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::DbConnection;
use super::now;
use super::schema::{invitations, users};
use super::users::{User, UserRow};

/// Records a link for `user_id`, valid until `expires_at`; the user's
/// earlier links stop working.
pub fn create(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: Uuid,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    let now = now();
    diesel::update(
        invitations::table
            .filter(invitations::user_id.eq(user_id.to_string()))
            .filter(invitations::used_at.is_null()),
    )
    .set(invitations::expires_at.eq(now))
    .execute(conn)?;
    diesel::insert_into(invitations::table)
        .values((
            invitations::token_hash.eq(token_hash),
            invitations::user_id.eq(user_id.to_string()),
            invitations::created_at.eq(now),
            invitations::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The active user a link opens, if it is unused and unexpired now.
pub fn find_usable(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<User>> {
    invitations::table
        .inner_join(users::table)
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::used_at.is_null())
        .filter(invitations::expires_at.gt(now()))
        .filter(users::deactivated_at.is_null())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

/// Marks a link used; `false` if it was used already (a race lost).
pub fn mark_used(conn: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    let updated = diesel::update(
        invitations::table
            .filter(invitations::token_hash.eq(token_hash))
            .filter(invitations::used_at.is_null()),
    )
    .set(invitations::used_at.eq(now()))
    .execute(conn)?;
    Ok(updated == 1)
}
