//! The DNS log extension's info (type 136, README "DNS exchanges"): one DNS exchange the driver
//! believed, with the process that asked, the question, the response code and the addresses.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bytes::Fields;

/// Extension (136): a DNS answer the driver believed, as the DNS log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsExchange {
    /// The process that owns the asking socket; 0 when unknown.
    pub process_id: u64,
    /// The asking socket's port.
    pub local_port: u16,
    /// The port the query went to.
    pub resolver_port: u16,
    /// 4 or 6: how `local_ip` and `resolver_ip` hold their addresses.
    pub ip_version: u8,
    /// The asking socket's address; an IPv4 address fills the first 4 bytes, the rest is zero.
    pub local_ip: [u8; 16],
    /// The resolver's address, held like `local_ip`.
    pub resolver_ip: [u8; 16],
    /// The question's type (1 A, 28 AAAA, ...).
    pub qtype: u16,
    /// The answer's response code (0 NOERROR, 3 NXDOMAIN, ...).
    pub rcode: u8,
    /// The smallest TTL among the addresses, in seconds; 0 when there are none.
    pub ttl_s: u32,
    /// The question name, lowercase, without the trailing dot.
    pub name: String,
    /// The IPv4 addresses the answer gives the name.
    pub v4_addresses: Vec<[u8; 4]>,
    /// The IPv6 addresses the answer gives the name.
    pub v6_addresses: Vec<[u8; 16]>,
}

/// The fixed part of the body: everything before the name.
pub(crate) const DNS_EXCHANGE_FIXED: usize = 58;

/// The first `u16::MAX` items at most: the count field says no more, so no more are written.
fn at_most_u16<T>(items: &[T]) -> &[T] {
    items.get(..usize::from(u16::MAX)).unwrap_or(items)
}

/// A length that [`at_most_u16`] (or a cut name) kept within a u16.
fn len_u16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

pub(crate) fn encode_dns_exchange(exchange: &DnsExchange, out: &mut Vec<u8>) {
    let name = at_most_u16(exchange.name.as_bytes());
    let v4 = at_most_u16(&exchange.v4_addresses);
    let v6 = at_most_u16(&exchange.v6_addresses);
    out.extend_from_slice(&exchange.process_id.to_le_bytes());
    out.extend_from_slice(&exchange.local_port.to_le_bytes());
    out.extend_from_slice(&exchange.resolver_port.to_le_bytes());
    out.push(exchange.ip_version);
    out.extend_from_slice(&exchange.local_ip);
    out.extend_from_slice(&exchange.resolver_ip);
    out.extend_from_slice(&exchange.qtype.to_le_bytes());
    out.push(exchange.rcode);
    out.extend_from_slice(&exchange.ttl_s.to_le_bytes());
    out.extend_from_slice(&len_u16(name.len()).to_le_bytes());
    out.extend_from_slice(&len_u16(v4.len()).to_le_bytes());
    out.extend_from_slice(&len_u16(v6.len()).to_le_bytes());
    out.extend_from_slice(name);
    v4.iter().for_each(|a| out.extend_from_slice(a));
    v6.iter().for_each(|a| out.extend_from_slice(a));
}

/// Decodes a body whose length is exactly what its name length and address counts say.
pub(crate) fn decode_dns_exchange(body: &[u8]) -> Option<DnsExchange> {
    if body.len() < DNS_EXCHANGE_FIXED {
        return None;
    }
    let mut f = Fields::new(body);
    let process_id = f.u64();
    let local_port = f.u16();
    let resolver_port = f.u16();
    let ip_version = f.u8();
    let local_ip = f.array();
    let resolver_ip = f.array();
    let qtype = f.u16();
    let rcode = f.u8();
    let ttl_s = f.u32();
    let name_len = usize::from(f.u16());
    let v4_count = usize::from(f.u16());
    let v6_count = usize::from(f.u16());
    // At most 58 + 65 535 + 20 × 65 535: no overflow, but checked all the same.
    let expected = DNS_EXCHANGE_FIXED
        .checked_add(name_len)?
        .checked_add(v4_count.checked_mul(4)?)?
        .checked_add(v6_count.checked_mul(16)?)?;
    if body.len() != expected {
        return None;
    }
    let name = crate::info::text(f.take(name_len));
    Some(DnsExchange {
        process_id,
        local_port,
        resolver_port,
        ip_version,
        local_ip,
        resolver_ip,
        qtype,
        rcode,
        ttl_s,
        name,
        v4_addresses: (0..v4_count).map(|_| f.array()).collect(),
        v6_addresses: (0..v6_count).map(|_| f.array()).collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample() -> DnsExchange {
        let mut local_ip = [0u8; 16];
        local_ip[..4].copy_from_slice(&[10, 0, 0, 2]);
        let mut resolver_ip = [0u8; 16];
        resolver_ip[..4].copy_from_slice(&[10, 0, 0, 1]);
        DnsExchange {
            process_id: 0x0102_0304_0506_0708,
            local_port: 40_000,
            resolver_port: 53,
            ip_version: 4,
            local_ip,
            resolver_ip,
            qtype: 28,
            rcode: 3,
            ttl_s: 0x0A0B_0C0D,
            name: "ab.c".into(),
            v4_addresses: vec![[1, 2, 3, 4]],
            v6_addresses: vec![[0xEE; 16]],
        }
    }

    fn encoded(exchange: &DnsExchange) -> Vec<u8> {
        let mut body = Vec::new();
        encode_dns_exchange(exchange, &mut body);
        body
    }

    #[test]
    fn fields_sit_at_the_offsets_the_readme_gives() {
        let body = encoded(&sample());
        assert_eq!(body.len(), 58 + 4 + 4 + 16);
        assert_eq!(&body[0..8], &0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(&body[8..10], &40_000u16.to_le_bytes());
        assert_eq!(&body[10..12], &[53, 0]);
        assert_eq!(body[12], 4);
        assert_eq!(&body[13..17], &[10, 0, 0, 2]);
        assert_eq!(&body[17..29], &[0; 12]);
        assert_eq!(&body[29..33], &[10, 0, 0, 1]);
        assert_eq!(&body[33..45], &[0; 12]);
        assert_eq!(&body[45..47], &[28, 0]);
        assert_eq!(body[47], 3);
        assert_eq!(&body[48..52], &[0x0D, 0x0C, 0x0B, 0x0A]);
        assert_eq!(&body[52..54], &[4, 0], "name_len");
        assert_eq!(&body[54..56], &[1, 0], "v4_count");
        assert_eq!(&body[56..58], &[1, 0], "v6_count");
        assert_eq!(&body[58..62], b"ab.c");
        assert_eq!(&body[62..66], &[1, 2, 3, 4]);
        assert_eq!(&body[66..82], &[0xEE; 16]);
        assert_eq!(decode_dns_exchange(&body), Some(sample()));
    }

    #[test]
    fn only_the_exact_length_decodes() {
        let body = encoded(&sample());
        for len in 0..body.len() {
            assert_eq!(decode_dns_exchange(&body[..len]), None, "cut to {len}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert_eq!(decode_dns_exchange(&longer), None, "one byte too many");
        // Counts that claim one address more or less than the body holds.
        for (at, delta) in [(54, 1i16), (54, -1), (56, 1), (56, -1), (52, 1), (52, -1)] {
            let mut lying = body.clone();
            let count = u16::from_le_bytes([lying[at], lying[at + 1]]);
            let count = count.wrapping_add_signed(delta);
            lying[at..at + 2].copy_from_slice(&count.to_le_bytes());
            assert_eq!(
                decode_dns_exchange(&lying),
                None,
                "field @{at} off by {delta}"
            );
        }
    }

    #[test]
    fn no_name_and_no_addresses_is_the_fixed_part_alone() {
        let empty = DnsExchange {
            name: String::new(),
            v4_addresses: Vec::new(),
            v6_addresses: Vec::new(),
            ..sample()
        };
        let body = encoded(&empty);
        assert_eq!(body.len(), DNS_EXCHANGE_FIXED);
        assert_eq!(decode_dns_exchange(&body), Some(empty));
    }

    #[test]
    fn the_largest_counts_are_read_whole_and_more_are_cut_so_the_header_holds() {
        let many = DnsExchange {
            name: "x".repeat(70_000),
            v4_addresses: vec![[7; 4]; 70_000],
            v6_addresses: vec![[9; 16]; 65_535],
            ..sample()
        };
        let body = encoded(&many);
        assert_eq!(body.len(), 58 + 65_535 + 4 * 65_535 + 16 * 65_535);
        let decoded = decode_dns_exchange(&body).unwrap();
        assert_eq!(decoded.name.len(), 65_535);
        assert_eq!(decoded.v4_addresses.len(), 65_535);
        assert_eq!(decoded.v6_addresses, many.v6_addresses);
    }
}
