//! `/imports`: a spreadsheet register brought in from the browser, for
//! admins and coordinators, through the same upload reader and service as
//! `POST /api/v1/imports`. The form is a multipart upload whose CSRF token
//! is a field sent before the file; the answer is the import's report as a
//! page. Nothing of a file is kept: after a clean check, the page asks for
//! the same file again to import it for real.
//!
//! The report's problems are written by the service in English; the page
//! says each kind it knows in the visitor's language (a French page falls
//! back to the form's own messages, never English).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::error::WebError;
use super::field_errors;
use super::i18n::Tr;
use super::layout::Chrome;
use super::session::SignedIn;
use crate::domain::{Language, Status};
use crate::http::auth::ImportRequests;
use crate::http::import_upload::{self, UploadError};
use crate::http::state::AppState;
use crate::services::Error;
use crate::services::imports::{ImportError, ImportReport, Mapping, Problem, RowAction};
use crate::sheet::columns::Column;
use crate::sheet::read::ReadError;

/// A problem's line, in words.
struct ProblemLine {
    row: String,
    column: String,
    value: String,
    message: String,
    suggestion: String,
}

/// A header the import did not read, and the known one it is closest to.
struct IgnoredLine {
    header: String,
    suggestion: String,
}

/// What a row creates or changes, in words.
struct ChangeLine {
    row: String,
    reference: String,
    action: &'static str,
    what: String,
}

/// The report, in words.
struct Outcome {
    heading: String,
    summary: String,
    written: &'static str,
    problems: Vec<ProblemLine>,
    problems_more: Option<String>,
    ignored: Vec<IgnoredLine>,
    changes: Vec<ChangeLine>,
    changes_more: Option<String>,
    /// A clean check: the form that follows imports for real.
    ready: bool,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportPage {
    chrome: Chrome,
    /// The file limit, in words (`20 MB`).
    limit: String,
    /// Every column: (key, French header, English header).
    columns: Vec<(&'static str, &'static str, &'static str)>,
    /// The error summary: (label, field id, message).
    summary: Vec<(&'static str, &'static str, String)>,
    file_error: Option<String>,
    mapping_error: Option<String>,
    /// The mapping file's fault as its parser says it (English).
    mapping_detail: Option<String>,
    /// A failure of the whole import (the register changed meanwhile).
    failure: Option<&'static str>,
    dry_run: bool,
    skip_invalid: bool,
    outcome: Option<Outcome>,
}

impl ImportPage {
    fn new(chrome: Chrome, state: &AppState) -> ImportPage {
        let t = chrome.t;
        let mb = state.services.settings.import.max_file_bytes / (1024 * 1024);
        ImportPage {
            chrome,
            limit: format!("{}\u{a0}{}", t.number(mb as i64), t.megabytes()),
            columns: Column::all()
                .map(|c| (c.key(), c.header(Language::Fr), c.header(Language::En)))
                .collect(),
            summary: Vec::new(),
            file_error: None,
            mapping_error: None,
            mapping_detail: None,
            failure: None,
            dry_run: true,
            skip_invalid: false,
            outcome: None,
        }
    }

    /// After a clean check: the form imports the same file for real.
    fn ready(&self) -> bool {
        self.outcome.as_ref().is_some_and(|o| o.ready)
    }

    fn file_error(&mut self, message: String) {
        let t = self.chrome.t;
        self.summary
            .push((t.import_file(), "import-file", message.clone()));
        self.file_error = Some(message);
    }

    fn mapping_error(&mut self, detail: Option<String>) {
        let t = self.chrome.t;
        let message = t.import_mapping_invalid().to_string();
        self.summary
            .push((t.import_mapping(), "import-mapping", message.clone()));
        self.mapping_error = Some(message);
        self.mapping_detail = detail;
    }
}

/// `GET /imports`: the form.
pub async fn form(
    state: web::Data<AppState>,
    signed_in: SignedIn<ImportRequests>,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let page = ImportPage::new(visitor.chrome(visitor.tr().import_title()), &state);
    Ok(visitor.page(StatusCode::OK, &page))
}

/// Why the upload stops being read.
enum Stop {
    Upload(UploadError),
    Csrf,
}

impl From<UploadError> for Stop {
    fn from(e: UploadError) -> Stop {
        Stop::Upload(e)
    }
}

/// `POST /imports`: the upload; the report, or the form with what is wrong.
pub async fn submit(
    state: web::Data<AppState>,
    signed_in: SignedIn<ImportRequests>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let mut page = ImportPage::new(visitor.chrome(t.import_title()), &state);
    let limit = state.services.settings.import.max_file_bytes;
    // The token comes first in the form: a wrong one stops the reading
    // before the file; a missing one is refused once the form is read,
    // before anything is done with it.
    let mut token = None;
    let read = import_upload::read(&req, payload, limit, |name, value| {
        if name == "csrf_token" {
            visitor.check_csrf(Some(&value)).map_err(|_| Stop::Csrf)?;
            token = Some(value);
        }
        Ok::<(), Stop>(())
    })
    .await;
    let upload = match read {
        Err(Stop::Csrf) => return Err(visitor.check_csrf(None).unwrap_err()),
        Err(Stop::Upload(e)) => {
            // Nothing is done with a form that cannot be read: the page
            // says why, whether or not its token was reached.
            let status = match e {
                UploadError::TooLarge { .. } => {
                    page.file_error(format!("{} {}.", t.import_too_large(), page.limit));
                    StatusCode::PAYLOAD_TOO_LARGE
                }
                UploadError::Malformed(_) | UploadError::NotAFlag(_) => {
                    page.file_error(t.import_form_unreadable().to_string());
                    StatusCode::BAD_REQUEST
                }
            };
            return Ok(visitor.page(status, &page));
        }
        Ok(upload) => upload,
    };
    visitor.check_csrf(token.as_deref())?;
    page.dry_run = upload.options.dry_run;
    page.skip_invalid = upload.options.skip_invalid;
    let mut options = upload.options;
    if let Some(text) = upload.mapping {
        match Mapping::from_toml(&text) {
            Ok(mapping) => options.mapping = mapping,
            Err(detail) => page.mapping_error(Some(detail)),
        }
    }
    // A file input left empty still sends a part, without a name or bytes.
    let file = upload
        .file
        .filter(|f| !(f.name.is_empty() && f.bytes.is_empty()));
    if file.is_none() {
        page.file_error(t.import_file_required().to_string());
    }
    let Some(file) = file.filter(|_| page.summary.is_empty()) else {
        return Ok(visitor.page(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let status = match state
        .services
        .import_requests(signed_in.user.id, file, options, None)
        .await
    {
        Ok(report) => {
            page.outcome = Some(outcome(t, &report, page.skip_invalid));
            if page.ready() {
                page.dry_run = false;
            }
            StatusCode::OK
        }
        Err(ImportError::File(e)) => {
            let status = match e {
                ReadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            page.file_error(unreadable(t, &e, &page.limit));
            status
        }
        Err(ImportError::Mapping(detail)) => {
            page.mapping_error(Some(detail));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(ImportError::Service(Error::Conflict(_))) => {
            page.failure = Some(t.import_conflict());
            StatusCode::CONFLICT
        }
        Err(ImportError::Service(e)) => return Err(WebError::service(e, t.language)),
    };
    Ok(visitor.page(status, &page))
}

/// Why a file cannot be read, said in the visitor's language.
fn unreadable(t: Tr, e: &ReadError, limit: &str) -> String {
    match e {
        ReadError::TooLarge { .. } => format!("{} {limit}.", t.import_too_large()),
        ReadError::Bomb { .. } => t.import_bomb().into(),
        ReadError::Encrypted => t.import_encrypted().into(),
        ReadError::LegacyXls => t.import_legacy_xls().into(),
        ReadError::Malformed { .. } => t.import_malformed().into(),
        ReadError::NoSuchSheet(_, sheets) => format!("{} {sheets}.", t.import_no_such_sheet()),
        ReadError::Empty => t.import_empty().into(),
        ReadError::TooManyRows { limit } => {
            format!("{} {}.", t.import_too_many_rows(), t.number(*limit as i64))
        }
    }
}

/// The report in words (`skip_invalid`: the rows with problems were to be
/// skipped).
fn outcome(t: Tr, report: &ImportReport, skip_invalid: bool) -> Outcome {
    let n = |v: usize| t.number(v as i64);
    let (create, update) = if report.written {
        (t.import_created(), t.import_updated())
    } else {
        (t.import_to_create(), t.import_to_update())
    };
    let summary = [
        (t.import_rows_read(), report.rows),
        (create, report.created),
        (update, report.updated),
        (t.import_unchanged(), report.unchanged),
        (t.import_with_problems(), report.invalid),
    ]
    .iter()
    .map(|(label, count)| format!("{label}{} {}", t.colon(), n(*count)))
    .collect::<Vec<_>>()
    .join(t.semicolon())
        + ".";
    let written = match (report.dry_run, report.written, report.clean) {
        (true, _, true) => t.import_dry_clean(),
        (true, _, false) => t.import_dry_problems(),
        (false, true, true) => t.import_written(),
        (false, true, false) => t.import_written_skipped(),
        (false, false, false) if !skip_invalid => t.import_refused(),
        (false, false, _) => t.import_nothing_to_write(),
    };
    let more =
        |omitted: usize| (omitted > 0).then(|| format!("{} {}.", t.import_more(), n(omitted)));
    Outcome {
        heading: format!(
            "{} {}",
            if report.dry_run {
                t.import_result_check()
            } else {
                t.import_result_run()
            },
            report.file
        ),
        summary,
        written,
        problems: report.problems.iter().map(|p| problem(t, p)).collect(),
        problems_more: more(report.problems_omitted),
        ignored: report
            .columns
            .iter()
            .filter(|c| c.column.is_none() && !c.header.is_empty())
            .map(|c| IgnoredLine {
                header: c.header.clone(),
                suggestion: c
                    .suggestion
                    .as_deref()
                    .and_then(Column::recognise)
                    .map_or(String::new(), |c| c.header(t.language).to_string()),
            })
            .collect(),
        changes: report
            .changes
            .iter()
            .map(|c| ChangeLine {
                row: n(c.row),
                reference: c
                    .reference
                    .clone()
                    .unwrap_or_else(|| t.import_new_reference().to_string()),
                action: match c.action {
                    RowAction::Create => t.import_create(),
                    RowAction::Update => t.import_update(),
                },
                what: c
                    .changes
                    .iter()
                    .map(|key| change(t, key))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        changes_more: more(report.changes_omitted),
        ready: report.dry_run && report.clean && report.created + report.updated > 0,
    }
}

/// A change's name: a status reached, or a column changed.
fn change(t: Tr, key: &str) -> String {
    if let Some(status) = Status::parse(key) {
        return status.label(t.language).to_string();
    }
    let column = match key {
        "issuing_magistrate" => Some(Column::Magistrate),
        other => Column::from_key(other),
    };
    column.map_or_else(|| key.to_string(), |c| c.header(t.language).to_string())
}

/// A problem's line in words.
fn problem(t: Tr, p: &Problem) -> ProblemLine {
    ProblemLine {
        row: if p.row == 1 {
            format!("1 ({})", t.import_header_row())
        } else {
            t.number(p.row as i64)
        },
        column: p.column.clone().unwrap_or_default(),
        value: p.value.clone().unwrap_or_default(),
        message: problem_message(t, &p.message),
        suggestion: p
            .suggestion
            .as_deref()
            .map(|s| {
                let value = s
                    .strip_prefix("did you mean ")
                    .and_then(|s| s.strip_suffix('?'))
                    .unwrap_or(s);
                format!("{} {value}{}", t.did_you_mean(), t.question_mark())
            })
            .unwrap_or_default(),
    }
}

/// What is wrong, in the visitor's language: the kinds of problem the
/// import reports, then those of the form fields; a message of no known
/// kind as the service wrote it on an English page.
fn problem_message(t: Tr, message: &str) -> String {
    let has = |words: &str| message.contains(words);
    let known = if has("is not a date") {
        Some(t.problem_date())
    } else if has("is not a country") {
        Some(t.problem_country())
    } else if has("is not a known") {
        Some(t.problem_word())
    } else if has("names the same column as") {
        Some(t.problem_same_column())
    } else if has("no column gives the request's reference") {
        Some(t.problem_no_reference_column())
    } else if has("is empty, and so is the foreign reference") {
        Some(t.problem_no_reference())
    } else if has("already gives this reference") {
        Some(t.problem_duplicate_row())
    } else if has("is needed: the date the request became") {
        Some(t.problem_date_needed())
    } else if has("is given, but only a request whose status is") {
        Some(t.problem_not_for_status())
    } else if has("is required for a new request") {
        Some(t.problem_case_required())
    } else if has("differs from the register") {
        Some(t.problem_differs())
    } else {
        None
    };
    match (known, t.language) {
        (Some(said), _) => said.to_string(),
        (None, Language::En) => message.to_string(),
        (None, _) => field_errors::localized(t, message).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_said_in_french_never_in_english() {
        let fr = Tr::new(Language::Fr);
        for message in [
            "is not a date: write it as JJ/MM/AAAA or YYYY-MM-DD",
            "is not a country: give its name in English or French, or its ISO code (e.g. PH)",
            "is needed: the date the request became `executed`",
            "something no one foresaw",
        ] {
            let said = problem_message(fr, message);
            assert_ne!(said, message);
            assert!(!said.contains("the "), "{said}");
        }
        let en = Tr::new(Language::En);
        assert_eq!(problem_message(en, "odd"), "odd");
    }

    #[test]
    fn a_suggestion_is_asked_in_the_visitors_language() {
        let p = Problem {
            row: 4,
            column: Some("Pays requis".into()),
            value: Some("Philipines".into()),
            message: "is not a country: …".into(),
            suggestion: Some("did you mean Philippines (PH)?".into()),
        };
        let line = problem(Tr::new(Language::Fr), &p);
        assert_eq!(line.suggestion, "Vouliez-vous dire Philippines (PH)\u{a0}?");
        assert_eq!(line.row, "4");
    }
}
