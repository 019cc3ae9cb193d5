//! What the statistics are computed from: which requests they cover
//! ([`Population`]) and what the database aggregates for them (counts per
//! country or period, per-day counts of the waiting times). Plain values:
//! `db::stats` fills them (hence the `QueryableByName` derives), the rest of
//! `stats` computes on them without any I/O.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};

use std::collections::BTreeMap;

use super::cellkey::{Cell, VICTIMS_SALT};
use super::grid::KeyedDay;
use super::km::DayCount;
use super::regions::Grouping;
use crate::domain::{Channel, CountryCode, Facilitator, LegalBasis, Measure, Offence, Priority};

/// Which requests the figures cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub as_of: NaiveDate,
    pub sent_from: Option<NaiveDate>,
    pub sent_to: Option<NaiveDate>,
    /// Any of these (empty: all).
    pub offences: Vec<Offence>,
    pub legal_bases: Vec<LegalBasis>,
    pub channels: Vec<Channel>,
    pub countries: Vec<CountryCode>,
    /// Requests asking for any of these measures.
    pub measures: Vec<Measure>,
    pub priorities: Vec<Priority>,
    /// Requests that went through any of these facilitators.
    pub facilitators: Vec<Facilitator>,
}

impl Population {
    pub fn as_of(as_of: NaiveDate) -> Population {
        Population {
            as_of,
            sent_from: None,
            sent_to: None,
            offences: Vec::new(),
            legal_bases: Vec::new(),
            channels: Vec::new(),
            countries: Vec::new(),
            measures: Vec::new(),
            priorities: Vec::new(),
            facilitators: Vec::new(),
        }
    }
}

/// One country's counts. Every request is in exactly one of `pending`,
/// `executed`, `partially_executed`, `refused`, `withdrawn`, `abandoned`.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct CountryCounts {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    #[diesel(sql_type = BigInt)]
    pub answered: i64,
    /// Whose receipt the requested state acknowledged by `as_of`, by an
    /// acknowledgement or by a substantive response (which proves it).
    #[diesel(sql_type = BigInt)]
    pub acknowledged: i64,
    /// Still open: sent, acknowledged, waiting for our additional
    /// information or for theirs after we supplied it, postponed, or in
    /// execution.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub executed: i64,
    #[diesel(sql_type = BigInt)]
    pub partially_executed: i64,
    #[diesel(sql_type = BigInt)]
    pub refused: i64,
    #[diesel(sql_type = BigInt)]
    pub withdrawn: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned_no_response: i64,
    #[diesel(sql_type = BigInt)]
    pub victims_identified: i64,
    /// The sums of the record keys of each count's requests (for
    /// `victims_identified`, of the requests its victims are counted for):
    /// the published view's cells ([`super::cellkey`]).
    #[diesel(sql_type = BigInt)]
    pub requests_key: i64,
    #[diesel(sql_type = BigInt)]
    pub answered_key: i64,
    #[diesel(sql_type = BigInt)]
    pub acknowledged_key: i64,
    #[diesel(sql_type = BigInt)]
    pub pending_key: i64,
    #[diesel(sql_type = BigInt)]
    pub executed_key: i64,
    #[diesel(sql_type = BigInt)]
    pub partially_executed_key: i64,
    #[diesel(sql_type = BigInt)]
    pub refused_key: i64,
    #[diesel(sql_type = BigInt)]
    pub withdrawn_key: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned_key: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned_no_response_key: i64,
    #[diesel(sql_type = BigInt)]
    pub victims_key: i64,
}

impl CountryCounts {
    /// Each count with its cell, in [`Self::FIELDS`] order.
    pub fn cells(&self) -> [Cell; 11] {
        [
            Cell::of(self.requests, self.requests_key),
            Cell::of(self.answered, self.answered_key),
            Cell::of(self.acknowledged, self.acknowledged_key),
            Cell::of(self.pending, self.pending_key),
            Cell::of(self.executed, self.executed_key),
            Cell::of(self.partially_executed, self.partially_executed_key),
            Cell::of(self.refused, self.refused_key),
            Cell::of(self.withdrawn, self.withdrawn_key),
            Cell::of(self.abandoned, self.abandoned_key),
            Cell::of(self.abandoned_no_response, self.abandoned_no_response_key),
            Cell::of(self.victims_identified, self.victims_key),
        ]
    }

    /// The counts' names, in [`Self::cells`] order.
    pub const FIELDS: [&'static str; 11] = [
        "requests",
        "answered",
        "acknowledged",
        "pending",
        "executed",
        "partially_executed",
        "refused",
        "withdrawn",
        "abandoned",
        "abandoned_no_response",
        "victims_identified",
    ];

    /// Rebuilt from cells in [`Self::FIELDS`] order.
    pub fn from_cells(country: String, cells: [Cell; 11]) -> CountryCounts {
        let [r, a, ack, p, e, pe, rf, w, ab, anr, v] =
            cells.map(|c| (c.count as i64, i64::from(c.key)));
        CountryCounts {
            country,
            requests: r.0,
            answered: a.0,
            acknowledged: ack.0,
            pending: p.0,
            executed: e.0,
            partially_executed: pe.0,
            refused: rf.0,
            withdrawn: w.0,
            abandoned: ab.0,
            abandoned_no_response: anr.0,
            victims_identified: v.0,
            requests_key: r.1,
            answered_key: a.1,
            acknowledged_key: ack.1,
            pending_key: p.1,
            executed_key: e.1,
            partially_executed_key: pe.1,
            refused_key: rf.1,
            withdrawn_key: w.1,
            abandoned_key: ab.1,
            abandoned_no_response_key: anr.1,
            victims_key: v.1,
        }
    }

    /// The counts of the union of two disjoint sets of requests.
    pub fn plus(&self, other: &CountryCounts) -> CountryCounts {
        let (a, b) = (self.cells(), other.cells());
        CountryCounts::from_cells(
            self.country.clone(),
            std::array::from_fn(|i| a[i].plus(b[i])),
        )
    }

    /// The published counts (each cell perturbed, the victims' under
    /// [`VICTIMS_SALT`]; keys kept).
    pub fn perturbed(&self) -> CountryCounts {
        let cells = self.cells();
        let published = std::array::from_fn(|i| {
            let noised = if Self::FIELDS[i] == "victims_identified" {
                cells[i].salted(VICTIMS_SALT)
            } else {
                cells[i]
            };
            Cell {
                count: noised.published(),
                key: cells[i].key,
            }
        });
        CountryCounts::from_cells(self.country.clone(), published)
    }
}

/// Which waiting time a curve measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// From `sent_at` to the first sign of receipt: the acknowledgement, or
    /// the first substantive response if it came first.
    Acknowledgement,
    /// From `sent_at` to the first substantive response.
    FirstResponse,
    /// From `sent_at` to `executed`.
    Execution,
}

impl Waiting {
    /// The three clocks, in the order of the country table's columns.
    pub const ALL: [Waiting; 3] = [
        Waiting::Acknowledgement,
        Waiting::FirstResponse,
        Waiting::Execution,
    ];
}

/// A country's requests last observed on one day after sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryDay {
    pub country: String,
    pub count: DayCount,
    pub keys: DayKeys,
}

/// A bucket of `sent_at`'s requests last observed on one day after sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDay {
    pub bucket: String,
    pub count: DayCount,
    pub keys: DayKeys,
}

/// The sums of the record keys of a [`DayCount`]'s events and censorings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayKeys {
    pub events: i64,
    pub censored: i64,
}

impl DayKeys {
    /// The day's counts as cells, for the published view's life tables.
    pub fn keyed(self, count: DayCount) -> KeyedDay {
        KeyedDay {
            day: count.day,
            events: Cell::of(count.events as i64, self.events),
            censored: Cell::of(count.censored as i64, self.censored),
        }
    }
}

/// The period a timeline groups `sent_at` by; labels sort in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bucket {
    /// `2025`.
    #[default]
    Year,
    /// `2025-Q3`.
    Quarter,
    /// `2025-07`.
    Month,
}

impl Bucket {
    /// The bucket's name in a query: `year`, `quarter` or `month`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Year => "year",
            Bucket::Quarter => "quarter",
            Bucket::Month => "month",
        }
    }
}

impl std::str::FromStr for Bucket {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "year" => Ok(Bucket::Year),
            "quarter" => Ok(Bucket::Quarter),
            "month" => Ok(Bucket::Month),
            _ => Err("must be year, quarter or month"),
        }
    }
}

/// One bucket's counts: `sent` requests, `answered` by `as_of`, and three of
/// the statuses on `as_of` (the others — pending, partially executed,
/// withdrawn — make up the rest of `sent`).
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct BucketCounts {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    #[diesel(sql_type = BigInt)]
    pub sent: i64,
    #[diesel(sql_type = BigInt)]
    pub answered: i64,
    #[diesel(sql_type = BigInt)]
    pub executed: i64,
    #[diesel(sql_type = BigInt)]
    pub refused: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned: i64,
    /// The sums of the record keys of each count's requests.
    #[diesel(sql_type = BigInt)]
    pub sent_key: i64,
    #[diesel(sql_type = BigInt)]
    pub answered_key: i64,
    #[diesel(sql_type = BigInt)]
    pub executed_key: i64,
    #[diesel(sql_type = BigInt)]
    pub refused_key: i64,
    #[diesel(sql_type = BigInt)]
    pub abandoned_key: i64,
}

impl BucketCounts {
    /// The counts' names, in [`Self::cells`] order.
    pub const FIELDS: [&'static str; 5] = ["sent", "answered", "executed", "refused", "abandoned"];

    /// Each count with its cell, in [`Self::FIELDS`] order.
    pub fn cells(&self) -> [Cell; 5] {
        [
            Cell::of(self.sent, self.sent_key),
            Cell::of(self.answered, self.answered_key),
            Cell::of(self.executed, self.executed_key),
            Cell::of(self.refused, self.refused_key),
            Cell::of(self.abandoned, self.abandoned_key),
        ]
    }

    /// Rebuilt from cells in [`Self::FIELDS`] order.
    pub fn from_cells(bucket: String, cells: [Cell; 5]) -> BucketCounts {
        let [s, a, e, r, ab] = cells.map(|c| (c.count as i64, i64::from(c.key)));
        BucketCounts {
            bucket,
            sent: s.0,
            answered: a.0,
            executed: e.0,
            refused: r.0,
            abandoned: ab.0,
            sent_key: s.1,
            answered_key: a.1,
            executed_key: e.1,
            refused_key: r.1,
            abandoned_key: ab.1,
        }
    }

    /// The counts of the union of two disjoint sets of requests.
    pub fn plus(&self, other: &BucketCounts) -> BucketCounts {
        let (a, b) = (self.cells(), other.cells());
        BucketCounts::from_cells(
            self.bucket.clone(),
            std::array::from_fn(|i| a[i].plus(b[i])),
        )
    }

    /// The published counts (each cell perturbed; keys kept).
    pub fn perturbed(&self) -> BucketCounts {
        let cells = self.cells().map(|c| Cell {
            count: c.published(),
            key: c.key,
        });
        BucketCounts::from_cells(self.bucket.clone(), cells)
    }
}

/// How long after sending a response counts in the cohort table
/// (`GET /stats/cohorts`): 90, 180 or 365 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Horizon {
    Days90,
    Days180,
    #[default]
    Days365,
}

impl Horizon {
    pub const ALL: [Horizon; 3] = [Horizon::Days90, Horizon::Days180, Horizon::Days365];

    /// The horizon in days.
    pub fn days(self) -> u32 {
        match self {
            Horizon::Days90 => 90,
            Horizon::Days180 => 180,
            Horizon::Days365 => 365,
        }
    }
}

impl std::str::FromStr for Horizon {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "90" => Ok(Horizon::Days90),
            "180" => Ok(Horizon::Days180),
            "365" => Ok(Horizon::Days365),
            _ => Err("must be 90, 180 or 365 (days)"),
        }
    }
}

/// One cohort's counts (the requests sent in one bucket of `sent_at`):
/// `sent`, and `answered_within` the horizon — a first response by
/// `as_of` at most the horizon's days after sending.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct CohortCounts {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    #[diesel(sql_type = BigInt)]
    pub sent: i64,
    #[diesel(sql_type = BigInt)]
    pub answered_within: i64,
    /// The sums of the record keys of each count's requests.
    #[diesel(sql_type = BigInt)]
    pub sent_key: i64,
    #[diesel(sql_type = BigInt)]
    pub answered_within_key: i64,
}

impl CohortCounts {
    /// The counts' names, in [`Self::cells`] order.
    pub const FIELDS: [&'static str; 2] = ["sent", "answered_within"];

    /// Each count with its cell, in [`Self::FIELDS`] order.
    pub fn cells(&self) -> [Cell; 2] {
        [
            Cell::of(self.sent, self.sent_key),
            Cell::of(self.answered_within, self.answered_within_key),
        ]
    }

    /// Rebuilt from cells in [`Self::FIELDS`] order.
    pub fn from_cells(bucket: String, cells: [Cell; 2]) -> CohortCounts {
        let [s, a] = cells.map(|c| (c.count as i64, i64::from(c.key)));
        CohortCounts {
            bucket,
            sent: s.0,
            answered_within: a.0,
            sent_key: s.1,
            answered_within_key: a.1,
        }
    }

    /// The counts of the union of two disjoint sets of requests.
    pub fn plus(&self, other: &CohortCounts) -> CohortCounts {
        let (a, b) = (self.cells(), other.cells());
        CohortCounts::from_cells(
            self.bucket.clone(),
            std::array::from_fn(|i| a[i].plus(b[i])),
        )
    }

    /// The published counts (each cell perturbed; keys kept).
    pub fn perturbed(&self) -> CohortCounts {
        let cells = self.cells().map(|c| Cell {
            count: c.published(),
            key: c.key,
        });
        CohortCounts::from_cells(self.bucket.clone(), cells)
    }
}

/// A closing status whose reason the register records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// `abandoned`, with an `abandonment_reason`.
    Abandoned,
    /// `refused`, with a `refusal_ground`.
    Refused,
}

impl Closure {
    pub fn status(self) -> &'static str {
        match self {
            Closure::Abandoned => "abandoned",
            Closure::Refused => "refused",
        }
    }
}

/// The requests of one country in the closure's status on `as_of`, with
/// one reason (`None`: none recorded, which the API does not allow).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ReasonCount {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    /// The sum of their record keys.
    #[diesel(sql_type = BigInt)]
    pub requests_key: i64,
}

/// What the country table and the response curves are built from: the
/// counts per country and the per-day counts of the three waiting times.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregates {
    pub counts: Vec<CountryCounts>,
    pub acknowledgement_days: Vec<CountryDay>,
    pub response_days: Vec<CountryDay>,
    pub execution_days: Vec<CountryDay>,
}

impl Aggregates {
    /// The same figures with each country's counts and days under its
    /// group ([`Grouping::group_of`]): the counts of a group are the sums of
    /// its countries' cells, so a region's cell holds its requests' keys
    /// like any other.
    pub fn grouped(self, grouping: Grouping) -> Aggregates {
        if grouping == Grouping::Country {
            return self;
        }
        let mut counts: BTreeMap<String, CountryCounts> = BTreeMap::new();
        for c in self.counts {
            let group = grouping.group_of(&c.country);
            let sum = counts
                .entry(group.clone())
                .or_insert_with(|| CountryCounts {
                    country: group,
                    ..CountryCounts::default()
                });
            *sum = sum.plus(&c);
        }
        let days = |days: Vec<CountryDay>| -> Vec<CountryDay> {
            days.into_iter()
                .map(|d| CountryDay {
                    country: grouping.group_of(&d.country),
                    ..d
                })
                .collect()
        };
        Aggregates {
            counts: counts.into_values().collect(),
            acknowledgement_days: days(self.acknowledgement_days),
            response_days: days(self.response_days),
            execution_days: days(self.execution_days),
        }
    }
}

/// Reason counts with each country under its group, in group order (as
/// [`super::reasons::table`] reads them).
pub fn grouped_reasons(counts: Vec<ReasonCount>, grouping: Grouping) -> Vec<ReasonCount> {
    if grouping == Grouping::Country {
        return counts;
    }
    let mut grouped: Vec<ReasonCount> = counts
        .into_iter()
        .map(|c| ReasonCount {
            country: grouping.group_of(&c.country),
            ..c
        })
        .collect();
    grouped.sort_by(|a, b| a.country.cmp(&b.country));
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attacker suite's "victims less executed": one executed request
    /// that identified 4 victims keys both cells alike; unsalted, both drew
    /// the same noise and their published difference was exactly 3.
    #[test]
    fn victims_and_executed_of_the_same_requests_draw_apart() {
        let counts = CountryCounts {
            requests: 9,
            executed: 1,
            victims_identified: 4,
            executed_key: 0,
            victims_key: 0,
            requests_key: 1 << 31,
            ..CountryCounts::default()
        };
        let p = counts.perturbed();
        // Key 0 is u = 0: noise −2, held at −1 for a count of 1; salted,
        // the victims' key is u ≈ 0.618: noise 0.
        assert_eq!((p.executed, p.victims_identified), (0, 4));
        assert_eq!(p.victims_key, 0, "the key itself is kept");
        assert_eq!(counts.plus(&counts).victims_key, 0);
    }
}
