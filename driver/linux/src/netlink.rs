//! Netlink framing: building requests with (nested) attributes and walking replies. Pure byte
//! logic; the sockets are in `sys.rs`. Netlink headers are in host order (little-endian here),
//! while netfilter attribute payloads are big-endian: each caller says which it writes.

use std::fs::File;
use std::io::{self, Read, Write};
use std::time::Duration;

use crate::errno::{ENOBUFS, ENOENT};
use crate::sys;

/// `struct nlmsghdr` size.
pub(crate) const NLMSG_HDRLEN: usize = 16;
/// `NLMSG_ERROR`: an ack (error 0) or a failure (-errno).
pub(crate) const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a dump.
pub(crate) const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub(crate) const NLM_F_REQUEST: u16 = 1;
/// `NLM_F_ACK`.
pub(crate) const NLM_F_ACK: u16 = 4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub(crate) const NLM_F_DUMP: u16 = 0x300;
/// `NLA_F_NESTED`.
pub(crate) const NLA_F_NESTED: u16 = 0x8000;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// `struct nfgenmsg`: family, version 0 (`NFNETLINK_V0`), resource id (big-endian).
pub(crate) fn nfgenmsg(family: u8, res_id: u16) -> [u8; 4] {
    let [hi, lo] = res_id.to_be_bytes();
    [family, 0, hi, lo]
}

/// The error code in an `NLMSG_DONE` payload (0 when absent).
fn done_code(payload: &[u8]) -> i32 {
    payload
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(i32::from_ne_bytes)
        .unwrap_or(0)
}

fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// Builds one netlink message.
pub(crate) struct MessageBuilder {
    bytes: Vec<u8>,
    nests: Vec<usize>,
}

impl MessageBuilder {
    /// Starts a message of `kind` with `flags` and sequence number `seq`.
    pub(crate) fn new(kind: u16, flags: u16, seq: u32) -> Self {
        let mut bytes = Vec::with_capacity(128);
        bytes.extend_from_slice(&0u32.to_ne_bytes()); // length, patched in finish()
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(&flags.to_ne_bytes());
        bytes.extend_from_slice(&seq.to_ne_bytes());
        bytes.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it in
        MessageBuilder {
            bytes,
            nests: Vec::new(),
        }
    }

    /// Appends raw bytes (a family header such as `nfgenmsg`), padded to 4.
    pub(crate) fn raw(mut self, data: &[u8]) -> Self {
        self.bytes.extend_from_slice(data);
        self.pad();
        self
    }

    fn pad(&mut self) {
        let padded = align4(self.bytes.len());
        self.bytes.resize(padded, 0);
    }

    /// Appends an attribute.
    pub(crate) fn attr(mut self, kind: u16, data: &[u8]) -> Self {
        let len = (4 + data.len()) as u16;
        self.bytes.extend_from_slice(&len.to_ne_bytes());
        self.bytes.extend_from_slice(&kind.to_ne_bytes());
        self.bytes.extend_from_slice(data);
        self.pad();
        self
    }

    /// Appends whole attributes as [`raw_attrs`] gives them, each padded to 4.
    pub(crate) fn raw_attr(mut self, whole: &[u8]) -> Self {
        self.bytes.extend_from_slice(whole);
        self.pad();
        self
    }

    /// Opens a nested attribute; close it with [`MessageBuilder::end_nest`].
    pub(crate) fn nest(mut self, kind: u16) -> Self {
        self.nests.push(self.bytes.len());
        self.bytes.extend_from_slice(&0u16.to_ne_bytes());
        self.bytes
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        self
    }

    /// Closes the innermost nested attribute.
    pub(crate) fn end_nest(mut self) -> Self {
        if let Some(start) = self.nests.pop() {
            let len = (self.bytes.len() - start) as u16;
            if let Some(slot) = self.bytes.get_mut(start..start + 2) {
                slot.copy_from_slice(&len.to_ne_bytes());
            }
        }
        self
    }

    /// The finished message.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let len = self.bytes.len() as u32;
        if let Some(slot) = self.bytes.get_mut(0..4) {
            slot.copy_from_slice(&len.to_ne_bytes());
        }
        self.bytes
    }
}

/// One received netlink message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Message<'a> {
    /// `nlmsg_type`.
    pub(crate) kind: u16,
    /// `nlmsg_seq`.
    pub(crate) seq: u32,
    /// Everything after the 16-byte header.
    pub(crate) payload: &'a [u8],
}

impl Message<'_> {
    /// For `NLMSG_ERROR`: the error code (0 is an ack, negative an errno).
    pub(crate) fn error_code(&self) -> Option<i32> {
        if self.kind != NLMSG_ERROR {
            return None;
        }
        Some(i32::from_ne_bytes(self.payload.get(..4)?.try_into().ok()?))
    }
}

/// Iterates the messages of one datagram; stops at the first malformed header.
pub(crate) fn messages(datagram: &[u8]) -> impl Iterator<Item = Message<'_>> {
    let mut rest = datagram;
    std::iter::from_fn(move || {
        let &[l0, l1, l2, l3, k0, k1, _, _, s0, s1, s2, s3, ..] = rest else {
            return None;
        };
        let len = u32::from_ne_bytes([l0, l1, l2, l3]) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            rest = &[];
            return None;
        }
        let message = Message {
            kind: u16::from_ne_bytes([k0, k1]),
            seq: u32::from_ne_bytes([s0, s1, s2, s3]),
            payload: rest.get(NLMSG_HDRLEN..len).unwrap_or(&[]),
        };
        rest = rest.get(align4(len).min(rest.len())..).unwrap_or(&[]);
        Some(message)
    })
}

/// One attribute: its type (flags masked off) and payload.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attr<'a> {
    /// The attribute type without the nested/byte-order flags.
    pub(crate) kind: u16,
    /// The payload.
    pub(crate) data: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The payload as a big-endian u32 (netfilter's order), if it is 4 bytes.
    pub(crate) fn be_u32(&self) -> Option<u32> {
        let d: [u8; 4] = self.data.try_into().ok()?;
        Some(u32::from_be_bytes(d))
    }

    /// The payload as a big-endian u64.
    pub(crate) fn be_u64(&self) -> Option<u64> {
        let d: [u8; 8] = self.data.try_into().ok()?;
        Some(u64::from_be_bytes(d))
    }

    /// The payload as a host-order u32 (rtnetlink's order), if it is 4 bytes.
    pub(crate) fn ne_u32(&self) -> Option<u32> {
        let d: [u8; 4] = self.data.try_into().ok()?;
        Some(u32::from_ne_bytes(d))
    }

    /// The payload as a big-endian u16.
    pub(crate) fn be_u16(&self) -> Option<u16> {
        let d: [u8; 2] = self.data.try_into().ok()?;
        Some(u16::from_be_bytes(d))
    }

    /// The payload's nested attributes.
    pub(crate) fn nested(&self) -> impl Iterator<Item = Attr<'a>> {
        attrs(self.data)
    }
}

/// Iterates the attributes in `bytes`; stops at the first malformed one.
pub(crate) fn attrs(bytes: &[u8]) -> impl Iterator<Item = Attr<'_>> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let &[l0, l1, k0, k1, ..] = rest else {
            return None;
        };
        let len = usize::from(u16::from_ne_bytes([l0, l1]));
        let kind = u16::from_ne_bytes([k0, k1]) & NLA_TYPE_MASK;
        if len < 4 || len > rest.len() {
            rest = &[];
            return None;
        }
        let attr = Attr {
            kind,
            data: rest.get(4..len).unwrap_or(&[]),
        };
        rest = rest.get(align4(len).min(rest.len())..).unwrap_or(&[]);
        Some(attr)
    })
}

/// Iterates the attributes in `bytes` whole, to copy them into another message: each one's
/// type without flags, and its bytes as they came (header with flags, and payload; no
/// padding). Stops at the first malformed one.
pub(crate) fn raw_attrs(bytes: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let &[l0, l1, k0, k1, ..] = rest else {
            return None;
        };
        let len = usize::from(u16::from_ne_bytes([l0, l1]));
        let whole = rest.get(..len).filter(|_| len >= 4)?;
        rest = rest.get(align4(len).min(rest.len())..).unwrap_or(&[]);
        Some((u16::from_ne_bytes([k0, k1]) & NLA_TYPE_MASK, whole))
    })
}

/// The first attribute of `kind` in `bytes`.
pub(crate) fn find_attr(bytes: &[u8], kind: u16) -> Option<Attr<'_>> {
    attrs(bytes).find(|a| a.kind == kind)
}

/// A netlink socket: one request per write, one or more messages per read.
pub(crate) struct NetlinkSocket {
    file: File,
    buf: Vec<u8>,
    /// The last request's sequence number: replies are matched by it.
    seq: u32,
}

impl NetlinkSocket {
    /// Wraps an open netlink socket with a receive buffer of `buf_len` bytes.
    pub(crate) fn new(file: File, buf_len: usize) -> Self {
        NetlinkSocket {
            file,
            buf: vec![0; buf_len],
            seq: 0,
        }
    }

    /// Opens a socket of `protocol` for requests (no multicast groups) whose reads wait at most
    /// `timeout`, with a receive buffer of `buf_len` bytes.
    pub(crate) fn open_requests(
        protocol: i32,
        timeout: std::time::Duration,
        buf_len: usize,
    ) -> io::Result<Self> {
        let file = sys::netlink_socket(protocol, 0)?;
        sys::set_receive_timeout(&file, timeout)?;
        Ok(Self::new(file, buf_len))
    }

    /// The sequence number of the next request.
    pub(crate) fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// The socket, for options.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Sends one message to the kernel.
    pub(crate) fn send(&self, message: &[u8]) -> io::Result<()> {
        let written = sys::retry_interrupted(|| (&self.file).write(message))?;
        if written != message.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "short netlink write",
            ));
        }
        Ok(())
    }

    /// Receives one datagram (blocking, or until the socket's receive timeout). A read
    /// interrupted by a stop and continue of the process is made again (see
    /// [`sys::retry_interrupted`]).
    pub(crate) fn recv(&mut self) -> io::Result<&[u8]> {
        let (file, buf) = (&self.file, &mut self.buf);
        let n = sys::retry_interrupted(|| (&*file).read(buf))?;
        Ok(self.buf.get(..n).unwrap_or(&[]))
    }

    /// Receives one datagram if one is waiting, without waiting (`WouldBlock` otherwise).
    pub(crate) fn recv_now(&mut self) -> io::Result<&[u8]> {
        let n = sys::recv_now(&self.file, &mut self.buf)?;
        Ok(self.buf.get(..n).unwrap_or(&[]))
    }

    /// Sends a dump request (sequence `seq`) and parses every reply message of `kind` until
    /// `NLMSG_DONE`; an error reply or an error in the DONE message becomes an `io::Error`.
    pub(crate) fn dump<T>(
        &mut self,
        message: &[u8],
        seq: u32,
        kind: u16,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> io::Result<Vec<T>> {
        self.send(message)?;
        let mut items = Vec::new();
        loop {
            let datagram = self.recv()?;
            for reply in messages(datagram) {
                if reply.seq != seq {
                    continue;
                }
                if let Some(code) = reply.error_code() {
                    if code < 0 {
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                    continue;
                }
                if reply.kind == NLMSG_DONE {
                    return match done_code(reply.payload) {
                        code if code < 0 => Err(io::Error::from_raw_os_error(-code)),
                        _ => Ok(items),
                    };
                }
                if reply.kind == kind {
                    items.extend(parse(reply.payload));
                }
            }
        }
    }

    /// Sends a request for one object and parses the reply of `kind` with `parse`: `Ok(None)`
    /// when the kernel answers "no such object" (`ENOENT`, or an ack without the object); any
    /// other error reply becomes an `io::Error` with the kernel's errno, a reply `parse` refuses
    /// an `InvalidData` error. Late answers to earlier, timed-out requests are skipped.
    pub(crate) fn request_one<T>(
        &mut self,
        message: &[u8],
        seq: u32,
        kind: u16,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> io::Result<Option<T>> {
        self.send(message)?;
        loop {
            let datagram = self.recv()?;
            for reply in messages(datagram) {
                if reply.seq != seq {
                    continue;
                }
                if let Some(code) = reply.error_code() {
                    return match code {
                        0 => Ok(None),
                        c if c == -ENOENT => Ok(None),
                        c => Err(io::Error::from_raw_os_error(-c)),
                    };
                }
                if reply.kind == kind {
                    return parse(reply.payload).map(Some).ok_or_else(|| {
                        io::Error::new(io::ErrorKind::InvalidData, "malformed netlink reply")
                    });
                }
            }
        }
    }

    /// Sends a request flagged NLM_F_ACK and waits for its ack; an error reply becomes an
    /// `io::Error` with the kernel's errno.
    pub(crate) fn request_ack(&mut self, message: &[u8], seq: u32) -> io::Result<()> {
        self.send(message)?;
        loop {
            let datagram = self.recv()?;
            for reply in messages(datagram) {
                if reply.seq != seq {
                    continue;
                }
                if let Some(code) = reply.error_code() {
                    return if code == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::from_raw_os_error(-code))
                    };
                }
            }
        }
    }
}

/// How many datagrams an event reader takes in one turn after the first (see
/// [`EventSocket::recv_waiting`]).
pub(crate) const BURST_DATAGRAMS: usize = 4096;

/// A netlink socket subscribed to multicast events, read with a timeout.
pub(crate) struct EventSocket {
    socket: NetlinkSocket,
    timeout: Option<Duration>,
    overruns: u64,
}

impl EventSocket {
    /// Wraps a socket bound to its groups, with a receive buffer of `buf_len` bytes.
    pub(crate) fn new(file: File, buf_len: usize) -> Self {
        EventSocket {
            socket: NetlinkSocket::new(file, buf_len),
            timeout: None,
            overruns: 0,
        }
    }

    /// Waits up to `timeout` (at least 1 µs, which the kernel rounds up to one clock tick) and
    /// parses the messages of `kind` in one read: empty on timeout. A receive-buffer overflow
    /// also returns empty and is counted; the socket stays usable.
    pub(crate) fn recv<T>(
        &mut self,
        timeout: Duration,
        kind: u16,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> io::Result<Vec<T>> {
        let timeout = timeout.max(Duration::from_micros(1));
        if self.timeout != Some(timeout) {
            sys::set_receive_timeout(self.socket.file(), timeout)?;
            self.timeout = Some(timeout);
        }
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
            Err(e) if e.raw_os_error() == Some(ENOBUFS) => {
                self.overruns += 1;
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        Ok(messages(datagram)
            .filter(|m| m.kind == kind)
            .filter_map(|m| parse(m.payload))
            .collect())
    }

    /// Parses the messages of `kind` in every datagram already waiting, without waiting: a
    /// reader that wakes for the first event of a burst takes the rest of it in the same turn.
    /// At most `max_datagrams` are read, so a flood cannot keep the caller here; the rest wait
    /// for its next turn. An overflow is counted (see [`EventSocket::recv`]) and reading goes on.
    pub(crate) fn recv_waiting<T>(
        &mut self,
        max_datagrams: usize,
        kind: u16,
        parse: impl Fn(&[u8]) -> Option<T>,
        out: &mut Vec<T>,
    ) -> io::Result<()> {
        for _ in 0..max_datagrams {
            match self.socket.recv_now() {
                Ok(datagram) => out.extend(
                    messages(datagram)
                        .filter(|m| m.kind == kind)
                        .filter_map(|m| parse(m.payload)),
                ),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.raw_os_error() == Some(ENOBUFS) => self.overruns += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// How many times events were lost to a full receive buffer.
    pub(crate) fn overruns(&self) -> u64 {
        self.overruns
    }

    /// The socket's descriptor, to wait on it beside others.
    pub(crate) fn raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(self.socket.file())
    }

    /// Reads and drops the datagrams already waiting (at most `max_datagrams`), for a reader
    /// that only needs to know that something happened: how many there were, a lost batch (a
    /// full receive buffer) counting as one.
    pub(crate) fn discard_waiting(&mut self, max_datagrams: usize) -> io::Result<usize> {
        let mut seen = 0;
        for _ in 0..max_datagrams {
            match self.socket.recv_now() {
                Ok(_) => seen += 1,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.raw_os_error() == Some(ENOBUFS) => {
                    self.overruns += 1;
                    seen += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(seen)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_walks_nested_attributes() {
        let message = MessageBuilder::new(0x301, NLM_F_REQUEST, 7)
            .raw(&[2, 0, 0, 1])
            .attr(2, &[1, 2, 3])
            .nest(11)
            .attr(8, &9u32.to_be_bytes())
            .end_nest()
            .finish();
        assert_eq!(message.len() % 4, 0);
        let parsed: Vec<Message> = messages(&message).collect();
        assert_eq!(parsed.len(), 1);
        assert_eq!((parsed[0].kind, parsed[0].seq), (0x301, 7));
        let attrs: Vec<Attr> = attrs(&parsed[0].payload[4..]).collect();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].data, &[1, 2, 3]);
        assert_eq!(attrs[1].kind, 11);
        assert_eq!(attrs[1].nested().next().unwrap().be_u32(), Some(9));
    }

    #[test]
    fn malformed_input_ends_iteration_without_panicking() {
        let mut state = 0x1234_5678u32;
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..(state % 64) as usize)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            for message in messages(&bytes) {
                let _ = message.error_code();
                for attr in attrs(message.payload) {
                    let _ = (attr.be_u16(), attr.be_u32(), attr.be_u64());
                    let _ = attr.nested().count();
                }
            }
        }
    }
}
