//! Spreadsheets: reading a workbook (XLSX, ODS) or a CSV file into rows of
//! cells with bounded memory (`read`), and the register's columns as
//! people name them and write their values (`columns`), and the register
//! written out as CSV or XLSX page by page (`write`). Nothing here knows
//! the database: the importer and the export bring the records.

pub mod columns;
pub mod formulas;
pub mod read;
pub mod write;

use chrono::{Duration, NaiveDate};

/// One cell as the file stores it; a formula cell by its stored value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A cell the file types as a date (a workbook's date cell).
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    /// The cell as it reads in a report: a date in ISO form, a whole number
    /// without decimals.
    pub fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    /// Empty, or text that is only spaces.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }
}

/// Folds a header or a label for matching: lower case, French accents
/// dropped, every run of punctuation and spaces one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' | 'ì' => 'i',
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' | 'ý' => 'y',
            'ñ' => 'n',
            'œ' => {
                out.push('o');
                'e'
            }
            'æ' => {
                out.push('a');
                'e'
            }
            c => c,
        };
        if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The date of a spreadsheet serial number (1900 date system: day 1 is
/// 1900-01-01, and Lotus's phantom 1900-02-29 is day 60, so the days count
/// from 1899-12-30 for every date after it); `None` outside 1900–9999.
pub fn serial_date(serial: f64) -> Option<NaiveDate> {
    if !(61.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(serial as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("Date d’envoi"), "date d envoi");
        assert_eq!(fold("  DATE D'ENVOI "), "date d envoi");
        assert_eq!(fold("Pays requis :"), "pays requis");
        assert_eq!(fold("Émirats arabes unis"), "emirats arabes unis");
        assert_eq!(fold("Cœur"), "coeur");
        assert_eq!(fold("N° de parquet"), "n de parquet");
    }

    #[test]
    fn a_cell_shows_as_a_person_typed_it() {
        assert_eq!(Cell::Number(45123.0).shown(), "45123");
        assert_eq!(Cell::Number(1.5).shown(), "1.5");
        assert_eq!(
            Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).shown(),
            "2026-03-01"
        );
        assert!(Cell::Text("  ".into()).is_blank());
    }
}
