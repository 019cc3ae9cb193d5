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

use crate::db::events::{EventKind, EventRow, NewEvent};
use crate::db::requests::{RequestRow, creation_changes};
use crate::db::schema::{reference_counters, request_events, requests};
use crate::db::{DbConnection, users};
use crate::domain::Today;
use crate::domain::request::{
    Lifecycle, Magistrate, MlaRequest, RequestFields, generated_reference,
};
use crate::domain::transition::{TransitionCommand, apply_transition};
use crate::domain::{
    AbandonmentReason, Channel, CountryCode, LegalBasis, Measure, Offence, Priority, RefusalGround,
    Role, Status,
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

/// Countries, their behaviour, the usual legal basis and channel, and a weight.
const COUNTRIES: &[(&str, Behaviour, LegalBasis, Channel, u32)] = &[
    (
        "DE",
        PROMPT,
        LegalBasis::EioDirective,
        Channel::DirectJudicial,
        8,
    ),
    (
        "BE",
        PROMPT,
        LegalBasis::EioDirective,
        Channel::DirectJudicial,
        7,
    ),
    (
        "ES",
        PROMPT,
        LegalBasis::EioDirective,
        Channel::DirectJudicial,
        7,
    ),
    (
        "IT",
        MODERATE,
        LegalBasis::EioDirective,
        Channel::DirectJudicial,
        6,
    ),
    ("NL", PROMPT, LegalBasis::EioDirective, Channel::Eurojust, 5),
    (
        "PT",
        PROMPT,
        LegalBasis::EioDirective,
        Channel::DirectJudicial,
        4,
    ),
    (
        "PL",
        MODERATE,
        LegalBasis::EioDirective,
        Channel::DirectJudicial,
        4,
    ),
    ("RO", MODERATE, LegalBasis::EioDirective, Channel::Ejn, 4),
    (
        "IE",
        MODERATE,
        LegalBasis::EuMlaConvention2000,
        Channel::CentralAuthority,
        2,
    ),
    (
        "LU",
        PROMPT,
        LegalBasis::EioDirective,
        Channel::DirectJudicial,
        2,
    ),
    (
        "CH",
        PROMPT,
        LegalBasis::Ecmla1959,
        Channel::CentralAuthority,
        5,
    ),
    (
        "GB",
        MODERATE,
        LegalBasis::Ecmla1959,
        Channel::CentralAuthority,
        5,
    ),
    (
        "NO",
        PROMPT,
        LegalBasis::Ecmla1959,
        Channel::CentralAuthority,
        2,
    ),
    (
        "TR",
        SLOW,
        LegalBasis::Ecmla1959,
        Channel::MinistryOfJustice,
        3,
    ),
    (
        "UA",
        SLOW,
        LegalBasis::Ecmla1959,
        Channel::CentralAuthority,
        2,
    ),
    (
        "RS",
        SLOW,
        LegalBasis::Ecmla1959,
        Channel::MinistryOfJustice,
        1,
    ),
    ("XK", SLOW, LegalBasis::Reciprocity, Channel::Diplomatic, 1),
    (
        "US",
        SLOW,
        LegalBasis::BilateralTreaty,
        Channel::CentralAuthority,
        6,
    ),
    (
        "CA",
        MODERATE,
        LegalBasis::BilateralTreaty,
        Channel::CentralAuthority,
        2,
    ),
    (
        "BR",
        SLOW,
        LegalBasis::BilateralTreaty,
        Channel::CentralAuthority,
        2,
    ),
    ("CO", SILENT, LegalBasis::Untoc, Channel::Diplomatic, 1),
    (
        "MA",
        MODERATE,
        LegalBasis::BilateralTreaty,
        Channel::LiaisonMagistrate,
        4,
    ),
    (
        "TN",
        SLOW,
        LegalBasis::BilateralTreaty,
        Channel::MinistryOfJustice,
        2,
    ),
    (
        "SN",
        SLOW,
        LegalBasis::BilateralTreaty,
        Channel::Diplomatic,
        1,
    ),
    ("NG", SILENT, LegalBasis::Untoc, Channel::Diplomatic, 2),
    ("PH", SILENT, LegalBasis::Untoc, Channel::Diplomatic, 3),
    (
        "KH",
        SILENT,
        LegalBasis::Reciprocity,
        Channel::Diplomatic,
        1,
    ),
    (
        "VN",
        SILENT,
        LegalBasis::Reciprocity,
        Channel::Diplomatic,
        1,
    ),
    ("TH", SLOW, LegalBasis::Untoc, Channel::Interpol, 2),
    (
        "IN",
        SLOW,
        LegalBasis::BilateralTreaty,
        Channel::Diplomatic,
        1,
    ),
    ("ID", SILENT, LegalBasis::Untoc, Channel::Diplomatic, 1),
    (
        "JP",
        MODERATE,
        LegalBasis::Reciprocity,
        Channel::Diplomatic,
        1,
    ),
    (
        "CN",
        SILENT,
        LegalBasis::Reciprocity,
        Channel::Diplomatic,
        1,
    ),
    (
        "AE",
        SLOW,
        LegalBasis::BilateralTreaty,
        Channel::LiaisonMagistrate,
        1,
    ),
    (
        "AU",
        MODERATE,
        LegalBasis::BudapestConvention,
        Channel::CentralAuthority,
        1,
    ),
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

/// Requests per database transaction.
const BATCH: usize = 2000;
/// Rows per INSERT on SQLite, under its 32,766 bound-parameter limit.
const ROWS_PER_INSERT: usize = 500;
/// How far back `sent_at` goes.
const YEARS: i64 = 6;
/// Issuing magistrates and international-cooperation coordinators of the
/// fictitious portfolio: who the alert digests go to.
const MAGISTRATES: u32 = 400;
const COORDINATORS: u32 = 80;

/// Adds `count` requests drawn from `seed`, their lives simulated up to
/// `today`: the same seed and day give the same portfolio.
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
    while done < count {
        let n = (count - done).min(BATCH as u64) as usize;
        let mut request_rows = Vec::with_capacity(n);
        let mut event_rows = Vec::with_capacity(n * 4);
        for _ in 0..n {
            let (request, events) = simulate(&mut rng, today, actor, &mut counters);
            request_rows.push(request);
            event_rows.extend(events);
        }
        total_events += event_rows.len();
        conn.transaction(|conn| {
            insert_requests(conn, &request_rows)?;
            insert_events(conn, &event_rows)?;
            counters.save(conn)
        })?;
        done += n as u64;
        bar.set_position(done);
        if !interactive && (done * 20 / count) != ((done - n as u64) * 20 / count) {
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
            "ANALYZE requests; ANALYZE request_events",
        )?;
    }
    eprintln!(
        "seeded {done} fictitious requests and {total_events} events in {:.1} s",
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

fn insert_requests(conn: &mut DbConnection, rows: &[RequestRow]) -> QueryResult<()> {
    insert_rows!(conn, requests::table, rows, ROWS_PER_INSERT)
}

fn insert_events(conn: &mut DbConnection, rows: &[EventRow]) -> QueryResult<()> {
    insert_rows!(conn, request_events::table, rows, ROWS_PER_INSERT * 2)
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

/// One fictitious request, its life up to `today`, and its events.
fn simulate(
    rng: &mut StdRng,
    today: NaiveDate,
    actor: Uuid,
    counters: &mut ReferenceCounters,
) -> (RequestRow, Vec<EventRow>) {
    let countries: Vec<_> = COUNTRIES.iter().map(|c| (c, c.4)).collect();
    let &&(code, behaviour, legal_basis, channel, _) = pick(rng, &countries);
    let sent_at = today - Duration::days(rng.random_range(1..YEARS * 365));
    let draft = rng.random_bool(0.015);
    let created = if draft {
        today - Duration::days(rng.random_range(0..30))
    } else {
        sent_at
    };
    let number = rng.random_range(1..100_000);
    let offences = {
        let mut list = vec![*pick(rng, OFFENCES)];
        if rng.random_bool(0.3) {
            list.push(*pick(rng, OFFENCES));
        }
        list.dedup();
        list
    };
    let child_case = offences.iter().any(|o| {
        matches!(
            o,
            Offence::ChildSexualExploitation | Offence::ChildSexualAbuseMaterial
        )
    });
    let mut measures = vec![any(rng, Measure::ALL)];
    if child_case {
        measures.insert(0, Measure::IdentifyVictims);
    }
    measures.dedup();
    let fields = RequestFields {
        case_reference: format!("FICT-{}-{number:05}", created.format("%Y")),
        title: format!("Fictitious request {number} (synthetic data)"),
        issuing_magistrate: {
            let n = rng.random_range(1..=MAGISTRATES);
            Magistrate {
                name: format!("Magistrate Example {n}"),
                court: Some(format!("Example Court {}", n % 40 + 1)),
                email: Some(format!("magistrate{n}@fictitious.invalid")),
            }
        },
        target_country: CountryCode::parse(code).expect("seed countries are valid"),
        requested_authority: Some(format!("Central authority of {code} (fictitious)")),
        channel: Some(if rng.random_bool(0.1) {
            any(rng, Channel::ALL)
        } else {
            channel
        }),
        legal_basis: Some(legal_basis),
        legal_basis_detail: None,
        offences,
        measures,
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
        victims_identified: None,
        foreign_reference: None,
        needed_by: rng
            .random_bool(0.1)
            .then(|| created + Duration::days(rng.random_range(30..400))),
        related_request_id: None,
    };
    let created_at = at_some_hour(rng, created);
    let mut record = MlaRequest {
        id: Uuid::new_v4(),
        reference: counters.next(created.format("%Y").to_string().parse().expect("a year")),
        fields,
        lifecycle: Lifecycle::starting(
            if draft { Status::Draft } else { Status::Sent },
            created,
            (!draft).then_some(sent_at),
        ),
        version: 1,
        created_by: actor,
        created_at: created_at.and_utc(),
        updated_at: created_at.and_utc(),
    };
    let mut events = vec![EventRow::new(
        &NewEvent {
            request_id: record.id,
            kind: EventKind::Created,
            actor_id: actor,
            effective_date: created,
            from_status: None,
            to_status: Some(record.lifecycle.status),
            changes: &creation_changes(&record),
            note: None,
        },
        1,
        created_at,
    )];
    if !draft {
        for cmd in life(rng, behaviour, sent_at, today) {
            let Ok(done) = apply_transition(&record, &cmd, Today::on(today)) else {
                break;
            };
            let recorded_on =
                (cmd.effective_date + Duration::days(rng.random_range(0..5))).min(today);
            let recorded_at = at_some_hour(rng, recorded_on);
            events.push(EventRow::new(
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
                events.len() as i32 + 1,
                recorded_at,
            ));
            record.fields = done.fields;
            record.lifecycle = done.lifecycle;
            record.version += 1;
            record.updated_at = recorded_at.and_utc().max(record.created_at);
        }
    }
    crate::db::events::chain(&mut events);
    (RequestRow::from_record(&record), events)
}

/// The transitions a request sent on `sent_at` goes through before `today`.
fn life(
    rng: &mut StdRng,
    b: Behaviour,
    sent_at: NaiveDate,
    today: NaiveDate,
) -> Vec<TransitionCommand> {
    let step = |to: Status, date: NaiveDate| TransitionCommand {
        to,
        effective_date: date,
        note: None,
        abandonment_reason: None,
        refusal_ground: None,
        victims_identified: None,
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
        let victims = Some(if rng.random_bool(0.3) {
            rng.random_range(1..6)
        } else {
            0
        });
        let mut done = step(
            if partly {
                Status::PartiallyExecuted
            } else {
                Status::Executed
            },
            end,
        );
        done.victims_identified = victims;
        steps.push(done);
        // Most partial executions are completed, or given up, later on.
        let rest = end + days(rng, b.execution_days);
        if partly && rest <= today && rng.random_bool(0.8) {
            let mut last = step(Status::Executed, rest);
            last.victims_identified = victims;
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
        for (code, _, basis, _, _) in COUNTRIES {
            let country = CountryCode::parse(code).expect("a valid code");
            assert_eq!(instruments::refusal(*basis, country), None, "{code}");
        }
    }
}
