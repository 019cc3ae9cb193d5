//! The stylesheet, compiled into the binary: pages load nothing from
//! anywhere else.

use actix_web::HttpResponse;
use actix_web::http::header;

const STYLESHEET: &str = include_str!("static/app.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        // It changes only with the binary; a day is a fair compromise.
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(STYLESHEET)
}
