//! Start-up and shut-down: take the namespace's instance lock and the client socket path's
//! lock, read the stored policy, sweep leftovers, install the rules, bind the queue and the
//! client socket, run the threads until SIGINT or SIGTERM, then answer every held packet and
//! remove everything we installed.
//!
//! A stopping daemon cannot hang: if the orderly shutdown has not finished [`STOP_BOUND`] after
//! the signal, a watchdog removes the rules itself and ends the process with an error.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

use zenithfence_core::bandwidth::RunningTotals;

use crate::builtin_chains;
use crate::carried_totals;
use crate::cli::Options;
use crate::client::ClientServer;
use crate::connect_owners::ConnectOwners;
use crate::conntrack::{self, EventListener};
use crate::daemon::{candidate_keys, spawn, Daemon, EndBytes, PolicySetup};
use crate::dns_watch::DnsWatch;
use crate::engine::EngineOptions;
use crate::instance::{self, InstanceLock, LOCK_DIR};
use crate::last_drain::LastDrain;
use crate::log::{Log, Severity};
use crate::network_watch::NetworkWatch;
use crate::nflog::NflogGroup;
use crate::nfqueue::Queue;
use crate::nft_netlink::QueueExpression;
use crate::notify::{Notifier, READY_BOUND, STOPPING_BOUND};
use crate::policy_file::{self, Stored};
use crate::resolvers::{Resolvers, RESOLVED_UPSTREAMS, RESOLV_CONF};
use crate::rule_table::{RuleTable, TableWriter};
use crate::rules::{self, Family, RuleConfig};
use crate::rules_watch::RulesWatch;
use crate::sock_diag::DestroyListener;
use crate::socket_lock;
use crate::sys;
use crate::tcp_ends::{TcpEnds, TCP_ENDS_ROOM};
use crate::watchdog::{run_bounded, wait_until, Watchdog};

/// Held packets in the kernel queue at most (the kernel drops new ones beyond; TCP retries).
const KERNEL_QUEUE_LEN: u32 = 4096;
/// Bytes of each held packet copied to us: the IP and transport headers with options.
const COPY_RANGE: u32 = 256;
const ACCT_SYSCTL: &str = "/proc/sys/net/netfilter/nf_conntrack_acct";
/// How long the orderly shutdown may take (it takes well under a second).
const STOP_BOUND: Duration = Duration::from_secs(5);
/// How long the stop waits for the last drain of the TCP ends (a drain takes milliseconds).
const LAST_DRAIN_BOUND: Duration = Duration::from_millis(500);
/// How long the stop waits for the client's writer to send what is queued.
const CLIENT_FLUSH_BOUND: Duration = Duration::from_secs(1);
/// How long the watchdog waits for the rules to go before it exits anyway (once the process is
/// gone, `--queue-bypass` lets through whatever the rules still queue).
const RULES_BOUND: Duration = Duration::from_secs(3);

/// Runs the daemon until a termination signal; returns an error for a failed start.
pub(crate) fn run(options: Options) -> io::Result<()> {
    sys::block_termination_signals()?;
    if sys::effective_uid() != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "zenithfenced needs root (it installs netfilter rules and reads NFQUEUE)",
        ));
    }
    // Before anything is touched: a second daemon in this namespace must change nothing.
    let instance = InstanceLock::acquire(Path::new(LOCK_DIR))?;
    // Also before anything is touched: a daemon in another namespace may have been given the
    // same socket path, and unlinking its socket would cut its app off for good.
    let socket_path_lock = socket_lock::acquire(&options.socket)?;
    let log = Arc::new(Log::new(options.log_level));
    // systemd's Type=notify: told once the rules and the socket are in place (see `serve`).
    let notifier = match Notifier::from_env() {
        Some(Ok(notifier)) => Some(notifier),
        Some(Err(e)) => {
            log.write(
                Severity::Warning,
                format!("cannot notify systemd of readiness: {e}"),
            );
            None
        }
        None => None,
    };
    // Before the queue rules exist: the first packet they queue meets the stored policy.
    let policy = PolicySetup {
        stored: stored_policy(&options, &log),
        file: options.policy_file.clone(),
    };
    // Leftovers of a daemon that was killed: nothing else removed them. Our tables, then what
    // an older version left in iptables-nft's tables (both families: its rules would queue to
    // us), then the built-in chains it made for them, now that the sweep emptied them.
    rules::remove_leftover_tables();
    for family in [Family::V4, Family::V6] {
        rules::remove_legacy(family);
    }
    if let Ok(path) = instance::chains_record_path(Path::new(LOCK_DIR)) {
        if let Some(made) = builtin_chains::Made::recorded(&path) {
            remove_made(&made, &path, &log);
        }
    }
    let queue = Queue::bind(options.queue, KERNEL_QUEUE_LEN, COPY_RANGE)?;
    let dns_group = options.queue.wrapping_add(1).max(1);
    let dns = match NflogGroup::bind(dns_group) {
        Ok(group) => {
            let resolvers = Resolvers::new(
                RESOLV_CONF.into(),
                RESOLVED_UPSTREAMS.into(),
                options.dns_resolvers.clone(),
            );
            Some(DnsWatch::new(group, resolvers, &log))
        }
        Err(e) => {
            log.write(
                Severity::Warning,
                format!("no DNS names (NFLOG group {dns_group}): {e}"),
            );
            None
        }
    };
    // Its own read of the resolver files: it needs only the DNS suffix, and works without NFLOG.
    let network = NetworkWatch::open(Resolvers::new(
        RESOLV_CONF.into(),
        RESOLVED_UPSTREAMS.into(),
        Vec::new(),
    ))
    .map_err(|e| log.write(Severity::Warning, format!("no network facts: {e}")))
    .ok();
    // Before the queue rules, so the first connections held are of sockets it saw connect.
    let owners = connect_owners(&options, &log);
    // Before any connection is held: one made before the source existed would never end.
    let tcp_ends = tcp_end_source(options.bpf, &log);
    let old_acct = conntrack::set_sysctl(ACCT_SYSCTL, "1")
        .map_err(|e| {
            log.write(
                Severity::Warning,
                format!("no conntrack byte accounting: {e}"),
            )
        })
        .ok()
        .flatten();
    let config = RuleConfig {
        queue: options.queue,
        dns_log_group: dns.as_ref().map(|_| dns_group),
        ipv6: options.ipv6,
    };
    let table = RuleTable::install(config, options.table_owner);
    let table = match table {
        Ok(table) => table,
        Err(e) => {
            if let Some(old) = old_acct {
                let _ = conntrack::set_sysctl(ACCT_SYSCTL, old.trim());
            }
            return Err(e);
        }
    };
    match &table.unowned_because {
        None => log.write(
            Severity::Info,
            "rules: the table is owned by the daemon (no other program can change or remove it; it goes with the daemon)".into(),
        ),
        Some(why) => log.write(
            if options.table_owner {
                Severity::Warning
            } else {
                Severity::Info
            },
            format!("rules: the table is not owned ({why}): other programs can change or remove it, and the daemon puts back what goes"),
        ),
    }
    log.write(
        Severity::Info,
        match table.queue_expression {
            QueueExpression::Native => "rules: new connections are queued by nft's queue",
            QueueExpression::Compat => {
                "rules: new connections are queued by the xtables NFQUEUE target (this kernel has no nft queue)"
            }
        }
        .into(),
    );
    // Flows allowed by an earlier run bypass the queue through their conntrack mark; forget
    // them so they are decided again under the current rules. After the install: until the
    // queue rules were in, the verdicts' chains would save an allow bit from any new packet
    // that carried it (a socket's own SO_MARK), which the queue now replaces first.
    if let Err(e) = conntrack::Conntrack::open()
        .and_then(|mut ct| ct.delete_by_mark(rules::MARK_ALLOW, rules::MARK_VERDICT_MASK))
    {
        log.write(
            Severity::Warning,
            format!("could not forget earlier allowed flows: {e}"),
        );
    }
    let writer = table.writer();
    // Another program's `nft flush ruleset` would leave new connections unasked: put back. An
    // owned table cannot be touched by another program.
    let watch = if writer.owned() {
        None
    } else {
        RulesWatch::start(Arc::clone(&writer), config, Arc::clone(&log))
            .map_err(|e| {
                log.write(
                    Severity::Error,
                    format!("cannot watch the rule table (should another program remove it, new connections pass unasked): {e}"),
                )
            })
            .ok()
    };
    // On the way out the queue rules go while the packet thread still runs, so every packet
    // queued until then is answered by the daemon rather than dropped with its socket; the
    // table, which applies the verdicts, goes once that thread has ended (after `serve`). The
    // watch ends first, so it puts nothing back.
    let remove_rules = || {
        if let Some(watch) = watch {
            watch.stop();
        }
        if let Err(e) = writer.stop_queueing() {
            log.write(
                Severity::Error,
                format!("cannot remove the queue rules: {e}"),
            );
        }
    };
    // Armed by `serve` at the signal, and kept until the very end: the last log lines could
    // block on stderr too.
    let mut watchdog = None;
    let result = serve(
        &options,
        Started {
            queue,
            dns,
            network,
            owners,
            tcp_ends,
            policy,
            notifier,
        },
        &log,
        &writer,
        &mut watchdog,
        remove_rules,
    );
    // Every thread has ended: nothing of ours is answered any more.
    drop(table);
    let _ = result
        .as_ref()
        .map_err(|e| log.write(Severity::Error, e.to_string()));
    if let Some(old) = old_acct {
        let _ = conntrack::set_sysctl(ACCT_SYSCTL, old.trim());
    }
    log.write(Severity::Info, "stopped; rules removed".into());
    log.flush();
    // After the socket file is gone (`serve` removed it).
    drop(socket_path_lock);
    drop(instance);
    drop(watchdog);
    result
}

/// Removes the built-in chains and tables of `made` (an older version's) that hold nothing,
/// then the record.
fn remove_made(made: &builtin_chains::Made, record: &Path, log: &Log) {
    if let Err(e) = made.remove() {
        log.write(
            Severity::Warning,
            format!("cannot remove the built-in chains made for our rules: {e}"),
        );
    }
    if let Err(e) = builtin_chains::forget_record(record) {
        log.write(
            Severity::Warning,
            format!("cannot remove {}: {e}", record.display()),
        );
    }
}

/// The watchdog's way out when the orderly shutdown is stuck: take the queue rules away
/// (nothing is queued to a daemon that no longer answers), say so, and end the process. Held
/// packets are dropped by the kernel with the queue's socket; TCP sends them again. The rest
/// of the table stays while a thread may still answer (its block verdict must not let the
/// packet through, and the table acts on nothing but our marks): an owned table goes with the
/// process, an unowned one at the next start.
fn stuck_shutdown(writer: Arc<TableWriter>) {
    // The watch must not put back what this takes away; it may be stuck itself.
    crate::rules_watch::halt();
    let owned = writer.owned();
    let done = Arc::new(AtomicBool::new(false));
    let done_ref = Arc::clone(&done);
    // A thread stuck with the table's socket is not waited for.
    let finished = run_bounded(RULES_BOUND, move || {
        let stopped = writer.try_stop_queueing();
        done_ref.store(matches!(stopped, Some(Ok(()))), Ordering::SeqCst)
    });
    let removed = finished && done.load(Ordering::SeqCst);
    let text = format!(
        "error: the orderly shutdown did not finish within {} s; {}; exiting",
        STOP_BOUND.as_secs(),
        match (removed, owned) {
            (true, true) => "queue rules removed (the rest of the table goes with the process)",
            (true, false) => "queue rules removed (the rest of the table goes at the next start)",
            (false, true) => "the queue rules could not be removed (the table goes with the process)",
            (false, false) => "the queue rules could not be removed (once the process is gone, --queue-bypass lets through what they queue)",
        }
    );
    // A blocked stderr must not keep the process alive either.
    run_bounded(Duration::from_millis(500), move || {
        crate::log::eprint_line(Severity::Error, &text)
    });
    std::process::exit(1);
}

/// The stored policy, checked; one log line says what became of it. A file that cannot be used
/// is never applied in part: the daemon runs without a policy.
fn stored_policy(
    options: &Options,
    log: &Log,
) -> Option<Box<zenithfence_core::policy::PreparedPolicy>> {
    let detached = format!("{:?}", options.detached_action).to_lowercase();
    match policy_file::load(&options.policy_file) {
        Stored::Loaded(prepared) => {
            log.write(
                Severity::Info,
                format!(
                    "stored policy generation {} in force: {}, from {}",
                    prepared.generation(),
                    prepared.contents(),
                    options.policy_file.display()
                ),
            );
            Some(prepared)
        }
        Stored::Missing => {
            log.write(
                Severity::Info,
                format!(
                    "no stored policy ({} does not exist): new connections no app decides get --detached {detached}",
                    options.policy_file.display()
                ),
            );
            None
        }
        Stored::Unusable(reason) => {
            log.write(
                Severity::Error,
                format!("{reason}: running without a policy, new connections no app decides get --detached {detached}"),
            );
            None
        }
    }
}

/// The kernel's record of which process connected each socket (`connect_owners.rs`), unless
/// `--no-bpf`; one log line says which way processes are found.
fn connect_owners(options: &Options, log: &Log) -> Option<ConnectOwners> {
    if !options.bpf {
        log.write(
            Severity::Info,
            "processes are looked for in /proc only (--no-bpf)".into(),
        );
        return None;
    }
    match ConnectOwners::attach() {
        Ok(owners) => {
            log.write(
                Severity::Info,
                "processes are named by the kernel's record of each connect (BPF)".into(),
            );
            // Each costs speed only: connections are then found with sock_diag first, or
            // processes checked through /proc at each connection.
            for missing in owners.missing() {
                log.write(Severity::Warning, format!("BPF: {missing}"));
            }
            Some(owners)
        }
        Err(e) => {
            log.write(
                Severity::Warning,
                format!("processes are looked for in /proc only, no BPF record of connects: {e}"),
            );
            None
        }
    }
}

/// The byte counts the last run of this namespace recorded at its stop (`carried_totals.rs`);
/// none, said once, when they cannot be read.
fn take_carried_totals(log: &Log) -> Vec<RunningTotals> {
    let taken = instance::totals_record_path(Path::new(LOCK_DIR)).and_then(|path| {
        let origin = carried_totals::Origin::here()?;
        carried_totals::take(&path, &origin)
    });
    if let Err(e) = carried_totals::remove_stale(Path::new(LOCK_DIR), carried_totals::STALE_AFTER) {
        log.write(
            Severity::Warning,
            format!("stale byte-count records in {LOCK_DIR} were not removed: {e}"),
        );
    }
    match taken {
        Ok(totals) => {
            if !totals.is_empty() {
                log.write(
                    Severity::Info,
                    format!(
                        "byte counts carried from the last run: {} TCP connection(s)",
                        totals.len()
                    ),
                );
            }
            totals
        }
        Err(e) => {
            log.write(
                Severity::Warning,
                format!("the last run's byte counts were not read (connections it counted are counted from what their peer acknowledged): {e}"),
            );
            Vec::new()
        }
    }
}

/// Records the running byte counts for the next run (`carried_totals.rs`); a failure is said,
/// and costs the next run only the exactness of those counts.
fn save_carried_totals(daemon: &Daemon, log: &Log) {
    let totals = daemon.reported_tcp_totals();
    if totals.is_empty() {
        return;
    }
    let saved = instance::totals_record_path(Path::new(LOCK_DIR)).and_then(|path| {
        let origin = carried_totals::Origin::here()?;
        carried_totals::save(&path, &origin, totals.into_iter())
    });
    if let Err(e) = saved {
        log.write(
            Severity::Warning,
            format!("the byte counts were not recorded for the next run: {e}"),
        );
    }
}

/// What `run` prepared for `serve`.
struct Started {
    queue: Queue,
    dns: Option<DnsWatch>,
    network: Option<NetworkWatch>,
    owners: Option<ConnectOwners>,
    tcp_ends: TcpEndSource,
    policy: PolicySetup,
    notifier: Option<Notifier>,
}

/// Sends `state` to systemd, when it asked for notifications; a failure is logged, never fatal.
fn notify(notifier: Option<&Notifier>, state: &str, bound: Duration, log: &Log) {
    if let Some(Err(e)) = notifier.map(|n| n.send(state, bound)) {
        log.write(
            Severity::Warning,
            format!("could not tell systemd {state}: {e}"),
        );
    }
}

fn serve(
    options: &Options,
    started: Started,
    log: &Arc<Log>,
    table: &Arc<TableWriter>,
    watchdog: &mut Option<Watchdog>,
    remove_rules: impl FnOnce(),
) -> io::Result<()> {
    let engine_options = EngineOptions {
        hold_timeout_ms: options.hold_timeout.as_millis() as u64,
        default_action: options.default_action,
        detached_action: options.detached_action,
        base_only: options.base_only,
    };
    let Started {
        queue,
        dns,
        network,
        owners,
        tcp_ends,
        policy,
        notifier,
    } = started;
    let started = queue.verdict_sender().and_then(|verdicts| {
        let server = ClientServer::bind(&options.socket, options.group.as_deref())?;
        Ok((verdicts, server))
    });
    let (verdicts, server) = match started {
        Ok(started) => started,
        Err(e) => {
            remove_rules();
            return Err(e);
        }
    };
    let (bandwidth_requests, bandwidth_pending) = std::sync::mpsc::sync_channel(1);
    let daemon = Arc::new(Daemon::new(
        engine_options,
        verdicts,
        Arc::clone(log),
        bandwidth_requests,
        policy,
    ));
    if matches!(tcp_ends, TcpEndSource::Bpf(_)) {
        daemon.watch_mid_stream_tcp();
    }
    // Before the packet thread holds any connection again part-way.
    let carried = take_carried_totals(log);
    daemon.carry_totals(carried);
    let server = Arc::new(server);
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    // A thread that cannot start ends the daemon, through the same orderly stop as a signal:
    // the packet thread may already answer packets, and the rule table (removed by `run`
    // once this returns) must outlive it.
    let spawned: io::Result<()> = 'spawn: {
        let (daemon_ref, stop_ref) = (Arc::clone(&daemon), Arc::clone(&stop));
        match spawn("packets", move || {
            daemon_ref.run_packets(queue, dns, network, owners, &stop_ref)
        }) {
            Ok(thread) => threads.push(thread),
            Err(e) => break 'spawn Err(e),
        }
        let (daemon_ref, stop_ref) = (Arc::clone(&daemon), Arc::clone(&stop));
        match spawn("bandwidth", move || {
            daemon_ref.run_bandwidth(bandwidth_pending, &stop_ref)
        }) {
            Ok(thread) => threads.push(thread),
            Err(e) => break 'spawn Err(e),
        }
        let (daemon_ref, stop_ref, server_ref) =
            (Arc::clone(&daemon), Arc::clone(&stop), Arc::clone(&server));
        match spawn("client", move || server_ref.serve(&daemon_ref, &stop_ref)) {
            Ok(thread) => threads.push(thread),
            Err(e) => break 'spawn Err(e),
        }
        Ok(())
    };
    let last_drain = Arc::new(LastDrain::default());
    let mut drainer = None;
    let reason = match &spawned {
        Ok(()) => {
            drainer = start_flow_monitors(&daemon, &stop, &mut threads, tcp_ends, &last_drain);
            log.write(
                Severity::Info,
                format!(
                    "running: queue {}, socket {}",
                    options.queue,
                    options.socket.display()
                ),
            );
            // The queue rules are installed (`run`), the client socket listens and every
            // thread runs: units ordered after us, and a `systemctl start` that waits, may now
            // rely on the firewall.
            notify(notifier.as_ref(), "READY=1", READY_BOUND, log);
            match sys::wait_for_termination() {
                Ok(signal) => format!("signal {signal}"),
                Err(e) => format!("waiting for signals failed ({e})"),
            }
        }
        Err(e) => format!("a thread could not start ({e})"),
    };
    // The watchdog first: nothing after the signal, telling systemd included, may keep the
    // daemon from ending within STOP_BOUND.
    let table = Arc::clone(table);
    *watchdog = Some(Watchdog::arm(STOP_BOUND, move || stuck_shutdown(table)));
    notify(notifier.as_ref(), "STOPPING=1", STOPPING_BOUND, log);
    log.write(Severity::Info, format!("{reason}: stopping"));
    // What the client has not heard yet goes out before it is detached: the TCP ends noted
    // since the last drain, then the bytes counted since its last byte request (the ends'
    // final counts among them). A drain that does not come within its bound is not waited for.
    if let Some(drainer) = &drainer {
        if !last_drain.ask_and_wait(drainer, LAST_DRAIN_BOUND) {
            log.write(
                Severity::Warning,
                "the last TCP ends were not taken in time: their connections were not reported ended".into(),
            );
        }
    }
    daemon.last_byte_report();
    // Answer what is held first (the packet thread keeps answering new packets with the
    // detached policy), then take the rules away, then stop the threads.
    daemon.shutdown();
    remove_rules();
    stop.store(true, Ordering::SeqCst);
    // The accept loop also wakes by itself (a receive timeout), should this connect fail.
    server.wake();
    // A thread that waits parked (`tcp-ends`) sees the stop at once.
    for thread in &threads {
        thread.thread().unpark();
    }
    for thread in threads {
        let _ = thread.join();
    }
    // Nothing is counted any more: the next run counts on from here.
    save_carried_totals(&daemon, log);
    // The client's writer sends what was queued (the last ends and bytes among it), then ends
    // its stream; the process must not end before. A client that does not read is not waited
    // for past the bound.
    wait_until(CLIENT_FLUSH_BOUND, Duration::from_millis(5), || {
        daemon.client_out().flushed()
    });
    server.remove();
    spawned
}

/// TCP ends from sock_diag destroy notifications (with final byte counts), UDP ends from
/// conntrack destroy events.
/// How long an end listener waits for an event before it looks at the stop flag.
const END_WAIT: Duration = Duration::from_millis(200);
/// After handling ends, an end listener lets the next ones gather this long before it reads
/// again: under load (thousands of connections a second) one wake-up then takes a whole batch
/// instead of one end each, which was 14 % of the daemon's CPU in the connection benchmark. An
/// end that comes alone is handled at once; ends following it wait at most this long. A new
/// connection does not wait for its predecessor's end: the ends only close what was decided.
const END_GATHER: Duration = Duration::from_millis(10);

/// Starts the end listeners; returns the thread that drains the BPF program's ends, which
/// answers `last_drain` at the stop (the destroy events need no such drain: each is read as it
/// comes).
fn start_flow_monitors(
    daemon: &Arc<Daemon>,
    stop: &Arc<AtomicBool>,
    threads: &mut Vec<std::thread::JoinHandle<()>>,
    tcp_ends: TcpEndSource,
    last_drain: &Arc<LastDrain>,
) -> Option<Thread> {
    let (daemon_ref, stop_ref) = (Arc::clone(daemon), Arc::clone(stop));
    let mut drainer = None;
    let spawned = match tcp_ends {
        TcpEndSource::Bpf(ends) => {
            let last = Arc::clone(last_drain);
            let thread = spawn("tcp-ends", move || {
                drain_tcp_ends(ends, &daemon_ref, &stop_ref, &last)
            });
            drainer = thread.as_ref().ok().map(|t| t.thread().clone());
            thread.map(Some)
        }
        TcpEndSource::Destroy(listener) => spawn("tcp-ends", move || {
            read_destroy_events(listener, &daemon_ref, &stop_ref)
        })
        .map(Some),
        TcpEndSource::Missing => Ok(None),
    };
    match spawned {
        Ok(Some(thread)) => threads.push(thread),
        Ok(None) => {}
        Err(e) => daemon.log(Severity::Warning, format!("no TCP connection ends: {e}")),
    }
    start_udp_ends(daemon, stop, threads);
    drainer
}

/// Where the daemon learns of TCP connection ends, with their final byte counts.
enum TcpEndSource {
    /// The kernel's TCP state changes, noted by a BPF program (`tcp_ends.rs`).
    Bpf(TcpEnds),
    /// The kernel's socket-destroy events (without BPF).
    Destroy(DestroyListener),
    /// Neither could be had: connections are forgotten when idle.
    Missing,
}

/// The BPF source of TCP ends unless `--no-bpf` or it cannot be attached, else the destroy
/// events; one log line says which.
fn tcp_end_source(bpf: bool, log: &Log) -> TcpEndSource {
    let why_not_bpf = if bpf {
        match TcpEnds::attach() {
            Ok(ends) => {
                log.write(
                    Severity::Info,
                    "TCP connection ends from the kernel's TCP state changes (BPF)".into(),
                );
                return TcpEndSource::Bpf(ends);
            }
            Err(e) => format!("no BPF state changes: {e}"),
        }
    } else {
        "--no-bpf".into()
    };
    match DestroyListener::open() {
        Ok(listener) => {
            log.write(
                Severity::Info,
                format!("TCP connection ends from socket-destroy events ({why_not_bpf})"),
            );
            TcpEndSource::Destroy(listener)
        }
        Err(e) => {
            log.write(
                Severity::Warning,
                format!("no TCP connection ends ({why_not_bpf}; socket-destroy events: {e})"),
            );
            TcpEndSource::Missing
        }
    }
}

/// How often the `tcp-ends` thread takes the ends the BPF program noted while ends come: an
/// end reaches the app at most this late then.
const BPF_END_POLL: Duration = Duration::from_millis(100);
/// After drains that found nothing the wait doubles up to this: an idle daemon woke ten times
/// a second for nothing, 0.07 % of one CPU here (`bench idle`, session 28), and the first end
/// after a quiet spell is at most this late. Short enough that the map (16 384 ends) holds
/// what 40 000 ends a second leave in it, far more than this machine makes. The stop wakes the
/// thread at once.
const BPF_END_POLL_IDLE: Duration = Duration::from_millis(400);
/// The most ends one drain takes (the map's size): a flood is spread over drains.
const BPF_ENDS_PER_DRAIN: usize = TCP_ENDS_ROOM as usize;
/// A drain that took this many found the map close enough to full that the kernel may have
/// dropped entries (an LRU map starts evicting before it is full).
const TCP_ENDS_NEARLY_FULL: usize = TCP_ENDS_ROOM as usize * 3 / 4;

/// The `tcp-ends` thread with the BPF source: a drain of the noted ends every `BPF_END_POLL`,
/// their infos written in one go, and one more when the stop asks (`last_drain`).
fn drain_tcp_ends(mut ends: TcpEnds, daemon: &Daemon, stop: &AtomicBool, last_drain: &LastDrain) {
    let mut last_overflow: Option<Instant> = None;
    let mut last_error: Option<Instant> = None;
    let mut wait = BPF_END_POLL;
    while !stop.load(Ordering::SeqCst) {
        std::thread::park_timeout(wait);
        if stop.load(Ordering::SeqCst) {
            // Unparked by the stop, after the last drain it asked for (or its bound).
            return;
        }
        // Read before the drain: ends noted after the request are in it.
        let last = last_drain.asked();
        match ends.drain(BPF_ENDS_PER_DRAIN) {
            Ok(taken) if taken.is_empty() => wait = (wait * 2).min(BPF_END_POLL_IDLE),
            Ok(mut taken) => {
                wait = BPF_END_POLL;
                // In the order they happened: of two connections on the same addresses whose
                // ends are in one drain, the client hears of the older end first.
                taken.sort_unstable_by_key(|end| end.closed_ns);
                // The map drops its oldest entries when full, and says nothing: a drain that
                // found it nearly full may have missed some (the liveness check ends those
                // still cached within minutes, `flow_liveness.rs`). One line a minute at most.
                if taken.len() >= TCP_ENDS_NEARLY_FULL
                    && last_overflow.is_none_or(|at| at.elapsed() >= Duration::from_secs(60))
                {
                    last_overflow = Some(Instant::now());
                    daemon.log(
                        Severity::Warning,
                        format!(
                            "{} TCP ends within {} ms nearly filled the BPF map: some may have been lost",
                            taken.len(),
                            BPF_END_POLL.as_millis()
                        ),
                    );
                }
                daemon.batch_infos(|| {
                    for end in &taken {
                        daemon.flow_ended(
                            &[end.key],
                            Some(end.cookie),
                            EndBytes::Acknowledged(end.acked, end.received),
                        );
                    }
                });
            }
            Err(e) => {
                // A map the kernel keeps refusing is tried at the idle pace and logged once a
                // minute, not ten times a second.
                wait = BPF_END_POLL_IDLE;
                if last_error.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                    last_error = Some(Instant::now());
                    daemon.log(
                        Severity::Warning,
                        format!("TCP ends: {e} (logged at most once a minute)"),
                    );
                }
            }
        }
        if last {
            // The last one: a drain after the stop's last byte report would report ends whose
            // final bytes no report carries any more.
            last_drain.done();
            return;
        }
    }
}

/// The `tcp-ends` thread without BPF: the kernel's socket-destroy events.
fn read_destroy_events(mut listener: DestroyListener, daemon: &Daemon, stop: &AtomicBool) {
    read_end_events(
        "TCP",
        || {
            let lost = listener.overruns();
            let received = listener.recv_burst(END_WAIT);
            (received, listener.overruns() > lost)
        },
        |sockets| {
            for socket in sockets.iter().filter(|s| s.key.protocol == 6) {
                let bytes = socket.tcp.map_or(EndBytes::Unknown, |t| {
                    EndBytes::Counted(
                        t.bytes_sent.saturating_sub(t.bytes_retrans),
                        t.bytes_received,
                    )
                });
                daemon.flow_ended(&[socket.key], Some(socket.cookie), bytes);
            }
        },
        daemon,
        stop,
    );
}

/// The loop of a thread that reads ends from kernel events: `receive` gives one burst and
/// whether some were lost to a full buffer, `handle` writes their infos (in one go); then the
/// next ones gather for `END_GATHER`.
fn read_end_events<T>(
    what: &str,
    mut receive: impl FnMut() -> (io::Result<Vec<T>>, bool),
    handle: impl Fn(&[T]),
    daemon: &Daemon,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::SeqCst) {
        let (received, lost) = receive();
        if lost {
            daemon.log(
                Severity::Warning,
                format!("{what} end events were lost (buffer full)"),
            );
        }
        match received {
            Ok(events) if events.is_empty() => {}
            Ok(events) => {
                daemon.batch_infos(|| handle(&events));
                std::thread::sleep(END_GATHER);
            }
            Err(e) => daemon.log(Severity::Warning, format!("{what} ends: {e}")),
        }
    }
}

/// The `udp-ends` thread: UDP ends from conntrack's destroy events.
fn start_udp_ends(
    daemon: &Arc<Daemon>,
    stop: &Arc<AtomicBool>,
    threads: &mut Vec<std::thread::JoinHandle<()>>,
) {
    match EventListener::open() {
        Ok(mut listener) => {
            let (daemon, stop) = (Arc::clone(daemon), Arc::clone(stop));
            let spawned = spawn("udp-ends", move || {
                read_end_events(
                    "UDP",
                    || {
                        let lost = listener.overruns();
                        let received = listener.recv_burst(END_WAIT);
                        (received, listener.overruns() > lost)
                    },
                    |entries| {
                        for entry in entries.iter().filter(|e| e.key_orig.protocol == 17) {
                            daemon.flow_ended(
                                &candidate_keys(&entry.key_orig),
                                None,
                                EndBytes::Unknown,
                            );
                        }
                    },
                    &daemon,
                    &stop,
                )
            });
            threads.extend(spawned.ok());
        }
        Err(e) => daemon.log(Severity::Warning, format!("no UDP connection ends: {e}")),
    }
}
