//! The few C library calls std does not wrap, hand-declared (no crates registry here) and wrapped
//! in safe functions. Every `unsafe` block of the daemon lives in this file.

use std::ffi::{c_int, c_void};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `AF_NETLINK`.
pub(crate) const AF_NETLINK: c_int = 16;
/// `SOCK_RAW`.
const SOCK_RAW: c_int = 3;
/// `SOCK_CLOEXEC`: a child (such as `nft`) must not inherit our sockets.
const SOCK_CLOEXEC: c_int = 0o2_000_000;
/// `SOL_SOCKET`.
pub(crate) const SOL_SOCKET: c_int = 1;
/// `SOL_NETLINK`.
pub(crate) const SOL_NETLINK: c_int = 270;
/// `SO_PEERCRED`.
const SO_PEERCRED: c_int = 17;
/// `SO_RCVTIMEO` (64-bit `struct timeval`).
pub(crate) const SO_RCVTIMEO: c_int = 20;
/// `SO_RCVBUFFORCE`.
pub(crate) const SO_RCVBUFFORCE: c_int = 33;
/// `NETLINK_NO_ENOBUFS`.
pub(crate) const NETLINK_NO_ENOBUFS: c_int = 5;

#[repr(C)]
struct SockaddrNl {
    family: u16,
    pad: u16,
    pid: u32,
    groups: u32,
}

#[repr(C)]
#[derive(Default)]
struct Ucred {
    pid: i32,
    uid: u32,
    gid: u32,
}

/// `sigset_t` as glibc lays it out (1024 bits).
#[repr(C)]
struct SigSet([u64; 16]);

#[repr(C)]
struct SockaddrUn {
    family: u16,
    path: [u8; 108],
}

/// `AF_UNIX`.
const AF_UNIX: c_int = 1;
/// `SOCK_SEQPACKET`: a Unix socket that keeps write boundaries, so each command write arrives
/// as one message, exactly as on the Windows device.
const SOCK_SEQPACKET: c_int = 5;
/// `SHUT_WR`.
const SHUT_WR: c_int = 1;
/// `SHUT_RDWR`.
const SHUT_RDWR: c_int = 2;

extern "C" {
    fn listen(fd: c_int, backlog: c_int) -> c_int;
    fn accept4(fd: c_int, addr: *mut c_void, len: *mut u32, flags: c_int) -> c_int;
    fn connect(fd: c_int, addr: *const SockaddrUn, len: u32) -> c_int;
    fn shutdown(fd: c_int, how: c_int) -> c_int;
    fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    fn bind(fd: c_int, addr: *const c_void, len: u32) -> c_int;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: u32) -> c_int;
    fn getsockopt(fd: c_int, level: c_int, name: c_int, value: *mut c_void, len: *mut u32)
        -> c_int;
    fn geteuid() -> u32;
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, signal: c_int) -> c_int;
    fn pthread_sigmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwait(set: *const SigSet, signal: *mut c_int) -> c_int;
}

/// `SIGINT`.
pub(crate) const SIGINT: c_int = 2;
/// `SIGTERM`.
pub(crate) const SIGTERM: c_int = 15;
/// `SIGPIPE`: writing to a client that went away must be an error, not death.
const SIGPIPE: c_int = 13;
const SIG_BLOCK: c_int = 0;

/// Opens a netlink socket of `protocol`, bound with an automatic port id to `groups`.
pub(crate) fn netlink_socket(protocol: c_int, groups: u32) -> io::Result<File> {
    // SAFETY: socket() takes plain integers and returns a new fd or -1.
    let fd = unsafe { socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by socket() and is owned by nobody else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let addr = SockaddrNl {
        family: AF_NETLINK as u16,
        pad: 0,
        pid: 0,
        groups,
    };
    // SAFETY: addr is a valid sockaddr_nl that outlives the call; the length is its size.
    let rc = unsafe {
        bind(
            owned.as_raw_fd(),
            (&addr as *const SockaddrNl).cast(),
            size_of::<SockaddrNl>() as u32,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(File::from(owned))
}

/// Sets a socket option whose value is a plain byte image (an int, a timeval).
pub(crate) fn set_option(
    file: &impl AsRawFd,
    level: c_int,
    name: c_int,
    value: &[u8],
) -> io::Result<()> {
    // SAFETY: value points to value.len() readable bytes for the duration of the call.
    let rc = unsafe {
        setsockopt(
            file.as_raw_fd(),
            level,
            name,
            value.as_ptr().cast(),
            value.len() as u32,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets an integer socket option.
pub(crate) fn set_int_option(
    file: &impl AsRawFd,
    level: c_int,
    name: c_int,
    value: c_int,
) -> io::Result<()> {
    set_option(file, level, name, &value.to_ne_bytes())
}

/// Sets the receive timeout of a socket.
pub(crate) fn set_receive_timeout(
    file: &impl AsRawFd,
    timeout: std::time::Duration,
) -> io::Result<()> {
    let mut timeval = [0u8; 16];
    let (secs, usecs) = (timeout.as_secs() as i64, i64::from(timeout.subsec_micros()));
    timeval[..8].copy_from_slice(&secs.to_ne_bytes());
    timeval[8..].copy_from_slice(&usecs.to_ne_bytes());
    set_option(file, SOL_SOCKET, SO_RCVTIMEO, &timeval)
}

/// The credentials of the process at the other end of a Unix socket.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerCredentials {
    /// Process id.
    pub(crate) pid: i32,
    /// User id.
    pub(crate) uid: u32,
    /// Primary group id.
    pub(crate) gid: u32,
}

/// Reads `SO_PEERCRED` of a connected Unix socket.
pub(crate) fn peer_credentials(socket: &impl AsRawFd) -> io::Result<PeerCredentials> {
    let mut cred = Ucred::default();
    let mut len = size_of::<Ucred>() as u32;
    // SAFETY: cred is a writable ucred and len holds its size; the kernel writes at most len bytes.
    let rc = unsafe {
        getsockopt(
            socket.as_raw_fd(),
            SOL_SOCKET,
            SO_PEERCRED,
            (&mut cred as *mut Ucred).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(PeerCredentials {
        pid: cred.pid,
        uid: cred.uid,
        gid: cred.gid,
    })
}

/// The effective user id of this process.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid() cannot fail and has no arguments.
    unsafe { geteuid() }
}

fn signal_set(signals: &[c_int]) -> SigSet {
    let mut set = SigSet([0; 16]);
    // SAFETY: set is a valid, writable sigset_t.
    unsafe { sigemptyset(&mut set) };
    for &signal in signals {
        // SAFETY: set is a valid sigset_t and signal a valid signal number.
        unsafe { sigaddset(&mut set, signal) };
    }
    set
}

/// Blocks SIGINT, SIGTERM and SIGPIPE in this thread and every thread it starts afterwards, so
/// that [`wait_for_termination`] can take the first two synchronously and writes to a closed
/// client fail with EPIPE. Call it first thing in `main`.
pub(crate) fn block_termination_signals() -> io::Result<()> {
    let set = signal_set(&[SIGINT, SIGTERM, SIGPIPE]);
    // SAFETY: set is a valid sigset_t; a null old-set pointer is allowed.
    let rc = unsafe { pthread_sigmask(SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

/// Waits for SIGINT or SIGTERM and returns its number.
pub(crate) fn wait_for_termination() -> io::Result<c_int> {
    let set = signal_set(&[SIGINT, SIGTERM]);
    let mut signal: c_int = 0;
    // SAFETY: set is a valid sigset_t and signal a writable int.
    let rc = unsafe { sigwait(&set, &mut signal) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(signal)
}

fn unix_address(path: &std::path::Path) -> io::Result<SockaddrUn> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut address = SockaddrUn {
        family: AF_UNIX as u16,
        path: [0; 108],
    };
    // One byte stays NUL: the kernel reads the path as a C string.
    let slot = address
        .path
        .get_mut(..bytes.len())
        .filter(|_| bytes.len() < 108)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "socket path too long"))?;
    slot.copy_from_slice(bytes);
    Ok(address)
}

fn seqpacket_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket() takes plain integers and returns a new fd or -1.
    let fd = unsafe { socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by socket() and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Creates a listening SOCK_SEQPACKET Unix socket at `path` (which must not exist).
pub(crate) fn seqpacket_listen(path: &std::path::Path) -> io::Result<OwnedFd> {
    let address = unix_address(path)?;
    let fd = seqpacket_socket()?;
    // SAFETY: address is a valid sockaddr_un that outlives the call; the length is its size.
    let rc = unsafe {
        bind(
            fd.as_raw_fd(),
            (&address as *const SockaddrUn).cast(),
            size_of::<SockaddrUn>() as u32,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a bound socket; listen() takes plain integers.
    if unsafe { listen(fd.as_raw_fd(), 4) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// Accepts one connection on a listening socket.
pub(crate) fn seqpacket_accept(listener: &OwnedFd) -> io::Result<File> {
    // SAFETY: null address pointers are allowed when the peer address is not wanted.
    let fd = unsafe {
        accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            SOCK_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by accept4() and is owned by nobody else.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// Connects to a SOCK_SEQPACKET Unix socket.
pub(crate) fn seqpacket_connect(path: &std::path::Path) -> io::Result<File> {
    let address = unix_address(path)?;
    let fd = seqpacket_socket()?;
    // SAFETY: address is a valid sockaddr_un that outlives the call; the length is its size.
    let rc = unsafe { connect(fd.as_raw_fd(), &address, size_of::<SockaddrUn>() as u32) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(File::from(fd))
}

/// Ends the sending side of a socket: the peer reads end-of-stream.
pub(crate) fn shutdown_write(socket: &impl AsRawFd) -> io::Result<()> {
    shutdown_socket(socket, SHUT_WR)
}

/// Ends both directions of a socket, whatever other handles to it still exist.
pub(crate) fn shutdown_both(socket: &impl AsRawFd) -> io::Result<()> {
    shutdown_socket(socket, SHUT_RDWR)
}

fn shutdown_socket(socket: &impl AsRawFd, how: c_int) -> io::Result<()> {
    // SAFETY: shutdown() takes plain integers.
    if unsafe { shutdown(socket.as_raw_fd(), how) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
