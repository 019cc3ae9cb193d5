//! Were they chased? (`GET /stats/chasing`): per country, over the requests
//! abandoned on `as_of` because the requested state never answered
//! (`no_response`), the follow-ups we recorded before giving up — so that no
//! state can say it was never reminded (docs/DOMAIN.md §8.4).
//!
//! The database returns a histogram per country: the requests by number of
//! follow-ups dated on or before their abandonment, capped at [`CAP`] ("10
//! or more"), each bar a cell ([`FollowUpCount`]). Every figure of a row is
//! read off those bars: the counts are sums of bars, the median the first
//! bar at which the cumulative count reaches half the total.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};

use super::cellkey::Cell;
use super::regions::Grouping;
use super::{ShownRow, ShownTable};
use crate::domain::CountryCode;
use std::collections::BTreeMap;

/// The last bar of the histogram: "this many follow-ups or more". A median
/// of [`CAP`] reads "[`CAP`] or more".
pub const CAP: usize = 10;

/// The requests of one country abandoned for silence on `as_of` with
/// `follow_ups` follow-ups before their abandonment ([`CAP`]: that many or
/// more), and the sum of their record keys.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct FollowUpCount {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = BigInt)]
    pub follow_ups: i64,
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    #[diesel(sql_type = BigInt)]
    pub requests_key: i64,
}

/// One row's histogram, or the totals' (country `""`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChasingRow {
    pub country: String,
    pub country_name: String,
    /// Index k: the requests with k follow-ups (the last: [`CAP`] or more).
    pub bars: [Cell; CAP + 1],
}

impl ChasingRow {
    fn empty(country: &str, country_name: &str) -> ChasingRow {
        ChasingRow {
            country: country.to_string(),
            country_name: country_name.to_string(),
            bars: [Cell::default(); CAP + 1],
        }
    }

    /// The requests with at least `k` follow-ups.
    pub fn at_least(&self, k: usize) -> Cell {
        self.bars[k.min(CAP)..]
            .iter()
            .fold(Cell::default(), |sum, bar| sum.plus(*bar))
    }

    /// The requests with at most `k` follow-ups (`k` = [`CAP`]: all of
    /// them, the very cell of [`Self::abandoned`]).
    pub fn at_most(&self, k: usize) -> Cell {
        self.bars[..=k.min(CAP)]
            .iter()
            .fold(Cell::default(), |sum, bar| sum.plus(*bar))
    }

    /// Every request of the row: abandoned for silence.
    pub fn abandoned(&self) -> Cell {
        self.at_least(0)
    }
}

/// Rows with at least one request abandoned for silence (in code order),
/// then the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct ChasingTable {
    pub rows: Vec<ChasingRow>,
    pub totals: ChasingRow,
}

/// The columns of a row, in the API's and the CSV's order.
pub const COLUMNS: [&str; 9] = [
    "country",
    "country_name",
    "abandoned_no_response",
    "followed_up",
    "chased_twice",
    "median_follow_ups",
    "share_chased_twice",
    "share_chased_twice_ci",
    "suppressed",
];

/// The counts: each a cell of its own in the published view.
const COUNTS: [&str; 3] = ["abandoned_no_response", "followed_up", "chased_twice"];

/// A row's figures but its total: hidden unless the total is
/// [`super::large_enough`].
const DETAILS: [&str; 5] = [
    "followed_up",
    "chased_twice",
    "median_follow_ups",
    "share_chased_twice",
    "share_chased_twice_ci",
];

/// The share and its interval, which give back `chased_twice` with the
/// total: hidden with it.
const FROM_CHASED_TWICE: [&str; 2] = ["share_chased_twice", "share_chased_twice_ci"];

/// Builds the table from what `db::stats` returned, each country's bars
/// under its group ([`Grouping::group_of`]): an area's bar is the sum of its
/// countries' cells. A bar beyond [`CAP`] (the database caps them) counts
/// in the last one.
pub fn table(counts: Vec<FollowUpCount>, grouping: Grouping) -> ChasingTable {
    let mut rows: BTreeMap<String, ChasingRow> = BTreeMap::new();
    let mut totals = ChasingRow::empty("", "All countries");
    for c in counts {
        let group = grouping.group_of(&c.country);
        let row = rows.entry(group.clone()).or_insert_with(|| {
            let name = CountryCode::parse(&group).map_or("?", |code| code.name());
            ChasingRow::empty(&group, name)
        });
        let bar = usize::try_from(c.follow_ups.max(0)).map_or(CAP, |k| k.min(CAP));
        let cell = Cell::of(c.requests, c.requests_key);
        for row in [row, &mut totals] {
            row.bars[bar] = row.bars[bar].plus(cell);
        }
    }
    ChasingTable {
        rows: rows.into_values().collect(),
        totals,
    }
}

/// The median number of follow-ups: the smallest `k` such that at least half
/// of the `total` requests had at most `k` (`at_most(k)`), so exactly one
/// half counts as reached and of an even number of requests the lower of
/// the two middle values is taken; `None` without a request.
pub fn median(at_most: impl Fn(usize) -> u64, total: u64) -> Option<u64> {
    if total == 0 {
        return None;
    }
    (0..=CAP)
        .find(|&k| 2 * at_most(k) >= total)
        .or(Some(CAP))
        .map(|k| k as u64)
}

/// A row with each cell shown as `value` gives it (its count, or its
/// published count), and the figures read from them.
fn shown_row(row: &ChasingRow, value: impl Fn(Cell) -> u64) -> ShownRow {
    let total = value(row.abandoned());
    let twice = value(row.at_least(2));
    let (share, share_ci) = super::share(twice, total);
    let mut out = ShownRow::new();
    out.insert("country".into(), row.country.clone().into());
    out.insert("country_name".into(), row.country_name.clone().into());
    out.insert("abandoned_no_response".into(), total.into());
    out.insert("followed_up".into(), value(row.at_least(1)).into());
    out.insert("chased_twice".into(), twice.into());
    out.insert(
        "median_follow_ups".into(),
        median(|k| value(row.at_most(k)), total).into(),
    );
    out.insert("share_chased_twice".into(), share.into());
    out.insert(
        "share_chased_twice_ci".into(),
        serde_json::to_value(share_ci).expect("an interval serialises"),
    );
    out.insert("suppressed".into(), serde_json::Value::Array(Vec::new()));
    out
}

/// The exact table as shown: every figure, nothing hidden.
pub fn exact(table: &ChasingTable) -> ShownTable {
    let row = |r: &ChasingRow| shown_row(r, |c| c.count);
    ShownTable {
        rows: table.rows.iter().map(row).collect(),
        totals: row(&table.totals),
    }
}

/// The published view (docs/DOMAIN.md §9): every count perturbed by its cell
/// key (the totals as cells of their own), the median read from the
/// published cumulative counts "at most k" (each a cell) against the
/// published total, the share and its interval from the published counts;
/// then counts from 1 to `threshold` − 1 hidden, a row's figures but its
/// total hidden unless the total is [`super::large_enough`], and the share
/// with `chased_twice`.
pub fn published(table: &ChasingTable, threshold: u64) -> ShownTable {
    let row = |r: &ChasingRow| {
        let mut row = shown_row(r, Cell::published);
        let mut hidden = super::small_counts(&row, &COUNTS, threshold);
        let total = row["abandoned_no_response"].as_u64().unwrap_or(0);
        if !super::large_enough(total, threshold) {
            hidden.extend(DETAILS);
        }
        if hidden.contains(&"chased_twice") {
            hidden.extend(FROM_CHASED_TWICE);
        }
        super::hide(&mut row, &COLUMNS, &hidden);
        row
    };
    ShownTable {
        rows: table.rows.iter().map(row).collect(),
        totals: row(&table.totals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(country: &str, follow_ups: i64, requests: i64, key: i64) -> FollowUpCount {
        FollowUpCount {
            country: country.into(),
            follow_ups,
            requests,
            requests_key: key,
        }
    }

    #[test]
    fn the_median_is_the_lower_middle_value_and_one_half_counts_as_reached() {
        // 0, 0, 1, 1: half the requests have at most 0.
        let of = |values: &[usize]| {
            let at_most = |k: usize| values.iter().filter(|v| **v <= k).count() as u64;
            median(at_most, values.len() as u64)
        };
        assert_eq!(of(&[0, 0, 1, 1]), Some(0));
        assert_eq!(of(&[0, 1, 1, 1]), Some(1));
        assert_eq!(of(&[3]), Some(3));
        assert_eq!(of(&[0, 2, 5]), Some(2));
        assert_eq!(of(&[1, 2, 3, 4, 5, 6]), Some(3));
        assert_eq!(of(&[]), None);
        // Capped: 10 stands for "10 or more".
        assert_eq!(of(&[10, 10, 10]), Some(10));
        // Published cumulative counts need not rise: the first k that
        // reaches half the total is taken, and k = CAP always does.
        assert_eq!(median(|k| [1, 4, 3, 9][k.min(3)], 8), Some(1));
        assert_eq!(median(|_| 0, 8), Some(CAP as u64));
    }

    #[test]
    fn counts_are_sums_of_bars_and_areas_pool_their_countries() {
        let counts = vec![
            bar("DE", 0, 2, 10),
            bar("DE", 1, 3, 20),
            bar("DE", 4, 1, 40),
            bar("FR", 2, 2, 5),
            bar("NG", 12, 1, 7),
        ];
        let t = table(counts.clone(), Grouping::Country);
        assert_eq!(t.rows.len(), 3);
        let de = &t.rows[0];
        assert_eq!(de.abandoned(), Cell::of(6, 70));
        assert_eq!(de.at_least(1), Cell::of(4, 60));
        assert_eq!(de.at_least(2), Cell::of(1, 40));
        assert_eq!(de.at_most(1), Cell::of(5, 30));
        assert_eq!(de.at_most(CAP), de.abandoned());
        // Beyond the cap, in the last bar.
        assert_eq!(t.rows[2].bars[CAP], Cell::of(1, 7));
        assert_eq!(t.totals.abandoned(), Cell::of(9, 82));
        let shown = exact(&t);
        let de = &shown.rows[0];
        assert_eq!(de["country_name"], "Germany");
        assert_eq!(
            (
                &de["abandoned_no_response"],
                &de["followed_up"],
                &de["chased_twice"]
            ),
            (&6.into(), &4.into(), &1.into())
        );
        // 0, 0, 1, 1, 1, 4: at most 1 for five of six.
        assert_eq!(de["median_follow_ups"], 1);
        assert_eq!(de["share_chased_twice"], 1.0 / 6.0);
        let (low, high) = super::super::wilson::wilson(1, 6).unwrap();
        assert_eq!(de["share_chased_twice_ci"], serde_json::json!([low, high]));
        assert_eq!(shown.totals["chased_twice"], 4);
        // Europe pools Germany and France; Africa is Nigeria.
        let regions = table(counts, Grouping::Region);
        let codes: Vec<&str> = regions.rows.iter().map(|r| r.country.as_str()).collect();
        assert_eq!(codes, ["002", "150"]);
        assert_eq!(regions.rows[1].abandoned(), Cell::of(8, 75));
        assert_eq!(regions.totals, t.totals);
    }

    #[test]
    fn the_published_view_hides_small_counts_and_what_gives_them_back() {
        // Germany: 20 requests, 2 chased twice (hidden: the share too);
        // Nigeria: 2 requests, a row too small to show anything but its
        // total.
        let counts = vec![
            bar("DE", 0, 10, 1 << 30),
            bar("DE", 1, 8, 3 << 30),
            bar("DE", 2, 2, 3 << 29),
            bar("NG", 3, 2, 0),
        ];
        let shown = published(&table(counts, Grouping::Country), 5);
        let de = &shown.rows[0];
        // Keys in quarters of 2³²: the total's 1 + 3 + 1.5 = 5.5, u = 0.375:
        // noise 0.
        assert_eq!(de["abandoned_no_response"], 20);
        // Those chased: 3 + 1.5, u = 0.125: noise −1.
        assert_eq!(de["followed_up"], 9);
        // Twice: 2 under u = 0.375 (noise 0), small; the share with it.
        assert_eq!(de["chased_twice"], serde_json::Value::Null);
        assert_eq!(de["share_chased_twice"], serde_json::Value::Null);
        assert_eq!(de["share_chased_twice_ci"], serde_json::Value::Null);
        assert_eq!(
            de["suppressed"],
            serde_json::json!([
                "chased_twice",
                "share_chased_twice",
                "share_chased_twice_ci"
            ])
        );
        // The exact median is 0 (10 of 20 never chased); published, 10
        // under u = 0.25 (noise −1) is 9, short of half of 20, and 18 at
        // most once under u = 0 (noise −2) is 16: the median is 1.
        assert_eq!(de["median_follow_ups"], 1);
        let ng = &shown.rows[1];
        assert!(ng["abandoned_no_response"].is_null() || ng["abandoned_no_response"] == 0);
        for field in DETAILS {
            assert!(ng[field].is_null(), "{field}: {ng:?}");
        }
    }
}
