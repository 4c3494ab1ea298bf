//! The daemon on real traffic: two network namespaces, the real `zenithfenced` in the first,
//! real curl, python servers and sockets, and a protocol client that answers like the app.
//! Bounded: every client has a timeout, every test cleans up its namespaces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, Instant};

use support::net::{Daemon, TestNet, BINARY};
use support::responder::{always, Responder};
use support::root_test;
use zenithfence_protocol::{Command, Info, Verdict};

fn is_connection(info: &Info) -> bool {
    matches!(info, Info::ConnectionV4(_) | Info::ConnectionV6(_))
}

#[test]
fn accept_lets_curl_fetch_a_page_over_ipv4_and_ipv6() {
    let Some(_serial) = root_test("accept_lets_curl_fetch_a_page_over_ipv4_and_ipv6") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("hello from b");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    for host in [net.ip4_b.clone(), format!("[{}]", net.ip6_b)] {
        let (code, body, _) = net.curl(&net.a, &format!("http://{host}:8080/"), &[]);
        assert_eq!(
            (code, body.as_str()),
            (0, "hello from b"),
            "fetch from {host}"
        );
    }
    let connections = app.connections();
    assert_eq!(
        connections.len(),
        2,
        "one question per connection: {connections:?}"
    );
    assert!(
        matches!(connections[0], Info::ConnectionV4(ref c) if c.remote_port == 8080 && c.direction == 0 && c.protocol == 6)
    );
    assert!(matches!(connections[1], Info::ConnectionV6(ref c) if c.remote_port == 8080));
}

#[test]
fn block_makes_connect_fail_fast_and_drop_makes_it_time_out() {
    let Some(_serial) = root_test("block_makes_connect_fail_fast_and_drop_makes_it_time_out")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("x");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(
        &daemon.socket,
        Box::new(|info| match info {
            Info::ConnectionV4(_) => Some((Verdict::Block, Duration::ZERO)),
            _ => Some((Verdict::Drop, Duration::ZERO)),
        }),
    );
    let (code, _, seconds) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!(code, 7, "curl: couldn't connect");
    assert!(seconds < 0.1, "block took {seconds:.3} s");
    let (code, _, seconds) = net.curl(
        &net.a,
        &format!("http://[{}]:8080/", net.ip6_b),
        &["--connect-timeout", "2"],
    );
    assert_eq!(code, 28, "curl: timed out");
    assert!(seconds >= 1.9, "drop ended after {seconds:.3} s");
    drop(app);
}

#[test]
fn block_answers_tcp_with_a_reset_and_udp_with_administratively_prohibited_in_both_families() {
    let Some(_serial) = root_test("block_answers_tcp_with_a_reset_and_udp_with_administratively")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("x");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::Block));
    // TCP over IPv6 (IPv4 is above): refused at once, by the reset.
    let (code, _, seconds) = net.curl(&net.a, &format!("http://[{}]:8080/", net.ip6_b), &[]);
    assert_eq!(code, 7, "curl: couldn't connect");
    assert!(seconds < 0.1, "block took {seconds:.3} s");
    // UDP: a connected socket reads the ICMP error the reject sent back (the kernel maps
    // "administratively prohibited" to EHOSTUNREACH for IPv4 and EACCES for IPv6), within the
    // bound, never the timeout a dropped datagram would give.
    let probe = "import errno,socket,sys\n\
                 fam=socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n\
                 s=socket.socket(fam,socket.SOCK_DGRAM)\n\
                 s.settimeout(2)\n\
                 s.connect((sys.argv[1],9999))\n\
                 s.send(b'x')\n\
                 try:\n  s.recv(100)\n  print('answered')\n\
                 except socket.timeout:\n  print('timeout')\n\
                 except OSError as e:\n  print(errno.errorcode[e.errno])\n";
    for (address, expected) in [(&net.ip4_b, "EHOSTUNREACH"), (&net.ip6_b, "EACCES")] {
        let out = net.exec(&net.a, "timeout", &["5", "python3", "-c", probe, address]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            expected,
            "{address}: {out:?}"
        );
    }
    assert_eq!(app.connections().len(), 3, "each was asked");
}

#[test]
fn a_two_second_hold_then_accept_connects_without_a_retransmit_delay() {
    let Some(_serial) =
        root_test("a_two_second_hold_then_accept_connects_without_a_retransmit_delay")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("late");
    let daemon = Daemon::start(&net, &[]);
    let _app = Responder::start(
        &daemon.socket,
        Box::new(|_| Some((Verdict::PermanentAccept, Duration::from_secs(2)))),
    );
    let (code, out, _) = net.curl(
        &net.a,
        &format!("http://{}:8080/", net.ip4_b),
        &["-w", " %{time_connect}"],
    );
    assert_eq!(code, 0);
    let connect: f64 = out.rsplit(' ').next().unwrap().parse().unwrap();
    // A lost SYN would be retransmitted after 1 s, then 3 s: connecting at 2.0 s means the
    // held SYN itself went out.
    assert!(
        (2.0..2.5).contains(&connect),
        "connected after {connect:.3} s"
    );
}

#[test]
fn the_hold_timeout_applies_the_default_action() {
    let Some(_serial) = root_test("the_hold_timeout_applies_the_default_action") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("x");
    let daemon = Daemon::start(&net, &["--hold-timeout-ms", "500", "--default", "block"]);
    let app = Responder::start(&daemon.socket, Box::new(|_| None));
    let (code, _, seconds) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!(code, 7, "blocked by the default");
    assert!(
        (0.45..1.5).contains(&seconds),
        "timed out after {seconds:.3} s"
    );
    app.send(&Command::GetCounters);
    assert!(app.wait_for(Duration::from_secs(2), |infos| infos
        .iter()
        .any(|i| matches!(i, Info::Counters(c) if c.values[3] == 1))));
}

#[test]
fn five_udp_datagrams_of_one_flow_give_one_info() {
    let Some(_serial) = root_test("five_udp_datagrams_of_one_flow_give_one_info") else {
        return;
    };
    let mut net = TestNet::new();
    let sink = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',9999))\nprint('ready',flush=True)\nn=0\nwhile n<5:\n  s.recvfrom(100); n+=1\nprint(n,flush=True)"],
    );
    assert_eq!(net.first_line(sink), "ready");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    let send = format!(
        "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(5):\n  s.sendto(b'x'*10,('{}',9999)); time.sleep(0.05)",
        net.ip4_b
    );
    assert!(net
        .exec(&net.a, "/usr/bin/python3", &["-c", &send])
        .status
        .success());
    std::thread::sleep(Duration::from_millis(300));
    let connections = app.connections();
    assert_eq!(connections.len(), 1, "{connections:?}");
    assert_eq!(
        net.kernel_queue(daemon.queue).map(|q| q.0),
        Some(0),
        "nothing left held"
    );
}

#[test]
fn every_held_packet_is_answered_when_the_client_disconnects() {
    let Some(_serial) = root_test("every_held_packet_is_answered_when_the_client_disconnects")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("after");
    let daemon = Daemon::start(
        &net,
        &["--detached", "accept", "--hold-timeout-ms", "60000"],
    );
    let app = Responder::start(&daemon.socket, Box::new(|_| None));
    let url = format!("http://{}:8080/", net.ip4_b);
    let fetches: Vec<_> = (0..5)
        .map(|_| {
            let (ns, url) = (net.a.clone(), url.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let out = std::process::Command::new("ip")
                    .args(["netns", "exec", &ns, "curl", "-s", "--max-time", "8", &url])
                    .output()
                    .unwrap();
                (out.status.code(), started.elapsed())
            })
        })
        .collect();
    assert!(app.wait_for(Duration::from_secs(5), |i| i
        .iter()
        .filter(|i| is_connection(i))
        .count()
        == 5));
    assert_eq!(
        net.kernel_queue(daemon.queue).map(|q| q.0),
        Some(5),
        "five SYNs held"
    );
    let disconnected = Instant::now();
    app.disconnect();
    for fetch in fetches {
        let (code, _) = fetch.join().unwrap();
        assert_eq!(code, Some(0), "accepted by the detached policy");
    }
    assert!(
        disconnected.elapsed() < Duration::from_secs(1),
        "answered at once, not by a retry"
    );
    assert_eq!(net.kernel_queue(daemon.queue).map(|q| q.0), Some(0));
}

#[test]
fn a_malformed_command_is_rejected_with_an_error_log_and_the_daemon_keeps_working() {
    let Some(_serial) =
        root_test("a_malformed_command_is_rejected_with_an_error_log_and_the_daemon_keeps_working")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("still here");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    app.send_raw(&[1, 2, 3]); // a short Verdict
    app.send_raw(&[6, 0]); // GetBandwidthStats with a byte too many
    app.send_raw(&[200]); // unknown id
    app.send_raw(&[2; 300]); // oversized
    app.send(&Command::Verdict {
        id: 999_999,
        verdict: Verdict::Accept,
    }); // no such request
    app.send(&Command::GetLogs);
    assert!(app.wait_for(Duration::from_secs(2), |infos| infos
        .iter()
        .filter(|i| matches!(i, Info::LogLine(l) if l.severity == 5))
        .count()
        >= 5));
    let (code, body, _) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!((code, body.as_str()), (0, "still here"));
}

#[test]
fn sigkill_leaves_connectivity_working_and_the_next_start_clean() {
    let Some(_serial) = root_test("sigkill_leaves_connectivity_working_and_the_next_start_clean")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("alive");
    let url = format!("http://{}:8080/", net.ip4_b);
    // An owned table goes with the killed daemon's socket; an unowned one (older kernels)
    // stays, and its queue rules pass packets at once (`--queue-bypass`) as the queue has no
    // reader.
    for (args, left) in [(&[][..], (0, 0)), (&["--unowned-table"][..], (2, 1))] {
        let daemon = Daemon::start(&net, args);
        let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
        assert_eq!(net.curl(&net.a, &url, &[]).0, 0);
        let queue = daemon.queue;
        daemon.stop("KILL");
        drop(app);
        let (code, body, seconds) = net.curl(&net.a, &url, &[]);
        assert_eq!((code, body.as_str()), (0, "alive"), "{args:?}");
        assert!(seconds < 0.5, "no retransmit wait: {seconds:.3} s");
        assert_eq!(
            net.queue_rules_and_tables(&net.a, queue),
            left,
            "what a killed daemon {args:?} leaves"
        );
    }
    // The next start sweeps the leftover and works.
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    assert_eq!(net.curl(&net.a, &url, &[]).0, 0);
    assert_eq!(app.connections().len(), 1);
    assert_eq!(
        net.queue_rules_and_tables(&net.a, daemon.queue),
        (2, 1),
        "one table, one queue rule per hook: not two"
    );
    drop(app);
    assert!(daemon.stop("TERM").success());
    assert_eq!(
        net.ruleset(&net.a),
        "",
        "SIGTERM removes every rule and table"
    );
}

#[test]
fn update_and_clear_cache_change_what_an_allowed_flow_gets() {
    let Some(_serial) = root_test("update_and_clear_cache_change_what_an_allowed_flow_gets") else {
        return;
    };
    let mut net = TestNet::new();
    let log = net.dir.join("udp.log");
    let _ = std::fs::remove_file(&log);
    let sink = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", &format!("import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',9999))\nprint('ready',flush=True)\nwhile True:\n  d=s.recv(100)\n  open('{}','a').write(d.decode()+'\\n')", log.display())],
    );
    assert_eq!(net.first_line(sink), "ready");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::PermanentAccept));
    // Every datagram comes from the same socket address, so it is one flow to conntrack.
    let send = |text: &str| {
        let code = format!(
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('{}',40000))\ns.sendto(b'{text}',('{}',9999))",
            net.ip4_a, net.ip4_b
        );
        assert!(net
            .exec(&net.a, "/usr/bin/python3", &["-c", &code])
            .status
            .success());
        std::thread::sleep(Duration::from_millis(300));
    };
    let received = || std::fs::read_to_string(&log).unwrap_or_default();
    send("one");
    assert_eq!(received(), "one\n");
    assert_eq!(app.connections().len(), 1);
    let ip = |s: &str| -> [u8; 4] { s.parse::<std::net::Ipv4Addr>().unwrap().octets() };
    app.send(&Command::UpdateV4(zenithfence_protocol::Update {
        protocol: 17,
        local_ip: ip(&net.ip4_a),
        local_port: 40000,
        remote_ip: ip(&net.ip4_b),
        remote_port: 9999,
        verdict: Verdict::PermanentDrop,
    }));
    std::thread::sleep(Duration::from_millis(200));
    send("two");
    assert_eq!(
        received(),
        "one\n",
        "the update dropped the flow's next datagram"
    );
    assert_eq!(
        app.connections().len(),
        1,
        "decided from the cache, not asked"
    );
    app.send(&Command::ClearCache);
    std::thread::sleep(Duration::from_millis(200));
    send("three");
    assert_eq!(
        received(),
        "one\nthree\n",
        "after ClearCache the flow is asked again and allowed"
    );
    assert_eq!(app.connections().len(), 2);
}

#[test]
fn sigterm_answers_every_held_packet_and_removes_the_rules() {
    let Some(_serial) = root_test("sigterm_answers_every_held_packet_and_removes_the_rules") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("bye");
    let daemon = Daemon::start(&net, &["--hold-timeout-ms", "60000"]);
    let app = Responder::start(&daemon.socket, Box::new(|_| None));
    let url = format!("http://{}:8080/", net.ip4_b);
    let ns = net.a.clone();
    let fetch = std::thread::spawn(move || {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &ns, "curl", "-s", "--max-time", "8", &url])
            .output()
            .unwrap();
        out.status.code()
    });
    assert!(app.wait_for(Duration::from_secs(5), |i| i.iter().any(is_connection)));
    let stopped = Instant::now();
    assert!(daemon.stop("TERM").success());
    assert_eq!(
        fetch.join().unwrap(),
        Some(0),
        "the held connection was let through"
    );
    assert!(
        stopped.elapsed() < Duration::from_secs(1),
        "answered at once, not by a retry"
    );
    assert_eq!(net.ruleset(&net.a), "", "the rules are removed");
    assert!(app.wait_for(Duration::from_secs(2), |_| true));
    assert!(
        app.seen.lock().unwrap().ended,
        "the client read end-of-stream"
    );
}

/// Connects to the daemon as `uid:gid` (python, to be another process) and returns what
/// happened: "ok" after a HelloReply, or the error.
fn connect_as(socket: &std::path::Path, uid: u32, gid: u32) -> String {
    let code = format!(
        "import socket\ntry:\n  s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n  s.connect('{}')\n  s.send(bytes([128,1,0,7,0,0,0]))\n  s.settimeout(3)\n  d=s.recv(16384)\n  print('ok' if d[:1]==bytes([128]) else 'closed' if not d else 'other')\nexcept OSError as e:\n  print(type(e).__name__)",
        socket.display()
    );
    let out = std::process::Command::new("setpriv")
        .args([
            &format!("--reuid={uid}"),
            &format!("--regid={gid}"),
            "--clear-groups",
            "/usr/bin/python3",
            "-c",
            &code,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn only_root_or_the_group_may_connect_and_only_one_client_at_a_time() {
    let Some(_serial) =
        root_test("only_root_or_the_group_may_connect_and_only_one_client_at_a_time")
    else {
        return;
    };
    let net = TestNet::new();
    // The net's private directory (0700) holds the socket: let the other uids reach it.
    std::fs::set_permissions(
        &net.dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o711),
    )
    .unwrap();
    let daemon = Daemon::start(&net, &["--group", "nogroup"]);
    assert_eq!(
        connect_as(&daemon.socket, 65534, 65534),
        "ok",
        "a member of the group"
    );
    assert_eq!(
        connect_as(&daemon.socket, 65534, 1),
        "PermissionError",
        "neither root nor in the group"
    );
    let first = Responder::start(&daemon.socket, Box::new(|_| None));
    assert!(first.wait_for(Duration::from_secs(2), |i| i
        .iter()
        .any(|i| matches!(i, Info::HelloReply(_)))));
    let second = connect_as(&daemon.socket, 0, 0);
    assert!(
        ["closed", "BrokenPipeError", "ConnectionResetError"].contains(&second.as_str()),
        "a second client is turned away, got {second}"
    );
    drop(first);
}

#[test]
fn a_second_daemon_in_the_same_namespace_changes_nothing() {
    let Some(_serial) = root_test("a_second_daemon_in_the_same_namespace_changes_nothing") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("first");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    // A daemon in another namespace is no second instance: both run.
    let other = Daemon::start_in(&net, &net.b.clone(), &[], None);
    let second_socket = net.dir.join("second.sock");
    let out = net.exec(
        &net.a,
        BINARY,
        &[
            "--socket",
            &second_socket.to_string_lossy(),
            "--queue",
            &daemon.queue.to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second daemon failed");
    assert!(
        stderr.starts_with(
            "zenithfenced: another zenithfenced is already running in this network namespace"
        ) && stderr.lines().count() == 1,
        "one sentence: {stderr}"
    );
    assert!(!second_socket.exists(), "it created nothing");
    assert_eq!(
        net.queue_rules_and_tables(&net.a, daemon.queue),
        (2, 1),
        "the first daemon's rules are still there"
    );
    // The first daemon still holds and decides new connections through its client.
    let (code, body, _) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!((code, body.as_str()), (0, "first"));
    assert_eq!(app.connections().len(), 1, "asked through the first daemon");
    drop(other);
}

#[test]
fn a_second_daemon_with_the_same_socket_path_in_another_namespace_changes_nothing() {
    let Some(_serial) =
        root_test("a_second_daemon_with_the_same_socket_path_in_another_namespace_changes_nothing")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("still mine");
    let daemon = Daemon::start(&net, &[]);
    // A leftover table in b, as a killed daemon leaves it: a start that got as far as sweeping
    // leftovers would remove it.
    let leftover = net.exec(&net.b, "nft", &["add", "table", "inet", "zenithfence_7"]);
    assert!(leftover.status.success());
    // Bounded: a second daemon that did start would otherwise run for ever.
    let out = net.exec(
        &net.b,
        "timeout",
        &[
            "5",
            BINARY,
            "--socket",
            &daemon.socket.to_string_lossy(),
            "--queue",
            &daemon.queue.to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the second daemon failed: {stderr}"
    );
    assert!(
        stderr.starts_with(&format!(
            "zenithfenced: another zenithfenced is already serving the client socket {}",
            daemon.socket.display()
        )) && stderr.lines().count() == 1,
        "one sentence: {stderr}"
    );
    assert_eq!(
        net.ruleset(&net.b),
        "table inet zenithfence_7 {\n}\n",
        "nothing in b was touched"
    );
    // The first daemon's socket is still its own: its app connects and decides a connection.
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    let (code, body, _) = net.curl(&net.a, &format!("http://{}:8080/", net.ip4_b), &[]);
    assert_eq!((code, body.as_str()), (0, "still mine"));
    assert_eq!(app.connections().len(), 1, "asked through the first daemon");
}

#[test]
fn sigstop_and_sigcont_log_no_interrupted_calls_and_decisions_go_on() {
    let Some(_serial) =
        root_test("sigstop_and_sigcont_log_no_interrupted_calls_and_decisions_go_on")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("resumed");
    let daemon = Daemon::start_logged(&net, &[]);
    // A temporary accept: every connection of every round is asked again.
    let app = Responder::start(&daemon.socket, always(Verdict::Accept));
    let url = format!("http://{}:8080/", net.ip4_b);
    for round in 1..=3 {
        daemon.signal("STOP");
        // A connection that comes while the daemon is stopped waits in the kernel queue.
        let fetch = {
            let (ns, url) = (net.a.clone(), url.clone());
            std::thread::spawn(move || {
                let out = std::process::Command::new("ip")
                    .args(["netns", "exec", &ns, "curl", "-s", "--max-time", "8", &url])
                    .output()
                    .unwrap();
                (
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                )
            })
        };
        // Long enough for every thread of the daemon to be in a blocking call when it stops.
        std::thread::sleep(Duration::from_millis(300));
        daemon.signal("CONT");
        let (code, body) = fetch.join().unwrap();
        assert_eq!((code, body.as_str()), (Some(0), "resumed"), "round {round}");
        assert_eq!(app.connections().len(), round, "decided through the app");
    }
    // The blocking calls that were interrupted are retried quietly.
    let log = daemon.stderr_text();
    let noisy: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Interrupted") || l.starts_with("zenithfenced: error"))
        .collect();
    assert!(noisy.is_empty(), "{noisy:?} in:\n{log}");
}
