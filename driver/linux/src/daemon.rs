//! Wiring: the shared state of the running daemon and its threads (held packets, flow ends,
//! the client). The decisions themselves are in `engine.rs`.
//!
//! # Locks
//!
//! Every lock of the daemon, in the one order in which they may be taken: a thread holding a
//! lock may take only locks further down the list, never one above it. (The ranked mutexes of
//! `locks.rs` check this at every lock in debug builds, which the tests run.)
//!
//! 0. `reports` (one recording of the kernel's running totals at a time): held by a byte report
//!    and by the look at flows first held mid-stream for their whole run, so that two readings
//!    are recorded in the order they were read (an older reading recorded after a newer one
//!    looks like a counter that went back, and its whole total would be counted again). Taken by
//!    the byte-count thread, and once by the stop for the last byte report.
//! 1. `kernel` (the sock_diag and conntrack request sockets): held for a dump or a delete,
//!    which take milliseconds with many sockets and flows. Since it comes first, no dump or
//!    delete can run under any other lock.
//! 2. `engine` (the decision state): the packet thread takes it for every packet, so it is held
//!    only for work in memory. Whoever needs a dump's results under it dumps first and filters
//!    under it afterwards.
//! 3. `accounts` (the byte accounts): taken under `engine` when totals are recorded, so that a
//!    connection's end (which marks it ended and records its final totals) and a dump's totals
//!    for it are recorded in one order or the other, never interleaved; and by the packet
//!    thread's clean-up, under `engine`, to forget the totals of connections the cache no
//!    longer has.
//! 4. `forgotten` (conntrack entries we deleted ourselves).
//! 5. `verdicts` (the queue's verdict socket, `verdict_outbox.rs`): held while writing
//!    verdicts, which the engine only queues under `engine`; they are written once `engine` is
//!    released (by [`EngineGuard`]), so no thread waits for `engine` behind a verdict's write.
//! 6. `client_out` (the client's socket for infos, `client.rs`; a plain mutex, since it is
//!    never taken with another lock held): the session's writer thread holds it while it writes,
//!    waiting for a slow client; the packet thread only tries it, between its turns at `engine`,
//!    and never waits for it. Only the info queue's state is taken under it.
//! 7. `mid_stream` (TCP connections first held mid-stream, `mid_stream.rs`): the packet thread
//!    takes it before its turn at `engine` for a SYN while any flow is watched (a SYN ends a
//!    watch) and after it to add a flow, the byte-count thread to list or update the flows;
//!    nothing else is taken while it is held.
//!
//! Leaves, taken last and holding nothing else while held: the log's state (`log.rs`), the info
//! queue's state (`BlockingInfoQueue` in the core), the outbox's queued verdicts, the channel
//! of byte-count requests, and the rule table's netlink socket (`rule_table.rs`; taken by the
//! start, the rules watch and the stop, never by the packet path).
//! Logging may happen under any lock: it never waits for stderr (its own thread writes it,
//! `stderr_writer.rs`), so a journal that stops reading cannot stop a decision.
//!
//! Slow work that needs no lock runs with none held: attributing a process (sock_diag and
//! /proc, milliseconds) between the packet thread's two turns at `engine`; assembling and
//! compiling a policy document on the client's command thread, whose session owns the
//! assembler (one client at a time), so only the swap into force takes `engine`; writing the
//! stored policy file after that swap (`policy_receiver.rs`). No lock was added for the policy.
//!
//! GetBandwidthStats is served by its own thread (`run_bandwidth`): a dump of tens of thousands
//! of sockets and flows takes tens of milliseconds, and verdicts, which come on the same socket,
//! must not wait behind it. Requests that come while one waits are served by the same dump.
//!
//! Once the order was broken: GetBandwidthStats took `bandwidth` then `engine`, a connection end
//! `engine` then `bandwidth`, and under load the two deadlocked within a second, stopping all
//! networking in the namespace.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zenithfence_core::bandwidth::{BandwidthAccounts, PartWay, RunningTotals, SocketId};
use zenithfence_core::blocking_queue::BlockingInfoQueue;
use zenithfence_core::decision::{Action, Decision};
use zenithfence_core::dns_queries::AnsweredQuery;
use zenithfence_core::flow::{FlowKey, IpAddress, PacketTuple};
use zenithfence_core::packet::{parse_ip_packet, Transport};
use zenithfence_core::policy::{PolicyOrigin, PreparedPolicy};
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::{Direction, Verdict};

use crate::attribute::Attributor;
use crate::byte_totals::{self, TcpFlow, Totals};
use crate::client::ClientOut;
use crate::connect_owners::ConnectOwners;
use crate::conntrack::Conntrack;
use crate::dns_watch::DnsWatch;
use crate::engine::{Attribution, Engine, HeldPacket, Quick, Time, CLEAN_SLICE};
use crate::flow_liveness;
use crate::locks::{RankedGuard, RankedMutex};
use crate::log::{Log, Severity};
use crate::mid_stream::{self, Look, MidStreamFlows, Noted};
use crate::network_watch::{self, NetworkWatch};
use crate::nfqueue::{Queue, QueuedPacket, VerdictSender, HOOK_LOCAL_IN};
use crate::policy_receiver::PolicyReceiver;
use crate::rules::{MARK_ALLOW, MARK_VERDICT_MASK};
use crate::sock_diag::{SockDiag, IPPROTO_TCP};
use crate::sys;
use crate::tcp_ends;
use crate::verdict_outbox::{OutboxAnswer, VerdictOutbox};

/// Lock ranks (see "Locks" above).
const RANK_REPORTS: u32 = 0;
const RANK_KERNEL: u32 = 1;
pub(crate) const RANK_ENGINE: u32 = 2;
const RANK_ACCOUNTS: u32 = 3;
const RANK_FORGOTTEN: u32 = 4;
const RANK_VERDICTS: u32 = 5;
const RANK_MID_STREAM: u32 = 7;

/// How many infos wait for the client at most.
const INFO_QUEUE_CAPACITY: usize = 4096;
/// How often the packet thread wakes without packets while requests wait (hold timeouts).
const TICK: Duration = Duration::from_millis(20);
/// How often it wakes when nothing waits: only to notice a stop and clean the cache.
const IDLE_TICK: Duration = Duration::from_millis(250);
/// How long the packet thread waits for the last packets once the rules are gone.
const FINAL_DRAIN_WAIT: Duration = Duration::from_millis(20);
/// How long it answers such packets at most.
const FINAL_DRAIN_BOUND: Duration = Duration::from_secs(1);
/// IANA's number for UDP.
const IPPROTO_UDP: u8 = 17;
/// The most asking processes looked up for the DNS log per read of the DNS traffic.
const MAX_DNS_LOOKUPS: usize = 64;
/// How often the connection cache is cleaned.
const CLEAN_EVERY_MS: u64 = 60_000;
/// How long the last run's byte counts are kept for connections not held again yet
/// (`carried_totals.rs`): an open connection is held again at its next packet, so what is left
/// after this is mostly of connections that ended while no daemon ran.
const CARRIED_FOR_MS: u64 = 600_000;
/// At most this often the owner lookups skipped for lack of scan time are logged.
const SCAN_WARNING_EVERY_MS: u64 = 10_000;

/// The engine lock. The verdicts decided under it are written when it is dropped, after the
/// lock is released: fields drop in their order, `guard` before `_flush`.
pub(crate) struct EngineGuard<'a> {
    guard: RankedGuard<'a, Engine>,
    _flush: FlushOnDrop<'a>,
}

/// Writes the outbox's verdicts when dropped.
struct FlushOnDrop<'a>(&'a VerdictOutbox);

impl Drop for FlushOnDrop<'_> {
    fn drop(&mut self) {
        self.0.flush();
    }
}

impl std::ops::Deref for EngineGuard<'_> {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.guard
    }
}

impl std::ops::DerefMut for EngineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Engine {
        &mut self.guard
    }
}

/// The running daemon's shared state; the locks in their order (see "Locks" above).
pub(crate) struct Daemon {
    /// One recording of running totals at a time (see "Locks").
    reports: RankedMutex<()>,
    kernel: RankedMutex<KernelSources>,
    engine: RankedMutex<Engine>,
    /// The engine's verdicts, written when `engine` is released.
    outbox: Arc<VerdictOutbox>,
    accounts: RankedMutex<BandwidthAccounts>,
    /// Flows whose conntrack entry we deleted ourselves (an Update), with a deadline: the
    /// destroy event that follows is not the connection's end.
    forgotten: RankedMutex<Vec<(FlowKey, u64)>>,
    queue: Arc<BlockingInfoQueue>,
    /// Where the queue's infos are written (see "Locks").
    client_out: ClientOut,
    log: Arc<Log>,
    started: Instant,
    /// GetBandwidthStats requests for `run_bandwidth` (room for one: more are served by it).
    bandwidth_requests: SyncSender<()>,
    /// The attached client has asked for byte counts: it gets the last ones at the stop.
    bandwidth_asked: AtomicBool,
    /// Where the policy a client sends is stored.
    policy_file: PathBuf,
    /// TCP connections first held mid-stream, whose end only a lookup finds (`mid_stream.rs`).
    mid_stream: RankedMutex<MidStreamFlows>,
    /// Whether any flow is in `mid_stream`, kept by [`Daemon::change_mid_stream`]: every SYN
    /// would otherwise take its lock, almost always to find it empty. Only the packet thread
    /// adds flows, so when it reads false, none is watched.
    mid_stream_any: AtomicBool,
}

/// How often the byte-count thread looks at the stop flag while nobody asks.
const BANDWIDTH_WAKE: Duration = Duration::from_millis(250);
/// At most this often the byte counts are read, however often a client asks: each report lists
/// the connections under the engine lock, and a client asking every few milliseconds would
/// otherwise hold up the packet path. Bytes are not lost by waiting: the next report has them.
const BANDWIDTH_MIN_GAP: Duration = Duration::from_millis(100);

/// Longer than an end takes to come from either TCP source (a drain of the BPF map at most
/// 400 ms after the last, destroy events gathered for 10 ms), so a lookup that missed a
/// connection which closed just now does not report its end first, without its final counts
/// (its end from the source would then count all its bytes again).
const END_SETTLE: Duration = Duration::from_secs(1);

/// How long a deleted conntrack entry's destroy event is expected.
const FORGOTTEN_FOR_MS: u64 = 5_000;

/// The request sockets for kernel dumps and deletes.
struct KernelSources {
    diag: Option<SockDiag>,
    conntrack: Option<Conntrack>,
}

/// The policy the daemon starts with, and where a client's is stored.
pub(crate) struct PolicySetup {
    /// `--policy-file`.
    pub(crate) file: PathBuf,
    /// What that file held at start, checked.
    pub(crate) stored: Option<Box<PreparedPolicy>>,
}

impl Daemon {
    /// Creates the state around a bound queue, with the stored policy in force.
    pub(crate) fn new(
        options: crate::engine::EngineOptions,
        verdicts: VerdictSender,
        log: Arc<Log>,
        bandwidth_requests: SyncSender<()>,
        policy: PolicySetup,
    ) -> Daemon {
        let queue = Arc::new(BlockingInfoQueue::new(INFO_QUEUE_CAPACITY));
        let outbox = Arc::new(VerdictOutbox::new(
            Box::new(verdicts),
            RANK_VERDICTS,
            Arc::clone(&log),
        ));
        let answer = Box::new(OutboxAnswer(Arc::clone(&outbox)));
        let mut engine = Engine::new(options, Arc::clone(&queue), answer, Arc::clone(&log));
        if let Some(stored) = policy.stored {
            engine.install_policy(stored, PolicyOrigin::Stored);
        }
        let diag = SockDiag::open()
            .map_err(|e| log.write(Severity::Warning, format!("no TCP byte counts: {e}")))
            .ok();
        let conntrack = Conntrack::open()
            .map_err(|e| log.write(Severity::Warning, format!("no UDP byte counts: {e}")))
            .ok();
        Daemon {
            reports: RankedMutex::new(RANK_REPORTS, "reports", ()),
            kernel: RankedMutex::new(RANK_KERNEL, "kernel", KernelSources { diag, conntrack }),
            engine: RankedMutex::new(RANK_ENGINE, "engine", engine),
            outbox,
            accounts: RankedMutex::new(RANK_ACCOUNTS, "accounts", BandwidthAccounts::new()),
            forgotten: RankedMutex::new(RANK_FORGOTTEN, "forgotten", Vec::new()),
            queue,
            client_out: ClientOut::new(),
            log,
            started: Instant::now(),
            bandwidth_requests,
            bandwidth_asked: AtomicBool::new(false),
            policy_file: policy.file,
            mid_stream: RankedMutex::new(RANK_MID_STREAM, "mid_stream", MidStreamFlows::default()),
            mid_stream_any: AtomicBool::new(false),
        }
    }

    /// Changes the mid-stream flows, keeping `mid_stream_any` true while any is watched.
    fn change_mid_stream<R>(&self, change: impl FnOnce(&mut MidStreamFlows) -> R) -> R {
        let mut flows = self.mid_stream.lock();
        let result = change(&mut flows);
        self.mid_stream_any
            .store(!flows.is_empty(), Ordering::SeqCst);
        result
    }

    /// Reports the end of `keys`, TCP flows the kernel no longer has, whose final counts are
    /// those last seen.
    fn report_gone(&self, keys: &[FlowKey]) {
        if keys.is_empty() {
            return;
        }
        self.batch_infos(|| {
            for key in keys {
                self.record_end(&[*key], None, EndBytes::Unknown);
            }
        });
    }

    /// TCP ends come from the BPF program, which sees only connections made while it ran:
    /// those first held mid-stream are watched by lookups (`mid_stream.rs`). Called before the
    /// packet thread starts.
    pub(crate) fn watch_mid_stream_tcp(&self) {
        self.mid_stream.lock().turn_on();
    }

    /// Milliseconds since start (the core's clock).
    pub(crate) fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Both clocks: since start, and the wall clock policy rules expire by.
    fn time(&self) -> Time {
        Time {
            now_ms: self.now_ms(),
            // A clock set before 1970 expires no rule, which keeps the user's rules.
            wall_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        }
    }

    /// Writes a log line.
    pub(crate) fn log(&self, severity: Severity, text: String) {
        self.log.write(severity, text);
    }

    /// The info queue the client reads.
    pub(crate) fn queue(&self) -> &BlockingInfoQueue {
        &self.queue
    }

    /// The client's socket for infos.
    pub(crate) fn client_out(&self) -> &ClientOut {
        &self.client_out
    }

    fn engine(&self) -> EngineGuard<'_> {
        EngineGuard {
            guard: self.engine.lock(),
            _flush: FlushOnDrop(&self.outbox),
        }
    }

    /// A client connected; false when the daemon is stopping and admits nobody.
    pub(crate) fn attach(&self) -> bool {
        self.bandwidth_asked.store(false, Ordering::SeqCst);
        self.engine().attach()
    }

    /// The client left: every pending packet is decided as without a client.
    pub(crate) fn detach(&self) {
        self.bandwidth_asked.store(false, Ordering::SeqCst);
        let time = self.time();
        self.engine().detach(time);
    }

    /// Counts and logs a command that did not decode.
    pub(crate) fn reject_command(&self, reason: &str) {
        self.engine().reject_command(reason);
    }

    /// Verdict.
    pub(crate) fn verdict(&self, id: u64, verdict: Verdict) {
        self.engine().verdict(id, verdict);
    }

    /// UpdateV4/V6. A blocking verdict also deletes the flow's conntrack entry.
    pub(crate) fn update(&self, flow: FlowKey, verdict: Verdict) {
        self.engine().update(flow, verdict);
        if Decision::of(verdict).action == Action::Accept {
            return;
        }
        // An allowed flow never reaches the queue again; forgetting its conntrack entry makes
        // its next packet new, so the updated verdict in the cache applies to it.
        let mut kernel = self.kernel.lock();
        if let Some(conntrack) = kernel.conntrack.as_mut() {
            // Registered before the delete: the kernel sends the destroy event at once.
            let now = self.now_ms();
            self.forgotten.lock().push((flow, now + FORGOTTEN_FOR_MS));
            let deleted = tuples_of(&flow)
                .iter()
                .any(|tuple| conntrack.delete_flow(tuple).unwrap_or(false));
            if !deleted {
                self.forgotten
                    .lock()
                    .retain(|&(k, until)| k != flow && until > now);
            }
        }
    }

    /// ClearCache.
    pub(crate) fn clear_cache(&self) {
        self.engine().clear_cache();
        // Flows allowed for good bypass the queue through their conntrack mark: drop those
        // entries so every flow is asked about again, as the cache is now empty.
        if let Some(conntrack) = self.kernel.lock().conntrack.as_mut() {
            if let Err(e) = conntrack.delete_by_mark(MARK_ALLOW, MARK_VERDICT_MASK) {
                self.log(Severity::Warning, format!("clearing allowed flows: {e}"));
            }
        }
    }

    /// GetLogs: the buffered lines as LogLine infos.
    pub(crate) fn get_logs(&self) {
        for info in self.log.take_infos() {
            let _ = self.queue.push(&info);
        }
    }

    /// GetBandwidthStats, for `run_bandwidth`.
    pub(crate) fn request_bandwidth(&self) {
        self.bandwidth_asked.store(true, Ordering::SeqCst);
        // A full channel means a request already waits, and its dump serves this one too.
        let _ = self.bandwidth_requests.try_send(());
    }

    /// At the stop, before the client is detached: the bytes counted since its last request
    /// (the final counts of the connections that ended since included), which would otherwise
    /// be lost with the daemon. Only for a client that asks for byte counts: one that never
    /// did gets no unasked-for infos.
    pub(crate) fn last_byte_report(&self) {
        if self.bandwidth_asked.load(Ordering::SeqCst) {
            self.report_bandwidth();
        }
    }

    /// PrintMemoryStats.
    pub(crate) fn print_memory_stats(&self) {
        self.engine().print_memory_stats();
    }

    /// CleanEndedConnections.
    pub(crate) fn clean_ended_connections(&self) {
        let now = self.now_ms();
        let removed = self.engine().clean(now);
        self.log(Severity::Debug, format!("cleaned {removed} connections"));
    }

    /// Hello.
    pub(crate) fn hello(&self, ext_version: u16, wanted: u32) {
        self.engine().hello(ext_version, wanted);
    }

    /// GetCounters.
    pub(crate) fn get_counters(&self) {
        self.engine().get_counters();
    }

    /// NetworkSeen.
    pub(crate) fn network_seen(&self, epoch: u32) {
        self.engine().network_seen(epoch);
    }

    /// The receiver of one session's PolicyPart commands.
    pub(crate) fn policy_receiver(&self) -> PolicyReceiver<'_> {
        PolicyReceiver::new(&self.engine, &self.policy_file, &self.log)
    }

    /// The byte-count thread: serves GetBandwidthStats requests until `stop`.
    pub(crate) fn run_bandwidth(&self, requests: Receiver<()>, stop: &AtomicBool) {
        let mut last: Option<Instant> = None;
        let mut next_liveness_check = self.now_ms() + flow_liveness::CHECK_EVERY_MS;
        let mut next_mid_stream_check = self.now_ms() + mid_stream::CHECK_EVERY_MS;
        while !stop.load(Ordering::SeqCst) {
            // On this thread because it may dump the kernel's tables, as byte counts do.
            if self.now_ms() >= next_liveness_check {
                self.keep_live_flows();
                next_liveness_check = self.now_ms() + flow_liveness::CHECK_EVERY_MS;
            }
            if self.now_ms() >= next_mid_stream_check {
                self.check_mid_stream_flows();
                next_mid_stream_check = self.now_ms() + mid_stream::CHECK_EVERY_MS;
            }
            match requests.recv_timeout(BANDWIDTH_WAKE) {
                Ok(()) => {
                    if let Some(wait) =
                        last.and_then(|at| BANDWIDTH_MIN_GAP.checked_sub(at.elapsed()))
                    {
                        std::thread::sleep(wait);
                    }
                    self.report_bandwidth();
                    last = Some(Instant::now());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Reads the kernel's running byte totals of the connections we allowed and have not seen
    /// end, and queues the deltas since the last request (`byte_totals.rs` says how, and why
    /// nothing is read when there is nothing to count). The kernel is asked without the engine
    /// lock, which is taken only to list those connections and to keep their totals.
    fn report_bandwidth(&self) {
        let _one_at_a_time = self.reports.lock();
        let (tcp, udp) = {
            let engine = self.engine();
            byte_totals::split(
                engine
                    .cache
                    .iter()
                    .filter(|(_, entry)| {
                        entry.ended_ms.is_none()
                            && Decision::of(entry.verdict).action == Action::Accept
                    })
                    .map(|(key, entry)| (key, entry.interface)),
            )
        };
        let (totals, _) = self.kernel_totals(&tcp, &udp);
        let infos = {
            let engine = self.engine();
            let mut accounts = self.accounts.lock();
            for t in totals {
                let socket = t.socket;
                // A connection that ended has had (or will have) its final totals recorded by
                // its end; the kernel's older totals would count its bytes twice.
                let live = t.keys.into_iter().flatten().find(|(key, _, _)| {
                    engine
                        .cache
                        .get(key)
                        .is_some_and(|entry| entry.ended_ms.is_none())
                });
                if let Some((key, tx, rx)) = live {
                    accounts.observe_totals(key, socket, tx, rx);
                }
            }
            drop(engine);
            accounts.take()
        };
        for info in infos {
            let _ = self.queue.push(&info);
        }
    }

    /// Marks the allowed flows the kernel still has as active, so that they outlive the cache's
    /// idle expiry (`flow_liveness.rs` says why), and, with the BPF source of ends, reports the
    /// end of the TCP ones it no longer has: their end was missed (the map overflowed).
    /// The kernel is asked without the engine lock.
    fn keep_live_flows(&self) {
        let (tcp, udp) = flow_liveness::to_check(&self.engine().cache, self.now_ms());
        if tcp.is_empty() && udp.is_empty() {
            return;
        }
        let (totals, tcp_complete) = self.kernel_totals(&tcp, &udp);
        let now = self.now_ms();
        flow_liveness::mark_alive(&mut self.engine().cache, &totals, now);
        // Only with the BPF source, which notes an end when the connection closes. A socket
        // reset while its program keeps it open is in no table, and its destroy event comes
        // only when it is freed, with all its bytes, which a flow ended here would count again.
        if !self.mid_stream.lock().is_on() {
            return;
        }
        // An exact lookup may miss a socket bound to an interface (its flow's interface is
        // unknown, or another one): a dump confirms. First the end sources get time to report
        // a connection that closed just now, with its exact counts (this thread waits only when
        // something was missed).
        let keys: Vec<FlowKey> = tcp.iter().map(|(key, _)| *key).collect();
        let missed = byte_totals::not_found(&keys, &totals);
        if !tcp_complete || missed.is_empty() {
            return;
        }
        std::thread::sleep(END_SETTLE);
        let Some(dumped) = self.dumped_tcp(&missed) else {
            return;
        };
        let now = self.now_ms();
        flow_liveness::mark_alive(&mut self.engine().cache, &dumped, now);
        self.report_gone(&byte_totals::not_found(&missed, &dumped));
    }

    /// Looks at the TCP flows first held mid-stream that are due (`mid_stream.rs` says how):
    /// keeps the running totals of the allowed ones the kernel has, and reports the end of
    /// those it no longer has. Nothing is ended when a lookup failed.
    fn check_mid_stream_flows(&self) {
        let _one_at_a_time = self.reports.lock();
        let now = self.now_ms();
        let due = {
            let flows = self.mid_stream.lock();
            if flows.is_empty() {
                return;
            }
            flows.due(now)
        };
        if due.exact.is_empty() && due.dump_only.is_empty() {
            return;
        }
        // Each with the interface its flow was held on (a socket bound to one is found so).
        let exact: Vec<TcpFlow> = {
            let engine = self.engine();
            due.exact
                .iter()
                .map(|key| (*key, engine.cache.get(key).map_or(0, |e| e.interface)))
                .collect()
        };
        let (totals, complete) = self.kernel_totals(&exact, &[]);
        // A dump gives every socket of the namespace: only the watched ones are kept.
        let mut seen = watched_totals(&totals, &due.exact);
        let missing_exact = byte_totals::not_found(&due.exact, &totals);
        // Confirmed by a dump: those an exact lookup missed before, and those only a dump finds.
        let mut confirm = due.dump_only.clone();
        {
            let flows = self.mid_stream.lock();
            confirm.extend(missing_exact.iter().filter(|k| flows.missed_before(k)));
        }
        let mut look = Look {
            found: seen.iter().map(|(key, _, _, _)| *key).collect(),
            ..Look::default()
        };
        if complete {
            let dumped = if confirm.is_empty() {
                Some(Vec::new())
            } else {
                self.dumped_tcp(&confirm)
            };
            if let Some(dumped) = dumped {
                let dumped = watched_totals(&dumped, &confirm);
                look.found_by_dump = dumped.iter().map(|(key, _, _, _)| *key).collect();
                let first_misses = missing_exact.iter().filter(|k| !confirm.contains(k));
                let still_missing = confirm.iter().filter(|k| !look.found_by_dump.contains(k));
                look.missing = Some(first_misses.chain(still_missing).copied().collect());
                seen.extend(dumped);
            }
        }
        let mut done = Vec::new();
        {
            let engine = self.engine();
            // Under the engine lock, as a byte report's totals are (see "Locks").
            let mut accounts = self.accounts.lock();
            for (key, socket, tx, rx) in &seen {
                match engine.cache.get(key) {
                    Some(entry) if entry.ended_ms.is_some() => done.push(*key),
                    // Counted only once allowed, as byte reports count (a blocked flow's bytes
                    // never went anywhere).
                    Some(entry) if Decision::of(entry.verdict).action == Action::Accept => {
                        accounts.observe_totals(*key, *socket, *tx, *rx);
                    }
                    // Not decided yet, or blocked: watched on, not counted.
                    _ => {}
                }
            }
        }
        let now = self.now_ms();
        let ended = self.change_mid_stream(|flows| {
            flows.forget(&done);
            flows.update(&look, now)
        });
        self.report_gone(&ended);
    }

    /// The totals a dump of the namespace's TCP sockets gives for `keys` (those not in it are
    /// missing); `None` when there is no sock_diag or the dump failed.
    fn dumped_tcp(&self, keys: &[FlowKey]) -> Option<Vec<Totals>> {
        let mut warnings = Vec::new();
        let dumped = {
            let mut kernel = self.kernel.lock();
            let diag = kernel.diag.as_mut()?;
            let mut warn = |text: String| warnings.push(text);
            byte_totals::tcp_dump(diag, &mut warn)
        };
        let failed = !warnings.is_empty();
        for text in warnings {
            self.log(Severity::Warning, text);
        }
        if failed {
            return None;
        }
        let keys: std::collections::HashSet<&FlowKey> = keys.iter().collect();
        Some(
            dumped
                .into_iter()
                .filter(|t| t.keys.iter().flatten().any(|(k, _, _)| keys.contains(k)))
                .collect(),
        )
    }

    /// The running totals of the `tcp` and `udp` flows (sock_diag and conntrack), and whether
    /// every TCP flow was asked about without an error (so one not found has ended).
    fn kernel_totals(&self, tcp: &[TcpFlow], udp: &[FlowKey]) -> (Vec<Totals>, bool) {
        let mut warnings = Vec::new();
        let mut totals = Vec::new();
        let mut tcp_complete = false;
        {
            let mut kernel = self.kernel.lock();
            let KernelSources { diag, conntrack } = &mut *kernel;
            let mut warn = |text: String| warnings.push(text);
            if let Some(diag) = diag.as_mut() {
                totals.extend(byte_totals::tcp(diag, tcp, &mut warn));
                tcp_complete = warnings.is_empty();
            }
            let mut warn = |text: String| warnings.push(text);
            if let Some(conntrack) = conntrack.as_mut() {
                totals.extend(byte_totals::udp(conntrack, udp, &mut warn));
            }
        }
        for text in warnings {
            self.log(Severity::Warning, text);
        }
        (totals, tcp_complete)
    }

    /// Runs `work`, which queues infos (a batch of flow ends), and writes them in one go at its
    /// end when the client's socket has room, rather than each info waking the writer thread.
    pub(crate) fn batch_infos(&self, work: impl FnOnce()) {
        self.queue.defer_wakes();
        work();
        self.client_out.write_now(&self.queue);
    }

    /// A TCP socket closed with final byte totals, or a UDP flow's conntrack entry ended
    /// (unless we deleted that entry ourselves: then it is not the end).
    /// The socket cookie, when known, finds the flow when the end's addresses do not (a
    /// destroy event of a socket whose addresses were cleared).
    pub(crate) fn flow_ended(
        &self,
        candidates: &[FlowKey],
        cookie: Option<u64>,
        final_bytes: EndBytes,
    ) {
        let now = self.now_ms();
        if cookie.is_none() {
            let mut forgotten = self.forgotten.lock();
            forgotten.retain(|&(_, until)| until > now);
            if let Some(at) = forgotten
                .iter()
                .position(|(key, _)| candidates.contains(key))
            {
                forgotten.remove(at);
                return;
            }
        }
        self.record_end(candidates, cookie, final_bytes);
    }

    /// Records a connection's final totals and marks it ended; the client hears of the end
    /// once (the engine reports only the first).
    fn record_end(&self, candidates: &[FlowKey], cookie: Option<u64>, final_bytes: EndBytes) {
        let now = self.now_ms();
        let mut engine = self.engine();
        // By the end's addresses: one socket can make two connections (a connect refused, then
        // another), and its cookie names the flow of its latest, which may still be open while
        // the end is the earlier one's, or a connection never held (to a loopback address).
        // The cookie only for an end whose addresses were cleared (a destroy event).
        let by_addresses = candidates
            .iter()
            .copied()
            .find(|k| engine.cache.get(k).is_some());
        let cleared = candidates.iter().all(addresses_cleared);
        let by_cookie = || {
            cookie
                .filter(|_| cleared)
                .and_then(|c| engine.flow_of_cookie(c))
        };
        let Some(flow) = by_addresses.or_else(by_cookie) else {
            return;
        };
        // An entry already ended still takes the end: a new connection on the same addresses,
        // answered from the cache before the old one's end came, ends on the same key, and
        // since running totals are kept per socket and each end adds what its socket's totals
        // grew over the last ones (and forgets them), the two together count both connections
        // whichever comes first, byte reports between them included. A second report of the
        // same end cannot come: the watch and the liveness check wait longer than the sources.
        let Some(entry) = engine.cache.get(&flow) else {
            return;
        };
        let made_here = entry.direction == Direction::Outbound;
        // Under the engine lock, which a dump's totals are recorded under too (see "Locks").
        let mut accounts = self.accounts.lock();
        match final_bytes {
            EndBytes::Unknown => {}
            EndBytes::Counted(tx, rx) => {
                accounts.observe_totals(flow, cookie.unwrap_or(0), tx, rx);
            }
            EndBytes::Acknowledged(acked, rx) => {
                let sent = tcp_ends::data_sent(acked, made_here);
                accounts.observe_final_totals(flow, cookie.unwrap_or(0), sent, rx);
            }
        }
        // The connection is over: a later one on the same addresses counts from zero, and the
        // totals of ended connections do not pile up.
        accounts.forget_totals(&flow, cookie);
        drop(accounts);
        engine.connection_ended(flow, now);
    }

    /// The packet thread: held packets in, decisions or questions out, timeouts applied,
    /// network changes reported. After `stop` it answers what is still in the queue's socket,
    /// so no packet the kernel handed us goes unanswered (the rules are gone by then, so
    /// nothing new arrives).
    pub(crate) fn run_packets(
        &self,
        mut queue: Queue,
        mut dns: Option<DnsWatch>,
        mut network: Option<NetworkWatch>,
        owners: Option<ConnectOwners>,
        stop: &AtomicBool,
    ) {
        let (mut attributor, error) = Attributor::new(owners);
        if let Some(e) = error {
            self.log(
                Severity::Warning,
                format!("no sock_diag, processes stay unknown: {e}"),
            );
        }
        let mut next_clean = CLEAN_EVERY_MS;
        let mut carried_kept = true;
        let mut scans_refused = 0u64;
        let mut next_scan_warning = 0u64;
        // The wait is poll(2)'s, below, and the queue is read only once it is ready, so its own
        // receive timeout matters only when poll fails and every socket is read as if ready:
        // then TICK keeps the hold deadlines served. Set once: switching it with the pending
        // state cost one or two setsockopt calls for every few connections.
        if let Err(e) = queue.set_timeout(TICK) {
            self.log(
                Severity::Error,
                format!("cannot set the queue timeout: {e}"),
            );
        }
        // The network at start, before the first packet is decided.
        self.network_changes(network.as_mut(), true);
        while !stop.load(Ordering::SeqCst) {
            // Wake often only while a hold timeout can fall due: an idle daemon sleeps.
            let wanted = if self.engine().has_pending() {
                TICK
            } else {
                IDLE_TICK
            };
            // Woken by held packets and by logged DNS packets alike: an answer to a query that
            // is never held (one to a loopback resolver) is read at once, while the asking
            // socket is still open for the DNS log's pid lookup, not at the next timeout.
            // Network changes wake it too (their socket is read at every wake-up, see below);
            // a gateway MAC being resolved shortens the wait to the end of its second (the facts
            // without it are due then).
            let dns_fd = dns.as_ref().map_or(-1, DnsWatch::raw_fd);
            let network_fd = network.as_ref().map_or(-1, NetworkWatch::raw_fd);
            let wait = network
                .as_ref()
                .and_then(|n| n.wait_limit(self.now_ms()))
                .map_or(wanted, |limit| limit.min(wanted));
            let [packets_ready, dns_ready, network_ready] =
                sys::wait_readable([queue.raw_fd(), dns_fd, network_fd], wait)
                    // Then all are read as if they were ready: the queue's read ends at its
                    // timeout, the others never wait.
                    .unwrap_or([true; 3]);
            let packets = if packets_ready {
                self.receive(&mut queue)
            } else {
                Vec::new()
            };
            // The infos of this batch are written at its end by this thread when the client's
            // socket has room, rather than each waking the writer thread (a futex call and a
            // thread switch per new connection); see `ClientOut::write_now`.
            self.queue.defer_wakes();
            // Network changes before the packets: the kernel tells of a route change before it
            // routes anything by it, so every change of a packet taken above is in the socket
            // now, and its facts are queued before the packet's connection info (README
            // "Network facts"). Read only when poll(2) saw the socket ready: the packet read
            // above was queued before poll(2) looked at the queue, and it looks at the event
            // socket after the queue (the order of `wait_readable`'s array), so a change told
            // before that packet was routed is seen. One read of a change that came later can
            // wait for the next wake-up, as it would have to for a packet read before it. (The
            // kernel sends a route's notice just after the route takes effect: a packet routed
            // in between comes before the notice, as it did when the socket was read after the
            // packet too.)
            self.network_changes(network.as_mut(), network_ready);
            // A DNS answer passed the input hook before the application could connect to what
            // it names, so read them first: the prompt can then show the name. Its NFLOG copy
            // was queued before the connection's packet, and the wait checks the log's socket
            // after the queue's, so held packets never come without the answers before them.
            // Queries are read the same way, before their answers.
            if let (Some(dns), true) = (dns.as_mut(), dns_ready) {
                self.read_dns(dns, &mut attributor);
            }
            for packet in packets {
                self.handle_packet(packet, &mut attributor);
            }
            let now = self.now_ms();
            scans_refused += attributor.take_scans_refused();
            if scans_refused > 0 && now >= next_scan_warning {
                self.log(
                    Severity::Warning,
                    format!(
                        "{scans_refused} connections left without a process: looking for their \
                         sockets in every process took over a tenth of the time (a local program \
                         may be hiding its sockets)"
                    ),
                );
                scans_refused = 0;
                next_scan_warning = now + SCAN_WARNING_EVERY_MS;
            }
            if carried_kept && now >= CARRIED_FOR_MS {
                carried_kept = false;
                let dropped = self.accounts.lock().drop_carried();
                if dropped > 0 {
                    self.log(
                        Severity::Debug,
                        format!("{dropped} connections of the last run were not held again: their byte counts are forgotten"),
                    );
                }
            }
            let mut engine = self.engine();
            engine.expire(now);
            // A slice per wake-up (at least every IDLE_TICK) until the pass is done.
            if now >= next_clean {
                // Running totals go with their connection's end; those of connections the
                // cache no longer has, whose end never came, go here, a slice along (the
                // accounts' lock after the engine's, see "Locks"). A quarter of the cache's
                // slice: each entry costs a cache lookup, and the engine's lock is held.
                let cache = &engine.cache;
                self.accounts
                    .lock()
                    .forget_totals_slice(TOTALS_SLICE, |key| cache.get(key).is_some());
                if engine.clean_slice(now) {
                    next_clean = now + CLEAN_EVERY_MS;
                }
            }
            drop(engine);
            self.client_out.write_now(&self.queue);
            self.log.tick();
        }
        // Bounded, should packets still come (the rules could not be removed): the watchdog
        // must not be what ends a shutdown that only has packets to answer.
        let deadline = Instant::now() + FINAL_DRAIN_BOUND;
        if queue.set_timeout(FINAL_DRAIN_WAIT).is_ok() {
            while Instant::now() < deadline {
                let packets = self.receive(&mut queue);
                if packets.is_empty() {
                    break;
                }
                for packet in packets {
                    self.handle_packet(packet, &mut attributor);
                }
            }
        }
    }

    /// Reads the network's changes and hands new facts to the engine (which queues them to a
    /// client granted NETWORK); each report is logged.
    fn network_changes(&self, network: Option<&mut NetworkWatch>, events_ready: bool) {
        // Facts a full queue refused before, now that the client may have read some.
        self.engine().resend_network_facts();
        let Some(network) = network else { return };
        let Some(facts) = network.poll(self.now_ms(), events_ready, &self.log) else {
            return;
        };
        if let Some(reported) = self.engine().network_observed(facts) {
            self.log(Severity::Info, network_watch::describe(&reported));
        }
    }

    /// One read of held packets (empty on timeout or error).
    fn receive(&self, queue: &mut Queue) -> Vec<QueuedPacket> {
        match queue.recv_packets() {
            Ok(packets) => packets,
            Err(e) => {
                self.log(Severity::Error, format!("reading the queue: {e}"));
                std::thread::sleep(TICK);
                Vec::new()
            }
        }
    }

    fn read_dns(&self, dns: &mut DnsWatch, attributor: &mut Attributor) {
        let answers = dns.read(self.now_ms(), &self.log);
        if answers.is_empty() {
            return;
        }
        // The asking process, only for a client that keeps a DNS log: each lookup costs a
        // sock_diag request and /proc reads, done here without the engine lock.
        // At most MAX_DNS_LOOKUPS a read: a local flood of answers must not keep the held
        // packets after them waiting for /proc scans (the rest are logged with pid 0).
        let askers: Vec<Option<Attribution>> = if self.engine().features() & feature::DNS_LOG != 0 {
            answers
                .iter()
                .enumerate()
                .map(|(i, (answered, interface))| {
                    // Asked with the answer's interface: a socket bound to it is found so.
                    (i < MAX_DNS_LOOKUPS)
                        .then(|| attributor.attribute(&query_flow(answered), None, *interface))
                })
                .collect()
        } else {
            vec![None; answers.len()]
        };
        let now = self.now_ms();
        let mut engine = self.engine();
        for ((answered, _), asker) in answers.into_iter().zip(askers) {
            engine.dns_answer(answered, asker, now);
        }
    }

    fn handle_packet(&self, packet: QueuedPacket, attributor: &mut Attributor) {
        let held = HeldPacket {
            packet_id: packet.packet_id,
            mark: packet.mark,
        };
        let direction = if packet.hook == HOOK_LOCAL_IN {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let (tuple, transport) = match parse_ip_packet(&packet.payload) {
            Ok(parsed) => (parsed.tuple, parsed.transport),
            Err(e) => {
                // Nothing to key a decision on: let it pass as the kernel would without us.
                self.log(
                    Severity::Warning,
                    format!("unparsable packet accepted: {e}"),
                );
                self.engine().answer_unparsable(held);
                return;
            }
        };
        let flow = tuple.flow_key(direction);
        let syn = matches!(transport, Transport::Tcp { flags, .. } if flags.syn());
        if syn && self.mid_stream_any.load(Ordering::SeqCst) {
            // A new connection on these addresses: not one watched since mid-stream.
            self.change_mid_stream(|flows| flows.new_connection(&flow));
        }
        let time = self.time();
        if self.engine().quick_decision(flow, direction, held, time) == Quick::Done {
            return;
        }
        // Attribution reads /proc and may take milliseconds: not under the engine lock.
        let attribution = match direction {
            Direction::Outbound => {
                attributor.attribute_outbound(&flow, packet.uid, packet.interface)
            }
            Direction::Inbound => attributor.attribute(&flow, packet.uid, packet.interface),
        };
        // Only a segment of a connection that exists: a stray one from anywhere has none (or
        // only a listener on its port), and would only fill the list.
        let mid_stream = !syn && tuple.protocol == 6 && attribution.connected;
        if mid_stream {
            self.start_count_part_way(flow, direction, packet.interface, attributor);
        }
        let time = self.time();
        self.engine()
            .decide_new(flow, direction, held, attribution, &packet.payload, time);
        if mid_stream {
            self.watch_mid_stream(flow);
        }
    }

    /// A connection held again part-way (after a restart, or once its conntrack entry went):
    /// its count starts where the last run's recorded totals of its socket left it
    /// (`carried_totals.rs`), else at its totals now, not at its socket's start, which an
    /// earlier run counted (`BandwidthAccounts::start_totals_at`). Then the sent side starts
    /// at what the peer acknowledged: the held segment and any queued behind it, which the
    /// socket already counts as sent, are not acknowledged yet, so they still count.
    fn start_count_part_way(
        &self,
        flow: FlowKey,
        direction: Direction,
        interface: u32,
        attributor: &mut Attributor,
    ) {
        let Some((socket, tcp)) = attributor.tcp_counters(&flow, interface) else {
            return;
        };
        let at = PartWay {
            acknowledged: tcp_ends::data_sent(tcp.bytes_acked, direction == Direction::Outbound),
            transmitted: byte_totals::sent(&tcp),
            received: tcp.bytes_received,
        };
        // Under the engine lock, as totals are recorded (see "Locks").
        let _engine = self.engine();
        self.accounts.lock().start_totals_at(flow, socket, at);
    }

    /// The running totals an earlier run recorded at its stop (`carried_totals.rs`), for the
    /// connections this one holds again part-way. Before the packet thread starts.
    pub(crate) fn carry_totals(&self, totals: Vec<RunningTotals>) {
        self.accounts.lock().carry(totals);
    }

    /// The TCP connections' totals as far as they were reported, for the next run. At the
    /// stop, once the threads ended: nothing is recorded after this.
    pub(crate) fn reported_tcp_totals(&self) -> Vec<RunningTotals> {
        self.accounts.lock().reported_totals(IPPROTO_TCP).collect()
    }

    /// A TCP flow first held without a SYN: a connection made before it was held, whose end
    /// the BPF program may not see (`mid_stream.rs`).
    fn watch_mid_stream(&self, flow: FlowKey) {
        let now = self.now_ms();
        let noted = self.change_mid_stream(|flows| flows.note(flow, now));
        if noted == (Noted::Full { first: true }) {
            self.log(
                Severity::Warning,
                format!(
                    "{} TCP connections first seen mid-stream are watched for their end; the ends of more are found by the liveness check, within minutes",
                    mid_stream::MAX_WATCHED
                ),
            );
        }
    }

    /// Answers everything still held (daemon shutdown).
    pub(crate) fn shutdown(&self) {
        let time = self.time();
        self.engine().shutdown(time);
    }
}

/// Whether a socket's addresses were cleared before its end was reported (its remote end
/// unspecified): only its cookie can name its flow then.
fn addresses_cleared(key: &FlowKey) -> bool {
    let unspecified = match key.remote_ip {
        IpAddress::V4(ip) => ip == [0; 4],
        IpAddress::V6(ip) => ip == [0; 16],
    };
    unspecified || key.remote_port == 0
}

/// Running totals looked at per slice of the clean-up (`BandwidthAccounts::forget_totals_slice`).
const TOTALS_SLICE: usize = CLEAN_SLICE / 4;

/// The `(key, socket, sent, received)` of `totals` for the flows of `keys`.
fn watched_totals(totals: &[Totals], keys: &[FlowKey]) -> Vec<(FlowKey, SocketId, u64, u64)> {
    let keys: std::collections::HashSet<&FlowKey> = keys.iter().collect();
    totals
        .iter()
        .flat_map(|t| {
            t.keys
                .iter()
                .flatten()
                .map(|&(key, tx, rx)| (key, t.socket, tx, rx))
        })
        .filter(|(key, _, _, _)| keys.contains(key))
        .collect()
}

/// The final byte counts a connection's end comes with.
pub(crate) enum EndBytes {
    Unknown,
    /// From `tcp_info`, the counters the running totals come from (bytes sent less
    /// retransmitted, bytes received).
    Counted(u64, u64),
    /// The kernel's acknowledged (our FIN left out, the SYN of an outbound one in) and received
    /// bytes (`tcp_ends.rs`): the data count can be below `tcp_info`'s (data sent but never
    /// acknowledged before a reset), so it only ever adds what grew.
    Acknowledged(u64, u64),
}

/// The UDP flow of a DNS query as the asking socket sees it.
fn query_flow(answered: &AnsweredQuery) -> FlowKey {
    FlowKey {
        protocol: IPPROTO_UDP,
        local_ip: answered.local.ip,
        local_port: answered.local.port,
        remote_ip: answered.resolver.ip,
        remote_port: answered.resolver.port,
    }
}

/// The conntrack original tuples a flow may have: we opened it, or the peer did.
fn tuples_of(key: &FlowKey) -> [PacketTuple; 2] {
    let outbound = PacketTuple {
        protocol: key.protocol,
        src_ip: key.local_ip,
        src_port: key.local_port,
        dst_ip: key.remote_ip,
        dst_port: key.remote_port,
    };
    let inbound = PacketTuple {
        protocol: key.protocol,
        src_ip: key.remote_ip,
        src_port: key.remote_port,
        dst_ip: key.local_ip,
        dst_port: key.local_port,
    };
    [outbound, inbound]
}

/// The flow keys a conntrack tuple may be cached under (we may be either end).
pub(crate) fn candidate_keys(tuple: &PacketTuple) -> [FlowKey; 2] {
    [
        tuple.flow_key(Direction::Outbound),
        tuple.flow_key(Direction::Inbound),
    ]
}

/// Starts a named thread or reports why not.
pub(crate) fn spawn(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name(name.into()).spawn(f)
}
