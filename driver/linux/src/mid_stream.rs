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
//! So while the BPF source is in use, every TCP flow first held with a packet that is not a SYN,
//! and whose socket was found, is watched: once a second the byte-count thread asks the kernel
//! for it (an exact sock_diag lookup, as byte counts do) and keeps its running totals. Its end is
//! reported only once two looks in a row, the second confirmed by a full dump, found nothing:
//! - an end the program does see (a connection flagged by an earlier daemon's program keeps
//!   its flag) arrives within 400 ms (`BPF_END_POLL_IDLE`), always before a second look, and
//!   carries exact counts;
//! - an exact lookup cannot see a socket bound to an interface (`SO_BINDTODEVICE`, IPv6
//!   link-local), since the request names none; a dump does. Such a flow is then looked at
//!   only by dumps, once a minute;
//! - a dump can skip a socket when another goes while it is read; the next look finds it (a
//!   flow only a dump finds is missed twice, a second apart, before it ends too).
//!
//! Its final bytes are those of the last look. A SYN held for the same addresses is a new
//! connection: the old one is no longer watched. The list is bounded: what does not fit ends as
//! the liveness check ends any TCP flow whose end was missed (`flow_liveness.rs`).

use std::collections::HashMap;

use zenithfence_core::flow::FlowKey;

/// How often the watched flows are looked up.
pub(crate) const CHECK_EVERY_MS: u64 = 1_000;
/// How often a flow only a dump finds is looked at again.
pub(crate) const DUMP_ONLY_EVERY_MS: u64 = 60_000;
/// The most flows watched at once: each costs one lookup a second, a few microseconds.
pub(crate) const MAX_WATCHED: usize = 1_024;
/// The most flows one look asks about by exact lookups: more would turn the look into a dump
/// of the kernel's whole TCP table (`byte_totals::EXACT_LIMIT`) every second. With more due,
/// each is looked at less often.
pub(crate) const EXACT_PER_LOOK: usize = crate::byte_totals::EXACT_LIMIT;

/// The watched flows.
#[derive(Debug, Default)]
pub(crate) struct MidStreamFlows {
    /// Whether flows are watched at all (only with the BPF source of TCP ends).
    on: bool,
    flows: HashMap<FlowKey, Watch>,
    /// Whether the list was found full since it last had room (one warning per filling).
    full: bool,
}

/// One watched flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Watch {
    /// The last look found nothing.
    missed: bool,
    /// Only a dump finds it: looked at by one every [`DUMP_ONLY_EVERY_MS`].
    dump_only: bool,
    /// When it is looked at next (the daemon's milliseconds).
    next_ms: u64,
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

/// The flows due for a look: by exact lookups (or the dump those turn into past 256), and
/// those only a dump finds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Due {
    pub(crate) exact: Vec<FlowKey>,
    pub(crate) dump_only: Vec<FlowKey>,
}

/// What one look found, for [`MidStreamFlows::update`].
#[derive(Debug, Default)]
pub(crate) struct Look {
    /// Found by the exact lookups.
    pub(crate) found: Vec<FlowKey>,
    /// Not found by them, found by the dump.
    pub(crate) found_by_dump: Vec<FlowKey>,
    /// Found by neither; `None` when a lookup or the dump failed (nothing is known).
    pub(crate) missing: Option<Vec<FlowKey>>,
}

impl MidStreamFlows {
    /// Starts watching (the BPF source of TCP ends is in use).
    pub(crate) fn turn_on(&mut self) {
        self.on = true;
    }

    /// Whether TCP ends come from the BPF program (watching is on).
    pub(crate) fn is_on(&self) -> bool {
        self.on
    }

    /// Whether any flow is watched.
    pub(crate) fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Watches `key`, a TCP flow just held with a packet that was not a SYN, from `now_ms`.
    pub(crate) fn note(&mut self, key: FlowKey, now_ms: u64) -> Noted {
        if !self.on {
            return Noted::Off;
        }
        if self.flows.contains_key(&key) {
            return Noted::Watched;
        }
        if self.flows.len() >= MAX_WATCHED {
            let first = !self.full;
            self.full = true;
            return Noted::Full { first };
        }
        let next_ms = now_ms + CHECK_EVERY_MS;
        self.flows.insert(
            key,
            Watch {
                next_ms,
                ..Watch::default()
            },
        );
        Noted::Watched
    }

    /// A SYN was held for `key`: a new connection on those addresses, not the watched one.
    pub(crate) fn new_connection(&mut self, key: &FlowKey) {
        self.forget(std::slice::from_ref(key));
    }

    /// The flows due for a look at `now_ms`: at most [`EXACT_PER_LOOK`] by exact lookups, those
    /// due longest first (the rest wait for the next look); and once one that only a dump finds
    /// is due, every such one: the dump finds them all, so their minutes fall together and
    /// they cost one dump a minute, not one each.
    pub(crate) fn due(&self, now_ms: u64) -> Due {
        let mut due = Due::default();
        let mut exact = Vec::new();
        for (key, watch) in &self.flows {
            if watch.next_ms <= now_ms {
                if watch.dump_only {
                    due.dump_only.push(*key);
                } else {
                    exact.push((watch.next_ms, *key));
                }
            }
        }
        if !due.dump_only.is_empty() {
            due.dump_only = self
                .flows
                .iter()
                .filter(|(_, watch)| watch.dump_only)
                .map(|(key, _)| *key)
                .collect();
        }
        exact.sort_unstable();
        due.exact = exact
            .into_iter()
            .take(EXACT_PER_LOOK)
            .map(|(_, key)| key)
            .collect();
        due
    }

    /// Whether `key` was missed by the look before (so a dump should confirm it is gone).
    pub(crate) fn missed_before(&self, key: &FlowKey) -> bool {
        self.flows.get(key).is_some_and(|w| w.missed)
    }

    /// Takes in a look made at `now_ms`; returns the flows that ended: missed twice in a row,
    /// the second time by the dump too. They are no longer watched.
    pub(crate) fn update(&mut self, look: &Look, now_ms: u64) -> Vec<FlowKey> {
        let next_ms = now_ms + CHECK_EVERY_MS;
        for key in &look.found {
            if let Some(watch) = self.flows.get_mut(key) {
                *watch = Watch {
                    next_ms,
                    ..Watch::default()
                };
            }
        }
        for key in &look.found_by_dump {
            if let Some(watch) = self.flows.get_mut(key) {
                *watch = Watch {
                    missed: false,
                    dump_only: true,
                    next_ms: now_ms + DUMP_ONLY_EVERY_MS,
                };
            }
        }
        let mut ended = Vec::new();
        for key in look.missing.iter().flatten() {
            match self.flows.get_mut(key) {
                Some(watch) if watch.missed => ended.push(*key),
                // A dump may skip a socket: one only a dump finds is looked at again in a
                // second, by a dump, before it is taken for ended.
                Some(watch) => {
                    watch.missed = true;
                    watch.next_ms = next_ms;
                }
                None => {}
            }
        }
        self.forget(&ended);
        ended
    }

    /// Stops watching `done` (ended some other way, or reported ended).
    pub(crate) fn forget(&mut self, done: &[FlowKey]) {
        for key in done {
            self.flows.remove(key);
        }
        if self.flows.len() < MAX_WATCHED {
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

    fn watching(keys: &[FlowKey]) -> MidStreamFlows {
        let mut flows = MidStreamFlows::default();
        flows.turn_on();
        for key in keys {
            assert_eq!(flows.note(*key, 0), Noted::Watched);
        }
        flows
    }

    #[test]
    fn nothing_is_watched_until_turned_on_and_a_flow_once() {
        let mut flows = MidStreamFlows::default();
        assert_eq!(flows.note(key(1), 0), Noted::Off);
        assert!(flows.is_empty());
        flows.turn_on();
        assert_eq!(flows.note(key(1), 0), Noted::Watched);
        assert_eq!(flows.note(key(1), 500), Noted::Watched);
        assert_eq!(flows.due(999), Due::default(), "first look a second on");
        assert_eq!(flows.due(1_000).exact, vec![key(1)]);
    }

    #[test]
    fn a_flow_ends_only_when_missed_twice_in_a_row() {
        let mut flows = watching(&[key(1), key(2)]);
        let missing = |keys: &[FlowKey]| Look {
            missing: Some(keys.to_vec()),
            ..Look::default()
        };
        assert!(flows.update(&missing(&[key(1)]), 1_000).is_empty());
        assert!(flows.missed_before(&key(1)) && !flows.missed_before(&key(2)));
        // Found again: the count starts over.
        let found = Look {
            found: vec![key(1)],
            ..Look::default()
        };
        assert!(flows.update(&found, 2_000).is_empty());
        assert!(flows.update(&missing(&[key(1)]), 3_000).is_empty());
        // A failed look knows nothing: no end, and the miss before still stands.
        let failed = Look::default();
        assert!(flows.update(&failed, 4_000).is_empty());
        assert_eq!(flows.update(&missing(&[key(1)]), 5_000), vec![key(1)]);
        assert!(
            !flows.due(10_000).exact.contains(&key(1)),
            "no longer watched"
        );
    }

    #[test]
    fn a_flow_only_a_dump_finds_is_looked_at_once_a_minute_and_ends_after_two_misses() {
        let mut flows = watching(&[key(1)]);
        let by_dump = Look {
            found_by_dump: vec![key(1)],
            ..Look::default()
        };
        flows.update(&by_dump, 1_000);
        assert_eq!(flows.due(2_000), Due::default());
        assert_eq!(flows.due(61_000).dump_only, vec![key(1)]);
        let missing = Look {
            missing: Some(vec![key(1)]),
            ..Look::default()
        };
        assert!(flows.update(&missing, 61_000).is_empty(), "one miss");
        assert_eq!(flows.due(61_999), Due::default());
        assert_eq!(
            flows.due(62_000).dump_only,
            vec![key(1)],
            "again in a second"
        );
        assert_eq!(flows.update(&missing, 62_000), vec![key(1)]);
    }

    #[test]
    fn flows_only_a_dump_finds_are_looked_at_together() {
        let mut flows = watching(&[key(1), key(2), key(3)]);
        let by_dump = |keys: &[FlowKey]| Look {
            found_by_dump: keys.to_vec(),
            ..Look::default()
        };
        flows.update(&by_dump(&[key(1)]), 1_000);
        flows.update(&by_dump(&[key(2)]), 30_000);
        let sorted = |mut keys: Vec<FlowKey>| {
            keys.sort_unstable();
            keys
        };
        // The first one's minute: the second one comes along, the exact one does not.
        let due = sorted(flows.due(61_000).dump_only);
        assert_eq!(due, vec![key(1), key(2)]);
        flows.update(&by_dump(&due), 61_000);
        assert_eq!(flows.due(120_000).dump_only, Vec::<FlowKey>::new());
        assert_eq!(sorted(flows.due(121_000).dump_only), vec![key(1), key(2)]);
    }

    #[test]
    fn a_look_asks_about_at_most_its_share_those_due_longest_first() {
        let keys: Vec<FlowKey> = (0..EXACT_PER_LOOK as u16 + 10).map(key).collect();
        let mut flows = watching(&keys);
        let first = flows.due(1_000).exact;
        assert_eq!(first.len(), EXACT_PER_LOOK);
        let look = Look {
            found: first.clone(),
            ..Look::default()
        };
        flows.update(&look, 1_000);
        let second = flows.due(2_000).exact;
        assert_eq!(second.len(), EXACT_PER_LOOK);
        for key in keys.iter().filter(|k| !first.contains(k)) {
            assert!(second.contains(key), "{key:?} waited one look, not more");
        }
    }

    #[test]
    fn a_syn_for_the_same_addresses_stops_the_watch() {
        let mut flows = watching(&[key(1), key(2)]);
        flows.new_connection(&key(1));
        assert_eq!(flows.due(1_000).exact, vec![key(2)]);
    }

    #[test]
    fn a_full_list_refuses_more_warns_once_and_takes_again_once_it_has_room() {
        let mut flows = MidStreamFlows::default();
        flows.turn_on();
        for port in 0..MAX_WATCHED as u16 {
            assert_eq!(flows.note(key(port), 0), Noted::Watched);
        }
        let over = MAX_WATCHED as u16;
        assert_eq!(flows.note(key(over), 0), Noted::Full { first: true });
        assert_eq!(flows.note(key(over + 1), 0), Noted::Full { first: false });
        flows.forget(&[key(0), key(1)]);
        assert_eq!(flows.note(key(over), 0), Noted::Watched);
        assert_eq!(flows.note(key(over + 10), 0), Noted::Watched);
        assert_eq!(
            flows.note(key(over + 20), 0),
            Noted::Full { first: true },
            "full again after having room: warned again"
        );
        assert_eq!(flows.flows.len(), MAX_WATCHED);
    }
}
