//! Parsing of layer-3 packets as the drivers receive them (NFQUEUE on Linux, the network layer on
//! Windows): the IP header first, then IPv6 extension headers, then the transport header.
//!
//! Modelled on smoltcp's `wire` module: each protocol has a checked view whose `new_checked`
//! validates every length once, after which its accessors cannot fail. Nothing here panics on
//! any input. Checksums are not verified (offloading leaves them unset on outbound packets).
//!
//! Two lengths are tracked for every packet: the *total length* the IP header declares and the
//! *captured length* (the bytes actually delivered, which a capture copy range may cut short).
//! The headers the summary is built from must be captured; the payload need not be. Payload
//! lengths are computed from the declared total length, so byte accounting is exact even for
//! truncated captures.

pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod udp;

#[cfg(test)]
mod tests;

use crate::flow::{IpAddress, PacketTuple};

pub use icmp::IcmpHeader;
pub use ipv4::Ipv4Header;
pub use ipv6::{Ipv6ExtensionWalk, Ipv6Fragment, Ipv6Header};
pub use tcp::{TcpFlags, TcpHeader};
pub use udp::UdpHeader;

/// IANA protocol numbers (the IPv4 `protocol` and IPv6 `next header` values) used here.
pub mod ip_protocol {
    /// IPv6 Hop-by-Hop Options extension header.
    pub const HOP_BY_HOP: u8 = 0;
    /// Internet Control Message Protocol (IPv4).
    pub const ICMP: u8 = 1;
    /// Transmission Control Protocol.
    pub const TCP: u8 = 6;
    /// User Datagram Protocol.
    pub const UDP: u8 = 17;
    /// IPv6 Routing extension header.
    pub const IPV6_ROUTING: u8 = 43;
    /// IPv6 Fragment extension header.
    pub const IPV6_FRAGMENT: u8 = 44;
    /// Encapsulating Security Payload (opaque).
    pub const ESP: u8 = 50;
    /// Authentication Header.
    pub const AH: u8 = 51;
    /// Internet Control Message Protocol for IPv6.
    pub const ICMPV6: u8 = 58;
    /// IPv6 "No Next Header".
    pub const IPV6_NO_NEXT_HEADER: u8 = 59;
    /// IPv6 Destination Options extension header.
    pub const IPV6_DEST_OPTIONS: u8 = 60;
}

/// Why a packet could not be summarised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseError {
    /// The buffer ends before the fixed IP header (20 bytes for IPv4, 40 for IPv6) or before the
    /// IPv4 options the header length announces.
    TooShort,
    /// The IP version nibble is neither 4 nor 6 (or not the one the parser expected).
    BadVersion(u8),
    /// The IPv4 header length (IHL) is below 5 words.
    BadHeaderLength,
    /// The IP total length (IPv4 total length, IPv6 40 + payload length) is smaller than the
    /// headers the packet declares.
    BadTotalLength,
    /// More IPv6 extension headers than the walk allows
    /// ([`ipv6::MAX_EXTENSION_HEADERS`]).
    TooManyExtensionHeaders,
    /// An IPv6 extension header is malformed (a Hop-by-Hop header that is not the first one).
    BadExtensionHeader,
    /// An IPv6 extension header lies within the total length but was not captured.
    ExtensionHeaderTruncated,
    /// The transport header lies within the total length but was not captured.
    TransportTruncated,
    /// The TCP data offset is below 5 words or the TCP header exceeds the IP total length.
    BadTcpHeaderLength,
    /// The UDP length field is below 8 or exceeds the IP payload of an unfragmented datagram.
    BadUdpLength,
    /// The IP payload is too short for the transport header (UDP and ICMP fixed headers).
    TransportTooShort,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ParseError::TooShort => f.write_str("buffer shorter than the IP header"),
            ParseError::BadVersion(v) => write!(f, "bad IP version {v}"),
            ParseError::BadHeaderLength => f.write_str("bad IPv4 header length"),
            ParseError::BadTotalLength => f.write_str("IP total length smaller than the headers"),
            ParseError::TooManyExtensionHeaders => f.write_str("too many IPv6 extension headers"),
            ParseError::BadExtensionHeader => f.write_str("malformed IPv6 extension header"),
            ParseError::ExtensionHeaderTruncated => {
                f.write_str("IPv6 extension header not captured")
            }
            ParseError::TransportTruncated => f.write_str("transport header not captured"),
            ParseError::BadTcpHeaderLength => f.write_str("bad TCP data offset"),
            ParseError::BadUdpLength => f.write_str("bad UDP length"),
            ParseError::TransportTooShort => {
                f.write_str("IP payload shorter than the transport header")
            }
        }
    }
}

/// What the transport header of a packet says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A TCP segment.
    Tcp {
        /// The control flags.
        flags: TcpFlags,
        /// The TCP header length in bytes (data offset × 4, options included).
        header_len: usize,
        /// The segment payload bytes, per the IP total length.
        payload_len: usize,
    },
    /// A UDP datagram (or the first fragment of one).
    Udp {
        /// The payload bytes after the UDP header in this packet, per the IP total length.
        payload_len: usize,
    },
    /// An ICMP (IPv4) message.
    Icmp {
        /// The ICMP type.
        icmp_type: u8,
        /// The ICMP code.
        code: u8,
    },
    /// An ICMPv6 message.
    Icmpv6 {
        /// The ICMPv6 type.
        icmp_type: u8,
        /// The ICMPv6 code.
        code: u8,
    },
    /// A non-first fragment: the transport header is in another packet, so the ports are 0.
    /// The tuple's protocol is the one the IP (or IPv6 Fragment) header names.
    Fragment,
    /// Any other protocol, including ESP (opaque) and IPv6 "No Next Header"; ports are 0.
    Other,
}

/// The summary of one IP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParsedPacket {
    /// Protocol, addresses and ports (ports are 0 for protocols without ports and fragments
    /// without the transport header).
    pub tuple: PacketTuple,
    /// The bytes of the IP header, including IPv4 options or the IPv6 extension headers walked.
    pub ip_header_len: usize,
    /// The transport header summary.
    pub transport: Transport,
    /// The packet length the IP header declares (IPv4 total length, IPv6 40 + payload length).
    pub total_len: usize,
    /// The bytes actually delivered; smaller than `total_len` when the capture was cut short,
    /// larger when link-layer padding follows the packet.
    pub captured_len: usize,
    /// Whether the packet is a fragment (first or not). Non-first fragments have
    /// [`Transport::Fragment`].
    pub fragment: bool,
}

impl ParsedPacket {
    /// The IP payload length (after the IP header and extension headers), per the total length.
    pub fn ip_payload_len(&self) -> usize {
        self.total_len.saturating_sub(self.ip_header_len)
    }

    /// Whether the capture holds the whole packet.
    pub fn is_complete(&self) -> bool {
        self.captured_len >= self.total_len
    }

    /// The transport payload length for TCP and UDP (per the total length), `None` otherwise.
    pub fn transport_payload_len(&self) -> Option<usize> {
        match self.transport {
            Transport::Tcp { payload_len, .. } | Transport::Udp { payload_len } => {
                Some(payload_len)
            }
            _ => None,
        }
    }
}

/// Parses an IP packet (IPv4 or IPv6, chosen by the version nibble) into its summary.
pub fn parse_ip_packet(bytes: &[u8]) -> Result<ParsedPacket, ParseError> {
    match bytes.first().map(|b| b >> 4) {
        None => Err(ParseError::TooShort),
        Some(4) => parse_ipv4_packet(bytes),
        Some(6) => parse_ipv6_packet(bytes),
        Some(v) => Err(ParseError::BadVersion(v)),
    }
}

/// Parses an IPv4 packet into its summary.
pub fn parse_ipv4_packet(bytes: &[u8]) -> Result<ParsedPacket, ParseError> {
    let ip = Ipv4Header::new_checked(bytes)?;
    let ip_header_len = ip.header_len();
    let total_len = ip.total_len();
    let fragment = ip.is_fragment();
    let protocol = ip.protocol();
    let src_ip = IpAddress::V4(ip.src_addr());
    let dst_ip = IpAddress::V4(ip.dst_addr());

    let (transport, src_port, dst_port) = if ip.fragment_offset() != 0 {
        (Transport::Fragment, 0, 0)
    } else {
        let segment = IpPayload::new(bytes, ip_header_len, total_len);
        parse_transport(protocol, segment, fragment, false)?
    };
    Ok(ParsedPacket {
        tuple: PacketTuple {
            protocol,
            src_ip,
            src_port,
            dst_ip,
            dst_port,
        },
        ip_header_len,
        transport,
        total_len,
        captured_len: bytes.len(),
        fragment,
    })
}

/// Parses an IPv6 packet into its summary, walking its extension headers.
pub fn parse_ipv6_packet(bytes: &[u8]) -> Result<ParsedPacket, ParseError> {
    let ip = Ipv6Header::new_checked(bytes)?;
    let total_len = ip.total_len();
    let walk = Ipv6ExtensionWalk::walk(&ip)?;
    let ip_header_len = walk.header_len;
    let protocol = walk.protocol;
    let fragment = walk.fragment.is_some_and(|f| f.is_fragment());
    let non_first = walk.fragment.is_some_and(|f| f.offset() != 0);
    let src_ip = IpAddress::V6(ip.src_addr());
    let dst_ip = IpAddress::V6(ip.dst_addr());

    let (transport, src_port, dst_port) = if non_first {
        (Transport::Fragment, 0, 0)
    } else if walk.opaque {
        (Transport::Other, 0, 0)
    } else {
        let segment = IpPayload::new(bytes, ip_header_len, total_len);
        parse_transport(protocol, segment, fragment, true)?
    };
    Ok(ParsedPacket {
        tuple: PacketTuple {
            protocol,
            src_ip,
            src_port,
            dst_ip,
            dst_port,
        },
        ip_header_len,
        transport,
        total_len,
        captured_len: bytes.len(),
        fragment,
    })
}

/// The IP payload of a packet: the captured bytes after the IP headers (cut at the total length
/// when padding follows) and the length the IP header declares for it. Transport views are
/// built from it so they can tell a malformed header from a capture cut short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPayload<'a> {
    captured: &'a [u8],
    declared_len: usize,
}

impl<'a> IpPayload<'a> {
    /// The payload of `packet` after `header_len` bytes of headers, `total_len` bytes in all
    /// (per the IP header). Inconsistent lengths give an empty payload, never a panic.
    pub fn new(packet: &'a [u8], header_len: usize, total_len: usize) -> Self {
        let end = total_len.min(packet.len());
        let captured = packet.get(header_len..end).unwrap_or(&[]);
        IpPayload {
            captured,
            declared_len: total_len.saturating_sub(header_len),
        }
    }

    /// A payload whose capture is complete: `declared_len` is `bytes.len()`.
    pub fn complete(bytes: &'a [u8]) -> Self {
        IpPayload {
            captured: bytes,
            declared_len: bytes.len(),
        }
    }

    /// The captured payload bytes (at most [`declared_len`](Self::declared_len) of them).
    pub fn captured(&self) -> &'a [u8] {
        self.captured
    }

    /// The payload length per the IP total length.
    pub fn declared_len(&self) -> usize {
        self.declared_len
    }

    /// Checks that a header of `len` bytes lies within the declared payload (else `malformed`)
    /// and was captured (else [`ParseError::TransportTruncated`]), and returns its bytes.
    pub fn header(&self, len: usize, malformed: ParseError) -> Result<&'a [u8], ParseError> {
        if len > self.declared_len {
            return Err(malformed);
        }
        self.captured
            .get(..len)
            .ok_or(ParseError::TransportTruncated)
    }
}

/// Parses the transport header of a packet that has one; returns it with the ports.
fn parse_transport(
    protocol: u8,
    segment: IpPayload<'_>,
    fragment: bool,
    v6: bool,
) -> Result<(Transport, u16, u16), ParseError> {
    match protocol {
        ip_protocol::TCP => {
            let tcp = TcpHeader::new_checked(segment)?;
            let transport = Transport::Tcp {
                flags: tcp.flags(),
                header_len: tcp.header_len(),
                payload_len: tcp.payload_len(),
            };
            Ok((transport, tcp.src_port(), tcp.dst_port()))
        }
        ip_protocol::UDP => {
            let udp = UdpHeader::new_checked(segment, fragment)?;
            let transport = Transport::Udp {
                payload_len: udp.payload_len(),
            };
            Ok((transport, udp.src_port(), udp.dst_port()))
        }
        ip_protocol::ICMP if !v6 => {
            let icmp = IcmpHeader::new_checked(segment)?;
            Ok((
                Transport::Icmp {
                    icmp_type: icmp.icmp_type(),
                    code: icmp.code(),
                },
                0,
                0,
            ))
        }
        ip_protocol::ICMPV6 if v6 => {
            let icmp = IcmpHeader::new_checked(segment)?;
            Ok((
                Transport::Icmpv6 {
                    icmp_type: icmp.icmp_type(),
                    code: icmp.code(),
                },
                0,
                0,
            ))
        }
        _ => Ok((Transport::Other, 0, 0)),
    }
}
