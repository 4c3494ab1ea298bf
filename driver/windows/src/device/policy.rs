//! The policy in the driver (protocol README, "Policy"): receiving documents, installing them,
//! the stored one loaded at start, telling a POLICY client what is enforced, and deciding new
//! connections by the policy before anyone is asked.
//!
//! Locking: a PolicyPart is copied under the driver's lock ([`ReceivedPart`]); the kernel then
//! assembles and compiles the document in a [`PolicyInbox`] at PASSIVE_LEVEL without the
//! spin lock (serialised by its own lock, `kernel::policy`), and takes the spin lock again only
//! for [`Driver::policy_update`], a pointer swap. The policy it replaces leaves in the
//! [`Effects`], so it is freed after the lock is released.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use zenithfence_core::decision::{Action, Decision};
use zenithfence_core::flow::FlowKey;
use zenithfence_core::infos::{rule_decided_info, RuleVerdict};
use zenithfence_core::policy::{
    receive_part, PartResult, PolicyAssembler, PolicyConnection, PolicyOrigin, PolicyVerdict,
    PreparedPolicy, RuleNames,
};
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::{Info, PolicyPart, PolicyState, Verdict};

use super::{AleRequest, Driver, Effects};
use crate::boot_guard::{detached_at_start, guard_wanted};
use crate::irp::Irp;
use crate::log::severity;
use crate::stored_policy::StoredLoad;

/// A PolicyPart copied out of the write that carried it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedPart {
    generation: u64,
    total_len: u32,
    offset: u32,
    data: Vec<u8>,
}

impl ReceivedPart {
    /// Copies `part`.
    pub fn of(part: &PolicyPart<'_>) -> ReceivedPart {
        ReceivedPart {
            generation: part.generation,
            total_len: part.total_len,
            offset: part.offset,
            data: part.data.to_vec(),
        }
    }

    /// The part again, borrowing the copy.
    pub fn part(&self) -> PolicyPart<'_> {
        PolicyPart {
            generation: self.generation,
            total_len: self.total_len,
            offset: self.offset,
            data: &self.data,
        }
    }
}

/// What one part does to the policy in force.
pub enum PolicyUpdate {
    /// More parts are expected; nothing changes.
    Incomplete,
    /// A whole, checked document: put it in force.
    Install(Box<PreparedPolicy>),
    /// The document was dropped; the policy in force stays.
    Refused {
        /// PolicyState problem code.
        problem: u8,
        /// The generation it is about.
        generation: u64,
        /// One log line.
        text: String,
    },
}

/// The document being received, kept apart from the [`Driver`] so that assembling and
/// compiling never run under the driver's spin lock.
#[derive(Default)]
pub struct PolicyInbox {
    assembler: PolicyAssembler,
}

impl PolicyInbox {
    /// Nothing received yet.
    pub fn new() -> PolicyInbox {
        PolicyInbox::default()
    }

    /// Takes one part (the document is compiled when its last part arrives). The document's
    /// bytes are dropped here: on Windows the app writes the stored file (README, "The stored
    /// policy"), so the driver keeps only the compiled policy.
    pub fn receive(&mut self, part: &ReceivedPart) -> PolicyUpdate {
        match receive_part(&mut self.assembler, &part.part()) {
            PartResult::Incomplete => PolicyUpdate::Incomplete,
            PartResult::Ready { prepared, bytes } => {
                drop(bytes);
                PolicyUpdate::Install(prepared)
            }
            PartResult::Refused {
                problem,
                generation,
                text,
            } => PolicyUpdate::Refused {
                problem,
                generation,
                text,
            },
        }
    }
}

/// A replaced policy, carried in [`Effects`] so that it is freed after the lock is released.
pub struct RetiredPolicy(pub Box<PreparedPolicy>);

impl fmt::Debug for RetiredPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RetiredPolicy(generation {})", self.0.generation())
    }
}

impl<P, I: Irp> Driver<P, I> {
    /// The action of the detached setting (used while no policy is in force).
    fn detached_action(&self) -> Action {
        Decision::of(self.options.detached_verdict).action
    }

    /// The features granted to the client (0 without one).
    pub(super) fn granted(&self) -> u32 {
        self.attached().map_or(0, |s| s.features)
    }

    /// What PolicyState would say now.
    pub fn policy_state(&self) -> PolicyState {
        self.policy.state(self.detached_action())
    }

    /// Whether a new connection's app identity is worth reading: a rule names an app.
    pub fn policy_needs_app(&self) -> bool {
        self.policy.needs_process()
    }

    /// Whether the boot guard should be in place for the policy in force (`None`: no policy,
    /// leave it as it is). See [`crate::boot_guard`].
    pub fn guard_wanted(&self) -> Option<bool> {
        guard_wanted(&self.policy_state())
    }

    /// At start, after the stored policy was read: when none could be used but the boot guard
    /// is installed (the user chose to block while no app runs), the detached setting blocks
    /// too instead of accepting.
    pub fn guard_found_at_start(&mut self, guard_present: bool) {
        let configured = self.options.detached_verdict;
        let detached = detached_at_start(self.policy.is_active(), guard_present, configured);
        if detached != configured {
            self.options.detached_verdict = detached;
            self.log(
                severity::WARNING,
                format!("no usable stored policy but the boot guard is installed: detached setting {detached:?}"),
            );
        }
    }

    /// Queues a PolicyState for a client granted POLICY.
    pub(super) fn push_policy_state(&mut self) {
        if self.granted() & feature::POLICY != 0 {
            let state = self.policy_state();
            self.push(&Info::PolicyState(state));
        }
    }

    /// Applies what a part did: installs a document or records why it was dropped; a POLICY
    /// client is told either way (nothing while more parts are expected).
    pub fn policy_update(&mut self, update: PolicyUpdate) -> Effects<P, I> {
        let mut effects = Effects::new();
        match update {
            PolicyUpdate::Incomplete => return effects,
            PolicyUpdate::Install(prepared) => {
                let text = format!(
                    "policy generation {} in force: {}",
                    prepared.generation(),
                    prepared.contents()
                );
                effects.retired = self
                    .policy
                    .install(prepared, PolicyOrigin::Client)
                    .map(RetiredPolicy);
                self.log(severity::INFO, text);
            }
            PolicyUpdate::Refused {
                problem,
                generation,
                text,
            } => {
                self.policy.refused(problem, generation);
                self.log(severity::ERROR, text);
            }
        }
        self.push_policy_state();
        self.deliver(&mut effects);
        effects
    }

    /// Puts the stored policy read at start in force, or logs (once) why there is none; then
    /// the detached setting applies to every connection no policy decides.
    pub fn load_stored(&mut self, load: StoredLoad) -> Effects<P, I> {
        let mut effects = Effects::new();
        match load {
            StoredLoad::Loaded(prepared) => {
                let text = format!(
                    "stored policy generation {} in force: {}",
                    prepared.generation(),
                    prepared.contents()
                );
                effects.retired = self
                    .policy
                    .install(prepared, PolicyOrigin::Stored)
                    .map(RetiredPolicy);
                self.log(severity::INFO, text);
            }
            StoredLoad::Absent(text) => self.log(severity::INFO, text),
            StoredLoad::Unusable(text) => self.log(severity::ERROR, text),
        }
        effects
    }

    /// What the policy says about a new connection (`request.app` is its NT path, when read).
    pub(super) fn policy_verdict(
        &self,
        request: &AleRequest<'_>,
        client_connected: bool,
    ) -> PolicyVerdict {
        let connection = PolicyConnection {
            app: request.app,
            direction: request.direction,
            protocol: request.flow.protocol,
            remote_ip: request.flow.remote_ip,
            remote_port: request.flow.remote_port,
        };
        // The kernel sees no DNS answers: host and domain rules are the app's to decide, and
        // only the networks of a blocklist can match.
        self.policy.decide(
            &connection,
            RuleNames::Unseen,
            request.wall_ms,
            client_connected,
            self.detached_action(),
        )
    }

    /// Caches a permanent verdict the policy gave a new connection (a rule's, or PermanentBlock
    /// for a listed one), so the re-authorizations and packets that follow use it.
    pub(super) fn decided_for_good(
        &mut self,
        request: &AleRequest<'_>,
        key: FlowKey,
        now: u64,
        verdict: Verdict,
    ) {
        if self.cache_has_room(now) {
            self.remember(key, verdict, request.pid, request.direction, now);
        }
        // Not cached when full: the next authorization asks the policy again, same answer.
    }

    /// A rule decided a new connection: its permanent verdict is cached for the flow (the
    /// re-authorizations and packets that follow use it) and a POLICY client is told: a Process
    /// info first when it is also granted PROCESS and does not know the process yet.
    pub(super) fn rule_decided(
        &mut self,
        request: &AleRequest<'_>,
        key: FlowKey,
        now: u64,
        decided: (Verdict, u32, u64),
    ) {
        let (verdict, tag, generation) = decided;
        self.decided_for_good(request, key, now, verdict);
        if self.granted() & feature::POLICY != 0 {
            self.describe_process(request);
            let info = rule_decided_info(
                &request.flow,
                request.pid,
                request.direction,
                RuleVerdict {
                    verdict,
                    tag,
                    generation,
                },
            );
            self.push(&info);
        }
    }
}
