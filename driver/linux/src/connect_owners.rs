//! Which process connected each socket, as the kernel saw it. Small BPF programs on the cgroup
//! hooks of `connect(2)` (TCP and UDP, IPv4 and IPv6) record the calling process's id and the
//! time under the socket's cookie, in a map the daemon reads when a new flow's first packet is
//! held (sock_diag gives the cookie with the inode). Not TCP connects to 127.0.0.1 or ::1:
//! loopback is never held, and every program that talks to a local server would pay for it.
//! (Inside a VRF such a connection leaves through the VRF's device and is held; without a
//! record it is looked up as before these programs: PERFORMANCE.md, "One lookup per connection".)
//!
//! One map lookup then replaces the `/proc` search of `procfs.rs`: a `readlink` of the socket's
//! descriptor per connection at best, and whole descriptor lists when a program with many threads
//! and descriptors opens sockets faster than one probe finds them (benchmarks: PERFORMANCE.md,
//! "The kernel's record of each connect"). It also names the process that connected when several
//! hold the socket, or when it handed the socket on before the packet left.
//!
//! What the record proves, and what it does not: the process with that id made the call at that
//! time. It may have run another program then (an exec keeps the pid), so `procfs.rs` trusts it
//! without a search only for a process whose details were read, with its `exe` handle held,
//! before that time; otherwise the socket must be found in that process's own descriptors.
//!
//! Two more parts make the usual case cost one map lookup and nothing else (`bench peer`,
//! PERFORMANCE.md, "One lookup per connection"), each optional ([`ConnectOwners::missing`] says
//! why one is not there):
//! - **Records by addresses.** A `sock_ops` program copies a TCP socket's record under its
//!   addresses, ports and network namespace when the SYN is about to leave, so the held packet
//!   alone finds it: no
//!   sock_diag request for the cookie first. Only connections this host opens, and not those
//!   to their own address (127.0.0.1 to itself, ::1 to itself): they go over loopback, which
//!   the daemon never holds, and the copy would cost every such connect about 1 µs.
//! - **Program changes.** Programs on the exec and exit tracepoints mark the time a watched
//!   process ran another program or ended, and each record carries the latest mark of its
//!   process. `procfs.rs` watches a process from before it reads its details, so a record that
//!   shows no change since then proves the details still describe the process that connected:
//!   no `readlink` of its `exe` handle per connection.
//!
//! The programs are in `connect_programs.rs`.
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

use std::ffi::CStr;
use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use zenithfence_core::flow::{FlowKey, IpAddress};

use crate::bpf_sys::{self, BpfMap, MapKind};
use crate::connect_programs::{self, ADDRESS_KEY_BYTES, RECORD_WORDS};
use crate::sys;

/// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`, `BPF_PROG_TYPE_SOCK_OPS`, `BPF_PROG_TYPE_RAW_TRACEPOINT`.
const PROG_TYPE_CGROUP_SOCK_ADDR: u32 = 18;
pub(crate) const PROG_TYPE_SOCK_OPS: u32 = 13;
const PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
/// `BPF_CGROUP_INET4_CONNECT`, `BPF_CGROUP_INET6_CONNECT`, and whether it is IPv6's.
const ATTACH_TYPES: [(u32, bool); 2] = [(10, false), (11, true)];
/// `BPF_CGROUP_SOCK_OPS`.
pub(crate) const ATTACH_SOCK_OPS: u32 = 3;
/// The tracepoints after which a process may be running another program than before: an exec,
/// and the end of its leader (the pid may then be given to another process).
const CHANGE_TRACEPOINTS: [&CStr; 2] = [c"sched_process_exec", c"sched_process_exit"];
/// Entries kept: a lookup comes within milliseconds of the connect it reads, so this only has to
/// outlast a burst of connects (an entry is about 90 bytes of kernel memory, allocated up front).
/// The oldest go first, so sockets that never reach the queue cannot fill it.
const MAP_ENTRIES: u32 = 32 * 1024;
/// The oldest record by addresses used, in nanoseconds after its connect.
const ADDRESS_RECORD_AGE_NS: u64 = 5_000_000_000;
/// Records by addresses kept: one is read within milliseconds of the SYN it was copied for, and
/// a lost one costs only a sock_diag request (about 200 bytes of kernel memory each, up front).
const ADDRESS_ENTRIES: u32 = 8 * 1024;
/// Processes watched for changes at most: the daemon watches those whose details it keeps with
/// a held `exe` handle (`procfs.rs`, 128), with room for the ones it stopped watching.
const WATCHED_ENTRIES: u32 = 512;
/// Room for the verifier's explanation when a program is refused.
const LOG_BYTES: usize = 4096;
/// `AF_INET`, `AF_INET6` as `bpf_sock_ops.family` gives them.
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;

/// What the kernel recorded for a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConnectRecord {
    /// The process that connected it.
    pub(crate) pid: u32,
    /// When, in `CLOCK_MONOTONIC` nanoseconds (`sys::monotonic_ns`).
    pub(crate) at_ns: u64,
    /// The socket's cookie.
    pub(crate) cookie: u64,
    /// When the process last ran another program or ended, as far as the kernel had told by
    /// then ([`ProgramChanges`]): 0 for no change since it was watched, `u64::MAX` when it was
    /// not watched (unknown).
    pub(crate) changed_ns: u64,
}

/// The attached programs and their maps.
pub(crate) struct ConnectOwners {
    /// Records by socket cookie.
    records: BpfMap,
    /// The same records by a TCP connection's addresses and ports, when the `sock_ops` program
    /// is attached, with its link (dropped with the map when the check at start fails: every
    /// SYN of the machine would run the program for nobody).
    by_addresses: Option<AddressRecords>,
    /// The processes watched for program changes, when the tracepoint programs are attached.
    changes: Option<BpfMap>,
    /// What could not be attached beyond the connect hooks, and why, for the log.
    missing: Vec<String>,
    /// Dropping these detaches the programs; never read otherwise.
    _links: Vec<OwnedFd>,
}

impl ConnectOwners {
    /// Loads and attaches the programs at the root of the cgroup v2 hierarchy, then checks with
    /// a UDP connect of its own (no packet is sent) that the hook records this process's id as
    /// `/proc` names it. `Err` says what is missing. The change watch and the records by
    /// addresses are optional: without them ([`ConnectOwners::missing`] says why) processes are
    /// checked through `/proc` and connections looked up with sock_diag first, as before.
    pub(crate) fn attach() -> io::Result<ConnectOwners> {
        let cgroup = open_cgroup2_root()?;
        let changes = BpfMap::create(MapKind::Hash, 4, 8, WATCHED_ENTRIES)
            .map_err(|e| context("creating the BPF map of program changes", e))?;
        let records = BpfMap::create(MapKind::LruHash, 8, RECORD_BYTES as u32, MAP_ENTRIES)
            .map_err(|e| context("creating the BPF map", e))?;
        let mut log = vec![0u8; LOG_BYTES];
        let mut links = Vec::with_capacity(ATTACH_TYPES.len() + 3);
        for (attach_type, ipv6) in ATTACH_TYPES {
            let program =
                connect_programs::record_caller(records.as_raw_fd(), changes.as_raw_fd(), ipv6);
            // On an error the links made so far are dropped with `links`: nothing stays attached.
            let loaded =
                bpf_sys::prog_load(PROG_TYPE_CGROUP_SOCK_ADDR, attach_type, &program, &mut log)
                    .map_err(|e| context("loading the BPF program", e))?;
            let link = bpf_sys::link_create(&loaded, &cgroup, attach_type)
                .map_err(|e| context("attaching to the cgroup v2 root", e))?;
            links.push(link);
        }
        let mut missing = Vec::new();
        let changes = match attach_change_marks(&changes, &mut log) {
            Ok(marks) => {
                links.extend(marks);
                Some(changes)
            }
            Err(e) => {
                missing.push(format!("no watch of program changes: {e}"));
                None
            }
        };
        let by_addresses = match attach_address_copies(&records, &cgroup, &mut log) {
            Ok(attached) => Some(attached),
            Err(e) => {
                missing.push(format!("no records by address: {e}"));
                None
            }
        };
        let mut owners = ConnectOwners {
            records,
            by_addresses,
            changes,
            missing,
            _links: links,
        };
        owners.check_own_connect()?;
        if let Err(e) = owners.check_own_tcp_connect() {
            owners.by_addresses = None;
            owners.missing.push(format!("no records by address: {e}"));
        }
        Ok(owners)
    }

    /// What could not be attached beyond the connect hooks, and why (empty when all is).
    pub(crate) fn missing(&self) -> &[String] {
        &self.missing
    }

    /// The watch of program changes, for the process finder (`procfs.rs`), when attached.
    pub(crate) fn program_changes(&self) -> Option<ProgramChanges> {
        let map = self.changes.as_ref()?.try_clone().ok()?;
        Some(ProgramChanges { map })
    }

    /// What the programs recorded for the socket with this cookie, if they saw it.
    pub(crate) fn record_of(&self, cookie: u64) -> Option<ConnectRecord> {
        let mut value = [0u8; RECORD_BYTES];
        if !self
            .records
            .lookup(&cookie.to_ne_bytes(), &mut value)
            .ok()?
        {
            return None;
        }
        // The record names its socket too: an LRU map may reuse an entry for another key while
        // a lookup copies it out, and such a copy must not pass for this socket's.
        parse_record(&value).filter(|record| record.cookie == cookie)
    }

    /// What the programs recorded for the TCP connection `flow` opened from this host (in the
    /// daemon's network namespace), found by its addresses and ports (one lookup, no sock_diag
    /// request), if the `sock_ops` program saw its SYN leave.
    pub(crate) fn record_of_connection(&self, flow: &FlowKey) -> Option<ConnectRecord> {
        let by = self.by_addresses.as_ref()?;
        let key = address_key(flow, by.netns);
        let mut value = [0u8; RECORD_BYTES + ADDRESS_KEY_BYTES];
        if !by.map.lookup(&key, &mut value).ok()? {
            return None;
        }
        let (record, of_key) = value.split_at(RECORD_BYTES);
        // As in `record_of`: the value carries its key, so a copy of a reused entry is refused.
        if of_key != key {
            return None;
        }
        // Every SYN replaces or deletes its addresses' entry, so an entry is that of the latest
        // connection with them; old ones are refused all the same (a lookup comes within
        // milliseconds of the SYN), in case a SYN ever left without passing the program.
        let record = parse_record(record)?;
        let now = sys::monotonic_ns()?;
        (now.saturating_sub(record.at_ns) <= ADDRESS_RECORD_AGE_NS).then_some(record)
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
                    "the kernel's clock ({} ns) is not this process's ({before:?} to {after:?} \
                     ns; a time namespace?)",
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

    /// A TCP connect of its own over loopback must be found by its addresses, with the same
    /// record as by its cookie. Not waited for: the program ran when the SYN was built, and
    /// the SYN may never arrive (the unit's `IPAddressDeny=any` drops it; our rules let
    /// loopback pass unheld). To 127.0.0.2, from 127.0.0.1 (bound: with 127.0.0.2 on its own
    /// on loopback the kernel would choose it as the source): the program copies no record of a
    /// connection to its own address, and the connect hook records none of one to 127.0.0.1.
    fn check_own_tcp_connect(&self) -> io::Result<()> {
        if self.by_addresses.is_none() {
            return Ok(());
        }
        let listener = TcpListener::bind(CHECK_ADDRESS)
            .map_err(|e| context("a loopback listener for the check", e))?;
        let to = SocketAddrV4::new(CHECK_ADDRESS.0, listener.local_addr()?.port());
        let from = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0);
        let client = sys::tcp_connect_started(from, to)
            .map_err(|e| context("a loopback connect for the check (loopback down?)", e))?;
        let SocketAddr::V4(local) = client.local_addr()? else {
            return Err(io::Error::other("an IPv4 socket with an IPv6 address"));
        };
        let flow = FlowKey {
            protocol: IPPROTO_TCP,
            local_ip: IpAddress::V4(local.ip().octets()),
            local_port: local.port(),
            remote_ip: IpAddress::V4(to.ip().octets()),
            remote_port: to.port(),
        };
        let cookie = sys::socket_cookie(&client).map_err(|e| context("SO_COOKIE", e))?;
        let by_cookie = self.record_of(cookie);
        match self.record_of_connection(&flow) {
            Some(record) if Some(record) == by_cookie => Ok(()),
            other => Err(io::Error::other(format!(
                "a loopback connection of this process was recorded as {other:?} by its \
                 addresses and {by_cookie:?} by its cookie"
            ))),
        }
    }
}

/// The processes whose program changes the kernel records (`connect_programs::mark_change`),
/// as far as the daemon asked it to watch them.
#[derive(Debug)]
pub(crate) struct ProgramChanges {
    map: BpfMap,
}

impl ProgramChanges {
    /// Watches `pid` from now on, if it is not watched yet, and returns the time from which
    /// its changes are sure to be recorded (`None`: it cannot be watched, the map is full). A
    /// change before that time was before the caller's next look at the process.
    pub(crate) fn watch(&self, pid: u32) -> Option<u64> {
        self.map
            .insert(&pid.to_ne_bytes(), &0u64.to_ne_bytes())
            .ok()?;
        sys::monotonic_ns()
    }

    /// Stops watching `pid` (its details are no longer kept).
    pub(crate) fn unwatch(&self, pid: u32) {
        let _ = self.map.delete(&pid.to_ne_bytes());
    }
}

/// `IPPROTO_TCP`.
const IPPROTO_TCP: u8 = 6;
/// Where the start check's TCP connect goes: a loopback address the host does not connect
/// from by itself.
const CHECK_ADDRESS: (Ipv4Addr, u16) = (Ipv4Addr::new(127, 0, 0, 2), 0);
/// A record's size in bytes.
const RECORD_BYTES: usize = RECORD_WORDS * 8;

fn parse_record(bytes: &[u8]) -> Option<ConnectRecord> {
    let word = |i: usize| {
        let at = i * 8;
        Some(u64::from_ne_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    };
    let pid = u32::try_from(word(0)?).ok().filter(|&pid| pid != 0)?;
    Some(ConnectRecord {
        pid,
        at_ns: word(1)?,
        cookie: word(2)?,
        changed_ns: word(3)?,
    })
}

/// The key `connect_programs::copy_to_addresses` writes for the connection `flow`, as the
/// socket sees it (`ADDRESS_KEY_BYTES`). The remote port is laid out as `bpf_sock_ops` gives
/// it on a little-endian machine: the port's two bytes in network order in the word's upper
/// half.
fn address_key(flow: &FlowKey, netns: u64) -> [u8; ADDRESS_KEY_BYTES] {
    let mut key = [0u8; ADDRESS_KEY_BYTES];
    let family = match flow.local_ip {
        IpAddress::V4(_) => AF_INET,
        IpAddress::V6(_) => AF_INET6,
    };
    key[0..4].copy_from_slice(&family.to_ne_bytes());
    key[4..8].copy_from_slice(&u32::from(flow.local_port).to_ne_bytes());
    key[10..12].copy_from_slice(&flow.remote_port.to_be_bytes());
    key[16..24].copy_from_slice(&netns.to_ne_bytes());
    key[24..40].copy_from_slice(&in_sixteen(flow.local_ip));
    key[40..56].copy_from_slice(&in_sixteen(flow.remote_ip));
    key
}

/// An address in a key's 16 bytes: an IPv4 one in the first four, the rest zero.
fn in_sixteen(address: IpAddress) -> [u8; 16] {
    match address {
        IpAddress::V4(a) => {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&a);
            bytes
        }
        IpAddress::V6(a) => a,
    }
}

/// Loads the change program and runs it at both tracepoints; the links, or why not.
fn attach_change_marks(changes: &BpfMap, log: &mut [u8]) -> io::Result<Vec<OwnedFd>> {
    let program = connect_programs::mark_change(changes.as_raw_fd());
    let loaded = bpf_sys::prog_load(PROG_TYPE_RAW_TRACEPOINT, 0, &program, log)
        .map_err(|e| context("loading the tracepoint program", e))?;
    CHANGE_TRACEPOINTS
        .iter()
        .map(|name| {
            bpf_sys::raw_tracepoint_open(name, &loaded)
                .map_err(|e| context(&format!("attaching to {}", name.to_string_lossy()), e))
        })
        .collect()
}

/// Makes the map of records by addresses and attaches the `sock_ops` program that fills it.
fn attach_address_copies(
    records: &BpfMap,
    cgroup: &File,
    log: &mut [u8],
) -> io::Result<AddressRecords> {
    // The daemon's own namespace: the packets it holds are of connections made in it.
    let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    let netns = sys::netns_cookie(&probe)
        .map_err(|e| context("the network namespace's cookie (SO_NETNS_COOKIE)", e))?;
    let value = (RECORD_BYTES + ADDRESS_KEY_BYTES) as u32;
    let map = BpfMap::create(
        MapKind::LruHash,
        ADDRESS_KEY_BYTES as u32,
        value,
        ADDRESS_ENTRIES,
    )
    .map_err(|e| context("creating the map", e))?;
    let program = connect_programs::copy_to_addresses(records.as_raw_fd(), map.as_raw_fd());
    let loaded = bpf_sys::prog_load(PROG_TYPE_SOCK_OPS, 0, &program, log)
        .map_err(|e| context("loading the sock_ops program", e))?;
    let link = bpf_sys::link_create(&loaded, cgroup, ATTACH_SOCK_OPS)
        .map_err(|e| context("attaching to the cgroup v2 root", e))?;
    Ok(AddressRecords {
        map,
        _link: link,
        netns,
    })
}

/// The records by addresses: the map, the link that keeps its program attached (dropped with
/// it), and the cookie of the daemon's network namespace, part of every key.
struct AddressRecords {
    map: BpfMap,
    _link: OwnedFd,
    netns: u64,
}

fn context(what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// The root of the cgroup v2 hierarchy, opened: where it is mounted (`/sys/fs/cgroup` on
/// current systems, `/sys/fs/cgroup/unified` on hybrid ones), else a mount of it made without a
/// mount point (`ip netns exec` runs its command with a /sys of its own, without the cgroup
/// mounts; that needs CAP_SYS_ADMIN, which the systemd unit does not grant and does not need).
pub(crate) fn open_cgroup2_root() -> io::Result<File> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::root_tests::{in_own_namespace, run_ok};
    use std::net::{Ipv6Addr, TcpListener, TcpStream};
    use zenithfence_core::flow::IpAddress;

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
        crate::root_tests::root_or_skip("loads BPF programs")
    }

    #[test]
    fn connects_and_sends_are_recorded_with_the_calling_process_and_the_time() {
        if !root_or_skip() {
            return;
        }
        let owners = ConnectOwners::attach().unwrap();
        let own = std::process::id();
        // TCP over IPv4, and over IPv6 to a mapped IPv4 address (the IPv6 hook): recorded at
        // connect.
        let listener = TcpListener::bind((OTHER_LOOPBACK, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mapped = OTHER_LOOPBACK.to_ipv6_mapped();
        for address in [
            SocketAddr::from((OTHER_LOOPBACK, port)),
            SocketAddr::from((mapped, port)),
        ] {
            let before = sys::monotonic_ns().unwrap();
            let client = TcpStream::connect(address).unwrap();
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
        // TCP to 127.0.0.1 and ::1 (over IPv6 or mapped) goes over loopback, never held: not
        // recorded (the connect hook skips it, every local server's clients gain).
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let v6 = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).unwrap();
        for address in [
            v4.local_addr().unwrap(),
            v6.local_addr().unwrap(),
            SocketAddr::from((
                Ipv4Addr::LOCALHOST.to_ipv6_mapped(),
                v4.local_addr().unwrap().port(),
            )),
        ] {
            let client = TcpStream::connect(address).unwrap();
            assert_eq!(
                owners.record_of(sys::socket_cookie(&client).unwrap()),
                None,
                "{address}"
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
        // A thread of its own in a new namespace, as the daemon runs in tests and benchmarks.
        in_own_namespace(|| {
            let owners = ConnectOwners::attach().unwrap();
            let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
            assert!(
                socket.connect((Ipv4Addr::new(10, 9, 8, 7), 53)).is_err(),
                "no route"
            );
            let cookie = sys::socket_cookie(&socket).unwrap();
            assert_eq!(owners.record_of(cookie).unwrap().pid, std::process::id());
        });
    }

    /// The start check needs no answer to its SYN: under the unit's `IPAddressDeny=any` none
    /// comes (here an output rule drops it), and a connect that waited would hold the start for
    /// minutes.
    #[test]
    fn records_by_address_are_checked_without_waiting_for_an_answer() {
        in_own_namespace(|| {
            run_ok("ip", &["link", "set", "lo", "up"]);
            // 127.0.0.2 on its own: the kernel would pick it as the source of the check's
            // connect to it, were the check's socket not bound to 127.0.0.1.
            run_ok("ip", &["addr", "add", "127.0.0.2/32", "dev", "lo"]);
            run_ok("nft", &["add table ip zf_check"]);
            run_ok(
                "nft",
                &["add chain ip zf_check out { type filter hook output priority 0; policy drop; }"],
            );
            let started = std::time::Instant::now();
            let owners = ConnectOwners::attach().unwrap();
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
            assert_eq!(owners.missing(), [] as [String; 0]);
        });
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

    /// The programs attached, and a listener on `at` with its port; `None` when the test is
    /// skipped (see `root_or_skip`).
    fn attached_with_listener(at: Ipv4Addr) -> Option<(ConnectOwners, TcpListener, u16)> {
        if !root_or_skip() {
            return None;
        }
        let owners = ConnectOwners::attach().unwrap();
        let listener = TcpListener::bind((at, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        Some((owners, listener, port))
    }

    /// Accepts the next connection on `listener` and returns the cookie of the connecting
    /// socket (another process's: found by its addresses with sock_diag).
    fn peer_cookie(listener: &TcpListener) -> u64 {
        let (accepted, _) = listener.accept().unwrap();
        let (local, remote) = (
            accepted.local_addr().unwrap(),
            accepted.peer_addr().unwrap(),
        );
        crate::sock_diag::SockDiag::open()
            .unwrap()
            .lookup(
                6,
                (ip_address(remote.ip()), remote.port()),
                (ip_address(local.ip()), local.port()),
                0,
            )
            .unwrap()
            .unwrap()
            .cookie
    }

    fn ip_address(ip: std::net::IpAddr) -> IpAddress {
        match ip {
            std::net::IpAddr::V4(v4) => IpAddress::V4(v4.octets()),
            std::net::IpAddr::V6(v6) => IpAddress::V6(v6.octets()),
        }
    }

    /// Starts python3 running `code`, its output piped.
    fn python(code: &str) -> std::process::Child {
        std::process::Command::new("python3")
            .args(["-c", code])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The first line `child` prints, as a number.
    fn first_line(child: &mut std::process::Child) -> u32 {
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        line.trim().parse::<u32>().unwrap()
    }

    /// A loopback address other than 127.0.0.1, which the kernel connects to from 127.0.0.1:
    /// a connection to its own address is never copied by address (loopback is never held).
    const OTHER_LOOPBACK: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

    #[test]
    fn tcp_connections_are_found_by_their_addresses_with_the_record_of_their_cookie() {
        in_own_namespace(|| {
            run_ok("ip", &["link", "set", "lo", "up"]);
            // Two IPv6 addresses of this host (::1 has no other loopback address beside it),
            // and an IPv4 one besides 127.0.0.0/8.
            for address in ["fd00::1/128", "fd00::2/128", "10.55.0.1/32"] {
                run_ok("ip", &["addr", "add", address, "dev", "lo"]);
            }
            let owners = ConnectOwners::attach().unwrap();
            assert_eq!(owners.missing(), [] as [String; 0]);
            let flow = |local: SocketAddr, remote: SocketAddr| FlowKey {
                protocol: IPPROTO_TCP,
                local_ip: ip_address(local.ip()),
                local_port: local.port(),
                remote_ip: ip_address(remote.ip()),
                remote_port: remote.port(),
            };
            // IPv4, from 127.0.0.1 to 127.0.0.2: this process's connect.
            let listener = TcpListener::bind((OTHER_LOOPBACK, 0)).unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (local, remote) = (client.local_addr().unwrap(), client.peer_addr().unwrap());
            assert_ne!(local.ip(), remote.ip());
            let by_cookie = owners
                .record_of(sys::socket_cookie(&client).unwrap())
                .unwrap();
            assert_eq!(by_cookie.pid, std::process::id());
            assert_eq!(by_cookie.changed_ns, u64::MAX, "not watched");
            assert_eq!(
                owners.record_of_connection(&flow(local, remote)),
                Some(by_cookie)
            );
            // The accepting side never connected; and another port is another connection.
            assert_eq!(owners.record_of_connection(&flow(remote, local)), None);
            let other_port = SocketAddr::new(remote.ip(), remote.port() ^ 1);
            assert_eq!(owners.record_of_connection(&flow(local, other_port)), None);
            // IPv6, from fd00::1 to fd00::2: a python process's, bound first (the kernel would
            // pick fd00::2 itself as the source).
            let listener = TcpListener::bind("[fd00::2]:0").unwrap();
            let remote = listener.local_addr().unwrap();
            let mut child = python(&format!(
                "import socket, time\ns=socket.socket(socket.AF_INET6)\ns.bind(('fd00::1', 0))\n\
                 s.connect(('fd00::2', {}))\nprint(s.getsockname()[1], flush=True)\n\
                 time.sleep(5)",
                remote.port()
            ));
            let local_port = u16::try_from(first_line(&mut child)).unwrap();
            let local = SocketAddr::from((Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1), local_port));
            let by_cookie = owners.record_of(peer_cookie(&listener));
            let by_addresses = owners.record_of_connection(&flow(local, remote));
            child.kill().unwrap();
            child.wait().unwrap();
            assert_eq!(by_cookie.map(|r| r.pid), Some(child.id()));
            assert_eq!(by_addresses, by_cookie);
            // A connection to its own address (the host's address to itself) goes over
            // loopback, which is never held: recorded by its cookie (not being to 127.0.0.1
            // or ::1, which the connect hook skips: fd00::1 ends as ::1 does), never copied by
            // address.
            for own in [
                SocketAddr::from((Ipv4Addr::new(10, 55, 0, 1), 0)),
                SocketAddr::from((Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1), 0)),
            ] {
                let listener = TcpListener::bind(own).unwrap();
                let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                let (local, remote) = (client.local_addr().unwrap(), client.peer_addr().unwrap());
                assert_eq!(local.ip(), remote.ip());
                assert!(owners
                    .record_of(sys::socket_cookie(&client).unwrap())
                    .is_some());
                assert_eq!(
                    owners.record_of_connection(&flow(local, remote)),
                    None,
                    "{own}"
                );
            }
        });
    }

    /// A connection of an IPv6 socket to an IPv4-mapped address is found as the IPv4
    /// connection its packets show, replacing the record of an earlier connection with the same
    /// addresses: another process's, which must not name it.
    #[test]
    fn a_mapped_connection_replaces_the_record_of_the_ipv4_one_before_it() {
        let Some((owners, listener, port)) = attached_with_listener(OTHER_LOOPBACK) else {
            return;
        };
        // The first process connects over IPv4 and resets the connection: the port is free.
        let mut first = python(&format!(
            "import socket, struct\ns=socket.socket()\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n\
             s.connect(('127.0.0.2', {port}))\nprint(s.getsockname()[1], flush=True)\ns.close()"
        ));
        let local_port = u16::try_from(first_line(&mut first)).unwrap();
        drop(listener.accept().unwrap());
        first.wait().unwrap();
        let flow = FlowKey {
            protocol: IPPROTO_TCP,
            local_ip: IpAddress::V4([127, 0, 0, 1]),
            local_port,
            remote_ip: IpAddress::V4(OTHER_LOOPBACK.octets()),
            remote_port: port,
        };
        assert_eq!(owners.record_of_connection(&flow).unwrap().pid, first.id());
        // Another process, from the same port over an IPv6 socket, to the mapped address.
        let mut second = python(&format!(
            "import os, socket, time\ns=socket.socket(socket.AF_INET6)\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.bind(('::ffff:127.0.0.1', {local_port}))\n\
             s.connect(('::ffff:127.0.0.2', {port}))\nprint(os.getpid(), flush=True)\n\
             time.sleep(5)"
        ));
        let second_pid = first_line(&mut second);
        let record = owners.record_of_connection(&flow);
        second.kill().unwrap();
        second.wait().unwrap();
        assert_eq!(record.map(|r| r.pid), Some(second_pid));
    }

    /// The same addresses and ports in another network namespace (a container's, or any
    /// user's with user namespaces) are another connection: its SYN must not replace the
    /// record of ours.
    #[test]
    fn a_connection_with_the_same_addresses_in_another_namespace_is_another_one() {
        // The listener stays open to the end: ours connects to it.
        let Some((owners, _listener, port)) = attached_with_listener(OTHER_LOOPBACK) else {
            return;
        };
        let ours = TcpStream::connect((OTHER_LOOPBACK, port)).unwrap();
        let local_port = ours.local_addr().unwrap().port();
        let cookie = sys::socket_cookie(&ours).unwrap();
        in_own_namespace(move || {
            run_ok("ip", &["link", "set", "lo", "up"]);
            // Refused (nothing listens there), but its SYN was built and left.
            run_ok(
                "python3",
                &[
                    "-c",
                    &format!(
                        "import socket\ns=socket.socket()\ns.bind(('127.0.0.1', {local_port}))\n\
                         s.connect_ex(('127.0.0.2', {port}))"
                    ),
                ],
            );
        });
        let flow = FlowKey {
            protocol: IPPROTO_TCP,
            local_ip: IpAddress::V4([127, 0, 0, 1]),
            local_port,
            remote_ip: IpAddress::V4(OTHER_LOOPBACK.octets()),
            remote_port: port,
        };
        assert_eq!(
            owners.record_of_connection(&flow).map(|r| r.cookie),
            Some(cookie)
        );
    }

    #[test]
    fn a_watched_process_is_marked_when_it_runs_another_program_or_ends() {
        use std::io::Write;
        let Some((owners, listener, port)) = attached_with_listener(OTHER_LOOPBACK) else {
            return;
        };
        let changes = owners.program_changes().unwrap();
        // Connects once when told, then runs another program (a new bash) that connects again.
        let mut child = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "echo ready; read x; exec 3<>/dev/tcp/127.0.0.2/{port}; read x; \
                 exec bash -c 'exec 4<>/dev/tcp/127.0.0.2/{port}; read x'"
            ))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        // The spawn returns as soon as the exec replaced the memory, before the kernel tells of
        // the exec: wait for bash itself to speak.
        let mut ready = [0u8; 6];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut ready).unwrap();
        assert_eq!(&ready, b"ready\n");
        let from = changes.watch(pid).unwrap();
        assert!(
            changes.watch(pid).unwrap() >= from,
            "watching again keeps the entry"
        );
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"\n").unwrap();
        let first = owners.record_of(peer_cookie(&listener)).unwrap();
        assert_eq!(
            (first.pid, first.changed_ns),
            (pid, 0),
            "no change since watched"
        );
        stdin.write_all(b"\n").unwrap();
        let second = owners.record_of(peer_cookie(&listener)).unwrap();
        assert_eq!(second.pid, pid);
        assert!(
            (from..second.at_ns).contains(&second.changed_ns),
            "the exec between the watch and the connect: {from} <= {} < {}",
            second.changed_ns,
            second.at_ns
        );
        // The new bash waits in a builtin: no exec after its connect, so only its end can mark.
        let mut value = [0u8; 8];
        let map = owners.changes.as_ref().unwrap();
        assert!(map.lookup(&pid.to_ne_bytes(), &mut value).unwrap());
        assert_eq!(
            u64::from_ne_bytes(value),
            second.changed_ns,
            "nothing since the exec"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(map.lookup(&pid.to_ne_bytes(), &mut value).unwrap());
        assert!(
            u64::from_ne_bytes(value) > second.at_ns,
            "the end is marked too"
        );
        changes.unwatch(pid);
        assert!(!map.lookup(&pid.to_ne_bytes(), &mut value).unwrap());
        // A thread other than the leader ending changes nothing: watched, this process's
        // connects after a thread ended still say "no change".
        let own = std::process::id();
        changes.watch(own).unwrap();
        std::thread::spawn(|| ()).join().unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let record = owners
            .record_of(sys::socket_cookie(&client).unwrap())
            .unwrap();
        assert_eq!((record.pid, record.changed_ns), (own, 0));
        changes.unwatch(own);
    }

    /// A TCP socket may connect again after a refused connect, and by then another process
    /// may hold it. A connect to 127.0.0.1 records nothing, so it must delete what the first
    /// one recorded, lest that name the socket's next connection.
    #[test]
    fn a_connect_to_localhost_deletes_what_an_earlier_connect_of_the_socket_recorded() {
        let Some((owners, listener, port)) = attached_with_listener(Ipv4Addr::LOCALHOST) else {
            return;
        };
        let closed = TcpListener::bind((OTHER_LOOPBACK, 0)).unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let mut child = python(&format!(
            "import socket, time\ns=socket.socket()\n\
             assert s.connect_ex(('127.0.0.2', {closed_port})) != 0\n\
             s.connect(('127.0.0.1', {port}))\nprint(s.getsockname()[1], flush=True)\n\
             time.sleep(5)"
        ));
        first_line(&mut child);
        let record = owners.record_of(peer_cookie(&listener));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(record, None);
    }

    #[test]
    fn a_tcp_fast_open_connect_is_recorded_too() {
        let Some((owners, listener, port)) = attached_with_listener(OTHER_LOOPBACK) else {
            return;
        };
        // sendto(MSG_FASTOPEN) connects without connect(2): the SYN carries the data.
        let mut child = std::process::Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import socket,time\ns=socket.socket()\n\
                 s.sendto(b'x', socket.MSG_FASTOPEN, ('127.0.0.2', {port}))\ntime.sleep(5)"
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
        let Some((owners, listener, port)) = attached_with_listener(OTHER_LOOPBACK) else {
            return;
        };
        // A shell's /dev/tcp connect: another process, which holds the socket at descriptor 3
        // while `sleep` keeps it open.
        let mut child = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("exec 3<>/dev/tcp/127.0.0.2/{port}; exec sleep 5"))
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
        let mut owners = ConnectOwners::attach().unwrap();
        owners._links.clear();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let cookie = sys::socket_cookie(&client).unwrap();
        let mut value = [0u8; RECORD_BYTES];
        assert!(!owners
            .records
            .lookup(&cookie.to_ne_bytes(), &mut value)
            .unwrap());
        // While attached, a record carries its own cookie (what `record_of` checks).
        let owners = ConnectOwners::attach().unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let cookie = sys::socket_cookie(&client).unwrap();
        assert!(owners
            .records
            .lookup(&cookie.to_ne_bytes(), &mut value)
            .unwrap());
        let record = parse_record(&value).unwrap();
        assert_eq!((record.pid, record.cookie), (std::process::id(), cookie));
    }
}
