//! Unit tests of the matcher; the full meaning of a rule is checked against the shared case
//! file (`case_file.rs`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use alloc::vec;

fn rule(
    tag: u32,
    app: Option<&str>,
    destination: RuleDestination,
    action: RuleAction,
) -> PolicyRule {
    PolicyRule::new(tag, action, app, destination)
}

fn policy(rules: Vec<PolicyRule>) -> CompiledPolicy {
    CompiledPolicy::new(&PolicyDocument {
        flags: 0,
        generation: 1,
        no_app_action: 4,
        rules,
        blocklist: Default::default(),
    })
}

fn conn(app: Option<&str>, ip: [u8; 4], port: u16) -> PolicyConnection<'_> {
    PolicyConnection {
        app,
        direction: Direction::Outbound,
        protocol: 6,
        remote_ip: IpAddress::V4(ip),
        remote_port: port,
    }
}

const CURL: Option<&str> = Some("/usr/bin/curl");

#[test]
fn an_app_rule_beats_a_precise_any_app_rule() {
    let p = policy(vec![
        rule(
            1,
            None,
            RuleDestination::Ip4([1, 2, 3, 4]),
            RuleAction::Block,
        ),
        rule(2, CURL, RuleDestination::Any, RuleAction::Allow),
    ]);
    let c = conn(CURL, [1, 2, 3, 4], 443);
    assert_eq!(
        p.decide(&c, RuleNames::Seen(&[]), 0, false),
        Outcome::Rule {
            tag: 2,
            action: RuleAction::Allow
        }
    );
    let other = conn(Some("/usr/bin/wget"), [1, 2, 3, 4], 443);
    assert_eq!(
        p.decide(&other, RuleNames::Seen(&[]), 0, false),
        Outcome::Rule {
            tag: 1,
            action: RuleAction::Block
        }
    );
    let unknown = conn(None, [5, 6, 7, 8], 443);
    assert_eq!(
        p.decide(&unknown, RuleNames::Seen(&[]), 0, false),
        Outcome::NoRule
    );
}

#[test]
fn app_decided_rules_exist_only_with_the_app() {
    let mut memory_only = rule(2, CURL, RuleDestination::Any, RuleAction::Allow);
    memory_only.app_decides = true;
    let p = policy(vec![
        rule(1, None, RuleDestination::Any, RuleAction::Block),
        memory_only,
    ]);
    let c = conn(CURL, [1, 2, 3, 4], 443);
    assert_eq!(
        p.decide(&c, RuleNames::Seen(&[]), 0, true),
        Outcome::AppDecides
    );
    assert_eq!(
        p.decide(&c, RuleNames::Seen(&[]), 0, false),
        Outcome::Rule {
            tag: 1,
            action: RuleAction::Block
        }
    );
}

#[test]
fn name_rules_without_dns_defer_to_the_app_only_when_they_would_come_first() {
    let p = policy(vec![
        rule(
            1,
            None,
            RuleDestination::Host("example.com".into()),
            RuleAction::Block,
        ),
        rule(2, None, RuleDestination::Lan, RuleAction::Allow),
        rule(
            3,
            CURL,
            RuleDestination::Ip4([9, 9, 9, 9]),
            RuleAction::Allow,
        ),
    ]);
    let c = conn(Some("/usr/bin/wget"), [10, 0, 0, 1], 80);
    // host (tier 4) would beat lan (tier 1): the app must look.
    assert_eq!(
        p.decide(&c, RuleNames::Unseen, 0, true),
        Outcome::AppDecides
    );
    // Without the app the unknowable rule does not exist.
    assert_eq!(
        p.decide(&c, RuleNames::Unseen, 0, false),
        Outcome::Rule {
            tag: 2,
            action: RuleAction::Allow
        }
    );
    // An app rule ranks above every any-app name rule: decided without names.
    let curl = conn(CURL, [9, 9, 9, 9], 80);
    assert_eq!(
        p.decide(&curl, RuleNames::Unseen, 0, true),
        Outcome::Rule {
            tag: 3,
            action: RuleAction::Allow
        }
    );
}

#[test]
fn domains_match_strictly_below_and_cidrs_by_prefix() {
    let p = policy(vec![
        rule(
            1,
            None,
            RuleDestination::Domain("example.com".into()),
            RuleAction::Block,
        ),
        rule(
            2,
            None,
            RuleDestination::Cidr4 {
                network: [10, 0, 0, 0],
                prefix: 8,
            },
            RuleAction::Drop,
        ),
    ]);
    let c = conn(None, [93, 184, 216, 34], 443);
    assert_eq!(
        p.decide(&c, RuleNames::Seen(&["example.com"]), 0, false),
        Outcome::NoRule
    );
    assert_eq!(
        p.decide(&c, RuleNames::Seen(&["a.b.example.com"]), 0, false),
        Outcome::Rule {
            tag: 1,
            action: RuleAction::Block
        }
    );
    assert_eq!(
        p.decide(
            &conn(None, [10, 255, 0, 1], 1),
            RuleNames::Seen(&[]),
            0,
            false
        ),
        Outcome::Rule {
            tag: 2,
            action: RuleAction::Drop
        }
    );
    assert_eq!(
        p.decide(
            &conn(None, [11, 0, 0, 0], 1),
            RuleNames::Seen(&[]),
            0,
            false
        ),
        Outcome::NoRule
    );
}

#[test]
fn case_insensitive_paths_fold_both_sides() {
    let document = PolicyDocument {
        flags: FLAG_CASE_INSENSITIVE_PATHS,
        generation: 1,
        no_app_action: 4,
        rules: vec![rule(
            1,
            Some("c:\\tools\\curl.exe"),
            RuleDestination::Any,
            RuleAction::Allow,
        )],
        blocklist: Default::default(),
    };
    let p = CompiledPolicy::new(&document);
    let c = conn(Some("C:\\Tools\\CURL.EXE"), [1, 1, 1, 1], 443);
    assert_eq!(
        p.decide(&c, RuleNames::Unseen, 0, false),
        Outcome::Rule {
            tag: 1,
            action: RuleAction::Allow
        }
    );
}

#[test]
fn expired_rules_and_other_ports_do_not_match() {
    let mut timed = rule(1, None, RuleDestination::Any, RuleAction::Block);
    timed.expires_at = Some(1000);
    let mut port = rule(2, None, RuleDestination::Any, RuleAction::Drop);
    port.port_from = 22;
    port.port_to = 22;
    let p = policy(vec![timed, port]);
    let c = conn(None, [1, 1, 1, 1], 443);
    assert_eq!(
        p.decide(&c, RuleNames::Seen(&[]), 999, false),
        Outcome::Rule {
            tag: 1,
            action: RuleAction::Block
        }
    );
    assert_eq!(
        p.decide(&c, RuleNames::Seen(&[]), 1000, false),
        Outcome::NoRule
    );
    assert_eq!(
        p.decide(
            &conn(None, [1, 1, 1, 1], 22),
            RuleNames::Seen(&[]),
            1000,
            false
        ),
        Outcome::Rule {
            tag: 2,
            action: RuleAction::Drop
        }
    );
}

#[test]
fn many_rules_agree_with_a_full_scan() {
    // The indexes must find what a scan of every rule in precedence order finds.
    let mut rules = Vec::new();
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let apps = [None, CURL, Some("/usr/bin/wget")];
    for tag in 0..600u32 {
        let r = next();
        let destination = match r % 7 {
            0 => RuleDestination::Any,
            1 => RuleDestination::Lan,
            2 => RuleDestination::Ip4([10, 0, (r >> 8) as u8 % 4, (r >> 16) as u8 % 4]),
            3 => {
                let prefix = (r >> 8) as u8 % 33;
                let full = [10u8, 0, (r >> 16) as u8 % 4, (r >> 24) as u8 % 4];
                let mut network = full;
                for (i, b) in network.iter_mut().enumerate() {
                    let kept = usize::from(prefix).saturating_sub(i * 8).min(8);
                    *b &= if kept == 0 { 0 } else { 0xffu8 << (8 - kept) };
                }
                RuleDestination::Cidr4 { network, prefix }
            }
            4 => RuleDestination::Host(["a.example", "b.example"][(r >> 8) as usize % 2].into()),
            5 => RuleDestination::Domain(["example", "x.example"][(r >> 8) as usize % 2].into()),
            _ => RuleDestination::Localhost,
        };
        let mut rule = rule(
            tag,
            apps[(r >> 32) as usize % 3],
            destination,
            [RuleAction::Allow, RuleAction::Block, RuleAction::Drop][(r >> 36) as usize % 3],
        );
        rule.direction = [
            RuleDirection::Outbound,
            RuleDirection::Inbound,
            RuleDirection::Any,
        ][(r >> 40) as usize % 3];
        if r >> 44 & 1 == 1 {
            rule.port_from = 443;
            rule.port_to = 443 + (r >> 45) as u16 % 2;
        }
        rule.protocol = if r >> 47 & 1 == 1 { Some(6) } else { None };
        rule.updated_at = (r >> 48) % 3;
        rule.app_decides = r >> 51 & 3 == 0;
        rule.expires_at = if r >> 53 & 3 == 0 { Some(500) } else { None };
        rules.push(rule);
    }
    let p = policy(rules);
    for _ in 0..3000 {
        let r = next();
        let ip = [10, 0, (r % 4) as u8, ((r >> 4) % 4) as u8];
        let ip = if r >> 8 & 7 == 0 { [127, 0, 0, 1] } else { ip };
        let c = PolicyConnection {
            app: apps[(r >> 12) as usize % 3],
            direction: if r >> 14 & 1 == 0 {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            protocol: if r >> 15 & 1 == 0 { 6 } else { 17 },
            remote_ip: IpAddress::V4(ip),
            remote_port: 442 + (r >> 16) as u16 % 4,
        };
        let names: &[&str] =
            [&[][..], &["a.example"], &["z.x.example", "b.example"]][(r >> 20) as usize % 3];
        let now = [0u64, 500][(r >> 24) as usize % 2];
        let connected = r >> 26 & 1 == 1;
        let scanned = scan(&p, &c, names, now, connected);
        assert_eq!(
            p.decide(&c, RuleNames::Seen(names), now, connected),
            scanned
        );
    }
}

/// The winner by scanning every rule in precedence order (the definition the index must keep).
fn scan(
    p: &CompiledPolicy,
    c: &PolicyConnection<'_>,
    names: &[&str],
    now: u64,
    connected: bool,
) -> Outcome {
    for rule in &p.rules {
        if rule.app_decides && !connected {
            continue;
        }
        if rule.expires_at.is_some_and(|at| now >= at) {
            continue;
        }
        if rule.app.is_some() && rule.app.as_deref() != c.app {
            continue;
        }
        let dir = match rule.direction {
            RuleDirection::Any => true,
            RuleDirection::Outbound => c.direction == Direction::Outbound,
            RuleDirection::Inbound => c.direction == Direction::Inbound,
        };
        if !dir || rule.protocol.is_some_and(|p| p != c.protocol) {
            continue;
        }
        if !(rule.port_from..=rule.port_to).contains(&c.remote_port) {
            continue;
        }
        let IpAddress::V4(ip) = c.remote_ip else {
            continue;
        };
        let dest = match &rule.destination {
            RuleDestination::Any => true,
            RuleDestination::Lan => is_lan(&c.remote_ip),
            RuleDestination::Localhost => is_localhost(&c.remote_ip),
            RuleDestination::Ip4(b) => *b == ip,
            RuleDestination::Cidr4 { network, prefix } => {
                super::super::address_class::in_network(&ip, network, *prefix)
            }
            RuleDestination::Host(h) => names.contains(&h.as_str()),
            RuleDestination::Domain(d) => names.iter().any(|n| {
                n.len() > d.len() + 1
                    && n.ends_with(d.as_str())
                    && n.as_bytes()[n.len() - d.len() - 1] == b'.'
            }),
            _ => false,
        };
        if dest {
            return if rule.app_decides {
                Outcome::AppDecides
            } else {
                Outcome::Rule {
                    tag: rule.tag,
                    action: rule.action,
                }
            };
        }
    }
    Outcome::NoRule
}
