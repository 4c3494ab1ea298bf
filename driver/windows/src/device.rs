//! The device: the driver's whole state and every operation on it, without OS calls.
//!
//! [`Driver`] owns the core's info queue, pending table, connection cache and bandwidth
//! accounts, the policy in force, the log ring, the read queue and the client session. The
//! commands are the core's one match ([`dispatch`]) onto this driver's target
//! (`device/commands.rs`); the policy's part is in `device/policy.rs`. The kernel layer keeps one
//! `Driver` behind a spin lock and calls it from the dispatch routines, the classify
//! trampolines and the timer DPC. Each call returns [`Effects`]: held packets to answer and
//! IRPs to complete, which the kernel executes **after releasing the lock** (completing a pended
//! ALE classify re-enters the classify; completing an IRP may run user-mode code paths).
//!
//! Invariants (tested in `src/tests.rs`):
//! - Every held packet leaves through exactly one [`Release`]: a Verdict, the hold timeout, the
//!   client leaving (Shutdown, handle closed) or a refusal at hold time.
//! - Every IRP handed to the driver is completed exactly once (see [`crate::irp`]).
//! - Every store is bounded: info queue, pending requests, packets per flow, pended reads,
//!   connection cache, bandwidth accounts, log ring; overflow is answered and counted.

mod commands;
mod policy;
mod processes;
mod session;

pub use policy::{PolicyInbox, PolicyUpdate, ReceivedPart, RetiredPolicy};
pub use processes::{MAX_DESCRIBED_PROCESSES, MAX_PROCESS_PATH_BYTES, UNKNOWN_UID};
pub use session::MAX_CLIENT_HANDLES;

use processes::Described;
use session::Session;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::vec::Vec;

use zenithfence_core::bandwidth::BandwidthAccounts;
use zenithfence_core::cache::ConnectionCache;
use zenithfence_core::commands::dispatch;
use zenithfence_core::counters::{counters, DriverTally};
use zenithfence_core::decision::{Action, Decision};
use zenithfence_core::flow::{FlowKey, IpAddress};
use zenithfence_core::info_queue::InfoQueue;
use zenithfence_core::infos::{connection_end_info, connection_info, ConnectionFacts};
use zenithfence_core::pending::{Held, PendingTable, Released};
use zenithfence_core::policy::{PolicyEnforcer, PolicyVerdict};
use zenithfence_core::sliced::retain_slice;
use zenithfence_protocol::constants::{feature, payload_layer, VERSION};
use zenithfence_protocol::{Command, Counters, Direction, Info, Verdict};

use crate::bindings::{status, NTSTATUS};
use crate::config::{ioctl, Options};
use crate::irp::{Completion, Irp, Pended, ReadQueue};
use crate::log::{severity, LogRing};

/// Features this driver grants: process paths (from the ALE layers), counters and the policy.
/// Not DNS: the kernel reads no DNS answers.
pub const SUPPORTED_FEATURES: u32 = feature::PROCESS | feature::COUNTERS | feature::POLICY;
/// Cached connections at most; past it the cache is cleaned and new holds are refused.
pub const MAX_CACHE_ENTRIES: usize = 65_536;
/// How often a full cache may be cleaned to make room for a new connection. A clean-up is a
/// pass over the whole cache with the driver's lock held; a flood that keeps the cache full
/// would otherwise run one per new connection, at DISPATCH_LEVEL. In between, a new connection
/// that finds the cache full gets the default verdict at once, as after a clean-up that freed
/// nothing.
pub const FULL_CACHE_CLEAN_EVERY_MS: u64 = 1_000;
/// Cache entries (and endpoints) one slice of the timer's clean-up looks at, one slice per
/// tick (250 ms): the spin lock is never held for a pass over a whole large cache (a quarter of
/// the 11.6–14.0 ms `npm run bench:cache` measured for four times as many entries).
pub const CLEAN_SLICE: usize = 4096;
/// Connections with byte counts waiting for GetBandwidthStats at most.
pub const MAX_BANDWIDTH_FLOWS: usize = 16_384;

/// A held packet to answer, once the lock is released.
#[derive(Debug, PartialEq, Eq)]
pub struct Release<P> {
    /// The packet (a pended classify, a clone, ...).
    pub packet: P,
    /// What to do with it.
    pub action: Action,
}

/// Work for the kernel to do after the lock is released.
#[derive(Debug)]
#[must_use = "held packets and IRPs in the effects must be answered and completed"]
pub struct Effects<P, I> {
    /// Held packets to answer.
    pub releases: Vec<Release<P>>,
    /// IRPs to complete.
    pub completions: Vec<Completion<I>>,
    /// A policy replaced under the lock, freed after it (10 000 rules take a while to free).
    pub retired: Option<RetiredPolicy>,
}

impl<P, I> Effects<P, I> {
    /// Nothing to do.
    pub fn new() -> Self {
        Effects {
            releases: Vec::new(),
            completions: Vec::new(),
            retired: None,
        }
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.releases.is_empty() && self.completions.is_empty() && self.retired.is_none()
    }
}

impl<P, I> Default for Effects<P, I> {
    fn default() -> Self {
        Self::new()
    }
}

/// How a classify wants a packet held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldKind {
    /// The first packet of a new request: pend the classify (if it can be pended) and clone
    /// the packet (if there is one).
    Pend,
    /// A further packet of a flow that already waits: clone it only.
    Join,
}

/// What the driver decided for a classify that may hold its packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Let it through.
    Permit,
    /// Let it through and keep other filters from overriding (the client's own traffic).
    PermitOwn,
    /// Block so the application gets an error.
    Block,
    /// Drop silently.
    Drop,
    /// Held (pended and/or cloned): absorb it; it is answered later.
    Held,
}

/// One ALE authorization (connect or recv-accept), as the classify read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AleRequest<'a> {
    /// The flow seen from this host.
    pub flow: FlowKey,
    /// Outbound for connect, inbound for recv-accept.
    pub direction: Direction,
    /// The process id, 0 when unknown.
    pub pid: u64,
    /// The process's creation time (100 ns intervals since 1601, as `GetProcessTimes` gives
    /// it), 0 when unknown. Tells two processes that shared a pid apart.
    pub start_time: u64,
    /// The executable's NT path for a Process info, original case (the classify reads it only
    /// when [`Driver::describes_process`] says the client does not know the process yet).
    pub process_path: Option<&'a str>,
    /// The application's NT path (`FWPM_CONDITION_ALE_APP_ID`, e.g.
    /// `\device\harddiskvolume3\windows\system32\curl.exe`), when it was read: only while a
    /// policy rule names an app ([`Driver::policy_needs_app`]).
    pub app: Option<&'a str>,
    /// Milliseconds since the Unix epoch (rule expiry).
    pub wall_ms: u64,
    /// A re-authorization (cannot be pended).
    pub reauthorize: bool,
    /// A loopback connection.
    pub loopback: bool,
    /// The packet from the transport header on (empty for an outbound TCP connect).
    pub payload: &'a [u8],
}

/// One packet at the IP packet layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketRequest {
    /// The flow seen from this host.
    pub flow: FlowKey,
    /// A fragment other than the first (its ports are unknown).
    pub non_first_fragment: bool,
}

#[derive(Clone, Copy, Debug)]
struct RequestMeta {
    pid: u64,
    direction: Direction,
}

/// The protocol's counters plus what only this driver counts.
#[derive(Default, Clone, Copy, Debug)]
struct Tally {
    driver: DriverTally,
    bandwidth_dropped: u64,
}

/// The result of an IOCTL.
#[derive(Debug)]
pub struct IoctlResult<P, I> {
    /// The IRP's final status.
    pub status: NTSTATUS,
    /// Bytes to copy to the output buffer (`IoStatus.Information` is their length).
    pub output: Vec<u8>,
    /// Work after the lock.
    pub effects: Effects<P, I>,
}

/// The result of a write.
#[derive(Debug)]
pub struct WriteResult<P, I> {
    /// The IRP's final status.
    pub status: NTSTATUS,
    /// `IoStatus.Information`: the bytes taken (the whole write, or 0 when refused).
    pub information: usize,
    /// Work after the lock.
    pub effects: Effects<P, I>,
    /// A PolicyPart to hand to the [`PolicyInbox`] after the lock (then to
    /// [`Driver::policy_update`]).
    pub policy_part: Option<ReceivedPart>,
}

/// The cache key of a flow: the local address is left out (set to unspecified), because ALE
/// may report a different local address than the packets later carry (wildcard binds,
/// multi-homed hosts). Ports, protocol and the remote side identify the connection.
pub fn cache_key(flow: &FlowKey) -> FlowKey {
    FlowKey {
        local_ip: match flow.local_ip {
            IpAddress::V4(_) => IpAddress::V4([0; 4]),
            IpAddress::V6(_) => IpAddress::V6([0; 16]),
        },
        ..*flow
    }
}

type EndpointKey = (u8, bool, u16);

fn endpoint_of(key: &FlowKey) -> EndpointKey {
    (key.protocol, key.local_ip.is_v6(), key.local_port)
}

/// The driver state.
pub struct Driver<P, I> {
    options: Options,
    queue: InfoQueue,
    reads: ReadQueue<I>,
    pending: PendingTable<P>,
    meta: BTreeMap<u64, RequestMeta>,
    cache: ConnectionCache,
    endpoints: BTreeMap<EndpointKey, BTreeSet<FlowKey>>,
    bandwidth: BandwidthAccounts,
    log: LogRing,
    policy: PolicyEnforcer,
    session: Option<Session>,
    described: Described,
    deferred: Vec<Release<P>>,
    tally: Tally,
    last_cleanup_ms: u64,
    /// When a full cache was last cleaned for a new connection (see
    /// [`FULL_CACHE_CLEAN_EVERY_MS`]).
    last_full_clean_ms: Option<u64>,
    /// The timer's clean-up under way: which parts have finished their pass.
    cleaning: Option<(bool, bool)>,
    /// Where the next slice of the timer's clean-up looks at endpoints.
    endpoint_clean_cursor: Option<EndpointKey>,
}

impl<P, I: Irp> Driver<P, I> {
    /// A driver with these options and no client.
    pub fn new(options: Options) -> Self {
        Driver {
            options,
            queue: InfoQueue::new(options.queue_capacity),
            reads: ReadQueue::new(options.max_pended_reads),
            pending: PendingTable::new(options.max_packets_per_flow),
            meta: BTreeMap::new(),
            cache: ConnectionCache::new(),
            endpoints: BTreeMap::new(),
            bandwidth: BandwidthAccounts::new(),
            log: LogRing::new(options.log_level),
            policy: PolicyEnforcer::new(),
            session: None,
            described: Described::default(),
            deferred: Vec::new(),
            tally: Tally::default(),
            last_cleanup_ms: 0,
            last_full_clean_ms: None,
            cleaning: None,
            endpoint_clean_cursor: None,
        }
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Requests waiting for a verdict.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// Connections cached.
    pub fn cached_connections(&self) -> usize {
        self.cache.len()
    }

    /// Reads pended.
    pub fn pended_reads(&self) -> usize {
        self.reads.len()
    }

    /// Records a log line.
    pub fn log(&mut self, level: u8, text: alloc::string::String) {
        self.log.push(level, text);
    }

    fn attached(&self) -> Option<&Session> {
        self.session.as_ref().filter(|s| !s.ended && !s.refused)
    }

    // ----------------------------------------------------------------------------------------
    // The handle: read, write, IOCTL (create and cleanup: `device/session.rs`)
    // ----------------------------------------------------------------------------------------

    /// Answers every waiting request with the detached verdict and ends the info stream.
    fn detach(&mut self, effects: &mut Effects<P, I>, now: u64) {
        let verdict = self.options.detached_verdict;
        for released in self.pending.drain() {
            effects
                .releases
                .extend(self.release(released, verdict, now));
        }
        effects
            .completions
            .extend(self.reads.flush(status::END_OF_FILE, |_| true));
        self.queue.clear();
    }

    /// IRP_MJ_READ: completes at once when infos wait, else pends the IRP.
    /// Returns the status the dispatch routine returns.
    pub fn read(&mut self, mut irp: I) -> (NTSTATUS, Effects<P, I>) {
        let mut effects = Effects::new();
        let refusal = match self.session.as_ref() {
            None => Some(status::INVALID_DEVICE_STATE),
            Some(s) if !s.files.contains(&irp.file()) => Some(status::INVALID_DEVICE_STATE),
            Some(s) if s.refused => Some(status::REVISION_MISMATCH),
            Some(s) if s.ended => Some(status::END_OF_FILE),
            Some(_) if irp.buffer().is_empty() => Some(status::INVALID_PARAMETER),
            Some(_) => None,
        };
        if let Some(code) = refusal {
            effects.completions.push(Completion::new(irp, code, 0));
            return (code, effects);
        }
        if !self.reads.has_waiting() && self.queue.has_data() {
            let written = self.queue.read(irp.buffer());
            effects
                .completions
                .push(Completion::new(irp, status::SUCCESS, written));
            return (status::SUCCESS, effects);
        }
        match self.reads.pend(irp) {
            Pended::Queued => {}
            Pended::Cancelled(done) => effects.completions.push(done),
            Pended::Full(irp) => {
                effects
                    .completions
                    .push(Completion::new(irp, status::DEVICE_BUSY, 0));
                return (status::DEVICE_BUSY, effects);
            }
        }
        // Infos may have arrived while reads were waiting (cancelling ones in front).
        self.deliver(&mut effects);
        (status::PENDING, effects)
    }

    /// The cancel routine of a pended read.
    pub fn cancel_read(&mut self, id: usize) -> Effects<P, I> {
        let mut effects = Effects::new();
        effects.completions.extend(self.reads.cancel(id));
        effects
    }

    fn deliver(&mut self, effects: &mut Effects<P, I>) {
        effects.completions.extend(self.reads.fill(&mut self.queue));
    }

    fn push(&mut self, info: &Info) -> bool {
        if self.attached().is_none() {
            return false;
        }
        self.queue.push(info).is_ok()
    }

    /// IRP_MJ_WRITE on file object `file`: one command. A PolicyPart comes back in
    /// [`WriteResult::policy_part`] for the kernel to assemble and compile after the lock is
    /// released.
    pub fn write(&mut self, file: usize, bytes: &[u8], now: u64) -> WriteResult<P, I> {
        let mut effects = Effects::new();
        let refused = |status, effects| WriteResult {
            status,
            information: 0,
            effects,
            policy_part: None,
        };
        match self.session.as_ref() {
            None => return refused(status::INVALID_DEVICE_STATE, effects),
            Some(s) if !s.files.contains(&file) => {
                return refused(status::INVALID_DEVICE_STATE, effects)
            }
            Some(s) if s.refused => return refused(status::REVISION_MISMATCH, effects),
            Some(_) => {}
        }
        let command = match Command::decode(bytes) {
            Ok(command) => command,
            Err(error) => {
                self.tally.driver.commands_rejected += 1;
                self.log(severity::ERROR, format!("rejected command: {error}"));
                return refused(status::INVALID_PARAMETER, effects);
            }
        };
        let mut target = commands::Commands {
            driver: self,
            effects: &mut effects,
            now,
            part: None,
        };
        dispatch(command, &mut target);
        let policy_part = target.part.take();
        self.deliver(&mut effects);
        WriteResult {
            status: status::SUCCESS,
            information: bytes.len(),
            effects,
            policy_part,
        }
    }

    fn shutdown(&mut self, effects: &mut Effects<P, I>, now: u64) {
        if self.attached().is_none() {
            return;
        }
        self.detach(effects, now);
        if let Some(session) = self.session.as_mut() {
            session.ended = true;
        }
        self.log(severity::INFO, "client shut the stream down".into());
    }

    fn update(&mut self, flow: FlowKey, verdict: Verdict) {
        let decision = Decision::of(verdict);
        let recorded = if decision.substituted {
            Verdict::Block
        } else {
            verdict
        };
        if !self.cache.update(&cache_key(&flow), recorded) {
            self.log(
                severity::WARNING,
                format!("update for an unknown connection {flow:?}"),
            );
        }
    }

    /// IRP_MJ_DEVICE_CONTROL (METHOD_BUFFERED) on file object `file`: `input` is the input
    /// buffer, `output_len` the output buffer's length. Only VERSION is answered on a handle
    /// that is not the client's.
    pub fn ioctl(
        &mut self,
        file: usize,
        code: u32,
        input: &[u8],
        output_len: usize,
        now: u64,
    ) -> IoctlResult<P, I> {
        let mut effects = Effects::new();
        let mut output = Vec::new();
        let status = match code {
            ioctl::VERSION => {
                if output_len < VERSION.len() {
                    status::BUFFER_TOO_SMALL
                } else {
                    output.extend_from_slice(&VERSION);
                    status::SUCCESS
                }
            }
            _ if !self.is_client_file(file) => status::INVALID_DEVICE_STATE,
            ioctl::SHUTDOWN => {
                self.shutdown(&mut effects, now);
                status::SUCCESS
            }
            ioctl::HANDSHAKE => self.handshake(input, output_len, &mut output, &mut effects),
            ioctl::SET_OPTIONS => match self.options.decode(input) {
                Ok(options) => {
                    self.options = options;
                    self.log.set_min_severity(options.log_level);
                    if output_len >= Options::ENCODED_LEN {
                        output.extend_from_slice(&options.encode());
                    }
                    status::SUCCESS
                }
                Err(error) => {
                    self.tally.driver.commands_rejected += 1;
                    self.log(severity::ERROR, format!("rejected options: {error:?}"));
                    status::INVALID_PARAMETER
                }
            },
            _ => status::INVALID_DEVICE_REQUEST,
        };
        self.deliver(&mut effects);
        IoctlResult {
            status,
            output,
            effects,
        }
    }

    fn handshake(
        &mut self,
        input: &[u8],
        output_len: usize,
        output: &mut Vec<u8>,
        effects: &mut Effects<P, I>,
    ) -> NTSTATUS {
        let Some(&major) = input.first() else {
            return status::INVALID_PARAMETER;
        };
        if output_len >= VERSION.len() {
            output.extend_from_slice(&VERSION);
        }
        if major == VERSION[0] {
            return status::SUCCESS;
        }
        self.log(
            severity::ERROR,
            format!(
                "client speaks protocol major {major}, driver {}: refused",
                VERSION[0]
            ),
        );
        if let Some(session) = self.session.as_mut() {
            // The whole session is refused: the reads pending on any of its handles end.
            session.refused = true;
            let files = &session.files;
            effects.completions.extend(
                self.reads
                    .flush(status::REVISION_MISMATCH, |irp| files.contains(&irp.file())),
            );
        }
        status::REVISION_MISMATCH
    }

    // ----------------------------------------------------------------------------------------
    // The callouts
    // ----------------------------------------------------------------------------------------

    /// An ALE connect or recv-accept classify. `hold` is called (under the lock) only when the
    /// packet must be held; it pends the classify and/or clones the packet and returns `None`
    /// if that failed.
    ///
    /// Order: loopback (when bypassed) and the client's own connections go through; a flow
    /// that waits is joined; a verdict cached for the connection answers; then the policy
    /// decides a new connection: a rule at once (cached, RuleDecided to a POLICY client), without
    /// a client PermanentBlock (cached) for a connection the blocklist lists, else the no-app
    /// action, and with a client it is asked (the packet is held).
    pub fn on_ale(
        &mut self,
        request: &AleRequest<'_>,
        now: u64,
        hold: impl FnOnce(HoldKind) -> Option<P>,
    ) -> (Outcome, Effects<P, I>) {
        let mut effects = Effects::new();
        let owner = self.attached().map(|s| s.owner_pid);
        if request.loopback && self.options.loopback_bypass {
            return (Outcome::Permit, effects);
        }
        if owner.is_some_and(|owner| request.pid != 0 && request.pid == owner) {
            return (Outcome::PermitOwn, effects);
        }
        let key = cache_key(&request.flow);
        if self.pending.request_of(&key).is_some() {
            return (self.join(key, now, hold, &mut effects), effects);
        }
        if let Some(entry) = self.cache.touch(&key, now) {
            if entry.verdict != Verdict::Undecided && entry.ended_ms.is_none() {
                return (outcome_of(entry.verdict), effects);
            }
        }
        let outcome = match self.policy_verdict(request, owner.is_some()) {
            PolicyVerdict::Rule {
                verdict,
                tag,
                generation,
            } => {
                self.rule_decided(request, key, now, (verdict, tag, generation));
                self.deliver(&mut effects);
                outcome_of(verdict)
            }
            // Listed without a client: blocked for good, cached like a rule's verdict.
            PolicyVerdict::Listed => {
                self.decided_for_good(request, key, now, Verdict::PermanentBlock);
                outcome_of(Verdict::PermanentBlock)
            }
            PolicyVerdict::NoApp(action) => outcome_of_action(action),
            // A re-authorization of a connection this driver never decided (it predates the
            // driver, or its entry was cleaned): it cannot be pended, and asking about it now
            // would cut a working connection. It goes on as the stack had it.
            PolicyVerdict::Ask if request.reauthorize => Outcome::Permit,
            PolicyVerdict::Ask => self.ask(request, key, now, hold, &mut effects),
        };
        (outcome, effects)
    }

    fn join(
        &mut self,
        key: FlowKey,
        now: u64,
        hold: impl FnOnce(HoldKind) -> Option<P>,
        effects: &mut Effects<P, I>,
    ) -> Outcome {
        let Some(packet) = hold(HoldKind::Join) else {
            // Nothing to keep (no packet, or the clone failed): the sender retransmits.
            return Outcome::Drop;
        };
        let deadline = now.saturating_add(self.options.hold_timeout_ms);
        match self.pending.hold(key, packet, deadline) {
            Held::Joined(_) | Held::New(_) => Outcome::Held,
            Held::FlowFull(packet) => {
                effects.releases.push(Release {
                    packet,
                    action: Action::Drop,
                });
                Outcome::Drop
            }
        }
    }

    fn ask(
        &mut self,
        request: &AleRequest<'_>,
        key: FlowKey,
        now: u64,
        hold: impl FnOnce(HoldKind) -> Option<P>,
        effects: &mut Effects<P, I>,
    ) -> Outcome {
        let default = self.options.default_verdict;
        if self.pending.len() >= self.options.max_pending_requests {
            self.tally.driver.queue_full_defaulted += 1;
            self.log(
                severity::WARNING,
                format!(
                    "{} requests wait: new connection gets {default:?}",
                    self.pending.len()
                ),
            );
            return outcome_of(default);
        }
        if !self.cache_has_room(now) {
            self.tally.driver.queue_full_defaulted += 1;
            self.log(severity::WARNING, "connection cache full".into());
            return outcome_of(default);
        }
        let Some(packet) = hold(HoldKind::Pend) else {
            self.log(
                severity::ERROR,
                format!("could not hold {:?}: {default:?}", request.flow),
            );
            return outcome_of(default);
        };
        let deadline = now.saturating_add(self.options.hold_timeout_ms);
        let id = match self.pending.hold(key, packet, deadline) {
            Held::New(id) => id,
            // Not reachable (no request waited for the flow), but answered if it were.
            Held::Joined(_) => return Outcome::Held,
            Held::FlowFull(packet) => {
                effects.releases.push(Release {
                    packet,
                    action: Action::Drop,
                });
                return Outcome::Drop;
            }
        };
        self.meta.insert(
            id,
            RequestMeta {
                pid: request.pid,
                direction: request.direction,
            },
        );
        self.remember(key, Verdict::Undecided, request.pid, request.direction, now);
        // A client granted PROCESS hears of a process before its first connection.
        self.describe_process(request);
        let max = self.options.max_payload;
        let payload = request.payload.get(..max).unwrap_or(request.payload);
        let info = connection_info(
            &request.flow,
            &ConnectionFacts {
                id,
                pid: request.pid,
                direction: request.direction,
                // ALE delivers the packet from its transport header.
                payload_layer: payload_layer::TRANSPORT,
                payload,
            },
        );
        if !self.push(&info) {
            self.tally.driver.queue_full_defaulted += 1;
            self.log(
                severity::WARNING,
                format!("queue to the app is full: request {id} gets {default:?}"),
            );
            if let Some(released) = self.pending.decide(id) {
                // Answered at the next tick, never inside the classify that pended it.
                let releases = self.release(released, default, now);
                self.deferred.extend(releases);
            }
        } else {
            self.deliver(effects);
        }
        Outcome::Held
    }

    fn remember(
        &mut self,
        key: FlowKey,
        verdict: Verdict,
        pid: u64,
        direction: Direction,
        now: u64,
    ) {
        self.cache.insert(key, verdict, pid, direction, now);
        self.endpoints
            .entry(endpoint_of(&key))
            .or_default()
            .insert(key);
    }

    /// Answers a released request's packets and records its verdict for the flow.
    fn release(&mut self, released: Released<P>, verdict: Verdict, now: u64) -> Vec<Release<P>> {
        let decision = Decision::of(verdict);
        if decision.substituted {
            self.log(
                severity::WARNING,
                format!(
                    "verdict {verdict:?} for request {} is not supported here: blocked instead",
                    released.id
                ),
            );
        }
        let recorded = if decision.substituted {
            Verdict::Block
        } else {
            verdict
        };
        let meta = self.meta.remove(&released.id);
        if !self.cache.update(&released.flow, recorded) {
            // The entry went away while the request waited (ClearCache): record it again so the
            // re-authorization that completing the pend triggers finds the verdict.
            let (pid, direction) = meta.map_or((0, Direction::Outbound), |m| (m.pid, m.direction));
            self.remember(released.flow, recorded, pid, direction, now);
        }
        released
            .packets
            .into_iter()
            .map(|packet| Release {
                packet,
                action: decision.action,
            })
            .collect()
    }

    /// An IP packet layer classify: cached verdicts per packet; packets of a waiting
    /// connection are held with it.
    pub fn on_packet(
        &mut self,
        request: &PacketRequest,
        now: u64,
        hold: impl FnOnce(HoldKind) -> Option<P>,
    ) -> (Outcome, Effects<P, I>) {
        let mut effects = Effects::new();
        if request.non_first_fragment {
            // Its first fragment carried the ports and was decided; without it the datagram
            // cannot be reassembled, so letting the rest through leaks nothing.
            return (Outcome::Permit, effects);
        }
        let key = cache_key(&request.flow);
        if self.pending.request_of(&key).is_some() {
            return (self.join(key, now, hold, &mut effects), effects);
        }
        let outcome = match self.cache.touch(&key, now) {
            Some(entry) if entry.verdict != Verdict::Undecided && entry.ended_ms.is_none() => {
                outcome_of(entry.verdict)
            }
            // Unknown connections (older than the driver, or idle past the cache) and ended
            // ones go on: new connections are decided at the ALE layers.
            _ => Outcome::Permit,
        };
        (outcome, effects)
    }

    /// ALE endpoint closure: the connection ended (a ConnectionEnd info, once).
    pub fn on_endpoint_closure(&mut self, flow: &FlowKey, now: u64) -> Effects<P, I> {
        let mut effects = Effects::new();
        let key = cache_key(flow);
        let Some(entry) = self.cache.get(&key).copied() else {
            return effects;
        };
        if entry.ended_ms.is_some() {
            return effects;
        }
        self.cache.mark_ended(&key, now);
        if self.push(&connection_end_info(
            flow,
            entry.process_id,
            entry.direction,
        )) {
            self.deliver(&mut effects);
        }
        effects
    }

    /// ALE resource release: every connection on that local endpoint ended. Returns how many
    /// ended.
    pub fn on_resource_release(
        &mut self,
        protocol: u8,
        local_ip: IpAddress,
        local_port: u16,
        now: u64,
    ) -> (usize, Effects<P, I>) {
        let mut effects = Effects::new();
        let endpoint = (protocol, local_ip.is_v6(), local_port);
        let Some(keys) = self.endpoints.remove(&endpoint) else {
            return (0, effects);
        };
        let mut ended = 0;
        for key in keys {
            let Some(entry) = self.cache.get(&key).copied() else {
                continue;
            };
            if entry.ended_ms.is_some() {
                continue;
            }
            self.cache.mark_ended(&key, now);
            ended += 1;
            let flow = FlowKey { local_ip, ..key };
            self.push(&connection_end_info(
                &flow,
                entry.process_id,
                entry.direction,
            ));
        }
        self.deliver(&mut effects);
        (ended, effects)
    }

    /// ALE resource assignment: a bind, logged at debug level.
    pub fn on_resource_assignment(
        &mut self,
        protocol: u8,
        local_ip: IpAddress,
        port: u16,
        pid: u64,
    ) {
        self.log(
            severity::DEBUG,
            format!("bind: pid {pid} protocol {protocol} {local_ip:?} port {port}"),
        );
    }

    /// Stream or datagram bytes of a connection.
    pub fn on_bytes(&mut self, flow: FlowKey, transmitted: u64, received: u64) {
        if !self.options.byte_counting || self.attached().is_none() {
            return;
        }
        if self.bandwidth.len() >= MAX_BANDWIDTH_FLOWS {
            self.tally.bandwidth_dropped += 1;
            return;
        }
        self.bandwidth.add(flow, transmitted, received);
    }

    /// Whether byte counting is on (the stream and datagram classifies return early if not).
    pub fn counts_bytes(&self) -> bool {
        self.options.byte_counting && self.attached().is_some()
    }

    // ----------------------------------------------------------------------------------------
    // The timer
    // ----------------------------------------------------------------------------------------

    /// The periodic timer: hold timeouts, deferred answers, cache clean-up.
    pub fn tick(&mut self, now: u64) -> Effects<P, I> {
        let mut effects = Effects::new();
        effects.releases.append(&mut self.deferred);
        let verdict = self.options.default_verdict;
        for released in self.pending.expire(now) {
            self.tally.driver.hold_timeouts += 1;
            self.log(
                severity::INFO,
                format!("request {} timed out: {verdict:?}", released.id),
            );
            let releases = self.release(released, verdict, now);
            effects.releases.extend(releases);
        }
        let due = now.saturating_sub(self.last_cleanup_ms) >= self.options.cleanup_interval_ms;
        if self.cleaning.is_some() || due {
            self.clean_slice(now);
        }
        self.deliver(&mut effects);
        effects
    }

    /// Whether the cache can take one more connection. A full one is cleaned first, at most
    /// once per [`FULL_CACHE_CLEAN_EVERY_MS`].
    pub(crate) fn cache_has_room(&mut self, now: u64) -> bool {
        if self.cache.len() < MAX_CACHE_ENTRIES {
            return true;
        }
        let cleaned_lately = self
            .last_full_clean_ms
            .is_some_and(|last| now.saturating_sub(last) < FULL_CACHE_CLEAN_EVERY_MS);
        if cleaned_lately {
            return false;
        }
        self.last_full_clean_ms = Some(now);
        self.clean(now);
        self.cache.len() < MAX_CACHE_ENTRIES
    }

    /// The connection cache, for tests that fill it past its limit.
    #[cfg(test)]
    pub(crate) fn cache_mut(&mut self) -> &mut ConnectionCache {
        &mut self.cache
    }

    /// Removes ended and idle connections (never one a request still waits for), and logs
    /// what a full cache dropped since the last time (CleanEndedConnections, and a full cache:
    /// the whole cache at once).
    pub fn clean(&mut self, now: u64) -> usize {
        self.log_evictions();
        let removed = self.cache.clean(now);
        let cache = &self.cache;
        self.endpoints.retain(|_, keys| {
            keys.retain(|key| cache.get(key).is_some());
            !keys.is_empty()
        });
        removed
    }

    /// One slice of the timer's clean-up, which [`Driver::clean`] does at once: at most
    /// [`CLEAN_SLICE`] cache entries and as many endpoints. The pass ends once each part has
    /// been through its map; the next is due a cleanup interval after this one began.
    fn clean_slice(&mut self, now: u64) {
        let (cache_done, endpoints_done) = match self.cleaning {
            Some(parts) => parts,
            None => {
                self.last_cleanup_ms = now;
                self.log_evictions();
                (false, false)
            }
        };
        let cache_done = cache_done || self.cache.clean_slice(now, CLEAN_SLICE).finished;
        let cache = &self.cache;
        let endpoints_done = endpoints_done
            || retain_slice(
                &mut self.endpoints,
                &mut self.endpoint_clean_cursor,
                CLEAN_SLICE,
                |_, keys| {
                    keys.retain(|key| cache.get(key).is_some());
                    !keys.is_empty()
                },
            )
            .finished;
        self.cleaning = (!cache_done || !endpoints_done).then_some((cache_done, endpoints_done));
    }

    /// Logs what a full cache dropped since the last clean-up, once.
    fn log_evictions(&mut self) {
        let evicted = self.cache.take_unreported_evictions();
        if evicted > 0 {
            self.log(
                severity::WARNING,
                format!(
                    "the connection cache was full: {} connections were dropped from it since \
                     the last clean-up (one for each new one: of a few looked at, an ended one, \
                     else the one idle longest)",
                    evicted
                ),
            );
        }
    }

    /// Unload: answers everything held with the detached verdict and every read with
    /// end-of-file.
    pub fn unload(&mut self, now: u64) -> Effects<P, I> {
        let mut effects = Effects::new();
        effects.releases.append(&mut self.deferred);
        self.detach(&mut effects, now);
        effects
    }

    /// The Counters info values (the protocol README's order, nine of them).
    pub fn counters(&self) -> Counters {
        counters(
            self.queue.counters(),
            &self.tally.driver,
            self.pending.len(),
            self.cache.len(),
        )
    }

    /// Byte counts refused because the bandwidth accounts were full.
    pub fn bandwidth_dropped(&self) -> u64 {
        self.tally.bandwidth_dropped
    }
}

/// The classify outcome of a verdict (temporary or permanent alike: a temporary verdict holds
/// for the connection it answered; a new connection is asked again).
pub fn outcome_of(verdict: Verdict) -> Outcome {
    outcome_of_action(Decision::of(verdict).action)
}

/// The classify outcome of an action.
pub fn outcome_of_action(action: Action) -> Outcome {
    match action {
        Action::Accept => Outcome::Permit,
        Action::Block => Outcome::Block,
        Action::Drop => Outcome::Drop,
    }
}
