//! The policy matcher: which rule of a policy decides a new connection. Rules are sorted once
//! by precedence (`rank.rs`), so the winner is the matching rule with the smallest position,
//! and indexes (by app path, then by address, network, host name or domain) find the few
//! candidates without scanning every rule.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use zenithfence_protocol::constants::Direction;
use zenithfence_protocol::policy::{
    PolicyDocument, PolicyRule, RuleAction, RuleDestination, RuleDirection,
    FLAG_CASE_INSENSITIVE_PATHS,
};

use super::address_class::{is_lan, is_localhost};
use super::rank::rank;
use crate::flow::IpAddress;

/// What the matcher needs to know of a new connection.
#[derive(Clone, Copy, Debug)]
pub struct PolicyConnection<'a> {
    /// The executable path; None when the process is unknown (only any-app rules apply).
    pub app: Option<&'a str>,
    /// Who opened it.
    pub direction: Direction,
    /// IANA protocol number.
    pub protocol: u8,
    /// The peer's address.
    pub remote_ip: IpAddress,
    /// The peer's port.
    pub remote_port: u16,
}

/// The host names DNS answers mapped the remote address to.
#[derive(Clone, Copy, Debug)]
pub enum RuleNames<'a> {
    /// The driver reads DNS answers: these names (lowercase, no trailing dot), maybe none.
    Seen(&'a [&'a str]),
    /// The driver sees no DNS (the Windows driver): host and domain rules cannot be decided.
    Unseen,
}

/// What the policy says about a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// This rule decides it.
    Rule {
        /// The rule's tag.
        tag: u32,
        /// What it does.
        action: RuleAction,
    },
    /// The best rule is one only the app can apply: hold the connection and ask the app.
    AppDecides,
    /// No rule covers it.
    NoRule,
}

/// Positions (indexes into the sorted rules) of the rules with one destination key.
type Positions = Vec<u32>;

/// The rules of one app (or of any app), indexed by destination.
#[derive(Default)]
struct Group {
    ips: BTreeMap<IpAddress, Positions>,
    /// Per (family, prefix): masked network → positions.
    networks: BTreeMap<(bool, u8), BTreeMap<IpAddress, Positions>>,
    hosts: BTreeMap<String, Positions>,
    domains: BTreeMap<String, Positions>,
    /// any, lan and localhost rules (their class is checked per connection).
    classes: Positions,
    /// Every host and domain rule, for a driver that sees no DNS.
    names: Positions,
}

/// A policy prepared for matching.
pub struct CompiledPolicy {
    rules: Vec<PolicyRule>,
    case_insensitive: bool,
    by_app: BTreeMap<String, Group>,
    any_app: Group,
}

impl CompiledPolicy {
    /// Sorts and indexes the rules of `document` (its other fields are the caller's).
    pub fn new(document: &PolicyDocument) -> CompiledPolicy {
        let case_insensitive = document.flags & FLAG_CASE_INSENSITIVE_PATHS != 0;
        let mut ranked: Vec<(u64, &PolicyRule)> =
            document.rules.iter().map(|r| (rank(r), r)).collect();
        ranked.sort_by(|(ra, a), (rb, b)| {
            rb.cmp(ra)
                .then(b.updated_at.cmp(&a.updated_at))
                .then(a.tag.cmp(&b.tag))
        });
        let rules: Vec<PolicyRule> = ranked.into_iter().map(|(_, r)| r.clone()).collect();
        let mut policy = CompiledPolicy {
            rules: Vec::new(),
            case_insensitive,
            by_app: BTreeMap::new(),
            any_app: Group::default(),
        };
        for (position, rule) in rules.iter().enumerate() {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            let group = match &rule.app {
                None => &mut policy.any_app,
                Some(path) => {
                    let key = policy.app_key(path);
                    policy.by_app.entry(key).or_default()
                }
            };
            group.add(&rule.destination, position);
        }
        policy.rules = rules;
        policy
    }

    /// How many rules the policy holds.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the policy holds no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether any rule names an app (only then is the process worth looking up without a
    /// client to tell).
    pub fn has_app_rules(&self) -> bool {
        !self.by_app.is_empty()
    }

    fn app_key(&self, path: &str) -> String {
        if self.case_insensitive {
            path.to_lowercase()
        } else {
            String::from(path)
        }
    }

    /// Decides `connection` at `now_ms` (milliseconds since the Unix epoch). Rules the app
    /// decides count only while `app_connected`; without it they do not exist.
    pub fn decide(
        &self,
        connection: &PolicyConnection<'_>,
        names: RuleNames<'_>,
        now_ms: u64,
        app_connected: bool,
    ) -> Outcome {
        let own = connection.app.and_then(|path| {
            if self.case_insensitive {
                self.by_app.get(&path.to_lowercase())
            } else {
                self.by_app.get(path)
            }
        });
        // An IPv4-mapped address is the IPv4 address it carries, as in the app's engine.
        let connection = &PolicyConnection {
            remote_ip: unmapped(connection.remote_ip),
            ..*connection
        };
        let check = Check {
            rules: &self.rules,
            connection,
            now_ms,
            app_connected,
        };
        let mut best: Option<u32> = None;
        let mut unsure: Option<u32> = None;
        for group in [own, Some(&self.any_app)].into_iter().flatten() {
            // Every rule for an app ranks above every rule for any app: a match in the app's
            // own group already wins.
            if best.is_some() {
                break;
            }
            group.best(&check, names, &mut best, &mut unsure);
        }
        match (best, unsure) {
            (_, Some(u)) if best.is_none_or(|b| u < b) => Outcome::AppDecides,
            (Some(b), _) => match self.rules.get(b as usize) {
                Some(rule) if rule.app_decides => Outcome::AppDecides,
                Some(rule) => Outcome::Rule {
                    tag: rule.tag,
                    action: rule.action,
                },
                None => Outcome::NoRule,
            },
            (None, _) => Outcome::NoRule,
        }
    }
}

/// The checks of a rule beside its app and destination.
struct Check<'a> {
    rules: &'a [PolicyRule],
    connection: &'a PolicyConnection<'a>,
    now_ms: u64,
    app_connected: bool,
}

impl Check<'_> {
    fn applies(&self, position: u32) -> bool {
        let Some(rule) = self.rules.get(position as usize) else {
            return false;
        };
        let c = self.connection;
        if rule.app_decides && !self.app_connected {
            return false;
        }
        if rule.expires_at.is_some_and(|at| self.now_ms >= at) {
            return false;
        }
        let direction_ok = match rule.direction {
            RuleDirection::Any => true,
            RuleDirection::Outbound => c.direction == Direction::Outbound,
            RuleDirection::Inbound => c.direction == Direction::Inbound,
        };
        direction_ok
            && rule.protocol.is_none_or(|p| p == c.protocol)
            && (rule.port_from..=rule.port_to).contains(&c.remote_port)
    }

    /// The first position of `list` (sorted) whose rule applies.
    fn first(&self, list: Option<&Positions>, bound: Option<u32>) -> Option<u32> {
        let list = list?;
        list.iter()
            .copied()
            // Nothing after the best so far can win.
            .take_while(|&p| bound.is_none_or(|b| p < b))
            .find(|&p| self.applies(p))
    }

    fn class_matches(&self, position: u32) -> bool {
        let remote = &self.connection.remote_ip;
        match self.rules.get(position as usize).map(|r| &r.destination) {
            Some(RuleDestination::Any) => true,
            Some(RuleDestination::Lan) => is_lan(remote),
            Some(RuleDestination::Localhost) => is_localhost(remote),
            _ => false,
        }
    }
}

fn lower(slot: &mut Option<u32>, candidate: Option<u32>) {
    if let Some(c) = candidate {
        if slot.is_none_or(|s| c < s) {
            *slot = Some(c);
        }
    }
}

/// The first 12 bytes of an IPv4-mapped IPv6 address (`::ffff:0:0/96`).
const MAPPED_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/// The IPv4 address an IPv4-mapped IPv6 address carries, or None.
fn mapped_v4(bytes: &[u8; 16]) -> Option<[u8; 4]> {
    let (head, tail) = bytes.split_at(12);
    if head != MAPPED_PREFIX {
        return None;
    }
    let mut v4 = [0u8; 4];
    v4.copy_from_slice(tail);
    Some(v4)
}

/// `ip`, with an IPv4-mapped IPv6 address turned into the IPv4 address it carries.
pub fn unmapped(ip: IpAddress) -> IpAddress {
    match ip {
        IpAddress::V6(bytes) => mapped_v4(&bytes).map_or(ip, IpAddress::V4),
        v4 => v4,
    }
}

/// A rule destination in the form connections are matched in: an IPv4-mapped address is
/// IPv4, and so is a network inside `::ffff:0:0/96` (a shorter one stays IPv6, as in the app).
fn canonical(destination: &RuleDestination) -> Option<RuleDestination> {
    match destination {
        RuleDestination::Ip6(bytes) => mapped_v4(bytes).map(RuleDestination::Ip4),
        RuleDestination::Cidr6 { network, prefix } if *prefix >= 96 => {
            mapped_v4(network).map(|network| RuleDestination::Cidr4 {
                network,
                prefix: prefix - 96,
            })
        }
        _ => None,
    }
}

/// The network address of `ip` with `prefix` bits kept.
fn masked(ip: &IpAddress, prefix: u8) -> IpAddress {
    fn mask<const N: usize>(bytes: &[u8; N], prefix: u8) -> [u8; N] {
        let mut out = *bytes;
        for (i, byte) in out.iter_mut().enumerate() {
            let kept = usize::from(prefix).saturating_sub(i * 8).min(8);
            *byte &= if kept == 0 { 0 } else { 0xffu8 << (8 - kept) };
        }
        out
    }
    match ip {
        IpAddress::V4(b) => IpAddress::V4(mask(b, prefix)),
        IpAddress::V6(b) => IpAddress::V6(mask(b, prefix)),
    }
}

impl Group {
    fn add(&mut self, destination: &RuleDestination, position: u32) {
        let converted = canonical(destination);
        let list = match converted.as_ref().unwrap_or(destination) {
            RuleDestination::Any | RuleDestination::Lan | RuleDestination::Localhost => {
                &mut self.classes
            }
            RuleDestination::Ip4(b) => self.ips.entry(IpAddress::V4(*b)).or_default(),
            RuleDestination::Ip6(b) => self.ips.entry(IpAddress::V6(*b)).or_default(),
            RuleDestination::Cidr4 { network, prefix } => self
                .networks
                .entry((false, *prefix))
                .or_default()
                .entry(IpAddress::V4(*network))
                .or_default(),
            RuleDestination::Cidr6 { network, prefix } => self
                .networks
                .entry((true, *prefix))
                .or_default()
                .entry(IpAddress::V6(*network))
                .or_default(),
            RuleDestination::Host(name) => {
                self.names.push(position);
                self.hosts.entry(name.clone()).or_default()
            }
            RuleDestination::Domain(suffix) => {
                self.names.push(position);
                self.domains.entry(suffix.clone()).or_default()
            }
        };
        // Positions come in ascending order, so every list stays sorted.
        list.push(position);
    }

    fn best(
        &self,
        check: &Check<'_>,
        names: RuleNames<'_>,
        best: &mut Option<u32>,
        unsure: &mut Option<u32>,
    ) {
        let remote = check.connection.remote_ip;
        lower(best, check.first(self.ips.get(&remote), *best));
        for (&(v6, prefix), networks) in &self.networks {
            if v6 == remote.is_v6() {
                lower(
                    best,
                    check.first(networks.get(&masked(&remote, prefix)), *best),
                );
            }
        }
        match names {
            RuleNames::Seen(names) => {
                for name in names {
                    lower(best, check.first(self.hosts.get(*name), *best));
                    let mut rest = *name;
                    while let Some(dot) = rest.find('.') {
                        rest = rest.get(dot + 1..).unwrap_or("");
                        lower(best, check.first(self.domains.get(rest), *best));
                    }
                }
            }
            // Names the driver cannot see might match: the app must decide if such a rule
            // would come first.
            RuleNames::Unseen if check.app_connected => {
                lower(unsure, check.first(Some(&self.names), *best));
            }
            RuleNames::Unseen => {}
        }
        let class = self
            .classes
            .iter()
            .copied()
            .take_while(|&p| best.is_none_or(|b| p < b))
            .find(|&p| check.class_matches(p) && check.applies(p));
        lower(best, class);
    }
}

#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;
