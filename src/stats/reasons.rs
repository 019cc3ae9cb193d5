//! Why requests were abandoned or refused (`GET /stats/abandonment-reasons`,
//! `GET /stats/refusal-grounds`): per country, the requests in that status on
//! `as_of` by reason (the vocabulary's words as columns) and their sum.

use super::aggregates::{Closure, ReasonCount};
use super::cellkey::Cell;
use super::{ShownRow, ShownTable};
use crate::domain::{AbandonmentReason, CountryCode, RefusalGround};
use std::collections::BTreeMap;

/// One country's row, or the totals (country `""`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonRow {
    pub country: String,
    pub country_name: String,
    /// Reason → requests (with their cell), every reason of the
    /// vocabulary present.
    pub by_reason: BTreeMap<&'static str, Cell>,
    /// Σ `by_reason`: the column named after the status.
    pub total: Cell,
}

/// The whole table: countries with at least one such request (code order)
/// and the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonTable {
    pub closure: Closure,
    pub countries: Vec<ReasonRow>,
    pub totals: ReasonRow,
}

/// The reasons of `closure`, in the vocabulary's order.
pub fn reasons(closure: Closure) -> Vec<&'static str> {
    match closure {
        Closure::Abandoned => AbandonmentReason::ALL.iter().map(|r| r.as_str()).collect(),
        Closure::Refused => RefusalGround::ALL.iter().map(|r| r.as_str()).collect(),
    }
}

/// The columns of a row, in the API's and the CSV's order: `country`,
/// `country_name`, the reasons, the status (their sum), `suppressed`.
pub fn columns(closure: Closure) -> Vec<&'static str> {
    let mut columns = vec!["country", "country_name"];
    columns.extend(reasons(closure));
    columns.extend([closure.status(), "suppressed"]);
    columns
}

/// The count columns: the reasons and their sum.
fn counts(closure: Closure) -> Vec<&'static str> {
    let mut counts = reasons(closure);
    counts.push(closure.status());
    counts
}

/// Builds the exact table from what `db::stats` returned. A reason outside
/// the vocabulary, or none (neither can come through the API), counts as
/// `other`, so that every row still adds up.
pub fn table(closure: Closure, counts: Vec<ReasonCount>) -> ReasonTable {
    let vocabulary = reasons(closure);
    let empty = |country: &str, country_name: &str| ReasonRow {
        country: country.to_string(),
        country_name: country_name.to_string(),
        by_reason: vocabulary.iter().map(|&r| (r, Cell::default())).collect(),
        total: Cell::default(),
    };
    let mut totals = empty("", "All countries");
    let mut countries: Vec<ReasonRow> = Vec::new();
    for c in counts {
        if countries.last().is_none_or(|row| row.country != c.country) {
            let name = CountryCode::parse(&c.country).map_or("?", |code| code.name());
            countries.push(empty(&c.country, name));
        }
        let row = countries.last_mut().expect("just pushed");
        let reason = vocabulary
            .iter()
            .copied()
            .find(|&r| c.reason.as_deref() == Some(r))
            .unwrap_or("other");
        let cell = Cell::of(c.requests, c.requests_key);
        for row in [row, &mut totals] {
            let by_reason = row.by_reason.get_mut(reason).expect("every reason");
            *by_reason = by_reason.plus(cell);
            row.total = row.total.plus(cell);
        }
    }
    ReasonTable {
        closure,
        countries,
        totals,
    }
}

/// A row with each cell shown as `value` gives it (its count, or its
/// published count).
fn shown_row(closure: Closure, row: &ReasonRow, value: impl Fn(Cell) -> u64) -> ShownRow {
    let mut out = ShownRow::new();
    out.insert("country".into(), row.country.clone().into());
    out.insert("country_name".into(), row.country_name.clone().into());
    for (reason, cell) in &row.by_reason {
        out.insert((*reason).into(), value(*cell).into());
    }
    out.insert(closure.status().into(), value(row.total).into());
    out.insert("suppressed".into(), serde_json::Value::Array(Vec::new()));
    out
}

/// The exact table as shown: every count, nothing hidden.
pub fn exact(table: &ReasonTable) -> ShownTable {
    let row = |r: &ReasonRow| shown_row(table.closure, r, |c| c.count);
    ShownTable {
        rows: table.countries.iter().map(row).collect(),
        totals: row(&table.totals),
    }
}

/// The published view: every count perturbed by its cell key (each row's
/// sum and the totals as cells of their own, not sums of what is shown),
/// then counts from 1 to `threshold` − 1 hidden, and a row's reasons hidden
/// unless its sum is [`super::large_enough`].
pub fn published(table: &ReasonTable, threshold: u64) -> ShownTable {
    let closure = table.closure;
    let (columns, counts) = (columns(closure), counts(closure));
    let row = |r: &ReasonRow| {
        let mut row = shown_row(closure, r, Cell::published);
        let mut hidden = super::small_counts(&row, &counts, threshold);
        let total = row[closure.status()].as_u64().unwrap_or(0);
        if !super::large_enough(total, threshold) {
            hidden.extend(reasons(closure));
        }
        super::hide(&mut row, &columns, &hidden);
        row
    };
    ShownTable {
        rows: table.countries.iter().map(row).collect(),
        totals: row(&table.totals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count whose requests' keys sum to `key` (distinct per call site).
    fn count(country: &str, reason: Option<&str>, requests: i64, key: i64) -> ReasonCount {
        ReasonCount {
            country: country.into(),
            reason: reason.map(Into::into),
            requests,
            requests_key: key,
        }
    }

    #[test]
    fn rows_add_up_and_unknown_reasons_are_other() {
        let t = table(
            Closure::Refused,
            vec![
                count("DE", Some("dual_criminality"), 3, 1 << 31),
                count("DE", Some("de_minimis"), 2, 77),
                count("PH", None, 1, 5),
                count("PH", Some("data_protection"), 6, 1 << 30),
            ],
        );
        assert_eq!(t.countries.len(), 2);
        assert_eq!(t.countries[0].total, Cell::of(5, (1 << 31) + 77));
        assert_eq!(t.countries[1].by_reason["other"].count, 1);
        assert_eq!(t.totals.total.count, 12);
        assert_eq!(t.totals.by_reason["dual_criminality"].count, 3);
        assert_eq!(t.totals.by_reason.len(), RefusalGround::ALL.len());
        let exact = exact(&t);
        assert_eq!(exact.rows[0]["dual_criminality"], 3);
        assert_eq!(exact.totals["refused"], 12);
    }

    #[test]
    fn the_published_view_perturbs_each_cell_and_hides_small_ones() {
        let t = table(
            Closure::Abandoned,
            vec![
                count("NG", Some("requested_state_unreachable"), 2, 3 << 29),
                count("NG", Some("superseded_by_new_request"), 7, 1 << 31),
                count("PH", Some("tried_without_evidence"), 6, 12345),
            ],
        );
        assert_eq!(t.countries[0].total.count, 9);
        let shown = published(&t, 5);
        let ng = &shown.rows[0];
        // Key 3·2²⁹ is u = 0.375: noise 0, so 2 is published as 2 — small.
        assert_eq!(ng["requested_state_unreachable"], serde_json::Value::Null);
        // Key 2³¹ is u = 0.5: noise 0.
        assert_eq!(ng["superseded_by_new_request"], 7);
        assert_eq!(
            ng["suppressed"],
            serde_json::json!(["requested_state_unreachable"])
        );
        // The row's sum and the totals are cells of their own.
        assert_eq!(ng["abandoned"], t.countries[0].total.published());
        assert_eq!(shown.totals["abandoned"], t.totals.total.published());
        // A reason with no request stays 0.
        assert_eq!(ng["no_response"], 0);
    }

    #[test]
    fn columns_follow_the_vocabulary() {
        let c = columns(Closure::Abandoned);
        assert_eq!(c.len(), AbandonmentReason::ALL.len() + 4);
        assert_eq!(&c[..3], ["country", "country_name", "no_response"]);
        assert_eq!(&c[c.len() - 2..], ["abandoned", "suppressed"]);
        assert_eq!(counts(Closure::Refused).len(), RefusalGround::ALL.len() + 1);
    }

    /// A reason named like a fixed column would overwrite it in a row.
    #[test]
    fn no_reason_is_named_like_another_column() {
        for closure in [Closure::Abandoned, Closure::Refused] {
            let c = columns(closure);
            let unique: std::collections::BTreeSet<_> = c.iter().collect();
            assert_eq!(unique.len(), c.len(), "{c:?}");
        }
    }
}
