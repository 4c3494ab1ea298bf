//! The daemon as a systemd service, without systemd: readiness (`Type=notify`) on a datagram
//! socket the test binds where `NOTIFY_SOCKET` says, and log lines with syslog priorities when
//! stderr is what `JOURNAL_STREAM` names (a file here, the journal's stream under systemd). The
//! real daemon runs in a network namespace, as in the other tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use support::net::{Daemon, TestNet, BINARY};
use support::root_test;
use zenithfenced::client_socket::DaemonClient;

/// The next notification, or a failure naming what was awaited and the daemon's stderr.
fn notification(socket: &UnixDatagram, awaited: &str, log: &std::path::Path) -> String {
    let mut buffer = [0u8; 512];
    match socket.recv(&mut buffer) {
        Ok(length) => String::from_utf8_lossy(&buffer[..length]).into_owned(),
        Err(e) => panic!(
            "no {awaited} within 10 s ({e}); daemon stderr:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    }
}

/// Fills `socket`'s receive queue (net.unix.max_dgram_qlen datagrams) from another socket, so
/// that the next sender blocks until the test reads; returns how many were queued.
fn fill_queue(socket_path: &std::path::Path) -> usize {
    let filler = UnixDatagram::unbound().unwrap();
    filler.set_nonblocking(true).unwrap();
    let mut queued = 0;
    while filler.send_to(b"FILLER", socket_path).is_ok() {
        queued += 1;
        assert!(queued < 100_000, "the queue never filled");
    }
    queued
}

/// Waits until the daemon's main thread sleeps in a datagram send to a full queue.
fn wait_blocked_in_send(daemon: &Daemon) {
    let wchan = format!("/proc/{}/wchan", daemon.pid());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = std::fs::read_to_string(&wchan).unwrap_or_default();
        if now == "unix_wait_for_peer" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon never waited to send a notification (wchan {now:?}): {}",
            daemon.stderr_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The test's notification socket in `net`'s directory, read with a 10 s bound. A path, not an
/// abstract name: abstract names belong to a network namespace, and the daemon runs in another
/// one (the unit tests of notify.rs send to an abstract name).
fn notify_socket(net: &TestNet) -> (UnixDatagram, std::path::PathBuf) {
    let path = net.dir.join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (socket, path)
}

/// The daemon in `net` with `NOTIFY_SOCKET` naming `notify_path`, and the file of its stderr.
fn start_notifying(net: &TestNet, notify_path: &std::path::Path) -> (Daemon, std::path::PathBuf) {
    let notify_text = notify_path.to_string_lossy().into_owned();
    let log = net.dir.join("daemon.log");
    let daemon = Daemon::start_with_env(
        net,
        &net.a.clone(),
        &[],
        Some(log.clone()),
        &[("NOTIFY_SOCKET", Some(&notify_text))],
    );
    (daemon, log)
}

#[test]
fn ready_comes_after_the_queue_rules_and_the_socket_and_stopping_at_shutdown() {
    let Some(_serial) = root_test("ready_comes_after_the_queue_rules_and_the_socket") else {
        return;
    };
    let net = TestNet::new();
    let (notify, notify_path) = notify_socket(&net);
    // With the queue full, the daemon's READY=1 waits for the test: whatever holds while it
    // waits held when it was sent. A READY=1 sent before the socket exists stops the start.
    let fillers = fill_queue(&notify_path);
    let (daemon, log) = start_notifying(&net, &notify_path);
    wait_blocked_in_send(&daemon);
    // Now, while READY=1 is being sent: the queue rules (of the inet table: both families)
    // and the client socket.
    assert_eq!(
        net.queue_rules_and_tables(&net.a, daemon.queue),
        (2, 1),
        "the queue rules at READY=1:\n{}",
        net.ruleset(&net.a)
    );
    DaemonClient::connect(&daemon.socket).expect("the client socket listens at READY=1");
    for _ in 0..fillers {
        assert_eq!(notification(&notify, "a filler", &log), "FILLER");
    }
    assert_eq!(notification(&notify, "READY=1", &log), "READY=1");
    // Nothing else was sent while it ran.
    notify.set_nonblocking(true).unwrap();
    assert!(notify.recv(&mut [0u8; 64]).is_err(), "one READY=1 only");
    notify.set_nonblocking(false).unwrap();

    let status = daemon.stop("TERM");
    assert!(status.success(), "{status:?}");
    assert_eq!(notification(&notify, "STOPPING=1", &log), "STOPPING=1");
    assert_eq!(net.ruleset(&net.a), "", "rules removed");
}

#[test]
fn a_notification_socket_nobody_reads_does_not_delay_the_stop() {
    let Some(_serial) = root_test("a_notification_socket_nobody_reads_does_not_delay_the_stop")
    else {
        return;
    };
    let net = TestNet::new();
    let (notify, notify_path) = notify_socket(&net);
    let (daemon, log) = start_notifying(&net, &notify_path);
    assert_eq!(notification(&notify, "READY=1", &log), "READY=1");
    // A service manager that stopped reading: STOPPING=1 finds the queue full.
    fill_queue(&notify_path);
    // The unit's TimeoutStopSec is 20 s; systemd kills what takes longer.
    let status = daemon.stop_within("TERM", Duration::from_secs(15));
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    let status = status.unwrap_or_else(|| panic!("still running 15 s after SIGTERM:\n{stderr}"));
    assert!(status.success(), "{status:?}\n{stderr}");
    assert!(
        stderr.contains("could not tell systemd STOPPING=1"),
        "the lost notification is logged:\n{stderr}"
    );
    assert_eq!(net.ruleset(&net.a), "", "rules removed");
}

/// Runs the daemon in `net` with stderr to `log`, `JOURNAL_STREAM` as given and `extra`
/// options, stops it with SIGTERM, and returns its stderr.
fn stderr_of_a_run(net: &TestNet, journal_stream: Option<&str>, extra: &[&str]) -> String {
    let log = net.dir.join("daemon.log");
    let daemon = Daemon::start_with_env(
        net,
        &net.a.clone(),
        extra,
        Some(log.clone()),
        &[("JOURNAL_STREAM", journal_stream)],
    );
    assert!(daemon.stop("TERM").success());
    std::fs::read_to_string(&log).unwrap()
}

/// The device and inode of `path`, as systemd writes them into `JOURNAL_STREAM`.
fn stream_of(path: &std::path::Path) -> String {
    let metadata = std::fs::metadata(path).unwrap();
    format!("{}:{}", metadata.dev(), metadata.ino())
}

#[test]
fn lines_carry_syslog_priorities_only_when_stderr_is_the_journal_stream() {
    let Some(_serial) = root_test("lines_carry_syslog_priorities_only_when_stderr_is_the_journal")
    else {
        return;
    };
    let net = TestNet::new();
    let log = net.dir.join("daemon.log");
    // The file the daemon's stderr will be (start_with_env truncates it, same inode).
    std::fs::write(&log, "").unwrap();
    let stream = stream_of(&log);

    let journal = stderr_of_a_run(&net, Some(&stream), &["--log-level", "debug"]);
    let lines: Vec<&str> = journal.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("<6>zenithfenced: info: running: queue")),
        "{journal}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("<6>zenithfenced: info: stopped")),
        "{journal}"
    );
    for line in &lines {
        let expected = ["<3>", "<4>", "<6>", "<7>"]
            .iter()
            .zip(["error", "warning", "info", "debug"])
            .any(|(prefix, label)| line.starts_with(&format!("{prefix}zenithfenced: {label}: ")));
        assert!(expected, "a line without its priority: {line:?}\n{journal}");
    }

    // Stderr elsewhere than the stream systemd named (redirected), or no stream: plain lines.
    for stream in [None, Some("1:1")] {
        let plain = stderr_of_a_run(&net, stream, &[]);
        assert!(
            plain.contains("zenithfenced: info: running: queue"),
            "{plain}"
        );
        assert!(plain.lines().all(|l| !l.starts_with('<')), "{plain}");
    }

    // --log-level error (also as --log-level=error) leaves out info lines.
    let quiet = stderr_of_a_run(&net, Some(&stream), &["--log-level=error"]);
    assert!(!quiet.contains("info:"), "{quiet}");
    assert!(quiet.lines().all(|l| l.starts_with("<3>")), "{quiet}");
}

#[test]
fn a_failed_start_says_why_with_the_error_priority_in_the_journal() {
    // No namespace: the command line is refused before anything is touched.
    let dir = std::env::temp_dir().join(format!("zf-systemd-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("stderr");
    let file = std::fs::File::create(&log).unwrap();
    let status = Command::new(BINARY)
        .args(["--queue", "0"])
        .env("JOURNAL_STREAM", stream_of(&log))
        .stderr(file)
        .status()
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        text,
        "<3>zenithfenced: --queue: '0' is not a number from 1 to 65535\n"
    );
}

#[test]
fn version_and_help_are_what_help2man_reads() {
    let version = Command::new(BINARY).arg("--version").output().unwrap();
    assert!(version.status.success());
    let text = String::from_utf8(version.stdout).unwrap();
    assert_eq!(
        text.lines().next(),
        Some(format!("zenithfenced {}", env!("CARGO_PKG_VERSION")).as_str())
    );
    let help = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(
        text.starts_with("Usage: zenithfenced [OPTION]...\n"),
        "{text}"
    );
    assert!(text.contains("\nOptions:\n  --socket PATH  "), "{text}");
    let refused = Command::new(BINARY).arg("--no-ipv6=1").output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        "zenithfenced: --no-ipv6 takes no value (got '--no-ipv6=1')\n"
    );
}
