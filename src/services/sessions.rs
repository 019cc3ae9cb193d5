//! Signing in to the web pages: passwords and server-side sessions.
//!
//! A session is a random secret in the browser's cookie and, in the
//! database, its SHA-256 (so a copy of the database opens no session) with
//! its user and two instants: when it began and when it was last used. It
//! ends at sign-out, after `web.session_idle_seconds` unused, and
//! `web.session_absolute_seconds` after it began. Being in the database, a
//! session is known to every instance sharing it and ends everywhere at
//! once. Session times are read from the system clock, not the office's
//! (possibly pinned) clock: they measure real time.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::Connection;
use uuid::Uuid;

use super::{Error, Result, Services};
use crate::credentials::{hash_token, new_session_secret, password};
use crate::db::sessions::{self, Session};
use crate::db::users::{self, User};
use crate::domain::Language;

/// A session just begun: its secret goes into the cookie, once.
pub struct SignedIn {
    pub user: User,
    pub secret: String,
}

/// What a session cookie stands for now.
pub enum SessionState {
    Active(Session),
    /// It existed but has ended by time (the person is told so).
    Expired,
    /// No such session (never was, signed out, or its user deactivated).
    Unknown,
}

impl Services {
    /// Checks an email and password; on success begins a session. `None`
    /// for an unknown email, a user without a password, or a wrong
    /// password, which all take as long (one Argon2id verification).
    pub async fn sign_in(&self, email: &str, given: String) -> Result<Option<SignedIn>> {
        let Some(user) = self.password_holder(email, given).await? else {
            return Ok(None);
        };
        let secret = new_session_secret();
        let id_hash = hash_token(&secret);
        let (idle_before, started_before) = self.session_cutoffs();
        let user_id = user.id;
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    sessions::delete_ended(conn, idle_before, started_before)?;
                    sessions::create(conn, &id_hash, user_id)?;
                    Ok::<_, Error>(())
                })
            })
            .await?;
        Ok(Some(SignedIn { user, secret }))
    }

    /// The session a cookie's secret stands for. Using a session keeps it
    /// alive: its last use is recorded when older than a tenth of the idle
    /// limit (at most a minute), so reading pages does not write each time.
    pub async fn session(&self, secret: &str) -> Result<SessionState> {
        let id_hash = hash_token(secret);
        let (idle_before, started_before) = self.session_cutoffs();
        let refresh_before = crate::db::now() - refresh_interval(self.settings.web.session_idle);
        let lookup = id_hash.clone();
        let Some(session) = self
            .db
            .read(move |conn| Ok::<_, Error>(sessions::find(conn, &lookup)?))
            .await?
        else {
            return Ok(SessionState::Unknown);
        };
        if session.last_seen_at < idle_before || session.created_at < started_before {
            self.db
                .write(move |conn| Ok::<_, Error>(sessions::delete(conn, &id_hash)?))
                .await?;
            return Ok(SessionState::Expired);
        }
        if session.last_seen_at < refresh_before {
            self.db
                .write(move |conn| Ok::<_, Error>(sessions::touch(conn, &id_hash)?))
                .await?;
        }
        Ok(SessionState::Active(session))
    }

    /// Ends the session a cookie's secret stands for (nothing if none).
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        let id_hash = hash_token(secret);
        self.db
            .write(move |conn| Ok::<_, Error>(sessions::delete(conn, &id_hash)?))
            .await
    }

    /// Gives the active user with this email a new password, if it meets
    /// the rules; every session of theirs ends.
    pub async fn set_password(&self, email: &str, new: String) -> Result<()> {
        let email = email.trim().to_lowercase();
        password::check_new(&new, &email)?;
        let hash = actix_web::web::block(move || password::hash(&new))
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    let (user, _) = users::find_for_sign_in(conn, &email)?.ok_or_else(|| {
                        Error::NotFound(format!("no active user with email `{email}`"))
                    })?;
                    users::set_password_hash(conn, user.id, &hash)?;
                    // A changed password signs every browser out.
                    sessions::delete_for_user(conn, user.id)?;
                    Ok(())
                })
            })
            .await
    }

    /// A signed-in user changes their own password: the current one must
    /// match (`Ok(false)` when it does not), the new one meet the rules.
    /// Every session of theirs ends, this one too.
    pub async fn change_password(&self, user: &User, current: String, new: String) -> Result<bool> {
        password::check_new(&new, &user.email)?;
        if self.password_holder(&user.email, current).await?.is_none() {
            return Ok(false);
        }
        self.set_password(&user.email, new).await?;
        Ok(true)
    }

    /// The active user with this email whose password `given` is, if any;
    /// an unknown email, a user without a password and a wrong password
    /// all take one Argon2id verification, off the async workers.
    async fn password_holder(&self, email: &str, given: String) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        let found = self
            .db
            .read(move |conn| Ok::<_, Error>(users::find_for_sign_in(conn, &email)?))
            .await?;
        actix_web::web::block(move || match found {
            Some((user, Some(stored))) => password::verify(&given, &stored).then_some(user),
            _ => {
                password::verify_nothing(&given);
                None
            }
        })
        .await
        .map_err(|e| Error::Internal(e.into()))
    }

    /// Saves the language a user reads the service in.
    pub async fn set_language(&self, user: Uuid, language: Language) -> Result<()> {
        self.db
            .write(move |conn| Ok::<_, Error>(users::set_language(conn, user, language)?))
            .await
    }

    /// The language the user chose to read the service in, if they chose one.
    pub async fn user_language(&self, user: Uuid) -> Result<Option<Language>> {
        self.db
            .read(move |conn| Ok::<_, Error>(users::language(conn, user)?))
            .await
    }

    /// Sessions unused since before the first instant, or begun before the
    /// second, have ended.
    fn session_cutoffs(&self) -> (NaiveDateTime, NaiveDateTime) {
        let now = crate::db::now();
        let web = &self.settings.web;
        (
            now - delta(web.session_idle),
            now - delta(web.session_absolute),
        )
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).expect("session limits are checked to be at most 30 days")
}

/// How stale a session's last use may be before it is written again.
fn refresh_interval(idle: Duration) -> TimeDelta {
    delta((idle / 10).min(Duration::from_secs(60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_use_is_written_at_most_every_tenth_of_the_idle_limit() {
        assert_eq!(
            refresh_interval(Duration::from_secs(1800)),
            TimeDelta::seconds(60)
        );
        assert_eq!(
            refresh_interval(Duration::from_secs(300)),
            TimeDelta::seconds(30)
        );
        assert_eq!(
            refresh_interval(Duration::from_secs(3)),
            TimeDelta::milliseconds(300)
        );
    }
}
