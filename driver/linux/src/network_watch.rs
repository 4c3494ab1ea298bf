//! The network watcher: which network the machine is on (protocol README "Network facts"), from
//! rtnetlink. At start it reads the links, the routes and the gateway's neighbour entry; it is
//! subscribed to link, neighbour and IPv4/IPv6 route changes and reads the tables again when one
//! of them can change the facts (a link, a default route, the gateway's neighbour entry, lost
//! events) or when the resolver configuration changed (the DNS suffix). `network_tables.rs`
//! computes the facts, `network_report.rs` decides when they are reported. The SSID of the route's
//! interface comes from nl80211 (`ssid_lookup.rs`), asked for when the tables are read and kept
//! per interface until a link event about it.
//!
//! When the gateway has no neighbour entry, the kernel is asked to resolve it: an `RTM_NEWNEIGH`
//! with `NTF_USE` (create or replace) makes it send an ARP request or neighbour solicitation at
//! once, as a packet to the gateway would, without any packet of ours (an IP packet would go
//! through our own queue). The facts go out at once, marked as being resolved (flags bit 3),
//! and again once the answer came, or after a second without it.
//!
//! Owned by the packet thread, which waits on its socket in the same poll(2) as on the queue and
//! reads it before it decides the packets of the same wake-up: a connection routed after a
//! change is decided after that change's facts are queued. No timer of its own: the MAC wait's
//! deadline shortens the thread's wait, and the resolver files are looked at when it wakes
//! anyway.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use zenithfence_core::flow::IpAddress;
use zenithfence_protocol::info_network::network_flags;
use zenithfence_protocol::NetworkFacts;

use crate::errno::ENOBUFS;
use crate::log::{Log, Severity};
use crate::netlink::{
    find_attr, messages, MessageBuilder, NetlinkSocket, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use crate::network_report::{Reporter, Step};
use crate::network_tables::{
    observe, parse_link, parse_neighbour, parse_route, GatewayKey, Link, Neighbour, Observed,
    Route, AF_INET, AF_INET6, IFINFOMSG_LEN, NDMSG_LEN, RTMSG_LEN, RT_TABLE_MAIN,
};
use crate::resolvers::Resolvers;
use crate::ssid_lookup::Ssids;
use crate::sys;

/// `NETLINK_ROUTE`.
const NETLINK_ROUTE: i32 = 0;
/// `RTMGRP_LINK`.
const RTMGRP_LINK: u32 = 0x1;
/// `RTMGRP_NEIGH`.
const RTMGRP_NEIGH: u32 = 0x4;
/// `RTMGRP_IPV4_ROUTE`.
const RTMGRP_IPV4_ROUTE: u32 = 0x40;
/// `RTMGRP_IPV6_ROUTE`.
const RTMGRP_IPV6_ROUTE: u32 = 0x400;
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_GETLINK: u16 = 18;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const RTM_GETROUTE: u16 = 26;
const RTM_NEWNEIGH: u16 = 28;
const RTM_DELNEIGH: u16 = 29;
const RTM_GETNEIGH: u16 = 30;
/// `NLM_F_REPLACE`.
const NLM_F_REPLACE: u16 = 0x100;
/// `NLM_F_CREATE`.
const NLM_F_CREATE: u16 = 0x400;
/// `NTF_USE`: treat the entry as used, which starts its resolution.
const NTF_USE: u8 = 0x01;
/// `NDA_DST`.
const NDA_DST: u16 = 1;
/// `IFLA_WIRELESS`: a Wi-Fi driver's event (a scan, ...) carried in a link message; not a
/// change of the link.
const IFLA_WIRELESS: u16 = 11;
/// `IFF_UP`.
const IFF_UP: u32 = 0x1;
/// `IFF_RUNNING`: up with a carrier.
const IFF_RUNNING: u32 = 0x40;

/// A dump's datagrams are at most 32 KiB; a read with a smaller buffer would cut them.
const REQUEST_BUF_LEN: usize = 64 * 1024;
/// Event datagrams carry one message each.
const EVENT_BUF_LEN: usize = 32 * 1024;
/// How long one reply of a dump may take (the kernel answers in microseconds).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// The most event datagrams read in one wake-up: a flood of neighbour events (a scan of the
/// LAN) must not keep held packets waiting; the rest are read at the next wake-up.
const MAX_EVENTS_PER_WAKE: usize = 256;
/// The event socket's buffer: a burst of changes (a VPN coming up) fits.
const EVENT_RCVBUF: i32 = 1 << 20;

/// The two rtnetlink sockets, the resolver files and the report state.
pub(crate) struct NetworkWatch {
    events: NetlinkSocket,
    requests: NetlinkSocket,
    /// `/etc/resolv.conf`, for the DNS suffix (`Resolvers::suffix`).
    resolvers: Resolvers,
    reporter: Reporter,
    /// The Wi-Fi SSIDs of the interfaces the default route was on.
    ssids: Ssids,
    /// The facts last read from the tables (stepped again when the MAC wait ends).
    observed: Option<Observed>,
    /// `observed` was read since the reporter last stepped.
    observed_new: bool,
    /// The tables must be read again.
    stale: bool,
}

/// A request header of `len` zero bytes with the family byte set.
fn family_header<const N: usize>(family: u8) -> [u8; N] {
    let mut header = [0u8; N];
    if let Some(first) = header.first_mut() {
        *first = family;
    }
    header
}

impl NetworkWatch {
    /// Opens the event socket (subscribed) and the request socket; the first [`poll`] reads
    /// the tables. `resolvers` gives the DNS suffix.
    ///
    /// [`poll`]: NetworkWatch::poll
    pub(crate) fn open(resolvers: Resolvers) -> io::Result<NetworkWatch> {
        let groups = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
        let events = sys::netlink_socket(NETLINK_ROUTE, groups)?;
        // Needs CAP_NET_ADMIN; without it the default buffer stays, and a loss is noticed.
        let _ = sys::set_int_option(&events, sys::SOL_SOCKET, sys::SO_RCVBUFFORCE, EVENT_RCVBUF);
        Ok(NetworkWatch {
            events: NetlinkSocket::new(events, EVENT_BUF_LEN),
            requests: NetlinkSocket::open_requests(
                NETLINK_ROUTE,
                REQUEST_TIMEOUT,
                REQUEST_BUF_LEN,
            )?,
            resolvers,
            reporter: Reporter::default(),
            ssids: Ssids::new(),
            observed: None,
            observed_new: false,
            stale: true,
        })
    }

    /// The event socket, to wait for changes (`sys::wait_readable`).
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.events.file().as_raw_fd()
    }

    /// How long the caller may wait before it must call [`NetworkWatch::poll`] again: until the
    /// MAC wait ends (None: no limit of ours).
    pub(crate) fn wait_limit(&self, now_ms: u64) -> Option<Duration> {
        let deadline = self.reporter.deadline()?;
        Some(Duration::from_millis(deadline.saturating_sub(now_ms)))
    }

    /// Reads the changes waiting (only when `events_ready`: the caller's poll(2) saw the event
    /// socket readable, or could not tell), reads the tables again when they matter, asks the
    /// kernel for the gateway's MAC when it has none, and returns the facts to report, if they
    /// changed. Never waits, except for the kernel's answers to its own requests.
    pub(crate) fn poll(
        &mut self,
        now_ms: u64,
        events_ready: bool,
        log: &Log,
    ) -> Option<NetworkFacts> {
        // A read of an empty socket is a system call per wake-up of the packet thread, that is
        // per new connection under load, for nothing.
        if events_ready {
            self.read_events(log);
        }
        if self.resolvers.refresh(now_ms) {
            // The DNS suffix may have changed (its facts, not the tables, but this is rare).
            self.stale = true;
        }
        if self.stale {
            match self.read_tables() {
                Ok(mut observed) => {
                    if observed.facts.flags & network_flags::DEFAULT_ROUTE != 0 {
                        observed.facts.ssid = self.ssids.ssid(observed.facts.if_index, log);
                    }
                    self.observed = Some(observed);
                    self.observed_new = true;
                    self.stale = false;
                }
                // Stays stale: tried again at the next wake-up (the log limits the lines).
                Err(e) => log.write(
                    Severity::Warning,
                    format!("reading the network tables: {e}"),
                ),
            }
        }
        let observed = self.observed.as_ref()?;
        // The same facts, stepped before and due nothing yet, would give nothing.
        if !self.observed_new && self.reporter.settled(now_ms) {
            return None;
        }
        self.observed_new = false;
        match self.reporter.step(observed, now_ms) {
            Step::Report(facts) => Some(facts),
            Step::Resolve(gateway, facts) => {
                match self.resolve(gateway) {
                    Ok(()) => log.write(
                        Severity::Debug,
                        format!(
                            "asked the kernel to resolve gateway {}",
                            show(gateway.address)
                        ),
                    ),
                    // The facts still say it is being resolved until the wait's second is
                    // over: the kernel may resolve it anyway (another packet to the gateway).
                    Err(e) => log.write(
                        Severity::Warning,
                        format!(
                            "cannot ask for gateway {}'s MAC: {e}",
                            show(gateway.address)
                        ),
                    ),
                }
                Some(facts)
            }
            Step::Nothing => None,
        }
    }

    /// Takes every event waiting (at most [`MAX_EVENTS_PER_WAKE`] datagrams) and marks the
    /// tables stale when one can change the facts.
    fn read_events(&mut self, log: &Log) {
        let gateway = self.observed.as_ref().and_then(|o| o.gateway);
        for _ in 0..MAX_EVENTS_PER_WAKE {
            match self.events.recv_now() {
                Ok(datagram) => {
                    for message in messages(datagram) {
                        if matters(message.kind, message.payload, gateway) {
                            self.stale = true;
                            forget_ssid(&mut self.ssids, message.kind, message.payload);
                        }
                        if leaves_gateway(message.kind, message.payload, gateway) {
                            self.reporter.left_gateway();
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // Events were lost: the tables may have changed in any way, links too.
                Err(e) if e.raw_os_error() == Some(ENOBUFS) => {
                    self.stale = true;
                    self.ssids.forget_all();
                }
                Err(e) => {
                    log.write(Severity::Warning, format!("reading network changes: {e}"));
                    return;
                }
            }
        }
    }

    fn dump<T>(
        &mut self,
        kind: u16,
        header: &[u8],
        reply: u16,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> io::Result<Vec<T>> {
        let seq = self.requests.next_seq();
        let request = MessageBuilder::new(kind, NLM_F_REQUEST | NLM_F_DUMP, seq)
            .raw(header)
            .finish();
        self.requests.dump(&request, seq, reply, parse)
    }

    /// The links, the routes and (when the default route has a gateway with a MAC) the
    /// neighbours of its family, and the facts they give.
    fn read_tables(&mut self) -> io::Result<Observed> {
        let links: Vec<Link> = self.dump(
            RTM_GETLINK,
            &family_header::<IFINFOMSG_LEN>(0),
            RTM_NEWLINK,
            parse_link,
        )?;
        // AF_UNSPEC: the routes of every family in one dump.
        let routes: Vec<Route> = self.dump(
            RTM_GETROUTE,
            &family_header::<RTMSG_LEN>(0),
            RTM_NEWROUTE,
            parse_route,
        )?;
        let suffix = self.resolvers.suffix().to_string();
        let without_macs = observe(&links, &routes, &[], &suffix);
        let Some(gateway) = without_macs.gateway else {
            return Ok(without_macs);
        };
        let family = if gateway.address.is_v6() {
            AF_INET6
        } else {
            AF_INET
        };
        let neighbours: Vec<Neighbour> = self.dump(
            RTM_GETNEIGH,
            &family_header::<NDMSG_LEN>(family),
            RTM_NEWNEIGH,
            parse_neighbour,
        )?;
        Ok(observe(&links, &routes, &neighbours, &suffix))
    }

    /// Asks the kernel to resolve `gateway`'s MAC (see the module's comment).
    fn resolve(&mut self, gateway: GatewayKey) -> io::Result<()> {
        let (family, address): (u8, &[u8]) = match &gateway.address {
            IpAddress::V4(ip) => (AF_INET, ip),
            IpAddress::V6(ip) => (AF_INET6, ip),
        };
        // `struct ndmsg`: family, padding, ifindex, state NUD_NONE (the kernel keeps the
        // entry's own state with NTF_USE; a permanent one would never be collected), flags.
        let mut header = [0u8; NDMSG_LEN];
        header[0] = family;
        header[4..8].copy_from_slice(&gateway.if_index.to_ne_bytes());
        header[10] = NTF_USE;
        let seq = self.requests.next_seq();
        let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
        let request = MessageBuilder::new(RTM_NEWNEIGH, flags, seq)
            .raw(&header)
            .attr(NDA_DST, address)
            .finish();
        self.requests.request_ack(&request, seq)
    }
}

/// Whether an event can change the facts: any link change (but a Wi-Fi driver's wireless
/// event), a default route's change, a change of the gateway's neighbour entry.
fn matters(kind: u16, payload: &[u8], gateway: Option<GatewayKey>) -> bool {
    match kind {
        RTM_NEWLINK => payload
            .get(IFINFOMSG_LEN..)
            .is_none_or(|attrs| find_attr(attrs, IFLA_WIRELESS).is_none()),
        RTM_DELLINK => true,
        RTM_NEWROUTE | RTM_DELROUTE => parse_route(payload).is_none_or(|r| r.dst_len == 0),
        RTM_NEWNEIGH | RTM_DELNEIGH => parse_neighbour(payload).is_some_and(|n| {
            gateway.is_some_and(|g| g.if_index == n.if_index && g.address == n.address)
        }),
        _ => false,
    }
}

/// A link event (one that `matters`) makes its interface's SSID be asked for again: joining
/// another Wi-Fi network takes the carrier down and up (see `ssid_lookup.rs`). A link message
/// that cannot be read could be about any interface.
fn forget_ssid(ssids: &mut Ssids, kind: u16, payload: &[u8]) {
    if kind != RTM_NEWLINK && kind != RTM_DELLINK {
        return;
    }
    match parse_link(payload) {
        Some(link) => ssids.forget(link.index),
        None => ssids.forget_all(),
    }
}

/// Whether an event says the route left the gateway even if the next read of the tables shows
/// it again: the gateway's link went down (or away), or a default route via it was deleted.
/// The link may have joined another network in between, whose router has the same address.
fn leaves_gateway(kind: u16, payload: &[u8], gateway: Option<GatewayKey>) -> bool {
    let Some(gateway) = gateway else {
        return false;
    };
    match kind {
        RTM_NEWLINK => parse_link(payload).is_some_and(|link| {
            link.index == gateway.if_index
                && link.flags & (IFF_UP | IFF_RUNNING) != IFF_UP | IFF_RUNNING
        }),
        RTM_DELLINK => parse_link(payload).is_none_or(|link| link.index == gateway.if_index),
        RTM_DELROUTE => parse_route(payload).is_none_or(|route| {
            route.dst_len == 0
                && route.table == RT_TABLE_MAIN
                && route.oif.is_none_or(|oif| oif == gateway.if_index)
                && route
                    .gateway
                    .is_none_or(|address| address == gateway.address)
        }),
        _ => false,
    }
}

/// An address as people write it.
fn show(address: IpAddress) -> String {
    match address {
        IpAddress::V4(a) => Ipv4Addr::from(a).to_string(),
        IpAddress::V6(a) => IpAddr::from(Ipv6Addr::from(a)).to_string(),
    }
}

/// One log line for reported facts.
pub(crate) fn describe(facts: &NetworkFacts) -> String {
    let epoch = facts.epoch;
    if facts.flags & network_flags::DEFAULT_ROUTE == 0 {
        return format!("network facts {epoch}: no default route");
    }
    let mut text = format!("network facts {epoch}: default route");
    let gateway = match facts.ip_version {
        6 => IpAddress::V6(facts.gateway_ip),
        _ => {
            let mut v4 = [0u8; 4];
            v4.copy_from_slice(facts.gateway_ip.get(..4).unwrap_or(&[0; 4]));
            IpAddress::V4(v4)
        }
    };
    if facts.gateway_ip != [0; 16] {
        text.push_str(&format!(" via {}", show(gateway)));
        if facts.flags & network_flags::GATEWAY_MAC != 0 {
            let mac: Vec<String> = facts
                .gateway_mac
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            text.push_str(&format!(" ({})", mac.join(":")));
        } else if facts.flags & network_flags::RESOLVING_MAC != 0 {
            text.push_str(" (MAC being resolved)");
        } else {
            text.push_str(" (MAC unknown)");
        }
    }
    text.push_str(&format!(
        " on {} (index {})",
        facts.interface_name, facts.if_index
    ));
    if !facts.dns_suffix.is_empty() {
        text.push_str(&format!(", DNS suffix {}", facts.dns_suffix));
    }
    if !facts.ssid.is_empty() {
        // Raw bytes: shown as text where they are UTF-8.
        text.push_str(&format!(
            ", SSID {:?}",
            String::from_utf8_lossy(&facts.ssid)
        ));
    }
    if facts.flags & network_flags::VPN != 0 {
        text.push_str(", a VPN is up");
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::netlink::NLMSG_HDRLEN;

    fn route_event(kind: u16, dst_len: u8) -> Vec<u8> {
        let mut header = [0u8; RTMSG_LEN];
        header[0] = AF_INET;
        header[1] = dst_len;
        MessageBuilder::new(kind, 0, 0).raw(&header).finish()[NLMSG_HDRLEN..].to_vec()
    }

    fn neighbour_event(if_index: u32, ip: [u8; 4]) -> Vec<u8> {
        let mut header = [0u8; NDMSG_LEN];
        header[0] = AF_INET;
        header[4..8].copy_from_slice(&if_index.to_ne_bytes());
        MessageBuilder::new(RTM_NEWNEIGH, 0, 0)
            .raw(&header)
            .attr(NDA_DST, &ip)
            .finish()[NLMSG_HDRLEN..]
            .to_vec()
    }

    #[test]
    fn only_events_that_can_change_the_facts_matter() {
        let gateway = Some(GatewayKey {
            if_index: 2,
            address: IpAddress::V4([10, 0, 0, 1]),
        });
        assert!(matters(
            RTM_NEWROUTE,
            &route_event(RTM_NEWROUTE, 0),
            gateway
        ));
        assert!(matters(RTM_DELROUTE, &route_event(RTM_DELROUTE, 0), None));
        assert!(!matters(
            RTM_NEWROUTE,
            &route_event(RTM_NEWROUTE, 24),
            gateway
        ));
        assert!(matters(
            RTM_NEWNEIGH,
            &neighbour_event(2, [10, 0, 0, 1]),
            gateway
        ));
        assert!(matters(
            RTM_DELNEIGH,
            &neighbour_event(2, [10, 0, 0, 1]),
            gateway
        ));
        assert!(!matters(
            RTM_NEWNEIGH,
            &neighbour_event(2, [10, 0, 0, 7]),
            gateway
        ));
        assert!(!matters(
            RTM_NEWNEIGH,
            &neighbour_event(3, [10, 0, 0, 1]),
            gateway
        ));
        assert!(!matters(
            RTM_NEWNEIGH,
            &neighbour_event(2, [10, 0, 0, 1]),
            None
        ));
        let link = [0u8; IFINFOMSG_LEN];
        assert!(matters(RTM_NEWLINK, &link, None));
        assert!(matters(RTM_DELLINK, &link, None));
        let wireless = MessageBuilder::new(RTM_NEWLINK, 0, 0)
            .raw(&link)
            .attr(IFLA_WIRELESS, &[0; 8])
            .finish();
        assert!(!matters(RTM_NEWLINK, &wireless[NLMSG_HDRLEN..], None));
        assert!(!matters(RTM_GETLINK, &link, None));
    }

    fn link_event(kind: u16, index: u32, flags: u32) -> Vec<u8> {
        let mut header = [0u8; IFINFOMSG_LEN];
        header[4..8].copy_from_slice(&index.to_ne_bytes());
        header[8..12].copy_from_slice(&flags.to_ne_bytes());
        MessageBuilder::new(kind, 0, 0).raw(&header).finish()[NLMSG_HDRLEN..].to_vec()
    }

    fn default_route_deleted(table: u8, oif: u32, via: [u8; 4]) -> Vec<u8> {
        let mut header = [0u8; RTMSG_LEN];
        header[0] = AF_INET;
        header[4] = table;
        MessageBuilder::new(RTM_DELROUTE, 0, 0)
            .raw(&header)
            .attr(4, &oif.to_ne_bytes())
            .attr(5, &via)
            .finish()[NLMSG_HDRLEN..]
            .to_vec()
    }

    #[test]
    fn the_gateway_is_left_when_its_link_goes_down_or_its_default_route_is_deleted() {
        let gateway = Some(GatewayKey {
            if_index: 2,
            address: IpAddress::V4([10, 0, 0, 1]),
        });
        let up = IFF_UP | IFF_RUNNING;
        assert!(leaves_gateway(
            RTM_NEWLINK,
            &link_event(RTM_NEWLINK, 2, IFF_UP),
            gateway
        ));
        assert!(leaves_gateway(
            RTM_NEWLINK,
            &link_event(RTM_NEWLINK, 2, 0),
            gateway
        ));
        assert!(leaves_gateway(
            RTM_DELLINK,
            &link_event(RTM_DELLINK, 2, up),
            gateway
        ));
        assert!(!leaves_gateway(
            RTM_NEWLINK,
            &link_event(RTM_NEWLINK, 2, up),
            gateway
        ));
        assert!(!leaves_gateway(
            RTM_NEWLINK,
            &link_event(RTM_NEWLINK, 3, 0),
            gateway
        ));
        assert!(!leaves_gateway(
            RTM_DELLINK,
            &link_event(RTM_DELLINK, 3, 0),
            gateway
        ));
        assert!(!leaves_gateway(
            RTM_NEWLINK,
            &link_event(RTM_NEWLINK, 2, 0),
            None
        ));
        let main = 254;
        assert!(leaves_gateway(
            RTM_DELROUTE,
            &default_route_deleted(main, 2, [10, 0, 0, 1]),
            gateway
        ));
        assert!(!leaves_gateway(
            RTM_DELROUTE,
            &default_route_deleted(main, 2, [10, 0, 0, 9]),
            gateway
        ));
        assert!(!leaves_gateway(
            RTM_DELROUTE,
            &default_route_deleted(100, 2, [10, 0, 0, 1]),
            gateway
        ));
        assert!(!leaves_gateway(
            RTM_NEWROUTE,
            &default_route_deleted(main, 2, [10, 0, 0, 1]),
            gateway
        ));
    }

    #[test]
    fn a_link_event_forgets_its_interfaces_ssid() {
        let log = Log::new(Severity::Error);
        // The live kernel: the loopback and an index no interface has give empty SSIDs, kept.
        let mut ssids = Ssids::new();
        ssids.ssid(1, &log);
        ssids.ssid(99_999, &log);
        assert!(ssids.knows(1) && ssids.knows(99_999));
        forget_ssid(&mut ssids, RTM_NEWROUTE, &route_event(RTM_NEWROUTE, 0));
        assert!(ssids.knows(1), "not a link event");
        forget_ssid(&mut ssids, RTM_NEWLINK, &link_event(RTM_NEWLINK, 1, 0));
        assert!(!ssids.knows(1) && ssids.knows(99_999));
        ssids.ssid(1, &log);
        forget_ssid(&mut ssids, RTM_DELLINK, &link_event(RTM_DELLINK, 99_999, 0));
        assert!(ssids.knows(1) && !ssids.knows(99_999));
        // A link message too short to name its interface: any of them.
        ssids.ssid(99_999, &log);
        forget_ssid(&mut ssids, RTM_NEWLINK, &[0; 4]);
        assert!(!ssids.knows(1) && !ssids.knows(99_999));
    }

    #[test]
    fn the_log_line_says_what_the_facts_say() {
        let mut gateway_ip = [0u8; 16];
        gateway_ip[..4].copy_from_slice(&[10, 0, 0, 1]);
        let facts = NetworkFacts {
            epoch: 3,
            flags: network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC | network_flags::VPN,
            ip_version: 4,
            gateway_ip,
            gateway_mac: [2, 0, 0, 0, 0xb, 1],
            if_index: 2,
            interface_name: "veth0".into(),
            dns_suffix: "zenith.test".into(),
            ssid: vec![],
        };
        assert_eq!(
            describe(&facts),
            "network facts 3: default route via 10.0.0.1 (02:00:00:00:0b:01) on veth0 (index 2), \
             DNS suffix zenith.test, a VPN is up"
        );
        let wifi = NetworkFacts {
            ssid: b"caf\xe9 \"1\"".to_vec(),
            ..facts.clone()
        };
        assert_eq!(
            describe(&wifi),
            "network facts 3: default route via 10.0.0.1 (02:00:00:00:0b:01) on veth0 (index 2), \
             DNS suffix zenith.test, SSID \"caf\u{fffd} \\\"1\\\"\", a VPN is up"
        );
        let unresolved = NetworkFacts {
            flags: network_flags::DEFAULT_ROUTE,
            dns_suffix: String::new(),
            ..facts.clone()
        };
        assert_eq!(
            describe(&unresolved),
            "network facts 3: default route via 10.0.0.1 (MAC unknown) on veth0 (index 2)"
        );
        let resolving = NetworkFacts {
            flags: network_flags::DEFAULT_ROUTE | network_flags::RESOLVING_MAC,
            gateway_mac: [0; 6],
            ..unresolved.clone()
        };
        assert_eq!(
            describe(&resolving),
            "network facts 3: default route via 10.0.0.1 (MAC being resolved) on veth0 (index 2)"
        );
        assert_eq!(
            describe(&NetworkFacts::default()),
            "network facts 0: no default route"
        );
    }
}
