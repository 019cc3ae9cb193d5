//! Statistics over the register, as docs/DOMAIN.md ("Statistics") defines
//! them. Pure computation: no HTTP, no database. The services feed these
//! estimators with the counts `db::stats` aggregates in SQL
//! ([`aggregates`]).

pub mod aggregates;
pub mod charts;
pub mod countries;
pub mod curves;
pub mod km;
pub mod reasons;
pub mod suppress;
pub mod timeline;

use std::collections::BTreeMap;

/// A table's row as shown: column name → value (`null` when hidden).
pub type ShownRow = serde_json::Map<String, serde_json::Value>;

/// A table as shown to one caller: its rows, then the totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShownTable {
    pub rows: Vec<ShownRow>,
    pub totals: ShownRow,
}

/// An exact row (a struct's fields) with nothing suppressed.
pub fn exact_row<T: serde::Serialize>(figures: &T) -> ShownRow {
    let serde_json::Value::Object(mut row) =
        serde_json::to_value(figures).expect("figures serialize")
    else {
        unreachable!("a struct serializes to an object")
    };
    row.insert("suppressed".into(), serde_json::Value::Array(Vec::new()));
    row
}

/// The published view of a table of exact rows (see [`exact_row`]): the
/// `counts` suppressed by [`suppress::suppress`] under `relations`, then,
/// per row, whatever `derived` names as built on them (a median over too few
/// or hidden requests) hidden as well. Hidden values become `null` and are
/// listed in `suppressed`, in `columns` order. Rows are labelled for the
/// suppression's tie-breaking by their first column.
pub fn publish(
    rows: &[ShownRow],
    totals: &ShownRow,
    columns: &[&str],
    counts: &[&'static str],
    relations: &suppress::Relations,
    threshold: u64,
    derived: impl Fn(&ShownRow, &suppress::PublishedRow) -> Vec<&'static str>,
) -> Result<ShownTable, suppress::SuppressError> {
    let cells = |row: &ShownRow| suppress::Row {
        label: row
            .get(columns[0])
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string(),
        cells: counts
            .iter()
            .map(|&field| (field, row[field].as_u64().expect("a count")))
            .collect::<BTreeMap<_, _>>(),
    };
    let published = suppress::suppress(
        &suppress::Table {
            rows: rows.iter().map(cells).collect(),
            totals: cells(totals),
        },
        relations,
        threshold,
    )?;
    let hide = |exact: &ShownRow, p: &suppress::PublishedRow| -> ShownRow {
        let mut row = exact.clone();
        let mut hidden: Vec<&str> = p.suppressed.iter().copied().collect();
        hidden.extend(derived(exact, p));
        for field in &hidden {
            row.insert((*field).into(), serde_json::Value::Null);
        }
        let in_order: Vec<serde_json::Value> = columns
            .iter()
            .filter(|c| hidden.contains(c))
            .map(|c| serde_json::Value::from(*c))
            .collect();
        row.insert("suppressed".into(), serde_json::Value::Array(in_order));
        row
    };
    Ok(ShownTable {
        rows: rows
            .iter()
            .zip(&published.rows)
            .map(|(r, p)| hide(r, p))
            .collect(),
        totals: hide(totals, &published.totals),
    })
}

/// Rows as CSV: a header of `columns`, then one line per row in that column
/// order; hidden values are empty, and a list (`suppressed`) is joined by `;`.
pub fn to_csv(columns: &[&str], rows: &[&ShownRow]) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(columns)?;
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match row.get(*c) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                Some(other) => other.to_string(),
            })
            .collect();
        out.write_record(&cells)?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}
