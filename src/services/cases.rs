//! Cases: opening, reading, listing and changing them, with their history;
//! and filing a request under one ([`file_under`], which the register's
//! operations share).

use base64::Engine;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Error, Result, Services};
use crate::db::DbConnection;
use crate::db::cases::{self as store, After, Filters, PageQuery, SortKey};
use crate::db::events::{CaseEvent, EventKind, NewCaseEvent, NewEvent};
use crate::db::requests as requests_store;
use crate::domain::Today;
use crate::domain::case::{
    Case, CaseDetail, apply_case_patch, case_patch_errors, new_case, opened_by_request,
};
use crate::domain::request::{CaseChoice, Change, Changes, MlaRequest};

/// A list of cases: filters, order, page size and where to start.
#[derive(Debug, Clone)]
pub struct CaseListQuery {
    pub filters: Filters,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: i64,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of cases and the cursor of the next one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<Case>,
    pub next_cursor: Option<String>,
}

/// What a cursor carries: the query's order and the position.
#[derive(Serialize, Deserialize)]
struct CursorData {
    sort: SortKey,
    desc: bool,
    value: String,
    id: String,
}

const MALFORMED_CURSOR: &str = "the cursor is malformed; start again without it";

impl Services {
    /// Opens a case, with the `created` event of its history.
    pub async fn create_case(
        &self,
        actor: Uuid,
        body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Case> {
        let fields = new_case(body)?;
        let today = self.today();
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    let now = crate::db::now().and_utc();
                    let case = Case {
                        id: crate::db::new_id(),
                        fields,
                        version: 1,
                        created_by: actor,
                        created_at: now,
                        updated_at: now,
                    };
                    if store::insert_unless_taken(conn, &case, today.date, None)? {
                        Ok(case)
                    } else {
                        Err(taken(conn, &case.fields.case_reference))
                    }
                })
            })
            .await
    }

    /// A case with its requests and the data preserved for it.
    pub async fn get_case(&self, id: Uuid) -> Result<CaseDetail> {
        let today = self.today().date;
        self.db
            .read(move |conn| {
                let case = existing(conn, id)?;
                let requests = store::requests_of(conn, id)?;
                let preservations = super::preservations::preservations_of_case(conn, id, today)?;
                Ok(CaseDetail {
                    case,
                    requests,
                    preservations,
                })
            })
            .await
    }

    /// A case's history, oldest first.
    pub async fn case_events(&self, id: Uuid) -> Result<Vec<CaseEvent>> {
        self.db
            .read(move |conn| {
                existing(conn, id)?;
                Ok(crate::db::events::list_case(conn, id)?)
            })
            .await
    }

    /// Applies a JSON merge patch to a case still at version `expected`.
    /// A new case reference is carried to its requests, each of which
    /// records it in its own history. A patch that changes nothing returns
    /// the case as it is.
    pub async fn update_case(
        &self,
        actor: Uuid,
        id: Uuid,
        expected: i32,
        patch: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Case> {
        let today = self.today();
        self.db
            .write(move |conn| {
                conn.transaction(|conn| {
                    let current = existing(conn, id)?;
                    case_patch_errors(&patch).into_result()?;
                    if current.version != expected {
                        return Err(Error::PreconditionFailed {
                            current: current.version,
                        });
                    }
                    let (fields, changes) = apply_case_patch(&current, patch)?;
                    if changes.is_empty() {
                        return Ok(current);
                    }
                    let renamed = changes.contains_key("case_reference");
                    if renamed && store::reference_taken(conn, &fields.case_reference, id)? {
                        return Err(taken(conn, &fields.case_reference));
                    }
                    let updated = Case { fields, ..current };
                    let event = NewCaseEvent {
                        case_id: id,
                        kind: EventKind::Updated,
                        actor_id: actor,
                        effective_date: today.date,
                        changes: &changes,
                        note: None,
                    };
                    let saved = store::save(conn, &updated, expected, event)?.ok_or(
                        Error::PreconditionFailed {
                            current: expected + 1,
                        },
                    )?;
                    if renamed {
                        rename_requests(conn, &saved, actor, today)?;
                    }
                    Ok(saved)
                })
            })
            .await
    }

    /// One page of cases.
    pub async fn list_cases(&self, query: CaseListQuery) -> Result<CasePage> {
        let (sort, desc) = (query.sort, query.descending);
        let after = match &query.cursor {
            None => None,
            Some(text) => Some(decode_cursor(text, sort, desc)?),
        };
        let page = PageQuery {
            filters: query.filters,
            sort,
            descending: desc,
            limit: query.limit,
            after,
        };
        let (items, next) = self.db.read(move |conn| store::page(conn, &page)).await?;
        let next_cursor = next.map(|(value, id)| {
            let data = serde_json::to_vec(&CursorData {
                sort,
                desc,
                value,
                id,
            })
            .expect("cursors serialise");
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
        });
        Ok(CasePage { items, next_cursor })
    }
}

/// Where the page after `cursor` starts; the cursor must be one this
/// service made for the same order.
fn decode_cursor(text: &str, sort: SortKey, descending: bool) -> Result<After> {
    let data: CursorData =
        super::cursor::decode(text).ok_or(Error::InvalidCursor(MALFORMED_CURSOR))?;
    if (data.sort, data.desc) != (sort, descending) {
        return Err(Error::InvalidCursor(
            "the cursor belongs to another sort order; start again without it",
        ));
    }
    if data.id.parse::<Uuid>().is_err() {
        return Err(Error::InvalidCursor(MALFORMED_CURSOR));
    }
    After::parse(sort, &data.value, data.id).ok_or(Error::InvalidCursor(
        "the cursor is not valid for this query; start again without it",
    ))
}

/// The case, or a 404 naming it.
fn existing(conn: &mut DbConnection, id: Uuid) -> Result<Case> {
    store::get(conn, id)?.ok_or_else(|| Error::not_found("case", id))
}

/// The refusal of a case reference another case has.
fn taken(conn: &mut DbConnection, reference: &str) -> Error {
    match store::find_by_reference(conn, reference) {
        Ok(Some(other)) => Error::Conflict(format!(
            "case reference `{reference}` is already used by case `{}`",
            other.id
        )),
        Ok(None) => Error::Conflict(format!("case reference `{reference}` is already used")),
        Err(e) => e.into(),
    }
}

/// The case `choice` names, for `request` to be filed under, with the
/// case's row lock held (so a rename waits for the filing, which copies its
/// reference, or the filing for the rename): by id (422 on `case_id` if no
/// case has it; its reference, if also given, must be the case's), or by
/// reference — found, or opened with the request's title, magistrate and
/// offences, the opening recorded in the new case's history.
pub fn file_under(
    conn: &mut DbConnection,
    choice: &CaseChoice,
    request: &MlaRequest,
    actor: Uuid,
    today: Today,
) -> Result<Case> {
    if let Some(id) = choice.id {
        let case = locked(conn, id)?;
        return agreeing(choice, id, case);
    }
    let reference = choice
        .reference
        .clone()
        .expect("a case choice names an id or a reference");
    let now = crate::db::now().and_utc();
    let case = Case {
        id: crate::db::new_id(),
        fields: opened_by_request(
            reference,
            request.fields.title.clone(),
            request.fields.issuing_magistrate.clone(),
            request.fields.offences.clone(),
        ),
        version: 1,
        created_by: actor,
        created_at: now,
        updated_at: now,
    };
    let note = format!(
        "Opened by request {}, filed under this case reference; title, magistrate and \
         offences from it.",
        request.reference
    );
    Ok(store::opened_or_locked(
        conn,
        &case,
        today.date,
        Some(&note),
    )?)
}

/// Whether the case `choice` names by `id` exists and has the reference
/// it names too, if any (a read, without locking).
pub fn check_choice(conn: &mut DbConnection, choice: &CaseChoice, id: Uuid) -> Result<()> {
    agreeing(choice, id, store::get(conn, id)?).map(|_| ())
}

/// `case`, the one `choice` names by `id`, if it exists and has the
/// reference `choice` names too, if any.
fn agreeing(choice: &CaseChoice, id: Uuid, case: Option<Case>) -> Result<Case> {
    let case = case.ok_or_else(|| Error::field("case_id", format!("no case with id `{id}`")))?;
    if let Some(reference) = &choice.reference
        && *reference != case.fields.case_reference
    {
        return Err(Error::field(
            "case_reference",
            format!(
                "is `{}` for case `{id}`; give either, or both alike",
                case.fields.case_reference
            ),
        ));
    }
    Ok(case)
}

/// The case with its row lock taken (a no-op update), read after the lock.
fn locked(conn: &mut DbConnection, id: Uuid) -> Result<Option<Case>> {
    use crate::db::schema::cases;
    use diesel::prelude::*;
    let n = diesel::update(cases::table.find(id.to_string()))
        .set(cases::version.eq(cases::version))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(store::get(conn, id)?)
}

/// Carries a case's new reference to its requests, each with an `updated`
/// event saying why.
fn rename_requests(conn: &mut DbConnection, case: &Case, actor: Uuid, today: Today) -> Result<()> {
    let note = format!(
        "Case `{}` was renamed: its requests carry its new reference.",
        case.id
    );
    for request in requests_store::of_case(conn, case.id)? {
        requests_store::lock(conn, request.id)?;
        let Some(current) = requests_store::get(conn, request.id)? else {
            continue;
        };
        let changes = Changes::from([(
            "case_reference".to_string(),
            Change {
                old: serde_json::json!(current.case_reference),
                new: serde_json::json!(case.fields.case_reference),
            },
        )]);
        let renamed = MlaRequest {
            case_reference: case.fields.case_reference.clone(),
            ..current.clone()
        };
        let event = NewEvent {
            request_id: current.id,
            kind: EventKind::Updated,
            actor_id: actor,
            effective_date: today.date,
            from_status: None,
            to_status: None,
            changes: &changes,
            note: Some(&note),
        };
        requests_store::save(conn, &renamed, current.version, event)?.ok_or_else(|| {
            Error::Conflict("the case's requests are being changed by others; try again".into())
        })?;
    }
    Ok(())
}
