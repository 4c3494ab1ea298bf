//! The daemon's netfilter rules on real traffic: what established packets traverse, and the
//! sweep of an older version's leftovers. Two namespaces, the real `zenithfenced`, real curl and
//! a python server; every client is bounded in time, every test removes its namespaces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use support::net::{Daemon, TestNet};
use support::responder::{always, Responder};
use support::root_test;
use zenithfence_protocol::Verdict;

/// Packets that took each jump from `builtin` into one of our chains: (target, packets), from
/// the rule counters `iptables-nft -L -v -x` prints.
fn jump_counters(net: &TestNet, table: &str, builtin: &str) -> Vec<(String, u64)> {
    let out = net.exec(
        &net.a,
        "iptables-nft",
        &["-w", "-t", table, "-L", builtin, "-v", "-x", "-n"],
    );
    assert!(out.status.success(), "iptables-nft -L {builtin}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let packets = words.first()?.parse().ok()?;
            let target = words.get(2)?;
            target
                .starts_with("ZF_")
                .then(|| (target.to_string(), packets))
        })
        .collect()
}

/// Packets that entered the verdict table's chain from each hook of the daemon's nft table,
/// from the counters on its guarded jumps (`nft list table`).
fn verdict_table_entries(net: &TestNet, queue: u16) -> Vec<(String, u64)> {
    let table = format!("zf_verdict_{queue}");
    let out = net.exec(&net.a, "nft", &["list", "table", "inet", &table]);
    assert!(out.status.success(), "nft list table inet {table}");
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut chain = String::new();
    let mut found = Vec::new();
    for line in listed.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("chain ") {
            chain = name.trim_end_matches(" {").to_string();
        } else if let Some((_, after)) = line.split_once("counter packets ") {
            let packets = after.split(' ').next().and_then(|n| n.parse().ok());
            found.push((format!("nft {chain} -> verdict"), packets.unwrap()));
        }
    }
    assert_eq!(found.len(), 2, "a counted jump per hook:\n{listed}");
    found
}

/// Counting rules of the test's own (no target) for the packets to and from port 8080.
const COUNT_8080: [(&str, &str); 2] = [
    ("OUTPUT", "-p tcp --dport 8080"),
    ("INPUT", "-p tcp --sport 8080"),
];

/// The packets the counting rules saw.
fn flow_packets(net: &TestNet) -> u64 {
    COUNT_8080
        .iter()
        .map(|(builtin, _)| {
            let out = net.exec(
                &net.a,
                "iptables-nft",
                &["-w", "-t", "mangle", "-L", builtin, "-v", "-x", "-n"],
            );
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|line| line.contains("tcp") && line.contains(":8080"))
                .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

#[test]
fn packets_of_an_allowed_flow_never_enter_our_chains_after_the_first() {
    let Some(_serial) = root_test("packets_of_an_allowed_flow_never_enter_our_chains") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("index");
    // 4 MB: a few hundred packets each way, even with segmentation offload.
    std::fs::write(net.www().join("big"), vec![b'z'; 4 << 20]).unwrap();
    for (builtin, rule) in COUNT_8080 {
        let mut args = vec!["-w", "-t", "mangle", "-A", builtin];
        args.extend(rule.split(' '));
        assert!(net.exec(&net.a, "iptables-nft", &args).status.success());
    }
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    let url = format!("http://{}:8080/big", net.ip4_b);
    let (code, body, _) = net.curl(&net.a, &url, &["-o", "/dev/null", "-w", "%{size_download}"]);
    assert_eq!((code, body.as_str()), (0, "4194304"));
    assert_eq!(app.connections().len(), 1, "asked once");
    let packets = flow_packets(&net);
    assert!(packets > 50, "the download took {packets} packets");
    let mut entered = Vec::new();
    for (table, builtin) in [
        ("mangle", "OUTPUT"),
        ("mangle", "INPUT"),
        ("mangle", "POSTROUTING"),
    ] {
        for (target, count) in jump_counters(&net, table, builtin) {
            entered.push((format!("{table} {builtin} -> {target}"), count));
        }
    }
    entered.extend(verdict_table_entries(&net, daemon.queue));
    // Nothing of ours is left in filter, where older versions applied the verdicts.
    for builtin in ["OUTPUT", "INPUT"] {
        assert_eq!(jump_counters(&net, "filter", builtin), Vec::new());
    }
    // The SYN is NEW and carries the verdict: it enters ZF_OUT and the verdict chain once. The
    // rest of the flow, hundreds of packets each way, enters nothing of ours.
    let total: u64 = entered.iter().map(|(_, n)| n).sum();
    assert!(
        total <= 2,
        "{packets} packets in the flow, {total} entered our chains: {entered:?}"
    );
    assert!(
        entered
            .iter()
            .any(|(jump, n)| jump == "mangle OUTPUT -> ZF_OUT" && *n == 1),
        "the SYN was queued through the guarded jump: {entered:?}"
    );
    assert!(
        entered
            .iter()
            .any(|(jump, n)| jump == "nft out -> verdict" && *n == 1),
        "the accepted SYN had its verdict applied: {entered:?}"
    );
}

#[test]
fn packets_of_an_allowed_one_way_udp_flow_never_enter_our_chains_after_the_first() {
    let Some(_serial) = root_test("packets_of_an_allowed_one_way_udp_flow") else {
        return;
    };
    let mut net = TestNet::new();
    // A sink that never answers: the flow stays NEW (unreplied) for all its packets. Started
    // directly (`ip netns exec` becomes python), so the net's drop kills it with the namespace.
    net.spawn(
        &net.b.clone(),
        "python3",
        &[
            "-c",
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
             s.bind(('0.0.0.0',9999))\nwhile True: s.recv(2048)",
        ],
    );
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    // The first datagram is decided (its verdict saves the connmark), then 49 more follow.
    let sent = net.exec(
        &net.a,
        "timeout",
        &[
            "10",
            "python3",
            "-c",
            "import socket,sys,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
             time.sleep(0.3)\ns.sendto(b'x',(sys.argv[1],9999))\ntime.sleep(0.5)\n\
             for _ in range(49): s.sendto(b'y'*64,(sys.argv[1],9999))",
            &net.ip4_b,
        ],
    );
    assert!(sent.status.success(), "{sent:?}");
    assert_eq!(app.connections().len(), 1, "asked once");
    // The flow is unreplied, so all 50 of its packets are NEW: only the first may enter.
    let entered: u64 = jump_counters(&net, "mangle", "OUTPUT")
        .iter()
        .filter(|(target, _)| target == "ZF_OUT")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        entered, 1,
        "packets of the allowed flow that entered ZF_OUT"
    );
}

#[test]
fn an_older_versions_unguarded_rules_are_swept_at_start_and_nothing_is_left_at_stop() {
    let Some(_serial) = root_test("an_older_versions_unguarded_rules_are_swept") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("swept");
    // What version 0.x of the daemon left when killed: unguarded jumps into its chains.
    let old = "*mangle\n:ZF_OUT - [0:0]\n:ZF_IN - [0:0]\n:ZF_DNS_SENT - [0:0]\n\
               -I OUTPUT 1 -j ZF_OUT\n-I INPUT 1 -j ZF_IN\n\
               -I POSTROUTING 1 -p udp --dport 53 -j ZF_DNS_SENT\n\
               -A ZF_OUT -j NFQUEUE --queue-num 9 --queue-bypass\nCOMMIT\n\
               *filter\n:ZF_VERDICT - [0:0]\n-I OUTPUT 1 -j ZF_VERDICT\n-I INPUT 1 -j ZF_VERDICT\nCOMMIT\n";
    let restore = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &net.a,
            "iptables-nft-restore",
            "-w",
            "--noflush",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(old.as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(restore.success());
    // And what a killed daemon of this version leaves: its verdict table (of another queue).
    let leftover = net.exec(&net.a, "nft", &["add", "table", "inet", "zf_verdict_9"]);
    assert!(leftover.status.success());
    let daemon = Daemon::start(&net, &[]);
    let tables = net.exec(&net.a, "nft", &["list", "tables", "inet"]);
    let tables = String::from_utf8_lossy(&tables.stdout).into_owned();
    assert_eq!(
        tables.trim(),
        format!("table inet zf_verdict_{}", daemon.queue),
        "the leftover went, the daemon's own is there"
    );
    let saved = net.exec(&net.a, "iptables-nft-save", &[]);
    let saved = String::from_utf8_lossy(&saved.stdout).into_owned();
    let jumps: Vec<&str> = saved
        .lines()
        .filter(|l| l.starts_with("-A ") && !l.starts_with("-A ZF_") && l.contains("-j ZF_"))
        .collect();
    assert!(!jumps.is_empty(), "{saved}");
    assert!(
        jumps.iter().all(|l| l.contains("--ctstate NEW")
            || l.contains("--dport 53")
            || l.contains("--sport 53")),
        "only guarded jumps remain: {jumps:?}"
    );
    assert!(
        !saved.contains("--queue-num 9"),
        "the old chain's rules went"
    );
    // It still decides.
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    let (code, body, _) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!((code, body.as_str()), (0, "swept"));
    assert_eq!(app.connections().len(), 1);
    drop(app);
    assert!(daemon.stop("TERM").success());
    for tool in ["iptables-nft-save", "ip6tables-nft-save"] {
        let after = net.exec(&net.a, tool, &[]);
        let after = String::from_utf8_lossy(&after.stdout);
        assert!(!after.contains("ZF_"), "{tool} after SIGTERM:\n{after}");
    }
    let tables = net.exec(&net.a, "nft", &["list", "tables"]);
    assert!(
        !String::from_utf8_lossy(&tables.stdout).contains("zf_"),
        "no nft table of ours after SIGTERM"
    );
}

/// Whether `nft list chain FAMILY TABLE CHAIN` finds the chain in namespace a, and its listing.
fn chain_listing(net: &TestNet, family: &str, table: &str, chain: &str) -> Option<String> {
    let out = net.exec(&net.a, "nft", &["list", "chain", family, table, chain]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `nft` in namespace a with the whole command as one argument.
fn nft_a(net: &TestNet, command: &str) {
    let out = net.exec(&net.a, "nft", &[command]);
    assert!(
        out.status.success(),
        "nft {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `nft list tables` in namespace a, one table a line, sorted.
fn tables_a(net: &TestNet) -> Vec<String> {
    let out = net.exec(&net.a, "nft", &["list", "tables"]);
    let mut tables: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    tables.sort();
    tables
}

#[test]
fn a_stopped_daemon_removes_the_builtin_chains_it_made_and_keeps_every_other_programs() {
    let Some(_serial) = root_test("a_stopped_daemon_removes_the_builtin_chains_it_made") else {
        return;
    };
    let net = TestNet::new();
    // Another program's: a rule in mangle OUTPUT, a drop policy on an empty chain (deleting that
    // one would let every packet in), and empty chains it keeps ready for later rules, one of
    // them where our rules go too (mangle POSTROUTING, for the DNS copies).
    for (tool, args) in [
        (
            "iptables-nft",
            &[
                "-w",
                "-t",
                "mangle",
                "-A",
                "OUTPUT",
                "-p",
                "tcp",
                "--dport",
                "9",
                "-j",
                "MARK",
                "--set-mark",
                "7",
            ][..],
        ),
        (
            "ip6tables-nft",
            &["-w", "-t", "mangle", "-P", "INPUT", "DROP"][..],
        ),
    ] {
        assert!(
            net.exec(&net.a, tool, args).status.success(),
            "{tool} {args:?}"
        );
    }
    nft_a(&net, "add chain ip mangle POSTROUTING { type filter hook postrouting priority -150; policy accept; }");
    nft_a(&net, "add table ip filter");
    nft_a(
        &net,
        "add chain ip filter INPUT { type filter hook input priority 0; policy accept; }",
    );
    nft_a(&net, "add table ip6 filter");
    nft_a(
        &net,
        "add chain ip6 filter OUTPUT { type filter hook output priority 0; policy accept; }",
    );
    let daemon = Daemon::start(&net, &[]);
    // Running, it has its jumps in the built-in chains (iptables-nft made the missing ones).
    for chain in ["OUTPUT", "INPUT", "POSTROUTING"] {
        let listing = chain_listing(&net, "ip", "mangle", chain).unwrap_or_default();
        assert!(
            listing.contains("ZF_"),
            "ip mangle {chain} while running:\n{listing}"
        );
    }
    assert!(daemon.stop("TERM").success());
    let output = chain_listing(&net, "ip", "mangle", "OUTPUT").expect("the other program's chain");
    assert!(output.contains("dport 9"), "{output}");
    assert!(!output.contains("ZF_"), "{output}");
    let input6 = chain_listing(&net, "ip6", "mangle", "INPUT").expect("the drop policy's chain");
    assert!(input6.contains("policy drop"), "{input6}");
    for (family, table, chain) in [
        ("ip", "mangle", "POSTROUTING"),
        ("ip", "filter", "INPUT"),
        ("ip6", "filter", "OUTPUT"),
    ] {
        let kept = chain_listing(&net, family, table, chain);
        assert!(
            kept.as_deref().is_some_and(|l| !l.contains("ZF_")),
            "the other program's empty {family} {table} {chain} is kept: {kept:?}"
        );
    }
    // The ones the daemon made, which held only its jumps, are gone.
    for (family, chain) in [("ip", "INPUT"), ("ip6", "OUTPUT"), ("ip6", "POSTROUTING")] {
        assert_eq!(
            chain_listing(&net, family, "mangle", chain),
            None,
            "{family} mangle {chain}"
        );
    }
    assert_eq!(
        tables_a(&net),
        [
            "table ip filter",
            "table ip mangle",
            "table ip6 filter",
            "table ip6 mangle"
        ],
        "every table the other program has is left"
    );
}

#[test]
fn the_start_after_a_killed_daemon_removes_the_builtin_chains_that_one_made() {
    let Some(_serial) = root_test("the_start_after_a_killed_daemon_removes_the_builtin_chains")
    else {
        return;
    };
    let net = TestNet::new();
    let killed = Daemon::start(&net, &[]);
    assert!(!tables_a(&net).is_empty());
    assert!(!killed.stop("KILL").success());
    // Its rules and the chains iptables-nft made for them are all still there.
    assert!(chain_listing(&net, "ip", "mangle", "OUTPUT").is_some_and(|l| l.contains("ZF_")));
    // The next start sweeps the rules and, from the killed one's record, the chains; what it
    // makes itself it removes at its own stop. Nothing is left.
    let next = Daemon::start(&net, &[]);
    assert!(next.stop("TERM").success());
    assert_eq!(tables_a(&net), Vec::<String>::new());
    // And when the chains were there before the first start (another program's, empty), they
    // stay through a kill and a clean stop.
    nft_a(&net, "add table ip mangle");
    nft_a(
        &net,
        "add chain ip mangle INPUT { type filter hook input priority -150; policy accept; }",
    );
    let killed = Daemon::start(&net, &[]);
    assert!(!killed.stop("KILL").success());
    let next = Daemon::start(&net, &[]);
    assert!(next.stop("TERM").success());
    assert_eq!(tables_a(&net), ["table ip mangle"]);
    assert!(chain_listing(&net, "ip", "mangle", "INPUT").is_some());
    assert_eq!(chain_listing(&net, "ip", "mangle", "OUTPUT"), None);
}

/// Packets the rules of `chain` (in mangle) matched, in order, from `iptables-nft -L -v -x`.
fn rule_counters(net: &TestNet, chain: &str) -> Vec<u64> {
    let out = net.exec(
        &net.a,
        "iptables-nft",
        &["-w", "-t", "mangle", "-L", chain, "-v", "-x", "-n"],
    );
    assert!(out.status.success(), "iptables-nft -L {chain}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn only_dns_queries_this_hosts_sockets_send_are_copied_not_forwarded_ones() {
    let Some(_serial) = root_test("only_dns_queries_this_hosts_sockets_send_are_copied") else {
        return;
    };
    let net = TestNet::new();
    // `a` routes for `b` to a network on a link of its own whose other end nothing answers
    // from: a query from `b` to a resolver there passes a's POSTROUTING, forwarded. (A veth
    // pair, both ends in `a`: this kernel has no dummy links.)
    let resolver = "10.202.9.9";
    for args in [
        &[
            "link", "add", "zfout", "type", "veth", "peer", "name", "zfsink",
        ][..],
        &["addr", "add", "10.202.9.1/24", "dev", "zfout"],
        &["link", "set", "zfout", "up"],
        &["link", "set", "zfsink", "up"],
        &[
            "neigh",
            "add",
            resolver,
            "lladdr",
            "02:00:00:00:09:09",
            "dev",
            "zfout",
        ],
    ] {
        assert!(net.exec(&net.a, "ip", args).status.success(), "{args:?}");
    }
    assert!(net
        .exec(&net.a, "sysctl", &["-qw", "net.ipv4.ip_forward=1"])
        .status
        .success());
    let via = net.ip4_a.clone();
    assert!(net
        .exec(
            &net.b,
            "ip",
            &["route", "add", "10.202.9.0/24", "via", &via]
        )
        .status
        .success());
    let daemon = Daemon::start(&net, &["--dns-resolver", resolver]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    // The sender keeps its socket a second: its first query is held for the app's verdict,
    // and a socket closed meanwhile no longer counts as existing (an answer could not reach it).
    let send = |ns: &str, count: u32| {
        let script = format!(
            "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
             for _ in range({count}): s.sendto(b'q'*20,('{resolver}',53))\n\
             time.sleep(1)"
        );
        let out = net.exec(ns, "timeout", &["5", "python3", "-c", &script]);
        assert!(out.status.success(), "{out:?}");
    };
    send(&net.b, 3);
    send(&net.a, 2);
    let entered: u64 = jump_counters(&net, "mangle", "POSTROUTING")
        .iter()
        .filter(|(target, _)| target == "ZF_DNS_SENT")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(entered, 5, "every query to port 53 takes the guarded jump");
    assert_eq!(
        rule_counters(&net, "ZF_DNS_SENT"),
        vec![2],
        "only the two of a's own socket are copied"
    );
    assert_eq!(app.connections().len(), 1, "a's own flow was asked about");
    drop(app);
    drop(daemon);
}

#[test]
fn a_socket_whose_own_mark_has_the_reject_bit_keeps_its_allowed_connection() {
    let Some(_serial) = root_test("a_socket_whose_own_mark_has_the_reject_bit") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("marked");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    // A VPN's fwmark (Mullvad's 0x6d6f6c65) has bit 29, our reject bit, on every packet its
    // socket sends. The verdict replaces it on the queued SYN; the rest must pass untouched.
    let fetch = "import socket,sys\n\
                 s=socket.socket()\n\
                 s.setsockopt(socket.SOL_SOCKET,socket.SO_MARK,0x6d6f6c65)\n\
                 s.settimeout(3)\n\
                 s.connect((sys.argv[1],8080))\n\
                 s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n\
                 data=b''\n\
                 while True:\n  d=s.recv(4096)\n  if not d: break\n  data+=d\n\
                 print(data.split(b'\\r\\n\\r\\n',1)[1].decode())\n";
    let out = net.exec(
        &net.a,
        "timeout",
        &["5", "python3", "-c", fetch, &net.ip4_b],
    );
    assert_eq!(
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim()
        ),
        (true, "marked"),
        "{out:?}"
    );
    assert_eq!(app.connections().len(), 1, "asked once");
}
