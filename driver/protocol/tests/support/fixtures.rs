//! The cross-language fixture lists. `rust_infos()` is what `testdata/rust_infos.bin` holds
//! (written by `examples/gen_testdata.rs`, read by `native/` tests, which list the same values);
//! `ts_commands()` is what `native/scripts/gen-testdata.ts` writes to `testdata/ts_commands.bin`.
#![allow(dead_code)]

use zenithfence_protocol::constants::{driver_kind, feature, payload_layer, EXT_VERSION, VERSION};
use zenithfence_protocol::info_network::network_flags;
use zenithfence_protocol::policy::{
    BlockedNetwork, PolicyBlocklist, PolicyDocument, PolicyRule, RuleAction, RuleDestination,
    RuleDirection, FLAG_CASE_INSENSITIVE_PATHS,
};
use zenithfence_protocol::{
    BandwidthEntry, BandwidthStats, Command, Connection, ConnectionEnd, Counters, DnsExchange,
    DnsName, HelloReply, Info, LogLine, NetworkFacts, PolicyPart, PolicyState, Process,
    RuleDecided, Update, Verdict,
};

pub(crate) const LOCAL_V4: [u8; 4] = [192, 0, 2, 10];
pub(crate) const REMOTE_V4: [u8; 4] = [198, 51, 100, 7];
/// 2001:db8::1
pub(crate) const LOCAL_V6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
/// 2001:db8:0:1::2
pub(crate) const REMOTE_V6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2];

pub(crate) fn rust_infos() -> Vec<Info> {
    vec![
        Info::LogLine(LogLine {
            severity: 3,
            text: "zenithfenced: started ✓".into(),
        }),
        Info::ConnectionV4(Connection {
            id: 1,
            process_id: 4242,
            direction: 0,
            protocol: 6,
            local_ip: LOCAL_V4,
            remote_ip: REMOTE_V4,
            local_port: 51000,
            remote_port: 443,
            payload_layer: payload_layer::TRANSPORT,
            payload: vec![],
        }),
        Info::ConnectionV6(Connection {
            id: u64::MAX,
            process_id: 1,
            direction: 1,
            protocol: 17,
            local_ip: LOCAL_V6,
            remote_ip: REMOTE_V6,
            local_port: 53,
            remote_port: 5353,
            payload_layer: payload_layer::NETWORK,
            payload: vec![0xde, 0xad, 0xbe, 0xef],
        }),
        Info::ConnectionEndV4(ConnectionEnd {
            process_id: 4242,
            direction: 0,
            protocol: 6,
            local_ip: LOCAL_V4,
            remote_ip: REMOTE_V4,
            local_port: 51000,
            remote_port: 443,
        }),
        Info::ConnectionEndV6(ConnectionEnd {
            process_id: 1,
            direction: 1,
            protocol: 17,
            local_ip: LOCAL_V6,
            remote_ip: REMOTE_V6,
            local_port: 53,
            remote_port: 5353,
        }),
        Info::BandwidthStatsV4(BandwidthStats {
            protocol: 6,
            entries: vec![
                BandwidthEntry {
                    local_ip: LOCAL_V4,
                    local_port: 51000,
                    remote_ip: REMOTE_V4,
                    remote_port: 443,
                    transmitted: 1000,
                    received: 20000,
                },
                BandwidthEntry {
                    local_ip: LOCAL_V4,
                    local_port: 51001,
                    remote_ip: [198, 51, 100, 8],
                    remote_port: 80,
                    transmitted: u64::MAX,
                    received: 0,
                },
            ],
        }),
        Info::BandwidthStatsV6(BandwidthStats {
            protocol: 17,
            entries: vec![BandwidthEntry {
                local_ip: LOCAL_V6,
                local_port: 53,
                remote_ip: REMOTE_V6,
                remote_port: 5353,
                transmitted: 512,
                received: 1024,
            }],
        }),
        Info::BandwidthStatsV4(BandwidthStats {
            protocol: 17,
            entries: vec![],
        }),
        Info::HelloReply(HelloReply {
            version: VERSION,
            ext_version: EXT_VERSION,
            features: feature::ALL,
            driver_kind: driver_kind::LINUX_DAEMON,
        }),
        Info::Process(Process {
            process_id: 4242,
            start_time: 123_456_789,
            uid: 1000,
            path: "/usr/bin/curl".into(),
            command_line: vec!["curl".into(), "-s".into(), "https://example.org/".into()],
        }),
        Info::Process(Process {
            process_id: 77,
            start_time: 5,
            uid: u32::MAX,
            path: String::new(),
            command_line: vec![],
        }),
        Info::DnsNameV4(DnsName {
            ttl_s: 300,
            ip: REMOTE_V4,
            name: "example.org".into(),
        }),
        Info::DnsNameV6(DnsName {
            ttl_s: 60,
            ip: REMOTE_V6,
            name: "ipv6.example.org".into(),
        }),
        Info::Counters(Counters {
            values: vec![1, 2, 3, 4, 5, 6, 7, 8],
        }),
        Info::PolicyState(PolicyState {
            generation: 1_764_850_000_123,
            rule_count: 10_000,
            no_app_action: 4,
            origin: 2,
            problem: 5,
            problem_generation: 1_764_850_000_123,
        }),
        Info::RuleDecidedV4(RuleDecided {
            connection: ConnectionEnd {
                process_id: 4242,
                direction: 0,
                protocol: 6,
                local_ip: LOCAL_V4,
                remote_ip: REMOTE_V4,
                local_port: 51001,
                remote_port: 443,
            },
            verdict: 5,
            generation: 7,
            rule_tag: 0xDEAD_BEEF,
        }),
        Info::RuleDecidedV6(RuleDecided {
            connection: ConnectionEnd {
                process_id: 0,
                direction: 1,
                protocol: 17,
                local_ip: LOCAL_V6,
                remote_ip: REMOTE_V6,
                local_port: 53,
                remote_port: 40000,
            },
            verdict: 3,
            generation: u64::MAX,
            rule_tag: 0,
        }),
        Info::DnsExchange(DnsExchange {
            process_id: 4242,
            local_port: 40000,
            resolver_port: 53,
            ip_version: 4,
            local_ip: in_16([10, 0, 0, 2]),
            resolver_ip: in_16([10, 0, 0, 1]),
            qtype: 1,
            rcode: 0,
            ttl_s: 60,
            name: "example.com".into(),
            v4_addresses: vec![[93, 184, 216, 34], [10, 9, 8, 7]],
            v6_addresses: vec![LOCAL_V6],
        }),
        Info::DnsExchange(DnsExchange {
            process_id: 0,
            local_port: 5353,
            resolver_port: 53,
            ip_version: 6,
            // fd00::2 and fd00::1
            local_ip: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            resolver_ip: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            qtype: 28,
            rcode: 3,
            ttl_s: 0,
            name: "nope.example".into(),
            v4_addresses: vec![],
            v6_addresses: vec![],
        }),
        // A home Wi-Fi network behind a VPN, with an SSID that is not UTF-8 (Latin-1 "Café").
        Info::NetworkFacts(NetworkFacts {
            epoch: 1,
            flags: network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC | network_flags::VPN,
            ip_version: 4,
            gateway_ip: in_16([192, 168, 1, 1]),
            gateway_mac: [0x02, 0x11, 0x22, 0x33, 0x44, 0x55],
            if_index: 3,
            interface_name: "wlp2s0".into(),
            dns_suffix: "home.example".into(),
            ssid: vec![b'C', b'a', b'f', 0xE9],
        }),
        // An IPv6 default route whose gateway (fe80::1) has no known MAC yet.
        Info::NetworkFacts(NetworkFacts {
            epoch: 2,
            flags: network_flags::DEFAULT_ROUTE,
            ip_version: 6,
            gateway_ip: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            gateway_mac: [0; 6],
            if_index: 0x0102_0304,
            interface_name: "eth0".into(),
            dns_suffix: String::new(),
            ssid: vec![],
        }),
        // Offline: no default route, every other field zero or empty.
        Info::NetworkFacts(NetworkFacts {
            epoch: u32::MAX,
            ..NetworkFacts::default()
        }),
    ]
}

/// An IPv4 address as a DnsExchange or a NetworkFacts holds it: the first 4 of 16 bytes, the rest zero.
fn in_16(v4: [u8; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&v4);
    out
}

/// What `testdata/rust_policy.bin` holds: every destination kind, both flags, both families,
/// any and specific apps, expiry.
pub(crate) fn rust_policy() -> PolicyDocument {
    let base = PolicyRule {
        tag: 1,
        action: RuleAction::Allow,
        app_decides: false,
        direction: RuleDirection::Outbound,
        protocol: Some(6),
        port_from: 443,
        port_to: 443,
        updated_at: 1_764_850_000_000,
        expires_at: None,
        app: Some("/usr/bin/curl".into()),
        destination: RuleDestination::Any,
    };
    let rule = |tag: u32, destination: RuleDestination| PolicyRule {
        tag,
        destination,
        ..base.clone()
    };
    let mut rules = vec![
        rule(1, RuleDestination::Any),
        rule(2, RuleDestination::Lan),
        rule(3, RuleDestination::Localhost),
        rule(4, RuleDestination::Ip4(REMOTE_V4)),
        rule(5, RuleDestination::Ip6(REMOTE_V6)),
        rule(
            6,
            RuleDestination::Cidr4 {
                network: [10, 0, 0, 0],
                prefix: 8,
            },
        ),
        rule(
            7,
            RuleDestination::Cidr6 {
                network: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                prefix: 32,
            },
        ),
        rule(8, RuleDestination::Host("api.example.com".into())),
        rule(9, RuleDestination::Domain("example.org".into())),
    ];
    rules.push(PolicyRule {
        tag: 10,
        action: RuleAction::Block,
        app_decides: true,
        direction: RuleDirection::Any,
        protocol: None,
        port_from: 0,
        port_to: 65535,
        updated_at: 1,
        expires_at: Some(1_900_000_000_000),
        app: None,
        destination: RuleDestination::Any,
    });
    rules.push(PolicyRule {
        tag: u32::MAX,
        action: RuleAction::Drop,
        direction: RuleDirection::Inbound,
        protocol: Some(17),
        port_from: 1000,
        port_to: 2000,
        app: Some("/opt/Ünïcode app/bin".into()),
        ..rule(11, RuleDestination::Domain("xn--bcher-kva.example".into()))
    });
    PolicyDocument {
        flags: FLAG_CASE_INSENSITIVE_PATHS,
        generation: 1_764_850_000_123,
        no_app_action: 6,
        rules,
        blocklist: Default::default(),
    }
}

pub(crate) fn ts_commands() -> Vec<Command<'static>> {
    vec![
        Command::Shutdown,
        Command::Verdict {
            id: 1,
            verdict: Verdict::Accept,
        },
        Command::Verdict {
            id: u64::MAX,
            verdict: Verdict::PermanentDrop,
        },
        Command::UpdateV4(Update {
            protocol: 6,
            local_ip: LOCAL_V4,
            local_port: 51000,
            remote_ip: REMOTE_V4,
            remote_port: 443,
            verdict: Verdict::PermanentBlock,
        }),
        Command::UpdateV6(Update {
            protocol: 17,
            local_ip: LOCAL_V6,
            local_port: 53,
            remote_ip: REMOTE_V6,
            remote_port: 5353,
            verdict: Verdict::PermanentAccept,
        }),
        Command::ClearCache,
        Command::GetLogs,
        Command::GetBandwidthStats,
        Command::PrintMemoryStats,
        Command::CleanEndedConnections,
        Command::Hello {
            ext_version: 1,
            features: 7,
        },
        Command::GetCounters,
        Command::PolicyPart(PolicyPart {
            generation: 99,
            total_len: 8195,
            offset: 0,
            data: &FULL_PART,
        }),
        Command::PolicyPart(PolicyPart {
            generation: 99,
            total_len: 8195,
            offset: 8192,
            data: &[1, 2, 3],
        }),
        Command::PolicyPart(PolicyPart {
            generation: u64::MAX,
            total_len: 0xFFFF_FFFF,
            offset: 0xFFFF_FFFE,
            data: &[0xAB],
        }),
        Command::NetworkSeen { epoch: 1 },
        Command::NetworkSeen { epoch: u32::MAX },
    ]
}

/// A part of the largest size, byte i holding i & 0xff (as the TypeScript fixture writes it).
/// (The index stays below the length by the loop bound.)
#[allow(clippy::indexing_slicing)]
static FULL_PART: [u8; 8192] = {
    let mut data = [0u8; 8192];
    let mut i = 0;
    while i < data.len() {
        data[i] = (i & 0xff) as u8;
        i += 1;
    }
    data
};

/// The bytes `rust_infos()` encodes to.
pub(crate) fn rust_infos_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    for info in rust_infos() {
        info.encode(&mut out);
    }
    out
}

/// Where the committed cross-language files live.
pub(crate) fn testdata_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// What `testdata/ts_policy.bin` holds (written by `native/scripts/gen-testdata.ts` from the
/// TypeScript fixture of the same values).
pub(crate) fn ts_policy() -> PolicyDocument {
    let mut document = rust_policy();
    document.flags = 0;
    document.generation = 99;
    document.no_app_action = 4;
    // The TypeScript encoder numbers the same rules in its own order.
    document.rules.reverse();
    document
}

/// What `testdata/rust_policy_lists.bin` holds: the rules of `rust_policy()` and a blocklist
/// section with names of 1 and 253 bytes, non-ASCII and punycode names, and networks of both
/// families with the shortest and longest prefixes (an IPv4-mapped one too).
pub(crate) fn rust_policy_lists() -> PolicyDocument {
    let long = "x".repeat(253);
    let names = [
        "ads.example.com",
        "xn--bcher-kva.example",
        "ü.example",
        "t",
        long.as_str(),
    ];
    let mut mapped = [0u8; 16];
    mapped[10..].copy_from_slice(&[0xff, 0xff, 192, 0, 2, 0]);
    PolicyDocument {
        generation: 1_764_850_000_124,
        blocklist: PolicyBlocklist {
            names: names.into_iter().collect(),
            networks: vec![
                BlockedNetwork::V4 {
                    network: [198, 51, 100, 0],
                    prefix: 24,
                },
                BlockedNetwork::V4 {
                    network: [0; 4],
                    prefix: 0,
                },
                BlockedNetwork::V4 {
                    network: REMOTE_V4,
                    prefix: 32,
                },
                BlockedNetwork::V6 {
                    network: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                    prefix: 32,
                },
                BlockedNetwork::V6 {
                    network: mapped,
                    prefix: 120,
                },
                BlockedNetwork::V6 {
                    network: REMOTE_V6,
                    prefix: 128,
                },
            ],
        },
        ..rust_policy()
    }
}

/// What `testdata/ts_policy_lists.bin` holds (written by `native/scripts/gen-testdata.ts`): no
/// rules at all (the section right after the header), paths compared as written, the no-app
/// action accept, and the blocklist of `rust_policy_lists()` in the opposite order.
pub(crate) fn ts_policy_lists() -> PolicyDocument {
    let lists = rust_policy_lists().blocklist;
    let mut names: Vec<&str> = lists.names.iter().collect();
    names.reverse();
    let mut networks = lists.networks.clone();
    networks.reverse();
    PolicyDocument {
        flags: 0,
        generation: 100,
        no_app_action: 2,
        rules: Vec::new(),
        blocklist: PolicyBlocklist {
            names: names.into_iter().collect(),
            networks,
        },
    }
}
