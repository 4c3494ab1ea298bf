//! Socket lookups, TCP byte counters and socket-destroy events over `NETLINK_SOCK_DIAG`
//! (`inet_diag`). Layouts from the kernel's `inet_diag.h` and `sock_diag.h`: the netlink and
//! `inet_diag` headers are in host order, ports and addresses in network order.
//!
//! Request orientation (`inet_diag_sockid` of an exact lookup): TCP `src` = local, `dst` = remote;
//! UDP the other way round (`src` = remote, `dst` = local), "for historical reasons". Replies and
//! destroy events always carry `src` = local.

use std::io;
use std::time::Duration;

use zenithfence_core::flow::{FlowKey, IpAddress};

use crate::netlink::{
    self, EventSocket, MessageBuilder, NetlinkSocket, BURST_DATAGRAMS, NLM_F_DUMP, NLM_F_REQUEST,
};
use crate::sys;

/// `NETLINK_SOCK_DIAG`.
const NETLINK_SOCK_DIAG: i32 = 4;
/// `SOCK_DIAG_BY_FAMILY`: the request and reply type of `inet_diag_req_v2`.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// `INET_DIAG_INFO`: the attribute carrying `struct tcp_info`.
const INET_DIAG_INFO: u16 = 2;
/// `INET_DIAG_PROTOCOL`: a u8 attribute with the socket's IP protocol.
const INET_DIAG_PROTOCOL: u16 = 10;

/// `AF_INET`.
pub(crate) const AF_INET: u8 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u8 = 10;
/// IANA protocol number of TCP.
pub(crate) const IPPROTO_TCP: u8 = 6;
/// IANA protocol number of UDP.
pub(crate) const IPPROTO_UDP: u8 = 17;
/// IANA protocol number of UDP-Lite (looked up like UDP).
pub(crate) const IPPROTO_UDPLITE: u8 = 136;

/// TCP state `ESTABLISHED` (also a connected UDP socket).
pub(crate) const TCP_ESTABLISHED: u8 = 1;
/// TCP state `TIME_WAIT` (a minisocket without `tcp_info`).
pub(crate) const TCP_TIME_WAIT: u8 = 6;
/// TCP state `CLOSE` (also an unconnected UDP socket).
#[cfg(test)]
pub(crate) const TCP_CLOSE: u8 = 7;
/// TCP state `LISTEN`.
pub(crate) const TCP_LISTEN: u8 = 10;
/// TCP state `NEW_SYN_RECV` (a request minisocket without `tcp_info`).
pub(crate) const TCP_NEW_SYN_RECV: u8 = 12;

/// `SKNLGRP_INET_TCP_DESTROY`.
const SKNLGRP_INET_TCP_DESTROY: u32 = 1;
/// `SKNLGRP_INET6_TCP_DESTROY`.
const SKNLGRP_INET6_TCP_DESTROY: u32 = 3;

/// Size of `struct inet_diag_req_v2`.
const REQUEST_LEN: usize = 56;
/// Size of `struct inet_diag_msg`.
const DIAG_MSG_LEN: usize = 72;

/// `tcp_info.tcpi_bytes_acked` offset.
const TCPI_BYTES_ACKED: usize = 120;
/// `tcp_info.tcpi_bytes_received` offset.
const TCPI_BYTES_RECEIVED: usize = 128;
/// `tcp_info.tcpi_bytes_sent` offset.
const TCPI_BYTES_SENT: usize = 200;
/// `tcp_info.tcpi_bytes_retrans` offset.
const TCPI_BYTES_RETRANS: usize = 208;

/// Receive buffer for lookups and dumps (a dump datagram is at most 32 KiB).
const REQUEST_BUF_LEN: usize = 64 * 1024;
/// How long a lookup or dump waits for each reply datagram before failing with `WouldBlock`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Byte counters of a TCP socket, from `struct tcp_info` (kernel 4.1+ for `bytes_acked` and
/// `bytes_received`, 4.19+ for `bytes_sent` and `bytes_retrans`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TcpBytes {
    /// Payload bytes handed to the network, retransmissions included (`tcpi_bytes_sent`).
    pub(crate) bytes_sent: u64,
    /// Payload bytes retransmitted (`tcpi_bytes_retrans`).
    pub(crate) bytes_retrans: u64,
    /// Payload bytes received in order, plus 1 for a received FIN (`tcpi_bytes_received`).
    pub(crate) bytes_received: u64,
    /// Bytes acknowledged by the peer, plus 1 each for SYN and FIN (`tcpi_bytes_acked`).
    pub(crate) bytes_acked: u64,
}

/// One socket as `inet_diag` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SocketInfo {
    /// The owner's uid.
    pub(crate) uid: u32,
    /// The socket inode (`socket:[inode]` in `/proc/<pid>/fd`); 0 in destroy events and for
    /// minisockets (TIME_WAIT, NEW_SYN_RECV).
    pub(crate) inode: u64,
    /// The kernel's socket cookie: stable for the socket's life, equal at lookup time and in the
    /// destroy event, so it is the key to correlate the two.
    pub(crate) cookie: u64,
    /// The socket state (`TCP_*`; UDP sockets report `TCP_CLOSE` or `TCP_ESTABLISHED`).
    pub(crate) state: u8,
    /// The socket's own address family (`AF_INET` or `AF_INET6`). A dual-stack `AF_INET6`
    /// socket that carries IPv4 (`::ffff:a.b.c.d`) has its addresses in `key` turned into IPv4.
    pub(crate) family: u8,
    /// Local and remote address and port (`src` = local); the protocol is the one asked for, or
    /// the `INET_DIAG_PROTOCOL` attribute in events.
    pub(crate) key: FlowKey,
    /// TCP byte counters when the reply carried `INET_DIAG_INFO`.
    pub(crate) tcp: Option<TcpBytes>,
    /// The interface the socket is bound to (`SO_BINDTODEVICE`, or a connect to an IPv6
    /// link-local address); 0 when it is not. Exact requests find it only when they name it.
    pub(crate) bound_interface: u32,
}

/// Request and reply socket for exact lookups and dumps.
pub(crate) struct SockDiag {
    socket: NetlinkSocket,
}

impl SockDiag {
    /// Opens a `NETLINK_SOCK_DIAG` socket. Each reply read waits at most 5 s.
    pub(crate) fn open() -> io::Result<SockDiag> {
        Ok(SockDiag {
            socket: NetlinkSocket::open_requests(
                NETLINK_SOCK_DIAG,
                REQUEST_TIMEOUT,
                REQUEST_BUF_LEN,
            )?,
        })
    }

    /// Finds the socket of `protocol` for a local and remote endpoint; the orientation of the
    /// request is handled here. `interface` is the one the packet uses (0: none named): a socket
    /// bound to an interface matches only a request that names that one, and a socket bound to
    /// none matches whatever the request names, as in the kernel's own lookup. TCP also matches the LISTEN socket when no connected socket exists
    /// (an inbound SYN), UDP an unconnected socket bound to the local port. An IPv4 lookup also
    /// finds dual-stack IPv6 sockets. `Ok(None)` when no socket matches, and at once, without
    /// asking the kernel, for protocols other than TCP, UDP and UDP-Lite (for those the kernel
    /// would try to load a diag module on every call).
    pub(crate) fn lookup(
        &mut self,
        protocol: u8,
        local: (IpAddress, u16),
        remote: (IpAddress, u16),
        interface: u32,
    ) -> io::Result<Option<SocketInfo>> {
        if ![IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE].contains(&protocol) {
            return Ok(None);
        }
        self.exact(protocol, local, remote, interface, 0)
    }

    /// The connected TCP socket of `local` and `remote` with its `tcp_info` byte counters
    /// (`None` when there is none; a LISTEN socket found instead counts as none): one flow's
    /// running totals without walking the kernel's socket table as [`SockDiag::dump_tcp`] does.
    /// `interface` as for [`SockDiag::lookup`].
    pub(crate) fn lookup_tcp_counters(
        &mut self,
        local: (IpAddress, u16),
        remote: (IpAddress, u16),
        interface: u32,
    ) -> io::Result<Option<SocketInfo>> {
        let ext = 1 << (INET_DIAG_INFO - 1);
        let found = self.exact(IPPROTO_TCP, local, remote, interface, ext)?;
        Ok(found.filter(|socket| socket.state != TCP_LISTEN))
    }

    /// One exact request (`ext`: the extensions asked for).
    fn exact(
        &mut self,
        protocol: u8,
        local: (IpAddress, u16),
        remote: (IpAddress, u16),
        interface: u32,
        ext: u8,
    ) -> io::Result<Option<SocketInfo>> {
        let request = lookup_request(protocol, local, remote, interface, ext)?;
        let seq = self.socket.next_seq();
        let message = MessageBuilder::new(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, seq)
            .raw(&request)
            .finish();
        self.socket
            .request_one(&message, seq, SOCK_DIAG_BY_FAMILY, |payload| {
                parse_diag_msg(payload, Some(protocol))
            })
    }

    /// Finds the socket listening (TCP) or bound unconnected (UDP) on `local`: a lookup with an
    /// all-zero remote address and port.
    #[allow(
        dead_code,
        reason = "API for an explicit LISTEN lookup; TCP lookup() already falls back"
    )]
    pub(crate) fn lookup_listener(
        &mut self,
        protocol: u8,
        local: (IpAddress, u16),
    ) -> io::Result<Option<SocketInfo>> {
        let any = match local.0 {
            IpAddress::V4(_) => IpAddress::V4([0; 4]),
            IpAddress::V6(_) => IpAddress::V6([0; 16]),
        };
        self.lookup(protocol, local, (any, 0), 0)
    }

    /// Dumps every IPv4 (`v6` false) or IPv6 TCP socket with its `tcp_info` byte counters, for
    /// live byte counts. The IPv4 dump does not list dual-stack IPv6 sockets: the IPv6 dump does
    /// (with their IPv4 addresses in `key`). TIME_WAIT and NEW_SYN_RECV minisockets are left
    /// out: they have no counters.
    pub(crate) fn dump_tcp(&mut self, v6: bool) -> io::Result<Vec<SocketInfo>> {
        let states = !((1u32 << TCP_TIME_WAIT) | (1u32 << TCP_NEW_SYN_RECV));
        let request = encode_request(&RequestFields {
            family: if v6 { AF_INET6 } else { AF_INET },
            protocol: IPPROTO_TCP,
            ext: 1 << (INET_DIAG_INFO - 1),
            states,
            sport: 0,
            dport: 0,
            src: [0; 16],
            dst: [0; 16],
            interface: 0,
        });
        let seq = self.socket.next_seq();
        let message = MessageBuilder::new(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq)
            .raw(&request)
            .finish();
        self.socket.dump(&message, seq, SOCK_DIAG_BY_FAMILY, |p| {
            parse_diag_msg(p, Some(IPPROTO_TCP))
        })
    }
}

/// The netlink socket of [`DestroyListener`]: joined to the TCP socket-destroy groups, with a
/// large receive buffer where the daemon may force one.
pub(crate) fn tcp_destroy_socket() -> io::Result<std::fs::File> {
    let groups = [SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY]
        .iter()
        .fold(0u32, |mask, group| mask | (1 << (group - 1)));
    let file = sys::netlink_socket(NETLINK_SOCK_DIAG, groups)?;
    // Many connections can close at once (a browser tab); a small buffer would lose events.
    // Forcing the size needs CAP_NET_ADMIN; without it the default buffer stays.
    let _ = sys::set_int_option(&file, sys::SOL_SOCKET, sys::SO_RCVBUFFORCE, 4 << 20);
    Ok(file)
}

/// Subscriber to the TCP socket-destroy multicast groups (IPv4 and IPv6). An event arrives
/// within milliseconds of the full socket being freed (after `close()` and the FIN exchange)
/// and carries the final TCP counters; its inode is 0, so correlate by cookie. UDP ends come
/// from conntrack (`conntrack::EventListener`), and the UDP groups are not joined: while anyone
/// listens, the kernel queues a work item for every socket of that kind freed in the namespace
/// (every DNS query's socket), fills the message on a kernel worker and frees the socket only
/// then (`perf record -e workqueue:workqueue_execute_start -a` during `bench peer`).
pub(crate) struct DestroyListener {
    events: EventSocket,
}

impl DestroyListener {
    /// Subscribes to `SKNLGRP_INET{,6}_TCP_DESTROY` (groups 1 and 3, so the bind mask does;
    /// groups above 32 would need `NETLINK_ADD_MEMBERSHIP`). Needs no privilege.
    pub(crate) fn open() -> io::Result<DestroyListener> {
        Ok(DestroyListener {
            events: EventSocket::new(tcp_destroy_socket()?, REQUEST_BUF_LEN),
        })
    }

    /// Waits up to `timeout` (at least 1 µs, which the kernel rounds up to one clock tick) for
    /// destroy events and returns those of one read: empty on timeout. A receive-buffer overflow
    /// is counted in [`DestroyListener::overruns`] and also returns empty; the socket stays usable.
    pub(crate) fn recv(&mut self, timeout: Duration) -> io::Result<Vec<SocketInfo>> {
        self.events
            .recv(timeout, SOCK_DIAG_BY_FAMILY, |p| parse_diag_msg(p, None))
    }

    /// Like [`DestroyListener::recv`], then takes every event already waiting behind the first:
    /// a burst of closes costs one wake-up of the reader, not one each.
    pub(crate) fn recv_burst(&mut self, timeout: Duration) -> io::Result<Vec<SocketInfo>> {
        let mut sockets = self.recv(timeout)?;
        if !sockets.is_empty() {
            // What was read stays read: a failing drain ends the burst, and the next blocking
            // read reports an error that lasts.
            let _ = self.events.recv_waiting(
                BURST_DATAGRAMS,
                SOCK_DIAG_BY_FAMILY,
                |p| parse_diag_msg(p, None),
                &mut sockets,
            );
        }
        Ok(sockets)
    }

    /// How many times events were lost to a full receive buffer.
    pub(crate) fn overruns(&self) -> u64 {
        self.events.overruns()
    }
}

/// The fields of an `inet_diag_req_v2` that vary.
struct RequestFields {
    /// `AF_INET` or `AF_INET6`.
    family: u8,
    /// IP protocol.
    protocol: u8,
    /// Bit mask of the `INET_DIAG_*` extensions wanted (bit `n - 1` for attribute `n`).
    ext: u8,
    /// Bit mask of the socket states wanted (bit `n` for state `n`).
    states: u32,
    /// `idiag_sport`.
    sport: u16,
    /// `idiag_dport`.
    dport: u16,
    /// `idiag_src`: an IPv4 address in the first 4 bytes.
    src: [u8; 16],
    /// `idiag_dst`.
    dst: [u8; 16],
    /// `idiag_if`: 0 for any (a dump ignores it).
    interface: u32,
}

/// Encodes `struct inet_diag_req_v2` with the "no cookie" cookie.
fn encode_request(fields: &RequestFields) -> [u8; REQUEST_LEN] {
    let mut out = Vec::with_capacity(REQUEST_LEN);
    out.extend_from_slice(&[fields.family, fields.protocol, fields.ext, 0]);
    out.extend_from_slice(&fields.states.to_ne_bytes());
    out.extend_from_slice(&fields.sport.to_be_bytes());
    out.extend_from_slice(&fields.dport.to_be_bytes());
    out.extend_from_slice(&fields.src);
    out.extend_from_slice(&fields.dst);
    out.extend_from_slice(&fields.interface.to_ne_bytes());
    out.extend_from_slice(&u32::MAX.to_ne_bytes()); // INET_DIAG_NOCOOKIE
    out.extend_from_slice(&u32::MAX.to_ne_bytes());
    let mut request = [0u8; REQUEST_LEN];
    for (slot, byte) in request.iter_mut().zip(out) {
        *slot = byte;
    }
    request
}

/// The address family and 16-byte `inet_diag` image of an address.
fn address_image(address: IpAddress) -> (u8, [u8; 16]) {
    match address {
        IpAddress::V4(a) => {
            let mut image = [0u8; 16];
            for (slot, byte) in image.iter_mut().zip(a) {
                *slot = byte;
            }
            (AF_INET, image)
        }
        IpAddress::V6(a) => (AF_INET6, a),
    }
}

/// The exact-lookup request for a socket of `protocol` between `local` and `remote`, oriented as
/// the kernel expects (UDP swapped).
fn lookup_request(
    protocol: u8,
    local: (IpAddress, u16),
    remote: (IpAddress, u16),
    interface: u32,
    ext: u8,
) -> io::Result<[u8; REQUEST_LEN]> {
    let (family, local_image) = address_image(local.0);
    let (remote_family, remote_image) = address_image(remote.0);
    if family != remote_family {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "local and remote address families differ",
        ));
    }
    let ((sport, src), (dport, dst)) = if protocol == IPPROTO_TCP {
        ((local.1, local_image), (remote.1, remote_image))
    } else {
        ((remote.1, remote_image), (local.1, local_image))
    };
    Ok(encode_request(&RequestFields {
        family,
        protocol,
        ext,
        states: u32::MAX,
        sport,
        dport,
        src,
        dst,
        interface,
    }))
}

fn u32_ne_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_ne_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn be16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn array16_at(bytes: &[u8], at: usize) -> Option<[u8; 16]> {
    bytes.get(at..at + 16)?.try_into().ok()
}

/// The IPv4 address inside `::ffff:a.b.c.d`, or `None` for any other address.
fn v4_mapped(address: &[u8; 16]) -> Option<[u8; 4]> {
    match *address {
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d] => Some([a, b, c, d]),
        _ => None,
    }
}

/// The local and remote addresses of a reply; a dual-stack IPv6 socket carrying IPv4 (local
/// address v4-mapped, remote v4-mapped or unset) becomes IPv4.
fn reply_addresses(family: u8, src: [u8; 16], dst: [u8; 16]) -> Option<(IpAddress, IpAddress)> {
    match family {
        AF_INET => {
            let [a, b, c, d, ..] = src;
            let [e, f, g, h, ..] = dst;
            Some((IpAddress::V4([a, b, c, d]), IpAddress::V4([e, f, g, h])))
        }
        AF_INET6 => match (v4_mapped(&src), v4_mapped(&dst)) {
            (Some(local), Some(remote)) => Some((IpAddress::V4(local), IpAddress::V4(remote))),
            (Some(local), None) if dst == [0; 16] => {
                Some((IpAddress::V4(local), IpAddress::V4([0; 4])))
            }
            _ => Some((IpAddress::V6(src), IpAddress::V6(dst))),
        },
        _ => None,
    }
}

/// The byte counters of a `struct tcp_info`, if it is long enough (kernel 4.19+).
fn parse_tcp_info(info: &[u8]) -> Option<TcpBytes> {
    Some(TcpBytes {
        bytes_sent: u64_ne_at(info, TCPI_BYTES_SENT)?,
        bytes_retrans: u64_ne_at(info, TCPI_BYTES_RETRANS)?,
        bytes_received: u64_ne_at(info, TCPI_BYTES_RECEIVED)?,
        bytes_acked: u64_ne_at(info, TCPI_BYTES_ACKED)?,
    })
}

/// Parses an `inet_diag_msg` and its attributes (the payload after the netlink header). The
/// protocol comes from `INET_DIAG_PROTOCOL` when present, else `protocol`, else TCP when
/// `tcp_info` is present; `None` if the message is short or of an unknown family.
fn parse_diag_msg(payload: &[u8], protocol: Option<u8>) -> Option<SocketInfo> {
    let (head, attributes) = payload.split_at_checked(DIAG_MSG_LEN)?;
    let &[family, state, ..] = head else {
        return None;
    };
    let (local_ip, remote_ip) =
        reply_addresses(family, array16_at(head, 8)?, array16_at(head, 24)?)?;
    let cookie = u64::from(u32_ne_at(head, 44)?) | (u64::from(u32_ne_at(head, 48)?) << 32);
    let info = netlink::find_attr(attributes, INET_DIAG_INFO);
    let protocol = netlink::find_attr(attributes, INET_DIAG_PROTOCOL)
        .and_then(|a| a.data.first().copied())
        .or(protocol)
        .or(info.map(|_| IPPROTO_TCP))
        .unwrap_or(0);
    let tcp = match info {
        Some(info) if protocol == IPPROTO_TCP => parse_tcp_info(info.data),
        _ => None,
    };
    Some(SocketInfo {
        uid: u32_ne_at(head, 64)?,
        inode: u64::from(u32_ne_at(head, 68)?),
        cookie,
        state,
        family,
        key: FlowKey {
            protocol,
            local_ip,
            local_port: be16_at(head, 4)?,
            remote_ip,
            remote_port: be16_at(head, 6)?,
        },
        tcp,
        bound_interface: u32_ne_at(head, 40)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
    use std::os::fd::AsRawFd;
    use std::time::Instant;

    /// Builds an `inet_diag_msg` (host-order fields as the kernel writes them).
    #[allow(clippy::too_many_arguments)]
    fn diag_msg(
        family: u8,
        state: u8,
        sport: u16,
        dport: u16,
        src: [u8; 16],
        dst: [u8; 16],
        cookie: u64,
        uid: u32,
        inode: u32,
    ) -> Vec<u8> {
        let mut m = vec![family, state, 0, 0];
        m.extend_from_slice(&sport.to_be_bytes());
        m.extend_from_slice(&dport.to_be_bytes());
        m.extend_from_slice(&src);
        m.extend_from_slice(&dst);
        m.extend_from_slice(&3u32.to_ne_bytes()); // if
        m.extend_from_slice(&(cookie as u32).to_ne_bytes());
        m.extend_from_slice(&((cookie >> 32) as u32).to_ne_bytes());
        m.extend_from_slice(&[0; 12]); // expires, rqueue, wqueue
        m.extend_from_slice(&uid.to_ne_bytes());
        m.extend_from_slice(&inode.to_ne_bytes());
        assert_eq!(m.len(), DIAG_MSG_LEN);
        m
    }

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut image = [0; 16];
        image[..4].copy_from_slice(&a);
        image
    }

    fn tcp_info(len: usize, sent: u64, retrans: u64, received: u64, acked: u64) -> Vec<u8> {
        let mut info = vec![0u8; len];
        info[TCPI_BYTES_ACKED..TCPI_BYTES_ACKED + 8].copy_from_slice(&acked.to_ne_bytes());
        info[TCPI_BYTES_RECEIVED..TCPI_BYTES_RECEIVED + 8].copy_from_slice(&received.to_ne_bytes());
        info[TCPI_BYTES_SENT..TCPI_BYTES_SENT + 8].copy_from_slice(&sent.to_ne_bytes());
        info[TCPI_BYTES_RETRANS..TCPI_BYTES_RETRANS + 8].copy_from_slice(&retrans.to_ne_bytes());
        info
    }

    /// A full netlink message: header, `inet_diag_msg`, attributes.
    fn reply(head: &[u8], attributes: &[(u16, &[u8])]) -> Vec<u8> {
        let mut builder = MessageBuilder::new(SOCK_DIAG_BY_FAMILY, 0, 1).raw(head);
        for (kind, data) in attributes {
            builder = builder.attr(*kind, data);
        }
        builder.finish()
    }

    fn parse_one(message: &[u8], protocol: Option<u8>) -> Option<SocketInfo> {
        let m = netlink::messages(message).next().unwrap();
        parse_diag_msg(m.payload, protocol)
    }

    #[test]
    fn encodes_tcp_lookup_local_first_and_udp_swapped() {
        let local = (IpAddress::V4([10, 0, 0, 1]), 40000);
        let remote = (IpAddress::V4([93, 184, 216, 34]), 443);
        let r = lookup_request(IPPROTO_TCP, local, remote, 0, 0).unwrap();
        assert_eq!(&r[..4], &[AF_INET, 6, 0, 0]);
        assert_eq!(&r[4..8], &u32::MAX.to_ne_bytes());
        assert_eq!(&r[8..10], &40000u16.to_be_bytes());
        assert_eq!(&r[10..12], &443u16.to_be_bytes());
        assert_eq!(&r[12..28], &v4([10, 0, 0, 1]));
        assert_eq!(&r[28..44], &v4([93, 184, 216, 34]));
        assert_eq!(&r[44..48], &[0; 4]);
        assert_eq!(&r[48..56], &[0xff; 8]);

        let u = lookup_request(IPPROTO_UDP, local, remote, 7, 0).unwrap();
        assert_eq!(u[1], 17);
        assert_eq!(&u[8..10], &443u16.to_be_bytes());
        assert_eq!(&u[10..12], &40000u16.to_be_bytes());
        assert_eq!(&u[12..28], &v4([93, 184, 216, 34]));
        assert_eq!(&u[28..44], &v4([10, 0, 0, 1]));
        assert_eq!(
            &u[44..48],
            &7u32.to_ne_bytes(),
            "idiag_if names the interface"
        );

        let mut a6 = [0u8; 16];
        a6[15] = 1;
        let r6 = lookup_request(
            IPPROTO_TCP,
            (IpAddress::V6(a6), 1),
            (IpAddress::V6([0; 16]), 0),
            0,
            0,
        )
        .unwrap();
        assert_eq!(r6[0], AF_INET6);
        assert_eq!(&r6[12..28], &a6);

        let mixed = lookup_request(IPPROTO_TCP, local, (IpAddress::V6(a6), 1), 0, 0);
        assert_eq!(mixed.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn parses_a_reply_with_tcp_info() {
        let head = diag_msg(
            AF_INET,
            TCP_ESTABLISHED,
            40000,
            443,
            v4([10, 0, 0, 1]),
            v4([93, 184, 216, 34]),
            0x1_0000_0002,
            1000,
            123_456,
        );
        let info = tcp_info(232, 5000, 100, 777, 5002);
        let message = reply(
            &head,
            &[(INET_DIAG_PROTOCOL, &[6]), (INET_DIAG_INFO, &info)],
        );
        let s = parse_one(&message, None).unwrap();
        assert_eq!(
            (s.uid, s.inode, s.cookie, s.state, s.family),
            (1000, 123_456, 0x1_0000_0002, 1, 2)
        );
        assert_eq!(s.bound_interface, 3);
        assert_eq!(
            s.key,
            FlowKey {
                protocol: 6,
                local_ip: IpAddress::V4([10, 0, 0, 1]),
                local_port: 40000,
                remote_ip: IpAddress::V4([93, 184, 216, 34]),
                remote_port: 443,
            }
        );
        assert_eq!(
            s.tcp,
            Some(TcpBytes {
                bytes_sent: 5000,
                bytes_retrans: 100,
                bytes_received: 777,
                bytes_acked: 5002,
            })
        );
    }

    #[test]
    fn short_tcp_info_gives_no_counters_and_protocol_falls_back() {
        let head = diag_msg(
            AF_INET,
            1,
            1,
            2,
            v4([1, 1, 1, 1]),
            v4([2, 2, 2, 2]),
            7,
            0,
            0,
        );
        // An old kernel's tcp_info stops before bytes_sent.
        let mut info = tcp_info(232, 0, 0, 5, 6);
        info.truncate(TCPI_BYTES_SENT + 7);
        let s = parse_one(&reply(&head, &[(INET_DIAG_INFO, &info)]), None).unwrap();
        assert_eq!(s.key.protocol, IPPROTO_TCP);
        assert_eq!(s.tcp, None);
        // No attributes at all: the protocol asked for; none known: 0.
        assert_eq!(
            parse_one(&reply(&head, &[]), Some(17))
                .unwrap()
                .key
                .protocol,
            17
        );
        assert_eq!(parse_one(&reply(&head, &[]), None).unwrap().key.protocol, 0);
        // UDP with an INET_DIAG_INFO attribute (not sent by the kernel) still has no counters.
        let info = tcp_info(232, 1, 0, 0, 0);
        let udp = reply(
            &head,
            &[(INET_DIAG_PROTOCOL, &[17]), (INET_DIAG_INFO, &info)],
        );
        assert_eq!(parse_one(&udp, None).unwrap().tcp, None);
    }

    #[test]
    fn parses_ipv6_and_maps_dual_stack_ipv4() {
        let mut local6 = [0u8; 16];
        local6[0] = 0x20;
        local6[1] = 0x01;
        local6[15] = 5;
        let mut remote6 = [0u8; 16];
        remote6[15] = 1;
        let head = diag_msg(AF_INET6, 2, 5555, 80, local6, remote6, 1, 2, 3);
        let s = parse_one(&reply(&head, &[]), Some(6)).unwrap();
        assert_eq!(s.key.local_ip, IpAddress::V6(local6));
        assert_eq!(s.key.remote_ip, IpAddress::V6(remote6));
        assert_eq!((s.key.local_port, s.key.remote_port), (5555, 80));

        let mapped = |a: [u8; 4]| {
            let mut m = [0u8; 16];
            m[10] = 0xff;
            m[11] = 0xff;
            m[12..].copy_from_slice(&a);
            m
        };
        let head = diag_msg(
            AF_INET6,
            1,
            1,
            2,
            mapped([127, 0, 0, 1]),
            mapped([10, 1, 2, 3]),
            1,
            2,
            3,
        );
        let s = parse_one(&reply(&head, &[]), Some(6)).unwrap();
        assert_eq!(s.family, AF_INET6);
        assert_eq!(s.key.local_ip, IpAddress::V4([127, 0, 0, 1]));
        assert_eq!(s.key.remote_ip, IpAddress::V4([10, 1, 2, 3]));

        let head = diag_msg(AF_INET6, 7, 53, 0, mapped([127, 0, 0, 1]), [0; 16], 1, 2, 3);
        let s = parse_one(&reply(&head, &[]), Some(17)).unwrap();
        assert_eq!(s.key.remote_ip, IpAddress::V4([0; 4]));

        // A wildcard dual-stack listener stays IPv6.
        let head = diag_msg(AF_INET6, 10, 80, 0, [0; 16], [0; 16], 1, 2, 3);
        let s = parse_one(&reply(&head, &[]), Some(6)).unwrap();
        assert_eq!(s.key.local_ip, IpAddress::V6([0; 16]));
    }

    #[test]
    fn rejects_short_and_unknown_family_messages() {
        let head = diag_msg(
            AF_INET,
            1,
            1,
            2,
            v4([1, 1, 1, 1]),
            v4([2, 2, 2, 2]),
            7,
            0,
            0,
        );
        for cut in 0..DIAG_MSG_LEN {
            assert!(parse_diag_msg(&head[..cut], Some(6)).is_none());
        }
        let mut other = head.clone();
        other[0] = 1; // AF_UNIX
        assert!(parse_diag_msg(&other, Some(6)).is_none());
        // Garbage after the header is ignored rather than fatal.
        let mut trailing = head.clone();
        trailing.extend_from_slice(&[0xff, 0xff, 0xff]);
        assert!(parse_diag_msg(&trailing, Some(6)).is_some());
    }

    fn endpoint(address: SocketAddr) -> (IpAddress, u16) {
        let ip = match address.ip() {
            IpAddr::V4(a) => IpAddress::V4(a.octets()),
            IpAddr::V6(a) => IpAddress::V6(a.octets()),
        };
        (ip, address.port())
    }

    fn inode_of(fd: &impl AsRawFd) -> u64 {
        let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
        let link = link.to_str().unwrap();
        link.strip_prefix("socket:[")
            .and_then(|s| s.strip_suffix(']'))
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn kernel_finds_a_tcp_client_and_its_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let mut diag = SockDiag::open().unwrap();

        let local = endpoint(stream.local_addr().unwrap());
        let remote = endpoint(stream.peer_addr().unwrap());
        let client = diag.lookup(IPPROTO_TCP, local, remote, 0).unwrap().unwrap();
        assert_eq!(client.uid, sys::effective_uid());
        assert_eq!(client.inode, inode_of(&stream));
        assert_eq!(client.state, TCP_ESTABLISHED);
        assert_eq!((client.key.local_ip, client.key.local_port), local);
        assert_eq!((client.key.remote_ip, client.key.remote_port), remote);
        assert_eq!(client.key.protocol, IPPROTO_TCP);
        assert_ne!(client.cookie, 0);

        // The server side of the same connection.
        let server = diag.lookup(IPPROTO_TCP, remote, local, 0).unwrap().unwrap();
        assert_eq!(server.inode, inode_of(&accepted));

        // The listener, both with a zero remote and for an unknown peer (an inbound SYN).
        let listening = endpoint(listener.local_addr().unwrap());
        let l = diag
            .lookup_listener(IPPROTO_TCP, listening)
            .unwrap()
            .unwrap();
        assert_eq!((l.state, l.inode), (TCP_LISTEN, inode_of(&listener)));
        let syn = diag
            .lookup(
                IPPROTO_TCP,
                listening,
                (IpAddress::V4([127, 0, 0, 9]), 1234),
                0,
            )
            .unwrap()
            .unwrap();
        assert_eq!(syn.inode, inode_of(&listener));

        // Nothing there: None, not an error.
        drop(accepted);
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let free = endpoint(closed.local_addr().unwrap());
        drop(closed);
        assert_eq!(diag.lookup(IPPROTO_TCP, free, remote, 0).unwrap(), None);
        // ICMP has no sockets to look up: answered without a kernel call.
        assert_eq!(diag.lookup(1, local, remote, 0).unwrap(), None);
    }

    /// `SO_BINDTODEVICE` (asm-generic/socket.h).
    const SO_BINDTODEVICE: i32 = 25;
    /// The loopback interface's index, 1 in every network namespace.
    const LOOPBACK_INDEX: u32 = 1;

    #[test]
    fn kernel_finds_a_socket_bound_to_an_interface_only_when_asked_with_it() {
        let mut diag = SockDiag::open().unwrap();
        // UDP bound to lo, then connected (as a client with `--interface lo` does).
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let bound = UdpSocket::bind("127.0.0.1:0").unwrap();
        sys::set_option(&bound, sys::SOL_SOCKET, SO_BINDTODEVICE, b"lo\0").unwrap();
        bound.connect(server.local_addr().unwrap()).unwrap();
        let local = endpoint(bound.local_addr().unwrap());
        let remote = endpoint(server.local_addr().unwrap());
        assert_eq!(diag.lookup(IPPROTO_UDP, local, remote, 0).unwrap(), None);
        let found = diag
            .lookup(IPPROTO_UDP, local, remote, LOOPBACK_INDEX)
            .unwrap()
            .unwrap();
        assert_eq!(found.inode, inode_of(&bound));
        assert_eq!(found.bound_interface, LOOPBACK_INDEX);
        // Another interface's index does not find it.
        assert_eq!(diag.lookup(IPPROTO_UDP, local, remote, 999).unwrap(), None);
        // A socket bound to no interface is found whatever the request names.
        let unbound = UdpSocket::bind("127.0.0.1:0").unwrap();
        unbound.connect(server.local_addr().unwrap()).unwrap();
        let local = endpoint(unbound.local_addr().unwrap());
        for interface in [0, LOOPBACK_INDEX] {
            let found = diag
                .lookup(IPPROTO_UDP, local, remote, interface)
                .unwrap()
                .unwrap();
            assert_eq!(found.inode, inode_of(&unbound));
            assert_eq!(found.bound_interface, 0);
        }

        // TCP, with its counters: bound once connected (lookups see the socket's binding now).
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut accepted, _) = listener.accept().unwrap();
        sys::set_option(&stream, sys::SOL_SOCKET, SO_BINDTODEVICE, b"lo\0").unwrap();
        stream.write_all(&[7; 300]).unwrap();
        accepted.read_exact(&mut [0; 300]).unwrap();
        let client = endpoint(stream.local_addr().unwrap());
        let served = endpoint(stream.peer_addr().unwrap());
        assert_eq!(diag.lookup_tcp_counters(client, served, 0).unwrap(), None);
        let counted = diag
            .lookup_tcp_counters(client, served, LOOPBACK_INDEX)
            .unwrap()
            .unwrap();
        assert_eq!(counted.inode, inode_of(&stream));
        assert_eq!(counted.tcp.unwrap().bytes_sent, 300);
        // The unbound side of the same connection, asked with the interface.
        let theirs = diag
            .lookup_tcp_counters(served, client, LOOPBACK_INDEX)
            .unwrap()
            .unwrap();
        assert_eq!(theirs.tcp.unwrap().bytes_received, 300);
    }

    #[test]
    fn kernel_finds_udp_sockets_with_the_swapped_orientation() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(server.local_addr().unwrap()).unwrap();
        let mut diag = SockDiag::open().unwrap();
        let local = endpoint(client.local_addr().unwrap());
        let remote = endpoint(server.local_addr().unwrap());
        let found = diag.lookup(IPPROTO_UDP, local, remote, 0).unwrap().unwrap();
        assert_eq!(found.inode, inode_of(&client));
        assert_eq!(found.state, TCP_ESTABLISHED);
        assert_eq!((found.key.local_ip, found.key.local_port), local);
        assert_eq!(found.key.protocol, IPPROTO_UDP);
        // The unconnected server socket, from the point of view of a datagram arriving there.
        let s = diag.lookup(IPPROTO_UDP, remote, local, 0).unwrap().unwrap();
        assert_eq!((s.inode, s.state), (inode_of(&server), TCP_CLOSE));
        let s = diag.lookup_listener(IPPROTO_UDP, remote).unwrap().unwrap();
        assert_eq!(s.inode, inode_of(&server));
    }

    #[test]
    fn kernel_finds_ipv6_sockets() {
        let Ok(listener) = TcpListener::bind("[::1]:0") else {
            return; // no IPv6 loopback here
        };
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut diag = SockDiag::open().unwrap();
        let local = endpoint(stream.local_addr().unwrap());
        let remote = endpoint(stream.peer_addr().unwrap());
        let found = diag.lookup(IPPROTO_TCP, local, remote, 0).unwrap().unwrap();
        assert_eq!((found.inode, found.family), (inode_of(&stream), AF_INET6));
        assert_eq!(found.key.local_ip, local.0);
        let sockets = diag.dump_tcp(true).unwrap();
        assert!(sockets
            .iter()
            .any(|s| s.cookie == found.cookie && s.tcp.is_some()));
    }

    #[test]
    fn kernel_dump_lists_our_connection_with_counters() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut accepted, _) = listener.accept().unwrap();
        stream.write_all(&[7u8; 1000]).unwrap();
        let mut buf = [0u8; 1000];
        accepted.read_exact(&mut buf).unwrap();
        let mut diag = SockDiag::open().unwrap();
        let port = stream.local_addr().unwrap().port();
        let sockets = diag.dump_tcp(false).unwrap();
        let mine = sockets
            .iter()
            .find(|s| s.key.local_port == port && s.key.local_ip == IpAddress::V4([127, 0, 0, 1]))
            .unwrap();
        assert_eq!(mine.inode, inode_of(&stream));
        assert_eq!(mine.tcp.unwrap().bytes_sent, 1000);
        assert!(sockets.iter().all(|s| s.state != TCP_TIME_WAIT));
    }

    #[test]
    fn kernel_gives_one_connections_counters_from_both_ends_and_never_the_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        let mut stream = TcpStream::connect(server).unwrap();
        let (mut accepted, _) = listener.accept().unwrap();
        stream.write_all(&[7u8; 1500]).unwrap();
        let mut buf = [0u8; 1500];
        accepted.read_exact(&mut buf).unwrap();
        let mut diag = SockDiag::open().unwrap();
        let client = (
            IpAddress::V4([127, 0, 0, 1]),
            stream.local_addr().unwrap().port(),
        );
        let served = (IpAddress::V4([127, 0, 0, 1]), server.port());
        let ours = diag
            .lookup_tcp_counters(client, served, 0)
            .unwrap()
            .unwrap();
        assert_eq!(ours.inode, inode_of(&stream));
        assert_eq!(ours.tcp.unwrap().bytes_sent, 1500);
        let theirs = diag
            .lookup_tcp_counters(served, client, 0)
            .unwrap()
            .unwrap();
        assert_eq!(theirs.tcp.unwrap().bytes_received, 1500);
        // Once both ends are closed the lookup would fall back to the listener: none.
        drop((stream, accepted));
        std::thread::sleep(std::time::Duration::from_millis(50));
        let closed = diag.lookup_tcp_counters(served, client, 0).unwrap();
        assert!(
            closed.is_none_or(|s| s.state != TCP_LISTEN),
            "the listener is never a connection's counters: {closed:?}"
        );
    }

    #[test]
    fn kernel_reports_the_final_bytes_when_a_tcp_socket_is_destroyed() {
        let mut events = DestroyListener::open().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut accepted, _) = listener.accept().unwrap();
        let port = stream.local_addr().unwrap().port();
        let cookie = SockDiag::open()
            .unwrap()
            .lookup(
                IPPROTO_TCP,
                endpoint(stream.local_addr().unwrap()),
                endpoint(stream.peer_addr().unwrap()),
                0,
            )
            .unwrap()
            .unwrap()
            .cookie;

        let reader = std::thread::spawn(move || {
            let mut received = Vec::new();
            accepted.read_to_end(&mut received).unwrap();
            received.len()
        });
        stream.write_all(&vec![0x5a; 100_000]).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(reader.join().unwrap(), 100_000); // the server closes after EOF
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).unwrap();
        drop(stream);

        let deadline = Instant::now() + Duration::from_secs(2);
        let event = loop {
            let now = Instant::now();
            assert!(now < deadline, "no destroy event within 2 s");
            let found = events
                .recv(deadline - now)
                .unwrap()
                .into_iter()
                .find(|e| e.key.protocol == IPPROTO_TCP && e.key.local_port == port);
            if let Some(event) = found {
                break event;
            }
        };
        assert_eq!(event.cookie, cookie);
        assert_eq!(event.inode, 0);
        assert_eq!(event.key.local_ip, IpAddress::V4([127, 0, 0, 1]));
        let tcp = event.tcp.unwrap();
        assert_eq!(tcp.bytes_sent - tcp.bytes_retrans, 100_000);
        assert_eq!(tcp.bytes_acked, 100_002); // SYN and FIN count once each
        assert_eq!(tcp.bytes_received, 1); // the peer's FIN
        assert_eq!(events.overruns(), 0);
    }

    #[test]
    fn a_udp_socket_freed_tells_the_listener_nothing() {
        let mut events = DestroyListener::open().unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.send_to(b"x", udp.local_addr().unwrap()).unwrap();
        drop(udp);
        // The kernel fills a freed socket's message on a worker of the freeing CPU, so the two
        // could arrive out of order: the pause lets the UDP one (were it queued) come first,
        // and the reads below go on a while after the TCP one.
        std::thread::sleep(Duration::from_millis(50));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let tcp_port = stream.local_addr().unwrap().port();
        let (accepted, _) = listener.accept().unwrap();
        drop((stream, accepted, listener));

        let deadline = Instant::now() + Duration::from_secs(2);
        let mut seen = Vec::new();
        while !seen
            .iter()
            .any(|e: &SocketInfo| e.key.protocol == IPPROTO_TCP && e.key.local_port == tcp_port)
        {
            let now = Instant::now();
            assert!(
                now < deadline,
                "no destroy event for the TCP socket within 2 s"
            );
            seen.extend(events.recv(deadline - now).unwrap());
        }
        let linger = Instant::now() + Duration::from_millis(100);
        while let Some(left) = linger.checked_duration_since(Instant::now()) {
            seen.extend(events.recv(left.max(Duration::from_millis(1))).unwrap());
        }
        let udp_events: Vec<_> = seen
            .iter()
            .filter(|e| e.key.protocol != IPPROTO_TCP)
            .collect();
        assert!(
            udp_events.is_empty(),
            "events of other sockets: {udp_events:?}"
        );
    }
}
