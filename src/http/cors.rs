//! Cross-origin access, closed unless configured.
//!
//! With `server.cors_allowed_origins` empty (the default) no response carries
//! an `Access-Control-*` header, so a browser never lets another site's
//! script read the API, and a preflight is answered by the API itself (404 or
//! 405, JSON), which grants nothing. With origins listed, exactly those get a
//! preflight answer and `Access-Control-Allow-Origin` on their responses
//! (errors included, so their scripts can read 401 and 429). Hand-written: it
//! is this small, and the actix-cors release of the day wants a newer
//! actix-web than the one the project builds with.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use super::state::AppState;

/// The methods and request headers the API uses, and the response headers a
/// script may read.
const ALLOW_METHODS: &str = "GET, POST, PATCH, DELETE";
const ALLOW_HEADERS: &str = "authorization, content-type, if-match";
const EXPOSE_HEADERS: &str = "etag, location, retry-after, content-disposition";
/// How long a browser may cache a granted preflight, in seconds.
const MAX_AGE: &str = "600";

/// The middleware (`middleware::from_fn(cors::cors)`).
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let configured = state.as_ref().map_or(&[][..], |s| {
        &s.services.settings.server.cors_allowed_origins[..]
    });
    if configured.is_empty() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let allowed = req
        .headers()
        .get(header::ORIGIN)
        .filter(|origin| configured.iter().any(|o| o.as_bytes() == origin.as_bytes()))
        .cloned();
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if let (true, Some(origin)) = (preflight, &allowed) {
        let response = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
            .insert_header((header::VARY, "Origin"))
            .finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    // The answer depends on Origin whenever origins are configured.
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    Ok(res.map_into_left_body())
}
