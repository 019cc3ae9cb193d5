//! Statistics over the register, as `../shared/DESIGN.md` ("Statistics")
//! defines them. Pure computation: no HTTP, no database. The service feeds
//! these estimators with counts aggregated in SQL.

pub mod countries;
pub mod km;
pub mod suppress;

/// A table's row as shown: column name → value (`null` when hidden).
pub type ShownRow = serde_json::Map<String, serde_json::Value>;

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
