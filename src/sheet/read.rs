//! Reading a spreadsheet file into a header and rows of cells.
//!
//! The file's kind is told by its bytes, not its name: a zip holding
//! `xl/workbook.xml` is an XLSX workbook, one whose `mimetype` says so an ODS
//! one, an OLE compound file is an encrypted (password-protected) workbook
//! or a legacy `.xls`, and anything else is read as CSV — UTF-8 (with or
//! without a byte-order mark) or, failing that, Windows-1252, separated by
//! commas or semicolons, whichever the header line uses more.
//!
//! Memory stays bounded whatever the file claims: the file's own size is
//! capped (`Limits::max_bytes`), a workbook is inflated once into nothing
//! before it is read, to prove that it unpacks to less than
//! `Limits::max_unpacked_bytes` (a "zip bomb" is refused after reading at
//! most that much), and CSV rows are read one at a time.

use std::io::{self, Cursor, Read};

use calamine::{Data, Ods, Range, Reader, Xlsx, open_workbook_from_rs};

use super::{Cell, serial_date};

/// The kinds of file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Ods,
    Csv,
}

/// How much a file may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The file's own size.
    pub max_bytes: u64,
    /// What a workbook (a zip) may unpack to, all its parts together.
    pub max_unpacked_bytes: u64,
    /// Data rows, the header not counted.
    pub max_rows: usize,
}

/// Why a file cannot be read; each says what to do about it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReadError {
    #[error(
        "the file is {size} bytes, over the limit of {limit} bytes: split it, or raise import.max_file_mb"
    )]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "the workbook unpacks to more than {limit} bytes (a compressed file this small cannot hold a register that large): it is refused as a possible zip bomb; save it again from the spreadsheet program, or as CSV"
    )]
    Bomb { limit: u64 },
    #[error(
        "the workbook is password-protected (encrypted): save a copy without a password, then import that"
    )]
    Encrypted,
    #[error(
        "this is a legacy Excel 97–2003 (.xls) workbook: save it as .xlsx, .ods or .csv, then import that"
    )]
    LegacyXls,
    #[error("the file cannot be read as {format}: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    #[error("the workbook has no sheet named `{0}`; its sheets are: {1}")]
    NoSuchSheet(String, String),
    #[error("the file is empty: its first row must name the columns")]
    Empty,
    #[error(
        "the sheet has more than {limit} rows: split it into files of at most {limit} rows, or raise import.max_rows"
    )]
    TooManyRows { limit: usize },
}

/// A sheet: its header row, its data rows, and how many there are (when
/// known before reading them: a workbook's).
pub struct Sheet {
    pub format: Format,
    pub header: Vec<String>,
    pub rows: Rows,
}

/// The data rows of a sheet, read one at a time: each with its row number
/// in the file (the header is row 1). Blank rows are skipped.
pub enum Rows {
    Workbook {
        range: Range<Data>,
        next: usize,
    },
    Csv {
        records: csv::StringRecordsIntoIter<Cursor<Vec<u8>>>,
        line: usize,
        limit: usize,
        /// Where each line ends in the text, for row numbers.
        newlines: Vec<usize>,
    },
}

impl Rows {
    /// The number of data rows, blank ones included: a workbook's exactly,
    /// a CSV file's from its lines (a quoted line break counts one more).
    pub fn len_hint(&self) -> usize {
        match self {
            Rows::Workbook { range, .. } => range.height().saturating_sub(1),
            Rows::Csv { newlines, .. } => newlines.len().saturating_sub(1),
        }
    }
}

impl Iterator for Rows {
    type Item = Result<(usize, Vec<Cell>), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (number, cells) = match self {
                Rows::Workbook { range, next } => {
                    let r = *next;
                    if r >= range.height() {
                        return None;
                    }
                    *next += 1;
                    let first = range.start().map_or(0, |(r, _)| r as usize);
                    let cells = (0..range.width())
                        .map(|c| range.get((r, c)).map_or(Cell::Empty, cell_of))
                        .collect::<Vec<_>>();
                    (first + r + 1, cells)
                }
                Rows::Csv {
                    records,
                    line,
                    limit,
                    newlines,
                } => {
                    let record = match records.next()? {
                        Ok(record) => record,
                        Err(e) => {
                            return Some(Err(ReadError::Malformed {
                                format: "CSV",
                                detail: e.to_string(),
                            }));
                        }
                    };
                    *line += 1;
                    if *line > *limit + 1 {
                        return Some(Err(ReadError::TooManyRows { limit: *limit }));
                    }
                    // The line the record starts on, counted from where it
                    // starts (with CRLF, a record starts on the LF: hence `<=`).
                    let number = record.position().map_or(*line, |p| {
                        newlines.partition_point(|&at| at <= p.byte() as usize) + 1
                    });
                    // A CSV cell the export neutralised (`'=…`) is read as
                    // it was written.
                    let cells = record
                        .iter()
                        .map(|text| text_cell(super::formulas::unneutralised(text)))
                        .collect();
                    (number, cells)
                }
            };
            if cells.iter().all(Cell::is_blank) {
                continue;
            }
            return Some(Ok((number, cells)));
        }
    }
}

/// Reads `bytes` as a spreadsheet: the sheet named `sheet`, or the first.
pub fn read(bytes: Vec<u8>, sheet: Option<&str>, limits: Limits) -> Result<Sheet, ReadError> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(ReadError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // An OLE compound file: Office puts an encrypted workbook in one,
        // as it did every workbook before 2007.
        let marker: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        return Err(if contains(&bytes, &marker) {
            ReadError::Encrypted
        } else {
            ReadError::LegacyXls
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let format = zip_format(&bytes, limits)?;
        return read_workbook(bytes, format, sheet, limits);
    }
    read_csv(bytes, limits)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Tells XLSX from ODS, after inflating every part into nothing to prove
/// the archive unpacks within the limit.
fn zip_format(bytes: &[u8], limits: Limits) -> Result<Format, ReadError> {
    let malformed = |detail: String| ReadError::Malformed {
        format: "a workbook",
        detail,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(e.to_string()))?;
    let mut budget = limits.max_unpacked_bytes;
    let mut format = None;
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(m) if m.contains("ncrypt") => {
                ReadError::Encrypted
            }
            e => malformed(e.to_string()),
        })?;
        if part.encrypted() {
            return Err(ReadError::Encrypted);
        }
        let name = part
            .name()
            .map_err(|e| malformed(e.to_string()))?
            .to_string();
        let mut head = Vec::new();
        let read = if name == "mimetype" {
            (&mut part)
                .take(budget + 1)
                .read_to_end(&mut head)
                .map(|n| n as u64)
        } else {
            io::copy(&mut (&mut part).take(budget + 1), &mut io::sink())
        }
        .map_err(|e| malformed(format!("its part `{name}`: {e}")))?;
        if read > budget {
            return Err(ReadError::Bomb {
                limit: limits.max_unpacked_bytes,
            });
        }
        budget -= read;
        match name.as_str() {
            "xl/workbook.xml" => format = Some(Format::Xlsx),
            "mimetype" if head.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") => {
                format = Some(Format::Ods)
            }
            _ => {}
        }
    }
    format.ok_or_else(|| {
        malformed("it is a zip archive, but neither an XLSX nor an ODS workbook".into())
    })
}

fn read_workbook(
    bytes: Vec<u8>,
    format: Format,
    sheet: Option<&str>,
    limits: Limits,
) -> Result<Sheet, ReadError> {
    let cursor = Cursor::new(bytes);
    let range = match format {
        Format::Xlsx => pick(
            open_workbook_from_rs::<Xlsx<_>, _>(cursor).map_err(|e| match e {
                calamine::XlsxError::Password => ReadError::Encrypted,
                e => ReadError::Malformed {
                    format: "XLSX",
                    detail: e.to_string(),
                },
            })?,
            sheet,
            "XLSX",
        )?,
        _ => pick(
            open_workbook_from_rs::<Ods<_>, _>(cursor).map_err(|e| match e {
                calamine::OdsError::Password => ReadError::Encrypted,
                e => ReadError::Malformed {
                    format: "ODS",
                    detail: e.to_string(),
                },
            })?,
            sheet,
            "ODS",
        )?,
    };
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .ok_or(ReadError::Empty)?
        .iter()
        .map(|c| cell_of(c).shown().trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(ReadError::Empty);
    }
    if range.height().saturating_sub(1) > limits.max_rows {
        return Err(ReadError::TooManyRows {
            limit: limits.max_rows,
        });
    }
    Ok(Sheet {
        format,
        header,
        rows: Rows::Workbook { range, next: 1 },
    })
}

/// The sheet named `name`, or the first one.
fn pick<R: Reader<Cursor<Vec<u8>>>>(
    mut workbook: R,
    name: Option<&str>,
    format: &'static str,
) -> Result<Range<Data>, ReadError>
where
    R::Error: std::fmt::Display,
{
    let names = workbook.sheet_names();
    let found = match name {
        Some(wanted) => names
            .iter()
            .find(|n| super::fold(n) == super::fold(wanted))
            .cloned()
            .ok_or_else(|| ReadError::NoSuchSheet(wanted.to_string(), names.join(", ")))?,
        None => names.first().cloned().ok_or(ReadError::Empty)?,
    };
    workbook
        .worksheet_range(&found)
        .map_err(|e| ReadError::Malformed {
            format,
            detail: e.to_string(),
        })
}

fn read_csv(bytes: Vec<u8>, limits: Limits) -> Result<Sheet, ReadError> {
    let text = decode(bytes);
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let newlines = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(Cursor::new(text.into_bytes()));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ReadError::Malformed {
            format: "CSV",
            detail: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(ReadError::Empty);
    }
    Ok(Sheet {
        format: Format::Csv,
        header,
        rows: Rows::Csv {
            records: reader.into_records(),
            line: 1,
            limit: limits.max_rows,
            newlines,
        },
    })
}

/// UTF-8 (its byte-order mark dropped), or else Windows-1252, which every
/// byte sequence is.
fn decode(bytes: Vec<u8>) -> String {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(e.as_bytes())
            .0
            .into_owned(),
    }
}

fn text_cell(text: &str) -> Cell {
    if text.trim().is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text.to_string())
    }
}

/// A workbook's cell: numbers, text, dates (by their serial number, or an
/// ODS date's ISO text), a formula by the value it last computed.
fn cell_of(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => text_cell(s),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            serial_date(dt.as_f64()).map_or(Cell::Number(dt.as_f64()), Cell::Date)
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(text) => text
            .get(..10)
            .and_then(|d| d.parse().ok())
            .map_or_else(|| text_cell(text), Cell::Date),
        Data::DurationIso(text) => text_cell(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const LIMITS: Limits = Limits {
        max_bytes: 1 << 20,
        max_unpacked_bytes: 1 << 20,
        max_rows: 10,
    };

    fn rows(sheet: Sheet) -> Vec<(usize, Vec<Cell>)> {
        sheet.rows.map(Result::unwrap).collect()
    }

    #[test]
    fn csv_with_semicolons_in_windows_1252_reads_with_its_accents() {
        let bytes = b"Pays requis;Date d'envoi\r\nPhilippines;03/02/2026\r\n;\r\nR\xe9publique tch\xe8que;2026-02-04\r\n".to_vec();
        let sheet = read(bytes, None, LIMITS).unwrap();
        assert_eq!(sheet.format, Format::Csv);
        assert_eq!(sheet.header, ["Pays requis", "Date d'envoi"]);
        let rows = rows(sheet);
        assert_eq!(rows.len(), 2, "the blank row is skipped: {rows:?}");
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[1].0, 4, "row numbers count the blank row");
        assert_eq!(rows[1].1[0], Cell::Text("République tchèque".into()));
    }

    #[test]
    fn utf8_with_a_byte_order_mark_and_commas() {
        let bytes = "\u{feff}Requested country,Date sent\nPhilippines,2026-02-03\n"
            .as_bytes()
            .to_vec();
        let sheet = read(bytes, None, LIMITS).unwrap();
        assert_eq!(sheet.header, ["Requested country", "Date sent"]);
        let rows = rows(sheet);
        assert_eq!(rows[0].0, 2, "the first row after the header is row 2");
        assert_eq!(rows[0].1[0], Cell::Text("Philippines".into()));
    }

    #[test]
    fn too_many_csv_rows_are_refused_with_the_limit() {
        let mut text = String::from("a\n");
        for i in 0..11 {
            text.push_str(&format!("{i}\n"));
        }
        let sheet = read(text.into_bytes(), None, LIMITS).unwrap();
        let outcome: Result<Vec<_>, _> = sheet.rows.collect();
        assert_eq!(outcome.unwrap_err(), ReadError::TooManyRows { limit: 10 });
    }

    #[test]
    fn an_oversized_or_empty_file_is_refused() {
        let big = vec![b'a'; (1 << 20) + 1];
        assert!(matches!(
            read(big, None, LIMITS),
            Err(ReadError::TooLarge { .. })
        ));
        assert!(matches!(
            read(Vec::new(), None, LIMITS),
            Err(ReadError::Empty)
        ));
    }

    #[test]
    fn an_ole_file_is_an_encrypted_workbook_or_a_legacy_one() {
        let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0, 0];
        encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            read(encrypted, None, LIMITS).err(),
            Some(ReadError::Encrypted)
        );
        assert_eq!(
            read(vec![0xD0, 0xCF, 0x11, 0xE0, 0, 0], None, LIMITS).err(),
            Some(ReadError::LegacyXls)
        );
    }

    #[test]
    fn a_zip_that_unpacks_past_the_limit_is_refused() {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/workbook.xml", options).unwrap();
        let zeros = vec![0u8; 1 << 16];
        for _ in 0..20 {
            zip.write_all(&zeros).unwrap();
        }
        zip.finish().unwrap();
        let bytes = out.into_inner();
        assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
        assert_eq!(
            read(bytes, None, LIMITS).err(),
            Some(ReadError::Bomb { limit: 1 << 20 })
        );
    }

    #[test]
    fn serial_numbers_are_days_from_the_end_of_1899() {
        assert_eq!(serial_date(45658.0), NaiveDate::from_ymd_opt(2025, 1, 1));
        assert_eq!(serial_date(61.0), NaiveDate::from_ymd_opt(1900, 3, 1));
        assert_eq!(serial_date(45658.75), NaiveDate::from_ymd_opt(2025, 1, 1));
        assert_eq!(serial_date(12.0), None);
    }
}
