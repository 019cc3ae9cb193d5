//! The web pages over HTTP, as a browser without JavaScript would use them:
//! sign-in, sessions and their limits, CSRF tokens, roles, escaping,
//! languages and the pages' headers. (tests/browser drives the same pages
//! in a real browser, with axe-core.)

use std::collections::HashMap;
use std::time::Duration;

use awc::http::Method;
use mla_tracker::credentials::password;
use mla_tracker::db::users;
use serde_json::json;

use crate::common::{self, TestApp, id_of, sent_body, spawn_app, spawn_app_with};

pub(crate) const PASSWORD: &str = "Correct-horse-battery-7";

/// A browser: a cookie jar, no redirects followed, forms posted with the
/// CSRF token of the page they came from.
pub(crate) struct Browser {
    address: String,
    client: awc::Client,
    cookies: HashMap<String, String>,
    pub(crate) accept_language: Option<&'static str>,
}

/// What a request of the browser carries.
enum Body<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
    Raw(String, Vec<u8>),
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: awc::http::header::HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    pub(crate) fn location(&self) -> String {
        self.header("location")
    }

    /// The first CSRF token in the page.
    pub(crate) fn csrf(&self) -> String {
        let start = self
            .body
            .find(r#"name="csrf_token" value=""#)
            .expect("the page has a form with a CSRF token")
            + r#"name="csrf_token" value=""#.len();
        self.body[start..start + 64].to_string()
    }
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        Browser {
            address: app.address.clone(),
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(60))
                .finish(),
            cookies: HashMap::new(),
            accept_language: None,
        }
    }

    async fn send(&mut self, method: Method, path: &str, body: Body<'_>) -> Page {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .insert_header(("Accept", "text/html"));
        if let Some(language) = self.accept_language {
            req = req.insert_header(("Accept-Language", language));
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.insert_header(("Cookie", jar.join("; ")));
        }
        let mut res = match body {
            Body::Form(pairs) => req.send_form(&pairs.to_vec()).await,
            Body::Raw(content_type, bytes) => {
                req.insert_header(("Content-Type", content_type))
                    .send_body(bytes)
                    .await
            }
            Body::None => req.send().await,
        }
        .expect("the server answers");
        for set in res.headers().get_all("set-cookie") {
            let cookie =
                actix_web::cookie::Cookie::parse(set.to_str().unwrap().to_string()).unwrap();
            let expired =
                cookie.max_age().is_some_and(|a| a.is_zero()) || cookie.value().is_empty();
            if expired {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_string(), cookie.value().to_string());
            }
        }
        let body = res.body().limit(10 << 20).await.expect("a body");
        // Every page is UTF-8; a PDF is read as text only to look for words.
        let pdf = res
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"application/pdf"));
        Page {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: if pdf {
                String::from_utf8_lossy(&body).into_owned()
            } else {
                String::from_utf8(body.to_vec()).expect("UTF-8")
            },
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, Body::None).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Body::Form(form)).await
    }

    /// Posts a body already encoded (a multipart form) of `content_type`.
    pub(crate) async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        self.send(
            Method::POST,
            path,
            Body::Raw(content_type.to_string(), body),
        )
        .await
    }

    /// Signs in through the form; returns the answer to the POST.
    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }
}

/// Whether `text` is in the page as text: its `<`, `>`, `&` and quotes
/// written as character references (named or numeric).
pub(crate) fn escaped(body: &str, text: &str) -> bool {
    let numeric: String = text
        .chars()
        .map(|c| match c {
            '<' | '>' | '&' | '"' | '\'' => format!("&#{};", c as u32),
            c => c.to_string(),
        })
        .collect();
    let named = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    body.contains(&numeric) || body.contains(&named)
}

/// A user of `role` with [`PASSWORD`]; returns their email.
pub(crate) async fn user_with_password(app: &TestApp, role: &str) -> String {
    let (user, _) = app.create_user(role).await;
    let email = user["email"].as_str().unwrap().to_string();
    let hash = password::hash(PASSWORD);
    let mut conn = app.db.blocking_conn().unwrap();
    let id = user["id"].as_str().unwrap().parse().unwrap();
    assert!(users::set_password_hash(&mut conn, id, &hash).unwrap());
    email
}

#[actix_web::test]
async fn sign_in_page_has_the_fields_and_headers_of_a_form_page() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/login").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    for field in [
        r#"name="email""#,
        r#"name="password""#,
        r#"name="csrf_token""#,
    ] {
        assert!(page.body.contains(field), "{field} missing");
    }
    let policy = page.header("content-security-policy");
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert!(page.body.contains(r#"<html lang="en">"#));
    assert!(page.body.contains(r##"href="#main""##) && page.body.contains(r#"<main id="main""#));
    let browser_cookie = browser
        .cookies
        .get("mla_browser")
        .expect("a browser cookie");
    assert!(browser_cookie.len() >= 43);
    assert!(
        !page.body.contains(browser_cookie.as_str()),
        "the secret itself is never in the page"
    );
}

#[actix_web::test]
async fn signing_in_and_out() {
    let app = spawn_app().await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);

    let before = browser.get("/requests").await;
    assert_eq!(before.status, 303);
    assert_eq!(before.location(), "/login?next=%2Frequests");

    let wrong = browser.sign_in(&email, "Correct-horse-battery-8").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Email or password incorrect."));
    assert!(wrong.body.contains(&email), "the email is kept in the form");
    let unknown = browser.sign_in("nobody@test.example", PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert!(
        unknown.body.contains("Email or password incorrect."),
        "the same message"
    );

    let signed_in = browser.sign_in(&email, PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location(), "/requests");
    let set_cookie = signed_in.header("set-cookie");
    assert!(set_cookie.starts_with("mla_session="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "public_url is http here");
    let register = browser.get("/requests").await;
    assert_eq!(register.status, 200);
    assert!(register.body.contains("Sign out"));

    let session = browser.cookies["mla_session"].clone();
    let csrf = register.csrf();
    let out = browser.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/login?signed_out=1");
    assert!(!browser.cookies.contains_key("mla_session"));
    // The old cookie opens nothing any more: the session ended in the database.
    browser.cookies.insert("mla_session".into(), session);
    let after = browser.get("/requests").await;
    assert_eq!(after.status, 303);
    assert!(after.location().starts_with("/login"));
}

#[actix_web::test]
async fn a_next_parameter_goes_back_to_this_site_only() {
    let app = spawn_app().await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/login?next=%2Frequests%3Fstatus%3Dsent").await;
    let csrf = form.csrf();
    let next = "/requests?status=sent";
    let res = browser
        .post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", &email),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await;
    assert_eq!(res.location(), next);
    let mut other = Browser::new(&app);
    let csrf = other.get("/login").await.csrf();
    let res = other
        .post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", &email),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.location(), "/requests");
}

#[actix_web::test]
async fn failed_sign_ins_are_throttled_like_bad_tokens() {
    let app = spawn_app_with(|s| s.auth.max_failed_attempts = 3).await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(
            browser.sign_in(&email, "Wrong-password-123").await.status,
            401
        );
    }
    let throttled = browser.sign_in(&email, "Wrong-password-123").await;
    assert_eq!(throttled.status, 429);
    assert!(throttled.body.contains("Too many failed attempts"));
    // Even the right password waits for the window to end.
    assert_eq!(browser.sign_in(&email, PASSWORD).await.status, 429);
}

#[actix_web::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in(&email, PASSWORD).await.status, 303);
    let page = browser.get("/requests").await;

    let none = browser.post("/logout", &[]).await;
    assert_eq!(none.status, 403);
    assert!(none.body.contains("This form has expired"));
    let mut other = Browser::new(&app);
    let foreign = other.get("/login").await.csrf();
    let wrong = browser.post("/logout", &[("csrf_token", &foreign)]).await;
    assert_eq!(wrong.status, 403, "another browser's token");
    assert_eq!(
        browser.get("/requests").await.status,
        200,
        "still signed in"
    );

    // The sign-in form is protected too (login CSRF).
    let mut fresh = Browser::new(&app);
    let res = fresh
        .post("/login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 403);
    assert!(!fresh.cookies.contains_key("mla_session"));
    let _ = page;
}

#[actix_web::test]
async fn sessions_end_when_idle_and_when_too_old() {
    let app = spawn_app_with(|s| {
        s.web.session_idle = Duration::from_secs(1);
        s.web.session_absolute = Duration::from_secs(3);
    })
    .await;
    let email = user_with_password(&app, "clerk").await;

    let mut idle = Browser::new(&app);
    assert_eq!(idle.sign_in(&email, PASSWORD).await.status, 303);
    assert_eq!(idle.get("/requests").await.status, 200);
    actix_web::rt::time::sleep(Duration::from_millis(1600)).await;
    let expired = idle.get("/requests").await;
    assert_eq!(expired.status, 303);
    assert_eq!(expired.location(), "/login?expired=1&next=%2Frequests");
    let form = idle.get(&expired.location()).await;
    assert!(
        form.body.contains("Your session has expired"),
        "{}",
        form.body
    );

    let mut busy = Browser::new(&app);
    assert_eq!(busy.sign_in(&email, PASSWORD).await.status, 303);
    for _ in 0..6 {
        actix_web::rt::time::sleep(Duration::from_millis(600)).await;
        let res = busy.get("/requests").await;
        if res.status != 200 {
            assert!(
                res.location().starts_with("/login?expired=1"),
                "{}",
                res.location()
            );
            return;
        }
    }
    panic!("a session in constant use outlived its absolute limit");
}

#[actix_web::test]
async fn deactivating_a_user_ends_their_sessions() {
    let app = spawn_app().await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in(&email, PASSWORD).await.status, 303);
    let users = app.get("/api/v1/users", &app.admin_token).await;
    let id = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email.as_str())
        .map(|u| u["id"].as_str().unwrap().to_string())
        .unwrap();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(browser.get("/requests").await.status, 303);
    assert_eq!(browser.sign_in(&email, PASSWORD).await.status, 401);
}

#[actix_web::test]
async fn an_analyst_reads_statistics_and_never_a_case() {
    let app = spawn_app().await;
    let created = app
        .create_request(&sent_body("CASE-WEB-1", "2026-01-05"))
        .await;
    let id = id_of(&created);
    let email = user_with_password(&app, "analyst").await;
    let mut browser = Browser::new(&app);
    let res = browser.sign_in(&email, PASSWORD).await;
    assert_eq!(res.location(), "/stats");
    let stats = browser.get("/stats").await;
    assert_eq!(stats.status, 200);
    assert!(stats.body.contains("Published view"));
    assert!(
        !stats.body.contains(r#"href="/requests""#),
        "no link to the register"
    );
    for path in [format!("/requests/{id}"), "/requests".to_string()] {
        let denied = browser.get(&path).await;
        assert_eq!(denied.status, 403, "{path}");
        assert!(
            denied.body.contains("<h1>Access denied</h1>"),
            "{}",
            denied.body
        );
        assert!(!denied.body.contains("CASE-WEB-1"));
        assert!(!denied.body.contains(created["title"].as_str().unwrap()));
    }
}

#[actix_web::test]
async fn every_value_is_escaped() {
    let app = spawn_app().await;
    let mut body = sent_body("CASE-WEB-2", "2026-01-05");
    body["title"] = json!("<script>alert(1)</script>");
    body["issuing_magistrate"]["name"] = json!("\"><img src=x onerror=alert(2)>");
    let id = id_of(&app.create_request(&body).await);
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    for path in ["/requests".to_string(), format!("/requests/{id}")] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(escaped(&page.body, "<script>alert(1)</script>"), "{path}");
        assert!(!page.body.contains("<script>"), "{path}");
        assert!(!page.body.contains("<img src=x"), "{path}");
    }
    let search = browser.get("/requests?q=%3Cb%3E").await;
    assert!(escaped(&search.body, "<b>") && !search.body.contains("<b>"));
}

#[actix_web::test]
async fn the_register_filters_with_the_api_s_parameters_and_explains_bad_ones() {
    let app = spawn_app().await;
    let mut philippines = sent_body("CASE-WEB-PH", "2026-01-05");
    philippines["target_country"] = json!("PH");
    philippines["title"] = json!("Subscriber data for a Manila account");
    app.create_request(&philippines).await;
    let mut germany = sent_body("CASE-WEB-DE", "2026-01-05");
    germany["target_country"] = json!("DE");
    germany["title"] = json!("Bank records in Frankfurt");
    app.create_request(&germany).await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;

    // Empty fields, as a form sends them, mean "any".
    let page = browser
        .get("/requests?status=&country=PH&priority=&legal_basis=&q=&sent_from=&sent_to=&sort=-created_at")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Subscriber data for a Manila account"));
    assert!(!page.body.contains("Bank records in Frankfurt"));
    assert!(
        page.body
            .contains(r#"<option value="PH" selected>Philippines</option>"#)
    );

    browser.accept_language = Some("fr-FR,fr;q=0.9");
    let bad = browser
        .get("/requests?sent_from=2026-13-01&sent_to=2026-01-01")
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains(r##"href="#filter-sent_from""##),
        "the summary links to the field"
    );
    assert!(bad.body.contains(r#"id="filter-sent_from-error""#));
    assert!(
        bad.body.contains("Saisissez une date au format AAAA-MM-JJ"),
        "{}",
        bad.body
    );
    assert!(
        bad.body
            .contains(r#"aria-describedby="filter-sent_from-error""#)
    );
    let reversed = browser
        .get("/requests?sent_from=2026-02-01&sent_to=2026-01-01")
        .await;
    assert!(
        reversed
            .body
            .contains("Cette date précède la date de début")
    );
}

/// The register's "next deadline" is the soonest of the law's and the
/// magistrate's, said whose, and marked when it has passed.
#[actix_web::test]
async fn the_register_names_each_request_s_next_deadline_and_whose_it_is() {
    let app = spawn_app().await;
    let today = common::office_today();
    let sent = today - chrono::Days::new(3);
    let mut eio = sent_body("CASE-EIO", &sent.to_string());
    eio["target_country"] = json!("PT");
    eio["legal_basis"] = json!("eio_directive");
    eio["needed_by"] = json!((today + chrono::Days::new(60)).to_string());
    app.create_request(&eio).await;
    let mut late = sent_body("CASE-LATE", "2025-01-10");
    late["needed_by"] = json!("2025-06-30");
    app.create_request(&late).await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let page = browser.get("/requests").await;
    let en = mla_tracker::domain::Language::En;
    let acknowledgement = en.date(&(sent + chrono::Days::new(7)));
    for cell in [
        format!(r#"{acknowledgement} <span class="muted">(EIO acknowledgement)</span>"#),
        r#"30 June 2025 <span class="muted">(magistrate&#39;s date)</span> <strong>passed</strong>"#
            .to_string(),
    ] {
        assert!(page.body.contains(&cell), "{cell}\n{}", page.body);
    }
    browser.accept_language = Some("fr-FR");
    let page = browser.get("/requests").await;
    assert!(
        page.body.contains("(accusé de réception DEI)") && page.body.contains("Prochaine échéance"),
        "{}",
        page.body
    );
}

#[actix_web::test]
async fn pages_speak_the_visitor_s_language() {
    let app = spawn_app().await;
    let mut body = sent_body("CASE-WEB-FR", "2026-03-01");
    body["target_country"] = json!("DE");
    body["offences"] = json!(["child_sexual_exploitation"]);
    let id = id_of(&app.create_request(&body).await);
    let email = user_with_password(&app, "clerk").await;

    let mut browser = Browser::new(&app);
    browser.accept_language = Some("fr-CH, fr;q=0.9, en;q=0.8");
    let form = browser.get("/login").await;
    assert!(form.body.contains(r#"<html lang="fr">"#));
    assert!(form.body.contains("Adresse électronique") && form.body.contains("Se connecter"));
    browser.sign_in(&email, PASSWORD).await;
    let request = browser.get(&format!("/requests/{id}")).await;
    for french in [
        "Allemagne",
        "1er mars 2026",
        "Exploitation sexuelle d&#39;enfants",
        "Historique",
    ] {
        assert!(request.body.contains(french), "{french} missing");
    }
    assert!(
        !request.body.contains("child_sexual_exploitation"),
        "never a code on screen"
    );

    // The switch: English from now on, for this user, whatever the browser says.
    let csrf = request.csrf();
    let here = format!("/requests/{id}");
    let res = browser
        .post(
            "/language",
            &[("csrf_token", &csrf), ("lang", "en"), ("next", &here)],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), here);
    assert!(browser.get(&here).await.body.contains("1 March 2026"));
    let mut elsewhere = Browser::new(&app);
    elsewhere.accept_language = Some("fr");
    elsewhere.sign_in(&email, PASSWORD).await;
    let page = elsewhere.get("/requests").await;
    assert!(
        page.body.contains(r#"<html lang="en">"#),
        "the preference was saved"
    );
}

#[actix_web::test]
async fn unknown_pages_answer_a_browser_in_html_and_the_api_in_json() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/no-such-page").await;
    assert_eq!(page.status, 404);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.body.contains("Page not found"));
    let api = app.call(Method::GET, "/no-such-page", None, None).await;
    assert_eq!((api.status, api.code()), (404, "not_found"));
    let under_api = browser.get("/api/v1/no-such-thing").await;
    assert!(
        under_api
            .header("content-type")
            .starts_with("application/json")
    );
}

#[actix_web::test]
async fn cookies_are_secure_when_the_service_is_reached_over_https() {
    let app = spawn_app_with(|s| s.server.public_url = "https://cases.example.org".into()).await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    let res = browser.sign_in(&email, PASSWORD).await;
    assert!(
        res.header("set-cookie").contains("Secure"),
        "{}",
        res.header("set-cookie")
    );
}

#[actix_web::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let css = browser.get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains(".skip-link"));
}

#[actix_web::test]
async fn a_coordinator_works_their_stalled_list_and_records_a_follow_up() {
    let app = spawn_app().await;
    let email = user_with_password(&app, "coordinator").await;
    let mut theirs = sent_body("CASE-WEB-MINE", &crate::common::days_ago(200));
    theirs["coordinator_email"] = json!(email);
    let theirs = app.create_request(&theirs).await;
    let other = app
        .create_request(&sent_body("CASE-WEB-OTHER", &crate::common::days_ago(300)))
        .await;
    let (mine_ref, other_ref) = (
        theirs["reference"].as_str().unwrap().to_string(),
        other["reference"].as_str().unwrap().to_string(),
    );
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;

    let list = browser.get("/alerts").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&mine_ref), "their own stalled request");
    assert!(
        !list.body.contains(&other_ref),
        "a coordinator sees theirs first"
    );
    let all = browser.get("/alerts?scope=all").await;
    assert!(all.body.contains(&mine_ref) && all.body.contains(&other_ref));

    let id = id_of(&theirs);
    let csrf = list.csrf();
    let tomorrow = (crate::common::office_today() + chrono::Days::new(1)).to_string();
    let refused = browser
        .post(
            "/alerts/follow-ups",
            &[
                ("csrf_token", &csrf),
                ("request_id", &id),
                ("scope", "mine"),
                ("channel", "central_authority"),
                ("effective_date", &tomorrow),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Enter the date of the follow-up"),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!(r#"aria-describedby="date-{id}-error""#))
    );
    assert!(
        app.events(&id)
            .await
            .iter()
            .all(|e| e["kind"] != "follow_up"),
        "nothing written"
    );

    let today = crate::common::office_today().to_string();
    let recorded = browser
        .post(
            "/alerts/follow-ups",
            &[
                ("csrf_token", &csrf),
                ("request_id", &id),
                ("scope", "mine"),
                ("channel", "eurojust"),
                ("effective_date", &today),
                ("note", "Reminder sent through the Eurojust desk"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    assert_eq!(recorded.location(), "/alerts?scope=mine&recorded=1");
    let events = app.events(&id).await;
    let follow_up = events
        .iter()
        .find(|e| e["kind"] == "follow_up")
        .expect("a follow-up");
    assert_eq!(follow_up["note"], "Reminder sent through the Eurojust desk");
    let list = browser.get(&recorded.location()).await;
    assert!(list.body.contains("The follow-up was recorded"));
    assert!(
        list.body.contains("(Eurojust)"),
        "the last follow-up is shown"
    );

    // A clerk reads the list; an analyst does not.
    let analyst = user_with_password(&app, "analyst").await;
    let mut analyst_browser = Browser::new(&app);
    analyst_browser.sign_in(&analyst, PASSWORD).await;
    assert_eq!(analyst_browser.get("/alerts").await.status, 403);
}

/// The fields of a form page, by name: hidden ones included, each with the
/// value the page gives it (for a quick re-post).
pub(crate) fn form_value(page: &Page, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + marker.len();
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end].to_string()
}

#[actix_web::test]
async fn a_clerk_records_a_request_through_the_form_after_fixing_an_error() {
    let app = spawn_app().await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let form = browser.get("/requests/new").await;
    assert_eq!(form.status, 200);
    for name in [
        "title",
        "target_country",
        "issuing_magistrate.name",
        "issuing_magistrate.court",
        "offences",
        "sent_at",
    ] {
        assert!(
            form.body.contains(&format!(r#"name="{name}""#)),
            "{name}: the API's field names"
        );
    }
    let csrf = form.csrf();
    let fields = |title: &'static str| {
        vec![
            ("case_reference", "PARQUET-2026-0412"),
            ("title", title),
            ("issuing_magistrate.name", "Juge A. Martin"),
            ("issuing_magistrate.court", "Tribunal judiciaire de Paris"),
            ("target_country", "PH"),
            ("channel", "central_authority"),
            ("legal_basis", "untoc"),
            ("offences", "child_sexual_exploitation"),
            ("offences", "livestreamed_child_sexual_abuse"),
            ("measures", "identify_victims"),
            ("priority", "urgent"),
            ("sent_at", "2026-01-12"),
        ]
    };
    let mut bad = fields("   ");
    bad.push(("csrf_token", &csrf));
    let refused = browser.post("/requests/new", &bad).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains(r##"<a href="#field-title">Title — Fill in this field.</a>"##),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"id="field-title-error""#));
    assert!(
        refused.body.contains(r#"value="Juge A. Martin""#),
        "what was typed is kept"
    );
    assert!(
        refused
            .body
            .contains(r#"value="livestreamed_child_sexual_abuse" checked"#)
    );
    assert_eq!(app.list_all("", 50).await.len(), 0, "nothing written");

    let mut good = fields("Live-streamed abuse: identify the children");
    good.push(("csrf_token", &csrf));
    let created = browser.post("/requests/new", &good).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let id = created
        .location()
        .trim_start_matches("/requests/")
        .to_string();
    let record = app.fetch(&id).await;
    assert_eq!(record["status"], "sent");
    assert_eq!(
        record["issuing_magistrate"]["court"],
        "Tribunal judiciaire de Paris"
    );
    assert_eq!(
        record["offences"],
        json!([
            "child_sexual_exploitation",
            "livestreamed_child_sexual_abuse"
        ])
    );
    assert_eq!(record["case_reference"], "PARQUET-2026-0412");
}

#[actix_web::test]
async fn moves_ask_for_what_they_need_and_the_history_shows_each() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("CASE-WEB-MOVES", "2026-01-12"))
            .await,
    );
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let page = browser.get(&format!("/requests/{id}")).await;
    let csrf = page.csrf();
    let version = form_value(&page, "version");
    let path = format!("/requests/{id}/transitions");

    let moved = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("to", "acknowledged"),
                ("effective_date", "2026-02-02"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(app.fetch(&id).await["status"], "acknowledged");

    // A stale version records nothing.
    let stale = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("to", "in_execution"),
                ("effective_date", "2026-02-03"),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("nothing was recorded"));
    assert_eq!(app.fetch(&id).await["status"], "acknowledged");

    let page = browser.get(&format!("/requests/{id}")).await;
    let version = form_value(&page, "version");
    assert!(
        page.body.contains(r#"name="abandonment_reason""#),
        "abandoning asks for a reason"
    );
    let without = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("to", "abandoned"),
                ("effective_date", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(without.status, 422);
    assert!(
        without.body.contains(r#"id="reason-abandoned-error""#),
        "{}",
        without.body
    );
    assert!(
        without.body.contains("<details open>"),
        "the refused move stays open"
    );
    let with = browser
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("version", &version),
                ("to", "abandoned"),
                ("effective_date", "2026-03-01"),
                ("abandonment_reason", "no_response"),
                ("note", "No answer after three reminders"),
            ],
        )
        .await;
    assert_eq!(with.status, 303, "{}", with.body);
    let record = app.fetch(&id).await;
    assert_eq!(
        (
            record["status"].as_str(),
            record["abandonment_reason"].as_str()
        ),
        (Some("abandoned"), Some("no_response"))
    );

    let note = browser
        .post(
            &format!("/requests/{id}/notes"),
            &[("csrf_token", &csrf), ("text", "Case file closed")],
        )
        .await;
    assert_eq!(note.status, 303);
    let page = browser.get(&format!("/requests/{id}")).await;
    for shown in [
        "Status changed: Sent → Acknowledged",
        "Status changed: Acknowledged → Abandoned",
        "No answer after three reminders",
        "Case file closed",
        "No response from the requested state",
    ] {
        assert!(page.body.contains(shown), "{shown} missing from the page");
    }
}

#[actix_web::test]
async fn an_edit_made_on_an_old_version_shows_the_conflict_and_overwrites_nothing() {
    let app = spawn_app().await;
    let id = id_of(
        &app.create_request(&sent_body("CASE-WEB-EDIT", "2026-01-12"))
            .await,
    );
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let form = browser.get(&format!("/requests/{id}/edit")).await;
    assert_eq!(form.status, 200);
    let (csrf, version) = (form.csrf(), form_value(&form, "version"));
    assert!(
        form.body.contains(r#"value="Juge Martin""#),
        "the form holds the record"
    );

    // Someone else changes the title first, through the API.
    let theirs = app
        .patch(
            &id,
            &app.admin_token,
            Some(version.parse().unwrap()),
            &json!({"title": "Their title"}),
        )
        .await;
    assert_eq!(theirs.status, 200, "{theirs:?}");

    let edit = [
        ("csrf_token", csrf.as_str()),
        ("version", version.as_str()),
        ("case_reference", "CASE-WEB-EDIT"),
        ("title", "My title"),
        ("issuing_magistrate.name", "Juge Martin"),
        ("target_country", "PH"),
        ("channel", "central_authority"),
        ("legal_basis", "untoc"),
        ("offences", "child_sexual_exploitation"),
        ("priority", "urgent"),
    ];
    let conflict = browser.post(&format!("/requests/{id}/edit"), &edit).await;
    assert_eq!(conflict.status, 409);
    assert!(conflict.body.contains("Someone else changed this request"));
    assert!(conflict.body.contains("My title") && conflict.body.contains("Their title"));
    assert_eq!(
        app.fetch(&id).await["title"],
        "Their title",
        "nothing overwritten"
    );

    let fresh = browser.get(&format!("/requests/{id}/edit")).await;
    let mut again = edit;
    let new_version = form_value(&fresh, "version");
    again[1] = ("version", new_version.as_str());
    let saved = browser.post(&format!("/requests/{id}/edit"), &again).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let record = app.fetch(&id).await;
    assert_eq!(record["title"], "My title");
    assert_eq!(
        record["measures"],
        json!([]),
        "an unticked group is cleared, as the form shows it"
    );
}

#[actix_web::test]
async fn a_user_changes_their_own_language_password_and_token() {
    let app = spawn_app().await;
    let email = user_with_password(&app, "analyst").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let page = browser.get("/account").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();

    let saved = browser
        .post(
            "/account/language",
            &[("csrf_token", &csrf), ("language", "fr")],
        )
        .await;
    assert_eq!(saved.location(), "/account?saved=1");
    assert!(
        browser
            .get("/account?saved=1")
            .await
            .body
            .contains("Langue enregistrée.")
    );

    let post = |current: &'static str, new: &'static str, again: &'static str| {
        [
            ("csrf_token", csrf.clone()),
            ("current_password", current.into()),
            ("new_password", new.into()),
            ("new_password_again", again.into()),
        ]
    };
    let as_pairs = |fields: &[(&'static str, String)]| {
        fields
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect::<Vec<_>>()
    };
    for (fields, expected) in [
        (
            post(
                "Not-my-password-1",
                "Greffe-du-tribunal-2026",
                "Greffe-du-tribunal-2026",
            ),
            "Ce n&#39;est pas votre mot de passe actuel.",
        ),
        (
            post(
                PASSWORD,
                "Greffe-du-tribunal-2026",
                "Greffe-du-tribunal-2027",
            ),
            "Les deux nouveaux mots de passe diffèrent",
        ),
        (
            post(PASSWORD, "1qaz2wsx3edc4rfv", "1qaz2wsx3edc4rfv"),
            "parmi les plus courants",
        ),
        (
            post(PASSWORD, "short-one", "short-one"),
            "au moins 12 caractères",
        ),
    ] {
        let pairs = as_pairs(&fields);
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = browser.post("/account/password", &borrowed).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains(expected), "{expected}");
    }
    assert_eq!(
        browser.get("/stats").await.status,
        200,
        "still signed in, nothing changed"
    );

    let pairs = as_pairs(&post(
        PASSWORD,
        "Greffe-du-tribunal-2026",
        "Greffe-du-tribunal-2026",
    ));
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let changed = browser.post("/account/password", &borrowed).await;
    assert_eq!(changed.location(), "/login?password_changed=1");
    assert_eq!(browser.get("/stats").await.status, 303, "signed out");
    assert_eq!(
        browser.sign_in(&email, PASSWORD).await.status,
        401,
        "the old password is gone"
    );
    assert_eq!(
        browser
            .sign_in(&email, "Greffe-du-tribunal-2026")
            .await
            .status,
        303
    );

    let csrf = browser.get("/account").await.csrf();
    let page = browser
        .post("/account/token", &[("csrf_token", &csrf)])
        .await;
    let start = page
        .body
        .find(r#"<code class="token">"#)
        .expect("the token is shown")
        + r#"<code class="token">"#.len();
    let token = &page.body[start..start + 47];
    assert!(token.starts_with("mla_"), "{token}");
    assert_eq!(
        app.get("/api/v1/stats/countries", token).await.status,
        200,
        "the new token works"
    );
}

/// The links to set a password in every email sent to `to` (in no order).
fn emailed_links(app: &TestApp, to: &str) -> Vec<String> {
    app.emails()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {to}")))
        .map(|mail| {
            let start = mail.find("http://").expect("a link");
            let end = mail[start..].find(char::is_whitespace).unwrap();
            mail[start..start + end].to_string()
        })
        .collect()
}

/// The one link sent to `to` since `before` was read.
fn new_link(app: &TestApp, to: &str, before: &[String]) -> String {
    let fresh: Vec<String> = emailed_links(app, to)
        .into_iter()
        .filter(|l| !before.contains(l))
        .collect();
    assert_eq!(fresh.len(), 1, "one new link: {fresh:?}");
    fresh[0].clone()
}

#[actix_web::test]
async fn an_admin_invites_a_user_who_chooses_a_password_once() {
    let app = spawn_app_with(|s| s.server.public_url = "http://mla.justice.example".into()).await;
    let admin = user_with_password(&app, "admin").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&admin, PASSWORD).await;
    let page = browser.get("/admin/users").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let invited = browser
        .post(
            "/admin/users/invite",
            &[
                ("csrf_token", &csrf),
                ("name", "Camille Coordinatrice"),
                ("email", "camille@justice.example"),
                ("role", "coordinator"),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(
        invited.location(),
        "/admin/users?done=invited",
        "{}",
        invited.body
    );
    let mail = app
        .emails()
        .into_iter()
        .find(|m| m.contains("camille@justice.example"))
        .expect("an invitation");
    assert!(
        mail.contains("vous a ouvert un compte"),
        "in the invitee's language: {mail}"
    );
    let link = new_link(&app, "camille@justice.example", &[]);
    assert!(
        link.starts_with("http://mla.justice.example/invitation/"),
        "{link}"
    );
    let path = link.trim_start_matches("http://mla.justice.example");

    let mut invitee = Browser::new(&app);
    let form = invitee.get(path).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("camille@justice.example"));
    let csrf = form.csrf();
    let weak = invitee
        .post(
            path,
            &[
                ("csrf_token", &csrf),
                ("new_password", "password1234"),
                ("new_password_again", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    let set = invitee
        .post(
            path,
            &[
                ("csrf_token", &csrf),
                ("new_password", "Entraide-penale-2026"),
                ("new_password_again", "Entraide-penale-2026"),
            ],
        )
        .await;
    assert_eq!(set.location(), "/login?password_set=1");
    assert_eq!(
        invitee
            .sign_in("camille@justice.example", "Entraide-penale-2026")
            .await
            .location(),
        "/requests"
    );
    assert_eq!(invitee.get(path).await.status, 410, "a link works once");

    // A reset link replaces the earlier one.
    let users = app.get("/api/v1/users", &app.admin_token).await;
    let id = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "camille@justice.example")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let csrf = browser.get("/admin/users").await.csrf();
    let reset = format!("/admin/users/{id}/password-link");
    let sent = emailed_links(&app, "camille@justice.example");
    browser.post(&reset, &[("csrf_token", &csrf)]).await;
    let first = new_link(&app, "camille@justice.example", &sent);
    let sent = emailed_links(&app, "camille@justice.example");
    browser.post(&reset, &[("csrf_token", &csrf)]).await;
    let second = new_link(&app, "camille@justice.example", &sent);
    assert_ne!(first, second);
    let strip = |l: &str| {
        l.trim_start_matches("http://mla.justice.example")
            .to_string()
    };
    assert_eq!(
        invitee.get(&strip(&first)).await.status,
        410,
        "replaced by the newer link"
    );
    assert_eq!(invitee.get(&strip(&second)).await.status, 200);

    // Role changes; the last admin keeps theirs.
    let role = browser
        .post(
            &format!("/admin/users/{id}/role"),
            &[("csrf_token", &csrf), ("role", "clerk")],
        )
        .await;
    assert_eq!(role.location(), "/admin/users?done=role");
    assert!(
        app.get("/api/v1/users", &app.admin_token)
            .await
            .body
            .to_string()
            .contains(r#""role":"clerk""#)
    );
    let deactivated = browser
        .post(
            &format!("/admin/users/{id}/deactivate"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deactivated.location(), "/admin/users?done=deactivated");
    assert_eq!(
        invitee.get("/requests").await.status,
        303,
        "their session ended"
    );
    assert_eq!(
        invitee.get(&strip(&second)).await.status,
        410,
        "a deactivated user's link is dead"
    );
}

#[actix_web::test]
async fn when_the_invitation_cannot_be_emailed_the_admin_gets_the_link() {
    let app = spawn_app_with(|s| {
        s.mail.url = mla_tracker::config::SecretUrl::new("smtp://127.0.0.1:9?tls=none");
    })
    .await;
    let admin = user_with_password(&app, "admin").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&admin, PASSWORD).await;
    let csrf = browser.get("/admin/users").await.csrf();
    let page = browser
        .post(
            "/admin/users/invite",
            &[
                ("csrf_token", &csrf),
                ("name", "Dominique Clerk"),
                ("email", "dominique@justice.example"),
                ("role", "clerk"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("The email could not be sent"),
        "{}",
        page.body
    );
    assert!(page.body.contains("/invitation/"));
}

#[actix_web::test]
async fn only_admins_manage_users_and_a_clerk_sees_no_such_link() {
    let app = spawn_app().await;
    let clerk = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&clerk, PASSWORD).await;
    let register = browser.get("/requests").await;
    assert!(!register.body.contains(r#"href="/admin/users""#));
    assert_eq!(browser.get("/admin/users").await.status, 403);
    let csrf = register.csrf();
    let res = browser
        .post(
            "/admin/users/invite",
            &[
                ("csrf_token", &csrf),
                ("name", "X"),
                ("email", "x@example.org"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(app.emails().len(), 0);
}

#[actix_web::test]
async fn statistics_are_filtered_by_period_and_release_and_download_as_csv() {
    let app = spawn_app().await;
    app.create_request(&sent_body("CASE-WEB-STATS", "2025-03-10"))
        .await;
    let email = user_with_password(&app, "analyst").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    let page = browser.get("/stats").await;
    assert!(page.body.contains(r#"name="period""#) && page.body.contains(r#"name="as_of""#));

    let year = browser.get("/stats?period=2025&as_of=").await;
    assert_eq!(year.status, 200, "{}", year.body);
    let csv = browser.get("/stats/countries.csv?period=2025&as_of=").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.body.starts_with("country,country_name,requests,"),
        "{}",
        csv.body
    );

    // A date of figures that is not a release: refused in the published
    // view, saying what to choose instead, in the reader's language.
    let mut french = Browser::new(&app);
    french.accept_language = Some("fr");
    french.sign_in(&email, PASSWORD).await;
    let refused = french.get("/stats?as_of=2025-06-15").await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Choisissez l&#39;une des dates de publication"),
        "{}",
        refused.body
    );
}
