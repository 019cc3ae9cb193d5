//! The web pages: server-rendered HTML for the people who use the register
//! (clerks, coordinators, admins) and its statistics (analysts), over the
//! same services as the API.
//!
//! Templates (`templates/`, askama) are compiled into the binary and escape
//! every value; the stylesheet is embedded too, so a page makes no request
//! outside this service. Every page works without JavaScript. Pages are
//! authorised by role exactly as the API is ([`session::SignedIn`] takes
//! the API's permissions), every state-changing form carries a CSRF token,
//! and pages are sent with a strict Content-Security-Policy.

mod account;
mod admin;
mod alerts;
mod assets;
mod choice;
pub mod error;
mod field_errors;
pub mod i18n;
mod imports;
mod invitation;
mod layout;
mod moves;
mod register;
mod request_actions;
mod request_form;
mod request_sections;
pub mod session;
mod sign_in;
mod stats;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use error::MessagePage;
use session::Visitor;

/// The pages' routes (at the root, beside `/api/v1` and the probes).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(sign_in::home))
        .service(
            web::resource("/login")
                .get(sign_in::form)
                .post(sign_in::submit),
        )
        .route("/logout", web::post().to(sign_in::sign_out))
        .route("/language", web::post().to(sign_in::language))
        .route("/requests", web::get().to(register::list))
        .service(
            web::resource("/requests/new")
                .get(request_form::new_form)
                .post(request_form::create),
        )
        .route("/requests/export", web::get().to(register::export))
        .route("/requests/{id}", web::get().to(register::show))
        .route(
            "/requests/{id}/transitions",
            web::post().to(moves::transition),
        )
        .route("/requests/{id}/notes", web::post().to(moves::note))
        .route(
            "/requests/{id}/follow-ups",
            web::post().to(request_actions::follow_up),
        )
        .route(
            "/requests/{id}/snooze",
            web::post().to(request_actions::snooze),
        )
        .route(
            "/requests/{id}/unsnooze",
            web::post().to(request_actions::unsnooze),
        )
        .route(
            "/requests/{id}/milestones",
            web::post().to(request_actions::milestone),
        )
        .route(
            "/requests/{id}/preservations",
            web::post().to(request_actions::preservation),
        )
        .route(
            "/requests/{id}/preservations/{pid}/renew",
            web::post().to(request_actions::renew),
        )
        .route(
            "/requests/{id}/preservations/{pid}/release",
            web::post().to(request_actions::release),
        )
        .service(
            web::resource("/requests/{id}/edit")
                .get(request_form::edit_form)
                .post(request_form::update),
        )
        .service(
            web::resource("/imports")
                .get(imports::form)
                .post(imports::submit),
        )
        .route("/alerts", web::get().to(alerts::list))
        .route("/alerts/follow-ups", web::post().to(alerts::follow_up))
        .route("/stats", web::get().to(stats::page))
        .route("/stats/countries.csv", web::get().to(stats::countries_csv))
        .route(
            "/stats/report.pdf",
            web::get().to(|s, u, r| stats::report(s, u, r, true)),
        )
        .route(
            "/stats/report.html",
            web::get().to(|s, u, r| stats::report(s, u, r, false)),
        )
        .route("/stats/reasons.csv", web::get().to(stats::reasons_csv))
        .route("/stats/timeline.csv", web::get().to(stats::timeline_csv))
        .route(
            "/stats/charts/response-rates.svg",
            web::get().to(stats::response_rates_chart),
        )
        .route(
            "/stats/charts/response-curves.svg",
            web::get().to(stats::response_curves_chart),
        )
        .route("/admin/users", web::get().to(admin::list))
        .route("/admin/users/invite", web::post().to(admin::invite))
        .route("/admin/users/{id}/{action}", web::post().to(admin::act))
        .service(
            web::resource("/invitation/{secret}")
                .get(invitation::form)
                .post(invitation::submit),
        )
        .route("/account", web::get().to(account::show))
        .route("/account/language", web::post().to(account::language))
        .route("/account/password", web::post().to(account::password))
        .route("/account/token", web::post().to(account::token))
        .route("/static/app.css", web::get().to(assets::stylesheet));
}

/// The HTML 404 page for a browser that asked for a page that is not there.
pub async fn not_found(visitor: Visitor) -> HttpResponse {
    let t = visitor.tr();
    let chrome = visitor.chrome(t.not_found_title());
    visitor.page(
        StatusCode::NOT_FOUND,
        &MessagePage {
            chrome,
            text: t.not_found_text(),
        },
    )
}
