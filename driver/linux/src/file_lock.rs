//! Exclusive lock files: an `flock` on a file only root can open, held for the life of the
//! process (the kernel releases it at exit, even on SIGKILL), and the file removed on release.
//! Used for the one-daemon-per-namespace lock (`instance.rs`) and for the client socket's path
//! (`socket_lock.rs`).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::sys;

/// `O_NOFOLLOW`: a symlink planted in place of the lock file is refused, not followed.
const O_NOFOLLOW: i32 = 0o400_000;

/// A held lock; dropping it removes the file and releases the lock.
#[derive(Debug)]
pub(crate) struct HeldLock {
    /// Holds the lock for as long as it is open.
    _file: File,
    path: PathBuf,
}

/// Takes an exclusive lock on `path` (created with mode 0600 when missing), or says why not:
/// `busy` is the error text when another process holds it (kind `AlreadyExists`); a file that
/// is not root's alone, or a symlink, is refused (kind `PermissionDenied`), so an unprivileged
/// user cannot hold the lock to keep the daemon from starting.
pub(crate) fn acquire(path: &Path, busy: impl Fn() -> String) -> io::Result<HeldLock> {
    // A file unlinked by a daemon that was stopping while we opened it is not the lock any
    // more: take the lock, then check the path still names our file, or start again.
    for _ in 0..10 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(O_NOFOLLOW)
            .open(path)
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
            })?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.uid() != 0 || meta.mode() & 0o077 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} must be a file only root can open", path.display()),
            ));
        }
        if !sys::try_lock_exclusive(&file)? {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, busy()));
        }
        match fs::symlink_metadata(path) {
            Ok(now) if now.ino() == meta.ino() && now.dev() == meta.dev() => {
                return Ok(HeldLock {
                    _file: file,
                    path: path.to_path_buf(),
                })
            }
            _ => continue,
        }
    }
    Err(io::Error::other(format!(
        "{} keeps changing; is another zenithfenced starting and stopping?",
        path.display()
    )))
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        // Removed while still held, so no other daemon can hold a lock on the removed file.
        let _ = fs::remove_file(&self.path);
    }
}
