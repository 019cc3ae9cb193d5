//! Reading the outbox: what was notified, to whom, and whether it left.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::schema::{alert_digests as digests, alert_notifications as notes, requests};

/// How many notifications one listing returns at most, newest first.
const LIMIT: i64 = 1000;

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
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

type Row = (
    i64,
    String,
    String,
    String,
    i32,
    NaiveDate,
    String,
    String,
    String,
    i32,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

pub fn list(conn: &mut DbConnection, state: Option<&str>) -> QueryResult<Vec<NotificationView>> {
    let mut query = notes::table
        .inner_join(digests::table)
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
        ))
        .order((notes::created_at.desc(), notes::id))
        .limit(LIMIT)
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(digests::state.eq(state.to_string()));
    }
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| NotificationView {
            id: r.0,
            request_id: r.1,
            reference: r.2,
            rule: r.3,
            level: r.4,
            episode: r.5,
            recipient: r.6,
            digest_id: r.7,
            state: r.8,
            attempts: r.9,
            last_error: r.10,
            created_at: r.11.and_utc(),
            sent_at: r.12.map(|t| t.and_utc()),
        })
        .collect())
}
