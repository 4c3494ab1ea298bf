//! The `lan` and `localhost` address classes, as the app's engine defines them
//! (`app/engine/address-match.ts`; its README says why 100.64.0.0/10 is not lan).

use crate::flow::IpAddress;

/// (network, prefix) pairs.
const LOCALHOST_V4: &[([u8; 4], u8)] = &[([127, 0, 0, 0], 8)];
const LOCALHOST_V6: &[([u8; 16], u8)] = &[([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128)];
const LAN_V4: &[([u8; 4], u8)] = &[
    ([10, 0, 0, 0], 8),
    ([172, 16, 0, 0], 12),
    ([192, 168, 0, 0], 16),
    ([169, 254, 0, 0], 16),
    ([224, 0, 0, 0], 4),
    ([255, 255, 255, 255], 32),
];
const LAN_V6: &[([u8; 16], u8)] = &[
    ([0xfc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 7),
    ([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 10),
    ([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8),
];

/// True when the first `prefix` bits of `address` and `network` agree.
pub fn in_network(address: &[u8], network: &[u8], prefix: u8) -> bool {
    if address.len() != network.len() {
        return false;
    }
    let whole = usize::from(prefix / 8);
    if address.get(..whole) != network.get(..whole) {
        return false;
    }
    let rest = prefix % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (address.get(whole), network.get(whole)) {
        (Some(a), Some(n)) => a & mask == n & mask,
        _ => false,
    }
}

fn in_any<const N: usize>(address: &[u8; N], list: &[([u8; N], u8)]) -> bool {
    list.iter()
        .any(|(network, prefix)| in_network(address, network, *prefix))
}

/// Loopback: 127.0.0.0/8 and ::1.
pub fn is_localhost(address: &IpAddress) -> bool {
    match address {
        IpAddress::V4(a) => in_any(a, LOCALHOST_V4),
        IpAddress::V6(a) => in_any(a, LOCALHOST_V6),
    }
}

/// The local network: private ranges, link-local, unique-local, multicast, limited broadcast.
pub fn is_lan(address: &IpAddress) -> bool {
    match address {
        IpAddress::V4(a) => in_any(a, LAN_V4),
        IpAddress::V6(a) => in_any(a, LAN_V6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_edges() {
        assert!(is_lan(&IpAddress::V4([10, 255, 255, 255])));
        assert!(!is_lan(&IpAddress::V4([11, 0, 0, 0])));
        assert!(is_lan(&IpAddress::V4([172, 31, 255, 255])));
        assert!(!is_lan(&IpAddress::V4([172, 32, 0, 0])));
        assert!(!is_lan(&IpAddress::V4([100, 64, 0, 1])));
        assert!(is_lan(&IpAddress::V4([239, 255, 255, 255])));
        assert!(!is_lan(&IpAddress::V4([240, 0, 0, 0])));
        assert!(is_lan(&IpAddress::V4([255, 255, 255, 255])));
        assert!(!is_lan(&IpAddress::V4([255, 255, 255, 254])));
        assert!(is_localhost(&IpAddress::V4([127, 1, 2, 3])));
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert!(is_localhost(&IpAddress::V6(v6)));
        v6[15] = 2;
        assert!(!is_localhost(&IpAddress::V6(v6)));
        assert!(is_lan(&IpAddress::V6([0xfd; 16])));
        assert!(!is_lan(&IpAddress::V6([
            0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
        ])));
    }
}
