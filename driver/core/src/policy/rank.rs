//! Rule precedence (protocol README, "Precedence"; the app's `app/engine/precedence.ts` is the
//! same order): one number per rule, bigger wins, then the larger `updated_at`, then the smaller
//! tag.

use zenithfence_protocol::policy::{PolicyRule, RuleAction, RuleDestination, RuleDirection};

/// A destination score is tier × 256 + a detail below 256 (labels or prefix bits).
const DEST_RADIX: u64 = 5 * 256;
/// Port scores: any 0, a range 2..65535 (narrower higher), a single port 65537.
const PORT_RADIX: u64 = 65538;

fn destination_score(destination: &RuleDestination) -> u64 {
    match destination {
        RuleDestination::Any => 0,
        RuleDestination::Lan | RuleDestination::Localhost => 256,
        // IPv4 prefixes count as their IPv4-mapped IPv6 prefix, so /32 ranks like /128.
        RuleDestination::Cidr4 { prefix, .. } => 2 * 256 + u64::from(*prefix) + 96,
        RuleDestination::Cidr6 { prefix, .. } => 2 * 256 + u64::from(*prefix),
        RuleDestination::Domain(suffix) => 3 * 256 + label_count(suffix).min(255),
        RuleDestination::Host(_) | RuleDestination::Ip4(_) | RuleDestination::Ip6(_) => 4 * 256,
    }
}

/// How many labels a name has (`b.example.com` has 3).
fn label_count(name: &str) -> u64 {
    1 + name.bytes().filter(|&b| b == b'.').count() as u64
}

fn port_score(from: u16, to: u16) -> u64 {
    if from == to {
        65537
    } else if from == 0 && to == u16::MAX {
        0
    } else {
        65536 - u64::from(to - from)
    }
}

/// The rule's precedence rank: steps 1–6 of the order as one number (bigger wins).
pub fn rank(rule: &PolicyRule) -> u64 {
    let mut rank = u64::from(rule.app.is_some());
    rank = rank * DEST_RADIX + destination_score(&rule.destination);
    rank = rank * PORT_RADIX + port_score(rule.port_from, rule.port_to);
    rank = rank * 2 + u64::from(rule.protocol.is_some());
    rank = rank * 2 + u64::from(rule.direction != RuleDirection::Any);
    let action = match rule.action {
        RuleAction::Allow => 0,
        RuleAction::Block => 1,
        RuleAction::Drop => 2,
    };
    rank * 3 + action
}
