//! One row of the file, read: its cells by column, the descriptive fields
//! it gives (as the API names them), the lifecycle it describes, and its
//! problems, each named by the column at fault.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::domain::vocab::Vocabulary;
use crate::domain::{
    AbandonmentReason, Channel, Facilitator, FieldErrors, LegalBasis, Measure, Offence, Priority,
    RefusalGround, Status,
};
use crate::sheet::Cell;
use crate::sheet::columns::{self, Column, Unreadable};
use serde::Serialize;

/// Something wrong with a row, or with the file (row 1 is the header).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub row: usize,
    /// The header of the column at fault, as the file writes it (or the
    /// column's English name when the file lacks it).
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
    pub suggestion: Option<String>,
}

/// The file's columns: which column each position is, and its header.
pub(super) struct Layout {
    pub(super) at: Vec<Option<Column>>,
    pub(super) headers: HashMap<Column, String>,
}

impl Layout {
    pub(super) fn header(&self, column: Column) -> String {
        self.headers
            .get(&column)
            .cloned()
            .unwrap_or_else(|| column.header(crate::domain::Language::En).to_string())
    }
}

/// A row's cells by column: present columns only.
pub(super) struct Row {
    pub(super) number: usize,
    pub(super) cells: HashMap<Column, Cell>,
}

impl Row {
    pub(super) fn has(&self, column: Column) -> bool {
        self.cells.contains_key(&column)
    }

    pub(super) fn cell(&self, column: Column) -> &Cell {
        self.cells.get(&column).unwrap_or(&Cell::Empty)
    }
}

/// Problems of one row, named by column.
pub(super) struct Trouble<'a> {
    pub(super) row: &'a Row,
    pub(super) layout: &'a Layout,
    pub(super) found: Vec<Problem>,
}

impl Trouble<'_> {
    pub(super) fn add(&mut self, column: Option<Column>, message: impl Into<String>) {
        self.add_with(column, message.into(), None);
    }

    pub(super) fn add_with(
        &mut self,
        column: Option<Column>,
        message: String,
        suggestion: Option<String>,
    ) {
        let value = column
            .map(|c| self.row.cell(c).shown())
            .filter(|v| !v.is_empty());
        self.found.push(Problem {
            row: self.row.number,
            column: column.map(|c| self.layout.header(c)),
            value,
            message,
            suggestion: suggestion.map(|s| format!("did you mean {s}?")),
        });
    }

    pub(super) fn unreadable(&mut self, column: Column, e: Unreadable) {
        self.add_with(Some(column), e.message, e.suggestion);
    }

    /// Field errors of the domain (by API field name), by column.
    pub(super) fn fields(&mut self, errors: FieldErrors, date_column: Option<Column>) {
        for (field, messages) in errors.0 {
            let column = column_of_field(&field).or(date_column);
            for message in messages {
                self.add(column, message);
            }
        }
    }

    pub(super) fn read<T>(
        &mut self,
        column: Column,
        r: std::result::Result<T, Unreadable>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.unreadable(column, e);
                None
            }
        }
    }
}

/// The column an API field's error belongs to.
pub(super) fn column_of_field(field: &str) -> Option<Column> {
    let head = field.split(['[', '.']).next().unwrap_or(field);
    Some(match (head, field) {
        (_, "issuing_magistrate.court") => Column::Court,
        (_, "issuing_magistrate.email") => Column::MagistrateEmail,
        ("issuing_magistrate", _) => Column::Magistrate,
        ("reference", _) => Column::Reference,
        ("case_reference" | "case_id", _) => Column::CaseReference,
        ("title", _) => Column::Title,
        ("target_country", _) => Column::TargetCountry,
        ("requested_authority", _) => Column::RequestedAuthority,
        ("channel", _) => Column::Channel,
        ("facilitators", _) => Column::Facilitators,
        ("legal_basis", _) => Column::LegalBasis,
        ("legal_basis_detail", _) => Column::LegalBasisDetail,
        ("offences", _) => Column::Offences,
        ("measures", _) => Column::Measures,
        ("priority", _) => Column::Priority,
        ("coordinator_email", _) => Column::CoordinatorEmail,
        ("foreign_reference", _) => Column::ForeignReference,
        ("needed_by", _) => Column::NeededBy,
        ("outcome_note" | "note", _) => Column::OutcomeNote,
        ("sent_at" | "sent_time", _) => Column::SentAt,
        ("abandonment_reason", _) => Column::AbandonmentReason,
        ("refusal_ground", _) => Column::RefusalGround,
        _ => return None,
    })
}

/// The lifecycle a row describes. For dates, `None`: the file has no such
/// column; `Some(None)`: the cell is blank.
#[derive(Debug, Default)]
pub(super) struct Target {
    pub(super) status: Option<Status>,
    pub(super) status_since: Option<Option<NaiveDate>>,
    pub(super) sent: Option<Option<NaiveDate>>,
    pub(super) acknowledged: Option<Option<NaiveDate>>,
    pub(super) answered: Option<Option<NaiveDate>>,
    pub(super) closed: Option<Option<NaiveDate>>,
    pub(super) abandonment_reason: Option<AbandonmentReason>,
    pub(super) refusal_ground: Option<RefusalGround>,
    pub(super) outcome_note: Option<String>,
}

/// The descriptive fields the row gives, as the API names them (a blank
/// cell clears an optional field).
pub(super) fn descriptive(row: &Row, trouble: &mut Trouble) -> Map<String, Value> {
    // The text columns the row has, under their keys; a blank `required`
    // one is left out rather than cleared.
    let texts = |pairs: &[(Column, &str)], required: &str| -> Map<String, Value> {
        pairs
            .iter()
            .filter(|(column, _)| row.has(*column))
            .map(|&(column, key)| (key.to_string(), json!(columns::text(row.cell(column)))))
            .filter(|(key, value)| !(key == required && value.is_null()))
            .collect()
    };
    let mut body = texts(
        &[
            (Column::Title, "title"),
            (Column::RequestedAuthority, "requested_authority"),
            (Column::LegalBasisDetail, "legal_basis_detail"),
            (Column::CoordinatorEmail, "coordinator_email"),
            (Column::ForeignReference, "foreign_reference"),
            (Column::OutcomeNote, "outcome_note"),
        ],
        "title",
    );
    let magistrate = texts(
        &[
            (Column::Magistrate, "name"),
            (Column::Court, "court"),
            (Column::MagistrateEmail, "email"),
        ],
        "name",
    );
    if !magistrate.is_empty() {
        body.insert("issuing_magistrate".into(), Value::Object(magistrate));
    }
    if row.has(Column::TargetCountry)
        && let Some(Some(c)) = trouble.read(
            Column::TargetCountry,
            columns::country(row.cell(Column::TargetCountry)),
        )
    {
        body.insert("target_country".into(), json!(c.as_str()));
    }
    one::<Channel>(row, Column::Channel, "channel", &mut body, trouble);
    one::<LegalBasis>(row, Column::LegalBasis, "legal_basis", &mut body, trouble);
    if row.has(Column::Priority)
        && let Some(Some(p)) = trouble.read(
            Column::Priority,
            columns::word::<Priority>(row.cell(Column::Priority)),
        )
    {
        body.insert("priority".into(), json!(p.code()));
    }
    list::<Facilitator>(
        row,
        Column::Facilitators,
        "facilitators",
        &mut body,
        trouble,
    );
    list::<Offence>(row, Column::Offences, "offences", &mut body, trouble);
    list::<Measure>(row, Column::Measures, "measures", &mut body, trouble);
    if row.has(Column::NeededBy)
        && let Some(d) = trouble.read(Column::NeededBy, columns::date(row.cell(Column::NeededBy)))
    {
        body.insert("needed_by".into(), json!(d));
    }
    body
}

/// An optional vocabulary field (blank clears it).
fn one<V: Vocabulary>(
    row: &Row,
    column: Column,
    key: &str,
    body: &mut Map<String, Value>,
    trouble: &mut Trouble,
) {
    if row.has(column)
        && let Some(v) = trouble.read(column, columns::word::<V>(row.cell(column)))
    {
        body.insert(key.into(), json!(v.map(V::code)));
    }
}

/// A list of vocabulary values.
fn list<V: Vocabulary>(
    row: &Row,
    column: Column,
    key: &str,
    body: &mut Map<String, Value>,
    trouble: &mut Trouble,
) {
    if row.has(column)
        && let Some(values) = trouble.read(column, columns::words::<V>(row.cell(column)))
    {
        body.insert(
            key.into(),
            Value::Array(values.into_iter().map(|v| json!(v.code())).collect()),
        );
    }
}

/// The lifecycle the row gives.
pub(super) fn target(row: &Row, trouble: &mut Trouble) -> Target {
    let mut date = |column: Column| -> Option<Option<NaiveDate>> {
        if !row.has(column) {
            return None;
        }
        trouble.read(column, columns::date(row.cell(column)))
    };
    let mut t = Target {
        status_since: date(Column::StatusSince),
        sent: date(Column::SentAt),
        acknowledged: date(Column::AcknowledgedAt),
        answered: date(Column::AnsweredAt),
        closed: date(Column::ClosedAt),
        outcome_note: columns::text(row.cell(Column::OutcomeNote)),
        ..Target::default()
    };
    t.status = trouble
        .read(
            Column::Status,
            columns::word::<Status>(row.cell(Column::Status)),
        )
        .flatten();
    t.abandonment_reason = trouble
        .read(
            Column::AbandonmentReason,
            columns::word::<AbandonmentReason>(row.cell(Column::AbandonmentReason)),
        )
        .flatten();
    t.refusal_ground = trouble
        .read(
            Column::RefusalGround,
            columns::word::<RefusalGround>(row.cell(Column::RefusalGround)),
        )
        .flatten();
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_error_lands_in_a_column() {
        assert_eq!(
            column_of_field("issuing_magistrate.name"),
            Some(Column::Magistrate)
        );
        assert_eq!(
            column_of_field("issuing_magistrate.email"),
            Some(Column::MagistrateEmail)
        );
        assert_eq!(column_of_field("offences[2]"), Some(Column::Offences));
        assert_eq!(column_of_field("effective_date"), None);
    }
}
