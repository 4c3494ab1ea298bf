//! The network tables: kernel messages built here byte for byte as rtnetlink sends them, parsed,
//! and the facts computed from them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::netlink::{MessageBuilder, NLMSG_HDRLEN};

const RTM_NEWLINK: u16 = 16;
const RTM_NEWROUTE: u16 = 24;
const RTM_NEWNEIGH: u16 = 28;
const ARPHRD_PPP: u16 = 512;
const ARPHRD_NONE: u16 = 0xFFFE;
const NUD_INCOMPLETE: u16 = 0x01;
const NUD_REACHABLE: u16 = 0x02;
const NUD_STALE: u16 = 0x04;
const NUD_FAILED: u16 = 0x20;
const UP_RUNNING: u32 = IFF_UP | IFF_RUNNING;
const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 0xa];

fn payload(message: Vec<u8>) -> Vec<u8> {
    message[NLMSG_HDRLEN..].to_vec()
}

fn link_payload(index: u32, link_type: u16, flags: u32, name: &str, kind: Option<&str>) -> Vec<u8> {
    let mut header = [0u8; IFINFOMSG_LEN];
    header[2..4].copy_from_slice(&link_type.to_ne_bytes());
    header[4..8].copy_from_slice(&index.to_ne_bytes());
    header[8..12].copy_from_slice(&flags.to_ne_bytes());
    let mut message = MessageBuilder::new(RTM_NEWLINK, 0, 1)
        .raw(&header)
        .attr(IFLA_IFNAME, format!("{name}\0").as_bytes());
    if link_type == ARPHRD_ETHER || link_type == ARPHRD_LOOPBACK {
        message = message.attr(IFLA_ADDRESS, &[2, 0, 0, 0, 0, index as u8]);
    }
    if let Some(kind) = kind {
        message = message
            .nest(IFLA_LINKINFO)
            .attr(IFLA_INFO_KIND, format!("{kind}\0").as_bytes())
            .end_nest();
    }
    payload(message.finish())
}

fn link(index: u32, link_type: u16, flags: u32, name: &str, kind: Option<&str>) -> Link {
    parse_link(&link_payload(index, link_type, flags, name, kind)).unwrap()
}

fn ether(index: u32, name: &str) -> Link {
    link(index, ARPHRD_ETHER, UP_RUNNING, name, Some("veth"))
}

/// An `rtmsg` then attributes.
fn route_payload(
    family: u8,
    dst_len: u8,
    route_type: u8,
    flags: u32,
    attrs: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let mut header = [0u8; RTMSG_LEN];
    header[0] = family;
    header[1] = dst_len;
    header[4] = RT_TABLE_MAIN as u8;
    header[7] = route_type;
    header[8..12].copy_from_slice(&flags.to_ne_bytes());
    let mut message = MessageBuilder::new(RTM_NEWROUTE, 0, 1).raw(&header);
    for (kind, data) in attrs {
        message = message.attr(*kind, data);
    }
    payload(message.finish())
}

fn v4(a: [u8; 4]) -> IpAddress {
    IpAddress::V4(a)
}

fn v6_link_local(last: u8) -> [u8; 16] {
    let mut ip = [0u8; 16];
    ip[..2].copy_from_slice(&[0xfe, 0x80]);
    ip[15] = last;
    ip
}

/// A default route of `family` via `gateway` (4 or 16 bytes) out of `oif`, metric `metric`.
fn default_via(gateway: &[u8], oif: u32, metric: u32) -> Route {
    let family = if gateway.len() == 4 {
        AF_INET
    } else {
        AF_INET6
    };
    let attrs = vec![
        (RTA_GATEWAY, gateway.to_vec()),
        (RTA_OIF, oif.to_ne_bytes().to_vec()),
        (RTA_PRIORITY, metric.to_ne_bytes().to_vec()),
    ];
    parse_route(&route_payload(family, 0, RTN_UNICAST, 0, &attrs)).unwrap()
}

fn neighbour(if_index: u32, ip: &[u8], state: u16, mac: Option<[u8; 6]>) -> Neighbour {
    let family = if ip.len() == 4 { AF_INET } else { AF_INET6 };
    let mut header = [0u8; NDMSG_LEN];
    header[0] = family;
    header[4..8].copy_from_slice(&if_index.to_ne_bytes());
    header[8..10].copy_from_slice(&state.to_ne_bytes());
    let mut message = MessageBuilder::new(RTM_NEWNEIGH, 0, 1)
        .raw(&header)
        .attr(NDA_DST, ip);
    if let Some(mac) = mac {
        message = message.attr(NDA_LLADDR, &mac);
    }
    parse_neighbour(&payload(message.finish())).unwrap()
}

#[test]
fn links_parse_with_their_kind_and_only_running_tunnels_are_vpns() {
    let veth = ether(2, "veth0");
    assert_eq!(
        veth,
        Link {
            index: 2,
            link_type: ARPHRD_ETHER,
            flags: UP_RUNNING,
            name: "veth0".into(),
            address_len: 6,
            kind: Some("veth".into()),
        }
    );
    assert!(!veth.is_vpn_up());
    let vpns = [
        link(3, ARPHRD_NONE, UP_RUNNING, "tun0", Some("tun")),
        link(4, ARPHRD_NONE, UP_RUNNING, "wg0", Some("wireguard")),
        link(5, ARPHRD_PPP, UP_RUNNING, "ppp0", None),
        // A tap device is Ethernet, but of kind tun.
        link(6, ARPHRD_ETHER, UP_RUNNING, "tap0", Some("tun")),
        // IP-in-IP (ARPHRD_TUNNEL): no Ethernet address.
        link(7, 768, UP_RUNNING, "ipip0", Some("ipip")),
    ];
    for vpn in &vpns {
        assert!(vpn.is_vpn_up(), "{vpn:?}");
    }
    let not_vpns = [
        // Up, but no program holds the tun device: no carrier, not running.
        link(3, ARPHRD_NONE, IFF_UP, "tun0", Some("tun")),
        link(4, ARPHRD_NONE, IFF_RUNNING, "wg0", Some("wireguard")),
        link(1, ARPHRD_LOOPBACK, UP_RUNNING | IFF_LOOPBACK, "lo", None),
        link(8, ARPHRD_ETHER, UP_RUNNING, "wlan0", None),
    ];
    for link in &not_vpns {
        assert!(!link.is_vpn_up(), "{link:?}");
    }
}

#[test]
fn routes_parse_their_gateway_interface_metric_and_table() {
    let route = default_via(&[10, 0, 0, 1], 2, 100);
    assert_eq!(
        route,
        Route {
            family: AF_INET,
            dst_len: 0,
            table: RT_TABLE_MAIN,
            route_type: RTN_UNICAST,
            flags: 0,
            oif: Some(2),
            gateway: Some(v4([10, 0, 0, 1])),
            metric: 100,
        }
    );
    // A table id above 255 is only in RTA_TABLE; RTA_VIA names a gateway of the other family.
    let mut via = vec![AF_INET6, 0];
    via.extend_from_slice(&v6_link_local(1));
    let attrs = vec![
        (RTA_TABLE, 1000u32.to_ne_bytes().to_vec()),
        (RTA_VIA, via),
        (RTA_OIF, 3u32.to_ne_bytes().to_vec()),
    ];
    let route = parse_route(&route_payload(AF_INET, 0, RTN_UNICAST, 0, &attrs)).unwrap();
    assert_eq!(
        (route.table, route.gateway, route.oif, route.metric),
        (1000, Some(IpAddress::V6(v6_link_local(1))), Some(3), 0)
    );
}

#[test]
fn a_multipath_route_takes_its_first_usable_next_hop() {
    let hop = |flags: u8, if_index: u32, gateway: [u8; 4]| {
        let mut hop = vec![16, 0, flags, 0];
        hop.extend_from_slice(&if_index.to_ne_bytes());
        hop.extend_from_slice(&8u16.to_ne_bytes());
        hop.extend_from_slice(&RTA_GATEWAY.to_ne_bytes());
        hop.extend_from_slice(&gateway);
        hop
    };
    let mut hops = hop(RTNH_F_DEAD as u8, 4, [10, 0, 4, 1]);
    hops.extend(hop(0, 5, [10, 0, 5, 1]));
    let attrs = vec![(RTA_MULTIPATH, hops.clone())];
    let route = parse_route(&route_payload(AF_INET, 0, RTN_UNICAST, 0, &attrs)).unwrap();
    assert_eq!(
        (route.oif, route.gateway),
        (Some(5), Some(v4([10, 0, 5, 1])))
    );
    // Cut inside the second hop: no usable hop, and no panic.
    let cut = vec![(RTA_MULTIPATH, hops[..20].to_vec())];
    let route = parse_route(&route_payload(AF_INET, 0, RTN_UNICAST, 0, &cut)).unwrap();
    assert_eq!(route.oif, None);
    assert!(!is_default(&route));
}

#[test]
fn the_default_route_is_the_lowest_metric_ipv4_one_of_the_main_table() {
    let links = [ether(2, "eth0"), ether(3, "wlan0"), ether(4, "eth1")];
    let wired = default_via(&[10, 0, 0, 1], 2, 100);
    let wireless = default_via(&[10, 0, 1, 1], 3, 600);
    let v6 = default_via(&v6_link_local(1), 4, 1);
    let routes = [wireless.clone(), v6.clone(), wired.clone()];
    assert_eq!(default_route(&routes, &links), Some(&wired));
    // Equal metrics: the lower interface index, whatever the dump order.
    let twin = default_via(&[10, 0, 1, 1], 3, 100);
    assert_eq!(
        default_route(&[twin.clone(), wired.clone()], &links),
        Some(&wired)
    );
    // Only without IPv4 the IPv6 one.
    assert_eq!(default_route(std::slice::from_ref(&v6), &links), Some(&v6));
    assert_eq!(default_route(&[], &links), None);
    // Not a default route: another prefix, another table, a blackhole, a dead or link-down
    // next hop, a link that is gone.
    let mut others = Vec::new();
    let mut subnet = wired.clone();
    subnet.dst_len = 24;
    others.push(subnet);
    let mut table = wired.clone();
    table.table = 100;
    others.push(table);
    let mut blackhole = wired.clone();
    blackhole.route_type = 6;
    others.push(blackhole);
    for flag in [RTNH_F_DEAD, RTNH_F_LINKDOWN] {
        let mut down = wired.clone();
        down.flags = flag;
        others.push(down);
    }
    others.push(default_via(&[10, 0, 9, 1], 9, 0));
    assert_eq!(default_route(&others, &links), None, "{others:?}");
}

#[test]
fn the_facts_name_the_route_its_interface_and_the_gateway_s_valid_mac() {
    let links = [ether(2, "veth0"), ether(3, "veth2")];
    let routes = [default_via(&[10, 0, 0, 1], 2, 0)];
    let gateway = GatewayKey {
        if_index: 2,
        address: v4([10, 0, 0, 1]),
    };
    let unresolved = observe(&links, &routes, &[], "corp.example");
    let mut held = [0u8; 16];
    held[..4].copy_from_slice(&[10, 0, 0, 1]);
    assert_eq!(
        unresolved,
        Observed {
            facts: NetworkFacts {
                epoch: 0,
                flags: network_flags::DEFAULT_ROUTE,
                ip_version: 4,
                gateway_ip: held,
                gateway_mac: [0; 6],
                if_index: 2,
                interface_name: "veth0".into(),
                dns_suffix: "corp.example".into(),
                ssid: vec![],
            },
            gateway: Some(gateway),
        }
    );
    for state in [NUD_REACHABLE, NUD_STALE] {
        let table = [
            // The same address on another interface is another host.
            neighbour(3, &[10, 0, 0, 1], NUD_REACHABLE, Some([9; 6])),
            neighbour(2, &[10, 0, 0, 1], state, Some(MAC_A)),
        ];
        let facts = observe(&links, &routes, &table, "").facts;
        assert_eq!(facts.gateway_mac, MAC_A);
        assert_eq!(
            facts.flags,
            network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC
        );
    }
    for state in [NUD_INCOMPLETE, NUD_FAILED] {
        let table = [neighbour(2, &[10, 0, 0, 1], state, Some(MAC_A))];
        let facts = observe(&links, &routes, &table, "").facts;
        assert_eq!((facts.gateway_mac, facts.flags), ([0; 6], 1), "{state:#x}");
    }
}

#[test]
fn ipv6_gateways_point_to_point_routes_vpns_and_no_route() {
    let links = [
        ether(2, "eth0"),
        link(5, ARPHRD_NONE, UP_RUNNING, "wg0", Some("wireguard")),
    ];
    let v6 = [default_via(&v6_link_local(1), 2, 1024)];
    let table = [neighbour(2, &v6_link_local(1), NUD_REACHABLE, Some(MAC_A))];
    let observed = observe(&links, &v6, &table, "");
    assert_eq!(
        (observed.facts.ip_version, observed.facts.gateway_ip),
        (6, v6_link_local(1))
    );
    assert_eq!(observed.facts.gateway_mac, MAC_A);
    assert_eq!(
        observed.facts.flags,
        network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC | network_flags::VPN
    );
    // Through the tunnel, without a gateway: no address, nothing to resolve.
    let attrs = vec![(RTA_OIF, 5u32.to_ne_bytes().to_vec())];
    let tunnel = [parse_route(&route_payload(AF_INET, 0, RTN_UNICAST, 0, &attrs)).unwrap()];
    let observed = observe(&links, &tunnel, &[], "");
    assert_eq!(
        (
            observed.facts.ip_version,
            observed.facts.gateway_ip,
            observed.facts.interface_name.as_str(),
            observed.gateway
        ),
        (4, [0; 16], "wg0", None)
    );
    // A gateway on a link without MACs cannot be resolved either.
    let via_tunnel = [default_via(&[10, 9, 0, 1], 5, 0)];
    assert_eq!(observe(&links, &via_tunnel, &[], "").gateway, None);
    // No default route: everything zero, the VPN bit and the suffix too.
    let offline = observe(&links, &[], &[], "corp.example");
    assert_eq!(offline.facts, NetworkFacts::default());
    assert_eq!(offline.gateway, None);
}

#[test]
fn random_bytes_never_panic_the_parsers() {
    let mut state = 0x9e37_79b9u32;
    for _ in 0..20_000 {
        let len = (state % 96) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state % 7) as u8 * if state & 8 == 0 { 1 } else { 37 }
            })
            .collect();
        let _ = parse_link(&bytes);
        let _ = parse_route(&bytes);
        let _ = parse_neighbour(&bytes);
        let _ = first_next_hop(&bytes);
    }
}
