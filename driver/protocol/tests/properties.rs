//! Property tests with a seeded generator: hostile bytes never panic a decoder, and encoding then
//! decoding gives back what went in, however the stream is cut into reads.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use support::rng::Rng;
use zenithfence_protocol::constants::{command_id, info_type};
use zenithfence_protocol::{
    BandwidthEntry, BandwidthStats, Command, Connection, ConnectionEnd, Counters, DnsExchange,
    DnsName, HelloReply, Info, InfoProblem, InfoReader, LogLine, NetworkFacts, Process, Update,
    Verdict,
};

fn random_verdict(rng: &mut Rng) -> Verdict {
    Verdict::ALL[rng.below(12) as usize]
}

fn random_update<const N: usize>(rng: &mut Rng) -> Update<N> {
    Update {
        protocol: rng.byte(),
        local_ip: rng.array(),
        local_port: rng.next_u64() as u16,
        remote_ip: rng.array(),
        remote_port: rng.next_u64() as u16,
        verdict: random_verdict(rng),
    }
}

/// Data a random PolicyPart borrows (its length is picked per command).
static PART_DATA: [u8; 8192] = [0xA5; 8192];

fn random_command(rng: &mut Rng) -> Command<'static> {
    match rng.below(13) {
        0 => Command::Shutdown,
        1 => Command::Verdict {
            id: rng.next_u64(),
            verdict: random_verdict(rng),
        },
        2 => Command::UpdateV4(random_update(rng)),
        3 => Command::UpdateV6(random_update(rng)),
        4 => Command::ClearCache,
        5 => Command::GetLogs,
        6 => Command::GetBandwidthStats,
        7 => Command::PrintMemoryStats,
        8 => Command::CleanEndedConnections,
        9 => Command::Hello {
            ext_version: rng.next_u64() as u16,
            features: rng.next_u64() as u32,
        },
        10 => Command::GetCounters,
        11 => Command::NetworkSeen {
            epoch: rng.next_u64() as u32,
        },
        _ => Command::PolicyPart(zenithfence_protocol::PolicyPart {
            generation: rng.next_u64(),
            total_len: rng.next_u64() as u32,
            offset: rng.next_u64() as u32,
            data: &PART_DATA[..1 + rng.below(8192) as usize],
        }),
    }
}

fn random_connection<const N: usize>(rng: &mut Rng) -> Connection<N> {
    let len = rng.below(64) as usize;
    Connection {
        id: rng.next_u64(),
        process_id: rng.next_u64(),
        direction: rng.byte(),
        protocol: rng.byte(),
        local_ip: rng.array(),
        remote_ip: rng.array(),
        local_port: rng.next_u64() as u16,
        remote_port: rng.next_u64() as u16,
        payload_layer: rng.byte(),
        payload: rng.bytes(len),
    }
}

fn random_end<const N: usize>(rng: &mut Rng) -> ConnectionEnd<N> {
    ConnectionEnd {
        process_id: rng.next_u64(),
        direction: rng.byte(),
        protocol: rng.byte(),
        local_ip: rng.array(),
        remote_ip: rng.array(),
        local_port: rng.next_u64() as u16,
        remote_port: rng.next_u64() as u16,
    }
}

fn random_bandwidth<const N: usize>(rng: &mut Rng) -> BandwidthStats<N> {
    let count = rng.below(5) as usize;
    BandwidthStats {
        protocol: rng.byte(),
        entries: (0..count)
            .map(|_| BandwidthEntry {
                local_ip: rng.array(),
                local_port: rng.next_u64() as u16,
                remote_ip: rng.array(),
                remote_port: rng.next_u64() as u16,
                transmitted: rng.next_u64(),
                received: rng.next_u64(),
            })
            .collect(),
    }
}

fn random_name(rng: &mut Rng) -> String {
    let mut name = rng.text(30);
    name.push('x'); // a DNS info always names something
    name
}

fn random_dns_exchange(rng: &mut Rng) -> DnsExchange {
    let (v4, v6) = (rng.below(5) as usize, rng.below(5) as usize);
    DnsExchange {
        process_id: rng.next_u64(),
        local_port: rng.next_u64() as u16,
        resolver_port: rng.next_u64() as u16,
        ip_version: rng.byte(),
        local_ip: rng.array(),
        resolver_ip: rng.array(),
        qtype: rng.next_u64() as u16,
        rcode: rng.byte(),
        ttl_s: rng.next_u64() as u32,
        // Empty names too: the length check alone decides what decodes.
        name: rng.text(30),
        v4_addresses: (0..v4).map(|_| rng.array()).collect(),
        v6_addresses: (0..v6).map(|_| rng.array()).collect(),
    }
}

fn random_network_facts(rng: &mut Rng) -> NetworkFacts {
    let ssid = rng.below(33) as usize;
    NetworkFacts {
        epoch: rng.next_u64() as u32,
        flags: rng.byte(),
        ip_version: rng.byte(),
        gateway_ip: rng.array(),
        gateway_mac: rng.array(),
        if_index: rng.next_u64() as u32,
        // At most 3 bytes a character: every text fits its length byte.
        interface_name: rng.text(15),
        dns_suffix: rng.text(60),
        ssid: rng.bytes(ssid),
    }
}

fn random_info(rng: &mut Rng) -> Info {
    match rng.below(17) {
        0 => Info::LogLine(LogLine {
            severity: rng.byte(),
            text: rng.text(40),
        }),
        1 => Info::ConnectionV4(random_connection(rng)),
        2 => Info::ConnectionV6(random_connection(rng)),
        3 => Info::ConnectionEndV4(random_end(rng)),
        4 => Info::ConnectionEndV6(random_end(rng)),
        5 => Info::BandwidthStatsV4(random_bandwidth(rng)),
        6 => Info::BandwidthStatsV6(random_bandwidth(rng)),
        7 => Info::HelloReply(HelloReply {
            version: rng.array(),
            ext_version: rng.next_u64() as u16,
            features: rng.next_u64() as u32,
            driver_kind: rng.byte(),
        }),
        8 => {
            let args = rng.below(4) as usize;
            Info::Process(Process {
                process_id: rng.next_u64(),
                start_time: rng.next_u64(),
                uid: rng.next_u64() as u32,
                path: rng.text(40),
                command_line: (0..args).map(|_| rng.text(10)).collect(),
            })
        }
        9 => Info::DnsNameV4(DnsName {
            ttl_s: rng.next_u64() as u32,
            ip: rng.array(),
            name: random_name(rng),
        }),
        10 => Info::DnsNameV6(DnsName {
            ttl_s: rng.next_u64() as u32,
            ip: rng.array(),
            name: random_name(rng),
        }),
        12 => Info::PolicyState(zenithfence_protocol::PolicyState {
            generation: rng.next_u64(),
            rule_count: rng.next_u64() as u32,
            no_app_action: rng.byte(),
            origin: rng.byte(),
            problem: rng.byte(),
            problem_generation: rng.next_u64(),
        }),
        13 => Info::RuleDecidedV4(zenithfence_protocol::RuleDecided {
            connection: random_end(rng),
            verdict: rng.byte(),
            generation: rng.next_u64(),
            rule_tag: rng.next_u64() as u32,
        }),
        14 => Info::RuleDecidedV6(zenithfence_protocol::RuleDecided {
            connection: random_end(rng),
            verdict: rng.byte(),
            generation: rng.next_u64(),
            rule_tag: rng.next_u64() as u32,
        }),
        15 => Info::DnsExchange(random_dns_exchange(rng)),
        16 => Info::NetworkFacts(random_network_facts(rng)),
        _ => {
            let count = rng.below(12) as usize;
            Info::Counters(Counters {
                values: (0..count).map(|_| rng.next_u64()).collect(),
            })
        }
    }
}

/// Cuts `bytes` into random chunks (empty ones included) and reads them; `whole` says the stream
/// ends on a record boundary, so nothing may be left pending.
fn read_in_random_chunks(
    rng: &mut Rng,
    bytes: &[u8],
    whole: bool,
) -> Vec<Result<Info, InfoProblem>> {
    let mut reader = InfoReader::new();
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let take = (rng.below(200) as usize).min(rest.len());
        let (chunk, tail) = rest.split_at(take);
        reader.push(chunk, &mut out);
        rest = tail;
    }
    if whole {
        assert_eq!(reader.pending_len(), 0);
    }
    out
}

#[test]
fn random_bytes_never_panic_the_decoders() {
    let mut rng = Rng::from_env("random_bytes_never_panic_the_decoders");
    for _ in 0..20_000 {
        let len = rng.below(120) as usize;
        let mut bytes = rng.bytes(len);
        // Bias towards known ids and small lengths so decoding gets past the first checks.
        if let Some(first) = bytes.first_mut() {
            if rng.below(2) == 0 {
                *first = [
                    0, 1, 2, 3, 5, 6, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137,
                ][rng.below(16) as usize];
            }
        }
        if bytes.len() >= 5 && rng.below(2) == 0 {
            let body = (bytes.len() - 5) as u32;
            bytes[1..5].copy_from_slice(&body.to_le_bytes());
        }
        let _ = Command::decode(&bytes);
        let _ = Command::split_stream(&bytes).count();
        let _ = read_in_random_chunks(&mut rng, &bytes, false);
    }
}

#[test]
fn commands_round_trip() {
    let mut rng = Rng::from_env("commands_round_trip");
    for _ in 0..20_000 {
        let command = random_command(&mut rng);
        let mut bytes = Vec::new();
        command.encode(&mut bytes);
        assert_eq!(Command::decode(&bytes), Ok(command));
    }
}

#[test]
fn every_truncation_of_a_command_is_rejected() {
    let mut rng = Rng::from_env("every_truncation_of_a_command_is_rejected");
    for _ in 0..2_000 {
        let mut bytes = Vec::new();
        random_command(&mut rng).encode(&mut bytes);
        for len in 0..bytes.len() {
            assert!(Command::decode(&bytes[..len]).is_err());
        }
        bytes.push(0);
        assert!(Command::decode(&bytes).is_err(), "one byte too many");
    }
    assert!(Command::decode(&[command_id::POLICY_PART + 1]).is_err());
}

#[test]
fn infos_round_trip_through_random_reads() {
    let mut rng = Rng::from_env("infos_round_trip_through_random_reads");
    for _ in 0..300 {
        let infos: Vec<Info> = (0..rng.below(40)).map(|_| random_info(&mut rng)).collect();
        let mut stream = Vec::new();
        for info in &infos {
            let before = stream.len();
            info.encode(&mut stream);
            assert_eq!(stream.len() - before, info.encoded_len());
        }
        let decoded: Vec<Info> = read_in_random_chunks(&mut rng, &stream, true)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(decoded, infos);
    }
}

#[test]
fn dns_exchanges_decode_only_at_the_length_their_counts_give() {
    let mut rng = Rng::from_env("dns_exchanges_decode_only_at_the_length_their_counts_give");
    for _ in 0..2_000 {
        let info = Info::DnsExchange(random_dns_exchange(&mut rng));
        let mut stream = Vec::new();
        info.encode(&mut stream);
        let body = &stream[5..];
        assert_eq!(Info::decode_body(info_type::DNS_EXCHANGE, body), Ok(info));
        let mismatch = |len: usize| {
            Err(InfoProblem::SizeMismatch {
                info_type: info_type::DNS_EXCHANGE,
                body_len: len as u32,
            })
        };
        for len in 0..body.len() {
            assert_eq!(
                Info::decode_body(info_type::DNS_EXCHANGE, &body[..len]),
                mismatch(len)
            );
        }
        // name_len, v4_count or v6_count replaced by any other value: the body no longer fits.
        let at = 52 + 2 * rng.below(3) as usize;
        let old = u16::from_le_bytes([body[at], body[at + 1]]);
        let new = old.wrapping_add(1 + rng.below(u64::from(u16::MAX)) as u16);
        let mut lying = body.to_vec();
        lying[at..at + 2].copy_from_slice(&new.to_le_bytes());
        assert_eq!(
            Info::decode_body(info_type::DNS_EXCHANGE, &lying),
            mismatch(lying.len()),
            "field @{at}: {old} -> {new}"
        );
    }
}

#[test]
fn network_facts_decode_only_at_the_length_their_lengths_give() {
    let mut rng = Rng::from_env("network_facts_decode_only_at_the_length_their_lengths_give");
    for _ in 0..2_000 {
        let info = Info::NetworkFacts(random_network_facts(&mut rng));
        let mut stream = Vec::new();
        info.encode(&mut stream);
        let body = &stream[5..];
        assert_eq!(Info::decode_body(info_type::NETWORK_FACTS, body), Ok(info));
        let mismatch = |len: usize| {
            Err(InfoProblem::SizeMismatch {
                info_type: info_type::NETWORK_FACTS,
                body_len: len as u32,
            })
        };
        for len in 0..body.len() {
            assert_eq!(
                Info::decode_body(info_type::NETWORK_FACTS, &body[..len]),
                mismatch(len)
            );
        }
        // One of the three lengths replaced by any other value: the body no longer fits.
        let at = 32 + rng.below(3) as usize;
        let mut lying = body.to_vec();
        lying[at] = lying[at].wrapping_add(1 + rng.below(255) as u8);
        assert_eq!(
            Info::decode_body(info_type::NETWORK_FACTS, &lying),
            mismatch(lying.len()),
            "length @{at}"
        );
    }
}

#[test]
fn unknown_and_oversized_records_are_skipped_and_the_stream_stays_in_sync() {
    let log = Info::LogLine(LogLine {
        severity: 4,
        text: "after".into(),
    });
    let mut stream = vec![99, 3, 0, 0, 0, 1, 2, 3];
    // An oversized header whose body is then really sent.
    let big = 17 * 1024 * 1024u32;
    stream.push(info_type::LOG_LINE);
    stream.extend_from_slice(&big.to_le_bytes());
    stream.extend(std::iter::repeat_n(0u8, big as usize));
    log.encode(&mut stream);
    let mut rng = Rng::from_env("oversized");
    for chunked in [false, true] {
        let items = if chunked {
            let mut reader = InfoReader::new();
            let mut out = Vec::new();
            for chunk in stream.chunks(65_536 + rng.below(1000) as usize) {
                reader.push(chunk, &mut out);
            }
            out
        } else {
            let mut out = Vec::new();
            InfoReader::new().push(&stream, &mut out);
            out
        };
        assert_eq!(
            items,
            vec![
                Err(InfoProblem::UnknownType {
                    info_type: 99,
                    body_len: 3
                }),
                Err(InfoProblem::Oversized {
                    info_type: 0,
                    body_len: big
                }),
                Ok(log.clone()),
            ]
        );
    }
}
