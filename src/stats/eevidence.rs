//! The e-Evidence Regulation's yearly statistics (Regulation (EU) 2023/1543
//! art. 28; `GET /stats/e-evidence`): the orders of the population recorded
//! with `legal_basis = e_evidence_regulation`, per data category and
//! emergency (`by=category`) or per addressee, the service provider
//! (`by=addressee`): how many, complied with, not complied with (refused),
//! still pending, and the mean days from issue to data over those complied
//! with. The refusal grounds are `GET /stats/refusal-grounds` with
//! `legal_basis=e_evidence_regulation`, not repeated here.
//!
//! Definitions (docs/DOMAIN.md §8.4), status on `as_of` (§8.1):
//! - `orders`: the orders of the row. An order asking for two categories
//!   counts in both rows; the totals count every order once, also one
//!   asking for none of the three (a preservation order alone);
//! - `complied`: executed or partially executed;
//! - `not_complied`: refused;
//! - `pending`: every other order: still open (sent, acknowledged,
//!   additional information requested or supplied, postponed, in
//!   execution), withdrawn or abandoned. The three add up to `orders`;
//! - `mean_days_to_data`: over the orders complied with, the days from
//!   `sent_at` to the date the order reached its status — `closed_at` of an
//!   executed one, `status_since` of a partially executed one (which has no
//!   `closed_at`) —, a negative value counting as 0.
//!
//! In the published view every count is a [`Cell`] keyed by its orders, the
//! mean is read from the life table of the time to data ([`grid`]: the
//! complied orders its events, the others censored when they closed or on
//! `as_of`, the published `orders` at risk) — never an exact mean.

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Text};

use super::cellkey::Cell;
use super::grid::{self, KeyedDay};
use super::{ShownRow, ShownTable};

/// The rows of the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum By {
    /// Per data category and emergency (the default).
    #[default]
    Category,
    /// Per addressee (`requested_authority`).
    Addressee,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Category => "category",
            By::Addressee => "addressee",
        }
    }

    /// The columns of a row, in the API's and the CSV's order.
    pub fn columns(self) -> Vec<&'static str> {
        let mut columns = self.labels().to_vec();
        columns.extend(COUNTS);
        columns.extend(["mean_days_to_data", "suppressed"]);
        columns
    }

    /// The rows' label columns, which the JSON totals leave out.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            By::Category => &["data_category", "emergency"],
            By::Addressee => &["addressee"],
        }
    }
}

impl std::str::FromStr for By {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "category" => Ok(By::Category),
            "addressee" => Ok(By::Addressee),
            _ => Err("must be category or addressee"),
        }
    }
}

/// The data categories of art. 28, as measures of a request, in the
/// table's order.
pub const CATEGORIES: [&str; 3] = ["subscriber_data", "traffic_data", "content_data"];

/// The label `db::stats` gives the group of every order once (the totals
/// of `by=category`): not a measure word, so no category's.
pub const ALL_ORDERS: &str = "all";

/// The count columns.
pub const COUNTS: [&str; 4] = ["orders", "complied", "not_complied", "pending"];

/// Where an order stands on `as_of`.
pub const COMPLIED: &str = "complied";
pub const NOT_COMPLIED: &str = "not_complied";
pub const PENDING: &str = "pending";

/// What `db::stats` aggregates: the orders of one group (a category or
/// [`ALL_ORDERS`], or an addressee), emergency or not, outcome and day —
/// the days to data of a complied one, else the day it was censored —,
/// counted and keyed.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct OrderCount {
    #[diesel(sql_type = Text)]
    pub grp: String,
    #[diesel(sql_type = Integer)]
    pub emergency: i32,
    /// [`COMPLIED`], [`NOT_COMPLIED`] or [`PENDING`].
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Integer)]
    pub day: i32,
    #[diesel(sql_type = BigInt)]
    pub orders: i64,
    #[diesel(sql_type = BigInt)]
    pub orders_key: i64,
}

/// One row's orders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    /// The category or the addressee (`""` for the totals, or an order
    /// without an addressee).
    pub label: String,
    /// `None` in a row by addressee and in the totals.
    pub emergency: Option<bool>,
    pub orders: Cell,
    pub complied: Cell,
    pub not_complied: Cell,
    pub pending: Cell,
    /// Σ days to data over the complied orders.
    complied_days: u64,
    /// Day → (complied that day, censored that day).
    days: BTreeMap<u32, (Cell, Cell)>,
}

impl Group {
    fn add(&mut self, c: &OrderCount) {
        let cell = Cell::of(c.orders, c.orders_key);
        let day = c.day.max(0) as u32;
        self.orders = self.orders.plus(cell);
        let entry = self.days.entry(day).or_default();
        match c.outcome.as_str() {
            COMPLIED => {
                self.complied = self.complied.plus(cell);
                self.complied_days += u64::from(day) * cell.count;
                entry.0 = entry.0.plus(cell);
            }
            NOT_COMPLIED => {
                self.not_complied = self.not_complied.plus(cell);
                entry.1 = entry.1.plus(cell);
            }
            _ => {
                self.pending = self.pending.plus(cell);
                entry.1 = entry.1.plus(cell);
            }
        }
    }

    fn merge(&mut self, other: &Group) {
        self.orders = self.orders.plus(other.orders);
        self.complied = self.complied.plus(other.complied);
        self.not_complied = self.not_complied.plus(other.not_complied);
        self.pending = self.pending.plus(other.pending);
        self.complied_days += other.complied_days;
        for (day, (events, censored)) in &other.days {
            let entry = self.days.entry(*day).or_default();
            *entry = (entry.0.plus(*events), entry.1.plus(*censored));
        }
    }

    /// The exact mean days to data, `None` without a complied order.
    pub fn mean_days_to_data(&self) -> Option<f64> {
        (self.complied.count > 0).then(|| self.complied_days as f64 / self.complied.count as f64)
    }

    /// The per-day counts of the time to data, keyed, for [`grid`].
    fn keyed_days(&self) -> Vec<KeyedDay> {
        self.days
            .iter()
            .map(|(&day, &(events, censored))| KeyedDay {
                day,
                events,
                censored,
            })
            .collect()
    }
}

/// The whole table: its rows, then the totals (every order once).
#[derive(Debug, Clone, PartialEq)]
pub struct EEvidenceTable {
    pub by: By,
    pub rows: Vec<Group>,
    pub totals: Group,
}

/// Builds the table from what `db::stats` returned. By category: one row
/// per (category, emergency) with orders, categories in [`CATEGORIES`]'
/// order, non-emergency first, the totals from [`ALL_ORDERS`]. By
/// addressee: one row per addressee (byte order, the same on both
/// backends), the totals their sum (each order has one addressee).
pub fn table(by: By, counts: &[OrderCount]) -> EEvidenceTable {
    let mut groups: BTreeMap<(String, Option<bool>), Group> = BTreeMap::new();
    let mut totals = Group::default();
    for c in counts {
        let emergency = match by {
            By::Category => Some(c.emergency != 0),
            By::Addressee => None,
        };
        if by == By::Category && c.grp == ALL_ORDERS {
            totals.add(c);
            continue;
        }
        let group = groups
            .entry((c.grp.clone(), emergency))
            .or_insert_with(|| Group {
                label: c.grp.clone(),
                emergency,
                ..Group::default()
            });
        group.add(c);
    }
    if by == By::Addressee {
        for group in groups.values() {
            totals.merge(group);
        }
    }
    let mut rows: Vec<Group> = groups.into_values().collect();
    if by == By::Category {
        let rank = |g: &Group| CATEGORIES.iter().position(|&c| c == g.label);
        rows.retain(|g| rank(g).is_some());
        rows.sort_by_key(|g| (rank(g), g.emergency));
    }
    EEvidenceTable { by, rows, totals }
}

/// A row with its counts as `value` gives them, and its mean.
fn shown_row(by: By, group: &Group, value: impl Fn(Cell) -> u64, mean: Option<f64>) -> ShownRow {
    let mut row = ShownRow::new();
    match by {
        By::Category => {
            row.insert("data_category".into(), group.label.clone().into());
            row.insert("emergency".into(), group.emergency.into());
        }
        By::Addressee => {
            row.insert("addressee".into(), group.label.clone().into());
        }
    }
    for (name, cell) in [
        ("orders", group.orders),
        ("complied", group.complied),
        ("not_complied", group.not_complied),
        ("pending", group.pending),
    ] {
        row.insert(name.into(), value(cell).into());
    }
    row.insert("mean_days_to_data".into(), mean.into());
    row.insert("suppressed".into(), serde_json::Value::Array(Vec::new()));
    row
}

/// The exact table as shown: every figure, nothing hidden.
pub fn exact(table: &EEvidenceTable) -> ShownTable {
    let row = |g: &Group| shown_row(table.by, g, |c| c.count, g.mean_days_to_data());
    ShownTable {
        rows: table.rows.iter().map(row).collect(),
        totals: row(&table.totals),
    }
}

/// The published view (docs/DOMAIN.md §9): every count perturbed by its
/// cell key (the totals a cell of their own), the mean read from the life
/// table of perturbed counts (its published `orders` at risk); then counts
/// from 1 to `threshold` − 1 hidden, every figure but `orders` hidden
/// unless the published `orders` are [`super::large_enough`], and the mean
/// with `complied`.
///
/// The cells are not salted per category: two rows holding the same orders
/// count the same requests, so one noise gives both the same, true,
/// difference (0), and the same count is never drawn twice — neither here
/// nor against the country table narrowed to the same orders — to be
/// averaged (§9.5).
pub fn published(table: &EEvidenceTable, threshold: u64) -> ShownTable {
    let columns = table.by.columns();
    let row = |g: &Group| {
        let orders = g.orders.published();
        let mean = grid::estimate(&g.keyed_days(), orders).mean_event_day();
        let mut row = shown_row(table.by, g, Cell::published, mean);
        let mut hidden = super::small_counts(&row, &COUNTS, threshold);
        if !super::large_enough(orders, threshold) {
            hidden.extend(COUNTS.iter().skip(1));
            hidden.push("mean_days_to_data");
        }
        if hidden.contains(&"complied") {
            hidden.push("mean_days_to_data");
        }
        super::hide(&mut row, &columns, &hidden);
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

    fn count(grp: &str, emergency: i32, outcome: &str, day: i32, n: i64, key: i64) -> OrderCount {
        OrderCount {
            grp: grp.into(),
            emergency,
            outcome: outcome.into(),
            day,
            orders: n,
            orders_key: key,
        }
    }

    #[test]
    fn rows_follow_the_categories_and_add_up() {
        let counts = [
            count("content_data", 0, COMPLIED, 10, 2, 5),
            count("subscriber_data", 1, PENDING, 30, 1, 7),
            count("subscriber_data", 0, COMPLIED, 4, 3, 1 << 31),
            count("subscriber_data", 0, NOT_COMPLIED, 8, 1, 9),
            count(ALL_ORDERS, 0, COMPLIED, 4, 3, 1 << 31),
            count(ALL_ORDERS, 0, COMPLIED, 10, 2, 5),
            count(ALL_ORDERS, 0, NOT_COMPLIED, 8, 1, 9),
            count(ALL_ORDERS, 1, PENDING, 30, 1, 7),
        ];
        let t = table(By::Category, &counts);
        let labels: Vec<_> = t
            .rows
            .iter()
            .map(|g| (g.label.as_str(), g.emergency))
            .collect();
        assert_eq!(
            labels,
            [
                ("subscriber_data", Some(false)),
                ("subscriber_data", Some(true)),
                ("content_data", Some(false))
            ]
        );
        let s = &t.rows[0];
        assert_eq!(s.orders, Cell::of(4, (1 << 31) + 9));
        assert_eq!((s.complied.count, s.not_complied.count), (3, 1));
        assert_eq!(s.mean_days_to_data(), Some(4.0));
        assert_eq!(t.totals.orders.count, 7);
        assert_eq!(t.totals.mean_days_to_data(), Some(32.0 / 5.0));
        let shown = exact(&t);
        assert_eq!(shown.rows[1]["pending"], 1);
        assert_eq!(shown.rows[1]["mean_days_to_data"], serde_json::Value::Null);
        assert_eq!(shown.rows[0]["emergency"], false);
    }

    #[test]
    fn by_addressee_the_totals_are_the_rows_summed() {
        let counts = [
            count("Provider B", 0, COMPLIED, 3, 2, 11),
            count("", 0, PENDING, 50, 1, 13),
            count("Provider A", 0, NOT_COMPLIED, 9, 6, 17),
        ];
        let t = table(By::Addressee, &counts);
        let labels: Vec<_> = t.rows.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["", "Provider A", "Provider B"]);
        assert_eq!(t.totals.orders, Cell::of(9, 41));
        assert_eq!(exact(&t).rows[2]["addressee"], "Provider B");
        assert!(exact(&t).totals.get("emergency").is_none());
    }

    #[test]
    fn the_published_view_hides_small_rows_and_the_mean_with_complied() {
        // Key 2³¹ is u = 0.5 (noise 0), 3·2²⁹ is u = 0.375 (noise 0).
        let counts = [
            count("traffic_data", 0, COMPLIED, 20, 9, 1 << 31),
            count("traffic_data", 0, PENDING, 400, 3, 3 << 29),
            count("content_data", 1, COMPLIED, 20, 2, 3 << 29),
        ];
        let t = table(By::Category, &counts);
        let shown = published(&t, 5);
        let traffic = &shown.rows[0];
        let orders = t.rows[0].orders.published();
        assert_eq!(traffic["orders"], orders);
        assert_eq!(traffic["complied"], 9);
        assert_eq!(traffic["pending"], serde_json::Value::Null);
        // Nine events in (0, 30]: each at the midpoint.
        assert_eq!(traffic["mean_days_to_data"], 15.0);
        let content = &shown.rows[1];
        assert_eq!(content["orders"], serde_json::Value::Null);
        assert_eq!(
            content["suppressed"],
            serde_json::json!([
                "orders",
                "complied",
                "not_complied",
                "pending",
                "mean_days_to_data"
            ])
        );
        assert_eq!(content["mean_days_to_data"], serde_json::Value::Null);
    }

    #[test]
    fn by_is_category_or_addressee() {
        assert_eq!("category".parse(), Ok(By::Category));
        assert_eq!("addressee".parse(), Ok(By::Addressee));
        assert!("nonsense".parse::<By>().is_err());
        assert_eq!(
            By::Category.columns(),
            [
                "data_category",
                "emergency",
                "orders",
                "complied",
                "not_complied",
                "pending",
                "mean_days_to_data",
                "suppressed"
            ]
        );
    }
}
