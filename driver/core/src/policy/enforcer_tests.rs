//! Tests of the enforcer: what happens with and without a policy and a client.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::flow::IpAddress;
use alloc::boxed::Box;
use alloc::string::ToString;
use alloc::vec;
use zenithfence_protocol::constants::Direction;
use zenithfence_protocol::policy::{PolicyRule, RuleDestination, RuleDirection};

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
