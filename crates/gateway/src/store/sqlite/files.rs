//! The SQLite store's files: who may read them, and which process owns them.
//!
//! The database holds partners' sealed secrets and every order: its directory is
//! created `0700` and the database file `0600` (SQLite gives its `-wal` and `-shm`
//! files the database file's mode), and a database file left readable by others is
//! made private when it is opened.
//!
//! One SQLite file is served by one process. A second serving process on the same
//! file would release the first one's IPN leases at its start (on SQLite, a node
//! releases every lease: nothing else can hold one), so both would deliver the same
//! IPNs. The serving process therefore holds an exclusive lock on `<database>.lock`
//! beside the database for as long as its store is open; a second one refuses to
//! start and says why. The lock is the operating system's (`flock`, on Unix): it goes
//! with the process, however the process ends, so a crash never leaves a stale lock.

use crate::store::{StoreError, StoreResult};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Mode of the directories the store creates.
pub(super) const DIR_MODE: u32 = 0o700;
/// Mode of the database file and its lock file.
pub(super) const FILE_MODE: u32 = 0o600;

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Database(format!("{}: {e}", path.display()))
}

/// Creates `dir` and its missing parents, each `0700`.
pub(super) fn create_private_dir(dir: &Path) -> StoreResult<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir).map_err(|e| io_error(dir, e))
}

fn private_options() -> OpenOptions {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(FILE_MODE);
    }
    opts
}

/// Creates the database file `0600` before SQLite opens it, or takes the group's and
/// others' permissions away from an existing one.
pub(super) fn prepare_database_file(path: &Path) -> StoreResult<()> {
    let file = private_options().open(path).map_err(|e| io_error(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(|e| io_error(path, e))?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700)).map_err(|e| io_error(path, e))?;
        }
    }
    drop(file);
    Ok(())
}

/// The lock file of a database file: `<database>.lock`, beside it.
pub(super) fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The exclusive lock of a serving process on its database; released when dropped
/// (or when the process ends).
#[derive(Debug)]
pub(super) struct ProcessLock {
    _file: File,
}

/// Takes the exclusive lock on `database`'s lock file, or says that another process
/// (or another store in this one) serves it.
pub(super) fn lock_exclusive(database: &Path) -> StoreResult<ProcessLock> {
    let path = lock_path(database);
    let file = private_options().open(&path).map_err(|e| io_error(&path, e))?;
    match try_lock(&file) {
        Ok(()) => Ok(ProcessLock { _file: file }),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(StoreError::Database(format!(
            "the SQLite database {} is already in use by another gateway process (it holds {}): one SQLite \
             file is served by one process; stop the other process, or give this one a database of its own \
             (APPOTAPAY_DATABASE_URL)",
            database.display(),
            path.display()
        ))),
        Err(e) => Err(io_error(&path, e)),
    }
}

/// `flock(LOCK_EX | LOCK_NB)`: held by this open file, so a second open of the lock
/// file, even in the same process, does not get it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<()> {
    use rustix::fs::{FlockOperation, flock};
    flock(file, FlockOperation::NonBlockingLockExclusive).map_err(std::io::Error::from)
}

/// Elsewhere the lock is not taken.
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<()> {
    Ok(())
}

/// The free space below which the database's filesystem counts as full: about what a
/// batch of commits and a checkpoint need to go on (WAL frames, copied pages).
pub const MIN_FREE_BYTES: u64 = 1024 * 1024;

/// `Ok` while the filesystem holding `dir` has at least [`MIN_FREE_BYTES`] free for
/// this process; an error naming what is left otherwise (or when it cannot be read).
#[cfg(unix)]
pub fn enough_free_space(dir: &Path) -> StoreResult<()> {
    let st = rustix::fs::statvfs(dir).map_err(|e| io_error(dir, std::io::Error::from(e)))?;
    let free = st.f_bavail.saturating_mul(st.f_frsize);
    if free < MIN_FREE_BYTES {
        return Err(StoreError::Database(format!(
            "{}: the disk is full ({free} bytes free, writes need {MIN_FREE_BYTES})",
            dir.display()
        )));
    }
    Ok(())
}

/// Elsewhere free space is not checked.
#[cfg(not(unix))]
pub fn enough_free_space(_dir: &Path) -> StoreResult<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_disk_with_room_has_enough_free_space() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(enough_free_space(dir.path()).is_ok());
        assert!(enough_free_space(&dir.path().join("missing")).is_err(), "an unreadable place is an error");
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn created_files_are_private() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/b");
        create_private_dir(&dir).expect("dir");
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("g.db");
        prepare_database_file(&db).expect("file");
        assert_eq!(mode(&db), 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        prepare_database_file(&db).expect("again");
        assert_eq!(mode(&db), 0o600, "an existing file loses the group's and others' bits");
    }

    #[test]
    fn the_lock_is_exclusive_until_dropped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let db = tmp.path().join("g.db");
        let first = lock_exclusive(&db).expect("first");
        let second = lock_exclusive(&db).expect_err("a second lock is refused");
        assert!(second.to_string().contains("already in use by another gateway process"), "{second}");
        assert_eq!(mode(&lock_path(&db)), 0o600);
        drop(first);
        lock_exclusive(&db).expect("free again once dropped");
    }
}
