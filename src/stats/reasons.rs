//! Why requests were abandoned or refused (`GET /stats/abandonment-reasons`,
//! `GET /stats/refusal-grounds`): per country, the requests in that status on
//! `as_of` by reason (the vocabulary's words as columns) and their sum.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::aggregates::{Closure, ReasonCount};
use super::suppress::{self, Relations, RowSum};
use super::{ShownRow, ShownTable};
use crate::domain::{AbandonmentReason, CountryCode, RefusalGround};

/// One country's row, or the totals (country `""`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonRow {
    pub country: String,
    pub country_name: String,
    /// Reason → requests, every reason of the vocabulary present.
    pub by_reason: BTreeMap<&'static str, u64>,
    /// Σ `by_reason`: the column named after the status.
    pub total: u64,
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
fn counts(closure: Closure) -> &'static [&'static str] {
    relations(closure).column_totals
}

/// The table's arithmetic: in every row the status' count is the sum of the
/// reasons, and every column's total is the sum over the countries.
pub fn relations(closure: Closure) -> &'static Relations {
    fn declare(total: &'static str, reasons: Vec<&'static str>) -> Relations {
        let mut columns = reasons.clone();
        columns.push(total);
        let parts: &'static [&'static str] = Box::leak(reasons.into_boxed_slice());
        Relations {
            row_sums: Box::leak(Box::new([RowSum { total, parts }])),
            column_totals: Box::leak(columns.into_boxed_slice()),
            unpublished: &[],
        }
    }
    static ABANDONED: LazyLock<Relations> =
        LazyLock::new(|| declare("abandoned", reasons(Closure::Abandoned)));
    static REFUSED: LazyLock<Relations> =
        LazyLock::new(|| declare("refused", reasons(Closure::Refused)));
    match closure {
        Closure::Abandoned => &ABANDONED,
        Closure::Refused => &REFUSED,
    }
}

/// Builds the exact table from what `db::stats` returned. A reason outside
/// the vocabulary, or none (neither can come through the API), counts as
/// `other`, so that every row still adds up.
pub fn table(closure: Closure, counts: Vec<ReasonCount>) -> ReasonTable {
    let vocabulary = reasons(closure);
    let empty = |country: &str, country_name: &str| ReasonRow {
        country: country.to_string(),
        country_name: country_name.to_string(),
        by_reason: vocabulary.iter().map(|&r| (r, 0)).collect(),
        total: 0,
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
        let n = c.requests.max(0) as u64;
        for row in [row, &mut totals] {
            *row.by_reason.get_mut(reason).expect("every reason") += n;
            row.total += n;
        }
    }
    ReasonTable {
        closure,
        countries,
        totals,
    }
}

fn exact(closure: Closure, row: &ReasonRow) -> ShownRow {
    let mut out = ShownRow::new();
    out.insert("country".into(), row.country.clone().into());
    out.insert("country_name".into(), row.country_name.clone().into());
    for (reason, n) in &row.by_reason {
        out.insert((*reason).into(), (*n).into());
    }
    out.insert(closure.status().into(), row.total.into());
    out.insert("suppressed".into(), serde_json::Value::Array(Vec::new()));
    out
}

/// The table as a caller may see it: exact with `threshold` `None`, else
/// the published view under [`relations`].
pub fn shown(
    table: &ReasonTable,
    threshold: Option<u64>,
) -> Result<ShownTable, suppress::SuppressError> {
    let closure = table.closure;
    let rows: Vec<ShownRow> = table.countries.iter().map(|r| exact(closure, r)).collect();
    let totals = exact(closure, &table.totals);
    let Some(threshold) = threshold else {
        return Ok(ShownTable { rows, totals });
    };
    super::publish(
        &rows,
        &totals,
        &columns(closure),
        counts(closure),
        relations(closure),
        threshold,
        |_, _| Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(country: &str, reason: Option<&str>, requests: i64) -> ReasonCount {
        ReasonCount {
            country: country.into(),
            reason: reason.map(Into::into),
            requests,
        }
    }

    #[test]
    fn rows_add_up_and_unknown_reasons_are_other() {
        let t = table(
            Closure::Refused,
            vec![
                count("DE", Some("dual_criminality"), 3),
                count("DE", Some("de_minimis"), 2),
                count("PH", None, 1),
                count("PH", Some("data_protection"), 6),
            ],
        );
        assert_eq!(t.countries.len(), 2);
        assert_eq!(t.countries[0].total, 5);
        assert_eq!(t.countries[1].by_reason["other"], 1);
        assert_eq!(t.totals.total, 12);
        assert_eq!(t.totals.by_reason["dual_criminality"], 3);
        assert_eq!(t.totals.by_reason.len(), RefusalGround::ALL.len());
        let shown = shown(&t, Some(5)).unwrap();
        assert_eq!(shown.rows[0]["dual_criminality"], serde_json::Value::Null);
        assert_eq!(shown.totals["refused"], 12);
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

    /// Every reason is a part of the row's sum and has a column total, so
    /// the published view protects it (docs/DOMAIN.md §9.3).
    #[test]
    fn every_reason_is_in_the_relations() {
        for closure in [Closure::Abandoned, Closure::Refused] {
            let r = relations(closure);
            assert_eq!(r.row_sums.len(), 1);
            assert_eq!(r.row_sums[0].total, closure.status());
            assert_eq!(r.row_sums[0].parts, reasons(closure).as_slice());
            for reason in reasons(closure) {
                assert!(r.column_totals.contains(&reason), "{reason}");
            }
            assert!(r.column_totals.contains(&closure.status()));
        }
    }

    /// A row of the new reasons alone adds up, and a small count among them
    /// is hidden with enough others that the row's sum cannot give it back.
    #[test]
    fn new_reasons_are_counted_and_protected() {
        let t = table(
            Closure::Abandoned,
            vec![
                count("NG", Some("requested_state_unreachable"), 2),
                count("NG", Some("superseded_by_new_request"), 7),
                count("PH", Some("tried_without_evidence"), 6),
            ],
        );
        assert_eq!(t.countries[0].total, 9);
        assert_eq!(t.totals.by_reason["tried_without_evidence"], 6);
        let shown = shown(&t, Some(5)).unwrap();
        let ng = &shown.rows[0];
        assert_eq!(ng["requested_state_unreachable"], serde_json::Value::Null);
        assert_eq!(ng["superseded_by_new_request"], serde_json::Value::Null);
    }
}
