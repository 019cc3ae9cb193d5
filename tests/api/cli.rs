//! The `mla-tracker` binary as a user runs it: first start, `user add`,
//! configuration layering and `seed`.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::spawn_app;

/// A command with a clean configuration environment.
fn mla() -> Command {
    common::serve::bin()
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mla-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `serve`, returns the child, the port and the stderr lines read
/// until the "listening" line. The caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
fn start_serve(dir: &std::path::Path) -> (std::process::Child, u16, Vec<String>) {
    let mut child = mla()
        .current_dir(dir)
        .arg("serve")
        .env("MLA__SERVER__BIND", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "serve exited early: {lines:?}"
        );
        if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
            let port = rest.split_whitespace().next().unwrap().parse().unwrap();
            lines.push(line);
            // Keep draining stderr so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in reader.lines() {});
            return (child, port, lines);
        }
        lines.push(line);
    }
}

fn http_status(port: u16, path: &str, token: &str) -> u16 {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut response);
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn first_start_creates_the_sqlite_file_and_prints_an_admin_token_once() {
    let dir = temp_dir();
    let (mut child, port, lines) = start_serve(&dir);
    let token = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("mla_"))
        .unwrap_or_else(|| panic!("no token printed: {lines:?}"))
        .to_string();
    assert!(
        dir.join("data/mla-tracker.db").is_file(),
        "default database file under ./data/"
    );
    assert_eq!(http_status(port, "/api/v1/users", &token), 200);
    assert_eq!(http_status(port, "/api/v1/users", "mla_wrong"), 401);
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, port, lines) = start_serve(&dir);
    assert!(
        !lines.iter().any(|l| l.trim().starts_with("mla_")),
        "token printed again: {lines:?}"
    );
    assert_eq!(
        http_status(port, "/api/v1/users", &token),
        200,
        "the first token still works"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn user_add_prints_only_a_working_token() {
    let app = spawn_app().await;
    let out = mla()
        .args([
            "user",
            "add",
            "--name",
            "Clerk One",
            "--email",
            "clerk1@test.example",
            "--role",
            "clerk",
        ])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim_end();
    assert_eq!(stdout.lines().count(), 1, "{stdout:?}");
    assert!(token.starts_with("mla_") && token.len() >= 40, "{token}");
    let res = app.get("/api/v1/requests", token).await;
    assert_eq!(res.status, 200, "{res:?}");

    let out = mla()
        .args([
            "user",
            "add",
            "--name",
            "X",
            "--email",
            "x@test.example",
            "--role",
            "judge",
        ])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role `judge`"));
}

#[test]
fn configuration_layers_and_errors_name_the_key() {
    let dir = temp_dir();
    let file = dir.join("extra.toml");
    std::fs::write(&file, "[database]\nurl = \"from-file.db\"\npool_size = 0\n").unwrap();

    // The file's bad value stops start-up, naming the key.
    let out = mla()
        .current_dir(&dir)
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("database.pool_size"),
        "{out:?}"
    );

    // The environment overrides the file; the file's url is used.
    let out = mla()
        .current_dir(&dir)
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .env("MLA__DATABASE__POOL_SIZE", "3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("from-file.db").is_file());

    // DATABASE_URL overrides database.url.
    let out = mla()
        .current_dir(&dir)
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .env("MLA__DATABASE__POOL_SIZE", "3")
        .env("DATABASE_URL", "sqlite://from-env.db")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("from-env.db").is_file());

    for (key, value, named) in [
        ("MLA__SERVER__BIND", "not-an-address", "server.bind"),
        (
            "MLA__DATABASE__TIMEOUT_SECONDS",
            "soon",
            "database.timeout_seconds",
        ),
        ("MLA__SERVER__COLOUR", "blue", "colour"),
    ] {
        let out = mla()
            .current_dir(&dir)
            .arg("migrate")
            .env(key, value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{key}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{key}: {stderr}");
        assert!(!stderr.contains("stack backtrace"), "{stderr}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn seed_fills_a_portfolio_that_obeys_the_rules() {
    let app = spawn_app().await;
    let out = mla()
        .args(["seed", "--requests", "600", "--seed", "7"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let token = app.token_for("clerk").await;
    let mut statuses = std::collections::BTreeSet::new();
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/requests?limit=200&cursor={c}"),
            None => "/api/v1/requests?limit=200".to_string(),
        };
        let page = app.get(&path, &token).await;
        assert_eq!(page.status, 200, "{page:?}");
        for r in page.body["items"].as_array().unwrap() {
            seen += 1;
            let status = r["status"].as_str().unwrap().to_string();
            assert!(r["title"].as_str().unwrap().contains("Fictitious"));
            match status.as_str() {
                "draft" => assert!(r["sent_at"].is_null()),
                "abandoned" => {
                    assert!(!r["abandonment_reason"].is_null() && !r["closed_at"].is_null())
                }
                "refused" => {
                    assert!(!r["refusal_ground"].is_null() && !r["first_response_at"].is_null())
                }
                "executed" | "withdrawn" => assert!(!r["closed_at"].is_null()),
                _ => assert!(r["closed_at"].is_null(), "{r}"),
            }
            if !r["sent_at"].is_null() {
                assert!(r["status_since"].as_str() >= r["sent_at"].as_str());
            }
            statuses.insert(status);
        }
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, 600);
    assert!(
        statuses.len() >= 8,
        "most statuses represented: {statuses:?}"
    );

    // New requests are numbered right after the seeded ones of their year.
    let created = app.create_request(&common::draft_body("AFTER-SEED")).await;
    let reference = created["reference"].as_str().unwrap();
    let year_prefix = &reference[..9];
    let top = app
        .get(
            &format!("/api/v1/requests?q={year_prefix}&sort=-reference&limit=2"),
            &token,
        )
        .await;
    let items = top.body["items"].as_array().unwrap();
    assert_eq!(items[0]["reference"], reference);
    let number = |r: &serde_json::Value| {
        r["reference"].as_str().unwrap()[9..]
            .parse::<u32>()
            .unwrap()
    };
    assert_eq!(number(&items[0]), number(&items[1]) + 1, "{items:?}");
}
