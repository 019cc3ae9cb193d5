//! `/account`: a user's own language, password and API token.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::choice::Choice;
use super::error::{WebError, see_other};
use super::field_errors::password_problem;
use super::layout::Chrome;
use super::session::{FormFields, SESSION_COOKIE, SignedIn};
use crate::domain::Language;
use crate::http::auth::SignedIn as AnyRole;
use crate::http::state::AppState;
use crate::services::Error;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    languages: Vec<Choice>,
    notice: Option<&'static str>,
    /// Errors of the password form, by field.
    current_error: Option<&'static str>,
    new_error: Option<&'static str>,
    again_error: Option<&'static str>,
    /// A token just made, shown this once.
    new_token: Option<String>,
}

fn account_page(
    signed_in: &SignedIn<AnyRole>,
    status: StatusCode,
    fill: impl FnOnce(&mut AccountPage),
) -> HttpResponse {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let mut page = AccountPage {
        chrome: visitor.chrome(t.account_title()),
        languages: Language::ALL
            .iter()
            .map(|l| Choice {
                value: l.code().to_string(),
                label: l.endonym().to_string(),
                selected: *l == visitor.language,
            })
            .collect(),
        notice: None,
        current_error: None,
        new_error: None,
        again_error: None,
        new_token: None,
    };
    fill(&mut page);
    visitor.page(status, &page)
}

#[derive(serde::Deserialize)]
pub struct AccountQuery {
    saved: Option<String>,
}

/// `GET /account`.
pub async fn show(signed_in: SignedIn<AnyRole>, query: web::Query<AccountQuery>) -> HttpResponse {
    let notice = query
        .saved
        .is_some()
        .then(|| signed_in.visitor.tr().language_saved());
    account_page(&signed_in, StatusCode::OK, |p| p.notice = notice)
}

/// `POST /account/language`.
pub async fn language(
    state: web::Data<AppState>,
    signed_in: SignedIn<AnyRole>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let language: Language = form.text("language").parse().unwrap_or(visitor.language);
    state
        .services
        .set_language(signed_in.user.id, language)
        .await
        .map_err(|e| WebError::service(e, visitor.language))?;
    let mut response = see_other("/account?saved=1");
    response.cookie(visitor.language_cookie(language));
    Ok(response.finish())
}

/// `POST /account/password`: on success every session ends, this one too,
/// and the sign-in page says why.
pub async fn password(
    state: web::Data<AppState>,
    signed_in: SignedIn<AnyRole>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let (current, new, again) = (
        form.text("current_password"),
        form.text("new_password"),
        form.text("new_password_again"),
    );
    if new != again {
        return Ok(account_page(
            &signed_in,
            StatusCode::UNPROCESSABLE_ENTITY,
            |p| p.again_error = Some(t.password_mismatch()),
        ));
    }
    match state
        .services
        .change_password(&signed_in.user, current, new)
        .await
    {
        Ok(true) => {
            let mut response = see_other("/login?password_changed=1");
            response.cookie(visitor.removal(SESSION_COOKIE));
            Ok(response.finish())
        }
        Ok(false) => Ok(account_page(
            &signed_in,
            StatusCode::UNPROCESSABLE_ENTITY,
            |p| p.current_error = Some(t.password_wrong()),
        )),
        Err(Error::Password(why)) => Ok(account_page(
            &signed_in,
            StatusCode::UNPROCESSABLE_ENTITY,
            |p| p.new_error = Some(password_problem(t, why)),
        )),
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// `POST /account/token`: a new API token, shown on the page this once.
pub async fn token(
    state: web::Data<AppState>,
    signed_in: SignedIn<AnyRole>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let token = state
        .services
        .rotate_token(signed_in.user.id)
        .await
        .map_err(|e| WebError::service(e, visitor.language))?;
    state.tokens.evict_user(signed_in.user.id);
    Ok(account_page(&signed_in, StatusCode::OK, |p| {
        p.new_token = Some(token)
    }))
}
