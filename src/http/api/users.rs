//! `/users`: accounts and tokens (admins only).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::db::users::User;
use crate::http::auth::{Authorized, ManageUsers};
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, RecordId, parse_id};
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;
use crate::services::users::{CreatedUser, NewUser};

pub fn routes(r: &mut Routes) {
    r.add("/users", [routing::get(list), routing::post(create)])
        .add("/users/{id}", [routing::delete(deactivate)])
        .add("/users/{id}/tokens", [routing::post(rotate_token)]);
}

/// Create a user and their token
#[utoipa::path(
    post, path = "/api/v1/users", operation_id = "createUser", tag = "users",
    security(("bearer" = ["admin"])),
    request_body = NewUser,
    responses(
        (status = 201, description = "The user and their token, shown once", body = CreatedUser,
         headers(("Location"))),
        (status = 409, description = "A user with this email exists"),
    )
)]
async fn create(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let created = state.services.create_user(body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", created.user.id)))
        .json(created))
}

/// Every user.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    /// Oldest first.
    pub items: Vec<User>,
}

/// Every user
#[utoipa::path(
    get, path = "/api/v1/users", operation_id = "listUsers", tag = "users",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "The users", body = UserList))
)]
async fn list(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
) -> Result<HttpResponse, ApiError> {
    let items = state.services.list_users().await?;
    Ok(HttpResponse::Ok().json(UserList { items }))
}

/// A fresh token, shown this once; the old one stops working.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Token {
    pub token: String,
}

/// Give an active user a new token (the old one stops working)
#[utoipa::path(
    post, path = "/api/v1/users/{id}/tokens", operation_id = "rotateToken", tag = "users",
    security(("bearer" = ["admin"])),
    params(RecordId),
    responses((status = 200, description = "The new token, shown once", body = Token))
)]
async fn rotate_token(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("user", &id)?;
    let token = state.services.rotate_token(id).await?;
    state.tokens.evict_user(id);
    Ok(HttpResponse::Ok().json(Token { token }))
}

/// Deactivate a user (their token stops working)
#[utoipa::path(
    delete, path = "/api/v1/users/{id}", operation_id = "deactivateUser", tag = "users",
    security(("bearer" = ["admin"])),
    params(RecordId),
    responses(
        (status = 200, description = "The deactivated user", body = User),
        (status = 409, description = "The last active admin"),
    )
)]
async fn deactivate(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("user", &id)?;
    let user = state.services.deactivate_user(id).await?;
    state.tokens.evict_user(id);
    Ok(HttpResponse::Ok().json(user))
}
