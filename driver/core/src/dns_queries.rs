//! Only answers to our own questions name addresses: the DNS queries this host sent, and the
//! matching of each DNS answer against them.
//!
//! Any host can send a UDP datagram from port 53 claiming that `trusted.example` is its own
//! address. Read blindly, such an answer would make a connection to that host look like one to
//! `trusted.example`, and a host rule would let it through. So an answer gives names only when
//! it answers a query this host sent and is still waiting for:
//!
//! - the same socket: the answer goes to the local address and port the query came from,
//! - from the resolver the query went to (address and port),
//! - with the query's transaction id,
//! - echoing the query's question: name (case-insensitively, as the glibc stub compares),
//!   type and class, and exactly one question,
//! - within [`QUERY_LIFETIME_MS`] of the query, and only once (the first matching answer
//!   consumes the query; a second one is unsolicited).
//!
//! The table is bounded: at most [`MAX_OUTSTANDING`] queries wait, and a new one beyond that
//! evicts the oldest (a local user can send queries as fast as they like; an evicted query's
//! answer then gives no names, which fails closed). A query sent again with the same id and
//! question from the same socket refreshes its entry. Malformed answers never consume a query.
//!
//! A matching answer gives the whole exchange ([`AnsweredQuery`]: who asked whom what, the
//! response code and the addresses), also when it names no address (NXDOMAIN, no record of the
//! type asked): the DNS log shows those too. An answer that matches no query gives nothing.
//!
//! Pure and clock-free like the rest of the core: the caller passes the time in milliseconds.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::dns::{parse_dns_answers, parse_question, DnsError, DnsQuestion, DnsRecord};
use crate::flow::IpAddress;

/// How long a query waits for its answer (resolvers give up and retry well before).
pub const QUERY_LIFETIME_MS: u64 = 10_000;
/// The most queries waiting at once.
pub const MAX_OUTSTANDING: usize = 1024;

/// One end of a UDP exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    /// The address.
    pub ip: IpAddress,
    /// The UDP port.
    pub port: u16,
}

/// A believed answer: the query it answers and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnsweredQuery {
    /// The asking socket (the query's source, the answer's destination).
    pub local: Endpoint,
    /// The resolver the query went to and the answer came from.
    pub resolver: Endpoint,
    /// The question asked and echoed: its name lowercased, without the trailing dot.
    pub question: DnsQuestion,
    /// The answer's response code (0 NOERROR, 3 NXDOMAIN, ...).
    pub rcode: u8,
    /// The A and AAAA records the answer gives the question name (through its CNAMEs), in the
    /// answer's order; none unless the response code is 0.
    pub records: Vec<DnsRecord>,
}

/// Why an answer gave no names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerRejected {
    /// The message is not a well-formed response with one question.
    Malformed(DnsError),
    /// No waiting query matches it: never asked (forged), another socket, resolver, id or
    /// question, expired, evicted, or answered already.
    Unsolicited,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct QueryKey {
    local: Endpoint,
    resolver: Endpoint,
    id: u16,
    question: DnsQuestion,
}

struct Waiting {
    key: QueryKey,
    expires_ms: u64,
}

/// The queries waiting for an answer.
pub struct OutstandingQueries {
    /// Each waiting query and its age (a sequence number).
    by_key: BTreeMap<QueryKey, u64>,
    /// The same queries, oldest first. All live equally long, so this is also expiry order.
    by_age: BTreeMap<u64, Waiting>,
    next_age: u64,
    capacity: usize,
    lifetime_ms: u64,
    evicted: u64,
}

impl Default for OutstandingQueries {
    fn default() -> Self {
        Self::new()
    }
}

impl OutstandingQueries {
    /// An empty table with the default limits.
    pub fn new() -> Self {
        Self::with_limits(MAX_OUTSTANDING, QUERY_LIFETIME_MS)
    }

    /// An empty table holding at most `capacity` queries (at least 1) for `lifetime_ms` each.
    pub fn with_limits(capacity: usize, lifetime_ms: u64) -> Self {
        OutstandingQueries {
            by_key: BTreeMap::new(),
            by_age: BTreeMap::new(),
            next_age: 0,
            capacity: capacity.max(1),
            lifetime_ms,
            evicted: 0,
        }
    }

    /// Records a query `local` sent to `resolver` (the UDP payload of an outgoing datagram).
    /// Anything but a standard query with one question is an error and recorded nowhere.
    pub fn record_query(
        &mut self,
        message: &[u8],
        local: Endpoint,
        resolver: Endpoint,
        now_ms: u64,
    ) -> Result<(), DnsError> {
        let (header, question) = parse_question(message)?;
        if header.is_response() || header.opcode() != 0 {
            return Err(DnsError::NotQuery);
        }
        self.expire(now_ms);
        let key = QueryKey {
            local,
            resolver,
            id: header.id(),
            question,
        };
        if let Some(age) = self.by_key.remove(&key) {
            self.by_age.remove(&age);
        } else if self.by_key.len() >= self.capacity {
            if let Some((_, oldest)) = self.by_age.pop_first() {
                self.by_key.remove(&oldest.key);
                self.evicted += 1;
            }
        }
        let age = self.next_age;
        self.next_age += 1;
        self.by_key.insert(key.clone(), age);
        self.by_age.insert(
            age,
            Waiting {
                key,
                expires_ms: now_ms.saturating_add(self.lifetime_ms),
            },
        );
        Ok(())
    }

    /// Checks an answer `resolver` sent to `local` (the UDP payload of an incoming datagram)
    /// and, when it answers a waiting query, consumes that query and returns the exchange.
    pub fn match_answer(
        &mut self,
        message: &[u8],
        local: Endpoint,
        resolver: Endpoint,
        now_ms: u64,
    ) -> Result<AnsweredQuery, AnswerRejected> {
        let (header, question) = parse_question(message).map_err(AnswerRejected::Malformed)?;
        // Validated whole before anything is consumed, so a malformed answer with the right id
        // cannot cancel the real one.
        let mut records = Vec::new();
        parse_dns_answers(message, &mut records).map_err(AnswerRejected::Malformed)?;
        self.expire(now_ms);
        let key = QueryKey {
            local,
            resolver,
            id: header.id(),
            question,
        };
        let age = self
            .by_key
            .remove(&key)
            .ok_or(AnswerRejected::Unsolicited)?;
        self.by_age.remove(&age);
        Ok(AnsweredQuery {
            local,
            resolver,
            question: key.question,
            rcode: header.rcode(),
            records,
        })
    }

    /// Drops the queries whose lifetime ended at or before `now_ms`.
    pub fn expire(&mut self, now_ms: u64) {
        while let Some(entry) = self.by_age.first_entry() {
            if entry.get().expires_ms > now_ms {
                return;
            }
            let waiting = entry.remove();
            self.by_key.remove(&waiting.key);
        }
    }

    /// Queries waiting.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no query waits.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Queries evicted so far to make room for newer ones.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::dns::{record_type, CLASS_IN};
    use alloc::string::ToString;
    use alloc::vec;

    fn wire_name(name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        for label in name.split('.') {
            v.push(label.len() as u8);
            v.extend_from_slice(label.as_bytes());
        }
        v.push(0);
        v
    }

    fn message(id: u16, flags: u16, name: &str, qtype: u16, qclass: u16, answers: u16) -> Vec<u8> {
        let mut m = id.to_be_bytes().to_vec();
        for field in [flags, 1, answers, 0, 0] {
            m.extend_from_slice(&field.to_be_bytes());
        }
        m.extend(wire_name(name));
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&qclass.to_be_bytes());
        m
    }

    fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
        message(id, 0x0100, name, qtype, CLASS_IN, 0)
    }

    /// A response to `name`/`qtype`/`qclass` whose one answer record gives `address`.
    fn answer_with(id: u16, name: &str, qtype: u16, qclass: u16, address: IpAddress) -> Vec<u8> {
        let mut m = message(id, 0x8180, name, qtype, qclass, 1);
        let (rtype, data) = match address {
            IpAddress::V4(a) => (record_type::A, a.to_vec()),
            IpAddress::V6(a) => (record_type::AAAA, a.to_vec()),
        };
        m.extend_from_slice(&[0xc0, 12]);
        for field in [rtype, CLASS_IN] {
            m.extend_from_slice(&field.to_be_bytes());
        }
        m.extend_from_slice(&300u32.to_be_bytes());
        m.extend_from_slice(&(data.len() as u16).to_be_bytes());
        m.extend(data);
        m
    }

    fn answer(id: u16, name: &str) -> Vec<u8> {
        answer_with(id, name, record_type::A, CLASS_IN, ADDRESS)
    }

    const ADDRESS: IpAddress = IpAddress::V4([192, 0, 2, 7]);
    const LOCAL: Endpoint = Endpoint {
        ip: IpAddress::V4([10, 0, 0, 1]),
        port: 40_000,
    };
    const RESOLVER: Endpoint = Endpoint {
        ip: IpAddress::V4([10, 0, 0, 53]),
        port: 53,
    };

    fn matched(
        table: &mut OutstandingQueries,
        message: &[u8],
        local: Endpoint,
        resolver: Endpoint,
        now_ms: u64,
    ) -> Result<Vec<DnsRecord>, AnswerRejected> {
        table
            .match_answer(message, local, resolver, now_ms)
            .map(|answered| answered.records)
    }

    fn asked(id: u16, name: &str) -> OutstandingQueries {
        let mut table = OutstandingQueries::new();
        table
            .record_query(&query(id, name, record_type::A), LOCAL, RESOLVER, 0)
            .unwrap();
        table
    }

    #[test]
    fn the_answer_to_our_query_names_the_address_once() {
        let mut table = asked(0x1234, "trusted.example");
        let records = matched(
            &mut table,
            &answer(0x1234, "trusted.example"),
            LOCAL,
            RESOLVER,
            5,
        );
        assert_eq!(
            records.unwrap(),
            vec![DnsRecord {
                name: "trusted.example".to_string(),
                address: ADDRESS,
                ttl_s: 300
            }]
        );
        assert!(table.is_empty());
        assert_eq!(
            matched(
                &mut table,
                &answer(0x1234, "trusted.example"),
                LOCAL,
                RESOLVER,
                6
            ),
            Err(AnswerRejected::Unsolicited),
            "a duplicate answer gives nothing"
        );
    }

    #[test]
    fn a_match_gives_the_whole_exchange() {
        let mut table = OutstandingQueries::new();
        table
            .record_query(
                &query(0x77, "WWW.Trusted.Example", record_type::A),
                LOCAL,
                RESOLVER,
                0,
            )
            .unwrap();
        let answered = table
            .match_answer(&answer(0x77, "www.TRUSTED.example"), LOCAL, RESOLVER, 1)
            .unwrap();
        assert_eq!(
            answered,
            AnsweredQuery {
                local: LOCAL,
                resolver: RESOLVER,
                question: DnsQuestion {
                    name: "www.trusted.example".to_string(),
                    qtype: record_type::A,
                    qclass: CLASS_IN,
                },
                rcode: 0,
                records: vec![DnsRecord {
                    name: "www.trusted.example".to_string(),
                    address: ADDRESS,
                    ttl_s: 300
                }],
            }
        );
    }

    #[test]
    fn answers_without_addresses_are_exchanges_too_but_only_when_asked_for() {
        // (flags, qtype, rcode): NXDOMAIN, SERVFAIL, and NODATA (NOERROR without records).
        let cases = [
            (0x8183, record_type::A, 3),
            (0x8182, record_type::A, 2),
            (0x8180, record_type::AAAA, 0),
        ];
        for (id, (flags, qtype, rcode)) in (1u16..).zip(cases) {
            let reply = message(id, flags, "nope.example", qtype, CLASS_IN, 0);
            let mut table = OutstandingQueries::new();
            assert_eq!(
                table.match_answer(&reply, LOCAL, RESOLVER, 0),
                Err(AnswerRejected::Unsolicited),
                "unasked: {flags:#x}"
            );
            table
                .record_query(&query(id, "nope.example", qtype), LOCAL, RESOLVER, 0)
                .unwrap();
            let answered = table.match_answer(&reply, LOCAL, RESOLVER, 1).unwrap();
            assert_eq!(
                (answered.rcode, answered.question.qtype, answered.records),
                (rcode, qtype, vec![]),
                "{flags:#x}"
            );
            assert_eq!(answered.question.name, "nope.example");
            assert!(table.is_empty(), "the query is answered");
        }
    }

    #[test]
    fn an_answer_nobody_asked_for_gives_nothing() {
        let mut table = OutstandingQueries::new();
        assert_eq!(
            matched(
                &mut table,
                &answer(1, "trusted.example"),
                LOCAL,
                RESOLVER,
                0
            ),
            Err(AnswerRejected::Unsolicited)
        );
    }

    #[test]
    fn every_part_of_the_exchange_must_match_and_a_mismatch_consumes_nothing() {
        let mut table = asked(0x1234, "trusted.example");
        let other_port = Endpoint {
            port: 40_001,
            ..LOCAL
        };
        let other_local = Endpoint {
            ip: IpAddress::V4([10, 0, 0, 9]),
            ..LOCAL
        };
        let other_resolver = Endpoint {
            ip: IpAddress::V4([10, 0, 0, 66]),
            ..RESOLVER
        };
        let other_resolver_port = Endpoint {
            port: 5353,
            ..RESOLVER
        };
        let good = answer(0x1234, "trusted.example");
        let cases: [(&str, Vec<u8>, Endpoint, Endpoint); 8] = [
            (
                "wrong id",
                answer(0x1235, "trusted.example"),
                LOCAL,
                RESOLVER,
            ),
            ("wrong port", good.clone(), other_port, RESOLVER),
            ("wrong local address", good.clone(), other_local, RESOLVER),
            ("wrong resolver", good.clone(), LOCAL, other_resolver),
            (
                "wrong resolver port",
                good.clone(),
                LOCAL,
                other_resolver_port,
            ),
            (
                "wrong name",
                answer(0x1234, "other.example"),
                LOCAL,
                RESOLVER,
            ),
            (
                "wrong type",
                answer_with(
                    0x1234,
                    "trusted.example",
                    record_type::AAAA,
                    CLASS_IN,
                    ADDRESS,
                ),
                LOCAL,
                RESOLVER,
            ),
            (
                "wrong class",
                answer_with(0x1234, "trusted.example", record_type::A, 3, ADDRESS),
                LOCAL,
                RESOLVER,
            ),
        ];
        for (what, message, local, resolver) in cases {
            assert_eq!(
                matched(&mut table, &message, local, resolver, 1),
                Err(AnswerRejected::Unsolicited),
                "{what}"
            );
        }
        assert_eq!(table.len(), 1, "the real answer can still come");
        assert_eq!(
            matched(&mut table, &good, LOCAL, RESOLVER, 2).map(|r| r.len()),
            Ok(1)
        );
    }

    #[test]
    fn names_match_whatever_their_case() {
        let mut table = asked(7, "Trusted.EXAMPLE");
        assert!(matched(
            &mut table,
            &answer(7, "tRUSTED.example"),
            LOCAL,
            RESOLVER,
            1
        )
        .is_ok());
    }

    #[test]
    fn malformed_answers_and_queries_change_nothing() {
        let mut table = asked(9, "trusted.example");
        let good = answer(9, "trusted.example");
        for cut in 0..good.len() {
            assert!(matches!(
                matched(&mut table, &good[..cut], LOCAL, RESOLVER, 1),
                Err(AnswerRejected::Malformed(_))
            ));
        }
        let mut as_query = good.clone();
        as_query[2] &= 0x7f;
        assert_eq!(
            matched(&mut table, &as_query, LOCAL, RESOLVER, 1),
            Err(AnswerRejected::Malformed(DnsError::NotResponse))
        );
        assert_eq!(table.len(), 1);
        // A response is no query, nor is another opcode.
        assert_eq!(
            table.record_query(&good, LOCAL, RESOLVER, 1),
            Err(DnsError::NotQuery)
        );
        let mut notify = query(3, "x.example", record_type::A);
        notify[2] |= 4 << 3;
        assert_eq!(
            table.record_query(&notify, LOCAL, RESOLVER, 1),
            Err(DnsError::NotQuery)
        );
        assert_eq!(table.len(), 1);
        assert!(matched(&mut table, &good, LOCAL, RESOLVER, 2).is_ok());
    }

    #[test]
    fn queries_expire() {
        let mut table = asked(1, "a.example");
        assert_eq!(
            matched(
                &mut table,
                &answer(1, "a.example"),
                LOCAL,
                RESOLVER,
                QUERY_LIFETIME_MS
            ),
            Err(AnswerRejected::Unsolicited)
        );
        assert!(table.is_empty(), "expired queries are dropped");
        let mut table = asked(1, "a.example");
        assert!(matched(
            &mut table,
            &answer(1, "a.example"),
            LOCAL,
            RESOLVER,
            QUERY_LIFETIME_MS - 1
        )
        .is_ok());
    }

    #[test]
    fn a_query_sent_again_refreshes_its_entry() {
        let mut table = OutstandingQueries::new();
        let q = query(1, "a.example", record_type::A);
        table.record_query(&q, LOCAL, RESOLVER, 0).unwrap();
        table.record_query(&q, LOCAL, RESOLVER, 8_000).unwrap();
        assert_eq!(table.len(), 1);
        assert!(matched(&mut table, &answer(1, "a.example"), LOCAL, RESOLVER, 12_000).is_ok());
        assert_eq!(
            matched(&mut table, &answer(1, "a.example"), LOCAL, RESOLVER, 12_001),
            Err(AnswerRejected::Unsolicited),
            "still answered only once"
        );
    }

    #[test]
    fn a_full_table_evicts_the_oldest_query() {
        let mut table = OutstandingQueries::with_limits(3, QUERY_LIFETIME_MS);
        for id in 1..=4u16 {
            table
                .record_query(&query(id, "a.example", record_type::A), LOCAL, RESOLVER, 0)
                .unwrap();
        }
        assert_eq!((table.len(), table.evicted()), (3, 1));
        assert_eq!(
            matched(&mut table, &answer(1, "a.example"), LOCAL, RESOLVER, 1),
            Err(AnswerRejected::Unsolicited),
            "the oldest went"
        );
        for id in 2..=4u16 {
            assert!(matched(&mut table, &answer(id, "a.example"), LOCAL, RESOLVER, 1).is_ok());
        }
        // The default bound holds against a flood.
        let mut table = OutstandingQueries::new();
        for i in 0..(MAX_OUTSTANDING as u32 + 500) {
            let local = Endpoint {
                port: (i % 60_000) as u16,
                ..LOCAL
            };
            let q = query((i / 60_000) as u16, "flood.example", record_type::A);
            table.record_query(&q, local, RESOLVER, 0).unwrap();
        }
        assert_eq!(table.len(), MAX_OUTSTANDING);
        assert_eq!(table.evicted(), 500);
    }

    #[test]
    fn ipv6_exchanges_match_on_ipv6_endpoints() {
        let local = Endpoint {
            ip: IpAddress::V6([0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            port: 50_000,
        };
        let resolver = Endpoint {
            ip: IpAddress::V6([0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53]),
            port: 53,
        };
        let v6 = IpAddress::V6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
        let mut table = OutstandingQueries::new();
        table
            .record_query(
                &query(5, "six.example", record_type::AAAA),
                local,
                resolver,
                0,
            )
            .unwrap();
        let reply = answer_with(5, "six.example", record_type::AAAA, CLASS_IN, v6);
        assert_eq!(
            matched(&mut table, &reply, LOCAL, RESOLVER, 1),
            Err(AnswerRejected::Unsolicited),
            "the same answer to an IPv4 socket"
        );
        let records = matched(&mut table, &reply, local, resolver, 1).unwrap();
        assert_eq!(records[0].address, v6);
    }
}
