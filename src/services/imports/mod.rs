//! Importing a register kept in a spreadsheet (docs/DOMAIN.md §2.5).
//!
//! A file is read twice. The first pass checks every row against the
//! register without writing: what each row would create or change, and
//! every problem, by row and column, with a suggestion where a value is
//! close to one accepted. A dry run stops there. A real run writes only
//! after a clean first pass (or, with `skip_invalid`, the rows that passed),
//! in one transaction: a row that no longer passes when it is written (the
//! register changed meanwhile) undoes the whole import.
//!
//! Each request created gets the history the row describes — created (as
//! sent on its date sent), acknowledged, answered, closed — each event dated
//! from the row, by the importing user, with the note "imported from FILE,
//! row N". A row is matched to the register by `reference`, then by
//! `foreign_reference`; a matched row changes the descriptive fields that
//! differ and records the lifecycle steps the register has not recorded
//! yet, so importing the same file again changes nothing. A date the
//! register already holds is never rewritten by an import: a row that
//! disagrees with it is a problem to settle on the request's page.

mod history;
mod row;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::requests::{numbered_and_filed, patch_record};
use super::{Error, Services};
use crate::db::DbConnection;
use crate::db::events::{EventKind, NewEvent};
use crate::db::requests as store;
use crate::domain::Today;
use crate::domain::request::{MlaRequest, NewRequest, apply_patch};
use crate::domain::transition::{TransitionError, apply_transition};
use crate::sheet::columns::{self, Column};
use crate::sheet::read::{Format, Limits, ReadError, Sheet, read};
use history::{Step, refusal, steps};
pub use row::Problem;
use row::{Layout, Row, Target, Trouble, descriptive, target};

/// At most this many problems and changes are listed in a report; the
/// rest are counted.
const LISTED: usize = 1000;

/// The file to import.
pub struct ImportFile {
    /// Its name, as the history's notes give it.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Which columns a file's headers are, when they are not the names the
/// importer knows, and which sheet to read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The sheet to read (by name); the first when not given.
    pub sheet: Option<String>,
    /// A header as the file writes it → the column's key (`target_country`).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

impl Mapping {
    /// Reads a mapping file (TOML), checking that each column it names
    /// exists.
    pub fn from_toml(text: &str) -> std::result::Result<Mapping, String> {
        let mapping: Mapping =
            toml::from_str(text).map_err(|e| format!("the mapping file is not valid: {e}"))?;
        for (header, key) in &mapping.columns {
            if Column::from_key(key).is_none() {
                return Err(format!(
                    "the mapping file maps `{header}` to `{key}`, which is not a column; the columns are: {}",
                    Column::all()
                        .map(Column::key)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Ok(mapping)
    }

    fn column(&self, header: &str) -> Option<Column> {
        self.columns
            .iter()
            .find(|(h, _)| crate::sheet::fold(h) == crate::sheet::fold(header))
            .and_then(|(_, key)| Column::from_key(key))
            .or_else(|| Column::recognise(header))
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Check and report; write nothing.
    pub dry_run: bool,
    /// Write the rows that pass, report the others (otherwise a single
    /// problem stops the whole import).
    pub skip_invalid: bool,
    pub mapping: Mapping,
}

/// Where an import is: for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct ImportProgress {
    pub writing: bool,
    pub rows_done: usize,
    /// The rows to go through (a CSV's estimated from its lines, so the
    /// rows done can pass it).
    pub rows_total: usize,
}

/// Told of progress every few hundred rows.
pub type ProgressFn = Arc<dyn Fn(ImportProgress) + Send + Sync>;

/// What an import found and did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub file: String,
    pub format: Format,
    pub dry_run: bool,
    /// Every row can be imported as it is.
    pub clean: bool,
    /// This run wrote to the register.
    pub written: bool,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// Requests created (or, in a dry run or a refused import, that would be).
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows with at least one problem.
    pub invalid: usize,
    /// How each header of the file was read.
    pub columns: Vec<ColumnUse>,
    pub problems: Vec<Problem>,
    /// Problems found but not listed.
    pub problems_omitted: usize,
    /// What each row creates or changes.
    pub changes: Vec<RowChange>,
    pub changes_omitted: usize,
}

/// A header of the file and the column it was read as (`None`: ignored).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ColumnUse {
    pub header: String,
    pub column: Option<&'static str>,
    /// For an ignored header close to a known one: that one.
    pub suggestion: Option<String>,
}

/// What a row creates or changes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowChange {
    pub row: usize,
    pub action: RowAction,
    /// The request's reference (`None` for one still to be numbered).
    pub reference: Option<String>,
    /// For an update: the fields that change, and the statuses recorded.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
}

/// Why a file cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] ReadError),
    #[error("{0}")]
    Mapping(String),
    #[error(transparent)]
    Service(#[from] Error),
}

impl crate::db::error::Failure for ImportError {
    fn storage_error(&mut self) -> Option<&mut crate::db::Error> {
        match self {
            ImportError::Service(Error::Store(e)) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::db::Error> for ImportError {
    fn from(e: crate::db::Error) -> ImportError {
        ImportError::Service(e.into())
    }
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> ImportError {
        ImportError::Service(e.into())
    }
}

impl Services {
    /// Imports `file` as `actor` (see the module's documentation); the
    /// report says what was found and done.
    pub async fn import_requests(
        &self,
        actor: Uuid,
        file: ImportFile,
        options: ImportOptions,
        progress: Option<ProgressFn>,
    ) -> std::result::Result<ImportReport, ImportError> {
        let limits = self.settings.import.limits();
        let today = self.today();
        let year = self.clock.now().year();
        let ImportFile { name, bytes } = file;
        // Refused before anything else: an oversized upload is not kept.
        if bytes.len() as u64 > limits.max_bytes {
            return Err(ReadError::TooLarge {
                size: bytes.len() as u64,
                limit: limits.max_bytes,
            }
            .into());
        }
        let second_read = (!options.dry_run).then(|| bytes.clone());
        let check = Pass {
            name: name.clone(),
            limits,
            today,
            year,
            actor,
            progress: progress.clone(),
            write: false,
            skip: HashSet::new(),
        };
        let mapping = options.mapping.clone();
        let (mut report, invalid_rows) = self
            .db
            .read(move |conn| check.run(conn, bytes, &mapping))
            .await?;
        report.dry_run = options.dry_run;
        let Some(bytes) = second_read else {
            return Ok(report);
        };
        let nothing_to_write = report.created + report.updated == 0;
        if (!report.clean && !options.skip_invalid) || nothing_to_write {
            return Ok(report);
        }
        let write = Pass {
            name,
            limits,
            today,
            year,
            actor,
            progress,
            write: true,
            skip: invalid_rows,
        };
        let mapping = options.mapping;
        self.db
            .write(move |conn| {
                crate::db::bulk::transaction(conn, |conn| {
                    write.run(conn, bytes, &mapping).map(|_| ())
                })
            })
            .await?;
        report.written = true;
        Ok(report)
    }
}

/// One pass over the file: checking only, or checking and writing.
struct Pass {
    name: String,
    limits: Limits,
    today: Today,
    year: i32,
    actor: Uuid,
    progress: Option<ProgressFn>,
    write: bool,
    /// Rows the check found invalid, which a writing pass skips.
    skip: HashSet<usize>,
}

/// What a row comes to.
enum Plan {
    Create {
        new: NewRequest,
        steps: Vec<Step>,
    },
    Update {
        current: MlaRequest,
        patch: Map<String, Value>,
        steps: Vec<Step>,
    },
    Unchanged,
}

impl Pass {
    /// Goes through the file: the report, and the rows found invalid.
    fn run(
        &self,
        conn: &mut DbConnection,
        bytes: Vec<u8>,
        mapping: &Mapping,
    ) -> std::result::Result<(ImportReport, HashSet<usize>), ImportError> {
        let Sheet {
            format,
            header,
            rows,
        } = read(bytes, mapping.sheet.as_deref(), self.limits)?;
        let total = rows.len_hint();
        let mut report = ImportReport {
            file: self.name.clone(),
            format,
            dry_run: !self.write,
            clean: true,
            written: false,
            rows: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            invalid: 0,
            columns: Vec::new(),
            problems: Vec::new(),
            problems_omitted: 0,
            changes: Vec::new(),
            changes_omitted: 0,
        };
        let mut layout = Layout {
            at: Vec::new(),
            headers: HashMap::new(),
        };
        let mut file_problems = Vec::new();
        for text in &header {
            let column = if text.is_empty() {
                None
            } else {
                mapping.column(text)
            };
            if let Some(c) = column
                && let Some(first) = layout.headers.insert(c, text.clone())
            {
                file_problems.push(Problem {
                    row: 1,
                    column: Some(text.clone()),
                    value: None,
                    message: format!(
                        "names the same column as `{first}` ({}): keep one of them",
                        c.key()
                    ),
                    suggestion: None,
                });
            }
            layout.at.push(column);
            report.columns.push(ColumnUse {
                header: text.clone(),
                column: column.map(Column::key),
                suggestion: match column {
                    None if !text.is_empty() => Column::closest(text)
                        .map(|c| c.header(crate::domain::Language::En).to_string()),
                    _ => None,
                },
            });
        }
        if !layout.headers.contains_key(&Column::Reference)
            && !layout.headers.contains_key(&Column::ForeignReference)
        {
            file_problems.push(Problem {
                row: 1,
                column: None,
                value: None,
                message: "no column gives the request's reference (`Reference` / `Référence`) or the foreign reference (`Foreign reference` / `Référence étrangère`): one of them is needed, so that importing the file again finds each request instead of creating it twice".into(),
                suggestion: None,
            });
        }
        if !file_problems.is_empty() {
            report.clean = false;
            report.problems = file_problems;
            return Ok((report, HashSet::new()));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut invalid_rows = HashSet::new();
        for (done, row) in rows.enumerate() {
            let (number, cells) = row?;
            report.rows += 1;
            if let Some(progress) = &self.progress
                && done % 250 == 0
            {
                progress(ImportProgress {
                    writing: self.write,
                    rows_done: done,
                    rows_total: total,
                });
            }
            if self.skip.contains(&number) {
                continue;
            }
            let row = Row {
                number,
                cells: cells
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, cell)| Some((layout.at.get(i).copied().flatten()?, cell)))
                    .collect(),
            };
            let mut trouble = Trouble {
                row: &row,
                layout: &layout,
                found: Vec::new(),
            };
            let plan = self.plan(conn, &row, &mut trouble, &mut seen)?;
            if !trouble.found.is_empty() {
                if self.write {
                    // The check passed this row: the register changed since.
                    let first = &trouble.found[0];
                    return Err(Error::Conflict(format!(
                        "row {} no longer imports ({}{}); the register changed during the import, which was undone: run it again",
                        first.row,
                        first.column.as_deref().map_or(String::new(), |c| format!("{c}: ")),
                        first.message
                    ))
                    .into());
                }
                report.clean = false;
                report.invalid += 1;
                invalid_rows.insert(number);
                for problem in trouble.found {
                    if report.problems.len() < LISTED {
                        report.problems.push(problem);
                    } else {
                        report.problems_omitted += 1;
                    }
                }
                continue;
            }
            let change = match &plan {
                Plan::Unchanged => {
                    report.unchanged += 1;
                    None
                }
                Plan::Create { new, steps } => {
                    report.created += 1;
                    Some(RowChange {
                        row: number,
                        action: RowAction::Create,
                        reference: new.reference.clone(),
                        changes: steps.iter().map(|s| s.command.to.to_string()).collect(),
                    })
                }
                Plan::Update {
                    current,
                    patch,
                    steps,
                } => {
                    report.updated += 1;
                    Some(RowChange {
                        row: number,
                        action: RowAction::Update,
                        reference: Some(current.reference.clone()),
                        changes: patch
                            .keys()
                            .cloned()
                            .chain(steps.iter().map(|s| s.command.to.to_string()))
                            .collect(),
                    })
                }
            };
            if let Some(change) = change {
                if report.changes.len() < LISTED {
                    report.changes.push(change);
                } else {
                    report.changes_omitted += 1;
                }
            }
            if self.write {
                self.apply(conn, number, plan)?;
            }
        }
        if let Some(progress) = &self.progress {
            progress(ImportProgress {
                writing: self.write,
                rows_done: report.rows,
                rows_total: report.rows,
            });
        }
        Ok((report, invalid_rows))
    }

    /// What `row` comes to against the register, or its problems.
    fn plan(
        &self,
        conn: &mut DbConnection,
        row: &Row,
        trouble: &mut Trouble,
        seen: &mut HashMap<String, usize>,
    ) -> std::result::Result<Plan, ImportError> {
        let reference = columns::text(row.cell(Column::Reference));
        let foreign = columns::text(row.cell(Column::ForeignReference));
        for (column, key) in [
            (
                Column::Reference,
                reference.as_ref().map(|r| format!("r:{r}")),
            ),
            (
                Column::ForeignReference,
                foreign.as_ref().map(|f| format!("f:{f}")),
            ),
        ] {
            if let Some(key) = key
                && let Some(first) = seen.insert(key, row.number)
            {
                trouble.add(
                    Some(column),
                    format!("row {first} already gives this reference: each request takes one row"),
                );
            }
        }
        if reference.is_none() && foreign.is_none() {
            trouble.add(
                Some(Column::Reference),
                "is empty, and so is the foreign reference: give one, so that importing the file again finds this request instead of creating it twice",
            );
            return Ok(Plan::Unchanged);
        }
        let current = self.matching(conn, reference.as_deref(), foreign.as_deref(), trouble)?;
        let fields = descriptive(row, trouble);
        let target = target(row, trouble);
        if !trouble.found.is_empty() {
            return Ok(Plan::Unchanged);
        }
        let note = self.note(row.number);
        match current {
            None => {
                let mut body = fields;
                if let Some(reference) = &reference {
                    body.insert("reference".into(), json!(reference));
                }
                match columns::text(row.cell(Column::CaseReference)) {
                    Some(case) => {
                        body.insert("case_reference".into(), json!(case));
                    }
                    None => trouble.add(
                        Some(Column::CaseReference),
                        "is required for a new request: the domestic case number it serves",
                    ),
                }
                if let Some(Some(sent)) = target.sent {
                    body.insert("sent_at".into(), json!(sent));
                }
                for (column, key) in [
                    (Column::Title, "title"),
                    (Column::TargetCountry, "target_country"),
                ] {
                    if !body.contains_key(key) {
                        trouble.add(Some(column), "is required for a new request");
                    }
                }
                if !row.has(Column::Magistrate) || row.cell(Column::Magistrate).is_blank() {
                    trouble.add(
                        Some(Column::Magistrate),
                        "is required for a new request: the issuing magistrate's name",
                    );
                }
                if !trouble.found.is_empty() {
                    return Ok(Plan::Unchanged);
                }
                let new = match NewRequest::from_json(body, self.today) {
                    Ok(new) => new,
                    Err(errors) => {
                        trouble.fields(errors, None);
                        return Ok(Plan::Unchanged);
                    }
                };
                let record = provisional(&new, self.actor);
                let steps = steps(&record.lifecycle, &target, &note, trouble);
                self.rehearse(record, &steps, &target, trouble);
                Ok(Plan::Create { new, steps })
            }
            Some(current) => {
                let mut patch = Map::new();
                let shown = serde_json::to_value(&current).expect("records serialise");
                for (key, value) in fields {
                    let same = match (&key[..], shown.get(&key)) {
                        ("issuing_magistrate", Some(old)) => {
                            // A merge patch drops the keys it nulls; the record
                            // shows them as null.
                            let bare = |v: &Value| {
                                let mut out = Value::Null;
                                crate::domain::request::merge_patch(&mut out, v.clone());
                                out
                            };
                            let mut merged = old.clone();
                            crate::domain::request::merge_patch(&mut merged, value.clone());
                            bare(&merged) == bare(old)
                        }
                        (_, Some(old)) => *old == value || (old.is_null() && value.is_null()),
                        (_, None) => value.is_null(),
                    };
                    if !same {
                        patch.insert(key, value);
                    }
                }
                if let Some(case) = columns::text(row.cell(Column::CaseReference))
                    && case != current.case_reference
                {
                    patch.insert("case_reference".into(), json!(case));
                }
                let patched = if patch.is_empty() {
                    current.clone()
                } else {
                    match apply_patch(&current, patch.clone()) {
                        Ok(p) => MlaRequest {
                            fields: p.fields,
                            ..current.clone()
                        },
                        Err(errors) => {
                            trouble.fields(errors, None);
                            return Ok(Plan::Unchanged);
                        }
                    }
                };
                let steps = steps(&current.lifecycle, &target, &note, trouble);
                self.rehearse(patched, &steps, &target, trouble);
                if patch.is_empty() && steps.is_empty() {
                    Ok(Plan::Unchanged)
                } else {
                    Ok(Plan::Update {
                        current,
                        patch,
                        steps,
                    })
                }
            }
        }
    }

    /// The request a row names: by reference, else by foreign reference.
    fn matching(
        &self,
        conn: &mut DbConnection,
        reference: Option<&str>,
        foreign: Option<&str>,
        trouble: &mut Trouble,
    ) -> std::result::Result<Option<MlaRequest>, ImportError> {
        if let Some(reference) = reference
            && let Some(found) = store::by_reference(conn, reference)?
        {
            return Ok(Some(found));
        }
        let Some(foreign) = foreign else {
            return Ok(None);
        };
        let ids = store::ids_by_foreign_reference(conn, foreign)?;
        match ids.as_slice() {
            [] => Ok(None),
            [id] => {
                let found = store::get(conn, *id)?;
                if let (Some(found), Some(_)) = (&found, reference) {
                    trouble.add(
                        Some(Column::Reference),
                        format!(
                            "names no request, but the foreign reference is that of {}: give its reference, or leave the cell blank",
                            found.reference
                        ),
                    );
                }
                Ok(found)
            }
            _ => {
                trouble.add(
                    Some(Column::ForeignReference),
                    format!(
                        "belongs to {} requests of the register: give the reference of the one this row is",
                        ids.len()
                    ),
                );
                Ok(None)
            }
        }
    }

    /// Runs `steps` on `record` in memory, so that every refusal the real
    /// transitions would meet is a problem of this row now; then checks the
    /// dates the row gives against the result.
    fn rehearse(
        &self,
        mut record: MlaRequest,
        steps: &[Step],
        target: &Target,
        trouble: &mut Trouble,
    ) {
        for step in steps {
            match apply_transition(&record, &step.command, self.today) {
                Ok(done) => {
                    record.fields = done.fields;
                    record.lifecycle = done.lifecycle;
                }
                Err(e) => {
                    refusal(e, step, trouble);
                    return;
                }
            }
        }
        let l = &record.lifecycle;
        // "Status since" dates only a status reached by a move of its own
        // (neither the first answer nor a closing one): it is not checked.
        if let Some(Some(given)) = target.closed
            && l.closed_at != Some(given)
        {
            trouble.add(
                Some(Column::ClosedAt),
                match l.closed_at {
                    Some(d) => format!(
                        "does not match the rest of the row, which makes the request closed on {d}"
                    ),
                    None => "is given, but the status is not a closing one".to_string(),
                },
            );
        }
        if let Some(status) = target.status
            && status != l.status
            && trouble.found.is_empty()
        {
            trouble.add(
                Some(Column::Status),
                format!(
                    "cannot be reached from the register's `{}` by the dates the row gives",
                    l.status
                ),
            );
        }
    }

    /// "imported from FILE, row N".
    fn note(&self, row: usize) -> String {
        format!("imported from {}, row {row}", self.name)
    }

    /// Writes what a checked row comes to.
    fn apply(
        &self,
        conn: &mut DbConnection,
        row: usize,
        plan: Plan,
    ) -> std::result::Result<(), ImportError> {
        let note = self.note(row);
        let undone = |e: TransitionError| {
            Error::Conflict(format!(
                "row {row} no longer imports ({e:?}); the import was undone: run it again"
            ))
        };
        let (record, steps) = match plan {
            Plan::Unchanged => return Ok(()),
            Plan::Create { new, steps } => {
                // The row is written once, as the last step leaves it, with
                // every event of the steps after its `created` one.
                let created =
                    numbered_and_filed(conn, new, None, self.actor, self.year, self.today)?;
                let mut last = created.clone();
                let mut moves = Vec::with_capacity(steps.len());
                for step in &steps {
                    let done =
                        apply_transition(&last, &step.command, self.today).map_err(undone)?;
                    moves.push((last.lifecycle.status, done.changes));
                    last.fields = done.fields;
                    last.lifecycle = done.lifecycle;
                    last.version += 1;
                }
                let events: Vec<NewEvent> = steps
                    .iter()
                    .zip(&moves)
                    .map(|(step, (from, changes))| NewEvent {
                        request_id: created.id,
                        kind: EventKind::Transition,
                        actor_id: self.actor,
                        effective_date: step.command.effective_date,
                        from_status: Some(*from),
                        to_status: Some(step.command.to),
                        changes,
                        note: step.command.note.as_deref(),
                    })
                    .collect();
                store::insert_with_history(conn, &created, Some(&note), &last, &events)?;
                return Ok(());
            }
            Plan::Update {
                current,
                patch,
                steps,
            } => {
                let record = if patch.is_empty() {
                    current
                } else {
                    patch_record(conn, current, patch, self.actor, self.today, Some(&note))?
                };
                (record, steps)
            }
        };
        let mut record = record;
        for step in steps {
            let done = apply_transition(&record, &step.command, self.today).map_err(undone)?;
            let next = MlaRequest {
                fields: done.fields,
                lifecycle: done.lifecycle,
                ..record.clone()
            };
            let event = NewEvent {
                request_id: record.id,
                kind: EventKind::Transition,
                actor_id: self.actor,
                effective_date: step.command.effective_date,
                from_status: Some(record.lifecycle.status),
                to_status: Some(step.command.to),
                changes: &done.changes,
                note: step.command.note.as_deref(),
            };
            record = store::save(conn, &next, record.version, event)?.ok_or_else(|| {
                Error::Conflict(format!(
                    "row {row}: request {} was changed by someone else during the import, which was undone: run it again",
                    record.reference
                ))
            })?;
        }
        Ok(())
    }
}

/// The request as it would be created, before it has an id or a case.
fn provisional(new: &NewRequest, actor: Uuid) -> MlaRequest {
    let now = chrono::Utc::now();
    MlaRequest {
        id: Uuid::nil(),
        reference: new.reference.clone().unwrap_or_default(),
        case_id: Uuid::nil(),
        case_reference: new.case.reference.clone().unwrap_or_default(),
        fields: new.fields.clone(),
        lifecycle: new.lifecycle.clone(),
        links: Vec::new(),
        version: 1,
        created_by: actor,
        created_at: now,
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_names_existing_columns_only() {
        let mapping = Mapping::from_toml(
            "sheet = \"Registre\"\n[columns]\n\"Pays destinataire\" = \"target_country\"\n",
        )
        .unwrap();
        assert_eq!(mapping.sheet.as_deref(), Some("Registre"));
        assert_eq!(
            mapping.column("pays destinataire"),
            Some(Column::TargetCountry)
        );
        assert_eq!(
            mapping.column("Statut"),
            Some(Column::Status),
            "known names still work"
        );
        let wrong = Mapping::from_toml("[columns]\n\"X\" = \"colour\"\n").unwrap_err();
        assert!(wrong.contains("not a column"), "{wrong}");
    }
}
