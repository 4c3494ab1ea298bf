//! When the network facts are reported (protocol README "Network facts"): at once when they
//! changed and the gateway's MAC is known (or cannot be known); when the route's gateway has no
//! MAC yet, the kernel is asked to resolve it and the report waits for it at most
//! [`MAC_WAIT_MS`], then goes out without it (and again once it is known).
//!
//! A gateway's MAC, once known, stays known while the route keeps that gateway: the kernel
//! forgets idle neighbour entries, and a forgotten entry is not another network. A different MAC
//! for the same gateway is (another router behind the same address).
//!
//! Pure: time is passed in; `network_watch.rs` does the asking and the waiting.

use zenithfence_protocol::info_network::network_flags;
use zenithfence_protocol::NetworkFacts;

use crate::network_tables::{GatewayKey, Observed};

/// How long a report waits for the gateway's MAC.
pub(crate) const MAC_WAIT_MS: u64 = 1_000;

/// What to do with the facts observed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Report these facts (their epoch is 0: the engine numbers them).
    Report(NetworkFacts),
    /// Ask the kernel to resolve this gateway's MAC; the report waits (see
    /// [`Reporter::deadline`]).
    Resolve(GatewayKey),
    /// Nothing to report now (no change, or still waiting for the MAC).
    Nothing,
}

/// The facts last reported and the MAC wait in progress.
#[derive(Default)]
pub(crate) struct Reporter {
    reported: Option<NetworkFacts>,
    /// The gateway whose MAC a report waits for, and until when.
    waiting: Option<(GatewayKey, u64)>,
    /// The gateway whose wait ended without a MAC: not waited for again.
    gave_up: Option<GatewayKey>,
    /// The last MAC seen for a gateway.
    known_mac: Option<(GatewayKey, [u8; 6])>,
}

impl Reporter {
    /// Decides what to do with `observed` at `now_ms`.
    pub(crate) fn step(&mut self, observed: &Observed, now_ms: u64) -> Step {
        let mut facts = observed.facts.clone();
        // A MAC is carried over only while the route keeps its gateway: once the route is gone
        // or goes elsewhere, the same address may next be another network's router (two cafés
        // both on 192.168.1.1 behind wlan0), whose MAC must be learnt, never borrowed.
        if self
            .known_mac
            .is_some_and(|(key, _)| Some(key) != observed.gateway)
        {
            self.known_mac = None;
        }
        if let Some(gateway) = observed.gateway {
            if facts.flags & network_flags::GATEWAY_MAC != 0 {
                self.known_mac = Some((gateway, facts.gateway_mac));
            } else if let Some((_, mac)) = self.known_mac.filter(|(key, _)| *key == gateway) {
                facts.gateway_mac = mac;
                facts.flags |= network_flags::GATEWAY_MAC;
            }
        }
        if self.reported.as_ref() == Some(&facts) {
            self.waiting = None;
            return Step::Nothing;
        }
        let unresolved = observed
            .gateway
            .filter(|_| facts.flags & network_flags::GATEWAY_MAC == 0);
        if let Some(gateway) = unresolved {
            match self.waiting {
                Some((key, deadline)) if key == gateway && now_ms < deadline => {
                    return Step::Nothing
                }
                Some((key, _)) if key == gateway => self.gave_up = Some(gateway),
                _ if self.gave_up == Some(gateway) => {}
                _ => {
                    self.waiting = Some((gateway, now_ms.saturating_add(MAC_WAIT_MS)));
                    self.gave_up = None;
                    return Step::Resolve(gateway);
                }
            }
        }
        self.waiting = None;
        self.reported = Some(facts.clone());
        Step::Report(facts)
    }

    /// When the MAC wait in progress ends (then step again with the last facts observed).
    pub(crate) fn deadline(&self) -> Option<u64> {
        self.waiting.map(|(_, deadline)| deadline)
    }

    /// The gateway's link went down or its route was deleted: its MAC is not carried over, even
    /// when the tables are next read with the same gateway on the same interface again (a link
    /// that dropped and joined another network between two reads).
    pub(crate) fn forget_mac(&mut self) {
        self.known_mac = None;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use zenithfence_core::flow::IpAddress;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

    fn key(host: u8) -> GatewayKey {
        GatewayKey {
            if_index: 2,
            address: IpAddress::V4([10, 0, 0, host]),
        }
    }

    /// The facts of a route via 10.0.0.`host`, with or without the gateway's MAC.
    fn via(host: u8, mac: Option<[u8; 6]>) -> Observed {
        let mut gateway_ip = [0u8; 16];
        gateway_ip[..4].copy_from_slice(&[10, 0, 0, host]);
        let mut flags = network_flags::DEFAULT_ROUTE;
        if mac.is_some() {
            flags |= network_flags::GATEWAY_MAC;
        }
        Observed {
            facts: NetworkFacts {
                flags,
                ip_version: 4,
                gateway_ip,
                gateway_mac: mac.unwrap_or_default(),
                if_index: 2,
                interface_name: "eth0".into(),
                ..NetworkFacts::default()
            },
            gateway: Some(key(host)),
        }
    }

    fn report(observed: &Observed) -> Step {
        Step::Report(observed.facts.clone())
    }

    #[test]
    fn known_macs_and_unresolvable_gateways_are_reported_at_once_and_only_changes() {
        let mut reporter = Reporter::default();
        let home = via(1, Some(MAC));
        assert_eq!(reporter.step(&home, 0), report(&home));
        assert_eq!(reporter.step(&home, 5), Step::Nothing);
        let offline = Observed {
            facts: NetworkFacts::default(),
            gateway: None,
        };
        assert_eq!(reporter.step(&offline, 6), report(&offline));
        // A gateway without MACs (a tunnel): nothing to wait for.
        let tunnel = Observed {
            gateway: None,
            ..via(9, None)
        };
        assert_eq!(reporter.step(&tunnel, 7), report(&tunnel));
        assert_eq!(reporter.deadline(), None);
    }

    #[test]
    fn an_unknown_mac_is_asked_for_and_waited_for_at_most_a_second() {
        let mut reporter = Reporter::default();
        assert_eq!(reporter.step(&via(1, None), 100), Step::Resolve(key(1)));
        assert_eq!(reporter.deadline(), Some(100 + MAC_WAIT_MS));
        // Other events meanwhile: still waiting, not asked again.
        assert_eq!(reporter.step(&via(1, None), 600), Step::Nothing);
        // The MAC came: one report, with it.
        assert_eq!(
            reporter.step(&via(1, Some(MAC)), 700),
            report(&via(1, Some(MAC)))
        );
        assert_eq!(reporter.deadline(), None);
        // Another gateway that never answers: reported without the MAC at the deadline.
        assert_eq!(reporter.step(&via(2, None), 1_000), Step::Resolve(key(2)));
        assert_eq!(reporter.step(&via(2, None), 1_999), Step::Nothing);
        assert_eq!(reporter.step(&via(2, None), 2_000), report(&via(2, None)));
        assert_eq!(reporter.deadline(), None);
        assert_eq!(reporter.step(&via(2, None), 2_500), Step::Nothing);
        // ... and again once it is known.
        assert_eq!(
            reporter.step(&via(2, Some(MAC)), 9_000),
            report(&via(2, Some(MAC)))
        );
    }

    #[test]
    fn a_gateway_given_up_on_is_reported_at_once_until_another_is_waited_for() {
        let mut reporter = Reporter::default();
        reporter.step(&via(2, None), 0);
        assert_eq!(
            reporter.step(&via(2, None), MAC_WAIT_MS),
            report(&via(2, None))
        );
        // The VPN comes up: a change, reported at once (no second wait for the same gateway).
        let mut vpn = via(2, None);
        vpn.facts.flags |= network_flags::VPN;
        assert_eq!(reporter.step(&vpn, 2 * MAC_WAIT_MS), report(&vpn));
        // A new gateway is waited for; back on the old one, it is waited for again.
        assert_eq!(
            reporter.step(&via(3, None), 3 * MAC_WAIT_MS),
            Step::Resolve(key(3))
        );
        assert_eq!(
            reporter.step(&via(2, None), 3 * MAC_WAIT_MS + 1),
            Step::Resolve(key(2))
        );
    }

    #[test]
    fn back_to_the_reported_network_during_a_wait_reports_nothing() {
        let mut reporter = Reporter::default();
        reporter.step(&via(1, Some(MAC)), 0);
        assert_eq!(reporter.step(&via(2, None), 10), Step::Resolve(key(2)));
        assert_eq!(reporter.step(&via(1, Some(MAC)), 20), Step::Nothing);
        assert_eq!(reporter.deadline(), None, "the wait is over");
    }

    #[test]
    fn a_known_mac_outlives_its_neighbour_entry_but_not_a_new_one() {
        let mut reporter = Reporter::default();
        let home = via(1, Some(MAC));
        reporter.step(&home, 0);
        // The kernel forgot the idle entry: no change.
        assert_eq!(reporter.step(&via(1, None), 60_000), Step::Nothing);
        assert_eq!(reporter.deadline(), None, "nothing to wait for");
        // Another router answers for the same address: a change.
        let other = via(1, Some([2, 0, 0, 0, 0, 2]));
        assert_eq!(reporter.step(&other, 61_000), report(&other));
        // Another gateway does not borrow the old one's MAC.
        assert_eq!(reporter.step(&via(4, None), 62_000), Step::Resolve(key(4)));
    }

    #[test]
    fn a_known_mac_is_not_lent_to_the_same_address_once_the_route_left_it() {
        let mut reporter = Reporter::default();
        let home = via(1, Some(MAC));
        reporter.step(&home, 0);
        let offline = Observed {
            facts: NetworkFacts::default(),
            gateway: None,
        };
        assert_eq!(reporter.step(&offline, 10), report(&offline));
        // Another network whose router has the same address on the same interface: its own MAC
        // is asked for, and the facts wait for it rather than naming the home router.
        assert_eq!(reporter.step(&via(1, None), 20), Step::Resolve(key(1)));
        assert_eq!(
            reporter.step(&via(1, None), 20 + MAC_WAIT_MS),
            report(&via(1, None))
        );
        // The same through a route to another gateway in between.
        let mut reporter = Reporter::default();
        reporter.step(&home, 0);
        reporter.step(&via(2, Some([2, 0, 0, 0, 0, 2])), 10);
        assert_eq!(reporter.step(&via(1, None), 20), Step::Resolve(key(1)));
    }

    #[test]
    fn a_forgotten_mac_is_asked_for_again_on_the_same_route() {
        let mut reporter = Reporter::default();
        reporter.step(&via(1, Some(MAC)), 0);
        // The link dropped and came back between two reads of the tables (see `forget_mac`).
        reporter.forget_mac();
        assert_eq!(reporter.step(&via(1, None), 10), Step::Resolve(key(1)));
        let other = via(1, Some([2, 0, 0, 0, 0, 9]));
        assert_eq!(reporter.step(&other, 20), report(&other));
    }
}
