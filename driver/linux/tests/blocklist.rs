//! The policy's blocklist on real traffic: the real daemon in a namespace, started with a stored
//! policy whose no-app action is accept and whose lists hold a DNS name and an IPv6 network. With
//! no app ever connected, a listed network and a name learned from a resolver's answer are
//! blocked, a sibling name is not, a rule still beats the list; with an app connected the app
//! decides listed connections, and when it leaves the lists hold again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use support::net::{Daemon, TestNet};
use support::responder::{always, Responder};
use support::root_test;
use zenithfence_protocol::policy::{
    BlockedNetwork, PolicyBlocklist, PolicyDocument, PolicyRule, RuleAction, RuleDestination,
};
use zenithfence_protocol::{Info, Verdict};

/// Resolves argv[2] through the server at argv[1], then connects to the answer's port 8080;
/// prints "ok" or the error's type.
const RESOLVE_AND_CONNECT: &str = r#"
import socket, sys
name = b''.join(bytes([len(p)]) + p.encode() for p in sys.argv[2].split('.')) + b'\0'
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00' + name + b'\x00\x01\x00\x01', (sys.argv[1], 53))
ip = '.'.join(str(b) for b in s.recv(512)[-4:])
try:
    socket.create_connection((ip, 8080), 5).close()
    print('ok')
except OSError as e:
    print(type(e).__name__)
"#;

fn canonical(path: &str) -> String {
    std::fs::canonicalize(path)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// What connecting to `name` (resolved by b's DNS server to b) gave: "ok" or an error's name.
fn resolve_and_connect(net: &TestNet, name: &str) -> String {
    let out = net.exec(
        &net.a,
        "/usr/bin/python3",
        &["-c", RESOLVE_AND_CONNECT, &net.ip4_b, name],
    );
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Whether bash (an app no rule names) could open a TCP connection to `ip` port 8080.
fn bash_connects(net: &TestNet, ip: &str) -> bool {
    let script = format!("exec 3<>/dev/tcp/{ip}/8080");
    net.exec(&net.a, "timeout", &["5", "/usr/bin/bash", "-c", &script])
        .status
        .success()
}

/// Accept for what no rule decides; curl may reach b's IPv6 address (tag 1); the lists hold
/// `ads.zenith.test` and b's IPv6 /64.
fn document(net: &TestNet) -> PolicyDocument {
    let ip6_b: std::net::Ipv6Addr = net.ip6_b.parse().unwrap();
    let mut network = ip6_b.octets();
    network[8..].fill(0);
    PolicyDocument {
        flags: 0,
        generation: 21,
        no_app_action: Verdict::Accept as u8,
        rules: vec![PolicyRule {
            protocol: Some(6),
            ..PolicyRule::new(
                1,
                RuleAction::Allow,
                Some(&canonical("/usr/bin/curl")),
                RuleDestination::Ip6(ip6_b.octets()),
            )
        }],
        blocklist: PolicyBlocklist {
            names: ["ads.zenith.test"].into_iter().collect(),
            networks: vec![BlockedNetwork::V6 {
                network,
                prefix: 64,
            }],
        },
    }
}

#[test]
fn without_an_app_the_stored_blocklist_blocks_listed_names_and_networks() {
    let Some(_serial) =
        root_test("without_an_app_the_stored_blocklist_blocks_listed_names_and_networks")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("page");
    let (b, ip4_b) = (net.b.clone(), net.ip4_b.clone());
    let dns = net.spawn(&b, "/usr/bin/python3", &["-c", support::DNS_SERVER, &ip4_b]);
    assert_eq!(net.first_line(dns), "ready");
    let file = net.dir.join("stored-policy");
    std::fs::write(&file, document(&net).encode()).unwrap();
    let file_text = file.to_string_lossy().into_owned();
    let daemon = Daemon::start_logged(
        &net,
        &[
            "--detached",
            "block",
            "--policy-file",
            &file_text,
            "--dns-resolver",
            &ip4_b,
        ],
    );
    let ip6_url = format!("http://[{}]:8080/", net.ip6_b);

    // The listed network: blocked for bash, though the no-app action is accept; curl's rule
    // beats the list.
    assert!(!bash_connects(&net, &net.ip6_b), "b's IPv6 /64 is listed");
    assert_eq!(net.curl(&net.a, &ip6_url, &[]).0, 0, "curl's rule wins");
    // b's IPv4 address is not listed and has no name yet: the no-app action (accept).
    assert!(bash_connects(&net, &ip4_b));
    // A sibling suffix of a listed name lists nothing; a name below a listed one does.
    assert_eq!(resolve_and_connect(&net, "www.notads.zenith.test"), "ok");
    assert_ne!(resolve_and_connect(&net, "www.ads.zenith.test"), "ok");
    // The address now carries a listed name, whoever connects to it.
    assert!(!bash_connects(&net, &ip4_b));
    let log = daemon.stderr_text();
    assert!(
        log.contains(&format!(
            "stored policy generation 21 in force: 1 rules, a blocklist of 1 names and 1 networks, from {file_text}"
        )),
        "{log}"
    );

    // With an app connected the app decides listed connections (this one accepts them all).
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    assert!(bash_connects(&net, &net.ip6_b), "the app accepted it");
    let asked = app.wait_for(Duration::from_secs(3), |infos| {
        infos
            .iter()
            .any(|i| matches!(i, Info::ConnectionV6(c) if c.remote_port == 8080))
    });
    assert!(
        asked,
        "asked about the listed connection: {:?}",
        app.infos()
    );
    // It leaves: the lists hold again.
    drop(app.disconnect());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !daemon.stderr_text().contains("client disconnected") {
        assert!(std::time::Instant::now() < deadline, "the app never left");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!bash_connects(&net, &net.ip6_b));
}
