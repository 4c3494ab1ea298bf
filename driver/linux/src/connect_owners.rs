//! Which process connected each socket, as the kernel saw it. Small BPF programs on the cgroup
//! hooks of `connect(2)` (TCP and UDP, IPv4 and IPv6) record the calling process's id and the
//! time under the socket's cookie, in a map the daemon reads when a new flow's first packet is
//! held (sock_diag gives the cookie with the inode).
//!
//! One map lookup then replaces the `/proc` search of `procfs.rs`: a `readlink` of the socket's
//! descriptor per connection at best, and whole descriptor lists when a program with many threads
//! and descriptors opens sockets faster than one probe finds them (benchmarks: README, "The
//! kernel's record of each connect"). It also names the process that connected when several hold
//! the socket, or when it handed the socket on before the packet left.
//!
//! What the record proves, and what it does not: the process with that id made the call at that
//! time. It may have run another program then (an exec keeps the pid), so `procfs.rs` trusts it
//! without a search only for a process whose details were read, with its `exe` handle held,
//! before that time; otherwise the socket must be found in that process's own descriptors.
//!
//! Optional: without cgroup v2, BPF, the rights to load programs, or with the daemon in a pid
//! namespace of its own (the ids the kernel records are those of the first one), attribution reads
//! `/proc` as before; [`ConnectOwners::attach`] checks all of it with a connect of its own.
//! The programs never refuse a connect (they always return 1) and are held by link descriptors:
//! the kernel detaches them when the daemon ends, however it ends.
//!
//! Not the hooks of UDP sends to an address (`sendto` on an unconnected socket): every such
//! send of every program on the machine would pay for them, about 0.6 µs or 15 % of a loopback
//! send here (`bench hooks` with them attached, session 21). Flows of unconnected UDP sockets
//! are attributed through `/proc` as without the record, and so is any socket the record may
//! no longer describe: a connect with `AF_UNSPEC` disconnects without passing the hook, so
//! `attribute.rs` uses a UDP record only while sock_diag reports the socket connected.

use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use crate::sys;

/// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`.
const PROG_TYPE_CGROUP_SOCK_ADDR: u32 = 18;
/// `BPF_CGROUP_INET4_CONNECT`, `BPF_CGROUP_INET6_CONNECT`.
const ATTACH_TYPES: [u32; 2] = [10, 11];
/// Entries kept: a lookup comes within milliseconds of the connect it reads, so this only has to
/// outlast a burst of connects (an entry is about 90 bytes of kernel memory, allocated up front).
/// The oldest go first, so sockets that never reach the queue cannot fill it.
const MAP_ENTRIES: u32 = 32 * 1024;
/// Room for the verifier's explanation when a program is refused.
const LOG_BYTES: usize = 4096;

/// What the kernel recorded for a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConnectRecord {
    /// The process that connected it.
    pub(crate) pid: u32,
    /// When, in `CLOCK_MONOTONIC` nanoseconds (`sys::monotonic_ns`).
    pub(crate) at_ns: u64,
}

/// The attached programs and their map.
pub(crate) struct ConnectOwners {
    map: sys::BpfRecordMap,
    /// Dropping these detaches the programs; never read otherwise.
    _links: Vec<OwnedFd>,
}

impl ConnectOwners {
    /// Loads and attaches the programs at the root of the cgroup v2 hierarchy, then checks with
    /// a UDP connect of its own (no packet is sent) that the hook records this process's id as
    /// `/proc` names it. `Err` says what is missing.
    pub(crate) fn attach() -> io::Result<ConnectOwners> {
        let cgroup = open_cgroup2_root()?;
        let map = sys::bpf_record_map_create(MAP_ENTRIES)
            .map_err(|e| context("creating the BPF map", e))?;
        let program = record_caller_program(std::os::fd::AsRawFd::as_raw_fd(&map));
        let mut log = vec![0u8; LOG_BYTES];
        let mut links = Vec::with_capacity(ATTACH_TYPES.len());
        for attach_type in ATTACH_TYPES {
            // On an error the links made so far are dropped with `links`: nothing stays attached.
            let loaded =
                sys::bpf_prog_load(PROG_TYPE_CGROUP_SOCK_ADDR, attach_type, &program, &mut log)
                    .map_err(|e| context("loading the BPF program", e))?;
            let link = sys::bpf_link_create(&loaded, &cgroup, attach_type)
                .map_err(|e| context("attaching to the cgroup v2 root", e))?;
            links.push(link);
        }
        let owners = ConnectOwners { map, _links: links };
        owners.check_own_connect()?;
        Ok(owners)
    }

    /// What the programs recorded for the socket with this cookie, if they saw it.
    pub(crate) fn record_of(&self, cookie: u64) -> Option<ConnectRecord> {
        let [pid, at_ns, of_cookie] = sys::bpf_record_map_lookup(&self.map, cookie).ok()??;
        // The record names its socket too: an LRU map may reuse an entry for another key while
        // a lookup copies it out, and such a copy must not pass for this socket's.
        if of_cookie != cookie {
            return None;
        }
        let pid = u32::try_from(pid).ok().filter(|&pid| pid != 0)?;
        Some(ConnectRecord { pid, at_ns })
    }

    /// A UDP connect to the discard port on loopback sends nothing, but passes the hook: the
    /// map must then name this process, at a time between our clock's readings before and
    /// after. Not so in a pid namespace of our own, or when this process's sockets do not belong
    /// to the cgroup v2 hierarchy (a cgroup v1 network controller in use), or in a time
    /// namespace that shifts our clock from the kernel's (the times could not be compared).
    fn check_own_connect(&self) -> io::Result<()> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
            .map_err(|e| context("a UDP socket for the check", e))?;
        // The hook runs before the route lookup: the connect is recorded even where it then
        // fails (loopback down in a new network namespace).
        let before = sys::monotonic_ns();
        let _ = socket.connect(SocketAddr::from((Ipv4Addr::LOCALHOST, 9)));
        let after = sys::monotonic_ns();
        let cookie = sys::socket_cookie(&socket).map_err(|e| context("SO_COOKIE", e))?;
        let own = std::process::id();
        match self.record_of(cookie) {
            Some(record) if record.pid == own => match (before, after) {
                (Some(before), Some(after)) if (before..=after).contains(&record.at_ns) => Ok(()),
                _ => Err(io::Error::other(format!(
                    "the kernel's clock ({} ns) is not this process's ({before:?} to {after:?}                      ns; a time namespace?)",
                    record.at_ns
                ))),
            },
            Some(record) => Err(io::Error::other(format!(
                "the kernel recorded process {} for a connect of process {own} (a pid \
                 namespace of its own?)",
                record.pid
            ))),
            None => Err(io::Error::other(
                "the hook did not see a connect of this process (its sockets are outside the \
                 cgroup v2 hierarchy?)",
            )),
        }
    }
}

fn context(what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// The root of the cgroup v2 hierarchy, opened: where it is mounted (`/sys/fs/cgroup` on
/// current systems, `/sys/fs/cgroup/unified` on hybrid ones), else a mount of it made without a
/// mount point (`ip netns exec` runs its command with a /sys of its own, without the cgroup
/// mounts; that needs CAP_SYS_ADMIN, which the systemd unit does not grant and does not need).
fn open_cgroup2_root() -> io::Result<File> {
    let mounts = fs::read_to_string("/proc/self/mountinfo")?;
    if let Some(root) = mounts.lines().find_map(cgroup2_mount_point) {
        return File::open(&root).map_err(|e| context(&root.display().to_string(), e));
    }
    sys::open_detached_cgroup2()
        .map_err(|e| context("cgroup v2 is not mounted, and mounting it failed", e))
}

/// The mount point of a `/proc/self/mountinfo` line if it mounts the root of a cgroup2
/// hierarchy (its file system type follows the " - " separator; the fourth field is the root of
/// the mount within the file system, the fifth the mount point, octal-escaped). A mount of a
/// sub-cgroup would cover only the processes below it.
fn cgroup2_mount_point(line: &str) -> Option<PathBuf> {
    let (fields, after) = line.split_once(" - ")?;
    if after.split(' ').next()? != "cgroup2" {
        return None;
    }
    let mut fields = fields.split(' ');
    if fields.nth(3)? != "/" {
        return None;
    }
    Some(PathBuf::from(unescape_octal(fields.next()?)))
}

/// Undoes mountinfo's `\ooo` escapes (of space, tab, newline and backslash).
fn unescape_octal(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        let code = after
            .get(..3)
            .filter(|_| byte == b'\\')
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u8::from_str_radix(digits, 8).ok());
        match (code, after.get(3..)) {
            (Some(decoded), Some(tail)) => {
                out.push(decoded);
                rest = tail;
            }
            _ => {
                out.push(byte);
                rest = after;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One `struct bpf_insn`, laid out in memory as the kernel reads it (little-endian targets:
/// the destination register in the low four bits of the second byte).
fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[0] = code;
    bytes[1] = (dst & 0x0f) | (src << 4);
    bytes[2..4].copy_from_slice(&off.to_ne_bytes());
    bytes[4..8].copy_from_slice(&imm.to_ne_bytes());
    u64::from_ne_bytes(bytes)
}

/// Instruction codes used below (`BPF_CLASS | BPF_OP | BPF_SRC`, or `| BPF_SIZE | BPF_MODE`).
const MOV64_REG: u8 = 0xbf;
const MOV64_IMM: u8 = 0xb7;
const ADD64_IMM: u8 = 0x07;
const RSH64_IMM: u8 = 0x77;
const STORE_DW: u8 = 0x7b;
const LOAD_IMM64: u8 = 0x18;
const CALL: u8 = 0x85;
const EXIT: u8 = 0x95;
/// `BPF_PSEUDO_MAP_FD`: the immediate of a 64-bit load is a map descriptor.
const PSEUDO_MAP_FD: u8 = 1;
/// Helper ids: `bpf_map_update_elem`, `bpf_ktime_get_ns`, `bpf_get_current_pid_tgid`,
/// `bpf_get_socket_cookie`. None is restricted to GPL programs.
const HELPER_MAP_UPDATE: i32 = 2;
const HELPER_KTIME_NS: i32 = 5;
const HELPER_PID_TGID: i32 = 14;
const HELPER_SOCKET_COOKIE: i32 = 46;
/// Registers: r0 return value, r1-r5 arguments, r6 kept across calls, r10 the frame pointer.
const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R4: u8 = 4;
const R6: u8 = 6;
const R10: u8 = 10;
/// The stack: the key (the cookie) at fp-8, the value (pid, time, cookie) at fp-32.
const KEY: i16 = -8;
const VALUE_PID: i16 = -32;
const VALUE_TIME: i16 = -24;
const VALUE_COOKIE: i16 = -16;

/// `map[cookie] = (caller, now, cookie); return 1 (allow)`: no branch, so no path that could
/// refuse.
/// A connect of the socket again (by the same process or another) replaces the record; the
/// process that made it ran the program it ran then (see `procfs.rs` for how that is checked).
fn record_caller_program(map_fd: i32) -> Vec<u64> {
    vec![
        insn(MOV64_REG, R6, R1, 0, 0),                  // 0: r6 = ctx
        insn(CALL, 0, 0, 0, HELPER_PID_TGID),           // 1: r0 = tgid << 32 | pid
        insn(RSH64_IMM, R0, 0, 0, 32),                  // 2: r0 = tgid, the process id
        insn(STORE_DW, R10, R0, VALUE_PID, 0),          // 3: value.pid
        insn(MOV64_REG, R1, R6, 0, 0),                  // 4: r1 = ctx
        insn(CALL, 0, 0, 0, HELPER_SOCKET_COOKIE),      // 5: r0 = the socket's cookie
        insn(STORE_DW, R10, R0, KEY, 0),                // 6: key
        insn(STORE_DW, R10, R0, VALUE_COOKIE, 0),       // 7: value.cookie
        insn(CALL, 0, 0, 0, HELPER_KTIME_NS),           // 8: r0 = now
        insn(STORE_DW, R10, R0, VALUE_TIME, 0),         // 9: value.time
        insn(LOAD_IMM64, R1, PSEUDO_MAP_FD, 0, map_fd), // 10: r1 = map
        insn(0, 0, 0, 0, 0),                            // 11: (the load's upper half)
        insn(MOV64_REG, R2, R10, 0, 0),                 // 12: r2 = &key
        insn(ADD64_IMM, R2, 0, 0, KEY.into()),          // 13
        insn(MOV64_REG, R3, R10, 0, 0),                 // 14: r3 = &value
        insn(ADD64_IMM, R3, 0, 0, VALUE_PID.into()),    // 15
        insn(MOV64_IMM, R4, 0, 0, 0),                   // 16: BPF_ANY
        insn(CALL, 0, 0, 0, HELPER_MAP_UPDATE),         // 17: a full map evicts its oldest
        insn(MOV64_IMM, R0, 0, 0, 1),                   // 18: allow the connect, always
        insn(EXIT, 0, 0, 0, 0),                         // 19
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::net::{Ipv6Addr, TcpListener, TcpStream};
    use zenithfence_core::flow::IpAddress;

    #[test]
    fn instructions_are_laid_out_as_the_kernel_reads_them() {
        let bytes = insn(STORE_DW, R10, R0, -16, 0x0102_0304).to_ne_bytes();
        assert_eq!(bytes[0], 0x7b);
        assert_eq!(bytes[1], 0x0a, "dst r10 low, src r0 high");
        assert_eq!(i16::from_ne_bytes([bytes[2], bytes[3]]), -16);
        assert_eq!(
            i32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            0x0102_0304
        );
        assert_eq!(insn(MOV64_REG, R1, R6, 0, 0).to_ne_bytes()[1], 0x61);
    }

    /// Straight through, the map where the helper expects it, and `r0 = 1; exit` at the end.
    #[test]
    fn the_program_has_one_path_and_it_allows() {
        let program = record_caller_program(7);
        let at = |pc: usize| program[pc].to_ne_bytes();
        let imm = |pc: usize| i32::from_ne_bytes([at(pc)[4], at(pc)[5], at(pc)[6], at(pc)[7]]);
        // The map load carries the map's descriptor, as a map (src = BPF_PSEUDO_MAP_FD).
        assert_eq!(&at(10)[..2], &[LOAD_IMM64, R1 | (PSEUDO_MAP_FD << 4)]);
        assert_eq!((imm(10), program[11]), (7, 0));
        assert_eq!((at(17)[0], imm(17)), (CALL, HELPER_MAP_UPDATE));
        assert_eq!(&at(18)[..2], &[MOV64_IMM, R0]);
        assert_eq!(imm(18), 1);
        assert_eq!((program.len(), at(19)[0]), (20, EXIT));
        // No jump of any kind (class BPF_JMP, code 0x05, other than calls) and no other exit.
        let jumps = program.iter().filter(|i| {
            let code = i.to_ne_bytes()[0];
            code & 0x07 == 0x05 && code != CALL
        });
        assert_eq!(jumps.count(), 1, "the exit only");
    }

    #[test]
    fn the_unified_hierarchy_is_found_in_mountinfo() {
        let hybrid = "35 25 0:30 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw";
        assert_eq!(
            cgroup2_mount_point(hybrid),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        let v1 = "36 25 0:31 / /sys/fs/cgroup/cpu rw shared:11 - cgroup cgroup rw,cpu";
        assert_eq!(cgroup2_mount_point(v1), None);
        let spaced = "40 25 0:32 / /mnt/my\\040cgroups rw - cgroup2 none rw";
        assert_eq!(
            cgroup2_mount_point(spaced),
            Some(PathBuf::from("/mnt/my cgroups"))
        );
        // A sub-cgroup mounted (a container's view): not the root, not used.
        let sub = "41 25 0:30 /system.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw";
        assert_eq!(cgroup2_mount_point(sub), None);
        assert_eq!(cgroup2_mount_point("garbage"), None);
        assert_eq!(unescape_octal("a\\134b\\"), "a\\b\\");
        assert_eq!(unescape_octal("\\9x"), "\\9x");
    }

    fn root_or_skip() -> bool {
        if sys::effective_uid() == 0 {
            return true;
        }
        assert_eq!(
            std::env::var("ZF_SKIP_ROOT_TESTS").as_deref(),
            Ok("1"),
            "this test loads BPF programs and needs root; set ZF_SKIP_ROOT_TESTS=1 to skip it \
             knowingly"
        );
        eprintln!("SKIPPED: not root and ZF_SKIP_ROOT_TESTS=1");
        false
    }

    #[test]
    fn connects_and_sends_are_recorded_with_the_calling_process_and_the_time() {
        if !root_or_skip() {
            return;
        }
        let owners = ConnectOwners::attach().unwrap();
        let own = std::process::id();
        // TCP over IPv4 and IPv6 loopback: recorded at connect.
        for address in [
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
        ] {
            let listener = TcpListener::bind(address).unwrap();
            let before = sys::monotonic_ns().unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let after = sys::monotonic_ns().unwrap();
            let record = owners
                .record_of(sys::socket_cookie(&client).unwrap())
                .unwrap();
            assert_eq!(record.pid, own, "{address}");
            assert!(
                (before..=after).contains(&record.at_ns),
                "{before} <= {} <= {after}",
                record.at_ns
            );
            // The listener never connected: not recorded.
            assert_eq!(
                owners.record_of(sys::socket_cookie(&listener).unwrap()),
                None
            );
        }
        // A connected UDP socket: recorded at its connect (which sends nothing), and again at
        // a second connect.
        let receiver = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let to = receiver.local_addr().unwrap();
        let connected = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let cookie = sys::socket_cookie(&connected).unwrap();
        assert_eq!(owners.record_of(cookie), None, "not connected yet");
        connected.connect(to).unwrap();
        let first = owners.record_of(cookie).unwrap();
        assert_eq!(first.pid, own);
        std::thread::sleep(std::time::Duration::from_millis(2));
        connected.connect(to).unwrap();
        let second = owners.record_of(cookie).unwrap();
        assert_eq!(second.pid, own);
        assert!(second.at_ns > first.at_ns);
        // Sends to an address from an unconnected socket pass no hook of ours.
        let unconnected = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        unconnected.send_to(b"x", to).unwrap();
        let cookie = sys::socket_cookie(&unconnected).unwrap();
        assert_eq!(owners.record_of(cookie), None);
        assert_eq!(owners.record_of(0), None);
    }

    #[test]
    fn the_programs_attach_in_a_new_network_namespace() {
        if !root_or_skip() {
            return;
        }
        // A thread of its own in a new namespace, as the daemon runs in tests and benchmarks.
        std::thread::spawn(|| {
            sys::unshare_network_namespace().unwrap();
            let owners = ConnectOwners::attach().unwrap();
            let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
            assert!(
                socket.connect((Ipv4Addr::new(10, 9, 8, 7), 53)).is_err(),
                "no route"
            );
            let cookie = sys::socket_cookie(&socket).unwrap();
            assert_eq!(owners.record_of(cookie).unwrap().pid, std::process::id());
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_mount_without_a_mount_point_reaches_the_same_hierarchy() {
        if !root_or_skip() {
            return;
        }
        use std::os::unix::fs::MetadataExt;
        let detached = sys::open_detached_cgroup2().unwrap().metadata().unwrap();
        let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
        let Some(mounted) = mounts.lines().find_map(cgroup2_mount_point) else {
            return eprintln!("SKIPPED: no cgroup v2 mount here to compare with");
        };
        let mounted = fs::metadata(mounted).unwrap();
        assert_eq!(
            (detached.dev(), detached.ino()),
            (mounted.dev(), mounted.ino())
        );
    }

    /// Accepts the next connection on loopback `listener` and returns the cookie of the
    /// connecting socket (another process's: found by its port pair with sock_diag).
    fn peer_cookie(listener: &TcpListener) -> u64 {
        let (accepted, _) = listener.accept().unwrap();
        let (local, remote) = (
            accepted.local_addr().unwrap(),
            accepted.peer_addr().unwrap(),
        );
        assert!(local.ip().is_loopback() && remote.ip().is_loopback());
        let loopback = IpAddress::V4([127, 0, 0, 1]);
        crate::sock_diag::SockDiag::open()
            .unwrap()
            .lookup(6, (loopback, remote.port()), (loopback, local.port()))
            .unwrap()
            .unwrap()
            .cookie
    }

    #[test]
    fn a_tcp_fast_open_connect_is_recorded_too() {
        if !root_or_skip() {
            return;
        }
        let owners = ConnectOwners::attach().unwrap();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        // sendto(MSG_FASTOPEN) connects without connect(2): the SYN carries the data.
        let mut child = std::process::Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import socket,time\ns=socket.socket()\n\
                 s.sendto(b'x', socket.MSG_FASTOPEN, ('127.0.0.1', {port}))\ntime.sleep(5)"
            ))
            .spawn()
            .unwrap();
        let record = owners.record_of(peer_cookie(&listener));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(record.map(|r| r.pid), Some(child.id()));
    }

    #[test]
    fn a_child_process_is_recorded_as_itself_and_detaching_stops_the_records() {
        if !root_or_skip() {
            return;
        }
        let owners = ConnectOwners::attach().unwrap();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        // A shell's /dev/tcp connect: another process, which holds the socket at descriptor 3
        // while `sleep` keeps it open.
        let mut child = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("exec 3<>/dev/tcp/127.0.0.1/{port}; exec sleep 5"))
            .spawn()
            .unwrap();
        assert_eq!(
            owners.record_of(peer_cookie(&listener)).unwrap().pid,
            child.id()
        );
        child.kill().unwrap();
        child.wait().unwrap();
        // Detached: later connects go unrecorded in a map whose programs are gone.
        drop(owners);
        let ConnectOwners { map, _links: links } = ConnectOwners::attach().unwrap();
        drop(links);
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let cookie = sys::socket_cookie(&client).unwrap();
        assert_eq!(sys::bpf_record_map_lookup(&map, cookie).unwrap(), None);
        // While attached, a record carries its own cookie (what `record_of` checks).
        let owners = ConnectOwners::attach().unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let cookie = sys::socket_cookie(&client).unwrap();
        let [pid, _, of_cookie] = sys::bpf_record_map_lookup(&owners.map, cookie)
            .unwrap()
            .unwrap();
        assert_eq!((pid, of_cookie), (u64::from(std::process::id()), cookie));
    }
}
