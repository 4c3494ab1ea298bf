//! The few C library calls std does not wrap, hand-declared (no crates registry here) and wrapped
//! in safe functions. Every `unsafe` block of the daemon lives in this file or in `bpf_sys.rs`
//! (the `bpf(2)` calls).

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::errno::EINPROGRESS;

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
/// `SO_PASSCRED`: every message read carries its sender's credentials (`SCM_CREDENTIALS`).
const SO_PASSCRED: c_int = 16;
/// `SO_PEERCRED`.
const SO_PEERCRED: c_int = 17;
/// `SCM_RIGHTS`: file descriptors passed with a message.
const SCM_RIGHTS: c_int = 1;
/// `SCM_CREDENTIALS`.
const SCM_CREDENTIALS: c_int = 2;
/// `MSG_CMSG_CLOEXEC`: descriptors received are close-on-exec.
const MSG_CMSG_CLOEXEC: c_int = 0x4000_0000;
/// `MSG_TRUNC`: as a receive flag on a SOCK_SEQPACKET socket (Linux 3.4 and later), the call
/// returns the message's real length when it did not fit; the kernel also sets it in the
/// message header's flags then.
const MSG_TRUNC: c_int = 0x20;
/// `MSG_DONTWAIT`: fail with `EAGAIN` instead of waiting for room.
const MSG_DONTWAIT: c_int = 0x40;
/// `MSG_NOSIGNAL`: a peer that went away is an `EPIPE` error, never a signal.
const MSG_NOSIGNAL: c_int = 0x4000;
/// `LOCK_EX`.
const LOCK_EX: c_int = 2;
/// `LOCK_NB`.
const LOCK_NB: c_int = 4;
/// `SO_RCVTIMEO` (64-bit `struct timeval`).
pub(crate) const SO_RCVTIMEO: c_int = 20;
/// `SO_SNDTIMEO` (64-bit `struct timeval`).
const SO_SNDTIMEO: c_int = 21;
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
struct IoVec {
    base: *mut c_void,
    len: usize,
}

/// `struct msghdr` as glibc lays it out (the padding after `namelen` comes from `repr(C)`).
#[repr(C)]
struct MsgHdr {
    name: *mut c_void,
    namelen: u32,
    iov: *mut IoVec,
    iovlen: usize,
    control: *mut c_void,
    controllen: usize,
    flags: c_int,
}

/// `struct cmsghdr`.
#[repr(C)]
struct CmsgHdr {
    len: usize,
    level: c_int,
    kind: c_int,
}

/// Room for exactly one control message with a `struct ucred` (`CMSG_SPACE(12)`), aligned like
/// a `cmsghdr`. The kernel puts the credentials first; descriptors a client might pass along do
/// not fit, so the kernel closes them instead of installing them in our table.
#[repr(C, align(8))]
struct CredentialsSpace([u8; 32]);

/// `struct pollfd`.
#[repr(C)]
struct PollFd {
    fd: c_int,
    events: i16,
    revents: i16,
}

/// `POLLIN`: there is data to read.
const POLLIN: i16 = 1;

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
    fn readlinkat(dirfd: c_int, path: *const c_char, buf: *mut c_char, size: usize) -> isize;
    fn listen(fd: c_int, backlog: c_int) -> c_int;
    fn accept4(fd: c_int, addr: *mut c_void, len: *mut u32, flags: c_int) -> c_int;
    fn connect(fd: c_int, addr: *const SockaddrUn, len: u32) -> c_int;
    fn shutdown(fd: c_int, how: c_int) -> c_int;
    fn recvmsg(fd: c_int, msg: *mut MsgHdr, flags: c_int) -> isize;
    fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize;
    fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize;
    fn flock(fd: c_int, operation: c_int) -> c_int;
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
    fn poll(fds: *mut PollFd, nfds: c_ulong, timeout: c_int) -> c_int;
    fn syscall(number: c_long, ...) -> c_long;
    fn clock_gettime(clock: c_int, now: *mut Timespec) -> c_int;
    fn openat(dirfd: c_int, path: *const c_char, flags: c_int, ...) -> c_int;
    #[cfg(test)]
    fn unshare(flags: c_int) -> c_int;
}

/// Moves the calling thread (only it: namespaces are per thread) into a new network namespace,
/// which goes when the thread ends; the programs it starts are in it too. Tests use it to change
/// netfilter state without touching the host's.
#[cfg(test)]
pub(crate) fn unshare_network_namespace() -> io::Result<()> {
    /// `CLONE_NEWNET`.
    const CLONE_NEWNET: c_int = 0x4000_0000;
    unshare_for_thread(CLONE_NEWNET)
}

/// Moves the calling thread into a new cgroup namespace (rooted at its cgroup), for tests of
/// what the daemon does inside one.
#[cfg(test)]
pub(crate) fn unshare_cgroup_namespace() -> io::Result<()> {
    /// `CLONE_NEWCGROUP`.
    const CLONE_NEWCGROUP: c_int = 0x0200_0000;
    unshare_for_thread(CLONE_NEWCGROUP)
}

/// `unshare(2)` with the namespace flag `flag`, for the calling thread.
#[cfg(test)]
fn unshare_for_thread(flag: c_int) -> io::Result<()> {
    // SAFETY: unshare takes a flag word and changes only this thread's namespaces.
    if unsafe { unshare(flag) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `SIGINT`.
pub(crate) const SIGINT: c_int = 2;
/// `SIGTERM`.
pub(crate) const SIGTERM: c_int = 15;
/// `SIGPIPE`: writing to a client that went away must be an error, not death.
const SIGPIPE: c_int = 13;
const SIG_BLOCK: c_int = 0;

/// Runs a system call again while it fails with `EINTR`. A call is interrupted not only by a
/// signal handler (the daemon installs none) but also when the process is stopped and
/// continued (SIGSTOP or a debugger, then SIGCONT): Linux then fails calls that wait with a
/// timeout (`SO_RCVTIMEO` receives and accepts, `sigtimedwait`) with `EINTR`. Nothing went
/// wrong; the call is simply made again.
pub(crate) fn retry_interrupted<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            done => return done,
        }
    }
}

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
    bind_to(&owned, &addr)?;
    Ok(File::from(owned))
}

/// Binds `socket` to `address`, one of the `sockaddr_*` structs above (`#[repr(C)]`, of the
/// socket's family: the kernel checks the family and the length).
fn bind_to<A>(socket: &impl AsRawFd, address: &A) -> io::Result<()> {
    // SAFETY: address is a live, initialised value of the size passed, which the call only
    // reads; a struct of another family than the socket's is refused by the kernel (EINVAL).
    let rc = unsafe {
        bind(
            socket.as_raw_fd(),
            (address as *const A).cast(),
            size_of::<A>() as u32,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
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

/// A `struct timeval` as bytes.
fn timeval(timeout: std::time::Duration) -> [u8; 16] {
    let mut timeval = [0u8; 16];
    let (secs, usecs) = (timeout.as_secs() as i64, i64::from(timeout.subsec_micros()));
    timeval[..8].copy_from_slice(&secs.to_ne_bytes());
    timeval[8..].copy_from_slice(&usecs.to_ne_bytes());
    timeval
}

/// Sets the receive timeout of a socket.
pub(crate) fn set_receive_timeout(
    file: &impl AsRawFd,
    timeout: std::time::Duration,
) -> io::Result<()> {
    set_option(file, SOL_SOCKET, SO_RCVTIMEO, &timeval(timeout))
}

/// Sets the send timeout of a socket.
pub(crate) fn set_send_timeout(
    file: &impl AsRawFd,
    timeout: std::time::Duration,
) -> io::Result<()> {
    set_option(file, SOL_SOCKET, SO_SNDTIMEO, &timeval(timeout))
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

/// Option values `get_option` may read: plain integers and structs of them, valid whatever bytes
/// the kernel writes.
trait PlainOption: Default {}
impl PlainOption for Ucred {}
impl PlainOption for u64 {}

/// Reads a `SOL_SOCKET` option of `socket` into a `T`.
fn get_option<T: PlainOption>(socket: &impl AsRawFd, name: c_int) -> io::Result<T> {
    let mut value = T::default();
    let mut len = size_of::<T>() as u32;
    // SAFETY: value is a writable T and len holds its size; the kernel writes at most len bytes,
    // and any bytes are a valid T (PlainOption).
    let rc = unsafe {
        getsockopt(
            socket.as_raw_fd(),
            SOL_SOCKET,
            name,
            (&mut value as *mut T).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}

/// Reads `SO_PEERCRED` of a connected Unix socket.
pub(crate) fn peer_credentials(socket: &impl AsRawFd) -> io::Result<PeerCredentials> {
    let cred: Ucred = get_option(socket, SO_PEERCRED)?;
    Ok(PeerCredentials {
        pid: cred.pid,
        uid: cred.uid,
        gid: cred.gid,
    })
}

/// `SO_NETNS_COOKIE` (Linux 5.14).
const SO_NETNS_COOKIE: c_int = 71;

/// The cookie of the network namespace `socket` belongs to: unique for the life of the system,
/// unlike the namespace's inode number, which a later namespace may get again.
pub(crate) fn netns_cookie(socket: &impl AsRawFd) -> io::Result<u64> {
    get_option(socket, SO_NETNS_COOKIE)
}

/// `connect(2)`'s system call number (the declared `connect` takes a Unix address).
#[cfg(target_arch = "x86_64")]
const SYS_CONNECT: c_long = 42;
#[cfg(target_arch = "aarch64")]
const SYS_CONNECT: c_long = 203;
/// `SOCK_STREAM`, `SOCK_NONBLOCK`, `AF_INET`.
const SOCK_STREAM: c_int = 1;
const SOCK_NONBLOCK: c_int = 0o4_000;
const AF_INET_FAMILY: c_int = 2;

/// `struct sockaddr_in`.
#[repr(C)]
struct SockaddrIn {
    family: u16,
    port_be: u16,
    address: [u8; 4],
    zero: [u8; 8],
}

/// Starts a TCP connection from `from` (port 0: any) to `to` without waiting for it: the SYN
/// is built (and the kernel's `sock_ops` programs run) before this returns, whether or not an
/// answer ever comes (a service's `IPAddressDeny=` drops it). The stream is non-blocking.
pub(crate) fn tcp_connect_started(
    from: std::net::SocketAddrV4,
    to: std::net::SocketAddrV4,
) -> io::Result<std::net::TcpStream> {
    // SAFETY: socket() takes plain integers.
    let fd = unsafe {
        socket(
            AF_INET_FAMILY,
            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this new descriptor to us; nothing else owns it.
    let stream = std::net::TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let sockaddr = |at: std::net::SocketAddrV4| SockaddrIn {
        family: AF_INET_FAMILY as u16,
        port_be: at.port().to_be(),
        address: at.ip().octets(),
        zero: [0; 8],
    };
    bind_to(&stream, &sockaddr(from))?;
    let address = sockaddr(to);
    // SAFETY: address is a live sockaddr_in of the size passed, only read by the call.
    let rc = unsafe {
        syscall(
            SYS_CONNECT,
            stream.as_raw_fd() as c_long,
            &address as *const SockaddrIn,
            size_of::<SockaddrIn>() as c_long,
        )
    };
    if rc < 0 {
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(EINPROGRESS) {
            return Err(error);
        }
    }
    Ok(stream)
}

/// `SO_COOKIE` (Linux 4.13).
const SO_COOKIE: c_int = 57;

/// The kernel's cookie of `socket`, the one sock_diag reports and BPF programs see.
pub(crate) fn socket_cookie(socket: &impl AsRawFd) -> io::Result<u64> {
    get_option(socket, SO_COOKIE)
}

/// `fsopen(2)`, `fsconfig(2)`, `fsmount(2)`: the same numbers on every architecture (Linux 5.2).
const SYS_FSOPEN: c_long = 430;
const SYS_FSCONFIG: c_long = 431;
const SYS_FSMOUNT: c_long = 432;

/// `CLOCK_MONOTONIC`, the clock of `bpf_ktime_get_ns`.
const CLOCK_MONOTONIC: c_int = 1;
/// `FSOPEN_CLOEXEC`, `FSMOUNT_CLOEXEC`, `FSCONFIG_CMD_CREATE`.
const FSOPEN_CLOEXEC: c_long = 1;
const FSMOUNT_CLOEXEC: c_long = 1;
const FSCONFIG_CMD_CREATE: c_long = 6;
/// `O_RDONLY | O_DIRECTORY | O_CLOEXEC`.
const O_DIRECTORY_CLOEXEC: c_int = O_DIRECTORY | 0o2_000_000;

/// A descriptor a system call returned (`rc`), owned from here on.
pub(crate) fn owned_descriptor(rc: c_long) -> io::Result<OwnedFd> {
    let fd = RawFd::try_from(rc).map_err(|_| io::Error::other("no descriptor returned"))?;
    // SAFETY: the kernel just returned this new descriptor to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `struct timespec`.
#[repr(C)]
#[derive(Default)]
struct Timespec {
    seconds: i64,
    nanoseconds: i64,
}

/// `CLOCK_MONOTONIC` in nanoseconds, the clock BPF programs read with `bpf_ktime_get_ns` (as
/// long as no time namespace shifts ours: `connect_owners.rs` checks that they agree).
pub(crate) fn monotonic_ns() -> Option<u64> {
    let mut now = Timespec::default();
    // SAFETY: now is a writable struct timespec; clock_gettime writes only it.
    let rc = unsafe { clock_gettime(CLOCK_MONOTONIC, &mut now) };
    if rc < 0 {
        return None;
    }
    let seconds = u64::try_from(now.seconds).ok()?;
    let nanoseconds = u64::try_from(now.nanoseconds).ok()?;
    Some(
        seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(nanoseconds),
    )
}

/// The root directory of a cgroup v2 hierarchy mounted nowhere (`fsopen`, `fsmount`: a mount
/// without a mount point, so nothing is left behind or seen by other mount namespaces), opened
/// for reading. Needs `CAP_SYS_ADMIN`.
pub(crate) fn open_detached_cgroup2() -> io::Result<File> {
    let check = |rc: c_long| {
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(rc)
        }
    };
    let kind = c"cgroup2";
    // SAFETY: kind is NUL-terminated and lives for the call.
    let context = owned_descriptor(check(unsafe {
        syscall(SYS_FSOPEN, kind.as_ptr(), FSOPEN_CLOEXEC)
    })?)?;
    // SAFETY: a command without key, value or auxiliary argument.
    check(unsafe {
        syscall(
            SYS_FSCONFIG,
            context.as_raw_fd() as c_long,
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<c_char>(),
            std::ptr::null::<c_void>(),
            0 as c_long,
        )
    })?;
    // SAFETY: only integers are passed.
    let mount = owned_descriptor(check(unsafe {
        syscall(
            SYS_FSMOUNT,
            context.as_raw_fd() as c_long,
            FSMOUNT_CLOEXEC,
            0 as c_long,
        )
    })?)?;
    // The mount's descriptor is an O_PATH one, which BPF does not take: open its root for reading.
    let dot = c".";
    // SAFETY: dot is NUL-terminated and lives for the call; mount is an open descriptor.
    let fd = unsafe { openat(mount.as_raw_fd(), dot.as_ptr(), O_DIRECTORY_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(File::from(owned_descriptor(c_long::from(fd))?))
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
    retry_interrupted(|| {
        let mut signal: c_int = 0;
        // SAFETY: set is a valid sigset_t and signal a writable int.
        let rc = unsafe { sigwait(&set, &mut signal) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(signal)
    })
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
    bind_to(&fd, &address)?;
    // SAFETY: fd is a bound socket; listen() takes plain integers.
    if unsafe { listen(fd.as_raw_fd(), 4) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// Accepts one connection on a listening socket.
pub(crate) fn seqpacket_accept(listener: &OwnedFd) -> io::Result<File> {
    let fd = retry_interrupted(|| {
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
        Ok(fd)
    })?;
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

/// Lets every message read from sockets accepted on `listener` carry its sender's credentials,
/// which is how [`seqpacket_recv`] tells an empty message from the end of the stream.
pub(crate) fn pass_credentials(listener: &impl AsRawFd) -> io::Result<()> {
    set_int_option(listener, SOL_SOCKET, SO_PASSCRED, 1)
}

/// What [`seqpacket_recv`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// A message of this many bytes (possibly 0, an empty write).
    Message(usize),
    /// A message longer than the buffer, of this many bytes: only its start was read, the rest
    /// is gone.
    Oversized(usize),
    /// The peer closed or shut down its side: no message will come.
    End,
}

/// Sends `bytes` as one message on a SOCK_SEQPACKET socket if there is room for it now; fails
/// with `WouldBlock` if not (a message is sent whole or not at all), never waits.
pub(crate) fn seqpacket_send_now(socket: &impl AsRawFd, bytes: &[u8]) -> io::Result<usize> {
    retry_interrupted(|| {
        // SAFETY: the pointer and length describe `bytes`, alive and unchanged during the call.
        let n = unsafe {
            send(
                socket.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                MSG_DONTWAIT | MSG_NOSIGNAL,
            )
        };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    })
}

/// `O_PATH`: a handle on a file that names it without opening it for reading.
pub(crate) const O_PATH: c_int = 0o10_000_000;
/// `O_NOFOLLOW`: with `O_PATH`, the handle names the symbolic link itself. Its value, like
/// `O_DIRECTORY`'s, differs between architectures.
#[cfg(target_arch = "x86_64")]
pub(crate) const O_NOFOLLOW: c_int = 0o400_000;
#[cfg(target_arch = "aarch64")]
pub(crate) const O_NOFOLLOW: c_int = 0o100_000;
/// `O_DIRECTORY`: the open fails unless the path is a directory.
#[cfg(target_arch = "x86_64")]
pub(crate) const O_DIRECTORY: c_int = 0o200_000;
#[cfg(target_arch = "aarch64")]
pub(crate) const O_DIRECTORY: c_int = 0o40_000;

/// The target of the symbolic link `link` names (a handle opened with [`O_PATH`] |
/// [`O_NOFOLLOW`]), into `buf`; its length. On procfs a process's link fails once the process
/// the handle was opened for is gone, even when its pid is in use again.
pub(crate) fn read_link_of(link: &impl AsRawFd, buf: &mut [u8]) -> io::Result<usize> {
    // An empty name: readlinkat reads the link the descriptor itself names.
    read_link_in(link, c"", buf)
}

/// The target of the symbolic link `name` in the directory `dir` names (a handle, which may be
/// opened with [`O_PATH`]), into `buf`; its length. One lookup of one name, where a path would
/// walk every component again.
pub(crate) fn read_link_in(
    dir: &impl AsRawFd,
    name: &std::ffi::CStr,
    buf: &mut [u8],
) -> io::Result<usize> {
    // SAFETY: `name` is NUL-terminated and lives through the call; the pointer and length
    // describe `buf`, alive and exclusively borrowed during the call, and the kernel writes at
    // most `buf.len()` bytes into it.
    let n = unsafe {
        readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// Reads one datagram of any socket if one is waiting, never waiting for one: `WouldBlock`
/// when none is. Unlike `O_NONBLOCK` it leaves the socket's mode (and receive timeout) alone
/// for its blocking reads.
pub(crate) fn recv_now(socket: &impl AsRawFd, buf: &mut [u8]) -> io::Result<usize> {
    retry_interrupted(|| {
        // SAFETY: the pointer and length describe `buf`, alive and exclusively borrowed during
        // the call; the kernel writes at most `buf.len()` bytes into it.
        let n = unsafe {
            recv(
                socket.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                MSG_DONTWAIT,
            )
        };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    })
}

/// Reads one message from a SOCK_SEQPACKET socket whose listener had [`pass_credentials`].
/// Both an empty message and the end of the stream read 0 bytes; only a message carries
/// credentials (checked on Linux 6.18), so the control data tells them apart.
pub(crate) fn seqpacket_recv(socket: &impl AsRawFd, buf: &mut [u8]) -> io::Result<Received> {
    let mut iov = IoVec {
        base: buf.as_mut_ptr().cast(),
        len: buf.len(),
    };
    let mut control = CredentialsSpace([0; 32]);
    let mut msg = MsgHdr {
        name: std::ptr::null_mut(),
        namelen: 0,
        iov: &mut iov,
        iovlen: 1,
        control: control.0.as_mut_ptr().cast(),
        controllen: control.0.len(),
        flags: 0,
    };
    let n = retry_interrupted(|| {
        // SAFETY: msg points to one iovec over buf and to the control buffer, with their true
        // lengths, all alive and exclusively borrowed for the duration of the call.
        let n = unsafe { recvmsg(socket.as_raw_fd(), &mut msg, MSG_CMSG_CLOEXEC | MSG_TRUNC) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n)
    })?;
    let control = control.0.get(..msg.controllen).unwrap_or(&control.0);
    let word = size_of::<usize>();
    let len = ne_bytes(control, 0).map_or(0, usize::from_ne_bytes);
    let level = ne_bytes(control, word).map(c_int::from_ne_bytes);
    let kind = ne_bytes(control, word + 4).map(c_int::from_ne_bytes);
    if level == Some(SOL_SOCKET) && kind == Some(SCM_RIGHTS) {
        // Only without credentials could descriptors land here: close them, we want none.
        let data = control.get(size_of::<CmsgHdr>()..len).unwrap_or(&[]);
        for fd in data.chunks_exact(4).filter_map(|b| ne_bytes(b, 0)) {
            // SAFETY: the kernel just installed this descriptor for us; nothing else owns it.
            drop(unsafe { OwnedFd::from_raw_fd(c_int::from_ne_bytes(fd)) });
        }
    }
    let credentials = level == Some(SOL_SOCKET) && kind == Some(SCM_CREDENTIALS);
    let n = n as usize;
    if n > buf.len() || msg.flags & MSG_TRUNC != 0 {
        return Ok(Received::Oversized(n.max(buf.len() + 1)));
    }
    if n == 0 && !credentials {
        return Ok(Received::End);
    }
    Ok(Received::Message(n))
}

/// The `N` bytes at `at` in `bytes`, if they are there.
fn ne_bytes<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Waits at most `timeout` until one of `fds` has data to read, or an error or hang-up to
/// report (its read then returns it); says which did (none: the time passed). A negative fd is
/// left out (poll(2) ignores it). Linux looks at the fds in the array's order, in every pass:
/// the packet thread relies on that (`Daemon::run_packets`). An interrupted wait (a stop and
/// continue of the process) is an `Interrupted` error, not retried: the caller's loop waits
/// again.
pub(crate) fn wait_readable<const N: usize>(
    fds: [RawFd; N],
    timeout: std::time::Duration,
) -> io::Result<[bool; N]> {
    let mut polled = fds.map(|fd| PollFd {
        fd,
        events: POLLIN,
        revents: 0,
    });
    // Rounded up: a wait of 0.5 ms must not become a busy loop of zero-time polls.
    let millis = c_int::try_from(timeout.as_nanos().div_ceil(1_000_000)).unwrap_or(c_int::MAX);
    // SAFETY: `polled` is an array of N pollfd structs, alive and exclusively borrowed during
    // the call; the kernel writes only their `revents`.
    let rc = unsafe { poll(polled.as_mut_ptr(), N as c_ulong, millis) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(polled.map(|p| p.revents != 0))
}

/// Takes an exclusive `flock` on `file` without waiting; `Ok(false)` when another open file
/// description holds it. The lock goes with the last descriptor of this one (at exit, even by
/// SIGKILL).
pub(crate) fn try_lock_exclusive(file: &impl AsRawFd) -> io::Result<bool> {
    // SAFETY: flock() takes plain integers.
    if unsafe { flock(file.as_raw_fd(), LOCK_EX | LOCK_NB) } == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    if error.kind() == io::ErrorKind::WouldBlock {
        return Ok(false);
    }
    Err(error)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A connected SOCK_SEQPACKET pair through a listener with credentials passing.
    fn pair(dir: &std::path::Path) -> (File, File) {
        let path = dir.join("pair.sock");
        let listener = seqpacket_listen(&path).unwrap();
        pass_credentials(&listener).unwrap();
        let client = seqpacket_connect(&path).unwrap();
        let server = seqpacket_accept(&listener).unwrap();
        (client, server)
    }

    #[test]
    fn a_send_now_fails_instead_of_waiting_when_the_peer_does_not_read() {
        let dir = std::env::temp_dir().join(format!("zf-sys-now-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (client, server) = pair(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let message = [7u8; 4096];
        // The peer reads nothing: the socket fills, and the send says so rather than blocking
        // (a blocking send would hang this test).
        let mut sent = 0;
        let full = loop {
            match seqpacket_send_now(&server, &message) {
                Ok(n) => {
                    assert_eq!(n, message.len());
                    sent += 1;
                }
                Err(e) => break e,
            }
            assert!(sent < 100_000, "the socket never filled");
        };
        assert_eq!(full.kind(), io::ErrorKind::WouldBlock);
        assert!(sent > 0);
        // What was sent arrives whole, one message per send.
        let mut buf = [0u8; 8192];
        assert_eq!(
            std::io::Read::read(&mut &client, &mut buf).unwrap(),
            message.len()
        );
        // A peer that left is an error (the reset of a connection with unread data), not "no
        // room": the writer thread is then the one to find the session over.
        drop(client);
        let gone = seqpacket_send_now(&server, &message).unwrap_err();
        assert_ne!(gone.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn an_empty_message_is_not_the_end_of_the_stream() {
        let dir = std::env::temp_dir().join(format!("zf-sys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (mut client, server) = pair(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(client.write(&[]).unwrap(), 0);
        client.write_all(&[5]).unwrap();
        client.write_all(&[1; 20]).unwrap();
        assert_eq!(
            seqpacket_recv(&server, &mut buf).unwrap(),
            Received::Message(0)
        );
        assert_eq!(
            seqpacket_recv(&server, &mut buf).unwrap(),
            Received::Message(1)
        );
        assert_eq!(buf[0], 5);
        assert_eq!(
            seqpacket_recv(&server, &mut buf).unwrap(),
            Received::Oversized(20),
            "longer than the buffer: its real length, never a message cut to the buffer"
        );
        client.write_all(&[2; 8]).unwrap();
        assert_eq!(
            seqpacket_recv(&server, &mut buf).unwrap(),
            Received::Message(8),
            "exactly the buffer's size fits"
        );
        assert_eq!(client.write(&[]).unwrap(), 0);
        drop(client);
        assert_eq!(
            seqpacket_recv(&server, &mut buf).unwrap(),
            Received::Message(0),
            "an empty message sent before the close is still read"
        );
        assert_eq!(seqpacket_recv(&server, &mut buf).unwrap(), Received::End);
        assert_eq!(seqpacket_recv(&server, &mut buf).unwrap(), Received::End);
    }

    #[test]
    fn an_interrupted_call_is_made_again_and_other_errors_are_returned() {
        let mut calls = 0;
        let interrupted_twice = retry_interrupted(|| {
            calls += 1;
            if calls < 3 {
                Err(io::Error::from_raw_os_error(4)) // EINTR
            } else {
                Ok(calls)
            }
        });
        assert_eq!(interrupted_twice.unwrap(), 3);
        let failed: io::Result<()> = retry_interrupted(|| Err(io::Error::from_raw_os_error(11)));
        assert_eq!(failed.unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn waiting_for_data_says_which_socket_has_some_and_ends_at_the_timeout() {
        let (a, mut a_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let (b, mut b_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let fds = [a.as_raw_fd(), -1, b.as_raw_fd()];
        let short = std::time::Duration::from_millis(30);
        let started = std::time::Instant::now();
        assert_eq!(wait_readable(fds, short).unwrap(), [false; 3]);
        assert!(started.elapsed() >= short, "waited the whole timeout");
        b_peer.write_all(b"x").unwrap();
        let long = std::time::Duration::from_secs(10);
        let started = std::time::Instant::now();
        assert_eq!(wait_readable(fds, long).unwrap(), [false, false, true]);
        assert!(started.elapsed() < long / 2, "woke for the data");
        a_peer.write_all(b"y").unwrap();
        assert_eq!(wait_readable(fds, long).unwrap(), [true, false, true]);
        // A hang-up is reported too: the read then says so.
        drop(b_peer);
        let mut byte = [0u8; 1];
        (&b).read_exact(&mut byte).unwrap();
        assert_eq!(wait_readable([b.as_raw_fd()], long).unwrap(), [true]);
    }

    #[test]
    fn a_half_close_ends_the_stream() {
        let dir = std::env::temp_dir().join(format!("zf-sys-half-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (client, server) = pair(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        shutdown_write(&client).unwrap();
        assert_eq!(
            seqpacket_recv(&server, &mut [0u8; 4]).unwrap(),
            Received::End
        );
    }
}
