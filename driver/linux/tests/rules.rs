//! The daemon's netfilter rules on real traffic: what established packets traverse, what the
//! verdicts do to marks, and the sweep of leftovers (this version's and an older version's).
//! Two namespaces, the real `zenithfenced`, real curl and a python server; every client is
//! bounded in time, every test removes its namespaces.
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

/// The counters of the daemon's table, rule by rule: (chain, the rule's text up to its first
/// counter, the packets of each counter in it), from `nft list table`.
fn table_counters(net: &TestNet, queue: u16) -> Vec<(String, String, Vec<u64>)> {
    let table = format!("zenithfence_{queue}");
    let out = net.exec(&net.a, "nft", &["list", "table", "inet", &table]);
    assert!(out.status.success(), "nft list table inet {table}");
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut chain = String::new();
    let mut found = Vec::new();
    for line in listed.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("chain ") {
            chain = name.trim_end_matches(" {").to_string();
        } else if let Some((rule, _)) = line.split_once(" counter packets ") {
            let packets = line
                .split("counter packets ")
                .skip(1)
                .map(|after| after.split(' ').next().unwrap().parse().unwrap())
                .collect();
            found.push((chain.clone(), rule.to_string(), packets));
        }
    }
    found
}

/// The packets of the one counted rule in `chain` of the daemon's table that starts with
/// `start`.
fn counted(net: &TestNet, queue: u16, chain: &str, start: &str) -> Vec<u64> {
    let counters: Vec<Vec<u64>> = table_counters(net, queue)
        .into_iter()
        .filter(|(c, rule, _)| c == chain && rule.starts_with(start))
        .map(|(_, _, packets)| packets)
        .collect();
    assert_eq!(counters.len(), 1, "one counted rule {start}… in {chain}");
    counters.into_iter().next().unwrap()
}

/// Counting rules of the test's own (no target), in iptables-nft's mangle table.
const COUNT_8080: [(&str, &str); 2] = [
    ("OUTPUT", "-p tcp --dport 8080"),
    ("INPUT", "-p tcp --sport 8080"),
];

/// Packets the test's own counting rules in mangle `builtin` that mention `needle` saw.
fn own_count(net: &TestNet, builtin: &str, needle: &str) -> u64 {
    let out = net.exec(
        &net.a,
        "iptables-nft",
        &["-w", "-t", "mangle", "-L", builtin, "-v", "-x", "-n"],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter(|line| line.contains(needle))
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Adds a counting rule of the test's own in mangle `builtin` of namespace a.
fn add_own_rule(net: &TestNet, builtin: &str, rule: &str) {
    let mut args = vec!["-w", "-t", "mangle", "-A", builtin];
    args.extend(rule.split(' '));
    assert!(net.exec(&net.a, "iptables-nft", &args).status.success());
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
        add_own_rule(&net, builtin, rule);
    }
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    let url = format!("http://{}:8080/big", net.ip4_b);
    let (code, body, _) = net.curl(&net.a, &url, &["-o", "/dev/null", "-w", "%{size_download}"]);
    assert_eq!((code, body.as_str()), (0, "4194304"));
    assert_eq!(app.connections().len(), 1, "asked once");
    let packets: u64 = COUNT_8080
        .iter()
        .map(|(builtin, _)| own_count(&net, builtin, "8080"))
        .sum();
    assert!(packets > 50, "the download took {packets} packets");
    // The SYN is NEW: it enters the queue's chain once, on output, and the verdicts' chain
    // once. The rest of the flow, hundreds of packets each way, enters nothing of ours: each
    // fails the first test of the one rule of each base chain.
    for (chain, start, entered) in [
        ("out", "ct state", 1),
        ("in", "ct state", 0),
        ("out_verdict", "meta mark", 1),
        ("in_verdict", "meta mark", 0),
    ] {
        assert_eq!(
            counted(&net, daemon.queue, chain, start),
            [entered],
            "{chain}, of {packets} packets"
        );
    }
    // Nothing of ours in iptables-nft's tables, where older versions put the queue.
    let saved = net.exec(&net.a, "iptables-nft-save", &[]);
    assert!(!String::from_utf8_lossy(&saved.stdout).contains("ZF_"));
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
    // The first datagram is decided (its verdict marks the flow), then 49 more follow.
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
    // The flow is unreplied, so all 50 of its packets are NEW: only the first may enter, the
    // rest fail the test of the connmark its verdict set.
    assert_eq!(
        counted(&net, daemon.queue, "out", "ct state"),
        [1],
        "packets of the allowed flow that entered"
    );
    let flows = net.exec(&net.a, "conntrack", &["-L", "-p", "udp", "--dport", "9999"]);
    let flows = String::from_utf8_lossy(&flows.stdout).into_owned();
    assert!(
        flows.contains("mark=268435456"),
        "the flow carries the allow bit (0x10000000): {flows}"
    );
}

#[test]
fn an_older_versions_rules_and_leftover_tables_are_swept_at_start_and_nothing_is_left_at_stop() {
    let Some(_serial) = root_test("an_older_versions_rules_and_leftover_tables_are_swept") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("swept");
    // What older versions of the daemon left when killed: unguarded and guarded jumps into
    // their iptables chains, and their verdict table.
    let old = "*mangle\n:ZF_OUT - [0:0]\n:ZF_IN - [0:0]\n:ZF_DNS_SENT - [0:0]\n\
               -I OUTPUT 1 -j ZF_OUT\n-I INPUT 1 -m conntrack --ctstate NEW -j ZF_IN\n\
               -I POSTROUTING 1 -p udp --dport 53 -j ZF_DNS_SENT\n\
               -A ZF_OUT -j NFQUEUE --queue-num 9 --queue-bypass\nCOMMIT\n\
               *filter\n:ZF_VERDICT - [0:0]\n-I OUTPUT 1 -j ZF_VERDICT\n-I INPUT 1 -j ZF_VERDICT\nCOMMIT\n";
    restore(&net, old);
    // And what killed daemons of this version leave: their table (of another queue).
    for table in ["zf_verdict_9", "zenithfence_9"] {
        let leftover = net.exec(&net.a, "nft", &["add", "table", "inet", table]);
        assert!(leftover.status.success());
    }
    let daemon = Daemon::start(&net, &[]);
    let tables = net.exec(&net.a, "nft", &["list", "tables", "inet"]);
    assert_eq!(
        String::from_utf8_lossy(&tables.stdout).trim(),
        format!("table inet zenithfence_{}", daemon.queue),
        "the leftovers went, the daemon's own is there"
    );
    let saved = net.exec(&net.a, "iptables-nft-save", &[]);
    let saved = String::from_utf8_lossy(&saved.stdout).into_owned();
    assert!(!saved.contains("ZF_"), "the old rules went:\n{saved}");
    // It still decides.
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    let (code, body, _) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!((code, body.as_str()), (0, "swept"));
    assert_eq!(app.connections().len(), 1);
    drop(app);
    assert!(daemon.stop("TERM").success());
    let ruleset = net.ruleset(&net.a);
    assert!(
        !ruleset.contains("zenithfence_") && !ruleset.contains("zf_"),
        "no table of ours after SIGTERM:\n{ruleset}"
    );
}

/// Applies an `iptables-nft-restore --noflush` script in namespace a.
fn restore(net: &TestNet, script: &str) {
    let restored = std::process::Command::new("ip")
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
            child.stdin.take().unwrap().write_all(script.as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(restored.success());
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

/// `nft -s list ruleset` in namespace a: the rules without their counters.
fn stateless_ruleset(net: &TestNet) -> String {
    let out = net.exec(&net.a, "nft", &["-s", "list", "ruleset"]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The names of the `inet` tables in namespace a.
fn daemon_tables(net: &TestNet) -> Vec<String> {
    let out = net.exec(&net.a, "nft", &["list", "tables", "inet"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("table inet "))
        .map(str::to_string)
        .collect()
}

#[test]
fn no_other_program_can_change_or_remove_the_owned_table() {
    let Some(_serial) = root_test("no_other_program_can_change_or_remove_the_owned_table") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("held");
    let daemon = Daemon::start_logged(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    let url = format!("http://{}:8080/", net.ip4_b);
    let installed = stateless_ruleset(&net);
    assert!(installed.contains("queue"), "{installed}");
    // Written by the daemon's socket from nft's compilation: the rules nft lists are the ones
    // the daemon's source says, and the table says whose it is.
    for text in [
        "flags owner",
        "comment \"zenithfenced's own",
        "ct state new ct mark & 0x30000000 != 0x10000000 counter jump new_out",
        "meta mark & 0x30000000 != 0x00000000 ct state new counter jump verdict",
        "meta mark 0x2b10cced meta l4proto tcp reject with tcp reset",
        "type filter hook input priority mangle - 10; policy accept;",
    ] {
        assert!(installed.contains(text), "{text}: {installed}");
    }
    let table = format!("inet zenithfence_{}", daemon.queue);
    // What reloading Debian's nftables.service does first passes the table by.
    nft_a(&net, "flush ruleset");
    assert_eq!(stateless_ruleset(&net), installed);
    // Everything else another program (root, here) tries is refused.
    for change in [
        format!("delete table {table}"),
        format!("flush table {table}"),
        format!("flush chain {table} queue_out"),
        format!("delete chain {table} new_in"),
        format!("add rule {table} queue_in accept"),
        format!("insert rule {table} in accept"),
        format!("add table {table} {{ flags dormant; }}"),
    ] {
        let out = net.exec(&net.a, "nft", &[&change]);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{change} was taken");
        assert!(said.contains("Operation not permitted"), "{change}: {said}");
    }
    assert_eq!(stateless_ruleset(&net), installed);
    // Still asked.
    let (code, body, _) = net.curl(&net.a, &url, &[]);
    assert_eq!((code, body.as_str()), (0, "held"));
    assert_eq!(app.connections().len(), 1);
    let log = daemon.stderr_text();
    assert!(log.contains("the table is owned by the daemon"), "{log}");
    assert!(!log.contains("removed by another program"), "{log}");
    drop(app);
    assert!(daemon.stop("TERM").success());
    assert_eq!(net.ruleset(&net.a), "");
}

#[test]
fn a_running_and_a_stopped_daemon_leave_every_other_programs_rules_as_they_were() {
    let Some(_serial) = root_test("a_running_and_a_stopped_daemon_leave_every_other_programs")
    else {
        return;
    };
    let net = TestNet::new();
    // Another program's: a rule in mangle OUTPUT, a drop policy on an empty chain, empty
    // chains it keeps ready for later rules, and a table of its own on the hooks ours use.
    add_own_rule(&net, "OUTPUT", "-p tcp --dport 9 -j MARK --set-mark 7");
    let drop_policy = net.exec(
        &net.a,
        "ip6tables-nft",
        &["-w", "-t", "mangle", "-P", "INPUT", "DROP"],
    );
    assert!(drop_policy.status.success());
    nft_a(&net, "add chain ip mangle POSTROUTING { type filter hook postrouting priority -150; policy accept; }");
    nft_a(&net, "add table ip filter");
    nft_a(
        &net,
        "add chain ip filter INPUT { type filter hook input priority 0; policy accept; }",
    );
    nft_a(
        &net,
        "add table inet theirs { chain o { type filter hook output priority -150; policy accept; ct state new counter; } ; }",
    );
    let before = stateless_ruleset(&net);
    let daemon = Daemon::start(&net, &[]);
    let running = stateless_ruleset(&net);
    assert!(
        running.starts_with(&before),
        "ours is added after theirs, and theirs is unchanged:\n{running}"
    );
    assert!(running.contains(&format!("table inet zenithfence_{}", daemon.queue)));
    assert!(daemon.stop("TERM").success());
    assert_eq!(
        stateless_ruleset(&net),
        before,
        "theirs as it was, nothing of ours"
    );
}

/// The inode and the cookie of namespace a, as the daemon names its record by the one and
/// writes the other into it.
fn namespace_inode_and_cookie(net: &TestNet) -> (String, String) {
    let inode = net.exec(&net.a, "stat", &["-L", "-c", "%i", "/proc/self/ns/net"]);
    let cookie = net.exec(
        &net.a,
        "python3",
        &[
            "-c",
            "import socket\ns=socket.socket()\n\
             print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET,71,8),'little'))",
        ],
    );
    let text = |out: std::process::Output| String::from_utf8_lossy(&out.stdout).trim().to_string();
    (text(inode), text(cookie))
}

#[test]
fn the_start_after_a_killed_daemon_removes_its_table_and_an_older_versions_builtin_chains() {
    let Some(_serial) = root_test("the_start_after_a_killed_daemon_removes_its_table") else {
        return;
    };
    let net = TestNet::new();
    // This version's table is owned by the daemon's socket: the kernel deletes it with the
    // killed daemon.
    let killed = Daemon::start(&net, &[]);
    assert!(net.ruleset(&net.a).contains("table inet zenithfence_"));
    assert!(!killed.stop("KILL").success());
    assert_eq!(net.ruleset(&net.a), "");
    // An unowned one stays, and so may a build table (killed while compiling); the next start
    // removes both, and a clean stop leaves nothing.
    let killed = Daemon::start(&net, &["--unowned-table"]);
    assert!(!killed.stop("KILL").success());
    assert!(net.ruleset(&net.a).contains("table inet zenithfence_"));
    nft_a(&net, "add table inet zenithfence_build_77");
    let next = Daemon::start(&net, &[]);
    let (tables, queue) = (daemon_tables(&net), next.queue);
    assert!(next.stop("TERM").success());
    assert_eq!(tables, [format!("zenithfence_{queue}")]);
    assert_eq!(net.ruleset(&net.a), "");
    // An older version, killed: its rules in iptables-nft's mangle table, the built-in chains
    // iptables-nft made for them, and its record of which it made (mangle INPUT was another
    // program's, there before: not in the record).
    nft_a(&net, "add table ip mangle");
    nft_a(
        &net,
        "add chain ip mangle INPUT { type filter hook input priority -150; policy accept; }",
    );
    restore(
        &net,
        "*mangle\n:ZF_OUT - [0:0]\n:ZF_IN - [0:0]\n\
         -I OUTPUT 1 -m conntrack --ctstate NEW -j ZF_OUT\n\
         -I INPUT 1 -m conntrack --ctstate NEW -j ZF_IN\n\
         -A ZF_OUT -j NFQUEUE --queue-num 9 --queue-bypass\nCOMMIT\n",
    );
    assert!(chain_listing(&net, "ip", "mangle", "OUTPUT").is_some());
    let (inode, cookie) = namespace_inode_and_cookie(&net);
    let record = std::path::PathBuf::from(format!("/run/zenithfence/net-{inode}.chains"));
    std::fs::write(
        &record,
        format!("netns-cookie {cookie}\nip mangle OUTPUT\n"),
    )
    .unwrap();
    let next = Daemon::start(&net, &[]);
    let removed_at_start = chain_listing(&net, "ip", "mangle", "OUTPUT").is_none();
    let record_gone = !record.exists();
    assert!(next.stop("TERM").success());
    let _ = std::fs::remove_file(&record);
    assert!(removed_at_start, "the made chain went at the start");
    assert!(record_gone, "and its record");
    // The other program's chain stays, emptied of the old rules' jump.
    let input = chain_listing(&net, "ip", "mangle", "INPUT").expect("the other program's chain");
    assert!(!input.contains("ZF_"), "{input}");
    assert!(!net.ruleset(&net.a).contains("ZF_"));
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
    assert_eq!(
        counted(&net, daemon.queue, "dns_sent", "udp dport 53"),
        [5, 2],
        "every query to port 53 passes the port test, and only the two of a's own socket \
         are copied"
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

#[test]
fn a_block_holds_when_other_software_marks_packets_in_mangle_and_nft() {
    let Some(_serial) = root_test("a_block_holds_when_other_software_marks_packets") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("blocked");
    // Other software's chains, there before the daemon's, on the hooks and at the priority
    // (mangle, -150) where such marks are set: a packet the queue accepted goes on to the next
    // base chain, and a mark set there before the verdict is read would undo a block. Both set
    // marks with our verdict bits (0x30000000) and without.
    add_own_rule(&net, "OUTPUT", "-p tcp --dport 8080 -j MARK --set-mark 7");
    nft_a(
        &net,
        "add table inet vpn { chain o { type route hook output priority mangle; policy accept; \
         meta mark set 0x6d6f6c65 ; } ; }",
    );
    // And chains at the daemon's own priority (-160), one there before it and one added after
    // it, and one right after it: none may come between its queue and its verdicts.
    let marking = |table: &str, priority: i32| {
        format!(
            "add table inet {table} {{ chain o {{ type filter hook output priority {priority}; \
             policy accept; meta mark set 0x6d6f6c65 ; }} ; }}"
        )
    };
    nft_a(&net, &marking("before", -160));
    let daemon = Daemon::start(&net, &[]);
    nft_a(&net, &marking("after", -160));
    nft_a(&net, &marking("next", -159));
    let app = Responder::start(&daemon.socket, always(Verdict::Block));
    let (code, _, seconds) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!(code, 7, "curl: couldn't connect");
    assert!(
        seconds < 0.5,
        "refused by the reset, not a timeout: {seconds:.3} s"
    );
    assert_eq!(app.connections().len(), 1, "asked");
    assert_eq!(
        own_count(&net, "OUTPUT", "MARK set"),
        0,
        "the blocked SYN never reached mangle"
    );
    drop(app);
    drop(daemon);
}

#[test]
fn a_table_another_program_flushes_away_is_put_back_and_said() {
    let Some(_serial) = root_test("a_table_another_program_flushes_away_is_put_back") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("back");
    // Unowned, as on kernels before 5.12: an owned table cannot be touched (the next test).
    let daemon = Daemon::start_logged(&net, &["--unowned-table"]);
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    let url = format!("http://{}:8080/", net.ip4_b);
    let installed = stateless_ruleset(&net);
    assert!(installed.contains("queue num"), "{installed}");
    let table = format!("inet zenithfence_{}", daemon.queue);
    // What reloading Debian's nftables.service does first; one queue chain emptied (put back
    // without replacing the table); the verdicts' chain emptied (the table replaced).
    for removal in [
        "flush ruleset".to_string(),
        format!("flush chain {table} queue_in"),
        format!("flush chain {table} verdict"),
        // Every rule kept, every chain unhooked.
        format!("add table {table} {{ flags dormant; }}"),
    ] {
        nft_a(&net, &removal);
        // The kernel's event wakes the watch: well before its 5 s safety check.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while stateless_ruleset(&net) != installed {
            assert!(
                std::time::Instant::now() < deadline,
                "not put back after {removal}:\n{}\n{}",
                stateless_ruleset(&net),
                daemon.stderr_text()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let asked = app.connections().len();
        let (code, body, _) = net.curl(&net.a, &url, &[]);
        assert_eq!((code, body.as_str()), (0, "back"));
        assert_eq!(
            app.connections().len(),
            asked + 1,
            "asked again after {removal}"
        );
    }
    // Each repair said once (the log is written by a thread of its own: waited for).
    let said = || {
        daemon
            .stderr_text()
            .matches("were removed by another program (nft flush ruleset?); put back")
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while said() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(said(), 4, "{}", daemon.stderr_text());
    // Woken by the kernel's events, not by the 250 ms checks it falls back to without them.
    assert!(
        !daemon
            .stderr_text()
            .contains("cannot follow the kernel's nftables events"),
        "{}",
        daemon.stderr_text()
    );
    drop(app);
    assert!(daemon.stop("TERM").success());
    assert_eq!(
        net.ruleset(&net.a),
        "",
        "and nothing is put back after the stop"
    );
}
