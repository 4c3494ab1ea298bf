//! The IPv4 header (RFC 791).

use super::ParseError;

/// The length of the IPv4 header without options.
pub const HEADER_LEN: usize = 20;

/// A checked view of an IPv4 header: [`new_checked`](Self::new_checked) validated the version,
/// the header length (options included) against the buffer and the total length against the
/// header length. The total length may exceed the buffer (a truncated capture).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Header<'a> {
    fixed: &'a [u8; HEADER_LEN],
    options: &'a [u8],
}

impl<'a> Ipv4Header<'a> {
    /// Validates the header at the start of `buffer`.
    pub fn new_checked(buffer: &'a [u8]) -> Result<Self, ParseError> {
        let (fixed, rest) = buffer
            .split_first_chunk::<HEADER_LEN>()
            .ok_or(ParseError::TooShort)?;
        let version = fixed[0] >> 4;
        if version != 4 {
            return Err(ParseError::BadVersion(version));
        }
        let header_len = usize::from(fixed[0] & 0x0f) * 4;
        if header_len < HEADER_LEN {
            return Err(ParseError::BadHeaderLength);
        }
        let options = rest
            .get(..header_len - HEADER_LEN)
            .ok_or(ParseError::TooShort)?;
        let header = Ipv4Header { fixed, options };
        if header.total_len() < header_len {
            return Err(ParseError::BadTotalLength);
        }
        Ok(header)
    }

    /// The header length in bytes, options included (20..=60).
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// The options bytes (empty when IHL is 5).
    pub fn options(&self) -> &'a [u8] {
        self.options
    }

    /// The DSCP and ECN byte.
    pub fn tos(&self) -> u8 {
        self.fixed[1]
    }

    /// The total length field: header and payload in bytes.
    pub fn total_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.fixed[2], self.fixed[3]]))
    }

    /// The identification field.
    pub fn identification(&self) -> u16 {
        u16::from_be_bytes([self.fixed[4], self.fixed[5]])
    }

    /// The Don't Fragment flag.
    pub fn dont_fragment(&self) -> bool {
        self.fixed[6] & 0x40 != 0
    }

    /// The More Fragments flag.
    pub fn more_fragments(&self) -> bool {
        self.fixed[6] & 0x20 != 0
    }

    /// The fragment offset in bytes (the field counts 8-byte units).
    pub fn fragment_offset(&self) -> usize {
        usize::from(u16::from_be_bytes([self.fixed[6] & 0x1f, self.fixed[7]])) * 8
    }

    /// Whether the packet is a fragment (More Fragments set or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        self.more_fragments() || self.fragment_offset() != 0
    }

    /// The time to live.
    pub fn ttl(&self) -> u8 {
        self.fixed[8]
    }

    /// The protocol of the payload.
    pub fn protocol(&self) -> u8 {
        self.fixed[9]
    }

    /// The header checksum field (not verified).
    pub fn checksum(&self) -> u16 {
        u16::from_be_bytes([self.fixed[10], self.fixed[11]])
    }

    /// The source address.
    pub fn src_addr(&self) -> [u8; 4] {
        [
            self.fixed[12],
            self.fixed[13],
            self.fixed[14],
            self.fixed[15],
        ]
    }

    /// The destination address.
    pub fn dst_addr(&self) -> [u8; 4] {
        [
            self.fixed[16],
            self.fixed[17],
            self.fixed[18],
            self.fixed[19],
        ]
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const HEADER: [u8; 24] = [
        0x46, 0x00, 0x00, 0x30, 0x12, 0x34, 0x20, 0x03, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1,
        1, 1, 0,
    ];

    #[test]
    fn fields() {
        let h = Ipv4Header::new_checked(&HEADER).unwrap();
        assert_eq!(h.header_len(), 24);
        assert_eq!(h.options(), &[1, 1, 1, 0]);
        assert_eq!(h.total_len(), 48);
        assert_eq!(h.identification(), 0x1234);
        assert!(h.more_fragments());
        assert!(!h.dont_fragment());
        assert_eq!(h.fragment_offset(), 24);
        assert!(h.is_fragment());
        assert_eq!(h.ttl(), 64);
        assert_eq!(h.protocol(), 6);
        assert_eq!(h.src_addr(), [10, 0, 0, 1]);
        assert_eq!(h.dst_addr(), [10, 0, 0, 2]);
    }

    #[test]
    fn rejects() {
        assert_eq!(
            Ipv4Header::new_checked(&HEADER[..19]),
            Err(ParseError::TooShort)
        );
        assert_eq!(
            Ipv4Header::new_checked(&HEADER[..23]),
            Err(ParseError::TooShort)
        );
        let mut b = HEADER;
        b[0] = 0x44;
        assert_eq!(
            Ipv4Header::new_checked(&b),
            Err(ParseError::BadHeaderLength)
        );
        b[0] = 0x55;
        assert_eq!(Ipv4Header::new_checked(&b), Err(ParseError::BadVersion(5)));
        b = HEADER;
        b[3] = 23;
        assert_eq!(Ipv4Header::new_checked(&b), Err(ParseError::BadTotalLength));
    }
}
