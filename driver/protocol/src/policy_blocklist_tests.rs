//! Tests of the blocklist section: round trips, the bytes it is written as, and every way it can
//! be malformed.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::crc32::crc32;
use crate::policy::{
    PolicyDocument, PolicyRule, RuleAction, RuleDestination, FLAG_CASE_INSENSITIVE_PATHS,
    MAX_POLICY_LEN,
};
use alloc::vec;

fn lists() -> PolicyBlocklist {
    PolicyBlocklist {
        names: ["ads.example", "tracker.example.org", "ü.example", "a"]
            .into_iter()
            .collect(),
        networks: vec![
            BlockedNetwork::V4 {
                network: [192, 0, 2, 0],
                prefix: 24,
            },
            BlockedNetwork::V4 {
                network: [0; 4],
                prefix: 0,
            },
            BlockedNetwork::V4 {
                network: [203, 0, 113, 9],
                prefix: 32,
            },
            BlockedNetwork::V6 {
                network: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                prefix: 32,
            },
            BlockedNetwork::V6 {
                network: [0xff; 16],
                prefix: 128,
            },
        ],
    }
}

fn document(blocklist: PolicyBlocklist) -> PolicyDocument {
    // A protocol, not any: a protocol byte under any_protocol is ignored and would not
    // re-encode as it was damaged (the random test compares bytes).
    let rule = PolicyRule {
        protocol: Some(6),
        ..PolicyRule::new(
            1,
            RuleAction::Allow,
            Some("/usr/bin/curl"),
            RuleDestination::Host("ads.example".into()),
        )
    };
    PolicyDocument {
        flags: FLAG_CASE_INSENSITIVE_PATHS,
        generation: 7,
        no_app_action: 2,
        rules: vec![rule],
        blocklist,
    }
}

/// Re-signs `bytes` after a test changed them, so the field check (not the checksum) answers.
fn resign(bytes: &mut [u8]) {
    let end = bytes.len() - 4;
    let sum = crc32(&bytes[..end]);
    bytes[end..].copy_from_slice(&sum.to_le_bytes());
}

/// A document of one rule with flag bit 1 set and `section` after the rule, as given.
fn with_section(section: &[u8]) -> Vec<u8> {
    let mut bytes = document(PolicyBlocklist::default()).encode();
    bytes[10] |= 2;
    let end = bytes.len() - 4;
    bytes.splice(end..end, section.iter().copied());
    resign(&mut bytes);
    bytes
}

/// A section's counts.
fn counts(names: u32, networks: u32) -> Vec<u8> {
    let mut out = names.to_le_bytes().to_vec();
    out.extend_from_slice(&networks.to_le_bytes());
    out
}

fn malformed(bytes: &[u8]) -> &'static str {
    match PolicyDocument::decode(bytes) {
        Err(PolicyError::Malformed { what, .. }) => what,
        other => panic!("expected malformed, got {other:?}"),
    }
}

#[test]
fn a_blocklist_round_trips_and_sets_flag_bit_1() {
    let doc = document(lists());
    let bytes = doc.encode();
    assert_eq!(u16::from_le_bytes([bytes[10], bytes[11]]), 0x3);
    let decoded = PolicyDocument::decode(&bytes).unwrap();
    assert_eq!(decoded, doc);
    assert_eq!(
        decoded.flags, FLAG_CASE_INSENSITIVE_PATHS,
        "bit 1 is not a flag to keep"
    );
    let names: Vec<&str> = decoded.blocklist.names.iter().collect();
    assert_eq!(
        names,
        ["ads.example", "tracker.example.org", "ü.example", "a"]
    );
}

#[test]
fn the_section_is_written_as_the_readme_draws_it() {
    let list = PolicyBlocklist {
        names: ["ab.c"].into_iter().collect(),
        networks: vec![
            BlockedNetwork::V4 {
                network: [10, 0, 0, 0],
                prefix: 8,
            },
            BlockedNetwork::V6 {
                network: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                prefix: 32,
            },
        ],
    };
    let without = document(PolicyBlocklist::default()).encode();
    let with = document(list).encode();
    let rules_end = without.len() - 4;
    assert_eq!(with[..10], without[..10]);
    assert_eq!(with[12..rules_end], without[12..rules_end]);
    let mut section = counts(1, 2);
    section.extend_from_slice(&[4, b'a', b'b', b'.', b'c']);
    section.extend_from_slice(&[4, 8, 10, 0, 0, 0]);
    section.extend_from_slice(&[6, 32, 0x20, 1, 0xd, 0xb8]);
    section.extend_from_slice(&[0; 12]);
    assert_eq!(with[rules_end..with.len() - 4], section[..]);
}

#[test]
fn without_lists_nothing_changes() {
    let doc = document(PolicyBlocklist::default());
    let bytes = doc.encode();
    assert_eq!(bytes[10], 1, "bit 1 clear");
    // A flag bit 1 set by hand is not written without lists: a document stays decodable.
    let mut flagged = doc.clone();
    flagged.flags |= FLAG_BLOCKLIST;
    assert_eq!(flagged.encode(), bytes);
    assert_eq!(PolicyDocument::decode(&bytes), Ok(doc));
    // Only names, or only networks.
    for list in [
        PolicyBlocklist {
            names: ["x"].into_iter().collect(),
            networks: vec![],
        },
        PolicyBlocklist {
            names: BlockedNames::new(),
            networks: vec![BlockedNetwork::V4 {
                network: [1, 2, 3, 4],
                prefix: 32,
            }],
        },
    ] {
        let doc = document(list);
        assert_eq!(PolicyDocument::decode(&doc.encode()), Ok(doc));
    }
}

#[test]
fn duplicate_and_overlapping_entries_are_allowed() {
    let mut list = lists();
    list.names.push("ads.example");
    list.networks.push(BlockedNetwork::V4 {
        network: [192, 0, 2, 128],
        prefix: 25,
    });
    let doc = document(list);
    assert_eq!(PolicyDocument::decode(&doc.encode()), Ok(doc));
}

#[test]
fn section_counts_are_checked() {
    assert_eq!(malformed(&with_section(&[])), "blocklist section cut short");
    assert_eq!(
        malformed(&with_section(&[1, 0, 0, 0, 0])),
        "blocklist section cut short"
    );
    assert_eq!(
        malformed(&with_section(&counts(0, 0))),
        "a blocklist section that lists nothing"
    );
    assert_eq!(
        malformed(&with_section(&counts(MAX_BLOCKED_NAMES + 1, 0))),
        "more blocked names than the limit"
    );
    assert_eq!(
        malformed(&with_section(&counts(0, MAX_BLOCKED_NETWORKS + 1))),
        "more blocked networks than the limit"
    );
    assert_eq!(
        malformed(&with_section(&counts(MAX_BLOCKED_NAMES, 0))),
        "blocklist counts larger than the document"
    );
    let mut one_name = counts(2, 0);
    one_name.extend_from_slice(&[1, b'a']);
    assert_eq!(
        malformed(&with_section(&one_name)),
        "blocklist counts larger than the document"
    );
    // Fewer counted than written, or anything after the last entry.
    let mut extra = counts(1, 0);
    extra.extend_from_slice(&[1, b'a', 1, b'b']);
    assert_eq!(
        malformed(&with_section(&extra)),
        "bytes after the blocklist"
    );
    let mut trailing = counts(1, 0);
    trailing.extend_from_slice(&[1, b'a', 0]);
    assert_eq!(
        malformed(&with_section(&trailing)),
        "bytes after the blocklist"
    );
    // Bit 2 is still undefined.
    let mut bytes = document(lists()).encode();
    bytes[10] |= 4;
    resign(&mut bytes);
    assert_eq!(malformed(&bytes), "undefined document flag");
}

#[test]
fn names_are_checked_like_rule_names() {
    let name = |bytes: &[u8]| {
        let mut section = counts(1, 0);
        section.push(bytes.len() as u8);
        section.extend_from_slice(bytes);
        with_section(&section)
    };
    assert!(PolicyDocument::decode(&name(&[b'a'; 253])).is_ok());
    assert_eq!(malformed(&name(&[b'a'; 254])), "a name is 1 to 253 bytes");
    assert_eq!(malformed(&name(&[b'a'; 255])), "a name is 1 to 253 bytes");
    for bad_name in ["Ads.example", "ads.example."] {
        assert_eq!(
            malformed(&name(bad_name.as_bytes())),
            "a name is lowercase, without a trailing dot",
            "{bad_name}"
        );
    }
    assert_eq!(malformed(&name(&[b'a', 0xff])), "text is not UTF-8");
    // A listed name covers the names below it: '*.' in front is refused, as the app's encoder
    // refuses it (a property test's flipped bit made one: '.' is 0x2e, '*' 0x2a).
    assert_eq!(
        malformed(&name(b"*.ads.example")),
        "a domain covers the names below it: no leading '*.'"
    );
    assert!(PolicyDocument::decode(&name(b"*ads.example")).is_ok());
    assert!(PolicyDocument::decode(&name(b"ads.*.example")).is_ok());
    // A length of 0, then the next name's bytes: an empty name.
    let mut empty = counts(2, 0);
    empty.extend_from_slice(&[0, 2, b'a', b'b']);
    assert_eq!(malformed(&with_section(&empty)), "a name is 1 to 253 bytes");
    // A length past the end.
    let mut cut = counts(1, 0);
    cut.extend_from_slice(&[9, b'a', b'b', b'c']);
    assert_eq!(malformed(&with_section(&cut)), "blocked name cut short");
}

#[test]
fn networks_are_checked_like_cidr_rules() {
    let network = |bytes: &[u8]| {
        let mut section = counts(0, 1);
        section.extend_from_slice(bytes);
        with_section(&section)
    };
    assert!(PolicyDocument::decode(&network(&[4, 32, 1, 2, 3, 4])).is_ok());
    assert!(PolicyDocument::decode(&network(&[4, 0, 0, 0, 0, 0])).is_ok());
    let cases: [(&[u8], &str); 7] = [
        (&[5, 8, 10, 0, 0, 0], "a blocked network's family is 4 or 6"),
        (&[0, 8, 10, 0, 0, 0], "a blocked network's family is 4 or 6"),
        (
            &[4, 33, 10, 0, 0, 0],
            "blocked network prefix too long for its family",
        ),
        (&[4, 8, 10, 0, 0, 1], "blocked network has host bits set"),
        (&[4, 31, 10, 0, 0, 1], "blocked network has host bits set"),
        // An IPv6 network with an IPv4 address's bytes.
        (&[6, 8, 0xfe, 0, 0, 0], "blocked network cut short"),
        (
            &[4, 8, 10, 0, 0],
            "blocklist counts larger than the document",
        ),
    ];
    for (bytes, what) in cases {
        assert_eq!(malformed(&network(bytes)), what, "{bytes:?}");
    }
    let mut v6 = vec![6, 128];
    v6.extend_from_slice(&[0xff; 16]);
    assert!(PolicyDocument::decode(&network(&v6)).is_ok());
    v6[1] = 129;
    assert_eq!(
        malformed(&network(&v6)),
        "blocked network prefix too long for its family"
    );
    v6[1] = 127;
    assert_eq!(
        malformed(&network(&v6)),
        "blocked network has host bits set"
    );
    // After a good name, a bad network still spoils the whole document.
    let mut both = counts(1, 1);
    both.extend_from_slice(&[1, b'a', 4, 8, 10, 0, 0, 1]);
    assert_eq!(
        malformed(&with_section(&both)),
        "blocked network has host bits set"
    );
}

#[test]
fn the_limits_themselves_decode() {
    let names = PolicyBlocklist {
        names: core::iter::repeat_n("a", MAX_BLOCKED_NAMES as usize).collect(),
        networks: vec![],
    };
    let doc = document(names);
    let bytes = doc.encode();
    assert!(bytes.len() <= MAX_POLICY_LEN);
    assert_eq!(PolicyDocument::decode(&bytes), Ok(doc));
    let networks = PolicyBlocklist {
        names: BlockedNames::new(),
        networks: vec![
            BlockedNetwork::V4 {
                network: [10, 0, 0, 0],
                prefix: 8,
            };
            MAX_BLOCKED_NETWORKS as usize
        ],
    };
    let doc = document(networks);
    assert_eq!(PolicyDocument::decode(&doc.encode()), Ok(doc));
}

#[test]
fn every_truncation_and_flipped_bit_is_refused() {
    let bytes = document(lists()).encode();
    for len in 0..bytes.len() {
        assert!(
            PolicyDocument::decode(&bytes[..len]).is_err(),
            "length {len}"
        );
        let mut cut = bytes[..len].to_vec();
        if len >= 32 {
            resign(&mut cut);
            assert!(PolicyDocument::decode(&cut).is_err(), "resigned {len}");
        }
    }
    for at in 10..bytes.len() - 4 {
        let mut changed = bytes.clone();
        changed[at] ^= 0x08;
        assert_eq!(PolicyDocument::decode(&changed), Err(PolicyError::Checksum));
    }
}

#[test]
fn random_damage_never_panics() {
    let good = document(lists()).encode();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut bytes = good.clone();
        for _ in 0..next() % 3 + 1 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = next() as u8;
        }
        if next() % 4 == 0 {
            let cut = (next() % bytes.len() as u64) as usize;
            bytes.truncate(cut.max(32));
        }
        resign(&mut bytes);
        if let Ok(doc) = PolicyDocument::decode(&bytes) {
            // Whatever decodes re-encodes to the same bytes: nothing is lost or invented.
            assert_eq!(doc.encode(), bytes);
            decoded += 1;
        }
    }
    assert!(decoded > 100, "some damage is still a document: {decoded}");
}
