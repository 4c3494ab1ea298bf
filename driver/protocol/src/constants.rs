//! Numbers fixed by the protocol: ids, verdicts, versions, IOCTL codes.
//! Keep in sync with `native/src/codec/protocol-constants.ts`.

/// The version a ZenithFence driver reports (`major, minor, revision, build`). Major 2 and minor 1
/// tell Portmaster-style clients that the base format is the kext 2.1 one.
pub const VERSION: [u8; 4] = [2, 1, 0, 0];
/// Revision of the ZenithFence extensions; grows only when fields are appended.
pub const EXT_VERSION: u16 = 1;

/// Size of an info header: `type u8` then `body_len u32`.
pub const INFO_HEADER_LEN: usize = 5;

/// Command ids (the first byte of every write).
pub mod command_id {
    /// End the info stream and answer every pending packet.
    pub const SHUTDOWN: u8 = 0;
    /// Answer one pending packet.
    pub const VERDICT: u8 = 1;
    /// Overwrite the cached verdict of an IPv4 connection.
    pub const UPDATE_V4: u8 = 2;
    /// Overwrite the cached verdict of an IPv6 connection.
    pub const UPDATE_V6: u8 = 3;
    /// Forget all cached verdicts.
    pub const CLEAR_CACHE: u8 = 4;
    /// Queue buffered log lines.
    pub const GET_LOGS: u8 = 5;
    /// Queue bandwidth deltas.
    pub const GET_BANDWIDTH_STATS: u8 = 6;
    /// A no-op kept for compatibility.
    pub const PRINT_MEMORY_STATS: u8 = 7;
    /// Drop ended and idle cache entries.
    pub const CLEAN_ENDED_CONNECTIONS: u8 = 8;
    /// Extension: version handshake and feature negotiation.
    pub const HELLO: u8 = 128;
    /// Extension: queue one Counters info.
    pub const GET_COUNTERS: u8 = 129;
    /// Extension: a part of a policy document.
    pub const POLICY_PART: u8 = 130;
    /// Extension: the client put the network of a NetworkFacts epoch in force.
    pub const NETWORK_SEEN: u8 = 131;
}

/// Info types (the first byte of every info header).
pub mod info_type {
    /// A log line.
    pub const LOG_LINE: u8 = 0;
    /// A held IPv4 packet waiting for a verdict.
    pub const CONNECTION_V4: u8 = 1;
    /// A held IPv6 packet waiting for a verdict.
    pub const CONNECTION_V6: u8 = 2;
    /// An IPv4 connection ended.
    pub const CONNECTION_END_V4: u8 = 3;
    /// An IPv6 connection ended.
    pub const CONNECTION_END_V6: u8 = 4;
    /// IPv4 byte-count deltas.
    pub const BANDWIDTH_STATS_V4: u8 = 5;
    /// IPv6 byte-count deltas.
    pub const BANDWIDTH_STATS_V6: u8 = 6;
    /// Extension: answer to Hello.
    pub const HELLO_REPLY: u8 = 128;
    /// Extension: process details, sent before the connection infos naming its pid.
    pub const PROCESS: u8 = 129;
    /// Extension: a DNS name for an IPv4 address.
    pub const DNS_NAME_V4: u8 = 130;
    /// Extension: a DNS name for an IPv6 address.
    pub const DNS_NAME_V6: u8 = 131;
    /// Extension: driver counters.
    pub const COUNTERS: u8 = 132;
    /// Extension: the policy the driver enforces.
    pub const POLICY_STATE: u8 = 133;
    /// Extension: an IPv4 connection a policy rule decided.
    pub const RULE_DECIDED_V4: u8 = 134;
    /// Extension: an IPv6 connection a policy rule decided.
    pub const RULE_DECIDED_V6: u8 = 135;
    /// Extension: one DNS exchange (who asked which name, what it got), for the DNS log.
    pub const DNS_EXCHANGE: u8 = 136;
    /// Extension: the network the machine is on (its default route), at start and every change.
    pub const NETWORK_FACTS: u8 = 137;
}

/// Extension feature bits negotiated by Hello.
pub mod feature {
    /// Process infos (129).
    pub const PROCESS: u32 = 0x1;
    /// DNS name infos (130, 131).
    pub const DNS: u32 = 0x2;
    /// Counters infos (132).
    pub const COUNTERS: u32 = 0x4;
    /// PolicyState and RuleDecided infos.
    pub const POLICY: u32 = 0x8;
    /// DnsExchange infos (136).
    pub const DNS_LOG: u32 = 0x10;
    /// NetworkFacts infos (137); the NetworkSeen command (131) takes effect.
    pub const NETWORK: u32 = 0x20;
    /// Every feature this protocol revision defines.
    pub const ALL: u32 = PROCESS | DNS | COUNTERS | POLICY | DNS_LOG | NETWORK;
}

/// `driver_kind` in HelloReply.
pub mod driver_kind {
    /// The Windows WFP callout driver.
    pub const WINDOWS_KERNEL: u8 = 1;
    /// The Linux daemon `zenithfenced`.
    pub const LINUX_DAEMON: u8 = 2;
}

/// `payload_layer` values of connection infos.
pub mod payload_layer {
    /// The payload is the whole IP packet.
    pub const NETWORK: u8 = 3;
    /// The payload starts at the transport header.
    pub const TRANSPORT: u8 = 4;
}

/// Positions in the Counters info (see the README's table).
pub mod counter {
    /// Infos queued since start.
    pub const INFOS_QUEUED: usize = 0;
    /// Statistics infos dropped, oldest first, because the queue was full.
    pub const STATS_DROPPED: usize = 1;
    /// Connections given the default verdict because the queue was full.
    pub const QUEUE_FULL_DEFAULTED: usize = 2;
    /// Packets answered by the hold timeout.
    pub const HOLD_TIMEOUTS: usize = 3;
    /// Verdict commands applied.
    pub const VERDICTS_APPLIED: usize = 4;
    /// Commands rejected.
    pub const COMMANDS_REJECTED: usize = 5;
    /// Packets pending now.
    pub const PENDING_NOW: usize = 6;
    /// Connections in the cache now.
    pub const CACHE_ENTRIES: usize = 7;
    /// How many counters a driver sends at least.
    pub const COUNT: usize = 8;
}

/// Windows device IOCTL codes: `CTL_CODE(0x9C40, fn, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)`.
pub mod ioctl {
    const fn ctl_code(device_type: u32, function: u32, method: u32, access: u32) -> u32 {
        (device_type << 16) | (access << 14) | (function << 2) | method
    }
    const DEVICE_TYPE: u32 = 0x9C40;
    const METHOD_BUFFERED: u32 = 0;
    const FILE_READ_WRITE_DATA: u32 = 0x1 | 0x2;
    /// Returns the 4-byte [`super::VERSION`].
    pub const VERSION: u32 = ctl_code(DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_READ_WRITE_DATA);
    /// Same as the Shutdown command.
    pub const SHUTDOWN: u32 = ctl_code(DEVICE_TYPE, 0x801, METHOD_BUFFERED, FILE_READ_WRITE_DATA);
}

/// Connection direction as sent in infos.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// This host opened the connection.
    Outbound = 0,
    /// A peer opened the connection.
    Inbound = 1,
}

/// A decision about a held packet or a cached connection. Keep in sync with
/// `native/src/codec/protocol-constants.ts`.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// No decision yet.
    Undecided = 0,
    /// No decision can be made.
    Undeterminable = 1,
    /// Let this packet through; ask again for the next one of the flow.
    Accept = 2,
    /// Let the flow through without asking again.
    PermanentAccept = 3,
    /// Reject this packet so the application gets an error fast.
    Block = 4,
    /// Reject the flow without asking again.
    PermanentBlock = 5,
    /// Discard this packet silently.
    Drop = 6,
    /// Discard the flow silently without asking again.
    PermanentDrop = 7,
    /// Redirect to the local name server.
    RedirectNameServer = 8,
    /// Redirect into the tunnel.
    RedirectTunnel = 9,
    /// The decision failed.
    Failed = 10,
    /// Redirect into the split tunnel.
    RedirectSplitTunnel = 11,
}

impl Verdict {
    /// Every verdict, in value order.
    pub const ALL: [Verdict; 12] = [
        Verdict::Undecided,
        Verdict::Undeterminable,
        Verdict::Accept,
        Verdict::PermanentAccept,
        Verdict::Block,
        Verdict::PermanentBlock,
        Verdict::Drop,
        Verdict::PermanentDrop,
        Verdict::RedirectNameServer,
        Verdict::RedirectTunnel,
        Verdict::Failed,
        Verdict::RedirectSplitTunnel,
    ];

    /// The verdict with this wire value, if there is one.
    pub fn from_u8(value: u8) -> Option<Verdict> {
        Verdict::ALL.get(usize::from(value)).copied()
    }

    /// Whether the driver decides the rest of the flow by itself.
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            Verdict::PermanentAccept | Verdict::PermanentBlock | Verdict::PermanentDrop
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_codes_match_upstream() {
        assert_eq!(ioctl::VERSION, 0x9C40_E000);
        assert_eq!(ioctl::SHUTDOWN, 0x9C40_E004);
    }

    #[test]
    fn verdict_values_round_trip() {
        for value in 0..=255u8 {
            match Verdict::from_u8(value) {
                Some(verdict) => assert_eq!(verdict as u8, value),
                None => assert!(value > 11),
            }
        }
        assert!(Verdict::PermanentDrop.is_permanent());
        assert!(!Verdict::Drop.is_permanent());
    }
}
