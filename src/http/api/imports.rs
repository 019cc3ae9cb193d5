//! `/imports`: a spreadsheet register brought in (docs/DOMAIN.md §2.5).

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use crate::http::auth::{Authorized, ImportRequests};
use crate::http::error::ApiError;
use crate::http::import_upload::{self, UploadError};
use crate::http::routing::{self as routing, Routes};
use crate::http::state::AppState;
use crate::services::imports::{ImportError, ImportReport, Mapping};
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
    let limit = state.services.settings.import.max_file_bytes;
    let too_large = || ApiError::PayloadTooLarge {
        limit: limit as usize,
    };
    let upload = import_upload::read(&req, payload, limit, |name, _| {
        Err(ApiError::field(
            name,
            "is not a field of this form: send file, and optionally dry_run, skip_invalid and mapping",
        ))
    })
    .await?;
    let file = upload
        .file
        .ok_or_else(|| ApiError::field("file", "is required: the spreadsheet to import"))?;
    let mut options = upload.options;
    if let Some(text) = upload.mapping {
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

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> ApiError {
        match e {
            UploadError::TooLarge { limit } => ApiError::PayloadTooLarge {
                limit: limit as usize,
            },
            UploadError::Malformed(e) => {
                ApiError::BadRequest(format!("the form is malformed: {e}"))
            }
            UploadError::NotAFlag(field) => ApiError::field(field, "must be true or false"),
        }
    }
}
