//! Tests of the compiled blocklists: which names and addresses they hold.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use zenithfence_protocol::policy::BlockedNames;

fn v4(network: [u8; 4], prefix: u8) -> BlockedNetwork {
    BlockedNetwork::V4 { network, prefix }
}

fn v6(network: [u8; 16], prefix: u8) -> BlockedNetwork {
    BlockedNetwork::V6 { network, prefix }
}

fn compiled(names: &[&str], networks: &[BlockedNetwork]) -> CompiledBlocklist {
    CompiledBlocklist::new(&PolicyBlocklist {
        names: names.iter().copied().collect(),
        networks: networks.to_vec(),
    })
}

fn mapped(v4: [u8; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[10..12].copy_from_slice(&[0xff, 0xff]);
    out[12..].copy_from_slice(&v4);
    out
}

#[test]
fn a_name_lists_itself_and_every_name_below_it() {
    let lists = compiled(&["example.com", "ads.tracker.net"], &[]);
    for listed in [
        "example.com",
        "ads.example.com",
        "a.b.c.example.com",
        "ads.tracker.net",
        "x.ads.tracker.net",
    ] {
        assert!(lists.lists_name(listed), "{listed}");
    }
    for not_listed in [
        "notexample.com",
        "example.com.evil",
        "com",
        "tracker.net",
        "ads-tracker.net",
        "xads.tracker.net",
        "example.co",
        "",
    ] {
        assert!(!lists.lists_name(not_listed), "{not_listed}");
    }
}

#[test]
fn names_are_compared_as_bytes_after_sorting_and_deduplication() {
    // Given out of order, twice, and with names that sort between the others.
    let lists = compiled(
        &[
            "zz.example",
            "b.example",
            "ü.example",
            "b.example",
            "a",
            "b.example",
        ],
        &[],
    );
    assert_eq!(lists.ends.len(), 4, "duplicates kept once");
    assert_eq!(lists.listed(), (6, 0), "the document's count for the log");
    for name in ["zz.example", "b.example", "x.ü.example", "a", "q.a"] {
        assert!(lists.lists_name(name), "{name}");
    }
    for name in ["z.example", "c.example", "u.example", "aa", "example"] {
        assert!(!lists.lists_name(name), "{name}");
    }
}

#[test]
fn every_listed_name_of_many_is_found_and_near_misses_are_not() {
    let names: Vec<String> = (0..5000)
        .map(|i| format!("host{i}.zone{}.example", i % 97))
        .collect();
    let list = PolicyBlocklist {
        names: names.iter().map(String::as_str).collect::<BlockedNames>(),
        networks: vec![],
    };
    let lists = CompiledBlocklist::new(&list);
    for name in &names {
        assert!(lists.lists_name(name), "{name}");
        assert!(lists.lists_name(&format!("www.{name}")), "below {name}");
        assert!(!lists.lists_name(&format!("{name}x")), "{name}x");
        assert!(
            !lists.lists_name(&name[1..]),
            "{name} without its first byte"
        );
    }
}

#[test]
fn names_sharing_their_first_bytes_across_many_samples_are_found() {
    // 3000 names with one 8-byte head span some 190 samples; a few short names sort among them.
    let mut names: Vec<String> = (0..3000).map(|i| format!("trackers-{i}.example")).collect();
    names.extend(["track", "trackers", "a", "zzzzzzzzzz"].map(String::from));
    let lists = CompiledBlocklist::new(&PolicyBlocklist {
        names: names.iter().map(String::as_str).collect::<BlockedNames>(),
        networks: vec![],
    });
    assert!(lists.samples.len() > 180);
    for name in &names {
        assert!(lists.lists_name(name), "{name}");
    }
    for name in [
        "trackers-3000.example",
        "trackers-",
        "trackerz",
        "tracke",
        "b",
        "zzzzzzzzz",
    ] {
        assert!(!lists.lists_name(name), "{name}");
    }
}

#[test]
fn ipv4_networks_hold_their_addresses() {
    let lists = compiled(
        &[],
        &[
            v4([192, 0, 2, 0], 24),
            v4([198, 51, 100, 7], 32),
            v4([10, 0, 0, 0], 8),
        ],
    );
    for (address, listed) in [
        ([192, 0, 2, 0], true),
        ([192, 0, 2, 255], true),
        ([192, 0, 3, 0], false),
        ([192, 0, 1, 255], false),
        ([198, 51, 100, 7], true),
        ([198, 51, 100, 8], false),
        ([10, 255, 255, 255], true),
        ([11, 0, 0, 0], false),
    ] {
        assert_eq!(
            lists.lists_address(IpAddress::V4(address)),
            listed,
            "{address:?}"
        );
        // An IPv4-mapped address is the IPv4 address it carries.
        assert_eq!(
            lists.lists_address(IpAddress::V6(mapped(address))),
            listed,
            "::ffff:{address:?}"
        );
    }
}

#[test]
fn ipv6_networks_hold_their_addresses_and_mapped_networks_are_ipv4() {
    let doc = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let lists = compiled(&[], &[v6(doc, 32), v6(mapped([203, 0, 113, 0]), 120)]);
    let mut inside = doc;
    inside[15] = 1;
    inside[4] = 0xff;
    assert!(lists.lists_address(IpAddress::V6(inside)));
    let mut outside = doc;
    outside[3] = 0xb9;
    assert!(!lists.lists_address(IpAddress::V6(outside)));
    // The mapped network is 203.0.113.0/24, whichever way the address comes.
    assert!(lists.lists_address(IpAddress::V4([203, 0, 113, 77])));
    assert!(lists.lists_address(IpAddress::V6(mapped([203, 0, 113, 77]))));
    assert!(!lists.lists_address(IpAddress::V4([203, 0, 114, 0])));
    // An IPv6 network does not hold IPv4 addresses, nor the reverse.
    assert!(!lists.lists_address(IpAddress::V4([0x20, 1, 0xd, 0xb8])));
    let only_v4 = compiled(&[], &[v4([0; 4], 0)]);
    assert!(only_v4.lists_address(IpAddress::V4([255, 255, 255, 255])));
    assert!(!only_v4.lists_address(IpAddress::V6(doc)));
}

#[test]
fn overlapping_and_touching_networks_merge() {
    let lists = compiled(
        &[],
        &[
            v4([10, 0, 0, 0], 24),
            v4([10, 0, 0, 128], 25),
            v4([10, 0, 1, 0], 24),
            v4([10, 0, 3, 0], 24),
            v4([255, 255, 255, 255], 32),
            v4([255, 255, 255, 0], 24),
            v6([0; 16], 0),
            v6([0xff; 16], 128),
        ],
    );
    assert_eq!(
        lists.v4,
        vec![
            (0x0a00_0000, 0x0a00_01ff),
            (0x0a00_0300, 0x0a00_03ff),
            (0xffff_ff00, 0xffff_ffff)
        ]
    );
    assert_eq!(lists.v6, vec![(0, u128::MAX)]);
    assert!(!lists.lists_address(IpAddress::V4([10, 0, 2, 0])));
    assert!(lists.lists_address(IpAddress::V4([10, 0, 1, 255])));
    assert!(lists.lists_address(IpAddress::V4([255, 255, 255, 255])));
}

#[test]
fn a_connection_is_listed_by_its_address_or_one_of_its_names() {
    let lists = compiled(&["ads.example"], &[v4([192, 0, 2, 0], 24)]);
    let other = IpAddress::V4([1, 2, 3, 4]);
    assert!(lists.lists(IpAddress::V4([192, 0, 2, 9]), RuleNames::Unseen));
    assert!(lists.lists(other, RuleNames::Seen(&["cdn.example", "x.ads.example"])));
    assert!(!lists.lists(other, RuleNames::Seen(&["cdn.example"])));
    // A driver that sees no DNS matches networks only.
    assert!(!lists.lists(other, RuleNames::Unseen));
}

#[test]
fn empty_lists_hold_nothing() {
    let lists = CompiledBlocklist::new(&PolicyBlocklist::default());
    assert!(lists.is_empty());
    assert_eq!(lists.heap_bytes(), 0);
    assert!(!lists.lists(IpAddress::V4([0; 4]), RuleNames::Seen(&["a", "com"])));
    assert!(!lists.lists_address(IpAddress::V6([0; 16])));
}
