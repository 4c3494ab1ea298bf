//! The TCP header (RFC 9293).

use super::{IpPayload, ParseError};

/// The length of the TCP header without options.
pub const HEADER_LEN: usize = 20;

/// The TCP control flags (the low byte of the flags field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(u8);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronise sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push function.
    pub const PSH: u8 = 0x08;
    /// Acknowledgment field significant.
    pub const ACK: u8 = 0x10;
    /// Urgent pointer field significant.
    pub const URG: u8 = 0x20;
    /// ECN echo.
    pub const ECE: u8 = 0x40;
    /// Congestion window reduced.
    pub const CWR: u8 = 0x80;

    /// The flags with these bits.
    pub const fn from_bits(bits: u8) -> Self {
        TcpFlags(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `mask` is set.
    pub const fn contains(self, mask: u8) -> bool {
        self.0 & mask == mask
    }

    /// SYN is set.
    pub const fn syn(self) -> bool {
        self.contains(Self::SYN)
    }

    /// ACK is set.
    pub const fn ack(self) -> bool {
        self.contains(Self::ACK)
    }

    /// FIN is set.
    pub const fn fin(self) -> bool {
        self.contains(Self::FIN)
    }

    /// RST is set.
    pub const fn rst(self) -> bool {
        self.contains(Self::RST)
    }

    /// PSH is set.
    pub const fn psh(self) -> bool {
        self.contains(Self::PSH)
    }
}

/// A checked view of a TCP header: [`new_checked`](Self::new_checked) validated that the data
/// offset is 5..=15 words, that the header (options included) lies within the IP payload and
/// that it was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpHeader<'a> {
    fixed: &'a [u8; HEADER_LEN],
    options: &'a [u8],
    payload_len: usize,
}

impl<'a> TcpHeader<'a> {
    /// Validates the TCP header at the start of `payload`.
    pub fn new_checked(payload: IpPayload<'a>) -> Result<Self, ParseError> {
        let header = payload.header(HEADER_LEN, ParseError::BadTcpHeaderLength)?;
        let (fixed, _) = header
            .split_first_chunk::<HEADER_LEN>()
            .ok_or(ParseError::TransportTruncated)?;
        let header_len = usize::from(fixed[12] >> 4) * 4;
        if header_len < HEADER_LEN {
            return Err(ParseError::BadTcpHeaderLength);
        }
        let header = payload.header(header_len, ParseError::BadTcpHeaderLength)?;
        let options = header.get(HEADER_LEN..).unwrap_or(&[]);
        Ok(TcpHeader {
            fixed,
            options,
            payload_len: payload.declared_len() - header_len,
        })
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.fixed[0], self.fixed[1]])
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.fixed[2], self.fixed[3]])
    }

    /// The sequence number.
    pub fn seq_number(&self) -> u32 {
        u32::from_be_bytes([self.fixed[4], self.fixed[5], self.fixed[6], self.fixed[7]])
    }

    /// The acknowledgment number.
    pub fn ack_number(&self) -> u32 {
        u32::from_be_bytes([self.fixed[8], self.fixed[9], self.fixed[10], self.fixed[11]])
    }

    /// The header length in bytes, options included (20..=60).
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// The options bytes.
    pub fn options(&self) -> &'a [u8] {
        self.options
    }

    /// The control flags.
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(self.fixed[13])
    }

    /// The window size field.
    pub fn window(&self) -> u16 {
        u16::from_be_bytes([self.fixed[14], self.fixed[15]])
    }

    /// The payload bytes of the segment, per the IP total length.
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const SYN: [u8; 24] = [
        0xc0, 0x01, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0, 2, 4,
        5, 0xb4,
    ];

    #[test]
    fn fields() {
        let t = TcpHeader::new_checked(IpPayload::complete(&SYN)).unwrap();
        assert_eq!((t.src_port(), t.dst_port()), (0xc001, 443));
        assert_eq!(t.seq_number(), 1);
        assert_eq!(t.header_len(), 24);
        assert_eq!(t.options(), &[2, 4, 5, 0xb4]);
        assert!(t.flags().syn() && !t.flags().ack());
        assert_eq!(t.window(), 0xffff);
        assert_eq!(t.payload_len(), 0);
    }

    #[test]
    fn rejects() {
        let mut b = SYN;
        b[12] = 0x40;
        assert_eq!(
            TcpHeader::new_checked(IpPayload::complete(&b)),
            Err(ParseError::BadTcpHeaderLength)
        );
        b[12] = 0x70;
        assert_eq!(
            TcpHeader::new_checked(IpPayload::complete(&b)),
            Err(ParseError::BadTcpHeaderLength)
        );
        let cut = IpPayload::new(&SYN[..22], 0, 24);
        assert_eq!(
            TcpHeader::new_checked(cut),
            Err(ParseError::TransportTruncated)
        );
    }
}
