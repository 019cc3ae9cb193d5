//! Builds the HTTP server: binds (port 0 picks a free port), wires routes and
//! middleware, and runs until stopped.

mod cors;
mod deadline;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::EitherBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::KeepAlive;
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::alerts::mail::Mailer;
use crate::auth::TokenCache;
use crate::auth::throttle::FailedAttempts;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::Clock;
use crate::domain::alert_rules::RuleSet;
use crate::error::{ApiError, json_error_for_status};
use crate::routes;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub tokens: TokenCache,
    /// Failed authentications per client address (`auth.max_failed_attempts`).
    pub failed_attempts: FailedAttempts,
    /// The checked alert rules.
    pub rules: RuleSet,
    /// The zone "today" is read in for alerts and statistics.
    pub zone: chrono_tz::Tz,
    /// Where "now" comes from.
    pub clock: Clock,
    pub mailer: Mailer,
    /// Held while digests are being sent, so two deliverers in this process
    /// never pick the same one.
    pub delivering: std::sync::Mutex<()>,
}

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    /// Held while the application lives (SQLite: one instance at a time).
    _instance_lock: Option<std::fs::File>,
}

impl Application {
    /// Connects to the database (running migrations) and binds the listener.
    /// Takes the single-instance lock (SQLite), connects (running migrations),
    /// starts the alert scheduler and delivery loop, and binds the listener.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let instance_lock = crate::db::lock_single_instance(settings.database.url.expose())?;
        let db = Db::connect(&settings.database)?;
        let addr = settings.server.bind;
        let listener = TcpListener::bind(addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (server.bind): {e}"))?;
        let port = listener.local_addr()?.port();
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let rules = settings.alerts.rules.clone();
        let zone = settings.alerts.timezone;
        let mailer = Mailer::from_settings(&settings.mail)?;
        let tokens = TokenCache::new(std::time::Duration::from_secs(settings.auth.cache_seconds));
        let failed_attempts = FailedAttempts::new(
            settings.auth.max_failed_attempts,
            Duration::from_secs(settings.auth.failed_attempts_window_seconds),
        );
        let header_timeout = Duration::from_secs(settings.server.header_timeout_seconds);
        let keep_alive = match settings.server.keep_alive_seconds {
            0 => KeepAlive::Disabled,
            n => KeepAlive::Timeout(Duration::from_secs(n)),
        };
        let state = web::Data::new(AppState {
            tokens,
            failed_attempts,
            rules,
            zone,
            clock: settings.clock,
            mailer,
            delivering: std::sync::Mutex::new(()),
            db: db.clone(),
            settings,
        });
        crate::alerts::worker::spawn(state.clone());
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
                .configure(routes::probes)
                .service(web::scope(routes::API_PREFIX).configure(routes::api))
                .default_service(web::to(|| async {
                    HttpResponse::NotFound().json(json_error_for_status(
                        actix_web::http::StatusCode::NOT_FOUND,
                    ))
                }))
        })
        .workers(workers)
        .client_request_timeout(header_timeout)
        .keep_alive(keep_alive)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            db,
            _instance_lock: instance_lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
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
/// hold searched names), no headers (they hold tokens), no bodies.
fn access_log() -> Logger {
    Logger::new("%{method}xi %{path}xi %s %Dms")
        .custom_request_replace("method", |req| req.method().to_string())
        .custom_request_replace("path", |req| req.path().to_string())
}

/// Replaces the framework's plain-text error responses (unknown route, wrong
/// method) with the API's JSON error shape.
fn json_errors<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let response = HttpResponse::build(status).json(json_error_for_status(status));
    let response: ServiceResponse<EitherBody<B>> =
        ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}
