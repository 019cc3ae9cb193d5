//! `/requests/export`: the register, as the list's filters select it, in
//! one CSV or XLSX file to open in a spreadsheet — streamed, so that its
//! size does not weigh on memory. The register page's button downloads
//! the same file through [`download`].

use std::io::{BufWriter, Read, Seek};
use std::sync::Arc;

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

use super::requests::ListFilters;
use super::stats::{LanguageCode, language};
use crate::domain::Language;
use crate::http::auth::{Authorized, ReadCases};
use crate::http::error::ApiError;
use crate::http::params::{ParamGroup, Params, from_str};
use crate::http::routing::{self as routing, Routes};
use crate::http::state::AppState;
use crate::services::export::RegisterPages;
use crate::services::{Error, Services};
use crate::sheet::write::{CsvSheet, XlsxSheet};

/// Before `/requests/{id}`, which would take `export` for an id.
pub fn routes(r: &mut Routes) {
    r.add("/requests/export", [routing::get(export)]);
}

/// The file's form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Csv,
    Xlsx,
}

impl std::str::FromStr for Format {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Format, Self::Err> {
        match s {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err("must be csv or xlsx"),
        }
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

/// The export's form and language, beside the list's filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (the default) or `xlsx`
    #[param(value_type = Format, inline, required = false)]
    #[serde(default)]
    pub format: Option<Format>,
    /// The language of the headers and the labels: `en` or `fr`. By default
    /// the one the user chose in the web pages, else the first of
    /// `Accept-Language` the service speaks, else English
    #[param(value_type = LanguageCode, inline, required = false)]
    #[serde(default, deserialize_with = "language")]
    pub lang: Option<Language>,
}

impl ParamGroup for ExportParams {
    const UNKNOWN: &'static str = "is not a parameter of the export";
}

/// The register as a spreadsheet
///
/// Every request the list's filters select, in the list's order (no page:
/// the whole register, read a thousand requests at a time), one row each
/// under headers in the user's language. CSV: UTF-8 with a byte-order mark,
/// commas, CRLF, dates as `YYYY-MM-DD`, sent as it is read. XLSX: one sheet,
/// its header row frozen and filterable, dates as date cells; written
/// whole, then sent. Text a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) never runs: a `'`
/// before it in CSV, a text cell in XLSX.
#[utoipa::path(
    get, path = "/api/v1/requests/export", operation_id = "exportRequests", tag = "requests",
    security(("bearer" = ["admin", "coordinator", "clerk"])),
    params(ListFilters, ExportParams),
    responses(
        (status = 200, description = "The file, as an attachment named `requests-YYYY-MM-DD.csv` (or `.xlsx`) after today",
         headers(("Content-Disposition")),
         content(
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    )
)]
async fn export(
    state: web::Data<AppState>,
    auth: Authorized<ReadCases>,
    req: HttpRequest,
    params: Params<(ExportParams, ListFilters)>,
) -> Result<HttpResponse, ApiError> {
    let (asked, filters) = params.0;
    let language = match asked.lang {
        Some(language) => language,
        None => state
            .services
            .user_language(auth.user.id)
            .await?
            .or_else(|| accepted_language(&req))
            .unwrap_or(Language::En),
    };
    let format = asked.format.unwrap_or_default();
    Ok(download(state.services.clone(), filters, format, language).await?)
}

/// The first language of the request's `Accept-Language` the service speaks.
fn accepted_language(req: &HttpRequest) -> Option<Language> {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Language::from_accept_language)
}

/// The answer carrying the export: its first page is read before the answer
/// starts, so that a database that does not answer gets its own status.
pub(crate) async fn download(
    services: Arc<Services>,
    filters: ListFilters,
    format: Format,
    language: Language,
) -> Result<HttpResponse, Error> {
    let (filters, sort, descending) = filters.into_parts();
    let pages = services.register_pages(filters, sort, descending);
    let (extension, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Xlsx => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let mut response = HttpResponse::Ok();
    response.content_type(content_type).insert_header((
        header::CONTENT_DISPOSITION,
        format!(
            "attachment; filename=\"requests-{}.{extension}\"",
            services.today().date
        ),
    ));
    Ok(match format {
        Format::Csv => response.streaming(csv_body(pages, language).await?),
        Format::Xlsx => {
            let (length, body) = xlsx_body(pages, language).await?;
            response.body(SizedStream::new(length, body))
        }
    })
}

/// The CSV, page by page: the next page is read when the one before has
/// been taken by the connection, so a slow reader holds one page. A failure
/// after the first page cuts the answer short (its status is sent).
async fn csv_body(
    mut pages: RegisterPages,
    language: Language,
) -> Result<impl futures_util::Stream<Item = Result<Bytes, Error>> + 'static, Error> {
    let sheet = CsvSheet::new(language);
    let mut start = sheet.start();
    if let Some(first) = pages.next_page().await? {
        start.extend(sheet.rows(&first));
    }
    let rest = stream::unfold(Some((pages, sheet)), |state| async move {
        let (mut pages, sheet) = state?;
        match pages.next_page().await {
            Ok(Some(page)) => Some((Ok(Bytes::from(sheet.rows(&page))), Some((pages, sheet)))),
            Ok(None) => None,
            Err(e) => {
                log::error!("the CSV export stopped: {e}");
                Some((Err(e), None))
            }
        }
    });
    Ok(stream::once(async move { Ok(Bytes::from(start)) }).chain(rest))
}

/// How much of the finished workbook is sent at a time.
const CHUNK: usize = 64 * 1024;

/// The XLSX: a workbook is a zip whose index comes last, so it is written
/// whole first — rows to a temporary file as each page comes, then the
/// finished file to an unnamed temporary file (gone once closed, whatever
/// happens) — and that file is sent, with its length.
async fn xlsx_body(
    mut pages: RegisterPages,
    language: Language,
) -> Result<
    (
        u64,
        impl futures_util::Stream<Item = Result<Bytes, Error>> + 'static,
    ),
    Error,
> {
    let mut sheet = blocking(move || Ok(XlsxSheet::new(language)?)).await?;
    while let Some(page) = pages.next_page().await? {
        sheet = blocking(move || {
            sheet.write(&page)?;
            Ok(sheet)
        })
        .await?;
    }
    let (length, file) = blocking(move || {
        let mut out = BufWriter::new(tempfile::tempfile()?);
        sheet.finish(&mut out)?;
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        let length = file.stream_position()?;
        file.rewind()?;
        Ok((length, file))
    })
    .await?;
    let body = stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = blocking(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            (&mut file).take(CHUNK as u64).read_to_end(&mut chunk)?;
            Ok((chunk, file))
        })
        .await;
        match read {
            Ok((chunk, _)) if chunk.is_empty() => None,
            Ok((chunk, file)) => Some((Ok(Bytes::from(chunk)), Some(file))),
            Err(e) => {
                log::error!("the XLSX export stopped: {e}");
                Some((Err(e), None))
            }
        }
    });
    Ok((length, body))
}

/// Runs file work on the blocking thread pool; its failures are the
/// service's own (a disk full, a workbook that cannot be written).
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Error> {
    web::block(job)
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(Error::Internal)
}
