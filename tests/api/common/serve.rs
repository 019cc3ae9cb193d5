//! The real `mla-tracker` binary as an operator runs it, for tests that must
//! kill or restart the process itself (a test server in the test's own
//! process cannot be SIGKILLed). Configuration comes only from what the test
//! sets: `MLA__*` and `DATABASE_URL` from the environment are removed.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mla-tracker");

/// How long `serve` may take to listen.
const START_DEADLINE: Duration = Duration::from_secs(30);

/// The binary with a clean configuration environment (`MLA__*` and
/// `DATABASE_URL` removed), its clock pinned at the tests' "now"
/// ([`super::test_now`]), logging at `info`.
pub fn bin() -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with("MLA__")) || key == "DATABASE_URL" {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "info")
        .env("MLA__CLOCK__PINNED", super::test_now().to_rfc3339())
        .stdin(Stdio::null());
    cmd
}

/// The binary over `database_url`, run in `dir`.
pub fn mla(dir: &Path, database_url: &str) -> Command {
    let mut cmd = bin();
    cmd.current_dir(dir).env("MLA__DATABASE__URL", database_url);
    cmd
}

/// A scratch directory under the system's temporary directory.
pub fn scratch_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `mla-tracker user add` of an admin (which migrates the database);
/// returns its token.
pub fn create_admin(database_url: &str) -> String {
    let dir = scratch_dir("mla-admin");
    let out = mla(&dir, database_url)
        .args([
            "user",
            "add",
            "--name",
            "Admin",
            "--email",
            "admin@test.example",
        ])
        .args(["--role", "admin"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(dir);
    assert!(
        out.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A running `serve` (alerts off, emails to files in its directory), its
/// log in its working directory. Killed on drop.
pub struct Serve {
    /// In a cell, so that the process can be killed while requests to it
    /// are in flight (they hold shared references).
    child: std::cell::RefCell<Child>,
    dir: PathBuf,
    pub address: String,
    pub token: String,
    client: awc::Client,
}

/// What came back from [`Serve::send`]: a status and a JSON body, or the
/// transport error (e.g. the process died mid-request).
pub type Outcome = Result<(u16, Value), String>;

impl Serve {
    /// Starts `serve` and waits until it listens; panics with its log if it
    /// stops or does not listen in time.
    pub async fn start(database_url: &str, token: &str) -> Serve {
        Serve::start_with(database_url, token, |_| {}).await
    }

    /// Like [`Serve::start`], with the command changed by `adjust` before
    /// it is spawned (its environment, say).
    pub async fn start_with(
        database_url: &str,
        token: &str,
        adjust: impl FnOnce(&mut Command),
    ) -> Serve {
        let dir = scratch_dir("mla-serve");
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        let mut command = mla(&dir, database_url);
        command
            .arg("serve")
            .env("MLA__SERVER__BIND", "127.0.0.1:0")
            .env("MLA__ALERTS__ENABLED", "false")
            .env(
                "MLA__MAIL__URL",
                format!("file://{}", dir.join("outbox").display()),
            )
            .stdout(Stdio::null())
            .stderr(log);
        adjust(&mut command);
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + START_DEADLINE;
        let port = loop {
            let log = read_log(&dir);
            if let Some(status) = child.try_wait().unwrap() {
                panic!("`serve` stopped at start-up ({status}); its log:\n{log}");
            }
            let port = log
                .split_once("listening on http://127.0.0.1:")
                .and_then(|(_, rest)| rest.split_whitespace().next()?.parse::<u16>().ok());
            if let Some(port) = port {
                break port;
            }
            assert!(
                Instant::now() < deadline,
                "`serve` did not listen within {START_DEADLINE:?}; its log:\n{log}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        };
        Serve {
            child: std::cell::RefCell::new(child),
            dir,
            address: format!("http://127.0.0.1:{port}"),
            token: token.to_string(),
            client: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
        }
    }

    pub fn log(&self) -> String {
        read_log(&self.dir)
    }

    /// The process's working directory: its log, and whatever relative
    /// paths in its configuration (the default `data/`) lead to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sends a request with the admin token; never panics on a transport
    /// error, which it returns.
    pub async fn send(
        &self,
        method: awc::http::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Outcome {
        let request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(&self.token);
        let sent = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        };
        let mut res = sent.map_err(|e| e.to_string())?;
        let bytes = res
            .body()
            .limit(64 << 20)
            .await
            .map_err(|e| e.to_string())?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((res.status().as_u16(), body))
    }

    /// Like [`Serve::send`], panicking unless the answer is `expected`.
    pub async fn expect(
        &self,
        method: awc::http::Method,
        path: &str,
        body: Option<&Value>,
        expected: u16,
    ) -> Value {
        match self.send(method.clone(), path, body).await {
            Ok((status, body)) if status == expected => body,
            other => panic!("{method} {path}: {other:?}; the log:\n{}", self.log()),
        }
    }

    /// Kills the process with SIGKILL and checks that this is what ended it.
    pub fn kill_9(&self) {
        let mut child = self.child.borrow_mut();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "`serve` ended before it was killed ({status}); its log:\n{}",
            self.log()
        );
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let child = self.child.get_mut();
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
}
