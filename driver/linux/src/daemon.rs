//! Wiring: the shared state of the running daemon and its threads (held packets, flow ends,
//! the client). The decisions themselves are in `engine.rs`.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use zenithfence_core::bandwidth::BandwidthAccounts;
use zenithfence_core::blocking_queue::BlockingInfoQueue;
use zenithfence_core::decision::{Action, Decision};
use zenithfence_core::dns::parse_dns_answers;
use zenithfence_core::flow::{FlowKey, IpAddress, PacketTuple};
use zenithfence_core::packet::{parse_ip_packet, Transport};
use zenithfence_protocol::{Command, Direction, Update};

use crate::attribute::Attributor;
use crate::conntrack::Conntrack;
use crate::engine::{Answer, Engine, HeldPacket, Quick};
use crate::log::{Log, Severity};
use crate::nflog::NflogGroup;
use crate::nfqueue::{KernelVerdict, Queue, VerdictSender, HOOK_LOCAL_IN};
use crate::rules::{MARK_ALLOW, MARK_REJECT, MARK_VERDICT_MASK};
use crate::sock_diag::SockDiag;

/// How many infos wait for the client at most.
const INFO_QUEUE_CAPACITY: usize = 4096;
/// How often the packet thread wakes without packets while requests wait (hold timeouts).
const TICK: Duration = Duration::from_millis(20);
/// How often it wakes when nothing waits: only to notice a stop and clean the cache.
const IDLE_TICK: Duration = Duration::from_millis(250);
/// How often the connection cache is cleaned.
const CLEAN_EVERY_MS: u64 = 60_000;
/// IPv4 + UDP header bytes that conntrack counts per packet on top of the payload.
const UDP_V4_OVERHEAD: u64 = 28;
/// IPv6 + UDP header bytes per packet.
const UDP_V6_OVERHEAD: u64 = 48;

/// Answers packets through NFQUEUE verdicts and marks (see `rules.rs` for what the marks do).
struct NfAnswer(VerdictSender, Arc<Log>);

impl Answer for NfAnswer {
    fn answer(&self, packet: HeldPacket, action: Action, permanent: bool) {
        let others = packet.mark & !MARK_VERDICT_MASK;
        let (verdict, mark) = match action {
            // A temporary accept leaves no mark, so the flow's next new packet asks again.
            Action::Accept => (
                KernelVerdict::Accept,
                others | if permanent { MARK_ALLOW } else { 0 },
            ),
            Action::Block => (KernelVerdict::Accept, others | MARK_REJECT),
            Action::Drop => (KernelVerdict::Drop, packet.mark),
        };
        if let Err(e) = self.0.send(packet.packet_id, verdict, Some(mark)) {
            self.1.write(
                Severity::Error,
                format!("verdict for kernel packet {} failed: {e}", packet.packet_id),
            );
        }
    }
}

/// The running daemon's shared state.
pub(crate) struct Daemon {
    engine: Mutex<Engine>,
    queue: Arc<BlockingInfoQueue>,
    log: Arc<Log>,
    started: Instant,
    bandwidth: Mutex<Bandwidth>,
    /// Flows whose conntrack entry we deleted ourselves (an Update), with a deadline: the
    /// destroy event that follows is not the connection's end.
    forgotten: Mutex<Vec<(FlowKey, u64)>>,
}

/// How long a deleted conntrack entry's destroy event is expected.
const FORGOTTEN_FOR_MS: u64 = 5_000;

/// What GetBandwidthStats reads from the kernel.
struct Bandwidth {
    accounts: BandwidthAccounts,
    diag: Option<SockDiag>,
    conntrack: Option<Conntrack>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Daemon {
    /// Creates the state around a bound queue.
    pub(crate) fn new(
        options: crate::engine::EngineOptions,
        verdicts: VerdictSender,
        log: Arc<Log>,
    ) -> Daemon {
        let queue = Arc::new(BlockingInfoQueue::new(INFO_QUEUE_CAPACITY));
        let answer = Box::new(NfAnswer(verdicts, Arc::clone(&log)));
        let engine = Engine::new(options, Arc::clone(&queue), answer, Arc::clone(&log));
        let diag = SockDiag::open()
            .map_err(|e| log.write(Severity::Warning, format!("no TCP byte counts: {e}")))
            .ok();
        let conntrack = Conntrack::open()
            .map_err(|e| log.write(Severity::Warning, format!("no UDP byte counts: {e}")))
            .ok();
        Daemon {
            engine: Mutex::new(engine),
            queue,
            log,
            started: Instant::now(),
            bandwidth: Mutex::new(Bandwidth {
                accounts: BandwidthAccounts::new(),
                diag,
                conntrack,
            }),
            forgotten: Mutex::new(Vec::new()),
        }
    }

    /// Milliseconds since start (the core's clock).
    pub(crate) fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Writes a log line.
    pub(crate) fn log(&self, severity: Severity, text: String) {
        self.log.write(severity, text);
    }

    /// The info queue the client reads.
    pub(crate) fn queue(&self) -> &BlockingInfoQueue {
        &self.queue
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        lock(&self.engine)
    }

    /// A client connected.
    pub(crate) fn attach(&self) {
        self.engine().attach();
    }

    /// The client left: every pending packet gets the detached policy.
    pub(crate) fn detach(&self) {
        self.engine().detach();
    }

    /// Counts and logs a command that did not decode.
    pub(crate) fn reject_command(&self, reason: &str) {
        self.engine().reject_command(reason);
    }

    /// Handles one decoded command.
    pub(crate) fn command(&self, command: Command) {
        match command {
            Command::GetLogs => {
                for info in self.log.take_infos() {
                    let _ = self.queue.push(&info);
                }
            }
            Command::GetBandwidthStats => self.report_bandwidth(),
            Command::ClearCache => {
                self.engine().on_command(command, self.now_ms());
                // Flows allowed for good bypass the queue through their conntrack mark: drop
                // those entries so every flow is asked about again, as the cache is now empty.
                if let Some(conntrack) = lock(&self.bandwidth).conntrack.as_mut() {
                    if let Err(e) = conntrack.delete_by_mark(MARK_ALLOW, MARK_VERDICT_MASK) {
                        self.log(Severity::Warning, format!("clearing allowed flows: {e}"));
                    }
                }
            }
            Command::UpdateV4(Update { verdict, .. })
            | Command::UpdateV6(Update { verdict, .. })
                if Decision::of(verdict).action != Action::Accept =>
            {
                let key = update_key(&command);
                self.engine().on_command(command, self.now_ms());
                // An allowed flow never reaches the queue again; forgetting its conntrack entry
                // makes its next packet new, so the updated verdict in the cache applies to it.
                if let (Some(key), Some(conntrack)) =
                    (key, lock(&self.bandwidth).conntrack.as_mut())
                {
                    // Registered before the delete: the kernel sends the destroy event at once.
                    let now = self.now_ms();
                    lock(&self.forgotten).push((key, now + FORGOTTEN_FOR_MS));
                    let deleted = tuples_of(&key)
                        .iter()
                        .any(|tuple| conntrack.delete_flow(tuple).unwrap_or(false));
                    if !deleted {
                        lock(&self.forgotten).retain(|&(k, until)| k != key && until > now);
                    }
                }
            }
            other => {
                let now = self.now_ms();
                self.engine().on_command(other, now);
            }
        }
    }

    /// Reads the kernel's running byte totals of the connections we decided and queues the
    /// deltas since the last request.
    fn report_bandwidth(&self) {
        let mut bandwidth = lock(&self.bandwidth);
        let Bandwidth {
            accounts,
            diag,
            conntrack,
        } = &mut *bandwidth;
        let engine = self.engine();
        let known = |key: &FlowKey| engine.cache.get(key).is_some();
        if let Some(diag) = diag.as_mut() {
            for v6 in [false, true] {
                match diag.dump_tcp(v6) {
                    Ok(sockets) => {
                        for socket in sockets.into_iter().filter(|s| known(&s.key)) {
                            if let Some(tcp) = socket.tcp {
                                let sent = tcp.bytes_sent.saturating_sub(tcp.bytes_retrans);
                                accounts.observe_totals(socket.key, sent, tcp.bytes_received);
                            }
                        }
                    }
                    Err(e) => self.log(Severity::Warning, format!("TCP byte counts: {e}")),
                }
            }
        }
        if let Some(conntrack) = conntrack.as_mut() {
            match conntrack.dump() {
                Ok(entries) => {
                    for entry in entries.into_iter().filter(|e| e.key_orig.protocol == 17) {
                        let overhead = if entry.key_orig.src_ip.is_v6() {
                            UDP_V6_OVERHEAD
                        } else {
                            UDP_V4_OVERHEAD
                        };
                        let orig = entry
                            .orig_bytes
                            .saturating_sub(overhead * entry.orig_packets);
                        let reply = entry
                            .reply_bytes
                            .saturating_sub(overhead * entry.reply_packets);
                        let outbound = entry.key_orig.flow_key(Direction::Outbound);
                        let inbound = entry.key_orig.flow_key(Direction::Inbound);
                        if known(&outbound) {
                            accounts.observe_totals(outbound, orig, reply);
                        } else if known(&inbound) {
                            accounts.observe_totals(inbound, reply, orig);
                        }
                    }
                }
                Err(e) => self.log(Severity::Warning, format!("UDP byte counts: {e}")),
            }
        }
        drop(engine);
        for info in accounts.take() {
            let _ = self.queue.push(&info);
        }
    }

    /// A TCP socket closed with final byte totals, or a UDP flow's conntrack entry ended.
    /// The socket cookie, when known, identifies the flow even if the addresses are cleared.
    pub(crate) fn flow_ended(
        &self,
        candidates: &[FlowKey],
        cookie: Option<u64>,
        final_bytes: Option<(u64, u64)>,
    ) {
        let now = self.now_ms();
        if cookie.is_none() {
            let mut forgotten = lock(&self.forgotten);
            forgotten.retain(|&(_, until)| until > now);
            if let Some(at) = forgotten
                .iter()
                .position(|(key, _)| candidates.contains(key))
            {
                forgotten.remove(at);
                return;
            }
        }
        let mut engine = self.engine();
        let by_cookie = cookie.and_then(|c| engine.flow_of_cookie(c));
        let Some(flow) = by_cookie.or_else(|| {
            candidates
                .iter()
                .copied()
                .find(|k| engine.cache.get(k).is_some())
        }) else {
            return;
        };
        if let Some((tx, rx)) = final_bytes {
            lock(&self.bandwidth).accounts.observe_totals(flow, tx, rx);
        }
        engine.connection_ended(flow, now);
    }

    /// The packet thread: held packets in, decisions or questions out, timeouts applied.
    pub(crate) fn run_packets(
        &self,
        mut queue: Queue,
        mut dns: Option<NflogGroup>,
        stop: &AtomicBool,
    ) {
        let (mut attributor, error) = Attributor::new();
        if let Some(e) = error {
            self.log(
                Severity::Warning,
                format!("no sock_diag, processes stay unknown: {e}"),
            );
        }
        let mut next_clean = CLEAN_EVERY_MS;
        let mut timeout = None;
        while !stop.load(Ordering::SeqCst) {
            // Wake often only while a hold timeout can fall due: an idle daemon sleeps.
            let wanted = if self.engine().has_pending() {
                TICK
            } else {
                IDLE_TICK
            };
            if timeout != Some(wanted) {
                match queue.set_timeout(wanted) {
                    Ok(()) => timeout = Some(wanted),
                    Err(e) => self.log(
                        Severity::Error,
                        format!("cannot set the queue timeout: {e}"),
                    ),
                }
            }
            let packets = match queue.recv_packets() {
                Ok(packets) => packets,
                Err(e) => {
                    self.log(Severity::Error, format!("reading the queue: {e}"));
                    std::thread::sleep(TICK);
                    Vec::new()
                }
            };
            if !packets.is_empty() {
                // A DNS answer passed the input hook before the application could connect to
                // what it names, so read them first: the prompt can then show the name.
                if let Some(dns) = dns.as_mut() {
                    self.read_dns_answers(dns);
                }
            }
            for packet in packets {
                self.handle_packet(packet, &mut attributor);
            }
            let now = self.now_ms();
            let mut engine = self.engine();
            engine.expire(now);
            if now >= next_clean {
                engine.clean(now);
                next_clean = now + CLEAN_EVERY_MS;
            }
        }
    }

    fn read_dns_answers(&self, dns: &mut NflogGroup) {
        let packets = match dns.try_recv_all() {
            Ok(packets) => packets,
            Err(e) => {
                self.log(Severity::Warning, format!("reading DNS answers: {e}"));
                return;
            }
        };
        let mut records = Vec::new();
        for packet in packets {
            let Ok(parsed) = parse_ip_packet(&packet) else {
                continue;
            };
            let Transport::Udp { .. } = parsed.transport else {
                continue;
            };
            let start = parsed.ip_header_len + 8;
            let Some(message) = packet.get(start..parsed.total_len.min(packet.len())) else {
                continue;
            };
            records.clear();
            if parse_dns_answers(message, &mut records).is_ok() {
                let mut engine = self.engine();
                for record in records.drain(..) {
                    engine.dns_name(record.name, record.address, record.ttl_s);
                }
            }
        }
    }

    fn handle_packet(&self, packet: crate::nfqueue::QueuedPacket, attributor: &mut Attributor) {
        let held = HeldPacket {
            packet_id: packet.packet_id,
            mark: packet.mark,
        };
        let direction = if packet.hook == HOOK_LOCAL_IN {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let tuple = match parse_ip_packet(&packet.payload) {
            Ok(parsed) => parsed.tuple,
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
        let now = self.now_ms();
        if self.engine().quick_decision(flow, held, now) == Quick::Done {
            return;
        }
        // Attribution reads /proc and may take milliseconds: not under the engine lock.
        let attribution = attributor.attribute(&flow, packet.uid);
        let now = self.now_ms();
        self.engine()
            .ask(flow, direction, held, attribution, &packet.payload, now);
    }

    /// Answers everything still held (daemon shutdown).
    pub(crate) fn shutdown(&self) {
        self.engine().shutdown();
    }
}

fn update_key(command: &Command) -> Option<FlowKey> {
    let (protocol, local_ip, local_port, remote_ip, remote_port) = match command {
        Command::UpdateV4(u) => (
            u.protocol,
            IpAddress::V4(u.local_ip),
            u.local_port,
            IpAddress::V4(u.remote_ip),
            u.remote_port,
        ),
        Command::UpdateV6(u) => (
            u.protocol,
            IpAddress::V6(u.local_ip),
            u.local_port,
            IpAddress::V6(u.remote_ip),
            u.remote_port,
        ),
        _ => return None,
    };
    Some(FlowKey {
        protocol,
        local_ip,
        local_port,
        remote_ip,
        remote_port,
    })
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
