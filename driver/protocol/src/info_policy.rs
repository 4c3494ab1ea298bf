//! The policy extension's infos (types 133–135, README "Policy"): what the driver enforces, and
//! connections a policy rule decided without asking the client.

use alloc::vec::Vec;

use crate::bytes::Fields;
use crate::info::ConnectionEnd;

/// Where the policy in force came from (PolicyState `origin`).
pub mod origin {
    /// No policy: the driver's detached setting applies to everything.
    pub const NONE: u8 = 0;
    /// Loaded from the stored file at start.
    pub const STORED: u8 = 1;
    /// Received from a client.
    pub const CLIENT: u8 = 2;
}

/// Why the last policy document failed or was only half kept (PolicyState `problem`).
pub mod problem {
    /// Nothing failed.
    pub const NONE: u8 = 0;
    /// The document breaks the format.
    pub const MALFORMED: u8 = 1;
    /// The checksum does not match.
    pub const CHECKSUM: u8 = 2;
    /// `total_len` is above the limit.
    pub const TOO_LARGE: u8 = 3;
    /// A part came out of order.
    pub const OUT_OF_ORDER: u8 = 4;
    /// Enforced, but the stored file could not be written.
    pub const NOT_SAVED: u8 = 5;
}

/// Extension (133): the policy the driver enforces now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyState {
    /// The enforced generation; 0 when there is none.
    pub generation: u64,
    /// Rules in the enforced policy.
    pub rule_count: u32,
    /// Verdict value (2, 4 or 6) for connections no rule decides while no client is connected.
    pub no_app_action: u8,
    /// See [`origin`].
    pub origin: u8,
    /// See [`problem`].
    pub problem: u8,
    /// The generation `problem` is about; 0 when none.
    pub problem_generation: u64,
}

/// The size of a PolicyState body (longer ones are accepted: fields may be appended).
pub(crate) const POLICY_STATE_LEN: usize = 23;

/// Extension (134, 135): a connection a policy rule decided; `N` is 4 or 16.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDecided<const N: usize> {
    /// The connection, as a ConnectionEnd describes it.
    pub connection: ConnectionEnd<N>,
    /// The verdict value applied (3, 5 or 7).
    pub verdict: u8,
    /// The policy generation whose rule decided.
    pub generation: u64,
    /// The rule's tag in that policy.
    pub rule_tag: u32,
}

pub(crate) fn encode_policy_state(state: &PolicyState, out: &mut Vec<u8>) {
    out.extend_from_slice(&state.generation.to_le_bytes());
    out.extend_from_slice(&state.rule_count.to_le_bytes());
    out.push(state.no_app_action);
    out.push(state.origin);
    out.push(state.problem);
    out.extend_from_slice(&state.problem_generation.to_le_bytes());
}

pub(crate) fn decode_policy_state(body: &[u8]) -> Option<PolicyState> {
    if body.len() < POLICY_STATE_LEN {
        return None;
    }
    let mut f = Fields::new(body);
    Some(PolicyState {
        generation: f.u64(),
        rule_count: f.u32(),
        no_app_action: f.u8(),
        origin: f.u8(),
        problem: f.u8(),
        problem_generation: f.u64(),
    })
}

pub(crate) fn encode_rule_decided<const N: usize>(decided: &RuleDecided<N>, out: &mut Vec<u8>) {
    crate::info::encode_end(&decided.connection, out);
    out.push(decided.verdict);
    out.extend_from_slice(&decided.generation.to_le_bytes());
    out.extend_from_slice(&decided.rule_tag.to_le_bytes());
}

pub(crate) fn decode_rule_decided<const N: usize>(body: &[u8]) -> Option<RuleDecided<N>> {
    let end_len = 14 + 2 * N;
    if body.len() != end_len + 13 {
        return None;
    }
    let (end, rest) = body.split_at(end_len);
    let mut f = Fields::new(rest);
    Some(RuleDecided {
        connection: crate::info::decode_end(end)?,
        verdict: f.u8(),
        generation: f.u64(),
        rule_tag: f.u32(),
    })
}
