//! Accounts and their API tokens.

use diesel::Connection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use super::{Error, Result, Services};
use crate::db::sessions;
use crate::db::users::{self, User};
use crate::domain::{FieldErrors, Role};

/// A user to create.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub email: String,
    pub role: Role,
}

/// A new user and their token, which is shown this once and never again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    pub user: User,
    pub token: String,
}

impl NewUser {
    /// Checks the fields; emails are compared lower-cased.
    fn checked(mut self) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::of(&self);
        if self.name.trim().is_empty() && !errors.0.contains_key("name") {
            errors.add("name", "must not be blank");
        }
        errors.into_result()?;
        self.email = self.email.to_lowercase();
        Ok(self)
    }
}

impl Services {
    /// Creates a user and its first token.
    pub async fn create_user(&self, new: NewUser) -> Result<CreatedUser> {
        let new = new.checked()?;
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    if users::email_taken(conn, &new.email)? {
                        return Err(Error::Conflict(format!(
                            "a user with email `{}` exists",
                            new.email
                        )));
                    }
                    let (user, token) = users::create(conn, &new.name, &new.email, new.role)?;
                    Ok(CreatedUser { user, token })
                })
            })
            .await
    }

    /// The active user whose token has this hash ([`crate::credentials`]),
    /// if any.
    pub async fn user_by_token_hash(&self, hash: String) -> Result<Option<User>> {
        self.db
            .read(move |conn| Ok(users::find_by_token_hash(conn, &hash)?))
            .await
    }

    /// Every user, active or not, oldest first.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        self.db.read(|conn| Ok(users::list(conn)?)).await
    }

    /// The user, active or not, with this email (compared lower-cased, as
    /// emails are stored), if any.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        self.db
            .read(move |conn| Ok(users::find_by_email(conn, &email)?))
            .await
    }

    /// Gives an active user a new token; the old one stops working at once
    /// (callers holding a token cache evict the user).
    pub async fn rotate_token(&self, id: Uuid) -> Result<String> {
        self.db
            .write(move |conn| {
                users::rotate_token(conn, id)?.ok_or_else(|| Error::not_found("active user", id))
            })
            .await
    }

    /// Deactivates a user, drops their token and password and ends their
    /// web sessions; the last active admin cannot be deactivated. History
    /// keeps naming the user.
    pub async fn deactivate_user(&self, id: Uuid) -> Result<User> {
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    // Lock first, then read: the user's own row may have
                    // changed while we waited for the lock.
                    let active_admins = users::lock_active_admins(conn)?;
                    let user = users::get(conn, id)?.ok_or_else(|| Error::not_found("user", id))?;
                    if user.role == Role::Admin && user.active && active_admins <= 1 {
                        return Err(Error::Conflict(
                            "this is the last active admin; create another admin first".into(),
                        ));
                    }
                    let user = users::deactivate(conn, id)?;
                    sessions::delete_for_user(conn, id)?;
                    Ok(user)
                })
            })
            .await
    }

    /// On first start, creates an `admin` user and returns its token; `None`
    /// when there are users already.
    pub async fn bootstrap_admin(&self) -> Result<Option<String>> {
        self.db
            .write(|conn| {
                conn.transaction(|conn| {
                    if users::count(conn)? > 0 {
                        return Ok(None);
                    }
                    let (_, token) = users::create(conn, "admin", "admin@localhost", Role::Admin)?;
                    Ok(Some(token))
                })
            })
            .await
    }
}
