//! Tests of the policy document codec.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use alloc::string::ToString;
use alloc::vec;

fn rule(tag: u32, destination: RuleDestination) -> PolicyRule {
    PolicyRule {
        tag,
        action: RuleAction::Block,
        app_decides: false,
        direction: RuleDirection::Outbound,
        protocol: Some(6),
        port_from: 443,
        port_to: 443,
        updated_at: 1_700_000_000_000,
        expires_at: None,
        app: Some("/usr/bin/curl".to_string()),
        destination,
    }
}

fn sample() -> PolicyDocument {
    let mut any = rule(9, RuleDestination::Any);
    any.app = None;
    any.protocol = None;
    any.direction = RuleDirection::Any;
    any.port_from = 0;
    any.port_to = 65535;
    any.action = RuleAction::Allow;
    any.app_decides = true;
    any.expires_at = Some(1_800_000_000_000);
    PolicyDocument {
        flags: FLAG_CASE_INSENSITIVE_PATHS,
        generation: 42,
        no_app_action: 4,
        rules: vec![
            rule(1, RuleDestination::Ip4([10, 0, 0, 1])),
            rule(
                2,
                RuleDestination::Ip6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            ),
            rule(
                3,
                RuleDestination::Cidr4 {
                    network: [192, 168, 0, 0],
                    prefix: 16,
                },
            ),
            rule(
                4,
                RuleDestination::Cidr6 {
                    network: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                    prefix: 10,
                },
            ),
            rule(5, RuleDestination::Host("example.com".to_string())),
            rule(6, RuleDestination::Domain("example.org".to_string())),
            rule(7, RuleDestination::Lan),
            rule(8, RuleDestination::Localhost),
            any,
        ],
        blocklist: Default::default(),
    }
}

#[test]
fn round_trips_every_kind() {
    let doc = sample();
    let bytes = doc.encode();
    assert_eq!(&bytes[..8], b"ZFPOLICY");
    assert_eq!(PolicyDocument::decode(&bytes), Ok(doc));
}

#[test]
fn an_empty_policy_is_a_policy() {
    let doc = PolicyDocument {
        flags: 0,
        generation: 1,
        no_app_action: 2,
        rules: vec![],
        blocklist: Default::default(),
    };
    let bytes = doc.encode();
    assert_eq!(bytes.len(), 32);
    assert_eq!(PolicyDocument::decode(&bytes), Ok(doc));
}

/// Re-signs `bytes` after a test changed them, so the field check (not the checksum) answers.
fn resign(bytes: &mut [u8]) {
    let end = bytes.len() - 4;
    let sum = crc32(&bytes[..end]);
    bytes[end..].copy_from_slice(&sum.to_le_bytes());
}

fn malformed(bytes: &[u8]) -> &'static str {
    match PolicyDocument::decode(bytes) {
        Err(PolicyError::Malformed { what, .. }) => what,
        other => panic!("expected malformed, got {other:?}"),
    }
}

#[test]
fn a_flipped_bit_is_a_checksum_error() {
    let bytes = sample().encode();
    for at in 10..bytes.len() - 4 {
        let mut changed = bytes.clone();
        changed[at] ^= 0x10;
        assert_eq!(
            PolicyDocument::decode(&changed),
            Err(PolicyError::Checksum),
            "byte {at}"
        );
    }
}

#[test]
fn every_truncation_is_refused() {
    let bytes = sample().encode();
    for len in 0..bytes.len() {
        assert!(
            PolicyDocument::decode(&bytes[..len]).is_err(),
            "length {len}"
        );
    }
}

#[test]
fn header_fields_are_checked() {
    let bytes = sample().encode();
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(malformed(&magic), "not a policy document (magic)");
    let mut format = bytes.clone();
    format[8] = 2;
    assert_eq!(malformed(&format), "unknown format revision");
    let mut flags = bytes.clone();
    // Bit 0 is the path flag, bit 1 the blocklist section: bit 2 is the first undefined one.
    flags[10] = 4;
    resign(&mut flags);
    assert_eq!(malformed(&flags), "undefined document flag");
    let mut generation = bytes.clone();
    generation[12..20].fill(0);
    resign(&mut generation);
    assert_eq!(malformed(&generation), "generation 0");
    let mut action = bytes.clone();
    action[20] = 3;
    resign(&mut action);
    assert_eq!(malformed(&action), "no-app action is not 2, 4 or 6");
    let mut reserved = bytes.clone();
    reserved[22] = 1;
    resign(&mut reserved);
    assert_eq!(malformed(&reserved), "reserved bytes are not zero");
    let mut count = bytes.clone();
    count[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
    resign(&mut count);
    assert_eq!(malformed(&count), "more rules than the limit");
    let mut count = bytes.clone();
    count[24..28].copy_from_slice(&1000u32.to_le_bytes());
    resign(&mut count);
    assert_eq!(malformed(&count), "rule count larger than the document");
    let mut fewer = bytes.clone();
    fewer[24] -= 1;
    resign(&mut fewer);
    assert_eq!(malformed(&fewer), "bytes after the last rule");
}

/// The sample's first rule starts at byte 28.
const R: usize = 28;

#[test]
fn rule_fields_are_checked() {
    let bytes = sample().encode();
    let cases: [(usize, u8, &str); 6] = [
        (R + 4, 3, "unknown rule action"),
        (R + 5, 2, "undefined rule flag"),
        (R + 6, 3, "unknown direction"),
        (R + 8, 2, "any_protocol is not 0 or 1"),
        (R + 9, 0xff, "port range runs backwards"),
        (R + 31 + 13, 7, "unknown destination kind"),
    ];
    for (at, value, what) in cases {
        let mut changed = bytes.clone();
        changed[at] = value;
        if at == R + 9 {
            changed[at + 1] = 0xff;
        }
        resign(&mut changed);
        assert_eq!(malformed(&changed), what, "byte {at}");
    }
}

fn one_rule(destination: RuleDestination) -> Vec<u8> {
    PolicyDocument {
        flags: 0,
        generation: 1,
        no_app_action: 6,
        rules: vec![rule(1, destination)],
        blocklist: Default::default(),
    }
    .encode()
}

#[test]
fn destinations_are_checked() {
    let host_bits = one_rule(RuleDestination::Cidr4 {
        network: [10, 0, 0, 1],
        prefix: 8,
    });
    assert_eq!(malformed(&host_bits), "cidr has host bits set");
    let v6_host_bits = one_rule(RuleDestination::Cidr6 {
        network: [0xff; 16],
        prefix: 127,
    });
    assert_eq!(malformed(&v6_host_bits), "cidr has host bits set");
    let long_prefix = one_rule(RuleDestination::Cidr4 {
        network: [10, 0, 0, 0],
        prefix: 33,
    });
    assert_eq!(
        malformed(&long_prefix),
        "cidr prefix too long for its family"
    );
    for name in ["Example.com", "example.com.", ""] {
        let bytes = one_rule(RuleDestination::Host(name.to_string()));
        assert!(PolicyDocument::decode(&bytes).is_err(), "{name:?}");
    }
    let long = "a".repeat(254);
    assert!(PolicyDocument::decode(&one_rule(RuleDestination::Domain(long))).is_err());
    let ok = "a".repeat(253);
    assert!(PolicyDocument::decode(&one_rule(RuleDestination::Domain(ok))).is_ok());
    // A domain covers the names below it: '*.' in front is refused (as the app's encoder
    // refuses it); a host is one name, compared whole.
    let starred = one_rule(RuleDestination::Domain("*.example.com".into()));
    assert_eq!(
        malformed(&starred),
        "a domain covers the names below it: no leading '*.'"
    );
    let host = one_rule(RuleDestination::Host("*.example.com".into()));
    assert!(PolicyDocument::decode(&host).is_ok());
    // An ip of 5 bytes: change the length byte of a 4-byte ip and add a byte.
    let mut bytes = one_rule(RuleDestination::Ip4([1, 2, 3, 4]));
    let len_at = R + 31 + "/usr/bin/curl".len() + 1;
    bytes[len_at] = 5;
    bytes.insert(len_at + 5, 0);
    resign(&mut bytes);
    assert_eq!(malformed(&bytes), "an ip is 4 or 16 bytes");
    // Any carries no bytes.
    let mut bytes = one_rule(RuleDestination::Any);
    bytes[len_at] = 1;
    bytes.insert(len_at + 1, 0);
    resign(&mut bytes);
    assert_eq!(malformed(&bytes), "this destination kind carries no bytes");
}

#[test]
fn duplicate_tags_and_bad_text_are_refused() {
    let mut doc = sample();
    doc.rules[1].tag = doc.rules[0].tag;
    assert_eq!(malformed(&doc.encode()), "two rules share a tag");
    let mut bytes = one_rule(RuleDestination::Any);
    bytes[R + 31] = 0xff;
    resign(&mut bytes);
    assert_eq!(malformed(&bytes), "text is not UTF-8");
}

#[test]
fn too_large_is_refused_before_anything_else() {
    let bytes = vec![0u8; MAX_POLICY_LEN + 1];
    assert_eq!(
        PolicyDocument::decode(&bytes),
        Err(PolicyError::TooLarge(MAX_POLICY_LEN + 1))
    );
}

#[test]
fn random_bytes_never_panic() {
    let good = sample().encode();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut bytes = good.clone();
        let edits = next() % 4 + 1;
        for _ in 0..edits {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = next() as u8;
        }
        let cut = (next() % (bytes.len() as u64 + 1)) as usize;
        bytes.truncate(cut.max(R));
        if next() % 2 == 0 {
            resign(&mut bytes);
        }
        if let Ok(doc) = PolicyDocument::decode(&bytes) {
            // Whatever decodes re-encodes to the same bytes: nothing is lost or invented.
            assert_eq!(doc.encode(), bytes);
        }
    }
}
