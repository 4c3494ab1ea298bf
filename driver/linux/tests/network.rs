//! Network facts (NetworkFacts infos, feature NETWORK, command NetworkSeen) on real routes: the
//! daemon's namespace has two gateways, each in a namespace of its own behind its own veth pair,
//! with MAC addresses the test chose. Switching the default route to a gateway without a
//! neighbour entry gives two NetworkFacts with consecutive epochs: at once the gateway's address
//! marked as being resolved (flags bit 3, no MAC), then its MAC (resolved at the daemon's
//! request: the test sends nothing to a gateway first); to a gateway the neighbour table knows,
//! one. A gateway that withholds its ARP answer gets, after the marked facts, facts without a
//! MAC a second later. A tun device with a program behind it is a VPN, the resolver
//! configuration gives the DNS suffix, and a client not granted NETWORK gets none. After a
//! change, from the marked facts on, a connection a policy rule allows is held and asked about
//! until the client says NetworkSeen for the last facts; then the rule decides it again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use support::net::{Daemon, TestNet};
use support::responder::{always, Responder};
use support::root_test;
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::info_network::network_flags;
use zenithfence_protocol::policy::{PolicyDocument, PolicyRule, RuleAction, RuleDestination};
use zenithfence_protocol::{Command, Info, NetworkFacts, Verdict};

const MAC_B: &str = "02:00:00:0b:00:01";
const MAC_C: &str = "02:00:00:0c:00:01";

/// Holds a tun device open (argv[1]) so that it has a carrier, until killed.
const TUN_HOLDER: &str = r#"
import fcntl, os, struct, sys, time
fd = os.open('/dev/net/tun', os.O_RDWR)
# TUNSETIFF with IFF_TUN | IFF_NO_PI, as `ip tuntap add mode tun` made it.
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', sys.argv[1].encode(), 0x1001))
print('attached', flush=True)
time.sleep(120)
"#;

fn ip(args: &[&str]) {
    let out = Process::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mac_bytes(text: &str) -> [u8; 6] {
    let bytes: Vec<u8> = text
        .split(':')
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

/// An IPv4 address as NetworkFacts holds it.
fn held(text: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&text.parse::<std::net::Ipv4Addr>().unwrap().octets());
    out
}

/// The second gateway: namespace `c` behind the veth pair `veth2` (in `a`) and `veth3`, on
/// 10.202.n.0/24; gateway B (`b`'s veth1) gets [`MAC_B`], this one [`MAC_C`]. Namespace `c`
/// is deleted on drop (the pair goes with `a`, which the net deletes).
struct SecondGateway {
    ns: String,
    ip4_c: String,
}

impl SecondGateway {
    fn add(net: &TestNet) -> SecondGateway {
        let n = net.ip4_a.split('.').nth(2).unwrap();
        let gateway = SecondGateway {
            ns: format!("{}c", net.a),
            ip4_c: format!("10.202.{n}.2"),
        };
        let c = gateway.ns.as_str();
        ip(&["netns", "add", c]);
        ip(&[
            "-n", &net.a, "link", "add", "veth2", "type", "veth", "peer", "name", "veth3", "netns",
            c,
        ]);
        ip(&[
            "-n",
            &net.a,
            "addr",
            "add",
            &format!("10.202.{n}.1/24"),
            "dev",
            "veth2",
        ]);
        ip(&[
            "-n",
            c,
            "addr",
            "add",
            &format!("{}/24", gateway.ip4_c),
            "dev",
            "veth3",
        ]);
        ip(&["-n", &net.b, "link", "set", "veth1", "address", MAC_B]);
        ip(&["-n", c, "link", "set", "veth3", "address", MAC_C]);
        for (ns, dev) in [(net.a.as_str(), "veth2"), (c, "veth3"), (c, "lo")] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        gateway
    }
}

impl Drop for SecondGateway {
    fn drop(&mut self) {
        let _ = Process::new("ip").args(["netns", "del", &self.ns]).output();
    }
}

/// A process killed (and reaped) when dropped, also when the test fails first.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The interface index of `dev` in `ns`.
fn if_index(net: &TestNet, ns: &str, dev: &str) -> u32 {
    let out = net.exec(ns, "cat", &[&format!("/sys/class/net/{dev}/ifindex")]);
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Whether `ns` has a neighbour entry for `address` (any state).
fn has_neighbour(net: &TestNet, ns: &str, address: &str) -> bool {
    let out = net.exec(ns, "ip", &["neigh", "show", address]);
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

fn facts(infos: &[Info]) -> Vec<NetworkFacts> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::NetworkFacts(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

/// Waits until the client has `count` NetworkFacts; returns them.
fn wait_facts(app: &Responder, count: usize) -> Vec<NetworkFacts> {
    assert!(
        app.wait_for(Duration::from_secs(5), |i| facts(i).len() >= count),
        "{count} network facts: {:?}",
        facts(&app.infos())
    );
    facts(&app.infos())
}

/// The commands-rejected counter, after a GetCounters sent now: its answer also says that
/// every command sent before it was handled.
fn rejected_commands(app: &Responder) -> u64 {
    let counters = |infos: &[Info]| {
        infos
            .iter()
            .filter(|i| matches!(i, Info::Counters(_)))
            .count()
    };
    let before = counters(&app.infos());
    app.send(&Command::GetCounters);
    assert!(app.wait_for(Duration::from_secs(3), |i| counters(i) > before));
    app.infos()
        .iter()
        .rev()
        .find_map(|i| match i {
            Info::Counters(c) => Some(c.values[5]),
            _ => None,
        })
        .unwrap()
}

fn hello_replies(infos: &[Info]) -> usize {
    infos
        .iter()
        .filter(|i| matches!(i, Info::HelloReply(_)))
        .count()
}

#[test]
fn network_facts_follow_the_default_route_and_only_a_network_client_gets_them() {
    let Some(_serial) =
        root_test("network_facts_follow_the_default_route_and_only_a_network_client_gets_them")
    else {
        return;
    };
    let mut net = TestNet::new();
    let gateway = SecondGateway::add(&net);
    let (a, ip4_b, ip4_c) = (net.a.clone(), net.ip4_b.clone(), gateway.ip4_c.clone());
    net.resolv_conf(&a, &format!("nameserver {ip4_b}\nsearch Zenith.Test.\n"));
    ip(&["-n", &a, "route", "add", "default", "via", &ip4_b]);
    assert!(
        !has_neighbour(&net, &a, &ip4_b),
        "nothing was sent to B yet"
    );
    // Debug lines too: the SSID lookup's.
    let daemon = Daemon::start_logged(&net, &["--log-level", "debug"]);
    let veth0 = if_index(&net, &a, "veth0");
    let veth2 = if_index(&net, &a, "veth2");
    // At start, first B being resolved, then its MAC: the daemon had the kernel resolve it.
    daemon.wait_log(
        &format!("network facts 1: default route via {ip4_b} (MAC being resolved) on veth0 (index {veth0}), DNS suffix zenith.test"),
    );
    daemon.wait_log(
        &format!("network facts 2: default route via {ip4_b} ({MAC_B}) on veth0 (index {veth0}), DNS suffix zenith.test"),
    );
    // No SSID (the lines say none): the test machines have no Wi-Fi, not even cfg80211, so the
    // daemon found no nl80211 family, quietly (the live lookup is exercised only on that path;
    // `ssid_lookup.rs` tests its latency, and the replies of a Wi-Fi kernel with hand-built
    // messages). A veth is not Wi-Fi either where cfg80211 is loaded: also no SSID, no error.
    if !std::path::Path::new("/sys/module/cfg80211").exists() {
        daemon.wait_log("no nl80211 in the kernel (no Wi-Fi)");
    }

    // A client without NETWORK: no facts, and its NetworkSeen is refused.
    let app = Responder::start_features(
        &daemon.socket,
        always(Verdict::Accept),
        Some(feature::PROCESS | feature::COUNTERS | feature::POLICY),
    );
    assert!(app.wait_for(Duration::from_secs(3), |i| hello_replies(i) == 1));
    assert!(
        !has_neighbour(&net, &a, &ip4_c),
        "nothing was sent to C yet"
    );
    ip(&["-n", &a, "route", "replace", "default", "via", &ip4_c]);
    daemon.wait_log(&format!(
        "network facts 3: default route via {ip4_c} (MAC being resolved) on veth2 (index {veth2})"
    ));
    daemon.wait_log(&format!(
        "network facts 4: default route via {ip4_c} ({MAC_C}) on veth2 (index {veth2})"
    ));
    app.send(&Command::NetworkSeen { epoch: 4 });
    assert_eq!(rejected_commands(&app), 1, "NetworkSeen without NETWORK");
    assert!(facts(&app.infos()).is_empty(), "{:?}", app.infos());

    // The same client says Hello with NETWORK: the facts in force right after the reply.
    app.send(&Command::Hello {
        ext_version: 1,
        features: feature::ALL,
    });
    let got = wait_facts(&app, 1);
    let infos = app.infos();
    let reply = infos
        .iter()
        .rposition(|i| matches!(i, Info::HelloReply(_)))
        .unwrap();
    assert!(
        matches!(infos[reply + 1], Info::PolicyState(_)),
        "{infos:?}"
    );
    assert!(
        matches!(infos[reply + 2], Info::NetworkFacts(_)),
        "{infos:?}"
    );
    let via_c = NetworkFacts {
        epoch: 4,
        flags: network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC,
        ip_version: 4,
        gateway_ip: held(&ip4_c),
        gateway_mac: mac_bytes(MAC_C),
        if_index: veth2,
        interface_name: "veth2".into(),
        dns_suffix: "zenith.test".into(),
        ssid: vec![],
    };
    assert_eq!(got, vec![via_c.clone()]);

    // Back to B, whose neighbour entry is gone: at once B being resolved, then B's MAC, in
    // that order and with consecutive epochs (the MAC known before is not carried over: the
    // route left B).
    ip(&["-n", &a, "neigh", "del", &ip4_b, "dev", "veth0"]);
    assert!(!has_neighbour(&net, &a, &ip4_b), "B's entry is gone");
    ip(&["-n", &a, "route", "replace", "default", "via", &ip4_b]);
    let via_b = NetworkFacts {
        epoch: 6,
        gateway_ip: held(&ip4_b),
        gateway_mac: mac_bytes(MAC_B),
        if_index: veth0,
        interface_name: "veth0".into(),
        ..via_c.clone()
    };
    let resolving_b = NetworkFacts {
        epoch: 5,
        flags: network_flags::DEFAULT_ROUTE | network_flags::RESOLVING_MAC,
        gateway_mac: [0; 6],
        ..via_b.clone()
    };
    assert_eq!(wait_facts(&app, 3)[1..], [resolving_b, via_b.clone()]);

    // A tun device that is up but has no program behind it is no VPN: its link changes read
    // the tables again, and nothing changed.
    ip(&["-n", &a, "tuntap", "add", "dev", "zfvpn0", "mode", "tun"]);
    ip(&["-n", &a, "link", "set", "zfvpn0", "up"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(facts(&app.infos()).len(), 3, "{:?}", facts(&app.infos()));
    let mut holder = KillOnDrop(
        Process::new("ip")
            .args([
                "netns",
                "exec",
                &a,
                "/usr/bin/python3",
                "-c",
                TUN_HOLDER,
                "zfvpn0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.0.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "attached");
    // Its MAC is kept while the route keeps B: no bit 3.
    let vpn = NetworkFacts {
        epoch: 7,
        flags: via_b.flags | network_flags::VPN,
        ..via_b.clone()
    };
    assert_eq!(wait_facts(&app, 4)[3], vpn);
    drop(holder);
    assert_eq!(
        wait_facts(&app, 5)[4],
        NetworkFacts {
            epoch: 8,
            ..via_b.clone()
        }
    );

    // Another search domain (the file is looked at about once a second).
    net.resolv_conf(&a, &format!("nameserver {ip4_b}\nsearch Other.Test\n"));
    let suffix = NetworkFacts {
        epoch: 9,
        dns_suffix: "other.test".into(),
        ..via_b.clone()
    };
    assert_eq!(wait_facts(&app, 6)[5], suffix);

    // Back to C, which the neighbour table still knows: one facts, with its MAC, no bit 3.
    assert!(has_neighbour(&net, &a, &ip4_c));
    ip(&["-n", &a, "route", "replace", "default", "via", &ip4_c]);
    assert_eq!(
        wait_facts(&app, 7)[6],
        NetworkFacts {
            epoch: 10,
            dns_suffix: "other.test".into(),
            ..via_c.clone()
        }
    );

    // No default route: every field empty but the epoch.
    ip(&["-n", &a, "route", "del", "default"]);
    assert_eq!(
        wait_facts(&app, 8)[7],
        NetworkFacts {
            epoch: 11,
            ..NetworkFacts::default()
        }
    );
    // One per change, nothing in between.
    std::thread::sleep(Duration::from_millis(300));
    let epochs: Vec<u32> = facts(&app.infos()).iter().map(|f| f.epoch).collect();
    assert_eq!(epochs, (4..=11).collect::<Vec<u32>>());
    let log = daemon.stderr_text();
    assert!(
        !log.contains("cannot ask for nl80211") && !log.contains("cannot read interface"),
        "{log}"
    );
}

fn connections_to(infos: &[Info], port: u16) -> usize {
    infos
        .iter()
        .filter(|i| matches!(i, Info::ConnectionV4(c) if c.remote_port == port))
        .count()
}

fn rule_decisions(infos: &[Info]) -> usize {
    infos
        .iter()
        .filter(|i| matches!(i, Info::RuleDecidedV4(_)))
        .count()
}

#[test]
fn after_a_network_change_the_policy_decides_again_only_once_the_client_saw_it() {
    let Some(_serial) =
        root_test("after_a_network_change_the_policy_decides_again_only_once_the_client_saw_it")
    else {
        return;
    };
    let mut net = TestNet::new();
    let gateway = SecondGateway::add(&net);
    let (a, ip4_b, ip4_c) = (net.a.clone(), net.ip4_b.clone(), gateway.ip4_c.clone());
    ip(&["-n", &a, "route", "add", "default", "via", &ip4_b]);
    net.http_server("page");
    let url = format!("http://{ip4_b}:8080/");
    let daemon = Daemon::start_logged(&net, &[]);
    // B being resolved, then B's MAC.
    daemon.wait_log("network facts 2:");
    // The app: answers what it is asked with Accept.
    let app =
        Responder::start_features(&daemon.socket, always(Verdict::Accept), Some(feature::ALL));
    let document = PolicyDocument {
        flags: 0,
        generation: 8,
        no_app_action: Verdict::Block as u8,
        rules: vec![PolicyRule {
            protocol: Some(6),
            port_from: 8080,
            port_to: 8080,
            ..PolicyRule::new(
                1,
                RuleAction::Allow,
                None,
                RuleDestination::Ip4(ip4_b.parse::<std::net::Ipv4Addr>().unwrap().octets()),
            )
        }],
        blocklist: Default::default(),
    };
    app.send_policy(8, &document.encode());
    assert!(app.wait_for(Duration::from_secs(5), |i| i
        .iter()
        .any(|i| matches!(i, Info::PolicyState(s) if s.generation == 8))));
    assert_eq!(wait_facts(&app, 1)[0].epoch, 2);

    // Facts 2 not seen yet: the rule does not decide, the app is asked.
    assert_eq!(net.curl(&a, &url, &[]).0, 0);
    assert!(app.wait_for(Duration::from_secs(3), |i| connections_to(i, 8080) == 1));
    assert_eq!(rule_decisions(&app.infos()), 0);
    app.send(&Command::NetworkSeen { epoch: 2 });
    assert_eq!(rejected_commands(&app), 0);
    assert_eq!(net.curl(&a, &url, &[]).0, 0);
    assert!(app.wait_for(Duration::from_secs(3), |i| rule_decisions(i) == 1));
    assert_eq!(connections_to(&app.infos(), 8080), 1, "decided by the rule");

    // Another network, whose gateway withholds its ARP answer: the facts marked as being
    // resolved come at once, and from them on a connection is held and asked (a ConnectionV4
    // after them, no RuleDecided), not decided by the rule of the network left.
    ip(&["-n", &gateway.ns, "link", "set", "veth3", "arp", "off"]);
    ip(&["-n", &a, "route", "replace", "default", "via", &ip4_c]);
    let marked = wait_facts(&app, 2)[1].clone();
    assert_eq!(
        (marked.epoch, marked.flags, marked.gateway_mac),
        (
            3,
            network_flags::DEFAULT_ROUTE | network_flags::RESOLVING_MAC,
            [0; 6]
        ),
        "{marked:?}"
    );
    assert_eq!(net.curl(&a, &url, &[]).0, 0);
    assert!(app.wait_for(Duration::from_secs(3), |i| connections_to(i, 8080) == 2));
    // A second later, still no answer: the facts without a MAC, and without bit 3.
    let given_up = wait_facts(&app, 3)[2].clone();
    assert_eq!(
        (given_up.epoch, given_up.flags, given_up.gateway_ip),
        (4, network_flags::DEFAULT_ROUTE, held(&ip4_c)),
        "{given_up:?}"
    );
    let infos = app.infos();
    let at_epoch = |epoch: u32| {
        infos
            .iter()
            .position(|i| matches!(i, Info::NetworkFacts(n) if n.epoch == epoch))
            .unwrap()
    };
    let asked = infos
        .iter()
        .rposition(|i| matches!(i, Info::ConnectionV4(c) if c.remote_port == 8080))
        .unwrap();
    assert!(
        at_epoch(3) < asked && asked < at_epoch(4),
        "the question comes between the marked facts and the next: {infos:?}"
    );
    assert_eq!(rule_decisions(&infos), 1);

    // An epoch never sent is refused and changes nothing.
    app.send(&Command::NetworkSeen { epoch: 5 });
    assert_eq!(rejected_commands(&app), 1);
    assert_eq!(net.curl(&a, &url, &[]).0, 0);
    assert!(app.wait_for(Duration::from_secs(3), |i| connections_to(i, 8080) == 3));
    assert_eq!(rule_decisions(&app.infos()), 1);

    // Seen: the rule decides again.
    app.send(&Command::NetworkSeen { epoch: 4 });
    assert_eq!(rejected_commands(&app), 1);
    assert_eq!(net.curl(&a, &url, &[]).0, 0);
    assert!(app.wait_for(Duration::from_secs(3), |i| rule_decisions(i) == 2));
    assert_eq!(connections_to(&app.infos(), 8080), 3);
}
