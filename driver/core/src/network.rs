//! Network facts (protocol README, "Network facts"): numbering the facts a driver reports, and
//! each client's *seen epoch*, which keeps the policy from deciding new connections until the
//! app has put the profile of the network it was last told about in force.
//!
//! - [`NetworkEpochs`]: the facts in force; a change of any field but `epoch` is reported with
//!   the next epoch (1 for the facts at start); facts equal to the current ones are not.
//! - [`SeenEpoch`]: per client session. While a client granted NETWORK and POLICY has seen an
//!   epoch below the last one queued to it, the policy (rules and blocklist) decides nothing new:
//!   the connection is held and asked about, as if no rule matched. NetworkSeen moves its seen
//!   epoch, and is refused (changing nothing) from a client not granted NETWORK or for an epoch
//!   never queued to it.

use core::fmt;

use zenithfence_protocol::constants::feature;
use zenithfence_protocol::NetworkFacts;

/// Whether two facts describe the same network (every field but `epoch` equal).
pub fn same_network(a: &NetworkFacts, b: &NetworkFacts) -> bool {
    NetworkFacts {
        epoch: 0,
        ..a.clone()
    } == NetworkFacts {
        epoch: 0,
        ..b.clone()
    }
}

/// The facts in force, numbered.
#[derive(Clone, Debug, Default)]
pub struct NetworkEpochs {
    current: Option<NetworkFacts>,
}

impl NetworkEpochs {
    /// Nothing reported yet.
    pub fn new() -> NetworkEpochs {
        NetworkEpochs::default()
    }

    /// Takes the facts as observed now (their `epoch` is ignored). When they differ from the
    /// facts in force, or none were reported yet, they are put in force with the next epoch and
    /// returned, to be reported; otherwise `None`. (The epoch stops at `u32::MAX`: four billion
    /// changes are not reached.)
    pub fn observe(&mut self, observed: NetworkFacts) -> Option<&NetworkFacts> {
        let epoch = match &self.current {
            Some(current) if same_network(current, &observed) => return None,
            Some(current) => current.epoch.saturating_add(1),
            None => 1,
        };
        self.current = Some(NetworkFacts { epoch, ..observed });
        self.current.as_ref()
    }

    /// The facts in force, once any were observed.
    pub fn current(&self) -> Option<&NetworkFacts> {
        self.current.as_ref()
    }
}

/// Why a NetworkSeen was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeenRefused {
    /// The client was not granted NETWORK.
    NotGranted,
    /// No NetworkFacts of that epoch was queued to the client yet.
    Ahead {
        /// The epoch the client named.
        epoch: u32,
        /// The last epoch queued to it (0: none).
        last_queued: u32,
    },
}

impl fmt::Display for SeenRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeenRefused::NotGranted => write!(f, "NetworkSeen without the NETWORK feature"),
            SeenRefused::Ahead { epoch, last_queued } => write!(
                f,
                "NetworkSeen for epoch {epoch}, but the last network facts sent were epoch {last_queued}"
            ),
        }
    }
}

/// One client session's NetworkSeen state: 0 and 0 at its Hello.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeenEpoch {
    last_queued: u32,
    seen: u32,
}

impl SeenEpoch {
    /// A NetworkFacts of `epoch` was queued to the client.
    pub fn queued(&mut self, epoch: u32) {
        self.last_queued = epoch;
    }

    /// NetworkSeen `epoch` from a client granted `granted`. Accepted when NETWORK is granted
    /// and that epoch was queued to it (`epoch` ≤ the last queued); the seen epoch then becomes
    /// `epoch`, also when that is below the one before (the client says which network's policy
    /// is in force: an older one suspends the policy again, which only asks more). Refused
    /// otherwise, changing nothing.
    pub fn network_seen(&mut self, epoch: u32, granted: u32) -> Result<(), SeenRefused> {
        if granted & feature::NETWORK == 0 {
            return Err(SeenRefused::NotGranted);
        }
        if epoch > self.last_queued {
            return Err(SeenRefused::Ahead {
                epoch,
                last_queued: self.last_queued,
            });
        }
        self.seen = epoch;
        Ok(())
    }

    /// Whether the policy is suspended for this client (granted `granted`): it must decide no
    /// new connection; each is held and asked about as if no rule matched.
    pub fn suspends_policy(&self, granted: u32) -> bool {
        let both = feature::NETWORK | feature::POLICY;
        granted & both == both && self.seen < self.last_queued
    }

    /// The last epoch queued to the client (0: none yet).
    pub fn last_queued(&self) -> u32 {
        self.last_queued
    }

    /// The client's seen epoch.
    pub fn seen(&self) -> u32 {
        self.seen
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use zenithfence_protocol::info_network::network_flags;

    fn home() -> NetworkFacts {
        let mut gateway_ip = [0u8; 16];
        gateway_ip[..4].copy_from_slice(&[192, 168, 1, 1]);
        NetworkFacts {
            epoch: 0,
            flags: network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC,
            ip_version: 4,
            gateway_ip,
            gateway_mac: [2, 0, 0, 0, 0, 1],
            if_index: 2,
            interface_name: "eth0".into(),
            dns_suffix: "home.example".into(),
            ssid: alloc::vec::Vec::new(),
        }
    }

    const BOTH: u32 = feature::NETWORK | feature::POLICY;

    #[test]
    fn epochs_count_changes_from_1_and_ignore_repeats() {
        let mut epochs = NetworkEpochs::new();
        assert_eq!(epochs.current(), None);
        assert_eq!(epochs.observe(home()).unwrap().epoch, 1);
        // The observer's own epoch means nothing: the same network is no change.
        let same = NetworkFacts {
            epoch: 77,
            ..home()
        };
        assert_eq!(epochs.observe(same), None);
        let work = NetworkFacts {
            dns_suffix: String::from("work.example"),
            ..home()
        };
        assert_eq!(epochs.observe(work.clone()).unwrap().epoch, 2);
        assert_eq!(epochs.observe(work), None);
        // Any one field makes a change, back to a network seen before too.
        let mac = NetworkFacts {
            gateway_mac: [2, 0, 0, 0, 0, 2],
            ..home()
        };
        assert_eq!(epochs.observe(mac).unwrap().epoch, 3);
        let reported = epochs.observe(home()).unwrap().clone();
        assert_eq!(reported, NetworkFacts { epoch: 4, ..home() });
        assert_eq!(epochs.current(), Some(&reported));
        let offline = NetworkFacts::default();
        assert_eq!(epochs.observe(offline).unwrap().epoch, 5);
    }

    #[test]
    fn same_network_compares_every_field_but_the_epoch() {
        let a = home();
        assert!(same_network(
            &a,
            &NetworkFacts {
                epoch: 9,
                ..a.clone()
            }
        ));
        let changes = [
            NetworkFacts {
                flags: 1,
                ..a.clone()
            },
            NetworkFacts {
                ip_version: 6,
                ..a.clone()
            },
            NetworkFacts {
                gateway_ip: [1; 16],
                ..a.clone()
            },
            NetworkFacts {
                gateway_mac: [0; 6],
                ..a.clone()
            },
            NetworkFacts {
                if_index: 3,
                ..a.clone()
            },
            NetworkFacts {
                interface_name: "eth1".into(),
                ..a.clone()
            },
            NetworkFacts {
                dns_suffix: String::new(),
                ..a.clone()
            },
            NetworkFacts {
                ssid: b"x".to_vec(),
                ..a.clone()
            },
        ];
        for changed in changes {
            assert!(!same_network(&a, &changed), "{changed:?}");
        }
    }

    #[test]
    fn the_policy_is_suspended_from_a_newer_epoch_until_it_is_seen() {
        let mut seen = SeenEpoch::default();
        assert!(!seen.suspends_policy(BOTH), "nothing queued yet");
        seen.queued(1);
        assert!(seen.suspends_policy(BOTH), "the facts after Hello");
        assert_eq!(seen.network_seen(1, BOTH), Ok(()));
        assert!(!seen.suspends_policy(BOTH));
        seen.queued(2);
        assert!(seen.suspends_policy(BOTH), "a change");
        seen.queued(3);
        assert_eq!(seen.network_seen(2, BOTH), Ok(()));
        assert!(seen.suspends_policy(BOTH), "2 is not the last one queued");
        assert_eq!(seen.network_seen(3, BOTH), Ok(()));
        assert!(!seen.suspends_policy(BOTH));
        assert_eq!((seen.seen(), seen.last_queued()), (3, 3));
        // An older epoch is taken as said: that network's policy is in force, so it asks again.
        assert_eq!(seen.network_seen(1, BOTH), Ok(()));
        assert!(seen.suspends_policy(BOTH));
    }

    #[test]
    fn only_a_client_granted_network_and_policy_is_suspended() {
        let mut seen = SeenEpoch::default();
        seen.queued(4);
        assert!(seen.suspends_policy(BOTH | feature::DNS));
        assert!(!seen.suspends_policy(feature::NETWORK));
        assert!(!seen.suspends_policy(feature::POLICY));
        assert!(!seen.suspends_policy(0));
    }

    #[test]
    fn a_refused_network_seen_changes_nothing() {
        let mut seen = SeenEpoch::default();
        assert_eq!(
            seen.network_seen(1, BOTH),
            Err(SeenRefused::Ahead {
                epoch: 1,
                last_queued: 0
            })
        );
        assert_eq!(
            seen.network_seen(0, BOTH),
            Ok(()),
            "epoch 0 was never above"
        );
        seen.queued(2);
        let before = seen;
        assert_eq!(
            seen.network_seen(3, BOTH),
            Err(SeenRefused::Ahead {
                epoch: 3,
                last_queued: 2
            })
        );
        assert_eq!(
            seen.network_seen(2, feature::POLICY),
            Err(SeenRefused::NotGranted)
        );
        assert_eq!(seen, before);
        assert!(seen.suspends_policy(BOTH));
        assert_eq!(seen.network_seen(2, feature::NETWORK), Ok(()));
        assert_eq!(seen.seen(), 2);
        assert!(SeenRefused::NotGranted.to_string().contains("NETWORK"));
    }
}
