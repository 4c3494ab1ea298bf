//! `bench peer`: ZenithFence beside OpenSnitch, the same traffic through every configuration.
//!
//! ```text
//! cargo build --release -p zenithfenced --bins --examples
//! sudo target/release/examples/bench peer [--quick] [--count N] [--warmup N] [--parallel N]
//!     [--rounds N] [--iperf-rounds N] [--iperf-seconds N] [--compare OTHER_DAEMON]
//!     [--only A,B,B2,C,C',D,D'] [--poll-idle]
//! ```
//!
//! `--compare` adds rows C' and D': C and D with another daemon build, interleaved with them
//! (an A/B of a change); `--only` runs only the rows named by their letters; `--poll-idle`
//! keeps the CPUs polling when idle (`idle_states.rs`), a diagnostic of this machine.
//!
//! - A no firewall; B the minimal accept-all NFQUEUE reader with the daemon's rules; B2 the same
//!   reader asking an echoing app about every packet, the way the daemon asks its client (the
//!   least C can cost: one more wake-up and two more system calls per connection, no work);
//!   C zenithfenced + an auto-accept client; D zenithfenced + the engine (headless mode) with a
//!   rule (the driver's policy holds it, so the daemon decides); D2 the same rule held by the
//!   app alone (`until-restart`), so every connection crosses daemon → engine → daemon;
//!   E OpenSnitch's daemon with an allow-all rule (`bench/opensnitch.rs`; skipped, with the
//!   reason and how to install it, when absent; D and D2 likewise without node).
//! - Latency part, interleaved rounds, each configuration started afresh: sequential TCP
//!   connects (p50/p99) after `--warmup` unmeasured ones (default: a twentieth of `--count`, as
//!   in every earlier run; a fresh engine's JIT compiles its hot paths over its first thousands
//!   of connections, while the kernel's and the engine's tables fill, so a longer warm-up
//!   measures another state, not simply a better one), 32 parallel connect loops (connections/s), new UDP flows (one datagram
//!   and its echo: first-datagram latency p50/p99); CPU ms per 1 000 connections of the
//!   firewall's processes (reader; daemon; daemon + headless node; opensnitchd) over the
//!   sequential TCP and the UDP parts; their RSS at the end.
//! - Throughput part: iperf3, interleaved rounds of all of them, with the CPU the firewall's
//!   processes use meanwhile.
//! - Every round runs each configuration once, each round starting one later. Then the medians
//!   of the rounds, the ratios, and the issue-14 goals by those medians and within rounds
//!   (`within_rounds.rs`: each row against its baseline of the same round; 6 rounds by default,
//!   the fewest that can give a verdict).
//!
//! Namespaces `zfpeer-a`/`zfpeer-b` (not the driver benchmark's) and one private directory
//! `/tmp/zfpeer-PID` (0700) hold everything. The command the user starts is a supervisor: it
//! runs the benchmark as a child and, however that ends (done, failed, Ctrl-C, SIGTERM), kills
//! what runs in the namespaces, deletes them, removes the directory and checks that the host's
//! `/etc/opensnitchd` is as before. It prints numbers and asserts nothing.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use super::full_stack::{FullStack, Headless};
use super::idle_states;
use super::machine::{self, Machine};
use super::machine_busy::MachineBusy;
use super::opensnitch::{self, OpenSnitch};
use super::place::settle;
use super::proc_stats::{rss_mb, run_time_by_thread, sleeps, thread_time_since, wait_quiet, Cpu};
use super::within_rounds::{describe, interval_name, judge, Better};
use super::{
    client_run, connect_run, daemon_binary, daemon_is_stale, fresh_state, iperf, iperf_pinned,
    lines_of, median, ns_a, ns_b, number, run, spawn_in, sweep, wait_bounded, wait_port, Baseline,
    ConnectStats, Daemon, Net, Res, CONNECT_PORT, IPERF_PORT, IP_A, IP_B, RUN_DEADLINE,
};

/// Names of the namespaces and files (`place.rs`).
const PREFIX: &str = "zfpeer";
/// Parallel connect loops.
const THREADS: usize = 32;
/// How long a started firewall is given at most to become quiet before it is measured.
const QUIET_LIMIT: Duration = Duration::from_secs(10);
/// The UDP echo server's first port; each latency run sends to a port of its own.
const UDP_PORT: u16 = 7100;
/// The first source port of each run's UDP flows (each flow the next one).
const UDP_SOURCE_PORT: u16 = 20000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Config {
    None,
    Reader,
    /// The reader asking an echoing app about every packet: the floor of C.
    ReaderAsking,
    Daemon,
    /// C with another daemon build (`--compare`), for an A/B of a change.
    DaemonCompare,
    Engine,
    /// D with the `--compare` daemon build.
    EngineCompare,
    EngineAsked,
    OpenSnitch,
}

impl Config {
    fn label(self) -> &'static str {
        match self {
            Config::None => "A no firewall",
            Config::Reader => "B minimal accept-all NFQUEUE reader",
            Config::ReaderAsking => "B2 minimal reader asking an echo app",
            Config::Daemon => "C zenithfenced + auto-accept client",
            Config::DaemonCompare => "C' --compare zenithfenced + auto-accept client",
            Config::Engine => "D zenithfenced + engine deciding by a rule",
            Config::EngineCompare => "D' --compare zenithfenced + engine deciding by a rule",
            Config::EngineAsked => "D2 zenithfenced + engine, every connection asks the app",
            Config::OpenSnitch => "E opensnitchd, allow-all rule, /proc monitor",
        }
    }

    fn letter(self) -> &'static str {
        self.label().split(' ').next().unwrap_or("?")
    }
}

struct Options {
    /// Another daemon binary, run as row C' beside C.
    compare: Option<PathBuf>,
    /// Only these rows (letters as printed), when given.
    only: Option<Vec<String>>,
    count: usize,
    /// Sequential TCP connects before the measured ones (see the module's notes).
    warmup: usize,
    parallel: usize,
    /// Descriptors the parallel client holds open before it connects, as a browser holds
    /// hundreds: what finding a new socket's owner among them costs.
    client_fds: usize,
    rounds: usize,
    iperf_rounds: usize,
    iperf_seconds: u32,
    /// Keep every CPU out of its sleeping idle states (`idle_states.rs`): a diagnostic.
    poll_idle: bool,
}

const USAGE: &str =
    "usage: bench peer [--quick] [--count N] [--warmup N] [--parallel N] [--client-fds N (at most 900)] [--rounds N] \
                     [--iperf-rounds N] [--iperf-seconds N] [--compare DAEMON] \
                     [--only A,B,B2,C,C',D,D',D2,E] [--poll-idle]";

fn parse_options(args: &[String]) -> Res<Options> {
    let mut o = Options {
        compare: None,
        only: None,
        count: 3000,
        warmup: usize::MAX,
        parallel: 6000,
        client_fds: 0,
        // Six rounds are the fewest whose full range holds a median with 95 % confidence
        // (`within_rounds.rs`): fewer leave every goal judged within rounds unresolved.
        rounds: 6,
        iperf_rounds: 6,
        iperf_seconds: 4,
        poll_idle: false,
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().ok_or_else(|| format!("{flag} N"));
        match flag.as_str() {
            "--quick" => {
                o.count = 1000;
                o.parallel = 2000;
                o.rounds = 3;
                o.iperf_rounds = 3;
                o.iperf_seconds = 2;
            }
            "--count" => o.count = number(value()?)?,
            "--warmup" => o.warmup = number(value()?)?,
            "--parallel" => o.parallel = number(value()?)?,
            "--client-fds" => o.client_fds = number(value()?)?,
            "--rounds" => o.rounds = number(value()?)?,
            "--iperf-rounds" => o.iperf_rounds = number(value()?)?,
            "--iperf-seconds" => o.iperf_seconds = number(value()?)?,
            "--compare" => o.compare = Some(super::established::compare_daemon(value()?)?),
            "--only" => o.only = Some(value()?.split(',').map(str::to_string).collect()),
            "--poll-idle" => o.poll_idle = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown option '{other}'; {USAGE}")),
        }
    }
    // Bounded so that every run's UDP source ports fit and a run stays within minutes.
    o.count = o.count.clamp(10, 20_000);
    if o.warmup == usize::MAX {
        o.warmup = o.count / 20;
    }
    o.warmup = o.warmup.min(20_000);
    o.parallel = o.parallel.clamp(THREADS, 100_000);
    // Below the usual limit of 1 024 open files, with room for the client's own.
    o.client_fds = o.client_fds.min(900);
    o.rounds = o.rounds.clamp(1, 10);
    o.iperf_rounds = o.iperf_rounds.clamp(1, 10);
    o.iperf_seconds = o.iperf_seconds.clamp(1, 60);
    Ok(o)
}

pub(crate) fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|u| u.split_whitespace().nth(1))
            == Some("0")
    })
}

// ---------------------------------------------------------------------------------------------
// The supervisor: runs the benchmark as a child and cleans up however it ends.

static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: i32) {
    // Only an atomic store: async-signal-safe.
    SIGNALLED.store(true, Ordering::SeqCst);
}

extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
}

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// `bench peer ARGS`.
pub(crate) fn supervise(args: &[String]) -> Res<()> {
    parse_options(args)?;
    if !is_root() {
        return Err("needs root (namespaces, netfilter rules, NFQUEUE, a bind mount)".into());
    }
    let host_before = opensnitch::host_fingerprint();
    remove_stale_dirs();
    let dir = PathBuf::from(format!("/tmp/{PREFIX}-{}", std::process::id()));
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    settle(PREFIX, &dir);
    for sig in [SIGHUP, SIGINT, SIGTERM] {
        // SAFETY: `on_signal` is an `extern "C" fn(i32)` that only stores to an atomic, which
        // is async-signal-safe; `signal` takes no pointers to memory of ours. Caught signals
        // are reset to the default in the children at exec.
        unsafe { signal(sig, on_signal) };
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"));
    let status = exe.and_then(|exe| {
        let mut child = Command::new(exe)
            .arg("__peer")
            .arg(&dir)
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the benchmark: {e}"))?;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return match status.signal() {
                    Some(sig) => Err(format!("the benchmark ended by signal {sig}")),
                    None => Ok(status.success()),
                };
            }
            if SIGNALLED.load(Ordering::SeqCst) {
                // A terminal's Ctrl-C reached the child too; a SIGTERM to us alone did not.
                wait_bounded(&mut child, Duration::from_secs(3));
                return Err("interrupted".to_string());
            }
            thread::sleep(Duration::from_millis(50));
        }
    });
    if !matches!(status, Ok(true)) {
        print_log_tails(&dir);
    }
    sweep();
    let removed = fs::remove_dir_all(&dir);
    let host_after = opensnitch::host_fingerprint();
    let left = leftovers(&dir);
    println!(
        "cleanup: {}; host {} {}",
        if left.is_empty() {
            format!("namespaces and {} removed", dir.display())
        } else {
            format!("LEFT BEHIND: {}", left.join(", "))
        },
        opensnitch::HOST_CONFIG,
        if host_before == host_after {
            "untouched".to_string()
        } else {
            format!("CHANGED: before [{host_before}], after [{host_after}]")
        }
    );
    if let Err(e) = removed {
        eprintln!("bench: {}: {e}", dir.display());
    }
    match status {
        Ok(true) => Ok(()),
        Ok(false) => Err("the benchmark failed (above)".into()),
        Err(e) => Err(e),
    }
}

/// Private directories of earlier runs whose supervisor is gone (killed with SIGKILL).
fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('-'))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// What is still there after the cleanup: namespaces, the directory.
fn leftovers(dir: &Path) -> Vec<String> {
    let namespaces = run("ip", &["netns", "list"]).unwrap_or_default();
    let mut left: Vec<String> = namespaces
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|ns| ns.starts_with(&format!("{PREFIX}-")))
        .map(|ns| format!("namespace {ns}"))
        .collect();
    if dir.exists() {
        left.push(dir.display().to_string());
    }
    left
}

/// The last lines of each log in the private directory, before it is removed.
fn print_log_tails(dir: &Path) {
    let logs = [
        dir.join(format!("{PREFIX}-daemon.log")),
        dir.join(format!("{PREFIX}-headless.log")),
        dir.join("opensnitch/opensnitchd.log"),
    ];
    for log in logs {
        let text = fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines
            .get(lines.len().saturating_sub(8)..)
            .unwrap_or_default();
        if !tail.is_empty() {
            eprintln!("--- last lines of {} ---", log.display());
            for line in tail {
                eprintln!("{line}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The benchmark (the supervisor's child).

/// A configuration's firewall, running in `a`.
enum Firewall {
    None,
    Reader(Baseline),
    Daemon(Daemon),
    Engine(FullStack),
    OpenSnitch(opensnitch::Running),
}

struct Ctx {
    exe: PathBuf,
    daemon: PathBuf,
    compare: Option<PathBuf>,
    headless: Option<Headless>,
    snitch: Option<OpenSnitch>,
    snitch_dir: PathBuf,
}

impl Firewall {
    fn start(config: Config, ctx: &Ctx) -> Res<Firewall> {
        Ok(match config {
            Config::None => {
                if let Some(left) = super::bare_namespace_a() {
                    println!("  (before A, namespace a still had {left}: flushed)");
                }
                Firewall::None
            }
            Config::Reader => Firewall::Reader(Baseline::start(&ctx.exe)?),
            Config::ReaderAsking => Firewall::Reader(Baseline::start_with(&ctx.exe, true)?),
            Config::Daemon => Firewall::Daemon(Daemon::start(&ctx.daemon, None)?),
            Config::DaemonCompare => {
                let other = ctx.compare.as_ref().ok_or("C' without --compare")?;
                Firewall::Daemon(Daemon::start(other, None)?)
            }
            Config::Engine => {
                let headless = ctx.headless.as_ref().ok_or("D without headless mode")?;
                Firewall::Engine(FullStack::start(&ctx.daemon, headless, &ctx.exe, false)?)
            }
            Config::EngineCompare => {
                let headless = ctx.headless.as_ref().ok_or("D' without headless mode")?;
                let other = ctx.compare.as_ref().ok_or("D' without --compare")?;
                Firewall::Engine(FullStack::start(other, headless, &ctx.exe, false)?)
            }
            Config::EngineAsked => {
                let headless = ctx.headless.as_ref().ok_or("D2 without headless mode")?;
                Firewall::Engine(FullStack::start(&ctx.daemon, headless, &ctx.exe, true)?)
            }
            Config::OpenSnitch => {
                let snitch = ctx.snitch.as_ref().ok_or("E without opensnitchd")?;
                Firewall::OpenSnitch(opensnitch::Running::start(
                    snitch,
                    &ctx.snitch_dir,
                    &ctx.exe,
                )?)
            }
        })
    }

    /// The processes whose CPU and memory count.
    fn pids(&self) -> Vec<u32> {
        match self {
            Firewall::None => Vec::new(),
            Firewall::Reader(reader) => vec![reader.child.id()],
            Firewall::Daemon(daemon) => daemon.child.iter().map(|c| c.id()).collect(),
            Firewall::Engine(stack) => stack.pids(),
            Firewall::OpenSnitch(snitch) => snitch.pids(),
        }
    }

    /// Stops it; a note on what it did.
    fn stop(self) -> String {
        match self {
            Firewall::None => String::new(),
            Firewall::Reader(reader) => match reader.stop() {
                Ok(n) => format!("  reader answered {n}"),
                Err(e) => format!("  reader: {e}"),
            },
            Firewall::Daemon(daemon) => {
                let app = daemon.stop();
                format!(
                    "  app answered {} ({} without pid)",
                    app.connections, app.unattributed
                )
            }
            Firewall::Engine(stack) => stack.stop(),
            Firewall::OpenSnitch(snitch) => snitch.stop(),
        }
    }
}

/// One latency run's numbers.
struct Sample {
    config: Config,
    tcp: ConnectStats,
    parallel: ConnectStats,
    udp: ConnectStats,
    /// CPU ms per 1 000 connections / flows (NaN without a firewall process).
    cpu_tcp: f64,
    cpu_udp: f64,
    /// The whole machine's busy CPU ms per 1 000 connections / flows (`machine_busy.rs`):
    /// clients, servers, the kernel's own threads too (NaN when it cannot be read).
    machine_tcp: f64,
    machine_udp: f64,
    /// Of the packet-filtering process alone (no engine, no UI), per 1 000 TCP connections.
    daemon_tcp: f64,
    /// Times the packet-filtering process's threads slept and were woken, per TCP connection.
    daemon_sleeps: f64,
    /// That process's CPU per 1 000 TCP connections by thread name, most first.
    daemon_threads: Vec<(String, f64)>,
    rss_mb: f64,
    /// What the firewall said it did.
    note: String,
}

/// The machine's busy CPU ms since `start` (NaN when it could not be read).
fn busy_since(start: Option<MachineBusy>) -> f64 {
    match (start, MachineBusy::read()) {
        (Some(start), Some(now)) => now.since(&start),
        _ => f64::NAN,
    }
}

/// The configurations in the order round `round` (from 1) runs them: each round starts one
/// later than the round before, so no configuration always runs first or right after another
/// (the machine drifts within a round too).
fn in_turn(configs: &[Config], round: usize) -> impl Iterator<Item = &Config> {
    let start = round.saturating_sub(1) % configs.len().max(1);
    configs.iter().cycle().skip(start).take(configs.len())
}

/// One iperf3 run.
struct Throughput {
    round: usize,
    config: Config,
    gbps: f64,
}

/// `__peer DIR ARGS`.
pub(crate) fn bench(args: &[String]) -> Res<()> {
    let dir = PathBuf::from(super::arg(args, 0)?);
    let options = parse_options(args.get(1..).unwrap_or_default())?;
    settle(PREFIX, &dir);
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let daemon = daemon_binary()?;
    let headless = Headless::locate();
    let snitch = OpenSnitch::locate();

    println!("ZenithFence beside OpenSnitch: bench peer");
    println!(
        "command: {}",
        std::iter::once(exe.to_string_lossy().into_owned())
            .chain(["peer".to_string()])
            .chain(args.iter().skip(1).cloned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "date:    {}",
        run("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"])
            .unwrap_or_default()
            .trim()
    );
    let cpu_model = fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "machine: {}, {} CPUs ({cpu_model})",
        run("uname", &["-srm"]).unwrap_or_default().trim(),
        thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "daemon:  {}{}",
        daemon.display(),
        if daemon_is_stale(&daemon) {
            "  OLDER THAN ITS SOURCES: cargo build --release -p zenithfenced --bins"
        } else {
            ""
        }
    );
    let mut configs = vec![
        Config::None,
        Config::Reader,
        Config::ReaderAsking,
        Config::Daemon,
    ];
    if let Some(other) = &options.compare {
        println!("compare: C' and D' {}", other.display());
        configs.push(Config::DaemonCompare);
    }
    match &headless {
        Ok(h) => {
            println!("engine:  {}", h.describe());
            configs.push(Config::Engine);
            if options.compare.is_some() {
                configs.push(Config::EngineCompare);
            }
            configs.push(Config::EngineAsked);
        }
        Err(reason) => println!("engine:  D and D2 skipped: {reason}"),
    }
    match &snitch {
        Ok(s) => {
            println!("peer:    {}", s.describe());
            configs.push(Config::OpenSnitch);
        }
        Err(reason) => println!("peer:    E skipped: {reason}"),
    }
    // `--only`: the method line below names the rows that run.
    if let Some(only) = &options.only {
        configs.retain(|c| only.iter().any(|letter| letter == c.letter()));
    }
    let warmup = options.count / 20;
    println!(
        "method:  per run {} sequential connect()s (+{} warm-up, SO_LINGER 0), {} connects \
         from {THREADS} threads{}, {} new UDP flows (+{warmup} warm-up), veth {IP_A} -> {IP_B}; \
         {} rounds of {} (each round starting one later); then iperf3 -t {}{}, {} rounds",
        options.count,
        options.warmup,
        options.parallel,
        if options.client_fds > 0 {
            format!(
                " of a process holding {} more descriptors",
                options.client_fds
            )
        } else {
            String::new()
        },
        options.count,
        options.rounds,
        configs
            .iter()
            .map(|c| c.letter())
            .collect::<Vec<_>>()
            .join(" "),
        options.iperf_seconds,
        if iperf_pinned() { " -A 0,1" } else { "" },
        options.iperf_rounds
    );
    // Held (when asked) until this process ends, the machine's own measurements included.
    let _polling = options
        .poll_idle
        .then(idle_states::hold_polling)
        .transpose()?;
    println!(
        "idle:    {}; the machine's CPU from {}{}",
        idle_states::describe(),
        MachineBusy::read().map_or("nowhere (not measured)", |m| m.source()),
        if options.poll_idle {
            "; --poll-idle: every CPU polls instead of sleeping (/dev/cpu_dma_latency 0), a \
             diagnostic of what waking a sleeping CPU costs here"
        } else {
            ""
        }
    );
    let _ = io::stdout().flush();
    // Before any namespace or firewall exists: what the machine itself charges.
    let machine = machine::measure()?;
    machine::print(&machine);
    let _ = io::stdout().flush();

    let ctx = Ctx {
        exe: exe.clone(),
        daemon,
        compare: options.compare.clone(),
        headless: headless.ok(),
        snitch: snitch.ok(),
        snitch_dir: dir.join("opensnitch"),
    };
    let mut net = Net::create()?;
    let exe_text = exe.to_string_lossy().into_owned();
    let server = net.keep(spawn_in(
        ns_b(),
        &exe_text,
        &["__server", &format!("{IP_B}:{CONNECT_PORT}")],
        true,
    )?)?;
    wait_ready(server, "the connect server")?;
    let runs = options.rounds * configs.len();
    let udp_ports = u16::try_from(runs).map_err(|_| "too many runs")?;
    let udp = net.keep(spawn_in(
        ns_b(),
        &exe_text,
        &[
            "__udp_server",
            IP_B,
            &UDP_PORT.to_string(),
            &udp_ports.to_string(),
        ],
        true,
    )?)?;
    wait_ready(udp, "the UDP echo server")?;
    net.keep(spawn_in(
        ns_b(),
        "iperf3",
        &["-s", "-B", IP_B, "-p", &IPERF_PORT.to_string()],
        false,
    )?)?;
    wait_port(ns_b(), IPERF_PORT)?;

    println!();
    println!("latency part");
    let mut samples = Vec::new();
    let mut run_index = 0u16;
    for round in 1..=options.rounds {
        for &config in in_turn(&configs, round) {
            let port = UDP_PORT + run_index;
            run_index += 1;
            let sample = latency_run(config, &ctx, &options, port)?;
            println!(
                "round {round} {}: TCP p50 {:.1} p99 {:.1} µs ({} errors), {:.0} conn/s ({} errors), \
                 UDP p50 {:.1} p99 {:.1} µs ({} errors), CPU {} (daemon {}) / {} ms per 1 000 \
                 (the machine {} / {}), RSS {} MB{}",
                config.letter(),
                sample.tcp.p50_us,
                sample.tcp.p99_us,
                sample.tcp.errors,
                sample.parallel.rate,
                sample.parallel.errors,
                sample.udp.p50_us,
                sample.udp.p99_us,
                sample.udp.errors,
                cell(sample.cpu_tcp, 1),
                cell(sample.daemon_tcp, 1),
                cell(sample.cpu_udp, 1),
                cell(sample.machine_tcp, 1),
                cell(sample.machine_udp, 1),
                cell(sample.rss_mb, 1),
                sample.note
            );
            if sample.daemon_threads.len() > 1 {
                println!(
                    "    its CPU by thread, ms per 1 000 TCP: {}",
                    by_thread(&sample.daemon_threads)
                );
            }
            let _ = io::stdout().flush();
            samples.push(sample);
        }
    }

    println!();
    println!("throughput part");
    let mut gbits: Vec<Throughput> = Vec::new();
    for round in 1..=options.iperf_rounds {
        for &config in in_turn(&configs, round) {
            fresh_state();
            let firewall = Firewall::start(config, &ctx)?;
            // iperf3 keeps both CPUs busy: a firewall still starting (the engine compiles and
            // opens its database after it serves) would take its share of the measurement.
            thread::sleep(Duration::from_millis(300));
            let pids = firewall.pids();
            let waited = wait_quiet(&pids, QUIET_LIMIT);
            // What the firewall's processes themselves use during the flow: with iperf3 on both
            // CPUs, that is taken from the flow as surely as a hook's cost is.
            let (cpu_start, flow_start) = (Cpu::read(&pids), std::time::Instant::now());
            let result = iperf(options.iperf_seconds);
            let cpu_during = if pids.is_empty() {
                String::new()
            } else {
                format!(
                    ", its processes {:.0} ms of CPU per s of the iperf3 run",
                    Cpu::read(&pids).since(cpu_start) / flow_start.elapsed().as_secs_f64()
                )
            };
            let note = firewall.stop();
            let _ = run("ip", &["netns", "exec", ns_a(), "nft", "flush", "ruleset"]);
            match result {
                Ok(gbps) => {
                    println!(
                        "round {round} {}: {gbps:>6.2} Gbit/s{note} (quiet {:.1} s after start{cpu_during})",
                        config.letter(),
                        waited.as_secs_f64() + 0.3
                    );
                    gbits.push(Throughput {
                        round,
                        config,
                        gbps,
                    });
                }
                Err(e) => println!(
                    "round {round} {}: iperf3 failed: {e}{note}",
                    config.letter()
                ),
            }
            let _ = io::stdout().flush();
        }
    }
    drop(net);

    report(&configs, &samples, &gbits, &options, &machine);
    Ok(())
}

/// Waits for a child's `ready` line.
fn wait_ready(child: &mut std::process::Child, what: &str) -> Res<()> {
    match lines_of(child)?.recv_timeout(Duration::from_secs(10)) {
        Ok(line) if line == "ready" => Ok(()),
        _ => Err(format!("{what} did not start")),
    }
}

/// One configuration, started afresh: sequential TCP, parallel TCP, UDP flows.
fn latency_run(config: Config, ctx: &Ctx, options: &Options, udp_port: u16) -> Res<Sample> {
    fresh_state();
    let firewall = Firewall::start(config, ctx)?;
    // Let what a start leaves running (the engine's warm-up) settle before counting CPU.
    thread::sleep(Duration::from_millis(300));
    let pids = firewall.pids();
    wait_quiet(&pids, QUIET_LIMIT);
    // The first is the process that reads the queue: the reader, zenithfenced, opensnitchd.
    let daemon_pid: Vec<u32> = pids.iter().take(1).copied().collect();
    let warmup = options.count / 20;
    let result = (|| -> Res<Sample> {
        let (cpu_start, daemon_start) = (Cpu::read(&pids), Cpu::read(&daemon_pid));
        let sleeps_start = sleeps(&daemon_pid);
        let threads_start = daemon_pid.first().map(|&p| run_time_by_thread(p));
        let machine_start = MachineBusy::read();
        let tcp = connect_run(&ctx.exe, options.count, options.warmup)?;
        let machine_tcp = busy_since(machine_start);
        let cpu_tcp = Cpu::read(&pids).since(cpu_start);
        let daemon_tcp = Cpu::read(&daemon_pid).since(daemon_start);
        let daemon_sleeps = sleeps(&daemon_pid).saturating_sub(sleeps_start);
        let daemon_threads = match (daemon_pid.first(), threads_start) {
            (Some(&p), Some(start)) => thread_time_since(&run_time_by_thread(p), &start),
            _ => Vec::new(),
        };
        let target = format!("{IP_B}:{CONNECT_PORT}");
        let limit = RUN_DEADLINE + Duration::from_secs(10);
        let parallel = client_run(
            &ctx.exe,
            &[
                "__pclient",
                &target,
                &THREADS.to_string(),
                &options.parallel.to_string(),
                &options.client_fds.to_string(),
            ],
            limit,
        )?;
        let cpu_start = Cpu::read(&pids);
        let machine_start = MachineBusy::read();
        let udp = client_run(
            &ctx.exe,
            &[
                "__udp_client",
                IP_A,
                &UDP_SOURCE_PORT.to_string(),
                &format!("{IP_B}:{udp_port}"),
                &options.count.to_string(),
                &warmup.to_string(),
            ],
            limit + Duration::from_secs(2) * (warmup as u32 + 5),
        )?;
        let machine_udp = busy_since(machine_start);
        let cpu_udp = Cpu::read(&pids).since(cpu_start);
        // Every connection made counts, the warm-up's too (the CPU was read around them all).
        let of_each_1000 = |ms: f64, s: &ConnectStats, warmup: usize| {
            ms * 1000.0 / (s.ok + s.errors + warmup as u64).max(1) as f64
        };
        // The firewall's processes: none without a firewall.
        let per_1000 = |cpu: f64, s: &ConnectStats, warmup: usize| {
            if pids.is_empty() {
                f64::NAN
            } else {
                of_each_1000(cpu, s, warmup)
            }
        };
        Ok(Sample {
            config,
            cpu_tcp: per_1000(cpu_tcp, &tcp, options.warmup),
            cpu_udp: per_1000(cpu_udp, &udp, warmup),
            machine_tcp: of_each_1000(machine_tcp, &tcp, options.warmup),
            machine_udp: of_each_1000(machine_udp, &udp, warmup),
            daemon_tcp: per_1000(daemon_tcp, &tcp, options.warmup),
            daemon_sleeps: per_1000(daemon_sleeps as f64, &tcp, options.warmup) / 1000.0,
            daemon_threads: daemon_threads
                .into_iter()
                .map(|(name, ms)| (name, per_1000(ms, &tcp, options.warmup)))
                .collect(),
            rss_mb: if pids.is_empty() {
                f64::NAN
            } else {
                rss_mb(&pids)
            },
            note: String::new(),
            tcp,
            parallel,
            udp,
        })
    })();
    let note = firewall.stop();
    // Whatever a firewall left in `a` (OpenSnitch 1.5.8 may exit with its rules in place) must
    // not reach the next configuration.
    let _ = run("ip", &["netns", "exec", ns_a(), "nft", "flush", "ruleset"]);
    result.map(|sample| Sample { note, ..sample })
}

/// `name ms, …` for the threads that ran at least 0.1 ms per 1 000 connections.
fn by_thread(threads: &[(String, f64)]) -> String {
    threads
        .iter()
        .filter(|(_, ms)| *ms >= 0.1)
        .map(|(name, ms)| format!("{name} {ms:.1}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per thread name, the median over `samples` of its CPU per 1 000 TCP connections, most first.
fn median_by_thread<'a>(samples: impl Iterator<Item = &'a Sample> + Clone) -> Vec<(String, f64)> {
    let mut names: Vec<String> = Vec::new();
    for sample in samples.clone() {
        for (name, _) in &sample.daemon_threads {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let mut medians: Vec<(String, f64)> = names
        .into_iter()
        .map(|name| {
            let value = med(samples.clone().map(|s| {
                s.daemon_threads
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(0.0, |t| t.1)
            }));
            (name, value)
        })
        .collect();
    medians.sort_by(|a, b| b.1.total_cmp(&a.1));
    medians
}

/// The median of the values that are numbers.
fn med(values: impl Iterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.filter(|v| !v.is_nan()).collect();
    median(&values)
}

/// A number for the table: "–" when there is none.
fn cell(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        "–".to_string()
    } else {
        format!("{value:.decimals$}")
    }
}

/// Medians of one configuration.
struct Row {
    config: Config,
    tcp_p50: f64,
    tcp_p99: f64,
    tcp_added: f64,
    rate: f64,
    udp_p50: f64,
    udp_p99: f64,
    udp_added: f64,
    iperf_pct: f64,
    cpu_tcp: f64,
    cpu_udp: f64,
    daemon_tcp: f64,
    daemon_sleeps: f64,
    rss: f64,
}

fn report(
    configs: &[Config],
    samples: &[Sample],
    gbits: &[Throughput],
    options: &Options,
    machine: &Machine,
) {
    let of = |config: Config, pick: fn(&Sample) -> f64| {
        med(samples.iter().filter(|s| s.config == config).map(pick))
    };
    let gbps = |config: Config| med(gbits.iter().filter(|g| g.config == config).map(|g| g.gbps));
    let none_tcp = of(Config::None, |s| s.tcp.p50_us);
    let none_udp = of(Config::None, |s| s.udp.p50_us);
    let none_gbps = gbps(Config::None);
    let rows: Vec<Row> = configs
        .iter()
        .map(|&config| Row {
            config,
            tcp_p50: of(config, |s| s.tcp.p50_us),
            tcp_p99: of(config, |s| s.tcp.p99_us),
            tcp_added: of(config, |s| s.tcp.p50_us) - none_tcp,
            rate: of(config, |s| s.parallel.rate),
            udp_p50: of(config, |s| s.udp.p50_us),
            udp_p99: of(config, |s| s.udp.p99_us),
            udp_added: of(config, |s| s.udp.p50_us) - none_udp,
            iperf_pct: 100.0 * gbps(config) / none_gbps,
            cpu_tcp: of(config, |s| s.cpu_tcp),
            cpu_udp: of(config, |s| s.cpu_udp),
            daemon_tcp: of(config, |s| s.daemon_tcp),
            daemon_sleeps: of(config, |s| s.daemon_sleeps),
            rss: of(config, |s| s.rss_mb),
        })
        .collect();
    println!();
    println!(
        "medians of {} rounds (iperf3: {} rounds, A = {} Gbit/s); latencies in µs, \"added\" = p50 \
         minus A's p50; CPU of the firewall's processes",
        options.rounds,
        options.iperf_rounds,
        cell(none_gbps, 2)
    );
    println!();
    println!(
        "| configuration | connect p50 / p99 | added | conn/s ({THREADS} parallel) | UDP first datagram \
         p50 / p99 | UDP added | iperf3 % of none | CPU ms / 1 000 TCP | of it the daemon | its wake-ups \
         / TCP conn | CPU ms / 1 000 UDP | RSS MB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} / {} | {} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} |",
            r.config.label(),
            cell(r.tcp_p50, 1),
            cell(r.tcp_p99, 1),
            cell(r.tcp_added, 1),
            cell(r.rate, 0),
            cell(r.udp_p50, 1),
            cell(r.udp_p99, 1),
            cell(r.udp_added, 1),
            cell(r.iperf_pct, 1),
            cell(r.cpu_tcp, 1),
            cell(r.daemon_tcp, 1),
            cell(r.daemon_sleeps, 2),
            cell(r.cpu_udp, 1),
            cell(r.rss, 1),
        );
    }
    let row = |config: Config| rows.iter().find(|r| r.config == config);
    for (name, base) in [
        ("OpenSnitch (E)", Config::OpenSnitch),
        ("the minimal reader (B)", Config::Reader),
    ] {
        let Some(base) = row(base) else {
            println!();
            println!("ratios to {name}: skipped, it did not run");
            continue;
        };
        println!();
        println!(
            "ratios to {name} (added latency, CPU, RSS: below 1 is better; conn/s, throughput: \
             above 1 is better)"
        );
        println!();
        println!(
            "| configuration | TCP added | conn/s | UDP added | iperf3 | CPU / 1 000 TCP | CPU / 1 000 UDP | RSS |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        for r in rows
            .iter()
            .filter(|r| r.config != Config::None && r.config != base.config)
        {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.config.label(),
                cell(r.tcp_added / base.tcp_added, 2),
                cell(r.rate / base.rate, 2),
                cell(r.udp_added / base.udp_added, 2),
                cell(r.iperf_pct / base.iperf_pct, 3),
                cell(r.cpu_tcp / base.cpu_tcp, 2),
                cell(r.cpu_udp / base.cpu_udp, 2),
                cell(r.rss / base.rss, 2),
            );
        }
    }
    goals(&rows, machine);
    goals_within_rounds(configs, samples, gbits);
    println!();
    println!("CPU of the process that reads the queue, by thread (medians, ms per 1 000 TCP)");
    for &config in configs {
        let of_config = samples.iter().filter(|s| s.config == config);
        let threads = median_by_thread(of_config);
        if threads.len() > 1 {
            println!("  {}: {}", config.letter(), by_thread(&threads));
        }
    }
    let _ = io::stdout().flush();
}

/// The goals of issue 14 that these numbers measure, with what the machine charges for the
/// wake-ups they are made of.
fn goals(rows: &[Row], machine: &Machine) {
    let get = |config: Config| rows.iter().find(|r| r.config == config);
    println!();
    println!("goals (issue 14)");
    // The goals are C's and D's (the daemon answering an app, and deciding by a rule); B2 and
    // D2 are shown beside them without one.
    let goal_of = |config: Config, text: &'static str| {
        if matches!(config, Config::ReaderAsking | Config::EngineAsked) {
            ""
        } else {
            text
        }
    };
    for config in [Config::Daemon, Config::Engine, Config::EngineAsked] {
        if let Some(r) = get(config) {
            println!(
                "  {}: established throughput {} % of none{}",
                config.letter(),
                cell(r.iperf_pct, 1),
                goal_of(config, " (goal ≥ 99 %)")
            );
        }
    }
    // The daemon alone: with the app asked each time (C, D2) and with a rule in the daemon (D).
    if let (Some(b2), Some(b)) = (get(Config::ReaderAsking), get(Config::Reader)) {
        println!(
            "  B2: the reader asking an app about every packet (one more wake-up and two more \
             system calls, no other work) uses {}× the reader's CPU per connection: the least a \
             daemon that asks an app can cost here; C uses {}× B2's",
            cell(b2.daemon_tcp / b.daemon_tcp, 2),
            get(Config::Daemon).map_or("–".into(), |c| cell(c.daemon_tcp / b2.daemon_tcp, 2))
        );
    }
    // What a wake-up costs on one CPU, when the machine could tell: the rest of the cost above
    // is the crossing between CPUs.
    let same_cpu = machine.one_cpu.map_or(String::new(), |(cpu_us, _)| {
        format!(", {cpu_us:.1} µs on one CPU")
    });
    for config in [
        Config::ReaderAsking,
        Config::Daemon,
        Config::DaemonCompare,
        Config::Engine,
        Config::EngineCompare,
        Config::EngineAsked,
    ] {
        if let (Some(c), Some(b)) = (get(config), get(Config::Reader)) {
            println!(
                "  {}: daemon CPU per new connection {}× the minimal reader's{}; its wake-ups per \
                 connection {} (the reader's {}, at {:.1} µs of CPU each here{})",
                config.letter(),
                cell(c.daemon_tcp / b.daemon_tcp, 2),
                goal_of(config, " (goal ≤ 2×)"),
                cell(c.daemon_sleeps, 2),
                cell(b.daemon_sleeps, 2),
                machine.wake_cpu_us,
                same_cpu
            );
        }
    }
    for config in [Config::Engine, Config::EngineAsked] {
        if let (Some(d), Some(e)) = (get(config), get(Config::OpenSnitch)) {
            println!(
                "  {}: TCP added latency {}× OpenSnitch's{}; new UDP flows {}×{}, CPU per 1 000 \
                 UDP flows {} vs {} ms{}",
                config.letter(),
                cell(d.tcp_added / e.tcp_added, 2),
                goal_of(config, " (goal ≤ 0.10×)"),
                cell(d.udp_added / e.udp_added, 2),
                goal_of(config, " (goal ≤ 0.5×)"),
                cell(d.cpu_udp, 1),
                cell(e.cpu_udp, 1),
                goal_of(config, " (goal: below)")
            );
        }
    }
    if let (Some(d), Some(a)) = (get(Config::EngineAsked), get(Config::None)) {
        println!(
            "  D2: full stack (daemon → app → daemon) added p50 {} µs (goal ≤ 150), p99 {} µs \
             over A's p99 (goal ≤ 400)",
            cell(d.tcp_added, 1),
            cell(d.tcp_p99 - a.tcp_p99, 1)
        );
        let one_cpu = machine.chain_one_cpu.as_ref().map_or(String::new(), |t| {
            format!("; all on one CPU p50 {:.1} µs", t.p50)
        });
        println!(
            "      (this machine, no firewall: a chain of 4 wake-ups p50 {:.1} µs, p99 {:.1} µs idle, \
             {:.1} µs beside a thread busy 0.5 ms of every 4{one_cpu})",
            machine.chain_idle.p50, machine.chain_idle.p99, machine.chain_busy.p99
        );
    }
}

/// The goals of issue 14 judged within rounds (`within_rounds.rs`): each round pairs a row with
/// its baseline measured minutes apart at most, so the machine's drift between rounds, larger
/// than most of these goals' margins, cancels out (and the order within a round turns, see
/// [`in_turn`]).
fn goals_within_rounds(configs: &[Config], samples: &[Sample], gbits: &[Throughput]) {
    // Every latency run of a round either measured or ended the benchmark, so rounds are
    // consecutive runs of all configurations.
    let rounds: Vec<&[Sample]> = samples.chunks(configs.len().max(1)).collect();
    let paired = |config: Config, base: Config, value: fn(&Sample, &Sample) -> f64| {
        per_round(&rounds, |of| Some(value(of(config)?, of(base)?)))
    };
    // Each kind of value: how its numbers are written, and its unit.
    type Shown = (fn(f64) -> String, &'static str);
    let times: Shown = (|v| format!("{v:.2}"), "×");
    let micros: Shown = (|v| format!("{v:.1}"), " µs");
    let percent: Shown = (|r| format!("{:.1}", 100.0 * r), " %");
    let line =
        |what: String, values: &[f64], (show, unit): Shown, goal: Option<(&str, f64, Better)>| {
            if values.is_empty() {
                return;
            }
            let n = values.iter().filter(|v| !v.is_nan()).count();
            let sure = interval_name(n);
            match goal {
                Some((text, bound, better)) => println!(
                    "  {what} {}, {n} rounds, {sure}({text}): {}",
                    describe(values, show, unit),
                    judge(values, bound, better)
                ),
                None => println!(
                    "  {what} {}, {n} rounds, {sure}",
                    describe(values, show, unit)
                ),
            }
        };
    println!();
    println!(
        "goals within rounds (issue 14): the median of the rounds' paired values [the interval \
         that holds it with at least 95 % confidence, or the full range when the rounds are too \
         few; its confidence after the rounds]; met or NOT met only when the whole interval is on \
         one side"
    );
    let cpu_ratio: fn(&Sample, &Sample) -> f64 = |c, b| c.daemon_tcp / b.daemon_tcp;
    // Ratios with no goal of their own: B2, the floor of a daemon that asks an app; and, with
    // `--compare`, this build against the other within each round (an A/B of a change).
    for (what, config, base) in [
        (
            "B2: daemon CPU per connection over the reader's",
            Config::ReaderAsking,
            Config::Reader,
        ),
        (
            "C: daemon CPU per connection over B2's",
            Config::Daemon,
            Config::ReaderAsking,
        ),
        (
            "C: daemon CPU per connection over C''s (the --compare build)",
            Config::Daemon,
            Config::DaemonCompare,
        ),
        (
            "D: daemon CPU per connection over D''s (the --compare build)",
            Config::Engine,
            Config::EngineCompare,
        ),
    ] {
        line(what.into(), &paired(config, base, cpu_ratio), times, None);
    }
    // The issue set the CPU goal on C (the daemon with an app answering), and D, the daemon
    // deciding by a rule, is held to it too; D2's daemon is shown beside them without a verdict.
    for config in [
        Config::Daemon,
        Config::DaemonCompare,
        Config::Engine,
        Config::EngineCompare,
        Config::EngineAsked,
    ] {
        let goal = (config != Config::EngineAsked).then_some(("goal ≤ 2×", 2.0, Better::Lower));
        line(
            format!(
                "{}: daemon CPU per connection over the reader's",
                config.letter()
            ),
            &paired(config, Config::Reader, cpu_ratio),
            times,
            goal,
        );
    }
    line(
        "D2: connect p50 added over A's".into(),
        &paired(Config::EngineAsked, Config::None, |d, a| {
            d.tcp.p50_us - a.tcp.p50_us
        }),
        micros,
        Some(("goal ≤ 150 µs", 150.0, Better::Lower)),
    );
    line(
        "D2: connect p99 over A's p99".into(),
        &paired(Config::EngineAsked, Config::None, |d, a| {
            d.tcp.p99_us - a.tcp.p99_us
        }),
        micros,
        Some(("goal ≤ 400 µs", 400.0, Better::Lower)),
    );
    // The goals against OpenSnitch are those of the full stack deciding by a rule (D); D2,
    // where the app is asked each time, is shown beside it without a verdict.
    for config in [Config::Engine, Config::EngineAsked] {
        let goal = |text, bound| (config == Config::Engine).then_some((text, bound, Better::Lower));
        // Added latency against OpenSnitch's, each over A's p50 of the same round (none when
        // OpenSnitch added nothing there: the ratio would mean nothing).
        let added = |field: fn(&Sample) -> f64| {
            per_round(&rounds, |of| {
                let none = field(of(Config::None)?);
                let peer = field(of(Config::OpenSnitch)?) - none;
                let ours = field(of(config)?) - none;
                (peer > 0.0).then(|| ours / peer)
            })
        };
        let letter = config.letter();
        line(
            format!("{letter}: TCP added latency over OpenSnitch's"),
            &added(|s| s.tcp.p50_us),
            times,
            goal("goal ≤ 0.10×", 0.10),
        );
        line(
            format!("{letter}: UDP added latency over OpenSnitch's"),
            &added(|s| s.udp.p50_us),
            times,
            goal("goal ≤ 0.5×", 0.5),
        );
        line(
            format!("{letter}: CPU per 1 000 UDP flows over OpenSnitch's"),
            &paired(config, Config::OpenSnitch, |d, e| d.cpu_udp / e.cpu_udp),
            times,
            goal("goal: below 1×", 1.0),
        );
    }
    // What the whole machine spent beyond no firewall's run of the same round: the firewall's
    // processes, and what they have the kernel do in other threads (no goal; the table's CPU
    // columns count the firewall's processes alone).
    let ms: Shown = (|v| format!("{v:.1}"), " ms");
    for &config in configs.iter().filter(|&&c| c != Config::None) {
        let letter = config.letter();
        line(
            format!("{letter}: the machine's CPU per 1 000 TCP connections over A's"),
            &paired(config, Config::None, |c, a| c.machine_tcp - a.machine_tcp),
            ms,
            None,
        );
        line(
            format!("{letter}: the machine's CPU per 1 000 UDP flows over A's"),
            &paired(config, Config::None, |c, a| c.machine_udp - a.machine_udp),
            ms,
            None,
        );
    }
    // With `--compare`: the machine's CPU of this build over the other's, within rounds.
    for (config, other) in [
        (Config::Daemon, Config::DaemonCompare),
        (Config::Engine, Config::EngineCompare),
    ] {
        let (letter, other_letter) = (config.letter(), other.letter());
        line(
            format!("{letter}: the machine's CPU per 1 000 TCP connections over {other_letter}'s"),
            &paired(config, other, |c, o| c.machine_tcp - o.machine_tcp),
            ms,
            None,
        );
        line(
            format!("{letter}: the machine's CPU per 1 000 UDP flows over {other_letter}'s"),
            &paired(config, other, |c, o| c.machine_udp - o.machine_udp),
            ms,
            None,
        );
    }
    let iperf_rounds: Vec<usize> = {
        let mut r: Vec<usize> = gbits.iter().map(|g| g.round).collect();
        r.dedup();
        r
    };
    for config in [Config::Daemon, Config::Engine] {
        let ratios: Vec<f64> = iperf_rounds
            .iter()
            .filter_map(|&round| {
                let of = |c: Config| gbits.iter().find(|g| g.round == round && g.config == c);
                Some(of(config)?.gbps / of(Config::None)?.gbps)
            })
            .collect();
        line(
            format!("{}: established throughput over A's", config.letter()),
            &ratios,
            percent,
            Some(("goal ≥ 99 %", 0.99, Better::Higher)),
        );
    }
}

/// One value per round from that round's samples (`of` finds a configuration's); a round where
/// one is missing gives none.
fn per_round<'a>(
    rounds: &[&'a [Sample]],
    value: impl Fn(&dyn Fn(Config) -> Option<&'a Sample>) -> Option<f64>,
) -> Vec<f64> {
    rounds
        .iter()
        .filter_map(|round| value(&|c: Config| round.iter().find(|s| s.config == c)))
        .collect()
}
