//! Tests of the enforcer: what happens with and without a policy and a client.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::flow::IpAddress;
use alloc::boxed::Box;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use zenithfence_protocol::constants::Direction;
use zenithfence_protocol::policy::{
    BlockedNetwork, PolicyBlocklist, PolicyRule, RuleDestination, RuleDirection,
};

fn document(generation: u64, no_app_action: u8) -> PolicyDocument {
    PolicyDocument {
        flags: 0,
        generation,
        no_app_action,
        rules: vec![PolicyRule {
            tag: 7,
            action: RuleAction::Block,
            app_decides: false,
            direction: RuleDirection::Outbound,
            protocol: None,
            port_from: 0,
            port_to: 65535,
            updated_at: 0,
            expires_at: None,
            app: Some("/usr/bin/curl".to_string()),
            destination: RuleDestination::Any,
        }],
        blocklist: Default::default(),
    }
}

fn connection(app: Option<&str>) -> PolicyConnection<'_> {
    PolicyConnection {
        app,
        direction: Direction::Outbound,
        protocol: 6,
        remote_ip: IpAddress::V4([1, 2, 3, 4]),
        remote_port: 443,
    }
}

#[test]
fn without_a_policy_the_detached_setting_applies() {
    let enforcer = PolicyEnforcer::new();
    let c = connection(Some("/usr/bin/curl"));
    assert_eq!(
        enforcer.decide(&c, RuleNames::Unseen, 0, false, Action::Accept),
        PolicyVerdict::NoApp(Action::Accept)
    );
    assert_eq!(
        enforcer.decide(&c, RuleNames::Unseen, 0, true, Action::Accept),
        PolicyVerdict::Ask
    );
    let state = enforcer.state(Action::Accept);
    assert_eq!(
        (state.generation, state.origin, state.no_app_action),
        (0, origin::NONE, 2)
    );
}

#[test]
fn a_policy_decides_by_rule_or_by_its_no_app_action() {
    let mut enforcer = PolicyEnforcer::new();
    let prepared = Box::new(PreparedPolicy::from_bytes(&document(5, 6).encode()).unwrap());
    enforcer.install(prepared, PolicyOrigin::Stored);
    let curl = connection(Some("/usr/bin/curl"));
    let rule = PolicyVerdict::Rule {
        verdict: Verdict::PermanentBlock,
        tag: 7,
        generation: 5,
    };
    assert_eq!(
        enforcer.decide(&curl, RuleNames::Unseen, 0, false, Action::Accept),
        rule
    );
    assert_eq!(
        enforcer.decide(&curl, RuleNames::Unseen, 0, true, Action::Accept),
        rule
    );
    let other = connection(None);
    assert_eq!(
        enforcer.decide(&other, RuleNames::Unseen, 0, false, Action::Accept),
        PolicyVerdict::NoApp(Action::Drop)
    );
    assert_eq!(
        enforcer.decide(&other, RuleNames::Unseen, 0, true, Action::Accept),
        PolicyVerdict::Ask
    );
    let state = enforcer.state(Action::Accept);
    assert_eq!(
        (
            state.generation,
            state.rule_count,
            state.origin,
            state.no_app_action
        ),
        (5, 1, origin::STORED, 6)
    );
    assert!(enforcer.needs_process());
}

#[test]
fn a_refused_document_keeps_the_policy_in_force_and_says_why() {
    let mut enforcer = PolicyEnforcer::new();
    enforcer.install(
        Box::new(PreparedPolicy::from_bytes(&document(5, 4).encode()).unwrap()),
        PolicyOrigin::Client,
    );
    let mut bad = document(6, 4).encode();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let error = PreparedPolicy::from_bytes(&bad).err().unwrap();
    enforcer.refused(problem_of_policy_error(&error), 6);
    let state = enforcer.state(Action::Accept);
    assert_eq!(
        (state.generation, state.problem, state.problem_generation),
        (5, problem::CHECKSUM, 6)
    );
    enforcer.not_saved();
    assert_eq!(enforcer.state(Action::Accept).problem, problem::NOT_SAVED);
    enforcer.install(
        Box::new(PreparedPolicy::from_bytes(&document(7, 4).encode()).unwrap()),
        PolicyOrigin::Client,
    );
    assert_eq!(enforcer.state(Action::Accept).problem, problem::NONE);
}

/// Any app to 9.9.9.9 is allowed (tag 1), curl is blocked everywhere (tag 7, from `document`);
/// the lists hold `ads.example`, 9.9.9.0/24 and 203.0.113.0/24.
fn listed_document(no_app_action: u8) -> Vec<u8> {
    let mut doc = document(8, no_app_action);
    doc.rules.push(PolicyRule {
        tag: 1,
        action: RuleAction::Allow,
        app: None,
        destination: RuleDestination::Ip4([9, 9, 9, 9]),
        ..doc.rules[0].clone()
    });
    doc.blocklist = PolicyBlocklist {
        names: ["ads.example"].into_iter().collect(),
        networks: vec![
            BlockedNetwork::V4 {
                network: [9, 9, 9, 0],
                prefix: 24,
            },
            BlockedNetwork::V4 {
                network: [203, 0, 113, 0],
                prefix: 24,
            },
        ],
    };
    doc.encode()
}

fn enforcing(bytes: &[u8]) -> PolicyEnforcer {
    let mut enforcer = PolicyEnforcer::new();
    enforcer.install(
        Box::new(PreparedPolicy::from_bytes(bytes).unwrap()),
        PolicyOrigin::Client,
    );
    enforcer
}

fn to(remote_ip: IpAddress, app: Option<&str>) -> PolicyConnection<'_> {
    PolicyConnection {
        remote_ip,
        ..connection(app)
    }
}

#[test]
fn without_a_client_a_listed_connection_no_rule_decides_is_blocked_for_good() {
    let enforcer = enforcing(&listed_document(2));
    let decide = |c: &PolicyConnection<'_>, names: RuleNames<'_>| {
        enforcer.decide(c, names, 0, false, Action::Accept)
    };
    let listed_ip = to(IpAddress::V4([203, 0, 113, 5]), None);
    assert_eq!(decide(&listed_ip, RuleNames::Unseen), PolicyVerdict::Listed);
    let mut mapped = [0u8; 16];
    mapped[10..].copy_from_slice(&[0xff, 0xff, 203, 0, 113, 5]);
    let mapped = to(IpAddress::V6(mapped), None);
    assert_eq!(decide(&mapped, RuleNames::Unseen), PolicyVerdict::Listed);
    let elsewhere = to(IpAddress::V4([1, 2, 3, 4]), None);
    for name in ["ads.example", "x.ads.example"] {
        assert_eq!(
            decide(&elsewhere, RuleNames::Seen(&["cdn.example", name])),
            PolicyVerdict::Listed,
            "{name}"
        );
    }
    // A sibling suffix, no names, or names the driver cannot see: the no-app action (accept).
    for names in [
        RuleNames::Seen(&["notads.example", "example"]),
        RuleNames::Seen(&[]),
        RuleNames::Unseen,
    ] {
        assert_eq!(
            decide(&elsewhere, names),
            PolicyVerdict::NoApp(Action::Accept),
            "{names:?}"
        );
    }
}

#[test]
fn a_rule_that_decides_beats_the_lists() {
    let enforcer = enforcing(&listed_document(2));
    // 9.9.9.9 is in a listed network, and a rule allows it.
    let allowed = to(IpAddress::V4([9, 9, 9, 9]), None);
    let listed_name = RuleNames::Seen(&["ads.example"]);
    assert_eq!(
        enforcer.decide(&allowed, listed_name, 0, false, Action::Accept),
        PolicyVerdict::Rule {
            verdict: Verdict::PermanentAccept,
            tag: 1,
            generation: 8,
        }
    );
    // Its neighbour is not allowed by a rule: the list applies.
    let neighbour = to(IpAddress::V4([9, 9, 9, 8]), None);
    assert_eq!(
        enforcer.decide(&neighbour, RuleNames::Unseen, 0, false, Action::Accept),
        PolicyVerdict::Listed
    );
    // curl's block rule decides curl's listed connections, with its own tag.
    let curl = to(IpAddress::V4([9, 9, 9, 8]), Some("/usr/bin/curl"));
    assert_eq!(
        enforcer.decide(&curl, RuleNames::Unseen, 0, false, Action::Accept),
        PolicyVerdict::Rule {
            verdict: Verdict::PermanentBlock,
            tag: 7,
            generation: 8,
        }
    );
}

#[test]
fn with_a_client_listed_connections_are_asked() {
    let enforcer = enforcing(&listed_document(6));
    let listed = to(IpAddress::V4([203, 0, 113, 5]), None);
    assert_eq!(
        enforcer.decide(
            &listed,
            RuleNames::Seen(&["ads.example"]),
            0,
            true,
            Action::Accept
        ),
        PolicyVerdict::Ask
    );
}

#[test]
fn without_lists_nothing_is_listed() {
    let mut doc = document(9, 2);
    let bytes = doc.encode();
    let enforcer = enforcing(&bytes);
    let c = to(IpAddress::V4([203, 0, 113, 5]), None);
    assert_eq!(
        enforcer.decide(
            &c,
            RuleNames::Seen(&["ads.example"]),
            0,
            false,
            Action::Block
        ),
        PolicyVerdict::NoApp(Action::Accept)
    );
    // The same document with lists, then without again: only the lists made the difference.
    doc.blocklist.names.push("ads.example");
    let listing = enforcing(&doc.encode());
    assert_eq!(
        listing.decide(
            &c,
            RuleNames::Seen(&["ads.example"]),
            0,
            false,
            Action::Block
        ),
        PolicyVerdict::Listed
    );
    assert!(PreparedPolicy::from_bytes(&bytes)
        .unwrap()
        .blocklist()
        .is_empty());
}

#[test]
fn the_log_text_names_the_lists_only_when_there_are_some() {
    let plain = PreparedPolicy::from_bytes(&document(1, 2).encode()).unwrap();
    assert_eq!(plain.contents(), "1 rules");
    let listing = PreparedPolicy::from_bytes(&listed_document(2)).unwrap();
    assert_eq!(
        listing.contents(),
        "2 rules, a blocklist of 1 names and 2 networks"
    );
}
