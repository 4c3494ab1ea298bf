//! The DNS log (DnsExchange infos, feature DNS_LOG) on real traffic: a process in the daemon's
//! namespace resolves names through a resolver in the other namespace (an answer with addresses
//! of both families and an NXDOMAIN) and through a loopback resolver (whose queries are never
//! held, so only the daemon's wake-up on logged DNS finds the asking socket still open). Each
//! exchange names the asking process, after a Process info for it; a client that did not ask
//! for DNS_LOG gets none.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use support::net::{Daemon, TestNet};
use support::responder::Responder;
use support::root_test;
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::{Command, DnsExchange, Info, Verdict};

/// A resolver on argv[1]:53. `missing.*` is NXDOMAIN; any other name has the A records
/// 192.0.2.10 (TTL 300) and 192.0.2.11 (TTL 120), and the AAAA record 2001:db8::10 (TTL 90).
const RESOLVER: &str = r#"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print('ready', flush=True)
def record(rtype, ttl, data):
    return b'\xc0\x0c' + struct.pack('>HHIH', rtype, 1, ttl, len(data)) + data
while True:
    q, peer = s.recvfrom(512)
    end = q.index(b'\0', 12) + 5
    question = q[12:end]
    qtype = struct.unpack('>H', question[-4:-2])[0]
    flags, records = 0x8180, []
    if question[1:8] == b'missing':
        flags = 0x8183
    elif qtype == 1:
        records = [record(1, 300, bytes([192, 0, 2, 10])), record(1, 120, bytes([192, 0, 2, 11]))]
    elif qtype == 28:
        records = [record(28, 90, socket.inet_pton(socket.AF_INET6, '2001:db8::10'))]
    header = q[:2] + struct.pack('>HHHHH', flags, 1, len(records), 0, 0)
    s.sendto(header + question + b''.join(records), peer)
"#;

/// Prints its pid, then asks the resolver at argv[1] each `NAME:QTYPE` of argv[2:], one socket
/// each, and closes that socket 100 ms after the answer came (the daemon looks the socket up
/// when the answer is logged, before the answer even reaches this process). An argument
/// `--device=NAME` first binds each socket to that interface.
const ASKER: &str = r#"
import os, socket, struct, sys, time
print(os.getpid(), flush=True)
device = sys.argv[2][len('--device='):] if sys.argv[2].startswith('--device=') else None
for i, item in enumerate(sys.argv[3 if device else 2:]):
    name, qtype = item.split(':')
    wire = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if device:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    s.settimeout(5)
    query = struct.pack('>HHHHHH', 0x5000 + i, 0x0100, 1, 0, 0, 0) + wire + struct.pack('>HH', int(qtype), 1)
    s.sendto(query, (sys.argv[1], 53))
    s.recv(512)
    time.sleep(0.1)
    s.close()
"#;

/// Runs the asker in `ns`; returns its pid.
fn ask(net: &TestNet, ns: &str, resolver: &str, questions: &[&str]) -> u64 {
    let mut args = vec!["-c", ASKER, resolver];
    args.extend_from_slice(questions);
    let out = net.exec(ns, "/usr/bin/python3", &args);
    assert!(
        out.status.success(),
        "asker: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.trim().parse().expect("the asker's pid")
}

fn exchanges(infos: &[Info]) -> Vec<(usize, &DnsExchange)> {
    infos
        .iter()
        .enumerate()
        .filter_map(|(at, i)| match i {
            Info::DnsExchange(e) => Some((at, e)),
            _ => None,
        })
        .collect()
}

fn v4(text: &str) -> [u8; 4] {
    text.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

/// An IPv4 address as a DnsExchange holds it.
fn held(text: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&v4(text));
    out
}

/// Asserts that the info at `at` comes after a Process info for its pid naming python3.
fn asked_by_python_after_its_process_info(infos: &[Info], at: usize, pid: u64) {
    let python = std::fs::canonicalize("/usr/bin/python3").unwrap();
    let process = infos[..at].iter().rev().find_map(|i| match i {
        Info::Process(p) if p.process_id == pid => Some(p),
        _ => None,
    });
    let process = process.unwrap_or_else(|| panic!("no Process info for {pid} before {at}"));
    assert_eq!(process.path, python.to_string_lossy());
}

#[test]
fn dns_exchanges_name_the_asking_process_and_only_a_dns_log_client_gets_them() {
    let Some(_serial) =
        root_test("dns_exchanges_name_the_asking_process_and_only_a_dns_log_client_gets_them")
    else {
        return;
    };
    let mut net = TestNet::new();
    let (a, b, ip4_a, ip4_b) = (
        net.a.clone(),
        net.b.clone(),
        net.ip4_a.clone(),
        net.ip4_b.clone(),
    );
    let remote = net.spawn(&b, "/usr/bin/python3", &["-c", RESOLVER, "0.0.0.0"]);
    assert_eq!(net.first_line(remote), "ready");
    let local = net.spawn(&a, "/usr/bin/python3", &["-c", RESOLVER, "127.0.0.53"]);
    assert_eq!(net.first_line(local), "ready");
    let daemon = Daemon::start(
        &net,
        &["--dns-resolver", &ip4_b, "--dns-resolver", "127.0.0.53"],
    );
    // PROCESS, DNS and COUNTERS: no DNS log.
    let app = Responder::start(
        &daemon.socket,
        Box::new(|_| Some((Verdict::PermanentAccept, Duration::ZERO))),
    );

    ask(&net, &a, &ip4_b, &["before.zenith.test:1"]);
    assert!(app.wait_for(Duration::from_secs(3), |i| i
        .iter()
        .any(|i| matches!(i, Info::DnsNameV4(d) if d.name == "before.zenith.test"))));
    // Everything queued before the second HelloReply was for the first grant.
    app.send(&Command::Hello {
        ext_version: 1,
        features: feature::PROCESS | feature::DNS | feature::DNS_LOG,
    });
    let replies = |infos: &[Info]| -> Vec<usize> {
        (0..infos.len())
            .filter(|&at| matches!(infos[at], Info::HelloReply(_)))
            .collect()
    };
    assert!(app.wait_for(Duration::from_secs(3), |i| replies(i).len() == 2));
    let infos = app.infos();
    let second_reply = replies(&infos)[1];
    let Info::HelloReply(granted) = &infos[second_reply] else {
        unreachable!()
    };
    assert_eq!(
        granted.features,
        feature::PROCESS | feature::DNS | feature::DNS_LOG
    );
    assert!(
        exchanges(&infos).is_empty(),
        "no DnsExchange without DNS_LOG: {infos:?}"
    );

    // Through the resolver in the other namespace: the queries are held and decided.
    let pid = ask(
        &net,
        &a,
        &ip4_b,
        &[
            "found.zenith.test:1",
            "found.zenith.test:28",
            "missing.zenith.test:1",
        ],
    );
    assert!(
        app.wait_for(Duration::from_secs(5), |i| exchanges(i).len() == 3),
        "three exchanges: {:?}",
        app.infos()
    );
    let infos = app.infos();
    let logged = exchanges(&infos);
    for &(at, e) in &logged {
        assert!(at > second_reply);
        assert_eq!(e.process_id, pid, "{e:?}");
        asked_by_python_after_its_process_info(&infos, at, pid);
        assert_eq!((e.ip_version, e.local_ip), (4, held(&ip4_a)));
        assert_eq!((e.resolver_ip, e.resolver_port), (held(&ip4_b), 53));
        assert_ne!(e.local_port, 0);
    }
    let summary: Vec<_> = logged
        .iter()
        .map(|(_, e)| {
            (
                e.name.as_str(),
                e.qtype,
                e.rcode,
                e.ttl_s,
                e.v4_addresses.clone(),
                e.v6_addresses.clone(),
            )
        })
        .collect();
    let v6: [u8; 16] = "2001:db8::10"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    assert_eq!(
        summary,
        vec![
            (
                "found.zenith.test",
                1,
                0,
                120,
                vec![v4("192.0.2.10"), v4("192.0.2.11")],
                vec![]
            ),
            ("found.zenith.test", 28, 0, 90, vec![], vec![v6]),
            ("missing.zenith.test", 1, 3, 0, vec![], vec![]),
        ]
    );
    // Each exchange comes right after its answer's names.
    let (first_at, _) = logged[0];
    assert!(matches!(&infos[first_at - 1], Info::DnsNameV4(d) if d.ip == v4("192.0.2.11")));

    // Through a loopback resolver: nothing is held, the packet thread sleeps, and the answers
    // are read as they are logged, while the asking sockets are still open.
    let looped = ask(
        &net,
        &a,
        "127.0.0.53",
        &[
            "one.zenith.test:1",
            "two.zenith.test:1",
            "missing.zenith.test:1",
        ],
    );
    assert!(
        app.wait_for(Duration::from_secs(5), |i| exchanges(i).len() == 6),
        "three more exchanges: {:?}",
        app.infos()
    );
    let infos = app.infos();
    for (at, e) in exchanges(&infos).into_iter().skip(3) {
        assert_eq!(
            (e.process_id, e.resolver_ip, e.resolver_port),
            (looped, held("127.0.0.53"), 53),
            "{e:?}"
        );
        asked_by_python_after_its_process_info(&infos, at, looped);
    }

    // From a socket bound to its interface, which sock_diag finds only when asked with it:
    // the daemon asks with the interface the answer came in on.
    let bound = ask(&net, &a, &ip4_b, &["--device=veth0", "bound.zenith.test:1"]);
    assert!(
        app.wait_for(Duration::from_secs(5), |i| exchanges(i).len() == 7),
        "one more exchange: {:?}",
        app.infos()
    );
    let infos = app.infos();
    let (at, e) = exchanges(&infos)[6];
    assert_eq!(
        (e.name.as_str(), e.process_id),
        ("bound.zenith.test", bound)
    );
    asked_by_python_after_its_process_info(&infos, at, bound);
}
