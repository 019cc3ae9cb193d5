//! Builds the HTTP server: binds (port 0 picks a free port), wires the
//! middleware and the route table, starts the alert scheduler, and runs
//! until stopped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::EitherBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::KeepAlive;
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};

use super::api;
use super::error::{ApiError, json_error_for_status};
use super::routing::{API_PREFIX, Routes, get_anonymous};
use super::state::AppState;
use super::throttle::FailedAttempts;
use super::token_cache::TokenCache;
use super::{cors, deadline, openapi, web as web_pages};
use crate::config::Settings;
use crate::db::instance::lock_single_instance;
use crate::db::pool::Db;
use crate::services::{Services, alerts};

pub struct Application {
    port: u16,
    server: Server,
    services: Arc<Services>,
    /// Held while the application lives (SQLite: one instance at a time).
    _instance_lock: Option<std::fs::File>,
}

impl Application {
    /// Takes the single-instance lock (SQLite), connects (running
    /// migrations), starts the alert scheduler and delivery loop, and binds
    /// the listener.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let instance_lock = lock_single_instance(settings.database.url.expose())?;
        let db = Db::connect(&settings.database)?;
        let addr = settings.server.bind;
        let listener = TcpListener::bind(addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (server.bind): {e}"))?;
        let listening = listener.local_addr()?;
        let port = listening.port();
        let server = &settings.server;
        if let Some(warning) = server.public_url_mismatch(listening) {
            log::warn!("{warning}");
        }
        let workers = match server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let tokens = TokenCache::new(Duration::from_secs(settings.auth.cache_seconds));
        let failed_attempts = FailedAttempts::new(
            settings.auth.max_failed_attempts,
            Duration::from_secs(settings.auth.failed_attempts_window_seconds),
        );
        let header_timeout = Duration::from_secs(server.header_timeout_seconds);
        let keep_alive = match server.keep_alive_seconds {
            0 => KeepAlive::Disabled,
            n => KeepAlive::Timeout(Duration::from_secs(n)),
        };
        let services = Arc::new(Services::new(settings, db)?);
        let state = web::Data::new(AppState {
            services: services.clone(),
            tokens,
            failed_attempts,
        });
        alerts::spawn_background(services.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
                )
                .wrap(from_fn(deadline::body_deadline))
                .wrap(ErrorHandlers::new().default_handler(json_errors))
                .wrap(from_fn(cors::cors))
                .wrap(security_headers())
                .wrap(access_log())
                .configure(probes)
                .service(web::scope(API_PREFIX).configure(routes))
                .configure(web_pages::routes)
                .default_service(web::to(not_found))
        })
        .workers(workers)
        .client_request_timeout(header_timeout)
        .keep_alive(keep_alive)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            services,
            _instance_lock: instance_lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The services the server calls (for start-up work and tests).
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    pub fn db(&self) -> &Db {
        &self.services.db
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Everything under [`API_PREFIX`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    let mut r = Routes::new(cfg, API_PREFIX);
    api::export::routes(&mut r);
    api::requests::routes(&mut r);
    api::imports::routes(&mut r);
    api::cases::routes(&mut r);
    api::preservations::routes(&mut r);
    api::users::routes(&mut r);
    api::meta::routes(&mut r);
    api::alerts::routes(&mut r);
    api::calendar::routes(&mut r);
    api::stats::routes(&mut r);
    api::charts::routes(&mut r);
    r.add("/openapi.json", [get_anonymous(openapi::serve)]);
}

/// The health probes, at the root.
pub fn probes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .add("/healthz", [get_anonymous(api::meta::healthz)])
        .add("/readyz", [get_anonymous(api::meta::readyz)]);
}

/// Headers that keep browsers from sniffing, framing or caching case data,
/// and from loading it into other sites' pages; HSTS for when the service is
/// reached over HTTPS (TLS ends at a reverse proxy; browsers ignore the
/// header over plain HTTP). Outside the JSON error handler and CORS, so
/// errors, preflights and the probes carry them too; only what actix-http
/// answers before the app sees a request (a malformed request line, headers
/// too large or too slow) goes without.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
        .add((header::CROSS_ORIGIN_RESOURCE_POLICY, "same-origin"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
}

/// One line per request: method, path, status, time. No query string (it can
/// hold searched names), no headers (they hold tokens), no bodies, and not
/// the secret of a link to set a password (`/invitation/…`) nor that of a
/// calendar feed (`/api/v1/calendar/…`).
fn access_log() -> Logger {
    Logger::new("%{method}xi %{path}xi %s %Dms")
        .custom_request_replace("method", |req| req.method().to_string())
        .custom_request_replace("path", |req| logged_path(req.path()))
}

/// A path as the access log writes it: secrets in it replaced by `…`.
fn logged_path(path: &str) -> String {
    if path.starts_with("/invitation/") {
        return "/invitation/…".to_string();
    }
    if path
        .strip_prefix(API_PREFIX)
        .is_some_and(|rest| rest.starts_with(api::calendar::FEED_PATH))
    {
        return format!("{API_PREFIX}{}…", api::calendar::FEED_PATH);
    }
    path.to_string()
}

/// Unknown addresses: the HTML page for a browser asking for a page, the
/// API's JSON error for anyone else and anything under the API.
async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::FromRequest;
    let wants_page = !req.path().starts_with(API_PREFIX)
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        match web_pages::session::Visitor::extract(&req).await {
            Ok(visitor) => return web_pages::not_found(visitor).await,
            Err(e) => return actix_web::ResponseError::error_response(&e),
        }
    }
    HttpResponse::NotFound().json(json_error_for_status(
        actix_web::http::StatusCode::NOT_FOUND,
    ))
}

/// Replaces the framework's plain-text error responses (unknown route, wrong
/// method, a malformed form) with the API's JSON error shape.
fn json_errors<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // JSON already, or one of the web pages' own HTML error pages.
    let is_answer = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
        });
    if is_answer {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let response = HttpResponse::build(status).json(json_error_for_status(status));
    let response: ServiceResponse<EitherBody<B>> =
        ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}

#[cfg(test)]
mod tests {
    use super::logged_path;

    #[test]
    fn the_access_log_never_writes_a_link_s_secret() {
        assert_eq!(
            logged_path("/invitation/1JufvGTew9_KVSBlAHDPwIeO30T69euOas67sw3Ttqg"),
            "/invitation/…"
        );
        assert_eq!(
            logged_path("/api/v1/calendar/mlacal_1JufvGTew9_KVSBlAHDPwIeO30T69euOas67sw3Ttqg"),
            "/api/v1/calendar/…"
        );
        assert_eq!(logged_path("/api/v1/me/calendar"), "/api/v1/me/calendar");
        assert_eq!(logged_path("/requests/42"), "/requests/42");
    }
}
