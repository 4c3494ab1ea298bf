//! What a classify returns, and how it is written to `FWPS_CLASSIFY_OUT0`.
//!
//! Conventions (fwpstypes.h "FWPS_CLASSIFY_OUT0" and the WDK "inspect" sample):
//! - Without `FWPS_RIGHT_ACTION_WRITE` in `rights`, a higher-weight filter already decided and
//!   the callout leaves `classifyOut` alone.
//! - A block clears `FWPS_RIGHT_ACTION_WRITE`, so lower filters cannot turn it into a permit.
//!   An absorbing block also sets `FWPS_CLASSIFY_OUT_FLAG_ABSORB`: the packet is silently taken
//!   (dropped, or held by us for a later reinjection).
//! - A permit clears the write right only when the filter has
//!   `FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT`, or for the connections of the process that opened
//!   the device (so another firewall's filters cannot cut the app off its own network).
//! - Inspection callouts (byte counting, closure, resources) return `FWP_ACTION_CONTINUE`.

use crate::bindings::{
    action, FWPS_CLASSIFY_OUT0, FWPS_CLASSIFY_OUT_FLAG_ABSORB, FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT,
    FWPS_RIGHT_ACTION_WRITE,
};

/// The outcome of one classify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassifyAction {
    /// Let it through; `harden` also clears the write right.
    Permit {
        /// Clear `FWPS_RIGHT_ACTION_WRITE` even if the filter does not ask for it.
        harden: bool,
    },
    /// Block so the application sees an error (TCP connect fails at once).
    Block,
    /// Block and absorb: silently dropped, or taken by the driver to be answered later.
    Absorb,
    /// No opinion (inspection callouts).
    Continue,
}

/// Writes `action` to `out`. `filter_flags` is `FWPS_FILTER0.flags`. Returns whether anything
/// was written (false when the write right was missing).
pub fn apply(out: &mut FWPS_CLASSIFY_OUT0, action: ClassifyAction, filter_flags: u16) -> bool {
    if out.rights & FWPS_RIGHT_ACTION_WRITE == 0 {
        return false;
    }
    match action {
        ClassifyAction::Permit { harden } => {
            out.actionType = action::PERMIT;
            if harden || filter_flags & FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT != 0 {
                out.rights &= !FWPS_RIGHT_ACTION_WRITE;
            }
        }
        ClassifyAction::Block => {
            out.actionType = action::BLOCK;
            out.rights &= !FWPS_RIGHT_ACTION_WRITE;
        }
        ClassifyAction::Absorb => {
            out.actionType = action::BLOCK;
            out.rights &= !FWPS_RIGHT_ACTION_WRITE;
            out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB;
        }
        ClassifyAction::Continue => {
            out.actionType = action::CONTINUE;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writable() -> FWPS_CLASSIFY_OUT0 {
        FWPS_CLASSIFY_OUT0 {
            rights: FWPS_RIGHT_ACTION_WRITE,
            ..Default::default()
        }
    }

    #[test]
    fn each_action_maps_to_the_documented_bits() {
        let mut out = writable();
        assert!(apply(&mut out, ClassifyAction::Permit { harden: false }, 0));
        assert_eq!(out.actionType, action::PERMIT);
        assert_eq!(out.rights, FWPS_RIGHT_ACTION_WRITE);
        assert_eq!(out.flags, 0);

        let mut out = writable();
        apply(&mut out, ClassifyAction::Permit { harden: false }, 1);
        assert_eq!(out.rights, 0, "the filter asked to clear the right");

        let mut out = writable();
        apply(&mut out, ClassifyAction::Permit { harden: true }, 0);
        assert_eq!(out.rights, 0, "own-process permits are hardened");

        let mut out = writable();
        apply(&mut out, ClassifyAction::Block, 0);
        assert_eq!(
            (out.actionType, out.rights, out.flags),
            (action::BLOCK, 0, 0)
        );

        let mut out = writable();
        apply(&mut out, ClassifyAction::Absorb, 0);
        assert_eq!(
            (out.actionType, out.rights, out.flags),
            (action::BLOCK, 0, FWPS_CLASSIFY_OUT_FLAG_ABSORB)
        );

        let mut out = writable();
        apply(&mut out, ClassifyAction::Continue, 0);
        assert_eq!(out.actionType, action::CONTINUE);
    }

    #[test]
    fn without_the_write_right_nothing_is_touched() {
        let mut out = FWPS_CLASSIFY_OUT0 {
            actionType: action::BLOCK,
            ..Default::default()
        };
        let before = out;
        assert!(!apply(
            &mut out,
            ClassifyAction::Permit { harden: false },
            0
        ));
        assert_eq!(out, before);
    }
}
