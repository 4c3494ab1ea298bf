//! Which hosts are this host's DNS resolvers: only queries sent to one of them are waited for
//! (`dns_queries`), so an answer from any other host names nothing, even when a local program
//! did ask that host (a query to a host the attacker controls would otherwise make its forged
//! answers believed).
//!
//! The resolvers are the `nameserver` lines of `/etc/resolv.conf`; when one of them is
//! systemd-resolved's stub ([`RESOLVED_STUB`]), also the upstream servers resolved lists in
//! `/run/systemd/resolve/resolv.conf` (resolved itself sends the queries to them); and the
//! addresses the administrator names on the command line. A `resolv.conf` without any
//! `nameserver` line (or none at all) means the resolver on this machine, as glibc reads it:
//! [`LOOPBACK_DEFAULTS`].
//!
//! Parsing follows glibc's reading: a line is `nameserver`, blanks, an address, anything after
//! it ignored; `#` or `;` at the start of a line begins a comment; lines that do not parse are
//! skipped. Nothing here panics on any input, and text is never trusted to be small: at most
//! [`MAX_RESOLVERS`] addresses are kept.
//!
//! The same file gives the network facts' DNS suffix ([`search_suffix`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::flow::IpAddress;

/// systemd-resolved's stub listener.
pub const RESOLVED_STUB: IpAddress = IpAddress::V4([127, 0, 0, 53]);

/// What glibc asks when `resolv.conf` names no server: the resolver on this machine.
pub const LOOPBACK_DEFAULTS: [IpAddress; 2] = [
    IpAddress::V4([127, 0, 0, 1]),
    IpAddress::V6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
];

/// The most addresses kept from one file (glibc uses 3; a longer list is someone's mistake,
/// and a huge one must not grow the set without bound).
pub const MAX_RESOLVERS: usize = 64;

/// Parses an address as written on the command line or in `resolv.conf`: IPv4 dotted quad, or
/// IPv6 with an optional `%zone` (dropped: queries are matched on the address alone).
pub fn parse_address(text: &str) -> Option<IpAddress> {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Some(IpAddress::V4(v4.octets()));
    }
    let without_zone = text.split_once('%').map_or(text, |(address, _)| address);
    let v6 = without_zone.parse::<Ipv6Addr>().ok()?;
    Some(IpAddress::V6(v6.octets()))
}

/// The addresses of the `nameserver` lines of a `resolv.conf`, in order, without repeats.
pub fn nameservers(text: &str) -> Vec<IpAddress> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        if let Some(address) = words.next().and_then(parse_address) {
            if !found.contains(&address) && found.len() < MAX_RESOLVERS {
                found.push(address);
            }
        }
    }
    found
}

/// The resolvers queries may go to: `resolv_conf` is the text of `/etc/resolv.conf` (`None`
/// when it cannot be read), `resolved_upstreams` that of systemd-resolved's upstream list
/// (read only when the first names the stub), `extra` the addresses given on the command line.
pub fn configured_resolvers(
    resolv_conf: Option<&str>,
    resolved_upstreams: Option<&str>,
    extra: &[IpAddress],
) -> Vec<IpAddress> {
    let mut all = resolv_conf.map(nameservers).unwrap_or_default();
    if all.is_empty() {
        all.extend(LOOPBACK_DEFAULTS);
    }
    if all.contains(&RESOLVED_STUB) {
        all.extend(resolved_upstreams.map(nameservers).unwrap_or_default());
    }
    all.extend_from_slice(extra);
    all.sort_unstable();
    all.dedup();
    all
}

/// The longest DNS name, in bytes without the trailing dot.
const MAX_NAME_LEN: usize = 253;

/// The DNS suffix of the network facts: the first entry of the search list, lowercase, without
/// the trailing dot; empty when there is none. As glibc reads it, `search` and `domain` lines
/// replace each other: the last one counts. An entry longer than a DNS name, or the root (`.`),
/// gives no suffix.
pub fn search_suffix(resolv_conf: &str) -> String {
    let mut first = None;
    for line in resolv_conf.lines() {
        let mut words = line.split_whitespace();
        // A comment starts the line, so its first word starts with the comment character.
        if let Some("search" | "domain") = words.next() {
            first = Some(words.next().unwrap_or(""));
        }
    }
    let entry = first.unwrap_or("");
    let entry = entry.strip_suffix('.').unwrap_or(entry);
    if entry.len() > MAX_NAME_LEN {
        return String::new();
    }
    entry.to_ascii_lowercase()
}

/// Whether [`configured_resolvers`] needs systemd-resolved's upstream list for this text.
pub fn names_resolved_stub(resolv_conf: &str) -> bool {
    nameservers(resolv_conf).contains(&RESOLVED_STUB)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    const GOOGLE: IpAddress = IpAddress::V4([8, 8, 8, 8]);
    const LAN: IpAddress = IpAddress::V4([192, 168, 1, 1]);

    fn v6(text: &str) -> IpAddress {
        parse_address(text).unwrap()
    }

    #[test]
    fn nameserver_lines_give_their_addresses_and_everything_else_is_ignored() {
        let text = "# written by NetworkManager\n\
                    search lan example.org\n\
                    nameserver 192.168.1.1\n\
                    ; nameserver 10.0.0.1\n\
                    #nameserver 10.0.0.2\n\
                    \tnameserver   8.8.8.8   # trailing words are ignored\n\
                    nameserver fe80::1%eth0\n\
                    nameserver 2001:db8::53\n\
                    nameserver\n\
                    nameserver not-an-address\n\
                    nameservers 10.0.0.3\n\
                    options edns0 trust-ad\n\
                    nameserver 192.168.1.1\n";
        assert_eq!(
            nameservers(text),
            vec![LAN, GOOGLE, v6("fe80::1"), v6("2001:db8::53")]
        );
    }

    #[test]
    fn addresses_parse_as_written_and_junk_does_not() {
        assert_eq!(
            parse_address("10.0.0.53"),
            Some(IpAddress::V4([10, 0, 0, 53]))
        );
        assert_eq!(
            parse_address("::1"),
            Some(IpAddress::V6([
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
            ]))
        );
        assert_eq!(parse_address("fe80::1%wlan0"), parse_address("fe80::1"));
        for junk in [
            "",
            "%",
            "10.0.0",
            "10.0.0.256",
            "1.2.3.4%eth0",
            "::g",
            "[::1]",
            "1.2.3.4:53",
        ] {
            assert_eq!(parse_address(junk), None, "{junk}");
        }
    }

    #[test]
    fn no_nameserver_line_means_the_resolver_on_this_machine() {
        assert_eq!(
            configured_resolvers(Some("search lan\n"), None, &[]),
            LOOPBACK_DEFAULTS.to_vec()
        );
        assert_eq!(
            configured_resolvers(None, None, &[]),
            LOOPBACK_DEFAULTS.to_vec()
        );
    }

    #[test]
    fn the_resolved_stub_adds_its_upstreams_and_only_then() {
        let stub = "nameserver 127.0.0.53\noptions edns0\n";
        let upstreams = "nameserver 192.168.1.1\nnameserver 8.8.8.8\n";
        assert!(names_resolved_stub(stub));
        assert!(!names_resolved_stub(upstreams));
        assert_eq!(
            configured_resolvers(Some(stub), Some(upstreams), &[]),
            vec![GOOGLE, RESOLVED_STUB, LAN]
        );
        assert_eq!(
            configured_resolvers(Some(stub), None, &[]),
            vec![RESOLVED_STUB],
            "resolved's list unreadable: only the stub"
        );
        assert_eq!(
            configured_resolvers(Some("nameserver 192.168.1.1\n"), Some(upstreams), &[]),
            vec![LAN],
            "without the stub, resolved's list is not ours"
        );
    }

    #[test]
    fn command_line_resolvers_are_added_once() {
        assert_eq!(
            configured_resolvers(Some("nameserver 8.8.8.8\n"), None, &[LAN, GOOGLE, LAN]),
            vec![GOOGLE, LAN]
        );
    }

    #[test]
    fn the_suffix_is_the_first_entry_of_the_last_search_or_domain_line() {
        assert_eq!(search_suffix("nameserver 10.0.0.1\n"), "");
        assert_eq!(search_suffix(""), "");
        assert_eq!(
            search_suffix("search Corp.Example. lan\nnameserver 10.0.0.1\n"),
            "corp.example"
        );
        assert_eq!(search_suffix("domain home.example\n"), "home.example");
        // glibc: the last of the two keywords wins.
        assert_eq!(
            search_suffix("domain home.example\nsearch a.example b.example\n"),
            "a.example"
        );
        assert_eq!(
            search_suffix("search a.example\n\tdomain   Work.Example\n"),
            "work.example"
        );
        assert_eq!(search_suffix("search a.example\nsearch\n"), "", "emptied");
        for ignored in [
            "# search comment.example\n",
            "; search comment.example\n",
            "searchx a.example\n",
            "search .\n",
        ] {
            assert_eq!(search_suffix(ignored), "", "{ignored:?}");
        }
        let long = alloc::format!("search {}\n", "a".repeat(254));
        assert_eq!(search_suffix(&long), "");
        let longest = "b".repeat(253);
        assert_eq!(
            search_suffix(&alloc::format!("search {longest}.\n")),
            longest
        );
    }

    #[test]
    fn any_text_parses_without_panicking_and_the_list_is_bounded() {
        let mut huge = String::new();
        for i in 0..1000u32 {
            huge.push_str(&alloc::format!("nameserver 10.{}.{}.1\n", i / 256, i % 256));
        }
        assert_eq!(nameservers(&huge).len(), MAX_RESOLVERS);
        let mut state = 0x2545_f491u32;
        let alphabet = b"nameserv 0123456789.:%#;\n\tabcdefhoDMAIN";
        for _ in 0..5_000 {
            let text: String = (0..(state % 80))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    char::from(alphabet[state as usize % alphabet.len()])
                })
                .collect();
            let _ = configured_resolvers(Some(&text), Some(&text), &[]);
            assert!(search_suffix(&text).len() <= MAX_NAME_LEN);
        }
    }
}
