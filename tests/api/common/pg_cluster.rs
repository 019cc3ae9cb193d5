//! A throwaway PostgreSQL cluster that a test may stop and start: `initdb`
//! and `pg_ctl` in a temporary directory, listening on 127.0.0.1 on a free
//! port, the way `scripts/test` starts one. It is never the machine's server
//! (whatever runs on 5432 is left alone). When the tests run as root the
//! server runs as user `postgres` (through `runuser`), since PostgreSQL
//! refuses to run as root.
//!
//! A fault test that cannot cause its fault must fail, not pass: every
//! failure here panics with what was missing and how to get it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct PgCluster {
    pub port: u16,
    dir: PathBuf,
    bindir: PathBuf,
    /// Run the server programs as `postgres` (we are root).
    as_postgres: bool,
}

impl PgCluster {
    /// Creates and starts a cluster; panics, saying why, if it cannot.
    pub fn start() -> PgCluster {
        let bindir = bindir().unwrap_or_else(|| {
            panic!(
                "this test needs PostgreSQL's server programs (initdb, pg_ctl) to start a \
                 cluster it can stop: none found through pg_config, /usr/lib/postgresql/*/bin \
                 or PATH. Install them (apt-get install postgresql); scripts/test does"
            )
        });
        let dir = std::env::temp_dir().join(format!("mla-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a directory for the cluster");
        let as_postgres = is_root();
        if as_postgres {
            let exists = Command::new("id").arg("postgres").output();
            if !exists.is_ok_and(|out| out.status.success()) {
                run_ok(
                    Command::new("useradd").args(["--system", "--no-create-home", "postgres"]),
                    "useradd postgres (PostgreSQL will not run as root)",
                );
            }
            run_ok(
                Command::new("chown").arg("postgres").arg(&dir),
                "chown postgres",
            );
        }
        let port = free_port();
        let cluster = PgCluster {
            port,
            dir,
            bindir,
            as_postgres,
        };
        let data = cluster.dir.join("data");
        let out = cluster
            .server_command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "--no-sync"])
            .output()
            .expect("initdb runs");
        check(&out, "initdb");
        cluster.start_again();
        cluster
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: sessions are terminated, open
    /// transactions rolled back) and waits until it is down.
    pub fn stop(&self) {
        let out = self.pg_ctl(&["-m", "fast", "stop"]);
        check(&out, "pg_ctl stop");
    }

    /// Starts the (stopped) server again on the same port and waits until
    /// it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        let out = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(&log)
            .args(["-w", "-o", &options, "start"])
            .output()
            .expect("pg_ctl runs");
        if !out.status.success() {
            panic!(
                "the throwaway PostgreSQL did not start: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        self.server_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-w")
            .args(args)
            .output()
            .expect("pg_ctl runs")
    }

    /// `program` from the server's bin directory, as `postgres` when root.
    fn server_command(&self, program: &str) -> Command {
        let path = self.bindir.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The directory holding initdb and pg_ctl, as `scripts/test` finds it.
fn bindir() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_initdb(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    // initdb on PATH may be a link into the version's bin directory.
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .filter_map(|dir| dir.join("initdb").canonicalize().ok())
        .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
        .find(|dir| has_initdb(dir))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn run_ok(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    check(&out, what);
}

fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
