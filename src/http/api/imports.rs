//! `/imports`: a spreadsheet register brought in (docs/DOMAIN.md §2.5).

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use futures_util::StreamExt;

use crate::http::auth::{Authorized, ImportRequests};
use crate::http::error::ApiError;
use crate::http::routing::{self as routing, Routes};
use crate::http::state::AppState;
use crate::services::imports::{ImportError, ImportFile, ImportOptions, ImportReport, Mapping};
use crate::sheet::read::ReadError;

pub fn routes(r: &mut Routes) {
    r.add("/imports", [routing::post(import)]);
}

/// The form of `POST /imports`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The spreadsheet: XLSX, ODS or CSV (UTF-8 or Windows-1252, comma or
    /// semicolon), its first row naming the columns.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `true`: check and report, write nothing.
    dry_run: Option<bool>,
    /// `true`: import the rows without problems, report the others.
    skip_invalid: Option<bool>,
    /// A mapping file (TOML): `sheet = "…"` and `[columns]` header = column key.
    mapping: Option<String>,
}

/// Import requests from a spreadsheet
///
/// Every row is checked first. A dry run, or a file with problems (unless
/// `skip_invalid`), writes nothing; otherwise the rows are written in one
/// transaction, each request with the history the row describes. Either
/// way the answer is the report (`written` says whether anything was).
#[utoipa::path(
    post, path = "/api/v1/imports", operation_id = "importRequests", tag = "imports",
    security(("bearer" = ["admin", "coordinator"])),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What the file holds, and what was (or would be) written", body = ImportReport),
        (status = 413, description = "The file is larger than import.max_file_mb"),
        (status = 422, description = "The file cannot be read (malformed, password-protected, a zip bomb, too many rows), or the form is incomplete"),
    )
)]
async fn import(
    state: web::Data<AppState>,
    auth: Authorized<ImportRequests>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !is_form {
        return Err(ApiError::UnsupportedMediaType(
            "a form (Content-Type: multipart/form-data) with the file in `file`",
        ));
    }
    let mut form = Multipart::new(req.headers(), payload);
    let limit = state.services.settings.import.max_file_bytes;
    let too_large = || ApiError::PayloadTooLarge {
        limit: limit as usize,
    };
    // The form around the file takes a few hundred bytes, a mapping a few
    // kilobytes.
    let allowance = limit + 64 * 1024;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > allowance) {
        return Err(too_large());
    }
    let mut file: Option<ImportFile> = None;
    let mut options = ImportOptions::default();
    let mut mapping_text = None;
    let mut received = 0u64;
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| ApiError::BadRequest(format!("the form is malformed: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("the form is malformed: {e}")))?;
            received += chunk.len() as u64;
            if received > allowance {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "file" => {
                file = Some(ImportFile {
                    name: file_name.unwrap_or_else(|| "upload".into()),
                    bytes,
                })
            }
            "dry_run" => options.dry_run = flag("dry_run", &text())?,
            "skip_invalid" => options.skip_invalid = flag("skip_invalid", &text())?,
            "mapping" => mapping_text = Some(text()),
            other => {
                return Err(ApiError::field(
                    other,
                    "is not a field of this form: send file, and optionally dry_run, skip_invalid and mapping",
                ));
            }
        }
    }
    let file =
        file.ok_or_else(|| ApiError::field("file", "is required: the spreadsheet to import"))?;
    if let Some(text) = mapping_text.filter(|t| !t.is_empty()) {
        options.mapping = Mapping::from_toml(&text).map_err(|e| ApiError::field("mapping", e))?;
    }
    let report = state
        .services
        .import_requests(auth.user.id, file, options, None)
        .await
        .map_err(|e| match e {
            ImportError::File(ReadError::TooLarge { .. }) => too_large(),
            ImportError::File(e) => ApiError::UnreadableFile(e.to_string()),
            ImportError::Mapping(message) => ApiError::field("mapping", message),
            ImportError::Service(e) => e.into(),
        })?;
    Ok(HttpResponse::Ok().json(report))
}

/// A checkbox-like form value: `true`/`false` (also `on`, `1`, `0`).
fn flag(field: &str, text: &str) -> Result<bool, ApiError> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" | "" => Ok(false),
        _ => Err(ApiError::field(field, "must be true or false")),
    }
}
