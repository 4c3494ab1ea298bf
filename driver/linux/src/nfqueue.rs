//! NFQUEUE over raw netlink: bind a queue, receive held packets, answer them.
//! Layouts from the kernel's `nfnetlink_queue.h`; netfilter payloads are big-endian.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use crate::netlink::{self, nfgenmsg, MessageBuilder, NetlinkSocket, NLM_F_ACK, NLM_F_REQUEST};
use crate::sys;

/// `NETLINK_NETFILTER`.
pub(crate) const NETLINK_NETFILTER: i32 = 12;
const SUBSYS_QUEUE: u16 = 3;
const MSG_PACKET: u16 = SUBSYS_QUEUE << 8;
const MSG_VERDICT: u16 = (SUBSYS_QUEUE << 8) | 1;
const MSG_CONFIG: u16 = (SUBSYS_QUEUE << 8) | 2;

const CFG_CMD: u16 = 1;
const CFG_PARAMS: u16 = 2;
const CFG_QUEUE_MAXLEN: u16 = 3;
const CFG_MASK: u16 = 4;
const CFG_FLAGS: u16 = 5;
const CMD_BIND: u8 = 1;
const COPY_PACKET: u8 = 2;
/// `NFQA_CFG_F_GSO`: hand us GSO super-packets unsegmented (never segment on our account).
const F_GSO: u32 = 4;
/// `NFQA_CFG_F_UID_GID`: the socket owner of locally generated packets.
const F_UID_GID: u32 = 8;

const ATTR_PACKET_HDR: u16 = 1;
const ATTR_VERDICT_HDR: u16 = 2;
const ATTR_MARK: u16 = 3;
const ATTR_IFINDEX_INDEV: u16 = 5;
const ATTR_IFINDEX_OUTDEV: u16 = 6;
const ATTR_PAYLOAD: u16 = 10;
const ATTR_UID: u16 = 16;

/// `NF_INET_LOCAL_IN`.
pub(crate) const HOOK_LOCAL_IN: u8 = 1;

/// Kernel verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KernelVerdict {
    /// `NF_DROP`.
    Drop = 0,
    /// `NF_ACCEPT`.
    Accept = 1,
}

/// One held packet.
#[derive(Clone, Debug)]
pub(crate) struct QueuedPacket {
    /// The kernel's id for the verdict.
    pub(crate) packet_id: u32,
    /// The netfilter hook (1 input, 3 output).
    pub(crate) hook: u8,
    /// The skb mark when queued.
    pub(crate) mark: u32,
    /// The owning socket's uid (output only).
    pub(crate) uid: Option<u32>,
    /// The interface the packet came in on (input) or goes out by (output); 0 when the kernel
    /// named none. A socket bound to an interface is found by sock_diag only with it.
    pub(crate) interface: u32,
    /// The packet from its IP header, cut to the copy range.
    pub(crate) payload: Vec<u8>,
}

/// A bound queue.
pub(crate) struct Queue {
    socket: NetlinkSocket,
    number: u16,
}

impl Queue {
    /// Binds queue `number` with room for `max_len` held packets, copying `copy_range` bytes.
    pub(crate) fn bind(number: u16, max_len: u32, copy_range: u32) -> io::Result<Queue> {
        let file = sys::netlink_socket(NETLINK_NETFILTER, 0)?;
        // A burst of new connections must not be lost to a small socket buffer, and an overflow
        // must not turn into an error on every later read.
        sys::set_int_option(&file, sys::SOL_SOCKET, sys::SO_RCVBUFFORCE, 8 << 20)?;
        sys::set_int_option(&file, sys::SOL_NETLINK, sys::NETLINK_NO_ENOBUFS, 1)?;
        let mut queue = Queue {
            socket: NetlinkSocket::new(file, 256 * 1024),
            number,
        };
        let mut params = copy_range.to_be_bytes().to_vec();
        params.push(COPY_PACKET);
        let seq = queue.socket.next_seq();
        let flags = F_GSO | F_UID_GID;
        let message = MessageBuilder::new(MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq)
            .raw(&nfgenmsg(0, number))
            .attr(CFG_CMD, &[CMD_BIND, 0, 0, 0])
            .attr(CFG_PARAMS, &params)
            .attr(CFG_QUEUE_MAXLEN, &max_len.to_be_bytes())
            .attr(CFG_MASK, &flags.to_be_bytes())
            .attr(CFG_FLAGS, &flags.to_be_bytes())
            .finish();
        queue.socket.request_ack(&message, seq).map_err(|err| {
            io::Error::new(err.kind(), format!("binding NFQUEUE {number}: {err}"))
        })?;
        Ok(queue)
    }

    /// Makes `recv_packets` return after `timeout` without packets.
    pub(crate) fn set_timeout(&self, timeout: Duration) -> io::Result<()> {
        sys::set_receive_timeout(self.socket.file(), timeout)
    }

    /// Waits for packets; returns those of one read (empty on timeout).
    pub(crate) fn recv_packets(&mut self) -> io::Result<Vec<QueuedPacket>> {
        let datagram = match self.socket.recv() {
            Ok(d) => d,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Vec::new())
            }
            Err(e) => return Err(e),
        };
        Ok(netlink::messages(datagram)
            .filter(|m| m.kind == MSG_PACKET)
            .filter_map(|m| parse_packet(m.payload))
            .collect())
    }

    /// The socket, to wait for packets on it with other sockets (`sys::wait_readable`).
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.socket.file().as_raw_fd()
    }

    /// A sender for verdicts that can be used from other threads.
    pub(crate) fn verdict_sender(&self) -> io::Result<VerdictSender> {
        Ok(VerdictSender {
            file: self.socket.file().try_clone()?,
            number: self.number,
        })
    }
}

/// Sends verdicts on the queue's socket (a clone of its fd), one message per packet.
pub(crate) struct VerdictSender {
    file: std::fs::File,
    number: u16,
}

impl VerdictSender {
    /// Answers one packet, replacing its mark with `mark` when given.
    pub(crate) fn send(
        &self,
        packet_id: u32,
        verdict: KernelVerdict,
        mark: Option<u32>,
    ) -> io::Result<()> {
        let mut header = (verdict as u32).to_be_bytes().to_vec();
        header.extend_from_slice(&packet_id.to_be_bytes());
        let mut message = MessageBuilder::new(MSG_VERDICT, NLM_F_REQUEST, 0)
            .raw(&nfgenmsg(0, self.number))
            .attr(ATTR_VERDICT_HDR, &header);
        if let Some(mark) = mark {
            message = message.attr(ATTR_MARK, &mark.to_be_bytes());
        }
        let bytes = message.finish();
        let written = sys::retry_interrupted(|| std::io::Write::write(&mut &self.file, &bytes))?;
        if written != bytes.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "short verdict write",
            ));
        }
        Ok(())
    }
}

/// Parses the body of an NFQNL_MSG_PACKET (after the netlink header).
fn parse_packet(payload: &[u8]) -> Option<QueuedPacket> {
    let attributes = payload.get(4..)?;
    let header = netlink::find_attr(attributes, ATTR_PACKET_HDR)?;
    let &[i0, i1, i2, i3, _, _, hook, ..] = header.data else {
        return None;
    };
    Some(QueuedPacket {
        packet_id: u32::from_be_bytes([i0, i1, i2, i3]),
        hook,
        mark: netlink::find_attr(attributes, ATTR_MARK)
            .and_then(|a| a.be_u32())
            .unwrap_or(0),
        uid: netlink::find_attr(attributes, ATTR_UID).and_then(|a| a.be_u32()),
        interface: netlink::find_attr(
            attributes,
            if hook == HOOK_LOCAL_IN {
                ATTR_IFINDEX_INDEV
            } else {
                ATTR_IFINDEX_OUTDEV
            },
        )
        .and_then(|a| a.be_u32())
        .unwrap_or(0),
        payload: netlink::find_attr(attributes, ATTR_PAYLOAD)
            .map(|a| a.data.to_vec())
            .unwrap_or_default(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_packet_message() {
        let message = MessageBuilder::new(MSG_PACKET, 0, 0)
            .raw(&nfgenmsg(2, 7))
            .attr(ATTR_PACKET_HDR, &[0, 0, 1, 2, 0x08, 0x00, 3])
            .attr(ATTR_MARK, &0x4000_0000u32.to_be_bytes())
            .attr(ATTR_UID, &1000u32.to_be_bytes())
            .attr(ATTR_IFINDEX_INDEV, &2u32.to_be_bytes())
            .attr(ATTR_IFINDEX_OUTDEV, &7u32.to_be_bytes())
            .attr(ATTR_PAYLOAD, &[0x45, 0, 0, 20])
            .finish();
        let m = netlink::messages(&message).next().unwrap();
        let packet = parse_packet(m.payload).unwrap();
        assert_eq!(packet.packet_id, 258);
        assert_eq!(packet.hook, 3);
        assert_eq!(packet.mark, 0x4000_0000);
        assert_eq!(packet.uid, Some(1000));
        assert_eq!(
            packet.interface, 7,
            "an output packet's interface is its way out"
        );
        assert_eq!(packet.payload, vec![0x45, 0, 0, 20]);
        assert!(parse_packet(&[0, 0]).is_none());
    }

    #[test]
    fn an_input_packet_names_the_interface_it_came_in_on() {
        let message = |attrs: &[(u16, u32)]| {
            let mut builder = MessageBuilder::new(MSG_PACKET, 0, 0)
                .raw(&nfgenmsg(2, 7))
                .attr(ATTR_PACKET_HDR, &[0, 0, 0, 9, 0x08, 0x00, HOOK_LOCAL_IN]);
            for (kind, value) in attrs {
                builder = builder.attr(*kind, &value.to_be_bytes());
            }
            builder.finish()
        };
        let parsed = |bytes: &[u8]| parse_packet(netlink::messages(bytes).next().unwrap().payload);
        let both = message(&[(ATTR_IFINDEX_INDEV, 4), (ATTR_IFINDEX_OUTDEV, 7)]);
        assert_eq!(parsed(&both).unwrap().interface, 4);
        // None named (or a short attribute): any interface.
        assert_eq!(parsed(&message(&[])).unwrap().interface, 0);
        let short = MessageBuilder::new(MSG_PACKET, 0, 0)
            .raw(&nfgenmsg(2, 7))
            .attr(ATTR_PACKET_HDR, &[0, 0, 0, 9, 0x08, 0x00, HOOK_LOCAL_IN])
            .attr(ATTR_IFINDEX_INDEV, &[0, 4])
            .finish();
        assert_eq!(parsed(&short).unwrap().interface, 0);
    }
}
