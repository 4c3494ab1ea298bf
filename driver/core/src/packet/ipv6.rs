//! The IPv6 header (RFC 8200) and the walk over its extension headers.

use super::{ip_protocol, ParseError};

/// The length of the fixed IPv6 header.
pub const HEADER_LEN: usize = 40;

/// The most extension headers [`Ipv6ExtensionWalk::walk`] follows before giving up.
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// The length of the Fragment extension header.
pub const FRAGMENT_HEADER_LEN: usize = 8;

/// A checked view of an IPv6 packet: [`new_checked`](Self::new_checked) validated the version
/// and that the fixed header was captured. The declared length may exceed the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Header<'a> {
    fixed: &'a [u8; HEADER_LEN],
    packet: &'a [u8],
}

impl<'a> Ipv6Header<'a> {
    /// Validates the header at the start of `packet`.
    pub fn new_checked(packet: &'a [u8]) -> Result<Self, ParseError> {
        let fixed = packet
            .first_chunk::<HEADER_LEN>()
            .ok_or(ParseError::TooShort)?;
        let version = fixed[0] >> 4;
        if version != 6 {
            return Err(ParseError::BadVersion(version));
        }
        Ok(Ipv6Header { fixed, packet })
    }

    /// The whole captured packet, fixed header first.
    pub fn packet(&self) -> &'a [u8] {
        self.packet
    }

    /// The traffic class.
    pub fn traffic_class(&self) -> u8 {
        (self.fixed[0] << 4) | (self.fixed[1] >> 4)
    }

    /// The 20-bit flow label.
    pub fn flow_label(&self) -> u32 {
        u32::from_be_bytes([0, self.fixed[1] & 0x0f, self.fixed[2], self.fixed[3]])
    }

    /// The payload length field: the bytes after the fixed header (extension headers included).
    pub fn payload_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.fixed[4], self.fixed[5]]))
    }

    /// The declared packet length: the fixed header plus the payload length.
    pub fn total_len(&self) -> usize {
        HEADER_LEN + self.payload_len()
    }

    /// The next header field of the fixed header.
    pub fn next_header(&self) -> u8 {
        self.fixed[6]
    }

    /// The hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.fixed[7]
    }

    /// The source address.
    pub fn src_addr(&self) -> [u8; 16] {
        let mut a = [0; 16];
        if let Some(src) = self.fixed.get(8..24) {
            a.copy_from_slice(src);
        }
        a
    }

    /// The destination address.
    pub fn dst_addr(&self) -> [u8; 16] {
        let mut a = [0; 16];
        if let Some(dst) = self.fixed.get(24..40) {
            a.copy_from_slice(dst);
        }
        a
    }
}

/// A checked view of the IPv6 Fragment extension header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ipv6Fragment {
    bytes: [u8; FRAGMENT_HEADER_LEN],
}

impl Ipv6Fragment {
    /// Reads the header from the start of `bytes`.
    pub fn new_checked(bytes: &[u8]) -> Result<Self, ParseError> {
        let bytes = bytes
            .first_chunk::<FRAGMENT_HEADER_LEN>()
            .ok_or(ParseError::TooShort)?;
        Ok(Ipv6Fragment { bytes: *bytes })
    }

    /// The header following the fragmentable part.
    pub fn next_header(&self) -> u8 {
        self.bytes[0]
    }

    /// The fragment offset in bytes (the field counts 8-byte units).
    pub fn offset(&self) -> usize {
        usize::from(u16::from_be_bytes([self.bytes[2], self.bytes[3]]) >> 3) * 8
    }

    /// The M (more fragments) flag.
    pub fn more_fragments(&self) -> bool {
        self.bytes[3] & 1 != 0
    }

    /// The identification field.
    pub fn identification(&self) -> u32 {
        u32::from_be_bytes([self.bytes[4], self.bytes[5], self.bytes[6], self.bytes[7]])
    }

    /// Whether this is a real fragment (an "atomic fragment", offset 0 without M, is not).
    pub fn is_fragment(&self) -> bool {
        self.more_fragments() || self.offset() != 0
    }
}

/// The result of walking the extension headers of an IPv6 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ipv6ExtensionWalk {
    /// The fixed header plus every extension header walked, in bytes.
    pub header_len: usize,
    /// The protocol the walk stopped at: a transport protocol, ESP, No Next Header, or (after a
    /// non-first fragment) the Fragment header's next header.
    pub protocol: u8,
    /// The Fragment header, if one was walked.
    pub fragment: Option<Ipv6Fragment>,
    /// Whether what follows is opaque: ESP (encrypted) or No Next Header.
    pub opaque: bool,
    /// How many extension headers were walked.
    pub extension_headers: usize,
}

impl Ipv6ExtensionWalk {
    /// Walks Hop-by-Hop (first only), Routing, Fragment, Destination Options and AH headers.
    /// Stops at No Next Header, ESP, any other protocol, or after a non-first fragment's
    /// Fragment header. Every header walked must lie within the declared length (else
    /// [`ParseError::BadTotalLength`]) and be captured (else
    /// [`ParseError::ExtensionHeaderTruncated`]); at most [`MAX_EXTENSION_HEADERS`] are walked.
    pub fn walk(ip: &Ipv6Header<'_>) -> Result<Self, ParseError> {
        let packet = ip.packet();
        let total_len = ip.total_len();
        let mut walk = Ipv6ExtensionWalk {
            header_len: HEADER_LEN,
            protocol: ip.next_header(),
            fragment: None,
            opaque: false,
            extension_headers: 0,
        };
        loop {
            match walk.protocol {
                ip_protocol::HOP_BY_HOP
                | ip_protocol::IPV6_ROUTING
                | ip_protocol::IPV6_FRAGMENT
                | ip_protocol::IPV6_DEST_OPTIONS
                | ip_protocol::AH => {}
                ip_protocol::ESP | ip_protocol::IPV6_NO_NEXT_HEADER => {
                    walk.opaque = true;
                    return Ok(walk);
                }
                _ => return Ok(walk),
            }
            if walk.extension_headers >= MAX_EXTENSION_HEADERS {
                return Err(ParseError::TooManyExtensionHeaders);
            }
            if walk.protocol == ip_protocol::HOP_BY_HOP && walk.extension_headers != 0 {
                return Err(ParseError::BadExtensionHeader);
            }
            // Every extension header is at least 8 bytes and starts with (next header, length).
            let start = extension_bytes(packet, total_len, walk.header_len, 8)?;
            let (next, len_field) = match start {
                [next, len, ..] => (*next, usize::from(*len)),
                [] | [_] => return Err(ParseError::ExtensionHeaderTruncated),
            };
            let len = match walk.protocol {
                ip_protocol::IPV6_FRAGMENT => FRAGMENT_HEADER_LEN,
                ip_protocol::AH => (len_field + 2) * 4,
                _ => (len_field + 1) * 8,
            };
            extension_bytes(packet, total_len, walk.header_len, len)?;
            let current = walk.protocol;
            walk.header_len += len;
            walk.extension_headers += 1;
            walk.protocol = next;
            if current == ip_protocol::IPV6_FRAGMENT {
                if walk.fragment.is_some() {
                    return Err(ParseError::BadExtensionHeader);
                }
                let fragment = Ipv6Fragment::new_checked(start)?;
                walk.fragment = Some(fragment);
                if fragment.offset() != 0 {
                    // The rest is fragment data: no further header can be read.
                    return Ok(walk);
                }
            }
        }
    }
}

/// The `len` bytes at `offset` of `packet`, checked against the declared and captured lengths.
fn extension_bytes(
    packet: &[u8],
    total_len: usize,
    offset: usize,
    len: usize,
) -> Result<&[u8], ParseError> {
    let end = offset + len;
    if end > total_len {
        return Err(ParseError::BadTotalLength);
    }
    packet
        .get(offset..end)
        .ok_or(ParseError::ExtensionHeaderTruncated)
}
