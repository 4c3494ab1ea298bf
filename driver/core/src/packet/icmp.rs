//! The ICMP (RFC 792) and ICMPv6 (RFC 4443) message header: both start with type, code and
//! checksum followed by 4 bytes whose meaning depends on the type.

use super::{IpPayload, ParseError};

/// The length of the ICMP and ICMPv6 header (type, code, checksum, 4 type-specific bytes).
pub const HEADER_LEN: usize = 8;

/// ICMP echo reply type.
pub const ICMP_ECHO_REPLY: u8 = 0;
/// ICMP echo request type.
pub const ICMP_ECHO_REQUEST: u8 = 8;
/// ICMPv6 echo request type.
pub const ICMPV6_ECHO_REQUEST: u8 = 128;
/// ICMPv6 echo reply type.
pub const ICMPV6_ECHO_REPLY: u8 = 129;

/// A checked view of an ICMP or ICMPv6 header: [`new_checked`](Self::new_checked) validated
/// that its 8 bytes lie within the IP payload and were captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpHeader<'a> {
    fixed: &'a [u8; HEADER_LEN],
}

impl<'a> IcmpHeader<'a> {
    /// Validates the header at the start of `payload`.
    pub fn new_checked(payload: IpPayload<'a>) -> Result<Self, ParseError> {
        let header = payload.header(HEADER_LEN, ParseError::TransportTooShort)?;
        let fixed = header
            .first_chunk::<HEADER_LEN>()
            .ok_or(ParseError::TransportTruncated)?;
        Ok(IcmpHeader { fixed })
    }

    /// The message type.
    pub fn icmp_type(&self) -> u8 {
        self.fixed[0]
    }

    /// The message code.
    pub fn code(&self) -> u8 {
        self.fixed[1]
    }

    /// The checksum field (not verified).
    pub fn checksum(&self) -> u16 {
        u16::from_be_bytes([self.fixed[2], self.fixed[3]])
    }

    /// The 4 type-specific bytes (identifier and sequence number for echo messages).
    pub fn rest_of_header(&self) -> [u8; 4] {
        [self.fixed[4], self.fixed[5], self.fixed[6], self.fixed[7]]
    }

    /// The echo identifier (meaningful for echo request and reply only).
    pub fn echo_identifier(&self) -> u16 {
        u16::from_be_bytes([self.fixed[4], self.fixed[5]])
    }

    /// The echo sequence number (meaningful for echo request and reply only).
    pub fn echo_sequence(&self) -> u16 {
        u16::from_be_bytes([self.fixed[6], self.fixed[7]])
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let b = [ICMP_ECHO_REQUEST, 0, 0xf7, 0xfe, 0, 1, 0, 2];
        let i = IcmpHeader::new_checked(IpPayload::complete(&b)).unwrap();
        assert_eq!((i.icmp_type(), i.code(), i.checksum()), (8, 0, 0xf7fe));
        assert_eq!((i.echo_identifier(), i.echo_sequence()), (1, 2));
        assert_eq!(i.rest_of_header(), [0, 1, 0, 2]);
        let short = IpPayload::complete(&b[..7]);
        assert_eq!(
            IcmpHeader::new_checked(short),
            Err(ParseError::TransportTooShort)
        );
        let cut = IpPayload::new(&b[..7], 0, 8);
        assert_eq!(
            IcmpHeader::new_checked(cut),
            Err(ParseError::TransportTruncated)
        );
    }
}
