//! Host tests of the policy in the driver: documents through the device (whole, in parts, out
//! of order, corrupt), PolicyState after Hello and after each document, decisions at the ALE
//! layers with and without a client (rule, ask, no-app action), rules only the app can decide,
//! app identity by NT path, RuleDecided infos, and the stored policy loaded at start.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use alloc::boxed::Box;

use zenithfence_core::decision::Action;
use zenithfence_core::policy::PreparedPolicy;
use zenithfence_protocol::command::MAX_POLICY_PART;
use zenithfence_protocol::constants::feature;
use zenithfence_protocol::info_policy::{origin, problem};
use zenithfence_protocol::policy::{
    PolicyDocument, PolicyRule, RuleAction, RuleDestination, RuleDirection,
    FLAG_CASE_INSENSITIVE_PATHS,
};
use zenithfence_protocol::{Command, Info, PolicyPart, PolicyState, Verdict};

use crate::bindings::{status, FWPS_RIGHT_ACTION_WRITE, FWP_CONDITION_FLAG_IS_LOOPBACK};
use crate::callouts::AleLayer;
use crate::classify::ClassifyAction;
use crate::config::{ioctl, Options};
use crate::device::HoldKind;
use crate::fields::tests::connect_v4;
use crate::log::severity;
use crate::stored_policy::{interpret, StoredRead};
use crate::tests::{
    is_absorb, is_hard_block, is_permit, reauth, request_id, tcp_connect, tcp_packet, Rig, APP_PID,
    CLIENT_FILE, CLIENT_PID, LOCAL, REMOTE, WALL_MS,
};

/// curl as WFP names it (FWPM_CONDITION_ALE_APP_ID), and as the app sends it (lowercase).
const CURL: &str = "\\device\\harddiskvolume3\\windows\\system32\\curl.exe";

/// A rule for any app, any direction, protocol and port.
pub(crate) fn rule(tag: u32, action: RuleAction, destination: RuleDestination) -> PolicyRule {
    PolicyRule {
        tag,
        action,
        app_decides: false,
        direction: RuleDirection::Any,
        protocol: None,
        port_from: 0,
        port_to: u16::MAX,
        updated_at: 0,
        expires_at: None,
        app: None,
        destination,
    }
}

/// A document's bytes (app paths compare case-insensitively, as the app sends them on Windows).
pub(crate) fn policy_bytes(generation: u64, no_app_action: u8, rules: &[PolicyRule]) -> Vec<u8> {
    PolicyDocument {
        flags: FLAG_CASE_INSENSITIVE_PATHS,
        generation,
        no_app_action,
        rules: rules.to_vec(),
        blocklist: Default::default(),
    }
    .encode()
}

/// Sends `bytes` as PolicyParts of at most `part_len` bytes, in order.
fn send(rig: &mut Rig, generation: u64, bytes: &[u8], part_len: usize) {
    let mut offset = 0;
    for data in bytes.chunks(part_len) {
        let code = rig.write(Command::PolicyPart(PolicyPart {
            generation,
            total_len: bytes.len() as u32,
            offset: offset as u32,
            data,
        }));
        assert_eq!(code, status::SUCCESS);
        offset += data.len();
    }
}

pub(crate) fn send_policy(rig: &mut Rig, generation: u64, no_app_action: u8, rules: &[PolicyRule]) {
    let bytes = policy_bytes(generation, no_app_action, rules);
    send(rig, generation, &bytes, MAX_POLICY_PART);
}

/// A client that said Hello with every feature (it is granted PROCESS, COUNTERS and POLICY).
fn policy_client() -> Rig {
    let mut rig = Rig::attached();
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::ALL,
    });
    rig.infos();
    rig
}

fn states(infos: &[Info]) -> Vec<PolicyState> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::PolicyState(s) => Some(*s),
            _ => None,
        })
        .collect()
}

fn only_state(rig: &mut Rig) -> PolicyState {
    let infos = rig.infos();
    let found = states(&infos);
    assert_eq!(found.len(), 1, "{infos:?}");
    found[0]
}

/// The (verdict, tag, generation, pid, direction, remote port) of the RuleDecided infos.
fn decided(infos: &[Info]) -> Vec<(u8, u32, u64, u64, u8, u16)> {
    infos
        .iter()
        .filter_map(|i| match i {
            Info::RuleDecidedV4(d) => Some((
                d.verdict,
                d.rule_tag,
                d.generation,
                d.connection.process_id,
                d.connection.direction,
                d.connection.remote_port,
            )),
            Info::RuleDecidedV6(d) => Some((
                d.verdict,
                d.rule_tag,
                d.generation,
                d.connection.process_id,
                d.connection.direction,
                d.connection.remote_port,
            )),
            _ => None,
        })
        .collect()
}

pub(crate) fn remote_443() -> RuleDestination {
    RuleDestination::Ip4(REMOTE)
}

// --------------------------------------------------------------------------------------------
// Documents through the device
// --------------------------------------------------------------------------------------------

#[test]
fn a_whole_document_is_enforced_and_reported() {
    let mut rig = policy_client();
    let rules = [
        rule(7, RuleAction::Block, remote_443()),
        rule(8, RuleAction::Allow, RuleDestination::Any),
    ];
    send_policy(&mut rig, 5, 6, &rules);
    assert_eq!(
        only_state(&mut rig),
        PolicyState {
            generation: 5,
            rule_count: 2,
            no_app_action: Verdict::Drop as u8,
            origin: origin::CLIENT,
            problem: problem::NONE,
            problem_generation: 0,
        }
    );
    assert!(is_hard_block(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert!(rig.holds.is_empty(), "decided without a hold");
}

#[test]
fn a_document_in_parts_is_enforced_only_after_its_last_part() {
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 6, &[rule(1, RuleAction::Allow, remote_443())]);
    rig.infos();
    // 400 rules: several parts of 1 000 bytes; gen 1 stays in force until the last one.
    let rules: Vec<PolicyRule> = (0..400)
        .map(|tag| {
            let destination = if tag == 399 {
                remote_443()
            } else {
                RuleDestination::Ip4([10, 9, (tag >> 8) as u8, tag as u8])
            };
            rule(tag, RuleAction::Block, destination)
        })
        .collect();
    let bytes = policy_bytes(2, 4, &rules);
    let parts: Vec<&[u8]> = bytes.chunks(1_000).collect();
    assert!(parts.len() > 5);
    let mut offset = 0;
    for (i, data) in parts.iter().enumerate() {
        rig.write(Command::PolicyPart(PolicyPart {
            generation: 2,
            total_len: bytes.len() as u32,
            offset,
            data,
        }));
        offset += data.len() as u32;
        let port = 100 + i as u16;
        let out = rig.connect(&tcp_connect(port), APP_PID, &[]);
        if i + 1 < parts.len() {
            assert!(is_permit(&out), "part {i}: the old policy decides");
            assert!(
                states(&rig.infos()).is_empty(),
                "no state while parts arrive"
            );
        } else {
            assert!(is_hard_block(&out), "the whole new policy decides");
        }
    }
    let state = only_state(&mut rig);
    assert_eq!((state.generation, state.rule_count), (2, 400));
}

#[test]
fn a_part_out_of_order_drops_the_document_and_the_policy_in_force_stays() {
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 6, &[rule(1, RuleAction::Allow, remote_443())]);
    rig.infos();
    let bytes = policy_bytes(2, 4, &[rule(2, RuleAction::Block, remote_443())]);
    let (first, rest) = bytes.split_at(20);
    let part = |offset: usize, data| {
        Command::PolicyPart(PolicyPart {
            generation: 2,
            total_len: bytes.len() as u32,
            offset: offset as u32,
            data,
        })
    };
    // The second part before the first: dropped.
    assert_eq!(rig.write(part(20, rest)), status::SUCCESS);
    let state = only_state(&mut rig);
    assert_eq!(
        (state.generation, state.problem, state.problem_generation),
        (1, problem::OUT_OF_ORDER, 2)
    );
    // A gap: the first part, then the second one's tail.
    rig.write(part(0, first));
    rig.write(part(21, &rest[1..]));
    assert_eq!(only_state(&mut rig).problem, problem::OUT_OF_ORDER);
    assert!(is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    // Sent again in order, it is enforced and the problem is cleared.
    send(&mut rig, 2, &bytes, 16);
    let state = only_state(&mut rig);
    assert_eq!((state.generation, state.problem), (2, problem::NONE));
}

#[test]
fn corrupt_too_large_and_mislabelled_documents_are_refused_with_their_problem() {
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 6, &[rule(1, RuleAction::Allow, remote_443())]);
    rig.infos();
    let good = policy_bytes(3, 4, &[rule(3, RuleAction::Block, remote_443())]);
    let mut corrupt = good.clone();
    corrupt[40] ^= 0x55;
    send(&mut rig, 3, &corrupt, MAX_POLICY_PART);
    let state = only_state(&mut rig);
    assert_eq!(
        (state.generation, state.problem, state.problem_generation),
        (1, problem::CHECKSUM, 3)
    );
    // A document that says another generation than its parts.
    send(&mut rig, 4, &good, MAX_POLICY_PART);
    let state = only_state(&mut rig);
    assert_eq!(
        (state.problem, state.problem_generation),
        (problem::MALFORMED, 4)
    );
    // total_len above 16 MiB.
    rig.write(Command::PolicyPart(PolicyPart {
        generation: 5,
        total_len: 16 * 1024 * 1024 + 1,
        offset: 0,
        data: &good,
    }));
    let state = only_state(&mut rig);
    assert_eq!(
        (state.problem, state.problem_generation),
        (problem::TOO_LARGE, 5)
    );
    assert_eq!(state.generation, 1, "the policy in force stays");
    assert!(is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    // Each refusal is logged.
    rig.write(Command::GetLogs);
    let errors = rig
        .infos()
        .iter()
        .filter(|i| matches!(i, Info::LogLine(l) if l.severity == severity::ERROR))
        .count();
    assert_eq!(errors, 3);
}

#[test]
fn the_largest_part_fits_one_write() {
    let mut rig = policy_client();
    // A document of 20 000 bytes: parts of the maximum 8 192 bytes (a write of 8 211 bytes).
    let rules: Vec<PolicyRule> = (0..500)
        .map(|tag| {
            rule(
                tag,
                RuleAction::Block,
                RuleDestination::Ip4([10, 8, (tag >> 8) as u8, tag as u8]),
            )
        })
        .collect();
    let bytes = policy_bytes(9, 6, &rules);
    assert!(bytes.len() > 2 * MAX_POLICY_PART);
    let mut write = Vec::new();
    Command::PolicyPart(PolicyPart {
        generation: 9,
        total_len: bytes.len() as u32,
        offset: 0,
        data: &bytes[..MAX_POLICY_PART],
    })
    .encode(&mut write);
    assert_eq!(write.len(), 19 + 8192);
    assert_eq!(rig.write_bytes(&write), status::SUCCESS);
    send(&mut rig, 9, &bytes, MAX_POLICY_PART);
    assert_eq!(only_state(&mut rig).rule_count, 500);
    // One byte more than a part may carry is not a command.
    write[17..19].copy_from_slice(&8193u16.to_le_bytes());
    write.push(0);
    assert_eq!(rig.write_bytes(&write), status::INVALID_PARAMETER);
}

#[test]
fn a_refused_handle_cannot_send_a_policy() {
    let mut rig = Rig::attached();
    let result = rig
        .driver
        .ioctl(CLIENT_FILE, ioctl::HANDSHAKE, &[3, 0, 0, 0], 4, rig.now);
    rig.run(result.effects);
    let bytes = policy_bytes(1, 4, &[]);
    let mut write = Vec::new();
    Command::PolicyPart(PolicyPart {
        generation: 1,
        total_len: bytes.len() as u32,
        offset: 0,
        data: &bytes,
    })
    .encode(&mut write);
    assert_eq!(rig.write_bytes(&write), status::REVISION_MISMATCH);
    assert_eq!(rig.driver.policy_state().generation, 0);
}

#[test]
fn replacing_a_policy_frees_the_old_one_after_the_lock() {
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 6, &[]);
    let prepared = PreparedPolicy::from_bytes(&policy_bytes(2, 6, &[])).unwrap();
    let effects = rig
        .driver
        .policy_update(crate::device::PolicyUpdate::Install(Box::new(prepared)));
    let retired = effects.retired.as_ref().map(|r| r.0.generation());
    assert_eq!(retired, Some(1), "the old policy leaves with the effects");
    rig.run(effects);
}

// --------------------------------------------------------------------------------------------
// PolicyState after Hello
// --------------------------------------------------------------------------------------------

#[test]
fn hello_is_followed_by_the_policy_state_for_a_policy_client_only() {
    let mut rig = Rig::attached();
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::POLICY,
    });
    let infos = rig.infos();
    assert!(matches!(infos[0], Info::HelloReply(_)));
    assert_eq!(
        states(&infos),
        vec![PolicyState {
            generation: 0,
            rule_count: 0,
            no_app_action: Verdict::Accept as u8,
            origin: origin::NONE,
            problem: problem::NONE,
            problem_generation: 0,
        }],
        "no policy: the detached setting (Accept) applies"
    );
    // A client without POLICY: no state, and no RuleDecided later (the policy still decides).
    let mut rig = Rig::attached();
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::COUNTERS,
    });
    send_policy(&mut rig, 1, 6, &[rule(1, RuleAction::Block, remote_443())]);
    assert!(is_hard_block(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    let infos = rig.infos();
    assert_eq!(infos.len(), 1, "only the HelloReply: {infos:?}");
}

#[test]
fn the_stored_policy_is_reported_as_stored() {
    let mut rig = Rig::new(Options::default());
    let load = interpret(
        "p",
        StoredRead::Bytes(policy_bytes(
            11,
            4,
            &[rule(2, RuleAction::Allow, remote_443())],
        )),
    );
    let effects = rig.driver.load_stored(load);
    rig.run(effects);
    rig.driver.create(CLIENT_FILE, CLIENT_PID);
    rig.write(Command::Hello {
        ext_version: 1,
        features: feature::ALL,
    });
    let state = only_state(&mut rig);
    assert_eq!(
        (
            state.generation,
            state.rule_count,
            state.origin,
            state.no_app_action
        ),
        (11, 1, origin::STORED, Verdict::Block as u8)
    );
}

// --------------------------------------------------------------------------------------------
// Decisions at ALE
// --------------------------------------------------------------------------------------------

#[test]
fn with_a_client_a_rule_decides_at_once_and_the_client_is_told() {
    for (action, verdict, check) in [
        (
            RuleAction::Allow,
            Verdict::PermanentAccept,
            is_permit as fn(&crate::bindings::FWPS_CLASSIFY_OUT0) -> bool,
        ),
        (RuleAction::Block, Verdict::PermanentBlock, is_hard_block),
        (RuleAction::Drop, Verdict::PermanentDrop, is_absorb),
    ] {
        let mut rig = policy_client();
        send_policy(&mut rig, 3, 6, &[rule(42, action, remote_443())]);
        rig.infos();
        let out = rig.connect(&tcp_connect(1), APP_PID, &[]);
        assert!(check(&out), "{action:?}: {out:?}");
        assert!(rig.holds.is_empty(), "no hold, no round trip");
        let infos = rig.infos();
        assert_eq!(
            decided(&infos),
            vec![(verdict as u8, 42, 3, APP_PID, 0, 443)],
            "{infos:?}"
        );
        assert_eq!(
            infos.len(),
            1,
            "no Process info for a classify without a path: {infos:?}"
        );
        // The permanent verdict is cached: the re-authorization and the packets use it.
        assert!(check(&rig.connect(&reauth(1), APP_PID, &[])));
        let packet = rig.packet(true, &tcp_packet(LOCAL, 1, REMOTE, 443));
        let expected = match action {
            RuleAction::Allow => ClassifyAction::Permit { harden: false },
            RuleAction::Block => ClassifyAction::Block,
            RuleAction::Drop => ClassifyAction::Absorb,
        };
        assert_eq!(packet, expected);
        assert!(decided(&rig.infos()).is_empty(), "told once per connection");
    }
}

#[test]
fn with_a_client_a_connection_no_rule_decides_is_asked() {
    let mut rig = policy_client();
    send_policy(
        &mut rig,
        3,
        4,
        &[rule(
            1,
            RuleAction::Block,
            RuleDestination::Ip4([1, 1, 1, 1]),
        )],
    );
    rig.infos();
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert_eq!(rig.holds, vec![HoldKind::Pend]);
    let infos = rig.infos();
    assert!(decided(&infos).is_empty());
    let id = request_id(&infos[0]);
    rig.write(Command::Verdict {
        id,
        verdict: Verdict::Accept,
    });
    assert_eq!(rig.released[&1], vec![Action::Accept]);
    rig.assert_all_answered_once();
}

#[test]
fn without_a_client_rules_decide_and_the_rest_gets_the_no_app_action() {
    let mut rig = Rig::new(Options::default());
    let stored = policy_bytes(
        6,
        4,
        &[rule(
            1,
            RuleAction::Allow,
            RuleDestination::Ip4([9, 9, 9, 9]),
        )],
    );
    let effects = rig
        .driver
        .load_stored(interpret("p", StoredRead::Bytes(stored)));
    rig.run(effects);
    let allowed = connect_v4(6, LOCAL, 1, [9, 9, 9, 9], 443, 0);
    assert!(is_permit(&rig.connect(&allowed, APP_PID, &[])));
    assert!(
        is_hard_block(&rig.connect(&tcp_connect(2), APP_PID, &[])),
        "the document's no-app action (Block), not the detached setting (Accept)"
    );
    assert!(rig.holds.is_empty());
    // A rule-decided connection stays decided: its re-authorization is not the no-app action.
    let allowed_reauth = connect_v4(6, LOCAL, 1, [9, 9, 9, 9], 443, 1 << 2);
    assert!(is_permit(&rig.connect(&allowed_reauth, APP_PID, &[])));
    // Loopback stays open (bypass on by default), whatever the no-app action.
    let lo = connect_v4(
        6,
        [127, 0, 0, 1],
        3,
        [127, 0, 0, 1],
        4,
        FWP_CONDITION_FLAG_IS_LOOPBACK,
    );
    assert!(is_permit(&rig.connect(&lo, APP_PID, &[])));
}

#[test]
fn the_client_closing_hands_over_to_the_policy() {
    let mut rig = policy_client();
    send_policy(
        &mut rig,
        2,
        6,
        &[rule(
            1,
            RuleAction::Allow,
            RuleDestination::Ip4([9, 9, 9, 9]),
        )],
    );
    // A held connection is answered by the detached setting when the client leaves (as before).
    rig.connect(&tcp_connect(1), APP_PID, &[]);
    let effects = rig.driver.cleanup(CLIENT_FILE, rig.now);
    rig.run(effects);
    assert_eq!(rig.released[&1], vec![Action::Accept]);
    // New connections: the rule, else the document's no-app action (Drop).
    let allowed = connect_v4(6, LOCAL, 2, [9, 9, 9, 9], 443, 0);
    assert!(is_permit(&rig.connect(&allowed, APP_PID, &[])));
    assert!(is_absorb(&rig.connect(&tcp_connect(3), APP_PID, &[])));
    assert_eq!(rig.holds.len(), 1);
    rig.assert_all_answered_once();
}

#[test]
fn without_a_policy_the_detached_setting_still_applies() {
    let options = Options {
        detached_verdict: Verdict::Drop,
        ..Options::default()
    };
    let mut rig = Rig::new(options);
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert_eq!(rig.driver.policy_state().no_app_action, Verdict::Drop as u8);
}

#[test]
fn rules_the_app_decides_are_asked_with_a_client_and_skipped_without() {
    let mut app_rule = rule(1, RuleAction::Allow, remote_443());
    app_rule.app_decides = true;
    app_rule.port_from = 443;
    app_rule.port_to = 443;
    let rules = [app_rule, rule(2, RuleAction::Block, RuleDestination::Any)];
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 6, &rules);
    rig.infos();
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert_eq!(rig.holds, vec![HoldKind::Pend], "held and asked");
    assert!(decided(&rig.infos()).is_empty());
    // Without the client the app's rule does not exist: the next rule (block) decides.
    let effects = rig.driver.cleanup(CLIENT_FILE, rig.now);
    rig.run(effects);
    assert!(is_hard_block(&rig.connect(&tcp_connect(2), APP_PID, &[])));
    assert_eq!(rig.holds.len(), 1);
}

#[test]
fn host_and_domain_rules_are_the_apps_because_the_kernel_sees_no_dns() {
    let rules = [
        rule(
            1,
            RuleAction::Block,
            RuleDestination::Host("example.com".into()),
        ),
        rule(2, RuleAction::Allow, RuleDestination::Any),
    ];
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 4, &rules);
    rig.infos();
    // The host rule ranks above "any" and might match: the client decides.
    assert!(is_absorb(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert_eq!(rig.holds, vec![HoldKind::Pend]);
    // Without a client it does not exist: "allow any" decides.
    let effects = rig.driver.cleanup(CLIENT_FILE, rig.now);
    rig.run(effects);
    assert!(is_permit(&rig.connect(&tcp_connect(2), APP_PID, &[])));
    assert_eq!(rig.holds.len(), 1);
}

#[test]
fn app_rules_match_the_nt_path_of_the_app_id_case_insensitively() {
    let mut curl_rule = rule(5, RuleAction::Block, RuleDestination::Any);
    curl_rule.app = Some(CURL.into());
    let rules = [curl_rule, rule(6, RuleAction::Allow, RuleDestination::Any)];
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 6, &rules);
    rig.infos();
    assert!(rig.driver.policy_needs_app());
    let values = tcp_connect(1);
    let shouting = "\\Device\\HarddiskVolume3\\Windows\\System32\\CURL.EXE";
    let out = rig.ale_of_app(AleLayer::Connect, &values, APP_PID, Some(shouting), &[]);
    assert!(is_hard_block(&out), "curl is blocked");
    let other = "\\device\\harddiskvolume3\\tools\\wget.exe";
    let out = rig.ale_of_app(
        AleLayer::Connect,
        &tcp_connect(2),
        APP_PID,
        Some(other),
        &[],
    );
    assert!(is_permit(&out), "another app falls to the any-app rule");
    // A DOS path is another string: the app must send NT paths (README, "App identity").
    let out = rig.ale_of_app(
        AleLayer::Connect,
        &tcp_connect(3),
        APP_PID,
        Some("c:\\windows\\system32\\curl.exe"),
        &[],
    );
    assert!(is_permit(&out));
    // Without an app id only any-app rules apply.
    assert!(is_permit(&rig.connect(&tcp_connect(4), APP_PID, &[])));
    assert_eq!(
        decided(&rig.infos())
            .iter()
            .map(|d| d.1)
            .collect::<Vec<_>>(),
        vec![5, 6, 6, 6]
    );
}

#[test]
fn an_expired_rule_does_not_exist() {
    let mut expired = rule(1, RuleAction::Block, remote_443());
    expired.expires_at = Some(WALL_MS);
    let mut live = rule(2, RuleAction::Drop, remote_443());
    live.expires_at = Some(WALL_MS + 1);
    let mut rig = Rig::new(Options::default());
    let stored = policy_bytes(1, 2, &[expired.clone()]);
    let effects = rig
        .driver
        .load_stored(interpret("p", StoredRead::Bytes(stored)));
    rig.run(effects);
    assert!(
        is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])),
        "no-app Accept"
    );
    let stored = policy_bytes(2, 2, &[expired, live]);
    let effects = rig
        .driver
        .load_stored(interpret("p", StoredRead::Bytes(stored)));
    rig.run(effects);
    assert!(
        is_absorb(&rig.connect(&tcp_connect(2), APP_PID, &[])),
        "the live drop rule"
    );
    rig.wall_ms += 1;
    assert!(
        is_permit(&rig.connect(&tcp_connect(3), APP_PID, &[])),
        "both expired now"
    );
}

#[test]
fn inbound_rules_decide_recv_accept() {
    use crate::layers::field::ale_auth_recv_accept as f;
    let mut inbound_block = rule(3, RuleAction::Block, RuleDestination::Any);
    inbound_block.direction = RuleDirection::Inbound;
    inbound_block.protocol = Some(6);
    inbound_block.port_from = 40_000;
    inbound_block.port_to = 40_000;
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 6, &[inbound_block]);
    rig.infos();
    let mut v = vec![crate::fields::tests::empty(); 40];
    v[f::IP_LOCAL_ADDRESS] = crate::fields::tests::v32(u32::from_be_bytes(LOCAL));
    v[f::IP_LOCAL_PORT] = crate::fields::tests::v16(22);
    v[f::IP_PROTOCOL] = crate::fields::tests::v8(6);
    v[f::IP_REMOTE_ADDRESS] = crate::fields::tests::v32(u32::from_be_bytes(REMOTE));
    v[f::IP_REMOTE_PORT] = crate::fields::tests::v16(40_000);
    v[f::FLAGS] = crate::fields::tests::v32(0);
    let out = rig.ale(AleLayer::RecvAccept, &v, 0, b"\x9c\x40\x00\x16");
    assert!(is_hard_block(&out));
    assert_eq!(out.rights & FWPS_RIGHT_ACTION_WRITE, 0);
    assert_eq!(decided(&rig.infos()), vec![(5, 3, 1, 0, 1, 40_000)]);
    // Outbound to the same port: the inbound rule does not apply; asked.
    let out = rig.connect(&connect_v4(6, LOCAL, 5, REMOTE, 40_000, 0), APP_PID, &[]);
    assert!(is_absorb(&out));
    assert_eq!(rig.holds, vec![HoldKind::Pend]);
}

// --------------------------------------------------------------------------------------------
// The stored policy at start
// --------------------------------------------------------------------------------------------

#[test]
fn a_missing_or_damaged_stored_policy_is_logged_once_and_the_detached_setting_applies() {
    let good = policy_bytes(1, 4, &[]);
    for read in [
        StoredRead::Failed(status::OBJECT_NAME_NOT_FOUND),
        StoredRead::Failed(status::ACCESS_DENIED),
        StoredRead::Bytes(good[..good.len() / 2].to_vec()),
        StoredRead::Bytes(b"not a policy at all, just text".to_vec()),
    ] {
        let what = format!("{read:?}");
        let mut rig = Rig::new(Options::default());
        let effects = rig.driver.load_stored(interpret("p", read));
        rig.run(effects);
        assert_eq!(rig.driver.policy_state().generation, 0, "{what}");
        assert!(
            is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])),
            "{what}: detached Accept"
        );
        rig.driver.create(CLIENT_FILE, CLIENT_PID);
        rig.write(Command::GetLogs);
        let lines: Vec<String> = rig
            .infos()
            .into_iter()
            .filter_map(|i| match i {
                Info::LogLine(l) if l.text.contains("policy") => Some(l.text),
                _ => None,
            })
            .collect();
        assert_eq!(lines.len(), 1, "{what}: {lines:?}");
    }
}

#[test]
fn an_installed_boot_guard_without_a_usable_policy_keeps_the_driver_closed() {
    let damaged = interpret("p", StoredRead::Bytes(b"ZFPOLICY garbage".to_vec()));
    let mut rig = Rig::new(Options::default());
    let effects = rig.driver.load_stored(damaged);
    rig.run(effects);
    assert_eq!(
        rig.driver.guard_wanted(),
        None,
        "no policy: the guard stays as it is"
    );
    rig.driver.guard_found_at_start(true);
    assert!(is_hard_block(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert_eq!(
        rig.driver.policy_state().no_app_action,
        Verdict::Block as u8
    );
    // No guard: the configured detached setting (Accept) stays.
    let mut rig = Rig::new(Options::default());
    rig.driver.guard_found_at_start(false);
    assert!(is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    // A usable stored policy decides by itself, guard or not.
    let mut rig = Rig::new(Options::default());
    let stored = interpret("p", StoredRead::Bytes(policy_bytes(4, 2, &[])));
    let effects = rig.driver.load_stored(stored);
    rig.run(effects);
    rig.driver.guard_found_at_start(true);
    assert!(is_permit(&rig.connect(&tcp_connect(1), APP_PID, &[])));
    assert_eq!(
        rig.driver.guard_wanted(),
        Some(false),
        "no-app Accept: remove the guard"
    );
}

#[test]
fn the_guard_follows_each_new_document() {
    let mut rig = policy_client();
    send_policy(&mut rig, 1, 4, &[]);
    assert_eq!(rig.driver.guard_wanted(), Some(true));
    send_policy(&mut rig, 2, 2, &[]);
    assert_eq!(rig.driver.guard_wanted(), Some(false));
    send_policy(&mut rig, 3, 6, &[]);
    assert_eq!(rig.driver.guard_wanted(), Some(true), "drop blocks too");
}
