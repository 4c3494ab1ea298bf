//! TCP connections first held mid-stream, whose end the BPF source cannot see.
//!
//! The BPF program (`end_program.rs`) asks the kernel for state callbacks when a connection is
//! made: at its connect, or when an inbound one is accepted. A connection made before any such
//! program ran never asked, so its end would never be noted. The queue still holds such a
//! connection when its conntrack entry is gone (the daemon's start forgets the flows an earlier
//! run allowed; `conntrack -F`; a full table): its next packet, without a SYN, is a new flow.
//! Connections made under an earlier daemon with `--no-bpf`, or before the first daemon ran, are
//! of that kind.
//!
//! So while the BPF source is in use, every TCP flow first held with a packet that is not a SYN
//! is watched: once a second the byte-count thread asks the kernel for it (an exact sock_diag
//! lookup, as byte counts do), keeps its running totals, and reports its end once the kernel no
//! longer has it (or has only its TIME_WAIT remains, which carry no counters). Its final bytes
//! are those of the last look, at most a second old. The list is bounded: a flood of stray
//! segments (any host can send them) fills it, and what does not fit ends as the cache's idle
//! expiry ends any flow whose end was never seen.

use zenithfence_core::flow::FlowKey;

/// How often the watched flows are looked up.
pub(crate) const CHECK_EVERY_MS: u64 = 1_000;
/// The most flows watched at once: each costs one lookup a second, a few microseconds.
pub(crate) const MAX_WATCHED: usize = 1_024;

/// The watched flows.
#[derive(Debug, Default)]
pub(crate) struct MidStreamFlows {
    /// Whether flows are watched at all (only with the BPF source of TCP ends).
    on: bool,
    keys: Vec<FlowKey>,
    /// Whether the list was found full since it last had room (one warning per filling).
    full: bool,
}

/// What [`MidStreamFlows::note`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Noted {
    /// Watched from now on (or already).
    Watched,
    /// Not watched: watching is off.
    Off,
    /// Not watched: the list is full; `first` for the first refusal since it had room.
    Full { first: bool },
}

impl MidStreamFlows {
    /// Starts watching (the BPF source of TCP ends is in use).
    pub(crate) fn turn_on(&mut self) {
        self.on = true;
    }

    /// Watches `key`, a TCP flow just held with a packet that was not a SYN.
    pub(crate) fn note(&mut self, key: FlowKey) -> Noted {
        if !self.on {
            return Noted::Off;
        }
        if self.keys.contains(&key) {
            return Noted::Watched;
        }
        if self.keys.len() >= MAX_WATCHED {
            let first = !self.full;
            self.full = true;
            return Noted::Full { first };
        }
        self.keys.push(key);
        Noted::Watched
    }

    /// The flows to look up now.
    pub(crate) fn keys(&self) -> Vec<FlowKey> {
        self.keys.clone()
    }

    /// Stops watching `done` (ended, or reported ended).
    pub(crate) fn forget(&mut self, done: &[FlowKey]) {
        if done.is_empty() {
            return;
        }
        self.keys.retain(|key| !done.contains(key));
        if self.keys.len() < MAX_WATCHED {
            self.full = false;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use zenithfence_core::flow::IpAddress;

    fn key(port: u16) -> FlowKey {
        FlowKey {
            protocol: 6,
            local_ip: IpAddress::V4([10, 0, 0, 1]),
            local_port: port,
            remote_ip: IpAddress::V4([10, 0, 0, 2]),
            remote_port: 443,
        }
    }

    #[test]
    fn nothing_is_watched_until_turned_on() {
        let mut flows = MidStreamFlows::default();
        assert_eq!(flows.note(key(1)), Noted::Off);
        assert!(flows.keys().is_empty());
        flows.turn_on();
        assert_eq!(flows.note(key(1)), Noted::Watched);
        assert_eq!(flows.note(key(1)), Noted::Watched);
        assert_eq!(flows.keys(), vec![key(1)], "a flow is watched once");
    }

    #[test]
    fn a_full_list_refuses_more_warns_once_and_takes_again_once_it_has_room() {
        let mut flows = MidStreamFlows::default();
        flows.turn_on();
        for port in 0..MAX_WATCHED as u16 {
            assert_eq!(flows.note(key(port)), Noted::Watched);
        }
        let over = MAX_WATCHED as u16;
        assert_eq!(flows.note(key(over)), Noted::Full { first: true });
        assert_eq!(flows.note(key(over + 1)), Noted::Full { first: false });
        assert_eq!(flows.keys().len(), MAX_WATCHED);
        flows.forget(&[key(0), key(1)]);
        assert_eq!(flows.note(key(over)), Noted::Watched);
        assert_eq!(flows.keys().len(), MAX_WATCHED - 1);
        assert!(!flows.keys().contains(&key(0)));
        assert_eq!(flows.note(key(over + 10)), Noted::Watched);
        assert_eq!(
            flows.note(key(over + 20)),
            Noted::Full { first: true },
            "full again after having room: warned again"
        );
    }
}
