//! The `mla-tracker` binary as a user runs it: first start, the commands
//! that may create a database and those that refuse a missing one, `alerts
//! run` beside a running `serve` and alone, the users' commands and the way
//! back from a lost admin token, configuration layering, errors that name
//! the format or the cause, and `seed`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use awc::http::Method;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use serde_json::Value;

use crate::common::serve::{Serve, bin, create_admin, mla, scratch_dir};
use crate::common::{fresh_test_database, postgres_server_url, sent_body, spawn_app};

/// What a command printed and how it ended.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn ran(out: Output) -> Ran {
    Ran {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `command` with `args`, waiting for it.
fn run(mut command: Command, args: &[&str]) -> Ran {
    ran(command.args(args).output().expect("the binary runs"))
}

/// Like [`run`], panicking unless it succeeds.
fn run_ok(command: Command, args: &[&str]) -> Ran {
    let out = run(command, args);
    assert_eq!(out.code, 0, "{args:?}: {out:?}");
    out
}

/// The commands that work on an existing database, and their exit code
/// when they cannot run (`audit verify` says 2 for "could not run").
const READERS: [(&[&str], i32); 8] = [
    (&["alerts", "run"], 1),
    (&["alerts", "run", "--dry-run"], 1),
    (&["stats", "countries"], 1),
    (&["audit", "verify"], 2),
    (&["backup", "--to", "copy.db"], 1),
    (&["user", "list"], 1),
    (&["user", "rotate-token", "--email", "admin@localhost"], 1),
    (&["user", "list", "--json"], 1),
];

/// Every file and folder under `dir`, relative to it.
fn contents(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(contents(&path));
        }
        out.push(path.strip_prefix(dir).unwrap().to_path_buf());
    }
    out.sort();
    out
}

#[test]
fn the_commands_that_read_refuse_a_missing_database_and_create_nothing() {
    // From the wrong folder, with the default configuration: SQLite under
    // ./data, relative to where the command runs.
    let dir = scratch_dir("mla-cli-wrong-folder");
    let expected = dir.join("data/mla-tracker.db");
    for (args, code) in READERS {
        let mut command = bin();
        command.current_dir(&dir);
        let out = run(command, args);
        assert_eq!(out.code, code, "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "no report at all: {args:?}: {out:?}");
        let command_name = if args[0] == "backup" {
            "backup".to_string()
        } else {
            args[..2].join(" ")
        };
        for words in [
            format!("mla-tracker: no SQLite database at {}", expected.display()),
            "(database.url `sqlite://data/mla-tracker.db` is relative to the current folder)"
                .to_string(),
            format!("`{command_name}` works on an existing database and creates none"),
            "run it from the service's folder, pass --config with the service's configuration \
             file, or set DATABASE_URL (or MLA__DATABASE__URL) to the service's database"
                .to_string(),
        ] {
            assert!(out.stderr.contains(&words), "{args:?}: {words}\n{out:?}");
        }
        assert_eq!(
            contents(&dir),
            Vec::<PathBuf>::new(),
            "{args:?} created files"
        );
    }

    // Pointed at a file that is not there, through the environment.
    let url = format!("sqlite://{}", dir.join("elsewhere/mla.db").display());
    let out = run(mla(&dir, &url), &["alerts", "run"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "mla-tracker: no SQLite database at {}. `alerts run` works",
            dir.join("elsewhere/mla.db").display()
        )),
        "an absolute path is not said to be relative: {out:?}"
    );
    assert_eq!(contents(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();

    // PostgreSQL: a database that does not exist is refused, with the
    // command that creates it, and not created.
    if let Some(server) = postgres_server_url() {
        let name = format!("mla_missing_{}", uuid::Uuid::new_v4().simple());
        let url = common::with_database(&server, &name);
        let dir = scratch_dir("mla-cli-pg-missing");
        for (args, code) in READERS {
            let out = run(mla(&dir, &url), args);
            assert_eq!(out.code, code, "{args:?}: {out:?}");
            assert_eq!(out.stdout, "", "{args:?}: {out:?}");
            for words in [
                format!("has no database `{name}`"),
                "works on an existing database and creates none".to_string(),
                "pass --config with the service's configuration file".to_string(),
                format!("`createdb {name}`, then `mla-tracker migrate`"),
            ] {
                assert!(out.stderr.contains(&words), "{args:?}: {words}\n{out:?}");
            }
        }
        // `migrate` may create the schema, not the database: it says how.
        let out = run(mla(&dir, &url), &["migrate"]);
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            out.stderr.contains(&format!(
                "has no database `{name}`: create it with `createdb {name}`"
            )),
            "{out:?}"
        );
        let mut conn = PgConnection::establish(&server).unwrap();
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let found: Count =
            diesel::sql_query("SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(&name)
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(found.n, 0, "the database was created");
        assert_eq!(contents(&dir), Vec::<PathBuf>::new());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// The tables of the database at `url` (PostgreSQL's public schema).
fn tables(url: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let names: Vec<Name> = if url.starts_with("postgres") {
        let mut conn = PgConnection::establish(url).unwrap();
        diesel::sql_query("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
            .load(&mut conn)
            .unwrap()
    } else {
        let mut conn = SqliteConnection::establish(mla_tracker::db::sqlite_path(url)).unwrap();
        diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'")
            .load(&mut conn)
            .unwrap()
    };
    names.into_iter().map(|n| n.name).collect()
}

#[test]
fn a_database_without_the_schema_is_refused_until_migrated() {
    let db = fresh_test_database();
    if !db.url.starts_with("postgres") {
        // An empty file, as `touch` or `sqlite3` leaves one.
        std::fs::File::create(mla_tracker::db::sqlite_path(&db.url)).unwrap();
    }
    let dir = scratch_dir("mla-cli-no-schema");
    for (args, code) in READERS {
        let out = run(mla(&dir, &db.url), args);
        assert_eq!(out.code, code, "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}: {out:?}");
        let command_name = if args[0] == "backup" {
            "backup".to_string()
        } else {
            args[..2].join(" ")
        };
        for words in [
            "holds no mla-tracker schema: run `mla-tracker migrate` first".to_string(),
            format!("or point `{command_name}` at the service's database"),
        ] {
            assert!(out.stderr.contains(&words), "{args:?}: {words}\n{out:?}");
        }
    }
    assert_eq!(
        tables(&db.url),
        Vec::<String>::new(),
        "nothing was migrated"
    );
    assert!(!dir.join("copy.db").exists(), "no backup of nothing");

    run_ok(mla(&dir, &db.url), &["migrate"]);
    let out = run_ok(mla(&dir, &db.url), &["audit", "verify"]);
    assert!(out.stdout.contains("intact"), "{out:?}");

    // A database from before this version's last migration is refused
    // too, and `migrate` brings it up to date.
    let down = if db.url.starts_with("postgres") {
        include_str!("../../migrations/postgres/2026-11-29-000005_event_chain/down.sql")
    } else {
        include_str!("../../migrations/sqlite/2026-11-29-000005_event_chain/down.sql")
    };
    let revert =
        format!("{down}\nDELETE FROM __diesel_schema_migrations WHERE version = '20261129000005';");
    if db.url.starts_with("postgres") {
        diesel::connection::SimpleConnection::batch_execute(
            &mut PgConnection::establish(&db.url).unwrap(),
            &revert,
        )
        .unwrap();
    } else {
        diesel::connection::SimpleConnection::batch_execute(
            &mut SqliteConnection::establish(mla_tracker::db::sqlite_path(&db.url)).unwrap(),
            &revert,
        )
        .unwrap();
    }
    let out = run(mla(&dir, &db.url), &["stats", "countries"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "is not up to date with this version of mla-tracker (1 migration(s) to apply): run \
             `mla-tracker migrate` first"
        ),
        "{out:?}"
    );
    run_ok(mla(&dir, &db.url), &["migrate"]);
    run_ok(mla(&dir, &db.url), &["stats", "countries"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn migrate_seed_and_user_add_create_the_database_and_say_where() {
    for args in [
        &["migrate"][..],
        &["seed", "--requests", "3"],
        &[
            "user",
            "add",
            "--name",
            "First",
            "--email",
            "first@test.example",
            "--role",
            "admin",
        ],
    ] {
        let dir = scratch_dir("mla-cli-create");
        let mut command = bin();
        command.current_dir(&dir);
        let out = run_ok(command, args);
        let file = dir.join("data/mla-tracker.db");
        assert!(file.is_file(), "{args:?}: {out:?}");
        assert!(
            out.stderr
                .contains(&format!("created the SQLite database {}", file.display())),
            "{args:?}: {out:?}"
        );
        // And then the readers work there.
        let mut command = bin();
        command.current_dir(&dir);
        run_ok(command, &["audit", "verify"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// The admin token that the first start wrote to `data/admin-token`.
fn first_start_token(serve: &Serve) -> String {
    let file = serve.dir().join("data/admin-token");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no {}: {e}\n{}", file.display(), serve.log()))
        .trim()
        .to_string()
}

/// The status of `GET path` with `token`.
async fn status(serve: &Serve, token: &str, path: &str) -> u16 {
    awc::Client::default()
        .get(format!("{}{path}", serve.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("serve answers")
        .status()
        .as_u16()
}

/// `server.public_url` is where the emails' links go: `serve` says so at
/// start-up when it names another port than the one it listens on, and
/// keeps quiet when they agree.
#[actix_web::test]
async fn serve_warns_when_public_url_cannot_reach_it() {
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let warning = "the links in emails will not open";
    let port = free_port();
    let serve = Serve::start_with("sqlite://data/mla-tracker.db", "", |c| {
        c.env("MLA__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("MLA__SERVER__PUBLIC_URL", "http://127.0.0.1:8443");
    })
    .await;
    let log = serve.log();
    assert!(
        log.contains(&format!(
            "server.public_url is http://127.0.0.1:8443 but the service listens on port {port}: {warning}"
        )),
        "{log}"
    );
    drop(serve);
    let port = free_port();
    let serve = Serve::start_with("sqlite://data/mla-tracker.db", "", |c| {
        c.env("MLA__SERVER__BIND", format!("127.0.0.1:{port}")).env(
            "MLA__SERVER__PUBLIC_URL",
            format!("http://localhost:{port}/"),
        );
    })
    .await;
    assert!(!serve.log().contains(warning), "{}", serve.log());
}

#[actix_web::test]
async fn first_start_creates_the_sqlite_file_and_an_admin_token_kept_out_of_the_log() {
    use std::os::unix::fs::PermissionsExt;
    let serve = Serve::start("sqlite://data/mla-tracker.db", "").await;
    let token = first_start_token(&serve);
    assert!(token.starts_with("mla_"), "{token}");
    let file = serve.dir().join("data/mla-tracker.db");
    assert!(file.is_file(), "default database file under ./data/");
    let token_file = serve.dir().join("data/admin-token");
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", token_file.display());
    let log = serve.log();
    assert!(!log.contains(&token), "the token is not in the log:\n{log}");
    for words in [
        format!(
            "its token is in {} (readable by this user only)",
            token_file.display()
        ),
        "Lost it? `mla-tracker user rotate-token --email admin@localhost` prints a new one."
            .to_string(),
    ] {
        assert!(log.contains(&words), "{words}\n{log}");
    }
    assert_eq!(status(&serve, &token, "/api/v1/users").await, 200);
    assert_eq!(status(&serve, "mla_wrong", "/api/v1/users").await, 401);
    serve.kill_9();

    let again = Serve::start(&format!("sqlite://{}", file.display()), "").await;
    assert!(
        !again.dir().join("data/admin-token").exists() && !again.log().contains("admin-token"),
        "a token made again:\n{}",
        again.log()
    );
    assert_eq!(
        status(&again, &token, "/api/v1/users").await,
        200,
        "the first token still works"
    );
}

#[actix_web::test]
async fn a_lost_admin_token_is_replaced_with_user_rotate_token() {
    let db = fresh_test_database();
    // Tokens are cached for auth.cache_seconds: 1 s here.
    let serve = Serve::start_with(&db.url, "", |c| {
        c.env("MLA__AUTH__CACHE_SECONDS", "1");
    })
    .await;
    let lost = first_start_token(&serve);
    assert_eq!(status(&serve, &lost, "/api/v1/users").await, 200);

    // The way back, as the first start says.
    let dir = scratch_dir("mla-cli-rotate");
    let out = run_ok(
        mla(&dir, &db.url),
        &["user", "rotate-token", "--email", "admin@localhost"],
    );
    let token = out.stdout.trim_end().to_string();
    assert_eq!(out.stdout.lines().count(), 1, "the token alone: {out:?}");
    assert!(token.starts_with("mla_") && token != lost, "{out:?}");
    assert_eq!(status(&serve, &token, "/api/v1/users").await, 200);
    // The old one stops working (once the service's cache forgets it).
    let deadline = Instant::now() + Duration::from_secs(10);
    while status(&serve, &lost, "/api/v1/users").await != 401 {
        assert!(Instant::now() < deadline, "the old token still works");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }

    // `user add` is the way to another admin; `user list` shows them all,
    // exactly as GET /users does (the same service).
    let clerk = run_ok(
        mla(&dir, &db.url),
        &[
            "user",
            "add",
            "--name",
            "Zoé Clerk",
            "--email",
            "Zoe@Test.example",
            "--role",
            "clerk",
        ],
    );
    let api: Value = awc::Client::default()
        .get(format!("{}/api/v1/users", serve.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let out = run_ok(mla(&dir, &db.url), &["user", "list", "--json"]);
    let listed: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(listed, api, "user list --json is GET /users");
    let clerk_id = api["items"][1]["id"].as_str().unwrap().to_string();

    let out = run_ok(mla(&dir, &db.url), &["user", "list"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out:?}");
    let columns = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        columns(lines[0]),
        ["name", "email", "role", "active", "token created"]
    );
    let admin = columns(lines[1]);
    assert_eq!(
        admin[..4],
        ["admin", "admin@localhost", "admin", "yes"],
        "{out:?}"
    );
    assert_eq!(
        admin[4],
        api["items"][0]["token_created_at"].as_str().unwrap()[..19].to_string() + "Z",
        "the rotation's time: {out:?}"
    );
    assert_eq!(
        columns(lines[2])[..4],
        ["Zoé Clerk", "zoe@test.example", "clerk", "yes"]
    );
    // Columns start under their heading, whatever the script of the names.
    for heading in ["email", "role", "active", "token created"] {
        let at = lines[0].find(heading).unwrap();
        let at = lines[0][..at].chars().count();
        for line in &lines[1..] {
            let chars: Vec<char> = line.chars().collect();
            assert!(
                chars[at - 1] == ' ' && chars[at] != ' ',
                "{heading} is not aligned: {out:?}"
            );
        }
    }
    assert!(clerk.stdout.starts_with("mla_"));

    // Emails are found whatever their case; an unknown one is named.
    let out = run_ok(
        mla(&dir, &db.url),
        &["user", "rotate-token", "--email", "ZOE@test.EXAMPLE"],
    );
    assert!(out.stdout.starts_with("mla_"), "{out:?}");
    let out = run(
        mla(&dir, &db.url),
        &["user", "rotate-token", "--email", "nobody@test.example"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "no user has the email `nobody@test.example`; `mla-tracker user list` shows who \
             there is"
        ),
        "{out:?}"
    );
    // A deactivated user gets no token.
    let gone = awc::Client::default()
        .delete(format!("{}/api/v1/users/{clerk_id}", serve.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 200);
    let out = run(
        mla(&dir, &db.url),
        &["user", "rotate-token", "--email", "zoe@test.example"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "Zoé Clerk (zoe@test.example) is deactivated, and a deactivated user has no token"
        ),
        "{out:?}"
    );
    let out = run_ok(mla(&dir, &db.url), &["user", "list"]);
    let clerk_line = columns(out.stdout.lines().nth(2).unwrap());
    assert_eq!(clerk_line[3..], ["no", "-"], "{out:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The `.eml` files under `dir`.
fn emails_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `alerts run` over `url` in `dir`, its emails to `outbox`, delivery
/// every second as the service beside it.
fn alerts_run(dir: &Path, url: &str, outbox: &Path, args: &[&str]) -> Ran {
    let mut command = mla(dir, url);
    command
        .env("MLA__MAIL__URL", format!("file://{}", outbox.display()))
        .env("MLA__ALERTS__DELIVERY_INTERVAL_SECONDS", "1");
    run_ok(command, &[&["alerts", "run"], args].concat())
}

#[actix_web::test]
async fn alerts_run_beside_serve_records_and_leaves_the_sending_to_it() {
    let db = fresh_test_database();
    let sqlite = !db.url.starts_with("postgres");
    let token = create_admin(&db.url);
    let serve = Serve::start_with(&db.url, &token, |c| {
        c.env("MLA__ALERTS__DELIVERY_INTERVAL_SECONDS", "1");
    })
    .await;
    serve
        .expect(
            Method::POST,
            "/api/v1/requests",
            Some(&sent_body("CLI-BESIDE", "2026-01-12")),
            201,
        )
        .await;
    let dir = scratch_dir("mla-cli-beside");
    let outbox = dir.join("cli-outbox");
    let served = serve.dir().join("outbox");

    // A dry run needs no lock, records nothing and sends nothing.
    let out = alerts_run(&dir, &db.url, &outbox, &["--dry-run"]);
    assert!(
        out.stdout.starts_with("(dry run) as of ")
            && out.stdout.contains(" 1 stalled; a run would record ")
            && out.stdout.ends_with("; nothing was recorded or sent\n"),
        "{out:?}"
    );
    let listed = serve
        .expect(Method::GET, "/api/v1/alerts/notifications", None, 200)
        .await;
    assert_eq!(listed["items"], Value::Array(vec![]), "a dry run recorded");

    let out = alerts_run(&dir, &db.url, &outbox, &["--json"]);
    let summary: Value = serde_json::from_str(&out.stdout).unwrap();
    let digests = summary["digests_created"].as_u64().unwrap();
    assert!(digests >= 1, "{summary}");
    assert_eq!(summary["stalled"], 1, "{summary}");
    assert_eq!(summary["dry_run"], false);
    let notifications = serve
        .expect(Method::GET, "/api/v1/alerts/notifications", None, 200)
        .await;
    assert_eq!(
        notifications["items"].as_array().unwrap().len() as u64,
        summary["notifications_created"].as_u64().unwrap(),
        "recorded once, beside the service"
    );
    if sqlite {
        // The service holds the SQLite database: the run queued, the
        // service's delivery loop sends.
        assert_eq!(summary["sent_by"], "running_service", "{summary}");
        assert_eq!(summary["emails_sent"], 0, "{summary}");
        assert!(emails_in(&outbox).is_empty(), "the command line sent");
        let deadline = Instant::now() + Duration::from_secs(15);
        while (emails_in(&served).len() as u64) < digests {
            assert!(
                Instant::now() < deadline,
                "the service did not send the queued digests; its log:\n{}",
                serve.log()
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(emails_in(&served).len() as u64, digests);
    } else {
        // PostgreSQL: instances coordinate in the database; the run sends.
        assert_eq!(summary["sent_by"], "this_run", "{summary}");
        assert_eq!(summary["emails_sent"].as_u64(), Some(digests), "{summary}");
        assert_eq!(emails_in(&outbox).len() as u64, digests);
    }
    let sent = serve
        .expect(
            Method::GET,
            "/api/v1/alerts/notifications?state=sent",
            None,
            200,
        )
        .await;
    assert_eq!(
        sent["items"].as_array().unwrap().len(),
        notifications["items"].as_array().unwrap().len(),
        "every digest went, once"
    );

    // The text summary says who sends, and when; nothing is new now.
    let out = alerts_run(&dir, &db.url, &outbox, &[]);
    if sqlite {
        assert!(
            out.stdout.ends_with(
                " 1 stalled, 0 new notification(s); 0 digest(s) queued; the running service \
                 sends them within 1 s\n"
            ),
            "{out:?}"
        );
    } else {
        assert!(
            out.stdout.ends_with(
                " 1 stalled, 0 new notification(s) in 0 digest(s); 0 email(s) sent, 0 failed\n"
            ),
            "{out:?}"
        );
    }

    // Without the service, a run scans and sends itself.
    let moved = serve
        .expect(
            Method::POST,
            "/api/v1/requests",
            Some(&sent_body("CLI-ALONE", "2026-01-12")),
            201,
        )
        .await;
    assert!(moved["id"].is_string());
    serve.kill_9();
    let before = emails_in(&outbox).len();
    let out = alerts_run(&dir, &db.url, &outbox, &[]);
    let expected = " 2 stalled, ";
    assert!(out.stdout.contains(expected), "{out:?}");
    let sent_now = emails_in(&outbox).len() - before;
    assert!(sent_now >= 1, "{out:?}");
    assert!(
        out.stdout
            .ends_with(&format!("; {sent_now} email(s) sent, 0 failed\n")),
        "{out:?}"
    );
    drop(serve);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn alerts_run_waits_for_another_alerts_run_and_serve_names_it() {
    // The single-instance lock is SQLite's.
    let dir = scratch_dir("mla-cli-lock");
    let url = format!("sqlite://{}", dir.join("mla.db").display());
    run_ok(mla(&dir, &url), &["migrate"]);
    // Another `alerts run` holds the lock, as its lock file says.
    let lock_path = dir.join("mla.db.lock");
    let mut other = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&lock_path)
        .unwrap();
    other.lock().unwrap();
    std::io::Write::write_all(&mut other, b"alerts run 1\n").unwrap();

    let out = run(mla(&dir, &url), &["serve"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "another mla-tracker (`alerts run`, sending digests) is using the SQLite database {} \
             (it holds {})",
            dir.join("mla.db").display(),
            lock_path.display()
        )),
        "{out:?}"
    );

    let outbox = dir.join("outbox");
    let mut waiting = mla(&dir, &url)
        .args(["alerts", "run"])
        .env("MLA__MAIL__URL", format!("file://{}", outbox.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "it did not wait for the other run"
    );
    drop(other);
    let out = ran(waiting.wait_with_output().unwrap());
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("waiting for another `mla-tracker alerts run` to finish sending"),
        "{out:?}"
    );
    assert!(
        out.stdout.ends_with("; 0 email(s) sent, 0 failed\n"),
        "it sent, itself: {out:?}"
    );
    assert!(
        std::fs::read_to_string(&lock_path)
            .unwrap()
            .starts_with("alerts run "),
        "it held the lock"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Makes paths immutable (`chattr +i`: even root cannot create files in
/// such a folder) until dropped.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: &[&Path]) -> Immutable {
        let out = Command::new("chattr").arg("+i").args(paths).output();
        match out {
            Ok(out) if out.status.success() => {
                Immutable(paths.iter().map(|p| p.to_path_buf()).collect())
            }
            other => panic!(
                "this test makes a folder read-only with `chattr +i` (root ignores permission \
                 bits), which failed (it needs root and a filesystem with the immutable flag): \
                 {other:?}"
            ),
        }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.0).status();
    }
}

#[test]
fn a_read_only_folder_is_named() {
    let dir = scratch_dir("mla-cli-read-only");
    let data = dir.join("data");
    let file = data.join("mla-tracker.db");
    let in_dir = || {
        let mut command = bin();
        command.current_dir(&dir);
        command
    };

    // The service's folder cannot be written: SQLite cannot open its
    // journal beside the database.
    run_ok(in_dir(), &["migrate"]);
    {
        let _frozen = Immutable::set(&[&data]);
        for (args, code) in [
            (&["stats", "countries"][..], 1),
            (&["alerts", "run"], 1),
            (&["audit", "verify"], 2),
        ] {
            let out = run(in_dir(), args);
            assert_eq!(out.code, code, "{args:?}: {out:?}");
            assert!(
                out.stderr.contains(&format!(
                    "cannot open the SQLite database {}: its folder {} is not writable by this \
                     process, and SQLite writes its journal files (-wal, -shm) beside the database",
                    file.display(),
                    data.display()
                )),
                "{args:?}: {out:?}"
            );
        }
    }

    // No database yet, in a folder that cannot be written.
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::create_dir(&data).unwrap();
    {
        let _frozen = Immutable::set(&[&data]);
        let out = run(in_dir(), &["migrate"]);
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            out.stderr.contains(&format!(
                "cannot create the SQLite database {}: its folder {} is not writable by this \
                 process; make it writable, or set database.url to a folder that is",
                file.display(),
                data.display()
            )),
            "{out:?}"
        );
    }

    // No folder either, and none can be made.
    std::fs::remove_dir(&data).unwrap();
    {
        let _frozen = Immutable::set(&[&dir]);
        for args in [&["migrate"][..], &["serve"]] {
            let out = run(in_dir(), args);
            assert_eq!(out.code, 1, "{args:?}: {out:?}");
            assert!(
                out.stderr.contains(&format!(
                    "cannot create the folder {} for the SQLite database: {} is not writable by \
                     this process",
                    data.display(),
                    dir.display()
                )),
                "{args:?}: {out:?}"
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn errors_name_the_format_or_the_cause() {
    let dir = scratch_dir("mla-cli-errors");
    let in_dir = || {
        let mut command = bin();
        command.current_dir(&dir);
        command
    };
    // A date not as YYYY-MM-DD, named by clap with its option, before any
    // database is looked for.
    for (option, value, message) in [
        (
            "--as-of",
            "31/12/2026",
            "expected a date as YYYY-MM-DD, e.g. 2026-03-31",
        ),
        (
            "--sent-from",
            "2026-13-01",
            "there is no such day in the calendar",
        ),
        (
            "--sent-to",
            "yesterday",
            "expected a date as YYYY-MM-DD, e.g. 2026-03-31",
        ),
    ] {
        let out = run(in_dir(), &["stats", "countries", option, value]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr.starts_with(&format!(
                "error: invalid value '{value}' for '{option} <DATE>': {message}\n"
            )),
            "{out:?}"
        );
    }
    let out = run(in_dir(), &["stats", "countries", "--format", "xml"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("[possible values: text, csv, json]"),
        "{out:?}"
    );

    // An unreachable PostgreSQL server, named without the password.
    let out = run(
        mla(&dir, "postgres://mla:s3cret@127.0.0.1:1/cases"),
        &["stats", "countries"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with(
            "mla-tracker: cannot open the database: no PostgreSQL server answers at \
             127.0.0.1:1 (Connection refused); is it running there, and is database.url right?"
        ),
        "{out:?}"
    );
    assert!(!out.stderr.contains("s3cret"), "{out:?}");

    // A variable that is not a setting is named as the variable.
    let mut command = in_dir();
    command.env("MLA__SERVER__BINDD", "0.0.0.0:8080");
    let out = run(command, &["alerts", "run"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "mla-tracker: invalid configuration: MLA__SERVER__BINDD is not a setting (server has: \
         bind, body_limit_bytes, workers, header_timeout_seconds, request_timeout_seconds, \
         keep_alive_seconds, cors_allowed_origins, trusted_proxies, public_url); did you mean \
         MLA__SERVER__BIND?\n"
    );
    // One underscore is not read at all: said so.
    let mut command = in_dir();
    command.env("MLA_DATABASE_URL", "sqlite://elsewhere.db");
    let out = run(command, &["migrate"]);
    assert!(
        out.stderr.contains(
            "MLA_DATABASE_URL is not read: settings are set with double underscores, \
             MLA__SECTION__KEY (here MLA__DATABASE__URL)"
        ),
        "{out:?}"
    );

    // A bad field of `user add` is a sentence, not JSON.
    let out = run(
        in_dir(),
        &[
            "user",
            "add",
            "--name",
            "X",
            "--email",
            "not-an-address",
            "--role",
            "clerk",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr.lines().last(),
        Some("mla-tracker: cannot create the user: email must be an email address"),
        "{out:?}"
    );
    assert!(!out.stderr.contains('{'), "{out:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn user_add_prints_only_a_working_token() {
    let app = spawn_app().await;
    let dir = scratch_dir("mla-cli-user-add");
    let out = run_ok(
        mla(&dir, &app.database_url),
        &[
            "user",
            "add",
            "--name",
            "Clerk One",
            "--email",
            "clerk1@test.example",
            "--role",
            "clerk",
        ],
    );
    let token = out.stdout.trim_end();
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    assert!(token.starts_with("mla_") && token.len() >= 40, "{token}");
    let res = app.get("/api/v1/requests", token).await;
    assert_eq!(res.status, 200, "{res:?}");

    let out = run(
        mla(&dir, &app.database_url),
        &[
            "user",
            "add",
            "--name",
            "X",
            "--email",
            "x@test.example",
            "--role",
            "judge",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("unknown role `judge`"), "{out:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn configuration_layers_and_errors_name_the_key() {
    let dir = scratch_dir("mla-cli-config");
    let file = dir.join("extra.toml");
    std::fs::write(&file, "[database]\nurl = \"from-file.db\"\npool_size = 0\n").unwrap();
    let in_dir = || {
        let mut command = bin();
        command.current_dir(&dir);
        command
    };

    // The file's bad value stops start-up, naming the key.
    let out = run(in_dir(), &["--config", file.to_str().unwrap(), "migrate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("database.pool_size"), "{out:?}");

    // The environment overrides the file; the file's url is used.
    let mut command = in_dir();
    command.env("MLA__DATABASE__POOL_SIZE", "3");
    run_ok(command, &["--config", file.to_str().unwrap(), "migrate"]);
    assert!(dir.join("from-file.db").is_file());

    // DATABASE_URL overrides database.url.
    let mut command = in_dir();
    command
        .env("MLA__DATABASE__POOL_SIZE", "3")
        .env("DATABASE_URL", "sqlite://from-env.db");
    run_ok(command, &["--config", file.to_str().unwrap(), "migrate"]);
    assert!(dir.join("from-env.db").is_file());

    for (key, value, named) in [
        ("MLA__SERVER__BIND", "not-an-address", "server.bind"),
        (
            "MLA__DATABASE__TIMEOUT_SECONDS",
            "soon",
            "database.timeout_seconds",
        ),
        (
            "MLA__SERVER__COLOUR",
            "blue",
            "MLA__SERVER__COLOUR is not a setting (server has: bind, ",
        ),
    ] {
        let mut command = in_dir();
        command.env(key, value);
        let out = run(command, &["migrate"]);
        assert_eq!(out.code, 1, "{key}: {out:?}");
        assert!(out.stderr.contains(named), "{key}: {out:?}");
        assert!(!out.stderr.contains("stack backtrace"), "{out:?}");
    }

    // A key of the --config file that is not a setting names the file.
    std::fs::write(&file, "[alerts]\nenabeld = false\n").unwrap();
    let out = run(in_dir(), &["--config", file.to_str().unwrap(), "migrate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "`alerts.enabeld` in {} is not a setting (alerts has: enabled, ",
            file.display()
        )) && out.stderr.contains("did you mean `alerts.enabled`?"),
        "{out:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn seed_fills_a_portfolio_that_obeys_the_rules() {
    let app = spawn_app().await;
    let dir = scratch_dir("mla-cli-seed");
    run_ok(
        mla(&dir, &app.database_url),
        &["seed", "--requests", "600", "--seed", "7"],
    );
    std::fs::remove_dir_all(dir).unwrap();

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
