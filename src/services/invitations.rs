//! Bringing people in: an admin invites a user (an account and a one-time
//! link, emailed, to choose a password), sends a user a link to set a new
//! one, and changes a user's role.
//!
//! The link's secret is stored only as its SHA-256; it works once, until
//! `web.invitation_hours` after it was made, and only while it is the
//! user's latest. When the email cannot be sent, the link is handed back
//! to the admin to give by another way: nothing is lost and nobody is
//! left waiting for an email that never comes.

use chrono::TimeDelta;
use diesel::Connection;
use uuid::Uuid;

use super::users::NewUser;
use super::{Error, Result, Services};
use crate::alerts::mail::{AccountLink, account_link_message};
use crate::credentials::{hash_token, new_session_secret, password};
use crate::db::users::{self, User};
use crate::db::{invitations, sessions};
use crate::domain::{Language, Role};

/// A link made for a user, and whether it went out by email.
pub struct LinkSent {
    pub user: User,
    /// The link itself, for the admin to give when the email failed.
    pub link: String,
    pub emailed: bool,
}

impl Services {
    /// Creates a user who will choose their password through an emailed
    /// link, in `language` (saved as theirs).
    pub async fn invite_user(
        &self,
        by: &User,
        new: NewUser,
        language: Language,
    ) -> Result<LinkSent> {
        let created = self.create_user(new).await?;
        let id = created.user.id;
        self.set_language(id, language).await?;
        self.send_account_link(by, id, AccountLink::Invitation)
            .await
    }

    /// Makes a new link for an active user to set their password and emails
    /// it in their language; their earlier links stop working.
    pub async fn send_account_link(
        &self,
        by: &User,
        id: Uuid,
        kind: AccountLink,
    ) -> Result<LinkSent> {
        let secret = new_session_secret();
        let hash = hash_token(&secret);
        let valid = TimeDelta::from_std(self.settings.web.invitation_valid)
            .map_err(|e| Error::Internal(e.into()))?;
        let until = crate::db::now() + valid;
        let (user, language) = self
            .db
            .write(move |conn| {
                conn.transaction(|conn| {
                    let user = users::get(conn, id)?
                        .filter(|u| u.active)
                        .ok_or_else(|| Error::not_found("active user", id))?;
                    invitations::create(conn, &hash, id, until)?;
                    let language = users::language(conn, id)?;
                    Ok::<_, Error>((user, language))
                })
            })
            .await?;
        let link = format!("{}/invitation/{secret}", self.settings.server.public_url);
        let language = language.unwrap_or(self.settings.mail.language);
        let message = account_link_message(
            &self.settings.mail,
            &user.email,
            language,
            kind,
            &by.name,
            &link,
            until.and_utc(),
        );
        let emailed = match message {
            Ok(message) => self.send_now(message).await,
            Err(e) => {
                log::warn!(
                    "the account link for user {} could not be written: {e}",
                    user.id
                );
                false
            }
        };
        Ok(LinkSent {
            user,
            link,
            emailed,
        })
    }

    /// Sends one email now (not through the digest outbox), off the async
    /// workers; `false` when it could not be sent (logged without the body).
    async fn send_now(&self, message: lettre::Message) -> bool {
        let mailer = self.mailer.clone();
        match actix_web::web::block(move || mailer.send(&message)).await {
            Ok(Ok(())) => true,
            Ok(Err(reason)) => {
                log::warn!("an account link email could not be sent: {reason}");
                false
            }
            Err(e) => {
                log::warn!("an account link email could not be sent: {e}");
                false
            }
        }
    }

    /// The active user a link opens, if it still works.
    pub async fn account_link_user(&self, secret: &str) -> Result<Option<User>> {
        let hash = hash_token(secret);
        self.db
            .read(move |conn| Ok::<_, Error>(invitations::find_usable(conn, &hash)?))
            .await
    }

    /// Sets the password a link was made for, if the link still works
    /// (`None` when not), and uses it up; the user's sessions end.
    pub async fn accept_account_link(&self, secret: &str, new: String) -> Result<Option<User>> {
        let hash = hash_token(secret);
        let lookup = hash.clone();
        let Some(user) = self
            .db
            .read(move |conn| Ok::<_, Error>(invitations::find_usable(conn, &lookup)?))
            .await?
        else {
            return Ok(None);
        };
        password::check_new(&new, &user.email)?;
        let stored = actix_web::web::block(move || password::hash(&new))
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        let id = user.id;
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    // Checked again inside the transaction: two tabs racing
                    // on one link set one password.
                    if invitations::find_usable(conn, &hash)?.is_none()
                        || !invitations::mark_used(conn, &hash)?
                    {
                        return Ok(None);
                    }
                    users::set_password_hash(conn, id, &stored)?;
                    sessions::delete_for_user(conn, id)?;
                    Ok(Some(user))
                })
            })
            .await
    }

    /// Gives a user another role; the last active admin keeps theirs.
    pub async fn change_role(&self, id: Uuid, role: Role) -> Result<User> {
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    let active_admins = users::lock_active_admins(conn)?;
                    let user = users::get(conn, id)?.ok_or_else(|| Error::not_found("user", id))?;
                    if user.role == Role::Admin
                        && role != Role::Admin
                        && user.active
                        && active_admins <= 1
                    {
                        return Err(Error::Conflict(
                            "this is the last active admin; make another user an admin first"
                                .into(),
                        ));
                    }
                    users::set_role(conn, id, role)?.ok_or_else(|| Error::not_found("user", id))
                })
            })
            .await
    }

    /// Whether each user has a password yet (for the admin's list).
    pub async fn users_with_passwords(&self) -> Result<Vec<(User, bool)>> {
        self.db
            .read(|conn| Ok::<_, Error>(users::list_with_password_flags(conn)?))
            .await
    }
}
