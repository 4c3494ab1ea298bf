//! Whole-packet tests: hand-built fixtures, every truncation of every fixture, and a seeded
//! random search for panics and inconsistent summaries.
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

extern crate std;

use super::ip_protocol::*;
use super::*;
use alloc::vec;
use alloc::vec::Vec;

use crate::test_rng::Rng;

const V4_SRC: [u8; 4] = [192, 168, 1, 10];
const V4_DST: [u8; 4] = [93, 184, 216, 34];
const V6_SRC: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_DST: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn be16(v: usize) -> [u8; 2] {
    (v as u16).to_be_bytes()
}

/// An IPv4 packet; `frag` is the flags and fragment offset field.
fn ipv4(options: &[u8], protocol: u8, frag: u16, l4: &[u8]) -> Vec<u8> {
    let ihl = 5 + options.len() / 4;
    let total = 4 * ihl + l4.len();
    let mut v = vec![0x40 | ihl as u8, 0];
    v.extend_from_slice(&be16(total));
    v.extend_from_slice(&[0xab, 0xcd]);
    v.extend_from_slice(&frag.to_be_bytes());
    v.extend_from_slice(&[64, protocol, 0, 0]);
    v.extend_from_slice(&V4_SRC);
    v.extend_from_slice(&V4_DST);
    v.extend_from_slice(options);
    v.extend_from_slice(l4);
    v
}

/// An IPv6 packet whose payload (extension headers included) is `rest`.
fn ipv6(next_header: u8, rest: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&be16(rest.len()));
    v.extend_from_slice(&[next_header, 64]);
    v.extend_from_slice(&V6_SRC);
    v.extend_from_slice(&V6_DST);
    v.extend_from_slice(rest);
    v
}

fn tcp(src: u16, dst: u16, flags: u8, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let offset = 5 + options.len() / 4;
    let mut v = Vec::new();
    v.extend_from_slice(&src.to_be_bytes());
    v.extend_from_slice(&dst.to_be_bytes());
    v.extend_from_slice(&[
        0,
        0,
        0x10,
        0,
        0,
        0,
        0,
        0,
        (offset as u8) << 4,
        flags,
        0xfa,
        0xf0,
    ]);
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(options);
    v.extend_from_slice(payload);
    v
}

fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&src.to_be_bytes());
    v.extend_from_slice(&dst.to_be_bytes());
    v.extend_from_slice(&be16(8 + payload.len()));
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

fn icmp_echo(icmp_type: u8) -> Vec<u8> {
    vec![
        icmp_type, 0, 0x12, 0x34, 0x00, 0x07, 0x00, 0x01, b'p', b'i', b'n', b'g',
    ]
}

/// An 8-byte Hop-by-Hop or Destination Options header (one PadN option), or a longer one with
/// `extra_units` more 8-byte units.
fn options_header(next: u8, extra_units: u8) -> Vec<u8> {
    let mut v = vec![next, extra_units, 1, 4 + 8 * extra_units];
    v.resize(8 + 8 * usize::from(extra_units), 0);
    v
}

fn fragment_header(next: u8, offset_bytes: u16, more: bool) -> [u8; 8] {
    let field = (offset_bytes / 8) << 3 | u16::from(more);
    let [hi, lo] = field.to_be_bytes();
    [next, 0, hi, lo, 0xde, 0xad, 0xbe, 0xef]
}

fn dns_query() -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(b"\x07example\x03org\x00\x00\x01\x00\x01");
    q
}

fn v4(addr: [u8; 4]) -> IpAddress {
    IpAddress::V4(addr)
}

fn v6(addr: [u8; 16]) -> IpAddress {
    IpAddress::V6(addr)
}

fn tuple(protocol: u8, src: IpAddress, sp: u16, dst: IpAddress, dp: u16) -> PacketTuple {
    PacketTuple {
        protocol,
        src_ip: src,
        src_port: sp,
        dst_ip: dst,
        dst_port: dp,
    }
}

/// The IPv4 Router Alert option (4 bytes).
const ROUTER_ALERT: [u8; 4] = [0x94, 0x04, 0x00, 0x00];

const MSS: [u8; 4] = [2, 4, 0x05, 0xb4];

/// Every fixture, with the summary it must give.
fn fixtures() -> Vec<(&'static str, Vec<u8>, ParsedPacket)> {
    let mut out = Vec::new();

    let syn = tcp(49152, 443, TcpFlags::SYN, &MSS, &[]);
    let p = ipv4(&ROUTER_ALERT, TCP, 0x4000, &syn);
    out.push((
        "ipv4 options tcp syn",
        p,
        ParsedPacket {
            tuple: tuple(TCP, v4(V4_SRC), 49152, v4(V4_DST), 443),
            ip_header_len: 24,
            transport: Transport::Tcp {
                flags: TcpFlags::from_bits(TcpFlags::SYN),
                header_len: 24,
                payload_len: 0,
            },
            total_len: 48,
            captured_len: 48,
            fragment: false,
        },
    ));

    let data = tcp(
        443,
        49152,
        TcpFlags::ACK | TcpFlags::PSH,
        &[],
        b"hello, world",
    );
    let mut options = [0u8; 40];
    options[0] = 1; // NOP ... the rest End of Option List
    out.push((
        "ipv4 max options tcp data",
        ipv4(&options, TCP, 0, &data),
        ParsedPacket {
            tuple: tuple(TCP, v4(V4_SRC), 443, v4(V4_DST), 49152),
            ip_header_len: 60,
            transport: Transport::Tcp {
                flags: TcpFlags::from_bits(TcpFlags::ACK | TcpFlags::PSH),
                header_len: 20,
                payload_len: 12,
            },
            total_len: 92,
            captured_len: 92,
            fragment: false,
        },
    ));

    let q = dns_query();
    out.push((
        "ipv4 udp dns",
        ipv4(&[], UDP, 0, &udp(53000, 53, &q)),
        ParsedPacket {
            tuple: tuple(UDP, v4(V4_SRC), 53000, v4(V4_DST), 53),
            ip_header_len: 20,
            transport: Transport::Udp {
                payload_len: q.len(),
            },
            total_len: 20 + 8 + q.len(),
            captured_len: 20 + 8 + q.len(),
            fragment: false,
        },
    ));

    out.push((
        "ipv4 icmp echo",
        ipv4(&[], ICMP, 0, &icmp_echo(8)),
        ParsedPacket {
            tuple: tuple(ICMP, v4(V4_SRC), 0, v4(V4_DST), 0),
            ip_header_len: 20,
            transport: Transport::Icmp {
                icmp_type: 8,
                code: 0,
            },
            total_len: 32,
            captured_len: 32,
            fragment: false,
        },
    ));

    // First fragment of a 100-byte-payload UDP datagram: the UDP length exceeds this packet.
    let mut first = udp(1000, 2000, &[0xaa; 92]);
    first.truncate(24);
    out.push((
        "ipv4 first fragment udp",
        ipv4(&[], UDP, 0x2000, &first),
        ParsedPacket {
            tuple: tuple(UDP, v4(V4_SRC), 1000, v4(V4_DST), 2000),
            ip_header_len: 20,
            transport: Transport::Udp { payload_len: 16 },
            total_len: 44,
            captured_len: 44,
            fragment: true,
        },
    ));

    out.push((
        "ipv4 non-first fragment",
        ipv4(&[], UDP, 0x0003, &[0xbb; 76]),
        ParsedPacket {
            tuple: tuple(UDP, v4(V4_SRC), 0, v4(V4_DST), 0),
            ip_header_len: 20,
            transport: Transport::Fragment,
            total_len: 96,
            captured_len: 96,
            fragment: true,
        },
    ));

    out.push((
        "ipv4 other protocol",
        ipv4(&[], 47, 0, &[0, 0, 0x08, 0x00]),
        ParsedPacket {
            tuple: tuple(47, v4(V4_SRC), 0, v4(V4_DST), 0),
            ip_header_len: 20,
            transport: Transport::Other,
            total_len: 24,
            captured_len: 24,
            fragment: false,
        },
    ));

    // IPv6: Hop-by-Hop, Destination Options (16 bytes), Fragment (first, M set), UDP.
    let mut rest = options_header(IPV6_DEST_OPTIONS, 0);
    rest.extend(options_header(IPV6_FRAGMENT, 1));
    rest.extend(fragment_header(UDP, 0, true));
    rest.extend(udp(5353, 5353, &q));
    let len = rest.len();
    out.push((
        "ipv6 hbh dest frag udp",
        ipv6(HOP_BY_HOP, &rest),
        ParsedPacket {
            tuple: tuple(UDP, v6(V6_SRC), 5353, v6(V6_DST), 5353),
            ip_header_len: 40 + 8 + 16 + 8,
            transport: Transport::Udp {
                payload_len: q.len(),
            },
            total_len: 40 + len,
            captured_len: 40 + len,
            fragment: true,
        },
    ));

    let mut rest = options_header(IPV6_FRAGMENT, 0);
    rest.extend(fragment_header(TCP, 1448, false));
    rest.extend([0xcc; 100]);
    out.push((
        "ipv6 hbh non-first fragment",
        ipv6(HOP_BY_HOP, &rest),
        ParsedPacket {
            tuple: tuple(TCP, v6(V6_SRC), 0, v6(V6_DST), 0),
            ip_header_len: 56,
            transport: Transport::Fragment,
            total_len: 156,
            captured_len: 156,
            fragment: true,
        },
    ));

    // An atomic fragment (offset 0, no M) is not a fragment.
    let mut rest = fragment_header(TCP, 0, false).to_vec();
    rest.extend(tcp(80, 50000, TcpFlags::FIN | TcpFlags::ACK, &[], &[]));
    out.push((
        "ipv6 atomic fragment tcp fin",
        ipv6(IPV6_FRAGMENT, &rest),
        ParsedPacket {
            tuple: tuple(TCP, v6(V6_SRC), 80, v6(V6_DST), 50000),
            ip_header_len: 48,
            transport: Transport::Tcp {
                flags: TcpFlags::from_bits(TcpFlags::FIN | TcpFlags::ACK),
                header_len: 20,
                payload_len: 0,
            },
            total_len: 68,
            captured_len: 68,
            fragment: false,
        },
    ));

    out.push((
        "ipv6 icmpv6 echo",
        ipv6(ICMPV6, &icmp_echo(128)),
        ParsedPacket {
            tuple: tuple(ICMPV6, v6(V6_SRC), 0, v6(V6_DST), 0),
            ip_header_len: 40,
            transport: Transport::Icmpv6 {
                icmp_type: 128,
                code: 0,
            },
            total_len: 52,
            captured_len: 52,
            fragment: false,
        },
    ));

    // Routing header (type 0 with one address: 24 bytes), then AH (len 4 → 24 bytes), then TCP RST.
    let mut rest = vec![AH, 2, 0, 1, 0, 0, 0, 0];
    rest.extend([0x11; 16]);
    rest.extend([TCP, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 1]);
    rest.extend([0x22; 12]);
    rest.extend(tcp(22, 40000, TcpFlags::RST, &[], &[]));
    out.push((
        "ipv6 routing ah tcp rst",
        ipv6(IPV6_ROUTING, &rest),
        ParsedPacket {
            tuple: tuple(TCP, v6(V6_SRC), 22, v6(V6_DST), 40000),
            ip_header_len: 40 + 24 + 24,
            transport: Transport::Tcp {
                flags: TcpFlags::from_bits(TcpFlags::RST),
                header_len: 20,
                payload_len: 0,
            },
            total_len: 108,
            captured_len: 108,
            fragment: false,
        },
    ));

    out.push((
        "ipv6 esp",
        ipv6(ESP, &[0, 0, 1, 0, 0, 0, 0, 1, 0xee, 0xee, 0xee, 0xee]),
        ParsedPacket {
            tuple: tuple(ESP, v6(V6_SRC), 0, v6(V6_DST), 0),
            ip_header_len: 40,
            transport: Transport::Other,
            total_len: 52,
            captured_len: 52,
            fragment: false,
        },
    ));

    out.push((
        "ipv6 dest options no next header",
        ipv6(IPV6_DEST_OPTIONS, &options_header(IPV6_NO_NEXT_HEADER, 0)),
        ParsedPacket {
            tuple: tuple(IPV6_NO_NEXT_HEADER, v6(V6_SRC), 0, v6(V6_DST), 0),
            ip_header_len: 48,
            transport: Transport::Other,
            total_len: 48,
            captured_len: 48,
            fragment: false,
        },
    ));

    // ICMP inside IPv6 is not ICMPv6: no transport summary.
    out.push((
        "ipv6 icmpv4 is other",
        ipv6(ICMP, &icmp_echo(8)),
        ParsedPacket {
            tuple: tuple(ICMP, v6(V6_SRC), 0, v6(V6_DST), 0),
            ip_header_len: 40,
            transport: Transport::Other,
            total_len: 52,
            captured_len: 52,
            fragment: false,
        },
    ));
    out
}

/// The bytes of transport header a summary relies on (what must be captured).
fn transport_header_len(p: &ParsedPacket) -> usize {
    match p.transport {
        Transport::Tcp { header_len, .. } => header_len,
        Transport::Udp { .. } | Transport::Icmp { .. } | Transport::Icmpv6 { .. } => 8,
        Transport::Fragment | Transport::Other => 0,
    }
}

/// The invariants every `Ok` summary of `bytes` satisfies.
fn check_consistent(bytes: &[u8], p: &ParsedPacket) {
    assert_eq!(p.captured_len, bytes.len());
    let limit = p.captured_len.min(p.total_len);
    let headers = p.ip_header_len + transport_header_len(p);
    assert!(p.ip_header_len >= 20 && headers <= limit, "{p:?}");
    match p.transport {
        Transport::Tcp {
            header_len,
            payload_len,
            ..
        } => {
            assert!((20..=60).contains(&header_len));
            assert_eq!(p.ip_header_len + header_len + payload_len, p.total_len);
        }
        Transport::Udp { payload_len } => {
            assert_eq!(p.ip_header_len + 8 + payload_len, p.total_len)
        }
        _ => assert_eq!((p.tuple.src_port, p.tuple.dst_port), (0, 0)),
    }
    if p.transport == Transport::Fragment {
        assert!(p.fragment);
    }
    assert_eq!(p.tuple.src_ip.is_v6(), bytes[0] >> 4 == 6);
    assert_eq!(p.ip_payload_len(), p.total_len - p.ip_header_len);
}

#[test]
fn fixtures_parse() {
    for (name, bytes, expected) in fixtures() {
        let got = parse_ip_packet(&bytes);
        assert_eq!(got, Ok(expected), "{name}");
        check_consistent(&bytes, &expected);
        assert!(expected.is_complete(), "{name}");
    }
}

#[test]
fn every_truncation_is_err_or_consistent() {
    for (name, bytes, full) in fixtures() {
        let needed = full.ip_header_len + transport_header_len(&full);
        for cut in 0..bytes.len() {
            let part = &bytes[..cut];
            match parse_ip_packet(part) {
                Ok(p) => {
                    check_consistent(part, &p);
                    assert!(cut >= needed, "{name} cut {cut}");
                    assert_eq!(
                        ParsedPacket {
                            captured_len: full.captured_len,
                            ..p
                        },
                        full
                    );
                    assert_eq!(p.transport_payload_len(), full.transport_payload_len());
                    assert!(!p.is_complete());
                }
                Err(e) => {
                    assert!(cut < needed, "{name} cut {cut}: {e}");
                    if cut > 0 {
                        assert!(
                            matches!(
                                e,
                                ParseError::TooShort
                                    | ParseError::ExtensionHeaderTruncated
                                    | ParseError::TransportTruncated
                            ),
                            "{name} cut {cut}: {e:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn truncated_capture_reports_declared_lengths() {
    // A 1400-byte TCP payload of which only 40 bytes were captured.
    let seg = tcp(443, 50000, TcpFlags::ACK, &[], &[0x55; 1400]);
    let packet = ipv4(&[], TCP, 0, &seg);
    let p = parse_ip_packet(&packet[..80]).unwrap();
    assert_eq!((p.total_len, p.captured_len), (1440, 80));
    assert_eq!(p.transport_payload_len(), Some(1400));
    assert!(!p.is_complete());
}

#[test]
fn padding_after_the_packet_is_ignored() {
    let mut packet = ipv4(&[], UDP, 0, &udp(1, 2, b"x"));
    packet.extend([0; 17]);
    let p = parse_ip_packet(&packet).unwrap();
    assert_eq!((p.total_len, p.captured_len), (29, 46));
    assert_eq!(p.transport, Transport::Udp { payload_len: 1 });
}

#[test]
fn malformed_packets() {
    assert_eq!(parse_ip_packet(&[]), Err(ParseError::TooShort));
    assert_eq!(parse_ip_packet(&[0x55; 40]), Err(ParseError::BadVersion(5)));
    assert_eq!(
        parse_ipv4_packet(&ipv6(UDP, &udp(1, 2, &[]))),
        Err(ParseError::BadVersion(6))
    );
    assert_eq!(
        parse_ipv6_packet(&ipv4(&[], 47, 0, &[0; 20])),
        Err(ParseError::BadVersion(4))
    );

    let good = ipv4(&ROUTER_ALERT, TCP, 0, &tcp(1, 2, 0, &[], &[]));
    let mut p = good.clone();
    p[0] = 0x44;
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadHeaderLength));
    p[0] = 0x4f; // 60-byte header in a 44-byte buffer
    assert_eq!(parse_ip_packet(&p), Err(ParseError::TooShort));
    p = good.clone();
    p[3] = 23; // total length inside the header
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadTotalLength));
    p[3] = 30; // TCP header beyond the total length
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadTcpHeaderLength));
    p = good.clone();
    p[24 + 12] = 0x40; // data offset 4
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadTcpHeaderLength));
    p[24 + 12] = 0x60; // options beyond the total length
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadTcpHeaderLength));

    let dgram = ipv4(&[], UDP, 0, &udp(1, 2, b"abc"));
    let mut p = dgram.clone();
    p[25] = 12; // UDP length beyond the IP payload
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadUdpLength));
    p[25] = 7;
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadUdpLength));
    p = dgram.clone();
    p[3] = 27; // 7 bytes of IP payload
    assert_eq!(parse_ip_packet(&p), Err(ParseError::TransportTooShort));
    let mut p = ipv4(&[], ICMP, 0, &[8, 0, 0, 0]);
    assert_eq!(parse_ip_packet(&p), Err(ParseError::TransportTooShort));
    p[9] = 58; // ICMPv6 number in IPv4: other
    assert_eq!(parse_ip_packet(&p).unwrap().transport, Transport::Other);

    // IPv6: extension header beyond the payload length.
    let p = ipv6(HOP_BY_HOP, &options_header(UDP, 1)[..8]);
    assert_eq!(parse_ip_packet(&p), Err(ParseError::BadTotalLength));
    // Hop-by-Hop after another extension header.
    let mut rest = options_header(HOP_BY_HOP, 0);
    rest.extend(options_header(IPV6_NO_NEXT_HEADER, 0));
    assert_eq!(
        parse_ip_packet(&ipv6(IPV6_DEST_OPTIONS, &rest)),
        Err(ParseError::BadExtensionHeader)
    );
    // Two Fragment headers.
    let mut rest = fragment_header(IPV6_FRAGMENT, 0, true).to_vec();
    rest.extend(fragment_header(UDP, 0, true));
    rest.extend(udp(1, 2, &[]));
    assert_eq!(
        parse_ip_packet(&ipv6(IPV6_FRAGMENT, &rest)),
        Err(ParseError::BadExtensionHeader)
    );
}

#[test]
fn extension_header_walk_is_bounded() {
    let mut rest = Vec::new();
    for _ in 0..ipv6::MAX_EXTENSION_HEADERS {
        rest.extend(options_header(IPV6_DEST_OPTIONS, 0));
    }
    rest.extend(options_header(IPV6_NO_NEXT_HEADER, 0));
    let p = ipv6(IPV6_DEST_OPTIONS, &rest);
    assert_eq!(
        parse_ip_packet(&p),
        Err(ParseError::TooManyExtensionHeaders)
    );
    // Exactly the maximum is fine.
    let p = ipv6(IPV6_DEST_OPTIONS, &rest[8..]);
    let parsed = parse_ip_packet(&p).unwrap();
    assert_eq!(parsed.ip_header_len, 40 + 8 * ipv6::MAX_EXTENSION_HEADERS);
    assert_eq!(parsed.tuple.protocol, IPV6_NO_NEXT_HEADER);
}

#[test]
fn ipv6_header_fields() {
    let mut p = ipv6(UDP, &udp(1, 2, &[]));
    p[0] = 0x6a;
    p[1] = 0xbc;
    p[2] = 0xde;
    p[3] = 0xf0;
    let h = Ipv6Header::new_checked(&p).unwrap();
    assert_eq!(h.traffic_class(), 0xab);
    assert_eq!(h.flow_label(), 0xcdef0);
    assert_eq!((h.payload_len(), h.total_len(), h.hop_limit()), (8, 48, 64));
    assert_eq!((h.src_addr(), h.dst_addr()), (V6_SRC, V6_DST));
    let f = Ipv6Fragment::new_checked(&fragment_header(TCP, 1448, true)).unwrap();
    assert_eq!(
        (f.next_header(), f.offset(), f.more_fragments()),
        (TCP, 1448, true)
    );
    assert_eq!(f.identification(), 0xdead_beef);
}

const INTERESTING: [u8; 12] = [0, 1, 6, 17, 43, 44, 50, 51, 58, 59, 60, 47];

fn random_packet(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    match rng.below(4) {
        // Random bytes behind a plausible first byte.
        0 => {
            let len = rng.below(100);
            let mut v: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            if let Some(first) = v.first_mut() {
                *first = match rng.below(10) {
                    0..=3 => 0x45,
                    4..=7 => 0x60,
                    8 => 0x40 | rng.byte() & 0x0f,
                    _ => *first,
                };
            }
            v
        }
        // An IPv4 header with a matching (or nearly) total length and a chosen protocol.
        1 => {
            let len = 20 + rng.below(80);
            let mut v: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            v[0] = 0x40 | (5 + rng.below(3) as u8);
            let total = (len as isize + rng.below(9) as isize - 4).max(0) as usize;
            v[2..4].copy_from_slice(&be16(total));
            v[6] &= if rng.below(4) == 0 { 0xff } else { 0x40 };
            v[9] = INTERESTING[rng.below(INTERESTING.len())];
            v
        }
        // An IPv6 header with a matching payload length and short extension headers.
        2 => {
            let len = 40 + rng.below(120);
            let mut v: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            v[0] = 0x60;
            let payload = (len as isize + rng.below(9) as isize - 44).max(0) as usize;
            v[4..6].copy_from_slice(&be16(payload));
            v[6] = INTERESTING[rng.below(INTERESTING.len())];
            let mut at = 40;
            while at + 1 < len {
                v[at] = INTERESTING[rng.below(INTERESTING.len())];
                v[at + 1] = rng.byte() & 1;
                at += 8;
            }
            v
        }
        // A fixture with a few bytes changed, cut or extended.
        _ => {
            let mut v = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(v.len());
                v[i] = rng.byte();
            }
            match rng.below(4) {
                0 => v.truncate(rng.below(v.len() + 1)),
                1 => v.extend((0..rng.below(16)).map(|_| rng.byte())),
                _ => {}
            }
            v
        }
    }
}

#[test]
fn random_buffers_never_panic() {
    let seeds: Vec<Vec<u8>> = fixtures().into_iter().map(|(_, bytes, _)| bytes).collect();
    let mut rng = Rng::from_env();
    // Ok summaries by kind: TCP, UDP, ICMP/ICMPv6, fragment, other.
    let mut ok = [0usize; 5];
    for _ in 0..200_000 {
        let bytes = random_packet(&mut rng, &seeds);
        if let Ok(p) = parse_ip_packet(&bytes) {
            check_consistent(&bytes, &p);
            let kind = match p.transport {
                Transport::Tcp { .. } => 0,
                Transport::Udp { .. } => 1,
                Transport::Icmp { .. } | Transport::Icmpv6 { .. } => 2,
                Transport::Fragment => 3,
                Transport::Other => 4,
            };
            ok[kind] += 1;
        }
    }
    std::println!(
        "Ok summaries of 200000 random buffers (tcp, udp, icmp, fragment, other): {ok:?}"
    );
    assert!(
        ok.iter().all(|&n| n > 100),
        "the generator should reach every parser: {ok:?}"
    );
}
