//! SQLite serves one instance at a time: a lock file beside the database
//! says who sends its digests (`serve`, or `alerts run`), so that two
//! processes never send the same one.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::open::{absolute, create_sqlite_folder, folder_writable};
use super::{Backend, sqlite_path};

/// What holds the single-instance lock of a SQLite database, as the lock
/// file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// `serve`, for its lifetime: it scans on schedule and its delivery loop
    /// sends due digests.
    Serve,
    /// `alerts run`, while it scans and sends.
    AlertsRun,
}

impl Holder {
    fn as_str(self) -> &'static str {
        match self {
            Holder::Serve => "serve",
            Holder::AlertsRun => "alerts run",
        }
    }
}

/// The outcome of [`claim_single_instance`].
#[derive(Debug)]
pub enum Claim {
    /// PostgreSQL: instances coordinate in the database; no lock.
    Shared,
    /// This process holds the lock until the file is dropped.
    Held(std::fs::File),
    /// Another process holds it; `None` when its lock file does not say who
    /// (a version from before holders were recorded: a `serve`).
    Busy(Option<Holder>),
}

/// SQLite serves one instance at a time, so that two processes never send
/// the same digest: whoever sends (`serve` for its lifetime, `alerts run`
/// while it runs) holds an exclusive lock on `<database>.lock`, and writes
/// what it is into it. Does not create the lock file's folder.
pub fn claim_single_instance(url: &str, me: Holder) -> anyhow::Result<Claim> {
    if Backend::of_url(url) != Backend::Sqlite {
        return Ok(Claim::Shared);
    }
    let path = lock_path(url);
    let mut file = std::fs::OpenOptions::new()
        .mode(super::private_files::FILE_MODE)
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| {
            let folder = path.parent().unwrap_or(Path::new("/"));
            if folder_writable(folder) {
                anyhow::anyhow!("cannot open the lock file {}: {e}", path.display())
            } else {
                anyhow::anyhow!(
                    "cannot create the lock file {}: its folder {} is not writable by this \
                     process ({e})",
                    path.display(),
                    folder.display()
                )
            }
        })?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::Write;
            // Who holds it, for whoever finds it busy.
            let said = file.set_len(0).and_then(|()| {
                writeln!(file, "{} {}", me.as_str(), std::process::id())?;
                file.flush()
            });
            if let Err(e) = said {
                log::warn!("cannot write to the lock file {}: {e}", path.display());
            }
            Ok(Claim::Held(file))
        }
        Err(std::fs::TryLockError::WouldBlock) => Ok(Claim::Busy(holder_of(&path))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::anyhow!("cannot lock {}: {e}", path.display()))
        }
    }
}

/// `serve`'s claim: creates the database's folder if needed, and stops
/// start-up when another process holds the lock.
pub fn lock_single_instance(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    if Backend::of_url(url) == Backend::Sqlite {
        create_sqlite_folder(&absolute(sqlite_path(url)))?;
    }
    match claim_single_instance(url, Holder::Serve)? {
        Claim::Shared => Ok(None),
        Claim::Held(file) => Ok(Some(file)),
        Claim::Busy(holder) => anyhow::bail!(
            "another mla-tracker{} is using the SQLite database {} (it holds {}); SQLite \
             supports one serving instance: stop the other one, or use PostgreSQL to run several",
            match holder {
                Some(Holder::AlertsRun) => " (`alerts run`, sending digests)",
                _ => "",
            },
            absolute(sqlite_path(url)).display(),
            lock_path(url).display()
        ),
    }
}

fn lock_path(url: &str) -> PathBuf {
    absolute(&format!("{}.lock", sqlite_path(url)))
}

/// What the lock file says holds it.
fn holder_of(path: &Path) -> Option<Holder> {
    let said = std::fs::read_to_string(path).ok()?;
    if said.starts_with("serve ") {
        Some(Holder::Serve)
    } else if said.starts_with("alerts run ") {
        Some(Holder::AlertsRun)
    } else {
        None
    }
}
