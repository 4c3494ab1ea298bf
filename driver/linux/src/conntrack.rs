//! Conntrack over ctnetlink (`NETLINK_NETFILTER`, subsystem `CTNETLINK`): dump the table with
//! counters, delete entries by mark or by tuple, and receive destroy events. Layouts from the
//! kernel's `nfnetlink_conntrack.h`; every attribute payload is big-endian.
//!
//! Counters are only kept when `net.netfilter.nf_conntrack_acct=1` (per network namespace, for
//! entries created after it is set), and conntrack only tracks anything in a namespace where some
//! rule references it. Counters appear in dumps and DESTROY events, not in NEW or UPDATE events.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use zenithfence_core::flow::{IpAddress, PacketTuple};

use crate::errno::{EINVAL, ENOENT, EOPNOTSUPP};
use crate::netlink::{
    self, nfgenmsg, Attr, EventSocket, MessageBuilder, NetlinkSocket, BURST_DATAGRAMS, NLM_F_ACK,
    NLM_F_DUMP, NLM_F_REQUEST,
};
use crate::sys;

/// `NETLINK_NETFILTER`.
const NETLINK_NETFILTER: i32 = 12;
/// `NFNL_SUBSYS_CTNETLINK`.
const SUBSYS_CTNETLINK: u16 = 1;
/// `IPCTNL_MSG_CT_NEW`: dump entries and NEW/UPDATE events.
const MSG_CT_NEW: u16 = SUBSYS_CTNETLINK << 8;
/// `IPCTNL_MSG_CT_GET`.
const MSG_CT_GET: u16 = (SUBSYS_CTNETLINK << 8) | 1;
/// `IPCTNL_MSG_CT_DELETE`: the delete request and the DESTROY event.
const MSG_CT_DELETE: u16 = (SUBSYS_CTNETLINK << 8) | 2;

/// `NFNLGRP_CONNTRACK_DESTROY` (group 3, bind mask bit 2).
const NFNLGRP_CONNTRACK_DESTROY: u32 = 3;

/// `CTA_TUPLE_ORIG`.
const CTA_TUPLE_ORIG: u16 = 1;
/// `CTA_MARK`.
const CTA_MARK: u16 = 8;
/// `CTA_COUNTERS_ORIG`.
const CTA_COUNTERS_ORIG: u16 = 9;
/// `CTA_COUNTERS_REPLY`.
const CTA_COUNTERS_REPLY: u16 = 10;
/// `CTA_ID`.
const CTA_ID: u16 = 12;
/// `CTA_MARK_MASK`.
const CTA_MARK_MASK: u16 = 21;
/// `AF_INET`.
pub(crate) const AF_INET: u8 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u8 = 10;
/// `CTA_FILTER` (Linux 5.8+): what a dump keeps.
const CTA_FILTER: u16 = 25;
/// `CTA_FILTER_ORIG_FLAGS`: which fields of the request's original tuple must match.
const CTA_FILTER_ORIG_FLAGS: u16 = 1;
/// `CTA_FILTER_REPLY_FLAGS`.
const CTA_FILTER_REPLY_FLAGS: u16 = 2;
/// `CTA_FILTER_F_CTA_PROTO_NUM`: the protocol number.
const FILTER_PROTO_NUM: u32 = 1 << 3;
/// `CTA_TUPLE_IP`.
const CTA_TUPLE_IP: u16 = 1;
/// `CTA_TUPLE_PROTO`.
const CTA_TUPLE_PROTO: u16 = 2;
/// `CTA_IP_V4_SRC`.
const CTA_IP_V4_SRC: u16 = 1;
/// `CTA_IP_V4_DST`.
const CTA_IP_V4_DST: u16 = 2;
/// `CTA_IP_V6_SRC`.
const CTA_IP_V6_SRC: u16 = 3;
/// `CTA_IP_V6_DST`.
const CTA_IP_V6_DST: u16 = 4;
/// `CTA_PROTO_NUM`.
const CTA_PROTO_NUM: u16 = 1;
/// `CTA_PROTO_SRC_PORT`.
const CTA_PROTO_SRC_PORT: u16 = 2;
/// `CTA_PROTO_DST_PORT`.
const CTA_PROTO_DST_PORT: u16 = 3;
/// `CTA_COUNTERS_PACKETS` (be64).
const CTA_COUNTERS_PACKETS: u16 = 1;
/// `CTA_COUNTERS_BYTES` (be64).
const CTA_COUNTERS_BYTES: u16 = 2;
/// `CTA_COUNTERS32_PACKETS` (be32, old kernels).
const CTA_COUNTERS32_PACKETS: u16 = 3;
/// `CTA_COUNTERS32_BYTES` (be32, old kernels).
const CTA_COUNTERS32_BYTES: u16 = 4;

/// `AF_UNSPEC`: requests that cover IPv4 and IPv6.
const AF_UNSPEC: u8 = 0;

/// Protocols whose conntrack tuple is made of ports: TCP, UDP, DCCP, SCTP, UDP-Lite.
const PORT_PROTOCOLS: [u8; 5] = [6, 17, 33, 132, 136];

/// Receive buffer for dump replies and events.
const BUF_LEN: usize = 128 * 1024;
/// How long a dump or delete waits for each reply datagram before failing with `WouldBlock`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One conntrack entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CtEntry {
    /// The original direction (the first packet's source and destination); ports are 0 for
    /// protocols without ports (ICMP included).
    pub(crate) key_orig: PacketTuple,
    /// Packets in the original direction (0 without `nf_conntrack_acct`).
    pub(crate) orig_packets: u64,
    /// L3 bytes in the original direction (IP headers included).
    pub(crate) orig_bytes: u64,
    /// Packets in the reply direction.
    pub(crate) reply_packets: u64,
    /// L3 bytes in the reply direction.
    pub(crate) reply_bytes: u64,
    /// The connection mark (0 when the kernel left the attribute out).
    pub(crate) mark: u32,
    /// The kernel's id of the entry (0 when absent).
    pub(crate) id: u32,
}

/// Request socket for dumps and deletes.
pub(crate) struct Conntrack {
    socket: NetlinkSocket,
    /// The kernel refused a dump filter (before Linux 5.8): dumps are filtered here instead.
    filter_refused: bool,
}

impl Conntrack {
    /// Opens a ctnetlink socket (dumps need no privilege, deletes CAP_NET_ADMIN). Each reply
    /// read waits at most 5 s.
    pub(crate) fn open() -> io::Result<Conntrack> {
        Ok(Conntrack {
            socket: NetlinkSocket::open_requests(NETLINK_NETFILTER, REQUEST_TIMEOUT, BUF_LEN)?,
            filter_refused: false,
        })
    }

    /// Every entry of this network namespace, IPv4 and IPv6 (about 3.4 µs per entry).
    pub(crate) fn dump(&mut self) -> io::Result<Vec<CtEntry>> {
        let seq = self.socket.next_seq();
        let message = MessageBuilder::new(MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, seq)
            .raw(&nfgenmsg(AF_UNSPEC, 0))
            .finish();
        self.socket.dump(&message, seq, MSG_CT_NEW, parse_entry)
    }

    /// The entries of one IP `protocol` in one address `family` (`AF_INET` or `AF_INET6`): the
    /// kernel filters (Linux 5.8+), so the entries of other protocols, such as the thousands a
    /// host's closed TCP connections leave for seconds, cost neither their encoding nor our
    /// parsing (most of a dump's cost: `ctnetlink_fill_info`). A kernel that refuses the
    /// filter gets the whole dump, filtered here, from then on.
    pub(crate) fn dump_protocol(&mut self, family: u8, protocol: u8) -> io::Result<Vec<CtEntry>> {
        let keep = |entry: &CtEntry| {
            entry.key_orig.protocol == protocol
                && matches!(
                    (family, entry.key_orig.src_ip),
                    (AF_INET, IpAddress::V4(_)) | (AF_INET6, IpAddress::V6(_))
                )
        };
        if !self.filter_refused {
            match self.filtered_dump(family, protocol) {
                // Kept to what was asked for, whatever a kernel makes of the filter.
                Ok(entries) => return Ok(entries.into_iter().filter(keep).collect()),
                Err(e) if matches!(e.raw_os_error(), Some(EINVAL | EOPNOTSUPP)) => {
                    self.filter_refused = true;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(self.dump()?.into_iter().filter(keep).collect())
    }

    /// A dump the kernel filters to `protocol` in `family`, as it answers it.
    fn filtered_dump(&mut self, family: u8, protocol: u8) -> io::Result<Vec<CtEntry>> {
        let seq = self.socket.next_seq();
        let message = MessageBuilder::new(MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, seq)
            .raw(&nfgenmsg(family, 0))
            .nest(CTA_TUPLE_ORIG)
            .nest(CTA_TUPLE_PROTO)
            .attr(CTA_PROTO_NUM, &[protocol])
            .end_nest()
            .end_nest()
            .nest(CTA_FILTER)
            .attr(CTA_FILTER_ORIG_FLAGS, &FILTER_PROTO_NUM.to_ne_bytes())
            .attr(CTA_FILTER_REPLY_FLAGS, &0u32.to_ne_bytes())
            .end_nest()
            .finish();
        self.socket.dump(&message, seq, MSG_CT_NEW, parse_entry)
    }

    /// Deletes every entry (IPv4 and IPv6) whose mark, ANDed with `mask`, equals `mark`; the
    /// kernel filters and deletes in one pass and sends a DESTROY event for each. Needs
    /// CAP_NET_ADMIN.
    pub(crate) fn delete_by_mark(&mut self, mark: u32, mask: u32) -> io::Result<()> {
        let seq = self.socket.next_seq();
        let message = MessageBuilder::new(MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, seq)
            .raw(&nfgenmsg(AF_UNSPEC, 0))
            .attr(CTA_MARK, &mark.to_be_bytes())
            .attr(CTA_MARK_MASK, &mask.to_be_bytes())
            .finish();
        self.socket.request_ack(&message, seq)
    }

    /// Deletes the entry whose original tuple is `tuple` (zone 0). `Ok(false)` when there is no
    /// such entry. Only port protocols (TCP, UDP, SCTP, DCCP, UDP-Lite) and protocols without a
    /// tuple of their own can be named this way; ICMP needs its id, type and code and gets
    /// `EINVAL`. Needs CAP_NET_ADMIN.
    pub(crate) fn delete_flow(&mut self, tuple: &PacketTuple) -> io::Result<bool> {
        let seq = self.socket.next_seq();
        let message = tuple_message(
            MSG_CT_DELETE,
            NLM_F_REQUEST | NLM_F_ACK,
            CTA_TUPLE_ORIG,
            tuple,
            seq,
        )?;
        match self.socket.request_ack(&message, seq) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl Conntrack {
    /// One entry (zone 0) with its counters: the one with `tuple` as its original or its reply
    /// tuple (the kernel's hash holds both directions, so either way of reading a flow finds
    /// it). What one flow costs to read, where a dump walks the kernel's whole table
    /// (milliseconds, shared by every namespace). `Ok(None)` when there is no such entry. Port
    /// protocols only, as for [`Conntrack::delete_flow`].
    pub(crate) fn get_flow(&mut self, tuple: &PacketTuple) -> io::Result<Option<CtEntry>> {
        let seq = self.socket.next_seq();
        let message = tuple_message(MSG_CT_GET, NLM_F_REQUEST, CTA_TUPLE_ORIG, tuple, seq)?;
        self.socket
            .request_one(&message, seq, MSG_CT_NEW, parse_entry)
    }
}

/// A ctnetlink request of `kind` naming one entry by a tuple (attribute `which`).
fn tuple_message(
    kind: u16,
    flags: u16,
    which: u16,
    tuple: &PacketTuple,
    seq: u32,
) -> io::Result<Vec<u8>> {
    let (family, ip) = match (tuple.src_ip, tuple.dst_ip) {
        (IpAddress::V4(src), IpAddress::V4(dst)) => (
            AF_INET,
            [(CTA_IP_V4_SRC, src.to_vec()), (CTA_IP_V4_DST, dst.to_vec())],
        ),
        (IpAddress::V6(src), IpAddress::V6(dst)) => (
            AF_INET6,
            [(CTA_IP_V6_SRC, src.to_vec()), (CTA_IP_V6_DST, dst.to_vec())],
        ),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "source and destination address families differ",
            ))
        }
    };
    let mut message = MessageBuilder::new(kind, flags, seq)
        .raw(&nfgenmsg(family, 0))
        .nest(which)
        .nest(CTA_TUPLE_IP);
    for (kind, address) in &ip {
        message = message.attr(*kind, address);
    }
    message = message
        .end_nest()
        .nest(CTA_TUPLE_PROTO)
        .attr(CTA_PROTO_NUM, &[tuple.protocol]);
    if PORT_PROTOCOLS.contains(&tuple.protocol) {
        message = message
            .attr(CTA_PROTO_SRC_PORT, &tuple.src_port.to_be_bytes())
            .attr(CTA_PROTO_DST_PORT, &tuple.dst_port.to_be_bytes());
    }
    Ok(message.end_nest().end_nest().finish())
}

/// Subscriber to conntrack DESTROY events (`NFNLGRP_CONNTRACK_DESTROY`). An entry ends when its
/// timeout expires (TIME_WAIT 120 s by default) and the garbage collector gets to it, which can be
/// tens of seconds later and in a batch; deletes by `Conntrack` arrive at once.
pub(crate) struct EventListener {
    events: EventSocket,
}

impl EventListener {
    /// Subscribes to DESTROY events. Needs CAP_NET_ADMIN. With `nf_conntrack_events=2` (the
    /// default) entries only carry events when a listener existed at their creation.
    pub(crate) fn open() -> io::Result<EventListener> {
        let file = sys::netlink_socket(NETLINK_NETFILTER, 1 << (NFNLGRP_CONNTRACK_DESTROY - 1))?;
        // The garbage collector delivers expired entries in batches.
        let _ = sys::set_int_option(&file, sys::SOL_SOCKET, sys::SO_RCVBUFFORCE, 8 << 20);
        Ok(EventListener {
            events: EventSocket::new(file, BUF_LEN),
        })
    }

    /// Waits up to `timeout` (at least 1 µs, which the kernel rounds up to one clock tick) and
    /// returns the destroyed entries of one read: empty on timeout. A receive-buffer overflow is
    /// counted in [`EventListener::overruns`] and also returns empty; the socket stays usable.
    pub(crate) fn recv(&mut self, timeout: Duration) -> io::Result<Vec<CtEntry>> {
        self.events.recv(timeout, MSG_CT_DELETE, parse_entry)
    }

    /// Like [`EventListener::recv`], then takes every entry already waiting behind the first:
    /// the garbage collector's batch, or a burst of ends, costs one wake-up of the reader.
    pub(crate) fn recv_burst(&mut self, timeout: Duration) -> io::Result<Vec<CtEntry>> {
        let mut entries = self.recv(timeout)?;
        if !entries.is_empty() {
            // What was read stays read: a failing drain ends the burst, and the next blocking
            // read reports an error that lasts.
            let _ =
                self.events
                    .recv_waiting(BURST_DATAGRAMS, MSG_CT_DELETE, parse_entry, &mut entries);
        }
        Ok(entries)
    }

    /// How many times events were lost to a full receive buffer.
    pub(crate) fn overruns(&self) -> u64 {
        self.events.overruns()
    }
}

/// Writes `value` to a sysctl and returns its previous value (trimmed), or `Ok(None)` when the
/// sysctl does not exist (for example before the conntrack module is loaded); nothing is written
/// then. `name` is a path under `/proc/sys` (`/proc/sys/net/netfilter/nf_conntrack_acct`) or a
/// dotted name (`net.netfilter.nf_conntrack_acct`). Sysctls under `net.` are per network
/// namespace.
pub(crate) fn set_sysctl(name: &str, value: &str) -> io::Result<Option<String>> {
    let path = sysctl_path(name)?;
    let old = match std::fs::read_to_string(&path) {
        Ok(old) => old.trim().to_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    std::fs::write(&path, value)?;
    Ok(Some(old))
}

/// The `/proc/sys` path of a sysctl given as a path or a dotted name; nothing outside
/// `/proc/sys` and no `..`.
fn sysctl_path(name: &str) -> io::Result<PathBuf> {
    let relative = match name.strip_prefix("/proc/sys/") {
        Some(rest) => rest.to_owned(),
        None if name.starts_with('/') => String::new(),
        None => name.replace('.', "/"),
    };
    if relative.is_empty()
        || relative
            .split('/')
            .any(|part| part.is_empty() || part == "..")
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a sysctl: {name}"),
        ));
    }
    Ok(PathBuf::from("/proc/sys").join(relative))
}

/// An address attribute of the family's size.
fn address(attr: Attr<'_>) -> Option<IpAddress> {
    if let Ok(a) = <[u8; 4]>::try_from(attr.data) {
        return Some(IpAddress::V4(a));
    }
    <[u8; 16]>::try_from(attr.data).ok().map(IpAddress::V6)
}

/// Parses a `CTA_TUPLE_*` nest.
fn parse_tuple(tuple: Attr<'_>) -> Option<PacketTuple> {
    let ip = tuple.nested().find(|a| a.kind == CTA_TUPLE_IP)?;
    let proto = tuple.nested().find(|a| a.kind == CTA_TUPLE_PROTO)?;
    let (src, dst) = match netlink::find_attr(ip.data, CTA_IP_V4_SRC) {
        Some(src) => (src, netlink::find_attr(ip.data, CTA_IP_V4_DST)?),
        None => (
            netlink::find_attr(ip.data, CTA_IP_V6_SRC)?,
            netlink::find_attr(ip.data, CTA_IP_V6_DST)?,
        ),
    };
    let (src_ip, dst_ip) = (address(src)?, address(dst)?);
    if src_ip.is_v6() != dst_ip.is_v6() {
        return None;
    }
    let port = |kind| {
        netlink::find_attr(proto.data, kind)
            .and_then(|a| a.be_u16())
            .unwrap_or(0)
    };
    Some(PacketTuple {
        protocol: *netlink::find_attr(proto.data, CTA_PROTO_NUM)?
            .data
            .first()?,
        src_ip,
        src_port: port(CTA_PROTO_SRC_PORT),
        dst_ip,
        dst_port: port(CTA_PROTO_DST_PORT),
    })
}

/// Packets and bytes of a `CTA_COUNTERS_*` nest (64-bit, or the 32-bit form of old kernels).
fn parse_counters(counters: Option<Attr<'_>>) -> (u64, u64) {
    let Some(counters) = counters else {
        return (0, 0);
    };
    let value = |wide, narrow| {
        netlink::find_attr(counters.data, wide)
            .and_then(|a| a.be_u64())
            .or_else(|| {
                netlink::find_attr(counters.data, narrow)
                    .and_then(|a| a.be_u32())
                    .map(u64::from)
            })
            .unwrap_or(0)
    };
    (
        value(CTA_COUNTERS_PACKETS, CTA_COUNTERS32_PACKETS),
        value(CTA_COUNTERS_BYTES, CTA_COUNTERS32_BYTES),
    )
}

/// Parses a ctnetlink entry message (the payload after the netlink header: `nfgenmsg` and
/// attributes); `None` without a readable original tuple.
fn parse_entry(payload: &[u8]) -> Option<CtEntry> {
    let attributes = payload.get(4..)?;
    let key_orig = parse_tuple(netlink::find_attr(attributes, CTA_TUPLE_ORIG)?)?;
    let (orig_packets, orig_bytes) =
        parse_counters(netlink::find_attr(attributes, CTA_COUNTERS_ORIG));
    let (reply_packets, reply_bytes) =
        parse_counters(netlink::find_attr(attributes, CTA_COUNTERS_REPLY));
    let be32 = |kind| {
        netlink::find_attr(attributes, kind)
            .and_then(|a| a.be_u32())
            .unwrap_or(0)
    };
    Some(CtEntry {
        key_orig,
        orig_packets,
        orig_bytes,
        reply_packets,
        reply_bytes,
        mark: be32(CTA_MARK),
        id: be32(CTA_ID),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// `CTA_TUPLE_REPLY`, for creating entries.
    const CTA_TUPLE_REPLY: u16 = 2;
    /// `CTA_TIMEOUT` (be32 seconds), for creating entries.
    const CTA_TIMEOUT: u16 = 7;
    /// `NLM_F_CREATE`.
    const NLM_F_CREATE: u16 = 0x400;
    /// `NLM_F_EXCL`.
    const NLM_F_EXCL: u16 = 0x200;

    fn tuple_attrs(builder: MessageBuilder, kind: u16, t: &PacketTuple) -> MessageBuilder {
        let mut b = builder.nest(kind).nest(CTA_TUPLE_IP);
        b = match (t.src_ip, t.dst_ip) {
            (IpAddress::V4(s), IpAddress::V4(d)) => {
                b.attr(CTA_IP_V4_SRC, &s).attr(CTA_IP_V4_DST, &d)
            }
            (IpAddress::V6(s), IpAddress::V6(d)) => {
                b.attr(CTA_IP_V6_SRC, &s).attr(CTA_IP_V6_DST, &d)
            }
            _ => panic!("mixed families"),
        };
        b.end_nest()
            .nest(CTA_TUPLE_PROTO)
            .attr(CTA_PROTO_NUM, &[t.protocol])
            .attr(CTA_PROTO_SRC_PORT, &t.src_port.to_be_bytes())
            .attr(CTA_PROTO_DST_PORT, &t.dst_port.to_be_bytes())
            .end_nest()
            .end_nest()
    }

    fn counters(builder: MessageBuilder, kind: u16, packets: u64, bytes: u64) -> MessageBuilder {
        builder
            .nest(kind)
            .attr(CTA_COUNTERS_PACKETS, &packets.to_be_bytes())
            .attr(CTA_COUNTERS_BYTES, &bytes.to_be_bytes())
            .end_nest()
    }

    fn reversed(t: &PacketTuple) -> PacketTuple {
        PacketTuple {
            protocol: t.protocol,
            src_ip: t.dst_ip,
            src_port: t.dst_port,
            dst_ip: t.src_ip,
            dst_port: t.src_port,
        }
    }

    fn udp4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> PacketTuple {
        PacketTuple {
            protocol: 17,
            src_ip: IpAddress::V4(src),
            src_port: sport,
            dst_ip: IpAddress::V4(dst),
            dst_port: dport,
        }
    }

    fn first_payload(message: &[u8]) -> &[u8] {
        netlink::messages(message).next().unwrap().payload
    }

    #[test]
    fn parses_an_ipv4_entry_with_counters_mark_and_id() {
        let orig = PacketTuple {
            protocol: 6,
            src_ip: IpAddress::V4([10, 0, 0, 1]),
            src_port: 40000,
            dst_ip: IpAddress::V4([93, 184, 216, 34]),
            dst_port: 443,
        };
        let mut b = MessageBuilder::new(MSG_CT_DELETE, 0, 0).raw(&nfgenmsg(AF_INET, 0));
        b = tuple_attrs(b, CTA_TUPLE_ORIG, &orig);
        b = tuple_attrs(b, CTA_TUPLE_REPLY, &reversed(&orig));
        b = b.attr(3, &0x18eu32.to_be_bytes()); // CTA_STATUS
        b = counters(b, CTA_COUNTERS_ORIG, 302, 10_015_712);
        b = counters(b, CTA_COUNTERS_REPLY, 150, 7_900);
        b = b.attr(CTA_MARK, &0x4000_0001u32.to_be_bytes());
        b = b.attr(CTA_ID, &0xdead_beefu32.to_be_bytes());
        let message = b.finish();
        let entry = parse_entry(first_payload(&message)).unwrap();
        assert_eq!(
            entry,
            CtEntry {
                key_orig: orig,
                orig_packets: 302,
                orig_bytes: 10_015_712,
                reply_packets: 150,
                reply_bytes: 7_900,
                mark: 0x4000_0001,
                id: 0xdead_beef,
            }
        );
    }

    #[test]
    fn parses_ipv6_icmp_and_old_32_bit_counters() {
        let mut src = [0u8; 16];
        src[0] = 0xfe;
        src[1] = 0x80;
        src[15] = 1;
        let mut dst = [0u8; 16];
        dst[15] = 2;
        let message = MessageBuilder::new(MSG_CT_NEW, 0, 0)
            .raw(&nfgenmsg(AF_INET6, 0))
            .nest(CTA_TUPLE_ORIG)
            .nest(CTA_TUPLE_IP)
            .attr(CTA_IP_V6_SRC, &src)
            .attr(CTA_IP_V6_DST, &dst)
            .end_nest()
            .nest(CTA_TUPLE_PROTO)
            .attr(CTA_PROTO_NUM, &[58])
            .attr(4, &7u16.to_be_bytes()) // CTA_PROTO_ICMPV6_ID
            .attr(5, &[128]) // type
            .attr(6, &[0]) // code
            .end_nest()
            .end_nest()
            .nest(CTA_COUNTERS_ORIG)
            .attr(CTA_COUNTERS32_PACKETS, &3u32.to_be_bytes())
            .attr(CTA_COUNTERS32_BYTES, &312u32.to_be_bytes())
            .end_nest()
            .finish();
        let entry = parse_entry(first_payload(&message)).unwrap();
        assert_eq!(entry.key_orig.protocol, 58);
        assert_eq!(entry.key_orig.src_ip, IpAddress::V6(src));
        assert_eq!(entry.key_orig.dst_ip, IpAddress::V6(dst));
        assert_eq!((entry.key_orig.src_port, entry.key_orig.dst_port), (0, 0));
        assert_eq!((entry.orig_packets, entry.orig_bytes), (3, 312));
        assert_eq!(
            (entry.reply_packets, entry.reply_bytes, entry.mark, entry.id),
            (0, 0, 0, 0)
        );
    }

    #[test]
    fn rejects_entries_without_a_usable_tuple() {
        assert!(parse_entry(&[]).is_none());
        assert!(parse_entry(&nfgenmsg(2, 0)).is_none());
        let no_proto = MessageBuilder::new(MSG_CT_NEW, 0, 0)
            .raw(&nfgenmsg(AF_INET, 0))
            .nest(CTA_TUPLE_ORIG)
            .nest(CTA_TUPLE_IP)
            .attr(CTA_IP_V4_SRC, &[1, 2, 3, 4])
            .attr(CTA_IP_V4_DST, &[5, 6, 7, 8])
            .end_nest()
            .end_nest()
            .finish();
        assert!(parse_entry(first_payload(&no_proto)).is_none());
        let bad_address = MessageBuilder::new(MSG_CT_NEW, 0, 0)
            .raw(&nfgenmsg(AF_INET, 0))
            .nest(CTA_TUPLE_ORIG)
            .nest(CTA_TUPLE_IP)
            .attr(CTA_IP_V4_SRC, &[1, 2, 3])
            .attr(CTA_IP_V4_DST, &[5, 6, 7, 8])
            .end_nest()
            .nest(CTA_TUPLE_PROTO)
            .attr(CTA_PROTO_NUM, &[17])
            .end_nest()
            .end_nest()
            .finish();
        assert!(parse_entry(first_payload(&bad_address)).is_none());
    }

    #[test]
    fn encodes_a_delete_by_tuple() {
        let t = udp4([192, 0, 2, 1], 5353, [198, 51, 100, 7], 53);
        let message = tuple_message(
            MSG_CT_DELETE,
            NLM_F_REQUEST | NLM_F_ACK,
            CTA_TUPLE_ORIG,
            &t,
            9,
        )
        .unwrap();
        let m = netlink::messages(&message).next().unwrap();
        assert_eq!((m.kind, m.seq), (0x102, 9));
        assert_eq!(&m.payload[..4], &[AF_INET, 0, 0, 0]);
        let parsed = parse_tuple(netlink::find_attr(&m.payload[4..], CTA_TUPLE_ORIG).unwrap());
        assert_eq!(parsed, Some(t));

        let icmp = PacketTuple { protocol: 1, ..t };
        let message = tuple_message(
            MSG_CT_DELETE,
            NLM_F_REQUEST | NLM_F_ACK,
            CTA_TUPLE_ORIG,
            &icmp,
            1,
        )
        .unwrap();
        let m = netlink::messages(&message).next().unwrap();
        let orig = netlink::find_attr(&m.payload[4..], CTA_TUPLE_ORIG).unwrap();
        let proto = netlink::find_attr(orig.data, CTA_TUPLE_PROTO).unwrap();
        assert_eq!(proto.nested().count(), 1);

        let mixed = PacketTuple {
            dst_ip: IpAddress::V6([0; 16]),
            ..t
        };
        assert!(tuple_message(
            MSG_CT_DELETE,
            NLM_F_REQUEST | NLM_F_ACK,
            CTA_TUPLE_ORIG,
            &mixed,
            1
        )
        .is_err());
    }

    #[test]
    fn resolves_sysctl_names() {
        let acct = PathBuf::from("/proc/sys/net/netfilter/nf_conntrack_acct");
        assert_eq!(
            sysctl_path("net.netfilter.nf_conntrack_acct").unwrap(),
            acct
        );
        assert_eq!(
            sysctl_path("/proc/sys/net/netfilter/nf_conntrack_acct").unwrap(),
            acct
        );
        for bad in [
            "",
            "/etc/passwd",
            "/proc/sys/",
            "/proc/sys/net/../../etc",
            "net..x",
        ] {
            assert!(sysctl_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kernel_sysctl_round_trip_keeps_the_value() {
        let name = "net.netfilter.nf_conntrack_acct";
        let Ok(current) = std::fs::read_to_string("/proc/sys/net/netfilter/nf_conntrack_acct")
        else {
            return; // no conntrack here
        };
        let current = current.trim().to_owned();
        assert_eq!(set_sysctl(name, &current).unwrap(), Some(current.clone()));
        assert_eq!(
            set_sysctl("net.netfilter.zenithfence_no_such", "1").unwrap(),
            None
        );
    }

    #[test]
    fn kernel_dump_succeeds() {
        let mut ct = Conntrack::open().unwrap();
        ct.dump().unwrap();
        ct.dump().unwrap(); // the socket is reusable after a dump
    }

    /// Creates a UDP entry from user space (what `conntrack -I` does); no rule needed.
    fn create(ct: &mut Conntrack, t: &PacketTuple, mark: u32) -> io::Result<()> {
        let seq = ct.socket.next_seq();
        let mut b = MessageBuilder::new(
            MSG_CT_NEW,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            seq,
        )
        .raw(&nfgenmsg(AF_INET, 0));
        b = tuple_attrs(b, CTA_TUPLE_ORIG, t);
        b = tuple_attrs(b, CTA_TUPLE_REPLY, &reversed(t));
        b = b
            .attr(CTA_TIMEOUT, &30u32.to_be_bytes())
            .attr(CTA_MARK, &mark.to_be_bytes());
        ct.socket.request_ack(&b.finish(), seq)
    }

    /// Entries of documentation addresses (192.0.2.0/24 to 198.51.100.0/24) with a port of this
    /// process, so parallel tests and real traffic do not collide.
    fn test_tuple(n: u8) -> PacketTuple {
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        udp4([192, 0, 2, n], port, [198, 51, 100, n], 9)
    }

    #[test]
    fn kernel_gets_one_entry_by_either_of_its_tuples() {
        let mut ct = Conntrack::open().unwrap();
        let t = test_tuple(204);
        let mark = 0x5b00_0000 | (std::process::id() & 0xffff);
        create(&mut ct, &t, mark).unwrap();
        let by_orig = ct.get_flow(&t).unwrap();
        let by_reply = ct.get_flow(&reversed(&t)).unwrap();
        let missing = ct.get_flow(&test_tuple(205)).unwrap();
        ct.delete_flow(&t).unwrap();
        let by_orig = by_orig.unwrap(); // found by its original tuple
        assert_eq!((by_orig.key_orig, by_orig.mark), (t, mark));
        assert_eq!(by_reply, Some(by_orig), "found by its reply tuple");
        assert_eq!(missing, None);
        assert_eq!(ct.get_flow(&t).unwrap(), None, "gone once deleted");
    }

    /// A protocol's dump holds that protocol's entries of that family only, filtered by the
    /// kernel on this one (Linux 6.18), and the same when filtered here.
    #[test]
    fn kernel_dumps_one_protocol_of_one_family() {
        let mut ct = Conntrack::open().unwrap();
        let udp = test_tuple(206);
        let tcp = PacketTuple {
            protocol: 6,
            ..test_tuple(207)
        };
        let mark = 0x5c00_0000 | (std::process::id() & 0xffff);
        create(&mut ct, &udp, mark).unwrap();
        let tcp_created = create(&mut ct, &tcp, mark);
        let listed = |ct: &mut Conntrack, family, protocol| {
            ct.dump_protocol(family, protocol)
                .unwrap()
                .iter()
                .map(|e| e.key_orig)
                .collect::<Vec<_>>()
        };
        // What the kernel itself sends back: only UDP.
        let raw = ct.filtered_dump(AF_INET, 17);
        let mut seen = Vec::new();
        for refused in [false, true] {
            ct.filter_refused = refused;
            seen.push((
                listed(&mut ct, AF_INET, 17),
                listed(&mut ct, AF_INET, 6),
                listed(&mut ct, AF_INET6, 17),
            ));
            assert_eq!(ct.filter_refused, refused, "this kernel takes the filter");
        }
        ct.delete_flow(&udp).unwrap();
        let _ = ct.delete_flow(&tcp);
        tcp_created.unwrap();
        let raw: Vec<PacketTuple> = raw.unwrap().iter().map(|e| e.key_orig).collect();
        assert!(
            raw.contains(&udp) && !raw.contains(&tcp),
            "filtered by the kernel"
        );
        assert!(raw
            .iter()
            .all(|t| t.protocol == 17 && matches!(t.src_ip, IpAddress::V4(_))));
        for (udp4_entries, tcp4_entries, udp6_entries) in seen {
            assert!(udp4_entries.contains(&udp));
            assert!(!udp4_entries.contains(&tcp));
            assert!(udp4_entries.iter().all(|t| t.protocol == 17));
            assert!(tcp4_entries.contains(&tcp));
            assert!(tcp4_entries.iter().all(|t| t.protocol == 6));
            assert!(udp6_entries
                .iter()
                .all(|t| t.protocol == 17 && matches!(t.src_ip, IpAddress::V6(_))));
        }
    }

    #[test]
    fn kernel_deletes_by_tuple_and_by_mark_and_reports_destroy_events() {
        let mut events = EventListener::open().unwrap();
        let mut ct = Conntrack::open().unwrap();
        let (a, b, c) = (test_tuple(201), test_tuple(202), test_tuple(203));
        // A mark of our own in the low bits, and another high bit to check the mask.
        let mark = 0x5a00_0000 | (std::process::id() & 0xffff);
        create(&mut ct, &a, mark).unwrap();
        create(&mut ct, &b, mark | 0x0080_0000).unwrap();
        create(&mut ct, &c, 0x1234).unwrap();
        let listed = ct.dump().unwrap();
        let found = |entries: &[CtEntry], t: &PacketTuple| {
            entries.iter().find(|e| e.key_orig == *t).copied()
        };
        assert_eq!(found(&listed, &a).unwrap().mark, mark);
        assert_ne!(found(&listed, &a).unwrap().id, 0);
        assert!(found(&listed, &c).is_some());

        assert!(ct.delete_flow(&c).unwrap());
        assert!(!ct.delete_flow(&c).unwrap());
        ct.delete_by_mark(mark, 0xff7f_ffff).unwrap();
        let listed = ct.dump().unwrap();
        assert!(found(&listed, &a).is_none());
        assert!(found(&listed, &b).is_none());

        let mut destroyed = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(2);
        while destroyed.len() < 3 && Instant::now() < deadline {
            for e in events.recv(Duration::from_millis(100)).unwrap() {
                if [a, b, c].contains(&e.key_orig) {
                    destroyed.push(e);
                }
            }
        }
        assert_eq!(destroyed.len(), 3, "{destroyed:?}");
        assert_eq!(found(&destroyed, &b).unwrap().mark, mark | 0x0080_0000);
        assert_eq!(found(&destroyed, &c).unwrap().mark, 0x1234);
    }
}
