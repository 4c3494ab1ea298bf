//! Two namespaces `a` (the daemon's host) and `b` (the peer) joined by veth, with IPv4 and IPv6.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The test network. Dropping it kills what it started and deletes the namespaces.
pub struct TestNet {
    pub a: String,
    pub b: String,
    pub ip4_a: String,
    pub ip4_b: String,
    pub ip6_a: String,
    pub ip6_b: String,
    /// A private directory (mode 0700) for the test's files: sockets, served files, logs.
    /// Dropping the net removes it. It is in /run (root's, 0755), not the temporary directory:
    /// a test may open it to another uid, which needs every directory above it to be
    /// traversable, and the temporary directory of a test run is private (0700).
    pub dir: PathBuf,
    children: Vec<Child>,
    /// `/etc/netns/<ns>` directories made by [`TestNet::resolv_conf`], removed on drop.
    netns_etc: Vec<PathBuf>,
    /// Whether /etc/netns itself was made here (then it goes too, when empty).
    made_etc_netns: bool,
}

/// Where `ip netns exec` finds the files it mounts over those of /etc in a namespace.
const ETC_NETNS: &str = "/etc/netns";

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn must(program: &str, args: &[&str]) {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestNet {
    pub fn new() -> TestNet {
        let n = std::process::id() % 200 + NEXT.fetch_add(1, Ordering::SeqCst) * 7 % 50;
        let tag = format!("zft{}x{}", std::process::id(), NEXT.load(Ordering::SeqCst));
        let (a, b) = (format!("{tag}a"), format!("{tag}b"));
        let dir = std::path::Path::new("/run").join(&tag);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let net = TestNet {
            a: a.clone(),
            b: b.clone(),
            ip4_a: format!("10.201.{n}.1"),
            ip4_b: format!("10.201.{n}.2"),
            ip6_a: format!("fd77:{n:x}::1"),
            ip6_b: format!("fd77:{n:x}::2"),
            dir,
            children: Vec::new(),
            netns_etc: Vec::new(),
            made_etc_netns: false,
        };
        must("ip", &["netns", "add", &a]);
        must("ip", &["netns", "add", &b]);
        must(
            "ip",
            &[
                "-n", &a, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns",
                &b,
            ],
        );
        for (ns, ip4, ip6) in [(&a, &net.ip4_a, &net.ip6_a), (&b, &net.ip4_b, &net.ip6_b)] {
            let dev = if ns == &a { "veth0" } else { "veth1" };
            must(
                "ip",
                &["-n", ns, "addr", "add", &format!("{ip4}/24"), "dev", dev],
            );
            must(
                "ip",
                &[
                    "-n",
                    ns,
                    "addr",
                    "add",
                    &format!("{ip6}/64"),
                    "dev",
                    dev,
                    "nodad",
                ],
            );
            must("ip", &["-n", ns, "link", "set", dev, "up"]);
            must("ip", &["-n", ns, "link", "set", "lo", "up"]);
        }
        net
    }

    /// Writes the `/etc/resolv.conf` that programs started in `ns` from now on see (`ip netns
    /// exec` mounts `/etc/netns/<ns>/resolv.conf` over it). Written in place, so programs
    /// already running see the new text too. Removed when the net is dropped.
    pub fn resolv_conf(&mut self, ns: &str, text: &str) {
        let dir = std::path::Path::new(ETC_NETNS).join(ns);
        if !self.netns_etc.contains(&dir) {
            self.made_etc_netns |= !std::path::Path::new(ETC_NETNS).exists();
            std::fs::create_dir_all(&dir).unwrap();
            self.netns_etc.push(dir.clone());
        }
        std::fs::write(dir.join("resolv.conf"), text).unwrap();
    }

    /// Runs a command in namespace `ns` and waits for it.
    pub fn exec(&self, ns: &str, program: &str, args: &[&str]) -> Output {
        let mut all = vec!["netns", "exec", ns, program];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// `nft list ruleset` in namespace `ns`. (nft warns on its stderr that a table with the
    /// daemon's queue rule is "managed by iptables-nft": the rule is an xtables target.)
    pub fn ruleset(&self, ns: &str) -> String {
        let out = self.exec(ns, "nft", &["list", "ruleset"]);
        assert!(out.status.success(), "nft list ruleset: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// How many rules in namespace `ns` queue to `queue`, and how many tables of the daemon's
    /// are there. nft shows the xtables target as `queue num N bypass`, and its own `queue`
    /// (on kernels that have it) as `queue flags bypass to N`.
    pub fn queue_rules_and_tables(&self, ns: &str, queue: u16) -> (usize, usize) {
        let ruleset = self.ruleset(ns);
        (
            ruleset
                .matches(&format!("queue num {queue} bypass\n"))
                .count()
                + ruleset
                    .matches(&format!("queue flags bypass to {queue}\n"))
                    .count(),
            ruleset.matches("table inet zenithfence_").count(),
        )
    }

    /// Starts a command in namespace `ns`; it is killed when the net is dropped.
    pub fn spawn(&mut self, ns: &str, program: &str, args: &[&str]) -> usize {
        let child = Command::new("ip")
            .args(["netns", "exec", ns, program])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.children.push(child);
        self.children.len() - 1
    }

    /// The first line a spawned child prints (waits up to 10 s).
    pub fn first_line(&mut self, child: usize) -> String {
        let stdout = self.children[child].stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line.trim().to_string()
    }

    /// Starts a python HTTP server in `b` on port 8080 (v4 and v6) serving `body`.
    pub fn http_server(&mut self, body: &str) {
        let dir = self.www();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), body).unwrap();
        let dir = dir.to_string_lossy().into_owned();
        self.spawn(
            &self.b.clone(),
            "/usr/bin/python3",
            &[
                "-m",
                "http.server",
                "8080",
                "--bind",
                "::",
                "--directory",
                &dir,
            ],
        );
        self.wait_port(&self.b.clone(), 8080);
    }

    /// The directory `http_server` serves.
    pub fn www(&self) -> PathBuf {
        self.dir.join("www")
    }

    /// Waits until something listens on TCP `port` in `ns`.
    pub fn wait_port(&self, ns: &str, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let needle = format!(":{port:04X} ");
        while Instant::now() < deadline {
            let out = self.exec(ns, "cat", &["/proc/net/tcp", "/proc/net/tcp6"]);
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.contains(&needle) && l.contains(" 0A "))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("nothing listens on port {port} in {ns}");
    }

    /// Runs curl in `a` (or another namespace) and returns (exit code, stdout, seconds).
    pub fn curl(&self, ns: &str, url: &str, extra: &[&str]) -> (i32, String, f64) {
        let started = Instant::now();
        let mut args = vec!["-s", "-g", "--max-time", "8"];
        args.extend_from_slice(extra);
        args.push(url);
        let out = self.exec(ns, "curl", &args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            started.elapsed().as_secs_f64(),
        )
    }

    /// Reads `/proc/net/netfilter/nfnetlink_queue` of `a`: (held now, dropped) of `queue`.
    pub fn kernel_queue(&self, queue: u16) -> Option<(u64, u64)> {
        let out = self.exec(&self.a, "cat", &["/proc/net/netfilter/nfnetlink_queue"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                (f.first()?.parse::<u16>().ok()? == queue)
                    .then(|| Some((f.get(2)?.parse().ok()?, f.get(5)?.parse().ok()?)))?
            })
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        // A daemon that stopped with connections open left their byte counts for the next
        // one of its namespace, which will never come (the daemon's `carried_totals.rs`).
        for ns in [&self.a, &self.b] {
            if let Ok(meta) = std::fs::metadata(format!("/run/netns/{ns}")) {
                use std::os::unix::fs::MetadataExt;
                let record = format!("/run/zenithfence/net-{}.totals", meta.ino());
                let _ = std::fs::remove_file(record);
            }
        }
        let _ = run("ip", &["netns", "del", &self.a]);
        let _ = run("ip", &["netns", "del", &self.b]);
        let _ = std::fs::remove_dir_all(&self.dir);
        for dir in &self.netns_etc {
            let _ = std::fs::remove_dir_all(dir);
        }
        if self.made_etc_netns {
            // Only when empty: another namespace's files may have come meanwhile.
            let _ = std::fs::remove_dir(ETC_NETNS);
        }
    }
}

/// The daemon under test, running in namespace `a`. Dropping it stops it with SIGTERM.
pub struct Daemon {
    child: Option<Child>,
    pub socket: PathBuf,
    pub queue: u16,
    pub ns: String,
    /// Where its stderr goes, when captured (see [`Daemon::start_logged`]).
    pub stderr: Option<PathBuf>,
    /// Its `--policy-file`: in the net's directory unless the test passes its own (never the
    /// host's /var/lib/zenithfence/policy, which would carry rules from another run).
    pub policy_file: PathBuf,
}

/// The daemon binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_zenithfenced");

/// The queue number the tests of one process use.
pub fn test_queue() -> u16 {
    3000 + (std::process::id() % 1000) as u16
}

impl Daemon {
    pub fn start(net: &TestNet, extra: &[&str]) -> Daemon {
        Self::start_in(net, &net.a, extra, None)
    }

    /// Starts the daemon with its stderr written to `daemon.log` in the net's directory.
    pub fn start_logged(net: &TestNet, extra: &[&str]) -> Daemon {
        Self::start_in(net, &net.a, extra, Some(net.dir.join("daemon.log")))
    }

    /// Starts the daemon in namespace `ns` (its socket is named after the namespace).
    pub fn start_in(net: &TestNet, ns: &str, extra: &[&str], stderr: Option<PathBuf>) -> Daemon {
        Self::start_with_env(net, ns, extra, stderr, &[])
    }

    /// Like [`Daemon::start_in`], with environment variables set (`Some`) or removed (`None`).
    pub fn start_with_env(
        net: &TestNet,
        ns: &str,
        extra: &[&str],
        stderr: Option<PathBuf>,
        env: &[(&str, Option<&str>)],
    ) -> Daemon {
        let queue = test_queue();
        let socket = if ns == net.a {
            net.dir.join("driver.sock")
        } else {
            net.dir.join(format!("driver-{ns}.sock"))
        };
        let _ = std::fs::remove_file(&socket);
        let binary = BINARY;
        let queue_text = queue.to_string();
        let socket_text = socket.to_string_lossy().into_owned();
        let policy_file = match extra.iter().position(|&a| a == "--policy-file") {
            Some(at) => PathBuf::from(extra[at + 1]),
            None => net.dir.join(format!("policy-{ns}")),
        };
        let policy_text = policy_file.to_string_lossy().into_owned();
        let mut args = vec![
            "netns",
            "exec",
            ns,
            binary,
            "--socket",
            &socket_text,
            "--queue",
            &queue_text,
        ];
        if !extra.contains(&"--policy-file") {
            args.extend_from_slice(&["--policy-file", &policy_text]);
        }
        args.extend_from_slice(extra);
        let errors = match &stderr {
            Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
            None => Stdio::inherit(),
        };
        let mut command = Command::new("ip");
        command.args(&args).stdin(Stdio::null()).stderr(errors);
        for (name, value) in env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let child = command.spawn().unwrap();
        let mut daemon = Daemon {
            child: Some(child),
            socket,
            queue,
            ns: ns.to_string(),
            stderr,
            policy_file,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !daemon.socket.exists() {
            let exited = daemon.child.as_mut().unwrap().try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "the daemon did not create its socket ({exited:?}): {}",
                daemon.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        daemon
    }

    /// The daemon's process id (`ip netns exec` execs it, so the child is the daemon).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits at most 10 s until the daemon's captured stderr holds `needle`.
    pub fn wait_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stderr_text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no '{needle}' in the log:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the daemon wrote to stderr so far, when it is captured.
    pub fn stderr_text(&self) -> String {
        self.stderr
            .as_ref()
            .map(|path| std::fs::read_to_string(path).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Stops the daemon with `signal` and waits at most `bound` for it to exit; a daemon still
    /// running then is killed and `None` returned.
    pub fn stop_within(
        mut self,
        signal: &str,
        bound: Duration,
    ) -> Option<std::process::ExitStatus> {
        self.signal(signal);
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Sends a signal to the daemon (the `ip netns exec` process execs it, so the pid is its).
    pub fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            run("kill", &[&format!("-{signal}"), &child.id().to_string()]);
        }
    }

    /// Stops the daemon with `signal` and returns its exit status.
    pub fn stop(mut self, signal: &str) -> std::process::ExitStatus {
        self.signal(signal);
        self.child.take().unwrap().wait().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Signalled before the child is taken: `signal` needs it.
        self.signal("TERM");
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
