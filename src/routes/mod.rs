//! HTTP routes, one module per resource. Handlers stay thin: parse,
//! authorise (in their signature), call domain and db, shape the response.

pub mod alerts;
pub mod charts;
pub mod extract;
pub mod meta;
pub mod requests;
pub mod stats;
pub mod users;

use actix_web::web;

/// Everything under `/api/v1`.
pub fn api(cfg: &mut web::ServiceConfig) {
    requests::routes(cfg);
    users::routes(cfg);
    meta::routes(cfg);
    alerts::routes(cfg);
    stats::routes(cfg);
    charts::routes(cfg);
}
