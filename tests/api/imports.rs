//! Importing a spreadsheet register: `POST /api/v1/imports` and
//! `mla-tracker import`, over the committed fixtures of
//! tests/fixtures/import (written by scripts/import-fixtures): one register
//! of seven rows in CSV (French headers, Windows-1252), XLSX (English
//! headers, date cells, a serial number, a formula) and ODS (French
//! headers). Rows 4, 6 and 8 are each wrong in one column.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use actix_web::http::Method;
use serde_json::Value;

use crate::common::serve::{mla, scratch_dir};
use crate::common::{Resp, TestApp, spawn_app, spawn_app_with};

pub(crate) const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

/// Each fixture, and the headers of its three bad cells (rows 4, 6, 8).
const FORMATS: [(&str, [&str; 3]); 3] = [
    (
        "register-fr.csv",
        ["Pays requis", "Date d'envoi", "Date de clôture"],
    ),
    (
        "register-en.xlsx",
        ["Requested country", "Date sent", "Date closed"],
    ),
    (
        "register-fr.ods",
        ["Pays requis", "Date d'envoi", "Date de clôture"],
    ),
];

/// The references of the good rows.
pub(crate) const GOOD: [&str; 4] = ["IMP-001", "IMP-002", "IMP-004", "IMP-006"];

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(FIXTURES).join(name)).unwrap()
}

/// A multipart/form-data body: `file` (named `file_name`) and text fields.
pub(crate) fn form(file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = format!("----mla{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(bytes);
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload(
    app: &TestApp,
    token: &str,
    file_name: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> Resp {
    let (content_type, body) = form(file_name, bytes, fields);
    app.send_raw(Method::POST, "/api/v1/imports", token, &content_type, body)
        .await
}

/// (row, column) of each problem of a report.
fn problems(report: &Value) -> BTreeSet<(u64, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn expected_problems(headers: [&str; 3]) -> BTreeSet<(u64, String)> {
    [4, 6, 8]
        .into_iter()
        .zip(headers)
        .map(|(row, header)| (row, header.to_string()))
        .collect()
}

pub(crate) async fn references(app: &TestApp) -> BTreeSet<String> {
    app.list_all("", 100)
        .await
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_string())
        .collect()
}

/// Schemathesis cannot check this one (scripts/fuzz): the value it sends to
/// break a form field's type, an empty list, goes out as no field at all.
#[actix_web::test]
async fn a_flag_that_is_neither_true_nor_false_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let coordinator = app.token_for("coordinator").await;
    let (file, _) = FORMATS[0];
    for field in ["dry_run", "skip_invalid"] {
        let res = upload(
            &app,
            &coordinator,
            file,
            &fixture(file),
            &[(field, "maybe")],
        )
        .await;
        assert_eq!(res.status, 422, "{field}: {res:?}");
        assert!(res.body.to_string().contains(field), "{field}: {res:?}");
    }
    assert!(references(&app).await.is_empty());
}

#[actix_web::test]
async fn a_dry_run_names_each_bad_row_and_column_in_every_format_and_writes_nothing() {
    let app = spawn_app().await;
    let coordinator = app.token_for("coordinator").await;
    for (file, headers) in FORMATS {
        let res = upload(
            &app,
            &coordinator,
            file,
            &fixture(file),
            &[("dry_run", "true")],
        )
        .await;
        assert_eq!(res.status, 200, "{file}: {res:?}");
        let report = &res.body;
        assert_eq!(
            problems(report),
            expected_problems(headers),
            "{file}: {report}"
        );
        assert_eq!(report["clean"], false, "{file}");
        assert_eq!(report["written"], false, "{file}");
        assert_eq!(report["dry_run"], true, "{file}");
        assert_eq!(
            (report["rows"].as_u64(), report["created"].as_u64()),
            (Some(7), Some(4)),
            "{file}: {report}"
        );
        assert_eq!(report["invalid"], 3, "{file}");
        let country = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["row"] == 4)
            .unwrap();
        assert_eq!(country["value"], "Philipines", "{file}");
        assert_eq!(
            country["suggestion"], "did you mean Philippines (PH)?",
            "{file}: {country}"
        );
        let creations: BTreeSet<&str> = report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reference"].as_str().unwrap())
            .collect();
        assert_eq!(creations, GOOD.into_iter().collect(), "{file}");
    }
    assert!(
        references(&app).await.is_empty(),
        "a dry run writes nothing"
    );
}

#[actix_web::test]
async fn a_real_run_is_all_or_nothing_unless_told_to_skip_invalid_rows_and_a_second_run_changes_nothing()
 {
    for (file, _) in FORMATS {
        let app = spawn_app().await;
        let (coordinator, token) = app.create_user("coordinator").await;
        let refused = upload(&app, &token, file, &fixture(file), &[]).await;
        assert_eq!(refused.status, 200, "{file}: {refused:?}");
        assert_eq!(refused.body["written"], false, "{file}");
        assert!(
            references(&app).await.is_empty(),
            "{file}: nothing half-imported"
        );

        let done = upload(
            &app,
            &token,
            file,
            &fixture(file),
            &[("skip_invalid", "true")],
        )
        .await;
        assert_eq!(done.status, 200, "{file}: {done:?}");
        assert_eq!(done.body["written"], true, "{file}");
        assert_eq!(done.body["created"], 4, "{file}");
        assert_eq!(
            references(&app).await,
            GOOD.iter().map(|r| r.to_string()).collect(),
            "{file}: exactly the good rows"
        );

        // The executed request: its fields, and its history dated from the row.
        let found = app.list_all("q=IMP-001", 10).await;
        let executed = &found[0];
        assert_eq!(
            executed["title"], "Exploitation en ligne",
            "{file}: a formula by its value"
        );
        assert_eq!(executed["target_country"], "PH");
        assert_eq!(executed["channel"], "central_authority");
        assert_eq!(executed["legal_basis"], "untoc");
        assert_eq!(
            executed["offences"],
            serde_json::json!(["child_sexual_exploitation", "child_sexual_abuse_material"])
        );
        assert_eq!(executed["issuing_magistrate"]["court"], "TJ Paris");
        assert_eq!(executed["case_reference"], "PARQ-2025-1");
        assert_eq!(executed["foreign_reference"], "PH-DOJ-77");
        let id = executed["id"].as_str().unwrap();
        let history: Vec<(String, String, String)> = app
            .events(id)
            .await
            .iter()
            .map(|e| {
                assert_eq!(
                    e["actor"]["id"], coordinator["id"],
                    "{file}: by the importing user"
                );
                assert_eq!(
                    e["note"],
                    format!("imported from {file}, row 2"),
                    "{file}: {e}"
                );
                (
                    e["kind"].as_str().unwrap().to_string(),
                    e["effective_date"].as_str().unwrap().to_string(),
                    e["to_status"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String, String)> = [
            ("created", "2025-02-03", "sent"),
            ("transition", "2025-02-10", "acknowledged"),
            ("transition", "2025-04-01", "in_execution"),
            ("transition", "2025-05-15", "executed"),
        ]
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
        assert_eq!(history, expected, "{file}");
        assert_eq!(executed["acknowledged_at"], "2025-02-10");
        assert_eq!(executed["first_response_at"], "2025-04-01");
        assert_eq!(executed["closed_at"], "2025-05-15");

        let abandoned = &app.list_all("q=IMP-004", 10).await[0];
        assert_eq!(abandoned["status"], "abandoned");
        assert_eq!(abandoned["abandonment_reason"], "no_response");
        assert_eq!(abandoned["closed_at"], "2025-09-01");
        assert_eq!(abandoned["target_country"], "TH", "a country by its code");
        assert_eq!(
            abandoned["case_id"], executed["case_id"],
            "both rows of PARQ-2025-1 are filed under one case"
        );
        // The search indexes hold what the import wrote (on SQLite it
        // indexes its requests and cases at its end: db::bulk).
        let cases = app
            .get("/api/v1/cases?q=PARQ-2025-1", &app.admin_token)
            .await;
        assert_eq!(cases.status, 200, "{cases:?}");
        assert_eq!(cases.body["items"][0]["id"], executed["case_id"], "{file}");
        let draft = &app.list_all("q=IMP-006", 10).await[0];
        assert_eq!(draft["status"], "draft");
        let sent = &app.list_all("q=IMP-002", 10).await[0];
        assert_eq!(
            sent["sent_at"], "2025-02-04",
            "{file}: a serial number in the XLSX"
        );
        assert_eq!(sent["legal_basis"], "eio_directive");

        // Every format again: the same register, nothing new.
        let events_before: usize = app.events(id).await.len();
        for (again, _) in FORMATS {
            let res = upload(
                &app,
                &token,
                again,
                &fixture(again),
                &[("skip_invalid", "true")],
            )
            .await;
            assert_eq!(res.status, 200, "{file} then {again}: {res:?}");
            let r = &res.body;
            assert_eq!(
                (
                    r["created"].as_u64(),
                    r["updated"].as_u64(),
                    r["unchanged"].as_u64()
                ),
                (Some(0), Some(0), Some(4)),
                "{file} then {again}: {r}"
            );
        }
        assert_eq!(app.events(id).await.len(), events_before, "{file}");
        assert_eq!(references(&app).await.len(), 4, "{file}");
    }
}

#[actix_web::test]
async fn a_matched_row_changes_what_differs_and_records_the_steps_the_register_lacks() {
    let app = spawn_app().await;
    let token = app.token_for("admin").await;
    let head = "Reference;Case reference;Title;Magistrate;Requested country;Channel;Legal basis;Status;Date sent;Date acknowledged\r\n";
    let first = format!(
        "{head}IMP-100;PARQ-9;Titre;Juge X;PH;central_authority;untoc;Sent;03/02/2025;\r\n"
    );
    let res = upload(&app, &token, "a.csv", first.as_bytes(), &[]).await;
    assert_eq!(res.body["created"], 1, "{res:?}");
    let later = format!(
        "{head}IMP-100;PARQ-9;Nouveau titre;Juge X;PH;central_authority;untoc;Acknowledged;03/02/2025;20/02/2025\r\n"
    );
    let res = upload(&app, &token, "b.csv", later.as_bytes(), &[]).await;
    assert_eq!(res.body["updated"], 1, "{res:?}");
    assert_eq!(
        res.body["changes"][0]["changes"],
        serde_json::json!(["title", "acknowledged"])
    );
    let record = &app.list_all("q=IMP-100", 10).await[0];
    assert_eq!(record["title"], "Nouveau titre");
    assert_eq!(record["status"], "acknowledged");
    assert_eq!(record["acknowledged_at"], "2025-02-20");
    let notes: Vec<Value> = app
        .events(record["id"].as_str().unwrap())
        .await
        .iter()
        .map(|e| e["note"].clone())
        .collect();
    assert_eq!(
        notes,
        [
            "imported from a.csv, row 2",
            "imported from b.csv, row 2",
            "imported from b.csv, row 2"
        ]
    );
    // A date the register holds is not rewritten: the row is a problem.
    let other = format!(
        "{head}IMP-100;PARQ-9;Nouveau titre;Juge X;PH;central_authority;untoc;Acknowledged;04/02/2025;20/02/2025\r\n"
    );
    let res = upload(
        &app,
        &token,
        "c.csv",
        other.as_bytes(),
        &[("dry_run", "true")],
    )
    .await;
    assert_eq!(problems(&res.body), [(2, "Date sent".to_string())].into());
}

#[actix_web::test]
async fn unreadable_files_are_refused_saying_why() {
    let app = spawn_app().await;
    let token = app.token_for("coordinator").await;
    let res = upload(
        &app,
        &token,
        "encrypted.xlsx",
        &fixture("encrypted.xlsx"),
        &[],
    )
    .await;
    assert_eq!(
        (res.status, res.code()),
        (422, "unreadable_file"),
        "{res:?}"
    );
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{res:?}"
    );

    let truncated = &fixture("register-en.xlsx")[..3000];
    let res = upload(&app, &token, "broken.xlsx", truncated, &[]).await;
    assert_eq!(
        (res.status, res.code()),
        (422, "unreadable_file"),
        "{res:?}"
    );

    let res = upload(&app, &token, "bomb.xlsx", &bomb(1 << 30), &[]).await;
    assert_eq!(
        (res.status, res.code()),
        (422, "unreadable_file"),
        "{res:?}"
    );
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zip bomb"),
        "{res:?}"
    );

    let res = upload(
        &app,
        &token,
        "mapping.csv",
        &fixture("register-fr.csv"),
        &[("mapping", "[columns]\n\"Pays\" = \"colour\"\n")],
    )
    .await;
    assert_eq!(
        (res.status, res.code()),
        (422, "validation_failed"),
        "{res:?}"
    );
    assert!(res.body["error"]["fields"]["mapping"].is_array(), "{res:?}");
    assert!(references(&app).await.is_empty());
}

#[actix_web::test]
async fn files_over_the_limits_are_refused_with_the_limit_stated() {
    let app = spawn_app_with(|s| {
        s.import.max_file_bytes = 100_000;
        s.import.max_rows = 5;
    })
    .await;
    let token = app.token_for("coordinator").await;
    let mut big = fixture("register-fr.csv");
    big.resize(150_000, b' ');
    let res = upload(&app, &token, "big.csv", &big, &[]).await;
    assert_eq!(
        (res.status, res.code()),
        (413, "payload_too_large"),
        "{res:?}"
    );
    for (file, _) in FORMATS {
        let res = upload(&app, &token, file, &fixture(file), &[]).await;
        assert_eq!(
            (res.status, res.code()),
            (422, "unreadable_file"),
            "{file}: {res:?}"
        );
        let message = res.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("more than 5 rows"), "{file}: {message}");
    }
    let res = app
        .post("/api/v1/imports", &token, &serde_json::json!({"file": "x"}))
        .await;
    assert_eq!(
        (res.status, res.code()),
        (415, "unsupported_media_type"),
        "{res:?}"
    );
    assert!(references(&app).await.is_empty(), "nothing half-imported");
}

#[actix_web::test]
async fn only_admins_and_coordinators_import() {
    let app = spawn_app().await;
    for (role, status) in [
        ("clerk", 403),
        ("analyst", 403),
        ("admin", 200),
        ("coordinator", 200),
    ] {
        let token = app.token_for(role).await;
        let res = upload(
            &app,
            &token,
            "register-fr.csv",
            &fixture("register-fr.csv"),
            &[("dry_run", "true")],
        )
        .await;
        assert_eq!(res.status, status, "{role}: {res:?}");
    }
}

/// An XLSX-looking zip whose one part inflates to `size` bytes of zeros
/// (about a thousandth of that on disk).
fn bomb(size: usize) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(size > u32::MAX as usize);
    zip.start_file("xl/workbook.xml", options).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..size / zeros.len() {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

/// The command line: exit 0 only for a file that imports as it is; a zip
/// bomb is refused by a process whose memory is capped below what the
/// bomb unpacks to.
#[actix_web::test]
async fn the_command_line_exits_0_only_for_a_clean_file_and_refuses_a_bomb_in_bounded_memory() {
    let app = spawn_app().await;
    let dir = scratch_dir("mla-import");
    let import = |file: &str, extra: &[&str]| {
        let mut cmd = mla(&dir, &app.database_url);
        cmd.args(["import", file, "--user", "admin@test.example"])
            .args(extra);
        cmd.output().unwrap()
    };
    let fr = PathBuf::from(FIXTURES).join("register-fr.csv");
    let out = import(fr.to_str().unwrap(), &["--dry-run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("row 4, Pays requis: `Philipines`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("did you mean Philippines (PH)?"),
        "{stdout}"
    );

    // The good rows alone import cleanly.
    let text = encoding_rs::WINDOWS_1252
        .decode(&fixture("register-fr.csv"))
        .0
        .into_owned();
    let good: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| ![3, 5, 7].contains(i))
        .map(|(_, l)| l)
        .collect();
    let clean = dir.join("clean.csv");
    std::fs::write(&clean, good.join("\n")).unwrap();
    let out = import(clean.to_str().unwrap(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 created"));
    assert_eq!(references(&app).await.len(), 4);

    // 4 GiB of zeros, under a 1.5 GiB address-space cap.
    let bomb_file = dir.join("bomb.xlsx");
    std::fs::write(&bomb_file, bomb(4 << 30)).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1500000 && exec \"$0\" import '{}' --user admin@test.example",
            bomb_file.display()
        ))
        .arg(env!("CARGO_BIN_EXE_mla-tracker"))
        .envs(
            mla(&dir, &app.database_url)
                .get_envs()
                .filter_map(|(k, v)| Some((k, v?))),
        )
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("zip bomb"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}
