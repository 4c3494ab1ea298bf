//! Scenario E of the peer benchmark: OpenSnitch's daemon (Debian's `opensnitch`, 1.5.8) with
//! one allow-all rule, started only inside namespace `a`, never as a service.
//!
//! 1.5.8 reads its configuration from `/etc/opensnitchd` (compiled in, no option). `ip netns
//! exec` gives the command a mount namespace of its own (with `/` made a slave, so nothing
//! mounted there propagates back), so the command bind-mounts a directory of this benchmark over
//! `/etc/opensnitchd` and then execs the daemon: the host's directory is never written. The
//! script refuses to mount when it finds itself in the benchmark's own mount namespace.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{connect_run, ns_a, run, wait_bounded, Res, QUEUE};

/// Its configuration directory, compiled into 1.5.8.
pub(crate) const HOST_CONFIG: &str = "/etc/opensnitchd";

/// How to get OpenSnitch without a service starting, printed when it is missing.
pub(crate) const HOW_TO_INSTALL: &str = "install it without starting it: \
    `printf '#!/bin/sh\\nexit 101\\n' | sudo tee /usr/sbin/policy-rc.d && sudo chmod +x /usr/sbin/policy-rc.d && \
    sudo apt-get install -y --no-install-recommends opensnitch && sudo rm /usr/sbin/policy-rc.d`, then \
    `sudo systemctl disable opensnitch` (keep any policy-rc.d you had; never start the service: this \
    benchmark starts the daemon only inside its own namespace)";

/// The installed daemon.
pub(crate) struct OpenSnitch {
    binary: PathBuf,
    version: String,
}

impl OpenSnitch {
    /// `opensnitchd` on the PATH (Debian: `/usr/bin`). `Err` says why E is skipped.
    pub(crate) fn locate() -> Res<OpenSnitch> {
        let path = std::env::var("PATH").unwrap_or_default();
        let binary = path
            .split(':')
            .map(|dir| Path::new(dir).join("opensnitchd"))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("opensnitchd is not installed; {HOW_TO_INSTALL}"))?;
        let version = run(&binary.to_string_lossy(), &["-version"])
            .map(|v| v.trim().to_string())
            .map_err(|e| format!("opensnitchd -version: {e}"))?;
        Ok(OpenSnitch { binary, version })
    }

    pub(crate) fn describe(&self) -> String {
        format!("{} ({})", self.binary.display(), self.version)
    }
}

/// What the host's `/etc/opensnitchd` holds (names, sizes, contents) and whether anything is
/// mounted there: taken before and after, they must be equal.
pub(crate) fn host_fingerprint() -> String {
    let mut entries: Vec<String> = fs::read_dir(HOST_CONFIG)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|entry| {
                    let bytes = fs::read(entry.path()).unwrap_or_default();
                    // FNV-1a: enough to notice a change, no crate needed.
                    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                    });
                    format!(
                        "{} {} {hash:016x}",
                        entry.file_name().to_string_lossy(),
                        bytes.len()
                    )
                })
                .collect()
        })
        .unwrap_or_else(|e| vec![format!("unreadable: {e}")]);
    entries.sort();
    let mounted = fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split_whitespace().nth(4) == Some(HOST_CONFIG));
    format!("{} | mounted: {mounted}", entries.join(", "))
}

/// The daemon's configuration: deny by default (so a connection that passes was allowed by
/// the rule; unattributed ones pass, `InterceptUnknown` false, as installed), the /proc process monitor (Debian ships no
/// eBPF module), iptables, its log and UI socket in our directory.
fn config(dir: &Path) -> String {
    format!(
        "{{\n  \"Server\": {{\"Address\": \"unix://{}\", \"LogFile\": \"{}\"}},\n  \
         \"DefaultAction\": \"deny\",\n  \"DefaultDuration\": \"once\",\n  \
         \"InterceptUnknown\": false,\n  \"ProcMonitorMethod\": \"proc\",\n  \"LogLevel\": 2,\n  \
         \"Firewall\": \"iptables\",\n  \"Stats\": {{\"MaxEvents\": 150, \"MaxStats\": 25}}\n}}\n",
        dir.join("osui.sock").display(),
        dir.join("opensnitchd.log").display()
    )
}

/// One rule that matches every connection and allows it for good.
const ALLOW_ALL: &str = r#"{
  "created": "2026-01-01T00:00:00Z",
  "updated": "2026-01-01T00:00:00Z",
  "name": "000-allow-all",
  "enabled": true,
  "precedence": true,
  "action": "allow",
  "duration": "always",
  "operator": {"type": "simple", "operand": "true", "sensitive": false, "data": "", "list": []}
}
"#;

/// Mounts `$2` over /etc/opensnitchd in this (private) mount namespace, then execs the rest.
/// `$1` is the benchmark's own mount namespace: equal means no private one, so no mount.
const LAUNCH: &str = r#"[ "$(readlink /proc/self/ns/mnt)" != "$1" ] || { echo "opensnitchd: no mount namespace of its own, not mounting" >&2; exit 1; }
mount --make-rslave / && mount --bind "$2" /etc/opensnitchd || exit 1
shift 2
exec "$@""#;

/// The daemon running in `a`; dropping it stops it.
pub(crate) struct Running {
    child: Option<Child>,
    log: PathBuf,
}

impl Running {
    /// Writes the configuration and the rule under `dir` (made anew), starts the daemon and
    /// returns once its queue is bound, its rule is in the mangle table and a probe connection
    /// went through.
    pub(crate) fn start(snitch: &OpenSnitch, dir: &Path, exe: &Path) -> Res<Running> {
        let _ = fs::remove_dir_all(dir);
        let etc = dir.join("etc");
        let rules = dir.join("rules");
        for d in [&etc, &rules] {
            fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
        }
        let write = |path: PathBuf, text: &str| {
            fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
        };
        write(etc.join("default-config.json"), &config(dir))?;
        write(etc.join("system-fw.json"), "{\"SystemRules\": []}\n")?;
        write(rules.join("000-allow-all.json"), ALLOW_ALL)?;
        let log = dir.join("opensnitchd.log");
        let own_mnt =
            fs::read_link("/proc/self/ns/mnt").map_err(|e| format!("/proc/self/ns/mnt: {e}"))?;
        let stderr = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let stdout = stderr
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        // `ip netns exec` execs sh, which execs the daemon: the child's pid is the daemon's.
        let child = Command::new("ip")
            .args(["netns", "exec", ns_a(), "sh", "-c", LAUNCH, "sh"])
            .arg(&own_mnt)
            .arg(&etc)
            .arg(&snitch.binary)
            .arg("-rules-path")
            .arg(&rules)
            .arg("-ui-socket")
            .arg(format!("unix://{}", dir.join("osui.sock").display()))
            .args(["-queue-num", &QUEUE.to_string()])
            .args(["-process-monitor-method", "proc"])
            .arg("-log-file")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start opensnitchd: {e}"))?;
        let mut running = Running {
            child: Some(child),
            log,
        };
        running.wait_ready(exe)?;
        Ok(running)
    }

    fn wait_ready(&mut self, exe: &Path) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let queue = QUEUE.to_string();
        loop {
            if self.exited() {
                return Err(format!("opensnitchd exited: {}", self.log_tail()));
            }
            let bound = run(
                "ip",
                &[
                    "netns",
                    "exec",
                    ns_a(),
                    "cat",
                    "/proc/net/netfilter/nfnetlink_queue",
                ],
            )
            .is_ok_and(|s| {
                s.lines()
                    .any(|l| l.split_whitespace().next() == Some(queue.as_str()))
            });
            let ruled = run(
                "ip",
                &[
                    "netns",
                    "exec",
                    ns_a(),
                    "iptables",
                    "-t",
                    "mangle",
                    "-S",
                    "OUTPUT",
                ],
            )
            .is_ok_and(|s| s.contains("NFQUEUE"));
            if bound && ruled && connect_run(exe, 1, 0).is_ok_and(|s| s.ok == 1) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "opensnitchd was not ready within 20 s (queue bound {bound}, rule {ruled}): {}",
                    self.log_tail()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| !matches!(c.try_wait(), Ok(None)))
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines
            .get(lines.len().saturating_sub(5)..)
            .unwrap_or_default()
            .join(" | ")
    }

    pub(crate) fn pids(&self) -> Vec<u32> {
        self.child.iter().map(Child::id).collect()
    }

    /// SIGTERM, killed after 7 s (1.5.8 waits 5 s for its queue before it exits, "queue
    /// stuck, closing by timeout"); a note on how it ended.
    pub(crate) fn stop(mut self) -> String {
        self.terminate()
    }

    fn terminate(&mut self) -> String {
        let Some(mut child) = self.child.take() else {
            return String::new();
        };
        if matches!(child.try_wait(), Ok(None)) {
            let _ = run("kill", &["-TERM", &child.id().to_string()]);
        }
        match wait_bounded(&mut child, Duration::from_secs(7)) {
            Some(_) => "  opensnitchd stopped".to_string(),
            None => "  opensnitchd KILLED after 7 s".to_string(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.terminate();
    }
}
