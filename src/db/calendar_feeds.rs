//! Personal calendar feeds, known by the SHA-256 of the secret in their URL
//! (never by the secret), at most one per user; and what a feed reads: the
//! open requests of its [`Scope`] with the length of their history and
//! their snooze, and the preservations not released that they watch.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::error::Result;
use super::preservations::PreservationRow;
use super::requests::RequestRow;
use super::schema::{
    calendar_feeds, preservations, request_alert_state, request_event_heads, request_events,
    requests, users,
};
use super::users::{User, UserRow};
use super::{DbConnection, now, stored};
use crate::domain::calendar::{FeedPreservation, FeedRequest, Scope};
use crate::domain::{Language, Status};

diesel::define_sql_function! {
    /// SQL's `lower()`, as the index `requests_coordinator_email` holds it.
    fn lower(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Gives `user_id` the feed known by `token_hash`, replacing any other it
/// had (whose URL stops working); returns when it was made.
pub fn replace(
    conn: &mut DbConnection,
    user_id: Uuid,
    token_hash: &str,
) -> QueryResult<NaiveDateTime> {
    revoke(conn, user_id)?;
    let created_at = now();
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::token_hash.eq(token_hash),
            calendar_feeds::user_id.eq(user_id.to_string()),
            calendar_feeds::created_at.eq(created_at),
        ))
        .execute(conn)?;
    Ok(created_at)
}

/// Deletes the user's feed; whether there was one.
pub fn revoke(conn: &mut DbConnection, user_id: Uuid) -> QueryResult<bool> {
    let deleted = diesel::delete(
        calendar_feeds::table.filter(calendar_feeds::user_id.eq(user_id.to_string())),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// When the user's feed was made, if they have one.
pub fn made_at(conn: &mut DbConnection, user_id: Uuid) -> QueryResult<Option<NaiveDateTime>> {
    calendar_feeds::table
        .filter(calendar_feeds::user_id.eq(user_id.to_string()))
        .select(calendar_feeds::created_at)
        .first(conn)
        .optional()
}

/// The active user whose feed is known by `token_hash`, and their language.
pub fn owner(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<(User, Option<Language>)>> {
    calendar_feeds::table
        .inner_join(users::table)
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .filter(users::deactivated_at.is_null())
        .select((UserRow::as_select(), users::language))
        .first::<(UserRow, Option<String>)>(conn)
        .optional()?
        .map(|(row, language)| {
            Ok((
                row.into_user()?,
                language.map(|c| stored("users.language", &c)).transpose()?,
            ))
        })
        .transpose()
}

/// Narrows a query over `requests` (alone or joined) to a feed's scope.
macro_rules! within {
    ($query:expr, $scope:expr) => {
        match $scope {
            Scope::All => $query,
            Scope::RecordedBy(user) => $query.filter(requests::created_by.eq(user.to_string())),
            Scope::Coordinating { user, email } => $query.filter(
                lower(requests::coordinator_email)
                    .eq(email.clone())
                    .or(requests::created_by.eq(user.to_string())),
            ),
        }
    };
}

/// The open requests of `scope`, each with its history's length and newest
/// time, and its snooze.
pub fn open_requests(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<FeedRequest>> {
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| !s.closes())
        .map(|s| s.as_str())
        .collect();
    let query = requests::table
        .inner_join(request_event_heads::table.on(request_event_heads::request_id.eq(requests::id)))
        .inner_join(
            request_events::table.on(request_events::request_id
                .eq(request_event_heads::request_id)
                .and(request_events::seq.eq(request_event_heads::seq))),
        )
        .left_join(request_alert_state::table)
        .filter(requests::status.eq_any(open))
        .select((
            RequestRow::as_select(),
            request_event_heads::seq,
            request_events::recorded_at,
            request_alert_state::snoozed_until.nullable(),
        ))
        .into_boxed();
    let rows: Vec<(RequestRow, i32, NaiveDateTime, Option<chrono::NaiveDate>)> =
        within!(query, scope).load(conn)?;
    rows.into_iter()
        .map(|(row, history_len, changed_at, snoozed_until)| {
            Ok(FeedRequest {
                request: row.into_record()?,
                history_len,
                changed_at: changed_at.and_utc(),
                snoozed_until,
            })
        })
        .collect()
}

/// The preservations not released watched by a request of `scope` that is
/// not executed (the data came): its own, and its case's for its country
/// (as the alert scan matches them, §7.2); each once, linked to the request
/// it serves or, for a case's, the first of those requests by reference.
pub fn watched_preservations(
    conn: &mut DbConnection,
    scope: &Scope,
) -> Result<Vec<FeedPreservation>> {
    let query = preservations::table
        .inner_join(
            requests::table.on(preservations::request_id.eq(requests::id.nullable()).or(
                preservations::case_id
                    .eq(requests::case_id.nullable())
                    .and(preservations::country.eq(requests::target_country)),
            )),
        )
        .filter(preservations::released_on.is_null())
        .filter(requests::status.ne(Status::Executed.as_str()))
        .order((preservations::id, requests::reference))
        .select((
            PreservationRow::as_select(),
            requests::id,
            requests::reference,
        ))
        .into_boxed();
    let rows: Vec<(PreservationRow, String, String)> = within!(query, scope).load(conn)?;
    let mut out: Vec<FeedPreservation> = Vec::new();
    for (row, request_id, reference) in rows {
        if out
            .last()
            .is_some_and(|p| p.preservation.id.to_string() == row.id)
        {
            continue;
        }
        out.push(FeedPreservation {
            preservation: row.into_record()?,
            request_id: stored("requests.id", &request_id)?,
            reference,
        });
    }
    Ok(out)
}
