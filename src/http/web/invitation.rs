//! `/invitation/{secret}`: where an emailed link lands, to choose a
//! password. Open to anyone holding a working link; a used, expired or
//! replaced link says so and what to do.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::error::{WebError, see_other};
use super::field_errors::password_problem;
use super::layout::Chrome;
use super::session::{FormFields, Visitor};
use crate::http::state::AppState;
use crate::services::Error;

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    /// Whose account, when the link works.
    email: Option<String>,
    new_error: Option<&'static str>,
    again_error: Option<&'static str>,
}

fn page(
    visitor: &Visitor,
    status: StatusCode,
    email: Option<String>,
    errors: (Option<&'static str>, Option<&'static str>),
) -> HttpResponse {
    let t = visitor.tr();
    let shown = InvitationPage {
        chrome: visitor.chrome(t.invitation_title()),
        email,
        new_error: errors.0,
        again_error: errors.1,
    };
    visitor.page(status, &shown)
}

/// `GET /invitation/{secret}`.
pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    secret: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let user = state
        .services
        .account_link_user(&secret)
        .await
        .map_err(|e| WebError::service(e, visitor.language))?;
    let status = if user.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    Ok(page(&visitor, status, user.map(|u| u.email), (None, None)))
}

/// `POST /invitation/{secret}`.
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    secret: web::Path<String>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let (new, again) = (form.text("new_password"), form.text("new_password_again"));
    let user = state
        .services
        .account_link_user(&secret)
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    let Some(user) = user else {
        return Ok(page(&visitor, StatusCode::GONE, None, (None, None)));
    };
    if new != again {
        return Ok(page(
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(user.email),
            (None, Some(t.password_mismatch())),
        ));
    }
    match state.services.accept_account_link(&secret, new).await {
        Ok(Some(_)) => Ok(see_other("/login?password_set=1").finish()),
        Ok(None) => Ok(page(&visitor, StatusCode::GONE, None, (None, None))),
        Err(Error::Password(problem)) => {
            let message = password_problem(t, problem);
            Ok(page(
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(user.email),
                (Some(message), None),
            ))
        }
        Err(e) => Err(WebError::service(e, t.language)),
    }
}
