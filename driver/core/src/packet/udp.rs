//! The UDP header (RFC 768).

use super::{IpPayload, ParseError};

/// The length of the UDP header.
pub const HEADER_LEN: usize = 8;

/// A checked view of a UDP header: [`new_checked`](Self::new_checked) validated that the header
/// lies within the IP payload, was captured, and that the length field is at least 8 and (for
/// an unfragmented datagram) no more than the IP payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpHeader<'a> {
    fixed: &'a [u8; HEADER_LEN],
    payload_len: usize,
}

impl<'a> UdpHeader<'a> {
    /// Validates the UDP header at the start of `payload`. For the first fragment of a datagram
    /// (`fragment`), the length field covers the whole datagram and may exceed the IP payload.
    pub fn new_checked(payload: IpPayload<'a>, fragment: bool) -> Result<Self, ParseError> {
        let header = payload.header(HEADER_LEN, ParseError::TransportTooShort)?;
        let fixed = header
            .first_chunk::<HEADER_LEN>()
            .ok_or(ParseError::TransportTruncated)?;
        let udp = UdpHeader {
            fixed,
            payload_len: payload.declared_len() - HEADER_LEN,
        };
        let length = usize::from(udp.length());
        if length < HEADER_LEN || (!fragment && length > payload.declared_len()) {
            return Err(ParseError::BadUdpLength);
        }
        Ok(udp)
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.fixed[0], self.fixed[1]])
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.fixed[2], self.fixed[3]])
    }

    /// The length field: header and payload of the datagram in bytes.
    pub fn length(&self) -> u16 {
        u16::from_be_bytes([self.fixed[4], self.fixed[5]])
    }

    /// The checksum field (not verified).
    pub fn checksum(&self) -> u16 {
        u16::from_be_bytes([self.fixed[6], self.fixed[7]])
    }

    /// The payload bytes after the header in this packet, per the IP total length.
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_length_checks() {
        let b = [0x12, 0x34, 0, 53, 0, 10, 0xab, 0xcd, 1, 2];
        let u = UdpHeader::new_checked(IpPayload::complete(&b), false).unwrap();
        assert_eq!((u.src_port(), u.dst_port(), u.length()), (0x1234, 53, 10));
        assert_eq!((u.checksum(), u.payload_len()), (0xabcd, 2));
        let mut long = b;
        long[5] = 11;
        let p = IpPayload::complete(&long);
        assert_eq!(
            UdpHeader::new_checked(p, false),
            Err(ParseError::BadUdpLength)
        );
        assert!(UdpHeader::new_checked(p, true).is_ok());
        long[5] = 7;
        let p = IpPayload::complete(&long);
        assert_eq!(
            UdpHeader::new_checked(p, true),
            Err(ParseError::BadUdpLength)
        );
        let short = IpPayload::complete(&b[..7]);
        assert_eq!(
            UdpHeader::new_checked(short, false),
            Err(ParseError::TransportTooShort)
        );
    }
}
