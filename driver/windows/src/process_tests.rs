//! Host tests of the Process infos (129) the Windows driver sends: the executable path from the
//! ALE classify (metadata `processPath`, else the ALE app id), once per process and before the
//! connection info or RuleDecided naming its pid; bounded, and safe on any UTF-16 input.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use zenithfence_protocol::constants::feature;
use zenithfence_protocol::policy::RuleAction;
use zenithfence_protocol::{Command, Info, Process};

use crate::callouts::AleLayer;
use crate::config::Options;
use crate::device::{MAX_DESCRIBED_PROCESSES, MAX_PROCESS_PATH_BYTES, UNKNOWN_UID};
use crate::fields::bounded_path_of;
use crate::fields::tests::utf16z;
use crate::policy_tests::{remote_443, rule, send_policy};
use crate::tests::{tcp_connect, Rig, APP_PID, CLIENT_FILE, CLIENT_PID};

/// curl as the engine hands it to the classify: NT device form, in the case it has.
const CURL: &str = "\\Device\\HarddiskVolume3\\Windows\\System32\\curl.exe";
/// A creation time (100 ns since 1601: 2022-06-01).
const STARTED: u64 = 133_000_000_000_000_000;

/// A client granted `features`, the Hello's infos read.
fn client(features: u32) -> Rig {
    let mut rig = Rig::attached();
    rig.write(Command::Hello {
        ext_version: 1,
        features,
    });
    rig.infos();
    rig
}

/// The kinds (info type numbers) of `infos`, in order.
fn kinds(infos: &[Info]) -> Vec<u8> {
    infos.iter().map(Info::info_type).collect()
}

fn process_of(info: &Info) -> &Process {
    match info {
        Info::Process(p) => p,
        other => panic!("expected a Process info, got {other:?}"),
    }
}

/// Connects from `pid` (a new local port each time) and returns the infos it queued.
fn connect(rig: &mut Rig, pid: u64, port: u16) -> Vec<Info> {
    rig.connect(&tcp_connect(port), pid, &[]);
    rig.infos()
}

#[test]
fn a_connection_from_a_new_process_queues_process_then_connection() {
    let mut rig = client(feature::PROCESS);
    rig.process_blob = Some(utf16z(CURL));
    rig.start_time = STARTED;
    let infos = connect(&mut rig, APP_PID, 1);
    assert_eq!(kinds(&infos), vec![129, 1], "Process, then ConnectionV4");
    assert_eq!(
        process_of(&infos[0]),
        &Process {
            process_id: APP_PID,
            start_time: STARTED,
            uid: UNKNOWN_UID,
            path: CURL.into(),
            command_line: Vec::new(),
        },
        "the NT path in its own case, uid unknown, no command line"
    );
    let Info::ConnectionV4(connection) = &infos[1] else {
        panic!()
    };
    assert_eq!(connection.process_id, APP_PID);
}

#[test]
fn the_same_process_is_described_once_and_a_reused_pid_again() {
    let mut rig = client(feature::PROCESS);
    rig.process_blob = Some(utf16z(CURL));
    rig.start_time = STARTED;
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 1)), vec![129, 1]);
    assert_eq!(
        kinds(&connect(&mut rig, APP_PID, 2)),
        vec![1],
        "the same process is not described again"
    );
    // A classify at an IRQL too high for the lookup knows no start time: the same process.
    rig.start_time = 0;
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 3)), vec![1]);
    // Another start time under the same pid is another process (pid reuse).
    rig.start_time = STARTED + 1;
    rig.process_blob = Some(utf16z("\\Device\\HarddiskVolume3\\Tools\\wget.exe"));
    let infos = connect(&mut rig, APP_PID, 4);
    assert_eq!(kinds(&infos), vec![129, 1]);
    assert_eq!(process_of(&infos[0]).start_time, STARTED + 1);
    assert!(process_of(&infos[0]).path.ends_with("wget.exe"));
    // Another pid, and the same pid after a new Hello, are described.
    assert_eq!(kinds(&connect(&mut rig, APP_PID + 1, 5)), vec![129, 1]);
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::PROCESS,
    });
    rig.infos();
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 6)), vec![129, 1]);
    // Packets of a waiting flow join it: nothing more is queued for them.
    rig.connect(&tcp_connect(6), APP_PID, &[]);
    assert!(rig.infos().is_empty());
}

#[test]
fn without_the_process_feature_nothing_is_described() {
    let mut rig = client(feature::COUNTERS | feature::POLICY);
    rig.process_blob = Some(utf16z(CURL));
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 1)), vec![1]);
    assert_eq!(rig.driver.described_processes(), 0);
    // A Hello that asks for it gets it: the reply grants PROCESS.
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::PROCESS,
    });
    let Info::HelloReply(reply) = &rig.infos()[0] else {
        panic!()
    };
    assert_eq!(reply.features, feature::PROCESS);
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 2)), vec![129, 1]);
}

#[test]
fn pid_0_the_clients_own_and_pathless_connections_are_not_described() {
    let mut rig = client(feature::PROCESS);
    rig.process_blob = Some(utf16z(CURL));
    assert_eq!(kinds(&connect(&mut rig, 0, 1)), vec![1], "pid 0: unknown");
    assert!(
        connect(&mut rig, CLIENT_PID, 2).is_empty(),
        "own: not asked"
    );
    // Neither the metadata nor the app id carries a path: the app looks it up itself.
    rig.process_blob = None;
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 3)), vec![1]);
    // An empty path is no path.
    rig.process_blob = Some(utf16z(""));
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 4)), vec![1]);
    assert_eq!(rig.driver.described_processes(), 0, "tried again next time");
}

#[test]
fn without_process_path_metadata_the_app_id_is_the_path() {
    let mut rig = client(feature::PROCESS);
    rig.ale_of_app(
        AleLayer::Connect,
        &tcp_connect(1),
        APP_PID,
        Some("\\device\\harddiskvolume3\\windows\\system32\\curl.exe"),
        &[],
    );
    let infos = rig.infos();
    assert_eq!(kinds(&infos), vec![129, 1]);
    assert_eq!(
        process_of(&infos[0]).path,
        "\\device\\harddiskvolume3\\windows\\system32\\curl.exe"
    );
}

#[test]
fn a_path_at_the_limit_is_sent_whole_and_a_longer_one_not_at_all() {
    let mut rig = client(feature::PROCESS);
    // 2-byte characters up to the limit, with an odd rest of one ASCII byte: exactly at it.
    let prefix = "\\Device\\HarddiskVolume3\\";
    let wide = (MAX_PROCESS_PATH_BYTES - prefix.len()) / 2;
    let at_limit = format!(
        "{prefix}{}{}",
        "é".repeat(wide),
        "x".repeat(MAX_PROCESS_PATH_BYTES - prefix.len() - 2 * wide)
    );
    assert_eq!(at_limit.len(), MAX_PROCESS_PATH_BYTES);
    rig.process_blob = Some(utf16z(&at_limit));
    let infos = connect(&mut rig, APP_PID, 1);
    assert_eq!(kinds(&infos), vec![129, 1]);
    assert_eq!(process_of(&infos[0]).path, at_limit, "whole, not cut");
    // One character more: no Process info at all (a cut path would name another file).
    let over = format!("{at_limit}é");
    rig.process_blob = Some(utf16z(&over));
    assert_eq!(kinds(&connect(&mut rig, APP_PID + 1, 2)), vec![1]);
    // The longest path NT allows (32 767 units, far more than the protocol's u16 length in
    // UTF-8): refused the same way, and never decoded whole.
    let longest: String = "\\Device\\"
        .chars()
        .chain(core::iter::repeat('€'))
        .take(32_767)
        .collect();
    rig.process_blob = Some(utf16z(&longest));
    assert_eq!(kinds(&connect(&mut rig, APP_PID + 2, 3)), vec![1]);
    assert_eq!(rig.driver.described_processes(), 1);
}

#[test]
fn unpaired_surrogates_and_odd_bytes_are_replaced_never_a_panic() {
    let mut rig = client(feature::PROCESS);
    // "\a" + a lone high surrogate + "b" + a lone low surrogate + "c", then an odd byte.
    let mut blob = Vec::new();
    for unit in [0x5c_u16, 0x61, 0xd800, 0x62, 0xdc00, 0x63, 0] {
        blob.extend_from_slice(&unit.to_le_bytes());
    }
    blob.push(0x41);
    rig.process_blob = Some(blob);
    let infos = connect(&mut rig, APP_PID, 1);
    assert_eq!(kinds(&infos), vec![129, 1]);
    assert_eq!(process_of(&infos[0]).path, "\\a\u{fffd}b\u{fffd}c");
    // A surrogate pair cut by the bound decodes to U+FFFD, longer than the bound allows.
    let pair = [0x61_u8, 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0];
    assert_eq!(bounded_path_of(&pair, 3).as_deref(), Some("a😀"));
    let cut = bounded_path_of(&pair, 2).unwrap();
    assert_eq!(cut, "a\u{fffd}");
    assert!(
        cut.len() > 2 - 1,
        "seen as too long by a caller bounding at 1 byte"
    );
    // Odd lengths and garbage of every size up to 9 bytes decode or give nothing, no panic.
    for len in 0..10usize {
        let garbage: Vec<u8> = (0..len).map(|i| (0xd8 + i as u8) ^ 0x5a).collect();
        rig.process_blob = Some(garbage);
        let infos = connect(&mut rig, APP_PID + 1 + len as u64, 10 + len as u16);
        assert_eq!(*kinds(&infos).last().unwrap(), 1);
    }
}

#[test]
fn a_rule_decided_connection_is_described_before_its_rule_decided_info() {
    let mut rig = client(feature::PROCESS | feature::POLICY);
    send_policy(&mut rig, 3, 6, &[rule(42, RuleAction::Allow, remote_443())]);
    rig.infos();
    rig.process_blob = Some(utf16z(CURL));
    rig.start_time = STARTED;
    assert_eq!(
        kinds(&connect(&mut rig, APP_PID, 1)),
        vec![129, 134],
        "Process, then RuleDecidedV4"
    );
    assert_eq!(kinds(&connect(&mut rig, APP_PID, 2)), vec![134]);
}

#[test]
fn the_table_of_described_processes_is_bounded_oldest_first() {
    let options = Options {
        max_pending_requests: MAX_DESCRIBED_PROCESSES + 8,
        ..Options::default()
    };
    let mut rig = Rig::new(options);
    rig.driver.create(CLIENT_FILE, CLIENT_PID);
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::PROCESS,
    });
    rig.infos();
    rig.process_blob = Some(utf16z(CURL));
    let first_pid = 10_000;
    let count = MAX_DESCRIBED_PROCESSES as u64 + 1;
    for n in 0..count {
        let port = 1 + n as u16;
        assert_eq!(kinds(&connect(&mut rig, first_pid + n, port)), vec![129, 1]);
    }
    assert_eq!(rig.driver.described_processes(), MAX_DESCRIBED_PROCESSES);
    let port = count as u16 + 1;
    assert_eq!(
        kinds(&connect(&mut rig, first_pid + count - 1, port)),
        vec![1],
        "the newest is remembered"
    );
    assert_eq!(
        kinds(&connect(&mut rig, first_pid, port + 1)),
        vec![129, 1],
        "the oldest was forgotten: described again"
    );
    assert_eq!(rig.driver.described_processes(), MAX_DESCRIBED_PROCESSES);
}
