//! Scenario D: the real daemon with the real engine (headless mode, `app/headless/main.ts`) and
//! one rule that allows this executable to connect anywhere. Each connection then goes daemon →
//! binding → engine (rule match, permanent accept) → binding → daemon.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::{
    connect_run, daemon_log, engine_dir, headless_log, ns_a, run, socket, wait_bounded, Daemon, Res,
};

/// How to start headless mode, found next to this binary.
pub(crate) struct Headless {
    node: PathBuf,
    main: PathBuf,
    /// The rule file's text: this executable may connect anywhere.
    rules: String,
    /// The same rules held by the app alone (`until-restart`): the driver's policy marks them
    /// "the app decides", so every connection crosses to the engine and back.
    app_rules: String,
}

impl Headless {
    /// The repository is `../../../..` from this binary's directory
    /// (`<repo>/driver/target/release/examples/bench`). `Err` says why scenario D is skipped.
    pub(crate) fn locate() -> Res<Headless> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let exe = fs::canonicalize(&exe).map_err(|e| format!("{}: {e}", exe.display()))?;
        let root = exe
            .ancestors()
            .nth(5)
            .ok_or_else(|| format!("no repository above {}", exe.display()))?;
        let node = root.join("node_modules/.bin/node");
        let main = root.join("app/headless/main.ts");
        for path in [&node, &main] {
            if !path.exists() {
                return Err(format!("{} is missing (npm install?)", path.display()));
            }
        }
        // This executable, and iperf3 (the established-flow part) when installed.
        let apps: Vec<PathBuf> = std::iter::once(exe).chain(iperf3_path()).collect();
        let file = |duration: &str| {
            let rules = apps
                .iter()
                .map(|app| {
                    format!(
                        "{{\"app\":{{\"kind\":\"path\",\"path\":{}}},\
                         \"destination\":{{\"kind\":\"any\"}},\"action\":\"allow\"{duration}}}",
                        json_string(&app.to_string_lossy())
                    )
                })
                .collect::<Vec<_>>()
                .join(",");
            format!("{{\"format\":\"zenithfence-rules\",\"version\":1,\"rules\":[{rules}]}}\n")
        };
        Ok(Headless {
            node,
            main,
            rules: file(""),
            app_rules: file(",\"duration\":{\"kind\":\"until-restart\"}"),
        })
    }

    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.node.display(), self.main.display())
    }
}

/// `iperf3` on the PATH, its links resolved (the path the daemon reads in /proc).
fn iperf3_path() -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .map(|dir| Path::new(dir).join("iperf3"))
        .find(|p| p.is_file())
        .and_then(|p| fs::canonicalize(p).ok())
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn file_len(path: &str) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}

/// What a file gained since `from` (lossy; empty if unreadable).
fn file_since(path: &str, from: u64) -> String {
    let bytes = fs::read(path).unwrap_or_default();
    let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
    String::from_utf8_lossy(bytes.get(from..).unwrap_or_default()).into_owned()
}

/// The last few lines of what headless mode wrote to stderr since `from`, for an error.
fn log_tail(from: u64) -> String {
    let text = file_since(headless_log(), from);
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines
        .get(lines.len().saturating_sub(5)..)
        .unwrap_or_default()
        .join(" | ");
    if tail.is_empty() {
        format!("nothing on stderr ({})", headless_log())
    } else {
        format!("{tail} ({})", headless_log())
    }
}

/// The daemon and headless mode in `a`; dropping stops both (headless first).
pub(crate) struct FullStack {
    /// `None` once reaped (its pid must not be signalled again).
    headless: Option<Child>,
    /// Keeps headless mode's stdout drained (its reader thread ends when this is dropped).
    stdout: Receiver<String>,
    node: PathBuf,
    daemon: Option<Daemon>,
    log_from: u64,
}

impl FullStack {
    /// Starts the daemon, then headless mode with a fresh database and the rule, and returns
    /// once a probe connection went through the engine.
    /// With `app_decides`, the rules are held by the app alone (see [`Headless`]).
    pub(crate) fn start(
        daemon_binary: &Path,
        headless: &Headless,
        exe: &Path,
        app_decides: bool,
    ) -> Res<FullStack> {
        let dir = Path::new(engine_dir());
        let _ = fs::remove_dir_all(dir);
        let data = dir.join("data");
        fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let rule_file = dir.join("rules.json");
        let rules = if app_decides {
            &headless.app_rules
        } else {
            &headless.rules
        };
        fs::write(&rule_file, rules).map_err(|e| format!("{}: {e}", rule_file.display()))?;

        let daemon = Daemon::spawn(daemon_binary)?;
        let daemon_from = file_len(daemon_log());
        let log_from = file_len(headless_log());
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(headless_log())
            .map_err(|e| format!("{}: {e}", headless_log()))?;
        // In `a` like the daemon, so a sweep after an aborted run kills it too; `ip netns exec`
        // execs node, so the child's pid is node's.
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns_a()])
            .arg(&headless.node)
            .arg(&headless.main)
            .arg("--driver-socket")
            .arg(socket())
            .arg("--data-dir")
            .arg(&data)
            .arg("--import-rules")
            .arg(&rule_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start headless mode: {e}"))?;
        let stdout = super::lines_of(&mut child);
        let stdout = match stdout {
            Ok(stdout) => stdout,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let mut stack = FullStack {
            headless: Some(child),
            stdout,
            node: headless.node.clone(),
            daemon: Some(daemon),
            log_from,
        };
        stack.wait_serving()?;
        stack.wait_hello(daemon_from)?;
        stack.probe(exe)?;
        Ok(stack)
    }

    /// Waits for `ZenithFence UI: http://127.0.0.1:PORT/#token=...` on stdout.
    fn wait_serving(&mut self) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.starts_with("ZenithFence UI: ") => return Ok(()),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "headless mode did not serve within 30 s: {}",
                        log_tail(self.log_from)
                    ))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("headless mode exited: {}", log_tail(self.log_from)))
                }
            }
        }
    }

    /// Waits until the daemon logs the engine's Hello.
    fn wait_hello(&mut self, daemon_from: u64) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !file_since(daemon_log(), daemon_from).contains("client hello") {
            if self.exited() {
                return Err(format!("headless mode exited: {}", log_tail(self.log_from)));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "headless mode did not connect to the daemon within 15 s: {}",
                    log_tail(self.log_from)
                ));
            }
            thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// One connect through the whole stack, retried for up to 10 s.
    fn probe(&mut self, exe: &Path) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if connect_run(exe, 1, 0)?.ok == 1 {
                return Ok(());
            }
            if self.exited() || Instant::now() > deadline {
                return Err(format!(
                    "a probe connection was not accepted through the engine: {}",
                    log_tail(self.log_from)
                ));
            }
        }
    }

    /// The daemon's and headless mode's pids (the processes whose CPU the benchmark counts).
    pub(crate) fn pids(&self) -> Vec<u32> {
        let daemon = self.daemon.as_ref().and_then(|d| d.child.as_ref());
        daemon
            .into_iter()
            .chain(self.headless.as_ref())
            .map(Child::id)
            .collect()
    }

    fn exited(&mut self) -> bool {
        self.headless
            .as_mut()
            .is_none_or(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM (it answers what it holds and exits), killed after 5 s. Whether it exited alone.
    fn stop_headless(&mut self) -> Option<bool> {
        let mut child = self.headless.take()?;
        if matches!(child.try_wait(), Ok(None)) {
            let _ = run("kill", &["-TERM", &child.id().to_string()]);
        }
        Some(wait_bounded(&mut child, Duration::from_secs(5)).is_some())
    }

    /// Stops headless mode, then the daemon; returns a note on what the engine did.
    pub(crate) fn stop(mut self) -> String {
        let alone = self.stop_headless();
        if let Some(daemon) = self.daemon.take() {
            daemon.stop();
        }
        let stderr = file_since(headless_log(), self.log_from);
        let held = stderr
            .lines()
            .find_map(|l| l.split_once("stopped (")?.1.split_once(' '))
            .map_or("?", |(n, _)| n)
            .to_string();
        let exit = match alone {
            Some(true) => format!("stopped with {held} held"),
            _ => "KILLED after 5 s".to_string(),
        };
        match self.engine_counts() {
            Ok((hits, history)) => {
                format!("  engine: rule hits {hits}, history rows {history}, {exit}")
            }
            Err(e) => format!("  engine: {exit}; no counts: {e}"),
        }
    }

    /// The rule's hit count and the history rows, read from the database after headless mode
    /// stopped (its shutdown flushes both).
    fn engine_counts(&self) -> Res<(u64, u64)> {
        let db = Path::new(engine_dir()).join("data/zenithfence.sqlite");
        let script = "const { DatabaseSync } = require('node:sqlite');\
             const db = new DatabaseSync(process.argv[1], { readOnly: true });\
             const hits = db.prepare('SELECT coalesce(sum(hit_count), 0) AS n FROM rules').get().n;\
             const rows = db.prepare('SELECT count(*) AS n FROM history').get().n;\
             console.log(`${hits} ${rows}`);";
        let out = run(
            &self.node.to_string_lossy(),
            &["-e", script, &db.to_string_lossy()],
        )?;
        let mut numbers = out.split_whitespace().map(super::number::<u64>);
        match (numbers.next(), numbers.next()) {
            (Some(hits), Some(rows)) => Ok((hits?, rows?)),
            _ => Err(format!("unexpected '{}'", out.trim())),
        }
    }
}

impl Drop for FullStack {
    fn drop(&mut self) {
        self.stop_headless();
        drop(self.daemon.take());
    }
}
