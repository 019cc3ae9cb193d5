//! `mla-tracker seed`: a synthetic, plainly fictitious portfolio for trying
//! the service and for benchmarks.
//!
//! Each request follows its instrument (docs/DOMAIN.md §11): an EIO the
//! timetable of Directive 2014/41/EU (Annex B within a week, recognition
//! within 30 days, execution within 90 more, extensions and postponements
//! now and then), a traditional MLA request the Commission's ten months on
//! average; each country's answer behaviour (prompt, moderate, slow,
//! silent) scales it. Every request's life is simulated from its `sent_at`
//! to today through the same [`apply_transition`] and [`apply_milestone`]
//! the API uses, so the data obeys every rule the service enforces; the
//! data preservations of electronic-evidence requests go through the
//! domain's checks and write the service's rows and events. Rows go in by
//! multi-row INSERTs, a transaction per batch.

use std::io::IsTerminal;
use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
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
use crate::db::preservations::{PreservationRow, RenewalRow, recorded_changes, term_changes};
use crate::db::requests::{RequestRow, creation_changes};
use crate::db::schema::{
    case_events, cases, preservation_renewals, preservations, reference_counters, request_events,
    request_links, requests,
};
use crate::db::{DbConnection, users};
use crate::domain::Today;
use crate::domain::case::{Case, opened_by_request};
use crate::domain::instruments;
use crate::domain::link::{Direction, LinkKind, RequestLink};
use crate::domain::milestone::{MilestoneCommand, MilestoneKind, apply_milestone};
use crate::domain::preservation::{
    NewPreservation, Preservation, PreservationBasis, Release, Renewal, RenewalRecord, release,
    renew,
};
use crate::domain::request::sending_time;
use crate::domain::request::{
    Change, Changes, Lifecycle, Magistrate, MlaRequest, RequestFields, generated_reference,
};
use crate::domain::transition::{TransitionCommand, apply_transition};
use crate::domain::{
    AbandonmentReason, Channel, CountryCode, Facilitator, ForeignProceedings, LegalBasis, Measure,
    MeasureOutcome, Offence, Priority, RefusalGround, Role, Status,
};

/// How a country answers, whatever the instrument: the instrument sets the
/// timetable ([`eio_life`], [`mla_life`]), the behaviour scales it.
#[derive(Debug, Clone, Copy)]
struct Behaviour {
    /// Chance of ever answering in substance.
    answers: f64,
    /// Chance of acknowledging receipt of a traditional MLA request (an
    /// EIO's Annex B is nearly always sent: [`EIO_ACKNOWLEDGED`]).
    acknowledges: f64,
    /// Multiplies the instrument's delays.
    pace: f64,
    /// Chance that an answered request is refused.
    refuses: f64,
}

const PROMPT: Behaviour = Behaviour {
    answers: 0.97,
    acknowledges: 0.8,
    pace: 0.7,
    refuses: 0.05,
};
const MODERATE: Behaviour = Behaviour {
    answers: 0.92,
    acknowledges: 0.6,
    pace: 1.0,
    refuses: 0.08,
};
const SLOW: Behaviour = Behaviour {
    answers: 0.8,
    acknowledges: 0.45,
    pace: 1.3,
    refuses: 0.12,
};
/// Acknowledges, mostly, and then says nothing more.
const SILENT: Behaviour = Behaviour {
    answers: 0.12,
    acknowledges: 0.75,
    pace: 1.6,
    refuses: 0.2,
};

/// Share of EIOs whose receipt is acknowledged with Annex B (art. 16(1):
/// always, "without delay and in any event within a week").
const EIO_ACKNOWLEDGED: f64 = 0.95;
/// Mean days from sending to the first substantive answer of a traditional
/// MLA request at a moderate pace: the European Commission's "10 months on
/// average" (docs/DOMAIN.md §11).
const MLA_FIRST_ANSWER_DAYS: f64 = 300.0;
/// Mean days an acknowledgement of a traditional request takes, at a
/// moderate pace.
const MLA_ACKNOWLEDGEMENT_DAYS: f64 = 35.0;
/// The day Regulation (EU) 2023/1543 applies (art. 34): no European
/// Preservation Order before it.
const E_EVIDENCE_APPLIES: NaiveDate = NaiveDate::from_ymd_opt(2026, 8, 18).expect("a date");
/// Fictitious service providers that preservations go to.
const PROVIDERS: u32 = 40;

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
    preservations: Vec<PreservationRow>,
    renewals: Vec<RenewalRow>,
    /// Steps of the simulated lives that the rules refused.
    rejected: usize,
}

/// Adds `count` requests drawn from `seed`, gathered in cases, their lives
/// simulated up to `today`: the same seed and day give the same portfolio.
/// `today` is the office's present: the portfolio is simulated up to its
/// date, and an emergency's `sent_time` is an instant of its zone.
pub fn run(conn: &mut DbConnection, count: u64, seed: u64, today: Today) -> anyhow::Result<()> {
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
    let mut rejected = 0usize;
    while done < count {
        let mut batch = Batch::default();
        while batch.requests.len() < BATCH && done + (batch.requests.len() as u64) < count {
            let room = (count - done) as usize - batch.requests.len();
            // Each case draws from a generator of its own, seeded from the
            // portfolio's: a change to how one case is simulated leaves
            // the others as they were.
            let mut case_rng = StdRng::seed_from_u64(rng.random());
            let first = batch.requests.len();
            simulate_case(&mut case_rng, today, actor, &mut counters, room, &mut batch);
            // The record keys are the case generator's last draws: the same
            // seed publishes the same perturbed statistics, and the cases
            // are drawn as they always were.
            for row in &mut batch.requests[first..] {
                row.record_key = i64::from(case_rng.random::<u32>());
            }
        }
        let n = batch.requests.len();
        total_events += batch.events.len() + batch.case_events.len();
        total_cases += batch.cases.len();
        rejected += batch.rejected;
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
            insert_rows!(
                conn,
                preservations::table,
                &batch.preservations,
                ROWS_PER_INSERT
            )?;
            insert_rows!(
                conn,
                preservation_renewals::table,
                &batch.renewals,
                ROWS_PER_INSERT
            )?;
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
        // Fresh statistics, so the planner knows the new rows at once, and
        // the visibility map set, so it can read the covering indexes alone:
        // what autovacuum's next passes would do (one statement: VACUUM
        // runs outside a transaction).
        eprintln!("vacuuming and analysing the tables…");
        diesel::connection::SimpleConnection::batch_execute(
            pg,
            "VACUUM (ANALYZE) requests, request_events, cases, case_events, request_links, \
             preservations, preservation_renewals",
        )?;
    }
    if rejected > 0 {
        // A bug of the simulation, which the tests look for: those lives
        // were cut short where the rules refused a step.
        eprintln!("warning: the rules refused {rejected} simulated step(s)");
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
    /// The data preservation that served it, if one did, and its renewals.
    preservation: Option<(PreservationRow, Vec<RenewalRow>)>,
    /// Steps of its simulated life that the rules refused (none, unless the
    /// simulation is wrong: the tests check).
    rejected: usize,
}

/// One fictitious case with up to `room` requests (at least one), their
/// lives up to `today`, links between some of them, and the victims
/// identified where identification was asked and executed.
fn simulate_case(
    rng: &mut StdRng,
    present: Today,
    actor: Uuid,
    counters: &mut ReferenceCounters,
    room: usize,
    batch: &mut Batch,
) {
    let today = present.date;
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
            present,
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
                id: crate::db::new_id(),
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
                id: crate::db::new_id().to_string(),
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
        batch.rejected += simulated.rejected;
        if let Some((preservation, renewals)) = simulated.preservation {
            batch.preservations.push(preservation);
            batch.renewals.extend(renewals);
        }
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
    present: Today,
    actor: Uuid,
    counters: &mut ReferenceCounters,
    sent_at: NaiveDate,
    country: Option<CountryCode>,
    offences: &[Offence],
    magistrate: &Magistrate,
) -> Simulated {
    let today = present.date;
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
    let child_case = offences.iter().any(|o| is_child_offence(*o));
    let measures = draw_measures(rng, offences, child_case);
    let mut facilitators: Vec<Facilitator> = place.facilitator.into_iter().collect();
    if rng.random_bool(0.05) {
        facilitators.push(any(rng, Facilitator::ALL));
        facilitators.dedup();
    }
    // A child in danger now: an emergency, sent at a known instant (the
    // hour rules count from it); a few more are urgent.
    let priority = if !child_case {
        Priority::Normal
    } else if !draft && rng.random_bool(EMERGENCY_SHARE_OF_CHILD_CASES) {
        Priority::Emergency
    } else if rng.random_bool(0.3) {
        Priority::Urgent
    } else {
        Priority::Normal
    };
    let sent_time = (priority == Priority::Emergency).then(|| {
        let local = at_some_hour(rng, sent_at);
        let at = present
            .zone
            .from_local_datetime(&local)
            .earliest()
            .map_or(local.and_utc(), |t| t.with_timezone(&Utc))
            .min(present.now);
        sending_time(Some(at), sent_at, priority, present)
            .expect("an instant of the day it was sent")
            .expect("given")
    });
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
        priority,
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
    let created_at = match sent_time {
        Some(at) => at.naive_utc(),
        None => at_some_hour(rng, created),
    };
    let mut lifecycle = Lifecycle::starting(
        if draft { Status::Draft } else { Status::Sent },
        created,
        (!draft).then_some(sent_at),
    );
    lifecycle.sent_time = sent_time;
    let mut record = MlaRequest {
        id: crate::db::new_id(),
        reference,
        case_id: Uuid::nil(),
        case_reference: String::new(),
        fields,
        lifecycle,
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
    let mut rejected = 0;
    // Each step is recorded a few days after it happened, in the order it
    // happened: the history reads as the life went.
    let mut last_recorded = created_at;
    if !draft {
        let mut plan = Plan::new(sent_at, today);
        let urgency = match priority {
            Priority::Emergency => 0.4,
            Priority::Urgent => 0.7,
            Priority::Normal => 1.0,
        };
        let life = Life {
            behaviour: place.behaviour,
            pace: place.behaviour.pace * urgency,
            basis: place.basis,
            country: record.fields.target_country,
            offences,
            measures: &record.fields.measures,
        };
        if rng.random_bool(0.02) {
            // Withdrawn before anything came back.
            let _ = plan.move_to(Status::Withdrawn, sent_at + days(rng, 90.0));
        } else if place.basis == LegalBasis::EioDirective {
            let _ = eio_life(rng, &mut plan, &life);
        } else {
            let _ = mla_life(rng, &mut plan, &life);
        }
        for step in plan.steps {
            let (date, kind, to, note, lifecycle, fields, changes) = match &step {
                Step::Move(cmd) => match apply_transition(&record, cmd, present) {
                    Ok(done) => (
                        cmd.effective_date,
                        EventKind::Transition,
                        Some(cmd.to),
                        cmd.note.as_deref(),
                        done.lifecycle,
                        done.fields,
                        done.changes,
                    ),
                    Err(_) => {
                        rejected += 1;
                        break;
                    }
                },
                Step::Mark(cmd) => match apply_milestone(&record, cmd, present) {
                    Ok((lifecycle, changes)) => (
                        cmd.effective_date,
                        EventKind::Milestone,
                        None,
                        cmd.note.as_deref(),
                        lifecycle,
                        record.fields.clone(),
                        changes,
                    ),
                    Err(_) => {
                        rejected += 1;
                        break;
                    }
                },
            };
            let recorded_on = (date + Duration::days(rng.random_range(0..5))).min(today);
            let recorded_at =
                at_some_hour(rng, recorded_on).max(last_recorded + Duration::minutes(1));
            last_recorded = recorded_at;
            events.push(Pending {
                recorded_at,
                row: EventRow::new(
                    &NewEvent {
                        request_id: record.id,
                        kind,
                        actor_id: actor,
                        effective_date: date,
                        from_status: to.map(|_| record.lifecycle.status),
                        to_status: to,
                        changes: &changes,
                        note,
                    },
                    0,
                    recorded_at,
                ),
            });
            if to == Some(Status::Refused) {
                refused_on = Some(date);
            }
            if victims_found_on.is_none()
                && fields.measure_outcomes.get(&Measure::IdentifyVictims)
                    == Some(&MeasureOutcome::Executed)
            {
                victims_found_on = Some(date);
            }
            record.fields = fields;
            record.lifecycle = lifecycle;
            record.version += 1;
            record.updated_at = recorded_at.and_utc().max(record.created_at);
        }
    }
    // Data held by a provider is asked to be kept while the request travels.
    let preservation = (!draft
        && record.fields.measures.iter().any(|m| is_e_evidence(*m))
        && rng.random_bool(PRESERVED))
    .then(|| preserve(rng, present, actor, &record, &mut events));
    Simulated {
        record,
        events,
        refused_on,
        victims_found_on,
        preservation,
        rejected,
    }
}

/// Share of the requests of a child case sent as emergencies (about half
/// the cases are child cases: some 2 % of all requests).
const EMERGENCY_SHARE_OF_CHILD_CASES: f64 = 0.045;
/// Share of the electronic-evidence requests whose data was preserved.
const PRESERVED: f64 = 0.75;

/// The offences of a child case: the victims are children.
fn is_child_offence(o: Offence) -> bool {
    matches!(
        o,
        Offence::ChildSexualExploitation
            | Offence::ChildSexualAbuseMaterial
            | Offence::LivestreamedChildSexualAbuse
            | Offence::GroomingSextortion
    )
}

/// Measures that ask for data a provider holds: the data a preservation
/// keeps until the request arrives.
fn is_e_evidence(m: Measure) -> bool {
    matches!(
        m,
        Measure::SubscriberData
            | Measure::TrafficData
            | Measure::ContentData
            | Measure::ElectronicEvidence
            | Measure::DataPreservation
    )
}

/// The offences listed in Annex D to Directive 2014/41/EU, for which the
/// executing state may not refuse an EIO for lack of double criminality
/// (art. 11(1)(g), where punishable in the issuing state by at least three
/// years, as these are here): sexual exploitation of children and child
/// pornography, trafficking in human beings, rape, computer-related crime,
/// swindling, laundering, illicit trafficking in narcotic drugs, terrorism,
/// murder, corruption. `other` is not listed.
fn in_annex_d(o: Offence) -> bool {
    o != Offence::Other
}

const E_EVIDENCE_MEASURES: &[(Measure, u32)] = &[
    (Measure::SubscriberData, 35),
    (Measure::ContentData, 20),
    (Measure::ElectronicEvidence, 20),
    (Measure::TrafficData, 15),
    (Measure::DataPreservation, 10),
];

/// A request's measures: identification of the victims in a child case,
/// data held by providers in most online cases, and one more of any kind.
fn draw_measures(rng: &mut StdRng, offences: &[Offence], child_case: bool) -> Vec<Measure> {
    let mut measures = Vec::new();
    if child_case {
        measures.push(Measure::IdentifyVictims);
    }
    let online = child_case
        || offences
            .iter()
            .any(|o| matches!(o, Offence::Cybercrime | Offence::Fraud));
    if online && rng.random_bool(0.6) {
        measures.push(*pick(rng, E_EVIDENCE_MEASURES));
    }
    let other = any(rng, Measure::ALL);
    if !measures.contains(&other) {
        measures.push(other);
    }
    measures
}

/// A preservation of the data `record` asks for, at a fictitious provider
/// of its country, asked for a few days before the request left: renewed
/// once, now and then, when the request was still open a week before it
/// expired; released, mostly, once the request was closed (executed,
/// refused, withdrawn or given up; the others are left to expire). Its
/// rows, and its events in the request's history (pushed onto `events`),
/// are those the service writes.
fn preserve(
    rng: &mut StdRng,
    present: Today,
    actor: Uuid,
    record: &MlaRequest,
    events: &mut Vec<Pending>,
) -> (PreservationRow, Vec<RenewalRow>) {
    let closed_on = record.lifecycle.closed_at;
    let today = present.date;
    let country = record.fields.target_country;
    let sent_at = record.lifecycle.sent_at.expect("a sent request") - days(rng, 4.0);
    let legal_basis = if country.as_str() == "US" {
        PreservationBasis::Us2703f
    } else if sent_at >= E_EVIDENCE_APPLIES
        && instruments::refusal(LegalBasis::EEvidenceRegulation, country).is_none()
        && rng.random_bool(0.3)
    {
        PreservationBasis::EEvidence
    } else {
        PreservationBasis::Budapest29
    };
    let body = NewPreservation {
        request_id: Some(record.id),
        case_id: None,
        holder: format!("Fictitious Provider {}", rng.random_range(1..=PROVIDERS)),
        country,
        legal_basis,
        sent_at,
        expires_on: None,
        note: None,
    };
    let checked = body.check(present).expect("a valid preservation");
    // Recorded with the request, just after it.
    let at = record.created_at.naive_utc() + Duration::minutes(2);
    let mut p = Preservation {
        id: crate::db::new_id(),
        request_id: Some(record.id),
        case_id: None,
        holder: body.holder,
        country,
        legal_basis,
        sent_at,
        expires_on: checked.expires_on,
        released_on: None,
        version: 1,
        created_by: actor,
        created_at: at.and_utc(),
        updated_at: at.and_utc(),
    };
    let push = |events: &mut Vec<Pending>, kind, date, changes: &Changes, at| {
        events.push(Pending {
            recorded_at: at,
            row: EventRow::new(
                &NewEvent {
                    request_id: record.id,
                    kind,
                    actor_id: actor,
                    effective_date: date,
                    from_status: None,
                    to_status: None,
                    changes,
                    note: None,
                },
                0,
                at,
            ),
        });
    };
    push(
        events,
        EventKind::PreservationRecorded,
        p.sent_at,
        &recorded_changes(&p),
        at,
    );
    let mut renewals = Vec::new();
    let mut last = (p.sent_at, at);
    let due = p.expires_on - Duration::days(7);
    if due <= today && closed_on.is_none_or(|on| on > due) && rng.random_bool(0.3) {
        let renewal = Renewal {
            effective_date: (p.expires_on - Duration::days(rng.random_range(1..=7))).min(today),
            expires_on: p.expires_on + Duration::days(renewal_days(legal_basis)),
            note: None,
        };
        let term = renew(p.term(), &renewal, present).expect("a valid renewal");
        let recorded_at = at_some_hour(rng, renewal.effective_date).max(at + Duration::minutes(1));
        let done = RenewalRecord {
            effective_date: renewal.effective_date,
            previous_expires_on: p.expires_on,
            expires_on: term.expires_on,
            recorded_by: actor,
            recorded_at: recorded_at.and_utc(),
        };
        renewals.push(RenewalRow::from_record(p.id, 1, &done));
        let changes = term_changes(
            p.id,
            "expires_on",
            json!(p.expires_on),
            json!(term.expires_on),
        );
        push(
            events,
            EventKind::PreservationRenewed,
            renewal.effective_date,
            &changes,
            recorded_at,
        );
        p.expires_on = term.expires_on;
        p.version += 1;
        p.updated_at = recorded_at.and_utc();
        last = (renewal.effective_date, recorded_at);
    }
    if let Some(done) = closed_on
        && rng.random_bool(0.85)
    {
        let on = (done + Duration::days(rng.random_range(0..=30)))
            .min(today)
            .max(last.0);
        let term = release(
            p.term(),
            &Release {
                effective_date: Some(on),
                note: None,
            },
            present,
        )
        .expect("a valid release");
        let recorded_at = at_some_hour(rng, on).max(last.1 + Duration::minutes(1));
        let changes = term_changes(p.id, "released_on", json!(null), json!(on));
        push(
            events,
            EventKind::PreservationReleased,
            on,
            &changes,
            recorded_at,
        );
        p.released_on = term.released_on;
        p.version += 1;
        p.updated_at = recorded_at.and_utc();
    }
    (PreservationRow::from_record(&p), renewals)
}

/// How much longer a renewal keeps the data: 90 days more under
/// 18 U.S.C. § 2703(f)(2); 60 more under the Budapest Convention (art. 29(7)
/// sets at least 60 days; the seed renews for as long); 30 more for a
/// European Preservation Order (Regulation (EU) 2023/1543 art. 11(1)).
fn renewal_days(basis: PreservationBasis) -> i64 {
    match basis {
        PreservationBasis::Us2703f => 90,
        PreservationBasis::EEvidence => 30,
        _ => 60,
    }
}

/// What became of each measure of a request executed (`fully`) or
/// partially executed.
fn outcomes(
    rng: &mut StdRng,
    measures: &[Measure],
    fully: bool,
) -> BTreeMap<Measure, Option<MeasureOutcome>> {
    let held_or_not = |m: &Measure| is_e_evidence(*m) || *m == Measure::BankRecords;
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

/// One step of a simulated life: a transition or a milestone.
enum Step {
    Move(TransitionCommand),
    Mark(MilestoneCommand),
}

/// The steps of a request's life, in order, none before the one before it
/// nor after today: each `push` gives `None` once past today, so that a
/// life written with `?` stops there.
struct Plan {
    sent: NaiveDate,
    today: NaiveDate,
    last: NaiveDate,
    steps: Vec<Step>,
}

impl Plan {
    fn new(sent: NaiveDate, today: NaiveDate) -> Plan {
        Plan {
            sent,
            today,
            last: sent,
            steps: Vec::new(),
        }
    }

    /// The date a step planned for `date` happens, if by today.
    fn on(&mut self, date: NaiveDate) -> Option<NaiveDate> {
        let date = date.max(self.last);
        (date <= self.today).then(|| {
            self.last = date;
            date
        })
    }

    fn transition(&mut self, mut cmd: TransitionCommand) -> Option<()> {
        cmd.effective_date = self.on(cmd.effective_date)?;
        self.steps.push(Step::Move(cmd));
        Some(())
    }

    fn move_to(&mut self, to: Status, date: NaiveDate) -> Option<()> {
        self.transition(step(to, date))
    }

    fn milestone(&mut self, kind: MilestoneKind, date: NaiveDate) -> Option<()> {
        let date = self.on(date)?;
        self.steps.push(Step::Mark(MilestoneCommand {
            kind,
            effective_date: date,
            extended_to: None,
            reason: None,
            note: None,
        }));
        Some(())
    }

    fn extension(&mut self, date: NaiveDate, to: NaiveDate, reason: &str) -> Option<()> {
        let date = self.on(date)?;
        self.steps.push(Step::Mark(MilestoneCommand {
            kind: MilestoneKind::DeadlineExtended,
            effective_date: date,
            extended_to: Some(to.max(date + Duration::days(1))),
            reason: Some(reason.to_string()),
            note: None,
        }));
        Some(())
    }

    fn refuse(&mut self, date: NaiveDate, ground: RefusalGround) -> Option<()> {
        let mut cmd = step(Status::Refused, date);
        cmd.refusal_ground = Some(ground);
        if ground == RefusalGround::Other {
            cmd.note = Some("Fictitious: ground stated in a letter".into());
        }
        self.transition(cmd)
    }

    fn abandon(&mut self, date: NaiveDate, reason: AbandonmentReason) -> Option<()> {
        let mut cmd = step(Status::Abandoned, date);
        cmd.abandonment_reason = Some(reason);
        if reason == AbandonmentReason::Other {
            cmd.note = Some("Fictitious: the case was merged into another".into());
        }
        self.transition(cmd)
    }

    /// Nothing more comes: after a long wait most are given up, for want
    /// of an answer mostly; the others stay open.
    fn silence(&mut self, rng: &mut StdRng) -> Option<()> {
        let give_up = self.sent + Duration::days(rng.random_range(300..=900));
        if rng.random_bool(0.8) {
            let reason = if rng.random_bool(0.85) {
                AbandonmentReason::NoResponse
            } else {
                any(
                    rng,
                    &[
                        AbandonmentReason::RequestedStateUnreachable,
                        AbandonmentReason::EvidenceObtainedOtherwise,
                        AbandonmentReason::NoLongerNeeded,
                        AbandonmentReason::LimitationPeriodExpired,
                        AbandonmentReason::Other,
                    ],
                )
            };
            self.abandon(give_up, reason)?;
        }
        Some(())
    }

    /// Executed on `date`, now and then only in part, the rest following
    /// `rest_days` or so later (or given up); or, rarely, given up while
    /// in execution for a reason of ours.
    fn execute(
        &mut self,
        rng: &mut StdRng,
        life: &Life,
        date: NaiveDate,
        rest_days: f64,
    ) -> Option<()> {
        if rng.random_bool(0.03) {
            let reason = any(
                rng,
                &[
                    AbandonmentReason::CaseClosed,
                    AbandonmentReason::EvidenceObtainedOtherwise,
                    AbandonmentReason::NoLongerNeeded,
                    AbandonmentReason::SuspectDeceased,
                    AbandonmentReason::ProceedingsTransferred,
                    AbandonmentReason::TriedWithoutEvidence,
                    AbandonmentReason::Other,
                ],
            );
            return self.abandon(date, reason);
        }
        let partly = rng.random_bool(0.15);
        let mut done = step(
            if partly {
                Status::PartiallyExecuted
            } else {
                Status::Executed
            },
            date,
        );
        done.measure_outcomes = Some(outcomes(rng, life.measures, !partly));
        self.transition(done)?;
        if partly && rng.random_bool(0.8) {
            let rest = date + days(rng, rest_days);
            if rng.random_bool(0.25) {
                self.abandon(rest, AbandonmentReason::NoResponse)?;
            } else {
                let mut last = step(Status::Executed, rest);
                last.measure_outcomes = Some(outcomes(rng, life.measures, true));
                self.transition(last)?;
            }
        }
        Some(())
    }
}

/// What a request's life depends on.
struct Life<'a> {
    behaviour: Behaviour,
    /// The behaviour's pace, quicker for an urgent request or an emergency.
    pace: f64,
    basis: LegalBasis,
    country: CountryCode,
    offences: &'a [Offence],
    measures: &'a [Measure],
}

fn step(to: Status, date: NaiveDate) -> TransitionCommand {
    TransitionCommand {
        to,
        effective_date: date,
        note: None,
        abandonment_reason: None,
        refusal_ground: None,
        measure_outcomes: None,
        sent_time: None,
    }
}

fn after(date: NaiveDate, days: i64) -> NaiveDate {
    date + Duration::days(days)
}

/// An EIO's life (Directive 2014/41/EU): receipt acknowledged with Annex B
/// within a week (art. 16(1)); the recognition decision within 30 days of
/// receipt (art. 12(3)), or a refusal on a ground of art. 11; the measure
/// carried out within 90 days of the decision (art. 12(4)), unless the
/// executing authority extends the deadline with a reason (art. 12(6)) or
/// postpones (art. 15); now and then more information asked for first.
fn eio_life(rng: &mut StdRng, plan: &mut Plan, life: &Life) -> Option<()> {
    let b = life.behaviour;
    let sent = plan.sent;
    let acknowledged = rng.random_bool(EIO_ACKNOWLEDGED);
    let within_a_week = rng.random_bool((1.0 - 0.15 * life.pace).clamp(0.6, 0.95));
    let ack = after(
        sent,
        if within_a_week {
            rng.random_range(0..=7)
        } else {
            rng.random_range(8..=30)
        },
    );
    // Annex B gives the date of receipt; without it, the transmission
    // proof sometimes does.
    let received = if acknowledged {
        ack - Duration::days(rng.random_range(0..=(ack - sent).num_days().min(3)))
    } else {
        after(sent, rng.random_range(0..=4))
    };
    if acknowledged && ack > plan.today {
        // Annex B is still on its way: the receipt is not known yet.
        return None;
    }
    if acknowledged || rng.random_bool(0.5) {
        plan.milestone(MilestoneKind::Received, received)?;
    }
    if acknowledged {
        plan.move_to(Status::Acknowledged, ack)?;
    }
    if !rng.random_bool(b.answers) {
        return plan.silence(rng);
    }
    let mut base = received;
    if rng.random_bool(0.08) {
        // The form is incomplete: they ask, we answer (art. 16(2)(a)).
        let asked = after(base, rng.random_range(5..=25));
        plan.move_to(Status::AdditionalInfoRequested, asked)?;
        base = after(asked, rng.random_range(5..=30));
        plan.move_to(Status::InformationSupplied, base)?;
    }
    let decided = after(
        base,
        if rng.random_bool(0.88) {
            rng.random_range(3..=30)
        } else {
            rng.random_range(31..=60)
        },
    );
    if rng.random_bool(b.refuses) {
        return plan.refuse(decided, eio_refusal(rng, life));
    }
    plan.milestone(MilestoneKind::Recognised, decided)?;
    let mut start = decided;
    let mut deadline = after(decided, 90);
    let roll: f64 = rng.random();
    if roll < 0.05 {
        // Postponed: it would prejudice an investigation there (art. 15(1)(a)).
        let on = after(decided, rng.random_range(0..=10));
        let mut cmd = step(Status::Postponed, on);
        cmd.note = Some("Fictitious: postponed for an investigation there (art. 15)".into());
        plan.transition(cmd)?;
        start = after(on, rng.random_range(30..=150));
        deadline = after(start, 60);
        plan.move_to(Status::InExecution, start)?;
    } else {
        if roll < 0.17 {
            let on = after(decided, rng.random_range(45..=85));
            deadline = after(deadline, rng.random_range(30..=90));
            plan.extension(on, deadline, any(rng, EXTENSION_REASONS))?;
        }
        if rng.random_bool(0.6) {
            plan.move_to(
                Status::InExecution,
                after(decided, rng.random_range(1..=10)),
            )?;
        }
    }
    // Mostly within the deadline; one in ten late.
    let room = (deadline - start).num_days().max(10);
    let done = if rng.random_bool(0.9) {
        after(
            start,
            (rng.random_range(10..=room) as f64 * life.pace.min(1.0)).round() as i64,
        )
    } else {
        after(deadline, rng.random_range(1..=90))
    };
    plan.execute(rng, life, done, 60.0 * life.pace)
}

/// Why an executing state extended an EIO's deadline (fictitious wording).
const EXTENSION_REASONS: &[&str] = &[
    "Fictitious: the witness is abroad until next month",
    "Fictitious: the provider needs more time to extract the data",
    "Fictitious: a forensic examination of the devices is pending",
    "Fictitious: translation of the seized documents",
];

/// A traditional MLA request's life: an acknowledgement, slower and not
/// always sent; a first substantive answer some ten months on (the
/// Commission's average), sooner or later with the country; more
/// information asked for now and then, or a postponement; then execution.
fn mla_life(rng: &mut StdRng, plan: &mut Plan, life: &Life) -> Option<()> {
    let b = life.behaviour;
    let sent = plan.sent;
    let mut answered_after = sent;
    if rng.random_bool(b.acknowledges) {
        let ack = sent + days(rng, MLA_ACKNOWLEDGEMENT_DAYS * life.pace);
        let receipt = rng
            .random_bool(0.4)
            .then(|| ack - Duration::days(rng.random_range(0..=(ack - sent).num_days().min(10))));
        if ack > plan.today {
            // The acknowledgement, which gives the receipt, is not here yet.
            return None;
        }
        if let Some(received) = receipt {
            plan.milestone(MilestoneKind::Received, received)?;
        }
        plan.move_to(Status::Acknowledged, ack)?;
        answered_after = ack + Duration::days(1);
    }
    if !rng.random_bool(b.answers) {
        return plan.silence(rng);
    }
    // Gamma-distributed (shape 2): few answers in the first weeks, a long tail.
    let mean = MLA_FIRST_ANSWER_DAYS * life.pace;
    let first = (sent + days(rng, mean / 2.0) + days(rng, mean / 2.0)).max(answered_after);
    let roll: f64 = rng.random();
    let mut executing = first;
    if roll < b.refuses {
        return plan.refuse(first, mla_refusal(rng, life));
    } else if roll < b.refuses + 0.15 {
        plan.move_to(Status::AdditionalInfoRequested, first)?;
        let supplied = after(first, rng.random_range(15..=60));
        plan.move_to(Status::InformationSupplied, supplied)?;
        if rng.random_bool(0.1) {
            return plan.refuse(
                supplied + days(rng, 60.0 * life.pace),
                mla_refusal(rng, life),
            );
        }
        executing = supplied + days(rng, 90.0 * life.pace);
        plan.move_to(Status::InExecution, executing)?;
    } else if roll < b.refuses + 0.19 {
        let mut cmd = step(Status::Postponed, first);
        cmd.note = Some("Fictitious: postponed for proceedings there".into());
        plan.transition(cmd)?;
        executing = after(first, rng.random_range(60..=240));
        plan.move_to(Status::InExecution, executing)?;
    } else if rng.random_bool(0.7) {
        plan.move_to(Status::InExecution, first)?;
    } else {
        // Executed at once: the answer is the evidence.
        return plan.execute(rng, life, first, 100.0 * life.pace);
    }
    let done = executing + days(rng, 100.0 * life.pace);
    plan.execute(rng, life, done, 100.0 * life.pace)
}

/// A ground of art. 11(1) of Directive 2014/41/EU, and of those only: no
/// double-criminality refusal for an offence of Annex D (art. 11(1)(g)), no
/// refusal for a fiscal offence (art. 11(3)).
fn eio_refusal(rng: &mut StdRng, life: &Life) -> RefusalGround {
    // A request for several offences, one of them listed, is not refused
    // on this ground either: the seed refuses a request whole.
    let dual_criminality = !life.offences.iter().any(|o| in_annex_d(*o));
    let grounds: Vec<(RefusalGround, u32)> = [
        (RefusalGround::ImmunityOrPrivilege, 2),    // art. 11(1)(a)
        (RefusalGround::SovereigntyPublicOrder, 2), // art. 11(1)(b)
        (RefusalGround::NeBisInIdem, 5),            // art. 11(1)(d)
        (RefusalGround::Territoriality, 4),         // art. 11(1)(e)
        (RefusalGround::FundamentalRights, 4),      // art. 11(1)(f)
        (RefusalGround::DualCriminality, 6),        // art. 11(1)(g)
        (RefusalGround::MeasureUnavailableDomestically, 8), // art. 11(1)(h), 10(5)
        (RefusalGround::Other, 2),
    ]
    .into_iter()
    .filter(|(g, _)| *g != RefusalGround::DualCriminality || dual_criminality)
    .collect();
    *pick(rng, &grounds)
}

/// A ground a traditional MLA request meets, as far as its instrument,
/// offences and measures allow: no legal basis only without a treaty (on
/// reciprocity), bank secrecy only for bank records, data protection only
/// for data, a fiscal offence only for fraud or laundering, the death
/// penalty only for offences that can carry it and outside the Council of
/// Europe's conventions.
fn mla_refusal(rng: &mut StdRng, life: &Life) -> RefusalGround {
    use RefusalGround as G;
    let offence = |list: &[Offence]| life.offences.iter().any(|o| list.contains(o));
    let measure = |pred: &dyn Fn(Measure) -> bool| life.measures.iter().any(|m| pred(*m));
    let grounds: Vec<(RefusalGround, u32)> = [
        (G::InsufficientInformation, 20),
        (G::FormDefectOrLanguage, 8),
        (G::NoLegalBasisOrReciprocity, 6),
        (G::DualCriminality, 6),
        (G::MeasureUnavailableDomestically, 8),
        (G::EvidentiaryThresholdNotMet, 8),
        (G::Territoriality, 3),
        (G::SovereigntyPublicOrder, 3),
        (G::PoliticalOffence, 1),
        (G::FiscalOffence, 3),
        (G::NeBisInIdem, 3),
        (G::DeathPenalty, 3),
        (G::ImmunityOrPrivilege, 1),
        (G::FundamentalRights, 3),
        (G::DataProtection, 4),
        (G::DeMinimis, 4),
        (G::BankSecrecyInvoked, 4),
        (G::Other, 4),
    ]
    .into_iter()
    .filter(|(g, _)| match g {
        G::NoLegalBasisOrReciprocity => life.basis == LegalBasis::Reciprocity,
        G::PoliticalOffence => offence(&[Offence::Terrorism, Offence::Corruption]),
        G::FiscalOffence => offence(&[Offence::Fraud, Offence::MoneyLaundering]),
        G::DeathPenalty => {
            life.basis != LegalBasis::Ecmla1959
                && offence(&[
                    Offence::Homicide,
                    Offence::DrugTrafficking,
                    Offence::Terrorism,
                ])
        }
        G::DataProtection => measure(&is_e_evidence),
        G::BankSecrecyInvoked => measure(&|m| m == Measure::BankRecords),
        // Not a European answer: US practice (probable cause, de minimis).
        G::EvidentiaryThresholdNotMet | G::DeMinimis => life.country.as_str() == "US",
        _ => true,
    })
    .collect();
    *pick(rng, &grounds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::preservations::PreservationRow;
    use crate::db::schema::{
        cases, preservation_renewals, preservations, request_events, requests,
    };
    use std::collections::{HashMap, HashSet};

    /// After the European Preservation Order applies, so that some are drawn.
    fn present() -> Today {
        Today::at(
            "2026-12-06T10:00:00Z".parse().unwrap(),
            chrono_tz::Europe::Paris,
        )
    }

    fn median(mut values: Vec<i64>) -> i64 {
        assert!(!values.is_empty());
        values.sort_unstable();
        values[values.len() / 2]
    }

    fn share(part: usize, whole: usize) -> f64 {
        assert!(whole > 0);
        part as f64 / whole as f64
    }

    /// A seeded portfolio in memory: the requests, each request's event
    /// kinds and statuses entered, the preservations, the renewed ones, and
    /// the cases with victims.
    struct Seeded {
        requests: Vec<MlaRequest>,
        entered: HashMap<Uuid, HashSet<String>>,
        milestones: Vec<String>,
        preservations: Vec<PreservationRow>,
        renewed: HashSet<String>,
        cases_with_victims: HashSet<Uuid>,
    }

    fn seeded(count: u64) -> Seeded {
        let mut conn = DbConnection::Sqlite(
            diesel::SqliteConnection::establish(":memory:").expect("an in-memory database"),
        );
        crate::db::migrate::run_migrations(&mut conn).expect("migrations");
        run(&mut conn, count, 42, present()).expect("seed");
        let report = crate::audit::verify(&mut conn, 500, |_| {}).expect("audit");
        assert!(report.intact(), "{report:?}");
        let requests = requests::table
            .select(RequestRow::as_select())
            .load::<RequestRow>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|row| row.into_record().unwrap())
            .collect();
        let mut entered: HashMap<Uuid, HashSet<String>> = HashMap::new();
        let mut milestones = Vec::new();
        let rows: Vec<(String, String, Option<String>, String)> = request_events::table
            .select((
                request_events::request_id,
                request_events::kind,
                request_events::to_status,
                request_events::changes,
            ))
            .load(&mut conn)
            .unwrap();
        for (id, kind, to, changes) in rows {
            let set = entered.entry(id.parse().unwrap()).or_default();
            if let Some(to) = to {
                set.insert(to);
            }
            if kind == "milestone" {
                milestones.push(changes);
            }
            set.insert(kind);
        }
        let preservations = preservations::table
            .select(PreservationRow::as_select())
            .load(&mut conn)
            .unwrap();
        let renewed = preservation_renewals::table
            .select(preservation_renewals::preservation_id)
            .load::<String>(&mut conn)
            .unwrap()
            .into_iter()
            .collect();
        let cases_with_victims = cases::table
            .filter(cases::victims_identified.is_not_null())
            .select(cases::id)
            .load::<String>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|id| id.parse().unwrap())
            .collect();
        Seeded {
            requests,
            entered,
            milestones,
            preservations,
            renewed,
            cases_with_victims,
        }
    }

    fn is_eio(r: &MlaRequest) -> bool {
        r.fields.legal_basis == Some(LegalBasis::EioDirective)
    }

    /// The portfolio follows the instruments (docs/DOMAIN.md §11): an
    /// EIO is acknowledged within a week and answered within about 120
    /// days; a traditional request, in some ten months; silent states
    /// acknowledge and say nothing more; refusal grounds fit the
    /// instrument and the offence; victims, preservations and emergencies
    /// only where they belong. Audit verify finds every chain intact.
    #[test]
    fn the_portfolio_follows_the_instruments() {
        let s = seeded(6000);
        let today = present().date;
        let sent: Vec<&MlaRequest> = s
            .requests
            .iter()
            .filter(|r| r.lifecycle.sent_at.is_some())
            .collect();
        // Old enough that the answers have come.
        let old = |r: &&&MlaRequest| r.lifecycle.sent_at.unwrap() < today - Duration::days(3 * 365);
        let days_to = |r: &MlaRequest, at: Option<NaiveDate>| {
            at.map(|d| (d - r.lifecycle.sent_at.unwrap()).num_days())
        };
        let first_answer = |eio: bool| {
            median(
                sent.iter()
                    .filter(old)
                    .filter(|r| is_eio(r) == eio)
                    .filter_map(|r| days_to(r, r.lifecycle.first_response_at))
                    .collect(),
            )
        };
        let (eio, mla) = (first_answer(true), first_answer(false));
        let answered: Vec<i64> = sent
            .iter()
            .filter(old)
            .filter(|r| !is_eio(r))
            .filter_map(|r| days_to(r, r.lifecycle.first_response_at))
            .collect();
        eprintln!(
            "days to the first answer: EIO median {eio}; traditional median {mla}, mean {}",
            answered.iter().sum::<i64>() / answered.len() as i64
        );
        assert!(eio <= 120, "EIO: median {eio} days to the first answer");
        assert!(
            (200..=400).contains(&mla),
            "traditional MLA: median {mla} days to the first answer"
        );
        let acks = |eio: bool| -> Vec<i64> {
            sent.iter()
                .filter(|r| is_eio(r) == eio)
                .filter_map(|r| days_to(r, r.lifecycle.acknowledged_at))
                .collect()
        };
        let (eio_acks, mla_acks) = (acks(true), acks(false));
        let within_a_week = eio_acks.iter().filter(|d| **d <= 7).count();
        assert!(
            share(within_a_week, eio_acks.len()) > 0.75,
            "EIO acknowledged within a week: {within_a_week} of {}",
            eio_acks.len()
        );
        let eio_sent = sent.iter().filter(|r| is_eio(r)).count();
        assert!(
            share(mla_acks.len(), sent.len() - eio_sent) < share(eio_acks.len(), eio_sent),
            "traditional requests are acknowledged less often"
        );
        assert!(median(mla_acks) > 7, "and later");

        // Silent states: an acknowledgement, then nothing; most given up.
        let silent: Vec<&&MlaRequest> = sent
            .iter()
            .filter(old)
            .filter(|r| {
                let code = r.fields.target_country.as_str();
                COUNTRIES
                    .iter()
                    .any(|c| c.code == code && c.behaviour.answers < 0.5)
            })
            .collect();
        let silent_acknowledged = silent
            .iter()
            .filter(|r| r.lifecycle.acknowledged_at.is_some())
            .count();
        let unanswered = silent
            .iter()
            .filter(|r| r.lifecycle.first_response_at.is_none())
            .count();
        let given_up = silent
            .iter()
            .filter(|r| r.lifecycle.abandonment_reason == Some(AbandonmentReason::NoResponse))
            .count();
        eprintln!(
            "EIO acknowledged within a week: {within_a_week} of {}; silent states: {} sent, \
             {silent_acknowledged} acknowledged, {unanswered} unanswered, {given_up} given up",
            eio_acks.len(),
            silent.len()
        );
        assert!(share(silent_acknowledged, silent.len()) > 0.5);
        assert!(share(unanswered, silent.len()) > 0.7);
        assert!(
            share(given_up, silent.len()) > 0.4,
            "{given_up} of {}",
            silent.len()
        );
        assert!(given_up < unanswered, "some stay open");

        // Refusal grounds fit the instrument and the offence.
        let mut refused = (0, 0);
        for r in &sent {
            let Some(ground) = r.lifecycle.refusal_ground else {
                continue;
            };
            let child = r.fields.offences.iter().any(|o| is_child_offence(*o));
            if is_eio(r) {
                refused.0 += 1;
                let listed = r.fields.offences.iter().any(|o| in_annex_d(*o));
                assert!(
                    !((child || listed) && ground == RefusalGround::DualCriminality),
                    "{}: an EIO for a listed offence refused for double criminality",
                    r.reference
                );
                assert!(
                    !matches!(
                        ground,
                        RefusalGround::NoLegalBasisOrReciprocity
                            | RefusalGround::FiscalOffence
                            | RefusalGround::DeathPenalty
                            | RefusalGround::BankSecrecyInvoked
                            | RefusalGround::InsufficientInformation
                    ),
                    "{}: {ground} is no ground of art. 11",
                    r.reference
                );
            } else {
                refused.1 += 1;
            }
            if ground == RefusalGround::NoLegalBasisOrReciprocity {
                assert_eq!(r.fields.legal_basis, Some(LegalBasis::Reciprocity));
            }
        }
        assert!(refused.0 > 0 && refused.1 > 0, "{refused:?}");

        // Victims only in cases that asked to identify them.
        let asking: HashSet<Uuid> = s
            .requests
            .iter()
            .filter(|r| r.fields.measures.contains(&Measure::IdentifyVictims))
            .map(|r| r.case_id)
            .collect();
        assert!(!s.cases_with_victims.is_empty());
        assert!(s.cases_with_victims.is_subset(&asking));

        // Preservations only on electronic-evidence requests, most of them.
        let by_id: HashMap<String, &MlaRequest> =
            s.requests.iter().map(|r| (r.id.to_string(), r)).collect();
        let e_evidence = sent
            .iter()
            .filter(|r| r.fields.measures.iter().any(|m| is_e_evidence(*m)))
            .count();
        assert!(share(s.preservations.len(), e_evidence) > 0.5);
        let mut bases = HashSet::new();
        for p in &s.preservations {
            let r = by_id[p.request_id.as_deref().expect("a request's")];
            assert!(r.fields.measures.iter().any(|m| is_e_evidence(*m)));
            assert_eq!(p.country, r.fields.target_country.as_str());
            assert!(p.sent_at <= r.lifecycle.sent_at.unwrap());
            match p.legal_basis.as_str() {
                "us_2703f" => assert_eq!(p.country, "US"),
                "e_evidence_preservation_order" => {
                    assert!(p.sent_at >= E_EVIDENCE_APPLIES);
                    assert!(
                        crate::domain::instruments::eu_member_state(r.fields.target_country)
                            .is_some()
                    );
                }
                other => assert_eq!(other, "budapest_art29"),
            }
            if let Some(on) = p.released_on {
                assert!(on >= r.lifecycle.closed_at.expect("released once closed"));
            }
            bases.insert(p.legal_basis.clone());
        }
        assert_eq!(bases.len(), 3, "{bases:?}");
        assert!(!s.renewed.is_empty());
        assert!(s.preservations.iter().any(|p| p.released_on.is_some()));

        // A few emergencies, in child cases, sent at a known instant.
        let emergencies: Vec<&&MlaRequest> = sent
            .iter()
            .filter(|r| r.fields.priority == Priority::Emergency)
            .collect();
        let rate = share(emergencies.len(), s.requests.len());
        eprintln!(
            "{} preservations ({} renewed) for {e_evidence} e-evidence requests; {} emergencies; \
             refused {refused:?} (EIO, traditional)",
            s.preservations.len(),
            s.renewed.len(),
            emergencies.len()
        );
        assert!((0.005..=0.05).contains(&rate), "emergencies: {rate}");
        for r in emergencies {
            assert!(r.fields.offences.iter().any(|o| is_child_offence(*o)));
            let at = r.lifecycle.sent_time.expect("an emergency's sent_time");
            assert_eq!(present().date_of(at), r.lifecycle.sent_at.unwrap());
        }

        // The statuses and milestones the instruments name are all used.
        for status in [
            "information_supplied",
            "postponed",
            "additional_info_requested",
        ] {
            let n = s.entered.values().filter(|e| e.contains(status)).count();
            assert!(n > 0, "nobody entered {status}");
        }
        for field in ["received_at", "recognised_at", "deadline_extended_to"] {
            assert!(
                s.milestones.iter().any(|c| c.contains(field)),
                "no milestone sets {field}"
            );
        }
        let preserved_events = s
            .entered
            .values()
            .filter(|e| e.contains("preservation_recorded"))
            .count();
        assert_eq!(preserved_events, s.preservations.len());
    }

    /// Every simulated step passes the rules, and the same seed and day
    /// give the same portfolio (up to the random ids).
    #[test]
    fn every_step_passes_and_the_same_seed_gives_the_same_lives() {
        let simulate = || {
            let mut rng = StdRng::seed_from_u64(7);
            let mut counters = ReferenceCounters(BTreeMap::new());
            let mut batch = Batch::default();
            while batch.requests.len() < 3000 {
                let mut case_rng = StdRng::seed_from_u64(rng.random());
                simulate_case(
                    &mut case_rng,
                    present(),
                    Uuid::nil(),
                    &mut counters,
                    3000,
                    &mut batch,
                );
            }
            batch
        };
        let (a, b) = (simulate(), simulate());
        assert_eq!(a.rejected, 0);
        let lives = |batch: &Batch| -> Vec<_> {
            batch
                .requests
                .iter()
                .map(|r| {
                    (
                        r.reference.clone(),
                        r.status.clone(),
                        r.status_since,
                        r.sent_time,
                    )
                })
                .collect()
        };
        assert_eq!(lives(&a), lives(&b));
        assert_eq!(a.events.len(), b.events.len());
        assert_eq!(a.preservations.len(), b.preservations.len());
    }

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
