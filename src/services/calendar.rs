//! A person's calendar feed (docs/DOMAIN.md §7.6): issuing its secret URL,
//! revoking it, and reading the feed it opens.
//!
//! The secret is shown once, when issued, and stored only as its SHA-256,
//! like an API token; issuing again replaces it, so a leaked URL is undone
//! by issuing a new one or by revoking. The feed follows its owner: a
//! deactivated user's feed, or an analyst's (§1: no case), opens nothing.

use chrono::{DateTime, Utc};
use diesel::Connection;

use super::{Result, Services};
use crate::credentials::{hash_token, new_calendar_secret};
use crate::db::calendar_feeds;
use crate::db::users::User;
use crate::domain::calendar::{self, FeedHeader, Scope};

/// A newly issued feed: the secret of its URL, shown this once.
#[derive(Debug, Clone)]
pub struct IssuedFeed {
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

impl Services {
    /// When the user's feed was issued, if they have one (its URL cannot be
    /// shown again: only its hash is kept).
    pub async fn calendar_feed_issued(&self, user: &User) -> Result<Option<DateTime<Utc>>> {
        let id = user.id;
        self.db
            .read(move |conn| Ok(calendar_feeds::made_at(conn, id)?.map(|t| t.and_utc())))
            .await
    }

    /// Issues the user a new feed secret; the one they had stops working.
    pub async fn issue_calendar_feed(&self, user: &User) -> Result<IssuedFeed> {
        let id = user.id;
        let secret = new_calendar_secret();
        let hash = hash_token(&secret);
        let created_at = self
            .db
            .write(move |conn| Ok::<_, super::Error>(calendar_feeds::replace(conn, id, &hash)?))
            .await?;
        Ok(IssuedFeed {
            secret,
            created_at: created_at.and_utc(),
        })
    }

    /// Revokes the user's feed; whether they had one.
    pub async fn revoke_calendar_feed(&self, user: &User) -> Result<bool> {
        let id = user.id;
        self.db
            .write(move |conn| Ok(calendar_feeds::revoke(conn, id)?))
            .await
    }

    /// The feed (RFC 5545 text) that `secret` opens, in its owner's language
    /// (else `mail.language`, the office's); `None` when it opens none: an
    /// unknown or revoked secret, a deactivated owner, an analyst.
    pub async fn calendar_feed(&self, secret: String) -> Result<Option<String>> {
        let hash = hash_token(&secret);
        let found = self
            .db
            .read(move |conn| {
                conn.transaction(|conn| {
                    let Some((user, language)) = calendar_feeds::owner(conn, &hash)? else {
                        return Ok(None);
                    };
                    let Some(scope) = Scope::of(user.role, user.id, &user.email) else {
                        return Ok(None);
                    };
                    let requests = calendar_feeds::open_requests(conn, &scope)?;
                    let preservations = calendar_feeds::watched_preservations(conn, &scope)?;
                    Ok::<_, super::Error>(Some((language, requests, preservations)))
                })
            })
            .await?;
        let Some((language, requests, preservations)) = found else {
            return Ok(None);
        };
        let language = language.unwrap_or(self.settings.mail.language);
        let zone = self.settings.office.timezone;
        let events = requests
            .iter()
            .flat_map(|r| calendar::of_request(r, language, zone))
            .chain(
                preservations
                    .iter()
                    .filter_map(|p| calendar::of_preservation(p, language)),
            )
            .collect();
        let public_url = &self.settings.server.public_url;
        let host = url::Url::parse(public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "mla-tracker.invalid".to_owned());
        Ok(Some(calendar::render(
            FeedHeader {
                host: &host,
                public_url,
                language,
            },
            events,
        )))
    }
}
