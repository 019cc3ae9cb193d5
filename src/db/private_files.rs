//! Files and folders that hold case data or a credential — the SQLite
//! database and its `-wal`/`-shm`, backups, the `.eml` outbox, the first
//! start's admin token — are created readable by this process's user only:
//! files 0600, folders 0700, whatever the umask. SQLite creates its `-wal`
//! and `-shm` with the permissions of the database file, so a 0600
//! database file gives them 0600 too.
//!
//! Such a file found with a wider mode (written by an older version, or
//! copied in) is tightened to its owner's bits, with a warning naming it
//! (docs/DECISIONS.md, "Case data is readable by its owner only"). Folders
//! that were there already are left as they are: they may be shared
//! (`/tmp`, `/var/lib`), and the files in them are private.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The mode of every private file.
pub const FILE_MODE: u32 = 0o600;
/// The mode of every private folder this process creates.
pub const FOLDER_MODE: u32 = 0o700;

/// Creates `folder` and its missing parents, each 0700; folders already
/// there are not changed.
pub fn create_folder(folder: &Path) -> io::Result<()> {
    let missing: Vec<&Path> = folder
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .collect();
    DirBuilder::new()
        .recursive(true)
        .mode(FOLDER_MODE)
        .create(folder)?;
    // The umask may have taken bits off the owner's too.
    for created in missing {
        std::fs::set_permissions(created, Permissions::from_mode(FOLDER_MODE))?;
    }
    Ok(())
}

/// Creates `file`, which must not exist, 0600.
pub fn create_file(file: &Path) -> io::Result<File> {
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(file)?;
    created.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(created)
}

/// Writes `contents` to `file`, 0600 whether it is new or replaced.
pub fn write_file(file: &Path, contents: &[u8]) -> io::Result<()> {
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(file)?;
    out.set_permissions(Permissions::from_mode(FILE_MODE))?;
    out.write_all(contents)?;
    out.sync_all()
}

/// Takes the group's and others' bits off `file` if it has any, with a
/// warning naming it; a missing file is fine.
pub fn tighten(file: &Path) -> io::Result<()> {
    let mode = match std::fs::metadata(file) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let tight = mode & 0o700;
    std::fs::set_permissions(file, Permissions::from_mode(tight))?;
    log::warn!(
        "{} was readable beyond its owner (mode {mode:04o}); now {tight:04o}: it holds case data",
        file.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn created_private_whatever_the_umask_and_wider_files_tightened() {
        let root = std::env::temp_dir().join(format!("mla-private-{}", uuid::Uuid::new_v4()));
        let folder = root.join("a/b");
        create_folder(&folder).unwrap();
        assert_eq!(mode(&root), FOLDER_MODE);
        assert_eq!(mode(&root.join("a")), FOLDER_MODE);
        assert_eq!(mode(&folder), FOLDER_MODE);

        let file = folder.join("f");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        assert!(create_file(&file).is_err(), "never replaces a file");

        let other = folder.join("g");
        std::fs::write(&other, "x").unwrap();
        std::fs::set_permissions(&other, Permissions::from_mode(0o664)).unwrap();
        tighten(&other).unwrap();
        assert_eq!(mode(&other), 0o600);
        write_file(&other, b"y").unwrap();
        assert_eq!(mode(&other), 0o600);
        tighten(&folder.join("missing")).unwrap();
        std::fs::remove_dir_all(root).unwrap();
    }
}
