//! When the network facts are reported (protocol README "Network facts"): at once when they
//! changed. When the route's gateway has no MAC yet, the kernel is asked to resolve it and the
//! facts go out at once all the same, marked as being resolved (flags bit 3, no MAC): the app
//! then knows the old network is left, and a gateway that withholds its ARP answer does not keep
//! the old network's facts in force. Then again once the MAC is known, or after
//! [`MAC_WAIT_MS`] without it (neither MAC nor bit 3: the network is its address alone).
//!
//! A gateway's MAC, once known, stays known while the route keeps that gateway: the kernel
//! forgets idle neighbour entries, and a forgotten entry is not another network. A different MAC
//! for the same gateway is (another router behind the same address).
//!
//! Pure: time is passed in; `network_watch.rs` does the asking, and wakes at the deadline.

use zenithfence_protocol::info_network::network_flags;
use zenithfence_protocol::NetworkFacts;

use crate::network_tables::{GatewayKey, Observed};

/// How long the gateway's MAC is waited for before the facts go out without it.
pub(crate) const MAC_WAIT_MS: u64 = 1_000;

/// What to do with the facts observed now. Reported facts have epoch 0: the engine numbers
/// them (and drops facts equal to those in force).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Report these facts.
    Report(NetworkFacts),
    /// Ask the kernel to resolve this gateway's MAC and report these facts, marked as being
    /// resolved; the next facts follow once it is known or at [`Reporter::deadline`].
    Resolve(GatewayKey, NetworkFacts),
    /// Nothing to report now (no change).
    Nothing,
}

/// The facts last reported and the MAC wait in progress.
#[derive(Default)]
#[cfg_attr(test, derive(Clone, Debug, PartialEq))]
pub(crate) struct Reporter {
    reported: Option<NetworkFacts>,
    /// The gateway whose MAC is being resolved, and until when it is waited for.
    waiting: Option<(GatewayKey, u64)>,
    /// The gateway whose wait ended without a MAC: not waited for again while the route keeps
    /// it (its facts without a MAC stand; a new wait would only report them once more).
    gave_up: Option<GatewayKey>,
    /// The last MAC seen for a gateway.
    known_mac: Option<(GatewayKey, [u8; 6])>,
    /// A step ran and nothing here changed since (see [`Reporter::settled`]).
    stepped: bool,
}

impl Reporter {
    /// Decides what to do with `observed` at `now_ms`.
    pub(crate) fn step(&mut self, observed: &Observed, now_ms: u64) -> Step {
        let gateway = observed.gateway;
        let mut facts = observed.facts.clone();
        // A MAC is carried over only while the route keeps its gateway: once the route is gone
        // or goes elsewhere, the same address may next be another network's router (two cafés
        // both on 192.168.1.1 behind wlan0), whose MAC must be learnt, never borrowed. Nor is
        // a wait given up on carried over: that address is resolved anew.
        if self.known_mac.is_some_and(|(key, _)| Some(key) != gateway) {
            self.known_mac = None;
        }
        if self.gave_up.is_some_and(|key| Some(key) != gateway) {
            self.gave_up = None;
        }
        if let Some(gateway) = gateway {
            if facts.flags & network_flags::GATEWAY_MAC != 0 {
                self.known_mac = Some((gateway, facts.gateway_mac));
            } else if let Some((_, mac)) = self.known_mac.filter(|(key, _)| *key == gateway) {
                facts.gateway_mac = mac;
                facts.flags |= network_flags::GATEWAY_MAC;
            }
        }
        let unresolved = gateway.filter(|_| facts.flags & network_flags::GATEWAY_MAC == 0);
        let mut resolve = None;
        match (unresolved, self.waiting) {
            // A MAC, or none to learn (no gateway, a tunnel): no wait.
            (None, _) => self.waiting = None,
            (Some(gateway), Some((key, deadline))) if key == gateway => {
                if now_ms < deadline {
                    // Still being resolved (other fields may have changed meanwhile).
                    facts.flags |= network_flags::RESOLVING_MAC;
                } else {
                    self.waiting = None;
                    self.gave_up = Some(gateway);
                }
            }
            (Some(gateway), _) if self.gave_up == Some(gateway) => self.waiting = None,
            (Some(gateway), _) => {
                self.waiting = Some((gateway, now_ms.saturating_add(MAC_WAIT_MS)));
                facts.flags |= network_flags::RESOLVING_MAC;
                resolve = Some(gateway);
            }
        }
        self.stepped = true;
        // A resolution is asked for even when its facts are those reported (a wait started
        // again after `left_gateway`): the engine drops facts equal to those in force.
        if resolve.is_none() && self.reported.as_ref() == Some(&facts) {
            return Step::Nothing;
        }
        self.reported = Some(facts.clone());
        match resolve {
            Some(gateway) => Step::Resolve(gateway, facts),
            None => Step::Report(facts),
        }
    }

    /// When the MAC wait in progress ends (then step again with the last facts observed).
    pub(crate) fn deadline(&self) -> Option<u64> {
        self.waiting.map(|(_, deadline)| deadline)
    }

    /// Whether a step at `now_ms` with the facts of the last step would give [`Step::Nothing`]:
    /// one ran, nothing here changed since (no [`Reporter::left_gateway`]) and the MAC wait, if
    /// any, is not over. Its caller, which knows whether the facts changed, then need not step:
    /// a step copies and compares the facts, at every wake-up of the packet thread.
    pub(crate) fn settled(&self, now_ms: u64) -> bool {
        self.stepped && self.deadline().is_none_or(|deadline| now_ms < deadline)
    }

    /// The gateway's link went down or its route was deleted: the route left it, even when the
    /// tables are next read with the same gateway on the same interface again (a link that
    /// dropped and joined another network between two reads). Its MAC is not carried over, and
    /// it is resolved anew: also a wait in progress or given up on starts again (the kernel
    /// drops a down link's neighbour entries, a pending resolution with them).
    pub(crate) fn left_gateway(&mut self) {
        self.known_mac = None;
        self.gave_up = None;
        self.waiting = None;
        self.stepped = false;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use zenithfence_core::flow::IpAddress;
    use zenithfence_core::network::NetworkEpochs;

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

    fn offline() -> Observed {
        Observed {
            facts: NetworkFacts::default(),
            gateway: None,
        }
    }

    fn report(observed: &Observed) -> Step {
        Step::Report(observed.facts.clone())
    }

    /// The facts of `observed` (without a MAC) marked as being resolved.
    fn resolving(observed: &Observed) -> NetworkFacts {
        NetworkFacts {
            flags: observed.facts.flags | network_flags::RESOLVING_MAC,
            ..observed.facts.clone()
        }
    }

    /// A resolution of 10.0.0.`host` asked for, with the facts of `observed` being resolved.
    fn resolve(host: u8, observed: &Observed) -> Step {
        Step::Resolve(key(host), resolving(observed))
    }

    /// The reporter and the engine's numbering, as the daemon chains them.
    #[derive(Default)]
    struct Numbered {
        reporter: Reporter,
        epochs: NetworkEpochs,
    }

    impl Numbered {
        /// The facts this step puts in force, numbered (None: no new epoch).
        fn step(&mut self, observed: &Observed, now_ms: u64) -> Option<NetworkFacts> {
            match self.reporter.step(observed, now_ms) {
                Step::Report(facts) | Step::Resolve(_, facts) => {
                    self.epochs.observe(facts).cloned()
                }
                Step::Nothing => None,
            }
        }
    }

    fn numbered(epoch: u32, facts: NetworkFacts) -> Option<NetworkFacts> {
        Some(NetworkFacts { epoch, ..facts })
    }

    #[test]
    fn known_macs_and_unresolvable_gateways_are_reported_at_once_and_only_changes() {
        let mut reporter = Reporter::default();
        let home = via(1, Some(MAC));
        assert_eq!(reporter.step(&home, 0), report(&home));
        assert_eq!(reporter.step(&home, 5), Step::Nothing);
        assert_eq!(reporter.step(&offline(), 6), report(&offline()));
        // A gateway without MACs (a tunnel): nothing to resolve, never bit 3.
        let tunnel = Observed {
            gateway: None,
            ..via(9, None)
        };
        assert_eq!(reporter.step(&tunnel, 7), report(&tunnel));
        assert_eq!(reporter.deadline(), None);
    }

    #[test]
    fn a_route_to_an_unresolved_gateway_is_reported_at_once_then_with_its_mac() {
        let mut n = Numbered::default();
        let home = via(1, Some(MAC));
        assert_eq!(n.step(&home, 0), numbered(1, home.facts.clone()));
        // The route goes to a gateway without a neighbour entry: asked for, and the facts go
        // out at once, marked, without a MAC.
        assert_eq!(
            n.reporter.step(&via(2, None), 100),
            resolve(2, &via(2, None))
        );
        let marked = n.epochs.observe(resolving(&via(2, None))).cloned().unwrap();
        assert_eq!(marked.epoch, 2);
        assert_eq!(
            marked.flags,
            network_flags::DEFAULT_ROUTE | network_flags::RESOLVING_MAC
        );
        assert_eq!(marked.gateway_mac, [0; 6]);
        assert_eq!(n.reporter.deadline(), Some(100 + MAC_WAIT_MS));
        // Other events meanwhile: no new facts, not asked again.
        assert_eq!(n.step(&via(2, None), 600), None);
        assert_eq!(n.reporter.deadline(), Some(100 + MAC_WAIT_MS));
        // The MAC came: the next epoch, with it, and without bit 3.
        let resolved = via(2, Some([2, 0, 0, 0, 0, 2]));
        assert_eq!(n.step(&resolved, 700), numbered(3, resolved.facts.clone()));
        assert_eq!(n.reporter.deadline(), None);
        assert_eq!(n.step(&resolved, 1_500), None, "no second follow-up");
    }

    #[test]
    fn a_mac_that_never_comes_is_given_up_after_a_second() {
        let mut n = Numbered::default();
        // At start too: the first facts are the marked ones.
        assert_eq!(
            n.step(&via(2, None), 1_000),
            numbered(1, resolving(&via(2, None)))
        );
        assert_eq!(n.step(&via(2, None), 1_999), None);
        assert_eq!(n.reporter.deadline(), Some(2_000));
        // The second is over: the next epoch, neither MAC nor bit 3.
        let given_up = n.step(&via(2, None), 2_000).unwrap();
        assert_eq!(
            given_up,
            NetworkFacts {
                epoch: 2,
                ..via(2, None).facts
            }
        );
        assert_eq!(given_up.flags, network_flags::DEFAULT_ROUTE);
        assert_eq!(n.reporter.deadline(), None);
        assert_eq!(n.step(&via(2, None), 2_500), None);
        // ... and again once it is known.
        assert_eq!(
            n.step(&via(2, Some(MAC)), 9_000),
            numbered(3, via(2, Some(MAC)).facts)
        );
    }

    #[test]
    fn a_change_during_the_wait_keeps_bit_3() {
        let mut reporter = Reporter::default();
        assert_eq!(reporter.step(&via(2, None), 0), resolve(2, &via(2, None)));
        let mut vpn = via(2, None);
        vpn.facts.flags |= network_flags::VPN;
        assert_eq!(reporter.step(&vpn, 10), Step::Report(resolving(&vpn)));
        assert_eq!(reporter.deadline(), Some(MAC_WAIT_MS), "the same wait");
        assert_eq!(reporter.step(&vpn, MAC_WAIT_MS), report(&vpn));
    }

    #[test]
    fn a_sticky_known_mac_gives_no_bit_3_facts() {
        let mut n = Numbered::default();
        let home = via(1, Some(MAC));
        assert_eq!(n.step(&home, 0), numbered(1, home.facts.clone()));
        // The kernel forgot the idle entry: no change, nothing asked, nothing waited for.
        assert_eq!(n.reporter.step(&via(1, None), 60_000), Step::Nothing);
        assert_eq!(n.reporter.deadline(), None);
        // Another change on the same route without the entry: the known MAC, no bit 3.
        let mut vpn = via(1, None);
        vpn.facts.flags |= network_flags::VPN;
        let mut expected = home.facts.clone();
        expected.flags |= network_flags::VPN;
        assert_eq!(n.step(&vpn, 61_000), numbered(2, expected));
        assert_eq!(n.reporter.deadline(), None);
    }

    #[test]
    fn a_gateway_given_up_on_is_not_waited_for_again_until_the_route_left_it() {
        let mut reporter = Reporter::default();
        reporter.step(&via(2, None), 0);
        assert_eq!(
            reporter.step(&via(2, None), MAC_WAIT_MS),
            report(&via(2, None))
        );
        // The VPN comes up: a change, reported at once, without bit 3 (no second wait).
        let mut vpn = via(2, None);
        vpn.facts.flags |= network_flags::VPN;
        assert_eq!(reporter.step(&vpn, 2 * MAC_WAIT_MS), report(&vpn));
        assert_eq!(reporter.deadline(), None);
        // Elsewhere and back: resolved anew (a network behind the same address may not
        // withhold its answer).
        reporter.step(&offline(), 3 * MAC_WAIT_MS);
        assert_eq!(
            reporter.step(&via(2, None), 3 * MAC_WAIT_MS + 1),
            resolve(2, &via(2, None))
        );
        // The same after the link went down between two reads of the tables.
        reporter.step(&via(2, None), 4 * MAC_WAIT_MS + 1);
        assert_eq!(reporter.deadline(), None, "given up again");
        reporter.left_gateway();
        assert_eq!(
            reporter.step(&via(2, None), 5 * MAC_WAIT_MS),
            resolve(2, &via(2, None))
        );
    }

    #[test]
    fn back_to_the_reported_network_during_a_wait_reports_it_again() {
        let mut n = Numbered::default();
        let home = via(1, Some(MAC));
        n.step(&home, 0);
        assert_eq!(
            n.step(&via(2, None), 10),
            numbered(2, resolving(&via(2, None)))
        );
        // The marked facts are in force now: the way back is a change.
        assert_eq!(n.step(&home, 20), numbered(3, home.facts.clone()));
        assert_eq!(n.reporter.deadline(), None, "the wait is over");
    }

    #[test]
    fn a_known_mac_outlives_its_neighbour_entry_but_not_a_new_one() {
        let mut reporter = Reporter::default();
        let home = via(1, Some(MAC));
        reporter.step(&home, 0);
        assert_eq!(reporter.step(&via(1, None), 60_000), Step::Nothing);
        // Another router answers for the same address: a change.
        let other = via(1, Some([2, 0, 0, 0, 0, 2]));
        assert_eq!(reporter.step(&other, 61_000), report(&other));
        // Another gateway does not borrow the old one's MAC.
        assert_eq!(
            reporter.step(&via(4, None), 62_000),
            resolve(4, &via(4, None))
        );
    }

    #[test]
    fn a_known_mac_is_not_lent_to_the_same_address_once_the_route_left_it() {
        let mut reporter = Reporter::default();
        let home = via(1, Some(MAC));
        reporter.step(&home, 0);
        assert_eq!(reporter.step(&offline(), 10), report(&offline()));
        // Another network whose router has the same address on the same interface: its own
        // MAC is asked for, and its facts are marked, not named after the home router.
        assert_eq!(reporter.step(&via(1, None), 20), resolve(1, &via(1, None)));
        assert_eq!(
            reporter.step(&via(1, None), 20 + MAC_WAIT_MS),
            report(&via(1, None))
        );
        // The same through a route to another gateway in between.
        let mut reporter = Reporter::default();
        reporter.step(&home, 0);
        reporter.step(&via(2, Some([2, 0, 0, 0, 0, 2])), 10);
        assert_eq!(reporter.step(&via(1, None), 20), resolve(1, &via(1, None)));
    }

    #[test]
    fn a_forgotten_mac_is_asked_for_again_on_the_same_route() {
        let mut reporter = Reporter::default();
        reporter.step(&via(1, Some(MAC)), 0);
        // The link dropped and came back between two reads of the tables (see `left_gateway`).
        reporter.left_gateway();
        assert_eq!(reporter.step(&via(1, None), 10), resolve(1, &via(1, None)));
        let other = via(1, Some([2, 0, 0, 0, 0, 9]));
        assert_eq!(reporter.step(&other, 20), report(&other));
    }

    #[test]
    fn a_link_dropping_during_a_wait_asks_again_and_waits_anew() {
        let mut reporter = Reporter::default();
        assert_eq!(reporter.step(&via(1, None), 0), resolve(1, &via(1, None)));
        // The kernel dropped the entry being resolved with the link: asked again; the facts
        // are the same (the engine gives them no new epoch).
        reporter.left_gateway();
        assert_eq!(reporter.step(&via(1, None), 500), resolve(1, &via(1, None)));
        assert_eq!(reporter.deadline(), Some(500 + MAC_WAIT_MS));
    }

    #[test]
    fn a_settled_reporter_would_step_to_nothing_until_its_wait_ends_or_the_route_leaves() {
        let mut reporter = Reporter::default();
        assert!(!reporter.settled(0), "never stepped");
        // Every kind of step, each followed by what `settled` promises: the same facts again
        // before the deadline give nothing.
        let timeline = [
            (via(1, Some(MAC)), 0),
            (offline(), 10),
            (via(2, None), 20),
            (via(2, None), 500),
            (via(2, Some(MAC)), 600),
            (via(3, None), 700),
            (via(3, None), 700 + MAC_WAIT_MS),
            (via(3, None), 5_000),
        ];
        for (observed, at) in timeline {
            reporter.step(&observed, at);
            assert!(reporter.settled(at), "settled after the step at {at}");
            let before_deadline = reporter.deadline().map_or(at + 5_000, |d| d - 1);
            assert!(reporter.settled(before_deadline));
            let mut again = reporter.clone();
            assert_eq!(
                again.step(&observed, before_deadline),
                Step::Nothing,
                "at {at}"
            );
            // Nor did that step change anything a later one depends on.
            assert_eq!(again, reporter, "at {at}");
        }
        // A wait that ends unsettles it: that step reports the facts without the MAC.
        reporter.step(&via(4, None), 6_000);
        assert!(!reporter.settled(6_000 + MAC_WAIT_MS));
        assert_eq!(
            reporter.step(&via(4, None), 6_000 + MAC_WAIT_MS),
            report(&via(4, None))
        );
        // So does the route leaving the gateway, however early.
        assert!(reporter.settled(7_000));
        reporter.left_gateway();
        assert!(!reporter.settled(7_000));
        assert_eq!(
            reporter.step(&via(4, None), 7_000),
            resolve(4, &via(4, None))
        );
    }
}
