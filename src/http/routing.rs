//! How routes are given to actix. Every route is registered through
//! [`Routes`], which also notes each (method, path) in [`registered`]: the
//! OpenAPI tests compare the document with that list, so a route the
//! document lacks fails the tests instead of going unnoticed. A path's other
//! methods get 405 with `Allow`.
//!
//! Every route needs a token ([`super::auth::authenticate`] runs before its
//! handler reads anything) except those made with [`get_anonymous`].

use std::collections::BTreeSet;
use std::sync::Mutex;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{FromRequest, Handler, HttpResponse, Responder, Route, web};

use super::auth::authenticate;
use super::error::json_error_for_status;

/// Where the versioned API lives.
pub const API_PREFIX: &str = "/api/v1";

/// Every `(METHOD, /path/{param})` registered so far, in this process.
static REGISTERED: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());

/// The operations actix was given (filled as workers build their apps).
pub fn registered() -> Vec<(String, String)> {
    REGISTERED
        .lock()
        .expect("route registry lock")
        .iter()
        .cloned()
        .collect()
}

/// Registers resources with actix and records them (see the module doc).
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    prefix: &'static str,
}

impl<'a> Routes<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig, prefix: &'static str) -> Routes<'a> {
        Routes { cfg, prefix }
    }

    /// One path and the methods it answers; any other method gets 405 with
    /// `Allow` and the JSON error body.
    pub fn add<const N: usize>(
        &mut self,
        path: &'static str,
        routes: [(Method, Route); N],
    ) -> &mut Self {
        let mut resource = web::resource(path);
        let mut allowed = Vec::with_capacity(N);
        {
            let mut registry = REGISTERED.lock().expect("route registry lock");
            for (method, route) in routes {
                registry.insert((method.to_string(), format!("{}{path}", self.prefix)));
                allowed.push(method.to_string());
                resource = resource.route(route);
            }
        }
        let allow = allowed.join(", ");
        resource = resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { method_not_allowed(&allow) }
        }));
        self.cfg.service(resource);
        self
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow.to_string()))
        .json(json_error_for_status(StatusCode::METHOD_NOT_ALLOWED))
}

fn route<F, Args>(method: Method, handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    (
        method.clone(),
        web::method(method)
            .to(handler)
            .wrap(actix_web::middleware::from_fn(authenticate)),
    )
}

/// A `GET` route that needs no token (the probes, the OpenAPI document).
pub fn get_anonymous<F, Args>(handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    (Method::GET, web::get().to(handler))
}

/// A `GET` route for [`Routes::add`], for signed-in callers.
pub fn get<F, Args>(handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    route(Method::GET, handler)
}

/// A `POST` route for [`Routes::add`], for signed-in callers.
pub fn post<F, Args>(handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    route(Method::POST, handler)
}

/// A `PATCH` route for [`Routes::add`], for signed-in callers.
pub fn patch<F, Args>(handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    route(Method::PATCH, handler)
}

/// A `DELETE` route for [`Routes::add`], for signed-in callers.
pub fn delete<F, Args>(handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    route(Method::DELETE, handler)
}
