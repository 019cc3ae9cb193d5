//! Answers that are not the page asked for: the sign-in redirect, the 403,
//! 404 and error pages, in the visitor's language; and how any page is
//! written into a response (its type and its Content-Security-Policy).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::i18n::Tr;
use super::layout::Chrome;
use crate::domain::Language;
use crate::services;

/// The pages' Content-Security-Policy: everything from this service only,
/// no inline script or style, no plugins, forms posted here only, never
/// framed.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn respond(
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
pub struct MessagePage {
    pub chrome: Chrome,
    pub text: &'static str,
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
    /// A PDF was asked for, and no browser here can print one.
    NoPdf(Language),
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
            WebError::Unavailable(_) | WebError::NoPdf(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        let page = |chrome: &Chrome, text| MessagePage {
            chrome: chrome.clone(),
            text,
        };
        let rendered = match self {
            WebError::SignIn {
                target,
                clear_session,
            } => {
                let mut redirect = see_other(target);
                if *clear_session {
                    let mut gone = actix_web::cookie::Cookie::new(SESSION_COOKIE, "");
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
            WebError::NoPdf(language) => {
                let t = Tr::new(*language);
                MessagePage {
                    chrome: Chrome::bare(t, t.error_title()),
                    text: t.no_pdf_text(),
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

/// The session cookie's name (the cookies are described in `session`).
pub const SESSION_COOKIE: &str = "mla_session";
