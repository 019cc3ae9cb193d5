//! Signing in and out, the start page, and the language switch.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::error::{WebError, see_other};
use super::layout::Chrome;
use super::session::{FormFields, SESSION_COOKIE, Visitor, local_path};
use crate::domain::Language;
use crate::http::state::AppState;
use crate::http::throttle;

#[derive(Template)]
#[template(path = "login.html")]
struct SignInPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    email: String,
    next: String,
}

/// `/`: the signed-in user's home, or the sign-in page.
pub async fn home(visitor: Visitor) -> HttpResponse {
    let target = match &visitor.user {
        Some(user) => Chrome::home_of(user.role),
        None => "/login",
    };
    let mut response = see_other(target);
    visitor.finish(&mut response);
    response.finish()
}

#[derive(serde::Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    expired: Option<String>,
    signed_out: Option<String>,
    password_changed: Option<String>,
    password_set: Option<String>,
}

/// `GET /login`; signed in already, straight on.
pub async fn form(visitor: Visitor, query: web::Query<SignInQuery>) -> HttpResponse {
    let next = query.next.as_deref().and_then(local_path).unwrap_or("");
    if let Some(user) = &visitor.user {
        let target = if next.is_empty() {
            Chrome::home_of(user.role)
        } else {
            next
        };
        return see_other(target).finish();
    }
    let t = visitor.tr();
    let notice = if query.expired.is_some() || visitor.expired {
        Some(t.session_expired())
    } else if query.password_set.is_some() {
        Some(t.password_set())
    } else if query.password_changed.is_some() {
        Some(t.password_changed())
    } else if query.signed_out.is_some() {
        Some(t.signed_out())
    } else {
        None
    };
    let form = SignInPage {
        chrome: visitor.chrome(t.sign_in()),
        notice,
        error: None,
        email: String::new(),
        next: next.to_string(),
    };
    visitor.page(StatusCode::OK, &form)
}

/// `POST /login`: a wrong email or password, whichever, gets one generic
/// message and counts as a failed attempt for the client's address, as a
/// bad API token does (`auth.max_failed_attempts`).
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(form.get("csrf_token"))?;
    let (email, next) = (form.text("email"), form.text("next"));
    let t = visitor.tr();
    let client = throttle::client_address(&req, &state.services.settings.server.trusted_proxies);
    let again = |error, status| {
        let form_page = SignInPage {
            chrome: visitor.chrome(t.sign_in()),
            notice: None,
            error: Some(error),
            email: email.clone(),
            next: local_path(&next).unwrap_or("").to_string(),
        };
        Ok(visitor.page(status, &form_page))
    };
    if state.failed_attempts.refused(client).is_some() {
        return again(t.sign_in_throttled(), StatusCode::TOO_MANY_REQUESTS);
    }
    let signed_in = state
        .services
        .sign_in(&email, form.text("password"))
        .await
        .map_err(|e| WebError::service(e, visitor.language))?;
    let Some(signed_in) = signed_in else {
        return match state.failed_attempts.record_failure(client) {
            Some(_) => again(t.sign_in_throttled(), StatusCode::TOO_MANY_REQUESTS),
            None => again(t.sign_in_failed(), StatusCode::UNAUTHORIZED),
        };
    };
    let target = local_path(&next).unwrap_or(Chrome::home_of(signed_in.user.role));
    let mut response = see_other(target);
    response.cookie(visitor.cookie(SESSION_COOKIE, signed_in.secret));
    Ok(response.finish())
}

/// `POST /logout`: the session ends in the database, everywhere.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(form.get("csrf_token"))?;
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        state
            .services
            .sign_out(cookie.value())
            .await
            .map_err(|e| WebError::service(e, visitor.language))?;
    }
    let mut response = see_other("/login?signed_out=1");
    response.cookie(visitor.removal(SESSION_COOKIE));
    Ok(response.finish())
}

/// `POST /language`: remembered in a cookie and, signed in, as the user's
/// preference; back to the page the switch was pressed on.
pub async fn language(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(form.get("csrf_token"))?;
    let language: Language = form.text("lang").parse().unwrap_or(visitor.language);
    if let Some(user) = &visitor.user {
        state
            .services
            .set_language(user.id, language)
            .await
            .map_err(|e| WebError::service(e, visitor.language))?;
    }
    let mut response = see_other(local_path(&form.text("next")).unwrap_or("/"));
    response.cookie(visitor.language_cookie(language));
    visitor.finish(&mut response);
    Ok(response.finish())
}
