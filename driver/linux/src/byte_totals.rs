//! The kernel's running byte totals of the connections we allowed, read on each
//! GetBandwidthStats: TCP from the socket's `tcp_info` (sock_diag), UDP from the conntrack
//! entry's counters (accounting on). Only flows we decided and that have not ended are read.
//!
//! How they are read depends on how many there are, because a dump walks the kernel's whole
//! table, shared by every namespace: about 2.5 ms for each of the three dumps on this machine
//! with nothing in them (`bench idle`), which once a second was most of the daemon's idle CPU.
//! - none: nothing is asked;
//! - up to [`EXACT_LIMIT`]: one exact request per flow (microseconds each);
//! - more: the dumps, which then cost less than that many requests.

use zenithfence_core::bandwidth::SocketId;
use zenithfence_core::flow::{FlowKey, IpAddress, PacketTuple};
use zenithfence_protocol::Direction;

use crate::conntrack::{Conntrack, CtEntry, AF_INET, AF_INET6};
use crate::sock_diag::{SockDiag, TcpBytes};

/// A TCP flow to read: its key, and the interface its first packet used (0 when unknown), which
/// an exact request must name to find a socket bound to that interface.
pub(crate) type TcpFlow = (FlowKey, u32);

/// Above this many live flows of one protocol, one dump is cheaper than a request each.
pub(crate) const EXACT_LIMIT: usize = 256;

/// IPv4 + UDP headers, counted by conntrack but not by a TCP socket's counters.
const UDP_V4_OVERHEAD: u64 = 28;
/// IPv6 + UDP headers.
const UDP_V6_OVERHEAD: u64 = 48;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// Running byte totals the kernel reported for a connection, under the key it is cached with
/// when we decided it; a UDP entry may be either of two keys (we opened it, or the peer did).
pub(crate) struct Totals {
    pub(crate) keys: [Option<(FlowKey, u64, u64)>; 2],
    /// The socket they are of (its cookie; 0 for a conntrack entry): a connection's running
    /// totals are kept per socket (`BandwidthAccounts`).
    pub(crate) socket: SocketId,
}

/// How one protocol's totals are read this time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Nothing,
    Exact,
    Dump,
}

/// The method for `live` flows of one protocol.
pub(crate) fn method(live: usize) -> Method {
    match live {
        0 => Method::Nothing,
        n if n <= EXACT_LIMIT => Method::Exact,
        _ => Method::Dump,
    }
}

/// TCP totals of `live` (TCP connections we allowed). Errors go to `warn`.
pub(crate) fn tcp(
    diag: &mut SockDiag,
    live: &[TcpFlow],
    warn: &mut dyn FnMut(String),
) -> Vec<Totals> {
    match method(live.len()) {
        Method::Nothing => Vec::new(),
        Method::Exact => tcp_exact(diag, live, warn),
        Method::Dump => tcp_dump(diag, warn),
    }
}

fn tcp_exact(diag: &mut SockDiag, live: &[TcpFlow], warn: &mut dyn FnMut(String)) -> Vec<Totals> {
    let mut totals = Vec::with_capacity(live.len());
    for (key, interface) in live {
        let local = (key.local_ip, key.local_port);
        let remote = (key.remote_ip, key.remote_port);
        match diag.lookup_tcp_counters(local, remote, *interface) {
            Ok(Some(socket)) => totals.extend(socket.tcp.map(|tcp| Totals {
                keys: [Some((*key, sent(&tcp), tcp.bytes_received)), None],
                socket: socket.cookie,
            })),
            Ok(None) => {} // closed: its end event brings the final totals
            Err(e) => {
                warn(format!("TCP byte counts: {e}"));
                break;
            }
        }
    }
    totals
}

/// TCP totals of every socket of the namespace (a dump), whatever the number of flows: what
/// exact lookups cannot see (a socket bound to an interface other than the one its flow's
/// first packet used, or one of a flow whose interface is unknown) is in it.
pub(crate) fn tcp_dump(diag: &mut SockDiag, warn: &mut dyn FnMut(String)) -> Vec<Totals> {
    let mut totals = Vec::new();
    for v6 in [false, true] {
        match diag.dump_tcp(v6) {
            Ok(sockets) => totals.extend(sockets.into_iter().filter_map(|socket| {
                let tcp = socket.tcp?;
                Some(Totals {
                    keys: [Some((socket.key, sent(&tcp), tcp.bytes_received)), None],
                    socket: socket.cookie,
                })
            })),
            Err(e) => warn(format!("TCP byte counts: {e}")),
        }
    }
    totals
}

/// Payload bytes sent, each once: retransmissions are not counted again.
pub(crate) fn sent(tcp: &TcpBytes) -> u64 {
    tcp.bytes_sent.saturating_sub(tcp.bytes_retrans)
}

/// UDP totals of `live` (flow keys of UDP flows we allowed). Errors go to `warn`.
pub(crate) fn udp(
    ct: &mut Conntrack,
    live: &[FlowKey],
    warn: &mut dyn FnMut(String),
) -> Vec<Totals> {
    match method(live.len()) {
        Method::Nothing => Vec::new(),
        Method::Exact => udp_exact(ct, live, warn),
        Method::Dump => udp_dump(ct, live, warn),
    }
}

fn udp_exact(ct: &mut Conntrack, live: &[FlowKey], warn: &mut dyn FnMut(String)) -> Vec<Totals> {
    let mut totals = Vec::with_capacity(live.len());
    for key in live {
        // Read as if we opened it; the kernel finds the entry either way round.
        let tuple = PacketTuple {
            protocol: IPPROTO_UDP,
            src_ip: key.local_ip,
            src_port: key.local_port,
            dst_ip: key.remote_ip,
            dst_port: key.remote_port,
        };
        match ct.get_flow(&tuple) {
            Ok(Some(entry)) => totals.push(udp_totals(&entry)),
            Ok(None) => {} // expired: its destroy event brings the final totals
            Err(e) => {
                warn(format!("UDP byte counts: {e}"));
                break;
            }
        }
    }
    totals
}

/// The UDP entries of the address families `live` has, each family one dump the kernel filters
/// to UDP (the closed TCP connections a busy host keeps for seconds are most of its table).
fn udp_dump(ct: &mut Conntrack, live: &[FlowKey], warn: &mut dyn FnMut(String)) -> Vec<Totals> {
    let has = |v6: bool| {
        live.iter()
            .any(|key| matches!(key.local_ip, IpAddress::V6(_)) == v6)
    };
    let mut totals = Vec::new();
    for (family, present) in [(AF_INET, has(false)), (AF_INET6, has(true))] {
        if !present {
            continue;
        }
        match ct.dump_protocol(family, IPPROTO_UDP) {
            Ok(entries) => totals.extend(entries.iter().map(udp_totals)),
            Err(e) => {
                warn(format!("UDP byte counts: {e}"));
                break;
            }
        }
    }
    totals
}

/// A UDP entry's payload totals under both keys it may be cached with: conntrack counts IP
/// bytes, the app counts payload, as a TCP socket's counters do.
fn udp_totals(entry: &CtEntry) -> Totals {
    let overhead = match entry.key_orig.src_ip {
        IpAddress::V6(_) => UDP_V6_OVERHEAD,
        IpAddress::V4(_) => UDP_V4_OVERHEAD,
    };
    let orig = entry
        .orig_bytes
        .saturating_sub(overhead.saturating_mul(entry.orig_packets));
    let reply = entry
        .reply_bytes
        .saturating_sub(overhead.saturating_mul(entry.reply_packets));
    let outbound = entry.key_orig.flow_key(Direction::Outbound);
    let inbound = entry.key_orig.flow_key(Direction::Inbound);
    Totals {
        keys: [Some((outbound, orig, reply)), Some((inbound, reply, orig))],
        socket: 0,
    }
}

/// Those of `asked` the kernel reported no totals for: closed, or in TIME_WAIT (whose
/// minisocket carries no counters). Only meaningful when every lookup succeeded.
pub(crate) fn not_found(asked: &[FlowKey], totals: &[Totals]) -> Vec<FlowKey> {
    let found: std::collections::HashSet<&FlowKey> = totals
        .iter()
        .flat_map(|t| t.keys.iter().flatten().map(|(key, _, _)| key))
        .collect();
    asked
        .iter()
        .filter(|key| !found.contains(key))
        .copied()
        .collect()
}

/// The live flows (each with its interface) of each protocol: (TCP, UDP).
pub(crate) fn split<'a>(
    live: impl Iterator<Item = (&'a FlowKey, u32)>,
) -> (Vec<TcpFlow>, Vec<FlowKey>) {
    let (mut tcp, mut udp) = (Vec::new(), Vec::new());
    for (key, interface) in live {
        match key.protocol {
            IPPROTO_TCP => tcp.push((*key, interface)),
            IPPROTO_UDP => udp.push(*key),
            _ => {}
        }
    }
    (tcp, udp)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sys;

    #[test]
    fn nothing_is_asked_without_flows_and_dumps_only_past_the_limit() {
        assert_eq!(method(0), Method::Nothing);
        assert_eq!(method(1), Method::Exact);
        assert_eq!(method(EXACT_LIMIT), Method::Exact);
        assert_eq!(method(EXACT_LIMIT + 1), Method::Dump);
    }

    #[test]
    fn udp_totals_are_payload_under_both_orientations() {
        let tuple = PacketTuple {
            protocol: IPPROTO_UDP,
            src_ip: IpAddress::V4([10, 0, 0, 1]),
            src_port: 5000,
            dst_ip: IpAddress::V4([10, 0, 0, 2]),
            dst_port: 53,
        };
        let entry = CtEntry {
            key_orig: tuple,
            orig_packets: 2,
            orig_bytes: 2 * 28 + 100,
            reply_packets: 1,
            reply_bytes: 28 + 300,
            mark: 0,
            id: 1,
        };
        let totals = udp_totals(&entry);
        assert_eq!(
            totals.keys,
            [
                Some((tuple.flow_key(Direction::Outbound), 100, 300)),
                Some((tuple.flow_key(Direction::Inbound), 300, 100)),
            ]
        );
    }

    /// The totals found for `key`.
    fn of(totals: &[Totals], key: &FlowKey) -> Option<(u64, u64)> {
        totals
            .iter()
            .flat_map(|t| t.keys.iter().flatten())
            .find(|(k, _, _)| k == key)
            .map(|&(_, tx, rx)| (tx, rx))
    }

    /// `SO_BINDTODEVICE` (asm-generic/socket.h).
    const SO_BINDTODEVICE: i32 = 25;
    /// The loopback interface's index, 1 in every network namespace.
    const LOOPBACK_INDEX: u32 = 1;

    #[test]
    fn kernel_exact_requests_and_dumps_give_the_same_tcp_totals() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        let mut stream = std::net::TcpStream::connect(server).unwrap();
        let (mut accepted, _) = listener.accept().unwrap();
        stream.write_all(&[1u8; 3000]).unwrap();
        accepted.read_exact(&mut [0u8; 3000]).unwrap();
        accepted.write_all(&[2u8; 700]).unwrap();
        stream.read_exact(&mut [0u8; 700]).unwrap();
        let key = FlowKey {
            protocol: IPPROTO_TCP,
            local_ip: IpAddress::V4([127, 0, 0, 1]),
            local_port: stream.local_addr().unwrap().port(),
            remote_ip: IpAddress::V4([127, 0, 0, 1]),
            remote_port: server.port(),
        };
        let mut diag = SockDiag::open().unwrap();
        let mut warnings = Vec::new();
        let mut warn = |text: String| warnings.push(text);
        let exact = tcp_exact(&mut diag, &[(key, 0)], &mut warn);
        let dumped = tcp_dump(&mut diag, &mut warn);
        assert_eq!(of(&exact, &key), Some((3000, 700)));
        assert_eq!(of(&dumped, &key), Some((3000, 700)));
        // An unbound socket is found also when its flow's interface is known.
        let on_lo = tcp_exact(&mut diag, &[(key, LOOPBACK_INDEX)], &mut warn);
        assert_eq!(of(&on_lo, &key), Some((3000, 700)));

        // Bound to lo (`SO_BINDTODEVICE`): found by the interface its flow used, and only so.
        sys::set_option(&stream, sys::SOL_SOCKET, SO_BINDTODEVICE, b"lo\0").unwrap();
        assert_eq!(
            of(&tcp_exact(&mut diag, &[(key, 0)], &mut warn), &key),
            None
        );
        let bound = tcp_exact(&mut diag, &[(key, LOOPBACK_INDEX)], &mut warn);
        assert_eq!(of(&bound, &key), Some((3000, 700)));
        assert_eq!(of(&tcp_dump(&mut diag, &mut warn), &key), Some((3000, 700)));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn kernel_exact_requests_of_a_udp_flow_that_is_gone_find_nothing_and_warn_nothing() {
        let mut ct = Conntrack::open().unwrap();
        let mut warnings = Vec::new();
        let mut warn = |text: String| warnings.push(text);
        // No such flow (a documentation address and a port of this process): nothing, no error.
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        let absent = FlowKey {
            protocol: IPPROTO_UDP,
            local_ip: IpAddress::V4([192, 0, 2, 77]),
            local_port: port,
            remote_ip: IpAddress::V4([198, 51, 100, 77]),
            remote_port: 9,
        };
        assert!(udp_exact(&mut ct, &[absent], &mut warn).is_empty());
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_flow_is_not_found_only_when_no_totals_name_it() {
        let key = |port| FlowKey {
            protocol: 6,
            local_ip: IpAddress::V4([1, 1, 1, 1]),
            local_port: port,
            remote_ip: IpAddress::V4([2, 2, 2, 2]),
            remote_port: 2,
        };
        let totals = [
            Totals {
                keys: [Some((key(1), 5, 6)), None],
                socket: 1,
            },
            Totals {
                keys: [Some((key(9), 0, 0)), Some((key(3), 0, 0))],
                socket: 0,
            },
        ];
        assert_eq!(not_found(&[key(1), key(2), key(3)], &totals), vec![key(2)]);
        assert_eq!(not_found(&[key(4)], &[]), vec![key(4)]);
    }

    #[test]
    fn split_keeps_tcp_and_udp_apart_and_drops_the_rest() {
        let key = |protocol| FlowKey {
            protocol,
            local_ip: IpAddress::V4([1, 1, 1, 1]),
            local_port: 1,
            remote_ip: IpAddress::V4([2, 2, 2, 2]),
            remote_port: 2,
        };
        let keys = [(key(6), 3), (key(17), 4), (key(1), 5), (key(6), 0)];
        let (tcp, udp) = split(keys.iter().map(|(key, interface)| (key, *interface)));
        assert_eq!(tcp, [(key(6), 3), (key(6), 0)], "each with its interface");
        assert_eq!(udp, [key(17)]);
    }
}
