//! Boot-time protection when the no-app action blocks: the WFP objects that stand in for the
//! driver while it is not loaded (before it starts at boot, after it was stopped), as data.
//! `kernel::boot_guard` adds and removes them; README "Boot-time protection" says why each
//! exists.
//!
//! In one persistent sublayer of their own ([`GUARD_SUBLAYER_KEY`]), at each of the four ALE
//! authorization layers (connect and recv-accept, v4 and v6):
//!
//! | Lifetime | Weight | Matches | Action |
//! |---|---|---|---|
//! | boot-time | 3 | loopback | permit |
//! | boot-time | 2 | DHCP (UDP to port 67/547 out, to port 68/546 in) | permit |
//! | boot-time | 1 | everything | block |
//! | persistent | 3 | loopback | permit |
//! | persistent | 2 | DHCP | permit |
//! | persistent | 1 | everything | callout (terminating): one of [`GUARD_CALLOUTS`] |
//!
//! Boot-time filters (`FWPM_FILTER_FLAG_BOOTTIME`) are enforced by TCP/IP from its start until
//! the Base Filtering Engine has started; then BFE drops them and adds the persistent ones
//! (`FWPM_FILTER_FLAG_PERSISTENT`; the two flags cannot be combined). A filter whose
//! terminating callout is not registered is treated as a block filter ("FwpsCalloutRegister0",
//! Remarks: filters with `FWP_ACTION_CALLOUT_TERMINATING` are treated as `FWP_ACTION_BLOCK`
//! until the callout is registered), so from BFE's start until the driver registers its
//! callouts everything but loopback and DHCP is blocked. Once registered, the guard callouts
//! decide like the driver's own ALE callouts while the driver's filters are not added yet, and
//! permit softly once they are (the driver's own sublayer decides; a soft permit never
//! overrides its block).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use zenithfence_protocol::{PolicyState, Verdict};

use crate::bindings::{
    action, match_type, FWPM_FILTER_FLAG_BOOTTIME, FWPM_FILTER_FLAG_PERSISTENT, FWP_ACTION_TYPE,
    FWP_CONDITION_FLAG_IS_LOOPBACK, GUID,
};
use crate::layers::{layer_guid, CalloutKind, CalloutSpec};

/// The guard's persistent sublayer (apart from the driver's dynamic one, whose objects die
/// with the driver's session).
pub const GUARD_SUBLAYER_KEY: GUID = GUID::from_u128(0xa244a415_b9cc_46a6_bb07_8f1a13dd4db6);
/// Below the driver's own sublayer (0xFFFF), which decides while the driver runs.
pub const GUARD_SUBLAYER_WEIGHT: u16 = 0xFFFE;
const _: () = assert!(GUARD_SUBLAYER_WEIGHT < crate::layers::SUBLAYER_WEIGHT);
/// The first filter key; filter `i` of [`guard_filters`] has this key plus `i`.
const GUARD_FILTER_KEY_BASE: u128 = 0x7467b1ba_84f4_41d0_ac29_6ff480008500;

/// The guard's callouts: persistent FWPM callouts (added with the filters) that the driver
/// registers with `FwpsCalloutRegister0` next to its own, in the order of the first four
/// entries of [`crate::layers::CALLOUTS`] (connect v4, v6, recv-accept v4, v6).
pub const GUARD_CALLOUTS: [CalloutSpec; 4] = [
    guard(
        CalloutKind::AleConnect,
        false,
        layer_guid::ALE_AUTH_CONNECT_V4,
        0xd750c429_254f_4588_b8fb_a7030991707b,
        "ZenithFence guard connect v4",
    ),
    guard(
        CalloutKind::AleConnect,
        true,
        layer_guid::ALE_AUTH_CONNECT_V6,
        0x32f95c1d_4270_4532_a504_40d47e2c6fd5,
        "ZenithFence guard connect v6",
    ),
    guard(
        CalloutKind::AleRecvAccept,
        false,
        layer_guid::ALE_AUTH_RECV_ACCEPT_V4,
        0x99f9a37f_1a0f_4eca_a656_8e505b9e358a,
        "ZenithFence guard recv-accept v4",
    ),
    guard(
        CalloutKind::AleRecvAccept,
        true,
        layer_guid::ALE_AUTH_RECV_ACCEPT_V6,
        0x11e89d53_b4f8_4fbf_8f71_b63131b0ec9f,
        "ZenithFence guard recv-accept v6",
    ),
];

const fn guard(
    kind: CalloutKind,
    v6: bool,
    layer: GUID,
    key: u128,
    name: &'static str,
) -> CalloutSpec {
    CalloutSpec {
        kind,
        v6,
        layer,
        key: GUID::from_u128(key),
        name,
    }
}

/// Condition field keys (fwpmu.h `FWPM_CONDITION_*`).
pub mod condition {
    use crate::bindings::GUID;
    /// FWPM_CONDITION_FLAGS.
    pub const FLAGS: GUID = GUID::from_u128(0x632ce23b_5167_435c_86d7_e903684aa80c);
    /// FWPM_CONDITION_IP_PROTOCOL.
    pub const IP_PROTOCOL: GUID = GUID::from_u128(0x3971ef2b_623e_4f9a_8cb1_6e79b806b9a7);
    /// FWPM_CONDITION_IP_LOCAL_PORT.
    pub const IP_LOCAL_PORT: GUID = GUID::from_u128(0x0c1ba1af_5765_453f_af22_a8f791ac775b);
    /// FWPM_CONDITION_IP_REMOTE_PORT.
    pub const IP_REMOTE_PORT: GUID = GUID::from_u128(0xc35a604d_d22b_4e1a_91b4_68f674ee674b);
}

/// When a filter is enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// From TCP/IP's start until BFE has started.
    BootTime,
    /// From BFE's start on, across reboots, until deleted.
    Persistent,
}

/// What a filter matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardMatch {
    /// Every authorization at the layer.
    Everything,
    /// `FWPM_CONDITION_FLAGS` has `FWP_CONDITION_FLAG_IS_LOOPBACK`.
    Loopback,
    /// UDP to this remote port (outbound DHCP).
    UdpRemotePort(u16),
    /// UDP to this local port (inbound DHCP).
    UdpLocalPort(u16),
}

/// What a filter does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardAction {
    /// `FWP_ACTION_BLOCK`.
    Block,
    /// `FWP_ACTION_PERMIT`.
    Permit,
    /// `FWP_ACTION_CALLOUT_TERMINATING` to this callout.
    Callout(GUID),
}

/// One guard filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardFilter {
    /// Its key (stable, so it can be found and deleted).
    pub key: GUID,
    /// Display name.
    pub name: String,
    /// The ALE layer.
    pub layer: GUID,
    /// Boot-time or persistent.
    pub lifetime: Lifetime,
    /// `FWP_UINT8` weight in the guard sublayer (higher is evaluated first).
    pub weight: u8,
    /// What it matches.
    pub matching: GuardMatch,
    /// What it does.
    pub action: GuardAction,
}

impl GuardFilter {
    /// `FWPM_FILTER0.flags`.
    pub fn flags(&self) -> u32 {
        match self.lifetime {
            Lifetime::BootTime => FWPM_FILTER_FLAG_BOOTTIME,
            Lifetime::Persistent => FWPM_FILTER_FLAG_PERSISTENT,
        }
    }
}

/// A condition value (`FWP_CONDITION_VALUE0`, scalar members only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionValue {
    /// `FWP_UINT8`.
    U8(u8),
    /// `FWP_UINT16`.
    U16(u16),
    /// `FWP_UINT32`.
    U32(u32),
}

/// One `FWPM_FILTER_CONDITION0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardCondition {
    /// `FWPM_CONDITION_*`.
    pub field: GUID,
    /// `FWP_MATCH_*`.
    pub match_type: u32,
    /// The value.
    pub value: ConditionValue,
}

/// The conditions of a filter (all must hold).
pub fn conditions(matching: GuardMatch) -> Vec<GuardCondition> {
    const UDP: ConditionValue = ConditionValue::U8(17);
    let equal = |field, value| GuardCondition {
        field,
        match_type: match_type::EQUAL,
        value,
    };
    match matching {
        GuardMatch::Everything => Vec::new(),
        GuardMatch::Loopback => alloc::vec![GuardCondition {
            field: condition::FLAGS,
            match_type: match_type::FLAGS_ALL_SET,
            value: ConditionValue::U32(FWP_CONDITION_FLAG_IS_LOOPBACK),
        }],
        GuardMatch::UdpRemotePort(port) => alloc::vec![
            equal(condition::IP_PROTOCOL, UDP),
            equal(condition::IP_REMOTE_PORT, ConditionValue::U16(port)),
        ],
        GuardMatch::UdpLocalPort(port) => alloc::vec![
            equal(condition::IP_PROTOCOL, UDP),
            equal(condition::IP_LOCAL_PORT, ConditionValue::U16(port)),
        ],
    }
}

/// `FWPM_ACTION0`: the action type and the callout key (zero unless a callout).
pub fn action_of(guard_action: GuardAction) -> (FWP_ACTION_TYPE, GUID) {
    match guard_action {
        GuardAction::Block => (action::BLOCK, GUID::ZERO),
        GuardAction::Permit => (action::PERMIT, GUID::ZERO),
        GuardAction::Callout(key) => (action::CALLOUT_TERMINATING, key),
    }
}

/// The key whose presence says the guard is installed: a persistent filter (boot-time ones
/// are not visible once BFE has started).
pub fn presence_key() -> GUID {
    guard_filters()
        .into_iter()
        .find(|f| f.lifetime == Lifetime::Persistent)
        .map_or(GUID::ZERO, |f| f.key)
}

/// The DHCP exception of a layer: the client's port for inbound, the server's for outbound.
fn dhcp(callout: &CalloutSpec) -> GuardMatch {
    match (callout.kind, callout.v6) {
        (CalloutKind::AleRecvAccept, false) => GuardMatch::UdpLocalPort(68),
        (CalloutKind::AleRecvAccept, true) => GuardMatch::UdpLocalPort(546),
        (_, false) => GuardMatch::UdpRemotePort(67),
        (_, true) => GuardMatch::UdpRemotePort(547),
    }
}

/// Every guard filter (24: 3 boot-time and 3 persistent at each of the 4 layers).
pub fn guard_filters() -> Vec<GuardFilter> {
    let mut filters = Vec::new();
    for callout in &GUARD_CALLOUTS {
        for lifetime in [Lifetime::BootTime, Lifetime::Persistent] {
            let catch_all = match lifetime {
                Lifetime::BootTime => GuardAction::Block,
                Lifetime::Persistent => GuardAction::Callout(callout.key),
            };
            let when = match lifetime {
                Lifetime::BootTime => "boot",
                Lifetime::Persistent => "persistent",
            };
            for (weight, matching, action, what) in [
                (3, GuardMatch::Loopback, GuardAction::Permit, "loopback"),
                (2, dhcp(callout), GuardAction::Permit, "DHCP"),
                (1, GuardMatch::Everything, catch_all, "the rest"),
            ] {
                let index = filters.len() as u128;
                filters.push(GuardFilter {
                    key: GUID::from_u128(GUARD_FILTER_KEY_BASE + index),
                    name: format!("{} ({when}): {what}", callout.name),
                    layer: callout.layer,
                    lifetime,
                    weight,
                    matching,
                    action,
                });
            }
        }
    }
    filters
}

/// Whether the guard should be in place for the policy in force: `Some(true)` when its no-app
/// action blocks or drops, `Some(false)` when it accepts, `None` without a policy (nothing is
/// known about the user's choice: what is in place stays).
pub fn guard_wanted(state: &PolicyState) -> Option<bool> {
    if state.generation == 0 {
        return None;
    }
    Some(state.no_app_action != Verdict::Accept as u8)
}

/// The detached setting at start: a guard in place means the user chose to block while no app
/// runs, so without a usable stored policy the driver blocks too (rather than fail open on a
/// damaged file).
pub fn detached_at_start(policy_loaded: bool, guard_present: bool, configured: Verdict) -> Verdict {
    if !policy_loaded && guard_present && configured == Verdict::Accept {
        Verdict::Block
    } else {
        configured
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::layers::{CALLOUTS, SUBLAYER_KEY};
    use zenithfence_protocol::info_policy::{origin, problem};

    #[test]
    fn guard_callouts_mirror_the_ale_callouts_with_their_own_keys() {
        for (guard, ale) in GUARD_CALLOUTS.iter().zip(CALLOUTS.iter()) {
            assert_eq!(
                (guard.kind, guard.v6, guard.layer),
                (ale.kind, ale.v6, ale.layer)
            );
            assert!(CALLOUTS.iter().all(|c| c.key != guard.key));
        }
        assert_ne!(GUARD_SUBLAYER_KEY, SUBLAYER_KEY);
    }

    #[test]
    fn each_ale_layer_gets_boot_time_and_persistent_filters() {
        let filters = guard_filters();
        assert_eq!(filters.len(), 24);
        let mut keys: Vec<GUID> = filters.iter().map(|f| f.key).collect();
        keys.sort_by_key(|g| (g.Data1, g.Data2, g.Data3, g.Data4));
        keys.dedup();
        assert_eq!(keys.len(), 24, "unique keys");
        for callout in &GUARD_CALLOUTS {
            for lifetime in [Lifetime::BootTime, Lifetime::Persistent] {
                let mut at: Vec<&GuardFilter> = filters
                    .iter()
                    .filter(|f| f.layer == callout.layer && f.lifetime == lifetime)
                    .collect();
                at.sort_by_key(|f| core::cmp::Reverse(f.weight));
                assert_eq!(at.len(), 3, "{}", callout.name);
                assert_eq!(
                    (at[0].weight, at[0].matching, at[0].action),
                    (3, GuardMatch::Loopback, GuardAction::Permit)
                );
                assert_eq!((at[1].weight, at[1].action), (2, GuardAction::Permit));
                let catch_all = if lifetime == Lifetime::BootTime {
                    GuardAction::Block
                } else {
                    GuardAction::Callout(callout.key)
                };
                assert_eq!(
                    (at[2].weight, at[2].matching, at[2].action),
                    (1, GuardMatch::Everything, catch_all)
                );
                let flags = at.iter().map(|f| f.flags()).collect::<Vec<_>>();
                let expected = if lifetime == Lifetime::BootTime {
                    FWPM_FILTER_FLAG_BOOTTIME
                } else {
                    FWPM_FILTER_FLAG_PERSISTENT
                };
                assert!(flags.iter().all(|&f| f == expected), "{flags:?}");
                // Never both: the filter engine refuses the combination.
                assert!(flags.iter().all(|&f| f & 3 != 3));
            }
        }
    }

    #[test]
    fn dhcp_is_let_through_in_the_right_direction() {
        let dhcp_of = |layer: GUID| {
            guard_filters()
                .into_iter()
                .find(|f| f.layer == layer && f.weight == 2)
                .unwrap()
                .matching
        };
        assert_eq!(
            dhcp_of(layer_guid::ALE_AUTH_CONNECT_V4),
            GuardMatch::UdpRemotePort(67)
        );
        assert_eq!(
            dhcp_of(layer_guid::ALE_AUTH_CONNECT_V6),
            GuardMatch::UdpRemotePort(547)
        );
        assert_eq!(
            dhcp_of(layer_guid::ALE_AUTH_RECV_ACCEPT_V4),
            GuardMatch::UdpLocalPort(68)
        );
        assert_eq!(
            dhcp_of(layer_guid::ALE_AUTH_RECV_ACCEPT_V6),
            GuardMatch::UdpLocalPort(546)
        );
    }

    #[test]
    fn conditions_and_actions_are_what_the_engine_expects() {
        assert!(conditions(GuardMatch::Everything).is_empty());
        assert_eq!(
            conditions(GuardMatch::Loopback),
            vec![GuardCondition {
                field: condition::FLAGS,
                match_type: 6,
                value: ConditionValue::U32(1),
            }]
        );
        assert_eq!(
            conditions(GuardMatch::UdpRemotePort(67)),
            vec![
                GuardCondition {
                    field: condition::IP_PROTOCOL,
                    match_type: 0,
                    value: ConditionValue::U8(17),
                },
                GuardCondition {
                    field: condition::IP_REMOTE_PORT,
                    match_type: 0,
                    value: ConditionValue::U16(67),
                },
            ]
        );
        assert_eq!(
            conditions(GuardMatch::UdpLocalPort(546))[1].field,
            condition::IP_LOCAL_PORT
        );
        let key = GUARD_CALLOUTS[0].key;
        assert_eq!(action_of(GuardAction::Callout(key)), (0x5003, key));
        assert_eq!(action_of(GuardAction::Block), (0x1001, GUID::ZERO));
        assert_eq!(action_of(GuardAction::Permit), (0x1002, GUID::ZERO));
        let present = presence_key();
        let marker = guard_filters()
            .into_iter()
            .find(|f| f.key == present)
            .unwrap();
        assert_eq!(marker.lifetime, Lifetime::Persistent);
    }

    fn state(generation: u64, no_app_action: Verdict) -> PolicyState {
        PolicyState {
            generation,
            rule_count: 0,
            no_app_action: no_app_action as u8,
            origin: origin::CLIENT,
            problem: problem::NONE,
            problem_generation: 0,
        }
    }

    #[test]
    fn the_guard_follows_the_no_app_action_of_the_policy_in_force() {
        assert_eq!(guard_wanted(&state(3, Verdict::Block)), Some(true));
        assert_eq!(guard_wanted(&state(3, Verdict::Drop)), Some(true));
        assert_eq!(guard_wanted(&state(3, Verdict::Accept)), Some(false));
        assert_eq!(
            guard_wanted(&state(0, Verdict::Block)),
            None,
            "no policy: leave it"
        );
    }

    #[test]
    fn a_guard_without_a_usable_policy_keeps_the_driver_closed() {
        assert_eq!(
            detached_at_start(false, true, Verdict::Accept),
            Verdict::Block
        );
        assert_eq!(detached_at_start(false, true, Verdict::Drop), Verdict::Drop);
        assert_eq!(
            detached_at_start(true, true, Verdict::Accept),
            Verdict::Accept
        );
        assert_eq!(
            detached_at_start(false, false, Verdict::Accept),
            Verdict::Accept
        );
    }
}
