//! Case data at rest is readable by its owner only (docs/SECURITY.md, "Data
//! at rest and backups"): the SQLite database and its -wal/-shm, the lock
//! and admin-token files, backups and the `.eml` outbox are 0600 and the
//! folders made for them 0700, with the tests' umask (022, the usual
//! default) that made them 0644/0755 before.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::serve::{Serve, mla, scratch_dir};
use crate::common::{days_ago, sent_body, spawn_app};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Every entry of `folder`: files 0600, folders 0700 (recursively).
fn all_private(folder: &Path) -> Vec<String> {
    assert_eq!(mode(folder), 0o700, "{}", folder.display());
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            seen.extend(all_private(&path));
        } else {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
        seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    seen.sort();
    seen
}

#[actix_web::test]
async fn the_first_start_leaves_only_private_files_in_a_private_folder() {
    let serve = Serve::start("sqlite://data/mla-tracker.db", "").await;
    let names = all_private(&serve.dir().join("data"));
    for name in [
        "admin-token",
        "mla-tracker.db",
        "mla-tracker.db-shm",
        "mla-tracker.db-wal",
        "mla-tracker.db.lock",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
}

#[actix_web::test]
async fn a_database_found_readable_by_others_is_tightened_with_a_warning() {
    let dir = scratch_dir("mla-wide");
    let url = "sqlite://data/mla.db";
    let out = mla(&dir, url).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let file = dir.join("data/mla.db");
    assert_eq!(mode(&file), 0o600);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = mla(&dir, url).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&file), 0o600, "tightened");
    let log = String::from_utf8_lossy(&out.stderr);
    let warning = "data/mla.db was readable beyond its owner (mode 0644); now 0600";
    assert!(log.contains(warning), "{warning}\n{log}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn backups_are_private() {
    let app = spawn_app().await;
    app.create_request(&sent_body("PRIVATE", "2025-01-10"))
        .await;
    let dir = scratch_dir("mla-private-backup");
    let file = dir.join("copy");
    let out = mla(&dir, &app.database_url)
        .args(["backup", "--to"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&file), 0o600);
    // Replaced with --force: still private.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = mla(&dir, &app.database_url)
        .args(["backup", "--force", "--to"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&file), 0o600);
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn the_outbox_is_private() {
    let app = spawn_app().await;
    app.create_request(&sent_body("OUTBOX", &days_ago(400)))
        .await;
    app.run_alerts(false).await;
    assert!(!app.emails().is_empty(), "the run wrote emails");
    let names = all_private(&app.outbox);
    assert!(names.iter().all(|n| n.ends_with(".eml")), "{names:?}");
}
