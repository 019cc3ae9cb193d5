//! `/admin/users`: invite people, change their role, send them a link to
//! set a password, give them a new API token, deactivate them. Admins only,
//! through the same services as the API's `/users` and the command line.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::choice::Choice;
use super::error::{WebError, see_other};
use super::layout::Chrome;
use super::session::{FormFields, SignedIn};
use crate::alerts::mail::AccountLink;
use crate::db::users::User;
use crate::domain::{Language, Role};
use crate::http::auth::ManageUsers;
use crate::http::state::AppState;
use crate::services::Error;
use crate::services::users::NewUser;

/// One user's line.
pub struct Line {
    pub id: String,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub has_password: bool,
    pub role: &'static str,
    pub roles: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    /// A link or token to hand over, shown this once, with what it is.
    handover: Option<(&'static str, String)>,
    lines: Vec<Line>,
    roles: Vec<Choice>,
    languages: Vec<Choice>,
    /// The invitation form as typed, when it was refused.
    typed_name: String,
    typed_email: String,
    name_error: Option<&'static str>,
    email_error: Option<&'static str>,
}

fn role_choices(language: Language, current: Option<Role>) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_string(),
            label: r.label(language).to_string(),
            selected: Some(*r) == current,
        })
        .collect()
}

async fn users_page(
    state: &AppState,
    signed_in: &SignedIn<ManageUsers>,
    status: StatusCode,
    fill: impl FnOnce(&mut UsersPage),
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    let t = visitor.tr();
    let users = state
        .services
        .users_with_passwords()
        .await
        .map_err(|e| WebError::service(e, t.language))?;
    let mut page = UsersPage {
        chrome: visitor.chrome(t.admin_title()),
        notice: None,
        error: None,
        handover: None,
        lines: users
            .into_iter()
            .map(|(u, has_password)| Line {
                id: u.id.to_string(),
                name: u.name,
                email: u.email,
                active: u.active,
                has_password,
                role: u.role.label(t.language),
                roles: role_choices(t.language, Some(u.role)),
            })
            .collect(),
        roles: role_choices(t.language, Some(Role::Clerk)),
        languages: Language::ALL
            .iter()
            .map(|l| Choice {
                value: l.code().into(),
                label: l.endonym().into(),
                selected: *l == t.language,
            })
            .collect(),
        typed_name: String::new(),
        typed_email: String::new(),
        name_error: None,
        email_error: None,
    };
    fill(&mut page);
    Ok(visitor.page(status, &page))
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /admin/users`.
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn<ManageUsers>,
    query: web::Query<Done>,
) -> Result<HttpResponse, WebError> {
    let t = signed_in.visitor.tr();
    let notice = match query.done.as_deref() {
        Some("invited") => Some(t.invited()),
        Some("link") => Some(t.link_sent()),
        Some("role") => Some(t.role_changed()),
        Some("deactivated") => Some(t.deactivated()),
        _ => None,
    };
    users_page(&state, &signed_in, StatusCode::OK, |p| p.notice = notice).await
}

/// `POST /admin/users/invite`.
pub async fn invite(
    state: web::Data<AppState>,
    signed_in: SignedIn<ManageUsers>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let (name, email) = (form.text("name"), form.text("email"));
    let role: Option<Role> = form.text("role").parse().ok();
    let language: Language = form.text("language").parse().unwrap_or(t.language);
    let refused = |name_error, email_error| {
        let (name, email) = (name.clone(), email.clone());
        move |p: &mut UsersPage| {
            p.typed_name = name;
            p.typed_email = email;
            p.name_error = name_error;
            p.email_error = email_error;
            p.error = Some(t.form_invalid());
        }
    };
    let Some(role) = role else {
        return users_page(
            &state,
            &signed_in,
            StatusCode::UNPROCESSABLE_ENTITY,
            refused(None, None),
        )
        .await;
    };
    let new = NewUser {
        name: name.clone(),
        email: email.clone(),
        role,
    };
    match state
        .services
        .invite_user(&signed_in.user, new, language)
        .await
    {
        Ok(sent) if sent.emailed => Ok(see_other("/admin/users?done=invited").finish()),
        Ok(sent) => {
            users_page(&state, &signed_in, StatusCode::OK, |p| {
                p.handover = Some((t.link_not_emailed(), sent.link))
            })
            .await
        }
        Err(Error::Validation(fields)) => {
            let name_error = fields.0.contains_key("name").then(|| t.error_required());
            let email_error = fields.0.contains_key("email").then(|| t.error_email());
            users_page(
                &state,
                &signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused(name_error, email_error),
            )
            .await
        }
        Err(Error::Conflict(_)) => {
            users_page(
                &state,
                &signed_in,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused(None, Some(t.email_taken())),
            )
            .await
        }
        Err(e) => Err(WebError::service(e, t.language)),
    }
}

/// The user a row's form is about.
fn user_id(signed_in: &SignedIn<ManageUsers>, id: &str) -> Result<uuid::Uuid, WebError> {
    id.parse().map_err(|_| signed_in.visitor.not_found())
}

/// `POST /admin/users/{id}/{action}`: role, password-link, token, deactivate.
pub async fn act(
    state: web::Data<AppState>,
    signed_in: SignedIn<ManageUsers>,
    path: web::Path<(String, String)>,
    form: FormFields,
) -> Result<HttpResponse, WebError> {
    let visitor = &signed_in.visitor;
    visitor.check_csrf(form.get("csrf_token"))?;
    let t = visitor.tr();
    let (id, action) = path.into_inner();
    let id = user_id(&signed_in, &id)?;
    let services = &state.services;
    let not_found = || visitor.not_found();
    let outcome: Result<HttpResponse, Error> = match action.as_str() {
        "role" => {
            let Ok(role) = form.text("role").parse::<Role>() else {
                return Err(not_found());
            };
            services.change_role(id, role).await.map(|user: User| {
                state.tokens.evict_user(user.id);
                see_other("/admin/users?done=role").finish()
            })
        }
        "password-link" => match services
            .send_account_link(&signed_in.user, id, AccountLink::Reset)
            .await
        {
            Ok(sent) if sent.emailed => Ok(see_other("/admin/users?done=link").finish()),
            Ok(sent) => {
                return users_page(&state, &signed_in, StatusCode::OK, |p| {
                    p.handover = Some((t.link_not_emailed(), sent.link))
                })
                .await;
            }
            Err(e) => Err(e),
        },
        "token" => match services.rotate_token(id).await {
            Ok(token) => {
                state.tokens.evict_user(id);
                return users_page(&state, &signed_in, StatusCode::OK, |p| {
                    p.handover = Some((t.token_made(), token))
                })
                .await;
            }
            Err(e) => Err(e),
        },
        "deactivate" => services.deactivate_user(id).await.map(|_| {
            state.tokens.evict_user(id);
            see_other("/admin/users?done=deactivated").finish()
        }),
        _ => return Err(not_found()),
    };
    match outcome {
        Ok(response) => Ok(response),
        Err(Error::NotFound(_)) => Err(not_found()),
        Err(Error::Conflict(_)) => {
            users_page(&state, &signed_in, StatusCode::CONFLICT, |p| {
                p.error = Some(t.last_admin())
            })
            .await
        }
        Err(e) => Err(WebError::service(e, t.language)),
    }
}
