//! Decisions per second of the core's policy matcher on one core (`npm run bench:policy`).
//!
//! A policy of 10 000 rules shaped like a real rule set after months of use (rules per app for
//! 200 apps, addresses, networks, host names and domains, some any-app rules), and a stream of
//! connections of which about half match a rule. Printed beside a baseline of the same
//! connections against an empty policy (the fixed cost of a call), so the ratio is the price of
//! the rules. `cargo run --release -p zenithfence-core --example policy_bench -- [rules] [seconds]`
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use zenithfence_core::flow::IpAddress;
use zenithfence_core::policy::{CompiledPolicy, PolicyConnection, RuleNames};
use zenithfence_protocol::constants::Direction;
use zenithfence_protocol::policy::{
    PolicyDocument, PolicyRule, RuleAction, RuleDestination, RuleDirection,
};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const APPS: u64 = 200;

fn app(i: u64) -> String {
    format!("/usr/lib/app{i}/bin/app{i}")
}

fn rules(count: u32, rng: &mut Rng) -> Vec<PolicyRule> {
    (0..count)
        .map(|tag| {
            let r = rng.next();
            let destination = match r % 10 {
                0..=3 => {
                    RuleDestination::Ip4([93, (r >> 8) as u8, (r >> 16) as u8, (r >> 24) as u8])
                }
                4 => RuleDestination::Cidr4 {
                    network: [10, (r >> 8) as u8, 0, 0],
                    prefix: 16,
                },
                5 | 6 => RuleDestination::Host(format!(
                    "h{}.example{}.com",
                    (r >> 8) % 50,
                    (r >> 16) % 40
                )),
                7 => RuleDestination::Domain(format!("example{}.com", (r >> 16) % 40)),
                8 => RuleDestination::Lan,
                _ => RuleDestination::Any,
            };
            PolicyRule {
                tag,
                action: [RuleAction::Allow, RuleAction::Block, RuleAction::Drop]
                    [(r >> 32) as usize % 3],
                app_decides: r >> 34 & 15 == 0,
                direction: RuleDirection::Outbound,
                protocol: if r >> 38 & 1 == 1 { Some(6) } else { None },
                port_from: if r >> 39 & 3 == 0 { 443 } else { 0 },
                port_to: if r >> 39 & 3 == 0 { 443 } else { 65535 },
                updated_at: r >> 48,
                expires_at: None,
                // One rule in ten is for any app.
                app: if r >> 41 & 15 < 2 {
                    None
                } else {
                    Some(app((r >> 45) % APPS))
                },
                destination,
            }
        })
        .collect()
}

fn compile(rules: Vec<PolicyRule>) -> CompiledPolicy {
    CompiledPolicy::new(&PolicyDocument {
        flags: 0,
        generation: 1,
        no_app_action: 4,
        rules,
        blocklist: Default::default(),
    })
}

fn run(
    policy: &CompiledPolicy,
    connections: &[(String, IpAddress, Vec<String>)],
    seconds: f64,
) -> f64 {
    let deadline = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut done = 0u64;
    let mut names: Vec<&str> = Vec::new();
    while start.elapsed() < deadline {
        for (path, ip, host_names) in connections {
            names.clear();
            names.extend(host_names.iter().map(String::as_str));
            let connection = PolicyConnection {
                app: Some(path),
                direction: Direction::Outbound,
                protocol: 6,
                remote_ip: *ip,
                remote_port: 443,
            };
            black_box(policy.decide(&connection, RuleNames::Seen(&names), 1_000, true));
        }
        done += connections.len() as u64;
    }
    done as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u32 = args.next().map_or(10_000, |a| a.parse().unwrap());
    let seconds: f64 = args.next().map_or(2.0, |a| a.parse().unwrap());
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let built = Instant::now();
    let policy = compile(rules(count, &mut rng));
    let compile_ms = built.elapsed().as_secs_f64() * 1000.0;
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    // Replay the rule generator so half the connections hit rule addresses and names.
    let sample = rules(count, &mut rng);
    let connections: Vec<(String, IpAddress, Vec<String>)> = (0..4096)
        .map(|i| {
            let r = rng.next();
            let source = &sample[(r % u64::from(count)) as usize];
            let hit = i % 2 == 0;
            let ip = match (&source.destination, hit) {
                (RuleDestination::Ip4(b), true) => IpAddress::V4(*b),
                (RuleDestination::Cidr4 { network, .. }, true) => {
                    IpAddress::V4([network[0], network[1], (r >> 8) as u8, (r >> 16) as u8])
                }
                _ => IpAddress::V4([151, (r >> 8) as u8, (r >> 16) as u8, (r >> 24) as u8]),
            };
            let names = match (&source.destination, hit) {
                (RuleDestination::Host(h), true) => vec![h.clone()],
                (RuleDestination::Domain(d), true) => vec![format!("www.{d}")],
                _ => vec![format!("cdn{}.unrelated.net", r % 97)],
            };
            let path = source.app.clone().unwrap_or_else(|| app((r >> 20) % APPS));
            (path, ip, names)
        })
        .collect();
    let empty = compile(Vec::new());
    println!("policy matcher, one core: {count} rules (compiled in {compile_ms:.1} ms), 4096 connections, half of them to rule destinations");
    let mut with_rules = Vec::new();
    let mut baseline = Vec::new();
    // Interleaved rounds: the same machine state for both, medians reported.
    for _ in 0..5 {
        baseline.push(run(&empty, &connections, seconds / 5.0));
        with_rules.push(run(&policy, &connections, seconds / 5.0));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rules_rate = median(&mut with_rules);
    let base_rate = median(&mut baseline);
    println!("  empty policy (baseline): {:>12.0} decisions/s", base_rate);
    println!("  {count} rules:            {:>12.0} decisions/s  ({:.2}x the baseline's time per decision)", rules_rate, base_rate / rules_rate);
    println!("  goal: >= 1 000 000 decisions/s with 10 000 rules");
}
