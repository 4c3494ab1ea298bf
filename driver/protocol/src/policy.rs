//! The policy document (README "Policy"): the user's permanent rules as the driver enforces
//! them, and the blocklists it applies while no app is connected (`policy_blocklist.rs`). The
//! same bytes travel in PolicyPart commands and are the stored file. The decoder checks the
//! checksum and then every field, and refuses the whole document on any flaw: a policy is
//! enforced whole or not at all.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::bytes::Fields;
use crate::crc32::crc32;
pub use crate::policy_blocklist::{
    BlockedNames, BlockedNetwork, PolicyBlocklist, FLAG_BLOCKLIST, MAX_BLOCKED_NAMES,
    MAX_BLOCKED_NETWORKS,
};

/// The first bytes of every document.
pub const MAGIC: [u8; 8] = *b"ZFPOLICY";
/// The format revision this crate reads and writes.
pub const FORMAT: u16 = 1;
/// The largest document a driver takes (16 MiB: 100 000 rules with long paths).
pub const MAX_POLICY_LEN: usize = 16 * 1024 * 1024;
/// The most rules a document may hold.
pub const MAX_RULES: u32 = 1_000_000;
/// The longest app path in UTF-8 bytes: the app's 4096 characters at 4 bytes each, so every
/// rule the app can hold fits (a rule left out could change which rule wins).
pub const MAX_APP_PATH: usize = 16384;
/// The longest host or domain name (DNS's 253 characters in text form).
pub const MAX_NAME: usize = 253;
/// Header bytes: magic, format, flags, generation, no_app_action, reserved, rule_count.
const HEADER_LEN: usize = 28;
/// The checksum after the rules.
const CHECKSUM_LEN: usize = 4;
/// A rule's bytes before its app path.
const RULE_FIXED: usize = 31;

/// Document flag: app paths compare case-insensitively (Windows).
pub const FLAG_CASE_INSENSITIVE_PATHS: u16 = 0x1;
/// Rule flag: the app decides (a rule that lives only while the app runs).
pub const RULE_FLAG_APP_DECIDES: u8 = 0x1;

/// What a rule does to the connections it decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleAction {
    /// Let it through.
    Allow = 0,
    /// Refuse it: the app gets an error.
    Block = 1,
    /// Drop it silently.
    Drop = 2,
}

/// Which direction a rule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleDirection {
    /// Connections this host opens.
    Outbound = 0,
    /// Connections to this host.
    Inbound = 1,
    /// Both.
    Any = 2,
}

/// Where the connection goes (outbound) or comes from (inbound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleDestination {
    /// Any address.
    Any,
    /// The local network class.
    Lan,
    /// Loopback.
    Localhost,
    /// One IPv4 address.
    Ip4([u8; 4]),
    /// One IPv6 address.
    Ip6([u8; 16]),
    /// An IPv4 network; host bits are zero.
    Cidr4 {
        /// The network address.
        network: [u8; 4],
        /// 0..=32.
        prefix: u8,
    },
    /// An IPv6 network; host bits are zero.
    Cidr6 {
        /// The network address.
        network: [u8; 16],
        /// 0..=128.
        prefix: u8,
    },
    /// A host name (lowercase, no trailing dot) from the DNS answers the driver saw.
    Host(String),
    /// Every name strictly below this one.
    Domain(String),
}

/// One rule of a policy document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRule {
    /// The app's number for the rule, unique in the document.
    pub tag: u32,
    /// What it does.
    pub action: RuleAction,
    /// A rule the app decides (see README).
    pub app_decides: bool,
    /// Which direction.
    pub direction: RuleDirection,
    /// The IANA protocol, None for any.
    pub protocol: Option<u8>,
    /// Remote port range, inclusive.
    pub port_from: u16,
    /// Remote port range, inclusive.
    pub port_to: u16,
    /// Milliseconds since the Unix epoch.
    pub updated_at: u64,
    /// Milliseconds since the Unix epoch; None: never.
    pub expires_at: Option<u64>,
    /// The executable path; None for any app.
    pub app: Option<String>,
    /// Where.
    pub destination: RuleDestination,
}

impl PolicyRule {
    /// A permanent rule of `action` for `app` (None: any app) and `destination`, outbound, any
    /// protocol and port, never expiring: a base the other fields are set on.
    pub fn new(
        tag: u32,
        action: RuleAction,
        app: Option<&str>,
        destination: RuleDestination,
    ) -> PolicyRule {
        PolicyRule {
            tag,
            action,
            app_decides: false,
            direction: RuleDirection::Outbound,
            protocol: None,
            port_from: 0,
            port_to: u16::MAX,
            updated_at: 0,
            expires_at: None,
            app: app.map(String::from),
            destination,
        }
    }
}

/// A whole policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    /// Document flags ([`FLAG_CASE_INSENSITIVE_PATHS`]). [`FLAG_BLOCKLIST`] is not kept here:
    /// the encoder sets it exactly when `blocklist` lists something.
    pub flags: u16,
    /// ≥ 1; larger is newer.
    pub generation: u64,
    /// Verdict value 2, 4 or 6 for connections no rule decides while no client is connected.
    pub no_app_action: u8,
    /// The rules.
    pub rules: Vec<PolicyRule>,
    /// The blocklist section; empty when the document has none.
    pub blocklist: PolicyBlocklist,
}

/// Why a document was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// Longer than [`MAX_POLICY_LEN`].
    TooLarge(usize),
    /// The checksum does not match the bytes.
    Checksum,
    /// A field breaks the format, at byte `at`.
    Malformed {
        /// The offset of the offending field.
        at: usize,
        /// What is wrong.
        what: &'static str,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::TooLarge(len) => write!(
                f,
                "policy of {len} bytes is above the limit of {MAX_POLICY_LEN}"
            ),
            PolicyError::Checksum => write!(f, "policy checksum does not match its bytes"),
            PolicyError::Malformed { at, what } => {
                write!(f, "policy malformed at byte {at}: {what}")
            }
        }
    }
}

pub(crate) const fn bad(at: usize, what: &'static str) -> PolicyError {
    PolicyError::Malformed { at, what }
}

impl PolicyDocument {
    /// The document's bytes (checksum included).
    pub fn encode(&self) -> Vec<u8> {
        let lists = &self.blocklist;
        let list_len = 8 + lists.names.len() + lists.names.text_len() + lists.networks.len() * 18;
        let mut out =
            Vec::with_capacity(HEADER_LEN + CHECKSUM_LEN + self.rules.len() * 48 + list_len);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        let mut flags = self.flags & !FLAG_BLOCKLIST;
        if !self.blocklist.is_empty() {
            flags |= FLAG_BLOCKLIST;
        }
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&self.generation.to_le_bytes());
        out.push(self.no_app_action);
        out.extend_from_slice(&[0, 0, 0]);
        let count = u32::try_from(self.rules.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_le_bytes());
        for rule in &self.rules {
            encode_rule(rule, &mut out);
        }
        self.blocklist.encode(&mut out);
        let sum = crc32(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Decodes and checks a whole document.
    pub fn decode(bytes: &[u8]) -> Result<PolicyDocument, PolicyError> {
        if bytes.len() > MAX_POLICY_LEN {
            return Err(PolicyError::TooLarge(bytes.len()));
        }
        if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
            return Err(bad(bytes.len(), "shorter than a header and a checksum"));
        }
        let (content, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        let mut sum_bytes = [0u8; 4];
        sum_bytes.copy_from_slice(sum);
        let mut header = Fields::new(content);
        if header.array::<8>() != MAGIC {
            return Err(bad(0, "not a policy document (magic)"));
        }
        if header.u16() != FORMAT {
            return Err(bad(8, "unknown format revision"));
        }
        // The checksum after the magic and format: a wrong file says so by its magic first.
        if crc32(content) != u32::from_le_bytes(sum_bytes) {
            return Err(PolicyError::Checksum);
        }
        let flags = header.u16();
        if flags & !(FLAG_CASE_INSENSITIVE_PATHS | FLAG_BLOCKLIST) != 0 {
            return Err(bad(10, "undefined document flag"));
        }
        let generation = header.u64();
        if generation == 0 {
            return Err(bad(12, "generation 0"));
        }
        let no_app_action = header.u8();
        if !matches!(no_app_action, 2 | 4 | 6) {
            return Err(bad(20, "no-app action is not 2, 4 or 6"));
        }
        if header.array::<3>() != [0; 3] {
            return Err(bad(21, "reserved bytes are not zero"));
        }
        let count = header.u32();
        if count > MAX_RULES {
            return Err(bad(24, "more rules than the limit"));
        }
        let mut at = HEADER_LEN;
        // Each rule takes at least RULE_FIXED + 2 bytes: a count the bytes cannot hold is
        // refused before anything is allocated for it.
        let room = content.len().saturating_sub(HEADER_LEN) / (RULE_FIXED + 2);
        if usize::try_from(count).unwrap_or(usize::MAX) > room {
            return Err(bad(24, "rule count larger than the document"));
        }
        let mut rules = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for _ in 0..count {
            let (rule, next) = decode_rule(content, at)?;
            rules.push(rule);
            at = next;
        }
        let blocklist = if flags & FLAG_BLOCKLIST != 0 {
            let (list, next) = PolicyBlocklist::decode(content, at)?;
            at = next;
            list
        } else {
            PolicyBlocklist::default()
        };
        if at != content.len() {
            return Err(bad(
                at,
                if flags & FLAG_BLOCKLIST != 0 {
                    "bytes after the blocklist"
                } else {
                    "bytes after the last rule"
                },
            ));
        }
        let mut tags: Vec<u32> = rules.iter().map(|r| r.tag).collect();
        tags.sort_unstable();
        if tags.windows(2).any(|w| w.first() == w.get(1)) {
            return Err(bad(HEADER_LEN, "two rules share a tag"));
        }
        Ok(PolicyDocument {
            flags: flags & !FLAG_BLOCKLIST,
            generation,
            no_app_action,
            rules,
            blocklist,
        })
    }
}

fn encode_rule(rule: &PolicyRule, out: &mut Vec<u8>) {
    out.extend_from_slice(&rule.tag.to_le_bytes());
    out.push(rule.action as u8);
    out.push(if rule.app_decides {
        RULE_FLAG_APP_DECIDES
    } else {
        0
    });
    out.push(rule.direction as u8);
    out.push(rule.protocol.unwrap_or(0));
    out.push(u8::from(rule.protocol.is_none()));
    out.extend_from_slice(&rule.port_from.to_le_bytes());
    out.extend_from_slice(&rule.port_to.to_le_bytes());
    out.extend_from_slice(&rule.updated_at.to_le_bytes());
    out.extend_from_slice(&rule.expires_at.unwrap_or(0).to_le_bytes());
    let app = rule.app.as_deref().unwrap_or("").as_bytes();
    let app = app.get(..MAX_APP_PATH).unwrap_or(app);
    out.extend_from_slice(&u16::try_from(app.len()).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(app);
    let (kind, dest): (u8, Vec<u8>) = match &rule.destination {
        RuleDestination::Any => (0, Vec::new()),
        RuleDestination::Lan => (1, Vec::new()),
        RuleDestination::Localhost => (2, Vec::new()),
        RuleDestination::Ip4(ip) => (3, ip.to_vec()),
        RuleDestination::Ip6(ip) => (3, ip.to_vec()),
        RuleDestination::Cidr4 { network, prefix } => (4, prefixed(*prefix, network)),
        RuleDestination::Cidr6 { network, prefix } => (4, prefixed(*prefix, network)),
        RuleDestination::Host(name) => (5, name.as_bytes().to_vec()),
        RuleDestination::Domain(name) => (6, name.as_bytes().to_vec()),
    };
    out.push(kind);
    out.push(u8::try_from(dest.len()).unwrap_or(0));
    out.extend_from_slice(&dest);
}

fn prefixed(prefix: u8, network: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + network.len());
    out.push(prefix);
    out.extend_from_slice(network);
    out
}

/// Decodes the rule at `at`; returns it and the offset after it.
fn decode_rule(content: &[u8], at: usize) -> Result<(PolicyRule, usize), PolicyError> {
    let fixed = content
        .get(at..at + RULE_FIXED)
        .ok_or(bad(at, "rule cut short"))?;
    let mut f = Fields::new(fixed);
    let tag = f.u32();
    let action = match f.u8() {
        0 => RuleAction::Allow,
        1 => RuleAction::Block,
        2 => RuleAction::Drop,
        _ => return Err(bad(at + 4, "unknown rule action")),
    };
    let flags = f.u8();
    if flags & !RULE_FLAG_APP_DECIDES != 0 {
        return Err(bad(at + 5, "undefined rule flag"));
    }
    let direction = match f.u8() {
        0 => RuleDirection::Outbound,
        1 => RuleDirection::Inbound,
        2 => RuleDirection::Any,
        _ => return Err(bad(at + 6, "unknown direction")),
    };
    let protocol = f.u8();
    let protocol = match f.u8() {
        0 => Some(protocol),
        1 => None,
        _ => return Err(bad(at + 8, "any_protocol is not 0 or 1")),
    };
    let port_from = f.u16();
    let port_to = f.u16();
    if port_from > port_to {
        return Err(bad(at + 9, "port range runs backwards"));
    }
    let updated_at = f.u64();
    let expires_at = match f.u64() {
        0 => None,
        ms => Some(ms),
    };
    let app_len = usize::from(f.u16());
    if app_len > MAX_APP_PATH {
        return Err(bad(at + 29, "app path longer than 16384 bytes"));
    }
    let app_at = at + RULE_FIXED;
    let app_bytes = content
        .get(app_at..app_at + app_len)
        .ok_or(bad(app_at, "app path cut short"))?;
    let app = if app_len == 0 {
        None
    } else {
        Some(utf8(app_bytes, app_at)?)
    };
    let kind_at = app_at + app_len;
    let (kind, dest_len) = match content.get(kind_at..kind_at + 2) {
        Some(&[kind, len]) => (kind, usize::from(len)),
        _ => return Err(bad(kind_at, "destination cut short")),
    };
    let dest_at = kind_at + 2;
    let dest = content
        .get(dest_at..dest_at + dest_len)
        .ok_or(bad(dest_at, "destination cut short"))?;
    let destination = decode_destination(kind, dest, kind_at)?;
    let rule = PolicyRule {
        tag,
        action,
        app_decides: flags & RULE_FLAG_APP_DECIDES != 0,
        direction,
        protocol,
        port_from,
        port_to,
        updated_at,
        expires_at,
        app,
        destination,
    };
    Ok((rule, dest_at + dest_len))
}

fn decode_destination(kind: u8, dest: &[u8], at: usize) -> Result<RuleDestination, PolicyError> {
    let empty = |d: RuleDestination| {
        if dest.is_empty() {
            Ok(d)
        } else {
            Err(bad(at, "this destination kind carries no bytes"))
        }
    };
    match kind {
        0 => empty(RuleDestination::Any),
        1 => empty(RuleDestination::Lan),
        2 => empty(RuleDestination::Localhost),
        3 => match dest.len() {
            4 => Ok(RuleDestination::Ip4(to_array(dest))),
            16 => Ok(RuleDestination::Ip6(to_array(dest))),
            _ => Err(bad(at, "an ip is 4 or 16 bytes")),
        },
        4 => {
            let (&prefix, network) = dest.split_first().ok_or(bad(at, "a cidr needs a prefix"))?;
            let cidr = match network.len() {
                4 if prefix <= 32 => RuleDestination::Cidr4 {
                    network: to_array(network),
                    prefix,
                },
                16 if prefix <= 128 => RuleDestination::Cidr6 {
                    network: to_array(network),
                    prefix,
                },
                4 | 16 => return Err(bad(at, "cidr prefix too long for its family")),
                _ => return Err(bad(at, "a cidr network is 4 or 16 bytes")),
            };
            if !host_bits_clear(network, prefix) {
                return Err(bad(at, "cidr has host bits set"));
            }
            Ok(cidr)
        }
        5 => Ok(RuleDestination::Host(name(dest, at)?)),
        6 => Ok(RuleDestination::Domain(String::from(check_suffix(
            dest, at,
        )?))),
        _ => Err(bad(at, "unknown destination kind")),
    }
}

fn to_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    if bytes.len() == N {
        out.copy_from_slice(bytes);
    }
    out
}

/// True when every bit past `prefix` is zero.
pub(crate) fn host_bits_clear(network: &[u8], prefix: u8) -> bool {
    network.iter().enumerate().all(|(i, &byte)| {
        let kept = usize::from(prefix).saturating_sub(i * 8).min(8);
        let mask = if kept == 0 { 0 } else { 0xffu8 << (8 - kept) };
        byte & !mask == 0
    })
}

fn utf8(bytes: &[u8], at: usize) -> Result<String, PolicyError> {
    core::str::from_utf8(bytes)
        .map(String::from)
        .map_err(|_| bad(at, "text is not UTF-8"))
}

/// A rule's name as a String (see [`check_name`]).
fn name(bytes: &[u8], at: usize) -> Result<String, PolicyError> {
    check_name(bytes, at).map(String::from)
}

/// A rule's or a blocklist's name: 1..=253 bytes of UTF-8, no ASCII capital, no trailing dot
/// (the form the driver's DNS reader gives names in, so a comparison of bytes is a comparison
/// of names).
pub(crate) fn check_name(bytes: &[u8], at: usize) -> Result<&str, PolicyError> {
    if bytes.is_empty() || bytes.len() > MAX_NAME {
        return Err(bad(at, "a name is 1 to 253 bytes"));
    }
    if bytes.iter().any(u8::is_ascii_uppercase) || bytes.last() == Some(&b'.') {
        return Err(bad(at, "a name is lowercase, without a trailing dot"));
    }
    core::str::from_utf8(bytes).map_err(|_| bad(at, "text is not UTF-8"))
}

/// A name that stands for itself and every name below it (a rule's domain, a blocklist's
/// name): a [`check_name`] that does not start with `*.`. That form is refused by the app's
/// encoder (the name alone covers what is below it) and would be compared as a label `*`.
pub(crate) fn check_suffix(bytes: &[u8], at: usize) -> Result<&str, PolicyError> {
    let name = check_name(bytes, at)?;
    if name.starts_with("*.") {
        return Err(bad(
            at,
            "a domain covers the names below it: no leading '*.'",
        ));
    }
    Ok(name)
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
