//! The outbox: every notification a run recorded, grouped into one digest
//! per recipient, and where each digest stands.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::schema::{
    alert_digests as digests, alert_notifications as notes, alert_runs, requests,
};

/// How many notifications one listing returns at most, newest first.
const LIMIT: i64 = 1000;

/// Where a digest stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DigestState {
    /// Its run is still recording: not sent before the run has finished.
    /// Never stored: a pending digest of an unfinished run.
    Assembling,
    /// Not sent yet: waiting for its first attempt, or for a retry.
    Pending,
    /// The mail server accepted it.
    Sent,
    /// Every attempt failed (`alerts.max_attempts`); it stays visible.
    Failed,
}

impl DigestState {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestState::Assembling => "assembling",
            DigestState::Pending => "pending",
            DigestState::Sent => "sent",
            DigestState::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DigestState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "assembling" => Ok(DigestState::Assembling),
            "pending" => Ok(DigestState::Pending),
            "sent" => Ok(DigestState::Sent),
            "failed" => Ok(DigestState::Failed),
            other => Err(format!("unknown digest state `{other}`")),
        }
    }
}

/// A notification and its digest's delivery, as the outbox lists them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub request_id: String,
    pub reference: String,
    pub rule: String,
    pub level: i32,
    pub episode: NaiveDate,
    pub recipient: String,
    pub digest_id: String,
    pub state: DigestState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// One listed row, in the order of the query's columns.
#[derive(Queryable)]
struct NotificationRow {
    id: i64,
    request_id: String,
    reference: String,
    rule: String,
    level: i32,
    episode: NaiveDate,
    recipient: String,
    digest_id: String,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
    run_finished_at: Option<NaiveDateTime>,
}

/// The newest notifications, of digests in `state` when given.
pub fn list(
    conn: &mut DbConnection,
    state: Option<DigestState>,
) -> QueryResult<Vec<NotificationView>> {
    let mut query = notes::table
        .inner_join(digests::table.inner_join(alert_runs::table))
        .inner_join(requests::table)
        .select((
            notes::id,
            notes::request_id,
            requests::reference,
            notes::rule,
            notes::level,
            notes::episode,
            notes::recipient,
            digests::id,
            digests::state,
            digests::attempts,
            digests::last_error,
            notes::created_at,
            digests::sent_at,
            alert_runs::finished_at,
        ))
        .order((notes::created_at.desc(), notes::id))
        .limit(LIMIT)
        .into_boxed();
    query = match state {
        None => query,
        Some(DigestState::Assembling) => query.filter(alert_runs::finished_at.is_null()),
        Some(DigestState::Pending) => query
            .filter(digests::state.eq(DigestState::Pending.as_str()))
            .filter(alert_runs::finished_at.is_not_null()),
        Some(state) => query.filter(digests::state.eq(state.as_str())),
    };
    query
        .load::<NotificationRow>(conn)?
        .into_iter()
        .map(|r| {
            Ok(NotificationView {
                id: r.id,
                request_id: r.request_id,
                reference: r.reference,
                rule: r.rule,
                level: r.level,
                episode: r.episode,
                recipient: r.recipient,
                digest_id: r.digest_id,
                state: match r.run_finished_at {
                    None => DigestState::Assembling,
                    Some(_) => crate::db::stored("alert_digests.state", &r.state)?,
                },
                attempts: r.attempts,
                last_error: r.last_error,
                created_at: r.created_at.and_utc(),
                sent_at: r.sent_at.map(|t| t.and_utc()),
            })
        })
        .collect()
}
