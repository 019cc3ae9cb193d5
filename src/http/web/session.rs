//! Who is at the browser, and what proves a form came from our pages.
//!
//! Three cookies, all `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure`
//! when `server.public_url` is https:
//! - `mla_session`: the session's secret (services::sessions), while signed in;
//! - `mla_browser`: a random secret of a signed-out browser, so that the
//!   sign-in and language forms carry a CSRF token too;
//! - `mla_lang`: the language chosen with the switch (signed in, the
//!   choice is also saved as the user's preference, which wins).
//!
//! A form's CSRF token is derived from the secret of whichever of the first
//! two the browser holds ([`crate::credentials::csrf_token`]); a POST whose
//! token does not match gets the 403 page, before anything is read or done.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, web};

pub use super::error::SESSION_COOKIE;
use super::error::{WebError, respond};
use super::i18n::Tr;
use super::layout::Chrome;
use crate::credentials::{csrf_token, new_session_secret, same_secret};
use crate::db::users::User;
use crate::domain::Language;
use crate::http::auth::Permission;
use crate::http::state::AppState;
use crate::services::sessions::SessionState;

pub const BROWSER_COOKIE: &str = "mla_browser";
pub const LANGUAGE_COOKIE: &str = "mla_lang";

/// The person at the browser: signed in or not, in which language.
pub struct Visitor {
    pub user: Option<User>,
    pub language: Language,
    /// The cookie named a session that has ended by time.
    pub expired: bool,
    /// The secret CSRF tokens derive from (the session's, or the browser's).
    secret: String,
    /// The browser secret is new: the response must set its cookie.
    new_browser_secret: bool,
    /// A session cookie that no longer opens anything: the response clears it.
    stale_session_cookie: bool,
    /// This page's path and query, for links back to it.
    pub here: String,
    secure: bool,
}

impl Visitor {
    pub fn tr(&self) -> Tr {
        Tr::new(self.language)
    }

    /// The token this visitor's forms carry.
    pub fn csrf_token(&self) -> String {
        csrf_token(&self.secret)
    }

    /// Refuses a form whose token is not this visitor's.
    pub fn check_csrf(&self, form_token: Option<&str>) -> Result<(), WebError> {
        match form_token {
            Some(token) if same_secret(token, &self.csrf_token()) => Ok(()),
            _ => Err(WebError::Csrf(Box::new(
                self.chrome(self.tr().csrf_title()),
            ))),
        }
    }

    /// The 404 page, for an address that names nothing.
    pub fn not_found(&self) -> WebError {
        WebError::NotFound(Box::new(self.chrome(self.tr().not_found_title())))
    }

    /// The cookie that remembers a chosen language for a year.
    pub fn language_cookie(&self, language: Language) -> Cookie<'static> {
        let mut cookie = self.cookie(LANGUAGE_COOKIE, language.code().to_string());
        cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
        cookie
    }

    /// What every page around its content needs.
    pub fn chrome(&self, title: &str) -> Chrome {
        Chrome {
            t: self.tr(),
            user: self.user.clone(),
            csrf: self.csrf_token(),
            here: self.here.clone(),
            title: title.to_string(),
        }
    }

    /// A rendered page with the headers every page carries and the
    /// cookies this visit calls for.
    pub fn page(&self, status: StatusCode, template: &impl askama::Template) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        self.finish(&mut response);
        respond(&mut response, template)
    }

    /// Sets or clears the cookies this visit calls for on a response.
    pub fn finish(&self, response: &mut HttpResponseBuilder) {
        if self.new_browser_secret {
            response.cookie(self.cookie(BROWSER_COOKIE, self.secret.clone()));
        }
        if self.stale_session_cookie {
            response.cookie(self.removal(SESSION_COOKIE));
        }
    }

    /// A cookie as this service sets them (see the module doc).
    pub fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish()
    }

    /// Tells the browser to forget a cookie.
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = self.cookie(name, String::new());
        cookie.make_removal();
        cookie
    }
}

impl FromRequest for Visitor {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .expect("AppState is registered");
        let session_secret = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let browser_secret = req.cookie(BROWSER_COOKIE).map(|c| c.value().to_string());
        let chosen = req
            .cookie(LANGUAGE_COOKIE)
            .and_then(|c| c.value().parse::<Language>().ok());
        let accepted = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Language::from_accept_language);
        let here = match req.query_string() {
            "" => req.path().to_string(),
            query => format!("{}?{query}", req.path()),
        };
        Box::pin(async move {
            let browser_language = chosen.or(accepted).unwrap_or(Language::En);
            let secure = state.services.settings.server.is_https();
            let (mut user, mut expired, mut stale, mut secret) = (None, false, false, None);
            if let Some(session_secret) = session_secret {
                match state.services.session(&session_secret).await {
                    Ok(SessionState::Active(session)) => {
                        user = Some((session.user, session.language));
                        secret = Some(session_secret);
                    }
                    Ok(SessionState::Expired) => (expired, stale) = (true, true),
                    Ok(SessionState::Unknown) => stale = true,
                    Err(e) => return Err(WebError::service(e, browser_language)),
                }
            }
            let language = user
                .as_ref()
                .and_then(|(_, preferred)| *preferred)
                .unwrap_or(browser_language);
            let (secret, new_browser_secret) = match (secret, browser_secret) {
                (Some(session), _) => (session, false),
                (None, Some(browser)) if browser.len() >= 32 => (browser, false),
                (None, _) => (new_session_secret(), true),
            };
            Ok(Visitor {
                user: user.map(|(user, _)| user),
                language,
                expired,
                secret,
                new_browser_secret,
                stale_session_cookie: stale,
                here,
                secure,
            })
        })
    }
}

/// A signed-in visitor whose role holds permission `P`, as the API's
/// `Authorized<P>`: signed out, the browser goes to the sign-in page (and
/// comes back here after); without the permission, the 403 page.
pub struct SignedIn<P> {
    pub visitor: Visitor,
    pub user: User,
    permission: PhantomData<P>,
}

impl<P: Permission + 'static> FromRequest for SignedIn<P> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visitor = Visitor::from_request(req, payload);
        let is_get = req.method() == actix_web::http::Method::GET;
        Box::pin(async move {
            let visitor = visitor.await?;
            let Some(user) = visitor.user.clone() else {
                let mut target = String::from("/login");
                let mut query = form_urlencoded::Serializer::new(String::new());
                if visitor.expired {
                    query.append_pair("expired", "1");
                }
                if is_get {
                    query.append_pair("next", &visitor.here);
                }
                let query = query.finish();
                if !query.is_empty() {
                    target = format!("{target}?{query}");
                }
                return Err(WebError::SignIn {
                    target,
                    clear_session: visitor.stale_session_cookie,
                });
            };
            if !P::granted(user.role) {
                let chrome = visitor.chrome(visitor.tr().forbidden_title());
                return Err(WebError::Forbidden(Box::new(chrome)));
            }
            Ok(SignedIn {
                visitor,
                user,
                permission: PhantomData,
            })
        })
    }
}

/// Where a `next` parameter may send the browser: a path of this site
/// only (not `//host`, not a URL), else `None`.
pub fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains(['\\', '\r', '\n']))
        .then_some(next)
}

/// A submitted form's fields in the order sent (a field checked several
/// times, as a group of checkboxes, appears once per value), read whatever
/// the `Content-Type` says (a form without its fields is refused by its
/// CSRF check, not by a 415), up to 64 KiB.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The first value of the field, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The field, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_string()
    }

    /// Every value of the field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl FromRequest for FormFields {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            if body.len() > 64 * 1024 {
                return Err(actix_web::error::ErrorPayloadTooLarge("form too large"));
            }
            Ok(FormFields(
                form_urlencoded::parse(&body)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            local_path("/requests?status=sent"),
            Some("/requests?status=sent")
        );
        assert_eq!(local_path("//evil.example/x"), None);
        assert_eq!(local_path("https://evil.example/"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(local_path(""), None);
    }
}
