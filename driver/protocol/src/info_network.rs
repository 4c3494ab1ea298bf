//! The network extension's info (type 137, README "Network facts"): the network the machine is
//! on, as the facts of its default route, so the app can put that network's profile in force.
//! Its command, NetworkSeen (131), is in `command.rs`.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bytes::Fields;

/// The bits of NetworkFacts `flags`.
pub mod network_flags {
    /// There is a default route (without it every other field is zero or empty).
    pub const DEFAULT_ROUTE: u8 = 0x1;
    /// `gateway_mac` is known.
    pub const GATEWAY_MAC: u8 = 0x2;
    /// A VPN interface is up.
    pub const VPN: u8 = 0x4;
    /// The gateway's MAC is being resolved: the network is not identified yet (`gateway_mac`
    /// is zero; facts with it or without it follow within a second).
    pub const RESOLVING_MAC: u8 = 0x8;
}

/// Extension (137): the facts of the network the machine is on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkFacts {
    /// Counts the facts the driver reported, from 1; one more at every change.
    pub epoch: u32,
    /// See [`network_flags`].
    pub flags: u8,
    /// 4 or 6: how `gateway_ip` holds its address; 0 without a default route.
    pub ip_version: u8,
    /// The default route's gateway; an IPv4 address fills the first 4 bytes. All zero for a
    /// route without a gateway.
    pub gateway_ip: [u8; 16],
    /// The gateway's link-layer address; zero while unknown.
    pub gateway_mac: [u8; 6],
    /// The default route's outgoing interface; 0 without a default route.
    pub if_index: u32,
    /// That interface's name (1 to 15 bytes; empty without a default route).
    pub interface_name: String,
    /// The first DNS search suffix, lowercase, without the trailing dot; empty when none.
    pub dns_suffix: String,
    /// The Wi-Fi network's name as the OS reports it, raw bytes (at most 32); empty when unknown.
    pub ssid: Vec<u8>,
}

/// The fixed part of the body: everything before the interface name.
pub(crate) const NETWORK_FACTS_FIXED: usize = 35;

/// The first 255 bytes at most: the length field is a u8, so no more are written.
fn at_most_u8(bytes: &[u8]) -> &[u8] {
    bytes.get(..usize::from(u8::MAX)).unwrap_or(bytes)
}

/// A length [`at_most_u8`] kept within a u8.
fn len_u8(bytes: &[u8]) -> u8 {
    u8::try_from(bytes.len()).unwrap_or(u8::MAX)
}

pub(crate) fn encode_network_facts(facts: &NetworkFacts, out: &mut Vec<u8>) {
    let name = at_most_u8(facts.interface_name.as_bytes());
    let suffix = at_most_u8(facts.dns_suffix.as_bytes());
    let ssid = at_most_u8(&facts.ssid);
    out.extend_from_slice(&facts.epoch.to_le_bytes());
    out.push(facts.flags);
    out.push(facts.ip_version);
    out.extend_from_slice(&facts.gateway_ip);
    out.extend_from_slice(&facts.gateway_mac);
    out.extend_from_slice(&facts.if_index.to_le_bytes());
    out.push(len_u8(name));
    out.push(len_u8(suffix));
    out.push(len_u8(ssid));
    out.extend_from_slice(name);
    out.extend_from_slice(suffix);
    out.extend_from_slice(ssid);
}

/// Decodes a body whose length is exactly what its three lengths say.
pub(crate) fn decode_network_facts(body: &[u8]) -> Option<NetworkFacts> {
    if body.len() < NETWORK_FACTS_FIXED {
        return None;
    }
    let mut f = Fields::new(body);
    let epoch = f.u32();
    let flags = f.u8();
    let ip_version = f.u8();
    let gateway_ip = f.array();
    let gateway_mac = f.array();
    let if_index = f.u32();
    let name_len = usize::from(f.u8());
    let suffix_len = usize::from(f.u8());
    let ssid_len = usize::from(f.u8());
    // At most 35 + 3 × 255: no overflow is possible.
    if body.len() != NETWORK_FACTS_FIXED + name_len + suffix_len + ssid_len {
        return None;
    }
    Some(NetworkFacts {
        epoch,
        flags,
        ip_version,
        gateway_ip,
        gateway_mac,
        if_index,
        interface_name: crate::info::text(f.take(name_len)),
        dns_suffix: crate::info::text(f.take(suffix_len)),
        ssid: f.take(ssid_len).to_vec(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A body written by hand from the README's table: epoch 0x01020304, flags 7, IPv4
    /// gateway 192.168.1.1, MAC 02:11:22:33:44:55, interface 3 "eth0", suffix "lan", SSID "ab".
    fn hand_written() -> Vec<u8> {
        let mut body = vec![0x04, 0x03, 0x02, 0x01, 7, 4];
        body.extend_from_slice(&[192, 168, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&[0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
        body.extend_from_slice(&[3, 0, 0, 0]);
        body.extend_from_slice(&[4, 3, 2]);
        body.extend_from_slice(b"eth0lanab");
        body
    }

    fn sample() -> NetworkFacts {
        let mut gateway_ip = [0u8; 16];
        gateway_ip[..4].copy_from_slice(&[192, 168, 1, 1]);
        NetworkFacts {
            epoch: 0x0102_0304,
            flags: network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC | network_flags::VPN,
            ip_version: 4,
            gateway_ip,
            gateway_mac: [0x02, 0x11, 0x22, 0x33, 0x44, 0x55],
            if_index: 3,
            interface_name: "eth0".into(),
            dns_suffix: "lan".into(),
            ssid: b"ab".to_vec(),
        }
    }

    fn encoded(facts: &NetworkFacts) -> Vec<u8> {
        let mut body = Vec::new();
        encode_network_facts(facts, &mut body);
        body
    }

    #[test]
    fn the_fields_sit_at_the_offsets_the_readme_gives() {
        assert_eq!(encoded(&sample()), hand_written());
        assert_eq!(decode_network_facts(&hand_written()), Some(sample()));
        assert_eq!(hand_written().len(), 35 + 4 + 3 + 2);
    }

    #[test]
    fn the_flag_bits_are_the_readme_s() {
        // Bits 0 to 3 in the README's order; a reader on the other side compares raw bits.
        assert_eq!(
            [
                network_flags::DEFAULT_ROUTE,
                network_flags::GATEWAY_MAC,
                network_flags::VPN,
                network_flags::RESOLVING_MAC
            ],
            [0x01, 0x02, 0x04, 0x08]
        );
    }

    #[test]
    fn only_the_exact_length_decodes() {
        let body = hand_written();
        for len in 0..body.len() {
            assert_eq!(decode_network_facts(&body[..len]), None, "cut to {len}");
        }
        let mut longer = body.clone();
        longer.push(b'x');
        assert_eq!(decode_network_facts(&longer), None, "one byte too many");
        // Each length claiming one byte more or less than the body holds.
        for at in 32..35 {
            for delta in [1u8, 255] {
                let mut lying = body.clone();
                lying[at] = lying[at].wrapping_add(delta);
                assert_eq!(decode_network_facts(&lying), None, "length @{at} + {delta}");
            }
        }
    }

    #[test]
    fn offline_facts_are_the_fixed_part_alone() {
        let offline = NetworkFacts {
            epoch: 2,
            ..NetworkFacts::default()
        };
        let body = encoded(&offline);
        let mut expected = vec![0u8; 35];
        expected[0] = 2;
        assert_eq!(body, expected);
        assert_eq!(decode_network_facts(&body), Some(offline));
    }

    #[test]
    fn an_ssid_is_kept_as_raw_bytes_and_text_is_read_leniently() {
        let mut body = hand_written();
        let len = body.len();
        body[len - 2..].copy_from_slice(&[0xff, 0x00]);
        body[35] = 0xc3; // "eth0" now starts with a cut UTF-8 sequence
        let facts = decode_network_facts(&body).unwrap();
        assert_eq!(facts.ssid, vec![0xff, 0x00]);
        assert_eq!(facts.interface_name, "\u{fffd}th0");
    }

    #[test]
    fn fields_longer_than_their_length_byte_are_cut_so_the_header_holds() {
        let long = NetworkFacts {
            interface_name: "i".repeat(300),
            dns_suffix: "s".repeat(256),
            ssid: vec![7; 255],
            ..sample()
        };
        let body = encoded(&long);
        assert_eq!(&body[32..35], &[255, 255, 255]);
        assert_eq!(body.len(), 35 + 3 * 255);
        let decoded = decode_network_facts(&body).unwrap();
        assert_eq!(decoded.interface_name, "i".repeat(255));
        assert_eq!(decoded.dns_suffix, "s".repeat(255));
        assert_eq!(decoded.ssid, long.ssid);
    }
}
