//! The register as the statistics read it: one compact [`Row`] per request
//! sent, held in memory and kept current from the database's change log
//! (`db::stats::register_changes`), and the tables' raw material counted
//! from it in one walk each.
//!
//! Rescanning the register in SQL for each table cost seconds at 1,000,000
//! requests on two cores (about 3.5 s of CPU for the country table on
//! SQLite, twice that on PostgreSQL): the rows are wide, dates are text or
//! need arithmetic, the vocabularies are JSON arrays matched with `LIKE`.
//! Here a request is 112 bytes of integers and bit sets, so a walk over a
//! million takes tens of milliseconds, identically on both backends.
//!
//! The definitions are the statistics' (docs/DOMAIN.md, "Statistics"), as
//! of the analysis date `as_of`:
//! - population: requests with a `sent_at` in the period asked, on or
//!   before `as_of`, matching every filter (any of the values of each);
//! - a request's status counts if it was reached on or before `as_of`
//!   (`status_since <= as_of`); one reached later counts as still waiting;
//! - answered: `first_response_at <= as_of`; acknowledged: that, or
//!   `acknowledged_at <= as_of`;
//! - the three clocks ([`Waiting`]): see [`Row::observed`];
//! - victims identified: each case's `victims_identified` once, for the
//!   country of one of its requests in the population executed or partially
//!   executed on `as_of` — the first sent of those whose `identify_victims`
//!   measure was executed, else of those that asked for it, else of them
//!   all (ties: the first recorded, then the smallest identifier) — so the
//!   column still adds up to its total;
//! - follow-ups before abandoning (the chasing table): of a request
//!   abandoned on `as_of` with reason `no_response`, its `follow_up` events
//!   whose effective date is on or before its `closed_at`;
//! - cases (the victims table): the distinct cases with at least one
//!   request of the population in the row, those with
//!   `victims_identified > 0` among them, whatever became of the requests.
//!
//! Every count comes with the sum of its requests' record keys: the
//! published view's cells ([`super::cellkey`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::aggregates::{
    Bucket, BucketCounts, BucketDay, CohortCounts, CountryCounts, CountryDay, DayKeys, Population,
    Waiting,
};
use super::chasing::{self, FollowUpCount};
use super::km::DayCount;
use super::regions::Grouping;
use super::victims::CaseCounts;
use crate::domain::{AbandonmentReason, Measure, Status};

/// A date as days from the common era; [`NEVER`] for none, which is after
/// every `as_of`, as SQL's `NULL <= x` is never true.
type Day = i32;

/// No date.
const NEVER: Day = Day::MAX;

/// A set of values of one vocabulary: bit `v as usize` for each value `v`.
type Bits = u32;

// Every vocabulary a filter names fits in [`Bits`].
const _: () = {
    use crate::domain::{Channel, Facilitator, LegalBasis, Offence, Priority};
    let bits = Bits::BITS as usize;
    assert!(Offence::ALL.len() <= bits && Measure::ALL.len() <= bits);
    assert!(Facilitator::ALL.len() <= bits && Priority::ALL.len() <= bits);
    assert!(LegalBasis::ALL.len() <= bits && Channel::ALL.len() <= bits);
};

fn day(date: Option<NaiveDate>) -> Day {
    date.map_or(NEVER, |d| d.num_days_from_ce())
}

/// One request as the statistics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    id: u128,
    case: u128,
    record_key: i64,
    /// Microseconds since the epoch: the tie-break of the victims'
    /// attribution.
    created_at: i64,
    /// Index into [`Register::countries`].
    country: u16,
    sent: Day,
    /// `year * 12 + month - 1` of `sent`: its period, without date
    /// arithmetic per request.
    sent_month: i32,
    status: Status,
    status_since: Day,
    acknowledged: Day,
    first_response: Day,
    closed: Day,
    abandoned_no_response: bool,
    /// 0: its `identify_victims` measure was executed; 1: it asked for it;
    /// 2: neither.
    victims_rank: u8,
    /// Bit `v as usize` for each value `v` (of `Priority`, `LegalBasis`,
    /// `Channel`: the one it has; of `Offence`, `Measure`, `Facilitator`:
    /// each it lists).
    priority: Bits,
    legal_basis: Bits,
    channel: Bits,
    offences: Bits,
    measures: Bits,
    facilitators: Bits,
    /// Its follow-ups dated on or before `closed_at`, counted only for a
    /// request abandoned (the only ones the chasing table reads).
    follow_ups: u32,
}

/// A request's columns as the database holds them.
#[derive(Debug, Clone)]
pub struct Columns<'a> {
    pub id: &'a str,
    pub case_id: &'a str,
    pub record_key: i64,
    pub created_at: NaiveDateTime,
    pub target_country: &'a str,
    pub sent_at: NaiveDate,
    pub status: &'a str,
    pub status_since: NaiveDate,
    pub acknowledged_at: Option<NaiveDate>,
    pub first_response_at: Option<NaiveDate>,
    pub closed_at: Option<NaiveDate>,
    pub abandonment_reason: Option<&'a str>,
    pub priority: &'a str,
    pub legal_basis: Option<&'a str>,
    pub channel: Option<&'a str>,
    /// JSON arrays of vocabulary words.
    pub offences: &'a str,
    pub measures: &'a str,
    pub facilitators: &'a str,
    /// A JSON object, measure → outcome.
    pub measure_outcomes: &'a str,
    pub follow_ups: i64,
}

/// The bits of the words of a JSON array of vocabulary words that `parse`
/// knows; others (none the register accepts) are left out, as no filter
/// can name them. The words are what stands between quotes: vocabulary
/// words hold neither quotes nor escapes, and a million arrays are read
/// this way without allocating.
fn bits_of<V: Copy>(json: &str, parse: fn(&str) -> Option<V>, index: fn(V) -> usize) -> Bits {
    json.split('"')
        .skip(1)
        .step_by(2)
        .filter_map(parse)
        .fold(0, |bits, v| bits | 1 << index(v))
}

/// A row's identifier or case, as the 128 bits of its UUID; a text that is
/// not one (none the register writes) as its hash, which keeps it apart
/// from every other.
fn uuid_bits(text: &str) -> u128 {
    match uuid::Uuid::try_parse(text) {
        Ok(uuid) => uuid.as_u128(),
        Err(_) => {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut hasher);
            u128::from(hasher.finish()) | 1 << 127
        }
    }
}

/// The statistics' copy of the register: every request sent, and the
/// cases that identified victims.
#[derive(Debug, Default)]
pub struct Register {
    rows: Vec<Row>,
    /// A request's place in `rows`, by identifier.
    places: HashMap<u128, usize>,
    /// The country codes rows point to, in first-seen order.
    countries: Vec<String>,
    country_index: HashMap<String, u16>,
    /// Cases with `victims_identified > 0`, and how many.
    victims: HashMap<u128, i64>,
}

/// A [`Population`] as bit masks and day numbers, so that deciding whether
/// a row belongs costs a few integer tests.
struct Filter {
    as_of: Day,
    from: Day,
    to: Day,
    /// 0: any; else a row passes with any of these bits.
    offences: Bits,
    measures: Bits,
    facilitators: Bits,
    priorities: Bits,
    legal_bases: Bits,
    channels: Bits,
    /// Indexes into [`Register::countries`]; `None`: any.
    countries: Option<Vec<u16>>,
}

impl Filter {
    fn admits(&self, r: &Row) -> bool {
        let any = |mask: Bits, bits: Bits| mask == 0 || mask & bits != 0;
        r.sent <= self.as_of
            && r.sent >= self.from
            && r.sent <= self.to
            && any(self.offences, r.offences)
            && any(self.measures, r.measures)
            && any(self.facilitators, r.facilitators)
            && any(self.priorities, r.priority)
            && any(self.legal_bases, r.legal_basis)
            && any(self.channels, r.channel)
            && self
                .countries
                .as_ref()
                .is_none_or(|countries| countries.contains(&r.country))
    }
}

impl Row {
    /// The row of a request sent, or an error naming the column the
    /// register should never hold as it is.
    pub fn of(c: &Columns<'_>, country: u16) -> Result<Row, String> {
        let status = Status::parse(c.status)
            .ok_or_else(|| format!("request {}: unknown status `{}`", c.id, c.status))?;
        let one = |text: Option<&str>, parse: fn(&str) -> Option<usize>| {
            text.and_then(parse).map_or(0, |i| 1 << i)
        };
        use crate::domain::{Channel, Facilitator, LegalBasis, Offence, Priority};
        let victims_rank = if c
            .measure_outcomes
            .contains("\"identify_victims\":\"executed\"")
        {
            0
        } else if c.measures.contains("\"identify_victims\"") {
            1
        } else {
            2
        };
        let sent = c.sent_at;
        Ok(Row {
            id: uuid_bits(c.id),
            case: uuid_bits(c.case_id),
            record_key: c.record_key,
            created_at: c.created_at.and_utc().timestamp_micros(),
            country,
            sent: sent.num_days_from_ce(),
            sent_month: sent.year() * 12 + sent.month0() as i32,
            status,
            status_since: c.status_since.num_days_from_ce(),
            acknowledged: day(c.acknowledged_at),
            first_response: day(c.first_response_at),
            closed: day(c.closed_at),
            abandoned_no_response: c.abandonment_reason
                == Some(AbandonmentReason::NoResponse.as_str()),
            victims_rank,
            priority: one(Some(c.priority), |t| Priority::parse(t).map(|v| v as usize)),
            legal_basis: one(c.legal_basis, |t| LegalBasis::parse(t).map(|v| v as usize)),
            channel: one(c.channel, |t| Channel::parse(t).map(|v| v as usize)),
            offences: bits_of(c.offences, Offence::parse, |v| v as usize),
            measures: bits_of(c.measures, Measure::parse, |v| v as usize),
            facilitators: bits_of(c.facilitators, Facilitator::parse, |v| v as usize),
            follow_ups: u32::try_from(c.follow_ups.max(0)).unwrap_or(u32::MAX),
        })
    }

    /// Its status on `as_of`: the current one if reached by then, else
    /// still waiting.
    fn status_on(&self, as_of: Day) -> Status {
        if self.status_since <= as_of {
            self.status
        } else {
            Status::Sent
        }
    }

    /// One clock of this request on `as_of`: the days from sending to when
    /// it was last observed (0 if earlier), and whether that is the clock's
    /// event (else a censoring).
    /// - Acknowledgement: the first of the acknowledgement and the first
    ///   response; without either by `as_of`, censored at the withdrawal if
    ///   it was withdrawn by then, else at `as_of`.
    /// - First response: the first substantive response, censored the same
    ///   way — also when it was abandoned for silence, which is no answer,
    ///   not a lost record.
    /// - Execution: `closed_at` of a request executed by `as_of`; one
    ///   closed otherwise (refused, withdrawn, abandoned) is censored when
    ///   it closed, an open one at `as_of`.
    fn observed(&self, waiting: Waiting, as_of: Day) -> (u32, bool) {
        let closed_by = self.closed <= as_of;
        let withdrawn = self.status == Status::Withdrawn && closed_by;
        let (event, until) = match waiting {
            Waiting::Acknowledgement | Waiting::FirstResponse => {
                let sign = if waiting == Waiting::Acknowledgement {
                    self.acknowledged.min(self.first_response)
                } else {
                    self.first_response
                };
                if sign <= as_of {
                    (true, sign)
                } else if withdrawn {
                    (false, self.closed)
                } else {
                    (false, as_of)
                }
            }
            Waiting::Execution => {
                let closed_as = matches!(
                    self.status,
                    Status::Executed | Status::Refused | Status::Withdrawn | Status::Abandoned
                );
                let executed = self.status == Status::Executed && closed_by;
                (
                    executed,
                    if closed_as && closed_by {
                        self.closed
                    } else {
                        as_of
                    },
                )
            }
        };
        ((until - self.sent).max(0) as u32, event)
    }

    /// The label of its period of sending: `2025`, `2025-Q3` or `2025-07`.
    fn period(&self, bucket: Bucket) -> Period {
        let (year, month0) = (
            self.sent_month.div_euclid(12),
            self.sent_month.rem_euclid(12),
        );
        match bucket {
            Bucket::Year => Period(year, 0),
            Bucket::Quarter => Period(year, 1 + month0 / 3),
            Bucket::Month => Period(year, 1 + month0),
        }
    }
}

/// A period of sending as (year, quarter or month or 0), which orders as
/// its label does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Period(i32, i32);

impl Period {
    fn label(self, bucket: Bucket) -> String {
        match bucket {
            Bucket::Year => format!("{:04}", self.0),
            Bucket::Quarter => format!("{:04}-Q{}", self.0, self.1),
            Bucket::Month => format!("{:04}-{:02}", self.0, self.1),
        }
    }
}

/// One count and the sum of its requests' record keys.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    count: i64,
    keys: i64,
}

impl Tally {
    fn add(&mut self, r: &Row) {
        self.count += 1;
        self.keys += r.record_key;
    }
}

/// Per day (the index), the events and censorings of one clock with their
/// key sums: a million requests fall on a few thousand days.
#[derive(Debug, Clone, Default)]
struct Histogram(Vec<(DayCount, DayKeys)>);

impl Histogram {
    fn add(&mut self, day: u32, event: bool, key: i64) {
        let at = day as usize;
        if self.0.len() <= at {
            let from = self.0.len() as u32;
            self.0.extend((from..=day).map(|day| {
                let count = DayCount {
                    day,
                    events: 0,
                    censored: 0,
                };
                (count, DayKeys::default())
            }));
        }
        let (count, keys) = &mut self.0[at];
        if event {
            count.events += 1;
            keys.events += key;
        } else {
            count.censored += 1;
            keys.censored += key;
        }
    }

    /// The days with a request, in day order.
    fn days(&self) -> impl Iterator<Item = (DayCount, DayKeys)> + '_ {
        self.0
            .iter()
            .filter(|(count, _)| count.events + count.censored > 0)
            .copied()
    }
}

impl Register {
    /// Puts a request in, or replaces it; `None` for a request not (or no
    /// longer) sent, which takes it out.
    pub fn put(&mut self, id: &str, columns: Option<&Columns<'_>>) -> Result<(), String> {
        let key = uuid_bits(id);
        let Some(columns) = columns else {
            if let Some(place) = self.places.remove(&key) {
                self.rows.swap_remove(place);
                if let Some(moved) = self.rows.get(place) {
                    self.places.insert(moved.id, place);
                }
            }
            return Ok(());
        };
        let country = self.country(columns.target_country);
        let row = Row::of(columns, country)?;
        match self.places.get(&key) {
            Some(&place) => self.rows[place] = row,
            None => {
                self.places.insert(key, self.rows.len());
                self.rows.push(row);
            }
        }
        Ok(())
    }

    /// Records how many victims a case identified (0: none).
    pub fn put_case(&mut self, id: &str, victims_identified: Option<i64>) {
        let key = uuid_bits(id);
        match victims_identified {
            Some(n) if n > 0 => {
                self.victims.insert(key, n);
            }
            _ => {
                self.victims.remove(&key);
            }
        }
    }

    /// The requests held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// About how many bytes the copy takes: its rows, and its two maps at
    /// their capacity (a key, a value and a control byte per slot).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.rows.capacity() * size_of::<Row>()
            + self.places.capacity() * (size_of::<u128>() + size_of::<usize>() + 1)
            + self.victims.capacity() * (size_of::<u128>() + size_of::<i64>() + 1)
    }

    fn country(&mut self, code: &str) -> u16 {
        if let Some(&i) = self.country_index.get(code) {
            return i;
        }
        let i = self.countries.len() as u16;
        self.countries.push(code.to_string());
        self.country_index.insert(code.to_string(), i);
        i
    }

    fn filter(&self, p: &Population) -> Filter {
        fn mask<V: Copy>(values: &[V], index: fn(V) -> usize) -> Bits {
            values.iter().fold(0, |m, &v| m | 1 << index(v))
        }
        Filter {
            as_of: p.as_of.num_days_from_ce(),
            from: p.sent_from.map_or(Day::MIN, |d| d.num_days_from_ce()),
            to: p.sent_to.map_or(Day::MAX, |d| d.num_days_from_ce()),
            offences: mask(&p.offences, |v| v as usize),
            measures: mask(&p.measures, |v| v as usize),
            facilitators: mask(&p.facilitators, |v| v as usize),
            priorities: mask(&p.priorities, |v| v as usize),
            legal_bases: mask(&p.legal_bases, |v| v as usize),
            channels: mask(&p.channels, |v| v as usize),
            countries: (!p.countries.is_empty()).then(|| {
                p.countries
                    .iter()
                    .filter_map(|c| self.country_index.get(c.as_str()).copied())
                    .collect()
            }),
        }
    }

    /// The population's rows.
    fn population<'a>(&'a self, p: &Population) -> (Day, impl Iterator<Item = &'a Row> + 'a) {
        let filter = self.filter(p);
        let as_of = filter.as_of;
        (as_of, self.rows.iter().filter(move |r| filter.admits(r)))
    }

    fn country_code(&self, row: &Row) -> &str {
        &self.countries[row.country as usize]
    }

    /// Counts per country in country-code order, victims identified
    /// included.
    pub fn country_counts(&self, p: &Population) -> Vec<CountryCounts> {
        /// requests, answered, acknowledged, executed, partially executed,
        /// refused, withdrawn, abandoned, abandoned for silence, victims.
        type Tallies = [Tally; 10];
        let (as_of, rows) = self.population(p);
        let mut per_country: Vec<Tallies> = vec![Tallies::default(); self.countries.len()];
        // Per case with victims, the request that takes them so far.
        let mut takers: HashMap<u128, &Row> = HashMap::new();
        for r in rows {
            let t = &mut per_country[r.country as usize];
            t[0].add(r);
            if r.first_response <= as_of {
                t[1].add(r);
            }
            if r.acknowledged <= as_of || r.first_response <= as_of {
                t[2].add(r);
            }
            let status = r.status_on(as_of);
            let closed = match status {
                Status::Executed => Some(3),
                Status::PartiallyExecuted => Some(4),
                Status::Refused => Some(5),
                Status::Withdrawn => Some(6),
                Status::Abandoned => Some(7),
                _ => None,
            };
            if let Some(i) = closed {
                t[i].add(r);
            }
            if status == Status::Abandoned && r.abandoned_no_response {
                t[8].add(r);
            }
            if matches!(status, Status::Executed | Status::PartiallyExecuted)
                && self.victims.contains_key(&r.case)
            {
                let order = |r: &Row| (r.victims_rank, r.sent, r.created_at, r.id);
                takers
                    .entry(r.case)
                    .and_modify(|taker| {
                        if order(r) < order(taker) {
                            *taker = r;
                        }
                    })
                    .or_insert(r);
            }
        }
        for (case, r) in takers {
            let t = &mut per_country[r.country as usize][9];
            t.count += self.victims[&case];
            t.keys += r.record_key;
        }
        let mut counts: Vec<CountryCounts> = per_country
            .into_iter()
            .enumerate()
            .filter(|(_, t)| t[0].count > 0)
            .map(|(i, t)| {
                let finals: Tally = t[3..8].iter().fold(Tally::default(), |sum, x| Tally {
                    count: sum.count + x.count,
                    keys: sum.keys + x.keys,
                });
                CountryCounts {
                    country: self.countries[i].clone(),
                    requests: t[0].count,
                    answered: t[1].count,
                    acknowledged: t[2].count,
                    pending: t[0].count - finals.count,
                    executed: t[3].count,
                    partially_executed: t[4].count,
                    refused: t[5].count,
                    withdrawn: t[6].count,
                    abandoned: t[7].count,
                    abandoned_no_response: t[8].count,
                    victims_identified: t[9].count,
                    requests_key: t[0].keys,
                    answered_key: t[1].keys,
                    acknowledged_key: t[2].keys,
                    pending_key: t[0].keys - finals.keys,
                    executed_key: t[3].keys,
                    partially_executed_key: t[4].keys,
                    refused_key: t[5].keys,
                    withdrawn_key: t[6].keys,
                    abandoned_key: t[7].keys,
                    abandoned_no_response_key: t[8].keys,
                    victims_key: t[9].keys,
                }
            })
            .collect();
        counts.sort_by(|a, b| a.country.cmp(&b.country));
        counts
    }

    /// Per country and day, the events and censorings of each of the three
    /// clocks ([`Waiting::ALL`], in that order), each in (country, day)
    /// order.
    pub fn clock_days(&self, p: &Population) -> [Vec<CountryDay>; 3] {
        let (as_of, rows) = self.population(p);
        let mut per_country: Vec<[Histogram; 3]> = vec![Default::default(); self.countries.len()];
        for r in rows {
            let histograms = &mut per_country[r.country as usize];
            for (histogram, waiting) in histograms.iter_mut().zip(Waiting::ALL) {
                let (day, event) = r.observed(waiting, as_of);
                histogram.add(day, event, r.record_key);
            }
        }
        let mut order: Vec<usize> = (0..self.countries.len()).collect();
        order.sort_by(|&a, &b| self.countries[a].cmp(&self.countries[b]));
        std::array::from_fn(|clock| {
            order
                .iter()
                .flat_map(|&i| {
                    per_country[i][clock]
                        .days()
                        .map(move |(count, keys)| CountryDay {
                            country: self.countries[i].clone(),
                            count,
                            keys,
                        })
                })
                .collect()
        })
    }

    /// Per period of sending and day, the events and censorings of one
    /// clock, in (period, day) order.
    pub fn bucket_days(&self, p: &Population, waiting: Waiting, bucket: Bucket) -> Vec<BucketDay> {
        let (as_of, rows) = self.population(p);
        let mut per_period: BTreeMap<Period, Histogram> = BTreeMap::new();
        for r in rows {
            let (day, event) = r.observed(waiting, as_of);
            per_period
                .entry(r.period(bucket))
                .or_default()
                .add(day, event, r.record_key);
        }
        per_period
            .iter()
            .flat_map(|(period, histogram)| {
                let label = period.label(bucket);
                histogram.days().map(move |(count, keys)| BucketDay {
                    bucket: label.clone(),
                    count,
                    keys,
                })
            })
            .collect()
    }

    /// Counts per period of sending, in time order: sent, answered by
    /// `as_of`, and executed, refused and abandoned on `as_of`.
    pub fn bucket_counts(&self, p: &Population, bucket: Bucket) -> Vec<BucketCounts> {
        let (as_of, rows) = self.population(p);
        let mut per_period: BTreeMap<Period, [Tally; 5]> = BTreeMap::new();
        for r in rows {
            let t = per_period.entry(r.period(bucket)).or_default();
            t[0].add(r);
            if r.first_response <= as_of {
                t[1].add(r);
            }
            match r.status_on(as_of) {
                Status::Executed => t[2].add(r),
                Status::Refused => t[3].add(r),
                Status::Abandoned => t[4].add(r),
                _ => {}
            }
        }
        per_period
            .into_iter()
            .map(|(period, t)| BucketCounts {
                bucket: period.label(bucket),
                sent: t[0].count,
                answered: t[1].count,
                executed: t[2].count,
                refused: t[3].count,
                abandoned: t[4].count,
                sent_key: t[0].keys,
                answered_key: t[1].keys,
                executed_key: t[2].keys,
                refused_key: t[3].keys,
                abandoned_key: t[4].keys,
            })
            .collect()
    }

    /// Per cohort (period of sending), in time order: the requests sent and
    /// those answered within `horizon_days` — a first response on or before
    /// `as_of`, at most that many days after sending (one dated before
    /// sending counts as day 0).
    pub fn cohort_counts(
        &self,
        p: &Population,
        bucket: Bucket,
        horizon_days: u32,
    ) -> Vec<CohortCounts> {
        let (as_of, rows) = self.population(p);
        let mut per_period: BTreeMap<Period, [Tally; 2]> = BTreeMap::new();
        for r in rows {
            let t = per_period.entry(r.period(bucket)).or_default();
            t[0].add(r);
            if r.first_response <= as_of
                && i64::from(r.first_response) - i64::from(r.sent) <= i64::from(horizon_days)
            {
                t[1].add(r);
            }
        }
        per_period
            .into_iter()
            .map(|(period, t)| CohortCounts {
                bucket: period.label(bucket),
                sent: t[0].count,
                answered_within: t[1].count,
                sent_key: t[0].keys,
                answered_within_key: t[1].keys,
            })
            .collect()
    }

    /// Per country and number of follow-ups (capped at [`chasing::CAP`]:
    /// that many or more), the requests abandoned on `as_of` for silence,
    /// in (country, follow-ups) order.
    pub fn follow_up_counts(&self, p: &Population) -> Vec<FollowUpCount> {
        let (as_of, rows) = self.population(p);
        let mut counts: BTreeMap<(&str, u32), Tally> = BTreeMap::new();
        for r in rows {
            if r.status == Status::Abandoned && r.status_since <= as_of && r.abandoned_no_response {
                let capped = r.follow_ups.min(chasing::CAP as u32);
                counts
                    .entry((self.country_code(r), capped))
                    .or_default()
                    .add(r);
            }
        }
        counts
            .into_iter()
            .map(|((country, follow_ups), t)| FollowUpCount {
                country: country.to_string(),
                follow_ups: i64::from(follow_ups),
                requests: t.count,
                requests_key: t.keys,
            })
            .collect()
    }

    /// Per row of `grouping` (its country's code, or its M49 area's, `""`
    /// outside every area), in code order, then for the totals: the
    /// distinct cases with at least one request of the population in the
    /// row, and those that identified victims, each with the sum of the
    /// record keys of the cases' requests in the row.
    pub fn case_counts(&self, p: &Population, grouping: Grouping) -> (Vec<CaseCounts>, CaseCounts) {
        // Each country's row, as an index into `labels` (sorted, so that
        // the rows come out in code order).
        let of_country: Vec<String> = self
            .countries
            .iter()
            .map(|c| grouping.group_of(c))
            .collect();
        let mut labels = of_country.clone();
        labels.sort();
        labels.dedup();
        let row_of: Vec<usize> = of_country
            .iter()
            .map(|l| labels.binary_search(l).expect("every label is listed"))
            .collect();
        // (row, case, record key) of each request of the population, sorted
        // so that a case's requests in a row, then in all, are neighbours:
        // a million requests sort in a fraction of the time hashing each
        // (row, case) pair took.
        let (_, rows) = self.population(p);
        let mut requests: Vec<(usize, u128, i64)> = rows
            .map(|r| (row_of[r.country as usize], r.case, r.record_key))
            .collect();
        let count = |counts: &mut CaseCounts, case: u128, keys: i64| {
            counts.cases += 1;
            counts.cases_key += keys;
            if self.victims.contains_key(&case) {
                counts.with_victims += 1;
                counts.with_victims_key += keys;
            }
        };
        // Runs `count` once per distinct key of consecutive requests.
        fn each_distinct<K: PartialEq + Copy>(
            requests: &[(usize, u128, i64)],
            key: impl Fn(&(usize, u128, i64)) -> K,
            mut count: impl FnMut(K, u128, i64),
        ) {
            for group in requests.chunk_by(|a, b| key(a) == key(b)) {
                let keys = group.iter().map(|r| r.2).sum();
                count(key(&group[0]), group[0].1, keys);
            }
        }
        requests.sort_unstable_by_key(|&(row, case, _)| (row, case));
        let mut per_row: Vec<CaseCounts> = vec![CaseCounts::default(); labels.len()];
        each_distinct(
            &requests,
            |r| (r.0, r.1),
            |(row, _), case, keys| count(&mut per_row[row], case, keys),
        );
        requests.sort_unstable_by_key(|&(_, case, _)| case);
        let mut totals = CaseCounts::default();
        each_distinct(
            &requests,
            |r| r.1,
            |_, case, keys| count(&mut totals, case, keys),
        );
        let rows = per_row
            .into_iter()
            .zip(labels)
            .filter(|(counts, _)| counts.cases > 0)
            .map(|(counts, label)| CaseCounts {
                country: label,
                ..counts
            })
            .collect();
        (rows, totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CountryCode;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A request to `country` sent on `sent`, then whatever `edit` sets.
    struct Request {
        id: String,
        case_id: String,
        country: &'static str,
        sent: &'static str,
        status: &'static str,
        status_since: &'static str,
        acknowledged: Option<&'static str>,
        response: Option<&'static str>,
        closed: Option<&'static str>,
        reason: Option<&'static str>,
        measures: &'static str,
        outcomes: &'static str,
        offences: &'static str,
        key: i64,
        follow_ups: i64,
    }

    fn request(n: u32, country: &'static str, sent: &'static str) -> Request {
        Request {
            id: format!("00000000-0000-0000-0000-{n:012}"),
            case_id: format!("00000000-0000-0000-0001-{n:012}"),
            country,
            sent,
            status: "sent",
            status_since: sent,
            acknowledged: None,
            response: None,
            closed: None,
            reason: None,
            measures: "[]",
            outcomes: "{}",
            offences: "[]",
            key: i64::from(n) * 1000,
            follow_ups: 0,
        }
    }

    fn register(requests: &[Request]) -> Register {
        let mut register = Register::default();
        for r in requests {
            let columns = Columns {
                id: &r.id,
                case_id: &r.case_id,
                record_key: r.key,
                created_at: date("2020-01-01").and_hms_opt(0, 0, 0).unwrap(),
                target_country: r.country,
                sent_at: date(r.sent),
                status: r.status,
                status_since: date(r.status_since),
                acknowledged_at: r.acknowledged.map(date),
                first_response_at: r.response.map(date),
                closed_at: r.closed.map(date),
                abandonment_reason: r.reason,
                priority: "normal",
                legal_basis: None,
                channel: None,
                offences: r.offences,
                measures: r.measures,
                facilitators: "[]",
                measure_outcomes: r.outcomes,
                follow_ups: r.follow_ups,
            };
            register.put(&r.id, Some(&columns)).unwrap();
        }
        register
    }

    fn as_of(d: &str) -> Population {
        Population::as_of(date(d))
    }

    #[test]
    fn a_status_reached_after_as_of_counts_as_pending() {
        let mut refused = request(1, "PH", "2025-01-01");
        refused.status = "refused";
        refused.status_since = "2025-06-01";
        refused.closed = Some("2025-06-01");
        let register = register(&[refused]);
        let before = register.country_counts(&as_of("2025-05-31"));
        assert_eq!((before[0].pending, before[0].refused), (1, 0));
        assert_eq!(before[0].pending_key, 1000);
        let after = register.country_counts(&as_of("2025-06-01"));
        assert_eq!((after[0].pending, after[0].refused), (0, 1));
        assert_eq!(after[0].refused_key, 1000);
    }

    #[test]
    fn the_clocks_censor_at_as_of_or_at_withdrawal() {
        let mut answered = request(1, "PH", "2025-01-01");
        answered.acknowledged = Some("2025-01-11");
        answered.response = Some("2025-01-31");
        let mut withdrawn = request(2, "PH", "2025-01-01");
        withdrawn.status = "withdrawn";
        withdrawn.status_since = "2025-02-01";
        withdrawn.closed = Some("2025-02-01");
        let mut executed = request(3, "BE", "2025-01-01");
        executed.response = Some("2024-12-25");
        executed.status = "executed";
        executed.status_since = "2025-03-02";
        executed.closed = Some("2025-03-02");
        let register = register(&[answered, withdrawn, executed]);
        let [ack, response, execution] = register.clock_days(&as_of("2025-04-01"));
        let days = |days: &[CountryDay]| -> Vec<(String, u32, u64, u64)> {
            days.iter()
                .map(|d| {
                    (
                        d.country.clone(),
                        d.count.day,
                        d.count.events,
                        d.count.censored,
                    )
                })
                .collect()
        };
        // Belgium's response came before sending: day 0.
        assert_eq!(
            days(&ack),
            [
                ("BE".into(), 0, 1, 0),
                ("PH".into(), 10, 1, 0),
                ("PH".into(), 31, 0, 1)
            ]
        );
        assert_eq!(
            days(&response),
            [
                ("BE".into(), 0, 1, 0),
                ("PH".into(), 30, 1, 0),
                ("PH".into(), 31, 0, 1)
            ]
        );
        assert_eq!(
            days(&execution),
            [
                ("BE".into(), 60, 1, 0),
                ("PH".into(), 31, 0, 1),
                ("PH".into(), 90, 0, 1)
            ]
        );
        assert_eq!(response[1].keys.events, 1000);
    }

    #[test]
    fn periods_are_labelled_and_ordered_as_text() {
        let register = register(&[
            request(1, "PH", "2024-12-31"),
            request(2, "PH", "2025-01-01"),
            request(3, "BE", "2025-07-15"),
        ]);
        let labels = |bucket| -> Vec<String> {
            register
                .bucket_counts(&as_of("2026-01-01"), bucket)
                .into_iter()
                .map(|c| c.bucket)
                .collect()
        };
        assert_eq!(labels(Bucket::Year), ["2024", "2025"]);
        assert_eq!(labels(Bucket::Quarter), ["2024-Q4", "2025-Q1", "2025-Q3"]);
        assert_eq!(labels(Bucket::Month), ["2024-12", "2025-01", "2025-07"]);
    }

    #[test]
    fn cohorts_count_responses_within_the_horizon() {
        let mut early = request(1, "PH", "2025-01-01");
        early.response = Some("2025-04-01"); // day 90
        let mut late = request(2, "PH", "2025-01-01");
        late.response = Some("2025-04-02"); // day 91
        let register = register(&[early, late]);
        let cohorts = register.cohort_counts(&as_of("2026-01-01"), Bucket::Year, 90);
        assert_eq!((cohorts[0].sent, cohorts[0].answered_within), (2, 1));
        assert_eq!(cohorts[0].answered_within_key, 1000);
    }

    #[test]
    fn victims_go_to_the_request_that_executed_the_identification() {
        let case = "00000000-0000-0000-0002-000000000001".to_string();
        let mut first = request(1, "PH", "2025-01-01");
        first.case_id = case.clone();
        first.status = "executed";
        first.closed = Some("2025-03-01");
        let mut identifying = request(2, "BE", "2025-02-01");
        identifying.case_id = case.clone();
        identifying.status = "partially_executed";
        identifying.measures = "[\"identify_victims\"]";
        identifying.outcomes = "{\"identify_victims\":\"executed\"}";
        let mut register = register(&[first, identifying]);
        register.put_case(&case, Some(3));
        let counts = register.country_counts(&as_of("2026-01-01"));
        let victims: Vec<(&str, i64, i64)> = counts
            .iter()
            .map(|c| (c.country.as_str(), c.victims_identified, c.victims_key))
            .collect();
        assert_eq!(victims, [("BE", 3, 2000), ("PH", 0, 0)]);
        let (rows, totals) = register.case_counts(&as_of("2026-01-01"), Grouping::Region);
        // Both countries' requests are one case: once in Europe, once in
        // Asia, once in all.
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.cases == 1 && r.with_victims == 1));
        assert_eq!(
            (totals.cases, totals.with_victims, totals.cases_key),
            (1, 1, 3000)
        );
    }

    #[test]
    fn filters_keep_rows_with_any_value_asked() {
        let mut csam = request(1, "PH", "2025-01-01");
        csam.offences = "[\"child_sexual_abuse_material\",\"grooming_sextortion\"]";
        let other = request(2, "PH", "2025-01-01");
        let register = register(&[csam, other]);
        let mut p = as_of("2026-01-01");
        p.offences = vec![crate::domain::Offence::GroomingSextortion];
        assert_eq!(register.country_counts(&p)[0].requests, 1);
        p.offences.clear();
        p.countries = vec![CountryCode::parse("BE").unwrap()];
        assert!(register.country_counts(&p).is_empty());
        p.countries.clear();
        p.sent_from = Some(date("2025-01-02"));
        assert!(register.country_counts(&p).is_empty());
    }

    #[test]
    fn chasing_caps_the_follow_ups() {
        let mut chased = request(1, "PH", "2025-01-01");
        chased.status = "abandoned";
        chased.closed = Some("2025-12-01");
        chased.status_since = "2025-12-01";
        chased.reason = Some("no_response");
        chased.follow_ups = 12;
        let mut other_reason = request(2, "PH", "2025-01-01");
        other_reason.status = "abandoned";
        other_reason.reason = Some("no_longer_needed");
        let register = register(&[chased, other_reason]);
        let counts = register.follow_up_counts(&as_of("2026-01-01"));
        assert_eq!(counts.len(), 1);
        assert_eq!(counts[0].follow_ups, chasing::CAP as i64);
        assert!(register.follow_up_counts(&as_of("2025-11-30")).is_empty());
    }

    #[test]
    fn a_request_put_again_replaces_it_and_none_takes_it_out() {
        let mut register = register(&[
            request(1, "PH", "2025-01-01"),
            request(2, "BE", "2025-01-01"),
        ]);
        register
            .put("00000000-0000-0000-0000-000000000001", None)
            .unwrap();
        assert_eq!(register.len(), 1);
        let counts = register.country_counts(&as_of("2026-01-01"));
        assert_eq!(counts.len(), 1);
        assert_eq!(counts[0].country, "BE");
    }
}
