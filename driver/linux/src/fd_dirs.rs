//! Held handles on the `/proc/PID/fd` directories of recent socket owners.
//!
//! Checking that a process still holds a socket is one `readlink` of `/proc/PID/fd/FD` per new
//! connection. By path the kernel walks `/proc`, the pid and `fd` again each time and the
//! caller builds the path (allocations); through a handle on the `fd` directory it looks up one
//! name. A handle names the process it was opened for: once that process is gone, every lookup
//! in it fails, also when its pid is in use again, so a held handle never reads another
//! process's descriptors. A process found by a fresh scan of `/proc` gets a fresh handle.

use std::collections::HashMap;
use std::ffi::CStr;
use std::fs;
use std::path::Path;

/// Most handles kept (one descriptor each); all are closed when it is full.
const FD_DIRS_LIMIT: usize = 128;

/// Room for a descriptor link's target: `socket:[` and 20 digits and `]` fit; a longer target
/// is no socket.
const LINK_BUFFER: usize = 32;

/// Handles on `PROC/PID/fd` directories, by pid. One per reader thread (not shared).
#[derive(Debug, Default)]
pub(crate) struct FdDirs {
    dirs: HashMap<u32, fs::File>,
}

impl FdDirs {
    /// The inode of the socket descriptor `fd` of process `pid` is now, through the held handle
    /// (opened on first use); `None` when the descriptor is closed or no socket, the process
    /// is gone, or its directory cannot be opened.
    pub(crate) fn socket_at(&mut self, proc_root: &Path, pid: u32, fd: u32) -> Option<u64> {
        if !self.dirs.contains_key(&pid) {
            let dir = open_fd_dir(proc_root, pid)?;
            self.keep(pid, dir);
        }
        socket_in(self.dirs.get(&pid)?, fd)
    }

    /// Whether a handle on the directory of `pid` is held.
    pub(crate) fn holds(&self, pid: u32) -> bool {
        self.dirs.contains_key(&pid)
    }

    /// How many handles are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.dirs.len()
    }

    /// Holds `dir`, a handle on the directory of `pid` (replacing one held before, which may
    /// name a process that is gone), closing all held ones first when the map is full.
    pub(crate) fn keep(&mut self, pid: u32, dir: fs::File) {
        self.dirs.remove(&pid);
        if self.dirs.len() >= FD_DIRS_LIMIT {
            self.dirs.clear();
        }
        self.dirs.insert(pid, dir);
    }
}

/// The inode of the socket descriptor `fd` in the held directory `dir`.
pub(crate) fn socket_in(dir: &fs::File, fd: u32) -> Option<u64> {
    let mut name = [0u8; 11];
    let name = decimal_name(fd, &mut name)?;
    let mut target = [0u8; LINK_BUFFER];
    let n = crate::sys::read_link_in(dir, name, &mut target).ok()?;
    // A target that filled the buffer may have been cut short.
    socket_inode(target.get(..n).filter(|_| n < LINK_BUFFER)?)
}

/// The inode of a descriptor link target `socket:[N]`, or `None` for anything else.
pub(crate) fn socket_inode(target: &[u8]) -> Option<u64> {
    crate::procfs::parse_decimal_u64(target.strip_prefix(b"socket:[")?.strip_suffix(b"]")?)
}

/// An `O_PATH` handle on `PROC/PID/fd`; `None` if there is no such directory or it cannot be
/// opened.
pub(crate) fn open_fd_dir(proc_root: &Path, pid: u32) -> Option<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut digits = [0u8; 11];
    let digits = decimal_name(pid, &mut digits)?.to_str().ok()?;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(crate::sys::O_PATH | crate::sys::O_DIRECTORY)
        .open(proc_root.join(digits).join("fd"))
        .ok()
}

/// `n` in decimal, NUL-terminated, in `buf` (10 digits and the NUL fit any u32).
fn decimal_name(mut n: u32, buf: &mut [u8; 11]) -> Option<&CStr> {
    buf[10] = 0;
    let mut start = 10;
    loop {
        start -= 1;
        // The remainder of a division by 10 fits a u8.
        *buf.get_mut(start)? = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    CStr::from_bytes_with_nul(buf.get(start..)?).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::os::fd::AsRawFd;
    use std::process::{Command, Stdio};

    fn own_inode(fd: i32) -> u64 {
        let target = fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        socket_inode(target.as_os_str().as_encoded_bytes()).unwrap()
    }

    #[test]
    fn names_are_decimal() {
        let mut buf = [0u8; 11];
        assert_eq!(decimal_name(0, &mut buf).unwrap(), c"0");
        assert_eq!(decimal_name(7, &mut buf).unwrap(), c"7");
        assert_eq!(decimal_name(1234, &mut buf).unwrap(), c"1234");
        assert_eq!(decimal_name(u32::MAX, &mut buf).unwrap(), c"4294967295");
    }

    #[test]
    fn socket_targets_parse_and_others_do_not() {
        assert_eq!(socket_inode(b"socket:[12345]"), Some(12345));
        assert_eq!(socket_inode(b"socket:[]"), None);
        assert_eq!(socket_inode(b"socket:[12a]"), None);
        assert_eq!(socket_inode(b"socket:[99999999999999999999999]"), None);
        assert_eq!(socket_inode(b"pipe:[12345]"), None);
        assert_eq!(socket_inode(b"/dev/null"), None);
    }

    #[test]
    fn reads_own_socket_and_sees_it_closed() {
        let pid = std::process::id();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = u32::try_from(listener.as_raw_fd()).unwrap();
        let inode = own_inode(listener.as_raw_fd());
        let mut dirs = FdDirs::default();
        let root = Path::new("/proc");
        assert_eq!(dirs.socket_at(root, pid, fd), Some(inode));
        assert_eq!(dirs.len(), 1);
        // A descriptor that is no socket.
        let file = fs::File::open("/proc/self/stat").unwrap();
        let file_fd = u32::try_from(file.as_raw_fd()).unwrap();
        assert_eq!(dirs.socket_at(root, pid, file_fd), None);
        drop(file);
        drop(listener);
        // Closed: the same held handle now finds nothing there (or another descriptor that a
        // parallel test opened, which is not this socket).
        assert_ne!(dirs.socket_at(root, pid, fd), Some(inode));
        assert_eq!(dirs.len(), 1);
    }

    #[test]
    fn a_handle_reads_nothing_once_its_process_is_gone() {
        // A child holding a socket on descriptor 3 (its stdin is bound below as fd 0).
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = own_inode(listener.as_raw_fd());
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(listener)))
            .spawn()
            .unwrap();
        let pid = child.id();
        let root = Path::new("/proc");
        let mut dirs = FdDirs::default();
        assert_eq!(dirs.socket_at(root, pid, 0), Some(inode));
        child.kill().unwrap();
        child.wait().unwrap();
        // The held handle names the reaped process: nothing, even if the pid were reused.
        assert_eq!(dirs.socket_at(root, pid, 0), None);
        assert!(open_fd_dir(root, pid).is_none());
        assert_eq!(dirs.len(), 1);
    }

    #[test]
    fn handles_are_bounded() {
        let mut dirs = FdDirs::default();
        let own = std::process::id();
        for _ in 0..FD_DIRS_LIMIT + 5 {
            dirs.keep(own, open_fd_dir(Path::new("/proc"), own).unwrap());
        }
        assert_eq!(dirs.len(), 1);
        // Many pids: the map is cleared when full, never above its limit. A fake root with one
        // directory per pid.
        let root = fake_root("bound");
        for pid in 0..(FD_DIRS_LIMIT as u32 + 10) {
            fs::create_dir_all(root.0.join(pid.to_string()).join("fd")).unwrap();
        }
        for pid in 0..(FD_DIRS_LIMIT as u32 + 10) {
            assert_eq!(dirs.socket_at(&root.0, pid, 3), None);
            assert!((1..=FD_DIRS_LIMIT).contains(&dirs.len()));
        }
    }

    /// A fake root `ROOT/PID/fd/FD` → target, removed on drop.
    fn fake_root(name: &str) -> TempRoot {
        let root =
            std::env::temp_dir().join(format!("zenithfence-fd-dirs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        TempRoot(root)
    }

    fn link(root: &Path, pid: u32, fd: u32, target: &str) {
        let dir = root.join(pid.to_string()).join("fd");
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(target, dir.join(fd.to_string())).unwrap();
    }

    #[test]
    fn a_held_handle_keeps_reading_its_own_directory_after_the_pid_is_taken() {
        // Procfs ties a handle to the process it was opened for; a fake root shows the same
        // with a directory renamed away and another made under the old name.
        let root = fake_root("reuse");
        link(&root.0, 40, 3, "socket:[111]");
        let mut dirs = FdDirs::default();
        assert_eq!(dirs.socket_at(&root.0, 40, 3), Some(111));
        fs::rename(root.0.join("40"), root.0.join("40.gone")).unwrap();
        link(&root.0, 40, 3, "socket:[999]");
        assert_eq!(
            dirs.socket_at(&root.0, 40, 3),
            Some(111),
            "read through the held handle"
        );
        // A scan's fresh handle replaces it.
        dirs.keep(40, open_fd_dir(&root.0, 40).unwrap());
        assert_eq!(dirs.socket_at(&root.0, 40, 3), Some(999));
    }

    #[test]
    fn link_targets_are_read_or_refused() {
        let root = fake_root("targets");
        link(&root.0, 7, 1, "socket:[18446744073709551615]");
        link(&root.0, 7, 2, "socket:[18446744073709551616]");
        link(&root.0, 7, 3, &format!("socket:[1]{}", "x".repeat(40)));
        link(&root.0, 7, 4, "/dev/null");
        let mut dirs = FdDirs::default();
        assert_eq!(dirs.socket_at(&root.0, 7, 1), Some(u64::MAX));
        assert_eq!(dirs.socket_at(&root.0, 7, 2), None, "overflow");
        assert_eq!(dirs.socket_at(&root.0, 7, 3), None, "cut short");
        assert_eq!(dirs.socket_at(&root.0, 7, 4), None);
        assert_eq!(dirs.socket_at(&root.0, 7, 5), None, "no such descriptor");
        assert_eq!(dirs.socket_at(&root.0, 8, 1), None, "no such process");
    }

    /// A directory removed on drop, also when an assertion fails.
    struct TempRoot(std::path::PathBuf);

    impl Drop for TempRoot {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}
