//! What the daemon reports besides questions, on real traffic between two namespaces: the
//! process behind a connection (also for another uid and for inbound connections), DNS names
//! before the connection they name, connection ends, and byte counts within 0.5 %.
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
use zenithfence_protocol::{Command, Info, Verdict};

fn accept_all() -> Box<support::responder::Policy> {
    Box::new(|_| Some((Verdict::PermanentAccept, Duration::ZERO)))
}

fn canonical(path: &str) -> String {
    std::fs::canonicalize(path)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The Process info sent for the connection info that follows it.
fn process_before(infos: &[Info], connection_at: usize) -> &zenithfence_protocol::Process {
    let pid = match &infos[connection_at] {
        Info::ConnectionV4(c) => c.process_id,
        Info::ConnectionV6(c) => c.process_id,
        other => panic!("not a connection: {other:?}"),
    };
    infos[..connection_at]
        .iter()
        .rev()
        .find_map(|i| match i {
            Info::Process(p) if p.process_id == pid => Some(p),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Process info for pid {pid} before the connection"))
}

#[test]
fn the_process_behind_outbound_and_inbound_connections_is_named() {
    let Some(_serial) = root_test("the_process_behind_outbound_and_inbound_connections_is_named")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("who");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());
    let url = format!("http://{}:8080/", net.ip4_b);
    assert_eq!(net.curl(&net.a, &url, &[]).0, 0);
    let as_nobody = net.exec(
        &net.a,
        "setpriv",
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "curl",
            "-s",
            "--max-time",
            "8",
            &url,
        ],
    );
    assert!(as_nobody.status.success(), "curl as nobody");
    // Inbound: a server in the daemon's namespace, a client in the other.
    let server = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &["-c", "import socket\ns=socket.socket()\ns.bind(('0.0.0.0',7070))\ns.listen()\nprint('ready',flush=True)\nc,_=s.accept()\nc.close()"],
    );
    assert_eq!(net.first_line(server), "ready");
    let inbound = net.exec(
        &net.b,
        "/usr/bin/python3",
        &[
            "-c",
            &format!(
                "import socket\nsocket.create_connection(('{}',7070),5).close()",
                net.ip4_a
            ),
        ],
    );
    assert!(inbound.status.success());
    assert!(app.wait_for(Duration::from_secs(3), |i| i
        .iter()
        .filter(|i| matches!(i, Info::ConnectionV4(_)))
        .count()
        == 3));
    let infos = app.infos();
    let connections: Vec<usize> = (0..infos.len())
        .filter(|&i| matches!(infos[i], Info::ConnectionV4(_)))
        .collect();
    let curl = canonical("/usr/bin/curl");
    let root_curl = process_before(&infos, connections[0]);
    assert_eq!((root_curl.path.as_str(), root_curl.uid), (curl.as_str(), 0));
    assert_eq!(
        root_curl.command_line.first().map(String::as_str),
        Some("curl")
    );
    let nobody_curl = process_before(&infos, connections[1]);
    assert_eq!(
        (nobody_curl.path.as_str(), nobody_curl.uid),
        (curl.as_str(), 65534)
    );
    let Info::ConnectionV4(incoming) = &infos[connections[2]] else {
        unreachable!()
    };
    assert_eq!((incoming.direction, incoming.local_port), (1, 7070));
    let server = process_before(&infos, connections[2]);
    assert_eq!(server.path, canonical("/usr/bin/python3"));
}

/// A process that connects, then runs another program (same pid, same start time) that
/// connects again: the second connection is the new program's. The daemon names the second
/// without reading `/proc` only when the kernel's records prove nothing changed, and here the
/// exec is what they must show.
#[test]
fn a_process_that_runs_another_program_between_connections_is_named_as_that_program() {
    let Some(_serial) = root_test(
        "a_process_that_runs_another_program_between_connections_is_named_as_that_program",
    ) else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("again");
    let daemon = Daemon::start_logged(&net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());
    let b = net.ip4_b.clone();
    // Three connects by bash (its details are read and watched after the first), then python.
    let script = format!(
        "for i in 1 2 3; do exec 3<>/dev/tcp/{b}/8080; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; \
         cat <&3 >/dev/null; exec 3<&-; done; \
         exec /usr/bin/python3 -c \"import socket; socket.create_connection(('{b}', 8080), 5).close()\""
    );
    let out = net.exec(&net.a, "/usr/bin/bash", &["-c", &script]);
    assert!(out.status.success(), "{out:?}");
    assert!(app.wait_for(Duration::from_secs(3), |i| i
        .iter()
        .filter(|i| matches!(i, Info::ConnectionV4(_)))
        .count()
        == 4));
    let infos = app.infos();
    let named: Vec<(u64, String)> = (0..infos.len())
        .filter(|&i| matches!(infos[i], Info::ConnectionV4(_)))
        .map(|i| {
            let p = process_before(&infos, i);
            (p.process_id, p.path.clone())
        })
        .collect();
    let (bash, python) = (canonical("/usr/bin/bash"), canonical("/usr/bin/python3"));
    let pid = named[0].0;
    assert_eq!(
        named,
        [
            (pid, bash.clone()),
            (pid, bash.clone()),
            (pid, bash),
            (pid, python)
        ]
    );
    // The kernel's records were all there to use (no "BPF:" warning of a missing part).
    let log = daemon.stderr_text();
    assert!(!log.contains("BPF:"), "{log}");
}

/// 16 threads that connect 8 times each, from a process that holds 400 more descriptors (as a
/// browser holds hundreds): new sockets rarely take the descriptor number of the last one.
const BUSY_CLIENT: &str = r#"
import os, socket, sys, threading
held = [os.pipe() for _ in range(200)]
print(os.getpid(), flush=True)
def run():
    for _ in range(8):
        socket.create_connection((sys.argv[1], 8080), 5).close()
threads = [threading.Thread(target=run) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
"#;

#[test]
fn every_connection_of_a_process_with_many_threads_and_descriptors_is_named() {
    let Some(_serial) =
        root_test("every_connection_of_a_process_with_many_threads_and_descriptors_is_named")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("busy");
    let daemon = Daemon::start_logged(&net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());
    let ns = net.a.clone();
    let ip = net.ip4_b.clone();
    let client = net.spawn(&ns, "/usr/bin/python3", &["-c", BUSY_CLIENT, &ip]);
    let pid: u64 = net.first_line(client).parse().unwrap();
    let connections = |infos: &[Info]| -> Vec<u64> {
        infos
            .iter()
            .filter_map(|i| match i {
                Info::ConnectionV4(c) if c.remote_port == 8080 => Some(c.process_id),
                _ => None,
            })
            .collect()
    };
    assert!(
        app.wait_for(Duration::from_secs(20), |i| connections(i).len() == 128),
        "{} of 128 connections seen",
        connections(&app.infos()).len()
    );
    let pids = connections(&app.infos());
    let named = pids.iter().filter(|&&p| p == pid).count();
    assert_eq!(named, 128, "connections named after the process: {pids:?}");
    // By the kernel's record of each connect: no descriptor list read, however busy.
    let log = daemon.stderr_text();
    assert!(
        log.contains("processes are named by the kernel's record of each connect"),
        "{log}"
    );
    assert!(!log.contains("without a process"), "{log}");
}

/// Connects a UDP socket (which sends nothing), hands it to a child and closes its own copy;
/// the child sends the flow's first datagram. An earlier TCP connection has the daemon read
/// this process first. Prints its pid and the child's.
/// With `disconnect`, the socket is disconnected (a connect with AF_UNSPEC) before it is handed
/// on, and the child sends to an address of its choosing instead.
const HANDED_ON: &str = r#"
import ctypes, os, socket, sys, time
socket.create_connection((sys.argv[1], 8080), 5).close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect((sys.argv[1], 9999))
if sys.argv[2] == 'disconnect':
    unspec = ctypes.create_string_buffer(16)
    assert ctypes.CDLL(None, use_errno=True).connect(u.fileno(), unspec, 16) == 0
r, w = os.pipe()
child = os.fork()
if child == 0:
    os.close(w)
    os.read(r, 1)
    if sys.argv[2] == 'disconnect':
        u.sendto(b'x', (sys.argv[1], 9998))
    else:
        u.send(b'x')
    time.sleep(2)
    os._exit(0)
u.close()
os.close(r)
print(os.getpid(), child, flush=True)
os.write(w, b'g')
os.waitpid(child, 0)
time.sleep(3)
"#;

#[test]
fn the_process_that_connected_is_named_even_after_it_handed_the_socket_on() {
    let Some(_serial) =
        root_test("the_process_that_connected_is_named_even_after_it_handed_the_socket_on")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("handed");
    let ip = net.ip4_b.clone();
    let ns = net.a.clone();
    // With the kernel's record (the default), then with /proc alone (`--no-bpf`); then a socket
    // disconnected before it was handed on, whose record no longer says who sends.
    let runs = [
        (&[][..], "connected", 9999, true),
        (&["--no-bpf"][..], "connected", 9999, false),
        (&[][..], "disconnect", 9998, false),
    ];
    for (options, mode, port, connecter_named) in runs {
        let daemon = Daemon::start_logged(&net, options);
        let app = Responder::start(&daemon.socket, accept_all());
        let client = net.spawn(&ns, "/usr/bin/python3", &["-c", HANDED_ON, &ip, mode]);
        let line = net.first_line(client);
        let pids: Vec<u64> = line.split(' ').map(|p| p.parse().unwrap()).collect();
        let (parent, child) = (pids[0], pids[1]);
        let udp = |infos: &[Info]| {
            infos.iter().find_map(|i| match i {
                Info::ConnectionV4(c) if c.remote_port == port => Some(c.process_id),
                _ => None,
            })
        };
        assert!(
            app.wait_for(Duration::from_secs(10), |i| udp(i).is_some()),
            "{options:?} {mode}: no question for the datagram"
        );
        let named = udp(&app.infos()).unwrap();
        let expected = if connecter_named { parent } else { child };
        assert_eq!(
            named, expected,
            "{options:?} {mode}: the connecting process is {parent}, the sender {child}"
        );
        drop(app);
        daemon.stop("TERM");
    }
}

const DNS_CLIENT: &str = r#"
import socket, struct, sys
name = b''.join(bytes([len(p)]) + p.encode() for p in sys.argv[2].split('.')) + b'\0'
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00' + name + b'\x00\x01\x00\x01', (sys.argv[1], 53))
reply = s.recv(512)
ip = '.'.join(str(b) for b in reply[-4:])
socket.create_connection((ip, 8080), 5).close()
"#;

#[test]
fn dns_names_arrive_before_the_connection_they_name() {
    let Some(_serial) = root_test("dns_names_arrive_before_the_connection_they_name") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("named");
    let dns = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", support::DNS_SERVER, &net.ip4_b.clone()],
    );
    assert_eq!(net.first_line(dns), "ready");
    // Only answers of a resolver of this host name anything.
    let daemon = Daemon::start(&net, &["--dns-resolver", &net.ip4_b.clone()]);
    let app = Responder::start(&daemon.socket, accept_all());
    let out = net.exec(
        &net.a,
        "/usr/bin/python3",
        &["-c", DNS_CLIENT, &net.ip4_b, "www.zenith.test"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(app.wait_for(Duration::from_secs(3), |i| i
        .iter()
        .any(|i| matches!(i, Info::ConnectionV4(c) if c.remote_port == 8080))));
    let infos = app.infos();
    let name_at = infos
        .iter()
        .position(
            |i| matches!(i, Info::DnsNameV4(d) if d.name == "www.zenith.test" && d.ttl_s == 300),
        )
        .unwrap_or_else(|| panic!("no DNS name info: {infos:?}"));
    let Info::DnsNameV4(name) = &infos[name_at] else {
        unreachable!()
    };
    assert_eq!(name.ip.map(|b| b.to_string()).join("."), net.ip4_b);
    let connection_at = infos
        .iter()
        .position(|i| matches!(i, Info::ConnectionV4(c) if c.remote_port == 8080))
        .unwrap();
    assert!(
        name_at < connection_at,
        "the name comes before the connection it names"
    );
}

/// A DNS server that answers every query truthfully with 192.0.2.10, and around the answer to
/// the first one sends forged answers claiming that the name, or `trusted.example`, is b itself
/// (argv[1]): the wrong question with the right id, the right question with a wrong id, the right
/// answer again (a duplicate), and both to a port that asked nothing.
const FORGING_DNS_SERVER: &str = r#"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 53))
print('ready', flush=True)
own = bytes(int(x) for x in sys.argv[1].split('.'))
def wire(name):
    return b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
def answer(txid, qname, address):
    return (struct.pack('>HHHHHH', txid, 0x8180, 1, 1, 0, 0) + qname + b'\x00\x01\x00\x01'
            + b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 300, 4) + address)
first = True
while True:
    q, peer = s.recvfrom(512)
    txid = struct.unpack('>H', q[:2])[0]
    qname = q[12:q.index(b'\0', 12) + 1]
    trusted = wire('trusted.example')
    if first:
        s.sendto(answer(txid, trusted, own), peer)
        s.sendto(answer(txid ^ 0x5555, qname, own), peer)
        s.sendto(answer(txid ^ 0x5555, trusted, own), peer)
    s.sendto(answer(txid, qname, bytes([192, 0, 2, 10])), peer)
    if first:
        s.sendto(answer(txid, qname, own), peer)
        s.sendto(answer(txid, trusted, own), peer)
        s.sendto(answer(txid, trusted, own), (peer[0], 5353))
        s.sendto(answer(txid, qname, own), (peer[0], 5353))
        first = False
"#;

/// Resolves argv[2] through the server at argv[1], waits for the forgeries to arrive too, then
/// resolves `last.zenith.test` (whose answer marks the end of the exchange).
const RESOLVING_CLIENT: &str = r#"
import socket, struct, sys, time
def resolve(name):
    qname = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b'\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00' + qname + b'\x00\x01\x00\x01', (sys.argv[1], 53))
    while True:
        reply = s.recv(512)
        if reply[:2] == b'\xab\xcd' and reply[12:12 + len(qname)] == qname:
            return '.'.join(str(b) for b in reply[-4:])
print(resolve(sys.argv[2]), flush=True)
time.sleep(0.3)
print(resolve('last.zenith.test'), flush=True)
"#;

#[test]
fn forged_dns_answers_name_nothing() {
    let Some(_serial) = root_test("forged_dns_answers_name_nothing") else {
        return;
    };
    let mut net = TestNet::new();
    let dns = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", FORGING_DNS_SERVER, &net.ip4_b.clone()],
    );
    assert_eq!(net.first_line(dns), "ready");
    let daemon = Daemon::start(&net, &["--dns-resolver", &net.ip4_b.clone()]);
    let app = Responder::start(&daemon.socket, accept_all());
    let out = net.exec(
        &net.a,
        "/usr/bin/python3",
        &["-c", RESOLVING_CLIENT, &net.ip4_b, "www.zenith.test"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "192.0.2.10\n192.0.2.10\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let named = |infos: &[Info], wanted: &str| {
        infos
            .iter()
            .any(|i| matches!(i, Info::DnsNameV4(d) if d.name == wanted))
    };
    // Logged in order, so once the last name is here every forgery was read before it.
    assert!(
        app.wait_for(Duration::from_secs(5), |i| named(i, "last.zenith.test")),
        "the last answer names its address: {:?}",
        app.infos()
    );
    let names: Vec<(String, String)> = app
        .infos()
        .iter()
        .filter_map(|i| match i {
            Info::DnsNameV4(d) => Some((d.name.clone(), d.ip.map(|b| b.to_string()).join("."))),
            Info::DnsNameV6(d) => Some((d.name.clone(), format!("{:?}", d.ip))),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("www.zenith.test".to_string(), "192.0.2.10".to_string()),
            ("last.zenith.test".to_string(), "192.0.2.10".to_string()),
        ],
        "only the real answers name addresses; the forgeries name nothing"
    );
    app.send(&Command::GetLogs);
    assert!(
        app.wait_for(Duration::from_secs(2), |i| i.iter().any(
            |i| matches!(i, Info::LogLine(l) if l.text.contains("ignored: it answers no query"))
        )),
        "the forgeries were logged"
    );
}

/// DNS in small steps, for the tests below (every socket has a timeout):
/// - `serve BIND ADDRESS`: a DNS server on BIND:53 answering every A query with ADDRESS;
/// - `ask RESOLVER NAME`: resolves NAME through RESOLVER, prints the address, then connects to
///   it on port 8080 (the connection the name should be shown for);
/// - `send RESOLVER NAME PORT ID`: sends one query from local PORT with transaction ID and
///   does not wait for an answer;
/// - `forge SOURCE TARGET PORT ID NAME ADDRESS`: sends an answer from SOURCE:53 to TARGET:PORT
///   claiming that NAME is ADDRESS.
///
/// Sockets on port 53 share it (SO_REUSEADDR), so a forger can send from a server's port.
const DNS_TOOL: &str = r#"
import socket, struct, sys
def wire(name):
    return b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
def query(txid, name):
    return struct.pack('>HHHHHH', txid, 0x0100, 1, 0, 0, 0) + wire(name) + b'\x00\x01\x00\x01'
def answer(txid, qname, address):
    return (struct.pack('>HHHHHH', txid, 0x8180, 1, 1, 0, 0) + qname + b'\x00\x01\x00\x01'
            + b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 300, 4) + socket.inet_aton(address))
def udp(bind, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port))
    s.settimeout(5)
    return s
mode, args = sys.argv[1], sys.argv[2:]
if mode == 'serve':
    s = udp(args[0], 53)
    s.settimeout(None)
    print('ready', flush=True)
    while True:
        q, peer = s.recvfrom(512)
        s.sendto(answer(struct.unpack('>H', q[:2])[0], q[12:q.index(b'\0', 12) + 1], args[1]), peer)
elif mode == 'ask':
    s = udp('0.0.0.0', 0)
    s.sendto(query(0x4242, args[1]), (args[0], 53))
    address = socket.inet_ntoa(s.recv(512)[-4:])
    print(address, flush=True)
    socket.create_connection((address, 8080), 5).close()
elif mode == 'send':
    s = udp('0.0.0.0', int(args[2]))
    s.sendto(query(int(args[3]), args[1]), (args[0], 53))
elif mode == 'forge':
    s = udp(args[0], 53)
    s.sendto(answer(int(args[3]), wire(args[4]), args[5]), (args[1], int(args[2])))
"#;

/// The DNS names the client was given, in order, as (name, IPv4 address).
fn dns_names(infos: &[Info]) -> Vec<(String, String)> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::DnsNameV4(d) => Some((d.name.clone(), d.ip.map(|b| b.to_string()).join("."))),
            _ => None,
        })
        .collect()
}

/// Where in `infos` the `nth` (from 0) outbound IPv4 connection to port 8080 is.
fn nth_web_connection(infos: &[Info], nth: usize) -> Option<usize> {
    (0..infos.len())
        .filter(|&i| matches!(&infos[i], Info::ConnectionV4(c) if c.remote_port == 8080 && c.direction == 0))
        .nth(nth)
}

/// Runs the DNS tool in `ns`; fails the test if it fails.
fn dns_tool(net: &TestNet, ns: &str, args: &[&str]) -> String {
    let mut all = vec!["-c", DNS_TOOL];
    all.extend_from_slice(args);
    let out = net.exec(ns, "/usr/bin/python3", &all);
    assert!(
        out.status.success(),
        "dns tool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn only_answers_of_the_resolvers_in_resolv_conf_name_connections() {
    let Some(_serial) = root_test("only_answers_of_the_resolvers_in_resolv_conf_name_connections")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("named");
    // b has two addresses: the resolver a's resolv.conf names, and a host a program in a may
    // ask all the same (the attacker's), which answers that trusted.example is itself.
    let resolver = format!("{}.53", net.ip4_b.rsplit_once('.').unwrap().0);
    let added = net.exec(
        &net.b,
        "ip",
        &["addr", "add", &format!("{resolver}/24"), "dev", "veth1"],
    );
    assert!(added.status.success());
    let (ip4_b, b) = (net.ip4_b.clone(), net.b.clone());
    let real = net.spawn(
        &b,
        "/usr/bin/python3",
        &["-c", DNS_TOOL, "serve", &resolver, &ip4_b],
    );
    assert_eq!(net.first_line(real), "ready");
    let rogue = net.spawn(
        &b,
        "/usr/bin/python3",
        &["-c", DNS_TOOL, "serve", &ip4_b, &ip4_b],
    );
    assert_eq!(net.first_line(rogue), "ready");
    let a = net.a.clone();
    net.resolv_conf(
        &a,
        &format!("# the test's\nnameserver {resolver}\noptions edns0\n"),
    );
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());

    // Asked, answered, and connected to: but the host asked is no resolver.
    assert_eq!(
        dns_tool(&net, &a, &["ask", &ip4_b, "trusted.example"]),
        ip4_b
    );
    // The resolver's answer names the connection that follows it.
    assert_eq!(
        dns_tool(&net, &a, &["ask", &resolver, "www.zenith.test"]),
        ip4_b
    );
    assert!(
        app.wait_for(Duration::from_secs(3), |i| nth_web_connection(i, 1)
            .is_some())
    );
    let infos = app.infos();
    let wanted = vec![("www.zenith.test".to_string(), ip4_b.clone())];
    assert_eq!(
        dns_names(&infos),
        wanted,
        "the rogue host's answer names nothing"
    );
    let name_at = infos
        .iter()
        .position(|i| matches!(i, Info::DnsNameV4(d) if d.name == "www.zenith.test"))
        .unwrap();
    let first_connection = nth_web_connection(&infos, 0).unwrap();
    let second_connection = nth_web_connection(&infos, 1).unwrap();
    assert!(
        first_connection < name_at && name_at < second_connection,
        "the name comes before the connection it names, and after the one it does not"
    );

    // Another network: the file now names b's first address, and the daemon reads it again.
    net.resolv_conf(&a, &format!("nameserver {ip4_b}\n"));
    let named_again = (0..20).any(|_| {
        dns_tool(&net, &a, &["ask", &ip4_b, "moved.zenith.test"]);
        app.wait_for(Duration::from_millis(300), |i| {
            dns_names(i)
                .iter()
                .any(|(name, _)| name == "moved.zenith.test")
        })
    });
    assert!(
        named_again,
        "the changed resolv.conf was read: {:?}",
        dns_names(&app.infos())
    );
}

#[test]
fn an_answer_to_a_query_that_was_blocked_or_dropped_names_nothing() {
    let Some(_serial) = root_test("an_answer_to_a_query_that_was_blocked_or_dropped_names_nothing")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("named");
    let (ip4_a, ip4_b, a, b) = (
        net.ip4_a.clone(),
        net.ip4_b.clone(),
        net.a.clone(),
        net.b.clone(),
    );
    let server = net.spawn(
        &b,
        "/usr/bin/python3",
        &["-c", DNS_TOOL, "serve", "0.0.0.0", &ip4_b],
    );
    assert_eq!(net.first_line(server), "ready");
    let daemon = Daemon::start(&net, &["--dns-resolver", &ip4_b]);
    // The app blocks what port 41053 sends and drops what port 41054 sends; the rest may go.
    let app = Responder::start(
        &daemon.socket,
        Box::new(|info| {
            let verdict = match info {
                Info::ConnectionV4(c) if c.local_port == 41053 => Verdict::PermanentBlock,
                Info::ConnectionV4(c) if c.local_port == 41054 => Verdict::PermanentDrop,
                _ => Verdict::PermanentAccept,
            };
            Some((verdict, Duration::ZERO))
        }),
    );
    dns_tool(
        &net,
        &a,
        &["send", &ip4_b, "trusted.example", "41053", "4369"],
    );
    dns_tool(
        &net,
        &a,
        &["send", &ip4_b, "trusted.example", "41054", "8738"],
    );
    assert!(
        (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            app.seen.lock().unwrap().answered.len() >= 2
        }),
        "both queries were decided: {:?}",
        app.connections()
    );
    // Forged answers from the resolver's address that match the queries in every part.
    for (port, id) in [("41053", "4369"), ("41054", "8738")] {
        dns_tool(
            &net,
            &b,
            &["forge", &ip4_b, &ip4_a, port, id, "trusted.example", &ip4_b],
        );
    }
    // The real resolver's answer, logged after the forgeries, names its connection.
    assert_eq!(
        dns_tool(&net, &a, &["ask", &ip4_b, "www.zenith.test"]),
        ip4_b
    );
    assert!(
        app.wait_for(Duration::from_secs(3), |i| nth_web_connection(i, 0)
            .is_some())
    );
    let infos = app.infos();
    assert_eq!(
        dns_names(&infos),
        vec![("www.zenith.test".to_string(), ip4_b.clone())],
        "answers to queries that never left name nothing"
    );
    let name_at = infos
        .iter()
        .position(|i| matches!(i, Info::DnsNameV4(d) if d.name == "www.zenith.test"))
        .unwrap();
    assert!(name_at < nth_web_connection(&infos, 0).unwrap());
}

/// Sums the bandwidth entries of one local port over GetBandwidthStats requests until `done`.
fn bytes_of(
    app: &Responder,
    protocol: u8,
    local_port: u16,
    done: impl Fn(u64, u64) -> bool,
) -> (u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut counted = 0;
    let (mut tx, mut rx) = (0, 0);
    while Instant::now() < deadline {
        app.send(&Command::GetBandwidthStats);
        std::thread::sleep(Duration::from_millis(200));
        let infos = app.infos();
        let (sent, received) = reported_bytes(&infos[counted..], protocol, local_port);
        (tx, rx) = (tx + sent, rx + received);
        counted = infos.len();
        if done(tx, rx) {
            break;
        }
    }
    (tx, rx)
}

/// The bytes the BandwidthStats infos among `infos` report for one local port, summed.
fn reported_bytes(infos: &[Info], protocol: u8, local_port: u16) -> (u64, u64) {
    let (mut tx, mut rx) = (0, 0);
    for info in infos {
        let (stats_protocol, entries): (u8, Vec<(u16, u64, u64)>) = match info {
            Info::BandwidthStatsV4(s) => (
                s.protocol,
                s.entries
                    .iter()
                    .map(|e| (e.local_port, e.transmitted, e.received))
                    .collect(),
            ),
            Info::BandwidthStatsV6(s) => (
                s.protocol,
                s.entries
                    .iter()
                    .map(|e| (e.local_port, e.transmitted, e.received))
                    .collect(),
            ),
            _ => continue,
        };
        for (_, sent, received) in entries
            .into_iter()
            .filter(|(port, _, _)| stats_protocol == protocol && *port == local_port)
        {
            tx += sent;
            rx += received;
        }
    }
    (tx, rx)
}

fn within_half_percent(measured: u64, expected: u64) -> bool {
    (measured as f64 - expected as f64).abs() / expected as f64 <= 0.005
}

#[test]
fn tcp_and_udp_bytes_are_reported_within_half_a_percent_and_ends_arrive() {
    let Some(_serial) =
        root_test("tcp_and_udp_bytes_are_reported_within_half_a_percent_and_ends_arrive")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("x");
    let big = net.www().join("big.bin");
    std::fs::write(&big, vec![7u8; 10_000_000]).unwrap();
    let sink = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',9999))\nprint('ready',flush=True)\nwhile True: s.recv(2000)"],
    );
    assert_eq!(net.first_line(sink), "ready");
    // UDP flows end after the conntrack timeout: keep it short in the test namespace.
    let sysctl = net.exec(
        &net.a,
        "sysctl",
        &["-qw", "net.netfilter.nf_conntrack_udp_timeout=2"],
    );
    assert!(sysctl.status.success());
    let daemon = Daemon::start(&net, &[]);
    // The app answers after 50 ms, as a busy engine might: a UDP burst keeps coming meanwhile,
    // and none of it may be lost while the first datagram waits.
    let app = Responder::start(
        &daemon.socket,
        Box::new(|_| Some((Verdict::PermanentAccept, Duration::from_millis(50)))),
    );

    // 10 MB down over TCP.
    let (code, out, _) = net.curl(
        &net.a,
        &format!("http://{}:8080/big.bin", net.ip4_b),
        &["-o", "/dev/null", "-w", "%{local_port}"],
    );
    assert_eq!(code, 0);
    let tcp_port: u16 = out.trim().parse().unwrap();
    let (_, rx) = bytes_of(&app, 6, tcp_port, |_, rx| rx >= 10_000_000);
    eprintln!("TCP: 10 000 000 bytes downloaded, {rx} reported");
    assert!(
        within_half_percent(rx, 10_000_000),
        "TCP received {rx} bytes for 10 000 000"
    );
    assert!(
        app.wait_for(Duration::from_secs(3), |i| i.iter().any(
            |i| matches!(i, Info::ConnectionEndV4(e) if e.local_port == tcp_port && e.protocol == 6)
        )),
        "TCP end"
    );

    // 1 MB up over UDP: 1000 datagrams of 1000 bytes from one socket.
    let send = format!(
        "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',0))\nprint(s.getsockname()[1],flush=True)\nfor i in range(1000): s.sendto(b'u'*1000,('{}',9999))",
        net.ip4_b
    );
    let out = net.exec(&net.a, "/usr/bin/python3", &["-c", &send]);
    assert!(out.status.success());
    let udp_port: u16 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let (tx, _) = bytes_of(&app, 17, udp_port, |tx, _| tx >= 1_000_000);
    eprintln!("UDP: 1 000 000 bytes sent, {tx} reported");
    assert!(
        within_half_percent(tx, 1_000_000),
        "UDP sent {tx} bytes for 1 000 000"
    );
    // After the 2 s timeout the next conntrack read evicts the flow and its end is reported.
    std::thread::sleep(Duration::from_millis(2500));
    app.send(&Command::GetBandwidthStats);
    assert!(app.wait_for(Duration::from_secs(5), |i| i.iter().any(|i| matches!(i, Info::ConnectionEndV4(e) if e.local_port == udp_port && e.protocol == 17))), "UDP end");
}

/// A connect to an IPv6 link-local address binds the socket to its interface, as
/// `SO_BINDTODEVICE` does, and sock_diag finds such a socket only when asked with that
/// interface: the daemon asks with the held packet's. So the UDP socket's process is named (a
/// lookup without the interface finds no socket: pid 0), and the open TCP connection's bytes
/// are counted while it lasts (without it, not before its end).
#[test]
fn a_connection_to_a_link_local_address_is_named_and_counted_while_open() {
    let Some(_serial) =
        root_test("a_connection_to_a_link_local_address_is_named_and_counted_while_open")
    else {
        return;
    };
    let mut net = TestNet::new();
    for (ns, address, dev) in [
        (&net.a, "fe80::a/64", "veth0"),
        (&net.b, "fe80::b/64", "veth1"),
    ] {
        let added = net.exec(ns, "ip", &["addr", "add", address, "dev", dev, "nodad"]);
        assert!(added.status.success(), "{added:?}");
    }
    let server = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", "import socket,threading\nt=socket.socket(socket.AF_INET6)\nt.bind(('::',7171))\nt.listen()\nu=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\nu.bind(('::',7172))\nthreading.Thread(target=lambda:[u.recv(2000) for _ in iter(int,1)],daemon=True).start()\nprint('ready',flush=True)\nc,_=t.accept()\nwhile c.recv(65536): pass"],
    );
    assert_eq!(net.first_line(server), "ready");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());
    // Both sockets stay open while the test reads their counts (killed with the net).
    let client = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &["-c", "import socket,time\nscope=socket.if_nametoindex('veth0')\nu=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\nu.connect(('fe80::b',7172,0,scope))\nu.send(b'u'*100)\nt=socket.socket(socket.AF_INET6)\nt.connect(('fe80::b',7171,0,scope))\nt.sendall(b't'*200000)\nprint(u.getsockname()[1],t.getsockname()[1],flush=True)\ntime.sleep(60)"],
    );
    let ports = net.first_line(client);
    let ports: Vec<u16> = ports.split(' ').map(|p| p.parse().unwrap()).collect();
    let (udp_port, tcp_port) = (ports[0], ports[1]);
    let connection_of = |infos: &[Info], protocol: u8, port: u16| {
        infos.iter().position(
            |i| matches!(i, Info::ConnectionV6(c) if c.protocol == protocol && c.local_port == port),
        )
    };
    assert!(app.wait_for(Duration::from_secs(5), |i| {
        connection_of(i, 17, udp_port).is_some() && connection_of(i, 6, tcp_port).is_some()
    }));
    let infos = app.infos();
    let python = canonical("/usr/bin/python3");
    for (protocol, port) in [(17, udp_port), (6, tcp_port)] {
        let at = connection_of(&infos, protocol, port).unwrap();
        let process = process_before(&infos, at);
        assert_eq!(
            (process.path.as_str(), process.process_id != 0),
            (python.as_str(), true),
            "protocol {protocol}: {process:?}"
        );
    }
    let (tx, _) = bytes_of(&app, 6, tcp_port, |tx, _| tx >= 200_000);
    assert!(
        within_half_percent(tx, 200_000),
        "sent 200 000 bytes on an open connection, {tx} counted"
    );
    assert_eq!(ends_of(&app.infos(), tcp_port), 0, "still open");
}

#[test]
fn ends_of_connections_closed_by_a_reset_are_reported() {
    let Some(_serial) = root_test("ends_of_connections_closed_by_a_reset_are_reported") else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("x");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());
    // SO_LINGER 0: close() sends a reset, and the kernel clears the socket's addresses before
    // it reports the socket's end; the daemon must still know which connection it was.
    let code = format!(
        "import socket,struct\nports=[]\nfor i in range(3):\n  s=socket.create_connection(('{}',8080),5)\n  ports.append(s.getsockname()[1])\n  s.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0))\n  s.close()\nprint(' '.join(map(str,ports)))",
        net.ip4_b
    );
    let out = net.exec(&net.a, "/usr/bin/python3", &["-c", &code]);
    assert!(out.status.success());
    let ports: Vec<u16> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(ports.len(), 3);
    for port in ports {
        assert!(
            app.wait_for(Duration::from_secs(3), |i| i.iter().any(
                |i| matches!(i, Info::ConnectionEndV4(e) if e.local_port == port)
            )),
            "end of the connection from port {port}"
        );
    }
}

/// Accepts one connection on port 9200 (or on address argv[1], port argv[2]) and reads it until
/// the peer closes.
const READ_TO_END_SERVER: &str = r#"
import socket, sys
address, port = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('0.0.0.0', 9200)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((address, port))
s.listen()
print('ready', flush=True)
c, _ = s.accept()
while c.recv(65536):
    pass
c.close()
"#;

/// Starts [`READ_TO_END_SERVER`] in `b` (`args`: its address and port, else 0.0.0.0:9200) and
/// waits until it listens.
fn read_to_end_server(net: &mut TestNet, args: &[&str]) {
    let mut argv = vec!["-c", READ_TO_END_SERVER];
    argv.extend_from_slice(args);
    let server = net.spawn(&net.b.clone(), "/usr/bin/python3", &argv);
    assert_eq!(net.first_line(server), "ready");
}

/// Connects to argv[1]:9200 (from a socket bound to the interface argv[6], when given) and
/// prints its port; sends argv[2] bytes, then argv[4] more once the file argv[3] exists, and
/// closes once argv[5] exists.
const TWO_PART_SENDER: &str = r#"
import os, socket, sys, time
def wait(path):
    while not os.path.exists(path):
        time.sleep(0.02)
s = socket.socket()
if len(sys.argv) > 6:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[6].encode())
s.settimeout(5)
s.connect((sys.argv[1], 9200))
s.settimeout(None)
print(s.getsockname()[1], flush=True)
s.sendall(b'x' * int(sys.argv[2]))
wait(sys.argv[3])
s.sendall(b'y' * int(sys.argv[4]))
wait(sys.argv[5])
s.close()
time.sleep(60)
"#;

/// Whether the daemon logging to the net's `daemon.log` reads TCP ends from BPF.
fn has_bpf_ends(net: &TestNet) -> bool {
    let log = std::fs::read_to_string(net.dir.join("daemon.log")).unwrap_or_default();
    log.contains("TCP connection ends from the kernel's TCP state changes (BPF)")
}

/// A daemon (logging) in the net and an app answering it accept-all, or none, said aloud, when
/// the daemon has no BPF source of TCP ends here. (Bound in this order, the app goes first.)
fn daemon_with_bpf_ends(net: &TestNet) -> Option<(Daemon, Responder)> {
    let daemon = Daemon::start_logged(net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());
    if !has_bpf_ends(net) {
        println!("skipped: the daemon has no BPF source of TCP ends here");
        return None;
    }
    Some((daemon, app))
}

/// Whether the app heard of the connection from local port `port` within 5 s.
fn held(app: &Responder, port: u16) -> bool {
    app.wait_for(Duration::from_secs(5), |infos| {
        infos
            .iter()
            .any(|i| matches!(i, Info::ConnectionV4(c) if c.local_port == port))
    })
}

/// How many ends of the connection from local port `port` are in `infos`.
fn ends_of(infos: &[Info], port: u16) -> usize {
    infos
        .iter()
        .filter(|i| match i {
            Info::ConnectionEndV4(e) => e.local_port == port,
            Info::ConnectionEndV6(e) => e.local_port == port,
            _ => false,
        })
        .count()
}

/// One connection stays open with 100 000 bytes sent, another closes with 5 000 sent, and
/// the daemon is stopped at once: the client still hears of the closed one's end (noted by the
/// BPF program since the last drain) and of both connections' bytes since its last request.
#[test]
fn a_stop_reports_the_last_ends_and_bytes_before_the_client_goes() {
    let Some(_serial) = root_test("a_stop_reports_the_last_ends_and_bytes_before_the_client_goes")
    else {
        return;
    };
    let mut net = TestNet::new();
    for port in ["9200", "9201"] {
        read_to_end_server(&mut net, &["0.0.0.0", port]);
    }
    let Some((daemon, app)) = daemon_with_bpf_ends(&net) else {
        return;
    };
    // The client asks for byte counts (and has heard all there were: none).
    app.send(&Command::GetBandwidthStats);
    std::thread::sleep(Duration::from_millis(300));
    let script = format!(
        "import socket,time\no=socket.create_connection(('{ip}',9200),5)\no.sendall(b'o'*100000)\nc=socket.create_connection(('{ip}',9201),5)\nc.sendall(b'c'*5000)\nports=(o.getsockname()[1],c.getsockname()[1])\nc.shutdown(socket.SHUT_WR)\nassert c.recv(1)==b''\nc.close()\nprint(*ports,flush=True)\ntime.sleep(60)",
        ip = net.ip4_b
    );
    let client = net.spawn(&net.a.clone(), "/usr/bin/python3", &["-c", &script]);
    let ports: Vec<u16> = net
        .first_line(client)
        .split(' ')
        .map(|p| p.parse().unwrap())
        .collect();
    let (open, closed) = (ports[0], ports[1]);
    // The client saw the server close its side: the end is noted (TIME_WAIT). The drain that
    // comes every 100 ms takes it only should it fall in the few milliseconds before the stop.
    assert!(daemon.stop("TERM").success());
    // What the daemon wrote before it closed the socket is read by the app's thread meanwhile.
    app.wait_for(Duration::from_secs(2), |i| {
        ends_of(i, closed) == 1 && reported_bytes(i, 6, open).0 >= 100_000
    });
    let infos = app.infos();
    assert_eq!(ends_of(&infos, closed), 1, "the closed connection's end");
    assert_eq!(ends_of(&infos, open), 0, "the open one did not end");
    let (open_tx, _) = reported_bytes(&infos, 6, open);
    let (closed_tx, _) = reported_bytes(&infos, 6, closed);
    assert!(
        within_half_percent(open_tx, 100_000),
        "{open_tx} bytes reported for the 100 000 the open connection sent"
    );
    assert!(
        within_half_percent(closed_tx, 5_000),
        "{closed_tx} bytes reported for the 5 000 the closed connection sent"
    );
}

/// A connection open across a restart: made from `a` to `b`:9200 (`TWO_PART_SENDER`, `before`
/// bytes, from a socket bound to the interface `device` when given) under a first daemon started with `first_args`, which held it; then that daemon
/// stopped and a second one (with BPF, logging) answers through `app`. Writing `go` has the
/// client send `after` bytes, whose first segment the second daemon holds mid-stream (its start
/// forgot the flows the first allowed); writing `close` closes it.
/// (Fields drop in their order: the app, then the daemon, then the namespaces.)
struct AcrossRestart {
    app: Responder,
    _second: Daemon,
    port: u16,
    go: std::path::PathBuf,
    close: std::path::PathBuf,
    _net: TestNet,
}

/// Sets up an [`AcrossRestart`]; `None` (printed) where the daemon has no BPF source of TCP
/// ends, whose absence these tests are about.
fn across_restart(
    first_args: &[&str],
    before: &str,
    after: &str,
    device: Option<&str>,
) -> Option<AcrossRestart> {
    let mut net = TestNet::new();
    read_to_end_server(&mut net, &[]);
    let first = Daemon::start(&net, first_args);
    let app = Responder::start(&first.socket, accept_all());
    let (go, close) = (net.dir.join("go"), net.dir.join("close"));
    let (go_arg, close_arg) = (go.to_string_lossy(), close.to_string_lossy());
    let to = net.ip4_b.to_string();
    let mut args = vec![
        "-c",
        TWO_PART_SENDER,
        &to,
        before,
        &go_arg,
        after,
        &close_arg,
    ];
    args.extend(device);
    let client = net.spawn(&net.a.clone(), "/usr/bin/python3", &args);
    let port: u16 = net.first_line(client).parse().unwrap();
    assert!(held(&app, port), "the first daemon held the connection");
    drop(app);
    assert!(first.stop("TERM").success());
    let second = Daemon::start_logged(&net, &[]);
    let app = Responder::start(&second.socket, accept_all());
    // Before the flow goes on: a packet that comes before the app's Hello is decided without
    // asking (the detached default).
    second.wait_log("client hello");
    if !has_bpf_ends(&net) {
        println!("skipped: the daemon has no BPF source of TCP ends here");
        return None;
    }
    Some(AcrossRestart {
        app,
        _second: second,
        port,
        go,
        close,
        _net: net,
    })
}

#[test]
fn a_connection_made_before_the_daemon_watched_it_still_ends() {
    let Some(_serial) = root_test("a_connection_made_before_the_daemon_watched_it_still_ends")
    else {
        return;
    };
    // Made under a daemon without BPF: no program asked the kernel to report its end.
    let Some(run) = across_restart(&["--no-bpf"], "1", "1", None) else {
        return;
    };
    std::fs::write(&run.go, b"").unwrap();
    assert!(
        held(&run.app, run.port),
        "the second daemon held it mid-stream"
    );
    let ended = |within: u64| {
        run.app.wait_for(Duration::from_secs(within), |infos| {
            ends_of(infos, run.port) > 0
        })
    };
    // Two of the daemon's looks at it find it open: no end yet.
    assert!(!ended(3), "ended while open");
    std::fs::write(&run.close, b"").unwrap();
    assert!(ended(8), "no end for the connection from port {}", run.port);
}

#[test]
fn a_connection_from_before_a_restart_ends_and_its_bytes_count_once() {
    let Some(_serial) =
        root_test("a_connection_from_before_a_restart_ends_and_its_bytes_count_once")
    else {
        return;
    };
    restarted_connection_counts_once(None);
}

/// The same from a socket bound to its interface, which sock_diag finds only when asked with
/// the interface: the second daemon asks with the held segment's, and its count starts there.
#[test]
fn a_bound_socket_s_connection_from_before_a_restart_counts_its_bytes_once() {
    let Some(_serial) =
        root_test("a_bound_socket_s_connection_from_before_a_restart_counts_its_bytes_once")
    else {
        return;
    };
    restarted_connection_counts_once(Some("veth0"));
}

/// A connection made under a daemon with BPF, its program asked for the connection's state
/// changes, and the flag stays on the socket, so the next daemon's program reports its end
/// too, while that daemon also watches it, first held again mid-stream: its bytes since then
/// count once.
fn restarted_connection_counts_once(device: Option<&str>) {
    let Some(run) = across_restart(&[], "100000", "50000", device) else {
        return;
    };
    let (app, port) = (&run.app, run.port);
    std::fs::write(&run.go, b"").unwrap();
    assert!(held(app, port), "the second daemon held it mid-stream");
    // Long enough for the watch to look at it and count its running totals.
    std::thread::sleep(Duration::from_millis(2_500));
    std::fs::write(&run.close, b"").unwrap();
    assert!(
        app.wait_for(Duration::from_secs(8), |infos| ends_of(infos, port) > 0),
        "no end for the connection from port {port}"
    );
    // Both sources have spoken by now (the watch's two looks take two seconds).
    std::thread::sleep(Duration::from_millis(2_500));
    let (tx, _) = bytes_of(app, 6, port, |tx, _| tx >= 50_000);
    // The first daemon counted the first 100 000 (its client heard of them); this one counts
    // from where it held the connection again, each byte once: the 50 000 went in one burst,
    // queued behind the segment held, and all of them count.
    assert!(
        within_half_percent(tx, 50_000),
        "{tx} bytes sent counted for the 50 000 sent since the restart"
    );
}

/// Connects to argv[1]:9200 and prints its port; sends argv[2] bytes, then argv[4] more once
/// the file argv[3] exists and makes the file argv[3].sent once the peer has them all (it
/// answers nothing, so a SIOCOUTQ of 0 tells), then argv[6] more once argv[5] exists; closes
/// once argv[7] exists.
const THREE_PART_SENDER: &str = r#"
import fcntl, os, socket, struct, sys, time
def wait(path):
    while not os.path.exists(path):
        time.sleep(0.02)
s = socket.create_connection((sys.argv[1], 9200), 5)
s.settimeout(None)
print(s.getsockname()[1], flush=True)
s.sendall(b'x' * int(sys.argv[2]))
wait(sys.argv[3])
s.sendall(b'y' * int(sys.argv[4]))
while struct.unpack('i', fcntl.ioctl(s, 0x5411, b'\0' * 4))[0] > 0:
    time.sleep(0.01)
open(sys.argv[3] + '.sent', 'w').close()
wait(sys.argv[5])
s.sendall(b'z' * int(sys.argv[6]))
wait(sys.argv[7])
s.close()
time.sleep(60)
"#;

/// A connection open across a restart, counted by an app under the first daemon: the next one
/// counts on from the totals the first reported (recorded at its stop), so what the
/// connection sent while no daemon ran counts too, and nothing twice. Before, the next daemon
/// counted from what the peer had acknowledged when it held the connection again, and the
/// bytes sent in between were counted by no daemon.
#[test]
fn bytes_sent_while_no_daemon_ran_count_once_under_the_next() {
    let Some(_serial) = root_test("bytes_sent_while_no_daemon_ran_count_once_under_the_next")
    else {
        return;
    };
    let mut net = TestNet::new();
    read_to_end_server(&mut net, &[]);
    let first = Daemon::start(&net, &[]);
    let app = Responder::start(&first.socket, accept_all());
    let files: Vec<std::path::PathBuf> = ["down", "up", "close"]
        .iter()
        .map(|name| net.dir.join(name))
        .collect();
    let paths: Vec<String> = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let to = net.ip4_b.to_string();
    let client = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &[
            "-c",
            THREE_PART_SENDER,
            &to,
            "100000",
            &paths[0],
            "30000",
            &paths[1],
            "50000",
            &paths[2],
        ],
    );
    let port: u16 = net.first_line(client).parse().unwrap();
    assert!(held(&app, port), "the first daemon held the connection");
    let (first_tx, _) = bytes_of(&app, 6, port, |tx, _| tx >= 100_000);
    assert!(
        within_half_percent(first_tx, 100_000),
        "{first_tx} bytes counted by the first daemon for 100 000"
    );
    assert!(first.stop("TERM").success());
    drop(app);

    // No daemon: the table went with it, and 30 000 bytes go out and are acknowledged.
    std::fs::write(&files[0], b"").unwrap();
    let sent = net.dir.join("down.sent");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !sent.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        sent.exists(),
        "the 30 000 bytes were not acknowledged within 5 s"
    );
    // Logged, to wait until it has taken the app's Hello: a packet that comes before is decided
    // without asking (the detached default), and the flow is not held again.
    let second = Daemon::start_in(&net, &net.a.clone(), &[], Some(net.dir.join("second.log")));
    let app = Responder::start(&second.socket, accept_all());
    second.wait_log("client hello");
    std::fs::write(&files[1], b"").unwrap();
    assert!(held(&app, port), "the second daemon held it mid-stream");
    let (tx, _) = bytes_of(&app, 6, port, |tx, _| tx >= 80_000);
    assert!(
        within_half_percent(tx, 80_000),
        "{tx} bytes counted by the second daemon for the 30 000 sent while none ran and the 50 000 after"
    );
    std::fs::write(&files[2], b"").unwrap();
}

/// Listens on port 9300 and prints 'ready'; accepts one connection, then closes the listener
/// once the file argv[1] exists and the connection once argv[2] exists.
const LISTENER_CLOSED_FIRST: &str = r#"
import os, socket, sys, time
def wait(path):
    while not os.path.exists(path):
        time.sleep(0.02)
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 9300))
l.listen()
print('ready', flush=True)
c, _ = l.accept()
wait(sys.argv[1])
l.close()
wait(sys.argv[2])
c.close()
time.sleep(60)
"#;

#[test]
fn a_listener_closed_before_its_connection_ends_nothing_of_it() {
    let Some(_serial) = root_test("a_listener_closed_before_its_connection_ends_nothing_of_it")
    else {
        return;
    };
    let mut net = TestNet::new();
    // Socket-destroy events: the listener's own end is one of them.
    let daemon = Daemon::start(&net, &["--no-bpf"]);
    let app = Responder::start(&daemon.socket, accept_all());
    let (unlisten, close) = (net.dir.join("unlisten"), net.dir.join("close"));
    let (unlisten_arg, close_arg) = (unlisten.to_string_lossy(), close.to_string_lossy());
    let server = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &["-c", LISTENER_CLOSED_FIRST, &unlisten_arg, &close_arg],
    );
    assert_eq!(net.first_line(server), "ready");
    let connect = format!(
        "import socket,time\ns=socket.create_connection(('{}',9300),5)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)",
        net.ip4_a
    );
    let client = net.spawn(&net.b.clone(), "/usr/bin/python3", &["-c", &connect]);
    let peer_port: u16 = net.first_line(client).parse().unwrap();
    let inbound = |i: &Info| matches!(i, Info::ConnectionV4(c) if c.remote_port == peer_port);
    assert!(
        app.wait_for(Duration::from_secs(5), |infos| infos.iter().any(inbound)),
        "the inbound connection was held"
    );
    let ended = |within: u64| {
        app.wait_for(Duration::from_secs(within), |infos| {
            infos
                .iter()
                .any(|i| matches!(i, Info::ConnectionEndV4(e) if e.remote_port == peer_port))
        })
    };
    std::fs::write(&unlisten, b"").unwrap();
    assert!(
        !ended(2),
        "the listener's end ended the connection it had accepted"
    );
    std::fs::write(&close, b"").unwrap();
    assert!(ended(5), "no end after the connection closed");
}

/// Sends one bare TCP ACK from argv[1]:argv[3] to argv[2]:argv[4] through a raw socket: a
/// segment of no connection, as any host can send.
const BARE_ACK: &str = r#"
import socket, struct, sys
src, dst, sport, dport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def checksum(data):
    data += b'\0' * (len(data) % 2)
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff
def segment(check):
    return struct.pack('!HHIIBBHHH', sport, dport, 1000, 2000, 5 << 4, 0x10, 65535, check, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, 20)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
raw.sendto(segment(checksum(pseudo + segment(0))), (dst, 0))
print('sent', flush=True)
"#;

#[test]
fn a_stray_segment_to_a_listening_port_is_not_watched_as_a_connection() {
    let Some(_serial) =
        root_test("a_stray_segment_to_a_listening_port_is_not_watched_as_a_connection")
    else {
        return;
    };
    let mut net = TestNet::new();
    let listener = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &[
            "-c",
            "import socket,time\ns=socket.socket()\ns.bind(('0.0.0.0',7171))\ns.listen()\nprint('ready',flush=True)\ntime.sleep(60)",
        ],
    );
    assert_eq!(net.first_line(listener), "ready");
    let Some((_daemon, app)) = daemon_with_bpf_ends(&net) else {
        return;
    };
    let (a, b) = (net.ip4_a.to_string(), net.ip4_b.to_string());
    let sender = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", BARE_ACK, &b, &a, "40001", "7171"],
    );
    assert_eq!(net.first_line(sender), "sent");
    let of_the_ack = |i: &Info| matches!(i, Info::ConnectionV4(c) if c.remote_port == 40001);
    assert!(
        app.wait_for(Duration::from_secs(5), |infos| infos.iter().any(of_the_ack)),
        "the segment was held"
    );
    // Watched, it would be looked up twice and ended within about two seconds; it is not a
    // connection (only the listener is on that port), so nothing looks for its end.
    let ended = app.wait_for(Duration::from_secs(4), |infos| {
        infos
            .iter()
            .any(|i| matches!(i, Info::ConnectionEndV4(e) if e.remote_port == 40001))
    });
    assert!(!ended, "a stray segment was watched as a connection");
}

/// Sends argv[1] bytes to each connection on port 9100, then closes first (so the client's
/// socket ends without TIME_WAIT and the same addresses can connect again at once).
const SIZED_SERVER: &str = r#"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 9100))
s.listen()
print('ready', flush=True)
sizes = [int(n) for n in sys.argv[1:]]
for size in sizes:
    c, _ = s.accept()
    c.sendall(b'z' * size)
    c.close()
"#;

/// Connects from local port argv[2] to argv[1]:9100 twice, reading everything each time.
const SAME_PORT_CLIENT: &str = r#"
import socket, sys, time
for _ in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', int(sys.argv[2])))
    s.settimeout(5)
    s.connect((sys.argv[1], 9100))
    got = 0
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
    s.close()
    print(got, flush=True)
    time.sleep(0.3)
"#;

#[test]
fn a_connection_that_reuses_the_addresses_of_an_ended_one_counts_its_own_bytes() {
    let Some(_serial) =
        root_test("a_connection_that_reuses_the_addresses_of_an_ended_one_counts_its_own_bytes")
    else {
        return;
    };
    let mut net = TestNet::new();
    let server = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", SIZED_SERVER, "1000000", "2000000"],
    );
    assert_eq!(net.first_line(server), "ready");
    let daemon = Daemon::start(&net, &[]);
    let app = Responder::start(&daemon.socket, accept_all());
    let out = net.exec(
        &net.a,
        "/usr/bin/python3",
        &["-c", SAME_PORT_CLIENT, &net.ip4_b, "41000"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1000000\n2000000\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Both ended before any byte count was asked for: their final totals are all there is.
    let ends = |infos: &[Info]| {
        infos
            .iter()
            .filter(|i| matches!(i, Info::ConnectionEndV4(e) if e.local_port == 41000))
            .count()
    };
    assert!(
        app.wait_for(Duration::from_secs(3), |i| ends(i) == 2),
        "both ends arrived"
    );
    let (_, rx) = bytes_of(&app, 6, 41000, |_, rx| rx >= 3_000_000);
    eprintln!("3 000 000 bytes in two connections on the same addresses, {rx} reported");
    assert!(
        within_half_percent(rx, 3_000_000),
        "received {rx} bytes for 3 000 000"
    );
}

/// One socket from local port argv[2]: a connect to argv[1]:9201, where nothing listens (refused),
/// then a connect of the same socket to argv[1]:9200, which sends 100 000 bytes and closes once
/// the file argv[3] exists.
const CONNECTS_TWICE: &str = r#"
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[2])))
try:
    s.connect((sys.argv[1], 9201))
    print('not refused', flush=True)
except ConnectionRefusedError:
    pass
s.connect((sys.argv[1], 9200))
print('connected', flush=True)
s.sendall(b'x' * 100000)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.02)
s.close()
time.sleep(60)
"#;

#[test]
fn a_socket_that_connects_twice_ends_each_connection_on_its_own() {
    let Some(_serial) = root_test("a_socket_that_connects_twice_ends_each_connection_on_its_own")
    else {
        return;
    };
    let mut net = TestNet::new();
    read_to_end_server(&mut net, &[]);
    // Destroy events come once a socket is freed: one end for both connections.
    let Some((_daemon, app)) = daemon_with_bpf_ends(&net) else {
        return;
    };
    let close = net.dir.join("close");
    let (to, close_arg) = (net.ip4_b.clone(), close.to_string_lossy().into_owned());
    let client = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &["-c", CONNECTS_TWICE, &to, "42001", &close_arg],
    );
    assert_eq!(net.first_line(client), "connected");
    // Both connections share the socket's cookie; each end names its own.
    let ends_to = |infos: &[Info], remote: u16| {
        infos
            .iter()
            .filter(|i| {
                matches!(i, Info::ConnectionEndV4(e)
                    if e.local_port == 42001 && e.remote_port == remote)
            })
            .count()
    };
    assert!(
        app.wait_for(Duration::from_secs(5), |infos| ends_to(infos, 9201) == 1),
        "the refused connection ended"
    );
    // Two more drains: the open connection is not ended by anything of the refused one.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        ends_to(&app.infos(), 9200),
        0,
        "an end for the connection still open"
    );
    std::fs::write(&close, b"").unwrap();
    assert!(
        app.wait_for(Duration::from_secs(5), |infos| ends_to(infos, 9200) == 1),
        "the open connection ended once it closed"
    );
    let (tx, _) = bytes_of(&app, 6, 42001, |tx, _| tx >= 100_000);
    assert!(
        within_half_percent(tx, 100_000),
        "{tx} bytes sent counted for 100 000"
    );
}

/// Connects to argv[1]:9300, prints its port, sends 50 000 bytes and closes.
const SEND_AND_CLOSE: &str = r#"
import socket, sys, time
s = socket.create_connection((sys.argv[1], 9300), 5)
print(s.getsockname()[1], flush=True)
s.sendall(b'x' * 50000)
s.close()
time.sleep(60)
"#;

#[test]
fn a_connection_forwarded_to_a_local_only_service_ends() {
    let Some(_serial) = root_test("a_connection_forwarded_to_a_local_only_service_ends") else {
        return;
    };
    // A port forwarded to a service that listens on 127.0.0.1 only: the connection is held
    // (it comes in on the network), and its socket has a loopback address on one end.
    let mut net = TestNet::new();
    let a = net.a.clone();
    for args in [
        &["sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"][..],
        &["nft", "add table ip zf_forward"][..],
        &[
            "nft",
            "add chain ip zf_forward pre { type nat hook prerouting priority -100 ; }",
        ][..],
        &[
            "nft",
            "add rule ip zf_forward pre tcp dport 9300 dnat to 127.0.0.1:9300",
        ][..],
    ] {
        let out = net.exec(&a, args[0], &args[1..]);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let server = net.spawn(
        &a,
        "/usr/bin/python3",
        &["-c", READ_TO_END_SERVER, "127.0.0.1", "9300"],
    );
    assert_eq!(net.first_line(server), "ready");
    let Some((_daemon, app)) = daemon_with_bpf_ends(&net) else {
        return;
    };
    let to = net.ip4_a.clone();
    let client = net.spawn(
        &net.b.clone(),
        "/usr/bin/python3",
        &["-c", SEND_AND_CLOSE, &to],
    );
    let port: u16 = net.first_line(client).parse().unwrap();
    let held = app.wait_for(Duration::from_secs(5), |infos| {
        infos
            .iter()
            .any(|i| matches!(i, Info::ConnectionV4(c) if c.remote_port == port))
    });
    assert!(held, "the forwarded connection was held");
    let ended = app.wait_for(Duration::from_secs(5), |infos| {
        infos
            .iter()
            .any(|i| matches!(i, Info::ConnectionEndV4(e) if e.remote_port == port))
    });
    assert!(
        ended,
        "no end for the forwarded connection from port {port}"
    );
}

/// One socket from local port 42002: a connect to argv[1]:9201 (refused; prints 'refused'),
/// then, 1.5 s later, one to a listener on 127.0.0.1, which gets 100 000 bytes and closes.
const REFUSED_THEN_LOOPBACK: &str = r#"
import socket, sys, time, threading
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen()
def serve():
    c, _ = l.accept()
    while c.recv(65536):
        pass
    c.close()
t = threading.Thread(target=serve)
t.start()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 42002))
try:
    s.connect((sys.argv[1], 9201))
except ConnectionRefusedError:
    pass
print('refused', flush=True)
time.sleep(1.5)
s.connect(('127.0.0.1', l.getsockname()[1]))
s.sendall(b'x' * 100000)
s.close()
t.join()
time.sleep(60)
"#;

#[test]
fn a_loopback_connection_of_a_socket_refused_before_counts_nothing() {
    let Some(_serial) =
        root_test("a_loopback_connection_of_a_socket_refused_before_counts_nothing")
    else {
        return;
    };
    let mut net = TestNet::new();
    let Some((_daemon, app)) = daemon_with_bpf_ends(&net) else {
        return;
    };
    let to = net.ip4_b.clone();
    let client = net.spawn(
        &net.a.clone(),
        "/usr/bin/python3",
        &["-c", REFUSED_THEN_LOOPBACK, &to],
    );
    assert_eq!(net.first_line(client), "refused");
    assert!(
        app.wait_for(Duration::from_secs(5), |infos| ends_of(infos, 42002) == 1),
        "the refused connection ended"
    );
    // The socket keeps the callbacks its first connect asked for: the loopback connection's
    // end is noted too, under the same cookie, which names the refused flow.
    // The client connects 1.5 s after the refusal; its end is drained within 400 ms after.
    std::thread::sleep(Duration::from_secs(3));
    let (tx, _) = bytes_of(&app, 6, 42002, |_, _| true);
    assert_eq!(
        tx, 0,
        "the loopback connection's bytes counted for the refused one"
    );
}
