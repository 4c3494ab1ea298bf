//! The daemon's decision logic on top of the shared core: what happens to a held packet, to a
//! command from the client, to a timeout, to a client that leaves. It makes no system calls:
//! packets are answered through [`Answer`] and infos go to the [`BlockingInfoQueue`], so the unit
//! tests below drive it with a recording answerer.
//!
//! A new connection is decided by the policy in force (`zenithfence_core::policy`): a rule
//! answers it at once, for good; otherwise a connected client is asked, and without a client
//! the policy's blocklist blocks it for good if it lists it, else the policy's no-app action
//! applies (the `--detached` setting when there is no policy).
//!
//! While the client has not yet put in force the network the daemon last told it about (its
//! seen epoch is behind, `zenithfence_core::network`), the policy decides no new connection: each
//! is asked about, so the rules of the profile the app is leaving do not decide on the network it
//! is joining.
//!
//! Invariant: every packet handed to [`Engine::decide_new`] or [`Engine::quick_decision`] is
//! answered exactly once: at once, by a Verdict, by the hold timeout, or when the client leaves.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Weak};

use zenithfence_core::blocking_queue::BlockingInfoQueue;
use zenithfence_core::cache::{ConnectionCache, EVICTION_SAMPLE, MAX_ENTRIES};
use zenithfence_core::commands::{granted_features, hello_reply, hello_text};
use zenithfence_core::counters::{counters, DriverTally};
use zenithfence_core::decision::{Action, Decision};
use zenithfence_core::dns_log::dns_exchange_info;
use zenithfence_core::dns_queries::AnsweredQuery;
use zenithfence_core::flow::{FlowKey, IpAddress};
use zenithfence_core::infos::{
    connection_end_info, connection_info, rule_decided_info, ConnectionFacts, RuleVerdict,
};
use zenithfence_core::network::{NetworkEpochs, SeenEpoch};
use zenithfence_core::pending::{Held, PendingTable, Released};
use zenithfence_core::policy::{
    NameTable, PolicyConnection, PolicyEnforcer, PolicyOrigin, PolicyVerdict, PreparedPolicy,
    RuleNames,
};
use zenithfence_core::sliced::retain_slice;
use zenithfence_protocol::constants::{driver_kind, feature, payload_layer};
use zenithfence_protocol::{Counters, Direction, DnsName, Info, NetworkFacts, Process, Verdict};

use crate::log::{Log, Severity};

/// A packet held in the kernel queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeldPacket {
    /// The kernel's packet id.
    pub(crate) packet_id: u32,
    /// The packet's mark when queued (its other bits must survive our verdict).
    pub(crate) mark: u32,
}

/// Answers held packets in the kernel.
pub(crate) trait Answer: Send + Sync {
    /// Applies `action` to `packet`; `permanent` marks the flow decided for good.
    fn answer(&self, packet: HeldPacket, action: Action, permanent: bool);
}

/// What the daemon knows of the process behind a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Attribution {
    /// Process id, 0 when unknown.
    pub(crate) pid: u64,
    /// The kernel's cookie of the socket, when it was found: socket-destroy events carry it,
    /// also when their addresses are already cleared (a connection closed by a reset).
    pub(crate) cookie: Option<u64>,
    /// The socket found is a connection's own, not the listener an inbound packet with no
    /// connection behind it falls back to (so a stray segment is not taken for one).
    pub(crate) connected: bool,
    /// The interface of the held packet (0 when unknown), kept with the cached flow: later
    /// lookups of its socket (byte counts) name it, since a socket bound to an interface is
    /// found only so.
    pub(crate) interface: u32,
    /// Details for the Process info, when known; shared with the attributor's cache, and
    /// copied only when a client is told of the process.
    pub(crate) process: Option<Arc<Process>>,
}

impl Attribution {
    /// The executable path policy rules are matched against; None when the process is unknown.
    fn app(&self) -> Option<&str> {
        self.process
            .as_ref()
            .map(|p| p.path.as_str())
            .filter(|path| !path.is_empty())
    }
}

/// The two clocks a decision needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Time {
    /// Milliseconds since the daemon started (hold deadlines, the cache, DNS name lifetimes).
    pub(crate) now_ms: u64,
    /// Milliseconds since the Unix epoch (policy rules expire at a wall-clock time).
    pub(crate) wall_ms: u64,
}

/// Fixed settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EngineOptions {
    /// How long a packet waits for a verdict.
    pub(crate) hold_timeout_ms: u64,
    /// The answer on hold timeout or full queue.
    pub(crate) default_action: Action,
    /// The answer while no client is connected and no policy is in force.
    pub(crate) detached_action: Action,
    /// Never grant extension features.
    pub(crate) base_only: bool,
}

/// The largest number of packets one flow may have waiting. A UDP sender whose first
/// datagram waits for an answer keeps sending; its socket buffer (~200 KiB) stops it after
/// about 150 datagrams of 1 KiB, so a cap above that never drops a burst while the user thinks
/// (64 did: a measured 1 MB burst lost 29 datagrams), and still bounds a hostile flow.
const MAX_PACKETS_PER_FLOW: usize = 512;
/// Cache entries (and cookies) one slice of the periodic clean-up looks at: about 0.2 ms of
/// the engine's lock; a full cache takes 64 slices, one per wake-up of the packet thread.
pub(crate) const CLEAN_SLICE: usize = 4096;

/// Addresses whose DNS names are kept for host and domain rules (the oldest learned goes
/// first): as many as the app's name cache keeps (`app/engine/name-cache.ts`), with the same
/// five-minute minimum, so the two know the same names (about 8 MB at most).
const NAME_TABLE_CAPACITY: usize = 50_000;

/// Processes remembered as described to the client, at most (about 150 bytes each).
const DESCRIBED_LIMIT: usize = 16_384;

/// A Process info a client was told.
struct Told {
    /// The info sent (Weak: once the attributor drops it, only its allocation's header stays).
    info: Weak<Process>,
    /// A keyed hash of what the client knows from it (`Client::fingerprints`).
    fingerprint: u64,
}

#[derive(Default)]
struct Client {
    features: u32,
    /// Processes already described to this client, by pid. Compared by content, not by start
    /// time alone: an exec keeps the pid and the start time, and the client names a connection
    /// by the latest Process info of its pid, so the new program's must reach it, or its
    /// connections would be taken for the old program's. At most [`DESCRIBED_LIMIT`] entries.
    described: BTreeMap<u64, Told>,
    /// The keys of the fingerprints in `described`, random per client: a program cannot pick
    /// its arguments so that its info's fingerprint matches another program's.
    fingerprints: std::collections::hash_map::RandomState,
    /// The network facts queued to this client and the epoch it put in force.
    seen: SeenEpoch,
    /// The facts in force could not be queued (the queue was full of held packets): they go
    /// before the next question, which waits (or gets the default) until they can.
    facts_unsent: bool,
}

/// What a held request needs to be decided by the policy should its client leave.
struct Asked {
    app: Option<String>,
    direction: Direction,
}

/// The result of [`Engine::quick_decision`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Quick {
    /// The packet was answered (cache, policy, detached action) or joined a waiting request.
    Done,
    /// The process is needed (for the client or for an app rule): attribute it, then call
    /// [`Engine::decide_new`].
    Attribute,
}

/// Which parts of a periodic clean-up have finished their pass.
#[derive(Clone, Copy, Debug, Default)]
struct CleanPass {
    cache_done: bool,
    cookies_done: bool,
}

/// The decision state of the daemon.
pub(crate) struct Engine {
    options: EngineOptions,
    queue: Arc<BlockingInfoQueue>,
    answer: Box<dyn Answer>,
    log: Arc<Log>,
    pending: PendingTable<HeldPacket>,
    /// Facts of every pending request, by request id (see [`Engine::detach`]).
    asked: BTreeMap<u64, Asked>,
    /// Every decided connection (permanent verdicts decide later packets).
    pub(crate) cache: ConnectionCache,
    client: Option<Client>,
    tally: DriverTally,
    /// Socket cookie → flow, for connection ends.
    cookies: BTreeMap<u64, FlowKey>,
    /// The last cookie looked at to make room in `cookies` (see [`Engine::remember_cookie`]).
    cookie_cursor: Option<u64>,
    /// Where the next slice of the periodic clean-up looks at cookies.
    cookie_clean_cursor: Option<u64>,
    /// The periodic clean-up under way, if one is (see [`Engine::clean_slice`]).
    cleaning: Option<CleanPass>,
    /// The policy in force.
    policy: PolicyEnforcer,
    /// Address → names from every DNS answer the daemon believed, for host and domain rules.
    names: NameTable,
    /// The network the machine is on, numbered (none until the watcher first reports).
    network: NetworkEpochs,
    /// Set by [`Engine::shutdown`]: no client is admitted any more, so nothing new is held
    /// while the daemon stops.
    stopped: bool,
}

impl Engine {
    /// A new engine with no client and no policy.
    pub(crate) fn new(
        options: EngineOptions,
        queue: Arc<BlockingInfoQueue>,
        answer: Box<dyn Answer>,
        log: Arc<Log>,
    ) -> Self {
        Engine {
            options,
            queue,
            answer,
            log,
            pending: PendingTable::new(MAX_PACKETS_PER_FLOW),
            asked: BTreeMap::new(),
            cache: ConnectionCache::new(),
            client: None,
            tally: DriverTally::default(),
            cookies: BTreeMap::new(),
            cookie_cursor: None,
            cookie_clean_cursor: None,
            cleaning: None,
            policy: PolicyEnforcer::new(),
            names: NameTable::new(NAME_TABLE_CAPACITY),
            network: NetworkEpochs::new(),
            stopped: false,
        }
    }

    fn log(&self, severity: Severity, text: String) {
        self.log.write(severity, text);
    }

    /// Decides a packet without attributing its process where possible.
    pub(crate) fn quick_decision(
        &mut self,
        flow: FlowKey,
        direction: Direction,
        packet: HeldPacket,
        time: Time,
    ) -> Quick {
        if let Some(entry) = self.cache.touch(&flow, time.now_ms) {
            // A flow that ended and shows a new packet is a new connection on the same
            // addresses (a reused port): it is decided again.
            if entry.verdict.is_permanent() && entry.ended_ms.is_none() {
                let decision = Decision::of(entry.verdict);
                self.answer.answer(packet, decision.action, true);
                return Quick::Done;
            }
        }
        if self.client.is_some() {
            if self.pending.request_of(&flow).is_some() {
                let deadline = time.now_ms + self.options.hold_timeout_ms;
                match self.pending.hold(flow, packet, deadline) {
                    Held::Joined(_) | Held::New(_) => {}
                    // The flow already waits with many packets: drop this one (its sender
                    // retries, and a UDP sender is throttled by its socket buffer anyway).
                    Held::FlowFull(packet) => self.answer.answer(packet, Action::Drop, false),
                }
                return Quick::Done;
            }
            // The client is told which process it is, whatever decides.
            return Quick::Attribute;
        }
        if !self.policy.is_active() {
            self.answer
                .answer(packet, self.options.detached_action, false);
            return Quick::Done;
        }
        if self.policy.needs_process() {
            return Quick::Attribute;
        }
        // No rule names an app: the policy decides without a walk through /proc.
        self.decide_new(flow, direction, packet, Attribution::default(), &[], time);
        Quick::Done
    }

    /// What the policy says about a connection of `app` on `flow`.
    fn policy_verdict(
        &self,
        flow: &FlowKey,
        direction: Direction,
        app: Option<&str>,
        client_connected: bool,
        time: Time,
    ) -> PolicyVerdict {
        let mut names = Vec::new();
        self.names
            .names_of(&flow.remote_ip, time.now_ms, &mut names);
        let connection = PolicyConnection {
            app,
            direction,
            protocol: flow.protocol,
            remote_ip: flow.remote_ip,
            remote_port: flow.remote_port,
        };
        // No name for the address: the app may still know one (its cache keeps names by use,
        // ours by learning), so a host or domain rule that would come first is the app's to
        // decide while it is connected; without it such rules cannot match here anyway.
        let names = if names.is_empty() {
            RuleNames::Unseen
        } else {
            RuleNames::Seen(&names)
        };
        self.policy.decide(
            &connection,
            names,
            time.wall_ms,
            client_connected,
            self.options.detached_action,
        )
    }

    /// Decides a new connection (after [`Quick::Attribute`]): a policy rule answers it for
    /// good; else a connected client is asked; else the no-app action answers it.
    pub(crate) fn decide_new(
        &mut self,
        flow: FlowKey,
        direction: Direction,
        packet: HeldPacket,
        attribution: Attribution,
        ip_packet: &[u8],
        time: Time,
    ) {
        // The client may have come or gone, and the policy changed, while we attributed.
        let verdict = if self.policy_suspended() {
            PolicyVerdict::Ask
        } else {
            self.policy_verdict(
                &flow,
                direction,
                attribution.app(),
                self.client.is_some(),
                time,
            )
        };
        match verdict {
            PolicyVerdict::Rule {
                verdict,
                tag,
                generation,
            } => self.rule_decided(
                flow,
                direction,
                packet,
                attribution,
                verdict,
                tag,
                generation,
                time,
            ),
            PolicyVerdict::Listed => self.decided_for_good(
                flow,
                direction,
                packet,
                &attribution,
                Verdict::PermanentBlock,
                time,
            ),
            PolicyVerdict::NoApp(action) => self.answer.answer(packet, action, false),
            PolicyVerdict::Ask => self.ask(flow, direction, packet, attribution, ip_packet, time),
        }
    }

    /// Answers a new connection with a permanent `verdict` and caches it for the flow, as a
    /// client's permanent verdict would be (a rule's, or PermanentBlock for a listed one).
    fn decided_for_good(
        &mut self,
        flow: FlowKey,
        direction: Direction,
        packet: HeldPacket,
        attribution: &Attribution,
        verdict: Verdict,
        time: Time,
    ) {
        let decision = Decision::of(verdict);
        self.answer.answer(packet, decision.action, true);
        self.cache.insert_on(
            flow,
            verdict,
            attribution.pid,
            direction,
            attribution.interface,
            time.now_ms,
        );
        if let Some(cookie) = attribution.cookie {
            self.remember_cookie(cookie, flow);
        }
    }

    /// A policy rule decided a new connection: answered at once and cached like a client's
    /// permanent verdict; a client granted POLICY is told (Process, then RuleDecided).
    #[allow(
        clippy::too_many_arguments,
        reason = "the facts of one decision, used once"
    )]
    fn rule_decided(
        &mut self,
        flow: FlowKey,
        direction: Direction,
        packet: HeldPacket,
        attribution: Attribution,
        verdict: Verdict,
        tag: u32,
        generation: u64,
        time: Time,
    ) {
        self.decided_for_good(flow, direction, packet, &attribution, verdict, time);
        if self.features() & feature::POLICY == 0 {
            return;
        }
        // Told without waking the reader: nothing waits on these (see `push_quiet`). Without
        // its Process info the client would name the report after the pid's earlier program.
        if !self.describe_process(attribution.process, false) {
            return;
        }
        let info = rule_decided_info(
            &flow,
            attribution.pid,
            direction,
            RuleVerdict {
                verdict,
                tag,
                generation,
            },
        );
        // A lost RuleDecided costs the app a line in its live table; the queue counts it.
        let _ = self.queue.push_quiet(&info);
    }

    /// Holds a packet and reports it to the client.
    fn ask(
        &mut self,
        flow: FlowKey,
        direction: Direction,
        packet: HeldPacket,
        attribution: Attribution,
        ip_packet: &[u8],
        time: Time,
    ) {
        let deadline = time.now_ms + self.options.hold_timeout_ms;
        let id = match self.pending.hold(flow, packet, deadline) {
            Held::New(id) => id,
            Held::Joined(_) => return,
            Held::FlowFull(packet) => {
                self.answer.answer(packet, Action::Drop, false);
                return;
            }
        };
        self.asked.insert(
            id,
            Asked {
                app: attribution.app().map(String::from),
                direction,
            },
        );
        let described = self.describe_process(attribution.process, true);
        self.cache.insert_on(
            flow,
            Verdict::Undecided,
            attribution.pid,
            direction,
            attribution.interface,
            time.now_ms,
        );
        if let Some(cookie) = attribution.cookie {
            self.remember_cookie(cookie, flow);
        }
        let info = connection_info(
            &flow,
            &ConnectionFacts {
                id,
                pid: attribution.pid,
                direction,
                // The payload is the IP packet as NFQUEUE captured it.
                payload_layer: payload_layer::NETWORK,
                payload: ip_packet,
            },
        );
        // Refused facts first: a question queued ahead of them would be of a network the client
        // has not been told of (README "Network facts": stream order). A question without its
        // Process info would be taken for the pid's earlier program (after an exec): the same.
        if !described || !self.facts_queued() || self.queue.push(&info).is_err() {
            self.tally.queue_full_defaulted += 1;
            self.log(
                Severity::Warning,
                format!("queue to the app is full: connection {id} gets the default verdict"),
            );
            self.apply_default(id);
        }
    }

    /// Queues a Process info for `process` unless this client was told of it. `false` when the
    /// queue refused it (full): the client then knows the pid by an earlier info, if any, so
    /// what would name the pid must not be sent either. `true` otherwise (also when there is
    /// nothing to tell, or nobody to tell it to).
    fn describe_process(&mut self, process: Option<Arc<Process>>, wake: bool) -> bool {
        let Some(process) = process else { return true };
        let Some(client) = self.client.as_mut() else {
            return true;
        };
        if client.features & feature::PROCESS == 0 {
            return true;
        }
        // Pid 0 (unknown process) describes only the next connection, so it is always sent.
        // The info the attributor shares for a process's connections (one allocation, which
        // the Weak keeps from being reused for another) needs no fingerprint: the fingerprint
        // (hashing a command line can take microseconds) is taken once per new allocation.
        let fingerprints = &client.fingerprints;
        let fingerprint = |p: &Process| {
            std::hash::BuildHasher::hash_one(
                fingerprints,
                (p.start_time, p.uid, &p.path, &p.command_line),
            )
        };
        let mut known = None;
        if let Some(told) = client.described.get_mut(&process.process_id) {
            if std::ptr::eq(told.info.as_ptr(), Arc::as_ptr(&process)) {
                return true;
            }
            let print = fingerprint(&process);
            if print == told.fingerprint {
                told.info = Arc::downgrade(&process);
                return true;
            }
            known = Some(print);
        }
        let told = Told {
            info: Arc::downgrade(&process),
            fingerprint: known.unwrap_or_else(|| fingerprint(&process)),
        };
        let pid = process.process_id;
        // Refused (the queue counts it): the pid's entry goes, so its next use tries again.
        client.described.remove(&pid);
        let info = Info::Process(Arc::unwrap_or_clone(process));
        let queued = if wake {
            self.queue.push(&info)
        } else {
            self.queue.push_quiet(&info)
        };
        if queued.is_err() {
            return false;
        }
        if pid != 0 {
            let Some(client) = self.client.as_mut() else {
                return true;
            };
            if client.described.len() >= DESCRIBED_LIMIT {
                // Telling a process again costs one info; keeping every pid ever seen would grow
                // without bound on a machine that runs many short programs.
                client.described.clear();
            }
            client.described.insert(pid, told);
        }
        true
    }

    fn apply_default(&mut self, id: u64) {
        if let Some(released) = self.pending.decide(id) {
            let verdict = Decision::default_verdict(self.options.default_action);
            self.release(released, verdict);
        }
    }

    /// Answers every packet of a released request and records the verdict for the flow.
    fn release(&mut self, released: Released<HeldPacket>, verdict: Verdict) {
        self.asked.remove(&released.id);
        let decision = Decision::of(verdict);
        if decision.substituted {
            self.log(
                Severity::Warning,
                format!(
                    "verdict {verdict:?} for request {} is not supported here: blocked instead",
                    released.id
                ),
            );
        }
        for packet in released.packets {
            self.answer
                .answer(packet, decision.action, decision.permanent);
        }
        let recorded = if decision.substituted {
            Verdict::Block
        } else {
            verdict
        };
        self.cache.update(&released.flow, recorded);
    }

    /// Lets a packet we cannot parse pass, as the kernel would without us.
    pub(crate) fn answer_unparsable(&self, packet: HeldPacket) {
        self.answer.answer(packet, Action::Accept, false);
    }

    /// Applies the hold timeout; returns how many requests timed out.
    pub(crate) fn expire(&mut self, now_ms: u64) -> usize {
        let due = self.pending.expire(now_ms);
        let count = due.len();
        let verdict = Decision::default_verdict(self.options.default_action);
        for released in due {
            self.tally.hold_timeouts += 1;
            self.log(
                Severity::Info,
                format!("request {} timed out: {verdict:?}", released.id),
            );
            self.release(released, verdict);
        }
        count
    }

    /// A client connected: it starts with base infos only, until it says Hello. Returns false
    /// (and admits nobody) once the daemon is stopping.
    pub(crate) fn attach(&mut self) -> bool {
        if self.stopped {
            return false;
        }
        self.queue.reset();
        self.client = Some(Client::default());
        true
    }

    /// The client left (or sent Shutdown): everything it was asked is decided as if no client
    /// had been there (a policy rule, else the no-app action), and its stream ends.
    pub(crate) fn detach(&mut self, time: Time) {
        self.client = None;
        for released in self.pending.drain() {
            let asked = self.asked.remove(&released.id);
            let (app, direction) = asked.as_ref().map_or((None, Direction::Outbound), |a| {
                (a.app.as_deref(), a.direction)
            });
            let verdict = match self.policy_verdict(&released.flow, direction, app, false, time) {
                PolicyVerdict::Rule { verdict, .. } => verdict,
                PolicyVerdict::Listed => Verdict::PermanentBlock,
                PolicyVerdict::NoApp(action) => Decision::default_verdict(action),
                // Not without a client; answered as the setting says should it ever be.
                PolicyVerdict::Ask => Decision::default_verdict(self.options.detached_action),
            };
            self.release(released, verdict);
        }
        self.queue.shutdown();
    }

    /// Answers everything at daemon shutdown; from now on no client can attach again, so
    /// every packet is decided at once (by the policy, else the detached action).
    pub(crate) fn shutdown(&mut self, time: Time) {
        self.stopped = true;
        self.detach(time);
    }

    /// Whether the client has not yet put in force the network last queued to it: then the
    /// policy decides no new connection (README "Network facts").
    fn policy_suspended(&self) -> bool {
        self.client
            .as_ref()
            .is_some_and(|c| c.seen.suspends_policy(c.features))
    }

    /// The network facts as the watcher observes them now (their epoch is ignored). When they
    /// differ from the facts in force they get the next epoch, go to a client granted NETWORK
    /// (after everything queued before: connection infos after them were seen on this network)
    /// and are returned, to be logged.
    pub(crate) fn network_observed(&mut self, observed: NetworkFacts) -> Option<NetworkFacts> {
        let reported = self.network.observe(observed)?.clone();
        self.queue_network_facts();
        Some(reported)
    }

    /// Queues the facts in force to a client granted NETWORK and notes their epoch for it.
    fn queue_network_facts(&mut self) {
        let Some(facts) = self.network.current() else {
            return;
        };
        let Some(client) = self.client.as_mut() else {
            return;
        };
        if client.features & feature::NETWORK == 0 {
            return;
        }
        // Essential: refused only when the queue is full of held packets and other essential
        // infos, which the queue counts. The epoch counts as queued all the same: the client
        // must not be trusted to be on the network it was last told about. Refused facts are
        // not lost: they are queued again before any later question (`facts_queued`), so the
        // app never decides a connection of the new network by the old network's profile.
        client.facts_unsent = self.queue.push(&Info::NetworkFacts(facts.clone())).is_err();
        client.seen.queued(facts.epoch);
    }

    /// Whether the client has been queued the facts in force (or needs none): facts a full
    /// queue refused are queued again first. False while they still cannot be.
    fn facts_queued(&mut self) -> bool {
        let Some(client) = self.client.as_mut() else {
            return true;
        };
        if !client.facts_unsent {
            return true;
        }
        let Some(facts) = self.network.current() else {
            return true;
        };
        client.facts_unsent = self.queue.push(&Info::NetworkFacts(facts.clone())).is_err();
        !client.facts_unsent
    }

    /// Queues network facts a full queue refused, once there is room (the packet thread calls
    /// it at every wake-up, so they go out even when no new connection comes).
    pub(crate) fn resend_network_facts(&mut self) {
        let _ = self.facts_queued();
    }

    /// NetworkSeen: the client put the network of `epoch` in force. Refused (counted, logged,
    /// nothing changes) without NETWORK or for an epoch not queued to it.
    pub(crate) fn network_seen(&mut self, epoch: u32) {
        let Some(client) = self.client.as_mut() else {
            return;
        };
        match client.seen.network_seen(epoch, client.features) {
            Ok(()) => self.log(
                Severity::Debug,
                format!("client put network epoch {epoch} in force"),
            ),
            Err(refused) => self.reject_command(&refused.to_string()),
        }
    }

    /// Features granted to the client.
    pub(crate) fn features(&self) -> u32 {
        self.client.as_ref().map_or(0, |c| c.features)
    }

    /// Whether any request waits for a verdict (the packet thread then wakes often).
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Packets waiting for a verdict.
    #[cfg(test)]
    pub(crate) fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// Verdict: answers pending request `id`; false (counted, logged) for an unknown id.
    pub(crate) fn verdict(&mut self, id: u64, verdict: Verdict) -> bool {
        match self.pending.decide(id) {
            Some(released) => {
                self.tally.verdicts_applied += 1;
                self.release(released, verdict);
                true
            }
            None => {
                self.tally.commands_rejected += 1;
                self.log(
                    Severity::Error,
                    format!("verdict for unknown request {id} (answered already, timed out, or never sent)"),
                );
                false
            }
        }
    }

    /// UpdateV4/V6: overwrites a cached connection's verdict.
    pub(crate) fn update(&mut self, key: FlowKey, verdict: Verdict) {
        if !self.cache.update(&key, verdict) {
            self.log(
                Severity::Warning,
                format!("update for an unknown connection {key:?}"),
            );
        }
    }

    /// ClearCache: forgets every decided connection.
    pub(crate) fn clear_cache(&mut self) {
        self.cache.clear();
        self.cookies.clear();
    }

    /// PrintMemoryStats: one log line.
    pub(crate) fn print_memory_stats(&self) {
        self.log(
            Severity::Info,
            format!(
                "{} requests pending, {} connections cached, {} addresses named, policy generation {}",
                self.pending.len(),
                self.cache.len(),
                self.names.len(),
                self.policy.generation()
            ),
        );
    }

    /// Hello: grants features, answers with HelloReply, with POLICY the PolicyState, with
    /// NETWORK the network facts in force (the seen epoch starts at 0 again).
    pub(crate) fn hello(&mut self, ext_version: u16, wanted: u32) {
        let granted = granted_features(wanted, feature::ALL, self.options.base_only);
        if let Some(client) = self.client.as_mut() {
            client.features = granted;
            client.described.clear();
            // Seen epoch 0 at every Hello: the facts below are new to this grant.
            client.seen = SeenEpoch::default();
        }
        self.log(Severity::Info, hello_text(ext_version, wanted, granted));
        let _ = self
            .queue
            .push(&hello_reply(granted, driver_kind::LINUX_DAEMON));
        self.queue_policy_state();
        self.queue_network_facts();
    }

    /// GetCounters: a Counters info, when granted.
    pub(crate) fn get_counters(&self) {
        if self.features() & feature::COUNTERS != 0 {
            let _ = self.queue.push(&Info::Counters(self.counters()));
        } else {
            self.log(
                Severity::Warning,
                "GetCounters without the COUNTERS feature".into(),
            );
        }
    }

    /// Counts a command that could not be decoded.
    pub(crate) fn reject_command(&mut self, reason: &str) {
        self.tally.commands_rejected += 1;
        self.log(Severity::Error, format!("rejected command: {reason}"));
    }

    /// The Counters info values.
    pub(crate) fn counters(&self) -> Counters {
        counters(
            self.queue.counters(),
            &self.tally,
            self.pending.len(),
            self.cache.len(),
        )
    }

    /// Puts a checked policy in force at once (the packet thread sees the old one or this
    /// one). The policy it replaces is returned, to be freed after the lock is released.
    pub(crate) fn install_policy(
        &mut self,
        prepared: Box<PreparedPolicy>,
        origin: PolicyOrigin,
    ) -> Option<Box<PreparedPolicy>> {
        self.policy.install(prepared, origin)
    }

    /// A document was dropped (`problem` of the PolicyState); the policy in force stays.
    pub(crate) fn policy_refused(&mut self, problem: u8, generation: u64) {
        self.policy.refused(problem, generation);
    }

    /// The policy in force could not be stored.
    pub(crate) fn policy_not_saved(&mut self) {
        self.policy.not_saved();
    }

    /// Queues a PolicyState, to a client granted POLICY.
    pub(crate) fn queue_policy_state(&self) {
        if self.features() & feature::POLICY != 0 {
            let state = self.policy.state(self.options.detached_action);
            let _ = self.queue.push(&Info::PolicyState(state));
        }
    }

    /// Remembers the flow of a socket cookie, for its end. The map is bounded like the cache
    /// (a flood between clean-ups would otherwise grow it by rate × a minute), and the same way,
    /// a few entries per new one rather than a pass over all: once it holds [`MAX_ENTRIES`]
    /// cookies, of the next [`EVICTION_SAMPLE`] after the last ones looked at (wrapping), those
    /// of flows the cache no longer holds go, or, if all are still cached, the oldest of them
    /// (the kernel hands cookies out in increasing order, in per-CPU batches: the smallest is
    /// only roughly the oldest).
    fn remember_cookie(&mut self, cookie: u64, flow: FlowKey) {
        if self.cookies.len() >= MAX_ENTRIES && !self.cookies.contains_key(&cookie) {
            let after = self.cookie_cursor.map_or(Bound::Unbounded, Bound::Excluded);
            let mut sample = [0u64; EVICTION_SAMPLE];
            let mut stale = [false; EVICTION_SAMPLE];
            let mut taken = 0;
            let looked_at = self
                .cookies
                .range((after, Bound::Unbounded))
                .chain(self.cookies.iter())
                .take(EVICTION_SAMPLE);
            for ((slot, is_stale), (&seen, flow)) in
                sample.iter_mut().zip(stale.iter_mut()).zip(looked_at)
            {
                *slot = seen;
                *is_stale = self.cache.get(flow).is_none();
                taken += 1;
            }
            let sample = sample.get(..taken).unwrap_or_default();
            self.cookie_cursor = sample.last().copied();
            let mut dropped = false;
            for (seen, _) in sample.iter().zip(stale).filter(|(_, stale)| *stale) {
                dropped |= self.cookies.remove(seen).is_some();
            }
            if !dropped {
                if let Some(oldest) = sample.iter().min() {
                    self.cookies.remove(oldest);
                }
            }
        }
        self.cookies.insert(cookie, flow);
    }

    /// The flow a socket cookie was seen with, if any.
    pub(crate) fn flow_of_cookie(&self, cookie: u64) -> Option<FlowKey> {
        self.cookies.get(&cookie).copied()
    }

    /// Removes cache entries ended over a minute ago or idle over ten minutes, the cookies
    /// that pointed at them, and DNS names past their lifetime (CleanEndedConnections: the
    /// whole cache at once).
    pub(crate) fn clean(&mut self, now_ms: u64) -> usize {
        self.log_evictions();
        let removed = self.cache.clean(now_ms);
        let cache = &self.cache;
        self.cookies.retain(|_, flow| cache.get(flow).is_some());
        self.names.clean(now_ms);
        removed
    }

    /// One slice of the periodic clean-up, which [`Engine::clean`] does at once: at most
    /// [`CLEAN_SLICE`] cache entries and as many cookies, so the packet thread never holds the
    /// engine's lock for a pass over a large cache (11.6–14.0 ms for a full one, plus the
    /// cookies'). Returns whether the pass is done: the caller calls again until it is.
    pub(crate) fn clean_slice(&mut self, now_ms: u64) -> bool {
        let pass = match self.cleaning {
            Some(pass) => pass,
            None => {
                self.log_evictions();
                CleanPass::default()
            }
        };
        let cache_done = pass.cache_done || self.cache.clean_slice(now_ms, CLEAN_SLICE).finished;
        let cache = &self.cache;
        // Each part stops once its own pass is done; cookies of entries the cache's pass
        // removes after the cookies' went by are caught by the next pass.
        let cookies_done = pass.cookies_done
            || retain_slice(
                &mut self.cookies,
                &mut self.cookie_clean_cursor,
                CLEAN_SLICE,
                |_, flow| cache.get(flow).is_some(),
            )
            .finished;
        if cache_done && cookies_done {
            self.names.clean(now_ms);
            self.cleaning = None;
            return true;
        }
        self.cleaning = Some(CleanPass {
            cache_done,
            cookies_done,
        });
        false
    }

    /// Logs what a full cache dropped since the last clean-up, once.
    fn log_evictions(&mut self) {
        let evicted = self.cache.take_unreported_evictions();
        if evicted > 0 {
            self.log(
                Severity::Warning,
                format!(
                    "the connection cache was full ({} entries): {} connections were dropped \
                     from it since the last clean-up (one for each new one: of a few looked at, \
                     an ended one, else the one idle longest; they are decided again should \
                     they show another packet)",
                    MAX_ENTRIES, evicted
                ),
            );
        }
    }

    /// A connection ended: report it (if we decided it, and only its first end: two ends on
    /// one key can come in the same millisecond) and remember when.
    pub(crate) fn connection_ended(&mut self, flow: FlowKey, now_ms: u64) {
        let ended_before = self.cache.get(&flow).is_some_and(|e| e.ended_ms.is_some());
        let Some(entry) = self.cache.mark_ended(&flow, now_ms) else {
            return;
        };
        if self.client.is_none() || ended_before {
            return;
        }
        let _ = self.queue.push_quiet(&connection_end_info(
            &flow,
            entry.process_id,
            entry.direction,
        ));
    }

    /// A believed DNS answer: its names (see [`Engine::dns_name`]), then, to a client granted
    /// DNS_LOG, the exchange, after a Process info for its pid (as for a connection info; none
    /// for pid 0). `asker` is the process of the asking socket, looked up by the caller (only
    /// while DNS_LOG was granted: None gives pid 0).
    pub(crate) fn dns_answer(
        &mut self,
        answered: AnsweredQuery,
        asker: Option<Attribution>,
        now_ms: u64,
    ) {
        let asker = asker.unwrap_or_default();
        let exchange = if self.features() & feature::DNS_LOG != 0 {
            dns_exchange_info(&answered, asker.pid)
        } else {
            None
        };
        for record in answered.records {
            self.dns_name(record.name, record.address, record.ttl_s, now_ms);
        }
        let Some(exchange) = exchange else { return };
        if asker.pid != 0 && !self.describe_process(asker.process, true) {
            return;
        }
        // A lost exchange costs the app a line of its DNS log; the queue counts it.
        let _ = self.queue.push(&exchange);
    }

    /// A DNS answer mapped `name` to `address`: kept for host and domain rules whatever the
    /// client asked for, and sent to a client granted DNS.
    pub(crate) fn dns_name(&mut self, name: String, address: IpAddress, ttl_s: u32, now_ms: u64) {
        self.names.learn(address, &name, ttl_s, now_ms);
        if self.features() & feature::DNS == 0 {
            return;
        }
        let info = match address {
            IpAddress::V4(ip) => Info::DnsNameV4(DnsName { ttl_s, ip, name }),
            IpAddress::V6(ip) => Info::DnsNameV6(DnsName { ttl_s, ip, name }),
        };
        let _ = self.queue.push(&info);
    }
}

#[cfg(test)]
#[path = "engine_policy_tests.rs"]
mod policy_tests;

#[cfg(test)]
#[path = "engine_blocklist_tests.rs"]
mod blocklist_tests;

#[cfg(test)]
#[path = "engine_dns_log_tests.rs"]
mod dns_log_tests;

#[cfg(test)]
#[path = "engine_network_tests.rs"]
mod network_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
pub(super) mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;
    use zenithfence_core::blocking_queue::ReadOutcome;
    use zenithfence_protocol::{InfoReader, ReadItem};

    #[derive(Default)]
    pub(super) struct Recorder(Mutex<Vec<(u32, Action, bool)>>);

    impl Answer for Arc<Recorder> {
        fn answer(&self, packet: HeldPacket, action: Action, permanent: bool) {
            self.0
                .lock()
                .unwrap()
                .push((packet.packet_id, action, permanent));
        }
    }

    pub(super) struct Fixture {
        pub(super) engine: Engine,
        pub(super) answers: Arc<Recorder>,
        pub(super) queue: Arc<BlockingInfoQueue>,
    }

    pub(super) fn fixture(capacity: usize, base_only: bool) -> Fixture {
        let answers = Arc::new(Recorder::default());
        let queue = Arc::new(BlockingInfoQueue::new(capacity));
        let options = EngineOptions {
            hold_timeout_ms: 1_000,
            default_action: Action::Drop,
            detached_action: Action::Accept,
            base_only,
        };
        let engine = Engine::new(
            options,
            Arc::clone(&queue),
            Box::new(Arc::clone(&answers)),
            Arc::new(Log::new(Severity::Error)),
        );
        Fixture {
            engine,
            answers,
            queue,
        }
    }

    /// Every info queued so far (read, so the next call sees only newer ones).
    pub(super) fn infos_in(queue: &BlockingInfoQueue) -> Vec<Info> {
        let mut reader = InfoReader::new();
        let mut items: Vec<ReadItem> = Vec::new();
        let mut buf = [0u8; 4096];
        while let ReadOutcome::Data(n) = queue.read(&mut buf, Duration::ZERO) {
            reader.push(&buf[..n], &mut items);
        }
        items.into_iter().map(Result::unwrap).collect()
    }

    /// Both clocks at `ms` (the tests' wall clock starts at the epoch).
    pub(super) fn t(ms: u64) -> Time {
        Time {
            now_ms: ms,
            wall_ms: ms,
        }
    }

    impl Fixture {
        pub(super) fn answers(&self) -> Vec<(u32, Action, bool)> {
            self.answers.0.lock().unwrap().clone()
        }

        pub(super) fn infos(&self) -> Vec<Info> {
            infos_in(&self.queue)
        }

        /// A new packet of `flow(port)`, through the packet thread's two steps.
        pub(super) fn packet(
            &mut self,
            port: u16,
            packet_id: u32,
            now: u64,
            attribution: Attribution,
        ) -> Quick {
            self.packet_of(flow(port), packet_id, now, attribution)
        }

        pub(super) fn packet_of(
            &mut self,
            flow: FlowKey,
            packet_id: u32,
            now: u64,
            attribution: Attribution,
        ) -> Quick {
            let held = HeldPacket { packet_id, mark: 0 };
            let quick = self
                .engine
                .quick_decision(flow, Direction::Outbound, held, t(now));
            if quick == Quick::Attribute {
                self.engine.decide_new(
                    flow,
                    Direction::Outbound,
                    held,
                    attribution,
                    &[0x45],
                    t(now),
                );
            }
            quick
        }
    }

    pub(super) fn flow(port: u16) -> FlowKey {
        FlowKey {
            protocol: 6,
            local_ip: IpAddress::V4([10, 0, 0, 1]),
            local_port: port,
            remote_ip: IpAddress::V4([10, 0, 0, 2]),
            remote_port: 80,
        }
    }

    pub(super) fn process(pid: u64, start_time: u64) -> Attribution {
        Attribution {
            pid,
            cookie: Some(pid * 100),
            connected: true,
            interface: 3,
            process: Some(Arc::new(Process {
                process_id: pid,
                start_time,
                uid: 1000,
                path: "/usr/bin/curl".into(),
                command_line: vec!["curl".into()],
            })),
        }
    }

    #[test]
    fn without_a_client_packets_get_the_detached_action_at_once() {
        let mut f = fixture(16, false);
        assert_eq!(f.packet(1, 10, 0, Attribution::default()), Quick::Done);
        assert_eq!(f.answers(), vec![(10, Action::Accept, false)]);
        assert!(f.infos().is_empty());
    }

    #[test]
    fn a_verdict_answers_every_packet_of_the_flow_once() {
        let mut f = fixture(16, false);
        f.engine.attach();
        assert_eq!(f.packet(1, 10, 0, Attribution::default()), Quick::Attribute);
        assert_eq!(f.packet(1, 11, 5, Attribution::default()), Quick::Done);
        let infos = f.infos();
        assert_eq!(infos.len(), 1, "one info per flow");
        let Info::ConnectionV4(c) = &infos[0] else {
            panic!("{infos:?}")
        };
        assert_eq!((c.id, c.local_port, c.payload_layer), (1, 1, 3));
        assert!(f.engine.verdict(1, Verdict::Block));
        assert_eq!(
            f.answers(),
            vec![(10, Action::Block, false), (11, Action::Block, false)]
        );
        assert!(!f.engine.verdict(1, Verdict::Accept));
        assert_eq!(f.answers().len(), 2, "answered exactly once");
        assert_eq!(f.engine.counters().values[5], 1, "rejected command counted");
    }

    #[test]
    fn a_permanent_verdict_decides_later_packets_without_asking() {
        let mut f = fixture(16, false);
        f.engine.attach();
        f.packet(1, 10, 0, Attribution::default());
        f.engine.verdict(1, Verdict::PermanentDrop);
        f.infos();
        assert_eq!(f.packet(1, 11, 2, Attribution::default()), Quick::Done);
        assert_eq!(
            f.answers(),
            vec![(10, Action::Drop, true), (11, Action::Drop, true)]
        );
        assert!(f.infos().is_empty());
        // A temporary verdict asks again.
        f.packet(2, 12, 3, Attribution::default());
        f.engine.verdict(2, Verdict::Accept);
        assert_eq!(f.packet(2, 13, 5, Attribution::default()), Quick::Attribute);
    }

    #[test]
    fn the_hold_timeout_applies_the_default_action() {
        let mut f = fixture(16, false);
        f.engine.attach();
        f.packet(1, 10, 0, Attribution::default());
        assert_eq!(f.engine.expire(999), 0);
        assert_eq!(f.engine.expire(1_000), 1);
        assert_eq!(f.answers(), vec![(10, Action::Drop, false)]);
        assert_eq!(f.engine.counters().values[3], 1);
    }

    #[test]
    fn a_full_queue_gives_the_default_verdict_and_counts_it() {
        let mut f = fixture(1, false);
        f.engine.attach();
        f.packet(1, 10, 0, Attribution::default());
        f.packet(2, 11, 0, Attribution::default());
        assert_eq!(f.answers(), vec![(11, Action::Drop, false)]);
        assert_eq!(f.engine.counters().values[2], 1);
        assert_eq!(f.engine.pending_requests(), 1);
    }

    /// A Process info the full queue refused is not taken as told: the question that needed it
    /// gets the default verdict, and the process is described at its next connection.
    #[test]
    fn a_process_info_the_queue_refused_is_sent_with_the_next_connection() {
        let mut f = fixture(3, false);
        f.engine.attach();
        f.engine.hello(1, 0xff);
        f.infos();
        // Held questions of unknown processes fill the queue (pid 0 needs no Process info).
        let unknown = || Attribution {
            pid: 0,
            ..Attribution::default()
        };
        let mut id = 10;
        while f.answers().is_empty() {
            f.packet(u16::try_from(id).unwrap(), id, 0, unknown());
            id += 1;
        }
        let refused_unknown = f.answers().len();
        f.packet(900, 900, 0, process(42, 7));
        let answers = f.answers();
        assert_eq!(answers.len(), refused_unknown + 1);
        assert_eq!(
            answers.last(),
            Some(&(900, Action::Drop, false)),
            "{answers:?}"
        );
        // Room again: the app answers what it was asked.
        let asked: Vec<u64> = f
            .infos()
            .iter()
            .filter_map(|i| match i {
                Info::ConnectionV4(c) => Some(c.id),
                _ => None,
            })
            .collect();
        assert!(!asked.is_empty());
        for request in asked {
            f.engine.verdict(request, Verdict::Accept);
        }
        f.packet(901, 901, 0, process(42, 7));
        let infos = f.infos();
        let kinds: Vec<u8> = infos.iter().map(Info::info_type).collect();
        assert_eq!(kinds, [129, 1], "Process, then the connection: {infos:?}");
    }

    #[test]
    fn a_leaving_client_gets_everything_answered_with_the_detached_policy() {
        let mut f = fixture(16, false);
        f.engine.attach();
        for port in 1..=5 {
            f.packet(port, u32::from(port), 0, Attribution::default());
        }
        f.engine.verdict(3, Verdict::Accept);
        f.engine.detach(t(0));
        let mut answered: Vec<u32> = f.answers().iter().map(|a| a.0).collect();
        answered.sort_unstable();
        assert_eq!(answered, vec![1, 2, 3, 4, 5]);
        assert_eq!(f.engine.pending_requests(), 0);
    }

    #[test]
    fn after_shutdown_no_client_is_admitted_and_nothing_is_held() {
        let mut f = fixture(16, false);
        assert!(f.engine.attach());
        f.packet(1, 10, 0, Attribution::default());
        f.engine.shutdown(t(0));
        assert!(
            !f.engine.attach(),
            "a client reconnecting while the daemon stops"
        );
        assert_eq!(f.packet(2, 11, 1, Attribution::default()), Quick::Done);
        assert_eq!(
            f.answers(),
            vec![(10, Action::Accept, false), (11, Action::Accept, false)]
        );
        assert_eq!(f.engine.pending_requests(), 0);
    }

    #[test]
    fn hello_grants_features_and_processes_are_described_once() {
        let mut f = fixture(16, false);
        f.engine.attach();
        f.packet(1, 10, 0, process(42, 7));
        assert!(
            matches!(f.infos().as_slice(), [Info::ConnectionV4(_)]),
            "no Process info before Hello"
        );
        // Held, the flow is cached with its packet's interface (its socket's later lookups).
        assert_eq!(f.engine.cache.get(&flow(1)).unwrap().interface, 3);
        f.engine.hello(1, 0xff);
        f.packet(2, 11, 0, process(42, 7));
        f.packet(3, 12, 0, process(42, 7));
        f.packet(4, 13, 0, process(42, 8));
        // The same pid and start time running another program (an exec): described again.
        let mut exec = process(42, 8);
        exec.process = exec.process.map(|p| {
            Arc::new(Process {
                path: "/usr/bin/python3".into(),
                ..(*p).clone()
            })
        });
        f.packet(5, 14, 0, exec.clone());
        f.packet(6, 15, 0, exec);
        let infos = f.infos();
        let kinds: Vec<u8> = infos.iter().map(Info::info_type).collect();
        // HelloReply, then the PolicyState (POLICY is granted), then Process before Connection.
        assert_eq!(kinds, vec![128, 133, 129, 1, 1, 129, 1, 129, 1, 1]);
        let Info::Process(python) = &infos[7] else {
            panic!()
        };
        assert_eq!(
            (python.process_id, python.path.as_str()),
            (42, "/usr/bin/python3")
        );
        let Info::HelloReply(reply) = &infos[0] else {
            panic!()
        };
        assert_eq!(reply.features, feature::ALL);
        let Info::ConnectionV4(c) = &infos[3] else {
            panic!()
        };
        assert_eq!(c.process_id, 42);
    }

    #[test]
    fn base_only_grants_nothing() {
        let mut f = fixture(16, true);
        f.engine.attach();
        f.engine.hello(1, 7);
        let Info::HelloReply(reply) = &f.infos()[0] else {
            panic!()
        };
        assert_eq!(reply.features, 0);
        f.packet(1, 10, 0, process(42, 7));
        f.engine
            .dns_name("example.org".into(), IpAddress::V4([1, 2, 3, 4]), 60, 0);
        assert!(matches!(f.infos().as_slice(), [Info::ConnectionV4(_)]));
    }

    #[test]
    fn connection_ends_are_reported_once_for_decided_flows() {
        let mut f = fixture(16, false);
        f.engine.attach();
        f.packet(1, 10, 0, process(42, 7));
        f.engine.verdict(1, Verdict::PermanentAccept);
        f.infos();
        f.engine.connection_ended(flow(1), 50);
        // Again in the same millisecond (two ends on one key in one drain), and later.
        f.engine.connection_ended(flow(1), 50);
        f.engine.connection_ended(flow(1), 60);
        f.engine.connection_ended(flow(9), 60);
        let infos = f.infos();
        assert_eq!(infos.len(), 1);
        let Info::ConnectionEndV4(end) = &infos[0] else {
            panic!()
        };
        assert_eq!((end.process_id, end.local_port), (42, 1));
        assert_eq!(
            f.engine.flow_of_cookie(4200),
            Some(flow(1)),
            "found by its socket cookie"
        );
    }

    #[test]
    fn a_new_packet_on_an_ended_flow_is_asked_about_again() {
        let mut f = fixture(16, false);
        f.engine.attach();
        f.packet(1, 10, 0, Attribution::default());
        f.engine.verdict(1, Verdict::PermanentAccept);
        assert_eq!(
            f.packet(1, 11, 2, Attribution::default()),
            Quick::Done,
            "same connection"
        );
        f.engine.connection_ended(flow(1), 3);
        assert_eq!(
            f.packet(1, 12, 4, Attribution::default()),
            Quick::Attribute,
            "a reused port"
        );
    }

    #[test]
    fn cleaning_forgets_the_cookies_of_removed_connections() {
        let mut f = fixture(16, false);
        f.engine.attach();
        f.packet(1, 10, 0, process(42, 7));
        f.engine.verdict(1, Verdict::PermanentAccept);
        f.engine.connection_ended(flow(1), 10);
        assert_eq!(f.engine.clean(70_011), 1);
        assert_eq!(f.engine.flow_of_cookie(4200), None);
    }

    /// The warnings the engine logged so far (taken, so the next call sees only newer ones).
    fn warnings(engine: &Engine) -> Vec<String> {
        engine
            .log
            .take_infos()
            .into_iter()
            .filter_map(|info| match info {
                Info::LogLine(line) if line.severity == 4 => Some(line.text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_full_connection_cache_is_logged_once_per_clean_up_and_stays_within_its_limit() {
        let mut f = fixture(16, false);
        let limit = MAX_ENTRIES;
        let key = |i: usize| FlowKey {
            protocol: 17,
            local_ip: IpAddress::V4([10, 0, (i >> 16) as u8, (i >> 8) as u8]),
            local_port: (i & 0xff) as u16 + 1024,
            remote_ip: IpAddress::V4([10, 9, 9, 9]),
            remote_port: 53,
        };
        for i in 0..limit {
            f.engine
                .cache
                .insert(key(i), Verdict::PermanentAccept, 1, Direction::Outbound, 0);
        }
        f.engine.clean(1);
        assert!(
            warnings(&f.engine).is_empty(),
            "full, but nothing dropped yet"
        );
        for i in limit..limit + 10 {
            f.engine
                .cache
                .insert(key(i), Verdict::PermanentAccept, 1, Direction::Outbound, 2);
        }
        assert_eq!(f.engine.cache.len(), limit);
        f.engine.clean(3);
        let logged = warnings(&f.engine);
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(
            logged[0].contains("10 connections were dropped"),
            "{}",
            logged[0]
        );
        f.engine.clean(4);
        assert!(warnings(&f.engine).is_empty(), "nothing new to say");
    }

    #[test]
    fn a_cookie_flood_keeps_the_map_bounded_and_the_cookies_of_cached_flows() {
        let mut f = fixture(16, false);
        let cached = flow(1);
        f.engine
            .cache
            .insert(cached, Verdict::PermanentAccept, 1, Direction::Outbound, 0);
        // The cached flow's cookie is the oldest of all: it must outlive the flood anyway.
        f.engine.remember_cookie(1, cached);
        for cookie in 2..=(MAX_ENTRIES as u64 + 10) {
            f.engine.remember_cookie(cookie, flow(2));
            assert!(f.engine.cookies.len() <= MAX_ENTRIES);
        }
        assert_eq!(
            f.engine.flow_of_cookie(1),
            Some(cached),
            "its flow is cached"
        );
        assert_eq!(f.engine.flow_of_cookie(2), None, "its flow is not");
        let newest = MAX_ENTRIES as u64 + 10;
        assert_eq!(f.engine.flow_of_cookie(newest), Some(flow(2)), "just seen");
        // Every cookie names a cached flow: the oldest go.
        f.engine
            .cache
            .insert(flow(2), Verdict::PermanentAccept, 1, Direction::Outbound, 0);
        let first = newest + 1;
        for cookie in first..first + MAX_ENTRIES as u64 {
            f.engine.remember_cookie(cookie, flow(2));
        }
        assert!(f.engine.cookies.len() <= MAX_ENTRIES);
        assert!(f.engine.cookies.len() > MAX_ENTRIES / 2);
        assert_eq!(f.engine.flow_of_cookie(1), None, "the oldest went");
        let last = first + MAX_ENTRIES as u64 - 1;
        assert_eq!(f.engine.flow_of_cookie(last), Some(flow(2)));
    }

    #[test]
    fn the_periodic_clean_up_goes_in_slices_and_removes_what_one_pass_would() {
        let mut f = fixture(16, false);
        let key = |i: usize| FlowKey {
            protocol: 17,
            local_ip: IpAddress::V4([10, 0, (i >> 8) as u8, i as u8]),
            local_port: 5000,
            remote_ip: IpAddress::V4([10, 9, 9, 9]),
            remote_port: 53,
        };
        let count = CLEAN_SLICE * 2 + 10;
        for i in 0..count {
            f.engine
                .cache
                .insert(key(i), Verdict::PermanentAccept, 1, Direction::Outbound, 0);
            // Cookies for the first half only: the cookies' pass takes fewer slices than the
            // cache's, and the clean-up still ends with the cache's third.
            if i < CLEAN_SLICE + 4 {
                f.engine.remember_cookie(i as u64, key(i));
            }
            // Every third ended long ago; the rest stay active.
            if i % 3 == 0 {
                f.engine.cache.mark_ended(&key(i), 0);
            } else {
                f.engine.cache.touch(&key(i), 100_000);
            }
        }
        let mut slices = 1;
        while !f.engine.clean_slice(100_000) {
            slices += 1;
            assert!(slices <= 10, "the pass ends");
        }
        assert_eq!(slices, 3, "{count} entries, {CLEAN_SLICE} a slice");
        let ended = (0..count).filter(|i| i % 3 == 0).count();
        assert_eq!(f.engine.cache.len(), count - ended);
        for i in [0, 1, 3, CLEAN_SLICE + 2, CLEAN_SLICE + 3] {
            let cached = f.engine.cache.get(&key(i)).is_some();
            assert_eq!(cached, i % 3 != 0, "entry {i}");
            assert_eq!(
                f.engine.flow_of_cookie(i as u64).is_some(),
                cached,
                "cookie {i} follows its entry"
            );
        }
        // The next pass starts over and, with nothing to remove, ends as soon as it has looked
        // at everything.
        let mut slices = 1;
        while !f.engine.clean_slice(100_001) {
            slices += 1;
        }
        assert_eq!(slices, 2);
        assert_eq!(f.engine.cache.len(), count - ended);
    }
}
