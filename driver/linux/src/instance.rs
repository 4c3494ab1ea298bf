//! One daemon per network namespace. The netfilter rules, the NFQUEUE and the NFLOG group belong
//! to a network namespace, and a second daemon starting in one that already has a daemon would
//! sweep the first one's rules before failing to bind the queue. So before touching anything, the
//! daemon takes an exclusive `flock` on `/run/zenithfence/net-<inode>.lock`, named after its
//! network namespace (the inode of `/proc/self/ns/net`): daemons in different namespaces never
//! meet, and a second one in the same namespace exits with one sentence and changes nothing.
//!
//! The lock goes with the process, also when it is killed. The directory and the file belong to
//! root and nobody else may write the one or open the other, so an unprivileged user cannot take
//! the lock first to keep the daemon from starting.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::file_lock::{self, HeldLock};

/// Where the lock files live (systemd's `RuntimeDirectory` for the service).
pub(crate) const LOCK_DIR: &str = "/run/zenithfence";

/// The held lock; dropping it removes the file and releases the lock.
#[derive(Debug)]
pub(crate) struct InstanceLock {
    _lock: HeldLock,
}

/// The lock file's path for the current network namespace.
pub(crate) fn lock_path(dir: &Path) -> io::Result<PathBuf> {
    let namespace = fs::metadata("/proc/self/ns/net")
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read /proc/self/ns/net: {e}")))?;
    Ok(dir.join(format!("net-{}.lock", namespace.ino())))
}

/// Where the daemon of the current network namespace records the built-in chains it made
/// (`builtin_chains.rs`), beside its lock file.
pub(crate) fn chains_record_path(dir: &Path) -> io::Result<PathBuf> {
    Ok(lock_path(dir)?.with_extension("chains"))
}

/// Where the daemon of the current network namespace records its connections' byte counts
/// for the next one (`carried_totals.rs`), beside its lock file.
pub(crate) fn totals_record_path(dir: &Path) -> io::Result<PathBuf> {
    Ok(lock_path(dir)?.with_extension("totals"))
}

/// Creates `dir` (mode 0755) when missing, and checks that only root can write it.
fn check_dir(dir: &Path) -> io::Result<()> {
    match fs::DirBuilder::new().mode(0o755).create(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", dir.display()),
            ))
        }
        _ => {}
    }
    let meta = fs::symlink_metadata(dir)?;
    if !meta.is_dir() || meta.uid() != 0 || meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} must be a directory owned by root and writable by nobody else",
                dir.display()
            ),
        ));
    }
    Ok(())
}

impl InstanceLock {
    /// Takes the lock of this network namespace in `dir`, or says why not: another daemon
    /// holds it, or the directory or file is not root's alone.
    pub(crate) fn acquire(dir: &Path) -> io::Result<InstanceLock> {
        check_dir(dir)?;
        let path = lock_path(dir)?;
        let lock = file_lock::acquire(&path, || {
            format!(
                "another zenithfenced is already running in this network namespace (it holds {}); this one changed nothing",
                path.display()
            )
        })?;
        Ok(InstanceLock { _lock: lock })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn is_root() -> bool {
        crate::sys::effective_uid() == 0
    }

    #[test]
    fn a_second_lock_in_the_same_namespace_is_refused_until_the_first_goes() {
        let dir = std::env::temp_dir().join(format!("zf-lock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        if !is_root() {
            // The directory must belong to root; as another user this is all that can be shown.
            assert!(InstanceLock::acquire(&dir).is_err());
            let _ = fs::remove_dir_all(&dir);
            return;
        }
        let first = InstanceLock::acquire(&dir).unwrap();
        let second = InstanceLock::acquire(&dir).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::AlreadyExists);
        assert!(
            second
                .to_string()
                .starts_with("another zenithfenced is already running"),
            "{second}"
        );
        let path = lock_path(&dir).unwrap();
        assert!(path.exists());
        drop(first);
        assert!(!path.exists(), "removed on release");
        let again = InstanceLock::acquire(&dir).unwrap();
        drop(again);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_others_can_write_is_refused() {
        if !is_root() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("zf-lock-open-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
        let error = InstanceLock::acquire(&dir).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lock_file_another_user_could_open_or_a_symlink_is_refused() {
        if !is_root() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("zf-lock-squat-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::DirBuilder::new().mode(0o755).create(&dir).unwrap();
        let path = lock_path(&dir).unwrap();
        // Planted by someone else (as root could have been tricked into, or left earlier).
        fs::write(&path, b"").unwrap();
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        let error = InstanceLock::acquire(&dir).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}");
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere"), &path).unwrap();
        assert!(
            InstanceLock::acquire(&dir).is_err(),
            "a symlink is not followed"
        );
        assert!(!dir.join("elsewhere").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
