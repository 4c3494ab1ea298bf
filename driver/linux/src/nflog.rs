//! NFLOG over raw netlink (`NETLINK_NETFILTER`, subsystem `NFULNL`): bind a log group and read
//! the packets a `-j NFLOG --nflog-group N` (or nft `log group N`) rule copies to it. Used for DNS
//! answers; NFLOG is passive and never holds a packet. Layouts from the kernel's
//! `nfnetlink_log.h`; attribute payloads are big-endian.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixDatagram;

use crate::netlink::{self, nfgenmsg, MessageBuilder, NetlinkSocket, NLM_F_ACK, NLM_F_REQUEST};
use crate::sys;

/// `NETLINK_NETFILTER`.
const NETLINK_NETFILTER: i32 = 12;
/// `NFNL_SUBSYS_ULOG`.
const SUBSYS_ULOG: u16 = 4;
/// `NFULNL_MSG_PACKET`.
const MSG_PACKET: u16 = SUBSYS_ULOG << 8;
/// `NFULNL_MSG_CONFIG`.
const MSG_CONFIG: u16 = (SUBSYS_ULOG << 8) | 1;

/// `NFULA_CFG_CMD`: `{u8 command}`.
const CFG_CMD: u16 = 1;
/// `NFULA_CFG_MODE`: `{be32 copy_range; u8 copy_mode; u8 pad}`.
const CFG_MODE: u16 = 2;
/// `NFULA_CFG_QTHRESH`: be32, how many packets the kernel batches before sending.
const CFG_QTHRESH: u16 = 5;
/// `NFULNL_CFG_CMD_BIND`.
const CMD_BIND: u8 = 1;
/// `NFULNL_COPY_PACKET`.
const COPY_PACKET: u8 = 2;
/// `NFULA_PACKET_HDR`: `{be16 hw_protocol; u8 hook; u8 pad}`.
const ATTR_PACKET_HDR: u16 = 1;
/// `NFULA_IFINDEX_INDEV`: be32.
const ATTR_IFINDEX_INDEV: u16 = 4;
/// `NFULA_PAYLOAD`: the packet from its L3 header.
const ATTR_PAYLOAD: u16 = 9;

/// One logged packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LoggedPacket {
    /// The netfilter hook it was logged in (1 input, 3 output), 0 when the kernel left it out.
    pub(crate) hook: u8,
    /// The interface it came in on (`NFULA_IFINDEX_INDEV`); 0 for a packet this host sent.
    pub(crate) in_interface: u32,
    /// The packet from its IP header, cut to the rule's `--nflog-size`.
    pub(crate) payload: Vec<u8>,
}

/// Receive buffer: one read can carry several logged packets of up to 64 KiB each.
const BUF_LEN: usize = 256 * 1024;

/// A bound NFLOG group.
pub(crate) struct NflogGroup {
    socket: NetlinkSocket,
    /// A second handle on the same open socket, only to switch `O_NONBLOCK` (shared by both
    /// handles) with std's `set_nonblocking` (`ioctl(FIONBIO)`, valid on any socket).
    mode: UnixDatagram,
    nonblocking: bool,
}

/// The config request that binds `group`, copies whole packets (`copy_range` 0 = the kernel's
/// maximum, 65535; the rule's `--nflog-size` cuts further) and sends each packet at once.
fn bind_message(group: u16, seq: u32) -> Vec<u8> {
    let mut mode = 0u32.to_be_bytes().to_vec();
    mode.extend_from_slice(&[COPY_PACKET, 0]);
    MessageBuilder::new(MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq)
        .raw(&nfgenmsg(0, group))
        .attr(CFG_CMD, &[CMD_BIND])
        .attr(CFG_MODE, &mode)
        // The instance default batches 100 packets or 1 s (nft `log group` without
        // `queue-threshold` uses it); an answer must be readable before its SYN is handled.
        .attr(CFG_QTHRESH, &1u32.to_be_bytes())
        .finish()
}

impl NflogGroup {
    /// Binds NFLOG `group` on a new socket (needs CAP_NET_ADMIN). Fails (`EPERM`) when
    /// another socket holds the group. The binding ends when this value is dropped.
    ///
    /// No `PF_UNBIND`/`PF_BIND` commands are sent: on current kernels they are not no-ops but
    /// replace the namespace's default logger for the family (`/proc/sys/net/netfilter/nf_log/2`,
    /// normally `nf_log_ipv4`), and NFLOG rules have not needed them since Linux 3.13.
    pub(crate) fn bind(group: u16) -> io::Result<NflogGroup> {
        let file = sys::netlink_socket(NETLINK_NETFILTER, 0)?;
        // A burst of answers must not be lost, and an overflow must not fail later reads.
        sys::set_int_option(&file, sys::SOL_SOCKET, sys::SO_RCVBUFFORCE, 4 << 20)?;
        sys::set_int_option(&file, sys::SOL_NETLINK, sys::NETLINK_NO_ENOBUFS, 1)?;
        let mode = UnixDatagram::from(OwnedFd::from(file.try_clone()?));
        let mut socket = NetlinkSocket::new(file, BUF_LEN);
        let seq = 1;
        socket
            .request_ack(&bind_message(group, seq), seq)
            .map_err(|err| {
                io::Error::new(err.kind(), format!("binding NFLOG group {group}: {err}"))
            })?;
        Ok(NflogGroup {
            socket,
            mode,
            nonblocking: false,
        })
    }

    /// The socket, to wait for logged packets with other sockets (`sys::wait_readable`).
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.socket.file().as_raw_fd()
    }

    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        if self.nonblocking != nonblocking {
            self.mode.set_nonblocking(nonblocking)?;
            self.nonblocking = nonblocking;
        }
        Ok(())
    }

    /// Waits for logged packets and returns those of one read.
    #[allow(
        dead_code,
        reason = "API for a blocking reader; the daemon drains with try_recv_all"
    )]
    pub(crate) fn recv(&mut self) -> io::Result<Vec<LoggedPacket>> {
        self.set_nonblocking(false)?;
        let datagram = self.socket.recv()?;
        Ok(payloads(datagram))
    }

    /// Returns every packet already waiting, without blocking (empty when there is none). The
    /// socket is switched to `O_NONBLOCK` rather than given a 1 µs receive timeout: the kernel
    /// rounds a timeout up to a clock tick (4 ms at HZ=250), which every drain would then wait.
    pub(crate) fn try_recv_all(&mut self) -> io::Result<Vec<LoggedPacket>> {
        self.set_nonblocking(true)?;
        let mut packets = Vec::new();
        loop {
            match self.socket.recv() {
                Ok(datagram) => packets.extend(payloads(datagram)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(packets),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// The hook, input interface and `NFULA_PAYLOAD` of each `NFULNL_MSG_PACKET` in a datagram.
fn payloads(datagram: &[u8]) -> Vec<LoggedPacket> {
    netlink::messages(datagram)
        .filter(|m| m.kind == MSG_PACKET)
        .filter_map(|m| {
            let attributes = m.payload.get(4..)?;
            let hook = netlink::find_attr(attributes, ATTR_PACKET_HDR)
                .and_then(|a| a.data.get(2).copied())
                .unwrap_or(0);
            let in_interface = netlink::find_attr(attributes, ATTR_IFINDEX_INDEV)
                .and_then(|a| a.be_u32())
                .unwrap_or(0);
            netlink::find_attr(attributes, ATTR_PAYLOAD).map(|a| LoggedPacket {
                hook,
                in_interface,
                payload: a.data.to_vec(),
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn packet(payload: Option<&[u8]>) -> Vec<u8> {
        let mut b = MessageBuilder::new(MSG_PACKET, 0, 0)
            .raw(&nfgenmsg(2, 4243))
            .attr(1, &[0x08, 0x00, 1, 0]) // NFULA_PACKET_HDR {be16 hw_protocol, u8 hook, pad}
            .attr(10, b"dns\0"); // NFULA_PREFIX
        if let Some(p) = payload {
            b = b.attr(ATTR_PAYLOAD, p);
        }
        b.finish()
    }

    #[test]
    fn extracts_the_payload_of_each_packet_message() {
        let mut datagram = packet(Some(&[0x45, 0, 0, 29, 1]));
        datagram.extend(packet(None));
        let came_in = MessageBuilder::new(MSG_PACKET, 0, 0)
            .raw(&nfgenmsg(2, 4243))
            .attr(ATTR_PACKET_HDR, &[0x08, 0x00, 1, 0])
            .attr(ATTR_IFINDEX_INDEV, &5u32.to_be_bytes())
            .attr(ATTR_PAYLOAD, &[0x45, 1])
            .finish();
        datagram.extend(came_in);
        datagram.extend(
            MessageBuilder::new(netlink::NLMSG_ERROR, 0, 1)
                .raw(&0i32.to_ne_bytes())
                .finish(),
        );
        datagram.extend(packet(Some(&[0x60, 0, 0, 0])));
        let logged = |in_interface: u32, payload: Vec<u8>| LoggedPacket {
            hook: 1,
            in_interface,
            payload,
        };
        assert_eq!(
            payloads(&datagram),
            vec![
                logged(0, vec![0x45, 0, 0, 29, 1]),
                logged(5, vec![0x45, 1]),
                logged(0, vec![0x60, 0, 0, 0])
            ]
        );
        assert!(payloads(&[]).is_empty());
        assert!(payloads(&datagram[..20]).is_empty());
    }

    #[test]
    fn encodes_the_bind_request() {
        let message = bind_message(4243, 1);
        let m = netlink::messages(&message).next().unwrap();
        assert_eq!(m.kind, 0x401);
        assert_eq!(&m.payload[..4], &[0, 0, 0x10, 0x93]);
        let attrs: Vec<_> = netlink::attrs(&m.payload[4..]).collect();
        assert_eq!((attrs[0].kind, attrs[0].data), (CFG_CMD, &[CMD_BIND][..]));
        assert_eq!(
            (attrs[1].kind, attrs[1].data),
            (CFG_MODE, &[0, 0, 0, 0, 2, 0][..])
        );
        assert_eq!((attrs[2].kind, attrs[2].be_u32()), (CFG_QTHRESH, Some(1)));
    }

    #[test]
    fn kernel_binds_a_group_and_drains_without_waiting() {
        // A group number no rule uses; binding it twice must fail (EPERM).
        let group = 40_000 + (std::process::id() % 20_000) as u16;
        let mut log = NflogGroup::bind(group).unwrap();
        assert!(NflogGroup::bind(group).is_err());
        let start = Instant::now();
        for _ in 0..100 {
            assert!(log.try_recv_all().unwrap().is_empty());
        }
        assert!(start.elapsed() < std::time::Duration::from_millis(50));
        drop(log);
        NflogGroup::bind(group).unwrap(); // released with the socket
    }
}
