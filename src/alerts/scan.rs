//! Which requests are stalled today, and why.
//!
//! The database narrows the register to the requests that could breach a
//! rule (old enough in their status, close to their `needed_by`, or
//! watching preserved data close to its expiry); the rules then decide in
//! Rust, where they are unit-tested.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::db::alert_state::{self, AlertColumns, FollowUp};
use crate::db::preservations::{self as preservations_store, Watcher};
use crate::db::schema::preservations;
use crate::db::schema::{request_alert_state as state, requests, users};
use crate::db::{DbConnection, stored};
use crate::domain::alert_rules::{Anchor, Breach, Candidate, PreservationDue, RuleSet, Trigger};
use crate::domain::request::Magistrate;
use crate::domain::{CountryCode, FIRST_YEAR, LegalBasis, Priority, Status, Today};

/// The request as a stalled-list item shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StalledRequest {
    pub id: Uuid,
    pub reference: String,
    pub target_country: CountryCode,
    pub country_name: &'static str,
    pub status: Status,
    pub status_since: NaiveDate,
    pub priority: Priority,
    pub legal_basis: Option<LegalBasis>,
    pub needed_by: Option<NaiveDate>,
    pub coordinator_email: Option<String>,
}

/// Where a request's alerts can go; not shown in the stalled list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contacts {
    pub coordinator: Option<String>,
    pub issuing_magistrate: Option<String>,
    pub creator: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stalled {
    pub request: StalledRequest,
    #[serde(skip)]
    pub contacts: Contacts,
    pub days_in_status: i64,
    /// Highest level first.
    pub breaches: Vec<Breach>,
    pub snoozed_until: Option<NaiveDate>,
    pub last_follow_up: Option<FollowUp>,
}

impl Stalled {
    pub fn level(&self) -> u8 {
        self.breaches.first().map_or(0, |b| b.level)
    }

    fn most_overdue(&self) -> i64 {
        self.breaches
            .iter()
            .map(|b| b.overdue_days)
            .max()
            .unwrap_or(0)
    }
}

/// A scanned request: what the rules and the stalled list need of it.
#[derive(Queryable)]
struct ScanRow {
    id: String,
    reference: String,
    case_id: String,
    country: String,
    status: String,
    status_since: NaiveDate,
    dates: DateColumns,
    priority: String,
    legal_basis: Option<String>,
    needed_by: Option<NaiveDate>,
    coordinator_email: Option<String>,
    issuing_magistrate: String,
    creator_email: String,
    alert: AlertColumns,
}

/// The dates rules may count from.
#[derive(Queryable)]
struct DateColumns {
    sent_at: Option<NaiveDate>,
    sent_time: Option<chrono::NaiveDateTime>,
    received_at: Option<NaiveDate>,
    acknowledged_at: Option<NaiveDate>,
    recognised_at: Option<NaiveDate>,
    deadline_extended_to: Option<NaiveDate>,
}

/// Requests read per scan query: memory stays bounded by this, not by the
/// size of the register.
const CHUNK: i64 = 5000;

/// Which requests a scan looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    /// List snoozed requests with the breaches they would have (for review);
    /// otherwise a snoozed request breaches nothing.
    pub include_snoozed: bool,
    pub country: Option<CountryCode>,
    /// Only requests of priority `emergency` (the emergency scan).
    pub emergencies_only: bool,
}

/// What the rules could possibly match, so that the database narrows the
/// register before the rules decide: the statuses they name, and for each
/// kind of clock the youngest stall or furthest deadline among them. Every
/// anchor other than `status_since` falls on or after `sent_at`, so
/// `sent_at` bounds those. A bound no rule sets is [`Window::NOTHING`].
struct Window {
    statuses: Vec<&'static str>,
    old_enough: NaiveDate,
    sent_early_enough: NaiveDate,
    deadline_within: NaiveDate,
    /// With preservation rules: preserved data expiring by this date.
    expiring_by: Option<NaiveDate>,
}

impl Window {
    /// Before every stored date (none is before `FIRST_YEAR`), and within
    /// both backends' range.
    const NOTHING: NaiveDate = NaiveDate::from_ymd_opt(FIRST_YEAR - 1, 1, 1).unwrap();

    /// The window of `rules` on `today`. The emergency scan leaves the
    /// preservation rules to the daily one: they count days, and they would
    /// make it walk the closed requests every quarter hour.
    fn of(rules: &RuleSet, today: NaiveDate, scope: Scope) -> Option<Window> {
        let mut statuses: Vec<Status> = Vec::new();
        let mut youngest: Option<u32> = None;
        let mut youngest_sent: Option<u32> = None;
        let mut furthest_deadline: Option<u32> = None;
        let mut furthest_expiry: Option<u32> = None;
        let min = |kept: Option<u32>, d: u32| Some(kept.map_or(d, |k| k.min(d)));
        for rule in &rules.rules {
            match rule.trigger {
                Trigger::Stalled { after_days, from } => {
                    statuses.extend(&rule.statuses);
                    if from == Anchor::StatusSince {
                        youngest = min(youngest, after_days);
                    } else {
                        youngest_sent = min(youngest_sent, after_days);
                    }
                }
                Trigger::Hours { after_hours } => {
                    statuses.extend(&rule.statuses);
                    // A day less: the office's dates and the hours since
                    // sending need not line up (time zones, clock changes).
                    youngest_sent = min(youngest_sent, (after_hours / 24).saturating_sub(1));
                }
                Trigger::Preservation { .. } if scope.emergencies_only => {}
                Trigger::Preservation { days_before_expiry } => {
                    statuses.extend(Status::ALL.iter().filter(|s| **s != Status::Executed));
                    furthest_expiry = Some(
                        furthest_expiry.map_or(days_before_expiry, |d| d.max(days_before_expiry)),
                    );
                }
                Trigger::Deadline {
                    days_before_needed_by,
                } => {
                    let open = Status::ALL.iter().filter(|s| !s.closes());
                    statuses.extend(if rule.statuses.is_empty() {
                        open.copied().collect()
                    } else {
                        rule.statuses.clone()
                    });
                    furthest_deadline = Some(
                        furthest_deadline
                            .map_or(days_before_needed_by, |d| d.max(days_before_needed_by)),
                    );
                }
            }
        }
        statuses.sort();
        statuses.dedup();
        if statuses.is_empty() {
            return None;
        }
        let days_ago = |d: u32| {
            today
                .checked_sub_days(Days::new(d.into()))
                .unwrap_or(Window::NOTHING)
        };
        Some(Window {
            statuses: statuses.iter().map(|s| s.as_str()).collect(),
            old_enough: youngest.map_or(Window::NOTHING, days_ago),
            sent_early_enough: youngest_sent.map_or(Window::NOTHING, days_ago),
            deadline_within: furthest_deadline.map_or(Window::NOTHING, |d| {
                today
                    .checked_add_days(Days::new(d.into()))
                    .unwrap_or(NaiveDate::MAX)
            }),
            expiring_by: furthest_expiry.map(|d| {
                today
                    .checked_add_days(Days::new(d.into()))
                    .unwrap_or(NaiveDate::MAX)
            }),
        })
    }
}

/// A walk over every stalled request at `today` (the office's present) in
/// chunks of at most [`CHUNK`] requests (status by status, oldest in status
/// first — not by urgency). Each chunk is one range of the
/// `(status, status_since, id)` index, so the walk reads every candidate
/// once and sorts nothing, however large the register. It keeps its place
/// between chunks, so each chunk may be read on a connection of its own
/// and a run can commit what it found before reading on.
pub struct Walk {
    window: Option<Window>,
    scope: Scope,
    today: Today,
    /// The status being walked, as an index into `window.statuses`.
    status: usize,
    /// The last request read in that status.
    after: Option<(NaiveDate, String)>,
}

impl Walk {
    pub fn new(rules: &RuleSet, today: Today, scope: Scope) -> Walk {
        Walk {
            window: Window::of(rules, today.date, scope),
            scope,
            today,
            status: 0,
            after: None,
        }
    }

    /// The next chunk's stalled requests (possibly none: a chunk of
    /// candidates may hold no breach), or `None` once the walk is over.
    pub fn next_chunk(
        &mut self,
        conn: &mut DbConnection,
        rules: &RuleSet,
    ) -> QueryResult<Option<Vec<Stalled>>> {
        let Some(window) = &self.window else {
            return Ok(None);
        };
        let Some(status) = window.statuses.get(self.status).copied() else {
            return Ok(None);
        };
        let today = self.today;
        let mut query = requests::table
            .inner_join(users::table)
            .left_join(state::table)
            .filter(requests::status.eq(status))
            .select((
                requests::id,
                requests::reference,
                requests::case_id,
                requests::target_country,
                requests::status,
                requests::status_since,
                (
                    requests::sent_at,
                    requests::sent_time,
                    requests::received_at,
                    requests::acknowledged_at,
                    requests::recognised_at,
                    requests::deadline_extended_to,
                ),
                requests::priority,
                requests::legal_basis,
                requests::needed_by,
                requests::coordinator_email,
                requests::issuing_magistrate,
                users::email,
                (
                    state::snoozed_until.nullable(),
                    state::snooze_reason.nullable(),
                    state::last_follow_up_on.nullable(),
                    state::last_follow_up_channel.nullable(),
                ),
            ))
            .order((requests::status_since, requests::id))
            .limit(CHUNK)
            .into_boxed();
        let could_stall = requests::status_since
            .le(window.old_enough)
            .or(requests::sent_at.le(window.sent_early_enough))
            .or(requests::needed_by.le(window.deadline_within));
        query = match window.expiring_by {
            None => query.filter(could_stall),
            // Two subqueries, each spelling out the condition of its partial
            // index: one subquery with an `OR` cannot use either, and walks
            // every unreleased preservation by expiry for each request (over
            // a minute a status at 1,000,000 requests; under a second so).
            Some(by) => query.filter(
                could_stall
                    .or(diesel::dsl::exists(
                        preservations::table
                            .filter(preservations::released_on.is_null())
                            .filter(preservations::request_id.is_not_null())
                            .filter(preservations::request_id.eq(requests::id.nullable()))
                            .filter(preservations::expires_on.le(by)),
                    ))
                    .or(diesel::dsl::exists(
                        preservations::table
                            .filter(preservations::released_on.is_null())
                            .filter(preservations::case_id.is_not_null())
                            .filter(preservations::case_id.eq(requests::case_id.nullable()))
                            .filter(preservations::country.eq(requests::target_country))
                            .filter(preservations::expires_on.le(by)),
                    )),
            ),
        };
        if self.scope.emergencies_only {
            query = query.filter(requests::priority.eq(Priority::Emergency.as_str()));
        }
        if let Some(country) = self.scope.country {
            query = query.filter(requests::target_country.eq(country.as_str().to_string()));
        }
        if let Some((since, id)) = self.after.take() {
            // The plain `>=` lets the database start the range there.
            query = query
                .filter(requests::status_since.ge(since))
                .filter(requests::status_since.gt(since).or(requests::id.gt(id)));
        }
        let rows: Vec<ScanRow> = query.load(conn)?;
        if (rows.len() as i64) < CHUNK {
            self.status += 1;
            self.after = None;
        } else {
            self.after = rows.last().map(|row| (row.status_since, row.id.clone()));
        }
        let mut due = match window.expiring_by {
            None => HashMap::new(),
            Some(by) => {
                let watchers: Vec<Watcher> = rows
                    .iter()
                    .map(|r| Watcher {
                        request_id: &r.id,
                        case_id: &r.case_id,
                        country: &r.country,
                    })
                    .collect();
                preservations_store::due_for(conn, &watchers, by)?
            }
        };
        let mut found = Vec::new();
        for row in rows {
            let preservations = due.remove(&row.id).unwrap_or_default();
            if let Some(item) =
                evaluate(row, rules, today, self.scope.include_snoozed, preservations)?
            {
                found.push(item);
            }
        }
        Ok(Some(found))
    }
}

/// Walks every stalled request at `today` ([`Walk`]) on one connection,
/// handing each chunk to `each`.
pub fn for_each_chunk<E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    rules: &RuleSet,
    today: Today,
    scope: Scope,
    mut each: impl FnMut(Vec<Stalled>) -> Result<(), E>,
) -> Result<(), E> {
    let mut walk = Walk::new(rules, today, scope);
    while let Some(chunk) = walk.next_chunk(conn, rules)? {
        each(chunk)?;
    }
    Ok(())
}

/// The rules' verdict on one scanned row; `None` when it breaches nothing.
fn evaluate(
    row: ScanRow,
    rules: &RuleSet,
    today: Today,
    include_snoozed: bool,
    preservations: Vec<PreservationDue>,
) -> QueryResult<Option<Stalled>> {
    let ScanRow {
        id,
        reference,
        case_id: _,
        country,
        status,
        status_since,
        dates,
        priority,
        legal_basis,
        needed_by,
        coordinator_email,
        issuing_magistrate: magistrate,
        creator_email: creator,
        alert,
    } = row;
    let alert = alert_state::from_columns(alert)?;
    let country: CountryCode = CountryCode::parse(&country)
        .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
    let candidate = Candidate {
        status: stored("status", &status)?,
        status_since,
        sent_at: dates.sent_at,
        sent_time: dates.sent_time.map(|t| t.and_utc()),
        received_at: dates.received_at,
        acknowledged_at: dates.acknowledged_at,
        recognised_at: dates.recognised_at,
        deadline_extended_to: dates.deadline_extended_to,
        preservations,
        needed_by,
        legal_basis: legal_basis.map(|b| stored("legal_basis", &b)).transpose()?,
        country,
        priority: stored("priority", &priority)?,
        snoozed_until: if include_snoozed {
            None
        } else {
            alert.snoozed_until
        },
    };
    let breaches = rules.breaches(&candidate, today);
    if breaches.is_empty() {
        return Ok(None);
    }
    Ok(Some(Stalled {
        request: StalledRequest {
            id: stored("id", &id)?,
            reference,
            target_country: country,
            country_name: country.name(),
            status: candidate.status,
            status_since,
            priority: candidate.priority,
            legal_basis: candidate.legal_basis,
            needed_by,
            coordinator_email: coordinator_email.clone(),
        },
        contacts: Contacts {
            coordinator: coordinator_email,
            issuing_magistrate: serde_json::from_str::<Magistrate>(&magistrate)
                .ok()
                .and_then(|m| m.email),
            creator,
        },
        days_in_status: (today.date - status_since).num_days(),
        breaches,
        snoozed_until: alert.snoozed_until,
        last_follow_up: alert.last_follow_up,
    }))
}

/// Most overdue first, then highest level, then by reference.
fn most_urgent_first(a: &Stalled, b: &Stalled) -> std::cmp::Ordering {
    b.most_overdue()
        .cmp(&a.most_overdue())
        .then(b.level().cmp(&a.level()))
        .then(a.request.reference.cmp(&b.request.reference))
}

/// The `limit` most urgent stalled requests at `min_level` or above, and how
/// many there are in all. Holds at most twice `limit` items at a time.
pub fn most_urgent(
    conn: &mut DbConnection,
    rules: &RuleSet,
    today: Today,
    scope: Scope,
    min_level: u8,
    limit: usize,
) -> QueryResult<(usize, Vec<Stalled>)> {
    let mut total = 0;
    let mut kept: Vec<Stalled> = Vec::new();
    for_each_chunk(conn, rules, today, scope, |chunk| {
        for item in chunk.into_iter().filter(|s| s.level() >= min_level) {
            total += 1;
            kept.push(item);
        }
        if kept.len() > limit.saturating_mul(2).max(CHUNK as usize) {
            kept.sort_by(most_urgent_first);
            kept.truncate(limit);
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    kept.sort_by(most_urgent_first);
    kept.truncate(limit);
    Ok((total, kept))
}
