//! The DnsExchange info (protocol type 136) of a believed DNS answer, for the app's DNS log:
//! the exchange [`crate::dns_queries`] matched, with at most [`MAX_LISTED`] addresses of each
//! family, the smallest TTL among those listed, and the pid the caller found for the socket.

use alloc::vec::Vec;

use zenithfence_protocol::{DnsExchange, Info};

use crate::dns_queries::{AnsweredQuery, Endpoint};
use crate::flow::IpAddress;

/// The most addresses of one family an exchange lists (the protocol's limit; an answer with
/// more is rare and the rest adds nothing to a log line).
pub const MAX_LISTED: usize = 64;
/// The longest name an exchange carries (the protocol's limit: a name of 255 wire bytes).
pub const MAX_NAME_LEN: usize = 253;

/// An endpoint's address as the info holds it: the IP version and 16 bytes, an IPv4 address in
/// the first 4 and zeros after it.
fn held(end: &Endpoint) -> (u8, [u8; 16]) {
    match end.ip {
        IpAddress::V4(a) => {
            let mut out = [0u8; 16];
            out.iter_mut().zip(a).for_each(|(slot, byte)| *slot = byte);
            (4, out)
        }
        IpAddress::V6(a) => (6, a),
    }
}

/// The DnsExchange of `answered`, asked by process `pid` (0: unknown). None when the protocol
/// cannot carry it: a question of the root (an empty name) or a name longer than
/// [`MAX_NAME_LEN`] bytes (escaped bytes make a name of 255 wire bytes longer), or endpoints of
/// two families (never from one packet).
pub fn dns_exchange_info(answered: &AnsweredQuery, pid: u64) -> Option<Info> {
    let name = &answered.question.name;
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return None;
    }
    let (ip_version, local_ip) = held(&answered.local);
    let (resolver_version, resolver_ip) = held(&answered.resolver);
    if ip_version != resolver_version {
        return None;
    }
    let mut v4_addresses = Vec::new();
    let mut v6_addresses = Vec::new();
    let mut ttl_s: Option<u32> = None;
    for record in &answered.records {
        let listed = match record.address {
            IpAddress::V4(a) if v4_addresses.len() < MAX_LISTED => {
                v4_addresses.push(a);
                true
            }
            IpAddress::V6(a) if v6_addresses.len() < MAX_LISTED => {
                v6_addresses.push(a);
                true
            }
            _ => false,
        };
        if listed {
            ttl_s = Some(ttl_s.map_or(record.ttl_s, |t| t.min(record.ttl_s)));
        }
    }
    Some(Info::DnsExchange(DnsExchange {
        process_id: pid,
        local_port: answered.local.port,
        resolver_port: answered.resolver.port,
        ip_version,
        local_ip,
        resolver_ip,
        qtype: answered.question.qtype,
        rcode: answered.rcode,
        ttl_s: ttl_s.unwrap_or(0),
        name: name.clone(),
        v4_addresses,
        v6_addresses,
    }))
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::dns::{record_type, DnsQuestion, DnsRecord, CLASS_IN};
    use alloc::string::{String, ToString};
    use alloc::vec;

    const LOCAL: Endpoint = Endpoint {
        ip: IpAddress::V4([10, 0, 0, 2]),
        port: 40_000,
    };
    const RESOLVER: Endpoint = Endpoint {
        ip: IpAddress::V4([10, 0, 0, 1]),
        port: 53,
    };

    fn record(address: IpAddress, ttl_s: u32) -> DnsRecord {
        DnsRecord {
            name: "example.com".to_string(),
            address,
            ttl_s,
        }
    }

    fn answered(records: Vec<DnsRecord>) -> AnsweredQuery {
        AnsweredQuery {
            local: LOCAL,
            resolver: RESOLVER,
            question: DnsQuestion {
                name: "example.com".to_string(),
                qtype: record_type::A,
                qclass: CLASS_IN,
            },
            rcode: 0,
            records,
        }
    }

    fn exchange(info: Option<Info>) -> DnsExchange {
        match info {
            Some(Info::DnsExchange(e)) => e,
            other => panic!("not a DnsExchange: {other:?}"),
        }
    }

    #[test]
    fn an_answer_becomes_one_exchange_with_its_addresses_and_smallest_ttl() {
        let v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let records = vec![
            record(IpAddress::V4([93, 184, 216, 34]), 300),
            record(IpAddress::V6(v6), 60),
            record(IpAddress::V4([10, 9, 8, 7]), 120),
        ];
        let e = exchange(dns_exchange_info(&answered(records), 4242));
        assert_eq!(
            e,
            DnsExchange {
                process_id: 4242,
                local_port: 40_000,
                resolver_port: 53,
                ip_version: 4,
                local_ip: [10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                resolver_ip: [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                qtype: 1,
                rcode: 0,
                ttl_s: 60,
                name: "example.com".into(),
                v4_addresses: vec![[93, 184, 216, 34], [10, 9, 8, 7]],
                v6_addresses: vec![v6],
            }
        );
    }

    #[test]
    fn an_answer_without_addresses_has_ttl_0_and_keeps_its_rcode() {
        let mut nxdomain = answered(vec![]);
        nxdomain.rcode = 3;
        nxdomain.question.qtype = record_type::AAAA;
        let local = IpAddress::V6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        nxdomain.local = Endpoint {
            ip: local,
            port: 5353,
        };
        nxdomain.resolver.ip = IpAddress::V6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let e = exchange(dns_exchange_info(&nxdomain, 0));
        assert_eq!(
            (e.process_id, e.ip_version, e.rcode, e.qtype, e.ttl_s),
            (0, 6, 3, 28, 0)
        );
        assert_eq!(
            (e.local_port, e.local_ip[0], e.resolver_ip[15]),
            (5353, 0xfd, 1)
        );
        assert!(e.v4_addresses.is_empty() && e.v6_addresses.is_empty());
    }

    #[test]
    fn at_most_64_addresses_of_each_family_are_listed_and_only_they_count_for_the_ttl() {
        let mut records: Vec<DnsRecord> = (0..70u8)
            .map(|i| record(IpAddress::V4([192, 0, 2, i]), 1000 + u32::from(i)))
            .collect();
        records.extend((0..65u8).map(|i| record(IpAddress::V6([i; 16]), 500)));
        // Past the limit of its family: not listed, so its TTL does not count.
        records.push(record(IpAddress::V4([198, 51, 100, 1]), 5));
        let e = exchange(dns_exchange_info(&answered(records), 1));
        assert_eq!((e.v4_addresses.len(), e.v6_addresses.len()), (64, 64));
        assert_eq!(e.v4_addresses[63], [192, 0, 2, 63]);
        assert_eq!(e.ttl_s, 500);
        let v4_only: Vec<DnsRecord> = (0..70u8)
            .map(|i| record(IpAddress::V4([192, 0, 2, i]), 1000 - u32::from(i)))
            .collect();
        assert_eq!(
            exchange(dns_exchange_info(&answered(v4_only), 1)).ttl_s,
            1000 - 63
        );
    }

    #[test]
    fn names_the_protocol_cannot_carry_give_no_exchange() {
        let mut root = answered(vec![]);
        root.question.name = String::new();
        assert_eq!(dns_exchange_info(&root, 1), None);
        let mut long = answered(vec![]);
        long.question.name = "a".repeat(MAX_NAME_LEN + 1);
        assert_eq!(dns_exchange_info(&long, 1), None);
        long.question.name.pop();
        assert_eq!(exchange(dns_exchange_info(&long, 1)).name.len(), 253);
        let mut mixed = answered(vec![]);
        mixed.resolver.ip = IpAddress::V6([1; 16]);
        assert_eq!(dns_exchange_info(&mixed, 1), None);
    }
}
