//! Request-body and header extractors that answer in the API's error shape:
//! malformed JSON → 400, too large → 413, wrong content type → 415, a body
//! that parses but holds bad values → 422 naming each field.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::state::AppState;
use crate::domain::FieldErrors;
use crate::domain::request::deserialize_named;

/// A JSON object body, read within `server.body_limit_bytes`.
pub struct JsonObject(pub Map<String, Value>);

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(1 << 20, |s| s.services.settings.server.body_limit_bytes);
        let content_type_ok = match req.headers().get(header::CONTENT_TYPE) {
            None => true,
            Some(value) => value.to_str().is_ok_and(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            }),
        };
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "JSON (Content-Type: application/json)",
                ));
            }
            if declared_length.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            if body.is_empty() {
                return Err(ApiError::BadRequest(
                    "a JSON object body is required".into(),
                ));
            }
            match serde_json::from_slice::<Value>(&body) {
                Ok(value @ Value::Object(_)) => {
                    let mut errors = FieldErrors::default();
                    find_nul_characters(&value, "", &mut errors);
                    errors.into_result().map_err(ApiError::Validation)?;
                    let Value::Object(map) = value else {
                        unreachable!("matched an object")
                    };
                    Ok(JsonObject(map))
                }
                Ok(_) => Err(ApiError::BadRequest(
                    "the body must be a JSON object".into(),
                )),
                Err(e) => Err(ApiError::BadRequest(format!("malformed JSON: {e}"))),
            }
        })
    }
}

/// Files every string (or key) holding U+0000 under its path: no database
/// stores it faithfully (PostgreSQL refuses it, SQLite cuts strings at it).
fn find_nul_characters(value: &Value, path: &str, errors: &mut FieldErrors) {
    let here = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(text) if text.contains('\0') => errors.add(
            if path.is_empty() { "body" } else { path },
            "must not contain NUL characters",
        ),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_nul_characters(item, &format!("{path}[{i}]"), errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if key.contains('\0') {
                    errors.add("body", "keys must not contain NUL characters");
                } else {
                    find_nul_characters(item, &here(key), errors);
                }
            }
        }
        _ => {}
    }
}

/// A JSON body parsed into `T`; a bad value is a 422 naming its field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let object = JsonObject::from_request(req, payload);
        Box::pin(async move {
            let JsonObject(map) = object.await?;
            deserialize_named(Value::Object(map))
                .map(JsonBody)
                .map_err(ApiError::Validation)
        })
    }
}

/// The version named by `If-Match: "<version>"`, if the header is present;
/// 400 for `*`, a weak tag (`W/"<version>"`) or anything else.
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Err(ApiError::BadRequest(
            "If-Match: * is not accepted; send the ETag of the version you edited".into(),
        ));
    }
    // If-Match compares strongly (RFC 9110, 13.1.1): a weak tag never
    // matches, so it is refused for what it is rather than as a stale one.
    if text.starts_with("W/") {
        return Err(ApiError::BadRequest(format!(
            "If-Match needs a strong ETag (\"<version>\"), as this API sends them; `{text}` is weak"
        )));
    }
    text.trim_matches('"')
        .parse::<i32>()
        .map(Some)
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "If-Match `{text}` is not an ETag of this API (\"<version>\")"
            ))
        })
}

/// The ETag of a record version.
pub fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// A path id; anything that is not a UUID cannot name a record, so 404.
pub fn parse_id(what: &str, text: &str) -> Result<uuid::Uuid, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(what, text))
}

/// The `{id}` of a path, as the OpenAPI document shows it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct RecordId {
    /// The record's id; anything that is not one of its ids is a 404
    #[param(format = Uuid)]
    id: String,
}

/// `If-Match` where it is required (a PATCH), as the document shows it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchRequired {
    /// The ETag of the version edited (`"<version>"`)
    #[param(rename = "If-Match", pattern = r#"^[\t ]*"*[0-9]{1,9}"*[\t ]*$"#)]
    if_match: String,
}

/// `If-Match` where it is optional (a transition), as the document shows it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchOptional {
    /// The ETag of the version edited (`"<version>"`)
    #[param(
        rename = "If-Match",
        value_type = String,
        required = false,
        pattern = r#"^[\t ]*"*[0-9]{1,9}"*[\t ]*$"#
    )]
    if_match: Option<String>,
}
