//! `mla-tracker backup --to FILE`: a consistent copy of a live database.
//!
//! SQLite: `VACUUM INTO`, which reads the database in one transaction (a
//! snapshot: in WAL mode the service goes on writing meanwhile) and writes a
//! compact, self-contained database file that `serve` opens as it is. The
//! copy is written beside the target under a temporary name, checked
//! (`PRAGMA integrity_check`), then moved into place: a failed backup never
//! leaves a half-written file under the target's name. The copy is 0600
//! from its creation, whatever the umask ([`crate::db::private_files`]).
//!
//! PostgreSQL: `pg_dump --format=custom` (also one snapshot), when `pg_dump`
//! is on the PATH; otherwise the command fails with the recipe to run by
//! hand. A password in the URL is handed to pg_dump in `PGPASSWORD`, not on
//! its command line, where any local user could read it. Restoring is
//! `pg_restore` into an empty database (README "Backup and restore").

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use diesel::SqliteConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::config::DatabaseSettings;
use crate::db::{Backend, DbConnection, private_files, sqlite_path};

/// What a backup wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub file: PathBuf,
    pub backend: Backend,
    pub bytes: u64,
    /// Rows in the copy (SQLite; PostgreSQL's dump is not opened).
    pub requests: Option<i64>,
    pub events: Option<i64>,
}

/// Backs the database of `settings` up to `to`; refuses to replace an
/// existing file unless `force`.
pub fn run(settings: &DatabaseSettings, to: &Path, force: bool) -> anyhow::Result<Written> {
    if to.exists() && !force {
        anyhow::bail!(
            "{} exists already: choose another file, or pass --force to replace it",
            to.display()
        );
    }
    if to.is_dir() {
        anyhow::bail!("{} is a directory", to.display());
    }
    let temp = temp_beside(to)?;
    // Private from the start (VACUUM INTO fills an empty file, pg_dump
    // truncates it: both keep its mode), and again once written.
    private_files::create_file(&temp)
        .with_context(|| format!("cannot create {}", temp.display()))?;
    let result = match Backend::of_url(settings.url.expose()) {
        Backend::Sqlite => sqlite(settings.url.expose(), &temp),
        Backend::Postgres => postgres(settings.url.expose(), &temp, to),
    }
    .and_then(|written| {
        std::fs::set_permissions(
            &temp,
            std::fs::Permissions::from_mode(private_files::FILE_MODE),
        )?;
        Ok(written)
    });
    let written = match result {
        Ok(written) => written,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
    };
    if force {
        std::fs::rename(&temp, to)
    } else {
        // A hard link fails if the target appeared meanwhile: no clobbering.
        std::fs::hard_link(&temp, to).and_then(|()| std::fs::remove_file(&temp))
    }
    .map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        anyhow::anyhow!("cannot move the backup to {}: {e}", to.display())
    })?;
    Ok(Written {
        file: to.to_path_buf(),
        ..written
    })
}

/// A fresh name in the target's folder (so the final move is a rename).
fn temp_beside(to: &Path) -> anyhow::Result<PathBuf> {
    let name = to
        .file_name()
        .with_context(|| format!("{} names no file", to.display()))?;
    let dir = match to.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        anyhow::bail!("no folder {}", dir.display());
    }
    Ok(dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    )))
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

fn sqlite(url: &str, temp: &Path) -> anyhow::Result<Written> {
    let source = sqlite_path(url);
    // Opening a missing file would create an empty database and back it up.
    if !Path::new(source).is_file() {
        anyhow::bail!("no SQLite database at {source} (database.url)");
    }
    // No migrations: a backup copies what is there and changes nothing.
    let mut conn = open_sqlite(source)?;
    let target = temp
        .to_str()
        .with_context(|| format!("{} is not UTF-8", temp.display()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(target)
        .execute(&mut conn)
        .map_err(|e| anyhow::anyhow!("VACUUM INTO failed: {e}"))?;
    drop(conn);

    let mut copy = open_sqlite(target)?;
    let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut copy)?;
    if checks.len() != 1 || checks[0].integrity_check != "ok" {
        anyhow::bail!(
            "the copy fails SQLite's integrity check: {}",
            checks
                .iter()
                .map(|c| c.integrity_check.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let (requests, events) = counts(&mut copy)?;
    // The file alone is the backup: no WAL beside it.
    copy.batch_execute("PRAGMA journal_mode = DELETE")?;
    drop(copy);
    Ok(Written {
        file: temp.to_path_buf(),
        backend: Backend::Sqlite,
        bytes: std::fs::metadata(temp)?.len(),
        requests: Some(requests),
        events: Some(events),
    })
}

/// A plain connection that waits for the service's writer (5 s at most per
/// lock) rather than failing at once.
fn open_sqlite(path: &str) -> anyhow::Result<DbConnection> {
    let mut conn = SqliteConnection::establish(path)
        .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {path}: {e}"))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000")?;
    Ok(DbConnection::Sqlite(conn))
}

fn counts(conn: &mut DbConnection) -> anyhow::Result<(i64, i64)> {
    use crate::db::schema::{request_events, requests};
    Ok((
        requests::table.count().get_result(conn)?,
        request_events::table.count().get_result(conn)?,
    ))
}

/// The command a user runs by hand when `pg_dump` is not installed here.
pub fn pg_dump_recipe(to: &Path) -> String {
    format!(
        "pg_dump --format=custom --no-owner --file={} \"$DATABASE_URL\"",
        to.display()
    )
}

fn postgres(url: &str, temp: &Path, to: &Path) -> anyhow::Result<Written> {
    let (url_without_password, password) = split_password(url);
    let mut command = Command::new("pg_dump");
    command
        .arg("--format=custom")
        .arg("--no-owner")
        .arg(format!("--file={}", temp.display()))
        .arg(format!("--dbname={url_without_password}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let out = match command.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "pg_dump is not installed here (it comes with PostgreSQL's client tools, e.g. \
             apt-get install postgresql-client). Back up with:\n    {}",
            pg_dump_recipe(to)
        ),
        Err(e) => anyhow::bail!("cannot run pg_dump: {e}"),
    };
    if !out.status.success() {
        anyhow::bail!(
            "pg_dump failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(Written {
        file: temp.to_path_buf(),
        backend: Backend::Postgres,
        bytes: std::fs::metadata(temp)?.len(),
        requests: None,
        events: None,
    })
}

/// Takes the password out of `postgres://user:password@host/...`,
/// percent-decoded; the URL is returned without it.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_string(), None);
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = rest[..at].split_once(':') else {
        return (url.to_string(), None);
    };
    (
        format!("{}{user}{}", &url[..scheme_end], &rest[at..]),
        Some(percent_decode(password)),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        assert_eq!(
            split_password("postgres://app:s%40cret:x@db.example:5432/mla?sslmode=require"),
            (
                "postgres://app@db.example:5432/mla?sslmode=require".to_string(),
                Some("s@cret:x".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/mla"),
            ("postgres://postgres@127.0.0.1/mla".to_string(), None)
        );
        assert_eq!(
            split_password("postgresql://h/db"),
            ("postgresql://h/db".to_string(), None)
        );
    }
}
