//! Finding, creating and checking the database a command names, with
//! errors an operator can act on: which file or server, what is wrong with
//! it (missing, not migrated, read-only, unreachable), what to do — and
//! never a password.

use std::path::{Path, PathBuf};

use super::connect::Manager;
use super::migrate::{SchemaState, run_migrations, schema_state};
use super::{Backend, DbConnection, private_files, sqlite_path};
use crate::config::{DatabaseSettings, SecretUrl};

/// Whether opening a database may create it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// Create a missing SQLite file (and its folder) and apply pending
    /// migrations: `serve`, `migrate`, `seed` and `user add`.
    Create,
    /// The database must be there with this version's schema; nothing is
    /// created or changed, anything else is an [`OpenError`]: the commands
    /// that read, report or copy, for which a new empty database would
    /// answer "nothing to report".
    Existing,
}

/// Why a database could not be opened, in terms an operator can act on:
/// SQLite paths are absolute, PostgreSQL servers are named by host and
/// port, and no password is ever shown.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no SQLite database at {}", .0.display())]
    NoSqliteFile(PathBuf),
    #[error(
        "the PostgreSQL server at {server} has no database `{name}`: create it with \
         `createdb {name}` (as a user allowed to create databases), then run this again"
    )]
    NoPostgresDatabase { server: String, name: String },
    /// The database is there but holds no mla-tracker schema.
    #[error("{0} holds no mla-tracker schema")]
    NoSchema(String),
    /// Migrations of this version (or the chain's hashing) not applied yet.
    #[error("{place} is not up to date with this version of mla-tracker ({what})")]
    Behind { place: String, what: String },
    #[error(
        "cannot create the folder {} for the SQLite database: {}",
        .folder.display(), .cause
    )]
    NoFolder { folder: PathBuf, cause: String },
    #[error(
        "cannot {} the SQLite database {}: its folder {} is not writable by this process{}",
        if *.exists { "open" } else { "create" },
        .database.display(),
        .folder.display(),
        if *.exists {
            ", and SQLite writes its journal files (-wal, -shm) beside the database; make the \
             folder writable, or move the database to one that is"
        } else {
            "; make it writable, or set database.url to a folder that is"
        }
    )]
    ReadOnlyFolder {
        database: PathBuf,
        folder: PathBuf,
        /// Whether the database file is there (else it was to be created).
        exists: bool,
    },
    #[error(
        "cannot open the SQLite database {}: the file is not writable by this process",
        .0.display()
    )]
    ReadOnlyFile(PathBuf),
    #[error(
        "cannot open the database: no PostgreSQL server answers at {server} ({cause}); is it \
         running there, and is database.url right?"
    )]
    Unreachable { server: String, cause: String },
    #[error("cannot open {place}: {cause}")]
    Failed { place: String, cause: String },
    #[error(transparent)]
    Migrations(anyhow::Error),
}

/// One connection without a pool, for command-line work, which needs
/// neither concurrency nor pool threads outliving `main`: created and
/// migrated, or checked, as `open` says.
pub fn connect_once(settings: &DatabaseSettings, open: Open) -> Result<DbConnection, OpenError> {
    let url = &settings.url;
    let mut created = None;
    if Backend::of_url(url.expose()) == Backend::Sqlite {
        let file = absolute(sqlite_path(url.expose()));
        match open {
            Open::Existing if !file.exists() => return Err(OpenError::NoSqliteFile(file)),
            Open::Existing if !file.is_file() => {
                return Err(OpenError::Failed {
                    place: place(url),
                    cause: "it is a folder, not a database file".into(),
                });
            }
            Open::Existing => {}
            Open::Create => {
                create_sqlite_folder(&file)?;
                if !file.exists() {
                    // Private before SQLite opens it: its -wal and -shm
                    // take the database file's mode.
                    private_files::create_file(&file).map_err(|e| {
                        diagnose(url, &format!("unable to open database file: {e}"))
                    })?;
                    created = Some(file.clone());
                }
            }
        }
        for private in sqlite_files(&file) {
            private_files::tighten(&private).map_err(|e| OpenError::Failed {
                place: place(url),
                cause: format!("cannot make {} private: {e}", private.display()),
            })?;
        }
    }
    let mut conn = Manager::for_commands(settings)
        .open()
        .map_err(|e| diagnose(url, &e.to_string()))?;
    match open {
        Open::Create => {
            if let Some(file) = created {
                log::info!("created the SQLite database {}", file.display());
            }
            run_migrations(&mut conn).map_err(OpenError::Migrations)?;
        }
        Open::Existing => {
            let state = schema_state(&mut conn).map_err(|e| diagnose(url, &e.to_string()))?;
            match state {
                SchemaState::Current => {}
                SchemaState::Missing => return Err(OpenError::NoSchema(place(url))),
                SchemaState::Behind(pending) => {
                    return Err(OpenError::Behind {
                        place: place(url),
                        what: match pending.len() {
                            0 => "the history written before the event chain is not hashed \
                                  yet, or the cases made from the requests have no history yet"
                                .into(),
                            n => format!("{n} migration(s) to apply"),
                        },
                    });
                }
            }
        }
    }
    Ok(conn)
}

/// The SQLite database file and the journal files SQLite keeps beside it.
fn sqlite_files(database: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", database.display()));
    [database.to_path_buf(), with("-wal"), with("-shm")]
}

/// The database a URL names, for messages: `the SQLite database /abs/path`
/// or `the PostgreSQL database `name` on host:port`.
pub fn place(url: &SecretUrl) -> String {
    match Backend::of_url(url.expose()) {
        Backend::Sqlite => format!(
            "the SQLite database {}",
            absolute(sqlite_path(url.expose())).display()
        ),
        Backend::Postgres => {
            let target = PgTarget::of(url.expose());
            match target.database {
                Some(name) => format!("the PostgreSQL database `{name}` on {}", target.server),
                None => format!("the default PostgreSQL database on {}", target.server),
            }
        }
    }
}

/// `path` made absolute against the current folder (not resolving links),
/// so that a message shows which folder a relative `database.url` meant.
pub(super) fn absolute(path: &str) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path))
}

/// What went wrong opening the database at `url`, from the driver's
/// message and, for SQLite, a look at the file and its folder.
fn diagnose(url: &SecretUrl, message: &str) -> OpenError {
    match Backend::of_url(url.expose()) {
        Backend::Postgres => diagnose_postgres(url, message),
        Backend::Sqlite => {
            let database = absolute(sqlite_path(url.expose()));
            let folder = database
                .parent()
                .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
            // What SQLite says when it cannot open or write its files.
            let refused = ["unable to open database file", "readonly database"]
                .iter()
                .any(|m| message.contains(m));
            if !refused {
                OpenError::Failed {
                    place: place(url),
                    cause: message.trim().to_string(),
                }
            } else if !folder_writable(&folder) {
                let exists = database.exists();
                OpenError::ReadOnlyFolder {
                    database,
                    folder,
                    exists,
                }
            } else if database.exists() && not_writable(&database) {
                OpenError::ReadOnlyFile(database)
            } else {
                OpenError::Failed {
                    place: place(url),
                    cause: message.trim().to_string(),
                }
            }
        }
    }
}

/// libpq's messages: `connection to server at "h", port p failed: CAUSE`,
/// where CAUSE is `FATAL: …` when the server answered, else why it could
/// not be reached; or `could not translate host name …`.
fn diagnose_postgres(url: &SecretUrl, message: &str) -> OpenError {
    let target = PgTarget::of(url.expose());
    let first = message.lines().next().unwrap_or_default().trim();
    let cause = first
        .split_once(" failed: ")
        .map_or(first, |(_, cause)| cause)
        .trim();
    if let Some(fatal) = cause.strip_prefix("FATAL:") {
        let fatal = fatal.trim();
        if let Some(name) = fatal
            .strip_prefix("database \"")
            .and_then(|rest| rest.strip_suffix("\" does not exist"))
        {
            return OpenError::NoPostgresDatabase {
                server: target.server,
                name: name.to_string(),
            };
        }
        return OpenError::Failed {
            place: place(url),
            cause: fatal.to_string(),
        };
    }
    const UNREACHABLE: [&str; 7] = [
        "Connection refused",
        "could not translate host name",
        "timeout expired",
        "Connection timed out",
        "No route to host",
        "Network is unreachable",
        "No such file or directory",
    ];
    if UNREACHABLE.iter().any(|u| cause.contains(u)) {
        return OpenError::Unreachable {
            server: target.server,
            cause: cause.to_string(),
        };
    }
    OpenError::Failed {
        place: place(url),
        cause: cause.to_string(),
    }
}

/// Where a PostgreSQL URL points, without its credentials.
#[derive(Debug, PartialEq)]
struct PgTarget {
    /// `host:port`, or the local socket.
    server: String,
    /// The database named in the URL; libpq's default (the user's name)
    /// otherwise.
    database: Option<String>,
}

impl PgTarget {
    /// `postgres://[user[:password]@][host][:port][/dbname][?host=…&port=…&dbname=…]`.
    fn of(url: &str) -> PgTarget {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (mut host, mut port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host.to_string(), port.to_string()),
            _ => (hostport.to_string(), String::new()),
        };
        let mut database = (!path.is_empty()).then(|| path.to_string());
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("host", value)) => host = value.to_string(),
                Some(("port", value)) => port = value.to_string(),
                Some(("dbname", value)) => database = Some(value.to_string()),
                _ => {}
            }
        }
        let port = if port.is_empty() { "5432".into() } else { port };
        let server = if host.is_empty() || host.starts_with('/') {
            format!("the local socket (port {port})")
        } else {
            format!("{host}:{port}")
        };
        PgTarget { server, database }
    }
}

/// Whether a file can be created in `folder` (tried, then removed): false
/// for a read-only filesystem, an immutable folder (`chattr +i`) or a
/// missing permission. Called only once something failed.
pub(super) fn folder_writable(folder: &Path) -> bool {
    let probe = folder.join(format!(
        ".mla-tracker-probe-{}",
        uuid::Uuid::new_v4().simple()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    }
}

/// Creates the folder of a SQLite database (0700, with any missing
/// parent); an error names the folder that refused it.
pub(super) fn create_sqlite_folder(database: &Path) -> Result<(), OpenError> {
    let Some(folder) = database.parent() else {
        return Ok(());
    };
    private_files::create_folder(folder).map_err(|e| {
        let refusing = folder.ancestors().find(|a| a.exists());
        OpenError::NoFolder {
            folder: folder.to_path_buf(),
            cause: match refusing {
                Some(parent)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::PermissionDenied
                            | std::io::ErrorKind::ReadOnlyFilesystem
                    ) =>
                {
                    format!("{} is not writable by this process ({e})", parent.display())
                }
                _ => e.to_string(),
            },
        }
    })
}

/// Whether the operating system refuses to open `file` (or its WAL) for
/// writing: a read-only filesystem, an immutable file (`chattr +i`), or a
/// permission missing (ignored for root).
pub(super) fn not_writable(file: &Path) -> bool {
    let wal = format!("{}-wal", file.display());
    [file, Path::new(&wal)].iter().any(|path| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .is_err_and(|e| {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_name_their_server_and_database_without_the_password() {
        let t = PgTarget::of("postgres://mla:s3cret@db.example:6543/cases?sslmode=require");
        assert_eq!(t.server, "db.example:6543");
        assert_eq!(t.database.as_deref(), Some("cases"));
        let t = PgTarget::of("postgresql://postgres@127.0.0.1/postgres");
        assert_eq!(t.server, "127.0.0.1:5432");
        let t = PgTarget::of("postgres://u@[::1]:5433/x");
        assert_eq!(t.server, "[::1]:5433");
        let t = PgTarget::of("postgres:///mla?host=/var/run/postgresql");
        assert_eq!(t.server, "the local socket (port 5432)");
        assert_eq!(t.database.as_deref(), Some("mla"));
        assert_eq!(PgTarget::of("postgres://u:p@h").database, None);
    }

    #[test]
    fn libpq_messages_become_causes() {
        let url = SecretUrl::new("postgres://u:s3cret@127.0.0.1:5499/x");
        let e = diagnose(
            &url,
            "connection to server at \"127.0.0.1\", port 5499 failed: Connection refused\n\t\
             Is the server running on that host and accepting TCP/IP connections?\n",
        );
        assert_eq!(
            e.to_string(),
            "cannot open the database: no PostgreSQL server answers at 127.0.0.1:5499 \
             (Connection refused); is it running there, and is database.url right?"
        );
        let e = diagnose(
            &url,
            "connection to server at \"127.0.0.1\", port 5499 failed: FATAL:  database \"x\" \
             does not exist\n",
        );
        assert!(
            matches!(&e, OpenError::NoPostgresDatabase { name, .. } if name == "x"),
            "{e}"
        );
        assert!(e.to_string().contains("`createdb x`"), "{e}");
        let e = diagnose(
            &url,
            "connection to server at \"127.0.0.1\", port 5499 failed: FATAL:  password \
             authentication failed for user \"u\"\n",
        );
        assert_eq!(
            e.to_string(),
            "cannot open the PostgreSQL database `x` on 127.0.0.1:5499: password authentication \
             failed for user \"u\""
        );
        let e = diagnose(
            &url,
            "could not translate host name \"nohost\" to address: Name or service not known\n",
        );
        assert!(matches!(e, OpenError::Unreachable { .. }), "{e}");
        assert!(!format!("{e} {e:?}").contains("s3cret"));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_named_with_sqlites_words() {
        let dir = std::env::temp_dir().join(format!("mla-pool-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("notes.txt");
        std::fs::write(
            &file,
            "not a database, but long enough to have a header ".repeat(10),
        )
        .unwrap();
        let mut settings = crate::config::Settings::defaults().database;
        settings.url = SecretUrl::new(file.display().to_string());
        let e = connect_once(&settings, Open::Existing).err().unwrap();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot open the SQLite database {}: file is not a database",
                file.display()
            )
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_sqlite_file_is_refused_and_not_created() {
        let dir = std::env::temp_dir().join(format!("mla-pool-{}", uuid::Uuid::new_v4().simple()));
        let file = dir.join("data/mla.db");
        let mut settings = crate::config::Settings::defaults().database;
        settings.url = SecretUrl::new(format!("sqlite://{}", file.display()));
        let e = connect_once(&settings, Open::Existing).err().unwrap();
        assert!(
            matches!(&e, OpenError::NoSqliteFile(f) if *f == file),
            "{e}"
        );
        assert!(!dir.exists(), "nothing created");

        connect_once(&settings, Open::Create).unwrap();
        assert!(file.is_file());
        connect_once(&settings, Open::Existing).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
