//! The engine with a policy: what decides a new connection with and without a client, what
//! the client is told, what happens to held connections when it leaves, and the PolicyState
//! after Hello and after each document (received through `policy_receiver.rs`, stored through
//! `policy_file.rs`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use zenithfence_protocol::info_policy::{origin, problem};
use zenithfence_protocol::policy::{PolicyDocument, PolicyRule, RuleAction, RuleDestination};
use zenithfence_protocol::PolicyPart;

use super::tests::{fixture, flow, infos_in, process, t, Fixture};
use super::*;
use crate::daemon::RANK_ENGINE;
use crate::locks::RankedMutex;
use crate::policy_receiver::PolicyReceiver;

const CURL: &str = "/usr/bin/curl";
const PYTHON: &str = "/usr/bin/python3.11";
/// The remote address of `flow(port)`.
const SERVER: [u8; 4] = [10, 0, 0, 2];

fn rule(
    tag: u32,
    action: RuleAction,
    app: Option<&str>,
    destination: RuleDestination,
) -> PolicyRule {
    PolicyRule::new(tag, action, app, destination)
}

/// A document: curl is blocked from the server (tag 1), python allowed to it (tag 2).
fn document(generation: u64, no_app_action: u8) -> PolicyDocument {
    PolicyDocument {
        flags: 0,
        generation,
        no_app_action,
        rules: vec![
            rule(
                1,
                RuleAction::Block,
                Some(CURL),
                RuleDestination::Ip4(SERVER),
            ),
            rule(
                2,
                RuleAction::Allow,
                Some(PYTHON),
                RuleDestination::Ip4(SERVER),
            ),
        ],
        blocklist: Default::default(),
    }
}

fn install(f: &mut Fixture, document: &PolicyDocument) {
    let prepared = PreparedPolicy::from_bytes(&document.encode()).unwrap();
    f.engine
        .install_policy(Box::new(prepared), PolicyOrigin::Client);
}

fn run_by(pid: u64, path: &str) -> Attribution {
    let mut attribution = process(pid, 7);
    if let Some(p) = attribution.process.as_mut() {
        Arc::make_mut(p).path = path.into();
    }
    attribution
}

fn kinds(infos: &[Info]) -> Vec<u8> {
    infos.iter().map(Info::info_type).collect()
}

fn connected(features: u32) -> Fixture {
    let mut f = fixture(64, false);
    f.engine.attach();
    f.engine.hello(1, features);
    f.infos();
    f
}

#[test]
fn a_rule_answers_for_good_at_once_and_a_policy_client_hears_process_then_rule_decided() {
    let mut f = connected(feature::ALL);
    install(&mut f, &document(5, 6));
    assert_eq!(f.packet(1, 10, 0, run_by(42, CURL)), Quick::Attribute);
    assert_eq!(f.answers(), vec![(10, Action::Block, true)], "not held");
    assert_eq!(f.engine.pending_requests(), 0);
    let infos = f.infos();
    assert_eq!(kinds(&infos), vec![129, 134], "Process, then RuleDecidedV4");
    let Info::RuleDecidedV4(decided) = &infos[1] else {
        panic!("{infos:?}")
    };
    assert_eq!(
        (
            decided.generation,
            decided.rule_tag,
            decided.verdict,
            decided.connection.process_id,
            decided.connection.local_port,
            decided.connection.remote_ip,
        ),
        (5, 1, Verdict::PermanentBlock as u8, 42, 1, SERVER)
    );
    // Cached like a client's permanent verdict (with the packet's interface, for its byte
    // counts): the flow's next packet is answered alike.
    assert_eq!(f.engine.cache.get(&flow(1)).unwrap().interface, 3);
    assert_eq!(f.packet(1, 11, 1, run_by(42, CURL)), Quick::Done);
    assert_eq!(f.answers()[1], (11, Action::Block, true));
    // Ended, it is reported like any other connection, found by its socket cookie too.
    assert_eq!(f.engine.flow_of_cookie(4200), Some(flow(1)));
    f.engine.connection_ended(flow(1), 2);
    assert!(matches!(f.infos().as_slice(), [Info::ConnectionEndV4(end)] if end.process_id == 42));
    // The same process again is not described twice.
    f.packet(2, 12, 3, run_by(42, CURL));
    assert_eq!(kinds(&f.infos()), vec![134]);
}

#[test]
fn a_client_without_policy_gets_no_rule_infos_and_one_without_process_no_process() {
    let mut f = connected(feature::PROCESS);
    install(&mut f, &document(5, 6));
    f.packet(1, 10, 0, run_by(42, PYTHON));
    assert_eq!(f.answers(), vec![(10, Action::Accept, true)]);
    assert!(
        f.infos().is_empty(),
        "no POLICY: nothing about rule decisions"
    );
    let mut f = connected(feature::POLICY);
    install(&mut f, &document(5, 6));
    f.packet(1, 10, 0, run_by(42, PYTHON));
    let infos = f.infos();
    assert_eq!(
        kinds(&infos),
        vec![134],
        "POLICY without PROCESS: no Process info"
    );
    assert!(matches!(&infos[0], Info::RuleDecidedV4(d) if d.rule_tag == 2 && d.verdict == 3));
}

#[test]
fn what_no_rule_decides_is_asked_with_a_client_and_gets_the_no_app_action_without() {
    let mut f = connected(feature::ALL);
    install(&mut f, &document(5, 4));
    assert_eq!(
        f.packet(1, 10, 0, run_by(43, "/usr/bin/bash")),
        Quick::Attribute
    );
    assert!(f.answers().is_empty(), "held");
    assert_eq!(
        kinds(&f.infos()),
        vec![129, 1],
        "Process, then the question"
    );
    // No client: the document's no-app action (block), not permanent, and nothing queued.
    let mut f = fixture(64, false);
    install(&mut f, &document(5, 4));
    assert_eq!(
        f.packet(1, 10, 0, run_by(43, "/usr/bin/bash")),
        Quick::Attribute,
        "app rules need the process"
    );
    f.packet(2, 11, 0, Attribution::default());
    assert_eq!(
        f.answers(),
        vec![(10, Action::Block, false), (11, Action::Block, false)],
        "an unknown process meets only any-app rules"
    );
    assert!(f.infos().is_empty());
    // Not cached: the next packet of the flow is decided again.
    assert_eq!(f.packet(1, 12, 1, run_by(42, CURL)), Quick::Attribute);
    assert_eq!(f.answers()[2], (12, Action::Block, true));
}

#[test]
fn without_a_policy_the_detached_action_applies_and_no_process_is_looked_for() {
    let mut f = fixture(64, false);
    assert_eq!(f.packet(1, 10, 0, run_by(42, CURL)), Quick::Done);
    assert_eq!(f.answers(), vec![(10, Action::Accept, false)]);
    f.engine.attach();
    assert_eq!(f.packet(2, 11, 0, run_by(42, CURL)), Quick::Attribute);
    assert_eq!(f.engine.pending_requests(), 1, "asked");
}

#[test]
fn an_address_policy_decides_without_a_process_while_no_client_is_connected() {
    let mut f = fixture(64, false);
    let mut by_address = document(3, 2);
    by_address.rules = vec![rule(
        9,
        RuleAction::Drop,
        None,
        RuleDestination::Ip4(SERVER),
    )];
    install(&mut f, &by_address);
    assert!(!f.engine.policy.needs_process());
    let held = HeldPacket {
        packet_id: 10,
        mark: 0,
    };
    assert_eq!(
        f.engine
            .quick_decision(flow(1), Direction::Outbound, held, t(0)),
        Quick::Done,
        "no /proc walk"
    );
    assert_eq!(f.answers(), vec![(10, Action::Drop, true)]);
    // With a client the process is wanted all the same (the client is told who it was).
    f.engine.attach();
    assert_eq!(f.packet(2, 11, 0, run_by(42, CURL)), Quick::Attribute);
    assert_eq!(f.answers()[1], (11, Action::Drop, true));
}

#[test]
fn rules_the_app_decides_hold_with_a_client_and_do_not_exist_without_one() {
    let mut app_decides = rule(
        1,
        RuleAction::Allow,
        Some(CURL),
        RuleDestination::Ip4(SERVER),
    );
    app_decides.app_decides = true;
    let document = PolicyDocument {
        flags: 0,
        generation: 8,
        no_app_action: 2,
        rules: vec![
            app_decides,
            rule(2, RuleAction::Block, None, RuleDestination::Ip4(SERVER)),
        ],
        blocklist: Default::default(),
    };
    let mut f = connected(feature::ALL);
    install(&mut f, &document);
    f.packet(1, 10, 0, run_by(42, CURL));
    assert_eq!(f.engine.pending_requests(), 1, "asked: the app decides");
    assert_eq!(kinds(&f.infos()), vec![129, 1]);
    let mut f = fixture(64, false);
    install(&mut f, &document);
    f.packet(1, 10, 0, run_by(42, CURL));
    assert_eq!(
        f.answers(),
        vec![(10, Action::Block, true)],
        "without the app its rule does not exist: the any-app block decides"
    );
}

#[test]
fn a_leaving_client_has_its_held_connections_decided_as_without_a_client() {
    let mut app_decides = rule(
        1,
        RuleAction::Allow,
        Some(CURL),
        RuleDestination::Ip4(SERVER),
    );
    app_decides.app_decides = true;
    let document = PolicyDocument {
        flags: 0,
        generation: 8,
        no_app_action: 6,
        rules: vec![
            app_decides,
            rule(2, RuleAction::Block, None, RuleDestination::Ip4(SERVER)),
        ],
        blocklist: Default::default(),
    };
    let mut f = connected(feature::ALL);
    install(&mut f, &document);
    f.packet(1, 10, 0, run_by(42, CURL));
    f.packet(1, 11, 0, run_by(42, CURL));
    let elsewhere = FlowKey {
        remote_ip: IpAddress::V4([10, 9, 9, 9]),
        ..flow(2)
    };
    f.packet_of(elsewhere, 12, 0, run_by(43, PYTHON));
    assert_eq!(f.engine.pending_requests(), 2);
    f.engine.detach(t(5));
    assert_eq!(
        f.answers(),
        vec![
            (10, Action::Block, true),
            (11, Action::Block, true),
            (12, Action::Drop, false),
        ],
        "by the next rule, and by the document's no-app action (drop), not --detached accept"
    );
    assert_eq!(f.engine.pending_requests(), 0);
}

#[test]
fn host_rules_match_names_from_dns_answers_whatever_the_client_asked_for() {
    let mut f = connected(0);
    let mut by_name = document(4, 2);
    by_name.rules = vec![
        rule(
            5,
            RuleAction::Block,
            None,
            RuleDestination::Host("tracker.example".into()),
        ),
        rule(
            6,
            RuleAction::Drop,
            None,
            RuleDestination::Domain("ads.example".into()),
        ),
    ];
    install(&mut f, &by_name);
    f.packet(1, 10, 0, run_by(42, CURL));
    assert_eq!(f.engine.pending_requests(), 1, "no name known yet: asked");
    f.engine
        .dns_name("tracker.example".into(), IpAddress::V4(SERVER), 60, 0);
    let other = IpAddress::V4([10, 0, 0, 3]);
    f.engine.dns_name("x.ads.example".into(), other, 60, 0);
    assert!(
        f.infos().iter().all(|i| !matches!(i, Info::DnsNameV4(_))),
        "DNS not granted"
    );
    f.packet(2, 11, 1, run_by(42, CURL));
    let to_other = FlowKey {
        remote_ip: other,
        ..flow(3)
    };
    f.packet_of(to_other, 12, 1, run_by(42, CURL));
    assert_eq!(
        f.answers(),
        vec![(11, Action::Block, true), (12, Action::Drop, true)]
    );
}

/// The app may know a name the daemon does not (its cache keeps names by use, ours by learning):
/// a host rule that would beat the rule the daemon can see is left to the app while it is
/// connected, so the daemon never lets through what the app would block.
#[test]
fn without_a_name_a_host_rule_that_would_win_is_left_to_the_app() {
    let mut rules = document(4, 2);
    rules.rules = vec![
        rule(
            5,
            RuleAction::Block,
            None,
            RuleDestination::Host("tracker.example".into()),
        ),
        rule(6, RuleAction::Allow, None, RuleDestination::Any),
    ];
    let mut f = connected(0);
    install(&mut f, &rules);
    f.packet(1, 10, 0, run_by(42, CURL));
    assert!(
        f.answers().is_empty(),
        "held: the allow rule may not be the winner"
    );
    assert_eq!(f.engine.pending_requests(), 1);
    // A name known for the address, and not the tracker's: the allow rule decides.
    let other = IpAddress::V4([10, 0, 0, 3]);
    f.engine.dns_name("cdn.example".into(), other, 60, 0);
    let to_other = FlowKey {
        remote_ip: other,
        ..flow(3)
    };
    f.packet_of(to_other, 11, 1, run_by(42, CURL));
    assert_eq!(f.answers(), vec![(11, Action::Accept, true)]);
    // Without a client the host rule cannot match an address without names: allowed.
    let mut f = fixture(64, false);
    install(&mut f, &rules);
    f.packet(1, 12, 0, run_by(42, CURL));
    assert_eq!(f.answers(), vec![(12, Action::Accept, true)]);
}

#[test]
fn an_expired_rule_no_longer_decides_by_the_wall_clock() {
    let mut f = fixture(64, false);
    let mut expiring = document(4, 2);
    expiring.rules[0].expires_at = Some(1_000);
    install(&mut f, &expiring);
    let held = |packet_id| HeldPacket { packet_id, mark: 0 };
    let at = |now_ms, wall_ms| Time { now_ms, wall_ms };
    f.engine.decide_new(
        flow(1),
        Direction::Outbound,
        held(10),
        run_by(42, CURL),
        &[],
        at(5_000, 999),
    );
    f.engine.decide_new(
        flow(2),
        Direction::Outbound,
        held(11),
        run_by(42, CURL),
        &[],
        at(0, 1_000),
    );
    assert_eq!(
        f.answers(),
        vec![(10, Action::Block, true), (11, Action::Accept, false)],
        "expired at 1 000 ms after the epoch, whatever the daemon's uptime"
    );
}

#[test]
fn an_ipv6_connection_is_reported_with_rule_decided_v6() {
    let mut f = connected(feature::ALL);
    let server6 = [0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let mut six = document(5, 2);
    six.rules = vec![rule(
        3,
        RuleAction::Allow,
        Some(CURL),
        RuleDestination::Ip6(server6),
    )];
    install(&mut f, &six);
    let flow6 = FlowKey {
        protocol: 6,
        local_ip: IpAddress::V6([0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        local_port: 5000,
        remote_ip: IpAddress::V6(server6),
        remote_port: 443,
    };
    f.packet_of(flow6, 10, 0, run_by(42, CURL));
    let infos = f.infos();
    assert!(
        matches!(&infos[1], Info::RuleDecidedV6(d) if d.rule_tag == 3 && d.connection.remote_ip == server6),
        "{infos:?}"
    );
}

/// A private directory for one test's policy file, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("zf-engine-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sends `bytes` as parts of at most `size` bytes.
fn send(receiver: &mut PolicyReceiver<'_>, generation: u64, bytes: &[u8], size: usize) {
    let total_len = u32::try_from(bytes.len()).unwrap();
    let mut offset = 0;
    for data in bytes.chunks(size) {
        receiver.part(&PolicyPart {
            generation,
            total_len,
            offset,
            data,
        });
        offset += u32::try_from(data.len()).unwrap();
    }
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

use zenithfence_protocol::PolicyState;

/// The engine behind its lock, as the daemon holds it, with a client granted every feature.
fn locked() -> (RankedMutex<Engine>, Arc<BlockingInfoQueue>, Arc<Log>) {
    let Fixture {
        mut engine, queue, ..
    } = fixture(64, false);
    engine.attach();
    engine.hello(1, feature::ALL);
    (
        RankedMutex::new(RANK_ENGINE, "engine", engine),
        queue,
        Arc::new(Log::new(Severity::Error)),
    )
}

#[test]
fn a_policy_state_follows_hello_and_every_document_kept_or_dropped() {
    let scratch = Scratch::new("states");
    let file = scratch.0.join("policy");
    let (engine, queue, log) = locked();
    let hello = infos_in(&queue);
    assert_eq!(
        kinds(&hello),
        vec![128, 133],
        "HelloReply, then the PolicyState"
    );
    assert_eq!(
        (states(&hello)[0].generation, states(&hello)[0].origin),
        (0, origin::NONE)
    );
    let mut receiver = PolicyReceiver::new(&engine, &file, &log);
    let good = document(5, 4).encode();
    send(&mut receiver, 5, &good, 16);
    let after = states(&infos_in(&queue));
    assert_eq!(after.len(), 1, "one PolicyState per document, not per part");
    assert_eq!(
        (
            after[0].generation,
            after[0].rule_count,
            after[0].origin,
            after[0].problem
        ),
        (5, 2, origin::CLIENT, problem::NONE)
    );
    assert_eq!(std::fs::read(&file).unwrap(), good, "stored byte for byte");
    // A flipped byte: dropped, generation 5 stays in force and on disk.
    let mut bad = document(6, 2).encode();
    bad[30] ^= 1;
    send(&mut receiver, 6, &bad, 8192);
    let after = states(&infos_in(&queue));
    assert_eq!(
        (
            after[0].generation,
            after[0].problem,
            after[0].problem_generation
        ),
        (5, problem::CHECKSUM, 6)
    );
    assert_eq!(std::fs::read(&file).unwrap(), good);
    // A part out of order.
    let next = document(7, 2).encode();
    receiver.part(&PolicyPart {
        generation: 7,
        total_len: u32::try_from(next.len()).unwrap(),
        offset: 4,
        data: &next[4..],
    });
    let after = states(&infos_in(&queue));
    assert_eq!(
        (after[0].generation, after[0].problem),
        (5, problem::OUT_OF_ORDER)
    );
    let mut guard = engine.lock();
    let held = HeldPacket {
        packet_id: 1,
        mark: 0,
    };
    guard.decide_new(
        flow(1),
        Direction::Outbound,
        held,
        run_by(42, CURL),
        &[],
        t(0),
    );
    assert!(
        matches!(infos_in(&queue).last(), Some(Info::RuleDecidedV4(d)) if d.generation == 5),
        "decided by generation 5"
    );
}

#[test]
fn a_policy_that_cannot_be_stored_is_in_force_but_said_not_saved() {
    let scratch = Scratch::new("unsaved");
    // A file where the directory should be: nothing can be stored below it, even by root.
    std::fs::write(scratch.0.join("not-a-dir"), b"").unwrap();
    let file = scratch.0.join("not-a-dir").join("policy");
    let (engine, queue, log) = locked();
    infos_in(&queue);
    let mut receiver = PolicyReceiver::new(&engine, &file, &log);
    send(&mut receiver, 9, &document(9, 2).encode(), 8192);
    let after = states(&infos_in(&queue));
    assert_eq!(
        (
            after[0].generation,
            after[0].problem,
            after[0].problem_generation
        ),
        (9, problem::NOT_SAVED, 9)
    );
    assert!(!Path::new(&file).exists());
    assert_eq!(
        engine.lock().policy.generation(),
        9,
        "in force all the same"
    );
}
