//! The engine with network facts (protocol README "Network facts"): who gets NetworkFacts and
//! when, NetworkSeen accepted or refused, and the policy suspended while the client has not put
//! the network last queued to it in force.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use zenithfence_protocol::info_network::network_flags;
use zenithfence_protocol::policy::{PolicyDocument, PolicyRule, RuleAction, RuleDestination};

use super::tests::{fixture, process, t, Fixture};
use super::*;

/// The remote address of `flow(port)`.
const SERVER: [u8; 4] = [10, 0, 0, 2];

/// Any app may reach the server (tag 7); everything else no rule decides.
fn allow_server() -> PolicyDocument {
    PolicyDocument {
        flags: 0,
        generation: 3,
        no_app_action: Verdict::Block as u8,
        rules: vec![PolicyRule::new(
            7,
            RuleAction::Allow,
            None,
            RuleDestination::Ip4(SERVER),
        )],
        blocklist: Default::default(),
    }
}

fn install(f: &mut Fixture, document: &PolicyDocument) {
    let prepared = PreparedPolicy::from_bytes(&document.encode()).unwrap();
    f.engine
        .install_policy(Box::new(prepared), PolicyOrigin::Client);
}

/// A network whose gateway is 10.0.0.`host`.
fn network(host: u8) -> NetworkFacts {
    let mut gateway_ip = [0u8; 16];
    gateway_ip[..4].copy_from_slice(&[10, 0, 0, host]);
    NetworkFacts {
        epoch: 0,
        flags: network_flags::DEFAULT_ROUTE | network_flags::GATEWAY_MAC,
        ip_version: 4,
        gateway_ip,
        gateway_mac: [2, 0, 0, 0, 0, host],
        if_index: 2,
        interface_name: "eth0".into(),
        dns_suffix: String::new(),
        ssid: Vec::new(),
    }
}

fn kinds(infos: &[Info]) -> Vec<u8> {
    infos.iter().map(Info::info_type).collect()
}

fn facts_in(infos: &[Info]) -> Vec<NetworkFacts> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::NetworkFacts(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn client(features: u32) -> Fixture {
    let mut f = fixture(64, false);
    f.engine.attach();
    f.engine.hello(1, features);
    f
}

fn rejected(f: &Fixture) -> u64 {
    f.engine.counters().values[5]
}

#[test]
fn hello_queues_the_facts_in_force_then_one_per_change_and_only_with_network() {
    let mut f = fixture(64, false);
    assert!(f.engine.network_observed(network(1)).is_some(), "epoch 1");
    f.engine.attach();
    f.engine.hello(1, feature::ALL);
    let infos = f.infos();
    assert_eq!(
        kinds(&infos),
        vec![128, 133, 137],
        "HelloReply, PolicyState, facts"
    );
    assert_eq!(
        facts_in(&infos),
        vec![NetworkFacts {
            epoch: 1,
            ..network(1)
        }]
    );
    // The same network again is no change; another is one, with the next epoch.
    assert_eq!(f.engine.network_observed(network(1)), None);
    let reported = f.engine.network_observed(network(9)).unwrap();
    assert_eq!(
        reported,
        NetworkFacts {
            epoch: 2,
            ..network(9)
        }
    );
    assert_eq!(facts_in(&f.infos()), vec![reported]);
    // A Hello without NETWORK: none at Hello, none at a change.
    f.engine.hello(1, feature::ALL & !feature::NETWORK);
    f.engine.network_observed(network(1));
    assert_eq!(kinds(&f.infos()), vec![128, 133]);
    // Without any client the facts are still numbered.
    f.engine.detach(t(0));
    assert_eq!(f.engine.network_observed(network(2)).unwrap().epoch, 4);
}

#[test]
fn facts_observed_before_any_client_said_hello_go_only_to_a_later_hello() {
    let mut f = client(feature::ALL);
    assert_eq!(kinds(&f.infos()), vec![128, 133], "no facts known yet");
    f.engine.network_observed(network(1));
    assert_eq!(facts_in(&f.infos()).len(), 1, "the first facts, once known");
}

#[test]
fn the_policy_decides_nothing_new_until_the_client_has_seen_the_network() {
    let mut f = fixture(64, false);
    install(&mut f, &allow_server());
    f.engine.network_observed(network(1));
    f.engine.attach();
    f.engine.hello(1, feature::ALL);
    f.infos();
    // Seen epoch 0 after Hello, facts of epoch 1 queued: the allow rule does not decide.
    assert_eq!(f.packet(1, 10, 0, process(42, 7)), Quick::Attribute);
    assert!(f.answers().is_empty(), "held, not decided");
    assert_eq!(kinds(&f.infos()), vec![129, 1], "Process, ConnectionV4");
    f.engine.network_seen(1);
    f.packet(2, 11, 1, process(42, 7));
    assert_eq!(
        f.answers(),
        vec![(11, Action::Accept, true)],
        "the rule again"
    );
    assert_eq!(kinds(&f.infos()), vec![134]);
    // A change: the rules of the network being left do not decide on the new one.
    f.engine.network_observed(network(2));
    f.packet(3, 12, 2, process(42, 7));
    assert_eq!(f.answers().len(), 1);
    let infos = f.infos();
    assert_eq!(
        kinds(&infos),
        vec![137, 1],
        "the facts come before the question"
    );
    f.engine.network_seen(2);
    f.packet(4, 13, 3, process(42, 7));
    assert_eq!(f.answers()[1], (13, Action::Accept, true));
    // The held ones are answered by the client as usual.
    assert!(f.engine.verdict(1, Verdict::Accept));
    assert_eq!(rejected(&f), 0);
}

#[test]
fn a_client_without_policy_or_without_network_is_never_suspended() {
    for features in [feature::NETWORK | feature::PROCESS, feature::POLICY] {
        let mut f = fixture(64, false);
        install(&mut f, &allow_server());
        f.engine.network_observed(network(1));
        f.engine.attach();
        f.engine.hello(1, features);
        f.packet(1, 10, 0, process(42, 7));
        assert_eq!(
            f.answers(),
            vec![(10, Action::Accept, true)],
            "{features:#x}"
        );
    }
}

#[test]
fn a_network_seen_without_network_or_ahead_of_the_facts_is_refused_and_changes_nothing() {
    let mut f = fixture(64, false);
    install(&mut f, &allow_server());
    f.engine.network_observed(network(1));
    f.engine.attach();
    f.engine.hello(1, feature::ALL & !feature::NETWORK);
    f.engine.network_seen(1);
    assert_eq!(rejected(&f), 1, "not granted NETWORK");
    f.engine.hello(1, feature::ALL);
    f.engine.network_seen(2);
    assert_eq!(rejected(&f), 2, "epoch 2 was never queued");
    f.packet(1, 10, 0, process(42, 7));
    assert!(f.answers().is_empty(), "still suspended");
    f.engine.network_seen(1);
    assert_eq!(rejected(&f), 2);
    f.packet(2, 11, 1, process(42, 7));
    assert_eq!(f.answers(), vec![(11, Action::Accept, true)]);
}

#[test]
fn a_second_hello_starts_from_seen_epoch_0_with_the_facts_again() {
    let mut f = fixture(64, false);
    install(&mut f, &allow_server());
    f.engine.network_observed(network(1));
    f.engine.attach();
    f.engine.hello(1, feature::ALL);
    f.engine.network_seen(1);
    f.engine.hello(1, feature::ALL);
    assert_eq!(
        facts_in(&f.infos())
            .iter()
            .map(|n| n.epoch)
            .collect::<Vec<_>>(),
        vec![1, 1]
    );
    f.packet(1, 10, 0, process(42, 7));
    assert!(f.answers().is_empty(), "asked until seen again");
}

#[test]
fn without_a_client_the_policy_decides_and_a_leaving_client_s_questions_are_decided_by_it() {
    let mut f = fixture(64, false);
    install(&mut f, &allow_server());
    f.engine.network_observed(network(1));
    f.engine.attach();
    f.engine.hello(1, feature::ALL);
    f.packet(1, 10, 0, process(42, 7));
    assert!(f.answers().is_empty());
    f.engine.detach(t(1));
    assert_eq!(f.answers(), vec![(10, Action::Accept, true)], "by the rule");
    f.engine.network_observed(network(2));
    f.packet(2, 11, 2, process(42, 7));
    assert_eq!(f.answers()[1], (11, Action::Accept, true));
}

#[test]
fn facts_a_full_queue_refused_go_out_before_the_next_question() {
    let mut f = fixture(3, false);
    f.engine.network_observed(network(1));
    f.engine.attach();
    f.engine.hello(1, feature::ALL);
    f.infos();
    f.engine.network_seen(1);
    // Two questions and their process fill the queue; the change finds no room.
    f.packet(1, 10, 0, process(42, 7));
    f.packet(2, 11, 0, process(42, 7));
    f.engine.network_observed(network(2));
    assert_eq!(kinds(&f.infos()), vec![129, 1, 1], "no room for the facts");
    // The client read: the next question comes after the facts it belongs to.
    f.packet(3, 12, 1, process(42, 7));
    let infos = f.infos();
    assert_eq!(kinds(&infos), vec![137, 1]);
    assert_eq!(facts_in(&infos)[0].epoch, 2);
    assert!(f.answers().is_empty(), "held, asked about");
    // Sent once: a change later is the next epoch, nothing twice.
    f.packet(4, 13, 2, process(42, 7));
    assert_eq!(kinds(&f.infos()), vec![1]);
}

#[test]
fn refused_facts_go_out_at_a_wake_up_without_any_question() {
    let mut f = fixture(3, false);
    f.engine.network_observed(network(1));
    f.engine.attach();
    f.engine.hello(1, feature::ALL);
    f.infos();
    f.packet(1, 10, 0, process(42, 7));
    f.packet(2, 11, 0, process(42, 7));
    f.engine.network_observed(network(2));
    assert_eq!(kinds(&f.infos()), vec![129, 1, 1]);
    f.engine.resend_network_facts();
    assert_eq!(
        facts_in(&f.infos())
            .iter()
            .map(|n| n.epoch)
            .collect::<Vec<_>>(),
        vec![2]
    );
    f.engine.resend_network_facts();
    assert!(f.infos().is_empty());
}
