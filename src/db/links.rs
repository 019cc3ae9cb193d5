//! Storage of the typed links between requests: one row per link, at most
//! one per pair of requests (a unique index over the pair, in either
//! order); read back from either end.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::error::Result;
use super::schema::{request_links, requests};
use super::sql::one_of;
use super::{DbConnection, stored};
use crate::domain::link::{Direction, LinkKind, RequestLink};

/// A `request_links` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_links)]
pub struct LinkRow {
    pub id: String,
    pub from_request_id: String,
    pub to_request_id: String,
    pub kind: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl LinkRow {
    pub fn kind(&self) -> QueryResult<LinkKind> {
        stored("request_links.kind", &self.kind)
    }
}

pub fn insert(conn: &mut DbConnection, row: &LinkRow) -> Result<()> {
    diesel::insert_into(request_links::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The link with this id, if there is one.
pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Option<LinkRow>> {
    Ok(request_links::table
        .find(id.to_string())
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?)
}

/// The link between `a` and `b`, whichever way it points.
pub fn between(conn: &mut DbConnection, a: Uuid, b: Uuid) -> Result<Option<LinkRow>> {
    let (a, b) = (a.to_string(), b.to_string());
    Ok(request_links::table
        .filter(
            request_links::from_request_id
                .eq(&a)
                .and(request_links::to_request_id.eq(&b))
                .or(request_links::from_request_id
                    .eq(&b)
                    .and(request_links::to_request_id.eq(&a))),
        )
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete(conn: &mut DbConnection, id: Uuid) -> Result<()> {
    diesel::delete(request_links::table.find(id.to_string())).execute(conn)?;
    Ok(())
}

type Loaded = (String, String, String, String, NaiveDateTime, String);

/// The links of each of `ids` (both directions, with the other request's
/// reference), oldest first, by request id.
pub fn of_requests(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<RequestLink>>> {
    let mut out: HashMap<String, Vec<(NaiveDateTime, RequestLink)>> = HashMap::new();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let outgoing: Vec<Loaded> = request_links::table
        .inner_join(requests::table.on(requests::id.eq(request_links::to_request_id)))
        .filter(one_of(request_links::from_request_id, ids))
        .select((
            request_links::id,
            request_links::from_request_id,
            request_links::to_request_id,
            request_links::kind,
            request_links::created_at,
            requests::reference,
        ))
        .load(conn)?;
    let incoming: Vec<Loaded> = request_links::table
        .inner_join(requests::table.on(requests::id.eq(request_links::from_request_id)))
        .filter(one_of(request_links::to_request_id, ids))
        .select((
            request_links::id,
            request_links::to_request_id,
            request_links::from_request_id,
            request_links::kind,
            request_links::created_at,
            requests::reference,
        ))
        .load(conn)?;
    for (direction, rows) in [
        (Direction::Outgoing, outgoing),
        (Direction::Incoming, incoming),
    ] {
        for (id, this, other, kind, created_at, reference) in rows {
            out.entry(this).or_default().push((
                created_at,
                RequestLink {
                    id: stored("request_links.id", &id)?,
                    kind: stored("request_links.kind", &kind)?,
                    direction,
                    request_id: stored("request_links.request_id", &other)?,
                    reference,
                },
            ));
        }
    }
    Ok(out
        .into_iter()
        .map(|(request, mut links)| {
            links.sort_by_key(|(created_at, link)| (*created_at, link.id));
            (request, links.into_iter().map(|(_, link)| link).collect())
        })
        .collect())
}
