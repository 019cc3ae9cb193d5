//! The web pages: server-rendered HTML for the people who use the register
//! (clerks, coordinators, admins) and its statistics (analysts), over the
//! same services as the API.
//!
//! Templates (`templates/`, askama) are compiled into the binary and escape
//! every value; the stylesheet is embedded too, so a page makes no request
//! outside this service. Every page works without JavaScript. Pages are
//! authorised by role exactly as the API is ([`session::SignedIn`] takes
//! the API's permissions), every state-changing form carries a CSRF token,
//! and pages are sent with a strict Content-Security-Policy.

mod assets;
pub mod i18n;
mod layout;
mod register;
pub mod session;
mod sign_in;
mod stats;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use crate::domain::Language;
use crate::services;
use i18n::Tr;
use layout::Chrome;
use session::Visitor;

/// The pages' Content-Security-Policy: everything from this service only,
/// no inline script or style, no plugins, forms posted here only, never
/// framed.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' routes (at the root, beside `/api/v1` and the probes).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(sign_in::home))
        .service(
            web::resource("/login")
                .get(sign_in::form)
                .post(sign_in::submit),
        )
        .route("/logout", web::post().to(sign_in::sign_out))
        .route("/language", web::post().to(sign_in::language))
        .route("/requests", web::get().to(register::list))
        .route("/requests/{id}", web::get().to(register::show))
        .route("/stats", web::get().to(stats::page))
        .route("/static/app.css", web::get().to(assets::stylesheet));
}

/// A rendered page with the headers every page carries and the cookies
/// the visit calls for.
pub fn page(visitor: &Visitor, status: StatusCode, template: &impl Template) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    visitor.finish(&mut response);
    respond(&mut response, template)
}

fn respond(
    response: &mut actix_web::HttpResponseBuilder,
    template: &impl Template,
) -> HttpResponse {
    match template.render() {
        Ok(html) => response
            .content_type(ContentType::html())
            .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
            .body(html),
        Err(e) => {
            log::error!("a page failed to render: {e}");
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body("internal error")
        }
    }
}

/// A 303 to `target` (after a form, or to the sign-in page).
pub fn see_other(target: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, target.to_string()));
    response
}

/// A page with a title and a sentence: errors and refusals.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    text: &'static str,
}

/// Why a page could not be shown, as the page that says so.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: to the sign-in page, then back.
    SignIn {
        target: String,
        clear_session: bool,
    },
    Forbidden(Box<Chrome>),
    /// A form without this visitor's CSRF token.
    Csrf(Box<Chrome>),
    NotFound(Box<Chrome>),
    /// The database did not answer.
    Unavailable(Language),
    Internal(Language),
}

impl std::fmt::Debug for Chrome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.title)
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.status_code())
    }
}

impl WebError {
    /// A service's failure where no page-specific answer applies.
    pub fn service(e: services::Error, language: Language) -> WebError {
        match e {
            services::Error::Store(_) => WebError::Unavailable(language),
            other => {
                log::error!("a page failed: {other}");
                WebError::Internal(language)
            }
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::SEE_OTHER,
            WebError::Forbidden(_) | WebError::Csrf(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        let page = |chrome: &Chrome, text| MessagePage {
            chrome: Chrome {
                t: chrome.t,
                user: chrome.user.clone(),
                csrf: chrome.csrf.clone(),
                here: chrome.here.clone(),
                title: chrome.title.clone(),
            },
            text,
        };
        let rendered = match self {
            WebError::SignIn {
                target,
                clear_session,
            } => {
                let mut redirect = see_other(target);
                if *clear_session {
                    let mut gone = actix_web::cookie::Cookie::new(session::SESSION_COOKIE, "");
                    gone.set_path("/");
                    gone.make_removal();
                    redirect.cookie(gone);
                }
                return redirect.finish();
            }
            WebError::Forbidden(chrome) => page(chrome, chrome.t.forbidden_text()),
            WebError::Csrf(chrome) => page(chrome, chrome.t.csrf_text()),
            WebError::NotFound(chrome) => page(chrome, chrome.t.not_found_text()),
            WebError::Unavailable(language) => {
                let t = Tr::new(*language);
                response.insert_header((header::RETRY_AFTER, "30"));
                MessagePage {
                    chrome: Chrome::bare(t, t.error_title()),
                    text: t.unavailable_text(),
                }
            }
            WebError::Internal(language) => {
                let t = Tr::new(*language);
                MessagePage {
                    chrome: Chrome::bare(t, t.error_title()),
                    text: t.error_text(),
                }
            }
        };
        respond(&mut response, &rendered)
    }
}

/// The HTML 404 page for a browser that asked for a page that is not there.
pub async fn not_found(visitor: Visitor) -> HttpResponse {
    let t = visitor.tr();
    let chrome = visitor.chrome(t.not_found_title());
    page(
        &visitor,
        StatusCode::NOT_FOUND,
        &MessagePage {
            chrome,
            text: t.not_found_text(),
        },
    )
}
