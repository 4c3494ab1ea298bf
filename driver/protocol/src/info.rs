//! Infos, driver to user space: `type u8`, `body_len u32`, body. This module encodes them (the
//! driver's side) and decodes one body whose length is known (the client's side and the tests);
//! [`crate::reader::InfoReader`] cuts a byte stream into bodies.

use alloc::string::String;
use alloc::vec::Vec;

use crate::bytes::Fields;
use crate::constants::{info_type, INFO_HEADER_LEN};
use crate::info_dns_log::{decode_dns_exchange, encode_dns_exchange, DnsExchange};
use crate::info_network::{decode_network_facts, encode_network_facts, NetworkFacts};
use crate::info_policy::{
    decode_policy_state, decode_rule_decided, encode_policy_state, encode_rule_decided,
    PolicyState, RuleDecided,
};

/// A log line: `severity u8` (1 trace … 6 critical) and UTF-8 text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// 1 trace, 2 debug, 3 info, 4 warning, 5 error, 6 critical, 7 disabled.
    pub severity: u8,
    /// The message.
    pub text: String,
}

/// A held packet that waits for a verdict; `N` is 4 for IPv4 and 16 for IPv6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection<const N: usize> {
    /// Pending-packet id (from 1); answer it with exactly one Verdict.
    pub id: u64,
    /// Process id, 0 when unknown.
    pub process_id: u64,
    /// 0 outbound, 1 inbound.
    pub direction: u8,
    /// IANA protocol number.
    pub protocol: u8,
    /// Local address, network byte order.
    pub local_ip: [u8; N],
    /// Remote address, network byte order.
    pub remote_ip: [u8; N],
    /// Local port (0 for protocols without ports).
    pub local_port: u16,
    /// Remote port.
    pub remote_port: u16,
    /// 3: the payload is the IP packet; 4: it starts at the transport header.
    pub payload_layer: u8,
    /// A copy of the packet.
    pub payload: Vec<u8>,
}

/// A connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionEnd<const N: usize> {
    /// Process id, 0 when unknown.
    pub process_id: u64,
    /// 0 outbound, 1 inbound.
    pub direction: u8,
    /// IANA protocol number.
    pub protocol: u8,
    /// Local address.
    pub local_ip: [u8; N],
    /// Remote address.
    pub remote_ip: [u8; N],
    /// Local port.
    pub local_port: u16,
    /// Remote port.
    pub remote_port: u16,
}

/// Byte-count deltas of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BandwidthEntry<const N: usize> {
    /// Local address.
    pub local_ip: [u8; N],
    /// Local port.
    pub local_port: u16,
    /// Remote address.
    pub remote_ip: [u8; N],
    /// Remote port.
    pub remote_port: u16,
    /// Bytes sent since the last GetBandwidthStats.
    pub transmitted: u64,
    /// Bytes received since the last GetBandwidthStats.
    pub received: u64,
}

/// Byte-count deltas of one protocol's connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandwidthStats<const N: usize> {
    /// IANA protocol number.
    pub protocol: u8,
    /// One entry per connection.
    pub entries: Vec<BandwidthEntry<N>>,
}

/// Extension: the driver's answer to Hello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelloReply {
    /// Major, minor, revision, build.
    pub version: [u8; 4],
    /// The driver's extension revision.
    pub ext_version: u16,
    /// Granted feature bits.
    pub features: u32,
    /// 1 Windows kernel driver, 2 Linux daemon.
    pub driver_kind: u8,
}

/// Extension: what the driver knows of a process, sent before connection infos naming its pid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    /// Process id.
    pub process_id: u64,
    /// Opaque start time that tells two processes with one pid apart.
    pub start_time: u64,
    /// User id, `u32::MAX` when unknown.
    pub uid: u32,
    /// Executable path, empty when unknown.
    pub path: String,
    /// Arguments, as in `/proc/PID/cmdline`.
    pub command_line: Vec<String>,
}

/// Extension: a DNS answer mapping `name` to `ip`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsName<const N: usize> {
    /// The record's TTL in seconds.
    pub ttl_s: u32,
    /// The address, network byte order.
    pub ip: [u8; N],
    /// The queried name.
    pub name: String,
}

/// Extension: driver counters, in the README's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counters {
    /// Totals since start (see [`crate::constants::counter`]).
    pub values: Vec<u64>,
}

/// One info of any type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Info {
    /// Type 0.
    LogLine(LogLine),
    /// Type 1.
    ConnectionV4(Connection<4>),
    /// Type 2.
    ConnectionV6(Connection<16>),
    /// Type 3.
    ConnectionEndV4(ConnectionEnd<4>),
    /// Type 4.
    ConnectionEndV6(ConnectionEnd<16>),
    /// Type 5.
    BandwidthStatsV4(BandwidthStats<4>),
    /// Type 6.
    BandwidthStatsV6(BandwidthStats<16>),
    /// Type 128.
    HelloReply(HelloReply),
    /// Type 129.
    Process(Process),
    /// Type 130.
    DnsNameV4(DnsName<4>),
    /// Type 131.
    DnsNameV6(DnsName<16>),
    /// Type 132.
    Counters(Counters),
    /// Type 133.
    PolicyState(PolicyState),
    /// Type 134.
    RuleDecidedV4(RuleDecided<4>),
    /// Type 135.
    RuleDecidedV6(RuleDecided<16>),
    /// Type 136.
    DnsExchange(DnsExchange),
    /// Type 137.
    NetworkFacts(NetworkFacts),
}

/// Why a record in an info stream was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoProblem {
    /// The type is not one this decoder knows.
    UnknownType {
        /// The type byte.
        info_type: u8,
        /// The body length from the header.
        body_len: u32,
    },
    /// The header announces a body larger than [`crate::reader::MAX_BODY_LEN`]; its bytes are
    /// skipped as they arrive, without being buffered.
    Oversized {
        /// The type byte.
        info_type: u8,
        /// The body length from the header.
        body_len: u32,
    },
    /// The body length does not fit the type.
    SizeMismatch {
        /// The type byte.
        info_type: u8,
        /// The body length from the header.
        body_len: u32,
    },
}

const CONNECTION_FIXED_V4: usize = 35;
const CONNECTION_FIXED_V6: usize = 59;
const PROCESS_FIXED: usize = 22;

fn push_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}
fn push_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}
fn push_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}
/// Lengths on the wire are u32/u16; a longer field is cut so the header never lies.
fn clamp_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Info {
    /// The info's type byte.
    pub fn info_type(&self) -> u8 {
        match self {
            Info::LogLine(_) => info_type::LOG_LINE,
            Info::ConnectionV4(_) => info_type::CONNECTION_V4,
            Info::ConnectionV6(_) => info_type::CONNECTION_V6,
            Info::ConnectionEndV4(_) => info_type::CONNECTION_END_V4,
            Info::ConnectionEndV6(_) => info_type::CONNECTION_END_V6,
            Info::BandwidthStatsV4(_) => info_type::BANDWIDTH_STATS_V4,
            Info::BandwidthStatsV6(_) => info_type::BANDWIDTH_STATS_V6,
            Info::HelloReply(_) => info_type::HELLO_REPLY,
            Info::Process(_) => info_type::PROCESS,
            Info::DnsNameV4(_) => info_type::DNS_NAME_V4,
            Info::DnsNameV6(_) => info_type::DNS_NAME_V6,
            Info::Counters(_) => info_type::COUNTERS,
            Info::PolicyState(_) => info_type::POLICY_STATE,
            Info::RuleDecidedV4(_) => info_type::RULE_DECIDED_V4,
            Info::RuleDecidedV6(_) => info_type::RULE_DECIDED_V6,
            Info::DnsExchange(_) => info_type::DNS_EXCHANGE,
            Info::NetworkFacts(_) => info_type::NETWORK_FACTS,
        }
    }

    /// Appends header and body to `out`. Fields longer than their length field can say (a path
    /// over 64 KiB, a payload over 4 GiB) are cut to fit.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.info_type());
        let len_at = out.len();
        push_u32(out, 0);
        let body_at = out.len();
        self.encode_body(out);
        let body_len = clamp_u32(out.len() - body_at).to_le_bytes();
        if let Some(slot) = out.get_mut(len_at..body_at) {
            slot.copy_from_slice(&body_len);
        }
    }

    /// The number of bytes [`Info::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        let mut out = Vec::new();
        self.encode_body(&mut out);
        INFO_HEADER_LEN + out.len()
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Info::LogLine(log) => {
                out.push(log.severity);
                out.extend_from_slice(log.text.as_bytes());
            }
            Info::ConnectionV4(c) => encode_connection(c, out),
            Info::ConnectionV6(c) => encode_connection(c, out),
            Info::ConnectionEndV4(e) => encode_end(e, out),
            Info::ConnectionEndV6(e) => encode_end(e, out),
            Info::BandwidthStatsV4(s) => encode_bandwidth(s, out),
            Info::BandwidthStatsV6(s) => encode_bandwidth(s, out),
            Info::HelloReply(h) => {
                out.extend_from_slice(&h.version);
                push_u16(out, h.ext_version);
                push_u32(out, h.features);
                out.push(h.driver_kind);
            }
            Info::Process(p) => {
                push_u64(out, p.process_id);
                push_u64(out, p.start_time);
                push_u32(out, p.uid);
                let path = p.path.as_bytes();
                let path = path.get(..usize::from(u16::MAX)).unwrap_or(path);
                push_u16(out, u16::try_from(path.len()).unwrap_or(u16::MAX));
                out.extend_from_slice(path);
                // Each argument ends with a NUL, as in /proc/PID/cmdline.
                for arg in &p.command_line {
                    out.extend_from_slice(arg.as_bytes());
                    out.push(0);
                }
            }
            Info::DnsNameV4(d) => encode_dns(d, out),
            Info::DnsNameV6(d) => encode_dns(d, out),
            Info::Counters(c) => {
                let values = c.values.get(..usize::from(u8::MAX)).unwrap_or(&c.values);
                out.push(u8::try_from(values.len()).unwrap_or(u8::MAX));
                for value in values {
                    push_u64(out, *value);
                }
            }
            Info::PolicyState(state) => encode_policy_state(state, out),
            Info::RuleDecidedV4(d) => encode_rule_decided(d, out),
            Info::RuleDecidedV6(d) => encode_rule_decided(d, out),
            Info::DnsExchange(e) => encode_dns_exchange(e, out),
            Info::NetworkFacts(n) => encode_network_facts(n, out),
        }
    }

    /// Decodes the body of one info whose header said `info_type` and `body.len()`.
    pub fn decode_body(info_type: u8, body: &[u8]) -> Result<Info, InfoProblem> {
        let mismatch = InfoProblem::SizeMismatch {
            info_type,
            body_len: clamp_u32(body.len()),
        };
        let decoded = match info_type {
            info_type::LOG_LINE => decode_log(body),
            info_type::CONNECTION_V4 => {
                decode_connection::<4>(body, CONNECTION_FIXED_V4).map(Info::ConnectionV4)
            }
            info_type::CONNECTION_V6 => {
                decode_connection::<16>(body, CONNECTION_FIXED_V6).map(Info::ConnectionV6)
            }
            info_type::CONNECTION_END_V4 => decode_end::<4>(body).map(Info::ConnectionEndV4),
            info_type::CONNECTION_END_V6 => decode_end::<16>(body).map(Info::ConnectionEndV6),
            info_type::BANDWIDTH_STATS_V4 => {
                decode_bandwidth::<4>(body).map(Info::BandwidthStatsV4)
            }
            info_type::BANDWIDTH_STATS_V6 => {
                decode_bandwidth::<16>(body).map(Info::BandwidthStatsV6)
            }
            info_type::HELLO_REPLY => decode_hello(body),
            info_type::PROCESS => decode_process(body),
            info_type::DNS_NAME_V4 => decode_dns::<4>(body).map(Info::DnsNameV4),
            info_type::DNS_NAME_V6 => decode_dns::<16>(body).map(Info::DnsNameV6),
            info_type::COUNTERS => decode_counters(body),
            info_type::POLICY_STATE => decode_policy_state(body).map(Info::PolicyState),
            info_type::RULE_DECIDED_V4 => decode_rule_decided::<4>(body).map(Info::RuleDecidedV4),
            info_type::RULE_DECIDED_V6 => decode_rule_decided::<16>(body).map(Info::RuleDecidedV6),
            info_type::DNS_EXCHANGE => decode_dns_exchange(body).map(Info::DnsExchange),
            info_type::NETWORK_FACTS => decode_network_facts(body).map(Info::NetworkFacts),
            _ => {
                return Err(InfoProblem::UnknownType {
                    info_type,
                    body_len: clamp_u32(body.len()),
                })
            }
        };
        decoded.ok_or(mismatch)
    }
}

fn encode_connection<const N: usize>(c: &Connection<N>, out: &mut Vec<u8>) {
    push_u64(out, c.id);
    push_u64(out, c.process_id);
    out.push(c.direction);
    out.push(c.protocol);
    out.extend_from_slice(&c.local_ip);
    out.extend_from_slice(&c.remote_ip);
    push_u16(out, c.local_port);
    push_u16(out, c.remote_port);
    out.push(c.payload_layer);
    let payload = c.payload.get(..u32::MAX as usize).unwrap_or(&c.payload);
    push_u32(out, clamp_u32(payload.len()));
    out.extend_from_slice(payload);
}

pub(crate) fn encode_end<const N: usize>(e: &ConnectionEnd<N>, out: &mut Vec<u8>) {
    push_u64(out, e.process_id);
    out.push(e.direction);
    out.push(e.protocol);
    out.extend_from_slice(&e.local_ip);
    out.extend_from_slice(&e.remote_ip);
    push_u16(out, e.local_port);
    push_u16(out, e.remote_port);
}

fn encode_bandwidth<const N: usize>(s: &BandwidthStats<N>, out: &mut Vec<u8>) {
    out.push(s.protocol);
    push_u32(out, clamp_u32(s.entries.len()));
    for e in &s.entries {
        out.extend_from_slice(&e.local_ip);
        push_u16(out, e.local_port);
        out.extend_from_slice(&e.remote_ip);
        push_u16(out, e.remote_port);
        push_u64(out, e.transmitted);
        push_u64(out, e.received);
    }
}

fn encode_dns<const N: usize>(d: &DnsName<N>, out: &mut Vec<u8>) {
    push_u32(out, d.ttl_s);
    out.extend_from_slice(&d.ip);
    out.extend_from_slice(d.name.as_bytes());
}

fn decode_log(body: &[u8]) -> Option<Info> {
    let (&severity, rest) = body.split_first()?;
    Some(Info::LogLine(LogLine {
        severity,
        text: text(rest),
    }))
}

fn decode_connection<const N: usize>(body: &[u8], fixed: usize) -> Option<Connection<N>> {
    if body.len() < fixed {
        return None;
    }
    let mut f = Fields::new(body);
    let id = f.u64();
    let process_id = f.u64();
    let direction = f.u8();
    let protocol = f.u8();
    let local_ip = f.array();
    let remote_ip = f.array();
    let local_port = f.u16();
    let remote_port = f.u16();
    let payload_layer = f.u8();
    let payload_len = usize::try_from(f.u32()).ok()?;
    if payload_len != body.len() - fixed {
        return None;
    }
    Some(Connection {
        id,
        process_id,
        direction,
        protocol,
        local_ip,
        remote_ip,
        local_port,
        remote_port,
        payload_layer,
        payload: f.rest().to_vec(),
    })
}

pub(crate) fn decode_end<const N: usize>(body: &[u8]) -> Option<ConnectionEnd<N>> {
    if body.len() != 14 + 2 * N {
        return None;
    }
    let mut f = Fields::new(body);
    Some(ConnectionEnd {
        process_id: f.u64(),
        direction: f.u8(),
        protocol: f.u8(),
        local_ip: f.array(),
        remote_ip: f.array(),
        local_port: f.u16(),
        remote_port: f.u16(),
    })
}

fn decode_bandwidth<const N: usize>(body: &[u8]) -> Option<BandwidthStats<N>> {
    let entry_len = 2 * N + 20;
    let mut f = Fields::new(body);
    let protocol = f.u8();
    let count = usize::try_from(f.u32()).ok()?;
    let expected = count.checked_mul(entry_len)?.checked_add(5)?;
    if body.len() != expected {
        return None;
    }
    let entries = (0..count)
        .map(|_| BandwidthEntry {
            local_ip: f.array(),
            local_port: f.u16(),
            remote_ip: f.array(),
            remote_port: f.u16(),
            transmitted: f.u64(),
            received: f.u64(),
        })
        .collect();
    Some(BandwidthStats { protocol, entries })
}

fn decode_hello(body: &[u8]) -> Option<Info> {
    // Longer bodies are allowed: later revisions append fields.
    if body.len() < 11 {
        return None;
    }
    let mut f = Fields::new(body);
    Some(Info::HelloReply(HelloReply {
        version: f.array(),
        ext_version: f.u16(),
        features: f.u32(),
        driver_kind: f.u8(),
    }))
}

fn decode_process(body: &[u8]) -> Option<Info> {
    if body.len() < PROCESS_FIXED {
        return None;
    }
    let mut f = Fields::new(body);
    let process_id = f.u64();
    let start_time = f.u64();
    let uid = f.u32();
    let path_len = usize::from(f.u16());
    if PROCESS_FIXED + path_len > body.len() {
        return None;
    }
    let path = text(f.take(path_len));
    let mut command_line: Vec<String> = f.rest().split(|&b| b == 0).map(text).collect();
    // The last argument's NUL leaves an empty piece behind it.
    if command_line.last().is_some_and(String::is_empty) {
        command_line.pop();
    }
    Some(Info::Process(Process {
        process_id,
        start_time,
        uid,
        path,
        command_line,
    }))
}

fn decode_dns<const N: usize>(body: &[u8]) -> Option<DnsName<N>> {
    if body.len() <= 4 + N {
        return None;
    }
    let mut f = Fields::new(body);
    Some(DnsName {
        ttl_s: f.u32(),
        ip: f.array(),
        name: text(f.rest()),
    })
}

fn decode_counters(body: &[u8]) -> Option<Info> {
    let (&count, rest) = body.split_first()?;
    let needed = usize::from(count) * 8;
    let counters = rest.get(..needed)?;
    let mut f = Fields::new(counters);
    Some(Info::Counters(Counters {
        values: (0..count).map(|_| f.u64()).collect(),
    }))
}
