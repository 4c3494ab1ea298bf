//! The policy on real traffic: the real daemon in a namespace, real curl, python and bash as the
//! applications, and a client process that sends the policy like the app and is then SIGKILLed.
//! What the user's rules promise must hold without the app: after it dies, after a restart with
//! no app ever connecting, and while a policy of 10 000 rules replaces another under traffic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::net::{Daemon, TestNet};
use support::responder::Responder;
use support::root_test;
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::info_policy::{origin, problem};
use zenithfence_protocol::policy::{PolicyDocument, PolicyRule, RuleAction, RuleDestination};
use zenithfence_protocol::{Info, InfoReader, PolicyState, ReadItem, RuleDecided, Verdict};

/// The app, as a process of its own: connects, says Hello with every feature, sends the policy
/// in parts of 8192 bytes, then copies the info stream to a file until it is killed.
const POLICY_CLIENT: &str = r#"
import socket, struct, sys
sock_path, doc_path, out_path, generation = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
doc = open(doc_path, 'rb').read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sock_path)
s.send(bytes([128]) + struct.pack('<HI', 1, 15))
for off in range(0, len(doc), 8192):
    part = doc[off:off + 8192]
    s.send(bytes([130]) + struct.pack('<QIIH', generation, len(doc), off, len(part)) + part)
with open(out_path, 'ab', buffering=0) as out:
    while True:
        data = s.recv(16384)
        if not data:
            break
        out.write(data)
"#;

/// The client process; killed (SIGKILL) when dropped.
struct PolicyClient {
    child: Child,
    infos_file: PathBuf,
}

impl PolicyClient {
    fn start(net: &TestNet, daemon: &Daemon, document: &PolicyDocument) -> PolicyClient {
        let doc_file = net.dir.join("document.bin");
        let infos_file = net.dir.join("client-infos.bin");
        std::fs::write(&doc_file, document.encode()).unwrap();
        let _ = std::fs::remove_file(&infos_file);
        let child = Process::new("/usr/bin/python3")
            .args(["-c", POLICY_CLIENT])
            .arg(&daemon.socket)
            .arg(&doc_file)
            .arg(&infos_file)
            .arg(document.generation.to_string())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        PolicyClient { child, infos_file }
    }

    /// The infos the client has received so far.
    fn infos(&self) -> Vec<Info> {
        let bytes = std::fs::read(&self.infos_file).unwrap_or_default();
        let mut items: Vec<ReadItem> = Vec::new();
        InfoReader::new().push(&bytes, &mut items);
        items.into_iter().map(Result::unwrap).collect()
    }

    fn wait_for(&self, what: &str, done: impl Fn(&[Info]) -> bool) -> Vec<Info> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let infos = self.infos();
            if done(&infos) {
                return infos;
            }
            assert!(Instant::now() < deadline, "{what}: {infos:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, and reaped.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for PolicyClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn canonical(path: &str) -> String {
    std::fs::canonicalize(path)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn ipv4(text: &str) -> [u8; 4] {
    text.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

fn rule(
    tag: u32,
    action: RuleAction,
    app: Option<&str>,
    destination: RuleDestination,
) -> PolicyRule {
    PolicyRule {
        protocol: Some(6),
        ..PolicyRule::new(tag, action, app, destination)
    }
}

/// curl is blocked from the server (tag 1), python allowed to it (tag 2); everything else gets
/// `no_app_action` while no app is connected.
fn curl_blocked_python_allowed(server: &str, generation: u64, no_app_action: u8) -> PolicyDocument {
    PolicyDocument {
        flags: 0,
        generation,
        no_app_action,
        rules: vec![
            rule(
                1,
                RuleAction::Block,
                Some(&canonical("/usr/bin/curl")),
                RuleDestination::Ip4(ipv4(server)),
            ),
            rule(
                2,
                RuleAction::Allow,
                Some(&canonical("/usr/bin/python3")),
                RuleDestination::Ip4(ipv4(server)),
            ),
        ],
        blocklist: Default::default(),
    }
}

fn policy_states(infos: &[Info]) -> Vec<PolicyState> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::PolicyState(s) => Some(*s),
            _ => None,
        })
        .collect()
}

fn rule_decided(infos: &[Info]) -> Vec<RuleDecided<4>> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::RuleDecidedV4(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

fn is_question(info: &Info) -> bool {
    matches!(info, Info::ConnectionV4(_) | Info::ConnectionV6(_))
}

/// Whether curl fetched the page (exit 0); a blocked connect is exit 7.
fn curl(net: &TestNet, url: &str) -> i32 {
    net.curl(&net.a, url, &[]).0
}

/// Whether python fetched the page.
fn python_fetches(net: &TestNet, url: &str) -> bool {
    let code = format!(
        "import urllib.request\nprint(urllib.request.urlopen('{url}', timeout=5).read().decode())"
    );
    net.exec(&net.a, "/usr/bin/python3", &["-c", &code])
        .status
        .success()
}

/// Whether bash (an app no rule names) could open a TCP connection.
fn bash_connects(net: &TestNet, ip: &str, port: u16) -> bool {
    let script = format!("exec 3<>/dev/tcp/{ip}/{port}");
    net.exec(&net.a, "timeout", &["5", "/usr/bin/bash", "-c", &script])
        .status
        .success()
}

/// The Process info for `pid` before `at`.
fn process_before(infos: &[Info], at: usize, pid: u64) -> Option<&zenithfence_protocol::Process> {
    infos[..at].iter().rev().find_map(|i| match i {
        Info::Process(p) if p.process_id == pid => Some(p),
        _ => None,
    })
}

fn the_policy_outlives_a_killed_app(no_app_action: u8, detached: &str, bash_gets_in: bool) {
    let mut net = TestNet::new();
    net.http_server("page");
    let url = format!("http://{}:8080/", net.ip4_b);
    let daemon = Daemon::start_logged(&net, &["--detached", detached]);
    let document = curl_blocked_python_allowed(&net.ip4_b, 5, no_app_action);
    let app = PolicyClient::start(&net, &daemon, &document);
    let infos = app.wait_for("the policy in force", |infos| {
        policy_states(infos).iter().any(|s| s.generation == 5)
    });
    let state = *policy_states(&infos).last().unwrap();
    assert_eq!(
        (
            state.rule_count,
            state.origin,
            state.problem,
            state.no_app_action
        ),
        (2, origin::CLIENT, problem::NONE, no_app_action)
    );
    // With the app connected: both decided by their rules, answered in the daemon, and the
    // app is told which process and which rule.
    assert_eq!(curl(&net, &url), 7, "curl blocked by rule 1");
    assert!(python_fetches(&net, &url), "python allowed by rule 2");
    let infos = app.wait_for("two rule decisions", |infos| rule_decided(infos).len() == 2);
    assert!(
        !infos.iter().any(is_question),
        "nothing was held and asked: {infos:?}"
    );
    for (tag, verdict, program) in [
        (1, Verdict::PermanentBlock, "/usr/bin/curl"),
        (2, Verdict::PermanentAccept, "/usr/bin/python3"),
    ] {
        let at = infos
            .iter()
            .position(|i| matches!(i, Info::RuleDecidedV4(d) if d.rule_tag == tag))
            .unwrap();
        let Info::RuleDecidedV4(decided) = &infos[at] else {
            unreachable!()
        };
        assert_eq!(
            (
                decided.generation,
                decided.verdict,
                decided.connection.remote_ip,
                decided.connection.remote_port,
                decided.connection.direction,
            ),
            (5, verdict as u8, ipv4(&net.ip4_b), 8080, 0)
        );
        let process = process_before(&infos, at, decided.connection.process_id)
            .unwrap_or_else(|| panic!("no Process info before rule {tag}'s decision"));
        assert_eq!(process.path, canonical(program));
    }
    app.kill();
    daemon.wait_log("client disconnected");
    // The app is gone: its rules still decide, and what they leave open gets the document's
    // no-app action, not --detached.
    assert_eq!(curl(&net, &url), 7, "curl still blocked");
    assert!(python_fetches(&net, &url), "python still allowed");
    assert_eq!(
        bash_connects(&net, &net.ip4_b, 8080),
        bash_gets_in,
        "bash, which no rule names"
    );
}

#[test]
fn the_policy_outlives_a_killed_app_and_unknown_apps_are_blocked() {
    let Some(_serial) = root_test("the_policy_outlives_a_killed_app_and_unknown_apps_are_blocked")
    else {
        return;
    };
    the_policy_outlives_a_killed_app(Verdict::Block as u8, "accept", false);
}

#[test]
fn the_policy_outlives_a_killed_app_and_unknown_apps_are_accepted() {
    let Some(_serial) = root_test("the_policy_outlives_a_killed_app_and_unknown_apps_are_accepted")
    else {
        return;
    };
    the_policy_outlives_a_killed_app(Verdict::Accept as u8, "block", true);
}

#[test]
fn after_a_restart_the_stored_policy_decides_the_first_connection_without_an_app() {
    let Some(_serial) =
        root_test("after_a_restart_the_stored_policy_decides_the_first_connection_without_an_app")
    else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("page");
    let url = format!("http://{}:8080/", net.ip4_b);
    let document = curl_blocked_python_allowed(&net.ip4_b, 11, Verdict::Block as u8);
    let daemon = Daemon::start_logged(&net, &["--detached", "accept"]);
    let app = PolicyClient::start(&net, &daemon, &document);
    app.wait_for("the policy in force", |infos| {
        policy_states(infos).iter().any(|s| s.generation == 11)
    });
    app.kill();
    let file = daemon.policy_file.clone();
    assert!(daemon.stop("TERM").success());
    assert_eq!(
        std::fs::read(&file).unwrap(),
        document.encode(),
        "stored byte for byte"
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    // No app ever connects to this one.
    let daemon = Daemon::start_logged(&net, &["--detached", "accept"]);
    assert_eq!(
        curl(&net, &url),
        7,
        "the first connection: blocked by the stored rule"
    );
    assert!(python_fetches(&net, &url));
    assert!(
        !bash_connects(&net, &net.ip4_b, 8080),
        "the stored no-app action (block), not --detached accept"
    );
    let log = daemon.stderr_text();
    assert!(
        log.contains(&format!(
            "stored policy generation 11 in force: 2 rules, from {}",
            file.display()
        )),
        "{log}"
    );
}

#[test]
fn a_corrupt_truncated_or_garbage_policy_file_is_logged_once_and_the_detached_action_applies() {
    let Some(_serial) = root_test(
        "a_corrupt_truncated_or_garbage_policy_file_is_logged_once_and_the_detached_action_applies",
    ) else {
        return;
    };
    let mut net = TestNet::new();
    net.http_server("page");
    let url = format!("http://{}:8080/", net.ip4_b);
    // Were any of it applied, curl would get in: its rule allows it, and so does the no-app
    // action. --detached block must decide instead.
    let mut document = curl_blocked_python_allowed(&net.ip4_b, 3, Verdict::Accept as u8);
    document.rules[0].action = RuleAction::Allow;
    let good = document.encode();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x04;
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("a flipped byte", flipped, "checksum does not match"),
        (
            "truncated",
            good[..good.len() - 20].to_vec(),
            "checksum does not match",
        ),
        (
            "garbage",
            b"ZFPOLICY but not really a policy document at all".to_vec(),
            "malformed",
        ),
    ];
    let file = net.dir.join("stored-policy");
    for (what, bytes, reason) in cases {
        std::fs::write(&file, &bytes).unwrap();
        let daemon = Daemon::start_logged(
            &net,
            &[
                "--detached",
                "block",
                "--policy-file",
                &file.to_string_lossy(),
            ],
        );
        assert_eq!(curl(&net, &url), 7, "{what}: --detached block applies");
        let log = daemon.stderr_text();
        let about: Vec<&str> = log.lines().filter(|l| l.contains("policy")).collect();
        assert_eq!(about.len(), 1, "{what}: one line about the policy:\n{log}");
        assert!(
            about[0].starts_with(&format!(
                "zenithfenced: error: stored policy {} is unusable (",
                file.display()
            )) && about[0].contains(reason)
                && about[0].ends_with(
                    "running without a policy, new connections no app decides get --detached block"
                ),
            "{what}: {}",
            about[0]
        );
        assert!(
            daemon.stop("TERM").success(),
            "{what}: still running, stops cleanly"
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "{what}: the file is left as it was"
        );
    }
    // And the valid document itself would have let curl in (the cases differ only by damage).
    std::fs::write(&file, &good).unwrap();
    let _daemon = Daemon::start_logged(
        &net,
        &[
            "--detached",
            "block",
            "--policy-file",
            &file.to_string_lossy(),
        ],
    );
    assert_eq!(curl(&net, &url), 0);
}

/// Accept-and-close servers on two ports.
const TWO_PORT_SERVER: &str = r#"
import socket, threading
def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen(512)
    while True:
        c, _ = s.accept()
        c.close()
for port in (8080, 8081):
    threading.Thread(target=serve, args=(port,), daemon=True).start()
print('ready', flush=True)
threading.Event().wait()
"#;

/// Connects to ports 8080 and 8081 in turn, from local port 20000 + i (so each connection is
/// known by its local port), one line per connection, until the stop file appears.
const CONNECTOR: &str = r#"
import os, socket, sys
server, stop = sys.argv[1], sys.argv[2]
i = 0
while not os.path.exists(stop) and i < 8000:
    port = 8080 + i % 2
    s = socket.socket()
    s.bind(('0.0.0.0', 20000 + i))
    s.settimeout(3)
    try:
        s.connect((server, port))
        result = 'ok'
    except ConnectionRefusedError:
        result = 'refused'
    except OSError as e:
        result = 'error-' + type(e).__name__
    s.close()
    print(port, 20000 + i, result, flush=True)
    i += 1
"#;

/// Ports 8080 and 8081 get opposite verdicts in the two generations; 9 998 more rules of every
/// kind match nothing here.
fn big_document(generation: u64, python: &str, server: [u8; 4]) -> PolicyDocument {
    let (first, second) = if generation == 1 {
        (RuleAction::Allow, RuleAction::Block)
    } else {
        (RuleAction::Block, RuleAction::Allow)
    };
    let base = u32::try_from(generation).unwrap() * 100_000;
    let mut rules = Vec::new();
    for (offset, port, action) in [(1, 8080, first), (2, 8081, second)] {
        let mut r = rule(
            base + offset,
            action,
            Some(python),
            RuleDestination::Ip4(server),
        );
        (r.port_from, r.port_to) = (port, port);
        rules.push(r);
    }
    for i in 0..9_998u32 {
        let [_, _, high, low] = i.to_be_bytes();
        let destination = match i % 4 {
            0 => RuleDestination::Ip4([10, 250, high, low]),
            1 => RuleDestination::Cidr4 {
                network: [10, 251, high, 0],
                prefix: 24,
            },
            2 => RuleDestination::Host(format!("filler-{i}.example")),
            _ => RuleDestination::Domain(format!("zone-{i}.example")),
        };
        let app = format!("/opt/filler/app-{}", i % 500);
        let app = (i % 3 != 0).then_some(app.as_str());
        rules.push(rule(base + 10 + i, RuleAction::Block, app, destination));
    }
    PolicyDocument {
        flags: 0,
        generation,
        no_app_action: Verdict::Block as u8,
        rules,
        blocklist: Default::default(),
    }
}

/// (tag, verdict) of the rule `generation` decides `port` with.
fn expected(generation: u64, port: u16) -> (u32, u8) {
    let allow_first = generation == 1;
    let allowed = (port == 8080) == allow_first;
    let tag = u32::try_from(generation).unwrap() * 100_000 + u32::from(port - 8079);
    let verdict = if allowed {
        Verdict::PermanentAccept
    } else {
        Verdict::PermanentBlock
    };
    (tag, verdict as u8)
}

#[test]
fn a_policy_of_ten_thousand_rules_replaces_another_at_once_under_traffic() {
    let Some(_serial) =
        root_test("a_policy_of_ten_thousand_rules_replaces_another_at_once_under_traffic")
    else {
        return;
    };
    let mut net = TestNet::new();
    let server = net.spawn(&net.b.clone(), "/usr/bin/python3", &["-c", TWO_PORT_SERVER]);
    assert_eq!(net.first_line(server), "ready");
    let daemon = Daemon::start(&net, &[]);
    // Nothing here should be asked: a question is refused and shows up in the checks below.
    // Without NETWORK: a client granted it is asked about everything until it says NetworkSeen
    // (tests/network.rs shows that).
    let app = Responder::start_features(
        &daemon.socket,
        Box::new(|_| Some((Verdict::Block, Duration::ZERO))),
        Some(feature::ALL & !feature::NETWORK),
    );
    let python = canonical("/usr/bin/python3");
    let ip = ipv4(&net.ip4_b);
    let old = big_document(1, &python, ip);
    let new = big_document(2, &python, ip);
    app.send_policy(1, &old.encode());
    assert!(
        app.wait_for(Duration::from_secs(10), |infos| policy_states(infos)
            .iter()
            .any(|s| s.generation == 1))
    );

    let stop = net.dir.join("stop-connecting");
    let mut connector = Process::new("ip")
        .args([
            "netns",
            "exec",
            &net.a,
            "/usr/bin/python3",
            "-c",
            CONNECTOR,
            &net.ip4_b,
        ])
        .arg(&stop)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let (stdout, lines) = (connector.stdout.take().unwrap(), Arc::clone(&lines));
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        })
    };
    let wait_lines = |count: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while lines.lock().unwrap().len() < count {
            assert!(Instant::now() < deadline, "the connector stalled");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_lines(100);
    // The new policy goes out while connections keep coming.
    app.send_policy(2, &new.encode());
    assert!(
        app.wait_for(Duration::from_secs(20), |infos| policy_states(infos)
            .iter()
            .any(|s| s.generation == 2))
    );
    let after_swap = lines.lock().unwrap().len();
    wait_lines(after_swap + 100);
    std::fs::write(&stop, b"").unwrap();
    connector.wait().unwrap();
    reader.join().unwrap();
    let lines = lines.lock().unwrap().clone();
    let state = *policy_states(&app.infos()).last().unwrap();
    assert_eq!(
        (
            state.generation,
            state.rule_count,
            state.origin,
            state.problem
        ),
        (2, 10_000, origin::CLIENT, problem::NONE)
    );

    let connections: Vec<(u16, u16, String)> = lines
        .iter()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].to_string(),
            )
        })
        .collect();
    assert!(
        app.wait_for(Duration::from_secs(10), |infos| rule_decided(infos).len()
            >= connections.len()),
        "a RuleDecided for every connection"
    );
    let infos = app.infos();
    assert!(!infos.iter().any(is_question), "nothing was asked");
    let decided = rule_decided(&infos);
    let mut generations = Vec::new();
    for (port, local_port, result) in &connections {
        let mine: Vec<&RuleDecided<4>> = decided
            .iter()
            .filter(|d| d.connection.local_port == *local_port)
            .collect();
        assert_eq!(mine.len(), 1, "one decision for local port {local_port}");
        let d = mine[0];
        assert!(
            d.generation == 1 || d.generation == 2,
            "generation {}",
            d.generation
        );
        assert_eq!(d.connection.remote_port, *port);
        assert_eq!(
            (d.rule_tag, d.verdict),
            expected(d.generation, *port),
            "port {port}, local port {local_port}: the rule of generation {} and its verdict",
            d.generation
        );
        let kernel = if d.verdict == Verdict::PermanentAccept as u8 {
            "ok"
        } else {
            "refused"
        };
        assert_eq!(
            result, kernel,
            "local port {local_port}: what the kernel did is what generation {} said",
            d.generation
        );
        generations.push(d.generation);
    }
    let first_new = generations.iter().position(|&g| g == 2).unwrap();
    assert!(first_new > 0, "connections under the old policy");
    assert!(
        generations[first_new..].iter().all(|&g| g == 2),
        "once the new policy decided, the old one never again: {generations:?}"
    );
    eprintln!(
        "{} connections: {} under generation 1, {} under generation 2",
        generations.len(),
        first_new,
        generations.len() - first_new
    );
}
