//! Conformance with the upstream Portmaster kext 2.1 golden files. They belong to another project
//! and stay in `../shared/vectors/` (never copied here); where that folder is absent, as in a
//! user's clone, these tests print that they were skipped and why.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use zenithfence_protocol::{Command, Info, InfoProblem, InfoReader, ReadItem, Update, Verdict};

fn vector(name: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors/portmaster-kext-2.1");
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            eprintln!(
                "SKIPPED: upstream golden file {} is not available ({err}); it lives in the \
                 team's shared/ folder beside the repository, not in the repository itself",
                path.display()
            );
            None
        }
    }
}

fn read_all(chunks: &[&[u8]]) -> Vec<ReadItem> {
    let mut reader = InfoReader::new();
    let mut out = Vec::new();
    for chunk in chunks {
        reader.push(chunk, &mut out);
    }
    assert_eq!(reader.pending_len(), 0, "bytes left over at the end");
    out
}

const IP4_A: [u8; 4] = [1, 2, 3, 4];
const IP4_B: [u8; 4] = [2, 3, 4, 5];
fn ip6_a() -> [u8; 16] {
    core::array::from_fn(|i| i as u8 + 1)
}
fn ip6_b() -> [u8; 16] {
    core::array::from_fn(|i| i as u8 + 2)
}
const PAYLOAD: [u8; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/// Checks one info against the fixed values upstream's generator writes; returns its kind.
fn check_upstream_info(info: &Info) -> &'static str {
    macro_rules! connection {
        ($c:expr, $a:expr, $b:expr) => {{
            let c = $c;
            assert_eq!((c.id, c.process_id, c.direction, c.protocol), (1, 2, 3, 4));
            assert_eq!((c.local_ip, c.remote_ip), ($a, $b));
            assert_eq!((c.local_port, c.remote_port, c.payload_layer), (5, 6, 7));
            assert_eq!(c.payload, PAYLOAD);
        }};
    }
    macro_rules! end {
        ($e:expr, $a:expr, $b:expr) => {{
            let e = $e;
            // Upstream's generator numbers end events one lower than connections.
            assert_eq!((e.process_id, e.direction, e.protocol), (1, 2, 3));
            assert_eq!((e.local_ip, e.remote_ip), ($a, $b));
            assert_eq!((e.local_port, e.remote_port), (4, 5));
        }};
    }
    macro_rules! bandwidth {
        ($s:expr, $a:expr, $b:expr) => {{
            let s = $s;
            assert_eq!(s.protocol, 1);
            assert_eq!(s.entries.len(), 2);
            let expected = [(1u16, 2u16, 3u64, 4u64), (5, 6, 7, 8)];
            for (entry, (lp, rp, tx, rx)) in s.entries.iter().zip(expected) {
                assert_eq!((entry.local_ip, entry.remote_ip), ($a, $b));
                assert_eq!(
                    (
                        entry.local_port,
                        entry.remote_port,
                        entry.transmitted,
                        entry.received
                    ),
                    (lp, rp, tx, rx)
                );
            }
        }};
    }
    match info {
        Info::LogLine(log) => {
            assert_eq!((log.severity, log.text.as_str()), (1, "prefix: test log"));
            "log"
        }
        Info::ConnectionV4(c) => {
            connection!(c, IP4_A, IP4_B);
            "connection-v4"
        }
        Info::ConnectionV6(c) => {
            connection!(c, ip6_a(), ip6_b());
            "connection-v6"
        }
        Info::ConnectionEndV4(e) => {
            end!(e, IP4_A, IP4_B);
            "end-v4"
        }
        Info::ConnectionEndV6(e) => {
            end!(e, ip6_a(), ip6_b());
            "end-v6"
        }
        Info::BandwidthStatsV4(s) => {
            bandwidth!(s, IP4_A, IP4_B);
            "bandwidth-v4"
        }
        Info::BandwidthStatsV6(s) => {
            bandwidth!(s, ip6_a(), ip6_b());
            "bandwidth-v6"
        }
        other => panic!("upstream file holds no extension infos, got {other:?}"),
    }
}

#[test]
fn upstream_info_file_decodes_to_a_mismatch_then_1000_infos() {
    let Some(bytes) = vector("rust_info_test.bin") else {
        return;
    };
    let items = read_all(&[&bytes]);
    assert_eq!(
        items[0],
        Err(InfoProblem::SizeMismatch {
            info_type: 1,
            body_len: 69
        })
    );
    assert_eq!(items.len(), 1001);
    let mut kinds = std::collections::BTreeMap::new();
    for item in &items[1..] {
        let info = item.as_ref().expect("only the first record is malformed");
        *kinds.entry(check_upstream_info(info)).or_insert(0) += 1;
    }
    assert_eq!(kinds.len(), 7, "every base type appears: {kinds:?}");
    assert_eq!(kinds.values().sum::<i32>(), 1000);
}

#[test]
fn upstream_info_file_split_at_every_offset_gives_the_same_records() {
    let Some(bytes) = vector("rust_info_test.bin") else {
        return;
    };
    let whole = read_all(&[&bytes]);
    for at in 0..=bytes.len() {
        let (a, b) = bytes.split_at(at);
        assert!(read_all(&[a, b]) == whole, "split at {at} differs");
    }
    let one_byte_chunks: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(read_all(&one_byte_chunks), whole);
}

#[test]
fn upstream_command_file_decodes_to_5000_commands() {
    let Some(bytes) = vector("go_command_test.bin") else {
        return;
    };
    let expected_v4 = Update {
        protocol: 1,
        local_ip: IP4_A,
        local_port: 2,
        remote_ip: IP4_B,
        remote_port: 3,
        verdict: Verdict::Block,
    };
    let expected_v6 = Update {
        protocol: 1,
        local_ip: ip6_a(),
        local_port: 2,
        remote_ip: ip6_b(),
        remote_port: 3,
        verdict: Verdict::Block,
    };
    let mut reencoded = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    let mut count = 0;
    for command in Command::split_stream(&bytes) {
        let command = command.expect("every upstream command decodes");
        match command {
            Command::Verdict { id, verdict } => assert_eq!((id, verdict), (1, Verdict::Accept)),
            Command::UpdateV4(update) => assert_eq!(update, expected_v4),
            Command::UpdateV6(update) => assert_eq!(update, expected_v6),
            Command::Hello { .. } | Command::GetCounters => panic!("no extensions upstream"),
            _ => {}
        }
        ids.insert(command.id());
        command.encode(&mut reencoded);
        count += 1;
    }
    assert_eq!(count, 5000);
    // Upstream's generator writes every base command but the no-op PrintMemoryStats (7).
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5, 6, 8]
    );
    assert_eq!(
        reencoded, bytes,
        "re-encoding reproduces the file byte for byte"
    );
}
