//! Statistics over the register, as docs/DOMAIN.md ("Statistics") defines
//! them. Pure computation: no HTTP, no database. The services feed these
//! estimators with the counts `db::stats` aggregates in SQL
//! ([`aggregates`]).

pub mod aggregates;
pub mod cellkey;
pub mod charts;
pub mod chasing;
pub mod cohorts;
pub mod countries;
pub mod curves;
pub mod eevidence;
pub mod grid;
pub mod km;
pub mod reasons;
pub mod regions;
pub mod register;
pub mod release;
pub mod timeline;
pub mod victims;
pub mod wilson;

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

/// A survival estimate the tables read their medians and shares from: the
/// exact Kaplan–Meier curve, or the published view's life table.
pub trait Survival {
    /// Whether any request was observed (else there is nothing to read).
    fn observed(&self) -> bool;
    /// The median time, `None` when not reached.
    fn median(&self) -> Option<u32>;
    /// The 95 % interval of the median; an end is `None` when not reached.
    fn median_interval(&self) -> (Option<u32>, Option<u32>);
    /// The share still waiting `t` days after sending, with its 95 %
    /// interval; `None` when no request was followed that long (not
    /// estimable), unless every one had its event before.
    fn share_at(&self, t: u32) -> Option<Share>;
    /// The mean delay over the requests that had their event, those still
    /// waiting left out: the figure official reports quote.
    fn mean_event_day(&self) -> Option<f64>;
}

/// An estimated share with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Survival for km::Curve {
    fn observed(&self) -> bool {
        self.requests() > 0
    }
    fn median(&self) -> Option<u32> {
        km::Curve::median(self)
    }
    fn median_interval(&self) -> (Option<u32>, Option<u32>) {
        km::Curve::median_interval(self)
    }
    fn mean_event_day(&self) -> Option<f64> {
        km::Curve::mean_event_day(self)
    }
    fn share_at(&self, t: u32) -> Option<Share> {
        let last = self.steps().last()?;
        if t > last.day && last.survival > 0.0 {
            return None;
        }
        let (low, high) = self.interval_at(t);
        Some(Share {
            value: self.survival_at(t),
            low,
            high,
        })
    }
}

impl Survival for grid::GridCurve {
    fn observed(&self) -> bool {
        !self.is_empty()
    }
    fn median(&self) -> Option<u32> {
        grid::GridCurve::median(self)
    }
    fn median_interval(&self) -> (Option<u32>, Option<u32>) {
        grid::GridCurve::median_interval(self)
    }
    fn mean_event_day(&self) -> Option<f64> {
        grid::GridCurve::mean_event_day(self)
    }
    fn share_at(&self, t: u32) -> Option<Share> {
        self.share_at(t).map(|p| Share {
            value: p.survival,
            low: p.lower,
            high: p.upper,
        })
    }
}

/// `part / whole` and its Wilson 95 % interval `[low, high]`, `None` without
/// a `whole` (a published `part` may exceed its published `whole`: the
/// share is then 1).
pub fn share(part: u64, whole: u64) -> (Option<f64>, Option<[f64; 2]>) {
    let interval = wilson::wilson(part, whole).map(|(low, high)| [low, high]);
    (
        (whole > 0).then(|| part.min(whole) as f64 / whole as f64),
        interval,
    )
}

/// Whether a published count is too small to show: from 1 to the
/// threshold − 1 (a published 0 may stand for 0, 1 or 2 requests).
pub fn small(count: u64, threshold: u64) -> bool {
    (1..threshold).contains(&count)
}

/// Whether a row whose total is published as `total` certainly holds at
/// least `threshold` requests (the noise is at most
/// [`cellkey::MAX_NOISE`]): only then are its other counts and its
/// estimates shown. In a row of a few requests — a filter narrowed to one —
/// the one count hidden among zeros would be the request's own status.
pub fn large_enough(total: u64, threshold: u64) -> bool {
    total >= threshold + cellkey::MAX_NOISE
}

/// The counts among `fields` of `row` that are [`small`].
pub fn small_counts(row: &ShownRow, fields: &[&'static str], threshold: u64) -> Vec<&'static str> {
    fields
        .iter()
        .copied()
        .filter(|f| {
            row.get(*f)
                .and_then(|v| v.as_u64())
                .is_some_and(|v| small(v, threshold))
        })
        .collect()
}

/// Hides `hidden` in `row`: each becomes `null`, and `suppressed` lists
/// them in `columns` order.
pub fn hide(row: &mut ShownRow, columns: &[&str], hidden: &[&str]) {
    for field in hidden {
        row.insert((*field).into(), serde_json::Value::Null);
    }
    let in_order: Vec<serde_json::Value> = columns
        .iter()
        .filter(|c| hidden.contains(c))
        .map(|c| serde_json::Value::from(*c))
        .collect();
    row.insert("suppressed".into(), serde_json::Value::Array(in_order));
}

/// Per-day counts with their keys, per group and pooled.
pub fn keyed_days<'a>(
    days: impl IntoIterator<Item = (&'a str, grid::KeyedDay)>,
) -> (BTreeMap<String, Vec<grid::KeyedDay>>, Vec<grid::KeyedDay>) {
    let mut by_group: BTreeMap<String, Vec<grid::KeyedDay>> = BTreeMap::new();
    let mut pooled = Vec::new();
    for (group, day) in days {
        pooled.push(day);
        by_group.entry(group.to_string()).or_default().push(day);
    }
    (by_group, pooled)
}

/// Rows as CSV: a header of `columns`, then one line per row in that column
/// order; hidden values are empty, and a list (`suppressed`) is joined by
/// `;`. An interval (a column ending in `_ci`, `[low, high]`) takes two
/// columns, `…_ci_low` and `…_ci_high`, so that a spreadsheet reads numbers.
pub fn to_csv(columns: &[&str], rows: &[&ShownRow]) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = Vec::with_capacity(columns.len());
    for c in columns {
        if c.ends_with("_ci") {
            header.push(format!("{c}_low"));
            header.push(format!("{c}_high"));
        } else {
            header.push((*c).to_string());
        }
    }
    out.write_record(&header)?;
    let text = |value: Option<&serde_json::Value>| match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        Some(other) => other.to_string(),
    };
    for row in rows {
        let mut cells = Vec::with_capacity(header.len());
        for c in columns {
            let value = row.get(*c);
            if c.ends_with("_ci") {
                let ends = value.and_then(|v| v.as_array());
                cells.push(text(ends.and_then(|e| e.first())));
                cells.push(text(ends.and_then(|e| e.get(1))));
            } else {
                cells.push(text(value));
            }
        }
        out.write_record(&cells)?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}
