//! Writing the register's rows out: a CSV file or an XLSX workbook, with
//! the columns of [`Column::all`] under their headers in the reader's
//! language, page after page, so that the caller holds one page at a time.
//!
//! Text that a spreadsheet would run as a formula (OWASP's "CSV
//! injection") never runs: in CSV it is written after a `'`
//! ([`super::formulas::neutralised`]); in XLSX it is a string cell, which no spreadsheet
//! evaluates (`Worksheet::write_string` never writes a formula).

use std::io::Write;

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::Cell;
use super::columns::Column;
use super::formulas::neutralised;
use crate::domain::Language;
use crate::domain::request::MlaRequest;

/// The register's rows as CSV: UTF-8 with a byte-order mark (so that Excel
/// reads accents right), commas, CRLF line ends, quotes where a value
/// needs them; dates as `YYYY-MM-DD`, lists joined by `; `.
pub struct CsvSheet {
    language: Language,
}

impl CsvSheet {
    pub fn new(language: Language) -> CsvSheet {
        CsvSheet { language }
    }

    /// The file's start: the byte-order mark and the header row.
    pub fn start(&self) -> Vec<u8> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend(csv_line(Column::all().map(|c| c.header(self.language))));
        out
    }

    /// The lines of these requests.
    pub fn rows(&self, records: &[MlaRequest]) -> Vec<u8> {
        let mut out = Vec::with_capacity(records.len() * 512);
        for record in records {
            out.extend(csv_line(
                Column::all().map(|c| csv_text(c.cell(record, self.language))),
            ));
        }
        out
    }
}

/// One CSV line (with its CRLF) of these fields.
fn csv_line<S: AsRef<[u8]>>(fields: impl Iterator<Item = S>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(fields)
        .expect("writing to memory does not fail");
    writer
        .into_inner()
        .expect("writing to memory does not fail")
}

/// A cell as CSV text: text neutralised, a date as `YYYY-MM-DD`.
fn csv_text(cell: Cell) -> String {
    match cell {
        Cell::Text(text) => neutralised(&text).into_owned(),
        other => other.shown(),
    }
}

/// The register's rows as one XLSX worksheet: the header row bold, frozen
/// and filterable, dates as date cells, text as string cells, columns as
/// wide as the first page's values (a worksheet written row by row cannot
/// be measured at the end). Rows go to a temporary file as they are
/// written (rust_xlsxwriter's constant-memory worksheet), so memory does
/// not grow with the rows; [`XlsxSheet::finish`] writes the workbook out.
pub struct XlsxSheet {
    workbook: Workbook,
    sheet: Worksheet,
    language: Language,
    date: Format,
    /// The next row to write (0 is the header).
    next_row: u32,
    widths_set: bool,
}

/// The narrowest and widest a column is made, in characters.
const WIDTHS: (usize, usize) = (8, 50);

impl XlsxSheet {
    /// A workbook with the header row written.
    pub fn new(language: Language) -> Result<XlsxSheet, XlsxError> {
        let mut workbook = Workbook::new();
        let mut sheet = workbook.new_worksheet_with_constant_memory()?;
        sheet.set_name(match language {
            Language::En => "Requests",
            Language::Fr => "Demandes",
        })?;
        let bold = Format::new().set_bold();
        for (col, column) in (0..).zip(Column::all()) {
            sheet.write_string_with_format(0, col, column.header(language), &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        let date = Format::new().set_num_format(match language {
            Language::En => "yyyy-mm-dd",
            Language::Fr => "dd/mm/yyyy",
        });
        Ok(XlsxSheet {
            workbook,
            sheet,
            language,
            date,
            next_row: 1,
            widths_set: false,
        })
    }

    /// How many requests have been written.
    pub fn rows(&self) -> u32 {
        self.next_row - 1
    }

    /// Writes these requests' rows after the others.
    pub fn write(&mut self, records: &[MlaRequest]) -> Result<(), XlsxError> {
        if !self.widths_set {
            self.set_widths(records)?;
        }
        for record in records {
            for (col, column) in (0..).zip(Column::all()) {
                let row = self.next_row;
                match column.cell(record, self.language) {
                    Cell::Empty => {}
                    Cell::Text(text) => {
                        self.sheet.write_string(row, col, text)?;
                    }
                    Cell::Date(d) => {
                        let date = ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).map_err(|_| date_out_of_range(d))?,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        self.sheet
                            .write_datetime_with_format(row, col, date, &self.date)?;
                    }
                    Cell::Number(n) => {
                        self.sheet.write_number(row, col, n)?;
                    }
                    Cell::Bool(b) => {
                        self.sheet.write_boolean(row, col, b)?;
                    }
                }
            }
            self.next_row += 1;
        }
        Ok(())
    }

    /// Each column as wide as its header or the widest of `sample`'s
    /// values, within [`WIDTHS`].
    fn set_widths(&mut self, sample: &[MlaRequest]) -> Result<(), XlsxError> {
        for (col, column) in (0..).zip(Column::all()) {
            let widest = sample
                .iter()
                .map(|r| column.cell(r, self.language).shown().chars().count())
                .chain([column.header(self.language).chars().count()])
                .max()
                .unwrap_or(0);
            let width = widest.clamp(WIDTHS.0, WIDTHS.1) + 2;
            self.sheet.set_column_width(col, width as f64)?;
        }
        self.widths_set = true;
        Ok(())
    }

    /// Adds the filter to the header row and writes the workbook to `out`.
    pub fn finish(mut self, out: impl Write + Send) -> Result<(), XlsxError> {
        if !self.widths_set {
            self.set_widths(&[])?;
        }
        let last_col = (Column::all().count() - 1) as u16;
        self.sheet.autofilter(0, 0, self.next_row - 1, last_col)?;
        self.workbook.push_worksheet(self.sheet);
        self.workbook.save_to_writer(out)
    }
}

fn date_out_of_range(d: chrono::NaiveDate) -> XlsxError {
    XlsxError::ParameterError(format!("{d} is outside the dates a workbook holds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_starts_with_a_byte_order_mark_and_ends_lines_with_crlf() {
        let start = CsvSheet::new(Language::Fr).start();
        assert!(start.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(start[3..].to_vec()).unwrap();
        assert!(text.starts_with("Référence,Référence de l'affaire,Intitulé,"));
        assert!(text.ends_with("Observations\r\n"));
        assert_eq!(text.matches("\r\n").count(), 1);
    }
}
