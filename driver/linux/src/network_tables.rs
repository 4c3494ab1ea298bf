//! The network facts (protocol README "Network facts") from the kernel's routing tables: rtnetlink
//! link, route and neighbour messages parsed into plain values, the default route chosen, and the
//! facts computed from them. Pure byte logic, no sockets (`network_watch.rs` reads the kernel).
//!
//! - The default route: of the main table's unicast routes to `0.0.0.0/0` the one with the lowest
//!   metric (then the lowest interface index, for a stable choice); only when there is no IPv4
//!   one, the IPv6 one. A route the kernel marks dead or whose link is down does not count.
//! - The gateway's MAC: its neighbour entry on the route's interface, in a state with a valid
//!   link-layer address (reachable, stale, delay, probe, permanent, noarp).
//! - A VPN is up when a link that is up and running (`IFF_UP` and `IFF_RUNNING`: a tun device
//!   without its program has no carrier and is not running) is a tunnel: of kind `tun` or
//!   `wireguard`, or of any link type but Ethernet (PPP, `ARPHRD_NONE` for tun and WireGuard,
//!   IP-in-IP, GRE, ...), the loopback excepted.

use zenithfence_core::flow::IpAddress;
use zenithfence_protocol::info_network::network_flags;
use zenithfence_protocol::NetworkFacts;

use crate::netlink::{attrs, find_attr};

/// `AF_INET`.
pub(crate) const AF_INET: u8 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u8 = 10;

/// `struct ifinfomsg` size.
pub(crate) const IFINFOMSG_LEN: usize = 16;
/// `struct rtmsg` size.
pub(crate) const RTMSG_LEN: usize = 12;
/// `struct ndmsg` size.
pub(crate) const NDMSG_LEN: usize = 12;

const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;
const RTA_VIA: u16 = 18;
const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;

/// `RT_TABLE_MAIN`.
pub(crate) const RT_TABLE_MAIN: u32 = 254;
/// `RTN_UNICAST`.
const RTN_UNICAST: u8 = 1;
/// `RTNH_F_DEAD`: the kernel will not use the next hop.
const RTNH_F_DEAD: u32 = 1;
/// `RTNH_F_LINKDOWN`: the next hop's link has no carrier.
const RTNH_F_LINKDOWN: u32 = 16;
/// `struct rtnexthop` size.
const RTNEXTHOP_LEN: usize = 8;

/// `IFF_UP`.
const IFF_UP: u32 = 0x1;
/// `IFF_LOOPBACK`.
const IFF_LOOPBACK: u32 = 0x8;
/// `IFF_RUNNING`: up with a carrier (or a link that has no notion of one).
const IFF_RUNNING: u32 = 0x40;
/// `IFF_NOARP`: the link resolves no neighbours.
const IFF_NOARP: u32 = 0x80;
/// `ARPHRD_ETHER`.
const ARPHRD_ETHER: u16 = 1;
/// `ARPHRD_LOOPBACK`.
const ARPHRD_LOOPBACK: u16 = 772;

/// `NUD_*` states whose link-layer address is valid (`NUD_VALID`).
const NUD_VALID: u16 = 0x80 | 0x40 | 0x02 | 0x10 | 0x04 | 0x08;

/// The link kinds that are tunnels whatever their link type (a tun device in tap mode is
/// Ethernet).
const TUNNEL_KINDS: [&str; 2] = ["tun", "wireguard"];

/// One link (`RTM_NEWLINK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Link {
    /// Interface index.
    pub(crate) index: u32,
    /// `ARPHRD_*` link type.
    pub(crate) link_type: u16,
    /// `IFF_*` flags.
    pub(crate) flags: u32,
    /// Interface name.
    pub(crate) name: String,
    /// Length of its link-layer address (6 for Ethernet; 0 when it has none).
    pub(crate) address_len: usize,
    /// `IFLA_INFO_KIND` (`tun`, `wireguard`, `veth`, ...), when the kernel gives one.
    pub(crate) kind: Option<String>,
}

impl Link {
    /// Whether this link is a VPN interface that is up (see the module's comment).
    pub(crate) fn is_vpn_up(&self) -> bool {
        let running = self.flags & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING;
        let loopback = self.flags & IFF_LOOPBACK != 0 || self.link_type == ARPHRD_LOOPBACK;
        let tunnel = self.link_type != ARPHRD_ETHER
            || self
                .kind
                .as_deref()
                .is_some_and(|kind| TUNNEL_KINDS.contains(&kind));
        running && !loopback && tunnel
    }

    /// Whether neighbours on this link have a MAC the kernel resolves (ARP or NDP).
    fn resolves_macs(&self) -> bool {
        self.address_len == 6 && self.flags & IFF_NOARP == 0
    }
}

/// One route (`RTM_NEWROUTE`), reduced to what the default route needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    /// `AF_INET` or `AF_INET6`.
    pub(crate) family: u8,
    /// Prefix length of the destination (0 for a default route).
    pub(crate) dst_len: u8,
    /// Routing table id.
    pub(crate) table: u32,
    /// `RTN_*` route type.
    pub(crate) route_type: u8,
    /// `RTNH_F_*` flags of the route (its single next hop).
    pub(crate) flags: u32,
    /// Outgoing interface (of the first usable next hop of a multipath route).
    pub(crate) oif: Option<u32>,
    /// Gateway (`RTA_GATEWAY`, or `RTA_VIA` for a gateway of the other family).
    pub(crate) gateway: Option<IpAddress>,
    /// Metric (`RTA_PRIORITY`; 0 when absent).
    pub(crate) metric: u32,
}

/// One neighbour entry (`RTM_NEWNEIGH`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Neighbour {
    /// Interface index.
    pub(crate) if_index: u32,
    /// The neighbour's IP address.
    pub(crate) address: IpAddress,
    /// `NUD_*` state.
    pub(crate) state: u16,
    /// Its link-layer address, when it has one of 6 bytes.
    pub(crate) mac: Option<[u8; 6]>,
}

impl Neighbour {
    /// The MAC when the state says it is valid.
    fn valid_mac(&self) -> Option<[u8; 6]> {
        self.mac.filter(|_| self.state & NUD_VALID != 0)
    }
}

/// Where the gateway's MAC is looked up (and asked for): its address on an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GatewayKey {
    /// The route's outgoing interface.
    pub(crate) if_index: u32,
    /// The gateway's address.
    pub(crate) address: IpAddress,
}

/// The facts observed now, and the gateway whose MAC can be resolved (when the route has one
/// on a link with MACs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Observed {
    /// The facts; their epoch is 0 (numbered in the core's `NetworkEpochs`).
    pub(crate) facts: NetworkFacts,
    /// The gateway whose MAC the kernel can resolve.
    pub(crate) gateway: Option<GatewayKey>,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A NUL-terminated string attribute.
fn text(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(data.get(..end).unwrap_or(&[])).into_owned()
}

/// An address of 4 or 16 bytes.
fn address(data: &[u8]) -> Option<IpAddress> {
    match data.len() {
        4 => Some(IpAddress::V4(data.try_into().ok()?)),
        16 => Some(IpAddress::V6(data.try_into().ok()?)),
        _ => None,
    }
}

/// Parses an `RTM_NEWLINK` payload.
pub(crate) fn parse_link(payload: &[u8]) -> Option<Link> {
    let link_type = u16_at(payload, 2)?;
    let index = u32_at(payload, 4)?;
    let flags = u32_at(payload, 8)?;
    let rest = payload.get(IFINFOMSG_LEN..)?;
    let kind = find_attr(rest, IFLA_LINKINFO)
        .and_then(|info| info.nested().find(|a| a.kind == IFLA_INFO_KIND))
        .map(|a| text(a.data));
    Some(Link {
        index,
        link_type,
        flags,
        name: find_attr(rest, IFLA_IFNAME).map_or_else(String::new, |a| text(a.data)),
        address_len: find_attr(rest, IFLA_ADDRESS).map_or(0, |a| a.data.len()),
        kind,
    })
}

/// `RTA_VIA`: `struct rtvia` (a u16 family, then the address).
fn via(data: &[u8]) -> Option<IpAddress> {
    address(data.get(2..)?)
}

/// The first usable next hop of `RTA_MULTIPATH`: its interface and gateway.
fn first_next_hop(mut data: &[u8]) -> Option<(u32, Option<IpAddress>)> {
    while let Some(len) = u16_at(data, 0).map(usize::from) {
        let hop = data.get(..len).filter(|_| len >= RTNEXTHOP_LEN)?;
        let flags = u32::from(*hop.get(2)?);
        let if_index = u32_at(hop, 4)?;
        if flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN) == 0 {
            let hop_attrs = hop.get(RTNEXTHOP_LEN..)?;
            let gateway = find_attr(hop_attrs, RTA_GATEWAY)
                .and_then(|a| address(a.data))
                .or_else(|| find_attr(hop_attrs, RTA_VIA).and_then(|a| via(a.data)));
            return Some((if_index, gateway));
        }
        data = data.get((len + 3) & !3..)?;
    }
    None
}

/// Parses an `RTM_NEWROUTE` payload.
pub(crate) fn parse_route(payload: &[u8]) -> Option<Route> {
    let header = payload.get(..RTMSG_LEN)?;
    let &[family, dst_len, _, _, table, _, _, route_type] = header.get(..8)? else {
        return None;
    };
    let mut route = Route {
        family,
        dst_len,
        table: u32::from(table),
        route_type,
        flags: u32_at(header, 8)?,
        oif: None,
        gateway: None,
        metric: 0,
    };
    for attr in attrs(payload.get(RTMSG_LEN..)?) {
        match attr.kind {
            RTA_OIF => route.oif = attr.ne_u32(),
            RTA_GATEWAY => route.gateway = address(attr.data),
            RTA_VIA => route.gateway = via(attr.data),
            RTA_PRIORITY => route.metric = attr.ne_u32().unwrap_or(0),
            // Tables above 255 are only in the attribute.
            RTA_TABLE => route.table = attr.ne_u32().unwrap_or(route.table),
            RTA_MULTIPATH => {
                if let Some((oif, gateway)) = first_next_hop(attr.data) {
                    route.oif = Some(oif);
                    route.gateway = gateway;
                }
            }
            _ => {}
        }
    }
    Some(route)
}

/// Parses an `RTM_NEWNEIGH` payload.
pub(crate) fn parse_neighbour(payload: &[u8]) -> Option<Neighbour> {
    let if_index = u32_at(payload, 4)?;
    let state = u16_at(payload, 8)?;
    let rest = payload.get(NDMSG_LEN..)?;
    Some(Neighbour {
        if_index,
        address: find_attr(rest, NDA_DST).and_then(|a| address(a.data))?,
        state,
        mac: find_attr(rest, NDA_LLADDR).and_then(|a| a.data.try_into().ok()),
    })
}

/// Whether a route is a usable default route of the main table.
pub(crate) fn is_default(route: &Route) -> bool {
    route.dst_len == 0
        && route.table == RT_TABLE_MAIN
        && route.route_type == RTN_UNICAST
        && route.flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN) == 0
        && route.oif.is_some()
}

/// The default route: IPv4 first, the lowest metric, then the lowest interface index.
pub(crate) fn default_route<'a>(routes: &'a [Route], links: &[Link]) -> Option<&'a Route> {
    let of_family = |family: u8| {
        routes
            .iter()
            .filter(|r| r.family == family && is_default(r))
            // A route whose link is gone (the dump raced a removal) is not the network.
            .filter(|r| links.iter().any(|l| Some(l.index) == r.oif))
            .min_by_key(|r| (r.metric, r.oif, r.gateway))
    };
    of_family(AF_INET).or_else(|| of_family(AF_INET6))
}

/// The facts of the tables: `suffix` is the DNS search suffix. Without a default route every
/// field is zero or empty (the protocol says so), the VPN bit and the suffix too.
pub(crate) fn observe(
    links: &[Link],
    routes: &[Route],
    neighbours: &[Neighbour],
    suffix: &str,
) -> Observed {
    let Some(route) = default_route(routes, links) else {
        return Observed {
            facts: NetworkFacts::default(),
            gateway: None,
        };
    };
    let oif = route.oif.unwrap_or(0);
    let link = links.iter().find(|l| l.index == oif);
    let (ip_version, gateway_ip) = match route.gateway {
        Some(IpAddress::V4(ip)) => {
            let mut held = [0u8; 16];
            held[..4].copy_from_slice(&ip);
            (4, held)
        }
        Some(IpAddress::V6(ip)) => (6, ip),
        None if route.family == AF_INET6 => (6, [0; 16]),
        None => (4, [0; 16]),
    };
    let gateway = route
        .gateway
        .filter(|_| link.is_some_and(Link::resolves_macs))
        .map(|address| GatewayKey {
            if_index: oif,
            address,
        });
    let mac = gateway.and_then(|key| {
        neighbours
            .iter()
            .filter(|n| n.if_index == key.if_index && n.address == key.address)
            .find_map(Neighbour::valid_mac)
    });
    let mut flags = network_flags::DEFAULT_ROUTE;
    if mac.is_some() {
        flags |= network_flags::GATEWAY_MAC;
    }
    if links.iter().any(Link::is_vpn_up) {
        flags |= network_flags::VPN;
    }
    Observed {
        facts: NetworkFacts {
            epoch: 0,
            flags,
            ip_version,
            gateway_ip,
            gateway_mac: mac.unwrap_or([0; 6]),
            if_index: oif,
            interface_name: link.map_or_else(String::new, |l| l.name.clone()),
            dns_suffix: suffix.into(),
            // Not in the tables: the watcher asks nl80211 (`ssid_lookup.rs`).
            ssid: Vec::new(),
        },
        gateway,
    }
}

#[cfg(test)]
#[path = "network_tables_tests.rs"]
mod tests;
