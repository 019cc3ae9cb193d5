//! `mla-tracker seed`: a synthetic, plainly fictitious portfolio for trying
//! the service and for benchmarks.
//!
//! Each country gets an answer behaviour (prompt, moderate, slow, silent) and
//! every request's life is simulated from its `sent_at` to today through the
//! same [`apply_transition`] the API uses, so the data obeys every rule the
//! service enforces. Rows go in by multi-row INSERTs, a transaction per batch.

use std::io::IsTerminal;
use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use std::collections::BTreeMap;

use serde_json::json;

use crate::db::cases::CaseRow;
use crate::db::events::{CaseEventRow, EventKind, EventRow, GENESIS, NewCaseEvent, NewEvent};
use crate::db::links::LinkRow;
use crate::db::requests::{RequestRow, creation_changes};
use crate::db::schema::{
    case_events, cases, reference_counters, request_events, request_links, requests,
};
use crate::db::{DbConnection, users};
use crate::domain::Today;
use crate::domain::case::{Case, opened_by_request};
use crate::domain::link::{Direction, LinkKind, RequestLink};
use crate::domain::request::{
    Change, Changes, Lifecycle, Magistrate, MlaRequest, RequestFields, generated_reference,
};
use crate::domain::transition::{TransitionCommand, apply_transition};
use crate::domain::{
    AbandonmentReason, Channel, CountryCode, Facilitator, ForeignProceedings, LegalBasis, Measure,
    MeasureOutcome, Offence, Priority, RefusalGround, Role, Status,
};

/// How a country answers.
#[derive(Debug, Clone, Copy)]
struct Behaviour {
    /// Chance of ever answering.
    answers: f64,
    /// Mean days to the first answer.
    answer_days: f64,
    /// Chance that an answered request is executed (fully or partly).
    executes: f64,
    /// Mean days from first answer to execution.
    execution_days: f64,
    /// Chance that an answered request is refused.
    refuses: f64,
}

const PROMPT: Behaviour = Behaviour {
    answers: 0.95,
    answer_days: 20.0,
    executes: 0.85,
    execution_days: 70.0,
    refuses: 0.05,
};
const MODERATE: Behaviour = Behaviour {
    answers: 0.85,
    answer_days: 60.0,
    executes: 0.7,
    execution_days: 150.0,
    refuses: 0.1,
};
const SLOW: Behaviour = Behaviour {
    answers: 0.7,
    answer_days: 160.0,
    executes: 0.6,
    execution_days: 240.0,
    refuses: 0.15,
};
const SILENT: Behaviour = Behaviour {
    answers: 0.15,
    answer_days: 320.0,
    executes: 0.45,
    execution_days: 300.0,
    refuses: 0.2,
};

/// A country of the portfolio: how it answers, the usual legal basis and
/// channel, who usually helps (`facilitator`), and how many requests go
/// there (a weight).
struct Country {
    code: &'static str,
    behaviour: Behaviour,
    basis: LegalBasis,
    channel: Channel,
    facilitator: Option<Facilitator>,
    weight: u32,
}

const COUNTRIES: &[Country] = &[
    Country {
        code: "DE",
        behaviour: PROMPT,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: None,
        weight: 8,
    },
    Country {
        code: "BE",
        behaviour: PROMPT,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: None,
        weight: 7,
    },
    Country {
        code: "ES",
        behaviour: PROMPT,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: None,
        weight: 7,
    },
    Country {
        code: "IT",
        behaviour: MODERATE,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: None,
        weight: 6,
    },
    Country {
        code: "NL",
        behaviour: PROMPT,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: Some(Facilitator::Eurojust),
        weight: 5,
    },
    Country {
        code: "PT",
        behaviour: PROMPT,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: None,
        weight: 4,
    },
    Country {
        code: "PL",
        behaviour: MODERATE,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: None,
        weight: 4,
    },
    Country {
        code: "RO",
        behaviour: MODERATE,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: Some(Facilitator::Ejn),
        weight: 4,
    },
    Country {
        code: "IE",
        behaviour: MODERATE,
        basis: LegalBasis::EuMlaConvention2000,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "LU",
        behaviour: PROMPT,
        basis: LegalBasis::EioDirective,
        channel: Channel::DirectJudicial,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "CH",
        behaviour: PROMPT,
        basis: LegalBasis::Ecmla1959,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 5,
    },
    Country {
        code: "GB",
        behaviour: MODERATE,
        basis: LegalBasis::Ecmla1959,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 5,
    },
    Country {
        code: "NO",
        behaviour: PROMPT,
        basis: LegalBasis::Ecmla1959,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "TR",
        behaviour: SLOW,
        basis: LegalBasis::Ecmla1959,
        channel: Channel::MinistryOfJustice,
        facilitator: None,
        weight: 3,
    },
    Country {
        code: "UA",
        behaviour: SLOW,
        basis: LegalBasis::Ecmla1959,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "RS",
        behaviour: SLOW,
        basis: LegalBasis::Ecmla1959,
        channel: Channel::MinistryOfJustice,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "XK",
        behaviour: SLOW,
        basis: LegalBasis::Reciprocity,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "US",
        behaviour: SLOW,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 6,
    },
    Country {
        code: "CA",
        behaviour: MODERATE,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "BR",
        behaviour: SLOW,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "CO",
        behaviour: SILENT,
        basis: LegalBasis::Untoc,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "MA",
        behaviour: MODERATE,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::MinistryOfJustice,
        facilitator: Some(Facilitator::LiaisonMagistrate),
        weight: 4,
    },
    Country {
        code: "TN",
        behaviour: SLOW,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::MinistryOfJustice,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "SN",
        behaviour: SLOW,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "NG",
        behaviour: SILENT,
        basis: LegalBasis::Untoc,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 2,
    },
    Country {
        code: "PH",
        behaviour: SILENT,
        basis: LegalBasis::Untoc,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 3,
    },
    Country {
        code: "KH",
        behaviour: SILENT,
        basis: LegalBasis::Reciprocity,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "VN",
        behaviour: SILENT,
        basis: LegalBasis::Reciprocity,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "TH",
        behaviour: SLOW,
        basis: LegalBasis::Untoc,
        channel: Channel::Diplomatic,
        facilitator: Some(Facilitator::Interpol),
        weight: 2,
    },
    Country {
        code: "IN",
        behaviour: SLOW,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "ID",
        behaviour: SILENT,
        basis: LegalBasis::Untoc,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "JP",
        behaviour: MODERATE,
        basis: LegalBasis::Reciprocity,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "CN",
        behaviour: SILENT,
        basis: LegalBasis::Reciprocity,
        channel: Channel::Diplomatic,
        facilitator: None,
        weight: 1,
    },
    Country {
        code: "AE",
        behaviour: SLOW,
        basis: LegalBasis::BilateralTreaty,
        channel: Channel::Diplomatic,
        facilitator: Some(Facilitator::LiaisonMagistrate),
        weight: 1,
    },
    Country {
        code: "AU",
        behaviour: MODERATE,
        basis: LegalBasis::BudapestConvention,
        channel: Channel::CentralAuthority,
        facilitator: None,
        weight: 1,
    },
];

const OFFENCES: &[(Offence, u32)] = &[
    (Offence::ChildSexualExploitation, 25),
    (Offence::ChildSexualAbuseMaterial, 20),
    (Offence::TraffickingInPersons, 8),
    (Offence::SexualViolence, 8),
    (Offence::Cybercrime, 10),
    (Offence::Fraud, 10),
    (Offence::MoneyLaundering, 6),
    (Offence::DrugTrafficking, 6),
    (Offence::Terrorism, 2),
    (Offence::Homicide, 2),
    (Offence::Corruption, 2),
    (Offence::Other, 1),
];

/// Requests per database transaction (a case is never split, so a batch
/// may hold a few more).
const BATCH: usize = 2000;
/// Rows per INSERT on SQLite, under its 32,766 bound-parameter limit.
const ROWS_PER_INSERT: usize = 500;
/// How far back `sent_at` goes.
const YEARS: i64 = 6;
/// Issuing magistrates and international-cooperation coordinators of the
/// fictitious portfolio: who the alert digests go to.
const MAGISTRATES: u32 = 400;
const COORDINATORS: u32 = 80;
/// How many requests a case has: mostly one, sometimes up to four.
const REQUESTS_PER_CASE: &[(usize, u32)] = &[(1, 70), (2, 20), (3, 7), (4, 3)];

/// Multi-row INSERTs on the inner connection (diesel's multi-connection
/// does not do batch inserts), each under the backend's bound-parameter limit.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $per_insert:expr) => {{
        for chunk in $rows.chunks($per_insert) {
            match $conn {
                DbConnection::Postgresql(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?
                }
                DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c)?,
            };
        }
        QueryResult::Ok(())
    }};
}

/// The rows of one batch, written in one transaction.
#[derive(Default)]
struct Batch {
    cases: Vec<CaseRow>,
    case_events: Vec<CaseEventRow>,
    requests: Vec<RequestRow>,
    events: Vec<EventRow>,
    links: Vec<LinkRow>,
}

/// Adds `count` requests drawn from `seed`, gathered in cases, their lives
/// simulated up to `today`: the same seed and day give the same portfolio.
pub fn run(conn: &mut DbConnection, count: u64, seed: u64, today: NaiveDate) -> anyhow::Result<()> {
    if let DbConnection::Sqlite(c) = conn {
        // Random UUID keys land all over the indexes: a bigger page cache
        // (256 MiB, this connection only) keeps a million-row load fast.
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA cache_size = -262144")?;
    }
    let actor = seed_user(conn)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut counters = ReferenceCounters::load(conn)?;
    let bar = ProgressBar::new(count);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:40}] {human_pos}/{human_len} requests, {per_sec}, eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let interactive = std::io::stderr().is_terminal();
    let mut done = 0u64;
    let mut total_events = 0usize;
    let mut total_cases = 0usize;
    while done < count {
        let mut batch = Batch::default();
        while batch.requests.len() < BATCH && done + (batch.requests.len() as u64) < count {
            let room = (count - done) as usize - batch.requests.len();
            simulate_case(&mut rng, today, actor, &mut counters, room, &mut batch);
        }
        let n = batch.requests.len();
        total_events += batch.events.len() + batch.case_events.len();
        total_cases += batch.cases.len();
        conn.transaction(|conn| {
            insert_rows!(conn, cases::table, &batch.cases, ROWS_PER_INSERT)?;
            insert_rows!(
                conn,
                case_events::table,
                &batch.case_events,
                ROWS_PER_INSERT
            )?;
            insert_rows!(conn, requests::table, &batch.requests, ROWS_PER_INSERT)?;
            insert_rows!(
                conn,
                request_events::table,
                &batch.events,
                ROWS_PER_INSERT * 2
            )?;
            insert_rows!(conn, request_links::table, &batch.links, ROWS_PER_INSERT)?;
            counters.save(conn)
        })?;
        let before = done;
        done += n as u64;
        bar.set_position(done);
        if !interactive && (done * 20 / count) != (before * 20 / count) {
            // No terminal to redraw a bar on (a log, a script): a line every 5 %.
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!(
                "seeded {done}/{count} requests ({}%), {rate:.0}/s",
                done * 100 / count
            );
        }
    }
    bar.finish_and_clear();
    if let DbConnection::Postgresql(pg) = conn {
        // Fresh statistics, so the planner knows the new rows at once rather
        // than after autovacuum's next pass.
        eprintln!("analysing the tables…");
        diesel::connection::SimpleConnection::batch_execute(
            pg,
            "ANALYZE requests; ANALYZE request_events; ANALYZE cases; ANALYZE case_events; \
             ANALYZE request_links",
        )?;
    }
    eprintln!(
        "seeded {done} fictitious requests in {total_cases} cases and {total_events} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The deactivated user that seeded rows name as their creator.
fn seed_user(conn: &mut DbConnection) -> anyhow::Result<Uuid> {
    use crate::db::schema::users as u;
    let existing: Option<String> = u::table
        .filter(u::email.eq("seed@fictitious.invalid"))
        .select(u::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id.parse()?);
    }
    let (user, _) = users::create(
        conn,
        "Seed generator (fictitious data)",
        "seed@fictitious.invalid",
        Role::Clerk,
    )?;
    users::deactivate(conn, user.id)?;
    Ok(user.id)
}

/// The last reference number handed out per year, kept in step with
/// `reference_counters` so the API goes on numbering after the seeded rows.
struct ReferenceCounters(std::collections::BTreeMap<i32, i32>);

impl ReferenceCounters {
    fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        let rows: Vec<(i32, i32)> = reference_counters::table.load(conn)?;
        Ok(ReferenceCounters(rows.into_iter().collect()))
    }

    fn next(&mut self, year: i32) -> String {
        let last = self.0.entry(year).or_insert(0);
        *last += 1;
        generated_reference(year, (*last).into())
    }

    fn save(&self, conn: &mut DbConnection) -> QueryResult<()> {
        for (&year, &last) in &self.0 {
            let updated = diesel::update(reference_counters::table.find(year))
                .set(reference_counters::last.eq(last))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(reference_counters::table)
                    .values((
                        reference_counters::year.eq(year),
                        reference_counters::last.eq(last),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    }
}

fn pick<'a, T>(rng: &mut StdRng, weighted: &'a [(T, u32)]) -> &'a T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in weighted {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &weighted[weighted.len() - 1].0
}

fn any<T: Copy>(rng: &mut StdRng, all: &[T]) -> T {
    all[rng.random_range(0..all.len())]
}

/// Days drawn from an exponential distribution with the given mean.
fn days(rng: &mut StdRng, mean: f64) -> Duration {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    Duration::days((-u.ln() * mean).round() as i64 + 1)
}

fn at_some_hour(rng: &mut StdRng, date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(
        rng.random_range(8..19),
        rng.random_range(0..60),
        rng.random_range(0..60),
    )
    .expect("valid time")
}

/// A request's event not numbered yet: the events of a request are put in
/// the order they were recorded once all are known (a link made by a later
/// request of the case lands between the earlier one's transitions).
struct Pending {
    recorded_at: NaiveDateTime,
    row: EventRow,
}

/// One simulated request of a case.
struct Simulated {
    record: MlaRequest,
    events: Vec<Pending>,
    /// When it was refused, if it was.
    refused_on: Option<NaiveDate>,
    /// When `identify_victims` was executed, if it was.
    victims_found_on: Option<NaiveDate>,
}

/// One fictitious case with up to `room` requests (at least one), their
/// lives up to `today`, links between some of them, and the victims
/// identified where identification was asked and executed.
fn simulate_case(
    rng: &mut StdRng,
    today: NaiveDate,
    actor: Uuid,
    counters: &mut ReferenceCounters,
    room: usize,
    batch: &mut Batch,
) {
    let wanted = (*pick(rng, REQUESTS_PER_CASE)).min(room).max(1);
    let offences = {
        let mut list = vec![*pick(rng, OFFENCES)];
        if rng.random_bool(0.3) {
            list.push(*pick(rng, OFFENCES));
        }
        list.dedup();
        list
    };
    let magistrate = {
        let n = rng.random_range(1..=MAGISTRATES);
        Magistrate {
            name: format!("Magistrate Example {n}"),
            court: Some(format!("Example Court {}", n % 40 + 1)),
            email: Some(format!("magistrate{n}@fictitious.invalid")),
        }
    };
    let first_sent = today - Duration::days(rng.random_range(1..YEARS * 365));
    let mut case: Option<Case> = None;
    let mut done: Vec<Simulated> = Vec::new();
    let mut case_events: Vec<(NaiveDateTime, EventKind, Changes, Option<String>)> = Vec::new();
    for i in 0..wanted {
        // A later request: a reissue after the first was refused, else a
        // follow-up or a supplement some months on (or none, past today).
        let (sent_at, country, link) = if i == 0 {
            (first_sent, None, None)
        } else {
            let first = &done[0];
            match first.refused_on {
                Some(refused) if rng.random_bool(0.6) => (
                    refused + Duration::days(rng.random_range(10..90)),
                    Some(first.record.fields.target_country),
                    Some(LinkKind::ReissuedAfterRefusal),
                ),
                _ => (
                    first_sent + Duration::days(rng.random_range(20..500)),
                    None,
                    rng.random_bool(0.6).then(|| {
                        if rng.random_bool(0.4) {
                            LinkKind::FollowUpOf
                        } else {
                            LinkKind::Supplements
                        }
                    }),
                ),
            }
        };
        if sent_at >= today {
            break;
        }
        let mut simulated = simulate_request(
            rng,
            today,
            actor,
            counters,
            sent_at,
            country,
            &offences,
            &magistrate,
        );
        let case = case.get_or_insert_with(|| {
            let record = &simulated.record;
            let fields = opened_by_request(
                format!("FICT-{}", record.reference.trim_start_matches("MLA-")),
                format!("Fictitious case of {} (synthetic data)", record.reference),
                magistrate.clone(),
                offences.clone(),
            );
            let case = Case {
                id: Uuid::new_v4(),
                fields,
                version: 1,
                created_by: actor,
                created_at: record.created_at,
                updated_at: record.created_at,
            };
            case_events.push((
                record.created_at.naive_utc(),
                EventKind::Created,
                case_creation_changes(&case),
                Some(format!(
                    "Opened by request {}, filed under this case reference; title, \
                     magistrate and offences from it.",
                    record.reference
                )),
            ));
            case
        });
        simulated.record.case_id = case.id;
        simulated.record.case_reference = case.fields.case_reference.clone();
        // The creation event names the case it was filed under.
        let created = &mut simulated.events[0].row;
        let mut changes: Changes = serde_json::from_str(&created.changes).expect("our JSON");
        for (key, value) in [
            ("case_id", json!(case.id)),
            ("case_reference", json!(case.fields.case_reference)),
        ] {
            changes.insert(
                key.to_string(),
                Change {
                    old: serde_json::Value::Null,
                    new: value,
                },
            );
        }
        created.changes = serde_json::to_string(&changes).expect("changes serialise");
        if let Some(kind) = link {
            let to = &done[0];
            let row = LinkRow {
                id: Uuid::new_v4().to_string(),
                from_request_id: simulated.record.id.to_string(),
                to_request_id: to.record.id.to_string(),
                kind: kind.as_str().to_string(),
                created_by: actor.to_string(),
                created_at: simulated.events[0].recorded_at,
            };
            let at = simulated.events[0].recorded_at + Duration::minutes(5);
            let link_event = |this: &MlaRequest, other: &MlaRequest, direction| {
                let shown = serde_json::to_value(RequestLink {
                    id: row.id.parse().expect("a UUID"),
                    kind,
                    direction,
                    request_id: other.id,
                    reference: other.reference.clone(),
                })
                .expect("links serialise");
                let changes = Changes::from([(
                    "link".to_string(),
                    Change {
                        old: serde_json::Value::Null,
                        new: shown,
                    },
                )]);
                Pending {
                    recorded_at: at,
                    row: EventRow::new(
                        &NewEvent {
                            request_id: this.id,
                            kind: EventKind::Linked,
                            actor_id: actor,
                            effective_date: at.date(),
                            from_status: None,
                            to_status: None,
                            changes: &changes,
                            note: None,
                        },
                        0,
                        at,
                    ),
                }
            };
            let outgoing = link_event(&simulated.record, &to.record, Direction::Outgoing);
            let incoming = link_event(&to.record, &simulated.record, Direction::Incoming);
            simulated.events.push(outgoing);
            done[0].events.push(incoming);
            batch.links.push(row);
        }
        done.push(simulated);
    }
    let mut case = case.expect("the first request is sent before today");
    // Victims: only where identification was asked, and executed.
    if let Some(found) = done.iter().filter_map(|r| r.victims_found_on).min()
        && rng.random_bool(0.5)
    {
        let identified = rng.random_range(1..6);
        let safeguarded = rng.random_range(0..=identified);
        let proceedings = *pick(
            rng,
            &[
                (ForeignProceedings::Yes, 3),
                (ForeignProceedings::No, 2),
                (ForeignProceedings::Unknown, 5),
            ],
        );
        let on = (found + Duration::days(rng.random_range(0..10))).min(today);
        let recorded = at_some_hour(rng, on);
        let old = case.fields.clone();
        case.fields.victims_identified = Some(identified);
        case.fields.victims_safeguarded = Some(safeguarded);
        case.fields.foreign_proceedings_opened = proceedings;
        let changes: Changes = [
            (
                "victims_identified",
                json!(old.victims_identified),
                json!(identified),
            ),
            (
                "victims_safeguarded",
                json!(old.victims_safeguarded),
                json!(safeguarded),
            ),
            (
                "foreign_proceedings_opened",
                json!(old.foreign_proceedings_opened),
                json!(proceedings),
            ),
        ]
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(name, old, new)| (name.to_string(), Change { old, new }))
        .collect();
        let recorded = recorded.max(case.created_at.naive_utc());
        case.version += 1;
        case.updated_at = recorded.and_utc();
        case_events.push((recorded, EventKind::Updated, changes, None));
    }
    // The case's history, chained.
    let mut prev = GENESIS.to_string();
    for (seq, (recorded_at, kind, changes, note)) in case_events.iter().enumerate() {
        let row = CaseEventRow::new(
            &NewCaseEvent {
                case_id: case.id,
                kind: *kind,
                actor_id: actor,
                effective_date: recorded_at.date(),
                changes,
                note: note.as_deref(),
            },
            seq as i32 + 1,
            *recorded_at,
            &prev,
        );
        prev = row.hash.clone();
        batch.case_events.push(row);
    }
    batch.cases.push(CaseRow::from_case(&case));
    // Each request's history, in the order it was recorded, chained.
    for simulated in done {
        let mut pending = simulated.events;
        pending.sort_by_key(|p| p.recorded_at);
        let mut rows: Vec<EventRow> = pending
            .into_iter()
            .enumerate()
            .map(|(i, p)| EventRow {
                seq: i as i32 + 1,
                ..p.row
            })
            .collect();
        crate::db::events::chain(&mut rows);
        batch
            .requests
            .push(RequestRow::from_record(&simulated.record));
        batch.events.extend(rows);
    }
}

/// The initial values of a case, as changes from nothing.
fn case_creation_changes(case: &Case) -> Changes {
    crate::db::cases::creation_changes(case)
}

/// One fictitious request sent on `sent_at` (to `country`, else one drawn),
/// its life up to `today`, and its events (not numbered yet). It is not
/// filed under a case yet: the caller does that.
#[allow(clippy::too_many_arguments)]
fn simulate_request(
    rng: &mut StdRng,
    today: NaiveDate,
    actor: Uuid,
    counters: &mut ReferenceCounters,
    sent_at: NaiveDate,
    country: Option<CountryCode>,
    offences: &[Offence],
    magistrate: &Magistrate,
) -> Simulated {
    let drawn = pick(
        rng,
        &COUNTRIES.iter().map(|c| (c, c.weight)).collect::<Vec<_>>(),
    )
    .code;
    let code = country.map_or(drawn, |c| {
        COUNTRIES
            .iter()
            .find(|k| k.code == c.as_str())
            .expect("a country of the portfolio")
            .code
    });
    let place = COUNTRIES
        .iter()
        .find(|c| c.code == code)
        .expect("a country of the portfolio");
    let draft = rng.random_bool(0.015);
    let created = if draft {
        today - Duration::days(rng.random_range(0..30))
    } else {
        sent_at
    };
    let child_case = offences.iter().any(|o| {
        matches!(
            o,
            Offence::ChildSexualExploitation
                | Offence::ChildSexualAbuseMaterial
                | Offence::LivestreamedChildSexualAbuse
                | Offence::GroomingSextortion
        )
    });
    let mut measures = vec![any(rng, Measure::ALL)];
    if child_case {
        measures.insert(0, Measure::IdentifyVictims);
    }
    measures.dedup();
    let mut facilitators: Vec<Facilitator> = place.facilitator.into_iter().collect();
    if rng.random_bool(0.05) {
        facilitators.push(any(rng, Facilitator::ALL));
        facilitators.dedup();
    }
    let reference = counters.next(created.format("%Y").to_string().parse().expect("a year"));
    let number = reference.trim_start_matches("MLA-");
    let fields = RequestFields {
        title: format!("Fictitious request {number} (synthetic data)"),
        issuing_magistrate: magistrate.clone(),
        target_country: CountryCode::parse(code).expect("seed countries are valid"),
        requested_authority: Some(format!("Central authority of {code} (fictitious)")),
        channel: Some(if rng.random_bool(0.1) {
            any(rng, Channel::ALL)
        } else {
            place.channel
        }),
        facilitators,
        legal_basis: Some(place.basis),
        legal_basis_detail: None,
        offences: offences.to_vec(),
        measures,
        measure_outcomes: Default::default(),
        priority: if child_case && rng.random_bool(0.3) {
            Priority::Urgent
        } else {
            Priority::Normal
        },
        coordinator_email: Some(format!(
            "coordinator{}@fictitious.invalid",
            rng.random_range(1..=COORDINATORS)
        )),
        outcome_note: None,
        foreign_reference: None,
        needed_by: rng
            .random_bool(0.1)
            .then(|| created + Duration::days(rng.random_range(30..400))),
    };
    let created_at = at_some_hour(rng, created);
    let mut record = MlaRequest {
        id: Uuid::new_v4(),
        reference,
        case_id: Uuid::nil(),
        case_reference: String::new(),
        fields,
        lifecycle: Lifecycle::starting(
            if draft { Status::Draft } else { Status::Sent },
            created,
            (!draft).then_some(sent_at),
        ),
        links: Vec::new(),
        version: 1,
        created_by: actor,
        created_at: created_at.and_utc(),
        updated_at: created_at.and_utc(),
    };
    // The case's id and reference join the creation's changes once known.
    let mut initial = creation_changes(&record);
    initial.remove("case_id");
    initial.remove("case_reference");
    let mut events = vec![Pending {
        recorded_at: created_at,
        row: EventRow::new(
            &NewEvent {
                request_id: record.id,
                kind: EventKind::Created,
                actor_id: actor,
                effective_date: created,
                from_status: None,
                to_status: Some(record.lifecycle.status),
                changes: &initial,
                note: None,
            },
            0,
            created_at,
        ),
    }];
    let mut refused_on = None;
    let mut victims_found_on = None;
    if !draft {
        for cmd in life(
            rng,
            place.behaviour,
            &record.fields.measures,
            sent_at,
            today,
        ) {
            let Ok(done) = apply_transition(&record, &cmd, Today::on(today)) else {
                break;
            };
            let recorded_on =
                (cmd.effective_date + Duration::days(rng.random_range(0..5))).min(today);
            let recorded_at = at_some_hour(rng, recorded_on).max(created_at);
            events.push(Pending {
                recorded_at,
                row: EventRow::new(
                    &NewEvent {
                        request_id: record.id,
                        kind: EventKind::Transition,
                        actor_id: actor,
                        effective_date: cmd.effective_date,
                        from_status: Some(record.lifecycle.status),
                        to_status: Some(cmd.to),
                        changes: &done.changes,
                        note: cmd.note.as_deref(),
                    },
                    0,
                    recorded_at,
                ),
            });
            if cmd.to == Status::Refused {
                refused_on = Some(cmd.effective_date);
            }
            if victims_found_on.is_none()
                && done.fields.measure_outcomes.get(&Measure::IdentifyVictims)
                    == Some(&MeasureOutcome::Executed)
            {
                victims_found_on = Some(cmd.effective_date);
            }
            record.fields = done.fields;
            record.lifecycle = done.lifecycle;
            record.version += 1;
            record.updated_at = recorded_at.and_utc().max(record.created_at);
        }
    }
    Simulated {
        record,
        events,
        refused_on,
        victims_found_on,
    }
}

/// What became of each measure of a request executed (`fully`) or
/// partially executed.
fn outcomes(
    rng: &mut StdRng,
    measures: &[Measure],
    fully: bool,
) -> BTreeMap<Measure, Option<MeasureOutcome>> {
    let held_or_not = |m: &Measure| {
        matches!(
            m,
            Measure::SubscriberData
                | Measure::TrafficData
                | Measure::ContentData
                | Measure::ElectronicEvidence
                | Measure::DataPreservation
                | Measure::BankRecords
        )
    };
    measures
        .iter()
        .map(|m| {
            let outcome = if held_or_not(m) && rng.random_bool(0.15) {
                MeasureOutcome::DataNotHeld
            } else if fully || rng.random_bool(0.5) {
                MeasureOutcome::Executed
            } else if rng.random_bool(0.3) {
                MeasureOutcome::Refused
            } else {
                MeasureOutcome::NotExecuted
            };
            (*m, Some(outcome))
        })
        .collect()
}

/// The transitions a request sent on `sent_at` goes through before `today`.
fn life(
    rng: &mut StdRng,
    b: Behaviour,
    measures: &[Measure],
    sent_at: NaiveDate,
    today: NaiveDate,
) -> Vec<TransitionCommand> {
    let step = |to: Status, date: NaiveDate| TransitionCommand {
        to,
        effective_date: date,
        note: None,
        abandonment_reason: None,
        refusal_ground: None,
        measure_outcomes: None,
        sent_time: None,
    };
    let mut steps = Vec::new();
    if rng.random_bool(0.02) {
        let date = sent_at + days(rng, 90.0);
        if date <= today {
            steps.push(step(Status::Withdrawn, date));
        }
        return steps;
    }
    let answered = rng.random_bool(b.answers);
    let first = sent_at + days(rng, b.answer_days);
    if !answered || first > today {
        // Silence: after a long wait, many are given up.
        let give_up = sent_at + Duration::days(rng.random_range(250..800));
        if give_up <= today && rng.random_bool(0.9) {
            let mut cmd = step(Status::Abandoned, give_up);
            cmd.abandonment_reason = Some(if rng.random_bool(0.7) {
                AbandonmentReason::NoResponse
            } else {
                any(rng, AbandonmentReason::ALL)
            });
            if cmd.abandonment_reason == Some(AbandonmentReason::Other) {
                cmd.note = Some("Fictitious: the case was merged into another".into());
            }
            steps.push(cmd);
        }
        return steps;
    }
    let mut date = first;
    if rng.random_bool(0.1) {
        steps.push(step(Status::AdditionalInfoRequested, date));
        date += days(rng, 30.0);
        if date > today {
            return steps;
        }
    }
    steps.push(step(Status::Acknowledged, date));
    let roll: f64 = rng.random();
    let end = date + days(rng, b.execution_days);
    if end > today {
        if rng.random_bool(0.5) {
            steps.push(step(
                Status::InExecution,
                date + Duration::days(1).min(today - date),
            ));
        }
        return steps;
    }
    if roll < b.refuses {
        let mut cmd = step(Status::Refused, end);
        cmd.refusal_ground = Some(any(rng, RefusalGround::ALL));
        if cmd.refusal_ground == Some(RefusalGround::Other) {
            cmd.note = Some("Fictitious: ground stated in a letter".into());
        }
        steps.push(cmd);
    } else if roll < b.refuses + b.executes {
        steps.push(step(
            Status::InExecution,
            date + Duration::days(1).min(end - date),
        ));
        let partly = rng.random_bool(0.2);
        let mut done = step(
            if partly {
                Status::PartiallyExecuted
            } else {
                Status::Executed
            },
            end,
        );
        done.measure_outcomes = Some(outcomes(rng, measures, !partly));
        steps.push(done);
        // Most partial executions are completed, or given up, later on.
        let rest = end + days(rng, b.execution_days);
        if partly && rest <= today && rng.random_bool(0.8) {
            let mut last = step(Status::Executed, rest);
            last.measure_outcomes = Some(outcomes(rng, measures, true));
            if rng.random_bool(0.25) {
                last = step(Status::Abandoned, rest);
                last.abandonment_reason = Some(AbandonmentReason::NoResponse);
            }
            steps.push(last);
        }
    } else {
        let mut cmd = step(Status::Abandoned, end);
        cmd.abandonment_reason = Some(any(rng, AbandonmentReason::ALL));
        if cmd.abandonment_reason == Some(AbandonmentReason::Other) {
            cmd.note = Some("Fictitious: no longer pursued".into());
        }
        steps.push(cmd);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::instruments;

    /// The fictitious portfolio obeys the register's rules: each country's
    /// usual legal basis admits it (an EIO to Ireland would be refused).
    #[test]
    fn every_country_s_usual_legal_basis_admits_it() {
        for country in COUNTRIES {
            let code = CountryCode::parse(country.code).expect("a valid code");
            assert_eq!(
                instruments::refusal(country.basis, code),
                None,
                "{}",
                country.code
            );
        }
    }
}
