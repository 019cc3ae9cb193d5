//! Victims (`GET /stats/victims`): per country, the cases that sent it at
//! least one request of the population, and how many of those cases
//! identified victims (the case's `victims_identified`, docs/DOMAIN.md
//! §2.2 and §8.4).
//!
//! A case counts in every row it sent a request to, and once in the totals:
//! the rows do not add up to the totals. An area's row counts each case of
//! its countries once, so the counting walk finds the distinct cases per
//! row (`stats::register::Register::case_counts`, given the grouping)
//! rather than this module summing countries.
//!
//! A case's cell is keyed by the record keys of its requests counted in the
//! row, under [`CASES_SALT`]: a row whose cases each sent one request has
//! the very key of the country table's `requests` cell, and without the salt
//! the two would draw one noise.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};

use super::cellkey::Cell;
use super::{ShownRow, ShownTable};
use crate::domain::CountryCode;

/// Added to the key of a count of cases. Such a cell is keyed by the
/// requests of its cases, often the very requests of a cell of requests
/// (every case with one request in the row), and two cells with one key
/// share one noise: their published difference would be exact. Half the key
/// space: `u` moves by exactly one half, which never draws the same noise
/// from the perturbation table (docs/DOMAIN.md §9.2) and, the table being
/// symmetric, leaves the noise of either cell as hard to guess from their
/// difference as without it (1 in 2.5 at best, as from either alone).
pub const CASES_SALT: u32 = 0x8000_0000;

/// One row's cases, or the totals' (`country` `""`), with the sums of the
/// record keys of their requests counted in the row.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct CaseCounts {
    /// The country's code, or its area's M49 code; `""` for the totals.
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = BigInt)]
    pub cases: i64,
    #[diesel(sql_type = BigInt)]
    pub cases_key: i64,
    /// Of those, the cases with `victims_identified > 0`.
    #[diesel(sql_type = BigInt)]
    pub with_victims: i64,
    #[diesel(sql_type = BigInt)]
    pub with_victims_key: i64,
}

impl CaseCounts {
    /// The two counts as cells, unsalted.
    pub fn cells(&self) -> [Cell; 2] {
        [
            Cell::of(self.cases, self.cases_key),
            Cell::of(self.with_victims, self.with_victims_key),
        ]
    }
}

/// The rows (in code order) and the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct VictimsTable {
    pub rows: Vec<CaseCounts>,
    pub totals: CaseCounts,
}

/// The columns of a row, in the API's and the CSV's order.
pub const COLUMNS: [&str; 7] = [
    "country",
    "country_name",
    "cases",
    "cases_with_victims_identified",
    "share",
    "share_ci",
    "suppressed",
];

/// The counts, in [`CaseCounts::cells`] order.
const COUNTS: [&str; 2] = ["cases", "cases_with_victims_identified"];

/// The share and its interval, which give back the cases with victims with
/// the cases: hidden with them.
const FROM_VICTIMS: [&str; 2] = ["share", "share_ci"];

/// The table from the rows and the totals `db::stats` returned.
pub fn table(rows: Vec<CaseCounts>, totals: CaseCounts) -> VictimsTable {
    VictimsTable { rows, totals }
}

/// A row with each count shown as `value` gives it (its count, or its
/// published count).
fn shown_row(c: &CaseCounts, name: &str, value: impl Fn(Cell) -> u64) -> ShownRow {
    let [cases, with_victims] = c.cells().map(value);
    let (share, share_ci) = super::share(with_victims, cases);
    let mut out = ShownRow::new();
    out.insert("country".into(), c.country.clone().into());
    out.insert("country_name".into(), name.into());
    out.insert("cases".into(), cases.into());
    out.insert("cases_with_victims_identified".into(), with_victims.into());
    out.insert("share".into(), share.into());
    out.insert(
        "share_ci".into(),
        serde_json::to_value(share_ci).expect("an interval serialises"),
    );
    out.insert("suppressed".into(), serde_json::Value::Array(Vec::new()));
    out
}

/// The name of a row: its country's (an area's is put in by
/// [`super::regions::Grouping::relabel`]).
fn name_of(c: &CaseCounts) -> &'static str {
    CountryCode::parse(&c.country).map_or("?", |code| code.name())
}

/// The exact table as shown: every figure, nothing hidden.
pub fn exact(table: &VictimsTable) -> ShownTable {
    let row = |c: &CaseCounts, name: &str| shown_row(c, name, |cell| cell.count);
    ShownTable {
        rows: table.rows.iter().map(|c| row(c, name_of(c))).collect(),
        totals: row(&table.totals, "All countries"),
    }
}

/// The published view (docs/DOMAIN.md §9): both counts perturbed by their
/// cells under [`CASES_SALT`] (the totals as cells of their own), the share
/// and its interval from the published counts; then counts from 1 to
/// `threshold` − 1 hidden, the cases with victims and the share hidden
/// unless the row's published cases are [`super::large_enough`], and the
/// share with the cases with victims.
pub fn published(table: &VictimsTable, threshold: u64) -> ShownTable {
    let row = |c: &CaseCounts, name: &str| {
        let mut row = shown_row(c, name, |cell| cell.salted(CASES_SALT).published());
        let mut hidden = super::small_counts(&row, &COUNTS, threshold);
        let cases = row["cases"].as_u64().unwrap_or(0);
        if !super::large_enough(cases, threshold) {
            hidden.push("cases_with_victims_identified");
        }
        if hidden.contains(&"cases_with_victims_identified") {
            hidden.extend(FROM_VICTIMS);
        }
        super::hide(&mut row, &COLUMNS, &hidden);
        row
    };
    ShownTable {
        rows: table.rows.iter().map(|c| row(c, name_of(c))).collect(),
        totals: row(&table.totals, "All countries"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(country: &str, cases: (i64, i64), with_victims: (i64, i64)) -> CaseCounts {
        CaseCounts {
            country: country.into(),
            cases: cases.0,
            cases_key: cases.1,
            with_victims: with_victims.0,
            with_victims_key: with_victims.1,
        }
    }

    #[test]
    fn the_exact_view_shows_counts_and_the_share() {
        let t = table(
            vec![counts("PH", (8, 0), (2, 0))],
            counts("", (9, 0), (2, 0)),
        );
        let shown = exact(&t);
        let ph = &shown.rows[0];
        assert_eq!(ph["country_name"], "Philippines");
        assert_eq!((&ph["cases"], &ph["share"]), (&8.into(), &0.25.into()));
        let (low, high) = super::super::wilson::wilson(2, 8).unwrap();
        assert_eq!(ph["share_ci"], serde_json::json!([low, high]));
        assert_eq!(shown.totals["country_name"], "All countries");
        assert_eq!(shown.totals["cases"], 9);
        // An empty population: zeros, nothing estimated.
        let empty = exact(&table(Vec::new(), CaseCounts::default()));
        assert_eq!(empty.totals["cases"], 0);
        assert!(empty.totals["share"].is_null() && empty.totals["share_ci"].is_null());
    }

    /// The attacker suite's "cases less requests": a country whose cases
    /// each sent it one request keys its cases cell like the country
    /// table's `requests` cell; unsalted, both drew one noise.
    #[test]
    fn cases_and_requests_of_the_same_requests_draw_apart() {
        for key in [0u32, 1 << 30, 3 << 29, 1 << 31, 7 << 29, u32::MAX] {
            let requests = Cell { count: 20, key };
            let cases = Cell { count: 20, key }.salted(CASES_SALT);
            assert_ne!(
                super::super::cellkey::noise(requests),
                super::super::cellkey::noise(cases),
                "key {key}"
            );
        }
        // Over the key space, never the same noise.
        let steps = 10_000u64;
        for i in 0..steps {
            let key = (i * super::super::cellkey::KEY_SPACE / steps) as u32;
            let (a, b) = (
                Cell { count: 9, key },
                Cell { count: 9, key }.salted(CASES_SALT),
            );
            assert_ne!(
                super::super::cellkey::noise(a),
                super::super::cellkey::noise(b)
            );
        }
    }

    #[test]
    fn the_published_view_hides_small_counts_and_small_rows() {
        // Key 2³¹, salted: u = 0, noise −2. Key 0, salted: u = 0.5, noise 0.
        let t = table(
            vec![
                counts("DE", (12, 1 << 31), (3, 0)),
                counts("NG", (3, 0), (3, 0)),
            ],
            counts("", (15, 0), (6, 0)),
        );
        let shown = published(&t, 5);
        let de = &shown.rows[0];
        assert_eq!(de["cases"], 10);
        assert!(de["cases_with_victims_identified"].is_null());
        assert_eq!(
            de["suppressed"],
            serde_json::json!(["cases_with_victims_identified", "share", "share_ci"])
        );
        // 3 cases: hidden, and nothing else shown.
        let ng = &shown.rows[1];
        assert!(ng["cases"].is_null() && ng["share"].is_null());
        let totals = &shown.totals;
        assert_eq!(
            (&totals["cases"], &totals["share"]),
            (&15.into(), &0.4.into())
        );
        assert_eq!(totals["suppressed"], serde_json::json!([]));
    }
}
