//! The meaning of a rule, shared with the app's engine: every case of
//! `driver/protocol/testdata/rule_cases.txt` (its header documents the format) must give the
//! same winner here as there. The rules are turned into a policy the way the app's policy
//! compiler does (`app/engine/policy-compiler.ts`): disabled rules left out, memory-only
//! durations flagged "the app decides", tags numbered in the order of the rule ids, names
//! lower-cased without a trailing dot, networks masked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use zenithfence_core::flow::IpAddress;
use zenithfence_core::policy::{CompiledPolicy, Outcome, PolicyConnection, RuleNames};
use zenithfence_protocol::constants::Direction;
use zenithfence_protocol::policy::{
    PolicyDocument, PolicyRule, RuleAction, RuleDestination, RuleDirection,
    FLAG_CASE_INSENSITIVE_PATHS,
};

/// The case file, committed beside the protocol's other golden files.
fn case_file() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../protocol/testdata/rule_cases.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read ({e}); it is committed", path.display()))
}

/// One `rule` line.
struct CaseRule {
    id: String,
    rule: PolicyRule,
    enabled: bool,
    memory_only: bool,
}

struct Set {
    name: String,
    insensitive: bool,
    rules: Vec<CaseRule>,
}

fn keys(tokens: &[&str], line: usize) -> BTreeMap<String, String> {
    tokens
        .iter()
        .map(|t| {
            let (k, v) = t
                .split_once('=')
                .unwrap_or_else(|| panic!("line {line}: `{t}` is not key=value"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn normalize(name: &str) -> String {
    let lower = name.to_lowercase();
    lower.strip_suffix('.').map(str::to_string).unwrap_or(lower)
}

fn address(text: &str, line: usize) -> IpAddress {
    match text
        .parse::<IpAddr>()
        .unwrap_or_else(|_| panic!("line {line}: bad address {text}"))
    {
        IpAddr::V4(a) => IpAddress::V4(a.octets()),
        IpAddr::V6(a) => IpAddress::V6(a.octets()),
    }
}

fn mask<const N: usize>(mut bytes: [u8; N], prefix: u8) -> [u8; N] {
    for (i, b) in bytes.iter_mut().enumerate() {
        let kept = usize::from(prefix).saturating_sub(i * 8).min(8);
        *b &= if kept == 0 { 0 } else { 0xffu8 << (8 - kept) };
    }
    bytes
}

fn destination(text: &str, line: usize) -> RuleDestination {
    match text {
        "any" => return RuleDestination::Any,
        "lan" => return RuleDestination::Lan,
        "localhost" => return RuleDestination::Localhost,
        _ => {}
    }
    let (kind, value) = text
        .split_once(':')
        .unwrap_or_else(|| panic!("line {line}: bad dest {text}"));
    match kind {
        "ip" => match address(value, line) {
            IpAddress::V4(b) => RuleDestination::Ip4(b),
            IpAddress::V6(b) => RuleDestination::Ip6(b),
        },
        "cidr" => {
            let (ip, prefix) = value.rsplit_once('/').expect("cidr has a /");
            let prefix: u8 = prefix.parse().expect("prefix");
            match address(ip, line) {
                IpAddress::V4(b) => RuleDestination::Cidr4 {
                    network: mask(b, prefix),
                    prefix,
                },
                IpAddress::V6(b) => RuleDestination::Cidr6 {
                    network: mask(b, prefix),
                    prefix,
                },
            }
        }
        "host" => RuleDestination::Host(normalize(value)),
        "domain" => RuleDestination::Domain(normalize(
            value
                .strip_prefix("*.")
                .unwrap_or_else(|| panic!("line {line}: domain without *.")),
        )),
        _ => panic!("line {line}: unknown dest kind {kind}"),
    }
}

fn parse_rule(tokens: &[&str], line: usize, insensitive: bool) -> CaseRule {
    let id = tokens[0].to_string();
    let k = keys(&tokens[1..], line);
    let get = |key: &str, default: &str| k.get(key).cloned().unwrap_or_else(|| default.into());
    let app = get("app", "any");
    let port = get("port", "any");
    let (port_from, port_to) = match port.as_str() {
        "any" => (0, 65535),
        p => match p.split_once('-') {
            Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
            None => (p.parse().unwrap(), p.parse().unwrap()),
        },
    };
    let duration = get("duration", "forever");
    let rule = PolicyRule {
        tag: 0,
        action: match get("action", "").as_str() {
            "allow" => RuleAction::Allow,
            "block" => RuleAction::Block,
            "drop" => RuleAction::Drop,
            other => panic!("line {line}: action {other}"),
        },
        app_decides: matches!(duration.as_str(), "until-restart" | "until-app-quits"),
        direction: match get("dir", "out").as_str() {
            "out" => RuleDirection::Outbound,
            "in" => RuleDirection::Inbound,
            "any" => RuleDirection::Any,
            other => panic!("line {line}: dir {other}"),
        },
        protocol: match get("proto", "any").as_str() {
            "any" => None,
            p => Some(p.parse().unwrap()),
        },
        port_from,
        port_to,
        updated_at: get("updated", "0").parse().unwrap(),
        expires_at: k.get("expires").map(|e| e.parse().unwrap()),
        app: match app.as_str() {
            "any" => None,
            path if insensitive => Some(path.to_lowercase()),
            path => Some(path.to_string()),
        },
        destination: destination(&get("dest", ""), line),
    };
    assert!(
        duration != "minutes" || rule.expires_at.is_some(),
        "line {line}: minutes without expires"
    );
    CaseRule {
        id,
        memory_only: rule.app_decides,
        enabled: get("enabled", "yes") == "yes",
        rule,
    }
}

/// The policy the app would send for `set`, and each rule id's tag.
fn policy(set: &Set) -> (CompiledPolicy, BTreeMap<String, u32>) {
    let mut ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let tags: BTreeMap<String, u32> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.to_string(), u32::try_from(i).unwrap()))
        .collect();
    let rules = set
        .rules
        .iter()
        .filter(|r| r.enabled)
        .map(|r| PolicyRule {
            tag: tags[&r.id],
            ..r.rule.clone()
        })
        .collect();
    let document = PolicyDocument {
        flags: if set.insensitive {
            FLAG_CASE_INSENSITIVE_PATHS
        } else {
            0
        },
        generation: 1,
        no_app_action: 4,
        rules,
        blocklist: Default::default(),
    };
    // Through the wire format, as the driver gets it.
    let decoded = PolicyDocument::decode(&document.encode()).expect("the policy encodes");
    (CompiledPolicy::new(&decoded), tags)
}

fn expected(
    set: &Set,
    tags: &BTreeMap<String, u32>,
    winner: &str,
    connected: bool,
    line: usize,
) -> Outcome {
    if winner == "none" {
        return Outcome::NoRule;
    }
    let rule = set
        .rules
        .iter()
        .find(|r| r.id == winner)
        .unwrap_or_else(|| panic!("line {line}: unknown rule {winner}"));
    if rule.memory_only {
        assert!(connected, "line {line}: away= names a memory-only rule");
        return Outcome::AppDecides;
    }
    Outcome::Rule {
        tag: tags[winner],
        action: rule.rule.action,
    }
}

#[test]
fn the_core_matcher_passes_every_shared_rule_case() {
    let mut set: Option<Set> = None;
    let mut compiled: Option<(CompiledPolicy, BTreeMap<String, u32>)> = None;
    let mut checked = 0;
    let mut failures = Vec::new();
    let cases = case_file();
    for (index, raw) in cases.lines().enumerate() {
        let line = index + 1;
        let text = raw.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let tokens: Vec<&str> = text.split_whitespace().collect();
        match tokens[0] {
            "set" => {
                set = Some(Set {
                    name: tokens[1..].join(" "),
                    insensitive: false,
                    rules: Vec::new(),
                });
                compiled = None;
            }
            "paths" => {
                assert_eq!(tokens.get(1), Some(&"insensitive"), "line {line}");
                set.as_mut().expect("paths after set").insensitive = true;
            }
            "rule" => {
                let s = set.as_mut().expect("rule after set");
                let rule = parse_rule(&tokens[1..], line, s.insensitive);
                s.rules.push(rule);
                compiled = None;
            }
            "conn" => {
                let s = set.as_ref().expect("conn after set");
                let (policy, tags) = compiled.get_or_insert_with(|| policy(s));
                let arrow = tokens
                    .iter()
                    .position(|t| *t == "=>")
                    .unwrap_or_else(|| panic!("line {line}: no =>"));
                let k = keys(&tokens[1..arrow], line);
                let winner = tokens[arrow + 1];
                let away = tokens[arrow + 2..]
                    .iter()
                    .find_map(|t| t.strip_prefix("away="))
                    .unwrap_or(winner);
                let app = k.get("app").map(String::as_str).unwrap_or("-");
                let names: Vec<String> = k
                    .get("names")
                    .map(|n| n.split(',').map(normalize).collect())
                    .unwrap_or_default();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let connection = PolicyConnection {
                    app: (app != "-").then_some(app),
                    direction: match k.get("dir").map(String::as_str) {
                        Some("in") => Direction::Inbound,
                        _ => Direction::Outbound,
                    },
                    protocol: k["proto"].parse().unwrap(),
                    remote_ip: address(&k["remote"], line),
                    remote_port: k["port"].parse().unwrap(),
                };
                let at: u64 = k.get("at").map_or(1_000_000, |a| a.parse().unwrap());
                for (connected, want) in [(true, winner), (false, away)] {
                    let expect = expected(s, tags, want, connected, line);
                    let got = policy.decide(&connection, RuleNames::Seen(&names), at, connected);
                    if got != expect {
                        failures.push(format!(
                            "line {line} (set {}, app {}): expected {expect:?} ({want}), got {got:?}",
                            s.name,
                            if connected { "connected" } else { "away" }
                        ));
                    }
                }
                checked += 1;
            }
            other => panic!("line {line}: unknown directive {other}"),
        }
    }
    assert!(
        checked >= 300,
        "only {checked} cases: the file should hold hundreds"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
