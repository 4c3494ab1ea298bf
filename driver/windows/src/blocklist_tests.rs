//! Host tests of a policy's blocklist in the driver: without a client a listed network is blocked
//! for good (cached like a rule's verdict), a rule still decides first, a client is asked as
//! before, and listed names never match (the kernel sees no DNS).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use zenithfence_protocol::constants::feature;
use zenithfence_protocol::policy::{
    BlockedNetwork, PolicyBlocklist, PolicyDocument, PolicyRule, RuleAction, RuleDestination,
    FLAG_CASE_INSENSITIVE_PATHS,
};
use zenithfence_protocol::Command;

use crate::classify::ClassifyAction;
use crate::config::Options;
use crate::device::HoldKind;
use crate::fields::tests::connect_v4;
use crate::policy_tests::{remote_443, rule};
use crate::stored_policy::{interpret, StoredRead};
use crate::tests::{
    is_absorb, is_hard_block, is_permit, reauth, tcp_connect, tcp_packet, Rig, APP_PID, LOCAL,
    REMOTE,
};

/// A document whose no-app action is accept and whose lists hold REMOTE's /24 and a name the
/// other addresses might have.
fn listing(rules: &[PolicyRule]) -> Vec<u8> {
    let [a, b, c, _] = REMOTE;
    PolicyDocument {
        flags: FLAG_CASE_INSENSITIVE_PATHS,
        generation: 4,
        no_app_action: 2,
        rules: rules.to_vec(),
        blocklist: PolicyBlocklist {
            names: ["example.com"].into_iter().collect(),
            networks: vec![BlockedNetwork::V4 {
                network: [a, b, c, 0],
                prefix: 24,
            }],
        },
    }
    .encode()
}

fn stored(bytes: Vec<u8>) -> Rig {
    let mut rig = Rig::new(Options::default());
    let effects = rig
        .driver
        .load_stored(interpret("p", StoredRead::Bytes(bytes)));
    rig.run(effects);
    rig
}

#[test]
fn without_a_client_a_listed_network_is_blocked_for_good() {
    let mut rig = stored(listing(&[]));
    assert!(is_hard_block(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert!(rig.holds.is_empty(), "nothing held, nobody asked");
    // Cached as PermanentBlock: the re-authorization and the packets of the flow are blocked.
    assert!(is_hard_block(&rig.connect(&reauth(1), APP_PID, &[])));
    assert_eq!(
        rig.packet(true, &tcp_packet(LOCAL, 1, REMOTE, 443)),
        ClassifyAction::Block
    );
    // Outside the network the no-app action (accept) applies; a listed name cannot match here.
    let other = connect_v4(6, LOCAL, 2, [9, 9, 9, 9], 443, 0);
    assert!(is_permit(&rig.connect(&other, APP_PID, &[])));
    let neighbour = connect_v4(
        6,
        LOCAL,
        3,
        [REMOTE[0], REMOTE[1], REMOTE[2] + 1, 1],
        443,
        0,
    );
    assert!(is_permit(&rig.connect(&neighbour, APP_PID, &[])));
}

#[test]
fn a_rule_that_decides_beats_the_list() {
    let mut rig = stored(listing(&[rule(5, RuleAction::Allow, remote_443())]));
    assert!(is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    // The rest of the network is still listed.
    let [a, b, c, _] = REMOTE;
    let listed = connect_v4(6, LOCAL, 2, [a, b, c, 1], 443, 0);
    assert!(is_hard_block(&rig.connect(&listed, APP_PID, &[])));
    // A drop rule decides too, with its own verdict.
    let mut rig = stored(listing(&[rule(
        6,
        RuleAction::Drop,
        RuleDestination::Ip4(REMOTE),
    )]));
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
}

#[test]
fn with_a_client_a_listed_connection_is_asked() {
    let mut rig = stored(listing(&[]));
    rig.driver
        .create(crate::tests::CLIENT_FILE, crate::tests::CLIENT_PID);
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::ALL,
    });
    rig.infos();
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert_eq!(rig.holds, vec![HoldKind::Pend]);
}
