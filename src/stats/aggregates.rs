//! What the statistics are computed from: which requests they cover
//! ([`Population`]) and what the database aggregates for them (counts per
//! country or period, per-day counts of the waiting times). Plain values:
//! `db::stats` fills them (hence the `QueryableByName` derives), the rest of
//! `stats` computes on them without any I/O.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};

use super::km::DayCount;
use crate::domain::{Channel, CountryCode, LegalBasis, Offence};

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
}

/// Which waiting time a curve measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// From `sent_at` to the first response.
    FirstResponse,
    /// From `sent_at` to `executed`.
    Execution,
}

/// A country's requests last observed on one day after sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryDay {
    pub country: String,
    pub count: DayCount,
}

/// A bucket of `sent_at`'s requests last observed on one day after sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDay {
    pub bucket: String,
    pub count: DayCount,
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
}

/// What the country table and the response curves are built from: the
/// counts per country and the per-day counts of both waiting times.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregates {
    pub counts: Vec<CountryCounts>,
    pub response_days: Vec<CountryDay>,
    pub execution_days: Vec<CountryDay>,
}
