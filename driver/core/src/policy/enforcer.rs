//! The policy a driver enforces: the document in force, where it came from, and what went
//! wrong with the last one that failed. Compiling a document (`PreparedPolicy::from_bytes`)
//! takes milliseconds for 10 000 rules and needs no lock; installing it is a swap, done under
//! the lock that decides packets, so a connection sees the old policy or the new one.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;

use zenithfence_protocol::info_policy::{origin, problem};
use zenithfence_protocol::policy::{PolicyDocument, PolicyError, RuleAction};
use zenithfence_protocol::{PolicyState, Verdict};

use super::assembly::AssemblyError;
use super::blocklist::CompiledBlocklist;
use super::matcher::{CompiledPolicy, Outcome, PolicyConnection, RuleNames};
use crate::decision::{Action, Decision};

/// Where the policy in force came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// The stored file, read at start.
    Stored,
    /// A client sent it.
    Client,
}

/// A checked, compiled document, ready to install.
pub struct PreparedPolicy {
    generation: u64,
    no_app_action: Action,
    compiled: CompiledPolicy,
    blocklist: CompiledBlocklist,
}

impl PreparedPolicy {
    /// Decodes, checks and compiles a whole document.
    pub fn from_bytes(bytes: &[u8]) -> Result<PreparedPolicy, PolicyError> {
        let mut document = PolicyDocument::decode(bytes)?;
        let no_app_action = match document.no_app_action {
            2 => Action::Accept,
            4 => Action::Block,
            _ => Action::Drop,
        };
        // The decoded lists are freed once compiled, before the rules are.
        let blocklist = CompiledBlocklist::new(&core::mem::take(&mut document.blocklist));
        Ok(PreparedPolicy {
            generation: document.generation,
            no_app_action,
            compiled: CompiledPolicy::new(&document),
            blocklist,
        })
    }

    /// The document's generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Rules in the document.
    pub fn rule_count(&self) -> usize {
        self.compiled.len()
    }

    /// The compiled blocklists (empty without a section).
    pub fn blocklist(&self) -> &CompiledBlocklist {
        &self.blocklist
    }

    /// What the document holds, for log lines: "3 rules", and the lists when there are any
    /// ("3 rules, a blocklist of 10 names and 2 networks").
    pub fn contents(&self) -> String {
        let rules = self.rule_count();
        if self.blocklist.is_empty() {
            return format!("{rules} rules");
        }
        let (names, networks) = self.blocklist.listed();
        format!("{rules} rules, a blocklist of {names} names and {networks} networks")
    }
}

/// The PolicyState problem code of a refused document.
pub fn problem_of_policy_error(error: &PolicyError) -> u8 {
    match error {
        PolicyError::TooLarge(_) => problem::TOO_LARGE,
        PolicyError::Checksum => problem::CHECKSUM,
        PolicyError::Malformed { .. } => problem::MALFORMED,
    }
}

/// The PolicyState problem code and generation of a part that dropped its document.
pub fn problem_of_assembly_error(error: &AssemblyError) -> (u8, u64) {
    match *error {
        AssemblyError::TooLarge { generation } => (problem::TOO_LARGE, generation),
        AssemblyError::OutOfOrder { generation } => (problem::OUT_OF_ORDER, generation),
    }
}

/// What the policy says about a new connection, for the driver to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyVerdict {
    /// A rule decides: the permanent verdict, the rule's tag and the generation.
    Rule {
        /// PermanentAccept, PermanentBlock or PermanentDrop.
        verdict: Verdict,
        /// The rule's tag.
        tag: u32,
        /// The policy's generation.
        generation: u64,
    },
    /// Hold it and ask the client (a client is connected).
    Ask,
    /// No client, no rule, and the document's blocklist lists it: PermanentBlock, cached for
    /// the flow like a rule's verdict. Not `NoApp(Block)`: that is the no-app action, answered
    /// for the packet only, and a document whose no-app action is block could not be told
    /// apart from a listed connection.
    Listed,
    /// No client and no rule: the no-app action (the document's, or the driver's detached
    /// setting when there is no policy).
    NoApp(Action),
}

/// The policy in force and its state.
pub struct PolicyEnforcer {
    active: Option<(Box<PreparedPolicy>, PolicyOrigin)>,
    problem: u8,
    problem_generation: u64,
}

impl Default for PolicyEnforcer {
    fn default() -> Self {
        PolicyEnforcer::new()
    }
}

impl PolicyEnforcer {
    /// No policy: the detached setting applies to everything.
    pub fn new() -> PolicyEnforcer {
        PolicyEnforcer {
            active: None,
            problem: problem::NONE,
            problem_generation: 0,
        }
    }

    /// Puts `prepared` in force (replacing the policy before it) and clears the problem. The
    /// policy it replaces is returned, so the caller can free it after its lock is released.
    pub fn install(
        &mut self,
        prepared: Box<PreparedPolicy>,
        from: PolicyOrigin,
    ) -> Option<Box<PreparedPolicy>> {
        self.problem = problem::NONE;
        self.problem_generation = 0;
        self.active
            .replace((prepared, from))
            .map(|(previous, _)| previous)
    }

    /// Records that a document failed; the policy in force stays.
    pub fn refused(&mut self, problem_code: u8, generation: u64) {
        self.problem = problem_code;
        self.problem_generation = generation;
    }

    /// Records that the policy in force could not be stored (it will not survive a restart).
    pub fn not_saved(&mut self) {
        self.problem = problem::NOT_SAVED;
        self.problem_generation = self.generation();
    }

    /// The generation in force, 0 without a policy.
    pub fn generation(&self) -> u64 {
        self.active.as_ref().map_or(0, |(p, _)| p.generation)
    }

    /// Whether a policy is in force.
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// Whether it takes the process to decide without a client (a rule names an app).
    pub fn needs_process(&self) -> bool {
        self.active
            .as_ref()
            .is_some_and(|(p, _)| p.compiled.has_app_rules())
    }

    /// The PolicyState info's fields; `detached` is the driver's setting used without a policy.
    pub fn state(&self, detached: Action) -> PolicyState {
        let (generation, rule_count, action, from) = match &self.active {
            Some((p, from)) => (
                p.generation,
                u32::try_from(p.rule_count()).unwrap_or(u32::MAX),
                p.no_app_action,
                match from {
                    PolicyOrigin::Stored => origin::STORED,
                    PolicyOrigin::Client => origin::CLIENT,
                },
            ),
            None => (0, 0, detached, origin::NONE),
        };
        PolicyState {
            generation,
            rule_count,
            no_app_action: Decision::default_verdict(action) as u8,
            origin: from,
            problem: self.problem,
            problem_generation: self.problem_generation,
        }
    }

    /// Decides a new connection: by a rule, by asking the client, or by the no-app action.
    /// `wall_ms` is milliseconds since the Unix epoch (rule expiry).
    pub fn decide(
        &self,
        connection: &PolicyConnection<'_>,
        names: RuleNames<'_>,
        wall_ms: u64,
        client_connected: bool,
        detached: Action,
    ) -> PolicyVerdict {
        let Some((policy, _)) = &self.active else {
            return if client_connected {
                PolicyVerdict::Ask
            } else {
                PolicyVerdict::NoApp(detached)
            };
        };
        match policy
            .compiled
            .decide(connection, names, wall_ms, client_connected)
        {
            Outcome::Rule { tag, action } => PolicyVerdict::Rule {
                verdict: match action {
                    RuleAction::Allow => Verdict::PermanentAccept,
                    RuleAction::Block => Verdict::PermanentBlock,
                    RuleAction::Drop => Verdict::PermanentDrop,
                },
                tag,
                generation: policy.generation,
            },
            // Without a client AppDecides cannot come back: such rules do not exist then.
            Outcome::AppDecides | Outcome::NoRule if client_connected => PolicyVerdict::Ask,
            // The lists stand in for the app only where the no-app action would apply: with a
            // client the app decides listed connections itself (and counts the hits).
            Outcome::AppDecides | Outcome::NoRule
                if policy.blocklist.lists(connection.remote_ip, names) =>
            {
                PolicyVerdict::Listed
            }
            Outcome::AppDecides | Outcome::NoRule => PolicyVerdict::NoApp(policy.no_app_action),
        }
    }
}

/// One log line for a refused document.
pub fn refusal_text(generation: u64, error: &PolicyError) -> String {
    format!("policy generation {generation} refused, the policy in force stays: {error}")
}

#[cfg(test)]
#[path = "enforcer_tests.rs"]
mod tests;
