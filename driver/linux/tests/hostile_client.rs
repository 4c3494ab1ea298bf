//! The client socket against a client that misbehaves: empty writes, a flood of bad commands, a
//! client that stops reading; and a daemon whose socket file was removed under it. The daemon
//! must keep deciding, keep its log bounded, let the next client in, and stop on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, Instant};

use support::net::{Daemon, TestNet};
use support::responder::Responder;
use support::root_test;
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::policy::{
    PolicyDocument, PolicyRule, RuleAction, RuleDestination, RuleDirection,
};
use zenithfence_protocol::{Command, Info, PolicyPart, Verdict};
use zenithfenced::client_socket::DaemonClient;

fn connection_id(info: &Info) -> Option<u64> {
    match info {
        Info::ConnectionV4(c) => Some(c.id),
        Info::ConnectionV6(c) => Some(c.id),
        _ => None,
    }
}

/// The commands-rejected counter of the last Counters info.
fn rejected_commands(infos: &[Info]) -> Option<u64> {
    infos.iter().rev().find_map(|i| match i {
        Info::Counters(c) => c.values.get(5).copied(),
        _ => None,
    })
}

#[test]
fn an_empty_write_is_rejected_and_the_held_connection_waits_for_the_real_verdict() {
    let Some(_serial) =
        root_test("an_empty_write_is_rejected_and_the_held_connection_waits_for_the_real_verdict")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("x");
    // Were the empty write taken for the client leaving, the detached policy would let curl in.
    let daemon = Daemon::start(
        &net,
        &["--detached", "accept", "--hold-timeout-ms", "60000"],
    );
    let app = Responder::start(&daemon.socket, Box::new(|_| None));
    let (ns, url) = (net.a.clone(), format!("http://{}:8080/", net.ip4_b));
    let fetch = std::thread::spawn(move || {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &ns, "curl", "-s", "--max-time", "8", &url])
            .output()
            .unwrap();
        out.status.code()
    });
    assert!(app.wait_for(Duration::from_secs(5), |i| i
        .iter()
        .any(|i| connection_id(i).is_some())));
    let id = app.infos().iter().find_map(connection_id).unwrap();
    app.send_raw(&[]);
    app.send(&Command::GetCounters);
    assert!(
        app.wait_for(Duration::from_secs(2), |i| rejected_commands(i) == Some(1)),
        "the empty write was counted as a rejected command"
    );
    assert_eq!(
        net.kernel_queue(daemon.queue).map(|q| q.0),
        Some(1),
        "the connection is still held"
    );
    app.send(&Command::Verdict {
        id,
        verdict: Verdict::Block,
    });
    assert_eq!(
        fetch.join().unwrap(),
        Some(7),
        "blocked by the client's verdict"
    );
    app.send(&Command::GetLogs);
    assert!(
        app.wait_for(Duration::from_secs(2), |i| i.iter().any(|i| matches!(
            i,
            Info::LogLine(l) if l.severity == 5 && l.text.contains("empty command write")
        ))),
        "the rejection was logged"
    );
}

#[test]
fn a_hundred_thousand_bad_commands_write_a_few_lines_of_log() {
    let Some(_serial) = root_test("a_hundred_thousand_bad_commands_write_a_few_lines_of_log")
    else {
        return;
    };
    let net = TestNet::new();
    let daemon = Daemon::start_logged(&net, &[]);
    let app = Responder::start(&daemon.socket, Box::new(|_| None));
    let bad: [&[u8]; 4] = [&[1, 2, 3], &[200], &[6, 0], &[]];
    const COMMANDS: u64 = 100_000;
    for i in 0..COMMANDS {
        app.send_raw(bad[(i % 4) as usize]);
    }
    app.send(&Command::GetCounters);
    assert!(
        app.wait_for(Duration::from_secs(30), |i| rejected_commands(i)
            == Some(COMMANDS)),
        "every bad command was read and rejected: {:?}",
        rejected_commands(&app.infos())
    );
    drop(app);
    let stderr_path = daemon.stderr.clone().unwrap();
    assert!(
        daemon
            .stop_within("TERM", Duration::from_secs(10))
            .is_some_and(|s| s.success()),
        "stopped"
    );
    let log = std::fs::read_to_string(&stderr_path).unwrap();
    eprintln!(
        "{COMMANDS} bad commands: {} bytes, {} lines of stderr",
        log.len(),
        log.lines().count()
    );
    let head: String = log.chars().take(2000).collect();
    assert!(
        log.len() < 16 * 1024,
        "the log stays small (unlimited, it was about 7 MB), it begins:\n{head}"
    );
    assert!(
        log.contains("rejected command: empty command write") && log.contains("more times in"),
        "each kind is shown, then counted:\n{head}"
    );
}

/// A valid policy document of exactly one full part (8192 bytes).
fn full_part_document(generation: u64) -> Vec<u8> {
    let rule = |tag: u32, path_len: usize| PolicyRule {
        tag,
        action: RuleAction::Block,
        app_decides: false,
        direction: RuleDirection::Outbound,
        protocol: None,
        port_from: 0,
        port_to: 65535,
        updated_at: 0,
        expires_at: None,
        app: Some(format!("/{}", "a".repeat(path_len - 1))),
        destination: RuleDestination::Any,
    };
    let mut document = PolicyDocument {
        flags: 0,
        generation,
        no_app_action: 2,
        rules: vec![rule(1, 4096), rule(2, 1)],
        blocklist: Default::default(),
    };
    let short = document.encode().len();
    document.rules[1] = rule(2, 1 + 8192 - short);
    let bytes = document.encode();
    assert_eq!(bytes.len(), 8192);
    bytes
}

fn policy_generations(infos: &[Info]) -> Vec<u64> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::PolicyState(s) => Some(s.generation),
            _ => None,
        })
        .collect()
}

#[test]
fn a_write_longer_than_a_full_policy_part_is_refused_whole_not_read_in_part() {
    let Some(_serial) =
        root_test("a_write_longer_than_a_full_policy_part_is_refused_whole_not_read_in_part")
    else {
        return;
    };
    let net = TestNet::new();
    let daemon = Daemon::start_logged(&net, &[]);
    let app = Responder::start_features(&daemon.socket, Box::new(|_| None), Some(feature::ALL));
    assert!(app.wait_for(Duration::from_secs(2), |i| policy_generations(i) == [0]));
    let document = full_part_document(21);
    let mut write = Vec::new();
    Command::PolicyPart(PolicyPart {
        generation: 21,
        total_len: 8192,
        offset: 0,
        data: &document,
    })
    .encode(&mut write);
    // Its first 8211 bytes are a valid part holding the whole document: read in part (cut to a
    // buffer of the longest command), it would be put in force.
    write.extend_from_slice(&[0xee; 10]);
    app.send_raw(&write);
    app.send(&Command::GetCounters);
    assert!(
        app.wait_for(Duration::from_secs(2), |i| rejected_commands(i) == Some(1)),
        "rejected: {:?}",
        app.infos()
    );
    assert_eq!(
        policy_generations(&app.infos()),
        [0],
        "nothing was put in force"
    );
    assert!(daemon.stderr_text().contains(
        "rejected command: a write of 8221 bytes is longer than any command (at most 8211)"
    ));
    // The same document, sent as it should be, is taken.
    app.send_policy(21, &document);
    assert!(app.wait_for(Duration::from_secs(2), |i| policy_generations(i) == [0, 21]));
}

/// Connects, asks for far more infos than it reads, closes its sending side (unless argv[2] is
/// `stay`: then it stays connected) and never reads.
const STALLED_CLIENT: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(bytes([128, 1, 0, 7, 0, 0, 0]))
for _ in range(5000):
    s.send(bytes([129]))
if sys.argv[2:] != ['stay']:
    s.shutdown(socket.SHUT_WR)
print('stalled', flush=True)
time.sleep(60)
"#;

#[test]
fn a_client_that_stops_reading_cannot_keep_the_next_one_out() {
    let Some(_serial) = root_test("a_client_that_stops_reading_cannot_keep_the_next_one_out")
    else {
        return;
    };
    let mut net = TestNet::new();
    let daemon = Daemon::start(&net, &[]);
    let stalled = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &["-c", STALLED_CLIENT, &daemon.socket.to_string_lossy()],
    );
    assert_eq!(net.first_line(stalled), "stalled");
    // Refused while the stalled one holds the slot: the daemon closes the connection at once.
    let admitted = || -> std::io::Result<bool> {
        let mut client = DaemonClient::connect(&daemon.socket)?;
        client.set_read_timeout(Duration::from_millis(500))?;
        client.send(&Command::Hello {
            ext_version: 1,
            features: 7,
        })?;
        let items = client.read()?.unwrap_or_default();
        Ok(items.iter().any(|i| matches!(i, Ok(Info::HelloReply(_)))))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got_in = false;
    while !got_in && Instant::now() < deadline {
        got_in = admitted().unwrap_or(false);
        if !got_in {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(got_in, "the next client got in");
}

/// At a stop the daemon waits for its client's writer to send what is queued, but only so
/// long: a client that stays connected and reads nothing cannot keep it from stopping cleanly
/// (the watchdog, after 5 s, would end it with status 1).
#[test]
fn a_connected_client_that_reads_nothing_does_not_hold_up_the_stop() {
    let Some(_serial) =
        root_test("a_connected_client_that_reads_nothing_does_not_hold_up_the_stop")
    else {
        return;
    };
    let mut net = TestNet::new();
    let daemon = Daemon::start(&net, &[]);
    let socket = daemon.socket.to_string_lossy().into_owned();
    let stalled = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &["-c", STALLED_CLIENT, &socket, "stay"],
    );
    assert_eq!(net.first_line(stalled), "stalled");
    // Its 5 000 requests answered fill its socket: the writer waits for it.
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let status = daemon.stop_within("TERM", Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "stopped cleanly: {status:?} after {:?}",
        started.elapsed()
    );
    assert_eq!(net.ruleset(&net.a), "", "the rules are removed");
}

#[test]
fn sigterm_stops_the_daemon_whose_socket_file_was_removed() {
    let Some(_serial) = root_test("sigterm_stops_the_daemon_whose_socket_file_was_removed") else {
        return;
    };
    let net = TestNet::new();
    let daemon = Daemon::start(&net, &[]);
    std::fs::remove_file(&daemon.socket).unwrap();
    let status = daemon.stop_within("TERM", Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "stopped cleanly: {status:?}"
    );
    assert_eq!(net.ruleset(&net.a), "", "the rules are removed");
}
