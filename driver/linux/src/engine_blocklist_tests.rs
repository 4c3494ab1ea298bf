//! The engine with a policy's blocklist: without a client a listed connection is blocked for
//! good (by its address, or by a name DNS answers gave it), a rule decides first, a client is
//! asked as before, and held connections of a client that leaves meet the lists too.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use zenithfence_protocol::policy::{
    BlockedNetwork, PolicyBlocklist, PolicyDocument, PolicyRule, RuleAction, RuleDestination,
};

use super::tests::{fixture, flow, process, t, Fixture};
use super::*;

/// The remote address of `flow(port)`.
const SERVER: [u8; 4] = [10, 0, 0, 2];
/// An address no list holds.
const OTHER: [u8; 4] = [10, 7, 7, 7];

/// No-app action accept; the lists hold `ads.example` and 10.0.0.0/30 (SERVER's network).
fn listing(rules: Vec<PolicyRule>) -> PolicyDocument {
    PolicyDocument {
        flags: 0,
        generation: 3,
        no_app_action: 2,
        rules,
        blocklist: PolicyBlocklist {
            names: ["ads.example"].into_iter().collect(),
            networks: vec![BlockedNetwork::V4 {
                network: [10, 0, 0, 0],
                prefix: 30,
            }],
        },
    }
}

fn install(f: &mut Fixture, document: &PolicyDocument) {
    let prepared = PreparedPolicy::from_bytes(&document.encode()).unwrap();
    f.engine
        .install_policy(Box::new(prepared), PolicyOrigin::Client);
}

fn to(address: [u8; 4], port: u16) -> FlowKey {
    FlowKey {
        remote_ip: IpAddress::V4(address),
        ..flow(port)
    }
}

#[test]
fn without_a_client_a_listed_connection_is_blocked_for_good() {
    let mut f = fixture(64, false);
    install(&mut f, &listing(Vec::new()));
    assert!(!f.engine.policy.needs_process(), "lists need no process");
    f.packet(1, 10, 0, Attribution::default());
    f.packet_of(to(OTHER, 2), 11, 0, Attribution::default());
    // A name DNS answers gave OTHER, below a listed one.
    f.engine
        .dns_name("x.ads.example".into(), IpAddress::V4(OTHER), 60, 0);
    f.packet_of(to(OTHER, 3), 12, 1, Attribution::default());
    // A sibling suffix lists nothing.
    let third = [10, 7, 7, 8];
    f.engine
        .dns_name("notads.example".into(), IpAddress::V4(third), 60, 0);
    f.packet_of(to(third, 4), 13, 1, Attribution::default());
    assert_eq!(
        f.answers(),
        vec![
            (10, Action::Block, true),
            (11, Action::Accept, false),
            (12, Action::Block, true),
            (13, Action::Accept, false),
        ]
    );
    // Cached as PermanentBlock: the flow's next packet is answered alike, without a decision.
    assert_eq!(f.packet(1, 14, 2, Attribution::default()), Quick::Done);
    assert_eq!(f.answers()[4], (14, Action::Block, true));
    assert!(f.infos().is_empty(), "no client, nothing queued");
}

#[test]
fn a_rule_beats_the_lists_and_a_client_is_asked() {
    let allow = PolicyRule::new(1, RuleAction::Allow, None, RuleDestination::Ip4(SERVER));
    let document = listing(vec![allow]);
    let mut f = fixture(64, false);
    install(&mut f, &document);
    f.packet(1, 10, 0, Attribution::default());
    f.packet_of(to([10, 0, 0, 3], 2), 11, 0, Attribution::default());
    assert_eq!(
        f.answers(),
        vec![(10, Action::Accept, true), (11, Action::Block, true)],
        "the allow rule decides its address, the list the rest of the network"
    );
    let mut f = fixture(64, false);
    install(&mut f, &listing(Vec::new()));
    f.engine.attach();
    assert_eq!(f.packet(1, 10, 0, process(42, 7)), Quick::Attribute);
    assert!(
        f.answers().is_empty(),
        "held: the app decides listed connections"
    );
    assert_eq!(f.engine.pending_requests(), 1);
    // The client leaves: what it was asked meets the lists.
    f.engine.detach(t(5));
    assert_eq!(f.answers(), vec![(10, Action::Block, true)]);
}
