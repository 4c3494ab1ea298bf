//! DNS names from the DNS traffic NFLOG copies to us (`rules.rs`): queries this host sends over
//! UDP to port 53 of one of its resolvers (`resolvers.rs`) are recorded, and an answer from port
//! 53 names addresses only when it answers one of them (`zenithfence_core::dns_queries` says
//! exactly what must match). Any other answer (forged by a remote host, late, duplicated, from a
//! host that is not a resolver) gives no name at all; it is counted and logged, and the log's
//! rate limit keeps a flood of them to a few lines.
//!
//! Queries are copied in the postrouting hook, which only packets that every verdict let out
//! reach (see `rules.rs`): a query the firewall blocked or dropped was never sent, and an answer
//! to it must not be believed.
//!
//! Owned by the packet thread, which reads it whenever the group has packets, before the batch
//! of held packets that woke it with them, so a name reaches the client before the connection
//! it names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;

use zenithfence_core::dns_queries::{AnswerRejected, AnsweredQuery, Endpoint, OutstandingQueries};
use zenithfence_core::flow::IpAddress;
use zenithfence_core::packet::{parse_ip_packet, Transport};

use crate::log::{Log, Severity};
use crate::nflog::{LoggedPacket, NflogGroup};
use crate::resolvers::Resolvers;

/// `NF_INET_LOCAL_IN`.
const HOOK_LOCAL_IN: u8 = 1;
/// `NF_INET_POST_ROUTING`: where queries are copied, once every verdict let them out.
const HOOK_POST_ROUTING: u8 = 4;
const DNS_PORT: u16 = 53;
/// The UDP header's length.
const UDP_HEADER_LEN: usize = 8;

/// The bound NFLOG group and the queries waiting for answers.
pub(crate) struct DnsWatch {
    group: NflogGroup,
    queries: OutstandingQueries,
    /// Only queries to these count.
    resolvers: Resolvers,
    /// Answers that matched no query, since start.
    unsolicited: u64,
}

/// A UDP datagram's ends and payload.
struct Datagram<'a> {
    source: Endpoint,
    destination: Endpoint,
    payload: &'a [u8],
}

fn datagram(packet: &[u8]) -> Option<Datagram<'_>> {
    let parsed = parse_ip_packet(packet).ok()?;
    let Transport::Udp { .. } = parsed.transport else {
        return None;
    };
    let start = parsed.ip_header_len.checked_add(UDP_HEADER_LEN)?;
    let payload = packet.get(start..parsed.total_len.min(packet.len()))?;
    let tuple = parsed.tuple;
    Some(Datagram {
        source: Endpoint {
            ip: tuple.src_ip,
            port: tuple.src_port,
        },
        destination: Endpoint {
            ip: tuple.dst_ip,
            port: tuple.dst_port,
        },
        payload,
    })
}

/// `address:port` as people write it.
fn show(end: Endpoint) -> String {
    match end.ip {
        IpAddress::V4(_) => format!("{}:{}", show_address(end.ip), end.port),
        IpAddress::V6(_) => format!("[{}]:{}", show_address(end.ip), end.port),
    }
}

/// An address as people write it.
fn show_address(ip: IpAddress) -> String {
    match ip {
        IpAddress::V4(a) => Ipv4Addr::from(a).to_string(),
        IpAddress::V6(a) => IpAddr::from(Ipv6Addr::from(a)).to_string(),
    }
}

impl DnsWatch {
    /// Watches the DNS traffic logged to `group`, believing answers to queries to `resolvers`.
    pub(crate) fn new(group: NflogGroup, resolvers: Resolvers, log: &Log) -> DnsWatch {
        let watch = DnsWatch {
            group,
            queries: OutstandingQueries::new(),
            resolvers,
            unsolicited: 0,
        };
        watch.log_resolvers(log);
        watch
    }

    fn log_resolvers(&self, log: &Log) {
        let list: Vec<String> = self
            .resolvers
            .current()
            .iter()
            .map(|&ip| show_address(ip))
            .collect();
        log.write(
            Severity::Info,
            format!("DNS names from answers of: {}", list.join(", ")),
        );
    }

    /// The NFLOG socket, to wait for logged packets (`sys::wait_readable`).
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.group.raw_fd()
    }

    /// Reads everything logged so far and returns the answers to our queries, with the names
    /// they gave, each with the interface it came in on (the asking socket's lookup names it).
    pub(crate) fn read(&mut self, now_ms: u64, log: &Log) -> Vec<(AnsweredQuery, u32)> {
        // Before the packets: a query sent right after a network change goes to the new resolvers.
        if self.resolvers.refresh(now_ms) {
            self.log_resolvers(log);
        }
        let packets = match self.group.try_recv_all() {
            Ok(packets) => packets,
            Err(e) => {
                log.write(Severity::Warning, format!("reading DNS traffic: {e}"));
                return Vec::new();
            }
        };
        let mut answers = Vec::new();
        for packet in &packets {
            self.take(packet, now_ms, log, &mut answers);
        }
        answers
    }

    fn take(
        &mut self,
        packet: &LoggedPacket,
        now_ms: u64,
        log: &Log,
        out: &mut Vec<(AnsweredQuery, u32)>,
    ) {
        let Some(udp) = datagram(&packet.payload) else {
            return;
        };
        match packet.hook {
            HOOK_POST_ROUTING if udp.destination.port == DNS_PORT => {
                // A query to any other host is no query to wait for: that host's answers would
                // name what it likes (the host may be the attacker's).
                if !self.resolvers.contains(&udp.destination.ip) {
                    log.write(
                        Severity::Debug,
                        format!(
                            "DNS query from {} to {} not recorded: not a resolver of this host",
                            show(udp.source),
                            show(udp.destination)
                        ),
                    );
                    return;
                }
                // Not a standard query (a response sent to port 53, junk): nothing to wait for.
                let _ = self
                    .queries
                    .record_query(udp.payload, udp.source, udp.destination, now_ms);
            }
            HOOK_LOCAL_IN if udp.source.port == DNS_PORT => {
                let (local, resolver) = (udp.destination, udp.source);
                match self
                    .queries
                    .match_answer(udp.payload, local, resolver, now_ms)
                {
                    Ok(answered) => out.push((answered, packet.in_interface)),
                    Err(AnswerRejected::Unsolicited) => {
                        self.unsolicited += 1;
                        log.write(
                            Severity::Warning,
                            format!(
                                "DNS answer from {} to {} ignored: it answers no query this host is waiting for ({} so far)",
                                show(resolver),
                                show(local),
                                self.unsolicited
                            ),
                        );
                    }
                    Err(AnswerRejected::Malformed(e)) => log.write(
                        Severity::Debug,
                        format!(
                            "DNS message from {} to {} not read: {e}",
                            show(resolver),
                            show(local)
                        ),
                    ),
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_shown_as_people_write_them() {
        let v4 = Endpoint {
            ip: IpAddress::V4([10, 0, 0, 2]),
            port: 53,
        };
        assert_eq!(show(v4), "10.0.0.2:53");
        let mut six = [0u8; 16];
        six[0] = 0xfd;
        six[15] = 1;
        let v6 = Endpoint {
            ip: IpAddress::V6(six),
            port: 4000,
        };
        assert_eq!(show(v6), "[fd00::1]:4000");
    }

    #[test]
    fn the_udp_payload_is_found_behind_the_headers() {
        let mut packet = vec![0x45, 0, 0, 31, 0, 0, 0x40, 0, 64, 17, 0, 0];
        packet.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        packet.extend_from_slice(&[0x9c, 0x40, 0, 53, 0, 11, 0, 0]);
        packet.extend_from_slice(b"abc");
        packet.extend_from_slice(b"pad");
        let udp = datagram(&packet).unwrap();
        assert_eq!(udp.payload, b"abc", "cut at the IP total length");
        assert_eq!((udp.source.port, udp.destination.port), (40_000, 53));
        assert!(datagram(&packet[..20]).is_none());
    }
}
