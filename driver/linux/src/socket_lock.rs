//! The client socket's path belongs to one daemon. At start the daemon removes a socket file
//! left by a killed one and binds its own; the instance lock (`instance.rs`) cannot stop a
//! daemon in another network namespace that was given the same path, and that one would unlink
//! the running daemon's socket, so its app could never connect again. So before touching
//! anything (rules included) the daemon takes an exclusive `flock` on `<socket path>.lock`, next
//! to the socket; a second daemon with the same path, in whatever namespace, exits with one
//! sentence and changes nothing.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::file_lock::{self, HeldLock};

/// `<socket path>.lock`.
pub(crate) fn lock_path(socket: &Path) -> PathBuf {
    let mut name = OsString::from(socket.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock of `socket`'s path (creating its directory when missing, as binding would).
pub(crate) fn acquire(socket: &Path) -> io::Result<HeldLock> {
    if let Some(dir) = socket.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    let path = lock_path(socket);
    file_lock::acquire(&path, || {
        format!(
            "another zenithfenced is already serving the client socket {} (it holds {}); this one changed nothing",
            socket.display(),
            path.display()
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_second_daemon_with_the_same_socket_path_is_refused_until_the_first_goes() {
        if crate::sys::effective_uid() != 0 {
            return; // The lock file must be root's.
        }
        let dir = std::env::temp_dir().join(format!("zf-socket-lock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let socket = dir.join("driver.sock");
        let first = acquire(&socket).unwrap();
        let lock = dir.join("driver.sock.lock");
        assert!(lock.exists());
        let second = acquire(&socket).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::AlreadyExists);
        assert!(
            second
                .to_string()
                .starts_with("another zenithfenced is already serving the client socket"),
            "{second}"
        );
        assert!(
            acquire(&dir.join("other.sock")).is_ok(),
            "another path is free"
        );
        drop(first);
        assert!(!lock.exists(), "removed on release");
        drop(acquire(&socket).unwrap());
        fs::remove_dir_all(&dir).unwrap();
    }
}
