//! `/users`: accounts and tokens (admins only).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::auth::{Authorized, ManageUsers};
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, parse_id};
use crate::http::routing::{self, Routes};
use crate::http::state::AppState;
use crate::services::users::NewUser;

pub fn routes(r: &mut Routes) {
    r.add("/users", [routing::get(list), routing::post(create)])
        .add("/users/{id}", [routing::delete(deactivate)])
        .add("/users/{id}/tokens", [routing::post(rotate_token)]);
}

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

async fn list(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
) -> Result<HttpResponse, ApiError> {
    let all = state.services.list_users().await?;
    Ok(HttpResponse::Ok().json(json!({ "items": all })))
}

async fn rotate_token(
    state: web::Data<AppState>,
    _: Authorized<ManageUsers>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id("user", &id)?;
    let token = state.services.rotate_token(id).await?;
    state.tokens.evict_user(id);
    Ok(HttpResponse::Ok().json(json!({ "token": token })))
}

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
