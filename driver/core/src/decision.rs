//! What a protocol verdict means for the packets it answers (PROTOCOL.md, "Verdict values").
//!
//! - Accept lets the packets through; Block rejects them so the application gets an error at once
//!   (a TCP reset or an ICMP "administratively prohibited"); Drop discards them silently.
//! - A permanent verdict is remembered in the connection cache: the driver decides the rest of
//!   the flow by itself. A temporary one is not, so the next packet that needs a decision asks
//!   user space again.
//! - Values a driver cannot act on fail closed: the redirects are not implemented (they need
//!   Portmaster's resolver and tunnel), and Undecided, Undeterminable and Failed are no decision.
//!   Each becomes a temporary Block, which the caller logs.

use zenithfence_protocol::Verdict;

/// What happens to a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Let it through.
    Accept,
    /// Reject it; the application sees an error.
    Block,
    /// Discard it silently.
    Drop,
}

/// The effect of a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// What happens to the packets.
    pub action: Action,
    /// Whether the flow keeps this decision without asking again.
    pub permanent: bool,
    /// Whether the verdict was one the driver cannot act on and was replaced (log it).
    pub substituted: bool,
}

impl Decision {
    /// The decision a verdict stands for.
    pub fn of(verdict: Verdict) -> Decision {
        let (action, permanent, substituted) = match verdict {
            Verdict::Accept => (Action::Accept, false, false),
            Verdict::PermanentAccept => (Action::Accept, true, false),
            Verdict::Block => (Action::Block, false, false),
            Verdict::PermanentBlock => (Action::Block, true, false),
            Verdict::Drop => (Action::Drop, false, false),
            Verdict::PermanentDrop => (Action::Drop, true, false),
            Verdict::Undecided
            | Verdict::Undeterminable
            | Verdict::Failed
            | Verdict::RedirectNameServer
            | Verdict::RedirectTunnel
            | Verdict::RedirectSplitTunnel => (Action::Block, false, true),
        };
        Decision {
            action,
            permanent,
            substituted,
        }
    }

    /// The verdict to answer with when user space gives none (hold timeout, detached client).
    pub fn default_verdict(action: Action) -> Verdict {
        match action {
            Action::Accept => Verdict::Accept,
            Action::Block => Verdict::Block,
            Action::Drop => Verdict::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_maps_to_an_action() {
        for verdict in Verdict::ALL {
            let decision = Decision::of(verdict);
            assert_eq!(decision.permanent, verdict.is_permanent());
            let known = matches!(verdict as u8, 2..=7);
            assert_eq!(decision.substituted, !known, "{verdict:?}");
        }
        assert_eq!(Decision::of(Verdict::PermanentDrop).action, Action::Drop);
        assert_eq!(Decision::of(Verdict::RedirectTunnel).action, Action::Block);
        assert_eq!(Decision::default_verdict(Action::Drop), Verdict::Drop);
    }
}
