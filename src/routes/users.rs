//! `/users`: accounts and tokens (admins only).

use actix_web::{HttpResponse, web};
use diesel::Connection;
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use super::extract::{JsonBody, parse_id};
use super::{self as routes, Routes};
use crate::auth::{Authorized, ManageUsers};
use crate::db::users;
use crate::domain::{FieldErrors, Role};
use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes(r: &mut Routes) {
    r.add("/users", [routes::get(list), routes::post(create)])
        .add("/users/{id}", [routes::delete(deactivate)])
        .add("/users/{id}/tokens", [routes::post(rotate_token)]);
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub email: String,
    pub role: Role,
}

impl NewUser {
    /// Checks the fields; emails are compared lower-cased.
    pub fn checked(mut self) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::of(&self);
        if self.name.trim().is_empty() && !errors.0.contains_key("name") {
            errors.add("name", "must not be blank");
        }
        errors.into_result()?;
        self.email = self.email.to_lowercase();
        Ok(self)
    }
}

async fn create(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0.checked().map_err(ApiError::Validation)?;
    let (user, token) = state
        .db
        .write(move |conn| {
            conn.transaction(|conn| {
                if users::email_taken(conn, &new.email)? {
                    return Err(ApiError::Conflict(format!(
                        "a user with email `{}` exists",
                        new.email
                    )));
                }
                Ok(users::create(conn, &new.name, &new.email, new.role)?)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", user.id)))
        .json(json!({ "user": user, "token": token })))
}

async fn list(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
) -> Result<HttpResponse, ApiError> {
    let all = state.db.read(|conn| Ok(users::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": all })))
}

async fn rotate_token(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("user", &id)?;
    let token = state
        .db
        .write(move |conn| {
            users::rotate_token(conn, id).map_err(|e| match e {
                diesel::result::Error::NotFound => ApiError::not_found("active user", id),
                other => other.into(),
            })
        })
        .await?;
    state.tokens.evict_user(id);
    Ok(HttpResponse::Ok().json(json!({ "token": token })))
}

async fn deactivate(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("user", &id)?;
    let user = state
        .db
        .write(move |conn| {
            conn.transaction(|conn| {
                // Lock first, then read: the user's own row may have changed
                // while we waited for the lock.
                let active_admins = users::lock_active_admins(conn)?;
                let user = users::get(conn, id).map_err(|e| match e {
                    diesel::result::Error::NotFound => ApiError::not_found("user", id),
                    other => other.into(),
                })?;
                if user.role == Role::Admin && user.active && active_admins <= 1 {
                    return Err(ApiError::Conflict(
                        "this is the last active admin; create another admin first".into(),
                    ));
                }
                Ok(users::deactivate(conn, id)?)
            })
        })
        .await?;
    state.tokens.evict_user(id);
    Ok(HttpResponse::Ok().json(user))
}
