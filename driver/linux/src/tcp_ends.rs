//! TCP connection ends from the kernel's `sock_ops` state callbacks (`end_program.rs`): the
//! program notes each end of a connection of the daemon's namespace that may be held, with its
//! byte counts, in a map the `tcp-ends` thread drains. Without BPF (`--no-bpf`, an older kernel,
//! no rights) the daemon reads the kernel's socket-destroy events instead
//! (`sock_diag::DestroyListener`), which cost every TCP socket of the namespace a message filled
//! on a kernel worker, loopback ones included.

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::{AsRawFd, OwnedFd};

use zenithfence_core::flow::{FlowKey, IpAddress};

use crate::bpf_sys::{self, BatchBuffers, BpfMap, MapKind};
use crate::connect_owners::{open_cgroup2_root, ATTACH_SOCK_OPS, PROG_TYPE_SOCK_OPS};
use crate::end_program::{note_tcp_ends, END_KEY_BYTES, END_VALUE_BYTES};
use crate::sys;

/// Room for the ends noted between two drains: 16 384 (a drain every 100 ms keeps up with
/// 160 000 ends a second; beyond that the oldest go, see `end_program.rs`).
pub(crate) const TCP_ENDS_ROOM: u32 = 16_384;
/// Entries per batch: the kernel fills 4 096 with one call, a quarter megabyte of buffers.
const BATCH: usize = 4_096;
/// `AF_INET`, `AF_INET6` as `bpf_sock_ops.family` gives them.
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;
/// TCP states (`include/net/tcp_states.h`) after which our FIN was acknowledged, so the
/// kernel's `bytes_acked` counts it: `FIN_WAIT2`, `TIME_WAIT`, `LAST_ACK`, `CLOSING`.
const FIN_ACKED_STATES: [u32; 4] = [5, 6, 9, 11];

/// One TCP connection's end, as the program noted it.
#[derive(Debug, PartialEq)]
pub(crate) struct TcpEnd {
    pub(crate) cookie: u64,
    /// When it ended (`CLOCK_MONOTONIC` nanoseconds): ends are handled in this order.
    pub(crate) closed_ns: u64,
    /// The connection, as the socket saw it (an IPv6 socket's IPv4-mapped addresses as IPv4,
    /// as its packets show them).
    pub(crate) key: FlowKey,
    /// Bytes the peer acknowledged, our FIN left out (the kernel counts it): the data, and the
    /// SYN of a connection this side made ([`data_sent`] takes that out); and bytes received
    /// (the peer's FIN included, as in `tcp_info`).
    pub(crate) acked: u64,
    pub(crate) received: u64,
}

/// The data bytes a connection sent, from its `acked` count: the kernel counts the SYN of a
/// connection this side made (the peer acknowledges it), while an accepted connection's count
/// starts after its SYN-ACK.
pub(crate) fn data_sent(acked: u64, made_here: bool) -> u64 {
    if made_here {
        acked.saturating_sub(1)
    } else {
        acked
    }
}

/// The attached program and its map; dropping it detaches the program.
pub(crate) struct TcpEnds {
    map: BpfMap,
    /// Kept for every drain (`BpfMap::take_batch`).
    buffers: BatchBuffers,
    _link: OwnedFd,
}

impl TcpEnds {
    /// Loads the program for the calling thread's network namespace and attaches it at the
    /// root of the cgroup v2 hierarchy. Refused inside a cgroup namespace: the root seen there
    /// is a subtree, and the connections of processes outside it would never end.
    pub(crate) fn attach() -> io::Result<TcpEnds> {
        if !in_initial_cgroup_namespace()? {
            return Err(io::Error::other(
                "in a cgroup namespace, whose root is not the whole hierarchy",
            ));
        }
        let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        let netns = sys::netns_cookie(&probe)?;
        let map = BpfMap::create(
            MapKind::LruHash,
            END_KEY_BYTES as u32,
            END_VALUE_BYTES as u32,
            TCP_ENDS_ROOM,
        )?;
        let program = note_tcp_ends(map.as_raw_fd(), netns);
        let mut log = vec![0u8; 64 * 1024];
        let loaded = bpf_sys::prog_load(PROG_TYPE_SOCK_OPS, 0, &program, &mut log)?;
        let cgroup: File = open_cgroup2_root()?;
        let link = bpf_sys::link_create(&loaded, &cgroup, ATTACH_SOCK_OPS)?;
        let buffers = map.batch_buffers(BATCH);
        Ok(TcpEnds {
            map,
            buffers,
            _link: link,
        })
    }

    /// Takes out the ends noted so far, at most about `max`: in batches (one system call for
    /// thousands), else one key at a time should the kernel refuse a batch.
    pub(crate) fn drain(&mut self, max: usize) -> io::Result<Vec<TcpEnd>> {
        let mut ends = Vec::new();
        let batch = self.map.take_batch(max, &mut self.buffers, |key, value| {
            let key: Result<&[u8; END_KEY_BYTES], _> = key.try_into();
            let value: Result<&[u8; END_VALUE_BYTES], _> = value.try_into();
            if let (Ok(key), Ok(value)) = (key, value) {
                ends.extend(parse_end(key, value));
            }
        });
        if batch.is_ok() {
            return Ok(ends);
        }
        let mut key = [0u8; END_KEY_BYTES];
        let mut value = [0u8; END_VALUE_BYTES];
        // Always from the first key: each one taken is deleted.
        while ends.len() < max && self.map.next_key(None, &mut key)? {
            if self.map.lookup(&key, &mut value)? {
                ends.extend(parse_end(&key, &value));
            }
            self.map.delete(&key)?;
        }
        Ok(ends)
    }
}

/// The inode number of the initial cgroup namespace (`PROC_CGROUP_INIT_INO`, fixed by the
/// kernel since cgroup namespaces exist).
const INITIAL_CGROUP_NAMESPACE: u64 = 0xEFFF_FFFB;

/// Whether the calling thread sees the whole cgroup hierarchy.
fn in_initial_cgroup_namespace() -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata("/proc/thread-self/ns/cgroup")?.ino() == INITIAL_CGROUP_NAMESPACE)
}

/// The end the program wrote under `key`; none for a family it cannot have written.
pub(crate) fn parse_end(
    key: &[u8; END_KEY_BYTES],
    value: &[u8; END_VALUE_BYTES],
) -> Option<TcpEnd> {
    let cookie = u64::from_ne_bytes(key.get(0..8)?.try_into().ok()?);
    let closed_ns = u64::from_ne_bytes(key.get(8..16)?.try_into().ok()?);
    let u64_at = |at: usize| -> Option<u64> {
        Some(u64::from_ne_bytes(value.get(at..at + 8)?.try_into().ok()?))
    };
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(value.get(at..at + 4)?.try_into().ok()?))
    };
    let sixteen = |at: usize| -> Option<[u8; 16]> { value.get(at..at + 16)?.try_into().ok() };
    let acked = u64_at(0)?;
    let received = u64_at(8)?;
    let old_state = u32_at(16)?;
    let family = u32_at(20)?;
    let local_port = u16::try_from(u32_at(24)?).ok()?;
    // The remote port's two bytes in network order, in the upper half of the word.
    let remote_port = u16::from_be_bytes(value.get(30..32)?.try_into().ok()?);
    let (local_ip, remote_ip) = match family {
        AF_INET => {
            let four = |at: usize| -> Option<IpAddress> {
                Some(IpAddress::V4(value.get(at..at + 4)?.try_into().ok()?))
            };
            (four(32)?, four(48)?)
        }
        AF_INET6 => (unmapped(sixteen(32)?), unmapped(sixteen(48)?)),
        _ => return None,
    };
    let fin = u64::from(FIN_ACKED_STATES.contains(&old_state));
    Some(TcpEnd {
        cookie,
        closed_ns,
        key: FlowKey {
            protocol: 6,
            local_ip,
            local_port,
            remote_ip,
            remote_port,
        },
        acked: acked.saturating_sub(fin),
        received,
    })
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address its packets carry.
fn unmapped(address: [u8; 16]) -> IpAddress {
    match address {
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d] => IpAddress::V4([a, b, c, d]),
        other => IpAddress::V6(other),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    fn value(
        acked: u64,
        received: u64,
        old_state: u32,
        family: u32,
        ports: (u16, u16),
        local: [u8; 16],
        remote: [u8; 16],
    ) -> [u8; END_VALUE_BYTES] {
        let mut v = [0u8; END_VALUE_BYTES];
        v[0..8].copy_from_slice(&acked.to_ne_bytes());
        v[8..16].copy_from_slice(&received.to_ne_bytes());
        v[16..20].copy_from_slice(&old_state.to_ne_bytes());
        v[20..24].copy_from_slice(&family.to_ne_bytes());
        v[24..28].copy_from_slice(&u32::from(ports.0).to_ne_bytes());
        v[30..32].copy_from_slice(&ports.1.to_be_bytes());
        v[32..48].copy_from_slice(&local);
        v[48..64].copy_from_slice(&remote);
        v
    }

    fn key(cookie: u64, closed_ns: u64) -> [u8; END_KEY_BYTES] {
        let mut k = [0u8; END_KEY_BYTES];
        k[..8].copy_from_slice(&cookie.to_ne_bytes());
        k[8..].copy_from_slice(&closed_ns.to_ne_bytes());
        k
    }

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut x = [0u8; 16];
        x[..4].copy_from_slice(&a);
        x
    }

    #[test]
    fn an_end_gives_data_bytes_without_the_syn_and_an_acknowledged_fin() {
        let reset = value(
            12_346,
            777,
            1,
            AF_INET,
            (40_000, 443),
            v4([10, 0, 0, 1]),
            v4([10, 0, 0, 2]),
        );
        let end = parse_end(&key(9, 1_234_567_890_123), &reset).unwrap();
        assert_eq!((end.cookie, end.closed_ns), (9, 1_234_567_890_123));
        assert_eq!((end.acked, end.received), (12_346, 777));
        assert_eq!(data_sent(end.acked, true), 12_345, "made here: the SYN out");
        assert_eq!(
            data_sent(end.acked, false),
            12_346,
            "accepted: no SYN in it"
        );
        assert_eq!(
            end.key,
            FlowKey {
                protocol: 6,
                local_ip: IpAddress::V4([10, 0, 0, 1]),
                local_port: 40_000,
                remote_ip: IpAddress::V4([10, 0, 0, 2]),
                remote_port: 443,
            }
        );
        for state in FIN_ACKED_STATES {
            let closed = value(12_347, 778, state, AF_INET, (1, 2), v4([1; 4]), v4([2; 4]));
            assert_eq!(
                parse_end(&key(9, 5), &closed).unwrap().acked,
                12_346,
                "state {state}"
            );
        }
        // A connection refused or never answered: nothing sent, and no underflow.
        let refused = value(0, 0, 2, AF_INET, (1, 2), v4([1; 4]), v4([2; 4]));
        assert_eq!(
            data_sent(parse_end(&key(9, 5), &refused).unwrap().acked, true),
            0
        );
    }

    #[test]
    fn ipv6_ends_keep_their_addresses_and_mapped_ones_become_ipv4() {
        let mut local = [0u8; 16];
        local[15] = 1;
        let mut remote = [0u8; 16];
        remote[0] = 0x20;
        remote[15] = 2;
        let end = parse_end(&key(1, 5), &value(2, 0, 1, AF_INET6, (5, 6), local, remote)).unwrap();
        assert_eq!(end.key.local_ip, IpAddress::V6(local));
        assert_eq!(end.key.remote_ip, IpAddress::V6(remote));
        let mapped = |a: [u8; 4]| {
            let mut x = [0u8; 16];
            x[10] = 0xff;
            x[11] = 0xff;
            x[12..].copy_from_slice(&a);
            x
        };
        let end = parse_end(
            &key(1, 5),
            &value(
                2,
                0,
                1,
                AF_INET6,
                (5, 6),
                mapped([192, 0, 2, 1]),
                mapped([192, 0, 2, 2]),
            ),
        )
        .unwrap();
        assert_eq!(end.key.local_ip, IpAddress::V4([192, 0, 2, 1]));
        assert_eq!(end.key.remote_ip, IpAddress::V4([192, 0, 2, 2]));
        assert_eq!(
            parse_end(&key(1, 5), &value(2, 0, 1, 99, (5, 6), local, remote)),
            None
        );
    }

    #[test]
    fn inside_a_cgroup_namespace_the_program_is_not_attached() {
        if !in_initial_cgroup_namespace().unwrap() {
            println!("skipped: the tests already run in a cgroup namespace");
            return;
        }
        let inside = std::thread::spawn(|| {
            if sys::unshare_cgroup_namespace().is_err() {
                return None; // not root: nothing to see
            }
            Some((
                in_initial_cgroup_namespace().unwrap(),
                TcpEnds::attach().err().map(|e| e.to_string()),
            ))
        })
        .join()
        .unwrap();
        let Some((initial, refused)) = inside else {
            println!("skipped: no right to make a cgroup namespace");
            return;
        };
        assert!(!initial);
        assert!(refused.unwrap().contains("cgroup namespace"));
    }

    #[test]
    fn a_batch_takes_every_entry_once_and_empties_the_map() {
        let Ok(map) = BpfMap::create(
            MapKind::LruHash,
            END_KEY_BYTES as u32,
            END_VALUE_BYTES as u32,
            TCP_ENDS_ROOM,
        ) else {
            println!("skipped: no BPF maps here");
            return;
        };
        let value = value(2, 0, 1, AF_INET, (1, 2), v4([1; 4]), v4([2; 4]));
        for cookie in 0..5_000u64 {
            assert!(map.insert(&key(cookie, 7), &value).unwrap());
        }
        let mut seen = Vec::new();
        let taken = map
            .take_batch(10_000, &mut map.batch_buffers(BATCH), |key, value| {
                let end = parse_end(key.try_into().unwrap(), value.try_into().unwrap()).unwrap();
                assert_eq!(end.closed_ns, 7);
                seen.push(end.cookie)
            })
            .unwrap();
        seen.sort_unstable();
        assert_eq!(taken, 5_000);
        assert_eq!(seen, (0..5_000).collect::<Vec<_>>());
        let mut first_key = [0u8; END_KEY_BYTES];
        assert!(
            !map.next_key(None, &mut first_key).unwrap(),
            "the map is empty"
        );
        // At most `max` (rounded up to the batch the kernel returned), the rest left.
        for cookie in 0..100u64 {
            map.insert(&key(cookie, 7), &value).unwrap();
        }
        let mut buffers = map.batch_buffers(BATCH);
        let first = map.take_batch(10, &mut buffers, |_, _| {}).unwrap();
        assert!((10..100).contains(&first), "{first}");
        let rest = map.take_batch(1_000, &mut buffers, |_, _| {}).unwrap();
        assert_eq!(first + rest, 100);
    }

    /// Connections made and closed inside the test's namespace, one per argument
    /// `family,local,remote,close` (`close` is `reset` or `fin`): the client sends 12 345 bytes,
    /// the server 777, then the client closes; with `fin` both sides read to the end. Prints a
    /// line per connection: the client's cookie, the server's, and the server's port.
    const CONNECTIONS: &str = r#"
import socket, struct, sys
def cookie(s):
    return int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 57, 8), sys.byteorder)
def read(s, n):
    got = b''
    while len(got) < n:
        got += s.recv(n - len(got))
for case in sys.argv[1:]:
    family, local, remote, close = case.split(',')
    family = socket.AF_INET6 if family == '6' else socket.AF_INET
    listener = socket.socket(family)
    listener.bind((remote, 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.socket(family)
    client.bind((local, 0))
    client.connect((remote, port))
    served, _ = listener.accept()
    listener.close()
    print(cookie(client), cookie(served), port, flush=True)
    client.sendall(b'x' * 12345)
    read(served, 12345)
    served.sendall(b'y' * 777)
    read(client, 777)
    if close == 'reset':
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        client.close()
        served.close()
    else:
        client.shutdown(socket.SHUT_WR)
        while served.recv(65536):
            pass
        served.close()
        while client.recv(65536):
            pass
        client.close()
"#;

    /// One socket from 10.77.0.1: a connect to 10.77.0.2:argv[1] (refused), then to
    /// 10.77.0.2:argv[2], closed with a reset; prints the socket's cookie.
    const CONNECTS_TWICE: &str = r#"
import socket, struct, sys
s = socket.socket()
s.bind(('10.77.0.1', 0))
try:
    s.connect(('10.77.0.2', int(sys.argv[1])))
except ConnectionRefusedError:
    pass
s.connect(('10.77.0.2', int(sys.argv[2])))
print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 57, 8), sys.byteorder), flush=True)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
"#;

    /// Runs python3 with `script` and `args`; its output's lines, split at spaces, as numbers.
    fn python_lines(script: &str, args: &[&str]) -> Vec<Vec<u64>> {
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|line| line.split(' ').map(|n| n.parse().unwrap()).collect())
            .collect()
    }

    /// Takes ends until one of each of `cookies`, or `count` of them in all, are in (at most 2 s);
    /// then what came within another 100 ms.
    fn ends_of(ends: &mut TcpEnds, cookies: &[u64], count: usize) -> Vec<TcpEnd> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut seen: Vec<TcpEnd> = Vec::new();
        let mine = |seen: &Vec<TcpEnd>| seen.iter().filter(|e| cookies.contains(&e.cookie)).count();
        while mine(&seen) < count && Instant::now() < deadline {
            seen.extend(ends.drain(10_000).unwrap());
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        seen.extend(ends.drain(10_000).unwrap());
        seen.retain(|e| cookies.contains(&e.cookie));
        seen
    }

    #[test]
    fn the_kernel_notes_each_end_with_its_bytes_and_none_between_loopback_addresses() {
        crate::root_tests::in_own_namespace(|| {
            use crate::root_tests::run_ok;
            run_ok("ip", &["link", "set", "lo", "up"]);
            // Addresses of this host that are not loopback ones; a connection between two of
            // them goes over loopback too, but may be held (its address is the machine's).
            for address in ["10.77.0.1/32", "10.77.0.2/32"] {
                run_ok("ip", &["addr", "add", address, "dev", "lo"]);
            }
            for address in ["fd77::1/128", "fd77::2/128"] {
                run_ok("ip", &["addr", "add", address, "dev", "lo", "nodad"]);
            }
            let Ok(mut ends) = TcpEnds::attach() else {
                // No cgroup v2 or no BPF here: the daemon then reads destroy events.
                println!("skipped: the program could not be attached");
                return;
            };
            let noted = python_lines(
                CONNECTIONS,
                &[
                    "4,10.77.0.1,10.77.0.2,reset",
                    "4,10.77.0.1,10.77.0.2,fin",
                    "6,fd77::1,fd77::2,reset",
                    // One loopback end: as a port forwarded to a local-only service is
                    // accepted, which the daemon holds.
                    "4,10.77.0.1,127.0.0.1,reset",
                    "6,fd77::1,::1,reset",
                ],
            );
            // Loopback on both ends, or one address: never held, never noted.
            let loopback = python_lines(
                CONNECTIONS,
                &[
                    "4,127.0.0.1,127.0.0.2,reset",
                    "6,::ffff:127.0.0.1,::ffff:127.0.0.2,reset",
                    "4,10.77.0.1,10.77.0.1,reset",
                    "6,::1,::1,reset",
                ],
            );
            assert_eq!((noted.len(), loopback.len()), (5, 4));
            let client_cookies: Vec<u64> = noted.iter().map(|line| line[0]).collect();
            let server_cookies: Vec<u64> = noted.iter().map(|line| line[1]).collect();
            let all: Vec<u64> = client_cookies
                .iter()
                .chain(&server_cookies)
                .copied()
                .collect();
            let loopback_cookies: Vec<u64> = loopback.iter().flat_map(|l| [l[0], l[1]]).collect();
            // One drain for both kinds: the loopback ones would have been noted by now.
            let everything: Vec<u64> = all.iter().chain(&loopback_cookies).copied().collect();
            let seen = ends_of(&mut ends, &everything, all.len());
            let noted_loopback: Vec<&TcpEnd> = seen
                .iter()
                .filter(|e| loopback_cookies.contains(&e.cookie))
                .collect();
            assert!(noted_loopback.is_empty(), "{noted_loopback:?}");
            let end_of = |cookie: &u64| {
                let end = seen.iter().find(|e| e.cookie == *cookie);
                end.unwrap_or_else(|| unreachable!("no end for cookie {cookie}: {seen:?}"))
            };
            // The client: 12 345 bytes sent, 777 received (and the server's FIN in the closed
            // one, whose server closed second, after reading the client's FIN).
            for (line, received) in noted.iter().zip([777, 778, 777, 777, 777]) {
                let end = end_of(&line[0]);
                let sent = data_sent(end.acked, true);
                assert_eq!((sent, end.received), (12_345, received), "{end:?}");
                assert_eq!(u64::from(end.key.remote_port), line[2]);
            }
            for (line, received) in noted.iter().zip([12_345, 12_346, 12_345, 12_345, 12_345]) {
                let end = end_of(&line[1]);
                let sent = data_sent(end.acked, false);
                assert_eq!((sent, end.received), (777, received), "{end:?}");
                assert_eq!(u64::from(end.key.local_port), line[2]);
            }
            let v6 = end_of(&noted[2][0]);
            assert!(matches!(v6.key.remote_ip, IpAddress::V6(_)), "{v6:?}");

            // One socket, two connections: refused at a closed port, then made and reset.
            // Each end is kept, in the order they happened.
            let closed_port = python_lines(
                "import socket; s = socket.socket(); s.bind(('10.77.0.2', 0)); print(s.getsockname()[1])",
                &[],
            )[0][0];
            let listener = TcpListener::bind("10.77.0.2:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let twice = python_lines(
                CONNECTS_TWICE,
                &[&closed_port.to_string(), &port.to_string()],
            )[0][0];
            drop(listener.accept().unwrap());
            let mut both = ends_of(&mut ends, &[twice], 2);
            both.sort_unstable_by_key(|e| e.closed_ns);
            let remote_ports: Vec<u64> =
                both.iter().map(|e| u64::from(e.key.remote_port)).collect();
            assert_eq!(remote_ports, [closed_port, u64::from(port)], "{both:?}");
            assert!(both[0].closed_ns < both[1].closed_ns, "{both:?}");
        });
    }
}
