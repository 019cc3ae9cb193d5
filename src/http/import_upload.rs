//! The import's upload form (`multipart/form-data`), read the same way for
//! the API (`POST /api/v1/imports`) and the page (`POST /imports`): the
//! file, `dry_run`, `skip_invalid` and a `mapping` (TOML, as text or as an
//! uploaded file), the whole form capped at the import's size limit plus
//! room for the fields around the file. What to make of any other field is
//! the caller's: the API refuses it, the page reads its CSRF token.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, http::header, web};
use futures_util::StreamExt;

use crate::services::imports::{ImportFile, ImportOptions};

/// The form as read: the mapping still as text (empty: none).
pub struct ImportUpload {
    pub file: Option<ImportFile>,
    /// `dry_run` and `skip_invalid`; the mapping is left to the caller.
    pub options: ImportOptions,
    pub mapping: Option<String>,
}

/// Why the form cannot be read.
#[derive(Debug)]
pub enum UploadError {
    /// The form is larger than the file limit (`limit` bytes) allows.
    TooLarge { limit: u64 },
    /// Not a well-formed multipart form.
    Malformed(String),
    /// A checkbox-like field holds something else than true or false.
    NotAFlag(&'static str),
}

/// Reads the form of `req`, at most `limit` bytes of file (see the module
/// doc); `other` is told each field that is none of the import's, with its
/// text, as soon as it has arrived.
pub async fn read<E: From<UploadError>>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: u64,
    mut other: impl FnMut(&str, String) -> Result<(), E>,
) -> Result<ImportUpload, E> {
    // The form around the file takes a few hundred bytes, a mapping a few
    // kilobytes.
    let allowance = limit + 64 * 1024;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > allowance) {
        return Err(UploadError::TooLarge { limit }.into());
    }
    let malformed = |e: actix_multipart::MultipartError| UploadError::Malformed(e.to_string());
    let mut form = Multipart::new(req.headers(), payload);
    let mut upload = ImportUpload {
        file: None,
        options: ImportOptions::default(),
        mapping: None,
    };
    let mut received = 0u64;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            received += chunk.len() as u64;
            if received > allowance {
                return Err(UploadError::TooLarge { limit }.into());
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "file" => {
                upload.file = Some(ImportFile {
                    name: file_name.unwrap_or_else(|| "upload".into()),
                    bytes,
                })
            }
            "dry_run" => upload.options.dry_run = flag("dry_run", &text())?,
            "skip_invalid" => upload.options.skip_invalid = flag("skip_invalid", &text())?,
            "mapping" => upload.mapping = Some(text()).filter(|t| !t.is_empty()),
            other_name => other(other_name, text())?,
        }
    }
    Ok(upload)
}

/// A boolean form value: `true` or `false`, as the OpenAPI document says
/// (the page's checkboxes send `true`, and nothing when unticked).
fn flag(field: &'static str, text: &str) -> Result<bool, UploadError> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(UploadError::NotAFlag(field)),
    }
}
